/* dnnl_conv.c — the fast path of Conv: oneDNN convolution primitives (any group count, 1-3 spatial dims)
 * in the layout oneDNN picks, weights reordered once and primitives cached per plan, fused post-ops. */
#include "dnnl_backend.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "conv_stream.h"
#include "dnnl_util.h"
#include "fastpath.h"
#include "parallel.h"
#include "vecmath.h"

/* Packed weights and bias, shared by the entries of one node that pack them alike (a run with an observer
 * and one fused differ only in post-ops), so a model holds one packed copy: oneDNN's, or the streamed
 * kernel's (conv_stream.h) for convolutions with few output pixels and large weights. */
typedef struct packed {
    dnnl_memory_t weights, bias;
    cs_stream_conv *stream;    /* instead of weights and bias */
    dnnl_memory_desc_t wmd;
    int bn_node;
    _Atomic int refs;
} packed;

typedef struct conv_entry {
    const cs_node *node;       /* key: the node, its input shape and the fusion asked for */
    int64_t xdims[CS_MAX_RANK];
    int xrank;
    const cs_fusion *fuse;
    const void *wdata;         /* key: the weight data the packed copy came from */
    bool in_nhwc, sum_nhwc, nhwc_out_ok; /* key: layouts of X and the residual, and what Y may be */
    bool out_nhwc;             /* Y is stored channels-last (the primitive's own layout) */
    dnnl_primitive_t prim;
    dnnl_memory_desc_t src_md, dst_md, user_md_x, user_md_y, user_md_sum;
    dnnl_primitive_t src_reorder, dst_reorder, sum_reorder; /* NULL where layouts agree */
    packed *pk;
    bool packed_here;          /* pk was made for this entry (not shared): counted once in the cache */
    size_t src_bytes, dst_bytes;
    int nthr;                  /* key: threads it was built for and runs on (conv_threads) */
    cs_conv_shape shape;       /* the shape it was built for (the streamed kernel runs it) */
} conv_entry;

static void entry_free(void *p)
{
    conv_entry *e = p;
    dnnl_primitive_destroy(e->prim);
    dnnl_primitive_destroy(e->src_reorder);
    dnnl_primitive_destroy(e->dst_reorder);
    dnnl_primitive_destroy(e->sum_reorder);
    if (e->pk && atomic_fetch_sub(&e->pk->refs, 1) == 1) {
        cs_dnnl_pack_free(e->pk->weights);
        cs_dnnl_pack_free(e->pk->bias);
        cs_stream_conv_free(e->pk->stream);
        free(e->pk);
    }
    free(e);
}

/* ---- weights: the node's W and B, with a BatchNormalization folded in when the fusion asks ---- */

static const cs_tensor *const_input(const cs_graph *g, const cs_node *n, int i)
{
    if (i >= n->n_inputs || n->inputs[i] < 0)
        return NULL;
    return g->values[n->inputs[i]].data;
}

static bool bn_params(const cs_graph *g, const cs_node *bn, int64_t m, const float *p[4], double *eps)
{
    for (int i = 0; i < 4; i++) {
        const cs_tensor *t = const_input(g, bn, i + 1);
        if (!t || t->dtype != CS_DT_F32 || cs_tensor_numel(t) != m)
            return false;
        p[i] = t->data;
    }
    *eps = cs_attrs_float(&bn->attrs, "epsilon", 1e-5);
    return true;
}

/* Folds y = scale * (conv + b - mean) / sqrt(var + eps) + shift into w and b (both m rows, copied). */
static bool fold_bn(const cs_graph *g, const cs_fusion *f, int64_t m, int64_t per_m, float *w, float *b)
{
    if (!f || f->bn_node < 0)
        return true;
    const float *p[4];
    double eps;
    if (!bn_params(g, &g->nodes[f->bn_node], m, p, &eps))
        return false;
    for (int64_t o = 0; o < m; o++) {
        double k = p[0][o] / sqrt((double)p[3][o] + eps);
        for (int64_t i = 0; i < per_m; i++)
            w[o * per_m + i] = (float)(w[o * per_m + i] * k);
        b[o] = (float)((b[o] - (double)p[2][o]) * k + p[1][o]);
    }
    return true;
}

