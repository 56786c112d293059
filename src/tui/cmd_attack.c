/* cmd_attack.c — `:attack [METHOD [EPS [STEPS [DATA [LIMIT]]]]]`: queues an attack job; no arguments opens the form. */
#include <stdio.h>
#include <stdlib.h>

#include "ui.h"

static int exec_attack(cs_ui *ui, int argc, char **argv)
{
    if (argc < 2) {
        cs_ui_request_modal(ui, CS_MODAL_FORM);
        return CS_UI_HANDLED;
    }
    cs_job_params p;
    cs_job_params_default(&p, CS_JOB_ATTACK);
    snprintf(p.method, sizeof p.method, "%.15s", argv[1]);
    if (argc > 2)
        p.eps = atof(argv[2]);
    if (argc > 3)
        p.steps = atoi(argv[3]);
    if (argc > 4)
        snprintf(p.data, sizeof p.data, "%s", argv[4]);
    if (argc > 5)
        p.limit = atoll(argv[5]);
    cs_ui_request_job(ui, &p);
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_attack = {"attack", "attack [METHOD EPS STEPS DATA LIMIT]",
                                    "queue an attack job (fgsm|pgd|simba); no arguments opens the form", exec_attack};
