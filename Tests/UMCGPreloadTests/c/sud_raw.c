/*
 * sud_raw.c: a worker that makes system calls with the raw `syscall` instruction, which no libc
 * interposer sees, under LD_PRELOAD=libumcg.so (issue #11, Syscall User Dispatch).
 *
 *   sud_raw dispatched   (run with UMCG_SUD=1): a raw nanosleep is a blocking section (BLOCK, then
 *                        WAKE), raw getppid returns the right value, umcg_ctl itself works through
 *                        the raw instruction, and after the worker created and joined a thread of its
 *                        own (clone is run uncaught) its next umcg_ctl re-arms dispatch
 *   sud_raw plain        (without UMCG_SUD): the same raw nanosleep goes unseen, the server's
 *                        CTX_SWITCH ends with the worker's WAIT
 *
 * Prints "PASS <mode>" and exits 0, or "FAIL ..." and exits 1. Written for umcgtop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../../include/umcg.h"

static void fail(int line, const char *what, long value) {
    fprintf(stderr, "FAIL line %d: %s (value %ld)\n", line, what, value);
    fflush(stderr);
    _exit(1);
}
#define CHECK(cond, value)                                                                             \
    do {                                                                                               \
        if (!(cond)) fail(__LINE__, #cond, (long)(value));                                            \
    } while (0)

/* The system call instruction itself: the kernel's raw result (-errno on failure). */
static long raw6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static long ctl(uint64_t cmd, pid_t tid, uint64_t timeout, uint64_t *events, int n) {
    return syscall(UMCG_SYSCALL_NR_DEFAULT, 0, cmd, tid, timeout, events, n);
}
static long raw_ctl(uint64_t cmd, pid_t tid, uint64_t timeout, uint64_t *events, int n) {
    return raw6(UMCG_SYSCALL_NR_DEFAULT, 0, (long)cmd, tid, (long)timeout, (long)events, n);
}
static int type_of(uint64_t ev) { return (int)(ev & UMCG_WORKER_EVENT_MASK); }
static pid_t tid_of(uint64_t ev) { return (pid_t)(ev >> UMCG_WORKER_ID_SHIFT); }

static int dispatched;
static pid_t worker_tid;
static long child_ppid;

static void raw_sleep_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    CHECK(raw6(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0) == 0, 0);
}

static void *child(void *arg) {
    (void)arg;
    child_ppid = raw6(SYS_getppid, 0, 0, 0, 0, 0, 0);
    return NULL;
}

static void *worker(void *arg) {
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    __atomic_store_n(&worker_tid, tid, __ATOMIC_RELEASE);
    CHECK(ctl(UMCG_REGISTER_WORKER, 0, (uint64_t)tid << UMCG_WORKER_ID_SHIFT, NULL, 0) == 0, errno);
    raw_sleep_ms(20); /* dispatched: BLOCK, WAKE; plain: unseen */
    CHECK(raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) == getppid(), 0);
    CHECK(raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) == getppid(), 0);
    /* WAIT through the raw instruction: only dispatch can see it, so plain mode uses syscall(). */
    long r = dispatched ? raw_ctl(UMCG_WAIT, 0, 0, NULL, 0) : ctl(UMCG_WAIT, 0, 0, NULL, 0);
    CHECK(r == 0, r);
    if (dispatched) {
        /* clone from a dispatched worker runs uncaught; the thread it makes is not dispatched. */
        pthread_t t;
        CHECK(pthread_create(&t, NULL, child, NULL) == 0, 0);
        CHECK(pthread_join(t, NULL) == 0, 0);
        CHECK(child_ppid == getppid(), child_ppid);
        CHECK(ctl(UMCG_WAIT, 0, 0, NULL, 0) == 0, errno); /* re-arms dispatch */
        raw_sleep_ms(20);                                 /* BLOCK, WAKE again */
    }
    r = dispatched ? raw_ctl(UMCG_UNREGISTER, 0, 0, NULL, 0) : ctl(UMCG_UNREGISTER, 0, 0, NULL, 0);
    CHECK(r == 0, r);
    return NULL;
}

/* Server side: CTX_SWITCH to the worker, expecting `type` as the stop event. */
static void switch_expect(pid_t tid, int type) {
    uint64_t ev[2] = {~0ULL, ~0ULL};
    long r = ctl(UMCG_CTX_SWITCH, tid, 0, ev, 2);
    CHECK(r == 0, errno);
    if (type_of(ev[0]) != type) fail(__LINE__, "stop event type", type_of(ev[0]));
    CHECK(tid_of(ev[0]) == tid, ev[0]);
}

/* Server side: WAIT until an event of `type` for `tid` arrives. */
static void wait_for(pid_t tid, int type) {
    for (;;) {
        uint64_t ev[2] = {0, 0};
        long r = ctl(UMCG_WAIT, 0, 0, ev, 2);
        CHECK(r == 0, errno);
        if (type_of(ev[0]) == type && tid_of(ev[0]) == tid) return;
    }
}

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "dispatched") != 0 && strcmp(argv[1], "plain") != 0)) {
        fprintf(stderr, "usage: sud_raw dispatched|plain\n");
        return 2;
    }
    dispatched = strcmp(argv[1], "dispatched") == 0;
    CHECK(ctl(UMCG_REGISTER_SERVER, 0, 0, NULL, 0) == 0, errno);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, worker, NULL) == 0, 0);
    pid_t tid;
    while ((tid = __atomic_load_n(&worker_tid, __ATOMIC_ACQUIRE)) == 0) sched_yield();
    wait_for(tid, UMCG_WE_WAKE); /* its registration */
    if (dispatched) {
        switch_expect(tid, UMCG_WE_BLOCK); /* the raw nanosleep */
        wait_for(tid, UMCG_WE_WAKE);
    }
    switch_expect(tid, UMCG_WE_WAIT);
    if (dispatched) {
        switch_expect(tid, UMCG_WE_WAIT);  /* after the thread it made */
        switch_expect(tid, UMCG_WE_BLOCK); /* the second raw nanosleep */
        wait_for(tid, UMCG_WE_WAKE);
    }
    switch_expect(tid, UMCG_WE_EXIT);
    CHECK(pthread_join(t, NULL) == 0, 0);
    CHECK(ctl(UMCG_UNREGISTER, 0, 0, NULL, 0) == 0, errno);
    printf("PASS %s\n", argv[1]);
    return 0;
}
