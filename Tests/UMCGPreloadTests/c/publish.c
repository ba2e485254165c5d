/*
 * publish.c: a small UMCG program for the publishing tests (issue #12), run under
 * LD_PRELOAD=libumcg.so with UMCGTOP_PUBLISH=1 (or without, to see that nothing is published).
 *
 *   publish N GO [fork]
 *
 * main registers as a server and starts two workers that name themselves ("pub-alpha",
 * "pub-beta"), each switched to N + 2 times: once after its REGISTER, once after each of its N
 * UMCG_WAITs, once after the WAKE that ends its one usleep(2000) (a BLOCK with reason sleep); then it
 * unregisters (EXIT). With "fork", main then forks a child that runs one worker ("pub-child") of its
 * own through one switch, prints "child-region yes" when its own region exists, and exits; the
 * parent prints "child PID". Then main prints "ready PID" and
 * waits (at most 60 s) for the file GO to exist, so the test can read the region while the program
 * is alive, and exits 0. Any failure: "FAIL ..." on stderr and exit 1.
 *
 * Written for umcgtop; no code from elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../../include/umcg.h"

static void fail(int line, const char *what) {
    fprintf(stderr, "FAIL line %d: %s (errno %d %s)\n", line, what, errno, strerror(errno));
    fflush(stderr);
    _exit(1);
}

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond)) fail(__LINE__, #cond);                                                           \
    } while (0)

static long ctl(uint64_t cmd, pid_t tid, uint64_t timeout, uint64_t *events, int n) {
    return syscall(UMCG_SYSCALL_NR_DEFAULT, 0, cmd, tid, timeout, events, n);
}

static pid_t tid_self(void) { return (pid_t)syscall(SYS_gettid); }
static int type_of(uint64_t event) { return (int)(event & UMCG_WORKER_EVENT_MASK); }
static pid_t tid_of(uint64_t event) { return (pid_t)(event >> UMCG_WORKER_ID_SHIFT); }

static int rounds;

struct worker {
    pthread_t thread;
    const char *name;
    int waits;
};

static void *worker_main(void *p) {
    struct worker *w = p;
    CHECK(pthread_setname_np(pthread_self(), w->name) == 0);
    CHECK(ctl(UMCG_REGISTER_WORKER, 0, (uint64_t)tid_self() << UMCG_WORKER_ID_SHIFT, NULL, 0) == 0);
    for (int i = 0; i < w->waits; i++) CHECK(ctl(UMCG_WAIT, 0, 0, NULL, 0) == 0);
    if (w->waits > 0) usleep(2000);
    CHECK(ctl(UMCG_UNREGISTER, 0, 0, NULL, 0) == 0);
    return NULL;
}

/* Server WAIT until one event of `type` arrives; returns its worker's tid. */
static pid_t wait_event(int type) {
    uint64_t ev[2];
    CHECK(ctl(UMCG_WAIT, 0, 0, ev, 2) == 0);
    if (type_of(ev[0]) != type) fail(__LINE__, "unexpected event type");
    return tid_of(ev[0]);
}

/* CTX_SWITCH to `tid`: its stop event must be `type`. */
static void switch_expect(pid_t tid, int type) {
    uint64_t ev[2];
    CHECK(ctl(UMCG_CTX_SWITCH, tid, 0, ev, 2) == 0);
    if (type_of(ev[0]) != type || tid_of(ev[0]) != tid) fail(__LINE__, "unexpected stop event");
}

static pid_t start(struct worker *w, const char *name, int waits) {
    w->name = name;
    w->waits = waits;
    CHECK(pthread_create(&w->thread, NULL, worker_main, w) == 0);
    return wait_event(UMCG_WE_WAKE);
}

/* One worker through one switch, in a forked child. */
static void child(void) {
    CHECK(ctl(UMCG_REGISTER_SERVER, 0, 0, NULL, 0) == 0);
    struct worker c;
    pid_t t = start(&c, "pub-child", 0);
    switch_expect(t, UMCG_WE_EXIT);
    CHECK(pthread_join(c.thread, NULL) == 0);
    const char *dir = getenv("UMCGTOP_SHM_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/umcgtop.%d", dir ? dir : "/dev/shm", (int)getpid());
    printf("child-region %s\n", access(path, F_OK) == 0 ? "yes" : "no");
    exit(0);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: publish N GO [fork]\n");
        return 64;
    }
    rounds = atoi(argv[1]);
    const char *go = argv[2];
    int do_fork = argc > 3 && strcmp(argv[3], "fork") == 0;
    CHECK(pthread_setname_np(pthread_self(), "pub-server") == 0);
    CHECK(ctl(UMCG_REGISTER_SERVER, 0, 0, NULL, 0) == 0);
    struct worker a, b;
    pid_t ta = start(&a, "pub-alpha", rounds);
    pid_t tb = start(&b, "pub-beta", rounds);
    for (int i = 0; i < rounds; i++) {
        switch_expect(ta, UMCG_WE_WAIT);
        switch_expect(tb, UMCG_WE_WAIT);
    }
    pid_t both[2] = {ta, tb};
    for (int k = 0; k < 2; k++) {
        switch_expect(both[k], UMCG_WE_BLOCK);
        CHECK(ctl(UMCG_WAIT, both[k], 0, NULL, 0) == 0); /* until it left usleep */
        CHECK(wait_event(UMCG_WE_WAKE) == both[k]);
        switch_expect(both[k], UMCG_WE_EXIT);
    }
    CHECK(pthread_join(a.thread, NULL) == 0);
    CHECK(pthread_join(b.thread, NULL) == 0);
    if (do_fork) {
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) child();
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("child %d\n", (int)pid);
    }
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    for (int i = 0; i < 6000 && access(go, F_OK) != 0; i++) usleep(10000);
    CHECK(ctl(UMCG_UNREGISTER, 0, 0, NULL, 0) == 0);
    return 0;
}
