import Foundation
import XCTest
@testable import VigilMetrics

private func b(_ x: [Int]) -> [Bool] { x.map { $0 != 0 } }

final class VUSTests: XCTestCase {
    // labels 1 1 0 0 1 0 (segments [0,1], [4]); scores with a tie at 0.2 between an anomaly and a normal step.
    let labels = b([1, 1, 0, 0, 1, 0])
    let scores = [0.8, 0.2, 0.5, 0.2, 0.9, 0.1]

    /// Buffer 0 by hand. Distinct thresholds 0.9, 0.8, 0.5, 0.2 (flags both tied steps), 0.1; P = P' = 3, n − P' = 3.
    ///   θ     flagged     TP  existence  TPR   FPR   precision
    ///   0.9   {4}         1   1/2        1/6   0     1
    ///   0.8   {4,0}       2   2/2        2/3   0     1
    ///   0.5   {4,0,2}     2   1          2/3   1/3   2/3
    ///   0.2   +{1,3}      3   1          1     2/3   3/5
    ///   0.1   all         3   1          1     1     1/2
    /// ROC: 1/3·2/3 + 1/3·(2/3+1)/2 + 1/3·1 = 5/6 (= the ordinary ROC-AUC with the tie counted 1/2).
    /// PR: 1/6·1 + 1/2·1 + 1/3·3/5 = 13/15.
    func testBufferZeroByHand() throws {
        let v = try XCTUnwrap(try VUS.compute(scores: scores, labels: labels, window: 0))
        XCTAssertEqual(v.roc, 5.0 / 6, accuracy: 1e-15)
        XCTAssertEqual(v.pr, 13.0 / 15, accuracy: 1e-15)
        XCTAssertEqual(v.roc, try XCTUnwrap(RankingMetrics.rocAUC(scores: scores, labels: labels)), accuracy: 1e-15)
        // Buffer 1 has h = ⌊1/2⌋ = 0: identical to buffer 0.
        let v1 = try XCTUnwrap(try VUS.compute(scores: scores, labels: labels, window: 1))
        XCTAssertEqual(v1.rocPerBuffer, [v.roc, v.roc])
        XCTAssertEqual(v1.prPerBuffer, [v.pr, v.pr])
    }

    /// Buffer 2 (h = 1) by hand. Steps 2, 3, 5 each lie 1 step from one segment: weight r = √(1 − 1/2) = √½.
    /// Regions [0,2] and [3,5] touch but stay separate (b_0 + h = 2 < a_1 − h = 3).
    ///   θ     A  B    TP       P' = 3 + B/2   TPR                     FP        FPR = FP/(6 − P')    precision
    ///   0.9   1  0    1        3              1/3 · 1/2 = 1/6         0         0                    1
    ///   0.8   2  0    2        3              2/3                     0         0                    1
    ///   0.5   2  r    2 + r    3 + r/2        (2+r)/(3+r/2)           1 − r     (1−r)/(3−r/2)        (2+r)/3
    ///   0.2   3  2r   3 + 2r   3 + r          min(…, 1) = 1           2 − 2r    (2−2r)/(3−r)         (3+2r)/5
    ///   0.1   3  3r   3 + 3r   3 + 3r/2       1                       3 − 3r    (3−3r)/(3−3r/2)      (3+3r)/6
    /// The last FPR is < 1 (P' counts half the flagged buffer): the closing point (1,1) supplies the rest.
    func testBufferTwoByHand() throws {
        let r = 0.5.squareRoot()
        let t3 = (2 + r) / (3 + r / 2), f3 = (1 - r) / (3 - r / 2)
        let f4 = (2 - 2 * r) / (3 - r), f5 = (3 - 3 * r) / (3 - 1.5 * r)
        let roc2 = f3 * (t3 + 2.0 / 3) / 2 + (f4 - f3) * (1 + t3) / 2 + (f5 - f4) + (1 - f5)
        let pr2 = 1.0 / 6 + 0.5 + (t3 - 2.0 / 3) * (2 + r) / 3 + (1 - t3) * (3 + 2 * r) / 5
        let v = try XCTUnwrap(try VUS.compute(scores: scores, labels: labels, window: 2))
        XCTAssertEqual(v.rocPerBuffer[2], roc2, accuracy: 1e-14)
        XCTAssertEqual(v.prPerBuffer[2], pr2, accuracy: 1e-14)
        XCTAssertEqual(v.roc, (5.0 / 6 + 5.0 / 6 + roc2) / 3, accuracy: 1e-14)
        XCTAssertEqual(v.pr, (13.0 / 15 + 13.0 / 15 + pr2) / 3, accuracy: 1e-14)
        XCTAssertEqual(VUS.bufferedRegions(segments: DetectionMetrics.segments(labels), half: 1, count: 6),
                       [Segment(start: 0, end: 2), Segment(start: 3, end: 5)])
    }

