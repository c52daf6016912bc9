// Config keys of the deployable-accuracy stages (issue 15): score transforms (`transform.*`), the validation-block
// calibrations and the dynamic threshold (`calibration.validation_*`, `calibration.dynamic.*`), TranAD early stopping
// (`tranad.patience`, `tranad.min_delta`) and the score ensemble (`ensemble.*`). Kept apart from the other keys so
// the schema's sections stay easy to merge; `ConfigSchema.experiment` appends them.
import Foundation
import VigilIO
import VigilThresholds
import VigilTransforms

/// How the ensemble combines its members' scores (`ensemble.combine`).
public enum EnsembleCombine: String, CaseIterable, Sendable, Codable {
    /// Mean over members of (s − mean) / std of the member's fitting scores.
    case zscore
    /// Mean over members of the empirical CDF of the member's fitting scores (ties count ½).
    case rank
}

extension ConfigSchema {
    /// Keys of the accuracy stages, in documentation order.
    static func accuracyKeys() -> [ConfigKey] {
        let t = TransformSettings()
        let vpot = POTParameters(q: 1e-3, level: 0.98, scale: 1.0)
        let dyn = DynamicThresholdParameters()
        return [
            ConfigKey("tranad.patience", .int(0...1_000), default: .int(0),
                      "Early stopping: stop when the validation loss (mean score of the clean validation block) has not improved for this many epochs and keep the best epoch's weights; tranad.epochs is the maximum; 0 = off (needs validation.fraction > 0)."),
            ConfigKey("tranad.min_delta", .number(.interval(0, 1)), default: .double(0),
                      "Early stopping: an epoch improves when its validation loss is below (1 − min_delta) × the best so far."),

            ConfigKey("ensemble.members", .list(.choice(EnsembleMemberKind.names), unique: true, nonEmpty: true),
                      default: .list([.string("tranad"), .string("pca"), .string("iforest")]),
                      "Models whose 1-D scores the `ensemble` model averages (each fitted with its own keys)."),
            ConfigKey("ensemble.combine", .choice(EnsembleCombine.allCases.map(\.rawValue)), default: .string("zscore"),
                      "`zscore`: mean of (s − mean)/std per member; `rank`: mean of the member's empirical CDF; statistics from ensemble.statistics."),
            ConfigKey("ensemble.statistics", .choice(["train", "validation"]), default: .string("train"),
                      "Scores the ensemble's member statistics are fitted on: the fitted rows, or the clean validation block (needs validation.fraction > 0)."),
            ConfigKey("ensemble.member_normalize", .choice(ScoreNormalization.allCases.map(\.rawValue)), default: .string("none"),
                      "Per-dimension normalization of each member's scores before combining (`zscore`, `robust`), fitted on ensemble.statistics scores; `none`: the member's own score."),
            ConfigKey("ensemble.member_aggregate", .choice(ScoreAggregation.names), default: .string("model"),
                      "How a normalized member's per-dimension scores become one (`mean`, `max`, `top_k` with transform.top_k; `model`: the member's own score)."),

            ConfigKey("transform.normalize", .choice(ScoreNormalization.allCases.map(\.rawValue)), default: .string(t.normalize.rawValue),
                      "Per-column normalization before aggregation: `zscore` (mean, std) or `robust` (median, IQR) of the transform.statistics scores; `none`."),
            ConfigKey("transform.statistics", .choice(NormalizationStatistics.allCases.map(\.rawValue)), default: .string(t.statistics.rawValue),
                      "Scores the normalization is fitted on: `train` (fitted rows), `validation` (clean validation block), or `test` (reads TEST scores: not exportable)."),
            ConfigKey("transform.aggregate", .choice(ScoreAggregation.names), default: .string(t.aggregate.name),
                      "One score per row: `model` (the model's own score), or `mean`, `max`, `top_k` over the normalized per-dimension scores."),
            ConfigKey("transform.top_k", .int(TransformSettings.topKRange), default: .int(3),
                      "k of transform.aggregate top_k (the mean of the k largest; k ≥ D is the mean)."),
            ConfigKey("transform.smooth", .choice(ScoreSmoothing.names), default: .string(t.smooth.name),
                      "Causal smoothing of the 1-D score: `moving_average` over the last w rows or `ewma` with span w (α = 2/(w+1)); `none`."),
            ConfigKey("transform.smooth_window", .int(TransformSettings.windowRange), default: .int(10), "w of transform.smooth."),
            ConfigKey("transform.causal_window", .int(TransformSettings.causalWindowRange), default: .int(t.causalWindow),
                      "Causal robust normalization (x − median)/IQR against the last W scores of the stream itself (reads PAST scores: not exportable); 0 = off, else ≥ 2."),
            ConfigKey("transform.scale_floor", .number(NumberBounds(TransformSettings.scaleFloorRange)), default: .double(t.scaleFloor),
                      "Floor of every normalization scale as a fraction of the median scale over dimensions (causal: of the reference IQR)."),

            ConfigKey("calibration.validation_pot.q", .number(NumberBounds(POTParameters.qRange)), default: .double(vpot.q),
                      "pot_validation: POT risk q on the clean validation block's scores."),
            ConfigKey("calibration.validation_pot.level", .number(NumberBounds(POTParameters.levelRange)), default: .double(vpot.level),
                      "pot_validation: initial level (quantile of the validation scores where the tail starts)."),
            ConfigKey("calibration.validation_pot.scale", .number(NumberBounds(POTParameters.scaleRange)), default: .double(vpot.scale),
                      "pot_validation: multiplier of the threshold."),
            ConfigKey("calibration.validation_percentile", .number(NumberBounds(DeployableCalibration.percentileRange)), default: .double(99.5),
                      "percentile_validation: percentile of the clean validation block's scores."),
            ConfigKey("calibration.dynamic.batch", .int(DynamicThresholdParameters.batchRange), default: .int(dyn.batch),
                      "dynamic_hundman (reads past scores): rows decided together."),
            ConfigKey("calibration.dynamic.window_batches", .int(DynamicThresholdParameters.windowRange), default: .int(dyn.windowBatches),
                      "dynamic_hundman: window of past scores, in batches."),
            ConfigKey("calibration.dynamic.buffer", .int(DynamicThresholdParameters.bufferRange), default: .int(dyn.buffer),
                      "dynamic_hundman: rows added on both sides of a flagged row (telemanom's error_buffer)."),
            ConfigKey("calibration.dynamic.prune", .number(NumberBounds(DynamicThresholdParameters.pruneRange)), default: .double(dyn.prune),
                      "dynamic_hundman: minimum relative decrease p between kept anomaly runs."),
        ]
    }
}

