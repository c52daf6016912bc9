// The one family of fast exponentials: branch-free, no libm calls, so loops over them vectorise.
//
// Every member computes eˣ = 2ⁿ·eʳ the same way:
//   n = round(x·log₂e)   by the shifter trick (x·log₂e + 1.5·2ᵐ − 1.5·2ᵐ, m = mantissa bits: no floor or
//                        float→int conversion, which the default x86-64 target cannot vectorise),
//   r = x − n·ln2        with ln2 in two parts (exact product with the high part), |r| ≤ ln2/2,
//   eʳ                   by a polynomial in r,
//   2ⁿ                   written into the exponent bits.
// Members:
//   fastExp(Float)            Cephes expf polynomial (degree 6), 2ⁿ as two factors: ≤ 2.4e-7 relative error,
//                             0 below −87.34, +∞ above 88.72, NaN for NaN. The Float elementwise exp, sigmoid
//                             and softmax (`Float.kernelExp`).
//   fastExp(SIMD8<Float>)     the same operations on 8 lanes: bit-identical to fastExp(Float) lane by lane
//                             (tested), for kernels that keep one head per lane.
//   fastExp2Nonpositive(SIMD8<Float>)
//                             2ᵗ for t ≤ 0 (the argument is already x·log₂e, so n = round(t) and 2^(t−n) is a
//                             degree-7 polynomial in (t−n)·ln2): ≈ 1.5e-7 relative error, clamped at t = −125.
//                             The Float head-width-2 attention kernels scale scores by log₂e once per query.
//   fastExp(Double)           degree-12 Taylor polynomial with FMAs (Estrin's scheme for the terms of degree ≥ 4):
//                             ≤ 3.1e-16 relative error on [−700, 700], clamped to [−708, 709].
//   fastExp(SIMD4<Double>)    the same operations on 4 lanes: bit-identical to fastExp(Double) lane by lane
//                             (tested); the planar Double attention kernel relies on this to match the Double
//                             head-width-2 kernel's softmax.
// All are @inlinable so kernels in other modules inline and vectorise them.
// Accuracy against libm is tested in VigilTensorTests/FastExpTests.swift.

/// eˣ for Float without libm calls (vectorisable): x = n·ln2 + r, eʳ by a degree-6 polynomial (Cephes
/// expf coefficients), 2ⁿ from the exponent bits. Relative error ≤ 2.4e-7 on [−87, 88]; returns 0 below
/// −87.34 (where expf is subnormal), +∞ above 88.72, NaN for NaN.
@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float {
    let xc = Swift.min(Swift.max(x, -87.5), 88.75)
    // n = round(x·log2 e) by the 1.5·2²³ trick (no floor: the default x86-64 target has no SSE4.1 roundps).
    let n = (xc * 1.44269504088896341 + 12582912) - 12582912
    var r = xc - n * 0.693359375
    r = r - n * (-2.12194440e-4)
    let z = r * r
    var y: Float = 1.9875691500e-4
    y = y * r + 1.3981999507e-3
    y = y * r + 8.3333452301e-3
    y = y * r + 4.1665795894e-2
    y = y * r + 1.6666665459e-1
    y = y * r + 5.0000001201e-1
    y = y * z + r + 1
    // 2ⁿ as 2^n1 · 2^n2 (each factor a normal float for n ∈ [−127, 129]); exponent bits via the 2²³ trick
    // (no float→int conversion, so the loop stays vectorisable).
    let n1 = (n * 0.5 + 12582912) - 12582912, n2 = n - n1
    let s1 = Float(bitPattern: ((n1 + 8388735).bitPattern & 0x7F_FFFF) << 23)
    let s2 = Float(bitPattern: ((n2 + 8388735).bitPattern & 0x7F_FFFF) << 23)
    var out = y * s1 * s2
    out = x < -87.33654 ? 0 : out
    out = x > 88.72283 ? .infinity : out
    return x.isNaN ? x : out
}

