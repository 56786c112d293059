/* compare.h — the one orchestration of a diff for every client: the same input policy for both models,
 * the models' own plans, the diff with its verdicts (diff/verdict.h), and what was fed, in one result. */
#ifndef CS_ORCH_COMPARE_H
#define CS_ORCH_COMPARE_H

#include <stdbool.h>

#include "../diff/diff.h"
#include "../diff/verdict.h"
#include "inputs.h"
#include "loaded.h"

typedef struct cs_compare {
    cs_diff_result *diff;
    cs_tensor *input_a;        /* what A was fed (previews); NULL for weights only */
    char spec[1024];           /* the input used ("blank" for zeros, "" for weights only) */
    char notes_a[2048], notes_b[2048]; /* each model's preprocessing choices */
    bool weights_only;         /* no activations compared */
    bool forced_weights_only;  /* a model holds weights only, so only weights were compared */
} cs_compare;

/* Runs the diff of a and b (both borrowed) on req's input. opts->weights_only skips the input; a model
 * without an architecture forces it. opts->plan_a/plan_b are taken from the models. */
cs_status cs_compare_run(const cs_model *a, const cs_model *b, const cs_input_req *req, const cs_diff_opts *opts,
                         cs_compare **out, cs_error *err);
void cs_compare_free(cs_compare *c);

#endif
