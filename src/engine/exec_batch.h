/* exec_batch.h — which graphs treat the samples of a batch independently, so that a large batch may run as
 * a sequence of sub-batches whose activations stay in cache (the executor's batch splitting). */
#ifndef CS_EXEC_BATCH_H
#define CS_EXEC_BATCH_H

#include <stdbool.h>

#include "graph.h"
#include "tensor.h"

/* The most inputs and outputs a graph run in sub-batches may have (larger graphs run whole). */
#define CS_BATCH_MAX_INPUTS 16
#define CS_BATCH_MAX_OUTPUTS 16

/* True when every input is batched along its first axis and every node is known, from its op, attributes and
 * constant operands, to compute sample i of its outputs from sample i of its batched inputs only, and every graph
 * output carries the batch on its first axis. Inside the graph the batch may move to another axis (a Transpose,
 * as attention blocks split heads) and is tracked there. A Shape of a batched value is allowed where the batch size
 * it holds only picks out (Gather), becomes a vector (Unsqueeze), joins a reshape target with the batch size
 * first (Concat, Reshape) or shapes an Expand/ConstantOfShape: each sub-batch then computes its own. Unknown ops,
 * subgraphs, Size, the batch size in arithmetic, and reductions, reshapes, concats or slices across the batch axis
 * all answer false. inputs are the tensors of a run (their ranks seed the analysis), order the plan's node order.
 * Conservative: false is always correct. */
bool cs_batch_separable(const cs_graph *g, const int *order, int n_order, const cs_tensor *const *inputs);

/* A borrowed view of rows [start, start+rows) of t along its first axis (t rank >= 1, a numeric tensor). */
void cs_batch_view(const cs_tensor *t, int64_t start, int64_t rows, cs_tensor *view);

/* Copies part (rows [start, start+part rows) of a total-row result) into *full, made on the first call from
 * part's dtype and shape. False (err set only on allocation failure) when part does not fit *full: the
 * caller then runs the batch whole. */
bool cs_batch_place(cs_tensor **full, const cs_tensor *part, int64_t start, int64_t total, cs_error *err);

#endif
