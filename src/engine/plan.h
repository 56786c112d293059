/* plan.h — the execution plan of a graph (order, kernels, liveness, fusions), shared by the executor
 * (exec.c builds and runs it) and its helpers that read it (exec_fuse.c, membudget.c) without calling exec. */
#ifndef CS_PLAN_H
#define CS_PLAN_H

#include <stdbool.h>

#include "ops/ops.h"

#define CS_PLAN_POOLS 8 /* buffer pools kept per plan: one per concurrent run (sub-batches on several threads) */

typedef struct cs_plan {
    int *order;            /* node indices in execution order */
    int n_order;
    const cs_op_def **kernels; /* per node (indexed by node index) */
    int *last_use;         /* per value: position in order of its last consumer; -1 never consumed */
    bool *is_output;       /* per value: graph output (kept) */
    /* released activation buffers reused by later runs (a cache, not part of the plan's meaning: a run
     * takes one pool for its duration, or makes one when every slot is taken by concurrent runs, and puts it
     * back in a free slot) */
    _Atomic(struct cs_bufpool *) pools[CS_PLAN_POOLS];
    /* activation bytes at the peak per sample (first-axis row) of the last top-level run, 0 before one: what
     * the executor's batch splitting weighs against the weights (exec.c plan_split) */
    _Atomic size_t sample_peak;
    size_t const_bytes;    /* bytes held by the graph's constants (weights), summed once when planned */
    /* fast path (exec_fuse.c): chains one kernel call computes, used when the fast kernels are on and
     * the run observes none of the chain's inner values */
    struct cs_fusion *fusions;
    int n_fusions;
    int *fusion_of;        /* per node: the fusion it heads or belongs to, -1 none */
    int *pos;              /* per node: its position in order */
    bool *nhwc_ok;         /* per node: its output may stay channels-last (every consumer takes that layout) */
    struct cs_dnnl_cache *cache; /* oneDNN primitives and packed weights of this plan's graph */
    /* per node: the op takes sequences, optionals and string tensors (value.h); NULL when no such value can
     * arise in the graph, so numeric graphs check nothing at run time */
    bool *takes_values;
} cs_plan;

#endif
