// Which attention kernel runs: the one place that states the conditions of every fast path.
//
// `AttentionPath.select(for:)` picks the kernel of a fused attention call (as PyTorch's MultiheadAttention
// checks its fast path); `reasonNotTaken(for:)` says why a path does not run a call (nil when it does).
// Kernels, each in its own file beside the reference it is checked against:
//
//   path                 conditions                                            file                          weights / mask layout
//   floatHD2Training     float32, head width 2, weights kept or dropout mask   AttentionHD2FloatTraining     none (the backward recomputes P);
//                                                                                                             mask: keep bytes (`maskCount`)
//   floatHD2Inference    float32, head width 2, no weights kept, no dropout    AttentionHD2FloatInference    none
//   doubleHD2            float64, head width 2                                 AttentionHD2Double            none (the backward recomputes P);
//                                                                                                             mask: keep bytes (`maskCount`)
//   reference            any call no fast path takes (head width ≠ 2)          AttentionReference            (B, H, Lq, Lk)
//
// Planar inference (TranADInference's head-planar operands, `attentionPlanarInference`) is a separate entry:
// head width 2, hp a multiple of 8 (float32, AttentionPlanarFloat) or 4 (float64, AttentionPlanarDouble).
//
// Static dispatch: the kernels are concrete per scalar type, reached through `AttentionScalar`'s static
// requirements (Float and Double conform below), so no call tests a type at run time.
import VigilTensor

/// What a fused attention call needs, as far as choosing its kernel goes.
public struct AttentionCall: Sendable, Equatable {
    /// Scalar type name ("float32" / "float64").
    public var dtype: String
    /// Head width (model width / heads).
    public var headDim: Int
    /// Whether the softmax weights P are kept for a backward (a gradient is needed).
    public var keepsWeights: Bool
    /// Whether a dropout mask applies to the weights (training with p > 0).
    public var dropout: Bool

    public init(dtype: String, headDim: Int, keepsWeights: Bool, dropout: Bool) {
        self.dtype = dtype; self.headDim = headDim; self.keepsWeights = keepsWeights; self.dropout = dropout
    }
    /// The call of scalar type `S` on `shape`.
    public init<S: TensorScalar>(_: S.Type, _ shape: AttentionShape, keepsWeights: Bool, dropout: Bool) {
        self.init(dtype: S.dtypeName, headDim: shape.headDim, keepsWeights: keepsWeights, dropout: dropout)
    }
}

/// The attention kernels (see the table at the top of AttentionDispatch.swift).
public enum AttentionPath: String, Sendable, CaseIterable {
    case floatHD2Training, floatHD2Inference, doubleHD2, reference

    /// Fast paths in the order `select` tries them.
    public static let fastPaths: [AttentionPath] = [.floatHD2Training, .floatHD2Inference, .doubleHD2]

    /// The kernel that runs `call`: the first fast path whose conditions hold, else `.reference`.
    public static func select(for call: AttentionCall) -> AttentionPath {
        fastPaths.first { $0.failedCondition(call) == nil } ?? .reference
    }

    /// Why this path does not run `call` (nil when `select(for: call) == self`): the first condition of the
    /// path that `call` fails, or for `.reference`, the fast path that takes the call.
    public func reasonNotTaken(for call: AttentionCall) -> String? {
        if self == .reference {
            return Self.fastPaths.first { $0.failedCondition(call) == nil }.map { "fast path \($0.rawValue) applies" }
        }
        if let failed = failedCondition(call) { return failed }
        return Self.select(for: call) == self ? nil : "fast path \(Self.select(for: call).rawValue) is tried first"
    }

    /// The first condition of this fast path that `call` fails (nil: all hold; always nil for `.reference`).
    func failedCondition(_ call: AttentionCall) -> String? {
        func need(_ ok: Bool, _ why: @autoclosure () -> String) -> String? { ok ? nil : why() }
        switch self {
        case .floatHD2Training:
            return need(call.dtype == Float.dtypeName, "dtype is \(call.dtype), not float32")
                ?? need(call.headDim == 2, "head width is \(call.headDim), not 2")
                ?? need(call.keepsWeights || call.dropout, "no weights to keep and no dropout mask (an inference call)")
        case .floatHD2Inference:
            return need(call.dtype == Float.dtypeName, "dtype is \(call.dtype), not float32")
                ?? need(call.headDim == 2, "head width is \(call.headDim), not 2")
                ?? need(!call.keepsWeights, "the weights are kept for a backward")
                ?? need(!call.dropout, "a dropout mask applies")
        case .doubleHD2:
            return need(call.dtype == Double.dtypeName, "dtype is \(call.dtype), not float64")
                ?? need(call.headDim == 2, "head width is \(call.headDim), not 2")
        case .reference:
            return nil
        }
    }

