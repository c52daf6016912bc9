// What every simple/sanity baseline shares: the fit/score/store contract, its scores and its errors.
//
// Baselines are models in the layer sense (beside TranAD and the Isolation Forest); the detector wrappers
// that hand their scores to thresholds and metrics live in VigilScores. Nothing here reads test data or labels:
// `fit` sees the training matrix only, `score` is a pure function of the fitted state and its input.
import VigilData
import VigilHDF5

/// A fitted baseline: `init(fitting:configuration:)` on train rows (T, F), `score` any (N, F) matrix.
///
/// Conforming types are immutable values; the same fitted model scores the same input to the same bits on
/// every run (deterministic for the configuration's seed). `write`/`init(from:group:)` store the fitted state
/// in one HDF5 group whose `format` attribute is `Self.format` and `version` is `Self.formatVersion`.
public protocol BaselineModel: HDF5Storable {
    /// Settings of a fit (k, sample size, seed, …).
    associatedtype Configuration: Sendable
    /// Model key used in configs, reports and file names (`pca`, `knn`, …).
    static var key: String { get }
    /// Value of the HDF5 group's `format` attribute (`vigil-baseline-<key>`).
    static var format: String { get }
    /// Layout version written into the group's `version` attribute.
    static var formatVersion: Int { get }
    /// How the 1-D score of a row is formed (written into reports and serving metadata).
    static var aggregateRule: String { get }
    /// What the fit reads (for the honesty record): e.g. "train rows", "train column count".
    static var fitReads: String { get }
    /// Number of columns F the model was fitted on (scoring input must match).
    var features: Int { get }
    /// The configuration the model was fitted with.
    var configuration: Configuration { get }
    /// Settings and fitted facts worth printing in a report (all values as strings).
    var provenance: [String: String] { get }
    /// Fits on a (T, F) training matrix.
    init(fitting train: DataMatrix, configuration: Configuration) throws
    /// Scores every row of an (N, F) matrix; higher = more anomalous.
    func score(_ x: DataMatrix) throws -> BaselineScores
}

extension BaselineModel {
    /// Default group of `save(to:)` / `init(contentsOf:)`: the model key.
    public static var hdf5Group: String { key }
}

/// Scores of a baseline on N rows: per-dimension (N × D, row-major) when the model has them, and one per row.
public struct BaselineScores: Equatable, Sendable {
    /// Number of scored rows N.
    public var rows: Int
    /// Per-dimension columns D (0 when the model gives one score per row).
    public var dims: Int
    /// Row-major N × D per-dimension scores (empty when `dims == 0`).
    public var perDimension: [Double]
    /// One score per row (N); how it derives from `perDimension` is the model's `aggregateRule`.
    public var aggregate: [Double]

    /// Per-dimension scores whose aggregate is the row mean (1/D)·Σ_d s[r, d].
    public init(meanOf perDimension: [Double], rows: Int, dims: Int) {
        precondition(dims > 0 && perDimension.count == rows * dims)
        var agg = [Double](repeating: 0, count: rows)
        perDimension.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                var s = 0.0
                for d in 0..<dims { s += p[r * dims + d] }
                agg[r] = s / Double(dims)
            }
        }
        self.init(rows: rows, dims: dims, perDimension: perDimension, aggregate: agg)
    }

    /// One score per row, no per-dimension scores.
    public init(aggregate: [Double]) {
        self.init(rows: aggregate.count, dims: 0, perDimension: [], aggregate: aggregate)
    }

    /// Explicit per-dimension scores and aggregate (shapes must agree).
    public init(rows: Int, dims: Int, perDimension: [Double], aggregate: [Double]) {
        precondition(aggregate.count == rows && perDimension.count == rows * dims)
        self.rows = rows
        self.dims = dims
        self.perDimension = perDimension
        self.aggregate = aggregate
    }
}

/// Errors of the baselines, each naming what is wrong and what to do.
public enum BaselineError: Error, CustomStringConvertible, Equatable {
    /// `fit` got a matrix without rows or columns.
    case emptyTraining(model: String)
    /// The training matrix has fewer rows than the model needs.
    case tooFewRows(model: String, needed: Int, found: Int, why: String)
    /// A NaN or ±Inf at (row, column), 0-based.
    case nonFinite(model: String, context: String, row: Int, column: Int, value: Double)
    /// Scoring input has another column count than the model was fitted on.
    case featureMismatch(model: String, fitted: Int, found: Int)
    /// A configuration value outside its allowed range.
    case invalidParameter(model: String, name: String, value: String, allowed: String)
    /// A stored model is missing something or inconsistent.
    case corruptModel(group: String, what: String)
    /// A group holds another format (or a newer version) than the reader expects.
    case unsupportedFormat(group: String, found: String, expected: String)

