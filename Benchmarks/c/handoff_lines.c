// The cache-line cost of a cross-CPU handoff protocol, without the engine around it.
//
// Two threads pinned to two CPUs ping-pong through four protocols, round by round in one run, and
// the program prints each one's cycles/s and its ratio to the spin limit of the same round:
//
//   spin       one cache line, one write each way: the limit `bench` reports (method "spin").
//   two-line   the emulation's handoff as it is: the server claims the worker's state (CAS), writes
//              its fields, publishes RUNNING and notifies the worker's park word, all in the worker's
//              line, then spins on its own block's park word; the worker consumes its notification
//              (CAS), stops (CAS, store), and writes the stop event and the notification into the
//              server's line. Two lines, each moved both ways per cycle.
//   lean       as two-line, but each side spins on the condition itself (the worker on its state, the
//              server on its stop event) and writes the other's line once: no consuming CAS, and the
//              park words only read (a sleeper would be woken through them).
//   mailbox    as two-line, but the stop event goes to a word in the worker's own line, which the
//              server spins on: one line, several writes each way.
//   two-write  one line: the server claims and publishes (CAS, stores) and spins on the worker's
//              state; the worker spins on it and stops with a CAS to `stopping`, the event in a latch
//              word and the releasing store of WAITING, back to back. The server's line is not touched.
//   one-write  one line, written back to back once each way: the server spins on the worker's state,
//              then claims and publishes it (CAS, stores); the worker spins on it and stops with one CAS.
//   spin+work  (with a work argument) the spin loop with the same work on each side as the protocols.
//
// A third argument, work-ns, makes each side run that many nanoseconds of plain ALU work (a calibrated
// dependent multiply chain, no memory and no clock read) between seeing the other side's write and
// making its own, in every protocol but `spin`: the instructions the engine runs there (the call's
// return, the caller's loop, the next call's checks). The ratios stay against the bare `spin` row.
//
// No sleeping path, no timeouts, no tracing: the protocols' floors. The engine's own instructions are
// what work-ns stands for (docs/PERFORMANCE.md, "What any code between two handoffs costs").
//
//   cc -O2 -Wall -Wextra -pthread -o .build-c/handoff_lines Benchmarks/c/handoff_lines.c
//   .build-c/handoff_lines [seconds-per-run] [rounds] [work-ns]   (default 0.3 s, 5 rounds, 0 ns; needs 2 CPUs)
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#define RELAX() __builtin_ia32_pause()
#else
#define RELAX() ((void)0)
#endif

enum { RUNNING = 1, WAITING = 2, SWITCHING = 7, STOPPING = 9 };
enum mode { SPIN, TWO_LINE, LEAN, MAILBOX, TWO_WRITE, ONE_WRITE, SPIN_WORK, MODES };
static const char *const names[MODES] = {"spin", "two-line", "lean", "mailbox", "two-write", "one-write", "spin+work"};

struct worker_block {
    _Alignas(128) _Atomic uint32_t park;
    _Atomic uint32_t state;
    _Atomic uint32_t server;
    _Atomic uint64_t switched_at;
    _Atomic uint64_t mailbox;
};
struct server_block {
    _Alignas(128) _Atomic uint32_t park;
    _Atomic uint32_t current;
    _Atomic uint64_t stop_event;
};

static struct worker_block W;
static struct server_block S;
static _Alignas(128) _Atomic uint32_t line;
static _Alignas(128) _Atomic int stop;
static enum mode mode;
static int worker_cpu;

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
        fprintf(stderr, "handoff_lines: cannot pin to CPU %d\n", cpu);
        exit(1);
    }
}

// Consumes a notification (1 -> 0) on a park word, spinning; 0 when the run is over.
static int consume(_Atomic uint32_t *word) {
    for (;;) {
        if (atomic_load_explicit(word, memory_order_relaxed) == 1) {
            uint32_t one = 1;
            if (atomic_compare_exchange_strong_explicit(word, &one, 0, memory_order_acquire, memory_order_relaxed))
                return 1;
        }
        if (atomic_load_explicit(&stop, memory_order_relaxed)) return 0;
        RELAX();
    }
}

// Iterations of the work loop per side (0: none), calibrated in main().
static uint64_t work_iterations;
// Where each side's chain ends up, so the compiler keeps it: per thread, so that no line is shared.
static _Thread_local uint64_t work_sink;