/* ---- descriptors ---- */

/* Row-major layouts by spatial rank (1-3): activations N,C,spatial; weights O,I,k and G,O,I,k. */
static dnnl_format_tag_t act_tag(int nsp)
{
    return nsp == 1 ? dnnl_ncw : nsp == 2 ? dnnl_nchw : dnnl_ncdhw;
}

static dnnl_format_tag_t weight_tag(int nsp, bool grouped)
{
    if (grouped)
        return nsp == 1 ? dnnl_goiw : nsp == 2 ? dnnl_goihw : dnnl_goidhw;
    return nsp == 1 ? dnnl_oiw : nsp == 2 ? dnnl_oihw : dnnl_oidhw;
}

/* SiLU is applied after the primitive, by cs_vsilu over its output, not as oneDNN's swish post-op: measured on
 * EfficientNet-B0 at batch 1 against ORT's convolution + QuickGelu, the post-op cost 0.6-0.8 ns an element inside
 * the convolution kernels, the separate vectorised pass about 0.45 then (0.25 since, vecmath.h); a run on one
 * thread took 11.03 ms against 11.79 fused (medians of 4 x 40 runs). */
static bool act_after(const cs_fusion *f)
{
    return f && f->act == CS_ACT_SILU;
}

static bool post_ops(const cs_fusion *f, dnnl_primitive_attr_t attr)
{
    if (!f || (f->sum_value < 0 && (f->act == CS_ACT_NONE || act_after(f))))
        return true;
    dnnl_post_ops_t po;
    if (dnnl_post_ops_create(&po) != dnnl_success)
        return false;
    bool ok = true;
    if (f->sum_value >= 0)
        ok = dnnl_post_ops_append_sum(po, 1.0f) == dnnl_success;
    if (ok && f->act != CS_ACT_NONE && !act_after(f)) {
        dnnl_alg_kind_t alg;
        float a = 0, b = 0;
        if (!cs_dnnl_act_alg(f->act, f->alpha, f->beta, &alg, &a, &b))
            ok = false;
        else
            ok = dnnl_post_ops_append_eltwise(po, 1.0f, alg, a, b) == dnnl_success;
    }
    ok = ok && dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    dnnl_post_ops_destroy(po);
    return ok;
}

typedef struct conv_geom {
    int nsp, rank;
    dnnl_dims_t x, w, y, b, strides, dilates, pad_l, pad_r;
    int64_t group;
} conv_geom;

static void geom_make(const cs_conv_shape *s, conv_geom *cg)
{
    memset(cg, 0, sizeof *cg);
    cg->nsp = s->win.n;
    cg->rank = s->win.n + 2;
    cg->group = s->group;
    cg->x[0] = cg->y[0] = s->batch;
    cg->x[1] = s->in_channels;
    cg->y[1] = s->out_channels;
    int wo = 0;
    if (s->group > 1)
        cg->w[wo++] = s->group;
    cg->w[wo++] = s->out_channels / s->group;
    cg->w[wo++] = s->in_channels / s->group;
    for (int d = 0; d < s->win.n; d++) {
        cg->x[2 + d] = s->win.in[d];
        cg->y[2 + d] = s->win.out[d];
        cg->w[wo + d] = s->win.kernel[d];
        cg->strides[d] = s->win.stride[d];
        cg->dilates[d] = s->win.dilation[d] - 1;
        cg->pad_l[d] = s->win.pad_begin[d];
        cg->pad_r[d] = s->win.pad_end[d];
    }
    cg->b[0] = s->out_channels;
}

