import XCTest
import VigilTensor
@testable import VigilNN

/// A two-level model for naming tests: encoder (Linear) + head (Block{proj Linear, drop Dropout}) + own scale.
final class Block: Module<Double> {
    let proj: Linear<Double>
    let drop: Dropout<Double>
    init(rng: inout Xoshiro256) {
        proj = Linear(inFeatures: 3, outFeatures: 2, rng: &rng)
        drop = Dropout(0.5, rng: rng.fork(stream: 1))
    }
}

final class TinyModel: Module<Double> {
    let scale: Tensor<Double>
    let encoder: Linear<Double>
    let head: Block
    init(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        scale = Tensor(ones: [1]); scale.requiresGrad = true
        encoder = Linear(inFeatures: 4, outFeatures: 3, rng: &rng)
        head = Block(rng: &rng)
    }
    func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> {
        sigmoid(head.proj(head.drop(relu(encoder(x)))) * scale)
    }
}

final class ModuleTests: XCTestCase {
    func testStateDictNamesAndOrder() {
        let m = TinyModel(seed: 1)
        XCTAssertEqual(m.namedParameters.map(\.name),
                       ["scale", "encoder.weight", "encoder.bias", "head.proj.weight", "head.proj.bias"])
        XCTAssertEqual(m.namedParameters.map(\.tensor.shape), [[1], [3, 4], [3], [2, 3], [2]])
        XCTAssertEqual(m.parameterCount, 1 + 12 + 3 + 6 + 2)
    }

    func testTrainEvalPropagates() {
        let m = TinyModel(seed: 1)
        m.eval()
        XCTAssertFalse(m.isTraining); XCTAssertFalse(m.head.isTraining); XCTAssertFalse(m.head.drop.isTraining)
        m.train()
        XCTAssertTrue(m.head.drop.isTraining); XCTAssertTrue(m.encoder.isTraining)
    }