static uint64_t work_chain(uint64_t n) {
    uint64_t x = n | 1;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 3 + 1;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

// The side's own instructions between seeing the peer's write and making its own (not in `spin`).
static inline void work(void) {
    if (work_iterations) work_sink += work_chain(work_iterations);
}

// Spins until the server published RUNNING; 0 when the run is over.
static int await_running(void) {
    while (atomic_load_explicit(&W.state, memory_order_acquire) != RUNNING) {
        if (atomic_load_explicit(&stop, memory_order_relaxed)) return 0;
        RELAX();
    }
    return 1;
}

static void *worker(void *arg) {
    (void)arg;
    pin(worker_cpu);
    for (uint32_t v = 1;; v += 2) {
        switch (mode) {
        case SPIN:
        case SPIN_WORK:
            while (atomic_load_explicit(&line, memory_order_acquire) != v) {
                if (atomic_load_explicit(&stop, memory_order_relaxed)) return NULL;
                RELAX();
            }
            if (mode == SPIN_WORK) work();
            atomic_store_explicit(&line, v + 1, memory_order_release);
            break;
        case TWO_LINE:
        case MAILBOX: {
            if (!consume(&W.park)) return NULL;
            work();
            uint32_t running = RUNNING;
            atomic_compare_exchange_strong_explicit(&W.state, &running, STOPPING, memory_order_acq_rel,
                                                    memory_order_relaxed);
            (void)atomic_load_explicit(&W.server, memory_order_relaxed);
            atomic_store_explicit(&W.state, WAITING, memory_order_release);
            if (mode == TWO_LINE) {
                atomic_store_explicit(&S.stop_event, 42, memory_order_release);
                atomic_exchange_explicit(&S.park, 1, memory_order_seq_cst);
            } else {
                atomic_exchange_explicit(&W.mailbox, 42, memory_order_acq_rel);
            }
            break;
        }
        case LEAN:
        case TWO_WRITE: {
            if (!await_running()) return NULL;
            work();
            uint32_t running = RUNNING;
            atomic_compare_exchange_strong_explicit(&W.state, &running, STOPPING, memory_order_acq_rel,
                                                    memory_order_relaxed);
            (void)atomic_load_explicit(&W.server, memory_order_relaxed);
            if (mode == TWO_WRITE) {
                atomic_store_explicit(&W.mailbox, 42, memory_order_relaxed);
                atomic_store_explicit(&W.state, WAITING, memory_order_release);
            } else {
                atomic_store_explicit(&W.state, WAITING, memory_order_release);
                atomic_exchange_explicit(&S.stop_event, 42, memory_order_seq_cst);
                (void)atomic_load_explicit(&S.park, memory_order_seq_cst);  // asleep? (never, here)
            }
            break;
        }
        case ONE_WRITE: {
            if (!await_running()) return NULL;
            work();
            uint32_t running = RUNNING;
            atomic_compare_exchange_strong_explicit(&W.state, &running, WAITING, memory_order_acq_rel,
                                                    memory_order_relaxed);
            break;
        }
        default:
            return NULL;
        }
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// One cycle = server -> worker -> server. Returns cycles/s.
static double run(enum mode m, double seconds, int server_cpu) {
    mode = m;
    memset(&W, 0, sizeof W);
    memset(&S, 0, sizeof S);
    atomic_store(&W.state, WAITING);
    atomic_store(&line, 0);
    atomic_store(&stop, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) {
        fprintf(stderr, "handoff_lines: cannot start the worker thread\n");
        exit(1);
    }
    pin(server_cpu);
    uint64_t n = 0;
    uint32_t v = 0;
    double start = now(), end = start;
    for (;;) {
        if (m == SPIN || m == SPIN_WORK) {
            atomic_store_explicit(&line, v + 1, memory_order_release);
            while (atomic_load_explicit(&line, memory_order_acquire) != v + 2) RELAX();
            v += 2;
            if (m == SPIN_WORK) work();
        } else {
            uint32_t waiting = WAITING;
            if (!atomic_compare_exchange_strong_explicit(&W.state, &waiting, SWITCHING, memory_order_acq_rel,
                                                         memory_order_relaxed))
                continue;  // the worker has not finished stopping yet
            atomic_store_explicit(&W.server, 0, memory_order_relaxed);
            atomic_store_explicit(&W.switched_at, n, memory_order_relaxed);
            if (m == ONE_WRITE) {
                atomic_store_explicit(&W.state, RUNNING, memory_order_release);
                while (atomic_load_explicit(&W.state, memory_order_acquire) == RUNNING) RELAX();
            } else if (m == TWO_WRITE) {
                atomic_store_explicit(&W.mailbox, 0, memory_order_relaxed);
                atomic_store_explicit(&W.state, RUNNING, memory_order_release);
                for (;;) {
                    uint32_t st = atomic_load_explicit(&W.state, memory_order_acquire);
                    if (st != RUNNING && st != STOPPING) break;
                    RELAX();
                }
                (void)atomic_load_explicit(&W.mailbox, memory_order_relaxed);  // the latched event
            } else if (m == LEAN) {
                atomic_store_explicit(&S.current, 0, memory_order_relaxed);
                atomic_store_explicit(&S.stop_event, 0, memory_order_relaxed);
                atomic_exchange_explicit(&W.state, RUNNING, memory_order_seq_cst);
                (void)atomic_load_explicit(&W.park, memory_order_seq_cst);  // asleep? (never, here)
                while (atomic_load_explicit(&S.stop_event, memory_order_acquire) == 0) RELAX();
            } else {
                atomic_store_explicit(&W.mailbox, 0, memory_order_relaxed);
                atomic_store_explicit(&S.current, 0, memory_order_relaxed);
                atomic_store_explicit(&S.stop_event, 0, memory_order_relaxed);
                atomic_store_explicit(&W.state, RUNNING, memory_order_release);
                atomic_exchange_explicit(&W.park, 1, memory_order_seq_cst);
                if (m == TWO_LINE) {
                    while (atomic_load_explicit(&S.stop_event, memory_order_acquire) == 0) consume(&S.park);
                } else {
                    while (atomic_load_explicit(&W.mailbox, memory_order_acquire) == 0) RELAX();
                }
            }
            work();  // from the stop seen to the next claim
        }
        if ((++n & 1023) == 0 && (end = now()) - start >= seconds) break;
    }
    atomic_store(&stop, 1);
    if (m == SPIN || m == SPIN_WORK) atomic_store(&line, v + 1);
    pthread_join(t, NULL);
    return (double)n / (end - start);
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0.3;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    double work_ns = argc > 3 ? atof(argv[3]) : 0;
    if (!(seconds > 0 && seconds <= 60) || rounds < 1 || rounds > 100 || !(work_ns >= 0 && work_ns <= 10000)) {
        fprintf(stderr, "usage: handoff_lines [seconds-per-run (0-60]] [rounds (1-100)] [work-ns (0-10000)]\n");
        return 2;
    }
    int modes = work_ns > 0 ? MODES : SPIN_WORK;
    if (work_ns > 0) {
        // Calibrated here, on this thread: the best of three timed runs of a long chain.
        uint64_t n = 50000000;
        double best = 1e9;
        for (int i = 0; i < 3; i++) {
            double t0 = now();
            work_sink += work_chain(n);
            double t = now() - t0;
            if (t < best) best = t;
        }
        work_iterations = (uint64_t)(work_ns * 1e-9 * (double)n / best + 0.5);
        if (work_iterations == 0) work_iterations = 1;
        printf("work: %llu iterations per side (%.1f ns each)\n", (unsigned long long)work_iterations,
               best / (double)n * 1e9);
    }
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) {
        fprintf(stderr, "handoff_lines: needs 2 CPUs\n");
        return 1;
    }
    int cpus[2], k = 0;
    for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
        if (CPU_ISSET(c, &allowed)) cpus[k++] = c;
    worker_cpu = cpus[1];
    double ratio[MODES][100];
    for (int r = 0; r < rounds; r++) {
        double rate[MODES];
        for (int m = 0; m < modes; m++) rate[m] = run((enum mode)m, seconds, cpus[0]);
        printf("round %d:", r + 1);
        for (int m = 0; m < modes; m++) {
            ratio[m][r] = rate[m] / rate[SPIN];
            printf("  %s %.2f M", names[m], rate[m] / 1e6);
        }
        printf("\n");
    }
    printf("median ratio to spin:");
    for (int m = 1; m < modes; m++) {
        qsort(ratio[m], (size_t)rounds, sizeof(double), compare);
        printf("  %s %.2f", names[m], ratio[m][rounds / 2]);
    }
    printf("\n");
    return 0;
}
