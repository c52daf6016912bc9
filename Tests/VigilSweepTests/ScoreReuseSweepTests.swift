import Foundation
import VigilConfig
import VigilExperiments
import VigilResults
import VigilTestSupport
import XCTest
@testable import VigilSweep

/// Sweeps over evaluation keys re-evaluate stored scores instead of fitting again (issue 15).
final class ScoreReuseSweepTests: XCTestCase {
    func testTrialsThatOnlyChangeEvaluationKeysReuseTheFirstTrialsScores() throws {
        let fx = try RunFixture()
        let p = try writeSweep(fx, """
        machines: [machine-1-1]
        models: [iforest]
        grid:
          transform.smooth: [none, moving_average]
          calibration.validation_percentile: [99.0, 95.0]
        """)
        let dir = fx.root + "/sweep"
        let spec = try SweepSpec.load(path: p)
        let out = try SweepRun.run(spec, directory: dir, threads: 1, vigilVersion: "test",
                                   executor: SweepRun.inProcess(directory: dir, environment: RunFixture.environment), events: SilentUnitEvents())
        XCTAssertEqual(out.status.done.count, 4)
        let layout = SweepLayout(root: dir)
        let first = layout.trial(out.plan.trials[0].id)
        XCTAssertTrue(FileManager.default.fileExists(atPath: first + "/scores/iforest.h5"))
        for t in out.plan.trials.dropFirst() {
            let unit = layout.trial(t.id)
            XCTAssertFalse(FileManager.default.fileExists(atPath: unit + "/scores/iforest.h5"), "trial \(t.index) stores no copy")
            XCTAssertEqual(ScoreReuse.identity(of: unit)?.computedIn["iforest"], first)
            XCTAssertEqual(ScoreReuse.scoreFile(model: "iforest", unit: unit), first + "/scores/iforest.h5")
            let m = try JSONOutput.decode(MachineMetrics.self, from: try Data(contentsOf: URL(fileURLWithPath: unit + "/metrics.json")))
            XCTAssertTrue(m.models["iforest"]?.exportRefused?.contains("scores reused") ?? false)
        }
        // the evaluation keys did change the results: smoothing changes the test VUS-PR, the percentile the threshold
        let results = try out.plan.trials.map { t in
            try JSONOutput.decode(TrialResult.self, from: try Data(contentsOf: URL(fileURLWithPath: layout.trial(t.id) + "/result.json")))
        }
        XCTAssertNotEqual(results[0].models["iforest"]?.test["vus_pr"] ?? nil, results[2].models["iforest"]?.test["vus_pr"] ?? nil)
        XCTAssertEqual(out.plan.points.count, 4)
    }

    func testScoresFromARunAreReusedByEveryTrial() throws {
        let fx = try RunFixture()
        let run = fx.root + "/run"
        _ = try fx.run(try fx.config(), into: run, overrides: ["data.machines=[machine-1-1]", "models=[iforest]", "validation.fraction=0.2"])
        let p = try writeSweep(fx, """
        machines: [machine-1-1]
        models: [iforest]
        grid:
          transform.smooth: [ewma]
        sweep:
          scores_from: \(run)
        """)
        let dir = fx.root + "/sweep"
        let out = try SweepRun.run(try SweepSpec.load(path: p), directory: dir, threads: 1, vigilVersion: "test",
                                   executor: SweepRun.inProcess(directory: dir, environment: RunFixture.environment), events: SilentUnitEvents())
        XCTAssertEqual(out.plan.scoresFrom, run)
        let unit = SweepLayout(root: dir).trial(out.plan.trials[0].id)
        XCTAssertEqual(ScoreReuse.identity(of: unit)?.computedIn["iforest"], RunLayout(root: run).machine("machine-1-1"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: unit + "/scores/iforest.h5"))
        // a bad value is refused with its place
        let bad = try writeSweep(fx, "sweep:\n  scores_from: 3\n")
        XCTAssertThrowsError(try SweepSpec.load(path: bad)) { XCTAssertTrue("\($0)".contains("sweep.scores_from"), "\($0)") }
    }
}
