import ArgumentParser
import Foundation
import VigilIO
import VigilMetrics
import VigilThresholds

/// Errors of `vigil pot` input files.
enum PotInputError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case badNumber(path: String, line: Int, text: String)
    case empty(path: String)
    case badLabel(path: String, line: Int, value: Double)

    var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read (\(reason))"
        case let .badLabel(path, line, value): return "\(path) line \(line): label \(value) is not 0 or 1; expected one 0/1 label per line"
        case let .badNumber(path, line, text): return "\(path) line \(line): '\(text)' is not a finite number; expected one score per line"
        case let .empty(path): return "\(path): no scores; expected one score per line"
        }
    }
}

/// Reads one finite Double per line; blank lines are skipped.
func readScoreFile(_ path: String) throws -> [Double] {
    try readNumberLines(path).map(\.value)
}

/// Reads one finite Double per line with its 1-based line number; blank lines are skipped.
func readNumberLines(_ path: String) throws -> [(line: Int, value: Double)] {
    var bytes = [UInt8]()
    do { try SHA256Hasher.forEachChunk(of: path) { bytes.append(contentsOf: $0) } } catch {
        throw PotInputError.unreadable(path: path, reason: FileError.reason(of: error))
    }
    guard let text = String(bytes: bytes, encoding: .utf8) else {
        throw PotInputError.unreadable(path: path, reason: "it is not UTF-8 text; expected one score per line")
    }
    var out: [(line: Int, value: Double)] = []
    var lineNumber = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        lineNumber += 1
        let t = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty { continue }
        guard let v = Double(t), v.isFinite else { throw PotInputError.badNumber(path: path, line: lineNumber, text: String(t.prefix(40))) }
        out.append((lineNumber, v))
    }
    if out.isEmpty { throw PotInputError.empty(path: path) }
    return out
}

/// Reads one 0/1 label per line; any other value is an error naming the line.
func readLabelFile(_ path: String) throws -> [Bool] {
    try readNumberLines(path).map { line, v in
        guard v == 0 || v == 1 else { throw PotInputError.badLabel(path: path, line: line, value: v) }
        return v == 1
    }
}

