/* torchscript_aten.c — lowers aten calls met while interpreting TorchScript onto ONNX-vocabulary IR nodes
 * with PyTorch semantics (opset 13 forms); an op it does not know is an error naming the op and place. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

/* ---- emission ---- */

static int emit(ts_ctx *c, const char *op, const int *in, int n_in, int *node_out)
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

static cs_attrs *attrs(ts_ctx *c, int node)
{
    return &c->g->nodes[node].attrs;
}

static tv *result(ts_ctx *c, int value, int rank)
{
    if (value < 0)
        return NULL;
    if (rank == 4)
        c->g->values[value].layout = CS_LAYOUT_NCHW;
    return cs_ts_tensor(c, value, rank);
}

static tv *oom(ts_ctx *c)
{
    return cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
}

/* A new constant value holding n elements of v (a scalar when `scalar`), named uniquely. */
static int const_value(ts_ctx *c, cs_dtype dtype, const void *v, int n, bool scalar)
{
    int64_t d = n;
    cs_tensor *t = cs_tensor_new(dtype, scalar ? 0 : 1, &d, c->err);
    if (!t)
        return -1;
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
    return const_value(c, CS_DT_I64, v, n, scalar);
}

static int const_f32(ts_ctx *c, const float *v, int n, bool scalar)
{
    return const_value(c, CS_DT_F32, v, n, scalar);
}

/* ---- arguments ---- */

static tv *arg(tv **args, char **kw, int n, int pos, const char *name)
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

static bool present(const tv *v)
{
    return v && v->kind != TV_NONE;
}

static bool get_num(const tv *v, double *d)
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

static int64_t get_int(const tv *v, int64_t dflt)
{
    double d;
    if (v && (v->kind == TV_INT || v->kind == TV_BOOL) && !v->dyn)
        return v->i; /* exact: 9223372036854775807 (slice to the end) does not survive a double */
    return get_num(v, &d) ? (d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d) : dflt;
}

static double get_f(const tv *v, double dflt)
{
    double d;
    return get_num(v, &d) ? d : dflt;
}

/* Static int list (or one int repeated `expand` times); count or -1. */
static int ints_of(const tv *v, int64_t *out, int max, int expand)
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
static int operand(ts_ctx *c, const tv *v)
{
    if (!v)
        return -1;
    if (v->kind == TV_TENSOR)
        return v->value;
    if (v->kind == TV_INT && v->dyn)
        return v->value;
    double d;
    if (get_num(v, &d)) {
        float f = (float)d;
        return const_f32(c, &f, 1, true);
    }
    cs_ts_fail(c, CS_ERR_UNSUPPORTED, "operand is not a tensor or number");
    return -1;
}

static tv *need_tensor(ts_ctx *c, const char *op, const tv *v)
{
    if (!v || v->kind != TV_TENSOR)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s expects a tensor argument", op);
    return (tv *)v;
}

/* ---- shapes ---- */

/* x.size() of a tensor of known rank: a list of run-time ints, one Gather of the Shape per dimension. */
static tv *size_list(ts_ctx *c, int shape, int rank)
{
    tv *l = cs_ts_new(c, TV_LIST);
    tv **items = l ? cs_ts_keep(c, calloc((size_t)rank, sizeof *items)) : NULL;
    if (!items)
        return oom(c);
    for (int64_t k = 0; k < rank; k++) {
        int node, ins[2] = {shape, cs_ts_const_ints(c, &k, 1, true)};
        int out = ins[1] < 0 ? -1 : emit(c, "Gather", ins, 2, &node);
        if (out < 0 || !cs_attrs_add_int(attrs(c, node), "axis", 0) || !(items[k] = cs_ts_new(c, TV_INT)))
            return NULL;
        items[k]->dyn = true;
        items[k]->value = out;
    }
    l->items = items;
    l->n = rank;
    return l;
}

tv *cs_ts_size(ts_ctx *c, tv *t, tv *dim)
{
    const cs_value *val = &c->g->values[t->value];
    if (val->data && dim && dim->kind == TV_INT && !dim->dyn) { /* constant tensor: static */
        int64_t d = dim->i < 0 ? dim->i + val->data->rank : dim->i;
        if (d < 0 || d >= val->data->rank)
            return cs_ts_fail(c, CS_ERR_SHAPE, "size(%lld) of a rank-%d tensor", (long long)dim->i, val->data->rank);
        return cs_ts_int(c, val->data->dims[d]);
    }
    int shape = emit(c, "Shape", &t->value, 1, NULL);
    if (shape < 0)
        return NULL;
    if ((!dim || dim->kind == TV_NONE) && t->rank < 0 && c->want_n > 0 && c->want_n <= CS_MAX_RANK)
        t->rank = c->want_n; /* B, T, C = x.size(): unpacking names the rank */
    if ((!dim || dim->kind == TV_NONE) && t->rank > 0 && t->rank <= CS_MAX_RANK)
        return size_list(c, shape, t->rank);
    if (!dim || dim->kind == TV_NONE) {
        tv *v = cs_ts_tensor(c, shape, 1);
        return v;
    }
    if (dim->kind != TV_INT || dim->dyn)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "size() with a run-time dimension");
    int idx = cs_ts_const_ints(c, &dim->i, 1, true);
    int node;
    int ins[2] = {shape, idx};
    int out = idx < 0 ? -1 : emit(c, "Gather", ins, 2, &node);
    if (out < 0)
        return NULL;
    cs_attrs_add_int(attrs(c, node), "axis", 0);
    tv *v = cs_ts_new(c, TV_INT);
    if (v)
        v->dyn = true, v->value = out;
    return v;
}

