/* cmd_bench.c — `:bench [RUNS]`: queues a timing job (latency percentiles, throughput) on the open model(s). */
#include <stdlib.h>

#include "ui.h"

static int exec_bench(cs_ui *ui, int argc, char **argv)
{
    cs_job_params p;
    cs_job_params_default(&p, CS_JOB_BENCH);
    if (argc > 1 && (p.runs = atoi(argv[1])) <= 0) {
        cs_ui_message(ui, true, "usage: %s (RUNS > 0)", cs_ui_cmd_bench.usage);
        return CS_UI_HANDLED;
    }
    cs_ui_request_job(ui, &p);
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_bench = {"bench", "bench [RUNS]", "queue a timing job (default 2000 runs)", exec_bench};
