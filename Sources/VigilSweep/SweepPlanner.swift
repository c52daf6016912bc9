// From a sweep file to its plan on disk: every point's resolved config and every trial's stable id, written before
// any trial runs. A trial's id is a hash of what it computes, so a re-run (or a changed sweep file) never mixes
// results of different configs and never repeats a finished trial.
import Foundation
import VigilIO
import VigilConfig
import VigilData
import VigilExperiments
import VigilResults

/// Writes and reads sweep plans.
public enum SweepPlanner {
    /// The id of the trial of config `configSHA256` on `machine`: the first 16 hex digits of sha256("<config>/<machine>").
    public static func trialID(configSHA256: String, machine: String) -> String {
        String(SHA256Hasher.hex(of: Array("\(configSHA256)/\(machine)".utf8)).prefix(16))
    }

    /// Expands `spec` over `machines` with `threads` per trial (fixing `threads: auto`), writes configs/<sha>.yaml and
    /// sweep.json into `directory`, and returns the plan. An existing plan is replaced by the new one (trials are
    /// content-addressed: those the two share are kept); a directory that is not a sweep is refused.
    public static func prepare(_ spec: SweepSpec, machines: [String], threads: Int, directory: String, vigilVersion: String) throws -> SweepPlan {
        let layout = SweepLayout(root: directory)
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw SweepError.notASweepDirectory(directory) }
            let visible = try fm.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }
            if !visible.isEmpty && !fm.fileExists(atPath: layout.plan) { throw SweepError.notASweepDirectory(directory) }
        }
        var points = try spec.points()
        // `threads: auto` becomes a number before hashing: TranAD's results depend on its worker count
        for i in points.indices where points[i].config.threads == nil {
            let r = try points[i].config.resolved.setting("threads", .int(threads), origin: .commandLine(argument: "auto: sweep threads per trial"))
            points[i].config = try ExperimentConfig(r)
        }
        try fm.createDirectory(atPath: layout.configs, withIntermediateDirectories: true)
        var planPoints: [SweepPlan.Point] = []
        var trials: [SweepPlan.Trial] = []
        for (p, point) in points.enumerated() {
            let sha = point.config.sha256
            let path = layout.config(sha)
            if !fm.fileExists(atPath: path) {
                try AtomicFile.write(point.config.resolved.yaml(header: "Resolved config of a sweep point (config_sha256 \(sha))."), to: path)
            }
            planPoints.append(SweepPlan.Point(configSHA256: sha, swept: point.swept.mapValues(JSONValue.init)))
            for m in machines {
                trials.append(SweepPlan.Trial(index: trials.count, id: trialID(configSHA256: sha, machine: m), machine: m, point: p, configSHA256: sha))
            }
        }
        let models = points.first?.config.allModels.map(\.rawValue) ?? []
        let plan = SweepPlan(source: spec.source, created: ISO8601DateFormatter().string(from: Date()), vigilVersion: vigilVersion,
                             selection: spec.selection.rawValue, sweptKeys: spec.sweptKeys, models: models, machines: machines,
                             threads: threads, points: planPoints, trials: trials, scoresFrom: spec.scoresFrom)
        if let old = try? read(layout), old.trials == plan.trials, old.points == plan.points { return old }
        try AtomicFile.write(try JSONOutput.encode(plan), to: layout.plan)
        return plan
    }

    /// Reads `sweep.json`.
    public static func read(_ layout: SweepLayout) throws -> SweepPlan {
        guard let data = FileManager.default.contents(atPath: layout.plan) else { throw SweepError.notASweepDirectory(layout.root) }
        do { return try JSONOutput.decode(SweepPlan.self, from: data) } catch {
            throw SweepError.damaged(path: layout.plan, reason: "unreadable sweep plan (\(error))")
        }
    }

    /// The resolved config of a point, checked against its hash.
    public static func config(_ sha: String, layout: SweepLayout) throws -> ExperimentConfig {
        let path = layout.config(sha)
        let c: ExperimentConfig
        do { c = try ExperimentConfig(try ResolvedConfig.load(path: path)) } catch {
            throw SweepError.damaged(path: path, reason: "the stored config does not load: \(error)")
        }
        guard c.sha256 == sha else { throw SweepError.damaged(path: path, reason: "its sha256 differs from its name (was it edited?)") }
        return c
    }
}

/// Errors of sweeps, each saying what to do.
public enum SweepError: Error, CustomStringConvertible, Equatable {
    case notASweepDirectory(String)
    case damaged(path: String, reason: String)
    case indexOutOfRange(index: Int, count: Int, directory: String)
    case noMachines(String)
    case executor(String)

    public var description: String {
        switch self {
        case .notASweepDirectory(let d):
            return "\(d) is not a sweep directory (no sweep.json) and is not empty; choose another --out"
        case let .damaged(p, r):
            return "\(p): \(r)"
        case let .indexOutOfRange(i, n, d):
            return "trial index \(i) is out of range: \(d) has \(n) trials (0…\(max(0, n - 1)))"
        case .noMachines(let why):
            return why
        case .executor(let why):
            return why
        }
    }
}
