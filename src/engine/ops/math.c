/* math.c — op family 'math': arithmetic (Add..Mod, Pow, BitShift), variadic Max/Min/Mean/Sum,
 * and the cs_ops_math table that also lists math_unary.c and math_logic.c kernels. */
#include "elementwise.h"
#include "math_kernels.h"
#include "registry.h"

#include "fastpath.h"
#include "infer.h"
#include "../grad/backward.h"

#include <math.h>
#include <string.h>

/* ---- binary ops with the opset < 7 broadcast form ---- */

static cs_status legacy_broadcast_view(cs_kernel_ctx *ctx, const cs_tensor *a, const cs_tensor *b, cs_tensor *view)
{
    int64_t axis = cs_attrs_int(&ctx->node->attrs, "axis", 0);
    if (axis < 0)
        axis += a->rank;
    if (axis < 0 || axis + b->rank > a->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "broadcast axis %lld does not fit B of rank %d into A of rank %d",
                              (long long)cs_attrs_int(&ctx->node->attrs, "axis", 0), b->rank, a->rank);
    *view = *b;
    view->rank = a->rank - (int)axis;
    for (int i = b->rank; i < view->rank; i++)
        view->dims[i] = 1;
    return CS_OK;
}

cs_status cs_math_binary(cs_kernel_ctx *ctx, const cs_binary_fns *fns)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st != CS_OK)
        return st;
    const cs_tensor *a = ctx->in[0], *b = ctx->in[1];
    cs_tensor view;
    const cs_attrs *attrs = &ctx->node->attrs;
    if (ctx->opset < 7 && cs_attrs_int(attrs, "broadcast", 0) != 0 && cs_attrs_find(attrs, "axis")) {
        if ((st = legacy_broadcast_view(ctx, a, b, &view)) != CS_OK)
            return st;
        b = &view;
    }
    cs_tensor *out = cs_ew_binary_new(ctx, a, b, fns);
    if (!out)
        return cs_ew_failed(ctx);
    cs_ew_set_output(ctx, 0, out);
    return CS_OK;
}

/* Integer division and modulo by zero have no defined result: report where it happens. */
static cs_status check_no_integer_zero(cs_kernel_ctx *ctx, const cs_tensor *t)
{
    if (cs_dtype_is_float(t->dtype))
        return CS_OK;
    int64_t n = cs_tensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        if (cs_tensor_get_i64(t, i) == 0)
            return cs_kernel_fail(ctx, CS_ERR_ARG, "integer division by zero: divisor element %lld is 0",
                                  (long long)i);
    return CS_OK;
}

/* ---- Add, Sub, Mul, Div (integers wrap like numpy, never signed overflow) ---- */

static double add_f64(double a, double b) { return a + b; }
static double sub_f64(double a, double b) { return a - b; }
static double mul_f64(double a, double b) { return a * b; }
static double div_f64(double a, double b) { return a / b; }
static int64_t add_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t sub_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t mul_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
/* Truncates toward zero; divisors were checked non-zero. */
static int64_t div_i64(int64_t a, int64_t b) { return b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b; }
static uint64_t div_u64(uint64_t a, uint64_t b) { return a / b; }

static cs_status op_add(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns fns = {NULL, add_f64, add_i64, NULL, false, false, '+'};
    return cs_math_binary(ctx, &fns);
}

static cs_status op_sub(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns fns = {NULL, sub_f64, sub_i64, NULL, false, false, '-'};
    return cs_math_binary(ctx, &fns);
}

static cs_status op_mul(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns fns = {NULL, mul_f64, mul_i64, NULL, false, false, '*'};
    return cs_math_binary(ctx, &fns);
}

static cs_status op_div(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns fns = {NULL, div_f64, div_i64, div_u64, false, false, '/'};
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st == CS_OK)
        st = check_no_integer_zero(ctx, ctx->in[1]);
    return st != CS_OK ? st : cs_math_binary(ctx, &fns);
}

/* ---- Mod: fmod=1 keeps the dividend's sign (C), fmod=0 the divisor's (Python) ---- */

static float fmod_f32(float a, float b) { return fmodf(a, b); }
static double fmod_f64(double a, double b) { return fmod(a, b); }
static int64_t fmod_i64(int64_t a, int64_t b) { return b == -1 ? 0 : a % b; }
static uint64_t mod_u64(uint64_t a, uint64_t b) { return a % b; }

static double floor_mod_f64(double a, double b)
{
    double r = fmod(a, b);
    if (r != 0.0 && (r < 0.0) != (b < 0.0))
        r += b;
    return r;
}

