import Foundation
@testable import VigilNN
import VigilRandom
import VigilTensor
import XCTest

/// Gradient checks of the fused attention ops (Float64) against central finite differences, with and
/// without a (fixed-seed) dropout mask, and the forward against a naive per-head implementation.
final class FusedAttentionTests: XCTestCase {
    func randomTensor(_ shape: [Int], _ rng: inout Xoshiro256) -> Tensor<Double> {
        let n = shape.reduce(1, *)
        let t = Tensor<Double>(shape: shape, scalars: (0..<n).map { _ in rng.nextUnitDouble() * 2 - 1 })
        t.requiresGrad = true
        return t
    }

    /// Weighted sum ⟨out, r⟩ as a scalar loss.
    func objective(_ out: Tensor<Double>, _ r: Tensor<Double>) -> Tensor<Double> { (out * r).sum() }

    func checkGradient(inputs: [Tensor<Double>], seed: UInt64, forward: ([Tensor<Double>], inout Xoshiro256) -> Tensor<Double>,
                       file: StaticString = #filePath, line: UInt = #line) {
        var rr = Xoshiro256(seed: 999)
        var rng = Xoshiro256(seed: seed)
        let probe = forward(inputs, &rng)
        let r = Tensor<Double>(shape: probe.shape, scalars: (0..<probe.count).map { _ in rr.nextUnitDouble() - 0.5 })
        for t in inputs { t.zeroGrad() }
        rng = Xoshiro256(seed: seed)
        objective(forward(inputs, &rng), r).backward()
        let h = 1e-6
        for (n, t) in inputs.enumerated() {
            let analytic = t.grad!.scalars
            for i in 0..<t.count {
                let orig = t.scalars[i]
                t.withUnsafeMutableBufferPointer { $0[i] = orig + h }
                var r1 = Xoshiro256(seed: seed)
                let fp = withNoGrad { objective(forward(inputs, &r1), r).item }
                t.withUnsafeMutableBufferPointer { $0[i] = orig - h }
                var r2 = Xoshiro256(seed: seed)
                let fm = withNoGrad { objective(forward(inputs, &r2), r).item }
                t.withUnsafeMutableBufferPointer { $0[i] = orig }
                let numeric = (fp - fm) / (2 * h)
                XCTAssertEqual(analytic[i], numeric, accuracy: 1e-7 * max(1, abs(numeric)),
                               "input \(n) element \(i)", file: file, line: line)
            }
        }
    }

    func testSelfAttentionGradientHeadDim2() {
        var rng = Xoshiro256(seed: 1)
        let qkv = randomTensor([2, 4, 3 * 6], &rng)  // B=2, L=4, d=6, 3 heads of width 2
        checkGradient(inputs: [qkv], seed: 5) { x, r in fusedSelfAttention(x[0], heads: 3, dropout: 0, rng: &r, training: false) }
    }

    func testSelfAttentionGradientWithDropoutMask() {
        var rng = Xoshiro256(seed: 2)
        let qkv = randomTensor([2, 5, 3 * 4], &rng)
        checkGradient(inputs: [qkv], seed: 6) { x, r in fusedSelfAttention(x[0], heads: 2, dropout: 0.3, rng: &r, training: true) }
    }

    func testCrossAttentionGradientGeneralHeadDim() {
        var rng = Xoshiro256(seed: 3)
        let q = randomTensor([3, 2, 6], &rng)   // B=3, Lq=2, d=6 with 2 heads of width 3 (general path)
        let kv = randomTensor([3, 4, 12], &rng)
        checkGradient(inputs: [q, kv], seed: 7) { x, r in
            fusedCrossAttention(query: x[0], keyValue: x[1], heads: 2, dropout: 0, rng: &r, training: false)
        }
    }

    func testCrossAttentionGradientHeadDim2WithDropout() {
        var rng = Xoshiro256(seed: 4)
        let q = randomTensor([2, 1, 4], &rng)
        let kv = randomTensor([2, 3, 8], &rng)
        checkGradient(inputs: [q, kv], seed: 8) { x, r in
            fusedCrossAttention(query: x[0], keyValue: x[1], heads: 2, dropout: 0.25, rng: &r, training: true)
        }
    }

    func testForwardMatchesNaiveAttention() {
        var rng = Xoshiro256(seed: 9)
        let (b, l, h, hd) = (2, 3, 2, 2)
        let d = h * hd
        let qkv = randomTensor([b, l, 3 * d], &rng)
        var r = Xoshiro256(seed: 0)
        let out = withNoGrad { fusedSelfAttention(qkv, heads: h, rng: &r) }.scalars
        let x = qkv.scalars
        for bi in 0..<b { for hi in 0..<h { for i in 0..<l {
            var s = [Double](repeating: 0, count: l)
            for j in 0..<l {
                for c in 0..<hd { s[j] += x[(bi * l + i) * 3 * d + hi * hd + c] * x[(bi * l + j) * 3 * d + d + hi * hd + c] }
                s[j] /= Double(hd).squareRoot()
            }
            let m = s.max()!
            let e = s.map { exp($0 - m) }
            let z = e.reduce(0, +)
            for c in 0..<hd {
                var o = 0.0
                for j in 0..<l { o += e[j] / z * x[(bi * l + j) * 3 * d + 2 * d + hi * hd + c] }
                XCTAssertEqual(out[(bi * l + i) * d + hi * hd + c], o, accuracy: 1e-14)
            }
        } } }
    }

