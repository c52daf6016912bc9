import Foundation
import VigilConfig
import VigilData
import VigilExport
import VigilHDF5
import VigilMetrics
import VigilResults
import VigilScores
import VigilThresholds
import VigilTranAD
import VigilTestSupport
import XCTest
@testable import VigilExperiments

final class ExperimentRunTests: XCTestCase {
    func testRunPublishesEveryMachineWithMetricsExportsAndSummary() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        let outcome = try fx.run(try fx.config(), into: dir)
        XCTAssertTrue(outcome.succeeded)
        XCTAssertEqual(outcome.results, ["machine-1-1": .completed, "machine-1-2": .completed])
        for m in fx.machines {
            for f in ["metrics.json", "provenance.json", "loss.csv", "labels.h5", "report.md", "scores/tranad.h5", "scores/iforest.h5",
                      "export/tranad/model.ckpt", "export/tranad/model.h5", "export/tranad/scorer_state.json", "export/tranad/norm_params.npy",
                      "export/tranad/eval_results.json", "export/tranad/checksums.sha256", "export/iforest/model.h5"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/\(m)/\(f)"), "\(m)/\(f)")
            }
        }
        // nothing but the published directories, the logs folder and the top files remains
        let top = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(top, ["config.yaml", "machine-1-1", "machine-1-2", "report.html", "report.md", "run.json", "summary.json"])

        let m = try ExperimentRun.readMetrics(RunLayout(root: dir), "machine-1-1")
        XCTAssertEqual(m.modelOrder, ["tranad", "iforest"])
        XCTAssertEqual(m.dataset.testRows, 220)
        XCTAssertEqual(m.dataset.anomalousTestPoints, 10)
        let t = try XCTUnwrap(m.models["tranad"])
        XCTAssertEqual(t.thresholdMethod, "pot_train")
        for k in ModelMetrics.flatKeys { XCTAssertNotNil(t.flat[k], "flat key \(k) missing") }
        // the exported block is the pot_train calibration's metrics; the oracle is apart and says it read labels
        XCTAssertEqual(t["pw_f1"], t.calibrations["pot_train"]?.atThreshold.pointwise.f1)
        XCTAssertEqual(Set(t.calibrations.keys), ["pot_train", "percentile_train_99.0", "pot_stream_reference_static"])
        XCTAssertFalse(t.calibrations.keys.contains { $0.contains("ORACLE") })
        let oracle = try XCTUnwrap(t.oracle)
        XCTAssertTrue(oracle.readsTestLabels)
        XCTAssertGreaterThanOrEqual(oracle.pwF1, t["pw_f1"]!)
        // the forest separates the +0.6 burst
        XCTAssertEqual(try XCTUnwrap(m.models["iforest"]?["roc_auc"]), 1.0, accuracy: 0.02)

