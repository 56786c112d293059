/* verdict.h — what a diff concludes: each matched layer's status (ok, inherited error, precision, faulty...)
 * from its accumulated and isolated errors against a measured float noise floor, and the overall verdict. */
#ifndef CS_DIFF_VERDICT_H
#define CS_DIFF_VERDICT_H

#include <stdbool.h>

#include "align.h"
#include "weights.h"

typedef enum {
    CS_VERDICT_MATCH = 0,   /* every compared layer and the outputs agree within tolerance or float noise */
    CS_VERDICT_PRECISION,   /* differences consistent with a lower precision (fp16 weights or compute,
                               quantization) and nothing else: exit 0 unless --strict */
    CS_VERDICT_DIVERGE,     /* some layer's own error is beyond its noise floor, shapes differ, or B fails */
} cs_verdict;

typedef enum {
    CS_LAYER_OK = 0,        /* accumulated error within tolerance */
    CS_LAYER_INHERITED,     /* accumulated error beyond tolerance, the layer's own error within its noise floor */
    CS_LAYER_PRECISION,     /* the layer's own error is that of its lower precision (fp16 rounding) */
    CS_LAYER_FAULTY,        /* the layer's own error is beyond tolerance and beyond its noise floor */
    CS_LAYER_SHAPES,        /* both outputs exist with different element counts */
    CS_LAYER_B_FAILED,      /* B stopped with an error in this layer */
    CS_LAYER_UNCOMPARED,    /* no output to compare (weights-only diff, layer without output) */
    CS_LAYER_WEIGHTS_DIFFER /* weights-only diff: the stored weights differ */
} cs_layer_status;

const char *cs_verdict_name(cs_verdict v);          /* "match", "precision", "diverge" */
const char *cs_layer_status_name(cs_layer_status s); /* "ok", "inherited", "precision", "faulty", ... */
/* Statuses that make a diff diverge. */
bool cs_layer_status_diverges(cs_layer_status s);

/* Unit roundoff of a precision: 2^-24 for float32, 2^-11 for float16. */
#define CS_UNIT_F32 5.9604644775390625e-08
#define CS_UNIT_F16 4.8828125e-04

/* The noise floor of a layer's own error from a measured sensitivity: `response` is the largest change of the
 * layer's output when each input element is scaled by (1 +- rho), `k` the reduction length (terms summed per
 * output element) and `unit` the unit roundoff. Rounding each of the k partial sums contributes like an input
 * perturbation of relative size unit, and such errors add like a random walk: floor = 4 sqrt(k) (unit/rho)
 * response + 4 unit ref_scale (the final rounding of the output itself). */
double cs_noise_floor(double response, double rho, double k, double unit, double ref_scale);

/* A weight status that stems from a lower precision ("fp16 rounding", "quantization"). */
bool cs_weights_precision(const cs_weight_cmp *w);

#endif
