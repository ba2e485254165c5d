// System calls and macros Swift cannot reach, one function each, no logic.
// Every function returns 0 (or a non-negative result) on success and -errno
// on failure: errno is read here, in C, because ARC traffic in Swift can
// clobber it between the call and the read.
#ifndef UMCGTOP_UMCG_SHIMS_H
#define UMCGTOP_UMCG_SHIMS_H
#include <stdint.h>
#include <sys/types.h>

/// gettid(2).
int32_t umcg_shim_gettid(void);

/// FUTEX_WAIT_PRIVATE on *addr while it equals expected. timeout_ns < 0 waits
/// forever, otherwise a relative CLOCK_MONOTONIC timeout in nanoseconds.
/// 0 when woken (or spuriously), -EAGAIN when *addr != expected, -ETIMEDOUT, -EINTR.
int umcg_shim_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns);

/// FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME with an absolute
/// CLOCK_REALTIME deadline in nanoseconds (0 = forever).
int umcg_shim_futex_wait_abs_realtime(uint32_t *addr, uint32_t expected, uint64_t deadline_ns);

/// FUTEX_WAKE_PRIVATE: wakes up to count waiters; returns how many woke or -errno.
int umcg_shim_futex_wake(uint32_t *addr, int32_t count);

/// The raw 6-argument syscall(2). Returns the result or -errno.
/// Never call this with a number that has not passed the UMCG detection rule.
int64_t umcg_shim_syscall6(int64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                           uint64_t a4, uint64_t a5, uint64_t a6);

/// Pins thread tid (0 = caller) to one CPU with sched_setaffinity (CPU_SET is a macro).
int umcg_shim_pin_to_cpu(int32_t tid, int32_t cpu);

/// Number of CPUs in the caller's affinity mask, or -errno.
int umcg_shim_affinity_cpu_count(void);

/// sched_getcpu(3): the CPU the caller runs on now, or -errno.
int umcg_shim_getcpu(void);

#if defined(__x86_64__) && defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#endif
#endif

/// The CPU the caller runs on now, or -errno: the `cpu_id` the kernel keeps in the thread's rseq
/// area (glibc 2.35+ registers one for every thread; two loads, inlined into the Swift caller), else
/// sched_getcpu(3) (a call through libc: about 4 ns against 1 here, and it runs twice per handoff).
static inline int umcg_shim_current_cpu(void) {
#if defined(__x86_64__) && defined(RSEQ_SIG)
    if (__rseq_size != 0) {
        char *tp;
        __asm__("mov %%fs:0, %0" : "=r"(tp));
        int32_t c = (int32_t)__atomic_load_n(&((struct rseq *)(tp + __rseq_offset))->cpu_id, __ATOMIC_RELAXED);
        if (c >= 0) return c;
    }
#endif
    return umcg_shim_getcpu();
}

/// CLOCK_MONOTONIC in nanoseconds.
uint64_t umcg_shim_monotonic_ns(void);

/// CLOCK_REALTIME in nanoseconds.
uint64_t umcg_shim_realtime_ns(void);

/// CLOCK_THREAD_CPUTIME_ID of the caller, in nanoseconds.
uint64_t umcg_shim_thread_cputime_ns(void);

/// The x86 PAUSE / arm64 YIELD spin hint. Inline: as an out-of-line call it added a call and a return
/// to every turn of every spin (the C baselines' loops have the bare instruction).
static inline void umcg_shim_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// sched_yield(2).
int umcg_shim_sched_yield(void);

/// sched_setscheduler(2) for thread tid (0 = caller): policy (SCHED_OTHER 0, SCHED_FIFO 1,
/// SCHED_RR 2) with priority (0 for SCHED_OTHER, 1...99 for the RT policies). 0 or -errno.
int umcg_shim_sched_setscheduler(int32_t tid, int32_t policy, int32_t priority);

/// sched_getscheduler(2) for thread tid (0 = caller): the policy, or -errno.
int umcg_shim_sched_getscheduler(int32_t tid);

/// isatty(fd) as 1/0.
int umcg_shim_isatty(int fd);

// ---- Appended by the engine helper (additive only) ----

/// The engine's per-thread slot (defined in shims.c).
extern __thread void *umcg_tls_slot __attribute__((tls_model("initial-exec")));

/// The calling thread's engine slot (a `__thread` pointer, initial-exec TLS): NULL until set.
/// Inline: one %fs-relative load in the caller instead of a call (it runs on every umcg_ctl).
static inline void *umcg_shim_tls_get(void) { return umcg_tls_slot; }

