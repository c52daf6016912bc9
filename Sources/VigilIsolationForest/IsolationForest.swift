import Foundation
import VigilRandom

/// A fitted Isolation Forest (Liu, Ting, Zhou, ICDM 2008), built as scikit-learn's `IsolationForest` builds it.
///
/// Score of a row x: s(x) = 2^(−E[h(x)] / c(ψ)), where h(x) is the path length in one tree (depth of the leaf
/// x falls in, root = 0, plus c(leaf size) for leaves holding unsplit samples), E is the mean over the trees and
/// ψ = `maxSamples`. s lies in (0, 1]; **higher = more anomalous** (s = −`sklearn score_samples`).
/// `threshold` is 0.5 with `contamination = .auto`, or the (1 − contamination) quantile of the training scores;
/// `predict` flags s > threshold (sklearn's `decision_function < 0`).
///
/// Trees are stored flat: `trees` holds struct-of-arrays per tree (for inspection and serialization); scoring
/// uses one packed node array for the whole forest (16-byte nodes, children adjacent, leaves self-looping)
/// and walks blocks of rows level by level without branches, in parallel over row chunks.
public struct IsolationForest: Sendable {
    /// Hyper-parameters, named and defaulted as in scikit-learn.
    public struct Configuration: Sendable, Equatable {
        /// Sub-sample size ψ per tree.
        public enum MaxSamples: Sendable, Equatable {
            /// min(256, rows).
            case auto
            /// Exactly this many rows (if more than the rows available: all rows, with a warning, as sklearn).
            case count(Int)
            /// floor(fraction · rows), fraction in (0, 1] (at least 1).
            case fraction(Double)
        }
        /// Features each tree may split on (drawn per tree without replacement).
        public enum MaxFeatures: Sendable, Equatable {
            /// This many features (1…cols).
            case count(Int)
            /// max(1, floor(fraction · cols)), fraction in (0, 1].
            case fraction(Double)
        }
        /// How the decision threshold is set.
        public enum Contamination: Sendable, Equatable {
            /// s > 0.5 is anomalous (the paper's rule; sklearn's offset −0.5).
            case auto
            /// The expected outlier share in the training data, in (0, 0.5]: threshold = that upper quantile of
            /// the training scores (numpy's linear-interpolated percentile, as sklearn).
            case fraction(Double)
        }
        /// Number of trees (sklearn `n_estimators`, default 100).
        public var nEstimators: Int
        /// Sub-sample size per tree (default `.auto` = min(256, rows)).
        public var maxSamples: MaxSamples
        /// Features per tree (default all).
        public var maxFeatures: MaxFeatures
        /// Draw each tree's sub-sample with replacement (default false).
        public var bootstrap: Bool
        /// Threshold rule (default `.auto`).
        public var contamination: Contamination
        /// Seed; tree t uses `Xoshiro256(seed:).fork(stream: t)`, so results do not depend on thread count.
        public var seed: UInt64

        /// Creates a configuration; defaults are scikit-learn's.
        public init(nEstimators: Int = 100, maxSamples: MaxSamples = .auto, maxFeatures: MaxFeatures = .fraction(1.0),
                    bootstrap: Bool = false, contamination: Contamination = .auto, seed: UInt64 = 0) {
            self.nEstimators = nEstimators
            self.maxSamples = maxSamples
            self.maxFeatures = maxFeatures
            self.bootstrap = bootstrap
            self.contamination = contamination
            self.seed = seed
        }
    }

    /// The configuration the forest was fitted with.
    public let configuration: Configuration
    /// Number of input columns the forest was fitted on (scoring input must match).
    public let featureCount: Int
    /// Effective sub-sample size ψ (after `.auto`/fraction resolution and capping at the row count).
    public let maxSamples: Int
    /// Trees as struct-of-arrays.
    public let trees: [IsolationTree]
    /// Anomaly threshold on the s scale: `predict` is s > threshold (0.5 for `.auto`).
    public let threshold: Double
    /// Non-fatal notes from fitting (e.g. max_samples capped at the row count); the CLI prints them on stderr.
    public let warnings: [String]

