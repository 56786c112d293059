/* pool.c — op family 'pool': MaxPool (with Indices), AveragePool, LpPool, their global forms and
 * MaxUnpool; windows follow spatial.c (pads, auto_pad, ceil_mode, dilations) over 1-3 spatial dims. */
#include "registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spatial.h"
#include "infer.h"
#include "../grad/backward.h"

typedef enum { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

typedef struct pool_opts {
    pool_kind kind;
    bool count_include_pad;
    bool column_major;   /* MaxPool storage_order = 1 */
    double p;            /* LpPool norm */
} pool_opts;

/* Kernel offsets k in [lo, hi) with base + k*dil inside [from, to). */
static void kernel_range(int64_t base, int64_t dil, int64_t k, int64_t from, int64_t to, int64_t *lo, int64_t *hi)
{
    *lo = base >= from ? 0 : (from - base + dil - 1) / dil;
    *hi = to - 1 - base < 0 ? 0 : (to - 1 - base) / dil + 1;
    if (*hi > k)
        *hi = k;
    if (*hi < *lo)
        *hi = *lo;
}

/* The part of one output position's window that lies inside the input (and inside the padded input). */
typedef struct span {
    int64_t base[3], lo[3], hi[3];
    int64_t padded_count;
} span;

static void span_at(const cs_window *w, const int64_t *o, span *s)
{
    s->padded_count = 1;
    for (int d = 0; d < 3; d++) {
        int64_t plo, phi;
        s->base[d] = o[d] * w->stride[d] - w->pad_begin[d];
        kernel_range(s->base[d], w->dilation[d], w->kernel[d], 0, w->in[d], &s->lo[d], &s->hi[d]);
        kernel_range(s->base[d], w->dilation[d], w->kernel[d], -w->pad_begin[d], w->in[d] + w->pad_end[d], &plo, &phi);
        s->padded_count *= phi - plo;
    }
}

static int64_t spatial_index(const cs_window *w, const int64_t *i, bool column_major)
{
    if (column_major)
        return i[0] + w->in[0] * (i[1] + w->in[1] * i[2]);
    return (i[0] * w->in[1] + i[1]) * w->in[2] + i[2];
}

#define CS_DEFINE_POOL(T, SUF)                                                                              \
    /* Pools one output position of one (n, c) plane; *arg receives the max's spatial index. */            \
    static T pool_at_##SUF(const cs_window *w, const pool_opts *opt, const T *x, const span *s, int64_t *arg) \
    {                                                                                                       \
        double acc = 0, best = 0;                                                                           \
        int64_t count = 0, at[3], best_at[3] = {0, 0, 0};                                                   \
        for (int64_t a = s->lo[0]; a < s->hi[0]; a++)                                                       \
            for (int64_t b = s->lo[1]; b < s->hi[1]; b++) {                                                 \
                at[0] = s->base[0] + a * w->dilation[0];                                                    \
                at[1] = s->base[1] + b * w->dilation[1];                                                    \
                const T *row = x + (at[0] * w->in[1] + at[1]) * w->in[2];                                   \
                for (int64_t e = s->lo[2]; e < s->hi[2]; e++) {                                             \
                    int64_t i2 = s->base[2] + e * w->dilation[2];                                           \
                    double v = row[i2];                                                                     \
                    if (opt->kind == POOL_MAX && (count == 0 || v > best)) {                                \
                        best = v;                                                                           \
                        best_at[0] = at[0], best_at[1] = at[1], best_at[2] = i2;                            \
                    }                                                                                       \
                    acc += opt->kind == POOL_LP ? pow(fabs(v), opt->p) : v;                                 \
                    count++;                                                                                \
                }                                                                                           \
            }                                                                                               \
        if (opt->kind == POOL_MAX) {                                                                        \
            *arg = count ? spatial_index(w, best_at, opt->column_major) : -1;                               \
            return (T)(count ? best : 0);                                                                   \
        }                                                                                                   \
        if (opt->kind == POOL_LP)                                                                           \
            return (T)pow(acc, 1.0 / opt->p);                                                               \
        int64_t divisor = opt->count_include_pad ? s->padded_count : count;                                 \
        return (T)(divisor ? acc / (double)divisor : 0);                                                    \
    }                                                                                                       \
                                                                                                            \
    static void pool_planes_##SUF(const cs_window *w, const pool_opts *opt, int64_t planes, const T *x, T *y, \
                                  int64_t *indices)                                                         \
    {                                                                                                       \
        const int64_t in_size = w->in[0] * w->in[1] * w->in[2];                                             \
        for (int64_t nc = 0; nc < planes; nc++, x += in_size) {                                             \
            int64_t o[3];                                                                                   \
            for (o[0] = 0; o[0] < w->out[0]; o[0]++)                                                        \
                for (o[1] = 0; o[1] < w->out[1]; o[1]++)                                                    \
                    for (o[2] = 0; o[2] < w->out[2]; o[2]++, y++) {                                         \
                        span s;                                                                             \
                        int64_t arg = -1;                                                                   \
                        span_at(w, o, &s);                                                                  \
                        *y = pool_at_##SUF(w, opt, x, &s, &arg);                                            \
                        if (indices)                                                                        \
                            *indices++ = arg < 0 ? -1 : nc * in_size + arg;                                 \
                    }                                                                                       \
        }                                                                                                   \
    }

