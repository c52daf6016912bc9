import XCTest
@testable import VigilTensor

/// The dropout keep-masks (DropoutMask.swift): rate, keep factor, the u ≥ p rule at both chunk widths, the
/// keep bytes and independence from the thread count.
final class DropoutMaskTests: XCTestCase {
    func testThresholdIsTheKeepRule() {
        // kept iff c·2⁻ᵏ ≥ p: the smallest kept chunk is ⌈p·2ᵏ⌉
        XCTAssertEqual(DropoutMask.threshold(p: 0.1, bits: 16), 6554)
        XCTAssertEqual(DropoutMask.threshold(p: 0.2, bits: 16), 13108)        // 13107.2 → 13108
        XCTAssertEqual(DropoutMask.threshold(p: 0.25, bits: 16), 16384)
        XCTAssertEqual(DropoutMask.threshold(p: 0.1, bits: 32), 429_496_730)  // 429496729.6 → …730
        XCTAssertEqual(DropoutMask.threshold(p: 0, bits: 32), 0)
        XCTAssertEqual(DropoutMask.threshold(p: 1, bits: 16), 65536)          // no chunk reaches it: all dropped
    }

    func testFillMatchesTheRuleOnTheDraws() {
        // 103: twelve 8-lane steps, one 4-element draw and a last draw used from its low bits up; the others hit
        // each way a count can end (fewer than 8, exactly 4, a multiple of 8)
        for n in [103, 0, 1, 3, 4, 5, 8, 12, 15] {
            checkFill(Double.self, p: 0.3, n: n)
            checkFill(Float.self, p: 0.3, n: n)
        }
    }

    private func checkFill<T: TensorScalar>(_: T.Type, p: Double, n: Int, file: StaticString = #filePath, line: UInt = #line) {
        var mask = [T](repeating: .nan, count: n)
        var rng = Xoshiro256(seed: 5)
        mask.withUnsafeMutableBufferPointer { DropoutMask.fill($0.baseAddress!, count: n, p: p, rng: &rng) }
        var check = Xoshiro256(seed: 5)
        var bits: UInt64 = 0
        for i in 0..<n {
            if i % 4 == 0 { bits = check.next() }
            let chunk = (bits >> (16 * UInt64(i % 4))) & 0xFFFF
            XCTAssertEqual(mask[i], Double(chunk) / 65536 >= p ? T(1 / (1 - p)) : 0, "\(T.dtypeName) n \(n) element \(i)", file: file, line: line)
        }
        XCTAssertEqual(rng.next(), check.next(), "⌈n/4⌉ draws (\(T.dtypeName), n \(n))", file: file, line: line)
    }

    func testKeepBytesAreTheFillDecisions() {
        // the byte mask keeps what `fill` keeps, from the same draws, for counts ending every way
        for n in [0, 1, 3, 4, 5, 8, 12, 15, 103] {
            var mask = [Float](repeating: .nan, count: n), keep = [UInt8](repeating: 7, count: n)
            var r1 = Xoshiro256(seed: 9), r2 = Xoshiro256(seed: 9)
            mask.withUnsafeMutableBufferPointer { DropoutMask.fill($0.baseAddress!, count: n, p: 0.3, rng: &r1) }
            keep.withUnsafeMutableBufferPointer { DropoutMask.fillKeep($0.baseAddress!, count: n, p: 0.3, rng: &r2) }
            XCTAssertEqual(keep, mask.map { $0 == 0 ? 0 : 1 }, "n \(n)")
            XCTAssertEqual(r1.next(), r2.next(), "the same number of draws (n \(n))")
        }
        // batched: the layout and streams of fillBatched, any thread count
        var plain = [Float](repeating: .nan, count: 37 * 11), k1 = [UInt8](repeating: 7, count: 37 * 11), k2 = k1
        var r1 = Xoshiro256(seed: 2), r2 = Xoshiro256(seed: 2), r3 = Xoshiro256(seed: 2)
        plain.withUnsafeMutableBufferPointer { DropoutMask.fillBatched($0.baseAddress!, batch: 37, perBatch: 11, p: 0.5, rng: &r1) }
        k1.withUnsafeMutableBufferPointer { DropoutMask.fillKeepBatched($0.baseAddress!, batch: 37, perBatch: 11, p: 0.5, rng: &r2, threads: 1) }
        k2.withUnsafeMutableBufferPointer { DropoutMask.fillKeepBatched($0.baseAddress!, batch: 37, perBatch: 11, p: 0.5, rng: &r3, threads: 2) }
        XCTAssertEqual(k1, plain.map { $0 == 0 ? 0 : 1 })
        XCTAssertEqual(k1, k2)
        XCTAssertEqual(r1.next(), r2.next())
        XCTAssertTrue(k1.contains(0) && k1.contains(1))
    }

    func testDropout32MatchesTheRuleOnTheDraws() {
        let p = 0.2, n = 9
        let x = Tensor<Double>(ones: [n])
        var rng = Xoshiro256(seed: 3)
        let y = dropout(x, p: p, rng: &rng, training: true).scalars
        var check = Xoshiro256(seed: 3)
        var r: UInt64 = 0
        for i in 0..<n {
            if i % 2 == 0 { r = check.next() }
            let chunk = i % 2 == 0 ? r & 0xFFFF_FFFF : r >> 32
            XCTAssertEqual(y[i], Double(chunk) / 0x1p32 >= p ? 1 / (1 - p) : 0, "element \(i)")
        }
        XCTAssertEqual(rng.next(), check.next(), "⌈n/2⌉ draws")
    }

    func testBatchedRateScaleAndThreadIndependence() {
        var one = [Double](repeating: 0, count: 100_000), two = one
        var r1 = Xoshiro256(seed: 11), r2 = Xoshiro256(seed: 11)
        one.withUnsafeMutableBufferPointer { DropoutMask.fillBatched($0.baseAddress!, batch: 100, perBatch: 1000, p: 0.1, rng: &r1, threads: 1) }
        two.withUnsafeMutableBufferPointer { DropoutMask.fillBatched($0.baseAddress!, batch: 100, perBatch: 1000, p: 0.1, rng: &r2, threads: 2) }
        XCTAssertEqual(one, two)
        XCTAssertEqual(r1.next(), r2.next(), "one draw of the caller's generator")
        XCTAssertEqual(Double(one.filter { $0 == 0 }.count) / 100_000, 0.1, accuracy: 0.005)
        XCTAssertTrue(one.allSatisfy { $0 == 0 || abs($0 - 1 / 0.9) < 1e-12 })
    }
}
