/* attack.c — the attack job: samples in chunks; per model clean predictions, crafted examples, robust
 * predictions, perturbation norms and transfer to the other model; a chunk counts only when complete. */
#include "attack.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../data/npy.h"
#include "attack_craft.h"
#include "save.h"

void cs_attack_opts_default(cs_attack_opts *o, cs_attack_method method, bool l2)
{
    memset(o, 0, sizeof *o);
    o->method = method;
    o->l2 = l2;
    o->eps = l2 ? 1.0 : 0.1;
    o->alpha = o->eps / 4;
    o->steps = method == CS_ATTACK_PGD ? 10 : 0;
    o->batch = 32;
    o->seed = 1;
    cs_input_opts_default(&o->input);
}

const char *cs_attack_method_name(cs_attack_method m)
{
    return m == CS_ATTACK_FGSM ? "fgsm" : m == CS_ATTACK_PGD ? "pgd" : "simba";
}

typedef struct chunk {
    int64_t n;
    int64_t *labels;
    float *x[CS_ATTACK_MAX_MODELS], *adv[CS_ATTACK_MAX_MODELS];
    int *clean[CS_ATTACK_MAX_MODELS], *robust[CS_ATTACK_MAX_MODELS], *transfer[CS_ATTACK_MAX_MODELS];
    int64_t *queries[CS_ATTACK_MAX_MODELS];
} chunk;

static void chunk_free(chunk *c)
{
    free(c->labels);
    for (int m = 0; m < CS_ATTACK_MAX_MODELS; m++) {
        free(c->x[m]), free(c->adv[m]), free(c->clean[m]), free(c->robust[m]), free(c->transfer[m]);
        free(c->queries[m]);
    }
}

static bool chunk_alloc(chunk *c, int n_models, int64_t rows, const cs_feed *feeds)
{
    memset(c, 0, sizeof *c);
    bool ok = (c->labels = calloc((size_t)rows + 1, sizeof *c->labels)) != NULL;
    for (int m = 0; ok && m < n_models; m++) {
        size_t px = (size_t)(rows * feeds[m].sample_size + 1) * sizeof(float);
        ok = (c->x[m] = malloc(px)) && (c->adv[m] = malloc(px)) && (c->clean[m] = calloc((size_t)rows + 1, sizeof(int))) &&
             (c->robust[m] = calloc((size_t)rows + 1, sizeof(int))) &&
             (c->transfer[m] = calloc((size_t)rows + 1, sizeof(int))) &&
             (c->queries[m] = calloc((size_t)rows + 1, sizeof(int64_t)));
    }
    return ok;
}

/* Copies row last of buf (S wide) into rows last+1 .. end-1: the padding of a fixed-batch run. */
static void pad_rows(float *buf, int64_t *labels, int64_t S, int64_t last, int64_t end)
{
    for (int64_t r = last + 1; r < end; r++) {
        memcpy(buf + r * S, buf + last * S, (size_t)S * sizeof *buf);
        labels[r] = labels[last];
    }
}

/* Clean [0,1] pixels of cnt samples (rows with padding) for model f, recovered through gain and bias. */
static cs_status load_pixels(const cs_feed *f, const cs_dataset *ds, int64_t first, int64_t cnt, float *x,
                             int64_t *labels, cs_error *err)
{
    cs_tensor *t = NULL;
    cs_status st = cs_feed_batch(f, ds, first, cnt, &t, labels, err);
    int64_t S = f->sample_size, rows = cs_feed_rows(f, cnt);
    for (int64_t r = 0; st == CS_OK && r < rows; r++)
        for (int64_t i = 0; i < S; i++) {
            float g = f->gain[i], v = ((float *)t->data)[r * S + i] - f->bias[i];
            x[r * S + i] = g != 0 ? v / g : 0;
        }
    for (int64_t r = cnt; st == CS_OK && r < rows; r++)
        labels[r] = labels[cnt - 1];
    cs_tensor_free(t);
    return st;
}

/* Clean predictions, crafting and robust predictions for model m, in runs of its own batch size. */
static cs_status craft_model(const cs_feed *f, int m, const cs_attack_opts *o, const cs_dataset *ds, int64_t first,
                             chunk *c, cs_rng *rng, volatile int *cancel, cs_error *err)
{
    int64_t S = f->sample_size;
    cs_status st = CS_OK;
    memset(c->queries[m], 0, (size_t)c->n * sizeof *c->queries[m]);
    for (int64_t off = 0; st == CS_OK && off < c->n; off += f->chunk) {
        int64_t cnt = c->n - off < f->chunk ? c->n - off : f->chunk, rows = cs_feed_rows(f, cnt);
        float *x = c->x[m] + off * S, *adv = c->adv[m] + off * S;
        int64_t *labels = c->labels + off;
        st = load_pixels(f, ds, first + off, cnt, x, labels, err);
        if (st == CS_OK)
            st = cs_attack_predict(f, x, rows, labels, c->clean[m] + off, NULL, cancel, err);
        if (st == CS_OK)
            st = cs_attack_craft(f, o, x, adv, rows, labels, c->queries[m] + off, rng, cancel, err);
        if (st == CS_OK)
            st = cs_attack_predict(f, adv, rows, labels, c->robust[m] + off, NULL, cancel, err);
    }
    return st;
}

