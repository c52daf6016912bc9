import XCTest
import VigilRandom
import VigilTensor
@testable import VigilNN

final class OptimizerTests: XCTestCase {
    /// Reference values made with torch 2.15 (CPU, float64):
    ///   p = Parameter(tensor([1.0, -2.0], dtype=float64))
    ///   opt = AdamW([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    ///   sched = StepLR(opt, step_size=2, gamma=0.5)
    ///   for g in [[0.5, -1.0], [0.1, 0.3], [-0.2, 0.4]]: p.grad = tensor(g); opt.step(); print(p); sched.step()
    func testAdamWMatchesTorchWithStepLR() {
        let p = Tensor<Double>(shape: [2], scalars: [1.0, -2.0])
        p.requiresGrad = true
        let opt = AdamW(parameters: [p], lr: 0.01, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0.1)
        let sched = StepLR(opt, stepSize: 2, gamma: 0.5)
        let grads: [[Double]] = [[0.5, -1.0], [0.1, 0.3], [-0.2, 0.4]]
        let expected: [[Double]] = [[0.9890000002, -1.9880000001],
                                    [0.9799805906382653, -1.9817335142428225],
                                    [0.9777688316154881, -1.9803423522880692]]
        let expectedLR = [0.01, 0.01, 0.005]
        for (i, g) in grads.enumerated() {
            XCTAssertEqual(opt.learningRate, expectedLR[i], accuracy: 1e-15)
            p.grad = Tensor(shape: [2], scalars: g)
            opt.step()
            for j in 0..<2 { XCTAssertEqual(p.scalars[j], expected[i][j], accuracy: 1e-13, "step \(i + 1) element \(j)") }
            sched.step()
        }
        XCTAssertEqual(opt.learningRate, 0.005, accuracy: 1e-15)
        XCTAssertEqual(opt.steps, [3])
    }

    /// Same three gradients in float32 at a constant lr 0.01 (torch 2.15, float32 tensors):
    /// final p = [0.9755571484565735, -1.9789512157440186].
    func testAdamWFloat32MatchesTorch() {
        let p = Tensor<Float>(shape: [2], scalars: [1.0, -2.0])
        p.requiresGrad = true
        let opt = AdamW(parameters: [p], lr: 0.01, weightDecay: 0.1)
        for g: [Float] in [[0.5, -1.0], [0.1, 0.3], [-0.2, 0.4]] {
            p.grad = Tensor(shape: [2], scalars: g)
            opt.step()
        }
        XCTAssertEqual(p.scalars[0], 0.9755571484565735, accuracy: 2e-7)
        XCTAssertEqual(p.scalars[1], -1.9789512157440186, accuracy: 2e-7)
    }

    /// Hand computation of the first AdamW step: with m̂ = g and v̂ = g², the Adam step is
    /// lr·g/(|g| + eps) ≈ lr·sign(g); decay first multiplies p by (1 − lr·wd).
    func testAdamWFirstStepByHand() {
        let p = Tensor<Double>(shape: [2], scalars: [2.0, -3.0])
        let opt = AdamW(parameters: [p], lr: 0.1, betas: (0.8, 0.99), eps: 0, weightDecay: 0.5)
        p.grad = Tensor(shape: [2], scalars: [4.0, -0.25])
        opt.step()
        XCTAssertEqual(p.scalars[0], 2.0 * (1 - 0.05) - 0.1, accuracy: 1e-14)
        XCTAssertEqual(p.scalars[1], -3.0 * (1 - 0.05) + 0.1, accuracy: 1e-14)
    }

    func testParametersWithoutGradAreSkipped() {
        let a = Tensor<Double>(shape: [1], scalars: [1]), b = Tensor<Double>(shape: [1], scalars: [1])
        let opt = AdamW(parameters: [a, b], lr: 0.1)
        a.grad = Tensor(shape: [1], scalars: [1])
        opt.step()
        XCTAssertEqual(opt.steps, [1, 0])
        XCTAssertEqual(b.scalars, [1])
        XCTAssertLessThan(a.scalars[0], 1)
        opt.zeroGrad()
        XCTAssertNil(a.grad)
    }

