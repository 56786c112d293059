/* eval.c — the eval job: samples in chunks, each model run batched where it can be, top-1 against
 * labels, confusion counts, agreement and the largest output difference between two models. */
#include "eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"

typedef struct chunk_out {
    int *pred;             /* per sample of the chunk */
    float *rows;           /* per sample: the output row */
    int64_t classes;
} chunk_out;

/* Runs feed on samples first .. first+n-1 and records top-1 and output rows. */
static cs_status run_chunk(const cs_feed *f, const cs_dataset *ds, int64_t first, int64_t n, chunk_out *co,
                           volatile int *cancel, cs_error *err)
{
    for (int64_t done = 0; done < n;) {
        int64_t k = n - done < f->chunk ? n - done : f->chunk;
        cs_tensor *x = NULL, *y = NULL;
        cs_status st = cs_feed_batch(f, ds, first + done, k, &x, NULL, err);
        if (st == CS_OK)
            st = cs_feed_run(f, x, &y, cancel, err);
        cs_tensor_free(x);
        if (st != CS_OK)
            return st;
        int64_t rows, C;
        cs_output_shape(y, &rows, &C);
        if (rows < k || (co->classes && co->classes != C)) {
            cs_tensor_free(y);
            return cs_error_set(err, CS_ERR_SHAPE, "%s: output 0 has %lld rows of %lld, expected %lld rows", f->path,
                                (long long)rows, (long long)C, (long long)k);
        }
        if (!co->rows && !(co->rows = malloc((size_t)(n * C + 1) * sizeof(float)))) {
            cs_tensor_free(y);
            return cs_error_set(err, CS_ERR_NOMEM, "out of memory");
        }
        co->classes = C;
        for (int64_t r = 0; r < k; r++) {
            co->pred[done + r] = cs_output_top1(y, r);
            for (int64_t c = 0; c < C; c++)
                co->rows[(done + r) * C + c] = (float)cs_tensor_get_f64(y, r * C + c);
        }
        cs_tensor_free(y);
        done += k;
    }
    return CS_OK;
}

static void score_chunk(cs_eval_result *res, chunk_out *co, const int64_t *labels, int64_t first, int64_t n)
{
    for (int m = 0; m < res->n_models; m++)
        for (int64_t i = 0; i < n; i++) {
            int64_t y = labels[i], p = co[m].pred[i];
            res->models[m].correct += p == y;
            if (y >= 0 && y < res->n_classes && p < res->n_classes)
                res->models[m].confusion[y * res->n_classes + p]++;
        }
    if (res->n_models < 2)
        return;
    bool comparable = co[0].classes == co[1].classes;
    if (!comparable)
        res->max_diff = -1;
    for (int64_t i = 0; i < n; i++) {
        res->agree += co[0].pred[i] == co[1].pred[i];
        for (int64_t c = 0; comparable && c < co[0].classes; c++) {
            double d = fabs((double)co[0].rows[i * co[0].classes + c] - co[1].rows[i * co[0].classes + c]);
            if (d > res->max_diff || isnan(d)) {
                res->max_diff = isnan(d) ? INFINITY : d;
                res->max_diff_sample = first + i;
            }
        }
    }
}

static void partial_line(const cs_eval_result *res, char *buf, size_t size)
{
    int len = 0;
    buf[0] = 0;
    for (int m = 0; m < res->n_models && res->samples > 0 && len >= 0 && (size_t)len < size; m++)
        len += snprintf(buf + len, size - (size_t)len, "%sacc %c %.4f", m ? ", " : "", 'A' + m,
                        (double)res->models[m].correct / (double)res->samples);
}

static cs_status setup(cs_model *const *models, int n_models, const cs_eval_opts *o, cs_dataset *ds, cs_feed *feeds,
                       cs_eval_result *res, cs_error *err)
{
    res->n_models = n_models;
    res->n_classes = cs_dataset_n_classes(ds);
    int64_t count = cs_dataset_count(ds);
    res->total = o->limit > 0 && o->limit < count ? o->limit : count;
    cs_status st = CS_OK;
    for (int m = 0; st == CS_OK && m < n_models; m++) {
        res->models[m].path = models[m]->path;
        res->models[m].confusion = calloc((size_t)res->n_classes * (size_t)res->n_classes + 1, sizeof(int64_t));
        if (!res->models[m].confusion)
            st = cs_error_set(err, CS_ERR_NOMEM, "out of memory");
        if (st == CS_OK)
            st = cs_feed_open_graph(models[m]->g, models[m]->path, ds, &o->input, o->batch, &feeds[m], err);
    }
    return st;
}

