import Foundation
import XCTest
import VigilCLI
import VigilData
import VigilHDF5
import VigilIO

/// One test per case of issue 9, run in-process through `VigilCLI.run` (the signal-free cases); exit status 64 is a
/// usage error, 1 a runtime error, and neither may be a trap.
final class IssueCaseTests: XCTestCase {
    var dir: CLITempDir!
    var train: String { dir.sub("t.csv") }

    override func setUpWithError() throws {
        dir = try CLITempDir()
        try dir.write("t.csv", csvMatrix(rows: 60, cols: 3))
    }

    /// A trained 3-feature checkpoint (1 epoch, 1 thread).
    func checkpoint(_ name: String = "ck.h5") -> String {
        vigil(["train", "--train", train, "--epochs", "1", "--threads", "1", "--out", dir.sub(name)], expect: 0)
        return dir.sub(name)
    }

    // MARK: crashes

    func testLearningRateNegativeOrNaNIsAUsageError() {
        for lr in ["-1", "nan", "0", "inf", "11"] {
            let m = vigil(["train", "--train", train, "--lr", lr, "--out", dir.sub("a.h5")], expect: 64)
            XCTAssertTrue(m.contains("The value '\(lr)' is invalid for '--lr <lr>'") && m.contains("expected a finite learning rate > 0"), m)
        }
        vigil(["train", "--train", train, "--lr=-1", "--out", dir.sub("a.h5")], expect: 64)
        let m = vigil(["run", "--set", "data.dir=\(dir.path)", "--set", "tranad.lr=nan"], expect: 64)
        XCTAssertTrue(m.contains("tranad.lr: expected number in (0.0, 10.0], got nan (not finite)"), m)
        XCTAssertFalse(dir.exists("a.h5"))
    }

    func testWindowAndBatchAreCheckedAgainstLimitsAndMemory() {
        let m = vigil(["train", "--train", train, "--window", "5000", "--out", dir.sub("a.h5")], expect: 64)
        XCTAssertTrue(m.contains("TranAD would need about") && m.contains("lower --window or --batch"), m)
        for (opt, v) in [("--window", "9223372036854775807"), ("--batch", "9223372036854775807"), ("--window", "0"), ("--batch", "-5")] {
            let m = vigil(["train", "--train", train, opt, v, "--out", dir.sub("a.h5")], expect: 64)
            XCTAssertTrue(m.contains("is out of range; expected 1…"), m)
        }
        // A window longer than the data is defined (row-0 padding) and trains when it fits in memory.
        let short = try? dir.write("short.csv", csvMatrix(rows: 5, cols: 2))
        vigil(["train", "--train", short ?? "", "--window", "8", "--epochs", "1", "--threads", "1", "--out", dir.sub("w.h5")], expect: 0)
        XCTAssertFalse(dir.exists("a.h5"))
    }

