/* torchscript_aten.c — lowers aten calls met while interpreting TorchScript onto ONNX-vocabulary IR nodes with
 * PyTorch semantics (opset 13 forms): the name -> function dispatch over every op family's table, and the
 * elementwise family (unary and binary maps, activations); an unknown op is an error naming the op and place. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)

/* A tensor holding floats as far as load time knows (activations: dtype unknown but not an int kind). */
static bool float_tensor(ts_ctx *c, const tv *v)
{
    if (v->kind != TV_TENSOR)
        return false;
    const cs_tensor *k = c->g->values[v->value].data;
    cs_dtype dt = k ? k->dtype : v->dt;
    return dt == CS_DT_F32 || dt == CS_DT_F64 || dt == CS_DT_F16 || (dt == CS_DT_UNDEFINED && v->qdt == 0);
}

static tv *unary(ts_ctx *c, const char *onnx, tv *x)
{
    if (!cs_ts_need_tensor(c, onnx, x))
        return NULL;
    tv *r = cs_ts_result(c, cs_ts_emit(c, onnx, &x->value, 1, NULL), x->rank);
    if (r && strcmp(onnx, "Identity") == 0)
        r->dt = x->kind == TV_INT ? CS_DT_I64 : x->dt;
    return r;
}

static int rank2(const tv *a, const tv *b)
{
    int ra = a->kind == TV_TENSOR ? a->rank : 0, rb = b->kind == TV_TENSOR ? b->rank : 0;
    return ra < 0 || rb < 0 ? -1 : ra > rb ? ra : rb;
}

/* A 0-d constant (traced Python scalars are i64/f64 tensors) meeting a computed tensor becomes f32, as
 * PyTorch's promotion leaves the dimensioned float tensor's dtype alone. */
static int promote(ts_ctx *c, int v, int other)
{
    const cs_value *a = &c->g->values[v], *b = other >= 0 ? &c->g->values[other] : NULL;
    if (!a->data || a->data->rank != 0 || a->data->dtype == CS_DT_F32 || (b && b->data))
        return v;
    float f = (float)cs_tensor_get_f64(a->data, 0);
    return cs_ts_const_f32(c, &f, 1, true);
}

static tv *binary(ts_ctx *c, const char *onnx, tv *a, tv *b, tv *alpha)
{
    if (!a || !b)
        return cs_ts_fail(c, CS_ERR_FORMAT, "%s needs two operands", onnx);
    int va = cs_ts_operand(c, a), vb = cs_ts_operand(c, b);
    if (va < 0 || vb < 0)
        return NULL;
    if (!(b->kind == TV_TENSOR && b->dt == CS_DT_I64)) /* an int tensor keeps an int scalar int (index offsets) */
        va = promote(c, va, vb);
    if (!(a->kind == TV_TENSOR && a->dt == CS_DT_I64))
        vb = promote(c, vb, va);
    double al = cs_ts_get_f(alpha, 1.0);
    if (cs_ts_present(alpha) && al != 1.0) {
        float f = (float)al;
        int ins[2] = {vb, cs_ts_const_f32(c, &f, 1, true)};
        if (ins[1] < 0 || (vb = cs_ts_emit(c, "Mul", ins, 2, NULL)) < 0)
            return NULL;
    }
    int ins[2] = {va, vb};
    return cs_ts_result(c, cs_ts_emit(c, onnx, ins, 2, NULL), rank2(a, b));
}

