import ArgumentParser
import Foundation
import VigilData
import VigilExport
import VigilIO
import VigilResults
import VigilTranAD

/// `vigil score`: with `--model DIR`, the serving component's scoring of an exported bundle as JSON on standard
/// output; with `--checkpoint FILE`, per-row (and per-dimension) scores of a `vigil train` checkpoint into files.
public struct Score: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score rows with an exported model (JSON, the serving contract) or a TranAD checkpoint (score files).",
        discussion: """
        vigil score --model DIR --input FILE [--include-per-timestep] [--scoring-mode phase2_only|averaged] \
        [--no-attribution] [--store-id N --device-id M]
          DIR is an export (RUN-DIR/<machine>/export/<model> of `vigil run`, or the --out of `vigil export`); nothing \
        else is read. FILE holds raw (unnormalized) rows: comma- or whitespace-separated text (plain or .gz), .npy, \
        or the service's JSON request {"data": [[…], …]} (its store_id, device_id, include_per_timestep, scoring_mode \
        and timestamps fields are honoured; options win over them). Every file of DIR is checked against \
        checksums.sha256 and model.h5's seal first. The rows are scaled with norm_params.npy, scored, a row is \
        anomalous when its 1-D score is greater than the exported threshold, and each maximal run of anomalous rows \
        is a segment attributed to the dimensions whose scores rose most above their training baselines. The JSON \
        (n_timesteps, n_features, threshold, n_anomalies, anomaly_ratio, anomaly_segments, per_timestep, \
        scoring_mode, threshold_method[, store_id, device_id]) is printed on standard output; README "Serving" \
        describes every field. Bad input (fewer rows than the window, another feature count, NaN/Inf) or a missing \
        or damaged export file: an error naming it on standard error, exit status 1, nothing on standard output.

        vigil score --checkpoint FILE --input FILE --out FILE [--per-dimension FILE] [--scoring-mode …]
          Reads a matrix (text with comma- or whitespace-separated rows, plain or .gz, or .npy) with the columns the \
        checkpoint was trained on, applies the checkpoint's min-max normalisation if it has one, and writes one \
        score per row (the mean over dimensions of the per-dimension score) to --out; --per-dimension FILE also \
        writes the rows × F per-dimension scores, comma-separated. An exported model.h5 is such a checkpoint. \
        Score, window alignment and precision are the checkpoint's (see `vigil train --help`); with alignment \
        "reference", row i's score comes from the window ending at row i-1, as in the reference code. Outputs are \
        checked before any work (not an input, not each other, regular files only) and written atomically. A \
        non-finite score is an error naming the row; a checkpoint whose datasets or configuration do not match \
        their stored sha256 is refused, naming the damaged dataset.
        """
    )

    @Option(help: "Export directory to score with (scorer_state.json, model.h5, norm_params.npy, checksums.sha256, …): prints JSON.")
    var model: String?

    @Option(help: "Checkpoint written by `vigil train` (HDF5): writes score files (needs --out).")
    var checkpoint: String?

    @Option(help: "Rows to score: text (CSV/whitespace, .gz), .npy, or with --model a JSON request {\"data\": [[…]]}.")
    var input: String

    @Option(help: "With --checkpoint: output file, one score per row.")
    var out: String?

    @Option(help: "With --checkpoint: optional output file for per-dimension scores (rows × F, comma-separated).")
    var perDimension: String?

    @Option(name: [.customLong("scoring-mode"), .customLong("scoring")],
            help: "TranAD score: phase2_only or averaged (default: the model's). With --model, the exported threshold and baselines were calibrated on the exported mode.")
    var scoringMode: String?

    @Flag(help: "With --model: include per_timestep (index, score, is_anomaly of every row).")
    var includePerTimestep = false

    @Flag(help: "With --model: do not attribute segments to dimensions (attributed_dimensions is null).")
    var noAttribution = false

    @Option(help: "With --model: store id echoed in the output (an integer, or any text).")
    var storeId: String?

    @Option(help: "With --model: device id echoed in the output (an integer, or any text).")
    var deviceId: String?

    @OptionGroup(title: "Threads (scores do not depend on them)")
    var threadOptions: ThreadOptions

    public func validate() throws {
        if let s = scoringMode, TranADScoring(rawValue: s) == nil {
            throw ValidationError("--scoring-mode must be phase2_only or averaged, got '\(s)'")
        }
        switch (model, checkpoint) {
        case (nil, nil): throw ValidationError("give --model DIR (an export; prints JSON) or --checkpoint FILE (writes --out)")
        case (.some, .some): throw ValidationError("give either --model or --checkpoint, not both")
        case (.some, nil):
            if out != nil || perDimension != nil {
                throw ValidationError("--out and --per-dimension go with --checkpoint; with --model the JSON goes to standard output (use --include-per-timestep for every row's score)")
            }
        case (nil, .some):
            guard out != nil else { throw ValidationError("--checkpoint needs --out FILE (one score per row)") }
            if includePerTimestep || noAttribution || storeId != nil || deviceId != nil {
                throw ValidationError("--include-per-timestep, --no-attribution, --store-id and --device-id go with --model")
            }
        }
        for (name, v) in [("--store-id", storeId), ("--device-id", deviceId)] where v?.isEmpty == true {
            throw ValidationError("\(name) is empty; give an integer or a name")
        }
    }

    public func run() throws {
        if let dir = model { try scoreExport(dir) } else if let ck = checkpoint, let out { try scoreCheckpoint(ck, out: out) }
    }

    /// An id option as JSON: an integer when it reads as one, else the text.
    static func identifier(_ s: String?) -> JSONValue? {
        guard let s else { return nil }
        return Int(s).map(JSONValue.int) ?? .string(s)
    }

    /// `--model`: the JSON contract on standard output, written only when everything succeeded.
    func scoreExport(_ dir: String) throws {
        let bundle = try ServingBundle.load(dir, workers: threadOptions.count)
        let request = try ScoreRequest.read(input)
        var options = ServingScorer.Options()
        options.includePerTimestep = includePerTimestep
        options.scoringMode = scoringMode
        options.attribution = !noAttribution
        options.storeID = Self.identifier(storeId)
        options.deviceID = Self.identifier(deviceId)
        let result = try ServingScorer.score(bundle, request: request, options: options)
        let json = result.response.jsonData()
        for w in result.warnings { printErr("vigil score: note: \(w)") }
        try writeResult(json)
    }

    /// `--checkpoint`: per-row (and per-dimension) score files.
    func scoreCheckpoint(_ checkpoint: String, out: String) throws {
        let threads = threadOptions.count
        try checkOutputs([NamedPath("--out", out)] + (perDimension.map { [NamedPath("--per-dimension", $0)] } ?? []),
                         inputs: [NamedPath("--checkpoint", checkpoint), NamedPath("--input", input)])
        var (trainer, normMin, normMax) = try TranADCheckpoint.load(path: checkpoint, workers: threads)
        if let s = scoringMode, let mode = TranADScoring(rawValue: s) { trainer = try TranADModelFile.withScoring(trainer, mode) }
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
