/* torchscript_lower.c — the lowering kit of the TorchScript reader: emitting IR nodes into the current layer,
 * constants, reading aten arguments (positional or keyword, static ints and lists), operands and shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

/* ---- emission ---- */

int cs_ts_emit(ts_ctx *c, const char *op, const int *in, int n_in, int *node_out)
{
    const char *lname = c->cur_layer >= 0 ? c->g->layers[c->cur_layer].name : op;
    int out = cs_graph_new_value(c->g, lname);
    char nname[700];
    snprintf(nname, sizeof nname, "%s/%s_%d", lname, op, c->g->n_nodes);
    int node = out < 0 ? -1 : cs_graph_add_node(c->g, op, nname, in, n_in, &out, 1);
    if (node < 0 || (c->cur_layer >= 0 && !cs_layer_add_node(c->g, c->cur_layer, node))) {
        cs_error_set(c->err, CS_ERR_NOMEM, "%s: out of memory", c->path);
        return -1;
    }
    c->g->nodes[node].layer = c->cur_layer;
    if (node_out)
        *node_out = node;
    return out;
}

cs_attrs *cs_ts_attrs(ts_ctx *c, int node)
{
    return &c->g->nodes[node].attrs;
}

tv *cs_ts_result(ts_ctx *c, int value, int rank)
{
    if (value < 0)
        return NULL;
    if (rank == 4)
        c->g->values[value].layout = CS_LAYOUT_NCHW;
    return cs_ts_tensor(c, value, rank);
}

tv *cs_ts_oom(ts_ctx *c)
{
    return cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
}

/* A new constant value holding n elements of v (a scalar when `scalar`), named uniquely. */
int cs_ts_const(ts_ctx *c, cs_dtype dtype, const void *v, int n, bool scalar)
{
    int64_t d = n;
    cs_tensor *t = cs_tensor_new(dtype, scalar ? 0 : 1, &d, c->err);
    if (!t)
        return -1;
    if (n > 0) /* an empty shape list has no data to copy */
        memcpy(t->data, v, (size_t)n * cs_dtype_size(dtype));
    int val = cs_graph_new_value(c->g, "const");
    if (val < 0) {
        cs_tensor_free(t);
        return -1;
    }
    return cs_graph_add_constant(c->g, c->g->values[val].name, t);
}

int cs_ts_const_ints(ts_ctx *c, const int64_t *v, int n, bool scalar)
{
    return cs_ts_const(c, CS_DT_I64, v, n, scalar);
}

int cs_ts_const_f32(ts_ctx *c, const float *v, int n, bool scalar)
{
    return cs_ts_const(c, CS_DT_F32, v, n, scalar);
}

/* ---- arguments ---- */

tv *cs_ts_arg(tv **args, char **kw, int n, int pos, const char *name)
{
    for (int k = 0; k < n; k++)
        if (kw[k] && strcmp(kw[k], name) == 0)
            return args[k];
    int p = 0;
    for (int k = 0; k < n; k++) {
        if (kw[k])
            continue;
        if (p++ == pos)
            return args[k];
    }
    return NULL;
}

bool cs_ts_present(const tv *v)
{
    return v && v->kind != TV_NONE;
}

bool cs_ts_get_num(const tv *v, double *d)
{
    if (!v || v->dyn)
        return false;
    if (v->kind == TV_INT || v->kind == TV_BOOL)
        *d = (double)v->i;
    else if (v->kind == TV_FLOAT)
        *d = v->f;
    else
        return false;
    return true;
}

int64_t cs_ts_get_int(const tv *v, int64_t dflt)
{
    double d;
    if (v && (v->kind == TV_INT || v->kind == TV_BOOL) && !v->dyn)
        return v->i; /* exact: 9223372036854775807 (slice to the end) does not survive a double */
    return cs_ts_get_num(v, &d) ? (d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d) : dflt;
}

double cs_ts_get_f(const tv *v, double dflt)
{
    double d;
    return cs_ts_get_num(v, &d) ? d : dflt;
}

/* Static int list (or one int repeated `expand` times); count or -1. */
int cs_ts_ints_of(const tv *v, int64_t *out, int max, int expand)
{
    if (v && v->kind == TV_INT && !v->dyn) {
        for (int k = 0; k < expand && k < max; k++)
            out[k] = v->i;
        return expand;
    }
    if (!v || (v->kind != TV_LIST && v->kind != TV_TUPLE) || v->n > max)
        return -1;
    for (int k = 0; k < v->n; k++) {
        if (v->items[k]->kind != TV_INT || v->items[k]->dyn)
            return -1;
        out[k] = v->items[k]->i;
    }
    if (v->n == 1 && expand > 1) {
        for (int k = 1; k < expand; k++)
            out[k] = out[0];
        return expand;
    }
    return v->n;
}

