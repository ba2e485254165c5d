/*
 * libumcg.so: Syscall User Dispatch, an opt-in mode that catches every system call a worker makes
 * (UMCG_SUD=1 at load; Linux >= 5.11, x86-64).
 *
 * The interposers see only the libc functions a program calls; a raw `syscall` instruction (inline
 * assembly, a static binary's own wrappers, libc calling itself: fread -> read) passes them by. With
 * this mode each registered worker thread turns on PR_SET_SYSCALL_USER_DISPATCH: while its selector
 * byte says BLOCK, every system call outside one small allowed region raises SIGSYS, and the handler
 * here runs it, as a blocking section when it may sleep (the same rules as the interposers: a ready
 * or non-blocking descriptor, a zero timeout get none), and puts the result in the interrupted rax.
 *
 * The selector is BLOCK only while the worker runs its own code: library code (umcg_ctl, blocking
 * sections, the preemption handler, this handler) sets ALLOW on entry and BLOCK on its way out.
 * The allowed region is glibc's signal restorer (__restore_rt, found from the kernel's copy of our
 * handler's sigaction), so every handler's rt_sigreturn, ours included, passes.
 *
 * rt_sigprocmask works on the mask the interrupted code runs under (SIGSYS cannot be blocked).
 * Not run from the handler, but executed again with the selector ALLOW (so uncaught): clone, clone3,
 * fork, vfork (a child returning into this handler's frame, or on another stack, cannot work),
 * rt_sigreturn through another restorer, execve and execveat (dispatch is turned off for the thread
 * first), and an i386 system call (`int $0x80`). The worker's next entry into the library sets
 * BLOCK again. A thread created by a worker is not dispatched (the kernel does not pass the setting
 * on; it is turned on at REGISTER_WORKER).
 */
#include "preload_internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* si_code of a dispatched call's SIGSYS */
#endif
#ifndef SYSCALL_DISPATCH_FILTER_ALLOW
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif

__thread volatile char umcg_sud_selector __attribute__((tls_model("initial-exec")));
static int umcg_sud_enabled;

#if defined(__x86_64__)

static unsigned long allowed_start;
static unsigned long allowed_len;

/* A system call from this handler, with the kernel's raw result (-errno on failure), as the
 * interrupted code expects it in rax: libc's syscall() (the selector is ALLOW here) says -1 and errno
 * only for the kernel's -4095..-1, so the conversion back is exact. */
static long kernel_result(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    long r = umcg_real_syscall(nr, a1, a2, a3, a4, a5, a6);
    return r == -1 ? -errno : r;
}

/* Whether the struct timespec at `p` is zero (a struct timeval too: the same two longs here). */
static int zero_time(long p) { return umcg_zero_timespec((const struct timespec *)p); }

/* Whether system call `nr` with these arguments may sleep, and why (a UMCG_BLOCK_* value; 0: no).
 * The interposers' rules: zero timeouts, MSG_DONTWAIT, ready or non-blocking descriptors get none. */
