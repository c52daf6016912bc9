// The full evaluation report, with threshold-dependent metrics keyed by the calibration that produced the threshold.
//
// Compared with the reference (TranAD src/pot.py, src/diagnosis.py):
//  * its reported f1/precision/recall are POINT-ADJUSTED (adjust_predicts) — here `point_adjusted`; its backward
//    fill stops before index 0 (a segment starting at 0 detected later keeps index 0 unflagged) — not reproduced;
//  * its precision/recall/F1 become NaN when a denominator is 0 — here 0;
//  * its 'ROC/AUC' is sklearn roc_auc_score on the point-adjusted 0/1 predictions (0 on error) — here
//    `roc_auc_binary_reference` (nil on one class); `roc_auc` here uses the continuous scores;
//  * hit_att/ndcg: k = round(p·|L|/100) (Python banker's rounding), np.argsort(...)[::-1] order, sklearn ndcg_score
//    (tie-averaged) — reproduced (ties in Hit broken by higher index first, numpy's unstable sort aside).
// Do not encode with JSONEncoder.keyEncodingStrategy = .convertToSnakeCase: it would lower-case "ORACLE".
import Foundation

/// Metrics that depend on the threshold (and so on how it was chosen).
public struct ThresholdDependentMetrics: Codable, Equatable, Sendable {
    public var pointwise: PRF
    /// Point adjustment (OmniAnomaly/TranAD protocol, K = 0).
    public var pointAdjusted: PRF
    /// PA%K for K = 0…100 step 1 and trapezoid areas over K/100.
    public var paK: PAKCurve
    public var eventwise: EventPRF
    /// The reference's "ROC/AUC" from the point-adjusted binary predictions (sklearn on 0/1 scores); nil = one class.
    public var rocAUCBinaryReference: Double?
    /// Range-based precision/recall/F1 (Tatbul et al., NeurIPS 2018) of the raw flags, with TSB-AD's settings
    /// (`RangeMetricsOptions.tsbAD`: existence weight α = 0.2 in recall, flat bias, reciprocal cardinality);
    /// 0 when undefined.
    public var rangePrecision: Double
    public var rangeRecall: Double
    public var rangeF1: Double
    /// Affiliation precision/recall/F1 (Huet et al., KDD 2022) of the raw flags over [0, T]; 0 when undefined
    /// (no predicted event → precision 0; no true event → all 0). See `Affiliation`.
    public var affiliationPrecision: Double
    public var affiliationRecall: Double
    public var affiliationF1: Double

    enum CodingKeys: String, CodingKey {
        case pointwise
        case pointAdjusted = "point_adjusted"
        case paK = "pa_k"
        case eventwise
        case rocAUCBinaryReference = "roc_auc_binary_reference"
        case rangePrecision = "range_precision"
        case rangeRecall = "range_recall"
        case rangeF1 = "range_f1"
        case affiliationPrecision = "affiliation_precision"
        case affiliationRecall = "affiliation_recall"
        case affiliationF1 = "affiliation_f1"
    }

    /// All threshold-dependent metrics of the flags `predictions` (T,) against `labels` (T,).
    public static func compute(predictions pred: [Bool], labels: [Bool]) throws -> ThresholdDependentMetrics {
        guard pred.count == labels.count else {
            throw MetricsError.lengthMismatch(what: "labels", expected: pred.count, found: labels.count)
        }
        let adjusted = DetectionMetrics.adjusted(predictions: pred, labels: labels, k: 0)
        let range = try RangeMetrics.compute(predictions: pred, labels: labels, options: .tsbAD)
        let affiliation = try Affiliation.compute(predictions: pred, labels: labels)
        return ThresholdDependentMetrics(
            pointwise: PRF(predictions: pred, labels: labels),
            pointAdjusted: PRF(predictions: adjusted, labels: labels),
            paK: DetectionMetrics.paKCurve(predictions: pred, labels: labels),
            eventwise: DetectionMetrics.eventWise(predictions: pred, labels: labels),
            rocAUCBinaryReference: RankingMetrics.rocAUCBinaryReference(predictions: adjusted, labels: labels),
            rangePrecision: range.precision, rangeRecall: range.recall, rangeF1: range.f1,
            affiliationPrecision: affiliation.precision, affiliationRecall: affiliation.recall, affiliationF1: affiliation.f1)
    }
}

