/* bufpool.h — a pool of released tensors, reused by exact byte size, so repeated runs of a plan
 * (and values of equal size within one run) stop paying for fresh large allocations and page faults. */
#ifndef CS_BUFPOOL_H
#define CS_BUFPOOL_H

#include <stdbool.h>

#include "status.h"
#include "tensor.h"

typedef struct cs_bufpool cs_bufpool;

cs_bufpool *cs_bufpool_new(void);
/* Frees the pool and every tensor it holds; NULL is fine. */
void cs_bufpool_free(cs_bufpool *pool);

/* A tensor of the given dtype and shape: a pooled one of the same byte size when there is one
 * (zero-filled only when zero is true), else a new zero-filled one. pool may be NULL.
 * The result is an ordinary owned tensor: cs_tensor_free and cs_bufpool_give both accept it. */
cs_tensor *cs_bufpool_take(cs_bufpool *pool, cs_dtype dtype, int rank, const int64_t *dims, bool zero,
                           cs_error *err);

/* Frees the pooled tensors over `bytes` (a plan now running in sub-batches no longer needs whole-batch buffers);
 * pool may be NULL. */
void cs_bufpool_drop_over(cs_bufpool *pool, size_t bytes);

/* Hands t (owned) back to the pool for reuse, or frees it when pool is NULL or full. */
void cs_bufpool_give(cs_bufpool *pool, cs_tensor *t);

#endif
