/* global_opts.h — options that apply to every command (--kernels, --threads), taken out of argv before
 * a command parses the rest. */
#ifndef CS_GLOBAL_OPTS_H
#define CS_GLOBAL_OPTS_H

/* Applies and removes the global options from argv (argv[*argc] becomes NULL); CS_EXIT_ERROR after a
 * one-line message when a value is bad, else CS_EXIT_OK. */
int cs_cli_global_opts(int *argc, char **argv);

/* With more than one thread asked for (--threads or OMP_NUM_THREADS) and neither OMP_WAIT_POLICY nor
 * GOMP_SPINCOUNT set, restarts the process with the OpenMP wait policy that suits the machine now. Where the
 * cores the threads need are idle (/proc/stat's runnable count), waiting workers spin for CS_OMP_SPIN_IDLE
 * pauses (GNU OpenMP's own default, about 15 ms here) before they sleep, so consecutive parallel regions of one
 * run never pay a wake-up, even when the host holds back one of the cores for a few ms; on a busy machine they
 * sleep at once (OMP_WAIT_POLICY=PASSIVE), so a job never starves the explorer's screen or other processes.
 * Measured at batch 1 on 2 threads with a process taking 2 ms of every 10 on the second core: ResNet-50 38.4-48.7
 * ms with 10000 pauses (0.5 ms), 35.2-41.4 with 300000 (ORT 35.8-42.7); EfficientNet-B0 9.7-9.8 against 8.8-9.0
 * (ORT 8.3); on a quiet machine the same either way. Returns when nothing is to be done or the restart failed. */
void cs_cli_omp_wait(int argc, char **argv);
#define CS_OMP_SPIN_IDLE "300000"

#endif