/* Predictions of model `to` on the examples crafted on model m. */
static cs_status transfer_model(const cs_feed *to, int m, chunk *c, volatile int *cancel, cs_error *err)
{
    int64_t S = to->sample_size;
    cs_status st = CS_OK;
    for (int64_t off = 0; st == CS_OK && off < c->n; off += to->chunk) {
        int64_t cnt = c->n - off < to->chunk ? c->n - off : to->chunk, rows = cs_feed_rows(to, cnt);
        pad_rows(c->adv[m], c->labels, S, off + cnt - 1, off + rows);
        st = cs_attack_predict(to, c->adv[m] + off * S, rows, c->labels + off, c->transfer[m] + off, NULL, cancel, err);
    }
    return st;
}

static cs_status run_model(const cs_feed *feeds, int n_models, int m, const cs_attack_opts *o, const cs_dataset *ds,
                           int64_t first, chunk *c, cs_rng *rng, volatile int *cancel, cs_error *err)
{
    cs_status st = craft_model(&feeds[m], m, o, ds, first, c, rng, cancel, err);
    if (st == CS_OK && n_models == 2 && feeds[0].sample_size == feeds[1].sample_size)
        st = transfer_model(&feeds[1 - m], m, c, cancel, err);
    return st;
}

static void norms(const float *a, const float *x, int64_t S, double *linf, double *l2)
{
    *linf = 0, *l2 = 0;
    for (int64_t i = 0; i < S; i++) {
        double d = fabs((double)a[i] - x[i]);
        *linf = fmax(*linf, d);
        *l2 += d * d;
    }
    *l2 = sqrt(*l2);
}

static void save_example(const cs_feed *f, const char *dir, int m, int64_t index, const float *adv)
{
    char path[1200];
    cs_tensor *t = NULL;
    cs_error err = {0};
    if (cs_attack_input(f, adv, 1, &t, &err) != CS_OK)
        return;
    memcpy(t->data, adv, (size_t)f->sample_size * sizeof(float));
    snprintf(path, sizeof path, "%s/%06lld_%c.npy", dir, (long long)index, 'A' + m);
    cs_npy_write(path, t, &err);
    cs_tensor_free(t);
    snprintf(path, sizeof path, "%s/%06lld_%c.png", dir, (long long)index, 'A' + m);
    cs_save_png(f, adv, path, &err);
}

static void score(cs_attack_result *res, const cs_feed *feeds, const chunk *c, int64_t first, const cs_attack_opts *o)
{
    for (int m = 0; m < res->n_models; m++) {
        cs_attack_model *am = &res->models[m];
        int64_t S = feeds[m].sample_size;
        for (int64_t r = 0; r < c->n; r++) {
            bool clean = c->clean[m][r] == c->labels[r], robust = c->robust[m][r] == c->labels[r];
            am->clean_correct += clean;
            am->robust_correct += robust;
            am->queries += c->queries[m][r];
            if (!clean)
                continue;
            am->attacked++;
            if (robust)
                continue;
            double linf, l2;
            norms(c->adv[m] + r * S, c->x[m] + r * S, S, &linf, &l2);
            am->successes++;
            am->sum_linf += linf, am->sum_l2 += l2;
            am->max_linf = fmax(am->max_linf, linf), am->max_l2 = fmax(am->max_l2, l2);
            if (o->save_dir)
                save_example(&feeds[m], o->save_dir, m, first + r, c->adv[m] + r * S);
            if (res->transfer_possible && c->clean[1 - m][r] == c->labels[r]) {
                res->transfer_base[m]++;
                res->transfer_hits[m] += c->transfer[m][r] != c->labels[r];
            }
        }
    }
}

static void partial_line(const cs_attack_result *res, char *buf, size_t size)
{
    int len = 0;
    buf[0] = 0;
    for (int m = 0; m < res->n_models && res->samples > 0 && len >= 0 && (size_t)len < size; m++)
        len += snprintf(buf + len, size - (size_t)len, "%sclean %c %.3f robust %.3f", m ? ", " : "", 'A' + m,
                        (double)res->models[m].clean_correct / (double)res->samples,
                        (double)res->models[m].robust_correct / (double)res->samples);
}