CS_DEFINE_POOL(float, f32)
CS_DEFINE_POOL(double, f64)

/* ---- fast path: f32 MaxPool/AveragePool over one or two spatial dims, no dilation, no Indices ---- */

/* Input range [lo, hi) of one output position along one axis, and its tap count inside the padded input. */
typedef struct axis_span {
    int64_t lo, hi, padded;
} axis_span;

static void axis_spans(const cs_window *w, int d, axis_span *s)
{
    for (int64_t o = 0; o < w->out[d]; o++) {
        int64_t base = o * w->stride[d] - w->pad_begin[d], end = base + w->kernel[d];
        int64_t plo = base > -w->pad_begin[d] ? base : -w->pad_begin[d];
        int64_t phi = end < w->in[d] + w->pad_end[d] ? end : w->in[d] + w->pad_end[d];
        s[o].lo = base > 0 ? base : 0;
        s[o].hi = end < w->in[d] ? end : w->in[d];
        if (s[o].hi < s[o].lo)
            s[o].hi = s[o].lo;
        s[o].padded = phi > plo ? phi - plo : 0;
    }
}

static bool fast_ok(const cs_window *w3, const pool_opts *opt, bool with_indices)
{
    return !with_indices && opt->kind != POOL_LP && w3->in[0] == 1 && w3->out[0] == 1 && w3->kernel[0] == 1 &&
           w3->pad_begin[0] == 0 && w3->pad_end[0] == 0 && w3->dilation[1] == 1 && w3->dilation[2] == 1;
}

/* Sum of n floats in double, four partial sums so long rows (global pooling) do not wait on one add chain. */
static double row_sum(const float *x, int64_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i];
        s1 += x[i + 1];
        s2 += x[i + 2];
        s3 += x[i + 3];
    }
    for (; i < n; i++)
        s0 += x[i];
    return (s0 + s1) + (s2 + s3);
}

/* As pool_at_f32: the first strict maximum in row-major order, or a double sum (in another order, so an
 * average may differ from the generic path in its last bit). */
static float fast_at(const float *x, int64_t W, const axis_span *a, const axis_span *b, const pool_opts *opt)
{
    if (opt->kind == POOL_MAX) {
        if (a->lo == a->hi || b->lo == b->hi)
            return 0;
        float best = x[a->lo * W + b->lo];
        for (int64_t h = a->lo; h < a->hi; h++)
            for (int64_t e = b->lo; e < b->hi; e++)
                best = x[h * W + e] > best ? x[h * W + e] : best;
        return best;
    }
    double acc = 0;
    for (int64_t h = a->lo; h < a->hi; h++)
        acc += row_sum(x + h * W + b->lo, b->hi - b->lo);
    int64_t divisor = opt->count_include_pad ? a->padded * b->padded : (a->hi - a->lo) * (b->hi - b->lo);
    return divisor ? (float)(acc / (double)divisor) : 0;
}

