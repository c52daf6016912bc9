import Foundation
import XCTest
@testable import VigilMetrics

private func b(_ x: [Int]) -> [Bool] { x.map { $0 != 0 } }

/// Steps of a length-n series flagged by inclusive [start, end] events.
private func flags(_ n: Int, _ events: [[Int]]) -> [Bool] {
    var y = [Bool](repeating: false, count: n)
    for e in events { for t in e[0]...e[1] { y[t] = true } }
    return y
}

/// Goldens written by scripts/golden_range_affiliation_tsbad.py with TSB-AD 1.5's own code.
private struct RangeAffiliationGolden: Decodable {
    struct PRFValues: Decodable { var precision: Double?; var recall: Double?; var f1: Double? }
    struct Case: Decodable {
        var name: String
        var n: Int
        var labels: [[Int]]
        var predictions: [[Int]]
        var range: PRFValues?
        var affiliation: PRFValues
    }
    var tsb_ad_version: String
    var cases: [Case]
}

final class RangeMetricsTests: XCTestCase {
    func testHandComputedTSBADSettings() throws {
        // Truth [2,5], prediction [4,7]: recall 0.2·1 + 0.8·(2/4) = 0.6, precision 2/4, F1 = 2·0.3/1.1.
        var m = try RangeMetrics.compute(predictions: flags(10, [[4, 7]]), labels: flags(10, [[2, 5]]))
        XCTAssertEqual(m.recall, 0.6, accuracy: 1e-15)
        XCTAssertEqual(m.precision, 0.5, accuracy: 1e-15)
        XCTAssertEqual(m.f1, 0.6 / 1.1, accuracy: 1e-15)
        // One prediction [0,9] over truths [1,2] and [6,8]: each truth fully covered by one range → recall 1;
        // the prediction overlaps 5 of 10 steps and 2 truths: precision ½·5/10 = 0.25 (reciprocal cardinality).
        m = try RangeMetrics.compute(predictions: flags(12, [[0, 9]]), labels: flags(12, [[1, 2], [6, 8]]))
        XCTAssertEqual([m.recall, m.precision], [1, 0.25])
        XCTAssertEqual([m.trueRanges, m.predictedRanges], [2, 1])
        // Two predictions [2,3], [6,7] inside truth [2,9]: recall 0.2 + 0.8·½·(4/8) = 0.4, precision 1.
        m = try RangeMetrics.compute(predictions: flags(12, [[2, 3], [6, 7]]), labels: flags(12, [[2, 9]]))
        XCTAssertEqual(m.recall, 0.4, accuracy: 1e-15)
        XCTAssertEqual(m.precision, 1)
        // Cardinality "one" and α = 0: recall = ω = 4/8.
        m = try RangeMetrics.compute(predictions: flags(12, [[2, 3], [6, 7]]), labels: flags(12, [[2, 9]]),
                                     options: RangeMetricsOptions(alpha: 0, bias: .flat, cardinality: .one))
        XCTAssertEqual(m.recall, 0.5)
    }

    func testPositionalBiases() throws {
        // Truth [0,3] (ℓ = 4), prediction flags its first two steps. α = 0, one range.
        // front δ = 4,3,2,1 → 7/10; back δ = 1,2,3,4 → 3/10; middle δ = 1,2,2,1 → 3/6; flat → 2/4.
        let l = flags(6, [[0, 3]]), p = flags(6, [[0, 1]])
        let expected: [RangeBias: Double] = [.front: 0.7, .back: 0.3, .middle: 0.5, .flat: 0.5]
        for (bias, value) in expected {
            let m = try RangeMetrics.compute(predictions: p, labels: l, options: RangeMetricsOptions(alpha: 0, bias: bias, cardinality: .reciprocal))
            XCTAssertEqual(m.recall, value, accuracy: 1e-15, "\(bias)")
            XCTAssertEqual(m.precision, 1, "\(bias)")                          // the prediction lies inside the truth
        }
        XCTAssertEqual((1...5).map { RangeBias.middle.weight(position: $0, length: 5) }, [1, 2, 3, 2, 1])
    }

