/* torchscript_aten_shape.c — the shape family of the aten lowering: view/reshape, flatten, permute/transpose,
 * cat/stack, slice/select, squeeze/unsqueeze, pad, split/chunk, expand/expand_as/repeat. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)

static tv *reshape(ts_ctx *c, tv *x, tv *shape)
{
    if (!cs_ts_need_tensor(c, "view", x))
        return NULL;
    int s = cs_ts_shape_value(c, shape);
    int ins[2] = {x->value, s};
    int r = shape && (shape->kind == TV_LIST || shape->kind == TV_TUPLE) ? shape->n : -1;
    tv *out = s < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Reshape", ins, 2, NULL), r);
    for (int k = 0; out && k < r; k++) /* ONNX reads a 0 as "copy the input's": no size to note then */
        if (shape->items[k]->kind == TV_INT && !shape->items[k]->dyn && shape->items[k]->i == 0)
            return out;
    return cs_ts_note_sizes(c, out, shape);
}

static tv *flatten(ts_ctx *c, tv *x, tv *start, tv *end)
{
    int64_t s = cs_ts_get_int(start, 0), e = cs_ts_get_int(end, -1);
    if (!cs_ts_need_tensor(c, "flatten", x))
        return NULL;
    if (x->rank >= 0) {
        if (s < 0)
            s += x->rank;
        if (e < 0)
            e += x->rank;
        if (e == x->rank - 1)
            e = -1;
    }
    if (e == -1 && s == 0) {
        int64_t m1 = -1;
        int shp = cs_ts_const_ints(c, &m1, 1, false);
        int ins[2] = {x->value, shp};
        return shp < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Reshape", ins, 2, NULL), 1);
    }
    if (e == -1 && s > 0 && (s == 1 || x->rank >= 0)) {
        if (s != 1) { /* keep leading dims: reshape to [d0..d(s-1), -1] via zeros (copy dims) */
            int64_t shape[CS_MAX_RANK];
            for (int k = 0; k < s && k < CS_MAX_RANK - 1; k++)
                shape[k] = 0;
            shape[s] = -1;
            int shp = cs_ts_const_ints(c, shape, (int)s + 1, false);
            int ins[2] = {x->value, shp};
            return shp < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Reshape", ins, 2, NULL), (int)s + 1);
        }
        int node, out = cs_ts_emit(c, "Flatten", &x->value, 1, &node);
        if (out >= 0)
            cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 1);
        return cs_ts_result(c, out, 2);
    }
    if (s >= 0 && e > s && e < CS_MAX_RANK) { /* leading dims kept (0: copy), s..e merged (-1), the rest from Shape */
        int64_t head[CS_MAX_RANK], lo = e + 1, hi = INT64_MAX, zero = 0;
        for (int64_t k = 0; k < s; k++)
            head[k] = 0;
        head[s] = -1;
        int shape = cs_ts_emit(c, "Shape", &x->value, 1, NULL);
        int sl[4] = {shape, cs_ts_const_ints(c, &lo, 1, false), cs_ts_const_ints(c, &hi, 1, false),
                     cs_ts_const_ints(c, &zero, 1, false)};
        int parts[2] = {cs_ts_const_ints(c, head, (int)s + 1, false),
                        shape < 0 || sl[1] < 0 || sl[2] < 0 || sl[3] < 0 ? -1 : cs_ts_emit(c, "Slice", sl, 4, NULL)};
        int node, shp = parts[0] < 0 || parts[1] < 0 ? -1 : cs_ts_emit(c, "Concat", parts, 2, &node);
        if (shp < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0))
            return shp < 0 ? NULL : cs_ts_oom(c);
        int ins[2] = {x->value, shp};
        return cs_ts_result(c, cs_ts_emit(c, "Reshape", ins, 2, NULL), -1);
    }
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "flatten(start_dim=%lld, end_dim=%lld) on a tensor of unknown rank",
                      (long long)s, (long long)e);
}

