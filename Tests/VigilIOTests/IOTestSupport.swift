import Foundation
import XCTest
@testable import VigilIO

/// A temporary directory removed at the end of the test.
final class IOTempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-io-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ rel: String) -> String { (path as NSString).appendingPathComponent(rel) }

    @discardableResult
    func write(_ rel: String, _ bytes: [UInt8]) throws -> String {
        let p = sub(rel)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ rel: String, _ text: String) throws -> String { try write(rel, Array(text.utf8)) }

    func read(_ rel: String) -> String? { try? String(contentsOfFile: sub(rel), encoding: .utf8) }

    /// Names in the directory (hidden ones included), sorted.
    func names(_ rel: String = "") -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: sub(rel))) ?? []).sorted() }
}
