import VigilData
import Foundation
import VigilNN
import VigilRandom
import VigilTensor
@testable import VigilTranAD
import XCTest

final class TranADModelTests: XCTestCase {
    func testParameterCountAndNamesAtF38() {
        let model = TranADModel<Float>(features: 38, config: TranADConfig())
        XCTAssertEqual(model.parameterCount, 127_538)
        let names = model.namedParameters.map(\.name)
        XCTAssertEqual(names.count, 8 + 12 + 12 + 2)
        XCTAssertEqual(names.first, "transformer_encoder.layers.0.self_attn.in_proj_weight")
        XCTAssertTrue(names.contains("transformer_decoder1.layers.0.multihead_attn.out_proj.bias"))
        XCTAssertTrue(names.contains("transformer_decoder2.layers.0.linear2.weight"))
        XCTAssertEqual(names.suffix(2), ["fcn.0.weight", "fcn.0.bias"])
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor.shape) })
        XCTAssertEqual(shapes["transformer_encoder.layers.0.self_attn.in_proj_weight"], [228, 76])
        XCTAssertEqual(shapes["transformer_encoder.layers.0.linear1.weight"], [16, 76])
        XCTAssertEqual(shapes["fcn.0.weight"], [38, 76])
    }

    func testDefaultInitialisationFollowsPyTorch() {
        let model = TranADModel<Double>(features: 6, config: TranADConfig())
        let p = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor.scalars) })
        let d = 12.0
        for prefix in ["transformer_encoder.layers.0.self_attn", "transformer_decoder1.layers.0.multihead_attn"] {
            XCTAssertEqual(p[prefix + ".in_proj_bias"]!, [Double](repeating: 0, count: 36))
            XCTAssertEqual(p[prefix + ".out_proj.bias"]!, [Double](repeating: 0, count: 12))
            let w = p[prefix + ".in_proj_weight"]!
            let xavier = (6 / (d + 3 * d)).squareRoot()
            XCTAssertLessThanOrEqual(w.map(abs).max()!, xavier)
            XCTAssertGreaterThan(w.map(abs).max()!, 0.8 * xavier)  // 432 uniform draws reach near the bound
            XCTAssertLessThanOrEqual(p[prefix + ".out_proj.weight"]!.map(abs).max()!, 1 / d.squareRoot())
        }
        XCTAssertLessThanOrEqual(p["transformer_encoder.layers.0.linear2.weight"]!.map(abs).max()!, 1 / 16.0.squareRoot())
        XCTAssertGreaterThan(p["transformer_encoder.layers.0.linear2.bias"]!.map(abs).max()!, 0)
    }

    func testSameSeedSameWeightsDifferentSeedDifferentWeights() {
        var c = TranADConfig(); c.seed = 42
        let a = TranADModel<Float>(features: 5, config: c).namedParameters.flatMap { $0.tensor.scalars }
        let b = TranADModel<Float>(features: 5, config: c).namedParameters.flatMap { $0.tensor.scalars }
        c.seed = 43
        let other = TranADModel<Float>(features: 5, config: c).namedParameters.flatMap { $0.tensor.scalars }
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, other)
    }

    func testWindowAlignments() {
        XCTAssertEqual(tranADWindowRows(row: 0, window: 4, alignment: .reference), [0, 0, 0, 0])
        XCTAssertEqual(tranADWindowRows(row: 2, window: 4, alignment: .reference), [0, 0, 0, 1])
        XCTAssertEqual(tranADWindowRows(row: 6, window: 4, alignment: .reference), [2, 3, 4, 5])
        XCTAssertEqual(tranADWindowRows(row: 0, window: 4, alignment: .inclusive), [0, 0, 0, 0])
        XCTAssertEqual(tranADWindowRows(row: 2, window: 4, alignment: .inclusive), [0, 0, 1, 2])
        XCTAssertEqual(tranADWindowRows(row: 6, window: 4, alignment: .inclusive), [3, 4, 5, 6])
        XCTAssertEqual(tranADScoredRow(row: 0, alignment: .reference), 0)
        XCTAssertEqual(tranADScoredRow(row: 5, alignment: .reference), 4)
        XCTAssertEqual(tranADScoredRow(row: 5, alignment: .inclusive), 5)
        // gathered buffer: (B, W, F) with the rows above
        let m = DataMatrix(rows: 7, cols: 2, values: (0..<14).map(Double.init))
        var out = [Double](repeating: -1, count: 2 * 4 * 2)
        out.withUnsafeMutableBufferPointer { gatherWindows(m, rows: [2, 6], window: 4, alignment: .reference, into: $0.baseAddress!) }
        XCTAssertEqual(out, [0, 1, 0, 1, 0, 1, 2, 3, /* row 6 */ 4, 5, 6, 7, 8, 9, 10, 11])
    }

    func testLossWeightings() {
        XCTAssertEqual(TranADLossWeighting.epochInverse.phase1Weight(epoch: 4), 0.25)
        XCTAssertEqual(TranADLossWeighting.exponentialDecay(epsilon: 2).phase1Weight(epoch: 3), 0.125)
        XCTAssertEqual(TranADLossWeighting(name: "exponential_decay(1.5)"), .exponentialDecay(epsilon: 1.5))
        XCTAssertNil(TranADLossWeighting(name: "exponential_decay(0.5)"))
        XCTAssertEqual(TranADLossWeighting(name: "epoch_inverse"), .epochInverse)
    }

    /// Small sine data: training lowers the loss, the same seed reproduces the weights exactly,
    /// and scores have the documented shape and definitions.
    func testTrainingLowersLossIsDeterministicAndScores() throws {
        let rows = 160, f = 3
        var values: [Double] = []
        for r in 0..<rows { for c in 0..<f { values.append(0.5 + 0.4 * sin(Double(r) * 0.3 + Double(c))) } }
        let m = DataMatrix(rows: rows, cols: f, values: values)
        var c = TranADConfig()
        c.epochs = 4; c.batchSize = 32; c.learningRate = 3e-3; c.seed = 7; c.precision = .float64
        let t1 = try TranADTrainer(features: f, config: c, workers: 2)
        let r1 = try t1.train(on: m)
        XCTAssertEqual(r1.count, 4)
        XCTAssertLessThan(r1.last!.meanLoss, r1.first!.meanLoss)
        let t2 = try TranADTrainer(features: f, config: c, workers: 2)
        let r2 = try t2.train(on: m)
        XCTAssertEqual(r1.map(\.meanLoss), r2.map(\.meanLoss))
        XCTAssertEqual(t1.exportParameters().map(\.values), t2.exportParameters().map(\.values))

        let s = try t1.score(m)
        XCTAssertEqual(s.rows, rows); XCTAssertEqual(s.cols, f)
        XCTAssertTrue(s.values.allSatisfy { $0 >= 0 && $0.isFinite })
        XCTAssertThrowsError(try t1.score(DataMatrix(rows: 2, cols: 4, values: [Double](repeating: 0, count: 8))))
    }
}

