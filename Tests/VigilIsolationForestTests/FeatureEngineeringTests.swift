import XCTest
@testable import VigilIsolationForest

final class FeatureEngineeringTests: XCTestCase {
    // Series (5, 2): column 0 = 1, 3, 2, 6, 4; column 1 = 10 × column 0.
    let x = try! FeatureMatrix<Double>(rowArrays: [[1, 10], [3, 30], [2, 20], [6, 60], [4, 40]])

    func column(_ m: FeatureMatrix<Double>, _ c: Int) -> [Double] { (0..<m.rows).map { m[$0, c] } }

    func testLagsDifferencesAndPaddingWithFirstRow() throws {
        let e = FeatureEngineering(lags: [1, 2], differences: true)
        let f = try e.features(x)
        XCTAssertEqual(f.rows, 5)                      // no rows lost
        XCTAssertEqual(f.cols, 8)                      // raw, lag1, lag2, diff × 2 columns
        XCTAssertEqual(column(f, 0), [1, 3, 2, 6, 4])
        XCTAssertEqual(column(f, 2), [1, 1, 3, 2, 6])  // lag 1, row −1 := row 0
        XCTAssertEqual(column(f, 4), [1, 1, 1, 3, 2])  // lag 2
        XCTAssertEqual(column(f, 5), [10, 10, 10, 30, 20])
        XCTAssertEqual(column(f, 6), [0, 2, -1, 4, -2])  // first difference, 0 at row 0
        XCTAssertEqual(e.columnNames(inputColumns: 2), ["x0", "x1", "lag1(x0)", "lag1(x1)", "lag2(x0)", "lag2(x1)", "diff(x0)", "diff(x1)"])
    }

    func testRollingStatisticsWithPaddedWindow() throws {
        let e = FeatureEngineering(includeRaw: false, rollingWindow: 3, rollingStatistics: [.mean, .std, .min, .max])
        let f = try e.features(x)
        XCTAssertEqual(f.cols, 8)
        // Windows of column 0 with padding: [1,1,1] [1,1,3] [1,3,2] [3,2,6] [2,6,4].
        let windows: [[Double]] = [[1, 1, 1], [1, 1, 3], [1, 3, 2], [3, 2, 6], [2, 6, 4]]
        for (t, w) in windows.enumerated() {
            let m = w.reduce(0, +) / 3
            let sd = (w.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 3).squareRoot()
            XCTAssertEqual(f[t, 0], m, accuracy: 1e-12)
            XCTAssertEqual(f[t, 2], sd, accuracy: 1e-12)
            XCTAssertEqual(f[t, 4], w.min()!)
            XCTAssertEqual(f[t, 6], w.max()!)
            XCTAssertEqual(f[t, 1], 10 * m, accuracy: 1e-11)
            XCTAssertEqual(f[t, 7], 10 * w.max()!)
        }
    }

    func testRollingMeanStaysAccurateOverLongSeries() throws {
        // 5000 rows exercise the periodic re-summation; compare with a direct window computation.
        let n = 5000
        let vals = (0..<n).map { 1e6 + sin(Double($0) * 0.1) }
        let s = try FeatureMatrix(rows: n, cols: 1, values: vals)
        let f = try FeatureEngineering(includeRaw: false, rollingWindow: 7, rollingStatistics: [.mean, .std]).features(s)
        for t in stride(from: 0, to: n, by: 997) {
            let w = (t - 6...t).map { vals[max(0, $0)] }
            let m = w.reduce(0, +) / 7
            XCTAssertEqual(f[t, 0], m, accuracy: 1e-8)
            XCTAssertEqual(f[t, 1], (w.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 7).squareRoot(), accuracy: 1e-6)
        }
    }

    func testStandardizationUsesTrainingStatistics() throws {
        let e = FeatureEngineering(differences: true, standardize: true)
        let tr = try FeatureTransform(fitting: x, engineering: e)
        XCTAssertEqual(tr.mean[0], 3.2, accuracy: 1e-12)                     // mean of 1,3,2,6,4
        XCTAssertEqual(tr.scale[0], (14.8 / 5).squareRoot(), accuracy: 1e-12) // population std
        let z = try tr.transform(x)
        for c in 0..<z.cols {
            let col = column(z, c)
            XCTAssertEqual(col.reduce(0, +) / 5, 0, accuracy: 1e-12)
        }
        // Scoring data is scaled with the training statistics, not its own.
        let y = try FeatureMatrix<Double>(rowArrays: [[3.2, 32]])
        let zy = try tr.transform(y)
        XCTAssertEqual(zy[0, 0], 0, accuracy: 1e-12)
        XCTAssertEqual(zy[0, 2], (0 - tr.mean[2]) / tr.scale[2], accuracy: 1e-12)   // diff of a 1-row series is 0
        // Constant engineered column: std 0 → scale 1.
        let c = try FeatureMatrix<Double>(rowArrays: [[2], [2], [2]])
        XCTAssertEqual(try FeatureTransform(fitting: c, engineering: FeatureEngineering(standardize: true)).scale, [1])
    }

    func testBadSettingsAndMismatchedColumns() throws {
        XCTAssertThrowsError(try FeatureEngineering(lags: [0]).features(x))
        XCTAssertThrowsError(try FeatureEngineering(rollingWindow: 1, rollingStatistics: [.mean]).features(x))
        XCTAssertThrowsError(try FeatureEngineering(includeRaw: false).features(x))
        let tr = try FeatureTransform(fitting: x, engineering: FeatureEngineering(lags: [1]))
        XCTAssertThrowsError(try tr.transform(try FeatureMatrix<Double>(rowArrays: [[1, 2, 3]]))) { e in
            XCTAssertEqual(e as? IsolationForestError, .featureCountMismatch(context: "feature transform", fitted: 2, found: 3))
        }
        var bad = x
        bad[2, 1] = .nan
        XCTAssertThrowsError(try tr.transform(bad)) { e in
            guard case let IsolationForestError.nonFinite(_, row, column, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual([row, column], [2, 1])
        }
    }

    func testDetectorAppliesTheSameTransformAtFitAndScore() throws {
        let series = gaussian(rows: 400, cols: 2, seed: 11)
        let eng = FeatureEngineering(lags: [1], differences: true, rollingWindow: 5, rollingStatistics: [.mean, .max], standardize: true)
        let det = try IsolationForestDetector(fitting: series, engineering: eng, configuration: .init(nEstimators: 20, seed: 3))
        XCTAssertEqual(det.forest.featureCount, 10)
        let s = try det.scores(series)
        XCTAssertEqual(s.count, 400)
        // Same as transforming by hand and scoring with the forest.
        XCTAssertEqual(s, try det.forest.scores(try det.transform.transform(series)))
        XCTAssertThrowsError(try det.scores(gaussian(rows: 10, cols: 3, seed: 1)))
    }
}
