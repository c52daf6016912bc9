// Failures of runs, each saying what to do.

/// Errors of `vigil run`, sweeps and re-evaluation.
public enum ExperimentError: Error, CustomStringConvertible, Equatable {
    /// A model produced a NaN or infinite score.
    case nonFiniteScores(model: String, role: String, row: Int, value: Double)
    /// The output directory holds results of another experiment.
    case configMismatch(directory: String, stored: String, current: String)
    /// The output directory exists but is not a Vigil run directory.
    case notARunDirectory(String)
    /// A stored result file cannot be used.
    case damagedResult(path: String, reason: String)
    /// No machine was selected or available.
    case nothingToRun(String)
    /// The calibration to export failed for a model (e.g. POT found no tail), so it has no deployable threshold.
    case exportThresholdUnavailable(model: String, reason: String)

    public var description: String {
        switch self {
        case let .nonFiniteScores(m, role, row, v):
            return "\(m) produced a non-finite \(role) score (\(v)) at row \(row) (0-based); check the input for huge or constant columns, or lower the learning rate"
        case let .configMismatch(dir, stored, current):
            return "\(dir) holds results of another config (sha256 \(stored.prefix(12))…, this one is \(current.prefix(12))…); choose another --out, or remove the directory to start over"
        case let .notARunDirectory(dir):
            return "\(dir) exists but is not a Vigil run directory (no run.json); choose another --out"
        case let .damagedResult(path, reason):
            return "\(path): \(reason); remove the machine's directory and run again to recompute it"
        case let .nothingToRun(why):
            return why
        case let .exportThresholdUnavailable(m, r):
            return "\(m): the exported (deployable) threshold could not be calibrated: \(r); change calibration.pot.level or export percentile_train"
        }
    }
}
