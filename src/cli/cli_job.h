/* cli_job.h — what the job subcommands (eval, bench, attack) share: a progress bar on stderr when it is
 * a terminal (silent otherwise), Ctrl-C cancelling the job, and the --scale/--mean/--std options. */
#ifndef CS_CLI_JOB_H
#define CS_CLI_JOB_H

#include <stdbool.h>

#include "engine/data/input.h"
#include "engine/runs/jobs.h"

/* Initialises job with the stderr progress bar (when stderr is a terminal) and arms SIGINT to cancel it. */
void cs_cli_job_start(cs_job *job);
/* Restores SIGINT and ends the progress line. A cancelled job (Ctrl-C) is said with how far it got
 * ("cancelled after 96 of 10000 samples") and gives CS_EXIT_CANCELLED; else CS_EXIT_OK. */
int cs_cli_job_end(cs_job *job);

/* The exit status of a run cancelled by Ctrl-C (128 + SIGINT, as shells report it). */
#define CS_EXIT_CANCELLED 130

/* Sets OpenBLAS threads: n when n > 0, else 1 unless $OPENBLAS_NUM_THREADS says otherwise (dataset runs are
 * many small products, where extra BLAS threads cost more than they give). */
void cs_cli_blas_threads(long long n);

/* True when argv holds --help or -h; then prints the command's usage, summary and `details`. */
bool cs_cli_command_help(const char *name, int argc, char **argv, const char *details);

/* Parses a model option (cs_opt_model), --scale S, --mean M[,M..] or --std D[,D..] at argv[*i]; returns 1 when
 * consumed, 0 when not one of these, -1 on a bad value (message printed for cmd). */
int cs_cli_input_opt(const char *cmd, int argc, char **argv, int *i, cs_input_opts *o);
/* Parses an integer / a number option value; false (message printed) when malformed. */
bool cs_cli_int(const char *cmd, const char *opt, const char *v, bool missing, long long min, long long *out);
bool cs_cli_double(const char *cmd, const char *opt, const char *v, bool missing, double *out);

#endif
