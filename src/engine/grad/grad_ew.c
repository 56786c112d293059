/* grad_ew.c — backward of elementwise ops: activations (Relu, LeakyRelu, Sigmoid, Tanh, Clip, ...)
 * as dx = dy * f'(x, y), and broadcasting arithmetic (Add, Sub, Mul, Div, Sum) with reduction. */
#include "backward.h"
#include "grad_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct unary_params {
    double alpha, beta, lo, hi;
} unary_params;

typedef double (*deriv_fn)(double x, double y, const unary_params *p);

static double d_identity(double x, double y, const unary_params *p) { (void)x, (void)y, (void)p; return 1; }
static double d_relu(double x, double y, const unary_params *p) { (void)y, (void)p; return x > 0; }
static double d_leaky(double x, double y, const unary_params *p) { (void)y; return x > 0 ? 1 : p->alpha; }
static double d_sigmoid(double x, double y, const unary_params *p) { (void)x, (void)p; return y * (1 - y); }
static double d_tanh(double x, double y, const unary_params *p) { (void)x, (void)p; return 1 - y * y; }
static double d_clip(double x, double y, const unary_params *p) { (void)y; return x >= p->lo && x <= p->hi; }
static double d_neg(double x, double y, const unary_params *p) { (void)x, (void)y, (void)p; return -1; }
static double d_exp(double x, double y, const unary_params *p) { (void)x, (void)p; return y; }
static double d_log(double x, double y, const unary_params *p) { (void)y, (void)p; return 1 / x; }
static double d_sqrt(double x, double y, const unary_params *p) { (void)x, (void)p; return 0.5 / y; }
static double d_abs(double x, double y, const unary_params *p) { (void)y, (void)p; return (x > 0) - (x < 0); }
static double d_softplus(double x, double y, const unary_params *p) { (void)y, (void)p; return 1 / (1 + exp(-x)); }
static double d_elu(double x, double y, const unary_params *p) { return x > 0 ? 1 : y + p->alpha; }
static double d_hardsigmoid(double x, double y, const unary_params *p)
{
    (void)y;
    double v = p->alpha * x + p->beta;
    return v > 0 && v < 1 ? p->alpha : 0;
}

static cs_status read_clip_bounds(cs_grad_ctx *ctx, unary_params *p)
{
    p->lo = -INFINITY, p->hi = INFINITY;
    if (ctx->opset < 11) {
        p->lo = cs_attrs_float(&ctx->node->attrs, "min", -INFINITY);
        p->hi = cs_attrs_float(&ctx->node->attrs, "max", INFINITY);
        return CS_OK;
    }
    if (ctx->n_in > 1 && ctx->in[1] && cs_tensor_numel(ctx->in[1]) > 0)
        p->lo = cs_tensor_get_f64(ctx->in[1], 0);
    if (ctx->n_in > 2 && ctx->in[2] && cs_tensor_numel(ctx->in[2]) > 0)
        p->hi = cs_tensor_get_f64(ctx->in[2], 0);
    return CS_OK;
}

static cs_status unary(cs_grad_ctx *ctx, deriv_fn f, const unary_params *p)
{
    if (!ctx->need[0] || !ctx->dout[0])
        return CS_OK;
    const cs_tensor *x = ctx->in[0], *y = ctx->out[0];
    if (!x || !cs_dtype_is_float(x->dtype) || !y || !cs_dtype_is_float(y->dtype))
        return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "needs float input and output");
    float *dx = cs_grad_alloc(ctx, 0);
    if (!dx)
        return ctx->err->status;
    const float *dy = ctx->dout[0]->data;
    int64_t n = cs_tensor_numel(x);
    bool fast = x->dtype == CS_DT_F32 && y->dtype == CS_DT_F32;
    for (int64_t i = 0; i < n; i++) {
        double xv = fast ? ((const float *)x->data)[i] : cs_tensor_get_f64(x, i);
        double yv = fast ? ((const float *)y->data)[i] : cs_tensor_get_f64(y, i);
        dx[i] = (float)(dy[i] * f(xv, yv, p));
    }
    return CS_OK;
}

#define UNARY(NAME, FN)                                                                                     \
    cs_status cs_grad_##NAME(cs_grad_ctx *ctx)                                                             \
    {                                                                                                       \
        unary_params p = {0, 0, 0, 0};                                                                      \
        return unary(ctx, FN, &p);                                                                          \
    }

UNARY(identity, d_identity)
UNARY(relu, d_relu)
UNARY(sigmoid, d_sigmoid)
UNARY(tanh, d_tanh)
UNARY(neg, d_neg)
UNARY(exp, d_exp)
UNARY(log, d_log)
UNARY(sqrt, d_sqrt)
UNARY(abs, d_abs)
UNARY(softplus, d_softplus)

cs_status cs_grad_leaky(cs_grad_ctx *ctx)
{
    unary_params p = {cs_attrs_float(&ctx->node->attrs, "alpha", 0.01), 0, 0, 0};
    return unary(ctx, d_leaky, &p);
}

