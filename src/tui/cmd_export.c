/* cmd_export.c — `:export FILE [JOB]`: saves a job's result (the focused one by default) as JSON. */
#include <stdlib.h>

#include "ui.h"

static int exec_export(cs_ui *ui, int argc, char **argv)
{
    const cs_job_info *j = cs_session_job_at(ui->s, cs_ui_job_selected());
    int id = argc > 2 ? atoi(argv[2]) : j ? j->id : -1;
    if (argc < 2 || argc > 3 || id <= 0) {
        cs_ui_message(ui, true, argc < 2 || argc > 3 ? "usage: %s" : "no job to export yet", cs_ui_cmd_export.usage);
        return CS_UI_HANDLED;
    }
    cs_error err = {0};
    if (cs_session_job_save(ui->s, id, argv[1], &err) == CS_OK)
        cs_ui_message(ui, false, "job #%d saved to %s", id, argv[1]);
    else
        cs_ui_message(ui, true, "%s", err.msg);
    return CS_UI_HANDLED;
}

const cs_ui_cmd cs_ui_cmd_export = {"export", "export FILE [JOB]", "save a job's result as JSON", exec_export};