/* W and B (m output channels) with the fusion's BatchNormalization folded in: *wc is a copy only where there is
 * one to fold (a transient copy of every weight would leave the heap fragmented by the size of the largest ones:
 * glibc keeps such freed blocks resident), else NULL; *bc is always a copy (zeros without B). Free both. */
static bool folded(const cs_kernel_ctx *ctx, int64_t m, const cs_tensor *w, const cs_tensor *b, float **wc, float **bc)
{
    bool fold = ctx->fuse && ctx->fuse->bn_node >= 0;
    *wc = fold ? malloc((size_t)cs_tensor_numel(w) * sizeof **wc) : NULL;
    *bc = calloc((size_t)m, sizeof **bc);
    if ((!*wc && fold) || !*bc)
        return false;
    if (fold)
        memcpy(*wc, w->data, w->nbytes);
    if (b)
        memcpy(*bc, b->data, (size_t)m * sizeof **bc);
    return fold_bn(ctx->graph, ctx->fuse, m, cs_tensor_numel(w) / m, *wc, *bc);
}

static packed *packed_new(const cs_kernel_ctx *ctx)
{
    packed *pk = calloc(1, sizeof *pk);
    if (pk) {
        atomic_init(&pk->refs, 1);
        pk->bn_node = ctx->fuse ? ctx->fuse->bn_node : -1;
    }
    return pk;
}

/* Packs W (and B, BN folded) once into the primitive's layout. */
static bool pack_weights(const cs_kernel_ctx *ctx, const conv_geom *cg, const cs_tensor *w, const cs_tensor *b,
                         dnnl_primitive_desc_t pd, conv_entry *e)
{
    float *wc, *bc;
    bool ok = folded(ctx, cg->y[1], w, b, &wc, &bc);
    bool fold = wc != NULL;
    dnnl_memory_desc_t user_w, user_b;
    ok = ok && dnnl_memory_desc_init_by_tag(&user_w, cg->rank + (cg->group > 1), cg->w, dnnl_f32,
                                            weight_tag(cg->nsp, cg->group > 1)) == dnnl_success;
    ok = ok && dnnl_memory_desc_init_by_tag(&user_b, 1, cg->b, dnnl_f32, dnnl_a) == dnnl_success;
    ok = ok && (e->pk = packed_new(ctx)) != NULL;
    if (ok)
        e->pk->wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    ok = ok && cs_dnnl_pack(&user_w, fold ? wc : w->data, &e->pk->wmd, &e->pk->weights);
    ok = ok && cs_dnnl_pack(&user_b, bc, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), &e->pk->bias);
    e->packed_here = ok;
    free(wc);
    free(bc);
    return ok;
}

/* Packs W (and B, BN folded) once for the streamed kernel. */
static bool pack_stream(const cs_kernel_ctx *ctx, const cs_conv_shape *s, const cs_tensor *w, const cs_tensor *b,
                        conv_entry *e)
{
    float *wc, *bc;
    bool ok = folded(ctx, s->out_channels, w, b, &wc, &bc) && (e->pk = packed_new(ctx)) != NULL &&
              (e->pk->stream = cs_stream_conv_pack(s, wc ? wc : w->data, bc)) != NULL;
    e->packed_here = ok;
    free(wc);
    free(bc);
    return ok;
}

