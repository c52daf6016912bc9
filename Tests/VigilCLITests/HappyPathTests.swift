import Foundation
import VigilResults
import VigilTestSupport
import XCTest

/// Every command's happy path through the built binary (its output) or in-process (its files), on small fixtures.
final class HappyPathTests: XCTestCase {
    func testConfigShowAndReference() throws {
        let fx = try RunFixture()
        let cfg = try fx.config()
        let show = try runShell("exec \"$VIGIL\" config show \(sq(cfg)) --set tranad.epochs=2", cwd: fx.root)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.hasPrefix("# config_sha256: "), show.stdout)
        XCTAssertTrue(show.stdout.contains("  epochs: 2  # --set tranad.epochs=2\n"), show.stdout)
        let ref = try runShell("exec \"$VIGIL\" config reference", cwd: fx.root)
        XCTAssertEqual(ref.status, 0, ref.stderr)
        XCTAssertTrue(ref.stdout.hasPrefix("| key | values | default | meaning |\n"), ref.stdout)
        XCTAssertTrue(ref.stdout.contains("| `seeds` | integer 1…100 | `1` |"), ref.stdout)
    }

    func testRunThenEvaluateTheRunDirectory() throws {
        let fx = try RunFixture()
        let dir = fx.root + "/run"
        vigil(["run", try fx.config(), "--in-process", "--models", "iforest,pca", "--out", dir], expect: 0)
        XCTAssertEqual(RunLayout(root: dir).completeMachines(), fx.machines)
        let before = fx.file(dir, "machine-1-2/metrics.json")
        let ev = try runShell("exec \"$VIGIL\" evaluate \(sq(dir))", cwd: fx.root)
        XCTAssertEqual(ev.status, 0, ev.stderr)
        XCTAssertTrue(ev.stdout.contains("machine-1-1: metrics.json unchanged"), ev.stdout)
        XCTAssertTrue(ev.stdout.contains("wrote \(dir)/report.html"), ev.stdout)
        XCTAssertEqual(fx.file(dir, "machine-1-2/metrics.json"), before)
    }

    func testSweepStatusAndCollect() throws {
        let fx = try RunFixture()
        let base = try fx.config()
        let sweep = fx.root + "/s.yaml"
        try "base: \((base as NSString).lastPathComponent)\nmodels: [iforest]\nmachines: [machine-1-1]\ngrid: {iforest.trees: [5, 10]}\n"
            .write(toFile: sweep, atomically: true, encoding: .utf8)
        let dir = fx.root + "/sw"
        vigil(["sweep", sweep, "--in-process", "--out", dir], expect: 0)
        let status = try runShell("exec \"$VIGIL\" sweep status \(sq(dir))", cwd: fx.root)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertEqual(status.stdout, "trials: 2 done, 0 failed, 0 running, 0 pending (of 2)\n")
        let collect = try runShell("exec \"$VIGIL\" sweep collect \(sq(dir))", cwd: fx.root)
        XCTAssertEqual(collect.status, 0, collect.stderr)
        XCTAssertTrue(collect.stdout.contains("iforest: selected by synthetic_vus_pr on validation: iforest.trees="), collect.stdout)
        XCTAssertTrue(collect.stdout.contains("wrote \(dir)/leaderboard.csv"), collect.stdout)
    }

    func testDataDownloadPrepareAndInfoFromAMirror() throws {
        let fx = try RunFixture()
        // a manifest for the fixture's two machines makes fx.root/smd a mirror
        var lines: [String] = []
        for m in fx.machines {
            for kind in ["train", "test", "test_label", "interpretation_label"] {
                let path = "\(fx.root)/smd/\(kind)/\(m).txt"
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let hex = try XCTUnwrap(runShell("sha256sum \(sq(path)) | cut -d' ' -f1", cwd: fx.root).stdout.split(separator: "\n").first)
                lines.append("\(hex)  \(data.count)  \(kind)/\(m).txt")
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: fx.root + "/MANIFEST.sha256", atomically: true, encoding: .utf8)
        let dest = fx.root + "/installed"
        vigil(["data", "download", "smd", "--machines", fx.machines.joined(separator: ","), "--mirror", fx.root + "/smd",
               "--manifest", fx.root + "/MANIFEST.sha256", "--dest", dest], expect: 0)
        for m in fx.machines { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dest)/train/\(m).txt")) }
        vigil(["data", "prepare", "smd", "--machines", "all", "--root", dest], expect: 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dest)/processed/machine-1-1.h5"))
        let info = try runShell("exec \"$VIGIL\" data info --root \(sq(dest))", cwd: fx.root)
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("machine-1-1") && info.stdout.contains("machine-1-2"), info.stdout)
    }

    func testTrainThenPot() throws {
        let dir = try CLITempDir()
        let train = try dir.write("t.csv", csvMatrix(rows: 80, cols: 3))
        vigil(["train", "--train", train, "--epochs", "1", "--threads", "1", "--out", dir.sub("ck.h5"), "--test", train,
               "--test-scores", dir.sub("scores.txt")], expect: 0)
        XCTAssertEqual(dir.read("scores.txt")?.split(separator: "\n").count, 80)
        let pot = try runShell("exec \"$VIGIL\" pot --calibration scores.txt --level 0.9 --json", cwd: dir.path)
        XCTAssertEqual(pot.status, 0, pot.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(pot.stdout.utf8)) as? [String: Any])
        XCTAssertNotNil(json["threshold"] as? Double)
    }

    func testBenchSHA256OnAFile() throws {
        let dir = try CLITempDir()
        try dir.write("d/a.bin", [UInt8](repeating: 7, count: 100_000))
        let r = try runShell("exec \"$VIGIL\" bench sha256 --dir d", cwd: dir.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        XCTAssertEqual(json["files"] as? Int, 1)
        XCTAssertEqual(json["bytes"] as? Int, 100_000)
        let digest = try runShell("sha256sum d/a.bin | cut -d' ' -f1", cwd: dir.path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(json["last_sha256"] as? String, digest, "swift-crypto's digest equals sha256sum's")
    }

    func testBenchTensorOnlyRunsTheNamedMeasurements() throws {
        let dir = try CLITempDir()
        let r = try runShell("exec \"$VIGIL\" bench tensor --only attention_cross --repeats 1 --threads 1 --json", cwd: dir.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        let cross = try XCTUnwrap(json["attention_cross_fwd_bwd_64x1x10x38"] as? [String: Any], r.stdout)
        XCTAssertEqual(cross["path"] as? String, "floatHD2Training", "the kernel training selects")
        XCTAssertEqual(cross["threads"] as? Int, 1)
        XCTAssertGreaterThan(cross["median_seconds"] as? Double ?? 0, 0)
        XCTAssertNil(json["peak_sgemm_1024"], "measurements --only excludes are not run")
        let none = try runShell("exec \"$VIGIL\" bench tensor --only nothing_like_this --repeats 1", cwd: dir.path)
        XCTAssertEqual(none.status, 64, none.stderr)
        XCTAssertTrue(none.stderr.contains("no measurement key starts with it"), none.stderr)
    }
}
