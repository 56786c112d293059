/* sandbox_server.c — the persistent sandbox of the fuzz targets: a spawner forked early forks confined servers that
 * loop {read fn, input; run fn; answer}; the parent limits each request's CPU, memory and wall clock. */
#include "sandbox_server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Not instrumented for the fuzzers' coverage: what this file does varies with timing (poll rounds, restarts) and
 * with how libhdf5 failed, and such "new coverage" would fill the corpus with inputs that break libhdf5. */
#if defined(__clang__)
#define CS_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define CS_NO_COVERAGE
#endif

/* a server answers this many requests, then is replaced: libhdf5 leaks on some corrupt files */
#define CS_SERVER_REQUESTS 5000
#define CS_SERVER_POLL_MS 50

typedef struct request {
    cs_sandbox_fn fn; /* valid in the server: it is a fork of this process */
    uint64_t len, max_output;
} request;

typedef struct reply {
    int32_t rc;       /* fn's result, or -1: more output than max_output (none sent) */
    uint32_t pad;
    uint64_t len;     /* bytes of output that follow */
    double cpu;       /* the server's CPU seconds so far */
} reply;

typedef struct ctl_msg {
    char op; /* 'S' start a server on the attached socket (answer: pid); 'W' wait for pid (answer: status) */
    pid_t pid;
    int status;
} ctl_msg;

static int ctl = -1, sock = -1;
static pid_t spawner = -1, server = -1;
static double cpu_limit, server_cpu;
static unsigned long served;

CS_NO_COVERAGE static bool read_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n) {
        ssize_t k = read(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        b += k, n -= (size_t)k;
    }
    return true;
}

/* parent: send without SIGPIPE when the server is gone; server: write (its filter allows no send) */
CS_NO_COVERAGE static bool write_all(int fd, const void *p, size_t n, bool parent)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = parent ? send(fd, b, n, MSG_NOSIGNAL) : write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        b += k, n -= (size_t)k;
    }
    return true;
}

CS_NO_COVERAGE static double self_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ---- server: confined, answers requests on fd until it reads EOF ---- */

CS_NO_COVERAGE static void answer(int fd, int out, const request *rq, const uint8_t *in)
{
    reply rp = {0};
    rp.rc = lseek(out, 0, SEEK_SET) == 0 ? rq->fn(in, rq->len, out) : 1;
    off_t n = lseek(out, 0, SEEK_CUR);
    if (n < 0 || (uint64_t)n > rq->max_output)
        rp.rc = -1, n = 0;
    rp.len = (uint64_t)n;
    rp.cpu = self_cpu();
    static uint8_t buf[1 << 16];
    bool ok = write_all(fd, &rp, sizeof rp, false) && lseek(out, 0, SEEK_SET) == 0;
    for (off_t left = n; ok && left > 0;) {
        ssize_t k = read(out, buf, left < (off_t)sizeof buf ? (size_t)left : sizeof buf);
        ok = k > 0 && write_all(fd, buf, (size_t)k, false);
        left -= k;
    }
    if (!ok)
        _exit(0); /* the parent is gone or gave up on this request */
}

/* RLIMIT_DATA at what the process maps now plus mem_bytes. Under AddressSanitizer, which reserves terabytes of
 * shadow (so RLIMIT_AS cannot be used), this is what stops a parser's gigabyte allocation at once: ASan would
 * otherwise spend a CPU second poisoning it before the parent's limits see it. */
CS_NO_COVERAGE static void limit_data(const cs_sandbox_limits *lim)
{
    char line[256];
    unsigned long long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmData: %llu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    struct rlimit r = {(rlim_t)(kb << 10) + lim->mem_bytes, (rlim_t)(kb << 10) + lim->mem_bytes};
    if (kb)
        setrlimit(RLIMIT_DATA, &r);
}

