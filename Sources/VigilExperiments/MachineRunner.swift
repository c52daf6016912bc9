// One unit of a run: one machine (or dataset) through every model — load, fit, score, evaluate, export — built
// in a staging directory and published as DIR/<machine>/ only when complete. Sweeps run their trials through
// this same function; only the dispatch (in process, child processes, Slurm) differs.
import Foundation
import VigilIO
import VigilConfig
import VigilData
import VigilExport
import VigilHDF5
import VigilMetrics
import VigilReport
import VigilResults
import VigilScores

/// What one unit computes and where it publishes.
public struct MachineJob: Sendable {
    /// SMD machine name, or the dataset name of a `data.dir` run.
    public var name: String
    public var config: ExperimentConfig
    /// Worker threads of every model.
    public var threads: Int
    /// The run directory; the unit publishes `<runDirectory>/<name>/`.
    public var runDirectory: String
    public var environment: RunEnvironment
    public var command: String
    /// Where the unit is published (default `<runDirectory>/<name>`; a sweep trial publishes `trials/<id>`).
    public var destination: String
    /// The unit's name in progress events (default `name`; a sweep trial's id).
    public var label: String
    /// Writes extra files into the staging directory (its path given) after everything else, before publishing
    /// (a sweep trial's `result.json`).
    public var finalize: (@Sendable (String, MachineMetrics, MachineProvenance) throws -> Void)?

    public init(name: String, config: ExperimentConfig, threads: Int, runDirectory: String, environment: RunEnvironment, command: String,
                destination: String? = nil, finalize: (@Sendable (String, MachineMetrics, MachineProvenance) throws -> Void)? = nil) {
        self.name = name; self.config = config; self.threads = threads; self.runDirectory = runDirectory
        self.environment = environment; self.command = command
        self.destination = destination ?? RunLayout(root: runDirectory).machine(name)
        self.label = name
        self.finalize = finalize
    }
}

