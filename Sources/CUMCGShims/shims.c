#define _GNU_SOURCE
#include "umcg_shims.h"
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/timerfd.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sys/uio.h>
#include <sys/types.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

int32_t umcg_shim_gettid(void) { return (int32_t)syscall(SYS_gettid); }

/* futex(2) straight to the kernel, not through libc's syscall(): inside libumcg.so that symbol is
 * the library's own interposer (a preloaded library's calls bind to its own exported symbols),
 * which unpacked six va_args, looked up its TLS and called libc's syscall through a pointer at
 * every futex operation of the emulation: about 160 instructions per call (callgrind).
 * Returns the kernel's result: >= 0, or -errno. */
static inline long umcg_raw_futex(uint32_t *addr, long op, long val, const struct timespec *tp, long val3) {
#if defined(__x86_64__)
    register long r10 __asm__("r10") = (long)tp;
    register long r8 __asm__("r8") = 0;
    register long r9 __asm__("r9") = val3;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)SYS_futex), "D"(addr), "S"(op), "d"(val), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = SYS_futex;
    register long x0 __asm__("x0") = (long)addr;
    register long x1 __asm__("x1") = op;
    register long x2 __asm__("x2") = val;
    register long x3 __asm__("x3") = (long)tp;
    register long x4 __asm__("x4") = 0;
    register long x5 __asm__("x5") = val3;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
#else
    long r = syscall(SYS_futex, addr, op, val, tp, NULL, val3);
    return r == -1 ? -errno : r;
#endif
}

int umcg_shim_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000LL;
        ts.tv_nsec = timeout_ns % 1000000000LL;
        tp = &ts;
    }
    long r = umcg_raw_futex(addr, FUTEX_WAIT_PRIVATE, expected, tp, 0);
    return r < 0 ? (int)r : 0;
}

int umcg_shim_futex_wait_abs_realtime(uint32_t *addr, uint32_t expected, uint64_t deadline_ns) {
    struct timespec ts, *tp = NULL;
    if (deadline_ns != 0) {
        ts.tv_sec = (time_t)(deadline_ns / 1000000000ULL);
        ts.tv_nsec = (long)(deadline_ns % 1000000000ULL);
        tp = &ts;
    }
    long r = umcg_raw_futex(addr, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, expected, tp,
                            FUTEX_BITSET_MATCH_ANY);
    return r < 0 ? (int)r : 0;
}

int umcg_shim_futex_wake(uint32_t *addr, int32_t count) {
    long r = umcg_raw_futex(addr, FUTEX_WAKE_PRIVATE, count, NULL, 0);
    return (int)r;
}

int64_t umcg_shim_syscall6(int64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                           uint64_t a4, uint64_t a5, uint64_t a6) {
    long r = syscall(nr, a1, a2, a3, a4, a5, a6);
    return r == -1 ? -(int64_t)errno : (int64_t)r;
}

int umcg_shim_pin_to_cpu(int32_t tid, int32_t cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof set, &set) == -1 ? -errno : 0;
}

int umcg_shim_affinity_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == -1) return -errno;
    return CPU_COUNT(&set);
}

int umcg_shim_getcpu(void) {
    int c = sched_getcpu();
    return c == -1 ? -errno : c;
}

static uint64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t umcg_shim_monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t umcg_shim_realtime_ns(void) { return clock_ns(CLOCK_REALTIME); }
uint64_t umcg_shim_thread_cputime_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

int umcg_shim_sched_yield(void) { return sched_yield() == -1 ? -errno : 0; }

int umcg_shim_sched_setscheduler(int32_t tid, int32_t policy, int32_t priority) {
    struct sched_param param = {.sched_priority = priority};
    return sched_setscheduler(tid, policy, &param) == -1 ? -errno : 0;
}

int umcg_shim_sched_getscheduler(int32_t tid) {
    int r = sched_getscheduler(tid);
    return r == -1 ? -errno : r;
}

int umcg_shim_isatty(int fd) { return isatty(fd) ? 1 : 0; }

// ---- Appended by the engine helper (additive only) ----

// initial-exec: one TLS access without __tls_get_addr; the engine reads this on every umcg_ctl
// (through the inline umcg_shim_tls_get in the header).
__thread void *umcg_tls_slot __attribute__((tls_model("initial-exec")));