    func testDropoutMaskRateAndScale() {
        var rng = Xoshiro256(seed: 11)
        var m = [Double](repeating: 0, count: 100_000)
        m.withUnsafeMutableBufferPointer { AttentionKernels.dropoutMask($0.baseAddress!, batch: 100, perBatch: 1000, p: 0.1, rng: &rng, threads: 2) }
        let dropped = m.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / 100_000, 0.1, accuracy: 0.005)
        XCTAssertTrue(m.allSatisfy { $0 == 0 || abs($0 - 1 / 0.9) < 1e-12 })
    }
}

/// Accuracy of the softmax exp kernels against Foundation's exp.
final class FastExpTests: XCTestCase {
    func testFloatAndDoubleExpAccuracy() {
        var worstF = 0.0, worstD = 0.0
        var x = -80.0
        while x <= 0.5 {
            let ef = Double(fastExpFloat(Float(x))), rf = Foundation.exp(Double(Float(x)))
            worstF = max(worstF, abs(ef - rf) / rf)
            let ed = fastExpDouble(x), rd = Foundation.exp(x)
            worstD = max(worstD, abs(ed - rd) / rd)
            x += 0.000917
        }
        XCTAssertLessThan(worstF, 3e-7)
        XCTAssertLessThan(worstD, 1e-15)
        XCTAssertEqual(fastExpDouble(0), 1)
        XCTAssertGreaterThan(fastExpFloat(-200), 0)  // clamped, no garbage from the exponent bits
    }

    func testFastExp2OnNonpositiveArguments() {
        var worst = 0.0
        var t: Float = -120
        while t <= 0 {
            let lanes = SIMD8<Float>((0..<8).map { t + Float($0) * 0.0013 }.map { Swift.min($0, 0) })
            let got = fastExp2Nonpositive8(lanes)
            for l in 0..<8 {
                let want = Foundation.exp2(Double(lanes[l]))
                worst = max(worst, abs(Double(got[l]) - want) / want)
            }
            t += 0.0107
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(fastExp2Nonpositive8(SIMD8(repeating: 0))[0], 1)
        XCTAssertEqual(fastExp2Nonpositive8(SIMD8(repeating: -3))[0], 0.125)
        let tiny = fastExp2Nonpositive8(SIMD8(repeating: -1e9))[0]  // clamped at −125, not garbage bits
        XCTAssertTrue(tiny > 0 && tiny < 1e-37)
    }

    func testPlanarInferenceMatchesInterleavedKernel() {
        // Float planar kernel (heads padded to 8 lanes) against the interleaved fused forward
        let (b, lq, lk, h) = (3, 4, 6, 11)
        let hp = 16, d = 2 * h
        var rng = Xoshiro256(seed: 9)
        let q = (0..<(b * lq * d)).map { _ in Float(rng.nextUnitDouble() * 4 - 2) }
        let kv = (0..<(b * lk * 2 * d)).map { _ in Float(rng.nextUnitDouble() * 4 - 2) }
        var want = [Float](repeating: 0, count: b * lq * d)
        var qc = q, kvc = kv
        let s = AttentionShape(batch: b, queryLength: lq, keyLength: lk, heads: h, headDim: 2)
        qc.withUnsafeMutableBufferPointer { qp in kvc.withUnsafeMutableBufferPointer { kp in want.withUnsafeMutableBufferPointer { o in
            AttentionKernels.forward(s, q: AttentionOperand(base: qp.baseAddress!, stride: d, offset: 0),
                                     k: AttentionOperand(base: kp.baseAddress!, stride: 2 * d, offset: 0),
                                     v: AttentionOperand(base: kp.baseAddress!, stride: 2 * d, offset: d),
                                     out: o.baseAddress!, probs: nil, mask: nil)
        } } }
        // planar copies: row = [comp 0 of heads 0..<hp | comp 1 of heads 0..<hp], pads zero
        func planar(_ src: [Float], rows: Int, stride: Int, offset: Int) -> [Float] {
            var o = [Float](repeating: 0, count: rows * 2 * hp)
            for r in 0..<rows { for hh in 0..<h { for c in 0..<2 { o[r * 2 * hp + c * hp + hh] = src[r * stride + offset + 2 * hh + c] } } }
            return o
        }
        var pq = planar(q, rows: b * lq, stride: d, offset: 0)
        var pk = planar(kv, rows: b * lk, stride: 2 * d, offset: 0), pv = planar(kv, rows: b * lk, stride: 2 * d, offset: d)
        var got = [Float](repeating: .nan, count: b * lq * 2 * hp)
        pq.withUnsafeMutableBufferPointer { qp in pk.withUnsafeMutableBufferPointer { kp in pv.withUnsafeMutableBufferPointer { vp in
            got.withUnsafeMutableBufferPointer { o in
                AttentionKernels.planarInference(s, hp: hp, q: AttentionOperand(base: qp.baseAddress!, stride: 2 * hp, offset: 0),
                                                 k: AttentionOperand(base: kp.baseAddress!, stride: 2 * hp, offset: 0),
                                                 v: AttentionOperand(base: vp.baseAddress!, stride: 2 * hp, offset: 0),
                                                 out: o.baseAddress!, outStride: 2 * hp)
            }
        } } }
        for r in 0..<(b * lq) {
            for hh in 0..<h {
                for c in 0..<2 {
                    XCTAssertEqual(got[r * 2 * hp + c * hp + hh], want[r * d + 2 * hh + c], accuracy: 2e-6)
                }
            }
        }
    }
}
