// `vigil data download smd`: fetch SMD's original files over HTTPS or from a mirror, verify each against the
// committed manifest (size + sha256), write atomically (temporary file, then rename), skip verified files.
import Foundation
import VigilIO
#if canImport(Glibc)
import Glibc
#endif

/// Where SMD files come from.
public enum SMDSource {
    /// The OmniAnomaly repository over HTTPS, with retries.
    case network(HTTPTransport, RetryPolicy)
    /// A local directory laid out like `ServerMachineDataset/` holding `.txt` or `.txt.gz` files.
    case mirror(String)
}

/// Outcome of one install run.
public struct SMDInstallReport {
    /// Machines whose four files are all present and verified after the run.
    public var complete: [String] = []
    /// Files that were already present and verified (skipped).
    public var alreadyPresent: [String] = []
    /// Files fetched and verified in this run.
    public var fetched: [String] = []
    /// Bytes written in this run.
    public var bytesFetched = 0
    /// Machines the source does not have, with the reason (nothing of them was written).
    public var unavailable: [(machine: String, reason: DataError)] = []
    /// Files that failed (checksum mismatch, I/O); nothing half-written was left behind.
    public var failures: [(path: String, error: DataError)] = []
    /// Stale temporary files from interrupted runs that were removed.
    public var staleTemporariesRemoved: [String] = []
    /// Machines the source has (mirror only), for messages.
    public var sourceMachines: [String]? = nil

    /// True when nothing failed and nothing requested was unavailable.
    public var isComplete: Bool { failures.isEmpty && unavailable.isEmpty }
}

/// Installs SMD machines into `destination` (layout `<kind>/<machine>.txt`), verified against `manifest`.
public final class SMDInstaller {
    public let manifest: Manifest
    public let destination: String
    public let source: SMDSource
    public let progress: ProgressSink
    private let fm = FileManager.default

    /// An installer writing below `destination`.
    public init(manifest: Manifest, destination: String, source: SMDSource, progress: ProgressSink = SilentProgress()) {
        self.manifest = manifest
        self.destination = destination
        self.source = source
        self.progress = progress
    }

    /// Installs `machines` (already validated names). Throws only for run-level failures (mirror directory
    /// missing, network unreachable, destination not writable); per-machine/per-file problems go in the report.
    public func install(machines: [String]) throws -> SMDInstallReport {
        var report = SMDInstallReport()
        try createDirectories()
        report.staleTemporariesRemoved = removeStaleTemporaries()
        for stale in report.staleTemporariesRemoved { progress.note("removed stale temporary file \(stale)") }

        var mirrorMachines: [String] = []
        if case .mirror(let dir) = source {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw DataError.mirrorNotFound(path: dir)
            }
            mirrorMachines = Self.machines(inMirror: dir)
            report.sourceMachines = mirrorMachines
        }

        // Phase 1: verify what is already installed.
        var needed: [(machine: String, kind: SMDFileKind, entry: ManifestEntry)] = []
        var present: [(String, ManifestEntry)] = []
        for machine in machines {
            for kind in SMDFileKind.allCases {
                let rel = SMD.relativePath(kind, machine)
                guard let entry = manifest.entry(for: rel) else {
                    report.failures.append((rel, .notInManifest(path: rel)))
                    continue
                }
                if fm.fileExists(atPath: destPath(rel)) { present.append((machine, entry)) } else { needed.append((machine, kind, entry)) }
            }
        }
        if !present.isEmpty {
            progress.begin(phase: "verifying installed files", files: present.count, bytes: present.reduce(0) { $0 + $1.1.size })
            for (machine, entry) in present {
                let path = destPath(entry.path)
                let (sha, size) = (try? hashFile(path)) ?? ("unreadable", -1)
                if sha == entry.sha256 && size == entry.size {
                    report.alreadyPresent.append(entry.path)
                } else {
                    try? fm.removeItem(atPath: path)
                    progress.note("\(entry.path): installed copy failed verification (sha256 \(sha.prefix(12))…, \(size) bytes); removed, fetching again")
                    needed.append((machine, SMDFileKind(rawValue: String(entry.path.split(separator: "/")[0]))!, entry))
                }
                progress.fileDone(entry.path)
            }
            progress.end()
        }

