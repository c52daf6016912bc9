import RealModule

/// Euler–Mascheroni constant γ (used for the harmonic number H(i) ≈ ln(i) + γ).
public let eulerGamma = 0.57721566490153286060651209008240243

/// Average path length of an unsuccessful BST search among n points (Liu, Ting, Zhou 2008, eq. 1):
/// c(n) = 2·H(n−1) − 2(n−1)/n with H(i) ≈ ln(i) + γ, and c(1) = c(0) = 0, c(2) = 1 (as scikit-learn).
/// It normalizes the mean path length and corrects leaves that hold n > 1 unsplit samples.
@inlinable
public func averagePathLength(_ n: Int) -> Double {
    if n <= 1 { return 0 }
    if n == 2 { return 1 }
    let m = Double(n)
    return 2 * (Double.log(m - 1) + eulerGamma) - 2 * (m - 1) / m
}

/// Tree height limit used by the forest: ceil(log2(max(maxSamples, 2))) (the paper's l = ceil(log2 ψ)).
public func heightLimit(maxSamples: Int) -> Int {
    var d = 0
    while (1 << d) < max(maxSamples, 2) { d += 1 }
    return d
}
