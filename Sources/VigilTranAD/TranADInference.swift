// Inference-only TranAD forward (scoring): the model's eval-mode forward without tensors, tape or
// dropout, on preallocated per-worker buffers with raw GEMMs.
//
// What differs from running the Module under withNoGrad (same mathematics, different rounding order):
// - Attention operands are head-planar: the in_proj rows (q, k and v parts) are permuted so a projected
//   row holds component 0 of every head, then component 1 (each plane padded to hp = H rounded up to 8
//   with zero rows), and out_proj's columns are permuted to match. The attention kernel then reads
//   8 heads per SIMD load, with no de-interleaving.
// - Phase 1's encoder input is concat(window·√F + pe_left, pe_right): the right half is the same for
//   every window, so its in_proj contribution pe_right·W[:, F:]ᵀ + b is one (W, 3·2hp) table and the
//   GEMM runs over the F left columns only. The left half window·√F + pe_left is the same in both
//   phases, so its product L = left·W[:, :F]ᵀ is kept: phase 1 uses L + table, phase 2 uses
//   L + b + right₂·W[:, F:]ᵀ (a K = F GEMM for the focus-score half only).
// - Decoder self-attention has one token (the target): softmax over one key is exactly 1, so its output
//   is out_proj(v); with the target [e, e] it is folded into one (d, F) matrix
//   Wo·(Wv[:, :F] + Wv[:, F:]) and bias Wo·bv + bo (computed once in Double).
// - With the reference activation (identity) the encoder's feed-forward is linear and its output is
//   used only by the decoders' k/v projection: mem = x1·(I + W2·W1)ᵀ + W2·b1 + b2, so each decoder
//   applies Wkv·(I + W2·W1) (and the folded bias) to x1 directly and the encoder FF is skipped.
import VigilNN
import VigilTensor

/// Eval-mode forward of a `TranADModel` for scoring (no dropout, no autograd); x1, x2 as `model(x)`.
final class TranADInference<S: AttentionScalar> {
    let f: Int, d: Int, h: Int, hp: Int, w: Int, ff: Int
    let activation: TranADActivation
    /// Planar row count of one projected operand: 2·hp.
    var dp: Int { 2 * hp }

    struct Encoder {
        var wqkv: [S], bqkv: [S]          // (3dp, d), (3dp), planar rows
        var wLeft: [S]                     // (3dp, F): the window columns of wqkv
        var wRight: [S]                    // (3dp, F): the focus-score columns of wqkv
        var phase1Bias: [S]                // (W, 3dp): pe_right·W[:, F:]ᵀ + b per position
        var wo: [S], bo: [S]               // (d, dp) planar columns, (d)
        var w1: [S], b1: [S], w2: [S], b2: [S]
    }
    struct Decoder {
        var wself: [S], bself: [S]                 // self-attention folded: (d, F), (d)
        var wq: [S], bq: [S]                       // (dp, d) planar
        var wkv: [S], bkv: [S]                     // (2dp, d) planar
        var wco: [S], bco: [S]                     // (d, dp) planar columns
        var w1: [S], b1: [S], w2: [S], b2: [S]
    }
    let enc: Encoder
    let dec: [Decoder]
    /// Encoder FF folded into the decoders' k/v projection (identity activation).
    let foldEncoderFF: Bool
    let wf: [S], bf: [S]
    let pe: [S]  // (W, d)
    let scale: S