/* Y stays in the primitive's layout when that is channels-last and the executor accepts it. */
static bool make_reorders(conv_entry *e, const conv_geom *cg, bool has_sum)
{
    dnnl_memory_desc_t nhwc_y;
    bool ok = true;
    if (e->nhwc_out_ok && cg->rank == 4 &&
        dnnl_memory_desc_init_by_tag(&nhwc_y, 4, cg->y, dnnl_f32, dnnl_nhwc) == dnnl_success &&
        dnnl_memory_desc_equal(&nhwc_y, &e->dst_md)) {
        e->user_md_y = nhwc_y;
        e->out_nhwc = true;
    }
    if (!dnnl_memory_desc_equal(&e->src_md, &e->user_md_x))
        ok = cs_dnnl_reorder_prim(&e->user_md_x, &e->src_md, &e->src_reorder);
    if (ok && !dnnl_memory_desc_equal(&e->dst_md, &e->user_md_y))
        ok = cs_dnnl_reorder_prim(&e->dst_md, &e->user_md_y, &e->dst_reorder);
    if (ok && has_sum && !dnnl_memory_desc_equal(&e->dst_md, &e->user_md_sum))
        ok = cs_dnnl_reorder_prim(&e->user_md_sum, &e->dst_md, &e->sum_reorder);
    e->src_bytes = dnnl_memory_desc_get_size(&e->src_md);
    e->dst_bytes = dnnl_memory_desc_get_size(&e->dst_md);
    return ok;
}

static void entry_free(void *p);

typedef struct share_key {
    const cs_node *node;
    const void *wdata;
    int bn_node;
    const dnnl_memory_desc_t *wmd; /* NULL: the streamed kernel's packing */
} share_key;

static bool share_match(const void *p, const void *key)
{
    const conv_entry *e = p;
    const share_key *k = key;
    return e->node == k->node && e->wdata == k->wdata && e->pk && e->pk->bn_node == k->bn_node &&
           (k->wmd ? !e->pk->stream && dnnl_memory_desc_equal(&e->pk->wmd, k->wmd) : e->pk->stream != NULL);
}

/* Takes the packed weights of another entry of this node with the same layout and folding, if any (pd NULL: the
 * streamed kernel's). */
static bool share_weights(const cs_kernel_ctx *ctx, dnnl_primitive_desc_t pd, conv_entry *e)
{
    share_key k = {ctx->node, cs_dnnl_const_input(ctx->graph, ctx->node, 1)->data, ctx->fuse ? ctx->fuse->bn_node : -1,
                   pd ? dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0) : NULL};
    const conv_entry *other = cs_dnnl_cache_get(ctx->cache, &k, share_match, entry_free);
    if (!other)
        return false;
    atomic_fetch_add(&other->pk->refs, 1);
    e->pk = other->pk;
    return true;
}

/* Threads for a convolution: its single-thread time estimated from the MACs (about 80 per ns on one AVX-512
 * core, where oneDNN's 1x1 kernels run on a quiet machine) and the activation bytes read and written (about
 * 40 per ns, mostly cached at batch 1), then cs_threads_for_cost. Small batch-1 layers of mobile networks
 * then run on one thread instead of paying a fork/join of the team each. */
static int conv_threads(const cs_conv_shape *s)
{
    double in = (double)s->batch * (double)s->in_channels, out = (double)s->batch * (double)s->out_channels;
    double per_out = s->group > 0 ? (double)s->in_channels / (double)s->group : 1;
    for (int d = 0; d < s->win.n; d++) {
        in *= (double)s->win.in[d];
        out *= (double)s->win.out[d];
        per_out *= (double)s->win.kernel[d];
    }
    double macs = out * per_out, bytes = 4.0 * (in + out);
    return cs_threads_for_cost(macs / 80e3 + bytes / 40e3);
}

static bool impl_is(const_dnnl_primitive_desc_t pd, const char *prefix)
{
    const char *impl = NULL;
    return dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl &&
           strncmp(impl, prefix, strlen(prefix)) == 0;
}

/* oneDNN's first implementation for the convolution, except that a depthwise one takes jit_dw over brdgmm_dw
 * when jit_dw reads and writes the same layouts: measured at batch 1 on one AVX-512 core, jit_dw took 3-20%
 * less on MobileNetV2's 3x3 and 15-25% less on EfficientNet-B0's 5x5 depthwise layers (ties at 7x7). NULL when
 * oneDNN has none. */
