/*
 * libumcg.so: the libc calls a worker can sleep in become blocking sections (issue #11, item 2).
 *
 * On a thread that is not a registered worker (or while library code runs) every function here is
 * one TLS test and a call through the real libc function. On a worker, a call that would sleep is
 * wrapped: BLOCK to its server before, WAKE and wait-to-be-picked after. Calls known to return at
 * once get no BLOCK: zero timeouts, MSG_DONTWAIT, O_NONBLOCK descriptors, descriptors poll() says
 * are ready, a mutex or semaphore taken by a try first. Not covered: calls libc makes internally
 * (fread -> read, printf -> write, the stdio lock), vDSO calls, the raw syscall instruction.
 */
#include "preload_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define DECLARE_REAL(name) static __typeof__(name) *real_##name
#define REAL(name)                                                                                     \
    (__builtin_expect(real_##name != NULL, 1) ? real_##name                                           \
                                              : (real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)))

DECLARE_REAL(nanosleep);
DECLARE_REAL(clock_nanosleep);
DECLARE_REAL(usleep);
DECLARE_REAL(sleep);
DECLARE_REAL(read);
DECLARE_REAL(write);
DECLARE_REAL(recv);
DECLARE_REAL(recvfrom);
DECLARE_REAL(recvmsg);
DECLARE_REAL(send);
DECLARE_REAL(sendto);
DECLARE_REAL(sendmsg);
DECLARE_REAL(accept);
DECLARE_REAL(accept4);
DECLARE_REAL(connect);
DECLARE_REAL(poll);
DECLARE_REAL(ppoll);
DECLARE_REAL(select);
DECLARE_REAL(epoll_wait);
DECLARE_REAL(epoll_pwait);
DECLARE_REAL(pthread_cond_wait);
DECLARE_REAL(pthread_cond_timedwait);
DECLARE_REAL(pthread_cond_clockwait);
DECLARE_REAL(pthread_mutex_lock);
DECLARE_REAL(pthread_mutex_trylock);
DECLARE_REAL(sem_wait);
DECLARE_REAL(sem_timedwait);
DECLARE_REAL(sem_trywait);
DECLARE_REAL(sem_clockwait);

void umcg_resolve_blocking(void) {
    (void)REAL(nanosleep);
    (void)REAL(clock_nanosleep);
    (void)REAL(usleep);
    (void)REAL(sleep);
    (void)REAL(read);
    (void)REAL(write);
    (void)REAL(recv);
    (void)REAL(recvfrom);
    (void)REAL(recvmsg);
    (void)REAL(send);
    (void)REAL(sendto);
    (void)REAL(sendmsg);
    (void)REAL(accept);
    (void)REAL(accept4);
    (void)REAL(connect);
    (void)REAL(poll);
    (void)REAL(ppoll);
    (void)REAL(select);
    (void)REAL(epoll_wait);
    (void)REAL(epoll_pwait);
    (void)REAL(pthread_cond_wait);
    (void)REAL(pthread_cond_timedwait);
    (void)REAL(pthread_cond_clockwait);
    (void)REAL(pthread_mutex_lock);
    (void)REAL(pthread_mutex_trylock);
    (void)REAL(sem_wait);
    (void)REAL(sem_timedwait);
    (void)REAL(sem_trywait);
    (void)REAL(sem_clockwait);
}

/* Why a worker blocks in the interposed function `fn` (its __func__): a UMCG_BLOCK_* value. */
static int block_reason(const char *fn) {
    if (strstr(fn, "sleep")) return UMCG_BLOCK_SLEEP;
    if (strstr(fn, "mutex")) return UMCG_BLOCK_LOCK;
    if (!strncmp(fn, "pthread_cond", 12) || !strncmp(fn, "sem_", 4)) return UMCG_BLOCK_FUTEX;
    if (!strncmp(fn, "read", 4) || !strncmp(fn, "recv", 4) || !strncmp(fn, "accept", 6)) return UMCG_BLOCK_READ;
    return UMCG_BLOCK_IO;
}

/* Runs `call` inside a blocking section when `may_block`, else plainly. */
#define BLOCKING(type, may_block, call)                                                                \
    do {                                                                                               \
        if ((may_block) && umcg_block_enter(block_reason(__func__))) {                                 \
            type r_ = (call);                                                                          \
            umcg_block_leave();                                                                        \
            return r_;                                                                                 \
        }                                                                                              \
        return (call);                                                                                 \
    } while (0)

/* Whether an I/O call on `fd` waiting for `events` may sleep: not when poll() says the descriptor is
 * ready or when it is non-blocking (both checked with one system call each, on workers only). */
