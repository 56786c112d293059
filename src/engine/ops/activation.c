/* activation.c — op family 'activation': Relu and its variants, sigmoids, Tanh, Softplus,
 * Clip, Shrink, Gelu, Mish and Swish, with each opset's attribute defaults (see registry.h). */
#include "elementwise.h"
#include "fastpath.h"
#include "fusion.h"
#include "parallel.h"
#include "registry.h"
#include "infer.h"
#include "vecmath.h"
#include "../grad/backward.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define ATTR_F(ctx, name, dflt) cs_attrs_float(&(ctx)->node->attrs, (name), (dflt))

/* ---- Relu, LeakyRelu, ThresholdedRelu ---- */

static float relu_f32(float x, const cs_ew_params *p) { (void)p; return x > 0.0f ? x : (x == x ? 0.0f : x); }
static double relu_f64(double x, const cs_ew_params *p) { (void)p; return x > 0.0 ? x : (isnan(x) ? x : 0.0); }
static int64_t relu_i64(int64_t x, const cs_ew_params *p) { (void)p; return x > 0 ? x : 0; }
static uint64_t relu_u64(uint64_t x, const cs_ew_params *p) { (void)p; return x; }

/* NaN stays NaN (x != x), everything not above zero becomes +0, as relu_f32 does. */
static void relu_loop(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p)
{
    (void)p;
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f || x[i] != x[i] ? x[i] : 0.0f;
}

static cs_status op_relu(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {relu_f32, relu_f64, relu_i64, relu_u64, false};
    return cs_ew_unary_loop(ctx, relu_loop, &fns, NULL);
}

static float leaky_f32(float x, const cs_ew_params *p) { return x < 0.0f ? (float)p->a * x : x; }
static double leaky_f64(double x, const cs_ew_params *p) { return x < 0.0 ? p->a * x : x; }

static void leaky_loop(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p)
{
    const float a = (float)p->a;
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] < 0.0f ? a * x[i] : x[i];
}

static cs_status op_leaky_relu(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {leaky_f32, leaky_f64, NULL, NULL, false};
    cs_ew_params p = {.a = ATTR_F(ctx, "alpha", 0.01)};
    return cs_ew_unary_loop(ctx, leaky_loop, &fns, &p);
}

static double thresholded_f64(double x, const cs_ew_params *p) { return x > p->a ? x : 0.0; }

static cs_status op_thresholded_relu(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, thresholded_f64, NULL, NULL, false};
    cs_ew_params p = {.a = ATTR_F(ctx, "alpha", 1.0)};
    return cs_ew_unary(ctx, &fns, &p);
}

/* ---- PRelu: slope broadcasts to X (per channel when opset < 7 gives a 1-D slope) ---- */

static float prelu_f32(float x, float s) { return x < 0.0f ? s * x : x; }
static double prelu_f64(double x, double s) { return x < 0.0 ? s * x : x; }
static int64_t prelu_i64(int64_t x, int64_t s) { return x < 0 ? (int64_t)((uint64_t)s * (uint64_t)x) : x; }

static const cs_tensor *prelu_slope(const cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *slope,
                                    cs_tensor *view)
{
    bool per_channel = ctx->opset < 7 && slope->rank == 1 && slope->dims[0] != 1 && x->rank >= 3 &&
                       slope->dims[0] == x->dims[1];
    if (!per_channel)
        return slope;
    *view = *slope;
    view->rank = x->rank - 1;
    for (int i = 1; i < view->rank; i++)
        view->dims[i] = 1;
    return view;
}

static cs_status op_prelu(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns fns = {prelu_f32, prelu_f64, prelu_i64, NULL, false, false, 0};
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st != CS_OK)
        return st;
    cs_tensor view;
    const cs_tensor *x = ctx->in[0], *slope = prelu_slope(ctx, x, ctx->in[1], &view);
    cs_tensor *out = cs_ew_binary_new(ctx, x, slope, &fns);
    if (!out)
        return cs_ew_failed(ctx);
    if (!cs_tensor_same_shape(out, x)) {
        char sx[128], ss[128];
        cs_tensor_free(out);
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "slope %s must broadcast to X %s",
                              cs_shape_str(slope->rank, slope->dims, ss, sizeof ss),
                              cs_shape_str(x->rank, x->dims, sx, sizeof sx));
    }
    cs_ew_set_output(ctx, 0, out);
    return CS_OK;
}

