/* cmd_open.c — `:open A [B]`: opens one model or a pair in the background. An image the user chose stays the
 * input (it is fitted to the new model); the bundled fallback, tensors (.npy/.pb) and dataset samples were
 * made for the previous model, so the new model's input policy decides again. */
#include <string.h>

#include "ui.h"

static const char *kept_input(const cs_ui *ui)
{
    const char *spec = ui->v.input_spec ? ui->v.input_spec : "";
    const char *dot = strrchr(spec, '.');
    bool tensor = dot && (strcmp(dot, ".npy") == 0 || strcmp(dot, ".pb") == 0);
    bool sample = strchr(spec, ':') != NULL;
    if (!spec[0] || strcmp(spec, "blank") == 0 || strcmp(spec, ui->fallback) == 0 || tensor || sample)
        return "";
    return spec;
}

static int exec_open(cs_ui *ui, int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        cs_ui_message(ui, true, "usage: %s", cs_ui_cmd_open.usage);
        return CS_UI_HANDLED;
    }
    const char *keep = kept_input(ui);
    bool dropped = !keep[0] && ui->v.input_spec && ui->v.input_spec[0] && strcmp(ui->v.input_spec, "blank") != 0 &&
                   strcmp(ui->v.input_spec, ui->fallback) != 0;
    cs_session_open(ui->s, argv[1], argc == 3 ? argv[2] : NULL, keep, ui->fallback);
    ui->sel_row = 0;
    if (dropped)
        cs_ui_message(ui, false, "the input was made for the previous model: a new one is chosen (i to pick)");
    else
        cs_ui_message(ui, false, "opening %s%s%s", argv[1], argc == 3 ? " and " : "", argc == 3 ? argv[2] : "");
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_open = {"open", "open A [B]", "open a model, or a pair to compare", exec_open};
