import Foundation
@testable import VigilNN
import VigilRandom
import VigilTensor
import XCTest

/// Runs one attention kernel as cross-attention on arrays: q (B, Lq, d), kv (B, Lk, 2d) = [k | v]; with a
/// gradient `gOut` (B, Lq, d) also the backward. Returns out, P (in the path's layout), dq, dkv.
func runAttention<S: AttentionScalar>(_ path: AttentionPath, _ s: AttentionShape, q: [S], kv: [S], gOut: [S]?,
                                      mask: [S]? = nil) -> (out: [S], probs: [S], dq: [S], dkv: [S]) {
    let d = s.modelDim
    var q = q, kv = kv, gOut = gOut ?? [], mask = mask ?? []
    var out = [S](repeating: .nan, count: s.batch * s.queryLength * d)
    // a path keeping no weights for its backward (weightCount 0) still gets a probs pointer: it says a backward follows
    var probs = [S](repeating: .nan, count: gOut.isEmpty ? 0 : Swift.max(path.weightCount(s), 1))
    // a path that overwrites the gradients gets NaN-filled ones: any element it failed to write shows
    let fill: S = path.overwritesGradients ? .nan : 0
    var dq = [S](repeating: fill, count: q.count), dkv = [S](repeating: fill, count: kv.count)
    q.withUnsafeMutableBufferPointer { qp in kv.withUnsafeMutableBufferPointer { kp in mask.withUnsafeMutableBufferPointer { mp in
        let qo = AttentionOperand(base: qp.baseAddress!, stride: d, offset: 0)
        let ko = AttentionOperand(base: kp.baseAddress!, stride: 2 * d, offset: 0)
        let vo = AttentionOperand(base: kp.baseAddress!, stride: 2 * d, offset: d)
        let m = mp.isEmpty ? nil : UnsafePointer(mp.baseAddress!)
        out.withUnsafeMutableBufferPointer { o in probs.withUnsafeMutableBufferPointer { pr in
            S.attentionForward(path, s, q: qo, k: ko, v: vo, out: o.baseAddress!, probs: pr.isEmpty ? nil : pr.baseAddress!,
                               mask: m, threads: 2)
            guard !gOut.isEmpty else { return }
            gOut.withUnsafeMutableBufferPointer { g in dq.withUnsafeMutableBufferPointer { dqp in dkv.withUnsafeMutableBufferPointer { dkvp in
                S.attentionBackward(path, s, q: qo, k: ko, v: vo, probs: pr.baseAddress!, mask: m, gradOut: g.baseAddress!,
                                    dq: AttentionOperand(base: dqp.baseAddress!, stride: d, offset: 0),
                                    dk: AttentionOperand(base: dkvp.baseAddress!, stride: 2 * d, offset: 0),
                                    dv: AttentionOperand(base: dkvp.baseAddress!, stride: 2 * d, offset: d), threads: 2)
            } } }
        } }
    } } }
    return (out, probs, dq, dkv)
}

/// The kernel dispatch: which path runs which call, why the others do not, and each fast path against the
/// reference kernel on the same inputs.
final class AttentionDispatchTests: XCTestCase {
    func call(_ dtype: String, _ hd: Int, grad: Bool, dropout: Bool) -> AttentionCall {
        AttentionCall(dtype: dtype, headDim: hd, keepsWeights: grad, dropout: dropout)
    }

    func testSelectFollowsTheConditions() {
        XCTAssertEqual(AttentionPath.select(for: call("float32", 2, grad: true, dropout: false)), .floatHD2Training)
        XCTAssertEqual(AttentionPath.select(for: call("float32", 2, grad: false, dropout: true)), .floatHD2Training)
        XCTAssertEqual(AttentionPath.select(for: call("float32", 2, grad: false, dropout: false)), .floatHD2Inference)
        XCTAssertEqual(AttentionPath.select(for: call("float64", 2, grad: true, dropout: true)), .doubleHD2)
        XCTAssertEqual(AttentionPath.select(for: call("float64", 2, grad: false, dropout: false)), .doubleHD2)
        XCTAssertEqual(AttentionPath.select(for: call("float32", 3, grad: true, dropout: true)), .reference)
        XCTAssertEqual(AttentionPath.select(for: call("float64", 1, grad: false, dropout: false)), .reference)
    }

