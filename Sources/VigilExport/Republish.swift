// `vigil export RUN-DIR/MACHINE --out DIR`: a stored run's bundle, verified file by file, re-published whole into the
// service's layout (models/<model>/<machine>/).
import Foundation
import VigilIO
import VigilResults

/// Re-publishing a run's serving bundle.
public enum BundleRepublisher {
    /// What a re-publication did.
    public struct Outcome: Sendable {
        /// The real path of the published directory.
        public var destination: String
        /// The files published (names), in manifest order.
        public var files: [String]
        /// Remarks for the user (e.g. metrics.json changed since the export).
        public var notes: [String]
    }

    /// The bundle directory of `model` in a run's machine directory: `<machine>/export/<model>`.
    public static func source(machineDirectory: String, model: String) -> String {
        (machineDirectory as NSString).appendingPathComponent(RunLayout.MachineFile.export(model))
    }

    /// Verifies `<machineDirectory>/export/<model>/` completely (`ServingBundle.load` with `verifyCheckpoint`: every
    /// file's sha256, the scorer state, norm_params.npy, model.h5's seal and checksums, model.ckpt = model.h5's state
    /// dict) and publishes a copy of its files as `out` (staged beside it, renamed into place; an existing `out` is
    /// replaced only when it is empty or a Vigil export). Refuses a source that is not a complete machine of a run,
    /// lacks the model, is damaged or incomplete, or was written by an older Vigil layout, naming what is wrong.
    public static func republish(machineDirectory: String, model: String, to out: String) throws -> Outcome {
        let machine = (machineDirectory as NSString).standardizingPath
        switch try Paths.kind(of: machine) {
        case .directory: break
        case .absent: throw BundleError.notARunMachine(path: machineDirectory, reason: "does not exist: give RUN-DIR/MACHINE, a machine directory of a finished `vigil run`")
        case let k: throw BundleError.notARunMachine(path: machineDirectory, reason: "is a \(k.name), not a machine directory of a run")
        }
        let metricsPath = (machine as NSString).appendingPathComponent(RunLayout.MachineFile.metrics)
        guard FileManager.default.fileExists(atPath: metricsPath) else {
            throw BundleError.notARunMachine(path: machineDirectory, reason: "has no \(RunLayout.MachineFile.metrics): it is not a complete machine of a `vigil run` (give RUN-DIR/MACHINE)")
        }
        let src = source(machineDirectory: machine, model: model)
        guard try Paths.kind(of: src) == .directory else {
            let exportDir = (machine as NSString).appendingPathComponent("export")
            let available = ((try? FileManager.default.contentsOfDirectory(atPath: exportDir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            throw BundleError.notARunMachine(path: machineDirectory, reason: "has no export of model '\(model)'"
                + (available.isEmpty ? " (no model was exported: did every model fail? see metrics.json `failures`)" : "; exported models: \(available.joined(separator: ", ")) (choose one with --model)"))
        }
        if FileManager.default.fileExists(atPath: (src as NSString).appendingPathComponent("checkpoint.h5"))
            || ServingBundle.scorerStateFormat(in: src) == ServingBundle.earlierScorerStateFormat {
            throw BundleError.unsupported(file: src, reason: "this export was written by an earlier Vigil (checkpoint.h5 and a '\(ServingBundle.earlierScorerStateFormat)' scorer_state.json), which the serving component cannot load; run `vigil run` again for this machine to export it in the serving layout")
        }
        let bundle = try ServingBundle.load(src, workers: 1, verifyCheckpoint: true)
        let manifest = try ChecksumManifest.read(directory: src)
        let names = BundleLayout.files(forModel: bundle.state.model)
        var notes: [String] = []
        let stage = try StagingDirectory(destination: out, replace: .unless(ServingBundle.replaceableReason))
        defer { if !stage.isPublished { stage.discard() } }
        for name in names {
            let bytes = try manifest.verifiedBytes(name, in: src)   // the bytes just verified are the bytes copied
            try AtomicFile.write(bytes, to: stage.file(name))
            if name == BundleLayout.evalResults, let now = FileManager.default.contents(atPath: metricsPath), [UInt8](now) != bytes {
                notes.append("\(metricsPath) changed since the model was exported (re-evaluated?); eval_results.json is the metrics.json written with the model")
            }
        }
        try AtomicFile.write(manifest.text, to: stage.file(BundleLayout.checksums))
        // the published copy must verify like its source (guards against a change between reading and writing)
        _ = try ChecksumManifest.read(directory: stage.path).digests.keys.map { try manifest.verify($0, in: stage.path) }
        try stage.publish()
        return Outcome(destination: stage.destination, files: names + [BundleLayout.checksums], notes: notes)
    }
}
