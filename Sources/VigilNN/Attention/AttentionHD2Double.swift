// Fast path `AttentionPath.doubleHD2`: Float64, head width 2, 4 heads per SIMD4<Double> lane group.
//
// Equals the reference (AttentionReference.swift) with hd = 2 up to rounding. Per (query i, group of 4 heads g) on
// head-planar copies padded to hp = H rounded up to 4 (pad lanes zero): s_j = (q_i/√2)·k_j, e_j = exp(s_j − max) by
// `fastExp(SIMD4<Double>)` (lane by lane the bits of `fastExp(Double)`), P_j = e_j·(1/Σ e), out_i = Σ_j P_j·M_j·v_j.
// Differences from the reference: q is pre-scaled by 1/√2, exp is `fastExp` (≤ 3.1e-16 relative error), every
// "x + y·z" of the loops is one fused multiply-add (`addingProduct`), M is keep bytes (B, Lq, Lk, H), and P is not
// kept: the backward recomputes each query's (Lk, hp) block with the forward's operations
// (`hd2DoubleSoftmaxNumerators`, so the same bits), as the Float32 training kernels do. That costs the scores and
// exps again but not a (B, Lq, Lk, hp) Double buffer (2 MB per encoder call on a worker's 64 windows, twice the
// 1 MB L2 of the host it was measured on) written by the forward and read back by the backward long after.
// Measured 2026-11-30 on 2 cores: with P kept, `vigil bench tensor --only attention_f64` (forward then backward at
// once, P still in cache) took 818–852 µs and recomputing it 1,137 µs; but in a Float64 TranAD epoch (perf samples
// of `vigil bench tranad --dtype float64`, attention kernels ÷ GEMM kernels, which the change leaves alone) the
// kernels took 0.67–0.69 of the GEMM time with P kept and 0.565–0.57 recomputing it (0.77–0.79 before the FMAs).
// `attentionPlanarDouble` (AttentionPlanarDouble.swift) repeats this forward's inference branch operation for
// operation (bit-identical results on the same operands). A group reads 4 keep bytes, so pad lanes (h ≥ H) read the
// next row's bytes (or the buffer's 8 zero bytes): they multiply zero q, k, v and output gradients and are never
// written out.
import VigilTensor

/// Heads rounded up to the 4 lanes of a Float64 group.
@inline(__always)
func hd2DoublePaddedHeads(_ s: AttentionShape) -> Int { (s.heads + 3) / 4 * 4 }

/// Scratch values `attentionHD2DoubleForward` / `attentionHD2DoubleBackward` need for a shape (zeroed once: pad lanes):
/// the backward's planes (4·Lq + 9·Lk)·hp, its dP (Lk, 4) and the running max (hp).
@inline(__always)
func hd2DoubleScratchCount(_ s: AttentionShape) -> Int {
    let hp = hd2DoublePaddedHeads(s)
    return (4 * s.queryLength + 9 * s.keyLength) * hp + 4 * s.keyLength + hp
}

/// The softmax numerators of query i over all head groups: s_jh = q_i·k_j (q pre-scaled by 1/√2) into E (Lk, hp), the
/// max per head into MX (hp), then e_jh = exp(s_jh − MX_h) in place (`expInPlace`). Q0/Q1 (Lq, hp), K0/K1 (Lk, hp) are
/// head planes. The forward and the backward (which recomputes P from it) run these same operations, so P has the
/// same bits in both.
@inline(__always)
func hd2DoubleSoftmaxNumerators(_ Q0: UnsafePointer<Double>, _ Q1: UnsafePointer<Double>, _ K0: UnsafePointer<Double>,
                                _ K1: UnsafePointer<Double>, i: Int, hp: Int, lk: Int,
                                _ E: UnsafeMutablePointer<Double>, _ MX: UnsafeMutablePointer<Double>) {
    for g in stride(from: 0, to: hp, by: 4) { store4(SIMD4(repeating: -Double.greatestFiniteMagnitude), MX + g) }
    for j in 0..<lk {
        let ej = E + j * hp, k0 = K0 + j * hp, k1 = K1 + j * hp
        for g in stride(from: 0, to: hp, by: 4) {
            let sc = (load4(Q0 + i * hp + g) * load4(k0 + g)).addingProduct(load4(Q1 + i * hp + g), load4(k1 + g))
            store4(sc, ej + g)
            let mx = load4(MX + g)
            store4(mx.replacing(with: sc, where: sc .> mx), MX + g)
        }
    }
    // exp(s − max) over the (Lk, hp) block, independent exps side by side
    expInPlace(E, count: lk * hp, period: hp, minus: MX)
}

