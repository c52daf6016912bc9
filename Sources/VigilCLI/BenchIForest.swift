import ArgumentParser
import Foundation
import VigilData
import VigilIO
import VigilIsolationForest
import VigilRandom
import VigilTranAD

/// `vigil bench iforest`: Isolation Forest fit/score timing on synthetic data, and a fit-on-train/score-test mode
/// used by `scripts/bench-iforest` to compare ROC-AUC with scikit-learn on SMD.
struct BenchIForest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iforest",
        abstract: "Isolation Forest fit and score speed (and a train/test scoring mode for accuracy checks).",
        discussion: """
        Speed mode (default): generates a synthetic (rows × features) float64 series, fits a forest --repeat times and scores all rows --repeat times, and prints the medians (and minima) in seconds as one JSON object. Generator: x[t,f] = (1 + 0.1 f)·sin(2π t / (50 + 37 f) + 0.7 f) + 0.3·N(0,1); each row with probability 0.01 gets +4 added to 3 random features (seeded by --data-seed). --dump-data PATH writes that matrix as a float64 .npy file so scripts/bench_sklearn_iforest.py can time scikit-learn on identical data. Fit and score use all cores (--threads to limit); the single-thread score time is reported too.

        Train/test mode (used by scripts/bench-iforest): --train FILE --test FILE --scores-out FILE reads plain comma-separated rows (one sample per line, e.g. a gunzipped SMD file; --float32 rounds them to float32 first, as scikit-learn does), fits on the train rows with --seed, writes one anomaly score per test row (higher = more anomalous, s = 2^(−E[h]/c(ψ)) in (0, 1]) and prints timings as JSON. --model-out FILE.h5 also saves the fitted detector (HDF5, group "iforest_detector").

        Feature engineering (both modes): --lags 1,2  --diff  --rolling-window W --rolling mean,std,min,max  --standardize. Rows before the first are taken to equal the first row, so no rows are lost.
        """
    )

    @Flag(help: "Print one JSON object on stdout (the default output is also JSON; this flag is accepted for scripts).")
    var json = false
    @Option(help: "Synthetic rows.") var rows = 28479
    @Option(help: "Synthetic features (columns).") var features = 38
    @Option(help: "Number of trees (n_estimators).") var trees = 100
    @Option(help: "Sub-sample size per tree (default min(256, rows)).") var maxSamples: Int?
    @Option(help: "Forest seed.") var seed: UInt64 = 0
    @Option(help: "Seed of the synthetic data generator.") var dataSeed: UInt64 = 42
    @Option(help: "Timed repetitions of fit and of score (median and minimum are reported).") var `repeat` = 5
    @Option(help: "Worker threads for fit and score (default: all cores).") var threads: Int?
    @Option(help: "Write the synthetic matrix as float64 .npy to this path.") var dumpData: String?
    @Option(help: "Train/test mode: training rows (comma-separated text).") var train: String?
    @Option(help: "Train/test mode: rows to score (comma-separated text).") var test: String?
    @Option(help: "Train/test mode: output file, one score per test row.") var scoresOut: String?
    @Option(help: "Train/test mode: also save the fitted detector (features + forest) to this HDF5 file.") var modelOut: String?
    @Option(help: "Feature engineering: comma-separated lags, e.g. 1,2.") var lags: String?
    @Flag(help: "Feature engineering: add first differences.") var diff = false
    @Option(help: "Feature engineering: rolling window length.") var rollingWindow = 0
    @Option(help: "Feature engineering: rolling statistics, comma-separated from mean,std,min,max.") var rolling: String?
    @Flag(help: "Feature engineering: standardize columns with training mean/std.") var standardize = false
    @Flag(help: "Train/test mode: round the train and test values to Float (float32) before fitting and scoring, as scikit-learn does (its trees cast X to float32).") var float32 = false

    func validate() throws {
        guard rows >= 1, features >= 1, trees >= 1, `repeat` >= 1 else {
            throw ValidationError("--rows, --features, --trees and --repeat must be ≥ 1")
        }
        guard (1...10_000).contains(features), (1...1_000).contains(`repeat`), IsolationForest.Configuration.nEstimatorsRange.contains(trees),
              let cells = CheckedSize.product([rows, features]), cells <= 1 << 28 else {
            throw ValidationError("--features must be ≤ 10000, --repeat ≤ 1000, --trees ≤ \(IsolationForest.Configuration.nEstimatorsRange.upperBound) and --rows × --features ≤ 2^28")
        }
        if let t = threads, !TranADConfig.workersRange.contains(t) { throw ValidationError("--threads must be in \(TranADConfig.workersRange)") }
        if let m = maxSamples, m < 1 { throw ValidationError("--max-samples must be ≥ 1") }
        guard (0...100_000).contains(rollingWindow) else { throw ValidationError("--rolling-window must be in 0…100000") }
        let trainMode = [train, test, scoresOut].compactMap { $0 }.count
        guard trainMode == 0 || trainMode == 3 else {
            throw ValidationError("train/test mode needs all of --train, --test and --scores-out")
        }
    }

    func engineering() throws -> FeatureEngineering {
        let lagList = try (lags ?? "").split(separator: ",").map { s -> Int in
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else { throw CLIError("--lags: '\(s)' is not an integer") }
            return v
        }
        let stats = try (rolling ?? "").split(separator: ",").map { s -> FeatureEngineering.RollingStatistic in
            guard let v = FeatureEngineering.RollingStatistic(rawValue: String(s)) else {
                throw CLIError("--rolling: '\(s)' is not one of mean,std,min,max")
            }
            return v
        }
        return FeatureEngineering(lags: lagList, differences: diff, rollingWindow: rollingWindow,
                                  rollingStatistics: stats, standardize: standardize)
    }

    func forestConfig() -> IsolationForest.Configuration {
        IsolationForest.Configuration(nEstimators: trees, maxSamples: maxSamples.map { .count($0) } ?? .auto, seed: seed)
    }

    func run() throws {
        let eng = try engineering()
        let outs = [("--scores-out", scoresOut), ("--model-out", modelOut), ("--dump-data", dumpData)].compactMap { r, p in p.map { NamedPath(r, $0) } }
        try checkOutputs(outs, inputs: [("--train", train), ("--test", test)].compactMap { r, p in p.map { NamedPath(r, $0) } })
        if let train, let test, let scoresOut {
            try runTrainTest(train: train, test: test, out: scoresOut, engineering: eng)
            return
        }
        let x = syntheticSeries(rows: rows, cols: features, seed: dataSeed)
        if let path = dumpData { try NpyWriter.write(x.values, shape: [x.rows, x.cols], to: path) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let p = threads ?? cores
        var fitTimes: [Double] = [], scoreTimes: [Double] = [], serialTimes: [Double] = []
        var detector: IsolationForestDetector?
        for i in 0..<`repeat` {
            FileHandle.standardError.write("fit \(i + 1)/\(`repeat`)\n".data(using: .utf8)!)
            let t0 = DispatchTime.now()
            detector = try IsolationForestDetector(fitting: x, engineering: eng, configuration: forestConfig(), parallelism: p)
            fitTimes.append(seconds(since: t0))
        }
        let det = detector!
        for w in det.forest.warnings { FileHandle.standardError.write("warning: \(w)\n".data(using: .utf8)!) }
        var s: [Double] = []
        for i in 0..<`repeat` {
            FileHandle.standardError.write("score \(i + 1)/\(`repeat`)\n".data(using: .utf8)!)
            let t0 = DispatchTime.now()
            s = try det.scores(x, parallelism: p)
            scoreTimes.append(seconds(since: t0))
            let t1 = DispatchTime.now()
            _ = try det.scores(x, parallelism: 1)
            serialTimes.append(seconds(since: t1))
        }
        let mean = s.reduce(0, +) / Double(s.count)
        let result: [(String, String)] = [
            ("rows", "\(rows)"), ("features", "\(features)"), ("trees", "\(trees)"),
            ("max_samples", "\(det.forest.maxSamples)"), ("threads", "\(p)"), ("cores", "\(cores)"),
            ("repeat", "\(`repeat`)"),
            ("fit_seconds", fmt(median(fitTimes))), ("fit_seconds_min", fmt(fitTimes.min()!)),
            ("score_seconds", fmt(median(scoreTimes))), ("score_seconds_min", fmt(scoreTimes.min()!)),
            ("score_seconds_1thread", fmt(median(serialTimes))),
            ("score_rows_per_second", fmt(Double(rows) / median(scoreTimes))),
            ("mean_score", fmt(mean)),
        ]
        print("{" + result.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
    }

    func runTrainTest(train: String, test: String, out: String, engineering eng: FeatureEngineering) throws {
        let rawTrain = try MatrixFile.read(train), rawTest = try MatrixFile.read(test)
        var xTrain = try FeatureMatrix(rows: rawTrain.rows, cols: rawTrain.cols, values: rawTrain.values)
        var xTest = try FeatureMatrix(rows: rawTest.rows, cols: rawTest.cols, values: rawTest.values)
        if float32 {   // values rounded to the nearest Float (then widened back): sklearn's float32 inputs exactly
            xTrain.values = xTrain.values.map { Double(Float($0)) }
            xTest.values = xTest.values.map { Double(Float($0)) }
        }
        FileHandle.standardError.write("train \(xTrain.rows)×\(xTrain.cols), test \(xTest.rows)×\(xTest.cols)\n".data(using: .utf8)!)
        let t0 = DispatchTime.now()
        let det = try IsolationForestDetector(fitting: xTrain, engineering: eng, configuration: forestConfig(), parallelism: threads)
        let fit = seconds(since: t0)
        for w in det.forest.warnings { FileHandle.standardError.write("warning: \(w)\n".data(using: .utf8)!) }
        if let modelOut { try det.save(to: modelOut) }
        let t1 = DispatchTime.now()
        let s = try det.scores(xTest, parallelism: threads)
        let score = seconds(since: t1)
        var text = ""
        text.reserveCapacity(s.count * 20)
        for v in s { text += "\(v)\n" }
        try AtomicFile.write(text, to: out)
        print("{\"train_rows\": \(xTrain.rows), \"test_rows\": \(xTest.rows), \"features\": \(det.forest.featureCount), \"fit_seconds\": \(fmt(fit)), \"score_seconds\": \(fmt(score))}")
    }
}

private func seconds(since t0: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
}

private func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

private func fmt(_ v: Double) -> String { String(format: "%.6g", v) }

/// The documented synthetic benchmark series (see `vigil bench iforest --help`).
func syntheticSeries(rows: Int, cols: Int, seed: UInt64) -> FeatureMatrix<Double> {
    var rng = Xoshiro256(seed: seed)
    var v = [Double](repeating: 0, count: rows * cols)
    for t in 0..<rows {
        for f in 0..<cols {
            let period = 50 + 37 * Double(f)
            v[t * cols + f] = (1 + 0.1 * Double(f)) * sin(2 * Double.pi * Double(t) / period + 0.7 * Double(f))
                + 0.3 * rng.nextGaussian()
        }
        if rng.nextUnitDouble() < 0.01 {
            for _ in 0..<min(3, cols) { v[t * cols + rng.nextInt(below: cols)] += 4 }
        }
    }
    return try! FeatureMatrix(rows: rows, cols: cols, values: v)
}
