// `vigil run`: a config and a run directory in, every machine run (resuming what is complete), one summary and
// report out. The directory is tied to one config: results of two experiments never mix.
import Foundation
import VigilIO
import VigilConfig
import VigilData
import VigilMetrics
import VigilReport
import VigilResults

/// A run of one config into one directory.
public final class ExperimentRun {
    public let config: ExperimentConfig
    public let layout: RunLayout
    public let environment: RunEnvironment
    public let command: String
    /// Threads per unit (models' worker threads).
    public let threads: Int

    /// What a run did, for the command's exit status and its last lines.
    public struct Outcome: Sendable {
        /// Units run now and how they ended.
        public var results: [String: UnitResult]
        /// Units already complete before this run started (skipped).
        public var skipped: [String]
        /// Requested machines that could not be installed.
        public var unavailable: [(name: String, reason: String)]
        public var summary: RunSummary
        /// Files written at the top of the run directory.
        public var files: [String]
        /// True when every requested unit is complete and no model failed.
        public var succeeded: Bool
    }

    /// `threads`: per-unit worker threads (from the config, or cores / jobs for `auto`).
    public init(config: ExperimentConfig, directory: String, threads: Int, environment: RunEnvironment, command: String) {
        self.config = config
        self.layout = RunLayout(root: directory)
        self.threads = threads
        self.environment = environment
        self.command = command
    }

    /// Threads per unit: the config's `threads`, or the cores divided between `jobs` parallel units (at least 1).
    public static func threadsPerUnit(config: ExperimentConfig, jobs: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        config.threads ?? max(1, cores / max(1, jobs))
    }