/// Settings of a metrics computation that change its numbers; recorded in the output where they apply.
public struct MetricsOptions: Codable, Equatable, Sendable {
    /// VUS buffer length ℓ (`evaluation.vus_window`), 0…`VUS.maximumWindow`. 0 (default) is TSB-AD's convention for
    /// multivariate series, so VUS numbers compare with its leaderboard. Recorded as `vus_window`.
    public var vusWindow: Int

    public init(vusWindow: Int = 0) { self.vusWindow = vusWindow }

    enum CodingKeys: String, CodingKey {
        case vusWindow = "vus_window"
    }
}

/// Metrics computed from scores and labels without any threshold (no threshold selection involved).
public struct ThresholdFreeMetrics: Codable, Equatable, Sendable {
    /// ROC-AUC from continuous scores (ties count 1/2); nil when labels have one class.
    public var rocAUC: Double?
    /// Average precision (PR-AUC); nil when there is no anomaly.
    public var prAUC: Double?
    /// Root-cause Hit/NDCG; nil when not given or no row has labelled dimensions.
    public var rootCause: RootCauseMetrics?
    /// VUS-PR (Paparrizos et al., VLDB 2022) as TSB-AD computes it (see `VUS`); nil when labels have one class.
    public var vusPR: Double?
    /// VUS-ROC, likewise; nil when labels have one class.
    public var vusROC: Double?
    /// Buffer length ℓ the VUS numbers used (`MetricsOptions.vusWindow`); always written.
    public var vusWindow: Int

    enum CodingKeys: String, CodingKey {
        case rocAUC = "roc_auc"
        case prAUC = "pr_auc"
        case rootCause = "root_cause"
        case vusPR = "vus_pr"
        case vusROC = "vus_roc"
        case vusWindow = "vus_window"
    }

    /// Threshold-free metrics of testScores (T,) against labels (T,); per-dimension scores and interpretation labels
    /// (T, D) row-major are optional. Compute once and pass to `MetricsReport.compute(…, thresholdFree:)` when
    /// several thresholds are evaluated on the same scores.
    public static func compute(testScores: [Double], labels: [Bool],
                               perDimensionScores: [Double]? = nil, interpretationLabels: [Bool]? = nil,
                               dimensions: Int? = nil, options: MetricsOptions = MetricsOptions()) throws -> ThresholdFreeMetrics {
        try MetricsReport.validate(testScores: testScores, labels: labels)
        var root: RootCauseMetrics? = nil
        if let s = perDimensionScores, let l = interpretationLabels {
            let d = dimensions ?? (s.count / testScores.count)
            guard s.count == testScores.count * d else {
                throw MetricsError.lengthMismatch(what: "per-dimension scores (T·D)", expected: testScores.count * d, found: s.count)
            }
            root = try RootCause.metrics(scores: s, labels: l, dimensions: d)
        }
        let vus = try VUS.compute(scores: testScores, labels: labels, window: options.vusWindow)
        return ThresholdFreeMetrics(rocAUC: RankingMetrics.rocAUC(scores: testScores, labels: labels),
                                    prAUC: RankingMetrics.averagePrecision(scores: testScores, labels: labels),
                                    rootCause: root, vusPR: vus?.pr, vusROC: vus?.roc, vusWindow: options.vusWindow)
    }
}

/// Everything for one (scores, labels, threshold). Encoded as
/// `{"threshold_selection": {...}, "at_threshold_<method>": {...}, "threshold_free": {...}, ...}`, so the key of the
/// threshold-dependent block names the calibration, e.g. `at_threshold_best_f1_ORACLE_point_adjusted_f1`.
public struct MetricsReport: Codable, Equatable, Sendable {
    /// Threshold, its method, and whether test scores / test labels were read to choose it.
    public var thresholdSelection: CalibratedThreshold
    public var atThreshold: ThresholdDependentMetrics
    public var thresholdFree: ThresholdFreeMetrics
    public var steps: Int
    public var anomalousSteps: Int
    public var anomalySegments: Int

