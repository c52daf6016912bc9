// TEMPORARY: stand-ins with the API of VigilIO (branch hardening) so this branch builds before the merge.
// Deleted when VigilIO lands.
import Foundation

public enum AtomicFile {
    @discardableResult
    public static func write(to path: String, _ body: (String) throws -> Void) throws -> String {
        let tmp = path + ".\(getpid()).part"
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try body(tmp)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
        return path
    }
    @discardableResult
    public static func write(_ data: Data, to path: String) throws -> String {
        try write(to: path) { try data.write(to: URL(fileURLWithPath: $0)) }
    }
    @discardableResult
    public static func write(_ text: String, to path: String) throws -> String { try write(Data(text.utf8), to: path) }
}

public final class StagingDirectory {
    public enum ReplacePolicy { case never, always, unless((String) -> String?) }
    public let destination: String
    public let path: String
    let displayPath: String
    public private(set) var isPublished = false
    public init(destination: String, replace: ReplacePolicy) throws {
        self.destination = destination
        displayPath = destination
        let dir = (destination as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true)
        path = (dir.isEmpty ? "." : dir) + "/." + (destination as NSString).lastPathComponent + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).staging"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }
    deinit { if !isPublished { discard() } }
    public func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }
    public func publish() throws {
        if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
        try FileManager.default.moveItem(atPath: path, toPath: destination)
        isPublished = true
    }
    public func discard() { try? FileManager.default.removeItem(atPath: path) }
}
