// vigil-bench-baselines: fit/score timings and ROC-AUC / PR-AUC of every baseline on SMD machines (release
// build), a kNN search comparison (blocked GEMM vs direct loop) and sensitivity sweeps; optional .npy dumps so
// scripts/bench_sklearn_baselines.py can compare scikit-learn on the identical normalized data.
// Run through scripts/bench-baselines. Prints tables; asserts nothing.
import ArgumentParser
import Foundation
import VigilBaselines
import VigilData
import VigilMetrics
import VigilScores

@main
struct BenchBaselines: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-bench-baselines",
        abstract: "Time the baselines and measure their ROC-AUC / PR-AUC on SMD machines (fit on train, score test).")

    @Option(help: "SMD root (train/, test/, test_label/, interpretation_label/; .txt or .txt.gz). Read only; no cache is written.")
    var smd = "/work/shared/datasets/SMD"
    @Option(help: "Comma-separated machines (develop on machine-1-* and machine-2-* only).")
    var machines = "machine-1-2,machine-2-1"
    @Option(help: "Timed repetitions (median reported).")
    var `repeat` = 3
    @Option(help: "Write train/test/labels and each baseline's test scores as .npy under DIR/<machine>/.")
    var dump: String?
    @Flag(help: "Also run the PCA variance and kNN k / sample-size sweeps.")
    var sweep = false
    @Flag(help: "Skip untrained_tranad (the slowest).")
    var skipTranad = false

    func run() throws {
        let loader = SMDLoader(root: smd, useCache: false)
        print("load: \(loadAverage())")
        for machine in machines.split(separator: ",").map(String.init) {
            let ds = try loader.load(machine)
            let labels = ds.labels.map { $0 != 0 }
            print("\n## \(machine): train \(ds.train.rows) × \(ds.train.cols), test \(ds.test.rows), anomaly rate \(String(format: "%.4f", Double(labels.filter { $0 }.count) / Double(labels.count)))")
            if let d = dump {
                let dir = "\(d)/\(machine)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try NpyWriter.write(ds.train.values, shape: [ds.train.rows, ds.train.cols], to: "\(dir)/train.npy")
                try NpyWriter.write(ds.test.values, shape: [ds.test.rows, ds.test.cols], to: "\(dir)/test.npy")
                try NpyWriter.write(ds.labels.map(Double.init), shape: [ds.labels.count], to: "\(dir)/labels.npy")
            }
            print(pad("model", 18) + pad("fit s", 10) + pad("score s", 10) + pad("ROC-AUC", 10) + pad("PR-AUC", 10) + "notes")
            var keys = Baselines.keys
            if skipTranad { keys.removeAll { $0 == "untrained_tranad" } }
            for key in keys {
                let (fitS, scoreS, scores, detector) = try time(key: key, ds: ds)
                let roc = RankingMetrics.rocAUC(scores: scores.aggregate, labels: labels) ?? .nan
                let pr = RankingMetrics.averagePrecision(scores: scores.aggregate, labels: labels) ?? .nan
                var note = ""
                if let p = (detector as? PCADetector)?.model {
                    note = "K = \(p.kept), explained \(String(format: "%.4f", p.explainedVarianceRatio))"
                }
                if let k = (detector as? KNNDetector)?.model { note = "k = \(k.configuration.k), M = \(k.sampleCount)" }
                print(pad(key, 18) + pad(f(fitS, 4), 10) + pad(f(scoreS, 4), 10) + pad(f(roc, 4), 10) + pad(f(pr, 4), 10) + note)
                if let d = dump {
                    try NpyWriter.write(scores.aggregate, shape: [scores.rows], to: "\(d)/\(machine)/scores_\(key).npy")
                    if let k = (detector as? KNNDetector)?.model {
                        try NpyWriter.write(k.sampleIndices.map(Double.init), shape: [k.sampleCount], to: "\(d)/\(machine)/knn_sample.npy")
                    }
                }
            }
            try knnSearchComparison(ds)
            if sweep { try sweeps(ds, labels: labels) }
        }
        print("\nload: \(loadAverage())")
    }

    /// Median fit and test-scoring seconds over `repeat` runs, and the last run's scores.
    func time(key: String, ds: AnomalyDataset) throws -> (Double, Double, ScoreSet, AnomalyDetector) {
        var fits: [Double] = [], scoresT: [Double] = []
        var last: (ScoreSet, AnomalyDetector)?
        for _ in 0..<max(1, self.repeat) {
            let d = BaselineDetectors.make(key: key)!
            let t0 = Date()
            try d.fit(ds.train, progress: nil)
            let t1 = Date()
            let s = try d.score(ds.test)
            let t2 = Date()
            fits.append(t1.timeIntervalSince(t0))
            scoresT.append(t2.timeIntervalSince(t1))
            last = (s, d)
        }
        return (median(fits), median(scoresT), last!.0, last!.1)
    }

    /// The k-th distance by a direct loop over the reference rows (no GEMM): the alternative the blocked GEMM
    /// search is measured against (same results up to rounding).
    func directKth(_ model: KNNBaseline, _ x: DataMatrix) -> [Double] {
        let d = model.features, m = model.sampleCount, k = model.configuration.k
        var out = [Double](repeating: 0, count: x.rows)
        var top = [Double](repeating: .infinity, count: k)
        x.values.withUnsafeBufferPointer { xv in
            model.reference.withUnsafeBufferPointer { ref in
                for r in 0..<x.rows {
                    for t in 0..<k { top[t] = .infinity }
                    for j in 0..<m {
                        var s = 0.0
                        for c in 0..<d { let e = xv[r * d + c] - ref[j * d + c]; s += e * e }
                        if s < top[k - 1] {
                            var t = k - 1
                            while t > 0 && top[t - 1] > s { top[t] = top[t - 1]; t -= 1 }
                            top[t] = s
                        }
                    }
                    out[r] = top[k - 1].squareRoot()
                }
            }
        }
        return out
    }

    func knnSearchComparison(_ ds: AnomalyDataset) throws {
        let model = try KNNBaseline(fitting: ds.train)
        var gemm: [Double] = [], direct: [Double] = []
        var a: [Double] = [], b: [Double] = []
        for _ in 0..<max(1, self.repeat) {
            let t0 = Date()
            a = try model.score(ds.test).aggregate
            let t1 = Date()
            b = directKth(model, ds.test)
            let t2 = Date()
            gemm.append(t1.timeIntervalSince(t0))
            direct.append(t2.timeIntervalSince(t1))
        }
        let maxDiff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        print("knn search, \(ds.test.rows) rows × M = \(model.sampleCount): blocked GEMM \(f(median(gemm), 4)) s, direct loop \(f(median(direct), 4)) s, max |Δ| \(maxDiff)")
    }

    func sweeps(_ ds: AnomalyDataset, labels: [Bool]) throws {
        print("pca sweep (components → K, ROC-AUC, PR-AUC):")
        var specs: [PCABaseline.Configuration.Components] = [0.5, 0.8, 0.9, 0.95, 0.99, 0.999].map { .varianceFraction($0) }
        specs += [1, 2, 5, 10, 20].map { .count($0) }
        for c in specs {
            let m = try PCABaseline(fitting: ds.train, configuration: .init(components: c))
            let s = try m.score(ds.test).aggregate
            print("  " + pad(PCABaseline.Configuration(components: c).spec, 16) + pad("K = \(m.kept)", 9)
                  + pad(f(RankingMetrics.rocAUC(scores: s, labels: labels) ?? .nan, 4), 9)
                  + f(RankingMetrics.averagePrecision(scores: s, labels: labels) ?? .nan, 4))
        }
        print("knn sweep (k, M → ROC-AUC, PR-AUC, score s):")
        for (k, mm) in [(1, 2000), (5, 2000), (10, 2000), (50, 2000), (5, 500), (5, 8000), (5, Int.max)] {
            let m = try KNNBaseline(fitting: ds.train, configuration: .init(k: k, maxSamples: mm, seed: 0))
            let t0 = Date()
            let s = try m.score(ds.test).aggregate
            let secs = Date().timeIntervalSince(t0)
            print("  " + pad("k = \(k), M = \(m.sampleCount)", 22) + pad(f(RankingMetrics.rocAUC(scores: s, labels: labels) ?? .nan, 4), 9)
                  + pad(f(RankingMetrics.averagePrecision(scores: s, labels: labels) ?? .nan, 4), 9) + f(secs, 3))
        }
        print("knn seeds (k = 5, M = 2000; ROC-AUC, PR-AUC):")
        for seed in UInt64(0)..<5 {
            let s = try KNNBaseline(fitting: ds.train, configuration: .init(seed: seed)).score(ds.test).aggregate
            print("  seed \(seed): " + pad(f(RankingMetrics.rocAUC(scores: s, labels: labels) ?? .nan, 4), 9)
                  + f(RankingMetrics.averagePrecision(scores: s, labels: labels) ?? .nan, 4))
        }
        print("random seeds (ROC-AUC, PR-AUC):")
        for seed in UInt64(0)..<5 {
            let s = RandomScoresBaseline.scores(count: ds.test.rows, seed: seed)
            print("  seed \(seed): " + pad(f(RankingMetrics.rocAUC(scores: s, labels: labels) ?? .nan, 4), 9)
                  + f(RankingMetrics.averagePrecision(scores: s, labels: labels) ?? .nan, 4))
        }
    }
}

func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
func f(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
func loadAverage() -> String { (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?" }
