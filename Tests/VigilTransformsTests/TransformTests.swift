import Foundation
import XCTest
import VigilScores
import VigilThresholds
@testable import VigilTransforms

final class TransformTests: XCTestCase {
    /// 2-column scores (rows × 2).
    func twoColumns(_ rows: [[Double]], model: String = "m") -> ScoreSet {
        ScoreSet(model: model, perDimension: rows.flatMap { $0 }, rows: rows.count, dims: rows.first?.count ?? 0)
    }

    func testZScoreWithFlooredScaleAndMaxMeanByHand() throws {
        // column 0: 1, 2, 3 → mean 2, std √(2/3) = 0.816497; column 1 constant → std 0, floored at 0.5 · median(0.816497, 0)
        let train = twoColumns([[1, 10], [2, 10], [3, 10]])
        let floor = 0.5 * (0.816496580927726 / 2)
        for (agg, expected) in [(ScoreAggregation.max, 0.5 / floor), (.mean, (1 / 0.816496580927726 + 0.5 / floor) / 2)] {
            let st = try TransformState.fit(TransformSettings(normalize: .zscore, aggregate: agg, scaleFloor: 0.5), train: train)
            XCTAssertEqual(st.center, [2, 10])
            XCTAssertEqual(st.scale[0], 0.816496580927726, accuracy: 1e-12)
            XCTAssertEqual(st.scale[1], floor, accuracy: 1e-12)
            let out = try st.apply(twoColumns([[3, 10.5]]))
            XCTAssertEqual(out.aggregate[0], expected, accuracy: 1e-9)
            XCTAssertEqual(out.perDimension[0], 1 / 0.816496580927726, accuracy: 1e-12)   // normalized per-dimension scores kept
        }
    }

    func testRobustMedianIQRAndTopKByHand() throws {
        // column: 1, 2, 3, 4 → median 2.5, Q25 1.75, Q75 3.25 (numpy linear), IQR 1.5
        let (m, iqr) = ScoreStatistics.medianIQR([4, 1, 3, 2])
        XCTAssertEqual(m, 2.5); XCTAssertEqual(iqr, 1.5)
        // top-2 mean of a row (3, 1, 2) = 2.5; k above D = the mean
        let three = ScoreSet(model: "m", perDimension: [3, 1, 2], rows: 1, dims: 3)
        let top2 = try TransformState.fit(TransformSettings(aggregate: .topK(2)), train: three)
        XCTAssertEqual(try top2.apply(three).aggregate, [2.5])
        let top9 = try TransformState.fit(TransformSettings(aggregate: .topK(9)), train: three)
        XCTAssertEqual(try top9.apply(three).aggregate, [2])
    }

    func testSmoothingByHand() throws {
        let s = ScoreSet(model: "iforest", aggregate: [3, 6, 9, 12])
        let ma = try TransformState.fit(TransformSettings(smooth: .movingAverage(window: 3)), train: s)
        XCTAssertEqual(try ma.apply(s).aggregate, [3, 4.5, 6, 9])
        // span 3 → α = 0.5: 4, 2, 5
        let e = ScoreSet(model: "iforest", aggregate: [4, 0, 8])
        let ewma = try TransformState.fit(TransformSettings(smooth: .ewma(window: 3)), train: e)
        XCTAssertEqual(try ewma.apply(e).aggregate, [4, 2, 5])
        XCTAssertFalse(ma.reads.readsPastScores)      // a fixed filter: nothing estimated from the stream
        XCTAssertTrue(ma.isDeployable)
    }

