/* exec.h — runs an IR graph: topological order, per-node timing, liveness-planned memory
 * with a known peak, and an observer callback for every computed value. */
#ifndef CS_EXEC_H
#define CS_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "graph.h"
#include "ops/ops.h"
#include "plan.h"
#include "status.h"
#include "tensor.h"

/* Called for every value a node computes, right after the node ran.
 * The tensor is only valid during the call unless the observer clones it. */
typedef void (*cs_observer_fn)(void *user, const cs_graph *g, int node, int value, const cs_tensor *t);

typedef struct cs_exec_opts {
    cs_observer_fn observer;
    void *observer_user;
    volatile int *cancel;  /* checked between nodes when not NULL */
} cs_exec_opts;

typedef struct cs_exec_stats {
    double total_ms;
    double *node_ms;       /* per node index, allocated by cs_exec_run when not NULL on entry? see below */
    int n_nodes;
    size_t peak_bytes;     /* largest sum of live activation bytes (inputs + intermediates + outputs) */
    size_t const_bytes;    /* bytes held by constants/weights */
} cs_exec_stats;

/* Validates the graph (every consumed value defined, no cycles, every op known) and orders it. */
cs_status cs_plan_build(const cs_graph *g, cs_plan **out, cs_error *err);
/* The same validation and order, but a node whose op has no kernel gets kernels[n] == NULL instead of an
 * error (inspect shows such graphs, marking those nodes "not executable"); never run such a plan. */
cs_status cs_plan_check(const cs_graph *g, cs_plan **out, cs_error *err);
void cs_plan_free(cs_plan *plan);

/* Runs the graph. inputs[i] feeds g->inputs[i] (borrowed). outputs must have g->n_outputs slots;
 * they receive owned tensors. stats may be NULL; when given, stats->node_ms is allocated here
 * (free with cs_exec_stats_free). */
cs_status cs_exec_run(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs,
                      cs_tensor **outputs, const cs_exec_opts *opts, cs_exec_stats *stats, cs_error *err);
void cs_exec_stats_free(cs_exec_stats *stats);

/* cs_exec_run where the observer needs only the values marked in observe (per value): the fast path may
 * then fuse chains whose inner values nobody observes (the observer is called for the marked values only).
 * cs_exec_run with an observer observes every value and fuses nothing; without one it fuses freely. */
cs_status cs_exec_run_observing(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs,
                                cs_tensor **outputs, const cs_exec_opts *opts, const bool *observe,
                                cs_exec_stats *stats, cs_error *err);

/* cs_exec_run for an observer that reads only the dtype and dims of what it is given: the run fuses and keeps
 * channels-last values as an unobserved one does (dims stay logical; the data is not converted), so it builds
 * no primitives or buffers an unobserved run would not. A fused chain's result is seen once, as its tail
 * node's output; the values inside the chain are not seen. */
cs_status cs_exec_run_shapes(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs,
                             cs_tensor **outputs, const cs_exec_opts *opts, cs_exec_stats *stats, cs_error *err);

/* Runs a subgraph (the GRAPH attribute of an If/Loop/Scan node) once: inputs[i] feeds sub->inputs[i] and
 * captured[i] feeds sub->captures[i], a value of the enclosing graph read by name (both borrowed).
 * plan comes from cs_plan_build(sub) and serves every iteration. outputs (sub->n_outputs slots) get owned tensors. */
cs_status cs_exec_subgraph(const cs_graph *sub, const cs_plan *plan, const cs_tensor *const *inputs,
                           const cs_tensor *const *captured, cs_tensor **outputs, cs_error *err);

/* Runs a single node on given inputs (used by tests and by layer isolation in the diff). */
cs_status cs_exec_node(const cs_graph *g, int node, const cs_tensor *const *inputs, cs_tensor **outputs,
                       cs_error *err);
/* Runs `node` (a copy of one of g's nodes, its attributes possibly changed) on inputs: a probe's hypothesis. */
cs_status cs_exec_node_as(const cs_graph *g, const cs_node *node, const cs_tensor *const *inputs, cs_tensor **outputs,
                          cs_error *err);

#endif
