// SHA-256 (FIPS 180-4), streaming, used to verify downloaded SMD files against the committed manifest.

/// Streaming SHA-256 hasher (FIPS 180-4): `update` with any number of chunks, then `finalize` for the digest.
public struct SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    // state (8 words) followed by the message schedule (64 words), one allocation per hasher.
    private var words: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ] + [UInt32](repeating: 0, count: 64)
    private var pending = [UInt8](repeating: 0, count: 64)
    private var pendingCount = 0
    private var totalBytes: UInt64 = 0

    /// A fresh hasher.
    public init() {}

    /// Hashes `bytes` in one call and returns the lowercase hex digest.
    public static func hex<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        var h = SHA256()
        h.update(Array(bytes))
        return h.finalizeHex()
    }

    /// Feeds `bytes` into the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the raw bytes into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var src = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        totalBytes &+= UInt64(remaining)
        let kk = Self.k
        var pc = pendingCount
        words.withUnsafeMutableBufferPointer { wb in
            pending.withUnsafeMutableBufferPointer { pb in
                let w = wb.baseAddress!
                let p = pb.baseAddress!
                if pc > 0 {
                    let take = min(64 - pc, remaining)
                    (p + pc).update(from: src.assumingMemoryBound(to: UInt8.self), count: take)
                    pc += take
                    src += take
                    remaining -= take
                    if pc == 64 {
                        Self.compress(w, UnsafeRawPointer(p), kk)
                        pc = 0
                    }
                }
                while remaining >= 64 {
                    Self.compress(w, src, kk)
                    src += 64
                    remaining -= 64
                }
                if remaining > 0 {
                    p.update(from: src.assumingMemoryBound(to: UInt8.self), count: remaining)
                    pc = remaining
                }
            }
        }
        pendingCount = pc
    }

    /// Finishes the hash (padding + length) and returns the 32-byte digest. The hasher must not be reused.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        var pad: [UInt8] = [0x80]
        let padZeros = (55 &- pendingCount + 64) % 64
        pad += [UInt8](repeating: 0, count: padZeros)
        for i in (0..<8).reversed() { pad.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        let saved = totalBytes
        update(pad)
        totalBytes = saved
        precondition(pendingCount == 0)
        var out = [UInt8]()
        out.reserveCapacity(32)
        for i in 0..<8 {
            let v = words[i]
            out += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        }
        return out
    }

    /// Finishes the hash and returns the lowercase hex digest.
    public mutating func finalizeHex() -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(64)
        for b in finalize() {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 15)])
        }
        return s
    }

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }

    /// One 64-byte block. w[0..<8]: state, w[8..<72]: schedule.
    private static func compress(_ w: UnsafeMutablePointer<UInt32>, _ block: UnsafeRawPointer, _ k: [UInt32]) {
        let s = w + 8
        for i in 0..<16 {
            let b = block + 4 * i
            s[i] = UInt32(b.load(fromByteOffset: 0, as: UInt8.self)) << 24
                | UInt32(b.load(fromByteOffset: 1, as: UInt8.self)) << 16
                | UInt32(b.load(fromByteOffset: 2, as: UInt8.self)) << 8
                | UInt32(b.load(fromByteOffset: 3, as: UInt8.self))
        }
        for i in 16..<64 {
            let x = s[i - 15], y = s[i - 2]
            let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
            let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
            s[i] = s[i - 16] &+ s0 &+ s[i - 7] &+ s1
        }
        var a = w[0], b = w[1], c = w[2], d = w[3], e = w[4], f = w[5], g = w[6], h = w[7]
        k.withUnsafeBufferPointer { kp in
            for i in 0..<64 {
                let S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = h &+ S1 &+ ch &+ kp[i] &+ s[i]
                let S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = S0 &+ maj
                h = g; g = f; f = e; e = d &+ t1
                d = c; c = b; b = a; a = t1 &+ t2
            }
        }
        w[0] &+= a; w[1] &+= b; w[2] &+= c; w[3] &+= d
        w[4] &+= e; w[5] &+= f; w[6] &+= g; w[7] &+= h
    }
}