static float floor_mod_f32(float a, float b) { return (float)floor_mod_f64(a, b); }

static int64_t floor_mod_i64(int64_t a, int64_t b)
{
    int64_t r = fmod_i64(a, b);
    if (r != 0 && (r < 0) != (b < 0))
        r += b;
    return r;
}

static cs_status op_mod(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns c_mod = {fmod_f32, fmod_f64, fmod_i64, mod_u64, false, false, 0};
    static const cs_binary_fns py_mod = {floor_mod_f32, floor_mod_f64, floor_mod_i64, mod_u64, false, false, 0};
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st == CS_OK)
        st = check_no_integer_zero(ctx, ctx->in[1]);
    if (st != CS_OK)
        return st;
    bool c_style = cs_attrs_int(&ctx->node->attrs, "fmod", 0) != 0;
    return cs_math_binary(ctx, c_style ? &c_mod : &py_mod);
}

/* ---- BitShift (unsigned types; shifting by the width or more gives 0) ---- */

static int64_t shl_i64(int64_t a, int64_t b) { return (uint64_t)b >= 64 ? 0 : (int64_t)((uint64_t)a << b); }
static int64_t shr_i64(int64_t a, int64_t b) { return (uint64_t)b >= 64 ? 0 : (int64_t)((uint64_t)a >> b); }
static uint64_t shl_u64(uint64_t a, uint64_t b) { return b >= 64 ? 0 : a << b; }
static uint64_t shr_u64(uint64_t a, uint64_t b) { return b >= 64 ? 0 : a >> b; }

static cs_status op_bitshift(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns left = {NULL, NULL, shl_i64, shl_u64, false, false, 0};
    static const cs_binary_fns right = {NULL, NULL, shr_i64, shr_u64, false, false, 0};
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st != CS_OK)
        return st;
    if (!cs_ew_dtype_is_unsigned(ctx->in[0]->dtype))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "input is %s, BitShift takes unsigned integers",
                              cs_dtype_name(ctx->in[0]->dtype));
    const char *dir = cs_attrs_string(&ctx->node->attrs, "direction", "");
    if (strcmp(dir, "LEFT") != 0 && strcmp(dir, "RIGHT") != 0)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "direction must be LEFT or RIGHT, got '%s'", dir);
    return cs_math_binary(ctx, strcmp(dir, "LEFT") == 0 ? &left : &right);
}

/* ---- Pow: the output takes the base's dtype; the exponent may be of another dtype ---- */

typedef struct pow_job {
    const cs_tensor *base, *exponent;
    cs_tensor *out;
} pow_job;

/* Integer power by squaring, wrapping like numpy; negative exponents truncate 1/base^n. */
static int64_t int_pow(int64_t base, int64_t exponent)
{
    if (exponent < 0)
        return base == 1 ? 1 : base == -1 ? ((exponent & 1) ? -1 : 1) : 0;
    uint64_t result = 1, b = (uint64_t)base;
    for (uint64_t e = (uint64_t)exponent; e; e >>= 1) {
        if (e & 1)
            result *= b;
        b *= b;
    }
    return (int64_t)result;
}

static void pow_row_f32(const pow_job *j, const cs_ew_row *r)
{
    const float *pa = (const float *)j->base->data + r->in_off[0];
    const float *pb = (const float *)j->exponent->data + r->in_off[1];
    float *po = (float *)j->out->data + r->out_off;
    if (r->in_step[1] == 0 && pb[0] == 2.0f && cs_kernels_fast()) { /* x^2 as x*x: LayerNorm's variance */
        for (int64_t i = 0; i < r->len; i++)
            po[i] = pa[i * r->in_step[0]] * pa[i * r->in_step[0]];
        return;
    }
    for (int64_t i = 0; i < r->len; i++)
        po[i] = powf(pa[i * r->in_step[0]], pb[i * r->in_step[1]]);
}

static void pow_row(void *user, const cs_ew_row *r)
{
    const pow_job *j = user;
    if (j->base->dtype == CS_DT_F32 && j->exponent->dtype == CS_DT_F32) {
        pow_row_f32(j, r);
        return;
    }
    bool int_only = !cs_dtype_is_float(j->base->dtype) && !cs_dtype_is_float(j->exponent->dtype);
    for (int64_t i = 0; i < r->len; i++) {
        int64_t ia = r->in_off[0] + i * r->in_step[0], ib = r->in_off[1] + i * r->in_step[1];
        if (int_only)
            cs_tensor_set_i64(j->out, r->out_off + i,
                              int_pow(cs_tensor_get_i64(j->base, ia), cs_tensor_get_i64(j->exponent, ib)));
        else
            cs_tensor_set_f64(j->out, r->out_off + i,
                              pow(cs_tensor_get_f64(j->base, ia), cs_tensor_get_f64(j->exponent, ib)));
    }
}