    // Packed scoring layout for the whole forest.
    let packed: [PackedNode]      // all trees' nodes, children adjacent (right = left + 1), leaves loop to themselves
    let leafValue: [Double]       // per packed node: depth + c(nodeSamples) at leaves, 0 at internal nodes
    let treeRoot: [Int32]         // packed index of each tree's root
    let treeDepth: [Int32]        // levels to walk per tree (its deepest leaf)

    /// Normalizer c(ψ) of the mean path length.
    public var normalizer: Double { averagePathLength(maxSamples) }

    /// Assembles a forest from trees (hand-built, or read back from a file); validates every tree.
    /// `threshold` nil means the `.auto` rule (0.5).
    public init(trees: [IsolationTree], featureCount: Int, maxSamples: Int, threshold: Double? = nil,
                configuration: Configuration = Configuration(), warnings: [String] = []) throws {
        guard !trees.isEmpty else { throw IsolationForestError.corruptModel("the forest has no trees") }
        guard featureCount >= 1, maxSamples >= 1 else {
            throw IsolationForestError.corruptModel("featureCount \(featureCount) and maxSamples \(maxSamples) must be ≥ 1")
        }
        self.configuration = configuration
        self.featureCount = featureCount
        self.maxSamples = maxSamples
        self.trees = trees
        self.threshold = threshold ?? 0.5
        self.warnings = warnings
        var packed: [PackedNode] = []
        var leafValue: [Double] = []
        var roots: [Int32] = []
        var depths: [Int32] = []
        packed.reserveCapacity(trees.reduce(0) { $0 + $1.nodeCount })
        leafValue.reserveCapacity(packed.capacity)
        for tree in trees {
            let depth = try tree.validatedDepths(featureCount: featureCount)
            let base = packed.count
            guard base + tree.nodeCount < Int(Int32.max) else { throw IsolationForestError.corruptModel("forest too large") }
            roots.append(Int32(base))
            // Breadth-first renumbering so that the children of every node are adjacent.
            var queue = [0]
            var head = 0
            var maxDepth = 0
            while head < queue.count {
                let i = queue[head]
                let me = base + head
                head += 1
                if tree.feature[i] < 0 {
                    packed.append(PackedNode(threshold: .infinity, feature: 0, left: Int32(me)))
                    leafValue.append(Double(depth[i]) + averagePathLength(Int(tree.nodeSamples[i])))
                    maxDepth = max(maxDepth, depth[i])
                } else {
                    let leftPacked = base + queue.count
                    queue.append(Int(tree.left[i]))
                    queue.append(Int(tree.right[i]))
                    packed.append(PackedNode(threshold: tree.threshold[i], feature: tree.feature[i], left: Int32(leftPacked)))
                    leafValue.append(0)
                }
            }
            depths.append(Int32(maxDepth))
        }
        self.packed = packed
        self.leafValue = leafValue
        self.treeRoot = roots
        self.treeDepth = depths
    }