        // Phase 2: decide per machine whether the source has it (a machine is fetched all-or-nothing from a mirror).
        var plan: [(machine: String, kind: SMDFileKind, entry: ManifestEntry, from: String)] = []
        let neededByMachine = Dictionary(grouping: needed, by: { $0.machine })
        for machine in machines {
            guard let files = neededByMachine[machine] else { continue }
            switch source {
            case .mirror(let dir):
                var located: [(SMDFileKind, ManifestEntry, String)] = []
                var missing: [String] = []
                for f in files.sorted(by: { $0.kind.rawValue < $1.kind.rawValue }) {
                    if let p = Self.locate(kind: f.kind, machine: machine, inMirror: dir) {
                        located.append((f.kind, f.entry, p))
                    } else {
                        missing.append(SMD.relativePath(f.kind, machine))
                    }
                }
                if missing.isEmpty {
                    plan += located.map { (machine, $0.0, $0.1, $0.2) }
                } else {
                    report.unavailable.append((machine, .machineMissingFromMirror(
                        machine: machine, mirror: dir, missing: missing, available: mirrorMachines)))
                }
            case .network:
                plan += files.map { ($0.machine, $0.kind, $0.entry, SMD.upstreamURL($0.kind, machine)) }
            }
        }

        // Phase 3: fetch, verify, rename.
        if !plan.isEmpty {
            progress.begin(phase: source.isMirror ? "copying from mirror" : "downloading", files: plan.count,
                           bytes: plan.reduce(0) { $0 + $1.entry.size })
            defer { progress.end() }
            var skipMachines = Set<String>()
            for item in plan {
                if skipMachines.contains(item.machine) { continue }
                do {
                    let written = try fetch(entry: item.entry, from: item.from)
                    report.fetched.append(item.entry.path)
                    report.bytesFetched += written
                } catch let e as DataError {
                    if case .httpStatus(_, 404) = e {
                        report.unavailable.append((item.machine, e))
                        skipMachines.insert(item.machine)
                    } else if case .networkUnavailable = e {
                        throw e
                    } else {
                        report.failures.append((item.entry.path, e))
                    }
                }
                progress.fileDone(item.entry.path)
            }
        }

