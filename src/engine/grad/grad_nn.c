/* grad_nn.c — backward of the network ops: Conv (transposed convolution of dy), Gemm and MatMul (BLAS),
 * max and average pools (window routing), global pools, inference BatchNormalization, Softmax, LogSoftmax,
 * LpNormalization. */
#include "backward.h"
#include "grad_ops.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/conv_core.h"
#include "../ops/matmul_core.h"
#include "../ops/spatial.h"

static int ld(int64_t n)
{
    return n > 0 ? (int)n : 1;
}

cs_status cs_grad_conv(cs_grad_ctx *ctx)
{
    if (!ctx->dout[0])
        return CS_OK;
    if (ctx->need[1] || (ctx->n_in > 2 && ctx->need[2]))
        return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "gradients with respect to weights are not supported");
    cs_status st = cs_grad_need_f32(ctx, 2);
    if (st != CS_OK || !ctx->need[0])
        return st;
    cs_kernel_ctx k = cs_grad_kernel_ctx(ctx);
    const cs_tensor *x = ctx->in[0], *w = ctx->in[1];
    cs_conv_shape s;
    st = cs_conv_prepare(&k, x, w, &s);
    if (st == CS_OK)
        st = cs_window_setup(&k, x, w->dims + 2, false, &s.win);
    float *dx = st == CS_OK ? cs_grad_alloc(ctx, 0) : NULL;
    if (!dx)
        return ctx->err->status;
    return cs_conv_backward_f32(&s, ctx->dout[0]->data, w->data, NULL, dx, ctx->err);
}

/* Gemm: Y = alpha op(A) op(B) + beta C. */
cs_status cs_grad_gemm(cs_grad_ctx *ctx)
{
    cs_status st = cs_grad_need_f32(ctx, 2);
    if (st != CS_OK || !ctx->dout[0])
        return st;
    const cs_tensor *a = ctx->in[0], *b = ctx->in[1], *y = ctx->out[0];
    bool ta = cs_attrs_int(&ctx->node->attrs, "transA", 0) != 0, tb = cs_attrs_int(&ctx->node->attrs, "transB", 0) != 0;
    float alpha = (float)cs_attrs_float(&ctx->node->attrs, "alpha", 1.0);
    float beta = (float)cs_attrs_float(&ctx->node->attrs, "beta", 1.0);
    if (a->rank != 2 || b->rank != 2 || y->rank != 2)
        return cs_grad_fail(ctx, CS_ERR_SHAPE, "A, B and Y must be 2-D");
    int M = (int)y->dims[0], N = (int)y->dims[1], K = (int)(ta ? a->dims[0] : a->dims[1]);
    const float *dy = ctx->dout[0]->data;
    int lda = ld(a->dims[1]), ldb = ld(b->dims[1]);
    float *d;
    if (ctx->need[0]) {
        if (!(d = cs_grad_alloc(ctx, 0)))
            return ctx->err->status;
        if (!ta)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, tb ? CblasNoTrans : CblasTrans, M, K, N, alpha, dy, ld(N),
                        b->data, ldb, 0, d, ld(K));
        else
            cblas_sgemm(CblasRowMajor, tb ? CblasTrans : CblasNoTrans, CblasTrans, K, M, N, alpha, b->data, ldb, dy,
                        ld(N), 0, d, ld(M));
    }
    if (ctx->need[1]) {
        if (!(d = cs_grad_alloc(ctx, 1)))
            return ctx->err->status;
        if (!tb)
            cblas_sgemm(CblasRowMajor, ta ? CblasNoTrans : CblasTrans, CblasNoTrans, K, N, M, alpha, a->data, lda, dy,
                        ld(N), 0, d, ld(N));
        else
            cblas_sgemm(CblasRowMajor, CblasTrans, ta ? CblasTrans : CblasNoTrans, N, K, M, alpha, dy, ld(N), a->data,
                        lda, 0, d, ld(K));
    }
    if (ctx->n_in > 2 && ctx->in[2] && ctx->need[2]) {
        if (!(d = cs_grad_alloc(ctx, 2)))
            return ctx->err->status;
        cs_grad_reduce_broadcast(d, ctx->in[2]->rank, ctx->in[2]->dims, dy, 2, y->dims, NULL);
        for (int64_t i = 0; i < cs_tensor_numel(ctx->in[2]); i++)
            d[i] *= beta;
    }
    return CS_OK;
}

