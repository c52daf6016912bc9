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
        let m = TranADMatrix(rows: 7, columns: 2, values: (0..<14).map(Double.init))
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
        let m = TranADMatrix(rows: rows, columns: f, values: values)
        var c = TranADConfig()
        c.epochs = 4; c.batchSize = 32; c.learningRate = 3e-3; c.seed = 7; c.precision = .float64
        let t1 = TranADTrainer(features: f, config: c)
        let r1 = try t1.train(on: m)
        XCTAssertEqual(r1.count, 4)
        XCTAssertLessThan(r1.last!.meanLoss, r1.first!.meanLoss)
        let t2 = TranADTrainer(features: f, config: c)
        let r2 = try t2.train(on: m)
        XCTAssertEqual(r1.map(\.meanLoss), r2.map(\.meanLoss))
        XCTAssertEqual(t1.exportParameters().map(\.values), t2.exportParameters().map(\.values))

        let s = try t1.score(m)
        XCTAssertEqual(s.rows, rows); XCTAssertEqual(s.columns, f)
        XCTAssertTrue(s.values.allSatisfy { $0 >= 0 && $0.isFinite })
        // score row 20 by hand from the model's x2 on the inclusive window of row 20
        var c2 = c; c2.scoring = .averaged
        let t3 = TranADTrainer(features: f, config: c2)
        try t3.loadParameters(Dictionary(uniqueKeysWithValues: t1.exportParameters().map { ($0.name, $0.values) }))
        let avg = try t3.score(m)
        XCTAssertNotEqual(avg.values, s.values)
        XCTAssertThrowsError(try t1.score(TranADMatrix(rows: 2, columns: 4, values: [Double](repeating: 0, count: 8))))
    }
}