        for machine in machines where SMDFileKind.allCases.allSatisfy({
            let rel = SMD.relativePath($0, machine)
            return report.alreadyPresent.contains(rel) || report.fetched.contains(rel)
        }) {
            report.complete.append(machine)
        }
        return report
    }

    // MARK: - Paths

    func destPath(_ rel: String) -> String { (destination as NSString).appendingPathComponent(rel) }

    private func createDirectories() throws {
        for kind in SMDFileKind.allCases {
            let dir = destPath(kind.rawValue)
            do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw DataError.io(path: dir, reason: "cannot create directory: \(FileError.reason(of: error))")
            }
        }
    }

    /// Removes temporary files left by runs that are no longer running; returns their relative paths.
    func removeStaleTemporaries() -> [String] {
        SMDFileKind.allCases.flatMap { kind in
            StaleFiles.removeStale(in: destPath(kind.rawValue), includeOwn: true).map { "\(kind.rawValue)/\($0)" }
        }
    }

    /// Machines for which a mirror has all four files (plain or gzip), naturally sorted.
    public static func machines(inMirror dir: String) -> [String] {
        SMD.naturalSorted(SMD.allMachines.filter { m in
            SMDFileKind.allCases.allSatisfy { locate(kind: $0, machine: m, inMirror: dir) != nil }
        })
    }

    /// The mirror file for one kind/machine: `<kind>/<machine>.txt`, else `.txt.gz`.
    static func locate(kind: SMDFileKind, machine: String, inMirror dir: String) -> String? {
        let base = (dir as NSString).appendingPathComponent(SMD.relativePath(kind, machine))
        if FileManager.default.fileExists(atPath: base) { return base }
        if FileManager.default.fileExists(atPath: base + ".gz") { return base + ".gz" }
        return nil
    }

    // MARK: - Fetch + verify

    /// Streams `from` into a temporary file next to the destination while hashing, verifies size and sha256, and
    /// moves it into place (`AtomicFile`: fsync, rename, directory fsync). On any failure the temporary file is
    /// removed. Returns bytes written.
    private func fetch(entry: ManifestEntry, from: String) throws -> Int {
        var size = 0
        do {
            try AtomicFile.write(to: destPath(entry.path)) { tmp in size = try fetch(entry: entry, from: from, into: tmp) }
        } catch let e as FileError {
            throw DataError.io(path: destPath(entry.path), reason: e.description)
        }
        return size
    }

    /// Streams `from` into the new file `tmp` while hashing; throws unless size and sha256 match the manifest.
    private func fetch(entry: ManifestEntry, from: String, into tmp: String) throws -> Int {
        guard let fp = fopen(tmp, "wbx") else {
            throw DataError.io(path: tmp, reason: "cannot create temporary file: \(String(cString: strerror(errno)))")
        }
        var closed = false
        defer { if !closed { fclose(fp) } }
        var hasher = SHA256Hasher()
        var size = 0
        let sink: (UnsafeRawBufferPointer) throws -> Void = { chunk in
            hasher.update(chunk)
            size += chunk.count
            guard fwrite(chunk.baseAddress, 1, chunk.count, fp) == chunk.count else {
                throw DataError.io(path: tmp, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            self.progress.advance(bytes: chunk.count)
        }
        switch source {
        case .mirror:
            do {
                try ByteSource.forEachChunk(of: from, sink)
            } catch let e as FileReadError {
                throw DataError.io(path: from, reason: e.description)
            }
        case .network(let transport, let retry):
            let body = try download(from, transport: transport, retry: retry)
            try body.withUnsafeBytes { try sink($0) }
        }
        closed = true
        guard fclose(fp) == 0 else {
            throw DataError.io(path: tmp, reason: "write failed: \(String(cString: strerror(errno)))")
        }
        let sha = hasher.finalizeHex()
        guard sha == entry.sha256, size == entry.size else {
            throw DataError.checksumMismatch(file: entry.path, source: from, expectedSHA256: entry.sha256, actualSHA256: sha,
                                             expectedSize: entry.size, actualSize: size)
        }
        return size
    }

    /// GET with bounded retries on transport errors, 429 and 5xx; 404 and other 4xx are not retried.
    private func download(_ urlString: String, transport: HTTPTransport, retry: RetryPolicy) throws -> Data {
        guard let url = URL(string: urlString) else { throw DataError.io(path: urlString, reason: "invalid URL") }
        var lastReason = ""
        for attempt in 1...retry.maxAttempts {
            do {
                let (status, body) = try transport.get(url)
                if status == 200 { return body }
                if status == 429 || status >= 500 {
                    lastReason = "HTTP \(status)"
                } else {
                    throw DataError.httpStatus(url: urlString, status: status)
                }
            } catch let e as DataError {
                throw e
            } catch {
                lastReason = "\(error)"
            }
            if attempt < retry.maxAttempts {
                let wait = retry.delay(after: attempt)
                progress.note("attempt \(attempt)/\(retry.maxAttempts) for \(urlString) failed (\(lastReason)); retrying in \(wait) s")
                retry.sleep(wait)
            }
        }
        throw DataError.networkUnavailable(url: urlString, reason: lastReason, attempts: retry.maxAttempts)
    }

    /// sha256 hex and byte size of a plain file.
    func hashFile(_ path: String) throws -> (String, Int) {
        var h = SHA256Hasher()
        var n = 0
        try ByteSource.forEachRawChunk(of: path) { chunk in
            h.update(chunk)
            n += chunk.count
            self.progress.advance(bytes: chunk.count)
        }
        return (h.finalizeHex(), n)
    }
}

extension SMDSource {
    var isMirror: Bool { if case .mirror = self { return true } else { return false } }
}