/* MatMul with numpy batching: dA_b += dY_b B_b^T, dB_b += A_b^T dY_b (sums over broadcast batches). */
cs_status cs_grad_matmul(cs_grad_ctx *ctx)
{
    cs_status st = cs_grad_need_f32(ctx, 2);
    if (st != CS_OK || !ctx->dout[0])
        return st;
    cs_kernel_ctx k = cs_grad_kernel_ctx(ctx);
    cs_matmul_plan p;
    if ((st = cs_matmul_plan_make(&k, ctx->in[0], ctx->in[1], &p)) != CS_OK)
        return st;
    float *da = ctx->need[0] ? cs_grad_alloc(ctx, 0) : NULL, *db = ctx->need[1] ? cs_grad_alloc(ctx, 1) : NULL;
    if ((ctx->need[0] && !da) || (ctx->need[1] && !db))
        return ctx->err->status;
    const float *a = ctx->in[0]->data, *b = ctx->in[1]->data, *dy = ctx->dout[0]->data;
    int M = (int)p.M, N = (int)p.N, K = (int)p.K;
    for (int64_t i = 0; i < p.batch; i++) {
        int64_t ao, bo;
        cs_matmul_offsets(&p, i, &ao, &bo);
        const float *g = dy + i * p.M * p.N;
        if (da)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, N, 1, g, ld(N), b + bo * p.K * p.N, ld(N), 1,
                        da + ao * p.M * p.K, ld(K));
        if (db)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, N, M, 1, a + ao * p.M * p.K, ld(K), g, ld(N), 1,
                        db + bo * p.K * p.N, ld(N));
    }
    return CS_OK;
}

/* MaxPool: reruns the kernel asking for Indices and routes dy to the chosen elements. */
cs_status cs_grad_maxpool(cs_grad_ctx *ctx)
{
    cs_status st = cs_grad_need_f32(ctx, 1);
    if (st != CS_OK || !ctx->need[0] || !ctx->dout[0])
        return st;
    if (cs_attrs_int(&ctx->node->attrs, "storage_order", 0) != 0)
        return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "storage_order = 1 is not supported");
    const cs_op_def *def = cs_ops_find(ctx->node->domain, ctx->node->op);
    if (!def)
        return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "no forward kernel");
    cs_node node = *ctx->node;
    int outs[2] = {0, 0};
    node.outputs = outs;
    node.n_outputs = 2;
    cs_tensor *res[2] = {NULL, NULL};
    cs_kernel_ctx k = {.graph = ctx->graph, .node = &node, .in = ctx->in, .n_in = 1, .out = res, .n_out = 2,
                       .opset = ctx->opset, .err = ctx->err};
    st = def->run(&k);
    float *dx = st == CS_OK ? cs_grad_alloc(ctx, 0) : NULL;
    if (dx) {
        const int64_t *ind = res[1]->data;
        const float *dy = ctx->dout[0]->data;
        for (int64_t i = 0; i < cs_tensor_numel(res[1]); i++)
            if (ind[i] >= 0)
                dx[ind[i]] += dy[i];
    }
    cs_tensor_free(res[0]);
    cs_tensor_free(res[1]);
    return dx ? CS_OK : ctx->err->status;
}

/* Spreads one output's gradient g over its window (3-D form) inside the input plane. */
static void avg_spread(const cs_window *w, const int64_t *o, bool include_pad, float g, float *dx)
{
    int64_t lo[3], hi[3], count = 1, padded = 1;
    for (int d = 0; d < 3; d++) {
        int64_t base = o[d] * w->stride[d] - w->pad_begin[d], in = 0, pin = 0;
        lo[d] = base;
        hi[d] = base + (w->kernel[d] - 1) * w->dilation[d];
        for (int64_t t = 0; t < w->kernel[d]; t++) {
            int64_t at = base + t * w->dilation[d];
            in += at >= 0 && at < w->in[d];
            pin += at >= -w->pad_begin[d] && at < w->in[d] + w->pad_end[d];
        }
        count *= in, padded *= pin;
    }
    int64_t div = include_pad ? padded : count;
    if (div == 0)
        return;
    float v = g / (float)div;
    for (int64_t a = lo[0]; a <= hi[0]; a += w->dilation[0])
        for (int64_t b = lo[1]; b <= hi[1]; b += w->dilation[1])
            for (int64_t c = lo[2]; c <= hi[2]; c += w->dilation[2])
                if (a >= 0 && a < w->in[0] && b >= 0 && b < w->in[1] && c >= 0 && c < w->in[2])
                    dx[(a * w->in[1] + b) * w->in[2] + c] += v;
}

