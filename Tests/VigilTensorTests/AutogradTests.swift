import XCTest
import Foundation
@testable import VigilTensor

final class AutogradTests: XCTestCase {
    func testNoGradRecordsNothingAndNests() {
        let x = Tensor<Double>(shape: [2], scalars: [1, 2]); x.requiresGrad = true
        XCTAssertTrue(GradMode.isEnabled)
        let y: Tensor<Double> = withNoGrad {
            XCTAssertFalse(GradMode.isEnabled)
            let inner: Tensor<Double> = withNoGrad { exp(x) }
            XCTAssertFalse(GradMode.isEnabled)     // still off after the nested scope ends
            return linear(inner.reshaped([1, 2]), Tensor(ones: [3, 2]), nil).sum()
        }
        XCTAssertTrue(GradMode.isEnabled)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertFalse(y.hasGradFunction)
        XCTAssertEqual(y.item, 3 * (Foundation.exp(1) + Foundation.exp(2)), accuracy: 1e-12)
        let z = x * 2.0
        XCTAssertTrue(z.requiresGrad)
        XCTAssertEqual(z.gradFunctionName, "mulScalar")
        // Ops on tensors that need no grad record nothing even with grad on.
        let c = Tensor<Double>(ones: [2]) + Tensor<Double>(ones: [2])
        XCTAssertFalse(c.requiresGrad || c.hasGradFunction)
    }

    func testGradientsAccumulateAndZeroGrad() {
        let x = Tensor<Double>(shape: [3], scalars: [1, 2, 3]); x.requiresGrad = true
        (x * x).sum().backward()                               // d/dx Σx² = 2x
        XCTAssertEqual(x.grad!.scalars, [2, 4, 6])
        (x * 3.0).sum().backward()                             // + 3
        XCTAssertEqual(x.grad!.scalars, [5, 7, 9])
        let l = x.sum()
        l.backward(); l.backward()                             // same graph twice: + 1 + 1
        XCTAssertEqual(x.grad!.scalars, [7, 9, 11])
        x.zeroGrad()
        XCTAssertNil(x.grad)
        (x * x).sum().backward()
        XCTAssertEqual(x.grad!.scalars, [2, 4, 6])
    }

    func testSharedSubexpressionAndLeafUsedTwice() {
        // y = a·b + a: ∂y/∂a = b + 1 summed through two paths; h = exp(a) used twice.
        let a = Tensor<Double>(shape: [2], scalars: [0.5, -1]), b = Tensor<Double>(shape: [2], scalars: [3, 4])
        a.requiresGrad = true; b.requiresGrad = true
        let h = exp(a)
        (a * b + a + h * h).sum().backward()
        XCTAssertEqual(a.grad!.scalars[0], 3 + 1 + 2 * Foundation.exp(1.0), accuracy: 1e-12)
        XCTAssertEqual(a.grad!.scalars[1], 4 + 1 + 2 * Foundation.exp(-2.0), accuracy: 1e-12)
        XCTAssertEqual(b.grad!.scalars, [0.5, -1])
        XCTAssertNil(h.grad)   // non-leaf gradients are not kept
    }

    func testDetachedStopsGradient() {
        let x = Tensor<Double>(shape: [2], scalars: [1, 2]); x.requiresGrad = true
        (x * x.detached()).sum().backward()
        XCTAssertEqual(x.grad!.scalars, [1, 2])
    }

    func testNonFiniteInBackwardIsDetectable() {
        // sqrt'(0) = ∞ and 0·∞ = NaN: the forward is finite, the gradient is not.
        let x = Tensor<Double>(shape: [2], scalars: [0, 4]); x.requiresGrad = true
        let loss = (sqrt(x) * Tensor(shape: [2], scalars: [0, 1])).sum()
        XCTAssertFalse(loss.hasNonFinite)
        loss.backward()
        XCTAssertTrue(x.grad!.hasNonFinite)
        XCTAssertTrue(x.grad!.scalars[0].isNaN)
        XCTAssertEqual(x.grad!.scalars[1], 0.25)
        XCTAssertTrue(Tensor<Float>(shape: [3], scalars: [1, .infinity, 2]).hasNonFinite)
        XCTAssertTrue(Tensor<Float>(shape: [3], scalars: [1, 2, 3]).allFinite)
    }

    func testShapeErrorMessages() {
        XCTAssertThrowsError(try Shapes.matmul([3, 4], [5, 2])) {
            XCTAssertEqual("\($0)", "matmul: shapes (3, 4) and (5, 2) do not match on the inner dimension")
        }
        XCTAssertThrowsError(try Shapes.matmul([2, 3, 4], [3, 4, 2])) {
            XCTAssertEqual("\($0)", "matmul: shapes (2, 3, 4) and (3, 4, 2) have different batch dimensions")
        }
        XCTAssertThrowsError(try Shapes.broadcast([2, 3], [4, 3], op: "add")) {
            XCTAssertEqual("\($0)", "add: shapes (2, 3) and (4, 3) cannot be broadcast together")
        }
        XCTAssertThrowsError(try Shapes.linear([10, 7], [5, 6], [5])) {
            XCTAssertEqual("\($0)", "linear: shapes (10, 7) and (5, 6) do not match: input features 7 ≠ weight in-features 6")
        }
        XCTAssertThrowsError(try Shapes.concat([[2, 3], [3, 3]], axis: 1)) {
            XCTAssertEqual("\($0)", "concat: shapes (2, 3) and (3, 3) differ outside axis 1")
        }
        XCTAssertThrowsError(try Shapes.reshape([2, 3], to: [4, -1])) {
            XCTAssertEqual("\($0)", "reshape: cannot reshape (2, 3) (6 elements) to (4, -1)")
        }
        XCTAssertThrowsError(try Shapes.axis(3, [2, 3], op: "sum")) {
            XCTAssertEqual("\($0)", "sum: axis 3 is out of range for shape (2, 3)")
        }
        XCTAssertEqual(try Shapes.broadcast([3, 1, 4], [2, 1], op: "mul"), [3, 2, 4])
        XCTAssertEqual(try Shapes.matmul([2, 3, 4], [4, 5]), [2, 3, 5])
        XCTAssertEqual(try Shapes.matmul([3, 4], [5, 4], transposeB: true), [3, 5])
        XCTAssertEqual(try Shapes.reshape([2, 3, 4], to: [-1, 4]), [6, 4])
    }
}
