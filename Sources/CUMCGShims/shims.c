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
#if defined(__x86_64__)
#include <cpuid.h>
#endif

int32_t umcg_shim_gettid(void) { return (int32_t)syscall(SYS_gettid); }

int umcg_shim_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000LL;
        ts.tv_nsec = timeout_ns % 1000000000LL;
        tp = &ts;
    }
    long r = syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, tp, NULL, 0);
    return r == -1 ? -errno : 0;
}

int umcg_shim_futex_wait_abs_realtime(uint32_t *addr, uint32_t expected, uint64_t deadline_ns) {
    struct timespec ts, *tp = NULL;
    if (deadline_ns != 0) {
        ts.tv_sec = (time_t)(deadline_ns / 1000000000ULL);
        ts.tv_nsec = (long)(deadline_ns % 1000000000ULL);
        tp = &ts;
    }
    long r = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME,
                     expected, tp, NULL, FUTEX_BITSET_MATCH_ANY);
    return r == -1 ? -errno : 0;
}

int umcg_shim_futex_wake(uint32_t *addr, int32_t count) {
    long r = syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
    return r == -1 ? -errno : (int)r;
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

int umcg_shim_unpin(int32_t tid) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == -1) return -errno;
    long n = sysconf(_SC_NPROCESSORS_CONF);
    CPU_ZERO(&set);
    for (long i = 0; i < n && i < CPU_SETSIZE; i++) CPU_SET(i, &set);
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
uint64_t umcg_shim_process_cputime_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

void umcg_shim_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

int umcg_shim_sched_yield(void) { return sched_yield() == -1 ? -errno : 0; }

int umcg_shim_isatty(int fd) { return isatty(fd) ? 1 : 0; }

// ---- Appended by the engine helper (additive only) ----

// initial-exec: one TLS access without __tls_get_addr; the engine reads this on every umcg_ctl.
static __thread void *umcg_tls_slot __attribute__((tls_model("initial-exec")));

void *umcg_shim_tls_get(void) { return umcg_tls_slot; }
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

int umcg_shim_affinity_cpus(int32_t *out, int32_t max) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == -1) return -errno;
    int32_t n = 0;
    for (int i = 0; i < CPU_SETSIZE && n < max; i++)
        if (CPU_ISSET(i, &set)) out[n++] = i;
    return n;
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

int64_t umcg_shim_resident_pages(const void *address, uint64_t length) {
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)address & ~(uintptr_t)(page - 1);
    uintptr_t end = ((uintptr_t)address + length + page - 1) & ~(uintptr_t)(page - 1);
    size_t pages = (end - start) / (size_t)page;
    unsigned char vec[4096];
    int64_t resident = 0;
    for (size_t done = 0; done < pages;) {
        size_t n = pages - done < sizeof vec ? pages - done : sizeof vec;
        if (mincore((void *)(start + done * (size_t)page), n * (size_t)page, vec) == -1) return -errno;
        for (size_t i = 0; i < n; i++) resident += vec[i] & 1;
        done += n;
    }
    return resident;
}
