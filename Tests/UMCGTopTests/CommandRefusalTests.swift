import Foundation
import Testing
import UMCGSystem

@testable import UMCGTop

/// Every refusal of the command line is one line and a non-zero status; help and version are not refusals.
@Suite struct CommandRefusalTests {
    static let refusals: [([String], String)] = [
        (["--workers", "-1", "--headless"], "--workers must be at least 1 (got -1)"),
        (["--duration", "-1", "--headless"], "--duration must be a positive number of seconds (got -1.0)"),
        (["bench", "--seconds", "-1"], "--seconds must be > 0 and at most 60 (got -1.0)"),
        (["bench", "--spin-nanos", "-1"], "--spin-nanos must be between 0 and 10000000 (got -1)"),
        (["bench", "--spin-nanos", "10000001"], "--spin-nanos must be between 0 and 10000000 (got 10000001)"),
        (["bench", "--spin-yields", "-1"], "--spin-yields must be between 0 and 10000 (got -1)"),
        (["--servers", "65", "--headless"], "--servers must be at most 64 (got 65)"),
        (["--servers", "1025", "--headless"], "--servers must be at most 64 (got 1025)"),
        (["--workers", "100001", "--headless"], "--workers must be at most 100000 (got 100001)"),
        (["help", "bogus"], "unknown command 'bogus' (commands: dashboard, bench, report, export, run, ps)"),
        (["--bogus"], "Unknown option '--bogus'"),
    ]

    @Test(arguments: refusals)
    func refusalsAreOneLine(arguments: [String], line: String) throws {
        switch UMCGTopCommand.parse(arguments) {
        case .refusal(let message, let code):
            #expect(message == line)
            #expect(code == 64)
        case .run(var command):
            // Validation that runs at parse time in ArgumentParser; anything else must refuse here.
            #expect(throws: (any Error).self) { try command.validate() }
            Issue.record("\(arguments) parsed into a command instead of a refusal")
        case .text(let text):
            Issue.record("\(arguments) printed help: \(text.prefix(80))")
        }
    }

    @Test func versionAndHelpAreText() {
        guard case .text(let version) = UMCGTopCommand.parse(["--version"]) else {
            Issue.record("--version is not text")
            return
        }
        #expect(version.hasPrefix("umcgtop "))
        // ArgumentParser parses `--help` into its help command, which throws the text when run.
        guard case .run(var command) = UMCGTopCommand.parse(["--help"]) else {
            Issue.record("--help did not parse into the help command")
            return
        }
        do {
            try command.run()
            Issue.record("--help ran without its help text")
        } catch {
            #expect(UMCGTopCommand.exitCode(for: error).rawValue == 0)
            #expect(UMCGTopCommand.fullMessage(for: error).contains("USAGE: umcgtop"))
        }
    }
}

/// The same through the built binary: stderr holds exactly the one line.
@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct EndToEndRefusalTests {
    @Test(arguments: CommandRefusalTests.refusals)
    func theBinaryPrintsOneLine(arguments: [String], line: String) throws {
        let r = try EndToEnd.run(arguments, timeout: 30)
        #expect(r.status == 64)
        #expect(r.stderr == "umcgtop: error: \(line)\n")
        #expect(r.stdout.isEmpty)
    }

    @Test func recordIntoADirectoryIsRefusedUpFront() throws {
        for force in [false, true] {
            let r = try EndToEnd.run(
                ["--headless", "--record", "/tmp", "--duration", "1"] + (force ? ["--force"] : []))
            #expect(r.status == 64)
            #expect(r.stderr == "umcgtop: error: /tmp is a directory; give a file name for --record\n")
        }
    }

    @Test func kernelBackendRefusalIsOneLine() throws {
        let r = try EndToEnd.run(["--headless", "--backend", "kernel", "--duration", "1"], timeout: 30)
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("umcgtop: error: kernel backend unavailable: "))
        #expect(r.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test func versionExitsZero() throws {
        let r = try EndToEnd.run(["--version"], timeout: 30)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("umcgtop "))
        #expect(r.stderr.isEmpty)
    }
}
