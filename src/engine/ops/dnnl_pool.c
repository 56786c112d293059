/* dnnl_pool.c — the fast path of MaxPool and AveragePool on channels-last values: oneDNN pooling primitives (or,
 * for MaxPool, pool_nhwc.h's kernel) read the N,H,W,C storage a fast convolution left, with no layout change. */
#include "dnnl_backend.h"

#include <stdlib.h>
#include <string.h>

#include "dnnl_util.h"
#include "pool_nhwc.h"
#include "spatial.h"

typedef struct pool_entry {
    const cs_node *node;        /* key: the node, its input dims and the output layout */
    int64_t xdims[4];
    bool asked_nhwc;            /* key: whether the executor allowed a channels-last output */
    bool out_nhwc;              /* the output is channels-last */
    dnnl_primitive_t prim;
    dnnl_memory_desc_t src_md, dst_md;
    int64_t ydims[4];
} pool_entry;

static void entry_free(void *p)
{
    pool_entry *e = p;
    dnnl_primitive_destroy(e->prim);
    free(e);
}

static bool entry_match(const void *p, const void *key)
{
    const pool_entry *e = p, *k = key;
    return e->node == k->node && e->asked_nhwc == k->asked_nhwc && memcmp(e->xdims, k->xdims, sizeof e->xdims) == 0;
}

/* oneDNN's algorithm for the node; false where its semantics differ from ONNX's for this window. */
static bool pool_alg(const cs_node *n, const cs_window *w, const int64_t *pad_r, dnnl_alg_kind_t *alg)
{
    if (strcmp(n->op, "MaxPool") == 0) {
        *alg = dnnl_pooling_max;
        return true;
    }
    if (strcmp(n->op, "AveragePool") != 0)
        return false;
    if (cs_attrs_int(&n->attrs, "count_include_pad", 0) == 0) {
        *alg = dnnl_pooling_avg_exclude_padding;
        return true;
    }
    /* counting pads: ONNX counts the declared pads but not the extra end a ceil_mode window reaches into */
    for (int d = 0; d < 2; d++)
        if (pad_r[d] != w->pad_end[d])
            return false;
    *alg = dnnl_pooling_avg_include_padding;
    return true;
}

/* End pads oneDNN needs for w's output sizes (ceil_mode may reach past the declared pads); false when none fit. */
static bool end_pads(const cs_window *w, int64_t *pad_r)
{
    for (int d = 0; d < 2; d++) {
        int64_t span = (w->kernel[d] - 1) * w->dilation[d] + 1;
        int64_t need = (w->out[d] - 1) * w->stride[d] + span - w->in[d] - w->pad_begin[d];
        pad_r[d] = need > w->pad_end[d] ? need : w->pad_end[d];
        if ((w->in[d] + w->pad_begin[d] + pad_r[d] - span) / w->stride[d] + 1 != w->out[d])
            return false;
        if (pad_r[d] >= span || w->pad_begin[d] >= span) /* a window wholly in padding: ONNX and oneDNN differ */
            return false;
    }
    return true;
}

static pool_entry *entry_build(const cs_kernel_ctx *ctx, const cs_tensor *x, const cs_window *w, bool out_nhwc)
{
    int64_t pad_r[2];
    dnnl_alg_kind_t alg;
    if (!end_pads(w, pad_r) || !pool_alg(ctx->node, w, pad_r, &alg))
        return NULL;
    pool_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    dnnl_dims_t xd = {x->dims[0], x->dims[1], w->in[0], w->in[1]}, yd = {x->dims[0], x->dims[1], w->out[0], w->out[1]};
    dnnl_dims_t strides = {w->stride[0], w->stride[1]}, kernel = {w->kernel[0], w->kernel[1]};
    dnnl_dims_t dil = {w->dilation[0] - 1, w->dilation[1] - 1}, pl = {w->pad_begin[0], w->pad_begin[1]};
    dnnl_dims_t pr = {pad_r[0], pad_r[1]};
    dnnl_pooling_v2_desc_t pdesc;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    bool ok = dnnl_memory_desc_init_by_tag(&e->src_md, 4, xd, dnnl_f32, dnnl_nhwc) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&e->dst_md, 4, yd, dnnl_f32, out_nhwc ? dnnl_nhwc : dnnl_nchw) ==
                  dnnl_success &&
              dnnl_pooling_v2_forward_desc_init(&pdesc, dnnl_forward_inference, alg, &e->src_md, &e->dst_md, strides,
                                                kernel, dil, pl, pr) == dnnl_success &&
              cs_dnnl_engine() && (attr = cs_dnnl_attr_new()) != NULL &&
              dnnl_primitive_desc_create(&pd, &pdesc, attr, cs_dnnl_engine(), NULL) == dnnl_success;
    const char *impl = NULL;
    /* oneDNN's reference implementation (mixed layouts, odd shapes) is far slower than the plain kernel */
    ok = ok && dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl &&
         strncmp(impl, "ref", 3) != 0 && dnnl_primitive_create(&e->prim, pd) == dnnl_success;
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    if (!ok) {
        entry_free(e);
        return NULL;
    }
    e->node = ctx->node;
    memcpy(e->xdims, x->dims, sizeof e->xdims);
    memcpy(e->ydims, yd, sizeof e->ydims);
    e->out_nhwc = out_nhwc;
    return e;
}