/// Runs one unit.
public enum MachineRunner {
    /// Loads the data, then for each model: fit on train, score train and test, evaluate every calibration, prepare the
    /// export of the deployable one; writes metrics.json, then each model's bundle (its eval_results.json is that
    /// metrics.json), provenance.json, loss.csv, labels.h5, scores/, export/ and report.md into a staging directory and
    /// publishes it. A model that fails is recorded in metrics.json (`failures`) and the others
    /// go on; a failure of the unit itself (data, disk) throws and publishes nothing.
    @discardableResult
    public static func run(_ job: MachineJob, events: UnitEventSink) throws -> MachineMetrics {
        let started = Date()
        let stage = try StagingDirectory(destination: job.destination, replace: .always)
        defer { if !stage.isPublished { stage.discard() } }
        let clock = StageClock(unit: job.label, sink: events)
        let config = job.config

        let (dataset, cache) = try clock.stage("data") { try DataSource.load(job.name, config: config) }
        events.send(UnitEvent(unit: job.label, kind: .note, stage: "data",
                              detail: "\(dataset.train.rows) train rows, \(dataset.test.rows) test rows, \(dataset.dimensions) dimensions" + (cache.map { " (\($0))" } ?? "")))
        // validation block: the last `validation.fraction` of the training rows, held out of the fit; a copy with
        // injected synthetic anomalies is scored after the fitted rows, so its windows see real history
        let split = try ValidationSplit(dataset.train, settings: config.validation, seed: config.seed, unit: job.name)
        let labels = EvaluationLabels(labels: dataset.labels.map { $0 != 0 },
                                      interpretation: dataset.interpretationLabels.map { $0.map { $0 != 0 } },
                                      dimensions: dataset.dimensions, validation: split?.labels)
        try FileManager.default.createDirectory(atPath: stage.file("scores"), withIntermediateDirectories: true)
        try LabelStore.write(labels, sourceSHA256: dataset.sourceSHA256, to: stage.file(RunLayout.MachineFile.labels))
        let fitRows = split?.fit ?? dataset.train

        let losses = LossLog()
        var models: [String: ModelMetrics] = [:]
        var failures: [String: String] = [:]
        var trainingLog: [String: [String]] = [:]
        /// Fits, scores (stored as scores/<model>[.seed<k>].h5) and evaluates repeat `k` of `kind`.
        func evaluate(_ kind: ModelKind, repeat k: Int) throws -> (AnomalyDetector, StoredScores, ModelMetrics) {
            let name = kind.rawValue, suffix = k == 0 ? "" : " seed \(config.seed(repeat: k))"
            let c = config.repeating(k)
            let detector = DetectorFactory.make(kind, config: c, threads: job.threads, unit: job.label, events: events,
                                                losses: k == 0 ? losses : nil)
            var log: [String] = []
            try clock.stage("fit \(name)\(suffix)") {
                try detector.fit(fitRows) { line in log.append(line) }
            }
            trainingLog[name + suffix.replacingOccurrences(of: " ", with: "_"), default: []] += log
            let scores = try clock.stage("score \(name)\(suffix)") { () throws -> StoredScores in
                let test = try detector.score(dataset.test)
                guard let split else { return StoredScores(train: try detector.score(dataset.train), test: test) }
                let all = try detector.score(dataset.train)          // fitted rows, then the clean validation block
                let injected = try detector.score(split.fit.appending(split.injected)).rows(split.fit.rows..<(split.fit.rows + split.injected.rows))
                return StoredScores(train: all.rows(0..<split.fit.rows), test: test,
                                    validationClean: all.rows(split.fit.rows..<all.rows), validationInjected: injected)
            }
            try ScoreFile.write(scores, to: stage.file(RunLayout.MachineFile.scores(name, repeat: k)))
            let metrics = try clock.stage("evaluate \(name)\(suffix)") {
                try ScoreEvaluation.evaluate(scores, labels: labels, calibration: config.calibration, validation: config.validation,
                                             options: MetricsOptions(vusWindow: config.vusWindow))
            }
            return (detector, scores, metrics)
        }

        var exports: [ExportPlan] = []
        for kind in config.allModels {
            let name = kind.rawValue
            do {
                var (detector, scores, metrics) = try evaluate(kind, repeat: 0)
                if config.repeats(of: kind) > 1 {
                    var runs = [SeedRun(seed: config.seed(repeat: 0), flat: metrics.flat, oracle: metrics.oracle)]
                    for k in 1..<config.repeats(of: kind) {
                        let (_, _, m) = try evaluate(kind, repeat: k)
                        runs.append(SeedRun(seed: config.seed(repeat: k), flat: m.flat, oracle: m.oracle))
                    }
                    metrics.seedRuns = runs
                }
                models[name] = metrics
                // the bundle is computed now (a model-specific failure fails this model) and written after metrics.json
                let env = job.environment
                exports.append(try ExportPlan.prepare(
                    detector: detector, trainScores: scores.train, calibration: ScoreEvaluation.exported(config.calibration),
                    normalizer: dataset.normalizer,
                    provenance: ExportProvenance(vigilVersion: env.vigilVersion, vigilCommit: env.gitCommit, vigilDirty: env.gitDirty,
                                                 unit: job.name, dataset: dataset.name, datasetSHA256: dataset.sourceSHA256,
                                                 configSHA256: config.sha256, command: job.command, trainingRows: fitRows.rows,
                                                 modelSettings: detector.provenance)))
            } catch {
                failures[name] = String(describing: error)
                models[name] = nil
                events.send(UnitEvent(unit: job.label, kind: .note, stage: name, detail: "FAILED: \(error)"))
            }
        }

        let metrics = MachineMetrics(
            machine: job.name, configSHA256: config.sha256, config: JSONValue(config.resolved.tree()),
            dataset: DatasetFacts(name: dataset.name, trainRows: dataset.train.rows, testRows: dataset.test.rows,
                                  dimensions: dataset.dimensions, anomalousTestPoints: labels.labels.filter { $0 }.count,
                                  anomalySegments: DetectionMetrics.segments(labels.labels).count, sourceSHA256: dataset.sourceSHA256),
            models: models, failures: failures, modelOrder: config.allModels.map(\.rawValue))
        let metricsJSON = try metrics.jsonData()
        try clock.stage("report") {
            try AtomicFile.write(metricsJSON, to: stage.file(RunLayout.MachineFile.metrics))
            try AtomicFile.write(losses.csv, to: stage.file(RunLayout.MachineFile.loss))
            try AtomicFile.write(MachineReport.markdown(metrics), to: stage.file(RunLayout.MachineFile.report))
        }
        for plan in exports {   // eval_results.json of every bundle is this machine's metrics.json
            let model = plan.state.model
            _ = try clock.stage("export \(model)") { try plan.write(to: stage.file(RunLayout.MachineFile.export(model)), evalResults: metricsJSON) }
        }
        let provenance = MachineProvenance(
            machine: job.name, configSHA256: config.sha256, command: job.command,
            started: ISO8601DateFormatter().string(from: started), finished: ISO8601DateFormatter().string(from: Date()),
            threads: job.threads, environment: job.environment, inputSHA256: dataset.sourceSHA256, dataCache: cache,
            stages: clock.timings, totalSeconds: Date().timeIntervalSince(started),
            peakRSSBytes: clock.timings.map(\.peakRSSBytes).max() ?? 0, trainingLog: trainingLog)
        try AtomicFile.write(try JSONOutput.encode(provenance), to: stage.file(RunLayout.MachineFile.provenance))
        try job.finalize?(stage.path, metrics, provenance)
        try stage.publish()
        events.send(UnitEvent(unit: job.label, kind: .completed, detail: job.destination))
        return metrics
    }
}

/// The training rows split into the rows a model fits on and a held-out validation block (its end), with a copy of
/// the block carrying injected synthetic anomalies (`SyntheticAnomalies`) and their labels.
struct ValidationSplit {
    /// Rows the models fit on (the first N − V training rows).
    let fit: DataMatrix
    /// The validation block with injected anomalies (V rows) and its labels.
    let injected: DataMatrix
    let labels: [Bool]
    let anomalies: [InjectedAnomaly]

    /// nil when `settings.fraction` is 0. Throws when either part would be too small to be useful.
    init?(_ train: DataMatrix, settings: ValidationSettings, seed: UInt64, unit: String) throws {
        guard settings.fraction > 0 else { return nil }
        let v = Int((Double(train.rows) * settings.fraction).rounded(.down))
        guard v >= 20, train.rows - v >= 20 else {
            throw ExperimentError.nothingToRun("\(unit): validation.fraction \(settings.fraction) of \(train.rows) training rows leaves \(train.rows - v) to fit and \(v) to validate; both need at least 20 rows")
        }
        fit = train.rows(0..<(train.rows - v))
        let block = train.rows((train.rows - v)..<train.rows)
        let inj = SyntheticAnomalies.inject(into: block, reference: fit, settings: settings.injection, seed: seed)
        injected = inj.data
        labels = inj.labels.map { $0 != 0 }
        anomalies = inj.anomalies
    }
}

extension JSONValue {
    /// The JSON form of a config value.
    public init(_ v: ConfigValue) {
        switch v {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .list(let l): self = .array(l.map(JSONValue.init))
        case .map(let m): self = .object(Dictionary(uniqueKeysWithValues: m.map { ($0.key, JSONValue($0.value)) }))
        }
    }
}
