import XCTest
import VigilData
import VigilRandom
import VigilTranAD
@testable import VigilBaselines

/// Seeded uniform (rows, cols) matrix scaled to [lo, hi).
func uniformMatrix(_ rows: Int, _ cols: Int, seed: UInt64, lo: Double = 0, hi: Double = 1) -> DataMatrix {
    var g = Xoshiro256(seed: seed)
    return DataMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in lo + (hi - lo) * g.nextUnitDouble() })
}

/// Rows of a rank-`rank` linear model plus noise: x = z A + σ ε (z, A, ε seeded normal).
func lowRankMatrix(_ rows: Int, _ cols: Int, rank: Int, noise: Double, seed: UInt64) -> DataMatrix {
    var g = Xoshiro256(seed: seed)
    let a = (0..<(rank * cols)).map { _ in g.nextGaussian() }
    var v = [Double](repeating: 0, count: rows * cols)
    for r in 0..<rows {
        let z = (0..<rank).map { _ in g.nextGaussian() }
        for c in 0..<cols {
            var s = 0.0
            for j in 0..<rank { s += z[j] * a[j * cols + c] }
            v[r * cols + c] = s + noise * g.nextGaussian()
        }
    }
    return DataMatrix(rows: rows, cols: cols, values: v)
}

func rows(_ m: DataMatrix, _ range: Range<Int>) -> DataMatrix {
    DataMatrix(rows: range.count, cols: m.cols, values: Array(m.values[(range.lowerBound * m.cols)..<(range.upperBound * m.cols)]))
}

final class PCABehaviourTests: XCTestCase {
    func testInvalidSettingsAndInputsThrowTypedErrors() {
        let x = uniformMatrix(20, 4, seed: 1)
        for f in [0.0, 1.0, 1.5, -0.1, .nan] {
            XCTAssertThrowsError(try PCABaseline(fitting: x, configuration: .init(components: .varianceFraction(f)))) {
                guard case BaselineError.invalidParameter = $0 else { return XCTFail("\($0)") }
            }
        }
        for k in [0, 5, -1] {
            XCTAssertThrowsError(try PCABaseline(fitting: x, configuration: .init(components: .count(k)))) {
                guard case BaselineError.invalidParameter = $0 else { return XCTFail("\($0)") }
            }
        }
        XCTAssertThrowsError(try PCABaseline(fitting: rows(x, 0..<1))) {
            XCTAssertEqual($0 as? BaselineError, .tooFewRows(model: "pca", needed: 2, found: 1, why: "a covariance needs two rows"))
        }
        XCTAssertThrowsError(try PCABaseline(fitting: DataMatrix(rows: 0, cols: 4))) {
            XCTAssertEqual($0 as? BaselineError, .emptyTraining(model: "pca"))
        }
        var bad = x
        bad[7, 2] = .infinity
        XCTAssertThrowsError(try PCABaseline(fitting: bad)) {
            XCTAssertEqual($0 as? BaselineError, .nonFinite(model: "pca", context: "training", row: 7, column: 2, value: .infinity))
        }
        let model = try! PCABaseline(fitting: x)
        XCTAssertThrowsError(try model.score(uniformMatrix(3, 5, seed: 2))) {
            XCTAssertEqual($0 as? BaselineError, .featureMismatch(model: "pca", fitted: 4, found: 5))
        }
        var nanRow = uniformMatrix(3, 4, seed: 2)
        nanRow[1, 3] = .nan
        XCTAssertThrowsError(try model.score(nanRow)) {
            guard case BaselineError.nonFinite(_, "scored", 1, 3, _) = $0 else { return XCTFail("\($0)") }
        }
        let empty = try! model.score(DataMatrix(rows: 0, cols: 4))
        XCTAssertEqual(empty.rows, 0)
        XCTAssertEqual(empty.aggregate, [])
    }

