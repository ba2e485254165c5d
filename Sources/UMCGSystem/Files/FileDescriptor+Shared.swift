import CUMCGShims

extension FileDescriptor {
    /// Opens `path` read-write (close-on-exec); with `create`, creates it with `permissions`
    /// (`.exclusive`: fails with EEXIST when it exists; `.truncate`: empties it). With
    /// `followSymlinks: false`, a symbolic link fails with ELOOP.
    public static func openReadWrite(
        _ path: String, create: Creation? = nil, permissions: UInt32 = 0o600, followSymlinks: Bool = true
    ) throws(Errno) -> FileDescriptor {
        var flags = create == nil ? umcg_shim_o_rdwr() : umcg_shim_o_rdwr_create()
        if !followSymlinks { flags |= umcg_shim_o_nofollow() }
        switch create {
        case .exclusive: flags |= umcg_shim_o_excl()
        case .truncate: flags |= umcg_shim_o_trunc()
        case nil: break
        }
        return FileDescriptor(rawValue: try Syscall.valueOrErrno { umcg_shim_open(path, flags, permissions) })
    }

    /// posix_fallocate(0, length): the file's blocks are reserved now (ENOSPC now, not SIGBUS later).
    public func allocate(length: Int) throws(Errno) {
        try Syscall.check { umcg_shim_fallocate(rawValue, Int64(length)) }
    }

    /// Opens the directory `path` for `directoryEntries` (close-on-exec).
    public static func openDirectory(_ path: String) throws(Errno) -> FileDescriptor {
        let flags = umcg_shim_o_rdonly() | umcg_shim_o_directory()
        return FileDescriptor(rawValue: try Syscall.valueOrErrno { umcg_shim_open(path, flags, 0) })
    }

    /// fstat(2): the uid owning the file.
    public func ownerUID() throws(Errno) -> UInt32 {
        var uid: UInt32 = 0
        try Syscall.check(retryOnInterrupt: false) { umcg_shim_fstat_owner(rawValue, &uid) }
        return uid
    }

    /// fchown(2).
    public func changeOwner(uid: UInt32, gid: UInt32) throws(Errno) {
        try Syscall.check { umcg_shim_fchown(rawValue, uid, gid) }
    }

    /// mmap of the first `length` bytes of the file, shared, read-write. Unmap with `Mapping.unmap`.
    public func mapShared(length: Int) throws(Errno) -> UnsafeMutableRawPointer {
        var raw: UnsafeMutableRawPointer?
        try Syscall.check(retryOnInterrupt: false) { umcg_shim_map_shared(rawValue, UInt64(length), &raw) }
        guard let raw else { throw .ENOMEM }
        return raw
    }

    /// The names in a directory opened with `openDirectory` (getdents64; "." and ".." left out),
    /// at most `limit` of them.
    public func directoryEntries(limit: Int = 65_536) throws(Errno) -> [String] {
        var names: [String] = []
        var buffer = [UInt8](repeating: 0, count: 32 << 10)
        while names.count < limit {
            let fd = rawValue
            let r = buffer.withUnsafeMutableBytes { raw in umcg_shim_getdents(fd, raw.baseAddress, UInt64(raw.count)) }
            let n = Int(try Syscall.valueOrErrno(retryOnInterrupt: false) { r })
            if n == 0 { break }
            var at = 0
            // linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, NUL-terminated name.
            while at + 19 < n && names.count < limit {
                let length = Int(buffer[at + 16]) | Int(buffer[at + 17]) << 8
                if length < 20 || at + length > n { break }
                let name = buffer[(at + 19)..<(at + length)].prefix { $0 != 0 }
                let text = String(decoding: name, as: UTF8.self)
                if text != "." && text != ".." { names.append(text) }
                at += length
            }
        }
        return names
    }
}

extension FilePath {
    /// stat(2): the uid owning the file at `path`.
    public static func ownerUID(_ path: String) throws(Errno) -> UInt32 {
        var uid: UInt32 = 0
        try Syscall.check { umcg_shim_stat_owner(path, &uid) }
        return uid
    }
}
