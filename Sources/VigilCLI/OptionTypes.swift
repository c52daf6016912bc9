// Command-line values validated where they enter, one type per kind of option. The ranges are not repeated here:
// each type reads them from the domain type that owns the setting (TranADConfig, IsolationForest.Configuration,
// POTParameters), whose `validate()` checks the same limits for configuration files.
//
// Every option declared with these types uses `parsing: .unconditional`, so `--level -1` is read as the value -1
// (then refused by its range) instead of as a missing value followed by an unknown option.
import ArgumentParser
import VigilIsolationForest
import VigilThresholds
import VigilTranAD

/// An integer option limited to a closed range declared on a domain type.
public protocol IntegerLimits {
    static var range: ClosedRange<Int> { get }
}

/// A real-valued option: finite and inside a closed range declared on a domain type; `expected` is the range as
/// a user reads it ("0 < q < 1").
public protocol RealLimits {
    static var range: ClosedRange<Double> { get }
    static var expected: String { get }
}

/// A validated integer option value.
public struct BoundedInt<L: IntegerLimits>: ExpressibleByArgument, CustomStringConvertible, Sendable, Equatable {
    public let value: Int
    /// `value` must lie in `L.range` (a programmer error otherwise: defaults are constants).
    public init(_ value: Int) {
        precondition(L.range.contains(value), "default \(value) outside \(L.range)")
        self.value = value
    }
    public init?(argument: String) { guard let v = try? Self.parse(argument) else { return nil }; self = v }
    public var description: String { "\(value)" }

    /// Parses an integer and checks the range; the error says what is allowed.
    @Sendable public static func parse(_ text: String) throws -> Self {
        guard let v = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("'\(text)' is not an integer; expected \(L.range.lowerBound)…\(L.range.upperBound)")
        }
        guard L.range.contains(v) else {
            throw ValidationError("\(v) is out of range; expected \(L.range.lowerBound)…\(L.range.upperBound)")
        }
        return Self(v)
    }
}

/// A validated real option value (always finite).
public struct BoundedReal<L: RealLimits>: ExpressibleByArgument, CustomStringConvertible, Sendable, Equatable {
    public let value: Double
    /// `value` must lie in `L.range` (a programmer error otherwise: defaults are constants).
    public init(_ value: Double) {
        precondition(value.isFinite && L.range.contains(value), "default \(value) outside \(L.expected)")
        self.value = value
    }
    public init?(argument: String) { guard let v = try? Self.parse(argument) else { return nil }; self = v }
    public var description: String { "\(value)" }

    /// Parses a number and checks it is finite and in range; the error says what is allowed.
    @Sendable public static func parse(_ text: String) throws -> Self {
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("'\(text)' is not a number; expected \(L.expected)")
        }
        guard v.isFinite, L.range.contains(v) else { throw ValidationError("\(v) is out of range; expected \(L.expected)") }
        return Self(v)
    }
}


// MARK: - TranAD

public enum EpochLimits: IntegerLimits { public static var range: ClosedRange<Int> { TranADConfig.epochsRange } }
public enum WindowLimits: IntegerLimits { public static var range: ClosedRange<Int> { TranADConfig.windowRange } }
public enum BatchLimits: IntegerLimits { public static var range: ClosedRange<Int> { TranADConfig.batchSizeRange } }
public enum ThreadLimits: IntegerLimits { public static var range: ClosedRange<Int> { TranADConfig.workersRange } }
public enum LearningRateLimits: RealLimits {
    public static var range: ClosedRange<Double> { TranADConfig.learningRateRange }
    public static var expected: String { "a finite learning rate > 0 and ≤ \(TranADConfig.learningRateRange.upperBound)" }
}
public enum DropoutLimits: RealLimits {
    public static var range: ClosedRange<Double> { 0...TranADConfig.dropoutRange.upperBound.nextDown }
    public static var expected: String { "a probability 0 ≤ p < 1" }
}

public typealias Epochs = BoundedInt<EpochLimits>
public typealias WindowLength = BoundedInt<WindowLimits>
public typealias BatchSize = BoundedInt<BatchLimits>
public typealias ThreadCount = BoundedInt<ThreadLimits>
public typealias LearningRate = BoundedReal<LearningRateLimits>
public typealias DropoutProbability = BoundedReal<DropoutLimits>

// MARK: - Isolation Forest

public enum TreeLimits: IntegerLimits { public static var range: ClosedRange<Int> { IsolationForest.Configuration.nEstimatorsRange } }
public typealias TreeCount = BoundedInt<TreeLimits>

// MARK: - POT / SPOT

public enum POTQLimits: RealLimits {
    public static var range: ClosedRange<Double> { POTParameters.qRange }
    public static var expected: String { "a risk 0 < q < 1" }
}
public enum POTLevelLimits: RealLimits {
    public static var range: ClosedRange<Double> { POTParameters.levelRange }
    public static var expected: String { "a level 0 < level < 1" }
}
public enum POTScaleLimits: RealLimits {
    public static var range: ClosedRange<Double> { POTParameters.scaleRange }
    public static var expected: String { "a finite multiplier > 0 and ≤ \(POTParameters.scaleRange.upperBound)" }
}
public enum PercentileLimits: RealLimits {
    public static var range: ClosedRange<Double> { DeployableCalibration.percentileRange }
    public static var expected: String { "a percentile 0…100" }
}
public enum AttemptLimits: IntegerLimits { public static var range: ClosedRange<Int> { POTParameters.maxAttemptsRange } }
public enum DepthLimits: IntegerLimits { public static var range: ClosedRange<Int> { POTParameters.depthRange } }

public typealias POTRisk = BoundedReal<POTQLimits>
public typealias POTLevel = BoundedReal<POTLevelLimits>
public typealias POTScale = BoundedReal<POTScaleLimits>
public typealias Percentile = BoundedReal<PercentileLimits>
public typealias AttemptCount = BoundedInt<AttemptLimits>
public typealias DSPOTDepth = BoundedInt<DepthLimits>
