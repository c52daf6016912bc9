import Foundation
import XCTest
import VigilCLI
import VigilData
import VigilExport
import VigilIO
import VigilResults

/// Two small runs (`vigil run --set data.dir=…`, 1 epoch) whose exports the serving commands are tested on:
/// `inclusive`: TranAD inclusive alignment, Float32, POT export (level 0.9); `reference`: reference alignment,
/// Float64, the 99th percentile of the training scores (so the test rows have anomalous segments).
/// Built once for all the serving tests (the runs take a few seconds in a debug build).
enum ServingFixture {
    struct Runs {
        let root: String
        var data: String { root + "/data" }
        func machine(_ run: String) -> String { root + "/\(run)/data" }
        func bundle(_ run: String, _ model: String = "tranad") -> String { machine(run) + "/export/\(model)" }
    }

    nonisolated(unsafe) private static var built: Runs?
    nonisolated(unsafe) private static var failure: String?

    static func runs() throws -> Runs {
        if let r = built { return r }
        if let f = failure { throw XCTSkip("serving fixture failed earlier: \(f)") }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-serving-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        var test = csvMatrix(rows: 60, cols: 3, seed: 2).split(separator: "\n").map(String.init)
        for r in 30..<36 { test[r] = "2.5,0.4,3.1" }   // an excursion far outside the training range
        try Data(csvMatrix(rows: 80, cols: 3).utf8).write(to: URL(fileURLWithPath: root + "/data/train.csv"))
        try Data((test.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: root + "/data/test.csv"))
        try Data(((0..<60).map { (30..<36).contains($0) ? "1" : "0" }.joined(separator: "\n") + "\n").utf8)
            .write(to: URL(fileURLWithPath: root + "/data/labels.csv"))
        let common = ["run", "--in-process", "--set", "data.dir=\(root)/data", "--models", "tranad,iforest", "--set", "tranad.epochs=1",
                      "--set", "threads=1", "--set", "iforest.trees=10", "--set", "tranad.window=4", "--set", "evaluation.sanity_baselines=false"]
        for (name, extra) in [("inclusive", ["--set", "calibration.pot.level=0.9"]),
                              ("reference", ["--set", "tranad.alignment=reference", "--set", "tranad.dtype=float64",
                                             "--set", "calibration.export=percentile_train"])] {
            let o = VigilCLI.run(common + extra + ["--out", root + "/" + name])
            guard o.exitCode == 0 else {
                failure = o.message ?? "status \(o.exitCode)"
                throw XCTSkip("serving fixture run failed: \(failure!)")
            }
        }
        built = Runs(root: root)
        return built!
    }

    /// Removes the runs (after the last serving test).
    static func remove() {
        if let r = built { try? FileManager.default.removeItem(atPath: r.root) }
        built = nil
    }
}

/// `vigil export` and `vigil score --model`: publication, verification, the JSON on standard output, and every bad
/// input ending with an error on standard error and nothing on standard output.
final class ServingCommandTests: XCTestCase {
    var dir: CLITempDir!
    override func setUpWithError() throws { dir = try CLITempDir() }
    override class func tearDown() { ServingFixture.remove() }

    /// A copy of a run's machine directory to damage.
    func copyMachine(_ run: String) throws -> String {
        let fx = try ServingFixture.runs()
        let p = dir.sub("copy-\(run)")
        try FileManager.default.copyItem(atPath: fx.machine(run), toPath: p)
        return p
    }

