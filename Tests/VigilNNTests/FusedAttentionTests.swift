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
        return Tensor<Double>(shape: shape, scalars: (0..<n).map { _ in rng.nextUnitDouble() * 2 - 1 })
    }

    /// `gradientCheck` with |analytic − numeric| ≤ 1e-7·max(1, |numeric|); `forward` gets a generator
    /// reseeded with `seed` on every call (the same dropout mask each time).
    func checkGradient(inputs: [Tensor<Double>], seed: UInt64, file: StaticString = #filePath, line: UInt = #line,
                       forward: @escaping ([Tensor<Double>], inout Xoshiro256) -> Tensor<Double>) {
        let report = gradientCheck(inputs, atol: 1e-7, rtol: 1e-7) { x in
            var rng = Xoshiro256(seed: seed)
            return forward(x, &rng)
        }
        XCTAssertTrue(report.passed, "\(report)", file: file, line: line)
        XCTAssertEqual(report.checked, inputs.reduce(0) { $0 + $1.count }, file: file, line: line)
    }

    func testSelfAttentionGradientHeadDim2() {
        var rng = Xoshiro256(seed: 1)
        let qkv = randomTensor([2, 4, 3 * 6], &rng)  // B=2, L=4, d=6, 3 heads of width 2
        XCTAssertEqual(AttentionPath.select(for: AttentionCall(Double.self, AttentionShape(batch: 2, queryLength: 4, keyLength: 4, heads: 3, headDim: 2),
                                                               keepsWeights: true, dropout: false)), .doubleHD2)
        checkGradient(inputs: [qkv], seed: 5) { x, r in fusedSelfAttention(x[0], heads: 3, dropout: 0, rng: &r, training: false) }
    }

    func testSelfAttentionGradientWithDropoutMask() {
        var rng = Xoshiro256(seed: 2)
        let qkv = randomTensor([2, 5, 3 * 4], &rng)
        checkGradient(inputs: [qkv], seed: 6) { x, r in fusedSelfAttention(x[0], heads: 2, dropout: 0.3, rng: &r, training: true) }
    }

    func testCrossAttentionGradientGeneralHeadDim() {
        var rng = Xoshiro256(seed: 3)
        let q = randomTensor([3, 2, 6], &rng)   // B=3, Lq=2, d=6 with 2 heads of width 3 (the reference kernel)
        let kv = randomTensor([3, 4, 12], &rng)
        checkGradient(inputs: [q, kv], seed: 7) { x, r in
            fusedCrossAttention(query: x[0], keyValue: x[1], heads: 2, dropout: 0, rng: &r, training: false)
        }
    }

    func testCrossAttentionGradientGeneralHeadDimWithDropout() {
        var rng = Xoshiro256(seed: 10)
        let q = randomTensor([2, 3, 6], &rng)   // 2 heads of width 3: the reference kernel with a dropout mask
        let kv = randomTensor([2, 4, 12], &rng)
        checkGradient(inputs: [q, kv], seed: 12) { x, r in
            fusedCrossAttention(query: x[0], keyValue: x[1], heads: 2, dropout: 0.25, rng: &r, training: true)
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
        for (h, hd) in [(2, 2), (2, 3)] {  // doubleHD2 and the reference kernel
            let (b, l) = (2, 3)
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
                let e = s.map { Foundation.exp($0 - m) }
                let z = e.reduce(0, +)
                for c in 0..<hd {
                    var o = 0.0
                    for j in 0..<l { o += e[j] / z * x[(bi * l + j) * 3 * d + 2 * d + hi * hd + c] }
                    XCTAssertEqual(out[(bi * l + i) * d + hi * hd + c], o, accuracy: 1e-14, "hd \(hd)")
                }
            } } }
        }
    }
}
