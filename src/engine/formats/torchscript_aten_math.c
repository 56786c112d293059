/* torchscript_aten_math.c — the math family of the aten lowering: reductions (sum, mean, max/min with indices,
 * argmax/argmin, topk, sort, cumsum), comparisons and where, elu/rsqrt/atan2, einsum, dtype and device casts (to),
 * floor_divide and run-time int arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)

/* ---- reductions ---- */

static tv *reduce(ts_ctx *c, const char *onnx, tv *x, tv *dims, tv *keep)
{
    int64_t ax[CS_MAX_RANK];
    int na = cs_ts_present(dims) ? cs_ts_ints_of(dims, ax, CS_MAX_RANK, 1) : 0;
    if (!cs_ts_need_tensor(c, onnx, x))
        return NULL;
    if (na < 0)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s over non-constant dims", onnx);
    bool sum = strcmp(onnx, "ReduceSum") == 0;
    int ins[2] = {x->value, sum && na ? cs_ts_const_ints(c, ax, na, false) : -1};
    int node, out = cs_ts_emit(c, onnx, ins, ins[1] >= 0 ? 2 : 1, &node);
    if (out < 0)
        return NULL;
    int64_t kd = cs_ts_get_int(keep, 0);
    cs_attrs *at = &c->g->nodes[node].attrs;
    if ((!sum && na > 0 && !cs_attrs_add_ints(at, "axes", ax, na)) || !cs_attrs_add_int(at, "keepdims", kd))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, x->rank < 0 ? -1 : kd ? x->rank : na ? x->rank - na : 0);
}

/* max/min: of all elements, elementwise with another tensor, or along dim returning (values, indices). */
static tv *max_min(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool mx = strncmp(name, "max", 3) == 0 || strcmp(name, "amax") == 0;
    tv *x = A(0, "input"), *d = A(1, "dim"), *other = A(1, "other");
    if (other && other->kind == TV_TENSOR) {
        int ins[2] = {cs_ts_operand(c, x), other->value};
        int r = x && x->kind == TV_TENSOR && x->rank >= 0 && other->rank >= 0 ? (x->rank > other->rank ? x->rank : other->rank) : -1;
        return ins[0] < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, mx ? "Max" : "Min", ins, 2, NULL), r);
    }
    if (strcmp(name, "amax") == 0 || strcmp(name, "amin") == 0 || !cs_ts_present(d))
        return reduce(c, mx ? "ReduceMax" : "ReduceMin", x, d, A(2, "keepdim"));
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int64_t dim = cs_ts_get_int(d, 0), kd = cs_ts_get_int(A(2, "keepdim"), 0);
    tv *vals = reduce(c, mx ? "ReduceMax" : "ReduceMin", x, d, A(2, "keepdim"));
    int node, idx = vals ? cs_ts_emit(c, mx ? "ArgMax" : "ArgMin", &x->value, 1, &node) : -1;
    if (idx < 0)
        return NULL;
    if (!cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", dim) || !cs_attrs_add_int(&c->g->nodes[node].attrs, "keepdims", kd))
        return cs_ts_oom(c);
    int outs[2] = {vals->value, idx};
    return cs_ts_tuple_of(c, outs, 2, vals->rank);
}

/* ---- comparisons ---- */

static const char *const cmp_map[][2] = {{"gt", "Greater"}, {"lt", "Less"}, {"ge", "GreaterOrEqual"},
                                         {"le", "LessOrEqual"}, {"eq", "Equal"}, {"ne", "Equal"},
                                         {"greater", "Greater"}, {"less", "Less"}};

/* A compare operand: a load-time int meeting an integer tensor stays an i64 constant. */
static int cmp_operand(ts_ctx *c, const tv *v, const tv *other)
{
    if (v->kind == TV_INT && !v->dyn && other->kind == TV_TENSOR && other->dt == CS_DT_I64)
        return cs_ts_const_ints(c, &v->i, 1, true);
    return cs_ts_operand(c, v);
}

