/* weights.h — compares the stored weights of a matched layer pair across formats: aligns layouts
 * (OIHW vs HWIO, transposed dense kernels), recomputes BatchNorm folding, and names what it finds. */
#ifndef CS_DIFF_WEIGHTS_H
#define CS_DIFF_WEIGHTS_H

#include <stdbool.h>
#include <string.h>

#include "../graph.h"
#include "weight_cmp.h"

void cs_weights_compare(const cs_graph *a, const int *layers_a, int n_a, const cs_graph *b, const int *layers_b,
                        int n_b, cs_weight_cmp *out);

/* How B's tensor relates to A's when they are not equal under the layouts' own relation: a named layout
 * change (any dim permutation, an axis reversed, dense columns permuted as a channels-last flatten), a
 * per-output-channel scale, or precision rounding (fp16, bf16, int8); else "weights_different" with statistics.
 * `kind` gets a cause kind name, `detail` a phrase; la names A's layout for naming dims. */
void cs_weights_explain(const cs_tensor *a, cs_layout la, const cs_tensor *b, cs_dtype b_stored, char *kind,
                        size_t kind_size, char *detail, size_t detail_size);

/* Walks A's elements in storage order with the offset of the matching element of B, where B's dim p[k] holds
 * A's dim k (reversed when bit k of flip is set): the index arithmetic of the layout searches. */
typedef struct cs_perm_walk {
    const cs_tensor *a;
    const int *p;
    unsigned flip;
    int64_t bstride[CS_MAX_RANK], idx[CS_MAX_RANK];
} cs_perm_walk;

static inline void cs_perm_walk_init(cs_perm_walk *w, const cs_tensor *a, const cs_tensor *b, const int *p,
                                     unsigned flip)
{
    w->a = a, w->p = p, w->flip = flip;
    memset(w->idx, 0, sizeof w->idx);
    int64_t s = 1;
    for (int i = b->rank - 1; i >= 0; i--) {
        w->bstride[i] = s;
        s *= b->dims[i];
    }
}

/* B's element offset of A's current element. */
static inline int64_t cs_perm_walk_offset(const cs_perm_walk *w)
{
    int64_t off = 0;
    for (int i = 0; i < w->a->rank; i++)
        off += ((w->flip >> i) & 1 ? w->a->dims[i] - 1 - w->idx[i] : w->idx[i]) * w->bstride[w->p[i]];
    return off;
}

/* On to A's next element (row-major). */
static inline void cs_perm_walk_next(cs_perm_walk *w)
{
    for (int i = w->a->rank - 1; i >= 0; i--) {
        if (++w->idx[i] < w->a->dims[i])
            return;
        w->idx[i] = 0;
    }
}

#endif
