import XCTest
import Foundation
@testable import VigilTensor

/// Accuracy of the fast exp family (FastExp.swift) against libm, and its SIMD members against their scalar twins.
final class FastExpTests: XCTestCase {
    /// Float eˣ (used by exp, sigmoid and softmax in Float32) against libm expf across the normal range.
    func testFloatExpAccuracyAndEdges() {
        var worst: Float = 0
        var x: Float = -87
        while x <= 88.7 {
            let e = Foundation.expf(x), f = fastExp(x)
            worst = max(worst, abs(f - e) / e)
            x += 0.0137
        }
        XCTAssertLessThanOrEqual(worst, 3e-7)
        XCTAssertEqual(fastExp(Float(0)), 1)
        XCTAssertEqual(fastExp(Float(-100)), 0)
        XCTAssertEqual(fastExp(-Float.infinity), 0)
        XCTAssertEqual(fastExp(Float(89)), .infinity)
        XCTAssertEqual(fastExp(Float.infinity), .infinity)
        XCTAssertTrue(fastExp(Float.nan).isNaN)
        XCTAssertEqual(fastExp(Float(88.7)), Foundation.expf(88.7), accuracy: Foundation.expf(88.7) * 3e-7)
    }

    func testDoubleExpAccuracy() {
        var worst = 0.0
        var x = -700.0
        while x <= 700 {
            let e = fastExp(x), r = Foundation.exp(x)
            worst = max(worst, abs(e - r) / r)
            x += 0.0917
        }
        XCTAssertLessThan(worst, 1e-15)
        XCTAssertEqual(fastExp(0.0), 1)
        XCTAssertGreaterThan(fastExp(-2000.0), 0)  // clamped at −708, no garbage from the exponent bits
    }

    /// The SIMD members compute the same operations: each lane equals the scalar function bit for bit,
    /// including the clamped, infinite and NaN cases.
    func testSIMDTwinsAreBitIdenticalToTheScalarFunctions() {
        var rng = Xoshiro256(seed: 8)
        var floats: [Float] = [0, -0.0, 1, -1, -87.33, -87.34, -87.5, -100, 88.72, 88.73, 89, .infinity, -.infinity, .nan]
        floats += (0..<20_000).map { _ in Float(rng.nextUnitDouble() * 200 - 100) }
        while floats.count % 8 != 0 { floats.append(0.5) }
        for i in stride(from: 0, to: floats.count, by: 8) {
            let lanes = fastExp(SIMD8<Float>(floats[i..<(i + 8)]))
            for l in 0..<8 { XCTAssertEqual(lanes[l].bitPattern, fastExp(floats[i + l]).bitPattern, "x = \(floats[i + l])") }
        }
        var doubles: [Double] = [0, 1, -1, -708, -709, -2000, 709, 710, -0.5, 0.5]
        doubles += (0..<20_000).map { _ in rng.nextUnitDouble() * 1400 - 700 }
        while doubles.count % 4 != 0 { doubles.append(0.5) }
        for i in stride(from: 0, to: doubles.count, by: 4) {
            let lanes = fastExp(SIMD4<Double>(doubles[i..<(i + 4)]))
            for l in 0..<4 { XCTAssertEqual(lanes[l].bitPattern, fastExp(doubles[i + l]).bitPattern, "x = \(doubles[i + l])") }
        }
    }

    func testExp2OnNonpositiveArguments() {
        var worst = 0.0
        var t: Float = -120
        while t <= 0 {
            let lanes = SIMD8<Float>((0..<8).map { t + Float($0) * 0.0013 }.map { Swift.min($0, 0) })
            let got = fastExp2Nonpositive(lanes)
            for l in 0..<8 {
                let want = Foundation.exp2(Double(lanes[l]))
                worst = max(worst, abs(Double(got[l]) - want) / want)
            }
            t += 0.0107
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(fastExp2Nonpositive(SIMD8(repeating: 0))[0], 1)
        XCTAssertEqual(fastExp2Nonpositive(SIMD8(repeating: -3))[0], 0.125)
        let tiny = fastExp2Nonpositive(SIMD8(repeating: -1e9))[0]  // clamped at −125, not garbage bits
        XCTAssertTrue(tiny > 0 && tiny < 1e-37)
    }
}