/* ---- exponential units: Elu, Selu, Celu ---- */

static double elu_f64(double x, const cs_ew_params *p) { return x < 0.0 ? p->a * expm1(x) : x; }

static cs_status op_elu(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, elu_f64, NULL, NULL, false};
    cs_ew_params p = {.a = ATTR_F(ctx, "alpha", 1.0)};
    return cs_ew_unary(ctx, &fns, &p);
}

/* params: a = alpha, b = gamma */
static double selu_f64(double x, const cs_ew_params *p) { return p->b * (x <= 0.0 ? p->a * expm1(x) : x); }

static cs_status op_selu(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, selu_f64, NULL, NULL, false};
    cs_ew_params p = {
        .a = ATTR_F(ctx, "alpha", 1.67326319217681884765625),
        .b = ATTR_F(ctx, "gamma", 1.05070102214813232421875),
    };
    return cs_ew_unary(ctx, &fns, &p);
}

static double celu_f64(double x, const cs_ew_params *p)
{
    return fmax(0.0, x) + fmin(0.0, p->a * expm1(x / p->a));
}

static cs_status op_celu(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, celu_f64, NULL, NULL, false};
    cs_ew_params p = {.a = ATTR_F(ctx, "alpha", 1.0)};
    if (p.a == 0.0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "alpha must not be 0");
    return cs_ew_unary(ctx, &fns, &p);
}

/* ---- sigmoids and smooth functions ---- */

static double sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static double softplus(double x) { return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

static double sigmoid_f64(double x, const cs_ew_params *p) { (void)p; return sigmoid(x); }
static double tanh_f64(double x, const cs_ew_params *p) { (void)p; return tanh(x); }
static float tanh_f32(float x, const cs_ew_params *p) { (void)p; return tanhf(x); }
static double softplus_f64(double x, const cs_ew_params *p) { (void)p; return softplus(x); }
static double softsign_f64(double x, const cs_ew_params *p) { (void)p; return x / (1.0 + fabs(x)); }
static double mish_f64(double x, const cs_ew_params *p) { (void)p; return x * tanh(softplus(x)); }
static double swish_f64(double x, const cs_ew_params *p) { return x * sigmoid(p->a * x); }

/* params: a = alpha, b = beta */
static double hard_sigmoid_f64(double x, const cs_ew_params *p) { return fmax(0.0, fmin(1.0, p->a * x + p->b)); }
static double hard_swish_f64(double x, const cs_ew_params *p)
{
    (void)p;
    return x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5));
}

/* Fast path loops (vecmath.h states their ULP bounds); the reference computes in double. */
static void sigmoid_loop(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p)
{
    (void)p;
    cs_vsigmoid(x, y, n);
}

static void tanh_loop(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p)
{
    (void)p;
    cs_vtanh(x, y, n);
}

static cs_status op_sigmoid(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, sigmoid_f64, NULL, NULL, false};
    return cs_kernels_fast() ? cs_ew_unary_loop(ctx, sigmoid_loop, &fns, NULL) : cs_ew_unary(ctx, &fns, NULL);
}

static cs_status op_tanh(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {tanh_f32, tanh_f64, NULL, NULL, false};
    return cs_kernels_fast() ? cs_ew_unary_loop(ctx, tanh_loop, &fns, NULL) : cs_ew_unary(ctx, &fns, NULL);
}

static cs_status op_softplus(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, softplus_f64, NULL, NULL, false};
    return cs_ew_unary(ctx, &fns, NULL);
}

static cs_status op_softsign(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, softsign_f64, NULL, NULL, false};
    return cs_ew_unary(ctx, &fns, NULL);
}

static cs_status op_mish(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, mish_f64, NULL, NULL, false};
    return cs_ew_unary(ctx, &fns, NULL);
}

/* Swish (ONNX opset 24): x * sigmoid(alpha * x), alpha 1 by default (SiLU). */
static cs_status op_swish(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, swish_f64, NULL, NULL, false};
    cs_ew_params p = {.a = ATTR_F(ctx, "alpha", 1.0)};
    return cs_ew_unary(ctx, &fns, &p);
}

