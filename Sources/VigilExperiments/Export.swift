// Export for serving: the model file, `scorer_state.json` (how to turn rows into a decision) and
// `norm_params.npy` (min-max statistics, shape (2, F): row 0 = min, row 1 = max).
import Foundation
import VigilData
import VigilHDF5
import VigilIO
import VigilMetrics
import VigilScores
import VigilThresholds
import VigilTranAD
import VigilTransforms

/// Everything a serving component needs to score rows and decide, written next to the model file.
public struct ScorerState: Codable, Sendable {
    /// How raw rows are scaled before scoring: x' = (x − min) / (max − min + 1e-4) with training min/max.
    public struct Normalization: Codable, Sendable {
        public var kind = "min_max"
        public var formula = "(x - min) / (max - min + 1e-4)"
        public var epsilon = 1e-4
        public var file = "norm_params.npy"
        public var layout = "float64 (2, F): row 0 = min, row 1 = max (training statistics)"
    }
    /// The exported decision threshold and how it was calibrated.
    public struct Threshold: Codable, Sendable {
        /// Decision: anomaly when the 1-D score is strictly greater than `value`.
        public var value: Double
        public var method: String
        public var readsTestScores: Bool
        public var readsTestLabels: Bool
        public var pot: POTParameters?
        enum CodingKeys: String, CodingKey {
            case value, method, pot
            case readsTestScores = "reads_test_scores", readsTestLabels = "reads_test_labels"
        }
    }
    public var format = "vigil-scorer-state"
    public var version = 1
    public var model: String
    public var modelFile: String
    public var features: Int
    /// How the 1-D score is formed from per-dimension scores.
    public var aggregate: String
    public var provenance: [String: String]
    public var normalization = Normalization()
    public var threshold: Threshold
    /// The score transform between the model's scores and the threshold (nil: `threshold` applies to the model's own
    /// 1-D score). `TransformState.apply` reproduces the evaluated score; the threshold is on its output.
    public var transform: TransformState?
    public var dataset: String
    public var datasetSHA256: [String: String]

    enum CodingKeys: String, CodingKey {
        case format, version, model, features, aggregate, provenance, normalization, threshold, dataset, transform
        case modelFile = "model_file", datasetSHA256 = "dataset_sha256"
    }
}

/// Writes a detector's serving bundle into a directory.
public enum Exporter {
    /// Writes `<dir>/{checkpoint.h5|model.h5, scorer_state.json, norm_params.npy}` for a fitted detector and
    /// the deployable threshold `threshold` (an ORACLE or test-reading threshold is refused).
    public static func export(_ detector: AnomalyDetector, dataset: AnomalyDataset, threshold: CalibratedThreshold,
                              pot: POTParameters?, transform: TransformState? = nil, to dir: String) throws -> [String] {
        // only training/validation-only thresholds and transforms (no test scores, past scores or labels)
        guard threshold.isDeployable else { throw ExportError.nonDeployableThreshold(threshold.method) }
        if let t = transform, !t.isDeployable { throw ExportError.nonDeployableThreshold("transform (\(t.formula))") }
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw FileError.wrap(error, operation: "creating directory", path: dir)
        }
        let modelFile: String
        let aggregate: String
        switch detector {
        case let d as TranADDetector:
            guard let trainer = d.trainer else { throw DetectorError.notFitted(d.name) }
            modelFile = "checkpoint.h5"
            aggregate = "mean over the F per-dimension scores"
            try TranADCheckpoint.save(trainer, normMin: dataset.normMin, normMax: dataset.normMax, to: dir + "/" + modelFile)
        case let d as IsolationForestAnomalyDetector:
            guard let fitted = d.detector else { throw DetectorError.notFitted(d.name) }
            modelFile = "model.h5"
            aggregate = "isolation forest score 2^(-E[h(x)]/c(n)), one per row"
            try fitted.save(to: dir + "/" + modelFile)
        case let d as StorableDetector:  // the baselines (VigilBaselines layouts; read back with BaselineDetectors.load)
            modelFile = "model.h5"
            aggregate = d.aggregateRule
            try d.saveModel(to: dir + "/" + modelFile)
        default:
            throw ExportError.unsupportedModel(detector.name)
        }
        let f = dataset.dimensions
        try NpyWriter.write(dataset.normMin + dataset.normMax, shape: [2, f], to: dir + "/norm_params.npy")
        let state = ScorerState(
            model: detector.name, modelFile: modelFile, features: f, aggregate: aggregate, provenance: detector.provenance,
            threshold: .init(value: threshold.value, method: threshold.method, readsTestScores: threshold.readsTestScores,
                             readsTestLabels: threshold.readsTestLabels, pot: pot),
            transform: transform,
            dataset: dataset.name, datasetSHA256: dataset.sourceSHA256)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try enc.encode(state), to: dir + "/scorer_state.json")
        return [modelFile, "scorer_state.json", "norm_params.npy"].map { dir + "/" + $0 }
    }
}

/// Errors of the export step.
public enum ExportError: Error, CustomStringConvertible, Equatable {
    case nonDeployableThreshold(String)
    case unsupportedModel(String)

    public var description: String {
        switch self {
        case .nonDeployableThreshold(let m):
            return "threshold '\(m)' read test data or past scores; only a deployable threshold (training/validation scores only) can be exported — use pot_train, pot_validation or a train/validation percentile"
        case .unsupportedModel(let m):
            return "no exporter for model '\(m)'"
        }
    }
}
