// From stored scores to a model's metrics: calibrate every threshold, compute every metric, keep the ORACLE apart.
// Used by `vigil run` right after scoring and by `vigil evaluate RUN-DIR` on stored scores — one path, so a
// re-evaluation of an untouched run reproduces its metrics exactly.
import Foundation
import VigilConfig
import VigilMetrics
import VigilScores
import VigilResults
import VigilThresholds

/// The labels a model is evaluated against (test rows). Only the metrics and the ORACLE read them.
public typealias EvaluationLabels = EvaluationLabelArrays

/// Computes a `ModelMetrics` from train and test scores under the config's calibration settings.
public enum ScoreEvaluation {
    /// The calibrations every model gets, in report order: the deployable POT and percentile (train scores only), then
    /// the reference stream protocol (reads TEST scores). The ORACLE is computed separately.
    public static func calibrations(_ c: CalibrationSettings) -> [CalibrationMethod] {
        [.pot(c.pot), .percentile(c.percentile), .potStream(c.pot, .referenceStatic)]
    }

    /// The calibration whose threshold is exported (always deployable).
    public static func exported(_ c: CalibrationSettings) -> CalibrationMethod {
        switch c.export {
        case .potTrain: return .pot(c.pot)
        case .percentileTrain: return .percentile(c.percentile)
        }
    }

    /// train: scores of the training rows (N); test: scores of the test rows (T); labels: T (+ T × D).
    public static func evaluate(train: ScoreSet, test: ScoreSet, labels: EvaluationLabels,
                                calibration: CalibrationSettings, options: MetricsOptions) throws -> ModelMetrics {
        try checkFinite(train, role: "training")
        try checkFinite(test, role: "test")
        guard labels.labels.count == test.rows else {
            throw MetricsError.lengthMismatch(what: "test labels", expected: test.rows, found: labels.labels.count)
        }
        let perDim = test.dims > 0 ? test.perDimension : nil
        let interp = test.dims > 0 ? labels.interpretation : nil
        // threshold-free metrics (ROC/PR-AUC, VUS, root cause) once, shared by every calibration's report
        let free = try ThresholdFreeMetrics.compute(testScores: test.aggregate, labels: labels.labels, perDimensionScores: perDim,
                                                    interpretationLabels: interp, dimensions: test.dims > 0 ? test.dims : nil,
                                                    options: options)
        var reports: [String: MetricsReport] = [:]
        var failures: [String: String] = [:]
        for method in calibrations(calibration) {
            do {
                let thr = try method.calibrate(trainScores: train.aggregate, testScores: test.aggregate, testLabels: labels.labels)
                reports[method.name] = try MetricsReport.compute(testScores: test.aggregate, labels: labels.labels, threshold: thr,
                                                                 thresholdFree: free)
            } catch {
                failures[method.name] = String(describing: error)
            }
        }
        let exportedName = exported(calibration).name
        guard let exportedReport = reports[exportedName] else {
            throw ExperimentError.exportThresholdUnavailable(model: test.model, reason: failures[exportedName] ?? "not computed")
        }
        let pw = try BestF1Oracle.search(scores: test.aggregate, labels: labels.labels, objective: .pointwiseF1)
        let pa = try BestF1Oracle.search(scores: test.aggregate, labels: labels.labels, objective: .pointAdjustedF1)
        let potFit: POTCalibration? = (try? POT.calibrate(trainScores: train.aggregate, parameters: calibration.pot))
        return ModelMetrics(thresholdMethod: exportedName, flat: ModelMetrics.flatten(exportedReport), calibrations: reports,
                            calibrationFailures: failures, potFit: potFit,
                            oracle: OracleBound(threshold: pw.threshold, pwF1: pw.f1, paThreshold: pa.threshold, paF1: pa.f1))
    }

    /// Non-finite scores are an error naming the model, the rows and the first offending row.
    public static func checkFinite(_ s: ScoreSet, role: String) throws {
        if let i = s.aggregate.firstIndex(where: { !$0.isFinite }) {
            throw ExperimentError.nonFiniteScores(model: s.model, role: role, row: i, value: s.aggregate[i])
        }
        if s.dims > 0, let j = s.perDimension.firstIndex(where: { !$0.isFinite }) {
            throw ExperimentError.nonFiniteScores(model: s.model, role: role, row: j / s.dims, value: s.perDimension[j])
        }
    }
}
