// Fast path `AttentionPath.floatHD2Inference`: Float32, head width 2, no weights kept and no dropout (the
// eval-mode forward of a Module under `withNoGrad`).
//
// Equals the reference (AttentionReference.swift) with hd = 2 up to rounding: per (query i, group of 8 heads)
// the scores s_j = (q_i/√2)·k_j (j < Lk), their max, e_j = exp(s_j − max) by `fastExp(SIMD8<Float>)`, Σ e_j and
// Σ e_j v_j are computed in SIMD8 lanes (one head per lane) with only an (Lk, 8) block of scores in memory;
// out_i = Σ e_j v_j / Σ e_j. Head-planar copies of q, k, v are padded to hp = H rounded up to 8 (pad lanes 0).
import VigilTensor

/// Head-planar scratch of one batch element for `attentionHD2FloatInference`: Q0/Q1 (Lq, Hp),
/// K0/K1/V0/V1 (Lk, Hp) with Hp = H rounded up to 8 (pad lanes stay 0), and Lk·8 scores.
@inline(__always)
func hd2FloatInferenceScratchCount(_ s: AttentionShape) -> Int {
    let hp = (s.heads + 7) / 8 * 8
    return (2 * s.queryLength + 4 * s.keyLength) * hp + 8 * s.keyLength
}

/// Forward without weights or mask. Buffers: q (B, Lq, ·), k, v (B, Lk, ·); out (B, Lq, 2H); `scratch`
/// (`hd2FloatInferenceScratchCount` values) must be zeroed before the first call (only the H real lanes are
/// rewritten, pad lanes stay 0).
@inline(__always)
func attentionHD2FloatInference(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>,
                                scratch: UnsafeMutablePointer<Float>) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = (H + 7) / 8 * 8
    let d = 2 * H
    let scale = 1 / Float(2).squareRoot()
    let Q0 = scratch, Q1 = Q0 + Lq * hp, K0 = Q1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let S = V1 + Lk * hp  // (Lk, 8) scores of one query and head group
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for g in stride(from: 0, to: hp, by: 8) {
            let nl = Swift.min(8, H - g)
            for i in 0..<Lq {
                let mx = hd2FloatScores(Q0, Q1, K0, K1, i: i, g: g, hp: hp, lk: Lk, scale: scale, S)
                var sum = SIMD8<Float>(), o0 = SIMD8<Float>(), o1 = SIMD8<Float>()
                for j in 0..<Lk {
                    let e = fastExp(load8(S + 8 * j) - mx)
                    sum += e
                    o0 += e * load8(V0 + j * hp + g)
                    o1 += e * load8(V1 + j * hp + g)
                }
                let inv = 1 / sum
                storeInterleaved8(o0 * inv, o1 * inv, out + (b * Lq + i) * d + 2 * g, heads: nl)
            }
        }
    }
}
