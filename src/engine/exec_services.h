/* exec_services.h — services built on the executor for the comparison and the explorer: an observer that
 * keeps chosen values (one capture for diff, session and dumps), a captured run, and the re-run of a
 * subset of a graph's nodes on inputs supplied by the caller (layer isolation). */
#ifndef CS_EXEC_SERVICES_H
#define CS_EXEC_SERVICES_H

#include <stdbool.h>

#include "exec.h"

/* Keeps a clone of every computed value v with wanted[v] (the first time it is seen). */
typedef struct cs_capture {
    const bool *wanted;    /* per value */
    cs_tensor **values;    /* per value: the clones (owned by the caller) */
    bool failed;           /* a clone ran out of memory */
} cs_capture;

/* An observer (cs_exec_opts.observer) with user = cs_capture *. */
void cs_capture_observe(void *user, const cs_graph *g, int node, int value, const cs_tensor *t);

/* Runs g keeping the wanted values (graph inputs included); outputs as in cs_exec_run. */
cs_status cs_exec_capture(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, cs_capture *c,
                          cs_tensor **outputs, volatile int *cancel, cs_error *err);

/* Supplies a value the subset reads but does not compute: a tensor (*owned: the subset frees it) or NULL
 * when none can be given (then the subset fails with CS_ERR_ARG). */
typedef cs_tensor *(*cs_value_source_fn)(void *user, int value, bool *owned);

/* Runs the nodes n with in_subset[n], in plan order, reading constants from g, values computed inside the
 * subset from the subset, and every other value from source. *out receives an owned copy of out_value.
 * Re-entrant: it may be called from an observer of a run in progress. */
cs_status cs_exec_subset(const cs_graph *g, const cs_plan *plan, const bool *in_subset, cs_value_source_fn source,
                         void *user, int out_value, cs_tensor **out, cs_error *err);

#endif
