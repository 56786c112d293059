/* torchscript_inplace.c — fills and in-place aten ops (fill_, copy_, zero_, masked_fill, relu_...) as value
 * rebinding: the mutated tensor takes the new value and a slice/select view's write is spliced into its base. */
#include <stdint.h>
#include <string.h>

#include "torchscript_internal.h"

void cs_ts_mark_view(tv *view, tv *base, int64_t dim, int lo, int hi, bool select)
{
    if (!view || !base || base->kind != TV_TENSOR || base->qdt || lo < 0)
        return;
    view->view_of = base;
    view->vdim = dim;
    view->vlo = lo;
    view->vhi = hi;
    view->vselect = select;
}

/* base[lo:hi] along axis as a Slice node (lo, hi: 1-D i64 values). */
static int part(ts_ctx *c, int base, int lo, int hi, int64_t axis)
{
    int ins[4] = {base, lo, hi, cs_ts_const_ints(c, &axis, 1, false)};
    return ins[1] < 0 || ins[2] < 0 || ins[3] < 0 ? -1 : cs_ts_emit(c, "Slice", ins, 4, NULL);
}

/* The base of view v with v's current value in place of the region v was cut from: cat(before, v, after). */
static int splice(ts_ctx *c, const tv *v)
{
    const tv *b = v->view_of;
    int64_t dim = v->vdim, zero = 0, end = INT64_MAX;
    if (dim < 0 && b->rank > 0)
        dim += b->rank;
    if (dim < 0) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "in-place write into a view along dim %lld of a tensor of unknown rank",
                   (long long)v->vdim);
        return -1;
    }
    int mid = v->value;
    if (v->vselect) { /* x[i] = ...: the row regains its dim */
        int ins[2] = {v->value, cs_ts_const_ints(c, &dim, 1, false)};
        mid = ins[1] < 0 ? -1 : cs_ts_emit(c, "Unsqueeze", ins, 2, NULL);
    }
    int z = cs_ts_const_ints(c, &zero, 1, false), e = v->vhi >= 0 ? cs_ts_const_ints(c, &end, 1, false) : 0;
    int ins[3] = {z < 0 ? -1 : part(c, b->value, z, v->vlo, dim), mid, v->vhi >= 0 && e >= 0 ? part(c, b->value, v->vhi, e, dim) : -1};
    if (ins[0] < 0 || ins[1] < 0 || (v->vhi >= 0 && ins[2] < 0))
        return -1;
    int node, out = cs_ts_emit(c, "Concat", ins, v->vhi >= 0 ? 3 : 2, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", dim)) {
        cs_ts_oom(c);
        return -1;
    }
    return out;
}

tv *cs_ts_write(ts_ctx *c, tv *x, int value)
{
    if (value < 0)
        return NULL;
    c->writes++;
    cs_ts_same_shape(c, x->value, value); /* an in-place op keeps the shape */
    x->value = value;
    for (tv *v = x; v->view_of; v = v->view_of) {
        int nb = splice(c, v);
        if (nb < 0)
            return NULL;
        cs_ts_same_shape(c, v->view_of->value, nb);
        v->view_of->value = nb;
    }
    return x;
}

/* fill_(x, value) / copy_(x, src) / zero_(x): src cast to x's dtype and broadcast to x's shape. */
static tv *fill(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = cs_ts_arg(a, kw, n, 0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    float zero = 0;
    tv *src = strcmp(name, "zero_") == 0 ? NULL : cs_ts_arg(a, kw, n, 1, strcmp(name, "copy_") == 0 ? "src" : "value");
    if (!src && strcmp(name, "zero_") != 0)
        return cs_ts_fail(c, CS_ERR_FORMAT, "aten::%s without a value", name);
    int s = src ? cs_ts_operand(c, src) : cs_ts_const_f32(c, &zero, 1, true);
    int cl[2] = {s, x->value};
    int cast = s < 0 ? -1 : cs_ts_emit(c, "CastLike", cl, 2, NULL);
    int ex[2] = {cast, cast < 0 ? -1 : cs_ts_emit(c, "Shape", &x->value, 1, NULL)};
    int out = ex[1] < 0 ? -1 : cs_ts_emit(c, "Expand", ex, 2, NULL);
    return out < 0 ? NULL : cs_ts_write(c, x, out);
}

/* masked_fill(x, mask, value): Where(mask, value cast to x's dtype, x). */
static tv *masked_fill(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = cs_ts_arg(a, kw, n, 0, "self"), *m = cs_ts_arg(a, kw, n, 1, "mask"), *v = cs_ts_arg(a, kw, n, 2, "value");
    if (!cs_ts_need_tensor(c, name, x) || !cs_ts_need_tensor(c, name, m))
        return NULL;
    if (!cs_ts_present(v))
        return cs_ts_fail(c, CS_ERR_FORMAT, "aten::%s without a value", name);
    int cl[2] = {cs_ts_operand(c, v), x->value};
    int ins[3] = {m->value, cl[0] < 0 ? -1 : cs_ts_emit(c, "CastLike", cl, 2, NULL), x->value};
    return ins[1] < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Where", ins, 3, NULL), x->rank);
}

/* numel(x): static for a constant tensor, else a run-time int (Size). */
static tv *numel(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = cs_ts_arg(a, kw, n, 0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    const cs_tensor *t = c->g->values[x->value].data;
    if (t)
        return cs_ts_int(c, (int64_t)cs_tensor_numel(t));
    int out = cs_ts_emit(c, "Size", &x->value, 1, NULL);
    tv *v = out < 0 ? NULL : cs_ts_new(c, TV_INT);
    if (v)
        v->dyn = true, v->value = out;
    return v;
}

const ts_aten_def cs_ts_aten_inplace[] = {
    {"fill_", fill}, {"copy_", fill}, {"zero_", fill}, {"masked_fill", masked_fill}, {"numel", numel}, {NULL, NULL}};