    func testMovingAverageStaysExactOverLongStreams() throws {
        // the running sum is re-based every 4096 rows; compare with a direct window mean
        let x: [Double] = (0..<10_000).map { (i: Int) -> Double in
            let a = Double((i * 7919) % 1000) / 7
            return a + 1e6 * Double(i % 2)
        }
        let s = ScoreSet(model: "iforest", aggregate: x)
        let st = try TransformState.fit(TransformSettings(smooth: .movingAverage(window: 50)), train: s)
        let y = try st.apply(s).aggregate
        for t in [0, 49, 4095, 4096, 9999] {
            let lo = max(0, t - 49)
            let direct = x[lo...t].reduce(0, +) / Double(t - lo + 1)
            XCTAssertEqual(y[t], direct, accuracy: 1e-6 * abs(direct))
        }
    }

    func testCausalRobustNormalizationByHand() throws {
        // history (last W = 3 training scores) 1, 2, 3; stream 10, 2:
        //   t = 0: window {1, 2, 3}: median 2, IQR 2.5 − 1.5 = 1 → (10 − 2) / 1 = 8
        //   t = 1: window {2, 3, 10}: median 3, IQR 6.5 − 2.5 = 4 → (2 − 3) / 4 = −0.25
        let train = ScoreSet(model: "iforest", aggregate: [5, 1, 2, 3])
        let st = try TransformState.fit(TransformSettings(causalWindow: 3, scaleFloor: 0), train: train)
        XCTAssertEqual(st.causalHistory, [1, 2, 3])
        XCTAssertEqual(try st.apply(ScoreSet(model: "iforest", aggregate: [10, 2])).aggregate, [8, -0.25])
        XCTAssertTrue(st.reads.readsPastScores)
        XCTAssertFalse(st.isDeployable)
        // unseeded (a stream starting with the training rows): row 0 uses the reference (median 2, IQR 1)
        XCTAssertEqual(try st.apply(ScoreSet(model: "iforest", aggregate: [4]), seeded: false).aggregate, [2])
    }

    func testReadsFlagsFollowTheStatistics() throws {
        let train = twoColumns([[1, 2], [2, 3], [4, 1]]), val = twoColumns([[2, 2], [3, 3]]), test = twoColumns([[9, 9]])
        let t = try TransformState.fit(TransformSettings(normalize: .zscore, aggregate: .max), train: train, validation: val)
        XCTAssertEqual(t.reads, ScoreReads(.trainScores))
        XCTAssertTrue(t.isDeployable)
        let v = try TransformState.fit(TransformSettings(normalize: .robust, statistics: .validation, aggregate: .max), train: train, validation: val)
        XCTAssertEqual(v.reads, ScoreReads(.validationScores))
        XCTAssertTrue(v.isDeployable)
        let x = try TransformState.fit(TransformSettings(normalize: .zscore, statistics: .test, aggregate: .max), train: train, test: test)
        XCTAssertTrue(x.reads.readsTestScores)
        XCTAssertFalse(x.isDeployable)
        XCTAssertThrowsError(try TransformState.fit(TransformSettings(normalize: .zscore, statistics: .validation, aggregate: .max), train: train)) {
            XCTAssertTrue(String(describing: $0).contains("validation.fraction"), "\($0)")
        }
        let identity = try TransformState.fit(TransformSettings(), train: train)
        XCTAssertEqual(identity.reads, ScoreReads())
        XCTAssertEqual(try identity.apply(test), test)
    }

    func testStateRoundTripsAndReproducesApply() throws {
        let train = twoColumns((0..<50).map { [Double($0 % 7) * 0.1, Double($0 % 5) * 0.2] })
        let val = twoColumns((0..<20).map { [Double($0 % 3) * 0.1, Double($0 % 4) * 0.2] })
        let test = twoColumns((0..<30).map { [Double($0 % 11) * 0.1, $0 == 17 ? 5 : 0.3] })
        let st = try TransformState.fit(TransformSettings(normalize: .robust, statistics: .validation, aggregate: .topK(1),
                                                          smooth: .ewma(window: 4), causalWindow: 8, scaleFloor: 0.05),
                                        train: train, validation: val)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data = try enc.encode(st)
        let back = try JSONDecoder().decode(TransformState.self, from: data)
        XCTAssertEqual(back, st)
        try back.validate()
        XCTAssertEqual(try back.apply(test), try st.apply(test))
        let json = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(json.contains("\"reads_past_scores\":true"), json)
        // the validation block transformed after the fitted rows = the tail of the whole stream
        let whole = try st.apply(ScoreSet.concatenating(train, val), seeded: false)
        XCTAssertEqual(try st.apply(val, after: train).aggregate, Array(whole.aggregate[50...]))
    }

