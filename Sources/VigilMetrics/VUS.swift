// VUS-ROC and VUS-PR (Paparrizos et al., VLDB 2022) as TSB-AD 1.5 computes them, by sorting and cumulative counts.
import Foundation

/// Volumes under the range-ROC and range-PR surfaces, and the per-buffer areas they average.
public struct VUSResult: Equatable, Sendable {
    /// The largest buffer length ℓ (`vus_window`); the volumes average the areas of buffers 0, 1, …, ℓ.
    public var window: Int
    /// VUS-ROC: mean over buffers of the range-ROC area.
    public var roc: Double
    /// VUS-PR: mean over buffers of the range-PR area (a step sum, like average precision).
    public var pr: Double
    /// Range-ROC area for buffer w = 0…window (index = w).  Shape (window + 1,).
    public var rocPerBuffer: [Double]
    /// Range-PR area for buffer w = 0…window (index = w).  Shape (window + 1,).
    public var prPerBuffer: [Double]
}

/// VUS-ROC and VUS-PR exactly as TSB-AD computes them:
/// `TSB_AD.evaluation.basic_metrics.generate_curve(labels, score, ℓ, 'opt', 250)` on the min-max scaled score
/// (`sklearn.preprocessing.MinMaxScaler`), returning its `avg_auc_3d` (VUS-ROC) and `avg_ap_3d` (VUS-PR).
/// TSB-AD loops over thresholds × buffers × segments with numpy; this computes the same numbers in
/// O(n log n + (ℓ + 1)·(|buffered anomaly regions| + 250)) by sorting the scores once and bucketing every step by
/// the first threshold that flags it.
///
/// **Scaling.** s = x·c + (0 − min·c) with c = 1/(max − min), or c = 1 when max − min < 10·ε (sklearn's
/// `MinMaxScaler`, constant input → all 0). Only the order and the ties of s matter; scaling can merge scores that
/// differ in the last bits, and doing it the way sklearn does keeps those ties identical to TSB-AD's.
///
/// **Threshold grid (250 thresholds).** With s↓ the scores sorted descending and n the length, threshold j = 0…249 is
/// θ_j = s↓[i_j], i_j = trunc(j·((n−1)/249)) for j < 249 and i_249 = n − 1: numpy `linspace(0, n−1, 250).astype(int)`,
/// with step (n−1)/249 and the product j·step rounded in floating point before truncation (n = 22, j = 83 gives 6,
/// not the exact ⌊83·21/249⌋ = 7). So θ_0 is the maximum, θ_249 the minimum, the grid is spaced by rank (the
/// empirical quantiles k/249 of the scores, not a linspace of score values), and for n < 250 thresholds repeat
/// (a repeated point adds nothing to either area). A step is flagged at θ_j iff s ≥ θ_j: a tie group enters the
/// curve all at once, N_j = #{s ≥ θ_j} can exceed i_j + 1, and a tie group spanning several grid ranks repeats one
/// point.
///
/// **Buffers.** Let R_1…R_K be the anomaly segments [a_k, b_k] of the labels (P anomalous steps, n steps). For a
/// buffer length w, h = ⌊w/2⌋ and each normal step t with 1 ≤ d ≤ h, where d = t − b_k (after a segment) or
/// d = a_k − t (before one), gets the label weight √(1 − d/w); weights from several segments add and the sum is
/// clipped at 1 (two contributions are each ≥ √½, so a step reached by two segments weighs exactly 1). Anomalous
/// steps weigh 1. Buffers 0 and 1 are identical (h = 0). The regions 𝓛_w are the segments widened by h on both
/// sides (clipped to [0, n−1]) and merged when they overlap: [a_k − h, b_k + h] and [a_{k+1} − h, …] merge iff
/// b_k + h ≥ a_{k+1} − h, so two regions that only touch stay separate.
///
/// **Curve at threshold j, buffer w.** With ℓ_t the weight above and B_j = Σ_{t normal, s_t ≥ θ_j} ℓ_t:
///   TP = #{anomalous t flagged} + B_j,   P' = (P + (P + B_j))/2,   FP = N_j − TP,
///   TPR = min(TP/P', 1) · (#regions of 𝓛_w with a flagged step)/|𝓛_w|,   FPR = FP/(n − P'),   Prec = TP/N_j.
/// ROC area = trapezoid over the points (0,0), (FPR_j, TPR_j) for j = 0…249 in threshold order, then (1,1);
/// PR area = Σ_j (TPR_j − TPR_{j−1})·Prec_j with TPR_{−1} = 0 (no final point, no interpolation).
/// VUS-ROC = (1/(ℓ+1)) Σ_{w=0…ℓ} ROC area(w), VUS-PR likewise.
///
/// **TSB-AD quirks reproduced** (they are the definition the TSB-AD leaderboard uses):
///  * the rank-spaced 250-threshold grid above (not all distinct scores), with repeats for n < 250;
///  * P' = P + B_j/2 (the "neither large nor small" positive count) in both recall and the FPR denominator, which
///    therefore change with the threshold; recall is capped at 1;
///  * TPR is multiplied by the existence ratio over the merged buffered regions 𝓛_w (not the raw segments);
///  * buffer weight √(1 − d/w) with d ≤ ⌊w/2⌋ (odd w: e.g. w = 5 gives d = 1, 2 only), overlaps summed then clipped;
///    buffers 0 and 1 are the same curve, so ℓ = 1 averages it twice; regions that only touch are counted apart;
///  * with ℓ = 0 the volumes still differ from ROC-AUC and average precision: the curve is sampled at 250 rank
///    thresholds and TPR carries the existence factor;
///  * the ROC curve is closed by (1,1) while the PR sum has no closing point; areas are not monotonicity-corrected
///    (TPR may drop when a new step raises P', and the PR step then counts negatively); with a buffer the lowest
///    threshold ends at FPR = (n − P − B)/(n − P − B/2) < 1, and the closing segment to (1,1) adds the rest.
/// A buffer's area does not depend on ℓ, so the result for ℓ is the mean of the first ℓ + 1 entries of the per-buffer
/// arrays of any larger ℓ. Cost: one sort, then per buffer one pass over 𝓛_w and over the 250 thresholds
/// (SMD-sized series: milliseconds; measure with scripts/bench-vus).
/// Differences from TSB-AD: it raises (IndexError) when the labels have no anomaly or no normal step (its segment
/// finder returns nothing for an all-anomalous series); here the result is nil. Sums are accumulated in a different
/// order, so values agree to rounding (≤ 4e-16 on the goldens of scripts/golden_vus_tsbad.py), not bit for bit.
public enum VUS {
    /// Number of thresholds (TSB-AD's `thre`).
    public static let thresholdCount = 250
    /// Largest accepted buffer length: the cost grows with ℓ·n, and longer buffers than any SMD series are meaningless.
    public static let maximumWindow = 100_000