static tv *axis_op(ts_ctx *c, const char *onnx, tv *x, tv *dim, int rank)
{
    if (!cs_ts_need_tensor(c, onnx, x))
        return NULL;
    int node, out = cs_ts_emit(c, onnx, &x->value, 1, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", cs_ts_get_int(dim, -1)))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, rank);
}

static tv *clip(ts_ctx *c, tv *x, double lo, double hi, bool has_lo, bool has_hi)
{
    if (!cs_ts_need_tensor(c, "clamp", x))
        return NULL;
    float l = (float)lo, h = (float)hi;
    int ins[3] = {x->value, has_lo ? cs_ts_const_f32(c, &l, 1, true) : -1, has_hi ? cs_ts_const_f32(c, &h, 1, true) : -1};
    return cs_ts_result(c, cs_ts_emit(c, "Clip", ins, has_hi ? 3 : has_lo ? 2 : 1, NULL), x->rank);
}

/* ---- elementwise family ---- */

static const char *const unary_map[][2] = {
    {"relu", "Relu"},       {"sigmoid", "Sigmoid"},   {"tanh", "Tanh"},         {"neg", "Neg"},
    {"exp", "Exp"},         {"log", "Log"},           {"sqrt", "Sqrt"},         {"abs", "Abs"},
    {"erf", "Erf"},         {"floor", "Floor"},       {"ceil", "Ceil"},         {"reciprocal", "Reciprocal"},
    {"hardswish", "HardSwish"}, {"contiguous", "Identity"}, {"dropout", "Identity"}, {"feature_dropout", "Identity"},
    {"alpha_dropout", "Identity"}, {"detach", "Identity"}, {"clone", "Identity"}, {"feature_alpha_dropout", "Identity"},
    {"softplus", "Softplus"}, {"sin", "Sin"},         {"cos", "Cos"},           {"selu", "Selu"},
    {"mish", "Mish"},       {"sign", "Sign"},         {"round", "Round"},       {"log1p", NULL},
    {"atan", "Atan"},       {"asin", "Asin"},         {"acos", "Acos"},         {"tan", "Tan"},
    {"sinh", "Sinh"},       {"cosh", "Cosh"},         {"logical_not", "Not"},   {"bitwise_not", "Not"}};

static const char *const binary_map[][2] = {{"add", "Add"},       {"sub", "Sub"},       {"mul", "Mul"},
                                            {"div", "Div"},       {"matmul", "MatMul"}, {"mm", "MatMul"},
                                            {"bmm", "MatMul"},    {"pow", "Pow"},       {"maximum", "Max"},
                                            {"minimum", "Min"},   {"true_divide", "Div"}, {"multiply", "Mul"},
                                            {"logical_and", "And"}, {"logical_or", "Or"}, {"logical_xor", "Xor"}};

static const char *map_find(const char *const (*map)[2], size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(name, map[k][0]) == 0)
            return map[k][1];
    return NULL;
}

static tv *lower_unary(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)kw;
    if (strcmp(name, "log1p") == 0) { /* log(1 + x) */
        float one = 1;
        tv o = {.kind = TV_FLOAT, .f = one};
        tv *s = n > 0 ? binary(c, "Add", a[0], &o, NULL) : NULL;
        return s ? unary(c, "Log", s) : NULL;
    }
    return unary(c, map_find(unary_map, sizeof unary_map / sizeof unary_map[0], name), n > 0 ? a[0] : NULL);
}

/* div with rounding_mode "floor" / "trunc": Div then Floor (floor) or Sign * Floor(Abs) (trunc). */
static tv *div_rounded(ts_ctx *c, tv *x, tv *y, const char *mode)
{
    tv *ir = strcmp(mode, "floor") == 0 ? cs_ts_int_divmod(c, "floordiv", x, y) : NULL;
    if (ir || c->err->status)
        return ir;
    tv *q = binary(c, "Div", x, y, NULL);
    if (!q || strcmp(mode, "floor") == 0)
        return q ? unary(c, "Floor", q) : NULL;
    if (strcmp(mode, "trunc") != 0)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::div with rounding_mode '%s'", mode);
    tv *s = unary(c, "Sign", q), *f = s ? unary(c, "Abs", q) : NULL;
    f = f ? unary(c, "Floor", f) : NULL;
    return f ? binary(c, "Mul", s, f, NULL) : NULL;
}

/* An int operand: a load-time or run-time int, or a 0-d integer constant (traced Python ints); else NULL. */
static tv *int_like(ts_ctx *c, tv *v)
{
    if (v && v->kind == TV_INT)
        return v;
    const cs_tensor *t = v && v->kind == TV_TENSOR && v->value >= 0 ? c->g->values[v->value].data : NULL;
    if (!t || t->rank != 0 || (t->dtype != CS_DT_I64 && t->dtype != CS_DT_I32))
        return NULL;
    return cs_ts_int(c, (int64_t)cs_tensor_get_f64(t, 0));
}

