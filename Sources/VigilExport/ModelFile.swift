// model.h5 of every model kind: writing it from a fitted detector, reading it back as a detector, and the facts about
// the model that scorer_state.json records (window, scoring mode, alignment, how the 1-D score is formed).
import Foundation
import VigilBaselines
import VigilData
import VigilHDF5
import VigilIsolationForest
import VigilScores
import VigilTranAD

/// What scorer_state.json says about a model's scores.
public struct ModelFacts: Sendable, Equatable {
    /// Rows a score depends on (TranAD's window; 1 for row-wise models; lookback + 1 with lag/rolling features).
    public var windowSize: Int
    /// TranAD: `phase2_only` / `averaged`; other models: the model key.
    public var scoringMode: String
    /// TranAD: `inclusive` / `reference`; row-wise models: `inclusive`.
    public var alignment: String
    /// How the 1-D score is formed.
    public var scoreAggregation: String
}

/// model.h5 for every model kind. Every model.h5 is a sealed HDF5 file (`HDF5File.write(to:)`) whose root carries
/// `export_format` = `vigil-serving-model`, `export_format_version`, `model` (the key), `vigil_version`,
/// `vigil_commit`, `created_at`, `unit`, `dataset` and `provenance_json` (+ `provenance_json_sha256`). The model:
/// TranAD as `TranADModelFile` describes; Isolation Forest in the group `iforest_detector` (its feature transform
/// and flat trees, layout in VigilIsolationForest/Serialization.swift); a baseline in the group named by its key
/// (VigilBaselines/Serialization.swift).
public enum ModelFile {
    /// Facts about a fitted detector's scores; throws `ExportError.unsupportedModel` for a detector with no model file.
    public static func facts(of detector: AnomalyDetector) throws -> ModelFacts {
        switch detector {
        case let d as TranADDetector:
            return tranadFacts(d.config, aggregation: "mean over the F per-dimension scores")
        case let d as IsolationForestAnomalyDetector:
            let e = d.engineering
            let lookback = max(e.lags.max() ?? 0, e.differences ? 1 : 0, e.rollingStatistics.isEmpty ? 0 : e.rollingWindow - 1)
            return ModelFacts(windowSize: lookback + 1, scoringMode: d.name, alignment: TranADWindowAlignment.inclusive.rawValue,
                              scoreAggregation: "isolation forest score 2^(-E[h(x)]/c(n)), one per row")
        case let d as UntrainedTranADDetector:
            guard let m = d.model else { throw DetectorError.notFitted(d.name) }
            return tranadFacts(m.configuration.tranad, aggregation: d.aggregateRule)
        case let d as StorableDetector:
            return ModelFacts(windowSize: 1, scoringMode: d.name, alignment: TranADWindowAlignment.inclusive.rawValue,
                              scoreAggregation: d.aggregateRule)
        default:
            throw ExportError.unsupportedModel(detector.name)
        }
    }

    private static func tranadFacts(_ c: TranADConfig, aggregation: String) -> ModelFacts {
        ModelFacts(windowSize: c.window, scoringMode: c.scoring.rawValue, alignment: c.alignment.rawValue, scoreAggregation: aggregation)
    }

    /// Writes model.h5 of a fitted detector at `path` (sealed, atomically).
    public static func write(_ detector: AnomalyDetector, normalizer: MinMaxNormalizer, provenance: ExportProvenance, createdAt: String,
                             to path: String) throws {
        switch detector {
        case let d as TranADDetector:
            guard let t = d.trainer else { throw DetectorError.notFitted(d.name) }
            try HDF5File.write(to: path) { f in try TranADModelFile.write(t, normalizer: normalizer, provenance: provenance, createdAt: createdAt, into: f) }
        case let d as IsolationForestAnomalyDetector:
            guard let fitted = d.detector else { throw DetectorError.notFitted(d.name) }
            try HDF5File.write(to: path) { f in
                try fitted.write(to: f, group: IsolationForestDetector.hdf5Group)
                try writeRootAttributes(f, model: d.name, provenance: provenance, createdAt: createdAt)
            }
        case let d as StorableDetector:
            try HDF5File.write(to: path) { f in
                try d.writeModel(to: f, group: d.name)
                try writeRootAttributes(f, model: d.name, provenance: provenance, createdAt: createdAt)
            }
        default:
            throw ExportError.unsupportedModel(detector.name)
        }
    }

    /// The model stored in the bundle's model.h5 at `path` (its seal and every stored checksum verified) as a detector
    /// that scores on `workers` threads, with the min-max statistics model.h5 holds (TranAD only).
    public static func load(model key: String, path: String, workers: Int?) throws -> (detector: AnomalyDetector, normalizer: MinMaxNormalizer?, epochsTrained: Int?) {
        switch key {
        case "tranad":
            let (t, n, e) = try TranADModelFile.load(path: path, workers: workers)
            return (TranADDetector(trained: t), n, e)
        case "iforest":
            let f = try HDF5File.openSealed(path)
            defer { try? f.close() }
            try checkRootAttributes(f, model: key, path: path)
            return (IsolationForestAnomalyDetector(fitted: try IsolationForestDetector(from: f, group: IsolationForestDetector.hdf5Group)), nil, nil)
        default:
            guard Baselines.type(key: key) != nil else { throw ExportError.unsupportedModel(key) }
            let f = try HDF5File.openSealed(path)
            defer { try? f.close() }
            try checkRootAttributes(f, model: key, path: path)
            return (try BaselineDetectors.read(from: f, group: key), nil, nil)
        }
    }

    /// The root attributes every model.h5 carries (see the type's documentation).
    static func writeRootAttributes(_ f: HDF5File, model: String, provenance: ExportProvenance, createdAt: String) throws {
        try f.setAttribute("export_format", string: TranADModelFile.exportFormat)
        try f.setAttribute("export_format_version", int: TranADModelFile.exportFormatVersion)
        try f.setAttribute("model", string: model)
        try f.setAttribute("vigil_version", string: provenance.vigilVersion)
        try f.setAttribute("vigil_commit", string: provenance.vigilCommit)
        try f.setAttribute("created_at", string: createdAt)
        try f.setAttribute("unit", string: provenance.unit)
        try f.setAttribute("dataset", string: provenance.dataset)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try f.setChecksummedAttribute("provenance_json", string: String(decoding: try enc.encode(provenance), as: UTF8.self))
    }

    /// Refuses a model.h5 that is not a serving export of `model`.
    static func checkRootAttributes(_ f: HDF5File, model: String, path: String) throws {
        guard f.hasAttribute("export_format"), (try? f.stringAttribute("export_format")) == TranADModelFile.exportFormat else {
            throw BundleError.unsupported(file: path, reason: "it is not a Vigil serving model (no export_format = \"\(TranADModelFile.exportFormat)\"); export the model with `vigil run` or `vigil export`")
        }
        let v = try f.intAttribute("export_format_version")
        guard (1...TranADModelFile.exportFormatVersion).contains(v) else {
            throw BundleError.unsupported(file: path, reason: "export_format_version \(v) is newer than this vigil reads (\(TranADModelFile.exportFormatVersion))")
        }
        let m = try f.stringAttribute("model")
        guard m == model else { throw BundleError.inconsistent(directory: path, reason: "model.h5 holds '\(m)' but scorer_state.json says '\(model)'") }
        _ = try f.verifiedStringAttribute("provenance_json")
    }
}