/// `fastExp(Float)` on 8 lanes: the same operations in the same order, so each lane is bit-identical to the
/// scalar function.
@inlinable @inline(__always)
public func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var xc = x.replacing(with: -87.5, where: x .< -87.5)
    xc = xc.replacing(with: 88.75, where: xc .> 88.75)
    let n = (xc * 1.44269504088896341 + 12582912) - 12582912
    var r = xc - n * 0.693359375
    r = r - n * (-2.12194440e-4)
    let z = r * r
    var y = SIMD8<Float>(repeating: 1.9875691500e-4)
    y = y * r + 1.3981999507e-3
    y = y * r + 8.3333452301e-3
    y = y * r + 4.1665795894e-2
    y = y * r + 1.6666665459e-1
    y = y * r + 5.0000001201e-1
    y = y * z + r + 1
    let n1 = (n * 0.5 + 12582912) - 12582912, n2 = n - n1
    let mantissa = SIMD8<UInt32>(repeating: 0x7F_FFFF)
    let s1 = unsafeBitCast((unsafeBitCast(n1 + 8388735, to: SIMD8<UInt32>.self) & mantissa) &<< 23, to: SIMD8<Float>.self)
    let s2 = unsafeBitCast((unsafeBitCast(n2 + 8388735, to: SIMD8<UInt32>.self) & mantissa) &<< 23, to: SIMD8<Float>.self)
    var out = y * s1 * s2
    out = out.replacing(with: 0, where: x .< -87.33654)
    out = out.replacing(with: .infinity, where: x .> 88.72283)
    return out.replacing(with: x, where: x .!= x)
}

/// 2ᵗ on 8 lanes for t ≤ 0 (softmax arguments in log₂ units), t clamped at −125:
/// n = round(t), f = t − n ∈ [−½, ½], 2ᶠ by its degree-7 Taylor polynomial in f·ln2 (truncation
/// < 5e-9), and n added to the exponent bits. Relative error ≈ 1.5e-7 (a few float ulp).
@inlinable @inline(__always)
public func fastExp2Nonpositive(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let shifter = SIMD8<Float>(repeating: 12582912)  // 1.5·2^23: t + shifter holds round(t) in its low bits
    let t = x.replacing(with: -125, where: x .< -125)
    let u = t + shifter
    let f = t - (u - shifter)
    // Σ_k c_k f^k, c_k = ln2^k / k!, k ≤ 7, by Estrin's scheme (short dependency chains)
    let f2 = f * f, f4 = f2 * f2
    let p01 = f * 6.9314718056e-1 + 1, p23 = f * 5.5504108665e-2 + 2.4022650696e-1
    let p45 = f * 1.3333558146e-3 + 9.6181291076e-3, p67 = f * 1.5252733804e-5 + 1.5403530393e-4
    let p = (p01 + f2 * p23) + f4 * (p45 + f2 * p67)
    // (bits of u) << 23 = n << 23 (the shifter's own bits shift out); add to p's exponent
    let nBits = unsafeBitCast(u, to: SIMD8<UInt32>.self) &<< 23
    return unsafeBitCast(unsafeBitCast(p, to: SIMD8<UInt32>.self) &+ nBits, to: SIMD8<Float>.self)
}

