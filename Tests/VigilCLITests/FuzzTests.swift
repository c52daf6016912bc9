import Foundation
import XCTest
import VigilCLI
import VigilIO

/// A seeded generator of malformed inputs (CSV, .npy, HDF5 checkpoints, score and label files, JSON scoring requests,
/// damaged export bundles) and extreme option values, run through the built `vigil` binary: every run must end with
/// status 0, 1 or 64 — never a signal — and a failure must print an `Error:` line and no raw Foundation error; a failed
/// `vigil score --model` prints nothing on standard output. `scripts/fuzz --iterations N --seed S` runs a
/// longer campaign (environment VIGIL_FUZZ_ITERATIONS, VIGIL_FUZZ_SEED); CI runs 30 iterations of seed 1.
final class FuzzTests: XCTestCase {
    /// splitmix64.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }
        mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
    }

    // Extreme values per option kind (valid-but-expensive values are left out so a run stays short).
    static let counts = ["0", "-1", "-0", "1", "2", "nan", "1e3", "9223372036854775807", "-9223372036854775808", "", "abc", "100001"]
    static let windows = ["0", "-1", "1", "3", "10000", "10001", "9223372036854775807", "nan", "2.5"]
    static let batches = ["0", "-1", "1", "7", "1000001", "9223372036854775807", "1e9"]
    static let rates = ["-1", "nan", "inf", "-inf", "0", "-0", "1e-300", "10", "11", "1e308", "4.9e-324", "0x1p-3"]
    static let probabilities = ["-0.1", "1", "0.999", "nan", "0", "-0", "1e-320", "0.99999999999999999", "2", "inf"]
    static let scales = ["0", "nan", "inf", "-1", "1e7", "1", "1e-300", "-0"]
    static let threads = ["0", "-1", "1", "2", "1025", "nan", "99999999999999999999"]
    static let percentiles = ["-1", "101", "nan", "50", "0", "100", "inf"]

    func testMalformedInputsAndExtremeOptionsNeverTrap() throws {
        let env = ProcessInfo.processInfo.environment
        let iterations = env["VIGIL_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 30
        let seed = env["VIGIL_FUZZ_SEED"].flatMap { UInt64($0) } ?? 1
        _ = try vigilBinary()
        let dir = try CLITempDir()
        // Valid artefacts the generator damages.
        let csv = csvMatrix(rows: 12, cols: 3)
        try dir.write("good.csv", csv)
        let ck = VigilCLI.run(["train", "--train", dir.sub("good.csv"), "--epochs", "1", "--threads", "1", "--out", dir.sub("good.h5")])
        XCTAssertEqual(ck.exitCode, 0, ck.message ?? "")
        let checkpoint = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.sub("good.h5"))))
        // A valid export bundle (3 columns, window 4) that `score --model` cases copy and damage.
        try dir.write("run-data/train.csv", csvMatrix(rows: 40, cols: 3))
        try dir.write("run-data/test.csv", csvMatrix(rows: 20, cols: 3, seed: 2))
        try dir.write("run-data/labels.csv", String(repeating: "0\n", count: 19) + "1\n")
        let run = VigilCLI.run(["run", "--in-process", "--set", "data.dir=\(dir.sub("run-data"))", "--models", "tranad", "--set", "tranad.epochs=1",
                                "--set", "threads=1", "--set", "tranad.window=4", "--set", "calibration.pot.level=0.9",
                                "--set", "evaluation.sanity_baselines=false", "--out", dir.sub("run")])
        XCTAssertEqual(run.exitCode, 0, run.message ?? "")
        let bundle = dir.sub("run/run-data/export/tranad")
        var rng = Rng(state: seed)
        var statuses: [Int32: Int] = [:]
        for i in 0..<iterations {
            let work = dir.sub("case\(i)")
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: work) }
            let args = try makeCase(&rng, in: work, csv: csv, checkpoint: checkpoint, bundle: bundle)
            let script = "cd \(sq(work)) && exec \"$VIGIL\" " + args.map(sq).joined(separator: " ")
            let r = try runShell(script, cwd: work, timeout: 120)
            let shown = "case \(i) (seed \(seed)): vigil \(args.joined(separator: " "))\n\(r.stderr.suffix(800))"
            XCTAssertFalse(r.signaled, "signal \(r.status): " + shown)
            XCTAssertTrue([0, 1, 64].contains(r.status), "status \(r.status): " + shown)
            if r.status != 0 { XCTAssertTrue(r.stderr.contains("Error: "), "no Error: line: " + shown) }
            XCTAssertFalse((r.stderr + r.stdout).contains("NSCocoaErrorDomain"), shown)
            XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Program crashed"), shown)
            if args.first == "score", args.contains("--model"), r.status != 0 { XCTAssertEqual(r.stdout, "", "stdout of a failed score: " + shown) }
            statuses[r.status, default: 0] += 1
        }
        print("fuzz: \(iterations) runs, seed \(seed), exit statuses \(statuses.sorted { $0.key < $1.key })")
    }

    /// Writes the inputs of one case into `dir` and returns the vigil arguments.
    func makeCase(_ rng: inout Rng, in dir: String, csv: String, checkpoint: [UInt8], bundle: String) throws -> [String] {
        func put(_ name: String, _ bytes: [UInt8]) throws -> String {
            try Data(bytes).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(name)))
            return name
        }
        let matrix = rng.chance(0.5) ? "m.csv" : "m.npy"
        _ = try put(matrix, matrix.hasSuffix(".npy") ? malformedNpy(&rng) : malformedCSV(&rng, csv))
        let ck = try put("ck.h5", rng.chance(0.2) ? checkpoint : malformedHDF5(&rng, checkpoint))
        let scores = try put("scores.txt", malformedScores(&rng))
        let labels = try put("labels.txt", Array((0..<300).map { _ in rng.pick(["0", "1", "1", "0", "2", "-1", "0.5", "nan", ""]) }.joined(separator: "\n").utf8))
        func opt(_ name: String, _ values: [String]) -> [String] { rng.chance(0.2) ? [name, rng.pick(values)] : [] }
        var out = rng.chance(0.7) ? "out.h5" : rng.pick(["out.txt", matrix, ck, "/dev/null", "nodir/x", "."])
        if rng.chance(0.1) { mkfifo((dir as NSString).appendingPathComponent("fifo"), 0o644); out = "fifo" }
        switch rng.int(7) {
        case 5:
            let b = try damagedBundle(&rng, from: bundle, in: dir)
            let input = rng.chance(0.4) ? try put("req.json", malformedJSON(&rng, csv)) : rng.chance(0.8) ? matrix : "absent.csv"
            return ["score", "--model", rng.chance(0.05) ? "nodir" : b, "--input", input]
                + (rng.chance(0.5) ? ["--include-per-timestep"] : []) + (rng.chance(0.2) ? ["--no-attribution"] : [])
                + opt("--scoring-mode", ["phase2_only", "averaged", "both", "", "PHASE2_ONLY"])
                + opt("--store-id", ["1", "-1", "", "store-7", "9223372036854775808"]) + opt("--device-id", ["0", "cam", ""])
                + opt("--threads", Self.threads) + (rng.chance(0.05) ? ["--out", out] : [])
        case 0:
            return ["train", "--train", matrix, "--epochs", rng.chance(0.7) ? "1" : rng.pick(Self.counts), "--threads", "1", "--out", out]
                + opt("--window", Self.windows) + opt("--batch", Self.batches) + opt("--lr", Self.rates)
                + opt("--dropout", Self.probabilities) + (rng.chance(0.3) ? ["--normalize", "minmax"] : [])
                + (rng.chance(0.3) ? ["--test", rng.chance(0.5) ? matrix : "good-missing.csv"] : [])
        case 1:
            return ["score", "--checkpoint", ck, "--input", rng.chance(0.5) ? matrix : "../good.csv", "--out", out]
                + opt("--threads", Self.threads) + (rng.chance(0.3) ? ["--per-dimension", rng.pick(["pd.txt", out, ck])] : [])
        case 2:
            try FileManager.default.createDirectory(atPath: (dir as NSString).appendingPathComponent("data"), withIntermediateDirectories: true)
            for name in ["train", "test", "labels"] where rng.chance(0.9) {
                let npy = rng.chance(0.4)
                let bytes: [UInt8] = name == "labels" ? (npy ? malformedNpy(&rng) : Array((0..<12).map { _ in rng.pick(["0", "1", "2", "0"]) }.joined(separator: "\n").utf8))
                    : (npy ? malformedNpy(&rng) : malformedCSV(&rng, csv))
                _ = try put("data/\(name).\(npy ? "npy" : "csv")", bytes)
            }
            if rng.chance(0.5) { return ["data", "info", "--dir", "data"] }
            func set(_ key: String, _ values: [String]) -> [String] { rng.chance(0.2) ? ["--set", "\(key)=\(rng.pick(values))"] : [] }
            return ["run", "--in-process", "--set", "data.dir=data", "--models", rng.pick(["iforest", "iforest", "tranad,iforest", "iforest,iforest", "svm", "pca,knn"]),
                    "--set", "tranad.epochs=1", "--set", "iforest.trees=\(rng.pick(["3", "5", "0", "100001"]))", "--set", "threads=1",
                    "--set", "evaluation.sanity_baselines=\(rng.pick(["false", "false", "true", "maybe"]))",
                    "--out", rng.pick(["run", "run", "data", "."])]
                + set("calibration.pot.level", Self.probabilities) + set("calibration.pot.q", Self.probabilities)
                + set("calibration.pot.scale", Self.scales) + set("calibration.percentile", Self.percentiles)
                + set("tranad.window", Self.windows) + set("validation.fraction", Self.probabilities)
        case 3:
            return ["pot", "--calibration", scores] + (rng.chance(0.5) ? ["--stream", scores] : [])
                + (rng.chance(0.3) ? ["--labels", labels, "--stream", scores] : [])
                + opt("--level", Self.probabilities) + opt("--q", Self.probabilities) + opt("--scale", Self.scales)
                + opt("--depth", Self.counts) + opt("--max-attempts", Self.counts) + opt("--percentile", Self.percentiles)
                + (rng.chance(0.2) ? ["--dynamic"] : []) + (rng.chance(0.3) ? ["--json"] : [])
        case 4:
            return ["data", "info", "--root", rng.pick(["/nonexistent", ".", "ck.h5", ""])]
        default:
            return ["train", "--train", matrix, "--epochs", "1", "--threads", rng.pick(Self.threads), "--out", out]
                + opt("--window", Self.windows) + opt("--lr", Self.rates)
        }
    }

    /// A copy of the export bundle in `dir`, damaged one way or another (or intact): a flipped byte, a truncated or
    /// deleted file, a rewritten manifest over a damaged file, a scorer_state.json with a key removed.
    func damagedBundle(_ rng: inout Rng, from bundle: String, in dir: String) throws -> String {
        let b = (dir as NSString).appendingPathComponent("bundle")
        try FileManager.default.copyItem(atPath: bundle, toPath: b)
        let files = ["model.h5", "model.ckpt", "scorer_state.json", "norm_params.npy", "eval_results.json", "checksums.sha256"]
        let victim = (b as NSString).appendingPathComponent(rng.pick(files))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: victim)))
        switch rng.int(7) {
        case 0, 1: return b
        case 2: bytes[rng.int(bytes.count)] ^= UInt8(1 + rng.int(255))
        case 3: bytes = Array(bytes.prefix(rng.int(bytes.count)))
        case 4: try FileManager.default.removeItem(atPath: victim); return b
        case 5:   // a damaged file under a manifest that matches it: the file's own checks must catch it
            bytes[rng.int(bytes.count)] ^= UInt8(1 + rng.int(255))
            try Data(bytes).write(to: URL(fileURLWithPath: victim))
            let names = files.dropLast().filter { FileManager.default.fileExists(atPath: (b as NSString).appendingPathComponent($0)) }
            let manifest = try names.sorted().map { "\(try SHA256Hasher.hexOfFile((b as NSString).appendingPathComponent($0)).hex)  \($0)\n" }.joined()
            try Data(manifest.utf8).write(to: URL(fileURLWithPath: (b as NSString).appendingPathComponent("checksums.sha256")))
            return b
        default:
            let state = (b as NSString).appendingPathComponent("scorer_state.json")
            var lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: state)), as: UTF8.self).split(separator: "\n").map(String.init)
            lines.remove(at: 1 + rng.int(max(lines.count - 2, 1)))
            try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: state))
            return b
        }
        try Data(bytes).write(to: URL(fileURLWithPath: victim))
        return b
    }

    /// A JSON scoring request built from the CSV rows, then broken: truncation, null/NaN/huge/string cells, ragged or
    /// empty rows, wrong top-level types, deep nesting, bad store_id or timestamps.
    func malformedJSON(_ rng: inout Rng, _ csv: String) -> [UInt8] {
        var rows = csv.split(separator: "\n").map { "[" + $0 + "]" }
        for _ in 0..<rng.int(3) {
            let r = rng.int(rows.count)
            switch rng.int(9) {
            case 0: rows[r] = rng.pick(["[null, 1, 2]", "[NaN, 1, 2]", "[1e999, 0, 0]", "[\"1\", 2, 3]", "[true, 1, 2]", "[-1e308, 1e308, 0]"])
            case 1: rows[r] = "[1, 2]"
            case 2: rows[r] = "[]"
            case 3: rows = Array(rows.prefix(rng.int(4)))
            case 4: rows[r] = "[1, 2, 3, 4]"
            case 5: rows[r] = String(repeating: "[", count: 1 + rng.int(5000)) + String(repeating: "]", count: rng.int(5000))
            default: break
            }
        }
        var text = "{\"data\": [" + rows.joined(separator: ", ") + "]"
        text += rng.pick(["", ", \"store_id\": 3", ", \"store_id\": [1]", ", \"device_id\": null", ", \"include_per_timestep\": \"yes\"",
                          ", \"timestamps\": [1, 2]", ", \"scoring_mode\": \"averaged\"", ", \"extra\": {\"a\": [1, {}]}"]) + "}"
        switch rng.int(6) {
        case 0: text = String(text.prefix(rng.int(text.count + 1)))
        case 1: text = rng.pick(["[]", "null", "1", "\"data\"", "{}", "{\"data\": {}}", "{\"data\": [[]]}", "{\"data\": 5}"])
        default: break
        }
        var bytes = Array(text.utf8)
        if rng.chance(0.1), !bytes.isEmpty { bytes[rng.int(bytes.count)] = rng.pick([0x00, 0xFF, 0x22, 0x7B]) }
        return bytes
    }

    func malformedCSV(_ rng: inout Rng, _ csv: String) -> [UInt8] {
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<(1 + rng.int(3)) {
            let r = rng.int(max(lines.count - 1, 1))
            switch rng.int(10) {
            case 0: lines[r] = lines[r].split(separator: ",").dropLast().joined(separator: ",")                 // wrong width
            case 1: lines.insert("", at: r)                                                                      // empty line
            case 2: lines[r] = rng.pick(["nan,1,2", "1e308,-1e308,1e308", "-0,0,-0", "1e20,1e20,1e20", "inf,1,1", "1e309,0,0"])
            case 3: lines = lines.map { _ in "" }                                                                 // zero columns
            case 4: lines[r] += ",1"                                                                              // extra cell
            case 5: lines[r] = "a,b,c"                                                                           // header mid-file
            case 6: lines = [lines[0]]                                                                           // one row
            case 7: lines[r] = lines[r].replacingOccurrences(of: ",", with: "\t")
            default: break
            }
        }
        var bytes = Array(lines.joined(separator: "\n").utf8)
        switch rng.int(5) {
        case 0: bytes = Array(bytes.prefix(rng.int(bytes.count + 1)))                                          // truncation
        case 1: if !bytes.isEmpty { bytes[rng.int(bytes.count)] ^= UInt8(1 + rng.int(255)) }                 // flipped byte
        case 2: bytes.insert(contentsOf: [0xFF, 0xFE, 0xC3], at: rng.int(bytes.count + 1))                  // not UTF-8
        default: break
        }
        return bytes
    }

    func malformedNpy(_ rng: inout Rng) -> [UInt8] {
        let shapes = ["(12, 3)", "(4611686018427387904, 4)", "(300, 0)", "(0, 3)", "(-1, 3)", "(12,)", "(2, 2, 3)", "()",
                      "(9223372036854775807, 9223372036854775807)", "(12, 3"]
        let descr = rng.pick(["<f8", "<f8", "<f4", "<i8", "|u1", ">f8", "<c16", "O"])
        let shape = rng.pick(shapes)
        let count = rng.pick([36, 36, 12, 0, 1, 35])
        let width = descr == "<f4" ? 4 : descr == "|u1" ? 1 : 8
        var payload = [UInt8](repeating: 0, count: count * width)
        for i in stride(from: 0, to: payload.count, by: width) where width == 8 && descr == "<f8" {
            let v = rng.pick([0.5, 1e308, -0.0, .nan, 1e20, .infinity, 0.25])
            withUnsafeBytes(of: v.bitPattern.littleEndian) { for (k, b) in $0.enumerated() { payload[i + k] = b } }
        }
        var bytes = npyFile(descr: descr, shape: shape, payload: payload)
        switch rng.int(5) {
        case 0: bytes = Array(bytes.prefix(rng.int(bytes.count + 1)))
        case 1: bytes[rng.int(bytes.count)] ^= UInt8(1 + rng.int(255))
        case 2: bytes[8] = 0xFF; bytes[9] = 0xFF                                                                // header length past the end
        default: break
        }
        return bytes
    }

    func malformedHDF5(_ rng: inout Rng, _ good: [UInt8]) -> [UInt8] {
        var b = good
        switch rng.int(5) {
        case 0: b = Array(b.prefix(rng.int(b.count)))
        case 1, 2: for _ in 0..<(1 + rng.int(3)) { b[rng.int(b.count)] ^= UInt8(1 + rng.int(255)) }
        case 3: b = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<(rng.int(4096))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        default: b = Array(b[512...])   // the unsealed HDF5 body alone
        }
        return b
    }

    func malformedScores(_ rng: inout Rng) -> [UInt8] {
        var lines = (0..<300).map { i in String(Double((i * 7919) % 300) / 10) }
        for _ in 0..<rng.int(3) {
            lines[rng.int(lines.count)] = rng.pick(["nan", "inf", "1e308", "-1e308", "", "abc", "-0", "1e-320"])
        }
        if rng.chance(0.1) { lines = [] }
        if rng.chance(0.1) { lines = Array(repeating: "1", count: 300) }   // constant scores
        return Array(lines.joined(separator: "\n").utf8)
    }
}
