// Fused small-head attention kernels (forward and hand-written backward) over raw pointers.
//
// Layout: tokens are batch-major. A projected tensor is (B, L, C) row-major with row stride C; the
// query/key/value of head h are the `headDim` columns starting at `offset + h*headDim` of a row.
// This lets the packed in_proj output (B, L, 3d) be used in place (offsets 0, d, 2d) and lets the
// backward write straight into the packed gradient, with no split/concat copies.
//
// Per (b, h, i):  s_j = (q_i · k_j) / sqrt(headDim),  P = softmax(s),  A = P ⊙ M  (M = dropout keep
// mask scaled by 1/(1−p), or 1),  out_i = Σ_j A_j v_j.
// Backward:       dA_j = dout_i · v_j,  dv_j += A_j dout_i,  dP_j = M_j dA_j,
//                 dS_j = P_j (dP_j − Σ_k P_k dP_k),  dq_i = Σ_j dS_j k_j / √hd,  dk_j += dS_j q_i / √hd.
import Foundation
import VigilRandom

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
}

/// Fills `mask` (count) with dropout keep factors: 0 with probability p, else 1/(1−p).
/// Uses 16 random bits per element (4 per xoshiro output), so p is quantised to 1/65536.
/// Branch-free (an AND of the keep factor's bits), since the keep/drop pattern is unpredictable.
@inline(__always)
func fillDropoutMask<T: BinaryFloatingPoint>(_ mask: UnsafeMutablePointer<T>, count: Int, p: Double,
                                              rng: inout Xoshiro256) {
    let threshold = UInt64((p * 65536).rounded())
    if T.self == Float.self {
        let keep = Float(1 / (1 - p)).bitPattern
        let m = UnsafeMutableRawPointer(mask).assumingMemoryBound(to: UInt32.self)
        // (chunk − threshold) >> 63 is 1 exactly when chunk < threshold (dropped); minus 1 gives all-ones when kept
        fillBits(m, count: count, rng: &rng) { chunk in keep & UInt32(truncatingIfNeeded: ((chunk &- threshold) >> 63) &- 1) }
    } else {
        let keep = Double(1 / (1 - p)).bitPattern
        let m = UnsafeMutableRawPointer(mask).assumingMemoryBound(to: UInt64.self)
        fillBits(m, count: count, rng: &rng) { chunk in keep & (((chunk &- threshold) >> 63) &- 1) }
    }
}

@inline(__always)
func fillBits<U>(_ m: UnsafeMutablePointer<U>, count: Int, rng: inout Xoshiro256, _ f: (UInt64) -> U) {
    var i = 0
    while i + 4 <= count {
        let bits = rng.next()
        m[i] = f(bits & 0xFFFF)
        m[i + 1] = f((bits >> 16) & 0xFFFF)
        m[i + 2] = f((bits >> 32) & 0xFFFF)
        m[i + 3] = f(bits >> 48)
        i += 4
    }
    if i < count {
        var bits = rng.next()
        while i < count {
            m[i] = f(bits & 0xFFFF)
            bits >>= 16
            i += 1
        }
    }
}

@inline(__always)
func attentionForwardKernel<T: BinaryFloatingPoint>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    out: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>?, mask: UnsafePointer<T>?,
    scratch: UnsafeMutablePointer<T>, exp: (T) -> T
) {
    // out: (B, Lq, H*hd) contiguous; probs: (B, H, Lq, Lk) post-softmax, pre-dropout (nil: not kept,
    // the weights of one query live in `scratch` (Lk)).
    let (B, Lq, Lk, H, hd) = (s.batch, s.queryLength, s.keyLength, s.heads, s.headDim)
    let d = H * hd
    let scale = 1 / T(hd).squareRoot()
    for b in 0..<B {
        let qb = q.base + b * Lq * q.stride + q.offset
        let kb = k.base + b * Lk * k.stride + k.offset
        let vb = v.base + b * Lk * v.stride + v.offset
        let ob = out + b * Lq * d
        for h in 0..<H {
            let ho = h * hd
            for i in 0..<Lq {
                let p = probs.map { $0 + ((b * H + h) * Lq + i) * Lk } ?? scratch
                let qi = qb + i * q.stride + ho
                var mx = -T.greatestFiniteMagnitude
                if hd == 2 {
                    let q0 = qi[0] * scale, q1 = qi[1] * scale
                    for j in 0..<Lk {
                        let kj = kb + j * k.stride + ho
                        let sc = q0 * kj[0] + q1 * kj[1]
                        p[j] = sc
                        if sc > mx { mx = sc }
                    }
                } else {
                    for j in 0..<Lk {
                        let kj = kb + j * k.stride + ho
                        var sc: T = 0
                        for c in 0..<hd { sc += qi[c] * kj[c] }
                        sc *= scale
                        p[j] = sc
                        if sc > mx { mx = sc }
                    }
                }
                var sum: T = 0
                for j in 0..<Lk { let e = exp(p[j] - mx); p[j] = e; sum += e }
                let inv = 1 / sum
                for j in 0..<Lk { p[j] *= inv }
                let oi = ob + i * d + ho
                let m = mask.map { $0 + ((b * H + h) * Lq + i) * Lk }
                if hd == 2 {
                    var o0: T = 0, o1: T = 0
                    for j in 0..<Lk {
                        let a = m == nil ? p[j] : p[j] * m![j]
                        let vj = vb + j * v.stride + ho
                        o0 += a * vj[0]; o1 += a * vj[1]
                    }
                    oi[0] = o0; oi[1] = o1
                } else {
                    for c in 0..<hd { oi[c] = 0 }
                    for j in 0..<Lk {
                        let a = m == nil ? p[j] : p[j] * m![j]
                        let vj = vb + j * v.stride + ho
                        for c in 0..<hd { oi[c] += a * vj[c] }
                    }
                }
            }
        }
    }
}

