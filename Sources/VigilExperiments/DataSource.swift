// Where a run's datasets come from: SMD machines (installed from a mirror or the network, verified against the
// manifest, cached) or one directory of one's own.
import Foundation
import VigilConfig
import VigilData

/// Installs and loads the datasets a config selects.
public enum DataSource {
    /// What `prepare` found: the units to run and the machines that could not be had.
    public struct Preparation: Sendable {
        /// Dataset names to run, in order.
        public var units: [String]
        /// Requested machines that could not be installed, with the reason.
        public var unavailable: [(name: String, reason: String)]
        /// True when the selection was `all` (unavailable machines are then not an error).
        public var selectedAll: Bool
    }

    /// Installs every selected SMD machine that is missing (from `data.mirror` or the network, verified against the
    /// manifest), or checks that `data.dir` exists. `machines` overrides the config's selection.
    public static func prepare(_ config: ExperimentConfig, progress: ProgressSink = SilentProgress()) throws -> Preparation {
        switch config.data {
        case .directory(let dir):
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw DataError.io(path: dir, reason: "no such dataset directory (data.dir)")
            }
            return Preparation(units: [datasetName(directory: dir)], unavailable: [], selectedAll: false)
        case let .smd(machines, root, mirror):
            let wanted: [String]
            if let m = machines {
                wanted = m
            } else if let mirror {
                wanted = SMD.allMachines.filter { Set(SMDInstaller.machines(inMirror: mirror) + SMDLoader(root: root).installedMachines()).contains($0) }
            } else {
                wanted = SMD.allMachines
            }
            let loader = SMDLoader(root: root)
            let missing = wanted.filter { !loader.installedMachines().contains($0) }
            var unavailable: [(String, String)] = []
            if !missing.isEmpty {
                let manifestPath = (root as NSString).appendingPathComponent("MANIFEST.sha256")
                let manifest = try Manifest(contentsOf: manifestPath)
                let source: SMDSource = mirror.map { .mirror($0) } ?? .network(URLSessionTransport(timeout: 60), RetryPolicy(maxAttempts: 4))
                let report = try SMDInstaller(manifest: manifest, destination: root, source: source, progress: progress).install(machines: missing)
                for u in report.unavailable { unavailable.append((u.machine, u.reason.description)) }
                for f in report.failures {
                    let machine = missing.first { f.path.contains($0) } ?? f.path
                    if !unavailable.contains(where: { $0.0 == machine }) { unavailable.append((machine, "\(f.path): \(f.error.description)")) }
                }
            }
            let bad = Set(unavailable.map(\.0))
            return Preparation(units: wanted.filter { !bad.contains($0) }, unavailable: unavailable, selectedAll: machines == nil)
        }
    }

    /// Loads unit `name` (an SMD machine, or the `data.dir` dataset) and says how the cache was used.
    public static func load(_ name: String, config: ExperimentConfig) throws -> (dataset: AnomalyDataset, cache: String?) {
        switch config.data {
        case .directory(let dir):
            return (try GenericDatasetLoader.load(directory: dir), nil)
        case .smd(_, let root, _):
            let (ds, status) = try SMDLoader(root: root).loadWithStatus(name)
            return (ds, status.description)
        }
    }

    /// The unit name of a directory dataset: its last path component.
    public static func datasetName(directory: String) -> String {
        let name = (URL(fileURLWithPath: directory).standardizedFileURL.path as NSString).lastPathComponent
        return name.isEmpty || name == "/" ? "dataset" : name
    }
}
