import ArgumentParser
import Foundation
import VigilConfig
import VigilData
import VigilExperiments
import VigilIO
import VigilResults

/// `vigil run`: a config over many machines, in parallel, resumable, with one report.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an experiment config over SMD machines (or a dataset directory): train, score, calibrate, evaluate, export, report.",
        discussion: """
        CONFIG is a YAML file (e.g. experiments/smd-default.yaml); without it the built-in defaults are used (the \
        reference protocol: TranAD 5 epochs and an Isolation Forest of 100 trees). Keys: see `vigil config reference` \
        or the README. --set KEY=VALUE overrides any key (repeatable), e.g. --set tranad.lr=0.001.

        For each machine: install and verify the data if missing, fit every model on the training rows, score train \
        and test, calibrate thresholds (deployable ones read training scores only), compute every metric (the ORACLE \
        bound apart), export the deployable threshold's serving bundle. Each machine is written to a staging \
        directory and moved into DIR/<machine>/ only when complete, so an interrupted run re-run with the same \
        command skips the complete machines and redoes the rest. DIR is tied to its config: a different config \
        is refused there.

        Output: DIR/<machine>/{metrics.json, provenance.json, loss.csv, labels.h5, report.md, scores/, export/}, \
        DIR/summary.json, DIR/report.md, DIR/report.html, DIR/config.yaml (the resolved config), DIR/run.json.

        --jobs N runs N machines at once in child processes, each with (cores / N) threads unless `threads` is set; \
        the same config, seed and threads give identical results.
        """)

    @Argument(help: "Experiment config (YAML). Omit for the built-in defaults.")
    var config: String?

    @Option(help: "Comma-separated SMD machines or 'all' (overrides data.machines).")
    var machines: String?

    @Option(help: "Comma-separated models (overrides models), e.g. tranad,iforest,pca.")
    var models: String?

    @Option(help: "Runs of every stochastic model per machine (overrides seeds); reports show mean ± std over them.")
    var seeds: Int?

    @Option(help: "Install missing machines from this local mirror (overrides data.mirror).")
    var mirror: String?

    @Option(help: "Run directory (default runs/<config name>).")
    var out: String?

    @Option(help: "Machines run at once, each in its own process (default 1).")
    var jobs: Int = 1

    @Option(name: .customLong("set"), parsing: .unconditionalSingleValue, help: "Override a config key: KEY=VALUE (repeatable), e.g. tranad.epochs=10.")
    var overrides: [String] = []

    @Flag(help: "Run every machine in this process, one after another (no child processes; for debugging).")
    var inProcess = false

    func validate() throws {
        guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be in 1…256, got \(jobs)") }
    }

    /// The config with the command line's overrides, `threads: auto` fixed to cores / jobs (so the config hash names
    /// the threads the results depend on). Config problems are usage errors (exit 64) listing every problem.
    func resolvedConfig() throws -> ExperimentConfig {
        var sets: [String] = []
        if let m = models {
            let list = m.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            sets.append("models=[\(list.joined(separator: ", "))]")
        }
        if let m = machines {
            let list = m.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            sets.append(list == ["all"] ? "data.machines=all" : "data.machines=[\(list.joined(separator: ", "))]")
        }
        if let mirror { sets.append("data.mirror=\(ConfigQuoting.quoted(mirror))") }
        if let seeds { sets.append("seeds=\(seeds)") }
        sets += overrides
        do {
            var resolved: ResolvedConfig
            if let c = config { resolved = try ResolvedConfig.load(path: c, overrides: sets) } else {
                var root = ConfigNode.mapping([], .defaultValue)
                for s in sets { root = try ConfigDocument.applyOverride(s, to: root) }
                resolved = try ResolvedConfig(root)
            }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            var typed = try ExperimentConfig(resolved)
            if typed.threads == nil {
                let threads = ExperimentRun.threadsPerUnit(config: typed, jobs: jobs, cores: cores)
                resolved = try resolved.setting("threads", .int(threads), origin: .commandLine(argument: "auto: \(cores) cores / \(jobs) job(s)"))
                typed = try ExperimentConfig(resolved)
            }
            return typed
        } catch let e as ConfigError {
            throw ValidationError("config: " + e.description.replacingOccurrences(of: "\n", with: "\n  "))
        }
    }

    func run() throws {
        let typed = try resolvedConfig()
        let threads = typed.threads ?? 1
        let name = config.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "defaults"
        let dir = out ?? "runs/\(name)"
        var inputs = [NamedPath]()
        if let c = config { inputs.append(NamedPath("CONFIG", c)) }
        switch typed.data {
        case .directory(let d): inputs.append(NamedPath("data.dir", d))
        case let .smd(_, root, mirror):
            inputs.append(NamedPath("data.root", root))
            if let m = mirror { inputs.append(NamedPath("data.mirror", m)) }
        }
        try checkOutputs([], directories: [NamedPath("--out", dir)], inputs: inputs)
        let environment = RunEnvironment.current(vigilVersion: vigilVersion)
        let command = (["vigil"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let run = ExperimentRun(config: typed, directory: dir, threads: threads, environment: environment, command: command)
        do { try run.prepareDirectory() } catch let e as ExperimentError {
            if case .configMismatch = e { throw ValidationError(e.description) }
            throw e
        }
        printErr("run \(dir): config sha256 \(typed.sha256.prefix(12))…, models \(typed.models.map(\.rawValue).joined(separator: ", ")), \(jobs) job(s) × \(threads) thread(s)")

        let prep = try DataSource.prepare(typed, progress: StderrProgressBar())
        for u in prep.unavailable { printErr("unavailable: \(u.name): \(u.reason)") }
        guard !prep.units.isEmpty else { throw CLIError("no machine to run: \(prep.unavailable.map(\.name).joined(separator: ", ")) could not be installed") }

        let display = LiveUnitDisplay(total: prep.units.count)
        let executor: UnitExecutor
        if inProcess {
            executor = InProcessExecutor(job: run.job)
        } else {
            executor = ProcessPoolExecutor(jobs: jobs, arguments: { unit in ["run-unit", dir, "--unit", unit, "--threads", String(threads)] },
                                           logPath: { run.layout.log($0) })
        }
        let outcome = try run.run(units: prep.units, unavailable: prep.unavailable, selectedAll: prep.selectedAll,
                                  executor: executor, events: display)
        display.finish()
        print(RunConsole.summaryTable(outcome.summary))
        if !outcome.skipped.isEmpty { print("skipped (already complete): \(outcome.skipped.joined(separator: ", "))") }
        for (u, why) in outcome.summary.incomplete.sorted(by: { $0.key < $1.key }) { print("incomplete: \(u): \(why)") }
        print("report: \(run.layout.reportHTML)")
        print("        \(run.layout.reportMarkdown)")
        if !outcome.succeeded { throw CLIError(RunConsole.failures(outcome)) }
    }
}

/// `vigil run-unit DIR --unit NAME`: one unit of a run, in a child process of `vigil run` (hidden).
struct RunUnit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-unit", abstract: "Run one machine of a run directory (used by `vigil run --jobs`).", shouldDisplay: false)

    @Argument(help: "Run directory (holds run.json and config.yaml).")
    var directory: String

    @Option(help: "Machine (unit) to run.")
    var unit: String

    @Option(help: "Worker threads.")
    var threads: Int

    func run() throws {
        ParentWatch.dieWithParent()
        let layout = RunLayout(root: directory)
        let manifest = try ExperimentRun.readManifest(layout)
        let config = try ExperimentConfig(try ResolvedConfig.load(path: layout.resolvedConfig))
        guard config.sha256 == manifest.configSHA256 else {
            throw CLIError("\(layout.resolvedConfig) does not match run.json (config sha256 differs)")
        }
        let job = MachineJob(name: unit, config: config, threads: threads, runDirectory: directory,
                             environment: RunEnvironment.current(vigilVersion: vigilVersion), command: manifest.command)
        let events = JSONLineUnitEvents()
        do {
            try MachineRunner.run(job, events: events)
        } catch {
            events.send(UnitEvent(unit: unit, kind: .failed, detail: String(describing: error)))
            throw error
        }
    }
}

