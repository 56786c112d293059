/* global_opts.h — options that apply to every command (--kernels, --threads), taken out of argv before
 * a command parses the rest. */
#ifndef CS_GLOBAL_OPTS_H
#define CS_GLOBAL_OPTS_H

/* Applies and removes the global options from argv (argv[*argc] becomes NULL); CS_EXIT_ERROR after a
 * one-line message when a value is bad, else CS_EXIT_OK. */
int cs_cli_global_opts(int *argc, char **argv);

/* With more than one thread asked for (--threads or OMP_NUM_THREADS) and OMP_WAIT_POLICY unset, restarts the
 * process with OMP_WAIT_POLICY=PASSIVE: OpenMP workers then sleep between parallel regions instead of spinning,
 * so a job never starves the explorer's screen or other processes on a busy machine. Returns when nothing
 * is to be done or the restart failed (the run then goes on with spinning workers). */
void cs_cli_omp_passive(int argc, char **argv);

#endif