static tv *lower_binary(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *ia = n > 1 ? int_like(c, a[0]) : NULL, *ib = ia ? int_like(c, a[1]) : NULL;
    if (ia && ib && (ia->dyn || ib->dyn)) { /* size arithmetic: int results (div of sizes rounds, never negative) */
        tv *rm = strcmp(name, "div") == 0 ? A(2, "rounding_mode") : NULL;
        if (strcmp(name, "div") != 0 || cs_ts_present(rm))
            return cs_ts_dyn_int_op(c, strcmp(name, "div") == 0 ? "floordiv" : name, ia, ib);
    }
    tv *rmode = strcmp(name, "div") == 0 && n > 1 ? A(2, "rounding_mode") : NULL;
    if (rmode && rmode->kind == TV_STR && strcmp(rmode->s, "floor") == 0) { /* integer tensors: exact in i64 */
        tv *ir = cs_ts_int_divmod(c, "floordiv", a[0], a[1]);
        if (ir || c->err->status)
            return ir;
    }
    for (int k = 0; k < 2 && n > 1; k++) { /* an int tensor (arange) meeting a float: promoted to f32 */
        const cs_tensor *o = a[1 - k]->kind == TV_TENSOR ? c->g->values[a[1 - k]->value].data : NULL;
        bool other_float = a[1 - k]->kind == TV_FLOAT || (o && (o->dtype == CS_DT_F32 || o->dtype == CS_DT_F64)) ||
                           a[1 - k]->dt == CS_DT_F32;
        bool other_unknown = a[1 - k]->kind == TV_TENSOR && !o && a[1 - k]->dt == CS_DT_UNDEFINED;
        if (a[k]->kind == TV_TENSOR && a[k]->dt == CS_DT_I64 && (other_float || strcmp(name, "div") == 0)) {
            int node, f = cs_ts_emit(c, "Cast", &a[k]->value, 1, &node);
            if (f < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "to", 1) || !(a[k] = cs_ts_tensor(c, f, a[k]->rank)))
                return f < 0 ? NULL : cs_ts_oom(c);
            a[k]->dt = CS_DT_F32;
        } else if (a[k]->kind == TV_TENSOR && a[k]->dt == CS_DT_I64 && other_unknown) { /* torch's int/float promotion */
            int ins[2] = {a[k]->value, a[1 - k]->value}, f = cs_ts_emit(c, "CastLike", ins, 2, NULL);
            if (f < 0 || !(a[k] = cs_ts_tensor(c, f, a[k]->rank)))
                return NULL;
        } else if (a[k]->kind == TV_TENSOR && a[k]->dt == CS_DT_F32 && a[1 - k]->kind == TV_TENSOR &&
                   !c->g->values[a[1 - k]->value].data && a[1 - k]->dt == CS_DT_UNDEFINED) {
            /* a tensor made float by .to(float) meets one of unknown dtype (anchor shifts built from int aranges) */
            int node, f = cs_ts_emit(c, "Cast", &a[1 - k]->value, 1, &node);
            if (f < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "to", 1) || !(a[1 - k] = cs_ts_tensor(c, f, a[1 - k]->rank)))
                return f < 0 ? NULL : cs_ts_oom(c);
            a[1 - k]->dt = CS_DT_F32;
        }
    }
    for (int k = 0; k < 2 && n > 1; k++) /* a run-time int meeting a float: computed in f32 (sizes ** -0.5) */
        if (a[k]->kind == TV_INT && a[k]->dyn && (a[1 - k]->kind == TV_FLOAT || strcmp(name, "div") == 0 ||
                                                  float_tensor(c, a[1 - k]))) {
            int node, f = cs_ts_emit(c, "Cast", &a[k]->value, 1, &node);
            if (f < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "to", 1) || !(a[k] = cs_ts_tensor(c, f, 0)))
                return f < 0 ? NULL : cs_ts_oom(c);
        }
    bool int_keeps = !strcmp(name, "add") || !strcmp(name, "sub") || !strcmp(name, "mul") || !strcmp(name, "rsub");
    for (int k = 0; k < 2 && n > 1 && int_keeps; k++) /* a Python int meeting a tensor of unknown dtype: its dtype */
        if (a[k]->kind == TV_INT && !a[k]->dyn && a[1 - k]->kind == TV_TENSOR && a[1 - k]->dt == CS_DT_UNDEFINED &&
            !c->g->values[a[1 - k]->value].data && !a[1 - k]->qdt) {
            int cl[2] = {cs_ts_const_ints(c, &a[k]->i, 1, true), a[1 - k]->value};
            int f = cl[0] < 0 ? -1 : cs_ts_emit(c, "CastLike", cl, 2, NULL);
            if (f < 0 || !(a[k] = cs_ts_tensor(c, f, 0)))
                return NULL;
        }
    tv *alpha = strcmp(name, "add") == 0 || strcmp(name, "sub") == 0 ? A(2, "alpha") : NULL;
    tv *rm = strcmp(name, "div") == 0 ? A(2, "rounding_mode") : NULL;
    if (cs_ts_present(rm))
        return rm->kind == TV_STR && n > 1 ? div_rounded(c, a[0], a[1], rm->s)
                                           : cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::div with this rounding_mode");
    return binary(c, map_find(binary_map, sizeof binary_map / sizeof binary_map[0], name), n > 0 ? a[0] : NULL,
                  n > 1 ? a[1] : NULL, alpha);
}

