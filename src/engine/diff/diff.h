/* diff.h — the comparison core: runs two models on the same input (each through its own
 * preprocessing), compares every matched layer's weights and activations, finds the first divergence,
 * and isolates each converted layer by feeding it the original's input activation. */
#ifndef CS_DIFF_H
#define CS_DIFF_H

#include <stdbool.h>

#include "../graph.h"
#include "../status.h"
#include "align.h"
#include "cause.h"
#include "diff_files.h"
#include "match.h"
#include "weights.h"

typedef struct cs_diff_opts {
    double rtol, atol;    /* defaults 1e-4 and 1e-5 */
    const char *map_path; /* user layer map, may be NULL */
    const cs_tol_override *overrides;
    int n_overrides;
    bool keep;            /* keep every compared activation (for the UI) */
    bool weights_only;    /* compare weights only: no input needed */
    volatile int *cancel;
    const struct cs_plan *plan_a, *plan_b; /* the models' execution plans when already built (NULL: built here) */
} cs_diff_opts;

typedef struct cs_layer_diff {
    cs_weight_cmp weights;
    cs_act_stats act;     /* accumulated: both models run end to end */
    cs_act_stats local;   /* B's layer fed A's input activation */
    double rtol, atol;
    bool within;          /* act compared and no element outside tolerance (or not comparable) */
    int a_value, b_value; /* compared output values (-1 when none) */
    cs_tensor *a_out;     /* kept when opts.keep: A's output and B's aligned to A's layout */
    cs_tensor *b_out;
} cs_layer_diff;

typedef struct cs_diff_result {
    cs_matching *matching;
    cs_layer_diff *layers;     /* one per matching->pairs[i] */
    bool ran;                  /* activations compared (false for weights only) */
    int first_divergence;      /* pair index, -1 when every pair is within tolerance */
    bool diverged;             /* some pair (or the final output) is outside tolerance */
    cs_act_stats final;        /* first graph outputs compared */
    bool has_top;
    int a_top1, b_top1;
    int top5_overlap;          /* how many of A's top-5 classes are in B's top-5 */
    bool b_failed;             /* B stopped with an error part-way (a fault that breaks shapes): the pairs
                                  computed before still count, and the run diverges */
    char b_error[256];         /* B's error message when b_failed */
    cs_cause cause;            /* what to fix: the named cause of the first divergence (found=false when none) */
} cs_diff_result;

void cs_diff_opts_default(cs_diff_opts *opts);

cs_status cs_diff_run(const cs_graph *a, const cs_graph *b, const cs_tensor *const *inputs_a,
                      const cs_tensor *const *inputs_b, const cs_diff_opts *opts, cs_diff_result **out,
                      cs_error *err);
void cs_diff_result_free(cs_diff_result *r);

#endif
