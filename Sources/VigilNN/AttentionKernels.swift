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
@inline(__always)
func fillDropoutMask<T: BinaryFloatingPoint>(_ mask: UnsafeMutablePointer<T>, count: Int, p: Double,
                                              rng: inout Xoshiro256) {
    let threshold = UInt64((p * 65536).rounded())
    let keep = T(1 / (1 - p))
    var i = 0
    while i < count {
        var bits = rng.next()
        var k = 0
        while k < 4 && i < count {
            mask[i] = (bits & 0xFFFF) >= threshold ? keep : 0
            bits >>= 16
            k += 1
            i += 1
        }
    }
}

@inline(__always)
func attentionForwardKernel<T: BinaryFloatingPoint>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    out: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>, mask: UnsafePointer<T>?,
    exp: (T) -> T
) {
    // out: (B, Lq, H*hd) contiguous; probs: (B, H, Lq, Lk) post-softmax, pre-dropout.
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
                let p = probs + ((b * H + h) * Lq + i) * Lk
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

@inline(__always)
func attentionForwardHD2<T: BinaryFloatingPoint>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    out: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>, mask: UnsafePointer<T>?,
    scratch: UnsafeMutablePointer<T>, expInPlace: (UnsafeMutablePointer<T>, Int) -> Void
) {
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let d = 2 * H
    let scale = 1 / T(2).squareRoot()
    let qs = scratch            // (d) scaled query row
    let mx = scratch + d        // (H)
    let sm = scratch + d + H    // (H)
    for b in 0..<B {
        let qb = q.base + b * Lq * q.stride + q.offset
        let kb = k.base + b * Lk * k.stride + k.offset
        let vb = v.base + b * Lk * v.stride + v.offset
        for i in 0..<Lq {
            let qi = qb + i * q.stride
            for c in 0..<d { qs[c] = qi[c] * scale }
            let p = probs + (b * Lq + i) * Lk * H  // (Lk, H)
            for j in 0..<Lk {
                let kj = kb + j * k.stride
                let pj = p + j * H
                for h in 0..<H { pj[h] = qs[2 * h] * kj[2 * h] + qs[2 * h + 1] * kj[2 * h + 1] }
            }
            for h in 0..<H { mx[h] = p[h] }
            for j in 1..<max(Lk, 1) {
                let pj = p + j * H
                for h in 0..<H { mx[h] = pj[h] > mx[h] ? pj[h] : mx[h] }
            }
            for j in 0..<Lk {
                let pj = p + j * H
                for h in 0..<H { pj[h] -= mx[h] }
            }
            expInPlace(p, Lk * H)
            for h in 0..<H { sm[h] = 0 }
            for j in 0..<Lk {
                let pj = p + j * H
                for h in 0..<H { sm[h] += pj[h] }
            }
            for h in 0..<H { sm[h] = 1 / sm[h] }
            for j in 0..<Lk {
                let pj = p + j * H
                for h in 0..<H { pj[h] *= sm[h] }
            }
            let oi = out + (b * Lq + i) * d
            for c in 0..<d { oi[c] = 0 }
            for j in 0..<Lk {
                let pj = p + j * H
                let vj = vb + j * v.stride
                if let mk = mask {
                    let mj = mk + (b * Lq + i) * Lk * H + j * H
                    for h in 0..<H {
                        let a = pj[h] * mj[h]
                        oi[2 * h] += a * vj[2 * h]; oi[2 * h + 1] += a * vj[2 * h + 1]
                    }
                } else {
                    for h in 0..<H {
                        let a = pj[h]
                        oi[2 * h] += a * vj[2 * h]; oi[2 * h + 1] += a * vj[2 * h + 1]
                    }
                }
            }
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
    // scratch: Lk·H + 3H + d values.
    let (B, Lq, Lk, H) = (s.batch, s.queryLength, s.keyLength, s.heads)
    let d = 2 * H
    let scale = 1 / T(2).squareRoot()
    let dP = scratch                   // (Lk, H)
    let dot = scratch + Lk * H         // (H)
    let qs = dot + H                   // (d)
    let acc = qs + d                   // (d) dq accumulator
    for b in 0..<B {
        let qb = q.base + b * Lq * q.stride + q.offset
        let kb = k.base + b * Lk * k.stride + k.offset
        let vb = v.base + b * Lk * v.stride + v.offset
        let dqb = dq.base + b * Lq * dq.stride + dq.offset
        let dkb = dk.base + b * Lk * dk.stride + dk.offset
        let dvb = dv.base + b * Lk * dv.stride + dv.offset
        for i in 0..<Lq {
            let p = probs + (b * Lq + i) * Lk * H
            let m = mask.map { $0 + (b * Lq + i) * Lk * H }
            let gi = gradOut + (b * Lq + i) * d
            for h in 0..<H { dot[h] = 0 }
            for j in 0..<Lk {
                let pj = p + j * H
                let vj = vb + j * v.stride
                let dvj = dvb + j * dv.stride
                let dpj = dP + j * H
                if let mk = m {
                    let mj = mk + j * H
                    for h in 0..<H {
                        let a = pj[h] * mj[h]
                        dvj[2 * h] += a * gi[2 * h]; dvj[2 * h + 1] += a * gi[2 * h + 1]
                        let g = (gi[2 * h] * vj[2 * h] + gi[2 * h + 1] * vj[2 * h + 1]) * mj[h]
                        dpj[h] = g
                        dot[h] += pj[h] * g
                    }
                } else {
                    for h in 0..<H {
                        let a = pj[h]
                        dvj[2 * h] += a * gi[2 * h]; dvj[2 * h + 1] += a * gi[2 * h + 1]
                        let g = gi[2 * h] * vj[2 * h] + gi[2 * h + 1] * vj[2 * h + 1]
                        dpj[h] = g
                        dot[h] += a * g
                    }
                }
            }
            let qi = qb + i * q.stride
            for c in 0..<d { qs[c] = qi[c] * scale; acc[c] = 0 }
            for j in 0..<Lk {
                let pj = p + j * H
                let dpj = dP + j * H
                let kj = kb + j * k.stride
                let dkj = dkb + j * dk.stride
                for h in 0..<H {
                    let ds = pj[h] * (dpj[h] - dot[h])
                    acc[2 * h] += ds * kj[2 * h]; acc[2 * h + 1] += ds * kj[2 * h + 1]
                    dkj[2 * h] += ds * qs[2 * h]; dkj[2 * h + 1] += ds * qs[2 * h + 1]
                }
            }
            let dqi = dqb + i * dq.stride
            for c in 0..<d { dqi[c] += acc[c] * scale }
        }
    }
}

/// exp in place over `count` Floats: Cephes-style exp (relative error ≈ 2e-7) written as a plain
/// branch-free loop so LLVM vectorises it; inputs are clamped to [−87.3, 88.7].
@inline(__always)
func fastExpInPlace(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
    let shifter: Float = 12582912  // 1.5·2^23: adding and subtracting it rounds to the nearest integer
    for i in 0..<count {
        var v = x[i]
        v = v < -87.3 ? -87.3 : v
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
        // n is integral and sits in the low mantissa bits of t: 2^n = bits (n + 127) << 23
        let bits = (t.bitPattern &- shifter.bitPattern &+ 127) &<< 23
        x[i] = y * Float(bitPattern: bits)
    }
}

@inline(__always)
func scalarExpInPlace(_ x: UnsafeMutablePointer<Double>, _ count: Int) {
    for i in 0..<count { x[i] = Foundation.exp(x[i]) }
}

/// Concrete (specialised) entry points: the generic kernels above are inlined into these.
public enum AttentionKernels {
    public static func forward(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                               v: AttentionOperand<Float>, out: UnsafeMutablePointer<Float>,
                               probs: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?) {
        if s.headDim == 2 {
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * s.modelDim)
            defer { scratch.deallocate() }
            attentionForwardHD2(s, q: q, k: k, v: v, out: out, probs: probs, mask: mask, scratch: scratch, expInPlace: fastExpInPlace)
        } else {
            attentionForwardKernel(s, q: q, k: k, v: v, out: out, probs: probs, mask: mask, exp: { Foundation.expf($0) })
        }
    }
    public static func forward(_ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                               v: AttentionOperand<Double>, out: UnsafeMutablePointer<Double>,
                               probs: UnsafeMutablePointer<Double>, mask: UnsafePointer<Double>?) {
        if s.headDim == 2 {
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * s.modelDim)
            defer { scratch.deallocate() }
            attentionForwardHD2(s, q: q, k: k, v: v, out: out, probs: probs, mask: mask, scratch: scratch, expInPlace: scalarExpInPlace)
        } else {
            attentionForwardKernel(s, q: q, k: k, v: v, out: out, probs: probs, mask: mask, exp: { Foundation.exp($0) })
        }
    }
    public static func backward(_ s: AttentionShape, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                                v: AttentionOperand<Float>, probs: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                gradOut: UnsafePointer<Float>, dq: AttentionOperand<Float>,
                                dk: AttentionOperand<Float>, dv: AttentionOperand<Float>,
                                scratch: UnsafeMutablePointer<Float>) {
        if s.headDim == 2 {
            let buf = UnsafeMutablePointer<Float>.allocate(capacity: s.keyLength * s.heads + 3 * s.heads + 2 * s.modelDim)
            defer { buf.deallocate() }
            attentionBackwardHD2(s, q: q, k: k, v: v, probs: probs, mask: mask, gradOut: gradOut,
                                 dq: dq, dk: dk, dv: dv, scratch: buf)
        } else {
            attentionBackwardKernel(s, q: q, k: k, v: v, probs: probs, mask: mask, gradOut: gradOut,
                                    dq: dq, dk: dk, dv: dv, scratch: scratch)
        }
    }
    public static func backward(_ s: AttentionShape, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                                v: AttentionOperand<Double>, probs: UnsafePointer<Double>, mask: UnsafePointer<Double>?,
                                gradOut: UnsafePointer<Double>, dq: AttentionOperand<Double>,
                                dk: AttentionOperand<Double>, dv: AttentionOperand<Double>,
                                scratch: UnsafeMutablePointer<Double>) {
        if s.headDim == 2 {
            let buf = UnsafeMutablePointer<Double>.allocate(capacity: s.keyLength * s.heads + 3 * s.heads + 2 * s.modelDim)
            defer { buf.deallocate() }
            attentionBackwardHD2(s, q: q, k: k, v: v, probs: probs, mask: mask, gradOut: gradOut,
                                 dq: dq, dk: dk, dv: dv, scratch: buf)
        } else {
            attentionBackwardKernel(s, q: q, k: k, v: v, probs: probs, mask: mask, gradOut: gradOut,
                                    dq: dq, dk: dk, dv: dv, scratch: scratch)
        }
    }
    public static func dropoutMask(_ mask: UnsafeMutablePointer<Float>, count: Int, p: Double, rng: inout Xoshiro256) {
        fillDropoutMask(mask, count: count, p: p, rng: &rng)
    }
    public static func dropoutMask(_ mask: UnsafeMutablePointer<Double>, count: Int, p: Double, rng: inout Xoshiro256) {
        fillDropoutMask(mask, count: count, p: p, rng: &rng)
    }
}