/* The common 2x2 stride-2 MaxPool whose windows all lie inside the input: same order as fast_at. */
static bool max_2x2(const cs_window *w3, const pool_opts *opt, int64_t planes, const float *x, float *y)
{
    const int64_t H = w3->in[1], W = w3->in[2], OH = w3->out[1], OW = w3->out[2];
    for (int d = 1; d < 3; d++)
        if (w3->kernel[d] != 2 || w3->stride[d] != 2 || w3->pad_begin[d] != 0 || 2 * w3->out[d] > w3->in[d])
            return false;
    if (opt->kind != POOL_MAX)
        return false;
    for (int64_t nc = 0; nc < planes; nc++, x += H * W)
        for (int64_t oh = 0; oh < OH; oh++, y += OW) {
            const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
            for (int64_t ow = 0; ow < OW; ow++) {
                float best = r0[2 * ow];
                best = r0[2 * ow + 1] > best ? r0[2 * ow + 1] : best;
                best = r1[2 * ow] > best ? r1[2 * ow] : best;
                y[ow] = r1[2 * ow + 1] > best ? r1[2 * ow + 1] : best;
            }
        }
    return true;
}

static bool pool_fast_f32(const cs_window *w3, const pool_opts *opt, int64_t planes, const float *x, float *y)
{
    if (max_2x2(w3, opt, planes, x, y))
        return true;
    const int64_t H = w3->in[1], W = w3->in[2], OH = w3->out[1], OW = w3->out[2];
    axis_span *hs = malloc((size_t)(OH + OW + 1) * sizeof *hs), *ws = hs + OH;
    if (!hs)
        return false;
    axis_spans(w3, 1, hs);
    axis_spans(w3, 2, ws);
    for (int64_t nc = 0; nc < planes; nc++, x += H * W)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++)
                *y++ = fast_at(x, W, &hs[oh], &ws[ow], opt);
    free(hs);
    return true;
}

/* Pools x into a new output 0 (and Indices into output 1 when asked). */
static cs_status pool_run(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_window *w, const pool_opts *opt,
                          bool with_indices)
{
    int64_t dims[CS_MAX_RANK] = {x->dims[0], x->dims[1]};
    memcpy(dims + 2, w->out, (size_t)w->n * sizeof *dims);
    cs_tensor *y = cs_kernel_output_raw(ctx, 0, x->dtype, w->n + 2, dims); /* every position is written */
    cs_tensor *ind = y && with_indices ? cs_kernel_output_raw(ctx, 1, CS_DT_I64, w->n + 2, dims) : NULL;
    if (!y || (with_indices && !ind))
        return ctx->err->status;
    cs_window w3;
    cs_window_to_3d(w, &w3);
    int64_t planes = x->dims[0] * x->dims[1];
    int64_t *indices = ind ? ind->data : NULL;
    if (x->dtype == CS_DT_F32 && fast_ok(&w3, opt, with_indices) && pool_fast_f32(&w3, opt, planes, x->data, y->data))
        return CS_OK;
    if (x->dtype == CS_DT_F32) {
        pool_planes_f32(&w3, opt, planes, x->data, y->data, indices);
        return CS_OK;
    }
    double *xd = malloc((size_t)(cs_tensor_numel(x) + 1) * sizeof *xd);
    double *yd = malloc((size_t)(cs_tensor_numel(y) + 1) * sizeof *yd);
    for (int64_t i = 0; xd && i < cs_tensor_numel(x); i++)
        xd[i] = cs_tensor_get_f64(x, i);
    if (xd && yd)
        pool_planes_f64(&w3, opt, planes, xd, yd, indices);
    for (int64_t i = 0; xd && yd && i < cs_tensor_numel(y); i++)
        cs_tensor_set_f64(y, i, yd[i]);
    free(xd);
    free(yd);
    return xd && yd ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
}

static cs_status check_dtype(cs_kernel_ctx *ctx, const cs_tensor *x, bool ints_ok)
{
    bool ok = cs_dtype_is_float(x->dtype) || (ints_ok && (x->dtype == CS_DT_U8 || x->dtype == CS_DT_I8));
    if (!ok)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "dtype %s is not supported", cs_dtype_name(x->dtype));
    return CS_OK;
}

