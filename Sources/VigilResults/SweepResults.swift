// The files of a sweep directory: the plan (`sweep.json`), each trial's `result.json`, failure records.
//
//   DIR/sweep.json               the expanded plan: points (configs), trials (point × machine) with stable ids
//   DIR/configs/<sha256>.yaml    the resolved config of every point
//   DIR/trials/<id>/             a complete trial, published whole: result.json + the run outputs of one machine
//   DIR/failed/<id>.json         why a trial failed last time (removed when it completes)
//   DIR/logs/<id>.log            standard error of the trial's process
//   DIR/leaderboard.csv, leaderboard.md, selection.json, report.html    built by `vigil sweep collect`
import Foundation

/// Paths inside a sweep directory.
public struct SweepLayout: Sendable, Equatable {
    public let root: String
    public init(root: String) { self.root = root }
    private func join(_ parts: String...) -> String { parts.reduce(root) { ($0 as NSString).appendingPathComponent($1) } }

    public var plan: String { join("sweep.json") }
    public var configs: String { join("configs") }
    public func config(_ sha: String) -> String { join("configs", sha + ".yaml") }
    public var trials: String { join("trials") }
    public func trial(_ id: String) -> String { join("trials", id) }
    public func result(_ id: String) -> String { join("trials", id, "result.json") }
    public var failedDirectory: String { join("failed") }
    public func failure(_ id: String) -> String { join("failed", id + ".json") }
    public func log(_ id: String) -> String { join("logs", id + ".log") }
    public var leaderboardCSV: String { join("leaderboard.csv") }
    public var leaderboardMarkdown: String { join("leaderboard.md") }
    public var selection: String { join("selection.json") }
    public var report: String { join("report.html") }
    public var slurmScript: String { join("slurm", "array.sbatch") }
    public var slurmJobs: String { join("slurm", "jobs.json") }

    /// A trial is complete when its directory (published whole) holds result.json.
    public func isComplete(_ id: String) -> Bool { FileManager.default.fileExists(atPath: result(id)) }
}

/// `sweep.json`: every point and trial of a sweep, fixed when the sweep starts (ids are content hashes, so a
/// changed sweep file keeps the trials it shares with the old one).
public struct SweepPlan: Codable, Equatable, Sendable {
    /// One configuration of the search.
    public struct Point: Codable, Equatable, Sendable {
        public var configSHA256: String
        /// Swept key → value.
        public var swept: [String: JSONValue]
        public init(configSHA256: String, swept: [String: JSONValue]) { self.configSHA256 = configSHA256; self.swept = swept }
        enum CodingKeys: String, CodingKey { case swept; case configSHA256 = "config_sha256" }
    }
    /// One (point, machine) pair.
    public struct Trial: Codable, Equatable, Sendable {
        public var index: Int
        /// sha256(config_sha256 + "/" + machine), first 16 hex digits.
        public var id: String
        public var machine: String
        public var point: Int
        public var configSHA256: String
        public init(index: Int, id: String, machine: String, point: Int, configSHA256: String) {
            self.index = index; self.id = id; self.machine = machine; self.point = point; self.configSHA256 = configSHA256
        }
        enum CodingKeys: String, CodingKey { case index, id, machine, point; case configSHA256 = "config_sha256" }
    }

    public var format = "vigil-sweep"
    public var version = 1
    public var source: String
    public var created: String
    public var vigilVersion: String
    /// `validation.selection` of every trial (how configs are compared without test labels).
    public var selection: String
    public var sweptKeys: [String]
    public var models: [String]
    public var machines: [String]
    public var threads: Int
    public var points: [Point]
    public var trials: [Trial]
    /// `sweep.scores_from`: a run directory whose stored scores trials re-evaluate when their config computes the same
    /// scores (besides complete trials of the sweep itself); nil = none.
    public var scoresFrom: String?

