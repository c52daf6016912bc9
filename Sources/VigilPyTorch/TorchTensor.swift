// Dense CPU tensors as PyTorch stores them in a checkpoint: a dtype, a shape and the little-endian bytes of the
// elements in C (row-major) order.

/// The element types PyTorch's legacy typed storages name in a checkpoint's persistent ids.
///
/// The storage class names are the globals `torch.save` pickles for each dtype (`torch/storage.py`,
/// `_dtype_to_storage_type_map`); every one is in the weights-only unpickler's allowlist
/// (`torch/_weights_only_unpickler.py`, `_get_allowed_globals`: `torch._storage_classes`).
public enum TorchDType: String, CaseIterable, Sendable {
    case float16, bfloat16, float32, float64, uint8, int8, int16, int32, int64, bool

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .float16, .bfloat16, .int16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        }
    }

    /// The `torch.<Name>` global pickled as the storage type, e.g. `FloatStorage` for float32.
    public var storageTypeName: String {
        switch self {
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .float32: return "FloatStorage"
        case .float64: return "DoubleStorage"
        case .uint8: return "ByteStorage"
        case .int8: return "CharStorage"
        case .int16: return "ShortStorage"
        case .int32: return "IntStorage"
        case .int64: return "LongStorage"
        case .bool: return "BoolStorage"
        }
    }

    /// The dtype whose storage class is `torch.<name>`, or nil.
    public init?(storageTypeName name: String) {
        guard let d = TorchDType.allCases.first(where: { $0.storageTypeName == name }) else { return nil }
        self = d
    }
}

/// A dense tensor: `dtype`, `shape` and `bytes` = the elements in C order, each little endian.
///
/// Invariant (checked by every initializer): `bytes.count == shape.reduce(1, *) · dtype.elementSize`,
/// all dimensions ≥ 0, no overflow. Equality is bitwise (dtype, shape and bytes), so NaN payloads and
/// signed zeros compare exactly.
public struct TorchTensor: Equatable, Sendable {
    public let dtype: TorchDType
    public let shape: [Int]
    public let bytes: [UInt8]

    /// A tensor over little-endian element bytes in C order; throws `.invalidTensor` when
    /// `bytes.count ≠ numel · elementSize` or a dimension is negative.
    public init(dtype: TorchDType, shape: [Int], bytes: [UInt8]) throws {
        guard let n = TorchTensor.elementCount(shape) else {
            throw TorchCheckpointError.invalidTensor("shape \(shape) has a negative dimension or more than Int.max elements")
        }
        let (nbytes, o) = n.multipliedReportingOverflow(by: dtype.elementSize)
        guard !o, nbytes == bytes.count else {
            throw TorchCheckpointError.invalidTensor(
                "shape \(shape) of \(dtype.rawValue) needs \(o ? "more than Int.max" : String(nbytes)) bytes, got \(bytes.count)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A float32 tensor of `values` (C order) with `shape`.
    public init(float32 values: [Float], shape: [Int]) throws {
        try self.init(dtype: .float32, shape: shape, bytes: littleEndianBytes(values.map { $0.bitPattern }))
    }

    /// A float64 tensor of `values` (C order) with `shape`.
    public init(float64 values: [Double], shape: [Int]) throws {
        try self.init(dtype: .float64, shape: shape, bytes: littleEndianBytes(values.map { $0.bitPattern }))
    }

    /// An int64 tensor of `values` (C order) with `shape`.
    public init(int64 values: [Int64], shape: [Int]) throws {
        try self.init(dtype: .int64, shape: shape, bytes: littleEndianBytes(values.map { UInt64(bitPattern: $0) }))
    }

    /// numel = ∏ shape (1 for a 0-d tensor).
    public var elementCount: Int { bytes.count / dtype.elementSize }

    /// Contiguous (C-order) strides in elements, as PyTorch computes them:
    /// stride[d−1] = 1, stride[i] = stride[i+1] · max(shape[i+1], 1).
    public var strides: [Int] { TorchTensor.contiguousStrides(shape) }

    /// The elements as `Float`; throws `.valueNotFound` unless the dtype is float32.
    public func float32Values() throws -> [Float] {
        try requireDType(.float32)
        return decodeLittleEndian(bytes, as: UInt32.self).map(Float.init(bitPattern:))
    }

    /// The elements as `Double`; throws `.valueNotFound` unless the dtype is float64.
    public func float64Values() throws -> [Double] {
        try requireDType(.float64)
        return decodeLittleEndian(bytes, as: UInt64.self).map(Double.init(bitPattern:))
    }

    /// The elements as `Int64`; throws `.valueNotFound` unless the dtype is int64.
    public func int64Values() throws -> [Int64] {
        try requireDType(.int64)
        return decodeLittleEndian(bytes, as: UInt64.self).map { Int64(bitPattern: $0) }
    }

    private func requireDType(_ d: TorchDType) throws {
        guard dtype == d else {
            throw TorchCheckpointError.valueNotFound("tensor is \(dtype.rawValue), not \(d.rawValue)")
        }
    }

    /// ∏ shape with overflow and sign checks; nil when a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { return nil }
            n = p
        }
        return n
    }

    /// stride[i] = ∏_{j>i} max(shape[j], 1) (c10's contiguous strides). Callers pass shapes whose
    /// element count already passed `elementCount`, so the products of max(·, 1) cannot overflow either
    /// (they are ≤ the element count unless a dimension is 0; clamped with a saturating multiply anyway).
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            let (p, o) = acc.multipliedReportingOverflow(by: max(shape[i], 1))
            acc = o ? Int.max : p
        }
        return s
    }
}

func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    let size = MemoryLayout<T>.size
    var out = [UInt8](repeating: 0, count: values.count * size)
    out.withUnsafeMutableBytes { raw in
        for (i, v) in values.enumerated() { raw.storeBytes(of: v.littleEndian, toByteOffset: i * size, as: T.self) }
    }
    return out
}

func decodeLittleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], as: T.Type) -> [T] {
    let size = MemoryLayout<T>.size
    let n = bytes.count / size
    return bytes.withUnsafeBytes { raw in
        (0..<n).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
    }
}
