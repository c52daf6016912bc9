import Foundation
import VigilData
import VigilHDF5
import VigilMetrics
import VigilScores
import VigilThresholds
import VigilTranAD
import XCTest
@testable import VigilExperiments

final class EvaluationRunnerTests: XCTestCase {
    /// Smooth 3-D series; the test half has a burst of large deviations at rows 100..<110 (labelled).
    static func syntheticDataset() throws -> AnomalyDataset {
        func series(_ n: Int, phase: Double, burst: Range<Int>?) -> DataMatrix {
            var v: [Double] = []
            for t in 0..<n {
                for d in 0..<3 {
                    var x = sin(Double(t) * 0.2 + Double(d) + phase) + 0.05 * cos(Double(t * (d + 2)))
                    if let b = burst, b.contains(t) { x += 4 }
                    v.append(x)
                }
            }
            return DataMatrix(rows: n, cols: 3, values: v)
        }
        let labels = (0..<300).map { (100..<110).contains($0) ? UInt8(1) : 0 }
        var interp = [UInt8](repeating: 0, count: 300 * 3)
        for r in 100..<110 { interp[r * 3] = 1; interp[r * 3 + 1] = 1; interp[r * 3 + 2] = 1 }
        return try AnomalyDataset.build(name: "synthetic", rawTrain: series(400, phase: 0, burst: nil),
                                        rawTest: series(300, phase: 0.3, burst: 100..<110), labels: labels,
                                        interpretationLabels: interp, sourceSHA256: ["train": "none"],
                                        testFile: "test", labelFile: "labels")
    }

    func testRunWritesReportScoresAndDeployableExports() throws {
        let ds = try Self.syntheticDataset()
        let out = NSTemporaryDirectory() + "vigil-eval-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var cfg = TranADConfig()
        cfg.epochs = 1
        cfg.seed = 1
        let detectors: [AnomalyDetector] = [
            IsolationForestAnomalyDetector(configuration: .init(nEstimators: 50, seed: 7)),
            TranADDetector(config: cfg, workers: 1),
        ]
        let outcome = try EvaluationRunner.run(dataset: ds, detectors: detectors, plan: EvaluationPlan(),
                                               outputDirectory: out, vigilVersion: "test", command: "test") { _ in }
        XCTAssertEqual(outcome.failures, [:])
        XCTAssertEqual(outcome.report.models.map(\.model), ["iforest", "tranad"])

        // Isolation Forest separates the +4 burst perfectly.
        let iforest = outcome.report.models[0]
        XCTAssertEqual(iforest.metrics.first?.thresholdFree.rocAUC ?? 0, 1.0, accuracy: 1e-12)
        // Every standard calibration ran, and only the oracle says it read labels.
        XCTAssertEqual(iforest.metrics.map(\.thresholdSelection.method),
                       ["pot_train", "pot_stream_reference_static", "percentile_train_99.0", "best_f1_ORACLE_point_adjusted_f1"])
        XCTAssertEqual(iforest.metrics.map(\.thresholdSelection.readsTestLabels), [false, false, false, true])

        // Stored scores reload identically; per-dimension scores exist for TranAD only.
        let f = try HDF5File(path: out + "/scores/tranad.h5", mode: .readOnly)
        let test = try ScoreSet(from: f, group: "test")
        XCTAssertEqual(test.rows, 300)
        XCTAssertEqual(test.dims, 3)

        // The exported threshold is the deployable POT threshold on train scores.
        let stateData = try Data(contentsOf: URL(fileURLWithPath: out + "/export/iforest/scorer_state.json"))
        let state = try JSONDecoder().decode(ScorerState.self, from: stateData)
        XCTAssertEqual(state.threshold.method, "pot_train")
        XCTAssertFalse(state.threshold.readsTestScores)
        let stored = try HDF5File(path: out + "/scores/iforest.h5", mode: .readOnly)
        let pot = try POT.calibrate(trainScores: try ScoreSet(from: stored, group: "train").aggregate, parameters: POTParameters())
        XCTAssertEqual(state.threshold.value, pot.threshold, accuracy: 1e-12)

        // norm_params.npy holds (2, F): min then max of the raw training data.
        let norm = try NpyReader.readMatrix(out + "/export/tranad/norm_params.npy")
        XCTAssertEqual(norm.rows, 2)
        XCTAssertEqual(Array(norm.values[0..<3]), ds.normMin)
        XCTAssertEqual(Array(norm.values[3..<6]), ds.normMax)
        // The exported checkpoint reproduces the stored test scores exactly and carries the training min/max.
        let (reloaded, lo, hi) = try TranADCheckpoint.load(path: out + "/export/tranad/checkpoint.h5", workers: 1)
        XCTAssertEqual(lo, ds.normMin)
        XCTAssertEqual(hi, ds.normMax)
        XCTAssertEqual(try reloaded.score(ds.test).rowMeans, test.aggregate)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/report.md"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any]
        XCTAssertEqual((json?["dataset"] as? [String: Any])?["test_rows"] as? Int, 300)
    }