    /// VUS-ROC/VUS-PR of `scores` (T,) against `labels` (T,) with buffer lengths 0…`window`.
    /// nil when the labels have a single class (the volumes are undefined; TSB-AD raises).
    /// Throws on empty or misaligned input, non-finite scores, or a window outside 0…`maximumWindow`.
    public static func compute(scores: [Double], labels: [Bool], window: Int) throws -> VUSResult? {
        guard !scores.isEmpty else { throw MetricsError.empty(what: "VUS scores") }
        guard labels.count == scores.count else {
            throw MetricsError.lengthMismatch(what: "VUS labels", expected: scores.count, found: labels.count)
        }
        guard window >= 0, window <= maximumWindow else {
            throw MetricsError.invalidParameter(what: "vus_window", value: "\(window)",
                                                expected: "an integer buffer length from 0 to \(maximumWindow) (0 = TSB-AD's multivariate convention)")
        }
        if let i = scores.firstIndex(where: { !$0.isFinite }) { throw MetricsError.nonFinite(what: "VUS scores", index: i) }
        let n = scores.count
        let anomalous = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard anomalous > 0, anomalous < n else { return nil }

        let ranks = flagRanks(scaled: minMaxScaled(scores))
        let segments = DetectionMetrics.segments(labels)
        let gap = gapIndex(labels: labels, segments: segments)

        // Anomalous steps first flagged at threshold j, cumulated: flaggedAnomalies[j] = #{anomalous t : s_t ≥ θ_j}.
        var flaggedAnomalies = [Double](repeating: 0, count: thresholdCount)
        for t in 0..<n where labels[t] { flaggedAnomalies[ranks.firstThreshold[t]] += 1 }
        for j in 1..<thresholdCount { flaggedAnomalies[j] += flaggedAnomalies[j - 1] }

        var rocPer = [Double](repeating: 0, count: window + 1)
        var prPer = [Double](repeating: 0, count: window + 1)
        var weightAt = [Double](repeating: 0, count: thresholdCount)    // (250,) buffer weight first flagged at j
        var regionsAt = [Double](repeating: 0, count: thresholdCount)   // (250,) regions first flagged at j
        let P = Double(anomalous), total = Double(n)
        for w in 0...window {
            for j in 0..<thresholdCount { weightAt[j] = 0; regionsAt[j] = 0 }
            let regions = bufferedRegions(segments: segments, half: w / 2, count: n)
            for r in regions {
                var first = thresholdCount
                for t in r.start...r.end {
                    let fj = ranks.firstThreshold[t]
                    if fj < first { first = fj }
                    if !labels[t] {
                        let lw = bufferWeight(t: t, gap: gap[t], segments: segments, window: w)
                        if lw > 0 { weightAt[fj] += lw }
                    }
                }
                regionsAt[first] += 1
            }
            let regionCount = Double(regions.count)
            var buffer = 0.0, existing = 0.0
            var prevTPR = 0.0, prevFPR = 0.0, roc = 0.0, pr = 0.0
            for j in 0..<thresholdCount {
                buffer += weightAt[j]
                existing += regionsAt[j]
                let flagged = Double(ranks.flaggedCount[j])
                let tp = flaggedAnomalies[j] + buffer
                let pNew = (P + (P + buffer)) / 2
                let tpr = min(tp / pNew, 1) * (existing / regionCount)
                let fpr = (flagged - tp) / (total - pNew)
                let precision = tp / flagged
                roc += (fpr - prevFPR) * ((tpr + prevTPR) / 2)
                pr += (tpr - prevTPR) * precision
                prevTPR = tpr; prevFPR = fpr
            }
            roc += (1 - prevFPR) * ((1 + prevTPR) / 2)
            rocPer[w] = roc
            prPer[w] = pr
        }
        var rocSum = 0.0, prSum = 0.0
        for w in 0...window { rocSum += rocPer[w]; prSum += prPer[w] }
        let windows = Double(window) + 1
        return VUSResult(window: window, roc: rocSum / windows, pr: prSum / windows, rocPerBuffer: rocPer, prPerBuffer: prPer)
    }

