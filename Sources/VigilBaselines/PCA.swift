// `pca`: reconstruction error from the principal components of the training rows.
import CBLAS
import VigilData

/// PCA reconstruction-error baseline.
///
/// Fit on training rows X (T × D): mean μ = (1/T)·Σ_t x_t, covariance C = (X − μ)ᵀ(X − μ) / (T − 1) (D × D,
/// `cblas_dsyrk`), eigen-decomposition C = V Λ Vᵀ with LAPACKE `dsyevr`, λ_0 ≥ … ≥ λ_{D−1} (negative rounding
/// residue clamped to 0 in the ratios). K components are kept:
/// - `.varianceFraction(f)`, f ∈ (0, 1): K = #{j : Σ_{i≤j} λ_i / Σ_i λ_i ≤ f} + 1 (capped at D), i.e. the fewest
///   components whose explained-variance ratio exceeds f — scikit-learn's rule for `PCA(n_components=f)`.
///   If the training rows have no variance at all, K = 0.
/// - `.count(K)`, 1 ≤ K ≤ D.
///
/// Score of a row x: r = (I − V_K V_Kᵀ)(x − μ), the part of the centred row outside the kept subspace.
/// Per-dimension score s_d = r_d²; aggregate = (1/D)·Σ_d r_d² (the mean, as TranAD's per-dimension/mean
/// convention, so root-cause metrics rank dimensions by their squared residual). This equals scikit-learn's
/// `((x − inverse_transform(transform(x)))**2)` with `whiten=False`.
///
/// r is computed from the discarded components, r = V_⊥ V_⊥ᵀ (x − μ) with V_⊥ = eigenvectors K…D−1, not as
/// (x − μ) − V_K V_Kᵀ(x − μ): the subtraction cancels when the residual is small against the row, the
/// complement does not. Cost: fit O(T·D²) + O(D³), score O(N·D·(D − K)), two GEMMs per block of rows.
///
/// Default K: 95 % explained variance, the conventional cut (Jolliffe, *Principal Component Analysis*, 2002,
/// §6.1 suggests 70–90 %; 95 % is the common default of tools and keeps most structure while leaving the
/// low-variance directions — where anomalies that break correlations show up — in the residual). It was fixed
/// before looking at any SMD result. Measured afterwards (scripts/bench-baselines --sweep, the 14 development
/// machines machine-1-2…2-8): mean test ROC-AUC 0.761–0.792 over f ∈ {0.5, 0.8, 0.9, 0.95, 0.99, 0.999} and
/// K ∈ {1, 2, 5, 10, 20}, 0.781 at the default; no setting wins on most machines, so the default stays.
public struct PCABaseline: BaselineModel {
    public static let key = "pca"
    public static let format = "vigil-baseline-pca"
    public static let formatVersion = 1
    public static let aggregateRule = "mean over the D per-dimension squared residuals"
    public static let fitReads = "train rows"

    /// How many principal components are kept.
    public struct Configuration: Sendable, Equatable {
        public enum Components: Sendable, Equatable {
            /// The fewest components whose explained-variance ratio exceeds f, f ∈ (0, 1).
            case varianceFraction(Double)
            /// Exactly K components, 1 ≤ K ≤ D.
            case count(Int)
        }
        /// Component selection (default: 95 % explained variance).
        public var components: Components
        public init(components: Components = .varianceFraction(0.95)) { self.components = components }

        /// `variance:0.95` or `count:5` (stored in files and provenance).
        public var spec: String {
            switch components {
            case .varianceFraction(let f): return "variance:\(f)"
            case .count(let k): return "count:\(k)"
            }
        }

        /// Parses `spec`; nil when malformed.
        public init?(spec: String) {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            switch parts[0] {
            case "variance": guard let f = Double(parts[1]) else { return nil }; self.init(components: .varianceFraction(f))
            case "count": guard let k = Int(parts[1]) else { return nil }; self.init(components: .count(k))
            default: return nil
            }
        }
    }

    public let configuration: Configuration
    public let features: Int
    /// Training mean μ (D).
    public let mean: [Double]
    /// Eigenvalues of the training covariance, descending (D): the explained variances.
    public let eigenvalues: [Double]
    /// Row-major D × D: row j is principal axis j (scikit-learn's `components_` layout, all D rows).
    public let components: [Double]
    /// Number K of kept components.
    public let kept: Int
    /// Training rows T the model was fitted on.
    public let trainingRows: Int

    /// Share of the training variance the kept components explain, Σ_{j<K} λ_j / Σ_j λ_j (1 when there is none).
    public var explainedVarianceRatio: Double {
        let total = eigenvalues.reduce(0) { $0 + max($1, 0) }
        guard total > 0 else { return 1 }
        return eigenvalues.prefix(kept).reduce(0) { $0 + max($1, 0) } / total
    }

    public var provenance: [String: String] {
        ["model": Self.key, "components": configuration.spec, "kept_components": String(kept),
         "explained_variance": String(explainedVarianceRatio), "fit_reads": Self.fitReads,
         "training_rows": String(trainingRows), "aggregate": Self.aggregateRule]
    }

