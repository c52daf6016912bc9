// One call from scores to a report per calibration method, and a plain-text table of them.
import Foundation
import VigilThresholds

/// Runs several calibrations on the same scores and reports metrics for each.
public enum Evaluation {
    /// Deployable POT, reference POT stream, train percentile p, and the point-adjusted F1 ORACLE.
    public static func standardMethods(pot: POTParameters = POTParameters(), percentile p: Double = 99) -> [CalibrationMethod] {
        [.pot(pot), .potStream(pot, .referenceStatic), .percentile(p), .bestF1Oracle(.pointAdjustedF1)]
    }

    /// One `MetricsReport` per method.  trainScores: (N,), testScores/labels: (T,), per-dim/interpretation: (T, D).
    /// The threshold-free block (ROC-AUC, PR-AUC, VUS with `options.vusWindow`, root cause) is computed once and
    /// shared. A method that fails (e.g. POT initialisation) throws; nothing is silently skipped.
    public static func reports(trainScores: [Double], testScores: [Double], labels: [Bool],
                               methods: [CalibrationMethod],
                               perDimensionScores: [Double]? = nil, interpretationLabels: [Bool]? = nil,
                               dimensions: Int? = nil, options: MetricsOptions = MetricsOptions()) throws -> [MetricsReport] {
        let free = try ThresholdFreeMetrics.compute(testScores: testScores, labels: labels, perDimensionScores: perDimensionScores,
                                                    interpretationLabels: interpretationLabels, dimensions: dimensions, options: options)
        return try methods.map { m in
            let thr = try m.calibrate(trainScores: trainScores, testScores: testScores, testLabels: labels)
            return try MetricsReport.compute(testScores: testScores, labels: labels, threshold: thr, thresholdFree: free)
        }
    }

    /// Markdown table: one row per report (threshold-dependent metrics), then the threshold-free metrics once.
    public static func markdownTable(_ reports: [MetricsReport]) -> String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
        var s = "| threshold method | threshold | reads test scores | reads test labels | P | R | F1 | PA-P | PA-R | PA-F1 | PA%K-AUC F1 | event F1 | range F1 | affiliation F1 | ROC-AUC binary (ref) |\n"
        s += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for r in reports {
            let a = r.atThreshold, t = r.thresholdSelection
            s += "| \(t.method) | \(String(format: "%.6g", t.value)) | \(t.readsTestScores ? "yes" : "no") | \(t.readsTestLabels ? "YES" : "no") "
            s += "| \(f(a.pointwise.precision)) | \(f(a.pointwise.recall)) | \(f(a.pointwise.f1)) "
            s += "| \(f(a.pointAdjusted.precision)) | \(f(a.pointAdjusted.recall)) | \(f(a.pointAdjusted.f1)) "
            s += "| \(f(a.paK.areaF1)) | \(f(a.eventwise.f1)) | \(f(a.rangeF1)) | \(f(a.affiliationF1)) | \(f(a.rocAUCBinaryReference)) |\n"
        }
        if let free = reports.first?.thresholdFree {
            s += "\nThreshold-free: VUS-PR \(f(free.vusPR)), VUS-ROC \(f(free.vusROC)) (vus_window \(free.vusWindow)), ROC-AUC \(f(free.rocAUC)), PR-AUC (AP) \(f(free.prAUC))"
            if let rc = free.rootCause {
                s += ", Hit@100% \(f(rc.hitAt100)), Hit@150% \(f(rc.hitAt150)), NDCG@100% \(f(rc.ndcgAt100)), NDCG@150% \(f(rc.ndcgAt150)) (\(rc.labelledRows) labelled rows)"
            }
            s += "\n"
        }
        return s
    }
}
