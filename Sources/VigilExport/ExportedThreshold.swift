// The exported threshold: a deployable calibration (training or validation scores only) with the details the service records.
import VigilMetrics
import VigilThresholds

/// A deployable threshold with its calibration details, as `scorer_state.json` stores it.
public struct ExportedThreshold: Sendable, Equatable {
    /// Decision value: anomaly when the 1-D score > value.
    public var value: Double
    /// The service's method name: `pot` or `percentile`.
    public var method: String
    /// Vigil's calibration name (`pot_train`, `percentile_train_99.0`).
    public var calibration: String
    public var details: ThresholdDetails
    public var readsTestScores: Bool
    public var readsTestLabels: Bool
    /// True when the threshold was calibrated on the validation block's scores (`*_validation`).
    public var readsValidationScores: Bool = false

    /// Calibrates `method` on the (transformed, when the model has a transform) 1-D scores of the rows the model was
    /// fitted on (`trainScores`, N) or of the clean validation block after them (`validationScores`, V; nil without
    /// one). Only a deployable method (POT or a percentile of training or validation scores) is accepted; one that
    /// reads test scores, past scores or labels throws `ExportError.nonDeployableThreshold`. The value is the one
    /// `CalibrationMethod.calibrate` gives (the same function the metrics used): POT: z_q·scale; percentile: the
    /// linearly interpolated p-th percentile.
    public static func calibrate(_ method: CalibrationMethod, trainScores: [Double], validationScores: [Double]? = nil) throws -> ExportedThreshold {
        guard let deployable = method.deployable, method.reads.isDeployable else {
            throw ExportError.nonDeployableThreshold(method.name)
        }
        let t = try method.calibrate(CalibrationInputs(train: trainScores, validation: validationScores, test: [], testLabels: []))
        guard t.isDeployable else { throw ExportError.nonDeployableThreshold(t.method) }
        let read: [Double]
        switch deployable {
        case .pot, .percentile: read = trainScores
        case .potValidation, .percentileValidation: read = validationScores ?? []
        }
        var details = ThresholdDetails(nCalibrationScores: read.count)
        let name: String
        switch deployable {
        case let .pot(p), let .potValidation(p):
            name = "pot"
            let c = try POT.calibrate(trainScores: read, parameters: p)
            guard c.threshold == t.value else {   // the same function on the same scores: a difference is a bug
                throw ExportError.inconsistentThreshold(calibrated: t.value, recomputed: c.threshold)
            }
            let ini = c.initialisation
            details.q = p.q
            details.level = ini.level
            details.scale = p.scale
            details.initialThreshold = ini.initialThreshold
            details.gamma = ini.fit.gamma
            details.sigma = ini.fit.sigma
            details.nPeaks = ini.peakCount
            details.requestedLevel = p.level
            details.attempts = c.attempts
            details.extremeQuantile = ini.extremeQuantile
        case let .percentile(p), let .percentileValidation(p):
            name = "percentile"
            details.percentile = p
        }
        return ExportedThreshold(value: t.value, method: name, calibration: t.method, details: details,
                                 readsTestScores: t.readsTestScores, readsTestLabels: t.readsTestLabels,
                                 readsValidationScores: t.reads.readsValidationScores)
    }
}
