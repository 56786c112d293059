/* cmd.c — the command table of the `:` line (tmux's cmd.c): one descriptor per command file, looked up by
 * name or unique prefix, also listed by `:help`, `?` and readline completion. */
#include <stdio.h>
#include <string.h>

#include "ui.h"

const cs_ui_cmd *const cs_ui_cmds[] = {
    &cs_ui_cmd_open, &cs_ui_cmd_input, &cs_ui_cmd_tol, &cs_ui_cmd_map, &cs_ui_cmd_bench,
    &cs_ui_cmd_eval, &cs_ui_cmd_attack, &cs_ui_cmd_export, &cs_ui_cmd_explain, &cs_ui_cmd_help, &cs_ui_cmd_quit,
};
const int cs_ui_n_cmds = (int)(sizeof cs_ui_cmds / sizeof cs_ui_cmds[0]);

static const cs_ui_cmd *lookup(const char *name)
{
    const cs_ui_cmd *found = NULL;
    int hits = 0;
    for (int i = 0; i < cs_ui_n_cmds; i++) {
        if (strcmp(cs_ui_cmds[i]->name, name) == 0)
            return cs_ui_cmds[i];
        if (strncmp(cs_ui_cmds[i]->name, name, strlen(name)) == 0)
            found = cs_ui_cmds[i], hits++;
    }
    return hits == 1 ? found : NULL;
}

int cs_ui_cmd_run(cs_ui *ui, const char *line)
{
    char buf[1024], *argv[16];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *tok = strtok(buf, " \t"); tok && argc < 16; tok = strtok(NULL, " \t"))
        argv[argc++] = tok;
    if (argc == 0)
        return CS_UI_HANDLED;
    const cs_ui_cmd *c = lookup(argv[0]);
    if (!c) {
        cs_ui_message(ui, true, "unknown command '%s' (:help lists them)", argv[0]);
        return CS_UI_HANDLED;
    }
    return c->exec(ui, argc, argv);
}
