import Glibc
import UMCGBench
import UMCGEngine
import UMCGSystem

/// Facts printed with every bench result: backend, kernel, CPUs.
public struct BenchEnvironment: Sendable, Equatable {
    /// "emulated" or "kernel".
    public var backend: String
    /// Why that backend (one line).
    public var backendReason: String
    /// "Linux 6.18.44-…".
    public var kernel: String
    /// CPUs this process may use.
    public var cpus: Int

    /// Creates the facts.
    public init(backend: String, backendReason: String, kernel: String, cpus: Int) {
        self.backend = backend
        self.backendReason = backendReason
        self.kernel = kernel
        self.cpus = cpus
    }

    /// The facts of this machine and process under `selection`.
    public static func current(selection: BackendSelection) -> BenchEnvironment {
        // Every UMCG row runs on this backend (each row also names it).
        BenchEnvironment(
            backend: selection.kind.rawValue, backendReason: selection.reason, kernel: HostInfo.current().kernel,
            cpus: CPU.count)
    }
}

/// printf-style number formatting the Nanos output needs.
enum CFormat {
    /// `%g` of `value` (six significant digits, like the Nanos test's `cycles/sec`).
    static func g(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%g", $0) }
        guard n > 0 else { return "\(value)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Text to stderr (progress lines), outside stdout so `--json` stays one object.
struct BenchStderr: TextOutputStream {
    mutating func write(_ string: String) { StandardStreams.err(string) }
}
