// A small reader for NumPy .npy files (format 1.0–3.0): little-endian or single-byte numeric dtypes, C order.
import Foundation
import VigilIO

/// Reads NumPy `.npy` arrays: dtypes <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1, C order, 1-D or 2-D.
public enum NpyReader {
    /// Reads `path` as a matrix (a 1-D array of n values becomes n × 1), converting values to Double.
    public static func readMatrix(_ path: String) throws -> DataMatrix {
        try parse(try readBytes(path), file: path)
    }

    /// The bytes of the file at `path` (errors name the file and what to do).
    static func readBytes(_ path: String) throws -> [UInt8] {
        var out = [UInt8]()
        do { try SHA256Hasher.forEachChunk(of: path) { out.append(contentsOf: $0) } } catch let e as FileError {
            throw DataError.io(path: path, reason: e.description)
        }
        return out
    }

    /// Parses the bytes of an .npy file.
    public static func parse(_ bytes: [UInt8], file: String) throws -> DataMatrix {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataError.badNpy(file: file, reason: "not an .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLen: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw DataError.badNpy(file: file, reason: "truncated header") }
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DataError.badNpy(file: file, reason: "unsupported .npy format version \(major)")
        }
        guard bytes.count >= headerStart + headerLen,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLen)], encoding: .utf8) else {
            throw DataError.badNpy(file: file, reason: "truncated or non-text header")
        }
        guard let descr = field(header, "descr") else { throw DataError.badNpy(file: file, reason: "header has no 'descr'") }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        guard let fortran = field(header, "fortran_order") else {
            throw DataError.badNpy(file: file, reason: "header has no 'fortran_order'")
        }
        guard fortran.trimmingCharacters(in: .whitespaces) == "False" else {
            throw DataError.badNpy(file: file, reason: "Fortran-order arrays are not supported; save with np.ascontiguousarray")
        }
        guard let shapeText = field(header, "shape") else { throw DataError.badNpy(file: file, reason: "header has no 'shape'") }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = try dims.map { d -> Int in
            guard let v = Int(d), v >= 0 else { throw DataError.badNpy(file: file, reason: "bad shape \(shapeText)") }
            return v
        }
        guard shape.count == 1 || shape.count == 2 else {
            throw DataError.badNpy(file: file, reason: "expected a 1-D or 2-D array, found shape \(shapeText)")
        }
        let rows = shape[0], cols = shape.count == 2 ? shape[1] : 1
        let width: Int
        switch dtype {
        case "<f8", "<i8", "<u8": width = 8
        case "<f4", "<i4", "<u4": width = 4
        case "<i2", "<u2": width = 2
        case "|i1", "|u1", "|b1", "<i1", "<u1": width = 1
        default:
            throw DataError.badNpy(file: file, reason: "unsupported dtype '\(dtype)' (use little-endian float32/float64/int/uint/bool)")
        }
        let dataStart = headerStart + headerLen
        // Sizes from the header are checked (overflow, the file's real size, the memory cap) before allocating.
        let count: Int
        do {
            count = try CheckedSize.array(dims: [rows, cols], elementSize: width, available: bytes.count - dataStart,
                                          path: file, object: "shape \(shapeText)").count
        } catch FileError.implausibleSize(_, _, _) {
            let need = CheckedSize.product([rows, cols, width]).map { "\($0) bytes of data" } ?? "more data than any file can hold"
            throw DataError.badNpy(file: file, reason: "header shape \(shapeText) of \(dtype) needs \(need) but the file holds \(bytes.count - dataStart) bytes; the file is damaged or not a complete .npy file")
        }
        guard cols > 0 else { throw DataError.badNpy(file: file, reason: "shape \(shapeText) has no columns; give at least one column") }
        guard rows > 0 else { throw DataError.emptyFile(file: file) }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let p = raw.baseAddress! + dataStart
            for i in 0..<count {
                let q = p + i * width
                switch dtype {
                case "<f8": values[i] = Double(bitPattern: UInt64(littleEndian: q.loadUnaligned(as: UInt64.self)))
                case "<f4": values[i] = Double(Float(bitPattern: UInt32(littleEndian: q.loadUnaligned(as: UInt32.self))))
                case "<i8": values[i] = Double(Int64(littleEndian: q.loadUnaligned(as: Int64.self)))
                case "<u8": values[i] = Double(UInt64(littleEndian: q.loadUnaligned(as: UInt64.self)))
                case "<i4": values[i] = Double(Int32(littleEndian: q.loadUnaligned(as: Int32.self)))
                case "<u4": values[i] = Double(UInt32(littleEndian: q.loadUnaligned(as: UInt32.self)))
                case "<i2": values[i] = Double(Int16(littleEndian: q.loadUnaligned(as: Int16.self)))
                case "<u2": values[i] = Double(UInt16(littleEndian: q.loadUnaligned(as: UInt16.self)))
                case "|i1", "<i1": values[i] = Double(q.load(as: Int8.self))
                default: values[i] = Double(q.load(as: UInt8.self))
                }
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError.parse(file: file, line: bad / cols + 1, column: bad % cols + 1,
                                  reason: "non-finite value (NaN and Inf are not allowed)")
        }
        return DataMatrix(rows: rows, cols: cols, values: values)
    }

    /// The text of `'key': value` in a Python dict literal header (value up to the next top-level comma/brace).
    private static func field(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[r.upperBound...].drop(while: { $0 == " " })
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop(while: { $0 == " " })
        var depth = 0
        var out = ""
        for ch in rest {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1; if depth < 0 { break } }
            if depth == 0 && (ch == "," || ch == "}") { break }
            out.append(ch)
        }
        if out.hasPrefix("(") && !out.hasSuffix(")") { out += ")" }
        return out
    }
}

/// Writes NumPy `.npy` files (format 1.0, little-endian `<f8`, C order) readable by `numpy.load`.
public enum NpyWriter {
    /// The bytes of a float64 array of `shape` (row-major `values`; count must equal the shape's product).
    public static func float64Bytes(_ values: [Double], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "NpyWriter: \(values.count) values do not fill shape \(shape)")
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(dims)), }"
        // Magic (6) + version (2) + header length (2) + header + newline, padded to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let n = header.utf8.count
        bytes += [UInt8(n & 0xFF), UInt8(n >> 8)]
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + 8 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    /// Writes a float64 array atomically (`AtomicFile`: temporary sibling, fsync, rename).
    public static func write(_ values: [Double], shape: [Int], to path: String) throws {
        try AtomicFile.write(float64Bytes(values, shape: shape), to: path)
    }
}