static dnnl_primitive_desc_t conv_pd(const dnnl_convolution_desc_t *cd, const_dnnl_primitive_attr_t attr,
                                     bool depthwise)
{
    dnnl_primitive_desc_iterator_t it = NULL;
    if (dnnl_primitive_desc_iterator_create(&it, cd, attr, cs_dnnl_engine(), NULL) != dnnl_success)
        return NULL;
    dnnl_primitive_desc_t first = dnnl_primitive_desc_iterator_fetch(it), pick = NULL;
    for (int tries = 0; first && depthwise && impl_is(first, "brdgmm_dw") && tries < 4 &&
                        dnnl_primitive_desc_iterator_next(it) == dnnl_success;
         tries++) {
        dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
        bool same = pd && impl_is(pd, "jit_dw") &&
                    dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
                                           dnnl_primitive_desc_query_md(first, dnnl_query_src_md, 0)) &&
                    dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0),
                                           dnnl_primitive_desc_query_md(first, dnnl_query_dst_md, 0));
        if (same) {
            pick = pd;
            break;
        }
        dnnl_primitive_desc_destroy(pd);
    }
    dnnl_primitive_desc_iterator_destroy(it);
    if (pick)
        dnnl_primitive_desc_destroy(first);
    return pick ? pick : first;
}

/* The oneDNN primitive for the entry, its weights packed (or shared) and the reorders around it. */
static bool primitive_build(const cs_kernel_ctx *ctx, const cs_conv_shape *s, const conv_geom *cg, const cs_tensor *w,
                            const cs_tensor *b, conv_entry *e)
{
    dnnl_memory_desc_t any_x, any_w, any_b, any_y;
    bool ok = dnnl_memory_desc_init_by_tag(&any_x, cg->rank, cg->x, dnnl_f32, dnnl_format_tag_any) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&any_y, cg->rank, cg->y, dnnl_f32, dnnl_format_tag_any) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&any_w, cg->rank + (cg->group > 1), cg->w, dnnl_f32, dnnl_format_tag_any) ==
                  dnnl_success &&
              dnnl_memory_desc_init_by_tag(&any_b, 1, cg->b, dnnl_f32, dnnl_format_tag_any) == dnnl_success;
    dnnl_convolution_desc_t cd;
    ok = ok && dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                                          &any_x, &any_w, &any_b, &any_y, cg->strides, cg->dilates,
                                                          cg->pad_l, cg->pad_r) == dnnl_success;
    dnnl_primitive_attr_t attr = NULL;
    ok = ok && (attr = cs_dnnl_attr_new()) != NULL && post_ops(ctx->fuse, attr);
    dnnl_primitive_desc_t pd = ok ? conv_pd(&cd, attr, s->group > 1 && s->group == s->in_channels) : NULL;
    ok = ok && pd;
    if (ok) {
        e->src_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
        e->dst_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
        ok = (share_weights(ctx, pd, e) || pack_weights(ctx, cg, w, b, pd, e)) &&
             dnnl_primitive_create(&e->prim, pd) == dnnl_success &&
             make_reorders(e, cg, ctx->fuse && ctx->fuse->sum_value >= 0);
    }
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    return ok;
}

/* The streamed kernel's entry: its weights packed (or shared); Y channels-last wherever the executor takes it. */
static bool stream_build(const cs_kernel_ctx *ctx, const cs_conv_shape *s, const conv_geom *cg, const cs_tensor *w,
                         const cs_tensor *b, conv_entry *e)
{
    e->out_nhwc = e->nhwc_out_ok;
    if (e->out_nhwc && dnnl_memory_desc_init_by_tag(&e->user_md_y, 4, cg->y, dnnl_f32, dnnl_nhwc) != dnnl_success)
        return false;
    return share_weights(ctx, NULL, e) || pack_stream(ctx, s, w, b, e);
}

