import Foundation
import VigilTestFiles
import XCTest
import VigilCLI

/// A temporary directory removed at the end of the test (`TestDirectory` with this target's prefix).
typealias CLITempDir = TestDirectory

extension TestDirectory {
    convenience init() throws { try self.init(prefix: "vigil-cli") }
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
