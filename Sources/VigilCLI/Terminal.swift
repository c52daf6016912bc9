// The CLI as a library: `VigilCLI.run(arguments)` parses and runs one command in-process (tests call it; the
// `vigil` executable is a two-line main.swift around it), plus small helpers shared by the subcommands.
import ArgumentParser
import Foundation
import VigilIO

/// Runs `vigil` commands in-process.
public enum VigilCLI {
    /// What a command run produced: its exit status and the message to print (help/version on stdout when the
    /// status is 0, `Error: …` on stderr otherwise).
    public struct Outcome: Sendable, Equatable {
        public var exitCode: Int32
        public var message: String?
    }

    /// The arguments of the command being run (without the program name), for provenance in reports.
    nonisolated(unsafe) public private(set) static var currentArguments: [String] = []

    /// Parses `arguments` (without the program name) and runs the command. Never exits the process.
    public static func run(_ arguments: [String]) -> Outcome {
        currentArguments = arguments
        do {
            var command = try Vigil.parseAsRoot(arguments)
            try command.run()
            return Outcome(exitCode: 0, message: nil)
        } catch {
            let message = Vigil.fullMessage(for: error)
            return Outcome(exitCode: Vigil.exitCode(for: error).rawValue, message: message.isEmpty ? nil : message)
        }
    }

    /// Runs `arguments` like `run` and returns, besides the outcome, the result documents the command wrote for
    /// standard output (`vigil score --model`'s JSON) instead of writing them there. For in-process tests.
    public static func runCapturingOutput(_ arguments: [String]) -> (outcome: Outcome, output: Data) {
        final class Box: @unchecked Sendable { var data = Data() }
        let box = Box()
        let saved = resultSink
        resultSink = { box.data.append($0) }
        defer { resultSink = saved }
        let o = run(arguments)
        return (o, box.data)
    }

    /// The `vigil` executable: runs `CommandLine.arguments`, prints the message and exits with the status.
    public static func main() -> Never {
        let outcome = run(Array(CommandLine.arguments.dropFirst()))
        if let m = outcome.message {
            if outcome.exitCode == 0 { print(m) } else { printErr(m) }
        }
        exit(outcome.exitCode)
    }
}

/// Where commands write their result documents: standard output (`VigilCLI.runCapturingOutput` redirects it).
nonisolated(unsafe) var resultSink: (Data) throws -> Void = { data in try FileHandle.standardOutput.write(contentsOf: data) }

/// Writes a command's result document (in one piece, after all the work succeeded) to standard output.
func writeResult(_ data: Data) throws {
    do { try resultSink(data) } catch { throw FileError.wrap(error, operation: "writing", path: "standard output") }
}

/// Writes one line to standard error.
func printErr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// Writes one number per line, atomically.
func writeColumn(_ values: [Double], to path: String) throws {
    var s = ""
    s.reserveCapacity(values.count * 12)
    for v in values { s += "\(v)\n" }
    try AtomicFile.write(s, to: path)
}

/// A failure while running a command (bad file content, unavailable data): printed as `Error: …` without usage.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The check every command runs before any work (`OutputGuard`): an output that is an input, is given twice, is a
/// FIFO/device/directory, or sits in a missing directory is a usage error (exit 64).
/// Temporary files of killed writers (dead process, this host) beside each output are removed.
func checkOutputs(_ outputs: [NamedPath], directories: [NamedPath] = [], inputs: [NamedPath]) throws {
    do { try OutputGuard.check(outputs: outputs, outputDirectories: directories, inputs: inputs) } catch let e as FileError {
        throw ValidationError(e.description)
    }
    for o in outputs {
        if let real = try? Paths.outputFile(o.path) { StaleFiles.removeStale(in: (real as NSString).deletingLastPathComponent) }
    }
}
