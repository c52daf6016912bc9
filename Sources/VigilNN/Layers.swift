import VigilTensor

/// Fully connected layer y = x·Wᵀ + b with weight (out, in) and bias (out), as `torch.nn.Linear`.
///
/// Init as PyTorch's default (kaiming_uniform with a = √5): W, b ~ U(−1/√in, 1/√in), drawn from `rng`
/// (weight first, row-major, then bias; one `nextUnitDouble()` per element).
public final class Linear<Scalar: TensorScalar>: Module<Scalar> {
    public let inFeatures: Int
    public let outFeatures: Int
    /// (out, in), requiresGrad.
    public let weight: Tensor<Scalar>
    /// (out), requiresGrad; nil when built with `bias: false`.
    public let bias: Tensor<Scalar>?

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout Xoshiro256) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0
        weight = Tensor(uniform: [outFeatures, inFeatures], low: Scalar(-bound), high: Scalar(bound), rng: &rng)
        weight.requiresGrad = true
        if bias {
            let b = Tensor<Scalar>(uniform: [outFeatures], low: Scalar(-bound), high: Scalar(bound), rng: &rng)
            b.requiresGrad = true
            self.bias = b
        } else {
            self.bias = nil
        }
        super.init()
    }

    /// x (…, in) → (…, out).
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { linear(x, weight, bias) }
}

/// Inverted dropout layer (`torch.nn.Dropout`): active only in training mode.
///
/// Owns its generator (`Xoshiro256`, e.g. a `fork(stream:)` of the run seed); each training-mode call
/// advances it by one 64-bit draw per two elements, so the same seed reproduces the same masks.
public final class Dropout<Scalar: TensorScalar>: Module<Scalar> {
    public let p: Double
    public var rng: Xoshiro256

    public init(_ p: Double, rng: Xoshiro256) {
        precondition(p >= 0 && p <= 1, "Dropout: probability must be in [0, 1], got \(p)")
        self.p = p
        self.rng = rng
        super.init()
    }

    /// Dropout with its own generator `Xoshiro256(seed: seed)`.
    public convenience init(_ p: Double, seed: UInt64) { self.init(p, rng: Xoshiro256(seed: seed)) }

    /// Same shape as x; identity in eval mode.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        dropout(x, p: p, rng: &rng, training: isTraining)
    }
}
