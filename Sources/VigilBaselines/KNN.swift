// `knn`: distance to the k-th nearest training row, over a seeded sample of the training rows.
import CBLAS
import Foundation
import VigilData

/// k-th nearest-neighbour distance baseline (Ramaswamy, Rastogi, Shim, SIGMOD 2000: the "largest" kNN score).
///
/// Fit: a seeded sample S of M = min(`maxSamples`, T) distinct training rows (`RowSampling`: partial
/// Fisher–Yates with `Xoshiro256(seed)`), kept as the reference set (M × D).
/// Score of a row x: s(x) = ‖x − r_(k)‖₂, the Euclidean distance to its k-th nearest row of S (ties count
/// with multiplicity, so k identical reference rows at distance δ give s = δ). One score per row, no
/// per-dimension scores. A training row that is itself in S counts itself at distance 0 (as scikit-learn's
/// `kneighbors(X)` with an explicit X does), so scores of the sampled training rows are biased low.
///
/// Exact search, blocked GEMM: for a block of b query rows, G = Q Sᵀ (b × M, one `cblas_dgemm`), then
/// d̃²_j = ‖q‖² + ‖s_j‖² − 2 G_j. This expansion loses precision when a distance is small against the norms,
/// so it only *selects*: with τ = the k-th smallest d̃² and the rounding bound δ = 4(D + 4)·u·(‖q‖² + max_j ‖s_j‖²)
/// (u = 2⁻⁵³; the error of each d̃² is below (2D + 6)·u·(‖q‖² + ‖s_j‖²)), every true k nearest row has
/// d̃² ≤ τ + 2δ; those candidates (≈ k of them) get Σ_c (q_c − s_jc)² computed directly, and s(x) is the square
/// root of the k-th smallest of these. The result is the direct-difference distance (what scikit-learn's
/// k-d tree returns), independent of BLAS threads and blocking.
///
/// Why not a k-d tree: at D = 38 a k-d tree prunes little (its cost approaches brute force above ~20
/// dimensions), while the GEMM runs at BLAS speed. Measured with scripts/bench-baselines (release, SMD
/// machine-1-2 and machine-2-1, 23,694 test rows against M = 2000, shared 2-core machine at load ≈ 6.5):
/// blocked GEMM 0.32–0.45 s (GEMM ≈ 0.12–0.2 s of it, the single-threaded selection the rest), a direct
/// distance loop 1.7–2.6 s with bit-identical scores; scikit-learn 1.9.1 on the same sample: kd_tree 1.6–2.0 s,
/// ball_tree 1.4–1.9 s (both bit-identical to these scores), brute 0.26–0.37 s (its GEMM distances differ by
/// ≤ 2e-15 relative). The selection could run on several threads; at ~0.2 s per SMD test set it was left serial.
///
/// Defaults: k = 5 (scikit-learn's `NearestNeighbors` and PyOD's `KNN` default), M = 2000 (the reference
/// costs M·D·8 bytes = 0.6 MB at D = 38 and scoring N rows costs 2·N·M·D flops, ~3.6 GFLOP for an SMD test set;
/// 2000 rows are 8 % of an SMD training series, enough to hold every recurring operating state many times over),
/// seed 0. Measured afterwards on the 14 development machines (scripts/bench-baselines --sweep): mean test ROC-AUC
/// 0.782–0.793 for k ∈ {1, 5, 10, 50} (0.789 at k = 5) and 0.786–0.794 for M ∈ {500, 2000, 8000, all rows};
/// all rows cost 10–25× the scoring time of M = 2000 for −0.003. Over seeds 0–4 a machine's ROC-AUC spans
/// 0.001–0.063 (median 0.007), so report knn over several seeds.
public struct KNNBaseline: BaselineModel {
    public static let key = "knn"
    public static let format = "vigil-baseline-knn"
    public static let formatVersion = 1
    public static let aggregateRule = "Euclidean distance to the k-th nearest sampled training row, one per row"
    public static let fitReads = "train rows (a seeded sample)"

    /// Neighbour rank, sample size and seed.
    public struct Configuration: Sendable, Equatable {
        /// Rank k of the neighbour whose distance is the score (≥ 1).
        public var k: Int
        /// Largest number M of training rows kept as the reference set (≥ k).
        public var maxSamples: Int
        /// Seed of the sample.
        public var seed: UInt64
        public init(k: Int = 5, maxSamples: Int = 2000, seed: UInt64 = 0) {
            self.k = k
            self.maxSamples = maxSamples
            self.seed = seed
        }
    }

    public let configuration: Configuration
    public let features: Int
    /// Reference rows, row-major M × D (training rows `sampleIndices`, in that order).
    public let reference: [Double]
    /// Indices of the sampled training rows, ascending (M).
    public let sampleIndices: [Int]
    /// Training rows T the sample was drawn from.
    public let trainingRows: Int
    /// ‖s_j‖² of every reference row (M) and their maximum.
    let referenceNorms: [Double]
    let maxReferenceNorm: Double

    /// Number M of reference rows.
    public var sampleCount: Int { sampleIndices.count }