    /// sklearn `MinMaxScaler(feature_range=(0, 1))`: x·c + (0 − min·c), c = 1/(max − min) (1 when max − min < 10·ε).
    static func minMaxScaled(_ x: [Double]) -> [Double] {
        var lo = x[0], hi = x[0]
        for v in x { if v < lo { lo = v }; if v > hi { hi = v } }
        let range = hi - lo
        let c = 1.0 / (range < 10 * Double.ulpOfOne ? 1.0 : range)
        let offset = 0.0 - lo * c
        return x.map { v in
            let scaled = v * c
            return scaled + offset
        }
    }

    /// Row indices of the threshold grid: numpy `linspace(0, n − 1, count).astype(int)`.
    static func thresholdIndices(n: Int, count: Int = thresholdCount) -> [Int] {
        let stop = Double(n - 1)
        let step = stop / Double(count - 1)
        var out = [Int](repeating: 0, count: count)
        for j in 0..<(count - 1) { out[j] = step == 0 ? 0 : Int(Double(j) * step) }
        out[count - 1] = n - 1
        return out
    }

    /// For each threshold j: N_j = #{s ≥ θ_j}; for each step t: the first j with s_t ≥ θ_j.
    struct FlagRanks {
        var flaggedCount: [Int]      // (250,)
        var firstThreshold: [Int]    // (n,)
    }

    static func flagRanks(scaled s: [Double]) -> FlagRanks {
        let n = s.count
        let order = s.indices.sorted { s[$0] > s[$1] }          // (n,) descending; ties in any order
        // lastOfTie[r]: last sorted position holding the value at sorted position r.
        var lastOfTie = [Int](repeating: n - 1, count: n)
        var r = n - 1
        while r > 0 {
            r -= 1
            lastOfTie[r] = s[order[r]] == s[order[r + 1]] ? lastOfTie[r + 1] : r
        }
        let idx = thresholdIndices(n: n)
        let flagged = idx.map { lastOfTie[$0] + 1 }
        var first = [Int](repeating: 0, count: n)
        var j = 0
        for r in 0..<n {
            while flagged[j] <= r { j += 1 }                     // flagged[249] = n > r ends the scan
            first[order[r]] = j
        }
        return FlagRanks(flaggedCount: flagged, firstThreshold: first)
    }

    /// gap[t] = number of anomaly segments that end before t (meaningful for normal steps).
    static func gapIndex(labels: [Bool], segments: [Segment]) -> [Int32] {
        var gap = [Int32](repeating: 0, count: labels.count)
        var k = 0
        for t in 0..<labels.count {
            while k < segments.count && segments[k].end < t { k += 1 }
            gap[t] = Int32(k)
        }
        return gap
    }

    /// The merged buffered regions 𝓛 for half-width h (TSB-AD `new_sequence`): segments widened by h, clipped to
    /// [0, count−1], merged iff end_k + h ≥ start_{k+1} − h.
    static func bufferedRegions(segments: [Segment], half h: Int, count: Int) -> [Segment] {
        var out: [Segment] = []
        var a = max(segments[0].start - h, 0)
        for k in 0..<(segments.count - 1) where segments[k].end + h < segments[k + 1].start - h {
            out.append(Segment(start: a, end: segments[k].end + h))
            a = segments[k + 1].start - h
        }
        out.append(Segment(start: a, end: min(segments[segments.count - 1].end + h, count - 1)))
        return out
    }

    /// Buffer weight of a normal step t lying after `gap` segments, for buffer length w (TSB-AD `sequencing`).
    @inline(__always)
    static func bufferWeight(t: Int, gap g32: Int32, segments: [Segment], window w: Int) -> Double {
        let h = w / 2
        guard h > 0 else { return 0 }
        let g = Int(g32)
        var reached = 0, distance = 0
        if g >= 1, t - segments[g - 1].end <= h { reached += 1; distance = t - segments[g - 1].end }
        if g >= 2, t - segments[g - 2].end <= h { reached += 1 }
        if g < segments.count, segments[g].start - t <= h { reached += 1; distance = segments[g].start - t }
        if g + 1 < segments.count, segments[g + 1].start - t <= h { reached += 1 }
        if reached == 0 { return 0 }
        if reached >= 2 { return 1 }                             // ≥ √½ + √½ > 1, clipped to 1
        return (1 - Double(distance) / Double(w)).squareRoot()
    }
}
