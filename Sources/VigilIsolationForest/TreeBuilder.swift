import VigilRandom

/// scikit-learn's FEATURE_THRESHOLD: a feature whose range in a node is ≤ this is constant there.
let constantFeatureTolerance = 1e-7

/// Grows one isolation tree exactly as scikit-learn's ExtraTreeRegressor(max_features=1, splitter="random")
/// inside IsolationForest does:
/// 1. sub-sample ψ rows (without replacement, or with if `bootstrap`) and, if featuresPerTree < cols, a feature
///    subset without replacement;
/// 2. at a node with ≥ 2 samples above the height limit, draw features uniformly without replacement until one is
///    not constant in the node (max − min > 1e-7); if all are constant the node is a leaf;
/// 3. threshold = lo + u·(hi − lo), u ~ U[0, 1) (if it rounds to hi, use lo); x ≤ threshold goes left.
/// `x`: (rows, cols) row-major. Only `rng` supplies randomness, so a tree depends on its stream alone.
func buildTree<T: IForestScalar>(_ x: UnsafePointer<T>, rows: Int, cols: Int, sampleSize k: Int, featuresPerTree m: Int,
                                 bootstrap: Bool, maxDepth: Int, rng: inout Xoshiro256) -> IsolationTree {
    // 1. Sub-sample rows.
    var sample = [Int]()
    sample.reserveCapacity(k)
    if bootstrap {
        for _ in 0..<k { sample.append(rng.nextInt(below: rows)) }
    } else if k == rows {
        sample.append(contentsOf: 0..<rows)
    } else {
        // Floyd's algorithm: k distinct indices out of 0..<rows, O(k) expected work.
        var chosen = Set<Int>(minimumCapacity: k)
        for j in (rows - k)..<rows {
            let t = rng.nextInt(below: j + 1)
            let pick = chosen.contains(t) ? j : t
            chosen.insert(pick)
            sample.append(pick)
        }
    }
    // Feature subset (columns of x this tree may use).
    var featureMap = Array(0..<cols)
    if m < cols {
        for i in 0..<m { featureMap.swapAt(i, i + rng.nextInt(below: cols - i)) }
        featureMap.removeLast(cols - m)
    }
    // Gather the sub-sample column-major: data[f * k + i] = x[sample[i], featureMap[f]], shape (m, k).
    var data = [Double](repeating: 0, count: m * k)
    data.withUnsafeMutableBufferPointer { d in
        for i in 0..<k {
            let row = x + sample[i] * cols
            for f in 0..<m { d[f * k + i] = row[featureMap[f]].asDouble }
        }
    }

    var feature: [Int32] = [-1], threshold: [Double] = [0], left: [Int32] = [-1], right: [Int32] = [-1]
    var nodeSamples: [Int32] = [Int32(k)]
    let capacity = 2 * k
    feature.reserveCapacity(capacity); threshold.reserveCapacity(capacity)
    left.reserveCapacity(capacity); right.reserveCapacity(capacity); nodeSamples.reserveCapacity(capacity)

    var order = Array(0..<k)                 // positions into the sub-sample; each node owns order[start..<end]
    var candidates = Array(0..<m)            // features still eligible at the current node (prefix of length `left`)
    var stack: [(node: Int, start: Int, end: Int, depth: Int)] = [(0, 0, k, 0)]
    data.withUnsafeBufferPointer { d in
        order.withUnsafeMutableBufferPointer { ord in
            while let (node, start, end, depth) = stack.popLast() {
                let count = end - start
                if depth >= maxDepth || count < 2 { continue }      // leaf (arrays already say so)
                var remaining = m
                while remaining > 0 {
                    let j = rng.nextInt(below: remaining)
                    let f = candidates[j]
                    let col = d.baseAddress! + f * k
                    var lo = col[ord[start]], hi = lo
                    for p in (start + 1)..<end {
                        let v = col[ord[p]]
                        if v < lo { lo = v }
                        if v > hi { hi = v }
                    }
                    if hi <= lo + constantFeatureTolerance {
                        candidates.swapAt(j, remaining - 1)
                        remaining -= 1
                        continue
                    }
                    var thr = (hi - lo) * rng.nextUnitDouble() + lo
                    if thr >= hi { thr = lo }
                    // Partition order[start..<end]: values ≤ thr first.
                    var a = start, b = end - 1
                    while a <= b {
                        if col[ord[a]] <= thr { a += 1 } else { ord.swapAt(a, b); b -= 1 }
                    }
                    let l = feature.count
                    feature[node] = Int32(featureMap[f]); threshold[node] = thr
                    left[node] = Int32(l); right[node] = Int32(l + 1)
                    feature.append(-1); threshold.append(0); left.append(-1); right.append(-1)
                    nodeSamples.append(Int32(a - start))
                    feature.append(-1); threshold.append(0); left.append(-1); right.append(-1)
                    nodeSamples.append(Int32(end - a))
                    stack.append((l + 1, a, end, depth + 1))
                    stack.append((l, start, a, depth + 1))
                    break
                }
            }
        }
    }
    return IsolationTree(feature: feature, threshold: threshold, left: left, right: right, nodeSamples: nodeSamples)
}