static int sleeping_reason(long nr, long a1, long a2, long a3, long a4, long a5) {
    switch (nr) {
    case SYS_nanosleep:
        return zero_time(a1) ? 0 : UMCG_BLOCK_SLEEP;
    case SYS_clock_nanosleep:
        return umcg_sleep_returns_at_once((clockid_t)a1, (int)a2, (const struct timespec *)a3) ? 0 : UMCG_BLOCK_SLEEP;
    case SYS_futex:
        return umcg_futex_may_sleep(a2) ? UMCG_BLOCK_FUTEX : 0;
    case SYS_recvfrom:
    case SYS_recvmmsg:
        if (a4 & MSG_DONTWAIT) return 0;
        return umcg_fd_may_block((int)a1, POLLIN) ? UMCG_BLOCK_READ : 0;
    case SYS_recvmsg:
        if (a3 & MSG_DONTWAIT) return 0;
        return umcg_fd_may_block((int)a1, POLLIN) ? UMCG_BLOCK_READ : 0;
    case SYS_read:
    case SYS_readv:
    case SYS_pread64:
    case SYS_preadv:
    case SYS_accept:
    case SYS_accept4:
        return umcg_fd_may_block((int)a1, POLLIN) ? UMCG_BLOCK_READ : 0;
    case SYS_sendto:
    case SYS_sendmmsg:
        if (a4 & MSG_DONTWAIT) return 0;
        return umcg_fd_may_block((int)a1, POLLOUT) ? UMCG_BLOCK_IO : 0;
    case SYS_sendmsg:
        if (a3 & MSG_DONTWAIT) return 0;
        return umcg_fd_may_block((int)a1, POLLOUT) ? UMCG_BLOCK_IO : 0;
    case SYS_write:
    case SYS_writev:
    case SYS_pwrite64:
    case SYS_pwritev:
        return umcg_fd_may_block((int)a1, POLLOUT) ? UMCG_BLOCK_IO : 0;
    case SYS_connect:
        return umcg_fd_nonblocking((int)a1) ? 0 : UMCG_BLOCK_IO;
    case SYS_poll:
        return a3 == 0 ? 0 : UMCG_BLOCK_IO;
    case SYS_ppoll:
        return zero_time(a3) ? 0 : UMCG_BLOCK_IO;
    case SYS_select:
    case SYS_pselect6:
        return zero_time(a5) ? 0 : UMCG_BLOCK_IO;
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
        return a4 == 0 ? 0 : UMCG_BLOCK_IO;
    case SYS_wait4:
        return (a3 & WNOHANG) ? 0 : UMCG_BLOCK_IO;
    case SYS_waitid:
        return (a4 & WNOHANG) ? 0 : UMCG_BLOCK_IO;
    case SYS_pause:
    case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait:
    case SYS_flock:
    case SYS_msgrcv:
    case SYS_msgsnd:
    case SYS_semop:
    case SYS_semtimedop:
        return UMCG_BLOCK_IO;
    default:
        return 0;
    }
}

/* rt_sigprocmask on the mask the interrupted code runs under (the one sigreturn restores), not on
 * this handler's own: run here, glibc's pthread_create would save and later restore a mask with
 * SIGSYS blocked, and the next dispatched call would kill the process. SIGSYS itself stays
 * deliverable (dispatch needs it), as SIGKILL and SIGSTOP stay in the kernel. */
static long sigprocmask_of_interrupted(ucontext_t *uc, long how, long set, long old, long size) {
    if (size != 8) return -EINVAL;
    uint64_t cur;
    memcpy(&cur, &uc->uc_sigmask, sizeof cur);
    uint64_t next = cur;
    if (set != 0) {
        uint64_t s;
        memcpy(&s, (const void *)set, sizeof s);
        switch (how) {
        case SIG_BLOCK:
            next = cur | s;
            break;
        case SIG_UNBLOCK:
            next = cur & ~s;
            break;
        case SIG_SETMASK:
            next = s;
            break;
        default:
            return -EINVAL;
        }
    }
    if (old != 0) memcpy((void *)old, &cur, sizeof cur);
    next &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)) | (1ULL << (SIGSYS - 1)));
    memcpy(&uc->uc_sigmask, &next, sizeof next);
    return 0;
}

/* Sends the interrupted system call back to run again, uncaught: the instruction (`syscall` and
 * `int $0x80` are both 2 bytes) with its number in rax; the selector stays ALLOW. */
static void execute_again(greg_t *g, long nr) {
    g[REG_RIP] -= 2;
    g[REG_RAX] = nr;
}

