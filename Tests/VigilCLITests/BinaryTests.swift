import Foundation
import XCTest
import VigilIO
import VigilTestSupport

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

    func testDiskFullDuringARunPublishesNothing() throws {
        let r = try runShell("trap '' XFSZ; ulimit -f 16; exec \"$VIGIL\" run --set data.dir=data --models tranad,iforest --set tranad.epochs=1 "
                             + "--set threads=1 --set iforest.trees=5 --set calibration.pot.level=0.9 --out run", cwd: dir.path)
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("File too large"), r.stderr)
        XCTAssertFalse(dir.exists("run/data"), "the dataset's results were not published")
        let all = (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String]) ?? []
        XCTAssertEqual(all.filter { TemporaryName.parse(($0 as NSString).lastPathComponent) != nil }, [], "no temporary file left")
    }

    /// SIGKILL of `vigil run` while its child processes compute: a machine published before the kill stays complete and
    /// untouched, the machine in flight is not published (its child dies with the parent), and the same command again
    /// skips the complete machine and finishes the other, removing the dead child's staging directory.
    func testKilledRunResumesWithoutRepeatingFinishedMachines() throws {
        let fx = try RunFixture()
        let config = try fx.config()
        let runDir = fx.root + "/run"
        let args = ["run", config, "--out", runDir, "--jobs", "1", "--models", "tranad", "--set", "tranad.epochs=3"]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try vigilBinary())
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // wait (bounded) until the first machine is published, then kill the parent at once
        var first = false
        for _ in 0..<12_000 where !first {
            first = FileManager.default.fileExists(atPath: runDir + "/machine-1-1/metrics.json")
            if !first { usleep(5_000) }
        }
        XCTAssertTrue(first, "the first machine never completed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        usleep(300_000)   // the child gets SIGKILL from PR_SET_PDEATHSIG
        XCTAssertFalse(FileManager.default.fileExists(atPath: runDir + "/machine-1-2/metrics.json"), "the machine in flight was not published")
        let kept = fx.file(runDir, "machine-1-1/provenance.json")
        let again = try runShell("exec \"$VIGIL\" " + args.map { "'\($0)'" }.joined(separator: " "), cwd: fx.root)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("skipped (already complete): machine-1-1"), again.stdout)
        XCTAssertEqual(fx.file(runDir, "machine-1-1/provenance.json"), kept, "the finished machine was not recomputed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: runDir + "/machine-1-2/metrics.json"))
        let hidden = ((try? FileManager.default.contentsOfDirectory(atPath: runDir)) ?? []).filter { $0.hasPrefix(".") }
        XCTAssertEqual(hidden, [], "the dead child's staging directory was removed")
    }
}
