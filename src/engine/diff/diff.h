/* diff.h — the comparison core: runs two models on the same input (each through its own
 * preprocessing), compares every matched layer's weights and activations, finds the first divergence,
 * and isolates each converted layer by feeding it the original's input activation. */
#ifndef CS_DIFF_H
#define CS_DIFF_H

#include "../graph.h"
#include "../status.h"
#include "diff_types.h"

void cs_diff_opts_default(cs_diff_opts *opts);

cs_status cs_diff_run(const cs_graph *a, const cs_graph *b, const cs_tensor *const *inputs_a,
                      const cs_tensor *const *inputs_b, const cs_diff_opts *opts, cs_diff_result **out,
                      cs_error *err);
void cs_diff_result_free(cs_diff_result *r);

#endif
