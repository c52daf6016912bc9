// Location and scale statistics of score columns, and a sorted window for trailing quantiles.
import Foundation

/// Column statistics used by the normalizations.
public enum ScoreStatistics {
    /// Linear-interpolation quantile (numpy's default) of ascending `sorted` values: position (n − 1)·p, p in [0, 1].
    public static func quantile(sorted s: [Double], _ p: Double) -> Double {
        precondition(!s.isEmpty)
        let pos = Double(s.count - 1) * p
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }

    /// Quantile p of an ascending buffer slice (same rule as `quantile(sorted:_:)`).
    static func quantile(_ s: UnsafeBufferPointer<Double>, count n: Int, _ p: Double) -> Double {
        let pos = Double(n - 1) * p
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, n - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }

    /// (mean, population standard deviation) of x (n ≥ 1), two-pass.
    public static func meanStd(_ x: [Double]) -> (Double, Double) {
        precondition(!x.isEmpty)
        var m = 0.0
        for v in x { m += v }
        m /= Double(x.count)
        var q = 0.0
        for v in x { q += (v - m) * (v - m) }
        return (m, (q / Double(x.count)).squareRoot())
    }

    /// (median, Q75 − Q25) of x (n ≥ 1).
    public static func medianIQR(_ x: [Double]) -> (Double, Double) {
        let s = x.sorted()
        return (quantile(sorted: s, 0.5), quantile(sorted: s, 0.75) - quantile(sorted: s, 0.25))
    }
}

/// The last `capacity` values of a stream, kept sorted for quantiles: O(W) per push (binary search and one move).
struct SortedWindow {
    let capacity: Int
    /// Values in arrival order (ring buffer) and the same values ascending.
    private var ring: [Double]
    private var head = 0
    private(set) var count = 0
    private var sorted: [Double]

    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
        ring = [Double](repeating: 0, count: capacity)
        sorted = []
        sorted.reserveCapacity(capacity)
    }

    /// First index whose value is ≥ v.
    private func lowerBound(_ v: Double) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] < v { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// Adds v, dropping the oldest value when full.
    mutating func push(_ v: Double) {
        if count == capacity {
            let old = ring[head]
            sorted.remove(at: lowerBound(old))   // an equal value is interchangeable
            ring[head] = v
            head = (head + 1) % capacity
        } else {
            ring[(head + count) % capacity] = v
            count += 1
        }
        sorted.insert(v, at: lowerBound(v))
    }

    /// (median, Q75 − Q25) of the window (count ≥ 1).
    func medianIQR() -> (Double, Double) {
        sorted.withUnsafeBufferPointer { b in
            (ScoreStatistics.quantile(b, count: count, 0.5),
             ScoreStatistics.quantile(b, count: count, 0.75) - ScoreStatistics.quantile(b, count: count, 0.25))
        }
    }
}
