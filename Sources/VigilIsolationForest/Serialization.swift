import VigilHDF5
import VigilIO

// HDF5 layout of a fitted forest under a group G (default "iforest"); all node arrays concatenate the trees, and
// every dataset carries a `sha256` attribute (HDF5File.writeChecksummed), verified on load:
//   G@format = "vigil-isolation-forest", G@version = 2, G@feature_count, G@max_samples, G@threshold,
//   G@n_estimators, G@max_samples_spec ("auto" | "count:N" | "fraction:F"), G@max_features_spec ("count:N" |
//   "fraction:F"), G@bootstrap (0/1), G@contamination ("auto" | "fraction:F"), G@seed (Int64 bit pattern)
//   G/tree_offsets  int64 (n_trees + 1,)   nodes of tree t are [offsets[t], offsets[t+1])
//   G/feature       int32 (nodes,)  −1 at leaves          G/threshold  float64 (nodes,)
//   G/left, G/right int32 (nodes,)  tree-local child index, −1 at leaves
//   G/node_samples  int32 (nodes,)  training samples that reached the node
// A detector (feature engineering + forest) under group D (default "iforest_detector") stores the forest in
// D/forest and the transform in D/features: D/features@format = "vigil-feature-transform", @input_columns,
// @include_raw, @lags ("1,2"), @differences, @rolling_window, @rolling_statistics ("mean,std"), @standardize,
// and (if standardizing) D/features/mean, D/features/scale float64 (output_columns,).
// The settings attributes of each group are covered by G@settings_sha256 (see `settingsText`), so a damaged
// attribute is refused on load like a damaged dataset.

let forestFormat = "vigil-isolation-forest"
let forestVersion = 2
let transformFormat = "vigil-feature-transform"

/// The settings attributes of a forest group and of a transform group, in the order their checksum covers them.
let forestSettings: [(name: String, kind: SettingKind)] = [
    ("format", .string), ("version", .int), ("feature_count", .int), ("max_samples", .int), ("threshold", .double),
    ("n_estimators", .int), ("max_samples_spec", .string), ("max_features_spec", .string), ("bootstrap", .int),
    ("contamination", .string), ("seed", .int),
]
let transformSettings: [(name: String, kind: SettingKind)] = [
    ("format", .string), ("input_columns", .int), ("include_raw", .int), ("lags", .string), ("differences", .int),
    ("rolling_window", .int), ("rolling_statistics", .string), ("standardize", .int),
]

enum SettingKind { case string, int, double }

/// `name=value` lines of the settings attributes as stored (doubles as their bit pattern), the text whose
/// checksum (`HDF5File.attributeChecksum(name: "settings", …)`) is `settings_sha256`.
func settingsText(_ file: HDF5File, _ group: String, _ names: [(name: String, kind: SettingKind)]) throws -> String {
    try names.map { n, kind -> String in
        switch kind {
        case .string: return "\(n)=\(try file.stringAttribute(n, at: group))"
        case .int: return "\(n)=\(try file.intAttribute(n, at: group))"
        case .double: return "\(n)=\(String(try file.doubleAttribute(n, at: group).bitPattern, radix: 16))"
        }
    }.joined(separator: "\n")
}

func settingsChecksum(_ file: HDF5File, _ group: String, _ names: [(name: String, kind: SettingKind)]) throws -> String {
    HDF5File.attributeChecksum(name: "settings", value: try settingsText(file, group, names))
}

/// Throws unless the group's settings attributes match `settings_sha256`.
func verifySettings(_ file: HDF5File, _ group: String, _ names: [(name: String, kind: SettingKind)]) throws {
    guard file.hasAttribute("settings_sha256", at: group) else { throw HDF5Error.missingChecksum(file: file.path, path: "\(group)@settings") }
    let expected = try file.stringAttribute("settings_sha256", at: group)
    let actual = try settingsChecksum(file, group, names)
    guard expected == actual else {
        throw FileError.checksumMismatch(path: file.path, object: "the settings attributes of \(group)", expected: expected, actual: actual)
    }
}

extension IsolationForest: HDF5Storable {
    /// Group of `save(to:)` / `init(contentsOf:)`.
    public static let hdf5Group = "iforest"

