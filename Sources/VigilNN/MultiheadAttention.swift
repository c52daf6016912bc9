// torch.nn.MultiheadAttention (batch-major) with a fused small-head attention op on the tape.
//
// One packed in_proj GEMM (through `linear`), then the per-head math softmax(q kᵀ/√hd)·v in tight
// pointer loops (AttentionKernels), then out_proj. With TranAD's head width 2, per-head GEMMs would be
// 2-wide and far too small for BLAS; the fused op touches each projected value once per key.
import VigilRandom
import VigilTensor

@inline(__always)
private func mutablePointer<S: TensorScalar, T>(_ t: Tensor<S>, as: T.Type) -> UnsafeMutablePointer<T> {
    // Storage of a live tensor; used only inside the op while `t` is retained by the caller/closure.
    t.withUnsafeMutableBufferPointer { UnsafeMutableRawPointer($0.baseAddress!) }.assumingMemoryBound(to: T.self)
}

/// Runs the fused forward for concrete Float/Double; (tensor, column offset) pairs name q, k and v.
private func fusedForward<S: TensorScalar>(_ s: AttentionShape, q: (Tensor<S>, Int), k: (Tensor<S>, Int), v: (Tensor<S>, Int),
                                           out: Tensor<S>, probs: AttentionBuffer<S>?, mask: AttentionBuffer<S>?) {
    let threads = attentionThreads(s)
    func run<T>(_: T.Type, _ body: (AttentionOperand<T>, AttentionOperand<T>, AttentionOperand<T>,
                                    UnsafeMutablePointer<T>, UnsafeMutablePointer<T>?, UnsafePointer<T>?) -> Void) {
        let qo = AttentionOperand(base: mutablePointer(q.0, as: T.self), stride: q.0.shape.last!, offset: q.1)
        let ko = AttentionOperand(base: mutablePointer(k.0, as: T.self), stride: k.0.shape.last!, offset: k.1)
        let vo = AttentionOperand(base: mutablePointer(v.0, as: T.self), stride: v.0.shape.last!, offset: v.1)
        body(qo, ko, vo, mutablePointer(out, as: T.self), probs.map { $0.pointer(as: T.self) },
             mask.map { UnsafePointer($0.pointer(as: T.self)) })
    }
    withExtendedLifetime((q.0, k.0, v.0, out, probs, mask)) {
        if S.self == Float.self {
            run(Float.self) { AttentionKernels.forward(s, q: $0, k: $1, v: $2, out: $3, probs: $4, mask: $5, threads: threads) }
        } else if S.self == Double.self {
            run(Double.self) { AttentionKernels.forward(s, q: $0, k: $1, v: $2, out: $3, probs: $4, mask: $5, threads: threads) }
        } else {
            fatalError("fused attention: only Float and Double are supported, not \(S.self)")
        }
    }
}

private func fusedBackward<S: TensorScalar>(_ s: AttentionShape, q: (Tensor<S>, Int), k: (Tensor<S>, Int), v: (Tensor<S>, Int),
                                            probs: AttentionBuffer<S>, mask: AttentionBuffer<S>?, gradOut: Tensor<S>,
                                            dq: (Tensor<S>, Int), dk: (Tensor<S>, Int), dv: (Tensor<S>, Int)) {
    let threads = attentionThreads(s)
    func op<T>(_ t: (Tensor<S>, Int), _: T.Type) -> AttentionOperand<T> {
        AttentionOperand(base: mutablePointer(t.0, as: T.self), stride: t.0.shape.last!, offset: t.1)
    }
    withExtendedLifetime((q.0, k.0, v.0, probs, mask, gradOut, dq.0, dk.0, dv.0)) {
        if S.self == Float.self {
            AttentionKernels.backward(s, q: op(q, Float.self), k: op(k, Float.self), v: op(v, Float.self),
                                      probs: probs.pointer(as: Float.self),
                                      mask: mask.map { UnsafePointer($0.pointer(as: Float.self)) },
                                      gradOut: mutablePointer(gradOut, as: Float.self),
                                      dq: op(dq, Float.self), dk: op(dk, Float.self), dv: op(dv, Float.self),
                                      threads: threads)
        } else {
            AttentionKernels.backward(s, q: op(q, Double.self), k: op(k, Double.self), v: op(v, Double.self),
                                      probs: probs.pointer(as: Double.self),
                                      mask: mask.map { UnsafePointer($0.pointer(as: Double.self)) },
                                      gradOut: mutablePointer(gradOut, as: Double.self),
                                      dq: op(dq, Double.self), dk: op(dk, Double.self), dv: op(dv, Double.self),
                                      threads: threads)
        }
    }
}

