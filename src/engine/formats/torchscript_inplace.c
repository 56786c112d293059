/* torchscript_inplace.c — fills and in-place aten ops (fill_, copy_, zero_, masked_fill, relu_...) as value
 * rebinding: the mutated tensor takes the new value and a slice/select view's write is spliced into its base;
 * index_put_ (x[idx] = v) as a ScatterND. */
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

/* index_put_(x, [idx], v) / index_put: x[idx] = v with one integer index tensor on dim 0 (a ScatterND of v cast to
 * x's dtype and broadcast to idx's shape + x's trailing dims), or a boolean mask of x's shape (a Where). */
static tv *index_put(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = cs_ts_arg(a, kw, n, 0, "self"), *l = cs_ts_arg(a, kw, n, 1, "indices"), *v = cs_ts_arg(a, kw, n, 2, "values");
    if (!cs_ts_need_tensor(c, name, x) || !cs_ts_present(v))
        return v ? NULL : cs_ts_fail(c, CS_ERR_FORMAT, "aten::%s without values", name);
    if (!l || (l->kind != TV_LIST && l->kind != TV_TUPLE) || l->n != 1 || l->items[0]->kind != TV_TENSOR)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s with other than one index tensor", name);
    if (cs_ts_get_int(cs_ts_arg(a, kw, n, 3, "accumulate"), 0))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s with accumulate=True", name);
    tv *idx = l->items[0];
    const cs_tensor *ik = c->g->values[idx->value].data;
    int cl[2] = {cs_ts_operand(c, v), x->value}, out;
    int val = cl[0] < 0 ? -1 : cs_ts_emit(c, "CastLike", cl, 2, NULL);
    if (val < 0)
        return NULL;
    if (idx->dt == CS_DT_BOOL || (ik && ik->dtype == CS_DT_BOOL)) { /* x[mask] = v */
        int w[3] = {idx->value, val, x->value};
        out = cs_ts_emit(c, "Where", w, 3, NULL);
    } else {
        int64_t last = -1, one = 1, big = INT64_MAX;
        int un[2] = {idx->value, cs_ts_const_ints(c, &last, 1, false)};
        int ind = un[1] < 0 ? -1 : cs_ts_emit(c, "Unsqueeze", un, 2, NULL);
        int xs = cs_ts_emit(c, "Shape", &x->value, 1, NULL), is = cs_ts_emit(c, "Shape", &idx->value, 1, NULL);
        int sl[3] = {xs, cs_ts_const_ints(c, &one, 1, false), cs_ts_const_ints(c, &big, 1, false)};
        int tail = xs < 0 || sl[1] < 0 || sl[2] < 0 ? -1 : cs_ts_emit(c, "Slice", sl, 3, NULL);
        int cc[2] = {is, tail}, node;
        int shp = is < 0 || tail < 0 ? -1 : cs_ts_emit(c, "Concat", cc, 2, &node);
        if (shp < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0))
            return shp < 0 ? NULL : cs_ts_oom(c);
        int ex[2] = {val, shp};
        int upd = cs_ts_emit(c, "Expand", ex, 2, NULL);
        int sc[3] = {x->value, ind, upd};
        out = ind < 0 || upd < 0 ? -1 : cs_ts_emit(c, "ScatterND", sc, 3, NULL);
    }
    if (out < 0)
        return NULL;
    if (name[strlen(name) - 1] == '_')
        return cs_ts_write(c, x, out);
    tv *r = cs_ts_result(c, out, x->rank);
    if (r)
        r->dt = x->dt;
    return r;
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
    {"index_put_", index_put}, {"index_put", index_put},
    {"fill_", fill}, {"copy_", fill}, {"zero_", fill}, {"masked_fill", masked_fill}, {"numel", numel}, {NULL, NULL}};
