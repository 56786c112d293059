/* probe.h — the machinery of the probes at a first divergent pair: both models re-run to capture what the
 * pair reads and writes, B's layer group run on A's input, A's group run with one change (an attribute, an
 * operand order, an input replaced), and the residual of a hypothesis against what B computed. */
#ifndef CS_DIFF_PROBE_H
#define CS_DIFF_PROBE_H

#include "../exec.h"
#include "cause_types.h"
#include "diff_types.h"

typedef struct cs_probe {
    const cs_graph *a, *b;
    const cs_diff_result *r;
    int pair;
    cs_tensor **va, **vb;     /* captured values by index (NULL when not captured) */
    cs_plan *plan_a, *plan_b;
    int a_out, b_out;         /* the pair's output values */
    cs_tensor *b_local;       /* B's group on A's input (B's layout), NULL when it could not run */
    bool reads_graph_input;   /* A's group reads a graph input directly */
} cs_probe;

/* One change to a group (A's, or B's for cs_probe_run_b): node `node` runs with `attrs` in place of its own
 * (when non-NULL), with its inputs reordered by `order` (when non-NULL: input i reads original input order[i]),
 * with input `input` replaced by `tensor`, or as op `op`. */
typedef struct cs_probe_patch {
    int node;
    const cs_attrs *attrs;
    const int *order;
    int input;
    const cs_tensor *tensor;
    const char *op;   /* when non-NULL: the node runs this op in place of its own */
} cs_probe_patch;

cs_status cs_probe_open(const cs_graph *a, const cs_graph *b, const cs_tensor *const *in_a, const cs_tensor *const *in_b,
                        const cs_diff_result *r, int pair, cs_probe *p, cs_error *err);
void cs_probe_close(cs_probe *p);

/* A's group output with the patch applied (patch may be NULL); owned, NULL when it cannot run. */
cs_tensor *cs_probe_run_a(const cs_probe *p, const cs_probe_patch *patch);
/* B's group output when the graph input it reads is replaced by `input` (B's layout); owned or NULL. */
cs_tensor *cs_probe_run_b_on(const cs_probe *p, int graph_input, const cs_tensor *input);
/* B's group output on A's input with the patch applied (node indices and attrs of B); owned or NULL. */
cs_tensor *cs_probe_run_b(const cs_probe *p, const cs_probe_patch *patch);
/* Relative residual ||h - ref|| / ||ref|| of h (in side_h's layout) against ref (side_ref's layout, aligned);
 * INFINITY when they cannot be aligned. */
double cs_probe_residual(const cs_probe *p, const cs_tensor *h, bool h_is_a, const cs_tensor *ref, bool ref_is_a);
/* The external (computed, non-constant) input of A's group node `node` number i, or NULL. */
const cs_tensor *cs_probe_a_input(const cs_probe *p, int node, int i);

#endif
