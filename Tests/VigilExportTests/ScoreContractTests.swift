import Foundation
import XCTest
import VigilData
import VigilResults
import VigilScores
import VigilTranAD
@testable import VigilExport

/// The JSON contract of `vigil score --model`: field names, types and order, the segment and attribution math on a
/// hand-made case, request parsing and every bad input.
final class ScoreContractTests: XCTestCase {
    /// 8 rows × 3 dimensions of per-dimension scores, baselines 1, threshold 2 (1-D score = row mean):
    ///   row: 0      1      2      3       4      5       6      7
    ///   d0   1      5      7      10      1      1       0      3
    ///   d1   1      1      1      4       1      1       0      3
    ///   d2   1      0      1      1       1      10      0      3
    ///   mean 1      2      3      5       1      4       0      3
    /// Row 1's mean equals the threshold: not anomalous (strictly greater). Segments: rows 2–3, 5, 7 (at the end).
    static let table: [[Double]] = [[1, 1, 1], [5, 1, 0], [7, 1, 1], [10, 4, 1], [1, 1, 1], [1, 1, 10], [0, 0, 0], [3, 3, 3]]

    func handMadeBundle(baselines: [Double]? = [1, 1, 1]) -> ServingBundle {
        var threshold = ExportedThreshold(value: 2, method: "pot", calibration: "pot_train", details: ThresholdDetails(nCalibrationScores: 100),
                                          readsTestScores: false, readsTestLabels: false)
        threshold.details.q = 1e-5
        let state = ScorerState(model: "tranad", threshold: threshold, featureBaselines: baselines, featureLabels: ["cpu", "mem", "disk"],
                                nFeatures: 3, windowSize: 2, scoringMode: "phase2_only", alignment: "inclusive",
                                scoreAggregation: "mean", createdAt: "2026-01-01T00:00:00Z", provenance: testProvenance)
        return ServingBundle(directory: "hand", state: state, normalizer: MinMaxNormalizer(min: [0, 0, 0], max: [1, 1, 1]),
                             detector: TableDetector(Self.table), epochsTrained: 1)
    }

    var rows: ScoreRequest { ScoreRequest(data: DataMatrix(rows: 8, cols: 3, repeating: 0.5), source: "rows.csv") }

    func testSegmentsAndAttributionOnAHandMadeCase() throws {
        var o = ServingScorer.Options()
        o.includePerTimestep = true
        let r = try ServingScorer.score(handMadeBundle(), request: rows, options: o).response
        XCTAssertEqual(r.nTimesteps, 8)
        XCTAssertEqual(r.nFeatures, 3)
        XCTAssertEqual(r.threshold, 2)
        XCTAssertEqual(r.nAnomalies, 4)
        XCTAssertEqual(r.anomalyRatio, 0.5)
        XCTAssertEqual(r.perTimestep?.map(\.score), [1, 2, 3, 5, 1, 4, 0, 3])
        XCTAssertEqual(r.perTimestep?.map(\.isAnomaly), [false, false, true, true, false, true, false, true])
        XCTAssertEqual(r.perTimestep?.map(\.index), Array(0..<8))
        typealias D = ScoreResponse.Dimension
        // rows 2–3: elevations d0 (7+10)/2 = 8.5, d1 (1+4)/2 = 2.5, d2 1; excess d0 6+9 = 15, d1 3, d2 0 → shares 15/18, 3/18.
        // d0 is kept (8.5 ≥ 2); its 83 % already covers 80 %, so d1 is not.
        // row 5: d2 alone rises (elevation 10, excess 9 of 9).
        // row 7: elevations 3, 3, 3, shares 1/3 each: ranked by index on ties, all three needed to reach 80 %.
        XCTAssertEqual(r.anomalySegments, [
            .init(segmentStart: 2, segmentEnd: 3, segmentLength: 2, peakScore: 5, peakTimestamp: .int(3), meanScore: 4,
                  attributedDimensions: [D(dim: 0, label: "cpu", meanElevation: 8.5, contribution: 15.0 / 18)]),
            .init(segmentStart: 5, segmentEnd: 5, segmentLength: 1, peakScore: 4, peakTimestamp: .int(5), meanScore: 4,
                  attributedDimensions: [D(dim: 2, label: "disk", meanElevation: 10, contribution: 1)]),
            .init(segmentStart: 7, segmentEnd: 7, segmentLength: 1, peakScore: 3, peakTimestamp: .int(7), meanScore: 3,
                  attributedDimensions: [D(dim: 0, label: "cpu", meanElevation: 3, contribution: 1.0 / 3),
                                         D(dim: 1, label: "mem", meanElevation: 3, contribution: 1.0 / 3),
                                         D(dim: 2, label: "disk", meanElevation: 3, contribution: 1.0 / 3)]),
        ])
        // baselines 4 per dimension: row 7's elevations are 0.75 (< 2), so nothing is attributed there
        let high = try ServingScorer.score(handMadeBundle(baselines: [4, 4, 4]), request: rows, options: o).response
        XCTAssertEqual(high.anomalySegments.last?.attributedDimensions, [])
        XCTAssertEqual(high.anomalySegments[1].attributedDimensions, [D(dim: 2, label: "disk", meanElevation: 2.5, contribution: 1)])
    }

