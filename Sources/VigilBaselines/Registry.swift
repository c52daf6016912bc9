// The baseline keys and their types, so configs and stored files can name a baseline by string.
import VigilHDF5

/// Every baseline by model key and by HDF5 format.
public enum Baselines {
    /// The baseline types, sanity baselines last.
    public static let all: [any BaselineModel.Type] = [
        PCABaseline.self, KNNBaseline.self, L2NormBaseline.self, RangeDeviationBaseline.self,
        RandomScoresBaseline.self, UntrainedTranADBaseline.self,
    ]

    /// Model keys in `all` order: pca, knn, l2_norm, range_deviation, random, untrained_tranad.
    public static var keys: [String] { all.map { $0.key } }

    /// The type whose key is `key`.
    public static func type(key: String) -> (any BaselineModel.Type)? { all.first { $0.key == key } }

    /// The type whose HDF5 format is `format`.
    public static func type(format: String) -> (any BaselineModel.Type)? { all.first { $0.format == format } }

    /// Reads whichever baseline the group `group` of `file` holds (by its `format` attribute).
    public static func read(from file: HDF5File, group: String) throws -> any BaselineModel {
        let g = groupPath(group)
        guard file.hasAttribute("format", at: g) else {
            throw BaselineError.unsupportedFormat(group: g, found: "no format attribute", expected: "a vigil-baseline-* group")
        }
        let format = try file.stringAttribute("format", at: g)
        guard let t = type(format: format) else {
            throw BaselineError.unsupportedFormat(group: g, found: format, expected: "one of " + all.map { "'\($0.format)'" }.joined(separator: ", "))
        }
        return try t.init(from: file, group: g)
    }
}
