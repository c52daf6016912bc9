// Little-endian byte assembly and bounds-checked reading, plus zlib's CRC-32 (the checksum ZIP stores per entry).
import CZlib

/// CRC-32 (ISO-HDLC: polynomial 0xEDB88320 reflected, init and final XOR 0xFFFFFFFF) — the checksum
/// APPNOTE.TXT §4.4.7 puts in every ZIP entry; computed by zlib's `crc32`, in ≤ 1 GiB chunks because
/// zlib's length parameter is 32-bit.
func crc32Checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt = crc32(0, nil, 0)
    let chunk = 1 << 30
    let done: Bool? = bytes.withContiguousStorageIfAvailable { buf -> Bool in
        var start = 0
        while start < buf.count {
            let n = min(chunk, buf.count - start)
            crc = crc32(crc, buf.baseAddress! + start, uInt(n))
            start += n
        }
        return true
    }
    if done == nil {
        let copy = Array(bytes)
        return crc32Checksum(copy)
    }
    return UInt32(truncatingIfNeeded: crc)
}

/// Appends fixed-width little-endian integers and raw bytes to a growing buffer.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((v >> UInt64(s)) & 0xFF)) } }
    mutating func append<C: Collection>(_ c: C) where C.Element == UInt8 { bytes.append(contentsOf: c) }
    mutating func ascii(_ s: String) { bytes.append(contentsOf: Array(s.utf8)) }
}

/// Reads little-endian integers at absolute offsets of a byte array; every read is bounds-checked and
/// returns nil instead of trapping when it would run past the end.
struct ByteView {
    let bytes: [UInt8]

    func u8(_ at: Int) -> UInt8? { at >= 0 && at < bytes.count ? bytes[at] : nil }

    func u16(_ at: Int) -> UInt16? {
        guard at >= 0, at <= bytes.count - 2 else { return nil }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    func u32(_ at: Int) -> UInt32? {
        guard at >= 0, at <= bytes.count - 4 else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[at + i]) << UInt32(8 * i) }
        return v
    }

    /// `bytes[at ..< at + count]`, or nil when the range is negative or leaves the array.
    func slice(_ at: Int, _ count: Int) -> ArraySlice<UInt8>? {
        guard at >= 0, count >= 0, at <= bytes.count, count <= bytes.count - at else { return nil }
        return bytes[at..<(at + count)]
    }
}