    func testBufferWeights() {
        // Segments [3,3] and [9,9] in 0…12. w = 5 (h = 2): d = 1, 2 → √0.8, √0.6; w = 12 (h = 6): step 6 is 3 from
        // both segments → 1 (clipped sum); step 0 is 3 before segment 3 → √(1 − 3/12).
        let segs = [Segment(start: 3, end: 3), Segment(start: 9, end: 9)]
        let l = b([0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0])
        let gap = VUS.gapIndex(labels: l, segments: segs)
        func weight(_ t: Int, _ w: Int) -> Double { VUS.bufferWeight(t: t, gap: gap[t], segments: segs, window: w) }
        XCTAssertEqual(weight(4, 5), 0.8.squareRoot())
        XCTAssertEqual(weight(5, 5), 0.6.squareRoot())
        XCTAssertEqual(weight(6, 5), 0)
        XCTAssertEqual(weight(1, 5), 0.6.squareRoot())
        XCTAssertEqual(weight(6, 12), 1)
        XCTAssertEqual(weight(0, 12), 0.75.squareRoot())
        XCTAssertEqual(weight(12, 12), 0.75.squareRoot())
        XCTAssertEqual(weight(4, 1), 0)                               // h = 0
        // Regions for h = 3: [0,6] and [6,12] overlap at 6 → merged into one; h = 2: 5 < 7 → two.
        XCTAssertEqual(VUS.bufferedRegions(segments: segs, half: 3, count: 13), [Segment(start: 0, end: 12)])
        XCTAssertEqual(VUS.bufferedRegions(segments: segs, half: 2, count: 13), [Segment(start: 1, end: 5), Segment(start: 7, end: 11)])
    }

    func testThresholdGridIsNumpyLinspaceTruncated() {
        XCTAssertEqual(VUS.thresholdIndices(n: 1000).prefix(4), [0, 4, 8, 12])
        XCTAssertEqual(VUS.thresholdIndices(n: 1000).last, 999)
        XCTAssertEqual(VUS.thresholdIndices(n: 5).suffix(3), [3, 3, 4])
        XCTAssertEqual(VUS.thresholdIndices(n: 1), [Int](repeating: 0, count: 250))
        // numpy: linspace(0, n-1, 250)[83] is 83·((n−1)/249) in floating point, just below the integer (n−1)/3,
        // so astype(int) gives one less than exact arithmetic would.
        XCTAssertEqual(VUS.thresholdIndices(n: 22)[83], 6)
        XCTAssertEqual(VUS.thresholdIndices(n: 319)[83], 105)
        XCTAssertEqual(VUS.thresholdIndices(n: 628)[83], 208)
    }

    func testTiesAreFlaggedTogether() {
        // Sorted: 3, 2, 2, 2, 1. With n = 5 the grid indexes 0 (value 3), 1–3 (value 2, flags 4 steps) and 4.
        let f = VUS.flagRanks(scaled: [2, 3, 1, 2, 2])
        XCTAssertEqual(Set(f.flaggedCount), [1, 4, 5])
        let firstOf4 = f.flaggedCount.firstIndex(of: 4)!
        XCTAssertEqual(f.firstThreshold[1], 0)
        XCTAssertEqual([f.firstThreshold[0], f.firstThreshold[3], f.firstThreshold[4]], [firstOf4, firstOf4, firstOf4])
        XCTAssertEqual(f.firstThreshold[2], f.flaggedCount.firstIndex(of: 5)!)
    }

    func testMinMaxScalingAsSklearn() {
        XCTAssertEqual(VUS.minMaxScaled([2, 4, 3]), [0, 1, 0.5])
        XCTAssertEqual(VUS.minMaxScaled([7, 7]), [0, 0])                         // constant → 0 (scale 1)
        // A range below 10ε is treated as constant: values are only shifted.
        XCTAssertEqual(VUS.minMaxScaled([1, 1 + 2.220446049250313e-16]), [0, 2.220446049250313e-16])
    }

    func testScaleInvariantAndPerfect() throws {
        let l = b([0, 0, 1, 1, 0, 0, 0, 1, 0, 0])
        let s = [0.1, 0.3, 0.9, 0.8, 0.2, 0.4, 0.1, 0.7, 0.3, 0.2]
        for w in [0, 3, 8] {
            let a = try XCTUnwrap(try VUS.compute(scores: s, labels: l, window: w))
            let c = try XCTUnwrap(try VUS.compute(scores: s.map { 5 * $0 - 3 }, labels: l, window: w))
            XCTAssertEqual(a, c)
        }
        // Perfect ranking, no buffer: every anomaly above every normal step → both volumes 1.
        let p = try XCTUnwrap(try VUS.compute(scores: s, labels: l, window: 0))
        XCTAssertEqual(p.roc, 1, accuracy: 1e-15)
        XCTAssertEqual(p.pr, 1, accuracy: 1e-15)
    }

    func testUndefinedAndInvalidInputs() throws {
        XCTAssertNil(try VUS.compute(scores: [1, 2, 3], labels: b([0, 0, 0]), window: 0))
        XCTAssertNil(try VUS.compute(scores: [1, 2, 3], labels: b([1, 1, 1]), window: 5))
        XCTAssertThrowsError(try VUS.compute(scores: [], labels: [], window: 0))
        XCTAssertThrowsError(try VUS.compute(scores: [1, 2], labels: b([1]), window: 0))
        XCTAssertThrowsError(try VUS.compute(scores: [1, .nan], labels: b([1, 0]), window: 0))
        XCTAssertThrowsError(try VUS.compute(scores: [1, 2], labels: b([1, 0]), window: -1)) { e in
            XCTAssertEqual(e as? MetricsError, .invalidParameter(what: "vus_window", value: "-1",
                expected: "an integer buffer length from 0 to 100000 (0 = TSB-AD's multivariate convention)"))
        }
        XCTAssertThrowsError(try VUS.compute(scores: [1, 2], labels: b([1, 0]), window: VUS.maximumWindow + 1))
        XCTAssertThrowsError(try VUS.compute(scores: [1, 2], labels: b([1, 0]), window: Int.max))
    }
}
