/* cli_job.c — the terminal side of jobs: a throttled one-line progress bar (done/total, rate, ETA,
 * partial result) on stderr when it is a tty, SIGINT setting the job's cancel flag, shared option parsing. */
#include "cli_job.h"

#include "engine/ops/fastpath.h"

#include <cblas.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

/* The one job a CLI process runs; only the signal handler needs to find it. */
static cs_job *volatile sigint_job;
static struct sigaction old_action;

static void on_sigint(int sig)
{
    (void)sig;
    if (sigint_job)
        sigint_job->cancel = 1;
}

/* Columns of the progress line: the terminal's width, at most 100 (it is rewritten in place, never wrapped). */
static int line_width(void)
{
    struct winsize ws;
    int cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    return cols - 1 < 100 ? cols - 1 : 100;
}

static void draw(void *user, const cs_job_event *ev)
{
    (void)user;
    int width = 20, fill = ev->total > 0 ? (int)(width * ev->done / ev->total) : 0;
    char bar[32], line[512], eta[32] = "";
    for (int k = 0; k < width; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[width] = 0;
    if (ev->eta_s >= 0 && !ev->finished)
        snprintf(eta, sizeof eta, " ETA %.0fs", ev->eta_s);
    int n = snprintf(line, sizeof line, "%.40s [%s] %lld/%lld %.1f/s%s %s", ev->what, bar, (long long)ev->done,
                     (long long)ev->total, ev->rate, eta, ev->partial);
    int max = line_width();
    if (n > max && max > 0)
        line[max] = 0; /* bytes, and the line is ASCII but for file names: a cut name is fine */
    fprintf(stderr, "\r%s\033[K%s", line, ev->finished ? "\n" : "");
    fflush(stderr);
}

void cs_cli_job_start(cs_job *job)
{
    cs_job_init(job, isatty(STDERR_FILENO) ? draw : NULL, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigint_job = job;
    sigaction(SIGINT, &sa, &old_action);
}

int cs_cli_job_end(cs_job *job)
{
    sigaction(SIGINT, &old_action, NULL);
    sigint_job = NULL;
    if (!job->cancel)
        return CS_EXIT_OK;
    if (job->on_event)
        fprintf(stderr, "\r\033[K");
    fprintf(stderr, "convscope: %s cancelled after %lld of %lld%s\n", job->what[0] ? job->what : "run",
            (long long)job->done, (long long)job->total,
            job->done ? "; the results cover those done" : " (nothing to report)");
    return CS_EXIT_CANCELLED;
}

void cs_cli_blas_threads(long long n)
{
    if (n > 0)
        cs_threads_set((int)n);
    else
        cs_threads_get(); /* the default: 1, or OMP_NUM_THREADS / OPENBLAS_NUM_THREADS */
}

bool cs_cli_command_help(const char *name, int argc, char **argv, const char *details)
{
    bool asked = false;
    for (int i = 1; i < argc; i++)
        asked |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    if (!asked)
        return false;
    for (int k = 0; k < cs_n_commands; k++)
        if (strcmp(cs_commands[k].name, name) == 0)
            printf("usage: convscope %s\n\n%s\n", cs_commands[k].usage, cs_commands[k].summary);
    printf("%s", details);
    return true;
}

static int parse_list(const char *s, double *out)
{
    int n = 0;
    while (*s && n < 4) {
        char *end;
        out[n++] = strtod(s, &end);
        if (end == s || (*end && *end != ','))
            return -1;
        s = *end == ',' ? end + 1 : end;
    }
    return *s ? -1 : n;
}

int cs_cli_input_opt(const char *cmd, int argc, char **argv, int *i, cs_input_opts *o)
{
    const char *v = NULL;
    bool missing = false;
    int rc = CS_EXIT_OK;
    if (cs_opt_model(argc, argv, i, cmd, &rc)) { /* --arch, --precision */
        if (rc != CS_EXIT_OK)
            return -1;
    } else if (cs_opt_value(argc, argv, i, "--scale", &v, &missing)) {
        if (!cs_cli_double(cmd, "--scale", v, missing, &o->scale))
            return -1;
        o->scale_set = true;
    } else if (cs_opt_value(argc, argv, i, "--mean", &v, &missing)) {
        if (missing || (o->n_mean = parse_list(v, o->mean)) <= 0)
            return cs_cli_usage_error(cmd, "--mean needs 1 to 4 comma-separated numbers"), -1;
    } else if (cs_opt_value(argc, argv, i, "--std", &v, &missing)) {
        if (missing || (o->n_std = parse_list(v, o->std)) <= 0)
            return cs_cli_usage_error(cmd, "--std needs 1 to 4 comma-separated numbers"), -1;
        for (int k = 0; k < o->n_std; k++)
            if (o->std[k] == 0)
                return cs_cli_usage_error(cmd, "--std values must not be zero"), -1;
    } else {
        return 0;
    }
    return 1;
}

bool cs_cli_int(const char *cmd, const char *opt, const char *v, bool missing, long long min, long long *out)
{
    char *end = NULL;
    long long x = missing ? 0 : strtoll(v, &end, 10);
    if (missing || !end || *end || end == v || x < min) {
        cs_cli_usage_error(cmd, "%s needs an integer >= %lld", opt, min);
        return false;
    }
    *out = x;
    return true;
}

bool cs_cli_double(const char *cmd, const char *opt, const char *v, bool missing, double *out)
{
    char *end = NULL;
    double x = missing ? 0 : strtod(v, &end);
    if (missing || !end || *end || end == v) {
        cs_cli_usage_error(cmd, "%s needs a number", opt);
        return false;
    }
    *out = x;
    return true;
}
