// The non-parametric dynamic threshold of Hundman et al., "Detecting Spacecraft Anomalies Using LSTMs and
// Nonparametric Dynamic Thresholding" (KDD 2018), as its code (khundman/telemanom, errors.py) computes it, on the
// 1-D anomaly score of a stream. It reads PAST SCORES of the stream (and the scores of the batch being decided), so
// it is an online method a live system could run, but not a threshold that can be exported as one number.
//
// Per batch of b rows (the stream cut into consecutive batches), with e the window of the last window·b scores up
// to the end of the batch (the calibration scores that precede the stream fill it at the start):
//   ε(z) = μ(e) + z·σ(e) for z = 2.5, 3.0, …, 11.5;  e_a(z) = {i : e_i ≥ ε(z)} widened by ±(buffer − 1) rows;
//   E_seq(z) = the runs of e_a(z) longer than one row;
//   score(z) = (Δμ/μ + Δσ/σ) / (|E_seq(z)|² + |e_a(z)|), Δμ = μ(e) − μ({e_i < ε(z)}), Δσ likewise;
//   ε = ε(z*) for the last z maximising score(z) among those with |E_seq| ≤ 5 and |e_a| < |e|/2 (else μ + 12σ).
// Rows of the batch with e ≥ ε, widened by ±buffer rows within the batch, are candidate anomalies; their runs are
// pruned: with the runs' maxima sorted descending followed by the largest unflagged score of the window, a run is
// kept only if some later step of that list decreases by at least p (relative); single-row runs are dropped.
// Left out on purpose (documented, not silent): telemanom's low-error ("inverse") anomalies (scores are one-sided),
// and its check of the errors' scale against the raw channel values (scores here are multivariate); in its place a
// window whose scores are all equal (σ = 0) flags nothing.
import Foundation

/// Parameters of the dynamic threshold (telemanom defaults: batch 70, window 30 batches, buffer 100, p 0.13).
public struct DynamicThresholdParameters: Codable, Equatable, Sendable {
    /// Rows per batch b (decided together, at the batch's end).
    public var batch: Int
    /// Window length in batches: ε of a batch is fitted on the last window·b scores.
    public var windowBatches: Int
    /// Rows added on both sides of a flagged row (telemanom's `error_buffer`).
    public var buffer: Int
    /// Minimum relative decrease p that separates a kept run from the next (telemanom's `p`).
    public var prune: Double

    public static let batchRange = 1...100_000
    public static let windowRange = 1...10_000
    public static let bufferRange = 0...100_000
    public static let pruneRange = 0.0...1.0

    public init(batch: Int = 70, windowBatches: Int = 30, buffer: Int = 100, prune: Double = 0.13) {
        self.batch = batch; self.windowBatches = windowBatches; self.buffer = buffer; self.prune = prune
    }

    enum CodingKeys: String, CodingKey {
        case batch, buffer, prune
        case windowBatches = "window_batches"
    }

    public func validate() throws {
        guard Self.batchRange.contains(batch) else { throw ThresholdError.invalidParameter(name: "batch", value: Double(batch), expected: "1…100000") }
        guard Self.windowRange.contains(windowBatches) else {
            throw ThresholdError.invalidParameter(name: "window_batches", value: Double(windowBatches), expected: "1…10000")
        }
        guard Self.bufferRange.contains(buffer) else { throw ThresholdError.invalidParameter(name: "buffer", value: Double(buffer), expected: "0…100000") }
        guard prune.isFinite, Self.pruneRange.contains(prune) else {
            throw ThresholdError.invalidParameter(name: "prune", value: prune, expected: "0 ≤ p ≤ 1")
        }
    }
}

/// Result of the dynamic threshold on a stream.
public struct DynamicThresholdResult: Equatable, Sendable {
    /// Flags of the stream rows (after pruning).  (stream.count,)
    public var flags: [Bool]
    /// ε of the batch each row belongs to.  (stream.count,)
    public var thresholds: [Double]
}

/// Hundman et al.'s non-parametric dynamic threshold.
public enum DynamicThreshold {
    /// Runs over `stream` batch by batch; `history` (the scores just before the stream, e.g. the validation block) fills
    /// the window before the stream has enough rows of its own.
    public static func run(stream: [Double], history: [Double], parameters p: DynamicThresholdParameters) throws -> DynamicThresholdResult {
        try p.validate()
        try SPOT.validate(stream, "stream scores")
        if !history.isEmpty { try SPOT.validate(history, "history scores") }
        let hist = Array(history.suffix(p.batch * p.windowBatches))
        let all = hist + stream
        let offset = hist.count
        var flags = [Bool](repeating: false, count: stream.count)
        var thresholds = [Double](repeating: 0, count: stream.count)
        var batchStart = 0
        while batchStart < stream.count {
            let batchEnd = min(stream.count, batchStart + p.batch)
            let hi = offset + batchEnd
            let lo = max(0, hi - p.batch * p.windowBatches)
            let e = Array(all[lo..<hi])
            let (eps, sd) = epsilon(e, buffer: p.buffer)
            for t in batchStart..<batchEnd { thresholds[t] = eps }
            guard sd > 0 else { batchStart = batchEnd; continue }   // a constant window flags nothing
            // earlier flags inside this window (global, stream coordinates) are excluded from the unflagged maximum
            let firstInBatch = e.count - (batchEnd - batchStart)
            var previous = [Bool](repeating: false, count: e.count)
            for i in 0..<firstInBatch {
                let t = lo + i - offset
                if t >= 0 && flags[t] { previous[i] = true }
            }
            let kept = decide(e, epsilon: eps, firstInBatch: firstInBatch, previous: previous, buffer: p.buffer, prune: p.prune)
            for i in kept { flags[lo + i - offset] = true }
            batchStart = batchEnd
        }
        return DynamicThresholdResult(flags: flags, thresholds: thresholds)
    }