static tv *transpose_perm(ts_ctx *c, tv *x, const int64_t *perm, int r)
{
    int node, out = cs_ts_emit(c, "Transpose", &x->value, 1, &node);
    if (out < 0)
        return NULL;
    if (!cs_attrs_add_ints(cs_ts_attrs(c, node), "perm", perm, r))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, r);
}

static tv *transpose(ts_ctx *c, tv *x, tv *d0, tv *d1)
{
    if (!cs_ts_need_tensor(c, "transpose", x))
        return NULL;
    if (x->rank < 0) {
        const cs_tensor *t = c->g->values[x->value].data;
        if (t)
            x->rank = t->rank;
    }
    int64_t a = cs_ts_get_int(d0, 0), b = cs_ts_get_int(d1, 1), perm[CS_MAX_RANK];
    if (x->rank < 0) { /* rank known only at run time: convscope's TransposeDims swaps the two axes */
        int node, out = cs_ts_emit(c, "TransposeDims", &x->value, 1, &node);
        if (out < 0)
            return NULL;
        free(c->g->nodes[node].domain);
        c->g->nodes[node].domain = strdup("convscope");
        if (!c->g->nodes[node].domain || !cs_attrs_add_int(cs_ts_attrs(c, node), "dim0", a) ||
            !cs_attrs_add_int(cs_ts_attrs(c, node), "dim1", b))
            return cs_ts_oom(c);
        return cs_ts_result(c, out, -1);
    }
    if (a < 0)
        a += x->rank;
    if (b < 0)
        b += x->rank;
    if (a < 0 || b < 0 || a >= x->rank || b >= x->rank)
        return cs_ts_fail(c, CS_ERR_SHAPE, "transpose dims out of range");
    for (int k = 0; k < x->rank; k++)
        perm[k] = k;
    perm[a] = b;
    perm[b] = a;
    return transpose_perm(c, x, perm, x->rank);
}

static tv *cat(ts_ctx *c, tv *list, tv *dim)
{
    if (!list || (list->kind != TV_LIST && list->kind != TV_TUPLE) || list->n < 1 || list->n > 4096)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "cat of something that is not a list of tensors");
    int *ins = malloc((size_t)list->n * sizeof *ins);
    if (!ins)
        return cs_ts_oom(c);
    for (int k = 0; k < list->n; k++)
        if ((ins[k] = cs_ts_operand(c, list->items[k])) < 0) {
            free(ins);
            return NULL;
        }
    /* the executor takes at most 64 inputs a node: longer lists (SSD's 90 classes) concatenate in groups */
    int m = list->n, out = -1;
    while (m > 0) {
        int groups = 0;
        for (int k = 0; k < m; k += 64, groups++) {
            int node, len = m - k < 64 ? m - k : 64;
            out = cs_ts_emit(c, "Concat", ins + k, len, &node);
            if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", cs_ts_get_int(dim, 0)))
                out = -1, cs_ts_oom(c);
            if (out < 0)
                break;
            ins[groups] = out;
        }
        if (out < 0 || groups == 1)
            break;
        m = groups;
    }
    free(ins);
    return out < 0 ? NULL : cs_ts_result(c, out, list->items[0]->rank);
}

