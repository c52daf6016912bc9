import ArgumentParser
import VigilTranAD

/// The TranAD options shared by `vigil train` and `vigil evaluate`: every quirk of the reference is one of them.
struct TranADOptions: ParsableArguments {
    @Option(help: "Epochs to train (reference 5).")
    var epochs: Int = 5

    @Option(help: "Precision: float32 (default, fast) or float64 (what the reference trains in).")
    var dtype: String = "float32"

    @Option(help: "Seed of the initial weights, dropout and (optional) shuffling.")
    var seed: UInt64 = 0

    @Option(help: "Window length W (reference 10).")
    var window: Int = 10

    @Option(help: "Mini-batch size (reference 128).")
    var batch: Int = 128

    @Option(help: "AdamW learning rate (reference 1e-4).")
    var lr: Double = 1e-4

    @Option(help: "Window alignment: inclusive (rows i-W+1..i, default) or reference (rows i-W..i-1, scores row i-1).")
    var alignment: String = "inclusive"

    @Option(help: "Feed-forward activation: reference_identity (default; the reference's LeakyReLU(True)), leaky_relu_0.01 or relu.")
    var activation: String = "reference_identity"

    @Option(help: "Phase-loss weighting: epoch_inverse (default, w1 = 1/n) or exponential_decay(EPS) (w1 = EPS^-n).")
    var lossWeighting: String = "epoch_inverse"

    @Option(help: "Score: phase2_only (default, the reference) or averaged (0.5 err(x1) + 0.5 err(x2), paper Eq. 13).")
    var scoring: String = "phase2_only"

    @Option(help: "Dropout probability (reference 0.1).")
    var dropout: Double = 0.1

    @Flag(help: "Shuffle windows each epoch (the reference does not).")
    var shuffle = false
    func validate() throws {
        _ = try makeConfig()
    }

    /// The run configuration these options describe (throws a ValidationError naming the bad option).
    func makeConfig() throws -> TranADConfig {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1, got \(window)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
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
        c.epochs = epochs; c.seed = seed; c.window = window; c.batchSize = batch; c.learningRate = lr
        c.dropout = dropout; c.shuffle = shuffle
        return c
    }
}
