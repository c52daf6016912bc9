import Foundation
@testable import VigilNN
import VigilRandom
import XCTest

/// The Float head-width-2 training kernels (SIMD8 over heads, head-padded probs/mask) against the
/// Float64 interleaved kernels, which the gradient checks in FusedAttentionTests validate.
final class TrainingKernelTests: XCTestCase {
    /// Runs both kernels on the same random q/kv/gradient (and mask) and compares out, probs, dq, dkv.
    func compare(batch b: Int, lq: Int, lk: Int, heads h: Int, dropout p: Double, file: StaticString = #filePath, line: UInt = #line) {
        let d = 2 * h, hp = (h + 7) / 8 * 8
        let s = AttentionShape(batch: b, queryLength: lq, keyLength: lk, heads: h, headDim: 2)
        var rng = Xoshiro256(seed: UInt64(31 * h + lq))
        let q = (0..<(b * lq * d)).map { _ in rng.nextUnitDouble() * 4 - 2 }
        let kv = (0..<(b * lk * 2 * d)).map { _ in rng.nextUnitDouble() * 4 - 2 }
        let gOut = (0..<(b * lq * d)).map { _ in rng.nextUnitDouble() - 0.5 }
        // reference: Double, interleaved (B, Lq, Lk, H) weights and mask
        var mask64 = [Double](repeating: 0, count: s.weightCount)
        var mr = Xoshiro256(seed: 77)
        if p > 0 { mask64.withUnsafeMutableBufferPointer { AttentionKernels.dropoutMask($0.baseAddress!, batch: b, perBatch: s.weightCount / b, p: p, rng: &mr) } }
        var q64 = q, kv64 = kv, g64 = gOut
        var out64 = [Double](repeating: 0, count: b * lq * d), probs64 = [Double](repeating: 0, count: s.weightCount)
        var dq64 = [Double](repeating: 0, count: q.count), dkv64 = [Double](repeating: 0, count: kv.count)
        q64.withUnsafeMutableBufferPointer { qp in kv64.withUnsafeMutableBufferPointer { kp in mask64.withUnsafeMutableBufferPointer { mp in
            let qo = AttentionOperand(base: qp.baseAddress!, stride: d, offset: 0)
            let ko = AttentionOperand(base: kp.baseAddress!, stride: 2 * d, offset: 0)
            let vo = AttentionOperand(base: kp.baseAddress!, stride: 2 * d, offset: d)
            let m = p > 0 ? UnsafePointer(mp.baseAddress!) : nil
            out64.withUnsafeMutableBufferPointer { o in probs64.withUnsafeMutableBufferPointer { pr in
                AttentionKernels.forward(s, q: qo, k: ko, v: vo, out: o.baseAddress!, probs: pr.baseAddress!, mask: m)
                g64.withUnsafeMutableBufferPointer { g in dq64.withUnsafeMutableBufferPointer { dq in dkv64.withUnsafeMutableBufferPointer { dkv in
                    AttentionKernels.backward(s, q: qo, k: ko, v: vo, probs: pr.baseAddress!, mask: m, gradOut: g.baseAddress!,
                                              dq: AttentionOperand(base: dq.baseAddress!, stride: d, offset: 0),
                                              dk: AttentionOperand(base: dkv.baseAddress!, stride: 2 * d, offset: 0),
                                              dv: AttentionOperand(base: dkv.baseAddress!, stride: 2 * d, offset: d))
                } } }
            } }
        } } }
        // Float padded kernels
        var q32 = q.map(Float.init), kv32 = kv.map(Float.init), g32 = gOut.map(Float.init)
        let padded = AttentionKernels.paddedWeightCount(s)
        XCTAssertEqual(padded, b * lq * lk * hp, file: file, line: line)
        var mask32 = [Float](repeating: .nan, count: padded)
        var mr32 = Xoshiro256(seed: 77)
        if p > 0 { mask32.withUnsafeMutableBufferPointer { AttentionKernels.paddedDropoutMask($0.baseAddress!, s, p: p, rng: &mr32) } }
        XCTAssertEqual(mr32.next(), mr.next(), "both masks draw the same number of values", file: file, line: line)
        var out32 = [Float](repeating: .nan, count: b * lq * d), probs32 = [Float](repeating: .nan, count: padded)
        var dq32 = [Float](repeating: 0, count: q.count), dkv32 = [Float](repeating: 0, count: kv.count)
        q32.withUnsafeMutableBufferPointer { qp in kv32.withUnsafeMutableBufferPointer { kp in mask32.withUnsafeMutableBufferPointer { mp in
            let qo = AttentionOperand(base: qp.baseAddress!, stride: d, offset: 0)
            let ko = AttentionOperand(base: kp.baseAddress!, stride: 2 * d, offset: 0)
            let vo = AttentionOperand(base: kp.baseAddress!, stride: 2 * d, offset: d)
            let m = p > 0 ? UnsafePointer(mp.baseAddress!) : nil
            out32.withUnsafeMutableBufferPointer { o in probs32.withUnsafeMutableBufferPointer { pr in
                AttentionKernels.trainingForwardHD2(s, q: qo, k: ko, v: vo, out: o.baseAddress!, probs: pr.baseAddress!, mask: m)
                g32.withUnsafeMutableBufferPointer { g in dq32.withUnsafeMutableBufferPointer { dq in dkv32.withUnsafeMutableBufferPointer { dkv in
                    AttentionKernels.trainingBackwardHD2(s, q: qo, k: ko, v: vo, probs: pr.baseAddress!, mask: m, gradOut: g.baseAddress!,
                                                         dq: AttentionOperand(base: dq.baseAddress!, stride: d, offset: 0),
                                                         dk: AttentionOperand(base: dkv.baseAddress!, stride: 2 * d, offset: 0),
                                                         dv: AttentionOperand(base: dkv.baseAddress!, stride: 2 * d, offset: d))
                } } }
            } }
        } } }
        for row in 0..<(b * lq * lk) {
            for hh in 0..<hp {
                if hh < h {
                    XCTAssertEqual(Double(probs32[row * hp + hh]), probs64[row * h + hh], accuracy: 1e-6, file: file, line: line)
                    if p > 0 { XCTAssertEqual(mask32[row * hp + hh], Float(mask64[row * h + hh]), file: file, line: line) }
                } else if p > 0 {
                    XCTAssertEqual(mask32[row * hp + hh], 0, "pad lane of the mask", file: file, line: line)
                }
            }
        }
        if p > 0 { XCTAssertTrue(mask64.contains(0) && mask64.contains(1 / (1 - p)), file: file, line: line) }
        func close(_ a: [Float], _ e: [Double], _ what: String) {
            XCTAssertEqual(a.count, e.count, file: file, line: line)
            for i in 0..<e.count { XCTAssertEqual(Double(a[i]), e[i], accuracy: 2e-5 * max(1, abs(e[i])), "\(what)[\(i)]", file: file, line: line) }
        }
        close(out32, out64, "out")
        close(dq32, dq64, "dq")
        close(dkv32, dkv64, "dkv")
        XCTAssertTrue(dq64.contains { abs($0) > 1e-3 } && dkv64.contains { abs($0) > 1e-3 }, "non-trivial gradients", file: file, line: line)
    }

    func testSelfAttentionPaddedHeadsNoDropout() { compare(batch: 3, lq: 5, lk: 5, heads: 11, dropout: 0) }
    func testSelfAttentionPaddedHeadsWithDropout() { compare(batch: 18, lq: 4, lk: 4, heads: 11, dropout: 0.3) }
    func testCrossAttentionExactMultipleOf8WithDropout() { compare(batch: 2, lq: 1, lk: 6, heads: 8, dropout: 0.2) }
    func testTranADShapeWithDropout() { compare(batch: 2, lq: 10, lk: 10, heads: 38, dropout: 0.1) }
}