/// 1/Σ_j E[j, g..<g+4] over the Lk rows of an (Lk, hp) block (the forward's and the backward's normaliser).
@inline(__always)
func hd2DoubleInverseSum(_ E: UnsafePointer<Double>, g: Int, hp: Int, lk: Int) -> SIMD4<Double> {
    var sm = SIMD4<Double>()
    for j in 0..<lk { sm += load4(E + j * hp + g) }
    return 1 / sm
}

/// The mask values of 4 keep bytes: `factor` where the byte is 1, +0 where it is 0 (the bits of `DropoutMask.fill`'s values).
@inline(__always)
func keepFactors4(_ keep: UnsafePointer<UInt8>, _ factor: Double) -> SIMD4<Double> {
    let bytes = SIMD4<UInt64>(truncatingIfNeeded: UnsafeRawPointer(keep).loadUnaligned(as: SIMD4<UInt8>.self))
    return unsafeBitCast((SIMD4<UInt64>() &- bytes) & SIMD4(repeating: factor.bitPattern), to: SIMD4<Double>.self)
}

/// x[n] ← fastExp(x[n] − m[n mod period]) over `count` values (count and period multiples of 4), 16 values per step:
/// the exp's dependency chain is long, so four independent SIMD4 chains side by side keep the core busy where one per
/// step leaves it waiting on latency (measured on the float64 self-attention forward, 64 windows, when the exp was an
/// unfused degree-12 Horner chain: 886 µs with one SIMD4 exp per step, 821 with four of one head group's rows,
/// 771–810 with this flat block; the auto-vectorised scalar loops these kernels replaced took 748; with the fused
/// exp this forward takes 469–494). Each lane gets the bits of `fastExp(Double)`
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

/// Forward. Buffers: q (B, Lq, ·), k, v (B, Lk, ·); out (B, Lq, 2H); keep (B, Lq, Lk, H) dropout keep bytes (8
/// readable bytes past the end) with the keep factor (mask value `factor` where the byte is 1, +0 where it is 0), or
/// nil; `training` when a backward follows (P normalised before it is weighted, as the backward recomputes it);
/// `scratch` (`hd2DoubleScratchCount`) zeroed before the first call. Inference (no backward, no mask) sums Σ e_j and
/// Σ e_j v_j in one pass and divides at the end.
@inline(__always)
func attentionHD2DoubleForward(
    _ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>, v: AttentionOperand<Double>,
    out: UnsafeMutablePointer<Double>, training: Bool, keep: UnsafePointer<UInt8>?, factor: Double,
    scratch: UnsafeMutablePointer<Double>
) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = hd2DoublePaddedHeads(s)
    let d = 2 * H
    let scale = 1 / Double(2).squareRoot()
    // Head-planar copies of one batch element: Q0/Q1 (Lq, hp) pre-scaled, K0/K1/V0/V1 (Lk, hp); E (Lk, hp) the
    // exp'd scores of one query; MX (hp) its max per head.
    let Q0 = scratch, Q1 = Q0 + Lq * hp, K0 = Q1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let E = V1 + Lk * hp, MX = E + Lk * hp
    let inference = !training && keep == nil
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for x in 0..<(Lq * hp) { Q0[x] *= scale; Q1[x] *= scale }
        for i in 0..<Lq {
            let oi = out + (b * Lq + i) * d
            let M = keep.map { $0 + (b * Lq + i) * Lk * H }  // keep bytes (Lk, H) of this query
            hd2DoubleSoftmaxNumerators(Q0, Q1, K0, K1, i: i, hp: hp, lk: Lk, E, MX)
            for g in stride(from: 0, to: hp, by: 4) {
                var o0 = SIMD4<Double>(), o1 = SIMD4<Double>()
                if inference {
                    // one pass for the sums and the unnormalised weighted values, then scale
                    var sm = SIMD4<Double>()
                    for j in 0..<Lk {
                        let jo = j * hp + g
                        let e = load4(E + jo)
                        sm += e
                        o0 = o0.addingProduct(e, load4(V0 + jo)); o1 = o1.addingProduct(e, load4(V1 + jo))
                    }
                    let inv = 1 / sm
                    o0 *= inv; o1 *= inv
                } else {
                    // training: P normalised first (the P the backward recomputes), then weighted
                    let inv = hd2DoubleInverseSum(E, g: g, hp: hp, lk: Lk)
                    if let M {
                        for j in 0..<Lk {
                            let jo = j * hp + g
                            let a = load4(E + jo) * inv * keepFactors4(M + j * H + g, factor)
                            o0 = o0.addingProduct(a, load4(V0 + jo)); o1 = o1.addingProduct(a, load4(V1 + jo))
                        }
                    } else {
                        for j in 0..<Lk {
                            let jo = j * hp + g
                            let a = load4(E + jo) * inv
                            o0 = o0.addingProduct(a, load4(V0 + jo)); o1 = o1.addingProduct(a, load4(V1 + jo))
                        }
                    }
                }
                storeInterleaved4(o0, o1, oi + 2 * g, heads: Swift.min(4, H - g))
            }
        }
    }
}