static tv *compare(ts_ctx *c, const char *onnx, bool negate, tv *x, tv *y)
{
    int ins[2] = {cmp_operand(c, x, y), cmp_operand(c, y, x)};
    if (ins[0] < 0 || ins[1] < 0)
        return NULL;
    int r = x->kind == TV_TENSOR ? x->rank : y->rank;
    int out = cs_ts_emit(c, onnx, ins, 2, NULL);
    if (out >= 0 && negate)
        out = cs_ts_emit(c, "Not", &out, 1, NULL);
    tv *res = cs_ts_result(c, out, r);
    if (res)
        res->dt = CS_DT_BOOL;
    return res;
}

static tv *where(ts_ctx *c, tv *cond, tv *x, tv *y)
{
    if (!cs_ts_need_tensor(c, "where", cond))
        return NULL;
    int ins[3] = {cond->value, cs_ts_operand(c, x), cs_ts_operand(c, y)};
    if (ins[1] < 0 || ins[2] < 0)
        return NULL;
    return cs_ts_result(c, cs_ts_emit(c, "Where", ins, 3, NULL), cond->rank);
}

/* ---- layers ---- */

static tv *lower_elu(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    if (cs_ts_get_f(A(2, "scale"), 1) != 1 || cs_ts_get_f(A(3, "input_scale"), 1) != 1)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::elu with scale or input_scale");
    int node, out = cs_ts_emit(c, "Elu", &x->value, 1, &node);
    if (out >= 0 && !cs_attrs_add_float(&c->g->nodes[node].attrs, "alpha", cs_ts_get_f(A(1, "alpha"), 1)))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, x->rank);
}

static tv *lower_rsqrt(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int s = cs_ts_emit(c, "Sqrt", &x->value, 1, NULL);
    return s < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Reciprocal", &s, 1, NULL), x->rank);
}

/* where(cond) alone: nonzero(cond) as a tuple of one index vector per dim of cond. */
static tv *where_indices(ts_ctx *c, tv *cond)
{
    int parts = c->want_n > 0 ? c->want_n : cond->rank;
    if (!cs_ts_need_tensor(c, "where", cond))
        return NULL;
    if (parts < 1 || parts > CS_MAX_RANK)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::where(condition) of unknown rank");
    int nz = cs_ts_emit(c, "NonZero", &cond->value, 1, NULL);
    tv *r = nz < 0 ? NULL : cs_ts_new(c, TV_TUPLE);
    for (int64_t k = 0; r && k < parts; k++) {
        int node, ins[2] = {nz, cs_ts_const_ints(c, &k, 1, true)};
        int out = ins[1] < 0 ? -1 : cs_ts_emit(c, "Gather", ins, 2, &node);
        if (out < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0))
            return out < 0 ? NULL : cs_ts_oom(c);
        tv *t = cs_ts_result(c, out, 1);
        if (!t || !cs_ts_push_item(c, r, t))
            return t ? cs_ts_oom(c) : NULL;
        t->dt = CS_DT_I64;
    }
    return r;
}

static tv *lower_where(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    if (n == 1)
        return where_indices(c, A(0, "condition"));
    return where(c, A(0, "condition"), A(1, "self"), A(2, "other"));
}

static tv *lower_compare(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)kw;
    for (size_t k = 0; k < sizeof cmp_map / sizeof cmp_map[0] && n >= 2; k++)
        if (strcmp(name, cmp_map[k][0]) == 0)
            return compare(c, cmp_map[k][1], strcmp(name, "ne") == 0, a[0], a[1]);
    return cs_ts_fail(c, CS_ERR_FORMAT, "aten::%s needs two operands", name);
}

/* ---- casts, stacking, odd layers ---- */

