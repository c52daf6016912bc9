import Foundation
import XCTest
@testable import VigilConfig
import VigilThresholds
import VigilTransforms

/// The keys of the accuracy stages (issue 15): typed values, ranges, cross-key rules and the scores identity.
final class AccuracyKeysTests: XCTestCase {
    func problems(_ body: () throws -> Any) -> [String] {
        do { _ = try body(); return [] } catch let e as ConfigError { return e.problems.map(\.description) } catch {
            return ["unexpected \(error)"]
        }
    }

    func testDefaultsAreTheIdentityTransformAndNoEarlyStopping() throws {
        let c = try ExperimentConfig(ResolvedConfig.defaults())
        XCTAssertTrue(c.accuracy.transform.isIdentity)
        XCTAssertEqual(c.accuracy.patience, 0)
        XCTAssertEqual(c.calibration.export, .potTrain)
        XCTAssertEqual(c.calibration.validationPOT, POTParameters(q: 1e-3, level: 0.98, scale: 1))
        XCTAssertEqual(c.calibration.validationPercentile, 99.5)
        XCTAssertEqual(c.calibration.dynamic, DynamicThresholdParameters(batch: 70, windowBatches: 30, buffer: 100, prune: 0.13))
        XCTAssertEqual(c.accuracy.ensembleMembers, [.tranad, .pca, .iforest])
    }

    func testTransformKeysAreTyped() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", """
        validation: {fraction: 0.2}
        transform: {normalize: robust, statistics: validation, aggregate: top_k, top_k: 4, smooth: ewma, smooth_window: 12,
                    causal_window: 500, scale_floor: 0.1}
        calibration: {export: percentile_validation, validation_percentile: 99.9, validation_pot: {level: 0.99, q: 0.0001},
                      dynamic: {batch: 50, window_batches: 20, buffer: 10, prune: 0.2}}
        tranad: {epochs: 30, patience: 3, min_delta: 0.01}
        models: [tranad, ensemble]
        ensemble: {members: [tranad, iforest], combine: rank, statistics: validation, member_normalize: zscore, member_aggregate: top_k}

        """)
        let c = try ExperimentConfig.load(path: p)
        XCTAssertEqual(c.accuracy.transform, TransformSettings(normalize: .robust, statistics: .validation, aggregate: .topK(4),
                                                               smooth: .ewma(window: 12), causalWindow: 500, scaleFloor: 0.1))
        XCTAssertEqual(c.calibration.export, .percentileValidation)
        XCTAssertEqual(c.calibration.validationPercentile, 99.9)
        XCTAssertEqual(c.calibration.validationPOT.level, 0.99)
        XCTAssertEqual(c.calibration.validationPOT.q, 0.0001)
        XCTAssertEqual(c.calibration.dynamic, DynamicThresholdParameters(batch: 50, windowBatches: 20, buffer: 10, prune: 0.2))
        XCTAssertEqual(c.accuracy.patience, 3)
        XCTAssertEqual(c.accuracy.minDelta, 0.01)
        XCTAssertEqual(c.accuracy.ensembleMembers, [.tranad, .iforest])
        XCTAssertEqual(c.accuracy.ensembleCombine, .rank)
        XCTAssertTrue(c.accuracy.ensembleOnValidation)
        XCTAssertEqual(c.accuracy.ensembleMemberTransform, TransformSettings(normalize: .zscore, statistics: .validation, aggregate: .topK(4)))
    }

    func testBadValuesAreRefusedWithTheirPlace() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "transform:\n  aggregate: median\n  top_k: 0\n  smooth_window: 0\n  scale_floor: 2\n")
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p) }, [
            "\(p):2:14: transform.aggregate: expected one of: model, mean, max, top_k, got 'median' (did you mean mean?)",
            "\(p):3:10: transform.top_k: expected integer 1…100000, got 0 (out of range)",
            "\(p):4:18: transform.smooth_window: expected integer 1…100000, got 0 (out of range)",
            "\(p):5:16: transform.scale_floor: expected number in [0.0, 1.0], got 2 (out of range)",
        ])
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p, overrides: []) }.count, 4)
        // the ORACLE cannot be exported: it is not among the choices
        let q = try d.write("y.yaml", "calibration: {export: oracle}\n")
        XCTAssertEqual(problems { try ExperimentConfig.load(path: q) },
                       ["\(q):1:23: calibration.export: expected one of: pot_train, percentile_train, pot_validation, percentile_validation, got 'oracle' (unknown value)"])
        let r = try d.write("z.yaml", "transform: {causal_window: 1}\n")
        XCTAssertEqual(problems { try ExperimentConfig.load(path: r) },
                       ["\(r):1:28: transform.causal_window: must be 0 (off) or at least 2 (a median and IQR need two scores)"])
    }

    func testValidationKeysNeedAValidationBlock() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", """
        models: [tranad, ensemble]
        calibration: {export: pot_validation}
        transform: {normalize: zscore, statistics: validation, aggregate: max}
        tranad: {patience: 2}
        ensemble: {statistics: validation}

