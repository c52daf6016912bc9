// Fast path `AttentionPath.doubleHD2`: Float64, head width 2, heads across the inner loop.
//
// Equals the reference (AttentionReference.swift) with hd = 2 up to rounding: for a query i and key j the H scores
// s[j, h] = (q[i, 2h]/√2)·k[j, 2h] + (q[i, 2h+1]/√2)·k[j, 2h+1] come from contiguous head planes, the softmax
// over j runs for all heads at once on a contiguous (Lk, H) block with `fastExp(Double)` (vectorised), and the
// weighted sums write whole output rows. Differences from the reference: q is pre-scaled by 1/√2, exp is
// `fastExp` (≈ 2e-16 relative error), and P/M are laid out (B, Lq, Lk, H) instead of (B, H, Lq, Lk).
// `attentionPlanarDouble` (AttentionPlanarDouble.swift) repeats this forward's inference branch operation for
// operation (bit-identical results on the same operands).
import VigilTensor

/// Scratch values `attentionHD2DoubleForward` / `attentionHD2DoubleBackward` need for a shape.
@inline(__always)
func hd2DoubleScratchCount(_ s: AttentionShape) -> Int { (4 * s.queryLength + 10 * s.keyLength + 8) * s.heads }

/// Forward. Buffers: q (B, Lq, ·), k, v (B, Lk, ·); out (B, Lq, 2H); probs (B, Lq, Lk, H) receives
/// P = softmax(s) (pre-dropout) when given; keep (B, Lq, Lk, H) dropout keep bytes with the keep factor (mask value
/// `keepFactor`: factor where the byte is 1, +0 where it is 0), or nil; scratch `hd2DoubleScratchCount`.
/// With neither probs nor mask (inference) it sums Σ e_j and Σ e_j v_j in one pass and divides at the end.
@inline(__always)
func attentionHD2DoubleForward(
    _ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>, v: AttentionOperand<Double>,
    out: UnsafeMutablePointer<Double>, probs: UnsafeMutablePointer<Double>?, keep: UnsafePointer<UInt8>?, factor: Double,
    scratch: UnsafeMutablePointer<Double>
) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let d = 2 * H
    let scale = 1 / Double(2).squareRoot()
    // Head-planar copies of one batch element: Q0/Q1 (Lq, H) pre-scaled, K0/K1/V0/V1 (Lk, H).
    let Q0 = scratch, Q1 = Q0 + Lq * H, K0 = Q1 + Lq * H, K1 = K0 + Lk * H, V0 = K1 + Lk * H, V1 = V0 + Lk * H
    let mx = V1 + Lk * H, sm = mx + H, o0 = sm + H, o1 = o0 + H, pScratch = o1 + H
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: H, Q0, Q1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: H, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: H, V0, V1)
        for x in 0..<(Lq * H) { Q0[x] *= scale; Q1[x] *= scale }
        for i in 0..<Lq {
            let q0 = Q0 + i * H, q1 = Q1 + i * H
            let p = probs.map { $0 + (b * Lq + i) * Lk * H } ?? pScratch  // (Lk, H)
            // scores and their running max per head (one pass)
            for h in 0..<H { mx[h] = -Double.greatestFiniteMagnitude }
            for j in 0..<Lk {
                let pj = p + j * H, k0 = K0 + j * H, k1 = K1 + j * H
                for h in 0..<H {
                    let sc = q0[h] * k0[h] + q1[h] * k1[h]
                    pj[h] = sc
                    mx[h] = sc > mx[h] ? sc : mx[h]
                }
            }
            // exp(s − max) over the contiguous (Lk, H) block (vectorised), then the per-head sums
            for j in 0..<Lk {
                let pj = p + j * H
                for h in 0..<H { pj[h] -= mx[h] }
            }
            for x in 0..<(Lk * H) { p[x] = fastExp(p[x]) }
            if probs == nil && keep == nil {
                // inference: one pass for the sums and the unnormalised weighted values, then scale
                for h in 0..<H { sm[h] = 0; o0[h] = 0; o1[h] = 0 }
                for j in 0..<Lk {
                    let pj = p + j * H, v0 = V0 + j * H, v1 = V1 + j * H
                    for h in 0..<H {
                        let e = pj[h]
                        sm[h] += e
                        o0[h] += e * v0[h]; o1[h] += e * v1[h]
                    }
                }
                for h in 0..<H { let inv = 1 / sm[h]; o0[h] *= inv; o1[h] *= inv }
            } else {
                // training: normalise in the weighting pass and keep P (pre-dropout) for the backward
                for h in 0..<H { sm[h] = 0 }
                for j in 0..<Lk {
                    let pj = p + j * H
                    for h in 0..<H { sm[h] += pj[h] }
                }
                for h in 0..<H { sm[h] = 1 / sm[h]; o0[h] = 0; o1[h] = 0 }
                if let mk = keep {
                    let m = mk + (b * Lq + i) * Lk * H
                    for j in 0..<Lk {
                        let pj = p + j * H, mj = m + j * H, v0 = V0 + j * H, v1 = V1 + j * H
                        for h in 0..<H {
                            let pr = pj[h] * sm[h]
                            pj[h] = pr
                            let a = pr * keepFactor(mj[h], factor)
                            o0[h] += a * v0[h]; o1[h] += a * v1[h]
                        }
                    }
                } else {
                    for j in 0..<Lk {
                        let pj = p + j * H, v0 = V0 + j * H, v1 = V1 + j * H
                        for h in 0..<H {
                            let a = pj[h] * sm[h]
                            pj[h] = a
                            o0[h] += a * v0[h]; o1[h] += a * v1[h]
                        }
                    }
                }
            }
            let oi = out + (b * Lq + i) * d
            for h in 0..<H { oi[2 * h] = o0[h]; oi[2 * h + 1] = o1[h] }
        }
    }
}

