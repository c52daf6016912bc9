/// Anomaly scores of one model on one series, kept as data so they can be stored and re-evaluated.
///
/// `perDimension` is row-major (rows × dims); `aggregate` has one score per row (higher = more anomalous).
/// For models that score dimensions (TranAD) `aggregate[r]` is the mean of row r's per-dimension scores, unless the
/// model defines another rule and says so in `provenance["aggregate"]` (`l2_norm`: the row's norm √Σ_d x_d²);
/// models with a single score per row (Isolation Forest) have `dims == 0` and an empty `perDimension`.
public struct ScoreSet: Codable, Equatable, Sendable {
    /// Model that produced the scores (`tranad`, `iforest`, …).
    public var model: String
    /// Number of scored rows.
    public var rows: Int
    /// Number of per-dimension columns (0 when the model gives one score per row).
    public var dims: Int
    /// Row-major per-dimension scores, `rows × dims` (empty when `dims == 0`).
    public var perDimension: [Double]
    /// One score per row.
    public var aggregate: [Double]
    /// How the scores were made (window alignment, scoring mode, seed, …): printed into every report.
    public var provenance: [String: String]

    /// Builds a score set from per-dimension scores; the aggregate is the row mean.
    public init(model: String, perDimension: [Double], rows: Int, dims: Int, provenance: [String: String] = [:]) {
        precondition(dims > 0 && perDimension.count == rows * dims,
                     "ScoreSet: \(perDimension.count) per-dimension scores do not form \(rows) rows × \(dims) dims")
        self.model = model
        self.rows = rows
        self.dims = dims
        self.perDimension = perDimension
        self.provenance = provenance
        var agg = [Double](repeating: 0, count: rows)
        perDimension.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                var s = 0.0
                for d in 0..<dims { s += p[r * dims + d] }
                agg[r] = s / Double(dims)
            }
        }
        self.aggregate = agg
    }

    /// Builds a score set from per-dimension scores and an aggregate formed by another rule than the mean
    /// (state the rule in `provenance["aggregate"]`).
    public init(model: String, perDimension: [Double], rows: Int, dims: Int, aggregate: [Double], provenance: [String: String] = [:]) {
        precondition(dims > 0 && perDimension.count == rows * dims && aggregate.count == rows,
                     "ScoreSet: \(perDimension.count) per-dimension and \(aggregate.count) aggregate scores do not form \(rows) rows × \(dims) dims")
        self.model = model
        self.rows = rows
        self.dims = dims
        self.perDimension = perDimension
        self.aggregate = aggregate
        self.provenance = provenance
    }

    /// Builds a score set from one score per row.
    public init(model: String, aggregate: [Double], provenance: [String: String] = [:]) {
        self.model = model
        self.rows = aggregate.count
        self.dims = 0
        self.perDimension = []
        self.aggregate = aggregate
        self.provenance = provenance
    }

    /// Scores of dimension `d` for every row (`rows` values); needs `dims > 0`.
    public func dimension(_ d: Int) -> [Double] {
        precondition(d >= 0 && d < dims, "ScoreSet.dimension: \(d) is outside 0..<\(dims)")
        return (0..<rows).map { perDimension[$0 * dims + d] }
    }

    /// The first (0-based) row with a non-finite aggregate or per-dimension score, nil when all are finite.
    public var firstNonFiniteRow: Int? {
        if let r = aggregate.firstIndex(where: { !$0.isFinite }) {
            let p = dims > 0 ? perDimension.firstIndex(where: { !$0.isFinite }).map { $0 / dims } : nil
            return min(r, p ?? r)
        }
        return dims > 0 ? perDimension.firstIndex(where: { !$0.isFinite }).map { $0 / dims } : nil
    }

    /// True when every score is finite; a non-finite score means the model diverged.
    public var allFinite: Bool {
        aggregate.allSatisfy { $0.isFinite } && perDimension.allSatisfy { $0.isFinite }
    }

    /// The scores of rows `range` (aggregate and per-dimension), same model and provenance.
    public func rows(_ range: Range<Int>) -> ScoreSet {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "ScoreSet.rows: \(range) outside 0..<\(rows)")
        var s = self
        s.rows = range.count
        s.aggregate = Array(aggregate[range])
        if dims > 0 { s.perDimension = Array(perDimension[(range.lowerBound * dims)..<(range.upperBound * dims)]) }
        return s
    }
}
