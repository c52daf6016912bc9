// The committed list of SMD original files: `sha256  size  path` per line, `#` comments.
import Foundation

/// One expected file: its path relative to the dataset root, byte size and lowercase hex sha256.
public struct ManifestEntry: Equatable, Sendable {
    public let path: String
    public let size: Int
    public let sha256: String
}

/// A parsed checksum manifest (`sha256  size  path` lines; `#` starts a comment line).
public struct Manifest: Sendable {
    /// Entries in file order.
    public let entries: [ManifestEntry]
    private let byPath: [String: ManifestEntry]

    /// Parses manifest text; `source` names the file in errors.
    public init(text: String, source: String = "MANIFEST.sha256") throws {
        var entries: [ManifestEntry] = []
        var byPath: [String: ManifestEntry] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 3 else {
                throw DataError.badManifest(file: source, line: i + 1, reason: "expected 'sha256  size  path', found \(parts.count) fields")
            }
            let sha = parts[0].lowercased()
            guard sha.count == 64, sha.allSatisfy({ $0.isHexDigit }) else {
                throw DataError.badManifest(file: source, line: i + 1, reason: "'\(parts[0])' is not a sha256 hex digest")
            }
            guard let size = Int(parts[1]), size >= 0 else {
                throw DataError.badManifest(file: source, line: i + 1, reason: "'\(parts[1])' is not a byte size")
            }
            let entry = ManifestEntry(path: String(parts[2]), size: size, sha256: sha)
            guard byPath[entry.path] == nil else {
                throw DataError.badManifest(file: source, line: i + 1, reason: "duplicate path \(entry.path)")
            }
            entries.append(entry)
            byPath[entry.path] = entry
        }
        self.entries = entries
        self.byPath = byPath
    }

    /// Reads and parses the manifest at `path`.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DataError.missingManifest(path: path)
        }
        try self.init(text: text, source: path)
    }

    /// The entry for a relative path such as `train/machine-1-1.txt`.
    public func entry(for path: String) -> ManifestEntry? { byPath[path] }
}