static tv *pad(ts_ctx *c, tv *x, tv *pads, tv *mode, tv *value)
{
    int np = pads && (pads->kind == TV_LIST || pads->kind == TV_TUPLE) ? pads->n : -1;
    if (!cs_ts_need_tensor(c, "pad", x) || np < 0 || np % 2 || np > 2 * CS_MAX_RANK)
        return np < 0 || np % 2 ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "pad with a pad list that is not a list") : NULL;
    bool by_axes = x->rank < 0; /* unknown rank: the padded axes named from the end (Pad's axes input) */
    int r = by_axes ? np / 2 : x->rank;
    if (np / 2 > r)
        return cs_ts_fail(c, CS_ERR_SHAPE, "pad list longer than the tensor rank");
    /* torch: (last_begin, last_end, prev_begin, prev_end...) -> ONNX (begins..., ends...); items may be run-time */
    tv *zero = cs_ts_int(c, 0), *ordered = cs_ts_new(c, TV_LIST);
    tv **items = zero && ordered ? cs_ts_keep(c, calloc((size_t)(2 * r), sizeof *items)) : NULL;
    if (!items)
        return cs_ts_oom(c);
    for (int k = 0; k < 2 * r; k++)
        items[k] = zero;
    int64_t axes[CS_MAX_RANK];
    for (int k = 0; k < np / 2; k++) {
        int at = by_axes ? k : r - 1 - k; /* by axes: axis -1 - k */
        items[at] = pads->items[2 * k];
        items[r + at] = pads->items[2 * k + 1];
        axes[k] = -1 - k;
    }
    ordered->items = items, ordered->n = 2 * r;
    float v = (float)cs_ts_get_f(value, 0.0);
    int ins[4] = {x->value, cs_ts_shape_value(c, ordered), cs_ts_const_f32(c, &v, 1, true),
                  by_axes ? cs_ts_const_ints(c, axes, r, false) : 0};
    if (ins[1] < 0 || ins[2] < 0 || ins[3] < 0)
        return NULL;
    int node, out = cs_ts_emit(c, "Pad", ins, by_axes ? 4 : 3, &node);
    if (out < 0)
        return NULL;
    const char *m = mode && mode->kind == TV_STR ? mode->s : "constant";
    const char *om = strcmp(m, "reflect") == 0 ? "reflect" : strcmp(m, "replicate") == 0 ? "edge" : "constant";
    if (strcmp(m, "circular") == 0)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "circular padding");
    return cs_attrs_add_string(cs_ts_attrs(c, node), "mode", om) ? cs_ts_result(c, out, x->rank) : cs_ts_oom(c);
}

/* A slice bound as a 1-D i64 value: a run-time int's scalar or a one-element tensor (annotate(int, t) in
 * torchvision's paste_masks), else the static `dflt`. */
static int bound(ts_ctx *c, const tv *b, int64_t dflt)
{
    if (b && b->kind == TV_TENSOR) {
        int64_t one = 1;
        int node, i = cs_ts_emit(c, "Cast", &b->value, 1, &node);
        if (i < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "to", CS_DT_I64))
            return i < 0 ? -1 : (cs_ts_oom(c), -1);
        int rs[2] = {i, cs_ts_const_ints(c, &one, 1, false)};
        return rs[1] < 0 ? -1 : cs_ts_emit(c, "Reshape", rs, 2, NULL);
    }
    if (!b || b->kind != TV_INT || !b->dyn)
        return cs_ts_const_ints(c, &dflt, 1, false);
    int64_t zero = 0;
    int ins[2] = {b->value, cs_ts_const_ints(c, &zero, 1, false)};
    return ins[1] < 0 ? -1 : cs_ts_emit(c, "Unsqueeze", ins, 2, NULL);
}

static tv *slice(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    tv *x = cs_ts_arg(a, kw, n, 0, "self");
    if (!cs_ts_need_tensor(c, "slice", x))
        return NULL;
    bool list = x->s && strcmp(x->s, CS_TS_SIZE_LIST) == 0 && !kw[0]; /* x.size()[a:b] of unknown rank */
    int64_t dim = list ? 0 : cs_ts_get_int(cs_ts_arg(a, kw, n, 1, "dim"), 0);
    int64_t step = cs_ts_get_int(cs_ts_arg(a, kw, n, list ? 3 : 4, "step"), 1);
    tv *st = cs_ts_arg(a, kw, n, list ? 1 : 2, "start"), *en = cs_ts_arg(a, kw, n, list ? 2 : 3, "end");
    int64_t s = cs_ts_present(st) ? cs_ts_get_int(st, 0) : 0, e = cs_ts_present(en) ? cs_ts_get_int(en, INT64_MAX) : INT64_MAX;
    int ins[5] = {x->value, bound(c, st, s), bound(c, en, e), cs_ts_const_ints(c, &dim, 1, false),
                  cs_ts_const_ints(c, &step, 1, false)};
    for (int k = 1; k < 5; k++)
        if (ins[k] < 0)
            return NULL;
    tv *r = cs_ts_result(c, cs_ts_emit(c, "Slice", ins, 5, NULL), x->rank);
    if (r && list)
        r->s = CS_TS_SIZE_LIST;
    else if (r && step == 1)
        cs_ts_mark_view(r, x, dim, ins[1], en && (en->dyn || en->kind == TV_TENSOR) ? ins[2] : e == INT64_MAX ? -1 : ins[2],
                        false);
    return r;
}

