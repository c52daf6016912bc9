// The serving bundle a PyTorch/FastAPI scoring service loads (issue 12): one directory per machine and model,
// written whole (staged, then renamed into place) by `vigil run` (RUN-DIR/<machine>/export/<model>/) and by
// `vigil export` (the service's models/<model>/<machine>/), read by `vigil score --model DIR`.
//
//   model.ckpt          TranAD only: PyTorch zip checkpoint, torch.load(path, weights_only=True) →
//                       {"model_state_dict": OrderedDict(every reference state_dict key incl. pos_encoder.pe), "epoch": n}
//   model.h5            the fitted model, sealed HDF5 (TranAD: one dataset per state_dict key, config and provenance
//                       as root attributes; Isolation Forest: its flat trees; baselines: their group)
//   scorer_state.json   threshold, calibration details, feature baselines, shapes, provenance (`ScorerState`)
//   norm_params.npy     float64 (2, F): row 0 = training min, row 1 = training max
//   eval_results.json   the machine's metrics.json when the bundle was written
//   checksums.sha256    sha256 of every file above, `sha256sum -c` format (two spaces between digest and name)
import Foundation
import VigilIO

/// File names of a serving bundle and its checksum manifest.
public enum BundleLayout {
    public static let checkpoint = "model.ckpt"
    public static let model = "model.h5"
    public static let scorerState = "scorer_state.json"
    public static let normParams = "norm_params.npy"
    public static let evalResults = "eval_results.json"
    public static let checksums = "checksums.sha256"

    /// The files a complete bundle of the model `key` holds besides the manifest, in manifest (name) order.
    public static func files(forModel key: String) -> [String] {
        (key == "tranad" ? [checkpoint] : []) + [evalResults, model, normParams, scorerState]
    }
}

/// `checksums.sha256`: one line `<64 hex digits>  <file name>` per bundle file, sorted by name (the format
/// `sha256sum` writes and `sha256sum -c checksums.sha256` checks).
public struct ChecksumManifest: Equatable, Sendable {
    /// sha256 (lowercase hex) by file name.
    public var digests: [String: String]

    public init(digests: [String: String]) { self.digests = digests }

    /// The manifest text.
    public var text: String {
        digests.keys.sorted().map { "\(digests[$0]!)  \($0)\n" }.joined()
    }

    /// Parses a manifest; `path` names it in errors. Refuses anything but `<64 hex>  <name>` lines with plain names.
    public static func parse(_ bytes: [UInt8], path: String) throws -> ChecksumManifest {
        guard bytes.count <= 64 << 10, let text = String(bytes: bytes, encoding: .utf8) else {
            throw BundleError.damaged(file: path, reason: "it is not a short UTF-8 text of sha256 lines")
        }
        var digests: [String: String] = [:]
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
                  parts[1].hasPrefix(" "), case let name = String(parts[1].dropFirst()),
                  !name.isEmpty, !name.contains("/"), name != ".", name != "..", digests[name] == nil else {
                throw BundleError.damaged(file: path, reason: "line \(i + 1) is not '<64 lowercase hex digits>  <file name>' (or repeats a name)")
            }
            digests[name] = String(parts[0])
        }
        return ChecksumManifest(digests: digests)
    }
}

/// Errors of reading, verifying and publishing bundles; each names the file and says what to do.
public enum BundleError: Error, CustomStringConvertible, Equatable {
    /// A file the bundle needs is absent.
    case missingFile(directory: String, file: String)
    /// A file fails its checksum or does not parse.
    case damaged(file: String, reason: String)
    /// The files disagree with each other (e.g. norm_params.npy and model.h5's statistics).
    case inconsistent(directory: String, reason: String)
    /// A bundle written by another (older or newer) Vigil layout.
    case unsupported(file: String, reason: String)
    /// The source of a re-export is not a run's machine directory, or lacks the model's export.
    case notARunMachine(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(dir, file):
            return "\(dir) has no \(file): the export is incomplete; export it again (`vigil export RUN-DIR/MACHINE --out \(dir)` or `vigil run`)"
        case let .damaged(file, reason):
            return "\(file) is damaged: \(reason); restore the bundle from a copy or export it again"
        case let .inconsistent(dir, reason):
            return "the export in \(dir) is inconsistent: \(reason); export it again"
        case let .unsupported(file, reason):
            return "\(file): \(reason)"
        case let .notARunMachine(path, reason):
            return "\(path) \(reason)"
        }
    }
}

extension ChecksumManifest {
    /// Reads `<dir>/checksums.sha256`.
    public static func read(directory dir: String) throws -> ChecksumManifest {
        let path = (dir as NSString).appendingPathComponent(BundleLayout.checksums)
        return try parse(try BundleFiles.readBytes(path, directory: dir, name: BundleLayout.checksums), path: path)
    }

    /// The bytes of `<dir>/<name>` after checking them against this manifest (a file the manifest does not list, or
    /// whose sha256 differs, is refused naming it).
    public func verifiedBytes(_ name: String, in dir: String) throws -> [UInt8] {
        let path = (dir as NSString).appendingPathComponent(name)
        guard let expected = digests[name] else {
            throw BundleError.damaged(file: (dir as NSString).appendingPathComponent(BundleLayout.checksums),
                                      reason: "it does not list \(name)")
        }
        let bytes = try BundleFiles.readBytes(path, directory: dir, name: name)
        let actual = SHA256Hasher.hex(of: bytes)
        guard actual == expected else {
            throw BundleError.damaged(file: path, reason: "its sha256 \(actual.prefix(16))… differs from \(expected.prefix(16))… in \(BundleLayout.checksums)")
        }
        return bytes
    }

    /// Checks that the file at `<dir>/<name>` matches this manifest without keeping its bytes.
    public func verify(_ name: String, in dir: String) throws {
        _ = try verifiedBytes(name, in: dir)
    }
}

/// Reading bundle files with errors that name the file.
enum BundleFiles {
    /// The whole file; a missing file is `missingFile`, any other failure `damaged` with the system's reason.
    static func readBytes(_ path: String, directory: String, name: String) throws -> [UInt8] {
        switch try Paths.kind(of: path) {
        case .absent: throw BundleError.missingFile(directory: directory, file: name)
        case .regular: break
        case let k: throw BundleError.damaged(file: path, reason: "it is a \(k.name), not a regular file")
        }
        var out = [UInt8]()
        do { try SHA256Hasher.forEachChunk(of: path) { out.append(contentsOf: $0) } } catch {
            throw BundleError.damaged(file: path, reason: "it cannot be read (\(FileError.reason(of: error)))")
        }
        return out
    }
}