@inline(__always)
func attentionBackwardKernel<T: BinaryFloatingPoint>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    probs: UnsafePointer<T>, mask: UnsafePointer<T>?, gradOut: UnsafePointer<T>,
    dq: AttentionOperand<T>, dk: AttentionOperand<T>, dv: AttentionOperand<T>,
    scratch: UnsafeMutablePointer<T>
) {
    // dq/dk/dv must be zero-initialised by the caller (they are accumulated); scratch holds Lk values.
    let (B, Lq, Lk, H, hd) = (s.batch, s.queryLength, s.keyLength, s.heads, s.headDim)
    let d = H * hd
    let scale = 1 / T(hd).squareRoot()
    let dP = scratch
    for b in 0..<B {
        let qb = q.base + b * Lq * q.stride + q.offset
        let kb = k.base + b * Lk * k.stride + k.offset
        let vb = v.base + b * Lk * v.stride + v.offset
        let dqb = dq.base + b * Lq * dq.stride + dq.offset
        let dkb = dk.base + b * Lk * dk.stride + dk.offset
        let dvb = dv.base + b * Lk * dv.stride + dv.offset
        let gb = gradOut + b * Lq * d
        for h in 0..<H {
            let ho = h * hd
            for i in 0..<Lq {
                let p = probs + ((b * H + h) * Lq + i) * Lk
                let m = mask.map { $0 + ((b * H + h) * Lq + i) * Lk }
                let gi = gb + i * d + ho
                let qi = qb + i * q.stride + ho
                let dqi = dqb + i * dq.stride + ho
                var dot: T = 0
                if hd == 2 {
                    let g0 = gi[0], g1 = gi[1]
                    for j in 0..<Lk {
                        let vj = vb + j * v.stride + ho
                        let dvj = dvb + j * dv.stride + ho
                        let mj: T = m == nil ? 1 : m![j]
                        let a = p[j] * mj
                        dvj[0] += a * g0; dvj[1] += a * g1
                        let dpj = (g0 * vj[0] + g1 * vj[1]) * mj
                        dP[j] = dpj
                        dot += p[j] * dpj
                    }
                    let q0 = qi[0] * scale, q1 = qi[1] * scale
                    var dq0: T = 0, dq1: T = 0
                    for j in 0..<Lk {
                        let ds = p[j] * (dP[j] - dot)
                        let kj = kb + j * k.stride + ho
                        let dkj = dkb + j * dk.stride + ho
                        dq0 += ds * kj[0]; dq1 += ds * kj[1]
                        dkj[0] += ds * q0; dkj[1] += ds * q1
                    }
                    dqi[0] += dq0 * scale; dqi[1] += dq1 * scale
                } else {
                    for j in 0..<Lk {
                        let vj = vb + j * v.stride + ho
                        let dvj = dvb + j * dv.stride + ho
                        let mj: T = m == nil ? 1 : m![j]
                        let a = p[j] * mj
                        var ga: T = 0
                        for c in 0..<hd { dvj[c] += a * gi[c]; ga += gi[c] * vj[c] }
                        dP[j] = ga * mj
                        dot += p[j] * dP[j]
                    }
                    for j in 0..<Lk {
                        let ds = p[j] * (dP[j] - dot) * scale
                        let kj = kb + j * k.stride + ho
                        let dkj = dkb + j * dk.stride + ho
                        for c in 0..<hd { dqi[c] += ds * kj[c]; dkj[c] += ds * qi[c] }
                    }
                }
            }
        }
    }
}


// MARK: - Head-vectorised kernels for head width 2
//
// For head width 2 the loops run across heads instead: for a query i and key j, the H scores
// s[j, h] = q[i, 2h]·k[j, 2h] + q[i, 2h+1]·k[j, 2h+1] come from contiguous rows, softmax over j is done
// for all heads at once on a contiguous (Lk, H) block (vectorised exp), and the weighted sum writes the
// contiguous output row. probs/mask are laid out (B, Lq, Lk, H) here.

/// Scratch values the head-width-2 kernels need for a shape.
@inline(__always)
func hd2ScratchCount(_ s: AttentionShape) -> Int { (4 * s.queryLength + 10 * s.keyLength + 8) * s.heads }

/// De-interleaves rows [x0 y0 x1 y1 …] (head h at columns 2h, 2h+1) into planes a[r][h] = x_h, b[r][h] = y_h.
@inline(__always)
func deinterleave<T>(_ src: UnsafeMutablePointer<T>, stride: Int, rows: Int, heads H: Int,
                     _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>) {
    for r in 0..<rows {
        let x = src + r * stride, pa = a + r * H, pb = b + r * H
        for h in 0..<H { pa[h] = x[2 * h]; pb[h] = x[2 * h + 1] }
    }
}

