// Elementwise ops with NumPy broadcasting, scalar ops and unary functions, each with its backward.

extension Tensor {
    /// Sums `self` (shaped like a broadcast result) down to `target` (a shape it was broadcast from).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func sumToShape(_ target: [Int]) -> Tensor<Scalar> {
        if shape == target { return self }
        let out = Tensor(zeros: target)
        let plan = StridedPlan(shape: shape, st1: broadcastStrides(target, to: shape), st2: [Int](repeating: 0, count: shape.count))
        Scalar.reduceSum(plan, data, out.data)
        return out
    }

    /// Broadcast copy of `self` to `target` (a shape `self` broadcasts to).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func expanded(to target: [Int]) -> Tensor<Scalar> {
        if shape == target { return self }
        let out = Tensor(uninitialized: target)
        let plan = StridedPlan(shape: target, st1: broadcastStrides(shape, to: target), st2: [Int](repeating: 0, count: target.count))
        Scalar.stridedCopy(plan, data, out.data)
        return out
    }
}

extension Tensor {
    /// Broadcast copy to `shape` (NumPy rules; `self` must broadcast to it). Backward sums over the
    /// broadcast dims.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func broadcasted(to target: [Int]) -> Tensor<Scalar> {
        let s = check { try Shapes.broadcast(shape, target, op: "broadcast") }
        if s != target { shapeFailure(.broadcast(op: "broadcast", lhs: shape, rhs: target)) }
        let out = shape == target ? copy() : expanded(to: target)
        if shouldRecord(self) {
            let src = shape
            out.record("broadcast", [self]) { gy, _ in [gy.sumToShape(src)] }
        }
        return out
    }
}

