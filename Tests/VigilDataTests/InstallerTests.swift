import XCTest
import VigilIO
@testable import VigilData

final class InstallerTests: XCTestCase {
    let fixture = FixtureMachine()
    let fixture2 = FixtureMachine(trainRows: 5, testRows: 8, seed: 2)

    /// A manifest for machine-1-1 (fixture) and machine-2-1 (fixture2) plus one entry whose files no mirror has.
    func manifest() throws -> Manifest {
        let other = (SMDFileKind.allCases.map { "\(String(repeating: "0", count: 64))  10  \(SMD.relativePath($0, "machine-3-1"))" })
        return try Manifest(text: "# test manifest\n" + fixture.manifestLines(machine: "machine-1-1") + "\n"
                            + fixture2.manifestLines(machine: "machine-2-1") + "\n" + other.joined(separator: "\n") + "\n")
    }

    func testInstallFromPlainAndGzipMirrorThenNoOp() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "mirror", machine: "machine-1-1")
        try fixture2.write(to: dir, root: "mirror", machine: "machine-2-1", gzip: true)
        let progress = RecordingProgress()
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"), source: .mirror(dir.sub("mirror")), progress: progress)
        let r1 = try inst.install(machines: ["machine-1-1", "machine-2-1"])
        XCTAssertEqual(r1.complete, ["machine-1-1", "machine-2-1"])
        XCTAssertEqual(r1.fetched.count, 8)
        XCTAssertTrue(r1.failures.isEmpty)
        XCTAssertTrue(r1.unavailable.isEmpty)
        XCTAssertEqual(r1.sourceMachines, ["machine-1-1", "machine-2-1"])
        let expectedBytes = SMDFileKind.allCases.reduce(0) { $0 + fixture.contents($1).utf8.count + fixture2.contents($1).utf8.count }
        XCTAssertEqual(r1.bytesFetched, expectedBytes)
        XCTAssertEqual(progress.phases.map(\.0), ["copying from mirror"])
        XCTAssertEqual(progress.phases[0].1, 8)
        XCTAssertEqual(progress.phases[0].2, expectedBytes)
        // Installed files are the decompressed originals.
        XCTAssertEqual(try String(contentsOfFile: dir.sub("dest/train/machine-2-1.txt"), encoding: .utf8), fixture2.train)
        XCTAssertEqual(try String(contentsOfFile: dir.sub("dest/test_label/machine-1-1.txt"), encoding: .utf8), fixture.labels)

        let r2 = try inst.install(machines: ["machine-1-1", "machine-2-1"])
        XCTAssertEqual(r2.fetched, [])
        XCTAssertEqual(r2.alreadyPresent.count, 8)
        XCTAssertEqual(r2.complete, ["machine-1-1", "machine-2-1"])
        XCTAssertTrue(r2.isComplete)
    }

    func testMachineMissingFromMirrorListsWhatTheMirrorHas() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "mirror", machine: "machine-1-1")
        try fixture2.write(to: dir, root: "mirror", machine: "machine-2-1")
        try FileManager.default.removeItem(atPath: dir.sub("mirror/interpretation_label/machine-2-1.txt"))
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"), source: .mirror(dir.sub("mirror")))
        let r = try inst.install(machines: ["machine-1-1", "machine-2-1", "machine-3-1"])
        XCTAssertEqual(r.complete, ["machine-1-1"])
        XCTAssertEqual(r.unavailable.map(\.machine), ["machine-2-1", "machine-3-1"])
        XCTAssertEqual(r.unavailable[0].reason, .machineMissingFromMirror(
            machine: "machine-2-1", mirror: dir.sub("mirror"), missing: ["interpretation_label/machine-2-1.txt"],
            available: ["machine-1-1"]))
        XCTAssertTrue(r.unavailable[0].reason.description.contains("the mirror has: machine-1-1"))
        // Nothing of an unavailable machine was written (all-or-nothing per machine from a mirror).
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.sub("dest/train/machine-2-1.txt")))
        XCTAssertFalse(r.isComplete)
    }

    func testMissingMirrorDirectory() throws {
        let dir = try TempDir()
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"), source: .mirror(dir.sub("nope")))
        XCTAssertThrowsDataError(try inst.install(machines: ["machine-1-1"])) { e in
            XCTAssertEqual(e, .mirrorNotFound(path: dir.sub("nope")))
        }
    }

    func testChecksumMismatchRemovesFileAndPrintsBothHashes() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "mirror", machine: "machine-1-1")
        // Same size, one digit changed.
        var train = Array(fixture.train.utf8)
        train[0] = train[0] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        try dir.write("mirror/train/machine-1-1.txt", train)
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"), source: .mirror(dir.sub("mirror")))
        let r = try inst.install(machines: ["machine-1-1"])
        XCTAssertEqual(r.failures.count, 1)
        XCTAssertEqual(r.failures[0].path, "train/machine-1-1.txt")
        let expectedSHA = SHA256Hasher.hex(of: Array(fixture.train.utf8))
        XCTAssertEqual(r.failures[0].error, .checksumMismatch(
            file: "train/machine-1-1.txt", source: dir.sub("mirror/train/machine-1-1.txt"), expectedSHA256: expectedSHA,
            actualSHA256: SHA256Hasher.hex(of: train), expectedSize: train.count, actualSize: train.count))
        let msg = r.failures[0].error.description
        XCTAssertTrue(msg.contains(expectedSHA) && msg.contains(SHA256Hasher.hex(of: train)) && msg.contains("removed"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.sub("dest/train/machine-1-1.txt")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.sub("dest/train")), [], "no temporary file left")
        XCTAssertEqual(r.complete, [])
    }

    func testTruncatedGzipInMirrorLeavesNothingBehind() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "mirror", machine: "machine-1-1", gzip: true)
        let gz = ByteSource.gzip(Array(fixture.test.utf8))
        try dir.write("mirror/test/machine-1-1.txt.gz", Array(gz[0..<(gz.count - 12)]))
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"), source: .mirror(dir.sub("mirror")))
        let r = try inst.install(machines: ["machine-1-1"])
        XCTAssertEqual(r.failures.map(\.path), ["test/machine-1-1.txt"])
        guard case .io(_, let reason) = r.failures[0].error else { return XCTFail("\(r.failures[0].error)") }
        XCTAssertTrue(reason.contains("truncated"), reason)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.sub("dest/test")), [])
    }

    func testInterruptedCopyStaleTemporaryIsCleanedAndCorruptInstallRefetched() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "mirror", machine: "machine-1-1")
        // A run killed mid-copy leaves `.<name>.<host>.<pid>.<random>.part` behind (dead pid), plus a damaged installed file.
        let stale = ".machine-1-1.txt.\(TemporaryName.host).\(Int32.max - 1).5eed.part"
        try dir.write("dest/train/\(stale)", Array(fixture.train.utf8.prefix(100)))
        try dir.write("dest/test/machine-1-1.txt", Array(fixture.test.utf8.dropLast(5)))
        let progress = RecordingProgress()
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"), source: .mirror(dir.sub("mirror")), progress: progress)
        let r = try inst.install(machines: ["machine-1-1"])
        XCTAssertEqual(r.staleTemporariesRemoved, ["train/\(stale)"])
        XCTAssertEqual(r.complete, ["machine-1-1"])
        XCTAssertEqual(Set(r.fetched), Set(SMDFileKind.allCases.map { SMD.relativePath($0, "machine-1-1") }))
        XCTAssertTrue(progress.notes.contains { $0.contains("test/machine-1-1.txt: installed copy failed verification") })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.sub("dest/train")), ["machine-1-1.txt"])
        XCTAssertEqual(try String(contentsOfFile: dir.sub("dest/test/machine-1-1.txt"), encoding: .utf8), fixture.test)
    }

    func testNetworkRetriesWithBackoffThenSucceeds() throws {
        let dir = try TempDir()
        var steps: [ScriptedTransport.Step] = [.fail("connection reset"), .ok(503, [])]
        for kind in SMDFileKind.allCases {  // network order: train, test, test_label, interpretation_label
            steps.append(.ok(200, Array(fixture.contents(kind).utf8)))
        }
        let transport = ScriptedTransport(steps)
        var slept: [Double] = []
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"),
                                source: .network(transport, RetryPolicy(maxAttempts: 4, baseDelay: 1, sleep: { slept.append($0) })))
        let r = try inst.install(machines: ["machine-1-1"])
        XCTAssertEqual(r.complete, ["machine-1-1"])
        XCTAssertEqual(slept, [1, 2])
        XCTAssertEqual(transport.requested.count, 6)
        XCTAssertEqual(transport.requested[0],
                       "https://raw.githubusercontent.com/NetManAIOps/OmniAnomaly/master/ServerMachineDataset/train/machine-1-1.txt")
    }

    func testNoNetworkGivesClearErrorSuggestingMirror() throws {
        let dir = try TempDir()
        let transport = ScriptedTransport(Array(repeating: .fail("The Internet connection appears to be offline."), count: 10))
        var slept: [Double] = []
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"),
                                source: .network(transport, RetryPolicy(maxAttempts: 3, baseDelay: 0.5, sleep: { slept.append($0) })))
        XCTAssertThrowsDataError(try inst.install(machines: ["machine-1-1", "machine-2-1"])) { e in
            guard case .networkUnavailable(let url, _, let attempts) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(url.hasSuffix("/train/machine-1-1.txt"))
            XCTAssertEqual(attempts, 3)
            XCTAssertTrue(e.description.contains("--mirror"))
        }
        XCTAssertEqual(slept, [0.5, 1.0])
        XCTAssertEqual(transport.requested.count, 3, "the run stops at the first unreachable file")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.sub("dest/train")), [])
    }

    func testHTTP404MarksMachineUnavailableWithoutRetry() throws {
        let dir = try TempDir()
        let transport = ScriptedTransport([.ok(404, Array("Not Found".utf8))])
        var slept: [Double] = []
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"),
                                source: .network(transport, RetryPolicy(sleep: { slept.append($0) })))
        let r = try inst.install(machines: ["machine-1-1"])
        XCTAssertEqual(r.unavailable.map(\.machine), ["machine-1-1"])
        XCTAssertEqual(slept, [])
        XCTAssertEqual(transport.requested.count, 1)
    }

    func testStaleTemporaryDetectionKeepsOtherHostsAndLiveWriters() throws {
        // The installer removes its own (includeOwn) and dead writers' temporaries, and the older `.<name>.<pid>.part`
        // names; a live writer's (pid 1), another host's and names Vigil does not make stay (VigilIOTests cover more).
        let dir = try TempDir()
        let host = TemporaryName.host
        let own = ".a.txt.\(host).\(getpid()).1.part", dead = ".b.txt.\(host).\(Int32.max - 1).2.part"
        let live = ".c.txt.\(host).1.3.part", foreign = ".e.txt.not-\(host).\(Int32.max - 1).4.part", legacy = ".f.txt.\(Int32.max - 1).part"
        for name in [own, dead, live, foreign, legacy, "keep.txt", ".d.part"] { try dir.write("dest/train/\(name)", "x") }
        let inst = SMDInstaller(manifest: try manifest(), destination: dir.sub("dest"), source: .mirror(dir.sub("nomirror")))
        XCTAssertThrowsError(try inst.install(machines: ["machine-1-1"]))   // no mirror: cleanup ran first
        XCTAssertEqual(inst.removeStaleTemporaries(), [])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.sub("dest/train"))), [live, foreign, "keep.txt", ".d.part"])
    }

    func testURLSessionTransportReportsConnectionFailure() {
        // Port 9 (discard) on localhost is closed here: the real transport must throw, not hang or return junk.
        let t = URLSessionTransport(timeout: 5)
        XCTAssertThrowsError(try t.get(URL(string: "http://127.0.0.1:9/ServerMachineDataset/train/machine-1-1.txt")!)) { err in
            XCTAssertTrue(err is TransportError, "\(err)")
        }
    }

    func testRetryPolicyDelaysAreBounded() {
        let p = RetryPolicy(maxAttempts: 6, baseDelay: 1, maxDelay: 5, sleep: { _ in })
        XCTAssertEqual((1...5).map { p.delay(after: $0) }, [1, 2, 4, 5, 5])
    }
}