static cs_status pool_op(cs_kernel_ctx *ctx, pool_opts *opt)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (st == CS_OK)
        st = check_dtype(ctx, x, opt->kind == POOL_MAX);
    bool ceil_mode = cs_attrs_int(&ctx->node->attrs, "ceil_mode", 0) != 0;
    cs_window w;
    if (st == CS_OK)
        st = cs_window_setup(ctx, x, NULL, ceil_mode, &w);
    if (st != CS_OK)
        return st;
    return pool_run(ctx, x, &w, opt, opt->kind == POOL_MAX && cs_kernel_output_used(ctx, 1));
}

static cs_status op_max_pool(cs_kernel_ctx *ctx)
{
    pool_opts opt = {.kind = POOL_MAX};
    opt.column_major = cs_attrs_int(&ctx->node->attrs, "storage_order", 0) != 0;
    return pool_op(ctx, &opt);
}

static cs_status op_average_pool(cs_kernel_ctx *ctx)
{
    pool_opts opt = {.kind = POOL_AVG};
    opt.count_include_pad = cs_attrs_int(&ctx->node->attrs, "count_include_pad", 0) != 0;
    return pool_op(ctx, &opt);
}

static cs_status op_lp_pool(cs_kernel_ctx *ctx)
{
    pool_opts opt = {.kind = POOL_LP};
    opt.p = (double)cs_attrs_int(&ctx->node->attrs, "p", 2);
    if (opt.p <= 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "p must be positive, got %g", opt.p);
    return pool_op(ctx, &opt);
}

/* Global pools: a window covering all spatial dims. */
static cs_status global_pool(cs_kernel_ctx *ctx, pool_opts *opt)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (st == CS_OK)
        st = check_dtype(ctx, x, opt->kind == POOL_MAX);
    if (st == CS_OK && (x->rank < 3 || x->rank > 2 + CS_SPATIAL_MAX))
        st = cs_kernel_fail(ctx, x->rank < 3 ? CS_ERR_SHAPE : CS_ERR_UNSUPPORTED,
                            "input has rank %d; expected N x C x 1 to %d spatial dims", x->rank, CS_SPATIAL_MAX);
    if (st != CS_OK)
        return st;
    cs_window w = {.n = x->rank - 2};
    for (int d = 0; d < w.n; d++) {
        w.in[d] = w.kernel[d] = x->dims[2 + d];
        w.stride[d] = w.dilation[d] = w.out[d] = 1;
    }
    return pool_run(ctx, x, &w, opt, false);
}

static cs_status op_global_max_pool(cs_kernel_ctx *ctx)
{
    pool_opts opt = {.kind = POOL_MAX};
    return global_pool(ctx, &opt);
}

static cs_status op_global_average_pool(cs_kernel_ctx *ctx)
{
    pool_opts opt = {.kind = POOL_AVG};
    return global_pool(ctx, &opt);
}

static cs_status op_global_lp_pool(cs_kernel_ctx *ctx)
{
    pool_opts opt = {.kind = POOL_LP};
    opt.p = (double)cs_attrs_int(&ctx->node->attrs, "p", 2);
    if (opt.p <= 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "p must be positive, got %g", opt.p);
    return global_pool(ctx, &opt);
}

/* ---- MaxUnpool ---- */

/* The shape pooling indices refer to: (in - 1) * stride + kernel - pads per spatial dim. */
static cs_status unpool_default_shape(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_window *w, int64_t *dims)
{
    char why[256];
    if (!cs_window_check(w, why, sizeof why))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s", why);
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int d = 0; d < w->n; d++) {
        dims[2 + d] = (w->in[d] - 1) * w->stride[d] + w->kernel[d] - w->pad_begin[d] - w->pad_end[d];
        if (dims[2 + d] < 1)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "pads leave an empty output in spatial dim %d", d);
    }
    return CS_OK;
}