void umcg_shim_tls_set(void *value) { umcg_tls_slot = value; }

int64_t umcg_shim_read(int fd, void *buf, uint64_t count) {
    ssize_t r = read(fd, buf, (size_t)count);
    return r == -1 ? -(int64_t)errno : (int64_t)r;
}

int64_t umcg_shim_write(int fd, const void *buf, uint64_t count) {
    ssize_t r = write(fd, buf, (size_t)count);
    return r == -1 ? -(int64_t)errno : (int64_t)r;
}

int umcg_shim_pipe(int32_t fds[2]) {
    int f[2];
    if (pipe2(f, O_CLOEXEC) == -1) return -errno;
    fds[0] = f[0];
    fds[1] = f[1];
    return 0;
}

int umcg_shim_close(int fd) { return close(fd) == -1 ? -errno : 0; }

int umcg_shim_nanosleep(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    return nanosleep(&ts, NULL) == -1 ? -errno : 0;
}

int umcg_shim_uname(char *sysname, char *release, char *nodename, uint64_t len) {
    struct utsname u;
    if (uname(&u) == -1) return -errno;
    if (len == 0) return 0;
    strncpy(sysname, u.sysname, len - 1); sysname[len - 1] = 0;
    strncpy(release, u.release, len - 1); release[len - 1] = 0;
    strncpy(nodename, u.nodename, len - 1); nodename[len - 1] = 0;
    return 0;
}

int umcg_shim_timerfd_create(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    return fd == -1 ? -errno : fd;
}

int umcg_shim_timerfd_arm(int fd, uint64_t ns) {
    struct itimerspec its = {{0, 0}, {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)}};
    return timerfd_settime(fd, 0, &its, NULL) == -1 ? -errno : 0;
}

_Static_assert(sizeof(cpu_set_t) == 16 * sizeof(uint64_t), "cpu_set_t is 1,024 bits");

int umcg_shim_affinity_mask(uint64_t *words, int32_t nwords) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == -1) return -errno;
    memcpy(words, &set, (size_t)(nwords < 16 ? nwords : 16) * sizeof(uint64_t));
    return 0;
}

int umcg_shim_open_readonly(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd == -1 ? -errno : fd;
}

// Values of <linux/prctl.h> since Linux 6.16; older headers lack them.
#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH 78
#define PR_FUTEX_HASH_SET_SLOTS 1
#define PR_FUTEX_HASH_GET_SLOTS 2
#endif

int umcg_shim_futex_hash_get_slots(void) {
    int r = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0, 0, 0);
    return r == -1 ? -errno : r;
}

int umcg_shim_futex_hash_set_slots(uint32_t slots) {
    return prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, (unsigned long)slots, 0, 0) == -1 ? -errno : 0;
}

int umcg_shim_map_anonymous(uint64_t length, void **out) {
    void *p = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return -errno;
    *out = p;
    return 0;
}

int umcg_shim_unmap(void *address, uint64_t length) {
    return munmap(address, (size_t)length) == -1 ? -errno : 0;
}

int umcg_shim_advise_huge_pages(void *address, uint64_t length) {
    return madvise(address, (size_t)length, MADV_HUGEPAGE) == -1 ? -errno : 0;
}

void umcg_shim_reset_vector_state(void) {
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx512f")) return;
    static _Alignas(64) const unsigned char init_area[1024];
    // XRSTOR with XSTATE_BV = 0 in the header puts the requested components (RFBM = EDX:EAX =
    // opmask, ZMM_Hi256, Hi16_ZMM) in their init state, so XSAVE skips them on a context switch.
    __asm__ volatile("xrstor %0" : : "m"(*(const unsigned char (*)[1024])init_area), "a"(0xE0), "d"(0) : "memory");
#endif
}

_Static_assert(sizeof(umcg_shim_sigmask) >= sizeof(sigset_t), "umcg_shim_sigmask too small");

