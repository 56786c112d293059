/* torchscript_aten_detect.c — the tensor constructs of detection post-processing (torchvision SSD, R-CNN,
 * RetinaNet anchors and box selection): arange, meshgrid, unbind, _shape_as_tensor, tensor/empty, boolean masks. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)

/* torch dtype codes (c10::ScalarType) of the int and bool kinds; everything else computes in f32. */
static cs_dtype torch_dtype(const tv *d, cs_dtype dflt)
{
    if (!d || d->kind != TV_INT || d->dyn)
        return dflt;
    switch (d->i) {
    case 0: case 1: case 2: case 3: case 4: return CS_DT_I64;
    case 11: return CS_DT_BOOL;
    default: return CS_DT_F32;
    }
}

static bool is_number(const tv *v)
{
    return v && (v->kind == TV_INT || v->kind == TV_FLOAT || v->kind == TV_BOOL ||
                 (v->kind == TV_TENSOR && v->rank == 0));
}

/* A scalar operand in dtype dt: static numbers as constants, run-time ints and 0-d tensors cast when needed. */
static int scalar_as(ts_ctx *c, const tv *v, cs_dtype dt)
{
    double d;
    if (cs_ts_get_num(v, &d)) {
        if (dt == CS_DT_I64) {
            int64_t i = (int64_t)d;
            return cs_ts_const_ints(c, &i, 1, true);
        }
        float f = (float)d;
        return cs_ts_const_f32(c, &f, 1, true);
    }
    int val = cs_ts_operand(c, v), node;
    if (val < 0)
        return -1;
    const cs_tensor *k = c->g->values[val].data;
    if ((k && k->dtype == dt) || (v->kind == TV_INT && dt == CS_DT_I64))
        return val;
    int out = cs_ts_emit(c, "Cast", &val, 1, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "to", dt))
        return cs_ts_oom(c), -1;
    return out;
}

/* arange(end) / arange(start, end) / arange(start, end, step), dtype keyword or after the numbers: a Range. */
static tv *arange(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *num[3] = {NULL, NULL, NULL};
    int nn = 0, p = 0;
    for (; nn < 3; nn++, p++) {
        tv *v = cs_ts_arg(a, kw, n, p, "");
        if (!is_number(v))
            break;
        num[nn] = v;
    }
    if (nn == 0)
        return cs_ts_fail(c, CS_ERR_FORMAT, "aten::%s without an end", name);
    tv *dt = A(-1, "dtype");
    if (!dt)
        dt = cs_ts_arg(a, kw, n, nn, "");
    bool any_float = false;
    for (int k = 0; k < nn; k++)
        any_float |= num[k]->kind == TV_FLOAT || (num[k]->kind == TV_TENSOR && num[k]->dt != CS_DT_I64 &&
                                                   !(c->g->values[num[k]->value].data &&
                                                     c->g->values[num[k]->value].data->dtype == CS_DT_I64));
    cs_dtype out_dt = torch_dtype(dt, any_float ? CS_DT_F32 : CS_DT_I64);
    if (out_dt == CS_DT_BOOL)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s of dtype bool", name);
    tv zero = {.kind = TV_INT, .i = 0}, one = {.kind = TV_INT, .i = 1};
    const tv *st = nn == 1 ? &zero : num[0], *en = nn == 1 ? num[0] : num[1], *sp = nn == 3 ? num[2] : &one;
    int ins[3] = {scalar_as(c, st, out_dt), scalar_as(c, en, out_dt), scalar_as(c, sp, out_dt)};
    if (ins[0] < 0 || ins[1] < 0 || ins[2] < 0)
        return NULL;
    tv *r = cs_ts_result(c, cs_ts_emit(c, "Range", ins, 3, NULL), 1);
    if (r)
        r->dt = out_dt;
    return r;
}

