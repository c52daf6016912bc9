// TranAD checkpoints in HDF5: one dataset per parameter named by its PyTorch state_dict key, the run's
// configuration as attributes, optional min-max statistics under /normalization; every dataset and the
// configuration carry a sha256 that is verified on load.
import Foundation
import VigilHDF5

/// Saves and loads trained TranAD models (`format = "vigil-tranad"`, version 2), readable by h5py.
///
/// Layout: `/<state_dict key>` (e.g. `/transformer_encoder.layers.0.self_attn.in_proj_weight`) in the model's
/// precision; `/normalization/min`, `/normalization/max` (F,) when given — each dataset with a `sha256` attribute
/// (`HDF5File.checksum`: over kind, shape and little-endian values); root attributes `format`, `version`,
/// `features`, `parameter_count`, `config_json` (+ `config_json_sha256`), `layout_json` (+ `layout_json_sha256`:
/// `{"features": F, "normalization": true|false}`, what `load` requires to be present), `history_json`, `threads`
/// and one per option. `load` verifies every checksum and refuses a mismatch or a missing dataset, naming it.
public enum TranADCheckpoint {
    /// Value of the root `format` attribute.
    public static let format = "vigil-tranad"
    /// Layout version (2: per-dataset and configuration checksums).
    public static let version = 2

    /// What a checkpoint holds besides the parameters (stored checksummed as `layout_json`).
    struct Layout: Codable {
        var features: Int
        var normalization: Bool
    }

    /// Writes `trainer`'s parameters and configuration (and the min-max statistics when given) to `path`,
    /// atomically (temporary sibling, fsync, rename).
    public static func save(_ trainer: TranADTrainer, normMin: [Double]? = nil, normMax: [Double]? = nil, to path: String) throws {
        try HDF5File.write(to: path) { file in try write(trainer, normMin: normMin, normMax: normMax, into: file) }
    }

    /// Writes the checkpoint layout into an open, empty file.
    public static func write(_ trainer: TranADTrainer, normMin: [Double]?, normMax: [Double]?, into file: HDF5File) throws {
        for p in trainer.exportParameters() {
            if trainer.config.precision == .float32 {
                try file.writeChecksummed(p.values.map { Float($0) }, shape: p.shape, to: "/" + p.name)
            } else {
                try file.writeChecksummed(p.values, shape: p.shape, to: "/" + p.name)
            }
        }
        if let lo = normMin, let hi = normMax {
            try file.writeChecksummed(lo, shape: [lo.count], to: "/normalization/min")
            try file.writeChecksummed(hi, shape: [hi.count], to: "/normalization/max")
        }
        let c = trainer.config
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try file.setAttribute("format", string: format)
        try file.setAttribute("version", int: version)
        try file.setAttribute("features", int: trainer.features)
        let layout = Layout(features: trainer.features, normalization: normMin != nil && normMax != nil)
        try file.setChecksummedAttribute("layout_json", string: String(decoding: try enc.encode(layout), as: UTF8.self))
        try file.setAttribute("parameter_count", int: trainer.parameterCount)
        try file.setChecksummedAttribute("config_json", string: String(decoding: try enc.encode(c), as: UTF8.self))
        try file.setAttribute("history_json", string: String(decoding: try enc.encode(trainer.history), as: UTF8.self))
        try file.setAttribute("window", int: c.window)
        try file.setAttribute("alignment", string: c.alignment.rawValue)
        try file.setAttribute("activation", string: c.activation.rawValue)
        try file.setAttribute("loss_weighting", string: c.lossWeighting.name)
        try file.setAttribute("scoring", string: c.scoring.rawValue)
        try file.setAttribute("precision", string: c.precision.rawValue)
        try file.setAttribute("epochs_trained", int: trainer.history.count)
        try file.setAttribute("seed", string: String(c.seed))
        try file.setAttribute("threads", int: trainer.workers)
    }

    /// Reads a checkpoint: the trained model (on `workers` threads) and its min-max statistics, if stored. Every
    /// dataset's and the configuration's checksum is verified (`FileError.checksumMismatch` names the damaged one).
    public static func load(path: String, workers: Int? = nil) throws
        -> (trainer: TranADTrainer, normMin: [Double]?, normMax: [Double]?) {
        let file = try HDF5File.openSealed(path)   // every byte verified before libhdf5 parses the file
        defer { try? file.close() }
        guard file.hasAttribute("format"), (try? file.stringAttribute("format")) == format else {
            throw TranADError.notACheckpoint(path: path)
        }
        let v = try file.intAttribute("version")
        guard v == version else { throw TranADError.unsupportedCheckpointVersion(path: path, version: v) }
        let config: TranADConfig, layout: Layout
        do {
            config = try JSONDecoder().decode(TranADConfig.self, from: Data(try file.verifiedStringAttribute("config_json").utf8))
            layout = try JSONDecoder().decode(Layout.self, from: Data(try file.verifiedStringAttribute("layout_json").utf8))
        } catch is DecodingError {
            throw TranADError.corruptCheckpoint(path: path, reason: "config_json or layout_json cannot be decoded")
        }
        let features = layout.features
        let trainer = try TranADTrainer(features: features, config: config, workers: workers)
        var values: [String: [Double]] = [:]
        for (name, shape) in trainer.namedParameterShapes {   // a missing (or renamed) dataset is reported by readVerified
            let r = try file.readVerified(Double.self, from: "/" + name)
            guard r.shape == shape else {
                throw TranADError.corruptCheckpoint(path: path, reason: "parameter '\(name)' has shape \(r.shape), the model needs \(shape)")
            }
            values[name] = r.values
        }
        do { try trainer.loadParameters(values) } catch TranADError.corruptCheckpoint(_, let reason) {
            throw TranADError.corruptCheckpoint(path: path, reason: reason)
        }
        guard layout.normalization else { return (trainer, nil, nil) }
        let lo = try file.readVerified(Double.self, from: "/normalization/min").values
        let hi = try file.readVerified(Double.self, from: "/normalization/max").values
        guard lo.count == features, hi.count == features, (lo + hi).allSatisfy({ $0.isFinite }) else {
            throw TranADError.corruptCheckpoint(path: path, reason: "the normalization statistics do not hold \(features) finite values each")
        }
        return (trainer, lo, hi)
    }
}
