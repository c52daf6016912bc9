import XCTest
@testable import VigilTensor

/// Asserts that `gradientCheck` (VigilTensor) passes with |analytic − numeric| ≤ tol·max(1, |analytic|, |numeric|).
func gradCheck(_ inputs: [Tensor<Double>], seed: UInt64 = 99, eps: Double = 1e-6, tol: Double = 1e-6,
               file: StaticString = #filePath, line: UInt = #line,
               _ f: ([Tensor<Double>]) -> Tensor<Double>) {
    let report = gradientCheck(inputs, seed: seed, eps: eps, atol: tol, rtol: tol, f)
    XCTAssertTrue(report.passed, "\(report)", file: file, line: line)
}

/// Seeded random Float64 tensor in [low, high).
func rand(_ shape: [Int], _ seed: UInt64, low: Double = -1, high: Double = 1) -> Tensor<Double> {
    var rng = Xoshiro256(seed: seed)
    return Tensor<Double>(uniform: shape, low: low, high: high, rng: &rng)
}

/// Random values with |x| ≥ margin (away from the kink of relu / leaky ReLU at 0).
func randAwayFromZero(_ shape: [Int], _ seed: UInt64, margin: Double = 0.05) -> Tensor<Double> {
    let t = rand(shape, seed)
    t.withUnsafeMutableBufferPointer { b in
        for i in b.indices where abs(b[i]) < margin { b[i] = b[i] < 0 ? -margin - 0.1 : margin + 0.1 }
    }
    return t
}
