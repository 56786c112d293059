/* session_internal.h — private to session*.c: the session's shared state behind its mutex, the row
 * builder and the job queue. Readers reach it only through session.h. */
#ifndef CS_SESSION_INTERNAL_H
#define CS_SESSION_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "orch/compare.h"
#include "runs/attack.h"
#include "runs/bench.h"
#include "runs/eval.h"
#include "session_types.h"
#include "summary.h"

#define CS_SESSION_PATH 1024

typedef struct session_want {
    char a[CS_SESSION_PATH], b[CS_SESSION_PATH], spec[CS_SESSION_PATH], fallback[CS_SESSION_PATH];
    char map[CS_SESSION_PATH];
    double rtol, atol;
    bool reload;               /* open again even when the paths are the same */
} session_want;

/* Everything derived from one (models, input, tolerance) configuration; replaced as a whole. */
typedef struct session_results {
    cs_compare *cmp;           /* two models: the diff as the CLI runs it (owns diff and input) */
    cs_diff_result *diff;      /* cmp->diff, or NULL */
    cs_tensor **single;        /* one model: captured value per value index (n_values) */
    int n_single;
    cs_row *rows;
    int n_rows;
    int first_div_row;
    int *ids_a, *ids_b;        /* identity arrays rows point into */
    cs_tensor *input;          /* cmp->input_a, or the one model's input (owned then) */
    char spec[CS_SESSION_PATH];
    char notes[2048];
    cs_summary **act_cache;    /* 2 per row, lazily filled by readers */
    cs_summary ***w_cache[2];  /* per side, per layer, per weight */
} session_results;

typedef struct job_entry {
    cs_job_info info;
    cs_job job;
    cs_model *models[2];       /* references taken when the job was queued: a job never reopens a file */
    int n_models;
    session_want input;        /* the input configuration when the job started (timing feeds it) */
    json_t *json;              /* the result (report/report.h) once finished */
    struct cs_session *s;
} job_entry;

struct cs_session {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t worker, jobber;
    bool quit, pending;
    volatile int cancel;       /* cancels the diff in flight */
    volatile unsigned long gen;
    session_want want, have;   /* requested and currently loaded configuration */
    cs_phase phase;
    char progress[256];
    cs_model *ma, *mb;         /* the open models (mb NULL for one) */
    cs_graph *a, *b;           /* their graphs */
    cs_session_file fa, fb;
    session_results *res;
    job_entry **jobs;
    int n_jobs, next_id;
};

void cs_session_bump(cs_session *s);
/* The input request of w (orch/inputs.h: its spec, else the fallback image when it fits, else zeros). */
void cs_session_input_req(const session_want *w, cs_input_req *req);
void cs_session_results_free(session_results *r, const cs_graph *a, const cs_graph *b);
/* Builds r->rows from the graphs and r->diff (NULL: A's layers alone). */
cs_status cs_session_build_rows(const cs_graph *a, const cs_graph *b, session_results *r, cs_error *err);
void *cs_session_job_thread(void *arg);
void cs_session_jobs_free(cs_session *s);

#endif