    init(_ m: TranADModel<S>) {
        f = m.features; d = m.dModel; h = m.features; hp = (h + 7) / 8 * 8; w = m.config.window
        ff = m.config.feedForward; activation = m.config.activation
        scale = S(Double(f).squareRoot())
        pe = m.positionalEncoding.scalars
        let (d, h, hp, f, w) = (self.d, self.h, self.hp, self.f, self.w)
        let dp = 2 * hp
        // planar row r of one operand part ← original row 2·head + component (nil: pad)
        func source(_ r: Int) -> Int? { let c = r / hp, head = r % hp; return head < h ? 2 * head + c : nil }
        func planarRows(_ wt: [S], _ b: [S], parts: Int, first: Int) -> ([S], [S]) {
            var ow = [S](repeating: 0, count: parts * dp * d), ob = [S](repeating: 0, count: parts * dp)
            for part in 0..<parts {
                for r in 0..<dp {
                    guard let src = source(r) else { continue }
                    let o = (first + part) * d + src  // original row
                    for c in 0..<d { ow[(part * dp + r) * d + c] = wt[o * d + c] }
                    ob[part * dp + r] = b[o]
                }
            }
            return (ow, ob)
        }
        func planarColumns(_ wt: [S]) -> [S] {  // (d, d) → (d, dp)
            var o = [S](repeating: 0, count: d * dp)
            for r in 0..<d { for c in 0..<dp { if let src = source(c) { o[r * dp + c] = wt[r * d + src] } } }
            return o
        }
        let ea = m.encoder.selfAttn
        let inW = ea.inProjWeight.scalars, inB = ea.inProjBias.scalars
        let (wqkv, bqkv) = planarRows(inW, inB, parts: 3, first: 0)
        var wLeft = [S](repeating: 0, count: 3 * dp * f), p1 = [S](repeating: 0, count: w * 3 * dp)
        var wRight = wLeft
        for r in 0..<(3 * dp) {
            for c in 0..<f { wLeft[r * f + c] = wqkv[r * d + c]; wRight[r * f + c] = wqkv[r * d + f + c] }
            for t in 0..<w {
                var acc = Double(bqkv[r])
                for c in f..<d { acc += Double(pe[t * d + c]) * Double(wqkv[r * d + c]) }
                p1[t * 3 * dp + r] = S(acc)
            }
        }
        enc = Encoder(wqkv: wqkv, bqkv: bqkv, wLeft: wLeft, wRight: wRight, phase1Bias: p1,
                      wo: planarColumns(ea.outProj.weight.scalars), bo: ea.outProj.bias!.scalars,
                      w1: m.encoder.linear1.weight.scalars, b1: m.encoder.linear1.bias!.scalars,
                      w2: m.encoder.linear2.weight.scalars, b2: m.encoder.linear2.bias!.scalars)
        foldEncoderFF = m.config.activation == .referenceIdentity
        let fold = foldEncoderFF
        let (ew1, eb1, ew2, eb2) = (enc.w1, enc.b1, enc.w2, enc.b2)
        dec = [m.decoder1, m.decoder2].map { l in
            let sw = l.selfAttn.inProjWeight.scalars, sb = l.selfAttn.inProjBias.scalars
            let cw = l.multiheadAttn.inProjWeight.scalars, cb = l.multiheadAttn.inProjBias.scalars
            let (wq, bq) = planarRows(cw, cb, parts: 1, first: 0)
            var (wkv, bkv) = planarRows(cw, cb, parts: 2, first: 1)
            if fold {
                // Wkv·(I + W2·W1) and bkv + Wkv·(W2·b1 + b2), in Double; W1: (ff, d), W2: (d, ff)
                let nff = ew1.count / d
                var a = [Double](repeating: 0, count: d * d)  // I + W2·W1
                var c = [Double](repeating: 0, count: d)      // W2·b1 + b2
                for r in 0..<d {
                    a[r * d + r] = 1
                    var cr = Double(eb2[r])
                    for u in 0..<nff {
                        let w2ru = Double(ew2[r * nff + u])
                        cr += w2ru * Double(eb1[u])
                        for col in 0..<d { a[r * d + col] += w2ru * Double(ew1[u * d + col]) }
                    }
                    c[r] = cr
                }
                var fw = [S](repeating: 0, count: wkv.count), fb = bkv
                for r in 0..<(2 * dp) {
                    var br = Double(bkv[r])
                    for kk in 0..<d { br += Double(wkv[r * d + kk]) * c[kk] }
                    fb[r] = S(br)
                    for col in 0..<d {
                        var acc = 0.0
                        for kk in 0..<d { acc += Double(wkv[r * d + kk]) * a[kk * d + col] }
                        fw[r * d + col] = S(acc)
                    }
                }
                wkv = fw; bkv = fb
            }
            // T1 = T + Wo·(Wv·T + bv) + bo with T = [e, e]: T + M·e + c, M = Wo·(Wv[:, :F] + Wv[:, F:]), c = Wo·bv + bo
            let wo = l.selfAttn.outProj.weight.scalars, bo = l.selfAttn.outProj.bias!.scalars
            var ws = [S](repeating: 0, count: d * f), bs = [S](repeating: 0, count: d)
            for r in 0..<d {
                var cb = Double(bo[r])
                for k in 0..<d { cb += Double(wo[r * d + k]) * Double(sb[2 * d + k]) }
                bs[r] = S(cb)
                for c in 0..<f {
                    var acc = 0.0
                    for k in 0..<d { acc += Double(wo[r * d + k]) * (Double(sw[(2 * d + k) * d + c]) + Double(sw[(2 * d + k) * d + f + c])) }
                    ws[r * f + c] = S(acc)
                }
            }
            return Decoder(wself: ws, bself: bs,
                           wq: wq, bq: bq, wkv: wkv, bkv: bkv,
                           wco: planarColumns(l.multiheadAttn.outProj.weight.scalars), bco: l.multiheadAttn.outProj.bias!.scalars,
                           w1: l.linear1.weight.scalars, b1: l.linear1.bias!.scalars,
                           w2: l.linear2.weight.scalars, b2: l.linear2.bias!.scalars)
        }
        wf = m.fcn.weight.scalars; bf = m.fcn.bias!.scalars
    }

