// Fast path `AttentionPath.floatHD2Training`: Float32, head width 2, with attention weights kept for the
// backward or a dropout mask applied (training).
//
// Equals the reference (AttentionReference.swift) with hd = 2 up to rounding. Per (query i, group of 8 heads)
// the loops over keys run on SIMD8 lanes of head-planar copies padded to hp = H rounded up to 8 (pad lanes
// zero): s_j = (q_i·log₂e/√2)·k_j, e_j = 2^(s_j − max) by `fastExp2Nonpositive` (= exp((q_i·k_j)/√2 − max)),
// P_j = e_j·(1/Σ e), out_i = Σ_j P_j·M_j·v_j (`hd2FloatSoftmaxNumerators`). The weights P are not kept: the backward
// recomputes them with the same operations (so the same bits), which costs the scores and exps again but not the
// memory traffic of a (B, Lq, Lk, hp) Float buffer written by the forward and read by the backward (1 MB per encoder
// call on a worker's 64 windows; perf put a third of the backward's samples on its loads). The dropout mask is keep bytes (B, Lq, Lk, H) (`DropoutMask.fillKeepBatched`,
// the draws `DropoutMask.fillBatched` makes for that layout) and the keep factor: M_j = factor where the byte is 1,
// +0 where it is 0 — the values of a Float mask, read from a quarter of the memory. A head group reads 8 bytes, so
// pad lanes (h ≥ H) read the next row's bytes (or the buffer's 8 zero bytes): they multiply zero q, k, v and output
// gradients and are never written out. Checked against the Float64 head-width-2 kernels in
// VigilNNTests/TrainingKernelTests.
import VigilTensor

/// Scratch values of `attentionHD2FloatTrainingForward` / `attentionHD2FloatTrainingBackward`.
@inline(__always)
func hd2FloatTrainingScratchCount(_ s: AttentionShape) -> Int {
    let hp = (s.heads + 7) / 8 * 8
    return (4 * s.queryLength + 8 * s.keyLength) * hp + 16 * s.keyLength
}

/// The keep bytes of a head-width-2 training mask buffer (`AttentionPath.maskCount`): after its keep factor.
@inline(__always)
func keepBytes<S>(_ mask: UnsafePointer<S>) -> UnsafePointer<UInt8> {
    UnsafeRawPointer(mask + 1).assumingMemoryBound(to: UInt8.self)
}

/// The mask values of 8 keep bytes: `factor` where the byte is 1, +0 where it is 0 (the bits of `DropoutMask.fill`'s values).
@inline(__always)
func keepFactors8(_ keep: UnsafePointer<UInt8>, _ factor: Float) -> SIMD8<Float> {
    let bytes = SIMD8<UInt32>(truncatingIfNeeded: UnsafeRawPointer(keep).loadUnaligned(as: SIMD8<UInt8>.self))
    return unsafeBitCast((SIMD8<UInt32>() &- bytes) & SIMD8(repeating: factor.bitPattern), to: SIMD8<Float>.self)
}

/// The scores of query i, heads g..<g+8: s'_j = (q_i·scale)·k_j into S (Lk, 8); returns their max per head. Q0/Q1
/// (Lq, hp), K0/K1 (Lk, hp) are head planes. Both Float head-width-2 kernels start from it (training with
/// scale = log₂e/√2 for its base-2 exp, inference with 1/√2).
@inline(__always)
func hd2FloatScores(_ Q0: UnsafePointer<Float>, _ Q1: UnsafePointer<Float>, _ K0: UnsafePointer<Float>,
                    _ K1: UnsafePointer<Float>, i: Int, g: Int, hp: Int, lk: Int, scale: Float,
                    _ S: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    let q0 = load8(Q0 + i * hp + g) * scale, q1 = load8(Q1 + i * hp + g) * scale
    var mx = SIMD8<Float>(repeating: -Float.greatestFiniteMagnitude)
    for j in 0..<lk {
        let sc = q0 * load8(K0 + j * hp + g) + q1 * load8(K1 + j * hp + g)
        store8(sc, S + 8 * j)
        mx = mx.replacing(with: sc, where: sc .> mx)
    }
    return mx
}