/* A tensor operand: tensors as they are, static numbers as f32 scalars, run-time ints as their i64 scalar. */
int cs_ts_operand(ts_ctx *c, const tv *v)
{
    if (!v)
        return -1;
    if (v->kind == TV_TENSOR)
        return v->value;
    if ((v->kind == TV_INT || v->kind == TV_BOOL) && v->dyn)
        return v->value;
    double d;
    if (cs_ts_get_num(v, &d)) {
        float f = (float)d;
        return cs_ts_const_f32(c, &f, 1, true);
    }
    cs_ts_fail(c, CS_ERR_UNSUPPORTED, "operand is not a tensor or number");
    return -1;
}

tv *cs_ts_need_tensor(ts_ctx *c, const char *op, const tv *v)
{
    if (v && (v->kind == TV_INT || v->kind == TV_BOOL) && v->dyn) /* NumToTensor(size): its 0-d i64 value */
        return (tv *)v;
    if (!v || v->kind != TV_TENSOR)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s expects a tensor argument", op);
    return (tv *)v;
}

/* ---- shapes ---- */

/* x.size() of a tensor of known rank: a list of ints, one Gather of the Shape per dimension not known at load. */
static tv *size_list(ts_ctx *c, const tv *t, int shape)
{
    int rank = t->rank;
    tv *l = cs_ts_new(c, TV_LIST);
    tv **items = l ? cs_ts_keep(c, calloc((size_t)rank, sizeof *items)) : NULL;
    if (!items)
        return cs_ts_oom(c);
    for (int64_t k = 0; k < rank; k++) {
        int64_t known;
        if (cs_ts_known_dim(c, t, k, &known)) {
            if (!(items[k] = cs_ts_int(c, known)))
                return NULL;
            continue;
        }
        int node, ins[2] = {shape, cs_ts_const_ints(c, &k, 1, true)};
        int out = ins[1] < 0 ? -1 : cs_ts_emit(c, "Gather", ins, 2, &node);
        if (out < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0) || !(items[k] = cs_ts_new(c, TV_INT)))
            return NULL;
        items[k]->dyn = true;
        items[k]->value = out;
    }
    l->items = items;
    l->n = rank;
    return l;
}

tv *cs_ts_note_sizes(ts_ctx *c, tv *t, const tv *shape)
{
    if (!t || t->kind != TV_TENSOR || !shape || (shape->kind != TV_LIST && shape->kind != TV_TUPLE) ||
        shape->n != t->rank || t->rank < 1 || t->rank > CS_MAX_RANK)
        return t;
    int64_t *d = cs_ts_alloc(c, (size_t)t->rank * sizeof *d);
    if (!d)
        return NULL;
    bool any = false;
    for (int k = 0; k < t->rank; k++) {
        const tv *it = shape->items[k];
        d[k] = it->kind == TV_INT && !it->dyn && it->i >= 0 ? it->i : -1;
        any |= d[k] >= 0;
    }
    t->sdims = any ? d : NULL;
    cs_ts_seed_shape(c, t->value, t->rank, d);
    return t;
}

