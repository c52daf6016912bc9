// torch.nn.MultiheadAttention (batch-major) with a fused small-head attention op on the tape.
//
// One packed in_proj GEMM (through `linear`), then the per-head math softmax(q kᵀ/√hd)·v in tight
// pointer loops (Attention/, kernel chosen by `AttentionPath.select`), then out_proj. With TranAD's head
// width 2, per-head GEMMs would be 2-wide and far too small for BLAS; the fused op touches each projected
// value once per key.
import VigilRandom
import VigilTensor

/// One projected operand of a fused call: a (B, L, C) tensor and the column of head 0 in it.
private typealias Projected<S: TensorScalar> = (tensor: Tensor<S>, offset: Int)

private func operand<S: TensorScalar>(_ t: Projected<S>) -> AttentionOperand<S> {
    AttentionOperand(base: t.tensor.storage, stride: t.tensor.shape.last!, offset: t.offset)
}

/// The fused attention op: out (B, Lq, d) = attention(q, k, v) with dropout p on the weights when `training`,
/// recorded on the tape with its backward when a gradient is needed. `inputs` are the tensors q, k, v live in
/// (in the order the backward returns gradients); `grads(zeroed)` makes their gradient tensors (zero-filled when
/// `zeroed`, else left for the kernel to overwrite every element) and the (tensor, offset) slots of dq, dk, dv in them.
private func fusedAttention<S: AttentionScalar>(
    _ s: AttentionShape, q: Projected<S>, k: Projected<S>, v: Projected<S>, inputs: [Tensor<S>], dropout p: Double,
    rng: inout Xoshiro256, training: Bool,
    grads: @escaping (_ zeroed: Bool) -> (tensors: [Tensor<S>], dq: Projected<S>, dk: Projected<S>, dv: Projected<S>)
) -> Tensor<S> {
    let needGrad = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    let useMask = training && p > 0
    let path = AttentionPath.select(for: AttentionCall(S.self, s, keepsWeights: needGrad, dropout: useMask))
    let threads = AttentionPath.threads(for: s)
    let out = Tensor<S>(unfilled: [s.batch, s.queryLength, s.modelDim])  // every kernel writes every output element
    let mask: KernelBuffer<S>? = useMask ? KernelBuffer(count: path.maskCount(s)) : nil
    if let mask { path.fillDropoutMask(mask.pointer, s, p: p, rng: &rng, threads: threads) }
    let probs: KernelBuffer<S>? = needGrad ? KernelBuffer(count: path.weightCount(s)) : nil
    withExtendedLifetime((q.tensor, k.tensor, v.tensor, out)) {
        S.attentionForward(path, s, q: operand(q), k: operand(k), v: operand(v), out: out.storage,
                           probs: probs?.pointer, mask: mask.map { UnsafePointer($0.pointer) }, threads: threads)
    }
    guard let probs else { return out }
    return Tensor.makeOp(output: out, inputs: inputs) { g in
        // the head-width-2 kernels write every element of dq, dk, dv (which fill the gradient tensors), so no zero-fill
        let (tensors, dq, dk, dv) = grads(!path.overwritesGradients)
        withExtendedLifetime((q.tensor, k.tensor, v.tensor, g, tensors)) {
            S.attentionBackward(path, s, q: operand(q), k: operand(k), v: operand(v), probs: probs.pointer,
                                mask: mask.map { UnsafePointer($0.pointer) }, gradOut: g.storage,
                                dq: operand(dq), dk: operand(dk), dv: operand(dv), threads: threads)
        }
        return tensors
    }
}