/* A shape list (static ints and run-time ints) as an i64 1-D tensor value. */
static int shape_value(ts_ctx *c, const tv *list)
{
    int64_t st[CS_MAX_RANK];
    int n = ints_of(list, st, CS_MAX_RANK, 1);
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
            parts[k] = ax < 0 ? -1 : emit(c, "Unsqueeze", ins, 2, NULL);
        } else {
            cs_ts_fail(c, CS_ERR_UNSUPPORTED, "shape item is not an int");
            return -1;
        }
        if (parts[k] < 0)
            return -1;
    }
    int node, out = emit(c, "Concat", parts, list->n, &node);
    if (out >= 0)
        cs_attrs_add_int(attrs(c, node), "axis", 0);
    return out;
}

/* ---- op groups ---- */

static tv *unary(ts_ctx *c, const char *onnx, tv *x)
{
    if (!need_tensor(c, onnx, x))
        return NULL;
    return result(c, emit(c, onnx, &x->value, 1, NULL), x->rank);
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
    return const_f32(c, &f, 1, true);
}

static tv *binary(ts_ctx *c, const char *onnx, tv *a, tv *b, tv *alpha)
{
    if (!a || !b)
        return cs_ts_fail(c, CS_ERR_FORMAT, "%s needs two operands", onnx);
    int va = operand(c, a), vb = operand(c, b);
    if (va < 0 || vb < 0)
        return NULL;
    va = promote(c, va, vb);
    vb = promote(c, vb, va);
    double al = get_f(alpha, 1.0);
    if (present(alpha) && al != 1.0) {
        float f = (float)al;
        int ins[2] = {vb, const_f32(c, &f, 1, true)};
        if (ins[1] < 0 || (vb = emit(c, "Mul", ins, 2, NULL)) < 0)
            return NULL;
    }
    int ins[2] = {va, vb};
    return result(c, emit(c, onnx, ins, 2, NULL), rank2(a, b));
}

static tv *conv(ts_ctx *c, tv *x, tv *w, tv *b, tv *stride, tv *pad, tv *dil, bool transposed, tv *opad, tv *groups)
{
    if (!need_tensor(c, "conv", x) || !need_tensor(c, "conv", w))
        return NULL;
    const cs_tensor *wt = c->g->values[w->value].data;
    int sp = wt ? wt->rank - 2 : 2;
    if (sp < 1 || sp > 3)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "convolution with a weight of rank %d", sp + 2);
    int64_t s[3], p[6], d[3], op[3] = {0, 0, 0};
    bool same = pad && pad->kind == TV_STR && strcmp(pad->s, "same") == 0;
    bool valid = pad && pad->kind == TV_STR && strcmp(pad->s, "valid") == 0;
    if (ints_of(stride, s, 3, sp) != sp || ints_of(dil, d, 3, sp) != sp ||
        (!same && !valid && ints_of(pad, p, 3, sp) != sp) ||
        (transposed && present(opad) && ints_of(opad, op, 3, sp) != sp))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "convolution with non-constant stride/padding/dilation");
    if (valid)
        for (int k = 0; k < sp; k++)
            p[k] = 0;
    for (int k = 0; k < sp; k++)
        p[sp + k] = p[k];
    int ins[3] = {x->value, w->value, present(b) ? b->value : -1};
    int node, out = emit(c, transposed ? "ConvTranspose" : "Conv", ins, present(b) ? 3 : 2, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = attrs(c, node);
    bool ok = cs_attrs_add_ints(at, "strides", s, sp) && cs_attrs_add_ints(at, "dilations", d, sp) &&
              cs_attrs_add_int(at, "group", get_int(groups, 1));
    if (same)
        ok = ok && cs_attrs_add_string(at, "auto_pad", "SAME_UPPER");
    else
        ok = ok && cs_attrs_add_ints(at, "pads", p, 2 * sp);
    if (transposed)
        ok = ok && cs_attrs_add_ints(at, "output_padding", op, sp);
    return ok ? result(c, out, sp + 2) : oom(c);
}

static tv *aten_conv(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = arg(a, kw, n, 0, "input"), *w = arg(a, kw, n, 1, "weight"), *b = arg(a, kw, n, 2, "bias");
    tv *stride = arg(a, kw, n, 3, "stride"), *pad = arg(a, kw, n, 4, "padding"), *dil = arg(a, kw, n, 5, "dilation");
    if (strcmp(name, "_convolution") == 0) {
        tv *tr = arg(a, kw, n, 6, "transposed");
        return conv(c, x, w, b, stride, pad, dil, get_int(tr, 0) != 0, arg(a, kw, n, 7, "output_padding"),
                    arg(a, kw, n, 8, "groups"));
    }
    if (strncmp(name, "conv_transpose", 14) == 0) /* (x, w, b, stride, padding, output_padding, groups, dilation) */
        return conv(c, x, w, b, stride, pad, arg(a, kw, n, 7, "dilation"), true, arg(a, kw, n, 5, "output_padding"),
                    arg(a, kw, n, 6, "groups"));
    tv one = {.kind = TV_INT, .i = 1}, zero = {.kind = TV_INT, .i = 0};
    return conv(c, x, w, b, stride ? stride : &one, pad ? pad : &zero, dil ? dil : &one, false, NULL,
                arg(a, kw, n, 6, "groups"));
}

