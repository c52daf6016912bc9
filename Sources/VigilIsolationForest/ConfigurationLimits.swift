// The valid range of every Isolation Forest setting, declared once: the CLI's option types, `validate()` and
// configuration files (issue 10) check these same limits.

extension IsolationForest.Configuration {
    /// Number of trees: 1…100,000.
    public static let nEstimatorsRange = 1...100_000
    /// A sub-sample count: 1…2³¹−1 (larger than the rows means all rows, with a warning, as scikit-learn).
    public static let maxSamplesCountRange = 1...Int(Int32.max)
    /// Fractions of `maxSamples` / `maxFeatures`: 0 < f ≤ 1.
    public static let fractionRange: ClosedRange<Double> = Double.leastNonzeroMagnitude...1
    /// A feature count: 1…2³¹−1 (checked against the columns at fit time).
    public static let maxFeaturesCountRange = 1...Int(Int32.max)
    /// Contamination fraction: 0 < c ≤ 0.5.
    public static let contaminationRange: ClosedRange<Double> = Double.leastNonzeroMagnitude...0.5

    /// Throws `IsolationForestError.invalidParameter` for the first setting outside its range (data-independent
    /// checks; `maxFeatures` against the column count is checked when fitting).
    public func validate() throws {
        guard Self.nEstimatorsRange.contains(nEstimators) else {
            throw IsolationForestError.invalidParameter(name: "nEstimators", value: "\(nEstimators)", allowed: "\(Self.nEstimatorsRange)")
        }
        switch maxSamples {
        case .auto: break
        case .count(let c):
            guard Self.maxSamplesCountRange.contains(c) else {
                throw IsolationForestError.invalidParameter(name: "maxSamples", value: "\(c)", allowed: "≥ 1")
            }
        case .fraction(let f):
            guard f.isFinite, Self.fractionRange.contains(f) else {
                throw IsolationForestError.invalidParameter(name: "maxSamples", value: "\(f)", allowed: "a fraction in (0, 1]")
            }
        }
        switch maxFeatures {
        case .count(let c):
            guard Self.maxFeaturesCountRange.contains(c) else {
                throw IsolationForestError.invalidParameter(name: "maxFeatures", value: "\(c)", allowed: "≥ 1")
            }
        case .fraction(let f):
            guard f.isFinite, Self.fractionRange.contains(f) else {
                throw IsolationForestError.invalidParameter(name: "maxFeatures", value: "\(f)", allowed: "a fraction in (0, 1]")
            }
        }
        if case .fraction(let c) = contamination, !(c.isFinite && Self.contaminationRange.contains(c)) {
            throw IsolationForestError.invalidParameter(name: "contamination", value: "\(c)", allowed: "auto or a fraction in (0, 0.5]")
        }
    }
}
