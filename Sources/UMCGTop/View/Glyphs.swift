import UMCGSystem
import UMCGTrace

/// Characters that have an ASCII fallback.
enum Glyphs {
    /// A worker state as one cell: ▶ · ⏸ ■ ✕ ? (ASCII: R r w B x ?).
    static func state(_ s: WorkerState, ascii: Bool) -> String {
        switch s {
        case .running: ascii ? "R" : "▶"
        case .runnable, .idle: ascii ? "r" : "·"
        case .waiting: ascii ? "w" : "⏸"
        case .blocked: ascii ? "B" : "■"
        case .exited: ascii ? "x" : "✕"
        case .unknown: "?"
        case .unregistered: "-"
        }
    }

    /// The colour role of a worker state.
    static func stateColor(_ s: WorkerState) -> ColorRole {
        switch s {
        case .running: .good
        case .runnable, .idle, .waiting: .normal
        case .blocked: .warn
        case .exited, .unregistered: .dim
        case .unknown: .bad
        }
    }

    /// The colour role of a baseline series.
    static func seriesColor(_ m: BaselineMethod) -> ColorRole {
        switch m {
        case .umcg: .umcg
        case .futex: .futex
        case .condvar: .condvar
        }
    }

    /// The display name of a baseline series.
    static func seriesName(_ m: BaselineMethod) -> String {
        switch m {
        case .umcg: "UMCG"
        case .futex: "futex"
        case .condvar: "condvar"
        }
    }

    /// The ASCII plot mark of a series.
    static func seriesMark(_ m: BaselineMethod) -> Unicode.Scalar {
        switch m {
        case .umcg: "*"
        case .futex: "#"
        case .condvar: "+"
        }
    }

    /// Horizontal rule character.
    static func rule(ascii: Bool) -> String { ascii ? "-" : "─" }
}