cs_status cs_grad_avgpool(cs_grad_ctx *ctx)
{
    cs_status st = cs_grad_need_f32(ctx, 1);
    if (st != CS_OK || !ctx->need[0] || !ctx->dout[0])
        return st;
    cs_kernel_ctx k = cs_grad_kernel_ctx(ctx);
    const cs_tensor *x = ctx->in[0];
    cs_window w, w3;
    st = cs_window_setup(&k, x, NULL, cs_attrs_int(&ctx->node->attrs, "ceil_mode", 0) != 0, &w);
    float *dx = st == CS_OK ? cs_grad_alloc(ctx, 0) : NULL;
    if (!dx)
        return ctx->err->status;
    cs_window_to_3d(&w, &w3);
    bool include_pad = cs_attrs_int(&ctx->node->attrs, "count_include_pad", 0) != 0;
    int64_t planes = x->dims[0] * x->dims[1], in_size = w3.in[0] * w3.in[1] * w3.in[2];
    const float *dy = ctx->dout[0]->data;
    for (int64_t p = 0; p < planes; p++) {
        int64_t o[3];
        for (o[0] = 0; o[0] < w3.out[0]; o[0]++)
            for (o[1] = 0; o[1] < w3.out[1]; o[1]++)
                for (o[2] = 0; o[2] < w3.out[2]; o[2]++)
                    avg_spread(&w3, o, include_pad, *dy++, dx + p * in_size);
    }
    return CS_OK;
}

/* GlobalAveragePool / GlobalMaxPool over all spatial dims of N x C x ... */
static cs_status global_pool(cs_grad_ctx *ctx, bool is_max)
{
    cs_status st = cs_grad_need_f32(ctx, 1);
    if (st != CS_OK || !ctx->need[0] || !ctx->dout[0])
        return st;
    const cs_tensor *x = ctx->in[0];
    if (x->rank < 3)
        return cs_grad_fail(ctx, CS_ERR_SHAPE, "input must be N x C x spatial");
    float *dx = cs_grad_alloc(ctx, 0);
    if (!dx)
        return ctx->err->status;
    int64_t planes = x->dims[0] * x->dims[1], size = cs_tensor_numel(x) / (planes ? planes : 1);
    const float *xv = x->data, *dy = ctx->dout[0]->data;
    for (int64_t p = 0; p < planes; p++) {
        if (!is_max) {
            for (int64_t i = 0; i < size; i++)
                dx[p * size + i] = dy[p] / (float)size;
            continue;
        }
        int64_t best = 0;
        for (int64_t i = 1; i < size; i++)
            if (xv[p * size + i] > xv[p * size + best])
                best = i;
        if (size > 0)
            dx[p * size + best] = dy[p];
    }
    return CS_OK;
}

cs_status cs_grad_gap(cs_grad_ctx *ctx) { return global_pool(ctx, false); }
cs_status cs_grad_gmp(cs_grad_ctx *ctx) { return global_pool(ctx, true); }

/* Inference BatchNormalization: dx = dy * scale / sqrt(var + eps), per channel (axis 1). */
cs_status cs_grad_batchnorm(cs_grad_ctx *ctx)
{
    /* parameters first: a gradient wanted only for them must fail, not come back as zero */
    for (int i = 1; i < 5 && i < ctx->n_in; i++)
        if (ctx->need[i])
            return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "gradients with respect to parameters are not supported");
    cs_status st = cs_grad_need_f32(ctx, 5);
    if (st != CS_OK || !ctx->need[0] || !ctx->dout[0])
        return st;
    if (cs_attrs_int(&ctx->node->attrs, "training_mode", 0) != 0)
        return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "training_mode = 1 is not supported");
    const cs_tensor *x = ctx->in[0];
    double eps = cs_attrs_float(&ctx->node->attrs, "epsilon", 1e-5);
    int64_t C = x->rank > 1 ? x->dims[1] : 1, inner = 1;
    for (int a = 2; a < x->rank; a++)
        inner *= x->dims[a];
    float *dx = cs_grad_alloc(ctx, 0);
    if (!dx)
        return ctx->err->status;
    const float *scale = ctx->in[1]->data, *var = ctx->in[4]->data, *dy = ctx->dout[0]->data;
    int64_t n = cs_tensor_numel(x);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = (i / inner) % C;
        dx[i] = (float)(dy[i] * scale[c] / sqrt((double)var[c] + eps));
    }
    return CS_OK;
}

