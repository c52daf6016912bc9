// Shared vocabulary of the fused attention kernels (see AttentionDispatch.swift for which kernel runs when).
//
// Layout: tokens are batch-major. A projected tensor is (B, L, C) row-major with row stride C; the
// query/key/value of head h are the `headDim` columns starting at `offset + h·headDim` of a row.
// This lets the packed in_proj output (B, L, 3d) be used in place (offsets 0, d, 2d) and lets the
// backward write straight into the packed gradient, with no split/concat copies.
//
// Per (b, h, i):  s_j = (q_i · k_j) / √headDim,  P = softmax(s),  A = P ⊙ M  (M = dropout keep mask
// scaled by 1/(1−p), or 1),  out_i = Σ_j A_j v_j.
// Backward:       dA_j = dout_i · v_j,  dv_j += A_j dout_i,  dP_j = M_j dA_j,
//                 dS_j = P_j (dP_j − Σ_k P_k dP_k),  dq_i = Σ_j dS_j k_j / √hd,  dk_j += dS_j q_i / √hd.
import VigilTensor

/// Strided view of one projected operand (query, key or value) inside a (B, L, stride) buffer.
public struct AttentionOperand<T> {
    /// Base pointer of the (B, L, stride) buffer.
    public var base: UnsafeMutablePointer<T>
    /// Row stride in elements (the last dimension of the buffer).
    public var stride: Int
    /// First column of head 0.
    public var offset: Int
    public init(base: UnsafeMutablePointer<T>, stride: Int, offset: Int) {
        self.base = base; self.stride = stride; self.offset = offset
    }

    /// The operand of batch elements starting at b0 (rows of length `rowsPerBatch`).
    @inline(__always)
    func advanced(batch b0: Int, rowsPerBatch l: Int) -> AttentionOperand {
        AttentionOperand(base: base + b0 * l * stride, stride: stride, offset: offset)
    }
}

/// Shape of one fused attention call: batch B, query length Lq, key length Lk, heads H, head width.
public struct AttentionShape: Sendable, Equatable {
    public var batch: Int, queryLength: Int, keyLength: Int, heads: Int, headDim: Int
    public init(batch: Int, queryLength: Int, keyLength: Int, heads: Int, headDim: Int) {
        self.batch = batch; self.queryLength = queryLength; self.keyLength = keyLength
        self.heads = heads; self.headDim = headDim
    }
    /// Number of attention weights B·H·Lq·Lk.
    public var weightCount: Int { batch * heads * queryLength * keyLength }
    /// Model width H·headDim.
    public var modelDim: Int { heads * headDim }

    /// Runs `body(sub, b0)` on contiguous batch chunks spread over up to `threads` threads; `sub` is this
    /// shape with `batch` set to the chunk's size. Each batch element is computed the same way in any
    /// chunk, so results do not depend on the thread count.
    @inline(__always)
    func forEachBatchChunk(threads: Int, _ body: (AttentionShape, Int) -> Void) {
        Threads.forEachChunk(batch, threads: threads) { b0, nb in
            var sub = self
            sub.batch = nb
            body(sub, b0)
        }
    }
}

/// Uninitialised scratch or weight buffer of `count` scalars (e.g. attention weights or a dropout mask kept
/// alive by a backward closure).
final class KernelBuffer<S> {
    let pointer: UnsafeMutablePointer<S>
    init(count: Int) { pointer = .allocate(capacity: Swift.max(count, 1)) }
    deinit { pointer.deallocate() }
}

/// An uninitialised scratch of `count` scalars for the duration of `body` (for kernels that write every
/// scratch value before reading it).
@inline(__always)
func withScratch<S: TensorScalar>(_: S.Type, count: Int, _ body: (UnsafeMutablePointer<S>) -> Void) {
    let scratch = UnsafeMutablePointer<S>.allocate(capacity: Swift.max(count, 1))
    defer { scratch.deallocate() }
    body(scratch)
}

/// A zero-initialised scratch of `count` scalars for the duration of `body` (the head-padded Float kernels read
/// pad lanes they never write).
@inline(__always)
func withZeroedScratch<S: TensorScalar>(_: S.Type, count: Int, _ body: (UnsafeMutablePointer<S>) -> Void) {
    let scratch = UnsafeMutablePointer<S>.allocate(capacity: Swift.max(count, 1))
    scratch.initialize(repeating: 0, count: Swift.max(count, 1))
    defer { scratch.deallocate() }
    body(scratch)
}

/// De-interleaves `rows` rows [x0 y0 x1 y1 …] (head h at columns 2h, 2h+1 from `src`, row stride `stride`)
/// into planes a[r·hp + h] = x_h, b[r·hp + h] = y_h (hp ≥ heads; columns heads..<hp are left untouched).
@inline(__always)
func deinterleave<T>(_ src: UnsafeMutablePointer<T>, stride: Int, rows: Int, heads H: Int, hp: Int,
                     _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>) {
    for r in 0..<rows {
        let x = src + r * stride, pa = a + r * hp, pb = b + r * hp
        for h in 0..<H { pa[h] = x[2 * h]; pb[h] = x[2 * h + 1] }
    }
}

/// Interleaves two head planes back into head-width-2 columns for `n` ≤ 8 heads: p[2l] = a[l], p[2l + 1] = b[l],
/// l < n (the inverse of `deinterleave` for one group of heads). A full group is two SIMD8 stores (unpack/permute),
/// the values of the scalar loop `for l in 0..<n { p[2 * l] = a[l]; p[2 * l + 1] = b[l] }`, which a partial group runs.
@inline(__always)
func storeInterleaved8(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, heads n: Int) {
    if n == 8 {
        store8(SIMD8(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]), p)
        store8(SIMD8(a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7]), p + 8)
    } else {
        for l in 0..<n { p[2 * l] = a[l]; p[2 * l + 1] = b[l] }
    }
}

/// Unaligned SIMD loads and stores of 8 Floats / 4 Doubles (the lanes of the head-vectorised kernels).
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
@inline(__always)
func store8(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<Float>.self) }
@inline(__always)
func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self) }
@inline(__always)
func store4(_ x: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD4<Double>.self) }
