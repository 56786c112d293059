/* weights.h — compares the stored weights of a matched layer pair across formats: aligns layouts
 * (OIHW vs HWIO, transposed dense kernels), recomputes BatchNorm folding, and names what it finds. */
#ifndef CS_DIFF_WEIGHTS_H
#define CS_DIFF_WEIGHTS_H

#include <stdbool.h>

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

#endif
