import XCTest
@testable import VigilScores

/// Values are worked out by hand from the rule's formulas (written next to each assertion); the percentiles were
/// checked with numpy: np.percentile(np.arange(21), 95) = 19.0, np.percentile([3, 1, 2, 10], 95) = 8.95.
final class SegmentAttributionTests: XCTestCase {
    func testPercentileIsNumpyLinear() {
        XCTAssertEqual(SegmentAttribution.percentile((0...20).map(Double.init), 95), 19.0, accuracy: 1e-12)
        XCTAssertEqual(SegmentAttribution.percentile([3, 1, 2, 10], 95), 8.95, accuracy: 1e-12)
        XCTAssertEqual(SegmentAttribution.percentile([3, 1, 2, 10], 50), 2.5, accuracy: 1e-12)
        XCTAssertEqual(SegmentAttribution.percentile([7], 95), 7)
    }

    func testSegmentsAreMaximalStrictRunsAndNaNEndsARun() {
        // rows:        0    1    2    3    4    5    6    7
        let s: [Double] = [0, 2, 5, 1, 1.5, .nan, 3, 4]
        let segs = AnomalySegment.find(in: s, threshold: 1)
        // Row 3 equals the threshold (not flagged: strict). NaN at 5 splits 4 from 6...7. The last run touches the end.
        XCTAssertEqual(segs, [
            AnomalySegment(start: 1, end: 2, peakIndex: 2, peakScore: 5, meanScore: 3.5),
            AnomalySegment(start: 4, end: 4, peakIndex: 4, peakScore: 1.5, meanScore: 1.5),
            AnomalySegment(start: 6, end: 7, peakIndex: 7, peakScore: 4, meanScore: 3.5),
        ])
        XCTAssertEqual(segs.map(\.length), [2, 1, 2])
        XCTAssertEqual(AnomalySegment.find(in: [], threshold: 0), [])
        XCTAssertEqual(AnomalySegment.find(in: [1, 1], threshold: 1), [])
    }

    func testBaselinesProfileAndAttributionOnAWorkedExample() throws {
        // Training, 21 rows × 3 dims: dim0 = t, dim1 = 2t, dim2 = 0 → b = (19, 38, 1e-8 floor).
        var train: [Double] = []
        for t in 0...20 { train += [Double(t), Double(2 * t), 0] }
        let a = try SegmentAttribution(training: ScoreSet(model: "m", perDimension: train, rows: 21, dims: 3))
        XCTAssertEqual(a.baselines[0], 19, accuracy: 1e-12)
        XCTAssertEqual(a.baselines[1], 38, accuracy: 1e-12)
        XCTAssertEqual(a.baselines[2], 1e-8)

        // Test, 4 rows: aggregate (row mean) = 0, 76/3, 95/3, 0 → one segment 1...2 above threshold 10.
        let test = ScoreSet(model: "m", perDimension: [0, 0, 0, 38, 38, 0, 76, 19, 0, 0, 0, 0], rows: 4, dims: 3)
        let segs = AnomalySegment.find(in: test.aggregate, threshold: 10)
        XCTAssertEqual(segs.count, 1)
        XCTAssertEqual(segs[0].start, 1); XCTAssertEqual(segs[0].end, 2); XCTAssertEqual(segs[0].peakIndex, 2)
        XCTAssertEqual(segs[0].meanScore, 28.5, accuracy: 1e-12)  // (76/3 + 95/3) / 2
        let p = try a.profile(of: segs[0], in: test)
        // Elevation: dim0 (38/19 + 76/19)/2 = 3; dim1 (38/38 + 19/38)/2 = 0.75; dim2 0/1e-8 = 0.
        XCTAssertEqual(p.meanElevation[0], 3, accuracy: 1e-12)
        XCTAssertEqual(p.meanElevation[1], 0.75, accuracy: 1e-12)
        XCTAssertEqual(p.meanElevation[2], 0)
        // Excess: dim0 (38−19) + (76−19) = 76, dim1 0, dim2 0 → shares 1, 0, 0.
        XCTAssertEqual(p.contribution, [1, 0, 0])
        XCTAssertEqual(SegmentAttribution.attributedDimensions(p), [AttributedDimension(dim: 0, meanElevation: 3, contribution: 1)])
    }

