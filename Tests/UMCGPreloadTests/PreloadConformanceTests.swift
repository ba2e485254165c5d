import Foundation
import Testing

/// The C conformance program (Tests/UMCGPreloadTests/c/conformance.c) under LD_PRELOAD=libumcg.so:
/// every command, event, error and buffer rule of issue #10 part 1 through `syscall(450, …)`, plus
/// the preload's own promises (blocking calls become BLOCK/WAKE, spinning workers are preempted).
/// Each case runs in its own process, so one that hangs is reported (and killed) on its own.
@Suite(.enabled(if: Preload.libraryExists, "build the library first: swift build --product umcg (scripts/test does)"))
struct PreloadConformanceTests {
    /// The cases of conformance.c, in its order (checked against `conformance --list` below).
    static let cases = [
        "register_unregister", "register_worker_args", "register_worker_id0", "bad_command",
        "wake_server_pair", "server_wait_args", "server_ctx_switch_args", "efault", "buffer_rules",
        "worker_wait_args", "worker_wait_timeout", "worker_ctx_switch_timeout", "worker_ctx_switch_target",
        "worker_usleep", "worker_blocking_calls", "worker_no_block_when_ready", "preempt_spinning",
        "exit_without_unregister", "two_servers_handoff", "event_for_busy_server", "syscall_passthrough",
        "fork_child_first_switches", "fork_from_worker",
    ]

    /// The program, compiled once per test process.
    static let program = Preload.compiled("conformance.c")

    @Test("conformance --list names exactly the cases this suite runs")
    func listMatches() throws {
        let exe = try Self.program.get()
        let result = try Preload.run(exe, ["--list"], environment: [:], timeout: 30)
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").map(String.init) == Self.cases)
    }

    @Test("a conformance case passes under the preload", arguments: cases)
    func conformanceCase(_ name: String) throws {
        let exe = try Self.program.get()
        let result = try Preload.runPreloaded(exe, [name], timeout: 40)
        #expect(!result.timedOut, "\(name) hung (killed after 40 s)")
        #expect(result.status == 0, "\(name): \(result.stderr)\(result.stdout)")
        #expect(result.stdout.contains("PASS \(name)"))
    }

    /// Fork mode: the program's own runner forks a child per case, so every case runs in a process
    /// that inherited the library's state after load (the Swift runtime's cached tid among it). Children
    /// of this runner hung now and then until the fork handlers cleared that cache.
    @Test("every conformance case passes in a forked child of the program's own runner")
    func forkModeRunner() throws {
        let exe = try Self.program.get()
        let result = try Preload.runPreloaded(exe, [], timeout: 120)
        #expect(!result.timedOut, "the fork-mode runner hung (killed after 120 s)")
        #expect(result.status == 0, "\(result.stderr)\(result.stdout)")
        #expect(result.stdout.contains("conformance: \(Self.cases.count) passed, 0 failed"), "\(result.stdout)")
    }

    @Test("a program that defines its own umcg_ctl() as a syscall(450) wrapper is not called back by the library")
    func programsOwnUmcgCtl() throws {
        let exe = try Preload.compile("own_umcg_ctl.c")
        let result = try Preload.runPreloaded(exe, [], timeout: 20)
        #expect(!result.timedOut)
        #expect(result.status == 0, "\(result.stderr)\(result.stdout)")
        #expect(result.stdout == "OK\n")
    }

    @Test("ldd libumcg.so names no Swift runtime library: LD_PRELOAD alone loads it")
    func noSwiftRuntimeDependency() throws {
        let result = try Preload.run("ldd", [Preload.library], environment: [:], timeout: 30)
        #expect(result.status == 0)
        #expect(result.stdout.contains("libc.so"))
        #expect(!result.stdout.contains("libswift"), "\(result.stdout)")
        #expect(!result.stdout.contains("libFoundation"), "\(result.stdout)")
        #expect(!result.stdout.contains("libdispatch"), "\(result.stdout)")
    }
}
