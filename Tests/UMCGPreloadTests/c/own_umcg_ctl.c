/*
 * own_umcg_ctl.c: a program that defines its own umcg_ctl() as a syscall(450, ...) wrapper, as a
 * program written for the Nanos klib may. Under LD_PRELOAD=libumcg.so its definition wins for its own
 * calls; the library's syscall() must not call it back. Prints "OK" and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../../include/umcg.h"

long umcg_ctl(uint64_t flags, uint64_t cmd, pid_t next_tid, uint64_t abs_timeout, uint64_t *events, int event_sz) {
    return syscall(UMCG_SYSCALL_NR_DEFAULT, flags, cmd, next_tid, abs_timeout, events, event_sz);
}

static void *worker(void *arg) {
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (umcg_ctl(0, UMCG_REGISTER_WORKER, 0, (uint64_t)tid << UMCG_WORKER_ID_SHIFT, NULL, 0) != 0) return NULL;
    umcg_ctl(0, UMCG_UNREGISTER, 0, 0, NULL, 0);
    return NULL;
}

int main(void) {
    errno = 0;
    if (umcg_ctl(0, UMCG_WAKE, 0, 0, NULL, 0) != -1 || errno != EAGAIN) {
        printf("FAIL: WAKE with no idle server: errno %d\n", errno);
        return 1;
    }
    if (umcg_ctl(0, UMCG_REGISTER_SERVER, 0, 0, NULL, 0) != 0) return 1;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    uint64_t ev[2] = {0, 0};
    if (umcg_ctl(0, UMCG_WAIT, 0, 0, ev, 2) != 0 || (ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_WAKE) return 1;
    pid_t tid = (pid_t)(ev[0] >> UMCG_WORKER_ID_SHIFT);
    if (umcg_ctl(0, UMCG_CTX_SWITCH, tid, 0, ev, 2) != 0 || (ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_EXIT) return 1;
    pthread_join(t, NULL);
    umcg_ctl(0, UMCG_UNREGISTER, 0, 0, NULL, 0);
    printf("OK\n");
    return 0;
}
