import Foundation
import XCTest
@testable import VigilIO

final class StagingAndStaleTests: XCTestCase {
    func testTemporaryNamesRoundTrip() {
        let p = TemporaryName.sibling(of: "/x/y/report.v2.json", kind: .part)
        XCTAssertTrue(p.hasPrefix("/x/y/.report.v2.json.\(TemporaryName.host).\(getpid())."), p)
        XCTAssertEqual(TemporaryName.parse((p as NSString).lastPathComponent),
                       .init(name: "report.v2.json", host: TemporaryName.host, pid: getpid(), kind: .part))
        XCTAssertEqual(TemporaryName.parse(".a.txt.123.part"), .init(name: "a.txt", host: nil, pid: 123, kind: .part))
        XCTAssertNil(TemporaryName.parse(".d.part"))
        XCTAssertNil(TemporaryName.parse("a.txt.1.part"))
        XCTAssertNil(TemporaryName.parse(".a.txt.h.1.ff.tmp"))
    }

    func testStaleCleanupKeepsLiveOwnForeignAndUnknown() throws {
        let d = try IOTempDir()
        let host = TemporaryName.host, dead = Int32.max - 1
        let own = ".a.txt.\(host).\(getpid()).1a.part", deadPart = ".b.txt.\(host).\(dead).2b.part"
        let live = ".c.txt.\(host).1.3c.part", foreign = ".e.txt.otherhost-\(host).\(dead).4d.part"
        let legacyDead = ".f.txt.\(dead).part", unknown = ".d.part"
        for n in [own, deadPart, live, foreign, legacyDead, unknown, "keep.txt"] { try d.write(n, "x") }
        let deadStage = ".run.\(host).\(dead).5e.staging"
        try d.write(deadStage + "/report.md", "partial")
        XCTAssertTrue(StaleFiles.isRunning(getpid()))
        XCTAssertFalse(StaleFiles.isRunning(dead))
        XCTAssertEqual(StaleFiles.removeStale(in: d.path), [deadPart, legacyDead, deadStage].sorted())
        XCTAssertEqual(StaleFiles.removeStale(in: d.path, includeOwn: true), [own])
        XCTAssertEqual(d.names(), [unknown, foreign, live, "keep.txt"].sorted())
    }

    func testDeadAsideDirectoryIsRestoredWhenItsNameIsFree() throws {
        let d = try IOTempDir()
        let aside = ".run.\(TemporaryName.host).\(Int32.max - 1).9.old"
        try d.write(aside + "/report.md", "old run")
        XCTAssertEqual(StaleFiles.removeStale(in: d.path), [aside])
        XCTAssertEqual(d.read("run/report.md"), "old run")
        // With the name taken (the new run was published), the aside copy is just removed.
        try d.write(aside + "/report.md", "older")
        XCTAssertEqual(StaleFiles.removeStale(in: d.path), [aside])
        XCTAssertEqual(d.names(), ["run"])
        XCTAssertEqual(d.read("run/report.md"), "old run")
    }

    func testPublishNewAndReplace() throws {
        let d = try IOTempDir()
        let s1 = try StagingDirectory(destination: d.sub("out/run"), replace: .never)
        try AtomicFile.write("first", to: s1.file("report.md"))
        XCTAssertEqual(d.names("out").count, 1)
        XCTAssertTrue(d.names("out")[0].hasSuffix(".staging"))
        try s1.publish()
        XCTAssertEqual(d.names("out"), ["run"])
        XCTAssertEqual(d.read("out/run/report.md"), "first")

        XCTAssertThrowsError(try StagingDirectory(destination: d.sub("out/run"), replace: .never)) { e in
            XCTAssertTrue("\(e)".contains("exists"), "\(e)")
        }
        XCTAssertThrowsError(try StagingDirectory(destination: d.sub("out/run"), replace: .unless { _ in "it is not mine" })) { e in
            XCTAssertEqual(e as? FileError, .destinationNotReplaceable(path: d.sub("out/run"), reason: "it is not mine"))
        }
        let s2 = try StagingDirectory(destination: d.sub("out/run"), replace: .unless { _ in nil })
        try FileManager.default.createDirectory(atPath: s2.file("scores"), withIntermediateDirectories: true)
        try AtomicFile.write("second", to: s2.file("scores/a.txt"))
        try s2.publish()
        XCTAssertEqual(d.names("out"), ["run"], "no staging or old directory is left")
        XCTAssertEqual(d.names("out/run"), ["scores"], "the old report is gone: nothing of the old run is mixed in")
        XCTAssertEqual(d.read("out/run/scores/a.txt"), "second")
    }

