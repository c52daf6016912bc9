// The experiment configuration schema: every key a run config may hold, with its type, default and meaning.
// It drives validation (unknown keys, types, ranges), defaults, `--set` overrides, sweeps over dotted paths and
// the README's reference table (`vigil config reference`), so none of them can drift from the others.
import Foundation
import VigilData
import VigilIsolationForest
import VigilThresholds
import VigilTranAD

/// One leaf key of the schema, addressed by its dotted path (`tranad.lr`).
public struct ConfigKey: Sendable {
    /// Dotted path from the top of the file (`calibration.pot.level`).
    public let path: String
    /// Accepted values.
    public let type: ConfigType
    /// The value when nothing sets the key.
    public let defaultValue: ConfigValue
    /// One sentence for the reference table and `--help`.
    public let doc: String
    /// True when the key changes what is computed, so it is part of the experiment's identity (`config_sha256`).
    /// False for where inputs come from (`data.root`, `data.mirror`) and which machines are selected.
    public let identity: Bool

    public init(_ path: String, _ type: ConfigType, default value: ConfigValue, identity: Bool = true, _ doc: String) {
        self.path = path; self.type = type; self.defaultValue = value; self.identity = identity; self.doc = doc
    }
}

/// A set of leaf keys; sections (`tranad`, `calibration.pot`) are the prefixes of their paths.
public struct ConfigSchema: Sendable {
    /// Every key, in documentation order.
    public let keys: [ConfigKey]
    private let index: [String: Int]
    private let sections: Set<String>

    public init(keys: [ConfigKey]) {
        self.keys = keys
        var idx: [String: Int] = [:]
        var secs: Set<String> = [""]
        for (i, k) in keys.enumerated() {
            precondition(idx[k.path] == nil, "ConfigSchema: key \(k.path) declared twice")
            idx[k.path] = i
            var parts = k.path.split(separator: ".").map(String.init)
            parts.removeLast()
            var prefix = ""
            for p in parts { prefix = prefix.isEmpty ? p : prefix + "." + p; secs.insert(prefix) }
        }
        for s in secs where idx[s] != nil { preconditionFailure("ConfigSchema: \(s) is both a key and a section") }
        index = idx
        sections = secs
    }

    /// The key at `path`, if it is a leaf.
    public func key(_ path: String) -> ConfigKey? { index[path].map { keys[$0] } }

    /// True when `path` names a section (a mapping of keys); "" is the top level.
    public func isSection(_ path: String) -> Bool { sections.contains(path) }

    /// The names directly below section `path` (keys and sub-sections), in documentation order.
    public func children(of path: String) -> [String] {
        var out: [String] = []
        let prefix = path.isEmpty ? "" : path + "."
        for k in keys where k.path.hasPrefix(prefix) {
            let rest = k.path.dropFirst(prefix.count)
            let name = String(rest.split(separator: ".").first!)
            if !out.contains(name) { out.append(name) }
        }
        return out
    }
}

/// The models a config can name in `models`.
public enum ModelKind: String, CaseIterable, Sendable, Codable {
    case tranad
    case iforest
    /// Reconstruction error outside the principal components of the training rows.
    case pca
    /// Distance to the k-th nearest of a seeded sample of training rows.
    case knn
    /// Euclidean norm of the scaled row.
    case l2Norm = "l2_norm"
    /// Distance outside the training [min, max] per dimension.
    case rangeDeviation = "range_deviation"
    /// Seeded uniform scores (chance level; a sanity baseline).
    case random
    /// TranAD at its initial weights (a sanity baseline).
    case untrainedTranAD = "untrained_tranad"
    /// Mean of the standardized scores of `ensemble.members` (z-score or rank; issue 15).
    case ensemble

    /// The sanity baselines `evaluation.sanity_baselines` adds to every run.
    public static let sanity: [ModelKind] = [.random, .untrainedTranAD]

    /// True when the model's result depends on the seed (it is repeated `seeds` times); PCA, l2_norm and
    /// range_deviation are deterministic and run once.
    public var isStochastic: Bool {
        switch self {
        case .tranad, .iforest, .knn, .random, .untrainedTranAD, .ensemble: return true   // ensemble: per seed, its members of that seed
        case .pca, .l2Norm, .rangeDeviation: return false
        }
    }
}

/// How configs are compared without test labels (sweeps; `validation.selection`). Higher is better for each.
public enum ValidationSelection: String, CaseIterable, Sendable, Codable {
    /// VUS-PR of the scores of the validation block with injected anomalies against the injected labels.
    case syntheticVUSPR = "synthetic_vus_pr"
    /// ROC-AUC of the same.
    case syntheticROCAUC = "synthetic_roc_auc"
    /// Minus the mean score of the clean validation block (the model's reconstruction error or outlier score).
    case validationLoss = "validation_loss"
}