static tv *linear(ts_ctx *c, tv *x, tv *w, tv *b)
{
    if (!need_tensor(c, "linear", x) || !need_tensor(c, "linear", w))
        return NULL;
    int node;
    if (x->rank == 2) { /* the common case: one Gemm with transB, no per-run transpose of the weight */
        int ins3[3] = {x->value, w->value, present(b) ? b->value : -1};
        int y = emit(c, "Gemm", ins3, present(b) ? 3 : 2, &node);
        if (y >= 0)
            cs_attrs_add_int(attrs(c, node), "transB", 1);
        return result(c, y, 2);
    }
    int wt = emit(c, "Transpose", &w->value, 1, &node);
    if (wt < 0)
        return NULL;
    int64_t perm[2] = {1, 0};
    cs_attrs_add_ints(attrs(c, node), "perm", perm, 2);
    int ins[2] = {x->value, wt};
    int y = emit(c, "MatMul", ins, 2, NULL);
    if (y >= 0 && present(b)) {
        int ins2[2] = {y, b->value};
        y = emit(c, "Add", ins2, 2, NULL);
    }
    return result(c, y, x->rank);
}

static tv *pool(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool avg = strncmp(name, "avg", 3) == 0;
    int sp = strstr(name, "1d") ? 1 : strstr(name, "3d") ? 3 : 2;
    tv *x = arg(a, kw, n, 0, "input");
    if (!need_tensor(c, name, x))
        return NULL;
    int64_t k[3], s[3], p[6], d[3] = {1, 1, 1};
    tv *st = arg(a, kw, n, 2, "stride");
    if (ints_of(arg(a, kw, n, 1, "kernel_size"), k, 3, sp) != sp)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s with a non-constant kernel", name);
    if (!present(st) || (st->kind == TV_LIST && st->n == 0))
        memcpy(s, k, sizeof s);
    else if (ints_of(st, s, 3, sp) != sp)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s with a non-constant stride", name);
    tv *pad = arg(a, kw, n, 3, "padding");
    if (!present(pad))
        memset(p, 0, sizeof p);
    else if (ints_of(pad, p, 3, sp) != sp)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s with a non-constant padding", name);
    for (int i = 0; i < sp; i++)
        p[sp + i] = p[i];
    tv *dil = avg ? NULL : arg(a, kw, n, 4, "dilation");
    if (present(dil) && ints_of(dil, d, 3, sp) != sp)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s with a non-constant dilation", name);
    int64_t ceil = get_int(arg(a, kw, n, avg ? 4 : 5, "ceil_mode"), 0);
    int node, out = emit(c, avg ? "AveragePool" : "MaxPool", &x->value, 1, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = attrs(c, node);
    bool ok = cs_attrs_add_ints(at, "kernel_shape", k, sp) && cs_attrs_add_ints(at, "strides", s, sp) &&
              cs_attrs_add_ints(at, "pads", p, 2 * sp) && cs_attrs_add_int(at, "ceil_mode", ceil);
    if (avg) {
        tv *dov = arg(a, kw, n, 6, "divisor_override");
        if (present(dov))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "avg_pool with divisor_override");
        ok = ok && cs_attrs_add_int(at, "count_include_pad", get_int(arg(a, kw, n, 5, "count_include_pad"), 1));
    } else {
        ok = ok && cs_attrs_add_ints(at, "dilations", d, sp);
    }
    return ok ? result(c, out, sp + 2) : oom(c);
}

static tv *adaptive_avg(ts_ctx *c, tv *x, tv *size)
{
    int64_t o[2];
    if (!need_tensor(c, "adaptive_avg_pool2d", x))
        return NULL;
    if (ints_of(size, o, 2, 2) != 2)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "adaptive_avg_pool2d with a non-constant output size");
    if (o[0] == 1 && o[1] == 1)
        return result(c, emit(c, "GlobalAveragePool", &x->value, 1, NULL), 4);
    int node, out = emit(c, "AdaptiveAvgPool2d", &x->value, 1, &node);
    if (out < 0)
        return NULL;
    free(c->g->nodes[node].domain);
    c->g->nodes[node].domain = strdup("convscope");
    if (!c->g->nodes[node].domain || !cs_attrs_add_ints(attrs(c, node), "output_size", o, 2))
        return oom(c);
    return result(c, out, 4);
}

/* A tensor of `fill` with as many elements as `like` (a constant) has. */
static int filled_like(ts_ctx *c, const tv *like, float fill)
{
    const cs_tensor *t = like && like->kind == TV_TENSOR ? c->g->values[like->value].data : NULL;
    if (!t || cs_tensor_numel(t) > (1 << 24)) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "normalisation without weight needs constant statistics");
        return -1;
    }
    int n = (int)cs_tensor_numel(t);
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    for (int k = 0; k < n; k++)
        v[k] = fill;
    int out = const_f32(c, v, n, false);
    free(v);
    return out;
}