static tv *squeeze(ts_ctx *c, const char *onnx, tv *x, tv *dim)
{
    if (!cs_ts_need_tensor(c, onnx, x))
        return NULL;
    if (!cs_ts_present(dim))
        return cs_ts_result(c, cs_ts_emit(c, onnx, &x->value, 1, NULL), -1);
    int64_t d = cs_ts_get_int(dim, 0);
    int ins[2] = {x->value, cs_ts_const_ints(c, &d, 1, false)};
    int r = x->rank < 0 ? -1 : x->rank + (onnx[0] == 'U' ? 1 : -1);
    return ins[1] < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, onnx, ins, 2, NULL), r);
}

/* ---- splits ---- */

/* chunk (equal parts) and split by a list of sizes: one ONNX Split. */
static tv *split_parts(ts_ctx *c, tv *x, const int64_t *sizes, int parts, int64_t dim)
{
    if (parts < 1 || parts > 1024)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "split into %d parts", parts);
    int ins[2] = {x->value, sizes ? cs_ts_const_ints(c, sizes, parts, false) : -1};
    int *outs = malloc((size_t)parts * sizeof *outs);
    int node = outs ? cs_ts_emit_multi(c, "Split", ins, sizes ? 2 : 1, outs, parts) : -1;
    tv *r = NULL;
    if (node >= 0 && cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", dim))
        r = cs_ts_tuple_of(c, outs, parts, x->rank);
    else
        cs_ts_oom(c);
    free(outs);
    return r;
}

/* split by an int size: as many Slice parts as the assignment unpacks (the dim size is a run-time value);
 * bound to one name first (scripted code), a lazy value that the later unpacking resolves. */
static tv *split_by_size(ts_ctx *c, tv *x, int64_t size, int64_t dim)
{
    if (size < 1)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "split by size %lld", (long long)size);
    tv *t = cs_ts_new(c, TV_UNKNOWN);
    if (!t)
        return NULL;
    t->s = CS_TS_LAZY_SPLIT;
    t->value = x->value;
    t->rank = x->rank;
    t->i = size;
    t->f = (double)dim;
    return c->want_n > 0 ? cs_ts_split_lazy(c, t, c->want_n) : t;
}

tv *cs_ts_split_lazy(ts_ctx *c, const tv *lazy, int parts)
{
    int64_t size = lazy->i, dim = (int64_t)lazy->f;
    tv *t = parts > 0 && parts <= 1024 ? cs_ts_new(c, TV_TUPLE) : NULL;
    tv **items = t ? cs_ts_keep(c, calloc((size_t)parts, sizeof *items)) : NULL;
    if (!items)
        return parts > 0 && parts <= 1024 ? cs_ts_oom(c) : cs_ts_fail(c, CS_ERR_UNSUPPORTED, "split into %d parts", parts);
    for (int k = 0; k < parts; k++) {
        int64_t s = k * size, e = k == parts - 1 ? INT64_MAX : (k + 1) * size;
        int ins[4] = {lazy->value, cs_ts_const_ints(c, &s, 1, false), cs_ts_const_ints(c, &e, 1, false),
                      cs_ts_const_ints(c, &dim, 1, false)};
        if (ins[1] < 0 || ins[2] < 0 || ins[3] < 0 ||
            !(items[k] = cs_ts_result(c, cs_ts_emit(c, "Slice", ins, 4, NULL), lazy->rank)))
            return NULL;
    }
    t->items = items;
    t->n = parts;
    return t;
}

