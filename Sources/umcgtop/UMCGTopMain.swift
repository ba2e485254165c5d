import UMCGTop

/// The entry point, synchronous on purpose: every command runs on the main thread, so no
/// libdispatch worker pool is ever started (its workqueue monitor reads /proc/<tid>/stat, which
/// some unikernels lack) and the threads umcgtop creates do not inherit a dispatch thread's name.
@main
struct UMCGTopMain {
    static func main() {
        UMCGTopCommand.runAsMain()
    }
}
