// Fast path `AttentionPath.doubleHD2`: Float64, head width 2, heads across the inner loop (the training forward:
// heads in SIMD4 lanes, `hd2DoubleTrainingQuery`).
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
/// P = softmax(s) (pre-dropout) when given; keep (B, Lq, Lk, H) dropout keep bytes (4 readable bytes past the end)
/// with the keep factor (mask value factor where the byte is 1, +0 where it is 0), or nil; scratch `hd2DoubleScratchCount`.
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
        if probs != nil || keep != nil {
            for i in 0..<Lq {
                hd2DoubleTrainingQuery(s, b: b, i: i, Q0, Q1, K0, K1, V0, V1, out: out, probs: probs, keep: keep, factor: factor,
                                       scores: pScratch)
            }
            continue
        }
        for i in 0..<Lq {
            let q0 = Q0 + i * H, q1 = Q1 + i * H
            let p = pScratch  // (Lk, H)
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
            let oi = out + (b * Lq + i) * d
            for h in 0..<H { oi[2 * h] = o0[h]; oi[2 * h + 1] = o1[h] }
        }
    }
}

/// The training branch of `attentionHD2DoubleForward` (probs or mask given) for query i of batch element b: heads in
/// groups of 4 on SIMD4 lanes (the last H mod 4 heads one at a time), per head the operations of the all-heads loops
/// this replaced, in the same order, so the same bits: s_j = q0·k0_j + q1·k1_j (q pre-scaled by 1/√2), the running
/// max m, e_j = fastExp(s_j − m) (`fastExp(SIMD4<Double>)` equals `fastExp(Double)` lane by lane), Σ_j e_j in key
/// order, P_j = e_j·(1/Σ), out = Σ_j (P_j·M_j)·v_j (P_j·v_j without a mask). Planes Q0/Q1 (Lq, H), K0/K1/V0/V1
/// (Lk, H); probs and keep bytes (B, Lq, Lk, H) or nil (M_j: `factor` where the byte is 1, +0 where it is 0);
/// `scores` holds 4·Lk values.
@inline(__always)
func hd2DoubleTrainingQuery(_ s: AttentionShape, b: Int, i: Int, _ Q0: UnsafePointer<Double>, _ Q1: UnsafePointer<Double>,
                            _ K0: UnsafePointer<Double>, _ K1: UnsafePointer<Double>, _ V0: UnsafePointer<Double>,
                            _ V1: UnsafePointer<Double>, out: UnsafeMutablePointer<Double>, probs: UnsafeMutablePointer<Double>?,
                            keep: UnsafePointer<UInt8>?, factor: Double, scores S: UnsafeMutablePointer<Double>) {
    let (Lq, Lk, H) = (s.queryLength, s.keyLength, s.heads)
    let block = (b * Lq + i) * Lk * H  // this query's (Lk, H) block of probs and mask
    let P = probs.map { $0 + block }, M = keep.map { $0 + block }
    let oi = out + (b * Lq + i) * 2 * H
    let full = H / 4 * 4
    for g in stride(from: 0, to: full, by: 4) {
        let q0 = load4(Q0 + i * H + g), q1 = load4(Q1 + i * H + g)
        var mx = SIMD4<Double>(repeating: -Double.greatestFiniteMagnitude)
        for j in 0..<Lk {
            let sc = q0 * load4(K0 + j * H + g) + q1 * load4(K1 + j * H + g)
            store4(sc, S + 4 * j)
            mx = mx.replacing(with: sc, where: sc .> mx)
        }
        var sum = SIMD4<Double>()
        for j in 0..<Lk {
            let e = fastExp(load4(S + 4 * j) - mx)
            store4(e, S + 4 * j)
            sum += e
        }
        let inv = 1 / sum
        var o0 = SIMD4<Double>(), o1 = SIMD4<Double>()
        for j in 0..<Lk {
            let pr = load4(S + 4 * j) * inv
            if let P { store4(pr, P + j * H + g) }
            let a = M.map { pr * keepFactors4($0 + j * H + g, factor) } ?? pr
            o0 += a * load4(V0 + j * H + g)
            o1 += a * load4(V1 + j * H + g)
        }
        for l in 0..<4 { oi[2 * (g + l)] = o0[l]; oi[2 * (g + l) + 1] = o1[l] }
    }
    for h in full..<H {
        let q0 = Q0[i * H + h], q1 = Q1[i * H + h]
        var mx = -Double.greatestFiniteMagnitude
        for j in 0..<Lk {
            let sc = q0 * K0[j * H + h] + q1 * K1[j * H + h]
            S[j] = sc
            mx = sc > mx ? sc : mx
        }
        var sum = 0.0
        for j in 0..<Lk {
            let e = fastExp(S[j] - mx)
            S[j] = e
            sum += e
        }
        let inv = 1 / sum
        var o0 = 0.0, o1 = 0.0
        for j in 0..<Lk {
            let pr = S[j] * inv
            P?[j * H + h] = pr
            let a = M.map { pr * keepFactor($0[j * H + h], factor) } ?? pr
            o0 += a * V0[j * H + h]
            o1 += a * V1[j * H + h]
        }
        oi[2 * h] = o0; oi[2 * h + 1] = o1
    }
}

/// The mask value of a keep byte: `factor` where it is 1, +0 where it is 0 (the bits `DropoutMask.fill` writes).
@inline(__always)
func keepFactor(_ byte: UInt8, _ factor: Double) -> Double {
    Double(bitPattern: factor.bitPattern & (0 &- UInt64(byte)))
}

/// The mask values of 4 keep bytes (`keepFactor` per lane).
@inline(__always)
func keepFactors4(_ keep: UnsafePointer<UInt8>, _ factor: Double) -> SIMD4<Double> {
    let bytes = SIMD4<UInt64>(truncatingIfNeeded: UnsafeRawPointer(keep).loadUnaligned(as: SIMD4<UInt8>.self))
    return unsafeBitCast((SIMD4<UInt64>() &- bytes) & SIMD4(repeating: factor.bitPattern), to: SIMD4<Double>.self)
}

/// Backward of `attentionHD2DoubleForward` (the reference backward's formulas, heads across the inner loop).
/// Buffers as the forward; probs (B, Lq, Lk, H); keep bytes and factor as the forward's; gradOut (B, Lq, 2H); dq/dk/dv are overwritten, each element once as
/// 0 + its gradient (the bits accumulating into a zeroed buffer gives; `AttentionPath.overwritesGradients`);
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
