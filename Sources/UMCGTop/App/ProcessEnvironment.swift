import Glibc
import UMCGSystem

/// The few environment variables the app reads.
enum ProcessEnvironment {
    /// TERM and NO_COLOR (absent ones are left out).
    static var current: [String: String] {
        var env: [String: String] = [:]
        for name in ["TERM", "NO_COLOR"] {
            if let raw = getenv(name) { env[name] = String(cString: raw) }
        }
        return env
    }

    /// Every variable of this process, as "NAME=value" entries (for a child's environment).
    static var all: [String] {
        var entries: [String] = []
        var p = environ
        while let entry = p.pointee {
            entries.append(String(cString: entry))
            p += 1
        }
        return entries
    }
}
