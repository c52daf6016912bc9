// Loading an installed SMD machine: strict parse → min-max scaling → HDF5 cache in <root>/processed/.
import Foundation
import VigilHDF5
import VigilIO
#if canImport(Glibc)
import Glibc
#endif

/// What the loader did with the processed cache.
public enum CacheStatus: Equatable, CustomStringConvertible {
    /// The cache matched the sources' sha256 and was read.
    case reused
    /// There was no cache; it was built.
    case built
    /// The cache was stale or unreadable (reason given) and was rebuilt.
    case rebuilt(reason: String)
    /// Caching was turned off.
    case disabled

    public var description: String {
        switch self {
        case .reused: return "cache reused"
        case .built: return "cache built"
        case .rebuilt(let reason): return "cache rebuilt (\(reason))"
        case .disabled: return "cache disabled"
        }
    }
}

/// Loads SMD machines installed under `root` (`<root>/<kind>/<machine>.txt`, `.txt.gz` also accepted), caching the
/// preprocessed arrays in `<root>/processed/<machine>.h5` keyed by the sources' sha256.
public struct SMDLoader {
    /// Cache format tag stored in the file's `format` attribute; bump it when the layout or preprocessing changes.
    public static let cacheFormat = "vigil-smd-processed-v2"
    /// The dataset root, e.g. `datasets/SMD`.
    public let root: String
    /// Whether to read/write the HDF5 cache.
    public var useCache: Bool

    /// A loader for the SMD installation at `root`.
    public init(root: String = "datasets/SMD", useCache: Bool = true) {
        self.root = root
        self.useCache = useCache
    }

    /// Path of the processed cache for `machine`.
    public func cachePath(for machine: String) -> String {
        ((root as NSString).appendingPathComponent("processed") as NSString).appendingPathComponent("\(machine).h5")
    }

    /// Loads and preprocesses `machine` (cache used when valid).
    public func load(_ machine: String) throws -> SMDMachine {
        try loadWithStatus(machine).dataset
    }

    /// Loads `machine` and reports whether the cache was reused, built or rebuilt.
    public func loadWithStatus(_ machine: String) throws -> (dataset: SMDMachine, cache: CacheStatus) {
        guard SMD.allMachines.contains(machine) else { throw DataError.unknownMachine(name: machine, valid: SMD.allMachines) }
        // Read every source once: needed for the sha256 check and, on a miss, for parsing.
        var bytes: [SMDFileKind: [UInt8]] = [:]
        var files: [SMDFileKind: String] = [:]
        var shas: [String: String] = [:]
        for kind in SMDFileKind.allCases {
            let path = try sourcePath(kind, machine)
            let content: [UInt8]
            do { content = try ByteSource.readAll(path) } catch let e as FileReadError {
                throw DataError.io(path: path, reason: e.description)
            }
            bytes[kind] = content
            files[kind] = path
            shas[kind.rawValue] = SHA256Hasher.hex(of: content)
        }
        guard useCache else { return (try parse(machine, bytes, files, shas), .disabled) }

        let cache = cachePath(for: machine)
        var status: CacheStatus = .built
        if FileManager.default.fileExists(atPath: cache) {
            switch Self.readCache(cache, machine: machine, expectedSHA: shas) {
            case .success(let ds): return (ds, .reused)
            case .failure(let miss): status = .rebuilt(reason: miss.description)
            }
        }
        let ds = try parse(machine, bytes, files, shas)
        try Self.writeCache(ds, to: cache)
        return (ds, status)
    }

    /// The installed source file for one kind (plain `.txt` preferred, then `.txt.gz`).
    public func sourcePath(_ kind: SMDFileKind, _ machine: String) throws -> String {
        let base = (root as NSString).appendingPathComponent(SMD.relativePath(kind, machine))
        if FileManager.default.fileExists(atPath: base) { return base }
        if FileManager.default.fileExists(atPath: base + ".gz") { return base + ".gz" }
        throw DataError.missingSource(machine: machine, path: base)
    }

    /// Machines with all four source files under `root`.
    public func installedMachines() -> [String] {
        SMD.allMachines.filter { m in SMDFileKind.allCases.allSatisfy { (try? sourcePath($0, m)) != nil } }
    }

    private func parse(_ machine: String, _ bytes: [SMDFileKind: [UInt8]], _ files: [SMDFileKind: String],
                       _ shas: [String: String]) throws -> SMDMachine {
        let d = SMD.dimensions
        let train = try TextParsers.parseNumericTable(bytes[.train]!, file: files[.train]!, expectedColumns: d)
        let test = try TextParsers.parseNumericTable(bytes[.test]!, file: files[.test]!, expectedColumns: d)
        let labels = try TextParsers.parseLabels(bytes[.testLabel]!, file: files[.testLabel]!, expectedRows: test.rows)
        let interp = try TextParsers.parseInterpretationLabels(bytes[.interpretationLabel]!, file: files[.interpretationLabel]!,
                                                               rows: test.rows, dims: d)
        return try AnomalyDataset.build(name: machine, rawTrain: train, rawTest: test, labels: labels,
                                        interpretationLabels: interp, sourceSHA256: shas,
                                        testFile: files[.test]!, labelFile: files[.testLabel]!)
    }

