import XCTest
import Foundation
@testable import VigilTensor

final class FastExpTests: XCTestCase {
    /// Float eˣ (used by exp, sigmoid and softmax in Float32) against libm expf across the normal range.
    func testFastExpfAccuracy() {
        var worst: Float = 0
        var x: Float = -87
        while x <= 88.7 {
            let e = Foundation.expf(x), f = fastExpf(x)
            worst = max(worst, abs(f - e) / e)
            x += 0.0137
        }
        XCTAssertLessThanOrEqual(worst, 3e-7)
        XCTAssertEqual(fastExpf(0), 1)
        XCTAssertEqual(fastExpf(-100), 0)
        XCTAssertEqual(fastExpf(-Float.infinity), 0)
        XCTAssertEqual(fastExpf(89), .infinity)
        XCTAssertEqual(fastExpf(.infinity), .infinity)
        XCTAssertTrue(fastExpf(.nan).isNaN)
        XCTAssertEqual(fastExpf(88.7), Foundation.expf(88.7), accuracy: Foundation.expf(88.7) * 3e-7)
    }
}
