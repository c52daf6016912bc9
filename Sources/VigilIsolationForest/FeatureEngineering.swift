/// Optional time-series features computed from a (T, F) series before the forest sees it. Output columns, in
/// this order, each block F wide in input column order:
///   raw x_t (if `includeRaw`) · for each L in `lags`: x_{t−L} · if `differences`: x_t − x_{t−1} ·
///   for each statistic in `rollingStatistics`: that statistic over the window x_{t−W+1} … x_t (W = `rollingWindow`;
///   std is the population std, ddof 0).
/// **Start of the series:** no row is dropped; rows before the first are taken to equal the first row
/// (x_{t} := x_0 for t < 0). So lags of early rows repeat row 0, the first difference of row 0 is 0, and early
/// windows contain copies of row 0. Output rows == input rows. Every call (fit or score) pads with its own first row.
/// If `standardize`, each output column is then mapped to (v − mean)/std with the mean and population std of that
/// column at fit time (std 0 → divide by 1). The same transform is applied at fit and score time.
public struct FeatureEngineering: Sendable, Equatable {
    /// A rolling-window statistic.
    public enum RollingStatistic: String, Sendable, Equatable, CaseIterable {
        case mean, std, min, max
    }
    /// Keep the raw columns (default true).
    public var includeRaw: Bool
    /// Lags (each ≥ 1) whose values are added as columns.
    public var lags: [Int]
    /// Add first differences x_t − x_{t−1}.
    public var differences: Bool
    /// Rolling window length W (≥ 2 when statistics are requested).
    public var rollingWindow: Int
    /// Rolling statistics to add (order kept).
    public var rollingStatistics: [RollingStatistic]
    /// Standardize every output column with training mean/std.
    public var standardize: Bool

    /// Creates a configuration; the default is the identity (raw columns only, no standardization).
    public init(includeRaw: Bool = true, lags: [Int] = [], differences: Bool = false, rollingWindow: Int = 0,
                rollingStatistics: [RollingStatistic] = [], standardize: Bool = false) {
        self.includeRaw = includeRaw
        self.lags = lags
        self.differences = differences
        self.rollingWindow = rollingWindow
        self.rollingStatistics = rollingStatistics
        self.standardize = standardize
    }

    /// True when the transform is the identity (no engineered columns, no standardization).
    public var isIdentity: Bool {
        includeRaw && lags.isEmpty && !differences && rollingStatistics.isEmpty && !standardize
    }

    /// Number of output columns for `inputColumns` input columns.
    public func outputColumns(inputColumns f: Int) -> Int {
        f * ((includeRaw ? 1 : 0) + lags.count + (differences ? 1 : 0) + rollingStatistics.count)
    }

    /// Output column names, e.g. "x3", "lag2(x3)", "diff(x3)", "rollmean10(x3)".
    public func columnNames(inputColumns f: Int) -> [String] {
        var names: [String] = []
        if includeRaw { names += (0..<f).map { "x\($0)" } }
        for l in lags { names += (0..<f).map { "lag\(l)(x\($0))" } }
        if differences { names += (0..<f).map { "diff(x\($0))" } }
        for s in rollingStatistics { names += (0..<f).map { "roll\(s.rawValue)\(rollingWindow)(x\($0))" } }
        return names
    }

    func validate() throws {
        if let bad = lags.first(where: { $0 < 1 }) {
            throw IsolationForestError.invalidParameter(name: "lag", value: "\(bad)", allowed: "integers ≥ 1")
        }
        if !rollingStatistics.isEmpty && rollingWindow < 2 {
            throw IsolationForestError.invalidParameter(name: "rollingWindow", value: "\(rollingWindow)",
                                                        allowed: "≥ 2 when rolling statistics are requested")
        }
        if outputColumns(inputColumns: 1) == 0 {
            throw IsolationForestError.invalidParameter(name: "feature engineering", value: "no output columns",
                                                        allowed: "includeRaw or at least one lag/difference/rolling statistic")
        }
    }