/* meshgrid([t0, t1, ...], indexing): each 1-D t_i reshaped to -1 on its axis, expanded to the joint shape. */
static tv *meshgrid(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *l = A(0, "tensors"), *ix = A(1, "indexing");
    if (!l || (l->kind != TV_LIST && l->kind != TV_TUPLE) || l->n < 1 || l->n > CS_MAX_RANK)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s of something that is not a list of 1-D tensors", name);
    bool xy = ix && ix->kind == TV_STR && strcmp(ix->s, "xy") == 0 && l->n >= 2;
    int k = l->n, shapes[CS_MAX_RANK];
    for (int i = 0; i < k; i++) {
        int src = xy && i < 2 ? 1 - i : i; /* xy: the first two grids swap their axes */
        if (!cs_ts_need_tensor(c, name, l->items[src]) ||
            (shapes[i] = cs_ts_emit(c, "Shape", &l->items[src]->value, 1, NULL)) < 0)
            return NULL;
    }
    int node, joint = cs_ts_emit(c, "Concat", shapes, k, &node);
    if (joint < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0))
        return joint < 0 ? NULL : cs_ts_oom(c);
    tv *r = cs_ts_new(c, TV_TUPLE);
    tv **items = r ? cs_ts_keep(c, calloc((size_t)k, sizeof *items)) : NULL;
    if (!items)
        return cs_ts_oom(c);
    for (int i = 0; i < k; i++) {
        int axis = xy && i < 2 ? 1 - i : i;
        int64_t dims[CS_MAX_RANK];
        for (int d = 0; d < k; d++)
            dims[d] = d == axis ? -1 : 1;
        int rs[2] = {l->items[i]->value, cs_ts_const_ints(c, dims, k, false)};
        int shaped = rs[1] < 0 ? -1 : cs_ts_emit(c, "Reshape", rs, 2, NULL);
        int ex[2] = {shaped, joint};
        if (shaped < 0 || !(items[i] = cs_ts_result(c, cs_ts_emit(c, "Expand", ex, 2, NULL), k)))
            return NULL;
        items[i]->dt = l->items[i]->dt;
    }
    r->items = items;
    r->n = k;
    return r;
}

/* unbind(x, dim): as many parts as the unpacking names (x.size(dim) is only known at run time). */
static tv *unbind(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int parts = c->want_n;
    if (parts < 1 || parts > 1024)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s whose parts are not unpacked into names", name);
    int64_t dim = cs_ts_get_int(A(1, "dim"), 0);
    int *outs = malloc((size_t)parts * sizeof *outs);
    int node = outs ? cs_ts_emit_multi(c, "Split", &x->value, 1, outs, parts) : -1;
    tv *r = node >= 0 && cs_attrs_add_int(cs_ts_attrs(c, node), "axis", dim) ? cs_ts_new(c, TV_TUPLE) : NULL;
    tv **items = r ? cs_ts_keep(c, calloc((size_t)parts, sizeof *items)) : NULL;
    bool ok = items != NULL;
    for (int k = 0; ok && k < parts; k++) {
        int sq[2] = {outs[k], cs_ts_const_ints(c, &dim, 1, false)};
        ok = sq[1] >= 0 && (items[k] = cs_ts_result(c, cs_ts_emit(c, "Squeeze", sq, 2, NULL),
                                                     x->rank > 0 ? x->rank - 1 : -1)) != NULL;
        if (ok)
            items[k]->dt = x->dt;
    }
    free(outs);
    if (!ok)
        return c->err->status ? NULL : cs_ts_oom(c);
    r->items = items;
    r->n = parts;
    return r;
}

static tv *shape_as_tensor(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    tv *r = cs_ts_result(c, cs_ts_emit(c, "Shape", &x->value, 1, NULL), 1);
    if (r)
        r->dt = CS_DT_I64;
    return r;
}

/* A 0-d constant of dtype dt holding d (converted as cs_tensor_set_f64 does), through cs_ts_const. */
static tv *scalar_constant(ts_ctx *c, double d, cs_dtype dt)
{
    cs_tensor *scratch = cs_tensor_new(dt, 0, NULL, c->err);
    if (!scratch)
        return NULL;
    cs_tensor_set_f64(scratch, 0, d);
    int k = cs_ts_const(c, dt, scratch->data, 1, true);
    cs_tensor_free(scratch);
    if (k < 0)
        return cs_ts_oom(c);
    tv *r = cs_ts_tensor(c, k, 0);
    if (r)
        r->dt = dt;
    return r;
}

