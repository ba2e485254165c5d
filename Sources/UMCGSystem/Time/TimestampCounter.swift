import CUMCGShims

/// The x86-64 time-stamp counter: RDTSC and the CPUID facts that say whether it can be a clock.
///
/// An *invariant* TSC (CPUID 0x8000_0007, EDX bit 8) ticks at one constant rate in every power
/// state, on every core of the package, so ticks converted at a calibrated rate are a clock.
/// Elsewhere (no invariant TSC, not x86-64) `isInvariant` is false and callers use CLOCK_MONOTONIC.
public enum TimestampCounter {
    /// Reads the counter (RDTSC, not serialising); 0 where there is none.
    @inlinable @inline(__always)
    public static func read() -> UInt64 { umcg_shim_rdtsc() }

    /// CPUID(`leaf`, `subleaf`) as (EAX, EBX, ECX, EDX); nil beyond the highest leaf or off x86-64.
    public static func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> (UInt32, UInt32, UInt32, UInt32)? {
        var regs: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &regs) { raw in
            umcg_shim_cpuid(leaf, subleaf, raw.baseAddress?.assumingMemoryBound(to: UInt32.self))
        }
        return ok == 1 ? regs : nil
    }

    /// Whether this CPU reports an invariant TSC (CPUID 0x8000_0007 EDX bit 8); false off x86-64.
    public static let isInvariant: Bool = {
        guard let r = cpuid(0x8000_0007) else { return false }
        return r.3 & (1 << 8) != 0
    }()
}
