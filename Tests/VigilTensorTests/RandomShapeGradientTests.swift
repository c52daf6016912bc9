import XCTest
@testable import VigilTensor

/// Gradient checks on shapes drawn from a seeded generator (rank 1–4, dims 1–4, random broadcast patterns).
final class RandomShapeGradientTests: XCTestCase {
    var shapeRNG = Xoshiro256(seed: 2024)

    func randomShape(minRank: Int = 1, maxRank: Int = 4) -> [Int] {
        let r = minRank + shapeRNG.nextInt(below: maxRank - minRank + 1)
        return (0..<r).map { _ in 1 + shapeRNG.nextInt(below: 4) }
    }

    /// A shape `s` broadcasts to: some dims set to 1, some leading dims dropped.
    func broadcastable(from s: [Int]) -> [Int] {
        let drop = shapeRNG.nextInt(below: s.count)
        return s.dropFirst(drop).map { shapeRNG.nextInt(below: 2) == 0 ? 1 : $0 }
    }

    func testBroadcastArithmetic() {
        for trial in 0..<12 {
            let s = randomShape(), t = broadcastable(from: s)
            let a = rand(s, UInt64(100 + trial)), b = rand(t, UInt64(200 + trial), low: 0.5, high: 2)
            let (x, y) = trial % 2 == 0 ? (a, b) : (b, a)   // both operand orders
            gradCheck([x, y]) { $0[0] + $0[1] }
            gradCheck([x, y]) { $0[0] - $0[1] }
            gradCheck([x, y]) { $0[0] * $0[1] }
            gradCheck([a, b]) { $0[0] / $0[1] }
        }
    }

    func testUnaryReductionsAndPermutes() {
        for trial in 0..<8 {
            let s = randomShape()
            let x = rand(s, UInt64(300 + trial), low: 0.2, high: 2)
            gradCheck([x]) { softmax(log($0[0])) }
            let axes = (0..<s.count).filter { _ in shapeRNG.nextInt(below: 2) == 0 }
            gradCheck([x]) { $0[0].sum(axes: axes, keepDims: trial % 2 == 0) }
            gradCheck([x]) { sigmoid($0[0]).mean(axes: axes) }
            var perm = Array(0..<s.count)
            perm.shuffle(using: &shapeRNG)
            gradCheck([x]) { sqrt($0[0]).permuted(perm) }
            let ax = shapeRNG.nextInt(below: s.count)
            gradCheck([x]) { $0[0].repeated(2, axis: ax) * 0.5 }
            let len = s[ax], lo = shapeRNG.nextInt(below: len)
            gradCheck([x]) { exp($0[0].slice(axis: ax, range: lo..<len)) }
        }
    }

    func testMatmulAndLinearShapes() {
        for trial in 0..<8 {
            let batch = randomShape(minRank: 0, maxRank: 2)
            let m = 1 + shapeRNG.nextInt(below: 4), k = 1 + shapeRNG.nextInt(below: 4), n = 1 + shapeRNG.nextInt(below: 4)
            let ta = batch.isEmpty && trial % 3 == 0, tb = trial % 2 == 1
            let a = rand(batch + (ta ? [k, m] : [m, k]), UInt64(400 + trial))
            let b = rand((trial % 4 == 2 ? [] : batch) + (tb ? [n, k] : [k, n]), UInt64(500 + trial))
            gradCheck([a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
            let x = rand(batch + [m, k], UInt64(600 + trial)), w = rand([n, k], UInt64(700 + trial)), bias = rand([n], UInt64(800 + trial))
            gradCheck([x, w, bias]) { linear($0[0], $0[1], $0[2]) }
        }
    }
}
