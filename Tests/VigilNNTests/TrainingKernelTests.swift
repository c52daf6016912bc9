import Foundation
@testable import VigilNN
import VigilRandom
import VigilTensor
import XCTest

/// The Float head-width-2 training kernels (SIMD8 over heads, head-padded planes, keep-byte mask, weights recomputed in the backward) against the
/// Float64 head-width-2 kernels, which the gradient checks in FusedAttentionTests validate.
final class TrainingKernelTests: XCTestCase {
    /// Runs both kernels on the same random q/kv/gradient (and mask) and compares out, the masks, dq, dkv.
    func compare(batch b: Int, lq: Int, lk: Int, heads h: Int, dropout p: Double, file: StaticString = #filePath, line: UInt = #line) {
        let d = 2 * h
        let s = AttentionShape(batch: b, queryLength: lq, keyLength: lk, heads: h, headDim: 2)
        var rng = Xoshiro256(seed: UInt64(31 * h + lq))
        let q = (0..<(b * lq * d)).map { _ in rng.nextUnitDouble() * 4 - 2 }
        let kv = (0..<(b * lk * 2 * d)).map { _ in rng.nextUnitDouble() * 4 - 2 }
        let gOut = (0..<(b * lq * d)).map { _ in rng.nextUnitDouble() - 0.5 }
        // reference: Double, (B, Lq, Lk, H) weights and keep bytes
        XCTAssertEqual(AttentionPath.doubleHD2.maskCount(s), 1 + (s.weightCount + 8 + 7) / 8, file: file, line: line)
        var mask64 = [Double](repeating: .nan, count: AttentionPath.doubleHD2.maskCount(s))
        var mr = Xoshiro256(seed: 77)
        if p > 0 { mask64.withUnsafeMutableBufferPointer { AttentionPath.doubleHD2.fillDropoutMask($0.baseAddress!, s, p: p, rng: &mr, threads: 2) } }
        let r64 = runAttention(.doubleHD2, s, q: q, kv: kv, gOut: gOut, mask: p > 0 ? mask64 : nil)
        let values64 = p > 0 ? maskValues(mask64, count: s.weightCount) : []  // the mask values M (B, Lq, Lk, H)
        // Float padded kernels (no weights kept: the backward recomputes them)
        XCTAssertEqual(AttentionPath.floatHD2Training.weightCount(s), 0, file: file, line: line)
        // its mask: the keep factor, then keep bytes (B, Lq, Lk, H) and 8 zero bytes
        XCTAssertEqual(AttentionPath.floatHD2Training.maskCount(s), 1 + (s.weightCount + 8 + 3) / 4, file: file, line: line)
        var mask32 = [Float](repeating: .nan, count: AttentionPath.floatHD2Training.maskCount(s))
        var mr32 = Xoshiro256(seed: 77)
        if p > 0 { mask32.withUnsafeMutableBufferPointer { AttentionPath.floatHD2Training.fillDropoutMask($0.baseAddress!, s, p: p, rng: &mr32, threads: 1) } }
        XCTAssertEqual(mr32.next(), mr.next(), "both masks draw the same number of values", file: file, line: line)
        let r32 = runAttention(.floatHD2Training, s, q: q.map(Float.init), kv: kv.map(Float.init), gOut: gOut.map(Float.init),
                               mask: p > 0 ? mask32 : nil)
        let keep: [UInt8] = p > 0 ? mask32.withUnsafeBytes { Array($0[4..<(4 + s.weightCount + 8)]) } : []
        if p > 0 {
            XCTAssertEqual(mask32[0], Float(1 / (1 - p)), "keep factor", file: file, line: line)
            XCTAssertEqual(Array(keep.suffix(8)), [UInt8](repeating: 0, count: 8), "8 zero bytes after the keep bytes", file: file, line: line)
        }
        for row in 0..<(b * lq * lk) {
            for hh in 0..<h {
                if p > 0 { XCTAssertEqual(keep[row * h + hh] == 1 ? mask32[0] : 0, Float(values64[row * h + hh]), file: file, line: line) }
            }
        }
        if p > 0 { XCTAssertTrue(keep.allSatisfy { $0 <= 1 }, "keep bytes are 0 or 1", file: file, line: line) }
        if p > 0 { XCTAssertTrue(values64.contains(0) && values64.contains(1 / (1 - p)), file: file, line: line) }
        func close(_ a: [Float], _ e: [Double], _ what: String) {
            XCTAssertEqual(a.count, e.count, file: file, line: line)
            for i in 0..<e.count { XCTAssertEqual(Double(a[i]), e[i], accuracy: 2e-5 * max(1, abs(e[i])), "\(what)[\(i)]", file: file, line: line) }
        }
        close(r32.out, r64.out, "out")
        close(r32.dq, r64.dq, "dq")
        close(r32.dkv, r64.dkv, "dkv")
        XCTAssertTrue(r64.dq.contains { abs($0) > 1e-3 } && r64.dkv.contains { abs($0) > 1e-3 }, "non-trivial gradients", file: file, line: line)
    }

    /// The mask values of a head-width-2 training mask buffer (`AttentionPath.maskCount`): its keep factor (element 0)
    /// where the keep byte is 1, 0 where it is 0; the bytes must be 0 or 1.
    func maskValues<S: TensorScalar>(_ mask: [S], count: Int, file: StaticString = #filePath, line: UInt = #line) -> [S] {
        let bytes = mask.withUnsafeBytes { Array($0[MemoryLayout<S>.stride..<(MemoryLayout<S>.stride + count)]) }
        XCTAssertTrue(bytes.allSatisfy { $0 <= 1 }, "keep bytes are 0 or 1", file: file, line: line)
        return bytes.map { $0 == 1 ? mask[0] : 0 }
    }

    func testSelfAttentionPaddedHeadsNoDropout() { compare(batch: 3, lq: 5, lk: 5, heads: 11, dropout: 0) }
    func testSelfAttentionPaddedHeadsWithDropout() { compare(batch: 18, lq: 4, lk: 4, heads: 11, dropout: 0.3) }
    func testCrossAttentionExactMultipleOf8WithDropout() { compare(batch: 2, lq: 1, lk: 6, heads: 8, dropout: 0.2) }
    func testTranADShapeWithDropout() { compare(batch: 2, lq: 10, lk: 10, heads: 38, dropout: 0.1) }
}