static bool numeric_dtype(cs_dtype dt)
{
    return cs_dtype_size(dt) > 0 && dt != CS_DT_STRING && dt != CS_DT_BOOL;
}

static cs_status op_pow(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st != CS_OK)
        return st;
    const cs_tensor *base = ctx->in[0], *exponent = ctx->in[1];
    if (!numeric_dtype(base->dtype) || !numeric_dtype(exponent->dtype))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "Pow of %s by %s is not supported",
                              cs_dtype_name(base->dtype), cs_dtype_name(exponent->dtype));
    cs_tensor view;
    if (ctx->opset < 7 && cs_attrs_int(&ctx->node->attrs, "broadcast", 0) != 0 &&
        cs_attrs_find(&ctx->node->attrs, "axis")) {
        if ((st = legacy_broadcast_view(ctx, base, exponent, &view)) != CS_OK)
            return st;
        exponent = &view;
    }
    const cs_tensor *ins[2] = {base, exponent};
    cs_ew_plan plan;
    if ((st = cs_ew_plan_init(ctx, ins, 2, &plan)) != CS_OK)
        return st;
    cs_tensor *out = cs_kernel_output(ctx, 0, base->dtype, plan.out_rank, plan.out_dims);
    if (!out)
        return cs_ew_failed(ctx);
    pow_job job = {base, exponent, out};
    cs_ew_for_rows(&plan, pow_row, &job);
    return CS_OK;
}

/* ---- variadic Max, Min, Sum, Mean with broadcasting; NaN propagates through Max/Min ---- */

static float max_f32(float a, float b) { return (a > b || isnan(a)) ? a : b; }
static double max_f64(double a, double b) { return (a > b || isnan(a)) ? a : b; }
static int64_t max_i64(int64_t a, int64_t b) { return a > b ? a : b; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static float min_f32(float a, float b) { return (a < b || isnan(a)) ? a : b; }
static double min_f64(double a, double b) { return (a < b || isnan(a)) ? a : b; }
static int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }
static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Folds inputs left to right: acc = f(acc, in[i]). */
static cs_tensor *fold_inputs(cs_kernel_ctx *ctx, const cs_binary_fns *fns)
{
    if (ctx->n_in < 1) {
        cs_kernel_fail(ctx, CS_ERR_FORMAT, "needs at least one input");
        return NULL;
    }
    if (cs_kernel_need_inputs(ctx, ctx->n_in) != CS_OK)
        return NULL;
    cs_error local;
    cs_tensor *acc = cs_tensor_clone(ctx->in[0], &local);
    if (!acc) {
        cs_kernel_fail(ctx, local.status, "input 0: %s", local.msg);
        return NULL;
    }
    for (int i = 1; i < ctx->n_in && acc; i++) {
        cs_tensor *next = cs_ew_binary_new(ctx, acc, ctx->in[i], fns);
        cs_tensor_free(acc);
        acc = next;
    }
    return acc;
}

static cs_status run_fold(cs_kernel_ctx *ctx, const cs_binary_fns *fns)
{
    cs_tensor *out = fold_inputs(ctx, fns);
    if (!out)
        return cs_ew_failed(ctx);
    cs_ew_set_output(ctx, 0, out);
    return CS_OK;
}

static cs_status op_max(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns fns = {max_f32, max_f64, max_i64, max_u64, false, false, 0};
    return run_fold(ctx, &fns);
}

static cs_status op_min(cs_kernel_ctx *ctx)
{
    static const cs_binary_fns fns = {min_f32, min_f64, min_i64, min_u64, false, false, 0};
    return run_fold(ctx, &fns);
}

static const cs_binary_fns sum_fns = {NULL, add_f64, add_i64, NULL, false, false, '+'};

static cs_status op_sum(cs_kernel_ctx *ctx)
{
    return run_fold(ctx, &sum_fns);
}