int umcg_fd_may_block(int fd, short events) {
    struct pollfd p = {.fd = fd, .events = events, .revents = 0};
    int saved = errno;
    int ready = REAL(poll)(&p, 1, 0);
    int flags = ready == 0 ? fcntl(fd, F_GETFL) : 0;
    errno = saved;
    if (ready != 0) return 0; /* ready, or an error the call itself will report at once */
    return flags >= 0 && !(flags & O_NONBLOCK);
}

int umcg_fd_nonblocking(int fd) {
    int saved = errno;
    int flags = fcntl(fd, F_GETFL);
    errno = saved;
    return flags >= 0 && (flags & O_NONBLOCK);
}

int umcg_zero_timespec(const struct timespec *ts) { return ts && ts->tv_sec == 0 && ts->tv_nsec == 0; }

int umcg_sleep_returns_at_once(clockid_t clock, int flags, const struct timespec *req) {
    if (umcg_zero_timespec(req)) return 1;
    if (!(flags & TIMER_ABSTIME) || req == NULL) return 0;
    struct timespec now;
    if (clock_gettime(clock, &now) != 0) return 0;
    return req->tv_sec < now.tv_sec || (req->tv_sec == now.tv_sec && req->tv_nsec <= now.tv_nsec);
}

/* ---- sleeping ---- */

int nanosleep(const struct timespec *req, struct timespec *rem) {
    if (!umcg_worker_active()) return REAL(nanosleep)(req, rem);
    BLOCKING(int, !umcg_zero_timespec(req), REAL(nanosleep)(req, rem));
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem) {
    if (!umcg_worker_active()) return REAL(clock_nanosleep)(clock, flags, req, rem);
    BLOCKING(int, !umcg_sleep_returns_at_once(clock, flags, req), REAL(clock_nanosleep)(clock, flags, req, rem));
}

int usleep(useconds_t usec) {
    if (!umcg_worker_active()) return REAL(usleep)(usec);
    BLOCKING(int, usec != 0, REAL(usleep)(usec));
}

unsigned int sleep(unsigned int seconds) {
    if (!umcg_worker_active()) return REAL(sleep)(seconds);
    BLOCKING(unsigned int, seconds != 0, REAL(sleep)(seconds));
}

/* ---- descriptors ---- */

/* read/write on a worker: first the same call with RWF_NOWAIT (one system call, as the plain call);
 * only when that says EAGAIN on a blocking descriptor does the real call run in a blocking section.
 * Descriptors that refuse RWF_NOWAIT (EOPNOTSUPP: ttys, some files) fall back to the poll check. */
ssize_t read(int fd, void *buf, size_t count) {
    if (!umcg_worker_active()) return REAL(read)(fd, buf, count);
    if (count == 0) return REAL(read)(fd, buf, count);
    int saved = errno;
    struct iovec io = {.iov_base = buf, .iov_len = count};
    ssize_t r = preadv2(fd, &io, 1, -1, RWF_NOWAIT);
    if (r >= 0) return r;
    if (errno == EAGAIN) {
        if (umcg_fd_nonblocking(fd)) return -1;
        errno = saved;
        BLOCKING(ssize_t, 1, REAL(read)(fd, buf, count));
    }
    if (errno != EOPNOTSUPP && errno != EINVAL) return -1; /* EBADF, EFAULT, ...: what read says too */
    errno = saved;
    BLOCKING(ssize_t, umcg_fd_may_block(fd, POLLIN), REAL(read)(fd, buf, count));
}