static tv *batch_norm(ts_ctx *c, tv **a, char **kw, int n)
{
    tv *x = arg(a, kw, n, 0, "input"), *w = arg(a, kw, n, 1, "weight"), *b = arg(a, kw, n, 2, "bias");
    tv *mean = arg(a, kw, n, 3, "running_mean"), *var = arg(a, kw, n, 4, "running_var");
    if (!need_tensor(c, "batch_norm", x) || !need_tensor(c, "batch_norm", mean) || !need_tensor(c, "batch_norm", var))
        return NULL;
    int wv = present(w) ? w->value : filled_like(c, mean, 1.0f);
    int bv = present(b) ? b->value : filled_like(c, mean, 0.0f);
    if (wv < 0 || bv < 0)
        return NULL;
    int ins[5] = {x->value, wv, bv, mean->value, var->value};
    int node, out = emit(c, "BatchNormalization", ins, 5, &node);
    if (out < 0)
        return NULL;
    if (!cs_attrs_add_float(attrs(c, node), "epsilon", get_f(arg(a, kw, n, 7, "eps"), 1e-5)))
        return oom(c);
    return result(c, out, x->rank);
}

static tv *layer_norm(ts_ctx *c, tv **a, char **kw, int n)
{
    tv *x = arg(a, kw, n, 0, "input"), *w = arg(a, kw, n, 2, "weight"), *b = arg(a, kw, n, 3, "bias");
    int64_t shape[CS_MAX_RANK];
    int ns = ints_of(arg(a, kw, n, 1, "normalized_shape"), shape, CS_MAX_RANK, 1);
    if (!need_tensor(c, "layer_norm", x) || ns < 1)
        return ns < 1 ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "layer_norm with a non-constant normalized_shape") : NULL;
    int wv = present(w) ? w->value : -1, bv = present(b) ? b->value : -1;
    if (wv < 0) {
        int64_t cnt = 1;
        for (int k = 0; k < ns; k++)
            cnt *= shape[k];
        float *ones = cnt > 0 && cnt < (1 << 24) ? malloc((size_t)cnt * sizeof *ones) : NULL;
        if (!ones)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "layer_norm without weight of this size");
        for (int64_t k = 0; k < cnt; k++)
            ones[k] = 1.0f;
        wv = const_f32(c, ones, (int)cnt, false);
        free(ones);
    }
    int ins[3] = {x->value, wv, bv};
    int node, out = emit(c, "LayerNormalization", ins, bv >= 0 ? 3 : 2, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = attrs(c, node);
    if (!cs_attrs_add_int(at, "axis", -ns) || !cs_attrs_add_float(at, "epsilon", get_f(arg(a, kw, n, 4, "eps"), 1e-5)))
        return oom(c);
    return result(c, out, x->rank);
}

static tv *reshape(ts_ctx *c, tv *x, tv *shape)
{
    if (!need_tensor(c, "view", x))
        return NULL;
    int s = shape_value(c, shape);
    int ins[2] = {x->value, s};
    int r = shape && (shape->kind == TV_LIST || shape->kind == TV_TUPLE) ? shape->n : -1;
    return s < 0 ? NULL : result(c, emit(c, "Reshape", ins, 2, NULL), r);
}

static tv *flatten(ts_ctx *c, tv *x, tv *start, tv *end)
{
    int64_t s = get_int(start, 0), e = get_int(end, -1);
    if (!need_tensor(c, "flatten", x))
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
        return shp < 0 ? NULL : result(c, emit(c, "Reshape", ins, 2, NULL), 1);
    }
    if (e == -1 && s > 0 && (s == 1 || x->rank >= 0)) {
        if (s != 1) { /* keep leading dims: reshape to [d0..d(s-1), -1] via zeros (copy dims) */
            int64_t shape[CS_MAX_RANK];
            for (int k = 0; k < s && k < CS_MAX_RANK - 1; k++)
                shape[k] = 0;
            shape[s] = -1;
            int shp = cs_ts_const_ints(c, shape, (int)s + 1, false);
            int ins[2] = {x->value, shp};
            return shp < 0 ? NULL : result(c, emit(c, "Reshape", ins, 2, NULL), (int)s + 1);
        }
        int node, out = emit(c, "Flatten", &x->value, 1, &node);
        if (out >= 0)
            cs_attrs_add_int(attrs(c, node), "axis", 1);
        return result(c, out, 2);
    }
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "flatten(start_dim=%lld, end_dim=%lld) on a tensor of unknown rank",
                      (long long)s, (long long)e);
}

static tv *transpose_perm(ts_ctx *c, tv *x, const int64_t *perm, int r)
{
    int node, out = emit(c, "Transpose", &x->value, 1, &node);
    if (out < 0)
        return NULL;
    if (!cs_attrs_add_ints(attrs(c, node), "perm", perm, r))
        return oom(c);
    return result(c, out, r);
}

