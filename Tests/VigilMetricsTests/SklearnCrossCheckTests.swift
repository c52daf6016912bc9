import XCTest
@testable import VigilMetrics

/// Cross-check against sklearn / an independent Python implementation (Goldens/sklearn_metrics.json, written by
/// scripts/make_metrics_goldens.py): 300 steps with tied scores, segments at both ends and a single point.
final class SklearnCrossCheckTests: XCTestCase {
    func testAgainstPython() throws {
        let g = try SklearnGoldens.load(), e = g.expected
        XCTAssertEqual(g.generator, "scripts/make_metrics_goldens.py")
        let labels = g.labels
        let pred = DetectionMetrics.predictions(scores: g.scores, threshold: g.threshold)
        func same(_ m: PRF, _ e: [Double], _ what: String) {
            XCTAssertEqual(m.precision, e[0], accuracy: 1e-12, what)
            XCTAssertEqual(m.recall, e[1], accuracy: 1e-12, what)
            XCTAssertEqual(m.f1, e[2], accuracy: 1e-12, what)
        }
        same(PRF(predictions: pred, labels: labels), e.pointwise, "pointwise")
        same(DetectionMetrics.pointAdjusted(predictions: pred, labels: labels), e.point_adjusted, "point-adjusted")
        let ev = DetectionMetrics.eventWise(predictions: pred, labels: labels)
        XCTAssertEqual([ev.precision, ev.recall, ev.f1], e.eventwise)
        let pak = DetectionMetrics.paKCurve(predictions: pred, labels: labels)
        XCTAssertEqual(pak.areaF1, e.pak_f1_area, accuracy: 1e-12)
        XCTAssertEqual(pak.f1[40], e.pak_f1_at_40, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(RankingMetrics.rocAUC(scores: g.scores, labels: labels)), e.roc_auc, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(RankingMetrics.averagePrecision(scores: g.scores, labels: labels)), e.average_precision, accuracy: 1e-12)
        let adjusted = DetectionMetrics.adjusted(predictions: pred, labels: labels)
        XCTAssertEqual(try XCTUnwrap(RankingMetrics.rocAUCBinaryReference(predictions: adjusted, labels: labels)), e.roc_auc_binary, accuracy: 1e-12)
        XCTAssertEqual(try BestF1Oracle.search(scores: g.scores, labels: labels, objective: .pointAdjustedF1).f1, e.oracle_point_adjusted_f1, accuracy: 1e-12)
        XCTAssertEqual(try BestF1Oracle.search(scores: g.scores, labels: labels, objective: .pointwiseF1).f1, e.oracle_pointwise_f1, accuracy: 1e-12)
        let rc = try XCTUnwrap(try RootCause.metrics(scores: g.per_dimension, labels: g.interpretation, dimensions: g.dimensions))
        XCTAssertEqual(rc.hitAt100, e.hit100, accuracy: 1e-12)
        XCTAssertEqual(rc.hitAt150, e.hit150, accuracy: 1e-12)
        XCTAssertEqual(rc.ndcgAt100, e.ndcg100, accuracy: 1e-12)
        XCTAssertEqual(rc.ndcgAt150, e.ndcg150, accuracy: 1e-12)
    }
}