/// The softmax numerators of query i, heads g..<g+8: e_j = 2^(s'_j − max s') with s'_j = (q_i·log₂e/√2)·k_j (so
/// e_j = exp(q_i·k_j/√2 − max)) into E (Lk, 8); returns 1/Σ_j e_j. Q0/Q1 (Lq, hp), K0/K1 (Lk, hp) are head planes. The
/// forward and the backward (which recomputes P from it) run these same operations, so P has the same bits in both.
@inline(__always)
func hd2FloatSoftmaxNumerators(_ Q0: UnsafePointer<Float>, _ Q1: UnsafePointer<Float>, _ K0: UnsafePointer<Float>,
                               _ K1: UnsafePointer<Float>, i: Int, g: Int, hp: Int, lk: Int,
                               _ E: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    let mx = hd2FloatScores(Q0, Q1, K0, K1, i: i, g: g, hp: hp, lk: lk, scale: Float(1.4426950408889634 / 2.0.squareRoot()), E)
    var sum = SIMD8<Float>()
    for j in 0..<lk {
        let e = fastExp2Nonpositive(load8(E + 8 * j) - mx)
        store8(e, E + 8 * j)
        sum += e
    }
    return 1 / sum
}

/// Forward. Buffers: q (B, Lq, ·), k, v (B, Lk, ·); out (B, Lq, 2H); keep (B, Lq, Lk, H) keep bytes (8 readable bytes past the end) and the
/// keep factor, or nil (no dropout); hp = H rounded up to 8.
/// `scratch` (`hd2FloatTrainingScratchCount`) must be zeroed before the first call.
@inline(__always)
func attentionHD2FloatTrainingForward(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                      v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>,
                                      keep: UnsafePointer<UInt8>?, factor: Float,
                                      scratch: UnsafeMutablePointer<Float>) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = (H + 7) / 8 * 8
    let d = 2 * H
    let Q0 = scratch, Q1 = Q0 + Lq * hp, K0 = Q1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let S = V1 + Lk * hp  // (Lk, 8): exp'd scores of one query and head group
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for i in 0..<Lq {
            let oi = out + (b * Lq + i) * d
            let M = keep.map { $0 + (b * Lq + i) * Lk * H }  // keep bytes (Lk, H) of this query
            for g in stride(from: 0, to: hp, by: 8) {
                let nl = Swift.min(8, H - g)
                let inv = hd2FloatSoftmaxNumerators(Q0, Q1, K0, K1, i: i, g: g, hp: hp, lk: Lk, S)
                var o0 = SIMD8<Float>(), o1 = SIMD8<Float>()
                // one pass over the keys: P_j weighted into the output
                if let M {
                    for j in 0..<Lk {
                        let p = load8(S + 8 * j) * inv
                        let a = p * keepFactors8(M + j * H + g, factor)
                        o0 += a * load8(V0 + j * hp + g)
                        o1 += a * load8(V1 + j * hp + g)
                    }
                } else {
                    for j in 0..<Lk {
                        let p = load8(S + 8 * j) * inv
                        o0 += p * load8(V0 + j * hp + g)
                        o1 += p * load8(V1 + j * hp + g)
                    }
                }
                storeInterleaved8(o0, o1, oi + 2 * g, heads: nl)
            }
        }
    }
}

