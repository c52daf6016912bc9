// The typed form of a resolved run config: what the experiment layer builds detectors, calibrations and
// metrics from. Cross-key rules (that one key makes sense with another) are checked here, naming both keys.
import Foundation
import VigilData
import VigilIsolationForest
import VigilThresholds
import VigilTranAD
import VigilTransforms

/// Where a run's data comes from.
public enum DataSelection: Equatable, Sendable {
    /// SMD machines under `root` (installed from `mirror` or the network when missing); `machines == nil` = all.
    case smd(machines: [String]?, root: String, mirror: String?)
    /// One dataset directory of one's own (train, test, labels as .csv or .npy).
    case directory(String)
}

/// Calibration settings: the thresholds every model gets and which deployable one is exported.
public struct CalibrationSettings: Equatable, Sendable {
    public var pot: POTParameters
    public var percentile: Double
    public var export: ExportedCalibration
    /// `calibration.validation_pot`, `calibration.validation_percentile`: the calibrations on the validation block.
    public var validationPOT: POTParameters = POTParameters(q: 1e-3, level: 0.98, scale: 1)
    public var validationPercentile: Double = 99.5
    /// `calibration.dynamic.*`: Hundman et al.'s dynamic threshold (reads past scores).
    public var dynamic: DynamicThresholdParameters = DynamicThresholdParameters()
}

/// The validation block and how configs are compared on it.
public struct ValidationSettings: Equatable, Sendable {
    /// Fraction of the training rows held out at their end (0 = none).
    public var fraction: Double
    public var selection: ValidationSelection
    public var injection: SyntheticAnomalySettings
}

/// Everything a run config says, typed.
public struct ExperimentConfig: Sendable, Equatable {
    /// The checked values the typed fields were built from (written into every result).
    public var resolved: ResolvedConfig
    public var models: [ModelKind]
    public var data: DataSelection
    /// TranAD's configuration; its `seed` is the run's seed.
    public var tranad: TranADConfig
    public var iforest: IsolationForest.Configuration
    public var featureEngineering: FeatureEngineering
    public var calibration: CalibrationSettings
    /// VUS buffer length (`evaluation.vus_window`).
    public var vusWindow: Int
    /// `pca.variance` / `pca.components`, `knn.k` / `knn.samples`.
    public var pcaVariance: Double
    public var pcaComponents: Int?
    public var knnK: Int
    public var knnSamples: Int
    /// `evaluation.sanity_baselines`.
    public var sanityBaselines: Bool

    /// The models every machine runs: `models`, then the sanity baselines when switched on (each once).
    public var allModels: [ModelKind] {
        sanityBaselines ? models + ModelKind.sanity.filter { !models.contains($0) } : models
    }
    public var validation: ValidationSettings
    /// Transforms, early stopping and the ensemble (`transform.*`, `tranad.patience`, `ensemble.*`; issue 15).
    public var accuracy: AccuracySettings
    public var seed: UInt64
    /// Runs of every stochastic model (`seeds`).
    public var seeds: Int
    /// Worker threads per machine; nil = `auto`.
    public var threads: Int?

    /// `sha256` of the resolved config's identity keys.
    public var sha256: String { resolved.sha256 }