    func testEdgeCases() throws {
        // No truth, no prediction, both empty: all 0, never NaN.
        for (p, l) in [(b([0, 1, 0]), b([0, 0, 0])), (b([0, 0, 0]), b([0, 1, 0])), (b([0, 0]), b([0, 0]))] {
            let m = try RangeMetrics.compute(predictions: p, labels: l)
            XCTAssertEqual([m.precision, m.recall, m.f1], [0, 0, 0])
        }
        // All anomalous and all flagged: one range each, everything 1 (TSB-AD finds no range there and gives 0).
        let m = try RangeMetrics.compute(predictions: b([1, 1, 1]), labels: b([1, 1, 1]))
        XCTAssertEqual([m.precision, m.recall, m.f1], [1, 1, 1])
        XCTAssertThrowsError(try RangeMetrics.compute(predictions: b([1]), labels: b([1, 0])))
        XCTAssertThrowsError(try RangeMetrics.compute(predictions: b([1]), labels: b([1]), options: RangeMetricsOptions(alpha: 1.5)))
    }

    func testAgreesWithTSBAD() throws {
        let golden = try loadGolden()
        var maxDiff = 0.0, checked = 0
        for c in golden.cases {
            guard let r = c.range else { continue }
            let m = try RangeMetrics.compute(predictions: flags(c.n, c.predictions), labels: flags(c.n, c.labels))
            for (mine, theirs, what) in [(m.precision, r.precision, "precision"), (m.recall, r.recall, "recall"), (m.f1, r.f1, "f1")] {
                let t = try XCTUnwrap(theirs)
                maxDiff = max(maxDiff, abs(mine - t))
                XCTAssertEqual(mine, t, accuracy: 1e-12, "\(c.name) range \(what)")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 50)
        print("range P/R/F1 max |diff| vs TSB-AD \(golden.tsb_ad_version): \(maxDiff) over \(checked) cases")
    }
}

final class AffiliationTests: XCTestCase {
    func testHandComputed() throws {
        // T = 10, truth J = [2,6), prediction I = [4,8), zone E = [0,10], m = min(2, 4) = 2.
        // Precision: inside J [4,6) → 2; after J d ∈ [0,2]: ∫ 1 − (4 + 2d)/10 dd = 0.8 → (2 + 0.8)/4 = 0.7.
        // Recall: inside I [4,6) → 2; before I, y ∈ [2,4], d = 4 − y ≤ m_y = y: ∫ 1 − 2(4 − y)/10 dy = 1.6 → 3.6/4 = 0.9.
        var a = try Affiliation.compute(predictions: flags(10, [[4, 7]]), labels: flags(10, [[2, 5]]))
        XCTAssertEqual(a.precision, 0.7, accuracy: 1e-15)
        XCTAssertEqual(a.recall, 0.9, accuracy: 1e-15)
        XCTAssertEqual(a.f1, 2 * 0.63 / 1.6, accuracy: 1e-15)
        // T = 20, J = [2,4), I = [16,19): precision d ∈ [12,15], F̄ = 1 − (4 + d)/20 → 7.5/20/3 = 0.125;
        // recall y ∈ [2,4], d = 16 − y, min(d, y) = y → F̄ = 1 − 16/20 = 0.2 everywhere → 0.2.
        a = try Affiliation.compute(predictions: flags(20, [[16, 18]]), labels: flags(20, [[2, 3]]))
        XCTAssertEqual(a.precision, 0.125, accuracy: 1e-15)
        XCTAssertEqual(a.recall, 0.2, accuracy: 1e-15)
        XCTAssertEqual([a.trueEvents, a.predictedEvents, a.zonesWithPrediction], [1, 1, 1])
        // Exact match: 1, 1, 1.
        a = try Affiliation.compute(predictions: flags(10, [[2, 4]]), labels: flags(10, [[2, 4]]))
        XCTAssertEqual([a.precision, a.recall, a.f1], [1, 1, 1])
    }

