// JSON text written by hand (canonical config hashes, key-ordered documents): the one string escaper.

/// Pieces of JSON text.
public enum JSONText {
    /// Appends `s` as a JSON string literal to `out`: `"` and `\` escaped, \n, \r and \t as such, other control
    /// characters (below U+0020) as \u00xx (lowercase hex); everything else as is (UTF-8, no \u escapes).
    public static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }

    /// `s` as a JSON string literal (see `quote(_:into:)`).
    public static func quoted(_ s: String) -> String {
        var out = ""
        quote(s, into: &out)
        return out
    }
}