/* A 1-D constant of dtype dt from a list of load-time numbers (ints i64, any float: f32 unless dt says). */
static tv *list_constant(ts_ctx *c, const char *name, const tv *l, const tv *dtype)
{
    bool any_float = false, any_dyn = false;
    for (int k = 0; k < l->n; k++)
        any_dyn |= l->items[k]->kind == TV_INT && l->items[k]->dyn;
    if (any_dyn) { /* ints known at run time (sizes): concatenated in the graph */
        cs_dtype dt = torch_dtype(dtype, CS_DT_I64);
        int v = dt == CS_DT_I64 ? cs_ts_shape_value(c, l) : -1;
        if (dt != CS_DT_I64)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s of run-time ints as a non-integer dtype", name);
        tv *r = v < 0 ? NULL : cs_ts_tensor(c, v, 1);
        if (r)
            r->dt = CS_DT_I64;
        return r;
    }
    for (int k = 0; k < l->n; k++) {
        double d;
        if (!cs_ts_get_num(l->items[k], &d) || l->items[k]->kind == TV_TENSOR)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s of a list holding something other than load-time "
                              "numbers (item %d)", name, k);
        any_float |= l->items[k]->kind == TV_FLOAT;
    }
    cs_dtype dt = torch_dtype(dtype, any_float ? CS_DT_F32 : CS_DT_I64);
    int64_t dims[1] = {l->n};
    cs_tensor *scratch = cs_tensor_new(dt, 1, dims, c->err);
    if (!scratch)
        return NULL;
    for (int k = 0; k < l->n; k++) {
        double d = 0;
        cs_ts_get_num(l->items[k], &d);
        cs_tensor_set_f64(scratch, k, d);
    }
    int v = cs_ts_const(c, dt, scratch->data, l->n, false);
    cs_tensor_free(scratch);
    tv *r = v < 0 ? cs_ts_oom(c) : cs_ts_tensor(c, v, 1);
    if (r)
        r->dt = dt;
    return r;
}

/* A Cast of IR value `value` (of the given rank) to dt, as a tensor result that knows its dtype. */
static tv *cast_value(ts_ctx *c, int value, int rank, cs_dtype dt)
{
    int node, out = cs_ts_emit(c, "Cast", &value, 1, &node);
    if (out < 0)
        return NULL;
    if (!cs_attrs_add_int(cs_ts_attrs(c, node), "to", dt))
        return cs_ts_oom(c);
    tv *r = cs_ts_result(c, out, rank);
    if (r)
        r->dt = dt;
    return r;
}

/* torch.tensor(number or list of numbers, dtype=...): a constant (ints i64, floats f32 unless dtype says). */
static tv *tensor_of(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *v = A(0, "data");
    if (v && (v->kind == TV_LIST || v->kind == TV_TUPLE))
        return list_constant(c, name, v, A(1, "dtype"));
    if (v && (((v->kind == TV_INT || v->kind == TV_BOOL) && v->dyn) || (v->kind == TV_TENSOR && v->rank == 0))) {
        cs_dtype dt = torch_dtype(A(1, "dtype"), v->kind == TV_TENSOR ? CS_DT_F32 : CS_DT_I64); /* a run-time number */
        return cast_value(c, v->value, 0, dt);
    }
    double d;
    if (!cs_ts_get_num(v, &d) || v->kind == TV_TENSOR)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s of something other than load-time numbers", name);
    cs_dtype dt = torch_dtype(A(1, "dtype"), v->kind == TV_FLOAT ? CS_DT_F32 : CS_DT_I64);
    return scalar_constant(c, d, dt);
}

/* as_tensor(data, dtype=..., device=...): a tensor as it is (cast when dtype names another kind), numbers and
 * lists of numbers as constants like torch.tensor. */
static tv *as_tensor(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *v = A(0, "data"), *dtype = A(1, "dtype");
    if (!v || v->kind != TV_TENSOR)
        return tensor_of(c, name, a, kw, n);
    cs_dtype want = torch_dtype(dtype, CS_DT_UNDEFINED);
    const cs_tensor *k = c->g->values[v->value].data;
    cs_dtype have = k ? k->dtype : v->dt == CS_DT_UNDEFINED ? CS_DT_F32 : v->dt;
    if (want == CS_DT_UNDEFINED || want == have)
        return v;
    return cast_value(c, v->value, v->rank, want);
}

/* scalar_tensor(s, dtype=...): a 0-d tensor of a load-time number (a constant) or of a run-time int (cast). */
static tv *scalar_tensor(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *v = A(0, "s");
    if (v && (v->kind == TV_INT || v->kind == TV_BOOL) && v->dyn) {
        return cast_value(c, v->value, 0, torch_dtype(A(1, "dtype"), CS_DT_F32));
    }
    double d;
    if (!cs_ts_get_num(v, &d))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s of something other than a number", name);
    cs_dtype dt = torch_dtype(A(1, "dtype"), CS_DT_F32);
    return scalar_constant(c, d, dt);
}