static tv *transpose(ts_ctx *c, tv *x, tv *d0, tv *d1)
{
    if (!need_tensor(c, "transpose", x))
        return NULL;
    if (x->rank < 0) {
        const cs_tensor *t = c->g->values[x->value].data;
        if (t)
            x->rank = t->rank;
    }
    int64_t a = get_int(d0, 0), b = get_int(d1, 1), perm[CS_MAX_RANK];
    if (x->rank < 0) { /* rank known only at run time: convscope's TransposeDims swaps the two axes */
        int node, out = emit(c, "TransposeDims", &x->value, 1, &node);
        if (out < 0)
            return NULL;
        free(c->g->nodes[node].domain);
        c->g->nodes[node].domain = strdup("convscope");
        if (!c->g->nodes[node].domain || !cs_attrs_add_int(attrs(c, node), "dim0", a) ||
            !cs_attrs_add_int(attrs(c, node), "dim1", b))
            return oom(c);
        return result(c, out, -1);
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

static tv *axis_op(ts_ctx *c, const char *onnx, tv *x, tv *dim, int rank)
{
    if (!need_tensor(c, onnx, x))
        return NULL;
    int node, out = emit(c, onnx, &x->value, 1, &node);
    if (out >= 0 && !cs_attrs_add_int(attrs(c, node), "axis", get_int(dim, -1)))
        return oom(c);
    return result(c, out, rank);
}

static tv *cat(ts_ctx *c, tv *list, tv *dim)
{
    if (!list || (list->kind != TV_LIST && list->kind != TV_TUPLE) || list->n < 1 || list->n > 4096)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "cat of something that is not a list of tensors");
    int *ins = malloc((size_t)list->n * sizeof *ins);
    if (!ins)
        return oom(c);
    for (int k = 0; k < list->n; k++)
        if ((ins[k] = operand(c, list->items[k])) < 0) {
            free(ins);
            return NULL;
        }
    int node, out = emit(c, "Concat", ins, list->n, &node);
    free(ins);
    if (out >= 0 && !cs_attrs_add_int(attrs(c, node), "axis", get_int(dim, 0)))
        return oom(c);
    return result(c, out, list->items[0]->rank);
}

static tv *mean(ts_ctx *c, tv *x, tv *dims, tv *keep)
{
    int64_t ax[CS_MAX_RANK];
    int na = present(dims) ? ints_of(dims, ax, CS_MAX_RANK, 1) : 0;
    if (!need_tensor(c, "mean", x) || na < 0)
        return na < 0 ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "mean over non-constant dims") : NULL;
    int node, out = emit(c, "ReduceMean", &x->value, 1, &node);
    if (out < 0)
        return NULL;
    int64_t kd = get_int(keep, 0);
    if ((na > 0 && !cs_attrs_add_ints(attrs(c, node), "axes", ax, na)) || !cs_attrs_add_int(attrs(c, node), "keepdims", kd))
        return oom(c);
    int r = x->rank < 0 ? -1 : kd ? x->rank : na ? x->rank - na : 0;
    return result(c, out, r);
}

static tv *clip(ts_ctx *c, tv *x, double lo, double hi, bool has_lo, bool has_hi)
{
    if (!need_tensor(c, "clamp", x))
        return NULL;
    float l = (float)lo, h = (float)hi;
    int ins[3] = {x->value, has_lo ? const_f32(c, &l, 1, true) : -1, has_hi ? const_f32(c, &h, 1, true) : -1};
    return result(c, emit(c, "Clip", ins, has_hi ? 3 : has_lo ? 2 : 1, NULL), x->rank);
}

static tv *upsample(ts_ctx *c, tv **a, char **kw, int n, const char *mode)
{
    tv *x = arg(a, kw, n, 0, "input");
    if (!need_tensor(c, "upsample", x))
        return NULL;
    tv *sf = arg(a, kw, n, 2, "scale_factors");
    float sc[4] = {1, 1, 0, 0};
    if (present(sf) && (sf->kind == TV_LIST || sf->kind == TV_TUPLE) && sf->n == 2) {
        sc[2] = (float)get_f(sf->items[0], 0);
        sc[3] = (float)get_f(sf->items[1], 0);
    } else if (n >= 4) { /* (x, output_size, scales_h, scales_w) */
        sc[2] = (float)get_f(a[2], 0);
        sc[3] = (float)get_f(a[3], 0);
    }
    if (sc[2] <= 0 || sc[3] <= 0)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "upsample with an output size instead of scale factors");
    int ins[3] = {x->value, -1, const_f32(c, sc, 4, false)};
    int node, out = ins[2] < 0 ? -1 : emit(c, "Resize", ins, 3, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = attrs(c, node);
    bool nearest = strcmp(mode, "nearest") == 0;
    bool ok = cs_attrs_add_string(at, "mode", mode) &&
              cs_attrs_add_string(at, "coordinate_transformation_mode", nearest ? "asymmetric" : "pytorch_half_pixel");
    if (nearest)
        ok = ok && cs_attrs_add_string(at, "nearest_mode", "floor");
    return ok ? result(c, out, 4) : oom(c);
}