    /// Checks the directory before any work: absent, empty, or a run of the same config (resume). Writes run.json and
    /// config.yaml when starting afresh.
    public func prepareDirectory() throws {
        let fm = FileManager.default
        // dead writers' temporary files beside the run directory and inside it (killed runs)
        StaleFiles.removeStale(in: (layout.root as NSString).deletingLastPathComponent.isEmpty ? "." : (layout.root as NSString).deletingLastPathComponent)
        if fm.fileExists(atPath: layout.root) { StaleFiles.removeStale(in: layout.root) }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: layout.root, isDirectory: &isDir) {
            guard isDir.boolValue else { throw ExperimentError.notARunDirectory(layout.root) }
            if fm.fileExists(atPath: layout.runManifest) {
                let stored = try Self.readManifest(layout)
                guard stored.configSHA256 == config.sha256 else {
                    throw ExperimentError.configMismatch(directory: layout.root, stored: stored.configSHA256, current: config.sha256)
                }
                // the same experiment: keep its manifest, refresh the resolved config (machine selection, mirror)
                var refreshed = stored
                refreshed.config = JSONValue(config.resolved.tree())
                if refreshed != stored {
                    try AtomicFile.write(config.resolved.yaml(header: Self.configHeader(config)), to: layout.resolvedConfig)
                    try AtomicFile.write(try JSONOutput.encode(refreshed), to: layout.runManifest)
                }
                return
            }
            let visible = (try fm.contentsOfDirectory(atPath: layout.root)).filter { !$0.hasPrefix(".") }
            guard visible.isEmpty else { throw ExperimentError.notARunDirectory(layout.root) }
        }
        try fm.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
        let manifest = RunManifest(configSHA256: config.sha256, config: JSONValue(config.resolved.tree()),
                                   created: ISO8601DateFormatter().string(from: Date()), vigilVersion: environment.vigilVersion,
                                   command: command)
        try AtomicFile.write(config.resolved.yaml(header: Self.configHeader(config)), to: layout.resolvedConfig)
        try AtomicFile.write(try JSONOutput.encode(manifest), to: layout.runManifest)
    }

    static func configHeader(_ config: ExperimentConfig) -> String {
        "Resolved config of this run (config_sha256 \(config.sha256)).\nEvery key is listed; a comment says where a non-default value was set."
    }

    /// Reads and checks `run.json`.
    public static func readManifest(_ layout: RunLayout) throws -> RunManifest {
        guard let data = FileManager.default.contents(atPath: layout.runManifest) else {
            throw ExperimentError.notARunDirectory(layout.root)
        }
        do { return try JSONOutput.decode(RunManifest.self, from: data) } catch {
            throw ExperimentError.damagedResult(path: layout.runManifest, reason: "unreadable run manifest (\(error))")
        }
    }

    /// A run directory whose units' stored scores are re-evaluated instead of fitting and scoring again, where they
    /// were computed by a config with the same scores identity (`vigil run --scores-from`; `ScoreReuse`).
    public var scoresFrom: String?

    /// The job of one unit.
    public func job(_ unit: String) -> MachineJob {
        var j = MachineJob(name: unit, config: config, threads: threads, runDirectory: layout.root, environment: environment, command: command)
        j.scoresFrom = scoresFrom.map { RunLayout(root: $0).machine(unit) }
        return j
    }

    /// Runs `units` that are not complete yet with `executor`, then writes the summary and reports over every requested
    /// unit that is complete.
    public func run(units: [String], unavailable: [(name: String, reason: String)], selectedAll: Bool,
                    executor: UnitExecutor, events: UnitEventSink) throws -> Outcome {
        let start = Date()
        let skipped = units.filter { isComplete($0) }
        let todo = units.filter { !skipped.contains($0) }
        for s in skipped { events.send(UnitEvent(unit: s, kind: .note, detail: "already complete, skipped")) }
        let results = executor.execute(todo, events: events)
        var incomplete: [String: String] = [:]
        for u in todo where !isComplete(u) {
            if case .failed(let why)? = results[u] { incomplete[u] = why } else { incomplete[u] = "not run (interrupted)" }
        }
        for (u, why) in unavailable where !selectedAll { incomplete[u] = "unavailable: \(why)" }
        let (summary, files) = try writeSummary(units: units.filter { isComplete($0) }, incomplete: incomplete,
                                                wallSeconds: Date().timeIntervalSince(start))
        let modelFailures = summary.machines.contains { !$0.failures.isEmpty }
        return Outcome(results: results, skipped: skipped, unavailable: unavailable, summary: summary, files: files,
                       succeeded: incomplete.isEmpty && !modelFailures)
    }

    /// A unit is complete when its directory was published and its metrics are of this config.
    public func isComplete(_ unit: String) -> Bool {
        guard layout.isComplete(unit) else { return false }
        guard let m = try? Self.readMetrics(layout, unit) else { return false }
        return m.configSHA256 == config.sha256
    }

    /// Reads `<unit>/metrics.json`.
    public static func readMetrics(_ layout: RunLayout, _ unit: String) throws -> MachineMetrics {
        let path = (layout.machine(unit) as NSString).appendingPathComponent(RunLayout.MachineFile.metrics)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExperimentError.damagedResult(path: path, reason: "missing")
        }
        do { return try JSONOutput.decode(MachineMetrics.self, from: data) } catch {
            throw ExperimentError.damagedResult(path: path, reason: "unreadable metrics (\(error))")
        }
    }

    /// Writes summary.json, report.md and report.html over `units` (all complete).
    public func writeSummary(units: [String], incomplete: [String: String], wallSeconds: Double?) throws -> (RunSummary, [String]) {
        try Self.writeSummary(layout: layout, units: units, incomplete: incomplete, environment: environment, wallSeconds: wallSeconds)
    }

    /// Metrics POOLED over machines for `model` (first seed): point-wise P/R/F1 and alarm rate from the summed confusion
    /// counts at each machine's exported threshold, and ROC-AUC, PR-AUC and VUS-PR of the machines' test scores
    /// concatenated (machine order). Score scales differ between machines, which the concatenated AUCs inherit: they
    /// answer "one threshold-free ranking over all machines", the per-machine mean answers "a typical machine".
    static func pooledMetrics(_ model: String, layout: RunLayout, metrics: [MachineMetrics], vusWindow: Int) -> [String: Double?] {
        var tp = 0, fp = 0, fn = 0, tn = 0
        var scores: [Double] = [], labels: [Bool] = []
        var complete = true
        for m in metrics {
            guard let mm = m.models[model], let rep = mm.calibrations[mm.thresholdMethod] else { continue }
            let p = rep.atThreshold.pointwise
            tp += p.tp; fp += p.fp; fn += p.fn; tn += p.tn
            let dir = layout.machine(m.machine) as NSString
            guard complete, let s = try? ScoreFile.read(dir.appendingPathComponent(RunLayout.MachineFile.scores(model))),
                  let l = try? LabelStore.read(dir.appendingPathComponent(RunLayout.MachineFile.labels)), l.labels.count == s.test.rows else {
                complete = false
                continue
            }
            scores += s.test.aggregate
            labels += l.labels
        }
        let prf = PRF(tp: tp, fp: fp, fn: fn, tn: tn)
        let total = tp + fp + fn + tn
        var out: [String: Double?] = [
            "pw_precision": prf.precision, "pw_recall": prf.recall, "pw_f1": prf.f1,
            "alarm_rate": total > 0 ? Double(tp + fp) / Double(total) : nil,
        ]
        if complete && !scores.isEmpty {
            out["roc_auc"] = RankingMetrics.rocAUC(scores: scores, labels: labels)
            out["pr_auc"] = RankingMetrics.averagePrecision(scores: scores, labels: labels)
            out["vus_pr"] = (try? VUS.compute(scores: scores, labels: labels, window: vusWindow))??.pr
        }
        return out
    }

    /// Summary and reports of a run directory from its stored results (used by `vigil run` and `vigil evaluate RUN-DIR`).
    public static func writeSummary(layout: RunLayout, units: [String], incomplete: [String: String], environment: RunEnvironment?,
                                    wallSeconds: Double?) throws -> (RunSummary, [String]) {
        let manifest = try readManifest(layout)
        var metrics: [MachineMetrics] = []
        var provenance: [String: MachineProvenance] = [:]
        for u in units {
            metrics.append(try readMetrics(layout, u))
            let p = (layout.machine(u) as NSString).appendingPathComponent(RunLayout.MachineFile.provenance)
            if let d = FileManager.default.contents(atPath: p), let prov = try? JSONOutput.decode(MachineProvenance.self, from: d) {
                provenance[u] = prov
            }
        }
        let models = metrics.first?.modelOrder ?? []
        let seed: String
        if case .object(let o) = manifest.config, let s = o["seed"] {
            switch s { case .int(let i): seed = String(i); case .string(let t): seed = t; default: seed = "0" }
        } else { seed = "0" }
        var seeds = 1, vusWindow = 0
        if case .object(let o) = manifest.config {
            if case .int(let n)? = o["seeds"] { seeds = n }
            if case .object(let e)? = o["evaluation"], case .int(let w)? = e["vus_window"] { vusWindow = w }
        }
        let pooled = models.reduce(into: [String: [String: Double?]]()) { out, model in
            out[model] = pooledMetrics(model, layout: layout, metrics: metrics, vusWindow: vusWindow)
        }
        let summary = RunSummary(manifest: manifest, seed: seed, seeds: seeds, models: models, metrics: metrics, provenance: provenance,
                                 pooled: pooled, incomplete: incomplete, environment: environment ?? provenance.values.first?.environment,
                                 wallSeconds: wallSeconds, created: ISO8601DateFormatter().string(from: Date()))
        try AtomicFile.write(try JSONOutput.encode(summary), to: layout.summary)
        try AtomicFile.write(RunReport.markdown(summary), to: layout.reportMarkdown)
        try AtomicFile.write(RunReport.html(summary, layout: layout), to: layout.reportHTML)
        return (summary, [layout.summary, layout.reportMarkdown, layout.reportHTML])
    }
}
