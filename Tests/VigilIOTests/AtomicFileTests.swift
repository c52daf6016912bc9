import Foundation
import XCTest
@testable import VigilIO

final class AtomicFileTests: XCTestCase {
    func testWritesNewAndReplacesExistingKeepingMode() throws {
        let d = try IOTempDir()
        try AtomicFile.write("one\n", to: d.sub("a.txt"))
        XCTAssertEqual(d.read("a.txt"), "one\n")
        chmod(d.sub("a.txt"), 0o640)
        try AtomicFile.write([UInt8]("two".utf8), to: d.sub("a.txt"))
        XCTAssertEqual(d.read("a.txt"), "two")
        var st = stat()
        XCTAssertEqual(lstat(d.sub("a.txt"), &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o640)
        XCTAssertEqual(d.names(), ["a.txt"], "no temporary file is left")
    }

    func testFailingBodyLeavesTargetAndNoTemporary() throws {
        let d = try IOTempDir()
        try d.write("a.txt", "old")
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: d.sub("a.txt")) { tmp in
            try AtomicFile.write("half", to: tmp)
            throw Boom()
        }) { XCTAssertTrue($0 is Boom) }
        XCTAssertEqual(d.read("a.txt"), "old")
        XCTAssertEqual(d.names(), ["a.txt"])
    }

    func testBodyThatWritesNothingIsAnError() throws {
        let d = try IOTempDir()
        XCTAssertThrowsError(try AtomicFile.write(to: d.sub("a.txt")) { _ in }) { e in
            XCTAssertTrue("\(e)".contains("produced no regular file"), "\(e)")
        }
        XCTAssertEqual(d.names(), [])
    }

    func testSymlinkIsFollowedAndKept() throws {
        let d = try IOTempDir()
        try d.write("real/target.txt", "old")
        XCTAssertEqual(symlink("real/target.txt", d.sub("link.txt")), 0)
        try AtomicFile.write("new", to: d.sub("link.txt"))
        XCTAssertEqual(d.read("real/target.txt"), "new")
        XCTAssertEqual(try Paths.kind(of: d.sub("link.txt")), .symlink, "the link itself stays a link")
        // A dangling link creates its target.
        XCTAssertEqual(symlink("real/fresh.txt", d.sub("dangling.txt")), 0)
        try AtomicFile.write("fresh", to: d.sub("dangling.txt"))
        XCTAssertEqual(d.read("real/fresh.txt"), "fresh")
        XCTAssertEqual(d.names("real"), ["fresh.txt", "target.txt"])
    }

    func testNonRegularTargetsAreRefused() throws {
        let d = try IOTempDir()
        XCTAssertEqual(mkfifo(d.sub("fifo"), 0o644), 0)
        try FileManager.default.createDirectory(atPath: d.sub("dir"), withIntermediateDirectories: false)
        XCTAssertEqual(symlink(d.sub("fifo"), d.sub("to-fifo")), 0)
        for (name, kind) in [("fifo", "FIFO (named pipe)"), ("dir", "directory"), ("to-fifo", "FIFO (named pipe)")] {
            XCTAssertThrowsError(try AtomicFile.write("x", to: d.sub(name))) { e in
                XCTAssertEqual(e as? FileError, .notRegularFile(path: d.sub(name), kind: kind))
                XCTAssertTrue("\(e)".contains("never replaces a \(kind)"), "\(e)")
            }
        }
        XCTAssertThrowsError(try AtomicFile.write("x", to: "/dev/null")) { e in
            XCTAssertEqual(e as? FileError, .notRegularFile(path: "/dev/null", kind: "character device"))
        }
        XCTAssertEqual(try Paths.kind(of: d.sub("fifo")), .fifo, "the FIFO is untouched")
        XCTAssertThrowsError(try AtomicFile.write("x", to: d.sub("nodir/a.txt"))) { e in
            XCTAssertEqual(e as? FileError, .directoryMissing(path: d.sub("nodir")))
        }
        XCTAssertThrowsError(try AtomicFile.write("x", to: "")) { XCTAssertTrue($0 is FileError) }
        XCTAssertThrowsError(try AtomicFile.write("x", to: d.sub("a/"))) { XCTAssertTrue($0 is FileError) }
    }

    func testSymlinkLoopIsAnError() throws {
        let d = try IOTempDir()
        XCTAssertEqual(symlink(d.sub("b"), d.sub("a")), 0)
        XCTAssertEqual(symlink(d.sub("a"), d.sub("b")), 0)
        XCTAssertThrowsError(try AtomicFile.write("x", to: d.sub("a"))) { e in
            XCTAssertEqual(e as? FileError, .symlinkLoop(path: d.sub("a")))
        }
    }

    func testFoundationErrorsAreWrappedWithErrno() {
        let ns = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteOutOfSpace.rawValue,
                         userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        let e = FileError.wrap(ns, operation: "writing", path: "x.h5")
        XCTAssertEqual(e as? FileError, .system(operation: "writing", path: "x.h5", errno: ENOSPC))
        XCTAssertEqual("\(e)", "writing x.h5 failed: No space left on device; the disk is full: free space or write to another disk")
        let plain = FileError.wrap(NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileNoSuchFile.rawValue), operation: "reading", path: "y")
        XCTAssertFalse("\(plain)".contains("NSCocoaErrorDomain"))
        XCTAssertEqual(plain as? FileError, .system(operation: "reading", path: "y", errno: ENOENT))
    }
}