static tv *pad(ts_ctx *c, tv *x, tv *pads, tv *mode, tv *value)
{
    int64_t tp[2 * CS_MAX_RANK], op[2 * CS_MAX_RANK];
    int np = ints_of(pads, tp, 2 * CS_MAX_RANK, 1);
    if (!need_tensor(c, "pad", x) || np < 0 || np % 2)
        return np < 0 || np % 2 ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "pad with a non-constant pad list") : NULL;
    int r = x->rank >= 0 ? x->rank : 4; /* unknown rank: image tensors (NCHW) assumed */
    if (np / 2 > r)
        return cs_ts_fail(c, CS_ERR_SHAPE, "pad list longer than the tensor rank");
    memset(op, 0, sizeof op);
    for (int k = 0; k < np / 2; k++) { /* torch: (last_begin, last_end, prev_begin, prev_end...) */
        op[r - 1 - k] = tp[2 * k];
        op[2 * r - 1 - k] = tp[2 * k + 1];
    }
    float v = (float)get_f(value, 0.0);
    int ins[3] = {x->value, cs_ts_const_ints(c, op, 2 * r, false), const_f32(c, &v, 1, true)};
    if (ins[1] < 0 || ins[2] < 0)
        return NULL;
    int node, out = emit(c, "Pad", ins, 3, &node);
    if (out < 0)
        return NULL;
    const char *m = mode && mode->kind == TV_STR ? mode->s : "constant";
    const char *om = strcmp(m, "reflect") == 0 ? "reflect" : strcmp(m, "replicate") == 0 ? "edge" : "constant";
    if (strcmp(m, "circular") == 0)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "circular padding");
    return cs_attrs_add_string(attrs(c, node), "mode", om) ? result(c, out, r) : oom(c);
}

static tv *slice(ts_ctx *c, tv **a, char **kw, int n)
{
    tv *x = arg(a, kw, n, 0, "self");
    if (!need_tensor(c, "slice", x))
        return NULL;
    int64_t dim = get_int(arg(a, kw, n, 1, "dim"), 0), step = get_int(arg(a, kw, n, 4, "step"), 1);
    tv *st = arg(a, kw, n, 2, "start"), *en = arg(a, kw, n, 3, "end");
    int64_t s = present(st) ? get_int(st, 0) : 0, e = present(en) ? get_int(en, INT64_MAX) : INT64_MAX;
    int ins[5] = {x->value, cs_ts_const_ints(c, &s, 1, false), cs_ts_const_ints(c, &e, 1, false),
                  cs_ts_const_ints(c, &dim, 1, false), cs_ts_const_ints(c, &step, 1, false)};
    for (int k = 1; k < 5; k++)
        if (ins[k] < 0)
            return NULL;
    return result(c, emit(c, "Slice", ins, 5, NULL), x->rank);
}

static tv *squeeze(ts_ctx *c, const char *onnx, tv *x, tv *dim)
{
    if (!need_tensor(c, onnx, x))
        return NULL;
    if (!present(dim))
        return result(c, emit(c, onnx, &x->value, 1, NULL), -1);
    int64_t d = get_int(dim, 0);
    int ins[2] = {x->value, cs_ts_const_ints(c, &d, 1, false)};
    int r = x->rank < 0 ? -1 : x->rank + (onnx[0] == 'U' ? 1 : -1);
    return ins[1] < 0 ? NULL : result(c, emit(c, onnx, ins, 2, NULL), r);
}

/* ---- dispatch ---- */

static const char *const unary_map[][2] = {
    {"relu", "Relu"},     {"relu_", "Relu"},     {"sigmoid", "Sigmoid"}, {"sigmoid_", "Sigmoid"}, {"tanh", "Tanh"},
    {"tanh_", "Tanh"},    {"neg", "Neg"},        {"exp", "Exp"},         {"log", "Log"},          {"sqrt", "Sqrt"},
    {"abs", "Abs"},       {"erf", "Erf"},        {"floor", "Floor"},     {"ceil", "Ceil"},        {"reciprocal", "Reciprocal"},
    {"hardswish", "HardSwish"}, {"hardswish_", "HardSwish"}, {"contiguous", "Identity"}, {"dropout", "Identity"},
    {"dropout_", "Identity"}, {"feature_dropout", "Identity"}, {"alpha_dropout", "Identity"}, {"detach", "Identity"},
    {"clone", "Identity"}, {"feature_alpha_dropout", "Identity"}, {"softplus", "Softplus"}, {"sin", "Sin"}, {"cos", "Cos"},
    {"selu", "Selu"}, {"selu_", "Selu"}, {"mish", "Mish"}, {"mish_", "Mish"}};

static const char *const binary_map[][2] = {{"add", "Add"}, {"add_", "Add"}, {"sub", "Sub"}, {"sub_", "Sub"},
                                            {"mul", "Mul"}, {"mul_", "Mul"}, {"div", "Div"}, {"div_", "Div"},
                                            {"matmul", "MatMul"}, {"mm", "MatMul"}, {"bmm", "MatMul"},
                                            {"pow", "Pow"}, {"maximum", "Max"}, {"minimum", "Min"}};

