import ArgumentParser
import Foundation
import VigilData
import VigilIO
import VigilTranAD

/// `vigil score`: reloads a TranAD checkpoint and writes per-row (and optionally per-dimension) scores.
public struct Score: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a matrix with a saved TranAD checkpoint.",
        discussion: """
        Reads a matrix (text with comma- or whitespace-separated rows, plain or .gz, or .npy) with the \
        columns the checkpoint was trained on, applies the checkpoint's min-max normalisation if it has \
        one, and writes one score per row (the mean over dimensions of the per-dimension score) to --out. \
        With --per-dimension FILE it also writes the rows × F per-dimension scores, comma-separated.

        Score, window alignment and precision are the checkpoint's (see `vigil train --help`). With \
        alignment "reference", row i's score comes from the window ending at row i-1, as in the \
        reference code.

        Outputs are checked before any work (not an input, not each other, regular files only) and written \
        atomically. A non-finite score (values too large for the model) is an error naming the row. A \
        checkpoint whose datasets or configuration do not match their stored sha256 is refused, naming the \
        damaged dataset.
        """
    )

    @Option(help: "Checkpoint written by `vigil train` (HDF5).")
    var checkpoint: String

    @Option(help: "Matrix to score (text).")
    var input: String

    @Option(help: "Output file: one score per row.")
    var out: String

    @Option(help: "Optional output file for per-dimension scores (rows × F, comma-separated).")
    var perDimension: String?

    @Option(help: "Override the checkpoint's scoring: phase2_only or averaged.")
    var scoring: String?

    @OptionGroup(title: "Threads (scores do not depend on them)")
    var threadOptions: ThreadOptions

    public func validate() throws {
        if let s = scoring, TranADScoring(rawValue: s) == nil { throw ValidationError("--scoring must be phase2_only or averaged, got '\(s)'") }
    }

    public func run() throws {
        let threads = threadOptions.count
        try checkOutputs([NamedPath("--out", out)] + (perDimension.map { [NamedPath("--per-dimension", $0)] } ?? []),
                         inputs: [NamedPath("--checkpoint", checkpoint), NamedPath("--input", input)])
        var (trainer, normMin, normMax) = try TranADCheckpoint.load(path: checkpoint, workers: threads)
        if let s = scoring {
            guard let sc = TranADScoring(rawValue: s) else { throw ValidationError("--scoring must be phase2_only or averaged, got '\(s)'") }
            if sc != trainer.config.scoring {
                var c = trainer.config
                c.scoring = sc
                let values = Dictionary(uniqueKeysWithValues: trainer.exportParameters().map { ($0.name, $0.values) })
                let t = try TranADTrainer(features: trainer.features, config: c, workers: threads)
                try t.loadParameters(values)
                trainer = t
            }
        }
        var raw = try MatrixFile.read(input)
        guard raw.cols == trainer.features else {
            throw CLIError("\(input) has \(raw.cols) columns but the checkpoint was trained on \(trainer.features)")
        }
        if let lo = normMin, let hi = normMax { raw = MinMaxNormalizer(min: lo, max: hi).apply(raw) }
        let m = raw
        let start = Date()
        let scores = try trainer.score(m)
        try writeColumn(scores.rowMeans, to: out)
        if let pd = perDimension {
            var s = ""
            for r in 0..<scores.rows {
                s += (0..<scores.cols).map { "\(scores[r, $0])" }.joined(separator: ",") + "\n"
            }
            try AtomicFile.write(s, to: pd)
        }
        let secs = String(format: "%.2f", Date().timeIntervalSince(start))
        printErr("vigil score: \(m.rows) rows scored in \(secs) s (\(trainer.config.scoring.rawValue), alignment \(trainer.config.alignment.rawValue))")
    }
}
