/* session_jobs.c — the session's job queue: timing, evaluation and attack runs on one worker thread, in
 * start order, posting progress and partial-result lines the UI polls; cancelled jobs keep partial results. */
#include "session_internal.h"
#include "session.h"

#include "report/report.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cs_job_params_default(cs_job_params *p, cs_job_kind kind)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    snprintf(p->data, sizeof p->data, "fashion-mnist:test");
    p->limit = kind == CS_JOB_EVAL ? 1000 : 100;
    p->runs = 2000;
    snprintf(p->method, sizeof p->method, "fgsm");
}

static void add_line(cs_job_info *info, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_line(cs_job_info *info, const char *fmt, ...)
{
    if (info->n_lines == CS_JOB_LINES) {
        memmove(info->lines[0], info->lines[1], sizeof info->lines[0] * (CS_JOB_LINES - 1));
        info->n_lines--;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->lines[info->n_lines++], sizeof info->lines[0], fmt, ap);
    va_end(ap);
}

static void on_event(void *user, const cs_job_event *ev)
{
    job_entry *j = user;
    cs_session_lock(j->s);
    j->info.done = ev->done, j->info.total = ev->total;
    j->info.rate = ev->rate, j->info.eta_s = ev->eta_s, j->info.elapsed_s = ev->elapsed_s;
    if (ev->partial && ev->partial[0] &&
        (j->info.n_lines == 0 || strcmp(j->info.lines[j->info.n_lines - 1], ev->partial) != 0))
        add_line(&j->info, "%s", ev->partial);
    cs_session_unlock(j->s);
    cs_session_bump(j->s);
}

/* ---- runners: each fills lines and json, returns the status ---- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* Times each model on the session's input (each fed through its own preprocessing), with bench's statistics. */
static cs_status run_timing(job_entry *j, json_t **json, cs_error *err)
{
    json_t *results = json_array();
    cs_status st = CS_OK;
    cs_input_req req;
    cs_session_input_req(&j->input, &req);
    for (int m = 0; m < j->n_models && st == CS_OK && !cs_job_cancelled(&j->job); m++) {
        const cs_model *model = j->models[m];
        cs_tensor *in = NULL;
        char used[CS_SESSION_PATH];
        cs_bench_opts o;
        cs_bench_opts_default(&o);
        o.runs = j->info.params.runs > 0 ? j->info.params.runs : 2000;
        o.warmup = 0;
        st = cs_model_input(model, &req, &in, used, sizeof used, NULL, 0, err);
        o.input = in, o.input_desc = used;
        cs_bench_result r;
        memset(&r, 0, sizeof r);
        if (st == CS_OK)
            st = cs_bench_run_model(model, &o, &j->job, &r, err);
        cs_session_lock(j->s);
        if (r.runs > 0)
            add_line(&j->info, "%s %s: %d runs, median %.3f ms, p90 %.3f ms%s", m ? "B" : "A", base_name(model->path),
                     r.runs, r.latency.median, r.latency.p90, r.cancelled ? " (cancelled)" : "");
        cs_session_unlock(j->s);
        if (r.runs > 0)
            json_array_append_new(results, cs_report_bench(&r));
        cs_bench_result_free(&r);
        cs_tensor_free(in);
    }
    *json = json_object();
    json_object_set_new(*json, "job", json_string("timing"));
    json_object_set_new(*json, "results", results);
    return st;
}

static cs_status run_eval(job_entry *j, json_t **json, cs_error *err)
{
    cs_eval_opts o;
    memset(&o, 0, sizeof o);
    o.data = j->info.params.data;
    o.limit = j->info.params.limit;
    o.batch = 32;
    cs_input_opts_default(&o.input);
    cs_eval_result r;
    memset(&r, 0, sizeof r);
    cs_status st = cs_eval_run_models(j->models, j->n_models, &o, &j->job, &r, err);
    if (st == CS_OK || r.samples > 0) {
        double acc_a = r.samples ? (double)r.models[0].correct / (double)r.samples : 0;
        double acc_b = r.samples && j->n_models > 1 ? (double)r.models[1].correct / (double)r.samples : 0;
        cs_session_lock(j->s);
        if (j->n_models > 1)
            add_line(&j->info, "%lld/%lld samples: acc A %.4f B %.4f, agree %lld%s", (long long)r.samples,
                     (long long)r.total, acc_a, acc_b, (long long)r.agree, r.cancelled ? " (cancelled)" : "");
        else
            add_line(&j->info, "%lld/%lld samples: acc A %.4f%s", (long long)r.samples, (long long)r.total, acc_a,
                     r.cancelled ? " (cancelled)" : "");
        cs_session_unlock(j->s);
        *json = cs_report_eval(&r, o.data);
        json_object_set_new(*json, "job", json_string("eval"));
    }
    cs_eval_result_free(&r);
    return st;
}

static bool parse_method(const char *m, cs_attack_method *out)
{
    *out = strcmp(m, "pgd") == 0 ? CS_ATTACK_PGD : strcmp(m, "simba") == 0 ? CS_ATTACK_SIMBA : CS_ATTACK_FGSM;
    return strcmp(m, "fgsm") == 0 || strcmp(m, "pgd") == 0 || strcmp(m, "simba") == 0;
}

static cs_status run_attack(job_entry *j, json_t **json, cs_error *err)
{
    const cs_job_params *p = &j->info.params;
    cs_attack_opts o;
    cs_attack_method method;
    if (!parse_method(p->method, &method))
        return cs_error_set(err, CS_ERR_ARG, "attack: method is fgsm, pgd or simba, not '%s'", p->method);
    cs_attack_opts_default(&o, method, false);
    if (p->eps > 0)
        o.eps = p->eps, o.alpha = p->eps / 4;
    if (p->steps > 0)
        o.steps = p->steps;
    o.data = p->data, o.limit = p->limit, o.save_dir = j->info.adv_dir;
    cs_attack_result r;
    memset(&r, 0, sizeof r);
    cs_status st = cs_attack_run_models(j->models, j->n_models, &o, &j->job, &r, err);
    if (st == CS_OK || r.samples > 0) {
        cs_session_lock(j->s);
        for (int m = 0; m < r.n_models; m++) {
            const cs_attack_model *am = &r.models[m];
            add_line(&j->info, "%s: clean %lld robust %lld of %lld, success %lld/%lld", m ? "B" : "A",
                     (long long)am->clean_correct, (long long)am->robust_correct, (long long)r.samples,
                     (long long)am->successes, (long long)am->attacked);
        }
        add_line(&j->info, "adversarial examples in %s", j->info.adv_dir);
        cs_session_unlock(j->s);
        *json = cs_report_attack(&r, j->info.adv_dir);
        json_object_set_new(*json, "job", json_string("attack"));
    }
    return st;
}

/* ---- the queue ---- */

static job_entry *next_queued(cs_session *s)
{
    for (int i = 0; i < s->n_jobs; i++)
        if (s->jobs[i]->info.state == CS_JOB_QUEUED)
            return s->jobs[i];
    return NULL;
}

static void run_one(cs_session *s, job_entry *j)
{
    cs_error err = {0};
    json_t *json = NULL;
    cs_status st = j->info.params.kind == CS_JOB_BENCH ? run_timing(j, &json, &err)
                 : j->info.params.kind == CS_JOB_EVAL  ? run_eval(j, &json, &err)
                                                       : run_attack(j, &json, &err);
    cs_session_lock(s);
    j->json = json;
    if (st == CS_ERR_CANCELLED || (st == CS_OK && cs_job_cancelled(&j->job)))
        j->info.state = CS_JOB_CANCELLED;
    else if (st != CS_OK) {
        j->info.state = CS_JOB_FAILED;
        add_line(&j->info, "error: %s", err.msg);
    } else
        j->info.state = CS_JOB_DONE;
    cs_session_unlock(s);
    cs_session_bump(s);
}

void *cs_session_job_thread(void *arg)
{
    cs_session *s = arg;
    cs_session_lock(s);
    for (;;) {
        job_entry *j = NULL;
        while (!s->quit && !(j = next_queued(s)))
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->quit)
            break;
        j->info.state = CS_JOB_RUNNING;
        cs_session_unlock(s);
        cs_session_bump(s);
        run_one(s, j);
        cs_session_lock(s);
    }
    cs_session_unlock(s);
    return NULL;
}