/// Training-mode checks: the whole model's gradient with dropout on (fixed masks) against finite
/// differences, and the data-parallel trainer against a single worker.
final class TranADTrainingModeTests: XCTestCase {
    func testWholeModelGradientWithDropoutMatchesFiniteDifferences() {
        var c = TranADConfig()
        c.window = 3; c.dropout = 0.2; c.seed = 5; c.precision = .float64
        let model = TranADModel<Double>(features: 2, config: c)
        var rng = Xoshiro256(seed: 77)
        let x = Tensor<Double>(shape: [2, 3, 2], scalars: (0..<12).map { _ in rng.nextUnitDouble() })
        model.train()
        // every 3rd element of every parameter; the same dropout masks on every evaluation
        let report = gradientCheck(model.parameters, atol: 1e-7, rtol: 1e-5, stride: 3) { _ in
            model.dropoutRNG = Xoshiro256(seed: 1234)
            let (x1, x2) = model(x)
            return model.loss(x1: x1, x2: x2, windows: x, epoch: 2)
        }
        XCTAssertTrue(report.passed, "\(report)")
        XCTAssertGreaterThan(report.checked, 250)
    }

    func testDataParallelWorkersMatchOneWorkerWithoutDropout() throws {
        let rows = 90, f = 3
        var values: [Double] = []
        for r in 0..<rows { for c in 0..<f { values.append(0.5 + 0.4 * cos(Double(r) * 0.2 + Double(c))) } }
        let m = DataMatrix(rows: rows, cols: f, values: values)
        var c = TranADConfig()
        c.epochs = 2; c.batchSize = 30; c.dropout = 0; c.precision = .float64; c.learningRate = 1e-3; c.window = 4
        let one = try TranADTrainer(features: f, config: c, workers: 1)
        let three = try TranADTrainer(features: f, config: c, workers: 3)
        let r1 = try one.train(on: m), r3 = try three.train(on: m)
        for (a, b) in zip(r1, r3) { XCTAssertEqual(a.meanLoss, b.meanLoss, accuracy: 1e-12) }
        for (a, b) in zip(one.exportParameters(), three.exportParameters()) {
            for (x, y) in zip(a.values, b.values) { XCTAssertEqual(x, y, accuracy: 1e-10, a.name) }
        }
        // a last batch smaller than the worker count (61 = 2·30 + 1 rows): idle workers add nothing
        let m61 = DataMatrix(rows: 61, cols: f, values: Array(values[0..<(61 * f)]))
        let oneB = try TranADTrainer(features: f, config: c, workers: 1), threeB = try TranADTrainer(features: f, config: c, workers: 3)
        try oneB.train(on: m61); try threeB.train(on: m61)
        for (a, b) in zip(oneB.exportParameters(), threeB.exportParameters()) {
            for (x, y) in zip(a.values, b.values) { XCTAssertEqual(x, y, accuracy: 1e-10, a.name) }
        }
        let s1 = try one.score(m), s3 = try three.score(m)
        for (x, y) in zip(s1.values, s3.values) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        // with dropout, a fixed worker count is reproducible
        c.dropout = 0.1
        let a = try TranADTrainer(features: f, config: c, workers: 2), b = try TranADTrainer(features: f, config: c, workers: 2)
        XCTAssertEqual(try a.train(on: m).map(\.meanLoss), try b.train(on: m).map(\.meanLoss))
        XCTAssertEqual(a.exportParameters().map(\.values), b.exportParameters().map(\.values))
    }

