// The Markdown report of one machine (`DIR/<machine>/report.md`).
import Foundation
import VigilResults
import VigilThresholds
import VigilTransforms

/// Renders one machine's metrics for people.
public enum MachineReport {
    /// Headline table at the exported threshold, the other calibrations, the ORACLE bound apart, failures.
    public static func markdown(_ m: MachineMetrics) -> String {
        var s = "# \(m.machine)\n\n"
        s += "- config sha256: `\(m.configSHA256)`\n"
        s += "- data: \(m.dataset.trainRows) train rows, \(m.dataset.testRows) test rows, \(m.dataset.dimensions) dimensions, "
        s += "\(m.dataset.anomalousTestPoints) anomalous test points in \(m.dataset.anomalySegments) segments\n\n"
        s += "## At the exported (deployable) threshold\n\n"
        s += "| model | threshold method | threshold | alarm rate | P | R | F1 | PA-F1 | ROC-AUC | PR-AUC |\n|---|---|---|---|---|---|---|---|---|---|\n"
        for name in m.modelOrder {
            guard let r = m.models[name] else { continue }
            s += "| \(name) | \(r.thresholdMethod) | \(Format.number(r["threshold"])) | \(Format.fixed(r["alarm_rate"])) | "
            s += "\(Format.fixed(r["pw_precision"])) | \(Format.fixed(r["pw_recall"])) | \(Format.fixed(r["pw_f1"])) | "
            s += "\(Format.fixed(r["pa_f1"])) | \(Format.fixed(r["roc_auc"])) | \(Format.fixed(r["pr_auc"])) |\n"
        }
        s += "\n## Every calibration\n\n"
        s += "| model | calibration | reads | threshold | P | R | F1 | PA-F1 | event F1 |\n|---|---|---|---|---|---|---|---|---|\n"
        for name in m.modelOrder {
            guard let r = m.models[name] else { continue }
            for (method, rep) in r.calibrations.sorted(by: { $0.key < $1.key }) {
                let a = rep.atThreshold
                let reads = rep.thresholdSelection.reads.sorted.map(\.rawValue).joined(separator: ", ")
                s += "| \(name) | \(method) | \(reads.isEmpty ? "nothing" : reads) | \(Format.number(rep.thresholdSelection.value)) | "
                s += "\(Format.fixed(a.pointwise.precision)) | \(Format.fixed(a.pointwise.recall)) | \(Format.fixed(a.pointwise.f1)) | "
                s += "\(Format.fixed(a.pointAdjusted.f1)) | \(Format.fixed(a.eventwise.f1)) |\n"
            }
            for (method, why) in r.calibrationFailures.sorted(by: { $0.key < $1.key }) {
                s += "| \(name) | \(method) | | failed: \(why.replacingOccurrences(of: "|", with: "/")) | | | | | |\n"
            }
        }
        let transformed = m.modelOrder.filter { m.models[$0]?.transform != nil || m.models[$0]?.exportRefused != nil }
        if !transformed.isEmpty {
            s += "\n## Score transforms and export\n\n"
            for name in transformed {
                guard let r = m.models[name] else { continue }
                if let t = r.transform { s += "- **\(name)**: \(t.formula)\n" }
                if let why = r.exportRefused { s += "- **\(name)** not exported: \(why)\n" }
            }
        }
        s += "\n## ORACLE (thresholds chosen on the TEST LABELS: an upper bound, never a result)\n\n"
        s += "| model | ORACLE threshold (point-wise) | ORACLE F1 | ORACLE threshold (point-adjusted) | ORACLE PA-F1 |\n|---|---|---|---|---|\n"
        for name in m.modelOrder {
            guard let o = m.models[name]?.oracle else { continue }
            s += "| \(name) | \(Format.number(o.threshold)) | \(Format.fixed(o.pwF1)) | \(Format.number(o.paThreshold)) | \(Format.fixed(o.paF1)) |\n"
        }
        if !m.failures.isEmpty {
            s += "\n## Failures\n\n"
            for (name, why) in m.failures.sorted(by: { $0.key < $1.key }) { s += "- **\(name)**: \(why)\n" }
        }
        return s
    }
}

/// Number formatting shared by the reports.
public enum Format {
    /// Four decimals, or `n/a`.
    public static func fixed(_ x: Double?, digits: Int = 4) -> String {
        guard let x, x.isFinite else { return "n/a" }
        return String(format: "%.\(digits)f", x)
    }
    /// Six significant digits, or `n/a`.
    public static func number(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "n/a" }
        return String(format: "%.6g", x)
    }
}
