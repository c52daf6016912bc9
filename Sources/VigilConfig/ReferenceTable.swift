// The config reference as Markdown, generated from the schema (the README embeds it; a test keeps them equal).

extension ConfigSchema {
    /// A Markdown table: key, accepted values, default, meaning — one row per key in documentation order.
    public func markdownReference() -> String {
        var s = "| key | values | default | meaning |\n|---|---|---|---|\n"
        for k in keys {
            let def: String
            switch k.defaultValue {
            case .list(let l) where l.isEmpty: def = "`[]`"
            default: def = "`\(ResolvedConfig.yamlScalar(k.defaultValue))`"
            }
            let values = k.type.summary.replacingOccurrences(of: "|", with: "\\|")
            s += "| `\(k.path)` | \(values) | \(def) | \(k.doc.replacingOccurrences(of: "|", with: "\\|")) |\n"
        }
        return s
    }
}
