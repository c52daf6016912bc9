/// Errors of VigilIsolationForest: each names the offending row/column/parameter and what to do.
public enum IsolationForestError: Error, CustomStringConvertible, Equatable {
    /// `values.count` does not equal rows × cols.
    case shapeMismatch(rows: Int, cols: Int, count: Int)
    /// A row of a nested-array input has a different length than the first row.
    case raggedRows(row: Int, expected: Int, found: Int)
    /// The matrix has no rows or no columns.
    case emptyInput(context: String)
    /// A NaN or ±Inf value at (row, column), 0-based.
    case nonFinite(context: String, row: Int, column: Int, value: Double)
    /// Scoring input has another number of columns than the model was fitted on.
    case featureCountMismatch(context: String, fitted: Int, found: Int)
    /// A configuration value outside its allowed range.
    case invalidParameter(name: String, value: String, allowed: String)
    /// A stored model is inconsistent (wrong array lengths, child index out of range, cycle).
    case corruptModel(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(rows, cols, count):
            return "matrix shape (\(rows), \(cols)) needs \(rows * cols) values, got \(count): pass row-major values of length rows*cols"
        case let .raggedRows(row, expected, found):
            return "row \(row) has \(found) values, expected \(expected) like row 0: every row needs the same number of features"
        case let .emptyInput(context):
            return "\(context): the matrix is empty (needs at least 1 row and 1 column)"
        case let .nonFinite(context, row, column, value):
            return "\(context): non-finite value \(value) at row \(row), column \(column) (0-based): remove or impute NaN/Inf before fitting or scoring"
        case let .featureCountMismatch(context, fitted, found):
            return "\(context): the model was fitted on \(fitted) features but the input has \(found): score data with the same columns (and the same feature engineering) as at fit time"
        case let .invalidParameter(name, value, allowed):
            return "invalid \(name) = \(value): allowed \(allowed)"
        case let .corruptModel(what):
            return "corrupt isolation forest model: \(what)"
        }
    }
}
