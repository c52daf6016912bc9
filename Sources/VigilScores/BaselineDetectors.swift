// The baselines of VigilBaselines behind the detector interface, and the detectors that store their fitted
// state in one HDF5 group (so an export can be re-scored later).
import Foundation
import VigilBaselines
import VigilData
import VigilHDF5

/// A detector whose fitted state is written to / read from one HDF5 group (a serving bundle's `model.h5`).
public protocol StorableDetector: AnomalyDetector {
    /// How the 1-D score of a row is formed (for the serving metadata).
    var aggregateRule: String { get }
    /// Writes the fitted state under `group` of `file`; throws `DetectorError.notFitted` before `fit`.
    func writeModel(to file: HDF5File, group: String) throws
}

extension StorableDetector {
    /// Writes the fitted model into a new sealed HDF5 file at `path` (group = the model name) with
    /// `HDF5File.write(to:)`: built in memory, sealed, written atomically, so a failed write never leaves a
    /// half-written `path` and a damaged file is refused on load.
    public func saveModel(to path: String) throws {
        try HDF5File.write(to: path) { f in try writeModel(to: f, group: name) }
    }
}

/// A baseline (`pca`, `knn`, `l2_norm`, `range_deviation`, `random`, `untrained_tranad`) as a detector:
/// `fit` fits `Model` on the training rows only, `score` returns its scores as a `ScoreSet` (per-dimension
/// scores when the model has them) whose provenance records the settings, what the fit read and the
/// aggregate rule.
public final class BaselineDetector<Model: BaselineModel>: StorableDetector {
    /// The model key.
    public var name: String { Model.key }
    /// The settings every `fit` uses.
    public let configuration: Model.Configuration
    /// The fitted model, nil before `fit`.
    public private(set) var model: Model?

    /// A detector that fits `Model` with `configuration` on `fit`.
    public init(configuration: Model.Configuration) {
        self.configuration = configuration
    }

    /// Wraps an already fitted model (e.g. read back from HDF5).
    public init(fitted: Model) {
        self.model = fitted
        self.configuration = fitted.configuration
    }

    public var aggregateRule: String { Model.aggregateRule }

    /// The fitted model's provenance; before `fit`, the model name, what a fit reads and the aggregate rule.
    public var provenance: [String: String] {
        model?.provenance ?? ["model": Model.key, "fit_reads": Model.fitReads, "aggregate": Model.aggregateRule]
    }

    public func fit(_ train: DataMatrix, progress: ((String) -> Void)?) throws {
        let start = Date()
        let m = try Model(fitting: train, configuration: configuration)
        model = m
        progress?(String(format: "%@: fitted on %d rows in %.3f s", Model.key, train.rows, Date().timeIntervalSince(start)))
    }

    public func score(_ x: DataMatrix) throws -> ScoreSet {
        guard let m = model else { throw DetectorError.notFitted(name) }
        let s = try m.score(x)
        if s.dims == 0 { return ScoreSet(model: name, aggregate: s.aggregate, provenance: provenance) }
        return ScoreSet(model: name, perDimension: s.perDimension, rows: s.rows, dims: s.dims, aggregate: s.aggregate,
                        provenance: provenance)
    }

    public func writeModel(to file: HDF5File, group: String) throws {
        guard let m = model else { throw DetectorError.notFitted(name) }
        try m.write(to: file, group: group)
    }
}

/// `pca`: reconstruction error outside the principal components of the training rows.
public typealias PCADetector = BaselineDetector<PCABaseline>
/// `knn`: distance to the k-th nearest row of a seeded training sample.
public typealias KNNDetector = BaselineDetector<KNNBaseline>
/// `l2_norm`: Euclidean norm of the normalized row.
public typealias L2NormDetector = BaselineDetector<L2NormBaseline>
/// `range_deviation`: distance outside the training [min, max] per dimension.
public typealias RangeDeviationDetector = BaselineDetector<RangeDeviationBaseline>
/// `random`: seeded uniform scores (chance level).
public typealias RandomDetector = BaselineDetector<RandomScoresBaseline>
/// `untrained_tranad`: TranAD at its seeded initial weights.
public typealias UntrainedTranADDetector = BaselineDetector<UntrainedTranADBaseline>

/// Building baseline detectors by key and reading stored ones back.
public enum BaselineDetectors {
    /// A detector for `key` with default settings (`seed` for the seeded ones: knn, random, untrained_tranad);
    /// nil for an unknown key.
    public static func make(key: String, seed: UInt64 = 0) -> AnomalyDetector? {
        switch key {
        case PCABaseline.key: return PCADetector(configuration: .init())
        case KNNBaseline.key: return KNNDetector(configuration: .init(seed: seed))
        case L2NormBaseline.key: return L2NormDetector(configuration: .init())
        case RangeDeviationBaseline.key: return RangeDeviationDetector(configuration: .init())
        case RandomScoresBaseline.key: return RandomDetector(configuration: .init(seed: seed))
        case UntrainedTranADBaseline.key:
            var c = UntrainedTranADBaseline.Configuration()
            c.tranad.seed = seed
            return UntrainedTranADDetector(configuration: c)
        default: return nil
        }
    }

    /// The fitted detector stored in `group` of `file` (any baseline, found by the group's `format`).
    public static func read(from file: HDF5File, group: String) throws -> AnomalyDetector {
        wrap(try Baselines.read(from: file, group: group))
    }

    /// The fitted detector in the HDF5 file at `path`: in `group`, or (nil) in the one top-level group that
    /// holds a baseline (as `saveModel(to:)` writes it).
    public static func load(contentsOf path: String, group: String? = nil) throws -> AnomalyDetector {
        let f = try HDF5File.openSealed(path)   // every byte verified before libhdf5 parses the file
        defer { try? f.close() }
        if let g = group { return try read(from: f, group: g) }
        let candidates = try f.groupNames(in: "/").filter { g in
            f.hasAttribute("format", at: g) && (try? Baselines.type(format: f.stringAttribute("format", at: g))) != nil
        }
        guard candidates.count == 1 else {
            throw BaselineError.unsupportedFormat(group: "/", found: "\(candidates.count) baseline groups \(candidates)",
                                                  expected: "exactly one vigil-baseline-* group (name the group)")
        }
        return try read(from: f, group: candidates[0])
    }

    private static func wrap<M: BaselineModel>(_ m: M) -> AnomalyDetector { BaselineDetector<M>(fitted: m) }
}
