// `scorer_state.json`: how a serving component turns rows into a decision — the threshold and how it was calibrated,
// the per-dimension baselines of the root-cause rule, the shapes and modes the model was trained with, what the
// fitted state read, and where it came from. The keys the FastAPI service reads (`threshold`, `method`, `details`,
// `feature_baselines`) are top-level and named as it names them.
import Foundation
import VigilResults
import VigilScores

/// The contents of `scorer_state.json` (format `vigil-serving-scorer-state`, `format_version` 1). Every key:
///
/// | key | type | meaning |
/// |---|---|---|
/// | `format` | string | `"vigil-serving-scorer-state"` |
/// | `format_version` | int | 1. A reader refuses a version it does not know (a newer one may add a transform). |
/// | `model` | string | `tranad`, `iforest`, `pca`, `knn`, `l2_norm`, `range_deviation`, `random`, `untrained_tranad` |
/// | `threshold` | number | decision value: a row is anomalous when its 1-D score is strictly greater |
/// | `method` | string | `pot` (POT on training scores) or `percentile` (a percentile of training scores) |
/// | `details` | object | POT: `q`, `level` (after retries), `scale`, `initial_threshold` t, `gamma` γ, `sigma` σ, `n_peaks` N_t, plus `requested_level`, `attempts`, `extreme_quantile` z_q (threshold = z_q·scale) and `n_calibration_scores`; percentile: `percentile`, `n_calibration_scores` |
/// | `calibration` | string | Vigil's name of the calibration (`pot_train`, `percentile_train_99.0`), as `threshold_method` in metrics.json |
/// | `feature_baselines` | [number] (F) | per dimension b_d = max(P95(training per-dimension scores of d), 1e-8); absent when the model has no per-dimension scores (Isolation Forest) |
/// | `attribution` | object | the root-cause rule's constants (`baseline_percentile` 95, `baseline_floor` 1e-8, `minimum_elevation` 2, `covered_excess` 0.8, `maximum_dimensions` 10); absent with `feature_baselines` |
/// | `feature_labels` | [string] (F) | a label per input column, `dim_<d>` when the data had no column names |
/// | `n_features` | int | F, columns of every input row |
/// | `window_size` | int | rows a score depends on: TranAD's window W (a request needs at least W rows); 1 for row-wise models |
/// | `scoring_mode` | string | TranAD: `phase2_only` ((x2 − x)²) or `averaged` (½(x1 − x)² + ½(x2 − x)²); other models: the model key |
/// | `alignment` | string | TranAD: `inclusive` (row i's window is rows i−W+1…i) or `reference` (rows i−W…i−1, the published code's); `inclusive` for row-wise models |
/// | `score_aggregation` | string | how the 1-D score is formed from per-dimension scores (TranAD: the mean over the F dimensions) |
/// | `normalization` | object | `kind` `min_max`, `formula` `(x - min) / (max - min + 1e-4)`, `epsilon`, `file` `norm_params.npy`, `layout` |
/// | `reads` | [string] | what the fitted state (threshold, baselines) read: `["train"]` — never test data |
/// | `reads_test_scores` | bool | false (only deployable thresholds are exported) |
/// | `reads_test_labels` | bool | false |
/// | `created_at` | string | ISO 8601 time of the export |
/// | `vigil_version` | string | version of the Vigil that trained and exported the model |
/// | `provenance` | object | `vigil_commit`, `vigil_dirty`, `unit` (machine), `dataset`, `dataset_sha256` (per source file), `config_sha256`, `command`, `training_rows` (rows the model, threshold and baselines were fitted on), `model_settings` |
/// | `transform` | object or absent | reserved (issue 15): a score transform between the model's scores and `threshold`, with its fitted statistics. Version 1 writes none; a reader that does not implement a present transform must refuse the bundle. |
public struct ScorerState: Codable, Sendable, Equatable {
    public static let formatName = "vigil-serving-scorer-state"
    public static let currentVersion = 1

    /// How raw rows are scaled before scoring: x' = (x − min) / (max − min + ε) with training min/max.
    public struct Normalization: Codable, Sendable, Equatable {
        public var kind = "min_max"
        public var formula = "(x - min) / (max - min + 1e-4)"
        public var epsilon = 1e-4
        public var file = BundleLayout.normParams
        public var layout = "float64 (2, F): row 0 = min, row 1 = max (training statistics)"
        public init() {}
    }

    /// The constants of the root-cause rule (`SegmentAttribution`).
    public struct AttributionRule: Codable, Sendable, Equatable {
        public var baselinePercentile = SegmentAttribution.baselinePercentile
        public var baselineFloor = SegmentAttribution.baselineFloor
        public var minimumElevation = SegmentAttribution.minimumElevation
        public var coveredExcess = SegmentAttribution.coveredExcess
        public var maximumDimensions = SegmentAttribution.maximumDimensions
        public init() {}
        enum CodingKeys: String, CodingKey {
            case baselinePercentile = "baseline_percentile", baselineFloor = "baseline_floor", minimumElevation = "minimum_elevation"
            case coveredExcess = "covered_excess", maximumDimensions = "maximum_dimensions"
        }
    }

