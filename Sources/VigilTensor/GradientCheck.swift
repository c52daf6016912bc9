// Finite-difference gradient checking in Float64: the one helper every test of a backward uses.

/// The outcome of `gradientCheck`: how far the analytic gradients are from the central differences.
public struct GradientCheckReport: CustomStringConvertible, Sendable {
    /// Elements compared.
    public var checked = 0
    /// Largest |analytic − numeric| / max(atol, rtol·max(|analytic|, |numeric|)) (≤ 1 passes).
    public var worstRatio = 0.0
    /// Where the worst ratio occurred: input index, element index, analytic and numeric values.
    public var worstInput = -1, worstElement = -1
    public var worstAnalytic = 0.0, worstNumeric = 0.0

    /// True when every compared element is within tolerance (and at least one was compared).
    public var passed: Bool { checked > 0 && worstRatio <= 1 }

    public var description: String {
        "gradient check over \(checked) elements: worst at input \(worstInput) element \(worstElement), analytic "
            + "\(worstAnalytic) vs numeric \(worstNumeric) (\(worstRatio) × tolerance)"
    }
}

/// Compares `backward()` gradients of L = Σᵢ wᵢ·f(inputs)ᵢ with central differences (L(x+ε) − L(x−ε)) / 2ε.
///
/// The weights w are uniform in [−1, 1) from `seed` (so every output element's gradient path is exercised
/// with a distinct weight). Every `stride`-th element of every input is perturbed in place and restored; the
/// inputs get `requiresGrad = true` and a cleared `grad` first. An element passes when
/// |analytic − numeric| ≤ max(atol, rtol·max(|analytic|, |numeric|)); an input without a gradient counts as
/// gradient 0. `f` must be deterministic: a function that draws random numbers (dropout) reseeds its
/// generator on every call.
public func gradientCheck(_ inputs: [Tensor<Double>], seed: UInt64 = 99, eps: Double = 1e-6, atol: Double = 1e-6,
                          rtol: Double = 1e-6, stride: Int = 1,
                          _ f: ([Tensor<Double>]) -> Tensor<Double>) -> GradientCheckReport {
    precondition(stride >= 1 && eps > 0 && atol > 0 && rtol > 0, "gradientCheck: stride ≥ 1, eps, atol and rtol > 0")
    for t in inputs { t.requiresGrad = true; t.zeroGrad() }
    let y0 = f(inputs)
    var rng = Xoshiro256(seed: seed)
    let w = Tensor<Double>(uniform: y0.shape, low: -1, high: 1, rng: &rng)
    (y0 * w).sum().backward()
    func loss() -> Double { withNoGrad { (f(inputs) * w).sum().item } }
    var report = GradientCheckReport()
    for (k, t) in inputs.enumerated() {
        let analytic = t.grad?.scalars ?? [Double](repeating: 0, count: t.count)
        for i in Swift.stride(from: 0, to: t.count, by: stride) {
            let orig = t.data[i]
            t.data[i] = orig + eps
            let lp = loss()
            t.data[i] = orig - eps
            let lm = loss()
            t.data[i] = orig
            let numeric = (lp - lm) / (2 * eps)
            let ratio = Swift.abs(analytic[i] - numeric) / Swift.max(atol, rtol * Swift.max(Swift.abs(analytic[i]), Swift.abs(numeric)))
            report.checked += 1
            if ratio > report.worstRatio || report.worstInput < 0 {
                report.worstRatio = ratio
                report.worstInput = k; report.worstElement = i
                report.worstAnalytic = analytic[i]; report.worstNumeric = numeric
            }
        }
    }
    return report
}
