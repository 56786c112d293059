/* eval.h — accuracy of one or two models on a labelled dataset, their top-1 agreement, confusion
 * counts and the largest output difference, as a cancellable job (partial results stay consistent). */
#ifndef CS_EVAL_H
#define CS_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../data/input.h"
#include "../orch/loaded.h"
#include "jobs.h"

#define CS_EVAL_MAX_MODELS 2

typedef struct cs_eval_opts {
    const char *data;      /* dataset spec */
    int64_t limit;         /* 0 = all samples */
    int64_t batch;         /* samples per run where the batch dim is free */
    cs_input_opts input;
} cs_eval_opts;

typedef struct cs_eval_model {
    const char *path;
    int64_t correct;
    int64_t *confusion;    /* n_classes x n_classes, [label][prediction] */
} cs_eval_model;

typedef struct cs_eval_result {
    int64_t total;         /* samples asked for */
    int64_t samples;       /* samples done (all metrics are over these) */
    int n_models, n_classes;
    cs_eval_model models[CS_EVAL_MAX_MODELS];
    int64_t agree;         /* samples where both models have the same top-1 */
    double max_diff;       /* largest |a - b| over output elements, -1 when not comparable */
    int64_t max_diff_sample;
    bool cancelled;
} cs_eval_result;

cs_status cs_eval_run(const char *const *paths, int n_models, const cs_eval_opts *opts, cs_job *job,
                      cs_eval_result *res, cs_error *err);
/* The same on open models (borrowed; never reopened). */
cs_status cs_eval_run_models(cs_model *const *models, int n_models, const cs_eval_opts *opts, cs_job *job,
                             cs_eval_result *res, cs_error *err);
void cs_eval_result_free(cs_eval_result *res);

#endif