/// Whether a call runs the Float head-width-2 training kernels (head-padded probs/mask, SIMD8 over heads):
/// Float, head width 2, and weights to keep (gradient) or a dropout mask to apply.
private func usesPaddedTraining<S: TensorScalar>(_: S.Type, _ s: AttentionShape, needGrad: Bool, p: Double, training: Bool) -> Bool {
    S.self == Float.self && s.headDim == 2 && (needGrad || (training && p > 0))
}

/// Head-padded keep-mask (B, Lq, Lk, hp) for the Float training kernels (nil: no dropout).
private func makePaddedMask<S: TensorScalar>(_ s: AttentionShape, p: Double, rng: inout Xoshiro256, training: Bool) -> AttentionBuffer<S>? {
    guard training && p > 0 else { return nil }
    let m = AttentionBuffer<S>(count: AttentionKernels.paddedWeightCount(s))
    AttentionKernels.paddedDropoutMask(m.pointer(as: Float.self), s, p: p, rng: &rng, threads: attentionThreads(s))
    return m
}

/// Float head-width-2 training forward (probs and mask head-padded (B, Lq, Lk, hp)).
private func paddedForward<S: TensorScalar>(_ s: AttentionShape, q: (Tensor<S>, Int), k: (Tensor<S>, Int), v: (Tensor<S>, Int),
                                            out: Tensor<S>, probs: AttentionBuffer<S>, mask: AttentionBuffer<S>?) {
    func op(_ t: (Tensor<S>, Int)) -> AttentionOperand<Float> {
        AttentionOperand(base: mutablePointer(t.0, as: Float.self), stride: t.0.shape.last!, offset: t.1)
    }
    withExtendedLifetime((q.0, k.0, v.0, out, probs, mask)) {
        AttentionKernels.trainingForwardHD2(s, q: op(q), k: op(k), v: op(v), out: mutablePointer(out, as: Float.self),
                                            probs: probs.pointer(as: Float.self),
                                            mask: mask.map { UnsafePointer($0.pointer(as: Float.self)) }, threads: attentionThreads(s))
    }
}

/// Backward of `paddedForward`; dq/dk/dv are accumulated into.
private func paddedBackward<S: TensorScalar>(_ s: AttentionShape, q: (Tensor<S>, Int), k: (Tensor<S>, Int), v: (Tensor<S>, Int),
                                             probs: AttentionBuffer<S>, mask: AttentionBuffer<S>?, gradOut: Tensor<S>,
                                             dq: (Tensor<S>, Int), dk: (Tensor<S>, Int), dv: (Tensor<S>, Int)) {
    func op(_ t: (Tensor<S>, Int)) -> AttentionOperand<Float> {
        AttentionOperand(base: mutablePointer(t.0, as: Float.self), stride: t.0.shape.last!, offset: t.1)
    }
    withExtendedLifetime((q.0, k.0, v.0, probs, mask, gradOut, dq.0, dk.0, dv.0)) {
        AttentionKernels.trainingBackwardHD2(s, q: op(q), k: op(k), v: op(v), probs: probs.pointer(as: Float.self),
                                             mask: mask.map { UnsafePointer($0.pointer(as: Float.self)) },
                                             gradOut: mutablePointer(gradOut, as: Float.self),
                                             dq: op(dq), dk: op(dk), dv: op(dv), threads: attentionThreads(s))
    }
}

/// Threads for one fused call: the BLAS thread count, 1 for small calls (dispatch overhead).
private func attentionThreads(_ s: AttentionShape) -> Int {
    s.weightCount * s.headDim < 16_384 ? 1 : Threads.count
}

/// Uninitialised buffer of attention weights or dropout mask, kept alive by the backward closure.
final class AttentionBuffer<S: TensorScalar> {
    let base: UnsafeMutablePointer<S>
    init(count: Int) { base = .allocate(capacity: Swift.max(count, 1)) }
    deinit { base.deallocate() }
    func pointer<T>(as: T.Type) -> UnsafeMutablePointer<T> { UnsafeMutableRawPointer(base).assumingMemoryBound(to: T.self) }
}

private func makeMask<S: TensorScalar>(_ s: AttentionShape, p: Double, rng: inout Xoshiro256, training: Bool) -> AttentionBuffer<S>? {
    guard training && p > 0 else { return nil }
    let m = AttentionBuffer<S>(count: s.weightCount)
    let per = s.weightCount / max(s.batch, 1), threads = attentionThreads(s)
    if S.self == Float.self {
        AttentionKernels.dropoutMask(m.pointer(as: Float.self), batch: s.batch, perBatch: per, p: p, rng: &rng, threads: threads)
    } else {
        AttentionKernels.dropoutMask(m.pointer(as: Double.self), batch: s.batch, perBatch: per, p: p, rng: &rng, threads: threads)
    }
    return m
}

