/*
 * libumcg.so: umcg_ctl(), the syscall() interposer and the preemption timer (issue #11).
 *
 * syscall(UMCG nr, ...) goes to the emulation (UMCGPreload's EmulatedBackend), or to the kernel when
 * one with umcg_ctl passed the probe; every other number goes to libc's syscall() untouched. While
 * library code runs on a thread (`in_lib`), every interposer passes straight through, so the
 * engine's own futex and mutex calls reach libc, and the preemption signal is deferred until the
 * library returns. See docs/UMCG-ABI.md, "The preload library".
 */
#include "preload_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define UMCG_TSC 1
static inline uint64_t tsc_read(void) { return __builtin_ia32_rdtsc(); }
#else
#define UMCG_TSC 0
static inline uint64_t tsc_read(void) { return 0; }
#endif

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

__thread struct umcg_thread umcg_self __attribute__((tls_model("initial-exec")));
void *umcg_preload_backend_pointer;

typedef long (*syscall_fn)(long, ...);
static syscall_fn real_syscall_fn;
/* The number umcg_ctl is caught at: UMCG_SYSCALL_NR, else 450. */
long umcg_nr = 450;
/* UMCG_SPIN_NS, parsed at load (-1: unset or malformed). */
static int64_t spin_nanos = -1;

int64_t umcg_preload_spin_nanos(void) { return spin_nanos; }
/* -2: not probed yet; -1: emulate; else the kernel's number. */
static long kernel_nr = -2;
static int preempt_signal;
static pthread_key_t exit_key;
static int exit_key_ok;
static pthread_once_t signal_once = PTHREAD_ONCE_INIT;
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;
/* The process's CPU mask when the library loaded (before the program pinned any thread). */
static cpu_set_t load_affinity;
static int load_affinity_ok;
int umcg_backend_created;
/* Publishing for umcgtop (UMCGTOP_PUBLISH=1 at load): 0 off; 1 requested, not started in this
 * process (the first umcg_ctl starts it); 2 started (or failed: not retried). */
static int publish_state;
/* Serialises starting, stopping and forking; the Swift side's publisher lives under it. */
static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;
/* The process that started publishing (a fork child is not it). */
static pid_t publish_pid;

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A worker's switch-in stamp: the TSC where it is invariant (CPUID 0x80000007, EDX bit 8; one RDTSC,
 * about a fifth of a clock_gettime in this project's VMs), else CLOCK_MONOTONIC. A switch-in is
 * on every handoff's path; the stamp is converted to nanoseconds only when the timer fires. */
static int tsc_stamps;
/* A (TSC, CLOCK_MONOTONIC) pair taken at load: the rate is measured from there to each conversion. */
static uint64_t load_tsc, load_ns;

static inline uint64_t stamp(void) { return tsc_stamps ? tsc_read() : mono_ns(); }

/* Nanoseconds since stamp `s`. From a TSC stamp: the ticks since `s` at the rate the TSC ran since
 * load (the stamp was taken after load, so the result is at most the time since load). */
static uint64_t ns_since(uint64_t s) {
    if (!tsc_stamps) return mono_ns() - s;
    uint64_t ns = mono_ns(), t = tsc_read();
    if (t <= s || t <= load_tsc || ns <= load_ns) return 0;
    return (uint64_t)((unsigned __int128)(t - s) * (ns - load_ns) / (t - load_tsc));
}

static void stamps_init(void) {
#if UMCG_TSC
    unsigned a, b, c, d;
    tsc_stamps = __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
#endif
    load_tsc = tsc_read();
    load_ns = mono_ns();
}

long umcg_real_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    syscall_fn f = __atomic_load_n(&real_syscall_fn, __ATOMIC_RELAXED);
    if (!f) {
        f = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
        if (!f) {
            errno = ENOSYS;
            return -1;
        }
        __atomic_store_n(&real_syscall_fn, f, __ATOMIC_RELAXED);
    }
    return f(nr, a1, a2, a3, a4, a5, a6);
}

/* ---- the preemption timer ---- */

static void timer_arm(uint64_t ns) {
    if (!umcg_self.timer_ok) return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(ns / 1000000000ULL);
    its.it_value.tv_nsec = (long)(ns % 1000000000ULL);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
    umcg_self.armed = 1;
    timer_settime(umcg_self.timer, 0, &its, NULL);
}

static void timer_disarm(void) {
    if (!umcg_self.timer_ok || !umcg_self.armed) return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    umcg_self.armed = 0;
    timer_settime(umcg_self.timer, 0, &its, NULL);
}

