import Foundation
import XCTest
import VigilCLI

/// A temporary directory removed at the end of the test.
final class CLITempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-\(UUID().uuidString)").path
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
    func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: sub(rel)) }
    func names(_ rel: String = "") -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: sub(rel))) ?? []).sorted() }
}

/// A deterministic rows × cols matrix in [0, 1) as CSV text.
func csvMatrix(rows: Int, cols: Int, seed: Int = 1, scale: Double = 1) -> String {
    (0..<rows).map { r in
        (0..<cols).map { c in String(scale * Double((r * 7919 + c * 104_729 + seed * 31) % 1000) / 1000) }.joined(separator: ",")
    }.joined(separator: "\n") + "\n"
}

/// A .npy (format 1.0) with a hand-written header; `payload` is appended as is.
func npyFile(descr: String = "<f8", shape: String, payload: [UInt8]) -> [UInt8] {
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let len = header.utf8.count
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(len & 0xff), UInt8(len >> 8)] + Array(header.utf8) + payload
}

/// Runs a command in-process; asserts the status and returns the message.
@discardableResult
func vigil(_ args: [String], expect status: Int32, file: StaticString = #filePath, line: UInt = #line) -> String {
    let o = VigilCLI.run(args)
    XCTAssertEqual(o.exitCode, status, "vigil \(args.joined(separator: " ")) → \(o.message ?? "")", file: file, line: line)
    let m = o.message ?? ""
    if status != 0 { XCTAssertTrue(m.hasPrefix("Error: "), m, file: file, line: line) }
    XCTAssertFalse(m.contains("NSCocoaErrorDomain") || m.contains("The operation could not be completed"), m, file: file, line: line)
    return m
}

/// What a run of the built `vigil` binary did.
struct BinaryRun {
    var status: Int32
    var signaled: Bool
    var stdout: String
    var stderr: String
}

/// The `vigil` executable built next to the test bundle (the test target depends on it).
func vigilBinary() throws -> String {
    var dirs = [((CommandLine.arguments.first ?? "") as NSString).deletingLastPathComponent]
    for b in Bundle.allBundles { dirs.append((b.bundlePath as NSString).deletingLastPathComponent) }
    for d in dirs where !d.isEmpty {
        let p = URL(fileURLWithPath: (d as NSString).appendingPathComponent("vigil")).standardizedFileURL.path   // absolute
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    throw XCTSkip("the vigil binary was not found next to the test bundle (\(dirs))")
}

/// Runs `bash -c script` (the binary's path in $VIGIL) in `cwd`, waiting at most `timeout` seconds.
func runShell(_ script: String, cwd: String, timeout: TimeInterval = 120) throws -> BinaryRun {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", script]
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    var env = ProcessInfo.processInfo.environment
    env["VIGIL"] = try vigilBinary()
    p.environment = env
    let outPath = NSTemporaryDirectory() + "vigil-run-\(UUID().uuidString).out", errPath = outPath + ".err"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { unlink(outPath); unlink(errPath) }
    guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
        throw XCTSkip("cannot create output capture files")
    }
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(2000) }
    if p.isRunning { p.terminate() }
    p.waitUntilExit()
    try? out.close()
    try? err.close()
    return BinaryRun(status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
                     stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                     stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// Shell-quotes one argument.
func sq(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
