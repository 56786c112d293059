/* math_unary.c — one-input math ops of the 'math' family: Abs, Neg, Sign, rounding, roots,
 * exponentials, trigonometry and the IsNaN/IsInf predicates, on the elementwise.h driver. */
#include "elementwise.h"
#include "fastpath.h"
#include "math_kernels.h"
#include "vecmath.h"

#include <math.h>

/* An integer is already whole: rounding ops pass integer dtypes through unchanged. */
static int64_t identity_i64(int64_t x, const cs_ew_params *p)
{
    (void)p;
    return x;
}
static uint64_t identity_u64(uint64_t x, const cs_ew_params *p)
{
    (void)p;
    return x;
}

/* A one-input op from libm: f32 through the float function, wider floats through the double one, signed and
 * unsigned integers through int_fn / uint_fn (NULL: refused). */
#define LIBM_UNARY(op, float_fn, double_fn, int_fn, uint_fn)                                    \
    static float op##_f32(float x, const cs_ew_params *p)                                      \
    {                                                                                           \
        (void)p;                                                                                \
        return float_fn(x);                                                                     \
    }                                                                                           \
    static double op##_f64(double x, const cs_ew_params *p)                                    \
    {                                                                                           \
        (void)p;                                                                                \
        return double_fn(x);                                                                    \
    }                                                                                           \
    cs_status cs_op_##op(cs_kernel_ctx *ctx)                                                    \
    {                                                                                           \
        static const cs_unary_fns fns = {op##_f32, op##_f64, int_fn, uint_fn, false};           \
        return cs_ew_unary(ctx, &fns, NULL);                                                    \
    }
/* A float-only op. */
#define FLOAT_UNARY(op, float_fn, double_fn) LIBM_UNARY(op, float_fn, double_fn, NULL, NULL)
/* A rounding op: integer dtypes pass through (torch rounds int tensors to themselves, and its lowering meets
 * them where ONNX would only see floats). */
#define ROUNDING_UNARY(op, float_fn, double_fn) LIBM_UNARY(op, float_fn, double_fn, identity_i64, identity_u64)

static float reciprocal_float(float x) { return 1.0f / x; }
static double reciprocal_double(double x) { return 1.0 / x; }

FLOAT_UNARY(reciprocal, reciprocal_float, reciprocal_double)
ROUNDING_UNARY(floor, floorf, floor)
ROUNDING_UNARY(ceil, ceilf, ceil)
ROUNDING_UNARY(round, rintf, rint) /* round half to even in the default rounding mode */
FLOAT_UNARY(sqrt, sqrtf, sqrt)
FLOAT_UNARY(exp_ref, expf, exp)
FLOAT_UNARY(log, logf, log)
FLOAT_UNARY(erf_ref, erff, erf)
FLOAT_UNARY(sin, sinf, sin)
FLOAT_UNARY(cos, cosf, cos)
FLOAT_UNARY(tan, tanf, tan)
FLOAT_UNARY(asin, asinf, asin)
FLOAT_UNARY(acos, acosf, acos)
FLOAT_UNARY(atan, atanf, atan)
FLOAT_UNARY(sinh, sinhf, sinh)
FLOAT_UNARY(cosh, coshf, cosh)
FLOAT_UNARY(asinh, asinhf, asinh)
FLOAT_UNARY(acosh, acoshf, acosh)
FLOAT_UNARY(atanh, atanhf, atanh)

/* Exp and Erf: vectorised on the fast path (vecmath.h bounds), libm for the reference. */
static void exp_loop(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p)
{
    (void)p;
    cs_vexp(x, y, n);
}

static void erf_loop(const float *restrict x, float *restrict y, int64_t n, const cs_ew_params *p)
{
    (void)p;
    cs_verf(x, y, n);
}

cs_status cs_op_exp(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {exp_ref_f32, exp_ref_f64, NULL, NULL, false};
    return cs_kernels_fast() ? cs_ew_unary_loop(ctx, exp_loop, &fns, NULL) : cs_op_exp_ref(ctx);
}

cs_status cs_op_erf(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {erf_ref_f32, erf_ref_f64, NULL, NULL, false};
    return cs_kernels_fast() ? cs_ew_unary_loop(ctx, erf_loop, &fns, NULL) : cs_op_erf_ref(ctx);
}

/* ---- ops that also take integers (wrapping like numpy, never signed overflow) ---- */

static float abs_f32(float x, const cs_ew_params *p) { (void)p; return fabsf(x); }
static double abs_f64(double x, const cs_ew_params *p) { (void)p; return fabs(x); }
static int64_t abs_i64(int64_t x, const cs_ew_params *p)
{
    (void)p;
    return x < 0 ? (int64_t)(0 - (uint64_t)x) : x;
}

cs_status cs_op_abs(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {abs_f32, abs_f64, abs_i64, identity_u64, false};
    return cs_ew_unary(ctx, &fns, NULL);
}

static float neg_f32(float x, const cs_ew_params *p) { (void)p; return -x; }
static double neg_f64(double x, const cs_ew_params *p) { (void)p; return -x; }
static int64_t neg_i64(int64_t x, const cs_ew_params *p)
{
    (void)p;
    return (int64_t)(0 - (uint64_t)x);
}

cs_status cs_op_neg(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {neg_f32, neg_f64, neg_i64, NULL, false};
    return cs_ew_unary(ctx, &fns, NULL);
}

static double sign_f64(double x, const cs_ew_params *p)
{
    (void)p;
    return isnan(x) ? x : (double)((x > 0) - (x < 0));
}
static int64_t sign_i64(int64_t x, const cs_ew_params *p) { (void)p; return (x > 0) - (x < 0); }
static uint64_t sign_u64(uint64_t x, const cs_ew_params *p) { (void)p; return x != 0; }

cs_status cs_op_sign(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, sign_f64, sign_i64, sign_u64, false};
    return cs_ew_unary(ctx, &fns, NULL);
}

/* ---- predicates ---- */

static double isnan_f64(double x, const cs_ew_params *p) { (void)p; return isnan(x) ? 1.0 : 0.0; }

cs_status cs_op_isnan(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, isnan_f64, NULL, NULL, true};
    return cs_ew_unary(ctx, &fns, NULL);
}

/* params: a = detect_negative, b = detect_positive */
static double isinf_f64(double x, const cs_ew_params *p)
{
    if (!isinf(x))
        return 0.0;
    return (x < 0 ? p->a != 0.0 : p->b != 0.0) ? 1.0 : 0.0;
}

cs_status cs_op_isinf(cs_kernel_ctx *ctx)
{
    static const cs_unary_fns fns = {NULL, isinf_f64, NULL, NULL, true};
    cs_ew_params params = {
        .a = (double)cs_attrs_int(&ctx->node->attrs, "detect_negative", 1),
        .b = (double)cs_attrs_int(&ctx->node->attrs, "detect_positive", 1),
    };
    return cs_ew_unary(ctx, &fns, &params);
}
