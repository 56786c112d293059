/* cmd_explain.c — `:explain [LAYER]`: the teaching view for the selected layer, or for the first layer whose
 * name contains LAYER. */
#include <stdio.h>

#include "ui.h"

static int exec_explain(cs_ui *ui, int argc, char **argv)
{
    if (argc > 2) {
        cs_ui_message(ui, true, "usage: %s", cs_ui_cmd_explain.usage);
        return CS_UI_HANDLED;
    }
    if (argc == 2) {
        snprintf(ui->search, sizeof ui->search, "%s", argv[1]);
        ui->msg_error = false;
        cs_ui_find(ui, 1);
        if (ui->msg_error)
            return CS_UI_HANDLED;
    }
    cs_ui_request_modal(ui, CS_MODAL_TEACH);
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_explain = {"explain", "explain [LAYER]",
                                     "teaching view: formula, shapes, params, MACs, receptive field, pictures",
                                     exec_explain};
