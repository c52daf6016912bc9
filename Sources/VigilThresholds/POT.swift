// POT thresholds: the deployable calibration (train scores only) and the reference protocol (TranAD `pot_eval`).
//
// What the reference (imperial-qore/TranAD src/pot.py + src/spot.py) does, checked in its source:
//  * pot_eval(init_score = train scores, score = test scores): level = lm[0], SPOT(q = 1e-5).fit(train, test),
//    initialize(level) retried with level *= 0.999 on ANY exception, forever; ret = run(dynamic = False);
//    threshold = np.mean(ret['thresholds']) * lm[1]. For SMD, lm = (0.99995, 1.06) for TranAD, (0.99995, 1.04) for
//    the other models. pot_eval's own `level=0.02` argument is ignored.
//  * run(dynamic = False) learns nothing; a test value above the INITIAL threshold t is an alarm and sets the
//    recorded threshold to t for every later step. So the mean is (k·z_q + (T − k)·t)/T with k the index of the
//    first test value above t: the "POT" threshold depends on the test stream. Reproduced as `.referenceStatic`.
//  * The exponential candidate's log-likelihood is coded as n·(1 + ln Ȳ) (sign error); opt-in quirk here.
//  * Roots: L-BFGS-B on Σ w(θ_i)² from 10 regular starts per interval; here a 100-step sign-change scan +
//    bisection (a superset of clean roots; tangential roots are missed by both). Positive interval lower bound
//    2(Ȳ−Y_min)/(Ȳ·Y_min) is kept by default (it usually excludes the heavy-tail root; `fullPositiveInterval`).
//    The reference's minimiser can also stop at non-roots: emulating it on the golden `bounded_fixed` case gives
//    γ = −0.075 where the MLE (ours; scipy.stats.genpareto.fit agrees) is γ = −0.567. Bit-level reproduction of the
//    reference's GPD fit is therefore not attempted; t, the protocol and the formulas are reproduced exactly.
//  * When Y_min = Ȳ (one peak, or equal peaks) the reference searches (0, 1e-4); here that interval is empty.
//    With SMD's level 0.99995 and ~24k train scores there is usually exactly ONE peak, so γ = 0 and σ = that excess.
// Differences on purpose: bounded retries with a typed error; only the "no peak" failure is retried.
import Foundation

/// POT parameters; defaults are the published SMD/TranAD setting (q = 1e-5, level = 0.99995, scale = 1.06).
public struct POTParameters: Codable, Equatable, Sendable {
    /// Risk q of the extreme quantile z_q.
    public var q: Double
    /// Probability of the initial threshold t.
    public var level: Double
    /// Multiplier applied to the resulting threshold (the reference's `lm[1]`).
    public var scale: Double
    /// Factor the level is multiplied by after a failed initialisation (reference: 0.999).
    public var retryFactor: Double
    /// Maximum number of initialisation attempts (the reference retries forever).
    public var maxAttempts: Int
    /// Grimshaw options.
    public var grimshaw: GrimshawOptions

    public init(q: Double = 1e-5, level: Double = 0.99995, scale: Double = 1.06, retryFactor: Double = 0.999,
                maxAttempts: Int = 100, grimshaw: GrimshawOptions = GrimshawOptions()) {
        self.q = q
        self.level = level
        self.scale = scale
        self.retryFactor = retryFactor
        self.maxAttempts = maxAttempts
        self.grimshaw = grimshaw
    }
}

/// A POT calibration: the SPOT initialisation actually used and the final threshold.
public struct POTCalibration: Codable, Equatable, Sendable {
    /// Final threshold (deployable: z_q·scale; stream: mean(per-step thresholds)·scale).
    public var threshold: Double
    /// Initialisation (level after retries, t, N_t, γ, σ, z_q).
    public var initialisation: SPOTInitialisation
    /// Number of initialisation attempts (1 = no retry).
    public var attempts: Int
    /// Stream run, present only for the stream (reference) protocol.
    public var run: SPOTRunResult?
}

/// POT calibrations.
public enum POT {
    /// SPOT initialisation with the reference's retry: on failure, level ← level·retryFactor, at most maxAttempts tries.
    /// Parameters are validated first; an initialisation whose z_q is not above t is refused (not retried).
    public static func initialiseWithRetry(calibration: [Double], parameters p: POTParameters) throws -> (SPOTInitialisation, Int) {
        try SPOT.validate(calibration, "calibration scores")
        try p.validate()
        let spot = SPOT(q: p.q, grimshaw: p.grimshaw)
        var level = p.level
        var lastError = ""
        for attempt in 1...p.maxAttempts {
            do {
                let ini = try spot.initialise(calibration: calibration, level: level)
                try ini.checkQuantileAboveInitialThreshold(q: p.q)
                return (ini, attempt)
            } catch let e as ThresholdError {
                if case .noPeaks = e {
                    lastError = e.description
                    if attempt < p.maxAttempts { level *= p.retryFactor }
                } else {
                    throw e  // bad input or parameters: retrying cannot help
                }
            }
        }
        throw ThresholdError.initialisationFailed(firstLevel: p.level, lastLevel: level, attempts: p.maxAttempts, lastError: lastError)
    }

