import CUMCGShims

// The few shim calls used from protocol extensions, wrapped once so callers need not import the C module.

@inline(__always)
func umcgShimNanosleep(_ ns: UInt64) -> Int32 { umcg_shim_nanosleep(ns) }

@inline(__always)
func umcgShimRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ n: UInt64) -> Int64 { umcg_shim_read(fd, buf, n) }
