import Foundation
import XCTest
@testable import VigilThresholds

final class DynamicThresholdTests: XCTestCase {
    func testEpsilonAndPruningByHand() {
        // window of 20 scores: 18 at 1, then 9 and 10: μ = 1.85, σ = √6.5275 = 2.5549.
        //   z = 2.5: ε = 8.24 flags {9, 10} (one 2-row run): pruned mean 1, std 0 → (0.4595 + 1) / (1² + 2) = 0.4865
        //   z = 3.0: ε = 9.51 flags {10} alone (no run): pruned {1×18, 9}: mean 1.4211, std 1.7864
        //            → (0.2319 + 0.3008) / (0 + 1) = 0.5327, the best; z ≥ 3.5 flags nothing
        var e = [Double](repeating: 1, count: 20)
        e[18] = 9; e[19] = 10
        XCTAssertEqual(DynamicThreshold.epsilon(e, buffer: 1).0, 1.85 + 3 * 6.5275.squareRoot(), accuracy: 1e-9)
        // deciding: a 2-row burst at 10 above ε = 5 against the largest unflagged score 1: decrease 0.9 ≥ p → kept
        var b = [Double](repeating: 1, count: 20)
        b[10] = 10; b[11] = 10
        let none = [Bool](repeating: false, count: 20)
        XCTAssertEqual(DynamicThreshold.decide(b, epsilon: 5, firstInBatch: 8, previous: none, buffer: 0, prune: 0.13), [10, 11])
        // with p above that decrease the burst is pruned; outside the batch nothing is flagged
        XCTAssertEqual(DynamicThreshold.decide(b, epsilon: 5, firstInBatch: 8, previous: none, buffer: 0, prune: 0.95), [])
        XCTAssertEqual(DynamicThreshold.decide(b, epsilon: 5, firstInBatch: 12, previous: none, buffer: 0, prune: 0.13), [])
        // a single-row run is dropped (telemanom keeps runs longer than one row), unless the buffer widens it
        var single = [Double](repeating: 1, count: 20)
        single[15] = 10
        XCTAssertEqual(DynamicThreshold.decide(single, epsilon: 5, firstInBatch: 8, previous: none, buffer: 0, prune: 0.13), [])
        XCTAssertEqual(DynamicThreshold.decide(single, epsilon: 5, firstInBatch: 8, previous: none, buffer: 1, prune: 0.13), [14, 15, 16])
    }

    func testWidenedAndRuns() {
        XCTAssertEqual(DynamicThreshold.widened([0, 5], halfWidth: 1, count: 7), [true, true, false, false, true, true, true])
        XCTAssertEqual(DynamicThreshold.runs([true, true, false, true]), [0..<2, 3..<4])
    }

    struct Goldens: Decodable {
        struct Case: Decodable {
            var name: String, history: [Double], stream: [Double], batch: Int, window_batches: Int, buffer: Int, prune: Double
            var flags: [Int], thresholds: [Double]
        }
        var cases: [Case]
    }

    /// scripts/golden_transforms.py: telemanom's errors.py functions transcribed with numpy.
    func testAgainstTelemanomTranscription() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "dynamic_threshold", withExtension: "json", subdirectory: "Goldens"))
        let g = try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: url))
        XCTAssertEqual(g.cases.count, 3)
        for c in g.cases {
            let r = try DynamicThreshold.run(stream: c.stream, history: c.history,
                                             parameters: DynamicThresholdParameters(batch: c.batch, windowBatches: c.window_batches,
                                                                                    buffer: c.buffer, prune: c.prune))
            XCTAssertEqual(r.flags.map { $0 ? 1 : 0 }, c.flags, c.name)
            XCTAssertGreaterThan(c.flags.reduce(0, +), 0, c.name)
            for (a, b) in zip(r.thresholds, c.thresholds) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), c.name) }
        }
    }

    func testBadParametersAndScoresAreErrors() {
        XCTAssertThrowsError(try DynamicThreshold.run(stream: [1, 2], history: [], parameters: DynamicThresholdParameters(batch: 0)))
        XCTAssertThrowsError(try DynamicThreshold.run(stream: [1, .nan], history: [], parameters: DynamicThresholdParameters()))
        XCTAssertThrowsError(try DynamicThreshold.run(stream: [], history: [], parameters: DynamicThresholdParameters()))
        XCTAssertThrowsError(try DynamicThreshold.run(stream: [1], history: [], parameters: DynamicThresholdParameters(prune: 2)))
        // a constant stream flags nothing (σ = 0)
        XCTAssertEqual(try DynamicThreshold.run(stream: [Double](repeating: 3, count: 50), history: [], parameters: DynamicThresholdParameters(batch: 10)).flags,
                       [Bool](repeating: false, count: 50))
    }

    func testValidationCalibrationsReadValidationScoresOnly() throws {
        let train = [Double](repeating: 100, count: 10)       // would give 100 if read
        let v = [1.0, 2, 3, 4, 5]
        XCTAssertEqual(try DeployableCalibration.percentileValidation(50).threshold(trainScores: train, validationScores: v), 3)
        XCTAssertEqual(try DeployableCalibration.percentileValidation(90).threshold(trainScores: train, validationScores: v), 4.6, accuracy: 1e-12)
        XCTAssertThrowsError(try DeployableCalibration.percentileValidation(50).threshold(trainScores: train, validationScores: nil))
        XCTAssertEqual(DeployableCalibration.potValidation(POTParameters()).reads, ScoreReads(.validationScores))
        XCTAssertEqual(DeployableCalibration.pot(POTParameters()).reads, ScoreReads(.trainScores))
        XCTAssertTrue(DeployableCalibration.percentileValidation(1).reads.isDeployable)
        // pot_validation equals POT fitted on the validation scores themselves
        let vs = (0..<2000).map { Double(($0 * 7919) % 2000) / 2000 }
        let p = POTParameters(q: 1e-3, level: 0.98, scale: 1)
        XCTAssertEqual(try DeployableCalibration.potValidation(p).threshold(trainScores: train, validationScores: vs),
                       try POT.calibrate(trainScores: vs, parameters: p).threshold)
    }

    func testScoreReadsEncodingAndDeployability() throws {
        let r = ScoreReads(.validationScores, .pastScores)
        XCTAssertFalse(r.isDeployable)
        let data = try JSONEncoder().encode(r)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Bool])
        XCTAssertEqual(json, ["reads_train_scores": false, "reads_validation_scores": true, "reads_past_scores": true,
                              "reads_test_scores": false, "reads_test_labels": false])
        XCTAssertEqual(try JSONDecoder().decode(ScoreReads.self, from: data), r)
        XCTAssertTrue(ScoreReads(.trainScores, .validationScores).isDeployable)
        XCTAssertFalse(ScoreReads(.testScores).isDeployable)
        XCTAssertFalse(ScoreReads(.testLabels).isDeployable)
    }
}
