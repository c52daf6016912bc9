import Foundation
import XCTest
import VigilData
@testable import VigilTranAD

/// A checkpoint with any byte flipped must load bit-identically (the byte was unused padding) or fail with a
/// thrown error — never trap, never load different values.
final class CheckpointCorruptionTests: XCTestCase {
    func testFlippedBytesGiveAnErrorOrIdenticalValues() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-flip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = TranADConfig()
        config.epochs = 1
        config.window = 3
        config.batchSize = 4
        let data = DataMatrix(rows: 8, cols: 2, values: (0..<16).map { Double(($0 * 37) % 16) / 16 })
        let trainer = try TranADTrainer(features: 2, config: config, workers: 1)
        try trainer.train(on: data)
        let original = dir + "/ck.h5"
        try TranADCheckpoint.save(trainer, normMin: [0, 0.5], normMax: [1, 2], to: original)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        let reference = trainer.exportParameters()

        // A dense seeded sample: every 16th byte of the first 4 KiB (superblock, root group, object headers) plus 120
        // random positions of the rest; VIGIL_FLIP_ALL=1 (scripts/fuzz) flips every byte.
        var positions: [Int]
        if ProcessInfo.processInfo.environment["VIGIL_FLIP_ALL"] == "1" {
            positions = Array(0..<bytes.count)
        } else {
            positions = Array(stride(from: 0, to: min(4096, bytes.count), by: 16))
            var rng = SystemRandomNumberGenerator.Seeded(seed: 0x5EED)
            for _ in 0..<120 { positions.append(Int(rng.next() % UInt64(bytes.count))) }
        }
        var errors = 0, identical = 0
        let flipped = dir + "/flip.h5"
        for (k, pos) in positions.enumerated() {
            var b = bytes
            b[pos] ^= UInt8(1 + (k * 73) % 255)   // a non-zero mask: the byte always changes
            try Data(b).write(to: URL(fileURLWithPath: flipped))
            do {
                let (t, lo, hi) = try TranADCheckpoint.load(path: flipped, workers: 1)
                XCTAssertEqual(t.config, trainer.config, "byte \(pos): config changed silently")
                XCTAssertEqual(t.features, 2)
                XCTAssertEqual(lo, [0, 0.5], "byte \(pos)")
                XCTAssertEqual(hi, [1, 2], "byte \(pos)")
                let got = t.exportParameters()
                XCTAssertEqual(got.map(\.name), reference.map(\.name), "byte \(pos)")
                for (g, r) in zip(got, reference) {
                    XCTAssertEqual(g.shape, r.shape, "byte \(pos): \(g.name)")
                    XCTAssertEqual(g.values.map(\.bitPattern), r.values.map(\.bitPattern), "byte \(pos): \(g.name) loaded different values")
                }
                identical += 1
            } catch {
                errors += 1
            }
        }
        XCTAssertEqual(errors + identical, positions.count)
        print("checkpoint flips: \(positions.count) of \(bytes.count) bytes, \(errors) refused, \(identical) loaded identical values")
        XCTAssertGreaterThan(errors, positions.count / 10, "most flips hit data, checksums or metadata")
    }
}

extension SystemRandomNumberGenerator {
    /// splitmix64: a tiny seeded generator for choosing byte positions.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
