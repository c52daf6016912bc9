import ArgumentParser

/// The `vigil` command line: benchmarks, data, training, scoring and thresholds.
@main
struct Vigil: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Multivariate time-series anomaly detection: TranAD, Isolation Forest, POT thresholds, metrics.",
        discussion: """
        Typical flow on the Server Machine Dataset:
          vigil data download smd --machines machine-2-1 --mirror ../shared/datasets/SMD
          vigil train --machine machine-2-1
          vigil pot --calibration train_scores.txt --stream test_scores.txt --json
        Every subcommand has its own --help.
        """,
        version: vigilVersion,
        subcommands: [Evaluate.self, DataCommand.self, Train.self, Score.self, Pot.self, Bench.self]
    )
}

/// Vigil's release version, printed by `vigil --version`.
let vigilVersion = "0.1.0"