@inline(__always)
func attentionForwardHD2<T: BinaryFloatingPoint>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    out: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>?, mask: UnsafePointer<T>?,
    scratch: UnsafeMutablePointer<T>, expInPlace: (UnsafeMutablePointer<T>, Int) -> Void
) {
    // probs nil: the (Lk, H) weights of one query are kept in scratch only (inference).
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let d = 2 * H
    let scale = 1 / T(2).squareRoot()
    // Head-planar copies of one batch element: Q0/Q1 (Lq, H) pre-scaled, K0/K1/V0/V1 (Lk, H).
    let Q0 = scratch, Q1 = Q0 + Lq * H, K0 = Q1 + Lq * H, K1 = K0 + Lk * H, V0 = K1 + Lk * H, V1 = V0 + Lk * H
    let mx = V1 + Lk * H, sm = mx + H, o0 = sm + H, o1 = o0 + H, pScratch = o1 + H
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, Q0, Q1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, V0, V1)
        for x in 0..<(Lq * H) { Q0[x] *= scale; Q1[x] *= scale }
        for i in 0..<Lq {
            let q0 = Q0 + i * H, q1 = Q1 + i * H
            let p = probs.map { $0 + (b * Lq + i) * Lk * H } ?? pScratch  // (Lk, H)
            // scores and their running max per head (one pass)
            for h in 0..<H { mx[h] = -T.greatestFiniteMagnitude }
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
            expInPlace(p, Lk * H)
            if probs == nil && mask == nil {
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
                if let mk = mask {
                    let m = mk + (b * Lq + i) * Lk * H
                    for j in 0..<Lk {
                        let pj = p + j * H, mj = m + j * H, v0 = V0 + j * H, v1 = V1 + j * H
                        for h in 0..<H {
                            let pr = pj[h] * sm[h]
                            pj[h] = pr
                            let a = pr * mj[h]
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

@inline(__always)
func attentionBackwardHD2<T: BinaryFloatingPoint>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    probs: UnsafePointer<T>, mask: UnsafePointer<T>?, gradOut: UnsafePointer<T>,
    dq: AttentionOperand<T>, dk: AttentionOperand<T>, dv: AttentionOperand<T>,
    scratch: UnsafeMutablePointer<T>
) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let d = 2 * H
    let scale = 1 / T(2).squareRoot()
    // Planes: Q0/Q1, G0/G1 (Lq, H); K0/K1, V0/V1, dK0/dK1, dV0/dV1, dP (Lk, H); dot, a0, a1 (H).
    let Q0 = scratch, Q1 = Q0 + Lq * H, G0 = Q1 + Lq * H, G1 = G0 + Lq * H
    let K0 = G1 + Lq * H, K1 = K0 + Lk * H, V0 = K1 + Lk * H, V1 = V0 + Lk * H
    let dK0 = V1 + Lk * H, dK1 = dK0 + Lk * H, dV0 = dK1 + Lk * H, dV1 = dV0 + Lk * H, dP = dV1 + Lk * H
    let dot = dP + Lk * H, a0 = dot + H, a1 = a0 + H
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, Q0, Q1)
        deinterleave(UnsafeMutablePointer(mutating: gradOut) + b * Lq * d, stride: d, rows: Lq, heads: H, G0, G1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, V0, V1)
        for x in 0..<(Lq * H) { Q0[x] *= scale; Q1[x] *= scale }
        for x in 0..<(Lk * H) { dK0[x] = 0; dK1[x] = 0; dV0[x] = 0; dV1[x] = 0 }
        for i in 0..<Lq {
            let p = probs + (b * Lq + i) * Lk * H
            let g0 = G0 + i * H, g1 = G1 + i * H
            for h in 0..<H { dot[h] = 0 }
            if let mk = mask {
                let m = mk + (b * Lq + i) * Lk * H
                for j in 0..<Lk {
                    let pj = p + j * H, mj = m + j * H, v0 = V0 + j * H, v1 = V1 + j * H
                    let dv0 = dV0 + j * H, dv1 = dV1 + j * H, dpj = dP + j * H
                    for h in 0..<H {
                        let a = pj[h] * mj[h]
                        dv0[h] += a * g0[h]; dv1[h] += a * g1[h]
                        let g = (g0[h] * v0[h] + g1[h] * v1[h]) * mj[h]
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
            for h in 0..<H { dqi[2 * h] += a0[h] * scale; dqi[2 * h + 1] += a1[h] * scale }
        }
        for j in 0..<Lk {
            let dkj = dk.base + (b * Lk + j) * dk.stride + dk.offset
            let dvj = dv.base + (b * Lk + j) * dv.stride + dv.offset
            let dk0 = dK0 + j * H, dk1 = dK1 + j * H, dv0 = dV0 + j * H, dv1 = dV1 + j * H
            for h in 0..<H {
                dkj[2 * h] += dk0[h]; dkj[2 * h + 1] += dk1[h]
                dvj[2 * h] += dv0[h]; dvj[2 * h + 1] += dv1[h]
            }
        }
    }
}

/// Float exp, Cephes-style (relative error ≈ 2e-7), branch-free so loops calling it vectorise;
/// arguments below −87.3 are clamped (result ≈ 1e-38). Used on softmax arguments, which are ≤ 0.
@inline(__always)
func fastExpFloat(_ x: Float) -> Float {
    let shifter: Float = 12582912  // 1.5·2^23: adding and subtracting it rounds to the nearest integer
    var v = x < -87.3 ? -87.3 : x
    v = v > 88.7 ? 88.7 : v
    let t = v * 1.44269504088896341 + shifter
    let n = t - shifter
    var r = v - n * 0.693359375
    r = r - n * -2.12194440e-4
    var y: Float = 1.9875691500e-4
    y = y * r + 1.3981999507e-3
    y = y * r + 8.3334519073e-3
    y = y * r + 4.1665795894e-2
    y = y * r + 1.6666665459e-1
    y = y * r + 5.0000001201e-1
    y = y * (r * r) + r + 1
    // n is integral and sits in the low mantissa bits of t: 2^n has bits (n + 127) << 23
    let bits = (t.bitPattern &- shifter.bitPattern &+ 127) &<< 23
    return y * Float(bitPattern: bits)
}

/// Double exp: n = round(x/ln 2), r = x − n·ln 2 (two-part ln 2), e^r by its degree-12 Taylor
/// polynomial on |r| ≤ ln2/2 (truncation < 2e-16); relative error ≈ 2e-16 over [−708, 709] (clamped).
@inline(__always)
func fastExpDouble(_ x: Double) -> Double {
    let shifter: Double = 6755399441055744  // 1.5·2^52
    var v = x < -708 ? -708 : x
    v = v > 709 ? 709 : v
    let t = v * 1.4426950408889634 + shifter
    let n = t - shifter
    var r = v - n * 6.93147180369123816490e-01
    r = r - n * 1.90821492927058770002e-10
    var y: Double = 1.0 / 479001600
    y = y * r + 1.0 / 39916800
    y = y * r + 1.0 / 3628800
    y = y * r + 1.0 / 362880
    y = y * r + 1.0 / 40320
    y = y * r + 1.0 / 5040
    y = y * r + 1.0 / 720
    y = y * r + 1.0 / 120
    y = y * r + 1.0 / 24
    y = y * r + 1.0 / 6
    y = y * r + 0.5
    y = y * r + 1
    y = y * r + 1
    let bits = (t.bitPattern &- shifter.bitPattern &+ 1023) &<< 52
    return y * Double(bitPattern: bits)
}

/// exp in place over `count` Floats (a plain loop over `fastExpFloat`, which LLVM vectorises).
@inline(__always)
func fastExpInPlace(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { x[i] = fastExpFloat(x[i]) }
}

// MARK: - Inference kernel for Float, head width 2: heads in SIMD lanes, softmax in registers
//
// No attention weights are kept (no tape, no dropout), so per (query i, group of 8 heads) the scores
// s_j = q_i·k_j/√2 (j < Lk), their max, e_j = exp(s_j − max), Σ e_j and Σ e_j v_j are computed in
// SIMD8 lanes (one head per lane) with only an Lk×8 stack of scores in memory; out = Σ e_j v_j / Σ e_j.

/// exp on 8 lanes: `fastExpFloat` written on SIMD8 (the same operations, so the same results).
@inline(__always)
func fastExp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let shifter = SIMD8<Float>(repeating: 12582912)
    var v = x.replacing(with: -87.3, where: x .< -87.3)
    v = v.replacing(with: 88.7, where: v .> 88.7)
    let t = v * 1.44269504088896341 + shifter
    let n = t - shifter
    var r = v - n * 0.693359375
    r = r - n * -2.12194440e-4
    var y = SIMD8<Float>(repeating: 1.9875691500e-4)
    y = y * r + 1.3981999507e-3
    y = y * r + 8.3334519073e-3
    y = y * r + 4.1665795894e-2
    y = y * r + 1.6666665459e-1
    y = y * r + 5.0000001201e-1
    y = y * (r * r) + r + 1
    let tb = unsafeBitCast(t, to: SIMD8<UInt32>.self)
    let bits = (tb &- SIMD8(repeating: shifter[0].bitPattern) &+ 127) &<< 23
    return y * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// 2^t on 8 lanes for t ≤ 0 (softmax arguments in log2 units), t clamped at −125:
/// n = round(t), f = t − n ∈ [−½, ½], 2^f by its degree-7 Taylor polynomial in f·ln2 (truncation
/// < 5e-9), and n added to the exponent bits. Relative error ≈ 1.5e-7 (a few float ulp).
@inline(__always)
func fastExp2Nonpositive8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let shifter = SIMD8<Float>(repeating: 12582912)  // 1.5·2^23: t + shifter holds round(t) in its low bits
    let t = x.replacing(with: -125, where: x .< -125)
    let u = t + shifter
    let f = t - (u - shifter)
    // Σ_k c_k f^k, c_k = ln2^k / k!, k ≤ 7, by Estrin's scheme (short dependency chains)
    let f2 = f * f, f4 = f2 * f2
    let p01 = f * 6.9314718056e-1 + 1, p23 = f * 5.5504108665e-2 + 2.4022650696e-1
    let p45 = f * 1.3333558146e-3 + 9.6181291076e-3, p67 = f * 1.5252733804e-5 + 1.5403530393e-4
    let p = (p01 + f2 * p23) + f4 * (p45 + f2 * p67)
    // (bits of u) << 23 = n << 23 (the shifter's own bits shift out); add to p's exponent
    let nBits = unsafeBitCast(u, to: SIMD8<UInt32>.self) &<< 23
    return unsafeBitCast(unsafeBitCast(p, to: SIMD8<UInt32>.self) &+ nBits, to: SIMD8<Float>.self)
}

/// Head-planar scratch of one batch element for `attentionInferenceHD2Float`: Q0/Q1 (Lq, Hp),
/// K0/K1/V0/V1 (Lk, Hp) with Hp = H rounded up to 8 (pad lanes stay 0), and Lk·8 scores.
@inline(__always)
func inferenceHD2ScratchCount(_ s: AttentionShape) -> Int {
    let hp = (s.heads + 7) / 8 * 8
    return (2 * s.queryLength + 4 * s.keyLength) * hp + 8 * s.keyLength + 16
}

/// Float inference attention for head width 2 (probs and mask absent). `scratch` must be zeroed
/// (`inferenceHD2ScratchCount` values) before the first call; only the H real lanes are rewritten.
@inline(__always)
func attentionInferenceHD2Float(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>,
                                scratch: UnsafeMutablePointer<Float>) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = (H + 7) / 8 * 8
    let d = 2 * H
    let scale = 1 / Float(2).squareRoot()
    let Q0 = scratch, Q1 = Q0 + Lq * hp, K0 = Q1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let S = V1 + Lk * hp  // (Lk, 8) scores of one query and head group
    let lanes = UnsafeMutablePointer<Float>(S + 8 * Lk)  // 16: the two output planes of a group
    @inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<Float>.self)
    }
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for g in stride(from: 0, to: hp, by: 8) {
            let nl = Swift.min(8, H - g)
            for i in 0..<Lq {
                let q0 = load(Q0 + i * hp + g) * scale, q1 = load(Q1 + i * hp + g) * scale
                var mx = SIMD8<Float>(repeating: -Float.greatestFiniteMagnitude)
                for j in 0..<Lk {
                    let sc = q0 * load(K0 + j * hp + g) + q1 * load(K1 + j * hp + g)
                    store(sc, S + 8 * j)
                    mx = mx.replacing(with: sc, where: sc .> mx)
                }
                var sum = SIMD8<Float>(), o0 = SIMD8<Float>(), o1 = SIMD8<Float>()
                for j in 0..<Lk {
                    let e = fastExp8(load(S + 8 * j) - mx)
                    sum += e
                    o0 += e * load(V0 + j * hp + g)
                    o1 += e * load(V1 + j * hp + g)
                }
                let inv = 1 / sum
                store(o0 * inv, lanes)
                store(o1 * inv, lanes + 8)
                let oi = out + (b * Lq + i) * d + 2 * g
                for l in 0..<nl { oi[2 * l] = lanes[l]; oi[2 * l + 1] = lanes[8 + l] }
            }
        }
    }
}

