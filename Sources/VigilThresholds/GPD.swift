// Generalized Pareto Distribution fit by Grimshaw's method (Grimshaw 1993; as used by Siffer et al., KDD 2017).
import Foundation

/// A fitted GPD(γ, σ, μ = 0) for peaks Y > 0 with its log-likelihood.
/// Density: f(y) = (1/σ)·(1 + γ·y/σ)^(−1/γ − 1); γ = 0 is the exponential law f(y) = (1/σ)·e^(−y/σ).
public struct GPDFit: Codable, Equatable, Sendable {
    /// Shape (extreme value index) γ: > 0 heavy tail, < 0 bounded tail, 0 exponential tail.
    public var gamma: Double
    /// Scale σ > 0.
    public var sigma: Double
    /// Log-likelihood of the peaks under (γ, σ) (see `GrimshawOptions.referenceExponentialLikelihoodQuirk`).
    public var logLikelihood: Double

    public init(gamma: Double, sigma: Double, logLikelihood: Double) {
        self.gamma = gamma
        self.sigma = sigma
        self.logLikelihood = logLikelihood
    }
}

/// Numerical options of the Grimshaw GPD fit.
public struct GrimshawOptions: Codable, Equatable, Sendable {
    /// Distance kept from the singular ends of the search intervals (reference: 1e-8).
    public var epsilon: Double
    /// Number of equal sub-intervals each search interval is scanned with for sign changes of w(θ).
    public var scanIntervals: Int
    /// If true, score the exponential candidate with the reference code's log-likelihood n·(1 + ln Ȳ)
    /// (a sign error; the correct value is −n·(1 + ln Ȳ)). Off by default; only for reproducing the reference.
    public var referenceExponentialLikelihoodQuirk: Bool
    /// If true, search the positive side on (ε, 2(Ȳ−Y_min)/Y_min²) instead of the reference's
    /// (2(Ȳ−Y_min)/(Ȳ·Y_min), 2(Ȳ−Y_min)/Y_min²). The reference's lower bound ≈ 2/Y_min is usually far above the
    /// heavy-tail root θ* = γ/σ (Y_min, the smallest excess, is tiny), so with reference bounds γ > 0 is rarely found.
    public var fullPositiveInterval: Bool

    public init(epsilon: Double = 1e-8, scanIntervals: Int = 100, referenceExponentialLikelihoodQuirk: Bool = false,
                fullPositiveInterval: Bool = false) {
        self.epsilon = epsilon
        self.scanIntervals = scanIntervals
        self.referenceExponentialLikelihoodQuirk = referenceExponentialLikelihoodQuirk
        self.fullPositiveInterval = fullPositiveInterval
    }
}

/// Grimshaw's maximum-likelihood GPD fit.
///
/// With θ = γ/σ and s_i = 1 + θ·Y_i, the likelihood equations reduce to w(θ) = u(θ)·v(θ) − 1 = 0 where
/// u(θ) = 1 + mean(ln s_i), v(θ) = mean(1/s_i); a root θ* gives γ = u(θ*) − 1, σ = γ/θ*.
/// Roots are searched on the paper's bounds: (−1/Y_max + 2ε, −ε) and (2(Ȳ−Y_min)/(Ȳ·Y_min), 2(Ȳ−Y_min)/Y_min²).
/// Each interval is scanned on `scanIntervals` equal steps; every sign change is refined by bisection to
/// machine precision (the reference minimises Σw² with L-BFGS-B from 10 regular starting points instead).
/// Candidates are all roots plus the exponential case γ = 0, σ = Ȳ; the highest log-likelihood wins
/// (ties keep the earlier candidate, the exponential one first).
public enum Grimshaw {
    /// Fits a GPD to `peaks` (all > 0, at least one). Precondition-checked by callers (`SPOT`).
    public static func fit(peaks: [Double], options: GrimshawOptions = GrimshawOptions()) -> GPDFit {
        precondition(!peaks.isEmpty, "Grimshaw.fit needs at least one peak")
        return peaks.withUnsafeBufferPointer { y in fit(y, options: options) }
    }

    /// Roots of w(θ) found on the two search intervals (exposed for tests and diagnostics).
    public static func candidateRoots(peaks: [Double], options: GrimshawOptions = GrimshawOptions()) -> [Double] {
        peaks.withUnsafeBufferPointer { y in roots(y, options: options) }
    }

    /// The two search intervals (left, right); an interval with lo ≥ hi is empty.
    public static func searchIntervals(peaks: [Double], epsilon: Double = 1e-8) -> (left: (Double, Double), right: (Double, Double)) {
        let ym = peaks.min()!, yM = peaks.max()!
        let mean = peaks.reduce(0, +) / Double(peaks.count)
        let a = -1 / yM
        var eps = epsilon
        if abs(a) < 2 * eps { eps = abs(a) / 10 }
        let left = (a + 2 * eps, -eps)
        let b = 2 * (mean - ym) / (mean * ym)
        let c = 2 * (mean - ym) / (ym * ym)
        return (left, (b, c))
    }

