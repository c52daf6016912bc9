// The reference attention kernels: the formulas of AttentionTypes.swift as plain loops, one (batch, head,
// query) at a time, any head width, libm exp. They are what the fast paths are checked against (the Float64
// instantiation is gradient-checked against finite differences in VigilNNTests/FusedAttentionTests), and they
// run every call no fast path takes (`AttentionPath.reference`: head width ≠ 2).
import VigilTensor

/// Reference forward, for each (b, h, i):
///     s_j = (Σ_c q[b,i,h,c]·k[b,j,h,c]) / √hd,  P = softmax_j(s),  out[b,i,h,:] = Σ_j P_j·M_j·v[b,j,h,:]
/// Buffers: q (B, Lq, ·), k, v (B, Lk, ·) as `AttentionOperand`s; out (B, Lq, H·hd) contiguous;
/// probs (B, H, Lq, Lk) receives P (pre-dropout) when given; mask (B, H, Lq, Lk) or nil (M = 1);
/// scratch: Lk values (holds one query's weights when probs is nil).
@inline(__always)
func attentionReferenceForward<T: TensorScalar>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    out: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>?, mask: UnsafePointer<T>?,
    scratch: UnsafeMutablePointer<T>
) {
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
                for j in 0..<Lk {
                    let kj = kb + j * k.stride + ho
                    var sc: T = 0
                    for c in 0..<hd { sc += qi[c] * kj[c] }
                    sc *= scale
                    p[j] = sc
                    if sc > mx { mx = sc }
                }
                var sum: T = 0
                for j in 0..<Lk { let e = T.exp(p[j] - mx); p[j] = e; sum += e }
                let inv = 1 / sum
                for j in 0..<Lk { p[j] *= inv }
                let oi = ob + i * d + ho
                let m = mask.map { $0 + ((b * H + h) * Lq + i) * Lk }
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

/// Reference backward of `attentionReferenceForward`, for each (b, h, i) with g = dout[b,i,h,:]:
///     dv_j += P_j·M_j·g,  dP_j = M_j·(g·v_j),  dS_j = P_j·(dP_j − Σ_k P_k·dP_k),
///     dq_i += Σ_j dS_j·k_j / √hd,  dk_j += dS_j·q_i / √hd
/// Buffers as the forward; probs (B, H, Lq, Lk) from it; gradOut (B, Lq, H·hd); dq (B, Lq, ·), dk, dv (B, Lk, ·)
/// are accumulated into (zero them first); scratch: Lk values.
@inline(__always)
func attentionReferenceBackward<T: TensorScalar>(
    _ s: AttentionShape, q: AttentionOperand<T>, k: AttentionOperand<T>, v: AttentionOperand<T>,
    probs: UnsafePointer<T>, mask: UnsafePointer<T>?, gradOut: UnsafePointer<T>,
    dq: AttentionOperand<T>, dk: AttentionOperand<T>, dv: AttentionOperand<T>,
    scratch: UnsafeMutablePointer<T>
) {
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
