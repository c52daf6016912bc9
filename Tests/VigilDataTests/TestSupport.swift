import Foundation
import XCTest
import VigilIO
@testable import VigilData

/// A temporary directory removed at the end of the test.
final class TempDir {
    let url: URL
    var path: String { url.path }
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func sub(_ rel: String) -> String { url.appendingPathComponent(rel).path }

    @discardableResult
    func write(_ rel: String, _ bytes: [UInt8]) throws -> String {
        let p = sub(rel)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: p, contents: Data(bytes)) else { throw DataError.io(path: p, reason: "create") }
        return p
    }

    @discardableResult
    func write(_ rel: String, _ text: String) throws -> String { try write(rel, Array(text.utf8)) }
}

/// Deterministic synthetic SMD-shaped files for one machine (38 columns).
struct FixtureMachine {
    let trainRows: Int
    let testRows: Int
    let seed: Int

    init(trainRows: Int = 6, testRows: Int = 8, seed: Int = 1) {
        self.trainRows = trainRows
        self.testRows = testRows
        self.seed = seed
    }

    /// Raw value of train (t = 0) or test (t = 1) at row r, column c: a multiple of 1e-6 in [0, 1).
    func value(_ t: Int, _ r: Int, _ c: Int) -> Double {
        let k: Int = (r * 7919 + c * 104_729 + t * 31 + seed * 17) % 1000
        return Double(k) / 1000 + Double(c) * 1e-6
    }

    func table(_ t: Int, rows: Int) -> String {
        (0..<rows).map { r in (0..<38).map { String(format: "%.6f", value(t, r, $0)) }.joined(separator: ",") }
            .joined(separator: "\n") + "\n"
    }

    var train: String { table(0, rows: trainRows) }
    var test: String { table(1, rows: testRows) }
    /// Rows 2, 3, 4 and 6 anomalous (matches `interpretation`).
    var labels: String {
        (0..<testRows).map { [2, 3, 4, 6].contains($0) ? "1" : "0" }.joined(separator: "\n") + "\n"
    }
    /// 0-based half-open rows [2, 5) on dims 1 and 3; [6, 7) on dim 38.
    var interpretation: String { "2-5:1,3\n6-7:38\n" }

    func contents(_ kind: SMDFileKind) -> String {
        switch kind {
        case .train: return train
        case .test: return test
        case .testLabel: return labels
        case .interpretationLabel: return interpretation
        }
    }

    /// Writes the four files under `root/<kind>/<machine>.txt` (gzipped to `.txt.gz` when `gzip`).
    func write(to dir: TempDir, root: String, machine: String, gzip: Bool = false) throws {
        for kind in SMDFileKind.allCases {
            let rel = "\(root)/\(SMD.relativePath(kind, machine))"
            let bytes = Array(contents(kind).utf8)
            if gzip { try dir.write(rel + ".gz", ByteSource.gzip(bytes)) } else { try dir.write(rel, bytes) }
        }
    }

    /// Manifest lines for this machine's files.
    func manifestLines(machine: String) -> String {
        SMDFileKind.allCases.map { kind in
            let bytes = Array(contents(kind).utf8)
            return "\(SHA256Hasher.hex(of: bytes))  \(bytes.count)  \(SMD.relativePath(kind, machine))"
        }.joined(separator: "\n")
    }
}

/// Records progress events.
final class RecordingProgress: ProgressSink {
    var notes: [String] = []
    var phases: [(String, Int, Int)] = []
    var bytes = 0
    var files: [String] = []
    func begin(phase: String, files: Int, bytes: Int) { phases.append((phase, files, bytes)) }
    func advance(bytes: Int) { self.bytes += bytes }
    func fileDone(_ path: String) { files.append(path) }
    func note(_ message: String) { notes.append(message) }
    func end() {}
}

/// A scripted HTTP transport: each call pops the next response (status + body) or error.
final class ScriptedTransport: HTTPTransport {
    enum Step { case ok(Int, [UInt8]), fail(String) }
    var script: [Step]
    var requested: [String] = []
    init(_ script: [Step]) { self.script = script }
    func get(_ url: URL) throws -> (status: Int, body: Data) {
        requested.append(url.absoluteString)
        guard !script.isEmpty else { throw TransportError(reason: "no scripted response") }
        switch script.removeFirst() {
        case .ok(let status, let body): return (status, Data(body))
        case .fail(let reason): throw TransportError(reason: reason)
        }
    }
}

func XCTAssertThrowsDataError(_ expr: @autoclosure () throws -> Any, file: StaticString = #filePath, line: UInt = #line,
                              _ check: (DataError) -> Void) {
    XCTAssertThrowsError(try expr(), file: file, line: line) { err in
        guard let e = err as? DataError else { return XCTFail("expected DataError, got \(err)", file: file, line: line) }
        check(e)
    }
}
