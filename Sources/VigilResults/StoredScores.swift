// The score and label files of a machine directory: what `vigil evaluate RUN-DIR` re-evaluates from.
import Foundation
import VigilHDF5
import VigilScores

/// The score sets of one model on one machine.
public struct StoredScores: Sendable {
    /// Scores of the rows the model was fitted on (the calibration input of deployable thresholds).
    public var train: ScoreSet
    public var test: ScoreSet
    /// Scores of the clean validation block and of the same block with injected anomalies (when held out).
    public var validationClean: ScoreSet?
    public var validationInjected: ScoreSet?

    public init(train: ScoreSet, test: ScoreSet, validationClean: ScoreSet? = nil, validationInjected: ScoreSet? = nil) {
        self.train = train; self.test = test; self.validationClean = validationClean; self.validationInjected = validationInjected
    }
}

/// `scores/<model>.h5`: groups `train`, `test` and, with a validation block, `validation_clean` and
/// `validation_injected`, each a `ScoreSet` (aggregate (N,), per_dimension (N, D) when the model has one, model name
/// and provenance attributes).
public enum ScoreFile {
    /// Writes a sealed file atomically (`HDF5File.write(to:)`), every array checksummed.
    public static func write(_ s: StoredScores, to path: String) throws {
        try HDF5File.write(to: path) { f in
            try s.train.write(to: f, group: "train")
            try s.test.write(to: f, group: "test")
            if let v = s.validationClean { try v.write(to: f, group: "validation_clean") }
            if let v = s.validationInjected { try v.write(to: f, group: "validation_injected") }
        }
    }

    /// Reads a file written by `write`, refusing a damaged one (seal and checksums).
    public static func read(_ path: String) throws -> StoredScores {
        let f = try HDF5File.openSealed(path)
        defer { try? f.close() }
        return StoredScores(train: try ScoreSet(from: f, group: "train"), test: try ScoreSet(from: f, group: "test"),
                            validationClean: f.contains("validation_clean") ? try ScoreSet(from: f, group: "validation_clean") : nil,
                            validationInjected: f.contains("validation_injected") ? try ScoreSet(from: f, group: "validation_injected") : nil)
    }
}

/// `labels.h5`: the test labels a machine's metrics were computed with — `test_label` uint8 (T,), and
/// `interpretation_label` uint8 (T, D) when the dataset has per-dimension labels; with a validation block also
/// `validation_label` uint8 (V,), the labels of the injected synthetic anomalies; root attribute `source_sha256_json`.
/// Stored so a run directory can be re-evaluated where the dataset is not installed.
public enum LabelStore {
    /// Writes a sealed file atomically (`HDF5File.write(to:)`), every array checksummed.
    public static func write(_ labels: EvaluationLabelArrays, sourceSHA256: [String: String], to path: String) throws {
        try HDF5File.write(to: path) { f in
            try f.writeChecksummed(labels.labels.map { UInt8($0 ? 1 : 0) }, shape: [labels.labels.count], to: "test_label")
            if let il = labels.interpretation, labels.dimensions > 0 {
                try f.writeChecksummed(il.map { UInt8($0 ? 1 : 0) }, shape: [labels.labels.count, labels.dimensions], to: "interpretation_label")
            }
            if let v = labels.validation {
                try f.writeChecksummed(v.map { UInt8($0 ? 1 : 0) }, shape: [v.count], to: "validation_label")
            }
            let json = try JSONSerialization.data(withJSONObject: sourceSHA256, options: [.sortedKeys])
            try f.setAttribute("source_sha256_json", string: String(decoding: json, as: UTF8.self))
        }
    }

    /// Reads a file written by `write`, refusing a damaged one (seal, checksums, 0/1 values, shapes).
    public static func read(_ path: String) throws -> EvaluationLabelArrays {
        let f = try HDF5File.openSealed(path)
        defer { try? f.close() }
        let (l, shape) = try f.readVerified(UInt8.self, from: "test_label")
        guard shape.count == 1, l.allSatisfy({ $0 <= 1 }) else {
            throw HDF5Error.typeMismatch(file: path, path: "test_label", expected: "0/1 labels of shape (T,)")
        }
        var interp: [Bool]? = nil
        var dims = 0
        if f.contains("interpretation_label") {
            let (v, s) = try f.readVerified(UInt8.self, from: "interpretation_label")
            guard s.count == 2, s[0] == l.count, v.allSatisfy({ $0 <= 1 }) else {
                throw HDF5Error.typeMismatch(file: path, path: "interpretation_label", expected: "0/1 labels of shape (T, D)")
            }
            interp = v.map { $0 != 0 }
            dims = s[1]
        }
        var validation: [Bool]? = nil
        if f.contains("validation_label") {
            let (v, s) = try f.readVerified(UInt8.self, from: "validation_label")
            guard s.count == 1, v.allSatisfy({ $0 <= 1 }) else {
                throw HDF5Error.typeMismatch(file: path, path: "validation_label", expected: "0/1 labels of shape (V,)")
            }
            validation = v.map { $0 != 0 }
        }
        return EvaluationLabelArrays(labels: l.map { $0 != 0 }, interpretation: interp, dimensions: dims, validation: validation)
    }
}

/// Labels as arrays: test labels one per row (T), per dimension (T × D row-major) when present, and the labels of
/// the synthetic anomalies injected into the validation block (V) when there is one.
public struct EvaluationLabelArrays: Sendable, Equatable {
    public var labels: [Bool]
    public var interpretation: [Bool]?
    public var dimensions: Int
    public var validation: [Bool]?
    public init(labels: [Bool], interpretation: [Bool]?, dimensions: Int, validation: [Bool]? = nil) {
        self.labels = labels; self.interpretation = interpretation; self.dimensions = dimensions; self.validation = validation
    }
}
