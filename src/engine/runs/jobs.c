/* jobs.c — progress bookkeeping and throttled event delivery for long runs, and the cancel flag.
 * Rates and ETAs are computed from a monotonic clock since cs_job_begin. */
#include "jobs.h"

#include <stdio.h>

#include <stddef.h>
#include <time.h>

double cs_job_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cs_job_init(cs_job *job, cs_job_event_fn on_event, void *user)
{
    job->cancel = 0;
    job->on_event = on_event;
    job->user = user;
    job->min_interval_s = 0.1;
    job->what[0] = '\0';
    job->total = job->done = 0;
    job->t_start = job->t_last = cs_job_now_s();
}

void cs_job_begin(cs_job *job, const char *what, int64_t total)
{
    snprintf(job->what, sizeof job->what, "%s", what ? what : "");
    job->total = total;
    job->done = 0;
    job->t_start = cs_job_now_s();
    job->t_last = 0;
}

static void emit(cs_job *job, const char *partial, bool finished)
{
    if (!job->on_event)
        return;
    double now = cs_job_now_s(), el = now - job->t_start;
    cs_job_event ev = {job->what, job->done, job->total, el, 0, -1, partial ? partial : "", finished};
    if (el > 0)
        ev.rate = (double)job->done / el;
    if (ev.rate > 0 && job->total >= job->done)
        ev.eta_s = (double)(job->total - job->done) / ev.rate;
    job->t_last = now;
    job->on_event(job->user, &ev);
}

void cs_job_progress(cs_job *job, int64_t done, const char *partial)
{
    job->done = done;
    double now = cs_job_now_s();
    if (done >= job->total || now - job->t_last >= job->min_interval_s)
        emit(job, partial, false);
}

void cs_job_finish(cs_job *job, const char *partial)
{
    emit(job, partial, true);
}

void cs_job_cancel(cs_job *job)
{
    job->cancel = 1;
}

bool cs_job_cancelled(const cs_job *job)
{
    return job->cancel != 0;
}