int umcg_shim_block_async_signals(umcg_shim_sigmask *saved) {
    sigset_t set;
    sigfillset(&set);
    int synchronous[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (unsigned i = 0; i < sizeof synchronous / sizeof synchronous[0]; i++) sigdelset(&set, synchronous[i]);
    return -pthread_sigmask(SIG_BLOCK, &set, (sigset_t *)saved);
}

int umcg_shim_restore_signals(const umcg_shim_sigmask *saved) {
    return -pthread_sigmask(SIG_SETMASK, (const sigset_t *)saved, NULL);
}

int umcg_shim_upper_vector_state_in_use(void) {
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx512f")) return -1;
    unsigned a, b, c, d;
    if (!__get_cpuid_count(0xD, 1, &a, &b, &c, &d) || !(a & (1u << 2))) return -1;  // XGETBV(1)
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
    return (lo & 0xE0) != 0;
#else
    return -1;
#endif
}

int umcg_shim_mincore(void *address, uint64_t length, unsigned char *vec) {
    return mincore(address, (size_t)length, vec) == -1 ? -errno : 0;
}

int64_t umcg_shim_page_size(void) { return sysconf(_SC_PAGESIZE); }

int umcg_shim_open(const char *path, int32_t flags, uint32_t mode) {
    int fd = open(path, flags | O_CLOEXEC, (mode_t)mode);
    return fd == -1 ? -errno : fd;
}

int32_t umcg_shim_o_rdonly(void) { return O_RDONLY; }
int32_t umcg_shim_o_write_create(void) { return O_WRONLY | O_CREAT; }
int32_t umcg_shim_o_excl(void) { return O_EXCL; }
int32_t umcg_shim_o_trunc(void) { return O_TRUNC; }
int32_t umcg_shim_o_nonblock(void) { return O_NONBLOCK; }

int64_t umcg_shim_pread(int fd, void *buf, uint64_t count, int64_t offset) {
    ssize_t r = pread(fd, buf, (size_t)count, (off_t)offset);
    return r == -1 ? -(int64_t)errno : (int64_t)r;
}

int umcg_shim_fstat(int fd, int64_t *size, uint32_t *type) {
    struct stat st;
    if (fstat(fd, &st) == -1) return -errno;
    *size = (int64_t)st.st_size;
    *type = (uint32_t)(st.st_mode & S_IFMT);
    return 0;
}

uint32_t umcg_shim_s_ifreg(void) { return S_IFREG; }
uint32_t umcg_shim_s_ifdir(void) { return S_IFDIR; }

int umcg_shim_fsync(int fd) { return fsync(fd) == -1 ? -errno : 0; }

int umcg_shim_ftruncate(int fd, int64_t length) { return ftruncate(fd, (off_t)length) == -1 ? -errno : 0; }

int64_t umcg_shim_lseek_set(int fd, int64_t offset) {
    off_t r = lseek(fd, (off_t)offset, SEEK_SET);
    return r == (off_t)-1 ? -(int64_t)errno : (int64_t)r;
}

int umcg_shim_file_identity(const char *path, uint64_t *device, uint64_t *inode) {
    struct stat st;
    if (stat(path, &st) == -1) return -errno;
    *device = (uint64_t)st.st_dev;
    *inode = (uint64_t)st.st_ino;
    return 0;
}

int umcg_shim_unlink(const char *path) { return unlink(path) == -1 ? -errno : 0; }

int umcg_shim_rename(const char *from, const char *to) { return rename(from, to) == -1 ? -errno : 0; }

int umcg_shim_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == -1 ? -errno : 0;
}

int umcg_shim_ignore_sigxfsz(void) { return signal(SIGXFSZ, SIG_IGN) == SIG_ERR ? -errno : 0; }

int umcg_shim_set_thread_name(const char *name) { return -pthread_setname_np(pthread_self(), name); }

int umcg_shim_get_thread_name(char *buf, uint64_t len) { return -pthread_getname_np(pthread_self(), buf, (size_t)len); }

void umcg_shim_strerror(int code, char *buf, uint64_t len) {
    if (len == 0) return;
    // The GNU strerror_r returns a pointer that may or may not be buf.
    const char *text = strerror_r(code, buf, (size_t)len);
    if (text != buf) { strncpy(buf, text, (size_t)len - 1); buf[len - 1] = 0; }
}

int64_t umcg_shim_write_own_memory(void *dst, const void *src, uint64_t len) {
    struct iovec local = {.iov_base = (void *)src, .iov_len = (size_t)len};
    struct iovec remote = {.iov_base = dst, .iov_len = (size_t)len};
    ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
    return n == -1 ? -errno : (int64_t)n;
}