        """)
        let ps = problems { try ExperimentConfig.load(path: p) }
        XCTAssertEqual(ps.count, 4, "\(ps)")
        for key in ["calibration.export", "transform.statistics", "tranad.patience", "ensemble.statistics"] {
            XCTAssertTrue(ps.contains { $0.contains("\(key): ") && $0.contains("validation.fraction > 0") }, "\(key): \(ps)")
        }
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p, overrides: ["validation.fraction=0.2"]) }, [])
    }

    func testScoresIdentityIgnoresOnlyEvaluationKeys() throws {
        let base = try ExperimentConfig(ResolvedConfig.defaults())
        func with(_ sets: [String]) throws -> ExperimentConfig {
            let d = try ConfigDir()
            return try ExperimentConfig.load(path: try d.write("x.yaml", "seed: 0\n"), overrides: sets)
        }
        let evalOnly = try with(["transform.aggregate=max", "calibration.percentile=95", "calibration.dynamic.batch=10",
                                 "evaluation.vus_window=5", "validation.selection=synthetic_roc_auc"])
        XCTAssertNotEqual(evalOnly.sha256, base.sha256)
        XCTAssertEqual(evalOnly.resolved.scoresSHA256, base.resolved.scoresSHA256)
        for scoreKey in ["tranad.epochs=6", "tranad.patience=1", "validation.fraction=0.1", "models=[pca]", "ensemble.combine=rank",
                         "validation.injection.rate=0.1", "seed=3"] {
            let sets = scoreKey.hasPrefix("tranad.patience") ? [scoreKey, "validation.fraction=0.2"] : [scoreKey]
            XCTAssertNotEqual(try with(sets).resolved.scoresSHA256, base.resolved.scoresSHA256, scoreKey)
        }
    }

    /// The recommended config and the ablation rows resolve; each row adds its stage to the one before; what they
    /// export reads training/validation scores only.
    func testRecommendedConfigAndAblationRowsResolve() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        func load(_ rel: String) throws -> ExperimentConfig { try ExperimentConfig.load(path: root.appendingPathComponent(rel).path) }
        let best = try load("experiments/smd-best.yaml")
        XCTAssertEqual(best.models, [.pca, .tranad])
        XCTAssertEqual(best.calibration.export, .percentileTrain)
        XCTAssertEqual(best.calibration.percentile, 98.5)
        XCTAssertEqual(best.validation.fraction, 0.2)
        XCTAssertEqual(best.accuracy.transform, TransformSettings(normalize: .robust, statistics: .validation, aggregate: .mean,
                                                                  smooth: .movingAverage(window: 10), causalWindow: 0, scaleFloor: 0.01))
        XCTAssertEqual(best.accuracy.patience, 2)
        XCTAssertEqual(best.tranad.epochs, 15)
        XCTAssertEqual(best.pcaVariance, 0.7)
        let rows = try ["a0-reference", "a1-validation-pot", "a2-robust-normalization", "a3-smoothing", "a4-percentile-threshold",
                        "a5-pca-components"].map { try load("experiments/ablation/\($0).yaml") }
        XCTAssertEqual(rows[0].calibration.export, .potTrain)
        XCTAssertEqual(rows[0].validation.fraction, 0)
        XCTAssertEqual(rows[1].calibration.export, .potValidation)
        XCTAssertEqual(rows[2].accuracy.transform.normalize, .robust)
        XCTAssertEqual(rows[3].accuracy.transform.smooth, .movingAverage(window: 10))
        XCTAssertEqual(rows[4].calibration.export, .percentileTrain)
        XCTAssertEqual(rows[5].pcaVariance, 0.7)
        // the last row differs from smd-best.yaml only in its models and TranAD's epochs/early stopping
        XCTAssertEqual(rows[5].accuracy.transform, best.accuracy.transform)
        XCTAssertEqual(rows[5].calibration, best.calibration)
        // rows 1–4 compute the same scores (only evaluation keys differ): one training run serves them all
        XCTAssertEqual(Set(rows[1...4].map(\.resolved.scoresSHA256)).count, 1)
        XCTAssertNotEqual(rows[0].resolved.scoresSHA256, rows[1].resolved.scoresSHA256)
    }
}
