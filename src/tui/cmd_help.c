/* cmd_help.c — `:help`: the help view, listing every key binding and command. */
#include "ui.h"

static int exec_help(cs_ui *ui, int argc, char **argv)
{
    (void)argc, (void)argv;
    cs_ui_request_modal(ui, CS_MODAL_HELP);
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_help = {"help", "help", "show every key and command", exec_help};
