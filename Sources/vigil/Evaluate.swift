import ArgumentParser
import Foundation
import VigilData
import VigilExperiments
import VigilIsolationForest
import VigilScores
import VigilThresholds
import VigilTranAD

/// `vigil evaluate`: the main job — train, score, calibrate, measure, report and export on one dataset.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Train TranAD and an Isolation Forest on an SMD machine (or a CSV/.npy directory), evaluate, report and export.",
        discussion: """
        Steps: install the machine if it is missing (from --mirror or the network, verified against the manifest), \
        load it (min-max scaled with training statistics, HDF5 cache), fit each model on the training rows, score \
        train and test, calibrate thresholds, compute every metric, and write into --out:
          report.md, report.json          metrics per model and threshold method
          scores/<model>.h5               train and test scores (aggregate and per dimension) for re-evaluation
          export/<model>/                 checkpoint.h5|model.h5, scorer_state.json, norm_params.npy
        Threshold methods: pot_train and percentile_train_P are deployable (training scores only; pot_train is \
        exported); pot_stream_reference_static is the TranAD protocol (streams TEST scores); best_f1_ORACLE_* reads \
        TEST LABELS and is an upper bound, never a result.
        """
    )

    @Option(help: "SMD machine to evaluate (e.g. machine-2-1).")
    var machine: String?

    @Option(help: "Instead of SMD: a directory with train.csv|npy, test.csv|npy, labels.csv|npy (see datasets/README.md).")
    var dataDir: String?

    @Option(help: "SMD dataset root (raw files and processed/ cache).")
    var dataRoot: String = "datasets/SMD"

    @Option(help: "Install a missing machine from this local mirror directory instead of the network.")
    var mirror: String?

    @Option(help: "Comma-separated models: tranad, iforest.")
    var models: String = "tranad,iforest"

    @Option(help: "Output directory (default results/<dataset>).")
    var out: String?

    @OptionGroup(title: "TranAD model and training (--seed also seeds the Isolation Forest)")
    var tranad: TranADOptions

    @Option(help: "Isolation Forest trees.")
    var trees: Int = 100

    @Option(help: "Worker threads (default: all cores). Same seed and threads give the same numbers.")
    var threads: Int?

    @Option(help: "POT risk q.")
    var potQ: Double = 1e-5

    @Option(help: "POT initial level (quantile of the calibration scores).")
    var potLevel: Double = 0.99995

    @Option(help: "POT threshold multiplier (the reference's SMD setting is 1.06).")
    var potScale: Double = 1.06

    @Option(help: "Percentile (0-100) of training scores reported as a second deployable threshold.")
    var percentile: Double = 99

    func validate() throws {
        guard (machine == nil) != (dataDir == nil) else { throw ValidationError("give exactly one of --machine or --data-dir") }
        if let m = machine, !SMD.allMachines.contains(m) {
            throw ValidationError("unknown SMD machine '\(m)'; valid names: \(SMD.allMachines.joined(separator: ", "))")
        }
        guard trees >= 1 else { throw ValidationError("--trees must be at least 1") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        guard (0...100).contains(percentile) else { throw ValidationError("--percentile must be in 0...100") }
        for m in modelList where !["tranad", "iforest"].contains(m) {
            throw ValidationError("unknown model '\(m)'; choose from tranad, iforest")
        }
    }

    var modelList: [String] { models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        let dataset = try loadDataset()
        var detectors: [AnomalyDetector] = []
        for m in modelList {
            switch m {
            case "tranad":
                let d = TranADDetector(config: try tranad.makeConfig(), workers: threads)
                let bar = LineProgress()
                d.batchProgress = { p in
                    bar.update("tranad epoch \(p.epoch)/\(p.epochs)", done: p.batch, total: p.batches,
                               suffix: String(format: "loss %.6f", p.meanLoss), finished: p.batch == p.batches)
                }
                detectors.append(d)
            default:
                detectors.append(IsolationForestAnomalyDetector(configuration: .init(nEstimators: trees, seed: tranad.seed)))
            }
        }
        let plan = EvaluationPlan(pot: POTParameters(q: potQ, level: potLevel, scale: potScale), percentile: percentile)
        let outDir = out ?? "results/\(dataset.name)"
        let command = (["vigil"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let outcome = try EvaluationRunner.run(dataset: dataset, detectors: detectors, plan: plan, outputDirectory: outDir,
                                               vigilVersion: vigilVersion, command: command) { printErr($0) }
        print(outcome.report.markdown())
        print("wrote:")
        for f in outcome.files { print("  \(f)") }
        if !outcome.failures.isEmpty { throw ExitCode(1) }
    }

    private func loadDataset() throws -> AnomalyDataset {
        if let dir = dataDir { return try GenericDatasetLoader.load(directory: dir) }
        let name = machine!
        let loader = SMDLoader(root: dataRoot)
        if !loader.installedMachines().contains(name) {
            let man = try Manifest(contentsOf: dataRoot + "/MANIFEST.sha256")
            let source: SMDSource = mirror.map { .mirror($0) } ?? .network(URLSessionTransport(timeout: 60), RetryPolicy(maxAttempts: 4))
            let report = try SMDInstaller(manifest: man, destination: dataRoot, source: source, progress: StderrProgressBar())
                .install(machines: [name])
            guard report.complete.contains(name) else {
                let reason = report.unavailable.first.map { $0.reason.description }
                    ?? report.failures.first.map { "\($0.path): \($0.error.description)" } ?? "unknown reason"
                throw CLIError("\(name) could not be installed: \(reason)")
            }
        }
        let (ds, status) = try loader.loadWithStatus(name)
        printErr("\(name): \(ds.train.rows) train rows, \(ds.test.rows) test rows, \(ds.dimensions) dims (cache: \(status))")
        return ds
    }
}
