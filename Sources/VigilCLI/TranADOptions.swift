import ArgumentParser
import VigilTranAD

/// The TranAD options of `vigil train`: every quirk of the reference is one of them (`vigil run` takes them as config keys).
/// Numeric values are validated as they are parsed (OptionTypes.swift); names are checked in `makeConfig`.
public struct TranADOptions: ParsableArguments {
    public init() {}

    @Option(parsing: .unconditional, help: "Epochs to train (reference 5; \(TranADConfig.epochsRange)).", transform: Epochs.parse)
    var epochs = Epochs(5)

    @Option(help: "Precision: float32 (default, fast) or float64 (what the reference trains in).")
    var dtype: String = "float32"

    @Option(help: "Seed of the initial weights, dropout and (optional) shuffling.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional,
            help: "Window length W (reference 10; \(TranADConfig.windowRange)). Windows reaching before the first row repeat row 0, as the reference pads; a window longer than the data is refused only if the run's memory estimate exceeds the limit.",
            transform: WindowLength.parse)
    var window = WindowLength(10)

    @Option(parsing: .unconditional, help: "Mini-batch size (reference 128; \(TranADConfig.batchSizeRange)).", transform: BatchSize.parse)
    var batch = BatchSize(128)

    @Option(parsing: .unconditional, help: "AdamW learning rate (reference 1e-4; finite, > 0, ≤ 10).", transform: LearningRate.parse)
    var lr = LearningRate(1e-4)

    @Option(help: "Window alignment: inclusive (rows i-W+1..i, default) or reference (rows i-W..i-1, scores row i-1).")
    var alignment: String = "inclusive"

    @Option(help: "Feed-forward activation: reference_identity (default; the reference's LeakyReLU(True)), leaky_relu_0.01 or relu.")
    var activation: String = "reference_identity"

    @Option(help: "Phase-loss weighting: epoch_inverse (default, w1 = 1/n) or exponential_decay(EPS) (w1 = EPS^-n).")
    var lossWeighting: String = "epoch_inverse"

    @Option(help: "Score: phase2_only (default, the reference) or averaged (0.5 err(x1) + 0.5 err(x2), paper Eq. 13).")
    var scoring: String = "phase2_only"

    @Option(parsing: .unconditional, help: "Dropout probability (reference 0.1; 0 ≤ p < 1).", transform: DropoutProbability.parse)
    var dropout = DropoutProbability(0.1)

    @Flag(help: "Shuffle windows each epoch (the reference does not).")
    var shuffle = false

    public func validate() throws {
        _ = try makeConfig()
    }

    /// The run configuration these options describe (throws a ValidationError naming the bad option).
    func makeConfig() throws -> TranADConfig {
        guard let p = TranADPrecision(rawValue: dtype) else { throw ValidationError("--dtype must be float32 or float64, got '\(dtype)'") }
        guard let a = TranADWindowAlignment(rawValue: alignment) else { throw ValidationError("--alignment must be inclusive or reference, got '\(alignment)'") }
        guard let act = TranADActivation(rawValue: activation) else {
            throw ValidationError("--activation must be one of \(TranADActivation.allCases.map(\.rawValue).joined(separator: ", ")), got '\(activation)'")
        }
        guard let lw = TranADLossWeighting(name: lossWeighting) else {
            throw ValidationError("--loss-weighting must be epoch_inverse or exponential_decay(EPS) with EPS > 1, got '\(lossWeighting)'")
        }
        guard let sc = TranADScoring(rawValue: scoring) else { throw ValidationError("--scoring must be phase2_only or averaged, got '\(scoring)'") }
        var c = TranADConfig()
        c.precision = p; c.alignment = a; c.activation = act; c.lossWeighting = lw; c.scoring = sc
        c.epochs = epochs.value; c.seed = seed; c.window = window.value; c.batchSize = batch.value; c.learningRate = lr.value
        c.dropout = dropout.value; c.shuffle = shuffle
        do { try c.validate() } catch let e as TranADConfigError { throw ValidationError(e.description) }
        return c
    }
}

/// `--threads`, shared by every command that computes.
public struct ThreadOptions: ParsableArguments {
    public init() {}

    @Option(parsing: .unconditional,
            help: "Worker threads (\(TranADConfig.workersRange); default: all cores). Results are reproducible for a fixed --seed and --threads.",
            transform: ThreadCount.parse)
    var threads: ThreadCount?

    /// The thread count, nil for the default (all cores).
    var count: Int? { threads?.value }
}

/// `--q`, `--level`, `--scale` of `vigil pot`.
public struct POTOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, parsing: .unconditional, help: "Probability of the initial threshold t (0 < level < 1).", transform: POTLevel.parse)
    var level = POTLevel(0.99995)

    @Option(name: .long, parsing: .unconditional, help: "Risk q of the extreme quantile z_q (0 < q < 1; z_q must come out above t).", transform: POTRisk.parse)
    var q = POTRisk(1e-5)

    @Option(name: .long, parsing: .unconditional, help: "Multiplier of the final threshold (finite, > 0).", transform: POTScale.parse)
    var scale = POTScale(1.06)
}