static tv *lower_rsub(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name, (void)kw;
    tv *ia = n > 1 ? int_like(c, a[0]) : NULL, *ib = ia ? int_like(c, a[1]) : NULL;
    if (ia && ib && (ia->dyn || ib->dyn)) /* rsub(size, k) = k - size */
        return cs_ts_dyn_int_op(c, "sub", ib, ia);
    return n >= 2 ? binary(c, "Sub", a[1], a[0], NULL) : cs_ts_fail(c, CS_ERR_FORMAT, "rsub needs two operands");
}

static tv *lower_leaky_relu(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int node, out = cs_ts_emit(c, "LeakyRelu", &x->value, 1, &node);
    if (out >= 0 && !cs_attrs_add_float(cs_ts_attrs(c, node), "alpha", cs_ts_get_f(A(1, "negative_slope"), 0.01)))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, x->rank);
}

static tv *lower_clamps(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input");
    if (strcmp(name, "hardtanh") == 0)
        return clip(c, x, cs_ts_get_f(A(1, "min_val"), -1), cs_ts_get_f(A(2, "max_val"), 1), true, true);
    if (strcmp(name, "relu6") == 0)
        return clip(c, x, 0, 6, true, true);
    if (strcmp(name, "clamp_min") == 0 || strcmp(name, "clamp_max") == 0) {
        tv *b = A(1, name[7] == 'i' ? "min" : "max");
        bool lo = name[7] == 'i';
        return clip(c, x, lo ? cs_ts_get_f(b, -INFINITY) : -INFINITY, lo ? INFINITY : cs_ts_get_f(b, INFINITY), true, !lo);
    }
    tv *lo = A(1, "min"), *hi = A(2, "max");
    double d;
    if ((cs_ts_present(lo) && !cs_ts_get_num(lo, &d)) || (cs_ts_present(hi) && !cs_ts_get_num(hi, &d)) ||
        (cs_ts_present(lo) && lo->kind == TV_TENSOR) || (cs_ts_present(hi) && hi->kind == TV_TENSOR) ||
        (lo && lo->kind == TV_INT && lo->dyn) || (hi && hi->kind == TV_INT && hi->dyn)) {
        /* bounds known at run time (an image's width): Clip with them cast to x's dtype */
        if (!cs_ts_need_tensor(c, name, x))
            return NULL;
        int ins[3] = {x->value, -1, -1};
        for (int k = 0; k < 2; k++) {
            tv *b = k ? hi : lo;
            if (!cs_ts_present(b))
                continue;
            int cl[2] = {cs_ts_operand(c, b), x->value};
            if (cl[0] < 0 || (ins[k + 1] = cs_ts_emit(c, "CastLike", cl, 2, NULL)) < 0)
                return NULL;
        }
        return cs_ts_result(c, cs_ts_emit(c, "Clip", ins, 3, NULL), x->rank);
    }
    return clip(c, x, cs_ts_get_f(lo, -INFINITY), cs_ts_get_f(hi, INFINITY), cs_ts_present(lo) || cs_ts_present(hi),
                cs_ts_present(hi));
}

static tv *lower_gelu(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input"), *ap = A(1, "approximate");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int node, out = cs_ts_emit(c, "Gelu", &x->value, 1, &node);
    if (out >= 0 &&
        !cs_attrs_add_string(cs_ts_attrs(c, node), "approximate", ap && ap->kind == TV_STR ? ap->s : "none"))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, x->rank);
}