    public var description: String {
        switch self {
        case let .emptyTraining(m):
            return "\(m): the training matrix is empty; fit on at least one row with at least one column"
        case let .tooFewRows(m, needed, found, why):
            return "\(m): needs at least \(needed) training rows (\(why)), got \(found); use a longer training series or lower the setting"
        case let .nonFinite(m, context, row, column, value):
            return "\(m): non-finite value \(value) in the \(context) matrix at row \(row), column \(column) (0-based); remove or impute NaN/Inf first"
        case let .featureMismatch(m, fitted, found):
            return "\(m): fitted on \(fitted) columns but the matrix has \(found); score data with the columns the model was fitted on"
        case let .invalidParameter(m, name, value, allowed):
            return "\(m): \(name) = \(value) is not allowed; use \(allowed)"
        case let .corruptModel(g, what):
            return "baseline model in HDF5 group '\(g)' is corrupt: \(what); re-export it from a fitted model"
        case let .unsupportedFormat(g, found, expected):
            return "HDF5 group '\(g)' holds '\(found)', expected \(expected); was it written by this version of vigil?"
        }
    }
}

// MARK: - Input checks shared by the baselines

/// Checks a training matrix: at least one row and column, every value finite.
func checkTraining(_ m: DataMatrix, model: String) throws {
    guard m.rows > 0, m.cols > 0 else { throw BaselineError.emptyTraining(model: model) }
    try checkFinite(m, model: model, context: "training")
}

/// Checks a matrix to score: `features` columns, every value finite (zero rows are allowed).
func checkScoring(_ m: DataMatrix, features: Int, model: String) throws {
    guard m.cols == features else { throw BaselineError.featureMismatch(model: model, fitted: features, found: m.cols) }
    try checkFinite(m, model: model, context: "scored")
}

/// Throws `nonFinite` at the first NaN/±Inf (row-major order).
func checkFinite(_ m: DataMatrix, model: String, context: String) throws {
    let bad: Int? = m.values.withUnsafeBufferPointer { v in
        for i in 0..<v.count where !v[i].isFinite { return i }
        return nil
    }
    if let i = bad {
        throw BaselineError.nonFinite(model: model, context: context, row: i / m.cols, column: i % m.cols, value: m.values[i])
    }
}

// MARK: - HDF5 helpers shared by the baselines

/// "a/b/" → "a/b".
func groupPath(_ g: String) -> String { g.hasSuffix("/") ? String(g.dropLast()) : g }

/// Writes the attributes every baseline group carries: `format`, `version`, `model` (the key) and the scalar
/// dataset `features` (int64; it also creates the group, which HDF5 needs before attributes can be set).
func writeHeader<M: BaselineModel>(_ type: M.Type, features: Int, to file: HDF5File, group g: String) throws {
    try file.write([Int64(features)], shape: [], to: "\(g)/features")
    try file.setAttribute("format", string: M.format, at: g)
    try file.setAttribute("version", int: M.formatVersion, at: g)
    try file.setAttribute("model", string: M.key, at: g)
}

/// Checks `format`/`version` of a baseline group and returns its `features` (≥ 1).
func readHeader<M: BaselineModel>(_ type: M.Type, from file: HDF5File, group g: String) throws -> Int {
    guard file.hasAttribute("format", at: g) else {
        throw BaselineError.unsupportedFormat(group: g, found: "no format attribute", expected: "'\(M.format)'")
    }
    let format = try file.stringAttribute("format", at: g)
    guard format == M.format else { throw BaselineError.unsupportedFormat(group: g, found: format, expected: "'\(M.format)'") }
    let version = try file.intAttribute("version", at: g)
    guard version >= 1, version <= M.formatVersion else {
        throw BaselineError.unsupportedFormat(group: g, found: "\(format) version \(version)",
                                              expected: "'\(M.format)' version 1…\(M.formatVersion)")
    }
    let f = try file.read(Int64.self, from: "\(g)/features")
    guard f.shape.isEmpty || f.shape == [1], let v = f.values.first, v >= 1, v <= Int64(Int32.max) else {
        throw BaselineError.corruptModel(group: g, what: "features must be one integer in 1…\(Int32.max)")
    }
    return Int(v)
}

/// Reads a float64 dataset and checks its shape and that every value is finite.
func readArray(_ file: HDF5File, _ path: String, shape: [Int], group g: String) throws -> [Double] {
    let (values, found) = try file.read(Double.self, from: path)
    guard found == shape else {
        throw BaselineError.corruptModel(group: g, what: "\(path) has shape \(found), expected \(shape)")
    }
    guard values.allSatisfy({ $0.isFinite }) else {
        throw BaselineError.corruptModel(group: g, what: "\(path) holds a non-finite value")
    }
    return values
}

/// Product of sizes read from a file, nil on overflow (sizes from headers are untrusted).
func checkedProduct(_ a: Int, _ b: Int) -> Int? {
    let (p, o) = a.multipliedReportingOverflow(by: b)
    return o ? nil : p
}
