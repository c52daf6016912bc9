// Dropout keep-masks: every dropout in Vigil draws its mask here.
//
// One rule for every op: element i is kept iff its uniform u_i ≥ p, with u_i = c_i·2⁻ᵏ for a k-bit chunk c_i of
// a xoshiro256** draw, i.e. iff c_i ≥ ⌈p·2ᵏ⌉ (`threshold(p:bits:)`); kept elements are scaled by 1/(1−p).
// Two chunk widths remain, each fixed by the masks that trained models were made with:
//   k = 16  (`fill`, `fillBatched`, `fillKeep`, `fillKeepBatched`): four elements per draw, low chunk first. The
//           attention weights, the fused residual dropout and TranAD's encoder input. A batched mask cuts the batch
//           into chunks of 16 elements whose streams are forked off one draw, so it does not depend on the thread
//           count; the keep forms write the same decisions as bytes (1 kept, 0 dropped).
//   k = 32  (`applyDropout32`): two elements per draw, low half first. `dropout(_:p:rng:training:)`.
// Merging the widths (32 → 16 bits for `dropout`) would be one scheme, but it changes which elements the
// feed-forward dropout drops and so every trained TranAD weight; it is left for a change that may alter results.

/// Dropout keep-mask generation (see the file header for the draw layout).
public enum DropoutMask {
    /// Chunks per batched-mask stream: batch elements [16c, 16c + 16) draw from `fork(stream: c)`.
    public static let batchChunk = 16

    /// ⌈p·2ᵏ⌉: a k-bit chunk c keeps its element iff c ≥ this (⟺ u = c·2⁻ᵏ ≥ p).
    @inlinable
    public static func threshold(p: Double, bits: Int) -> UInt64 {
        UInt64((p * Double(UInt64(1) << UInt64(bits))).rounded(.up))
    }