static tv *cast_to(ts_ctx *c, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, "to", x))
        return NULL;
    int64_t code = -1; /* torch ScalarType: the first int after x (device strings, bools, tensors skipped) */
    for (int k = 1; k < n && code < 0; k++)
        if (!kw[k] && a[k]->kind == TV_INT && !a[k]->dyn)
            code = a[k]->i;
    tv *dt = A(-1, "dtype");
    if (dt && dt->kind == TV_INT)
        code = dt->i;
    tv *like = n > 1 && !kw[1] && a[1]->kind == TV_TENSOR ? a[1] : NULL;
    if (code < 0 && like) { /* x.to(other) / x.type_as(other): other's dtype */
        int ins[2] = {x->value, like->value};
        tv *r = cs_ts_result(c, cs_ts_emit(c, "CastLike", ins, 2, NULL), x->rank);
        if (r)
            r->dt = like->dt;
        return r;
    }
    if (code < 0)
        return cs_ts_result(c, cs_ts_emit(c, "Identity", &x->value, 1, NULL), x->rank);
    /* float, double, half, bfloat16 compute as f32; long, int, bool keep their kind */
    int64_t onnx = code == 6 || code == 7 || code == 5 || code == 15 ? 1 : code == 4 ? 7 : code == 3 ? 6 : code == 11 ? 9 : -1;
    if (onnx < 0)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::to with torch dtype code %lld", (long long)code);
    int node, out = cs_ts_emit(c, "Cast", &x->value, 1, &node);
    if (out >= 0 && !cs_attrs_add_int(&c->g->nodes[node].attrs, "to", onnx))
        return cs_ts_oom(c);
    tv *r = cs_ts_result(c, out, x->rank);
    if (r)
        r->dt = (cs_dtype)onnx;
    return r;
}

static tv *const_int(ts_ctx *c, tv *v)
{
    const cs_tensor *t = v && v->kind == TV_TENSOR ? c->g->values[v->value].data : NULL;
    if (!t || t->rank != 0 || (t->dtype != CS_DT_I64 && t->dtype != CS_DT_I32))
        return v;
    tv *r = cs_ts_int(c, (int64_t)cs_tensor_get_f64(t, 0));
    return r ? r : v;
}

static tv *floor_divide(ts_ctx *c, tv *x, tv *y)
{
    x = const_int(c, x);
    y = const_int(c, y);
    if (x && y && x->kind == TV_INT && y->kind == TV_INT)
        return cs_ts_dyn_int_op(c, "floordiv", x, y);
    tv *ir = cs_ts_int_divmod(c, "floordiv", x, y);
    if (ir || c->err->status)
        return ir;
    int ins[2] = {cs_ts_operand(c, x), cs_ts_operand(c, y)};
    int q = ins[0] < 0 || ins[1] < 0 ? -1 : cs_ts_emit(c, "Div", ins, 2, NULL);
    int r = x && x->kind == TV_TENSOR ? x->rank : y && y->kind == TV_TENSOR ? y->rank : 0;
    return q < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Floor", &q, 1, NULL), r);
}

tv *cs_ts_dyn_int_op(ts_ctx *c, const char *name, tv *a, tv *b)
{
    static const char *const ops[][2] = {{"add", "Add"}, {"sub", "Sub"}, {"mul", "Mul"}, {"floordiv", "Div"},
                                         {"remainder", "Mod"}, /* int64 Mod (fmod 0): the divisor's sign, as % */
                                         {"min", "Min"}, {"max", "Max"},
                                         {"eq", "Equal"}, {"ne", "Equal"}, {"lt", "Less"}, {"gt", "Greater"},
                                         {"le", "LessOrEqual"}, {"ge", "GreaterOrEqual"}}; /* from "eq": bools */
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        if (strcmp(name, ops[k][0]) != 0)
            continue;
        int ins[2] = {a->dyn ? a->value : cs_ts_const_ints(c, &a->i, 1, true),
                      b->dyn ? b->value : cs_ts_const_ints(c, &b->i, 1, true)};
        int out = ins[0] < 0 || ins[1] < 0 ? -1 : cs_ts_emit(c, ops[k][1], ins, 2, NULL);
        if (out >= 0 && strcmp(name, "ne") == 0)
            out = cs_ts_emit(c, "Not", &out, 1, NULL);
        tv *v = out < 0 ? NULL : cs_ts_new(c, k >= 7 ? TV_BOOL : TV_INT);
        if (v)
            v->dyn = true, v->value = out;
        return v;
    }
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "arithmetic on run-time sizes (aten::%s)", name);
}

