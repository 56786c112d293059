/* diff_types.h — what a diff run decides and returns (pair status, run verdict, options, per-layer figures,
 * the result): read by the verdict and probe modules that diff.c calls, so they need not include diff.h. */
#ifndef CS_DIFF_TYPES_H
#define CS_DIFF_TYPES_H

#include <stdbool.h>

#include "../graph.h"
#include "../status.h"
#include "align.h"
#include "cause_types.h"
#include "diff_files.h"
#include "match.h"
#include "weights.h"

/* A matched pair's status, decided by the diff (names and client-facing verdicts in verdict.h). */
typedef enum {
    CS_LAYER_OK = 0,        /* accumulated error within tolerance */
    CS_LAYER_INHERITED,     /* accumulated error beyond tolerance, the layer's own error within its noise floor */
    CS_LAYER_PRECISION,     /* the layer computes with lower precision (fp16 weights or values, quantization) and
                               its own error is within that precision's noise floor */
    CS_LAYER_FAULTY,        /* the layer's own error is beyond tolerance and beyond its noise floor */
    CS_LAYER_SHAPES,        /* both outputs exist with different element counts */
    CS_LAYER_B_FAILED,      /* B stopped with an error in this layer */
    CS_LAYER_UNCOMPARED,    /* no output to compare (weights-only diff, layer without output) */
    CS_LAYER_WEIGHTS_DIFFER /* weights-only diff: the stored weights differ */
} cs_layer_status;

typedef enum {
    CS_VERDICT_MATCH = 0,   /* every compared layer and the outputs agree within tolerance or float noise */
    CS_VERDICT_DIVERGE,     /* some layer's own error is beyond its noise floor, shapes differ, or B fails */
    CS_VERDICT_PRECISION    /* differences consistent with a lower precision (fp16 weights or compute,
                               quantization) and nothing else: exit 0 unless --strict */
} cs_verdict;

typedef struct cs_diff_opts {
    double rtol, atol;    /* defaults 1e-4 and 1e-5 */
    const char *map_path; /* user layer map, may be NULL */
    const cs_tol_override *overrides;
    int n_overrides;
    bool keep;            /* keep every compared activation (for the UI) */
    bool weights_only;    /* compare weights only: no input needed */
    bool strict;          /* lower-precision layers count as divergences (verdict diverge, not precision) */
    volatile int *cancel;
    const struct cs_plan *plan_a, *plan_b; /* the models' execution plans when already built (NULL: built here) */
} cs_diff_opts;

typedef struct cs_layer_diff {
    cs_weight_cmp weights;
    cs_act_stats act;     /* accumulated: both models run end to end */
    cs_act_stats local;   /* B's layer fed A's input activation (compared only where the accumulated error is
                             beyond tolerance: elsewhere the layer cannot be the divergence) */
    double noise_floor;   /* float32 noise floor of the local error (measured; 0 when not needed) */
    double inherited;     /* largest accumulated max abs among the pairs feeding B's group (-1 when none) */
    double reduction;     /* terms summed per output element, from the group's weights (1 when none) */
    cs_layer_status status;
    double rtol, atol;
    bool within;          /* status is not a divergence */
    int a_value, b_value; /* compared output values (-1 when none) */
    cs_tensor *a_out;     /* kept when opts.keep: A's output and B's aligned to A's layout */
    cs_tensor *b_out;
} cs_layer_diff;

typedef struct cs_diff_result {
    cs_matching *matching;
    cs_layer_diff *layers;     /* one per matching->pairs[i] */
    bool ran;                  /* activations compared (false for weights only) */
    int first_divergence;      /* pair index of the first layer whose status diverges, -1 when none */
    bool diverged;             /* verdict == CS_VERDICT_DIVERGE */
    cs_verdict verdict;
    char precision[32];        /* "fp16", "quantization": the precision a CS_VERDICT_PRECISION stems from */
    cs_act_stats final;        /* first graph outputs compared */
    char final_note[96];       /* how the outputs were made comparable ("A's logits put through softmax") */
    bool has_top;
    int a_top1, b_top1;
    int top5_overlap;          /* how many of A's top-5 classes are in B's top-5 */
    bool b_failed;             /* B stopped with an error part-way (a fault that breaks shapes): the pairs
                                  computed before still count, and the run diverges */
    char b_error[256];         /* B's error message when b_failed */
    cs_cause cause;            /* what to fix: the named cause of the first divergence (found=false when none) */
} cs_diff_result;

#endif