cs_status cs_eval_run(const char *const *paths, int n_models, const cs_eval_opts *o, cs_job *job,
                      cs_eval_result *res, cs_error *err)
{
    cs_model *models[CS_EVAL_MAX_MODELS] = {0};
    memset(res, 0, sizeof *res);
    if (n_models < 1 || n_models > CS_EVAL_MAX_MODELS)
        return cs_error_set(err, CS_ERR_ARG, "eval takes one or two models");
    cs_status st = CS_OK;
    for (int m = 0; st == CS_OK && m < n_models; m++)
        st = cs_model_open(paths[m], &models[m], err);
    if (st == CS_OK)
        st = cs_eval_run_models(models, n_models, o, job, res, err);
    for (int m = 0; m < n_models; m++) {
        res->models[m].path = paths[m]; /* the result outlives the models */
        cs_model_unref(models[m]);
    }
    return st;
}

cs_status cs_eval_run_models(cs_model *const *models, int n_models, const cs_eval_opts *o, cs_job *job,
                             cs_eval_result *res, cs_error *err)
{
    memset(res, 0, sizeof *res);
    if (n_models < 1 || n_models > CS_EVAL_MAX_MODELS)
        return cs_error_set(err, CS_ERR_ARG, "eval takes one or two models");
    cs_dataset *ds = NULL;
    cs_feed feeds[CS_EVAL_MAX_MODELS] = {0};
    cs_status st = cs_dataset_open(o->data, &ds, err);
    if (st == CS_OK)
        st = setup(models, n_models, o, ds, feeds, res, err);
    int64_t chunk = o->batch > 0 ? o->batch : 1;
    chunk_out co[CS_EVAL_MAX_MODELS] = {0};
    int64_t *labels = malloc((size_t)(chunk + 1) * sizeof *labels);
    for (int m = 0; m < n_models; m++)
        co[m].pred = malloc((size_t)(chunk + 1) * sizeof(int));
    if (st == CS_OK && (!labels || !co[0].pred || (n_models > 1 && !co[1].pred)))
        st = cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    char line[160];
    if (st == CS_OK)
        cs_job_begin(job, "eval", res->total);
    for (int64_t first = 0; st == CS_OK && !cs_job_cancelled(job) && first < res->total; first += chunk) {
        int64_t n = res->total - first < chunk ? res->total - first : chunk;
        for (int64_t i = 0; i < n; i++)
            labels[i] = cs_dataset_label(ds, first + i);
        for (int m = 0; st == CS_OK && m < n_models; m++)
            st = run_chunk(&feeds[m], ds, first, n, &co[m], &job->cancel, err);
        if (st == CS_OK) {
            score_chunk(res, co, labels, first, n);
            res->samples += n;
            partial_line(res, line, sizeof line);
            cs_job_progress(job, res->samples, line);
        }
    }
    if (st == CS_ERR_CANCELLED || (st == CS_OK && cs_job_cancelled(job))) {
        res->cancelled = true;
        st = CS_OK;
    }
    if (st == CS_OK) {
        partial_line(res, line, sizeof line);
        cs_job_finish(job, line);
    }
    if (st != CS_OK)
        cs_eval_result_free(res);
    for (int m = 0; m < n_models; m++) {
        free(co[m].pred);
        free(co[m].rows);
        cs_feed_close(&feeds[m]);
    }
    free(labels);
    cs_dataset_free(ds);
    return st;
}

void cs_eval_result_free(cs_eval_result *res)
{
    for (int m = 0; m < CS_EVAL_MAX_MODELS; m++)
        free(res->models[m].confusion);
    memset(res, 0, sizeof *res);
}
