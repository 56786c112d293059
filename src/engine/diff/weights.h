/* weights.h — compares the stored weights of a matched layer pair across formats: aligns layouts
 * (OIHW vs HWIO, transposed dense kernels), recomputes BatchNorm folding, and names what it finds. */
#ifndef CS_DIFF_WEIGHTS_H
#define CS_DIFF_WEIGHTS_H

#include <stdbool.h>

#include "../graph.h"
#include "weight_cmp.h"


void cs_weights_compare(const cs_graph *a, const int *layers_a, int n_a, const cs_graph *b, const int *layers_b,
                        int n_b, cs_weight_cmp *out);

#endif
