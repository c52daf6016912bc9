// The tables of `report.html`: results over machines and per machine (ORACLE columns set apart), provenance, timing.
import Foundation
import VigilResults

enum Tables {
    private static let e = HTMLReport.escape

    /// Two header rows: the headline metrics at the exported threshold, then the ORACLE group behind a rule.
    private static func header(first: [String], oracle: [String]) -> String {
        var h = "<thead><tr class=\"group\"><th class=\"name\" colspan=\"\(first.count)\"></th>"
        h += "<th colspan=\"3\">threshold-free</th><th colspan=\"\(RunReport.headline.count - 3)\">at the exported (deployable) threshold</th>"
        h += "<th class=\"oracle sep\" colspan=\"\(oracle.count)\">ORACLE: tuned on test labels (upper bound)</th></tr>\n<tr>"
        h += first.map { "<th class=\"name\">\(e($0))</th>" }.joined()
        h += RunReport.headline.map { "<th>\(e($0.title))</th>" }.joined()
        h += oracle.enumerated().map { "<th class=\"oracle\($0.offset == 0 ? " sep" : "")\">\(e($0.element))</th>" }.joined()
        return h + "</tr></thead>\n"
    }

    static func modelCell(_ m: String, _ colours: [String: String]) -> String {
        "<td class=\"name\"><span class=\"swatch\" style=\"background:\(colours[m] ?? "#000")\"></span>\(e(m))</td>"
    }

    /// Mean ± std over machines per model, with the bootstrap 95% interval of the mean under each value.
    static func overMachines(_ s: RunSummary, colours: [String: String]) -> String {
        var b = "<table>\n" + header(first: ["model", "n"], oracle: ["ORACLE F1", "ORACLE PA-F1"]) + "<tbody>\n"
        for m in s.models {
            let agg = s.overMachines[m] ?? [:]
            b += "<tr>\(modelCell(m, colours))<td>\(agg["pw_f1"]?.n ?? 0)</td>"
            b += RunReport.headline.map { k -> String in
                let ci = agg[k.key]?.ci95.map { "<br/><span class=\"ci\">[\(Format.fixed($0[0], digits: 3)), \(Format.fixed($0[1], digits: 3))]</span>" } ?? ""
                return "<td>\(e(RunReport.meanStd(agg[k.key])))\(ci)</td>"
            }.joined()
            b += "<td class=\"oracle sep\">\(e(RunReport.meanStd(s.oracleOverMachines[m]?["pw_f1"])))</td>"
            b += "<td class=\"oracle\">\(e(RunReport.meanStd(s.oracleOverMachines[m]?["pa_f1"])))</td></tr>\n"
        }
        return b + "</tbody></table>\n"
    }

    /// A simple table of `keys` per model: values from `value(model, key)`.
    static func metricTable(_ s: RunSummary, colours: [String: String], keys: [(key: String, title: String)],
                            value: (String, String) -> String) -> String {
        // ORACLE columns (label-tuned) are styled apart, behind a rule, as in the headline table
        func cls(_ title: String) -> String { title.contains("ORACLE") ? " class=\"oracle sep\"" : "" }
        var b = "<table><thead><tr><th class=\"name\">model</th>" + keys.map { "<th\(cls($0.title))>\(e($0.title))</th>" }.joined() + "</tr></thead><tbody>\n"
        for m in s.models { b += "<tr>\(modelCell(m, colours))" + keys.map { "<td\(cls($0.title))>\(e(value(m, $0.key)))</td>" }.joined() + "</tr>\n" }
        return b + "</tbody></table>\n"
    }

    /// Win/tie/loss matrix on `metric` (row model vs column model).
    static func winTieLoss(_ s: RunSummary, metric: String, colours: [String: String]) -> String {
        var b = "<table><thead><tr><th class=\"name\">row vs column</th>" + s.models.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for r in RunReport.wtlMatrix(s, metric: metric) {
            b += "<tr>\(modelCell(r.model, colours))" + r.cells.map { "<td>\(e($0))</td>" }.joined() + "</tr>\n"
        }
        return b + "</tbody></table>\n"
    }

    /// One row per machine and model.
    static func perMachine(_ s: RunSummary, colours: [String: String]) -> String {
        var b = "<table>\n" + header(first: ["machine", "model"], oracle: ["ORACLE F1", "ORACLE PA-F1"]) + "<tbody>\n"
        for row in s.machines {
            for m in s.models {
                b += "<tr><td class=\"name\">\(e(row.machine))</td>\(modelCell(m, colours))"
                if let flat = row.models[m] {
                    b += RunReport.headline.map { "<td>\(Format.fixed(flat[$0.key] ?? nil, digits: 3))</td>" }.joined()
                    b += "<td class=\"oracle sep\">\(Format.fixed(row.oracle[m]?.pwF1, digits: 3))</td>"
                    b += "<td class=\"oracle\">\(Format.fixed(row.oracle[m]?.paF1, digits: 3))</td></tr>\n"
                } else {
                    b += "<td class=\"name note\" colspan=\"\(RunReport.headline.count)\">FAILED: \(e(row.failures[m] ?? "no result"))</td>"
                    b += "<td class=\"oracle sep\">n/a</td><td class=\"oracle\">n/a</td></tr>\n"
                }
            }
        }
        return b + "</tbody></table>\n"
    }

