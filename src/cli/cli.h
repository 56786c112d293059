/* cli.h — the scriptable command line: one file per subcommand, one table (commands.c) that
 * dispatches them and feeds --help. Exit codes: 0 ok, 1 "models differ" (diff), 2 error. */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <stdbool.h>

#include "engine/status.h"

#define CS_EXIT_OK 0
#define CS_EXIT_DIFFER 1
#define CS_EXIT_ERROR 2

typedef struct cs_command {
    const char *name;
    const char *usage;     /* one line: "inspect MODEL [--json]" */
    const char *summary;   /* what it does */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cs_command;

extern const char cs_cli_input_forms[];        /* the input SPEC forms, for --help and COMMAND --help */

extern const cs_command cs_commands[];
extern const int cs_n_commands;

int cs_cmd_inspect(int argc, char **argv);
int cs_cmd_run(int argc, char **argv);
int cs_cmd_conform(int argc, char **argv);
int cs_cmd_eval(int argc, char **argv);
int cs_cmd_bench(int argc, char **argv);
int cs_cmd_attack(int argc, char **argv);
int cs_cmd_diff(int argc, char **argv);

/* Prints "convscope: <message>" on stderr and returns CS_EXIT_ERROR. */
int cs_cli_fail(const cs_error *err);
int cs_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the top-level help to stdout. */
void cs_cli_help(void);

/* A tiny option scanner shared by subcommands: returns true when argv[*i] equals name and,
 * for options with a value, stores the next argument in *value (failing when absent). */
bool cs_opt_flag(int argc, char **argv, int *i, const char *name);
bool cs_opt_value(int argc, char **argv, int *i, const char *name, const char **value, bool *missing);
/* Model-loading options shared by every command (--arch FILE, --precision fp32|fp16|model): true when argv[*i] was one; *rc is set to a
 * usage error's exit code when its value is missing or wrong (left alone otherwise). */
bool cs_opt_model(int argc, char **argv, int *i, const char *cmd, int *rc);

#endif
