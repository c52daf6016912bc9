import ArgumentParser

/// The `vigil` command line: benchmarks, data, training, scoring and thresholds.
public struct Vigil: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Multivariate time-series anomaly detection: TranAD, Isolation Forest, POT thresholds, metrics.",
        discussion: """
        The whole job on one SMD machine (install, train, score, thresholds, metrics, report, export):
          vigil evaluate --machine machine-2-1 --mirror ../shared/datasets/SMD
        Step by step:
          vigil data download smd --machines machine-2-1 --mirror ../shared/datasets/SMD
          vigil train --train datasets/SMD/train/machine-2-1.txt --normalize minmax --out m21.h5
          vigil score --checkpoint m21.h5 --input datasets/SMD/train/machine-2-1.txt --out train.txt
          vigil score --checkpoint m21.h5 --input datasets/SMD/test/machine-2-1.txt --out test.txt
          vigil pot --calibration train.txt --stream test.txt --json
        Every subcommand has its own --help.
        """,
        version: vigilVersion,
        subcommands: [Evaluate.self, DataCommand.self, Train.self, Score.self, Pot.self, Bench.self]
    )
}

/// Vigil's release version, printed by `vigil --version`.
public let vigilVersion = "0.1.0"