/// Float inference attention for head width 2 on head-planar operands: a row holds plane 0
/// (component 0 of heads 0..<hp) at `offset` and plane 1 at `offset + hp`; hp is a multiple of 8 and
/// pad heads are zero. Output rows (stride `outStride`) get the two planes of Σ_j softmax_j · v_j.
/// `scores` holds 8·Lk values.
@inline(__always)
func attentionPlanarFloat(_ s: AttentionShape, hp: Int, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                          v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>, outStride: Int,
                          scores S: UnsafeMutablePointer<Float>) {
    let (B, Lq, Lk) = (s.batch, s.queryLength, s.keyLength)
    // scores in log2 units: s·log2(e), so e^(s − max) = 2^(s' − max')
    let scale = Float(1.4426950408889634 / 2.0.squareRoot())
    @inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<Float>.self)
    }
    for b in 0..<B {
        let kb = k.base + b * Lk * k.stride + k.offset, vb = v.base + b * Lk * v.stride + v.offset
        for i in 0..<Lq {
            let qi = q.base + (b * Lq + i) * q.stride + q.offset, oi = out + (b * Lq + i) * outStride
            for g in stride(from: 0, to: hp, by: 8) {
                let q0 = load(qi + g) * scale, q1 = load(qi + hp + g) * scale
                var mx = SIMD8<Float>(repeating: -Float.greatestFiniteMagnitude)
                for j in 0..<Lk {
                    let kj = kb + j * k.stride + g
                    let sc = q0 * load(kj) + q1 * load(kj + hp)
                    store(sc, S + 8 * j)
                    mx = mx.replacing(with: sc, where: sc .> mx)
                }
                var sum = SIMD8<Float>(), o0 = SIMD8<Float>(), o1 = SIMD8<Float>()
                for j in 0..<Lk {
                    let e = fastExp2Nonpositive8(load(S + 8 * j) - mx)
                    let vj = vb + j * v.stride + g
                    sum += e
                    o0 += e * load(vj)
                    o1 += e * load(vj + hp)
                }
                let inv = 1 / sum
                store(o0 * inv, oi + g)
                store(o1 * inv, oi + hp + g)
            }
        }
    }
}

/// `fastExpDouble` on 4 lanes (the same operations, so the same results).
@inline(__always)
func fastExpDouble4(_ x: SIMD4<Double>) -> SIMD4<Double> {
    let shifter = SIMD4<Double>(repeating: 6755399441055744)
    var v = x.replacing(with: -708, where: x .< -708)
    v = v.replacing(with: 709, where: v .> 709)
    let t = v * 1.4426950408889634 + shifter
    let n = t - shifter
    var r = v - n * 6.93147180369123816490e-01
    r = r - n * 1.90821492927058770002e-10
    var y = SIMD4<Double>(repeating: 1.0 / 479001600)
    y = y * r + 1.0 / 39916800
    y = y * r + 1.0 / 3628800
    y = y * r + 1.0 / 362880
    y = y * r + 1.0 / 40320
    y = y * r + 1.0 / 5040
    y = y * r + 1.0 / 720
    y = y * r + 1.0 / 120
    y = y * r + 1.0 / 24
    y = y * r + 1.0 / 6
    y = y * r + 0.5
    y = y * r + 1
    y = y * r + 1
    let bits = (unsafeBitCast(t, to: SIMD4<UInt64>.self) &- SIMD4(repeating: shifter[0].bitPattern) &+ 1023) &<< 52
    return y * unsafeBitCast(bits, to: SIMD4<Double>.self)
}