/* The output_shape input when given (rank and N, C must match), else the default shape. */
static cs_status unpool_output_shape(cs_kernel_ctx *ctx, const cs_tensor *x, const int64_t *dflt, int64_t *dims)
{
    const cs_tensor *shape = cs_kernel_input(ctx, 2);
    memcpy(dims, dflt, (size_t)x->rank * sizeof *dims);
    if (!shape)
        return CS_OK;
    int64_t *v;
    int n = cs_kernel_read_ints(ctx, shape, &v);
    if (n < 0)
        return ctx->err->status;
    cs_status st = CS_OK;
    if (n != x->rank || v[0] != x->dims[0] || v[1] != x->dims[1])
        st = cs_kernel_fail(ctx, CS_ERR_SHAPE, "output_shape (%d values) must match the rank %d, N and C of X", n,
                            x->rank);
    else
        memcpy(dims, v, (size_t)n * sizeof *v);
    free(v);
    return st;
}

/* Moves a flat index of the default shape to the same coordinates in the output shape; -1 when outside. */
static int64_t unpool_reindex(int rank, const int64_t *from, const int64_t *to, int64_t at)
{
    int64_t coord[CS_MAX_RANK];
    for (int d = rank - 1; d >= 0; d--) {
        coord[d] = at % from[d];
        at /= from[d];
    }
    int64_t out = 0;
    for (int d = 0; d < rank; d++) {
        if (coord[d] >= to[d])
            return -1;
        out = out * to[d] + coord[d];
    }
    return out;
}

static cs_status unpool_scatter(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *ind, const int64_t *dflt,
                                cs_tensor *y)
{
    int64_t n_dflt = 0;
    if (!cs_shape_numel(x->rank, dflt, &n_dflt))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "the pooled input's shape is too large");
    size_t esize = cs_dtype_size(x->dtype);
    for (int64_t i = 0; i < cs_tensor_numel(x); i++) {
        int64_t at = cs_tensor_get_i64(ind, i);
        int64_t to = at >= 0 && at < n_dflt ? unpool_reindex(x->rank, dflt, y->dims, at) : -1;
        if (to < 0)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "index %lld at position %lld falls outside the output",
                                  (long long)at, (long long)i);
        memcpy((char *)y->data + (size_t)to * esize, (const char *)x->data + (size_t)i * esize, esize);
    }
    return CS_OK;
}

static cs_status op_max_unpool(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *x = cs_kernel_input(ctx, 0), *ind = cs_kernel_input(ctx, 1);
    cs_window w;
    cs_auto_pad auto_pad;
    if (st == CS_OK)
        st = cs_window_from_node(ctx, x, NULL, &w, &auto_pad);
    if (st == CS_OK && (!cs_tensor_same_shape(x, ind) || (ind->dtype != CS_DT_I64 && ind->dtype != CS_DT_I32)))
        st = cs_kernel_fail(ctx, CS_ERR_SHAPE, "I must be an integer tensor shaped like X");
    if (st == CS_OK && !cs_dtype_size(x->dtype))
        st = cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "dtype %s is not supported", cs_dtype_name(x->dtype));
    int64_t dflt[CS_MAX_RANK], dims[CS_MAX_RANK];
    if (st == CS_OK)
        st = unpool_default_shape(ctx, x, &w, dflt);
    if (st == CS_OK)
        st = unpool_output_shape(ctx, x, dflt, dims);
    if (st != CS_OK)
        return st;
    cs_tensor *y = cs_kernel_output(ctx, 0, x->dtype, x->rank, dims);
    return y ? unpool_scatter(ctx, x, ind, dflt, y) : ctx->err->status;
}

const cs_op_def cs_ops_pool[] = {
    {.name = "MaxPool", .run = op_max_pool, .infer = cs_infer_pool, .backward = cs_grad_maxpool},
    {.name = "AveragePool", .run = op_average_pool, .infer = cs_infer_pool, .backward = cs_grad_avgpool},
    {.name = "LpPool", .run = op_lp_pool, .infer = cs_infer_pool},
    {.name = "GlobalMaxPool", .run = op_global_max_pool, .infer = cs_infer_global_pool, .backward = cs_grad_gmp},
    {.name = "GlobalAveragePool", .run = op_global_average_pool, .infer = cs_infer_global_pool, .backward = cs_grad_gap},
    {.name = "GlobalLpPool", .run = op_global_lp_pool, .infer = cs_infer_global_pool},
    {.name = "MaxUnpool", .run = op_max_unpool},
    {.name = NULL},
};