    /// mask[i] = 0 with probability ≈ p, else 1/(1−p), for i < count: 16-bit chunks of `rng`'s draws (element
    /// 4j + c from bits 16c..<16c+16 of draw j; a last partial draw is used from its low bits up).
    /// Branch-free: the keep factor's bits ANDed with all-ones (kept) or zero (dropped), written as integers
    /// (a select between two floats compiles to a branch on x86, which mispredicts on random masks); the four
    /// chunks of a draw are its four little-endian UInt16 lanes, decided in SIMD lanes (two draws per 8-lane store).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func fill<T: TensorScalar>(_ mask: UnsafeMutablePointer<T>, count: Int, p: Double, rng: inout Xoshiro256) {
        let threshold = threshold(p: p, bits: 16)
        let keep = T(1 / (1 - p)).bitPattern
        if MemoryLayout<T>.size == 4 {
            fillLanes(UnsafeMutableRawPointer(mask), count: count, threshold: UInt32(truncatingIfNeeded: threshold),
                      keep: UInt32(truncatingIfNeeded: keep), rng: &rng)
        } else {
            precondition(MemoryLayout<T>.size == 8, "DropoutMask.fill: scalars of 4 or 8 bytes")
            fillLanes(UnsafeMutableRawPointer(mask), count: count, threshold: UInt64(threshold), keep: UInt64(truncatingIfNeeded: keep),
                      rng: &rng)
        }
    }

    /// `fill` on the bit patterns (U = UInt32 for Float, UInt64 for Double): lane value keep & (all-ones iff
    /// chunk ≥ threshold), from (chunk − threshold) >> (bits − 1) (1 exactly when chunk < threshold ≤ 2¹⁶) minus 1.
    @inline(__always)
    private static func fillLanes<U: FixedWidthInteger & UnsignedInteger & SIMDScalar>(
        _ raw: UnsafeMutableRawPointer, count: Int, threshold: U, keep: U, rng: inout Xoshiro256
    ) {
        let m = raw.assumingMemoryBound(to: U.self)
        let top = U(U.bitWidth - 1)
        let th8 = SIMD8<U>(repeating: threshold), keep8 = SIMD8<U>(repeating: keep)
        var i = 0
        while i + 8 <= count {
            let a = unsafeBitCast(rng.next(), to: SIMD4<UInt16>.self), b = unsafeBitCast(rng.next(), to: SIMD4<UInt16>.self)
            let chunks = SIMD8<U>(truncatingIfNeeded: SIMD8<UInt16>(lowHalf: a, highHalf: b))
            let v = keep8 & (((chunks &- th8) &>> top) &- 1)
            (raw + i * MemoryLayout<U>.stride).storeBytes(of: v, as: SIMD8<U>.self)
            i += 8
        }
        @inline(__always) func value(_ chunk: UInt64) -> U {
            keep & (((U(truncatingIfNeeded: chunk) &- threshold) &>> top) &- 1)
        }
        if i + 4 <= count {
            let bits = rng.next()
            m[i] = value(bits & 0xFFFF)
            m[i + 1] = value((bits >> 16) & 0xFFFF)
            m[i + 2] = value((bits >> 32) & 0xFFFF)
            m[i + 3] = value(bits >> 48)
            i += 4
        }
        if i < count {
            var bits = rng.next()
            while i < count {
                m[i] = value(bits & 0xFFFF)
                bits >>= 16
                i += 1
            }
        }
    }

    /// A (batch, perBatch) mask by `fill`: batch elements in chunks of `batchChunk`, chunk c drawing from
    /// `Xoshiro256(seed: rng.next()).fork(stream: c)` (one draw of `rng`), chunks spread over `threads`
    /// threads; the mask depends on the seed only, not on the thread count.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func fillBatched<T: TensorScalar>(_ mask: UnsafeMutablePointer<T>, batch: Int, perBatch: Int, p: Double,
                                                    rng: inout Xoshiro256, threads: Int = 1) {
        forEachBatchChunk(batch: batch, perBatch: perBatch, rng: &rng, threads: threads) { offset, count, r in
            fill(mask + offset, count: count, p: p, rng: &r)
        }
    }

    /// keep[i] = 1 where `fill(_:count:p:rng:)` keeps element i (its mask value is 1/(1−p)) and 0 where it drops it,
    /// from the same draws of `rng` (four 16-bit chunks per draw, low chunk first, kept iff chunk ≥ ⌈p·2¹⁶⌉; a last
    /// partial draw used from its low bits up): one byte per element instead of a 4- or 8-byte mask value.
    public static func fillKeep(_ keep: UnsafeMutablePointer<UInt8>, count: Int, p: Double, rng: inout Xoshiro256) {
        let threshold = threshold(p: p, bits: 16)
        let th8 = SIMD8<UInt32>(repeating: UInt32(threshold))
        var i = 0
        while i + 8 <= count {
            let a = unsafeBitCast(rng.next(), to: SIMD4<UInt16>.self), b = unsafeBitCast(rng.next(), to: SIMD4<UInt16>.self)
            let chunks = SIMD8<UInt32>(truncatingIfNeeded: SIMD8<UInt16>(lowHalf: a, highHalf: b))
            // (chunk − threshold) >> 31 is 1 exactly when chunk < threshold (dropped)
            let kept = SIMD8<UInt8>(truncatingIfNeeded: ((chunks &- th8) &>> 31) ^ 1)
            UnsafeMutableRawPointer(keep + i).storeBytes(of: kept, as: SIMD8<UInt8>.self)
            i += 8
        }
        var bits: UInt64 = 0
        while i < count {
            if i % 4 == 0 { bits = rng.next() }
            keep[i] = (bits & 0xFFFF) >= threshold ? 1 : 0
            bits >>= 16
            i += 1
        }
    }

    /// Keep bytes of a (batch, perBatch) mask drawn as `fillBatched` draws its values: batch elements in chunks of
    /// `batchChunk`, chunk c from `Xoshiro256(seed: rng.next()).fork(stream: c)` (one draw of `rng`) by `fillKeep`,
    /// chunks spread over `threads` threads; the bytes depend on the seed only, not on the thread count.
    public static func fillKeepBatched(_ keep: UnsafeMutablePointer<UInt8>, batch: Int, perBatch: Int, p: Double,
                                       rng: inout Xoshiro256, threads: Int = 1) {
        forEachBatchChunk(batch: batch, perBatch: perBatch, rng: &rng, threads: threads) { offset, count, r in
            fillKeep(keep + offset, count: count, p: p, rng: &r)
        }
    }

    /// The stream layout both batched fills share: one draw of `rng` seeds a base generator; batch elements go in
    /// chunks of `batchChunk`, chunk c gets `base.fork(stream: c)` and its elements [offset, offset + count) of the
    /// (batch, perBatch) buffer; chunks are spread over `threads` threads (results do not depend on how).
    private static func forEachBatchChunk(batch: Int, perBatch: Int, rng: inout Xoshiro256, threads: Int,
                                          _ body: (_ offset: Int, _ count: Int, _ rng: inout Xoshiro256) -> Void) {
        let base = Xoshiro256(seed: rng.next())
        let chunks = (batch + batchChunk - 1) / batchChunk
        Threads.forEachChunk(chunks, threads: threads) { c0, nc in
            for c in c0..<(c0 + nc) {
                var r = base.fork(stream: UInt64(c))
                let b0 = c * batchChunk, b1 = Swift.min(batch, b0 + batchChunk)
                body(b0 * perBatch, (b1 - b0) * perBatch, &r)
            }
        }
    }

    /// y = x ⊙ m with m[i] = scale if kept else 0, kept iff the element's 32-bit chunk ≥ ⌈p·2³²⌉ (element 2j from
    /// the low half of draw j, 2j + 1 from its high half; ⌈n/2⌉ draws). Mask and output in one pass.
    @inline(__always)
    static func applyDropout32<T: TensorScalar>(_ x: UnsafePointer<T>, mask m: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                                                count n: Int, p: Double, scale: T, rng: inout Xoshiro256) {
        let threshold = threshold(p: p, bits: 32)
        var g = rng
        var i = 0
        while i + 2 <= n {
            let r = g.next()
            let m0: T = (r & 0xFFFF_FFFF) >= threshold ? scale : 0
            let m1: T = (r >> 32) >= threshold ? scale : 0
            m[i] = m0; m[i + 1] = m1
            y[i] = x[i] * m0; y[i + 1] = x[i + 1] * m1
            i += 2
        }
        if i < n {
            let m0: T = (g.next() & 0xFFFF_FFFF) >= threshold ? scale : 0
            m[i] = m0; y[i] = x[i] * m0
        }
        rng = g
    }
}
