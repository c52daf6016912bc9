import ArgumentParser
import Foundation
import VigilConfig
import VigilData
import VigilExperiments
import VigilResults
import VigilSweep

/// `vigil sweep`: grid and random search over config keys × machines, resumable, selecting without test labels.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Hyperparameter sweeps: run (default), status, collect.",
        discussion: """
        A sweep file names a base run config, optional run keys (machines, models, …), a `grid` and/or a `random` \
        search space over config keys by dotted path, and `sweep: {validation, selection}`. A trial is one (config, \
        machine) pair with a stable id; it runs exactly as `vigil run` runs a machine, on a config whose last \
        `sweep.validation` fraction of training rows is held out as a validation block with injected synthetic \
        anomalies. Configs are compared by the validation selection score only; the ORACLE choice (by test labels) \
        is reported beside it, never instead of it.

        Killed at any moment, the same command resumes: complete trials are skipped untouched, incomplete and \
        failed ones are run again.
        """,
        subcommands: [Start.self, Status.self, Collect.self, RunTrial.self],
        defaultSubcommand: Start.self)

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "start", abstract: "Run a sweep (the default: `vigil sweep SWEEP.yaml`).")

        @Argument(help: "Sweep file (YAML).")
        var sweep: String

        @Option(help: "Sweep directory (default sweeps/<sweep file name>).")
        var out: String?

        @Option(help: "Trials run at once, each in its own process (default 1).")
        var jobs: Int = 1

        @Option(help: "Install missing machines from this local mirror (sets data.mirror of the base config).")
        var mirror: String?

        @Option(name: .customLong("set"), parsing: .unconditionalSingleValue, help: "Override a key of the base config: KEY=VALUE (repeatable).")
        var overrides: [String] = []

        @Flag(help: "Run the trials in this process, one after another (debugging).")
        var inProcess = false

        @Option(help: "Where trials run: local (child processes, --jobs at a time) or slurm (one job array via sbatch).")
        var executor: String = "local"

        @Option(help: "Slurm: partition.")
        var partition: String?

        @Option(help: "Slurm: wall-time limit per trial, HH:MM:SS.")
        var time: String?

        @Option(help: "Slurm: CPUs per trial (also the trial's worker threads; default 1).")
        var cpusPerTask: Int = 1

        @Option(help: "Slurm: memory per trial (e.g. 4G).")
        var mem: String?

        @Option(help: "Slurm: at most this many trials at once (%K of --array).")
        var maxParallel: Int?

        @Flag(help: "Slurm: print the sbatch script and command; submit and record nothing.")
        var dryRun = false

        func validate() throws {
            guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be in 1…256, got \(jobs)") }
            guard ["local", "slurm"].contains(executor) else { throw ValidationError("--executor must be local or slurm, got '\(executor)'") }
            if executor == "local" && (partition != nil || time != nil || mem != nil || maxParallel != nil || dryRun) {
                throw ValidationError("--partition, --time, --mem, --max-parallel and --dry-run need --executor slurm")
            }
            do { try SlurmOptions(partition: partition, time: time, cpusPerTask: cpusPerTask, mem: mem, maxParallel: maxParallel).validate() } catch {
                throw ValidationError(String(describing: error))
            }
        }

        func run() throws {
            let spec: SweepSpec
            let sets = overrides + (mirror.map { ["data.mirror=\(ConfigQuoting.quoted($0))"] } ?? [])
            do { spec = try SweepSpec.load(path: sweep, overrides: sets) } catch let e as ConfigError {
                throw CLIError("sweep: " + e.description.replacingOccurrences(of: "\n", with: "\n  "))
            }
            let dir = out ?? "sweeps/" + ((sweep as NSString).lastPathComponent as NSString).deletingPathExtension
            if executor == "slurm" { return try submitToSlurm(spec, dir: dir) }
            let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / jobs)
            let env = RunEnvironment.current(vigilVersion: vigilVersion)
            let total = (try? spec.points().count) ?? 0
            printErr("sweep \(dir): \(total) config(s), \(jobs) job(s) × \(threads) thread(s)")
            let display = LiveUnitDisplay(total: 0, label: "trials")
            let executor = inProcess ? SweepRun.inProcess(directory: dir, environment: env) : SweepRun.localProcesses(directory: dir, jobs: jobs)
            let outcome = try SweepRun.run(spec, directory: dir, threads: threads, vigilVersion: vigilVersion, executor: { plan in
                display.setTotal(plan.trials.count, alreadyDone: plan.trials.filter { SweepLayout(root: dir).isComplete($0.id) }.count)
                return executor(plan)
            }, events: display, dataProgress: StderrProgressBar())
            display.finish()
            print(SweepConsole.status(outcome.status))
            print(SweepConsole.selection(outcome.collect.selection, plan: outcome.plan))
            for f in outcome.collect.files { print("wrote \(f)") }
            if !outcome.status.failed.isEmpty || !outcome.status.pending.isEmpty { throw ExitCode(1) }
        }

        /// Plans the sweep (installing data here first), then submits the incomplete trials as one job array.
        func submitToSlurm(_ spec: SweepSpec, dir: String) throws {
            let options = SlurmOptions(partition: partition, time: time, cpusPerTask: cpusPerTask, mem: mem, maxParallel: maxParallel)
            let plan = try SweepRun.plan(spec, directory: dir, threads: cpusPerTask, vigilVersion: vigilVersion, dataProgress: StderrProgressBar())
            let layout = SweepLayout(root: dir)
            let status = try SweepStatus.read(layout, queued: SlurmExecutor.queuedIndices(layout))
            let todo = (status.failed + status.pending).sorted()
            if !status.running.isEmpty { printErr("\(status.running.count) trial(s) are still queued or running; they are not submitted again") }
            guard !todo.isEmpty else {
                print(SweepConsole.status(status))
                print("nothing to submit: every trial is complete or queued")
                return
            }
            let r = try SlurmExecutor.submit(directory: dir, indices: todo, options: options, dryRun: dryRun)
            if dryRun {
                print(r.script, terminator: "")
                print("# would run: \(r.command.joined(separator: " ")) (\(todo.count) of \(plan.trials.count) trials; nothing submitted)")
                return
            }
            guard let sub = r.submission else { return }
            print("submitted Slurm job \(sub.jobID): \(todo.count) of \(plan.trials.count) trials (array \(SlurmExecutor.arraySpec(todo, maxParallel: maxParallel)))")
            print("script: \(sub.script); task logs: \(dir)/logs/slurm-\(sub.jobID)_<index>.out|.err")
            print("follow with `vigil sweep status \(dir)`, then `vigil sweep collect \(dir)`; re-run this command to submit what is still incomplete")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print done / failed / running / pending trial counts of a sweep directory.")
        @Argument(help: "Sweep directory.")
        var directory: String
        func run() throws {
            let layout = SweepLayout(root: directory)
            let s = try SweepStatus.read(layout, queued: SlurmExecutor.queuedIndices(layout))
            print(SweepConsole.status(s))
            for (i, why) in s.failures.sorted(by: { $0.key < $1.key }) { print("  failed #\(i): \(why)") }
        }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build leaderboard.csv, leaderboard.md, selection.json and report.html from the complete trials (works on a partial sweep).")
        @Argument(help: "Sweep directory.")
        var directory: String
        func run() throws {
            let layout = SweepLayout(root: directory)
            let outcome = try SweepCollect.run(directory: directory)
            print(SweepConsole.selection(outcome.selection, plan: try SweepPlanner.read(layout)))
            for f in outcome.files { print("wrote \(f)") }
        }
    }

    struct RunTrial: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-trial", abstract: "Run one trial of a planned sweep (what local child processes and Slurm array tasks run).")
        @Argument(help: "Sweep directory (holds sweep.json).")
        var directory: String
        @Option(help: "Trial index (0-based, as in sweep.json).")
        var index: Int
        @Option(help: "Recorded in result.json: local, slurm or in_process.")
        var executor: String = "local"

        func run() throws {
            ParentWatch.dieWithParent()
            let events = JSONLineUnitEvents()
            do {
                let r = try TrialRunner.run(directory: directory, index: index, executor: executor,
                                            environment: RunEnvironment.current(vigilVersion: vigilVersion), events: events)
                if r == .alreadyComplete { printErr("trial #\(index) is already complete") }
            } catch {
                events.send(UnitEvent(unit: "#\(index)", kind: .failed, detail: String(describing: error)))
                throw error
            }
        }
    }
}

/// Console lines of sweep commands.
enum SweepConsole {
    static func status(_ s: SweepStatus) -> String {
        "trials: \(s.done.count) done, \(s.failed.count) failed, \(s.running.count) running, \(s.pending.count) pending (of \(s.total))"
    }

    static func selection(_ sel: SweepSelection, plan: SweepPlan) -> String {
        var out = ""
        let metric = sel.oracleMetricName
        for m in sel.models {
            guard let o = m.overall else { continue }
            func cfg(_ c: SweepSelection.Choice) -> String { plan.sweptKeys.map { "\($0)=\(Leaderboard.text(c.swept[$0]))" }.joined(separator: " ") }
            out += "\(m.model): selected by \(sel.selection) on validation: \(cfg(o.selected)) → test \(metric) "
            out += (o.selected.test[metric] ?? nil).map { String(format: "%.4f", $0) } ?? "n/a"
            out += "; ORACLE (test labels): \(cfg(o.oracle)) → test \(metric) "
            out += ((o.oracle.test[metric] ?? nil).map { String(format: "%.4f", $0) } ?? "n/a") + "\n"
        }
        return out
    }
}
