/* align.h — puts two activations of the same layer into one layout (NHWC vs NCHW, CoreML's
 * rank-5 blobs, leading 1s) and measures how far apart they are. */
#ifndef CS_DIFF_ALIGN_H
#define CS_DIFF_ALIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "../tensor.h"

typedef struct cs_act_stats {
    bool compared;
    bool shapes_differ;    /* both values exist but hold different numbers of elements: a divergence */
    char alignment[96];    /* "same layout", "B NHWC->NCHW", or why not comparable */
    int64_t n;
    double max_abs;
    int64_t max_index;     /* flat index in A's layout of the worst element */
    double mean_abs, rmse, max_rel, cosine, nmse;
    double frac_outside;   /* fraction with |a-b| > atol + rtol*|b| (the elementwise tolerance) */
    double ref_scale;      /* max |a| over finite elements: the reference tensor's scale */
    double rel_max;        /* max_abs / ref_scale (max_abs itself when the scale is 0) */
    double sqnr_db;        /* 10 log10(sum a^2 / sum (a-b)^2); INFINITY when identical */
    int64_t nan_a, inf_a, nan_b, inf_b;
    bool within;           /* scale-aware: max_abs <= atol + rtol*ref_scale, non-finite values agreeing */
} cs_act_stats;

/* Permutation p such that dims of b permuted (b.dims[p[i]]) equal a's dims after dropping leading 1s;
 * prefers the layouts' known relation, else NHWC->NCHW, else identity-like orders. Returns false
 * when no permutation makes the shapes agree. *squeezed_rank receives the compared rank. */
bool cs_align_find(const cs_tensor *a, int layout_a, const cs_tensor *b, int layout_b, int *perm, int *rank,
                   char *desc, size_t desc_size);

/* A new f64-free float copy of b transposed into a's layout (NULL with desc set when not possible). */
cs_tensor *cs_align_to(const cs_tensor *a, int layout_a, const cs_tensor *b, int layout_b, char *desc,
                       size_t desc_size);
/* The inverse: a tensor shaped like `a_like` is rewritten in b_like's layout (used to feed A's activation to B). */
cs_tensor *cs_align_from(const cs_tensor *a_val, int layout_a, const cs_tensor *b_like, int layout_b);

/* Compares a (A's layout) and b (already aligned to a's shape): within means max|a-b| <= atol + rtol*max|a|
 * (tolerance relative to the tensor's scale); frac_outside counts elements beyond atol + rtol*|b|. */
void cs_act_compare(const cs_tensor *a, const cs_tensor *b, double rtol, double atol, cs_act_stats *out);

#endif
