// Generic kernel bodies. Each is `@inline(__always)` and only called from the concrete `Float`/`Double`
// conformances in TensorScalar.swift, so it is compiled once per scalar type, fully specialised.

enum Kernels {
    @inline(__always)
    static func unaryForward<T: TensorScalar>(_ op: UnaryKernel, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                              _ n: Int, _ p: T) {
        switch op {
        case .neg: for i in 0..<n { y[i] = -x[i] }
        case .square: for i in 0..<n { let v = x[i]; y[i] = v * v }
        case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
        case .exp: for i in 0..<n { y[i] = T.kernelExp(x[i]) }
        case .log: for i in 0..<n { y[i] = T.log(x[i]) }
        case .sigmoid:
            // Stable and branch-free: e = e^−|x|; σ = 1/(1+e) for x ≥ 0, e/(1+e) for x < 0.
            for i in 0..<n {
                let v = x[i]
                let e = T.kernelExp(-Swift.abs(v))
                let d = 1 / (1 + e)
                y[i] = v >= 0 ? d : e * d
            }
        case .tanh: for i in 0..<n { y[i] = T.tanh(x[i]) }
        case .leakyReLU: for i in 0..<n { let v = x[i]; y[i] = v > 0 ? v : p * v }
        case .addScalar: for i in 0..<n { y[i] = x[i] + p }
        case .mulScalar: for i in 0..<n { y[i] = x[i] * p }
        case .divScalar: for i in 0..<n { y[i] = x[i] / p }
        case .rsubScalar: for i in 0..<n { y[i] = p - x[i] }
        case .rdivScalar: for i in 0..<n { y[i] = p / x[i] }
        }
    }

    @inline(__always)
    static func unaryBackward<T: TensorScalar>(_ op: UnaryKernel, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>,
                                               _ gy: UnsafePointer<T>, _ gx: UnsafeMutablePointer<T>, _ n: Int, _ p: T) {
        switch op {
        case .neg, .rsubScalar: for i in 0..<n { gx[i] = -gy[i] }
        case .square: for i in 0..<n { gx[i] = 2 * x[i] * gy[i] }
        case .sqrt: for i in 0..<n { gx[i] = gy[i] / (2 * y[i]) }
        case .exp: for i in 0..<n { gx[i] = gy[i] * y[i] }
        case .log: for i in 0..<n { gx[i] = gy[i] / x[i] }
        case .sigmoid: for i in 0..<n { let s = y[i]; gx[i] = gy[i] * s * (1 - s) }
        case .tanh: for i in 0..<n { let t = y[i]; gx[i] = gy[i] * (1 - t * t) }
        case .leakyReLU: for i in 0..<n { gx[i] = x[i] > 0 ? gy[i] : p * gy[i] }
        case .addScalar: if n > 0 { gx.update(from: gy, count: n) }
        case .mulScalar: for i in 0..<n { gx[i] = gy[i] * p }
        case .divScalar: for i in 0..<n { gx[i] = gy[i] / p }
        case .rdivScalar: for i in 0..<n { gx[i] = -gy[i] * y[i] / x[i] }
        }
    }

    @inline(__always)
    static func binaryLoop<T: TensorScalar>(_ plan: StridedPlan, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
                                            _ c: UnsafeMutablePointer<T>, _ f: (T, T) -> T) {
        let n3 = plan.n[3], sa = plan.s1[3], sb = plan.s2[3]
        if plan.n[0] == 1 && plan.n[1] == 1 && plan.n[2] == 1 && sa == 1 && sb == 1 {
            for i in 0..<n3 { c[i] = f(a[i], b[i]) }
            return
        }
        plan.forEachRow { o, oa, ob in
            let cp = c + o, ap = a + oa, bp = b + ob
            if sa == 1 && sb == 1 {
                for i in 0..<n3 { cp[i] = f(ap[i], bp[i]) }
            } else if sa == 1 && sb == 0 {
                let bv = bp[0]
                for i in 0..<n3 { cp[i] = f(ap[i], bv) }
            } else if sa == 0 && sb == 1 {
                let av = ap[0]
                for i in 0..<n3 { cp[i] = f(av, bp[i]) }
            } else {
                for i in 0..<n3 { cp[i] = f(ap[i * sa], bp[i * sb]) }
            }
        }
    }

    @inline(__always)
    static func binaryForward<T: TensorScalar>(_ op: BinaryKernel, _ plan: StridedPlan, _ a: UnsafePointer<T>,
                                               _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>) {
        switch op {
        case .add: binaryLoop(plan, a, b, c) { $0 + $1 }
        case .sub: binaryLoop(plan, a, b, c) { $0 - $1 }
        case .mul: binaryLoop(plan, a, b, c) { $0 * $1 }
        case .div: binaryLoop(plan, a, b, c) { $0 / $1 }
        case .squaredDifference: binaryLoop(plan, a, b, c) { let d = $0 - $1; return d * d }
        }
    }

    @inline(__always)
    static func reduceSum<T: TensorScalar>(_ plan: StridedPlan, _ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
        let n3 = plan.n[3], sd = plan.s1[3]
        plan.forEachRow { o, od, _ in
            let sp = src + o, dp = dst + od
            if sd == 1 {
                for i in 0..<n3 { dp[i] += sp[i] }
            } else if sd == 0 {
                dp[0] += rowDot(sp, nil, n3)
            } else {
                for i in 0..<n3 { dp[i * sd] += sp[i] }
            }
        }
    }