static bool entry_run(const pool_entry *e, const cs_tensor *x, cs_tensor *y)
{
    dnnl_memory_t ms = NULL, md = NULL;
    bool ok = dnnl_memory_create(&ms, &e->src_md, cs_dnnl_engine(), x->data) == dnnl_success &&
              dnnl_memory_create(&md, &e->dst_md, cs_dnnl_engine(), y->data) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_DST, md}};
        ok = cs_dnnl_execute(e->prim, 2, args);
    }
    dnnl_memory_destroy(ms);
    dnnl_memory_destroy(md);
    return ok;
}

/* MaxPool by the hand-written kernel (pool_nhwc.h): measured against oneDNN's primitive on ResNet-50's stem pool
 * (64 x 112 x 112 -> 56 x 56, 3 x 3 stride 2), one thread: batch 1 0.27-0.44 -> 0.24-0.28 ms, batch 64 22-28 -> 18 ms
 * (ONNX Runtime 17). */
static cs_status max_pool_own(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_window *w, bool *handled)
{
    int64_t dims[4] = {x->dims[0], x->dims[1], w->out[0], w->out[1]};
    cs_tensor *y = cs_kernel_output_raw(ctx, 0, CS_DT_F32, 4, dims);
    if (!y)
        return ctx->err->status;
    cs_maxpool_nhwc(w, x->dims[0], x->dims[1], x->data, y->data);
    ctx->out_nhwc = true;
    *handled = true;
    return CS_OK;
}

cs_status cs_dnnl_pool_nhwc(cs_kernel_ctx *ctx, bool *handled)
{
    *handled = false;
    const cs_tensor *x = ctx->n_in >= 1 ? ctx->in[0] : NULL;
    if (!x || x->dtype != CS_DT_F32 || x->rank != 4 || cs_tensor_numel(x) == 0 || ctx->n_out != 1)
        return CS_OK;
    bool ceil_mode = cs_attrs_int(&ctx->node->attrs, "ceil_mode", 0) != 0;
    cs_window w;
    if (cs_window_setup(ctx, x, NULL, ceil_mode, &w) != CS_OK) {
        cs_error_clear(ctx->err); /* the plain kernel reports the same fault on the canonical input */
        return CS_OK;
    }
    if (w.n != 2 || w.out[0] <= 0 || w.out[1] <= 0)
        return CS_OK;
    if (ctx->nhwc_out_ok && strcmp(ctx->node->op, "MaxPool") == 0 && cs_maxpool_nhwc_fits(&w))
        return max_pool_own(ctx, x, &w, handled);
    pool_entry key = {.node = ctx->node, .asked_nhwc = ctx->nhwc_out_ok};
    memcpy(key.xdims, x->dims, sizeof key.xdims);
    pool_entry *e = cs_dnnl_cache_get(ctx->cache, &key, entry_match, entry_free);
    bool fresh = !e;
    /* a row-major output may only have oneDNN's reference implementation: then a channels-last one, which
     * the executor converts where it is read */
    if (fresh && !(e = entry_build(ctx, x, &w, ctx->nhwc_out_ok)) && (ctx->nhwc_out_ok || !(e = entry_build(ctx, x, &w, true))))
        return CS_OK;
    e->asked_nhwc = ctx->nhwc_out_ok;
    cs_tensor *y = cs_kernel_output_raw(ctx, 0, CS_DT_F32, 4, e->ydims);
    bool ok = y && entry_run(e, x, y);
    ctx->out_nhwc = ok && e->out_nhwc;
    if (fresh && !cs_dnnl_cache_put(ctx->cache, e, entry_free))
        entry_free(e);
    if (!y)
        return ctx->err->status;
    if (!ok)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "oneDNN pooling failed (out of memory)");
    *handled = true;
    return CS_OK;
}
