// SPOT and DSPOT (Siffer, Fouque, Termier, Largouët: "Anomaly Detection in Streams with Extreme Value Theory", KDD 2017).
import Foundation

/// Errors of SPOT/DSPOT/POT calibration; each says what to change.
public enum ThresholdError: Error, CustomStringConvertible, Equatable {
    /// A score vector was empty.
    case emptyScores(what: String)
    /// A score was NaN or infinite.
    case nonFiniteScore(what: String, index: Int, value: Double)
    /// A parameter was out of range.
    case invalidParameter(name: String, value: Double, expected: String)
    /// No calibration score is strictly above the initial threshold, so no GPD can be fitted.
    case noPeaks(level: Double, initialThreshold: Double, count: Int)
    /// POT kept failing after lowering the level `attempts` times.
    case initialisationFailed(firstLevel: Double, lastLevel: Double, attempts: Int, lastError: String)
    /// DSPOT needs more calibration scores than its moving-average depth.
    case tooFewForDepth(count: Int, depth: Int)
    /// The extreme quantile z_q is not above the initial threshold t (q too large for the share of peaks).
    case quantileBelowInitialThreshold(q: Double, peakShare: Double, extremeQuantile: Double, initialThreshold: Double)

    public var description: String {
        switch self {
        case let .emptyScores(what):
            return "\(what): no scores; give at least one score"
        case let .nonFiniteScore(what, index, value):
            return "\(what): score #\(index) is \(value); remove or fix non-finite scores"
        case let .invalidParameter(name, value, expected):
            return "\(name) = \(value) is invalid; expected \(expected)"
        case let .noPeaks(level, t, count):
            return "SPOT initialisation at level \(level): no calibration score above the initial threshold \(t) (\(count) scores); lower the level or give more calibration scores"
        case let .initialisationFailed(first, last, attempts, lastError):
            return "POT initialisation failed \(attempts) times (level \(first) down to \(last)); last error: \(lastError). Lower --level, raise the retry budget, or check that calibration scores are not constant"
        case let .tooFewForDepth(count, depth):
            return "DSPOT: \(count) calibration scores but depth \(depth); need more scores than the depth"
        case let .quantileBelowInitialThreshold(q, share, zq, t):
            return "POT: q = \(q) gives the extreme quantile z_q = \(zq), not above the initial threshold t = \(t); q must be well below the share of calibration scores above t (\(share)): lower --q or --level"
        }
    }
}

/// How SPOT treats the stream after initialisation.
public enum SPOTStreamMode: String, Codable, Sendable, CaseIterable {
    /// Siffer's SPOT: x > z_q is an alarm (not learned); t < x ≤ z_q is a new peak, the GPD is refitted and z_q updated.
    case dynamic
    /// z_q is frozen after initialisation: x > z_q is an alarm, nothing is learned; every recorded threshold is z_q.
    case fixed
    /// The reference's `run(dynamic=False)` (TranAD `src/spot.py`): nothing is learned; x > t (the INITIAL threshold)
    /// is an alarm, and from the first such x on the recorded threshold is t instead of z_q (reproduced as is).
    case referenceStatic = "reference_static"
}

/// State of SPOT after initialisation on calibration scores.
public struct SPOTInitialisation: Codable, Equatable, Sendable {
    /// Level actually used (after any POT retries).
    public var level: Double
    /// Initial threshold t = sorted(calibration)[⌊level·n⌋] (the reference's empirical quantile, no interpolation).
    public var initialThreshold: Double
    /// Number of calibration scores n.
    public var count: Int
    /// Number of peaks N_t (scores strictly above t).
    public var peakCount: Int
    /// GPD fitted to the peaks.
    public var fit: GPDFit
    /// Extreme quantile z_q.
    public var extremeQuantile: Double
}

