// Test fixtures shared by the experiment, sweep and CLI tests.
import Foundation
import VigilConfig
import VigilExperiments
import VigilResults

/// A tiny SMD-shaped dataset root (two machines, 38 columns) and a config that runs fast on it.
public final class RunFixture {
    public let root: String
    public let machines = ["machine-1-1", "machine-1-2"]

    /// A fixed environment (provenance only; results do not depend on it).
    public static let environment = RunEnvironment(vigilVersion: "test", gitCommit: "unknown", gitDirty: nil, swiftVersion: "6",
                                                   blas: "b", blasCore: "c", cpuModel: "cpu", cpuFlags: [], cores: 2, host: "testhost", os: "os")

    public init() throws {
        root = NSTemporaryDirectory() + "vigil-run-\(UUID().uuidString)"
        for (i, m) in machines.enumerated() { try Self.writeMachine(m, seed: i, root: root + "/smd") }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Smooth series in [0, 1]; test rows 120..<130 carry a burst on dimensions 0–4 (labelled, with per-dimension labels).
    public static func writeMachine(_ m: String, seed: Int, root: String) throws {
        func table(_ n: Int, phase: Double, burst: Range<Int>?) -> String {
            (0..<n).map { t in
                (0..<38).map { d -> String in
                    var x = 0.5 + 0.3 * sin(Double(t) * 0.13 + Double(d) * 0.7 + phase) + 0.02 * cos(Double(t * (d % 5 + 2) + seed))
                    if let b = burst, b.contains(t), d < 5 { x += 0.6 }
                    return String(format: "%.6f", x)
                }.joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        }
        let files: [(String, String)] = [
            ("train", table(320, phase: Double(seed), burst: nil)),
            ("test", table(220, phase: Double(seed) + 0.4, burst: 120..<130)),
            ("test_label", (0..<220).map { (120..<130).contains($0) ? "1" : "0" }.joined(separator: "\n") + "\n"),
            ("interpretation_label", "120-130:1,2,3,4,5\n"),
        ]
        for (dir, text) in files {
            try FileManager.default.createDirectory(atPath: "\(root)/\(dir)", withIntermediateDirectories: true)
            try text.write(toFile: "\(root)/\(dir)/\(m).txt", atomically: true, encoding: .utf8)
        }
    }

    /// A config file for this fixture (extra YAML lines appended).
    public func config(_ extra: String = "") throws -> String {
        let path = root + "/exp-\(UUID().uuidString).yaml"
        let text = """
        models: [tranad, iforest]
        data: {root: \(root)/smd, machines: [\(machines.joined(separator: ", "))]}
        tranad: {epochs: 1, window: 5, batch: 64}
        iforest: {trees: 20}
        calibration: {pot: {level: 0.98}}
        threads: 1
        seed: 3
        evaluation: {sanity_baselines: false}
        \(extra)
        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    public func run(_ configPath: String, into dir: String, overrides: [String] = [], events: UnitEventSink = SilentUnitEvents())
        throws -> ExperimentRun.Outcome {
        let config = try ExperimentConfig.load(path: configPath, overrides: overrides)
        let run = ExperimentRun(config: config, directory: dir, threads: 1, environment: RunFixture.environment, command: "test")
        try run.prepareDirectory()
        let prep = try DataSource.prepare(config)
        return try run.run(units: prep.units, unavailable: prep.unavailable, selectedAll: prep.selectedAll,
                           executor: InProcessExecutor(job: run.job), events: events)
    }

    public func file(_ dir: String, _ rel: String) -> Data { FileManager.default.contents(atPath: dir + "/" + rel) ?? Data() }
}

