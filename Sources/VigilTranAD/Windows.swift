// Sliding windows over a (rows × F) matrix, built batch by batch straight into the model's input.
import VigilData

/// Row indices of the window for `row` under an alignment, oldest first (row 0 repeats as padding).
/// reference: i−W..i−1; inclusive: i−W+1..i.
public func tranADWindowRows(row i: Int, window w: Int, alignment: TranADWindowAlignment) -> [Int] {
    let shift = alignment == .inclusive ? 1 : 0
    return (0..<w).map { j in max(i - w + j + shift, 0) }
}

/// Row scored by the window of `row`: i−1 (row 0 for i = 0) for `reference`, i for `inclusive`.
public func tranADScoredRow(row i: Int, alignment: TranADWindowAlignment) -> Int {
    alignment == .inclusive ? i : max(i - 1, 0)
}

/// Copies the windows of `rows` into `out` laid out (B, W, F) batch-major, B = rows.count.
@inline(__always)
func gatherWindows<T: BinaryFloatingPoint>(_ m: DataMatrix, rows: ArraySlice<Int>, window w: Int,
                                           alignment: TranADWindowAlignment,
                                           into out: UnsafeMutablePointer<T>) {
    let f = m.cols
    let shift = alignment == .inclusive ? 1 : 0
    m.values.withUnsafeBufferPointer { src in
        var o = out
        for i in rows {
            for j in 0..<w {
                let r = max(i - w + j + shift, 0)
                let s = src.baseAddress! + r * f
                for c in 0..<f { o[c] = T(s[c]) }
                o += f
            }
        }
    }
}
