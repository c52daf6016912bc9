// TranAD's fused encoder input: dropout(concat(window, c)·√F + pe) in one pass, with its backward,
// where c = 0 (phase 1) or c = (x1 − window)² (phase 2, the focus score; x1 broadcast over W).
import VigilNN
import VigilTensor

/// x = dropout(concat(windows, c, axis 2)·scale + pe) → (B, W, 2F), with windows (B, W, F), pe (W, 2F) and
/// c = 0 when `x1` is nil, else c[b, t, f] = (x1[b, 0, f] − windows[b, t, f])², x1 (B, 1, F).
/// Gradient flows to x1 only (the window is data):
/// ∂x1[b, f] = Σ_t g[b, t, F+f]·mask[b, t, F+f]·scale·2·(x1[b, f] − windows[b, t, f]).
func tranADEncoderInput<S: TensorScalar>(_ windows: Tensor<S>, x1: Tensor<S>?, pe: Tensor<S>, scale: Double,
                                         dropout p: Double, rng: inout Xoshiro256, training: Bool) -> Tensor<S> {
    let (b, w, f) = (windows.shape[0], windows.shape[1], windows.shape[2])
    precondition(pe.shape == [w, 2 * f] && (x1 == nil || x1!.shape == [b, 1, f]),
                 "tranADEncoderInput: windows \(windows.shape), x1 \(x1?.shape ?? []), pe \(pe.shape) do not fit (B, W, F), (B, 1, F), (W, 2F)")
    let n = b * w * 2 * f
    let useMask = training && p > 0
    var mask = [S]()
    if useMask {
        mask = [S](unsafeUninitializedCapacity: n) { buf, count in
            DropoutMask.fillBatched(buf.baseAddress!, batch: 1, perBatch: n, p: p, rng: &rng)
            count = n
        }
    }
    let out = Tensor<S>(unfilled: [b, w, 2 * f])  // every element written by `fill` below
    let sc = S(scale)
    let zeros = [S](repeating: 0, count: x1 == nil ? b * f : 0)
    windows.withUnsafeBufferPointer { xs in pe.withUnsafeBufferPointer { ps in
        out.withUnsafeMutableBufferPointer { o in
            func fill(_ x1p: UnsafeBufferPointer<S>, phase2: Bool) {
                for bi in 0..<b {
                    let xrow1 = x1p.baseAddress! + bi * f
                    for t in 0..<w {
                        let row = bi * w + t
                        let orow = o.baseAddress! + row * 2 * f, prow = ps.baseAddress! + t * 2 * f
                        let xrow = xs.baseAddress! + row * f
                        for j in 0..<f { orow[j] = xrow[j] * sc + prow[j] }
                        if phase2 {
                            for j in 0..<f { let e = xrow1[j] - xrow[j]; orow[f + j] = e * e * sc + prow[f + j] }
                        } else {
                            for j in 0..<f { orow[f + j] = prow[f + j] }
                        }
                    }
                }
            }
            if let x1 { x1.withUnsafeBufferPointer { fill($0, phase2: true) } } else { zeros.withUnsafeBufferPointer { fill($0, phase2: false) } }
            if useMask { mask.withUnsafeBufferPointer { m in for i in 0..<n { o[i] *= m[i] } } }
        }
    } }
    guard let x1, GradMode.isEnabled && x1.requiresGrad else { return out }
    return Tensor.makeOp(output: out, inputs: [x1]) { g in
        let gx = Tensor<S>(zeros: [b, 1, f])
        g.withUnsafeBufferPointer { gs in windows.withUnsafeBufferPointer { xs in x1.withUnsafeBufferPointer { x1s in
            mask.withUnsafeBufferPointer { m in gx.withUnsafeMutableBufferPointer { o in
                let two = 2 * sc
                for bi in 0..<b {
                    let orow = o.baseAddress! + bi * f, x1row = x1s.baseAddress! + bi * f
                    for t in 0..<w {
                        let row = bi * w + t
                        let grow = gs.baseAddress! + row * 2 * f + f, xrow = xs.baseAddress! + row * f
                        if useMask {
                            let mrow = m.baseAddress! + row * 2 * f + f
                            for j in 0..<f { orow[j] += grow[j] * mrow[j] * two * (x1row[j] - xrow[j]) }
                        } else {
                            for j in 0..<f { orow[j] += grow[j] * two * (x1row[j] - xrow[j]) }
                        }
                    }
                }
            } }
        } } }
        return [gx]
    }
}
