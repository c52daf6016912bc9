import Foundation
import XCTest
import VigilThresholds
@testable import VigilMetrics

private func b(_ x: [Int]) -> [Bool] { x.map { $0 != 0 } }

final class ReportVUSRangeTests: XCTestCase {
    let scores = [0.1, 0.9, 0.8, 0.2, 0.7, 0.3, 0.3, 0.85, 0.15, 0.6]
    let labels = b([0, 1, 1, 0, 0, 1, 0, 0, 0, 1])
    let thr = CalibratedThreshold(value: 0.5, method: "pot_train", readsTestScores: false, readsTestLabels: false)

    func testReportCarriesNewMetricsWithStableKeys() throws {
        let r = try MetricsReport.compute(testScores: scores, labels: labels, threshold: thr, options: MetricsOptions(vusWindow: 4))
        // Flags at 0.5: steps 1, 2, 4, 7, 9 → ranges [1,2], [4], [7], [9]; truths [1,2], [5], [9].
        let pred = b([0, 1, 1, 0, 1, 0, 0, 1, 0, 1])
        XCTAssertEqual(DetectionMetrics.predictions(scores: scores, threshold: 0.5), pred)
        let range = try RangeMetrics.compute(predictions: pred, labels: labels)
        let aff = try Affiliation.compute(predictions: pred, labels: labels)
        let vus = try XCTUnwrap(try VUS.compute(scores: scores, labels: labels, window: 4))
        XCTAssertEqual(r.atThreshold.rangePrecision, range.precision)
        XCTAssertEqual(r.atThreshold.rangeRecall, range.recall)
        XCTAssertEqual(r.atThreshold.rangeF1, range.f1)
        XCTAssertEqual(r.atThreshold.affiliationPrecision, aff.precision)
        XCTAssertEqual(r.atThreshold.affiliationRecall, aff.recall)
        XCTAssertEqual(r.atThreshold.affiliationF1, aff.f1)
        XCTAssertEqual(r.thresholdFree.vusPR, vus.pr)
        XCTAssertEqual(r.thresholdFree.vusROC, vus.roc)
        XCTAssertEqual(r.thresholdFree.vusWindow, 4)
        // Range by hand (α = 0.2, flat, reciprocal): recall = ([1,2]: 1, [5]: 0, [9]: 1)/3 = 2/3;
        // precision = ([1,2]: 1, [4]: 0, [7]: 0, [9]: 1)/4 = 1/2; F1 = 4/7.
        XCTAssertEqual(range.recall, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(range.precision, 0.5, accuracy: 1e-15)
        XCTAssertEqual(range.f1, 4.0 / 7, accuracy: 1e-15)

        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        for key in ["vus_pr", "vus_roc", "vus_window", "range_precision", "range_recall", "range_f1",
                    "affiliation_precision", "affiliation_recall", "affiliation_f1"] {
            XCTAssertTrue(json.contains("\"\(key)\":"), key)
        }
        XCTAssertTrue(json.contains("\"vus_window\":4"), json)
        XCTAssertEqual(try JSONDecoder().decode(MetricsReport.self, from: Data(json.utf8)), r)
        // Existing fields unchanged.
        XCTAssertEqual(r.atThreshold.pointwise, PRF(predictions: pred, labels: labels))
        XCTAssertEqual(r.thresholdFree.rocAUC, RankingMetrics.rocAUC(scores: scores, labels: labels))
    }

    func testDefaultWindowIsZeroAndRecorded() throws {
        let r = try MetricsReport.compute(testScores: scores, labels: labels, threshold: thr)
        XCTAssertEqual(r.thresholdFree.vusWindow, 0)
        XCTAssertEqual(r.thresholdFree.vusROC, try VUS.compute(scores: scores, labels: labels, window: 0)?.roc)
        XCTAssertEqual(MetricsOptions(), MetricsOptions(vusWindow: 0))
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(MetricsOptions(vusWindow: 7)), as: UTF8.self), "{\"vus_window\":7}")
    }

    func testInvalidWindowThrowsAndOneClassOmitsVUS() throws {
        XCTAssertThrowsError(try MetricsReport.compute(testScores: scores, labels: labels, threshold: thr, options: MetricsOptions(vusWindow: -3)))
        let r = try MetricsReport.compute(testScores: [0.1, 0.4, 0.2], labels: b([0, 0, 0]), threshold: thr, options: MetricsOptions(vusWindow: 2))
        XCTAssertNil(r.thresholdFree.vusPR)
        XCTAssertNil(r.thresholdFree.vusROC)
        XCTAssertEqual([r.atThreshold.rangeF1, r.atThreshold.affiliationF1], [0, 0])
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        XCTAssertFalse(json.contains("vus_pr"))
        XCTAssertTrue(json.contains("\"vus_window\":2"))
    }

    func testEvaluationSharesThresholdFreeBlockAndTableShowsNewColumns() throws {
        let train = (0..<3000).map { abs(sin(Double($0) * 0.37)) * 0.1 }
        var test = (0..<400).map { abs(sin(Double($0) * 0.91)) * 0.1 }
        var l = [Bool](repeating: false, count: 400)
        for i in 100..<110 { test[i] += 1; l[i] = true }
        for i in 395..<400 { l[i] = true }
        let p = POTParameters(q: 1e-3, level: 0.99, scale: 1.06)
        let reports = try Evaluation.reports(trainScores: train, testScores: test, labels: l,
                                             methods: Evaluation.standardMethods(pot: p, percentile: 99),
                                             options: MetricsOptions(vusWindow: 10))
        let single = try MetricsReport.compute(testScores: test, labels: l, threshold: reports[0].thresholdSelection,
                                               options: MetricsOptions(vusWindow: 10))
        XCTAssertEqual(reports[0], single)
        XCTAssertTrue(reports.allSatisfy { $0.thresholdFree == single.thresholdFree })
        // The deployable POT flags exactly the injected segment [100,109]; the undetected [395,399] halves recall.
        let a = reports[0].atThreshold
        XCTAssertEqual(a.rangePrecision, 1)
        XCTAssertEqual(a.rangeRecall, 0.5)
        XCTAssertEqual(a.affiliationPrecision, 1)
        let table = Evaluation.markdownTable(reports)
        XCTAssertTrue(table.contains("| range F1 | affiliation F1 |"))
        XCTAssertTrue(table.contains("(vus_window 10)"))
        XCTAssertEqual(table.split(separator: "\n").filter { $0.hasPrefix("| ") }.count, 5)
    }
}
