import Foundation
import VigilPyTorch
import XCTest

/// PyTorch itself loads what Swift writes: `scripts/check_torch_checkpoint.py FILE EXPECTED.json` runs
/// `torch.load(FILE, weights_only=True)` (and the mmap / computed-offsets variant) and compares every key,
/// dtype, shape and value bit for bit. Skipped, with the reason printed, when `import torch` fails (the
/// script exits 77) or there is no python3.
final class TorchInteropTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @discardableResult
    func python(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// TranAD's reference state_dict names and shapes for F features (d_model = 2F, feed-forward 16):
    /// float32 weights, the float64 positional-encoding buffer (window, 1, d_model) and float64 biases.
    func tranadStateDict(features f: Int, window w: Int, seed: UInt64) throws -> [(key: String, tensor: TorchTensor)] {
        var rng = SplitMix64(seed: seed)
        let d = 2 * f, ff = 16
        func f32(_ shape: [Int]) throws -> TorchTensor {
            try TorchTensor(float32: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }, shape: shape)
        }
        func f64(_ shape: [Int]) throws -> TorchTensor {
            try TorchTensor(float64: (0..<shape.reduce(1, *)).map { _ in Double.random(in: -0.5...0.5, using: &rng) }, shape: shape)
        }
        var pe = [Double]()
        for pos in 0..<w {
            for i in 0..<d {
                let a = Double(pos) * exp(Double(i) * -log(10000.0) / Double(d))
                pe.append(sin(a) + cos(a))
            }
        }
        var sd: [(key: String, tensor: TorchTensor)] = [("pos_encoder.pe", try TorchTensor(float64: pe, shape: [w, 1, d]))]
        func attention(_ p: String) throws {
            sd += [(p + ".in_proj_weight", try f32([3 * d, d])), (p + ".in_proj_bias", try f64([3 * d])),
                   (p + ".out_proj.weight", try f32([d, d])), (p + ".out_proj.bias", try f64([d]))]
        }
        func feedForward(_ p: String) throws {
            sd += [(p + ".linear1.weight", try f32([ff, d])), (p + ".linear1.bias", try f64([ff])),
                   (p + ".linear2.weight", try f32([d, ff])), (p + ".linear2.bias", try f64([d]))]
        }
        try attention("transformer_encoder.layers.0.self_attn")
        try feedForward("transformer_encoder.layers.0")
        for dec in ["transformer_decoder1", "transformer_decoder2"] {
            try attention(dec + ".layers.0.self_attn")
            try attention(dec + ".layers.0.multihead_attn")
            try feedForward(dec + ".layers.0")
        }
        sd += [("fcn.0.weight", try f32([f, d])), ("fcn.0.bias", try f64([f]))]
        return sd
    }

    /// Every dtype, 0-d / empty / 5-d shapes, NaN and −0.0, and every scalar kind at the top level.
    func edgeCaseCheckpoint() throws -> PickleValue {
        var entries: [(key: String, value: PickleValue)] = []
        for dt in TorchDType.allCases {
            let n = 6 * dt.elementSize
            let bytes = dt == .bool ? [1, 0, 0, 1, 1, 0] : (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
            entries.append((dt.rawValue, .tensor(try TorchTensor(dtype: dt, shape: [2, 1, 3], bytes: bytes))))
        }
        entries.append(("special", .tensor(try TorchTensor(float32: [.nan, -0.0, .infinity, .leastNonzeroMagnitude], shape: [2, 2]))))
        entries.append(("scalar", .tensor(try TorchTensor(float64: [0.1], shape: []))))
        entries.append(("empty", .tensor(try TorchTensor(dtype: .float32, shape: [3, 0], bytes: []))))
        entries.append(("five_d", .tensor(try TorchTensor(int64: [1, -2, 3, Int64.min, Int64.max, 0], shape: [1, 2, 1, 3, 1]))))
        return .dict([
            ("model_state_dict", .orderedDict(entries)),
            ("epoch", .int(1 << 40)), ("delta", .int(-70000)), ("lr", .float(1e-3)), ("name", .string("TranAD ✓")),
            ("best", .bool(false)), ("note", .none), ("config", .dict([("window", .int(10)), ("nested", .orderedDict([]))])),
        ])
    }

    func testTorchLoadsVigilCheckpointsWithWeightsOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-torch-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let tranad = PickleValue.trainingCheckpoint(stateDict: try tranadStateDict(features: 38, window: 10, seed: 7), epoch: 5)
        XCTAssertEqual(try tranad.stateDict(at: "model_state_dict")[0].tensor.shape, [10, 1, 76])
        var args = [Self.repoRoot.appendingPathComponent("scripts/check_torch_checkpoint.py").path]
        for (name, value) in [("model", tranad), ("edge_cases", try edgeCaseCheckpoint())] {
            let ckpt = dir.appendingPathComponent(name + ".ckpt"), expected = dir.appendingPathComponent(name + ".json")
            try Data(try TorchCheckpointWriter.serialize(value, archiveName: name)).write(to: ckpt)
            try ValueDescription.json(value).write(to: expected)
            args += [ckpt.path, expected.path]
        }
        // One interpreter for both files: importing torch dominates the test's time.
        let (status, output) = try python(args)
        print(output, terminator: "")
        if status == 77 || status == 127 {   // the script's "torch is not importable", or env: no python3
            let reason = "skipping the torch.load interop test: " +
                (status == 127 ? "python3 is not on PATH" : output.trimmingCharacters(in: .whitespacesAndNewlines))
            print(reason)
            throw XCTSkip(reason)
        }
        XCTAssertEqual(status, 0, "check_torch_checkpoint.py failed:\n\(output)")
        XCTAssertEqual(output.components(separatedBy: ", matches ").count - 1, 4, "4 loads (2 files × 2 ways) report a match:\n\(output)")
    }
}