    func testReasonsNotTaken() {
        let f64 = call("float64", 2, grad: true, dropout: false)
        XCTAssertEqual(AttentionPath.floatHD2Training.reasonNotTaken(for: f64), "dtype is float64, not float32")
        XCTAssertNil(AttentionPath.doubleHD2.reasonNotTaken(for: f64))
        XCTAssertEqual(AttentionPath.reference.reasonNotTaken(for: f64), "fast path doubleHD2 applies")
        let training = call("float32", 2, grad: true, dropout: true)
        XCTAssertEqual(AttentionPath.floatHD2Inference.reasonNotTaken(for: training), "the weights are kept for a backward")
        XCTAssertEqual(AttentionPath.floatHD2Inference.reasonNotTaken(for: call("float32", 2, grad: false, dropout: true)),
                       "a dropout mask applies")
        XCTAssertEqual(AttentionPath.floatHD2Training.reasonNotTaken(for: call("float32", 2, grad: false, dropout: false)),
                       "no weights to keep and no dropout mask (an inference call)")
        let wide = call("float32", 4, grad: false, dropout: false)
        XCTAssertEqual(AttentionPath.floatHD2Inference.reasonNotTaken(for: wide), "head width is 4, not 2")
        XCTAssertEqual(AttentionPath.doubleHD2.reasonNotTaken(for: wide), "dtype is float32, not float64")
        XCTAssertNil(AttentionPath.reference.reasonNotTaken(for: wide))
        // exactly one path runs every call
        for dtype in ["float32", "float64"] { for hd in [1, 2, 3] { for grad in [false, true] { for drop in [false, true] {
            let c = call(dtype, hd, grad: grad, dropout: drop)
            XCTAssertEqual(AttentionPath.allCases.filter { $0.reasonNotTaken(for: c) == nil }, [AttentionPath.select(for: c)], "\(c)")
        } } } }
    }

    func testWeightLayoutsAndThreads() {
        let s = AttentionShape(batch: 3, queryLength: 4, keyLength: 5, heads: 11, headDim: 2)
        XCTAssertEqual(AttentionPath.floatHD2Training.weightCount(s), 0)  // its backward recomputes the weights
        XCTAssertEqual(AttentionPath.doubleHD2.weightCount(s), 0)  // its backward recomputes the weights too
        XCTAssertEqual(AttentionPath.reference.weightCount(s), 3 * 11 * 4 * 5)
        XCTAssertEqual(AttentionPath.floatHD2Inference.weightCount(s), 0)
        XCTAssertEqual(AttentionPath.threads(for: s), 1)  // small call: no thread dispatch
    }

    func testFastPathsMatchTheReferenceKernel() {
        let s = AttentionShape(batch: 3, queryLength: 4, keyLength: 6, heads: 11, headDim: 2)
        let d = s.modelDim
        var rng = Xoshiro256(seed: 21)
        let q = (0..<(s.batch * s.queryLength * d)).map { _ in rng.nextUnitDouble() * 4 - 2 }
        let kv = (0..<(s.batch * s.keyLength * 2 * d)).map { _ in rng.nextUnitDouble() * 4 - 2 }
        let g = (0..<(s.batch * s.queryLength * d)).map { _ in rng.nextUnitDouble() - 0.5 }
        func close<S: BinaryFloatingPoint>(_ a: [S], _ e: [S], _ tol: Double, _ what: String) {
            XCTAssertEqual(a.count, e.count, what)
            for i in 0..<e.count { XCTAssertEqual(Double(a[i]), Double(e[i]), accuracy: tol * max(1, abs(Double(e[i]))), "\(what)[\(i)]") }
        }
        // Float64: doubleHD2 (training and inference branches) against the reference
        let ref64 = runAttention(.reference, s, q: q, kv: kv, gOut: g)
        let hd2 = runAttention(.doubleHD2, s, q: q, kv: kv, gOut: g)
        close(hd2.out, ref64.out, 1e-13, "doubleHD2 out")
        close(hd2.dq, ref64.dq, 1e-13, "doubleHD2 dq")
        close(hd2.dkv, ref64.dkv, 1e-13, "doubleHD2 dkv")
        close(runAttention(.doubleHD2, s, q: q, kv: kv, gOut: nil).out, ref64.out, 1e-13, "doubleHD2 inference out")
        XCTAssertTrue(ref64.dq.contains { abs($0) > 1e-3 }, "non-trivial gradients")
        // Float32: both head-width-2 paths against the Float32 reference
        let (q32, kv32, g32) = (q.map(Float.init), kv.map(Float.init), g.map(Float.init))
        let ref32 = runAttention(.reference, s, q: q32, kv: kv32, gOut: g32)
        let training = runAttention(.floatHD2Training, s, q: q32, kv: kv32, gOut: g32)
        close(training.out, ref32.out, 2e-6, "floatHD2Training out")
        close(training.dq, ref32.dq, 2e-5, "floatHD2Training dq")
        close(training.dkv, ref32.dkv, 2e-5, "floatHD2Training dkv")
        close(runAttention(.floatHD2Inference, s, q: q32, kv: kv32, gOut: nil).out, ref32.out, 2e-6, "floatHD2Inference out")
    }

