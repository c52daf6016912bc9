// TranAD (Tuli et al., VLDB 2022) as a VigilNN Module, faithful to imperial-qore/TranAD src/models.py.
//
// Layout: windows are batch-major (B, W, F) (the reference uses (W, B, F); only the order of the
// leading axes differs, every per-token computation is identical). d = 2F, F heads of width 2.
import RealModule
import VigilNN
import VigilRandom
import VigilTensor

/// The reference feed-forward block's activation applied as a tensor op.
@inline(__always)
func applyActivation<S: TensorScalar>(_ x: Tensor<S>, _ a: TranADActivation) -> Tensor<S> {
    switch a {
    case .referenceIdentity: return x  // LeakyReLU(negative_slope = True = 1.0) is the identity
    case .leakyReLU001: return leakyReLU(x, slope: 0.01)
    case .relu: return relu(x)
    }
}

/// Encoder layer of the reference (dlutils.TransformerEncoderLayer): x + attn(x), then + FF; no LayerNorm.
public final class TranADEncoderLayer<Scalar: AttentionScalar>: Module<Scalar> {
    @StateDictKey("self_attn") public private(set) var selfAttn: MultiheadAttention<Scalar>
    public let linear1: Linear<Scalar>
    public let linear2: Linear<Scalar>
    public let activation: TranADActivation

    init(dModel: Int, heads: Int, feedForward: Int, activation: TranADActivation, rng: inout Xoshiro256) {
        _selfAttn.wrappedValue = MultiheadAttention(embedDim: dModel, heads: heads, rng: &rng)
        linear1 = Linear(inFeatures: dModel, outFeatures: feedForward, rng: &rng)
        linear2 = Linear(inFeatures: feedForward, outFeatures: dModel, rng: &rng)
        self.activation = activation
        super.init()
    }

    /// x: (B, L, d) → (B, L, d).
    func forward(_ x: Tensor<Scalar>, dropout p: Double, rng: inout Xoshiro256) -> Tensor<Scalar> {
        let t = isTraining
        var x = addDropout(x, selfAttn.selfAttention(x, dropout: p, rng: &rng, training: t), p: p, rng: &rng, training: t)
        let h = dropout(applyActivation(linear1(x), activation), p: p, rng: &rng, training: t)
        x = addDropout(x, linear2(h), p: p, rng: &rng, training: t)
        return x
    }
}

/// Decoder layer of the reference (dlutils.TransformerDecoderLayer): self-attn, cross-attn, FF; no LayerNorm.
public final class TranADDecoderLayer<Scalar: AttentionScalar>: Module<Scalar> {
    @StateDictKey("self_attn") public private(set) var selfAttn: MultiheadAttention<Scalar>
    @StateDictKey("multihead_attn") public private(set) var multiheadAttn: MultiheadAttention<Scalar>
    public let linear1: Linear<Scalar>
    public let linear2: Linear<Scalar>
    public let activation: TranADActivation

    init(dModel: Int, heads: Int, feedForward: Int, activation: TranADActivation, rng: inout Xoshiro256) {
        _selfAttn.wrappedValue = MultiheadAttention(embedDim: dModel, heads: heads, rng: &rng)
        _multiheadAttn.wrappedValue = MultiheadAttention(embedDim: dModel, heads: heads, rng: &rng)
        linear1 = Linear(inFeatures: dModel, outFeatures: feedForward, rng: &rng)
        linear2 = Linear(inFeatures: feedForward, outFeatures: dModel, rng: &rng)
        self.activation = activation
        super.init()
    }

    /// tgt: (B, Lt, d), memory: (B, Lm, d) → (B, Lt, d).
    func forward(_ tgt: Tensor<Scalar>, memory: Tensor<Scalar>, dropout p: Double,
                 rng: inout Xoshiro256) -> Tensor<Scalar> {
        let t = isTraining
        var x = addDropout(tgt, selfAttn.selfAttention(tgt, dropout: p, rng: &rng, training: t), p: p, rng: &rng, training: t)
        x = addDropout(x, multiheadAttn.crossAttention(query: x, memory: memory, dropout: p, rng: &rng, training: t),
                       p: p, rng: &rng, training: t)
        let h = dropout(applyActivation(linear1(x), activation), p: p, rng: &rng, training: t)
        x = addDropout(x, linear2(h), p: p, rng: &rng, training: t)
        return x
    }
}