    func testZonesSplitAtMidpoints() throws {
        // Truths [1,2) and [9,10) in T = 10 → zones [0,5.5] and [5.5,10]; a prediction [5,6) is cut into [5,5.5)
        // and [5.5,6): both zones have a prediction, and the first zone's precision uses only [5,5.5).
        let a = try Affiliation.compute(predictions: flags(10, [[5, 5]]), labels: flags(10, [[1, 1], [9, 9]]))
        XCTAssertEqual(a.zonesWithPrediction, 2)
        // Zone 0: E = [0,5.5], J = [1,2), m = 1, piece d ∈ [3, 3.5]: F̄ = 1 − (1 + 1 + d)/5.5 → mean at d = 3.25.
        let p0 = 1 - (2 + 3.25) / 5.5
        // Zone 1: E = [5.5,10], J = [9,10), m = 0, piece d ∈ [3, 3.5]: F̄ = 1 − (1 + 0 + d)/4.5.
        let p1 = 1 - (1 + 3.25) / 4.5
        XCTAssertEqual(a.precision, (p0 + p1) / 2, accuracy: 1e-14)
    }

    func testEdgeCases() throws {
        // No prediction: precision undefined → 0 (reference: NaN), recall 0.
        var a = try Affiliation.compute(predictions: b([0, 0, 0, 0]), labels: b([0, 1, 1, 0]))
        XCTAssertEqual([a.precision, a.recall, a.f1], [0, 0, 0])
        XCTAssertEqual(a.zonesWithPrediction, 0)
        // No true event: the reference raises; here all 0 with trueEvents = 0.
        a = try Affiliation.compute(predictions: b([0, 1, 0]), labels: b([0, 0, 0]))
        XCTAssertEqual([a.precision, a.recall, a.f1], [0, 0, 0])
        XCTAssertEqual([a.trueEvents, a.predictedEvents], [0, 1])
        XCTAssertThrowsError(try Affiliation.compute(predictions: b([0]), labels: b([0, 1])))
        // Empty series.
        a = try Affiliation.compute(predictions: [], labels: [])
        XCTAssertEqual(a.f1, 0)
    }

    func testAgreesWithTSBAD() throws {
        let golden = try loadGolden()
        var maxP = 0.0, maxR = 0.0, maxF = 0.0, checked = 0
        for c in golden.cases {
            let a = try Affiliation.compute(predictions: flags(c.n, c.predictions), labels: flags(c.n, c.labels))
            let g = c.affiliation
            // Reference NaN / raise (stored as null) → 0 here, by the documented convention.
            XCTAssertEqual(a.precision, g.precision ?? 0, accuracy: 1e-12, "\(c.name) precision")
            XCTAssertEqual(a.recall, g.recall ?? 0, accuracy: 1e-12, "\(c.name) recall")
            XCTAssertEqual(a.f1, g.f1 ?? 0, accuracy: 1e-12, "\(c.name) f1")
            if let p = g.precision, let r = g.recall, let f = g.f1 {
                maxP = max(maxP, abs(a.precision - p)); maxR = max(maxR, abs(a.recall - r)); maxF = max(maxF, abs(a.f1 - f))
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 45)
        print("affiliation max |diff| vs TSB-AD \(golden.tsb_ad_version): precision \(maxP), recall \(maxR), f1 \(maxF) over \(checked) defined cases")
    }
}

private func loadGolden() throws -> RangeAffiliationGolden {
    let url = try XCTUnwrap(Bundle.module.url(forResource: "range_affiliation_tsbad", withExtension: "json", subdirectory: "Goldens"))
    return try JSONDecoder().decode(RangeAffiliationGolden.self, from: Data(contentsOf: url))
}
