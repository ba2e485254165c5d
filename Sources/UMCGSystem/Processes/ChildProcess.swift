import CUMCGShims

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with posix_spawnp: an empty signal mask and default signal actions in
/// the child, the caller's stdin, stdout and stderr. `umcgtop run` starts its command with it.
///
/// Threading rule: one owner thread reaps it (`poll`, `wait`); `signal` from any thread.
public final class ChildProcess {
    /// How a child ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        /// exit(code).
        case exited(Int32)
        /// Killed by this signal.
        case signaled(Int32)

        /// The shell's convention: the exit code, or 128 + the signal number.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let code): code
            case .signaled(let sig): 128 + sig
            }
        }

        /// "exit status 7" or "killed by signal 9".
        public var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(let sig): "killed by signal \(sig)"
            }
        }

        /// Decodes a raw wait status (WIFEXITED / WIFSIGNALED); nil for a stopped or continued child.
        public init?(waitStatus s: Int32) {
            let sig = s & 0x7f
            if sig == 0 {
                self = .exited((s >> 8) & 0xff)
            } else if sig != 0x7f && s & 0xffff != 0xffff {
                self = .signaled(sig)
            } else {
                return nil
            }
        }
    }

    /// The child's pid.
    public let pid: Int32
    /// How it ended, once reaped.
    public private(set) var termination: Termination?

    /// Starts `path` (searched in PATH when it has no slash) with `arguments` (argv[0] included)
    /// and `environment` ("NAME=value" entries). With `output`, its stdin is /dev/null and its
    /// stdout and stderr go to that file (appended); with `newProcessGroup` it leads its own group
    /// (a terminal's Ctrl-C then reaches it only when the caller forwards it); with
    /// `stdoutToStderr` (and no `output`) its stdout is our stderr. Throws the posix_spawn error
    /// (ENOENT, EACCES…).
    public init(
        path: String, arguments: [String], environment: [String], output: String? = nil,
        newProcessGroup: Bool = false, stdoutToStderr: Bool = false
    ) throws(Errno) {
        func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
            strings.map { s in s.withCString { strdup($0) } } + [nil]
        }
        let argv = cStrings(arguments)
        let envp = cStrings(environment)
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        pid = try Syscall.valueOrErrno(retryOnInterrupt: false) {
            umcg_shim_spawn(
                path, argv, envp, output,
                (newProcessGroup ? UMCG_SHIM_SPAWN_NEW_GROUP : 0)
                    | (stdoutToStderr ? UMCG_SHIM_SPAWN_STDOUT_TO_STDERR : 0))
        }
    }

    /// Reaps the child if it ended (without waiting); its termination, nil while it runs.
    public func poll() -> Termination? {
        reap(wait: false)
    }

    /// Waits until the child ends; its termination (nil only if it cannot be waited for: ECHILD).
    public func wait() -> Termination? {
        reap(wait: true)
    }

    /// Sends `signal` to the child unless it was reaped (its pid may be reused then). 0 or the errno.
    @discardableResult
    public func signal(_ signal: Int32) -> Errno? {
        guard termination == nil else { return nil }
        do {
            try Syscall.check(retryOnInterrupt: false) { umcg_shim_kill(pid, signal) }
            return nil
        } catch {
            return error
        }
    }

    private func reap(wait: Bool) -> Termination? {
        if let termination { return termination }
        while true {
            var status: Int32 = 0
            let r: Int32
            do {
                r = try Syscall.valueOrErrno { umcg_shim_waitpid(pid, &status, wait ? 0 : 1) }
            } catch {
                return nil
            }
            if r == 0 { return nil }
            if let t = Termination(waitStatus: status) {
                termination = t
                return t
            }
            if !wait { return nil }
        }
    }
}