/* empty(size, dtype=...): zeros of that shape (what torch leaves uninitialised, convscope fills with 0). */
static tv *empty(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *size = A(0, "size");
    int shp = cs_ts_shape_value(c, size);
    if (shp < 0)
        return NULL;
    int64_t one = 1;
    cs_dtype dt = torch_dtype(A(1, "dtype"), CS_DT_F32);
    cs_tensor *v = cs_tensor_new(dt, 1, &one, c->err);
    if (!v)
        return NULL;
    cs_tensor_set_f64(v, 0, 0);
    int node, out = cs_ts_emit(c, "ConstantOfShape", &shp, 1, &node);
    if (out < 0 || !cs_attrs_add_tensor(cs_ts_attrs(c, node), "value", v)) {
        cs_tensor_free(v);
        return out < 0 ? NULL : cs_ts_oom(c);
    }
    (void)name;
    tv *r = cs_ts_result(c, out, size && (size->kind == TV_LIST || size->kind == TV_TUPLE) ? size->n : -1);
    if (r)
        r->dt = dt;
    return cs_ts_note_sizes(c, r, size);
}

tv *cs_ts_index_mask(ts_ctx *c, tv *x, tv *mask, int dim)
{
    bool full = dim == 0 && x->rank > 1 && mask->rank == x->rank;
    int m = mask->value, xv = x->value, node;
    if (full) { /* x[mask] with mask of x's shape: the kept elements, flattened */
        int64_t m1 = -1;
        int r1[2] = {x->value, cs_ts_const_ints(c, &m1, 1, false)}, r2[2] = {mask->value, r1[1]};
        if (r1[1] < 0 || (xv = cs_ts_emit(c, "Reshape", r1, 2, NULL)) < 0 || (m = cs_ts_emit(c, "Reshape", r2, 2, NULL)) < 0)
            return NULL;
    } else if (mask->rank > 1) {
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::index with a rank-%d boolean mask over part of a tensor",
                          mask->rank);
    }
    int ins[2] = {xv, m};
    int out = cs_ts_emit(c, "Compress", ins, 2, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", full ? 0 : dim))
        return cs_ts_oom(c);
    tv *r = cs_ts_result(c, out, full ? 1 : x->rank);
    if (r)
        r->dt = x->dt;
    return r;
}

/* is_floating_point(x): false for tensors known to hold ints or bools, true otherwise (activations are f32). */
static tv *is_floating_point(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    const cs_tensor *k = x->kind == TV_TENSOR ? c->g->values[x->value].data : NULL;
    cs_dtype dt = k ? k->dtype : x->kind == TV_TENSOR ? x->dt : CS_DT_I64;
    return cs_ts_bool(c, dt == CS_DT_UNDEFINED || dt == CS_DT_F32 || dt == CS_DT_F64 || dt == CS_DT_F16 ||
                             dt == CS_DT_BF16);
}

tv *cs_ts_index_multi(ts_ctx *c, tv *x, const tv *list)
{
    int m = list->n, zero_v = -1;
    if (m > CS_MAX_RANK)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::index with %d indices", m);
    for (int k = 0; k < m; k++)
        if (list->items[k]->kind != TV_TENSOR || list->items[k]->dt == CS_DT_BOOL)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::index with several index tensors not all on the leading "
                              "dims, or with a boolean mask among them");
    for (int k = 0; k < m; k++) { /* zeros of the broadcast shape of all indices */
        int64_t z = 0;
        int ins[2] = {list->items[k]->value, cs_ts_const_ints(c, &z, 1, true)};
        int t = ins[1] < 0 ? -1 : cs_ts_emit(c, "Mul", ins, 2, NULL);
        int s[2] = {zero_v, t};
        zero_v = t < 0 ? -1 : k == 0 ? t : cs_ts_emit(c, "Add", s, 2, NULL);
        if (zero_v < 0)
            return NULL;
    }
    int cols[CS_MAX_RANK], node;
    for (int k = 0; k < m; k++) {
        int64_t last = -1;
        int ad[2] = {list->items[k]->value, zero_v};
        int b = cs_ts_emit(c, "Add", ad, 2, NULL);
        int un[2] = {b, cs_ts_const_ints(c, &last, 1, false)};
        if (b < 0 || un[1] < 0 || (cols[k] = cs_ts_emit(c, "Unsqueeze", un, 2, NULL)) < 0)
            return NULL;
    }
    int idx = cs_ts_emit(c, "Concat", cols, m, &node);
    if (idx < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", -1))
        return idx < 0 ? NULL : cs_ts_oom(c);
    int g[2] = {x->value, idx};
    tv *r = cs_ts_result(c, cs_ts_emit(c, "GatherND", g, 2, NULL), -1);
    if (r)
        r->dt = x->dt;
    return r;
}

