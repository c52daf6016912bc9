import Foundation
import VigilConfig
import VigilData
import VigilExport
import VigilMetrics
import VigilResults
import VigilScores
import VigilThresholds
import VigilTransforms
import VigilTestSupport
import XCTest
@testable import VigilExperiments

/// The accuracy stages (issue 15) through `vigil run`'s unit: transforms, validation calibrations, the dynamic
/// threshold, early stopping, the ensemble, score reuse, and the export's honesty checks.
final class AccuracyStagesTests: XCTestCase {
    let validation = "validation: {fraction: 0.25, injection: {rate: 0.1, max_length: 10}}"

    func testTransformedRunRecordsTheTransformAndExportsItsThreshold() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        let outcome = try fx.run(try fx.config(validation + """

        transform: {normalize: robust, statistics: validation, aggregate: top_k, top_k: 3, smooth: ewma, smooth_window: 3}
        """), into: dir, overrides: ["data.machines=[machine-1-1]", "calibration.export=percentile_validation",
                                     "calibration.validation_percentile=99.0"])
        XCTAssertTrue(outcome.succeeded, "\(outcome.summary.machines.map(\.failures))")
        let m = try ExperimentRun.readMetrics(RunLayout(root: dir), "machine-1-1")
        let t = try XCTUnwrap(m.models["tranad"])
        let state = try XCTUnwrap(t.transform)
        XCTAssertEqual(state.reads, ScoreReads(.validationScores))
        XCTAssertEqual(state.input, "per_dimension")
        XCTAssertEqual(t.thresholdMethod, "percentile_validation_99.0")
        XCTAssertEqual(Set(t.calibrations.keys), ["pot_train", "percentile_train_99.0", "pot_stream_reference_static", "pot_validation",
                                                  "percentile_validation_99.0", "dynamic_hundman"])
        let exported = try XCTUnwrap(t.calibrations["percentile_validation_99.0"]?.thresholdSelection)
        XCTAssertEqual(exported.reads, ScoreReads(.validationScores))
        XCTAssertTrue(try XCTUnwrap(t.calibrations["dynamic_hundman"]?.thresholdSelection.readsPastScores))
        XCTAssertTrue(try XCTUnwrap(t.calibrations["pot_stream_reference_static"]?.thresholdSelection.readsTestScores))
        // the threshold is the 99th percentile of the TRANSFORMED clean validation scores
        let stored = try ScoreFile.read(dir + "/machine-1-1/scores/tranad.h5")
        let val = try state.apply(try XCTUnwrap(stored.validationClean), after: stored.train)
        XCTAssertEqual(t["threshold"]!, VigilThresholds.percentile(val.aggregate, 99), accuracy: 1e-12)
        // the export carries the transform: applying it to the model's scores gives the evaluated scores
        let data = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/machine-1-1/export/tranad/scorer_state.json"))
        let scorer = try ScorerState.decode([UInt8](data), path: "scorer_state.json")
        XCTAssertEqual(scorer.threshold, t["threshold"]!)
        XCTAssertEqual(scorer.formatVersion, 2)
        XCTAssertEqual(scorer.reads, ["train", "validation"])
        XCTAssertEqual(scorer.calibration, "percentile_validation_99.0")
        let carried = try XCTUnwrap(scorer.transform)
        try carried.validate()
        XCTAssertEqual(try carried.apply(stored.test).aggregate, try state.apply(stored.test).aggregate)
        // re-evaluation reproduces the metrics byte for byte
        XCTAssertEqual(try Reevaluation.run(directory: dir).machines.map(\.changed), [false])
    }

    func testPastScoreTransformIsEvaluatedButNotExported() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        let outcome = try fx.run(try fx.config(validation + "\ntransform: {causal_window: 40}\n"), into: dir,
                                 overrides: ["data.machines=[machine-1-1]", "models=[iforest]"])
        XCTAssertTrue(outcome.succeeded)
        let m = try ExperimentRun.readMetrics(RunLayout(root: dir), "machine-1-1")
        let f = try XCTUnwrap(m.models["iforest"])
        XCTAssertTrue(try XCTUnwrap(f.transform).reads.readsPastScores)
        // every threshold on this score reads past scores, the deployable calibrations included
        for (name, r) in f.calibrations { XCTAssertTrue(r.thresholdSelection.readsPastScores, name) }
        XCTAssertTrue(try XCTUnwrap(f.exportRefused).contains("past_scores"), f.exportRefused ?? "")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/machine-1-1/export/iforest"))
    }

    func testExportRefusesWhatReadsTestOrPastScores() throws {
        let fx = try RunFixture()
        let ds = try SMDLoader(root: fx.root + "/smd").load("machine-1-1")
        let det = IsolationForestAnomalyDetector(configuration: .init(nEstimators: 5))
        try det.fit(ds.train, progress: nil)
        let scores = try det.score(ds.train)
        let provenance = ExportProvenance(vigilVersion: "test", vigilCommit: "unknown", vigilDirty: nil, unit: "machine-1-1", dataset: "smd",
                                          datasetSHA256: [:], configSHA256: nil, command: nil, trainingRows: ds.train.rows, modelSettings: [:])
        func prepare(_ method: CalibrationMethod, transform: TransformState? = nil) throws -> ExportPlan {
            try ExportPlan.prepare(detector: det, trainScores: scores, validationScores: scores, transform: transform, calibration: method,
                                   normalizer: ds.normalizer, provenance: provenance)
        }
        XCTAssertThrowsError(try prepare(.dynamic(DynamicThresholdParameters()))) {
            XCTAssertEqual($0 as? ExportError, .nonDeployableThreshold("dynamic_hundman"))
        }
        XCTAssertThrowsError(try prepare(.bestF1Oracle(.pointwiseF1)))
        let testFitted = try TransformState.fit(TransformSettings(normalize: .zscore, statistics: .test), train: scores, test: scores)
        XCTAssertThrowsError(try prepare(.percentileValidation(99), transform: testFitted)) {
            XCTAssertTrue(String(describing: $0).contains("transform"), "\($0)")
        }
        let plan = try prepare(.percentileValidation(99))
        XCTAssertEqual(plan.state.reads, ["train", "validation"])
        XCTAssertEqual(plan.state.formatVersion, 1)
        XCTAssertNil(plan.state.transform)
        // every calibration a config can export is deployable; the ORACLE is not among them
        let c = try ExperimentConfig.load(path: try fx.config(), overrides: ["validation.fraction=0.2"])
        for e in ExportedCalibration.allCases {
            var cal = c.calibration
            cal.export = e
            let method = ScoreEvaluation.exported(cal)
            XCTAssertNotNil(method.deployable, e.rawValue)
            XCTAssertTrue(method.reads.isDeployable, e.rawValue)
            XCTAssertFalse(method.name.contains("ORACLE"))
        }
    }

    func testScoresFromAnotherRunAreReevaluatedWithoutRetraining() throws {
        let fx = try RunFixture()
        let cfg = try fx.config(validation)
        let a = fx.root + "/a", b = fx.root + "/b", c = fx.root + "/c"
        _ = try fx.run(cfg, into: a, overrides: ["data.machines=[machine-1-1]"])
        let evalOnly = ["data.machines=[machine-1-1]", "transform.normalize=zscore", "transform.aggregate=max", "calibration.export=pot_validation",
                        "calibration.validation_pot.level=0.9"]
        // b: fitted afresh; c: the same config re-evaluating a's stored scores
        _ = try fx.run(cfg, into: b, overrides: evalOnly)
        let config = try ExperimentConfig.load(path: cfg, overrides: evalOnly)
        let run = ExperimentRun(config: config, directory: c, threads: 1, environment: RunFixture.environment, command: "test")
        run.scoresFrom = a
        try run.prepareDirectory()
        let prep = try DataSource.prepare(config)
        let outcome = try run.run(units: prep.units, unavailable: [], selectedAll: prep.selectedAll, executor: InProcessExecutor(job: run.job),
                                  events: SilentUnitEvents())
        XCTAssertTrue(outcome.succeeded)
        let mb = try ExperimentRun.readMetrics(RunLayout(root: b), "machine-1-1")
        let mc = try ExperimentRun.readMetrics(RunLayout(root: c), "machine-1-1")
        for model in ["tranad", "iforest"] {
            XCTAssertEqual(mb.models[model]?.flat, mc.models[model]?.flat, model)
            XCTAssertEqual(mb.models[model]?.calibrations, mc.models[model]?.calibrations, model)
            XCTAssertNil(mb.models[model]?.exportRefused)
            XCTAssertTrue(mc.models[model]?.exportRefused?.contains("scores reused") ?? false)
        }
        let prov = String(decoding: fx.file(c, "machine-1-1/provenance.json"), as: UTF8.self)
        XCTAssertTrue(prov.contains("scores reused from"), prov)
        XCTAssertFalse(prov.contains("fit tranad"), "nothing was fitted")
        // a config that changes the scores does not reuse them
        let other = try ExperimentConfig.load(path: cfg, overrides: ["data.machines=[machine-1-1]", "tranad.epochs=2"])
        XCTAssertFalse(ScoreReuse.matches(RunLayout(root: a).machine("machine-1-1"), config: other, machine: "machine-1-1"))
        XCTAssertFalse(ScoreReuse.matches(RunLayout(root: a).machine("machine-1-1"), config: config, machine: "machine-1-2"))
    }

    func testEarlyStoppingRecordsTheKeptEpoch() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        let outcome = try fx.run(try fx.config(validation), into: dir,
                                 overrides: ["data.machines=[machine-1-1]", "models=[tranad]", "tranad.epochs=6", "tranad.patience=1",
                                             "tranad.min_delta=0.5"])
        XCTAssertTrue(outcome.succeeded)
        let stored = try ScoreFile.read(dir + "/machine-1-1/scores/tranad.h5")
        let trained = try XCTUnwrap(Int(stored.test.provenance["epochs_trained"] ?? ""))
        let best = try XCTUnwrap(Int(stored.test.provenance["best_epoch"] ?? ""))
        // min_delta 0.5 demands halving the validation loss every epoch: it stops early, one epoch after the best
        XCTAssertLessThan(trained, 6)
        XCTAssertEqual(trained, best + 1)
        XCTAssertTrue(stored.test.provenance["early_stopping"]?.contains("kept epoch \(best)") ?? false)
        let loss = String(decoding: fx.file(dir, "machine-1-1/loss.csv"), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(loss.count - 1, trained * 4, "240 fitted rows / 64 = 4 batches per trained epoch")
    }

    func testEnsembleReusesFittedMembersThroughTheDetectorPath() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        let outcome = try fx.run(try fx.config(validation), into: dir, overrides: [
            "data.machines=[machine-1-1]", "models=[pca, iforest, ensemble]", "ensemble.members=[pca, iforest]",
            "ensemble.combine=zscore", "ensemble.statistics=validation", "calibration.export=percentile_validation"])
        XCTAssertTrue(outcome.succeeded, "\(outcome.summary.machines.map(\.failures))")
        let pca = try ScoreFile.read(dir + "/machine-1-1/scores/pca.h5")
        let forest = try ScoreFile.read(dir + "/machine-1-1/scores/iforest.h5")
        let ens = try ScoreFile.read(dir + "/machine-1-1/scores/ensemble.h5")
        // e = ½ Σ (s − μ_val) / σ_val with each member's clean validation scores (μ, σ population)
        func standardizer(_ v: [Double]) -> (Double) -> Double {
            let mu = v.reduce(0, +) / Double(v.count)
            let sd = (v.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(v.count)).squareRoot()
            return { ($0 - mu) / sd }
        }
        let zp = standardizer(pca.validationClean!.aggregate), zf = standardizer(forest.validationClean!.aggregate)
        for i in [0, 57, 125, 219] {
            XCTAssertEqual(ens.test.aggregate[i], (zp(pca.test.aggregate[i]) + zf(forest.test.aggregate[i])) / 2, accuracy: 1e-9)
        }
        XCTAssertEqual(ens.test.provenance["members"], "pca,iforest")
        let m = try ExperimentRun.readMetrics(RunLayout(root: dir), "machine-1-1")
        XCTAssertEqual(try XCTUnwrap(m.models["ensemble"]?["roc_auc"]), 1.0, accuracy: 0.02)
        XCTAssertNotNil(m.models["ensemble"]?.exportRefused, "the serving bundle holds one model; an ensemble is not exported")
    }

    func testEnsembleMemberTransformNormalizesEachMemberFirst() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        let outcome = try fx.run(try fx.config(validation), into: dir, overrides: [
            "data.machines=[machine-1-1]", "models=[pca, ensemble]", "ensemble.members=[pca]", "ensemble.statistics=validation",
            "ensemble.member_normalize=robust", "ensemble.member_aggregate=max"])
        XCTAssertTrue(outcome.succeeded, "\(outcome.summary.machines.map(\.failures))")
        let pca = try ScoreFile.read(dir + "/machine-1-1/scores/pca.h5")
        let ens = try ScoreFile.read(dir + "/machine-1-1/scores/ensemble.h5")
        // one member: e = (t − μ) / σ with t the member's robust-normalized max, μ and σ of t on the validation block
        let t = try TransformState.fit(TransformSettings(normalize: .robust, statistics: .validation, aggregate: .max),
                                       train: pca.train, validation: pca.validationClean)
        let v = try t.apply(try XCTUnwrap(pca.validationClean), after: pca.train).aggregate
        let mu = v.reduce(0, +) / Double(v.count)
        let sd = (v.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(v.count)).squareRoot()
        let test = try t.apply(pca.test).aggregate
        for i in [0, 100, 125, 219] { XCTAssertEqual(ens.test.aggregate[i], (test[i] - mu) / sd, accuracy: 1e-9) }
        XCTAssertEqual(ens.test.provenance["member_transform"], t.formula)
    }
}
