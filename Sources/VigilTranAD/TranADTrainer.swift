// Training loop and scoring for TranAD, as the reference main.py backprop() does it:
// AdamW(lr 1e-4, wd 1e-5), StepLR(5, 0.9) stepped per epoch, batches of 128 windows in order
// (the reference DataLoader does not shuffle; `config.shuffle` turns seeded shuffling on),
// loss mean(w1 (x1−e)² + (1−w1)(x2−e)²), the epoch loss = mean of the batch losses.
import VigilData
import Foundation
import VigilNN
import VigilRandom
import VigilTensor

/// Progress of a training run, reported after every batch.
public struct TranADProgress: Sendable {
    /// 1-based epoch and its total.
    public var epoch: Int, epochs: Int
    /// Batches done in this epoch and their total.
    public var batch: Int, batches: Int
    /// Mean of this epoch's batch losses so far.
    public var meanLoss: Double
    /// Loss of the batch just trained.
    public var batchLoss: Double
    /// Learning rate of this epoch.
    public var learningRate: Double
}

/// Summary of one finished epoch.
public struct TranADEpochReport: Codable, Sendable, Equatable {
    /// 1-based epoch.
    public var epoch: Int
    /// Mean of the epoch's batch losses (the reference's printed L1).
    public var meanLoss: Double
    /// Learning rate used in this epoch.
    public var learningRate: Double
    /// Wall-clock seconds.
    public var seconds: Double
}

/// Errors of training, scoring and checkpoint loading, each saying what to do.
public enum TranADError: Error, CustomStringConvertible, Equatable {
    case featureMismatch(expected: Int, found: Int)
    case emptyMatrix
    case missingParameter(String)
    case parameterSize(name: String, expected: Int, found: Int)
    case nonFiniteLoss(epoch: Int, batch: Int)
    case notACheckpoint(path: String)
    /// A score is NaN or infinite: row and column 0-based.
    case nonFiniteScore(row: Int, column: Int, value: Double)
    /// A checkpoint of a layout version this build does not read.
    case unsupportedCheckpointVersion(path: String, version: Int)
    /// A checkpoint's contents disagree with each other (e.g. a parameter's shape).
    case corruptCheckpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case .featureMismatch(let e, let f):
            return "TranAD: the model has \(e) features but the matrix has \(f) columns; score data with the same columns it was trained on"
        case .emptyMatrix:
            return "TranAD: the matrix has no rows; give at least one row"
        case .missingParameter(let n):
            return "TranAD checkpoint: parameter '\(n)' is missing; was the checkpoint written by `vigil train`?"
        case .parameterSize(let n, let e, let f):
            return "TranAD checkpoint: parameter '\(n)' has \(f) values, the model needs \(e); the feature count or config differs"
        case .notACheckpoint(let p):
            return "\(p) is not a vigil TranAD checkpoint (no format = \"\(TranADCheckpoint.format)\" attribute); write one with `vigil train` or `vigil run`"
        case .nonFiniteLoss(let e, let b):
            return "TranAD: the loss became NaN/inf at epoch \(e), batch \(b); normalise the data to [0, 1] (min-max) or lower the learning rate"
        case let .nonFiniteScore(row, column, value):
            return "TranAD: the score of row \(row + 1) (column \(column + 1)) is \(value); the input values there are too large for the model (e.g. 1e20): scale the data to [0, 1] (vigil train --normalize minmax) or fix that row"
        case let .unsupportedCheckpointVersion(p, v):
            return "\(p) is a version \(v) TranAD checkpoint; this vigil reads version \(TranADCheckpoint.version) (with per-dataset checksums): write it again with `vigil train`"
        case let .corruptCheckpoint(p, r):
            return "\(p) is damaged: \(r); restore it from a copy or write it again with `vigil train`"
        }
    }
}

/// Precision-specific engine: model, optimizer and schedule in one scalar type.
///
/// Data parallel over `workers` threads: worker 0 runs the master model, workers 1… run replicas
/// holding copies of its weights. Each mini-batch is split into contiguous parts, every worker runs
/// forward + backward on its part (loss scaled by part/batch so the summed gradient is the gradient of
/// the full-batch mean), the replicas' gradients are added into the master's in worker order, AdamW
/// steps the master and the new weights are copied to the replicas; this update runs on all workers too,
/// worker r handling its own contiguous share of the parameters (an AdamW of its own: the per-parameter
/// update does not depend on the split). BLAS runs single-threaded inside the workers. Results are
/// reproducible for a fixed seed and worker count.
final class TranADEngine<Scalar: AttentionScalar> {
    let model: TranADModel<Scalar>
    let replicas: [TranADModel<Scalar>]
    /// AdamW over worker r's share of the master's parameters (`shares[r]`, indices into `parameters`).
    let optimizers: [AdamW<Scalar>]
    let shares: [Range<Int>]
    let schedulers: [StepLR]
    var optimizer: AdamW<Scalar> { optimizers[0] }
    /// Parameter tensors of every worker (worker r at index r), in state_dict order (`Module.parameters`,
    /// reflected once per model and cached).
    var params: [[Tensor<Scalar>]] { (0..<workers).map { worker($0).parameters } }
    var epochsDone = 0
    var shuffleRNG: Xoshiro256

