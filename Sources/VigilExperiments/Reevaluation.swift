// `vigil evaluate RUN-DIR`: recompute every calibration, metric, summary and report of a finished run from its
// stored scores and labels, without retraining. On an untouched run it reproduces every metrics.json byte for
// byte; after an upgrade, new metrics and calibrations apply to old runs.
import Foundation
import VigilIO
import VigilConfig
import VigilReport
import VigilMetrics
import VigilResults
import VigilScores

/// Re-evaluates stored runs.
public enum Reevaluation {
    /// What a re-evaluation did.
    public struct Outcome: Sendable {
        /// Machines re-evaluated, and whether their metrics.json changed.
        public var machines: [(name: String, changed: Bool)]
        public var summary: RunSummary
        public var files: [String]
    }

    /// Re-evaluates every complete machine of the run at `directory` with the run's own config.
    public static func run(directory: String, events: UnitEventSink = SilentUnitEvents()) throws -> Outcome {
        let layout = RunLayout(root: directory)
        let manifest = try ExperimentRun.readManifest(layout)
        let config: ExperimentConfig
        do {
            config = try ExperimentConfig(try ResolvedConfig.load(path: layout.resolvedConfig))
        } catch let e as ConfigError {
            throw ExperimentError.damagedResult(path: layout.resolvedConfig, reason: "the stored config does not load: \(e)")
        }
        // a run made before the schema gained keys recorded fewer of them: it is identified by those it had (the added
        // ones at their defaults, as the older Vigil computed them), so new metrics apply to old runs
        let recordedKeys = Set(manifest.config.leafPaths)
        guard config.sha256 == manifest.configSHA256
                || config.resolved.sha256(underOlderSchemaWith: recordedKeys) == manifest.configSHA256 else {
            throw ExperimentError.damagedResult(path: layout.resolvedConfig,
                                                reason: "its sha256 \(config.sha256.prefix(12))… differs from run.json's \(manifest.configSHA256.prefix(12))… (was it edited?)")
        }
        let units = layout.completeMachines()
        guard !units.isEmpty else { throw ExperimentError.nothingToRun("\(directory) has no complete machine to re-evaluate") }
        var done: [(String, Bool)] = []
        for u in units {
            let before = try ExperimentRun.readMetrics(layout, u)
            guard before.configSHA256 == manifest.configSHA256 else {
                throw ExperimentError.configMismatch(directory: layout.machine(u), stored: before.configSHA256, current: manifest.configSHA256)
            }
            events.send(UnitEvent(unit: u, kind: .stageStarted, stage: "evaluate"))
            let after = try reevaluate(u, layout: layout, stored: before, config: config)
            let newData = try after.jsonData()
            let metricsPath = (layout.machine(u) as NSString).appendingPathComponent(RunLayout.MachineFile.metrics)
            let oldData = FileManager.default.contents(atPath: metricsPath) ?? Data()
            if oldData != newData { try AtomicFile.write(newData, to: metricsPath) }
            try AtomicFile.write(MachineReport.markdown(after), to: (layout.machine(u) as NSString).appendingPathComponent(RunLayout.MachineFile.report))
            done.append((u, oldData != newData))
            events.send(UnitEvent(unit: u, kind: .stageFinished, stage: "evaluate"))
        }
        // the run's own wall time and environment stay (re-evaluation recomputes numbers, not provenance)
        let previous = FileManager.default.contents(atPath: layout.summary).flatMap { try? JSONOutput.decode(RunSummary.self, from: $0) }
        let (summary, files) = try ExperimentRun.writeSummary(layout: layout, units: units, incomplete: previous?.incomplete ?? [:],
                                                              environment: previous?.environment, wallSeconds: previous?.wallSeconds)
        return Outcome(machines: done, summary: summary, files: files)
    }

    /// New metrics of one machine from its stored scores and labels; models without stored scores keep their failure.
    static func reevaluate(_ unit: String, layout: RunLayout, stored: MachineMetrics, config: ExperimentConfig) throws -> MachineMetrics {
        let dir = layout.machine(unit)
        let labelPath = (dir as NSString).appendingPathComponent(RunLayout.MachineFile.labels)
        let labels: EvaluationLabels
        do { labels = try LabelStore.read(labelPath) } catch {
            throw ExperimentError.damagedResult(path: labelPath, reason: "cannot read the stored labels (\(error))")
        }
        var out = stored
        for name in stored.modelOrder where stored.models[name] != nil {
            let repeats = max(1, stored.models[name]?.seedRuns?.count ?? 1)
            do {
                var first: ModelMetrics? = nil
                var runs: [SeedRun] = []
                for k in 0..<repeats {
                    let path = ScoreReuse.scoreFile(model: name, unit: dir, repeat: k)
                        ?? (dir as NSString).appendingPathComponent(RunLayout.MachineFile.scores(name, repeat: k))
                    let scores: StoredScores
                    do { scores = try ScoreFile.read(path) } catch {
                        throw ExperimentError.damagedResult(path: path, reason: "cannot read the stored scores (\(error))")
                    }
                    let m = try ScoreEvaluation.evaluate(scores, labels: labels, calibration: config.calibration,
                                                         validation: config.validation,
                                                         options: MetricsOptions(vusWindow: config.vusWindow),
                                                         transform: config.accuracy.transform)
                    if k == 0 { first = m }
                    runs.append(SeedRun(seed: config.seed(repeat: k), flat: m.flat, oracle: m.oracle))
                }
                if repeats > 1 { first?.seedRuns = runs }
                first?.exportRefused = stored.models[name]?.exportRefused   // what the run's export did
                out.models[name] = first
                out.failures[name] = nil
            } catch let e as ExperimentError {
                throw e
            } catch {
                out.models[name] = nil
                out.failures[name] = String(describing: error)
            }
        }
        out.config = JSONValue(config.resolved.tree())
        return out
    }
}