/* The worker resumed (a server switched to it): a new slice starts. A timer still armed for the
 * old slice stays armed; when it fires early the handler re-arms it for the rest (one
 * timer_settime per slice instead of two per switch). */
static void switched_in(void) {
    umcg_self.switched_in = stamp();
    if (!umcg_self.armed) timer_arm(UMCG_PRELOAD_SLICE_NS);
}

/* Preempts the calling worker if its slice is over, else re-arms the timer for the rest.
 * Runs in the signal handler or at the library's exit; never inside library code. */
static void maybe_preempt(void) {
    if (!umcg_self.worker || umcg_self.exiting) return;
    uint64_t ran = ns_since(umcg_self.switched_in);
    if (ran < UMCG_PRELOAD_SLICE_NS) {
        timer_arm(UMCG_PRELOAD_SLICE_NS - ran);
        return;
    }
    umcg_self.in_lib++;
    int32_t r = umcg_preload_preempt();
    umcg_self.in_lib--;
    if (r == 1) {
        switched_in();
    } else {
        /* Not RUNNING (e.g. between calls) or the engine's clock disagrees by a hair: retry soon. */
        timer_arm(1000000ULL);
    }
}

/* Acts on a preemption signal that arrived while library code ran on this thread. */
static inline void library_exit(void) {
    if (__builtin_expect(umcg_self.pending, 0) && !umcg_self.in_lib) {
        umcg_self.pending = 0;
        maybe_preempt();
    }
}

static void on_preempt_signal(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)info;
    (void)context;
    int saved = errno;
    char selector = umcg_sud_enter();
    umcg_self.armed = 0;
    if (umcg_self.worker && !umcg_self.exiting) {
        if (umcg_self.in_lib)
            umcg_self.pending = 1;
        else
            maybe_preempt();
    }
    if (umcg_self.sud) umcg_sud_selector = selector; /* as the interrupted code had it (ALLOW in library code) */
    errno = saved;
}

static void install_signal(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_preempt_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(preempt_signal, &sa, NULL);
}

/* Creates this worker thread's timer (before REGISTER_WORKER: the call returns already running). */
static void worker_timer_create(void) {
    pthread_once(&signal_once, install_signal);
    if (umcg_self.timer_ok) return;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = preempt_signal;
    sev.sigev_notify_thread_id = (pid_t)umcg_real_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
    if (timer_create(CLOCK_MONOTONIC, &sev, &umcg_self.timer) == 0) umcg_self.timer_ok = 1;
    umcg_self.armed = 0;
    if (exit_key_ok) pthread_setspecific(exit_key, (void *)1);
}

static void worker_timer_delete(void) {
    if (!umcg_self.timer_ok) return;
    umcg_self.timer_ok = 0;
    umcg_self.armed = 0;
    timer_delete(umcg_self.timer);
}

/* Runs before the engine's own thread-exit destructor (this key was created first, and glibc runs
 * destructors in key order): from here on the thread is plain to the interposers, so the engine's
 * EXIT path reaches libc directly. */
static void on_thread_exit(void *value) {
    (void)value;
    umcg_sud_thread_off();
    umcg_self.exiting = 1;
    umcg_self.worker = 0;
    worker_timer_delete();
}

/* ---- umcg_ctl ---- */

static long kernel_syscall(void) {
    long k = __atomic_load_n(&kernel_nr, __ATOMIC_ACQUIRE);
    if (__builtin_expect(k == -2, 0)) {
        umcg_self.in_lib++;
        k = (long)umcg_preload_kernel_syscall();
        umcg_self.in_lib--;
        __atomic_store_n(&kernel_nr, k, __ATOMIC_RELEASE);
    }
    return k;
}

/* Creates the emulation. It sizes its handoff (spin or not) by the CPUs the creating thread may run
 * on; the first umcg_ctl often comes from a thread the program already pinned to one CPU (the Nanos
 * benchmark pins both threads), so it is created under the mask the process had at load time. */
static void backend_init(void) {
    cpu_set_t mine;
    int widened = 0;
    if (load_affinity_ok && sched_getaffinity(0, sizeof mine, &mine) == 0 && !CPU_EQUAL(&mine, &load_affinity))
        widened = sched_setaffinity(0, sizeof load_affinity, &load_affinity) == 0;
    umcg_self.in_lib++;
    umcg_preload_init_backend();
    umcg_self.in_lib--;
    __atomic_store_n(&umcg_backend_created, 1, __ATOMIC_RELAXED);
    if (widened) sched_setaffinity(0, sizeof mine, &mine);
}