/// Sets the calling thread's engine slot.
void umcg_shim_tls_set(void *value);

/// read(2): bytes read or -errno.
int64_t umcg_shim_read(int fd, void *buf, uint64_t count);

/// write(2): bytes written or -errno.
int64_t umcg_shim_write(int fd, const void *buf, uint64_t count);

/// pipe2(fds, O_CLOEXEC): 0 or -errno.
int umcg_shim_pipe(int32_t fds[2]);

/// close(2): 0 or -errno.
int umcg_shim_close(int fd);

/// nanosleep(2) for a relative duration in ns: 0, -EINTR (remaining time lost) or -errno.
int umcg_shim_nanosleep(uint64_t ns);

/// uname(2): copies sysname, release and nodename (each NUL-terminated, truncated to len). 0 or -errno.
int umcg_shim_uname(char *sysname, char *release, char *nodename, uint64_t len);

/// timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC): the fd or -errno.
int umcg_shim_timerfd_create(void);

/// Arms a timerfd to expire once after ns nanoseconds (ns > 0): 0 or -errno.
int umcg_shim_timerfd_arm(int fd, uint64_t ns);

/// sched_getaffinity(0): copies the caller's CPU mask (bit i of word i/64 = CPU i) into
/// words[0..<nwords] (at most 16 words, 1,024 CPUs). 0 or -errno.
int umcg_shim_affinity_mask(uint64_t *words, int32_t nwords);

/// open(path, O_RDONLY | O_CLOEXEC): the fd or -errno (e.g. /proc/self/status).
int umcg_shim_open_readonly(const char *path);

/// prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS): the process's private futex hash buckets
/// (0 = the global hash) or -errno (-EINVAL before Linux 6.16 or without CONFIG_FUTEX_PRIVATE_HASH).
int umcg_shim_futex_hash_get_slots(void);

/// prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, slots, 0): 0 or -errno (slots: 0 or a power of 2).
int umcg_shim_futex_hash_set_slots(uint32_t slots);

/// mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0):
/// 0 and the mapping in *out, or -errno.
int umcg_shim_map_anonymous(uint64_t length, void **out);

/// munmap(address, length): 0 or -errno.
int umcg_shim_unmap(void *address, uint64_t length);

/// mincore(2): one byte per page of [address, address + length) into vec (address page-aligned). 0 or -errno.
int umcg_shim_mincore(void *address, uint64_t length, unsigned char *vec);

/// sysconf(_SC_PAGESIZE).
int64_t umcg_shim_page_size(void);

/// madvise(address, length, MADV_HUGEPAGE): 0 or -errno (-EINVAL without transparent huge pages).
int umcg_shim_advise_huge_pages(void *address, uint64_t length);

/// x86-64 with AVX-512: puts the opmask and upper ZMM registers back in their init state (XRSTOR
/// with an all-zero header), so the kernel no longer saves and restores them on context switches.
/// Does nothing elsewhere. Call only where no live value is held in those registers (any call site:
/// they are caller-saved).
void umcg_shim_reset_vector_state(void);

/// x86-64 with AVX-512 and XGETBV(1): whether the opmask or upper ZMM state is in use (XINUSE bits
/// 5-7) on the calling thread, 1 or 0; -1 where that cannot be known.
int umcg_shim_upper_vector_state_in_use(void);

/// A hint to load the cache line at address (never faults).
static inline void umcg_shim_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// RDTSC: the time-stamp counter of x86-64 (not serialising: it may run a few instructions early).
/// 0 elsewhere: callers check `umcg_shim_cpuid` for an invariant TSC first.
static inline uint64_t umcg_shim_rdtsc(void) {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0;
#endif
}

/// CPUID(leaf, subleaf) into regs[0...3] (EAX, EBX, ECX, EDX) on x86-64: 1, or 0 when the leaf is
/// beyond the highest one this CPU reports (regs zeroed) or elsewhere.
static inline int umcg_shim_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
#if defined(__x86_64__)
    uint32_t max;
    __asm__ __volatile__("cpuid" : "=a"(max), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                         : "a"(leaf & 0x80000000u), "c"(0));
    if (leaf > max) { regs[1] = regs[2] = regs[3] = 0; return 0; }
    __asm__ __volatile__("cpuid" : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                         : "a"(leaf), "c"(subleaf));
    return 1;
