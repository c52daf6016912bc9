// Fast path for TranADInference (`AttentionScalar.attentionPlanarInference`, Float32): head width 2 on head-planar
// operands, no weights kept, no dropout.
//
// Equals the reference (AttentionReference.swift) with hd = 2 up to rounding, on operands whose rows are planar
// (component 0 of every head, then component 1; TranADInference permutes its projection weights so the GEMMs
// write this layout): per (query i, group of 8 heads) s_j = (q_i·log₂e/√2)·k_j, e_j = 2^(s_j − max) by
// `fastExp2Nonpositive`, out_i = Σ e_j v_j / Σ e_j, 8 heads per SIMD load with no de-interleaving.
import VigilTensor

/// Forward on head-planar operands. Buffers: q (B, Lq, ·), k, v (B, Lk, ·), each row holding plane 0
/// (component 0 of heads 0..<hp) at `offset` and plane 1 at `offset + hp`, hp a multiple of 8, pad heads 0;
/// out (B, Lq, outStride) gets the two planes of Σ_j softmax_j·v_j at columns 0..<hp and hp..<2hp;
/// `scores` holds 8·Lk values.
@inline(__always)
func attentionPlanarFloat(_ s: AttentionShape, hp: Int, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                          v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>, outStride: Int,
                          scores S: UnsafeMutablePointer<Float>) {
    let (B, Lq, Lk) = (s.batch, s.queryLength, s.keyLength)
    // scores in log2 units: s·log2(e), so e^(s − max) = 2^(s' − max')
    let scale = Float(1.4426950408889634 / 2.0.squareRoot())
    for b in 0..<B {
        let kb = k.base + b * Lk * k.stride + k.offset, vb = v.base + b * Lk * v.stride + v.offset
        for i in 0..<Lq {
            let qi = q.base + (b * Lq + i) * q.stride + q.offset, oi = out + (b * Lq + i) * outStride
            for g in stride(from: 0, to: hp, by: 8) {
                let q0 = load8(qi + g) * scale, q1 = load8(qi + hp + g) * scale
                var mx = SIMD8<Float>(repeating: -Float.greatestFiniteMagnitude)
                for j in 0..<Lk {
                    let kj = kb + j * k.stride + g
                    let sc = q0 * load8(kj) + q1 * load8(kj + hp)
                    store8(sc, S + 8 * j)
                    mx = mx.replacing(with: sc, where: sc .> mx)
                }
                var sum = SIMD8<Float>(), o0 = SIMD8<Float>(), o1 = SIMD8<Float>()
                for j in 0..<Lk {
                    let e = fastExp2Nonpositive(load8(S + 8 * j) - mx)
                    let vj = vb + j * v.stride + g
                    sum += e
                    o0 += e * load8(vj)
                    o1 += e * load8(vj + hp)
                }
                let inv = 1 / sum
                store8(o0 * inv, oi + g)
                store8(o1 * inv, oi + hp + g)
            }
        }
    }
}