/// Backward (the operations of `attentionHD2DoubleBackward`, heads in SIMD8 lanes, P recomputed per query and head
/// group). Buffers as the forward; gradOut (B, Lq, 2H); dq/dk/dv are overwritten (`AttentionPath.overwritesGradients`):
/// each element is written once as 0 + its gradient, the bits accumulating into a zeroed buffer gives.
/// `scratch` (`hd2FloatTrainingScratchCount`) must be zeroed before the first call.
@inline(__always)
func attentionHD2FloatTrainingBackward(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                       v: AttentionOperand<Float>, keep: UnsafePointer<UInt8>?,
                                       factor: Float, gradOut: UnsafePointer<Float>, dq: AttentionOperand<Float>,
                                       dk: AttentionOperand<Float>, dv: AttentionOperand<Float>,
                                       scratch: UnsafeMutablePointer<Float>) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = (H + 7) / 8 * 8
    let d = 2 * H
    let scale = 1 / Float(2).squareRoot()
    let Q0 = scratch, Q1 = Q0 + Lq * hp, G0 = Q1 + Lq * hp, G1 = G0 + Lq * hp
    let K0 = G1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let dK0 = V1 + Lk * hp, dK1 = dK0 + Lk * hp, dV0 = dK1 + Lk * hp, dV1 = dV0 + Lk * hp
    let dP = dV1 + Lk * hp, E = dP + 8 * Lk  // (Lk, 8) each: dP and the recomputed P of one query and head group
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(UnsafeMutablePointer(mutating: gradOut) + b * Lq * d, stride: d, rows: Lq, heads: H, hp: hp, G0, G1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for x in 0..<(Lk * hp) { dK0[x] = 0; dK1[x] = 0; dV0[x] = 0; dV1[x] = 0 }
        for i in 0..<Lq {
            let dqi = dq.base + (b * Lq + i) * dq.stride + dq.offset
            let M = keep.map { $0 + (b * Lq + i) * Lk * H }
            for g in stride(from: 0, to: hp, by: 8) {
                let nl = Swift.min(8, H - g)
                // P_j of this group, recomputed with the forward's operations (the same bits), into E (Lk, 8)
                let inv = hd2FloatSoftmaxNumerators(Q0, Q1, K0, K1, i: i, g: g, hp: hp, lk: Lk, E)
                for j in 0..<Lk { store8(load8(E + 8 * j) * inv, E + 8 * j) }
                let g0 = load8(G0 + i * hp + g), g1 = load8(G1 + i * hp + g)
                var dot = SIMD8<Float>()
                if let M {
                    for j in 0..<Lk {
                        let p = load8(E + 8 * j), mj = keepFactors8(M + j * H + g, factor)
                        let a = p * mj
                        let jo = j * hp + g
                        store8(load8(dV0 + jo) + a * g0, dV0 + jo)
                        store8(load8(dV1 + jo) + a * g1, dV1 + jo)
                        let gp = (g0 * load8(V0 + jo) + g1 * load8(V1 + jo)) * mj
                        store8(gp, dP + 8 * j)
                        dot += p * gp
                    }
                } else {
                    for j in 0..<Lk {
                        let p = load8(E + 8 * j)
                        let jo = j * hp + g
                        store8(load8(dV0 + jo) + p * g0, dV0 + jo)
                        store8(load8(dV1 + jo) + p * g1, dV1 + jo)
                        let gp = g0 * load8(V0 + jo) + g1 * load8(V1 + jo)
                        store8(gp, dP + 8 * j)
                        dot += p * gp
                    }
                }
                let q0 = load8(Q0 + i * hp + g) * scale, q1 = load8(Q1 + i * hp + g) * scale
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
                for j in 0..<Lk {
                    let p = load8(E + 8 * j)
                    let jo = j * hp + g
                    let ds = p * (load8(dP + 8 * j) - dot)
                    a0 += ds * load8(K0 + jo); a1 += ds * load8(K1 + jo)
                    store8(load8(dK0 + jo) + ds * q0, dK0 + jo)
                    store8(load8(dK1 + jo) + ds * q1, dK1 + jo)
                }
                storeInterleaved8(0 + a0 * scale, 0 + a1 * scale, dqi + 2 * g, heads: nl)
            }
        }
        for j in 0..<Lk {
            let dkj = dk.base + (b * Lk + j) * dk.stride + dk.offset
            let dvj = dv.base + (b * Lk + j) * dv.stride + dv.offset
            let dk0 = dK0 + j * hp, dk1 = dK1 + j * hp, dv0 = dV0 + j * hp, dv1 = dV1 + j * hp
            for h in stride(from: 0, to: hp, by: 8) {
                let n = Swift.min(8, H - h)
                storeInterleaved8(0 + load8(dk0 + h), 0 + load8(dk1 + h), dkj + 2 * h, heads: n)
                storeInterleaved8(0 + load8(dv0 + h), 0 + load8(dv1 + h), dvj + 2 * h, heads: n)
            }
        }
    }
}
