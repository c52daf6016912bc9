import XCTest
@testable import VigilTensor

final class BufferPoolTests: XCTestCase {
    func testSizeClassesCoverRequestsWithBoundedWaste() {
        var last = 0
        for bytes in stride(from: 1, through: 5_000_000, by: 997) {
            let c = BufferPool.sizeClass(bytes)
            XCTAssertGreaterThanOrEqual(c, bytes)
            XCTAssertGreaterThanOrEqual(c, last)           // monotone
            if bytes >= BufferPool.minPooled { XCTAssertLessThanOrEqual(Double(c), Double(bytes) * 1.25 + 1) }
            last = c
        }
    }

    func testLargeBuffersAreReusedAndAligned() {
        let pool = BufferPool.shared
        let p = pool.allocate(bytes: 300_000)
        XCTAssertEqual(Int(bitPattern: p) % 64, 0)
        pool.release(p, bytes: 300_000)
        let q = pool.allocate(bytes: 299_000)        // same size class → the cached buffer
        XCTAssertEqual(p, q)
        pool.release(q, bytes: 299_000)
        // Tensors of a repeated shape get their storage back from the pool.
        let before = pool.cachedBytes
        do { _ = Tensor<Float>(zeros: [100_000]) }
        XCTAssertGreaterThanOrEqual(pool.cachedBytes, before)
        pool.trim()
        XCTAssertEqual(pool.cachedBytes, 0)
    }
}