/// Double twin of `attentionPlanarFloat`: 4 heads per SIMD4 (hp a multiple of 4), `fastExpDouble4`,
/// (kept as a concrete twin: one kernel generic over `SIMD` measured 3.5× slower — generic SIMD
/// arithmetic is not lowered to vector instructions),
/// the operation order of `attentionForwardHD2`'s inference branch. `scores` holds 4·Lk values.
@inline(__always)
func attentionPlanarDouble(_ s: AttentionShape, hp: Int, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                           v: AttentionOperand<Double>, out: UnsafeMutablePointer<Double>, outStride: Int,
                           scores S: UnsafeMutablePointer<Double>) {
    let (B, Lq, Lk) = (s.batch, s.queryLength, s.keyLength)
    let scale = 1 / Double(2).squareRoot()
    @inline(__always) func load(_ p: UnsafeMutablePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
    }
    @inline(__always) func store(_ x: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD4<Double>.self)
    }
    for b in 0..<B {
        let kb = k.base + b * Lk * k.stride + k.offset, vb = v.base + b * Lk * v.stride + v.offset
        for i in 0..<Lq {
            let qi = q.base + (b * Lq + i) * q.stride + q.offset, oi = out + (b * Lq + i) * outStride
            for g in stride(from: 0, to: hp, by: 4) {
                let q0 = load(qi + g) * scale, q1 = load(qi + hp + g) * scale
                var mx = SIMD4<Double>(repeating: -Double.greatestFiniteMagnitude)
                for j in 0..<Lk {
                    let kj = kb + j * k.stride + g
                    let sc = q0 * load(kj) + q1 * load(kj + hp)
                    store(sc, S + 4 * j)
                    mx = mx.replacing(with: sc, where: sc .> mx)
                }
                var sum = SIMD4<Double>(), o0 = SIMD4<Double>(), o1 = SIMD4<Double>()
                for j in 0..<Lk {
                    let e = fastExpDouble4(load(S + 4 * j) - mx)
                    let vj = vb + j * v.stride + g
                    sum += e
                    o0 += e * load(vj)
                    o1 += e * load(vj + hp)
                }
                let inv = 1 / sum
                store(o0 * inv, oi + g)
                store(o1 * inv, oi + hp + g)
            }
        }
    }
}

/// Scalar twin of `attentionPlanarFloat` (any hp ≥ heads), the operation order of `attentionForwardHD2`'s
/// inference branch. `scores` holds Lk values.
@inline(__always)
func attentionPlanarScalar<T: BinaryFloatingPoint>(_ s: AttentionShape, hp: Int, q: AttentionOperand<T>, k: AttentionOperand<T>,
                                                   v: AttentionOperand<T>, out: UnsafeMutablePointer<T>, outStride: Int,
                                                   scores p: UnsafeMutablePointer<T>, exp: (T) -> T) {
    let (B, Lq, Lk) = (s.batch, s.queryLength, s.keyLength)
    let scale = 1 / T(2).squareRoot()
    for b in 0..<B {
        let kb = k.base + b * Lk * k.stride + k.offset, vb = v.base + b * Lk * v.stride + v.offset
        for i in 0..<Lq {
            let qi = q.base + (b * Lq + i) * q.stride + q.offset, oi = out + (b * Lq + i) * outStride
            for h in 0..<hp {
                let q0 = qi[h] * scale, q1 = qi[hp + h] * scale
                var mx = -T.greatestFiniteMagnitude
                for j in 0..<Lk {
                    let kj = kb + j * k.stride + h
                    let sc = q0 * kj[0] + q1 * kj[hp]
                    p[j] = sc
                    mx = sc > mx ? sc : mx
                }
                var sum: T = 0, o0: T = 0, o1: T = 0
                for j in 0..<Lk {
                    let e = exp(p[j] - mx)
                    let vj = vb + j * v.stride + h
                    sum += e
                    o0 += e * vj[0]; o1 += e * vj[hp]
                }
                let inv = 1 / sum
                oi[h] = o0 * inv; oi[hp + h] = o1 * inv
            }
        }
    }
}

/// De-interleaves rows into planes with row stride `hp` (≥ heads).
@inline(__always)
func deinterleave<T>(_ src: UnsafeMutablePointer<T>, stride: Int, rows: Int, heads H: Int, hp: Int,
                     _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>) {
    for r in 0..<rows {
        let x = src + r * stride, pa = a + r * hp, pb = b + r * hp
        for h in 0..<H { pa[h] = x[2 * h]; pb[h] = x[2 * h + 1] }
    }
}

/// Runs `body(b0, count)` over contiguous batch chunks on up to `threads` threads (1 ⇒ inline).
@inline(__always)
func parallelBatches(_ batch: Int, threads: Int, _ body: (Int, Int) -> Void) {
    let n = Swift.max(1, Swift.min(threads, batch))
    if n == 1 { body(0, batch); return }
    DispatchQueue.concurrentPerform(iterations: n) { c in
        let b0 = batch * c / n, b1 = batch * (c + 1) / n
        if b1 > b0 { body(b0, b1 - b0) }
    }
}

extension AttentionOperand {
    /// The operand of batch elements starting at b0 (rows of length `rowsPerBatch`).
    @inline(__always)
    func advanced(batch b0: Int, rowsPerBatch l: Int) -> AttentionOperand {
        AttentionOperand(base: base + b0 * l * stride, stride: stride, offset: offset)
    }
}

@inline(__always)
func attentionForward<T: BinaryFloatingPoint>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    out: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>?, mask: UnsafePointer<T>?, threads: Int,
    exp: (T) -> T, expInPlace: (UnsafeMutablePointer<T>, Int) -> Void
) {
    let w = s.heads * s.queryLength * s.keyLength
    parallelBatches(s.batch, threads: threads) { b0, nb in
        var sub = s
        sub.batch = nb
        let qs = q.advanced(batch: b0, rowsPerBatch: s.queryLength), ks = k.advanced(batch: b0, rowsPerBatch: s.keyLength)
        let vs = v.advanced(batch: b0, rowsPerBatch: s.keyLength)
        let o = out + b0 * s.queryLength * s.modelDim, p = probs.map { $0 + b0 * w }, m = mask.map { $0 + b0 * w }
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(hd2ScratchCount(s), s.keyLength))
        defer { scratch.deallocate() }
        if s.headDim == 2 {
            attentionForwardHD2(sub, q: qs, k: ks, v: vs, out: o, probs: p, mask: m, scratch: scratch, expInPlace: expInPlace)
        } else {
            attentionForwardKernel(sub, q: qs, k: ks, v: vs, out: o, probs: p, mask: m, scratch: scratch, exp: exp)
        }
    }
}