    public init(fitting train: DataMatrix, configuration: Configuration = Configuration()) throws {
        try checkTraining(train, model: Self.key)
        let d = train.cols, t = train.rows
        switch configuration.components {
        case .varianceFraction(let f):
            guard f > 0, f < 1 else {
                throw BaselineError.invalidParameter(model: Self.key, name: "explained variance fraction", value: "\(f)", allowed: "a value in (0, 1)")
            }
        case .count(let k):
            guard k >= 1, k <= d else {
                throw BaselineError.invalidParameter(model: Self.key, name: "component count", value: "\(k)", allowed: "1…\(d) (the column count)")
            }
        }
        guard t >= 2 else { throw BaselineError.tooFewRows(model: Self.key, needed: 2, found: t, why: "a covariance needs two rows") }
        guard d <= 65_536 else {
            throw BaselineError.invalidParameter(model: Self.key, name: "column count", value: "\(d)", allowed: "at most 65536 (D × D covariance)")
        }

        // μ (D), then C = Σ_blocks Xcᵀ Xc / (T − 1) over blocks of rows (bounded scratch, BLAS sizes fit Int32).
        var mu = [Double](repeating: 0, count: d)
        train.values.withUnsafeBufferPointer { x in
            for r in 0..<t { for c in 0..<d { mu[c] += x[r * d + c] } }
        }
        for c in 0..<d { mu[c] /= Double(t) }
        var cov = [Double](repeating: 0, count: d * d)
        let block = Swift.max(1, Swift.min(t, (1 << 20) / d))
        var xc = [Double](repeating: 0, count: block * d)   // (block, D) centred rows
        let alpha = 1 / Double(t - 1)
        train.values.withUnsafeBufferPointer { x in
            var start = 0
            while start < t {
                let b = Swift.min(block, t - start)
                for r in 0..<b { for c in 0..<d { xc[r * d + c] = x[(start + r) * d + c] - mu[c] } }
                // C (D × D, upper) += α · Xcᵀ Xc, Xc row-major (b × D)
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(b), alpha, xc, Int32(d), 1, &cov, Int32(d))
                start += b
            }
        }
        guard let eig = SymmetricEigen(symmetric: cov, dimension: d) else {
            throw BaselineError.invalidParameter(model: Self.key, name: "training matrix", value: "\(t) × \(d)",
                                                 allowed: "values for which LAPACK dsyevr converges (rescale the data)")
        }
        let k: Int
        switch configuration.components {
        case .count(let n): k = n
        case .varianceFraction(let f): k = Self.componentsForVariance(eig.values, fraction: f)
        }
        self.init(configuration: configuration, features: d, mean: mu, eigenvalues: eig.values, components: eig.vectors,
                  kept: k, trainingRows: t)
    }

    /// scikit-learn's rule: K = #{j : cumulative ratio_j ≤ f} + 1, capped at D; 0 when the variance is 0.
    static func componentsForVariance(_ eigenvalues: [Double], fraction f: Double) -> Int {
        let clamped = eigenvalues.map { Swift.max($0, 0) }
        let total = clamped.reduce(0, +)
        guard total > 0 else { return 0 }
        var cum = 0.0, k = 0
        for v in clamped {
            cum += v
            if cum / total <= f { k += 1 } else { break }
        }
        return Swift.min(k + 1, eigenvalues.count)
    }

    /// A model from stored parameters (checked).
    init(configuration: Configuration, features: Int, mean: [Double], eigenvalues: [Double], components: [Double],
         kept: Int, trainingRows: Int) {
        precondition(mean.count == features && eigenvalues.count == features && components.count == features * features)
        precondition(kept >= 0 && kept <= features)
        self.configuration = configuration
        self.features = features
        self.mean = mean
        self.eigenvalues = eigenvalues
        self.components = components
        self.kept = kept
        self.trainingRows = trainingRows
    }

    public func score(_ x: DataMatrix) throws -> BaselineScores {
        try checkScoring(x, features: features, model: Self.key)
        let d = features, n = x.rows, k = kept, q = d - k   // q = discarded components
        var out = [Double](repeating: 0, count: n * d)      // (N, D) residuals, then their squares
        guard n > 0 else { return BaselineScores(meanOf: out, rows: 0, dims: d) }
        if q > 0 {
            let block = Swift.max(1, Swift.min(n, 2048))
            var xc = [Double](repeating: 0, count: block * d)   // (b, D) centred rows
            var w = [Double](repeating: 0, count: block * q)    // (b, q) coordinates on the discarded axes
            components.withUnsafeBufferPointer { comps in
                let vPerp = comps.baseAddress! + k * d            // (q, D): rows K…D−1 of the components
                x.values.withUnsafeBufferPointer { xv in
                    out.withUnsafeMutableBufferPointer { o in
                        var start = 0
                        while start < n {
                            let b = Swift.min(block, n - start)
                            for r in 0..<b { for c in 0..<d { xc[r * d + c] = xv[(start + r) * d + c] - mean[c] } }
                            // W (b, q) = Xc (b, D) · V⊥ᵀ (D, q)
                            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(b), Int32(q), Int32(d),
                                        1, xc, Int32(d), vPerp, Int32(d), 0, &w, Int32(q))
                            // R (b, D) = W (b, q) · V⊥ (q, D), written straight into the output rows
                            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(b), Int32(d), Int32(q),
                                        1, w, Int32(q), vPerp, Int32(d), 0, o.baseAddress! + start * d, Int32(d))
                            start += b
                        }
                        for i in 0..<o.count { o[i] *= o[i] }
                    }
                }
            }
        }
        return BaselineScores(meanOf: out, rows: n, dims: d)
    }
}
