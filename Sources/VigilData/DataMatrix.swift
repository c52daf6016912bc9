// Dense row-major matrices for time series (rows = time steps, cols = metrics).

/// A dense row-major matrix of Doubles: element (r, c) is `values[r * cols + c]`.
public struct DataMatrix: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    public var values: [Double]

    /// Wraps `values` (count must be rows × cols).
    public init(rows: Int, cols: Int, values: [Double]) {
        precondition(values.count == rows * cols, "DataMatrix: \(values.count) values for \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// A rows × cols matrix of `value`.
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        self.init(rows: rows, cols: cols, values: [Double](repeating: value, count: rows * cols))
    }

    /// Element (r, c).
    @inlinable public subscript(r: Int, c: Int) -> Double {
        get { values[r * cols + c] }
        set { values[r * cols + c] = newValue }
    }

    /// Rows `range` as a new matrix (range.count × cols).
    public func rows(_ range: Range<Int>) -> DataMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "DataMatrix.rows: \(range) outside 0..<\(rows)")
        return DataMatrix(rows: range.count, cols: cols, values: Array(values[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// `self` with `other`'s rows appended (same width).
    public func appending(_ other: DataMatrix) -> DataMatrix {
        precondition(other.cols == cols, "DataMatrix.appending: \(other.cols) columns, expected \(cols)")
        return DataMatrix(rows: rows + other.rows, cols: cols, values: values + other.values)
    }

    /// Row r as a slice of `values`.
    public func row(_ r: Int) -> ArraySlice<Double> { values[(r * cols)..<((r + 1) * cols)] }

    /// Mean over columns of every row (e.g. the 1-D score of a per-dimension score matrix).
    public var rowMeans: [Double] {
        values.withUnsafeBufferPointer { v in
            (0..<rows).map { r in
                var s = 0.0
                for c in 0..<cols { s += v[r * cols + c] }
                return s / Double(cols)
            }
        }
    }

    /// The same values as Float, row-major.
    public func floatValues() -> [Float] { values.map { Float($0) } }

    /// Per-column minimum and maximum (cols each); NaN-free input assumed; empty matrix gives zeros.
    public func columnMinMax() -> (min: [Double], max: [Double]) {
        guard rows > 0 else { return ([Double](repeating: 0, count: cols), [Double](repeating: 0, count: cols)) }
        var mn = Array(values[0..<cols]), mx = mn
        values.withUnsafeBufferPointer { v in
            for r in 1..<rows {
                let base = r * cols
                for c in 0..<cols {
                    let x = v[base + c]
                    if x < mn[c] { mn[c] = x }
                    if x > mx[c] { mx[c] = x }
                }
            }
        }
        return (mn, mx)
    }
}

/// Min-max scaling with training statistics: x' = (x − min) / (max − min + epsilon), per column.
public struct MinMaxNormalizer: Equatable, Sendable {
    /// The constant added to the range so constant columns map to 0 instead of dividing by zero.
    public static let defaultEpsilon = 1e-4
    public let min: [Double]
    public let max: [Double]
    public let epsilon: Double

    /// A normalizer with explicit statistics.
    public init(min: [Double], max: [Double], epsilon: Double = MinMaxNormalizer.defaultEpsilon) {
        precondition(min.count == max.count)
        self.min = min
        self.max = max
        self.epsilon = epsilon
    }

    /// Fits per-column min and max on `train`.
    public init(fitting train: DataMatrix, epsilon: Double = MinMaxNormalizer.defaultEpsilon) {
        let (mn, mx) = train.columnMinMax()
        self.init(min: mn, max: mx, epsilon: epsilon)
    }

    /// Throws when a column's range max − min + epsilon is not finite (values near ±1e308 overflow it), naming the
    /// first such column of `file`: scaling would turn the whole column into NaN.
    public func checkScalable(file: String) throws {
        for c in 0..<min.count where !(max[c] - min[c] + epsilon).isFinite {
            throw DataError.io(path: file, reason: "column \(c + 1) spans \(min[c]) … \(max[c]), a range too large to scale (it overflows); rescale or fix that column")
        }
    }

    /// Applies (x − min) / (max − min + epsilon) column-wise (no clipping: test values may leave [0, 1]).
    public func apply(_ m: DataMatrix) -> DataMatrix {
        precondition(m.cols == min.count, "normalizer has \(min.count) columns, matrix \(m.cols)")
        var out = m
        let denom = zip(min, max).map { $1 - $0 + epsilon }
        out.values.withUnsafeMutableBufferPointer { v in
            for r in 0..<m.rows {
                let base = r * m.cols
                for c in 0..<m.cols { v[base + c] = (v[base + c] - min[c]) / denom[c] }
            }
        }
        return out
    }
}