int umcg_shim_futex_wait_shared(uint32_t *addr, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000LL;
        ts.tv_nsec = timeout_ns % 1000000000LL;
        tp = &ts;
    }
    long r = umcg_raw_futex(addr, FUTEX_WAIT, expected, tp, 0);
    return r < 0 ? (int)r : 0;
}

int umcg_shim_futex_wake_shared(uint32_t *addr, int32_t count) {
    long r = umcg_raw_futex(addr, FUTEX_WAKE, count, NULL, 0);
    return (int)r;
}

int32_t umcg_shim_o_rdwr(void) { return O_RDWR; }
int32_t umcg_shim_o_rdwr_create(void) { return O_RDWR | O_CREAT; }
int32_t umcg_shim_o_directory(void) { return O_DIRECTORY; }
int32_t umcg_shim_o_nofollow(void) { return O_NOFOLLOW; }

int umcg_shim_map_shared(int fd, uint64_t length, void **out) {
    void *p = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return -errno;
    *out = p;
    return 0;
}

int umcg_shim_fstat_owner(int fd, uint32_t *uid) {
    struct stat st;
    if (fstat(fd, &st) == -1) return -errno;
    *uid = (uint32_t)st.st_uid;
    return 0;
}

int umcg_shim_stat_owner(const char *path, uint32_t *uid) {
    struct stat st;
    if (stat(path, &st) == -1) return -errno;
    *uid = (uint32_t)st.st_uid;
    return 0;
}

int umcg_shim_fchown(int fd, uint32_t uid, uint32_t gid) {
    return fchown(fd, (uid_t)uid, (gid_t)gid) == -1 ? -errno : 0;
}

int umcg_shim_fallocate(int fd, int64_t length) {
    int r = posix_fallocate(fd, 0, (off_t)length);
    return r == 0 ? 0 : -r;
}

int32_t umcg_shim_getpid(void) { return (int32_t)getpid(); }

uint32_t umcg_shim_geteuid(void) { return (uint32_t)geteuid(); }

int64_t umcg_shim_getdents(int fd, void *buf, uint64_t len) {
    long r = syscall(SYS_getdents64, fd, buf, (size_t)len);
    return r == -1 ? -(int64_t)errno : (int64_t)r;
}

// ---- Child processes (umcgtop run) ----
#include <spawn.h>
#include <sys/wait.h>

int32_t umcg_shim_spawn(const char *path, char *const argv[], char *const envp[], const char *output,
                        int32_t flags) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    int rc = posix_spawnattr_init(&attr);
    if (rc != 0) return -rc;
    rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) {
        posix_spawnattr_destroy(&attr);
        return -rc;
    }
    if (output != NULL) {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
    } else if (flags & UMCG_SHIM_SPAWN_STDOUT_TO_STDERR) {
        posix_spawn_file_actions_adddup2(&actions, 2, 1);
    }
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    short spawn_flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (flags & UMCG_SHIM_SPAWN_NEW_GROUP) {
        spawn_flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&attr, 0);
    }
    posix_spawnattr_setflags(&attr, spawn_flags);
    pid_t pid = 0;
    rc = posix_spawnp(&pid, path, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc != 0 ? -rc : (int32_t)pid;
}

int32_t umcg_shim_waitpid(int32_t pid, int32_t *status, int32_t nohang) {
    int s = 0;
    pid_t r = waitpid(pid, &s, nohang ? WNOHANG : 0);
    if (r == -1) return -errno;
    *status = s;
    return (int32_t)r;
}

int umcg_shim_kill(int32_t pid, int32_t sig) { return kill(pid, sig) == -1 ? -errno : 0; }

int64_t umcg_shim_readlink(const char *path, char *buf, uint64_t len) {
    ssize_t n = readlink(path, buf, len);
    return n == -1 ? -errno : (int64_t)n;
}

// ---- The region guard (see umcg_shims.h). Async-signal-safe: no allocation, no locks, errno kept.

#include <stdatomic.h>

#define UMCG_GUARD_SLOTS 64

struct umcg_guard_slot {
    // 0: free; 1: being filled; otherwise the mapping's base. Release store after length/faults,
    // acquire load in the handler (pairs: the handler sees the length of the base it found).
    _Atomic uintptr_t base;
    _Atomic uintptr_t length;
    _Atomic uint32_t faults;
};

static struct umcg_guard_slot umcg_guard_table[UMCG_GUARD_SLOTS];
static struct sigaction umcg_guard_previous;  // written before our handler is installed
static uintptr_t umcg_guard_page;             // the page size, cached (sysconf is not signal-safe)

