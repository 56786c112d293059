/* cmd_input.c — `:input [SPEC]`: feeds SPEC (image, .npy, .pb, fashion-mnist:test:17) or opens the picker. */
#include "ui.h"

static int exec_input(cs_ui *ui, int argc, char **argv)
{
    if (argc < 2) {
        cs_ui_request_modal(ui, CS_MODAL_INPUT);
        return CS_UI_HANDLED;
    }
    cs_session_set_input(ui->s, argv[1]);
    cs_ui_message(ui, false, "input: %s", argv[1]);
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_input = {"input", "input [SPEC]", "feed an image, .npy, .pb or DATASET:INDEX (no SPEC: pick)",
                                   exec_input};
