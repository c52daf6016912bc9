// Every failure of the data layer, with a message that says what went wrong and what to do.

/// Errors of dataset download, verification, parsing and caching.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The checksum manifest file is missing.
    case missingManifest(path: String)
    /// A manifest line is malformed.
    case badManifest(file: String, line: Int, reason: String)
    /// A file requested for download is not listed in the manifest.
    case notInManifest(path: String)
    /// `--machines` named a machine that SMD does not have.
    case unknownMachine(name: String, valid: [String])
    /// The mirror directory does not exist.
    case mirrorNotFound(path: String)
    /// The mirror lacks (some files of) a machine; `available` lists the machines it has completely.
    case machineMissingFromMirror(machine: String, mirror: String, missing: [String], available: [String])
    /// A fetched file's size or sha256 differs from the manifest (the file was removed).
    case checksumMismatch(file: String, source: String, expectedSHA256: String, actualSHA256: String,
                          expectedSize: Int, actualSize: Int)
    /// The network could not be reached after retries.
    case networkUnavailable(url: String, reason: String, attempts: Int)
    /// The server answered with an HTTP error status.
    case httpStatus(url: String, status: Int)
    /// A filesystem operation failed.
    case io(path: String, reason: String)
    /// A source file of a machine is not installed.
    case missingSource(machine: String, path: String)
    /// A text/CSV cell or line is malformed (1-based line and column).
    case parse(file: String, line: Int, column: Int, reason: String)
    /// A data file has no rows.
    case emptyFile(file: String)
    /// Labels and test rows disagree in count.
    case labelLengthMismatch(file: String, labels: Int, testRows: Int)
    /// Two tables that must have the same width do not.
    case columnMismatch(file: String, expected: Int, found: Int)
    /// A generic dataset directory lacks a required file.
    case missingDatasetFile(directory: String, name: String)
    /// A .npy file is malformed or has an unsupported dtype/order.
    case badNpy(file: String, reason: String)

    public var description: String {
        switch self {
        case let .missingManifest(path):
            return "checksum manifest not found at \(path): run from the repository root or pass --manifest"
        case let .badManifest(file, line, reason):
            return "\(file) line \(line): \(reason)"
        case let .notInManifest(path):
            return "\(path) is not listed in the manifest, so it cannot be verified"
        case let .unknownMachine(name, valid):
            return "unknown SMD machine '\(name)'; valid names: \(valid.joined(separator: ", ")) (or 'all')"
        case let .mirrorNotFound(path):
            return "mirror directory \(path) does not exist"
        case let .machineMissingFromMirror(machine, mirror, missing, available):
            let has = available.isEmpty ? "no complete machines" : available.joined(separator: ", ")
            return "\(machine) is not in mirror \(mirror) (missing \(missing.joined(separator: ", "))); the mirror has: \(has)"
        case let .checksumMismatch(file, source, expSHA, actSHA, expSize, actSize):
            return """
            checksum mismatch for \(file) (from \(source)); the file was removed
              expected sha256 \(expSHA)  size \(expSize)
              actual   sha256 \(actSHA)  size \(actSize)
            the source is corrupt or not the original SMD file: re-fetch it or use another mirror
            """
        case let .networkUnavailable(url, reason, attempts):
            return "cannot download \(url) after \(attempts) attempt(s): \(reason); no network? use --mirror DIR with a local copy of ServerMachineDataset (plain .txt or .txt.gz)"
        case let .httpStatus(url, status):
            return "HTTP \(status) for \(url)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .missingSource(machine, path):
            return "\(machine): \(path) is not installed; run `vigil data download smd --machines \(machine)` (with --mirror DIR offline)"
        case let .parse(file, line, column, reason):
            return "\(file) line \(line) column \(column): \(reason)"
        case let .emptyFile(file):
            return "\(file) is empty"
        case let .labelLengthMismatch(file, labels, testRows):
            return "\(file): \(labels) labels but the test set has \(testRows) rows; they must match one to one"
        case let .columnMismatch(file, expected, found):
            return "\(file): expected \(expected) columns, found \(found)"
        case let .missingDatasetFile(directory, name):
            return "\(directory) has no \(name).csv or \(name).npy"
        case let .badNpy(file, reason):
            return "\(file): \(reason)"
        }
    }
}
