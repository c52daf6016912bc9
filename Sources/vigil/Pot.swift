import ArgumentParser
import Foundation
import VigilMetrics
import VigilThresholds

/// Errors of `vigil pot` input files.
enum PotInputError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case badNumber(path: String, line: Int, text: String)
    case empty(path: String)

    var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read (\(reason)); check the path"
        case let .badNumber(path, line, text): return "\(path) line \(line): '\(text)' is not a finite number; expected one score per line"
        case let .empty(path): return "\(path): no scores; expected one score per line"
        }
    }
}

/// Reads one finite Double per line; blank lines are skipped.
func readScoreFile(_ path: String) throws -> [Double] {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw PotInputError.unreadable(path: path, reason: error.localizedDescription)
    }
    var out: [Double] = []
    var lineNumber = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        lineNumber += 1
        let t = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty { continue }
        guard let v = Double(t), v.isFinite else { throw PotInputError.badNumber(path: path, line: lineNumber, text: String(t.prefix(40))) }
        out.append(v)
    }
    if out.isEmpty { throw PotInputError.empty(path: path) }
    return out
}

struct Pot: ParsableCommand {
    static let configuration = CommandConfiguration(
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

    @Option(name: .long, help: "Probability of the initial threshold t (0 < level < 1).")
    var level: Double = 0.99995

    @Option(name: .long, help: "Risk q of the extreme quantile z_q (0 < q < 1).")
    var q: Double = 1e-5

    @Option(name: .long, help: "Multiplier of the final threshold.")
    var scale: Double = 1.06

    @Flag(name: .long, help: "Stream with Siffer's dynamic SPOT (same as --mode dynamic).")
    var dynamic = false

    @Option(name: .long, help: "Stream mode: reference-static (default), fixed, dynamic.")
    var mode: String = "reference-static"

    @Option(name: .long, help: "Run DSPOT with this moving-average depth (needs --stream).")
    var depth: Int?

    @Option(name: .long, help: "Maximum initialisation attempts (level *= 0.999 after each failure).")
    var maxAttempts: Int = 100

    @Flag(name: .long, help: "Search the positive GPD root on (eps, 2(mean-min)/min^2) instead of the reference's narrower bounds.")
    var fullPositiveInterval = false

    @Flag(name: .long, help: "Score the exponential candidate with the reference's sign-flipped log-likelihood n(1+ln mean).")
    var referenceLikelihoodQuirk = false

    @Option(name: .long, help: "File of 0/1 test labels, one per line (needs --stream): also print metrics for the deployable POT, the reference POT stream, the train percentile and the best-F1 ORACLE.")
    var labels: String?

    @Option(name: .long, help: "Percentile of train scores for the percentile calibration in the --labels evaluation.")
    var percentile: Double = 99

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

    func run() throws {
        let streamMode = try streamMode()
        if depth != nil && stream == nil { throw ValidationError("--depth (DSPOT) needs --stream") }
        let cal = try readScoreFile(calibration)
        let streamScores = try stream.map(readScoreFile)
        let grimshaw = GrimshawOptions(referenceExponentialLikelihoodQuirk: referenceLikelihoodQuirk,
                                       fullPositiveInterval: fullPositiveInterval)
        let params = POTParameters(q: q, level: level, scale: scale, maxAttempts: maxAttempts, grimshaw: grimshaw)
        var out: [(String, Any)] = []
        let ini: SPOTInitialisation
        var threshold: Double
        var run: SPOTRunResult? = nil
        var attempts = 1
        var protocolName: String
        if let d = depth, let s = streamScores {
            let r = try DSPOT(q: q, depth: d, grimshaw: grimshaw).run(calibration: cal, stream: s, level: level)
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
            let lab = try readScoreFile(lp)
            guard lab.count == s.count else {
                throw ValidationError("\(lp): \(lab.count) labels but \(s.count) stream scores; give one label per test score")
            }
            let methods = Evaluation.standardMethods(pot: params, percentile: percentile)
            let reports = try Evaluation.reports(trainScores: cal, testScores: s, labels: lab.map { $0 > 0.5 }, methods: methods)
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
