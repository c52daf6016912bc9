// Loading a user's own dataset: a directory with train, test and labels as .csv or .npy.
import Foundation
import VigilIO

/// Loads a directory holding `train.csv|npy`, `test.csv|npy` and `labels.csv|npy` (see datasets/README.md):
/// train/test are rows × D numbers; labels are one 0/1 per test row, or a test-rows × D 0/1 matrix of per-dimension
/// labels (then a row is anomalous when any dimension is). Min-max scaling is fitted on train.
public enum GenericDatasetLoader {
    /// Loads and preprocesses the dataset in `directory` (name = the directory's last path component).
    public static func load(directory: String) throws -> AnomalyDataset {
        var shas: [String: String] = [:]
        let (_, train) = try table("train", in: directory, shas: &shas)
        let (testPath, test) = try table("test", in: directory, shas: &shas)
        let (labelPath, rawLabels) = try table("labels", in: directory, shas: &shas)
        guard test.cols == train.cols else {
            throw DataError.columnMismatch(file: testPath, expected: train.cols, found: test.cols)
        }
        guard rawLabels.rows == test.rows else {
            throw DataError.labelLengthMismatch(file: labelPath, labels: rawLabels.rows, testRows: test.rows)
        }
        guard rawLabels.cols == 1 || rawLabels.cols == test.cols else {
            throw DataError.columnMismatch(file: labelPath, expected: test.cols, found: rawLabels.cols)
        }
        var perDim = [UInt8](repeating: 0, count: rawLabels.values.count)
        for (i, v) in rawLabels.values.enumerated() {
            guard v == 0 || v == 1 else {
                throw DataError.parse(file: labelPath, line: i / rawLabels.cols + 1, column: i % rawLabels.cols + 1,
                                      reason: "label \(v) is not 0 or 1")
            }
            perDim[i] = UInt8(v)
        }
        var labels = perDim
        var interp: [UInt8]? = nil
        if rawLabels.cols > 1 {
            interp = perDim
            labels = (0..<rawLabels.rows).map { r in perDim[(r * rawLabels.cols)..<((r + 1) * rawLabels.cols)].max()! }
        }
        let name = (directory as NSString).standardizingPath.split(separator: "/").last.map(String.init) ?? directory
        return try AnomalyDataset.build(name: name, rawTrain: train, rawTest: test, labels: labels,
                                        interpretationLabels: interp, sourceSHA256: shas,
                                        testFile: testPath, labelFile: labelPath)
    }

    /// Reads `<name>.csv` (header row optional) or `<name>.npy` from `directory`.
    static func table(_ name: String, in directory: String, shas: inout [String: String]) throws -> (String, DataMatrix) {
        let csv = (directory as NSString).appendingPathComponent("\(name).csv")
        let npy = (directory as NSString).appendingPathComponent("\(name).npy")
        let fm = FileManager.default
        if fm.fileExists(atPath: csv) {
            let bytes = try ByteSource.readAll(csv)
            shas[name] = SHA256Hasher.hex(of: bytes)
            return (csv, try TextParsers.parseNumericTable(bytes, file: csv, allowHeader: true))
        }
        if fm.fileExists(atPath: npy) {
            let bytes = try NpyReader.readBytes(npy)
            shas[name] = SHA256Hasher.hex(of: bytes)
            return (npy, try NpyReader.parse(bytes, file: npy))
        }
        throw DataError.missingDatasetFile(directory: directory, name: name)
    }
}
