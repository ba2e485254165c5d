import UMCGSystem

/// Turns a growing total into a per-second rate over roughly the last second.
///
/// Keeps a small ring of (time, total) samples at least `minSpacing` apart (a newer
/// sample closer than that replaces the newest), so `push` never allocates.
struct CounterWindow: Sendable {
    private var times: [UInt64]
    private var values: [UInt64]
    private var head = 0
    private var count = 0
    /// Window length in ns.
    let span: UInt64
    /// Minimum spacing between kept samples in ns.
    let minSpacing: UInt64

    init(span: UInt64 = 1_000_000_000, capacity: Int = 16) {
        let cap = max(4, capacity)
        times = Array(repeating: 0, count: cap)
        values = Array(repeating: 0, count: cap)
        self.span = span
        minSpacing = span / UInt64(cap / 2)
    }

    private func index(back k: Int) -> Int { (head - 1 - k + 2 * times.count) % times.count }

    /// Adds a sample of the total at time `t`. Samples older than the newest are ignored.
    mutating func push(time t: UInt64, total v: UInt64) {
        if count > 0 {
            let newest = index(back: 0)
            if t < times[newest] { return }
            if count > 1, t - times[index(back: 1)] < minSpacing {
                times[newest] = t
                values[newest] = v
                return
            }
        }
        times[head] = t
        values[head] = v
        head = (head + 1) % times.count
        if count < times.count { count += 1 }
    }

    /// Change of the total over the window and the time it spans (ns); nil with fewer than two samples.
    func delta() -> (value: UInt64, nanos: UInt64)? {
        guard count >= 2 else { return nil }
        let newest = index(back: 0)
        let tNow = times[newest]
        var base = index(back: count - 1)
        // The newest sample at least `span` old, else the oldest.
        for k in 1..<count {
            let i = index(back: k)
            if tNow - times[i] >= span {
                base = i
                break
            }
        }
        let dt = tNow - times[base]
        guard dt > 0 else { return nil }
        let dv = values[newest] >= values[base] ? values[newest] - values[base] : 0
        return (dv, dt)
    }

    /// Per-second rate over the window; nil with fewer than two samples.
    func ratePerSecond() -> Double? {
        guard let d = delta() else { return nil }
        return Double(d.value) * 1e9 / Double(d.nanos)
    }

    /// The newest total, nil when empty.
    var latestTotal: UInt64? { count == 0 ? nil : values[index(back: 0)] }

    /// Forgets all samples.
    mutating func reset() {
        head = 0
        count = 0
    }
}
