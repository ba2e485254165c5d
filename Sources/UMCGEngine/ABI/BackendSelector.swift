import UMCGSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Which backend the user asked for.
public enum BackendChoice: String, Sendable, CaseIterable, Codable {
    /// The kernel's umcg_ctl when detected, else the emulation.
    case auto
    /// Always the futex emulation.
    case emulated
    /// The kernel's umcg_ctl or an error.
    case kernel
}

/// Which `umcg_ctl` implementation runs: the one name the engine, the CLI, the trace header
/// (`RunInfo.backend` holds its raw value) and the JSON outputs use.
public enum BackendKind: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// The futex emulation (`EmulatedBackend`).
    case emulated
    /// The kernel's syscall (`KernelBackend`).
    case kernel

    public var description: String { rawValue }
}

/// The backend that was chosen and why.
public struct BackendSelection: Sendable, Equatable {
    /// The backend that runs.
    public var kind: BackendKind
    /// One human line: why this backend.
    public var reason: String
    /// The umcg_ctl syscall number used (kernel) or considered, nil when none was known.
    public var syscallNumber: Int?

    /// Creates a selection.
    public init(kind: BackendKind, reason: String, syscallNumber: Int?) {
        self.kind = kind
        self.reason = reason
        self.syscallNumber = syscallNumber
    }
}

/// `--backend kernel` could not be honoured; `description` is one line.
public struct BackendSelectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Applies the detection rule of docs/UMCG-ABI.md: a known syscall number (explicit, `UMCG_SYSCALL_NR`,
/// or 450 on Nanos) AND the semantic probe (`umcg_ctl(0, 0, …)` → EINVAL, then
/// `umcg_ctl(0, UMCG_WAKE, …)` → EAGAIN). Everything it touches is injectable.
///
/// Safety: on a kernel whose sysname is "Linux", numbers below 470 belong to other system calls
/// (450 is set_mempolicy_home_node), so they are never probed, even when given explicitly.
public struct BackendSelector: Sendable {
    /// Issues the probe calls.
    public var invoker: SyscallInvoker
    /// uname facts.
    public var host: HostInfo
    /// The value of `UMCG_SYSCALL_NR`, nil when unset.
    public var environmentSyscall: String?

    /// The lowest number stock Linux leaves unassigned (measured on Linux 6.x: 470 and up return ENOSYS).
    public static let firstFreeLinuxSyscall = 470

    /// Creates a selector; defaults read the real uname and environment.
    public init(
        invoker: @escaping SyscallInvoker = liveSyscallInvoker, host: HostInfo = .current(),
        environmentSyscall: String?? = .none
    ) {
        self.invoker = invoker
        self.host = host
        switch environmentSyscall {
        case .some(let v): self.environmentSyscall = v
        case .none: self.environmentSyscall = getenv("UMCG_SYSCALL_NR").map { String(cString: $0) }
        }
    }

    /// Chooses a backend for `choice`. `explicitSyscall` is `--umcg-syscall N`.
    public func select(
        _ choice: BackendChoice, explicitSyscall: Int? = nil
    ) throws(BackendSelectionError) -> BackendSelection {
        if choice == .emulated {
            return BackendSelection(
                kind: .emulated, reason: "emulation requested (--backend emulated)", syscallNumber: nil)
        }
        let verdict = detect(explicitSyscall: explicitSyscall)
        switch verdict {
        case .kernel(let nr, let why):
            return BackendSelection(kind: .kernel, reason: why, syscallNumber: nr)
        case .unavailable(let nr, let why):
            if choice == .kernel { throw BackendSelectionError("kernel backend unavailable: \(why)") }
            return BackendSelection(kind: .emulated, reason: "\(why); using the futex emulation", syscallNumber: nr)
        }
    }

    enum Verdict: Equatable {
        case kernel(Int, String)
        case unavailable(Int?, String)
    }

    func detect(explicitSyscall: Int?) -> Verdict {
        let kernel = host.kernel
        let nr: Int
        let source: String
        if let explicitSyscall {
            guard explicitSyscall > 0 else {
                return .unavailable(nil, "--umcg-syscall \(explicitSyscall) is not a syscall number")
            }
            nr = explicitSyscall
            source = "--umcg-syscall"
        } else if let env = environmentSyscall {
            guard let v = Int(env.trimmingSpaces), v > 0 else {
                return .unavailable(nil, "UMCG_SYSCALL_NR=\"\(env)\" is not a syscall number")
            }
            nr = v
            source = "UMCG_SYSCALL_NR"
        } else if host.sysname == "Nanos" {
            nr = UMCGABI.nanosSyscallNumber
            source = "Nanos default"
        } else {
            return .unavailable(nil, "\(kernel): no UMCG syscall known for this kernel")
        }
        if host.sysname == "Linux" && nr < Self.firstFreeLinuxSyscall {
            let taken = nr == 450 ? " (set_mempolicy_home_node)" : nr == 451 ? " (cachestat)" : ""
            return .unavailable(nr, "\(kernel): syscall \(nr)\(taken) belongs to another call on Linux; not probed")
        }
        let r1 = invoker(Int64(nr), 0, 0, 0, 0, 0, 0)
        if r1 == -Int64(Errno.ENOSYS.rawValue) {
            return .unavailable(nr, "\(kernel): syscall \(nr) (\(source)) is not implemented (ENOSYS)")
        }
        guard r1 == -Int64(Errno.EINVAL.rawValue) else {
            return .unavailable(
                nr,
                "\(kernel): syscall \(nr) (\(source)) is not umcg_ctl (cmd 0 gave \(Self.describe(r1)), expected EINVAL)"
            )
        }
        let r2 = invoker(Int64(nr), 0, UMCGCommand.wake.rawValue, 0, 0, 0, 0)
        guard r2 == -Int64(Errno.EAGAIN.rawValue) else {
            return .unavailable(
                nr,
                "\(kernel): syscall \(nr) (\(source)) is not umcg_ctl (UMCG_WAKE gave \(Self.describe(r2)), expected EAGAIN)"
            )
        }
        return .kernel(nr, "\(kernel): umcg_ctl at syscall \(nr) (\(source)) passed the probe (EINVAL, EAGAIN)")
    }

    static func describe(_ r: Int64) -> String {
        r >= 0 ? "\(r)" : Errno(rawValue: Int32(truncatingIfNeeded: -r)).name
    }

    /// Builds the backend a selection names.
    public func makeBackend(
        for selection: BackendSelection, options: EmulatedBackend.Options
    ) throws(Errno) -> any UMCGBackend {
        if selection.kind == .kernel, let nr = selection.syscallNumber {
            return KernelBackend(syscallNumber: nr, invoker: invoker)
        }
        return try EmulatedBackend(options: options)
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" { s.removeLast() }
        return s
    }
}