cs_status cs_grad_elu(cs_grad_ctx *ctx)
{
    unary_params p = {cs_attrs_float(&ctx->node->attrs, "alpha", 1.0), 0, 0, 0};
    return unary(ctx, d_elu, &p);
}

cs_status cs_grad_hardsigmoid(cs_grad_ctx *ctx)
{
    unary_params p = {cs_attrs_float(&ctx->node->attrs, "alpha", 0.2), cs_attrs_float(&ctx->node->attrs, "beta", 0.5),
                      0, 0};
    return unary(ctx, d_hardsigmoid, &p);
}

cs_status cs_grad_clip(cs_grad_ctx *ctx)
{
    unary_params p;
    read_clip_bounds(ctx, &p);
    return unary(ctx, d_clip, &p);
}

/* Cast between float types passes the gradient through; other casts stop it. */
cs_status cs_grad_cast(cs_grad_ctx *ctx)
{
    if (ctx->out[0] && !cs_dtype_is_float(ctx->out[0]->dtype))
        return CS_OK;
    return cs_grad_identity(ctx);
}

/* ---- broadcasting binary arithmetic ---- */

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } bin_kind;

/* Per-output-element factor of input `which` (a for 0, b for 1) into scratch, broadcast to y's shape. */
static void bin_factor(bin_kind k, int which, const cs_tensor *a, const cs_tensor *b, const cs_tensor *y, float *f)
{
    int64_t sa[CS_MAX_RANK] = {0}, sb[CS_MAX_RANK] = {0}, idx[CS_MAX_RANK] = {0};
    cs_broadcast_strides(a->rank, a->dims, y->rank, y->dims, sa);
    cs_broadcast_strides(b->rank, b->dims, y->rank, y->dims, sb);
    const float *av = a->data, *bv = b->data;
    int64_t n = cs_tensor_numel(y), ia = 0, ib = 0;
    for (int64_t i = 0; i < n; i++) {
        double x0 = av[ia], x1 = bv[ib], v = 1;
        if (k == BIN_SUB)
            v = which ? -1 : 1;
        else if (k == BIN_MUL)
            v = which ? x0 : x1;
        else if (k == BIN_DIV)
            v = which ? -x0 / (x1 * x1) : 1 / x1;
        f[i] = (float)v;
        for (int d = y->rank - 1; d >= 0; d--) {
            ia += sa[d], ib += sb[d];
            if (++idx[d] < y->dims[d])
                break;
            ia -= sa[d] * y->dims[d], ib -= sb[d] * y->dims[d];
            idx[d] = 0;
        }
    }
}

static cs_status binary(cs_grad_ctx *ctx, bin_kind k)
{
    cs_status st = cs_grad_need_f32(ctx, 2);
    if (st != CS_OK || !ctx->dout[0])
        return st;
    const cs_tensor *y = ctx->out[0], *dy = ctx->dout[0];
    int64_t n = cs_tensor_numel(y);
    float *scratch = k == BIN_ADD ? NULL : malloc((size_t)(n + 1) * sizeof(float));
    if (k != BIN_ADD && !scratch)
        return cs_grad_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < 2; i++) {
        if (!ctx->need[i])
            continue;
        float *dx = cs_grad_alloc(ctx, i);
        if (!dx) {
            free(scratch);
            return ctx->err->status;
        }
        if (scratch)
            bin_factor(k, i, ctx->in[0], ctx->in[1], y, scratch);
        cs_grad_reduce_broadcast(dx, ctx->in[i]->rank, ctx->in[i]->dims, dy->data, y->rank, y->dims, scratch);
    }
    free(scratch);
    return CS_OK;
}

cs_status cs_grad_add(cs_grad_ctx *ctx) { return binary(ctx, BIN_ADD); }
cs_status cs_grad_sub(cs_grad_ctx *ctx) { return binary(ctx, BIN_SUB); }
cs_status cs_grad_mul(cs_grad_ctx *ctx) { return binary(ctx, BIN_MUL); }
cs_status cs_grad_div(cs_grad_ctx *ctx) { return binary(ctx, BIN_DIV); }

/* Sum of any number of broadcast inputs. */
cs_status cs_grad_sum(cs_grad_ctx *ctx)
{
    cs_status st = cs_grad_need_f32(ctx, ctx->n_in);
    if (st != CS_OK || !ctx->dout[0])
        return st;
    const cs_tensor *y = ctx->out[0];
    for (int i = 0; i < ctx->n_in; i++) {
        if (!ctx->need[i])
            continue;
        float *dx = cs_grad_alloc(ctx, i);
        if (!dx)
            return ctx->err->status;
        cs_grad_reduce_broadcast(dx, ctx->in[i]->rank, ctx->in[i]->dims, ctx->dout[0]->data, y->rank, y->dims, NULL);
    }
    return CS_OK;
}