/// The mask value of a keep byte: `factor` where it is 1, +0 where it is 0 (the bits `DropoutMask.fill` writes).
@inline(__always)
func keepFactor(_ byte: UInt8, _ factor: Double) -> Double {
    Double(bitPattern: factor.bitPattern & (0 &- UInt64(byte)))
}

/// Backward of `attentionHD2DoubleForward` (the reference backward's formulas, heads across the inner loop).
/// Buffers as the forward; probs (B, Lq, Lk, H); keep bytes and factor as the forward's; gradOut (B, Lq, 2H);
/// dq/dk/dv are overwritten, each element once as 0 + its gradient (the bits accumulating into a zeroed buffer gives; `AttentionPath.overwritesGradients`);
/// scratch `hd2DoubleScratchCount`.
@inline(__always)
func attentionHD2DoubleBackward(
    _ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>, v: AttentionOperand<Double>,
    probs: UnsafePointer<Double>, keep: UnsafePointer<UInt8>?, factor: Double, gradOut: UnsafePointer<Double>,
    dq: AttentionOperand<Double>, dk: AttentionOperand<Double>, dv: AttentionOperand<Double>,
    scratch: UnsafeMutablePointer<Double>
) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let d = 2 * H
    let scale = 1 / Double(2).squareRoot()
    // Planes: Q0/Q1, G0/G1 (Lq, H); K0/K1, V0/V1, dK0/dK1, dV0/dV1, dP (Lk, H); dot, a0, a1 (H).
    let Q0 = scratch, Q1 = Q0 + Lq * H, G0 = Q1 + Lq * H, G1 = G0 + Lq * H
    let K0 = G1 + Lq * H, K1 = K0 + Lk * H, V0 = K1 + Lk * H, V1 = V0 + Lk * H
    let dK0 = V1 + Lk * H, dK1 = dK0 + Lk * H, dV0 = dK1 + Lk * H, dV1 = dV0 + Lk * H, dP = dV1 + Lk * H
    let dot = dP + Lk * H, a0 = dot + H, a1 = a0 + H
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: H, Q0, Q1)
        deinterleave(UnsafeMutablePointer(mutating: gradOut) + b * Lq * d, stride: d, rows: Lq, heads: H, hp: H, G0, G1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: H, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: H, V0, V1)
        for x in 0..<(Lq * H) { Q0[x] *= scale; Q1[x] *= scale }
        for x in 0..<(Lk * H) { dK0[x] = 0; dK1[x] = 0; dV0[x] = 0; dV1[x] = 0 }
        for i in 0..<Lq {
            let p = probs + (b * Lq + i) * Lk * H
            let g0 = G0 + i * H, g1 = G1 + i * H
            for h in 0..<H { dot[h] = 0 }
            if let mk = keep {
                let m = mk + (b * Lq + i) * Lk * H
                for j in 0..<Lk {
                    let pj = p + j * H, mj = m + j * H, v0 = V0 + j * H, v1 = V1 + j * H
                    let dv0 = dV0 + j * H, dv1 = dV1 + j * H, dpj = dP + j * H
                    for h in 0..<H {
                        let mh = keepFactor(mj[h], factor)
                        let a = pj[h] * mh
                        dv0[h] += a * g0[h]; dv1[h] += a * g1[h]
                        let g = (g0[h] * v0[h] + g1[h] * v1[h]) * mh
                        dpj[h] = g
                        dot[h] += pj[h] * g
                    }
                }
            } else {
                for j in 0..<Lk {
                    let pj = p + j * H, v0 = V0 + j * H, v1 = V1 + j * H
                    let dv0 = dV0 + j * H, dv1 = dV1 + j * H, dpj = dP + j * H
                    for h in 0..<H {
                        let a = pj[h]
                        dv0[h] += a * g0[h]; dv1[h] += a * g1[h]
                        let g = g0[h] * v0[h] + g1[h] * v1[h]
                        dpj[h] = g
                        dot[h] += a * g
                    }
                }
            }
            let q0 = Q0 + i * H, q1 = Q1 + i * H
            for h in 0..<H { a0[h] = 0; a1[h] = 0 }
            for j in 0..<Lk {
                let pj = p + j * H, dpj = dP + j * H, k0 = K0 + j * H, k1 = K1 + j * H
                let dk0 = dK0 + j * H, dk1 = dK1 + j * H
                for h in 0..<H {
                    let ds = pj[h] * (dpj[h] - dot[h])
                    a0[h] += ds * k0[h]; a1[h] += ds * k1[h]
                    dk0[h] += ds * q0[h]; dk1[h] += ds * q1[h]
                }
            }
            let dqi = dq.base + (b * Lq + i) * dq.stride + dq.offset
            for h in 0..<H { dqi[2 * h] = 0 + a0[h] * scale; dqi[2 * h + 1] = 0 + a1[h] * scale }
        }
        for j in 0..<Lk {
            let dkj = dk.base + (b * Lk + j) * dk.stride + dk.offset
            let dvj = dv.base + (b * Lk + j) * dv.stride + dv.offset
            let dk0 = dK0 + j * H, dk1 = dK1 + j * H, dv0 = dV0 + j * H, dv1 = dV1 + j * H
            for h in 0..<H {
                dkj[2 * h] = 0 + dk0[h]; dkj[2 * h + 1] = 0 + dk1[h]
                dvj[2 * h] = 0 + dv0[h]; dvj[2 * h + 1] = 0 + dv1[h]
            }
        }
    }
}