    public init(source: String, created: String, vigilVersion: String, selection: String, sweptKeys: [String], models: [String],
                machines: [String], threads: Int, points: [Point], trials: [Trial], scoresFrom: String? = nil) {
        self.source = source; self.created = created; self.vigilVersion = vigilVersion; self.selection = selection
        self.sweptKeys = sweptKeys; self.models = models; self.machines = machines; self.threads = threads
        self.points = points; self.trials = trials; self.scoresFrom = scoresFrom
    }

    enum CodingKeys: String, CodingKey {
        case format, version, source, created, selection, models, machines, threads, points, trials
        case vigilVersion = "vigil_version", sweptKeys = "swept_keys", scoresFrom = "scores_from"
    }
}

/// Where and how a trial ran.
public struct TrialExecution: Codable, Equatable, Sendable {
    /// `local` (child process of `vigil sweep`), `slurm` (array task), `in_process`.
    public var executor: String
    public var slurmJobID: String?
    public var slurmArrayJobID: String?
    public var slurmArrayTaskID: String?
    public var host: String
    public var started: String
    public var finished: String
    public var wallSeconds: Double

    public init(executor: String, slurmJobID: String?, slurmArrayJobID: String?, slurmArrayTaskID: String?, host: String,
                started: String, finished: String, wallSeconds: Double) {
        self.executor = executor; self.slurmJobID = slurmJobID; self.slurmArrayJobID = slurmArrayJobID
        self.slurmArrayTaskID = slurmArrayTaskID; self.host = host; self.started = started; self.finished = finished
        self.wallSeconds = wallSeconds
    }

    enum CodingKeys: String, CodingKey {
        case executor, host, started, finished
        case slurmJobID = "slurm_job_id", slurmArrayJobID = "slurm_array_job_id", slurmArrayTaskID = "slurm_array_task_id"
        case wallSeconds = "wall_seconds"
    }
}

/// `trials/<id>/result.json`: one trial's selection score (validation only) and test metrics per model.
public struct TrialResult: Codable, Equatable, Sendable {
    public struct Model: Codable, Equatable, Sendable {
        /// The selection score on the validation block (higher is better); never reads test data.
        public var selectionScore: Double?
        public var validation: ValidationMetrics?
        /// Flat test metrics at the exported threshold (reported, never used to select).
        public var test: [String: Double?]
        /// The label-tuned bound on test (ORACLE).
        public var oracle: OracleBound?
        public init(selectionScore: Double?, validation: ValidationMetrics?, test: [String: Double?], oracle: OracleBound?) {
            self.selectionScore = selectionScore; self.validation = validation; self.test = test; self.oracle = oracle
        }
        enum CodingKeys: String, CodingKey { case validation, test, oracle; case selectionScore = "selection_score" }
    }

    public var format = "vigil-trial"
    public var version = 1
    public var trial: String
    public var index: Int
    public var machine: String
    public var configSHA256: String
    public var swept: [String: JSONValue]
    public var status = "complete"
    public var execution: TrialExecution
    public var models: [String: Model]
    public var failures: [String: String]

    public init(trial: String, index: Int, machine: String, configSHA256: String, swept: [String: JSONValue],
                execution: TrialExecution, models: [String: Model], failures: [String: String]) {
        self.trial = trial; self.index = index; self.machine = machine; self.configSHA256 = configSHA256; self.swept = swept
        self.execution = execution; self.models = models; self.failures = failures
    }

    enum CodingKeys: String, CodingKey {
        case format, version, trial, index, machine, swept, status, execution, models, failures
        case configSHA256 = "config_sha256"
    }
}

/// `failed/<id>.json`: the last failure of a trial (it is retried when the sweep runs again).
public struct TrialFailure: Codable, Equatable, Sendable {
    public var trial: String
    public var index: Int
    public var machine: String
    public var reason: String
    public var log: String
    public var execution: TrialExecution

    public init(trial: String, index: Int, machine: String, reason: String, log: String, execution: TrialExecution) {
        self.trial = trial; self.index = index; self.machine = machine; self.reason = reason; self.log = log; self.execution = execution
    }
}
