import Foundation

// Names and layout of the Server Machine Dataset (Su et al., KDD 2019; NetManAIOps/OmniAnomaly).

/// The four per-machine files of SMD, named after their directories.
public enum SMDFileKind: String, CaseIterable, Sendable {
    case train
    case test
    case testLabel = "test_label"
    case interpretationLabel = "interpretation_label"
}

/// Static facts about SMD: machine names, file layout, upstream URL.
public enum SMD {
    /// Columns (metrics) per row of train/test.
    public static let dimensions = 38

    /// The 28 machines: machine-1-1…1-8, machine-2-1…2-9, machine-3-1…3-11.
    public static let allMachines: [String] =
        (1...8).map { "machine-1-\($0)" } + (1...9).map { "machine-2-\($0)" } + (1...11).map { "machine-3-\($0)" }

    /// Upstream raw-file base URL (OmniAnomaly repository, master branch).
    public static let upstreamBase = "https://raw.githubusercontent.com/NetManAIOps/OmniAnomaly/master/ServerMachineDataset"

    /// Relative path of one original file, e.g. `test_label/machine-2-1.txt`.
    public static func relativePath(_ kind: SMDFileKind, _ machine: String) -> String {
        "\(kind.rawValue)/\(machine).txt"
    }

    /// Upstream HTTPS URL of one original file.
    public static func upstreamURL(_ kind: SMDFileKind, _ machine: String) -> String {
        "\(upstreamBase)/\(relativePath(kind, machine))"
    }

    /// Resolves a `--machines` value: `all`, or a comma-separated list of names; throws `unknownMachine` listing valid names.
    public static func resolveMachines(_ spec: String) throws -> [String] {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "all" { return allMachines }
        var out: [String] = []
        for part in trimmed.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { continue }
            guard allMachines.contains(name) else { throw DataError.unknownMachine(name: name, valid: allMachines) }
            if !out.contains(name) { out.append(name) }
        }
        guard !out.isEmpty else { throw DataError.unknownMachine(name: spec, valid: allMachines) }
        return out
    }

    /// Machines sorted the natural way (1-2 before 1-10).
    static func naturalSorted(_ names: [String]) -> [String] {
        names.sorted { a, b in
            let ka = a.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            let kb = b.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            return ka.lexicographicallyPrecedes(kb)
        }
    }
}
