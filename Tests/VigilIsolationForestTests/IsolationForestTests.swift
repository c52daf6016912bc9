import XCTest
import VigilRandom
@testable import VigilIsolationForest

/// Gaussian (rows, cols) matrix from a fixed seed.
func gaussian(rows: Int, cols: Int, seed: UInt64, scale: Double = 1) -> FeatureMatrix<Double> {
    var rng = Xoshiro256(seed: seed)
    return try! FeatureMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in scale * rng.nextGaussian() })
}

final class PathLengthTests: XCTestCase {
    func testAveragePathLengthMatchesSklearn() {
        // Reference values: sklearn.ensemble._iforest._average_path_length (printed with repr).
        XCTAssertEqual(averagePathLength(0), 0)
        XCTAssertEqual(averagePathLength(1), 0)
        XCTAssertEqual(averagePathLength(2), 1)
        XCTAssertEqual(averagePathLength(3), 1.207392357589623, accuracy: 1e-13)
        XCTAssertEqual(averagePathLength(4), 1.8516559071392855, accuracy: 1e-13)
        XCTAssertEqual(averagePathLength(10), 3.748880484475505, accuracy: 1e-13)
        XCTAssertEqual(averagePathLength(256), 10.244770920119917, accuracy: 1e-12)
        XCTAssertEqual(averagePathLength(1000), 12.969940887100174, accuracy: 1e-12)
        // c(256) by the formula: 2(ln 255 + γ) − 2·255/256.
        XCTAssertEqual(averagePathLength(256), 2 * (log(255.0) + 0.5772156649015329) - 2 * 255.0 / 256.0, accuracy: 1e-13)
    }

    func testHeightLimitIsCeilLog2() {
        XCTAssertEqual(heightLimit(maxSamples: 1), 1)
        XCTAssertEqual(heightLimit(maxSamples: 2), 1)
        XCTAssertEqual(heightLimit(maxSamples: 3), 2)
        XCTAssertEqual(heightLimit(maxSamples: 100), 7)
        XCTAssertEqual(heightLimit(maxSamples: 256), 8)
        XCTAssertEqual(heightLimit(maxSamples: 257), 9)
    }

    /// Root: x0 ≤ 0.5 → leaf A (3 samples); else node: x1 ≤ 2 → leaf B (1 sample), else leaf C (2 samples).
    /// Nodes are listed out of breadth-first order on purpose (root, C, internal, A, B).
    func handTree() -> IsolationTree {
        IsolationTree(feature: [0, -1, 1, -1, -1], threshold: [0.5, 0, 2.0, 0, 0],
                      left: [3, -1, 4, -1, -1], right: [2, -1, 1, -1, -1], nodeSamples: [6, 2, 3, 3, 1])
    }

    func testPathLengthsOnHandBuiltTree() throws {
        let forest = try IsolationForest(trees: [handTree()], featureCount: 2, maxSamples: 6)
        let x = try FeatureMatrix<Double>(rowArrays: [[0.2, 9], [0.5, 9], [0.7, 1.0], [0.7, 2.0], [0.7, 3.0]])
        let h = try forest.meanPathLengths(x)
        let c3 = averagePathLength(3), c2 = averagePathLength(2)
        XCTAssertEqual(h, [1 + c3, 1 + c3, 2, 2, 2 + c2])      // x == threshold goes left
        let s = try forest.scores(x)
        let c6 = averagePathLength(6)
        for (si, hi) in zip(s, h) { XCTAssertEqual(si, pow(2, -hi / c6), accuracy: 1e-15) }
        XCTAssertEqual(forest.treeDepth, [2])
    }

    func testTwoTreeForestAveragesPathLengths() throws {
        // Second tree: a single leaf holding all 6 samples → h = c(6) for every row.
        let leaf = IsolationTree(feature: [-1], threshold: [0], left: [-1], right: [-1], nodeSamples: [6])
        let forest = try IsolationForest(trees: [handTree(), leaf], featureCount: 2, maxSamples: 6)
        let x = try FeatureMatrix<Double>(rowArrays: [[0.7, 1.0]])
        XCTAssertEqual(try forest.meanPathLengths(x)[0], (2 + averagePathLength(6)) / 2, accuracy: 1e-15)
    }