    func testExportPublishesAVerifiedCopyAndReplacesIt() throws {
        let fx = try ServingFixture.runs()
        let out = dir.sub("models/tranad/data")
        let m = try VigilCLI.runCapturingOutput(["export", fx.machine("inclusive"), "--out", out])
        XCTAssertEqual(m.outcome.exitCode, 0, m.outcome.message ?? "")
        XCTAssertEqual(dir.names("models/tranad/data"),
                       ["checksums.sha256", "eval_results.json", "model.ckpt", "model.h5", "norm_params.npy", "scorer_state.json"])
        for f in dir.names("models/tranad/data") {
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + f), FileManager.default.contents(atPath: fx.bundle("inclusive") + "/" + f), f)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: out + "/eval_results.json"),
                       FileManager.default.contents(atPath: fx.machine("inclusive") + "/metrics.json"), "eval_results.json is the machine's metrics.json")
        XCTAssertNoThrow(try ServingBundle.load(out, workers: 1, verifyCheckpoint: true))
        // again, from the other run: the bundle is replaced whole
        vigil(["export", fx.machine("reference"), "--out", out], expect: 0)
        XCTAssertEqual(FileManager.default.contents(atPath: out + "/model.h5"), FileManager.default.contents(atPath: fx.bundle("reference") + "/model.h5"))
        XCTAssertEqual(dir.names("models/tranad"), ["data"], "no staging directory left")
        // the forest: model.h5 without model.ckpt
        vigil(["export", fx.machine("inclusive"), "--model", "iforest", "--out", dir.sub("models/iforest/data")], expect: 0)
        XCTAssertEqual(dir.names("models/iforest/data"), ["checksums.sha256", "eval_results.json", "model.h5", "norm_params.npy", "scorer_state.json"])
    }

    func testExportRefusesDamagedIncompleteOrForeignSources() throws {
        let out = dir.sub("models/out")
        func refused(_ machine: String, model: String = "tranad", _ expected: String, line: UInt = #line) {
            let m = vigil(["export", machine, "--model", model, "--out", out], expect: 1, line: line)
            XCTAssertTrue(m.contains(expected), m, line: line)
            XCTAssertFalse(dir.exists("models/out"), "nothing published", line: line)
            XCTAssertEqual(dir.names("models").filter { $0.hasPrefix(".") }, [], "no staging directory left", line: line)
        }
        for name in ["model.h5", "model.ckpt", "scorer_state.json", "norm_params.npy", "eval_results.json"] {
            let m = try copyMachine("inclusive")
            let p = m + "/export/tranad/" + name
            var b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: p)))
            b[b.count / 3] ^= 0x10
            try Data(b).write(to: URL(fileURLWithPath: p))
            refused(m, "Error: \(p) is damaged: its sha256")
            try FileManager.default.removeItem(atPath: m)
        }
        let m = try copyMachine("inclusive")
        try FileManager.default.removeItem(atPath: m + "/export/tranad/norm_params.npy")
        refused(m, "has no norm_params.npy: the export is incomplete")
        refused(m, model: "knn", "has no export of model 'knn'; exported models: iforest, tranad (choose one with --model)")
        try FileManager.default.removeItem(atPath: m + "/metrics.json")
        refused(m, "has no metrics.json: it is not a complete machine of a `vigil run`")
        refused(dir.sub("absent"), "does not exist: give RUN-DIR/MACHINE")
        // an export of the earlier layout (checkpoint.h5, vigil-scorer-state)
        let old = try copyMachine("reference")
        try FileManager.default.moveItem(atPath: old + "/export/tranad/model.h5", toPath: old + "/export/tranad/checkpoint.h5")
        refused(old, "written by an earlier Vigil (checkpoint.h5")
        vigil(["export", old, "--model", "tranadd", "--out", out], expect: 64)
    }

    func testExportOutputIsGuarded() throws {
        let fx = try ServingFixture.runs()
        let src = fx.machine("inclusive")
        var m = vigil(["export", src, "--out", fx.bundle("inclusive")], expect: 64)
        XCTAssertTrue(m.contains("--out \(fx.bundle("inclusive")) is or contains the exported bundle"), m)
        m = vigil(["export", src, "--out", fx.root + "/inclusive"], expect: 64)
        XCTAssertTrue(m.contains("is or contains RUN-DIR/MACHINE"), m)
        m = vigil(["export", src, "--out", src + "/export/copy"], expect: 64)
        XCTAssertTrue(m.contains("lies inside the run's machine directory"), m)
        try dir.write("mine/notes.txt", "keep")
        m = vigil(["export", src, "--out", dir.sub("mine")], expect: 1)
        XCTAssertTrue(m.contains("exists and it is not a Vigil export"), m)
        XCTAssertEqual(dir.read("mine/notes.txt"), "keep")
    }

    func testScorePrintsTheContractAndReproducesTheRun() throws {
        let fx = try ServingFixture.runs()
        for run in ["inclusive", "reference"] {
            let r = try runShell("exec \"$VIGIL\" score --model \(sq(fx.bundle(run))) --input \(sq(fx.data + "/test.csv")) --include-per-timestep "
                                 + "--store-id 3 --device-id cam-1", cwd: dir.path)
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(json["n_timesteps"] as? Int, 60)
            XCTAssertEqual(json["n_features"] as? Int, 3)
            XCTAssertEqual(json["store_id"] as? Int, 3)
            XCTAssertEqual(json["device_id"] as? String, "cam-1")
            XCTAssertEqual(json["scoring_mode"] as? String, "phase2_only")
            // the scores are exactly the run's stored test scores (exact decimal text, read with JSONDecoder)
            struct Resp: Decodable { struct T: Decodable { var score: Double }; var per_timestep: [T] }
            let scores = try JSONDecoder().decode(Resp.self, from: Data(r.stdout.utf8)).per_timestep.map(\.score)
            XCTAssertEqual(scores, try ScoreFile.read(fx.machine(run) + "/scores/tranad.h5").test.aggregate, run)
        }
        // the percentile export flags the excursion: a segment over rows 30…35 (with the window's reach)
        let (o, out) = VigilCLI.runCapturingOutput(["score", "--model", fx.bundle("reference"), "--input", fx.data + "/test.csv"])
        XCTAssertEqual(o.exitCode, 0, o.message ?? "")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: out) as? [String: Any])
        let segments = try XCTUnwrap(json["anomaly_segments"] as? [[String: Any]])
        XCTAssertTrue(segments.contains { ($0["segment_start"] as? Int ?? 99) <= 31 && ($0["segment_end"] as? Int ?? 0) >= 34 }, "\(segments)")
        XCTAssertTrue(json["per_timestep"] is NSNull)
    }

    func testOldCheckpointFormScoresAnExportedModelH5Alike() throws {
        let fx = try ServingFixture.runs()
        vigil(["score", "--checkpoint", fx.bundle("inclusive") + "/model.h5", "--input", fx.data + "/test.csv", "--out", dir.sub("s.txt")], expect: 0)
        let perRow = try XCTUnwrap(dir.read("s.txt")).split(separator: "\n").map { Double($0)! }
        XCTAssertEqual(perRow, try ScoreFile.read(fx.machine("inclusive") + "/scores/tranad.h5").test.aggregate)
    }

    func testBadInputsAndDamagedExportsPrintNothingOnStdout() throws {
        let fx = try ServingFixture.runs()
        let b = fx.bundle("inclusive")
        try dir.write("short.csv", csvMatrix(rows: 3, cols: 3))
        try dir.write("wide.csv", csvMatrix(rows: 20, cols: 4))
        try dir.write("nan.csv", "0.1,0.2,0.3\n0.1,nan,0.3\n0.1,0.2,0.3\n0.1,0.2,0.3\n0.1,0.2,0.3\n")
        var values = (0..<15).map { Double($0) / 15 }
        values[7] = .infinity
        try dir.write("inf.npy", NpyWriter.float64Bytes(values, shape: [5, 3]))
        try dir.write("null.json", "{\"data\": [[0.1, 0.2, 0.3], [0.1, null, 0.3], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]}")
        try dir.write("huge.json", "{\"data\": [[0.1, 0.2, 0.3], [0.1, 1e999, 0.3], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]}")
        try dir.write("ragged.json", "{\"data\": [[0.1, 0.2, 0.3], [0.1, 0.3], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]}")
        try dir.write("good.csv", csvMatrix(rows: 20, cols: 3))
        func damaged(_ name: String, _ body: (String) throws -> Void) throws -> String {
            let p = dir.sub("bundle-\(name)")
            if !FileManager.default.fileExists(atPath: p) { try FileManager.default.copyItem(atPath: b, toPath: p) }
            try body(p)
            return p
        }
        func flip(_ path: String) throws {
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        let noModel = try damaged("no-model") { try FileManager.default.removeItem(atPath: $0 + "/model.h5") }
        let badModel = try damaged("bad-model") { try flip($0 + "/model.h5") }
        let badCkpt = try damaged("bad-ckpt") { try flip($0 + "/model.ckpt") }
        let noSums = try damaged("no-sums") { try FileManager.default.removeItem(atPath: $0 + "/checksums.sha256") }
        let sealed = try damaged("sealed") { p in   // manifest rewritten: model.h5's own seal and checksums still catch it
            try flip(p + "/model.h5")
            let m = try ChecksumManifest.read(directory: p)
            var d = m.digests
            d["model.h5"] = try SHA256Hasher.hexOfFile(p + "/model.h5").hex
            try Data(ChecksumManifest(digests: d).text.utf8).write(to: URL(fileURLWithPath: p + "/checksums.sha256"))
        }
        let cases: [(String, String, String)] = [
            (b, "short.csv", "has 3 rows but the model's window is 4 rows: send at least 4 consecutive rows"),
            (b, "wide.csv", "has 4 features per row but the model was trained on 3"),
            (b, "nan.csv", "nan.csv"),
            (b, "inf.npy", "inf.npy line 3 column 2: non-finite value"),
            (b, "null.json", "data[1][1] is null, expected a number"),
            (b, "huge.json", "huge.json"),
            (b, "ragged.json", "data[1] has 2 values but data[0] has 3"),
            (b, "absent.csv", "cannot read the rows to score: no such file"),
            (noModel, "good.csv", "has no model.h5: the export is incomplete"),
            (badModel, "good.csv", "model.h5 is damaged: its sha256"),
            (badCkpt, "good.csv", "model.ckpt is damaged: its sha256"),
            (noSums, "good.csv", "has no checksums.sha256: the export is incomplete"),
            (sealed, "good.csv", "model.h5"),
            (dir.sub("nowhere"), "good.csv", "does not exist: give the directory of an exported model"),
        ]
        for (bundle, input, expected) in cases {
            let r = try runShell("exec \"$VIGIL\" score --model \(sq(bundle)) --input \(sq(dir.sub(input)))", cwd: dir.path)
            XCTAssertEqual(r.status, 1, "\(input) with \(bundle): \(r.stderr)")
            XCTAssertFalse(r.signaled)
            XCTAssertEqual(r.stdout, "", "nothing on stdout for \(input) with \(bundle)")
            XCTAssertTrue(r.stderr.hasPrefix("Error: ") && r.stderr.contains(expected), "\(input): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain"), r.stderr)
        }
        // usage errors: status 64, nothing on stdout
        for args in [["score", "--model", b, "--input", dir.sub("good.csv"), "--out", dir.sub("x.txt")],
                     ["score", "--input", dir.sub("good.csv")],
                     ["score", "--model", b, "--checkpoint", b + "/model.h5", "--input", dir.sub("good.csv")],
                     ["score", "--model", b, "--input", dir.sub("good.csv"), "--scoring-mode", "max"],
                     ["score", "--checkpoint", b + "/model.h5", "--input", dir.sub("good.csv"), "--out", dir.sub("x.txt"), "--store-id", "1"]] {
            let r = try runShell("exec \"$VIGIL\" " + args.map(sq).joined(separator: " "), cwd: dir.path)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
        }
        XCTAssertFalse(dir.exists("x.txt"))
    }

    func testAFullDiskOnStandardOutputIsACleanError() throws {
        let fx = try ServingFixture.runs()
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full on this system") }
        let r = try runShell("exec \"$VIGIL\" score --model \(sq(fx.bundle("inclusive"))) --input \(sq(fx.data + "/test.csv")) > /dev/full", cwd: dir.path)
        XCTAssertFalse(r.signaled)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("Error: writing standard output failed: No space left on device"), r.stderr)
    }

    // MARK: independent proofs (Python)

    /// The repository root (scripts/ lives there).
    var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Skips with the reason unless `python3 -c "import <modules>"` works.
    func requirePython(_ modules: String) throws {
        let r = try runShell("python3 -c 'import \(modules)' 2>&1", cwd: dir.path)
        if r.status != 0 { throw XCTSkip("python3 cannot import \(modules) (\(r.stdout.split(separator: "\n").last ?? "")); the check is skipped") }
    }

    func testCheckExportScriptAgreesWithVigilScore() throws {
        try requirePython("h5py, numpy")
        let fx = try ServingFixture.runs()
        for (run, model) in [("inclusive", "tranad"), ("reference", "tranad"), ("reference", "iforest")] {
            let r = try runShell("python3 \(sq(repository + "/scripts/check_export.py")) \(sq(fx.bundle(run, model))) \(sq(fx.data + "/test.csv")) --vigil \"$VIGIL\"",
                                 cwd: dir.path, timeout: 600)
            XCTAssertEqual(r.status, 0, "\(run)/\(model):\n\(r.stdout)\n\(r.stderr)")
            XCTAssertTrue(r.stdout.contains("PASS: \(model) export"), r.stdout)
            XCTAssertFalse(r.stdout.contains("FAIL"), r.stdout)
            print(r.stdout.split(separator: "\n").filter { $0.contains("per-timestep") || $0.hasPrefix("PASS") }.joined(separator: "\n"))
        }
        // the reference run flags the excursion, so segments and attribution were compared, not vacuous
        let r = try runShell("python3 \(sq(repository + "/scripts/check_export.py")) \(sq(fx.bundle("reference"))) \(sq(fx.data + "/test.csv")) --vigil \"$VIGIL\" --scoring-mode phase2_only",
                             cwd: dir.path, timeout: 600)
        XCTAssertTrue(r.stdout.range(of: #"\[phase2_only\] [1-9][0-9]* anomaly segments"#, options: .regularExpression) != nil, r.stdout)
    }

    func testTorchLoadsModelCkptIntoTheReferenceTranAD() throws {
        try requirePython("torch, numpy")
        let fx = try ServingFixture.runs()
        for run in ["inclusive", "reference"] {
            let r = try runShell("python3 \(sq(repository + "/scripts/check_torch_export.py")) \(sq(fx.bundle(run))) \(sq(fx.data + "/test.csv")) --vigil \"$VIGIL\"",
                                 cwd: dir.path, timeout: 600)
            XCTAssertEqual(r.status, 0, "\(run):\n\(r.stdout)\n\(r.stderr)")
            XCTAssertTrue(r.stdout.contains("PASS: model.ckpt"), r.stdout)
            XCTAssertTrue(r.stdout.contains("load_state_dict(strict=True) into the reference TranAD"), r.stdout)
            print(r.stdout)
        }
    }
}