static tv *mean(ts_ctx *c, tv *x, tv *dims, tv *keep)
{
    int64_t ax[CS_MAX_RANK];
    int na = cs_ts_present(dims) ? cs_ts_ints_of(dims, ax, CS_MAX_RANK, 1) : 0;
    if (!cs_ts_need_tensor(c, "mean", x) || na < 0)
        return na < 0 ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "mean over non-constant dims") : NULL;
    int node, out = cs_ts_emit(c, "ReduceMean", &x->value, 1, &node);
    if (out < 0)
        return NULL;
    int64_t kd = cs_ts_get_int(keep, 0);
    if ((na > 0 && !cs_attrs_add_ints(cs_ts_attrs(c, node), "axes", ax, na)) || !cs_attrs_add_int(cs_ts_attrs(c, node), "keepdims", kd))
        return cs_ts_oom(c);
    int r = x->rank < 0 ? -1 : kd ? x->rank : na ? x->rank - na : 0;
    return cs_ts_result(c, out, r);
}


static tv *lower_mean(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    return mean(c, A(0, "input"), A(1, "dim"), A(2, "keepdim"));
}

static tv *lower_sum(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    return reduce(c, "ReduceSum", A(0, "input"), A(1, "dim"), A(2, "keepdim"));
}

/* norm(x, p, dim, keepdim) / linalg_vector_norm(x, ord, dim, keepdim): ReduceL2 (p 2) or ReduceL1 (p 1). */
static tv *lower_norm(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    double p = cs_ts_get_f(A(1, strcmp(name, "norm") == 0 ? "p" : "ord"), 2);
    if (p != 1 && p != 2)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s of order %g (1 and 2 are supported)", name, p);
    return reduce(c, p == 2 ? "ReduceL2" : "ReduceL1", A(0, "input"), A(2, "dim"), A(3, "keepdim"));
}

static tv *lower_to(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    return cast_to(c, a, kw, n);
}

static tv *lower_floor_divide(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)kw;
    return n >= 2 ? floor_divide(c, a[0], a[1]) : cs_ts_fail(c, CS_ERR_FORMAT, "aten::%s needs two operands", name);
}

/* argmax/argmin(x, dim=None, keepdim=False): over all elements when dim is None (flattened first). */
static tv *lower_argmax(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self"), *dim = A(1, "dim");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int in = x->value, r = x->rank;
    if (!cs_ts_present(dim)) {
        int64_t m1 = -1;
        int ins[2] = {x->value, cs_ts_const_ints(c, &m1, 1, false)};
        if (ins[1] < 0 || (in = cs_ts_emit(c, "Reshape", ins, 2, NULL)) < 0)
            return NULL;
        r = 1;
    }
    int64_t keep = cs_ts_get_int(A(2, "keepdim"), 0);
    int node, out = cs_ts_emit(c, strcmp(name, "argmax") == 0 ? "ArgMax" : "ArgMin", &in, 1, &node);
    if (out < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", cs_ts_present(dim) ? cs_ts_get_int(dim, 0) : 0) ||
        !cs_attrs_add_int(cs_ts_attrs(c, node), "keepdims", cs_ts_present(dim) ? keep : 0))
        return out < 0 ? NULL : cs_ts_oom(c);
    return cs_ts_result(c, out, r < 0 ? -1 : keep && cs_ts_present(dim) ? r : r - 1);
}

