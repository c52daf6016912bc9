// FeatureMatrix: the plain row-major input matrix of VigilIsolationForest (no tensor dependency).

/// Element type the forest accepts (`Float` or `Double`); hot loops dispatch once per call through these
/// requirements to concrete, specialized kernels.
public protocol IForestScalar: BinaryFloatingPoint, Sendable {
    /// The value widened to Double (thresholds and statistics are kept in Double).
    var asDouble: Double { get }
    /// Index of the first non-finite (NaN or ±Inf) element, or nil.
    static func _firstNonFinite(_ values: UnsafeBufferPointer<Self>) -> Int?
    /// Adds each row's summed path length over all trees to `out` (specialized scoring kernel).
    static func _accumulatePathLengths(_ forest: IsolationForest, _ x: UnsafePointer<Self>, rows: Int, cols: Int,
                                       out: UnsafeMutablePointer<Double>, parallelism: Int)
}

extension Double: IForestScalar {
    @inlinable public var asDouble: Double { self }
    public static func _firstNonFinite(_ values: UnsafeBufferPointer<Double>) -> Int? { firstNonFinite(values) }
    public static func _accumulatePathLengths(_ forest: IsolationForest, _ x: UnsafePointer<Double>, rows: Int, cols: Int,
                                              out: UnsafeMutablePointer<Double>, parallelism: Int) {
        forest.pathLengthSums(x, rows: rows, cols: cols, out: out, parallelism: parallelism)
    }
}

extension Float: IForestScalar {
    @inlinable public var asDouble: Double { Double(self) }
    public static func _firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? { firstNonFinite(values) }
    public static func _accumulatePathLengths(_ forest: IsolationForest, _ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                              out: UnsafeMutablePointer<Double>, parallelism: Int) {
        forest.pathLengthSums(x, rows: rows, cols: cols, out: out, parallelism: parallelism)
    }
}

@inline(__always)
func firstNonFinite<T: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<T>) -> Int? {
    for i in 0..<values.count where !values[i].isFinite { return i }
    return nil
}

/// A dense row-major matrix: element (r, c) is `values[r * cols + c]`; rows are time steps (samples),
/// columns are features. `values.count == rows * cols`.
public struct FeatureMatrix<Scalar: IForestScalar>: Sendable {
    /// Row-major storage, shape (rows, cols).
    public var values: [Scalar]
    /// Number of rows (samples / time steps).
    public let rows: Int
    /// Number of columns (features).
    public let cols: Int

    /// Wraps `values` (row-major, shape (rows, cols)); throws if the count does not match.
    public init(rows: Int, cols: Int, values: [Scalar]) throws {
        guard rows >= 0, cols >= 0, values.count == rows * cols else {
            throw IsolationForestError.shapeMismatch(rows: rows, cols: cols, count: values.count)
        }
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// Builds the matrix from rows of equal length; throws naming the first row of another length.
    public init(rowArrays: [[Scalar]]) throws {
        let c = rowArrays.first?.count ?? 0
        var v: [Scalar] = []
        v.reserveCapacity(rowArrays.count * c)
        for (i, r) in rowArrays.enumerated() {
            guard r.count == c else { throw IsolationForestError.raggedRows(row: i, expected: c, found: r.count) }
            v.append(contentsOf: r)
        }
        self.rows = rowArrays.count
        self.cols = c
        self.values = v
    }

    /// Element at (row, col).
    @inlinable public subscript(row: Int, col: Int) -> Scalar {
        get { values[row * cols + col] }
        set { values[row * cols + col] = newValue }
    }

    /// Throws `IsolationForestError.nonFinite` naming the first NaN/Inf element (row and column, 0-based).
    public func validateFinite(context: String) throws {
        let bad = values.withUnsafeBufferPointer { Scalar._firstNonFinite($0) }
        if let i = bad {
            throw IsolationForestError.nonFinite(context: context, row: i / cols, column: i % cols,
                                                 value: values[i].asDouble)
        }
    }
}