/// Backward of `attentionHD2DoubleForward` (the reference backward's formulas, 4 heads per lane group), P recomputed
/// per query (`hd2DoubleSoftmaxNumerators`, the forward's bits). Buffers as the forward; keep bytes and factor as the
/// forward's; gradOut (B, Lq, 2H);
/// dq/dk/dv are overwritten, each element once as 0 + its gradient (the bits accumulating into a zeroed buffer gives;
/// `AttentionPath.overwritesGradients`); `scratch` (`hd2DoubleScratchCount`) zeroed before the first call.
@inline(__always)
func attentionHD2DoubleBackward(
    _ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>, v: AttentionOperand<Double>,
    keep: UnsafePointer<UInt8>?, factor: Double, gradOut: UnsafePointer<Double>,
    dq: AttentionOperand<Double>, dk: AttentionOperand<Double>, dv: AttentionOperand<Double>,
    scratch: UnsafeMutablePointer<Double>
) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = hd2DoublePaddedHeads(s)
    let d = 2 * H
    let scale = 1 / Double(2).squareRoot()
    // Planes: Q0/Q1, G0/G1 (Lq, hp); K0/K1, V0/V1, dK0/dK1, dV0/dV1 (Lk, hp); P (Lk, hp) of one query (recomputed),
    // MX (hp) its max per head; dP (Lk, 4) of one query and head group.
    let Q0 = scratch, Q1 = Q0 + Lq * hp, G0 = Q1 + Lq * hp, G1 = G0 + Lq * hp
    let K0 = G1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let dK0 = V1 + Lk * hp, dK1 = dK0 + Lk * hp, dV0 = dK1 + Lk * hp, dV1 = dV0 + Lk * hp
    let P = dV1 + Lk * hp, MX = P + Lk * hp, dP = MX + hp
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(UnsafeMutablePointer(mutating: gradOut) + b * Lq * d, stride: d, rows: Lq, heads: H, hp: hp, G0, G1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for x in 0..<(Lq * hp) { Q0[x] *= scale; Q1[x] *= scale }
        for x in 0..<(Lk * hp) { dK0[x] = 0; dK1[x] = 0; dV0[x] = 0; dV1[x] = 0 }
        for i in 0..<Lq {
            let M = keep.map { $0 + (b * Lq + i) * Lk * H }
            let dqi = dq.base + (b * Lq + i) * dq.stride + dq.offset
            hd2DoubleSoftmaxNumerators(Q0, Q1, K0, K1, i: i, hp: hp, lk: Lk, P, MX)
            for g in stride(from: 0, to: hp, by: 4) {
                // P_j of this group with the forward's operations (the same bits), normalised in place
                let inv = hd2DoubleInverseSum(P, g: g, hp: hp, lk: Lk)
                for j in 0..<Lk { store4(load4(P + j * hp + g) * inv, P + j * hp + g) }
                let g0 = load4(G0 + i * hp + g), g1 = load4(G1 + i * hp + g)
                var dot = SIMD4<Double>()
                if let M {
                    for j in 0..<Lk {
                        let jo = j * hp + g
                        let p = load4(P + jo), mh = keepFactors4(M + j * H + g, factor)
                        let a = p * mh
                        store4(load4(dV0 + jo).addingProduct(a, g0), dV0 + jo)
                        store4(load4(dV1 + jo).addingProduct(a, g1), dV1 + jo)
                        let gp = (g0 * load4(V0 + jo)).addingProduct(g1, load4(V1 + jo)) * mh
                        store4(gp, dP + 4 * j)
                        dot = dot.addingProduct(p, gp)
                    }
                } else {
                    for j in 0..<Lk {
                        let jo = j * hp + g
                        let a = load4(P + jo)
                        store4(load4(dV0 + jo).addingProduct(a, g0), dV0 + jo)
                        store4(load4(dV1 + jo).addingProduct(a, g1), dV1 + jo)
                        let gp = (g0 * load4(V0 + jo)).addingProduct(g1, load4(V1 + jo))
                        store4(gp, dP + 4 * j)
                        dot = dot.addingProduct(a, gp)
                    }
                }
                let q0 = load4(Q0 + i * hp + g), q1 = load4(Q1 + i * hp + g)
                var a0 = SIMD4<Double>(), a1 = SIMD4<Double>()
                for j in 0..<Lk {
                    let jo = j * hp + g
                    let ds = load4(P + jo) * (load4(dP + 4 * j) - dot)
                    a0 = a0.addingProduct(ds, load4(K0 + jo)); a1 = a1.addingProduct(ds, load4(K1 + jo))
                    store4(load4(dK0 + jo).addingProduct(ds, q0), dK0 + jo)
                    store4(load4(dK1 + jo).addingProduct(ds, q1), dK1 + jo)
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