    /// Scalars of this path's weight (probs) buffer for `s`: 0 for `.floatHD2Inference`, which keeps none, and for
    /// the head-width-2 training paths (`.floatHD2Training`, `.doubleHD2`), whose backward recomputes the weights (their
    /// probs pointer only says a backward follows); (B, H, Lq, Lk) for the reference.
    public func weightCount(_ s: AttentionShape) -> Int {
        switch self {
        case .floatHD2Training, .floatHD2Inference, .doubleHD2: return 0  // training: the backward recomputes the weights
        case .reference: return s.weightCount
        }
    }

    /// Scalars of this path's dropout mask buffer for `s`: `weightCount(s)` mask values, except the head-width-2
    /// training paths (`.floatHD2Training`, `.doubleHD2`), whose mask is its keep factor 1/(1−p) (element 0) followed
    /// by the keep bytes (1 kept, 0 dropped) laid out (B, Lq, Lk, H) and 8 zero bytes (the Float kernel reads 8 bytes
    /// per head group; pad lanes may read past a row): a quarter (Float) or an eighth (Double) of the memory traffic
    /// of a mask of values.
    public func maskCount(_ s: AttentionShape) -> Int {
        switch self {
        case .floatHD2Training: return 1 + (s.weightCount + 8 + 3) / 4
        case .doubleHD2: return 1 + (s.weightCount + 8 + 7) / 8
        case .floatHD2Inference, .reference: return weightCount(s)
        }
    }

    /// Fills this path's dropout mask for `s` (`maskCount(s)` scalars, layout as `maskCount` says) from one
    /// draw of `rng`: `DropoutMask.fillBatched` over (B, ·), or its keep bytes (`DropoutMask.fillKeepBatched`, the
    /// same draws) for `.floatHD2Training`.
    public func fillDropoutMask<S: TensorScalar>(_ mask: UnsafeMutablePointer<S>, _ s: AttentionShape, p: Double,
                                                 rng: inout Xoshiro256, threads: Int) {
        switch self {
        case .floatHD2Training, .doubleHD2:
            mask[0] = S(1 / (1 - p))  // the value `DropoutMask.fill` gives a kept element
            let keep = (UnsafeMutableRawPointer(mask) + MemoryLayout<S>.stride).bindMemory(to: UInt8.self, capacity: s.weightCount + 8)
            DropoutMask.fillKeepBatched(keep, batch: s.batch, perBatch: s.weightCount / Swift.max(s.batch, 1), p: p,
                                        rng: &rng, threads: threads)
            (keep + s.weightCount).initialize(repeating: 0, count: 8)
        case .floatHD2Inference:
            preconditionFailure("AttentionPath.fillDropoutMask: \(rawValue) applies no dropout")
        case .reference:
            DropoutMask.fillBatched(mask, batch: s.batch, perBatch: s.weightCount / Swift.max(s.batch, 1), p: p,
                                    rng: &rng, threads: threads)
        }
    }

    /// Stops with the reason when this path cannot run `call` (`.reference` runs any call).
    func checkRuns(_ call: AttentionCall, _ entry: String) {
        if let why = failedCondition(call) { preconditionFailure("\(entry): path \(rawValue) cannot run this call: \(why)") }
    }

    /// Whether this path's backward overwrites dq/dk/dv (each element written once, as 0 + its gradient: the same
    /// bits as accumulating into zeros), so they need not be zeroed first: the head-width-2 paths. The reference
    /// accumulates into them (zero them first).
    public var overwritesGradients: Bool {
        switch self {
        case .floatHD2Training, .doubleHD2: return true
        case .floatHD2Inference, .reference: return false
        }
    }

