// Affiliation precision/recall/F1 (Huet, Navarro and Rossi, KDD 2022).
import Foundation

/// Affiliation precision, recall and F1 with the counts they average over; undefined ratios are 0 (never NaN).
public struct AffiliationPRF: Codable, Equatable, Sendable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Number of true events (= affiliation zones; the recall average runs over them).
    public var trueEvents: Int
    /// Number of predicted events.
    public var predictedEvents: Int
    /// Zones that contain part of a predicted event (the precision average runs over them).
    public var zonesWithPrediction: Int

    enum CodingKeys: String, CodingKey {
        case precision, recall, f1
        case trueEvents = "true_events"
        case predictedEvents = "predicted_events"
        case zonesWithPrediction = "zones_with_prediction"
    }
}

/// Affiliation metrics ("Local Evaluation of Time Series Anomaly Detection Algorithms", KDD 2022), as the authors'
/// reference implementation (`affiliation` package, copied into TSB-AD 1.5 as `evaluation/affiliation`) computes
/// them with TSB-AD's call `pr_from_events(events(pred), events(labels), (0, T))`.
///
/// **Events.** A flagged step t is the interval [t, t+1); a maximal run of flagged steps a…b is the event [a, b+1).
/// True events J_1…J_K (sorted), predicted events I_1…I_M, time range [0, T].
///
/// **Zones.** J_k's affiliation zone E_k = [z_k, z_{k+1}], cut at the midpoints between consecutive true events:
/// z_0 = 0, z_k = (end(J_{k−1}) + start(J_k))/2, z_K = T. Predictions are cut into the zones: I ∩ E_k.
///
/// **Precision in zone k** (defined only if some I ∩ E_k has positive length): for x uniform on E_k the survival
/// function of the distance to J_k is F̄_k(d) = 1 − (|J_k| + min(d, m_k) + d)/|E_k| with
/// m_k = min(start(J_k) − z_k, z_{k+1} − end(J_k)) (= 1 inside J_k), and
///   P_k = Σ_i ∫_{x ∈ I_i ∩ E_k} F̄_k(dist(x, J_k)) dx / Σ_i |I_i ∩ E_k|.
/// **Recall in zone k**: the pieces I_i ∩ E_k cut E_k again at their midpoints; each part of J_k goes to its nearest
/// piece I, and for y ∈ J_k with d = dist(y, I) the survival function of |X − y| over X uniform on E_k is
/// F̄_y(d) = 1 − (min(d, m_y) + d)/|E_k|, m_y = min(y − z_k, z_{k+1} − y) (= 1 inside I);
///   R_k = Σ_I ∫_{y ∈ J_k near I} F̄_y(dist(y, I)) dy / |J_k|,  and R_k = 0 if no prediction touches E_k.
/// Precision = mean of P_k over zones where it is defined, recall = mean of R_k over all K zones,
/// F1 = 2·P·R/(P + R). The integrands are piecewise linear; they are integrated exactly (trapezoids between their
/// breakpoints) rather than with the reference's closed forms, so values agree to rounding (~1e-15).
///
/// **Edge cases.** No predicted event: every P_k is undefined → precision 0 (the reference returns NaN, and TSB-AD's
/// F = 2PR/(P+R+1e-15) is then NaN too), recall 0, F1 0. No true event: the reference raises; here precision =
/// recall = F1 = 0 with `trueEvents` = 0 to show why. TSB-AD adds 1e-15 to the F1 denominator; this does not.
public enum Affiliation {
    /// Affiliation metrics of `predictions` against `labels` (both (T,)), time range [0, T].
    public static func compute(predictions: [Bool], labels: [Bool]) throws -> AffiliationPRF {
        guard predictions.count == labels.count else {
            throw MetricsError.lengthMismatch(what: "affiliation predictions", expected: labels.count, found: predictions.count)
        }
        let truth = DetectionMetrics.segments(labels).map { Interval(Double($0.start), Double($0.end + 1)) }
        let pred = DetectionMetrics.segments(predictions).map { Interval(Double($0.start), Double($0.end + 1)) }
        return compute(predicted: pred, truth: truth, range: Interval(0, Double(labels.count)))
    }

    /// A half-open real interval [lo, hi).
    struct Interval: Equatable {
        var lo: Double
        var hi: Double
        init(_ lo: Double, _ hi: Double) { self.lo = lo; self.hi = hi }
        var length: Double { hi - lo }
        /// Intersection with positive length, else nil (the reference drops empty and single-point intersections).
        func intersect(_ o: Interval) -> Interval? {
            let a = max(lo, o.lo), b = min(hi, o.hi)
            return a < b ? Interval(a, b) : nil
        }
    }