static conv_entry *entry_build(const cs_kernel_ctx *ctx, const cs_conv_shape *s, const cs_tensor *x,
                               const cs_tensor *w, const cs_tensor *b)
{
    conv_geom cg;
    geom_make(s, &cg);
    conv_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->nthr = conv_threads(s);
    cs_threads_cap(e->nthr); /* oneDNN sizes its partition to the threads seen when the primitive is made */
    dnnl_format_tag_t at = act_tag(cg.nsp);
    e->in_nhwc = ctx->in_nhwc && cg.rank == 4;
    e->sum_nhwc = ctx->sum_nhwc && cg.rank == 4 && ctx->fuse && ctx->fuse->sum_value >= 0;
    e->nhwc_out_ok = ctx->nhwc_out_ok && cg.rank == 4;
    bool ok = dnnl_memory_desc_init_by_tag(&e->user_md_x, cg.rank, cg.x, dnnl_f32, e->in_nhwc ? dnnl_nhwc : at) ==
                  dnnl_success &&
              dnnl_memory_desc_init_by_tag(&e->user_md_y, cg.rank, cg.y, dnnl_f32, at) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&e->user_md_sum, cg.rank, cg.y, dnnl_f32, e->sum_nhwc ? dnnl_nhwc : at) ==
                  dnnl_success;
    if (ok && cs_stream_conv_fits(s, ctx->fuse ? ctx->fuse->act : CS_ACT_NONE))
        ok = stream_build(ctx, s, &cg, w, b, e);
    else
        ok = ok && primitive_build(ctx, s, &cg, w, b, e);
    cs_threads_cap(0);
    if (!ok) {
        entry_free(e);
        return NULL;
    }
    e->node = ctx->node;
    e->shape = *s;
    e->xrank = x->rank;
    memcpy(e->xdims, x->dims, sizeof e->xdims);
    e->fuse = ctx->fuse;
    e->wdata = cs_dnnl_const_input(ctx->graph, ctx->node, 1)->data;
    return e;
}

static bool entry_match(const void *p, const void *key)
{
    const conv_entry *e = p, *k = key;
    return e->node == k->node && e->fuse == k->fuse && e->wdata == k->wdata && e->xrank == k->xrank && e->nthr == k->nthr &&
           e->in_nhwc == k->in_nhwc && e->sum_nhwc == k->sum_nhwc && e->nhwc_out_ok == k->nhwc_out_ok &&
           memcmp(e->xdims, k->xdims, sizeof e->xdims) == 0;
}

/* ---- running ---- */

static void silu_part(void *user, int64_t begin, int64_t end)
{
    float *y = user;
    cs_vsilu(y + begin, y + begin, end - begin);
}

/* SiLU over a convolution's output, shared over the threads like the engine's other element-wise loops (it costs
 * about 0.45 ns an element, so even a share that moves cache lines between cores pays: measured on
 * EfficientNet-B0 at batch 1 on two threads, 32K elements a thread matched the fused post-op, 128K lost 12%). */
static void silu_in_place(float *y, int64_t n)
{
    cs_parallel_for(n, CS_PAR_MIN_ELEMS, silu_part, y);
}

/* The residual for the sum post-op, placed where the primitive reads its destination. */
static bool place_residual(cs_kernel_ctx *ctx, const conv_entry *e, float *dst)
{
    const cs_tensor *r = ctx->fuse_sum;
    if (e->sum_reorder)
        return cs_dnnl_reorder_run(e->sum_reorder, &e->user_md_sum, r->data, &e->dst_md, dst);
    if ((void *)dst != r->data)
        memcpy(dst, r->data, r->nbytes);
    return true;
}