/* topk(x, k, dim=-1, largest=True, sorted=True) and sort(x, dim=-1, descending=False): (values, indices). */
static tv *lower_topk(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool sort = strcmp(name, "sort") == 0;
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int64_t dim = cs_ts_get_int(sort ? A(1, "dim") : A(2, "dim"), -1);
    bool largest = sort ? cs_ts_get_int(A(2, "descending"), 0) != 0 : cs_ts_get_int(A(3, "largest"), 1) != 0;
    int kv;
    if (sort) { /* k = size of dim, taken at run time */
        tv dv = {.kind = TV_INT, .i = dim};
        tv *sz = cs_ts_size(c, x, &dv);
        if (!sz)
            return NULL;
        int64_t zero = 0;
        int ins[2] = {sz->dyn ? sz->value : cs_ts_const_ints(c, &sz->i, 1, true), cs_ts_const_ints(c, &zero, 1, false)};
        kv = ins[0] < 0 || ins[1] < 0 ? -1 : cs_ts_emit(c, "Unsqueeze", ins, 2, NULL);
    } else {
        tv *k = A(1, "k");
        if (k && k->kind == TV_INT && k->dyn) {
            int64_t zero = 0;
            int ins[2] = {k->value, cs_ts_const_ints(c, &zero, 1, false)};
            kv = ins[1] < 0 ? -1 : cs_ts_emit(c, "Unsqueeze", ins, 2, NULL);
        } else {
            int64_t kk = cs_ts_get_int(k, -1);
            if (kk < 0)
                return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::topk with a non-integer k");
            kv = cs_ts_const_ints(c, &kk, 1, false);
        }
    }
    int ins[2] = {x->value, kv}, outs[2];
    int node = kv < 0 ? -1 : cs_ts_emit_multi(c, "TopK", ins, 2, outs, 2);
    if (node < 0)
        return c->err->status ? NULL : cs_ts_oom(c);
    cs_attrs *at = cs_ts_attrs(c, node);
    if (!cs_attrs_add_int(at, "axis", dim) || !cs_attrs_add_int(at, "largest", largest) ||
        !cs_attrs_add_int(at, "sorted", 1))
        return cs_ts_oom(c);
    tv *r = cs_ts_tuple_of(c, outs, 2, x->rank);
    if (r && r->n == 2)
        r->items[0]->dt = x->dt, r->items[1]->dt = CS_DT_I64;
    return r;
}

static tv *lower_cumsum(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    int64_t dim = cs_ts_get_int(A(1, "dim"), 0);
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int ins[2] = {x->value, cs_ts_const_ints(c, &dim, 1, true)};
    return ins[1] < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "CumSum", ins, 2, NULL), x->rank);
}

