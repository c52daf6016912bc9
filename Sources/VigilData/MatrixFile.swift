// One reader for loose numeric matrices given on the command line (train/test/score inputs).
import Foundation

/// Reads a numeric matrix from a text file (plain or `.gz`) or a `.npy` file.
///
/// Text: one row per line; cells separated by commas (the SMD format) or, when a file has no comma, by runs of
/// spaces/tabs. Every row must have the same number of finite numbers; an optional header line is skipped.
/// Errors name the file, 1-based line and column (`DataError.parse`).
public enum MatrixFile {
    /// Reads `path` into a row-major matrix.
    public static func read(_ path: String) throws -> DataMatrix {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.io(path: path, reason: "no such file")
        }
        if path.hasSuffix(".npy") { return try NpyReader.readMatrix(path) }
        var bytes = try ByteSource.readAll(path)
        if !bytes.contains(UInt8(ascii: ",")) { bytes = whitespaceToCommas(bytes) }
        return try TextParsers.parseNumericTable(bytes, file: path, allowHeader: true)
    }

    /// Rewrites whitespace-separated lines as comma-separated ones (leading/trailing blanks dropped).
    static func whitespaceToCommas(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pendingSeparator = false, lineHasCell = false
        for b in bytes {
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if lineHasCell { pendingSeparator = true }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                pendingSeparator = false
                lineHasCell = false
                out.append(b)
            default:
                if pendingSeparator { out.append(UInt8(ascii: ",")); pendingSeparator = false }
                lineHasCell = true
                out.append(b)
            }
        }
        return out
    }
}
