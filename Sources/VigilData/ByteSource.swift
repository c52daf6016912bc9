// Chunked reading of plain and gzip-compressed files (zlib), so multi-megabyte files are hashed and copied
// without holding two copies in memory.
import CZlib
import Foundation

/// Errors from reading local files (plain or gzip).
public enum FileReadError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// A read failed midway.
    case readFailed(path: String, reason: String)
    /// The gzip stream is corrupt or ends early (e.g. an interrupted copy).
    case corruptGzip(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open \(path): \(reason)"
        case let .readFailed(path, reason): return "reading \(path) failed: \(reason)"
        case let .corruptGzip(path, reason):
            return "\(path) is not a complete gzip file (\(reason)); re-copy it from the original source"
        }
    }
}

/// Reads a file in chunks, transparently gunzipping when the name ends in `.gz`.
enum ByteSource {
    static let chunkSize = 1 << 20

    /// Calls `body` with successive chunks of the (decompressed) content of `path`.
    static func forEachChunk(of path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if path.hasSuffix(".gz") {
            try forEachGunzippedChunk(of: path, body)
        } else {
            try forEachRawChunk(of: path, body)
        }
    }

    /// The whole (decompressed) content of `path`.
    static func readAll(_ path: String) throws -> [UInt8] {
        var out = [UInt8]()
        if !path.hasSuffix(".gz"), let attrs = try? FileManager.default.attributesOfItem(atPath: path),
           let size = attrs[.size] as? Int {
            out.reserveCapacity(size)
        }
        try forEachChunk(of: path) { out.append(contentsOf: $0) }
        return out
    }

    static func forEachRawChunk(of path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let fp = fopen(path, "rb") else {
            throw FileReadError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(fp) }
        var buf = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, chunkSize, fp) }
            if n > 0 { try buf.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
            if n < chunkSize {
                if ferror(fp) != 0 { throw FileReadError.readFailed(path: path, reason: String(cString: strerror(errno))) }
                return
            }
        }
    }

    static func forEachGunzippedChunk(of path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let fp = fopen(path, "rb") else {
            throw FileReadError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(fp) }
        var stream = z_stream()
        // windowBits 15 + 16: expect a gzip header and trailer.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FileReadError.corruptGzip(path: path, reason: "zlib could not initialise")
        }
        defer { inflateEnd(&stream) }
        var input = [UInt8](repeating: 0, count: chunkSize)
        var output = [UInt8](repeating: 0, count: chunkSize)
        var sawAnyInput = false
        var streamEnded = false  // the last gzip member finished cleanly
        while true {
            let n = input.withUnsafeMutableBytes { fread($0.baseAddress, 1, chunkSize, fp) }
            if n == 0 {
                if ferror(fp) != 0 { throw FileReadError.readFailed(path: path, reason: String(cString: strerror(errno))) }
                break
            }
            sawAnyInput = true
            try input.withUnsafeMutableBufferPointer { inBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = UInt32(n)
                while stream.avail_in > 0 {
                    if streamEnded {
                        // Another gzip member follows (concatenated .gz files are valid gzip).
                        guard inflateReset(&stream) == Z_OK else {
                            throw FileReadError.corruptGzip(path: path, reason: "cannot start next member")
                        }
                        streamEnded = false
                    }
                    var status: Int32 = Z_OK
                    let produced: Int = output.withUnsafeMutableBufferPointer { outBuf in
                        stream.next_out = outBuf.baseAddress
                        stream.avail_out = UInt32(chunkSize)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return chunkSize - Int(stream.avail_out)
                    }
                    if status == Z_STREAM_END {
                        streamEnded = true
                    } else if status != Z_OK && status != Z_BUF_ERROR {
                        let msg = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                        throw FileReadError.corruptGzip(path: path, reason: msg)
                    }
                    if produced > 0 {
                        try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
                    } else if status == Z_BUF_ERROR {
                        break
                    }
                }
            }
        }
        // Drain any output still buffered inside zlib.
        while !streamEnded && sawAnyInput {
            var status: Int32 = Z_OK
            let produced: Int = output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = nil
                stream.avail_in = 0
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(chunkSize)
                status = inflate(&stream, Z_NO_FLUSH)
                return chunkSize - Int(stream.avail_out)
            }
            if produced > 0 { try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if status == Z_STREAM_END { streamEnded = true; break }
            if produced == 0 { break }
        }
        guard sawAnyInput else { throw FileReadError.corruptGzip(path: path, reason: "the file is empty") }
        guard streamEnded else { throw FileReadError.corruptGzip(path: path, reason: "the stream ends early (truncated)") }
    }
}

extension ByteSource {
    /// Gzip-compresses `bytes` (zlib level 6, gzip wrapper); used to write `.gz` mirrors and test fixtures.
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(bytes.count))) + 64
        var out = [UInt8](repeating: 0, count: bound)
        var input = bytes
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate failed: \(status)")
                return outBuf.count - Int(stream.avail_out)
            }
        }
        return Array(out[0..<produced])
    }
}