/* The streamed kernel: bias, residual and ReLU/Clip in its epilogue (SiLU follows in entry_run, as for oneDNN). */
static bool stream_run(cs_kernel_ctx *ctx, const conv_entry *e, const cs_tensor *x, cs_tensor *y)
{
    const cs_fusion *f = ctx->fuse;
    cs_stream_epilogue ep = {.act = f && !act_after(f) ? f->act : CS_ACT_NONE};
    if (f) {
        ep.alpha = f->alpha;
        ep.beta = f->beta;
    }
    if (f && f->sum_value >= 0) {
        ep.residual = ctx->fuse_sum->data;
        ep.residual_nhwc = e->sum_nhwc;
    }
    return cs_stream_conv_run(e->pk->stream, &e->shape, x->data, e->in_nhwc, &ep, y->data, e->out_nhwc, e->nthr);
}

/* oneDNN's primitive, with the reorders around it and the residual placed for its sum post-op. */
static bool primitive_run(cs_kernel_ctx *ctx, const conv_entry *e, const cs_tensor *x, cs_tensor *y)
{
    float *src = x->data, *dst = y->data;
    bool ok = true;
    if (e->src_reorder) {
        src = cs_dnnl_scratch(0, e->src_bytes);
        ok = src && cs_dnnl_reorder_run(e->src_reorder, &e->user_md_x, x->data, &e->src_md, src);
    }
    if (ok && e->dst_reorder)
        ok = (dst = cs_dnnl_scratch(1, e->dst_bytes)) != NULL;
    if (ok && ctx->fuse && ctx->fuse->sum_value >= 0)
        ok = place_residual(ctx, e, dst);
    dnnl_memory_t ms = NULL, md = NULL;
    ok = ok && dnnl_memory_create(&ms, &e->src_md, cs_dnnl_engine(), src) == dnnl_success &&
         dnnl_memory_create(&md, &e->dst_md, cs_dnnl_engine(), dst) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, e->pk->weights}, {DNNL_ARG_BIAS, e->pk->bias},
                                  {DNNL_ARG_DST, md}};
        ok = cs_dnnl_execute(e->prim, 4, args);
    }
    dnnl_memory_destroy(ms);
    dnnl_memory_destroy(md);
    if (ok && e->dst_reorder)
        ok = cs_dnnl_reorder_run(e->dst_reorder, &e->dst_md, dst, &e->user_md_y, y->data);
    return ok;
}

static bool entry_run(cs_kernel_ctx *ctx, const conv_entry *e, const cs_tensor *x, cs_tensor *y)
{
    bool ok = e->pk->stream ? stream_run(ctx, e, x, y) : primitive_run(ctx, e, x, y);
    if (ok && act_after(ctx->fuse))
        silu_in_place(y->data, cs_tensor_numel(y));
    return ok;
}

/* The fusion this call can honour: the residual must be an f32 tensor of the output's shape. */
static bool fusion_fits(const cs_kernel_ctx *ctx, int rank, const int64_t *ydims)
{
    const cs_fusion *f = ctx->fuse;
    if (!f || f->sum_value < 0)
        return true;
    const cs_tensor *r = ctx->fuse_sum;
    return r && r->dtype == CS_DT_F32 && r->rank == rank && memcmp(r->dims, ydims, (size_t)rank * sizeof *ydims) == 0;
}

static bool conv_supported(const cs_kernel_ctx *ctx, const cs_conv_shape *s, const cs_tensor *x, const cs_tensor *w,
                           const cs_tensor *b)
{
    const cs_node *n = ctx->node;
    if (x->dtype != CS_DT_F32 || w->dtype != CS_DT_F32 || s->win.n < 1 || s->win.n > 3 || !ctx->graph)
        return false;
    /* weights must be constants of the graph, as the values seen: they are packed once */
    const cs_tensor *wc = cs_dnnl_const_input(ctx->graph, n, 1), *bc = b ? cs_dnnl_const_input(ctx->graph, n, 2) : NULL;
    if (!wc || !cs_tensor_same_shape(wc, w) || (b && (b->dtype != CS_DT_F32 || !bc || !cs_tensor_same_shape(bc, b))))
        return false;
    if (cs_tensor_numel(x) == 0 || cs_tensor_numel(w) == 0 || s->out_channels == 0)
        return false;
    for (int d = 0; d < s->win.n; d++)
        if (s->win.out[d] <= 0)
            return false;
    return true;
}