int cs_session_job_start(cs_session *s, const cs_job_params *p, cs_error *err)
{
    cs_session_lock(s);
    job_entry *j = s->ma ? calloc(1, sizeof *j) : NULL;
    job_entry **grown = j ? realloc(s->jobs, (size_t)(s->n_jobs + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(j);
        cs_session_unlock(s);
        return cs_error_set(err, s->ma ? CS_ERR_NOMEM : CS_ERR_ARG, "%s",
                            s->ma ? "out of memory queueing the job" : "no model is open yet"), -1;
    }
    s->jobs = grown;
    s->jobs[s->n_jobs++] = j;
    j->s = s;
    j->info.id = s->next_id++;
    j->info.params = *p;
    j->info.eta_s = -1;
    j->models[j->n_models++] = cs_model_ref(s->ma); /* the open models, never the files again */
    if (s->mb)
        j->models[j->n_models++] = cs_model_ref(s->mb);
    j->input = s->have;
    if (s->res && strcmp(s->res->spec, "blank") != 0)
        snprintf(j->input.spec, sizeof j->input.spec, "%s", s->res->spec);
    if (p->kind == CS_JOB_ATTACK)
        snprintf(j->info.adv_dir, sizeof j->info.adv_dir, "%.200s/convscope-adv-%d-%d",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), j->info.id);
    if (p->kind == CS_JOB_BENCH)
        snprintf(j->info.title, sizeof j->info.title, "#%d timing, %d runs", j->info.id, p->runs);
    else if (p->kind == CS_JOB_EVAL)
        snprintf(j->info.title, sizeof j->info.title, "#%d eval %.60s, %lld samples", j->info.id, p->data,
                 (long long)p->limit);
    else
        snprintf(j->info.title, sizeof j->info.title, "#%d attack %s eps %g on %.60s", j->info.id, p->method,
                 p->eps, p->data);
    cs_job_init(&j->job, on_event, j);
    pthread_cond_broadcast(&s->cv);
    cs_session_unlock(s);
    cs_session_bump(s);
    return j->info.id;
}

