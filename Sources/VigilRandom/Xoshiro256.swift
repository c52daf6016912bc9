import RealModule

/// Seeded pseudo-random generator: xoshiro256** (Blackman & Vigna, 2018) with its 256-bit state
/// filled from a 64-bit seed by SplitMix64. The same seed gives the same stream on every platform.
///
/// Derived streams (`fork(stream:)`) seed a new generator from SplitMix64(seed ⊕ golden·(stream+1)),
/// so parallel workers (trees of a forest, sweep trials) get independent, reproducible streams that do not
/// depend on how many threads run them.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64
    /// The seed this generator was created from (kept for reports and for `fork`).
    public let seed: UInt64

    /// Creates a generator whose state is four successive SplitMix64 outputs of `seed`.
    public init(seed: UInt64) {
        self.seed = seed
        var sm = SplitMix64(state: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// A generator for an independent sub-stream `stream` of this seed (does not advance `self`).
    public func fork(stream: UInt64) -> Xoshiro256 {
        var sm = SplitMix64(state: seed ^ (0x9E37_79B9_7F4A_7C15 &* (stream &+ 1)))
        return Xoshiro256(seed: sm.next())
    }

    /// Next 64 random bits: result = rotl(s1 · 5, 7) · 9, then the xoshiro256 state transition.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform Double in [0, 1) from the top 53 bits.
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform Float in [0, 1) from the top 24 bits.
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// Uniform integer in 0..<bound (Lemire's multiply-shift with rejection; bound > 0).
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "Xoshiro256.nextInt(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Standard normal sample by the Box–Muller transform (one of the pair; uses two uniforms).
    @inlinable
    public mutating func nextGaussian() -> Double {
        var u1 = nextUnitDouble()
        while u1 <= 0 { u1 = nextUnitDouble() }
        let u2 = nextUnitDouble()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): the seeding generator for xoshiro.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// Current state; each call adds the golden-ratio increment.
    public var state: UInt64
    /// Creates the generator at `state`.
    public init(state: UInt64) { self.state = state }
    /// Next output: z = state += 0x9E3779B97F4A7C15, then two xor-shift-multiply rounds.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
