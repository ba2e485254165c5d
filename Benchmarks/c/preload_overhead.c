// What libumcg.so's interposers cost on calls that do not block (issue #11 goal: <= 50 ns more than
// the plain call). Each call is timed through the interposed symbol and through libc's own symbol
// (dlsym on libc.so.6), on a plain thread and on a registered UMCG worker; the best of 7 batches.
// A benchmark, not a test: it prints numbers and judges nothing.
//
// usage: LD_PRELOAD=.build/release/libumcg.so preload_overhead
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../include/umcg.h"

enum { ITERS = 20000, BATCHES = 7, CALLS = 6 };

static int (*libc_lock)(pthread_mutex_t *);
static ssize_t (*libc_read)(int, void *, size_t);
static ssize_t (*libc_write)(int, const void *, size_t);
static int (*libc_poll)(struct pollfd *, nfds_t, int);
static ssize_t (*libc_recv)(int, void *, size_t, int);
static ssize_t (*libc_send)(int, const void *, size_t, int);

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static int pipe_fds[2], sock_fds[2];

static const char *names[CALLS] = {
    "pthread_mutex_lock+unlock", "write+read (pipe, ready)", "poll (timeout 0)",
    "send+recv (socketpair, ready)", "recv MSG_DONTWAIT (empty)", "syscall(SYS_getppid)",
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

// One call of kind `k`, interposed (via == 0) or straight to libc (via == 1).
static void call(int k, int via) {
    char c = 'x';
    struct pollfd p = {.fd = pipe_fds[0], .events = POLLIN};
    switch (k) {
    case 0:
        if (via) libc_lock(&mutex); else pthread_mutex_lock(&mutex);
        pthread_mutex_unlock(&mutex);
        break;
    case 1:
        if (via) { libc_write(pipe_fds[1], &c, 1); libc_read(pipe_fds[0], &c, 1); }
        else { write(pipe_fds[1], &c, 1); read(pipe_fds[0], &c, 1); }
        break;
    case 2:
        if (via) libc_poll(&p, 1, 0); else poll(&p, 1, 0);
        break;
    case 3:
        if (via) { libc_send(sock_fds[0], &c, 1, 0); libc_recv(sock_fds[1], &c, 1, 0); }
        else { send(sock_fds[0], &c, 1, 0); recv(sock_fds[1], &c, 1, 0); }
        break;
    case 4:
        if (via) libc_recv(sock_fds[1], &c, 1, MSG_DONTWAIT); else recv(sock_fds[1], &c, 1, MSG_DONTWAIT);
        break;
    case 5:
        // syscall() has no libc twin here: both columns go through the interposer's pass-through;
        // compare with the raw number from a run without LD_PRELOAD.
        syscall(SYS_getppid);
        break;
    }
}

static double results[2][CALLS][2]; // [plain thread, worker][call][interposed, libc]

// Batches alternate between the two ways so drift on a busy machine hits both alike.
static void measure(int row) {
    for (int k = 0; k < CALLS; k++) {
        double best[2] = {1e18, 1e18};
        for (int b = 0; b < 2 * BATCHES; b++) {
            int via = b & 1;
            uint64_t t0 = now_ns();
            for (int i = 0; i < ITERS; i++) call(k, via);
            double ns = (double)(now_ns() - t0) / ITERS;
            if (ns < best[via]) best[via] = ns;
        }
        results[row][k][0] = best[0];
        results[row][k][1] = best[1];
    }
}

static long umcg(uint64_t cmd, pid_t tid, uint64_t timeout, uint64_t *ev, int n) {
    return syscall(UMCG_SYSCALL_NR_DEFAULT, 0, cmd, tid, timeout, ev, n);
}

static int worker_ok;

static void *worker(void *arg) {
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (umcg(UMCG_REGISTER_WORKER, 0, (uint64_t)tid << UMCG_WORKER_ID_SHIFT, NULL, 0) != 0) return NULL;
    measure(1);
    worker_ok = 1;
    umcg(UMCG_UNREGISTER, 0, 0, NULL, 0);
    return NULL;
}

int main(void) {
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!libc) {
        fprintf(stderr, "preload_overhead: libc.so.6 not loaded?\n");
        return 1;
    }
    libc_lock = dlsym(libc, "pthread_mutex_lock");
    libc_read = dlsym(libc, "read");
    libc_write = dlsym(libc, "write");
    libc_poll = dlsym(libc, "poll");
    libc_recv = dlsym(libc, "recv");
    libc_send = dlsym(libc, "send");
    int preloaded = dlsym(RTLD_DEFAULT, "umcg_ctl") != NULL;
    if (pipe(pipe_fds) || socketpair(AF_UNIX, SOCK_STREAM, 0, sock_fds)) {
        perror("preload_overhead");
        return 1;
    }
    measure(0);
    if (preloaded) {
        umcg(UMCG_REGISTER_SERVER, 0, 0, NULL, 0);
        pthread_t t;
        pthread_create(&t, NULL, worker, NULL);
        uint64_t ev[2];
        if (umcg(UMCG_WAIT, 0, 0, ev, 2) == 0) {
            pid_t tid = (pid_t)(ev[0] >> UMCG_WORKER_ID_SHIFT);
            // Switch to it until it exits (a 100 ms slice may preempt it in between).
            do {
                if (umcg(UMCG_CTX_SWITCH, tid, 0, ev, 2) != 0) break;
            } while ((ev[0] & UMCG_WORKER_EVENT_MASK) != UMCG_WE_EXIT);
        }
        pthread_join(t, NULL);
    }
    printf("%s: ns per call, best of %d batches of %d\n",
           preloaded ? "libumcg.so preloaded" : "no preload (libc both ways)", BATCHES, ITERS);
    printf("%-31s %12s %8s %8s %12s %8s %8s\n", "call", "plain thread", "libc", "extra", "worker", "libc",
           "extra");
    for (int k = 0; k < CALLS; k++) {
        printf("%-31s %12.1f %8.1f %8.1f", names[k], results[0][k][0], results[0][k][1],
               results[0][k][0] - results[0][k][1]);
        if (worker_ok)
            printf(" %12.1f %8.1f %8.1f\n", results[1][k][0], results[1][k][1], results[1][k][0] - results[1][k][1]);
        else
            printf(" %12s %8s %8s\n", "-", "-", "-");
    }
    return 0;
}
