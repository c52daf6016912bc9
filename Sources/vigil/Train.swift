import ArgumentParser
import Foundation
import VigilHDF5
import VigilTensor
import VigilTranAD

/// `vigil train`: trains TranAD on a text matrix and saves an HDF5 checkpoint.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train TranAD on a training matrix and save a checkpoint.",
        discussion: """
        Reads a text matrix: one row per line, values separated by commas and/or whitespace (the SMD \
        machine-X-Y.txt format). Gzip'd files are not read directly; gunzip them first:
          gunzip -c machine-2-1.txt.gz > machine-2-1.txt

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

    @Option(help: "Epochs to train (reference 5).")
    var epochs: Int = 5

    @Option(help: "Precision: float32 (default, fast) or float64 (what the reference trains in).")
    var dtype: String = "float32"

    @Option(help: "Seed of the initial weights, dropout and (optional) shuffling.")
    var seed: UInt64 = 0

    @Option(help: "Window length W (reference 10).")
    var window: Int = 10

    @Option(help: "Mini-batch size (reference 128).")
    var batch: Int = 128

    @Option(help: "AdamW learning rate (reference 1e-4).")
    var lr: Double = 1e-4

    @Option(help: "Window alignment: inclusive (rows i-W+1..i, default) or reference (rows i-W..i-1, scores row i-1).")
    var alignment: String = "inclusive"

    @Option(help: "Feed-forward activation: reference_identity (default; the reference's LeakyReLU(True)), leaky_relu_0.01 or relu.")
    var activation: String = "reference_identity"

    @Option(help: "Phase-loss weighting: epoch_inverse (default, w1 = 1/n) or exponential_decay(EPS) (w1 = EPS^-n).")
    var lossWeighting: String = "epoch_inverse"

    @Option(help: "Score: phase2_only (default, the reference) or averaged (0.5 err(x1) + 0.5 err(x2), paper Eq. 13).")
    var scoring: String = "phase2_only"

    @Option(help: "Dropout probability (reference 0.1).")
    var dropout: Double = 0.1

    @Flag(help: "Shuffle windows each epoch (the reference does not).")
    var shuffle = false

    @Option(help: "Normalisation of the training matrix: none (default) or minmax.")
    var normalize: String = "none"

    @Option(help: "Worker threads (data-parallel training; default all cores). Results are reproducible for a fixed --seed and --threads.")
    var threads: Int?

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1, got \(window)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        guard ["none", "minmax"].contains(normalize) else { throw ValidationError("--normalize must be none or minmax, got '\(normalize)'") }
        _ = try makeConfig()
    }

    func makeConfig() throws -> TranADConfig {
        var c = TranADConfig()
        guard let p = TranADPrecision(rawValue: dtype) else { throw ValidationError("--dtype must be float32 or float64, got '\(dtype)'") }
        guard let a = TranADWindowAlignment(rawValue: alignment) else { throw ValidationError("--alignment must be inclusive or reference, got '\(alignment)'") }
        guard let act = TranADActivation(rawValue: activation) else {
            throw ValidationError("--activation must be one of \(TranADActivation.allCases.map(\.rawValue).joined(separator: ", ")), got '\(activation)'")
        }
        guard let lw = TranADLossWeighting(name: lossWeighting) else {
            throw ValidationError("--loss-weighting must be epoch_inverse or exponential_decay(EPS) with EPS > 1, got '\(lossWeighting)'")
        }
        guard let sc = TranADScoring(rawValue: scoring) else { throw ValidationError("--scoring must be phase2_only or averaged, got '\(scoring)'") }
        c.precision = p; c.alignment = a; c.activation = act; c.lossWeighting = lw; c.scoring = sc
        c.epochs = epochs; c.seed = seed; c.window = window; c.batchSize = batch; c.learningRate = lr
        c.dropout = dropout; c.shuffle = shuffle
        return c
    }

    func run() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        let config = try makeConfig()
        var matrix = try TextMatrix.read(path: train)
        var stats: MinMaxStats?
        if normalize == "minmax" {
            let s = MinMaxStats(fitting: matrix)
            matrix = s.apply(matrix)
            stats = s
        }
        FileHandle.standardError.write("vigil train: \(matrix.rows) rows × \(matrix.columns) features from \(train); \(config.precision.rawValue), alignment \(config.alignment.rawValue), \(epochs) epochs\n".data(using: .utf8)!)
        let trainer = TranADTrainer(features: matrix.columns, config: config, workers: threads)
        let bar = ProgressBar()
        let reports = try trainer.train(on: matrix) { p in
            bar.update("epoch \(p.epoch)/\(p.epochs)", done: p.batch, total: p.batches,
                       suffix: String(format: "loss %.6f", p.meanLoss), finished: p.batch == p.batches)
        }
        for r in reports {
            print(String(format: "epoch %d  loss %.8f  lr %.3g  %.2f s", r.epoch, r.meanLoss, r.learningRate, r.seconds))
        }
        try TranADCheckpoint.save(trainer, normalization: stats, to: out)
        print("checkpoint: \(out)")
        if let testPath = test {
            var t = try TextMatrix.read(path: testPath)
            if let s = stats { t = s.apply(t) }
            let scores = try trainer.score(t)
            let path = testScores ?? out + ".test-scores.txt"
            try writeColumn(scores.rowMeans, to: path)
            print("test scores (\(t.rows) rows, mean over dimensions, alignment \(config.alignment.rawValue)): \(path)")
        }
    }
}

/// Per-column min-max normalisation x' = (x − min)/(max − min + 1e-4) with statistics of a training matrix.
struct MinMaxStats {
    var min: [Double], max: [Double]

    init(min: [Double], max: [Double]) { self.min = min; self.max = max }

    init(fitting m: TranADMatrix) {
        var lo = [Double](repeating: .infinity, count: m.columns), hi = [Double](repeating: -.infinity, count: m.columns)
        for r in 0..<m.rows {
            for c in 0..<m.columns { let v = m[r, c]; lo[c] = Swift.min(lo[c], v); hi[c] = Swift.max(hi[c], v) }
        }
        min = lo; max = hi
    }

    func apply(_ m: TranADMatrix) -> TranADMatrix {
        var v = m.values
        for r in 0..<m.rows {
            for c in 0..<m.columns { v[r * m.columns + c] = (v[r * m.columns + c] - min[c]) / (max[c] - min[c] + 1e-4) }
        }
        return TranADMatrix(rows: m.rows, columns: m.columns, values: v)
    }
}

/// Errors reading text matrices.
enum TextMatrixError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case gzip(path: String)
    case badValue(path: String, line: Int, token: String)
    case ragged(path: String, line: Int, expected: Int, found: Int)
    case empty(path: String)

    var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read (\(r))"
        case .gzip(let p): return "\(p) is gzip-compressed; gunzip it first (gunzip -c \(p) > file.txt)"
        case .badValue(let p, let l, let t): return "\(p) line \(l): '\(t)' is not a number"
        case .ragged(let p, let l, let e, let f): return "\(p) line \(l): expected \(e) columns, found \(f)"
        case .empty(let p): return "\(p): no data rows"
        }
    }
}

/// Reads a text matrix: rows of numbers separated by commas and/or whitespace; blank lines skipped.
/// Parses bytes with strtod (the C locale's '.' decimal point), one pass, no per-line strings.
enum TextMatrix {
    static func read(path: String) throws -> TranADMatrix {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TextMatrixError.unreadable(path: path, reason: error.localizedDescription)
        }
        if data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b { throw TextMatrixError.gzip(path: path) }
        var bytes = [UInt8](data)
        bytes.append(0)
        var values: [Double] = []
        values.reserveCapacity(bytes.count / 4)
        var columns = -1, rows = 0, line = 1
        try bytes.withUnsafeMutableBufferPointer { buf in
            let base = UnsafeMutableRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self)
            let n = buf.count - 1
            var i = 0, inLine = 0
            func isSep(_ c: UInt8) -> Bool { c == 44 || c == 32 || c == 9 || c == 13 }
            func endLine() throws {
                if inLine > 0 {
                    if columns < 0 { columns = inLine }
                    guard inLine == columns else { throw TextMatrixError.ragged(path: path, line: line, expected: columns, found: inLine) }
                    rows += 1
                }
                inLine = 0
                line += 1
            }
            while i < n {
                let c = buf[i]
                if c == 10 { try endLine(); i += 1; continue }
                if isSep(c) { i += 1; continue }
                var end: UnsafeMutablePointer<CChar>? = nil
                let v = strtod(base + i, &end)
                let consumed = end.map { $0 - (base + i) } ?? 0
                let next = i + consumed
                guard consumed > 0, next >= n || buf[next] == 10 || isSep(buf[next]) else {
                    var j = i
                    while j < n && buf[j] != 10 && !isSep(buf[j]) { j += 1 }
                    throw TextMatrixError.badValue(path: path, line: line, token: String(decoding: buf[i..<j], as: UTF8.self))
                }
                values.append(v)
                inLine += 1
                i = next
            }
            try endLine()
        }
        guard rows > 0 else { throw TextMatrixError.empty(path: path) }
        return TranADMatrix(rows: rows, columns: columns, values: values)
    }
}

/// Writes one number per line.
func writeColumn(_ values: [Double], to path: String) throws {
    var s = ""
    s.reserveCapacity(values.count * 12)
    for v in values { s += "\(v)\n" }
    try s.write(toFile: path, atomically: true, encoding: .utf8)
}

/// A one-line progress bar on stderr, redrawn in place.
final class ProgressBar {
    private var lastDraw = 0.0
    func update(_ label: String, done: Int, total: Int, suffix: String, finished: Bool) {
        let now = Date().timeIntervalSince1970
        if !finished && now - lastDraw < 0.1 { return }
        lastDraw = now
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var line = "\r\(label) [\(bar)] \(done)/\(total) \(suffix)"
        if finished { line += "\n" }
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }
}

/// TranAD checkpoints in HDF5: parameters as datasets named by state_dict key, config as attributes.
enum TranADCheckpoint {
    static let format = "vigil-tranad"
    static let version = 1

    static func save(_ trainer: TranADTrainer, normalization: MinMaxStats?, to path: String) throws {
        let file = try HDF5File(path: path, mode: .truncate)
        defer { file.close() }
        for p in trainer.exportParameters() {
            if trainer.config.precision == .float32 {
                try file.write(p.values.map { Float($0) }, shape: p.shape, to: "/" + p.name)
            } else {
                try file.write(p.values, shape: p.shape, to: "/" + p.name)
            }
        }
        if let n = normalization {
            try file.write(n.min, shape: [n.min.count], to: "/normalization/min")
            try file.write(n.max, shape: [n.max.count], to: "/normalization/max")
        }
        let c = trainer.config
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try file.setAttribute("format", string: format)
        try file.setAttribute("version", int: version)
        try file.setAttribute("features", int: trainer.features)
        try file.setAttribute("parameter_count", int: trainer.parameterCount)
        try file.setAttribute("config_json", string: String(data: try enc.encode(c), encoding: .utf8)!)
        try file.setAttribute("history_json", string: String(data: try enc.encode(trainer.history), encoding: .utf8)!)
        try file.setAttribute("window", int: c.window)
        try file.setAttribute("alignment", string: c.alignment.rawValue)
        try file.setAttribute("activation", string: c.activation.rawValue)
        try file.setAttribute("loss_weighting", string: c.lossWeighting.name)
        try file.setAttribute("scoring", string: c.scoring.rawValue)
        try file.setAttribute("precision", string: c.precision.rawValue)
        try file.setAttribute("epochs_trained", int: trainer.history.count)
        try file.setAttribute("seed", string: String(c.seed))
        try file.setAttribute("threads", int: trainer.workers)
    }

    static func load(path: String, workers: Int? = nil) throws -> (trainer: TranADTrainer, normalization: MinMaxStats?) {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        guard file.hasAttribute("format"), try file.stringAttribute("format") == format else {
            throw ValidationError("\(path) is not a vigil TranAD checkpoint (no format = \"\(format)\" attribute); write one with `vigil train`")
        }
        let features = try file.intAttribute("features")
        let config = try JSONDecoder().decode(TranADConfig.self, from: (try file.stringAttribute("config_json")).data(using: .utf8)!)
        let trainer = TranADTrainer(features: features, config: config, workers: workers)
        var values: [String: [Double]] = [:]
        for (name, _) in trainer.namedParameterShapes where file.contains("/" + name) {
            values[name] = try file.read(Double.self, from: "/" + name).values
        }
        try trainer.loadParameters(values)
        var stats: MinMaxStats?
        if file.contains("/normalization/min") {
            stats = MinMaxStats(min: try file.read(Double.self, from: "/normalization/min").values,
                                max: try file.read(Double.self, from: "/normalization/max").values)
        }
        return (trainer, stats)
    }
}