static cs_status op_hard_sigmoid(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, hard_sigmoid_f64, NULL, NULL, false};
    cs_ew_params p = {.a = ATTR_F(ctx, "alpha", 0.2), .b = ATTR_F(ctx, "beta", 0.5)};
    return cs_ew_unary(ctx, &fns, &p);
}

static cs_status op_hard_swish(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, hard_swish_f64, NULL, NULL, false};
    return cs_ew_unary(ctx, &fns, NULL);
}

/* ---- Gelu: exact (erf) or the tanh approximation ---- */

static double gelu_exact_f64(double x, const cs_ew_params *p)
{
    (void)p;
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

static double gelu_tanh_f64(double x, const cs_ew_params *p)
{
    (void)p;
    const double k = 0.79788456080286535588; /* sqrt(2/pi) */
    return 0.5 * x * (1.0 + tanh(k * (x + 0.044715 * x * x * x)));
}

static void gelu_loop(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p)
{
    (void)p;
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] * 0.70710678118654752f;
    cs_verf(y, y, n);
    for (int64_t i = 0; i < n; i++)
        y[i] = 0.5f * x[i] * (1.0f + y[i]);
}

static cs_status op_gelu(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns exact = {NULL, gelu_exact_f64, NULL, NULL, false};
    static const cs_unary_fns approx = {NULL, gelu_tanh_f64, NULL, NULL, false};
    const char *mode = cs_attrs_string(&ctx->node->attrs, "approximate", "none");
    if (strcmp(mode, "none") == 0)
        return cs_kernels_fast() ? cs_ew_unary_loop(ctx, gelu_loop, &exact, NULL) : cs_ew_unary(ctx, &exact, NULL);
    if (strcmp(mode, "tanh") == 0)
        return cs_ew_unary(ctx, &approx, NULL);
    return cs_kernel_fail(ctx, CS_ERR_FORMAT, "approximate must be 'none' or 'tanh', got '%s'", mode);
}

/* ---- Shrink (floats and integers) ---- */

/* params: a = lambd, b = bias */
static double shrink_f64(double x, const cs_ew_params *p)
{
    return x < -p->a ? x + p->b : x > p->a ? x - p->b : 0.0;
}

/* double -> int64 without undefined behaviour (NaN gives 0). */
static int64_t saturate_i64(double v)
{
    if (isnan(v))
        return 0;
    return v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
}

static int64_t shrink_i64(int64_t x, const cs_ew_params *p)
{
    return saturate_i64(shrink_f64((double)x, p));
}

static cs_status op_shrink(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, shrink_f64, shrink_i64, NULL, false};
    cs_ew_params p = {.a = ATTR_F(ctx, "lambd", 0.5), .b = ATTR_F(ctx, "bias", 0.0)};
    return cs_ew_unary(ctx, &fns, &p);
}

/* ---- Clip: min/max attributes before opset 11, optional scalar inputs from 11 ---- */

typedef struct clip_bounds {
    bool has_lo, has_hi;
    double lo, hi;          /* float dtypes */
    int64_t ilo, ihi;       /* integer dtypes */
} clip_bounds;

static cs_status clip_bound_input(cs_kernel_ctx *ctx, int i, bool *has, double *f, int64_t *n)
{
    const cs_tensor *t = cs_kernel_input(ctx, i);
    *has = t != NULL;
    if (!t)
        return CS_OK;
    if (t->dtype != ctx->in[0]->dtype)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s is %s but input is %s", i == 1 ? "min" : "max",
                              cs_dtype_name(t->dtype), cs_dtype_name(ctx->in[0]->dtype));
    if (cs_tensor_numel(t) != 1)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s must be a scalar, has %lld elements", i == 1 ? "min" : "max",
                              (long long)cs_tensor_numel(t));
    *f = cs_tensor_get_f64(t, 0);
    *n = cs_tensor_get_i64(t, 0);
    return CS_OK;
}