    /// Deployable POT: uses training scores only. threshold = z_q(train) · scale.
    public static func calibrate(trainScores: [Double], parameters: POTParameters = POTParameters()) throws -> POTCalibration {
        let (ini, attempts) = try initialiseWithRetry(calibration: trainScores, parameters: parameters)
        return POTCalibration(threshold: ini.extremeQuantile * parameters.scale, initialisation: ini, attempts: attempts, run: nil)
    }

    /// Reference protocol (TranAD `pot_eval`): SPOT initialised on train scores, run over the TEST scores in `mode`
    /// (reference: `.referenceStatic`), threshold = mean(per-step thresholds) · scale. Reads test scores.
    public static func referenceStream(trainScores: [Double], testScores: [Double], parameters: POTParameters = POTParameters(),
                                       mode: SPOTStreamMode = .referenceStatic) throws -> POTCalibration {
        let (ini, attempts) = try initialiseWithRetry(calibration: trainScores, parameters: parameters)
        let spot = SPOT(q: parameters.q, grimshaw: parameters.grimshaw)
        let run = try spot.run(from: ini, calibration: trainScores, stream: testScores, mode: mode)
        var sum = 0.0
        for v in run.thresholds { sum += v }
        let mean = sum / Double(run.thresholds.count)
        return POTCalibration(threshold: mean * parameters.scale, initialisation: ini, attempts: attempts, run: run)
    }
}

/// Linear-interpolation percentile (numpy's default): position (n − 1)·p/100 in the sorted scores.
public func percentile(_ x: [Double], _ p: Double) -> Double {
    precondition(!x.isEmpty)
    let s = x.sorted()
    let pos = Double(s.count - 1) * p / 100
    let lo = Int(pos.rounded(.down))
    let hi = min(lo + 1, s.count - 1)
    let frac = pos - Double(lo)
    return s[lo] + (s[hi] - s[lo]) * frac
}

/// A threshold calibration that can be deployed: it only ever sees scores of TRAINING rows — those the model was
/// fitted on (`*_train`) or the held-out validation block at the end of the training data (`*_validation`) — never
/// test scores or labels.
public enum DeployableCalibration: Codable, Equatable, Sendable {
    /// POT on training scores: z_q(train)·scale.
    case pot(POTParameters)
    /// The p-th percentile (0…100) of training scores, linearly interpolated.
    case percentile(Double)
    /// POT on the clean validation block's scores (rows the model did not fit): z_q(validation)·scale.
    case potValidation(POTParameters)
    /// The p-th percentile (0…100) of the clean validation block's scores, linearly interpolated.
    case percentileValidation(Double)

    /// Name used in reports.
    public var name: String {
        switch self {
        case .pot: return "pot_train"
        case let .percentile(p): return "percentile_train_\(p)"
        case .potValidation: return "pot_validation"
        case let .percentileValidation(p): return "percentile_validation_\(p)"
        }
    }

    /// What the calibration reads: training scores, or validation scores.
    public var reads: ScoreReads {
        switch self {
        case .pot, .percentile: return ScoreReads(.trainScores)
        case .potValidation, .percentileValidation: return ScoreReads(.validationScores)
        }
    }

    /// The threshold from training scores alone (the `*_train` calibrations).
    public func threshold(trainScores: [Double]) throws -> Double {
        try threshold(trainScores: trainScores, validationScores: nil)
    }

    /// The threshold from the scores of the fitted rows (`trainScores`) or of the validation block
    /// (`validationScores`, nil without one: the `*_validation` calibrations then throw).
    public func threshold(trainScores: [Double], validationScores: [Double]?) throws -> Double {
        switch self {
        case let .pot(p):
            return try POT.calibrate(trainScores: trainScores, parameters: p).threshold
        case let .percentile(p):
            return try Self.percentileThreshold(trainScores, p, what: "train scores")
        case let .potValidation(p):
            guard let v = validationScores else { throw ThresholdError.emptyScores(what: "validation scores (pot_validation needs validation.fraction > 0)") }
            return try POT.calibrate(trainScores: v, parameters: p).threshold
        case let .percentileValidation(p):
            guard let v = validationScores else {
                throw ThresholdError.emptyScores(what: "validation scores (percentile_validation needs validation.fraction > 0)")
            }
            return try Self.percentileThreshold(v, p, what: "validation scores")
        }
    }

    static func percentileThreshold(_ x: [Double], _ p: Double, what: String) throws -> Double {
        try SPOT.validate(x, what)
        guard p.isFinite, DeployableCalibration.percentileRange.contains(p) else {
            throw ThresholdError.invalidParameter(name: "percentile", value: p, expected: "0 ≤ p ≤ 100")
        }
        return VigilThresholds.percentile(x, p)
    }
}