    public var provenance: [String: String] {
        ["model": Self.key, "k": String(configuration.k), "max_samples": String(configuration.maxSamples),
         "seed": String(configuration.seed), "sample_rows": String(sampleCount), "training_rows": String(trainingRows),
         "search": "exact (blocked GEMM selection, direct-difference distances)", "fit_reads": Self.fitReads,
         "aggregate": Self.aggregateRule]
    }

    public init(fitting train: DataMatrix, configuration: Configuration = Configuration()) throws {
        try checkTraining(train, model: Self.key)
        let c = configuration
        guard c.k >= 1 else {
            throw BaselineError.invalidParameter(model: Self.key, name: "k", value: "\(c.k)", allowed: "k ≥ 1")
        }
        guard c.maxSamples >= c.k else {
            throw BaselineError.invalidParameter(model: Self.key, name: "max_samples", value: "\(c.maxSamples)",
                                                 allowed: "max_samples ≥ k = \(c.k)")
        }
        guard train.rows >= c.k else {
            throw BaselineError.tooFewRows(model: Self.key, needed: c.k, found: train.rows, why: "k = \(c.k) neighbours")
        }
        let idx = RowSampling.sample(train.rows, count: c.maxSamples, seed: c.seed)
        let d = train.cols
        var ref = [Double](repeating: 0, count: idx.count * d)
        train.values.withUnsafeBufferPointer { x in
            for (i, r) in idx.enumerated() { for j in 0..<d { ref[i * d + j] = x[r * d + j] } }
        }
        self.init(configuration: c, features: d, reference: ref, sampleIndices: idx, trainingRows: train.rows)
    }

    /// A model from a reference set (also used when reading a file).
    init(configuration: Configuration, features d: Int, reference: [Double], sampleIndices: [Int], trainingRows: Int) {
        precondition(reference.count == sampleIndices.count * d)
        self.configuration = configuration
        self.features = d
        self.reference = reference
        self.sampleIndices = sampleIndices
        self.trainingRows = trainingRows
        var norms = [Double](repeating: 0, count: sampleIndices.count)
        reference.withUnsafeBufferPointer { r in
            for i in 0..<norms.count {
                var s = 0.0
                for j in 0..<d { s += r[i * d + j] * r[i * d + j] }
                norms[i] = s
            }
        }
        referenceNorms = norms
        maxReferenceNorm = norms.max() ?? 0
    }

    /// Query rows per GEMM block: G is b × M doubles (64 × 2000 = 1 MB, about L2).
    static let blockRows = 64

    public func score(_ x: DataMatrix) throws -> BaselineScores {
        try checkScoring(x, features: features, model: Self.key)
        let n = x.rows, d = features, m = sampleCount, k = configuration.k
        var out = [Double](repeating: 0, count: n)
        guard n > 0 else { return BaselineScores(aggregate: out) }
        let b0 = Swift.min(Self.blockRows, n)
        var g = [Double](repeating: 0, count: b0 * m)        // (b, M) dot products, then approximate squared distances
        var top = [Double](repeating: 0, count: k)           // k smallest values, ascending (insertion buffer)
        let margin = 4 * Double(d + 4) * Double.ulpOfOne / 2  // 4(D + 4)·u
        x.values.withUnsafeBufferPointer { xv in
            reference.withUnsafeBufferPointer { ref in
                referenceNorms.withUnsafeBufferPointer { rn in
                    g.withUnsafeMutableBufferPointer { gp in
                        top.withUnsafeMutableBufferPointer { tp in
                            var start = 0
                            while start < n {
                                let b = Swift.min(b0, n - start)
                                let q = xv.baseAddress! + start * d
                                // G (b, M) = Q (b, D) · Sᵀ (D, M)
                                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(b), Int32(m), Int32(d),
                                            1, q, Int32(d), ref.baseAddress!, Int32(d), 0, gp.baseAddress!, Int32(m))
                                for i in 0..<b {
                                    let qi = q + i * d
                                    var qn = 0.0
                                    for c in 0..<d { qn += qi[c] * qi[c] }
                                    let row = gp.baseAddress! + i * m
                                    // approximate d² and its k smallest
                                    for t in 0..<k { tp[t] = .infinity }
                                    for j in 0..<m {
                                        let v = qn + rn[j] - 2 * row[j]
                                        row[j] = v
                                        if v < tp[k - 1] { Self.insert(v, into: tp) }
                                    }
                                    let bound = tp[k - 1] + 2 * margin * (qn + maxReferenceNorm)
                                    // exact d² of the candidates, k smallest
                                    for t in 0..<k { tp[t] = .infinity }
                                    for j in 0..<m where row[j] <= bound {
                                        let rj = ref.baseAddress! + j * d
                                        var s = 0.0
                                        for c in 0..<d { let e = qi[c] - rj[c]; s += e * e }
                                        if s < tp[k - 1] { Self.insert(s, into: tp) }
                                    }
                                    out[start + i] = tp[k - 1].squareRoot()
                                }
                                start += b
                            }
                        }
                    }
                }
            }
        }
        return BaselineScores(aggregate: out)
    }

    /// Inserts v into the ascending buffer, dropping its largest value (v < buf.last).
    @inline(__always)
    static func insert(_ v: Double, into buf: UnsafeMutableBufferPointer<Double>) {
        var t = buf.count - 1
        while t > 0 && buf[t - 1] > v { buf[t] = buf[t - 1]; t -= 1 }
        buf[t] = v
    }
}