    /// torch: StepLR(AdamW([q], lr=0.1), step_size=3, gamma=0.9), lr before each of 8 epochs:
    /// [0.1, 0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.08100000000000002, 0.08100000000000002]
    func testStepLRSequenceMatchesTorch() {
        let opt = AdamW(parameters: [Tensor<Float>(zeros: [1])], lr: 0.1)
        let sched = StepLR(opt, stepSize: 3, gamma: 0.9)
        var lrs: [Double] = []
        for _ in 0..<8 { lrs.append(opt.learningRate); opt.step(); sched.step() }
        XCTAssertEqual(lrs, [0.1, 0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001,
                             0.08100000000000002, 0.08100000000000002])
        XCTAssertEqual(sched.lastEpoch, 8)
    }
}

final class DeterminismTests: XCTestCase {
    /// A tiny seeded training run (init, dropout, shuffling all from Xoshiro256 streams).
    func trainTiny(seed: UInt64) -> [String: [Float]] {
        let model = TinyFloatModel(seed: seed)
        let opt = AdamW(parameters: model.parameters, lr: 0.05, weightDecay: 0.01)
        let sched = StepLR(opt, stepSize: 2, gamma: 0.5)
        var data = Xoshiro256(seed: seed).fork(stream: 7)
        let x = Tensor<Float>(uniform: [16, 5], low: -1, high: 1, rng: &data)
        let y = Tensor<Float>(uniform: [16, 2], low: 0, high: 1, rng: &data)
        var shuffle = Xoshiro256(seed: seed).fork(stream: 8)
        model.train()
        for _ in 0..<4 {
            var order = Array(0..<4)
            order.shuffle(using: &shuffle)
            for b in order {
                opt.zeroGrad()
                let xb = x.slice(axis: 0, range: (b * 4)..<(b * 4 + 4)), yb = y.slice(axis: 0, range: (b * 4)..<(b * 4 + 4))
                mseLoss(model(xb), yb).backward()
                opt.step()
            }
            sched.step()
        }
        return model.exportParameters()
    }

    /// The SIMD AdamW kernel (8 lanes and a scalar tail) gives every element the bits of the one-element reference,
    /// over 3 steps on 45 elements (5 SIMD steps and a 5-element tail), in Float and Double.
    func testSIMDAdamKernelMatchesScalarReferenceBitForBit() {
        func check<T: TensorScalar>(_: T.Type) {
            let n = 45
            var rng = Xoshiro256(seed: 21)
            func values(_ scale: Double) -> [T] { (0..<n).map { _ in T(rng.nextGaussian() * scale) } }
            var (p1, m1, v1) = (values(1), [T](repeating: 0, count: n), [T](repeating: 0, count: n))
            var (p2, m2, v2) = (p1, m1, v1)
            let start = p1
            for step in 1...3 {
                let g = values(Double(step))
                let bc1 = 1 - Double.pow(0.9, Double(step)), bc2 = 1 - Double.pow(0.999, Double(step))
                let c = AdamCoefficients(decay: 1 - 1e-3 * 0.01, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001,
                                         stepSize: 1e-3 / bc1, bc2Sqrt: bc2.squareRoot(), eps: 1e-8)
                adamKernel(&p1, g, &m1, &v1, n, c)
                adamReference(&p2, g, &m2, &v2, n, c)
            }
            XCTAssertEqual(p1.map(\.bitPattern), p2.map(\.bitPattern), "\(T.dtypeName) parameters")
            XCTAssertEqual(m1.map(\.bitPattern), m2.map(\.bitPattern), "\(T.dtypeName) first moments")
            XCTAssertEqual(v1.map(\.bitPattern), v2.map(\.bitPattern), "\(T.dtypeName) second moments")
            XCTAssertTrue(zip(p1, start).allSatisfy { $0 != $1 }, "every parameter moved")
        }
        check(Float.self)
        check(Double.self)
    }

    func testSameSeedSameWeightsBitForBit() {
        let a = trainTiny(seed: 11), b = trainTiny(seed: 11), c = trainTiny(seed: 12)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertTrue(a.values.allSatisfy { $0.allSatisfy(\.isFinite) })
    }
}

final class TinyFloatModel: Module<Float> {
    let fc1: Linear<Float>, drop: Dropout<Float>, fc2: Linear<Float>
    init(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        fc1 = Linear(inFeatures: 5, outFeatures: 8, rng: &rng)
        drop = Dropout(0.2, rng: rng.fork(stream: 1))
        fc2 = Linear(inFeatures: 8, outFeatures: 2, rng: &rng)
    }
    func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { sigmoid(fc2(drop(leakyReLU(fc1(x), slope: 0.1)))) }
}
