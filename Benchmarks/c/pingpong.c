// C reference for `umcgtop bench`: the same futex and condvar ping-pongs as
// Sources/UMCGBench/Baselines (the Nanos test/runtime/umcg.c shape), plus the spin
// limit (two threads handing one cache line back and forth, cross-cpu only), the same
// placements and CPU choice, the same JSON shape. Used by scripts/bench-vs-c to
// check that the Swift baselines cost what C costs.
//
// One cycle = main -> peer -> main (two switches). Both threads are fresh pthreads
// pinned as asked; main times its loop and checks CLOCK_MONOTONIC every 64 cycles.
//
// usage: pingpong [--seconds S] [--rounds R] [--placement same-cpu|cross-cpu|all]
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void futex_wait(_Atomic uint32_t *w, uint32_t expected) {
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w) {
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

enum method { CONDVAR, FUTEX, SPIN };

struct shared {
    enum method method;
    int main_cpu, peer_cpu; // -1 = unpinned
    uint64_t duration_ns;
    // futex pair
    _Alignas(128) _Atomic uint32_t word;
    _Alignas(128) _Atomic uint32_t finished;
    // condvar pair
    _Alignas(128) pthread_mutex_t mutex;
    pthread_cond_t cond;
    int peer_turn;
    // handshake + results
    _Alignas(128) _Atomic uint32_t ready;
    int error;
    uint64_t cycles, elapsed, main_cpu_ns, peer_cpu_ns;
    int main_seen, peer_seen;
};

// The spin hint, as Sources/CUMCGShims' umcg_shim_cpu_relax.
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int pin(int cpu) {
    if (cpu < 0) return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == -1 ? errno : 0;
}

static void main_cycle(struct shared *s) {
    if (s->method == SPIN) {
        atomic_store_explicit(&s->word, 1, memory_order_release);
        while (atomic_load_explicit(&s->word, memory_order_acquire) == 1) cpu_relax();
    } else if (s->method == FUTEX) {
        atomic_store_explicit(&s->word, 1, memory_order_release);
        futex_wake(&s->word);
        while (atomic_load_explicit(&s->word, memory_order_acquire) == 1) futex_wait(&s->word, 1);
    } else {
        pthread_mutex_lock(&s->mutex);
        while (s->peer_turn) pthread_cond_wait(&s->cond, &s->mutex);
        s->peer_turn = 1;
        pthread_mutex_unlock(&s->mutex);
        pthread_cond_signal(&s->cond);
    }
}

static void release_peer(struct shared *s) {
    atomic_store_explicit(&s->finished, 1, memory_order_relaxed);
    if (s->method == SPIN) {
        atomic_store_explicit(&s->word, 1, memory_order_release);
    } else if (s->method == FUTEX) {
        atomic_store_explicit(&s->word, 1, memory_order_release);
        futex_wake(&s->word);
    } else {
        pthread_mutex_lock(&s->mutex);
        s->peer_turn = 1;
        pthread_mutex_unlock(&s->mutex);
        pthread_cond_signal(&s->cond);
    }
}

static void *peer_thread(void *arg) {
    struct shared *s = arg;
    int err = pin(s->peer_cpu);
    if (err) s->error = err;
    uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    atomic_store_explicit(&s->ready, 1, memory_order_release);
    futex_wake(&s->ready);
    if (err) return NULL;
    if (s->method == SPIN) {
        for (;;) {
            while (atomic_load_explicit(&s->word, memory_order_acquire) == 0) cpu_relax();
            if (atomic_load_explicit(&s->finished, memory_order_relaxed)) break;
            atomic_store_explicit(&s->word, 0, memory_order_release);
        }
    } else if (s->method == FUTEX) {
        for (;;) {
            while (atomic_load_explicit(&s->word, memory_order_acquire) == 0) futex_wait(&s->word, 0);
            if (atomic_load_explicit(&s->finished, memory_order_relaxed)) break;
            atomic_store_explicit(&s->word, 0, memory_order_release);
            futex_wake(&s->word);
        }
    } else {
        while (!atomic_load_explicit(&s->finished, memory_order_relaxed)) {
            pthread_mutex_lock(&s->mutex);
            while (!s->peer_turn) pthread_cond_wait(&s->cond, &s->mutex);
            s->peer_turn = 0;
            pthread_mutex_unlock(&s->mutex);
            pthread_cond_signal(&s->cond);
        }
    }
    s->peer_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    s->peer_seen = sched_getcpu();
    return NULL;
}

static void *main_thread(void *arg) {
    struct shared *s = arg;
    int err = pin(s->main_cpu);
    while (atomic_load_explicit(&s->ready, memory_order_acquire) == 0) futex_wait(&s->ready, 0);
    if (!err && !s->error) {
        uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        uint64_t start = clock_ns(CLOCK_MONOTONIC), now = start, deadline = start + s->duration_ns;
        uint64_t cycles = 0;
        // The clock every 64 cycles, as in umcgtop's loops (TwoThreadPingPong, UMCGPingPong).
        for (;;) {
            main_cycle(s);
            if ((++cycles & 63) == 0 && (now = clock_ns(CLOCK_MONOTONIC)) >= deadline) break;
        }
        s->cycles = cycles;
        s->elapsed = now - start;
        s->main_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        s->main_seen = sched_getcpu();
    } else if (err) {
        s->error = err;
    }
    release_peer(s);
    return NULL;
}

// Runs one ping-pong; returns 0 or an errno.
static int run(struct shared *s) {
    pthread_t m, p;
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&p, NULL, peer_thread, s)) return EAGAIN;
    if (pthread_create(&m, NULL, main_thread, s)) {
        release_peer(s);
        pthread_join(p, NULL);
        return EAGAIN;
    }
    pthread_join(m, NULL);
    pthread_join(p, NULL);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mutex);
    return s->error;
}