    func testHugeNpyHeaderShapeIsRefusedByEveryReader() throws {
        let huge = try dir.write("data/train.npy", npyFile(shape: "(4611686018427387904, 4)", payload: [UInt8](repeating: 0, count: 1)))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: huge)).count, 129)
        try dir.write("data/test.npy", npyFile(shape: "(4611686018427387904, 4)", payload: [0]))
        try dir.write("data/labels.npy", npyFile(shape: "(4611686018427387904,)", payload: [0]))
        let expected = "needs more data than any file can hold but the file holds 1 bytes; the file is damaged or not a complete .npy file"
        XCTAssertTrue(vigil(["train", "--train", huge, "--out", dir.sub("a.h5")], expect: 1).contains(expected))
        let ck = checkpoint()
        XCTAssertTrue(vigil(["score", "--checkpoint", ck, "--input", huge, "--out", dir.sub("s.txt")], expect: 1).contains(expected))
        let e = vigil(["run", "--in-process", "--set", "data.dir=\(dir.sub("data"))", "--out", dir.sub("run")], expect: 1)
        XCTAssertTrue(e.contains(expected), e)
        XCTAssertTrue(vigil(["data", "info", "--dir", dir.sub("data")], expect: 1).contains(expected))
        XCTAssertFalse(dir.exists("run/data"), "nothing of the dataset was published")
    }

    func testZeroColumnNpyIsRefused() throws {
        let z = try dir.write("z.npy", npyFile(shape: "(300, 0)", payload: []))
        let m = vigil(["train", "--train", z, "--out", dir.sub("a.h5")], expect: 1)
        XCTAssertEqual(m, "Error: \(z): shape (300, 0) has no columns; give at least one column")
    }

    func testDamagedCheckpointNamesTheDataset() throws {
        let ck = checkpoint()
        // Flip one bit of one stored value of a parameter: before, this loaded silently and changed the scores.
        let name = "/transformer_encoder.layers.0.linear1.bias"
        let v = try HDF5File.openSealed(ck).read(Float.self, from: name).values
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ck)))
        let needle = v.flatMap { x in withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) } }
        let at = try XCTUnwrap((0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        bytes[at + 5] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: ck))
        let m = vigil(["score", "--checkpoint", ck, "--input", train, "--out", dir.sub("s.txt")], expect: 1)
        XCTAssertTrue(m.hasPrefix("Error: \(ck): /transformer_encoder.layers.0.linear1.bias is damaged (sha256 "), m)
        XCTAssertTrue(m.contains("restore it from a copy or write it again"), m)
        XCTAssertFalse(dir.exists("s.txt"))
    }

    // MARK: accepted silently before

    func testNonFiniteScoresNameTheRow() throws {
        let ck = checkpoint()
        var rows = csvMatrix(rows: 10, cols: 3).split(separator: "\n").map(String.init)
        rows[6] = "1e20,1e20,1e20"
        let big = try dir.write("big.csv", rows.joined(separator: "\n") + "\n")
        let expected = "Error: TranAD: the score of row 7 (column 1) is"
        XCTAssertTrue(vigil(["score", "--checkpoint", ck, "--input", big, "--out", dir.sub("s.txt")], expect: 1).hasPrefix(expected))
        XCTAssertTrue(vigil(["train", "--train", train, "--test", big, "--epochs", "1", "--threads", "1", "--out", dir.sub("b.h5")], expect: 1)
            .hasPrefix(expected))
        XCTAssertFalse(dir.exists("s.txt"))
        XCTAssertFalse(dir.exists("b.h5.test-scores.txt"))
    }

    func testOutputEqualToAnInputIsRefusedBeforeWork() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: train))
        var m = vigil(["train", "--train", train, "--out", train], expect: 64)
        XCTAssertTrue(m.hasPrefix("Error: --out \(train) is the same file as --train \(train); Vigil never overwrites what it reads"), m)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: train)), before)
        let ck = checkpoint()
        m = vigil(["score", "--checkpoint", ck, "--input", train, "--out", ck], expect: 64)
        XCTAssertTrue(m.contains("--out \(ck) is the same file as --checkpoint \(ck)"), m)
        m = vigil(["score", "--checkpoint", ck, "--input", train, "--out", dir.sub("s.txt"), "--per-dimension", dir.sub("s.txt")], expect: 64)
        XCTAssertTrue(m.contains("--per-dimension \(dir.sub("s.txt")) is the same file as --out"), m)
        m = vigil(["train", "--train", train, "--test", train, "--test-scores", train, "--out", dir.sub("n.h5")], expect: 64)
        XCTAssertTrue(m.contains("--test-scores \(train) is the same file as --train"), m)
        // Through a symbolic link and a relative spelling too.
        XCTAssertEqual(symlink(train, dir.sub("alias.csv")), 0)
        vigil(["train", "--train", train, "--out", dir.sub("alias.csv")], expect: 64)
        XCTAssertFalse(dir.exists("n.h5"))
        XCTAssertFalse(dir.exists("s.txt"))
    }

    func testSymlinkFifoAndDeviceOutputs() throws {
        let ck = checkpoint()
        XCTAssertEqual(mkfifo(dir.sub("fifo"), 0o644), 0)
        let m = vigil(["score", "--checkpoint", ck, "--input", train, "--out", dir.sub("fifo")], expect: 64)
        XCTAssertEqual(m.components(separatedBy: "\n").first, "Error: \(dir.sub("fifo")) is a FIFO (named pipe), not a regular file; Vigil only writes regular files (it never replaces a FIFO (named pipe)): give a file path")
        XCTAssertEqual(try Paths.kind(of: dir.sub("fifo")), .fifo)
        vigil(["score", "--checkpoint", ck, "--input", train, "--out", "/dev/full"], expect: 64)
        vigil(["train", "--train", train, "--out", "/dev/null"], expect: 64)
        var st = stat()
        XCTAssertEqual(stat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "the device node is still a device")
        // A symbolic link is written through: the target is replaced, the link stays.
        try dir.write("real/scores.txt", "old\n")
        XCTAssertEqual(symlink(dir.sub("real/scores.txt"), dir.sub("link.txt")), 0)
        try dir.write("real/.scores.txt.\(TemporaryName.host).\(Int32.max - 1).c3.part", "a killed write")   // removed: its writer is dead
        vigil(["score", "--checkpoint", ck, "--input", train, "--out", dir.sub("link.txt")], expect: 0)
        XCTAssertEqual(try Paths.kind(of: dir.sub("link.txt")), .symlink)
        XCTAssertEqual(dir.read("real/scores.txt")?.split(separator: "\n").count, 60)
        XCTAssertEqual(dir.names("real"), ["scores.txt"], "no temporary file is left")
    }

    func testPotChecks() throws {
        let cal = try dir.write("cal.txt", (0..<2000).map { "\(Double(($0 * 7919) % 2000) / 100)" }.joined(separator: "\n"))
        var m = vigil(["pot", "--calibration", cal, "--q", "0.5", "--level", "0.9"], expect: 1)
        XCTAssertTrue(m.hasPrefix("Error: POT: q = 0.5 gives the extreme quantile z_q = ") && m.contains("not above the initial threshold t = "), m)
        for s in ["0", "nan", "inf", "-1"] {
            m = vigil(["pot", "--calibration", cal, "--scale", s], expect: 64)
            XCTAssertTrue(m.contains("The value '\(s)' is invalid for '--scale <scale>'"), m)
        }
        let labels = try dir.write("lab.txt", (0..<2000).map { $0 == 1234 ? "2" : "0" }.joined(separator: "\n"))
        m = vigil(["pot", "--calibration", cal, "--stream", cal, "--labels", labels, "--level", "0.9"], expect: 1)
        XCTAssertEqual(m, "Error: \(labels) line 1235: label 2.0 is not 0 or 1; expected one 0/1 label per line")
        m = vigil(["pot", "--calibration", cal, "--level", "-1"], expect: 64)
        XCTAssertTrue(m.hasPrefix("Error: The value '-1' is invalid for '--level <level>': -1.0 is out of range; expected a level 0 < level < 1"), m)
    }

    func testRunChecksPOTSettingsBeforeTraining() throws {
        try dir.write("data/train.csv", csvMatrix(rows: 40, cols: 3))
        try dir.write("data/test.csv", csvMatrix(rows: 40, cols: 3, seed: 2))
        try dir.write("data/labels.csv", (0..<40).map { $0 == 5 ? "1" : "0" }.joined(separator: "\n") + "\n")
        for (key, v, why) in [("calibration.pot.level", "2", "expected number in (0.0, 1.0), got 2 (out of range)"),
                              ("calibration.pot.q", "0", "expected number in (0.0, 1.0), got 0 (out of range)"),
                              ("calibration.pot.scale", "nan", "expected number in (0.0, 1000000.0], got nan (not finite)"),
                              ("calibration.percentile", "101", "expected number in [0.0, 100.0], got 101 (out of range)")] {
            let m = vigil(["run", "--set", "data.dir=\(dir.sub("data"))", "--out", dir.sub("run"), "--set", "\(key)=\(v)"], expect: 64)
            XCTAssertTrue(m.hasPrefix("Error: config: --set \(key)=\(v): \(key): \(why)\n"), m)
        }
        XCTAssertFalse(dir.exists("run"), "nothing was written")
    }

    func testModelsListedTwiceAreRefused() {
        let m = vigil(["run", "--set", "data.dir=\(dir.path)", "--models", "tranad,tranad"], expect: 64)
        XCTAssertTrue(m.contains("models: expected non-empty list of one of: tranad, iforest, pca, knn, l2_norm, range_deviation, random, untrained_tranad, ensemble (no repeats), got [tranad, tranad] (tranad is listed twice (item 2))"), m)
        vigil(["run", "--set", "data.dir=\(dir.path)", "--models", "tranad,,iforest"], expect: 64)
    }

    func testDataInfoOnMissingRootFails() {
        let m = vigil(["data", "info", "--root", "/nonexistent"], expect: 1)
        XCTAssertEqual(m, "Error: SMD root /nonexistent does not exist or is not a directory; give --root DIR or install data with `vigil data download smd --mirror DIR`")
    }

    func testNoRawFoundationErrors() {
        // Missing inputs and missing output directories are reported with the system's reason and advice.
        var m = vigil(["pot", "--calibration", dir.sub("missing.txt")], expect: 1)
        XCTAssertEqual(m, "Error: \(dir.sub("missing.txt")): cannot read (No such file or directory; no such file or directory: check the path)")
        m = vigil(["train", "--train", train, "--out", dir.sub("no/such/dir/a.h5")], expect: 64)
        XCTAssertTrue(m.hasPrefix("Error: directory \(dir.sub("no/such/dir")) does not exist: create it first"), m)
    }

    // MARK: output directories

    /// A run publishes each dataset whole, refuses a directory that holds other files or another config's results,
    /// and removes dead writers' staging directories and `.part` files beside and inside it.
    func testRunOutputIsStagedAndPublishedWhole() throws {
        try dir.write("data/train.csv", csvMatrix(rows: 60, cols: 3))
        try dir.write("data/test.csv", csvMatrix(rows: 60, cols: 3, seed: 2))
        try dir.write("data/labels.csv", (0..<60).map { (20..<25).contains($0) ? "1" : "0" }.joined(separator: "\n") + "\n")
        let host = TemporaryName.host, dead = Int32.max - 1
        try dir.write("out/.run.\(host).\(dead).a1.staging/report.md", "killed run")
        try dir.write("out/.x.txt.\(host).\(dead).b2.part", "killed write")
        let args = ["run", "--in-process", "--set", "data.dir=\(dir.sub("data"))", "--models", "iforest", "--set", "iforest.trees=10",
                    "--set", "threads=1", "--set", "calibration.pot.level=0.9", "--set", "evaluation.sanity_baselines=false"]
        vigil(args + ["--out", dir.sub("out/run")], expect: 0)
        XCTAssertEqual(dir.names("out"), ["run"], "stale staging and .part of dead writers were removed")
        XCTAssertEqual(dir.names("out/run"), ["config.yaml", "data", "report.html", "report.md", "run.json", "summary.json"])
        XCTAssertEqual(dir.names("out/run/data"), ["export", "labels.h5", "loss.csv", "metrics.json", "provenance.json", "report.md", "scores"])
        // the same command again: the complete dataset is skipped, nothing changes
        let metrics = dir.read("out/run/data/metrics.json")
        vigil(args + ["--out", dir.sub("out/run")], expect: 0)
        XCTAssertEqual(dir.read("out/run/data/metrics.json"), metrics)
        // another config is refused in that directory, before any work
        let other = vigil(args + ["--set", "iforest.trees=11", "--out", dir.sub("out/run")], expect: 64)
        XCTAssertTrue(other.contains("holds results of another config"), other)
        // A directory with other files is never taken over, and this is known before any work.
        try dir.write("mine/notes.txt", "keep")
        let m = vigil(args + ["--out", dir.sub("mine")], expect: 1)
        XCTAssertTrue(m.contains("exists but is not a Vigil run directory"), m)
        XCTAssertEqual(dir.names("mine"), ["notes.txt"])
        XCTAssertEqual(dir.names(), ["data", "mine", "out", "t.csv"], "no staging directory is left")
        // An output directory that is or holds an input is refused.
        vigil(args + ["--out", dir.sub("data")], expect: 64)
        vigil(args + ["--out", dir.path], expect: 64)
    }
}