/// Fused multi-head self-attention core on a packed projection.
/// qkv: (B, L, 3d) = [q | k | v] per token → (B, L, d); out_i = Σ_j dropout(softmax_j(q_i·k_j/√hd)) v_j per head.
/// Dropout (probability p, only when `training`) acts on the attention weights, as torch's.
public func fusedSelfAttention<S: AttentionScalar>(_ qkv: Tensor<S>, heads: Int, dropout p: Double = 0,
                                                   rng: inout Xoshiro256, training: Bool = false) -> Tensor<S> {
    precondition(qkv.shape.count == 3 && qkv.shape[2] % 3 == 0 && (qkv.shape[2] / 3) % heads == 0,
                 "fusedSelfAttention: qkv must be (B, L, 3d) with d divisible by heads=\(heads), got \(qkv.shape)")
    let (b, l, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let s = AttentionShape(batch: b, queryLength: l, keyLength: l, heads: heads, headDim: d / heads)
    return fusedAttention(s, q: (qkv, 0), k: (qkv, d), v: (qkv, 2 * d), inputs: [qkv], dropout: p, rng: &rng,
                          training: training) { zeroed in
        let dqkv = zeroed ? Tensor<S>(zeros: qkv.shape) : Tensor<S>(unfilled: qkv.shape)  // dq | dk | dv: every column
        return ([dqkv], (dqkv, 0), (dqkv, d), (dqkv, 2 * d))
    }
}

/// Fused multi-head cross-attention core. q: (B, Lq, d), kv: (B, Lk, 2d) = [k | v] → (B, Lq, d).
public func fusedCrossAttention<S: AttentionScalar>(query q: Tensor<S>, keyValue kv: Tensor<S>, heads: Int, dropout p: Double = 0,
                                                    rng: inout Xoshiro256, training: Bool = false) -> Tensor<S> {
    precondition(q.shape.count == 3 && kv.shape.count == 3 && kv.shape[0] == q.shape[0] && kv.shape[2] == 2 * q.shape[2]
                 && q.shape[2] % heads == 0,
                 "fusedCrossAttention: query (B, Lq, d) and keyValue (B, Lk, 2d) with d divisible by heads=\(heads), got \(q.shape) and \(kv.shape)")
    let (b, lq, d, lk) = (q.shape[0], q.shape[1], q.shape[2], kv.shape[1])
    let s = AttentionShape(batch: b, queryLength: lq, keyLength: lk, heads: heads, headDim: d / heads)
    return fusedAttention(s, q: (q, 0), k: (kv, 0), v: (kv, d), inputs: [q, kv], dropout: p, rng: &rng, training: training) { zeroed in
        let dq = zeroed ? Tensor<S>(zeros: q.shape) : Tensor<S>(unfilled: q.shape)
        let dkv = zeroed ? Tensor<S>(zeros: kv.shape) : Tensor<S>(unfilled: kv.shape)  // dk | dv: every column
        return ([dq, dkv], (dq, 0), (dkv, 0), (dkv, d))
    }
}

/// torch.nn.MultiheadAttention with packed `in_proj_weight` (3d, d), `in_proj_bias` (3d),
/// `out_proj.weight` (d, d), `out_proj.bias` (d); inputs batch-major (B, L, d).
/// Init as PyTorch: xavier_uniform_ in_proj_weight (U(±√(6/(d+3d)))), zero biases,
/// out_proj.weight as Linear's default U(±1/√d).
public final class MultiheadAttention<Scalar: AttentionScalar>: Module<Scalar> {
    public let embedDim: Int
    public let heads: Int
    /// (3d, d), requiresGrad.
    @StateDictKey("in_proj_weight") public private(set) var inProjWeight: Tensor<Scalar>
    /// (3d), requiresGrad.
    @StateDictKey("in_proj_bias") public private(set) var inProjBias: Tensor<Scalar>
    @StateDictKey("out_proj") public private(set) var outProj: Linear<Scalar>

    public init(embedDim: Int, heads: Int, rng: inout Xoshiro256) {
        precondition(embedDim % heads == 0, "MultiheadAttention: embedDim \(embedDim) not divisible by heads \(heads)")
        self.embedDim = embedDim
        self.heads = heads
        let bound = Scalar((6.0 / Double(embedDim + 3 * embedDim)).squareRoot())
        _inProjWeight.wrappedValue = Tensor(uniform: [3 * embedDim, embedDim], low: -bound, high: bound, rng: &rng)
        _inProjWeight.wrappedValue.requiresGrad = true
        _inProjBias.wrappedValue = Tensor(zeros: [3 * embedDim])
        _inProjBias.wrappedValue.requiresGrad = true
        _outProj.wrappedValue = Linear(inFeatures: embedDim, outFeatures: embedDim, rng: &rng)
        super.init()
        outProj.bias!.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = 0 } }
    }

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