    init(features: Int, config: TranADConfig, workers: Int) {
        model = TranADModel(features: features, config: config)
        replicas = (1..<max(workers, 1)).map { r in
            let m = TranADModel<Scalar>(features: features, config: config)
            m.dropoutRNG = Xoshiro256(seed: config.seed).fork(stream: 100 + UInt64(r))
            return m
        }
        // contiguous parameter shares of about equal element counts, one per worker
        let params = model.parameters
        let nw = max(workers, 1), total = params.reduce(0) { $0 + $1.count }
        var bounds = [0], acc = 0
        for (i, t) in params.enumerated() {
            acc += t.count
            if bounds.count < nw && acc * nw >= total * bounds.count && i + 1 < params.count { bounds.append(i + 1) }
        }
        while bounds.count < nw { bounds.append(params.count) }
        bounds.append(params.count)
        shares = (0..<nw).map { bounds[$0]..<bounds[$0 + 1] }
        optimizers = shares.map { AdamW(parameters: Array(params[$0]), lr: config.learningRate, weightDecay: config.weightDecay) }
        schedulers = optimizers.map { StepLR($0, stepSize: config.lrStepSize, gamma: config.lrGamma) }
        shuffleRNG = Xoshiro256(seed: config.seed).fork(stream: 2)
        syncReplicas()
    }

    var config: TranADConfig { model.config }
    var workers: Int { replicas.count + 1 }
    func worker(_ r: Int) -> TranADModel<Scalar> { r == 0 ? model : replicas[r - 1] }

    /// Copies the master's weights into every replica.
    func syncReplicas() {
        let master = params[0]
        for rep in params.dropFirst() {
            for (src, dst) in zip(master, rep) {
                src.withUnsafeBufferPointer { s in dst.withUnsafeMutableBufferPointer { d in d.baseAddress!.update(from: s.baseAddress!, count: s.count) } }
            }
        }
    }

