/// One isolation tree as flat struct-of-arrays, node 0 is the root. For node i:
/// internal if `feature[i] >= 0` (go left when x[feature] <= threshold, else right), leaf if `feature[i] == -1`
/// (then left/right are -1). `nodeSamples[i]` is the number of training (sub)samples that reached node i.
/// A leaf's path length is depth(i) + c(nodeSamples[i]) with depth(root) = 0.
public struct IsolationTree: Sendable, Equatable {
    /// Split feature (column of the fitted input) per node, -1 at leaves.
    public var feature: [Int32]
    /// Split threshold per node (x <= threshold goes left); 0 at leaves.
    public var threshold: [Double]
    /// Left child index per node, -1 at leaves.
    public var left: [Int32]
    /// Right child index per node, -1 at leaves.
    public var right: [Int32]
    /// Training samples that reached each node.
    public var nodeSamples: [Int32]

    /// Builds a tree from its node arrays (all the same length ≥ 1); `validate` checks the structure.
    public init(feature: [Int32], threshold: [Double], left: [Int32], right: [Int32], nodeSamples: [Int32]) {
        self.feature = feature
        self.threshold = threshold
        self.left = left
        self.right = right
        self.nodeSamples = nodeSamples
    }

    /// Number of nodes.
    public var nodeCount: Int { feature.count }

    /// Checks array lengths, child ranges, that every node is reached exactly once from the root, and that
    /// split features are < `featureCount`; returns the depth of every node (root 0).
    public func validatedDepths(featureCount: Int) throws -> [Int] {
        let n = feature.count
        guard n >= 1, threshold.count == n, left.count == n, right.count == n, nodeSamples.count == n else {
            throw IsolationForestError.corruptModel("tree node arrays have different lengths or are empty")
        }
        var depth = [Int](repeating: -1, count: n)
        depth[0] = 0
        var stack = [0]
        var seen = 1
        while let i = stack.popLast() {
            let f = Int(feature[i])
            if f < 0 {
                guard left[i] == -1, right[i] == -1 else {
                    throw IsolationForestError.corruptModel("leaf node \(i) has children")
                }
                continue
            }
            guard f < featureCount, threshold[i].isFinite else {
                throw IsolationForestError.corruptModel("node \(i) splits on feature \(f) of \(featureCount) at threshold \(threshold[i])")
            }
            for c in [Int(left[i]), Int(right[i])] {
                guard c > 0, c < n, depth[c] == -1 else {
                    throw IsolationForestError.corruptModel("node \(i) has an invalid or repeated child \(c)")
                }
                depth[c] = depth[i] + 1
                seen += 1
                stack.append(c)
            }
        }
        guard seen == n else { throw IsolationForestError.corruptModel("\(n - seen) tree nodes are unreachable from the root") }
        return depth
    }
}