tv *cs_ts_size(ts_ctx *c, tv *t, tv *dim)
{
    const cs_value *val = &c->g->values[t->value];
    int64_t known;
    if (dim && dim->kind == TV_INT && !dim->dyn && cs_ts_known_dim(c, t, dim->i, &known)) /* a size known at load */
        return cs_ts_int(c, known);
    if (t->rank < 0 && cs_ts_known_rank(c, t) >= 0)
        t->rank = cs_ts_known_rank(c, t);
    if (val->data && dim && dim->kind == TV_INT && !dim->dyn) { /* constant tensor: static */
        int64_t d = dim->i < 0 ? dim->i + val->data->rank : dim->i;
        if (d < 0 || d >= val->data->rank)
            return cs_ts_fail(c, CS_ERR_SHAPE, "size(%lld) of a rank-%d tensor", (long long)dim->i, val->data->rank);
        return cs_ts_int(c, val->data->dims[d]);
    }
    int shape = cs_ts_emit(c, "Shape", &t->value, 1, NULL);
    if (shape < 0)
        return NULL;
    if ((!dim || dim->kind == TV_NONE) && t->rank < 0 && c->want_n > 0 && c->want_n <= CS_MAX_RANK)
        t->rank = c->want_n; /* B, T, C = x.size(): unpacking names the rank */
    if ((!dim || dim->kind == TV_NONE) && t->rank > 0 && t->rank <= CS_MAX_RANK)
        return size_list(c, t, shape);
    if (!dim || dim->kind == TV_NONE) {
        tv *v = cs_ts_tensor(c, shape, 1);
        if (v) /* a List[int] held as a tensor: list slicing applies to it */
            v->s = CS_TS_SIZE_LIST;
        return v;
    }
    if (dim->kind != TV_INT || dim->dyn)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "size() with a run-time dimension");
    int idx = cs_ts_const_ints(c, &dim->i, 1, true);
    int node;
    int ins[2] = {shape, idx};
    int out = idx < 0 ? -1 : cs_ts_emit(c, "Gather", ins, 2, &node);
    if (out < 0)
        return NULL;
    cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0);
    tv *v = cs_ts_new(c, TV_INT);
    if (v)
        v->dyn = true, v->value = out;
    return v;
}

/* A shape list (static ints and run-time ints) as an i64 1-D tensor value. */
int cs_ts_shape_value(ts_ctx *c, const tv *list)
{
    int64_t st[CS_MAX_RANK];
    int n = cs_ts_ints_of(list, st, CS_MAX_RANK, 1);
    if (n >= 0)
        return cs_ts_const_ints(c, st, n, false);
    if (!list || (list->kind != TV_LIST && list->kind != TV_TUPLE) || list->n > CS_MAX_RANK) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "shape argument is not a list of ints");
        return -1;
    }
    int parts[CS_MAX_RANK];
    int64_t zero = 0;
    for (int k = 0; k < list->n; k++) {
        const tv *it = list->items[k];
        if (it->kind == TV_INT && !it->dyn) {
            parts[k] = cs_ts_const_ints(c, &it->i, 1, false);
        } else if (it->kind == TV_INT || it->kind == TV_TENSOR) {
            int ax = cs_ts_const_ints(c, &zero, 1, false);
            int ins[2] = {it->value, ax};
            parts[k] = ax < 0 ? -1 : cs_ts_emit(c, "Unsqueeze", ins, 2, NULL);
        } else {
            cs_ts_fail(c, CS_ERR_UNSUPPORTED, "shape item is not an int");
            return -1;
        }
        if (parts[k] < 0)
            return -1;
    }
    int node, out = cs_ts_emit(c, "Concat", parts, list->n, &node);
    if (out >= 0)
        cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0);
    return out;
}

int cs_ts_ours(ts_ctx *c, int node)
{
    free(c->g->nodes[node].domain);
    c->g->nodes[node].domain = strdup("convscope");
    return c->g->nodes[node].domain ? 0 : -1;
}

/* Node with n_out outputs in the current layer; fills outs, returns the node or -1. */
int cs_ts_emit_multi(ts_ctx *c, const char *op, const int *in, int n_in, int *outs, int n_out)
{
    const char *lname = c->cur_layer >= 0 ? c->g->layers[c->cur_layer].name : op;
    for (int k = 0; k < n_out; k++)
        if ((outs[k] = cs_graph_new_value(c->g, lname)) < 0)
            return -1;
    char nname[700];
    snprintf(nname, sizeof nname, "%s/%s_%d", lname, op, c->g->n_nodes);
    int node = cs_graph_add_node(c->g, op, nname, in, n_in, outs, n_out);
    if (node < 0 || (c->cur_layer >= 0 && !cs_layer_add_node(c->g, c->cur_layer, node)))
        return -1;
    c->g->nodes[node].layer = c->cur_layer;
    return node;
}

tv *cs_ts_tuple_of(ts_ctx *c, const int *outs, int n_out, int rank)
{
    tv *t = cs_ts_new(c, TV_TUPLE);
    tv **items = t ? cs_ts_keep(c, calloc((size_t)n_out, sizeof *items)) : NULL;
    if (!items)
        return cs_ts_oom(c);
    for (int k = 0; k < n_out; k++)
        if (!(items[k] = cs_ts_result(c, outs[k], rank)))
            return NULL;
    t->items = items;
    t->n = n_out;
    return t;
}

