// Fast path `AttentionPath.doubleHD2`: Float64, head width 2, 4 heads per SIMD4<Double> lane group.
//
// Equals the reference (AttentionReference.swift) with hd = 2 up to rounding. Per (query i, group of 4 heads g) on
// head-planar copies padded to hp = H rounded up to 4 (pad lanes zero): s_j = (q_i/√2)·k_j, e_j = exp(s_j − max) by
// `fastExp(SIMD4<Double>)` (lane by lane the bits of `fastExp(Double)`), P_j = e_j·(1/Σ e), out_i = Σ_j P_j·M_j·v_j.
// Differences from the reference: q is pre-scaled by 1/√2, exp is `fastExp` (≈ 2e-16 relative error), and P is laid
// out (B, Lq, Lk, hp), M as keep bytes (B, Lq, Lk, H). Every lane runs the operations of the scalar loops these
// kernels replaced (heads across the inner loop, in the same order), so the results are bit-identical to them
// (scripts/check-bit-identity). `attentionPlanarDouble` (AttentionPlanarDouble.swift) repeats this forward's
// inference branch operation for operation (bit-identical results on the same operands). A group reads 4 keep
// bytes, so pad lanes (h ≥ H) read the next row's bytes (or the buffer's 8 zero bytes): they multiply zero q, k, v
// and output gradients and are never written out.
import VigilTensor

/// Heads rounded up to the 4 lanes of a Float64 group.
@inline(__always)
func hd2DoublePaddedHeads(_ s: AttentionShape) -> Int { (s.heads + 3) / 4 * 4 }

/// Scratch values `attentionHD2DoubleForward` / `attentionHD2DoubleBackward` need for a shape (zeroed once: pad lanes).
@inline(__always)
func hd2DoubleScratchCount(_ s: AttentionShape) -> Int {
    let hp = hd2DoublePaddedHeads(s)
    return (4 * s.queryLength + 8 * s.keyLength) * hp + 4 * s.keyLength + hp + 8
}

/// The mask values of 4 keep bytes: `factor` where the byte is 1, +0 where it is 0 (the bits of `DropoutMask.fill`'s values).
@inline(__always)
func keepFactors4(_ keep: UnsafePointer<UInt8>, _ factor: Double) -> SIMD4<Double> {
    let bytes = SIMD4<UInt64>(truncatingIfNeeded: UnsafeRawPointer(keep).loadUnaligned(as: SIMD4<UInt8>.self))
    return unsafeBitCast((SIMD4<UInt64>() &- bytes) & SIMD4(repeating: factor.bitPattern), to: SIMD4<Double>.self)
}

/// x[n] ← fastExp(x[n] − m[n mod period]) over `count` values (count and period multiples of 4), 16 values per step:
/// the exp's degree-12 Horner chain is long, so four independent SIMD4 chains side by side keep the core busy where
/// one per step leaves it waiting on latency (measured on the float64 self-attention forward, 64 windows: 886 µs with
/// one SIMD4 exp per step, 821 with four of one head group's rows, 771–810 with this flat block; the auto-vectorised
/// scalar loops these kernels replaced took 748). Each lane gets the bits of `fastExp(Double)`
/// (`fastExp(SIMD4<Double>)`'s contract).
@inline(__always)
func expInPlace(_ x: UnsafeMutablePointer<Double>, count: Int, period: Int, minus m: UnsafePointer<Double>) {
    var n = 0, c = 0  // c = n mod period
    @inline(__always) func next(_ c: Int) -> Int { c + 4 == period ? 0 : c + 4 }
    while n + 16 <= count {
        let c1 = next(c), c2 = next(c1), c3 = next(c2)
        let e0 = fastExp(load4(x + n) - load4(m + c)), e1 = fastExp(load4(x + n + 4) - load4(m + c1))
        let e2 = fastExp(load4(x + n + 8) - load4(m + c2)), e3 = fastExp(load4(x + n + 12) - load4(m + c3))
        store4(e0, x + n); store4(e1, x + n + 4); store4(e2, x + n + 8); store4(e3, x + n + 12)
        n += 16
        c = next(c3)
    }
    while n < count { store4(fastExp(load4(x + n) - load4(m + c)), x + n); n += 4; c = next(c) }
}

/// Interleaves two head planes into head-width-2 columns for `n` ≤ 4 heads: p[2l] = a[l], p[2l + 1] = b[l], l < n.
@inline(__always)
func storeInterleaved4(_ a: SIMD4<Double>, _ b: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>, heads n: Int) {
    if n == 4 {
        store4(SIMD4(a[0], b[0], a[1], b[1]), p)
        store4(SIMD4(a[2], b[2], a[3], b[3]), p + 4)
    } else {
        for l in 0..<n { p[2 * l] = a[l]; p[2 * l + 1] = b[l] }
    }
}

