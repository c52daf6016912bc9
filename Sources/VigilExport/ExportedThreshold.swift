// The exported threshold: a deployable calibration (training scores only) with the details the service records.
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

    /// Calibrates `method` on `trainScores` (the 1-D training scores, N) — only a deployable method (POT or a
    /// percentile of training scores) is accepted; one that reads test scores or labels throws
    /// `ExportError.nonDeployableThreshold`. The value is the one `CalibrationMethod.calibrate` gives (the same
    /// function the metrics used): POT: z_q(train)·scale; percentile: the linearly interpolated p-th percentile.
    public static func calibrate(_ method: CalibrationMethod, trainScores: [Double]) throws -> ExportedThreshold {
        guard let deployable = method.deployable, !method.readsTestScores, !method.readsTestLabels else {
            throw ExportError.nonDeployableThreshold(method.name)
        }
        let t = try method.calibrate(trainScores: trainScores, testScores: [], testLabels: [])
        guard !t.readsTestScores, !t.readsTestLabels else { throw ExportError.nonDeployableThreshold(t.method) }
        var details = ThresholdDetails(nCalibrationScores: trainScores.count)
        let name: String
        switch deployable {
        case let .pot(p):
            name = "pot"
            let c = try POT.calibrate(trainScores: trainScores, parameters: p)
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
        case let .percentile(p):
            name = "percentile"
            details.percentile = p
        }
        return ExportedThreshold(value: t.value, method: name, calibration: t.method, details: details,
                                 readsTestScores: t.readsTestScores, readsTestLabels: t.readsTestLabels)
    }
}
