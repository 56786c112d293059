/* bufpool.c — released tensors kept by byte size for reuse (see bufpool.h); bounded in count and
 * bytes, the oldest entry is freed first when a new one does not fit. */
#include "bufpool.h"

#include "membudget.h"

#include <stdlib.h>
#include <string.h>

#define POOL_SLOTS 256

/* The pool may hold as much as the memory budget lets a run's activations take. A fixed cap (it was 1 GiB)
 * is too small at batch 64: MobileNetV2 releases values of ~60 distinct sizes worth ~1.2 GB, so the largest
 * were evicted every run and came back as fresh mmap'd, page-faulted memory (826 vs 604 ms a run). In steady
 * state the pool holds only what one run's peak needed of each size, because runs repeat the same sizes. */
static size_t pool_max_bytes(void)
{
    return cs_mem_budget();
}

struct cs_bufpool {
    cs_tensor *slot[POOL_SLOTS]; /* oldest first */
    int n;
    size_t bytes;
};

cs_bufpool *cs_bufpool_new(void)
{
    return calloc(1, sizeof(cs_bufpool));
}

void cs_bufpool_free(cs_bufpool *pool)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->n; i++)
        cs_tensor_free(pool->slot[i]);
    free(pool);
}

static cs_tensor *remove_at(cs_bufpool *pool, int i)
{
    cs_tensor *t = pool->slot[i];
    pool->bytes -= t->nbytes;
    memmove(pool->slot + i, pool->slot + i + 1, (size_t)(pool->n - i - 1) * sizeof *pool->slot);
    pool->n--;
    return t;
}

/* The byte size of a dtype and shape; 0 when the shape is bad (cs_tensor_new then reports why). */
static size_t shape_bytes(cs_dtype dtype, int rank, const int64_t *dims)
{
    int64_t numel;
    size_t esize = cs_dtype_size(dtype);
    if (!esize || !cs_shape_numel(rank, dims, &numel) || numel > ((int64_t)1 << 40) / (int64_t)esize)
        return 0;
    return (size_t)numel * esize;
}

cs_tensor *cs_bufpool_take(cs_bufpool *pool, cs_dtype dtype, int rank, const int64_t *dims, bool zero,
                           cs_error *err)
{
    size_t nbytes = pool ? shape_bytes(dtype, rank, dims) : 0;
    int found = -1;
    for (int i = pool && nbytes ? pool->n - 1 : -1; i >= 0 && found < 0; i--)
        if (pool->slot[i]->nbytes == nbytes)
            found = i;
    if (found < 0)
        return cs_tensor_new(dtype, rank, dims, err);
    cs_tensor *t = remove_at(pool, found);
    t->dtype = dtype;
    t->rank = rank;
    memset(t->dims, 0, sizeof t->dims);
    if (rank > 0) /* a scalar's dims may be NULL (Size, Shape of a scalar...): memcpy from NULL is undefined */
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    if (zero)
        memset(t->data, 0, t->nbytes);
    return t;
}

void cs_bufpool_drop_over(cs_bufpool *pool, size_t bytes)
{
    for (int i = pool ? pool->n - 1 : -1; i >= 0; i--)
        if (pool->slot[i]->nbytes > bytes)
            cs_tensor_free(remove_at(pool, i));
}

void cs_bufpool_give(cs_bufpool *pool, cs_tensor *t)
{
    if (!t)
        return;
    if (!pool || !t->data || t->nbytes > pool_max_bytes() || t->kind != CS_VALUE_TENSOR || t->dtype == CS_DT_STRING) {
        cs_tensor_free(t);
        return;
    }
    while (pool->n > 0 && (pool->n == POOL_SLOTS || pool->bytes + t->nbytes > pool_max_bytes()))
        cs_tensor_free(remove_at(pool, 0));
    pool->slot[pool->n++] = t;
    pool->bytes += t->nbytes;
}