#else
    (void)leaf; (void)subleaf;
    return 0;
#endif
}

/// An address in the caller's current stack frame (close to its stack pointer).
static inline uintptr_t umcg_shim_stack_address(void) {
    return (uintptr_t)__builtin_frame_address(0);
}

/// Room for a saved signal mask (glibc's sigset_t is 128 bytes).
typedef struct { uint64_t words[16]; } umcg_shim_sigmask;

/// pthread_sigmask(SIG_BLOCK) of every asynchronous signal (all but SIGSEGV, SIGBUS, SIGFPE, SIGILL,
/// SIGTRAP, SIGABRT and SIGSYS) for the calling thread, so threads it creates inherit the mask;
/// the previous mask goes to *saved. 0 or -errno.
int umcg_shim_block_async_signals(umcg_shim_sigmask *saved);

/// pthread_sigmask(SIG_SETMASK, saved): 0 or -errno.
int umcg_shim_restore_signals(const umcg_shim_sigmask *saved);

// ---- Files, names and messages (the system layer's file and thread wrappers) ----

/// open(path, flags | O_CLOEXEC, mode): the fd or -errno.
int umcg_shim_open(const char *path, int32_t flags, uint32_t mode);

/// The open(2) flags the system layer uses, as this libc numbers them.
int32_t umcg_shim_o_rdonly(void);
int32_t umcg_shim_o_write_create(void);
int32_t umcg_shim_o_excl(void);
int32_t umcg_shim_o_trunc(void);
int32_t umcg_shim_o_nonblock(void);

/// pread(2): bytes read or -errno.
int64_t umcg_shim_pread(int fd, void *buf, uint64_t count, int64_t offset);

/// fstat(2): the size and the file type (S_IFMT bits of st_mode) into *size and *type. 0 or -errno.
int umcg_shim_fstat(int fd, int64_t *size, uint32_t *type);

/// The S_IFMT values of a regular file, a directory, a FIFO and a character device.
uint32_t umcg_shim_s_ifreg(void);
uint32_t umcg_shim_s_ifdir(void);

/// fsync(2): 0 or -errno.
int umcg_shim_fsync(int fd);

/// ftruncate(2): 0 or -errno.
int umcg_shim_ftruncate(int fd, int64_t length);

/// lseek(fd, offset, SEEK_SET): the new offset or -errno.
int64_t umcg_shim_lseek_set(int fd, int64_t offset);

/// stat(2) of path: its device and inode into *device and *inode. 0 or -errno.
int umcg_shim_file_identity(const char *path, uint64_t *device, uint64_t *inode);

/// unlink(2): 0 or -errno.
int umcg_shim_unlink(const char *path);

/// rename(2): 0 or -errno.
int umcg_shim_rename(const char *from, const char *to);

/// renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE): 0 or -errno (EEXIST when `to` exists,
/// EINVAL where the file system does not support the flag).
int umcg_shim_rename_noreplace(const char *from, const char *to);

/// signal(SIGXFSZ, SIG_IGN): exceeding RLIMIT_FSIZE then fails write(2) with EFBIG instead of
/// killing the process. 0 or -errno.
int umcg_shim_ignore_sigxfsz(void);

/// pthread_setname_np(pthread_self(), name): name is cut to 15 bytes by the caller. 0 or -errno.
int umcg_shim_set_thread_name(const char *name);

/// pthread_getname_np(pthread_self()) into buf (len >= 16). 0 or -errno.
int umcg_shim_get_thread_name(char *buf, uint64_t len);

/// strerror_r(code) into buf (NUL-terminated, truncated to len).
void umcg_shim_strerror(int code, char *buf, uint64_t len);

/// process_vm_writev(getpid(), {src, len}, {dst, len}): copies len bytes into the caller's own
/// address space through the kernel, so an unwritable dst fails EFAULT instead of raising SIGSEGV.
/// The bytes written or -errno.
int64_t umcg_shim_write_own_memory(void *dst, const void *src, uint64_t len);
// ---- Shared-memory regions (issue #12: a process publishes its events for a viewer) ----

/// FUTEX_WAIT (shared, not private: the word lives in a MAP_SHARED mapping another process
/// wakes) on *addr while it equals expected; timeout_ns < 0 waits forever, otherwise a relative
/// CLOCK_MONOTONIC timeout. 0 when woken, -EAGAIN, -ETIMEDOUT, -EINTR or -errno.
int umcg_shim_futex_wait_shared(uint32_t *addr, uint32_t expected, int64_t timeout_ns);

