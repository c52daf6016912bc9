// Fused residual + dropout: out = x + dropout(y), one pass over memory, with its own backward.
//
// The unfused form (dropout then add) makes two full passes and two temporaries; in a transformer
// layer this pattern follows every sub-block, on the largest activations.
import VigilTensor

/// out = x + dropout(y) with keep factor 1/(1−p) (identity dropout when not training or p = 0).
/// x, y: same shape. Backward: ∂x = g, ∂y = g ⊙ mask. The mask uses 16 random bits per element.
public func addDropout<S: TensorScalar>(_ x: Tensor<S>, _ y: Tensor<S>, p: Double, rng: inout Xoshiro256,
                                        training: Bool) -> Tensor<S> {
    precondition(x.shape == y.shape, "addDropout: shapes \(x.shape) and \(y.shape) differ")
    guard training && p > 0 else { return x + y }
    let n = x.count
    let mask = AttentionBuffer<S>(count: n)
    let out = Tensor<S>(zeros: x.shape)
    withExtendedLifetime((x, y, out)) {
        if S.self == Float.self {
            addDropoutKernel(raw(x, Float.self), raw(y, Float.self), raw(out, Float.self), mask.pointer(as: Float.self), n: n, p: p, rng: &rng)
        } else {
            addDropoutKernel(raw(x, Double.self), raw(y, Double.self), raw(out, Double.self), mask.pointer(as: Double.self), n: n, p: p, rng: &rng)
        }
    }
    guard GradMode.isEnabled && (x.requiresGrad || y.requiresGrad) else { return out }
    let needX = x.requiresGrad, needY = y.requiresGrad
    return Tensor.makeOp(output: out, inputs: [x, y]) { g in
        guard needY else { return [g, nil] }
        let gy = Tensor<S>(zeros: g.shape)
        withExtendedLifetime((g, gy)) {
            if S.self == Float.self {
                maskedCopy(raw(g, Float.self), raw(gy, Float.self), mask.pointer(as: Float.self), n: n)
            } else {
                maskedCopy(raw(g, Double.self), raw(gy, Double.self), mask.pointer(as: Double.self), n: n)
            }
        }
        return [needX ? g : nil, gy]
    }
}

@inline(__always)
func raw<S: TensorScalar, T>(_ t: Tensor<S>, _: T.Type) -> UnsafeMutablePointer<T> {
    t.withUnsafeMutableBufferPointer { UnsafeMutableRawPointer($0.baseAddress!) }.assumingMemoryBound(to: T.self)
}

@inline(__always)
private func addDropoutKernel<T: BinaryFloatingPoint>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                                                      _ out: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
                                                      n: Int, p: Double, rng: inout Xoshiro256) {
    fillDropoutMask(m, count: n, p: p, rng: &rng)
    for i in 0..<n { out[i] = x[i] + y[i] * m[i] }
}

@inline(__always)
private func maskedCopy<T: BinaryFloatingPoint>(_ g: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>,
                                                _ m: UnsafeMutablePointer<T>, n: Int) {
    for i in 0..<n { out[i] = g[i] * m[i] }
}
