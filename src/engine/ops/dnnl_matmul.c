/* dnnl_matmul.c — the fast path of MatMul with constant 2-D weights: oneDNN's matmul primitive, the weights
 * packed once per plan in the layout it picks, a fused bias row as its bias, primitives cached per row count. */
#include "dnnl_backend.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_util.h"
#include "fastpath.h"

/* Packed weights (and bias), shared by the entries of one node (row counts differ between a whole batch and its
 * sub-batches) that pack them alike, so a plan holds one packed copy. */
typedef struct mm_packed {
    dnnl_memory_t weights, bias;
    dnnl_memory_desc_t wmd;
    _Atomic int refs;
} mm_packed;

typedef struct mm_entry {
    const cs_node *node;     /* key: the node, its weights and bias, the rows and the threads */
    const void *wdata, *bdata;
    int64_t rows, k, n;
    int nthr;
    dnnl_primitive_t prim;
    dnnl_memory_desc_t src_md, dst_md;
    mm_packed *pk;
    bool packed_here;
} mm_entry;

static void entry_free(void *p)
{
    mm_entry *e = p;
    dnnl_primitive_destroy(e->prim);
    if (e->pk && atomic_fetch_sub(&e->pk->refs, 1) == 1) {
        cs_dnnl_pack_free(e->pk->weights);
        cs_dnnl_pack_free(e->pk->bias);
        free(e->pk);
    }
    free(e);
}

static bool entry_match(const void *p, const void *key)
{
    const mm_entry *e = p, *k = key;
    return e->node == k->node && e->wdata == k->wdata && e->bdata == k->bdata && e->rows == k->rows &&
           e->k == k->k && e->n == k->n && e->nthr == k->nthr;
}

typedef struct share_key {
    const mm_entry *entry;
    const dnnl_memory_desc_t *wmd;
} share_key;

static bool share_match(const void *p, const void *key)
{
    const mm_entry *e = p;
    const share_key *k = key;
    return e->node == k->entry->node && e->wdata == k->entry->wdata && e->bdata == k->entry->bdata && e->pk &&
           dnnl_memory_desc_equal(&e->pk->wmd, k->wmd);
}

/* The weights and bias packed into the primitive's layouts, or those of another entry of the node. */
static bool pack(const cs_kernel_ctx *ctx, dnnl_primitive_desc_t pd, const float *w, const float *bias, mm_entry *e)
{
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    share_key key = {e, wmd};
    const mm_entry *other = cs_dnnl_cache_get(ctx->cache, &key, share_match, entry_free);
    if (other) {
        atomic_fetch_add(&other->pk->refs, 1);
        e->pk = other->pk;
        return true;
    }
    if (!(e->pk = calloc(1, sizeof *e->pk)))
        return false;
    atomic_init(&e->pk->refs, 1);
    e->pk->wmd = *wmd;
    dnnl_memory_desc_t user_w, user_b;
    dnnl_dims_t wd = {e->k, e->n}, bd = {1, e->n};
    bool ok = dnnl_memory_desc_init_by_tag(&user_w, 2, wd, dnnl_f32, dnnl_ab) == dnnl_success &&
              cs_dnnl_pack(&user_w, w, wmd, &e->pk->weights);
    if (ok && bias)
        ok = dnnl_memory_desc_init_by_tag(&user_b, 2, bd, dnnl_f32, dnnl_ab) == dnnl_success &&
             cs_dnnl_pack(&user_b, bias, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), &e->pk->bias);
    e->packed_here = ok;
    return ok;
}

/* Threads for the product: its single-thread time estimated as for a convolution (dnnl_conv.c: about 80 MACs
 * and 40 bytes of activations per ns on one AVX-512 core), then cs_threads_for_cost. */
static int mm_threads(int64_t rows, int64_t k, int64_t n)
{
    double macs = (double)rows * (double)k * (double)n, bytes = 4.0 * (double)rows * (double)(k + n);
    return cs_threads_for_cost(macs / 80e3 + bytes / 40e3);
}