/* Y: a new tensor, or the residual itself when it is stored as Y will be (the sum then runs in place). */
static cs_tensor *conv_out(cs_kernel_ctx *ctx, const cs_conv_shape *s, const conv_entry *e)
{
    int64_t dims[CS_MAX_RANK] = {s->batch, s->out_channels};
    memcpy(dims + 2, s->win.out, (size_t)s->win.n * sizeof *dims);
    int rank = s->win.n + 2;
    bool same = dnnl_memory_desc_equal(&e->user_md_sum, &e->user_md_y);
    cs_tensor *r = same && ctx->fuse && ctx->fuse->sum_value >= 0 ? ctx->fuse_sum_owned : NULL;
    if (r && r->rank == rank && memcmp(r->dims, dims, (size_t)rank * sizeof *dims) == 0) {
        ctx->fuse_sum_taken = true;
        ctx->out[0] = r;
        return r;
    }
    return cs_kernel_output_raw(ctx, 0, CS_DT_F32, rank, dims);
}

cs_status cs_dnnl_conv(cs_kernel_ctx *ctx, const cs_conv_shape *s, const cs_tensor *x, const cs_tensor *w,
                       const cs_tensor *b, bool *handled)
{
    *handled = false;
    if (!conv_supported(ctx, s, x, w, b))
        return CS_OK;
    int64_t ydims[CS_MAX_RANK] = {s->batch, s->out_channels};
    memcpy(ydims + 2, s->win.out, (size_t)s->win.n * sizeof *ydims);
    const cs_fusion *asked = ctx->fuse;
    if (!fusion_fits(ctx, s->win.n + 2, ydims))
        ctx->fuse = NULL;
    conv_entry key = {.node = ctx->node, .xrank = x->rank, .fuse = ctx->fuse,
                      .wdata = cs_dnnl_const_input(ctx->graph, ctx->node, 1)->data, .in_nhwc = ctx->in_nhwc && x->rank == 4,
                      .sum_nhwc = ctx->sum_nhwc && x->rank == 4 && ctx->fuse && ctx->fuse->sum_value >= 0,
                      .nhwc_out_ok = ctx->nhwc_out_ok && x->rank == 4, .nthr = conv_threads(s)};
    memcpy(key.xdims, x->dims, sizeof key.xdims);
    conv_entry *e = cs_dnnl_cache_get(ctx->cache, &key, entry_match, entry_free);
    bool fresh = !e;
    if (fresh && !(e = entry_build(ctx, s, x, w, b))) {
        ctx->fuse = asked;
        return CS_OK; /* oneDNN has no primitive for it: the reference kernel runs */
    }
    cs_tensor *y = conv_out(ctx, s, e);
    cs_threads_cap(e->nthr);
    bool ok = y && entry_run(ctx, e, x, y);
    cs_threads_cap(0);
    ctx->fuse_done = ok && ctx->fuse != NULL;
    ctx->out_nhwc = ok && e->out_nhwc; /* read before an uncached entry is freed (a node run outside a plan) */
    if (fresh && e->packed_here && ctx->cache)
        cs_dnnl_cache_count_packed(ctx->cache, e->pk->stream ? cs_stream_conv_bytes(e->pk->stream)
                                                             : dnnl_memory_desc_get_size(&e->pk->wmd) +
                                                                   (size_t)s->out_channels * 4);
    if (fresh && !cs_dnnl_cache_put(ctx->cache, e, entry_free))
        entry_free(e);
    ctx->fuse = asked;
    if (!y)
        return ctx->err->status;
    if (!ok)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "oneDNN convolution failed (out of memory)");
    *handled = true;
    return CS_OK;
}