/// Calibrations a config can export (deployable ones only: they read training scores, nothing else).
public enum ExportedCalibration: String, CaseIterable, Sendable, Codable {
    /// POT on the training scores with `calibration.pot`.
    case potTrain = "pot_train"
    /// The `calibration.percentile` percentile of the training scores.
    case percentileTrain = "percentile_train"
    /// POT on the clean validation block's scores with `calibration.validation_pot` (needs validation.fraction > 0).
    case potValidation = "pot_validation"
    /// The `calibration.validation_percentile` percentile of the clean validation block's scores.
    case percentileValidation = "percentile_validation"
}

extension ConfigSchema {
    /// The schema of `vigil run` configs (experiments/*.yaml). Defaults are the reference protocol.
    public static let experiment: ConfigSchema = {
        let tranad = TranADConfig()
        let pot = POTParameters()
        let fe = FeatureEngineering()
        let iforest = IsolationForest.Configuration()
        return ConfigSchema(keys: [
            ConfigKey("models", .list(.choice(ModelKind.allCases.map(\.rawValue)), unique: true, nonEmpty: true),
                      default: .list([.string("tranad"), .string("iforest")]),
                      "Models to fit and evaluate on every machine, in report order."),
            ConfigKey("seed", .uint64, default: .int(Int(tranad.seed)),
                      "Seed of every random choice (TranAD weights, dropout and shuffling; forest sub-samples)."),
            ConfigKey("seeds", .int(1...100), default: .int(1),
                      "Runs of every stochastic model (tranad, iforest, knn, random, untrained_tranad) per machine, with seeds seed, seed+1, …; reports show mean ± std over them."),
            ConfigKey("threads", .either([.literal("auto"), .int(TranADConfig.workersRange)]), default: .string("auto"),
                      "Worker threads per machine; `auto` divides the cores between parallel jobs. The same seed and threads give identical results."),

            ConfigKey("data.dataset", .choice(["smd"]), default: .string("smd"), "Dataset (`smd`: the Server Machine Dataset)."),
            ConfigKey("data.machines", .either([.literal("all"), .list(.choice(SMD.allMachines), unique: true, nonEmpty: true)]),
                      default: .string("all"), identity: false,
                      "SMD machines to run (`all`: every machine the dataset root or mirror has)."),
            ConfigKey("data.root", .path, default: .string("datasets/SMD"), identity: false,
                      "Dataset root holding the raw files and the processed/ cache (relative to the working directory)."),
            ConfigKey("data.mirror", .optional(.path), default: .null, identity: false,
                      "Install missing machines from this local mirror instead of the network."),
            ConfigKey("data.dir", .optional(.path), default: .null, identity: false,
                      "Instead of SMD: one directory with train, test and labels as .csv or .npy (datasets/README.md)."),

            ConfigKey("tranad.epochs", .int(TranADConfig.epochsRange), default: .int(tranad.epochs), "Training epochs (reference 5)."),
            ConfigKey("tranad.lr", .number(NumberBounds(TranADConfig.learningRateRange)), default: .double(tranad.learningRate),
                      "AdamW learning rate (reference 1e-4)."),
            ConfigKey("tranad.weight_decay", .number(NumberBounds(TranADConfig.weightDecayRange)), default: .double(tranad.weightDecay),
                      "AdamW decoupled weight decay (reference 1e-5)."),
            ConfigKey("tranad.batch", .int(TranADConfig.batchSizeRange), default: .int(tranad.batchSize), "Mini-batch size in windows (reference 128)."),
            ConfigKey("tranad.window", .int(TranADConfig.windowRange), default: .int(tranad.window), "Window length W (reference 10)."),
            ConfigKey("tranad.dtype", .choice(TranADPrecision.allCases.map(\.rawValue)), default: .string(tranad.precision.rawValue),
                      "Precision of the model and its training (`float64` is what the reference trains in)."),
            ConfigKey("tranad.alignment", .choice(TranADWindowAlignment.allCases.map(\.rawValue)), default: .string(tranad.alignment.rawValue),
                      "`inclusive`: the window of row i ends at row i; `reference`: it ends at row i−1 (the published off-by-one)."),
            ConfigKey("tranad.activation", .choice(TranADActivation.allCases.map(\.rawValue)), default: .string(tranad.activation.rawValue),
                      "Feed-forward activation (`reference_identity` is the reference's LeakyReLU(True))."),
            ConfigKey("tranad.loss_weighting", .pattern(summary: "`epoch_inverse` or `exponential_decay(EPS)` with EPS > 1",
                                                        parse: { TranADLossWeighting(name: $0) != nil }),
                      default: .string(tranad.lossWeighting.name), "Weights of the two phase losses (reference w1 = 1/epoch)."),
            ConfigKey("tranad.scoring", .choice(TranADScoring.allCases.map(\.rawValue)), default: .string(tranad.scoring.rawValue),
                      "Per-dimension score: `phase2_only` (the reference) or `averaged` (paper Eq. 13)."),
            ConfigKey("tranad.dropout", .number(NumberBounds(TranADConfig.dropoutRange)), default: .double(tranad.dropout),
                      "Dropout probability (reference 0.1)."),
            ConfigKey("tranad.shuffle", .bool, default: .bool(tranad.shuffle), "Shuffle windows every epoch (the reference does not)."),

            ConfigKey("iforest.trees", .int(IsolationForest.Configuration.nEstimatorsRange), default: .int(iforest.nEstimators), "Isolation Forest trees."),
            ConfigKey("iforest.samples", .either([.literal("auto"), .int(IsolationForest.Configuration.maxSamplesCountRange), .number(NumberBounds(IsolationForest.Configuration.fractionRange))]),
                      default: .string("auto"),
                      "Sub-sample per tree: `auto` = min(256, rows), an integer count, or a fraction in (0, 1] of the rows."),
            ConfigKey("iforest.feature_engineering.include_raw", .bool, default: .bool(fe.includeRaw),
                      "Keep the raw columns as features."),
            ConfigKey("iforest.feature_engineering.lags", .list(.int(1...100_000), unique: true, nonEmpty: false), default: .list([]),
                      "Lags L whose values x(t−L) are added as columns."),
            ConfigKey("iforest.feature_engineering.differences", .bool, default: .bool(fe.differences),
                      "Add first differences x(t) − x(t−1)."),
            ConfigKey("iforest.feature_engineering.rolling_window", .int(0...100_000), default: .int(fe.rollingWindow),
                      "Rolling window W of the rolling statistics (≥ 2 when any is requested)."),
            ConfigKey("iforest.feature_engineering.rolling_statistics",
                      .list(.choice(FeatureEngineering.RollingStatistic.allCases.map(\.rawValue)), unique: true, nonEmpty: false),
                      default: .list([]), "Rolling statistics over the last W rows added as columns."),
            ConfigKey("iforest.feature_engineering.standardize", .bool, default: .bool(fe.standardize),
                      "Standardise every feature with its training mean and standard deviation."),

            ConfigKey("pca.variance", .number(.interval(0, 1, lowerOpen: true, upperOpen: true)), default: .double(0.95),
                      "PCA keeps scikit-learn's number of components for this explained-variance fraction (unless pca.components is set)."),
            ConfigKey("pca.components", .optional(.int(1...10_000)), default: .null, "PCA: exactly this many components (null: by pca.variance)."),
            ConfigKey("knn.k", .int(1...1_000), default: .int(5), "kNN: the score is the distance to the k-th nearest sampled training row."),
            ConfigKey("knn.samples", .int(1...1_000_000), default: .int(2000), "kNN: training rows sampled (seeded) as neighbours."),

            ConfigKey("calibration.export", .choice(ExportedCalibration.allCases.map(\.rawValue)), default: .string("pot_train"),
                      "The deployable threshold written into the export: on the fitted rows' scores (`*_train`) or the validation block's (`*_validation`)."),
            ConfigKey("calibration.pot.q", .number(NumberBounds(POTParameters.qRange)), default: .double(pot.q),
                      "POT risk q of the extreme quantile z_q."),
            ConfigKey("calibration.pot.level", .number(NumberBounds(POTParameters.levelRange)), default: .double(pot.level),
                      "POT initial level: the quantile of the calibration scores where the tail starts."),
            ConfigKey("calibration.pot.scale", .number(NumberBounds(POTParameters.scaleRange)), default: .double(pot.scale),
                      "Multiplier of the POT threshold (the reference's SMD setting 1.06)."),
            ConfigKey("calibration.percentile", .number(NumberBounds(DeployableCalibration.percentileRange)), default: .double(99),
                      "Percentile of the training scores reported as a second deployable threshold."),

            ConfigKey("validation.fraction", .number(.interval(0, 0.5)), default: .double(0),
                      "Fraction of the training rows held out at their end as a validation block: models fit on the rest; 0 = none."),
            ConfigKey("validation.selection", .choice(ValidationSelection.allCases.map(\.rawValue)), default: .string("synthetic_vus_pr"),
                      "Score that compares configs without test labels: VUS-PR or ROC-AUC on the validation block with injected anomalies, or the validation loss."),
            ConfigKey("validation.injection.kinds",
                      .list(.choice(SyntheticAnomalyKind.allCases.map(\.rawValue)), unique: true, nonEmpty: true),
                      default: .list(SyntheticAnomalyKind.allCases.map { .string($0.rawValue) }),
                      "Kinds of synthetic anomalies injected into the validation block (see SyntheticAnomalies)."),
            ConfigKey("validation.injection.rate", .number(.interval(0, 0.5, lowerOpen: true)), default: .double(0.05),
                      "Fraction of validation rows inside an injected anomaly."),
            ConfigKey("validation.injection.min_length", .int(1...10_000), default: .int(5), "Shortest injected segment (rows)."),
            ConfigKey("validation.injection.max_length", .int(1...10_000), default: .int(50),
                      "Longest injected segment (rows; at most a tenth of the block)."),

            ConfigKey("evaluation.sanity_baselines", .bool, default: .bool(true),
                      "Add the sanity baselines random and untrained_tranad to every run, so each number shows how far above chance it is."),
            ConfigKey("evaluation.vus_window", .int(0...100_000), default: .int(0),
                      "Buffer length of VUS-PR/VUS-ROC (0, the TSB-AD convention for multivariate series)."),
        ] + accuracyKeys())
    }()
}