    /// Computes the report.  testScores, labels: (T,); perDimensionScores, interpretationLabels: (T, D) row-major.
    /// `options.vusWindow` sets the VUS buffer length (default 0).
    public static func compute(testScores: [Double], labels: [Bool], threshold: CalibratedThreshold,
                               perDimensionScores: [Double]? = nil, interpretationLabels: [Bool]? = nil,
                               dimensions: Int? = nil, options: MetricsOptions = MetricsOptions()) throws -> MetricsReport {
        let free = try ThresholdFreeMetrics.compute(testScores: testScores, labels: labels, perDimensionScores: perDimensionScores,
                                                    interpretationLabels: interpretationLabels, dimensions: dimensions, options: options)
        return try compute(testScores: testScores, labels: labels, threshold: threshold, thresholdFree: free)
    }

    /// The report for one threshold with a threshold-free block already computed by `ThresholdFreeMetrics.compute`
    /// on the SAME testScores and labels (so VUS, ROC-AUC, … are computed once for several thresholds).
    public static func compute(testScores: [Double], labels: [Bool], threshold: CalibratedThreshold,
                               thresholdFree free: ThresholdFreeMetrics) throws -> MetricsReport {
        try validate(testScores: testScores, labels: labels)
        let pred = threshold.predictions(testScores)
        let dependent = try ThresholdDependentMetrics.compute(predictions: pred, labels: labels)
        return MetricsReport(thresholdSelection: threshold, atThreshold: dependent, thresholdFree: free,
                             steps: testScores.count, anomalousSteps: labels.reduce(0) { $0 + ($1 ? 1 : 0) },
                             anomalySegments: DetectionMetrics.segments(labels).count)
    }

    /// Non-empty, aligned, finite scores.
    static func validate(testScores: [Double], labels: [Bool]) throws {
        guard !testScores.isEmpty else { throw MetricsError.empty(what: "test scores") }
        guard labels.count == testScores.count else {
            throw MetricsError.lengthMismatch(what: "labels", expected: testScores.count, found: labels.count)
        }
        if let i = testScores.firstIndex(where: { !$0.isFinite }) { throw MetricsError.nonFinite(what: "test scores", index: i) }
    }

    public init(thresholdSelection: CalibratedThreshold, atThreshold: ThresholdDependentMetrics, thresholdFree: ThresholdFreeMetrics,
                steps: Int, anomalousSteps: Int, anomalySegments: Int) {
        self.thresholdSelection = thresholdSelection
        self.atThreshold = atThreshold
        self.thresholdFree = thresholdFree
        self.steps = steps
        self.anomalousSteps = anomalousSteps
        self.anomalySegments = anomalySegments
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// JSON key of the threshold-dependent block for a method name.
    public static func atThresholdKey(method: String) -> String { "at_threshold_" + method }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(thresholdSelection, forKey: Key("threshold_selection"))
        try c.encode(atThreshold, forKey: Key(MetricsReport.atThresholdKey(method: thresholdSelection.method)))
        try c.encode(thresholdFree, forKey: Key("threshold_free"))
        try c.encode(steps, forKey: Key("steps"))
        try c.encode(anomalousSteps, forKey: Key("anomalous_steps"))
        try c.encode(anomalySegments, forKey: Key("anomaly_segments"))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        thresholdSelection = try c.decode(CalibratedThreshold.self, forKey: Key("threshold_selection"))
        atThreshold = try c.decode(ThresholdDependentMetrics.self, forKey: Key(MetricsReport.atThresholdKey(method: thresholdSelection.method)))
        thresholdFree = try c.decode(ThresholdFreeMetrics.self, forKey: Key("threshold_free"))
        steps = try c.decode(Int.self, forKey: Key("steps"))
        anomalousSteps = try c.decode(Int.self, forKey: Key("anomalous_steps"))
        anomalySegments = try c.decode(Int.self, forKey: Key("anomaly_segments"))
    }
}
