/* cmd_tol.c — `:tol RTOL [ATOL]`: changes the tolerance |a-b| <= atol + rtol*|b| and re-runs the diff. */
#include <stdlib.h>

#include "ui.h"

static int exec_tol(cs_ui *ui, int argc, char **argv)
{
    char *end1 = NULL, *end2 = NULL;
    double rtol = argc > 1 ? strtod(argv[1], &end1) : -1;
    double atol = argc > 2 ? strtod(argv[2], &end2) : ui->v.atol;
    if (argc < 2 || argc > 3 || *end1 || (end2 && *end2) || rtol < 0 || atol < 0) {
        cs_ui_message(ui, true, "usage: %s (non-negative numbers)", cs_ui_cmd_tol.usage);
        return CS_UI_HANDLED;
    }
    cs_session_set_tolerance(ui->s, rtol, atol);
    cs_ui_message(ui, false, "tolerance rtol %g atol %g", rtol, atol);
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_tol = {"tol", "tol RTOL [ATOL]", "set the tolerance and re-run the diff", exec_tol};