    func testResidualIsOrthogonalComplementOfKeptAxes() throws {
        let train = lowRankMatrix(500, 10, rank: 3, noise: 0.01, seed: 3)
        let m = try PCABaseline(fitting: train)
        XCTAssertEqual(m.kept, 3, "rank-3 data with 1 % noise: 3 axes carry > 95 % of the variance")
        XCTAssertGreaterThan(m.explainedVarianceRatio, 0.95)
        // Components are orthonormal.
        let d = 10
        for i in 0..<d {
            for j in 0..<d {
                var s = 0.0
                for c in 0..<d { s += m.components[i * d + c] * m.components[j * d + c] }
                XCTAssertEqual(s, i == j ? 1 : 0, accuracy: 1e-12)
            }
        }
        // A row on the kept subspace (μ + Σ a_j v_j) has zero residual; adding a discarded axis adds its square.
        var onPlane = m.mean
        for j in 0..<3 { for c in 0..<d { onPlane[c] += Double(j + 1) * m.components[j * d + c] } }
        var off = onPlane
        for c in 0..<d { off[c] += 0.5 * m.components[7 * d + c] }
        let s = try m.score(DataMatrix(rows: 2, cols: d, values: onPlane + off))
        XCTAssertEqual(s.aggregate[0], 0, accuracy: 1e-24)
        XCTAssertEqual(s.aggregate[1] * Double(d), 0.25, accuracy: 1e-14, "‖r‖² = 0.5²")
        for c in 0..<d { XCTAssertEqual(s.perDimension[d + c], pow(0.5 * m.components[7 * d + c], 2), accuracy: 1e-15) }
    }

    func testBlockedScoringEqualsRowByRowAndFitIsDeterministic() throws {
        let train = lowRankMatrix(3000, 6, rank: 2, noise: 0.1, seed: 4)
        let a = try PCABaseline(fitting: train), b = try PCABaseline(fitting: train)
        XCTAssertEqual(a.components, b.components)
        XCTAssertEqual(a.eigenvalues, b.eigenvalues)
        let test = uniformMatrix(4100, 6, seed: 5, lo: -2, hi: 2)   // > 2 blocks of 2048
        let all = try a.score(test)
        for r in [0, 1, 2047, 2048, 4099] {
            let one = try a.score(rows(test, r..<(r + 1)))
            for c in 0..<6 { XCTAssertEqual(one.perDimension[c], all.perDimension[r * 6 + c], accuracy: 1e-13 * (1 + all.perDimension[r * 6 + c])) }
        }
    }

    func testConstantTrainingKeepsNoComponentAndAllComponentsLeaveNoResidual() throws {
        let constant = DataMatrix(rows: 5, cols: 3, values: [Double](repeating: 0.5, count: 15))
        let m = try PCABaseline(fitting: constant)
        XCTAssertEqual(m.kept, 0, "no variance: nothing is explained, every deviation is residual")
        let s = try m.score(DataMatrix(rows: 1, cols: 3, values: [0.5, 1.5, 0.0]))
        XCTAssertEqual(s.perDimension, [0, 1, 0.25])
        let full = try PCABaseline(fitting: uniformMatrix(50, 4, seed: 6), configuration: .init(components: .count(4)))
        XCTAssertEqual(try full.score(uniformMatrix(10, 4, seed: 7, lo: -3, hi: 3)).aggregate, [Double](repeating: 0, count: 10))
    }

    func testVarianceRuleIsSklearnsStrictCut() {
        // cumulative ratios 0.5, 0.8, 0.95, 1.0: f = 0.8 needs more than 80 % ⇒ 3 components; f = 0.79 ⇒ 2.
        let ev = [5.0, 3.0, 1.5, 0.5]
        XCTAssertEqual(PCABaseline.componentsForVariance(ev, fraction: 0.8), 3)
        XCTAssertEqual(PCABaseline.componentsForVariance(ev, fraction: 0.79), 2)
        XCTAssertEqual(PCABaseline.componentsForVariance(ev, fraction: 0.4), 1)
        XCTAssertEqual(PCABaseline.componentsForVariance(ev, fraction: 0.999), 4)
        XCTAssertEqual(PCABaseline.componentsForVariance([0, 0], fraction: 0.5), 0)
        XCTAssertEqual(PCABaseline.componentsForVariance([2, -1e-17], fraction: 0.5), 1, "rounding residue clamped")
    }
}

final class KNNBehaviourTests: XCTestCase {
    /// k-th smallest Σ_c (q_c − s_c)² over every reference row, by a full sort (the obvious algorithm).
    func naiveKth(_ q: ArraySlice<Double>, _ ref: [Double], d: Int, k: Int) -> Double {
        let qs = Array(q)
        var all: [Double] = []
        for j in 0..<(ref.count / d) {
            var s = 0.0
            for c in 0..<d { let e = qs[c] - ref[j * d + c]; s += e * e }
            all.append(s)
        }
        return all.sorted()[k - 1].squareRoot()
    }

