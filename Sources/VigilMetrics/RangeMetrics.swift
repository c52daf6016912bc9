// Range-based precision/recall/F1 (Tatbul et al., NeurIPS 2018), with TSB-AD's settings as the default.
import Foundation

/// Positional bias δ(i, ℓ) for the i-th step (1-based) of a range of ℓ steps: which part of a range matters most.
public enum RangeBias: String, Codable, Sendable, CaseIterable {
    /// δ = 1: every step counts the same (TSB-AD; the paper's choice for precision).
    case flat
    /// δ = ℓ − i + 1: early detection rewarded.
    case front
    /// δ = i for i ≤ ℓ/2, else ℓ − i + 1.
    case middle
    /// δ = i: late steps weigh most.
    case back

    /// δ(i, ℓ), i = 1…ℓ.
    public func weight(position i: Int, length: Int) -> Double {
        switch self {
        case .flat: return 1
        case .front: return Double(length - i + 1)
        case .back: return Double(i)
        case .middle: return 2 * i <= length ? Double(i) : Double(length - i + 1)
        }
    }
}

/// Cardinality factor γ(x) for a range overlapped by x ranges of the other series.
public enum RangeCardinality: String, Codable, Sendable, CaseIterable {
    /// γ = 1 whatever x: fragmented detections are not penalised.
    case one
    /// γ = 1 for x ≤ 1, else 1/x (TSB-AD).
    case reciprocal
}

/// Settings of the range-based metrics. The default is what TSB-AD 1.5 uses for its reported "R-based-F1"
/// (`basic_metricor.metric_RF1`): α = 0.2 existence reward in recall, flat bias, reciprocal cardinality.
public struct RangeMetricsOptions: Codable, Equatable, Sendable {
    /// Weight α ∈ [0, 1] of the existence reward in recall (precision never has one: α = 0 there, as in the paper).
    public var alpha: Double
    /// Positional bias δ, used for both recall and precision (TSB-AD uses one bias for both).
    public var bias: RangeBias
    /// Cardinality factor γ, used for both.
    public var cardinality: RangeCardinality

    public init(alpha: Double = 0.2, bias: RangeBias = .flat, cardinality: RangeCardinality = .reciprocal) {
        self.alpha = alpha; self.bias = bias; self.cardinality = cardinality
    }

    /// TSB-AD's settings (the default).
    public static let tsbAD = RangeMetricsOptions()
}

/// Range-based precision, recall and F1 with the range counts; undefined ratios are 0 (never NaN).
public struct RangePRF: Codable, Equatable, Sendable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Number of true anomaly ranges (the recall average runs over them).
    public var trueRanges: Int
    /// Number of predicted ranges (the precision average runs over them).
    public var predictedRanges: Int

    enum CodingKeys: String, CodingKey {
        case precision, recall, f1
        case trueRanges = "true_ranges"
        case predictedRanges = "predicted_ranges"
    }
}

/// Range-based metrics (Tatbul et al., "Precision and Recall for Time Series", NeurIPS 2018).
///
/// Ranges are maximal runs of true steps: R_1…R_Nr in the labels, P_1…P_Np in the predictions. For a range A against
/// the other series' flagged steps B and ranges:
///   ω(A, B) = Σ_{i: step i of A is in B} δ(i, |A|) / Σ_{i=1…|A|} δ(i, |A|)      (overlap size with positional bias)
///   γ(A) = 1 if A overlaps ≤ 1 range of the other series, else γ(x) (x = number of those ranges; 1/x or 1)
///   Existence(A) = 1 if A contains a step of B, else 0.
/// Recall_T = (1/Nr) Σ_i [α·Existence(R_i) + (1 − α)·γ(R_i)·ω(R_i, predictions)],
/// Precision_T = (1/Np) Σ_j γ(P_j)·ω(P_j, labels),  F1 = 2·P·R/(P + R).
/// No true range → recall 0; no predicted range → precision 0; P + R = 0 → F1 0 (TSB-AD returns the same 0s).
///
/// Compared with TSB-AD 1.5 (`range_recall_new`, `w`, `b`, `Cardinality_factor`): identical numbers for its settings
/// (flat bias) on 0/1 integer inputs, except where TSB-AD is wrong, which is not reproduced:
///  * its range finder (`range_convers_new`, on `np.diff`) returns no range for a series flagged at every step, so
///    all-anomalous labels give recall 0 and all-flagged predictions give precision 0; here that is one range;
///  * given boolean predictions, `np.diff` is an XOR and the ranges it finds are wrong (its `main.py` passes
///    `score > mean + 3·std`, a boolean array, to `get_metrics`); its leaderboard R-based-F1 searches thresholds
///    with integer predictions and is not affected;
///  * its positional bias uses the absolute index of a step instead of the position within the range (only
///    matters for non-flat biases, which TSB-AD does not use); here δ takes the 1-based position, as the paper.
public enum RangeMetrics {
    /// Range precision/recall/F1 of `predictions` against `labels` (both (T,)).
    public static func compute(predictions: [Bool], labels: [Bool], options: RangeMetricsOptions = .tsbAD) throws -> RangePRF {
        guard predictions.count == labels.count else {
            throw MetricsError.lengthMismatch(what: "range metrics predictions", expected: labels.count, found: predictions.count)
        }
        guard options.alpha >= 0, options.alpha <= 1 else {
            throw MetricsError.invalidParameter(what: "range alpha", value: "\(options.alpha)", expected: "an existence weight in [0, 1]")
        }
        let trueRanges = DetectionMetrics.segments(labels), predictedRanges = DetectionMetrics.segments(predictions)
        let recall = directional(trueRanges, against: predictions, alpha: options.alpha, options: options)
        let precision = directional(predictedRanges, against: labels, alpha: 0, options: options)
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return RangePRF(precision: precision, recall: recall, f1: f1,
                        trueRanges: trueRanges.count, predictedRanges: predictedRanges.count)
    }

    /// (1/|ranges|) Σ_A [α·Existence(A) + (1 − α)·γ(A)·ω(A, other)], 0 without ranges.
    static func directional(_ ranges: [Segment], against other: [Bool], alpha: Double, options: RangeMetricsOptions) -> Double {
        guard !ranges.isEmpty else { return 0 }
        var total = 0.0
        for r in ranges {
            var hit = 0.0, all = 0.0, overlapping = 0
            for t in r.start...r.end {
                let d = options.bias.weight(position: t - r.start + 1, length: r.length)
                all += d
                if other[t] {
                    hit += d
                    if t == r.start || !other[t - 1] { overlapping += 1 }   // a range of `other` begins here (within r)
                }
            }
            let existence: Double = overlapping > 0 ? 1 : 0
            let gamma: Double = options.cardinality == .one || overlapping <= 1 ? 1 : 1 / Double(overlapping)
            total += alpha * existence + (1 - alpha) * gamma * (hit / all)
        }
        return total / Double(ranges.count)
    }
}
