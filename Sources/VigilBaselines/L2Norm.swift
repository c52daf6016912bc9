// `l2_norm`: the Euclidean norm of the (min-max normalized) row.
import VigilData

/// Norm-of-the-row baseline.
///
/// Score of a row x (already min-max scaled with training statistics, so 0 is each column's training minimum
/// and ≈ 1 its maximum): per-dimension s_d = x_d², aggregate ‖x‖₂ = √(Σ_d x_d²) — the norm the name says,
/// not the mean of the per-dimension scores (it is a monotone function of that mean, √(D · mean), so ranking
/// metrics are the same; thresholds are on the norm scale). It measures how far the row lies from the
/// all-minimum operating point; a row of idle metrics scores low, a busy one high.
///
/// Nothing is learned: `fit` records the column count only.
public struct L2NormBaseline: BaselineModel {
    public static let key = "l2_norm"
    public static let format = "vigil-baseline-l2-norm"
    public static let formatVersion = 1
    public static let aggregateRule = "Euclidean norm sqrt(sum_d x_d^2) of the row; per-dimension x_d^2"
    public static let fitReads = "train column count"

    /// No settings.
    public struct Configuration: Sendable, Equatable { public init() {} }

    public let configuration = Configuration()
    public let features: Int

    public var provenance: [String: String] {
        ["model": Self.key, "fit_reads": Self.fitReads, "aggregate": Self.aggregateRule]
    }

    public init(fitting train: DataMatrix, configuration: Configuration = Configuration()) throws {
        guard train.cols > 0 else { throw BaselineError.emptyTraining(model: Self.key) }
        features = train.cols
    }

    /// The baseline for F columns.
    public init(features: Int) {
        precondition(features > 0)
        self.features = features
    }

    public func score(_ x: DataMatrix) throws -> BaselineScores {
        try checkScoring(x, features: features, model: Self.key)
        let n = x.rows, d = features
        var per = [Double](repeating: 0, count: n * d), agg = [Double](repeating: 0, count: n)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<n {
                var s = 0.0
                for c in 0..<d {
                    let e = v[r * d + c] * v[r * d + c]
                    per[r * d + c] = e
                    s += e
                }
                agg[r] = s.squareRoot()
            }
        }
        return BaselineScores(rows: n, dims: d, perDimension: per, aggregate: agg)
    }
}