    /// Runs `body(worker)` on every worker concurrently (inline if 1 worker), BLAS single-threaded
    /// (OpenBLAS's own threads would spin against the workers).
    func parallel(_ body: (Int) -> Void) {
        let blas = Threads.count
        if blas != 1 { Threads.set(1) }
        defer { if blas != 1 { Threads.set(blas) } }
        if workers == 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: workers, execute: body)
    }

    /// Window tensor (B, W, F) of `rows`, gathered straight into the tensor's storage.
    func windows(_ m: DataMatrix, _ rows: ArraySlice<Int>) -> Tensor<Scalar> {
        let x = Tensor<Scalar>(unfilled: [rows.count, config.window, m.cols])  // gatherWindows writes every element
        x.withUnsafeMutableBufferPointer { gatherWindows(m, rows: rows, window: config.window, alignment: config.alignment, into: $0.baseAddress!) }
        return x
    }

    func trainEpoch(_ m: DataMatrix, epochs: Int, progress: ((TranADProgress) -> Void)?) throws -> TranADEpochReport {
        let start = DispatchTime.now().uptimeNanoseconds
        for r in 0..<workers { worker(r).train() }
        let n = epochsDone + 1
        let bs = config.batchSize
        var order = Array(0..<m.rows)
        if config.shuffle {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, shuffleRNG.nextInt(below: i + 1))
            }
        }
        let batches = (m.rows + bs - 1) / bs
        let lr = Double(optimizer.learningRate)
        let params = self.params
        var sum = 0.0
        var losses = [Double](repeating: 0, count: workers)
        for bi in 0..<batches {
            let lo = bi * bs, hi = min((bi + 1) * bs, m.rows)
            let b = hi - lo
            let nw = workers
            losses.withUnsafeMutableBufferPointer { lossOut in
                parallel { r in
                    let r0 = lo + b * r / nw, r1 = lo + b * (r + 1) / nw
                    let net = self.worker(r)
                    for p in params[r] { p.zeroGrad() }  // also for a worker without rows, so no stale gradient is summed
                    guard r1 > r0 else { lossOut[r] = 0; return }
                    let x = self.windows(m, order[r0..<r1])
                    let (x1, x2) = net(x)
                    let loss = net.loss(x1: x1, x2: x2, windows: x, epoch: n) * Scalar(Double(r1 - r0) / Double(b))
                    loss.backward()
                    lossOut[r] = Double(loss.item)
                }
            }
            let value = losses.reduce(0, +)
            guard value.isFinite else { throw TranADError.nonFiniteLoss(epoch: n, batch: bi + 1) }
            // gradient sum, AdamW step and weight copy to the replicas, each worker on its share
            let master = params[0]
            let repParams = params.dropFirst()
            parallel { r in
                let share = self.shares[r]
                for rp in repParams {
                    for i in share {
                        let mp = master[i]
                        guard let rg = rp[i].grad else { continue }
                        if let mg = mp.grad {
                            rg.withUnsafeBufferPointer { s in mg.withUnsafeMutableBufferPointer { d in for i in 0..<d.count { d[i] += s[i] } } }
                        } else {
                            mp.grad = rg.copy()
                        }
                    }
                }
                self.optimizers[r].step()
                for rp in repParams {
                    for i in share {
                        master[i].withUnsafeBufferPointer { s in
                            rp[i].withUnsafeMutableBufferPointer { d in d.baseAddress!.update(from: s.baseAddress!, count: s.count) }
                        }
                    }
                }
            }
            sum += value
            progress?(TranADProgress(epoch: n, epochs: epochs, batch: bi + 1, batches: batches,
                                     meanLoss: sum / Double(bi + 1), batchLoss: value, learningRate: lr))
        }
        for r in 0..<workers { for p in params[r] { p.zeroGrad() } }
        for s in schedulers { s.step() }
        epochsDone = n
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return TranADEpochReport(epoch: n, meanLoss: sum / Double(batches), learningRate: lr, seconds: seconds)
    }

    /// Per-dimension scores, rows × F; row i is the score of row i's window (see the alignment).
    /// Rows are cut into batches of `batchSize` (independent of the worker count); workers take
    /// contiguous runs of batches and run `TranADInference` on them.
    func score(_ m: DataMatrix, batchSize: Int) -> DataMatrix {
        let w = config.window, f = model.features
        var out = [Double](unsafeUninitializedCapacity: m.rows * f) { _, n in n = m.rows * f }  // every entry is written below
        let order = Array(0..<m.rows)
        let nw = workers, scoring = config.scoring
        let bs = max(1, min(batchSize, m.rows))  // not a function of the worker count (see below)
        let engine = TranADInference(model)  // eval-mode forward with prepared weights, shared by all workers
        out.withUnsafeMutableBufferPointer { outp in
            parallel { r in
                let ws = TranADInference<Scalar>.Workspace(engine, capacity: bs)
                let x = UnsafeMutablePointer<Scalar>.allocate(capacity: bs * w * f)
                let s1 = UnsafeMutablePointer<Scalar>.allocate(capacity: bs * f), s2 = UnsafeMutablePointer<Scalar>.allocate(capacity: bs * f)
                defer { x.deallocate(); s1.deallocate(); s2.deallocate() }
                // batches are fixed chunks of the row range (worker r takes a contiguous run of them),
                // so every batch, and thus every score, is the same for any worker count
                let chunks = (m.rows + bs - 1) / bs
                var start = min(m.rows, chunks * r / nw * bs)
                let end = min(m.rows, chunks * (r + 1) / nw * bs)
                while start < end {
                    let rows = order[start..<min(start + bs, end)]
                    let b = rows.count
                    gatherWindows(m, rows: rows, window: w, alignment: self.config.alignment, into: x)
                    engine.forward(x, b: b, ws, x1: s1, x2: s2)
                    for i in 0..<b {
                        let e = (i * w + w - 1) * f  // the window's last row = the scored element
                        let o = (start + i) * f
                        for c in 0..<f {
                            let elem = Double(x[e + c])
                            let d2 = Double(s2[i * f + c]) - elem
                            switch scoring {
                            case .phase2Only: outp[o + c] = d2 * d2
                            case .averaged:
                                let d1 = Double(s1[i * f + c]) - elem
                                outp[o + c] = 0.5 * d1 * d1 + 0.5 * d2 * d2
                            }
                        }
                    }
                    start += b
                }
            }
        }
        return DataMatrix(rows: m.rows, cols: f, values: out)
    }
}