static bool int_operand(ts_ctx *c, const tv *v)
{
    if (v->kind == TV_INT)
        return true;
    const cs_tensor *k = v->kind == TV_TENSOR ? c->g->values[v->value].data : NULL;
    return v->kind == TV_TENSOR && (v->dt == CS_DT_I64 || (k && (k->dtype == CS_DT_I64 || k->dtype == CS_DT_I32)));
}

tv *cs_ts_int_divmod(ts_ctx *c, const char *op, tv *a, tv *b)
{
    if (!a || !b || !int_operand(c, a) || !int_operand(c, b) || (a->kind == TV_INT && b->kind == TV_INT))
        return NULL;
    int x = scalar_as(c, a, CS_DT_I64), y = scalar_as(c, b, CS_DT_I64), node;
    int ins[2] = {x, y};
    int m = x < 0 || y < 0 ? -1 : cs_ts_emit(c, "Mod", ins, 2, &node); /* fmod 0: the divisor's sign */
    int rank = a->kind == TV_TENSOR ? a->rank : b->rank;
    if (m >= 0 && strcmp(op, "floordiv") == 0) { /* (a - a mod b) / b is exact */
        int s[2] = {x, m};
        int d[2] = {cs_ts_emit(c, "Sub", s, 2, NULL), y};
        m = d[0] < 0 ? -1 : cs_ts_emit(c, "Div", d, 2, NULL);
    }
    tv *r = cs_ts_result(c, m, rank);
    if (r)
        r->dt = CS_DT_I64;
    return r;
}

/* a & b, a | b of masks (And / Or; integer tensors: the Bitwise ops). */
static tv *logic(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self"), *y = A(1, "other");
    if (!cs_ts_need_tensor(c, name, x) || !cs_ts_need_tensor(c, name, y))
        return NULL;
    bool ints = x->dt == CS_DT_I64 && y->dt == CS_DT_I64, is_and = strstr(name, "and") != NULL;
    int ins[2] = {x->value, y->value};
    tv *r = cs_ts_result(c, cs_ts_emit(c, ints ? (is_and ? "BitwiseAnd" : "BitwiseOr") : is_and ? "And" : "Or", ins, 2,
                                       NULL), x->rank == y->rank ? x->rank : -1);
    if (r)
        r->dt = ints ? CS_DT_I64 : CS_DT_BOOL;
    return r;
}

/* log2(x) = ln(x) / ln 2 (the FPN level of a box in MultiScaleRoIAlign). */
static tv *log2_(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    float k = (float)(1.0 / log(2.0));
    int l = cs_ts_emit(c, "Log", &x->value, 1, NULL);
    int ins[2] = {l, cs_ts_const_f32(c, &k, 1, true)};
    return l < 0 || ins[1] < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Mul", ins, 2, NULL), x->rank);
}