    /// Threads for one call of `s`: the BLAS thread count, 1 for small calls, where waking a second thread costs
    /// more than it saves. Measured on 2 cores (2026-11-30, the Float32 kernels called directly as `vigil bench tensor
    /// --only attention` calls them, but on 128 windows with this thread count): TranAD's cross-attention (1 query,
    /// 10 keys, 38 heads: 97,280 weight·width) forward+backward took 173–176 µs on 1 thread and 181–197 µs on 2; its
    /// self-attention (972,800) 1,068–1,181 µs on 1 and 640–647 µs on 2. Inside TranAD's data-parallel workers BLAS
    /// runs single-threaded, so this is 1 there.
    public static func threads(for s: AttentionShape) -> Int {
        s.weightCount * s.headDim < 262_144 ? 1 : Threads.count
    }
}

/// Scalar types with fused attention kernels (Float, Double): static entry points per path.
public protocol AttentionScalar: TensorScalar {
    /// Forward of `path` (which must run this call: `.reference` or a fast path whose conditions hold, with
    /// keepsWeights = probs != nil and dropout = mask != nil). q (B, Lq, ·), k, v (B, Lk, ·); out (B, Lq, H·hd);
    /// probs receives P (pre-dropout) in the path's layout (`weightCount`; none on the head-width-2 paths, whose
    /// backward recomputes P) and mask holds the dropout mask (`maskCount`, `fillDropoutMask`). Batch elements are split over `threads` threads (results do not depend on it).
    static func attentionForward(_ path: AttentionPath, _ s: AttentionShape, q: AttentionOperand<Self>, k: AttentionOperand<Self>,
                                 v: AttentionOperand<Self>, out: UnsafeMutablePointer<Self>,
                                 probs: UnsafeMutablePointer<Self>?, mask: UnsafePointer<Self>?, threads: Int)
    /// Backward of `attentionForward` on the same path from its probs and mask; gradOut (B, Lq, H·hd);
    /// dq/dk/dv are overwritten when `path.overwritesGradients`, else accumulated into (zero them first).
    static func attentionBackward(_ path: AttentionPath, _ s: AttentionShape, q: AttentionOperand<Self>, k: AttentionOperand<Self>,
                                  v: AttentionOperand<Self>, probs: UnsafePointer<Self>, mask: UnsafePointer<Self>?,
                                  gradOut: UnsafePointer<Self>, dq: AttentionOperand<Self>, dk: AttentionOperand<Self>,
                                  dv: AttentionOperand<Self>, threads: Int)
    /// Inference attention (no weights kept, no dropout) for head width 2 on head-planar rows: plane c
    /// (component c of heads 0..<hp) of a q/k/v row starts at `offset + c·hp`; output rows (stride
    /// `outStride`) get both planes. hp ≥ heads, pad heads zero, a multiple of 8 (Float) or 4 (Double).
    /// Single-threaded.
    static func attentionPlanarInference(_ s: AttentionShape, hp: Int, q: AttentionOperand<Self>, k: AttentionOperand<Self>,
                                         v: AttentionOperand<Self>, out: UnsafeMutablePointer<Self>, outStride: Int)
}

/// The reference kernels over batch chunks (any scalar type; each chunk has its own Lk scratch, written before read).
@inline(__always)
private func referenceForward<T: TensorScalar>(_ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
                                               out: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>?,
                                               mask: UnsafePointer<T>?, threads: Int) {
    let w = s.weightCount / Swift.max(s.batch, 1)
    s.forEachBatchChunk(threads: threads) { sub, b0 in
        withScratch(T.self, count: s.keyLength) { scratch in
            attentionReferenceForward(sub, q: q.advanced(batch: b0, rowsPerBatch: s.queryLength),
                                      k: k.advanced(batch: b0, rowsPerBatch: s.keyLength),
                                      v: v.advanced(batch: b0, rowsPerBatch: s.keyLength),
                                      out: out + b0 * s.queryLength * s.modelDim, probs: probs.map { $0 + b0 * w },
                                      mask: mask.map { $0 + b0 * w }, scratch: scratch)
        }
    }
}