    func testMatchesBruteForceIncludingCancellationProneData() throws {
        // Rows on a large offset: ‖q‖² + ‖s‖² − 2q·s cancels ~12 digits; the margin-checked recompute must
        // still return the direct-difference distance bit for bit.
        for (offset, seed) in [(0.0, UInt64(8)), (1e6, 9)] {
            let base = uniformMatrix(700, 7, seed: seed)
            let train = DataMatrix(rows: 700, cols: 7, values: base.values.map { $0 * 1e-3 + offset })
            let test = DataMatrix(rows: 150, cols: 7, values: uniformMatrix(150, 7, seed: seed + 1).values.map { $0 * 1e-3 + offset })
            let m = try KNNBaseline(fitting: train, configuration: .init(k: 4, maxSamples: 300, seed: 11))
            let s = try m.score(test)
            for r in 0..<test.rows {
                XCTAssertEqual(s.aggregate[r], naiveKth(test.row(r), m.reference, d: 7, k: 4), "offset \(offset) row \(r)")
            }
        }
    }

    func testSampleIsSeededDistinctAndBounded() throws {
        let train = uniformMatrix(5000, 3, seed: 12)
        let a = try KNNBaseline(fitting: train, configuration: .init(k: 5, maxSamples: 2000, seed: 1))
        let b = try KNNBaseline(fitting: train, configuration: .init(k: 5, maxSamples: 2000, seed: 1))
        let c = try KNNBaseline(fitting: train, configuration: .init(k: 5, maxSamples: 2000, seed: 2))
        XCTAssertEqual(a.sampleIndices, b.sampleIndices)
        XCTAssertEqual(a.reference, b.reference)
        XCTAssertNotEqual(a.sampleIndices, c.sampleIndices)
        XCTAssertEqual(a.sampleCount, 2000)
        XCTAssertEqual(Set(a.sampleIndices).count, 2000)
        XCTAssertTrue(zip(a.sampleIndices, a.sampleIndices.dropFirst()).allSatisfy { $0 < $1 })
        XCTAssertTrue(a.sampleIndices.allSatisfy { (0..<5000).contains($0) })
        for (i, r) in a.sampleIndices.enumerated().prefix(50) { XCTAssertEqual(Array(train.row(r)), Array(a.reference[(i * 3)..<(i * 3 + 3)])) }
        // Uniform-ish: each half of the series holds about half the sample.
        let firstHalf = a.sampleIndices.filter { $0 < 2500 }.count
        XCTAssertEqual(Double(firstHalf) / 2000, 0.5, accuracy: 0.05)
        let small = try KNNBaseline(fitting: rows(train, 0..<30), configuration: .init(k: 5, maxSamples: 2000))
        XCTAssertEqual(small.sampleIndices, Array(0..<30), "T ≤ M keeps every row")
    }

    func testBlockingDoesNotChangeScoresAndInvalidSettingsThrow() throws {
        let train = uniformMatrix(400, 5, seed: 13)
        let m = try KNNBaseline(fitting: train, configuration: .init(k: 3, maxSamples: 100, seed: 0))
        let test = uniformMatrix(200, 5, seed: 14, lo: -0.5, hi: 1.5)   // > 3 blocks of 64
        let all = try m.score(test).aggregate
        for r in [0, 63, 64, 130, 199] { XCTAssertEqual(try m.score(rows(test, r..<(r + 1))).aggregate[0], all[r]) }
        XCTAssertEqual(try m.score(DataMatrix(rows: 0, cols: 5)).aggregate, [])
        XCTAssertThrowsError(try KNNBaseline(fitting: train, configuration: .init(k: 0))) {
            guard case BaselineError.invalidParameter(_, "k", _, _) = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try KNNBaseline(fitting: train, configuration: .init(k: 10, maxSamples: 9))) {
            guard case BaselineError.invalidParameter(_, "max_samples", _, _) = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try KNNBaseline(fitting: rows(train, 0..<4), configuration: .init(k: 5))) {
            guard case BaselineError.tooFewRows(_, 5, 4, _) = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try m.score(uniformMatrix(2, 4, seed: 1))) {
            XCTAssertEqual($0 as? BaselineError, .featureMismatch(model: "knn", fitted: 5, found: 4))
        }
    }

    func testDuplicatesCountWithMultiplicity() throws {
        // Reference: the point 0 three times and the point (3, 4) once; the query 0 has k-th distances 0, 0, 0, 5.
        let train = DataMatrix(rows: 4, cols: 2, values: [0, 0, 0, 0, 3, 4, 0, 0])
        for (k, want) in [(1, 0.0), (3, 0.0), (4, 5.0)] {
            let m = try KNNBaseline(fitting: train, configuration: .init(k: k, maxSamples: 10))
            XCTAssertEqual(try m.score(DataMatrix(rows: 1, cols: 2, values: [0, 0])).aggregate, [want], "k = \(k)")
        }
    }
}

