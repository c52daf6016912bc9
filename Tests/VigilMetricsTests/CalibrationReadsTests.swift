import Foundation
import XCTest
import VigilThresholds
@testable import VigilMetrics

/// What every calibration reads, and that the deployable ones never see test data.
final class CalibrationReadsTests: XCTestCase {
    let train = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    let validation = [10.0, 20, 30, 40, 50]

    func testValidationCalibrationsUseTheValidationScores() throws {
        let inputs = CalibrationInputs(train: train, validation: validation, test: [1000, 0], testLabels: [true, false])
        let pv = try CalibrationMethod.percentileValidation(50).calibrate(inputs)
        XCTAssertEqual(pv.value, 30)
        XCTAssertEqual(pv.method, "percentile_validation_50.0")
        XCTAssertEqual(pv.reads, ScoreReads(.validationScores))
        XCTAssertTrue(pv.isDeployable)
        let pt = try CalibrationMethod.percentile(50).calibrate(inputs)
        XCTAssertEqual(pt.value, 5.5)
        XCTAssertEqual(pt.reads, ScoreReads(.trainScores))
        // without a validation block the validation calibrations are errors, not silently the training ones
        XCTAssertThrowsError(try CalibrationMethod.potValidation(POTParameters()).calibrate(
            CalibrationInputs(train: train, test: [1], testLabels: [false])))
    }

    func testDynamicThresholdReadsPastScoresAndDecidesPerRow() throws {
        var stream = [Double](repeating: 1, count: 60)
        for t in 30..<34 { stream[t] = 9 }
        let history = [Double](repeating: 1, count: 40).enumerated().map { 1 + 0.01 * Double($0.offset % 3) }
        let p = DynamicThresholdParameters(batch: 10, windowBatches: 5, buffer: 0, prune: 0.13)
        let t = try CalibrationMethod.dynamic(p).calibrate(CalibrationInputs(train: train, validation: history, test: stream, testLabels: []))
        XCTAssertEqual(t.reads, ScoreReads(.validationScores, .pastScores))
        XCTAssertFalse(t.isDeployable)
        XCTAssertTrue(t.readsPastScores)
        XCTAssertFalse(t.readsTestScores)
        let flags = try XCTUnwrap(t.flags)
        XCTAssertEqual(t.predictions(stream), flags)
        XCTAssertEqual((0..<60).filter { flags[$0] }, [30, 31, 32, 33])
        // the report uses the per-row decisions
        let r = try MetricsReport.compute(testScores: stream, labels: (0..<60).map { (30..<34).contains($0) }, threshold: t)
        XCTAssertEqual(r.atThreshold.pointwise.f1, 1)
        // without validation scores, the training scores fill the window
        let u = try CalibrationMethod.dynamic(p).calibrate(CalibrationInputs(train: train, test: stream, testLabels: []))
        XCTAssertEqual(u.reads, ScoreReads(.trainScores, .pastScores))
    }

    func testOnlyTrainAndValidationCalibrationsAreDeployable() throws {
        let p = POTParameters(q: 1e-3, level: 0.5)
        let methods: [CalibrationMethod] = [.pot(p), .percentile(90), .potValidation(p), .percentileValidation(90),
                                            .dynamic(DynamicThresholdParameters()), .potStream(p, .referenceStatic),
                                            .bestF1Oracle(.pointwiseF1), .bestF1Oracle(.pointAdjustedF1)]
        let deployable = methods.filter { $0.deployable != nil }.map(\.name)
        XCTAssertEqual(deployable, ["pot_train", "percentile_train_90.0", "pot_validation", "percentile_validation_90.0"])
        for m in methods {
            XCTAssertEqual(m.deployable != nil, m.reads.isDeployable, m.name)
            if m.name.contains("ORACLE") { XCTAssertTrue(m.readsTestLabels); XCTAssertNil(m.deployable) }
        }
    }

    func testThresholdEncodesEveryReadsFlagAndDecodesOldFiles() throws {
        var t = CalibratedThreshold(value: 2.5, method: "pot_validation", reads: ScoreReads(.validationScores))
        t.reads = t.reads.union(ScoreReads(.pastScores))      // e.g. a transform that reads past scores
        let data = try JSONEncoder().encode(t)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(obj["reads_validation_scores"] as? Bool, true)
        XCTAssertEqual(obj["reads_past_scores"] as? Bool, true)
        XCTAssertEqual(obj["reads_test_scores"] as? Bool, false)
        XCTAssertEqual(obj["reads_test_labels"] as? Bool, false)
        XCTAssertEqual(obj["reads_train_scores"] as? Bool, false)
        XCTAssertEqual(try JSONDecoder().decode(CalibratedThreshold.self, from: data), t)
        XCTAssertFalse(t.isDeployable)
        // a metrics.json written before these flags existed still reads (absent flags = not read)
        let old = #"{"value": 1.5, "method": "best_f1_ORACLE_pointwise_f1", "reads_test_scores": true, "reads_test_labels": true}"#
        let o = try JSONDecoder().decode(CalibratedThreshold.self, from: Data(old.utf8))
        XCTAssertEqual(o.reads, ScoreReads(.testScores, .testLabels))
        XCTAssertFalse(o.isDeployable)
    }
}