/// `vigil pot`: POT/SPOT/DSPOT thresholds from score files.
public struct Pot: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "pot",
        abstract: "POT/SPOT threshold from calibration (train) and stream (test) score files.",
        discussion: """
        Fits a Generalized Pareto tail (Grimshaw's method) to the calibration scores above the initial threshold t = sorted(calibration)[floor(level*n)] and computes the extreme quantile z_q (risk q). If the initialisation finds no peak, the level is retried as level*0.999 (at most --max-attempts times).

        Without --stream: the deployable threshold z_q*scale (calibration scores only). With --stream: the reference protocol (TranAD pot_eval): SPOT is run over the stream and the threshold is mean(per-step thresholds)*scale. The default stream mode is reference-static, which reproduces the reference's run(dynamic=False): nothing is learned, values above t are alarms and, from the first alarm on, the recorded threshold is t. --dynamic runs Siffer's SPOT (values between t and z_q are learned, z_q updated); --mode fixed freezes z_q. --depth D runs DSPOT (drift correction by a moving average of depth D; always learning).

        Files hold one score per line (blank lines skipped). With --json a single JSON object is printed: {"threshold", "initial_threshold", "gamma", "sigma", "alarms", ...}.
        """)

    @Option(name: .long, help: "File of calibration (training) scores, one per line.")
    var calibration: String

    @Option(name: .long, help: "File of stream (test) scores, one per line. Omit for the deployable threshold.")
    var stream: String?

    @OptionGroup(title: "POT parameters")
    var potOptions: POTOptions
    var level: Double { potOptions.level.value }
    var q: Double { potOptions.q.value }
    var scale: Double { potOptions.scale.value }

    @Flag(name: .long, help: "Stream with Siffer's dynamic SPOT (same as --mode dynamic).")
    var dynamic = false

    @Option(name: .long, help: "Stream mode: reference-static (default), fixed, dynamic.")
    var mode: String = "reference-static"

    @Option(name: .long, parsing: .unconditional, help: "Run DSPOT with this moving-average depth (needs --stream).", transform: DSPOTDepth.parse)
    var depth: DSPOTDepth?

    @Option(name: .long, parsing: .unconditional, help: "Maximum initialisation attempts (level *= 0.999 after each failure).", transform: AttemptCount.parse)
    var maxAttempts = AttemptCount(100)

    @Flag(name: .long, help: "Search the positive GPD root on (eps, 2(mean-min)/min^2) instead of the reference's narrower bounds.")
    var fullPositiveInterval = false

    @Flag(name: .long, help: "Score the exponential candidate with the reference's sign-flipped log-likelihood n(1+ln mean).")
    var referenceLikelihoodQuirk = false

    @Option(name: .long, help: "File of 0/1 test labels, one per line (needs --stream): also print metrics for the deployable POT, the reference POT stream, the train percentile and the best-F1 ORACLE.")
    var labels: String?

    @Option(name: .long, parsing: .unconditional, help: "Percentile of train scores for the percentile calibration in the --labels evaluation.", transform: Percentile.parse)
    var percentile = Percentile(99)

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func streamMode() throws -> SPOTStreamMode {
        if dynamic { return .dynamic }
        switch mode {
        case "reference-static", "reference_static": return .referenceStatic
        case "fixed": return .fixed
        case "dynamic": return .dynamic
        default: throw ValidationError("--mode must be reference-static, fixed or dynamic (got '\(mode)')")
        }
    }

    public func validate() throws {
        _ = try streamMode()
        if depth != nil && stream == nil { throw ValidationError("--depth (DSPOT) needs --stream") }
        if labels != nil && stream == nil { throw ValidationError("--labels needs --stream (the test scores)") }
    }

    public func run() throws {
        let streamMode = try streamMode()
        let cal = try readScoreFile(calibration)
        let streamScores = try stream.map(readScoreFile)
        let grimshaw = GrimshawOptions(referenceExponentialLikelihoodQuirk: referenceLikelihoodQuirk,
                                       fullPositiveInterval: fullPositiveInterval)
        let params = POTParameters(q: q, level: level, scale: scale, maxAttempts: maxAttempts.value, grimshaw: grimshaw)
        var out: [(String, Any)] = []
        let ini: SPOTInitialisation
        var threshold: Double
        var run: SPOTRunResult? = nil
        var attempts = 1
        var protocolName: String
        if let d = depth?.value, let s = streamScores {
            let r = try DSPOT(q: q, depth: d, grimshaw: grimshaw).run(calibration: cal, stream: s, level: level)
            try r.initialisation.checkQuantileAboveInitialThreshold(q: q)
            run = r
            ini = r.initialisation
            threshold = r.thresholds.reduce(0, +) / Double(r.thresholds.count) * scale
            protocolName = "dspot_stream_mean_threshold_times_scale"
        } else if let s = streamScores {
            let c = try POT.referenceStream(trainScores: cal, testScores: s, parameters: params, mode: streamMode)
            run = c.run; ini = c.initialisation; threshold = c.threshold; attempts = c.attempts
            protocolName = "pot_stream_\(streamMode.rawValue)"
        } else {
            let c = try POT.calibrate(trainScores: cal, parameters: params)
            ini = c.initialisation; threshold = c.threshold; attempts = c.attempts
            protocolName = "pot_train_deployable"
        }
        out.append(("threshold", threshold))
        out.append(("initial_threshold", ini.initialThreshold))
        out.append(("gamma", ini.fit.gamma))
        out.append(("sigma", ini.fit.sigma))
        out.append(("alarms", run?.alarms.count ?? 0))
        out.append(("protocol", protocolName))
        out.append(("extreme_quantile", ini.extremeQuantile))
        out.append(("deployable_threshold", ini.extremeQuantile * scale))
        out.append(("log_likelihood", ini.fit.logLikelihood))
        out.append(("peaks", ini.peakCount))
        out.append(("level_used", ini.level))
        out.append(("attempts", attempts))
        out.append(("q", q))
        out.append(("scale", scale))
        out.append(("calibration_count", cal.count))
        if let r = run {
            out.append(("stream_count", r.thresholds.count))
            out.append(("mean_step_threshold", r.thresholds.reduce(0, +) / Double(r.thresholds.count)))
            out.append(("final_gamma", r.finalFit.gamma))
            out.append(("final_sigma", r.finalFit.sigma))
            out.append(("final_extreme_quantile", r.finalExtremeQuantile))
        }
        var reportsJSON: String? = nil
        var table: String? = nil
        if let lp = labels {
            guard let s = streamScores else { throw ValidationError("--labels needs --stream (the test scores)") }
            let lab = try readLabelFile(lp)
            guard lab.count == s.count else {
                throw ValidationError("\(lp): \(lab.count) labels but \(s.count) stream scores; give one label per test score")
            }
            let methods = Evaluation.standardMethods(pot: params, percentile: percentile.value)
            let reports = try Evaluation.reports(trainScores: cal, testScores: s, labels: lab, methods: methods)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                reportsJSON = String(decoding: try enc.encode(reports), as: UTF8.self)
            } else {
                table = "\nMetrics (the ORACLE row reads test labels: never a deployable result):\n" + Evaluation.markdownTable(reports)
            }
        }
        if json {
            if let r = reportsJSON { out.append(("metrics", RawJSON(text: r))) }
            let body = out.map { key, value -> String in
                let v: String
                switch value {
                case let d as Double: v = d.isFinite ? "\(d)" : "null"
                case let i as Int: v = "\(i)"
                case let r as RawJSON: v = r.text
                default: v = "\"\(value)\""
                }
                return "\"\(key)\":\(v)"
            }
            print("{" + body.joined(separator: ",") + "}")
        } else {
            for (k, v) in out where !(v is RawJSON) { print("\(k): \(v)") }
            if let t = table { print(t) }
        }
    }
}

/// Already-encoded JSON spliced into the output object.
struct RawJSON { var text: String }
