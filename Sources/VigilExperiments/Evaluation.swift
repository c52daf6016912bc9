// One evaluation: fit each detector on the training rows, score train and test, calibrate thresholds,
// compute metrics. Test labels reach only the metrics (and the ORACLE calibration, named as such).
import Foundation
import VigilData
import VigilMetrics
import VigilScores
import VigilThresholds

/// What one evaluation of one dataset runs.
public struct EvaluationPlan: Sendable {
    /// Calibrations to report (default: deployable POT, reference POT stream, train percentile, F1 ORACLE).
    public var calibrations: [CalibrationMethod]
    /// The calibration whose threshold is exported for serving (must be deployable).
    public var exportedCalibration: CalibrationMethod

    /// The standard plan with POT parameters `pot` and train percentile `percentile`.
    public init(pot: POTParameters = POTParameters(), percentile: Double = 99) {
        calibrations = Evaluation.standardMethods(pot: pot, percentile: percentile)
        exportedCalibration = .pot(pot)
    }
}

/// Result of one detector on one dataset: scores, thresholds, metrics, timings.
public struct DetectorResult: Sendable {
    /// Detector name (`tranad`, `iforest`).
    public var model: String
    /// Detector configuration as printed in reports.
    public var provenance: [String: String]
    /// Scores of the training rows (the calibration input of deployable thresholds).
    public var trainScores: ScoreSet
    /// Scores of the test rows.
    public var testScores: ScoreSet
    /// One metrics report per calibration that succeeded.
    public var reports: [MetricsReport]
    /// Calibrations that failed, with the reason (e.g. POT initialisation without peaks).
    public var calibrationFailures: [String: String]
    /// Deployable POT calibration details (initial threshold, γ, σ), when it succeeded.
    public var pot: POTCalibration?
    /// Training status lines (per-epoch losses).
    public var trainingLog: [String]
    /// Wall-clock seconds for fit and for scoring train + test.
    public var fitSeconds: Double
    public var scoreSeconds: Double
}

/// Runs detectors on a dataset and evaluates them under every calibration of a plan.
public enum DatasetEvaluation {
    /// Fits `detector` on `dataset.train`, scores train and test, and evaluates every calibration.
    /// Labels are passed only to `MetricsReport`/the oracle via `CalibrationMethod.calibrate`.
    public static func evaluate(_ detector: AnomalyDetector, on dataset: AnomalyDataset, plan: EvaluationPlan,
                                log: ((String) -> Void)? = nil) throws -> DetectorResult {
        var lines: [String] = []
        let t0 = Date()
        try detector.fit(dataset.train) { line in lines.append(line); log?(line) }
        let t1 = Date()
        let train = try detector.score(dataset.train)
        let test = try detector.score(dataset.test)
        let t2 = Date()
        for (split, s) in [("train", train), ("test", test)] {
            if let row = s.firstNonFiniteRow { throw EvaluationError.nonFiniteScores(model: detector.name, split: split, row: row) }
        }
        let labels = dataset.labels.map { $0 != 0 }
        let interpretation = dataset.interpretationLabels.map { $0.map { $0 != 0 } }
        var reports: [MetricsReport] = []
        var failures: [String: String] = [:]
        for method in plan.calibrations {
            do {
                let thr = try method.calibrate(trainScores: train.aggregate, testScores: test.aggregate, testLabels: labels)
                reports.append(try MetricsReport.compute(
                    testScores: test.aggregate, labels: labels, threshold: thr,
                    perDimensionScores: test.dims > 0 ? test.perDimension : nil,
                    interpretationLabels: test.dims > 0 ? interpretation : nil,
                    dimensions: test.dims > 0 ? test.dims : nil))
            } catch {
                failures[method.name] = String(describing: error)
                log?("\(detector.name): calibration \(method.name) failed: \(error)")
            }
        }
        var pot: POTCalibration?
        if case let .pot(p) = plan.exportedCalibration {
            pot = try? POT.calibrate(trainScores: train.aggregate, parameters: p)
        }
        return DetectorResult(model: detector.name, provenance: detector.provenance, trainScores: train, testScores: test,
                              reports: reports, calibrationFailures: failures, pot: pot, trainingLog: lines,
                              fitSeconds: t1.timeIntervalSince(t0), scoreSeconds: t2.timeIntervalSince(t1))
    }
}

/// Errors of an evaluation run.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    /// The detector produced NaN or infinite scores (diverged training, bad input); `row` is 0-based.
    case nonFiniteScores(model: String, split: String, row: Int)
    /// A calibration needed for export failed.
    case exportThresholdUnavailable(model: String, reason: String)

    public var description: String {
        switch self {
        case let .nonFiniteScores(m, split, row):
            return "\(m) produced a non-finite score for \(split) row \(row + 1); check that row of the input for extreme values, or lower the learning rate"
        case let .exportThresholdUnavailable(m, r):
            return "\(m): the exported (deployable) threshold could not be calibrated: \(r); change --pot-level or use --percentile"
        }
    }
}
