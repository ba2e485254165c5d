// A minimal viewer for benchmarks (issue #12): waits for process PID's published region
// (docs/SharedMemory.md), takes the consumer lease, and until the region is closed (or S seconds
// pass) drains every ring each millisecond, reading each event's kind byte as a viewer must, and
// asks for a snapshot every 100 ms (the request word, a shared futex), as `umcgtop --attach` does
// at its default refresh. It validates only what it needs (magic, version, sizes); it is a load
// generator for scripts/bench-publish-preload, not a reader to trust with a hostile region.
//
// usage: region_drain PID [--dir D] [--seconds S]
// Prints one JSON object: events drained, passes, snapshot requests.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// RegionLayout (Sources/UMCGTrace/Shared/RegionLayout.swift), layout version 1.
#define MAGIC 0x31504D485347434DULL
#define OFF_VERSION 8
#define OFF_REGION_BYTES 16
#define OFF_STATE 48
#define OFF_DIRECTORY 104
#define OFF_DIRECTORY_COUNT 112
#define OFF_RINGS_USED 116
#define OFF_REQUEST 164
#define OFF_LEASE 168
#define ENTRY_BYTES 64
#define ENTRY_OFFSET 0
#define ENTRY_CAPACITY 8
#define ENTRY_IN_USE 32
#define RING_READ 128
#define RING_SLOTS 512
#define SLOT_BYTES 32
#define SLOT_KIND 24

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t u64(const uint8_t *p) { return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE); }
static uint32_t u32(const uint8_t *p) { return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE); }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: region_drain PID [--dir D] [--seconds S]\n");
        return 64;
    }
    const char *dir = "/dev/shm";
    double seconds = 60;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/umcgtop.%s", dir, argv[1]);
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9);
    int fd = -1;
    while (fd < 0 && now_ns() < start + 10000000000ULL) {
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) usleep(1000);
    }
    if (fd < 0) {
        fprintf(stderr, "region_drain: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 4096) {
        fprintf(stderr, "region_drain: %s: too small\n", path);
        return 1;
    }
    uint8_t *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        fprintf(stderr, "region_drain: mmap: %s\n", strerror(errno));
        return 1;
    }
    while (u64(m) != MAGIC && now_ns() < start + 10000000000ULL) usleep(1000);
    if (u64(m) != MAGIC || u32(m + OFF_VERSION) != 1 || u64(m + OFF_REGION_BYTES) > (uint64_t)st.st_size) {
        fprintf(stderr, "region_drain: %s: not a version 1 region\n", path);
        return 1;
    }
    uint32_t none = 0, me = (uint32_t)getpid();
    __atomic_compare_exchange_n((uint32_t *)(m + OFF_LEASE), &none, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    uint64_t dir_off = u64(m + OFF_DIRECTORY);
    uint32_t dir_count = u32(m + OFF_DIRECTORY_COUNT);
    uint64_t drained = 0, passes = 0, requests = 0, kinds = 0, next_request = now_ns();
    while (u32(m + OFF_STATE) == 1 && now_ns() < end) {
        uint32_t used = u32(m + OFF_RINGS_USED);
        if (used > dir_count) used = dir_count;
        for (uint32_t i = 0; i < used; i++) {
            const uint8_t *e = m + dir_off + (uint64_t)i * ENTRY_BYTES;
            if (u32(e + ENTRY_IN_USE) != 1) continue;
            uint64_t off = u64(e + ENTRY_OFFSET), cap = u64(e + ENTRY_CAPACITY);
            if (cap == 0 || (cap & (cap - 1)) || off + RING_SLOTS + cap * SLOT_BYTES > (uint64_t)st.st_size) continue;
            uint8_t *ring = m + off;
            uint64_t w = u64(ring), r = __atomic_load_n((uint64_t *)(ring + RING_READ), __ATOMIC_RELAXED);
            if (w - r > cap) r = w - cap;
            for (; r < w; r++, drained++) kinds += ring[RING_SLOTS + (r & (cap - 1)) * SLOT_BYTES + SLOT_KIND];
            __atomic_store_n((uint64_t *)(ring + RING_READ), w, __ATOMIC_RELEASE);
        }
        passes++;
        if (now_ns() >= next_request) {
            __atomic_add_fetch((uint32_t *)(m + OFF_REQUEST), 1, __ATOMIC_RELEASE);
            syscall(SYS_futex, (uint32_t *)(m + OFF_REQUEST), FUTEX_WAKE, 1, NULL, NULL, 0);
            requests++;
            next_request += 100000000ULL;
        }
        usleep(1000);
    }
    printf("{\"drained\": %llu, \"passes\": %llu, \"snapshot_requests\": %llu, \"kind_sum\": %llu}\n",
           (unsigned long long)drained, (unsigned long long)passes, (unsigned long long)requests,
           (unsigned long long)kinds);
    return 0;
}
