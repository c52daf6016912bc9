// The valid range of every POT setting, declared once: the CLI's option types, `validate()` and configuration
// files (issue 10) check these same limits.

extension POTParameters {
    /// Risk q: 0 < q < 1 (open interval).
    public static let qRange: ClosedRange<Double> = Double.leastNonzeroMagnitude...(1.0.nextDown)
    /// Initial level: 0 < level < 1 (open interval).
    public static let levelRange: ClosedRange<Double> = Double.leastNonzeroMagnitude...(1.0.nextDown)
    /// Threshold multiplier: finite, > 0 (≤ 1e6).
    public static let scaleRange: ClosedRange<Double> = Double.leastNonzeroMagnitude...1e6
    /// Level retry factor: 0 < f < 1.
    public static let retryFactorRange: ClosedRange<Double> = Double.leastNonzeroMagnitude...(1.0.nextDown)
    /// Initialisation attempts: 1…10,000.
    public static let maxAttemptsRange = 1...10_000
    /// DSPOT moving-average depth: 1…1,000,000.
    public static let depthRange = 1...1_000_000

    /// Throws `ThresholdError.invalidParameter` for the first parameter outside its range.
    public func validate() throws {
        func check(_ name: String, _ v: Double, _ range: ClosedRange<Double>, _ expected: String) throws {
            guard v.isFinite, range.contains(v) else { throw ThresholdError.invalidParameter(name: name, value: v, expected: expected) }
        }
        try check("q", q, Self.qRange, "0 < q < 1")
        try check("level", level, Self.levelRange, "0 < level < 1")
        try check("scale", scale, Self.scaleRange, "a finite multiplier > 0")
        try check("retryFactor", retryFactor, Self.retryFactorRange, "0 < retryFactor < 1")
        guard Self.maxAttemptsRange.contains(maxAttempts) else {
            throw ThresholdError.invalidParameter(name: "maxAttempts", value: Double(maxAttempts), expected: "1…\(Self.maxAttemptsRange.upperBound)")
        }
    }
}

extension SPOTInitialisation {
    /// Throws `ThresholdError.quantileBelowInitialThreshold` when the extreme quantile z_q is not above the initial
    /// threshold t: q is not small compared with the share of peaks N_t/n (z_q > t needs q < N_t/n), so the
    /// "extreme" threshold would flag more than the peaks the tail was fitted on.
    public func checkQuantileAboveInitialThreshold(q: Double) throws {
        guard extremeQuantile > initialThreshold else {
            throw ThresholdError.quantileBelowInitialThreshold(q: q, peakShare: Double(peakCount) / Double(max(count, 1)),
                                                                extremeQuantile: extremeQuantile, initialThreshold: initialThreshold)
        }
    }
}

extension DeployableCalibration {
    /// Percentile of the training scores: 0…100.
    public static let percentileRange: ClosedRange<Double> = 0...100
}