    @inline(__always)
    static func stridedCopy<T: TensorScalar>(_ plan: StridedPlan, _ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
        let n3 = plan.n[3], ss = plan.s1[3]
        if ss == 1 && n3 <= 4 {
            // Short contiguous rows (e.g. head size 2 in attention transposes): fixed-size copies, no memmove calls.
            switch n3 {
            case 1: plan.forEachRow { o, os, _ in dst[o] = src[os] }
            case 2: plan.forEachRow { o, os, _ in dst[o] = src[os]; dst[o + 1] = src[os + 1] }
            case 3: plan.forEachRow { o, os, _ in dst[o] = src[os]; dst[o + 1] = src[os + 1]; dst[o + 2] = src[os + 2] }
            default: plan.forEachRow { o, os, _ in
                dst[o] = src[os]; dst[o + 1] = src[os + 1]; dst[o + 2] = src[os + 2]; dst[o + 3] = src[os + 3]
            }
            }
            return
        }
        plan.forEachRow { o, os, _ in
            let dp = dst + o, sp = src + os
            if ss == 1 {
                dp.update(from: sp, count: n3)
            } else if ss == 0 {
                let v = sp[0]
                for i in 0..<n3 { dp[i] = v }
            } else {
                for i in 0..<n3 { dp[i] = sp[i * ss] }
            }
        }
    }

    /// max of p[0..<n] (n ≥ 1) with four independent chains (short dependency chains for short rows).
    @inline(__always)
    static func rowMax<T: TensorScalar>(_ p: UnsafePointer<T>, _ n: Int) -> T {
        var m0 = p[0], m1 = p[0], m2 = p[0], m3 = p[0]
        var j = 0
        while j + 4 <= n {
            let a = p[j], b = p[j + 1], c = p[j + 2], d = p[j + 3]
            m0 = a > m0 ? a : m0; m1 = b > m1 ? b : m1; m2 = c > m2 ? c : m2; m3 = d > m3 ? d : m3
            j += 4
        }
        while j < n { let a = p[j]; m0 = a > m0 ? a : m0; j += 1 }
        let x = m0 > m1 ? m0 : m1, y = m2 > m3 ? m2 : m3
        return x > y ? x : y
    }

    /// Σ p[j]·q[j] (or Σ p[j] when q is nil) with four partial sums.
    @inline(__always)
    static func rowDot<T: TensorScalar>(_ p: UnsafePointer<T>, _ q: UnsafePointer<T>?, _ n: Int) -> T {
        var s0: T = 0, s1: T = 0, s2: T = 0, s3: T = 0
        var j = 0
        if let q {
            while j + 4 <= n {
                s0 += p[j] * q[j]; s1 += p[j + 1] * q[j + 1]; s2 += p[j + 2] * q[j + 2]; s3 += p[j + 3] * q[j + 3]
                j += 4
            }
            while j < n { s0 += p[j] * q[j]; j += 1 }
        } else {
            while j + 4 <= n {
                s0 += p[j]; s1 += p[j + 1]; s2 += p[j + 2]; s3 += p[j + 3]
                j += 4
            }
            while j < n { s0 += p[j]; j += 1 }
        }
        return (s0 + s1) + (s2 + s3)
    }

    @inline(__always)
    static func softmaxForward<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ rows: Int, _ cols: Int) {
        guard cols > 0 else { return }
        // Blocks of rows (≈ 4096 elements, cache-resident): y = x − rowmax row by row, then one contiguous
        // (vectorised) exp pass over the whole block — short rows such as attention's 10 keys would otherwise
        // spend most of their time in scalar loop remainders — then normalise row by row.
        let blockRows = Swift.max(1, 4096 / cols)
        var r0 = 0
        while r0 < rows {
            let nr = Swift.min(blockRows, rows - r0)
            let xb = x + r0 * cols, yb = y + r0 * cols
            for r in 0..<nr {
                let xp = xb + r * cols, yp = yb + r * cols
                let m = rowMax(xp, cols)
                for j in 0..<cols { yp[j] = xp[j] - m }
            }
            let n = nr * cols
            for i in 0..<n { yb[i] = T.kernelExp(yb[i]) }
            for r in 0..<nr {
                let yp = yb + r * cols
                let inv = 1 / rowDot(UnsafePointer(yp), nil, cols)
                for j in 0..<cols { yp[j] *= inv }
            }
            r0 += nr
        }
    }

    @inline(__always)
    static func softmaxBackward<T: TensorScalar>(_ y: UnsafePointer<T>, _ gy: UnsafePointer<T>, _ gx: UnsafeMutablePointer<T>,
                                                 _ rows: Int, _ cols: Int) {
        for r in 0..<rows {
            let yp = y + r * cols, gp = gy + r * cols, xp = gx + r * cols
            let dot = rowDot(gp, yp, cols)
            for j in 0..<cols { xp[j] = yp[j] * (gp[j] - dot) }
        }
    }

    @inline(__always)
    static func sumAll<T: TensorScalar>(_ x: UnsafePointer<T>, _ n: Int) -> Double {
        var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
        var i = 0
        while i + 4 <= n {
            a0 += Double(x[i]); a1 += Double(x[i + 1]); a2 += Double(x[i + 2]); a3 += Double(x[i + 3])
            i += 4
        }
        while i < n { a0 += Double(x[i]); i += 1 }
        return (a0 + a1) + (a2 + a3)
    }

    @inline(__always)
    static func fill<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ n: Int, _ v: T) {
        for i in 0..<n { x[i] = v }
    }

    @inline(__always)
    static func anyNonFinite<T: TensorScalar>(_ x: UnsafePointer<T>, _ n: Int) -> Bool {
        // x − x is 0 for finite x and NaN for NaN/±∞; NaN propagates through the sum.
        var acc: T = 0
        for i in 0..<n { acc += x[i] - x[i] }
        return !acc.isFinite || acc != 0
    }
}