    /// Where and with what the run was computed.
    static func provenance(_ s: RunSummary) -> String {
        var b = "<table class=\"kv\"><tbody>\n"
        func row(_ k: String, _ v: String) { b += "<tr><th>\(e(k))</th><td>\(e(v))</td></tr>\n" }
        row("config sha256", s.configSHA256)
        row("seed", s.seed)
        row("created", s.created)
        if let env = s.environment {
            row("vigil", env.vigilVersion)
            row("git commit", env.gitCommit + (env.gitDirty == true ? " (dirty)" : ""))
            row("Swift", env.swiftVersion)
            row("BLAS", "\(env.blas) [core \(env.blasCore)]")
            row("CPU", "\(env.cpuModel), \(env.cores) cores, \(env.cpuFlags.joined(separator: " "))")
            row("OS", env.os)
            row("host", env.host)
        } else {
            row("vigil", s.vigilVersion)
        }
        if let w = s.wallSeconds { row("wall time", String(format: "%.1f s", w)) }
        if let r = s.peakRSSBytes { row("peak RSS (largest unit)", String(format: "%.0f MB", Double(r) / 1e6)) }
        if !s.stageSeconds.isEmpty {
            row("stage totals over machines", s.stageSeconds.sorted { $0.key < $1.key }.map { "\($0.key) " + String(format: "%.1f s", $0.value) }
                .joined(separator: ", "))
        }
        return b + "</tbody></table>\n"
    }

    /// Time, memory and input hashes per machine.
    static func timing(_ s: RunSummary) -> String {
        var b = "<table><thead><tr><th class=\"name\">machine</th><th>seconds</th><th>peak RSS (MB)</th>"
        b += "<th class=\"name\">input sha256 (first 12 hex digits)</th></tr></thead><tbody>\n"
        for row in s.machines {
            b += "<tr><td class=\"name\">\(e(row.machine))</td><td>\(Format.fixed(row.seconds, digits: 1))</td>"
            b += "<td>\(row.peakRSSBytes.map { String(format: "%.0f", Double($0) / 1e6) } ?? "n/a")</td><td class=\"name\"><code>"
            b += row.inputSHA256.sorted { $0.key < $1.key }.map { "\(e($0.key)) \(e(String($0.value.prefix(12))))" }.joined(separator: " · ")
            b += "</code></td></tr>\n"
        }
        return b + "</tbody></table>\n"
    }
}

/// The resolved config as indented YAML-like text (keys sorted, so the text is deterministic).
enum ConfigText {
    static func yaml(_ v: JSONValue) -> String {
        var out = ""
        emit(v, indent: 0, into: &out)
        return out
    }

    /// The config split for a grid: the top-level scalars in one block, then one block per top-level section (sorted).
    static func blocks(_ v: JSONValue) -> [String] {
        guard case .object(let o) = v else { return [yaml(v)] }
        let scalars = o.filter { scalar($0.value) != nil }
        var out: [String] = scalars.isEmpty ? [] : [yaml(.object(scalars))]
        for k in o.keys.sorted() where scalar(o[k]!) == nil { out.append(yaml(.object([k: o[k]!]))) }
        return out
    }

    private static func scalar(_ v: JSONValue) -> String? {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : (d.isNaN ? ".nan" : (d > 0 ? ".inf" : "-.inf"))
        case .string(let s): return s.isEmpty || s.contains(where: { ":#[]{},&*!|>'\"%@`\n".contains($0) }) ? quoted(s) : s
        case .array(let a):
            // Short lists of scalars inline ([a, b]); long ones as a block list so the column stays narrow.
            guard a.allSatisfy({ !isContainer($0) }) else { return nil }
            let inline = "[" + a.compactMap(scalar).joined(separator: ", ") + "]"
            return inline.count <= 36 ? inline : nil
        case .object(let o): return o.isEmpty ? "{}" : nil
        }
    }

    private static func isContainer(_ v: JSONValue) -> Bool {
        switch v { case .array, .object: return true; default: return false }
    }

    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    private static func emit(_ v: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        switch v {
        case .object(let o):
            for k in o.keys.sorted() {
                let child = o[k]!
                if let s = scalar(child) { out += "\(pad)\(k): \(s)\n" } else { out += "\(pad)\(k):\n"; emit(child, indent: indent + 1, into: &out) }
            }
        case .array(let a):
            for item in a {
                if let s = scalar(item) { out += "\(pad)- \(s)\n" } else { out += "\(pad)-\n"; emit(item, indent: indent + 1, into: &out) }
            }
        default:
            out += pad + (scalar(v) ?? "") + "\n"
        }
    }
}
