// TranAD options: every quirk of the published code is a named option (issue 3).
import Foundation
import RealModule

/// Feed-forward activation. The reference passes `True` as LeakyReLU's slope, i.e. slope 1 = identity.
public enum TranADActivation: String, Codable, Sendable, CaseIterable {
    /// `nn.LeakyReLU(True)` of the reference: negative slope 1.0, the identity (default).
    case referenceIdentity = "reference_identity"
    /// LeakyReLU with negative slope 0.01.
    case leakyReLU001 = "leaky_relu_0.01"
    /// ReLU.
    case relu = "relu"
}

/// Which rows form the window of row i (row 0 repeated as padding at the start in both).
public enum TranADWindowAlignment: String, Codable, Sendable, CaseIterable {
    /// Reference `convert_to_windows`: rows i−W..i−1, so the scored element of row i is row i−1
    /// (row 0 for i = 0). This is what the published numbers used.
    case reference = "reference"
    /// Rows i−W+1..i: the scored element of row i is row i itself (default).
    case inclusive = "inclusive"
}

/// Weights of the two phase losses at 1-based epoch n: loss = mean(w1·(x1−e)² + (1−w1)·(x2−e)²).
public enum TranADLossWeighting: Codable, Sendable, Equatable {
    /// w1 = 1/n (the reference).
    case epochInverse
    /// w1 = ε^−n.
    case exponentialDecay(epsilon: Double)

    /// Phase-1 weight w1 at 1-based epoch n (phase 2 gets 1 − w1).
    public func phase1Weight(epoch n: Int) -> Double {
        switch self {
        case .epochInverse: return 1 / Double(n)
        case .exponentialDecay(let eps): return Double.pow(eps, -Double(n))
        }
    }

    /// `epoch_inverse` or `exponential_decay(ε)`.
    public var name: String {
        switch self {
        case .epochInverse: return "epoch_inverse"
        case .exponentialDecay(let e): return "exponential_decay(\(e))"
        }
    }

    /// Parses `epoch_inverse` or `exponential_decay(ε)` with ε > 1.
    public init?(name: String) {
        if name == "epoch_inverse" { self = .epochInverse; return }
        if name.hasPrefix("exponential_decay("), name.hasSuffix(")"),
           let e = Double(name.dropFirst("exponential_decay(".count).dropLast()), e > 1 {
            self = .exponentialDecay(epsilon: e); return
        }
        return nil
    }
}

/// Per-dimension anomaly score of a row.
public enum TranADScoring: String, Codable, Sendable, CaseIterable {
    /// (x2 − e)², the reference's test loss (default).
    case phase2Only = "phase2_only"
    /// 0.5·(x1 − e)² + 0.5·(x2 − e)², the paper's Eq. 13.
    case averaged = "averaged"
}

/// Floating-point precision of the model and its training.
public enum TranADPrecision: String, Codable, Sendable, CaseIterable {
    case float32, float64
}

/// Everything that defines a TranAD run; stored in checkpoints and results.
public struct TranADConfig: Codable, Sendable, Equatable {
    /// Window length W (reference 10).
    public var window: Int = 10
    /// Feed-forward width (reference 16).
    public var feedForward: Int = 16
    /// Dropout probability on attention weights, residual branches, feed-forward and positional encoding.
    public var dropout: Double = 0.1
    /// Feed-forward activation (default the reference's identity).
    public var activation: TranADActivation = .referenceIdentity
    /// Window alignment (default inclusive; results must say which was used).
    public var alignment: TranADWindowAlignment = .inclusive
    /// Phase-loss weighting (default epoch_inverse, the reference).
    public var lossWeighting: TranADLossWeighting = .epochInverse
    /// Per-dimension score (default phase2_only, the reference).
    public var scoring: TranADScoring = .phase2Only
    /// Float32 (default) or Float64 (what the reference trains in).
    public var precision: TranADPrecision = .float32
    /// Epochs (reference 5).
    public var epochs: Int = 5
    /// Mini-batch size (reference 128).
    public var batchSize: Int = 128
    /// AdamW learning rate (reference 1e-4).
    public var learningRate: Double = 1e-4
    /// AdamW decoupled weight decay (reference 1e-5).
    public var weightDecay: Double = 1e-5
    /// StepLR period in epochs (reference 5).
    public var lrStepSize: Int = 5
    /// StepLR factor (reference 0.9).
    public var lrGamma: Double = 0.9
    /// Shuffle windows each epoch. The reference does not (its DataLoader has shuffle=False).
    public var shuffle: Bool = false
    /// Seed of weights, dropout and shuffling.
    public var seed: UInt64 = 0

    public init() {}
}