/// Result of running SPOT/DSPOT on a stream.
public struct SPOTRunResult: Codable, Equatable, Sendable {
    /// Initialisation the run started from.
    public var initialisation: SPOTInitialisation
    /// Threshold recorded at each stream step (for DSPOT: z_q + moving average).  thresholds: (stream.count,)
    public var thresholds: [Double]
    /// Indices of stream values that raised an alarm.
    public var alarms: [Int]
    /// GPD fit after the run (differs from the initial fit only in `.dynamic` mode / DSPOT).
    public var finalFit: GPDFit
    /// z_q after the run.
    public var finalExtremeQuantile: Double
    /// Peaks after the run.
    public var finalPeakCount: Int
}

/// SPOT: Peaks-Over-Threshold with a GPD tail fitted by Grimshaw's method, streamed.
public struct SPOT: Sendable {
    /// Risk q: z_q is the (1 − q) quantile.
    public var q: Double
    /// Grimshaw options.
    public var grimshaw: GrimshawOptions

    public init(q: Double = 1e-4, grimshaw: GrimshawOptions = GrimshawOptions()) {
        self.q = q
        self.grimshaw = grimshaw
    }

    static func validate(_ x: [Double], _ what: String) throws {
        if x.isEmpty { throw ThresholdError.emptyScores(what: what) }
        for (i, v) in x.enumerated() where !v.isFinite {
            throw ThresholdError.nonFiniteScore(what: what, index: i, value: v)
        }
    }

    func validateParameters(level: Double) throws {
        guard level > 0, level < 1 else {
            throw ThresholdError.invalidParameter(name: "level", value: level, expected: "0 < level < 1")
        }
        guard q > 0, q < 1 else {
            throw ThresholdError.invalidParameter(name: "q", value: q, expected: "0 < q < 1")
        }
    }

    /// Initialisation: t = sorted(x)[⌊level·n⌋], peaks = {x_i − t : x_i > t}, Grimshaw fit, z_q.
    public func initialise(calibration: [Double], level: Double) throws -> SPOTInitialisation {
        try SPOT.validate(calibration, "calibration scores")
        try validateParameters(level: level)
        let (t, peaks) = SPOT.thresholdAndPeaks(calibration, level: level)
        guard !peaks.isEmpty else {
            throw ThresholdError.noPeaks(level: level, initialThreshold: t, count: calibration.count)
        }
        let fit = Grimshaw.fit(peaks: peaks, options: grimshaw)
        let z = Grimshaw.extremeQuantile(initialThreshold: t, fit: fit, q: q, n: calibration.count, peakCount: peaks.count)
        return SPOTInitialisation(level: level, initialThreshold: t, count: calibration.count,
                                  peakCount: peaks.count, fit: fit, extremeQuantile: z)
    }

    static func thresholdAndPeaks(_ x: [Double], level: Double) -> (Double, [Double]) {
        let sorted = x.sorted()
        let index = min(sorted.count - 1, Int(level * Double(sorted.count)))
        let t = sorted[index]
        var peaks: [Double] = []
        peaks.reserveCapacity(sorted.count - index)
        for v in sorted[index...] where v > t { peaks.append(v - t) }
        return (t, peaks)
    }

    /// Runs SPOT: initialise on `calibration`, then stream `stream` in the given mode.
    public func run(calibration: [Double], stream: [Double], level: Double, mode: SPOTStreamMode) throws -> SPOTRunResult {
        let initialisation = try initialise(calibration: calibration, level: level)
        return try run(from: initialisation, calibration: calibration, stream: stream, mode: mode)
    }

