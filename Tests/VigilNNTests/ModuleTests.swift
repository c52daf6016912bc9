import XCTest
import VigilTensor
@testable import VigilNN

/// A two-level model for naming tests: encoder (Linear) + head (Block{proj Linear, drop Dropout}) + own scale.
final class Block: Module {
    typealias Scalar = Double
    let proj: Linear<Double>
    let drop: Dropout<Double>
    var isTraining = true
    init(rng: inout Xoshiro256) {
        proj = Linear(inFeatures: 3, outFeatures: 2, rng: &rng)
        drop = Dropout(0.5, rng: rng.fork(stream: 1))
    }
    var submodules: [(name: String, module: any Module<Double>)] { [("proj", proj), ("drop", drop)] }
}

final class TinyModel: Module {
    typealias Scalar = Double
    let scale: Tensor<Double>
    let encoder: Linear<Double>
    let head: Block
    var isTraining = true
    init(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        scale = Tensor(ones: [1]); scale.requiresGrad = true
        encoder = Linear(inFeatures: 4, outFeatures: 3, rng: &rng)
        head = Block(rng: &rng)
    }
    var localParameters: [(name: String, tensor: Tensor<Double>)] { [("scale", scale)] }
    var submodules: [(name: String, module: any Module<Double>)] { [("encoder", encoder), ("head", head)] }
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
