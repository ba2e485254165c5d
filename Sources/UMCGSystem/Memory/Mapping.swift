import CUMCGShims

/// Anonymous memory mappings and what the kernel says about their pages.
public enum Mapping {
    /// mmap of `length` bytes, private, anonymous, read-write, without reserving swap.
    public static func anonymous(length: Int) throws(Errno) -> UnsafeMutableRawPointer {
        var raw: UnsafeMutableRawPointer?
        try Syscall.check(retryOnInterrupt: false) { umcg_shim_map_anonymous(UInt64(length), &raw) }
        guard let raw else { throw .ENOMEM }
        return raw
    }

    /// munmap.
    public static func unmap(_ address: UnsafeMutableRawPointer, length: Int) {
        _ = umcg_shim_unmap(address, UInt64(length))
    }

    /// madvise(MADV_HUGEPAGE): false when the kernel has no transparent huge pages.
    public static func adviseHugePages(_ address: UnsafeMutableRawPointer, length: Int) -> Bool {
        umcg_shim_advise_huge_pages(address, UInt64(length)) == 0
    }

    /// The page size.
    public static var pageSize: Int { max(1, Int(umcg_shim_page_size())) }

    /// How many of the pages holding `[address, address + length)` are resident (mincore).
    public static func residentPages(_ address: UnsafeRawPointer, length: Int) throws(Errno) -> Int {
        let page = UInt(pageSize)
        let start = UInt(bitPattern: address) & ~(page - 1)
        let end = (UInt(bitPattern: address) + UInt(length) + page - 1) & ~(page - 1)
        let pages = Int((end - start) / page)
        var vector = [UInt8](repeating: 0, count: min(pages, 4096))
        var resident = 0
        var done = 0
        while done < pages {
            let n = min(pages - done, vector.count)
            guard let at = UnsafeMutableRawPointer(bitPattern: start + UInt(done) * page) else { throw .EFAULT }
            let r = vector.withUnsafeMutableBufferPointer {
                umcg_shim_mincore(at, UInt64(n) * UInt64(page), $0.baseAddress)
            }
            if r < 0 { throw Errno(rawValue: -r) }
            for i in 0..<n { resident += Int(vector[i] & 1) }
            done += n
        }
        return resident
    }
}
