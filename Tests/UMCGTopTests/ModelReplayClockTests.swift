import Testing
import UMCGSystem

@testable import UMCGTop

@Suite struct ModelReplayClockTests {
    let s: UInt64 = 1_000_000_000

    @Test func advancesWithSpeedAndStopsPausedAtTheEnd() {
        var c = ReplayClock(start: 100 * s, end: 110 * s)
        #expect(c.playing && c.speed == 1 && c.elapsed == 0)
        c.advance(byWallNanos: s / 2)
        #expect(c.elapsed == s / 2)
        c.faster()
        c.faster()
        #expect(c.speed == 4)
        c.advance(byWallNanos: s)
        #expect(c.elapsed == 4 * s + s / 2)
        c.advance(byWallNanos: 10 * s)
        #expect(c.position == c.end && c.atEnd && !c.playing)
        c.advance(byWallNanos: s)
        #expect(c.position == c.end)
    }

    @Test func pausedClockDoesNotMove() {
        var c = ReplayClock(start: 0, end: 10 * s, playing: false)
        c.advance(byWallNanos: s)
        #expect(c.position == 0)
        c.togglePlay()
        c.advance(byWallNanos: s)
        #expect(c.position == s)
    }

    @Test func speedsDoubleAndClamp() {
        var c = ReplayClock(start: 0, end: s)
        for _ in 0..<20 { c.faster() }
        #expect(c.speed == 64)
        for _ in 0..<20 { c.slower() }
        #expect(c.speed == 0.25)
        c.advance(byWallNanos: 4_000)
        #expect(c.position == 1_000)
        #expect(ReplayClock(start: 0, end: s, speed: 5).speed == 4)
    }

    @Test func seeksClampAndReportBackwardJumps() {
        var c = ReplayClock(start: 50 * s, end: 80 * s)
        #expect(c.perform(.seek(byNanos: 10_000_000_000)) == false)
        #expect(c.elapsed == 10 * s)
        #expect(c.perform(.seek(byNanos: -1_000_000_000)) == true)
        #expect(c.elapsed == 9 * s)
        #expect(c.perform(.seek(byNanos: -100_000_000_000)) == true)
        #expect(c.position == c.start)
        #expect(c.perform(.seek(byNanos: .max)) == false)
        #expect(c.position == c.end && !c.playing)
        #expect(c.perform(.seekToStart) == true)
        #expect(c.position == c.start)
        c.seek(to: 0)
        #expect(c.position == c.start)
        c.seek(to: .max)
        #expect(c.position == c.end)
        c.perform(.seekToStart)
        c.perform(.seekToEnd)
        #expect(c.atEnd)
    }

    @Test func stepMovesToTheNextEventAndPauses() {
        var c = ReplayClock(start: 0, end: 10 * s)
        c.perform(.stepOne, nextEventAt: 1_234)
        #expect(c.position == 1_234 && !c.playing)
        c.perform(.stepOne, nextEventAt: 1_000)  // never backwards
        #expect(c.position == 1_234)
        c.perform(.stepOne, nextEventAt: nil)
        #expect(c.atEnd)
    }

    @Test func playAtTheEndRestartsAndEmptyTraceNeverPlays() {
        var c = ReplayClock(start: 0, end: s)
        c.advance(byWallNanos: 2 * s)
        #expect(!c.playing)
        c.perform(.togglePlay)
        #expect(c.playing && c.position == 0)
        var empty = ReplayClock(start: 5, end: 5)
        #expect(!empty.playing)
        empty.togglePlay()
        #expect(!empty.playing)
        let inverted = ReplayClock(start: 10, end: 3)
        #expect(inverted.end == 10 && inverted.duration == 0)
        #expect(c.status.durationNanos == s)
    }
}