static tv *lower_silu(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    tv *x = A(0, "input"), *s = unary(c, "Sigmoid", x);
    return s ? binary(c, "Mul", x, s, NULL) : NULL;
}

static tv *lower_hardsigmoid(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int node, out = cs_ts_emit(c, "HardSigmoid", &x->value, 1, &node);
    if (out >= 0 && (!cs_attrs_add_float(cs_ts_attrs(c, node), "alpha", 1.0 / 6) ||
                     !cs_attrs_add_float(cs_ts_attrs(c, node), "beta", 0.5)))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, x->rank);
}

static tv *lower_softmax(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input");
    return axis_op(c, name[0] == 's' ? "Softmax" : "LogSoftmax", x, A(1, "dim"), x ? x->rank : -1);
}

const ts_aten_def cs_ts_aten_core[] = {
    {"relu", lower_unary},        {"sigmoid", lower_unary},     {"tanh", lower_unary},      {"neg", lower_unary},
    {"exp", lower_unary},         {"log", lower_unary},         {"sqrt", lower_unary},      {"abs", lower_unary},
    {"erf", lower_unary},         {"floor", lower_unary},       {"ceil", lower_unary},      {"reciprocal", lower_unary},
    {"hardswish", lower_unary},   {"contiguous", lower_unary},  {"dropout", lower_unary},   {"feature_dropout", lower_unary},
    {"alpha_dropout", lower_unary}, {"detach", lower_unary},    {"clone", lower_unary},
    {"feature_alpha_dropout", lower_unary}, {"softplus", lower_unary}, {"sin", lower_unary}, {"cos", lower_unary},
    {"selu", lower_unary},        {"mish", lower_unary},        {"sign", lower_unary},      {"round", lower_unary},
    {"log1p", lower_unary},       {"atan", lower_unary},        {"asin", lower_unary},      {"acos", lower_unary},
    {"tan", lower_unary},         {"sinh", lower_unary},        {"cosh", lower_unary},      {"logical_not", lower_unary},
    {"bitwise_not", lower_unary},
    {"add", lower_binary},        {"sub", lower_binary},        {"mul", lower_binary},      {"div", lower_binary},
    {"matmul", lower_binary},     {"mm", lower_binary},         {"bmm", lower_binary},      {"pow", lower_binary},
    {"maximum", lower_binary},    {"minimum", lower_binary},    {"true_divide", lower_binary}, {"multiply", lower_binary},
    {"logical_and", lower_binary}, {"logical_or", lower_binary}, {"logical_xor", lower_binary},
    {"rsub", lower_rsub},         {"leaky_relu", lower_leaky_relu}, {"hardtanh", lower_clamps}, {"relu6", lower_clamps},
    {"clamp", lower_clamps},      {"clip", lower_clamps},       {"clamp_min", lower_clamps}, {"clamp_max", lower_clamps},       {"gelu", lower_gelu},       {"silu", lower_silu},
    {"hardsigmoid", lower_hardsigmoid}, {"softmax", lower_softmax}, {"log_softmax", lower_softmax},
    {NULL, NULL}};

/* ---- dispatch ---- */

static tv *cs_ts_aten_op(ts_ctx *c, const char *name, tv **a, char **kw, int n);

static ts_aten_fn find_fn(const char *name)
{
    static const ts_aten_def *const tables[] = {cs_ts_aten_core, cs_ts_aten_nn, cs_ts_aten_shape, cs_ts_aten_math,
                                                 cs_ts_aten_rnn, cs_ts_aten_attn,
                                                 cs_ts_aten_vision, cs_ts_aten_inplace,
                                                 cs_ts_aten_detect};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const ts_aten_def *d = tables[t]; d->name; d++)
            if (strcmp(d->name, name) == 0)
                return d->fn;
    return NULL;
}

/* The load-time dtype an op's result inherits from its first tensor operand (or list item): shape and copy
 * ops, and arithmetic whose tensor operands agree; UNDEFINED when unknown. */