/* einsum(equation, [operands]) */
static tv *lower_einsum(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *eq = A(0, "equation"), *ops = A(1, "tensors");
    if (!eq || eq->kind != TV_STR || !ops || (ops->kind != TV_LIST && ops->kind != TV_TUPLE) || ops->n < 1 ||
        ops->n > 8)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s needs an equation and a list of tensors", name);
    int ins[8];
    for (int k = 0; k < ops->n; k++)
        if (!cs_ts_need_tensor(c, name, ops->items[k]) || (ins[k] = ops->items[k]->value) < 0)
            return NULL;
    int node, out = cs_ts_emit(c, "Einsum", ins, ops->n, &node);
    if (out >= 0 && !cs_attrs_add_string(cs_ts_attrs(c, node), "equation", eq->s))
        return cs_ts_oom(c);
    const char *arrow = strstr(eq->s, "->");
    int r = -1;
    if (arrow) {
        r = 0;
        for (const char *p = arrow + 2; *p; p++)
            r += (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
        if (strstr(arrow, "..."))
            r = -1;
    }
    return cs_ts_result(c, out, r);
}

/* atan2(y, x) = 2 atan(y / (sqrt(x^2 + y^2) + x)), with the x < 0, y == 0 half-line giving pi. */
static tv *lower_atan2(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *y = A(0, "self"), *x = A(1, "other");
    if (!cs_ts_need_tensor(c, name, y) || !cs_ts_need_tensor(c, name, x))
        return NULL;
    int xx[2] = {x->value, x->value}, yy[2] = {y->value, y->value};
    int s1 = cs_ts_emit(c, "Mul", xx, 2, NULL), s2 = cs_ts_emit(c, "Mul", yy, 2, NULL);
    int sum[2] = {s1, s2};
    int r = s1 < 0 || s2 < 0 ? -1 : cs_ts_emit(c, "Add", sum, 2, NULL);
    r = r < 0 ? -1 : cs_ts_emit(c, "Sqrt", &r, 1, NULL);
    int den[2] = {r, x->value};
    int d = r < 0 ? -1 : cs_ts_emit(c, "Add", den, 2, NULL);
    int q[2] = {y->value, d};
    int t = d < 0 ? -1 : cs_ts_emit(c, "Div", q, 2, NULL);
    t = t < 0 ? -1 : cs_ts_emit(c, "Atan", &t, 1, NULL);
    float two = 2, pi = 3.14159265358979f;
    int m[2] = {t, cs_ts_const_f32(c, &two, 1, true)};
    int at = t < 0 || m[1] < 0 ? -1 : cs_ts_emit(c, "Mul", m, 2, NULL);
    int same[2] = {at, at}; /* NaN (0/0 on the negative x axis) is the only value unequal to itself: pi there */
    int eq = at < 0 ? -1 : cs_ts_emit(c, "Equal", same, 2, NULL);
    int w[3] = {eq, at, cs_ts_const_f32(c, &pi, 1, true)};
    int y2 = eq < 0 || w[2] < 0 ? -1 : cs_ts_emit(c, "Where", w, 3, NULL);
    return y2 < 0 ? NULL : cs_ts_result(c, y2, x->rank > y->rank ? x->rank : y->rank);
}

/* remainder(x, y) = x - floor(x / y) * y (the divisor's sign, as Python's %) */
static tv *lower_remainder(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)kw;
    if (n < 2)
        return cs_ts_fail(c, CS_ERR_FORMAT, "aten::%s needs two operands", name);
    tv *ir = cs_ts_int_divmod(c, "remainder", a[0], a[1]);
    if (ir || c->err->status)
        return ir;
    int x = cs_ts_operand(c, a[0]), y = cs_ts_operand(c, a[1]);
    int q[2] = {x, y};
    int d = x < 0 || y < 0 ? -1 : cs_ts_emit(c, "Div", q, 2, NULL);
    int f = d < 0 ? -1 : cs_ts_emit(c, "Floor", &d, 1, NULL);
    int m[2] = {f, y};
    int p = f < 0 ? -1 : cs_ts_emit(c, "Mul", m, 2, NULL);
    int s[2] = {x, p};
    int r = a[0]->kind == TV_TENSOR ? a[0]->rank : a[1]->kind == TV_TENSOR ? a[1]->rank : 0;
    return p < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Sub", s, 2, NULL), r);
}

const ts_aten_def cs_ts_aten_math[] = {
    {"remainder", lower_remainder},
    {"sum", lower_sum},       {"mean", lower_mean},       {"max", max_min},        {"min", max_min},
    {"amax", max_min},        {"amin", max_min},          {"argmax", lower_argmax}, {"argmin", lower_argmax},
    {"topk", lower_topk},     {"sort", lower_topk},       {"cumsum", lower_cumsum}, {"einsum", lower_einsum},
    {"elu", lower_elu},       {"rsqrt", lower_rsqrt},     {"where", lower_where},   {"atan2", lower_atan2},
    {"gt", lower_compare},    {"lt", lower_compare},      {"ge", lower_compare},   {"le", lower_compare},
    {"eq", lower_compare},    {"ne", lower_compare},      {"to", lower_to},        {"type_as", lower_to},
    {"floor_divide", lower_floor_divide}, {"norm", lower_norm}, {"linalg_vector_norm", lower_norm}, {NULL, NULL}};
