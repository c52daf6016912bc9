import Foundation
import VigilNN
import VigilTensor
@testable import VigilTranAD
import XCTest

/// One golden configuration written by scripts/make_tranad_goldens.py (independent PyTorch, Float64): a JSON
/// resource with the configuration and every array as its shape and row-major values.
struct Golden: Decodable {
    struct Config: Decodable {
        let features: Int, window: Int, batch: Int, epoch: Int
        let activation: String
        let parameter_names: [String]
        let parameter_count: Int
    }
    struct Array: Decodable {
        let shape: [Int]
        let values: [Double]
    }
    let generator: String
    let config: Config
    let arrays: [String: Array]

    var features: Int { config.features }
    var window: Int { config.window }
    var epoch: Int { config.epoch }
    var activation: TranADActivation { TranADActivation(rawValue: config.activation)! }
    var parameterNames: [String] { config.parameter_names }
    var parameterCount: Int { config.parameter_count }

    static func load(_ name: String) throws -> Golden {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Goldens") else {
            throw NSError(domain: "Golden", code: 1, userInfo: [NSLocalizedDescriptionKey: "golden \(name) not in the test bundle"])
        }
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    func array(_ key: String) -> (shape: [Int], values: [Double]) {
        let a = arrays[key]!
        return (a.shape, a.values)
    }
}

/// Asserts |a − b| ≤ 1e-6·max(|b|, 1e-3·max|b|) elementwise (relative, with a floor at 1e-3 of the
/// tensor's scale so exactly-zero reference entries — e.g. unused decoder q/k gradients — compare sanely).
func assertClose(_ a: [Double], _ b: [Double], _ what: String, rel: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): count", file: file, line: line)
    let scale = b.map(abs).max() ?? 0
    var worst = 0.0, worstAt = -1
    for i in 0..<min(a.count, b.count) {
        let tol = rel * max(abs(b[i]), 1e-3 * scale) + 1e-300
        let r = abs(a[i] - b[i]) / tol
        if r > worst { worst = r; worstAt = i }
    }
    XCTAssertLessThanOrEqual(worst, 1, "\(what): element \(worstAt) is \(worstAt >= 0 ? a[worstAt] : 0), reference \(worstAt >= 0 ? b[worstAt] : 0)", file: file, line: line)
}

final class GoldenParityTests: XCTestCase {
    func runGolden(_ name: String) throws {
        let g = try Golden.load(name)
        XCTAssertEqual(g.generator, "scripts/make_tranad_goldens.py")
        var config = TranADConfig()
        config.window = g.window
        config.dropout = 0
        config.activation = g.activation
        config.precision = .float64
        let model = TranADModel<Double>(features: g.features, config: config)
        XCTAssertEqual(model.namedParameters.map(\.name), g.parameterNames)
        XCTAssertEqual(model.parameterCount, g.parameterCount)
        for (pname, t) in model.namedParameters {
            let (shape, values) = g.array(pname)
            XCTAssertEqual(t.shape, shape, pname)
            t.withUnsafeMutableBufferPointer { p in for i in 0..<values.count { p[i] = values[i] } }
        }
        model.eval()
        // golden window (W, B, F) -> model layout (B, W, F)
        let (ws, wv) = g.array("input.window")
        let (W, B, F) = (ws[0], ws[1], ws[2])
        var x = [Double](repeating: 0, count: W * B * F)
        for w in 0..<W { for b in 0..<B { for f in 0..<F { x[(b * W + w) * F + f] = wv[(w * B + b) * F + f] } } }
        let windows = Tensor<Double>(shape: [B, W, F], scalars: x)
        let (e1, e2) = withNoGrad { model(windows) }  // inference path (no stored attention weights)
        assertClose(e1.scalars, g.array("output.x1").values, "\(name) x1 (no grad)")
        assertClose(e2.scalars, g.array("output.x2").values, "\(name) x2 (no grad)")
        let (x1, x2) = model(windows)
        assertClose(x1.scalars, g.array("output.x1").values, "\(name) x1")
        assertClose(x2.scalars, g.array("output.x2").values, "\(name) x2")
        let loss = model.loss(x1: x1, x2: x2, windows: windows, epoch: g.epoch)
        assertClose([loss.item], g.array("output.loss").values, "\(name) loss")
        model.zeroGrad()
        loss.backward()
        for (pname, t) in model.namedParameters {
            let grad = t.grad?.scalars ?? [Double](repeating: 0, count: t.count)
            assertClose(grad, g.array("grad." + pname).values, "\(name) grad \(pname)")
        }
    }

    func testGoldenF5DefaultInitEpoch1() throws { try runGolden("tranad_f5_w10_b3") }
    func testGoldenF7PerturbedEpoch3() throws { try runGolden("tranad_f7_w6_b4_n3") }
    func testGoldenF4ReluEpoch2() throws { try runGolden("tranad_f4_w5_b2_relu") }
}
