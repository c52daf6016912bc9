import ArgumentParser
import Foundation
import VigilData
import VigilExperiments
import VigilIO
import VigilIsolationForest
import VigilScores
import VigilThresholds
import VigilTranAD

/// `vigil evaluate`: the main job — train, score, calibrate, measure, report and export on one dataset.
public struct Evaluate: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
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

        The run is written into a hidden staging directory beside --out and moved into place when complete, so --out \
        holds the previous run or the new one, never a mix. An existing --out is replaced only if it holds nothing but \
        a previous run's files. Every option is checked before any data is loaded or any model trained.
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

    @Option(help: "Comma-separated models: tranad, iforest (each at most once).")
    var models: String = "tranad,iforest"

    @Option(help: "Output directory (default results/<dataset>).")
    var out: String?

    @OptionGroup(title: "TranAD model and training (--seed also seeds the Isolation Forest)")
    var tranad: TranADOptions

    @Option(parsing: .unconditional, help: "Isolation Forest trees (\(IsolationForest.Configuration.nEstimatorsRange)).", transform: TreeCount.parse)
    var trees = TreeCount(100)

    @OptionGroup(title: "Threads")
    var threadOptions: ThreadOptions

    @OptionGroup(title: "Thresholds")
    var pot: EvaluatePOTOptions

    public func validate() throws {
        guard (machine == nil) != (dataDir == nil) else { throw ValidationError("give exactly one of --machine or --data-dir") }
        if let m = machine, !SMD.allMachines.contains(m) {
            throw ValidationError("unknown SMD machine '\(m)'; valid names: \(SMD.allMachines.joined(separator: ", "))")
        }
        _ = try modelList()
        do { try potParameters.validate() } catch let e as ThresholdError { throw ValidationError(e.description) }
    }

    /// The models in order; unknown names and repeats are usage errors.
    func modelList() throws -> [String] {
        let list = models.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for m in list {
            guard ["tranad", "iforest"].contains(m) else {
                throw ValidationError("unknown model '\(m)' in --models \(models); choose from tranad, iforest")
            }
            guard seen.insert(m).inserted else {
                throw ValidationError("--models names '\(m)' twice; each model is trained once per run (its files would collide)")
            }
        }
        return list
    }

    var potParameters: POTParameters { POTParameters(q: pot.potQ.value, level: pot.potLevel.value, scale: pot.potScale.value) }

    public func run() throws {
        let config = try tranad.makeConfig()
        let outDir = out ?? "results/\(machine ?? ((dataDir ?? "") as NSString).standardizingPath.split(separator: "/").last.map(String.init) ?? "data")"
        var inputs = [NamedPath("--data-root", dataRoot)]
        if let d = dataDir { inputs = [NamedPath("--data-dir", d)] }
        if let m = mirror { inputs.append(NamedPath("--mirror", m)) }
        try checkOutputs([], directories: [NamedPath("--out", outDir)], inputs: inputs)
        let staging = try EvaluationRunner.stage(outDir)   // refuses a non-replaceable --out before any work
        let dataset = try loadDataset()
        var detectors: [AnomalyDetector] = []
        for m in try modelList() {
            switch m {
            case "tranad":
                do { try config.validate(features: dataset.dimensions, workers: threadOptions.count ?? min(ProcessInfo.processInfo.activeProcessorCount, TranADConfig.workersRange.upperBound)) }
                catch let e as TranADConfigError { throw ValidationError(e.description) }
                if config.window > dataset.train.rows {
                    printErr("warning: --window \(config.window) is longer than the \(dataset.train.rows) training rows; every window starts with copies of row 0 (the reference's padding)")
                }
                let d = TranADDetector(config: config, workers: threadOptions.count)
                let bar = LineProgress()
                d.batchProgress = { p in
                    bar.update("tranad epoch \(p.epoch)/\(p.epochs)", done: p.batch, total: p.batches,
                               suffix: String(format: "loss %.6f", p.meanLoss), finished: p.batch == p.batches)
                }
                detectors.append(d)
            default:
                detectors.append(IsolationForestAnomalyDetector(configuration: .init(nEstimators: trees.value, seed: tranad.seed)))
            }
        }
        let plan = EvaluationPlan(pot: potParameters, percentile: pot.percentile.value)
        let command = (["vigil"] + VigilCLI.currentArguments).joined(separator: " ")
        let stagingPath = staging.path, shown = "\(outDir) (being built in \((stagingPath as NSString).lastPathComponent))"
        let outcome: EvaluationRunner.Outcome
        do {
            outcome = try EvaluationRunner.run(dataset: dataset, detectors: detectors, plan: plan, staging: staging,
                                               vigilVersion: vigilVersion, command: command) { printErr($0.replacingOccurrences(of: stagingPath, with: outDir)) }
        } catch {   // name the output directory the user gave, not the hidden staging path
            throw CLIError("\(error)".replacingOccurrences(of: stagingPath, with: shown))
        }
        print(outcome.report.markdown())
        print("wrote:")
        for f in outcome.files { print("  \(f)") }
        if !outcome.failures.isEmpty {
            throw CLIError("model(s) failed: \(outcome.failures.keys.sorted().joined(separator: ", ")) (reasons above and in report.md)")
        }
    }

    private func loadDataset() throws -> AnomalyDataset {
        if let dir = dataDir { return try GenericDatasetLoader.load(directory: dir) }
        guard let name = machine else { throw ValidationError("give exactly one of --machine or --data-dir") }
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
        if case .rebuilt(let reason) = status { printErr("warning: \(name): the processed cache was rebuilt from the sources (\(reason))") }
        printErr("\(name): \(ds.train.rows) train rows, \(ds.test.rows) test rows, \(ds.dimensions) dims (cache: \(status))")
        return ds
    }
}
