// The valid range of every TranAD setting, declared once: the CLI's option types, `validate()` and configuration
// files (issue 10) all check these same limits, and the memory estimate refuses a run before it allocates.
import Foundation

/// A setting outside its valid range, or a run that would not fit in memory.
public enum TranADConfigError: Error, CustomStringConvertible, Equatable {
    /// `name` = `value` is outside `allowed`.
    case outOfRange(name: String, value: String, allowed: String)
    /// The estimated memory of the run exceeds the limit; `hint` says what to lower.
    case tooMuchMemory(estimateBytes: Double, limitBytes: Double, hint: String)

    public var description: String {
        switch self {
        case let .outOfRange(name, value, allowed):
            return "TranAD \(name) = \(value) is out of range; allowed: \(allowed)"
        case let .tooMuchMemory(estimate, limit, hint):
            return "TranAD would need about \(formatBytes(estimate)) of memory, more than the \(formatBytes(limit)) limit (3/4 of this machine's memory); \(hint)"
        }
    }
}

/// "1.5 TB", "512 MB".
func formatBytes(_ b: Double) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
    var v = b, i = 0
    while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(Int(v)) bytes" : String(format: "%.1f %@", v, units[i])
}

extension TranADConfig {
    /// Epochs: 1…100,000.
    public static let epochsRange = 1...100_000
    /// Window length W: 1…10,000 (a window longer than the series is padded with row 0, as the reference pads).
    public static let windowRange = 1...10_000
    /// Mini-batch size: 1…1,000,000.
    public static let batchSizeRange = 1...1_000_000
    /// Feed-forward width: 1…100,000.
    public static let feedForwardRange = 1...100_000
    /// Learning rate: finite, > 0 and ≤ 10.
    public static let learningRateRange: ClosedRange<Double> = Double.leastNonzeroMagnitude...10
    /// Weight decay: finite, 0…1.
    public static let weightDecayRange: ClosedRange<Double> = 0...1
    /// Dropout probability: 0 ≤ p < 1.
    public static let dropoutRange: Range<Double> = 0..<1
    /// StepLR period: 1…100,000 epochs.
    public static let lrStepSizeRange = 1...100_000
    /// StepLR factor: finite, > 0 and ≤ 1.
    public static let lrGammaRange: ClosedRange<Double> = Double.leastNonzeroMagnitude...1
    /// exponential_decay(ε): ε finite and > 1 (≤ 1e6).
    public static let decayEpsilonRange: ClosedRange<Double> = 1.0.nextUp...1e6
    /// Features F (columns): 1…10,000.
    public static let featuresRange = 1...10_000
    /// Worker threads: 1…1,024.
    public static let workersRange = 1...1_024

    /// Throws `TranADConfigError.outOfRange` naming the first setting outside its range.
    public func validate() throws {
        func check<T: Comparable>(_ name: String, _ v: T, _ ok: Bool, _ allowed: String) throws {
            if !ok { throw TranADConfigError.outOfRange(name: name, value: "\(v)", allowed: allowed) }
        }
        try check("epochs", epochs, Self.epochsRange.contains(epochs), "\(Self.epochsRange)")
        try check("window", window, Self.windowRange.contains(window), "\(Self.windowRange)")
        try check("batch size", batchSize, Self.batchSizeRange.contains(batchSize), "\(Self.batchSizeRange)")
        try check("feed-forward width", feedForward, Self.feedForwardRange.contains(feedForward), "\(Self.feedForwardRange)")
        try check("learning rate", learningRate, learningRate.isFinite && Self.learningRateRange.contains(learningRate), "finite, > 0 and ≤ 10")
        try check("weight decay", weightDecay, weightDecay.isFinite && Self.weightDecayRange.contains(weightDecay), "0 ≤ wd ≤ 1")
        try check("dropout", dropout, dropout.isFinite && Self.dropoutRange.contains(dropout), "0 ≤ p < 1")
        try check("StepLR step size", lrStepSize, Self.lrStepSizeRange.contains(lrStepSize), "\(Self.lrStepSizeRange)")
        try check("StepLR gamma", lrGamma, lrGamma.isFinite && Self.lrGammaRange.contains(lrGamma), "0 < gamma ≤ 1")
        if case .exponentialDecay(let e) = lossWeighting {
            try check("exponential_decay epsilon", e, e.isFinite && Self.decayEpsilonRange.contains(e), "1 < epsilon ≤ 1e6")
        }
    }

    /// Memory limit of a run: 3/4 of the physical memory.
    public static var memoryLimitBytes: Double { Double(ProcessInfo.processInfo.physicalMemory) * 0.75 }

    /// An upper estimate of the bytes a run with `features` columns on `workers` threads allocates (parameters,
    /// gradients and AdamW moments of the master, weights and gradients of each replica, and each worker's
    /// activations: 10 attention blocks keep (b, F, W, W) probabilities and scores, the linear layers
    /// (b, W, 2F) tensors; b = ⌈batch / workers⌉), plus the inference workspace. In Double so it cannot overflow.
    public func estimatedMemoryBytes(features: Int, workers: Int) -> Double {
        let f = Double(features), d = 2 * f, w = Double(window), ff = Double(feedForward)
        let elem: Double = precision == .float32 ? 4 : 8
        let nw = Double(max(workers, 1))
        let params = 20 * d * d + 6 * d * ff + 40 * d + 2 * d * f
        let paramBytes = elem * params * (4 + 2 * (nw - 1))
        let b = (Double(batchSize) / nw).rounded(.up)
        let perWindow = 30 * w * w * f + 200 * w * d
        let activations = elem * b * perWindow * nw
        let inference = elem * 64 * perWindow * nw
        return paramBytes + activations + inference
    }

    /// Validates the settings for data with `features` columns trained on `workers` threads, including the memory
    /// estimate; throws before anything is allocated.
    public func validate(features: Int, workers: Int) throws {
        try validate()
        guard Self.featuresRange.contains(features) else {
            throw TranADConfigError.outOfRange(name: "features (columns)", value: "\(features)", allowed: "\(Self.featuresRange)")
        }
        guard Self.workersRange.contains(workers) else {
            throw TranADConfigError.outOfRange(name: "worker threads", value: "\(workers)", allowed: "\(Self.workersRange)")
        }
        let need = estimatedMemoryBytes(features: features, workers: workers), limit = Self.memoryLimitBytes
        if need > limit {
            throw TranADConfigError.tooMuchMemory(estimateBytes: need, limitBytes: limit,
                hint: "window \(window), batch \(batchSize), \(features) features, \(workers) threads: lower --window or --batch (or --threads)")
        }
    }
}