/// TranAD: encoder + two one-layer decoders + Linear(2F→F)·sigmoid head; x1 from phase 1 (c = 0),
/// x2 from phase 2 (c = (x1 − window)²). Parameters are named as the reference state_dict.
public final class TranADModel<Scalar: AttentionScalar>: Module<Scalar> {
    public let features: Int
    public let config: TranADConfig
    /// d_model = 2F.
    public let dModel: Int
    @StateDictKey("transformer_encoder.layers.0") public private(set) var encoder: TranADEncoderLayer<Scalar>
    @StateDictKey("transformer_decoder1.layers.0") public private(set) var decoder1: TranADDecoderLayer<Scalar>
    @StateDictKey("transformer_decoder2.layers.0") public private(set) var decoder2: TranADDecoderLayer<Scalar>
    /// `fcn.0`: Linear(2F → F), followed by sigmoid.
    @StateDictKey("fcn.0") public private(set) var fcn: Linear<Scalar>
    /// Positional encoding pe[pos, i] = sin(pos·w_i) + cos(pos·w_i), w_i = exp(−i·ln(10000)/d): (W, d).
    public let positionalEncoding: Tensor<Scalar>
    /// Dropout stream (seeded from the config seed).
    public var dropoutRNG: Xoshiro256

    /// Builds the model with PyTorch default initialisation drawn from `config.seed`.
    /// Parameters are created in state_dict order, so the same seed gives the same weights.
    public init(features: Int, config: TranADConfig) {
        precondition(features > 0 && config.window > 0, "TranAD needs at least one feature and a window ≥ 1")
        self.features = features
        self.config = config
        dModel = 2 * features
        var rng = Xoshiro256(seed: config.seed)
        _encoder.wrappedValue = TranADEncoderLayer(dModel: dModel, heads: features, feedForward: config.feedForward,
                                     activation: config.activation, rng: &rng)
        _decoder1.wrappedValue = TranADDecoderLayer(dModel: dModel, heads: features, feedForward: config.feedForward,
                                      activation: config.activation, rng: &rng)
        _decoder2.wrappedValue = TranADDecoderLayer(dModel: dModel, heads: features, feedForward: config.feedForward,
                                      activation: config.activation, rng: &rng)
        _fcn.wrappedValue = Linear(inFeatures: dModel, outFeatures: features, rng: &rng)
        dropoutRNG = Xoshiro256(seed: config.seed).fork(stream: 1)
        let d = dModel
        var pe = [Scalar](repeating: 0, count: config.window * d)
        for pos in 0..<config.window {
            for i in 0..<d {
                let w = Double.exp(Double(i) * (-Double.log(10000.0) / Double(d)))
                pe[pos * d + i] = Scalar(Double.sin(Double(pos) * w) + Double.cos(Double(pos) * w))
            }
        }
        positionalEncoding = Tensor(shape: [config.window, d], scalars: pe)
        super.init()
    }

    /// Encoder of one phase: concat(window, c)·√F + pe, dropout, encoder layer; c = 0 (x1 nil) or
    /// (x1 − window)² (phase 2). windows: (B, W, F), x1: (B, 1, F) → memory (B, W, 2F).
    func encode(_ windows: Tensor<Scalar>, focus x1: Tensor<Scalar>?) -> Tensor<Scalar> {
        let p = config.dropout
        let x = tranADEncoderInput(windows, x1: x1, pe: positionalEncoding, scale: Double(features).squareRoot(),
                                   dropout: p, rng: &dropoutRNG, training: isTraining)
        return encoder.forward(x, dropout: p, rng: &dropoutRNG)
    }

    /// Both phases. windows: (B, W, F) → x1, x2: (B, 1, F).
    public func callAsFunction(_ windows: Tensor<Scalar>) -> (x1: Tensor<Scalar>, x2: Tensor<Scalar>) {
        precondition(windows.shape.count == 3 && windows.shape[2] == features && windows.shape[1] == config.window,
                     "TranADModel: windows must be (B, \(config.window), \(features)), got \(windows.shape)")
        let w = windows.shape[1]
        let p = config.dropout
        let elem = windows.slice(axis: 1, range: (w - 1)..<w)  // (B, 1, F)
        let tgt = concat([elem, elem], axis: 2)  // (B, 1, 2F)
        let memory1 = encode(windows, focus: nil)  // phase 1: c = 0
        let x1 = sigmoid(fcn(decoder1.forward(tgt, memory: memory1, dropout: p, rng: &dropoutRNG)))
        let memory2 = encode(windows, focus: x1)  // phase 2: c = (x1 − window)², x1 broadcast over W
        let x2 = sigmoid(fcn(decoder2.forward(tgt, memory: memory2, dropout: p, rng: &dropoutRNG)))
        return (x1, x2)
    }

    /// Weighted two-phase loss mean(w1·(x1 − e)² + (1 − w1)·(x2 − e)²), e = the window's last row.
    public func loss(x1: Tensor<Scalar>, x2: Tensor<Scalar>, windows: Tensor<Scalar>, epoch n: Int) -> Tensor<Scalar> {
        let w = windows.shape[1]
        let elem = windows.slice(axis: 1, range: (w - 1)..<w)
        let w1 = config.lossWeighting.phase1Weight(epoch: n)
        return square(x1 - elem).mean() * Scalar(w1) + square(x2 - elem).mean() * Scalar(1 - w1)
    }
}

