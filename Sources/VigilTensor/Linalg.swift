// matmul, batched matmul and linear through cblas_sgemm / cblas_dgemm.

/// Row-major GEMM c = op(x)·op(y) (+ c when accumulate): op(x) is rows×inner, op(y) inner×cols;
/// x is stored (inner, rows) when tx, else (rows, inner); y is stored (cols, inner) when ty, else (inner, cols).
@inline(__always)
@_specialize(where S == Float)
@_specialize(where S == Double)
func gemm<S: TensorScalar>(_ tx: Bool, _ ty: Bool, rows: Int, cols: Int, inner: Int,
                           _ x: UnsafePointer<S>, _ y: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>, accumulate: Bool = false) {
    if rows == 0 || cols == 0 { return }
    if inner == 0 {
        if !accumulate { S.fill(c, rows * cols, 0) }
        return
    }
    S.gemm(transA: tx, transB: ty, m: rows, n: cols, k: inner, alpha: 1,
           a: x, lda: tx ? rows : inner, b: y, ldb: ty ? inner : cols,
           beta: accumulate ? 1 : 0, c: c, ldc: cols)
}

/// Matrix product: (m, k)·(k, n) → (m, n); batched (…, m, k)·(…, k, n) → (…, m, n) with equal leading
/// (batch) dims (one GEMM per batch item); (…, m, k)·(k, n) folds the batch into one GEMM.
/// `transposeA`/`transposeB` use the last two dims of the operand transposed (no copy).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func matmul<S>(_ a: Tensor<S>, _ b: Tensor<S>, transposeA: Bool = false, transposeB: Bool = false) -> Tensor<S> {
    let outShape = check { try Shapes.matmul(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB) }
    let ra = a.rank
    let m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
    let k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    let out = Tensor<S>(uninitialized: outShape)
    let tA = transposeA, tB = transposeB
    if b.rank == 2 && (ra == 2 || !tA) {
        // Batch (if any) folds into the rows: one GEMM.
        let rows = tA ? m : a.shape.dropLast().reduce(1, *)
        gemm(tA, tB, rows: rows, cols: n, inner: k, a.data, b.data, out.data)
        if shouldRecord(a, b) {
            let needA = a.requiresGrad, needB = b.requiresGrad
            out.record("matmul", [a, b]) { gy, _ in
                var ga: Tensor<S>? = nil, gb: Tensor<S>? = nil
                if needA {
                    let g = Tensor<S>(uninitialized: a.shape)
                    if !tA { gemm(false, !tB, rows: rows, cols: k, inner: n, gy.data, b.data, g.data) }   // dA = dC·op(B)ᵀ
                    else { gemm(tB, true, rows: k, cols: m, inner: n, b.data, gy.data, g.data) }        // dA = op(B)·dCᵀ
                    ga = g
                }
                if needB {
                    let g = Tensor<S>(uninitialized: b.shape)
                    if !tB { gemm(!tA, false, rows: k, cols: n, inner: rows, a.data, gy.data, g.data) } // dB = op(A)ᵀ·dC
                    else { gemm(true, tA, rows: n, cols: k, inner: rows, gy.data, a.data, g.data) }     // dB = dCᵀ·op(A)
                    gb = g
                }
                return [ga, gb]
            }
        }
        return out
    }
    if b.rank == 2 {
        shapeFailure(.rank(op: "matmul (transposeA with a 2-D right operand)", shape: a.shape, expected: "2 when the right operand is 2-D and transposeA is set"))
    }
    // Batched: equal batch dims, one GEMM per item.
    let batch = a.shape.dropLast(2).reduce(1, *)
    let sa = m * k, sb = k * n, sc = m * n
    for i in 0..<batch {
        gemm(tA, tB, rows: m, cols: n, inner: k, a.data + i * sa, b.data + i * sb, out.data + i * sc)
    }
    if shouldRecord(a, b) {
        let needA = a.requiresGrad, needB = b.requiresGrad
        out.record("matmul", [a, b]) { gy, _ in
            var ga: Tensor<S>? = nil, gb: Tensor<S>? = nil
            if needA {
                let g = Tensor<S>(uninitialized: a.shape)
                for i in 0..<batch {
                    let gyi = gy.data + i * sc, bi = b.data + i * sb, gi = g.data + i * sa
                    if !tA { gemm(false, !tB, rows: m, cols: k, inner: n, gyi, bi, gi) }
                    else { gemm(tB, true, rows: k, cols: m, inner: n, bi, gyi, gi) }
                }
                ga = g
            }
            if needB {
                let g = Tensor<S>(uninitialized: b.shape)
                for i in 0..<batch {
                    let gyi = gy.data + i * sc, ai = a.data + i * sa, gi = g.data + i * sb
                    if !tB { gemm(!tA, false, rows: k, cols: n, inner: m, ai, gyi, gi) }
                    else { gemm(true, tA, rows: n, cols: k, inner: m, gyi, ai, gi) }
                }
                gb = g
            }
            return [ga, gb]
        }
    }
    return out
}

