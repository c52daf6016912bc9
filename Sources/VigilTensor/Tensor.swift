@_exported import VigilRandom

/// Dense row-major tensor of rank 0…4 holding `Float` or `Double`, with reverse-mode autodiff.
///
/// Storage is one contiguous buffer owned by the tensor (views made by `reshaped`/`detached` share their
/// base's buffer and keep it alive). Ops record a backward closure when `GradMode.isEnabled` and an input
/// `requiresGrad`; `backward()` on a scalar result accumulates gradients into the leaves' `grad`.
public final class Tensor<Scalar: TensorScalar> {
    /// Dimensions, outermost first (rank 0 = scalar, shape `[]`).
    public let shape: [Int]
    /// Number of elements (product of `shape`).
    public let count: Int
    @usableFromInline let data: UnsafeMutablePointer<Scalar>
    /// Tensor whose buffer this view borrows (nil: this tensor owns `data`).
    let base: AnyObject?
    /// Whether gradients flow to this tensor (leaves: accumulate into `grad`).
    public var requiresGrad: Bool
    /// Accumulated gradient of the last scalar `backward()` calls (same shape), nil after `zeroGrad()`.
    public var grad: Tensor<Scalar>?

    // Autograd bookkeeping (see Autograd.swift).
    var gradNode: GradNode<Scalar>?
    var pendingGrad: Tensor<Scalar>?
    var visitMark: UInt64 = 0

    /// Uninitialised tensor of `shape` (internal: kernels fill it).
    init(uninitialized shape: [Int]) {
        precondition(shape.count <= 4, "Tensor: rank \(shape.count) > 4 is not supported (shape \(shapeString(shape)))")
        var c = 1
        for d in shape {
            precondition(d >= 0, "Tensor: negative dimension in shape \(shapeString(shape))")
            c *= d
        }
        self.shape = shape
        self.count = c
        self.data = BufferPool.shared.allocate(bytes: Swift.max(c, 1) * MemoryLayout<Scalar>.stride)
            .bindMemory(to: Scalar.self, capacity: Swift.max(c, 1))
        self.base = nil
        self.requiresGrad = false
    }

    /// A view of `source`'s buffer with a new shape of the same element count.
    init(viewOf source: Tensor<Scalar>, shape: [Int]) {
        self.shape = shape
        self.count = source.count
        self.data = source.data
        self.base = source.base ?? source
        self.requiresGrad = false
    }

    deinit {
        if base == nil { BufferPool.shared.release(UnsafeMutableRawPointer(data), bytes: Swift.max(count, 1) * MemoryLayout<Scalar>.stride) }
    }

    /// Tensor of `shape` with the given row-major `scalars` (count must match).
    public convenience init(shape: [Int], scalars: [Scalar]) {
        self.init(uninitialized: shape)
        precondition(scalars.count == count,
                     "Tensor(shape:scalars:): shape \(shapeString(shape)) needs \(count) scalars, got \(scalars.count)")
        scalars.withUnsafeBufferPointer { src in
            if count > 0 { UnsafeMutableRawPointer(data).copyMemory(from: src.baseAddress!, byteCount: count * MemoryLayout<Scalar>.stride) }
        }
    }

    /// Tensor of `shape` filled with `value`.
    public convenience init(repeating value: Scalar, shape: [Int]) {
        self.init(uninitialized: shape)
        Scalar.fill(data, count, value)
    }