static cs_status open_all(cs_graph *const *graphs, const char *const *paths, int n_models, const cs_attack_opts *o,
                          cs_dataset **ds, cs_feed *feeds, cs_attack_result *res, cs_error *err)
{
    cs_status st = cs_dataset_open(o->data, ds, err);
    for (int m = 0; st == CS_OK && m < n_models; m++) {
        res->models[m].path = paths[m];
        int64_t batch = o->method == CS_ATTACK_SIMBA ? 1 : o->batch;
        st = graphs && graphs[m] ? cs_feed_open_graph(graphs[m], paths[m], *ds, &o->input, batch, &feeds[m], err)
                                 : cs_feed_open(paths[m], *ds, &o->input, batch, &feeds[m], err);
        if (st == CS_OK && feeds[m].px.batch_axis > 0)
            st = cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: attacks need the batch axis first", paths[m]);
    }
    if (st == CS_OK && o->save_dir && mkdir(o->save_dir, 0777) != 0 && errno != EEXIST)
        st = cs_error_set(err, CS_ERR_IO, "%s: cannot create the directory", o->save_dir);
    if (st == CS_OK) {
        int64_t count = cs_dataset_count(*ds);
        res->total = o->limit > 0 && o->limit < count ? o->limit : count;
        res->transfer_possible = n_models == 2 && feeds[0].sample_size == feeds[1].sample_size;
    }
    return st;
}

/* Samples per chunk: the requested batch (1 for SimBA); models run it in pieces of their own batch size. */
static int64_t chunk_size(const cs_attack_opts *o)
{
    return o->method == CS_ATTACK_SIMBA || o->batch < 1 ? 1 : o->batch;
}

cs_status cs_attack_run(const char *const *paths, int n_models, const cs_attack_opts *o, cs_job *job,
                        cs_attack_result *res, cs_error *err)
{
    return cs_attack_run_graphs(NULL, paths, n_models, o, job, res, err);
}

cs_status cs_attack_run_graphs(cs_graph *const *graphs, const char *const *paths, int n_models,
                               const cs_attack_opts *o, cs_job *job, cs_attack_result *res, cs_error *err)
{
    memset(res, 0, sizeof *res);
    res->method = o->method, res->eps = o->eps, res->l2 = o->l2, res->n_models = n_models;
    if (n_models < 1 || n_models > CS_ATTACK_MAX_MODELS)
        return cs_error_set(err, CS_ERR_ARG, "attack takes one or two models");
    cs_dataset *ds = NULL;
    cs_feed feeds[CS_ATTACK_MAX_MODELS] = {0};
    cs_rng rng = {o->seed * 0x9E3779B97F4A7C15ULL + 1};
    cs_status st = open_all(graphs, paths, n_models, o, &ds, feeds, res, err);
    int64_t k = chunk_size(o), rows = k;
    for (int m = 0; st == CS_OK && m < n_models; m++)
        rows = k + feeds[m].chunk > rows ? k + feeds[m].chunk : rows;
    chunk c;
    bool ok = chunk_alloc(&c, n_models, rows, feeds);
    if (st == CS_OK && !ok)
        st = cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    char line[200], what[64];
    snprintf(what, sizeof what, "attack %s", cs_attack_method_name(o->method));
    if (st == CS_OK) {
        cs_job_begin(job, what, res->total);
        cs_job_progress(job, 0, "attacking the first samples"); /* at once: a PGD chunk can take seconds */
    }
    for (int64_t first = 0; st == CS_OK && !cs_job_cancelled(job) && first < res->total; first += k) {
        c.n = res->total - first < k ? res->total - first : k;
        for (int m = 0; st == CS_OK && m < n_models; m++)
            st = run_model(feeds, n_models, m, o, ds, first, &c, &rng, &job->cancel, err);
        if (st == CS_OK && !cs_job_cancelled(job)) {
            score(res, feeds, &c, first, o);
            res->samples += c.n;
            partial_line(res, line, sizeof line);
            cs_job_progress(job, res->samples, line);
        }
    }
    if (st == CS_ERR_CANCELLED || (st == CS_OK && cs_job_cancelled(job)))
        res->cancelled = true, st = CS_OK;
    if (st == CS_OK) {
        partial_line(res, line, sizeof line);
        cs_job_finish(job, line);
    }
    chunk_free(&c);
    for (int m = 0; m < n_models; m++)
        cs_feed_close(&feeds[m]);
    cs_dataset_free(ds);
    return st;
}

cs_status cs_attack_run_models(cs_model *const *models, int n_models, const cs_attack_opts *o, cs_job *job,
                               cs_attack_result *res, cs_error *err)
{
    cs_graph *graphs[CS_ATTACK_MAX_MODELS] = {0};
    const char *names[CS_ATTACK_MAX_MODELS] = {0};
    for (int m = 0; m < n_models && m < CS_ATTACK_MAX_MODELS; m++)
        graphs[m] = models[m]->g, names[m] = models[m]->path;
    return cs_attack_run_graphs(graphs, names, n_models, o, job, res, err);
}
