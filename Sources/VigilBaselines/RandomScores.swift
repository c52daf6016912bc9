// `random`: seeded uniform scores, the chance level every report is read against.
import VigilData
import VigilRandom

/// Random-score sanity baseline.
///
/// Score of row i of any N-row matrix: u_i, the i-th output of `Xoshiro256(seed).nextUnitDouble()` (uniform
/// on [0, 1), top 53 bits). The scores depend on the row count and the seed only, never on the values, so their
/// metrics are what chance gives under the labels (ROC-AUC ≈ 0.5, PR-AUC ≈ the anomaly rate, and whatever a
/// protocol such as point adjustment adds on top of chance). Every call restarts the stream: scoring two
/// matrices of equal length gives equal scores. One score per row.
///
/// `fit` records the column count only (score input must have it, so a misrouted matrix is still caught); it
/// reads no values, and neither does `score` (non-finite input is not checked for).
public struct RandomScoresBaseline: BaselineModel {
    public static let key = "random"
    public static let format = "vigil-baseline-random"
    public static let formatVersion = 1
    public static let aggregateRule = "seeded uniform [0, 1) score per row, independent of the data"
    public static let fitReads = "train column count"

    /// The seed.
    public struct Configuration: Sendable, Equatable {
        public var seed: UInt64
        public init(seed: UInt64 = 0) { self.seed = seed }
    }

    public let configuration: Configuration
    public let features: Int

    public var provenance: [String: String] {
        ["model": Self.key, "seed": String(configuration.seed), "fit_reads": Self.fitReads, "aggregate": Self.aggregateRule]
    }

    public init(fitting train: DataMatrix, configuration: Configuration = Configuration()) throws {
        guard train.cols > 0 else { throw BaselineError.emptyTraining(model: Self.key) }
        self.init(features: train.cols, configuration: configuration)
    }

    /// The baseline for F columns.
    public init(features: Int, configuration: Configuration = Configuration()) {
        precondition(features > 0)
        self.features = features
        self.configuration = configuration
    }

    public func score(_ x: DataMatrix) throws -> BaselineScores {
        guard x.cols == features else { throw BaselineError.featureMismatch(model: Self.key, fitted: features, found: x.cols) }
        return BaselineScores(aggregate: Self.scores(count: x.rows, seed: configuration.seed))
    }

    /// The first `count` uniforms of `Xoshiro256(seed)`.
    public static func scores(count: Int, seed: UInt64) -> [Double] {
        var rng = Xoshiro256(seed: seed)
        return (0..<count).map { _ in rng.nextUnitDouble() }
    }
}
