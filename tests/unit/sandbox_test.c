/* sandbox_test.c — the parser sandbox (sandbox.h) on parsers that misbehave on purpose: a segfault, an endless
 * loop and a forbidden system call each become one error line naming the file; a well-behaved one answers. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/sandbox.h"
#include "test.h"

static int answers(void *arg, int fd)
{
    const char *text = arg;
    return write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : 1;
}

/* writes to a page that was just unmapped: a real SIGSEGV, as a library reading a wild pointer gets */
static int segfaults(void *arg, int fd)
{
    (void)arg, (void)fd;
    volatile char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 1;
    munmap((void *)page, 4096);
    page[0] = 1;
    return 0;
}

static int spins(void *arg, int fd)
{
    (void)arg, (void)fd;
    volatile unsigned long n = 0;
    for (;;)
        n++;
    return 0;
}

static int opens_then_sockets(void *arg, int fd)
{
    int *opened = arg;
    *opened = open("/etc/passwd", O_RDONLY); /* refused with EACCES: the child goes on */
    if (*opened >= 0 || write(fd, "refused", 7) != 7)
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
    EXPECT(cs_sandbox_run("ok.bin", "TEST", answers, "groups and datasets", &lim, &out, &len, &err) == CS_OK);
    EXPECT(len == 19 && out && memcmp(out, "groups and datasets", 19) == 0);
    free(out);
}

TEST(sandbox_crash_with_signal_11_is_one_error_line)
{
    cs_sandbox_limits lim = small_limits();
    uint8_t *out = (uint8_t *)"x";
    size_t len = 1;
    cs_error err = {0};
    EXPECT(cs_sandbox_run("bad.h5", "HDF5", segfaults, NULL, &lim, &out, &len, &err) == CS_ERR_FORMAT);
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
    EXPECT(cs_sandbox_run("loop.h5", "HDF5", spins, NULL, &lim, &out, &len, &err) == CS_ERR_FORMAT);
    EXPECT(strstr(err.msg, "loop.h5: the HDF5 library failed on this file (over its ") == err.msg);
    free(out);
}

TEST(sandbox_refuses_open_and_kills_a_forbidden_syscall)
{
    cs_sandbox_limits lim = small_limits();
    uint8_t *out = NULL;
    size_t len = 0;
    cs_error err = {0};
    int opened = 0;
    EXPECT(cs_sandbox_run("net.h5", "HDF5", opens_then_sockets, &opened, &lim, &out, &len, &err) == CS_ERR_FORMAT);
    EXPECT(strcmp(err.msg, "net.h5: the HDF5 library failed on this file (signal 31)") == 0); /* SIGSYS */
    free(out);
}