    /// Streams `stream` from an existing initialisation (`calibration` gives the initial peaks for refits).
    public func run(from ini: SPOTInitialisation, calibration: [Double], stream: [Double], mode: SPOTStreamMode) throws -> SPOTRunResult {
        try SPOT.validate(stream, "stream scores")
        let t = ini.initialThreshold
        var thresholds = [Double](repeating: 0, count: stream.count)
        var alarms: [Int] = []
        var z = ini.extremeQuantile
        var fit = ini.fit
        var peakCount = ini.peakCount
        switch mode {
        case .fixed:
            for (i, x) in stream.enumerated() {
                if x > z { alarms.append(i) }
                thresholds[i] = z
            }
        case .referenceStatic:
            for (i, x) in stream.enumerated() {
                if x > t { z = t; alarms.append(i) }
                thresholds[i] = z
            }
        case .dynamic:
            var peaks = calibration.filter { $0 > t }.map { $0 - t }
            var n = ini.count
            for (i, x) in stream.enumerated() {
                if x > z {
                    alarms.append(i)
                } else if x > t {
                    peaks.append(x - t)
                    n += 1
                    fit = Grimshaw.fit(peaks: peaks, options: grimshaw)
                    z = Grimshaw.extremeQuantile(initialThreshold: t, fit: fit, q: q, n: n, peakCount: peaks.count)
                } else {
                    n += 1
                }
                thresholds[i] = z
            }
            peakCount = peaks.count
        }
        return SPOTRunResult(initialisation: ini, thresholds: thresholds, alarms: alarms, finalFit: fit,
                             finalExtremeQuantile: z, finalPeakCount: peakCount)
    }
}

/// DSPOT: SPOT on drift-corrected values x_i − M_i, M_i = mean of the previous `depth` non-alarm values.
/// Calibration residuals are x_i − mean(x_{i−d}, …, x_{i−1}) for i ≥ d (n = count − d); in the stream, an alarm
/// value does not enter the moving window; the recorded threshold is z_q + M_i.
public struct DSPOT: Sendable {
    /// Risk q.
    public var q: Double
    /// Moving-average depth d ≥ 1.
    public var depth: Int
    /// Grimshaw options.
    public var grimshaw: GrimshawOptions

    public init(q: Double = 1e-4, depth: Int, grimshaw: GrimshawOptions = GrimshawOptions()) {
        self.q = q
        self.depth = depth
        self.grimshaw = grimshaw
    }

    /// Drift-corrected calibration residuals.  x: (n,) → (n − d,)
    public func residuals(_ x: [Double]) -> [Double] {
        let d = depth
        var out = [Double](repeating: 0, count: max(0, x.count - d))
        var window = 0.0
        for i in 0..<d { window += x[i] }
        for i in d..<x.count {
            out[i - d] = x[i] - window / Double(d)
            window += x[i] - x[i - d]
        }
        return out
    }

    /// Initialises on the residuals of `calibration` and streams `stream` (always learning, as in DSPOT).
    public func run(calibration: [Double], stream: [Double], level: Double) throws -> SPOTRunResult {
        guard depth >= 1 else {
            throw ThresholdError.invalidParameter(name: "depth", value: Double(depth), expected: "depth ≥ 1")
        }
        try SPOT.validate(calibration, "calibration scores")
        try SPOT.validate(stream, "stream scores")
        guard calibration.count > depth else { throw ThresholdError.tooFewForDepth(count: calibration.count, depth: depth) }
        let spot = SPOT(q: q, grimshaw: grimshaw)
        let res = residuals(calibration)
        let ini = try spot.initialise(calibration: res, level: level)
        let t = ini.initialThreshold
        var peaks = res.filter { $0 > t }.map { $0 - t }
        var n = ini.count
        var z = ini.extremeQuantile
        var fit = ini.fit
        // Ring buffer of the last d normal values.
        var window = Array(calibration[(calibration.count - depth)...])
        var head = 0
        var windowSum = window.reduce(0, +)
        var thresholds = [Double](repeating: 0, count: stream.count)
        var alarms: [Int] = []
        for (i, x) in stream.enumerated() {
            let m = windowSum / Double(depth)
            let r = x - m
            if r > z {
                alarms.append(i)
            } else {
                if r > t {
                    peaks.append(r - t)
                    fit = Grimshaw.fit(peaks: peaks, options: grimshaw)
                    n += 1
                    z = Grimshaw.extremeQuantile(initialThreshold: t, fit: fit, q: q, n: n, peakCount: peaks.count)
                } else {
                    n += 1
                }
                windowSum += x - window[head]
                window[head] = x
                head = (head + 1) % depth
            }
            thresholds[i] = z + m
        }
        return SPOTRunResult(initialisation: ini, thresholds: thresholds, alarms: alarms, finalFit: fit,
                             finalExtremeQuantile: z, finalPeakCount: peaks.count)
    }
}
