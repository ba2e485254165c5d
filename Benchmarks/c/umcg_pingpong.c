// The Nanos benchmark's UMCG mode, written against the C API (include/umcg.h), for libumcg.so:
// main is the server and loops CTX_SWITCH(worker), checking for the worker's WAIT event; the worker
// loops UMCG_WAIT. One cycle = main -> worker -> main (two switches); the clock is read every 64
// cycles, as in the engine's loop. Run it with
// LD_PRELOAD=.build/release/libumcg.so; scripts/bench-preload compares it with `umcgtop bench`'s
// UMCG loop in one sitting.
//
// usage: umcg_pingpong [--seconds S] [--placement same-cpu|cross-cpu]
// Prints the Nanos test's result line on stderr and one JSON object on stdout.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../include/umcg.h"

static volatile int done;
/* The worker thread's CPU time from its start to its UNREGISTER (ns), for cpu_ns_per_cycle. */
static volatile uint64_t worker_cpu_ns;
static volatile pid_t worker_tid;
static int worker_cpu = -1;

static long umcg(uint64_t flags, uint64_t cmd, pid_t tid, uint64_t timeout, uint64_t *events, int n) {
    return syscall(UMCG_SYSCALL_NR_DEFAULT, flags, cmd, tid, timeout, events, n);
}

static uint64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int pin(int cpu) {
    if (cpu < 0) return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == -1 ? errno : 0;
}

static void die(const char *what) {
    fprintf(stderr, "umcg_pingpong: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *worker(void *arg) {
    (void)arg;
    if (pin(worker_cpu)) die("pinning the worker");
    pid_t tid = (pid_t)syscall(SYS_gettid);
    worker_tid = tid;
    if (umcg(0, UMCG_REGISTER_WORKER, 0, (uint64_t)tid << UMCG_WORKER_ID_SHIFT, NULL, 0)) die("REGISTER_WORKER");
    while (!done)
        if (umcg(0, UMCG_WAIT, 0, 0, NULL, 0)) die("worker WAIT");
    worker_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    if (umcg(0, UMCG_UNREGISTER, 0, 0, NULL, 0)) die("UNREGISTER");
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = 1;
    const char *placement = "cross-cpu";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--placement") && i + 1 < argc)
            placement = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--seconds S] [--placement same-cpu|cross-cpu]\n", argv[0]);
            return 64;
        }
    }
    if (!(seconds > 0 && seconds <= 60)) {
        fprintf(stderr, "umcg_pingpong: --seconds must be in (0, 60]\n");
        return 64;
    }
    // The CPUs umcgtop bench uses (CPUPlan): same-cpu on the last allowed CPU, cross-cpu main on the
    // one before it and the worker on the last, so the two sides of scripts/bench-preload run on the
    // same CPUs (the vCPUs of these machines do not run at the same speed at the same time).
    cpu_set_t allowed;
    sched_getaffinity(0, sizeof allowed, &allowed);
    int cpus[2] = {-1, -1}, n = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &allowed)) {
            cpus[0] = cpus[1];
            cpus[1] = c;
            n++;
        }
    int main_cpu;
    if (!strcmp(placement, "same-cpu")) {
        main_cpu = worker_cpu = cpus[1];
    } else if (!strcmp(placement, "cross-cpu")) {
        if (n < 2) {
            fprintf(stderr, "umcg_pingpong: cross-cpu placement needs 2 CPUs\n");
            return 69;
        }
        main_cpu = cpus[0];
        worker_cpu = cpus[1];
    } else {
        fprintf(stderr, "umcg_pingpong: unknown placement %s\n", placement);
        return 64;
    }
    if (pin(main_cpu)) die("pinning main");
    if (umcg(0, UMCG_REGISTER_SERVER, 0, 0, NULL, 0)) die("REGISTER_SERVER");
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL)) die("pthread_create");
    uint64_t ev[2];
    if (umcg(0, UMCG_WAIT, 0, 0, ev, 2) || (ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_WAKE) die("the worker's WAKE");
    pid_t tid = (pid_t)(ev[0] >> UMCG_WORKER_ID_SHIFT);
    uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    uint64_t start = clock_ns(CLOCK_MONOTONIC), now = start, deadline = start + (uint64_t)(seconds * 1e9);
    uint64_t cycles = 0;
    while (now < deadline) {
        if (umcg(0, UMCG_CTX_SWITCH, tid, 0, ev, 2)) die("CTX_SWITCH");
        if ((ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_WAIT) {
            // A PREEMPT (the loop ran a slice without a WAIT, e.g. on a loaded machine): switch again.
            if ((ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_PREEMPT) die("unexpected stop event");
        }
        cycles++;
        // The clock every 64 cycles, as the engine's loop (UMCGPingPong.serverLoop) reads it: a
        // clock_gettime costs 25-50 ns here, a few percent of a cross-CPU cycle.
        if ((cycles & 63) == 0) now = clock_ns(CLOCK_MONOTONIC);
    }
    uint64_t cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    int main_seen = sched_getcpu();
    done = 1;
    if (umcg(0, UMCG_CTX_SWITCH, tid, 0, ev, 2) || (ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_EXIT) die("the worker's EXIT");
    pthread_join(t, NULL);
    umcg(0, UMCG_UNREGISTER, 0, 0, NULL, 0);
    double elapsed = (double)(now - start) / 1e9;
    /* Both threads' CPU time per cycle: what a cycle costs, whatever share of the CPUs the run got
     * (a loaded machine changes cycles/s far more than this). */
    double cpu_per_cycle = cycles ? (double)(cpu_ns + worker_cpu_ns) / (double)cycles : 0;
    double cps = (double)cycles / elapsed;
    fprintf(stderr, "Results: %llu cycles (%g cycles/sec)\n", (unsigned long long)cycles, cps);
    printf("{\"backend\": \"preload\", \"method\": \"umcg\", \"placement\": \"%s\", \"cycles\": %llu, "
           "\"cycles_per_sec\": %.3f, \"ns_per_switch\": %.1f, \"main_cpu_seconds\": %.3f, \"cpu_ns_per_cycle\": %.1f, "
           "\"cpus\": [%d, %d]}\n",
           placement, (unsigned long long)cycles, cps, 1e9 / cps / 2, (double)cpu_ns / 1e9, cpu_per_cycle, main_seen,
           worker_cpu);
    return 0;
}