    // MARK: - HDF5 cache

    /// Writes the processed arrays and provenance to `path` atomically (`HDF5File.write(to:)`: temporary sibling,
    /// fsync, rename), each array with its sha256 (`writeChecksummed`), so a damaged cache is detected and rebuilt.
    /// Layout: datasets train (N×D f64), test (M×D f64), labels (M u8), interpretation_labels (M×D u8, if any),
    /// norm_min / norm_max (D f64), each with a `sha256` attribute; root attributes format, name, epsilon
    /// (+ epsilon_sha256 over its bit pattern), source_sha256_<role>.
    public static func writeCache(_ ds: AnomalyDataset, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw DataError.io(path: dir, reason: FileError.reason(of: error))
        }
        StaleFiles.removeStale(in: dir)
        do {
            try HDF5File.write(to: path) { f in
                try f.writeChecksummed(ds.train.values, shape: [ds.train.rows, ds.train.cols], to: "train")
                try f.writeChecksummed(ds.test.values, shape: [ds.test.rows, ds.test.cols], to: "test")
                try f.writeChecksummed(ds.labels, shape: [ds.labels.count], to: "labels")
                if let il = ds.interpretationLabels {
                    try f.writeChecksummed(il, shape: [ds.test.rows, ds.test.cols], to: "interpretation_labels")
                }
                try f.writeChecksummed(ds.normalizer.min, shape: [ds.normalizer.min.count], to: "norm_min")
                try f.writeChecksummed(ds.normalizer.max, shape: [ds.normalizer.max.count], to: "norm_max")
                try f.setAttribute("format", string: cacheFormat)
                try f.setAttribute("name", string: ds.name)
                try f.setAttribute("epsilon", double: ds.normalizer.epsilon)
                try f.setAttribute("epsilon_sha256", string: epsilonChecksum(ds.normalizer.epsilon))
                try f.setAttribute("normalization", string: "(x - norm_min) / (norm_max - norm_min + epsilon), statistics from train")
                for (role, sha) in ds.sourceSHA256 { try f.setAttribute("source_sha256_\(role)", string: sha) }
            }
        } catch {
            throw DataError.io(path: path, reason: "\(error)")
        }
    }

    /// Reads a cache; fails with a reason when it is unreadable, of another format, or its sources differ.
    static func readCache(_ path: String, machine: String, expectedSHA: [String: String]) -> Result<AnomalyDataset, CacheMiss> {
        do {
            let f = try HDF5File.openSealed(path)
            defer { try? f.close() }
            guard (try? f.stringAttribute("format")) == cacheFormat else { return .failure(CacheMiss("format changed")) }
            for (role, sha) in expectedSHA.sorted(by: { $0.key < $1.key }) {
                guard (try? f.stringAttribute("source_sha256_\(role)")) == sha else {
                    return .failure(CacheMiss("source \(role) changed"))
                }
            }
            return .success(try readDataset(f, name: machine, sources: expectedSHA))
        } catch {
            return .failure(CacheMiss("unreadable: \(error)"))
        }
    }

    /// Checksum of the epsilon attribute (over its bit pattern).
    static func epsilonChecksum(_ eps: Double) -> String {
        HDF5File.attributeChecksum(name: "epsilon", value: String(eps.bitPattern, radix: 16))
    }

    /// Reads a processed dataset written by `writeCache` from an open file, verifying every array's sha256.
    public static func readDataset(_ f: HDF5File, name: String, sources: [String: String]) throws -> AnomalyDataset {
        let tr = try f.readVerified(Double.self, from: "train")
        let te = try f.readVerified(Double.self, from: "test")
        let lb = try f.readVerified(UInt8.self, from: "labels")
        let il = f.contains("interpretation_labels") ? try f.readVerified(UInt8.self, from: "interpretation_labels") : nil
        let mn = try f.readVerified(Double.self, from: "norm_min").values
        let mx = try f.readVerified(Double.self, from: "norm_max").values
        let eps = try f.doubleAttribute("epsilon")
        guard (try f.stringAttribute("epsilon_sha256")) == epsilonChecksum(eps), eps.isFinite, eps > 0 else {
            throw DataError.io(path: f.path, reason: "processed cache: attribute epsilon is damaged")
        }
        guard tr.shape.count == 2, te.shape.count == 2, tr.shape[1] == te.shape[1], tr.shape[1] > 0, lb.values.count == te.shape[0],
              mn.count == tr.shape[1], mx.count == tr.shape[1], il.map({ $0.values.count == te.values.count }) ?? true else {
            throw DataError.io(path: f.path, reason: "processed arrays have inconsistent shapes")
        }
        return AnomalyDataset(name: name,
                              train: DataMatrix(rows: tr.shape[0], cols: tr.shape[1], values: tr.values),
                              test: DataMatrix(rows: te.shape[0], cols: te.shape[1], values: te.values),
                              labels: lb.values, interpretationLabels: il?.values,
                              normalizer: MinMaxNormalizer(min: mn, max: mx, epsilon: eps), sourceSHA256: sources)
    }
}

/// Why a processed cache was not reused.
struct CacheMiss: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