    func testPlanarInferenceMatchesTheFusedKernel() {
        // planar kernels (heads padded to 16 lanes) against the fused forward on interleaved operands
        let (b, lq, lk, h) = (3, 4, 6, 11)
        let hp = 16, d = 2 * h
        let s = AttentionShape(batch: b, queryLength: lq, keyLength: lk, heads: h, headDim: 2)
        var rng = Xoshiro256(seed: 9)
        let q = (0..<(b * lq * d)).map { _ in rng.nextUnitDouble() * 4 - 2 }
        let kv = (0..<(b * lk * 2 * d)).map { _ in rng.nextUnitDouble() * 4 - 2 }
        // planar copies: row = [comp 0 of heads 0..<hp | comp 1 of heads 0..<hp], pads zero
        func planar<S: AttentionScalar>(_ src: [S], rows: Int, stride: Int, offset: Int) -> [S] {
            var o = [S](repeating: 0, count: rows * 2 * hp)
            for r in 0..<rows { for hh in 0..<h { for c in 0..<2 { o[r * 2 * hp + c * hp + hh] = src[r * stride + offset + 2 * hh + c] } } }
            return o
        }
        func check<S: AttentionScalar>(_ q: [S], _ kv: [S], fused: AttentionPath, tolerance: Double) {
            let want = runAttention(fused, s, q: q, kv: kv, gOut: nil).out
            var pq = planar(q, rows: b * lq, stride: d, offset: 0)
            var pk = planar(kv, rows: b * lk, stride: 2 * d, offset: 0), pv = planar(kv, rows: b * lk, stride: 2 * d, offset: d)
            var got = [S](repeating: .nan, count: b * lq * 2 * hp)
            pq.withUnsafeMutableBufferPointer { qp in pk.withUnsafeMutableBufferPointer { kp in pv.withUnsafeMutableBufferPointer { vp in
                got.withUnsafeMutableBufferPointer { o in
                    S.attentionPlanarInference(s, hp: hp, q: AttentionOperand(base: qp.baseAddress!, stride: 2 * hp, offset: 0),
                                               k: AttentionOperand(base: kp.baseAddress!, stride: 2 * hp, offset: 0),
                                               v: AttentionOperand(base: vp.baseAddress!, stride: 2 * hp, offset: 0),
                                               out: o.baseAddress!, outStride: 2 * hp)
                }
            } } }
            for r in 0..<(b * lq) { for hh in 0..<h { for c in 0..<2 {
                XCTAssertEqual(Double(got[r * 2 * hp + c * hp + hh]), Double(want[r * d + 2 * hh + c]), accuracy: tolerance, "\(S.self)")
            } } }
        }
        check(q.map(Float.init), kv.map(Float.init), fused: .floatHD2Inference, tolerance: 2e-6)
        check(q, kv, fused: .doubleHD2, tolerance: 0)  // the same operations in the same order
    }
}
