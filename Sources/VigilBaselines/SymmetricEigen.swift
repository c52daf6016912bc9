// Eigen-decomposition of a small dense symmetric matrix through LAPACKE (dsyevr, MRRR algorithm).
import CBLAS

/// Eigenpairs of a symmetric D × D matrix, largest eigenvalue first.
struct SymmetricEigen {
    /// Eigenvalues λ_0 ≥ λ_1 ≥ … ≥ λ_{D−1} (D).
    var values: [Double]
    /// Row-major D × D: row j is the unit eigenvector of `values[j]`, signed so that its entry of largest
    /// magnitude is positive (the first such entry on ties), which makes the stored basis reproducible.
    var vectors: [Double]

    /// Decomposes the row-major symmetric `matrix` (D × D; its upper triangle is read).
    /// Returns nil when LAPACK reports a failure (it does not converge; never seen for finite input).
    init?(symmetric matrix: [Double], dimension d: Int) {
        precondition(matrix.count == d * d && d > 0 && d <= Int(Int32.max))
        var a = matrix
        var w = [Double](repeating: 0, count: d)
        var z = [Double](repeating: 0, count: d * d)
        var isuppz = [Int32](repeating: 0, count: 2 * d)
        var found: Int32 = 0
        let n = Int32(d)
        // jobz 'V' (vectors), range 'A' (all), uplo 'U'; abstol 0 ⇒ LAPACK's default accuracy.
        let info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "A")),
                                  Int8(UInt8(ascii: "U")), n, &a, n, 0, 0, 0, 0, 0, &found, &w, &z, n, &isuppz)
        guard info == 0, Int(found) == d else { return nil }
        // LAPACK: ascending eigenvalues, eigenvector j in column j of z. Reorder to descending, one per row.
        var values = [Double](repeating: 0, count: d)
        var vectors = [Double](repeating: 0, count: d * d)
        for j in 0..<d {
            let src = d - 1 - j
            values[j] = w[src]
            var best = 0.0, sign = 1.0
            for i in 0..<d {
                let v = z[i * d + src]
                if abs(v) > best { best = abs(v); sign = v < 0 ? -1 : 1 }
            }
            for i in 0..<d { vectors[j * d + i] = sign * z[i * d + src] }
        }
        self.values = values
        self.vectors = vectors
    }
}