    func testJSONFieldNamesTypesAndOrder() throws {
        var o = ServingScorer.Options()
        o.storeID = .int(12)
        o.deviceID = .string("edge-7")
        let r = try ServingScorer.score(handMadeBundle(), request: rows, options: o).response
        let text = String(decoding: r.jsonData(), as: UTF8.self)
        let top = ["n_timesteps", "n_features", "threshold", "n_anomalies", "anomaly_ratio", "anomaly_segments", "per_timestep",
                   "scoring_mode", "threshold_method", "store_id", "device_id"]
        let positions = top.map { text.range(of: "\"\($0)\" :")?.lowerBound }
        XCTAssertFalse(positions.contains(nil), text)
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted(), "keys in contract order")
        let json = try jsonObject(Array(text.utf8))
        XCTAssertEqual(Set(json.keys), Set(top))
        XCTAssertEqual(json["n_timesteps"] as? Int, 8)
        XCTAssertEqual(json["n_features"] as? Int, 3)
        XCTAssertEqual(num(json["threshold"]), 2)
        XCTAssertEqual(json["n_anomalies"] as? Int, 4)
        XCTAssertEqual(num(json["anomaly_ratio"]), 0.5)
        XCTAssertTrue(json["per_timestep"] is NSNull, "per_timestep is null unless asked for")
        XCTAssertEqual(json["scoring_mode"] as? String, "phase2_only")
        XCTAssertEqual(json["threshold_method"] as? String, "pot")
        XCTAssertEqual(json["store_id"] as? Int, 12)
        XCTAssertEqual(json["device_id"] as? String, "edge-7")
        let seg = try XCTUnwrap((json["anomaly_segments"] as? [Any])?.first as? [String: Any])
        XCTAssertEqual(Set(seg.keys), ["segment_start", "segment_end", "segment_length", "peak_score", "peak_timestamp", "mean_score",
                                       "attributed_dimensions"])
        XCTAssertEqual(seg["segment_start"] as? Int, 2)
        XCTAssertEqual(seg["segment_end"] as? Int, 3)
        XCTAssertEqual(seg["segment_length"] as? Int, 2)
        XCTAssertEqual(num(seg["peak_score"]), 5)
        XCTAssertEqual(seg["peak_timestamp"] as? Int, 3)
        XCTAssertEqual(num(seg["mean_score"]), 4)
        let dim = try XCTUnwrap((seg["attributed_dimensions"] as? [Any])?.first as? [String: Any])
        XCTAssertEqual(Set(dim.keys), ["dim", "label", "mean_elevation", "contribution"])
        XCTAssertEqual(dim["dim"] as? Int, 0)
        XCTAssertEqual(dim["label"] as? String, "cpu")
        XCTAssertEqual(num(dim["mean_elevation"]), 8.5)
        XCTAssertEqual(num(dim["contribution"]), 15.0 / 18)