static tv *aten_activation(ts_ctx *c, const char *name, tv **a, char **kw, int n, bool *handled)
{
    *handled = true;
    tv *x = arg(a, kw, n, 0, "input");
    if (strcmp(name, "leaky_relu") == 0 || strcmp(name, "leaky_relu_") == 0) {
        if (!need_tensor(c, name, x))
            return NULL;
        int node, out = emit(c, "LeakyRelu", &x->value, 1, &node);
        if (out >= 0 && !cs_attrs_add_float(attrs(c, node), "alpha", get_f(arg(a, kw, n, 1, "negative_slope"), 0.01)))
            return oom(c);
        return result(c, out, x->rank);
    }
    if (strcmp(name, "hardtanh") == 0 || strcmp(name, "hardtanh_") == 0)
        return clip(c, x, get_f(arg(a, kw, n, 1, "min_val"), -1), get_f(arg(a, kw, n, 2, "max_val"), 1), true, true);
    if (strcmp(name, "relu6") == 0 || strcmp(name, "relu6_") == 0)
        return clip(c, x, 0, 6, true, true);
    if (strcmp(name, "clamp") == 0 || strcmp(name, "clamp_") == 0 || strcmp(name, "clip") == 0) {
        tv *lo = arg(a, kw, n, 1, "min"), *hi = arg(a, kw, n, 2, "max");
        return clip(c, x, get_f(lo, -INFINITY), get_f(hi, INFINITY), present(lo) || present(hi), present(hi));
    }
    if (strcmp(name, "gelu") == 0) {
        if (!need_tensor(c, name, x))
            return NULL;
        tv *ap = arg(a, kw, n, 1, "approximate");
        int node, out = emit(c, "Gelu", &x->value, 1, &node);
        if (out >= 0 && !cs_attrs_add_string(attrs(c, node), "approximate",
                                             ap && ap->kind == TV_STR ? ap->s : "none"))
            return oom(c);
        return result(c, out, x->rank);
    }
    if (strcmp(name, "silu") == 0 || strcmp(name, "silu_") == 0) {
        tv *s = unary(c, "Sigmoid", x);
        return s ? binary(c, "Mul", x, s, NULL) : NULL;
    }
    if (strcmp(name, "hardsigmoid") == 0 || strcmp(name, "hardsigmoid_") == 0) {
        if (!need_tensor(c, name, x))
            return NULL;
        int node, out = emit(c, "HardSigmoid", &x->value, 1, &node);
        if (out >= 0 && (!cs_attrs_add_float(attrs(c, node), "alpha", 1.0 / 6) ||
                         !cs_attrs_add_float(attrs(c, node), "beta", 0.5)))
            return oom(c);
        return result(c, out, x->rank);
    }
    if (strcmp(name, "softmax") == 0 || strcmp(name, "log_softmax") == 0)
        return axis_op(c, name[0] == 's' ? "Softmax" : "LogSoftmax", x, arg(a, kw, n, 1, "dim"), x ? x->rank : -1);
    *handled = false;
    return NULL;
}

static tv *aten_shape(ts_ctx *c, const char *name, tv **a, char **kw, int n, bool *handled)
{
    *handled = true;
    tv *x = arg(a, kw, n, 0, "input");
    if (strcmp(name, "view") == 0 || strcmp(name, "reshape") == 0)
        return reshape(c, x, arg(a, kw, n, 1, "shape"));
    if (strcmp(name, "flatten") == 0)
        return flatten(c, x, arg(a, kw, n, 1, "start_dim"), arg(a, kw, n, 2, "end_dim"));
    if (strcmp(name, "permute") == 0) {
        int64_t perm[CS_MAX_RANK];
        int np = ints_of(arg(a, kw, n, 1, "dims"), perm, CS_MAX_RANK, 1);
        if (!need_tensor(c, name, x) || np < 1)
            return np < 1 ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "permute with non-constant dims") : NULL;
        return transpose_perm(c, x, perm, np);
    }
    if (strcmp(name, "transpose") == 0)
        return transpose(c, x, arg(a, kw, n, 1, "dim0"), arg(a, kw, n, 2, "dim1"));
    if (strcmp(name, "t") == 0) {
        int64_t perm[2] = {1, 0};
        return need_tensor(c, name, x) ? transpose_perm(c, x, perm, 2) : NULL;
    }
    if (strcmp(name, "cat") == 0 || strcmp(name, "concat") == 0)
        return cat(c, x, arg(a, kw, n, 1, "dim"));
    if (strcmp(name, "slice") == 0)
        return slice(c, a, kw, n);
    if (strcmp(name, "squeeze") == 0 || strcmp(name, "unsqueeze") == 0)
        return squeeze(c, name[0] == 's' ? "Squeeze" : "Unsqueeze", x, arg(a, kw, n, 1, "dim"));
    if (strcmp(name, "pad") == 0)
        return pad(c, x, arg(a, kw, n, 1, "pad"), arg(a, kw, n, 2, "mode"), arg(a, kw, n, 3, "value"));
    if (strcmp(name, "constant_pad_nd") == 0)
        return pad(c, x, arg(a, kw, n, 1, "pad"), NULL, arg(a, kw, n, 2, "value"));
    *handled = false;
    return NULL;
}

