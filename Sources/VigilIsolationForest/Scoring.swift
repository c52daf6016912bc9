import Foundation

/// One node of the packed scoring layout (16 bytes). Internal: go to `left` if x[feature] ≤ threshold, else to
/// `left + 1`. Leaf: threshold = +∞ and left = its own index, so extra steps stay on the leaf (branch-free walk).
struct PackedNode: Sendable {
    var threshold: Double
    /// feature | left << 32, read with one 8-byte load.
    var link: UInt64
    init(threshold: Double, feature: Int32, left: Int32) {
        self.threshold = threshold
        self.link = UInt64(UInt32(bitPattern: feature)) | UInt64(UInt32(bitPattern: left)) << 32
    }
}

/// Rows walked together through one tree (their independent loads overlap; the tree stays in L1).
let scoringBlockRows = 64
/// Rows per parallel work item.
let scoringChunkRows = 512

extension IsolationForest {
    /// out[r] = Σ_trees h_t(x_r) for x: (rows, cols) row-major. Trees are summed in index order for every row, so
    /// the result is bit-identical for any `parallelism`.
    @inline(__always)
    func pathLengthSums<T: IForestScalar>(_ x: UnsafePointer<T>, rows: Int, cols: Int,
                                          out: UnsafeMutablePointer<Double>, parallelism: Int) {
        let nChunks = (rows + scoringChunkRows - 1) / scoringChunkRows
        let workers = max(1, min(parallelism, nChunks))
        let nTrees = treeRoot.count
        packed.withUnsafeBufferPointer { nodesBuf in
        leafValue.withUnsafeBufferPointer { leafBuf in
        treeRoot.withUnsafeBufferPointer { rootBuf in
        treeDepth.withUnsafeBufferPointer { depthBuf in
            let nodes = nodesBuf.baseAddress!, leaves = leafBuf.baseAddress!

            let roots = rootBuf.baseAddress!, depths = depthBuf.baseAddress!
            let body: (Int) -> Void = { w in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: scoringBlockRows) { idxBuf in
                    let idx = idxBuf.baseAddress!
                    var chunk = w
                    while chunk < nChunks {
                        let chunkEnd = min(rows, (chunk + 1) * scoringChunkRows)
                        var r0 = chunk * scoringChunkRows
                        while r0 < chunkEnd {
                            let b = min(scoringBlockRows, chunkEnd - r0)
                            let xb = x + r0 * cols
                            let ob = out + r0
                            for r in 0..<b { ob[r] = 0 }
                            for t in 0..<nTrees {
                                let root = Int(roots[t]), depth = Int(depths[t])
                                if depth == 0 {
                                    for r in 0..<b { idx[r] = root }
                                } else {
                                    // Level 0: every row is at the root; load it once.
                                    let nd = nodes[root]
                                    let f = Int(truncatingIfNeeded: nd.link & 0xFFFF_FFFF)
                                    let l = Int(truncatingIfNeeded: nd.link >> 32)
                                    var rowPtr = xb
                                    for r in 0..<b {
                                        idx[r] = l &+ (rowPtr[f].asDouble > nd.threshold ? 1 : 0)
                                        rowPtr += cols
                                    }
                                }
                                for _ in 1..<max(1, depth) {
                                    var rowPtr = xb
                                    for r in 0..<b {
                                        let i = idx[r]
                                        let nd = nodes[i]
                                        let v = rowPtr[Int(truncatingIfNeeded: nd.link & 0xFFFF_FFFF)].asDouble
                                        idx[r] = Int(truncatingIfNeeded: nd.link >> 32) &+ (v > nd.threshold ? 1 : 0)
                                        rowPtr += cols
                                    }
                                }
                                for r in 0..<b { ob[r] += leaves[idx[r]] }
                            }
                            r0 += b
                        }
                        chunk += workers
                    }
                }
            }
            if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
        }}}}
    }
}

