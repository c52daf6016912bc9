// Strict parsers for SMD text files and generic CSVs: every error names file, line and column.
import Foundation

/// Strict parsers for numeric tables, 0/1 label columns and SMD interpretation labels.
public enum TextParsers {
    /// Parses comma-separated numbers, one row per line, into a matrix.
    ///
    /// Rules: every row has the same number of cells (`expectedColumns` when given, else the first row's);
    /// every cell is a finite decimal number (NaN/Inf rejected), surrounding spaces/tabs ignored; `\r\n` accepted;
    /// blank lines only at the end. With `allowHeader`, a first line with no numeric cell is skipped.
    /// Throws `DataError.parse` (1-based line and column), `.emptyFile`.
    public static func parseNumericTable(_ bytes: [UInt8], file: String, expectedColumns: Int? = nil,
                                         allowHeader: Bool = false, separator: UInt8 = UInt8(ascii: ",")) throws -> DataMatrix {
        var values: [Double] = []
        var cols = expectedColumns ?? -1
        var rows = 0
        var lineNo = 0
        var pendingBlankLine = 0  // line number of a blank line seen before more data
        let scratch = UnsafeMutablePointer<CChar>.allocate(capacity: 128)
        defer { scratch.deallocate() }
        if cols > 0 { values.reserveCapacity(cols * max(16, bytes.count / max(cols * 8, 1))) }
        try bytes.withUnsafeBufferPointer { buf in
            let n = buf.count
            var pos = 0
            while pos < n {
                lineNo += 1
                var end = pos
                while end < n && buf[end] != UInt8(ascii: "\n") { end += 1 }
                var lineEnd = end
                if lineEnd > pos && buf[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                defer { pos = end + 1 }
                if isBlank(buf, pos, lineEnd) {
                    if pendingBlankLine == 0 { pendingBlankLine = lineNo }
                    continue
                }
                if pendingBlankLine != 0 {
                    throw DataError.parse(file: file, line: pendingBlankLine, column: 1, reason: "empty line inside the data")
                }
                if allowHeader && rows == 0 && lineNo == 1 && !lineHasNumber(buf, pos, lineEnd, separator, scratch) {
                    continue  // header row
                }
                var column = 0
                var fieldStart = pos
                while true {
                    var fieldEnd = fieldStart
                    while fieldEnd < lineEnd && buf[fieldEnd] != separator { fieldEnd += 1 }
                    column += 1
                    if cols > 0 && column > cols {
                        let found = countFields(buf, pos, lineEnd, separator)
                        throw DataError.parse(file: file, line: lineNo, column: cols + 1,
                                              reason: "expected \(cols) columns, found \(found)")
                    }
                    switch parseCell(buf, fieldStart, fieldEnd, scratch) {
                    case .number(let v): values.append(v)
                    case .empty:
                        throw DataError.parse(file: file, line: lineNo, column: column, reason: "empty cell")
                    case .nonFinite(let text):
                        throw DataError.parse(file: file, line: lineNo, column: column,
                                              reason: "non-finite value '\(text)' (NaN and Inf are not allowed)")
                    case .invalid(let text):
                        throw DataError.parse(file: file, line: lineNo, column: column, reason: "'\(text)' is not a number")
                    }
                    if fieldEnd >= lineEnd { break }
                    fieldStart = fieldEnd + 1
                }
                if cols < 0 {
                    cols = column
                } else if column != cols {
                    throw DataError.parse(file: file, line: lineNo, column: column + 1,
                                          reason: "expected \(cols) columns, found \(column)")
                }
                rows += 1
            }
        }
        guard rows > 0 else { throw DataError.emptyFile(file: file) }
        return DataMatrix(rows: rows, cols: cols, values: values)
    }

    /// Parses a label column: one 0 or 1 per line (`expectedRows` checked when given).
    public static func parseLabels(_ bytes: [UInt8], file: String, expectedRows: Int? = nil,
                                   allowHeader: Bool = false) throws -> [UInt8] {
        let m = try parseNumericTable(bytes, file: file, expectedColumns: 1, allowHeader: allowHeader)
        var out = [UInt8](repeating: 0, count: m.rows)
        let headerOffset = (allowHeader && firstLineIsHeader(bytes)) ? 1 : 0
        for (i, v) in m.values.enumerated() {
            guard v == 0 || v == 1 else {
                throw DataError.parse(file: file, line: i + 1 + headerOffset, column: 1, reason: "label \(v) is not 0 or 1")
            }
            out[i] = UInt8(v)
        }
        if let expectedRows, expectedRows != out.count {
            throw DataError.labelLengthMismatch(file: file, labels: out.count, testRows: expectedRows)
        }
        return out
    }

    /// Parses SMD `interpretation_label` lines `start-end:d1,d2,…` into a rows × dims 0/1 matrix (row-major).
    ///
    /// Convention (checked against `test_label` on the 19 mirrored machines: exact match on 16, the other 3
    /// differ by a few rows in the upstream files themselves): `start-end` is a 0-based, half-open row range
    /// [start, end) — the same rows as 1-based inclusive [start+1, end]; dimensions are 1-based (1…dims).
    /// TranAD's preprocess.py instead marks rows [start−1, end−1), one row earlier; we follow test_label.
    public static func parseInterpretationLabels(_ bytes: [UInt8], file: String, rows: Int,
                                                 dims: Int = SMD.dimensions) throws -> [UInt8] {
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw DataError.parse(file: file, line: 1, column: 1, reason: "not UTF-8 text")
        }
        var out = [UInt8](repeating: 0, count: rows * dims)
        var sawBlank = 0
        for (i, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = i + 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if sawBlank == 0 { sawBlank = lineNo }
                continue
            }
            if sawBlank != 0 {
                throw DataError.parse(file: file, line: sawBlank, column: 1, reason: "empty line inside the data")
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw DataError.parse(file: file, line: lineNo, column: 1, reason: "expected 'start-end:d1,d2,…', no ':' found")
            }
            let range = line[line.startIndex..<colon]
            guard let dash = range.firstIndex(of: "-"),
                  let start = Int(range[range.startIndex..<dash].trimmingCharacters(in: .whitespaces)),
                  let end = Int(range[range.index(after: dash)...].trimmingCharacters(in: .whitespaces)) else {
                throw DataError.parse(file: file, line: lineNo, column: 1, reason: "'\(range)' is not a row range 'start-end'")
            }
            guard start >= 0, start < end, end <= rows else {
                throw DataError.parse(file: file, line: lineNo, column: 1,
                                      reason: "row range \(start)-\(end) is empty or outside the \(rows) test rows")
            }
            var column = line.distance(from: line.startIndex, to: colon) + 2
            let dimsText = line[line.index(after: colon)...]
            guard !dimsText.isEmpty else {
                throw DataError.parse(file: file, line: lineNo, column: column, reason: "no dimensions after ':'")
            }
            for part in dimsText.split(separator: ",", omittingEmptySubsequences: false) {
                guard let d = Int(part.trimmingCharacters(in: .whitespaces)), d >= 1, d <= dims else {
                    throw DataError.parse(file: file, line: lineNo, column: column,
                                          reason: "'\(part)' is not a dimension in 1…\(dims)")
                }
                for r in start..<end { out[r * dims + (d - 1)] = 1 }
                column += part.count + 1
            }
        }
        return out
    }

    // MARK: - Cell parsing

    enum Cell { case number(Double), empty, nonFinite(String), invalid(String) }

    static func parseCell(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int,
                          _ scratch: UnsafeMutablePointer<CChar>) -> Cell {
        var a = s, b = e
        while a < b && (buf[a] == 0x20 || buf[a] == 0x09) { a += 1 }
        while b > a && (buf[b - 1] == 0x20 || buf[b - 1] == 0x09) { b -= 1 }
        if a == b { return .empty }
        let len = b - a
        var ok = len < 127
        var i = a
        while ok && i < b {
            let c = buf[i]
            ok = (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2D || c == 0x2E || c == 0x65 || c == 0x45
            i += 1
        }
        if !ok {
            let text = String(decoding: UnsafeBufferPointer(rebasing: buf[a..<min(b, a + 40)]), as: UTF8.self)
            let lower = text.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "+-"))
            if ["nan", "inf", "infinity"].contains(lower) { return .nonFinite(text) }
            return .invalid(text)
        }
        for j in 0..<len { scratch[j] = CChar(bitPattern: buf[a + j]) }
        scratch[len] = 0
        var endPtr: UnsafeMutablePointer<CChar>? = nil
        let v = strtod(scratch, &endPtr)
        guard let endPtr, endPtr == scratch + len else {
            return .invalid(String(decoding: UnsafeBufferPointer(rebasing: buf[a..<b]), as: UTF8.self))
        }
        if !v.isFinite { return .nonFinite(String(decoding: UnsafeBufferPointer(rebasing: buf[a..<b]), as: UTF8.self)) }
        return .number(v)
    }

    private static func isBlank(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var i = s
        while i < e { if buf[i] != 0x20 && buf[i] != 0x09 { return false }; i += 1 }
        return true
    }

    private static func countFields(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ sep: UInt8) -> Int {
        var n = 1
        for i in s..<e where buf[i] == sep { n += 1 }
        return n
    }

    private static func lineHasNumber(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ sep: UInt8,
                                      _ scratch: UnsafeMutablePointer<CChar>) -> Bool {
        var fs = s
        while true {
            var fe = fs
            while fe < e && buf[fe] != sep { fe += 1 }
            switch parseCell(buf, fs, fe, scratch) {
            case .number, .nonFinite: return true
            case .empty, .invalid: break
            }
            if fe >= e { return false }
            fs = fe + 1
        }
    }

    static func firstLineIsHeader(_ bytes: [UInt8]) -> Bool {
        let scratch = UnsafeMutablePointer<CChar>.allocate(capacity: 128)
        defer { scratch.deallocate() }
        return bytes.withUnsafeBufferPointer { buf in
            var e = 0
            while e < buf.count && buf[e] != 0x0A { e += 1 }
            var le = e
            if le > 0 && buf[le - 1] == 0x0D { le -= 1 }
            return !isBlank(buf, 0, le) && !lineHasNumber(buf, 0, le, UInt8(ascii: ","), scratch)
        }
    }
}