    /// Events sorted and disjoint; every event inside `range`.
    static func compute(predicted: [Interval], truth: [Interval], range: Interval) -> AffiliationPRF {
        let K = truth.count
        guard K > 0 else {
            return AffiliationPRF(precision: 0, recall: 0, f1: 0, trueEvents: 0, predictedEvents: predicted.count, zonesWithPrediction: 0)
        }
        var precisionSum = 0.0, precisionZones = 0, recallSum = 0.0
        var first = 0                                        // first predicted event that may reach the current zone
        for k in 0..<K {
            let lo = k == 0 ? range.lo : (truth[k - 1].hi + truth[k].lo) / 2
            let hi = k == K - 1 ? range.hi : (truth[k].hi + truth[k + 1].lo) / 2
            let zone = Interval(lo, hi), J = truth[k]
            while first < predicted.count && predicted[first].hi <= zone.lo { first += 1 }
            var pieces: [Interval] = []
            var i = first
            while i < predicted.count && predicted[i].lo < zone.hi {
                if let p = predicted[i].intersect(zone) { pieces.append(p) }
                i += 1
            }
            guard !pieces.isEmpty else { continue }          // P_k undefined, R_k = 0
            var integral = 0.0, length = 0.0
            for p in pieces {
                integral += precisionIntegral(p, truth: J, zone: zone)
                length += p.length
            }
            precisionSum += integral / length
            precisionZones += 1
            var recallIntegral = 0.0
            for (n, p) in pieces.enumerated() {
                let a = n == 0 ? zone.lo : (pieces[n - 1].hi + p.lo) / 2
                let b = n == pieces.count - 1 ? zone.hi : (p.hi + pieces[n + 1].lo) / 2
                if let part = J.intersect(Interval(a, b)) { recallIntegral += recallIntegralOf(part, prediction: p, zone: zone) }
            }
            recallSum += recallIntegral / J.length
        }
        let precision = precisionZones > 0 ? precisionSum / Double(precisionZones) : 0
        let recall = recallSum / Double(K)
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return AffiliationPRF(precision: precision, recall: recall, f1: f1, trueEvents: K,
                              predictedEvents: predicted.count, zonesWithPrediction: precisionZones)
    }

    /// ∫ over [u, v] of a piecewise-linear f with kinks only at `breaks`: trapezoids between the kinks (exact).
    static func integrate(_ u: Double, _ v: Double, breaks: [Double], _ f: (Double) -> Double) -> Double {
        guard v > u else { return 0 }
        var points = [u]
        for x in breaks.sorted() where x > u && x < v { points.append(x) }
        points.append(v)
        var s = 0.0
        for n in 1..<points.count {
            let a = points[n - 1], b = points[n]
            s += (f(a) + f(b)) / 2 * (b - a)
        }
        return s
    }

    /// ∫_{x ∈ piece} F̄(dist(x, J)) dx with F̄(d) = 1 − (|J| + min(d, m) + d)/|E| (1 inside J).
    static func precisionIntegral(_ piece: Interval, truth J: Interval, zone E: Interval) -> Double {
        let m = min(J.lo - E.lo, E.hi - J.hi)
        func fbar(_ d: Double) -> Double { 1 - (J.length + min(d, m) + d) / E.length }
        var s = 0.0
        if let inside = piece.intersect(J) { s += inside.length }
        if piece.lo < J.lo {                                   // part before J: d = J.lo − x
            let v = min(piece.hi, J.lo)
            s += integrate(piece.lo, v, breaks: [J.lo - m]) { x in fbar(J.lo - x) }
        }
        if piece.hi > J.hi {                                   // part after J: d = x − J.hi
            let u = max(piece.lo, J.hi)
            s += integrate(u, piece.hi, breaks: [J.hi + m]) { x in fbar(x - J.hi) }
        }
        return s
    }

    /// ∫_{y ∈ part} F̄_y(dist(y, I)) dy with F̄_y(d) = 1 − (min(d, m_y) + d)/|E|, m_y = min(y − E.lo, E.hi − y)
    /// (1 inside I). A side whose pivot (the nearest end of I) is not strictly inside E contributes 0, as in the
    /// reference (it cannot happen for pieces cut to E).
    static func recallIntegralOf(_ part: Interval, prediction I: Interval, zone E: Interval) -> Double {
        let mid = (E.lo + E.hi) / 2
        func side(_ u: Double, _ v: Double, pivot: Double) -> Double {
            guard pivot > E.lo, pivot < E.hi else { return 0 }
            return integrate(u, v, breaks: [mid, (E.lo + pivot) / 2, (E.hi + pivot) / 2]) { y in
                let d = abs(y - pivot)
                return 1 - (min(d, min(y - E.lo, E.hi - y)) + d) / E.length
            }
        }
        var s = 0.0
        if let inside = part.intersect(I) { s += inside.length }
        if part.lo < I.lo { s += side(part.lo, min(part.hi, I.lo), pivot: I.lo) }
        if part.hi > I.hi { s += side(max(part.lo, I.hi), part.hi, pivot: I.hi) }
        return s
    }
}