    public var format = ScorerState.formatName
    public var formatVersion = ScorerState.currentVersion
    public var model: String
    public var threshold: Double
    public var method: String
    public var details: ThresholdDetails
    public var calibration: String
    public var featureBaselines: [Double]?
    public var attribution: AttributionRule?
    public var featureLabels: [String]
    public var nFeatures: Int
    public var windowSize: Int
    public var scoringMode: String
    public var alignment: String
    public var scoreAggregation: String
    public var normalization = Normalization()
    public var reads = ["train"]
    public var readsTestScores = false
    public var readsTestLabels = false
    public var createdAt: String
    public var vigilVersion: String
    public var provenance: ExportProvenance
    /// Reserved for issue 15 (see the table); always nil in format version 1.
    public var transform: JSONValue?

    public init(model: String, threshold: ExportedThreshold, featureBaselines: [Double]?, featureLabels: [String], nFeatures: Int,
                windowSize: Int, scoringMode: String, alignment: String, scoreAggregation: String, createdAt: String,
                provenance: ExportProvenance) {
        self.model = model
        self.threshold = threshold.value
        self.method = threshold.method
        self.details = threshold.details
        self.calibration = threshold.calibration
        self.readsTestScores = threshold.readsTestScores
        self.readsTestLabels = threshold.readsTestLabels
        self.featureBaselines = featureBaselines
        self.attribution = featureBaselines == nil ? nil : AttributionRule()
        self.featureLabels = featureLabels
        self.nFeatures = nFeatures
        self.windowSize = windowSize
        self.scoringMode = scoringMode
        self.alignment = alignment
        self.scoreAggregation = scoreAggregation
        self.createdAt = createdAt
        self.vigilVersion = provenance.vigilVersion
        self.provenance = provenance
    }

    enum CodingKeys: String, CodingKey {
        case format, model, threshold, method, details, calibration, attribution, alignment, normalization, reads, provenance, transform
        case formatVersion = "format_version", featureBaselines = "feature_baselines", featureLabels = "feature_labels"
        case nFeatures = "n_features", windowSize = "window_size", scoringMode = "scoring_mode", scoreAggregation = "score_aggregation"
        case readsTestScores = "reads_test_scores", readsTestLabels = "reads_test_labels", createdAt = "created_at"
        case vigilVersion = "vigil_version"
    }

    /// The JSON text (pretty, sorted keys, trailing newline).
    public func jsonData() throws -> Data { try JSONOutput.encode(self) }

    /// Decodes and checks a `scorer_state.json`: its format and version, shapes (n_features, feature_labels,
    /// feature_baselines), a finite threshold, positive finite baselines, that nothing read test data, and that
    /// no transform is present (this version implements none). `path` names the file in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> ScorerState {
        let s: ScorerState
        do { s = try JSONOutput.decode(ScorerState.self, from: Data(bytes)) } catch let e as DecodingError {
            throw BundleError.damaged(file: path, reason: "it is not a scorer state this vigil reads (\(describe(e)))")
        } catch {
            throw BundleError.damaged(file: path, reason: "it is not valid JSON")
        }
        guard s.format == formatName else {
            throw BundleError.unsupported(file: path, reason: "format '\(s.format)' is not '\(formatName)'; export the model again with this vigil")
        }
        guard (1...currentVersion).contains(s.formatVersion) else {
            throw BundleError.unsupported(file: path, reason: "scorer state format_version \(s.formatVersion) is newer than this vigil reads (\(currentVersion)); use the vigil that exported it")
        }
        if let t = s.transform, t != .null {
            throw BundleError.unsupported(file: path, reason: "it carries a score transform, which this vigil (scorer state format_version \(currentVersion)) does not apply; use the vigil that exported it")
        }
        func bad(_ why: String) -> BundleError { .damaged(file: path, reason: why) }
        guard (1...65_536).contains(s.nFeatures) else { throw bad("n_features \(s.nFeatures) is outside 1…65536") }
        guard (1...1_000_000).contains(s.windowSize) else { throw bad("window_size \(s.windowSize) is outside 1…1000000") }
        guard s.threshold.isFinite else { throw bad("threshold \(s.threshold) is not finite") }
        guard s.featureLabels.count == s.nFeatures else { throw bad("feature_labels has \(s.featureLabels.count) labels for \(s.nFeatures) features") }
        if let b = s.featureBaselines {
            guard b.count == s.nFeatures else { throw bad("feature_baselines has \(b.count) values for \(s.nFeatures) features") }
            if let d = b.firstIndex(where: { !($0.isFinite && $0 > 0) }) { throw bad("feature_baselines[\(d)] = \(b[d]) is not a positive finite number") }
        }
        guard !s.readsTestScores, !s.readsTestLabels, s.reads.allSatisfy({ $0 == "train" || $0 == "validation" }) else {
            throw bad("it says its threshold read test data (reads \(s.reads)); only deployable thresholds are exported")
        }
        guard s.normalization.epsilon.isFinite, s.normalization.epsilon >= 0 else { throw bad("normalization.epsilon \(s.normalization.epsilon) is not finite and ≥ 0") }
        return s
    }
}