    /// The engineered features of `x` (T, F) → (T, outputColumns(F)) before standardization. Throws on NaN/Inf in
    /// the input (naming row and column) or on invalid settings.
    public func features<T: IForestScalar>(_ x: FeatureMatrix<T>) throws -> FeatureMatrix<Double> {
        try validate()
        guard x.rows >= 1, x.cols >= 1 else { throw IsolationForestError.emptyInput(context: "feature engineering") }
        try x.validateFinite(context: "feature engineering input")
        let n = x.rows, f = x.cols, outCols = outputColumns(inputColumns: f)
        var out = [Double](repeating: 0, count: n * outCols)
        // column series buffer (T) reused per input column, and a deque for rolling min/max.
        var series = [Double](repeating: 0, count: n)
        var deque = [Int](repeating: 0, count: n)
        let w = rollingWindow
        out.withUnsafeMutableBufferPointer { ob in
            let o = ob.baseAddress!
            for c in 0..<f {
                for t in 0..<n { series[t] = x.values[t * f + c].asDouble }
                var block = 0
                @inline(__always) func put(_ t: Int, _ v: Double) { o[t * outCols + block * f + c] = v }
                if includeRaw { for t in 0..<n { put(t, series[t]) }; block += 1 }
                for l in lags { for t in 0..<n { put(t, series[max(0, t - l)]) }; block += 1 }
                if differences { for t in 0..<n { put(t, t == 0 ? 0 : series[t] - series[t - 1]) }; block += 1 }
                for stat in rollingStatistics {
                    switch stat {
                    case .mean, .std:
                        // Running sums of (v − x_0) over the padded window (shift by x_0 for accuracy).
                        let x0 = series[0]
                        var s1 = 0.0, s2 = 0.0
                        let wd = Double(w)
                        for t in 0..<n {
                            let vin = series[t] - x0
                            let vout = t - w >= 0 ? series[t - w] - x0 : 0   // padded rows are x_0 → shifted 0
                            s1 += vin - vout
                            s2 += vin * vin - vout * vout
                            if t % 1024 == 1023 {         // re-sum now and then so rounding does not accumulate
                                s1 = 0; s2 = 0
                                for k in max(0, t - w + 1)...t { let v = series[k] - x0; s1 += v; s2 += v * v }
                            }
                            let mean = s1 / wd
                            if stat == .mean { put(t, mean + x0) } else { put(t, max(0, s2 / wd - mean * mean).squareRoot()) }
                        }
                    case .min, .max:
                        // Monotonic deque over indices; padded rows equal x_0, which index 0 stands for while in range.
                        let isMin = stat == .min
                        var head = 0, tail = 0
                        for t in 0..<n {
                            let v = series[t]
                            while tail > head && (isMin ? series[deque[tail - 1]] >= v : series[deque[tail - 1]] <= v) { tail -= 1 }
                            deque[tail] = t; tail += 1
                            while deque[head] <= t - w { head += 1 }
                            var m = series[deque[head]]
                            if t - w + 1 < 0 { m = isMin ? Swift.min(m, series[0]) : Swift.max(m, series[0]) }
                            put(t, m)
                        }
                    }
                    block += 1
                }
            }
        }
        return try FeatureMatrix(rows: n, cols: outCols, values: out)
    }
}

/// A fitted feature transform: the engineering settings plus the training column statistics used to standardize.
public struct FeatureTransform: Sendable, Equatable {
    /// The settings.
    public let engineering: FeatureEngineering
    /// Input columns at fit time.
    public let inputColumns: Int
    /// Per output column mean at fit time (empty unless standardizing).
    public let mean: [Double]
    /// Per output column population std at fit time, 0 replaced by 1 (empty unless standardizing).
    public let scale: [Double]

    /// Number of output columns.
    public var outputColumns: Int { engineering.outputColumns(inputColumns: inputColumns) }

    /// Restores a transform from stored statistics.
    public init(engineering: FeatureEngineering, inputColumns: Int, mean: [Double], scale: [Double]) throws {
        try engineering.validate()
        let k = engineering.outputColumns(inputColumns: inputColumns)
        guard engineering.standardize ? (mean.count == k && scale.count == k) : (mean.isEmpty && scale.isEmpty) else {
            throw IsolationForestError.corruptModel("feature transform statistics have \(mean.count)/\(scale.count) entries for \(k) columns")
        }
        self.engineering = engineering
        self.inputColumns = inputColumns
        self.mean = mean
        self.scale = scale
    }

    /// Fits the transform on a training series (T, F): computes the engineered columns' mean and std.
    public init<T: IForestScalar>(fitting x: FeatureMatrix<T>, engineering: FeatureEngineering) throws {
        self = try FeatureTransform.fitTransform(x, engineering: engineering).transform
    }

