// TranAD checkpoints in HDF5: one dataset per parameter named by its PyTorch state_dict key, the run's
// configuration as attributes, optional min-max statistics under /normalization.
import Foundation
import VigilHDF5

/// Saves and loads trained TranAD models (`format = "vigil-tranad"`), readable by h5py.
///
/// Layout: `/<state_dict key>` (e.g. `/transformer_encoder.layers.0.self_attn.in_proj_weight`) in the model's
/// precision; `/normalization/min`, `/normalization/max` (F,) when given; root attributes `format`, `version`,
/// `features`, `parameter_count`, `config_json`, `history_json`, `threads` and one per option.
public enum TranADCheckpoint {
    /// Value of the root `format` attribute.
    public static let format = "vigil-tranad"
    /// Layout version.
    public static let version = 1

    /// Writes `trainer`'s parameters and configuration (and the min-max statistics when given) to `path`.
    public static func save(_ trainer: TranADTrainer, normMin: [Double]? = nil, normMax: [Double]? = nil, to path: String) throws {
        let file = try HDF5File(path: path, mode: .truncate)
        defer { file.close() }
        for p in trainer.exportParameters() {
            if trainer.config.precision == .float32 {
                try file.write(p.values.map { Float($0) }, shape: p.shape, to: "/" + p.name)
            } else {
                try file.write(p.values, shape: p.shape, to: "/" + p.name)
            }
        }
        if let lo = normMin, let hi = normMax {
            try file.write(lo, shape: [lo.count], to: "/normalization/min")
            try file.write(hi, shape: [hi.count], to: "/normalization/max")
        }
        let c = trainer.config
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try file.setAttribute("format", string: format)
        try file.setAttribute("version", int: version)
        try file.setAttribute("features", int: trainer.features)
        try file.setAttribute("parameter_count", int: trainer.parameterCount)
        try file.setAttribute("config_json", string: String(decoding: try enc.encode(c), as: UTF8.self))
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

    /// Reads a checkpoint: the trained model (on `workers` threads) and its min-max statistics, if stored.
    public static func load(path: String, workers: Int? = nil) throws
        -> (trainer: TranADTrainer, normMin: [Double]?, normMax: [Double]?) {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        guard file.hasAttribute("format"), try file.stringAttribute("format") == format else {
            throw TranADError.notACheckpoint(path: path)
        }
        let features = try file.intAttribute("features")
        let config = try JSONDecoder().decode(TranADConfig.self, from: Data(try file.stringAttribute("config_json").utf8))
        let trainer = TranADTrainer(features: features, config: config, workers: workers)
        var values: [String: [Double]] = [:]
        for (name, _) in trainer.namedParameterShapes where file.contains("/" + name) {
            values[name] = try file.read(Double.self, from: "/" + name).values
        }
        try trainer.loadParameters(values)
        guard file.contains("/normalization/min") else { return (trainer, nil, nil) }
        return (trainer, try file.read(Double.self, from: "/normalization/min").values,
                try file.read(Double.self, from: "/normalization/max").values)
    }
}
