// Fast path for TranADInference (`AttentionScalar.attentionPlanarInference`, Float64): head width 2 on head-planar
// operands (layout as AttentionPlanarFloat.swift), 4 heads per SIMD4, no weights kept, no dropout.
//
// Bit-identical to `attentionHD2DoubleForward`'s inference branch (no backward, no mask): the same operations in
// the same order per head — q/√2 then the two products, running max, e_j = `fastExp(SIMD4<Double>)` of s_j − max
// (bit-identical to `fastExp(Double)` lane by lane, FastExp.swift), Σ e_j and Σ e_j v_j in key order, then one
// multiply by 1/Σ — so TranADInference's Float64 attention step rounds exactly as the Module's. Kept as a concrete twin of the Float kernel: one kernel generic over `SIMD`
// measured 3.5× slower (generic SIMD arithmetic is not lowered to vector instructions).
import VigilTensor

/// Forward on head-planar operands (layout as `attentionPlanarFloat`, hp a multiple of 4);
/// `scores` holds 4·Lk values.
@inline(__always)
func attentionPlanarDouble(_ s: AttentionShape, hp: Int, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                           v: AttentionOperand<Double>, out: UnsafeMutablePointer<Double>, outStride: Int,
                           scores S: UnsafeMutablePointer<Double>) {
    let (B, Lq, Lk) = (s.batch, s.queryLength, s.keyLength)
    let scale = 1 / Double(2).squareRoot()
    for b in 0..<B {
        let kb = k.base + b * Lk * k.stride + k.offset, vb = v.base + b * Lk * v.stride + v.offset
        for i in 0..<Lq {
            let qi = q.base + (b * Lq + i) * q.stride + q.offset, oi = out + (b * Lq + i) * outStride
            for g in stride(from: 0, to: hp, by: 4) {
                let q0 = load4(qi + g) * scale, q1 = load4(qi + hp + g) * scale
                var mx = SIMD4<Double>(repeating: -Double.greatestFiniteMagnitude)
                for j in 0..<Lk {
                    let kj = kb + j * k.stride + g
                    let sc = (q0 * load4(kj)).addingProduct(q1, load4(kj + hp))
                    store4(sc, S + 4 * j)
                    mx = mx.replacing(with: sc, where: sc .> mx)
                }
                var sum = SIMD4<Double>(), o0 = SIMD4<Double>(), o1 = SIMD4<Double>()
                for j in 0..<Lk {
                    let e = fastExp(load4(S + 4 * j) - mx)
                    let vj = vb + j * v.stride + g
                    sum += e
                    o0 = o0.addingProduct(e, load4(vj))
                    o1 = o1.addingProduct(e, load4(vj + hp))
                }
                let inv = 1 / sum
                store4(o0 * inv, oi + g)
                store4(o1 * inv, oi + hp + g)
            }
        }
    }
}
