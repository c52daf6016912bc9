// One trial of a sweep: the same unit `vigil run` computes for one machine (`MachineRunner`), published as
// trials/<id>/ with its result.json. Whatever dispatches it (this process, a local child, a Slurm array task),
// this is the only code that computes a trial. Trials are idempotent: a complete one returns at once.
import Foundation
import VigilIO
import VigilConfig
import VigilExperiments
import VigilResults

/// Runs sweep trials.
public enum TrialRunner {
    /// How a trial ended.
    public enum Outcome: Equatable, Sendable {
        /// It was already complete (nothing was done).
        case alreadyComplete
        case completed
    }

    /// Runs trial `index` of the sweep at `directory` unless it is complete. On failure, records failed/<id>.json and
    /// rethrows; on success, removes any earlier failure record.
    @discardableResult
    public static func run(directory: String, index: Int, executor: String, environment: RunEnvironment,
                           events: UnitEventSink) throws -> Outcome {
        let layout = SweepLayout(root: directory)
        let plan = try SweepPlanner.read(layout)
        guard plan.trials.indices.contains(index) else {
            throw SweepError.indexOutOfRange(index: index, count: plan.trials.count, directory: directory)
        }
        let trial = plan.trials[index]
        if layout.isComplete(trial.id) { return .alreadyComplete }
        let started = Date()
        let execution = { (finished: Date) in
            let env = ProcessInfo.processInfo.environment
            return TrialExecution(executor: executor, slurmJobID: env["SLURM_JOB_ID"], slurmArrayJobID: env["SLURM_ARRAY_JOB_ID"],
                                  slurmArrayTaskID: env["SLURM_ARRAY_TASK_ID"], host: environment.host,
                                  started: ISO8601DateFormatter().string(from: started), finished: ISO8601DateFormatter().string(from: finished),
                                  wallSeconds: finished.timeIntervalSince(started))
        }
        do {
            let config = try SweepPlanner.config(trial.configSHA256, layout: layout)
            let swept = plan.points[trial.point].swept
            var job = MachineJob(name: trial.machine, config: config, threads: config.threads ?? plan.threads, runDirectory: directory,
                                 environment: environment, command: "vigil sweep run-trial \(directory) --index \(index)",
                                 destination: layout.trial(trial.id)) { staging, metrics, _ in
                let result = TrialResult(trial: trial.id, index: index, machine: trial.machine, configSHA256: trial.configSHA256, swept: swept,
                                         execution: execution(Date()), models: metrics.models.mapValues {
                                             TrialResult.Model(selectionScore: $0.validation?.selectionScore, validation: $0.validation,
                                                               test: $0.flat, oracle: $0.oracle)
                                         }, failures: metrics.failures)
                try AtomicFile.write(try JSONOutput.encode(result), to: (staging as NSString).appendingPathComponent("result.json"))
            }
            job.label = trial.id
            // the run of `sweep.scores_from` or a complete trial of this machine whose config computes the same scores:
            // re-evaluate its stored scores instead of fitting again
            let external = plan.scoresFrom.map { [RunLayout(root: $0).machine(trial.machine)] } ?? []
            let donors = external + plan.trials.filter { $0.machine == trial.machine && $0.index != index && layout.isComplete($0.id) }
                .map { layout.trial($0.id) }
            job.scoresFrom = donors.first { ScoreReuse.matches($0, config: config, machine: trial.machine) }
            try MachineRunner.run(job, events: events)
            try? FileManager.default.removeItem(atPath: layout.failure(trial.id))
            return .completed
        } catch {
            let env = ProcessInfo.processInfo.environment
            var log = layout.log(trial.id)
            if let job = env["SLURM_ARRAY_JOB_ID"], let task = env["SLURM_ARRAY_TASK_ID"] {
                log = (layout.root as NSString).appendingPathComponent("logs/slurm-\(job)_\(task).err")
            }
            let failure = TrialFailure(trial: trial.id, index: index, machine: trial.machine, reason: String(describing: error),
                                       log: log, execution: execution(Date()))
            try? FileManager.default.createDirectory(atPath: layout.failedDirectory, withIntermediateDirectories: true)
            try? AtomicFile.write(try JSONOutput.encode(failure), to: layout.failure(trial.id))
            throw error
        }
    }
}
