import Foundation
import XCTest
import VigilThresholds
@testable import VigilMetrics

private func b(_ x: [Int]) -> [Bool] { x.map { $0 != 0 } }

final class PointMetricsTests: XCTestCase {
    func testPointwiseHandComputed() {
        let scores = [0.1, 0.9, 0.8, 0.2, 0.7, 0.3]
        let labels = b([0, 1, 1, 0, 0, 1])
        let pred = DetectionMetrics.predictions(scores: scores, threshold: 0.5)
        XCTAssertEqual(pred, b([0, 1, 1, 0, 1, 0]))
        let m = PRF(predictions: pred, labels: labels)
        XCTAssertEqual([m.tp, m.fp, m.fn, m.tn], [2, 1, 1, 2])
        XCTAssertEqual(m.precision, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(m.recall, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(m.f1, 2.0 / 3, accuracy: 1e-15)
        // Threshold is strict: a score equal to the threshold is not flagged.
        XCTAssertEqual(DetectionMetrics.predictions(scores: [0.5, 0.6], threshold: 0.5), [false, true])
    }

    func testUndefinedRatiosAreZeroNotNaN() {
        // No anomalies in labels, some flags: precision 0/1, recall 0/0 → 0, F1 → 0.
        let noAnomaly = PRF(predictions: b([1, 0, 0]), labels: b([0, 0, 0]))
        XCTAssertEqual([noAnomaly.precision, noAnomaly.recall, noAnomaly.f1], [0, 0, 0])
        // No flagged points: precision 0/0 → 0.
        let noFlags = PRF(predictions: b([0, 0, 0]), labels: b([0, 1, 0]))
        XCTAssertEqual([noFlags.precision, noFlags.recall, noFlags.f1], [0, 0, 0])
        // Nothing at all.
        let nothing = PRF(predictions: b([0, 0]), labels: b([0, 0]))
        XCTAssertEqual([nothing.precision, nothing.recall, nothing.f1], [0, 0, 0])
        let ev = DetectionMetrics.eventWise(predictions: b([0, 0]), labels: b([0, 0]))
        XCTAssertEqual([ev.precision, ev.recall, ev.f1], [0, 0, 0])
        let pak = DetectionMetrics.paKCurve(predictions: b([0, 0, 1]), labels: b([0, 0, 0]))
        XCTAssertEqual(pak.areaF1, 0)
        XCTAssertFalse(pak.f1.contains { $0.isNaN })
    }

    // Labels: segments [0,1] (at the start), [4] (single point), [6,8] (at the end).
    let labels = b([1, 1, 0, 0, 1, 0, 1, 1, 1])
    let preds = b([0, 1, 0, 1, 0, 0, 0, 0, 1])

    func testSegments() {
        XCTAssertEqual(DetectionMetrics.segments(labels), [Segment(start: 0, end: 1), Segment(start: 4, end: 4), Segment(start: 6, end: 8)])
        XCTAssertEqual(DetectionMetrics.segments(b([])), [])
        XCTAssertEqual(DetectionMetrics.segments(b([1])), [Segment(start: 0, end: 0)])
    }

    func testPointAdjustedBothEndsAndSinglePoint() {
        let adj = DetectionMetrics.adjusted(predictions: preds, labels: labels)
        // Segment at index 0 is filled completely (the reference's backward fill would leave index 0 unflagged).
        XCTAssertEqual(adj, b([1, 1, 0, 1, 0, 0, 1, 1, 1]))
        let m = DetectionMetrics.pointAdjusted(predictions: preds, labels: labels)
        XCTAssertEqual([m.tp, m.fp, m.fn, m.tn], [5, 1, 1, 2])
        XCTAssertEqual(m.f1, 5.0 / 6, accuracy: 1e-15)
        let pw = PRF(predictions: preds, labels: labels)
        XCTAssertEqual(pw.f1, 4.0 / 9, accuracy: 1e-15)
        // Single-point segment, flagged: adjusted = itself.
        XCTAssertEqual(DetectionMetrics.adjusted(predictions: b([0, 1, 0]), labels: b([0, 1, 0])), b([0, 1, 0]))
    }

    func testPAK() {
        // seg [0,1]: 1 of 2 flagged (50 %); seg [6,8]: 1 of 3 (33.3 %).
        XCTAssertEqual(DetectionMetrics.adjusted(predictions: preds, labels: labels, k: 33), b([1, 1, 0, 1, 0, 0, 1, 1, 1]))
        XCTAssertEqual(DetectionMetrics.adjusted(predictions: preds, labels: labels, k: 34), b([1, 1, 0, 1, 0, 0, 0, 0, 1]))
        XCTAssertEqual(DetectionMetrics.adjusted(predictions: preds, labels: labels, k: 50), b([1, 1, 0, 1, 0, 0, 0, 0, 1]))
        XCTAssertEqual(DetectionMetrics.adjusted(predictions: preds, labels: labels, k: 51), preds)
        XCTAssertEqual(DetectionMetrics.adjusted(predictions: preds, labels: labels, k: 100), preds)
        let c = DetectionMetrics.paKCurve(predictions: preds, labels: labels)
        let a = 5.0 / 6, m = 0.6, z = 4.0 / 9   // F1 for K ≤ 33, 34…50, ≥ 51
        XCTAssertEqual(c.f1[0], a, accuracy: 1e-15)
        XCTAssertEqual(c.f1[40], m, accuracy: 1e-15)
        XCTAssertEqual(c.f1[100], z, accuracy: 1e-15)
        // Trapezoid on K = 0…100 step 1, divided by 100.
        let area = ((a + z) / 2 + 33 * a + 17 * m + 49 * z) / 100
        XCTAssertEqual(c.areaF1, area, accuracy: 1e-14)
        XCTAssertEqual(c.k.count, 101)
    }

    func testEventWise() {
        let e = DetectionMetrics.eventWise(predictions: preds, labels: labels)
        XCTAssertEqual([e.trueEvents, e.detectedTrueEvents, e.predictedEvents, e.correctPredictedEvents], [3, 2, 3, 2])
        XCTAssertEqual(e.precision, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(e.recall, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(e.f1, 2.0 / 3, accuracy: 1e-15)
        // One long predicted run covering two true events counts once for precision, twice for recall.
        let e2 = DetectionMetrics.eventWise(predictions: b([1, 1, 1, 1, 0]), labels: b([1, 0, 0, 1, 0]))
        XCTAssertEqual([e2.detectedTrueEvents, e2.predictedEvents, e2.correctPredictedEvents], [2, 1, 1])
        XCTAssertEqual(e2.f1, 1)
    }
}

final class RankingMetricsTests: XCTestCase {
    func testROCAndAPWithTies() throws {
        // Values checked with sklearn: roc_auc_score = 0.875, average_precision_score = 0.8333…
        let s = [0.9, 0.5, 0.5, 0.1], l = b([1, 1, 0, 0])
        XCTAssertEqual(try XCTUnwrap(RankingMetrics.rocAUC(scores: s, labels: l)), 0.875, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(RankingMetrics.averagePrecision(scores: s, labels: l)), 5.0 / 6, accuracy: 1e-15)
        // All tied: ROC 0.5, AP = prevalence.
        XCTAssertEqual(RankingMetrics.rocAUC(scores: [1, 1, 1, 1], labels: b([1, 0, 0, 0])), 0.5)
        XCTAssertEqual(RankingMetrics.averagePrecision(scores: [1, 1, 1, 1], labels: b([1, 0, 0, 0])), 0.25)
        // Perfect and inverted rankings.
        XCTAssertEqual(RankingMetrics.rocAUC(scores: [3, 2, 1], labels: b([1, 0, 0])), 1)
        XCTAssertEqual(RankingMetrics.rocAUC(scores: [1, 2, 3], labels: b([1, 0, 0])), 0)
        // Undefined: one class.
        XCTAssertNil(RankingMetrics.rocAUC(scores: [1, 2], labels: b([0, 0])))
        XCTAssertNil(RankingMetrics.averagePrecision(scores: [1, 2], labels: b([0, 0])))
    }

    func testBinaryReferenceROC() throws {
        // sklearn roc_auc_score(labels, adjusted 0/1 predictions) = 0.75 for the point-adjust example.
        let l = b([1, 1, 0, 0, 1, 0, 1, 1, 1]), p = b([1, 1, 0, 1, 0, 0, 1, 1, 1])
        XCTAssertEqual(try XCTUnwrap(RankingMetrics.rocAUCBinaryReference(predictions: p, labels: l)), 0.75, accuracy: 1e-15)
        XCTAssertNil(RankingMetrics.rocAUCBinaryReference(predictions: b([1, 0]), labels: b([1, 1])))
    }
}

final class RootCauseTests: XCTestCase {
    func testCutoffUsesPythonRound() {
        XCTAssertEqual([1, 3, 5, 7].map { RootCause.cutoff(percent: 150, labelled: $0) }, [2, 4, 8, 10])
        XCTAssertEqual(RootCause.cutoff(percent: 100, labelled: 4), 4)
    }

    func testHitAndNDCGHandComputed() throws {
        // row 0: one label (dim 1), ranked first. row 1: labels {0, 3}; dims 0 and 1 tie at 0.5. row 2: no label (skipped).
        let scores: [[Double]] = [[0.1, 0.4, 0.3, 0.2], [0.5, 0.5, 0.1, 0.9], [0.9, 0.1, 0.1, 0.1]]
        let labels: [[Bool]] = [b([0, 1, 0, 0]), b([1, 0, 0, 1]), b([0, 0, 0, 0])]
        let m = try XCTUnwrap(try RootCause.metrics(scores: scores, labels: labels))
        XCTAssertEqual(m.labelledRows, 2)
        // Row 1, k = 2: order 3, 1 (tie → higher index first), 0, 2 → hit 1/2; k = 3 → hit 1.
        XCTAssertEqual(m.hitAt100, (1 + 0.5) / 2, accuracy: 1e-15)
        XCTAssertEqual(m.hitAt150, 1, accuracy: 1e-15)
        // Row 1 NDCG (tie-averaged, sklearn ndcg_score): k = 2 → 0.8065735963827292, k = 3 → 0.9598603945740939.
        XCTAssertEqual(m.ndcgAt100, (1 + 0.8065735963827292) / 2, accuracy: 1e-12)
        XCTAssertEqual(m.ndcgAt150, (1 + 0.9598603945740939) / 2, accuracy: 1e-12)
        // No labelled row at all → nil; bad shape → typed error.
        XCTAssertNil(try RootCause.metrics(scores: [1, 2], labels: b([0, 0]), dimensions: 2))
        XCTAssertThrowsError(try RootCause.metrics(scores: [1, 2, 3], labels: b([0, 0, 0]), dimensions: 2))
    }
}

final class CalibrationAndReportTests: XCTestCase {
    func testOracleIsExactAndNamed() throws {
        let scores = [0.1, 0.9, 0.8, 0.2, 0.7, 0.3, 0.3, 0.85]
        let labels = b([0, 1, 1, 0, 0, 1, 0, 0])
        for objective in [OracleObjective.pointwiseF1, .pointAdjustedF1] {
            let r = try BestF1Oracle.search(scores: scores, labels: labels, objective: objective)
            func f1(_ t: Double) -> Double {
                let p = DetectionMetrics.predictions(scores: scores, threshold: t)
                return objective == .pointwiseF1 ? PRF(predictions: p, labels: labels).f1
                    : DetectionMetrics.pointAdjusted(predictions: p, labels: labels).f1
            }
            // Brute force over every distinct way of flagging the top scores.
            let candidates: [Double] = scores + [scores.min()!.nextDown]
            let brute: Double = candidates.map { f1($0) }.max()!
            XCTAssertEqual(r.f1, brute, accuracy: 1e-15, "\(objective)")
            XCTAssertEqual(f1(r.threshold), r.f1, accuracy: 1e-15, "\(objective)")
        }
        // Pointwise: flagging ≥ 0.8 (TP 2, FP 1, FN 1) and ≥ 0.3 (TP 3, FP 3) both give F1 = 2/3; the higher threshold is kept.
        let pw = try BestF1Oracle.search(scores: scores, labels: labels, objective: .pointwiseF1)
        let expectedF1: Double = 4.0 / 6.0
        XCTAssertEqual(pw.f1, expectedF1, accuracy: 1e-15)
        XCTAssertEqual(pw.threshold, 0.75, accuracy: 1e-15)                  // midpoint of 0.8 and 0.7
        XCTAssertTrue(CalibrationMethod.bestF1Oracle(.pointAdjustedF1).name.contains("ORACLE"))
        XCTAssertTrue(CalibrationMethod.bestF1Oracle(.pointAdjustedF1).readsTestLabels)
    }

    func testDeployableNeverReadsTest() throws {
        let train = (0..<2000).map { abs(sin(Double($0) * 0.37)) + 0.001 * Double($0 % 7) }
        let p = POTParameters(q: 1e-3, level: 0.98, scale: 1.06)
        let a = try CalibrationMethod.pot(p).calibrate(trainScores: train, testScores: [1, 2, 3], testLabels: b([0, 1, 0]))
        let c = try CalibrationMethod.pot(p).calibrate(trainScores: train, testScores: [9], testLabels: b([1]))
        XCTAssertEqual(a.value, c.value)
        XCTAssertFalse(a.readsTestScores)
        XCTAssertFalse(a.readsTestLabels)
        XCTAssertEqual(a.value, try POT.calibrate(trainScores: train, parameters: p).threshold)
        let pct = try CalibrationMethod.percentile(99).calibrate(trainScores: [1, 2, 3], testScores: [], testLabels: [])
        XCTAssertEqual(pct.value, 2.98, accuracy: 1e-12)
        let stream = try CalibrationMethod.potStream(p, .referenceStatic).calibrate(trainScores: train, testScores: train, testLabels: [])
        XCTAssertTrue(stream.readsTestScores)
        XCTAssertFalse(stream.readsTestLabels)
    }

    func testReportJSONNamesTheMethod() throws {
        let scores = [0.1, 0.9, 0.8, 0.2, 0.7, 0.3]
        let labels = b([0, 1, 1, 0, 0, 1])
        let method = CalibrationMethod.bestF1Oracle(.pointAdjustedF1)
        let thr = try method.calibrate(trainScores: [], testScores: scores, testLabels: labels)
        let perDim = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2]   // (6, 2)
        let interp = b([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        let report = try MetricsReport.compute(testScores: scores, labels: labels, threshold: thr,
                                               perDimensionScores: perDim, interpretationLabels: interp, dimensions: 2)
        XCTAssertEqual(report.atThreshold.pointwise.f1, PRF(predictions: DetectionMetrics.predictions(scores: scores, threshold: thr.value), labels: labels).f1)
        XCTAssertEqual(report.thresholdFree.rootCause?.labelledRows, 2)
        XCTAssertEqual(report.thresholdFree.rootCause?.hitAt100, 0.5)   // row 1 label dim 0 ranks 2nd, row 2 label dim 1 ranks 1st
        XCTAssertEqual(report.anomalySegments, 2)
        let data = try JSONEncoder().encode(report)
        let json = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(json.contains("\"at_threshold_best_f1_ORACLE_point_adjusted_f1\""), json)
        XCTAssertTrue(json.contains("\"reads_test_labels\":true"), json)
        XCTAssertEqual(try JSONDecoder().decode(MetricsReport.self, from: data), report)
        XCTAssertThrowsError(try MetricsReport.compute(testScores: [1, 2], labels: b([1]), threshold: thr))
    }
}

final class EvaluationTests: XCTestCase {
    func testStandardMethodsReportAndTable() throws {
        let train = (0..<3000).map { abs(sin(Double($0) * 0.37)) * 0.1 }
        var test = (0..<400).map { abs(sin(Double($0) * 0.91)) * 0.1 }
        var labels = [Bool](repeating: false, count: 400)
        for i in 100..<110 { test[i] += 1; labels[i] = true }
        for i in 395..<400 { labels[i] = true }   // an undetected segment at the end
        let p = POTParameters(q: 1e-3, level: 0.99, scale: 1.06)
        let reports = try Evaluation.reports(trainScores: train, testScores: test, labels: labels,
                                             methods: Evaluation.standardMethods(pot: p, percentile: 99))
        XCTAssertEqual(reports.map(\.thresholdSelection.method),
                       ["pot_train", "pot_stream_reference_static", "percentile_train_99.0", "best_f1_ORACLE_point_adjusted_f1"])
        XCTAssertEqual(reports.map(\.thresholdSelection.readsTestLabels), [false, false, false, true])
        // The deployable POT flags exactly the injected segment: PA recall 10/15, precision 1.
        XCTAssertEqual(reports[0].atThreshold.pointAdjusted.tp, 10)
        XCTAssertEqual(reports[0].atThreshold.pointAdjusted.fp, 0)
        XCTAssertEqual(reports[0].atThreshold.eventwise.recall, 0.5)
        let table = Evaluation.markdownTable(reports)
        XCTAssertTrue(table.contains("| best_f1_ORACLE_point_adjusted_f1 |"))
        XCTAssertTrue(table.contains("| YES |"))
        XCTAssertEqual(table.split(separator: "\n").filter { $0.hasPrefix("| ") }.count, 5)
    }
}

final class DegenerateReportTests: XCTestCase {
    func testNoAnomaliesAndNoFlagsEncodeWithoutNaN() throws {
        let thr = CalibratedThreshold(value: 10, method: "pot_train", readsTestScores: false, readsTestLabels: false)
        let r = try MetricsReport.compute(testScores: [0.1, 0.2, 0.2], labels: b([0, 0, 0]), threshold: thr)
        XCTAssertNil(r.thresholdFree.rocAUC)
        XCTAssertNil(r.thresholdFree.prAUC)
        XCTAssertNil(r.atThreshold.rocAUCBinaryReference)
        XCTAssertEqual(r.atThreshold.pointwise.f1, 0)
        XCTAssertEqual(r.atThreshold.paK.areaF1, 0)
        XCTAssertEqual(r.anomalySegments, 0)
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)   // would throw on NaN
        XCTAssertTrue(json.contains("\"at_threshold_pot_train\""))
        XCTAssertFalse(json.contains("roc_auc\":0"))
        XCTAssertThrowsError(try MetricsReport.compute(testScores: [], labels: [], threshold: thr))
        XCTAssertThrowsError(try MetricsReport.compute(testScores: [.nan], labels: b([0]), threshold: thr))
    }
}
