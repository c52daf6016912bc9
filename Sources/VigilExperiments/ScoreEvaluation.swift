// From stored scores to a model's metrics: calibrate every threshold, compute every metric, keep the ORACLE apart.
// Used by `vigil run` right after scoring and by `vigil evaluate RUN-DIR` on stored scores — one path, so a
// re-evaluation of an untouched run reproduces its metrics exactly.
import Foundation
import VigilConfig
import VigilMetrics
import VigilScores
import VigilResults
import VigilThresholds
import VigilTransforms

/// The labels a model is evaluated against (test rows). Only the metrics and the ORACLE read them.
public typealias EvaluationLabels = EvaluationLabelArrays

/// Computes a `ModelMetrics` from train and test scores under the config's calibration settings.
public enum ScoreEvaluation {
    /// The calibrations every model gets, in report order: the deployable POT and percentile (train scores only), then
    /// the reference stream protocol (reads TEST scores). The ORACLE is computed separately.
    public static func calibrations(_ c: CalibrationSettings) -> [CalibrationMethod] {
        [.pot(c.pot), .percentile(c.percentile), .potStream(c.pot, .referenceStatic)]
    }

    /// `calibrations(c)`, then with a validation block the deployable POT and percentile of the validation scores, then
    /// the dynamic threshold (reads past scores of the test stream).
    public static func calibrations(_ c: CalibrationSettings, validation: Bool) -> [CalibrationMethod] {
        calibrations(c) + (validation ? [.potValidation(c.validationPOT), .percentileValidation(c.validationPercentile)] : [])
            + [.dynamic(c.dynamic)]
    }

    /// The calibration whose threshold is exported (always deployable).
    public static func exported(_ c: CalibrationSettings) -> CalibrationMethod {
        switch c.export {
        case .potTrain: return .pot(c.pot)
        case .percentileTrain: return .percentile(c.percentile)
        case .potValidation: return .potValidation(c.validationPOT)
        case .percentileValidation: return .percentileValidation(c.validationPercentile)
        }
    }

    /// scores.train: the rows the model was fitted on (N); scores.test: the test rows (T); labels: T (+ T × D, + V).
    /// `transform` is fitted on the training/validation scores and applied to every part before anything else; each
    /// threshold's recorded reads include the transform's.
    public static func evaluate(_ scores: StoredScores, labels: EvaluationLabels, calibration: CalibrationSettings,
                                validation: ValidationSettings, options: MetricsOptions,
                                transform: TransformSettings = TransformSettings()) throws -> ModelMetrics {
        try checkFinite(scores.train, role: "training")
        try checkFinite(scores.test, role: "test")
        let transformed = try TransformedScores(scores, settings: transform)
        let train = transformed.train, test = transformed.test
        let transformReads = transformed.state?.reads ?? ScoreReads()
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
        let inputs = CalibrationInputs(train: train.aggregate, validation: transformed.validationClean?.aggregate, test: test.aggregate,
                                       testLabels: labels.labels)
        for method in calibrations(calibration, validation: transformed.validationClean != nil) {
            do {
                var thr = try method.calibrate(inputs)
                thr.reads = thr.reads.union(transformReads)
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
        var validationMetrics: ValidationMetrics? = nil
        if let clean = transformed.validationClean, let injected = transformed.validationInjected, let vl = labels.validation {
            validationMetrics = try evaluateValidation(clean: clean, injected: injected, labels: vl, selection: validation.selection)
        }
        var m = ModelMetrics(thresholdMethod: exportedName, flat: ModelMetrics.flatten(exportedReport), calibrations: reports,
                             calibrationFailures: failures, potFit: potFit,
                             oracle: OracleBound(threshold: pw.threshold, pwF1: pw.f1, paThreshold: pa.threshold, paF1: pa.f1),
                             validation: validationMetrics, transform: transformed.state)
        m.sensitivity = sensitivity(train: train, test: test, labels: labels.labels, calibration: calibration)
        return m
    }

    /// The settings `sensitivity` varies: POT initial levels, POT risks q, and training-score percentiles.
    public static let sensitivityLevels = [0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99995]
    public static let sensitivityQs = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
    public static let sensitivityPercentiles = [90.0, 95, 98, 99, 99.5, 99.9, 100]

    /// Point-wise F1 and alarm rate on the test scores at the deployable thresholds obtained by varying one setting at a
    /// time (POT level, POT q, percentile) around `calibration`. Thresholds read training scores only; the test labels
    /// are read to compute F1, never to choose anything.
    public static func sensitivity(train: ScoreSet, test: ScoreSet, labels: [Bool], calibration: CalibrationSettings) -> ThresholdSensitivity {
        func point(_ value: Double, _ method: DeployableCalibration) -> ThresholdSensitivity.Point {
            guard let thr = try? method.threshold(trainScores: train.aggregate) else {
                return .init(value: value, threshold: nil, pwF1: nil, alarmRate: nil)
            }
            let pred = DetectionMetrics.predictions(scores: test.aggregate, threshold: thr)
            let prf = PRF(predictions: pred, labels: labels)
            return .init(value: value, threshold: thr, pwF1: prf.f1, alarmRate: test.rows > 0 ? Double(prf.tp + prf.fp) / Double(test.rows) : nil)
        }
        let p = calibration.pot
        return ThresholdSensitivity(
            potLevel: sensitivityLevels.map { l in var x = p; x.level = l; return point(l, .pot(x)) },
            potQ: sensitivityQs.map { q in var x = p; x.q = q; return point(q, .pot(x)) },
            percentile: sensitivityPercentiles.map { point($0, .percentile($0)) })
    }

    /// Validation metrics: the clean block's mean score (loss) and how the injected block's scores rank the injected
    /// anomalies (ROC-AUC, PR-AUC, VUS-PR with buffer 0). Reads only training rows and synthetic labels.
    public static func evaluateValidation(clean: ScoreSet, injected: ScoreSet, labels: [Bool],
                                          selection: ValidationSelection) throws -> ValidationMetrics {
        try checkFinite(clean, role: "validation")
        try checkFinite(injected, role: "validation (injected)")
        guard injected.rows == labels.count, clean.rows == labels.count else {
            throw MetricsError.lengthMismatch(what: "validation labels", expected: injected.rows, found: labels.count)
        }
        let loss = clean.aggregate.isEmpty ? 0 : clean.aggregate.reduce(0, +) / Double(clean.rows)
        let roc = RankingMetrics.rocAUC(scores: injected.aggregate, labels: labels)
        let pr = RankingMetrics.averagePrecision(scores: injected.aggregate, labels: labels)
        let vus = try VUS.compute(scores: injected.aggregate, labels: labels, window: 0)
        let score: Double?
        switch selection {
        case .syntheticVUSPR: score = vus?.pr
        case .syntheticROCAUC: score = roc
        case .validationLoss: score = -loss
        }
        return ValidationMetrics(rows: clean.rows, injectedRows: labels.filter { $0 }.count,
                                 injectedAnomalies: DetectionMetrics.segments(labels).count, loss: loss, rocAUC: roc, prAUC: pr,
                                 vusPR: vus?.pr, selection: selection.rawValue, selectionScore: score)
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