    /// Writes the fitted forest into `file` under `group` (layout in Serialization.swift; opens in h5py).
    public func write(to file: HDF5File, group: String = "iforest") throws {
        let g = group.hasSuffix("/") ? String(group.dropLast()) : group
        var offsets: [Int64] = [0]
        var feature: [Int32] = [], threshold: [Double] = [], left: [Int32] = [], right: [Int32] = [], samples: [Int32] = []
        for t in trees {
            feature += t.feature; threshold += t.threshold; left += t.left; right += t.right; samples += t.nodeSamples
            offsets.append(Int64(feature.count))
        }
        try file.writeChecksummed(offsets, shape: [offsets.count], to: "\(g)/tree_offsets")
        try file.writeChecksummed(feature, shape: [feature.count], to: "\(g)/feature")
        try file.writeChecksummed(threshold, shape: [threshold.count], to: "\(g)/threshold")
        try file.writeChecksummed(left, shape: [left.count], to: "\(g)/left")
        try file.writeChecksummed(right, shape: [right.count], to: "\(g)/right")
        try file.writeChecksummed(samples, shape: [samples.count], to: "\(g)/node_samples")
        let c = configuration
        try file.setAttribute("format", string: forestFormat, at: g)
        try file.setAttribute("version", int: forestVersion, at: g)
        try file.setAttribute("feature_count", int: featureCount, at: g)
        try file.setAttribute("max_samples", int: maxSamples, at: g)
        try file.setAttribute("threshold", double: self.threshold, at: g)
        try file.setAttribute("n_estimators", int: c.nEstimators, at: g)
        let ms: String
        switch c.maxSamples {
        case .auto: ms = "auto"
        case .count(let n): ms = "count:\(n)"
        case .fraction(let f): ms = "fraction:\(f)"
        }
        try file.setAttribute("max_samples_spec", string: ms, at: g)
        let mf: String
        switch c.maxFeatures {
        case .count(let n): mf = "count:\(n)"
        case .fraction(let f): mf = "fraction:\(f)"
        }
        try file.setAttribute("max_features_spec", string: mf, at: g)
        try file.setAttribute("bootstrap", int: c.bootstrap ? 1 : 0, at: g)
        let cont: String
        switch c.contamination {
        case .auto: cont = "auto"
        case .fraction(let f): cont = "fraction:\(f)"
        }
        try file.setAttribute("contamination", string: cont, at: g)
        try file.setAttribute("seed", int: Int(Int64(bitPattern: c.seed)), at: g)
        try file.setAttribute("settings_sha256", string: try settingsChecksum(file, g, forestSettings), at: g)
    }

    /// Reads a forest written by `write(to:group:)`; throws `HDF5Error` for missing objects and
    /// `IsolationForestError.corruptModel` for inconsistent contents.
    public init(from file: HDF5File, group: String = "iforest") throws {
        let g = group.hasSuffix("/") ? String(group.dropLast()) : group
        let format = try file.stringAttribute("format", at: g)
        guard format == forestFormat else {
            throw IsolationForestError.corruptModel("group \(g) holds '\(format)', expected '\(forestFormat)'")
        }
        let version = try file.intAttribute("version", at: g)
        guard version == forestVersion else {
            throw IsolationForestError.corruptModel("format version \(version) is not supported (\(forestVersion) is, with checksums); fit and save the model again")
        }
        try verifySettings(file, g, forestSettings)
        let offsets = try file.readVerified(Int64.self, from: "\(g)/tree_offsets").values
        let feature = try file.readVerified(Int32.self, from: "\(g)/feature").values
        let threshold = try file.readVerified(Double.self, from: "\(g)/threshold").values
        let left = try file.readVerified(Int32.self, from: "\(g)/left").values
        let right = try file.readVerified(Int32.self, from: "\(g)/right").values
        let samples = try file.readVerified(Int32.self, from: "\(g)/node_samples").values
        let n = feature.count
        guard offsets.count >= 2, offsets.first == 0, offsets.last == Int64(n),
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }),
              threshold.count == n, left.count == n, right.count == n, samples.count == n else {
            throw IsolationForestError.corruptModel("node arrays and tree_offsets in \(g) do not agree")
        }
        var trees: [IsolationTree] = []
        for t in 0..<(offsets.count - 1) {
            let r = Int(offsets[t])..<Int(offsets[t + 1])
            trees.append(IsolationTree(feature: Array(feature[r]), threshold: Array(threshold[r]), left: Array(left[r]),
                                       right: Array(right[r]), nodeSamples: Array(samples[r])))
        }
        func parse(_ spec: String) -> (String, Double?) {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            guard let kind = parts.first else { return ("", nil) }
            return (kind, parts.count > 1 ? Double(parts[1]) : nil)
        }
        var cfg = Configuration()
        cfg.nEstimators = try file.intAttribute("n_estimators", at: g)
        switch parse(try file.stringAttribute("max_samples_spec", at: g)) {
        case ("auto", _): cfg.maxSamples = .auto
        case ("count", let v?) where v >= 1 && v <= Double(Int32.max): cfg.maxSamples = .count(Int(v))
        case ("fraction", let v?): cfg.maxSamples = .fraction(v)
        case let other: throw IsolationForestError.corruptModel("max_samples_spec \(other)")
        }
        switch parse(try file.stringAttribute("max_features_spec", at: g)) {
        case ("count", let v?) where v >= 1 && v <= Double(Int32.max): cfg.maxFeatures = .count(Int(v))
        case ("fraction", let v?): cfg.maxFeatures = .fraction(v)
        case let other: throw IsolationForestError.corruptModel("max_features_spec \(other)")
        }
        cfg.bootstrap = try file.intAttribute("bootstrap", at: g) != 0
        switch parse(try file.stringAttribute("contamination", at: g)) {
        case ("auto", _): cfg.contamination = .auto
        case ("fraction", let v?): cfg.contamination = .fraction(v)
        case let other: throw IsolationForestError.corruptModel("contamination \(other)")
        }
        cfg.seed = UInt64(bitPattern: Int64(try file.intAttribute("seed", at: g)))
        do { try cfg.validate() } catch { throw IsolationForestError.corruptModel("stored settings: \(error)") }
        try self.init(trees: trees, featureCount: try file.intAttribute("feature_count", at: g),
                      maxSamples: try file.intAttribute("max_samples", at: g),
                      threshold: try file.doubleAttribute("threshold", at: g), configuration: cfg)
    }
}