    func testAttributionStopsAtEightyPercentOfTheExcess() throws {
        // Baselines 1, one row with scores 13 − d (d = 0…11): elevations 13…2, excess 12…1 (total 78).
        // Cumulative shares 12, 23, 33, 42, 50, 57, 63 /78 → 63/78 = 0.808 ≥ 0.8 after 7 dimensions.
        let a = try SegmentAttribution(baselines: Array(repeating: 1, count: 12))
        let s = ScoreSet(model: "m", perDimension: (0..<12).map { Double(13 - $0) }, rows: 1, dims: 12)
        let p = try a.profile(of: AnomalySegment(start: 0, end: 0, peakIndex: 0, peakScore: 0, meanScore: 0), in: s)
        let kept = SegmentAttribution.attributedDimensions(p)
        XCTAssertEqual(kept.map(\.dim), Array(0..<7))
        XCTAssertEqual(kept[0].contribution, 12.0 / 78, accuracy: 1e-12)
        XCTAssertEqual(kept.map(\.contribution).reduce(0, +), 63.0 / 78, accuracy: 1e-12)
    }

    func testAttributionCapsAtTenAndNeedsElevationTwo() throws {
        // 20 equally elevated dimensions: each 1/20 of the excess, so 80 % is never reached before the cap of 10;
        // ties keep dimension order.
        let a = try SegmentAttribution(baselines: Array(repeating: 1, count: 20))
        let seg = AnomalySegment(start: 0, end: 0, peakIndex: 0, peakScore: 0, meanScore: 0)
        let flat = try a.profile(of: seg, in: ScoreSet(model: "m", perDimension: Array(repeating: 100, count: 20), rows: 1, dims: 20))
        XCTAssertEqual(SegmentAttribution.attributedDimensions(flat).map(\.dim), Array(0..<10))
        // Elevations 3, 1.9, 0 with baselines 1: excess 2, 0.9, 0, so dimension 0 covers 2/2.9 = 0.69 < 80 %;
        // dimension 1 would be next but its elevation 1.9 is below 2.0, so only dimension 0 is kept.
        let b = try SegmentAttribution(baselines: [1, 1, 1])
        let r = try b.profile(of: seg, in: ScoreSet(model: "m", perDimension: [3, 1.9, 0], rows: 1, dims: 3))
        XCTAssertEqual(SegmentAttribution.attributedDimensions(r).map(\.dim), [0])
    }

    func testErrorsSayWhatIsWrong() throws {
        XCTAssertThrowsError(try SegmentAttribution(training: ScoreSet(model: "iforest", aggregate: [1, 2]))) {
            XCTAssertEqual($0 as? AttributionError, .noPerDimensionScores(model: "iforest"))
        }
        XCTAssertThrowsError(try SegmentAttribution(training: ScoreSet(model: "t", perDimension: [1, .nan], rows: 1, dims: 2))) {
            XCTAssertEqual($0 as? AttributionError, .nonFiniteTraining(model: "t", dimension: 1))
        }
        XCTAssertThrowsError(try SegmentAttribution(baselines: [1, 0])) {
            XCTAssertEqual($0 as? AttributionError, .invalidBaseline(dimension: 1, value: 0))
        }
        let a = try SegmentAttribution(baselines: [1, 1])
        let seg = AnomalySegment(start: 1, end: 3, peakIndex: 1, peakScore: 0, meanScore: 0)
        XCTAssertThrowsError(try a.profile(of: seg, in: ScoreSet(model: "t", perDimension: [1, 1, 1, 1], rows: 2, dims: 2))) {
            XCTAssertEqual($0 as? AttributionError, .segmentOutOfRange(start: 1, end: 3, rows: 2))
        }
        XCTAssertThrowsError(try a.profile(of: seg, in: ScoreSet(model: "t", perDimension: [1, 1, 1, 1, 1, 1], rows: 2, dims: 3))) {
            XCTAssertEqual($0 as? AttributionError, .dimensionMismatch(baselines: 2, scores: 3))
        }
    }
}