@inline(__always)
func attentionBackward<T: BinaryFloatingPoint>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    probs: UnsafePointer<T>, mask: UnsafePointer<T>?, gradOut: UnsafePointer<T>,
    dq: AttentionOperand<T>, dk: AttentionOperand<T>, dv: AttentionOperand<T>, threads: Int
) {
    let w = s.heads * s.queryLength * s.keyLength
    parallelBatches(s.batch, threads: threads) { b0, nb in
        var sub = s
        sub.batch = nb
        let (lq, lk) = (s.queryLength, s.keyLength)
        let p = probs + b0 * w, m = mask.map { $0 + b0 * w }, g = gradOut + b0 * lq * s.modelDim
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(hd2ScratchCount(s), lk))
        defer { scratch.deallocate() }
        if s.headDim == 2 {
            attentionBackwardHD2(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                 v: v.advanced(batch: b0, rowsPerBatch: lk), probs: p, mask: m, gradOut: g,
                                 dq: dq.advanced(batch: b0, rowsPerBatch: lq), dk: dk.advanced(batch: b0, rowsPerBatch: lk),
                                 dv: dv.advanced(batch: b0, rowsPerBatch: lk), scratch: scratch)
        } else {
            attentionBackwardKernel(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                    v: v.advanced(batch: b0, rowsPerBatch: lk), probs: p, mask: m, gradOut: g,
                                    dq: dq.advanced(batch: b0, rowsPerBatch: lq), dk: dk.advanced(batch: b0, rowsPerBatch: lk),
                                    dv: dv.advanced(batch: b0, rowsPerBatch: lk), scratch: scratch)
        }
    }
}

/// Dropout mask for `batch` elements of `perBatch` weights: chunks of 16 batch elements draw from
/// streams forked off one draw of `rng`, so the mask depends on the seed only, not on the thread count.
@inline(__always)
func parallelDropoutMask<T: BinaryFloatingPoint>(_ mask: UnsafeMutablePointer<T>, batch: Int, perBatch: Int, p: Double,
                                                  rng: inout Xoshiro256, threads: Int) {
    let base = Xoshiro256(seed: rng.next())
    let chunk = 16
    let chunks = (batch + chunk - 1) / chunk
    parallelBatches(chunks, threads: threads) { c0, nc in
        for c in c0..<(c0 + nc) {
            var r = base.fork(stream: UInt64(c))
            let b0 = c * chunk, b1 = Swift.min(batch, b0 + chunk)
            fillDropoutMask(mask + b0 * perBatch, count: (b1 - b0) * perBatch, p: p, rng: &r)
        }
    }
}