    func testLinearDefaultInitBounds() {
        var rng = Xoshiro256(seed: 3)
        let l = Linear<Float>(inFeatures: 16, outFeatures: 200, rng: &rng)
        let bound: Float = 0.25
        let w = l.weight.scalars, b = l.bias!.scalars
        XCTAssertTrue(w.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(b.allSatisfy { abs($0) <= bound })
        // 3200 uniform draws: the extremes come close to ±bound and the mean is near 0.
        XCTAssertGreaterThan(w.max()!, 0.24); XCTAssertLessThan(w.min()!, -0.24)
        XCTAssertEqual(Double(w.reduce(0, +)) / Double(w.count), 0, accuracy: 0.01)
        XCTAssertTrue(l.weight.requiresGrad && l.bias!.requiresGrad)
    }

    func testLoadExportRoundTripAndErrors() throws {
        let a = TinyModel(seed: 1), b = TinyModel(seed: 2)
        XCTAssertNotEqual(a.encoder.weight.scalars, b.encoder.weight.scalars)
        try b.loadParameters(a.exportParameters())
        for ((n1, t1), (n2, t2)) in zip(a.namedParameters, b.namedParameters) {
            XCTAssertEqual(n1, n2); XCTAssertEqual(t1.scalars, t2.scalars)
        }
        var d = a.exportParameters()
        d["encoder.bias"] = [1, 2]
        XCTAssertThrowsError(try b.loadParameters(d)) {
            XCTAssertEqual($0 as? ModuleError, .wrongCount(name: "encoder.bias", expected: 3, found: 2))
        }
        d = a.exportParameters(); d["extra"] = [0]
        XCTAssertThrowsError(try b.loadParameters(d)) { XCTAssertEqual($0 as? ModuleError, .unexpectedParameter("extra")) }
        XCTAssertNoThrow(try b.loadParameters(d, strict: false))
        d = a.exportParameters(); d["scale"] = nil
        XCTAssertThrowsError(try b.loadParameters(d)) { XCTAssertEqual($0 as? ModuleError, .missingParameter("scale")) }
    }

    func testZeroGradClearsAll() {
        let m = TinyModel(seed: 4)
        m.eval()
        m(Tensor<Double>(ones: [2, 4])).sum().backward()
        XCTAssertTrue(m.parameters.allSatisfy { $0.grad != nil })
        m.zeroGrad()
        XCTAssertTrue(m.parameters.allSatisfy { $0.grad == nil })
    }
}

/// Registration by reflection: no explicit lists; an array of layers; an optional child; a constant tensor.
final class ReflectedModel: Module<Float> {
    let embed: Tensor<Float>
    let positional: Tensor<Float>          // requiresGrad == false: a constant, not a parameter
    let layers: [Linear<Float>]
    let head: Linear<Float>?
    let drop: Dropout<Float>
    override init() {
        var rng = Xoshiro256(seed: 5)
        embed = Tensor(uniform: [2, 3], low: -1, high: 1, rng: &rng); embed.requiresGrad = true
        positional = Tensor(zeros: [3])
        layers = [Linear(inFeatures: 3, outFeatures: 3, rng: &rng), Linear(inFeatures: 3, outFeatures: 3, bias: false, rng: &rng)]
        head = Linear(inFeatures: 3, outFeatures: 1, rng: &rng)
        drop = Dropout(0.1, seed: 1)
    }
}

/// Keys at the declarations (`@StateDictKey`), for a parameter, a child and a list of children; a property
/// declared later comes later whatever its key.
final class KeyedModel: Module<Float> {
    @StateDictKey("zz_first") private(set) var a: Tensor<Float>
    @StateDictKey("blocks") private(set) var layers: [Linear<Float>]
    @StateDictKey("out.0") private(set) var head: Linear<Float>
    let b: Tensor<Float>
    override init() {
        var rng = Xoshiro256(seed: 9)
        _a.wrappedValue = Tensor(ones: [2]); _a.wrappedValue.requiresGrad = true
        _layers.wrappedValue = [Linear(inFeatures: 2, outFeatures: 2, bias: false, rng: &rng)]
        _head.wrappedValue = Linear(inFeatures: 2, outFeatures: 1, rng: &rng)
        b = Tensor(zeros: [1]); b.requiresGrad = true
    }
}

final class ReflectionTests: XCTestCase {
    func testReflectionRegistersLikePyTorch() {
        let m = ReflectedModel()
        XCTAssertEqual(m.namedParameters.map(\.name),
                       ["embed", "layers.0.weight", "layers.0.bias", "layers.1.weight", "head.weight", "head.bias"])
        XCTAssertEqual(m.submodules.map(\.name), ["layers.0", "layers.1", "head", "drop"])
        m.eval()
        XCTAssertFalse(m.drop.isTraining); XCTAssertFalse(m.layers[1].isTraining)
    }

    func testStateDictKeysAtTheDeclarations() throws {
        let m = KeyedModel()
        XCTAssertEqual(m.namedParameters.map(\.name), ["zz_first", "b", "blocks.0.weight", "out.0.weight", "out.0.bias"])
        XCTAssertEqual(m.submodules.map(\.name), ["blocks.0", "out.0"])
        // the keys are what export and load use
        let other = KeyedModel()
        var values = m.exportParameters()
        values["out.0.bias"] = [0.25]
        try other.loadParameters(values)
        XCTAssertEqual(other.head.bias!.scalars, [0.25])
        XCTAssertEqual(other.a.scalars, [1, 1])
    }

    func testMembersAreReflectedOnceAndCached() {
        let m = ReflectedModel()
        let first = m.namedParameters.map { ObjectIdentifier($0.tensor) }
        XCTAssertEqual(m.namedParameters.map { ObjectIdentifier($0.tensor) }, first)
        XCTAssertTrue(m.parameters.elementsEqual(m.namedParameters.map(\.tensor)) { $0 === $1 })
        XCTAssertEqual(m.parameterCount, 6 + 12 + 9 + 4)
    }
}