    func testUnpublishedStagingIsRemovedAndNonDirectoryRefused() throws {
        let d = try IOTempDir()
        do {
            let s = try StagingDirectory(destination: d.sub("run"), replace: .always)
            try AtomicFile.write("x", to: s.file("a"))
        }
        XCTAssertEqual(d.names(), [])
        try d.write("file", "x")
        XCTAssertThrowsError(try StagingDirectory(destination: d.sub("file"), replace: .always)) { e in
            XCTAssertEqual(e as? FileError, .notDirectory(path: d.sub("file"), kind: "regular file"))
        }
        // A symlink to a directory publishes into the link's target.
        try FileManager.default.createDirectory(atPath: d.sub("real"), withIntermediateDirectories: true)
        XCTAssertEqual(symlink(d.sub("real"), d.sub("link")), 0)
        let s = try StagingDirectory(destination: d.sub("link"), replace: .always)
        try AtomicFile.write("y", to: s.file("b"))
        try s.publish()
        XCTAssertEqual(d.read("real/b"), "y")
        XCTAssertEqual(try Paths.kind(of: d.sub("link")), .symlink)
    }

    func testOutputGuard() throws {
        let d = try IOTempDir()
        let x = try d.write("x.csv", "1\n")
        XCTAssertEqual(symlink(x, d.sub("alias.csv")), 0)
        XCTAssertEqual(link(x, d.sub("hard.csv")), 0)
        for out in [x, d.sub("alias.csv"), d.sub("hard.csv"), d.sub("./x.csv")] {
            XCTAssertThrowsError(try OutputGuard.check(outputs: [NamedPath("--out", out)], inputs: [NamedPath("--train", x)])) { e in
                XCTAssertEqual(e as? FileError, .outputIsInput(output: out, outputRole: "--out", input: x, inputRole: "--train"))
            }
        }
        // Two outputs naming one (not yet existing) file.
        XCTAssertThrowsError(try OutputGuard.check(outputs: [NamedPath("--out", d.sub("s.txt")), NamedPath("--per-dimension", d.sub("s.txt"))],
                                                   inputs: [])) { e in
            XCTAssertTrue("\(e)".contains("--per-dimension \(d.sub("s.txt")) is the same file as --out"), "\(e)")
        }
        XCTAssertThrowsError(try OutputGuard.check(outputs: [], outputDirectories: [NamedPath("--out", d.path)],
                                                   inputs: [NamedPath("--data-dir", d.sub("data"))])) { e in
            XCTAssertTrue(e is FileError)
        }
        XCTAssertThrowsError(try OutputGuard.check(outputs: [NamedPath("--out", "/dev/null")], inputs: [])) { e in
            XCTAssertEqual(e as? FileError, .notRegularFile(path: "/dev/null", kind: "character device"))
        }
        XCTAssertNoThrow(try OutputGuard.check(outputs: [NamedPath("--out", d.sub("y.csv"))], inputs: [NamedPath("--train", x)]))
    }

    func testCheckedSizes() {
        XCTAssertEqual(CheckedSize.product([3, 4, 5]), 60)
        XCTAssertEqual(CheckedSize.product([]), 1)
        XCTAssertNil(CheckedSize.product([4_611_686_018_427_387_904, 4]))
        XCTAssertNil(CheckedSize.product([-1, 2]))
        XCTAssertThrowsError(try CheckedSize.array(dims: [4_611_686_018_427_387_904, 4], elementSize: 8, available: 1, path: "a.npy", object: "data")) { e in
            XCTAssertTrue("\(e)".hasPrefix("a.npy: data: shape [4611686018427387904, 4] overflows"), "\(e)")
        }
        XCTAssertThrowsError(try CheckedSize.array(dims: [1 << 40, 4], elementSize: 8, available: 64, path: "a", object: "x")) { e in
            XCTAssertTrue("\(e)".contains("needs 35184372088832 bytes of data but the file holds 64"), "\(e)")
        }
        XCTAssertThrowsError(try CheckedSize.array(dims: [1 << 40], elementSize: 8, cap: 1 << 30, path: "a", object: "x"))
        XCTAssertEqual(try CheckedSize.array(dims: [3, 4], elementSize: 8, available: 96, path: "a", object: "x").count, 12)
    }
}