/// The calibration details of an exported threshold (the service's `details`); absent fields are omitted.
public struct ThresholdDetails: Codable, Sendable, Equatable {
    /// POT risk q.
    public var q: Double?
    /// Level of the initial threshold actually used (after retries).
    public var level: Double?
    /// Multiplier applied to z_q.
    public var scale: Double?
    /// Initial threshold t = sorted(training scores)[⌊level·n⌋].
    public var initialThreshold: Double?
    /// GPD shape γ and scale σ fitted to the peaks above t.
    public var gamma: Double?
    public var sigma: Double?
    /// Number of peaks N_t (training scores strictly above t).
    public var nPeaks: Int?
    /// The configured level before any retry, and the number of initialisation attempts.
    public var requestedLevel: Double?
    public var attempts: Int?
    /// z_q; the threshold is z_q·scale.
    public var extremeQuantile: Double?
    /// Percentile p (0…100) of a percentile threshold.
    public var percentile: Double?
    /// Number of training scores the calibration read.
    public var nCalibrationScores: Int

    public init(nCalibrationScores: Int) { self.nCalibrationScores = nCalibrationScores }

    enum CodingKeys: String, CodingKey {
        case q, level, scale, gamma, sigma, attempts, percentile
        case initialThreshold = "initial_threshold", nPeaks = "n_peaks", requestedLevel = "requested_level"
        case extremeQuantile = "extreme_quantile", nCalibrationScores = "n_calibration_scores"
    }
}

/// Where an exported model came from (`provenance` in scorer_state.json; the same facts as root attributes of
/// model.h5).
public struct ExportProvenance: Codable, Sendable, Equatable {
    public var vigilVersion: String
    /// `git rev-parse HEAD` of the Vigil that trained the model ("unknown" outside a repository).
    public var vigilCommit: String
    /// True when Vigil's tracked files differed from that commit.
    public var vigilDirty: Bool?
    /// The machine (or dataset) the model was trained on.
    public var unit: String
    public var dataset: String
    /// sha256 of every source file, by role (`train`, `test`, `test_label`, …).
    public var datasetSHA256: [String: String]
    /// sha256 of the run's resolved config (nil outside a run).
    public var configSHA256: String?
    /// The command line of the run.
    public var command: String?
    /// Rows the model was fitted on; the threshold and feature baselines read the scores of exactly these rows.
    public var trainingRows: Int
    /// The model's settings (window, seed, trees, …), as its detector reports them.
    public var modelSettings: [String: String]

    public init(vigilVersion: String, vigilCommit: String, vigilDirty: Bool?, unit: String, dataset: String,
                datasetSHA256: [String: String], configSHA256: String?, command: String?, trainingRows: Int,
                modelSettings: [String: String]) {
        self.vigilVersion = vigilVersion; self.vigilCommit = vigilCommit; self.vigilDirty = vigilDirty; self.unit = unit
        self.dataset = dataset; self.datasetSHA256 = datasetSHA256; self.configSHA256 = configSHA256; self.command = command
        self.trainingRows = trainingRows; self.modelSettings = modelSettings
    }

    enum CodingKeys: String, CodingKey {
        case unit, dataset, command
        case vigilVersion = "vigil_version", vigilCommit = "vigil_commit", vigilDirty = "vigil_dirty"
        case datasetSHA256 = "dataset_sha256", configSHA256 = "config_sha256", trainingRows = "training_rows"
        case modelSettings = "model_settings"
    }
}

/// A decoding error as a short, user-readable phrase: the key path and what was wrong.
func describe(_ e: DecodingError) -> String {
    func path(_ p: [CodingKey]) -> String {
        p.isEmpty ? "the top level" : p.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
    switch e {
    case let .keyNotFound(k, c): return "missing key '\(k.stringValue)' at \(path(c.codingPath))"
    case let .typeMismatch(t, c): return "\(path(c.codingPath)) is not \(typeName(t))"
    case let .valueNotFound(t, c): return "\(path(c.codingPath)) is null, expected \(typeName(t))"
    case let .dataCorrupted(c): return c.codingPath.isEmpty ? "not valid JSON" : "\(path(c.codingPath)) is not a valid value"
    @unknown default: return "unreadable"
    }
}

private func typeName(_ t: Any.Type) -> String {
    switch t {
    case is Double.Type, is Float.Type: return "a number"
    case is Int.Type: return "an integer"
    case is String.Type: return "a string"
    case is Bool.Type: return "true or false"
    default: return "the expected kind of value"
    }
}
