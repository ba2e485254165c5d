// named_workers.c: a small UMCG program for `umcgtop run` tests. main is the server; it starts
// three workers named "pinger-0".."pinger-2" (pthread_setname_np before they register), then runs
// them round-robin (CTX_SWITCH; each worker yields with UMCG_WAIT) for SECONDS, lets them exit and
// returns STATUS. Run it with LD_PRELOAD=libumcg.so.
//
// usage: named_workers [SECONDS [STATUS]]
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

#define WORKERS 3

static volatile int done;

static long umcg(uint64_t cmd, pid_t tid, uint64_t timeout, uint64_t *events, int n) {
    return syscall(UMCG_SYSCALL_NR_DEFAULT, 0, cmd, tid, timeout, events, n);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "named_workers: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *worker(void *arg) {
    char name[16];
    snprintf(name, sizeof name, "pinger-%d", (int)(intptr_t)arg);
    pthread_setname_np(pthread_self(), name);
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (umcg(UMCG_REGISTER_WORKER, 0, (uint64_t)tid << UMCG_WORKER_ID_SHIFT, NULL, 0)) die("REGISTER_WORKER");
    while (!done)
        if (umcg(UMCG_WAIT, 0, 0, NULL, 0)) die("worker WAIT");
    if (umcg(UMCG_UNREGISTER, 0, 0, NULL, 0)) die("UNREGISTER");
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    int status = argc > 2 ? atoi(argv[2]) : 0;
    if (umcg(UMCG_REGISTER_SERVER, 0, 0, NULL, 0)) die("REGISTER_SERVER");
    pthread_t threads[WORKERS];
    pid_t tids[WORKERS];
    uint64_t ev[2];
    for (int i = 0; i < WORKERS; i++) {
        if (pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i)) die("pthread_create");
        if (umcg(UMCG_WAIT, 0, 0, ev, 2) || (ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_WAKE) die("a worker's WAKE");
        tids[i] = (pid_t)(ev[0] >> UMCG_WORKER_ID_SHIFT);
    }
    uint64_t deadline = now_ns() + (uint64_t)(seconds * 1e9);
    uint64_t cycles = 0;
    while (now_ns() < deadline) {
        for (int i = 0; i < WORKERS; i++) {
            if (umcg(UMCG_CTX_SWITCH, tids[i], 0, ev, 2)) die("CTX_SWITCH");
            uint64_t type = ev[0] & UMCG_WORKER_EVENT_MASK;
            if (type != UMCG_WE_WAIT && type != UMCG_WE_PREEMPT) die("unexpected stop event");
        }
        cycles++;
    }
    done = 1;
    for (int i = 0; i < WORKERS; i++) {
        if (umcg(UMCG_CTX_SWITCH, tids[i], 0, ev, 2) || (ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_EXIT)
            die("a worker's EXIT");
        pthread_join(threads[i], NULL);
    }
    umcg(UMCG_UNREGISTER, 0, 0, NULL, 0);
    printf("named_workers: %llu rounds\n", (unsigned long long)cycles);
    return status;
}
