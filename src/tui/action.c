/* action.c — what a key handler or command asks of the app, as data: a message for the status line, a modal
 * to open, a job to start. Handlers fill these in and return; the event loop (app.c) carries them out after
 * each key, so no view or command calls into the app. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "ui.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void cs_ui_message(cs_ui *ui, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->msg, sizeof ui->msg, fmt, ap);
    va_end(ap);
    ui->msg_error = error;
    ui->msg_expires = error ? 0 : now_ms() + 5000; /* news fades; an error stays until the next key */
}

void cs_ui_request_modal(cs_ui *ui, cs_ui_modal m)
{
    ui->act.modal = m;
    ui->act.open_modal = true;
}

void cs_ui_request_job(cs_ui *ui, const cs_job_params *p)
{
    ui->act.job = *p;
    ui->act.start_job = true;
}
