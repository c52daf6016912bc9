import XCTest
import Foundation
@testable import VigilTensor

/// Analytic vs central-difference gradients (Float64, ε = 1e-6, error ≤ 1e-6) for every differentiable op.
final class GradientCheckTests: XCTestCase {
    // MARK: broadcasting arithmetic

    func testAddSubMulDivSameShape() {
        let a = rand([3, 4], 1), b = rand([3, 4], 2, low: 0.5, high: 2)
        gradCheck([a, b]) { $0[0] + $0[1] }
        gradCheck([a, b]) { $0[0] - $0[1] }
        gradCheck([a, b]) { $0[0] * $0[1] }
        gradCheck([a, b]) { $0[0] / $0[1] }
    }

    func testBiasLikeBroadcast() {
        // (2, 3, 4) ∘ (4): trailing-vector broadcast, both operand orders.
        let x = rand([2, 3, 4], 3), v = rand([4], 4, low: 0.5, high: 2)
        gradCheck([x, v]) { $0[0] + $0[1] }
        gradCheck([x, v]) { $0[1] - $0[0] }
        gradCheck([x, v]) { $0[0] * $0[1] }
        gradCheck([x, v]) { $0[0] / $0[1] }
    }

    func testGeneralBroadcast() {
        // (2, 1, 4) ∘ (3, 1): both operands broadcast → (2, 3, 4); middle-axis (W, 1, F) + (W, B, F); column.
        let a = rand([2, 1, 4], 5), b = rand([3, 1], 6, low: 0.5, high: 2)
        gradCheck([a, b]) { $0[0] + $0[1] }
        gradCheck([a, b]) { $0[0] - $0[1] }
        gradCheck([a, b]) { $0[0] * $0[1] }
        gradCheck([a, b]) { $0[0] / $0[1] }
        let pe = rand([3, 1, 4], 7), x = rand([3, 2, 4], 8)
        gradCheck([x, pe]) { $0[0] + $0[1] }
        let col = rand([3, 2, 1], 9, low: 0.5, high: 2)
        gradCheck([x, col]) { $0[0] / $0[1] }
        let s = rand([], 10, low: 0.5, high: 2)
        gradCheck([x, s]) { $0[0] * $0[1] }
        gradCheck([s, x]) { $0[0] - $0[1] }
    }

    func testBroadcastedTo() {
        gradCheck([rand([3, 1], 48)]) { $0[0].broadcasted(to: [2, 3, 4]) }
        gradCheck([rand([4], 49)]) { $0[0].broadcasted(to: [3, 4]) }
    }

    func testScalarOps() {
        let x = rand([2, 5], 11, low: 0.5, high: 2)
        gradCheck([x]) { $0[0] + 1.5 }
        gradCheck([x]) { 1.5 + $0[0] }
        gradCheck([x]) { $0[0] - 0.7 }
        gradCheck([x]) { 0.7 - $0[0] }
        gradCheck([x]) { $0[0] * 3.0 }
        gradCheck([x]) { 3.0 * $0[0] }
        gradCheck([x]) { $0[0] / 3.0 }
        gradCheck([x]) { 3.0 / $0[0] }
        gradCheck([x]) { -$0[0] }
    }

    // MARK: unary functions

    func testUnaryFunctions() {
        let x = rand([3, 4], 12, low: -2, high: 2), pos = rand([3, 4], 13, low: 0.3, high: 2)
        gradCheck([x]) { square($0[0]) }
        gradCheck([pos]) { sqrt($0[0]) }
        gradCheck([x]) { exp($0[0]) }
        gradCheck([pos]) { log($0[0]) }
        gradCheck([x]) { sigmoid($0[0]) }
        gradCheck([x]) { tanh($0[0]) }
    }

    func testReLUAndLeakyReLU() {
        let x = randAwayFromZero([4, 5], 14)
        gradCheck([x]) { relu($0[0]) }
        gradCheck([x]) { leakyReLU($0[0], slope: 0.2) }
        gradCheck([x]) { leakyReLU($0[0], slope: 1.0) }
    }

    func testSoftmax() {
        gradCheck([rand([2, 3, 5], 15, low: -3, high: 3)]) { softmax($0[0]) }
        gradCheck([rand([7], 16)]) { softmax($0[0]) }
    }

    // MARK: matmul and linear