    /// Fits a forest on `x` (rows = samples, cols = features). Throws on empty input, NaN/Inf (naming row and
    /// column) and invalid parameters. Fitting is parallel over trees; `parallelism` nil = all cores.
    public init<T: IForestScalar>(fitting x: FeatureMatrix<T>, configuration: Configuration = Configuration(),
                                  parallelism: Int? = nil) throws {
        guard x.rows >= 1, x.cols >= 1 else { throw IsolationForestError.emptyInput(context: "isolation forest fit") }
        try x.validateFinite(context: "isolation forest fit")
        let cfg = configuration
        try cfg.validate()
        let n = x.rows
        var warnings: [String] = []
        let psi: Int
        switch cfg.maxSamples {
        case .auto: psi = min(256, n)
        case .count(let c):
            if c > n {
                warnings.append("max_samples (\(c)) is greater than the total number of samples (\(n)); max_samples will be set to n_samples for estimation")
                psi = n
            } else { psi = c }
        case .fraction(let f):
            psi = max(1, Int(f * Double(n)))
        }
        let nFeat: Int
        switch cfg.maxFeatures {
        case .count(let c):
            guard c >= 1, c <= x.cols else { throw IsolationForestError.invalidParameter(name: "maxFeatures", value: "\(c)", allowed: "1…\(x.cols)") }
            nFeat = c
        case .fraction(let f):
            nFeat = max(1, Int(f * Double(x.cols)))
        }
        let maxDepth = heightLimit(maxSamples: psi)
        let workers = max(1, min(parallelism ?? ProcessInfo.processInfo.activeProcessorCount, cfg.nEstimators))
        let base = Xoshiro256(seed: cfg.seed)
        var built = [IsolationTree?](repeating: nil, count: cfg.nEstimators)
        x.values.withUnsafeBufferPointer { xb in
            let xp = xb.baseAddress!
            built.withUnsafeMutableBufferPointer { out in
                let outp = out.baseAddress!
                let body: (Int) -> Void = { w in
                    var t = w
                    while t < cfg.nEstimators {
                        var rng = base.fork(stream: UInt64(t))
                        outp[t] = buildTree(xp, rows: n, cols: x.cols, sampleSize: psi, featuresPerTree: nFeat,
                                            bootstrap: cfg.bootstrap, maxDepth: maxDepth, rng: &rng)
                        t += workers
                    }
                }
                if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
            }
        }
        let trees = built.map { $0! }
        var forest = try IsolationForest(trees: trees, featureCount: x.cols, maxSamples: psi, threshold: 0.5,
                                         configuration: cfg, warnings: warnings)
        if case .fraction(let c) = cfg.contamination {
            let s = try forest.scores(x, parallelism: parallelism)
            // sklearn: offset_ = percentile(score_samples(X), 100·c) with score_samples = −s; threshold = −offset_.
            forest = try IsolationForest(trees: trees, featureCount: x.cols, maxSamples: psi,
                                         threshold: -linearPercentile(s.map { -$0 }, q: c),
                                         configuration: cfg, warnings: warnings)
        }
        self = forest
    }

    /// Anomaly scores s(x) = 2^(−E[h(x)]/c(ψ)) ∈ (0, 1], one per row; higher = more anomalous.
    /// Parallel over row chunks (`parallelism` nil = all cores); identical results for every parallelism.
    public func scores<T: IForestScalar>(_ x: FeatureMatrix<T>, parallelism: Int? = nil) throws -> [Double] {
        var h = try meanPathLengths(x, parallelism: parallelism)
        let c = normalizer
        for i in 0..<h.count { h[i] = c > 0 ? exp2(-h[i] / c) : 1 }   // one training sample: sklearn sets s = 1
        return h
    }

    /// Mean path length E[h(x)] over the trees, one per row (depth of the reached leaf + c(leaf size)).
    public func meanPathLengths<T: IForestScalar>(_ x: FeatureMatrix<T>, parallelism: Int? = nil) throws -> [Double] {
        guard x.cols == featureCount else {
            throw IsolationForestError.featureCountMismatch(context: "isolation forest score", fitted: featureCount, found: x.cols)
        }
        try x.validateFinite(context: "isolation forest score")
        var out = [Double](repeating: 0, count: x.rows)
        if x.rows == 0 { return out }
        let p = max(1, parallelism ?? ProcessInfo.processInfo.activeProcessorCount)
        x.values.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                T._accumulatePathLengths(self, xb.baseAddress!, rows: x.rows, cols: x.cols, out: ob.baseAddress!, parallelism: p)
            }
        }
        let inv = 1 / Double(trees.count)
        for i in 0..<out.count { out[i] *= inv }
        return out
    }

    /// True where s(x) > `threshold` (sklearn's `predict(x) == -1`).
    public func predict<T: IForestScalar>(_ x: FeatureMatrix<T>, parallelism: Int? = nil) throws -> [Bool] {
        try scores(x, parallelism: parallelism).map { $0 > threshold }
    }
}

/// numpy's default ("linear") percentile of `values` at fraction q ∈ [0, 1].
func linearPercentile(_ values: [Double], q: Double) -> Double {
    let a = values.sorted()
    let h = Double(a.count - 1) * q
    let lo = Int(h.rounded(.down))
    let hi = min(lo + 1, a.count - 1)
    let t = h - Double(lo)
    let x = a[lo], y = a[hi]
    // numpy's _lerp: a + (b − a)·t, computed from the upper end when t ≥ 0.5.
    return t >= 0.5 ? y - (y - x) * (1 - t) : x + (y - x) * t
}