/* Softmax/LogSoftmax lanes: opset < 13 flattens [axis..] into one lane, opset >= 13 works along axis. */
static cs_status softmax_layout(cs_grad_ctx *ctx, int64_t *outer, int64_t *n, int64_t *inner)
{
    const cs_tensor *x = ctx->in[0];
    bool coerce = ctx->opset < 13;
    int64_t axis = cs_attrs_int(&ctx->node->attrs, "axis", coerce ? 1 : -1);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis > x->rank || (!coerce && axis == x->rank))
        return cs_grad_fail(ctx, CS_ERR_FORMAT, "axis out of range");
    *outer = 1, *n = 1, *inner = 1;
    for (int a = 0; a < x->rank; a++) {
        if (a < axis)
            *outer *= x->dims[a];
        else if (a == axis || coerce)
            *n *= x->dims[a];
        else
            *inner *= x->dims[a];
    }
    return CS_OK;
}

static cs_status softmax_grad(cs_grad_ctx *ctx, bool is_log)
{
    cs_status st = cs_grad_need_f32(ctx, 1);
    if (st != CS_OK || !ctx->need[0] || !ctx->dout[0])
        return st;
    int64_t outer = 0, n = 0, inner = 0;
    if ((st = softmax_layout(ctx, &outer, &n, &inner)) != CS_OK)
        return st;
    float *dx = cs_grad_alloc(ctx, 0);
    if (!dx)
        return ctx->err->status;
    const float *y = ctx->out[0]->data, *dy = ctx->dout[0]->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * n * inner + in;
            double s = 0;
            for (int64_t j = 0; j < n; j++)
                s += is_log ? dy[base + j * inner] : (double)dy[base + j * inner] * y[base + j * inner];
            for (int64_t j = 0; j < n; j++) {
                int64_t i = base + j * inner;
                dx[i] = (float)(is_log ? dy[i] - exp((double)y[i]) * s : y[i] * (dy[i] - s));
            }
        }
    return CS_OK;
}

cs_status cs_grad_softmax(cs_grad_ctx *ctx) { return softmax_grad(ctx, false); }
cs_status cs_grad_logsoftmax(cs_grad_ctx *ctx) { return softmax_grad(ctx, true); }

/* LpNormalization: y = x / n with n the L1 or L2 norm along axis, so dx = (dy - s <dy, y>) / n with s = y for L2
 * and sign(x) for L1; zero where n = 0 (the kernel's output is constant there). */
cs_status cs_grad_lp_norm(cs_grad_ctx *ctx)
{
    cs_status st = cs_grad_need_f32(ctx, 1);
    if (st != CS_OK || !ctx->need[0] || !ctx->dout[0])
        return st;
    const cs_tensor *x = ctx->in[0], *y = ctx->out[0];
    if (!y || y->dtype != CS_DT_F32)
        return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "needs the float32 forward output");
    cs_kernel_ctx k = cs_grad_kernel_ctx(ctx);
    int64_t p = cs_attrs_int(&ctx->node->attrs, "p", 2);
    int axis = 0;
    if ((st = cs_kernel_axis(&k, cs_attrs_int(&ctx->node->attrs, "axis", -1), x->rank, &axis)) != CS_OK)
        return st;
    float *dx = cs_grad_alloc(ctx, 0);
    if (!dx)
        return ctx->err->status;
    const float *xv = x->data, *yv = y->data, *dy = ctx->dout[0]->data;
    int64_t P = x->dims[axis], inner = 1, outer = 1;
    for (int a = 0; a < axis; a++)
        outer *= x->dims[a];
    for (int a = axis + 1; a < x->rank; a++)
        inner *= x->dims[a];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * P * inner + i;
            double n = 0, dot = 0;
            for (int64_t j = 0; j < P; j++) {
                double v = xv[base + j * inner];
                n += p == 1 ? fabs(v) : v * v;
                dot += (double)dy[base + j * inner] * yv[base + j * inner];
            }
            n = p == 1 ? n : sqrt(n);
            for (int64_t j = 0; n > 0 && j < P; j++) {
                int64_t e = base + j * inner;
                double s = p == 1 ? (xv[e] > 0) - (xv[e] < 0) : yv[e];
                dx[e] = (float)((dy[e] - s * dot) / n);
            }
        }
    return CS_OK;
}
