import XCTest
import Foundation
@testable import VigilTensor
import VigilRandom

final class ForwardTests: XCTestCase {
    func t(_ shape: [Int], _ v: [Double]) -> Tensor<Double> { Tensor(shape: shape, scalars: v) }

    func testMatmulValues() {
        let a = t([2, 2], [1, 2, 3, 4]), b = t([2, 2], [5, 6, 7, 8])
        XCTAssertEqual(matmul(a, b).scalars, [19, 22, 43, 50])
        XCTAssertEqual(matmul(a, b, transposeA: true).scalars, [26, 30, 38, 44])
        XCTAssertEqual(matmul(a, b, transposeB: true).scalars, [17, 23, 39, 53])
        XCTAssertEqual(matmul(a, b, transposeA: true, transposeB: true).scalars, [23, 31, 34, 46])
        let ab = concat([a.reshaped([1, 2, 2]), b.reshaped([1, 2, 2])], axis: 0)
        XCTAssertEqual(matmul(ab, ab).shape, [2, 2, 2])
        XCTAssertEqual(matmul(ab, ab).scalars, [7, 10, 15, 22, 67, 78, 91, 106])
        XCTAssertEqual(matmul(ab, a).scalars, [7, 10, 15, 22, 23, 34, 31, 46])
    }

    func testLinearValues() {
        let x = t([1, 2, 3], [1, 2, 3, 4, 5, 6]), w = t([2, 3], [1, 0, -1, 0.5, 0.5, 0.5]), b = t([2], [10, 20])
        let y = linear(x, w, b)
        XCTAssertEqual(y.shape, [1, 2, 2])
        XCTAssertEqual(y.scalars, [8, 23, 8, 27.5])
        XCTAssertEqual(linear(x, w, nil).scalars, [-2, 3, -2, 7.5])
    }

    /// `linear` adds the bias after the GEMM; it must keep the bits of the form it replaced, the GEMM accumulating
    /// (β = 1) onto bias rows copied into the output, at TranAD's shapes (inner dims 16, 76, 152), Float and Double.
    func testLinearBiasPassHasTheBitsOfAccumulatingOntoBiasRows() {
        func check<S: TensorScalar>(_: S.Type, rows: Int, nIn: Int, nOut: Int, seed: UInt64) {
            var rng = Xoshiro256(seed: seed)
            let x = Tensor<S>(uniform: [rows, nIn], low: -1, high: 1, rng: &rng)
            let w = Tensor<S>(uniform: [nOut, nIn], low: -1, high: 1, rng: &rng)
            let b = Tensor<S>(uniform: [nOut], low: -1, high: 1, rng: &rng)
            let old = Tensor<S>(uninitialized: [rows, nOut])
            for r in 0..<rows { for c in 0..<nOut { old.data[r * nOut + c] = b.data[c] } }
            gemm(false, true, rows: rows, cols: nOut, inner: nIn, x.data, w.data, old.data, accumulate: true)
            let y = linear(x, w, b)
            XCTAssertEqual(y.scalars.map { $0.bitPattern }, old.scalars.map { $0.bitPattern },
                           "\(S.dtypeName) \(rows)×\(nIn) → \(nOut)")
            XCTAssertNotEqual(y.scalars, linear(x, w, nil).scalars)  // the bias is there
        }
        for (i, (rows, nIn, nOut)) in [(640, 76, 228), (640, 16, 76), (640, 152, 76), (64, 76, 38), (7, 3, 5)].enumerated() {
            check(Float.self, rows: rows, nIn: nIn, nOut: nOut, seed: UInt64(i))
            check(Double.self, rows: rows, nIn: nIn, nOut: nOut, seed: UInt64(10 + i))
        }
    }

