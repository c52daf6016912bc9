import RealModule
import VigilTensor

/// Something whose learning rate a schedule can change.
public protocol Optimizer: AnyObject {
    /// Current learning rate (schedules write it).
    var learningRate: Double { get set }
    /// One update from the parameters' current `grad`s (parameters without grad are skipped).
    func step()
    /// Clears the parameters' gradients.
    func zeroGrad()
}

/// AdamW exactly as `torch.optim.AdamW` (amsgrad off, maximize off), per parameter p with gradient g at step t:
///
///     p ← p·(1 − lr·wd)                       (decoupled weight decay)
///     m ← m + (1 − β1)·(g − m)                 (= β1·m + (1 − β1)·g, torch's lerp)
///     v ← β2·v + (1 − β2)·g²
///     p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
///
/// Scalar coefficients are computed in Double (as torch's Python floats), element math in the tensor's precision.
public final class AdamW<Scalar: TensorScalar>: Optimizer {
    public let parameters: [Tensor<Scalar>]
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    public let weightDecay: Double
    /// Steps taken per parameter (torch's state['step']).
    public private(set) var steps: [Int]
    var m: [Tensor<Scalar>]
    var v: [Tensor<Scalar>]

    public init(parameters: [Tensor<Scalar>], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0.01) {
        precondition(lr >= 0 && eps >= 0 && weightDecay >= 0, "AdamW: lr, eps and weightDecay must be ≥ 0")
        precondition(betas.0 >= 0 && betas.0 < 1 && betas.1 >= 0 && betas.1 < 1, "AdamW: betas must be in [0, 1)")
        self.parameters = parameters
        self.learningRate = lr
        self.beta1 = betas.0
        self.beta2 = betas.1
        self.eps = eps
        self.weightDecay = weightDecay
        steps = [Int](repeating: 0, count: parameters.count)
        m = parameters.map { Tensor(zeros: $0.shape) }
        v = parameters.map { Tensor(zeros: $0.shape) }
    }

    public func step() {
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            steps[i] += 1
            let t = Double(steps[i])
            let bc1 = 1 - Double.pow(beta1, t)
            let bc2 = 1 - Double.pow(beta2, t)
            let c = AdamCoefficients(decay: 1 - learningRate * weightDecay, oneMinusBeta1: 1 - beta1, beta2: beta2,
                                     oneMinusBeta2: 1 - beta2, stepSize: learningRate / bc1,
                                     bc2Sqrt: bc2.squareRoot(), eps: eps)
            adamWUpdate(p, g, m[i], v[i], c)
        }
    }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

struct AdamCoefficients {
    var decay, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, bc2Sqrt, eps: Double
}

/// One AdamW update of p from g with moments m, v (specialised for Float and Double).
@_specialize(where S == Float)
@_specialize(where S == Double)
func adamWUpdate<S: TensorScalar>(_ p: Tensor<S>, _ g: Tensor<S>, _ m: Tensor<S>, _ v: Tensor<S>, _ c: AdamCoefficients) {
    precondition(g.count == p.count, "AdamW: gradient shape \(g.shape) differs from parameter shape \(p.shape)")
    withExtendedLifetime((p, g, m, v)) {
        adamKernel(p.storage, g.storage, m.storage, v.storage, p.count, c)
    }
}

/// The AdamW update of n elements (the formula on `AdamW`), 8 elements per SIMD step and a scalar tail. Every
/// operation is an IEEE-rounded lane operation (no fused multiply-add, sqrt and division correctly rounded), so each
/// element gets the bits of the scalar reference `adamReference`, which the tail runs (tested in OptimizerTests).
@inline(__always)
func adamKernel<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>,
                                 _ v: UnsafeMutablePointer<T>, _ n: Int, _ c: AdamCoefficients) {
    let decay = T(c.decay), w1 = T(c.oneMinusBeta1), b2 = T(c.beta2), w2 = T(c.oneMinusBeta2)
    let stepSize = T(c.stepSize), bc2 = T(c.bc2Sqrt), eps = T(c.eps)
    let full = n / 8 * 8
    let raw = (p: UnsafeMutableRawPointer(p), g: UnsafeRawPointer(g), m: UnsafeMutableRawPointer(m), v: UnsafeMutableRawPointer(v))
    var i = 0
    while i < full {
        let at = i * MemoryLayout<T>.stride
        let gi = raw.g.loadUnaligned(fromByteOffset: at, as: SIMD8<T>.self)
        let m0 = raw.m.loadUnaligned(fromByteOffset: at, as: SIMD8<T>.self)
        let pi = raw.p.loadUnaligned(fromByteOffset: at, as: SIMD8<T>.self) * decay
        let mi = m0 + w1 * (gi - m0)
        let vi = raw.v.loadUnaligned(fromByteOffset: at, as: SIMD8<T>.self) * b2 + w2 * (gi * gi)
        raw.m.storeBytes(of: mi, toByteOffset: at, as: SIMD8<T>.self)
        raw.v.storeBytes(of: vi, toByteOffset: at, as: SIMD8<T>.self)
        let denom = vi.squareRoot() / bc2 + eps
        raw.p.storeBytes(of: pi + (-stepSize) * (mi / denom), toByteOffset: at, as: SIMD8<T>.self)
        i += 8
    }
    adamReference(p + full, g + full, m + full, v + full, n - full, c)
}

/// The AdamW update one element at a time: the readable reference of `adamKernel` (and its tail).
@inline(__always)
func adamReference<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>,
                                    _ v: UnsafeMutablePointer<T>, _ n: Int, _ c: AdamCoefficients) {
    let decay = T(c.decay), w1 = T(c.oneMinusBeta1), b2 = T(c.beta2), w2 = T(c.oneMinusBeta2)
    let stepSize = T(c.stepSize), bc2 = T(c.bc2Sqrt), eps = T(c.eps)
    for i in 0..<n {
        let gi = g[i]
        let pi = p[i] * decay
        let mi = m[i] + w1 * (gi - m[i])
        let vi = v[i] * b2 + w2 * (gi * gi)
        m[i] = mi
        v[i] = vi
        let denom = vi.squareRoot() / bc2 + eps
        p[i] = pi + (-stepSize) * (mi / denom)
    }
}

/// Step decay schedule as `torch.optim.lr_scheduler.StepLR`: call `step()` once per epoch; every
/// `stepSize` calls the optimizer's learning rate is multiplied by `gamma` (lr ← lr·γ, chained as torch).
public final class StepLR {
    public let optimizer: any Optimizer
    public let stepSize: Int
    public let gamma: Double
    /// Number of `step()` calls so far (torch's last_epoch).
    public private(set) var lastEpoch = 0

    public init(_ optimizer: any Optimizer, stepSize: Int, gamma: Double = 0.1) {
        precondition(stepSize >= 1, "StepLR: stepSize must be ≥ 1, got \(stepSize)")
        self.optimizer = optimizer
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func step() {
        lastEpoch += 1
        if lastEpoch % stepSize == 0 { optimizer.learningRate *= gamma }
    }
}
