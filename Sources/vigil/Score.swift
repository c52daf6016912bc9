import ArgumentParser
import Foundation
import VigilData
import VigilTensor
import VigilTranAD

/// `vigil score`: reloads a TranAD checkpoint and writes per-row (and optionally per-dimension) scores.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
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

    @Option(help: "Worker threads (default: all cores); scores do not depend on it.")
    var threads: Int?

    func run() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        var (trainer, normMin, normMax) = try TranADCheckpoint.load(path: checkpoint, workers: threads)
        if let s = scoring {
            guard let sc = TranADScoring(rawValue: s) else { throw ValidationError("--scoring must be phase2_only or averaged, got '\(s)'") }
            if sc != trainer.config.scoring {
                var c = trainer.config
                c.scoring = sc
                let values = Dictionary(uniqueKeysWithValues: trainer.exportParameters().map { ($0.name, $0.values) })
                let t = TranADTrainer(features: trainer.features, config: c, workers: threads)
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
            try s.write(toFile: pd, atomically: true, encoding: .utf8)
        }
        let secs = String(format: "%.2f", Date().timeIntervalSince(start))
        FileHandle.standardError.write("vigil score: \(m.rows) rows scored in \(secs) s (\(trainer.config.scoring.rawValue), alignment \(trainer.config.alignment.rawValue))\n".data(using: .utf8)!)
    }
}
