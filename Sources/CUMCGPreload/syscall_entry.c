/*
 * The syscall() interposer's entry, in a file of its own: <unistd.h> declares syscall() variadic,
 * and this definition takes the syscall number and its six arguments as named parameters.
 *
 * On x86-64 and AArch64 Linux a call to a variadic function passes integer arguments exactly as a
 * call to a plain one does (registers, then the stack in order; x86-64's %al, the number of vector
 * registers used, is read only by a variadic callee), so this reads what every caller passed. The
 * variadic version spilled the argument registers into a va_list and unpacked six va_args: about
 * 60 instructions on each of the two umcg_ctl calls per ping-pong cycle (callgrind). Other
 * architectures get the variadic definition in preload.c.
 */
#if defined(__x86_64__) || defined(__aarch64__)

long umcg_syscall_dispatch(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
    __attribute__((visibility("hidden")));

long syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

long syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    return umcg_syscall_dispatch(nr, a1, a2, a3, a4, a5, a6);
}

#endif
