// SHA-256 via swift-crypto (BoringSSL's assembly on Linux, CryptoKit on Apple platforms): buffers, whole files
// streamed in 1 MiB chunks.
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Streaming SHA-256 (FIPS 180-4): `update` with any number of chunks, then `finalize`/`finalizeHex`.
public struct SHA256Hasher {
    private var hasher = Crypto.SHA256()

    /// A fresh hasher.
    public init() {}

    /// Feeds the raw bytes into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// Feeds `bytes` into the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds `data` into the hash.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest of everything fed so far.
    public func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }

    /// The lowercase hex digest of everything fed so far.
    public func finalizeHex() -> String {
        Self.hexString(finalize())
    }

    /// Lowercase hex of any bytes.
    public static func hexString<C: Sequence>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The hex digest of `bytes`.
    public static func hex<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        var h = SHA256Hasher()
        if let done: Void = bytes.withContiguousStorageIfAvailable({ h.update(UnsafeRawBufferPointer($0)) }) {
            _ = done
        } else {
            h.update(Array(bytes))
        }
        return h.finalizeHex()
    }

    /// The hex digest of `data`.
    public static func hex(of data: Data) -> String {
        var h = SHA256Hasher()
        h.update(data)
        return h.finalizeHex()
    }

    /// The hex digest and byte size of the file at `path`, read in 1 MiB chunks (plain bytes, no decompression).
    public static func hexOfFile(_ path: String) throws -> (hex: String, size: Int) {
        var h = SHA256Hasher()
        var size = 0
        try forEachChunk(of: path) { chunk in
            h.update(chunk)
            size += chunk.count
        }
        return (h.finalizeHex(), size)
    }

    /// Calls `body` with successive chunks (at most 1 MiB) of the file at `path`.
    public static func forEachChunk(of path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError.system(operation: "opening", path: path, errno: errno) }
        defer { close(fd) }
        let size = 1 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf.baseAddress, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError.system(operation: "reading", path: path, errno: errno)
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
    }
}