/* scatter(x, dim, index, src) / scatter(x, dim, index, value): ScatterElements along dim. */
static tv *scatter(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self"), *idx = A(2, "index"), *src = A(3, "src");
    if (!src)
        src = A(3, "value");
    if (!cs_ts_need_tensor(c, name, x) || !cs_ts_need_tensor(c, name, idx) || !cs_ts_present(src))
        return src ? NULL : cs_ts_fail(c, CS_ERR_FORMAT, "aten::%s without a source", name);
    if (cs_ts_present(A(4, "reduce")))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s with a reduction", name);
    int upd = src->kind == TV_TENSOR ? src->value : -1;
    if (upd < 0) { /* a number: broadcast to the index's shape in x's dtype */
        int cl[2] = {cs_ts_operand(c, src), x->value};
        int cast = cl[0] < 0 ? -1 : cs_ts_emit(c, "CastLike", cl, 2, NULL);
        int ex[2] = {cast, cast < 0 ? -1 : cs_ts_emit(c, "Shape", &idx->value, 1, NULL)};
        if ((upd = ex[1] < 0 ? -1 : cs_ts_emit(c, "Expand", ex, 2, NULL)) < 0)
            return NULL;
    }
    int node, ins[3] = {x->value, idx->value, upd};
    int out = cs_ts_emit(c, "ScatterElements", ins, 3, &node);
    if (out < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", cs_ts_get_int(A(1, "dim"), 0)))
        return out < 0 ? NULL : cs_ts_oom(c);
    tv *r = cs_ts_result(c, out, x->rank);
    if (r)
        r->dt = x->dt;
    return r;
}

/* _unique2(x, sorted, return_inverse, return_counts): ONNX Unique over the flattened x (sorted ascending, as
 * torch's CPU kernel returns for sorted or not); the inverse indices take x's shape. */
static tv *unique2(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int outs[4], node = cs_ts_emit_multi(c, "Unique", &x->value, 1, outs, 4);
    if (node < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "sorted", 1))
        return node < 0 ? cs_ts_oom(c) : cs_ts_oom(c);
    int sh = cs_ts_emit(c, "Shape", &x->value, 1, NULL);
    int rs[2] = {outs[2], sh};
    int inv = sh < 0 ? -1 : cs_ts_emit(c, "Reshape", rs, 2, NULL);
    tv *r = inv < 0 ? NULL : cs_ts_new(c, TV_TUPLE);
    tv *items[3] = {cs_ts_result(c, outs[0], 1), cs_ts_result(c, inv, x->rank), cs_ts_result(c, outs[3], 1)};
    for (int k = 0; k < 3 && r; k++)
        if (!items[k] || !cs_ts_push_item(c, r, items[k]))
            return NULL;
    if (r)
        r->items[0]->dt = x->dt, r->items[1]->dt = CS_DT_I64, r->items[2]->dt = CS_DT_I64;
    return r;
}

/* x.item(): a Python number known at run time (ints: a run-time int; floats: a run-time float). */
static tv *item(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int64_t none = 0;
    int rs[2] = {x->value, cs_ts_const_ints(c, &none, 0, false)};
    int out = rs[1] < 0 ? -1 : cs_ts_emit(c, "Reshape", rs, 2, NULL);
    const cs_tensor *k = c->g->values[x->value].data;
    cs_dtype dt = k ? k->dtype : x->dt;
    tv *r = out < 0 ? NULL : cs_ts_new(c, dt == CS_DT_I64 || dt == CS_DT_BOOL ? TV_INT : TV_TENSOR);
    if (r && r->kind == TV_INT)
        r->dyn = true, r->value = out;
    else if (r)
        r->value = out, r->rank = 0, r->dt = CS_DT_F32, r->s = CS_TS_DYN_FLOAT;
    return r;
}

/* index_select(x, dim, index): a Gather along dim (index 1-D). */
static tv *index_select(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self"), *idx = A(2, "index");
    if (!cs_ts_need_tensor(c, name, x) || !cs_ts_need_tensor(c, name, idx))
        return NULL;
    int node, ins[2] = {x->value, idx->value};
    int out = cs_ts_emit(c, "Gather", ins, 2, &node);
    if (out < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", cs_ts_get_int(A(1, "dim"), 0)))
        return out < 0 ? NULL : cs_ts_oom(c);
    tv *r = cs_ts_result(c, out, x->rank);
    if (r)
        r->dt = x->dt;
    return r;
}

const ts_aten_def cs_ts_aten_detect[] = {
    {"item", item}, {"index_select", index_select},
    {"_unique2", unique2},
    {"scatter", scatter},
    {"log2", log2_},
    {"__and__", logic}, {"__or__", logic}, {"bitwise_and", logic}, {"bitwise_or", logic},
    {"is_floating_point", is_floating_point},
    {"arange", arange}, {"meshgrid", meshgrid}, {"unbind", unbind}, {"_shape_as_tensor", shape_as_tensor},
    {"tensor", tensor_of}, {"as_tensor", as_tensor}, {"empty", empty}, {"scalar_tensor", scalar_tensor}, {NULL, NULL}};
