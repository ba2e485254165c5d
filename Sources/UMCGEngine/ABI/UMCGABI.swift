import UMCGSystem

/// `cmd` values of `umcg_ctl` (docs/UMCG-ABI.md). A struct, not an enum, so that invalid
/// commands (0, 7, …) can be passed through and rejected with EINVAL like the kernel does.
public struct UMCGCommand: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The raw `cmd` argument.
    public var rawValue: UInt64
    /// Wraps a raw command.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// A worker thread registers; its id goes in the `abs_timeout` slot.
    public static let registerWorker = UMCGCommand(rawValue: 1)
    /// A server thread registers.
    public static let registerServer = UMCGCommand(rawValue: 2)
    /// The caller becomes a plain thread again (a worker sends EXIT).
    public static let unregister = UMCGCommand(rawValue: 3)
    /// Wakes one idle server (EAGAIN if none is idle).
    public static let wake = UMCGCommand(rawValue: 4)
    /// Server: wait for events (or for a worker to unblock). Worker: yield.
    public static let wait = UMCGCommand(rawValue: 5)
    /// Server: run a worker until it stops. Worker: hand the server to another worker.
    public static let ctxSwitch = UMCGCommand(rawValue: 6)

    /// Whether the value is one of the six commands.
    public var isValid: Bool { (1...6).contains(rawValue) }

    /// A readable name.
    public var description: String {
        switch rawValue {
        case 1: "REGISTER_WORKER"
        case 2: "REGISTER_SERVER"
        case 3: "UNREGISTER"
        case 4: "WAKE"
        case 5: "WAIT"
        case 6: "CTX_SWITCH"
        default: "cmd \(rawValue)"
        }
    }
}

/// The type of a UMCG event (the low 5 bits of an event word).
public enum UMCGEventType: UInt64, Sendable, CaseIterable, CustomStringConvertible {
    /// A running worker blocked.
    case block = 1
    /// A worker became runnable (registered, or its blocking call finished).
    case wake = 2
    /// A worker yielded or handed its server to another worker.
    case wait = 3
    /// A worker unregistered or its thread ended.
    case exit = 4
    /// A waiting worker's absolute timeout passed.
    case timeout = 5
    /// A worker ran past its slice and was stopped.
    case preempt = 6

    /// A readable name.
    public var description: String {
        switch self {
        case .block: "BLOCK"
        case .wake: "WAKE"
        case .wait: "WAIT"
        case .exit: "EXIT"
        case .timeout: "TIMEOUT"
        case .preempt: "PREEMPT"
        }
    }
}

/// Constants of the UMCG ABI.
public enum UMCGABI {
    /// The event type sits in the low `workerIDShift` bits of an event word.
    public static let workerIDShift: UInt64 = 5
    /// Mask of the event type bits.
    public static let eventTypeMask: UInt64 = 0x1f
    /// `UMCG_WAIT_FLAG_INTERRUPTED`: accepted by WAIT only.
    public static let waitFlagInterrupted: UInt64 = 1
    /// The Nanos (x86_64) syscall number.
    public static let nanosSyscallNumber = 450
    /// `abs_timeout == 1` on a server WAIT polls without blocking.
    public static let pollTimeout: UInt64 = 1

    /// The id a worker registers with for a thread id, as the Nanos test does (`tid << 5`).
    @inline(__always)
    public static func workerID(forTid tid: Int32) -> UInt64 { UInt64(UInt32(bitPattern: tid)) << workerIDShift }
}

/// One event word: `worker_id | type`.
public struct UMCGEvent: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The raw u64.
    public var rawValue: UInt64
    /// Wraps a raw event word.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Builds an event for a worker id (low 5 bits zero) and a type.
    @inline(__always)
    public init(workerID: UInt64, type: UMCGEventType) { rawValue = workerID | type.rawValue }

    /// The worker id (type bits cleared).
    @inline(__always)
    public var workerID: UInt64 { rawValue & ~UMCGABI.eventTypeMask }
    /// The event type, nil for 0 or an unknown value.
    @inline(__always)
    public var type: UMCGEventType? { UMCGEventType(rawValue: rawValue & UMCGABI.eventTypeMask) }

    /// A readable name.
    public var description: String {
        "\(type.map { "\($0)" } ?? "type \(rawValue & UMCGABI.eventTypeMask)")(id \(workerID >> UMCGABI.workerIDShift)<<5)"
    }
}

/// Worker state words of the emulation (docs/UMCG-ABI.md "Worker states"); the TIMEOUT bit is ORed in.
public enum UMCGWorkerState {
    /// Registered, runnable, never picked.
    public static let idle: UInt32 = 1
    /// Runnable, waiting for a server.
    public static let runnable: UInt32 = 2
    /// Attached to a server.
    public static let running: UInt32 = 3
    /// In a blocking section.
    public static let blocked: UInt32 = 4
    /// Yielded; waits to be switched to.
    public static let waiting: UInt32 = 5
    /// Unregistered.
    public static let exited: UInt32 = 6
    /// Set with WAITING when the worker's timeout passed (kept into RUNNING until its WAIT returns ETIMEDOUT).
    public static let timeoutBit: UInt32 = 0x100
    /// Mask of the base state.
    public static let mask: UInt32 = 0xff
}
