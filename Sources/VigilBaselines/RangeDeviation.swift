// `range_deviation`: how far each value lies outside its column's training [min, max].
import VigilData

/// Range-deviation baseline.
///
/// Fit: per column d the training minimum m_d and maximum M_d.
/// Per-dimension score of a row x: s_d = max(0, m_d − x_d) + max(0, x_d − M_d) (0 inside the training range,
/// the distance to the nearer bound outside it, in the units of the input — min-max scaled data put it in
/// multiples of the training range). Aggregate = (1/D)·Σ_d s_d, the mean (TranAD's per-dimension/mean
/// convention; a mean also grows with the number of dimensions out of range, where a max would only see the
/// worst one). Rows inside the training box all score 0, so this baseline ranks only the rows that leave it.
public struct RangeDeviationBaseline: BaselineModel {
    public static let key = "range_deviation"
    public static let format = "vigil-baseline-range-deviation"
    public static let formatVersion = 1
    public static let aggregateRule = "mean over the D per-dimension distances outside the training [min, max]"
    public static let fitReads = "train rows (per-column min and max)"

    /// No settings.
    public struct Configuration: Sendable, Equatable { public init() {} }

    public let configuration = Configuration()
    public let features: Int
    /// Training minimum m_d (D).
    public let minimum: [Double]
    /// Training maximum M_d (D).
    public let maximum: [Double]

    public var provenance: [String: String] {
        ["model": Self.key, "fit_reads": Self.fitReads, "aggregate": Self.aggregateRule]
    }

    public init(fitting train: DataMatrix, configuration: Configuration = Configuration()) throws {
        try checkTraining(train, model: Self.key)
        let (lo, hi) = train.columnMinMax()
        self.init(minimum: lo, maximum: hi)
    }

    /// A model with explicit bounds (minimum[d] ≤ maximum[d]).
    public init(minimum: [Double], maximum: [Double]) {
        precondition(minimum.count == maximum.count && !minimum.isEmpty && zip(minimum, maximum).allSatisfy { $0 <= $1 })
        self.features = minimum.count
        self.minimum = minimum
        self.maximum = maximum
    }

    public func score(_ x: DataMatrix) throws -> BaselineScores {
        try checkScoring(x, features: features, model: Self.key)
        let n = x.rows, d = features
        var per = [Double](repeating: 0, count: n * d)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<n {
                for c in 0..<d {
                    let e = v[r * d + c]
                    per[r * d + c] = Swift.max(0, minimum[c] - e) + Swift.max(0, e - maximum[c])
                }
            }
        }
        return BaselineScores(meanOf: per, rows: n, dims: d)
    }
}
