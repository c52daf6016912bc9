// `vigil sweep collect`: the leaderboard of whatever trials are complete, and the choice of a config without test
// labels (by the validation selection score) beside the ORACLE choice (by test labels), so the reader sees the gap
// between the honest and the label-tuned protocol.
import Foundation
import VigilIO
import VigilExperiments
import VigilReport
import VigilResults

/// Builds leaderboards and selections from complete trials.
public enum SweepCollect {
    /// What collect wrote.
    public struct Outcome: Sendable {
        public var selection: SweepSelection
        public var rows: Int
        public var files: [String]
    }

    /// Reads every complete trial of the plan and writes leaderboard.csv, leaderboard.md, selection.json and report.html.
    @discardableResult
    public static func run(directory: String) throws -> Outcome {
        let layout = SweepLayout(root: directory)
        let plan = try SweepPlanner.read(layout)
        var results: [Int: TrialResult] = [:]
        for t in plan.trials where layout.isComplete(t.id) {
            guard let d = FileManager.default.contents(atPath: layout.result(t.id)) else { continue }
            do { results[t.index] = try JSONOutput.decode(TrialResult.self, from: d) } catch {
                throw SweepError.damaged(path: layout.result(t.id), reason: "unreadable trial result (\(error)); remove the trial directory to rerun it")
            }
        }
        let selection = select(plan: plan, results: results)
        let board = Leaderboard(plan: plan, results: results)
        try AtomicFile.write(board.csv, to: layout.leaderboardCSV)
        try AtomicFile.write(SweepReport.markdown(plan: plan, board: board, selection: selection), to: layout.leaderboardMarkdown)
        try AtomicFile.write(try JSONOutput.encode(selection), to: layout.selection)
        try AtomicFile.write(SweepReport.html(plan: plan, board: board, selection: selection), to: layout.report)
        return Outcome(selection: selection, rows: board.rows.count,
                       files: [layout.leaderboardCSV, layout.leaderboardMarkdown, layout.selection, layout.report])
    }

    /// The honest and ORACLE choices per model, per machine and overall.
    public static func select(plan: SweepPlan, results: [Int: TrialResult]) -> SweepSelection {
        let metric = SweepSelection.oracleMetric
        var models: [SweepSelection.ModelSelection] = []
        for model in plan.models {
            // per machine: trials of that machine with a result for the model
            var pairs: [SweepSelection.Pair] = []
            for m in plan.machines {
                let trials = plan.trials.filter { $0.machine == m }.compactMap { t -> (SweepPlan.Trial, TrialResult.Model)? in
                    guard let r = results[t.index], let x = r.models[model] else { return nil }
                    return (t, x)
                }
                guard !trials.isEmpty else { continue }
                let sel = best(trials) { $0.1.selectionScore }
                let ora = best(trials) { $0.1.test[metric] ?? nil }
                func choice(_ c: (SweepPlan.Trial, TrialResult.Model)) -> SweepSelection.Choice {
                    SweepSelection.Choice(point: c.0.point, swept: plan.points[c.0.point].swept, selectionScore: c.1.selectionScore, test: c.1.test)
                }
                let xs = trials.map { $0.1.selectionScore }, ys = trials.map { $0.1.test[metric] ?? nil }
                pairs.append(SweepSelection.Pair(machine: m, selected: choice(sel), oracle: choice(ora), spearman: spearman(xs, ys)))
            }
            // overall: points complete on every machine that has any result
            let machines = Set(pairs.map(\.machine))
            var overall: SweepSelection.Pair? = nil
            var candidates: [(point: Int, selection: Double?, test: [String: Double?])] = []
            for (p, _) in plan.points.enumerated() {
                let rs = plan.trials.filter { $0.point == p && machines.contains($0.machine) }.compactMap { results[$0.index]?.models[model] }
                guard rs.count == machines.count, !rs.isEmpty else { continue }
                candidates.append((p, mean(rs.map(\.selectionScore)), meanMetrics(rs.map(\.test))))
            }
            if !candidates.isEmpty {
                let s = best(candidates) { $0.selection }, o = best(candidates) { $0.test[metric] ?? nil }
                func choice(_ c: (point: Int, selection: Double?, test: [String: Double?])) -> SweepSelection.Choice {
                    SweepSelection.Choice(point: c.point, swept: plan.points[c.point].swept, selectionScore: c.selection, test: c.test)
                }
                overall = SweepSelection.Pair(machine: "all", selected: choice(s), oracle: choice(o),
                                              spearman: spearman(candidates.map(\.selection), candidates.map { $0.test[metric] ?? nil }))
            }
            models.append(SweepSelection.ModelSelection(model: model, perMachine: pairs, overall: overall,
                                                        perMachineSelectedMean: meanMetrics(pairs.map(\.selected.test)),
                                                        perMachineOracleMean: meanMetrics(pairs.map(\.oracle.test))))
        }
        return SweepSelection(selection: plan.selection, oracleMetricName: metric, completeTrials: results.count,
                              totalTrials: plan.trials.count, models: models)
    }

    /// The element with the highest key (nil keys lose; ties keep the earliest).
    static func best<T>(_ xs: [T], _ key: (T) -> Double?) -> T {
        var b = xs[0]
        for x in xs.dropFirst() {
            guard let k = key(x), k.isFinite else { continue }
            if let kb = key(b), kb.isFinite, kb >= k { continue }
            b = x
        }
        return b
    }

    static func mean(_ xs: [Double?]) -> Double? {
        let v = xs.compactMap { $0 }.filter(\.isFinite)
        return v.isEmpty || v.count < xs.count ? nil : v.reduce(0, +) / Double(v.count)
    }

    /// Key-wise means of flat metric dictionaries (a key is nil when any value is missing).
    static func meanMetrics(_ ds: [[String: Double?]]) -> [String: Double?] {
        guard !ds.isEmpty else { return [:] }
        var out: [String: Double?] = [:]
        for k in Set(ds.flatMap(\.keys)) { out[k] = mean(ds.map { $0[k] ?? nil }) }
        return out
    }

    /// Spearman's rank correlation (average ranks for ties) over the pairs where both values exist; nil below 3 pairs
    /// or when either side is constant.
    public static func spearman(_ xs: [Double?], _ ys: [Double?]) -> Double? {
        let pairs = zip(xs, ys).compactMap { a, b -> (Double, Double)? in
            guard let a, let b, a.isFinite, b.isFinite else { return nil }
            return (a, b)
        }
        guard pairs.count >= 3 else { return nil }
        func ranks(_ v: [Double]) -> [Double] {
            let order = v.indices.sorted { v[$0] < v[$1] }
            var r = [Double](repeating: 0, count: v.count)
            var i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
                for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
                i = j + 1
            }
            return r
        }
        let rx = ranks(pairs.map(\.0)), ry = ranks(pairs.map(\.1))
        let mx = rx.reduce(0, +) / Double(rx.count), my = ry.reduce(0, +) / Double(ry.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in rx.indices { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) * (rx[i] - mx); syy += (ry[i] - my) * (ry[i] - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}