CS_NO_COVERAGE static _Noreturn void serve(int fd, const cs_sandbox_limits *lim)
{
    FILE *tmp = tmpfile(); /* the parser's output file: opened before the filter, which refuses open */
    limit_data(lim);
    if (!tmp || cs_sandbox_confine(lim, true) != 0)
        _exit(125);
    for (;;) {
        request rq;
        if (!read_all(fd, &rq, sizeof rq))
            _exit(0);
        uint8_t *in = malloc(rq.len ? rq.len : 1);
        if (!in || !read_all(fd, in, rq.len))
            _exit(0);
        answer(fd, fileno(tmp), &rq, in);
        free(in);
    }
}

/* ---- spawner: forked before the program has threads or hooks; forks servers, reaps them on request ---- */

CS_NO_COVERAGE static _Noreturn void spawner_loop(int c)
{
    cs_sandbox_limits lim = cs_sandbox_limits_for((size_t)1 << 20); /* 1 GiB + 8 MiB of memory */
    for (;;) {
        ctl_msg m;
        int fd = -1;
        char ctrl[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {&m, sizeof m};
        struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
        ssize_t r = recvmsg(c, &h, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != (ssize_t)sizeof m)
            _exit(0); /* the parent is gone */
        struct cmsghdr *cm = CMSG_FIRSTHDR(&h);
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        if (m.op == 'S') {
            m.pid = fd >= 0 ? fork() : -1;
            if (m.pid == 0) {
                close(c);
                serve(fd, &lim);
            }
            if (fd >= 0)
                close(fd);
        } else if (m.op == 'W') {
            m.status = 0;
            while (waitpid(m.pid, &m.status, 0) < 0 && errno == EINTR)
                ;
        }
        if (send(c, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m)
            _exit(0);
    }
}

CS_NO_COVERAGE static bool ctl_call(ctl_msg *m, int fd)
{
    char ctrl[CMSG_SPACE(sizeof(int))];
    memset(ctrl, 0, sizeof ctrl);
    struct iovec iov = {m, sizeof *m};
    struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        h.msg_control = ctrl, h.msg_controllen = sizeof ctrl;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&h);
        cm->cmsg_level = SOL_SOCKET, cm->cmsg_type = SCM_RIGHTS, cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    }
    if (sendmsg(ctl, &h, MSG_NOSIGNAL) != (ssize_t)sizeof *m)
        return false;
    ssize_t r;
    while ((r = recv(ctl, m, sizeof *m, 0)) < 0 && errno == EINTR)
        ;
    return r == (ssize_t)sizeof *m;
}

CS_NO_COVERAGE bool cs_sandbox_server_start(double cpu_seconds)
{
    int sv[2];
    if (ctl >= 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return false;
    fflush(NULL);
    pid_t p = fork();
    if (p < 0) {
        close(sv[0]), close(sv[1]);
        return false;
    }
    if (p == 0) {
        close(sv[0]);
        spawner_loop(sv[1]);
    }
    close(sv[1]);
    ctl = sv[0], spawner = p, cpu_limit = cpu_seconds;
    return true;
}

CS_NO_COVERAGE bool cs_sandbox_server_active(void)
{
    return ctl >= 0;
}

/* Closes the server's socket and reaps it through the spawner; its wait status, or -1. */
CS_NO_COVERAGE static int end_server(bool kill_it)
{
    if (server > 0 && kill_it)
        kill(server, SIGKILL);
    if (sock >= 0)
        close(sock);
    ctl_msg m = {'W', server, 0};
    bool ok = server > 0 && ctl_call(&m, -1);
    sock = -1, server = -1, served = 0;
    return ok ? m.status : -1;
}

CS_NO_COVERAGE void cs_sandbox_server_stop(void)
{
    if (ctl < 0)
        return;
    end_server(true);
    close(ctl);
    ctl = -1;
    while (waitpid(spawner, NULL, 0) < 0 && errno == EINTR)
        ;
    spawner = -1;
}

CS_NO_COVERAGE static bool start_server(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return false;
    ctl_msg m = {'S', 0, 0};
    bool ok = ctl_call(&m, sv[1]) && m.pid > 0;
    close(sv[1]);
    if (!ok) {
        close(sv[0]);
        return false;
    }
    sock = sv[0], server = m.pid, server_cpu = 0, served = 0;
    return true;
}

CS_NO_COVERAGE static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The server's CPU seconds and resident bytes from /proc (false when unreadable). */
CS_NO_COVERAGE static bool server_usage(double *cpu, double *rss)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)server);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    long long pages;
    /* after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
     * cstime priority nice threads itrealvalue starttime vsize rss */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u %*u"
                            " %lld", &ut, &st, &pages) != 3)
        return false;
    *cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    *rss = (double)pages * (double)sysconf(_SC_PAGESIZE);
    return true;
}