    func testScoresEqualSklearnOnSklearnTrees() throws {
        let g = try SklearnGolden.load()
        XCTAssertEqual(g.generator, "scripts/make_iforest_goldens.py")
        let trees = g.trees.map {
            IsolationTree(feature: $0.feature, threshold: $0.threshold, left: $0.left, right: $0.right, nodeSamples: $0.samples)
        }
        let forest = try IsolationForest(trees: trees, featureCount: g.feature_count, maxSamples: g.max_samples)
        let x = try FeatureMatrix(rows: g.test_rows.count / 3, cols: 3, values: g.test_rows)
        let s = try forest.scores(x)
        XCTAssertEqual(s.count, g.sklearn_scores.count)
        for (a, b) in zip(s, g.sklearn_scores) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // Float input of the same (float32-exact) values gives identical scores.
        let xf = try FeatureMatrix(rows: x.rows, cols: 3, values: x.values.map { Float($0) })
        XCTAssertEqual(try forest.scores(xf), s)
    }

    func testCorruptTreeIsRejected() {
        let bad = IsolationTree(feature: [0, -1], threshold: [0], left: [1], right: [5], nodeSamples: [2, 1])
        XCTAssertThrowsError(try IsolationForest(trees: [bad], featureCount: 1, maxSamples: 2)) { e in
            guard case IsolationForestError.corruptModel = e else { return XCTFail("\(e)") }
        }
        let cyc = IsolationTree(feature: [0, 0, -1], threshold: [0, 0, 0], left: [1, 1], right: [2, 2], nodeSamples: [3, 2, 1])
        XCTAssertThrowsError(try IsolationForest(trees: [cyc], featureCount: 1, maxSamples: 3))
    }
}

final class FitTests: XCTestCase {
    func testSameSeedSameScoresForAnyThreadCount() throws {
        let x = gaussian(rows: 700, cols: 5, seed: 1)
        let cfg = IsolationForest.Configuration(nEstimators: 40, seed: 123)
        let f1 = try IsolationForest(fitting: x, configuration: cfg, parallelism: 1)
        let s1 = try f1.scores(x, parallelism: 1)
        for p in [2, 3, 7] {
            let fp = try IsolationForest(fitting: x, configuration: cfg, parallelism: p)
            XCTAssertEqual(fp.trees, f1.trees)
            XCTAssertEqual(try fp.scores(x, parallelism: p), s1)
        }
        let other = try IsolationForest(fitting: x, configuration: .init(nEstimators: 40, seed: 124), parallelism: 2)
        XCTAssertNotEqual(try other.scores(x), s1)
    }

    func testTreeStructureFollowsSklearnRules() throws {
        let x = gaussian(rows: 1000, cols: 4, seed: 2)
        let f = try IsolationForest(fitting: x, configuration: .init(nEstimators: 20, seed: 5))
        XCTAssertEqual(f.maxSamples, 256)
        for t in f.trees {
            let depth = try t.validatedDepths(featureCount: 4)
            XCTAssertEqual(t.nodeSamples[0], 256)
            for i in 0..<t.nodeCount {
                XCTAssertLessThanOrEqual(depth[i], 8)
                if t.feature[i] >= 0 {
                    XCTAssertEqual(t.nodeSamples[Int(t.left[i])] + t.nodeSamples[Int(t.right[i])], t.nodeSamples[i])
                    XCTAssertGreaterThan(t.nodeSamples[Int(t.left[i])], 0)
                    XCTAssertGreaterThan(t.nodeSamples[Int(t.right[i])], 0)
                } else {
                    // A leaf is at the height limit or holds one sample (Gaussian data has no ties).
                    XCTAssertTrue(depth[i] == 8 || t.nodeSamples[i] == 1, "leaf \(i) depth \(depth[i]) n \(t.nodeSamples[i])")
                }
            }
        }
    }

    func testObviousOutlierScoresHighest() throws {
        var x = gaussian(rows: 500, cols: 2, seed: 3)
        x.values += [8, 8]
        let x2 = try FeatureMatrix(rows: 501, cols: 2, values: x.values)
        let f = try IsolationForest(fitting: x2, configuration: .init(seed: 9))
        let s = try f.scores(x2)
        XCTAssertEqual(s.firstIndex(of: s.max()!), 500)
        XCTAssertGreaterThan(s[500], 0.7)
        XCTAssertEqual(f.threshold, 0.5)
        XCTAssertTrue(try f.predict(x2)[500])
        let median = s.sorted()[250]
        XCTAssertLessThan(median, 0.5)
    }