extension FeatureTransform {
    /// Writes the transform (settings and training statistics) under `group`.
    public func write(to file: HDF5File, group: String) throws {
        let g = group.hasSuffix("/") ? String(group.dropLast()) : group
        let e = engineering
        // Datasets first: they create the group that carries the attributes.
        try file.writeChecksummed(mean, shape: [mean.count], to: "\(g)/mean")
        try file.writeChecksummed(scale, shape: [scale.count], to: "\(g)/scale")
        try file.setAttribute("format", string: transformFormat, at: g)
        try file.setAttribute("input_columns", int: inputColumns, at: g)
        try file.setAttribute("include_raw", int: e.includeRaw ? 1 : 0, at: g)
        try file.setAttribute("lags", string: e.lags.map(String.init).joined(separator: ","), at: g)
        try file.setAttribute("differences", int: e.differences ? 1 : 0, at: g)
        try file.setAttribute("rolling_window", int: e.rollingWindow, at: g)
        try file.setAttribute("rolling_statistics", string: e.rollingStatistics.map(\.rawValue).joined(separator: ","), at: g)
        try file.setAttribute("standardize", int: e.standardize ? 1 : 0, at: g)
        try file.setAttribute("settings_sha256", string: try settingsChecksum(file, g, transformSettings), at: g)
    }

    /// Reads a transform written by `write(to:group:)`.
    public init(from file: HDF5File, group: String) throws {
        let g = group.hasSuffix("/") ? String(group.dropLast()) : group
        let format = try file.stringAttribute("format", at: g)
        guard format == transformFormat else {
            throw IsolationForestError.corruptModel("group \(g) holds '\(format)', expected '\(transformFormat)'")
        }
        try verifySettings(file, g, transformSettings)
        let lagText = try file.stringAttribute("lags", at: g)
        let lags = try lagText.split(separator: ",").map { s -> Int in
            guard let v = Int(s) else { throw IsolationForestError.corruptModel("lags '\(lagText)'") }
            return v
        }
        let statText = try file.stringAttribute("rolling_statistics", at: g)
        let stats = try statText.split(separator: ",").map { s -> FeatureEngineering.RollingStatistic in
            guard let v = FeatureEngineering.RollingStatistic(rawValue: String(s)) else {
                throw IsolationForestError.corruptModel("rolling_statistics '\(statText)'")
            }
            return v
        }
        let e = FeatureEngineering(includeRaw: try file.intAttribute("include_raw", at: g) != 0, lags: lags,
                                   differences: try file.intAttribute("differences", at: g) != 0,
                                   rollingWindow: try file.intAttribute("rolling_window", at: g),
                                   rollingStatistics: stats, standardize: try file.intAttribute("standardize", at: g) != 0)
        try self.init(engineering: e, inputColumns: try file.intAttribute("input_columns", at: g),
                      mean: try file.readVerified(Double.self, from: "\(g)/mean").values,
                      scale: try file.readVerified(Double.self, from: "\(g)/scale").values)
    }
}

extension IsolationForestDetector: HDF5Storable {
    /// Group of `save(to:)` / `init(contentsOf:)`.
    public static let hdf5Group = "iforest_detector"

    /// Writes transform and forest under `group` (`group/features`, `group/forest`).
    public func write(to file: HDF5File, group: String = "iforest_detector") throws {
        let g = group.hasSuffix("/") ? String(group.dropLast()) : group
        try transform.write(to: file, group: "\(g)/features")
        try forest.write(to: file, group: "\(g)/forest")
    }

    /// Reads a detector written by `write(to:group:)`.
    public init(from file: HDF5File, group: String = "iforest_detector") throws {
        let g = group.hasSuffix("/") ? String(group.dropLast()) : group
        try self.init(transform: try FeatureTransform(from: file, group: "\(g)/features"),
                      forest: try IsolationForest(from: file, group: "\(g)/forest"))
    }
}
