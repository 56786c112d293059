/* sandbox.c — fork, setrlimit and a libseccomp allowlist around a parser; the parent reads the child's pipe
 * with a wall-clock limit and turns a crash or limit into one error line. See sandbox.h. */
#include "sandbox.h"

#include "sandbox_server.h"

#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CS_UNDER_ASAN 1
#endif
#endif

#ifdef CS_UNDER_ASAN
#include <sanitizer/common_interface_defs.h>
/* the child's exit status when a sanitizer caught a memory error in it (make asan: before any SIGSEGV could) */
#define CS_SANDBOX_SANITIZER_EXIT 99
static void sanitizer_died(void)
{
    _exit(CS_SANDBOX_SANITIZER_EXIT);
}
#endif

cs_sandbox_limits cs_sandbox_limits_for(size_t bytes)
{
    cs_sandbox_limits l = {((size_t)1 << 30) + 8 * bytes, 1 + (int)(bytes / (10u << 20)), 16 * bytes + (64u << 20)};
    return l;
}

/* Only what parsing from memory and answering over a pipe needs (the sanitizer runtimes need a few more). */
static int install_filter(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return -1;
    static const int allowed[] = {
        SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(brk), SCMP_SYS(mmap),
        SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(exit),
        SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
        SCMP_SYS(sigaltstack), SCMP_SYS(futex), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
        SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(sched_yield), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
        SCMP_SYS(lseek), SCMP_SYS(getrusage), SCMP_SYS(sched_getaffinity), SCMP_SYS(prlimit64), SCMP_SYS(getcwd),
        /* libhdf5 sleeps once before it gives up on a metadata checksum that does not match: without these, any
         * corrupt file of the HDF5 1.8+ format (checksummed) killed the child instead of being refused */
        SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
    };
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) < 0) {
            seccomp_release(ctx);
            return -1;
        }
    /* opening files fails cleanly instead of killing: libhdf5's core driver probes the name before it uses
     * the image it was given */
    static const int refused[] = {SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(stat), SCMP_SYS(lstat),
                                  SCMP_SYS(access)};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), refused[i], 0) < 0) {
            seccomp_release(ctx);
            return -1;
        }
    /* isatty() (a sanitizer's report asks before colouring it) learns that no descriptor is a terminal */
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0) < 0) {
        seccomp_release(ctx);
        return -1;
    }
    int rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc;
}

int cs_sandbox_confine(const cs_sandbox_limits *lim, bool persistent)
{
    /* a crash kills the child with its signal, which the parent reports: no inherited handler (a sanitizer's,
     * a fuzzer's) runs after the parser broke, nor turns the crash into an exit status */
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
        signal(fatal[i], SIG_DFL);
    signal(SIGXFSZ, SIG_IGN); /* a write over RLIMIT_FSIZE fails instead of killing: stderr may be a file */
#ifdef CS_UNDER_ASAN
    __sanitizer_set_death_callback(sanitizer_died);
#endif
    struct rlimit cpu = {(rlim_t)lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1}, none = {0, 0};
    struct rlimit out = {(rlim_t)lim->max_output, (rlim_t)lim->max_output};
    if (!persistent)
        setrlimit(RLIMIT_CPU, &cpu);
    setrlimit(RLIMIT_FSIZE, persistent ? &out : &none); /* writes no files (the server: only its output file) */
    setrlimit(RLIMIT_CORE, &none);
#ifndef CS_UNDER_ASAN
    struct rlimit as = {(rlim_t)lim->mem_bytes, (rlim_t)lim->mem_bytes};
    setrlimit(RLIMIT_AS, &as);
#endif
    return install_filter();
}

static void child(int fd, cs_sandbox_fn fn, const uint8_t *in, size_t in_len, const cs_sandbox_limits *lim)
{
    if (cs_sandbox_confine(lim, false) != 0)
        _exit(125);
    _exit(fn(in, in_len, fd) == 0 ? 0 : 1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads the child's output until EOF, the size limit or the deadline; false when cut short. */
static bool collect(int fd, const cs_sandbox_limits *lim, uint8_t **out, size_t *len, bool *late)
{
    size_t cap = 1 << 16;
    uint8_t *buf = malloc(cap);
    double deadline = now_s() + 2.0 * lim->cpu_seconds + 1;
    *len = 0;
    *late = false;
    while (buf) {
        double left = deadline - now_s();
        struct pollfd p = {fd, POLLIN, 0};
        int r = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *late = true;
            break;
        }
        if (*len == cap) {
            if (cap >= lim->max_output)
                break;
            uint8_t *b = realloc(buf, cap * 2);
            if (!b)
                break;
            buf = b, cap *= 2;
        }
        ssize_t n = read(fd, buf + *len, cap - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *out = buf;
            return n == 0;
        }
        *len += (size_t)n;
    }
    *out = buf;
    return false;
}

static unsigned long failures;
static char last_why[96];

unsigned long cs_sandbox_failures(const char **why)
{
    if (why)
        *why = last_why;
    return failures;
}

cs_status cs_sandbox_failed(const char *path, const char *lib, const char *why, cs_error *err)
{
    failures++;
    snprintf(last_why, sizeof last_why, "%s", why);
    return cs_error_set(err, CS_ERR_FORMAT, "%s: the %s library failed on this file (%s)", path, lib, why);
}

cs_status cs_sandbox_run(const char *path, const char *lib, cs_sandbox_fn fn, const uint8_t *in, size_t in_len,
                         const cs_sandbox_limits *lim, uint8_t **out, size_t *len, cs_error *err)
{
    *out = NULL;
    *len = 0;
    if (cs_sandbox_server_active())
        return cs_sandbox_server_run(path, lib, fn, in, in_len, lim, out, len, err);
    int fds[2];
    if (pipe(fds) != 0)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot create a pipe for the %s sandbox: %s", path, lib,
                            strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]), close(fds[1]);
        return cs_error_set(err, CS_ERR_IO, "%s: cannot start the %s sandbox: %s", path, lib, strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], fn, in, in_len, lim);
    }
    close(fds[1]);
    bool late = false, complete = collect(fds[0], lim, out, len, &late);
    close(fds[0]);
    if (!complete)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    char why[96] = "";
    if (late)
        snprintf(why, sizeof why, "over its %d-second time limit", 2 * lim->cpu_seconds + 1);
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
        snprintf(why, sizeof why, "over its %d-second CPU limit, signal %d", lim->cpu_seconds, SIGXCPU);
    else if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "signal %d", WTERMSIG(status));
    else if (!complete)
        snprintf(why, sizeof why, "more than %zu bytes of output", lim->max_output);
#ifdef CS_UNDER_ASAN
    else if (WIFEXITED(status) && WEXITSTATUS(status) == CS_SANDBOX_SANITIZER_EXIT)
        snprintf(why, sizeof why, "a memory error caught by AddressSanitizer");
#endif
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 1)
        snprintf(why, sizeof why, "exit %d", WEXITSTATUS(status));
    if (why[0]) {
        free(*out);
        *out = NULL;
        *len = 0;
        return cs_sandbox_failed(path, lib, why, err);
    }
    /* exit 1: the parser refused the file cleanly and said why in its output */
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? CS_OK : CS_ERR_FORMAT;
}