static cs_dtype inherited_dt(const char *name, tv **a, int n)
{
    static const char *const keep[] = {"view", "reshape", "flatten", "select", "slice", "unsqueeze", "squeeze",
                                       "permute", "transpose", "stack", "cat", "expand", "expand_as", "repeat",
                                       "contiguous", "detach", "clone", "index", "t", "narrow", "roll", "flip",
                                       "add", "sub", "mul", "neg", "abs", "max", "min", "clamp", "maximum", "minimum"};
    bool found = false;
    for (size_t k = 0; k < sizeof keep / sizeof keep[0] && !found; k++)
        found = strcmp(name, keep[k]) == 0;
    if (!found || n < 1)
        return CS_DT_UNDEFINED;
    const tv *x = a[0]->kind == TV_LIST || a[0]->kind == TV_TUPLE ? (a[0]->n ? a[0]->items[0] : NULL) : a[0];
    if (!x || x->kind != TV_TENSOR)
        return CS_DT_UNDEFINED;
    bool arith = name[0] == 'a' || (name[0] == 's' && name[1] == 'u') || name[0] == 'm';
    if (arith && n > 1 && a[1]->kind == TV_TENSOR && a[1]->dt != x->dt)
        return CS_DT_UNDEFINED;
    if (arith && n > 1 && a[1]->kind == TV_FLOAT)
        return CS_DT_UNDEFINED;
    return x->dt;
}

static tv *cs_ts_aten_op(ts_ctx *c, const char *name, tv **a, char **kw, int n);

static bool dyn_float(const tv *v)
{
    return v && v->kind == TV_TENSOR && v->rank == 0 && v->s && strcmp(v->s, CS_TS_DYN_FLOAT) == 0;
}

/* Arithmetic on Python numbers where one is a float known only at run time: floor/ceil give ints, the rest
 * stays a run-time float. NULL without error when `name` is not such a call. */
static tv *number_op(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool any = false, numbers = n >= 1;
    for (int k = 0; k < n; k++) {
        any |= dyn_float(a[k]);
        numbers &= !kw[k] && (dyn_float(a[k]) || a[k]->kind == TV_INT || a[k]->kind == TV_FLOAT);
    }
    if (!any || !numbers)
        return NULL;
    bool to_int = strcmp(name, "floor") == 0 || strcmp(name, "ceil") == 0 || strcmp(name, "round") == 0;
    tv *r = cs_ts_aten_op(c, name, a, kw, n);
    if (!r || r->kind != TV_TENSOR)
        return r;
    if (!to_int) {
        r->rank = 0, r->s = CS_TS_DYN_FLOAT, r->dt = CS_DT_F32;
        return r;
    }
    int node, out = cs_ts_emit(c, "Cast", &r->value, 1, &node);
    if (out < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "to", CS_DT_I64))
        return out < 0 ? NULL : cs_ts_oom(c);
    tv *i = cs_ts_new(c, TV_INT);
    if (i)
        i->dyn = true, i->value = out;
    return i;
}

tv *cs_ts_aten(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    for (int k = 0; k < n; k++) /* ranks the IR so far implies (a row of a [1, N, 4] batch...) */
        if (a[k]->kind == TV_TENSOR && a[k]->rank < 0)
            a[k]->rank = cs_ts_known_rank(c, a[k]);
    tv *r = number_op(c, name, a, kw, n);
    if (r || c->err->status)
        return r;
    r = cs_ts_aten_op(c, name, a, kw, n);
    if (r && r->kind == TV_TENSOR && r->dt == CS_DT_UNDEFINED && !r->qdt)
        r->dt = inherited_dt(name, a, n);
    return r;
}

static tv *cs_ts_aten_op(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    if (cs_ts_quant_wants(name, a, n))
        return cs_ts_quant_aten(c, name, a, kw, n);
    ts_aten_fn fn = find_fn(name);
    size_t len = strlen(name);
    if (!fn && len > 1 && len < 64 && name[len - 1] == '_' && name[0] != '_') { /* in-place relu_ is relu */
        char base[64];
        memcpy(base, name, len - 1);
        base[len - 1] = 0;
        if ((fn = find_fn(base))) { /* the result rebinds the first argument (and the base it is a view of) */
            tv *r = fn(c, base, a, kw, n);
            tv *x = n > 0 && !kw[0] ? a[0] : NULL;
            if (r && x && x->kind == TV_TENSOR && !x->qdt && r->kind == TV_TENSOR && r->value != x->value)
                return cs_ts_write(c, x, r->value);
            return r;
        }
    }
    if (!fn)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "unsupported TorchScript op aten::%s", name);
    return fn(c, name, a, kw, n);
}
