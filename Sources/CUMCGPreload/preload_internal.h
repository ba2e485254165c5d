/* Shared by preload.c (umcg_ctl, syscall(), the preemption timer) and blocking.c (the interposers). */
#ifndef UMCG_PRELOAD_INTERNAL_H
#define UMCG_PRELOAD_INTERNAL_H

#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "umcg_preload.h"

/* Per-thread state, in initial-exec TLS: one load on every interposed call's fast path. */
struct umcg_thread {
    int worker;                    /* a registered worker (REGISTER_WORKER returned 0, no UNREGISTER yet) */
    int in_lib;                    /* depth of library code on this thread: interposers pass through */
    volatile sig_atomic_t pending; /* a preemption signal arrived while in_lib > 0 */
    int exiting;                   /* the thread is in its TLS destructors */
    int timer_ok;                  /* `timer` exists */
    int armed;                     /* `timer` is armed (cleared by the signal handler) */
    timer_t timer;                 /* CLOCK_MONOTONIC, SIGEV_THREAD_ID to this thread */
    uint64_t switched_in;          /* when this worker last resumed: a TSC or CLOCK_MONOTONIC stamp (preload.c) */
    int sud;                       /* Syscall User Dispatch is on for this thread (sud.c) */
};

extern __thread struct umcg_thread umcg_self __attribute__((tls_model("initial-exec")));

/* Whether the calling thread is a worker running its own code (the interposers' fast-path test). */
static inline int umcg_worker_active(void) {
    return __builtin_expect(umcg_self.worker && !umcg_self.in_lib, 0);
}

/* Blocking sections: BLOCK before a call that may sleep, WAKE + wait-to-be-picked after.
 * umcg_block_enter returns 1 when a section was entered (then call umcg_block_leave); `reason` is
 * a UMCG_BLOCK_* value (the published BLOCK event's). */
int umcg_block_enter(int reason);
void umcg_block_leave(void);

/* Syscall User Dispatch (sud.c, UMCG_SUD=1): the thread's selector byte, BLOCK (1) only while a
 * dispatched worker runs its own code. */
extern __thread volatile char umcg_sud_selector __attribute__((tls_model("initial-exec"), visibility("hidden")));
void umcg_sud_init(int preempt_signal) __attribute__((visibility("hidden")));
void umcg_sud_thread_on(void) __attribute__((visibility("hidden")));
void umcg_sud_thread_off(void) __attribute__((visibility("hidden")));

/* Library code starts on this thread: its system calls must pass. Returns the selector it found
 * (the volatile byte is touched only on a dispatched thread). */
static inline char umcg_sud_enter(void) {
    if (__builtin_expect(!umcg_self.sud, 1)) return 0;
    char old = umcg_sud_selector;
    umcg_sud_selector = 0;
    return old;
}

/* Library code returns to the worker's own code (not while an outer library frame still runs). */
static inline void umcg_sud_leave(void) {
    if (__builtin_expect(umcg_self.sud, 0) && !umcg_self.in_lib) umcg_sud_selector = 1;
}

/* Whether a futex operation may sleep (preload.c). */
int umcg_futex_may_sleep(long op) __attribute__((visibility("hidden")));
/* The number umcg_ctl is caught at (preload.c; UMCG_SYSCALL_NR at load, else 450). */
extern long umcg_nr __attribute__((visibility("hidden")));
/* Whether an I/O call on `fd` waiting for `events` may sleep, and whether `fd` is non-blocking (blocking.c). */
int umcg_fd_may_block(int fd, short events) __attribute__((visibility("hidden")));
int umcg_fd_nonblocking(int fd) __attribute__((visibility("hidden")));
/* Whether a timespec is zero, and whether a clock_nanosleep request returns at once: a zero relative
 * time, or an absolute one already past (blocking.c; the interposers' and dispatch's rule). */
int umcg_zero_timespec(const struct timespec *ts) __attribute__((visibility("hidden")));
int umcg_sleep_returns_at_once(clockid_t clock, int flags, const struct timespec *req)
    __attribute__((visibility("hidden")));

/* libc's syscall(), found with dlsym(RTLD_NEXT). */
long umcg_real_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* 1 once the emulation was created in this process (forked children inherit it). */
extern int umcg_backend_created;

/* Registers the pthread_atfork handlers (fork.c); called from the library constructor. */
void umcg_fork_init(void);

/* Resolves the interposed libc functions (blocking.c); called from the library constructor. */
void umcg_resolve_blocking(void);

/* The syscall() interposer's work (preload.c), called by its entry (syscall_entry.c). */
long umcg_syscall_dispatch(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
    __attribute__((visibility("hidden")));

#endif
