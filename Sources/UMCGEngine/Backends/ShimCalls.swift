import CUMCGShims

// The few shim calls used from protocol extensions, wrapped once so callers need not import the C module.

@inline(__always)
func umcgShimNanosleep(_ ns: UInt64) -> Int32 { umcg_shim_nanosleep(ns) }

@inline(__always)
func umcgShimRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ n: UInt64) -> Int64 { umcg_shim_read(fd, buf, n) }

@inline(__always)
func umcgShimPipe(_ fds: UnsafeMutablePointer<Int32>) -> Int32 { umcg_shim_pipe(fds) }

@inline(__always)
func umcgShimWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: UInt64) -> Int64 { umcg_shim_write(fd, buf, n) }

@inline(__always)
func umcgShimClose(_ fd: Int32) -> Int32 { umcg_shim_close(fd) }
