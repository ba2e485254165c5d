import ArgumentParser
import Foundation
import Testing
import UMCGSystem

@testable import UMCGTop

/// The `--help` text of every command, compared exactly with `Golden/<name>.txt`.
///
/// The text comes from the path the binary takes (`parseAsRoot`, then `fullMessage(for:)` on the
/// help request it throws), with a fixed width of `columns` so the terminal never matters.
/// `UMCGTOP_RECORD_GOLDEN=1` rewrites the files instead of comparing.
@Suite struct HelpGoldenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let columns = 100
    static var recording: Bool { ProcessInfo.processInfo.environment["UMCGTOP_RECORD_GOLDEN"] == "1" }

    /// One golden: the command line and the file its output is stored in.
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var name: String
        var testDescription: String { (["umcgtop"] + arguments).joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(arguments: ["--help"], name: "umcgtop"),
        Case(arguments: ["dashboard", "--help"], name: "dashboard"),
        Case(arguments: ["bench", "--help"], name: "bench"),
        Case(arguments: ["report", "--help"], name: "report"),
        Case(arguments: ["export", "--help"], name: "export"),
        Case(arguments: ["run", "--help"], name: "run"),
        Case(arguments: ["ps", "--help"], name: "ps"),
        Case(arguments: ["help"], name: "help"),
    ]

    /// What `umcgtop ARGUMENTS` prints for help, at `columns` wide. `UMCGTopCommand.parse` (the
    /// binary's path) must see help, not a refusal; the text is then rendered the way it renders it
    /// (`fullMessage(for:)` of the help request), but at a fixed width.
    static func helpText(_ arguments: [String]) throws -> String {
        if case .refusal(let line, let code) = UMCGTopCommand.parse(arguments) {
            Issue.record("\(arguments) is refused (\(code)): \(line)")
        }
        do {
            var command = try UMCGTopCommand.parseAsRoot(arguments)
            // Only the help subcommand may run here: it throws the help request instead of running.
            try #require(
                type(of: command)._commandName == "help", "\(arguments) parsed to a command, not a help request")
            try command.run()
            Issue.record("\(arguments): the help subcommand did not ask for help")
            return ""
        } catch let error as ExpectationFailedError {
            throw error
        } catch {
            #expect(UMCGTopCommand.exitCode(for: error) == .success, "\(arguments): \(error)")
            return UMCGTopCommand.fullMessage(for: error, columns: columns) + "\n"
        }
    }

    @Test(arguments: cases)
    func helpMatchesTheGolden(_ golden: Case) throws {
        let actual = try Self.helpText(golden.arguments)
        #expect(!actual.isEmpty)
        let url = Self.directory.appendingPathComponent(golden.name + ".txt")
        if Self.recording {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try #require(
            try? String(contentsOf: url, encoding: .utf8),
            "missing Golden/\(golden.name).txt; run with UMCGTOP_RECORD_GOLDEN=1 to create it")
        let matches = expected == actual  // a Bool, so a failure shows the diff rather than both texts
        #expect(
            matches,
            Comment(
                rawValue: "\(golden.name).txt differs (UMCGTOP_RECORD_GOLDEN=1 re-records):\n"
                    + ViewSnapshotSupport.diff(expected: expected, actual: actual)))
    }

    /// Every command has a golden: adding a subcommand without one fails here.
    @Test func everyCommandHasAGolden() {
        let names = Set(Self.cases.map(\.name))
        #expect(names.isSuperset(of: UMCGTopCommand.configuration.subcommands.map { $0._commandName }))
        #expect(names.isSuperset(of: ["umcgtop", "help"]))
    }

    /// The help text is the same through `--help`, `-h` and `help <command>`.
    @Test(arguments: ["dashboard", "bench", "report", "export", "run", "ps"])
    func helpSubcommandAndFlagsAgree(_ command: String) throws {
        let flag = try Self.helpText([command, "--help"])
        #expect(try Self.helpText([command, "-h"]) == flag)
        #expect(try Self.helpText(["help", command]) == flag)
    }
}
