/* jobs.h — every long run (eval, bench, attack) is a job: it reports progress events (done/total,
 * rate, ETA, a partial-result line) through a callback and stops promptly when its cancel flag is set. */
#ifndef CS_JOBS_H
#define CS_JOBS_H

#include <stdbool.h>
#include <stdint.h>

/* One progress event; valid only during the callback. */
typedef struct cs_job_event {
    const char *what;      /* "eval", "attack fgsm", "bench lenet5.onnx" */
    int64_t done, total;   /* work units (samples, runs) */
    double elapsed_s;
    double rate;           /* units per second so far */
    double eta_s;          /* seconds left at the current rate; -1 when unknown */
    const char *partial;   /* a one-line summary of the partial result ("acc 0.912"), may be "" */
    bool finished;         /* the last event of the job (complete or cancelled) */
} cs_job_event;

typedef void (*cs_job_event_fn)(void *user, const cs_job_event *ev);

/* A job's shared state. No globals: a UI thread may own one per worker. The cancel flag may be set
 * from any thread (or a signal handler) with cs_job_cancel; the worker polls it between units and
 * the executor polls it between nodes (cs_exec_opts.cancel = &job->cancel). */
typedef struct cs_job {
    volatile int cancel;
    cs_job_event_fn on_event; /* may be NULL */
    void *user;
    double min_interval_s;    /* events are throttled to at most one per interval (default 0.1 s) */
    /* private */
    char what[160];           /* a copy: the caller's string may end before the job is reported */
    int64_t total, done;
    double t_start, t_last;
} cs_job;

void cs_job_init(cs_job *job, cs_job_event_fn on_event, void *user);
/* Starts (or restarts) the clock for `total` units. */
void cs_job_begin(cs_job *job, const char *what, int64_t total);
/* Records progress; emits an event when the interval has passed (or done == total). */
void cs_job_progress(cs_job *job, int64_t done, const char *partial);
/* Emits the final event (finished = true). */
void cs_job_finish(cs_job *job, const char *partial);
void cs_job_cancel(cs_job *job);
bool cs_job_cancelled(const cs_job *job);
double cs_job_now_s(void);

#endif
