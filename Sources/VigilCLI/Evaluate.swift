import ArgumentParser
import Foundation
import VigilExperiments

/// `vigil evaluate RUN-DIR`: re-evaluate a finished run from its stored scores (no retraining).
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Recompute calibrations, metrics, summary and reports of a finished run from its stored scores.",
        discussion: """
        Reads RUN-DIR (written by `vigil run`): the resolved config (config.yaml), and for every complete machine its \
        stored scores (scores/<model>.h5) and test labels (labels.h5). Recomputes every calibration and metric with \
        the current Vigil and rewrites each machine's metrics.json and report.md, then summary.json, report.md and \
        report.html. Nothing is retrained; on an untouched run every metrics.json is reproduced byte for byte.

        To train and evaluate, use `vigil run` (e.g. `vigil run experiments/smd-default.yaml --machines machine-2-1`).
        """)

    @Argument(help: "A run directory written by `vigil run`.")
    var runDirectory: String

    func run() throws {
        let outcome = try Reevaluation.run(directory: runDirectory)
        for (m, changed) in outcome.machines { print("\(m): metrics.json \(changed ? "updated" : "unchanged")") }
        print(RunConsole.summaryTable(outcome.summary))
        for f in outcome.files { print("wrote \(f)") }
    }
}
