// The preprocessed dataset value every model consumes, and how it is built from raw tables.

/// A multivariate anomaly-detection dataset after min-max scaling with training statistics:
/// `train` (Ntrain × D) and `test` (Ntest × D) hold (x − normMin) / (normMax − normMin + 1e-4).
public struct AnomalyDataset: Equatable, Sendable {
    /// Dataset name (SMD machine name or directory name).
    public var name: String
    /// Scaled training series, Ntrain × D, row-major.
    public var train: DataMatrix
    /// Scaled test series, Ntest × D, row-major.
    public var test: DataMatrix
    /// One 0/1 anomaly label per test row (Ntest).
    public var labels: [UInt8]
    /// Per-dimension 0/1 labels, Ntest × D row-major, when the dataset has them (SMD interpretation_label).
    public var interpretationLabels: [UInt8]?
    /// The scaling fitted on train (per-column min, max; epsilon 1e-4); export it to score new data.
    public var normalizer: MinMaxNormalizer
    /// sha256 of each source file, keyed by role (`train`, `test`, `test_label`, `interpretation_label`, …).
    public var sourceSHA256: [String: String]

    /// Per-column training minimum (D).
    public var normMin: [Double] { normalizer.min }
    /// Per-column training maximum (D).
    public var normMax: [Double] { normalizer.max }
    /// Number of dimensions D.
    public var dimensions: Int { train.cols }

    public init(name: String, train: DataMatrix, test: DataMatrix, labels: [UInt8], interpretationLabels: [UInt8]?,
                normalizer: MinMaxNormalizer, sourceSHA256: [String: String]) {
        self.name = name
        self.train = train
        self.test = test
        self.labels = labels
        self.interpretationLabels = interpretationLabels
        self.normalizer = normalizer
        self.sourceSHA256 = sourceSHA256
    }

    /// Builds a dataset from raw (unscaled) tables: fits min-max on `rawTrain`, applies it to both.
    /// Checks widths and label counts (`file` names used in errors).
    public static func build(name: String, rawTrain: DataMatrix, rawTest: DataMatrix, labels: [UInt8],
                             interpretationLabels: [UInt8]?, sourceSHA256: [String: String],
                             testFile: String, labelFile: String) throws -> AnomalyDataset {
        guard rawTest.cols == rawTrain.cols else {
            throw DataError.columnMismatch(file: testFile, expected: rawTrain.cols, found: rawTest.cols)
        }
        guard labels.count == rawTest.rows else {
            throw DataError.labelLengthMismatch(file: labelFile, labels: labels.count, testRows: rawTest.rows)
        }
        if let il = interpretationLabels, il.count != rawTest.rows * rawTest.cols {
            throw DataError.labelLengthMismatch(file: labelFile, labels: il.count, testRows: rawTest.rows * rawTest.cols)
        }
        let norm = MinMaxNormalizer(fitting: rawTrain)
        try norm.checkScalable(file: "training data of \(name)")
        return AnomalyDataset(name: name, train: norm.apply(rawTrain), test: norm.apply(rawTest), labels: labels,
                              interpretationLabels: interpretationLabels, normalizer: norm, sourceSHA256: sourceSHA256)
    }
}

/// The preprocessed form of one SMD machine (38 dimensions).
public typealias SMDMachine = AnomalyDataset