/// The models an ensemble may combine.
public enum EnsembleMemberKind {
    public static let names = ["tranad", "iforest", "pca", "knn", "l2_norm", "range_deviation"]
}

/// Typed settings of the accuracy stages.
public struct AccuracySettings: Equatable, Sendable {
    public var transform: TransformSettings
    /// Early stopping patience (0 = off) and relative min delta.
    public var patience: Int
    public var minDelta: Double
    public var ensembleMembers: [ModelKind]
    public var ensembleCombine: EnsembleCombine
    /// True: ensemble statistics from the validation block; false: from the fitted rows.
    public var ensembleOnValidation: Bool
    /// The transform applied to each member's scores before combining (normalize + aggregate only; identity by default).
    public var ensembleMemberTransform: TransformSettings

    /// Reads the keys of `r`, reporting cross-key problems through `problem(key, message)`.
    static func read(_ r: ResolvedConfig, validationFraction: Double, models: [ModelKind],
                     problem: (String, String) -> Void) -> AccuracySettings {
        func string(_ k: String) -> String { r[k].string ?? "" }
        func int(_ k: String) -> Int { if case .int(let i) = r[k] { return i }; return 0 }
        func double(_ k: String) -> Double { r[k].number ?? 0 }
        func strings(_ k: String) -> [String] { if case .list(let l) = r[k] { return l.compactMap(\.string) }; return [] }
        let transform = TransformSettings(
            normalize: ScoreNormalization(rawValue: string("transform.normalize")) ?? .none,
            statistics: NormalizationStatistics(rawValue: string("transform.statistics")) ?? .train,
            aggregate: ScoreAggregation(name: string("transform.aggregate"), k: int("transform.top_k")) ?? .model,
            smooth: ScoreSmoothing(name: string("transform.smooth"), window: int("transform.smooth_window")) ?? .none,
            causalWindow: int("transform.causal_window"), scaleFloor: double("transform.scale_floor"))
        let s = AccuracySettings(
            transform: transform, patience: int("tranad.patience"), minDelta: double("tranad.min_delta"),
            ensembleMembers: strings("ensemble.members").compactMap(ModelKind.init(rawValue:)),
            ensembleCombine: EnsembleCombine(rawValue: string("ensemble.combine")) ?? .zscore,
            ensembleOnValidation: string("ensemble.statistics") == "validation",
            ensembleMemberTransform: TransformSettings(
                normalize: ScoreNormalization(rawValue: string("ensemble.member_normalize")) ?? .none,
                statistics: string("ensemble.statistics") == "validation" ? .validation : .train,
                aggregate: ScoreAggregation(name: string("ensemble.member_aggregate"), k: int("transform.top_k")) ?? .model))
        let noValidation = validationFraction <= 0
        if transform.causalWindow == 1 { problem("transform.causal_window", "must be 0 (off) or at least 2 (a median and IQR need two scores)") }
        if transform.normalize != .none && transform.statistics == .validation && noValidation {
            problem("transform.statistics", "validation needs a validation block: set validation.fraction > 0 (e.g. 0.2) or use train")
        }
        if s.patience > 0 && noValidation {
            problem("tranad.patience", "early stopping needs a validation block: set validation.fraction > 0 (e.g. 0.2) or tranad.patience: 0")
        }
        if s.ensembleOnValidation && noValidation && models.contains(.ensemble) {
            problem("ensemble.statistics", "validation needs a validation block: set validation.fraction > 0 or use train")
        }
        return s
    }
}

extension ConfigSchema {
    /// Keys that change only how stored scores are evaluated (transform, calibrations, metrics, the selection score),
    /// never the scores themselves: configs that differ only in these can share one unit's stored scores.
    public static func isEvaluationOnly(_ path: String) -> Bool {
        path.hasPrefix("transform.") || path.hasPrefix("calibration.") || path == "evaluation.vus_window" || path == "validation.selection"
    }
}

extension ResolvedConfig {
    /// sha256 of the identity keys that change the scores (every identity key but the evaluation-only ones): two
    /// configs with the same value compute the same stored scores, so one may re-evaluate the other's.
    public var scoresSHA256: String {
        let keys = schemaKeys.filter { identityKeys.contains($0) && !ConfigSchema.isEvaluationOnly($0) }
        return SHA256Hasher.hex(of: Array(tree(keys: keys).canonicalJSON.utf8))
    }
}