/* split by a list of sizes some of which are run-time ints: one Split with the sizes as a value. */
static tv *split_dyn(ts_ctx *c, tv *x, tv *sizes, int64_t dim)
{
    int ins[2] = {x->value, cs_ts_shape_value(c, sizes)};
    if (ins[1] < 0)
        return NULL;
    int parts = sizes->n, *outs = malloc((size_t)parts * sizeof *outs);
    int node = outs ? cs_ts_emit_multi(c, "Split", ins, 2, outs, parts) : -1;
    tv *r = NULL;
    if (node >= 0 && cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", dim))
        r = cs_ts_tuple_of(c, outs, parts, x->rank);
    else if (!c->err->status)
        cs_ts_oom(c);
    free(outs);
    return r;
}

static tv *split(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    if (strcmp(name, "chunk") == 0)
        return split_parts(c, x, NULL, (int)cs_ts_get_int(A(1, "chunks"), 0), cs_ts_get_int(A(2, "dim"), 0));
    tv *s = A(1, "split_size");
    if (!s)
        s = A(1, "split_sizes");
    int64_t dim = cs_ts_get_int(A(2, "dim"), 0), sizes[1024];
    if (s && s->kind == TV_INT && !s->dyn)
        return split_by_size(c, x, s->i, dim);
    int ns = cs_ts_ints_of(s, sizes, 1024, 1);
    if (ns < 1 && s && (s->kind == TV_LIST || s->kind == TV_TUPLE) && s->n >= 1 && s->n <= 1024)
        return split_dyn(c, x, s, dim); /* sizes known at run time (anchors per level) */
    if (ns < 1)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s with non-constant sizes", name);
    return split_parts(c, x, sizes, ns, dim);
}

static tv *select_(ts_ctx *c, tv *x, tv *dim, tv *index)
{
    if (!cs_ts_need_tensor(c, "select", x))
        return NULL;
    int64_t i = cs_ts_get_int(index, 0);
    int ins[2] = {x->value, index && index->kind == TV_INT && index->dyn ? index->value : cs_ts_const_ints(c, &i, 1, true)};
    int node, out = ins[1] < 0 ? -1 : cs_ts_emit(c, "Gather", ins, 2, &node);
    if (out >= 0 && !cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", cs_ts_get_int(dim, 0)))
        return cs_ts_oom(c);
    tv *r = cs_ts_result(c, out, x->rank < 0 ? -1 : x->rank - 1);
    int64_t lo = i, hi = i + 1;
    if (r && !(index && index->dyn))
        cs_ts_mark_view(r, x, cs_ts_get_int(dim, 0), cs_ts_const_ints(c, &lo, 1, false),
                        i == -1 ? -1 : cs_ts_const_ints(c, &hi, 1, false), true);
    if (r && index && index->kind == TV_INT && index->dyn) { /* x[i] with i a run-time index (a Loop's): i >= 0 */
        int64_t zero = 0, one = 1;
        int un[2] = {index->value, cs_ts_const_ints(c, &zero, 1, false)};
        int lo1 = un[1] < 0 ? -1 : cs_ts_emit(c, "Unsqueeze", un, 2, NULL);
        int ad[2] = {lo1, cs_ts_const_ints(c, &one, 1, false)};
        int hi1 = lo1 < 0 || ad[1] < 0 ? -1 : cs_ts_emit(c, "Add", ad, 2, NULL);
        if (hi1 < 0)
            return NULL;
        cs_ts_mark_view(r, x, cs_ts_get_int(dim, 0), lo1, hi1, true);
    }
    return r;
}

static tv *stack(ts_ctx *c, tv *list, tv *dim)
{
    if (!list || (list->kind != TV_LIST && list->kind != TV_TUPLE) || list->n < 1 || list->n > 4096)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "stack of something that is not a list of tensors");
    int64_t d = cs_ts_get_int(dim, 0);
    int ax = cs_ts_const_ints(c, &d, 1, false);
    int *ins = malloc((size_t)list->n * sizeof *ins);
    if (!ins || ax < 0)
        return free(ins), cs_ts_oom(c);
    for (int k = 0; k < list->n; k++) {
        int u[2] = {cs_ts_operand(c, list->items[k]), ax};
        if (u[0] < 0 || (ins[k] = cs_ts_emit(c, "Unsqueeze", u, 2, NULL)) < 0)
            return free(ins), (tv *)NULL;
    }
    int node, out = cs_ts_emit(c, "Concat", ins, list->n, &node);
    free(ins);
    if (out >= 0 && !cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", d))
        return cs_ts_oom(c);
    int r = list->items[0]->kind == TV_TENSOR && list->items[0]->rank >= 0 ? list->items[0]->rank + 1 : -1;
    return cs_ts_result(c, out, r);
}

/* A 0-d integer constant (a traced Python int) as a static int; v itself otherwise. */

static tv *lower_view(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    return reshape(c, A(0, "input"), A(1, "shape"));
}

static tv *lower_flatten(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    return flatten(c, A(0, "input"), A(1, "start_dim"), A(2, "end_dim"));
}

static tv *lower_permute(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input");
    if (strcmp(name, "transpose") == 0)
        return transpose(c, x, A(1, "dim0"), A(2, "dim1"));
    int64_t perm[CS_MAX_RANK] = {1, 0};
    int np = strcmp(name, "t") == 0 ? 2 : cs_ts_ints_of(A(1, "dims"), perm, CS_MAX_RANK, 1);
    if (!cs_ts_need_tensor(c, name, x) || np < 1)
        return np < 1 ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "permute with non-constant dims") : NULL;
    return transpose_perm(c, x, perm, np);
}

static tv *lower_cat(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    if (strcmp(name, "stack") == 0)
        return stack(c, A(0, "tensors"), A(1, "dim"));
    return cat(c, A(0, "tensors"), A(1, "dim"));
}

static tv *lower_squeeze(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    return squeeze(c, name[0] == 's' ? "Squeeze" : "Unsqueeze", A(0, "input"), A(1, "dim"));
}

static tv *lower_pad(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    if (strcmp(name, "constant_pad_nd") == 0)
        return pad(c, A(0, "input"), A(1, "pad"), NULL, A(2, "value"));
    return pad(c, A(0, "input"), A(1, "pad"), A(2, "mode"), A(3, "value"));
}

static tv *lower_select(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    return select_(c, A(0, "self"), A(1, "dim"), A(2, "index"));
}

/* ---- broadcasting and filled tensors ---- */

/* expand(x, sizes): ONNX Expand, where torch's -1 (keep this dim) is 1 (broadcast keeps it). */
static tv *lower_expand(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self"), *size = A(1, "size");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int shp;
    int r = -1;
    if (strcmp(name, "expand_as") == 0) {
        if (!cs_ts_need_tensor(c, name, size))
            return NULL;
        shp = cs_ts_emit(c, "Shape", &size->value, 1, NULL);
        r = size->rank;
    } else {
        if (!size || (size->kind != TV_LIST && size->kind != TV_TUPLE) || size->n > CS_MAX_RANK)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::expand with sizes that are not a list");
        tv *fixed = cs_ts_new(c, size->kind);
        tv **items = fixed ? cs_ts_keep(c, calloc((size_t)size->n + 1, sizeof *items)) : NULL;
        if (!items)
            return cs_ts_oom(c);
        for (int k = 0; k < size->n; k++)
            items[k] = size->items[k]->kind == TV_INT && !size->items[k]->dyn && size->items[k]->i == -1
                           ? cs_ts_int(c, 1)
                           : size->items[k];
        fixed->items = items, fixed->n = size->n;
        shp = cs_ts_shape_value(c, fixed);
        r = size->n;
    }
    int ins[2] = {x->value, shp};
    return shp < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Expand", ins, 2, NULL), r);
}

/* repeat(x, reps): Tile; extra leading repeats add leading dims of 1 first (x's rank must be known then). */
static tv *lower_repeat(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self"), *reps = A(1, "repeats");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int nr = reps && (reps->kind == TV_LIST || reps->kind == TV_TUPLE) ? reps->n : -1;
    if (nr < 1 || nr > CS_MAX_RANK)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::repeat with repeats that are not a list");
    int in = x->value;
    if (x->rank < 0 || x->rank > nr) {
        if (x->rank < 0 && nr != 4)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::repeat of a tensor of unknown rank");
    } else if (x->rank < nr) {
        int64_t ax[CS_MAX_RANK];
        for (int k = 0; k < nr - x->rank; k++)
            ax[k] = k;
        int ins[2] = {x->value, cs_ts_const_ints(c, ax, nr - x->rank, false)};
        if (ins[1] < 0 || (in = cs_ts_emit(c, "Unsqueeze", ins, 2, NULL)) < 0)
            return NULL;
    }
    int ins[2] = {in, cs_ts_shape_value(c, reps)};
    return ins[1] < 0 ? NULL : cs_ts_result(c, cs_ts_emit(c, "Tile", ins, 2, NULL), nr);
}

/* zeros/ones/full(size, [fill], dtype=...) and their _like forms: ConstantOfShape (f32, or i64/bool by dtype). */
static tv *lower_filled(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool like = strstr(name, "_like") != NULL, full = strncmp(name, "full", 4) == 0 || strcmp(name, "new_full") == 0;
    bool newf = strncmp(name, "new_", 4) == 0;
    tv *src = A(0, "size"), *size = newf ? A(1, "size") : src;
    double fill = strstr(name, "ones") ? 1 : full ? cs_ts_get_f(A(newf ? 2 : 1, "fill_value"), 0) : 0;
    tv *dt = A(-1, "dtype");
    int64_t code = dt && dt->kind == TV_INT ? dt->i : -1;
    int shp = like ? (cs_ts_need_tensor(c, name, src) ? cs_ts_emit(c, "Shape", &src->value, 1, NULL) : -1)
                   : cs_ts_shape_value(c, size);
    if (shp < 0)
        return NULL;
    int64_t one = 1;
    cs_dtype d = code == 4 || code == 3 ? CS_DT_I64 : code == 11 ? CS_DT_BOOL : CS_DT_F32;
    cs_tensor *v = cs_tensor_new(d, 1, &one, c->err);
    if (!v)
        return NULL;
    cs_tensor_set_f64(v, 0, fill);
    int node, out = cs_ts_emit(c, "ConstantOfShape", &shp, 1, &node);
    if (out < 0 || !cs_attrs_add_tensor(cs_ts_attrs(c, node), "value", v)) {
        cs_tensor_free(v);
        return out < 0 ? NULL : cs_ts_oom(c);
    }
    int r = like ? src->rank : size && (size->kind == TV_LIST || size->kind == TV_TUPLE) ? size->n : -1;
    return like ? cs_ts_result(c, out, r) : cs_ts_note_sizes(c, cs_ts_result(c, out, r), size);
}

/* index(x, [None, ..., idx, None...]): advanced indexing by one integer tensor along its dim (a Gather). */
static tv *lower_index(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self"), *l = A(1, "indices");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int dim = -1, count = 0;
    for (int k = 0; l && (l->kind == TV_LIST || l->kind == TV_TUPLE) && k < l->n; k++)
        if (l->items[k]->kind == TV_TENSOR)
            dim = dim < 0 ? k : dim, count++;
    if (count > 1)
        return cs_ts_index_multi(c, x, l);
    if (count != 1)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::index with %d index tensors (one is supported)", count);
    tv *idx = l->items[dim];
    const cs_tensor *it = c->g->values[idx->value].data;
    if ((it && it->dtype == CS_DT_BOOL) || idx->dt == CS_DT_BOOL)
        return cs_ts_index_mask(c, x, idx, dim);
    int node, ins[2] = {x->value, idx->value};
    int out = cs_ts_emit(c, "Gather", ins, 2, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", dim))
        return cs_ts_oom(c);
    int ir = it ? it->rank : idx->rank;
    return cs_ts_result(c, out, x->rank < 0 || ir < 0 ? -1 : x->rank - 1 + ir);
}

/* x[lo:hi] along axis (static bounds; INT64_MAX: to the end). */
static int slice_axis(ts_ctx *c, int x, int64_t lo, int64_t hi, int64_t axis)
{
    int ins[4] = {x, cs_ts_const_ints(c, &lo, 1, false), cs_ts_const_ints(c, &hi, 1, false),
                  cs_ts_const_ints(c, &axis, 1, false)};
    return ins[1] < 0 || ins[2] < 0 || ins[3] < 0 ? -1 : cs_ts_emit(c, "Slice", ins, 4, NULL);
}

/* roll(x, shifts, dims): per dim, cat(x[-s:], x[:-s]) (|s| below the dim's size, as Swin's window shifts). */
static tv *lower_roll(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    int64_t sh[CS_MAX_RANK], dm[CS_MAX_RANK];
    int ns = cs_ts_ints_of(A(1, "shifts"), sh, CS_MAX_RANK, 1), nd = cs_ts_ints_of(A(2, "dims"), dm, CS_MAX_RANK, 1);
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    if (ns < 1 || ns != nd)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::roll without matching constant shifts and dims");
    int v = x->value;
    for (int k = 0; k < ns && v >= 0; k++) {
        if (sh[k] == 0)
            continue;
        /* s > 0: x[-s:] then x[:-s]; s < 0 (left): the same bounds read x[|s|:] then x[:|s|] */
        int parts[2] = {slice_axis(c, v, -sh[k], INT64_MAX, dm[k]), slice_axis(c, v, 0, -sh[k], dm[k])}, node;
        v = parts[0] < 0 || parts[1] < 0 ? -1 : cs_ts_emit(c, "Concat", parts, 2, &node);
        if (v >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", dm[k]))
            return cs_ts_oom(c);
    }
    return v < 0 ? NULL : cs_ts_result(c, v == x->value ? cs_ts_emit(c, "Identity", &v, 1, NULL) : v, x->rank);
}

const ts_aten_def cs_ts_aten_shape[] = {
    {"roll", lower_roll},
    {"index", lower_index},
    {"expand", lower_expand},   {"expand_as", lower_expand}, {"repeat", lower_repeat},  {"zeros", lower_filled},
    {"ones", lower_filled},     {"full", lower_filled},      {"zeros_like", lower_filled}, {"ones_like", lower_filled},
    {"full_like", lower_filled}, {"new_zeros", lower_filled}, {"new_ones", lower_filled}, {"new_full", lower_filled},
    {"view", lower_view},       {"reshape", lower_view},     {"flatten", lower_flatten}, {"permute", lower_permute},
    {"transpose", lower_permute}, {"t", lower_permute},      {"cat", lower_cat},         {"concat", lower_cat},
    {"stack", lower_cat},       {"slice", slice},            {"squeeze", lower_squeeze}, {"unsqueeze", lower_squeeze},
    {"pad", lower_pad},         {"constant_pad_nd", lower_pad}, {"chunk", split},        {"split", split},
    {"split_with_sizes", split}, {"select", lower_select},   {NULL, NULL}};