/// c = a ∘ b with broadcasting (no recording).
@_specialize(where S == Float)
@_specialize(where S == Double)
func binaryRaw<S>(_ op: BinaryKernel, _ a: Tensor<S>, _ b: Tensor<S>, _ name: String) -> Tensor<S> {
    if a.shape == b.shape {
        let out = Tensor<S>(uninitialized: a.shape)
        S.binaryForward(op, .flat(a.count), a.data, b.data, out.data)
        return out
    }
    let shape = check { try Shapes.broadcast(a.shape, b.shape, op: name) }
    let out = Tensor<S>(uninitialized: shape)
    if b.count == 1 && a.count == out.count {
        S.binaryForward(op, StridedPlan(n: SIMD4(1, 1, 1, out.count), s1: SIMD4(0, 0, 0, 1), s2: SIMD4(0, 0, 0, 0)), a.data, b.data, out.data)
    } else if a.count == 1 && b.count == out.count {
        S.binaryForward(op, StridedPlan(n: SIMD4(1, 1, 1, out.count), s1: SIMD4(0, 0, 0, 0), s2: SIMD4(0, 0, 0, 1)), a.data, b.data, out.data)
    } else {
        let plan = StridedPlan(shape: shape, st1: broadcastStrides(a.shape, to: shape), st2: broadcastStrides(b.shape, to: shape))
        S.binaryForward(op, plan, a.data, b.data, out.data)
    }
    return out
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func binaryOp<S>(_ op: BinaryKernel, _ a: Tensor<S>, _ b: Tensor<S>, _ name: String) -> Tensor<S> {
    let out = binaryRaw(op, a, b, name)
    if shouldRecord(a, b) {
        let aShape = a.shape, bShape = b.shape
        let needA = a.requiresGrad, needB = b.requiresGrad
        switch op {
        case .add:
            out.record(name, [a, b]) { gy, _ in
                [needA ? gy.sumToShape(aShape) : nil, needB ? gy.sumToShape(bShape) : nil]
            }
        case .sub:
            out.record(name, [a, b]) { gy, _ in
                [needA ? gy.sumToShape(aShape) : nil, needB ? (-gy).sumToShape(bShape) : nil]
            }
        case .mul:
            out.record(name, [a, b]) { gy, _ in
                [needA ? binaryRaw(.mul, gy, b, name).sumToShape(aShape) : nil,
                 needB ? binaryRaw(.mul, gy, a, name).sumToShape(bShape) : nil]
            }
        case .div:
            // d(a/b)/da = 1/b; d(a/b)/db = −a/b² = −y/b
            out.record(name, [a, b]) { gy, y in
                [needA ? binaryRaw(.div, gy, b, name).sumToShape(aShape) : nil,
                 needB ? (-binaryRaw(.div, binaryRaw(.mul, gy, y, name), b, name)).sumToShape(bShape) : nil]
            }
        case .squaredDifference:
            // d(a−b)²/da = 2(a−b)
            out.record(name, [a, b]) { gy, _ in
                let d2 = binaryRaw(.mul, binaryRaw(.sub, a, b, name), gy, name) * 2
                return [needA ? d2.sumToShape(aShape) : nil, needB ? (-d2).sumToShape(bShape) : nil]
            }
        }
    }
    return out
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func unaryOp<S>(_ op: UnaryKernel, _ x: Tensor<S>, _ p: S, _ name: String) -> Tensor<S> {
    let out = Tensor<S>(uninitialized: x.shape)
    S.unaryForward(op, x.data, out.data, x.count, p)
    if shouldRecord(x) {
        out.record(name, [x]) { gy, y in
            let gx = Tensor<S>(uninitialized: x.shape)
            S.unaryBackward(op, x: x.data, y: y.data, gy: gy.data, gx: gx.data, x.count, p)
            return [gx]
        }
    }
    return out
}

extension Tensor {
    /// a + b (NumPy broadcasting).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (a: Tensor, b: Tensor) -> Tensor { binaryOp(.add, a, b, "add") }
    /// a − b (NumPy broadcasting).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (a: Tensor, b: Tensor) -> Tensor { binaryOp(.sub, a, b, "sub") }
    /// a ⊙ b (NumPy broadcasting).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (a: Tensor, b: Tensor) -> Tensor { binaryOp(.mul, a, b, "mul") }
    /// a / b (NumPy broadcasting).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (a: Tensor, b: Tensor) -> Tensor { binaryOp(.div, a, b, "div") }
    /// −x
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static prefix func - (x: Tensor) -> Tensor { unaryOp(.neg, x, 0, "neg") }

    /// x + s
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (x: Tensor, s: Scalar) -> Tensor { unaryOp(.addScalar, x, s, "addScalar") }
    /// s + x
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (s: Scalar, x: Tensor) -> Tensor { unaryOp(.addScalar, x, s, "addScalar") }
    /// x − s
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (x: Tensor, s: Scalar) -> Tensor { unaryOp(.addScalar, x, -s, "subScalar") }
    /// s − x
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (s: Scalar, x: Tensor) -> Tensor { unaryOp(.rsubScalar, x, s, "rsubScalar") }
    /// x · s
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (x: Tensor, s: Scalar) -> Tensor { unaryOp(.mulScalar, x, s, "mulScalar") }
    /// s · x
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (s: Scalar, x: Tensor) -> Tensor { unaryOp(.mulScalar, x, s, "mulScalar") }
    /// x / s
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (x: Tensor, s: Scalar) -> Tensor { unaryOp(.divScalar, x, s, "divScalar") }
    /// s / x
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (s: Scalar, x: Tensor) -> Tensor { unaryOp(.rdivScalar, x, s, "rdivScalar") }
}

/// x² elementwise.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func square<S>(_ x: Tensor<S>) -> Tensor<S> { unaryOp(.square, x, 0, "square") }
/// √x elementwise.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sqrt<S>(_ x: Tensor<S>) -> Tensor<S> { unaryOp(.sqrt, x, 0, "sqrt") }
/// eˣ elementwise.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func exp<S>(_ x: Tensor<S>) -> Tensor<S> { unaryOp(.exp, x, 0, "exp") }
/// ln x elementwise.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func log<S>(_ x: Tensor<S>) -> Tensor<S> { unaryOp(.log, x, 0, "log") }
/// σ(x) = 1/(1+e⁻ˣ) elementwise (stable for large |x|).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sigmoid<S>(_ x: Tensor<S>) -> Tensor<S> { unaryOp(.sigmoid, x, 0, "sigmoid") }
/// tanh x elementwise.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func tanh<S>(_ x: Tensor<S>) -> Tensor<S> { unaryOp(.tanh, x, 0, "tanh") }
/// max(x, 0) elementwise (gradient 0 at x = 0, as PyTorch).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func relu<S>(_ x: Tensor<S>) -> Tensor<S> { unaryOp(.leakyReLU, x, 0, "relu") }
/// x > 0 ? x : slope·x elementwise; slope 1 is the identity (gradient slope at x ≤ 0, as PyTorch).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func leakyReLU<S>(_ x: Tensor<S>, slope: S = 0.01) -> Tensor<S> { unaryOp(.leakyReLU, x, slope, "leakyReLU") }

/// Mean-squared-error reduction mode.
public enum LossReduction: Sendable { case none, mean, sum }

/// (a − b)² elementwise (`.none`), its mean (`.mean`, rank-0) or sum (`.sum`). Shapes must be equal.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func mseLoss<S>(_ a: Tensor<S>, _ b: Tensor<S>, reduction: LossReduction = .mean) -> Tensor<S> {
    if a.shape != b.shape {
        shapeFailure(.mismatch(op: "mseLoss", lhs: a.shape, rhs: b.shape, detail: "differ (input and target must have the same shape)"))
    }
    let sq = binaryOp(.squaredDifference, a, b, "mseLoss")
    switch reduction {
    case .none: return sq
    case .mean: return sq.mean()
    case .sum: return sq.sum()
    }
}

/// Inverted dropout: keeps each element with probability 1 − p and scales kept ones by 1/(1 − p).
///
/// The mask takes 32-bit uniforms u from `rng.next()` (low then high half of each draw, row-major; kept when
/// u ≥ p, i.e. ⌈n/2⌉ draws for n elements; `DropoutMask.applyDropout32`), so the same generator state gives the
/// same mask for Float and Double. Identity (returns `x` itself, no draws) when `training == false` or `p == 0`;
/// all zeros when p == 1.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func dropout<S>(_ x: Tensor<S>, p: Double, rng: inout Xoshiro256, training: Bool) -> Tensor<S> {
    precondition(p >= 0 && p <= 1, "dropout: probability must be in [0, 1], got \(p)")
    if !training || p == 0 { return x }
    let mask = Tensor<S>(uninitialized: x.shape)
    let out = Tensor<S>(uninitialized: x.shape)
    DropoutMask.applyDropout32(x.data, mask: mask.data, out.data, count: x.count, p: p, scale: p >= 1 ? 0 : S(1 / (1 - p)), rng: &rng)
    if shouldRecord(x) {
        out.record("dropout", [x]) { gy, _ in
            let gx = Tensor<S>(uninitialized: gy.shape)
            S.binaryForward(.mul, .flat(gy.count), gy.data, mask.data, gx.data)
            return [gx]
        }
    }
    return out
}
