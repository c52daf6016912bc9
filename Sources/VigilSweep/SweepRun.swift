// `vigil sweep SWEEP.yaml`: plan the trials, run the ones not complete (in child processes, N at a time), collect.
// Killed at any moment and re-run, it loses nothing it finished and repeats nothing it finished: trials are
// published whole and skipped when complete.
import Foundation
import VigilIO
import VigilConfig
import VigilData
import VigilExperiments
import VigilResults

/// Runs a sweep locally.
public enum SweepRun {
    /// What a sweep run did.
    public struct Outcome: Sendable {
        public var plan: SweepPlan
        /// Trials run now and how they ended (by trial id).
        public var results: [String: UnitResult]
        public var skipped: Int
        public var collect: SweepCollect.Outcome
        public var status: SweepStatus
    }

    /// Installs the data, writes the plan, runs every incomplete trial with `executor` (given the plan, it maps trial ids
    /// to work), then collects. `threads` per trial fixes `threads: auto`.
    public static func run(_ spec: SweepSpec, directory: String, threads: Int, vigilVersion: String,
                           executor: (SweepPlan) -> UnitExecutor, events: UnitEventSink,
                           dataProgress: ProgressSink = SilentProgress()) throws -> Outcome {
        let plan = try Self.plan(spec, directory: directory, threads: threads, vigilVersion: vigilVersion, dataProgress: dataProgress)
        let layout = SweepLayout(root: directory)
        let todo = plan.trials.filter { !layout.isComplete($0.id) }
        let results = executor(plan).execute(todo.map(\.id), events: events)
        let collect = try SweepCollect.run(directory: directory)
        return Outcome(plan: plan, results: results, skipped: plan.trials.count - todo.count, collect: collect,
                       status: try SweepStatus.read(layout))
    }

    /// Installs the selected machines that are missing and writes the plan (sweep.json, configs/) without running
    /// anything (what a cluster submission does first).
    public static func plan(_ spec: SweepSpec, directory: String, threads: Int, vigilVersion: String,
                            dataProgress: ProgressSink = SilentProgress()) throws -> SweepPlan {
        let base = try ExperimentConfig(spec.base)
        let prep = try DataSource.prepare(base, progress: dataProgress)
        guard !prep.units.isEmpty else {
            throw SweepError.noMachines("no machine to run: " + prep.unavailable.map { "\($0.name) (\($0.reason))" }.joined(separator: ", "))
        }
        return try SweepPlanner.prepare(spec, machines: prep.units, threads: threads, directory: directory, vigilVersion: vigilVersion)
    }

    /// Runs trials one after another in this process (tests, debugging).
    public static func inProcess(directory: String, environment: RunEnvironment) -> (SweepPlan) -> UnitExecutor {
        { plan in
            let index = Dictionary(uniqueKeysWithValues: plan.trials.map { ($0.id, $0.index) })
            return InProcessExecutor { id, events in
                try TrialRunner.run(directory: directory, index: index[id]!, executor: "in_process", environment: environment, events: events)
            }
        }
    }

    /// Runs each trial as `vigil sweep run-trial DIR --index I` in a child process, `jobs` at a time.
    public static func localProcesses(directory: String, jobs: Int, executable: String = ProcessPoolExecutor.currentExecutable)
        -> (SweepPlan) -> UnitExecutor {
        { plan in
            let index = Dictionary(uniqueKeysWithValues: plan.trials.map { ($0.id, $0.index) })
            let layout = SweepLayout(root: directory)
            return ProcessPoolExecutor(jobs: jobs, executable: executable,
                                       arguments: { id in ["sweep", "run-trial", directory, "--index", String(index[id]!), "--executor", "local"] },
                                       logPath: { layout.log($0) })
        }
    }
}
