// Seeded sampling of training rows without replacement.
import VigilRandom

enum RowSampling {
    /// `count` distinct indices of 0..<n, ascending; all of 0..<n when count ≥ n.
    ///
    /// Partial Fisher–Yates with `Xoshiro256(seed: seed)`: idx = [0, 1, …, n−1]; for i in 0..<count:
    /// j = i + rng.nextInt(below: n − i) (Lemire's bounded draw), swap idx[i], idx[j]; the sample is
    /// idx[0..<count] sorted. scripts/vigil_xoshiro.py reimplements it for the goldens.
    static func sample(_ n: Int, count: Int, seed: UInt64) -> [Int] {
        guard count < n else { return Array(0..<n) }
        var rng = Xoshiro256(seed: seed)
        var idx = Array(0..<n)
        for i in 0..<count { idx.swapAt(i, i + rng.nextInt(below: n - i)) }
        return idx[0..<count].sorted()
    }
}