/// Quoting of values put into `--set` arguments.
enum ConfigQuoting {
    /// A YAML double-quoted string (so paths with `:` or spaces stay strings).
    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// The run's final table on standard output.
enum RunConsole {
    /// The closing error of a run that did not fully succeed: which machines are incomplete and which models failed.
    static func failures(_ o: ExperimentRun.Outcome) -> String {
        var parts: [String] = []
        let total = o.summary.machines.count + o.summary.incomplete.count
        if !o.summary.incomplete.isEmpty {
            parts.append("\(o.summary.incomplete.count) of \(total) machine(s) incomplete: "
                         + o.summary.incomplete.sorted { naturalOrder($0.key, $1.key) }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
        }
        let failed = o.summary.machines.flatMap { row in row.failures.sorted { $0.key < $1.key }.map { "\(row.machine)/\($0.key): \($0.value)" } }
        if !failed.isEmpty { parts.append("\(failed.count) model run(s) failed: " + failed.joined(separator: "; ")) }
        return parts.joined(separator: "\n") + "\nre-run the same command to retry the incomplete machines (complete ones are skipped)"
    }

    static func summaryTable(_ s: RunSummary) -> String {
        func f(_ a: Aggregate?) -> String {
            guard let a, let m = a.mean else { return "n/a" }
            return String(format: "%.3f", m) + (a.std.map { String(format: " ± %.3f", $0) } ?? "")
        }
        let width = max(6, (s.models.map(\.count).max() ?? 0) + 2)
        var out = "mean ± std over \(s.machines.count) machine(s); F1 and alarm rate at the exported threshold; ORACLE: tuned on test labels (an upper bound)\n"
        out += "model".padding(toLength: width, withPad: " ", startingAt: 0)
        out += ["VUS-PR", "PR-AUC", "ROC-AUC", "F1", "alarm rate", "ORACLE F1"].map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined() + "\n"
        for m in s.models {
            let a = s.overMachines[m] ?? [:]
            let cols = [f(a["vus_pr"]), f(a["pr_auc"]), f(a["roc_auc"]), f(a["pw_f1"]), f(a["alarm_rate"]), f(s.oracleOverMachines[m]?["pw_f1"])]
            out += m.padding(toLength: width, withPad: " ", startingAt: 0) + cols.map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined() + "\n"
        }
        return out
    }

}