    func testMatmul2DAllTransposes() {
        let m = 3, k = 4, n = 5
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = rand(ta ? [k, m] : [m, k], 17), b = rand(tb ? [n, k] : [k, n], 18)
            gradCheck([a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        }
    }

    func testBatchedMatmul() {
        let B = 2, m = 3, k = 4, n = 2
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = rand(ta ? [B, k, m] : [B, m, k], 19), b = rand(tb ? [B, n, k] : [B, k, n], 20)
            gradCheck([a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        }
        // 4-D batch (B, H, m, k)·(B, H, k, n)
        gradCheck([rand([2, 2, 3, 4], 21), rand([2, 2, 4, 3], 22)]) { matmul($0[0], $0[1]) }
        // (B, m, k)·(k, n): batch folded into one GEMM
        for tb in [false, true] {
            gradCheck([rand([2, 3, 4], 23), rand(tb ? [5, 4] : [4, 5], 24)]) { matmul($0[0], $0[1], transposeB: tb) }
        }
    }

    func testLinear() {
        let x = rand([3, 2, 4], 25), w = rand([5, 4], 26), b = rand([5], 27)
        gradCheck([x, w, b]) { linear($0[0], $0[1], $0[2]) }
        gradCheck([x, w]) { linear($0[0], $0[1], nil) }
        gradCheck([rand([4], 28), w, b]) { linear($0[0], $0[1], $0[2]) }
    }

    // MARK: shape ops

    func testConcat() {
        let a = rand([2, 3, 4], 29), b = rand([2, 3, 2], 30), c = rand([2, 1, 4], 31), d = rand([1, 3, 4], 32)
        gradCheck([a, b]) { concat([$0[0], $0[1]], axis: 2) }
        gradCheck([a, c]) { concat([$0[0], $0[1]], axis: 1) }
        gradCheck([a, d, a]) { concat([$0[0], $0[1], $0[2]], axis: 0) }
    }

    func testSliceSplitReshape() {
        let x = rand([3, 5, 2], 33)
        gradCheck([x]) { $0[0].slice(axis: 1, range: 1..<4) }
        gradCheck([x]) { $0[0].slice(axis: -1, range: 1..<2) }
        gradCheck([x]) {
            let parts = split($0[0], sizes: [2, 0, 3], axis: 1)
            return parts[0].sum(axes: [1]) * parts[2].sum(axes: [1])
        }
        gradCheck([x]) { $0[0].reshaped([5, -1]) * rand([5, 6], 34) }
    }

    func testTransposePermuteRepeat() {
        let x = rand([2, 3, 4], 35)
        gradCheck([x]) { $0[0].transposed(0, 2) }
        gradCheck([x]) { $0[0].transposed() }
        gradCheck([rand([2, 3, 2, 4], 36)]) { $0[0].permuted([2, 0, 3, 1]) }
        gradCheck([x]) { $0[0].repeated(3, axis: 2) }
        gradCheck([x]) { $0[0].repeated(2, axis: 0) }
        gradCheck([x]) { $0[0].repeated(2, axis: 1) }
    }

    func testSumMean() {
        let x = rand([2, 3, 4], 37)
        for axes in [[0], [1], [2], [0, 2], [-1], [0, 1, 2]] {
            for keep in [false, true] {
                gradCheck([x]) { $0[0].sum(axes: axes, keepDims: keep) }
                gradCheck([x]) { $0[0].mean(axes: axes, keepDims: keep) }
            }
        }
        gradCheck([x]) { $0[0].sum() }
        gradCheck([x]) { $0[0].mean() }
    }

    // MARK: dropout, loss, custom op

    func testDropoutFixedMask() {
        let x = rand([4, 6], 38)
        gradCheck([x]) {
            var rng = Xoshiro256(seed: 5)   // same mask on every evaluation
            return dropout($0[0], p: 0.4, rng: &rng, training: true)
        }
    }

    func testMSEBothReductions() {
        let a = rand([3, 4], 39), b = rand([3, 4], 40)
        gradCheck([a, b]) { mseLoss($0[0], $0[1], reduction: .none) }
        gradCheck([a, b]) { mseLoss($0[0], $0[1], reduction: .mean) }
        gradCheck([a, b]) { mseLoss($0[0], $0[1], reduction: .sum) }
    }

    func testCustomOp() {
        // y = x³ ⊙ w, registered with a hand-written backward: dx = 3x²·w·gy, dw = x³·gy.
        func cubeTimes(_ x: Tensor<Double>, _ w: Tensor<Double>) -> Tensor<Double> {
            let xs = x.scalars, ws = w.scalars
            let y = Tensor<Double>(shape: x.shape, scalars: zip(xs, ws).map { $0 * $0 * $0 * $1 })
            return Tensor.makeOp(output: y, inputs: [x, w]) { gy in
                let g = gy.scalars
                let dx = Tensor<Double>(shape: x.shape, scalars: (0..<xs.count).map { 3 * xs[$0] * xs[$0] * ws[$0] * g[$0] })
                let dw = Tensor<Double>(shape: w.shape, scalars: (0..<xs.count).map { xs[$0] * xs[$0] * xs[$0] * g[$0] })
                return [dx, dw]
            }
        }
        gradCheck([rand([2, 3], 41), rand([2, 3], 42)]) { sigmoid(cubeTimes($0[0], $0[1])) }
        // output-aware variant: y = eˣ with dx = gy·y
        gradCheck([rand([5], 43)]) { inputs in
            let x = inputs[0]
            let y = Tensor<Double>(shape: x.shape, scalars: x.scalars.map { Foundation.exp($0) })
            return Tensor.makeOp(output: y, inputs: [x], name: "myExp") { gy, y in [gy * y.detached()] }
        }
    }

    func testComposite() {
        // A miniature attention block: softmax(QKᵀ/√d)·V with a residual and a sigmoid head.
        let x = rand([2, 3, 4], 44), wq = rand([4, 4], 45), wk = rand([4, 4], 46), wv = rand([4, 4], 47)
        gradCheck([x, wq, wk, wv]) { p in
            let q = linear(p[0], p[1], nil), k = linear(p[0], p[2], nil), v = linear(p[0], p[3], nil)
            let att = softmax(matmul(q, k, transposeB: true) / 2.0)
            return sigmoid(matmul(att, v) + p[0])
        }
    }
}