/// eˣ for Double: n = round(x/ln 2), r = x − n·ln 2 (two-part ln 2), eʳ by its degree-12 Taylor polynomial on
/// |r| ≤ ln2/2 (truncation < 2e-16) with fused multiply-adds: the terms of degree ≥ 4 in Estrin's scheme, the
/// leading ones by Horner's (which rounds them best),
///   aₘ = c₂ₘ + c₂ₘ₊₁·r (m = 2…5), b₁ = a₂ + a₃·r², b₂ = a₄ + a₅·r², Q = b₁ + (b₂ + c₁₂·r⁴)·r⁴   (Q = Σₖ₌₄¹² cₖ rᵏ⁻⁴),
///   eʳ ≈ 1 + r·(1 + r·(1/2 + r·(1/6 + r·Q))),   cₖ = 1/k!,
/// each "x + y·z" one rounding (`addingProduct`, an FMA instruction on the x86-64-v3 build). The dependency chain is
/// 7 steps where Horner's unfused chain was 24 operations deep, so the independent exps of an attention block
/// overlap instead of waiting on latency. Relative error against libm over [−700, 700] in steps of 0.000917: worst
/// 3.1e-16, mean 1.8e-17 (Horner's unfused chain: 4.7e-16 and 2.3e-17; Estrin's scheme throughout: 4.7e-16 and
/// 7.0e-17). Clamped to [−708, 709]. Every product-sum is fused, so a build without FMA instructions computes the
/// same bits through libm's `fma` (slowly); Vigil's x86 build targets x86-64-v3, which has them.
@inlinable @inline(__always)
public func fastExp(_ x: Double) -> Double {
    let shifter: Double = 6755399441055744  // 1.5·2^52
    var v = x < -708 ? -708 : x
    v = v > 709 ? 709 : v
    let t = v * 1.4426950408889634 + shifter
    let n = t - shifter
    var r = v - n * 6.93147180369123816490e-01
    r = r - n * 1.90821492927058770002e-10
    let r2 = r * r, r4 = r2 * r2
    let a2 = (1.0 / 24 as Double).addingProduct(1.0 / 120, r), a3 = (1.0 / 720 as Double).addingProduct(1.0 / 5040, r)
    let a4 = (1.0 / 40320 as Double).addingProduct(1.0 / 362880, r)
    let a5 = (1.0 / 3628800 as Double).addingProduct(1.0 / 39916800, r)
    let b1 = a2.addingProduct(a3, r2), b2 = a4.addingProduct(a5, r2)
    let q = b1.addingProduct(b2.addingProduct(1.0 / 479001600, r4), r4)
    var y = (1.0 / 6 as Double).addingProduct(q, r)
    y = (0.5 as Double).addingProduct(y, r)
    y = (1.0 as Double).addingProduct(y, r)
    y = (1.0 as Double).addingProduct(y, r)
    // n is integral and sits in the low mantissa bits of t: 2^n has bits (n + 1023) << 52
    let bits = (t.bitPattern &- shifter.bitPattern &+ 1023) &<< 52
    return y * Double(bitPattern: bits)
}

/// `fastExp(Double)` on 4 lanes: the same operations in the same order (every fused step fused), so each lane is
/// bit-identical to the scalar function.
@inlinable @inline(__always)
public func fastExp(_ x: SIMD4<Double>) -> SIMD4<Double> {
    typealias V = SIMD4<Double>
    let shifter = V(repeating: 6755399441055744)
    var v = x.replacing(with: -708, where: x .< -708)
    v = v.replacing(with: 709, where: v .> 709)
    let t = v * 1.4426950408889634 + shifter
    let n = t - shifter
    var r = v - n * 6.93147180369123816490e-01
    r = r - n * 1.90821492927058770002e-10
    let r2 = r * r, r4 = r2 * r2
    let a2 = V(repeating: 1.0 / 24).addingProduct(V(repeating: 1.0 / 120), r)
    let a3 = V(repeating: 1.0 / 720).addingProduct(V(repeating: 1.0 / 5040), r)
    let a4 = V(repeating: 1.0 / 40320).addingProduct(V(repeating: 1.0 / 362880), r)
    let a5 = V(repeating: 1.0 / 3628800).addingProduct(V(repeating: 1.0 / 39916800), r)
    let b1 = a2.addingProduct(a3, r2), b2 = a4.addingProduct(a5, r2)
    let q = b1.addingProduct(b2.addingProduct(V(repeating: 1.0 / 479001600), r4), r4)
    var y = V(repeating: 1.0 / 6).addingProduct(q, r)
    y = V(repeating: 0.5).addingProduct(y, r)
    y = V(repeating: 1).addingProduct(y, r)
    y = V(repeating: 1).addingProduct(y, r)
    let bits = (unsafeBitCast(t, to: SIMD4<UInt64>.self) &- SIMD4(repeating: shifter[0].bitPattern) &+ 1023) &<< 52
    return y * unsafeBitCast(bits, to: SIMD4<Double>.self)
}