/* ---- publishing (issue #12) ---- */

int umcg_preload_publish_requested(void) { return publish_state != 0; }

/* The first umcg_ctl of a process that asked for publishing: region + publisher thread, before
 * any thread registers (a thread that comes here meanwhile waits on the lock). */
static void publish_start(long kernel) {
    umcg_self.in_lib++;
    pthread_mutex_lock(&publish_lock);
    if (__atomic_load_n(&publish_state, __ATOMIC_RELAXED) == 1) {
        umcg_preload_publish_start(kernel);
        publish_pid = getpid();
        /* Release: pairs with the relaxed check in ctl_impl only as a hint; the lock orders the rest. */
        __atomic_store_n(&publish_state, 2, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&publish_lock);
    umcg_self.in_lib--;
}

/* atexit: a last snapshot, then the region is marked closed and removed (only by the process that
 * created it: a fork child that exits must not remove its parent's). */
static void publish_at_exit(void) {
    umcg_self.in_lib++;
    pthread_mutex_lock(&publish_lock);
    if (publish_state == 2 && publish_pid == getpid()) {
        umcg_preload_publish_stop();
        publish_pid = 0;
    }
    pthread_mutex_unlock(&publish_lock);
    umcg_self.in_lib--;
}

/* fork: the publish lock and the tracer's lock are held across it, so the child gets them free. */
static void publish_prefork(void) {
    umcg_self.in_lib++;
    pthread_mutex_lock(&publish_lock);
    if (publish_state == 2) umcg_preload_publish_prefork();
}

static void publish_parent(void) {
    if (publish_state == 2) umcg_preload_publish_parent();
    pthread_mutex_unlock(&publish_lock);
    umcg_self.in_lib--;
}

/* The child publishes nothing into its parent's region; its first umcg_ctl starts its own. */
static void publish_child(void) {
    pthread_mutex_init(&publish_lock, NULL);
    if (publish_state == 2) {
        umcg_preload_publish_child();
        publish_pid = 0;
        publish_state = 1;
    }
    umcg_self.in_lib--;
}

/* The implementation behind both entry points. syscall() calls it directly, not through the exported
 * symbol: a program that defines its own umcg_ctl() as a syscall(450, ...) wrapper would otherwise
 * have syscall() call that wrapper back, forever. It takes syscall()'s own parameters (the number
 * unused): the dispatch below is then a bare jump, every argument left where the caller put it. */
static long ctl_impl(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    (void)nr;
    uint64_t flags = (uint64_t)a1, cmd = (uint64_t)a2, abs_timeout = (uint64_t)a4;
    long next_tid = a3, event_sz = a6;
    uint64_t *events = (uint64_t *)a5;
    (void)umcg_sud_enter();
    long k = kernel_syscall();
    if (__builtin_expect(__atomic_load_n(&publish_state, __ATOMIC_RELAXED) == 1, 0)) publish_start(k);
    if (k >= 0) {
        long r = umcg_real_syscall(k, (long)flags, (long)cmd, (long)next_tid, (long)abs_timeout, (long)events,
                                   (long)event_sz);
        umcg_sud_leave();
        return r;
    }
    /* backend_init sets the emulation's pointer (release) once the emulation exists: from then on
     * the once-control's check is skipped (a thread racing the first call still goes through it). */
    if (__builtin_expect(!umcg_preload_backend(), 0)) pthread_once(&backend_once, backend_init);
    if (cmd == 1 && !umcg_self.worker) worker_timer_create();
    umcg_self.in_lib++;
    int32_t err = umcg_preload_ctl(flags, cmd, (int32_t)next_tid, abs_timeout, events, (int32_t)event_sz);
    umcg_self.in_lib--;
    if (err == 0) {
        if (cmd == 1) {
            umcg_self.worker = 1;
            umcg_sud_thread_on();
        } else if (cmd == 3 && umcg_self.worker) {
            umcg_self.worker = 0;
            timer_disarm();
            umcg_sud_thread_off();
        }
    }
    /* A worker's REGISTER, WAIT or CTX_SWITCH that did not fail on its arguments returns running. */
    if (umcg_self.worker && (cmd == 1 || cmd == 5 || cmd == 6) &&
        (err == 0 || err == ETIMEDOUT || err == EINTR))
        switched_in();
    library_exit();
    umcg_sud_leave();
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

long umcg_ctl(uint64_t flags, uint64_t cmd, pid_t next_tid, uint64_t abs_timeout, uint64_t *events,
              int event_sz) {
    return ctl_impl(0, (long)flags, (long)cmd, next_tid, (long)abs_timeout, (long)events, event_sz);
}

/* ---- blocking sections ---- */

int umcg_block_enter(int reason) {
    if (!umcg_worker_active() || umcg_self.exiting) return 0;
    (void)umcg_sud_enter();
    timer_disarm();
    umcg_self.in_lib++;
    if (umcg_preload_enter_blocking(reason) != 0) {
        umcg_self.in_lib--;
        /* No section (not RUNNING): the slice goes on; re-arm the timer for its rest. */
        uint64_t ran = ns_since(umcg_self.switched_in);
        timer_arm(ran < UMCG_PRELOAD_SLICE_NS ? UMCG_PRELOAD_SLICE_NS - ran : 1);
        library_exit();
        umcg_sud_leave();
        return 0;
    }
    /* in_lib stays raised through the real call: calls libc makes from it pass through. */
    return 1;
}

void umcg_block_leave(void) {
    int saved = errno;
    umcg_preload_leave_blocking();
    umcg_self.in_lib--;
    switched_in();
    library_exit();
    umcg_sud_leave();
    errno = saved;
}

/* ---- syscall() ---- */

int umcg_futex_may_sleep(long op) {
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_WAIT_REQUEUE_PI:
#ifdef FUTEX_LOCK_PI2
    case FUTEX_LOCK_PI2:
#endif
        return 1;
    default:
        return 0;
    }
}

/* Every number but umcg_ctl's (or any number while library code runs): out of line, so the umcg_ctl
 * path below saves no registers and jumps to ctl_impl (callgrind: 28 -> 13 instructions a call). */
__attribute__((noinline)) static long dispatch_other(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    if (!umcg_self.in_lib && nr == SYS_futex && umcg_self.worker && umcg_futex_may_sleep(a2) &&
        umcg_block_enter(UMCG_BLOCK_FUTEX)) {
        long r = umcg_real_syscall(nr, a1, a2, a3, a4, a5, a6);
        umcg_block_leave();
        return r;
    }
    return umcg_real_syscall(nr, a1, a2, a3, a4, a5, a6);
}

/* What the syscall() interposer does (its entry is in syscall_entry.c on x86-64 and AArch64). */
long umcg_syscall_dispatch(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    if (__builtin_expect(nr == umcg_nr && !umcg_self.in_lib, 1))
        __attribute__((musttail)) return ctl_impl(nr, a1, a2, a3, a4, a5, a6);
    return dispatch_other(nr, a1, a2, a3, a4, a5, a6);
}

#if !defined(__x86_64__) && !defined(__aarch64__)
/* Elsewhere the portable entry: the arguments through va_arg. */
long syscall(long nr, ...) {
    va_list ap;
    va_start(ap, nr);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    return umcg_syscall_dispatch(nr, a1, a2, a3, a4, a5, a6);
}
#endif

/* ---- load ---- */

__attribute__((constructor)) static void umcg_preload_init(void) {
    real_syscall_fn = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
    const char *nr = getenv("UMCG_SYSCALL_NR");
    if (nr && *nr) {
        char *end = NULL;
        long v = strtol(nr, &end, 10);
        if (end && *end == '\0' && v > 0) umcg_nr = v;
    }
    const char *spin = getenv("UMCG_SPIN_NS");
    if (spin && *spin) {
        char *end = NULL;
        long long v = strtoll(spin, &end, 10);
        if (end && *end == '\0' && v >= 0) spin_nanos = v;
    }
    preempt_signal = SIGRTMAX - 2;
    const char *sig = getenv("UMCG_PREEMPT_SIGNAL");
    if (sig && *sig) {
        long v = strtol(sig, NULL, 10);
        if (v >= SIGRTMIN && v <= SIGRTMAX) preempt_signal = (int)v;
    }
    exit_key_ok = pthread_key_create(&exit_key, on_thread_exit) == 0;
    umcg_sud_init(preempt_signal);
    load_affinity_ok = sched_getaffinity(0, sizeof load_affinity, &load_affinity) == 0;
    stamps_init();
    umcg_resolve_blocking();
    /* First: its child handler clears the Swift runtime's cached tid before publish_child runs. */
    umcg_fork_init();
    const char *publish = getenv("UMCGTOP_PUBLISH");
    if (publish && strcmp(publish, "1") == 0) {
        publish_state = 1;
        pthread_atfork(publish_prefork, publish_parent, publish_child);
        atexit(publish_at_exit);
    }
}