ssize_t write(int fd, const void *buf, size_t count) {
    if (!umcg_worker_active()) return REAL(write)(fd, buf, count);
    if (count == 0) return REAL(write)(fd, buf, count);
    int saved = errno;
    struct iovec io = {.iov_base = (void *)buf, .iov_len = count};
    ssize_t r = pwritev2(fd, &io, 1, -1, RWF_NOWAIT);
    if (r == (ssize_t)count) return r;
    if (r > 0) {
        /* Part went at once; a blocking write would wait to write the rest. */
        if (umcg_fd_nonblocking(fd)) return r;
        if (!umcg_block_enter(UMCG_BLOCK_IO)) {
            ssize_t more = REAL(write)(fd, (const char *)buf + r, count - (size_t)r);
            return more < 0 ? r : r + more;
        }
        ssize_t more = REAL(write)(fd, (const char *)buf + r, count - (size_t)r);
        umcg_block_leave();
        errno = saved;
        return more < 0 ? r : r + more;
    }
    if (r < 0 && errno == EAGAIN) {
        if (umcg_fd_nonblocking(fd)) return -1;
        errno = saved;
        BLOCKING(ssize_t, 1, REAL(write)(fd, buf, count));
    }
    if (r < 0 && errno != EOPNOTSUPP && errno != EINVAL) return -1;
    errno = saved;
    BLOCKING(ssize_t, umcg_fd_may_block(fd, POLLOUT), REAL(write)(fd, buf, count));
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
    if (!umcg_worker_active() || (flags & MSG_DONTWAIT)) return REAL(recv)(fd, buf, len, flags);
    /* MSG_WAITALL: a try without waiting could return less than a blocking call; poll instead. */
    if (flags & MSG_WAITALL) BLOCKING(ssize_t, umcg_fd_may_block(fd, POLLIN), REAL(recv)(fd, buf, len, flags));
    /* First without waiting (one system call, as the plain call); EAGAIN on a blocking socket: sleep. */
    int saved = errno;
    ssize_t r = REAL(recv)(fd, buf, len, flags | MSG_DONTWAIT);
    if (r >= 0 || errno != EAGAIN || umcg_fd_nonblocking(fd)) return r;
    errno = saved;
    BLOCKING(ssize_t, 1, REAL(recv)(fd, buf, len, flags));
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *alen) {
    if (!umcg_worker_active() || (flags & MSG_DONTWAIT)) return REAL(recvfrom)(fd, buf, len, flags, addr, alen);
    /* MSG_WAITALL: a try without waiting could return less than a blocking call; poll instead. */
    if (flags & MSG_WAITALL) BLOCKING(ssize_t, umcg_fd_may_block(fd, POLLIN), REAL(recvfrom)(fd, buf, len, flags, addr, alen));
    /* First without waiting (one system call, as the plain call); EAGAIN on a blocking socket: sleep. */
    int saved = errno;
    ssize_t r = REAL(recvfrom)(fd, buf, len, flags | MSG_DONTWAIT, addr, alen);
    if (r >= 0 || errno != EAGAIN || umcg_fd_nonblocking(fd)) return r;
    errno = saved;
    BLOCKING(ssize_t, 1, REAL(recvfrom)(fd, buf, len, flags, addr, alen));
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
    if (!umcg_worker_active() || (flags & MSG_DONTWAIT)) return REAL(recvmsg)(fd, msg, flags);
    /* MSG_WAITALL: a try without waiting could return less than a blocking call; poll instead. */
    if (flags & MSG_WAITALL) BLOCKING(ssize_t, umcg_fd_may_block(fd, POLLIN), REAL(recvmsg)(fd, msg, flags));
    /* First without waiting (one system call, as the plain call); EAGAIN on a blocking socket: sleep. */
    int saved = errno;
    ssize_t r = REAL(recvmsg)(fd, msg, flags | MSG_DONTWAIT);
    if (r >= 0 || errno != EAGAIN || umcg_fd_nonblocking(fd)) return r;
    errno = saved;
    BLOCKING(ssize_t, 1, REAL(recvmsg)(fd, msg, flags));
}

/* send/sendto on a worker: first with MSG_DONTWAIT (one system call, as the plain call). EAGAIN on a
 * blocking socket: the real call in a blocking section. Part sent at once (a stream socket): a
 * blocking send would wait to send the rest, so the rest goes in a blocking section. */
static ssize_t send_on_worker(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
                              socklen_t alen) {
    int saved = errno;
    ssize_t r = REAL(sendto)(fd, buf, len, flags | MSG_DONTWAIT, addr, alen);
    if (r == (ssize_t)len || r == 0) return r;
    if (r > 0) {
        if (umcg_fd_nonblocking(fd)) return r;
        int entered = umcg_block_enter(UMCG_BLOCK_IO);
        ssize_t more = REAL(sendto)(fd, (const char *)buf + r, len - (size_t)r, flags, addr, alen);
        if (entered) umcg_block_leave();
        errno = saved;
        return more < 0 ? r : r + more;
    }
    if (errno != EAGAIN || umcg_fd_nonblocking(fd)) return r;
    errno = saved;
    BLOCKING(ssize_t, 1, REAL(sendto)(fd, buf, len, flags, addr, alen));
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
    if (!umcg_worker_active() || (flags & MSG_DONTWAIT)) return REAL(send)(fd, buf, len, flags);
    return send_on_worker(fd, buf, len, flags, NULL, 0);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t alen) {
    if (!umcg_worker_active() || (flags & MSG_DONTWAIT)) return REAL(sendto)(fd, buf, len, flags, addr, alen);
    return send_on_worker(fd, buf, len, flags, addr, alen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    if (!umcg_worker_active()) return REAL(sendmsg)(fd, msg, flags);
    BLOCKING(ssize_t, !(flags & MSG_DONTWAIT) && umcg_fd_may_block(fd, POLLOUT), REAL(sendmsg)(fd, msg, flags));
}

int accept(int fd, struct sockaddr *addr, socklen_t *alen) {
    if (!umcg_worker_active()) return REAL(accept)(fd, addr, alen);
    BLOCKING(int, umcg_fd_may_block(fd, POLLIN), REAL(accept)(fd, addr, alen));
}

int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags) {
    if (!umcg_worker_active()) return REAL(accept4)(fd, addr, alen, flags);
    BLOCKING(int, umcg_fd_may_block(fd, POLLIN), REAL(accept4)(fd, addr, alen, flags));
}

