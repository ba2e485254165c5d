import UMCGSystem

/// Waits until `condition` holds or `seconds` pass (a deadline, not a sleep used as synchronisation).
/// The same helper as UMCGEngineTests' (test targets cannot share code).
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = SystemClock.monotonicNanos() + UInt64(seconds * 1e9)
    while SystemClock.monotonicNanos() < end {
        if condition() { return true }
        var word: UInt32 = 0
        _ = try? Futex.wait(&word, expected: 0, timeout: 2_000_000)
    }
    return condition()
}