/// Fused multi-head self-attention core on a packed projection.
/// qkv: (B, L, 3d) = [q | k | v] per token → (B, L, d); out_i = Σ_j dropout(softmax_j(q_i·k_j/√hd)) v_j per head.
/// Dropout (probability p, only when `training`) acts on the attention weights, as torch's.
public func fusedSelfAttention<S: TensorScalar>(_ qkv: Tensor<S>, heads: Int, dropout p: Double = 0,
                                                rng: inout Xoshiro256, training: Bool = false) -> Tensor<S> {
    precondition(qkv.shape.count == 3 && qkv.shape[2] % 3 == 0 && (qkv.shape[2] / 3) % heads == 0,
                 "fusedSelfAttention: qkv must be (B, L, 3d) with d divisible by heads=\(heads), got \(qkv.shape)")
    let (b, l, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let s = AttentionShape(batch: b, queryLength: l, keyLength: l, heads: heads, headDim: d / heads)
    let out = Tensor<S>(zeros: [b, l, d])
    let needGrad = GradMode.isEnabled && qkv.requiresGrad
    if usesPaddedTraining(S.self, s, needGrad: needGrad, p: p, training: training) {
        let mask: AttentionBuffer<S>? = makePaddedMask(s, p: p, rng: &rng, training: training)
        let probs = AttentionBuffer<S>(count: AttentionKernels.paddedWeightCount(s))
        paddedForward(s, q: (qkv, 0), k: (qkv, d), v: (qkv, 2 * d), out: out, probs: probs, mask: mask)
        guard needGrad else { return out }
        return Tensor.makeOp(output: out, inputs: [qkv]) { g in
            let dqkv = Tensor<S>(zeros: qkv.shape)
            paddedBackward(s, q: (qkv, 0), k: (qkv, d), v: (qkv, 2 * d), probs: probs, mask: mask, gradOut: g,
                           dq: (dqkv, 0), dk: (dqkv, d), dv: (dqkv, 2 * d))
            return [dqkv]
        }
    }
    let mask: AttentionBuffer<S>? = makeMask(s, p: p, rng: &rng, training: training)
    guard GradMode.isEnabled && qkv.requiresGrad else {
        fusedForward(s, q: (qkv, 0), k: (qkv, d), v: (qkv, 2 * d), out: out, probs: nil, mask: mask)
        return out
    }
    let probs = AttentionBuffer<S>(count: s.weightCount)
    fusedForward(s, q: (qkv, 0), k: (qkv, d), v: (qkv, 2 * d), out: out, probs: probs, mask: mask)
    return Tensor.makeOp(output: out, inputs: [qkv]) { g in
        let dqkv = Tensor<S>(zeros: qkv.shape)
        fusedBackward(s, q: (qkv, 0), k: (qkv, d), v: (qkv, 2 * d), probs: probs, mask: mask, gradOut: g,
                      dq: (dqkv, 0), dk: (dqkv, d), dv: (dqkv, 2 * d))
        return [dqkv]
    }
}

/// Fused multi-head cross-attention core. q: (B, Lq, d), kv: (B, Lk, 2d) = [k | v] → (B, Lq, d).
public func fusedCrossAttention<S: TensorScalar>(query q: Tensor<S>, keyValue kv: Tensor<S>, heads: Int, dropout p: Double = 0,
                                                 rng: inout Xoshiro256, training: Bool = false) -> Tensor<S> {
    precondition(q.shape.count == 3 && kv.shape.count == 3 && kv.shape[0] == q.shape[0] && kv.shape[2] == 2 * q.shape[2]
                 && q.shape[2] % heads == 0,
                 "fusedCrossAttention: query (B, Lq, d) and keyValue (B, Lk, 2d) with d divisible by heads=\(heads), got \(q.shape) and \(kv.shape)")
    let (b, lq, d, lk) = (q.shape[0], q.shape[1], q.shape[2], kv.shape[1])
    let s = AttentionShape(batch: b, queryLength: lq, keyLength: lk, heads: heads, headDim: d / heads)
    let out = Tensor<S>(zeros: [b, lq, d])
    let needGrad = GradMode.isEnabled && (q.requiresGrad || kv.requiresGrad)
    if usesPaddedTraining(S.self, s, needGrad: needGrad, p: p, training: training) {
        let mask: AttentionBuffer<S>? = makePaddedMask(s, p: p, rng: &rng, training: training)
        let probs = AttentionBuffer<S>(count: AttentionKernels.paddedWeightCount(s))
        paddedForward(s, q: (q, 0), k: (kv, 0), v: (kv, d), out: out, probs: probs, mask: mask)
        guard needGrad else { return out }
        return Tensor.makeOp(output: out, inputs: [q, kv]) { g in
            let dq = Tensor<S>(zeros: q.shape), dkv = Tensor<S>(zeros: kv.shape)
            paddedBackward(s, q: (q, 0), k: (kv, 0), v: (kv, d), probs: probs, mask: mask, gradOut: g,
                           dq: (dq, 0), dk: (dkv, 0), dv: (dkv, d))
            return [dq, dkv]
        }
    }
    let mask: AttentionBuffer<S>? = makeMask(s, p: p, rng: &rng, training: training)
    guard GradMode.isEnabled && (q.requiresGrad || kv.requiresGrad) else {
        fusedForward(s, q: (q, 0), k: (kv, 0), v: (kv, d), out: out, probs: nil, mask: mask)
        return out
    }
    let probs = AttentionBuffer<S>(count: s.weightCount)
    fusedForward(s, q: (q, 0), k: (kv, 0), v: (kv, d), out: out, probs: probs, mask: mask)
    return Tensor.makeOp(output: out, inputs: [q, kv]) { g in
        let dq = Tensor<S>(zeros: q.shape), dkv = Tensor<S>(zeros: kv.shape)
        fusedBackward(s, q: (q, 0), k: (kv, 0), v: (kv, d), probs: probs, mask: mask, gradOut: g,
                      dq: (dq, 0), dk: (dkv, 0), dv: (dkv, d))
        return [dq, dkv]
    }
}

/// torch.nn.MultiheadAttention with packed `in_proj_weight` (3d, d), `in_proj_bias` (3d),
/// `out_proj.weight` (d, d), `out_proj.bias` (d); inputs batch-major (B, L, d).
/// Init as PyTorch: xavier_uniform_ in_proj_weight (U(±√(6/(d+3d)))), zero biases,
/// out_proj.weight as Linear's default U(±1/√d).
public final class MultiheadAttention<Scalar: TensorScalar>: Module {
    public let embedDim: Int
    public let heads: Int
    public let inProjWeight: Tensor<Scalar>
    public let inProjBias: Tensor<Scalar>
    public let outProj: Linear<Scalar>
    public var isTraining = true

    public init(embedDim: Int, heads: Int, rng: inout Xoshiro256) {
        precondition(embedDim % heads == 0, "MultiheadAttention: embedDim \(embedDim) not divisible by heads \(heads)")
        self.embedDim = embedDim
        self.heads = heads
        let bound = Scalar((6.0 / Double(embedDim + 3 * embedDim)).squareRoot())
        inProjWeight = Tensor(uniform: [3 * embedDim, embedDim], low: -bound, high: bound, rng: &rng)
        inProjWeight.requiresGrad = true
        inProjBias = Tensor(zeros: [3 * embedDim])
        inProjBias.requiresGrad = true
        outProj = Linear(inFeatures: embedDim, outFeatures: embedDim, rng: &rng)
        outProj.bias!.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = 0 } }
    }

    public var localParameters: [(name: String, tensor: Tensor<Scalar>)] {
        [("in_proj_weight", inProjWeight), ("in_proj_bias", inProjBias)]
    }
    public var submodules: [(name: String, module: any Module<Scalar>)] { [("out_proj", outProj)] }

    /// Self-attention: x (B, L, d) → (B, L, d); one in_proj GEMM over all B·L tokens.
    public func selfAttention(_ x: Tensor<Scalar>, dropout p: Double, rng: inout Xoshiro256, training: Bool) -> Tensor<Scalar> {
        let qkv = linear(x, inProjWeight, inProjBias)  // (B, L, 3d)
        let o = fusedSelfAttention(qkv, heads: heads, dropout: p, rng: &rng, training: training)
        return outProj(o)
    }

    /// Cross-attention: query (B, Lq, d) attends to memory (B, Lk, d) → (B, Lq, d).
    public func crossAttention(query: Tensor<Scalar>, memory: Tensor<Scalar>, dropout p: Double,
                               rng: inout Xoshiro256, training: Bool) -> Tensor<Scalar> {
        let d = embedDim
        let q = linear(query, inProjWeight.slice(axis: 0, range: 0..<d), inProjBias.slice(axis: 0, range: 0..<d))
        let kv = linear(memory, inProjWeight.slice(axis: 0, range: d..<(3 * d)), inProjBias.slice(axis: 0, range: d..<(3 * d)))
        let o = fusedCrossAttention(query: q, keyValue: kv, heads: heads, dropout: p, rng: &rng, training: training)
        return outProj(o)
    }
}
