import CBLAS
import RealModule

/// Selector of an elementwise unary kernel `y = f(x; p)` (p is the scalar parameter where one is used).
public enum UnaryKernel: Sendable {
    case neg, square, sqrt, exp, log, sigmoid, tanh
    /// y = x > 0 ? x : p·x
    case leakyReLU
    /// y = x + p
    case addScalar
    /// y = x · p
    case mulScalar
    /// y = x / p
    case divScalar
    /// y = p − x
    case rsubScalar
    /// y = p / x
    case rdivScalar
}

/// Selector of an elementwise binary kernel `c = f(a, b)`.
public enum BinaryKernel: Sendable {
    case add, sub, mul, div
    /// c = (a − b)²
    case squaredDifference
}

/// Scalar types a `Tensor` can hold (`Float`, `Double`).
///
/// Every per-element loop is a static requirement implemented concretely by `Float` and `Double`, so generic
/// tensor code dispatches once per op to a specialised kernel and never runs unspecialised per element.
/// Elementary functions (`T.log`, `T.tanh`, `T.exp`, …) come from swift-numerics' `Real`: its Float/Double
/// functions are transparent calls of the same libm functions the hand-written Glibc wrappers called, so
/// results are bit-identical and the release-build instruction counts unchanged (scripts/check-bit-identity,
/// scripts/callgrind-tranad).
public protocol TensorScalar: BinaryFloatingPoint & Real & Sendable & CustomStringConvertible & SIMDScalar & Codable
where RawSignificand: FixedWidthInteger {
    /// Unsigned integer of the scalar's width (`UInt32`, `UInt64`), for branch-free bit tricks (dropout masks).
    associatedtype BitPattern: FixedWidthInteger & UnsignedInteger
    /// The IEEE 754 bits (as `Float.bitPattern`).
    var bitPattern: BitPattern { get }
    /// The scalar with these IEEE 754 bits (as `Float(bitPattern:)`).
    init(bitPattern: BitPattern)
    /// "float32" / "float64".
    static var dtypeName: String { get }
    /// C = alpha·op(A)·op(B) + beta·C, row-major (cblas_sgemm / cblas_dgemm). op(A) is m×k, op(B) k×n.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y[i] = f(x[i]; p), i < n (y may alias x).
    static func unaryForward(_ op: UnaryKernel, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>,
                             _ n: Int, _ p: Self)
    /// gx[i] = gy[i] · f'(x[i]) (using the forward output y where cheaper).
    static func unaryBackward(_ op: UnaryKernel, x: UnsafePointer<Self>, y: UnsafePointer<Self>,
                              gy: UnsafePointer<Self>, gx: UnsafeMutablePointer<Self>, _ n: Int, _ p: Self)
    /// c = f(a, b) over `plan` (c is operand 0, a operand 1, b operand 2).
    static func binaryForward(_ op: BinaryKernel, _ plan: StridedPlan, _ a: UnsafePointer<Self>,
                              _ b: UnsafePointer<Self>, _ c: UnsafeMutablePointer<Self>)
    /// dst[off1] += src[o] over `plan` (src operand 0, contiguous; dst operand 1, stride 0 on reduced dims).
    static func reduceSum(_ plan: StridedPlan, _ src: UnsafePointer<Self>, _ dst: UnsafeMutablePointer<Self>)
    /// dst[o] = src[off1] over `plan` (dst operand 0, contiguous): permutes and broadcasts.
    static func stridedCopy(_ plan: StridedPlan, _ src: UnsafePointer<Self>, _ dst: UnsafeMutablePointer<Self>)
    /// Row softmax over `cols`-long rows: y = exp(x − max) / Σ exp(x − max).
    static func softmaxForward(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, rows: Int, cols: Int)
    /// gx = y ⊙ (gy − Σ_row gy ⊙ y).
    static func softmaxBackward(y: UnsafePointer<Self>, gy: UnsafePointer<Self>, gx: UnsafeMutablePointer<Self>,
                                rows: Int, cols: Int)
    /// Σ x[i] accumulated in Double (four lanes).
    static func sumAll(_ x: UnsafePointer<Self>, _ n: Int) -> Double
    /// x[i] = v for i < n.
    static func fill(_ x: UnsafeMutablePointer<Self>, _ n: Int, _ v: Self)
    /// True when some x[i] is NaN or ±∞.
    static func anyNonFinite(_ x: UnsafePointer<Self>, _ n: Int) -> Bool
    /// x[i] = Self(src[i]) (from Double storage).
    static func fromDoubles(_ src: UnsafePointer<Double>, _ x: UnsafeMutablePointer<Self>, _ n: Int)
    /// dst[i] = Double(x[i]).
    static func toDoubles(_ x: UnsafePointer<Self>, _ dst: UnsafeMutablePointer<Double>, _ n: Int)
    /// eˣ as the elementwise kernels (exp, sigmoid, softmax) compute it: `fastExp` (FastExp.swift) for
    /// Float, so their loops vectorise; libm `exp` (`Double.exp`) for Double.
    static func kernelExp(_ x: Self) -> Self
}