final class SimpleBaselineTests: XCTestCase {
    func testL2NormAggregateIsTheNormAndRangeIsZeroInside() throws {
        let x = DataMatrix(rows: 2, cols: 3, values: [3, 4, 0, 1, 2, 2])
        let s = try L2NormBaseline(features: 3).score(x)
        XCTAssertEqual(s.perDimension, [9, 16, 0, 1, 4, 4])
        XCTAssertEqual(s.aggregate, [5, 3])
        let train = DataMatrix(rows: 2, cols: 2, values: [0, 10, 1, 20])
        let r = try RangeDeviationBaseline(fitting: train)
        XCTAssertEqual(r.minimum, [0, 10])
        XCTAssertEqual(r.maximum, [1, 20])
        let t = try r.score(DataMatrix(rows: 3, cols: 2, values: [0.5, 15, -2, 25, 1, 10]))
        XCTAssertEqual(t.perDimension, [0, 0, 2, 5, 0, 0])
        XCTAssertEqual(t.aggregate, [0, 3.5, 0])
        XCTAssertThrowsError(try r.score(DataMatrix(rows: 1, cols: 2, values: [.nan, 0])))
        XCTAssertThrowsError(try L2NormBaseline(fitting: DataMatrix(rows: 3, cols: 0)))
    }

    func testRandomDependsOnRowCountAndSeedOnly() throws {
        let a = try RandomScoresBaseline(fitting: uniformMatrix(10, 4, seed: 1), configuration: .init(seed: 5))
        let s1 = try a.score(uniformMatrix(1000, 4, seed: 2)).aggregate
        let s2 = try a.score(DataMatrix(rows: 1000, cols: 4, repeating: .nan)).aggregate
        XCTAssertEqual(s1, s2, "values are never read")
        XCTAssertEqual(Array(try a.score(DataMatrix(rows: 10, cols: 4)).aggregate), Array(s1.prefix(10)), "a prefix of one stream")
        let other = try RandomScoresBaseline(fitting: uniformMatrix(10, 4, seed: 1), configuration: .init(seed: 6)).score(DataMatrix(rows: 1000, cols: 4))
        XCTAssertNotEqual(other.aggregate, s1)
        XCTAssertTrue(s1.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(s1.reduce(0, +) / 1000, 0.5, accuracy: 0.05)
        XCTAssertThrowsError(try a.score(DataMatrix(rows: 3, cols: 5)))
    }

    func testUntrainedTranADIsTheInitialModelScoredAsTranAD() throws {
        var config = TranADConfig()
        config.window = 5
        config.seed = 3
        let train = uniformMatrix(40, 4, seed: 20)
        let test = uniformMatrix(30, 4, seed: 21)
        let m = try UntrainedTranADBaseline(fitting: train, configuration: .init(tranad: config, workers: 1))
        let s = try m.score(test)
        let direct = try TranADTrainer(features: 4, config: config, workers: 1).score(test)
        XCTAssertEqual(s.perDimension, direct.values)
        XCTAssertEqual(s.aggregate, direct.rowMeans)
        XCTAssertEqual(m.trainer.history.count, 0, "never trained")
        // The fit reads no values: another training matrix of the same width gives the same model.
        let m2 = try UntrainedTranADBaseline(fitting: uniformMatrix(7, 4, seed: 99), configuration: .init(tranad: config, workers: 2))
        XCTAssertEqual(try m2.score(test).perDimension, s.perDimension, "same seed, any worker count")
        var c2 = config
        c2.seed = 4
        let m3 = try UntrainedTranADBaseline(fitting: train, configuration: .init(tranad: c2, workers: 1))
        XCTAssertNotEqual(try m3.score(test).perDimension, s.perDimension)
        XCTAssertThrowsError(try m.score(uniformMatrix(3, 5, seed: 1)))
        XCTAssertEqual(try m.score(DataMatrix(rows: 0, cols: 4)).rows, 0)
        XCTAssertTrue(s.aggregate.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    func testRegistryNamesEveryBaseline() {
        XCTAssertEqual(Baselines.keys, ["pca", "knn", "l2_norm", "range_deviation", "random", "untrained_tranad"])
        XCTAssertEqual(Set(Baselines.all.map { $0.format }).count, 6)
        XCTAssertTrue(Baselines.type(key: "knn") == KNNBaseline.self)
        XCTAssertNil(Baselines.type(key: "tranad"))
    }
}
