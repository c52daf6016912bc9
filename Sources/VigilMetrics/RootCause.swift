// Root-cause (interpretation) metrics: Hit@p% and NDCG@p% as TranAD's `src/diagnosis.py` computes them.
import Foundation

/// Hit@p% and NDCG@p% means over test rows that have at least one labelled dimension.
public struct RootCauseMetrics: Codable, Equatable, Sendable {
    /// Number of rows with ≥ 1 labelled dimension (the rows averaged over).
    public var labelledRows: Int
    public var hitAt100: Double
    public var hitAt150: Double
    public var ndcgAt100: Double
    public var ndcgAt150: Double

    enum CodingKeys: String, CodingKey {
        case labelledRows = "labelled_rows"
        case hitAt100 = "hit@100%"
        case hitAt150 = "hit@150%"
        case ndcgAt100 = "ndcg@100%"
        case ndcgAt150 = "ndcg@150%"
    }
}

/// Root-cause metrics from per-dimension scores.
///
/// For a row with label set L (|L| ≥ 1) and p ∈ {100, 150}: k = round(p·|L|/100) with Python's round (half to even:
/// p = 150, |L| = 1 → 2, |L| = 3 → 4, |L| = 5 → 8), as the reference does.
/// Hit@p% = |top-k dims ∩ L| / |L|, with dims ranked by score descending and ties broken by the HIGHER index first
/// (what `np.argsort(a)[::-1]` gives with a stable sort; numpy's default sort is not guaranteed stable for D > 16).
/// NDCG@p% = DCG@k / IDCG@k with binary relevance and discount 1/log2(rank + 1); DCG averages gains over tied scores
/// (sklearn `ndcg_score` default, ignore_ties = False), IDCG = Σ_{r ≤ min(k, |L|)} 1/log2(r + 1).
public enum RootCause {
    /// Python 3 `round` of p·n/100 (banker's rounding), computed in the same floating-point order.
    public static func cutoff(percent p: Double, labelled n: Int) -> Int {
        Int((p * Double(n) / 100).rounded(.toNearestOrEven))
    }

    /// Metrics from row-major matrices.  scores, labels: (T, D) flattened row-major.
    public static func metrics(scores: [Double], labels: [Bool], dimensions d: Int) throws -> RootCauseMetrics? {
        guard d > 0, scores.count % d == 0 else { throw MetricsError.badShape(what: "per-dimension scores", count: scores.count, dimensions: d) }
        guard labels.count == scores.count else {
            throw MetricsError.lengthMismatch(what: "interpretation labels", expected: scores.count, found: labels.count)
        }
        let rows = scores.count / d
        var order = [Int](repeating: 0, count: d)       // workspace, reused per row
        var discounts = [Double](repeating: 0, count: d + 1)
        for r in 0..<d { discounts[r] = 1 / log2(Double(r) + 2) }   // 0-based rank r → 1/log2(r + 2)
        var counted = 0
        var hit100 = 0.0, hit150 = 0.0, ndcg100 = 0.0, ndcg150 = 0.0
        scores.withUnsafeBufferPointer { sp in
            labels.withUnsafeBufferPointer { lp in
                for row in 0..<rows {
                    let base = row * d
                    var nLab = 0
                    for j in 0..<d where lp[base + j] { nLab += 1 }
                    if nLab == 0 { continue }
                    counted += 1
                    for j in 0..<d { order[j] = j }
                    order.sort { a, b in
                        let sa = sp[base + a], sb = sp[base + b]
                        return sa != sb ? sa > sb : a > b
                    }
                    for (p, isHundred) in [(100.0, true), (150.0, false)] {
                        let k = cutoff(percent: p, labelled: nLab)
                        var hits = 0
                        for r in 0..<min(k, d) where lp[base + order[r]] { hits += 1 }
                        let hit = Double(hits) / Double(nLab)
                        // Tie-averaged DCG@k.
                        var dcg = 0.0
                        var pos = 0
                        while pos < d && pos < k {
                            let v = sp[base + order[pos]]
                            var end = pos, rel = 0
                            while end < d && sp[base + order[end]] == v {
                                if lp[base + order[end]] { rel += 1 }
                                end += 1
                            }
                            var disc = 0.0
                            for r in pos..<min(end, k) { disc += discounts[r] }
                            dcg += Double(rel) / Double(end - pos) * disc
                            pos = end
                        }
                        var idcg = 0.0
                        for r in 0..<min(k, nLab, d) { idcg += discounts[r] }
                        let ndcg = idcg > 0 ? dcg / idcg : 0
                        if isHundred { hit100 += hit; ndcg100 += ndcg } else { hit150 += hit; ndcg150 += ndcg }
                    }
                }
            }
        }
        guard counted > 0 else { return nil }
        let c = Double(counted)
        return RootCauseMetrics(labelledRows: counted, hitAt100: hit100 / c, hitAt150: hit150 / c,
                                ndcgAt100: ndcg100 / c, ndcgAt150: ndcg150 / c)
    }

    /// Convenience for nested rows.  scores, labels: (T, D)
    public static func metrics(scores: [[Double]], labels: [[Bool]]) throws -> RootCauseMetrics? {
        guard let d = scores.first?.count else { throw MetricsError.empty(what: "per-dimension scores") }
        for (i, row) in scores.enumerated() where row.count != d {
            throw MetricsError.lengthMismatch(what: "per-dimension scores row \(i)", expected: d, found: row.count)
        }
        for (i, row) in labels.enumerated() where row.count != d {
            throw MetricsError.lengthMismatch(what: "interpretation labels row \(i)", expected: d, found: row.count)
        }
        return try metrics(scores: scores.flatMap { $0 }, labels: labels.flatMap { $0 }, dimensions: d)
    }
}