@inline(__always)
private func referenceBackward<T: TensorScalar>(_ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
                                                probs: UnsafePointer<T>, mask: UnsafePointer<T>?, gradOut: UnsafePointer<T>,
                                                dq: AttentionOperand<T>, dk: AttentionOperand<T>, dv: AttentionOperand<T>, threads: Int) {
    let w = s.weightCount / Swift.max(s.batch, 1)
    let (lq, lk) = (s.queryLength, s.keyLength)
    s.forEachBatchChunk(threads: threads) { sub, b0 in
        withScratch(T.self, count: lk) { scratch in
            attentionReferenceBackward(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                       v: v.advanced(batch: b0, rowsPerBatch: lk), probs: probs + b0 * w,
                                       mask: mask.map { $0 + b0 * w }, gradOut: gradOut + b0 * lq * s.modelDim,
                                       dq: dq.advanced(batch: b0, rowsPerBatch: lq), dk: dk.advanced(batch: b0, rowsPerBatch: lk),
                                       dv: dv.advanced(batch: b0, rowsPerBatch: lk), scratch: scratch)
        }
    }
}

extension Float: AttentionScalar {
    public static func attentionForward(_ path: AttentionPath, _ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                        v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>,
                                        probs: UnsafeMutablePointer<Float>?, mask: UnsafePointer<Float>?, threads: Int) {
        path.checkRuns(AttentionCall(Float.self, s, keepsWeights: probs != nil, dropout: mask != nil), "Float.attentionForward")
        let (lq, lk) = (s.queryLength, s.keyLength)
        switch path {
        case .floatHD2Training:
            let wk = s.weightCount / Swift.max(s.batch, 1)
            s.forEachBatchChunk(threads: threads) { sub, b0 in
                withZeroedScratch(Float.self, count: hd2FloatTrainingScratchCount(s)) { scratch in
                    attentionHD2FloatTrainingForward(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                                     v: v.advanced(batch: b0, rowsPerBatch: lk), out: out + b0 * lq * s.modelDim,
                                                     keep: mask.map { keepBytes($0) + b0 * wk },
                                                     factor: mask?[0] ?? 1, scratch: scratch)
                }
            }
        case .floatHD2Inference:
            s.forEachBatchChunk(threads: threads) { sub, b0 in
                withZeroedScratch(Float.self, count: hd2FloatInferenceScratchCount(s)) { scratch in
                    attentionHD2FloatInference(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                               v: v.advanced(batch: b0, rowsPerBatch: lk), out: out + b0 * lq * s.modelDim, scratch: scratch)
                }
            }
        case .reference:
            referenceForward(s, q: q, k: k, v: v, out: out, probs: probs, mask: mask, threads: threads)
        case .doubleHD2:
            preconditionFailure("unreachable: checkRuns stops float32 calls on doubleHD2")
        }
    }

    public static func attentionBackward(_ path: AttentionPath, _ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                         v: AttentionOperand<Float>, probs: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                         gradOut: UnsafePointer<Float>, dq: AttentionOperand<Float>, dk: AttentionOperand<Float>,
                                         dv: AttentionOperand<Float>, threads: Int) {
        path.checkRuns(AttentionCall(Float.self, s, keepsWeights: true, dropout: mask != nil), "Float.attentionBackward")
        let (lq, lk) = (s.queryLength, s.keyLength)
        switch path {
        case .floatHD2Training:
            let wk = s.weightCount / Swift.max(s.batch, 1)
            s.forEachBatchChunk(threads: threads) { sub, b0 in
                withZeroedScratch(Float.self, count: hd2FloatTrainingScratchCount(s)) { scratch in
                    attentionHD2FloatTrainingBackward(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                                      v: v.advanced(batch: b0, rowsPerBatch: lk),
                                                      keep: mask.map { keepBytes($0) + b0 * wk }, factor: mask?[0] ?? 1,
                                                      gradOut: gradOut + b0 * lq * s.modelDim,
                                                      dq: dq.advanced(batch: b0, rowsPerBatch: lq), dk: dk.advanced(batch: b0, rowsPerBatch: lk),
                                                      dv: dv.advanced(batch: b0, rowsPerBatch: lk), scratch: scratch)
                }
            }
        case .reference:
            referenceBackward(s, q: q, k: k, v: v, probs: probs, mask: mask, gradOut: gradOut, dq: dq, dk: dk, dv: dv, threads: threads)
        case .floatHD2Inference, .doubleHD2:
            preconditionFailure("unreachable: checkRuns stops backward calls on \(path.rawValue)")
        }
    }