static void umcg_guard_chain(int sig, siginfo_t *info, void *context) {
    struct sigaction previous = umcg_guard_previous;
    if (previous.sa_flags & SA_RESETHAND) {
        // The previous handler expects the default action back (CrashRestorer re-raises to die).
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, NULL);
    }
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction) previous.sa_sigaction(sig, info, context);
    } else if (previous.sa_handler == SIG_IGN) {
        return;
    } else if (previous.sa_handler == SIG_DFL) {
        // Die of the signal: the default action again, then raise (delivered when we return).
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, NULL);
        raise(sig);
    } else {
        previous.sa_handler(sig);
    }
}

static void umcg_guard_handler(int sig, siginfo_t *info, void *context) {
    int saved = errno;
    uintptr_t addr = (uintptr_t)info->si_addr;
    for (int i = 0; i < UMCG_GUARD_SLOTS; i++) {
        uintptr_t base = atomic_load_explicit(&umcg_guard_table[i].base, memory_order_acquire);
        if (base <= 1) continue;
        uintptr_t length = atomic_load_explicit(&umcg_guard_table[i].length, memory_order_relaxed);
        if (addr < base || addr - base >= length) continue;
        // A truncated file: zero pages from the faulting one to the mapping's end (a truncation
        // cuts a suffix), so the access re-executes and reads zeros.
        uintptr_t page = addr & ~(umcg_guard_page - 1);
        uintptr_t end = (base + length + umcg_guard_page - 1) & ~(umcg_guard_page - 1);
        void *p = mmap((void *)page, end - page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                       -1, 0);
        if (p == MAP_FAILED) break;  // cannot repair: die as we would have
        // Relaxed: the viewer reads it on the faulting thread or later through its own synchronisation.
        atomic_fetch_add_explicit(&umcg_guard_table[i].faults, 1, memory_order_relaxed);
        errno = saved;
        return;
    }
    umcg_guard_chain(sig, info, context);
    errno = saved;
}

int umcg_shim_region_guard_installed(void) {
    struct sigaction current;
    if (sigaction(SIGBUS, NULL, &current) == -1) return 0;
    return (current.sa_flags & SA_SIGINFO) && current.sa_sigaction == umcg_guard_handler;
}

int umcg_shim_region_guard_install(void) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;  // install is not called from handlers
    pthread_mutex_lock(&lock);
    int r = 0;
    if (!umcg_shim_region_guard_installed()) {
        umcg_guard_page = (uintptr_t)sysconf(_SC_PAGESIZE);
        struct sigaction action, previous;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = umcg_guard_handler;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        // Block SIGBUS while we swap so the handler never reads a half-written `previous`.
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGBUS);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        if (sigaction(SIGBUS, NULL, &previous) == -1) {
            r = -errno;
        } else {
            umcg_guard_previous = previous;
            if (sigaction(SIGBUS, &action, NULL) == -1) r = -errno;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_mutex_unlock(&lock);
    return r;
}

int umcg_shim_region_guard_add(void *base, uint64_t length) {
    for (int i = 0; i < UMCG_GUARD_SLOTS; i++) {
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong_explicit(&umcg_guard_table[i].base, &expected, 1, memory_order_acquire,
                                                    memory_order_relaxed)) {
            atomic_store_explicit(&umcg_guard_table[i].length, (uintptr_t)length, memory_order_relaxed);
            atomic_store_explicit(&umcg_guard_table[i].faults, 0, memory_order_relaxed);
            // Release: pairs with the handler's acquire load of base.
            atomic_store_explicit(&umcg_guard_table[i].base, (uintptr_t)base, memory_order_release);
            return i;
        }
    }
    return -ENOSPC;
}

void umcg_shim_region_guard_remove(int32_t slot) {
    if (slot < 0 || slot >= UMCG_GUARD_SLOTS) return;
    // Release: the slot is free for the next add once the owner is done with it.
    atomic_store_explicit(&umcg_guard_table[slot].base, 0, memory_order_release);
}

uint32_t *umcg_shim_region_guard_faults(int32_t slot) {
    if (slot < 0 || slot >= UMCG_GUARD_SLOTS) return NULL;
    return (uint32_t *)&umcg_guard_table[slot].faults;
}
