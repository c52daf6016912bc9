import XCTest
@testable import VigilTensor

/// Finite-difference gradient checking in Float64.
///
/// Loss L = Σ wᵢ·f(inputs)ᵢ with fixed random weights w (seeded), so every output element's gradient path
/// is exercised with a distinct weight. Analytic ∂L/∂x from `backward()` is compared with the central
/// difference (L(x+ε) − L(x−ε)) / 2ε, ε = 1e-6, using the error |a − n| / max(1, |a|, |n|) ≤ tol (absolute
/// for small gradients, relative for large ones).
func gradCheck(_ inputs: [Tensor<Double>], seed: UInt64 = 99, eps: Double = 1e-6, tol: Double = 1e-6,
               file: StaticString = #filePath, line: UInt = #line,
               _ f: ([Tensor<Double>]) -> Tensor<Double>) {
    for t in inputs { t.requiresGrad = true; t.zeroGrad() }
    let y0 = f(inputs)
    var rng = Xoshiro256(seed: seed)
    let w = Tensor<Double>(uniform: y0.shape, low: -1, high: 1, rng: &rng)
    func loss() -> Double { withNoGrad { (f(inputs) * w).sum().item } }
    let l = (y0 * w).sum()
    l.backward()
    var worst = 0.0
    for (k, t) in inputs.enumerated() {
        guard let g = t.grad else { XCTFail("input \(k) got no gradient", file: file, line: line); continue }
        XCTAssertEqual(g.shape, t.shape, file: file, line: line)
        for i in 0..<t.count {
            let orig = t.withUnsafeBufferPointer { $0[i] }
            t.withUnsafeMutableBufferPointer { $0[i] = orig + eps }
            let lp = loss()
            t.withUnsafeMutableBufferPointer { $0[i] = orig - eps }
            let lm = loss()
            t.withUnsafeMutableBufferPointer { $0[i] = orig }
            let numeric = (lp - lm) / (2 * eps)
            let analytic = g.withUnsafeBufferPointer { $0[i] }
            let err = abs(analytic - numeric) / max(1, abs(analytic), abs(numeric))
            worst = max(worst, err)
            if err > tol {
                XCTFail("input \(k) element \(i): analytic \(analytic) vs numeric \(numeric) (error \(err))", file: file, line: line)
                return
            }
        }
    }
    XCTAssertLessThanOrEqual(worst, tol, file: file, line: line)
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