static tv *aten_layer(ts_ctx *c, const char *name, tv **a, char **kw, int n, bool *handled)
{
    *handled = true;
    if (strcmp(name, "_convolution") == 0 || strncmp(name, "conv1d", 6) == 0 || strncmp(name, "conv2d", 6) == 0 ||
        strncmp(name, "conv3d", 6) == 0 || strncmp(name, "conv_transpose", 14) == 0)
        return aten_conv(c, name, a, kw, n);
    if (strcmp(name, "linear") == 0)
        return linear(c, arg(a, kw, n, 0, "input"), arg(a, kw, n, 1, "weight"), arg(a, kw, n, 2, "bias"));
    if (strcmp(name, "addmm") == 0) {
        tv *b = arg(a, kw, n, 0, "self"), *m1 = arg(a, kw, n, 1, "mat1"), *m2 = arg(a, kw, n, 2, "mat2");
        if (!need_tensor(c, name, b) || !need_tensor(c, name, m1) || !need_tensor(c, name, m2))
            return NULL;
        int ins[3] = {m1->value, m2->value, b->value};
        int node, out = emit(c, "Gemm", ins, 3, &node);
        if (out >= 0 && (!cs_attrs_add_float(attrs(c, node), "beta", get_f(arg(a, kw, n, 3, "beta"), 1)) ||
                         !cs_attrs_add_float(attrs(c, node), "alpha", get_f(arg(a, kw, n, 4, "alpha"), 1))))
            return oom(c);
        return result(c, out, 2);
    }
    if (strstr(name, "pool") && (strncmp(name, "max_pool", 8) == 0 || strncmp(name, "avg_pool", 8) == 0))
        return pool(c, name, a, kw, n);
    if (strcmp(name, "adaptive_avg_pool2d") == 0)
        return adaptive_avg(c, arg(a, kw, n, 0, "input"), arg(a, kw, n, 1, "output_size"));
    if (strcmp(name, "batch_norm") == 0)
        return batch_norm(c, a, kw, n);
    if (strcmp(name, "layer_norm") == 0)
        return layer_norm(c, a, kw, n);
    if (strcmp(name, "mean") == 0)
        return mean(c, arg(a, kw, n, 0, "input"), arg(a, kw, n, 1, "dim"), arg(a, kw, n, 2, "keepdim"));
    if (strcmp(name, "upsample_nearest2d") == 0)
        return upsample(c, a, kw, n, "nearest");
    if (strcmp(name, "upsample_bilinear2d") == 0) {
        tv *al = arg(a, kw, n, 2, "align_corners");
        if (get_int(al, 0))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "upsample_bilinear2d with align_corners=True");
        tv *a2[3] = {a[0], n > 1 ? a[1] : NULL, n > 3 ? a[3] : NULL};
        char *k2[3] = {NULL, NULL, NULL};
        return upsample(c, a2, k2, n > 3 ? 3 : 1, "linear");
    }
    *handled = false;
    return NULL;
}

tv *cs_ts_aten(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    if (cs_ts_quant_wants(name, a, n))
        return cs_ts_quant_aten(c, name, a, kw, n);
    for (size_t k = 0; k < sizeof unary_map / sizeof unary_map[0]; k++)
        if (strcmp(name, unary_map[k][0]) == 0)
            return unary(c, unary_map[k][1], n > 0 ? a[0] : NULL);
    for (size_t k = 0; k < sizeof binary_map / sizeof binary_map[0]; k++)
        if (strcmp(name, binary_map[k][0]) == 0) {
            if (n > 0 && a[0]->kind == TV_INT && n > 1 && a[1]->kind == TV_INT && (a[0]->dyn || a[1]->dyn))
                return cs_ts_dyn_int_op(c, name, a[0], a[1]);
            tv *alpha = strncmp(name, "add", 3) == 0 || strncmp(name, "sub", 3) == 0 ? arg(a, kw, n, 2, "alpha") : NULL;
            tv *rm = strncmp(name, "div", 3) == 0 ? arg(a, kw, n, 2, "rounding_mode") : NULL;
            if (present(rm))
                return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s with rounding_mode", name);
            return binary(c, binary_map[k][1], n > 0 ? a[0] : NULL, n > 1 ? a[1] : NULL, alpha);
        }
    if (strcmp(name, "rsub") == 0 && n >= 2) {
        return binary(c, "Sub", a[1], a[0], NULL);
    }
    bool handled;
    tv *r = aten_activation(c, name, a, kw, n, &handled);
    if (!handled)
        r = aten_shape(c, name, a, kw, n, &handled);
    if (!handled)
        r = aten_layer(c, name, a, kw, n, &handled);
    if (!handled)
        r = cs_ts_aten_more(c, name, a, kw, n, &handled);
    if (!handled)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "unsupported TorchScript op aten::%s", name);
    return r;
}

/* ---- helpers shared with torchscript_aten_more.c ---- */

int cs_ts_emit(ts_ctx *c, const char *op, const int *in, int n_in, int *node)
{
    return emit(c, op, in, n_in, node);
}

tv *cs_ts_arg(tv **args, char **kw, int n, int pos, const char *name)
{
    return arg(args, kw, n, pos, name);
}

bool cs_ts_present(const tv *v)
{
    return present(v);
}

int64_t cs_ts_get_int(const tv *v, int64_t dflt)
{
    return get_int(v, dflt);
}

double cs_ts_get_f(const tv *v, double dflt)
{
    return get_f(v, dflt);
}

int cs_ts_ints_of(const tv *v, int64_t *out, int max, int expand)
{
    return ints_of(v, out, max, expand);
}

tv *cs_ts_result(ts_ctx *c, int value, int rank)
{
    return result(c, value, rank);
}

int cs_ts_operand(ts_ctx *c, const tv *v)
{
    return operand(c, v);
}

int cs_ts_const_f32(ts_ctx *c, const float *v, int n, bool scalar)
{
    return const_f32(c, v, n, scalar);
}

tv *cs_ts_need_tensor(ts_ctx *c, const char *op, const tv *v)
{
    return need_tensor(c, op, v);
}
