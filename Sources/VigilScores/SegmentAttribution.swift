// Which dimensions a detected anomaly segment is attributed to: the serving component's root-cause rule
// (issue 12), shared by `report.html` (the attribution heatmap) and `vigil score` (the JSON contract).
//
// Reads training scores (the baselines) and the scores of the series being explained; never labels.

/// A maximal run of flagged rows: rows `start...end` (both inclusive) all have score > threshold, and the rows
/// just before and after (when they exist) do not.
public struct AnomalySegment: Equatable, Sendable {
    /// First flagged row.
    public var start: Int
    /// Last flagged row (inclusive).
    public var end: Int
    /// Row of the largest score in the run (the first such row on ties).
    public var peakIndex: Int
    /// Largest score in the run.
    public var peakScore: Double
    /// Mean score over the run.
    public var meanScore: Double

    /// Number of rows, end − start + 1.
    public var length: Int { end - start + 1 }

    public init(start: Int, end: Int, peakIndex: Int, peakScore: Double, meanScore: Double) {
        self.start = start; self.end = end; self.peakIndex = peakIndex; self.peakScore = peakScore; self.meanScore = meanScore
    }

    /// Maximal runs of rows with `scores[t] > threshold` (strict, as the metrics and the exported threshold), in
    /// time order. A NaN score is never flagged (it compares false), so it ends a run.
    public static func find(in scores: [Double], threshold: Double) -> [AnomalySegment] {
        var out: [AnomalySegment] = []
        var t = 0
        let n = scores.count
        while t < n {
            guard scores[t] > threshold else { t += 1; continue }
            let start = t
            var peak = t, sum = 0.0
            while t < n, scores[t] > threshold {
                if scores[t] > scores[peak] { peak = t }
                sum += scores[t]
                t += 1
            }
            out.append(AnomalySegment(start: start, end: t - 1, peakIndex: peak, peakScore: scores[peak],
                                      meanScore: sum / Double(t - start)))
        }
        return out
    }
}

/// Errors of `SegmentAttribution`; each says what to do.
public enum AttributionError: Error, Equatable, CustomStringConvertible {
    /// The model gives one score per row (Isolation Forest): there is nothing to attribute.
    case noPerDimensionScores(model: String)
    /// Training and explained scores have different numbers of dimensions.
    case dimensionMismatch(baselines: Int, scores: Int)
    /// A baseline is not a positive finite number.
    case invalidBaseline(dimension: Int, value: Double)
    /// No training rows to take percentiles of.
    case emptyTraining(model: String)
    /// A training score is NaN or infinite (the model diverged).
    case nonFiniteTraining(model: String, dimension: Int)
    /// A segment reaches outside the scored rows.
    case segmentOutOfRange(start: Int, end: Int, rows: Int)

    public var description: String {
        switch self {
        case let .noPerDimensionScores(m):
            return "\(m) gives one score per row: attribution needs per-dimension scores (use a model such as tranad)"
        case let .dimensionMismatch(b, s):
            return "\(b) baselines but \(s) score dimensions: the baselines come from a different model or dataset"
        case let .invalidBaseline(d, v):
            return "baseline of dimension \(d) is \(v): baselines must be positive and finite (they are floored at 1e-8)"
        case let .emptyTraining(m):
            return "\(m) has no training scores: baselines need at least one training row"
        case let .nonFiniteTraining(m, d):
            return "\(m) has a NaN or infinite training score in dimension \(d): the model diverged; retrain it"
        case let .segmentOutOfRange(s, e, n):
            return "segment \(s)...\(e) lies outside the \(n) scored rows"
        }
    }
}

/// The attribution of one segment: per dimension its mean elevation and its share of the excess.
public struct SegmentProfile: Equatable, Sendable {
    /// Per dimension d (D,): mean over the segment's rows t of score[t, d] / baseline[d].
    public var meanElevation: [Double]
    /// Per dimension d (D,): Σ_t max(score[t, d] − baseline[d], 0) / Σ_d' Σ_t max(score[t, d'] − baseline[d'], 0)
    /// (all zero when no score exceeds its baseline).
    public var contribution: [Double]
}

/// One attributed dimension of a segment.
public struct AttributedDimension: Equatable, Sendable {
    public var dim: Int
    public var meanElevation: Double
    public var contribution: Double
}

