import UMCGSystem

extension EmulatedBackend {
    /// In a forked child: the calling thread (the copy of the one that called fork()) stops being a
    /// worker or server of this backend (a new task starts without UMCG state, as we read the kernel
    /// patches). Its control block stays allocated (the parent's threads' blocks are copies the child
    /// never runs); the thread's exit no longer sends EXIT for it.
    public func forgetCallingThreadAfterFork() {
        ThreadSlot.set(nil)
        disarmThreadExit()
    }
}