        // metrics.json flat keys as the issue lists them, JSON-level
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: fx.file(dir, "machine-1-1/metrics.json")) as? [String: Any])
        XCTAssertEqual(json["machine"] as? String, "machine-1-1")
        XCTAssertEqual((json["config_sha256"] as? String)?.count, 64)
        let block = try XCTUnwrap((json["models"] as? [String: Any])?["tranad"] as? [String: Any])
        for k in ["threshold", "threshold_method", "pw_precision", "pw_recall", "pw_f1", "pa_precision", "pa_recall", "pa_f1", "pak_auc",
                  "event_f1", "roc_auc", "pr_auc", "hit100", "hit150", "ndcg100", "ndcg150", "calibrations", "oracle"] {
            XCTAssertNotNil(block[k], k)
        }
        XCTAssertNotNil((block["oracle"] as? [String: Any])?["pw_f1"])

        // the exported threshold is the deployable POT of the stored training scores
        let stored = try ScoreFile.read("\(dir)/machine-1-1/scores/tranad.h5")
        let (train, test) = (stored.train, stored.test)
        let pot = try POT.calibrate(trainScores: train.aggregate, parameters: POTParameters(level: 0.98))
        XCTAssertEqual(t["threshold"]!, pot.threshold, accuracy: 1e-12)
        // the exported checkpoint reproduces the stored test scores exactly
        let (reloaded, _, _) = try TranADCheckpoint.load(path: "\(dir)/machine-1-1/export/tranad/model.h5", workers: 1)
        let ds = try SMDLoader(root: fx.root + "/smd").load("machine-1-1")
        XCTAssertEqual(try reloaded.score(ds.test).rowMeans, test.aggregate)
        // the bundle's eval_results.json is the machine's metrics.json; its threshold is the metrics' exported one
        XCTAssertEqual(fx.file(dir, "machine-1-1/export/tranad/eval_results.json"), fx.file(dir, "machine-1-1/metrics.json"))
        XCTAssertEqual(fx.file(dir, "machine-1-1/export/iforest/eval_results.json"), fx.file(dir, "machine-1-1/metrics.json"))
        let state = try XCTUnwrap(JSONSerialization.jsonObject(with: fx.file(dir, "machine-1-1/export/tranad/scorer_state.json")) as? [String: Any])
        XCTAssertEqual(state["calibration"] as? String, t.thresholdMethod)
        XCTAssertEqual(try ScorerState.decode(Array(fx.file(dir, "machine-1-1/export/tranad/scorer_state.json")), path: "s").threshold, t["threshold"])
        XCTAssertEqual((state["provenance"] as? [String: Any])?["training_rows"] as? Int, train.rows)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/machine-1-1/export/iforest/model.ckpt"))

        // loss.csv has one row per batch: 320 rows / 64 = 5 batches, 1 epoch
        let loss = String(decoding: fx.file(dir, "machine-1-1/loss.csv"), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(loss.first, "model,epoch,batch,batch_loss,epoch_mean_loss,learning_rate")
        XCTAssertEqual(loss.count, 1 + 5)

        let summary = outcome.summary
        XCTAssertEqual(summary.machines.map(\.machine), fx.machines)
        XCTAssertEqual(summary.overMachines["tranad"]?["pw_f1"]?.n, 2)
        let mean = (summary.machines[0].models["iforest"]!["roc_auc"]!! + summary.machines[1].models["iforest"]!["roc_auc"]!!) / 2
        XCTAssertEqual(summary.overMachines["iforest"]?["roc_auc"]?.mean ?? 0, mean, accuracy: 1e-15)
    }

    func testIdenticalRunsAndReevaluationGiveByteIdenticalMetrics() throws {
        let fx = try RunFixture()
        let cfg = try fx.config()
        _ = try fx.run(cfg, into: fx.root + "/a")
        _ = try fx.run(cfg, into: fx.root + "/b")
        for m in fx.machines {
            let a = fx.file(fx.root + "/a", "\(m)/metrics.json")
            XCTAssertGreaterThan(a.count, 1000)
            XCTAssertEqual(a, fx.file(fx.root + "/b", "\(m)/metrics.json"), m)
        }
        let re = try Reevaluation.run(directory: fx.root + "/a")
        XCTAssertEqual(re.machines.map(\.name), fx.machines)
        XCTAssertEqual(re.machines.map(\.changed), [false, false])
        for m in fx.machines {
            XCTAssertEqual(fx.file(fx.root + "/a", "\(m)/metrics.json"), fx.file(fx.root + "/b", "\(m)/metrics.json"))
        }
    }

    func testRerunSkipsCompleteMachinesAndRedoesTheRest() throws {
        let fx = try RunFixture()
        let cfg = try fx.config()
        let dir = fx.root + "/out"
        _ = try fx.run(cfg, into: dir, overrides: ["models=[iforest]"])
        let kept = fx.file(dir, "machine-1-1/provenance.json")
        // a killed run: one machine never published, a stale staging directory left behind
        try FileManager.default.removeItem(atPath: dir + "/machine-1-2")
        try FileManager.default.createDirectory(atPath: dir + "/.machine-1-2.host.999999.1.staging", withIntermediateDirectories: true)
        let events = RecordingUnitEvents()
        let outcome = try fx.run(cfg, into: dir, overrides: ["models=[iforest]"], events: events)
        XCTAssertEqual(outcome.skipped, ["machine-1-1"])
        XCTAssertEqual(outcome.results, ["machine-1-2": .completed])
        XCTAssertEqual(fx.file(dir, "machine-1-1/provenance.json"), kept, "a complete machine is not touched")
        XCTAssertFalse(events.events.contains { $0.unit == "machine-1-1" && $0.kind == .stageStarted })
        XCTAssertTrue(RunLayout(root: dir).isComplete("machine-1-2"))
        XCTAssertEqual(outcome.summary.machines.count, 2)
    }

    func testAnotherConfigIsRefusedInTheSameDirectory() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        _ = try fx.run(try fx.config(), into: dir, overrides: ["data.machines=[machine-1-1]", "models=[iforest]"])
        XCTAssertThrowsError(try fx.run(try fx.config(), into: dir, overrides: ["models=[iforest]", "iforest.trees=21"])) { e in
            guard case .configMismatch(let d, _, _)? = e as? ExperimentError else { return XCTFail("\(e)") }
            XCTAssertEqual(d, dir)
        }
        // selecting more machines is the same experiment: it resumes
        let more = try fx.run(try fx.config(), into: dir, overrides: ["models=[iforest]"])
        XCTAssertEqual(more.skipped, ["machine-1-1"])
        // a directory with other files is not taken over
        let other = fx.root + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try "x".write(toFile: other + "/notes.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try fx.run(try fx.config(), into: other, overrides: ["models=[iforest]"])) { e in
            XCTAssertEqual(e as? ExperimentError, .notARunDirectory(other))
        }
    }

    func testEditedStoredConfigIsRefusedByReevaluation() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        _ = try fx.run(try fx.config(), into: dir, overrides: ["models=[iforest]", "data.machines=[machine-1-1]"])
        let path = dir + "/config.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "trees: 20", with: "trees: 21")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Reevaluation.run(directory: dir)) { e in
            guard case .damagedResult(let p, let why)? = e as? ExperimentError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue(why.contains("was it edited?"), why)
        }
    }

    func testValidationBlockIsHeldOutInjectedAndScored() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        _ = try fx.run(try fx.config("validation: {fraction: 0.25, injection: {rate: 0.1, max_length: 10}}"), into: dir,
                       overrides: ["data.machines=[machine-1-1]"])
        let m = try ExperimentRun.readMetrics(RunLayout(root: dir), "machine-1-1")
        let stored = try ScoreFile.read(dir + "/machine-1-1/scores/iforest.h5")
        XCTAssertEqual(stored.train.rows, 240, "the models fit on the first 75% of the 320 training rows")
        XCTAssertEqual(stored.validationClean?.rows, 80)
        XCTAssertEqual(stored.validationInjected?.rows, 80)
        let labels = try LabelStore.read(dir + "/machine-1-1/labels.h5")
        let v = try XCTUnwrap(m.models["iforest"]?.validation)
        XCTAssertEqual(v.rows, 80)
        XCTAssertEqual(v.injectedRows, labels.validation?.filter { $0 }.count)
        XCTAssertGreaterThanOrEqual(v.injectedRows, 8)
        XCTAssertEqual(v.selection, "synthetic_vus_pr")
        XCTAssertEqual(v.selectionScore, v.vusPR)
        XCTAssertEqual(try XCTUnwrap(m.models["tranad"]?.validation?.rows), 80)
        // the exported threshold is calibrated on the fitted rows' scores only
        let pot = try POT.calibrate(trainScores: stored.train.aggregate, parameters: POTParameters(level: 0.98))
        XCTAssertEqual(m.models["iforest"]!["threshold"]!, pot.threshold, accuracy: 1e-12)
        let re = try Reevaluation.run(directory: dir)
        XCTAssertEqual(re.machines.map(\.changed), [false])
    }

    /// Every baseline goes through the same fit → score → threshold → metrics → export path as TranAD; the sanity
    /// baselines are added unless switched off.
    func testBaselinesAndSanityBaselinesRunThroughTheSamePath() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        let outcome = try fx.run(try fx.config(), into: dir, overrides: [
            "models=[pca, knn, l2_norm, range_deviation]", "evaluation.sanity_baselines=true", "data.machines=[machine-1-1]",
            "tranad.window=3"])
        let m = try ExperimentRun.readMetrics(RunLayout(root: dir), "machine-1-1")
        XCTAssertEqual(m.modelOrder, ["pca", "knn", "l2_norm", "range_deviation", "random", "untrained_tranad"])
        // range_deviation scores every training row 0, so POT on training scores has no tail: recorded, not exported
        XCTAssertEqual(Array(m.failures.keys), ["range_deviation"])
        XCTAssertTrue(m.failures["range_deviation"]!.contains("could not be calibrated"), m.failures["range_deviation"]!)
        XCTAssertFalse(outcome.succeeded)
        for key in ["pca", "knn", "l2_norm", "random", "untrained_tranad"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/machine-1-1/export/\(key)/model.h5"), key)
        }
        // the +0.6 burst leaves the training range: the reconstruction baselines rank it first
        for key in ["pca", "knn"] { XCTAssertEqual(try XCTUnwrap(m.models[key]?["roc_auc"]), 1.0, accuracy: 0.01, key) }
        XCTAssertNotNil(m.models["untrained_tranad"]?["roc_auc"] ?? nil)
        // exported percentile threshold: range_deviation exports fine
        let r2 = try fx.run(try fx.config(), into: fx.root + "/out2", overrides: [
            "models=[range_deviation]", "calibration.export=percentile_train", "data.machines=[machine-1-1]"])
        XCTAssertTrue(r2.succeeded)
    }

    /// `seeds: 2` repeats the stochastic models (scores of the repeat stored apart), not the deterministic ones; the
    /// summary's per-machine value is the mean over seeds, with its standard deviation, pooled metrics, the bootstrap
    /// interval, win/tie/loss and the threshold-sensitivity curves; re-evaluation reproduces all of it.
    func testSeedsRepeatStochasticModelsAndFeedTheStatistics() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/out"
        let outcome = try fx.run(try fx.config(), into: dir, overrides: ["models=[iforest, pca]", "seeds=2", "iforest.samples=32"])
        XCTAssertTrue(outcome.succeeded)
        let m = try ExperimentRun.readMetrics(RunLayout(root: dir), "machine-1-1")
        let forest = try XCTUnwrap(m.models["iforest"])
        let runs = try XCTUnwrap(forest.seedRuns)
        XCTAssertEqual(runs.map(\.seed), ["3", "4"])
        XCTAssertEqual(runs[0].flat, forest.flat, "the first repeat is the exported one")
        XCTAssertNotEqual(runs[0].flat["roc_auc"] ?? nil, runs[1].flat["roc_auc"] ?? nil, "a second seed draws other trees")
        XCTAssertNil(m.models["pca"]?.seedRuns, "PCA is deterministic: one run")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/machine-1-1/scores/iforest.seed1.h5"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/machine-1-1/scores/pca.seed1.h5"))

        let s = outcome.summary
        XCTAssertEqual(s.seeds, 2)
        let row = s.machines[0]
        let a = runs[0].flat["roc_auc"]!!, b = runs[1].flat["roc_auc"]!!
        XCTAssertEqual(row.models["iforest"]?["roc_auc"] ?? nil, (a + b) / 2)
        XCTAssertEqual(try XCTUnwrap(row.seedStd["iforest"]?["roc_auc"] ?? nil), abs(a - b) / 2.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(s.overMachines["iforest"]?["roc_auc"]?.ci95).count, 2)
        // pooled F1 is the F1 of the summed confusion counts
        var tp = 0, fp = 0, fn = 0
        for mm in ["machine-1-1", "machine-1-2"] {
            let x = try ExperimentRun.readMetrics(RunLayout(root: dir), mm).models["pca"]!
            let p = x.calibrations[x.thresholdMethod]!.atThreshold.pointwise
            tp += p.tp; fp += p.fp; fn += p.fn
        }
        XCTAssertEqual(s.pooled["pca"]?["pw_f1"] ?? nil, PRF(tp: tp, fp: fp, fn: fn, tn: 0).f1)
        XCTAssertNotNil(s.pooled["pca"]?["vus_pr"] ?? nil)
        XCTAssertEqual(s.winTieLoss.filter { $0.metric == "vus_pr" }.count, 2, "iforest vs pca and pca vs iforest")
        for w in s.winTieLoss { XCTAssertEqual(w.win + w.tie + w.loss, 2, "\(w)") }
        // the sensitivity curve at the configured level is the exported threshold
        let sens = try XCTUnwrap(forest.sensitivity)
        XCTAssertEqual(sens.potLevel.map(\.value), ScoreEvaluation.sensitivityLevels)
        XCTAssertEqual(try XCTUnwrap(sens.potLevel.first { $0.value == 0.98 }?.threshold), forest["threshold"]!, accuracy: 1e-12)
        XCTAssertEqual(s.sensitivity["iforest"]?.potLevel.count, ScoreEvaluation.sensitivityLevels.count)
        let html = String(decoding: fx.file(dir, "report.html"), as: UTF8.self)
        XCTAssertTrue(html.contains("Win / tie / loss per machine on VUS-PR"))
        XCTAssertTrue(html.contains("Threshold sensitivity"))
        let md = String(decoding: fx.file(dir, "report.md"), as: UTF8.self)
        XCTAssertTrue(md.contains("## Legacy protocol: point adjustment"))
        XCTAssertTrue(md.contains("## Pooled over machines"))
        let re = try Reevaluation.run(directory: dir)
        XCTAssertEqual(re.machines.map(\.changed), [false, false])
    }

    func testBootstrapIntervalAndWinTieLoss() {
        // two values: resampled means are 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4 → [0, 1]
        XCTAssertEqual(Aggregate.bootstrapInterval([0, 1]), [0, 1])
        XCTAssertEqual(Aggregate.bootstrapInterval([0.3, 0.3, 0.3]), [0.3, 0.3])
        let ci = Aggregate.bootstrapInterval((0..<20).map { Double($0) })
        XCTAssertTrue(ci[0] > 6.5 && ci[0] < 8 && ci[1] > 11 && ci[1] < 12.5, "\(ci)")   // normal approx: 9.5 ± 1.96·1.29
        XCTAssertEqual(Aggregate.bootstrapInterval([1, 2, 5]), Aggregate.bootstrapInterval([1, 2, 5]), "seeded")
        XCTAssertNil(Aggregate([0.5], bootstrap: true).ci95)
    }

    func testThreadsPerUnitDividesTheCores() throws {
        let c = try ExperimentConfig(ResolvedConfig.defaults())
        XCTAssertEqual(ExperimentRun.threadsPerUnit(config: c, jobs: 1, cores: 8), 8)
        XCTAssertEqual(ExperimentRun.threadsPerUnit(config: c, jobs: 3, cores: 8), 2)
        XCTAssertEqual(ExperimentRun.threadsPerUnit(config: c, jobs: 16, cores: 8), 1)
        let fixed = try ExperimentConfig(ResolvedConfig.defaults().setting("threads", .int(3), origin: .defaultValue))
        XCTAssertEqual(ExperimentRun.threadsPerUnit(config: fixed, jobs: 4, cores: 8), 3)
    }
}