static mm_entry *entry_build(const cs_kernel_ctx *ctx, const mm_entry *key, const float *w, const float *bias)
{
    mm_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    *e = *key;
    cs_threads_cap(e->nthr); /* oneDNN sizes its partition to the threads seen when the primitive is made */
    dnnl_dims_t sd = {e->rows, e->k}, wd = {e->k, e->n}, dd = {e->rows, e->n}, bd = {1, e->n};
    dnnl_memory_desc_t any_w, bmd;
    bool ok = dnnl_memory_desc_init_by_tag(&e->src_md, 2, sd, dnnl_f32, dnnl_ab) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&e->dst_md, 2, dd, dnnl_f32, dnnl_ab) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&any_w, 2, wd, dnnl_f32, dnnl_format_tag_any) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&bmd, 2, bd, dnnl_f32, dnnl_ab) == dnnl_success;
    dnnl_matmul_desc_t md;
    ok = ok && dnnl_matmul_desc_init(&md, &e->src_md, &any_w, bias ? &bmd : NULL, &e->dst_md) == dnnl_success;
    dnnl_primitive_attr_t attr = ok ? cs_dnnl_attr_new() : NULL;
    dnnl_primitive_desc_t pd = NULL;
    ok = ok && attr && dnnl_primitive_desc_create(&pd, &md, attr, cs_dnnl_engine(), NULL) == dnnl_success;
    ok = ok && pack(ctx, pd, w, bias, e) && dnnl_primitive_create(&e->prim, pd) == dnnl_success;
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    cs_threads_cap(0);
    if (!ok) {
        entry_free(e);
        return NULL;
    }
    return e;
}

static bool entry_run(const mm_entry *e, const float *a, float *y)
{
    dnnl_memory_t ms = NULL, md = NULL;
    bool ok = dnnl_memory_create(&ms, &e->src_md, cs_dnnl_engine(), (void *)a) == dnnl_success &&
              dnnl_memory_create(&md, &e->dst_md, cs_dnnl_engine(), y) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, e->pk->weights}, {DNNL_ARG_DST, md},
                                  {DNNL_ARG_BIAS, e->pk->bias}};
        ok = cs_dnnl_execute(e->prim, e->pk->bias ? 4 : 3, args);
    }
    dnnl_memory_destroy(ms);
    dnnl_memory_destroy(md);
    return ok;
}

cs_status cs_dnnl_matmul(cs_kernel_ctx *ctx, int64_t rows, const float *a, const cs_tensor *b, const cs_tensor *bias,
                         float *y, bool *handled)
{
    *handled = false;
    const cs_tensor *wc = ctx->graph && ctx->node ? cs_dnnl_const_input(ctx->graph, ctx->node, 1) : NULL;
    if (!wc || wc->data != b->data || b->dtype != CS_DT_F32 || b->rank != 2 || rows <= 0 || b->dims[0] <= 0 ||
        b->dims[1] <= 0 || (bias && (bias->dtype != CS_DT_F32 || cs_tensor_numel(bias) != b->dims[1])))
        return CS_OK;
    mm_entry key = {.node = ctx->node, .wdata = b->data, .bdata = bias ? bias->data : NULL, .rows = rows,
                    .k = b->dims[0], .n = b->dims[1]};
    key.nthr = mm_threads(key.rows, key.k, key.n);
    mm_entry *e = cs_dnnl_cache_get(ctx->cache, &key, entry_match, entry_free);
    bool fresh = !e;
    if (fresh && !(e = entry_build(ctx, &key, b->data, bias ? bias->data : NULL)))
        return CS_OK; /* oneDNN has no primitive for it: the caller's GEMM runs */
    cs_threads_cap(e->nthr);
    bool ok = entry_run(e, a, y);
    cs_threads_cap(0);
    if (fresh && e->packed_here && ctx->cache)
        cs_dnnl_cache_count_packed(ctx->cache, dnnl_memory_desc_get_size(&e->pk->wmd) +
                                                   (e->pk->bias ? (size_t)key.n * sizeof(float) : 0));
    if (fresh && !cs_dnnl_cache_put(ctx->cache, e, entry_free))
        entry_free(e);
    if (!ok)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "oneDNN matrix product failed (out of memory)");
    *handled = true;
    return CS_OK;
}
