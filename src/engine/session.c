/* session.c — the explorer's engine session: a worker thread loads models, feeds the input through each
 * model's preprocessing, runs the diff (activations kept) or a captured single run, and publishes results. */
#include "session_internal.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exec_services.h"

void cs_session_bump(cs_session *s)
{
    __atomic_add_fetch(&s->gen, 1, __ATOMIC_SEQ_CST);
}

unsigned long cs_session_generation(cs_session *s)
{
    return __atomic_load_n(&s->gen, __ATOMIC_SEQ_CST);
}

void cs_session_lock(cs_session *s)
{
    pthread_mutex_lock(&s->mu);
}

void cs_session_unlock(cs_session *s)
{
    pthread_mutex_unlock(&s->mu);
}

static void set_progress(cs_session *s, cs_phase phase, const char *fmt, const char *arg)
{
    cs_session_lock(s);
    s->phase = phase;
    snprintf(s->progress, sizeof s->progress, fmt, arg);
    cs_session_unlock(s);
    cs_session_bump(s);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static void file_info(const cs_model *m, cs_session_file *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", m->path);
    snprintf(f->format, sizeof f->format, "%s", m->format);
    snprintf(f->producer, sizeof f->producer, "%s", m->producer);
    f->bytes = m->file_bytes;
    f->params = m->params;
}

/* ---- the input ---- */

void cs_session_input_req(const session_want *w, cs_input_req *req)
{
    cs_input_req_default(req);
    req->spec = w->spec;
    req->fallback = w->fallback;
}

/* ---- one model: capture every layer output ---- */

static cs_status run_single(cs_session *s, const cs_model *m, session_results *r, cs_error *err)
{
    const cs_graph *g = m->g;
    if (!m->plan)
        return CS_OK;
    cs_status st = CS_OK;
    bool *wanted = calloc((size_t)g->n_values + 1, sizeof(bool));
    cs_capture c = {wanted, calloc((size_t)g->n_values + 1, sizeof(cs_tensor *)), false};
    for (int l = 0; wanted && l < g->n_layers; l++) {
        int v = cs_layer_group_output(g, &l, 1);
        if (v >= 0)
            wanted[v] = true;
    }
    cs_tensor **outs = calloc((size_t)g->n_outputs + 1, sizeof *outs);
    if (!wanted || !c.values || !outs)
        st = cs_error_set(err, CS_ERR_NOMEM, "out of memory capturing activations");
    else
        st = cs_exec_capture(g, m->plan, (const cs_tensor *const *)&r->input, &c, outs, &s->cancel, err);
    for (int i = 0; outs && i < g->n_outputs; i++)
        cs_tensor_free(outs[i]);
    free(outs);
    free(wanted);
    r->single = c.values;
    r->n_single = g->n_values;
    return st;
}

/* ---- the worker ---- */

static cs_status load_models(cs_session *s, const session_want *w, cs_error *err)
{
    cs_model *a = NULL, *b = NULL;
    set_progress(s, CS_PHASE_BUSY, "loading %.200s", base_name(w->a));
    cs_status st = cs_model_open(w->a, &a, err);
    if (st == CS_OK && w->b[0]) {
        set_progress(s, CS_PHASE_BUSY, "loading %.200s", base_name(w->b));
        st = cs_model_open(w->b, &b, err);
    }
    if (st != CS_OK) {
        cs_model_unref(a);
        return st;
    }
    cs_session_lock(s);
    cs_session_results_free(s->res, s->a, s->b);
    s->res = NULL;
    cs_model_unref(s->ma);
    cs_model_unref(s->mb);
    s->ma = a, s->mb = b;
    s->a = a->g, s->b = b ? b->g : NULL;
    file_info(a, &s->fa);
    if (b)
        file_info(b, &s->fb);
    snprintf(s->have.a, sizeof s->have.a, "%s", w->a);
    snprintf(s->have.b, sizeof s->have.b, "%s", w->b);
    cs_session_unlock(s);
    return CS_OK;
}

/* The diff exactly as the CLI runs it (orch/compare.c), or one model's captured run. */
static cs_status compute(cs_session *s, const session_want *w, session_results *r, cs_error *err)
{
    cs_input_req req;
    cs_session_input_req(w, &req);
    set_progress(s, CS_PHASE_BUSY, "running %s", s->mb ? "the diff" : "the model");
    if (!s->mb) {
        cs_status st = cs_model_input(s->ma, &req, &r->input, r->spec, sizeof r->spec, r->notes, sizeof r->notes, err);
        return st == CS_OK ? run_single(s, s->ma, r, err) : st;
    }
    cs_diff_opts o;
    cs_diff_opts_default(&o);
    o.rtol = w->rtol, o.atol = w->atol, o.keep = true, o.cancel = &s->cancel;
    o.map_path = w->map[0] ? w->map : NULL;
    cs_status st = cs_compare_run(s->ma, s->mb, &req, &o, &r->cmp, err);
    if (st != CS_OK)
        return st;
    r->diff = r->cmp->diff;
    r->input = r->cmp->input_a;
    snprintf(r->spec, sizeof r->spec, "%s", r->cmp->spec);
    snprintf(r->notes, sizeof r->notes, "%s", r->cmp->notes_a);
    return CS_OK;
}

static void publish(cs_session *s, const session_want *w, session_results *r, const cs_error *err)
{
    cs_session_lock(s);
    if (r) {
        cs_session_results_free(s->res, s->a, s->b);
        s->res = r;
        s->have = *w;
    }
    s->phase = s->a ? CS_PHASE_READY : CS_PHASE_FAILED;
    snprintf(s->progress, sizeof s->progress, "%.250s", err && err->status != CS_OK ? err->msg : "");
    cs_session_unlock(s);
    cs_session_bump(s);
}

/* A request that failed leaves the state as it was: each field it set goes back to what is loaded, unless a
 * newer request has changed that field since (that one is still to run). */
static void forget_request(cs_session *s, const session_want *w)
{
    cs_session_lock(s);
    session_want *q = &s->want;
    const session_want *h = &s->have;
    if (strcmp(q->a, w->a) == 0 && strcmp(q->b, w->b) == 0)
        memcpy(q->a, h->a, sizeof q->a), memcpy(q->b, h->b, sizeof q->b);
    if (strcmp(q->spec, w->spec) == 0)
        memcpy(q->spec, h->spec, sizeof q->spec);
    if (strcmp(q->map, w->map) == 0)
        memcpy(q->map, h->map, sizeof q->map);
    if (q->rtol == w->rtol && q->atol == w->atol)
        q->rtol = h->rtol, q->atol = h->atol;
    cs_session_unlock(s);
}

static void process(cs_session *s, const session_want *w)
{
    cs_error err = {0};
    bool reload = w->reload || !s->a || strcmp(w->a, s->have.a) != 0 || strcmp(w->b, s->have.b) != 0;
    if (reload && load_models(s, w, &err) != CS_OK) {
        forget_request(s, w);
        publish(s, w, NULL, &err);
        return;
    }
    session_results *r = calloc(1, sizeof *r);
    cs_status st = r ? compute(s, w, r, &err) : cs_error_set(&err, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK || st == CS_ERR_CANCELLED || (r && !r->diff)) {
        cs_error rerr = {0};
        if (r && cs_session_build_rows(s->a, s->b, r, &rerr) != CS_OK && st == CS_OK)
            err = rerr, st = rerr.status;
    }
    if (st == CS_ERR_CANCELLED) {
        cs_session_results_free(r, s->a, s->b);
        return;
    }
    if (st != CS_OK && reload == false && r) {
        cs_session_results_free(r, s->a, s->b);
        r = NULL; /* keep the previous results, show the error */
    }
    if (st != CS_OK)
        forget_request(s, w);
    publish(s, w, r, &err);
}

static void *worker_main(void *arg)
{
    cs_session *s = arg;
    for (;;) {
        cs_session_lock(s);
        while (!s->quit && !s->pending)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->quit) {
            cs_session_unlock(s);
            return NULL;
        }
        session_want w = s->want;
        s->pending = false;
        s->want.reload = false;
        s->cancel = 0;
        cs_session_unlock(s);
        process(s, &w);
    }
}