struct agg {
    uint64_t cycles, elapsed, cpu_ns;
    double rounds[100];
    int main_seen[100], peer_seen[100];
    int n;
    const char *skip;
};

int main(int argc, char **argv) {
    double seconds = 1;
    int rounds = 3;
    const char *placement = "all";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--placement") && i + 1 < argc) placement = argv[++i];
        else if (!strcmp(argv[i], "--json")) { /* JSON is the only output */ }
        else { fprintf(stderr, "usage: %s [--seconds S] [--rounds R] [--placement same-cpu|cross-cpu|all]\n", argv[0]); return 64; }
    }
    if (!(seconds > 0 && seconds <= 60) || rounds < 1 || rounds > 100) {
        fprintf(stderr, "pingpong: --seconds must be in (0, 60], --rounds in 1...100\n");
        return 64;
    }
    cpu_set_t set;
    sched_getaffinity(0, sizeof set, &set);
    int ncpu = CPU_COUNT(&set);
    if (ncpu < 1) ncpu = 1;
    const char *placements[2];
    int np = 0;
    if (!strcmp(placement, "all") || !strcmp(placement, "same-cpu")) placements[np++] = "same-cpu";
    if (!strcmp(placement, "all") || !strcmp(placement, "cross-cpu")) placements[np++] = "cross-cpu";
    if (np == 0) { fprintf(stderr, "pingpong: unknown placement %s\n", placement); return 64; }

    static struct agg aggs[2][3]; // [placement][method]
    static const char *names[3] = {"condvar", "futex", "spin"};
    for (int r = 0; r < rounds; r++) {
        for (int p = 0; p < np; p++) {
            for (int m = 0; m < 3; m++) { // condvar, futex, spin: the same order as umcgtop bench
                struct agg *a = &aggs[p][m];
                if (a->skip) continue;
                if (m == 2 && strcmp(placements[p], "cross-cpu")) continue; // the limit is cross-cpu only
                struct shared *s = aligned_alloc(128, (sizeof(struct shared) + 127) / 128 * 128);
                memset(s, 0, sizeof *s);
                s->method = m == 0 ? CONDVAR : m == 1 ? FUTEX : SPIN;
                s->duration_ns = (uint64_t)(seconds * 1e9);
                int last = ncpu - 1;
                if (!strcmp(placements[p], "same-cpu")) {
                    s->main_cpu = s->peer_cpu = last;
                } else if (ncpu < 2) {
                    a->skip = "cross-cpu placement needs 2 CPUs";
                    free(s);
                    continue;
                } else {
                    s->main_cpu = last - 1;
                    s->peer_cpu = last;
                }
                int err = run(s);
                if (err) {
                    a->skip = strerror(err);
                } else {
                    a->cycles += s->cycles;
                    a->elapsed += s->elapsed;
                    a->cpu_ns += s->main_cpu_ns + s->peer_cpu_ns;
                    a->rounds[a->n] = s->elapsed ? s->cycles * 1e9 / s->elapsed : 0;
                    a->main_seen[a->n] = s->main_seen;
                    a->peer_seen[a->n] = s->peer_seen;
                    a->n++;
                }
                free(s);
            }
        }
    }
    struct utsname u;
    uname(&u);
    printf("{\"backend\": \"c-reference\", \"backend_reason\": \"C reference (Benchmarks/c/pingpong.c), no UMCG\", "
           "\"kernel\": \"%s %s\", \"cpus\": %d, \"seconds\": %g, \"rounds\": %d, \"results\": [",
           u.sysname, u.release, ncpu, seconds, rounds);
    int first = 1;
    for (int p = 0; p < np; p++) {
        for (int m = 0; m < 3; m++) {
            struct agg *a = &aggs[p][m];
            if (a->skip || a->n == 0) continue;
            double cps = a->elapsed ? a->cycles * 1e9 / a->elapsed : 0;
            double nps = a->cycles ? (double)a->elapsed / (2.0 * a->cycles) : 0;
            printf("%s{\"method\": \"%s\", \"placement\": \"%s\", \"cycles\": %llu, \"cycles_per_sec\": %.3f, "
                   "\"ns_per_switch\": %.3f, \"cpu_seconds\": %.6f, \"rounds_cycles_per_sec\": [",
                   first ? "" : ", ", names[m], placements[p], (unsigned long long)a->cycles, cps, nps, a->cpu_ns / 1e9);
            for (int i = 0; i < a->n; i++) printf("%s%.3f", i ? ", " : "", a->rounds[i]);
            printf("], \"cpus\": [");
            for (int i = 0; i < a->n; i++) printf("%s[%d, %d]", i ? ", " : "", a->main_seen[i], a->peer_seen[i]);
            printf("]}");
            first = 0;
        }
    }
    printf("], \"skipped\": [");
    first = 1;
    for (int p = 0; p < np; p++)
        for (int m = 0; m < 3; m++)
            if (aggs[p][m].skip) {
                printf("%s{\"method\": \"%s\", \"placement\": \"%s\", \"reason\": \"%s\"}", first ? "" : ", ", names[m],
                       placements[p], aggs[p][m].skip);
                first = 0;
            }
    printf("]}\n");
    return 0;
}
