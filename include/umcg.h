/*
 * umcg.h: the UMCG interface (Google's 2023 single-syscall version, as the Nanos umcg klib ships it).
 *
 * Link against nothing: run the program with LD_PRELOAD=.../libumcg.so (built by `swift build`).
 * The library exports umcg_ctl() and also catches syscall(UMCG_SYSCALL_NR_DEFAULT, ...) (or the number
 * in the UMCG_SYSCALL_NR environment variable), so programs written for the Nanos klib run unchanged.
 * See docs/UMCG-ABI.md for the semantics and for what the preload covers on stock Linux.
 */
#ifndef UMCG_H
#define UMCG_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The syscall number of umcg_ctl on Nanos (x86_64); the preload intercepts it. */
#define UMCG_SYSCALL_NR_DEFAULT 450

/* Commands (the cmd argument). */
#define UMCG_REGISTER_WORKER 1 /* id in abs_timeout, low 5 bits 0; returns once a server runs it */
#define UMCG_REGISTER_SERVER 2
#define UMCG_UNREGISTER 3
#define UMCG_WAKE 4       /* wake one idle server; EAGAIN when none is idle */
#define UMCG_WAIT 5       /* server: wait for events (or, next_tid != 0, for a worker to unblock); worker: yield */
#define UMCG_CTX_SWITCH 6 /* server: run next_tid until it stops; worker: hand the server to next_tid */

/* Flags (WAIT only). */
#define UMCG_WAIT_FLAG_INTERRUPTED 1ULL

/* Events: worker_id | type, the type in the low UMCG_WORKER_ID_SHIFT bits. */
#define UMCG_WORKER_ID_SHIFT 5
#define UMCG_WORKER_EVENT_MASK ((1ULL << UMCG_WORKER_ID_SHIFT) - 1)
#define UMCG_WE_BLOCK 1
#define UMCG_WE_WAKE 2
#define UMCG_WE_WAIT 3
#define UMCG_WE_EXIT 4
#define UMCG_WE_TIMEOUT 5
#define UMCG_WE_PREEMPT 6

/* abs_timeout == UMCG_POLL_TIMEOUT on a server WAIT polls (ETIMEDOUT when nothing is pending). */
#define UMCG_POLL_TIMEOUT 1ULL

/*
 * umcg_ctl: 0, or -1 with errno (EINVAL, ESRCH, EFAULT, EAGAIN, ETIMEDOUT, EINTR, ENOMEM).
 * abs_timeout is an absolute CLOCK_REALTIME deadline in ns (0: none); for REGISTER_WORKER it is the id.
 */
long umcg_ctl(uint64_t flags, uint64_t cmd, pid_t next_tid, uint64_t abs_timeout, uint64_t *events,
              int event_sz);

#ifdef __cplusplus
}
#endif

#endif /* UMCG_H */