    /// Per-worker buffers for batches of up to `capacity` windows.
    final class Workspace {
        let capacity: Int
        let x, qkv, left, att, x1, hid, mem: UnsafeMutablePointer<S>  // encoder, (B·W, ·)
        let t, t1, q, kv, ad, t2, hd, t3: UnsafeMutablePointer<S>  // decoder, (B, ·) except kv
        private var all: [UnsafeMutablePointer<S>] = []
        init(_ e: TranADInference, capacity b: Int) {
            capacity = b
            let r = b * e.w
            func alloc(_ n: Int) -> UnsafeMutablePointer<S> {
                let p = UnsafeMutablePointer<S>.allocate(capacity: Swift.max(n, 1)); p.initialize(repeating: 0, count: Swift.max(n, 1)); return p
            }
            x = alloc(r * e.d); qkv = alloc(r * 3 * e.dp); left = alloc(r * 3 * e.dp); att = alloc(r * e.dp); x1 = alloc(r * e.d)
            hid = alloc(r * e.ff); mem = alloc(r * e.d)
            t = alloc(b * e.d); t1 = alloc(b * e.d); q = alloc(b * e.dp); kv = alloc(r * 2 * e.dp)
            ad = alloc(b * e.dp); t2 = alloc(b * e.d); hd = alloc(b * e.ff); t3 = alloc(b * e.d)
            all = [x, qkv, left, att, x1, hid, mem, t, t1, q, kv, ad, t2, hd, t3]
        }
        deinit { for p in all { p.deallocate() } }
    }