    func testContaminationFractionSetsThresholdAtTrainingQuantile() throws {
        let x = gaussian(rows: 200, cols: 3, seed: 4)
        let f = try IsolationForest(fitting: x, configuration: .init(nEstimators: 50, contamination: .fraction(0.1), seed: 1))
        let s = try f.scores(x)
        // numpy: offset = percentile(-s, 10) (linear); threshold = -offset.
        let neg = s.map { -$0 }.sorted()
        let pos = 0.1 * Double(neg.count - 1)             // 19.9
        let lo = Int(pos), t = pos - Double(lo)
        let offset = neg[lo + 1] - (neg[lo + 1] - neg[lo]) * (1 - t)
        XCTAssertEqual(f.threshold, -offset, accuracy: 1e-15)
        XCTAssertEqual(try f.predict(x).filter { $0 }.count, 20)   // the 20 highest of 200 distinct scores
        XCTAssertEqual(Set(s).count, 200)
    }

    func testMaxFeaturesAndBootstrap() throws {
        let x = gaussian(rows: 300, cols: 6, seed: 8)
        let f = try IsolationForest(fitting: x, configuration: .init(nEstimators: 10, maxSamples: .fraction(0.5),
                                                                     maxFeatures: .count(2), bootstrap: true, seed: 2))
        XCTAssertEqual(f.maxSamples, 150)
        for t in f.trees {
            XCTAssertLessThanOrEqual(Set(t.feature.filter { $0 >= 0 }).count, 2)
            XCTAssertEqual(t.nodeSamples[0], 150)
        }
        let s = try f.scores(x)
        XCTAssertTrue(s.allSatisfy { $0 > 0 && $0 <= 1 })
    }
}

final class BadInputTests: XCTestCase {
    func testFewerRowsThanMaxSamplesUsesAllRowsWithWarning() throws {
        let x = gaussian(rows: 50, cols: 3, seed: 5)
        let f = try IsolationForest(fitting: x, configuration: .init(nEstimators: 10, maxSamples: .count(256)))
        XCTAssertEqual(f.maxSamples, 50)
        XCTAssertEqual(f.warnings.count, 1)
        XCTAssertTrue(f.warnings[0].contains("256"))
        XCTAssertEqual(f.trees[0].nodeSamples[0], 50)
        let auto = try IsolationForest(fitting: x, configuration: .init(nEstimators: 10))
        XCTAssertEqual(auto.maxSamples, 50)            // min(256, n), silently, as sklearn
        XCTAssertTrue(auto.warnings.isEmpty)
        // A single row: c(1) = 0, every score is 1 (sklearn's convention).
        let one = try FeatureMatrix<Double>(rowArrays: [[1, 2, 3]])
        XCTAssertEqual(try IsolationForest(fitting: one, configuration: .init(nEstimators: 3)).scores(one), [1])
    }

    func testConstantColumns() throws {
        // All columns constant: no split is possible, each tree is one leaf of ψ samples → h = c(ψ), s = 0.5.
        let c = try FeatureMatrix(rows: 40, cols: 2, values: [Double](repeating: 3, count: 80))
        let fc = try IsolationForest(fitting: c, configuration: .init(nEstimators: 5))
        XCTAssertTrue(fc.trees.allSatisfy { $0.nodeCount == 1 })
        for s in try fc.scores(c) { XCTAssertEqual(s, 0.5, accuracy: 1e-15) }
        // One constant column among varying ones is never split on.
        var v = gaussian(rows: 300, cols: 3, seed: 6)
        for r in 0..<300 { v[r, 1] = 7 }
        let f = try IsolationForest(fitting: v, configuration: .init(nEstimators: 30))
        XCTAssertFalse(f.trees.contains { $0.feature.contains(1) })
        XCTAssertTrue(f.trees.allSatisfy { $0.nodeCount > 1 })
    }

