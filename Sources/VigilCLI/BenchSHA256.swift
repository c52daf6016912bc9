import ArgumentParser
import Foundation
import VigilIO

/// `vigil bench sha256`: SHA-256 throughput over the files of a directory (e.g. the installed SMD files).
struct BenchSHA256: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sha256",
        abstract: "SHA-256 throughput (swift-crypto) over every regular file below a directory, read into memory first.",
        discussion: """
        Reads every regular file below --dir (sorted, symbolic links not followed) into memory, then hashes all of \
        them --repeat times and prints one JSON object: files, bytes, median and minimum seconds of one pass and \
        MB/s (10^6 bytes) at the median. Measure release builds (swift build -c release).
        """
    )

    @Option(help: "Directory whose files are hashed.")
    var dir: String

    @Option(parsing: .unconditional, help: "Timed passes over all files (1…1000; the median is reported).")
    var `repeat`: Int = 5

    func validate() throws {
        guard (1...1000).contains(`repeat`) else { throw ValidationError("--repeat must be in 1…1000, got \(`repeat`)") }
    }

    func run() throws {
        guard let names = FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] else {
            throw CLIError("\(dir) cannot be listed: give an existing directory")
        }
        var blobs: [[UInt8]] = []
        for name in names.sorted() {
            let p = (dir as NSString).appendingPathComponent(name)
            guard (try? Paths.kind(of: p)) == .regular else { continue }
            var b = [UInt8]()
            try SHA256Hasher.forEachChunk(of: p) { b.append(contentsOf: $0) }
            blobs.append(b)
        }
        guard !blobs.isEmpty else { throw CLIError("\(dir) holds no regular file") }
        let bytes = blobs.reduce(0) { $0 + $1.count }
        var times: [Double] = []
        var last = ""
        for _ in 0..<`repeat` {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for b in blobs { last = SHA256Hasher.hex(of: b) }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        print(String(format: "{\"files\": %d, \"bytes\": %d, \"median_seconds\": %.4f, \"min_seconds\": %.4f, \"mb_per_second\": %.1f, ",
                     blobs.count, bytes, median, times[0], Double(bytes) / median / 1e6) + "\"last_sha256\": \"\(last)\"}")
    }
}