/// Forward. Buffers: q (B, Lq, ·), k, v (B, Lk, ·); out (B, Lq, 2H); probs (B, Lq, Lk, hp) receives P = softmax(s)
/// (pre-dropout) when given; keep (B, Lq, Lk, H) dropout keep bytes (8 readable bytes past the end) with the keep
/// factor (mask value `factor` where the byte is 1, +0 where it is 0), or nil; `scratch` (`hd2DoubleScratchCount`)
/// zeroed before the first call. With neither probs nor mask (inference) it sums Σ e_j and Σ e_j v_j in one pass and
/// divides at the end.
@inline(__always)
func attentionHD2DoubleForward(
    _ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>, v: AttentionOperand<Double>,
    out: UnsafeMutablePointer<Double>, probs: UnsafeMutablePointer<Double>?, keep: UnsafePointer<UInt8>?, factor: Double,
    scratch: UnsafeMutablePointer<Double>
) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = hd2DoublePaddedHeads(s)
    let d = 2 * H
    let scale = 1 / Double(2).squareRoot()
    // Head-planar copies of one batch element: Q0/Q1 (Lq, hp) pre-scaled, K0/K1/V0/V1 (Lk, hp); E (Lk, hp) the
    // exp'd scores of one query when no probs are kept; MX (hp) the running max of one query's scores.
    let Q0 = scratch, Q1 = Q0 + Lq * hp, K0 = Q1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let E = V1 + Lk * hp, MX = E + Lk * hp
    let inference = probs == nil && keep == nil
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for x in 0..<(Lq * hp) { Q0[x] *= scale; Q1[x] *= scale }
        for i in 0..<Lq {
            let oi = out + (b * Lq + i) * d
            let M = keep.map { $0 + (b * Lq + i) * Lk * H }  // keep bytes (Lk, H) of this query
            let P = probs.map { $0 + (b * Lq + i) * Lk * hp } ?? E  // P (Lk, hp) of this query
            // scores s[j, h] and their running max per head
            for g in stride(from: 0, to: hp, by: 4) { store4(SIMD4(repeating: -Double.greatestFiniteMagnitude), MX + g) }
            for j in 0..<Lk {
                let pj = P + j * hp, k0 = K0 + j * hp, k1 = K1 + j * hp
                for g in stride(from: 0, to: hp, by: 4) {
                    let sc = load4(Q0 + i * hp + g) * load4(k0 + g) + load4(Q1 + i * hp + g) * load4(k1 + g)
                    store4(sc, pj + g)
                    let mx = load4(MX + g)
                    store4(mx.replacing(with: sc, where: sc .> mx), MX + g)
                }
            }
            // exp(s − max) over the (Lk, hp) block, independent exps side by side
            expInPlace(P, count: Lk * hp, period: hp, minus: MX)
            for g in stride(from: 0, to: hp, by: 4) {
                var o0 = SIMD4<Double>(), o1 = SIMD4<Double>(), sm = SIMD4<Double>()
                if inference {
                    // one pass for the sums and the unnormalised weighted values, then scale
                    for j in 0..<Lk {
                        let jo = j * hp + g
                        let e = load4(P + jo)
                        sm += e
                        o0 += e * load4(V0 + jo); o1 += e * load4(V1 + jo)
                    }
                    let inv = 1 / sm
                    o0 *= inv; o1 *= inv
                } else {
                    // training: normalise in the weighting pass and keep P (pre-dropout) for the backward
                    for j in 0..<Lk { sm += load4(P + j * hp + g) }
                    let inv = 1 / sm
                    if let M {
                        for j in 0..<Lk {
                            let jo = j * hp + g
                            let pr = load4(P + jo) * inv
                            store4(pr, P + jo)
                            let a = pr * keepFactors4(M + j * H + g, factor)
                            o0 += a * load4(V0 + jo); o1 += a * load4(V1 + jo)
                        }
                    } else {
                        for j in 0..<Lk {
                            let jo = j * hp + g
                            let a = load4(P + jo) * inv
                            store4(a, P + jo)
                            o0 += a * load4(V0 + jo); o1 += a * load4(V1 + jo)
                        }
                    }
                }
                storeInterleaved4(o0, o1, oi + 2 * g, heads: Swift.min(4, H - g))
            }
        }
    }
}

