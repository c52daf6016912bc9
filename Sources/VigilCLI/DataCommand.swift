import ArgumentParser
import Foundation
import VigilData

/// `vigil data`: download, verify, preprocess and inspect datasets.
public struct DataCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Download, verify and preprocess datasets (SMD, or your own CSV/.npy directory).",
        discussion: """
        SMD (Server Machine Dataset, 28 machines) is fetched from the OmniAnomaly repository or copied from a
        local mirror, verified file by file against datasets/SMD/MANIFEST.sha256, then parsed, min-max scaled with
        training statistics and cached as HDF5 in datasets/SMD/processed/.
          vigil data download smd --machines all --mirror ../shared/datasets/SMD
          vigil data prepare smd --machines machine-2-1
          vigil data info
        """,
        subcommands: [DataDownload.self, DataPrepare.self, DataInfo.self]
    )
}

/// Shared `--machines` parsing.
private func resolveMachines(_ spec: String) throws -> [String] {
    do { return try SMD.resolveMachines(spec) } catch let e as DataError { throw ValidationError(e.description) }
}

private func requireSMD(_ dataset: String) throws {
    guard dataset.lowercased() == "smd" else {
        throw ValidationError("unknown dataset '\(dataset)'; only 'smd' can be downloaded (load your own data with a CSV/.npy directory, see datasets/README.md)")
    }
}


/// `vigil data download smd`.
struct DataDownload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download SMD machines (HTTPS or --mirror), verify each file's sha256 and size, install atomically.",
        discussion: """
        Files go to <dest>/<kind>/<machine>.txt for kind in train, test, test_label, interpretation_label. Each is
        written to a temporary file, checked against the manifest (size and sha256), then renamed into place; a
        file that fails the check is removed and the expected and actual hashes are printed. Files already
        installed and verified are skipped, so a second run is a no-op. Temporary files left by an interrupted
        run are removed at the start of the next one.

        Sources: without --mirror, https://raw.githubusercontent.com/NetManAIOps/OmniAnomaly/master/ServerMachineDataset
        (network errors, HTTP 429 and 5xx are retried with exponential backoff); with --mirror DIR, a directory with the
        same layout holding plain .txt or gzip .txt.gz files. A machine the mirror lacks is skipped whole.

        Exit status: 0 when every file obtained was verified and every explicitly named machine was installed.
        With --machines all, machines the source does not have are listed in a warning and do not fail the run
        unless --strict is given. Non-zero on any checksum mismatch, I/O error, unreachable network, or an
        explicitly named machine that could not be obtained; 64 for invalid arguments (e.g. an unknown machine name).
        """
    )

    @Argument(help: "Dataset to download (only 'smd').")
    var dataset: String

    @Option(help: "Comma-separated machine names (e.g. machine-2-1,machine-3-4) or 'all'.")
    var machines: String = "all"

    @Option(help: "Destination dataset root.")
    var dest: String = "datasets/SMD"

    @Option(help: "Copy from this local mirror directory (train/, test/, test_label/, interpretation_label/ with .txt or .txt.gz) instead of downloading.")
    var mirror: String?

    @Option(help: "Checksum manifest (sha256  size  path lines).")
    var manifest: String = "datasets/SMD/MANIFEST.sha256"

    @Option(parsing: .unconditional, help: "Download attempts per file (network only; 1…100).")
    var retries: Int = 4

    @Flag(help: "Fail (exit 1) when any requested machine is unavailable, even with --machines all.")
    var strict = false

    func validate() throws {
        try requireSMD(dataset)
        guard (1...100).contains(retries) else { throw ValidationError("--retries must be in 1…100, got \(retries)") }
    }

    func run() throws {
        let names = try resolveMachines(machines)
        let explicitlyNamed = machines.trimmingCharacters(in: .whitespaces).lowercased() != "all"
        let man: Manifest
        do { man = try Manifest(contentsOf: manifest) } catch let e as DataError { throw ValidationError(e.description) }
        let source: SMDSource = mirror.map { .mirror($0) }
            ?? .network(URLSessionTransport(timeout: 60), RetryPolicy(maxAttempts: retries))
        let installer = SMDInstaller(manifest: man, destination: dest, source: source, progress: StderrProgressBar())
        let report: SMDInstallReport
        report = try installer.install(machines: names)

        let from = mirror.map { "mirror \($0)" } ?? "OmniAnomaly (HTTPS)"
        if report.fetched.isEmpty && report.failures.isEmpty {
            print("Nothing to fetch: \(report.alreadyPresent.count) file(s) of \(report.complete.count) machine(s) already present and verified in \(dest).")
        } else {
            print("Installed from \(from) into \(dest): \(report.fetched.count) file(s) fetched and verified (\(String(format: "%.1f", Double(report.bytesFetched) / 1e6)) MB), \(report.alreadyPresent.count) already present and verified.")
        }
        print("Complete machines (\(report.complete.count)/\(names.count)): \(report.complete.isEmpty ? "none" : report.complete.joined(separator: ", "))")
        if !report.staleTemporariesRemoved.isEmpty {
            print("Removed \(report.staleTemporariesRemoved.count) stale temporary file(s) from an interrupted run.")
        }
        if !report.unavailable.isEmpty {
            let missing = report.unavailable.map(\.machine)
            print("warning: \(missing.count) machine(s) unavailable from \(from): \(missing.joined(separator: ", "))")
            if let has = report.sourceMachines {
                print("  the mirror has \(has.count) machine(s): \(has.joined(separator: ", "))")
            }
            for (m, e) in report.unavailable where explicitlyNamed { printErr("error: \(m): \(e.description)") }
        }
        for (path, e) in report.failures { printErr("error: \(path): \(e.description)") }
        if !report.failures.isEmpty { throw CLIError("\(report.failures.count) file(s) failed verification or could not be written (see above)") }
        if !report.unavailable.isEmpty && (strict || explicitlyNamed) {
            throw CLIError("\(report.unavailable.count) machine(s) unavailable from \(from): \(report.unavailable.map(\.machine).joined(separator: ", "))")
        }
    }
}

