import VigilData
import Foundation
import VigilNN
import VigilRandom
import VigilTensor
@testable import VigilTranAD
import XCTest

/// The scoring forward (`TranADInference`: planar heads, phase-1 bias table, one-token decoder
/// self-attention) against the Module's eval-mode forward.
final class TranADInferenceTests: XCTestCase {
    /// A model with every parameter (biases included, which start at 0) perturbed, and seeded windows.
    private func setup<S: AttentionScalar>(_: S.Type, features f: Int, window w: Int, batch b: Int,
                                        activation: TranADActivation) -> (TranADModel<S>, [S]) {
        var c = TranADConfig()
        c.window = w; c.activation = activation; c.seed = 11
        let model = TranADModel<S>(features: f, config: c)
        var rng = Xoshiro256(seed: 5)
        for (_, t) in model.namedParameters {
            t.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] += S(0.2 * (rng.nextUnitDouble() - 0.5)) } }
        }
        model.eval()
        let xs = (0..<(b * w * f)).map { _ in S(rng.nextUnitDouble()) }
        return (model, xs)
    }

    private func check<S: AttentionScalar>(_: S.Type, features f: Int, window w: Int, batch b: Int,
                                        activation: TranADActivation, tolerance: Double) {
        let (model, xs) = setup(S.self, features: f, window: w, batch: b, activation: activation)
        let (r1, r2) = withNoGrad { model(Tensor<S>(shape: [b, w, f], scalars: xs)) }
        let engine = TranADInference(model)
        let ws = TranADInference<S>.Workspace(engine, capacity: b)
        var x1 = [S](repeating: .nan, count: b * f), x2 = [S](repeating: .nan, count: b * f)
        xs.withUnsafeBufferPointer { xp in x1.withUnsafeMutableBufferPointer { p1 in x2.withUnsafeMutableBufferPointer { p2 in
            engine.forward(xp.baseAddress!, b: b, ws, x1: p1.baseAddress!, x2: p2.baseAddress!)
        } } }
        for (got, want) in [(x1, r1.scalars), (x2, r2.scalars)] {
            XCTAssertEqual(got.count, want.count)
            for i in 0..<want.count {
                XCTAssertEqual(Double(got[i]), Double(want[i]), accuracy: tolerance * Swift.max(1, abs(Double(want[i]))),
                               "F=\(f) W=\(w) \(S.self) element \(i)")
            }
        }
        // the outputs are real model outputs, not constants
        XCTAssertGreaterThan(Set(x2.map { Double($0) }).count, (b * f) / 2)
    }

    func testDoubleMatchesModuleForward() {
        check(Double.self, features: 5, window: 6, batch: 7, activation: .referenceIdentity, tolerance: 1e-12)
        check(Double.self, features: 9, window: 4, batch: 3, activation: .relu, tolerance: 1e-12)
        check(Double.self, features: 16, window: 10, batch: 2, activation: .leakyReLU001, tolerance: 1e-12)
    }

    func testFloatScoresDoNotDependOnWorkerCount() throws {
        let rows = 45, f = 6
        let m = DataMatrix(rows: rows, cols: f, values: (0..<(rows * f)).map { 0.5 + 0.4 * sin(Double($0) * 0.37) })
        var c = TranADConfig()
        c.window = 4
        // batch 8: a short last batch and worker splits on the batch grid; 32: fewer batches than 3 workers
        for batch in [8, 32] {
            var scores: [[Double]] = []
            for workers in [1, 2, 3] {
                let t = try TranADTrainer(features: f, config: c, workers: workers)
                t.scoreBatchSize = batch
                scores.append(try t.score(m).values)
            }
            XCTAssertEqual(scores[0], scores[1], "batch \(batch)")
            XCTAssertEqual(scores[0], scores[2], "batch \(batch)")
            XCTAssertTrue(scores[0].allSatisfy { $0.isFinite && $0 >= 0 })
            XCTAssertGreaterThan(Set(scores[0]).count, rows * f / 2)
        }
    }

    func testFloatMatchesModuleForward() {
        check(Float.self, features: 38, window: 10, batch: 5, activation: .referenceIdentity, tolerance: 2e-6)
        check(Float.self, features: 3, window: 5, batch: 9, activation: .relu, tolerance: 2e-6)
        check(Float.self, features: 13, window: 7, batch: 4, activation: .leakyReLU001, tolerance: 2e-6)
        check(Float.self, features: 1, window: 1, batch: 6, activation: .referenceIdentity, tolerance: 2e-6)
    }
}
