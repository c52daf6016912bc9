// Fused residual + dropout: out = x + dropout(y), one pass over memory, with its own backward.
//
// The unfused form (dropout then add) makes two full passes and two temporaries; in a transformer
// layer this pattern follows every sub-block, on the largest activations.
import VigilTensor

/// out = x + dropout(y) with keep factor 1/(1−p) (identity dropout when not training or p = 0).
/// x, y: same shape. Backward: ∂x = g, ∂y = g ⊙ mask. The mask is `DropoutMask.fill` (16-bit chunks of `rng`).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func addDropout<S: TensorScalar>(_ x: Tensor<S>, _ y: Tensor<S>, p: Double, rng: inout Xoshiro256,
                                        training: Bool) -> Tensor<S> {
    precondition(x.shape == y.shape, "addDropout: shapes \(x.shape) and \(y.shape) differ")
    guard training && p > 0 else { return x + y }
    let n = x.count
    let mask = KernelBuffer<S>(count: n)
    let out = Tensor<S>(unfilled: x.shape)  // every element written below
    withExtendedLifetime((x, y, out)) {
        let m = mask.pointer, xs = x.storage, ys = y.storage, o = out.storage
        DropoutMask.fill(m, count: n, p: p, rng: &rng)
        for i in 0..<n { o[i] = xs[i] + ys[i] * m[i] }
    }
    guard GradMode.isEnabled && (x.requiresGrad || y.requiresGrad) else { return out }
    let needX = x.requiresGrad, needY = y.requiresGrad
    return Tensor.makeOp(output: out, inputs: [x, y]) { g in
        guard needY else { return [g, nil] }
        let gy = Tensor<S>(unfilled: g.shape)  // every element written below
        withExtendedLifetime((g, gy)) {
            let m = mask.pointer, gs = g.storage, o = gy.storage
            for i in 0..<n { o[i] = gs[i] * m[i] }
        }
        return [needX ? g : nil, gy]
    }
}
