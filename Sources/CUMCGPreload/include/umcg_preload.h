/*
 * libumcg.so's C side (issue #11). Exported to C programs: umcg_ctl() (include/umcg.h), syscall()
 * and the blocking libc calls it interposes. Implemented in Swift (UMCGPreload, @_cdecl) and
 * called from here with the thread's "in library" flag set:
 */
#ifndef UMCG_PRELOAD_H
#define UMCG_PRELOAD_H

#include <stdint.h>

/* Creates the emulation (the first umcg_ctl calls it once). */
void umcg_preload_init_backend(void);

/* The emulation, unretained (an `Unmanaged<EmulatedBackend>` opaque pointer), or NULL when it could
 * not be created: set once by umcg_preload_init_backend, read by every entry point. A C global and
 * not a Swift `static let`: the Swift one is reached through its lazy initialiser (swift_once and
 * pthread_once, about 30 instructions) at every call. */
extern void *umcg_preload_backend_pointer;
static inline void *umcg_preload_backend(void) {
    /* Acquire: pairs with the release in umcg_preload_set_backend; the object is initialised. */
    return __atomic_load_n(&umcg_preload_backend_pointer, __ATOMIC_ACQUIRE);
}
static inline void umcg_preload_set_backend(void *backend) {
    __atomic_store_n(&umcg_preload_backend_pointer, backend, __ATOMIC_RELEASE);
}
/* umcg_ctl on the emulation: 0 or an errno value. */
int32_t umcg_preload_ctl(uint64_t flags, uint64_t cmd, int32_t next_tid, uint64_t abs_timeout,
                         uint64_t *events, int32_t event_sz);
/* The calling worker enters (for `reason`, a UMCG_BLOCK_* value) / leaves a blocking section: 0 or
 * an errno value. */
int32_t umcg_preload_enter_blocking(int32_t reason);
int32_t umcg_preload_leave_blocking(void);
/* Parks the calling worker as preempted when its slice is over: 1, 0 (not yet), or -errno. */
int32_t umcg_preload_preempt(void);
/* In a forked child: the calling thread (the one that forked) is no worker or server of the child. */
void umcg_preload_forget_thread(void);
/* UMCG_SPIN_NS as the library loaded: the adaptive handoff's cross-CPU spin budget in ns, or -1
 * when unset or not a whole number >= 0 (the emulation's default then). */
int64_t umcg_preload_spin_nanos(void);
/* The number of a kernel umcg_ctl that passed the probe, or -1. */
int64_t umcg_preload_kernel_syscall(void);

/* Publishing for umcgtop (issue #12; UMCGTOP_PUBLISH=1): whether it was requested when the
 * library loaded (implemented in C); creating the region and the publisher thread (the first
 * umcg_ctl; kernel_syscall >= 0: passthrough, nothing to observe); removing it at exit; keeping a
 * fork child out of its parent's region. Called with the publish lock held. */
int umcg_preload_publish_requested(void);
void umcg_preload_publish_start(int64_t kernel_syscall);
void umcg_preload_publish_stop(void);
void umcg_preload_publish_prefork(void);
void umcg_preload_publish_parent(void);
void umcg_preload_publish_child(void);

/* Why a worker blocked: UMCGTrace's BlockReason raw values. */
enum {
    UMCG_BLOCK_OTHER = 0,
    UMCG_BLOCK_SLEEP = 1,
    UMCG_BLOCK_READ = 2,
    UMCG_BLOCK_FUTEX = 3,
    UMCG_BLOCK_IO = 4,
    UMCG_BLOCK_LOCK = 5,
};

/* The slice after which a running worker is preempted (the klib's 100 ms). */
#define UMCG_PRELOAD_SLICE_NS 100000000ULL

#endif