        // without ids there are no id keys; without attribution the dimensions are null; per_timestep when asked
        o = ServingScorer.Options()
        o.attribution = false
        o.includePerTimestep = true
        let plain = try jsonObject(Array(ServingScorer.score(handMadeBundle(), request: rows, options: o).response.jsonData()))
        XCTAssertNil(plain["store_id"])
        XCTAssertNil(plain["device_id"])
        XCTAssertTrue(((plain["anomaly_segments"] as? [Any])?.first as? [String: Any])?["attributed_dimensions"] is NSNull)
        let ts = try XCTUnwrap((plain["per_timestep"] as? [Any])?[3] as? [String: Any])
        XCTAssertEqual(ts["index"] as? Int, 3)
        XCTAssertEqual(num(ts["score"]), 5)
        XCTAssertEqual(ts["is_anomaly"] as? Bool, true)
    }

    func testJSONRequestFieldsAreHonoured() throws {
        let body = """
        {"data": [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [1, 2, 3], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]],
         "store_id": "store-9", "device_id": 41, "include_per_timestep": true,
         "timestamps": ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"], "model_version": "v3"}
        """
        let req = try ScoreRequest.parseJSON(Array(body.utf8), path: "req.json")
        XCTAssertEqual(req.data.rows, 8)
        XCTAssertEqual(req.data[2, 2], 3)
        XCTAssertEqual(req.ignoredFields, ["model_version"])
        let res = try ServingScorer.score(handMadeBundle(), request: req, options: .init())
        XCTAssertEqual(res.response.storeID, .string("store-9"))
        XCTAssertEqual(res.response.deviceID, .int(41))
        XCTAssertEqual(res.response.perTimestep?.count, 8, "include_per_timestep of the request")
        XCTAssertEqual(res.response.anomalySegments.map(\.peakTimestamp), [.string("t3"), .string("t5"), .string("t7")])
        XCTAssertEqual(res.warnings, ["request fields not used by vigil score: model_version"])
        // options win over request fields
        var o = ServingScorer.Options()
        o.storeID = .int(1)
        XCTAssertEqual(try ServingScorer.score(handMadeBundle(), request: req, options: o).response.storeID, .int(1))
    }

    func testBadJSONRequestsNameTheProblem() {
        let cases: [(String, String)] = [
            ("[1, 2]", "the top level is not an object"),
            ("{\"rows\": [[1]]}", "missing key 'data'"),
            ("{\"data\": []}", "\"data\" has no rows"),
            ("{\"data\": [[]]}", "data[0] has no values"),
            ("{\"data\": [[1, 2], [3]]}", "data[1] has 1 values but data[0] has 2"),
            ("{\"data\": [[1, null]]}", "data[0][1] is null, expected a number"),
            ("{\"data\": [[1, \"2\"]]}", "data[0][1] is not a number"),
            ("{\"data\": [[1, true]]}", "data[0][1] is not a number"),
            ("{\"data\": [[1, 2]], \"store_id\": [1]}", "\"store_id\" must be an integer or a string"),
            ("{\"data\": [[1, 2]], \"include_per_timestep\": \"yes\"}", "include_per_timestep is not true or false"),
            ("{\"data\": [[1, 2]], \"timestamps\": [1, 2]}", "\"timestamps\" has 2 values for 1 rows"),
            ("{\"data\": [[1, 2]", "not valid JSON"),
        ]
        for (body, expected) in cases {
            XCTAssertThrowsError(try ScoreRequest.parseJSON(Array(body.utf8), path: "r.json"), body) {
                XCTAssertTrue("\($0)".hasPrefix("r.json: ") && "\($0)".contains(expected), "\(body): \($0)")
                XCTAssertFalse("\($0)".contains("NSCocoaErrorDomain"), "\($0)")
            }
        }
    }

    func testBadRowsAreRefusedBeforeScoring() throws {
        let b = handMadeBundle()
        func refused(_ data: DataMatrix, _ expected: String, line: UInt = #line) {
            XCTAssertThrowsError(try ServingScorer.score(b, request: ScoreRequest(data: data, source: "in.csv"), options: .init()), line: line) {
                XCTAssertEqual("\($0)", expected, line: line)
            }
        }
        refused(DataMatrix(rows: 1, cols: 3, repeating: 0.5),
                "in.csv has 1 row but the model's window is 2 rows: send at least 2 consecutive rows")
        refused(DataMatrix(rows: 8, cols: 4, repeating: 0.5),
                "in.csv has 4 features per row but the model was trained on 3: send rows with the training columns, in order")
        var nan = DataMatrix(rows: 8, cols: 3, repeating: 0.5)
        nan[4, 1] = .nan
        refused(nan, "in.csv: row 5, column 2 is nan; every value must be a finite number: remove or impute NaN/Inf first")
        var inf = nan
        inf[4, 1] = 0.5
        inf[0, 0] = -.infinity
        refused(inf, "in.csv: row 1, column 1 is -inf; every value must be a finite number: remove or impute NaN/Inf first")
        var big = DataMatrix(rows: 8, cols: 3, repeating: 0.5)
        big[2, 2] = -1.7e308
        let wide = ServingBundle(directory: "w", state: b.state, normalizer: MinMaxNormalizer(min: [0, 0, 1e308], max: [1, 1, 1.5e308]),
                                 detector: b.detector, epochsTrained: 1)
        XCTAssertThrowsError(try ServingScorer.score(wide, request: ScoreRequest(data: big, source: "in.csv"), options: .init())) {
            XCTAssertEqual("\($0)", "in.csv: row 3, column 3 is -1.7e+308, too far outside the training range to scale (it overflows); fix that value")
        }
        var o = ServingScorer.Options()
        o.scoringMode = "averaged"
        XCTAssertThrowsError(try ServingScorer.score(b, request: rows, options: o)) {   // the table detector is not a TranAD model
            XCTAssertEqual("\($0)", "scoring mode 'averaged' is not available for tranad; use 'phase2_only'")
        }
    }

    func testScoringModeOverrideRescoresAndWarns() throws {
        let fx = try Fitted.tranad()
        let dir = try TempDir()
        try fx.export(to: dir.sub("b"))
        let bundle = try ServingBundle.load(dir.sub("b"), workers: 1)
        let raw = rawMatrix(rows: 30, f: 3, seed: 3)
        var o = ServingScorer.Options()
        o.scoringMode = "averaged"
        o.includePerTimestep = true
        let r = try ServingScorer.score(bundle, request: ScoreRequest(data: raw, source: "x"), options: o)
        let t = try TranADModelFile.withScoring(try XCTUnwrap((fx.detector as? TranADDetector)?.trainer), .averaged)
        XCTAssertEqual(r.response.perTimestep?.map(\.score), try t.score(fx.normalizer.apply(raw)).rowMeans)
        XCTAssertEqual(r.response.scoringMode, "averaged")
        XCTAssertEqual(r.warnings, ["scoring mode averaged differs from the exported phase2_only: the threshold and feature baselines were calibrated on phase2_only scores"])
        o.scoringMode = "both"
        XCTAssertThrowsError(try ServingScorer.score(bundle, request: ScoreRequest(data: raw, source: "x"), options: o)) {
            XCTAssertEqual("\($0)", "scoring mode 'both' is not available for tranad; use 'phase2_only' or 'averaged'")
        }
    }

    func testTextNpyAndJSONInputsReadTheSameRows() throws {
        let dir = try TempDir()
        let m = rawMatrix(rows: 6, f: 3)
        let csv = (0..<6).map { r in (0..<3).map { "\(m[r, $0])" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        try dir.write("rows.csv", Array(csv.utf8))
        try dir.write("rows.txt", Array(csv.replacingOccurrences(of: ",", with: " ").utf8))
        try dir.write("rows.npy", NpyWriter.float64Bytes(m.values, shape: [6, 3]))
        let json = "  \n{\"data\": [" + (0..<6).map { r in "[" + (0..<3).map { "\(m[r, $0])" }.joined(separator: ", ") + "]" }.joined(separator: ",") + "]}"
        try dir.write("request.body", Array(json.utf8))
        for f in ["rows.csv", "rows.txt", "rows.npy", "request.body"] {
            XCTAssertEqual(try ScoreRequest.read(dir.sub(f)).data, m, f)
        }
        XCTAssertThrowsError(try ScoreRequest.read(dir.sub("absent.csv"))) {
            XCTAssertEqual("\($0)", "\(dir.sub("absent.csv")): cannot read the rows to score: no such file")
        }
        XCTAssertThrowsError(try ScoreRequest.read(dir.path)) { XCTAssertTrue("\($0)".contains("it is a directory, not a file"), "\($0)") }
    }
}