    func testOracleThresholdIsNeverExported() throws {
        let ds = try Self.syntheticDataset()
        let d = IsolationForestAnomalyDetector(configuration: .init(nEstimators: 10, seed: 1))
        try d.fit(ds.train, progress: nil)
        let oracle = CalibratedThreshold(value: 0.5, method: "best_f1_ORACLE_point_adjusted_f1", readsTestScores: true, readsTestLabels: true)
        XCTAssertThrowsError(try Exporter.export(d, dataset: ds, threshold: oracle, pot: nil, to: NSTemporaryDirectory() + "never")) {
            XCTAssertEqual($0 as? ExportError, .nonDeployableThreshold("best_f1_ORACLE_point_adjusted_f1"))
        }
    }
}

final class BaselineRunnerTests: XCTestCase {
    /// Every baseline goes through the same fit → score → threshold → metrics → export path as TranAD, and its
    /// exported model re-scores the stored test scores exactly.
    func testBaselinesRunExportAndRescore() throws {
        let ds = try EvaluationRunnerTests.syntheticDataset()
        let out = NSTemporaryDirectory() + "vigil-eval-baselines-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let keys = ["pca", "knn", "l2_norm", "range_deviation", "random", "untrained_tranad"]
        let detectors = keys.compactMap { BaselineDetectors.make(key: $0, seed: 2) }
        XCTAssertEqual(detectors.count, 6)
        let outcome = try EvaluationRunner.run(dataset: ds, detectors: detectors, plan: EvaluationPlan(),
                                               outputDirectory: out, vigilVersion: "test", command: "test") { _ in }
        // range_deviation scores every training row 0 (each lies inside its own range), so POT on the training
        // scores has no peaks and the default exported threshold cannot be calibrated; a train percentile can.
        XCTAssertEqual(Array(outcome.failures.keys), ["range_deviation"])
        XCTAssertTrue(outcome.failures["range_deviation"]!.contains("could not be calibrated"))
        XCTAssertEqual(outcome.report.models.map(\.model), keys, "metrics are reported for all six")
        var plan = EvaluationPlan()
        plan.exportedCalibration = .percentile(99)
        let rangeOut = try EvaluationRunner.run(dataset: ds, detectors: [BaselineDetectors.make(key: "range_deviation")!], plan: plan,
                                                outputDirectory: out + "/range", vigilVersion: "test", command: "test") { _ in }
        XCTAssertEqual(rangeOut.failures, [:])
        for key in keys {
            let dir = key == "range_deviation" ? out + "/range" : out
            let state = try JSONDecoder().decode(ScorerState.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/export/\(key)/scorer_state.json")))
            XCTAssertEqual(state.model, key)
            XCTAssertEqual(state.modelFile, "model.h5")
            XCTAssertFalse(state.threshold.readsTestLabels)
            let reloaded = try BaselineDetectors.load(contentsOf: dir + "/export/\(key)/model.h5")
            let f = try HDF5File.openSealed(dir + "/scores/\(key).h5")
            XCTAssertEqual(try reloaded.score(ds.test), try ScoreSet(from: f, group: "test"), key)
            try f.close()
        }
        // The +4 burst leaves the training range: range_deviation and the reconstruction baselines rank it first.
        for key in ["pca", "knn", "range_deviation"] {
            let m = try XCTUnwrap(outcome.report.models.first { $0.model == key })
            XCTAssertEqual(m.metrics.first?.thresholdFree.rocAUC ?? 0, 1.0, accuracy: 1e-12, key)
        }
    }
}