/// `vigil data prepare smd`.
struct DataPrepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Parse, scale and cache installed SMD machines as HDF5 (datasets/SMD/processed/<machine>.h5).",
        discussion: """
        Each machine's four files are parsed strictly (38 finite numbers per row; one 0/1 label per test row;
        interpretation_label ranges), train and test are scaled with (x - min) / (max - min + 1e-4) using train's
        per-column min and max, and the arrays train, test, labels, interpretation_labels, norm_min, norm_max are
        written with the sources' sha256 as attributes. An existing cache is reused when the sources are unchanged
        and rebuilt otherwise (or always with --force).
        """
    )

    @Argument(help: "Dataset (only 'smd').")
    var dataset: String

    @Option(help: "Comma-separated machine names or 'all' (all installed machines).")
    var machines: String = "all"

    @Option(help: "Dataset root holding train/, test/, test_label/, interpretation_label/.")
    var root: String = "datasets/SMD"

    @Flag(help: "Rebuild caches even when they are up to date.")
    var force = false

    func validate() throws { try requireSMD(dataset) }

    func run() throws {
        let loader = SMDLoader(root: root)
        let isAll = machines.trimmingCharacters(in: .whitespaces).lowercased() == "all"
        let names = isAll ? loader.installedMachines() : try resolveMachines(machines)
        guard !names.isEmpty else {
            throw ValidationError("no SMD machine is installed under \(root); run `vigil data download smd --mirror DIR` first")
        }
        var failed: [String] = []
        for (i, m) in names.enumerated() {
            if force { try? FileManager.default.removeItem(atPath: loader.cachePath(for: m)) }   // rebuilt below, atomically
            printErr("[\(i + 1)/\(names.count)] \(m)…")
            do {
                let (ds, status) = try loader.loadWithStatus(m)
                if case .rebuilt(let reason) = status, !force { printErr("warning: \(m): the processed cache was rebuilt from the sources (\(reason))") }
                let anomalies = ds.labels.reduce(0) { $0 + Int($1) }
                print("\(m): train \(ds.train.rows)x\(ds.train.cols), test \(ds.test.rows)x\(ds.test.cols), \(anomalies) anomalous test rows (\(String(format: "%.2f", 100 * Double(anomalies) / Double(max(ds.test.rows, 1))))%), \(status) -> \(loader.cachePath(for: m))")
            } catch {
                printErr("error: \(m): \(error)")
                failed.append(m)
            }
        }
        if !failed.isEmpty { throw CLIError("\(failed.count) machine(s) could not be prepared: \(failed.joined(separator: ", ")) (see above)") }
    }
}

/// `vigil data info`.
struct DataInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "List SMD machines (installed, cached), or check a directory of your own data with --dir.",
        discussion: """
        Without --dir: reads only file names (no hashing); use `vigil data download smd` to verify installed files.
        With --dir DIR: loads DIR/train, DIR/test, DIR/labels (.csv or .npy, see datasets/README.md) exactly as
        training would, and prints shapes, label counts, the scaling statistics and the first scaled test row.
        """
    )

    @Option(help: "SMD dataset root.")
    var root: String = "datasets/SMD"

    @Option(help: "A generic dataset directory (train/test/labels as .csv or .npy) to load and summarise.")
    var dir: String?

    func run() throws {
        if let dir {
            let ds: AnomalyDataset
            ds = try GenericDatasetLoader.load(directory: dir)
            let anomalies = ds.labels.reduce(0) { $0 + Int($1) }
            print("\(ds.name): train \(ds.train.rows)x\(ds.train.cols), test \(ds.test.rows)x\(ds.test.cols), \(anomalies) anomalous test rows, per-dimension labels: \(ds.interpretationLabels == nil ? "no" : "yes")")
            print("norm_min: \(ds.normMin.map { String(format: "%.6g", $0) }.joined(separator: " "))")
            print("norm_max: \(ds.normMax.map { String(format: "%.6g", $0) }.joined(separator: " "))")
            if ds.test.rows > 0 { print("test[0] scaled: \(ds.test.row(0).map { String(format: "%.8f", $0) }.joined(separator: " "))") }
            return
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("SMD root \(root) does not exist or is not a directory; give --root DIR or install data with `vigil data download smd --mirror DIR`")
        }
        let loader = SMDLoader(root: root)
        let installed = Set(loader.installedMachines())
        print("SMD root \(root): \(installed.count)/\(SMD.allMachines.count) machines installed")
        for m in SMD.allMachines {
            let cached = FileManager.default.fileExists(atPath: loader.cachePath(for: m))
            print("  \(m)\t\(installed.contains(m) ? "installed" : "-")\t\(cached ? "processed cache" : "")")
        }
    }
}