    /// ε of one window e (telemanom `find_epsilon`, non-inverse), and σ(e).
    static func epsilon(_ e: [Double], buffer: Int) -> (Double, Double) {
        let n = e.count
        var mean = 0.0
        for v in e { mean += v }
        mean /= Double(n)
        var q = 0.0
        for v in e { q += (v - mean) * (v - mean) }
        let sd = (q / Double(n)).squareRoot()
        var best = mean + 12 * sd
        guard sd > 0, mean != 0 else { return (best, sd) }
        var maxScore = -Double.infinity
        var z = 2.5
        while z < 12 {
            let eps = mean + z * sd
            var sum = 0.0, sq = 0.0, below = 0
            for v in e where v < eps { sum += v; below += 1 }
            let m2 = below > 0 ? sum / Double(below) : Double.nan
            if below > 0 { for v in e where v < eps { sq += (v - m2) * (v - m2) } }
            let sd2 = below > 0 ? (sq / Double(below)).squareRoot() : Double.nan
            let marked = widened(e.indices.filter { e[$0] >= eps }, halfWidth: buffer - 1, count: n)
            let nMarked = marked.reduce(0) { $0 + ($1 ? 1 : 0) }
            if nMarked > 0 {
                let seqs = runs(marked).filter { $0.count > 1 }.count
                let score = ((mean - m2) / mean + (sd - sd2) / sd) / Double(seqs * seqs + nMarked)
                if score >= maxScore && seqs <= 5 && Double(nMarked) < Double(n) * 0.5 {
                    maxScore = score
                    best = eps
                }
            }
            z += 0.5
        }
        return (best, sd)
    }

    /// Flagged rows (window indices) of the batch [firstInBatch, n) after widening and pruning (telemanom
    /// `compare_to_epsilon` then `prune_anoms`, non-inverse, without the value-scale checks).
    static func decide(_ e: [Double], epsilon eps: Double, firstInBatch: Int, previous: [Bool], buffer: Int, prune p: Double) -> [Int] {
        let n = e.count
        var marked = widened(e.indices.filter { e[$0] >= eps }, halfWidth: buffer, count: n)
        for i in 0..<firstInBatch { marked[i] = false }
        guard marked.contains(true) else { return [] }
        var nonAnomMax = -Double.infinity
        for i in 0..<n where !marked[i] && !previous[i] { nonAnomMax = max(nonAnomMax, e[i]) }
        if nonAnomMax == -Double.infinity { nonAnomMax = 0 }
        let seqs = runs(marked).filter { $0.count > 1 }
        guard !seqs.isEmpty else { return [] }
        let maxima = seqs.map { r in r.map { e[$0] }.max()! }
        let sorted = maxima.sorted(by: >) + [nonAnomMax]
        // telemanom: walk down the sorted maxima; a step of relative decrease ≥ p clears the removal list
        var removeValues: [Double] = []
        for i in 0..<(sorted.count - 1) {
            let decrease = sorted[i] != 0 ? (sorted[i] - sorted[i + 1]) / sorted[i] : 0
            if decrease < p { removeValues.append(sorted[i]) } else { removeValues.removeAll() }
        }
        var kept: [Int] = []
        for (k, r) in seqs.enumerated() where !removeValues.contains(maxima[k]) { kept.append(contentsOf: r) }
        return kept
    }

    /// Marks every index within ±halfWidth of an index of `at` (halfWidth ≤ 0: the indices themselves).
    static func widened(_ at: [Int], halfWidth h: Int, count n: Int) -> [Bool] {
        var delta = [Int](repeating: 0, count: n + 1)
        let w = max(0, h)
        for i in at { delta[max(0, i - w)] += 1; delta[min(n, i + w + 1)] -= 1 }
        var out = [Bool](repeating: false, count: n)
        var c = 0
        for i in 0..<n { c += delta[i]; out[i] = c > 0 }
        return out
    }

    /// Maximal runs of true values, as index ranges.
    static func runs(_ m: [Bool]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < m.count {
            if m[i] { let s = i; while i < m.count && m[i] { i += 1 }; out.append(s..<i) } else { i += 1 }
        }
        return out
    }
}