/// Trains TranAD and scores matrices with it, in Float32 or Float64 per `config.precision`.
///
///     let trainer = TranADTrainer(features: 38, config: TranADConfig())
///     let epochs = try trainer.train(on: train) { p in ... }        // [TranADEpochReport]
///     let perDimension = try trainer.score(test)                      // rows × 38, Double
///     let perRow = perDimension.rowMeans                               // the 1-D score
public final class TranADTrainer {
    /// Number of features F (columns of every matrix).
    public let features: Int
    /// The run's configuration (alignment, weighting, scoring, precision, seed, …).
    public let config: TranADConfig
    /// Reports of the epochs trained so far.
    public private(set) var history: [TranADEpochReport] = []
    /// Windows per inference batch in `score` (does not change the scores); 64 keeps a worker's
    /// buffers in L2 (measured faster than 128–1024 at F = 38).
    public var scoreBatchSize = 64

    /// The model, optimizer and schedule in the configured precision.
    private let engine: Engine

    /// Data-parallel worker threads (results are reproducible for a fixed seed and worker count).
    public let workers: Int

    /// A fresh model with PyTorch default initialisation drawn from `config.seed`, trained and scored
    /// on `workers` threads (default: every core). Throws when `config`, `features` or `workers` are out of range or
    /// the run's memory estimate exceeds the limit (`TranADConfig.validate(features:workers:)`), before allocating.
    public init(features: Int, config: TranADConfig = TranADConfig(), workers: Int? = nil) throws {
        let nw = workers ?? min(ProcessInfo.processInfo.activeProcessorCount, TranADConfig.workersRange.upperBound)
        try config.validate(features: features, workers: nw)
        self.features = features
        self.config = config
        self.workers = nw
        tuneMallocForTensorChurn()
        switch config.precision {
        case .float32: engine = .float32(TranADEngine(features: features, config: config, workers: self.workers))
        case .float64: engine = .float64(TranADEngine(features: features, config: config, workers: self.workers))
        }
    }

    /// Trains `config.epochs` more epochs on `matrix` (rows × F, ideally min-max normalised to [0, 1]).
    /// `progress` is called after every batch. Returns the reports of these epochs.
    @discardableResult
    public func train(on matrix: DataMatrix, progress: ((TranADProgress) -> Void)? = nil) throws -> [TranADEpochReport] {
        try check(matrix)
        var reports: [TranADEpochReport] = []
        let total = history.count + config.epochs
        for _ in 0..<config.epochs {
            let r = try engine.trainEpoch(matrix, epochs: total, progress: progress)
            reports.append(r)
            history.append(r)
        }
        return reports
    }

    /// Trains one more epoch on `matrix` (progress reports `config.epochs` as the total: the most an early-stopped
    /// run trains). Used by early stopping, which decides after every epoch.
    @discardableResult
    public func trainEpoch(on matrix: DataMatrix, progress: ((TranADProgress) -> Void)? = nil) throws -> TranADEpochReport {
        try check(matrix)
        let total = max(config.epochs, history.count + 1)
        let r: TranADEpochReport
        r = try engine.trainEpoch(matrix, epochs: total, progress: progress)
        history.append(r)
        return r
    }

    /// Per-dimension anomaly scores (rows × F, Double) per `config.scoring`; row i is scored from the
    /// window of row i under `config.alignment` (for `reference` that window reconstructs row i−1).
    /// Throws `TranADError.nonFiniteScore` naming the first row whose score is NaN or infinite.
    public func score(_ matrix: DataMatrix) throws -> DataMatrix {
        try check(matrix)
        let s = engine.score(matrix, batchSize: scoreBatchSize)
        if let i = s.values.firstIndex(where: { !$0.isFinite }) {
            throw TranADError.nonFiniteScore(row: i / s.cols, column: i % s.cols, value: s.values[i])
        }
        return s
    }

