// Reading a serving bundle back: every file checked against checksums.sha256, the scorer state decoded and checked,
// the model loaded from model.h5 and checked against the scorer state and norm_params.npy.
import Foundation
import VigilData
import VigilIO
import VigilScores
import VigilTranAD

/// A verified serving bundle, loaded for scoring.
public struct ServingBundle {
    public let directory: String
    public let state: ScorerState
    /// The training min-max statistics of norm_params.npy (ε from the scorer state).
    public let normalizer: MinMaxNormalizer
    /// The model of model.h5.
    public let detector: AnomalyDetector
    /// Epochs trained (TranAD; model.ckpt's `epoch` is this − 1).
    public let epochsTrained: Int?

    /// Loads the bundle in `dir` for scoring on `workers` threads. Checks, each failing with a `BundleError` (or the
    /// model reader's own error) that names the file: checksums.sha256 is present and lists exactly the files of the
    /// scorer state's model; every listed file exists and matches its sha256 (model.ckpt included, though scoring reads
    /// model.h5); scorer_state.json decodes and is consistent (`ScorerState.decode`); norm_params.npy is exactly the
    /// float64 (2, F) array Vigil writes, finite, min ≤ max; model.h5's seal and every checksum verify, it holds the
    /// model the scorer state names with n_features, window, alignment and scoring mode as stated, and (TranAD) its
    /// normalization statistics equal norm_params.npy. `verifyCheckpoint` additionally parses model.ckpt and checks
    /// that it holds exactly model.h5's state dict (what `vigil export` checks before publishing).
    public static func load(_ dir: String, workers: Int? = nil, verifyCheckpoint: Bool = false) throws -> ServingBundle {
        switch try Paths.kind(of: dir) {
        case .directory: break
        case .absent: throw BundleError.notARunMachine(path: dir, reason: "does not exist: give the directory of an exported model (it holds scorer_state.json)")
        case let k: throw BundleError.notARunMachine(path: dir, reason: "is a \(k.name), not an export directory")
        }
        func path(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
        let manifest = try ChecksumManifest.read(directory: dir)
        let state = try ScorerState.decode(try manifest.verifiedBytes(BundleLayout.scorerState, in: dir), path: path(BundleLayout.scorerState))
        let required = BundleLayout.files(forModel: state.model)
        guard Set(manifest.digests.keys) == Set(required) else {
            let missing = required.filter { manifest.digests[$0] == nil }
            throw BundleError.damaged(file: path(BundleLayout.checksums),
                                      reason: missing.isEmpty ? "it lists files a \(state.model) bundle does not have" : "it does not list \(missing.joined(separator: ", "))")
        }
        for name in required where name != BundleLayout.scorerState && name != BundleLayout.normParams { try manifest.verify(name, in: dir) }
        let f = state.nFeatures
        let npyBytes = try manifest.verifiedBytes(BundleLayout.normParams, in: dir)
        let norm: DataMatrix
        do { norm = try NpyReader.parse(npyBytes, file: path(BundleLayout.normParams)) } catch {
            throw BundleError.damaged(file: path(BundleLayout.normParams), reason: "it is not a readable .npy file (\(error))")
        }
        guard norm.rows == 2, norm.cols == f, NpyWriter.float64Bytes(norm.values, shape: [2, f]) == npyBytes else {
            throw BundleError.damaged(file: path(BundleLayout.normParams), reason: "it is not a float64 array of shape (2, \(f)) as Vigil writes it")
        }
        let lo = Array(norm.values[0..<f]), hi = Array(norm.values[f...])
        guard norm.values.allSatisfy(\.isFinite), zip(lo, hi).allSatisfy({ $0 <= $1 }) else {
            throw BundleError.damaged(file: path(BundleLayout.normParams), reason: "its values are not finite with min ≤ max in every column")
        }
        let normalizer = MinMaxNormalizer(min: lo, max: hi, epsilon: state.normalization.epsilon)
        let (detector, h5Normalizer, epochs) = try ModelFile.load(model: state.model, path: path(BundleLayout.model), workers: workers)
        if let n = h5Normalizer, n.min != lo || n.max != hi {
            throw BundleError.inconsistent(directory: dir, reason: "norm_params.npy differs from the normalization statistics in model.h5")
        }
        try checkModel(detector, state: state, directory: dir)
        if verifyCheckpoint, let t = (detector as? TranADDetector)?.trainer, let e = epochs {
            try TranADModelFile.verifyCheckpoint(try manifest.verifiedBytes(BundleLayout.checkpoint, in: dir), path: path(BundleLayout.checkpoint),
                                                 against: t, epochsTrained: e)
        }
        if verifyCheckpoint {
            let eval = try manifest.verifiedBytes(BundleLayout.evalResults, in: dir)
            guard (try? JSONSerialization.jsonObject(with: Data(eval))) is [String: Any] else {
                throw BundleError.damaged(file: path(BundleLayout.evalResults), reason: "it is not a JSON object")
            }
        }
        return ServingBundle(directory: dir, state: state, normalizer: normalizer, detector: detector, epochsTrained: epochs)
    }

    /// The model must be what the scorer state says it is.
    static func checkModel(_ detector: AnomalyDetector, state: ScorerState, directory dir: String) throws {
        let facts = try ModelFile.facts(of: detector)
        var features: Int?
        switch detector {
        case let d as TranADDetector: features = d.trainer?.features
        case let d as IsolationForestAnomalyDetector: features = d.detector?.transform.inputColumns
        default: break   // the baselines check their column count on every score call
        }
        func mismatch(_ what: String, _ model: Any, _ stated: Any) -> BundleError {
            .inconsistent(directory: dir, reason: "model.h5 has \(what) \(model) but scorer_state.json says \(stated)")
        }
        if let f = features, f != state.nFeatures { throw mismatch("features", f, state.nFeatures) }
        guard facts.windowSize == state.windowSize else { throw mismatch("window", facts.windowSize, state.windowSize) }
        guard facts.alignment == state.alignment else { throw mismatch("alignment", facts.alignment, state.alignment) }
        guard facts.scoringMode == state.scoringMode else { throw mismatch("scoring mode", facts.scoringMode, state.scoringMode) }
    }

    /// The `format` of the scorer state of the earlier export layout (checkpoint.h5, not loadable by the service).
    public static let earlierScorerStateFormat = "vigil-scorer-state"

    /// The `format` value of `<dir>/scorer_state.json`, nil when there is none or it is not a JSON object with one.
    static func scorerStateFormat(in dir: String) -> String? {
        guard let data = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(BundleLayout.scorerState)),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return obj["format"] as? String
    }

    /// Why an existing directory may not be replaced by a new bundle (nil: it may): only an empty directory or one
    /// holding a scorer_state.json written by Vigil (this layout or the earlier one) is replaced.
    public static func replaceableReason(_ realPath: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: realPath)) ?? []
        if names.isEmpty { return nil }
        if let f = scorerStateFormat(in: realPath), [ScorerState.formatName, earlierScorerStateFormat].contains(f) { return nil }
        return "it is not a Vigil export (no scorer_state.json written by vigil)"
    }
}