    public static func attentionPlanarInference(_ s: AttentionShape, hp: Int, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                                v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>, outStride: Int) {
        precondition(s.headDim == 2 && hp % 8 == 0 && hp >= s.heads, "attentionPlanarInference (float32): head width 2, hp a multiple of 8 ≥ heads")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * s.keyLength) { S in
            attentionPlanarFloat(s, hp: hp, q: q, k: k, v: v, out: out, outStride: outStride, scores: S.baseAddress!)
        }
    }
}

extension Double: AttentionScalar {
    public static func attentionForward(_ path: AttentionPath, _ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                                        v: AttentionOperand<Double>, out: UnsafeMutablePointer<Double>,
                                        probs: UnsafeMutablePointer<Double>?, mask: UnsafePointer<Double>?, threads: Int) {
        path.checkRuns(AttentionCall(Double.self, s, keepsWeights: probs != nil, dropout: mask != nil), "Double.attentionForward")
        switch path {
        case .doubleHD2:
            let w = s.weightCount / Swift.max(s.batch, 1)
            let (lq, lk) = (s.queryLength, s.keyLength)
            s.forEachBatchChunk(threads: threads) { sub, b0 in
                withZeroedScratch(Double.self, count: hd2DoubleScratchCount(s)) { scratch in
                    attentionHD2DoubleForward(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                              v: v.advanced(batch: b0, rowsPerBatch: lk), out: out + b0 * lq * s.modelDim,
                                              training: probs != nil, keep: mask.map { keepBytes($0) + b0 * w },
                                              factor: mask?[0] ?? 1, scratch: scratch)
                }
            }
        case .reference:
            referenceForward(s, q: q, k: k, v: v, out: out, probs: probs, mask: mask, threads: threads)
        case .floatHD2Training, .floatHD2Inference:
            preconditionFailure("unreachable: checkRuns stops float64 calls on \(path.rawValue)")
        }
    }

    public static func attentionBackward(_ path: AttentionPath, _ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                                         v: AttentionOperand<Double>, probs: UnsafePointer<Double>, mask: UnsafePointer<Double>?,
                                         gradOut: UnsafePointer<Double>, dq: AttentionOperand<Double>, dk: AttentionOperand<Double>,
                                         dv: AttentionOperand<Double>, threads: Int) {
        path.checkRuns(AttentionCall(Double.self, s, keepsWeights: true, dropout: mask != nil), "Double.attentionBackward")
        switch path {
        case .doubleHD2:
            let w = s.weightCount / Swift.max(s.batch, 1)
            let (lq, lk) = (s.queryLength, s.keyLength)
            s.forEachBatchChunk(threads: threads) { sub, b0 in
                withZeroedScratch(Double.self, count: hd2DoubleScratchCount(s)) { scratch in
                    attentionHD2DoubleBackward(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                               v: v.advanced(batch: b0, rowsPerBatch: lk),
                                               keep: mask.map { keepBytes($0) + b0 * w }, factor: mask?[0] ?? 1,
                                               gradOut: gradOut + b0 * lq * s.modelDim,
                                               dq: dq.advanced(batch: b0, rowsPerBatch: lq), dk: dk.advanced(batch: b0, rowsPerBatch: lk),
                                               dv: dv.advanced(batch: b0, rowsPerBatch: lk), scratch: scratch)
                }
            }
        case .reference:
            referenceBackward(s, q: q, k: k, v: v, probs: probs, mask: mask, gradOut: gradOut, dq: dq, dk: dk, dv: dv, threads: threads)
        case .floatHD2Training, .floatHD2Inference:
            preconditionFailure("unreachable: checkRuns stops float64 calls on \(path.rawValue)")
        }
    }

    public static func attentionPlanarInference(_ s: AttentionShape, hp: Int, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                                                v: AttentionOperand<Double>, out: UnsafeMutablePointer<Double>, outStride: Int) {
        precondition(s.headDim == 2 && hp % 4 == 0 && hp >= s.heads, "attentionPlanarInference (float64): head width 2, hp a multiple of 4 ≥ heads")
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * s.keyLength) { S in
            attentionPlanarDouble(s, hp: hp, q: q, k: k, v: v, out: out, outStride: outStride, scores: S.baseAddress!)
        }
    }
}