    /// w(θ) = u(θ)·v(θ) − 1 for peaks y, evaluated without cancellation near θ = 0:
    /// with A = mean(log1p(θ·y)) = u − 1 and B = −mean(θ·y/(1 + θ·y)) = v − 1, w = A + B + A·B.  y: (Nt,)
    @inline(__always)
    static func w(_ y: UnsafeBufferPointer<Double>, _ theta: Double) -> Double {
        var sumLog = 0.0, sumFrac = 0.0
        for yi in y {
            let ty = theta * yi
            sumLog += log1p(ty)
            sumFrac += ty / (1 + ty)
        }
        let n = Double(y.count)
        let a = sumLog / n, b = -sumFrac / n
        return a + b + a * b
    }

    static func roots(_ y: UnsafeBufferPointer<Double>, options: GrimshawOptions) -> [Double] {
        var ym = Double.infinity, yM = -Double.infinity, sum = 0.0
        for v in y { ym = min(ym, v); yM = max(yM, v); sum += v }
        let mean = sum / Double(y.count)
        let a = -1 / yM
        var eps = options.epsilon
        if abs(a) < 2 * eps { eps = abs(a) / 10 }
        let upper = 2 * (mean - ym) / (ym * ym)
        let lower = options.fullPositiveInterval ? min(eps, upper) : 2 * (mean - ym) / (mean * ym)
        let intervals = [(a + 2 * eps, -eps), (lower, upper)]
        var found: [Double] = []
        let m = max(1, options.scanIntervals)
        for (lo, hi) in intervals where lo < hi && lo.isFinite && hi.isFinite {
            let step = (hi - lo) / Double(m)
            var x0 = lo
            var f0 = w(y, x0)
            if f0 == 0 { found.append(x0) }
            for k in 1...m {
                let x1 = k == m ? hi : lo + Double(k) * step
                let f1 = w(y, x1)
                if f1 == 0 {
                    found.append(x1)
                } else if f0 != 0, f0.isFinite, f1.isFinite, (f0 < 0) != (f1 < 0) {
                    found.append(bisect(y, x0, x1, f0))
                }
                x0 = x1
                f0 = f1
            }
        }
        return found
    }

    /// Bisection of w on [lo, hi] with w(lo) = flo of opposite sign to w(hi), to adjacent doubles.
    static func bisect(_ y: UnsafeBufferPointer<Double>, _ lo0: Double, _ hi0: Double, _ flo0: Double) -> Double {
        var lo = lo0, hi = hi0, flo = flo0
        for _ in 0..<200 {
            let mid = lo + (hi - lo) / 2
            if mid <= lo || mid >= hi { break }
            let fm = w(y, mid)
            if fm == 0 { return mid }
            if (fm < 0) == (flo < 0) { lo = mid; flo = fm } else { hi = mid }
        }
        return lo + (hi - lo) / 2
    }

    static func fit(_ y: UnsafeBufferPointer<Double>, options: GrimshawOptions) -> GPDFit {
        let n = Double(y.count)
        var sum = 0.0
        for v in y { sum += v }
        let mean = sum / n
        // Exponential candidate: σ = Ȳ, ℓ = −n·ln Ȳ − n.
        let expLL = options.referenceExponentialLikelihoodQuirk ? n * (1 + log(mean)) : -n * (1 + log(mean))
        var best = GPDFit(gamma: 0, sigma: mean, logLikelihood: expLL)
        for theta in roots(y, options: options) {
            var sumLog = 0.0
            for v in y { sumLog += log1p(theta * v) }
            let gamma = sumLog / n          // u(θ) − 1
            guard gamma != 0 else { continue }
            let sigma = gamma / theta
            guard sigma > 0, sigma.isFinite else { continue }
            // ℓ = −n·ln σ − (1 + 1/γ)·Σ ln(1 + (γ/σ)·Y_i), with γ/σ = θ.
            let ll = -n * log(sigma) - (1 + 1 / gamma) * sumLog
            if ll.isFinite && ll > best.logLikelihood {
                best = GPDFit(gamma: gamma, sigma: sigma, logLikelihood: ll)
            }
        }
        return best
    }

    /// The (1 − q) extreme quantile: z_q = t + σ/γ·((q·n/N_t)^(−γ) − 1), or t − σ·ln(q·n/N_t) when γ = 0.
    public static func extremeQuantile(initialThreshold t: Double, fit: GPDFit, q: Double, n: Int, peakCount: Int) -> Double {
        let r = q * Double(n) / Double(peakCount)
        if fit.gamma != 0 {
            return t + (fit.sigma / fit.gamma) * (pow(r, -fit.gamma) - 1)
        }
        return t - fit.sigma * log(r)
    }
}