/// Backward of `attentionHD2DoubleForward` (the reference backward's formulas, 4 heads per lane group) from the kept
/// P. Buffers as the forward; probs (B, Lq, Lk, hp); keep bytes and factor as the forward's; gradOut (B, Lq, 2H);
/// dq/dk/dv are overwritten, each element once as 0 + its gradient (the bits accumulating into a zeroed buffer gives;
/// `AttentionPath.overwritesGradients`); `scratch` (`hd2DoubleScratchCount`) zeroed before the first call.
@inline(__always)
func attentionHD2DoubleBackward(
    _ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>, v: AttentionOperand<Double>,
    probs: UnsafePointer<Double>, keep: UnsafePointer<UInt8>?, factor: Double, gradOut: UnsafePointer<Double>,
    dq: AttentionOperand<Double>, dk: AttentionOperand<Double>, dv: AttentionOperand<Double>,
    scratch: UnsafeMutablePointer<Double>
) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = hd2DoublePaddedHeads(s)
    let d = 2 * H
    let scale = 1 / Double(2).squareRoot()
    // Planes: Q0/Q1, G0/G1 (Lq, hp); K0/K1, V0/V1, dK0/dK1, dV0/dV1 (Lk, hp); dP (Lk, 4) of one query and head group.
    let Q0 = scratch, Q1 = Q0 + Lq * hp, G0 = Q1 + Lq * hp, G1 = G0 + Lq * hp
    let K0 = G1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let dK0 = V1 + Lk * hp, dK1 = dK0 + Lk * hp, dV0 = dK1 + Lk * hp, dV1 = dV0 + Lk * hp, dP = dV1 + Lk * hp
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(UnsafeMutablePointer(mutating: gradOut) + b * Lq * d, stride: d, rows: Lq, heads: H, hp: hp, G0, G1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for x in 0..<(Lq * hp) { Q0[x] *= scale; Q1[x] *= scale }
        for x in 0..<(Lk * hp) { dK0[x] = 0; dK1[x] = 0; dV0[x] = 0; dV1[x] = 0 }
        for i in 0..<Lq {
            let P = probs + (b * Lq + i) * Lk * hp
            let M = keep.map { $0 + (b * Lq + i) * Lk * H }
            let dqi = dq.base + (b * Lq + i) * dq.stride + dq.offset
            for g in stride(from: 0, to: hp, by: 4) {
                let g0 = load4(G0 + i * hp + g), g1 = load4(G1 + i * hp + g)
                var dot = SIMD4<Double>()
                if let M {
                    for j in 0..<Lk {
                        let jo = j * hp + g
                        let p = load4(P + jo), mh = keepFactors4(M + j * H + g, factor)
                        let a = p * mh
                        store4(load4(dV0 + jo) + a * g0, dV0 + jo)
                        store4(load4(dV1 + jo) + a * g1, dV1 + jo)
                        let gp = (g0 * load4(V0 + jo) + g1 * load4(V1 + jo)) * mh
                        store4(gp, dP + 4 * j)
                        dot += p * gp
                    }
                } else {
                    for j in 0..<Lk {
                        let jo = j * hp + g
                        let a = load4(P + jo)
                        store4(load4(dV0 + jo) + a * g0, dV0 + jo)
                        store4(load4(dV1 + jo) + a * g1, dV1 + jo)
                        let gp = g0 * load4(V0 + jo) + g1 * load4(V1 + jo)
                        store4(gp, dP + 4 * j)
                        dot += a * gp
                    }
                }
                let q0 = load4(Q0 + i * hp + g), q1 = load4(Q1 + i * hp + g)
                var a0 = SIMD4<Double>(), a1 = SIMD4<Double>()
                for j in 0..<Lk {
                    let jo = j * hp + g
                    let ds = load4(P + jo) * (load4(dP + 4 * j) - dot)
                    a0 += ds * load4(K0 + jo); a1 += ds * load4(K1 + jo)
                    store4(load4(dK0 + jo) + ds * q0, dK0 + jo)
                    store4(load4(dK1 + jo) + ds * q1, dK1 + jo)
                }
                storeInterleaved4(0 + a0 * scale, 0 + a1 * scale, dqi + 2 * g, heads: Swift.min(4, H - g))
            }
        }
        for j in 0..<Lk {
            let dkj = dk.base + (b * Lk + j) * dk.stride + dk.offset
            let dvj = dv.base + (b * Lk + j) * dv.stride + dv.offset
            for g in stride(from: 0, to: hp, by: 4) {
                let n = Swift.min(4, H - g), jo = j * hp + g
                storeInterleaved4(0 + load4(dK0 + jo), 0 + load4(dK1 + jo), dkj + 2 * g, heads: n)
                storeInterleaved4(0 + load4(dV0 + jo), 0 + load4(dV1 + jo), dvj + 2 * g, heads: n)
            }
        }
    }
}