/// Concrete (specialised) entry points: the generic kernels above are inlined into these.
/// Batch elements are split over `threads` threads (results do not depend on the thread count).
public enum AttentionKernels {
    public static func forward(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                               v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>,
                               probs: UnsafeMutablePointer<Float>?, mask: UnsafePointer<Float>?, threads: Int = 1) {
        if s.headDim == 2 && probs == nil && mask == nil {
            // inference: register-resident softmax, heads in SIMD8 lanes
            parallelBatches(s.batch, threads: threads) { b0, nb in
                var sub = s
                sub.batch = nb
                let n = inferenceHD2ScratchCount(s)
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n)
                scratch.initialize(repeating: 0, count: n)
                defer { scratch.deallocate() }
                attentionInferenceHD2Float(sub, q: q.advanced(batch: b0, rowsPerBatch: s.queryLength),
                                           k: k.advanced(batch: b0, rowsPerBatch: s.keyLength),
                                           v: v.advanced(batch: b0, rowsPerBatch: s.keyLength),
                                           out: out + b0 * s.queryLength * s.modelDim, scratch: scratch)
            }
            return
        }
        attentionForward(s, q: q, k: k, v: v, out: out, probs: probs, mask: mask, threads: threads,
                         exp: { Foundation.expf($0) }, expInPlace: fastExpInPlace)
    }
    public static func forward(_ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                               v: AttentionOperand<Double>, out: UnsafeMutablePointer<Double>,
                               probs: UnsafeMutablePointer<Double>?, mask: UnsafePointer<Double>?, threads: Int = 1) {
        attentionForward(s, q: q, k: k, v: v, out: out, probs: probs, mask: mask, threads: threads,
                         exp: { Foundation.exp($0) }, expInPlace: { x, n in for i in 0..<n { x[i] = fastExpDouble(x[i]) } })
    }
    /// Inference attention (no weights kept, no dropout) for head width 2 on head-planar rows: plane c
    /// (component c of heads 0..<hp) of a q/k/v row starts at `offset + c·hp`; output rows (stride
    /// `outStride`) get both planes. hp: heads padded to a multiple of 8, pad heads zero. Single-threaded.
    public static func planarInference(_ s: AttentionShape, hp: Int, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                       v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>, outStride: Int) {
        precondition(s.headDim == 2 && hp % 8 == 0 && hp >= s.heads, "planarInference: head width 2, hp a multiple of 8 ≥ heads")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * s.keyLength) { S in
            attentionPlanarFloat(s, hp: hp, q: q, k: k, v: v, out: out, outStride: outStride, scores: S.baseAddress!)
        }
    }
    public static func planarInference(_ s: AttentionShape, hp: Int, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                                       v: AttentionOperand<Double>, out: UnsafeMutablePointer<Double>, outStride: Int) {
        precondition(s.headDim == 2 && hp >= s.heads, "planarInference: head width 2, hp ≥ heads")
        if hp % 4 == 0 {
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * s.keyLength) { S in
                attentionPlanarDouble(s, hp: hp, q: q, k: k, v: v, out: out, outStride: outStride, scores: S.baseAddress!)
            }
        } else {
            withUnsafeTemporaryAllocation(of: Double.self, capacity: s.keyLength) { S in
                attentionPlanarScalar(s, hp: hp, q: q, k: k, v: v, out: out, outStride: outStride, scores: S.baseAddress!,
                                      exp: fastExpDouble)
            }
        }
    }
    /// dq/dk/dv are accumulated into (zero them first).
    public static func backward(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                v: AttentionOperand<Float>, probs: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                gradOut: UnsafePointer<Float>, dq: AttentionOperand<Float>,
                                dk: AttentionOperand<Float>, dv: AttentionOperand<Float>, threads: Int = 1) {
        attentionBackward(s, q: q, k: k, v: v, probs: probs, mask: mask, gradOut: gradOut, dq: dq, dk: dk, dv: dv, threads: threads)
    }
    public static func backward(_ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                                v: AttentionOperand<Double>, probs: UnsafePointer<Double>, mask: UnsafePointer<Double>?,
                                gradOut: UnsafePointer<Double>, dq: AttentionOperand<Double>,
                                dk: AttentionOperand<Double>, dv: AttentionOperand<Double>, threads: Int = 1) {
        attentionBackward(s, q: q, k: k, v: v, probs: probs, mask: mask, gradOut: gradOut, dq: dq, dk: dk, dv: dv, threads: threads)
    }
    /// Scalars of a head-padded (B, Lq, Lk, hp) weight buffer for `trainingForwardHD2`, hp = H rounded up to 8.
    public static func paddedWeightCount(_ s: AttentionShape) -> Int {
        s.batch * s.queryLength * s.keyLength * ((s.heads + 7) / 8 * 8)
    }
    /// Float training forward for head width 2 with head-padded weights: probs (B, Lq, Lk, hp), if given,
    /// receives softmax(q·k/√2) (pre-dropout, for `trainingBackwardHD2`), mask (B, Lq, Lk, hp) from
    /// `paddedDropoutMask` or nil.
    public static func trainingForwardHD2(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                          v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>,
                                          probs: UnsafeMutablePointer<Float>?, mask: UnsafePointer<Float>?, threads: Int = 1) {
        precondition(s.headDim == 2, "trainingForwardHD2: head width 2 only")
        let w = paddedWeightCount(s) / Swift.max(s.batch, 1)
        parallelBatches(s.batch, threads: threads) { b0, nb in
            var sub = s
            sub.batch = nb
            let n = trainingHD2ScratchCount(s)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n)
            scratch.initialize(repeating: 0, count: n)
            defer { scratch.deallocate() }
            attentionTrainingForwardHD2Float(sub, q: q.advanced(batch: b0, rowsPerBatch: s.queryLength),
                                             k: k.advanced(batch: b0, rowsPerBatch: s.keyLength),
                                             v: v.advanced(batch: b0, rowsPerBatch: s.keyLength),
                                             out: out + b0 * s.queryLength * s.modelDim, probs: probs.map { $0 + b0 * w },
                                             mask: mask.map { $0 + b0 * w }, scratch: scratch)
        }
    }
    /// Backward of `trainingForwardHD2` from its head-padded probs (B, Lq, Lk, hp) and mask (or nil);
    /// dq/dk/dv are accumulated into.
    public static func trainingBackwardHD2(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                           v: AttentionOperand<Float>, probs: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                           gradOut: UnsafePointer<Float>, dq: AttentionOperand<Float>,
                                           dk: AttentionOperand<Float>, dv: AttentionOperand<Float>, threads: Int = 1) {
        precondition(s.headDim == 2, "trainingBackwardHD2: head width 2 only")
        let w = paddedWeightCount(s) / Swift.max(s.batch, 1)
        parallelBatches(s.batch, threads: threads) { b0, nb in
            var sub = s
            sub.batch = nb
            let (lq, lk) = (s.queryLength, s.keyLength)
            let n = trainingHD2ScratchCount(s)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n)
            scratch.initialize(repeating: 0, count: n)
            defer { scratch.deallocate() }
            attentionTrainingBackwardHD2Float(sub, q: q.advanced(batch: b0, rowsPerBatch: lq), k: k.advanced(batch: b0, rowsPerBatch: lk),
                                              v: v.advanced(batch: b0, rowsPerBatch: lk), probs: probs + b0 * w,
                                              mask: mask.map { $0 + b0 * w }, gradOut: gradOut + b0 * lq * s.modelDim,
                                              dq: dq.advanced(batch: b0, rowsPerBatch: lq), dk: dk.advanced(batch: b0, rowsPerBatch: lk),
                                              dv: dv.advanced(batch: b0, rowsPerBatch: lk), scratch: scratch)
        }
    }
    /// The keep-mask `dropoutMask` draws for the (B, Lq, Lk, H) weights of `s` (same random bits, same
    /// values), written head-padded (B, Lq, Lk, hp) with pad lanes 0.
    public static func paddedDropoutMask(_ mask: UnsafeMutablePointer<Float>, _ s: AttentionShape, p: Double,
                                         rng: inout Xoshiro256, threads: Int = 1) {
        let H = s.heads, hp = (H + 7) / 8 * 8
        let rows = s.queryLength * s.keyLength  // rows of H weights per batch element
        let base = Xoshiro256(seed: rng.next())
        let chunk = 16
        let chunks = (s.batch + chunk - 1) / chunk
        parallelBatches(chunks, threads: threads) { c0, nc in
            for c in c0..<(c0 + nc) {
                // fillDropoutMask's values for the chunk, unpadded at the start of its padded region, then
                // spread row by row from the last (a row's destination never overlaps an unmoved row)
                var r = base.fork(stream: UInt64(c))
                let b0 = c * chunk, b1 = Swift.min(s.batch, b0 + chunk)
                let region = mask + b0 * rows * hp, n = (b1 - b0) * rows
                fillDropoutMask(region, count: n * H, p: p, rng: &r)
                if hp == H { continue }
                for row in stride(from: n - 1, through: 0, by: -1) {
                    let dst = region + row * hp
                    if row > 0 { memmove(dst, region + row * H, H * MemoryLayout<Float>.stride) }
                    for h in H..<hp { dst[h] = 0 }
                }
            }
        }
    }
    /// Fills a (batch, perBatch) dropout keep-mask (0 or 1/(1−p)) from `rng`.
    public static func dropoutMask(_ mask: UnsafeMutablePointer<Float>, batch: Int, perBatch: Int, p: Double,
                                   rng: inout Xoshiro256, threads: Int = 1) {
        parallelDropoutMask(mask, batch: batch, perBatch: perBatch, p: p, rng: &rng, threads: threads)
    }
    public static func dropoutMask(_ mask: UnsafeMutablePointer<Double>, batch: Int, perBatch: Int, p: Double,
                                   rng: inout Xoshiro256, threads: Int = 1) {
        parallelDropoutMask(mask, batch: batch, perBatch: perBatch, p: p, rng: &rng, threads: threads)
    }
}

// MARK: - Training kernels for Float, head width 2: heads in SIMD8 lanes
//
// The same math as `attentionForwardHD2` / `attentionBackwardHD2`, but per (query i, group of 8 heads)
// the loops over keys run on SIMD8 lanes of head-planar copies padded to hp = H rounded up to 8 (pad
// lanes zero), the softmax uses `fastExp2Nonpositive8` on scores in log2 units, and the mask is laid
// out (B, Lq, Lk, hp) (pad lanes 0), so every access is a full SIMD8 row segment; it holds the same keep
// factors as `dropoutMask` draws for (B, Lq, Lk, H); the forward keeps the probabilities in the same
// padded layout for the backward (recomputing them there instead measured slower).