    func testBroadcastValues() {
        let x = t([2, 3], [1, 2, 3, 4, 5, 6])
        XCTAssertEqual((x + t([3], [10, 20, 30])).scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((x * t([2, 1], [2, 3])).scalars, [2, 4, 6, 12, 15, 18])
        XCTAssertEqual((t([2, 1], [1, 2]) - t([3], [1, 2, 3])).scalars, [0, -1, -2, 1, 0, -1])
        XCTAssertEqual((t([], [12]) / x).scalars, [12, 6, 4, 3, 2.4, 2])
        let pe = t([2, 1, 2], [100, 200, 300, 400]), z = t([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual((z + pe).scalars, [101, 202, 103, 204, 305, 406, 307, 408])
        XCTAssertEqual((2.0 - x).scalars, [1, 0, -1, -2, -3, -4])
        XCTAssertEqual((x / 2.0).scalars, [0.5, 1, 1.5, 2, 2.5, 3])
    }

    func testUnaryValues() {
        let x = t([4], [-2, -0.5, 0, 3])
        XCTAssertEqual(relu(x).scalars, [0, 0, 0, 3])
        XCTAssertEqual(leakyReLU(x, slope: 0.1).scalars, [-0.2, -0.05, 0, 3])
        XCTAssertEqual(leakyReLU(x, slope: 1).scalars, x.scalars)
        XCTAssertEqual(square(x).scalars, [4, 0.25, 0, 9])
        XCTAssertEqual(sigmoid(t([3], [0, 1000, -1000])).scalars, [0.5, 1, 0])
        XCTAssertEqual(sigmoid(t([1], [1])).item, 1 / (1 + Foundation.exp(-1)), accuracy: 1e-15)
        XCTAssertEqual(exp(t([1], [1])).item, M_E, accuracy: 1e-15)
        XCTAssertEqual(log(t([1], [M_E])).item, 1, accuracy: 1e-15)
        XCTAssertEqual(sqrt(t([2], [4, 2.25])).scalars, [2, 1.5])
    }

    func testSoftmaxValuesAndStability() {
        let y = softmax(t([2, 3], [1, 2, 3, 1001, 1002, 1003]))
        let e = [Foundation.exp(-2.0), Foundation.exp(-1.0), 1.0], s = e.reduce(0, +)
        for j in 0..<3 {
            XCTAssertEqual(y[0, j], e[j] / s, accuracy: 1e-15)
            XCTAssertEqual(y[1, j], e[j] / s, accuracy: 1e-15)
        }
        XCTAssertTrue(softmax(Tensor<Float>(shape: [2], scalars: [1e30, -1e30])).allFinite)
    }

    func testShapeOpValues() {
        let x = t([2, 3], [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.transposed().scalars, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(x.transposed().shape, [3, 2])
        XCTAssertEqual(x.slice(axis: 1, range: 1..<3).scalars, [2, 3, 5, 6])
        XCTAssertEqual(concat([x, x.slice(axis: 1, range: 0..<1)], axis: 1).scalars, [1, 2, 3, 1, 4, 5, 6, 4])
        XCTAssertEqual(x.repeated(2, axis: 1).scalars, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        XCTAssertEqual(x.repeated(2, axis: 0).scalars, [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
        let parts = split(x, sizes: [1, 2], axis: 1)
        XCTAssertEqual(parts.map(\.scalars), [[1, 4], [2, 3, 5, 6]])
        let z = t([2, 1, 3, 1], [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(z.permuted([2, 0, 3, 1]).shape, [3, 2, 1, 1])
        XCTAssertEqual(z.permuted([2, 0, 3, 1]).scalars, [1, 4, 2, 5, 3, 6])
        let c = t([2, 3, 2], Array(1...12).map(Double.init))
        XCTAssertEqual(c.permuted([1, 2, 0]).scalars, [1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12])
        XCTAssertEqual(c.reshaped([3, -1]).shape, [3, 4])
    }

    func testReductionValues() {
        let x = t([2, 3], [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.sum(axes: [0]).scalars, [5, 7, 9])
        XCTAssertEqual(x.sum(axes: [1], keepDims: true).shape, [2, 1])
        XCTAssertEqual(x.sum(axes: [-1]).scalars, [6, 15])
        XCTAssertEqual(x.mean(axes: [1]).scalars, [2, 5])
        XCTAssertEqual(x.sum().item, 21)
        XCTAssertEqual(x.mean().item, 3.5)
        XCTAssertEqual(x.sum(axes: [0, 1]).shape, [])
        XCTAssertEqual(mseLoss(x, t([2, 3], [1, 1, 1, 1, 1, 1])).item, (0 + 1 + 4 + 9 + 16 + 25) / 6)
        XCTAssertEqual(mseLoss(x, x + 1.0, reduction: .none).scalars, [1, 1, 1, 1, 1, 1])
    }

    func testDropout() {
        var rng = Xoshiro256(seed: 1)
        let x = Tensor<Double>(ones: [100, 100])
        let y = dropout(x, p: 0.3, rng: &rng, training: true)
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-12 })
        XCTAssertEqual(Double(kept.count) / 10_000, 0.7, accuracy: 0.02)
        var r2 = Xoshiro256(seed: 1)
        XCTAssertTrue(dropout(x, p: 0.3, rng: &r2, training: false) === x)
        XCTAssertTrue(dropout(x, p: 0, rng: &r2, training: true) === x)
        var fresh = Xoshiro256(seed: 1)
        XCTAssertEqual(r2.next(), fresh.next())   // eval mode draws nothing
        // Same seed ⇒ same mask in Float and Double.
        var a = Xoshiro256(seed: 9), b = Xoshiro256(seed: 9)
        let yd = dropout(Tensor<Double>(ones: [50]), p: 0.5, rng: &a, training: true)
        let yf = dropout(Tensor<Float>(ones: [50]), p: 0.5, rng: &b, training: true)
        XCTAssertEqual(yd.scalars, yf.scalars.map(Double.init))
        XCTAssertTrue(dropout(x, p: 1, rng: &rng, training: true).scalars.allSatisfy { $0 == 0 })
    }

    func testConversionAndInit() {
        var rng = Xoshiro256(seed: 2)
        let d = Tensor<Double>(normal: [1000], mean: 1, std: 2, rng: &rng)
        let m = d.mean().item
        XCTAssertEqual(m, 1, accuracy: 0.2)
        let f = Tensor<Float>(d)
        XCTAssertEqual(f.shape, [1000])
        XCTAssertEqual(Tensor<Double>(f).scalars[0], Double(Float(d.scalars[0])))
        XCTAssertEqual(Tensor<Double>(zeros: [2, 2]).scalars, [0, 0, 0, 0])
        XCTAssertEqual(Tensor<Float>(repeating: 3, shape: [2]).scalars, [3, 3])
        XCTAssertEqual(Tensor<Float>(scalar: 4).shape, [])
        let u = Tensor<Float>(uniform: [500], low: -2, high: 3, rng: &rng)
        XCTAssertTrue(u.scalars.allSatisfy { $0 >= -2 && $0 < 3 })
    }

    /// The same composite computation in Float32 and Float64 agrees to ~1e-5 (forward and gradients).
    func testFloat32MatchesFloat64() {
        func run<S: TensorScalar>(_ x: Tensor<S>, _ w: Tensor<S>, _ b: Tensor<S>, _ pe: Tensor<S>) -> (Tensor<S>, Tensor<S>) {
            w.requiresGrad = true
            let h = linear(x + pe, w, b)                                   // (W, B, 6)
            let att = softmax(matmul(h, h, transposeB: true) / S(6).squareRoot())
            let o = sigmoid(leakyReLU(matmul(att, h), slope: 0.2))
            let loss = mseLoss(o.repeated(2, axis: 2).slice(axis: 2, range: 3..<9), concat([o, o], axis: 1).slice(axis: 1, range: 0..<2))
            loss.backward()
            return (o, w.grad!)
        }
        let xd = rand([4, 2, 5], 1), wd = rand([6, 5], 2), bd = rand([6], 3), ped = rand([4, 1, 5], 4)
        let (od, gd) = run(xd, wd, bd, ped)
        let (of, gf) = run(Tensor<Float>(xd), Tensor<Float>(wd), Tensor<Float>(bd), Tensor<Float>(ped))
        for (a, b) in zip(od.scalars, of.scalars) { XCTAssertEqual(a, Double(b), accuracy: 1e-5) }
        for (a, b) in zip(gd.scalars, gf.scalars) { XCTAssertEqual(a, Double(b), accuracy: 1e-5) }
    }

    func testThreads() {
        let before = Threads.count
        Threads.set(1)
        XCTAssertEqual(Threads.count, 1)
        Threads.set(before)
        XCTAssertEqual(Threads.count, before)
    }
}

final class EdgeCaseTests: XCTestCase {
    func testEmptyInnerDimensions() {
        // k = 0: the product is all zeros (no uninitialised memory), and gradients have the right shapes.
        let a = Tensor<Double>(zeros: [3, 0]), b = Tensor<Double>(zeros: [0, 2])
        a.requiresGrad = true; b.requiresGrad = true
        let c = matmul(a, b)
        XCTAssertEqual(c.shape, [3, 2]); XCTAssertEqual(c.scalars, [0, 0, 0, 0, 0, 0])
        c.sum().backward()
        XCTAssertEqual(a.grad!.shape, [3, 0]); XCTAssertEqual(b.grad!.shape, [0, 2])
        let x = Tensor<Double>(zeros: [2, 2, 0]), w = Tensor<Double>(zeros: [3, 0]), bias = Tensor<Double>(ones: [3])
        XCTAssertEqual(linear(x, w, bias).scalars, [Double](repeating: 1, count: 12))
        XCTAssertEqual(matmul(Tensor<Double>(zeros: [2, 3, 0]), Tensor<Double>(zeros: [2, 0, 4])).scalars, [Double](repeating: 0, count: 24))
    }

    func testRankZeroAndSizeOne() {
        let s = Tensor<Double>(scalar: 3); s.requiresGrad = true
        let y = s * s + Tensor<Double>(ones: [1, 1])
        XCTAssertEqual(y.shape, [1, 1]); XCTAssertEqual(y.item, 10)
        y.backward()
        XCTAssertEqual(s.grad!.item, 6)
        XCTAssertEqual(s.grad!.shape, [])
    }
}
