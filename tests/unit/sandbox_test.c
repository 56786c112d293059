/* sandbox_test.c — the parser sandbox (sandbox.h) on parsers that misbehave on purpose: a segfault, an endless
 * loop and a forbidden system call each become one error line naming the file; a well-behaved one answers. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/sandbox.h"
#include "engine/sandbox_server.h"
#include "test.h"

static int answers(const uint8_t *in, size_t len, int fd)
{
    return write(fd, in, len) == (ssize_t)len ? 0 : 1;
}

/* writes to a page that was just unmapped: a real SIGSEGV, as a library reading a wild pointer gets */
static int segfaults(const uint8_t *in, size_t len, int fd)
{
    (void)in, (void)len, (void)fd;
    volatile char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 1;
    munmap((void *)page, 4096);
    page[0] = 1;
    return 0;
}

static int spins(const uint8_t *in, size_t len, int fd)
{
    (void)in, (void)len, (void)fd;
    volatile unsigned long n = 0;
    for (;;)
        n++;
    return 0;
}

static int opens_then_sockets(const uint8_t *in, size_t len, int fd)
{
    (void)in, (void)len;
    int opened = open("/etc/passwd", O_RDONLY); /* refused with EACCES: the child goes on */
    if (opened >= 0 || write(fd, "refused", 7) != 7)
        return 1;
    return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1; /* not allowed at all: the filter kills the child */
}

static cs_sandbox_limits small_limits(void)
{
    cs_sandbox_limits l = cs_sandbox_limits_for(1000);
    l.cpu_seconds = 1;
    return l;
}

TEST(sandbox_returns_what_the_parser_wrote)
{
    cs_sandbox_limits lim = small_limits();
    uint8_t *out = NULL;
    size_t len = 0;
    cs_error err = {0};
    EXPECT(cs_sandbox_run("ok.bin", "TEST", answers, (const uint8_t *)"groups and datasets", 19, &lim, &out, &len,
                          &err) == CS_OK);
    EXPECT(len == 19 && out && memcmp(out, "groups and datasets", 19) == 0);
    free(out);
}

TEST(sandbox_crash_with_signal_11_is_one_error_line)
{
    cs_sandbox_limits lim = small_limits();
    uint8_t *out = (uint8_t *)"x";
    size_t len = 1;
    cs_error err = {0};
    EXPECT(cs_sandbox_run("bad.h5", "HDF5", segfaults, NULL, 0, &lim, &out, &len, &err) == CS_ERR_FORMAT);
    EXPECT(strcmp(err.msg, "bad.h5: the HDF5 library failed on this file (signal 11)") == 0);
    EXPECT(out == NULL && len == 0);
    if (strcmp(err.msg, "bad.h5: the HDF5 library failed on this file (signal 11)") != 0)
        fprintf(stderr, "  got: %s\n", err.msg);
}

TEST(sandbox_endless_loop_stops_at_the_cpu_limit)
{
    cs_sandbox_limits lim = small_limits();
    uint8_t *out = NULL;
    size_t len = 0;
    cs_error err = {0};
    EXPECT(cs_sandbox_run("loop.h5", "HDF5", spins, NULL, 0, &lim, &out, &len, &err) == CS_ERR_FORMAT);
    EXPECT(strstr(err.msg, "loop.h5: the HDF5 library failed on this file (over its ") == err.msg);
    free(out);
}

TEST(sandbox_refuses_open_and_kills_a_forbidden_syscall)
{
    cs_sandbox_limits lim = small_limits();
    uint8_t *out = NULL;
    size_t len = 0;
    cs_error err = {0};
    EXPECT(cs_sandbox_run("net.h5", "HDF5", opens_then_sockets, NULL, 0, &lim, &out, &len, &err) == CS_ERR_FORMAT);
    EXPECT(strcmp(err.msg, "net.h5: the HDF5 library failed on this file (signal 31)") == 0); /* SIGSYS */
    free(out);
}

/* The fuzz targets' persistent server (sandbox_server.h): answers, survives nothing but is replaced after a crash
 * or a hang, each of which is the same error line as in the fork-per-file sandbox, and counted. */
TEST(sandbox_server_answers_and_recovers_from_crash_and_hang)
{
    cs_sandbox_limits lim = small_limits();
    uint8_t *out = NULL;
    size_t len = 0;
    cs_error err = {0};
    const char *why = NULL;
    unsigned long before = cs_sandbox_failures(NULL);
    EXPECT(cs_sandbox_server_start(0.3));
    EXPECT(cs_sandbox_server_active());
    for (int i = 0; i < 3; i++) { /* the same server answers again and again */
        EXPECT(cs_sandbox_run("ok.bin", "TEST", answers, (const uint8_t *)"dataset", 7, &lim, &out, &len, &err) == CS_OK);
        EXPECT(len == 7 && out && memcmp(out, "dataset", 7) == 0);
        free(out);
    }
    EXPECT(cs_sandbox_run("bad.h5", "HDF5", segfaults, NULL, 0, &lim, &out, &len, &err) == CS_ERR_FORMAT);
    EXPECT(strcmp(err.msg, "bad.h5: the HDF5 library failed on this file (signal 11)") == 0);
    EXPECT(out == NULL && len == 0);
    EXPECT(cs_sandbox_failures(&why) == before + 1 && strcmp(why, "signal 11") == 0);
    EXPECT(cs_sandbox_run("loop.h5", "HDF5", spins, NULL, 0, &lim, &out, &len, &err) == CS_ERR_FORMAT);
    EXPECT(strcmp(err.msg, "loop.h5: the HDF5 library failed on this file (over its 0.3-second CPU limit)") == 0);
    EXPECT(cs_sandbox_run("net.h5", "HDF5", opens_then_sockets, NULL, 0, &lim, &out, &len, &err) == CS_ERR_FORMAT);
    EXPECT(strcmp(err.msg, "net.h5: the HDF5 library failed on this file (signal 31)") == 0); /* SIGSYS: confined */
    EXPECT(cs_sandbox_failures(NULL) == before + 3);
    EXPECT(cs_sandbox_run("ok.bin", "TEST", answers, (const uint8_t *)"group", 5, &lim, &out, &len, &err) == CS_OK);
    EXPECT(len == 5 && out && memcmp(out, "group", 5) == 0);
    free(out);
    cs_sandbox_server_stop();
    EXPECT(!cs_sandbox_server_active());
}
