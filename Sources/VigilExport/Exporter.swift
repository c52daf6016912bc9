// Writing a serving bundle: everything is computed first (`ExportPlan.prepare`, where a model-specific failure shows
// up), then the files are written into a staging directory and published whole (`ExportPlan.write`).
import Foundation
import VigilData
import VigilHDF5
import VigilIO
import VigilMetrics
import VigilScores
import VigilTranAD
import VigilTransforms

/// A model's serving bundle, computed and ready to write: the fitted detector, its scorer state and the training
/// min-max statistics. Only the machine's metrics (eval_results.json) are given at write time.
public struct ExportPlan {
    public let detector: AnomalyDetector
    public let state: ScorerState
    public let normalizer: MinMaxNormalizer

    /// Prepares the bundle of a fitted `detector`.
    ///
    /// - `trainScores`: the detector's scores of the rows it was fitted on (N rows). The feature baselines
    ///   (per-dimension scores, when the model has them) read these and nothing else.
    /// - `validationScores`: its scores of the clean validation block after them (V rows; nil without one).
    /// - `transform`: the fitted score transform (nil: none). The threshold is calibrated on the transformed 1-D
    ///   scores, computed exactly as the metrics computed them (`TransformState.apply`: the fitted rows as a stream
    ///   from their start, the validation block as its continuation), and the transform goes into scorer_state.json.
    /// - `calibration`: the exported calibration; only a deployable one (POT or percentile of training or validation
    ///   scores, with a deployable transform) is accepted (`ExportError.nonDeployableThreshold` otherwise).
    /// - `normalizer`: the training min-max statistics the model's inputs were scaled with (F columns).
    /// - `featureLabels`: a label per column (default `dim_<d>`).
    public static func prepare(detector: AnomalyDetector, trainScores: ScoreSet, validationScores: ScoreSet? = nil,
                               transform: TransformState? = nil, calibration: CalibrationMethod,
                               normalizer: MinMaxNormalizer, provenance: ExportProvenance, featureLabels: [String]? = nil,
                               createdAt: Date = Date()) throws -> ExportPlan {
        if let t = transform, !t.isDeployable {
            throw ExportError.nonDeployableThreshold("\(calibration.name) on the transform \(t.formula)")
        }
        let train = try transform.map { try $0.apply(trainScores, seeded: false) } ?? trainScores
        let validation = try validationScores.map { v in try transform.map { try $0.apply(v, after: trainScores) } ?? v }
        let threshold = try ExportedThreshold.calibrate(calibration, trainScores: train.aggregate, validationScores: validation?.aggregate)
        let facts = try ModelFile.facts(of: detector)
        let f = normalizer.min.count
        guard trainScores.dims == 0 || trainScores.dims == f else {
            throw ExportError.shapeMismatch("\(detector.name) has \(trainScores.dims) per-dimension scores for \(f) input columns")
        }
        let labels = featureLabels ?? (0..<f).map { "dim_\($0)" }
        guard labels.count == f else { throw ExportError.shapeMismatch("\(labels.count) feature labels for \(f) columns") }
        let baselines = trainScores.dims > 0 ? try SegmentAttribution(training: trainScores).baselines : nil
        var state = ScorerState(model: detector.name, threshold: threshold, featureBaselines: baselines, featureLabels: labels,
                                nFeatures: f, windowSize: facts.windowSize, scoringMode: facts.scoringMode, alignment: facts.alignment,
                                scoreAggregation: facts.scoreAggregation, createdAt: ISO8601DateFormatter().string(from: createdAt),
                                provenance: provenance)
        state.setTransform(transform)
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
            return "threshold '\(m)' read test data or past scores; only a deployable threshold (training/validation scores only, with a transform that reads nothing else) can be exported — use pot_train, pot_validation or a train/validation percentile"
        case .unsupportedModel(let m):
            return "no exporter for model '\(m)'"
        case .shapeMismatch(let why):
            return "cannot export: \(why)"
        case let .inconsistentThreshold(a, b):
            return "the threshold recomputed for the export (\(b)) differs from the one the metrics were computed at (\(a)); this is a bug in vigil, please report it"
        }
    }
}
