// Small terminal helpers shared by the subcommands: stderr lines, a redrawn progress bar, column files.
import Foundation

/// Writes one line to standard error.
func printErr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// Writes one number per line.
func writeColumn(_ values: [Double], to path: String) throws {
    var s = ""
    s.reserveCapacity(values.count * 12)
    for v in values { s += "\(v)\n" }
    try s.write(toFile: path, atomically: true, encoding: .utf8)
}

/// A failure while running a command (bad file content, unavailable data): printed as `Error: …` without usage.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
