import Foundation
import VigilConfig
import VigilExperiments
import VigilResults
import VigilTestSupport
import XCTest
@testable import VigilSweep

/// A sweep file over the run fixture (base config written next to it).
func writeSweep(_ fx: RunFixture, _ body: String) throws -> String {
    let base = try fx.config()
    let path = fx.root + "/sweep-\(UUID().uuidString).yaml"
    try "base: \((base as NSString).lastPathComponent)\n\(body)".write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Stops after `limit` units, leaving a stale staging directory behind as a killed trial would.
struct KilledAfter: UnitExecutor {
    let inner: UnitExecutor
    let limit: Int
    let directory: String
    func execute(_ units: [String], events: UnitEventSink) -> [String: UnitResult] {
        let done = inner.execute(Array(units.prefix(limit)), events: events)
        if units.count > limit {
            try? FileManager.default.createDirectory(atPath: directory + "/trials/.\(units[limit]).deadhost.999999.1.staging",
                                                     withIntermediateDirectories: true)
        }
        return done
    }
}

final class SweepSpecTests: XCTestCase {
    func messages(_ body: () throws -> Any) -> [String] {
        do { _ = try body(); return [] } catch let e as ConfigError { return e.problems.map(\.description) } catch { return ["\(error)"] }
    }

    func testGridAndRandomExpandDeterministically() throws {
        let fx = try RunFixture()
        let p = try writeSweep(fx, """
        machines: [machine-1-1]
        models: [iforest]
        grid:
          iforest.trees: [10, 20]
          tranad.epochs: [1, 2, 3]
        random:
          n: 3
          seed: 5
          space:
            tranad.dropout: {uniform: [0.0, 0.3]}
            calibration.pot.level: {log_uniform: [0.98, 0.999]}
            tranad.window: {int_uniform: [3, 8]}
        """)
        let spec = try SweepSpec.load(path: p)
        XCTAssertEqual(spec.sweptKeys, ["iforest.trees", "tranad.epochs", "tranad.dropout", "calibration.pot.level", "tranad.window"])
        XCTAssertEqual(spec.validationFraction, 0.2)
        XCTAssertEqual(spec.base["validation.fraction"], .double(0.2))
        XCTAssertEqual(spec.base["data.machines"], .list([.string("machine-1-1")]))
        let points = try spec.points()
        XCTAssertEqual(points.count, 6 + 3)
        // grid: first key varies slowest
        XCTAssertEqual(points[0..<6].map { [$0.config.iforest.nEstimators, $0.config.tranad.epochs] },
                       [[10, 1], [10, 2], [10, 3], [20, 1], [20, 2], [20, 3]])
        // random points keep the base grid values and fall inside their ranges
        for p in points[6...] {
            XCTAssertEqual(p.config.iforest.nEstimators, 20)
            XCTAssertTrue((0.0...0.3).contains(p.config.tranad.dropout))
            XCTAssertTrue((0.98...0.999).contains(p.config.calibration.pot.level))
            XCTAssertTrue((3...8).contains(p.config.tranad.window))
        }
        let again = try SweepSpec.load(path: p).points()
        XCTAssertEqual(again.map(\.config.sha256), points.map(\.config.sha256))
        XCTAssertEqual(Set(points.map(\.config.sha256)).count, points.count)
    }

    func testSweepFileErrorsNameTheirPlace() throws {
        let fx = try RunFixture()
        let p = try writeSweep(fx, """
        grid:
          tranad.epochz: [1, 2]
          tranad.lr: [0.001, -1]
          data.mirror: [a]
        random:
          n: 2
          space:
            tranad.epochs: {uniform: [1, 5]}
            tranad.dropout: {gaussian: [0, 1]}
        sweep:
          validation: 0.9
        """)
        XCTAssertEqual(messages { try SweepSpec.load(path: p) }, [
            "\(p):3:3: grid.tranad.epochz: not a config key (did you mean tranad.epochs?)",
            "\(p):4:22: grid.tranad.lr[1]: expected number in (0.0, 10.0], got -1 (out of range)",
            "\(p):5:3: grid.data.mirror: data.mirror says where data comes from, not what is computed; it cannot be swept (machines are the sweep's other axis)",
            "\(p):9:21: random.space.tranad.epochs: uniform draws numbers but tranad.epochs takes integer 1…100000 (use int_uniform)",
            "\(p):10:22: random.space.tranad.dropout: unknown distribution 'gaussian' (uniform, log_uniform, int_uniform, choice)",
            "\(p):12:15: sweep.validation: expected a number in (0.0, 0.5], got 0.9 (selection needs a validation block)",
        ])
        let q = try writeSweep(fx, "models: [iforest]\n")
        XCTAssertEqual(messages { try SweepSpec.load(path: q) }, ["\(q):1:1: a sweep needs a `grid` or a `random` section"])
    }
}

final class SweepRunTests: XCTestCase {
    func testKilledSweepResumesRunningEveryTrialExactlyOnceAndCollectsPartialResults() throws {
        let fx = try RunFixture()
        let p = try writeSweep(fx, """
        models: [iforest]
        grid:
          iforest.trees: [5, 15]
          iforest.samples: [64, 128]
        """)
        let spec = try SweepSpec.load(path: p)
        let dir = fx.root + "/sweep"
        let computed = RecordingUnitEvents()
        // first run: "killed" after 3 of the 8 trials
        let first = try SweepRun.run(spec, directory: dir, threads: 1, vigilVersion: "test", executor: { plan in
            KilledAfter(inner: SweepRun.inProcess(directory: dir, environment: RunFixture.environment)(plan), limit: 3, directory: dir)
        }, events: computed)
        XCTAssertEqual(first.plan.trials.count, 8)
        XCTAssertEqual(first.status.done.count, 3)
        XCTAssertEqual(first.status.pending.count, 5)
        XCTAssertEqual(first.collect.selection.completeTrials, 3, "collect works on a partial sweep")
        let layout = SweepLayout(root: dir)
        let kept = first.plan.trials.prefix(3).map { fx.file(layout.trial($0.id), "result.json") }

        // the same command again finishes the rest
        let second = try SweepRun.run(spec, directory: dir, threads: 1, vigilVersion: "test",
                                      executor: SweepRun.inProcess(directory: dir, environment: RunFixture.environment), events: computed)
        XCTAssertEqual(second.skipped, 3)
        XCTAssertEqual(second.status.done.count, 8)
        XCTAssertEqual(second.status.pending, [])
        XCTAssertEqual(first.plan.trials.prefix(3).map { fx.file(layout.trial($0.id), "result.json") }, kept, "finished trials untouched")
        let completions = computed.events.filter { $0.kind == .completed }.map(\.unit)
        XCTAssertEqual(completions.count, 8, "every trial computed once")
        XCTAssertEqual(Set(completions), Set(first.plan.trials.map(\.id)))
        // a third run computes nothing
        let third = try SweepRun.run(spec, directory: dir, threads: 1, vigilVersion: "test",
                                     executor: SweepRun.inProcess(directory: dir, environment: RunFixture.environment), events: computed)
        XCTAssertEqual(third.skipped, 8)
        XCTAssertEqual(computed.events.filter { $0.kind == .completed }.count, 8)
        // nothing half-written is left in trials/ (the killed trial's staging directory was of a dead process)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: layout.trials).filter { $0.hasPrefix(".") && !$0.contains("deadhost") }
        XCTAssertEqual(leftovers, [])

        // trial results record the trial, the swept values, the validation selection score and the test metrics
        let t0 = first.plan.trials[0]
        let r = try JSONOutput.decode(TrialResult.self, from: fx.file(layout.trial(t0.id), "result.json"))
        XCTAssertEqual(r.trial, t0.id)
        XCTAssertEqual(r.machine, t0.machine)
        XCTAssertEqual(r.swept["iforest.trees"], .int(5))
        XCTAssertEqual(r.execution.executor, "in_process")
        let m = try XCTUnwrap(r.models["iforest"])
        XCTAssertEqual(m.selectionScore, m.validation?.vusPR)
        XCTAssertNotNil(m.test["vus_pr"] ?? nil)
        XCTAssertEqual(m.validation?.rows, 64, "20% of the 320 training rows")

        // leaderboard: one row per trial and model, the swept columns, selection and test metrics
        let csv = String(decoding: fx.file(dir, "leaderboard.csv"), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 8)
        XCTAssertTrue(csv[0].hasPrefix("trial,machine,point,model,iforest.trees,iforest.samples,selection_score,"), String(csv[0]))
        // the choice per machine is the best selection score; the ORACLE's the best test VUS-PR
        let sel = third.collect.selection.models[0]
        XCTAssertEqual(sel.perMachine.count, 2)
        let board = Leaderboard(plan: third.plan, results: Dictionary(uniqueKeysWithValues: third.plan.trials.map {
            ($0.index, try! JSONOutput.decode(TrialResult.self, from: fx.file(layout.trial($0.id), "result.json")))
        }))
        for pair in sel.perMachine {
            let rows = board.rows.filter { $0.machine == pair.machine }
            XCTAssertEqual(pair.selected.selectionScore, rows.compactMap(\.selectionScore).max())
            XCTAssertEqual(pair.oracle.test["vus_pr"] ?? nil, rows.compactMap { $0.test["vus_pr"] ?? nil }.max())
        }
        XCTAssertNotNil(sel.overall)
        let html = String(decoding: fx.file(dir, "report.html"), as: UTF8.self)
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertTrue(html.contains("ORACLE"))
    }

    func testRunTrialRejectsAnOutOfRangeIndexAndIsIdempotent() throws {
        let fx = try RunFixture()
        let p = try writeSweep(fx, "models: [iforest]\nmachines: [machine-1-1]\ngrid: {iforest.trees: [5]}\n")
        let dir = fx.root + "/sweep"
        _ = try SweepRun.run(try SweepSpec.load(path: p), directory: dir, threads: 1, vigilVersion: "test",
                             executor: SweepRun.inProcess(directory: dir, environment: RunFixture.environment), events: SilentUnitEvents())
        XCTAssertThrowsError(try TrialRunner.run(directory: dir, index: 1, executor: "local", environment: RunFixture.environment,
                                                 events: SilentUnitEvents())) {
            XCTAssertEqual($0 as? SweepError, .indexOutOfRange(index: 1, count: 1, directory: dir))
        }
        XCTAssertEqual(try TrialRunner.run(directory: dir, index: 0, executor: "local", environment: RunFixture.environment,
                                           events: SilentUnitEvents()), .alreadyComplete)
    }

    func testSpearman() {
        XCTAssertEqual(SweepCollect.spearman([1, 2, 3, 4], [10, 20, 30, 40])!, 1, accuracy: 1e-12)
        XCTAssertEqual(SweepCollect.spearman([1, 2, 3, 4], [4, 3, 2, 1])!, -1, accuracy: 1e-12)
        // ties take average ranks: x ranks (1.5, 1.5, 3), y ranks (1, 2, 3) → r = 0.866…
        XCTAssertEqual(SweepCollect.spearman([1, 1, 2], [1, 2, 3])!, 3.0.squareRoot() / 2, accuracy: 1e-12)
        XCTAssertNil(SweepCollect.spearman([1, 2], [1, 2]))
        XCTAssertNil(SweepCollect.spearman([1, 1, 1], [1, 2, 3]))
    }
}

final class SlurmTests: XCTestCase {
    func testArraySpecScriptAndQueueParsing() throws {
        XCTAssertEqual(SlurmExecutor.arraySpec([8, 0, 1, 2, 5, 7], maxParallel: nil), "0-2,5,7-8")
        XCTAssertEqual(SlurmExecutor.arraySpec([3], maxParallel: 4), "3%4")
        let s = SlurmExecutor.script(directory: "/data/sw", indices: [0, 1, 3], options: SlurmOptions(partition: "gpu", time: "01:00:00", cpusPerTask: 4, mem: "8G", maxParallel: 2),
                                     vigil: "/opt/vigil's/vigil", workingDirectory: "/home/me/proj")
        XCTAssertTrue(s.contains("#SBATCH --array=0-1,3%2\n"))
        XCTAssertTrue(s.contains("#SBATCH --cpus-per-task=4\n#SBATCH --ntasks=1\n#SBATCH --partition=gpu\n#SBATCH --time=01:00:00\n#SBATCH --mem=8G\n"))
        XCTAssertTrue(s.contains("#SBATCH --chdir=/home/me/proj\n"))
        XCTAssertTrue(s.contains("#SBATCH --output=/data/sw/logs/slurm-%A_%a.out\n#SBATCH --error=/data/sw/logs/slurm-%A_%a.err\n"))
        XCTAssertTrue(s.hasSuffix("exec '/opt/vigil'\\''s/vigil' sweep run-trial '/data/sw' --index \"$SLURM_ARRAY_TASK_ID\" --executor slurm\n"), s)
        XCTAssertEqual(SlurmExecutor.parseSqueue("12_0 RUNNING\n12_3 PENDING\n12_4 COMPLETED\nbogus\n13_1 CONFIGURING\n"), [0, 3, 1])
    }

    func testOptionsAreChecked() {
        XCTAssertNoThrow(try SlurmOptions(time: "2-03:00:00", mem: "500M").validate())
        XCTAssertThrowsError(try SlurmOptions(time: "90 minutes").validate()) {
            XCTAssertEqual($0 as? SweepError, .executor("--time must be HH:MM:SS or D-HH:MM:SS, got '90 minutes'"))
        }
        XCTAssertThrowsError(try SlurmOptions(mem: "lots").validate())
        XCTAssertThrowsError(try SlurmOptions(cpusPerTask: 0).validate())
        XCTAssertThrowsError(try SlurmOptions(maxParallel: 0).validate())
        XCTAssertThrowsError(try SlurmOptions(partition: "a b").validate())
    }

    func testDryRunWritesAndRecordsNothing() throws {
        let dir = NSTemporaryDirectory() + "vigil-slurm-dry-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try SlurmExecutor.submit(directory: dir, indices: [0, 1], options: SlurmOptions(), vigil: "/bin/vigil", dryRun: true)
        XCTAssertNil(r.submission)
        XCTAssertEqual(r.command.prefix(2), ["sbatch", "--parsable"])
        XCTAssertTrue(r.script.contains("--array=0-1\n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir))
    }
}
