// The temporary directory every test target's file tests use (no Vigil module below it, so any test target can depend
// on it without pulling in the experiment stack).
import Foundation

/// A fresh directory under the system's temporary directory (`<prefix>-<UUID>`), removed when the object goes.
public final class TestDirectory {
    public let path: String

    public init(prefix: String = "vigil-test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/rel`.
    public func sub(_ rel: String) -> String { (path as NSString).appendingPathComponent(rel) }

    /// Writes `bytes` to `path/rel` (creating its parent directories) and returns that path.
    @discardableResult
    public func write(_ rel: String, _ bytes: [UInt8]) throws -> String {
        let p = sub(rel)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Writes `text` (UTF-8) to `path/rel` and returns that path.
    @discardableResult
    public func write(_ rel: String, _ text: String) throws -> String { try write(rel, Array(text.utf8)) }

    /// The text of `path/rel`, nil when it cannot be read.
    public func read(_ rel: String) -> String? { try? String(contentsOfFile: sub(rel), encoding: .utf8) }

    /// The bytes of `path/rel`.
    public func bytes(_ rel: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: sub(rel)))) }

    public func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: sub(rel)) }

    /// Names in `path/rel` (hidden ones included), sorted.
    public func names(_ rel: String = "") -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: sub(rel))) ?? []).sorted() }
}
