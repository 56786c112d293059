/* verdict.h — what a diff result means, decided once for every client (CLI table and JSON, explorer rows and
 * detail, reports): each pair's verdict, whether a divergent layer is itself faulty or inherits its error, and
 * the run's overall verdict. Enums with name functions; no client re-derives these from the raw figures. */
#ifndef CS_DIFF_VERDICT_H
#define CS_DIFF_VERDICT_H

#include <stdbool.h>

#include "diff_types.h"

typedef enum {
    CS_PAIR_OK = 0,           /* within tolerance (or weights agree when nothing ran) */
    CS_PAIR_DIVERGE,          /* values compared: the layer's own error is beyond tolerance and its noise floor */
    CS_PAIR_SHAPES_DIFFER,    /* both outputs exist with different element counts: a divergence */
    CS_PAIR_B_FAILS,          /* B stopped with an error inside this pair: a divergence */
    CS_PAIR_NO_OUTPUT,        /* a side computes no value for the pair */
    CS_PAIR_INCOMPARABLE,     /* both exist but cannot be lined up */
    CS_PAIR_WEIGHTS_DIFFER,   /* weights-only run: the stored weights differ */
    CS_PAIR_INHERITED,        /* beyond tolerance, but the layer's own error is within its float noise floor */
    CS_PAIR_PRECISION         /* lower precision (fp16, quantization), own error within that precision's floor */
} cs_pair_verdict;

cs_pair_verdict cs_pair_verdict_of(const cs_diff_result *r, int pair);
/* The word a report prints: "ok", "DIVERGE", "no output", "incomparable", "weights differ", "inherited",
 * "precision". */
const char *cs_pair_verdict_name(cs_pair_verdict v);
/* A verdict that counts as a divergence (DIVERGE, SHAPES_DIFFER, B_FAILS). */
bool cs_pair_verdict_diverges(cs_pair_verdict v);

/* Whether a pair's own layer is at fault: its B layer fed A's input activation (isolation). */
typedef enum {
    CS_BLAME_NONE = 0,        /* the pair does not diverge */
    CS_BLAME_FAULTY,          /* the isolated layer is beyond tolerance and its noise floor: the layer is faulty */
    CS_BLAME_INHERITED,       /* the isolated layer agrees: the error comes from earlier layers */
    CS_BLAME_UNKNOWN          /* the layer could not be isolated */
} cs_blame;

cs_blame cs_pair_blame(const cs_diff_result *r, int pair);
/* "the layer itself is faulty", "inherited from earlier layers", "not isolated", "" */
const char *cs_blame_name(cs_blame b);

/* The run's verdict (decided by cs_diff_run, see cs_verdict in diff.h). */
cs_verdict cs_diff_verdict(const cs_diff_result *r);
/* "match", "diverge", "precision" */
const char *cs_verdict_name(cs_verdict v);

/* Unit roundoff of a precision: 2^-24 for float32, 2^-11 for float16. */
#define CS_UNIT_F32 5.9604644775390625e-08
#define CS_UNIT_F16 4.8828125e-04

/* The noise floor of a layer's own error from a measured sensitivity: `response` is the largest change of the
 * layer's output when each input element is scaled by (1 +- rho), `k` the reduction length (terms summed per
 * output element) and `unit` the unit roundoff. Rounding each of the k partial sums acts like an input
 * perturbation of relative size unit, and such errors add like a random walk: floor = 4 sqrt(k) (unit/rho)
 * response + 4 unit ref_scale (the final rounding of the output itself). */
double cs_noise_floor(double response, double rho, double k, double unit, double ref_scale);

/* A weight status that stems from a lower precision (fp16 rounding, quantization). */
bool cs_weights_precision(const cs_weight_cmp *w);

#endif