cs_status cs_session_new(cs_session **out, cs_error *err)
{
    cs_session *s = calloc(1, sizeof *s);
    if (!s)
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory creating the session");
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE); /* readers may call setters while locked */
    pthread_mutex_init(&s->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_cond_init(&s->cv, NULL);
    s->want.rtol = 1e-4, s->want.atol = 1e-5;
    s->have = s->want;
    s->next_id = 1;
    if (pthread_create(&s->worker, NULL, worker_main, s) != 0) {
        free(s);
        return cs_error_set(err, CS_ERR_NOMEM, "cannot start the session's worker thread");
    }
    if (pthread_create(&s->jobber, NULL, cs_session_job_thread, s) != 0) {
        s->quit = true;
        pthread_cond_broadcast(&s->cv);
        pthread_join(s->worker, NULL);
        free(s);
        return cs_error_set(err, CS_ERR_NOMEM, "cannot start the session's job thread");
    }
    *out = s;
    return CS_OK;
}

void cs_session_free(cs_session *s)
{
    if (!s)
        return;
    cs_session_lock(s);
    s->quit = true;
    s->cancel = 1;
    for (int i = 0; i < s->n_jobs; i++)
        cs_job_cancel(&s->jobs[i]->job);
    pthread_cond_broadcast(&s->cv);
    cs_session_unlock(s);
    pthread_join(s->worker, NULL);
    pthread_join(s->jobber, NULL);
    cs_session_results_free(s->res, s->a, s->b);
    cs_session_jobs_free(s);
    cs_model_unref(s->ma);
    cs_model_unref(s->mb);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static void request(cs_session *s)
{
    s->pending = true;
    s->cancel = 1;
    pthread_cond_broadcast(&s->cv);
    cs_session_unlock(s);
    cs_session_bump(s);
}

void cs_session_open(cs_session *s, const char *path_a, const char *path_b, const char *spec,
                     const char *fallback_image)
{
    cs_session_lock(s);
    snprintf(s->want.a, sizeof s->want.a, "%s", path_a);
    snprintf(s->want.b, sizeof s->want.b, "%s", path_b ? path_b : "");
    snprintf(s->want.spec, sizeof s->want.spec, "%s", spec ? spec : "");
    snprintf(s->want.fallback, sizeof s->want.fallback, "%s", fallback_image ? fallback_image : "");
    s->want.reload = true;
    request(s);
}

void cs_session_set_input(cs_session *s, const char *spec)
{
    cs_session_lock(s);
    snprintf(s->want.spec, sizeof s->want.spec, "%s", spec ? spec : "");
    request(s);
}

void cs_session_set_tolerance(cs_session *s, double rtol, double atol)
{
    cs_session_lock(s);
    s->want.rtol = rtol, s->want.atol = atol;
    request(s);
}

void cs_session_set_map(cs_session *s, const char *map_path)
{
    cs_session_lock(s);
    snprintf(s->want.map, sizeof s->want.map, "%s", map_path ? map_path : "");
    request(s);
}

void cs_session_view_get(cs_session *s, cs_session_view *v)
{
    memset(v, 0, sizeof *v);
    v->phase = s->phase;
    memcpy(v->progress, s->progress, sizeof v->progress);
    v->a = s->a, v->b = s->b;
    v->fa = &s->fa, v->fb = s->b ? &s->fb : NULL;
    v->rtol = s->have.rtol, v->atol = s->have.atol;
    v->map_path = s->have.map;
    v->first_divergent_row = -1;
    v->input_spec = "";
    v->input_notes = "";
    if (!s->res)
        return;
    v->diff = s->res->diff;
    v->rows = s->res->rows, v->n_rows = s->res->n_rows;
    v->first_divergent_row = s->res->first_div_row;
    v->input_spec = s->res->spec;
    v->input_notes = s->res->notes;
    v->input = s->res->input;
}
