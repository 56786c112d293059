/* membudget.h — the memory budget for running a model (--max-memory): a process-wide figure, a check of the
 * plan's weights + activation peak against it before a run, and what kernels may still allocate during it. */
#ifndef CS_MEMBUDGET_H
#define CS_MEMBUDGET_H

#include <stdbool.h>
#include <stddef.h>

#include "graph.h"
#include "plan.h"
#include "status.h"
#include "tensor.h"

/* The budget in bytes: set by cs_mem_set_budget, else 3/4 of physical RAM (1 GiB when RAM is unknown). */
size_t cs_mem_budget(void);
void cs_mem_set_budget(size_t bytes);
/* Parses "512M", "2G", "1.5G", "800000K" or plain bytes; false when malformed or zero. */
bool cs_mem_parse(const char *text, size_t *bytes);

/* Bytes kernels of the node running on this thread may still allocate (outputs and scratch through
 * cs_kernel_output / cs_kernel_tensor); 0 outside a run: no limit. Set by the executor around each node. */
extern _Thread_local size_t cs_mem_left;

/* Bytes the plan needs at its peak: constants plus the largest sum of live activations, simulated over the
 * execution order with the declared shapes (inputs: the given tensors). Values of unknown shape count 0 here;
 * they are checked when allocated (cs_mem_left). */
size_t cs_mem_plan_bytes(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, size_t *weights);
/* CS_ERR_NOMEM naming the figures when the plan's need is over the budget. */
cs_status cs_mem_check_plan(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, cs_error *err);

#endif
