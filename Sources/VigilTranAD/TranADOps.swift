// TranAD's fused encoder input: dropout(concat(window, c)·√F + pe) in one pass, with its backward.
import VigilNN
import VigilTensor

/// x = dropout(concat(windows, c, axis 2)·scale + pe): windows, c (B, W, F); pe (W, 2F) → (B, W, 2F).
/// Gradient flows to `c` only (the window is data): ∂c = g[..., F:]·scale·mask.
func tranADEncoderInput<S: TensorScalar>(_ windows: Tensor<S>, _ c: Tensor<S>, pe: Tensor<S>, scale: Double,
                                         dropout p: Double, rng: inout Xoshiro256, training: Bool) -> Tensor<S> {
    let (b, w, f) = (windows.shape[0], windows.shape[1], windows.shape[2])
    precondition(c.shape == windows.shape && pe.shape == [w, 2 * f],
                 "tranADEncoderInput: windows \(windows.shape), c \(c.shape), pe \(pe.shape) do not fit (B, W, F), (W, 2F)")
    let n = b * w * 2 * f
    let useMask = training && p > 0
    var mask = [S]()
    if useMask {
        mask = [S](unsafeUninitializedCapacity: n) { buf, count in
            if S.self == Float.self {
                AttentionKernels.dropoutMask(UnsafeMutableRawPointer(buf.baseAddress!).assumingMemoryBound(to: Float.self),
                                             batch: 1, perBatch: n, p: p, rng: &rng)
            } else {
                AttentionKernels.dropoutMask(UnsafeMutableRawPointer(buf.baseAddress!).assumingMemoryBound(to: Double.self),
                                             batch: 1, perBatch: n, p: p, rng: &rng)
            }
            count = n
        }
    }
    let out = Tensor<S>(zeros: [b, w, 2 * f])
    let sc = S(scale)
    windows.withUnsafeBufferPointer { xs in c.withUnsafeBufferPointer { cs in pe.withUnsafeBufferPointer { ps in
        out.withUnsafeMutableBufferPointer { o in
            for bi in 0..<b {
                for t in 0..<w {
                    let row = (bi * w + t)
                    let orow = o.baseAddress! + row * 2 * f, prow = ps.baseAddress! + t * 2 * f
                    let xrow = xs.baseAddress! + row * f, crow = cs.baseAddress! + row * f
                    for j in 0..<f { orow[j] = xrow[j] * sc + prow[j] }
                    for j in 0..<f { orow[f + j] = crow[j] * sc + prow[f + j] }
                }
            }
            if useMask { mask.withUnsafeBufferPointer { m in for i in 0..<n { o[i] *= m[i] } } }
        }
    } } }
    guard GradMode.isEnabled && c.requiresGrad else { return out }
    return Tensor.makeOp(output: out, inputs: [c]) { g in
        let gc = Tensor<S>(zeros: c.shape)
        g.withUnsafeBufferPointer { gs in gc.withUnsafeMutableBufferPointer { o in
            for row in 0..<(b * w) {
                let grow = gs.baseAddress! + row * 2 * f + f, orow = o.baseAddress! + row * f
                if useMask {
                    mask.withUnsafeBufferPointer { m in
                        let mrow = m.baseAddress! + row * 2 * f + f
                        for j in 0..<f { orow[j] = grow[j] * sc * mrow[j] }
                    }
                } else {
                    for j in 0..<f { orow[j] = grow[j] * sc }
                }
            }
        } }
        return [gc]
    }
}