static job_entry *find(cs_session *s, int id)
{
    for (int i = 0; i < s->n_jobs; i++)
        if (s->jobs[i]->info.id == id)
            return s->jobs[i];
    return NULL;
}

void cs_session_job_cancel(cs_session *s, int id)
{
    cs_session_lock(s);
    job_entry *j = find(s, id);
    if (j && j->info.state == CS_JOB_QUEUED)
        j->info.state = CS_JOB_CANCELLED;
    if (j)
        cs_job_cancel(&j->job);
    cs_session_unlock(s);
    cs_session_bump(s);
}

int cs_session_n_jobs(cs_session *s)
{
    return s->n_jobs;
}

const cs_job_info *cs_session_job_at(cs_session *s, int i)
{
    return i >= 0 && i < s->n_jobs ? &s->jobs[i]->info : NULL;
}

bool cs_session_jobs_active(cs_session *s)
{
    bool active = false;
    cs_session_lock(s);
    for (int i = 0; i < s->n_jobs; i++)
        active = active || s->jobs[i]->info.state <= CS_JOB_RUNNING;
    cs_session_unlock(s);
    return active;
}

cs_status cs_session_job_save(cs_session *s, int id, const char *path, cs_error *err)
{
    cs_session_lock(s);
    job_entry *j = find(s, id);
    json_t *json = j && j->json ? json_incref(j->json) : NULL;
    cs_session_unlock(s);
    if (!json)
        return cs_error_set(err, CS_ERR_ARG, "job %d has no result to save yet", id);
    cs_status st = cs_json_save(json, path, err);
    json_decref(json);
    return st;
}

/* Removes an attack job's folder of adversarial examples (files made by the job only). */
static void remove_adv_dir(const char *dir)
{
    DIR *d = dir[0] ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[600];
        if (e->d_name[0] != '.' && snprintf(path, sizeof path, "%.300s/%.255s", dir, e->d_name) < (int)sizeof path)
            unlink(path);
    }
    if (d) {
        closedir(d);
        rmdir(dir);
    }
}

void cs_session_jobs_free(cs_session *s)
{
    for (int i = 0; i < s->n_jobs; i++) {
        remove_adv_dir(s->jobs[i]->info.adv_dir);
        json_decref(s->jobs[i]->json);
        for (int m = 0; m < s->jobs[i]->n_models; m++)
            cs_model_unref(s->jobs[i]->models[m]);
        free(s->jobs[i]);
    }
    free(s->jobs);
    s->jobs = NULL, s->n_jobs = 0;
}