    /// Builds the typed config, checking rules that involve several keys.
    public init(_ r: ResolvedConfig) throws {
        resolved = r
        var problems: [ConfigProblem] = []
        func problem(_ key: String, _ message: String) {
            problems.append(ConfigProblem(origin: r.origins[key], keyPath: key, message: message))
        }
        func string(_ k: String) -> String { r[k].string ?? "" }
        func int(_ k: String) -> Int { if case .int(let i) = r[k] { return i }; return 0 }
        func double(_ k: String) -> Double { r[k].number ?? 0 }
        func bool(_ k: String) -> Bool { if case .bool(let b) = r[k] { return b }; return false }
        func strings(_ k: String) -> [String] { if case .list(let l) = r[k] { return l.compactMap(\.string) }; return [] }
        func ints(_ k: String) -> [Int] {
            if case .list(let l) = r[k] { return l.compactMap { if case .int(let i) = $0 { return i }; return nil } }
            return []
        }

        models = strings("models").compactMap(ModelKind.init(rawValue:))
        switch r["seed"] {
        case .int(let i): seed = UInt64(i)
        case .string(let s): seed = UInt64(s) ?? 0
        default: seed = 0
        }
        if case .int(let t) = r["threads"] { threads = t } else { threads = nil }
        seeds = int("seeds")

        if let dir = r["data.dir"].string {
            data = .directory(dir)
            // by value, not by origin: a resolved config file lists the defaults explicitly
            if r["data.machines"] != .string("all") {
                problem("data.machines", "cannot be combined with data.dir (a directory dataset has no machines)")
            }
            if r["data.mirror"] != .null { problem("data.mirror", "cannot be combined with data.dir (a directory dataset has no mirror)") }
        } else {
            let machines: [String]? = r["data.machines"] == .string("all") ? nil : strings("data.machines")
            data = .smd(machines: machines, root: string("data.root"), mirror: r["data.mirror"].string)
        }

        var t = TranADConfig()
        t.epochs = int("tranad.epochs")
        t.learningRate = double("tranad.lr")
        t.weightDecay = double("tranad.weight_decay")
        t.batchSize = int("tranad.batch")
        t.window = int("tranad.window")
        t.precision = TranADPrecision(rawValue: string("tranad.dtype")) ?? .float32
        t.alignment = TranADWindowAlignment(rawValue: string("tranad.alignment")) ?? .inclusive
        t.activation = TranADActivation(rawValue: string("tranad.activation")) ?? .referenceIdentity
        t.lossWeighting = TranADLossWeighting(name: string("tranad.loss_weighting")) ?? .epochInverse
        t.scoring = TranADScoring(rawValue: string("tranad.scoring")) ?? .phase2Only
        t.dropout = double("tranad.dropout")
        t.shuffle = bool("tranad.shuffle")
        t.seed = seed
        tranad = t

        var f = IsolationForest.Configuration(nEstimators: int("iforest.trees"), seed: seed)
        switch r["iforest.samples"] {
        case .int(let n): f.maxSamples = .count(n)
        case .double(let x): f.maxSamples = .fraction(x)
        default: f.maxSamples = .auto
        }
        iforest = f
        let stats = strings("iforest.feature_engineering.rolling_statistics").compactMap(FeatureEngineering.RollingStatistic.init(rawValue:))
        featureEngineering = FeatureEngineering(
            includeRaw: bool("iforest.feature_engineering.include_raw"), lags: ints("iforest.feature_engineering.lags"),
            differences: bool("iforest.feature_engineering.differences"),
            rollingWindow: int("iforest.feature_engineering.rolling_window"), rollingStatistics: stats,
            standardize: bool("iforest.feature_engineering.standardize"))
        if !stats.isEmpty && featureEngineering.rollingWindow < 2 {
            problem("iforest.feature_engineering.rolling_window", "must be at least 2 when rolling_statistics are requested")
        }
        if featureEngineering.outputColumns(inputColumns: 1) == 0 {
            problem("iforest.feature_engineering.include_raw", "no feature would remain: keep the raw columns or add lags, differences or rolling statistics")
        }

        calibration = CalibrationSettings(
            pot: POTParameters(q: double("calibration.pot.q"), level: double("calibration.pot.level"), scale: double("calibration.pot.scale")),
            percentile: double("calibration.percentile"),
            export: ExportedCalibration(rawValue: string("calibration.export")) ?? .potTrain)
        vusWindow = int("evaluation.vus_window")
        pcaVariance = double("pca.variance")
        if case .int(let k) = r["pca.components"] { pcaComponents = k } else { pcaComponents = nil }
        knnK = int("knn.k")
        knnSamples = int("knn.samples")
        sanityBaselines = bool("evaluation.sanity_baselines")
        if knnK > knnSamples { problem("knn.k", "must not exceed knn.samples (\(knnSamples))") }
        validation = ValidationSettings(
            fraction: double("validation.fraction"),
            selection: ValidationSelection(rawValue: string("validation.selection")) ?? .syntheticVUSPR,
            injection: SyntheticAnomalySettings(
                kinds: strings("validation.injection.kinds").compactMap(SyntheticAnomalyKind.init(rawValue:)),
                rate: double("validation.injection.rate"), minLength: int("validation.injection.min_length"),
                maxLength: int("validation.injection.max_length")))
        calibration.validationPOT = POTParameters(q: double("calibration.validation_pot.q"), level: double("calibration.validation_pot.level"),
                                                  scale: double("calibration.validation_pot.scale"))
        calibration.validationPercentile = double("calibration.validation_percentile")
        calibration.dynamic = DynamicThresholdParameters(batch: int("calibration.dynamic.batch"), windowBatches: int("calibration.dynamic.window_batches"),
                                                         buffer: int("calibration.dynamic.buffer"), prune: double("calibration.dynamic.prune"))
        if [.potValidation, .percentileValidation].contains(calibration.export) && validation.fraction <= 0 {
            problem("calibration.export", "\(calibration.export.rawValue) needs a validation block: set validation.fraction > 0 (e.g. 0.2)")
        }
        accuracy = AccuracySettings.read(r, validationFraction: validation.fraction, models: models, problem: problem)
        if validation.injection.minLength > validation.injection.maxLength {
            problem("validation.injection.min_length", "must not exceed validation.injection.max_length (\(validation.injection.maxLength))")
        }

        // the domain types' own checks (the same limits as the keys' types, plus their cross-field rules)
        do { try tranad.validate() } catch { problem("tranad", String(describing: error)) }
        do { try iforest.validate() } catch { problem("iforest", String(describing: error)) }
        do { try calibration.pot.validate() } catch { problem("calibration.pot", String(describing: error)) }
        do { try calibration.validationPOT.validate() } catch { problem("calibration.validation_pot", String(describing: error)) }
        if accuracy.transform.causalWindow != 1 {   // 1 is reported above with its key
            do { try accuracy.transform.validate() } catch { problem("transform", String(describing: error)) }
        }

        if !problems.isEmpty { throw ConfigError(ResolvedConfig.sorted(problems)) }
    }

    /// The seed of repeat `k` (0-based) of a stochastic model: `seed + k` (wrapping).
    public func seed(repeat k: Int) -> UInt64 { seed &+ UInt64(k) }

    /// This config with every model's seed set to `seed(repeat: k)` (the config hash is unchanged: a repeat is part
    /// of the experiment, not another one).
    public func repeating(_ k: Int) -> ExperimentConfig {
        var c = self
        let s = seed(repeat: k)
        c.seed = s
        c.tranad.seed = s
        c.iforest.seed = s
        return c
    }

    /// Repeats of `kind`: `seeds` for a stochastic model, 1 otherwise.
    public func repeats(of kind: ModelKind) -> Int { kind.isStochastic ? seeds : 1 }

    /// Loads, resolves and types a config file with `--set` overrides.
    public static func load(path: String, overrides: [String] = []) throws -> ExperimentConfig {
        try ExperimentConfig(try ResolvedConfig.load(path: path, overrides: overrides))
    }
}
