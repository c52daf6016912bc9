// TranAD in a serving bundle: the reference state dict (every parameter plus the `pos_encoder.pe` buffer) as a
// PyTorch checkpoint (model.ckpt) and as a sealed HDF5 file (model.h5), and reading model.h5 back for scoring.
import Foundation
import VigilData
import VigilHDF5
import VigilIO
import VigilPyTorch
import VigilTranAD

/// One entry of the reference `state_dict`.
public struct StateDictEntry: Sendable, Equatable {
    public var key: String
    public var shape: [Int]
    /// The values (stored in the model's dtype; exact as Doubles).
    public var values: [Double]
}

/// One entry of model.h5's `state_dict_json` root attribute.
struct StateDictRecord: Codable, Equatable {
    var key: String
    var shape: [Int]
    var dtype: String
    /// `HDF5File.checksum` of the dataset (the same string as its `sha256` attribute).
    var sha256: String
}

/// model.h5 and model.ckpt of a TranAD bundle.
///
/// model.h5 is a `TranADCheckpoint` (format `vigil-tranad`, readable by `TranADCheckpoint.load` and
/// `vigil score --checkpoint`) with, in addition:
/// - the dataset `/pos_encoder.pe` (W, 1, d_model) in the model's dtype, checksummed like every parameter;
/// - root attributes `export_format` = `vigil-serving-model`, `export_format_version` = 1, `model` = `tranad`,
///   `d_model`, `heads`, `feed_forward`, `dropout`, `dtype`, `epochs`, `vigil_version`, `vigil_commit`, `created_at`,
///   `unit`, `dataset`, `provenance_json` (+ sha256) and `state_dict_json` (+ sha256): the reference state_dict order
///   as `[{"key", "shape", "dtype", "sha256"}]`, each sha256 the dataset's own checksum;
/// - `/normalization/min`, `/normalization/max` (F,): the training statistics, equal to norm_params.npy.
/// Everything TranADCheckpoint writes is there too: `config_json` (the whole TranADConfig), `window`, `alignment`,
/// `activation`, `scoring`, `precision`, `seed`, `epochs_trained`, `features`, per-dataset `sha256`.
public enum TranADModelFile {
    public static let exportFormat = "vigil-serving-model"
    public static let exportFormatVersion = 1

    /// The reference state dict in its order: `pos_encoder.pe` (registered first by the reference's `__init__`), then
    /// the parameters (transformer_encoder…, transformer_decoder1…, transformer_decoder2…, fcn.0…).
    public static func stateDict(_ t: TranADTrainer) -> [StateDictEntry] {
        let pe = t.positionalEncodingBuffer
        return [StateDictEntry(key: pe.name, shape: pe.shape, values: pe.values)]
            + t.exportParameters().map { StateDictEntry(key: $0.name, shape: $0.shape, values: $0.values) }
    }

    /// The bytes of model.ckpt: `{"model_state_dict": OrderedDict(stateDict), "epoch": E}` in the model's dtype, E = the
    /// 0-based index of the last trained epoch (what the reference's save_model stores: 4 after 5 epochs; −1 untrained).
    /// Archive folder `model`, as `torch.save(obj, "model.ckpt")` names it.
    public static func checkpointBytes(_ t: TranADTrainer) throws -> [UInt8] {
        let sd = try stateDict(t).map { e -> (key: String, tensor: TorchTensor) in
            switch t.config.precision {
            case .float32: return (e.key, try TorchTensor(float32: e.values.map { Float($0) }, shape: e.shape))
            case .float64: return (e.key, try TorchTensor(float64: e.values, shape: e.shape))
            }
        }
        return try TorchCheckpointWriter.serialize(.trainingCheckpoint(stateDict: sd, epoch: t.history.count - 1), archiveName: "model")
    }