/// FUTEX_WAKE (shared): wakes up to count waiters of *addr in any process; how many or -errno.
int umcg_shim_futex_wake_shared(uint32_t *addr, int32_t count);

/// The open(2) flags O_RDWR and O_RDWR | O_CREAT, O_DIRECTORY and O_NOFOLLOW, as this libc numbers them.
int32_t umcg_shim_o_rdwr(void);
int32_t umcg_shim_o_rdwr_create(void);
int32_t umcg_shim_o_directory(void);
int32_t umcg_shim_o_nofollow(void);

/// mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0): 0 and the mapping in *out, or -errno.
int umcg_shim_map_shared(int fd, uint64_t length, void **out);

/// fstat(2): the owner uid of the file into *uid. 0 or -errno.
int umcg_shim_fstat_owner(int fd, uint32_t *uid);

/// stat(2) of path: the owner uid of the file into *uid. 0 or -errno.
int umcg_shim_stat_owner(const char *path, uint32_t *uid);

/// fchown(fd, uid, gid): 0 or -errno.
int umcg_shim_fchown(int fd, uint32_t uid, uint32_t gid);

/// posix_fallocate(fd, 0, length): reserves the file's blocks (on tmpfs: fails ENOSPC now instead
/// of SIGBUS at the first touch of a page beyond the size limit). 0 or -errno.
int umcg_shim_fallocate(int fd, int64_t length);

/// getpid(2).
int32_t umcg_shim_getpid(void);

/// geteuid(2).
uint32_t umcg_shim_geteuid(void);

/// getdents64(2) into buf: bytes filled (0 at the end) or -errno.
int64_t umcg_shim_getdents(int fd, void *buf, uint64_t len);


// ---- Child processes (umcgtop run) ----

/// posix_spawnp(path, argv, envp) with an empty signal mask and every signal at its default
/// action in the child (the caller's threads may block or ignore signals the child must see).
/// argv and envp end with NULL. output != NULL: stdin from /dev/null, stdout and stderr appended
/// to that file (created 0600). flags: UMCG_SHIM_SPAWN_NEW_GROUP, the child leads a new process
/// group (a terminal's Ctrl-C then reaches it only through the caller); UMCG_SHIM_SPAWN_STDOUT_TO_STDERR,
/// its stdout is the caller's stderr. The child's pid or -errno.
int32_t umcg_shim_spawn(const char *path, char *const argv[], char *const envp[], const char *output,
                        int32_t flags);
#define UMCG_SHIM_SPAWN_NEW_GROUP 1
#define UMCG_SHIM_SPAWN_STDOUT_TO_STDERR 2

/// waitpid(pid, status, nohang ? WNOHANG : 0): the pid, 0 (WNOHANG, still running) or -errno.
/// *status receives the raw wait status.
int32_t umcg_shim_waitpid(int32_t pid, int32_t *status, int32_t nohang);

/// kill(pid, sig): 0 or -errno.
int umcg_shim_kill(int32_t pid, int32_t sig);

/// readlink(path, buf, len): the bytes written (not NUL-terminated) or -errno.
int64_t umcg_shim_readlink(const char *path, char *buf, uint64_t len);
#endif

// The region guard (#12): the one piece of logic this target holds, because a signal handler must
// be async-signal-safe and Swift cannot promise that. A viewer maps another process's region file
// MAP_SHARED; if that process truncates the file, touching a page past the new end raises SIGBUS.
// The handler, installed once (and again when someone replaced it), looks the faulting address up
// in a fixed table of registered mappings: inside one, it maps anonymous zero pages (MAP_FIXED)
// from the faulting page to the mapping's end, counts the fault and returns, so the access reads
// zeros; outside, it chains to the handler it replaced (or the default action: the process dies).

/// Installs the SIGBUS handler if it is not the current one: 0 or -errno.
int umcg_shim_region_guard_install(void);
/// Whether the current SIGBUS handler is the region guard's.
int umcg_shim_region_guard_installed(void);
/// Registers [base, base + length) (page-aligned base): its slot (>= 0), or -ENOSPC when all 64 are taken.
int umcg_shim_region_guard_add(void *base, uint64_t length);
/// Unregisters a slot (before its mapping is unmapped).
void umcg_shim_region_guard_remove(int32_t slot);
/// The slot's fault count word (incremented by the handler; read it atomically).
uint32_t *umcg_shim_region_guard_faults(int32_t slot);