    func testNonFiniteInputIsATypedErrorNamingRowAndColumn() throws {
        var x = gaussian(rows: 20, cols: 3, seed: 7)
        x[3, 1] = .nan
        XCTAssertThrowsError(try IsolationForest(fitting: x)) { e in
            guard case let IsolationForestError.nonFinite(_, row, column, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual([row, column], [3, 1])
            XCTAssertTrue("\(e)".contains("row 3, column 1"))
        }
        let f = try IsolationForest(fitting: gaussian(rows: 20, cols: 3, seed: 7), configuration: .init(nEstimators: 5))
        var y = gaussian(rows: 5, cols: 3, seed: 8)
        y[4, 2] = -.infinity
        XCTAssertThrowsError(try f.scores(y)) { e in
            XCTAssertEqual(e as? IsolationForestError, .nonFinite(context: "isolation forest score", row: 4, column: 2, value: -.infinity))
        }
        let xf = try FeatureMatrix<Float>(rowArrays: [[1, 2], [.infinity, 0]])
        XCTAssertThrowsError(try IsolationForest(fitting: xf))
    }

    func testFeatureCountMismatchIsATypedError() throws {
        let f = try IsolationForest(fitting: gaussian(rows: 30, cols: 3, seed: 9), configuration: .init(nEstimators: 5))
        XCTAssertThrowsError(try f.scores(gaussian(rows: 4, cols: 4, seed: 1))) { e in
            XCTAssertEqual(e as? IsolationForestError, .featureCountMismatch(context: "isolation forest score", fitted: 3, found: 4))
        }
    }

    func testInvalidParametersAndShapes() {
        let x = gaussian(rows: 30, cols: 3, seed: 10)
        for cfg in [IsolationForest.Configuration(contamination: .fraction(0.7)), .init(nEstimators: 0),
                    .init(maxSamples: .fraction(1.5)), .init(maxFeatures: .count(4)), .init(maxSamples: .count(0))] {
            XCTAssertThrowsError(try IsolationForest(fitting: x, configuration: cfg)) { e in
                guard case IsolationForestError.invalidParameter = e else { return XCTFail("\(e)") }
            }
        }
        XCTAssertThrowsError(try FeatureMatrix<Double>(rows: 2, cols: 3, values: [1, 2, 3]))
        XCTAssertThrowsError(try FeatureMatrix<Double>(rowArrays: [[1, 2], [3]]))
        XCTAssertThrowsError(try IsolationForest(fitting: try! FeatureMatrix<Double>(rows: 0, cols: 3, values: [])))
    }
}

final class SplitDistributionTests: XCTestCase {
    /// Points 0, 1, 3 on a line, ψ = 3 (height limit 2). The root threshold is uniform on [0, 3): with
    /// probability 1/3 it isolates 0 (h(0) = 1, h(3) = 2), else it isolates 3 (h(0) = 2, h(3) = 1); 1 always ends
    /// at depth 2. So E[h(0)] = 5/3, E[h(1)] = 2, E[h(3)] = 4/3 exactly; 20,000 trees estimate them to ±0.01.
    func testUniformThresholdsGiveTheExactExpectedPathLengths() throws {
        let x = try FeatureMatrix<Double>(rowArrays: [[0], [1], [3]])
        let f = try IsolationForest(fitting: x, configuration: .init(nEstimators: 20_000, seed: 11))
        let h = try f.meanPathLengths(x)
        XCTAssertEqual(h[0], 5.0 / 3, accuracy: 0.015)
        XCTAssertEqual(h[1], 2, accuracy: 1e-12)
        XCTAssertEqual(h[2], 4.0 / 3, accuracy: 0.015)
    }

    /// Two features, A = (0, 0), B = (0, 1), C = (1, 3), ψ = 3, height limit 2. Root: feature 0 or 1 with
    /// probability 1/2 each; feature 0 → {A, B} | {C}, then feature 0 is constant in {A, B} so feature 1 splits it;
    /// feature 1 with u ~ U[0, 3): u < 1 → {A} | {B, C}, else {A, B} | {C}. Hence E[h] = (11/6, 2, 7/6).
    func testTwoFeatureExpectedPathLengthsWithAFeatureConstantInANode() throws {
        let x = try FeatureMatrix<Double>(rowArrays: [[0, 0], [0, 1], [1, 3]])
        let f = try IsolationForest(fitting: x, configuration: .init(nEstimators: 20_000, seed: 4))
        let h = try f.meanPathLengths(x)
        XCTAssertEqual(h[0], 11.0 / 6, accuracy: 0.015)
        XCTAssertEqual(h[1], 2, accuracy: 1e-12)
        XCTAssertEqual(h[2], 7.0 / 6, accuracy: 0.015)
    }

    /// scikit-learn casts X to float32 before fitting and scoring. A Float matrix must give exactly the forest and
    /// scores of the Double matrix holding the same (float-rounded) values, so `--float32` reproduces sklearn's input.
    func testFloatInputEqualsDoubleInputOfTheRoundedValues() throws {
        let xd = gaussian(rows: 600, cols: 5, seed: 21, scale: 0.3)
        let xf = try FeatureMatrix<Float>(rows: 600, cols: 5, values: xd.values.map { Float($0) })
        let xr = try FeatureMatrix<Double>(rows: 600, cols: 5, values: xf.values.map { Double($0) })
        let cfg = IsolationForest.Configuration(nEstimators: 25, seed: 3)
        let ff = try IsolationForest(fitting: xf, configuration: cfg)
        let fr = try IsolationForest(fitting: xr, configuration: cfg)
        XCTAssertEqual(ff.trees, fr.trees)
        XCTAssertEqual(try ff.scores(xf), try fr.scores(xr))
        XCTAssertEqual(try ff.scores(xf), try ff.scores(xr))
    }
}