    /// Fits on `x` and returns the fitted transform with the transformed training series (computed once).
    public static func fitTransform<T: IForestScalar>(_ x: FeatureMatrix<T>, engineering: FeatureEngineering) throws
        -> (transform: FeatureTransform, features: FeatureMatrix<Double>) {
        var feats = try engineering.features(x)
        var mean: [Double] = [], scale: [Double] = []
        if engineering.standardize {
            let k = feats.cols, n = feats.rows
            mean = [Double](repeating: 0, count: k)
            scale = [Double](repeating: 0, count: k)
            feats.values.withUnsafeMutableBufferPointer { v in
                for t in 0..<n { for c in 0..<k { mean[c] += v[t * k + c] } }
                for c in 0..<k { mean[c] /= Double(n) }
                for t in 0..<n { for c in 0..<k { let d = v[t * k + c] - mean[c]; scale[c] += d * d } }
                for c in 0..<k { let s = (scale[c] / Double(n)).squareRoot(); scale[c] = s > 0 && s.isFinite ? s : 1 }
                for t in 0..<n { for c in 0..<k { v[t * k + c] = (v[t * k + c] - mean[c]) / scale[c] } }
            }
            try feats.validateFinite(context: "engineered features")
        }
        let tr = try FeatureTransform(engineering: engineering, inputColumns: x.cols, mean: mean, scale: scale)
        return (tr, feats)
    }

    /// Applies the transform to a series (T, inputColumns) → (T, outputColumns). Throws on a different column
    /// count or NaN/Inf (input, or an engineered value that overflowed).
    public func transform<T: IForestScalar>(_ x: FeatureMatrix<T>) throws -> FeatureMatrix<Double> {
        guard x.cols == inputColumns else {
            throw IsolationForestError.featureCountMismatch(context: "feature transform", fitted: inputColumns, found: x.cols)
        }
        var feats = try engineering.features(x)
        if engineering.standardize {
            let k = feats.cols
            feats.values.withUnsafeMutableBufferPointer { v in
                for t in 0..<feats.rows { for c in 0..<k { v[t * k + c] = (v[t * k + c] - mean[c]) / scale[c] } }
            }
        }
        try feats.validateFinite(context: "engineered features")
        return feats
    }
}

/// Feature engineering followed by an Isolation Forest: fit and score take the raw (T, F) series.
public struct IsolationForestDetector: Sendable {
    /// The fitted feature transform.
    public let transform: FeatureTransform
    /// The forest, fitted on the transformed training series.
    public let forest: IsolationForest

    /// Assembles a detector from its parts (e.g. read back from a file); column counts must agree.
    public init(transform: FeatureTransform, forest: IsolationForest) throws {
        guard transform.outputColumns == forest.featureCount else {
            throw IsolationForestError.corruptModel("transform yields \(transform.outputColumns) columns, forest expects \(forest.featureCount)")
        }
        self.transform = transform
        self.forest = forest
    }

    /// Fits the transform and then the forest on a training series (T, F).
    public init<T: IForestScalar>(fitting x: FeatureMatrix<T>, engineering: FeatureEngineering = FeatureEngineering(),
                                  configuration: IsolationForest.Configuration = .init(), parallelism: Int? = nil) throws {
        let tr: FeatureTransform
        let forest: IsolationForest
        if engineering.isIdentity {
            tr = try FeatureTransform(engineering: engineering, inputColumns: x.cols, mean: [], scale: [])
            forest = try IsolationForest(fitting: x, configuration: configuration, parallelism: parallelism)
        } else {
            let (t, feats) = try FeatureTransform.fitTransform(x, engineering: engineering)
            tr = t
            forest = try IsolationForest(fitting: feats, configuration: configuration, parallelism: parallelism)
        }
        try self.init(transform: tr, forest: forest)
    }

    /// Anomaly scores s ∈ (0, 1] of a raw series (T, F), one per row; higher = more anomalous.
    public func scores<T: IForestScalar>(_ x: FeatureMatrix<T>, parallelism: Int? = nil) throws -> [Double] {
        guard x.cols == transform.inputColumns else {
            throw IsolationForestError.featureCountMismatch(context: "isolation forest detector score", fitted: transform.inputColumns, found: x.cols)
        }
        if transform.engineering.isIdentity { return try forest.scores(x, parallelism: parallelism) }
        return try forest.scores(try transform.transform(x), parallelism: parallelism)
    }
}