/// The serving component's attribution rule.
///
/// - Baselines: per dimension d, b_d = max(P95(training scores of d), 1e-8), P95 the linearly interpolated
///   95th percentile (numpy's default: position (n − 1)·0.95 in the sorted scores).
/// - Segment profile: for the rows t of a segment, the mean elevation mean_t(s[t, d] / b_d) and the share of the
///   excess max(s[t, d] − b_d, 0) summed over the segment (see `SegmentProfile`).
/// - Attributed dimensions: ranked by mean elevation (descending; ties by dimension index), kept while the
///   elevation is ≥ 2.0, until the kept shares sum to ≥ 80 % of the excess, at most 10 dimensions.
public struct SegmentAttribution: Equatable, Sendable {
    public static let baselinePercentile = 95.0
    public static let baselineFloor = 1e-8
    public static let minimumElevation = 2.0
    public static let coveredExcess = 0.8
    public static let maximumDimensions = 10

    /// Per-dimension baselines b_d (D,), positive and finite.
    public let baselines: [Double]

    /// Uses given baselines (e.g. `feature_baselines` of an exported `scorer_state.json`).
    public init(baselines: [Double]) throws {
        for (d, b) in baselines.enumerated() where !(b.isFinite && b > 0) {
            throw AttributionError.invalidBaseline(dimension: d, value: b)
        }
        self.baselines = baselines
    }

    /// Baselines from training scores: b_d = max(P95(train[:, d]), 1e-8). Reads training scores only.
    public init(training: ScoreSet) throws {
        guard training.dims > 0 else { throw AttributionError.noPerDimensionScores(model: training.model) }
        guard training.rows > 0 else { throw AttributionError.emptyTraining(model: training.model) }
        var b = [Double](repeating: 0, count: training.dims)
        var column = [Double](repeating: 0, count: training.rows)
        for d in 0..<training.dims {
            for r in 0..<training.rows { column[r] = training.perDimension[r * training.dims + d] }
            guard column.allSatisfy(\.isFinite) else { throw AttributionError.nonFiniteTraining(model: training.model, dimension: d) }
            b[d] = max(Self.percentile(column, Self.baselinePercentile), Self.baselineFloor)
        }
        try self.init(baselines: b)
    }

    /// Linearly interpolated percentile p (0…100) of finite, non-empty `values` (numpy's default method).
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        precondition(!values.isEmpty, "percentile of no values")
        let s = values.sorted()
        let pos = Double(s.count - 1) * min(max(p, 0), 100) / 100
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }

    /// The profile of `segment` in `scores` (per-dimension scores of the explained series, rows × D).
    public func profile(of segment: AnomalySegment, in scores: ScoreSet) throws -> SegmentProfile {
        guard scores.dims > 0 else { throw AttributionError.noPerDimensionScores(model: scores.model) }
        guard scores.dims == baselines.count else {
            throw AttributionError.dimensionMismatch(baselines: baselines.count, scores: scores.dims)
        }
        guard segment.start >= 0, segment.start <= segment.end, segment.end < scores.rows else {
            throw AttributionError.segmentOutOfRange(start: segment.start, end: segment.end, rows: scores.rows)
        }
        let D = scores.dims
        var elevation = [Double](repeating: 0, count: D)
        var excess = [Double](repeating: 0, count: D)
        scores.perDimension.withUnsafeBufferPointer { s in
            for t in segment.start...segment.end {
                for d in 0..<D {
                    let v = s[t * D + d]
                    elevation[d] += v / baselines[d]
                    excess[d] += max(v - baselines[d], 0)
                }
            }
        }
        let n = Double(segment.length)
        let total = excess.reduce(0, +)
        return SegmentProfile(meanElevation: elevation.map { $0 / n },
                              contribution: excess.map { total > 0 ? $0 / total : 0 })
    }

    /// The attributed dimensions of a profile (the rule above), most elevated first.
    public static func attributedDimensions(_ p: SegmentProfile) -> [AttributedDimension] {
        // A NaN elevation (a non-finite test score) ranks last and is never kept.
        let key = p.meanElevation.map { $0.isNaN ? -Double.infinity : $0 }
        let ranked = key.indices.sorted { key[$0] != key[$1] ? key[$0] > key[$1] : $0 < $1 }
        var out: [AttributedDimension] = []
        var covered = 0.0
        for d in ranked {
            guard p.meanElevation[d] >= minimumElevation, out.count < maximumDimensions, covered < coveredExcess else { break }
            out.append(AttributedDimension(dim: d, meanElevation: p.meanElevation[d], contribution: p.contribution[d]))
            covered += p.contribution[d]
        }
        return out
    }
}
