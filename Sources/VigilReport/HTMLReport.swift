// `report.html`: one self-contained file (inline CSS and SVG, no scripts, no fonts or images from the network).
import Foundation
import VigilResults

/// Renders the HTML report of a run.
public enum HTMLReport {
    public static func render(_ s: RunSummary, layout: RunLayout) -> String {
        var body = "<h1>Vigil run report</h1>\n"
        body += "<p class=\"meta\">config sha256 <code>\(escape(s.configSHA256))</code> · seed \(escape(s.seed)) · \(s.machines.count) machines"
        if !s.incomplete.isEmpty { body += " · \(s.incomplete.count) incomplete" }
        body += "</p>\n"
        body += "<p>All numbers are at each model's exported (deployable) threshold, chosen from training scores only, unless marked "
        body += "<b>ORACLE</b> (chosen on the test labels: an upper bound, never a result). PA-F1 is the legacy point-adjusted protocol.</p>\n"
        body += "<h2>Mean ± std over machines</h2>\n<table><tr><th>model</th><th>n</th>"
        body += RunReport.headline.map { "<th>\(escape($0.title))</th>" }.joined() + "<th class=\"oracle\">ORACLE F1</th><th class=\"oracle\">ORACLE PA-F1</th></tr>\n"
        for m in s.models {
            let agg = s.overMachines[m] ?? [:]
            body += "<tr><td>\(escape(m))</td><td>\(agg["pw_f1"]?.n ?? 0)</td>"
            body += RunReport.headline.map { "<td>\(escape(RunReport.meanStd(agg[$0.key])))</td>" }.joined()
            body += "<td class=\"oracle\">\(escape(RunReport.meanStd(s.oracleOverMachines[m]?["pw_f1"])))</td>"
            body += "<td class=\"oracle\">\(escape(RunReport.meanStd(s.oracleOverMachines[m]?["pa_f1"])))</td></tr>\n"
        }
        body += "</table>\n<h2>Per machine</h2>\n<table><tr><th>machine</th><th>model</th>"
        body += RunReport.headline.map { "<th>\(escape($0.title))</th>" }.joined() + "<th class=\"oracle\">ORACLE F1</th></tr>\n"
        for row in s.machines {
            for m in s.models {
                body += "<tr><td>\(escape(row.machine))</td><td>\(escape(m))</td>"
                if let flat = row.models[m] {
                    body += RunReport.headline.map { "<td>\(Format.fixed(flat[$0.key] ?? nil, digits: 3))</td>" }.joined()
                    body += "<td class=\"oracle\">\(Format.fixed(row.oracle[m]?.pwF1, digits: 3))</td></tr>\n"
                } else {
                    body += "<td colspan=\"\(RunReport.headline.count + 1)\">FAILED: \(escape(row.failures[m] ?? "no result"))</td></tr>\n"
                }
            }
        }
        body += "</table>\n"
        body += provenance(s)
        return page(title: "Vigil run report", body: body)
    }

    static func provenance(_ s: RunSummary) -> String {
        var b = "<h2>Provenance</h2>\n<table class=\"kv\">"
        func row(_ k: String, _ v: String) { b += "<tr><th>\(escape(k))</th><td>\(escape(v))</td></tr>" }
        row("config sha256", s.configSHA256)
        if let e = s.environment {
            row("vigil", e.vigilVersion)
            row("git commit", e.gitCommit + (e.gitDirty == true ? " (dirty)" : ""))
            row("Swift", e.swiftVersion)
            row("BLAS", "\(e.blas) [core \(e.blasCore)]")
            row("CPU", "\(e.cpuModel), \(e.cores) cores, \(e.cpuFlags.joined(separator: " "))")
            row("host", e.host)
        }
        if let w = s.wallSeconds { row("wall time", String(format: "%.1f s", w)) }
        if let r = s.peakRSSBytes { row("peak RSS (largest unit)", String(format: "%.0f MB", Double(r) / 1e6)) }
        b += "</table>\n"
        return b
    }

    /// A complete HTML document with the report's inline style sheet.
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
        table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
        th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.oracle{background:#fff3e0;color:#8a4b00}
        .meta{color:#666}code{font-size:12px}table.kv td{text-align:left}
        </style></head><body>
        \(body)
        </body></html>

        """
    }

    /// HTML-escapes text (&, <, >, ", ').
    public static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(c)
            }
        }
        return o
    }
}