/// Scratch values of `attentionTrainingForwardHD2Float` / `attentionTrainingBackwardHD2Float`.
@inline(__always)
func trainingHD2ScratchCount(_ s: AttentionShape) -> Int {
    let hp = (s.heads + 7) / 8 * 8
    return (4 * s.queryLength + 8 * s.keyLength) * hp + 8 * s.keyLength + 16
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
@inline(__always)
private func store8(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<Float>.self)
}
/// Float training forward for head width 2: out (B, Lq, 2H) and probs (B, Lq, Lk, hp) = softmax (pre-dropout);
/// mask (B, Lq, Lk, hp) or nil (pad lanes 0); hp = H rounded up to 8. `scratch` (`trainingHD2ScratchCount`) must be zeroed before the first call.
@inline(__always)
func attentionTrainingForwardHD2Float(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                      v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>,
                                      probs: UnsafeMutablePointer<Float>?, mask: UnsafePointer<Float>?,
                                      scratch: UnsafeMutablePointer<Float>) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = (H + 7) / 8 * 8
    let d = 2 * H
    // scores in log2 units: s·log2(e), so e^(s − max) = 2^(s' − max')
    let scale = Float(1.4426950408889634 / 2.0.squareRoot())
    let Q0 = scratch, Q1 = Q0 + Lq * hp, K0 = Q1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let S = V1 + Lk * hp  // (Lk, 8): exp'd scores of one query and head group
    let lanes = S + 8 * Lk  // 16: the two output planes of a group
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for i in 0..<Lq {
            let row = (b * Lq + i) * Lk * hp  // probs/mask block (Lk, hp) of this query
            let oi = out + (b * Lq + i) * d
            let P = probs.map { $0 + row }, M = mask.map { $0 + row }
            for g in stride(from: 0, to: hp, by: 8) {
                let nl = Swift.min(8, H - g)
                let q0 = load8(Q0 + i * hp + g) * scale, q1 = load8(Q1 + i * hp + g) * scale
                var mx = SIMD8<Float>(repeating: -Float.greatestFiniteMagnitude)
                for j in 0..<Lk {
                    let sc = q0 * load8(K0 + j * hp + g) + q1 * load8(K1 + j * hp + g)
                    store8(sc, S + 8 * j)
                    mx = mx.replacing(with: sc, where: sc .> mx)
                }
                var sum = SIMD8<Float>()
                for j in 0..<Lk {
                    let e = fastExp2Nonpositive8(load8(S + 8 * j) - mx)
                    store8(e, S + 8 * j)
                    sum += e
                }
                let inv = 1 / sum
                var o0 = SIMD8<Float>(), o1 = SIMD8<Float>()
                if let P { for j in 0..<Lk { store8(load8(S + 8 * j) * inv, P + j * hp + g) } }
                if let M {
                    for j in 0..<Lk {
                        let p = load8(S + 8 * j) * inv
                        let a = p * load8(M + j * hp + g)
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
                store8(o0, lanes)
                store8(o1, lanes + 8)
                let og = oi + 2 * g
                for l in 0..<nl { og[2 * l] = lanes[l]; og[2 * l + 1] = lanes[8 + l] }
            }
        }
    }
}

/// Float training backward for head width 2 (the operations of `attentionBackwardHD2`, heads in SIMD8 lanes).
/// dq/dk/dv are accumulated into. `scratch` (`trainingHD2ScratchCount`) must be zeroed before the first call.
@inline(__always)
func attentionTrainingBackwardHD2Float(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                       v: AttentionOperand<Float>, probs: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                       gradOut: UnsafePointer<Float>, dq: AttentionOperand<Float>,
                                       dk: AttentionOperand<Float>, dv: AttentionOperand<Float>,
                                       scratch: UnsafeMutablePointer<Float>) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let hp = (H + 7) / 8 * 8
    let d = 2 * H
    let scale = 1 / Float(2).squareRoot()
    let Q0 = scratch, Q1 = Q0 + Lq * hp, G0 = Q1 + Lq * hp, G1 = G0 + Lq * hp
    let K0 = G1 + Lq * hp, K1 = K0 + Lk * hp, V0 = K1 + Lk * hp, V1 = V0 + Lk * hp
    let dK0 = V1 + Lk * hp, dK1 = dK0 + Lk * hp, dV0 = dK1 + Lk * hp, dV1 = dV0 + Lk * hp
    let dP = dV1 + Lk * hp  // (Lk, 8)
    let lanes = dP + 8 * Lk  // 16
    for b in 0..<B {
        deinterleave(q.base + b * Lq * q.stride + q.offset, stride: q.stride, rows: Lq, heads: H, hp: hp, Q0, Q1)
        deinterleave(UnsafeMutablePointer(mutating: gradOut) + b * Lq * d, stride: d, rows: Lq, heads: H, hp: hp, G0, G1)
        deinterleave(k.base + b * Lk * k.stride + k.offset, stride: k.stride, rows: Lk, heads: H, hp: hp, K0, K1)
        deinterleave(v.base + b * Lk * v.stride + v.offset, stride: v.stride, rows: Lk, heads: H, hp: hp, V0, V1)
        for x in 0..<(Lk * hp) { dK0[x] = 0; dK1[x] = 0; dV0[x] = 0; dV1[x] = 0 }
        for i in 0..<Lq {
            let row = (b * Lq + i) * Lk * hp
            let dqi = dq.base + (b * Lq + i) * dq.stride + dq.offset
            let P = probs + row, M = mask.map { $0 + row }
            for g in stride(from: 0, to: hp, by: 8) {
                let nl = Swift.min(8, H - g)
                let S = P + g  // this group's probabilities, row stride hp
                let g0 = load8(G0 + i * hp + g), g1 = load8(G1 + i * hp + g)
                var dot = SIMD8<Float>()
                if let M {
                    for j in 0..<Lk {
                        let p = load8(S + j * hp), mj = load8(M + j * hp + g)
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
                        let p = load8(S + j * hp)
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
                    let p = load8(S + j * hp)
                    let jo = j * hp + g
                    let ds = p * (load8(dP + 8 * j) - dot)
                    a0 += ds * load8(K0 + jo); a1 += ds * load8(K1 + jo)
                    store8(load8(dK0 + jo) + ds * q0, dK0 + jo)
                    store8(load8(dK1 + jo) + ds * q1, dK1 + jo)
                }
                store8(a0 * scale, lanes)
                store8(a1 * scale, lanes + 8)
                let dg = dqi + 2 * g
                for l in 0..<nl { dg[2 * l] += lanes[l]; dg[2 * l + 1] += lanes[8 + l] }
            }
        }
        for j in 0..<Lk {
            let dkj = dk.base + (b * Lk + j) * dk.stride + dk.offset
            let dvj = dv.base + (b * Lk + j) * dv.stride + dv.offset
            let dk0 = dK0 + j * hp, dk1 = dK1 + j * hp, dv0 = dV0 + j * hp, dv1 = dV1 + j * hp
            for h in 0..<H {
                dkj[2 * h] += dk0[h]; dkj[2 * h + 1] += dk1[h]
                dvj[2 * h] += dv0[h]; dvj[2 * h + 1] += dv1[h]
            }
        }
    }
}
