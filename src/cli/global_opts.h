/* global_opts.h — options that apply to every command (--kernels, --threads), taken out of argv before
 * a command parses the rest. */
#ifndef CS_GLOBAL_OPTS_H
#define CS_GLOBAL_OPTS_H

/* Applies and removes the global options from argv (argv[*argc] becomes NULL); CS_EXIT_ERROR after a
 * one-line message when a value is bad, else CS_EXIT_OK. */
int cs_cli_global_opts(int *argc, char **argv);

#endif
