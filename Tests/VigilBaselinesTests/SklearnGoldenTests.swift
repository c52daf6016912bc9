import Foundation
import XCTest
import VigilData
@testable import VigilBaselines

/// Goldens written by scripts/golden_baselines_sklearn.py (scikit-learn, numpy, scripts/vigil_xoshiro.py).
struct BaselineGoldens: Decodable {
    struct PCAFit: Decodable {
        var components: String
        var kept: Int
        var explained_variance_ratio_kept: Double
        var squared_residuals: [Double]
    }
    struct PCACase: Decodable {
        var name: String
        var rows: Int, cols: Int, test_rows: Int
        var train: [Double], test: [Double]
        var mean: [Double]
        var explained_variance: [Double]
        var fits: [PCAFit]
    }
    struct KNNCase: Decodable {
        var name: String
        var rows: Int, cols: Int, test_rows: Int
        var train: [Double], test: [Double]
        var k: Int, max_samples: Int
        var seed: UInt64
        var sample_indices: [Int]
        var kth_distance: [Double]
    }
    struct SimpleCase: Decodable {
        var name: String
        var rows: Int, cols: Int, test_rows: Int
        var train: [Double], test: [Double]
        var l2_per_dimension: [Double], l2_norm: [Double]
        var range_per_dimension: [Double], range_mean: [Double]
    }
    struct RandomCase: Decodable {
        var seed: String
        var scores: [Double]
    }
    var sklearn_version: String
    var pca: [PCACase]
    var knn: [KNNCase]
    var simple: [SimpleCase]
    var random: [RandomCase]

    static func load() throws -> BaselineGoldens {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "baselines_sklearn", withExtension: "json", subdirectory: "Goldens"))
        return try JSONDecoder().decode(BaselineGoldens.self, from: Data(contentsOf: url))
    }
}

final class SklearnGoldenTests: XCTestCase {
    func testPCAMatchesSklearnReconstructionErrors() throws {
        let g = try BaselineGoldens.load()
        XCTAssertGreaterThanOrEqual(g.pca.count, 4)
        var worst = 0.0, fits = 0
        for c in g.pca {
            let train = DataMatrix(rows: c.rows, cols: c.cols, values: c.train)
            let test = DataMatrix(rows: c.test_rows, cols: c.cols, values: c.test)
            for f in c.fits {
                let config = try XCTUnwrap(PCABaseline.Configuration(spec: f.components))
                let model = try PCABaseline(fitting: train, configuration: config)
                XCTAssertEqual(model.kept, f.kept, "\(c.name) \(f.components)")
                for (a, b) in zip(model.mean, c.mean) { XCTAssertEqual(a, b, accuracy: 1e-12 * (1 + abs(b)), c.name) }
                for (a, b) in zip(model.eigenvalues, c.explained_variance) {
                    XCTAssertEqual(a, b, accuracy: 1e-10 * c.explained_variance[0], "\(c.name) eigenvalues")
                }
                XCTAssertEqual(model.explainedVarianceRatio, f.explained_variance_ratio_kept, accuracy: 1e-10, c.name)
                let s = try model.score(test)
                XCTAssertEqual(s.rows, c.test_rows)
                XCTAssertEqual(s.dims, c.cols)
                // |Δ| relative to the squared norm of the centred row (sklearn's subtraction cancels to that scale)
                for r in 0..<c.test_rows {
                    var norm2 = 0.0, sum = 0.0
                    for d in 0..<c.cols {
                        let e = c.test[r * c.cols + d] - c.mean[d]
                        norm2 += e * e
                        sum += f.squared_residuals[r * c.cols + d]
                    }
                    for d in 0..<c.cols {
                        let i = r * c.cols + d
                        let diff = abs(s.perDimension[i] - f.squared_residuals[i]) / (1 + norm2)
                        worst = max(worst, diff)
                        XCTAssertLessThan(diff, 1e-12, "\(c.name) \(f.components) row \(r) dim \(d)")
                    }
                    XCTAssertEqual(s.aggregate[r], sum / Double(c.cols), accuracy: 1e-12 * (1 + norm2))
                }
                fits += 1
            }
        }
        XCTAssertGreaterThanOrEqual(fits, 9)
        print("PCA vs sklearn: worst |Δ squared residual| / (1 + ‖x − μ‖²) = \(worst) over \(fits) fits")
    }

    func testKNNMatchesSklearnNearestNeighbors() throws {
        let g = try BaselineGoldens.load()
        XCTAssertGreaterThanOrEqual(g.knn.count, 5)
        var worst = 0.0
        for c in g.knn {
            let train = DataMatrix(rows: c.rows, cols: c.cols, values: c.train)
            let test = DataMatrix(rows: c.test_rows, cols: c.cols, values: c.test)
            let model = try KNNBaseline(fitting: train, configuration: .init(k: c.k, maxSamples: c.max_samples, seed: c.seed))
            XCTAssertEqual(model.sampleIndices, c.sample_indices, "\(c.name): sample differs from the Python twin")
            let s = try model.score(test)
            XCTAssertEqual(s.dims, 0)
            for (i, (a, b)) in zip(s.aggregate, c.kth_distance).enumerated() {
                let diff = abs(a - b) / max(b, 1e-300)
                if b == 0 { XCTAssertEqual(a, 0, "\(c.name) row \(i): an exact training row has distance 0") } else {
                    worst = max(worst, diff)
                    XCTAssertLessThan(diff, 1e-13, "\(c.name) row \(i)")
                }
            }
        }
        print("kNN vs sklearn kd_tree: worst relative |Δ| = \(worst)")
    }

    func testNormAndRangeMatchNumpy() throws {
        let g = try BaselineGoldens.load()
        for c in g.simple {
            let train = DataMatrix(rows: c.rows, cols: c.cols, values: c.train)
            let test = DataMatrix(rows: c.test_rows, cols: c.cols, values: c.test)
            let l2 = try L2NormBaseline(fitting: train).score(test)
            for (a, b) in zip(l2.perDimension, c.l2_per_dimension) { XCTAssertEqual(a, b, accuracy: 1e-15 * max(1, b)) }
            for (a, b) in zip(l2.aggregate, c.l2_norm) { XCTAssertEqual(a, b, accuracy: 1e-14 * max(1, b)) }
            XCTAssertEqual(l2.aggregate.count, c.test_rows)
            let rd = try RangeDeviationBaseline(fitting: train).score(test)
            XCTAssertEqual(rd.perDimension, c.range_per_dimension, "range deviation is exact arithmetic")
            for (a, b) in zip(rd.aggregate, c.range_mean) { XCTAssertEqual(a, b, accuracy: 1e-15) }
            XCTAssertTrue(rd.aggregate.contains(0) && rd.aggregate.contains { $0 > 0 }, "case covers inside and outside rows")
        }
    }

    func testRandomMatchesPythonXoshiroTwin() throws {
        let g = try BaselineGoldens.load()
        XCTAssertEqual(g.random.count, 3)
        for c in g.random {
            let seed = try XCTUnwrap(UInt64(c.seed))
            let m = RandomScoresBaseline(features: 3, configuration: .init(seed: seed))
            let s = try m.score(DataMatrix(rows: c.scores.count, cols: 3, repeating: .nan))
            XCTAssertEqual(s.aggregate, c.scores, "seed \(seed): bit-exact stream")
        }
    }
}
