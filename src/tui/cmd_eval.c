/* cmd_eval.c — `:eval [DATA] [LIMIT]`: queues an evaluation job (accuracy, agreement) on a labelled dataset. */
#include <stdio.h>
#include <stdlib.h>

#include "ui.h"

static int exec_eval(cs_ui *ui, int argc, char **argv)
{
    cs_job_params p;
    cs_job_params_default(&p, CS_JOB_EVAL);
    if (argc > 1)
        snprintf(p.data, sizeof p.data, "%s", argv[1]);
    if (argc > 2 && (p.limit = atoll(argv[2])) <= 0) {
        cs_ui_message(ui, true, "usage: %s (LIMIT > 0)", cs_ui_cmd_eval.usage);
        return CS_UI_HANDLED;
    }
    cs_ui_request_job(ui, &p);
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_eval = {"eval", "eval [DATA] [LIMIT]", "queue an evaluation job (fashion-mnist:test, 1000)",
                                  exec_eval};
