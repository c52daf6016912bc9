import XCTest
import Foundation
@testable import VigilIO

final class SHA256Tests: XCTestCase {
    func testFIPSVectors() {
        XCTAssertEqual(SHA256Hasher.hex(of: [UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256Hasher.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256Hasher.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256Hasher.hex(of: Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testMillionAInUnevenChunks() {
        var h = SHA256Hasher()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        var fed = 0
        var sizes = [1, 63, 64, 65, 127, 999, 1000]
        while fed < 1_000_000 {
            let n = min(sizes.first!, 1_000_000 - fed)
            sizes.append(sizes.removeFirst())
            h.update(Array(chunk[0..<n]))
            fed += n
        }
        XCTAssertEqual(h.finalizeHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testPaddingBoundaries() {
        // Lengths around the 55/56/64-byte padding edges, checked against values from Python's hashlib.
        let expected: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
        ]
        for (n, hex) in expected {
            XCTAssertEqual(SHA256Hasher.hex(of: [UInt8](repeating: UInt8(ascii: "a"), count: n)), hex, "length \(n)")
        }
    }

    func testFileDigestStreamsChunks() throws {
        let dir = try IOTempDir()
        // 3 MiB + 5 bytes crosses the 1 MiB read chunks; the expected digest is the one-shot digest.
        let bytes = (0..<(3 << 20) + 5).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let p = try dir.write("f.bin", bytes)
        let (hex, size) = try SHA256Hasher.hexOfFile(p)
        XCTAssertEqual(size, bytes.count)
        XCTAssertEqual(hex, SHA256Hasher.hex(of: bytes))
        XCTAssertThrowsError(try SHA256Hasher.hexOfFile(dir.sub("missing"))) { e in
            XCTAssertEqual(e as? FileError, .system(operation: "opening", path: dir.sub("missing"), errno: ENOENT))
        }
    }
}
