// Writing a serving bundle: everything is computed first (`ExportPlan.prepare`, where a model-specific failure shows
// up), then the files are written into a staging directory and published whole (`ExportPlan.write`).
import Foundation
import VigilData
import VigilHDF5
import VigilIO
import VigilMetrics
import VigilScores
import VigilTranAD

/// A model's serving bundle, computed and ready to write: the fitted detector, its scorer state and the training
/// min-max statistics. Only the machine's metrics (eval_results.json) are given at write time.
public struct ExportPlan {
    public let detector: AnomalyDetector
    public let state: ScorerState
    public let normalizer: MinMaxNormalizer

    /// Prepares the bundle of a fitted `detector`.
    ///
    /// - `trainScores`: the detector's scores of the rows it was fitted on (N rows). The threshold (1-D scores) and
    ///   the feature baselines (per-dimension scores, when the model has them) read these and nothing else.
    /// - `calibration`: the exported calibration; only a deployable one (POT or percentile of training scores) is
    ///   accepted (`ExportError.nonDeployableThreshold` otherwise).
    /// - `normalizer`: the training min-max statistics the model's inputs were scaled with (F columns).
    /// - `featureLabels`: a label per column (default `dim_<d>`).
    public static func prepare(detector: AnomalyDetector, trainScores: ScoreSet, calibration: CalibrationMethod,
                               normalizer: MinMaxNormalizer, provenance: ExportProvenance, featureLabels: [String]? = nil,
                               createdAt: Date = Date()) throws -> ExportPlan {
        let threshold = try ExportedThreshold.calibrate(calibration, trainScores: trainScores.aggregate)
        let facts = try ModelFile.facts(of: detector)
        let f = normalizer.min.count
        guard trainScores.dims == 0 || trainScores.dims == f else {
            throw ExportError.shapeMismatch("\(detector.name) has \(trainScores.dims) per-dimension scores for \(f) input columns")
        }
        let labels = featureLabels ?? (0..<f).map { "dim_\($0)" }
        guard labels.count == f else { throw ExportError.shapeMismatch("\(labels.count) feature labels for \(f) columns") }
        let baselines = trainScores.dims > 0 ? try SegmentAttribution(training: trainScores).baselines : nil
        let state = ScorerState(model: detector.name, threshold: threshold, featureBaselines: baselines, featureLabels: labels,
                                nFeatures: f, windowSize: facts.windowSize, scoringMode: facts.scoringMode, alignment: facts.alignment,
                                scoreAggregation: facts.scoreAggregation, createdAt: ISO8601DateFormatter().string(from: createdAt),
                                provenance: provenance)
        return ExportPlan(detector: detector, state: state, normalizer: normalizer)
    }

    /// Writes the bundle (BundleLayout) into a staging directory beside `dir` and publishes it as `dir` (replacing an
    /// existing directory only when it is a Vigil bundle or empty): a crash never leaves a half export. `evalResults`
    /// becomes eval_results.json (the machine's metrics.json). Returns the published path.
    @discardableResult
    public func write(to dir: String, evalResults: Data) throws -> String {
        let stage = try StagingDirectory(destination: dir, replace: .unless(ServingBundle.replaceableReason))
        defer { if !stage.isPublished { stage.discard() } }
        try writeFiles(into: stage.path, evalResults: evalResults)
        try stage.publish()
        return stage.destination
    }

    /// Writes every bundle file and the checksum manifest into the existing directory `dir`.
    func writeFiles(into dir: String, evalResults: Data) throws {
        func path(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
        let f = normalizer.min.count
        try ModelFile.write(detector, normalizer: normalizer, provenance: state.provenance, createdAt: state.createdAt,
                            to: path(BundleLayout.model))
        if let d = detector as? TranADDetector, let t = d.trainer {
            try AtomicFile.write(try TranADModelFile.checkpointBytes(t), to: path(BundleLayout.checkpoint))
        }
        try NpyWriter.write(normalizer.min + normalizer.max, shape: [2, f], to: path(BundleLayout.normParams))
        try AtomicFile.write(try state.jsonData(), to: path(BundleLayout.scorerState))
        try AtomicFile.write(evalResults, to: path(BundleLayout.evalResults))
        var digests: [String: String] = [:]
        for name in BundleLayout.files(forModel: state.model) { digests[name] = try SHA256Hasher.hexOfFile(path(name)).hex }
        try AtomicFile.write(ChecksumManifest(digests: digests).text, to: path(BundleLayout.checksums))
    }
}

/// Errors of the export step.
public enum ExportError: Error, CustomStringConvertible, Equatable {
    case nonDeployableThreshold(String)
    case unsupportedModel(String)
    case shapeMismatch(String)
    case inconsistentThreshold(calibrated: Double, recomputed: Double)

    public var description: String {
        switch self {
        case .nonDeployableThreshold(let m):
            return "threshold '\(m)' read test data; only a deployable (train-only) threshold can be exported — use pot_train or a train percentile"
        case .unsupportedModel(let m):
            return "no exporter for model '\(m)'"
        case .shapeMismatch(let why):
            return "cannot export: \(why)"
        case let .inconsistentThreshold(a, b):
            return "the POT threshold recomputed for the export (\(b)) differs from the calibrated one (\(a)); this is a bug in vigil, please report it"
        }
    }
}