/* Waits until the server's socket is readable; false with why set when it goes over a limit first. */
CS_NO_COVERAGE static bool wait_answer(double deadline, const cs_sandbox_limits *lim, char *why, size_t n)
{
    for (;;) {
        struct pollfd p = {sock, POLLIN, 0};
        int r = poll(&p, 1, CS_SERVER_POLL_MS);
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR) {
            snprintf(why, n, "its answer could not be polled");
            return false;
        }
        double cpu, rss;
        if (now_s() > deadline)
            snprintf(why, n, "over its %g-second time limit", 10 * cpu_limit + 1);
        else if (server_usage(&cpu, &rss) && cpu - server_cpu > cpu_limit)
            snprintf(why, n, "over its %g-second CPU limit", cpu_limit);
        else if (server_usage(&cpu, &rss) && rss > (double)lim->mem_bytes)
            snprintf(why, n, "over its %zu MiB memory limit", lim->mem_bytes >> 20);
        else
            continue;
        return false;
    }
}

CS_NO_COVERAGE static bool read_answer(uint8_t *p, size_t n, double deadline, const cs_sandbox_limits *lim, char *why,
                                       size_t wn)
{
    while (n) {
        if (!wait_answer(deadline, lim, why, wn))
            return false;
        ssize_t k = read(sock, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false; /* the server died: why comes from its status */
        p += k, n -= (size_t)k;
    }
    return true;
}

/* The reason a server that stopped answering gives: its signal or exit status. */
CS_NO_COVERAGE static void status_why(int status, char *why, size_t n)
{
    if (status < 0)
        snprintf(why, n, "the sandbox server was lost");
    else if (WIFSIGNALED(status))
        snprintf(why, n, "signal %d", WTERMSIG(status));
    else
        snprintf(why, n, "exit %d", WEXITSTATUS(status));
}

CS_NO_COVERAGE cs_status cs_sandbox_server_run(const char *path, const char *lib, cs_sandbox_fn fn, const uint8_t *in,
                                               size_t in_len, const cs_sandbox_limits *lim, uint8_t **out, size_t *len,
                                               cs_error *err)
{
    *out = NULL;
    *len = 0;
    if (sock < 0 && !start_server()) { /* the spawner is gone: back to a fork per file */
        cs_sandbox_server_stop();
        return cs_sandbox_run(path, lib, fn, in, in_len, lim, out, len, err);
    }
    request rq = {fn, in_len, lim->max_output};
    reply rp = {0};
    char why[96] = "";
    double deadline = now_s() + 10 * cpu_limit + 1;
    bool ok = write_all(sock, &rq, sizeof rq, true) && write_all(sock, in, in_len, true) &&
              read_answer((uint8_t *)&rp, sizeof rp, deadline, lim, why, sizeof why) && rp.len <= lim->max_output;
    ok = ok && (*out = malloc(rp.len + 1)) != NULL && read_answer(*out, rp.len, deadline, lim, why, sizeof why);
    if (!ok) {
        free(*out);
        *out = NULL;
        int status = end_server(true);
        if (!why[0])
            status_why(status, why, sizeof why);
        return cs_sandbox_failed(path, lib, why, err);
    }
    server_cpu = rp.cpu;
    if (++served >= CS_SERVER_REQUESTS)
        end_server(false);
    if (rp.rc == -1) {
        free(*out);
        *out = NULL;
        snprintf(why, sizeof why, "more than %zu bytes of output", lim->max_output);
        return cs_sandbox_failed(path, lib, why, err);
    }
    *len = rp.len;
    return rp.rc == 0 ? CS_OK : CS_ERR_FORMAT;
}