static cs_status clip_bounds_read(cs_kernel_ctx *ctx, clip_bounds *b)
{
    if (ctx->opset < 11) {
        b->has_lo = b->has_hi = true;
        b->lo = ATTR_F(ctx, "min", -FLT_MAX);
        b->hi = ATTR_F(ctx, "max", FLT_MAX);
        b->ilo = saturate_i64(b->lo);
        b->ihi = saturate_i64(b->hi);
        return CS_OK;
    }
    cs_status st = clip_bound_input(ctx, 1, &b->has_lo, &b->lo, &b->ilo);
    return st != CS_OK ? st : clip_bound_input(ctx, 2, &b->has_hi, &b->hi, &b->ihi);
}

static void clip_f32(const cs_tensor *x, cs_tensor *out, const clip_bounds *b, int64_t n)
{
    const float *px = x->data;
    float *po = out->data;
    float lo = b->has_lo ? (float)b->lo : -INFINITY, hi = b->has_hi ? (float)b->hi : INFINITY;
    for (int64_t i = 0; i < n; i++) {
        float v = px[i] < lo ? lo : px[i];
        po[i] = v > hi ? hi : v;
    }
}

static void clip_generic(const cs_tensor *x, cs_tensor *out, const clip_bounds *b, int64_t n)
{
    bool is_float = cs_dtype_is_float(x->dtype), is_u64 = x->dtype == CS_DT_U64;
    for (int64_t i = 0; i < n; i++) {
        if (is_float) {
            double v = cs_tensor_get_f64(x, i);
            v = b->has_lo && v < b->lo ? b->lo : v;
            cs_tensor_set_f64(out, i, b->has_hi && v > b->hi ? b->hi : v);
        } else if (is_u64) {
            uint64_t v = (uint64_t)cs_tensor_get_i64(x, i);
            v = b->has_lo && v < (uint64_t)b->ilo ? (uint64_t)b->ilo : v;
            cs_tensor_set_i64(out, i, (int64_t)(b->has_hi && v > (uint64_t)b->ihi ? (uint64_t)b->ihi : v));
        } else {
            int64_t v = cs_tensor_get_i64(x, i);
            v = b->has_lo && v < b->ilo ? b->ilo : v;
            cs_tensor_set_i64(out, i, b->has_hi && v > b->ihi ? b->ihi : v);
        }
    }
}

static cs_status op_clip(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st != CS_OK)
        return st;
    const cs_tensor *x = ctx->in[0];
    if (cs_dtype_size(x->dtype) == 0 || x->dtype == CS_DT_BOOL || x->dtype == CS_DT_STRING)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "input dtype %s is not supported", cs_dtype_name(x->dtype));
    clip_bounds b = {0};
    if ((st = clip_bounds_read(ctx, &b)) != CS_OK)
        return st;
    cs_tensor *out = cs_kernel_output_raw(ctx, 0, x->dtype, x->rank, x->dims);
    if (!out)
        return cs_ew_failed(ctx);
    if (x->dtype == CS_DT_F32)
        clip_f32(x, out, &b, cs_tensor_numel(x));
    else
        clip_generic(x, out, &b, cs_tensor_numel(x));
    return CS_OK;
}

const cs_op_def cs_ops_activation[] = {
    {.name = "Relu", .run = op_relu, .infer = cs_infer_same, .backward = cs_grad_relu},
    {.name = "LeakyRelu", .run = op_leaky_relu, .infer = cs_infer_same, .backward = cs_grad_leaky},
    {.name = "PRelu", .run = op_prelu, .infer = cs_infer_same},
    {.name = "ThresholdedRelu", .run = op_thresholded_relu, .infer = cs_infer_same},
    {.name = "Elu", .run = op_elu, .infer = cs_infer_same, .backward = cs_grad_elu},
    {.name = "Selu", .run = op_selu, .infer = cs_infer_same},
    {.name = "Celu", .run = op_celu, .infer = cs_infer_same},
    {.name = "Sigmoid", .run = op_sigmoid, .infer = cs_infer_same, .backward = cs_grad_sigmoid},
    {.name = "HardSigmoid", .run = op_hard_sigmoid, .infer = cs_infer_same, .backward = cs_grad_hardsigmoid},
    {.name = "HardSwish", .run = op_hard_swish, .infer = cs_infer_same},
    {.name = "Tanh", .run = op_tanh, .infer = cs_infer_same, .backward = cs_grad_tanh},
    {.name = "Softplus", .run = op_softplus, .infer = cs_infer_same, .backward = cs_grad_softplus},
    {.name = "Softsign", .run = op_softsign, .infer = cs_infer_same},
    {.name = "Mish", .run = op_mish, .infer = cs_infer_same},
    {.name = "Swish", .run = op_swish, .infer = cs_infer_same},
    {.name = "Gelu", .run = op_gelu, .infer = cs_infer_same},
    {.name = "Shrink", .run = op_shrink, .infer = cs_infer_same},
    {.name = "Clip", .run = op_clip, .infer = cs_infer_same, .backward = cs_grad_clip},
    {.name = NULL},
};