    /// Zeros of `shape`.
    public convenience init(zeros shape: [Int]) {
        self.init(uninitialized: shape)
        if count > 0 { UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<Scalar>.stride) }
    }

    /// A tensor of `shape` whose elements are left uninitialised, for kernels in other modules that write every
    /// element before anything reads it (it saves `init(zeros:)`'s fill pass; reading an element first is a bug).
    public convenience init(unfilled shape: [Int]) { self.init(uninitialized: shape) }

    /// Ones of `shape`.
    public convenience init(ones shape: [Int]) { self.init(repeating: 1, shape: shape) }

    /// Rank-0 tensor holding `value`.
    public convenience init(scalar value: Scalar) { self.init(repeating: value, shape: []) }

    /// Uniform samples low + (high − low)·u, u = `rng.nextUnitDouble()` (one draw per element, row-major;
    /// drawn in Double so Float and Double tensors from the same seed agree to rounding).
    public convenience init(uniform shape: [Int], low: Scalar, high: Scalar, rng: inout Xoshiro256) {
        self.init(uninitialized: shape)
        let lo = Double(low), span = Double(high) - Double(low)
        var tmp = [Double](repeating: 0, count: count)
        for i in 0..<count { tmp[i] = lo + span * rng.nextUnitDouble() }
        tmp.withUnsafeBufferPointer { Scalar.fromDoubles($0.baseAddress!, data, count) }
    }

    /// Normal samples mean + std·z, z = `rng.nextGaussian()` (Box–Muller, one draw pair per element).
    public convenience init(normal shape: [Int], mean: Scalar, std: Scalar, rng: inout Xoshiro256) {
        self.init(uninitialized: shape)
        let m = Double(mean), s = Double(std)
        var tmp = [Double](repeating: 0, count: count)
        for i in 0..<count { tmp[i] = m + s * rng.nextGaussian() }
        tmp.withUnsafeBufferPointer { Scalar.fromDoubles($0.baseAddress!, data, count) }
    }

    /// Converts between precisions (`Tensor<Float>(doubleTensor)` and back); the result is a new leaf.
    public convenience init<Other: TensorScalar>(_ other: Tensor<Other>) {
        self.init(uninitialized: other.shape)
        var tmp = [Double](repeating: 0, count: count)
        tmp.withUnsafeMutableBufferPointer { Other.toDoubles(other.data, $0.baseAddress!, count) }
        tmp.withUnsafeBufferPointer { Scalar.fromDoubles($0.baseAddress!, data, count) }
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Copy of the elements in row-major order.
    public var scalars: [Scalar] {
        [Scalar](unsafeUninitializedCapacity: count) { buf, n in
            if count > 0 { UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: data, byteCount: count * MemoryLayout<Scalar>.stride) }
            n = count
        }
    }

    /// The single element of a one-element tensor.
    public var item: Scalar {
        precondition(count == 1, "Tensor.item: tensor of shape \(shapeString(shape)) has \(count) elements, not 1")
        return data[0]
    }

    /// Read access to the contiguous storage.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: data, count: count))
    }

    /// Write access to the contiguous storage (views share it with their base).
    @inlinable
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: data, count: count))
    }

    /// The storage, for raw-pointer kernels in other modules (the one way to get it outside a closure).
    /// Valid only while this tensor (or, for a view, its base) is alive: keep it alive across the use, e.g.
    /// with `withExtendedLifetime(tensor)`.
    @inlinable
    public var storage: UnsafeMutablePointer<Scalar> { data }

    /// Element at a full multi-index (for tests and small lookups; not for hot loops).
    public subscript(_ index: Int...) -> Scalar {
        get { data[flatIndex(index)] }
        set { data[flatIndex(index)] = newValue }
    }

    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor subscript: \(index.count) indices for shape \(shapeString(shape))")
        var off = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "Tensor subscript: index \(index) out of range for shape \(shapeString(shape))")
            off = off * d + i
        }
        return off
    }

    /// True when some element is NaN or ±∞ (check `loss.hasNonFinite` or `p.grad?.hasNonFinite`).
    public var hasNonFinite: Bool { Scalar.anyNonFinite(data, count) }
    /// True when every element is finite.
    public var allFinite: Bool { !hasNonFinite }

    /// A tensor sharing this storage, cut from the graph (no gradient flows through it).
    public func detached() -> Tensor<Scalar> { Tensor(viewOf: self, shape: shape) }

    /// A new tensor with a copy of the data (no graph).
    public func copy() -> Tensor<Scalar> {
        let t = Tensor(uninitialized: shape)
        if count > 0 { UnsafeMutableRawPointer(t.data).copyMemory(from: data, byteCount: count * MemoryLayout<Scalar>.stride) }
        return t
    }

    /// Overwrites the elements with `values` (same count), e.g. to load parameters. Not recorded.
    public func assign(_ values: [Scalar]) {
        precondition(values.count == count, "Tensor.assign: shape \(shapeString(shape)) needs \(count) values, got \(values.count)")
        values.withUnsafeBufferPointer { src in
            if count > 0 { UnsafeMutableRawPointer(data).copyMemory(from: src.baseAddress!, byteCount: count * MemoryLayout<Scalar>.stride) }
        }
    }

    /// Drops the accumulated gradient (`grad = nil`).
    public func zeroGrad() { grad = nil }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = count <= 12 ? scalars.map { "\($0)" }.joined(separator: ", ") : scalars.prefix(8).map { "\($0)" }.joined(separator: ", ") + ", …"
        return "Tensor<\(Scalar.dtypeName)>\(shapeString(shape))[\(shown)]"
    }
}