    /// Number of trainable parameters (127,538 at F = 38).
    public var parameterCount: Int { namedParameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// Parameter names (reference state_dict order) and shapes.
    public var namedParameterShapes: [(name: String, shape: [Int])] { engine.namedParameterShapes }

    /// All parameters as Doubles in state_dict order (for checkpoints).
    public func exportParameters() -> [(name: String, shape: [Int], values: [Double])] { engine.exportParameters() }

    /// State-dict key of the reference's positional-encoding buffer (`self.pos_encoder = PositionalEncoding(2F, 0.1, W)`
    /// in the reference TranAD, `register_buffer('pe', …)` in its dlutils.py); the first key of its `state_dict`.
    public static let positionalEncodingKey = "pos_encoder.pe"

    /// The buffer `pos_encoder.pe` as the reference registers it: shape (W, 1, d_model), pe[pos, 0, i] =
    /// sin(pos·w_i) + cos(pos·w_i), w_i = exp(−i·ln(10000)/d_model) — the values this model adds, in its precision
    /// (returned as Doubles, exactly). Not a parameter: `exportParameters` and `loadParameters` do not include it.
    public var positionalEncodingBuffer: (name: String, shape: [Int], values: [Double]) {
        let values: [Double]
        switch engine {
        case .float32(let e): values = e.model.positionalEncoding.scalars.map(Double.init)
        case .float64(let e): values = e.model.positionalEncoding.scalars
        }
        return (Self.positionalEncodingKey, [config.window, 1, 2 * features], values)
    }

    /// Replaces every parameter by name (all must be present with the right size and finite; other names are
    /// ignored). Nothing is written when an error is thrown.
    public func loadParameters(_ values: [String: [Double]]) throws {
        for (name, v) in values where !v.allSatisfy({ $0.isFinite }) {
            throw TranADError.corruptCheckpoint(path: "parameters", reason: "'\(name)' holds NaN or infinite values")
        }
        try engine.loadParameters(values)
    }

    private func check(_ m: DataMatrix) throws {
        guard m.rows > 0 else { throw TranADError.emptyMatrix }
        guard m.cols == features else { throw TranADError.featureMismatch(expected: features, found: m.cols) }
    }
}

/// The trainer's engine in its precision. Each method switches once to the concrete engine, so the whole
/// training and scoring path below it is compiled specialised for Float or Double (an existential engine
/// measured 2.2× the instructions: its generic code ran unspecialised per element).
private enum Engine {
    case float32(TranADEngine<Float>)
    case float64(TranADEngine<Double>)

    func trainEpoch(_ m: DataMatrix, epochs: Int, progress: ((TranADProgress) -> Void)?) throws -> TranADEpochReport {
        switch self {
        case .float32(let e): return try e.trainEpoch(m, epochs: epochs, progress: progress)
        case .float64(let e): return try e.trainEpoch(m, epochs: epochs, progress: progress)
        }
    }

    func score(_ m: DataMatrix, batchSize: Int) -> DataMatrix {
        switch self {
        case .float32(let e): return e.score(m, batchSize: batchSize)
        case .float64(let e): return e.score(m, batchSize: batchSize)
        }
    }

    var namedParameterShapes: [(name: String, shape: [Int])] {
        switch self {
        case .float32(let e): return e.namedParameterShapes
        case .float64(let e): return e.namedParameterShapes
        }
    }

    func exportParameters() -> [(name: String, shape: [Int], values: [Double])] {
        switch self {
        case .float32(let e): return e.exportParameters()
        case .float64(let e): return e.exportParameters()
        }
    }

    func loadParameters(_ values: [String: [Double]]) throws {
        switch self {
        case .float32(let e): try e.loadParameters(values)
        case .float64(let e): try e.loadParameters(values)
        }
    }
}

extension TranADEngine {
    /// Parameter names and shapes of the master model, state_dict order.
    var namedParameterShapes: [(name: String, shape: [Int])] { model.namedParameters.map { ($0.name, $0.tensor.shape) } }

    /// The master model's parameters as Doubles, state_dict order.
    func exportParameters() -> [(name: String, shape: [Int], values: [Double])] {
        model.namedParameters.map { ($0.name, $0.tensor.shape, $0.tensor.scalars.map(Double.init)) }
    }

    /// `Module.loadParameters` into the master model (non-strict: other names are ignored), its errors as
    /// TranADError, then the new weights copied to the replicas.
    func loadParameters(_ values: [String: [Double]]) throws {
        do {
            try model.loadParameters(values, strict: false)
        } catch ModuleError.missingParameter(let name) {
            throw TranADError.missingParameter(name)
        } catch ModuleError.wrongCount(let name, let expected, let found) {
            throw TranADError.parameterSize(name: name, expected: expected, found: found)
        }
        syncReplicas()
    }
}

#if os(Linux)
/// glibc `int mallopt(int param, int value)` (not exported by the Glibc module map).
@_silgen_name("mallopt") private func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32
#endif

/// Keeps freed tensor buffers in the heap instead of returning them to the OS after every batch
/// (glibc unmaps/trims large blocks by default, which costs page faults and zeroing every time).
private func tuneMallocForTensorChurn() {
    #if os(Linux)
    _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 256 << 20)
    _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 512 << 20)
    #endif
}
