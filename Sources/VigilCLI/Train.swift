import ArgumentParser
import Foundation
import VigilData
import VigilIO
import VigilTranAD

/// `vigil train`: trains TranAD on a text matrix and saves an HDF5 checkpoint.
public struct Train: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train TranAD on a training matrix and save a checkpoint.",
        discussion: """
        Reads a matrix: a text file with one row per line, values separated by commas (the SMD \
        machine-X-Y.txt format) or by spaces/tabs, plain or gzip-compressed (.gz), or a NumPy .npy file.

        TranAD expects values in [0, 1]. --normalize minmax applies (x - min)/(max - min + 1e-4) with the \
        training matrix's per-column min and max (stored in the checkpoint and reapplied by `vigil score`).

        The model and every quirk of the reference code (imperial-qore/TranAD) are options; the defaults \
        are the reference's except --alignment, which defaults to inclusive (the window of row i ends at \
        row i). Progress with the running loss goes to stderr; the per-epoch losses go to stdout.

        Checkpoint (HDF5): one dataset per parameter named by its PyTorch state_dict key (e.g. \
        /transformer_encoder.layers.0.self_attn.in_proj_weight), root attributes format = "vigil-tranad", \
        version, features, parameter_count, config_json, history_json, threads and one per option; with \
        --normalize also /normalization/min and /normalization/max.

        With --test, the test matrix is scored after training and its per-row scores (mean over \
        dimensions) are written to --test-scores (default <out>.test-scores.txt).

        Before any work, outputs are checked: none may be an input (or the other output), a FIFO, a device or a \
        directory; a symbolic link is written through to its target. Every file is written to a temporary file \
        beside it, flushed to disk and renamed into place, so an interrupted run never leaves a partial file. A \
        non-finite score (input values too large for the model) is an error naming the row.
        """
    )

    @Option(help: "Training matrix (text: rows of comma/whitespace-separated numbers).")
    var train: String

    @Option(help: "Optional test matrix to score after training.")
    var test: String?

    @Option(help: "Where to write per-row test scores (one per line) when --test is given.")
    var testScores: String?

    @Option(help: "Checkpoint path to write (HDF5).")
    var out: String = "tranad-checkpoint.h5"

    @OptionGroup(title: "TranAD model and training")
    var model: TranADOptions

    @Option(help: "Normalisation of the training matrix: none (default) or minmax.")
    var normalize: String = "none"

    @OptionGroup(title: "Threads")
    var threadOptions: ThreadOptions

    public func validate() throws {
        guard ["none", "minmax"].contains(normalize) else { throw ValidationError("--normalize must be none or minmax, got '\(normalize)'") }
    }

    public func run() throws {
        let config = try model.makeConfig()
        let threads = threadOptions.count
        let scoresPath = test.map { _ in testScores ?? out + ".test-scores.txt" }
        try checkOutputs([NamedPath("--out", out)] + (scoresPath.map { [NamedPath("--test-scores", $0)] } ?? []),
                         inputs: [NamedPath("--train", train)] + (test.map { [NamedPath("--test", $0)] } ?? []))
        var raw = try MatrixFile.read(train)
        var testRaw = try test.map { try MatrixFile.read($0) }   // read before training: a bad --test fails early
        if let t = testRaw, let p = test, t.cols != raw.cols {
            throw CLIError("\(p) has \(t.cols) columns but \(train) has \(raw.cols); give test data with the training columns")
        }
        var stats: MinMaxNormalizer?
        if normalize == "minmax" {
            let s = MinMaxNormalizer(fitting: raw)
            try s.checkScalable(file: train)
            raw = s.apply(raw)
            testRaw = testRaw.map { s.apply($0) }
            stats = s
        }
        let matrix = raw
        let trainer: TranADTrainer
        do { trainer = try TranADTrainer(features: matrix.cols, config: config, workers: threads) } catch let e as TranADConfigError {
            throw ValidationError(e.description)
        }
        if config.window > matrix.rows {
            printErr("warning: --window \(config.window) is longer than the \(matrix.rows) training rows; every window starts with copies of row 0 (the reference's padding)")
        }
        printErr("vigil train: \(matrix.rows) rows × \(matrix.cols) features from \(train); \(config.precision.rawValue), alignment \(config.alignment.rawValue), \(config.epochs) epochs")
        let bar = LineProgress()
        let reports = try trainer.train(on: matrix) { p in
            bar.update("epoch \(p.epoch)/\(p.epochs)", done: p.batch, total: p.batches,
                       suffix: String(format: "loss %.6f", p.meanLoss), finished: p.batch == p.batches)
        }
        for r in reports {
            print(String(format: "epoch %d  loss %.8f  lr %.3g  %.2f s", r.epoch, r.meanLoss, r.learningRate, r.seconds))
        }
        try TranADCheckpoint.save(trainer, normMin: stats?.min, normMax: stats?.max, to: out)
        print("checkpoint: \(out)")
        if let raw = testRaw, let path = scoresPath {
            let scores = try trainer.score(raw)
            try writeColumn(scores.rowMeans, to: path)
            print("test scores (\(raw.rows) rows, mean over dimensions, alignment \(config.alignment.rawValue)): \(path)")
        }
    }
}

