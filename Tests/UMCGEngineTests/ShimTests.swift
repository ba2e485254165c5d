import CUMCGShims
import Testing

@Suite struct ShimTests {
    @Test func futexWaitOnChangedValueReturnsEAGAIN() {
        var word: UInt32 = 1
        let r = umcg_shim_futex_wait(&word, 0, -1)
        #expect(r == -11)  // -EAGAIN
    }
}