/* ---- activation subgraphs the executor fuses (exec_fuse.c) ---- */

/* A layer normalisation's constant gamma or beta as `inner` floats for x's last axis: a tensor of inner elements
 * whose last dim is inner and whose rank is at most x's (it broadcasts over the rows alone). */
static bool ln_param(const cs_kernel_ctx *ctx, int v, const cs_tensor *x, int64_t inner, const float **out)
{
    *out = NULL;
    if (v < 0)
        return true;
    const cs_tensor *p = ctx->graph->values[v].data;
    if (!p || p->dtype != CS_DT_F32 || p->rank < 1 || p->rank > x->rank || cs_tensor_numel(p) != inner ||
        p->dims[p->rank - 1] != inner)
        return false;
    *out = p->data;
    return true;
}

typedef struct ln_job {
    const float *x, *gamma, *beta;
    float *y;
    int64_t inner;
    float eps;
} ln_job;

/* Rows [begin, end): each writes only its own row. */
static void ln_part(void *user, int64_t begin, int64_t end)
{
    const ln_job *j = user;
    cs_vlayernorm(j->x + begin * j->inner, j->y + begin * j->inner, end - begin, j->inner, j->gamma, j->beta, j->eps,
                  1);
}

/* The decomposed layer normalisation over x's last axis in one pass per row (fast path; rows shared over the
 * --threads count). */
static cs_status layernorm_subgraph(cs_kernel_ctx *ctx, const cs_tensor *x)
{
    const cs_fusion *f = ctx->fuse;
    const cs_value *decl = &ctx->graph->values[f->in_value];
    int64_t inner = x->rank >= 1 ? x->dims[x->rank - 1] : 0;
    const float *gamma, *beta;
    if (x->rank < 1 || inner < 1 || (decl->rank > 0 && decl->rank != x->rank) || !ln_param(ctx, f->gamma_value, x, inner, &gamma) ||
        !ln_param(ctx, f->beta_value, x, inner, &beta))
        return CS_OK; /* the nodes run one by one */
    cs_tensor *y = cs_kernel_output_raw(ctx, 0, CS_DT_F32, x->rank, x->dims);
    if (!y)
        return ctx->err->status;
    ln_job job = {x->data, gamma, beta, y->data, inner, f->scale};
    cs_parallel_for(cs_tensor_numel(x) / inner, (CS_PAR_MIN_ELEMS + inner - 1) / inner, ln_part, &job);
    ctx->fuse_done = true;
    return CS_OK;
}

/* cs_vgelu as a cs_ew_f32_loop: p->a the scale (a float, exact in a double), p->b 1 when it divides. */
static void gelu_subgraph_loop(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p)
{
    cs_vgelu(x, y, n, (float)p->a, p->b != 0);
}

cs_status cs_ew_act_subgraph(cs_kernel_ctx *ctx, const cs_tensor *x)
{
    const cs_fusion *f = ctx->fuse;
    if (f && x && x->dtype == CS_DT_F32 && f->act == CS_ACT_LAYERNORM && ctx->graph)
        return layernorm_subgraph(ctx, x);
    if (!f || !x || x->dtype != CS_DT_F32 || f->act != CS_ACT_GELU)
        return CS_OK;
    cs_tensor *y = cs_kernel_output_raw(ctx, 0, CS_DT_F32, x->rank, x->dims);
    if (!y)
        return ctx->err->status;
    cs_ew_params p = {f->scale, f->scale_divides};
    cs_ew_f32_loop_parallel(gelu_subgraph_loop, x->data, y->data, cs_tensor_numel(x), &p);
    ctx->fuse_done = true;
    return CS_OK;
}
