/* main.c — convscope's entry point: dispatches a subcommand from the table in cli/commands.c, or starts the
 * explorer (no arguments, or models first). Only main decides the process exit code (0 ok, 1 differ, 2 error). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/global_opts.h"
#include "tui/tui.h"

#ifndef CS_VERSION
#define CS_VERSION "0.1.0"
#endif

static bool cs_cli_is_command(const char *name)
{
    if (strcmp(name, "help") == 0)
        return true;
    for (int i = 0; i < cs_n_commands; i++)
        if (strcmp(name, cs_commands[i].name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    cs_cli_omp_wait(argc, argv);
    if (cs_cli_global_opts(&argc, argv) != CS_EXIT_OK)
        return CS_EXIT_ERROR;
    if (argc < 2 || (argv[1][0] != '-' && !cs_cli_is_command(argv[1])) || strncmp(argv[1], "--input", 7) == 0 ||
        strncmp(argv[1], "--max-memory", 12) == 0)
        return cs_ui_main(argc, argv);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        cs_cli_help();
        return CS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("convscope %s\n", CS_VERSION);
        return CS_EXIT_OK;
    }
    for (int i = 0; i < cs_n_commands; i++)
        if (strcmp(argv[1], cs_commands[i].name) == 0)
            return cs_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "convscope: unknown command '%s' (see convscope --help)\n", argv[1]);
    return CS_EXIT_ERROR;
}
