import ArgumentParser
import Glibc
import Testing
import UMCGSystem

@testable import UMCGTop

@Suite struct AppCommandLineTests {
    private func parse(_ args: [String]) throws -> DashboardCommand {
        let parsed = try UMCGTopCommand.parseAsRoot(args)
        return try #require(parsed as? DashboardCommand, "\(type(of: parsed))")
    }

    private func message(_ args: [String]) -> String? {
        do {
            _ = try parse(args)
            return nil
        } catch {
            return DashboardCommand.message(for: error)
        }
    }

    @Test func defaults() throws {
        let c = try parse([])
        #expect(c.scenario.workers == 8)
        #expect(c.scenario.workload == .mixed)
        #expect(c.scenario.backend == .auto)
        #expect(c.scenario.resolvedServers >= 1)
        #expect(c.refresh == 1000)
        #expect(!c.headless && !c.json && c.record == nil && c.replay == nil)
    }

    @Test func scenarioFlagsParse() throws {
        let c = try parse([
            "--servers", "3", "--workers", "16", "--workload", "io", "--backend", "emulated",
            "--umcg-syscall", "450", "--slice-ms", "20", "--no-baselines",
        ])
        #expect(c.scenario.resolvedServers == 3)
        #expect(c.scenario.workers == 16)
        #expect(c.scenario.workload == .io)
        #expect(c.scenario.backend == .emulated)
        #expect(c.scenario.umcgSyscall == 450)
        #expect(c.scenario.sliceMillis == 20)
        #expect(c.scenario.noBaselines)
    }

    @Test func headlessFlagsParse() throws {
        let c = try parse(["--headless", "--duration", "1.5", "--json", "--interval", "0.5"])
        #expect(c.headless && c.json)
        #expect(c.duration == 1.5)
        #expect(c.interval == 0.5)
    }

    @Test(arguments: [
        (["--workers", "0"], "--workers"),
        (["--servers", "0"], "--servers"),
        (["--record", "/tmp/a", "--replay", "/tmp/b"], "--record and --replay"),
        (["--headless", "--duration", "0"], "--duration"),
        (["--headless", "--duration", "-2"], "--duration"),
        (["--json"], "--json needs --headless"),
        (["--refresh", "5"], "--refresh"),
        (["--workload", "bogus"], "bogus"),
        (["--backend", "magic"], "magic"),
        (["--slice-ms", "0"], "--slice-ms"),
        (["--force"], "--force"),
        (["--backend", "kernel"], "kernel backend unavailable"),
    ])
    func invalidInputIsAOneLineValidationError(args: [String], mentions: String) throws {
        let text = try #require(message(args))
        #expect(text.contains(mentions), "\(text)")
        #expect(!text.contains("\n"), "\(text)")
    }

    @Test func existingRecordFileNeedsForce() throws {
        let path = "/tmp/umcgtop-cli-test-\(getpid()).umcgtrace"
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        close(fd)
        defer { unlink(path) }
        let text = try #require(message(["--record", path]))
        #expect(text.contains("already exists"))
        #expect(text.contains("--force"))
        #expect(try parse(["--record", path, "--force"]).force)
    }

    @Test func subcommandFlagsDoNotTripTheRootChecks() throws {
        let bench = try UMCGTopCommand.parseAsRoot(["bench", "--json"])
        #expect(bench is BenchCommand)
        #expect(try parse(["--json", "--headless"]).json)
    }

    @Test func rootKeepsSubcommands() {
        let names = UMCGTopCommand.configuration.subcommands.map { $0._commandName }
        #expect(names.contains("bench"))
        #expect(names.contains("report"))
        #expect(names.contains("export"))
    }
}