static void on_sigsys(int sig, siginfo_t *info, void *context) {
    (void)sig;
    umcg_sud_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
    int saved = errno;
    greg_t *g = ((ucontext_t *)context)->uc_mcontext.gregs;
    long nr = info->si_syscall;
    long a1 = g[REG_RDI], a2 = g[REG_RSI], a3 = g[REG_RDX], a4 = g[REG_R10], a5 = g[REG_R8], a6 = g[REG_R9];
    long r;
    if (info->si_code != SYS_USER_DISPATCH) {
        /* Not ours (seccomp's SECCOMP_RET_TRAP, a kill): what SIGSYS does without a handler. */
        signal(SIGSYS, SIG_DFL);
        raise(SIGSYS);
        errno = saved;
        return;
    }
    if (info->si_arch != AUDIT_ARCH_X86_64) {
        /* `int $0x80` from 64-bit code: i386 numbers and registers. */
        execute_again(g, nr);
        errno = saved;
        return;
    }
    switch (nr) {
    case SYS_execve:
    case SYS_execveat:
        umcg_sud_thread_off();
        /* fall through */
    case SYS_clone:
    case SYS_clone3:
    case SYS_fork:
    case SYS_vfork:
    case SYS_rt_sigreturn:
        execute_again(g, nr);
        errno = saved;
        return;
    case SYS_rt_sigprocmask:
        r = sigprocmask_of_interrupted((ucontext_t *)context, a1, a2, a3, a4);
        break;
    default:
        if (nr == umcg_nr) {
            /* umcg_ctl: what the syscall() interposer does with it (0, or -1 and errno). */
            r = umcg_syscall_dispatch(nr, a1, a2, a3, a4, a5, a6);
            if (r == -1) r = -errno;
            break;
        }
        int reason = umcg_self.in_lib ? 0 : sleeping_reason(nr, a1, a2, a3, a4, a5);
        if (reason && umcg_block_enter(reason)) {
            r = kernel_result(nr, a1, a2, a3, a4, a5, a6);
            umcg_block_leave();
        } else {
            r = kernel_result(nr, a1, a2, a3, a4, a5, a6);
        }
        break;
    }
    g[REG_RAX] = r;
    errno = saved;
    umcg_sud_leave();
}

/* The restorer glibc's sigaction() gave our handler, as the kernel keeps it. */
struct kernel_sigaction_x86_64 {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

void umcg_sud_init(int preempt_signal) {
    const char *env = getenv("UMCG_SUD");
    if (!env || strcmp(env, "1") != 0) return;
    /* The kernel refuses an unknown prctl with EINVAL: probe with OFF, which changes nothing. */
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0) != 0) {
        fprintf(stderr, "libumcg.so: UMCG_SUD=1: Syscall User Dispatch is not available here (%s); running without it\n",
                strerror(errno));
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, preempt_signal); /* no preemption inside this handler */
    struct kernel_sigaction_x86_64 k;
    memset(&k, 0, sizeof k);
    if (sigaction(SIGSYS, &sa, NULL) != 0 || umcg_real_syscall(SYS_rt_sigaction, SIGSYS, 0, (long)&k, 8, 0, 0) != 0 ||
        k.restorer == NULL) {
        fprintf(stderr, "libumcg.so: UMCG_SUD=1: cannot install the SIGSYS handler (%s); running without it\n",
                strerror(errno));
        return;
    }
    allowed_start = (unsigned long)k.restorer;
    allowed_len = 16; /* __restore_rt: mov $15, %rax; syscall */
    umcg_sud_enabled = 1;
}

void umcg_sud_thread_on(void) {
    if (!umcg_sud_enabled || umcg_self.sud) return;
    umcg_sud_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, allowed_start, allowed_len,
              (unsigned long)&umcg_sud_selector) == 0)
        umcg_self.sud = 1;
}

void umcg_sud_thread_off(void) {
    if (!umcg_self.sud) return;
    umcg_sud_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
    umcg_self.sud = 0;
    prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
}

#else

void umcg_sud_init(int preempt_signal) {
    (void)preempt_signal;
    const char *env = getenv("UMCG_SUD");
    if (env && strcmp(env, "1") == 0)
        fprintf(stderr, "libumcg.so: UMCG_SUD=1: Syscall User Dispatch is supported on x86-64 only; running without it\n");
}

void umcg_sud_thread_on(void) {}
void umcg_sud_thread_off(void) {}

#endif