int connect(int fd, const struct sockaddr *addr, socklen_t alen) {
    if (!umcg_worker_active()) return REAL(connect)(fd, addr, alen);
    BLOCKING(int, !umcg_fd_nonblocking(fd), REAL(connect)(fd, addr, alen));
}

/* ---- waiting for descriptors ---- */

int poll(struct pollfd *fds, nfds_t n, int timeout) {
    if (!umcg_worker_active()) return REAL(poll)(fds, n, timeout);
    BLOCKING(int, timeout != 0, REAL(poll)(fds, n, timeout));
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask) {
    if (!umcg_worker_active()) return REAL(ppoll)(fds, n, tmo, mask);
    BLOCKING(int, !umcg_zero_timespec(tmo), REAL(ppoll)(fds, n, tmo, mask));
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) {
    if (!umcg_worker_active()) return REAL(select)(n, r, w, e, tv);
    BLOCKING(int, !(tv && tv->tv_sec == 0 && tv->tv_usec == 0), REAL(select)(n, r, w, e, tv));
}

int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout) {
    if (!umcg_worker_active()) return REAL(epoll_wait)(ep, ev, max, timeout);
    BLOCKING(int, timeout != 0, REAL(epoll_wait)(ep, ev, max, timeout));
}

int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout, const sigset_t *mask) {
    if (!umcg_worker_active()) return REAL(epoll_pwait)(ep, ev, max, timeout, mask);
    BLOCKING(int, timeout != 0, REAL(epoll_pwait)(ep, ev, max, timeout, mask));
}

/* ---- locks, conditions, semaphores ---- */

int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex) {
    if (!umcg_worker_active()) return REAL(pthread_cond_wait)(cond, mutex);
    BLOCKING(int, 1, REAL(pthread_cond_wait)(cond, mutex));
}

int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *abstime) {
    if (!umcg_worker_active()) return REAL(pthread_cond_timedwait)(cond, mutex, abstime);
    BLOCKING(int, 1, REAL(pthread_cond_timedwait)(cond, mutex, abstime));
}

int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
                           const struct timespec *abstime) {
    if (!umcg_worker_active()) return REAL(pthread_cond_clockwait)(cond, mutex, clock, abstime);
    BLOCKING(int, 1, REAL(pthread_cond_clockwait)(cond, mutex, clock, abstime));
}

int pthread_mutex_lock(pthread_mutex_t *mutex) {
    if (!umcg_worker_active()) return REAL(pthread_mutex_lock)(mutex);
    int r = REAL(pthread_mutex_trylock)(mutex);
    if (r != EBUSY) return r == 0 ? 0 : REAL(pthread_mutex_lock)(mutex);
    BLOCKING(int, 1, REAL(pthread_mutex_lock)(mutex));
}

int sem_wait(sem_t *sem) {
    if (!umcg_worker_active()) return REAL(sem_wait)(sem);
    int saved = errno;
    if (REAL(sem_trywait)(sem) == 0) return 0;
    errno = saved;
    BLOCKING(int, 1, REAL(sem_wait)(sem));
}

int sem_timedwait(sem_t *sem, const struct timespec *abstime) {
    if (!umcg_worker_active()) return REAL(sem_timedwait)(sem, abstime);
    int saved = errno;
    if (REAL(sem_trywait)(sem) == 0) return 0;
    errno = saved;
    BLOCKING(int, 1, REAL(sem_timedwait)(sem, abstime));
}

int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
    if (!umcg_worker_active()) return REAL(sem_clockwait)(sem, clock, abstime);
    int saved = errno;
    if (REAL(sem_trywait)(sem) == 0) return 0;
    errno = saved;
    BLOCKING(int, 1, REAL(sem_clockwait)(sem, clock, abstime));
}