    /// c (m, n) = [residual +] [bias per row +] a (m, k; row stride lda) · wᵀ (w: (n, k)): c is first set to
    /// residual + bias in one pass, then the GEMM accumulates into it (β = 0 when there is neither).
    @inline(__always)
    private func mm(_ a: UnsafePointer<S>, lda: Int, m: Int, k: Int, _ wt: [S], n: Int, _ c: UnsafeMutablePointer<S>,
                    bias: [S]?, residual: UnsafePointer<S>? = nil) {
        if let bias {
            bias.withUnsafeBufferPointer { bp in
                let b = bp.baseAddress!
                if let residual {
                    for r in 0..<m { let row = c + r * n, x = residual + r * n; for j in 0..<n { row[j] = x[j] + b[j] } }
                } else {
                    for r in 0..<m { (c + r * n).update(from: b, count: n) }
                }
            }
        } else if let residual {
            c.update(from: residual, count: m * n)
        }
        let beta: S = bias != nil || residual != nil ? 1 : 0
        wt.withUnsafeBufferPointer { wp in
            S.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: wp.baseAddress!, ldb: k,
                   beta: beta, c: c, ldc: n)
        }
    }

    @inline(__always)
    private func activate(_ p: UnsafeMutablePointer<S>, _ n: Int) {
        switch activation {
        case .referenceIdentity: return
        case .leakyReLU001: S.unaryForward(.leakyReLU, p, p, n, S(0.01))
        case .relu: S.unaryForward(.leakyReLU, p, p, n, 0)
        }
    }

    @inline(__always)
    private func attention(_ s: AttentionShape, q: AttentionOperand<S>, k: AttentionOperand<S>, v: AttentionOperand<S>,
                           out: UnsafeMutablePointer<S>) {
        S.attentionPlanarInference(s, hp: hp, q: q, k: k, v: v, out: out, outStride: dp)
    }

    /// Encoder of one phase into ws.mem (B·W, d), or only to ws.x1 with `foldEncoderFF`. focus nil: phase 1 (c = 0), else x1 (B, F).
    private func encode(_ xs: UnsafePointer<S>, b: Int, focus x1: UnsafePointer<S>?, _ ws: Workspace) {
        let (f, d, w, dp) = (self.f, self.d, self.w, self.dp)
        let rows = b * w
        pe.withUnsafeBufferPointer { pep in
            let pe = pep.baseAddress!
            for bi in 0..<b {
                for t in 0..<w {
                    let r = bi * w + t
                    let xr = xs + r * f, o = ws.x + r * d, pr = pe + t * d
                    for j in 0..<f { o[j] = xr[j] * scale + pr[j] }
                    if let x1 {
                        let x1r = x1 + bi * f
                        for j in 0..<f { let e = x1r[j] - xr[j]; o[f + j] = e * e * scale + pr[f + j] }
                    } else {
                        for j in 0..<f { o[f + j] = pr[f + j] }
                    }
                }
            }
        }
        // qkv (B·W, 3dp) planar; left (B·W, 3dp) = (window·√F + pe_left)·W[:, :F]ᵀ, computed in phase 1
        let n3 = 3 * dp
        if x1 == nil {
            mm(ws.x, lda: d, m: rows, k: f, enc.wLeft, n: n3, ws.left, bias: nil)
            enc.phase1Bias.withUnsafeBufferPointer { pb in
                for r in 0..<rows {
                    let o = ws.qkv + r * n3, l = ws.left + r * n3, t = pb.baseAddress! + (r % w) * n3
                    for j in 0..<n3 { o[j] = l[j] + t[j] }
                }
            }
        } else {
            mm(ws.x + f, lda: d, m: rows, k: f, enc.wRight, n: n3, ws.qkv, bias: enc.bqkv, residual: ws.left)
        }
        let s = AttentionShape(batch: b, queryLength: w, keyLength: w, heads: h, headDim: 2)
        attention(s, q: AttentionOperand(base: ws.qkv, stride: 3 * dp, offset: 0),
                  k: AttentionOperand(base: ws.qkv, stride: 3 * dp, offset: dp),
                  v: AttentionOperand(base: ws.qkv, stride: 3 * dp, offset: 2 * dp), out: ws.att)
        mm(ws.att, lda: dp, m: rows, k: dp, enc.wo, n: d, ws.x1, bias: enc.bo, residual: ws.x)
        if foldEncoderFF { return }  // the decoders apply the folded FF with their k/v projection
        mm(ws.x1, lda: d, m: rows, k: d, enc.w1, n: ff, ws.hid, bias: enc.b1)
        activate(ws.hid, rows * ff)
        mm(ws.hid, lda: ff, m: rows, k: ff, enc.w2, n: d, ws.mem, bias: enc.b2, residual: ws.x1)
    }

    /// Decoder `k` on ws.mem and head: out (B, F) = sigmoid(fcn(decoder(tgt, mem))).
    private func decode(_ l: Decoder, b: Int, _ ws: Workspace, out: UnsafeMutablePointer<S>) {
        let (d, f, w, dp) = (self.d, self.f, self.w, self.dp)
        // self-attention over the single target token [e, e]: softmax = 1, folded out_proj(v) on e
        mm(ws.t, lda: d, m: b, k: f, l.wself, n: d, ws.t1, bias: l.bself, residual: ws.t)
        // cross-attention on the memory
        mm(ws.t1, lda: d, m: b, k: d, l.wq, n: dp, ws.q, bias: l.bq)
        mm(foldEncoderFF ? ws.x1 : ws.mem, lda: d, m: b * w, k: d, l.wkv, n: 2 * dp, ws.kv, bias: l.bkv)
        let s = AttentionShape(batch: b, queryLength: 1, keyLength: w, heads: h, headDim: 2)
        attention(s, q: AttentionOperand(base: ws.q, stride: dp, offset: 0),
                  k: AttentionOperand(base: ws.kv, stride: 2 * dp, offset: 0),
                  v: AttentionOperand(base: ws.kv, stride: 2 * dp, offset: dp), out: ws.ad)
        mm(ws.ad, lda: dp, m: b, k: dp, l.wco, n: d, ws.t2, bias: l.bco, residual: ws.t1)
        mm(ws.t2, lda: d, m: b, k: d, l.w1, n: ff, ws.hd, bias: l.b1)
        activate(ws.hd, b * ff)
        mm(ws.hd, lda: ff, m: b, k: ff, l.w2, n: d, ws.t3, bias: l.b2, residual: ws.t2)
        mm(ws.t3, lda: d, m: b, k: d, wf, n: f, out, bias: bf)
        S.unaryForward(.sigmoid, out, out, b * f, 0)
    }

    /// windows (B, W, F) → x1, x2 (B, F) each; B ≤ ws.capacity.
    func forward(_ xs: UnsafePointer<S>, b: Int, _ ws: Workspace, x1: UnsafeMutablePointer<S>, x2: UnsafeMutablePointer<S>) {
        precondition(b <= ws.capacity, "TranADInference: batch \(b) > workspace capacity \(ws.capacity)")
        let (f, w) = (self.f, self.w)
        for bi in 0..<b {  // target: the window's last row, twice along features
            let e = xs + (bi * w + w - 1) * f, t = ws.t + bi * 2 * f
            for j in 0..<f { t[j] = e[j]; t[f + j] = e[j] }
        }
        encode(xs, b: b, focus: nil, ws)
        decode(dec[0], b: b, ws, out: x1)
        encode(xs, b: b, focus: UnsafePointer(x1), ws)
        decode(dec[1], b: b, ws, out: x2)
    }
}
