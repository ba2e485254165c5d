/*
 * libumcg.so in a forked child (issue #11): pthread_atfork handlers, registered by the library
 * constructor.
 *
 * Why a child could hang: the Swift runtime linked into this library (-static-stdlib) locks with
 * priority-inheritance futexes whose word holds the owner's tid, and caches each thread's tid in a
 * thread-local (`swift::threading_impl::linux::ulock_get_tid()`'s `static __thread tid`). fork()
 * copies that cache: the child's only thread keeps the tid of the thread that forked. Uncontended,
 * nothing shows; but when the child's thread holds a runtime lock (a `swift_once`, such as the trace
 * clock's 2 ms calibration on the first switch) and another thread of the child waits for it, the
 * waiter's FUTEX_LOCK_PI names the stale owner (the parent's thread), and the owner's unlock fails
 * with EPERM forever (the kernel checks the word's tid against the caller's): both threads hang.
 * The child handler clears the cache, so the runtime asks gettid() again.
 *
 * The cache is a local symbol of the runtime: its place in this library's TLS block is read from
 * the library's own symbol table (once, in the parent, at the first fork), relative to umcg_self.
 * A stripped library has no symbol table: then the cache is left alone (see docs/UMCG-ABI.md).
 *
 * The child also starts with no UMCG registration (our reading of the kernel patches, which clear a
 * new task's UMCG state): the thread that forked is a plain thread in the child, whatever it was in the
 * parent, and the timers of the parent's workers are not inherited.
 */
#include "preload_internal.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char swift_tid_cache[] = "_ZZN5swift14threading_impl5linux13ulock_get_tidEvE3tid";

/* 0: not looked up yet; 1: found (`tid_cache_delta`, `tid_cache_size`); -1: not found. */
static int tid_cache_state;
/* Byte offset of the runtime's tid cache from umcg_self in this library's TLS block. */
static long tid_cache_delta;
static size_t tid_cache_size;

/* Finds the two TLS symbols in this library's own .symtab (st_value of a TLS symbol in a shared
 * object is its offset in the module's TLS block). */
static int find_tid_cache(void) {
    Dl_info info;
    if (!dladdr((void *)&find_tid_cache, &info) || !info.dli_fname) return 0;
    int fd = open(info.dli_fname, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(Elf64_Ehdr))
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return 0;
    const unsigned char *base = map;
    size_t size = (size_t)st.st_size;
    const Elf64_Ehdr *eh = map;
    int found_cache = 0, found_self = 0;
    Elf64_Addr cache_value = 0, self_value = 0;
    size_t cache_size = 0;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
        eh->e_shentsize == sizeof(Elf64_Shdr) && eh->e_shoff < size &&
        (size_t)eh->e_shnum * sizeof(Elf64_Shdr) <= size - eh->e_shoff) {
        const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + eh->e_shoff);
        for (int i = 0; i < eh->e_shnum; i++) {
            if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
            const Elf64_Shdr *strtab = &sh[sh[i].sh_link];
            if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset || strtab->sh_offset > size ||
                strtab->sh_size > size - strtab->sh_offset)
                continue;
            const Elf64_Sym *sym = (const Elf64_Sym *)(base + sh[i].sh_offset);
            size_t count = sh[i].sh_size / sizeof(Elf64_Sym);
            const char *names = (const char *)(base + strtab->sh_offset);
            for (size_t k = 0; k < count && !(found_cache && found_self); k++) {
                if (ELF64_ST_TYPE(sym[k].st_info) != STT_TLS || sym[k].st_name >= strtab->sh_size) continue;
                const char *name = names + sym[k].st_name;
                size_t room = strtab->sh_size - sym[k].st_name;
                if (!found_cache && strnlen(name, room) == sizeof swift_tid_cache - 1 &&
                    memcmp(name, swift_tid_cache, sizeof swift_tid_cache - 1) == 0) {
                    found_cache = 1;
                    cache_value = sym[k].st_value;
                    cache_size = (size_t)sym[k].st_size;
                } else if (!found_self && strnlen(name, room) == 9 && memcmp(name, "umcg_self", 9) == 0) {
                    found_self = 1;
                    self_value = sym[k].st_value;
                }
            }
        }
    }
    munmap(map, size);
    if (found_cache && found_self && (cache_size == 4 || cache_size == 8)) {
        tid_cache_delta = (long)cache_value - (long)self_value;
        tid_cache_size = cache_size;
        return 1;
    }
    return 0;
}

/* In the parent, before fork(): looks the cache up once (a normal context; the child handler only
 * stores). */
static void on_fork_prepare(void) {
    /* Acquire: pairs with the release store below (another thread's first fork filled the fields). */
    if (__atomic_load_n(&tid_cache_state, __ATOMIC_ACQUIRE) != 0) return;
    int found = find_tid_cache();
    /* Release: publishes the delta and size to later forks on other threads (two first forks at
     * once both look up and store the same values). */
    __atomic_store_n(&tid_cache_state, found ? 1 : -1, __ATOMIC_RELEASE);
}

/* In the child, the only thread (a copy of the one that forked). */
static void on_fork_child(void) {
    /* Relaxed: the child has one thread, and this one stored it (or acquired it) before forking. */
    if (__atomic_load_n(&tid_cache_state, __ATOMIC_RELAXED) == 1)
        memset((char *)&umcg_self + tid_cache_delta, 0, tid_cache_size);
    /* Timers are not inherited; the thread is no worker or server of the child's emulation.
     * Relaxed: the child has one thread; fork() ordered the parent's store before this. */
    int had_backend = __atomic_load_n(&umcg_backend_created, __ATOMIC_RELAXED);
    umcg_self.worker = 0;
    /* Dispatch is not inherited; the copied selector must not be set again either. */
    umcg_self.sud = 0;
    umcg_sud_selector = 0;
    umcg_self.timer_ok = 0;
    umcg_self.armed = 0;
    umcg_self.pending = 0;
    if (had_backend) {
        umcg_self.in_lib++;
        umcg_preload_forget_thread();
        umcg_self.in_lib--;
    }
}

void umcg_fork_init(void) { pthread_atfork(on_fork_prepare, NULL, on_fork_child); }