static cs_status op_mean(cs_kernel_ctx *ctx)
{
    cs_tensor *out = fold_inputs(ctx, &sum_fns);
    if (!out)
        return cs_ew_failed(ctx);
    if (!cs_dtype_is_float(out->dtype)) {
        cs_tensor_free(out);
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "Mean takes float tensors, got %s",
                              cs_dtype_name(ctx->in[0]->dtype));
    }
    int64_t n = cs_tensor_numel(out);
    if (out->dtype == CS_DT_F32) {
        float *p = out->data;
        for (int64_t i = 0; i < n; i++)
            p[i] /= (float)ctx->n_in;
    } else {
        for (int64_t i = 0; i < n; i++)
            cs_tensor_set_f64(out, i, cs_tensor_get_f64(out, i) / ctx->n_in);
    }
    cs_ew_set_output(ctx, 0, out);
    return CS_OK;
}

const cs_op_def cs_ops_math[] = {
    {.name = "Add", .run = op_add, .infer = cs_infer_broadcast, .backward = cs_grad_add},
    {.name = "Sub", .run = op_sub, .infer = cs_infer_broadcast, .backward = cs_grad_sub},
    {.name = "Mul", .run = op_mul, .infer = cs_infer_broadcast, .backward = cs_grad_mul},
    {.name = "Div", .run = op_div, .infer = cs_infer_broadcast, .backward = cs_grad_div},
    {.name = "Mod", .run = op_mod},
    {.name = "Pow", .run = op_pow, .infer = cs_infer_broadcast},
    {.name = "BitShift", .run = op_bitshift},
    {.name = "Max", .run = op_max, .infer = cs_infer_broadcast},
    {.name = "Min", .run = op_min, .infer = cs_infer_broadcast},
    {.name = "Sum", .run = op_sum, .infer = cs_infer_broadcast, .backward = cs_grad_sum},
    {.name = "Mean", .run = op_mean, .infer = cs_infer_broadcast},
    {.name = "Equal", .run = cs_op_equal, .infer = cs_infer_compare},
    {.name = "Less", .run = cs_op_less, .infer = cs_infer_compare},
    {.name = "Greater", .run = cs_op_greater, .infer = cs_infer_compare},
    {.name = "LessOrEqual", .run = cs_op_less_or_equal, .infer = cs_infer_compare},
    {.name = "GreaterOrEqual", .run = cs_op_greater_or_equal, .infer = cs_infer_compare},
    {.name = "And", .run = cs_op_and, .infer = cs_infer_compare},
    {.name = "Or", .run = cs_op_or, .infer = cs_infer_compare},
    {.name = "Xor", .run = cs_op_xor, .infer = cs_infer_compare},
    {.name = "Not", .run = cs_op_not, .infer = cs_infer_same},
    {.name = "Where", .run = cs_op_where},
    {.name = "Abs", .run = cs_op_abs, .infer = cs_infer_same, .backward = cs_grad_abs},
    {.name = "Neg", .run = cs_op_neg, .infer = cs_infer_same, .backward = cs_grad_neg},
    {.name = "Reciprocal", .run = cs_op_reciprocal, .infer = cs_infer_same},
    {.name = "Floor", .run = cs_op_floor, .infer = cs_infer_same},
    {.name = "Ceil", .run = cs_op_ceil, .infer = cs_infer_same},
    {.name = "Round", .run = cs_op_round},
    {.name = "Sqrt", .run = cs_op_sqrt, .infer = cs_infer_same, .backward = cs_grad_sqrt},
    {.name = "Exp", .run = cs_op_exp, .infer = cs_infer_same, .backward = cs_grad_exp},
    {.name = "Log", .run = cs_op_log, .infer = cs_infer_same, .backward = cs_grad_log},
    {.name = "Erf", .run = cs_op_erf, .infer = cs_infer_same},
    {.name = "Sign", .run = cs_op_sign, .infer = cs_infer_same},
    {.name = "Sin", .run = cs_op_sin, .infer = cs_infer_same},
    {.name = "Cos", .run = cs_op_cos, .infer = cs_infer_same},
    {.name = "Tan", .run = cs_op_tan, .infer = cs_infer_same},
    {.name = "Asin", .run = cs_op_asin},
    {.name = "Acos", .run = cs_op_acos},
    {.name = "Atan", .run = cs_op_atan},
    {.name = "Sinh", .run = cs_op_sinh},
    {.name = "Cosh", .run = cs_op_cosh},
    {.name = "Asinh", .run = cs_op_asinh},
    {.name = "Acosh", .run = cs_op_acosh},
    {.name = "Atanh", .run = cs_op_atanh},
    {.name = "IsNaN", .run = cs_op_isnan},
    {.name = "IsInf", .run = cs_op_isinf},
    {.name = NULL},
};
