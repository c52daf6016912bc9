// The score and label files of a machine directory: what `vigil evaluate RUN-DIR` re-evaluates from.
import Foundation
import VigilHDF5
import VigilScores

/// `scores/<model>.h5`: groups `train` and `test`, each a `ScoreSet` (aggregate (N,), per_dimension (N, D) when the
/// model has one, model name and provenance attributes).
public enum ScoreFile {
    public static func write(train: ScoreSet, test: ScoreSet, to path: String) throws {
        let f = try HDF5File(path: path, mode: .truncate)
        defer { f.close() }
        try train.write(to: f, group: "train")
        try test.write(to: f, group: "test")
    }

    public static func read(_ path: String) throws -> (train: ScoreSet, test: ScoreSet) {
        let f = try HDF5File(path: path, mode: .readOnly)
        defer { f.close() }
        return (try ScoreSet(from: f, group: "train"), try ScoreSet(from: f, group: "test"))
    }
}

/// `labels.h5`: the test labels a machine's metrics were computed with — `test_label` uint8 (T,), and
/// `interpretation_label` uint8 (T, D) when the dataset has per-dimension labels; root attribute `source_sha256_json`.
/// Stored so a run directory can be re-evaluated where the dataset is not installed.
public enum LabelStore {
    public static func write(_ labels: EvaluationLabelArrays, sourceSHA256: [String: String], to path: String) throws {
        let f = try HDF5File(path: path, mode: .truncate)
        defer { f.close() }
        try f.write(labels.labels.map { UInt8($0 ? 1 : 0) }, shape: [labels.labels.count], to: "test_label")
        if let il = labels.interpretation, labels.dimensions > 0 {
            try f.write(il.map { UInt8($0 ? 1 : 0) }, shape: [labels.labels.count, labels.dimensions], to: "interpretation_label")
        }
        let json = try JSONSerialization.data(withJSONObject: sourceSHA256, options: [.sortedKeys])
        try f.setAttribute("source_sha256_json", string: String(decoding: json, as: UTF8.self))
    }

    public static func read(_ path: String) throws -> EvaluationLabelArrays {
        let f = try HDF5File(path: path, mode: .readOnly)
        defer { f.close() }
        let (l, shape) = try f.read(UInt8.self, from: "test_label")
        guard shape.count == 1, l.allSatisfy({ $0 <= 1 }) else {
            throw HDF5Error.typeMismatch(file: path, path: "test_label", expected: "0/1 labels of shape (T,)")
        }
        var interp: [Bool]? = nil
        var dims = 0
        if f.contains("interpretation_label") {
            let (v, s) = try f.read(UInt8.self, from: "interpretation_label")
            guard s.count == 2, s[0] == l.count, v.allSatisfy({ $0 <= 1 }) else {
                throw HDF5Error.typeMismatch(file: path, path: "interpretation_label", expected: "0/1 labels of shape (T, D)")
            }
            interp = v.map { $0 != 0 }
            dims = s[1]
        }
        return EvaluationLabelArrays(labels: l.map { $0 != 0 }, interpretation: interp, dimensions: dims)
    }
}

/// Test labels as arrays: one per row (T), and per dimension (T × D row-major) when present.
public struct EvaluationLabelArrays: Sendable, Equatable {
    public var labels: [Bool]
    public var interpretation: [Bool]?
    public var dimensions: Int
    public init(labels: [Bool], interpretation: [Bool]?, dimensions: Int) {
        self.labels = labels; self.interpretation = interpretation; self.dimensions = dimensions
    }
}
