import ArgumentParser

/// The `vigil` command line: benchmarks, data, training, scoring and thresholds.
public struct Vigil: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Multivariate time-series anomaly detection: TranAD, Isolation Forest, POT thresholds, metrics.",
        discussion: """
        An experiment over SMD machines (install, train, score, thresholds, metrics, reports, exports):
          vigil run experiments/smd-default.yaml --machines all --mirror ../shared/datasets/SMD --jobs 2
          vigil run --machines machine-2-1 --mirror ../shared/datasets/SMD      (the defaults, one machine)
          vigil evaluate runs/smd-default                                        (re-evaluate stored scores)
          vigil sweep experiments/sweeps/tranad-epochs-lr.yaml --jobs 2         (search, selected without test labels)
        Serving (the bundle a PyTorch/FastAPI service loads, and its scoring offline):
          vigil export runs/smd-default/machine-3-2 --out models/tranad/machine-3-2
          vigil score --model models/tranad/machine-3-2 --input request.json    (prints the service's JSON)
        Step by step, on one matrix:
          vigil data download smd --machines machine-2-1 --mirror ../shared/datasets/SMD
          vigil train --train datasets/SMD/train/machine-2-1.txt --normalize minmax --out m21.h5
          vigil score --checkpoint m21.h5 --input datasets/SMD/train/machine-2-1.txt --out train.txt
          vigil score --checkpoint m21.h5 --input datasets/SMD/test/machine-2-1.txt --out test.txt
          vigil pot --calibration train.txt --stream test.txt --json
        Every subcommand has its own --help.
        """,
        version: vigilVersion,
        subcommands: [Run.self, SweepCommand.self, Evaluate.self, ConfigCommand.self, DataCommand.self, Train.self, Score.self, ExportCommand.self, Pot.self, Bench.self, RunUnit.self]
    )
}

/// Vigil's release version, printed by `vigil --version`.
public let vigilVersion = "0.1.0"
