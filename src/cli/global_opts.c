/* global_opts.c — options every command and the explorer accept: --kernels reference|fast chooses the
 * kernels (fast: oneDNN + vectorised math; reference: the oracle), --threads N the thread count. */
#include "global_opts.h"

#include <dirent.h>
#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine/ops/fastpath.h"

/* The value of option `name` at argv[i] ("--name V" or "--name=V"); *used: how many slots it takes. */
static const char *opt_value(int argc, char **argv, int i, const char *name, int *used)
{
    size_t len = strlen(name);
    if (strncmp(argv[i], name, len) != 0)
        return NULL;
    if (argv[i][len] == '=') {
        *used = 1;
        return argv[i] + len + 1;
    }
    if (argv[i][len] != '\0')
        return NULL;
    *used = 2;
    return i + 1 < argc ? argv[i + 1] : "";
}

static bool apply(const char *name, const char *v)
{
    if (strcmp(name, "--kernels") == 0) {
        cs_kernels k;
        if (!cs_kernels_parse(v, &k)) {
            fprintf(stderr, "convscope: --kernels takes 'fast' or 'reference', not '%s'\n", v);
            return false;
        }
        cs_kernels_set(k);
        return true;
    }
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > 1024) {
        fprintf(stderr, "convscope: --threads takes a count from 1 to 1024, not '%s'\n", v);
        return false;
    }
    cs_threads_set((int)n);
    return true;
}

/* The thread count argv or the environment asks for (1 when neither does). */
static long wanted_threads(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int used = 0;
        const char *v = opt_value(argc, argv, i, "--threads", &used);
        if (v)
            return strtol(v, NULL, 10);
    }
    const char *env = getenv("OMP_NUM_THREADS");
    return env ? strtol(env, NULL, 10) : 1;
}

/* This process's threads that are runnable now (state R in /proc/self/task/N/stat): the libraries' own pools
 * (OpenBLAS starts its workers when it loads, and they spin a while) are not other work. */
static int own_running(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[300], line[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = e->d_name[0] == '.' ? NULL : fopen(path, "r");
        const char *close_paren = f && fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
        n += close_paren && close_paren[1] == ' ' && close_paren[2] == 'R';
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return n;
}

/* Threads of other processes runnable now (/proc/stat procs_running less this process's own): the fewest of
 * three looks 1 ms apart, so a stray process on a quiet machine does not count, while a busy machine stays
 * busy; -1 when unknown. */
static int others_running(void)
{
    int fewest = -1;
    for (int look = 0; look < 6; look++) {
        FILE *f = fopen("/proc/stat", "r");
        char line[256];
        int n = -1;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "procs_running %d", &n) == 1)
                break;
        if (f)
            fclose(f);
        int own = own_running();
        if (own < 1)
            own = 1; /* this thread, reading */
        if (n >= 1 && (fewest < 0 || n - own < fewest))
            fewest = n - own < 0 ? 0 : n - own;
        if (look < 5)
            usleep(4000);
    }
    return fewest;
}

void cs_cli_omp_wait(int argc, char **argv)
{
    long threads = wanted_threads(argc, argv);
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || threads <= 1)
        return;
    /* GNU OpenMP reads its wait policy once, when the library loads: set it and start again */
    int others = others_running();
    bool idle = others >= 0 && others + threads <= omp_get_num_procs();
    if (idle ? setenv("GOMP_SPINCOUNT", CS_OMP_SPIN_IDLE, 1) == 0 : setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0)
        execv("/proc/self/exe", argv);
}

int cs_cli_global_opts(int *argc, char **argv)
{
    static const char *const names[] = {"--kernels", "--threads"};
    int out = 1;
    for (int i = 1; i < *argc;) {
        int used = 0, k = 0;
        const char *v = NULL;
        for (; k < 2 && !v; k++)
            v = opt_value(*argc, argv, i, names[k], &used);
        if (!v) {
            argv[out++] = argv[i++];
            continue;
        }
        if (!apply(names[k - 1], v))
            return CS_EXIT_ERROR;
        i += used;
    }
    *argc = out;
    argv[out] = NULL;
    return CS_EXIT_OK;
}
