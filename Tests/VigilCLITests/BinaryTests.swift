import Foundation
import XCTest
import VigilIO

/// Cases that need a separate process: a full disk (`ulimit -f`, SIGXFSZ ignored so writes fail with EFBIG) and a
/// run killed with SIGKILL. They run the built `vigil` binary.
final class BinaryTests: XCTestCase {
    var dir: CLITempDir!

    override func setUpWithError() throws {
        dir = try CLITempDir()
        try dir.write("t.csv", csvMatrix(rows: 60, cols: 3))
        try dir.write("data/train.csv", csvMatrix(rows: 60, cols: 3))
        try dir.write("data/test.csv", csvMatrix(rows: 60, cols: 3, seed: 2))
        try dir.write("data/labels.csv", (0..<60).map { (20..<25).contains($0) ? "1" : "0" }.joined(separator: "\n") + "\n")
    }

    /// No file at the final path and no temporary file anywhere below the directory.
    func assertNothingLeft(_ finals: [String], file: StaticString = #filePath, line: UInt = #line) {
        for f in finals { XCTAssertFalse(dir.exists(f), "\(f) was left behind", file: file, line: line) }
        let all = (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String]) ?? []
        let temps = all.filter { TemporaryName.parse(($0 as NSString).lastPathComponent) != nil }
        XCTAssertEqual(temps, [], "temporary files left: \(temps)", file: file, line: line)
    }

    func testDiskFullWhileWritingACheckpointIsACleanError() throws {
        let r = try runShell("trap '' XFSZ; ulimit -f 16; exec \"$VIGIL\" train --train t.csv --epochs 1 --threads 1 --out ck.h5", cwd: dir.path)
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 1, r.stderr)
        let error = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(error.hasPrefix("Error: "), r.stderr)
        XCTAssertTrue(error.contains("File too large") && error.contains("raise the limit or write elsewhere"), error)
        assertNothingLeft(["ck.h5"])
    }

    func testDiskFullWhileWritingScoresIsACleanError() throws {
        let ck = try runShell("exec \"$VIGIL\" train --train t.csv --epochs 1 --threads 1 --out ck.h5", cwd: dir.path)
        XCTAssertEqual(ck.status, 0, ck.stderr)
        let r = try runShell("trap '' XFSZ; ulimit -f 1; exec \"$VIGIL\" score --checkpoint ck.h5 --input t.csv --out s.txt", cwd: dir.path)
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("Error: writing s.txt failed: File too large"), r.stderr)
        assertNothingLeft(["s.txt"])
    }

    func testDiskFullDuringEvaluateLeavesNoRunDirectory() throws {
        let r = try runShell("trap '' XFSZ; ulimit -f 16; exec \"$VIGIL\" evaluate --data-dir data --models tranad,iforest --epochs 1 --threads 1 --trees 5 --pot-level 0.9 --out run",
                             cwd: dir.path)
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("Error: "), r.stderr)
        assertNothingLeft(["run"])
    }

    /// SIGKILL in the middle of a run into an existing output directory: the previous run stays complete (nothing is
    /// written there before the publish), and the next run removes the killed run's staging directory.
    func testKilledRunLeavesThePreviousRunWhole() throws {
        let ok = try runShell("exec \"$VIGIL\" evaluate --data-dir data --models iforest --trees 5 --threads 1 --pot-level 0.9 --out run", cwd: dir.path)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let previous = try XCTUnwrap(dir.read("run/report.md"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try vigilBinary())
        p.arguments = ["evaluate", "--data-dir", "data", "--models", "tranad", "--epochs", "100000", "--threads", "1", "--out", "run"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait (bounded) until the run is under way: its staging directory exists and holds the dataset's scores dir.
        var staging: String?
        for _ in 0..<3000 where staging == nil {
            staging = dir.names().first { $0.hasPrefix(".run.") && $0.hasSuffix(".staging") && dir.exists($0 + "/scores") }
            if staging == nil { usleep(10_000) }
        }
        XCTAssertNotNil(staging, "the run never started")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(dir.read("run/report.md"), previous, "the previous run is untouched")
        XCTAssertEqual(dir.names("run"), ["export", "report.json", "report.md", "scores"])
        // The next run cleans the dead run's staging directory and publishes.
        let again = try runShell("exec \"$VIGIL\" evaluate --data-dir data --models iforest --trees 7 --threads 1 --pot-level 0.9 --out run", cwd: dir.path)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(dir.names().filter { $0.hasPrefix(".") }, [], "the killed run's staging directory was removed")
        XCTAssertNotEqual(dir.read("run/report.md"), previous)
    }
}