/// Affine map y = x·Wᵀ + b: x (…, in), weight (out, in) (PyTorch layout), bias (out) or nil → (…, out).
/// All leading dims fold into one GEMM (y = x·Wᵀ), then one pass adds the bias to every row (`addRowBias`).
/// Each y element is the GEMM's dot product plus b rounded once, the bits the earlier form gave (bias rows copied
/// into y and the GEMM accumulating onto them with β = 1: OpenBLAS adds its finished dot product to C, one rounding,
/// when it does not split the inner dimension: its input width, at most 76 in TranAD (a test checks 16, 76 and 152), and
/// scripts/check-bit-identity matched. At 640, OpenBLAS 0.3.21's β = 1 result differs from C + its β = 0 result in
/// about a third of the elements, so a larger input width may round differently from the old form). The
/// row copies were 2,560 memmove calls per TranAD encoder forward on a worker's 64 windows (perf: 3.3 % of an
/// epoch's samples under the encoder's forward).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func linear<S>(_ x: Tensor<S>, _ weight: Tensor<S>, _ bias: Tensor<S>?) -> Tensor<S> {
    let outShape = check { try Shapes.linear(x.shape, weight.shape, bias?.shape) }
    let nOut = weight.shape[0], nIn = weight.shape[1]
    let rows = x.shape.dropLast().reduce(1, *)
    let out = Tensor<S>(uninitialized: outShape)
    gemm(false, true, rows: rows, cols: nOut, inner: nIn, x.data, weight.data, out.data)
    if let bias { addRowBias(out.data, bias.data, rows: rows, cols: nOut) }
    let needX = x.requiresGrad, needW = weight.requiresGrad, needB = bias?.requiresGrad ?? false
    if GradMode.isEnabled && (needX || needW || needB) {
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        out.record("linear", inputs) { gy, _ in
            var grads: [Tensor<S>?] = [nil, nil]
            if needX {
                let g = Tensor<S>(uninitialized: x.shape)
                gemm(false, false, rows: rows, cols: nIn, inner: nOut, gy.data, weight.data, g.data)   // dX = dY·W
                grads[0] = g
            }
            if needW {
                let g = Tensor<S>(uninitialized: weight.shape)
                gemm(true, false, rows: nOut, cols: nIn, inner: rows, gy.data, x.data, g.data)         // dW = dYᵀ·X
                grads[1] = g
            }
            if let bias {
                if needB {
                    let g = Tensor<S>(zeros: bias.shape)                                                 // db = Σ_rows dY
                    S.reduceSum(StridedPlan(n: SIMD4(1, 1, rows, nOut), s1: SIMD4(0, 0, 0, 1), s2: SIMD4(0, 0, 0, 0)), gy.data, g.data)
                    grads.append(g)
                } else {
                    grads.append(nil)
                }
            }
            return grads
        }
    }
    return out
}

/// y[r, c] += b[c] for r < rows, c < cols (y row-major (rows, cols), b (cols)): the bias pass of `linear`.
@inline(__always)
func addRowBias<S: TensorScalar>(_ y: UnsafeMutablePointer<S>, _ b: UnsafePointer<S>, rows: Int, cols: Int) {
    for r in 0..<rows {
        let yr = y + r * cols
        for c in 0..<cols { yr[c] = yr[c] + b[c] }
    }
}