extension Float: TensorScalar {
    public static var dtypeName: String { "float32" }
    /// eˣ by a branch-free polynomial (`fastExp`, FastExp.swift), so loops over it vectorise.
    @inline(__always) public static func kernelExp(_ x: Float) -> Float { fastExp(x) }
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func unaryForward(_ op: UnaryKernel, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ p: Float) {
        Kernels.unaryForward(op, x, y, n, p)
    }
    public static func unaryBackward(_ op: UnaryKernel, x: UnsafePointer<Float>, y: UnsafePointer<Float>, gy: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, _ n: Int, _ p: Float) {
        Kernels.unaryBackward(op, x, y, gy, gx, n, p)
    }
    public static func binaryForward(_ op: BinaryKernel, _ plan: StridedPlan, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        Kernels.binaryForward(op, plan, a, b, c)
    }
    public static func reduceSum(_ plan: StridedPlan, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        Kernels.reduceSum(plan, src, dst)
    }
    public static func stridedCopy(_ plan: StridedPlan, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        Kernels.stridedCopy(plan, src, dst)
    }
    public static func softmaxForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Kernels.softmaxForward(x, y, rows, cols)
    }
    public static func softmaxBackward(y: UnsafePointer<Float>, gy: UnsafePointer<Float>, gx: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Kernels.softmaxBackward(y, gy, gx, rows, cols)
    }
    public static func sumAll(_ x: UnsafePointer<Float>, _ n: Int) -> Double { Kernels.sumAll(x, n) }
    public static func fill(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ v: Float) { Kernels.fill(x, n, v) }
    public static func anyNonFinite(_ x: UnsafePointer<Float>, _ n: Int) -> Bool { Kernels.anyNonFinite(x, n) }
    public static func fromDoubles(_ src: UnsafePointer<Double>, _ x: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { x[i] = Float(src[i]) }
    }
    public static func toDoubles(_ x: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { dst[i] = Double(x[i]) }
    }
}

extension Double: TensorScalar {
    public static var dtypeName: String { "float64" }
    @inline(__always) public static func kernelExp(_ x: Double) -> Double { Double.exp(x) }
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func unaryForward(_ op: UnaryKernel, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int, _ p: Double) {
        Kernels.unaryForward(op, x, y, n, p)
    }
    public static func unaryBackward(_ op: UnaryKernel, x: UnsafePointer<Double>, y: UnsafePointer<Double>, gy: UnsafePointer<Double>, gx: UnsafeMutablePointer<Double>, _ n: Int, _ p: Double) {
        Kernels.unaryBackward(op, x, y, gy, gx, n, p)
    }
    public static func binaryForward(_ op: BinaryKernel, _ plan: StridedPlan, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>) {
        Kernels.binaryForward(op, plan, a, b, c)
    }
    public static func reduceSum(_ plan: StridedPlan, _ src: UnsafePointer<Double>, _ dst: UnsafeMutablePointer<Double>) {
        Kernels.reduceSum(plan, src, dst)
    }
    public static func stridedCopy(_ plan: StridedPlan, _ src: UnsafePointer<Double>, _ dst: UnsafeMutablePointer<Double>) {
        Kernels.stridedCopy(plan, src, dst)
    }
    public static func softmaxForward(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, rows: Int, cols: Int) {
        Kernels.softmaxForward(x, y, rows, cols)
    }
    public static func softmaxBackward(y: UnsafePointer<Double>, gy: UnsafePointer<Double>, gx: UnsafeMutablePointer<Double>, rows: Int, cols: Int) {
        Kernels.softmaxBackward(y, gy, gx, rows, cols)
    }
    public static func sumAll(_ x: UnsafePointer<Double>, _ n: Int) -> Double { Kernels.sumAll(x, n) }
    public static func fill(_ x: UnsafeMutablePointer<Double>, _ n: Int, _ v: Double) { Kernels.fill(x, n, v) }
    public static func anyNonFinite(_ x: UnsafePointer<Double>, _ n: Int) -> Bool { Kernels.anyNonFinite(x, n) }
    public static func fromDoubles(_ src: UnsafePointer<Double>, _ x: UnsafeMutablePointer<Double>, _ n: Int) {
        if n > 0 { x.update(from: src, count: n) }
    }
    public static func toDoubles(_ x: UnsafePointer<Double>, _ dst: UnsafeMutablePointer<Double>, _ n: Int) {
        if n > 0 { dst.update(from: x, count: n) }
    }
}