    func testScoresAreTheSquaredErrorsOfTheModelOutputs() throws {
        let rows = 40, f = 2
        let m = DataMatrix(rows: rows, cols: f, values: (0..<(rows * f)).map { 0.5 + 0.3 * sin(Double($0) * 0.7) })
        var c = TranADConfig()
        c.window = 5; c.precision = .float64; c.alignment = .reference
        let t = try TranADTrainer(features: f, config: c, workers: 2)
        let phase2 = try t.score(m)
        var c2 = c; c2.scoring = .averaged
        let t2 = try TranADTrainer(features: f, config: c2, workers: 1)
        try t2.loadParameters(Dictionary(uniqueKeysWithValues: t.exportParameters().map { ($0.name, $0.values) }))
        let averaged = try t2.score(m)
        // by hand for row 7 (reference alignment: window rows 2..6, scored element row 6)
        let model = TranADModel<Double>(features: f, config: c)
        try model.loadParameters(Dictionary(uniqueKeysWithValues: t.exportParameters().map { ($0.name, $0.values) }))
        model.eval()
        let rowsOfWindow = tranADWindowRows(row: 7, window: 5, alignment: .reference)
        XCTAssertEqual(rowsOfWindow, [2, 3, 4, 5, 6])
        let x = Tensor<Double>(shape: [1, 5, f], scalars: rowsOfWindow.flatMap { r in (0..<f).map { m[r, $0] } })
        let (x1, x2) = withNoGrad { model(x) }
        for col in 0..<f {
            let e = m[6, col]
            let e2 = (x2.scalars[col] - e) * (x2.scalars[col] - e), e1 = (x1.scalars[col] - e) * (x1.scalars[col] - e)
            XCTAssertEqual(phase2[7, col], e2, accuracy: 1e-12)
            XCTAssertEqual(averaged[7, col], 0.5 * e1 + 0.5 * e2, accuracy: 1e-12)
        }
        XCTAssertEqual(phase2.rowMeans[7], (phase2[7, 0] + phase2[7, 1]) / 2, accuracy: 1e-15)
    }
}