    /// Writes model.h5 into an open, empty file (see the type's documentation).
    public static func write(_ t: TranADTrainer, normalizer: MinMaxNormalizer, provenance: ExportProvenance, createdAt: String,
                             into file: HDF5File) throws {
        try TranADCheckpoint.write(t, normMin: normalizer.min, normMax: normalizer.max, into: file)
        let pe = t.positionalEncodingBuffer
        let dtype = t.config.precision.rawValue
        let sha: String
        if t.config.precision == .float32 {
            let v = pe.values.map { Float($0) }
            try file.writeChecksummed(v, shape: pe.shape, to: "/" + pe.name)
            sha = HDF5File.checksum(v, shape: pe.shape)
        } else {
            try file.writeChecksummed(pe.values, shape: pe.shape, to: "/" + pe.name)
            sha = HDF5File.checksum(pe.values, shape: pe.shape)
        }
        var records = [StateDictRecord(key: pe.name, shape: pe.shape, dtype: dtype, sha256: sha)]
        for p in t.exportParameters() {
            let s = t.config.precision == .float32 ? HDF5File.checksum(p.values.map { Float($0) }, shape: p.shape) : HDF5File.checksum(p.values, shape: p.shape)
            records.append(StateDictRecord(key: p.name, shape: p.shape, dtype: dtype, sha256: s))
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try file.setChecksummedAttribute("state_dict_json", string: String(decoding: try enc.encode(records), as: UTF8.self))
        let c = t.config
        try file.setAttribute("d_model", int: 2 * t.features)
        try file.setAttribute("heads", int: t.features)
        try file.setAttribute("feed_forward", int: c.feedForward)
        try file.setAttribute("dropout", double: c.dropout)
        try file.setAttribute("dtype", string: dtype)
        try file.setAttribute("epochs", int: c.epochs)
        try ModelFile.writeRootAttributes(file, model: "tranad", provenance: provenance, createdAt: createdAt)
    }

    /// Reads model.h5 of a bundle: the trained model (scoring on `workers` threads) and its min-max statistics, after
    /// every check `TranADCheckpoint.load` makes (seal, configuration and every parameter's sha256) and these: the
    /// export format, `state_dict_json` (checksummed) lists exactly the model's state dict in the reference order with
    /// each dataset's checksum, and the stored `pos_encoder.pe` equals the buffer the model computes.
    public static func load(path: String, workers: Int?) throws -> (trainer: TranADTrainer, normalizer: MinMaxNormalizer, epochsTrained: Int) {
        let (trainer, lo, hi) = try TranADCheckpoint.load(path: path, workers: workers)
        guard let lo, let hi else { throw BundleError.damaged(file: path, reason: "it holds no normalization statistics") }
        let file = try HDF5File.openSealed(path)
        defer { try? file.close() }
        try ModelFile.checkRootAttributes(file, model: "tranad", path: path)
        let records: [StateDictRecord]
        do {
            records = try JSONDecoder().decode([StateDictRecord].self, from: Data(try file.verifiedStringAttribute("state_dict_json").utf8))
        } catch is DecodingError {
            throw BundleError.damaged(file: path, reason: "state_dict_json cannot be decoded")
        }
        let expected = stateDict(trainer)
        guard records.map(\.key) == expected.map(\.key), records.map(\.shape) == expected.map(\.shape),
              records.allSatisfy({ $0.dtype == trainer.config.precision.rawValue }) else {
            throw BundleError.damaged(file: path, reason: "state_dict_json does not list the model's \(expected.count) state_dict entries in the reference order")
        }
        for r in records {
            guard (try? file.stringAttribute(HDF5File.checksumAttribute, at: "/" + r.key)) == r.sha256 else {
                throw BundleError.damaged(file: path, reason: "the checksum of \(r.key) differs from state_dict_json")
            }
        }
        let pe = try file.readVerified(Double.self, from: "/" + TranADTrainer.positionalEncodingKey)
        let mine = trainer.positionalEncodingBuffer
        guard pe.shape == mine.shape, pe.values == mine.values else {
            throw BundleError.inconsistent(directory: path, reason: "the stored pos_encoder.pe differs from the positional encoding this vigil computes for the model")
        }
        let epochs = try file.intAttribute("epochs_trained")   // the seal covers every attribute
        guard epochs >= 0 else { throw BundleError.damaged(file: path, reason: "epochs_trained \(epochs) is negative") }
        return (trainer, MinMaxNormalizer(min: lo, max: hi), epochs)
    }

    /// Checks that a model.ckpt holds exactly model.h5's state dict: `model_state_dict` an OrderedDict whose keys,
    /// dtypes, shapes and values equal `trainer`'s (bitwise), and `epoch` = epochs trained − 1. The zip structure and
    /// every record's CRC-32 are checked by `TorchCheckpointReader`.
    public static func verifyCheckpoint(_ bytes: [UInt8], path: String, against trainer: TranADTrainer, epochsTrained: Int) throws {
        let contents: TorchCheckpointContents
        do { contents = try TorchCheckpointReader.read(bytes) } catch let e as TorchCheckpointError {
            throw BundleError.damaged(file: path, reason: e.description)
        }
        guard case .orderedDict? = contents.object["model_state_dict"] else {
            throw BundleError.damaged(file: path, reason: "model_state_dict is missing or not an OrderedDict")
        }
        let sd: [(key: String, tensor: TorchTensor)]
        do { sd = try contents.stateDict(at: "model_state_dict") } catch let e as TorchCheckpointError {
            throw BundleError.damaged(file: path, reason: e.description)
        }
        let expected = stateDict(trainer)
        guard sd.map(\.key) == expected.map(\.key) else {
            throw BundleError.inconsistent(directory: path, reason: "model.ckpt's state_dict keys differ from model.h5's")
        }
        for (e, got) in zip(expected, sd) {
            let want: TorchTensor = trainer.config.precision == .float32
                ? try TorchTensor(float32: e.values.map { Float($0) }, shape: e.shape) : try TorchTensor(float64: e.values, shape: e.shape)
            guard got.tensor == want else {
                throw BundleError.inconsistent(directory: path, reason: "model.ckpt's \(e.key) differs from model.h5's (dtype, shape or values)")
            }
        }
        guard contents.object["epoch"]?.int == Int64(epochsTrained - 1) else {
            throw BundleError.inconsistent(directory: path, reason: "model.ckpt's epoch is not \(epochsTrained - 1) (epochs trained in model.h5 − 1)")
        }
    }

    /// `trainer` scoring with `mode` (the same weights; a new model object when the mode differs).
    public static func withScoring(_ trainer: TranADTrainer, _ mode: TranADScoring) throws -> TranADTrainer {
        guard mode != trainer.config.scoring else { return trainer }
        var c = trainer.config
        c.scoring = mode
        let t = try TranADTrainer(features: trainer.features, config: c, workers: trainer.workers)
        try t.loadParameters(Dictionary(uniqueKeysWithValues: trainer.exportParameters().map { ($0.name, $0.values) }))
        return t
    }
}
