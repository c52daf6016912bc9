// `provenance.json` of one machine: how its results were computed — when, where, with which threads, inputs and
// software, and how long and how much memory each stage took. Not deterministic, so kept out of metrics.json.
import Foundation

/// One timed stage of a unit.
public struct StageTiming: Codable, Equatable, Sendable {
    public init(stage: String, seconds: Double, peakRSSBytes: Int) {
        self.stage = stage; self.seconds = seconds; self.peakRSSBytes = peakRSSBytes
    }

    public var stage: String
    public var seconds: Double
    public var peakRSSBytes: Int

    enum CodingKeys: String, CodingKey {
        case stage, seconds
        case peakRSSBytes = "peak_rss_bytes"
    }
}

/// How one unit (a machine of a run) was computed.
public struct MachineProvenance: Codable, Equatable, Sendable {
    public var format = "vigil-machine-provenance"
    public var version = 1
    public var machine: String
    public var configSHA256: String
    /// The command line of the run.
    public var command: String
    /// ISO 8601 start and end times.
    public var started: String
    public var finished: String
    /// Worker threads the models used (TranAD data-parallel workers, forest fit/score).
    public var threads: Int
    public var environment: RunEnvironment
    /// sha256 of every input file, by role (`train`, `test`, `test_label`, `interpretation_label`).
    public var inputSHA256: [String: String]
    /// How the processed-data cache was used ("cache reused", "cache built", …).
    public var dataCache: String?
    public var stages: [StageTiming]
    public var totalSeconds: Double
    /// Peak RSS over the whole unit.
    public var peakRSSBytes: Int
    /// Per-model training log lines (epoch losses, forest fit time).
    public var trainingLog: [String: [String]]

    public init(machine: String, configSHA256: String, command: String, started: String, finished: String, threads: Int,
                environment: RunEnvironment, inputSHA256: [String: String], dataCache: String?, stages: [StageTiming],
                totalSeconds: Double, peakRSSBytes: Int, trainingLog: [String: [String]]) {
        self.machine = machine; self.configSHA256 = configSHA256; self.command = command; self.started = started
        self.finished = finished; self.threads = threads; self.environment = environment; self.inputSHA256 = inputSHA256
        self.dataCache = dataCache; self.stages = stages; self.totalSeconds = totalSeconds; self.peakRSSBytes = peakRSSBytes
        self.trainingLog = trainingLog
    }

    enum CodingKeys: String, CodingKey {
        case format, version, machine, command, started, finished, threads, environment, stages
        case configSHA256 = "config_sha256", inputSHA256 = "input_sha256", dataCache = "data_cache"
        case totalSeconds = "total_seconds", peakRSSBytes = "peak_rss_bytes", trainingLog = "training_log"
    }
}