    func testBadInputsAreErrorsNotTraps() throws {
        let train = twoColumns([[1, 2], [2, 3]])
        let st = try TransformState.fit(TransformSettings(normalize: .zscore, aggregate: .mean), train: train)
        XCTAssertThrowsError(try st.apply(ScoreSet(model: "m", perDimension: [1, 2, 3], rows: 1, dims: 3)))
        XCTAssertThrowsError(try st.apply(twoColumns([[1, .nan]])))
        XCTAssertThrowsError(try TransformState.fit(TransformSettings(aggregate: .topK(0)), train: train))
        XCTAssertThrowsError(try TransformState.fit(TransformSettings(causalWindow: 1), train: train))
        XCTAssertThrowsError(try TransformState.fit(TransformSettings(scaleFloor: 2), train: train))
        var damaged = st
        damaged.scale = [1]
        XCTAssertThrowsError(try damaged.validate())
        XCTAssertEqual(try st.apply(ScoreSet(model: "m", perDimension: [], rows: 0, dims: 2)).rows, 0)
    }

    // MARK: goldens (scripts/golden_transforms.py: numpy percentiles and std, pandas rolling/ewm)

    struct Goldens: Decodable {
        struct Inputs: Decodable { var train: [Double]; var validation: [Double]; var test: [Double]; var dims: Int }
        struct Case: Decodable {
            var name: String, normalize: String, statistics: String, aggregate: String, k: Int, smooth: String, w: Int, causal: Int
            var floor: Double
            var center: [Double], scale: [Double]
            var test_normalized: [Double], test_transformed: [Double]
            var causal_history: [Double]?
        }
        var inputs: Inputs
        var cases: [Case]
    }

    func testAgainstNumpyPandasGoldens() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "transforms", withExtension: "json", subdirectory: "Goldens"))
        let g = try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: url))
        let d = g.inputs.dims
        func set(_ v: [Double]) -> ScoreSet { ScoreSet(model: "m", perDimension: v, rows: v.count / d, dims: d) }
        let train = set(g.inputs.train), val = set(g.inputs.validation), test = set(g.inputs.test)
        for c in g.cases {
            let settings = TransformSettings(
                normalize: try XCTUnwrap(ScoreNormalization(rawValue: c.normalize)),
                statistics: try XCTUnwrap(NormalizationStatistics(rawValue: c.statistics)),
                aggregate: try XCTUnwrap(ScoreAggregation(name: c.aggregate, k: c.k)),
                smooth: try XCTUnwrap(ScoreSmoothing(name: c.smooth, window: c.w)), causalWindow: c.causal, scaleFloor: c.floor)
            let st = try TransformState.fit(settings, train: train, validation: val)
            if c.normalize != "none" {
                for (a, b) in zip(st.center, c.center) { XCTAssertEqual(a, b, accuracy: 1e-12, c.name) }
                for (a, b) in zip(st.scale, c.scale) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, b), c.name) }
            }
            if let h = c.causal_history {
                XCTAssertEqual(st.causalHistory.count, h.count, c.name)
                for (a, b) in zip(st.causalHistory, h) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), c.name) }
            }
            let out = try st.apply(test)
            XCTAssertEqual(out.aggregate.count, c.test_transformed.count, c.name)
            for (i, (a, b)) in zip(out.aggregate, c.test_transformed).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), "\(c.name) row \(i)")
            }
            if c.normalize != "none" {
                for (a, b) in zip(out.perDimension, c.test_normalized) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), c.name) }
            }
        }
    }
}
