/* canon.c — canonical attributes of a layer group, read from its IR nodes: ONNX names and defaults for every
 * format, pads resolved from auto_pad, constant inputs read as attributes, decompositions recognised. */
#include "canon.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Format-native attribute names (PyTorch, Keras, CoreML) and their canonical (ONNX) names. */
static const char *const native_names[][2] = {
    {"kernel_size", "kernel_shape"}, {"stride", "strides"},   {"padding", "pads"},          {"dilation", "dilations"},
    {"dilation_rate", "dilations"},  {"groups", "group"},      {"eps", "epsilon"},           {"negative_slope", "alpha"},
    {"min_val", "min"},              {"max_val", "max"},       {"dim", "axis"},              {"pool_size", "kernel_shape"},
    {"kernelSize", "kernel_shape"},  {"dilationFactor", "dilations"}, {"nGroups", "group"},  {"max_value", "max"},
    {"interpolation", "mode"},       {"align_corners", "coordinate_transformation_mode"},   {"ceilMode", "ceil_mode"},
    {"auto_pad", "pads"},
};

const char *cs_canon_name(const char *native)
{
    for (size_t i = 0; i < sizeof native_names / sizeof native_names[0]; i++)
        if (strcmp(native_names[i][0], native) == 0)
            return native_names[i][1];
    return native;
}

const char *cs_canon_native_name(const cs_attrs *native, const char *canon)
{
    for (int i = 0; i < native->count; i++) {
        const char *n = native->items[i].name;
        if (strcmp(n, canon) == 0)
            return NULL;
        if (strcmp(cs_canon_name(n), canon) == 0)
            return n;
        if (strcmp(canon, "pads") == 0 && strstr(n, "paddingAmounts")) /* CoreML's per-edge border amounts */
            return "paddingAmounts";
    }
    return NULL;
}

bool cs_canon_is_default(const cs_graph *g, const cs_canon_attr *a)
{
    if (a->node < 0 || a->node >= g->n_nodes || a->input >= 0 || a->native[0])
        return false;
    return !cs_attrs_find(&g->nodes[a->node].attrs, a->name);
}

const cs_canon_attr *cs_canon_find(const cs_canon *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->items[i].name, name) == 0)
            return &c->items[i];
    return NULL;
}

static cs_canon_attr *add(cs_canon *c, const char *name, int node, int input, const char *native)
{
    if (cs_canon_find(c, name) || c->n >= CS_CANON_MAX)
        return NULL;
    cs_canon_attr *a = &c->items[c->n++];
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->native, sizeof a->native, "%s", native ? native : "");
    a->node = node;
    a->input = input;
    return a;
}

static void add_num(cs_canon *c, const char *name, int node, int input, const char *native, const double *v, int n)
{
    if (n < 0)
        return;
    cs_canon_attr *a = add(c, name, node, input, native);
    if (!a)
        return;
    a->count = n < CS_CANON_VALS ? n : CS_CANON_VALS;
    for (int i = 0; i < a->count; i++)
        a->v[i] = v[i];
}

static void add_str(cs_canon *c, const char *name, int node, const char *s)
{
    cs_canon_attr *a = add(c, name, node, -1, NULL);
    if (a) {
        a->is_string = true;
        snprintf(a->s, sizeof a->s, "%s", s);
    }
}

/* The node's input i as a tensor: a constant, else the runtime value when given. */
static const cs_tensor *input_tensor(const cs_graph *g, const cs_node *nd, int i, cs_tensor *const *vals)
{
    if (i >= nd->n_inputs || nd->inputs[i] < 0)
        return NULL;
    const cs_value *v = &g->values[nd->inputs[i]];
    if (v->data)
        return v->data;
    return vals ? vals[nd->inputs[i]] : NULL;
}

/* Rank and dims of the node's first input (runtime shape first, declared shape otherwise; a dim not known is
 * negative); -1 when the rank is unknown. */
static int input_shape(const cs_graph *g, const cs_node *nd, cs_tensor *const *vals, int64_t *dims)
{
    const cs_tensor *t = input_tensor(g, nd, 0, vals);
    if (t) {
        memcpy(dims, t->dims, sizeof t->dims);
        return t->rank;
    }
    if (nd->n_inputs < 1 || nd->inputs[0] < 0)
        return -1;
    const cs_value *v = &g->values[nd->inputs[0]];
    memcpy(dims, v->dims, sizeof v->dims); /* unknown dims stay negative (a symbolic batch) */
    return v->rank;
}

/* An INTS/FLOATS/INT/FLOAT attribute as doubles, or `dflt` (n_dflt values, repeated fill when n_dflt is 1 and
 * want > 1); returns the count (-1 when absent and no default). */
static int attr_nums(const cs_attrs *at, const char *name, double *v, int want, double dflt)
{
    const cs_attr *a = cs_attrs_find(at, name);
    if (a && a->type == CS_ATTR_INTS) {
        int n = a->count < CS_CANON_VALS ? a->count : CS_CANON_VALS;
        for (int i = 0; i < n; i++)
            v[i] = (double)a->ints[i];
        return n;
    }
    if (a && a->type == CS_ATTR_FLOATS) {
        int n = a->count < CS_CANON_VALS ? a->count : CS_CANON_VALS;
        for (int i = 0; i < n; i++)
            v[i] = a->floats[i];
        return n;
    }
    if (a && (a->type == CS_ATTR_INT || a->type == CS_ATTR_FLOAT)) {
        v[0] = a->type == CS_ATTR_INT ? (double)a->i : a->f;
        return 1;
    }
    if (want < 1 || isnan(dflt))
        return -1;
    for (int i = 0; i < want && i < CS_CANON_VALS; i++)
        v[i] = dflt;
    return want < CS_CANON_VALS ? want : CS_CANON_VALS;
}

static void num_attr(cs_canon *c, const cs_node *nd, int node, const char *name, int want, double dflt)
{
    double v[CS_CANON_VALS];
    int n = attr_nums(&nd->attrs, name, v, want, dflt);
    add_num(c, name, node, -1, NULL, v, n);
}

/* Resolves SAME_UPPER / SAME_LOWER / VALID for the actual input (NCHW spatial dims from index 2). */
static bool resolve_auto_pad(const char *mode, int sp, const int64_t *in, const double *k, const double *s,
                             const double *d, double *pads)
{
    for (int i = 0; i < sp; i++) {
        if (strcmp(mode, "VALID") == 0) {
            pads[i] = pads[i + sp] = 0;
            continue;
        }
        if (s[i] <= 0 || (in[i] <= 0 && s[i] != 1))
            return false; /* at stride 1 SAME pads (k-1)*d whatever the input size */
        int64_t len = in[i] > 0 ? in[i] : 1, out = (len + (int64_t)s[i] - 1) / (int64_t)s[i];
        int64_t total = (out - 1) * (int64_t)s[i] + ((int64_t)k[i] - 1) * (int64_t)d[i] + 1 - len;
        total = total > 0 ? total : 0;
        int64_t small = total / 2;
        bool upper = strcmp(mode, "SAME_LOWER") != 0;
        pads[i] = (double)(upper ? small : total - small);
        pads[i + sp] = (double)(total - (int64_t)pads[i]);
    }
    return true;
}

static void conv_pool(const cs_graph *g, const cs_node *nd, int node, cs_tensor *const *vals, cs_canon *c, bool pool)
{
    int64_t dims[CS_MAX_RANK];
    int rank = input_shape(g, nd, vals, dims);
    double k[CS_CANON_VALS], s[CS_CANON_VALS], d[CS_CANON_VALS], p[CS_CANON_VALS];
    int sp = attr_nums(&nd->attrs, "kernel_shape", k, 0, NAN);
    const cs_tensor *w = pool ? NULL : input_tensor(g, nd, 1, vals);
    if (sp < 0 && w && w->rank >= 3) {
        sp = w->rank - 2;
        for (int i = 0; i < sp && i < CS_CANON_VALS; i++)
            k[i] = (double)w->dims[i + 2];
    }
    if (sp < 0 && rank >= 3)
        sp = rank - 2;
    if (sp < 1 || 2 * sp > CS_CANON_VALS)
        return;
    add_num(c, "kernel_shape", node, -1, cs_attrs_find(&nd->attrs, "kernel_shape") ? NULL : "weight shape", k, sp);
    attr_nums(&nd->attrs, "strides", s, sp, 1);
    attr_nums(&nd->attrs, "dilations", d, sp, 1);
    add_num(c, "strides", node, -1, NULL, s, sp);
    const char *ap = cs_attrs_string(&nd->attrs, "auto_pad", "NOTSET");
    int64_t unknown[CS_CANON_VALS] = {0};
    const int64_t *in = rank == sp + 2 ? dims + 2 : unknown; /* VALID, and SAME at stride 1, need no shape */
    if (strcmp(ap, "NOTSET") != 0 && resolve_auto_pad(ap, sp, in, k, s, d, p))
        add_num(c, "pads", node, -1, "auto_pad", p, 2 * sp);
    else if (strcmp(ap, "NOTSET") != 0)
        add_str(c, "auto_pad", node, ap);
    else
        num_attr(c, nd, node, "pads", 2 * sp, 0);
    if (!pool || strcmp(nd->op, "MaxPool") == 0 || cs_attrs_find(&nd->attrs, "dilations"))
        add_num(c, "dilations", node, -1, NULL, d, sp);
    if (pool) {
        num_attr(c, nd, node, "ceil_mode", 1, 0);
        if (strcmp(nd->op, "AveragePool") == 0)
            num_attr(c, nd, node, "count_include_pad", 1, 0);
    } else {
        num_attr(c, nd, node, "group", 1, 1);
    }
}

/* Clip bounds: attributes (opset < 11) or constant inputs 1 and 2; absent bounds are infinite. */
static void clip_bounds(const cs_graph *g, const cs_node *nd, int node, cs_tensor *const *vals, cs_canon *c)
{
    const char *names[2] = {"min", "max"};
    for (int i = 0; i < 2; i++) {
        double v = i ? INFINITY : -INFINITY;
        const cs_tensor *t = input_tensor(g, nd, i + 1, vals);
        if (t && cs_tensor_numel(t) == 1) {
            v = cs_tensor_get_f64(t, 0);
            add_num(c, names[i], node, i + 1, "input", &v, 1);
        } else if (i + 1 < nd->n_inputs && nd->inputs[i + 1] >= 0) {
            continue; /* computed bound not available */
        } else {
            v = cs_attrs_float(&nd->attrs, names[i], v);
            add_num(c, names[i], node, -1, NULL, &v, 1);
        }
    }
}

static void channels_first(const cs_graph *g, const cs_node *nd, cs_canon *c, const char *name);

static void pad_attrs(const cs_graph *g, const cs_node *nd, int node, cs_tensor *const *vals, cs_canon *c)
{
    const cs_tensor *t = input_tensor(g, nd, 1, vals);
    double p[CS_CANON_VALS];
    if (t && cs_tensor_numel(t) <= CS_CANON_VALS && !cs_dtype_is_float(t->dtype)) {
        int n = (int)cs_tensor_numel(t);
        for (int i = 0; i < n; i++)
            p[i] = cs_tensor_get_f64(t, i);
        add_num(c, "pads", node, 1, "input", p, n);
    } else {
        num_attr(c, nd, node, "pads", 0, NAN);
    }
    channels_first(g, nd, c, "pads");
    add_str(c, "mode", node, cs_attrs_string(&nd->attrs, "mode", "constant"));
}

/* The rank of the node's input when it runs channels-last with a batch dim (NHWC, NWC), else 0. */
static int channels_last_rank(const cs_graph *g, const cs_node *nd)
{
    if (nd->n_inputs < 1 || nd->inputs[0] < 0)
        return 0;
    cs_layout l = g->values[nd->inputs[0]].layout;
    return l == CS_LAYOUT_NHWC ? 4 : l == CS_LAYOUT_NWC ? 3 : 0;
}

/* Dim k of a channels-last tensor of rank r as its channels-first index (N,H,W,C -> N,C,H,W), and back. */
static int cl_to_cf(int k, int r) { return k == 0 ? 0 : k == r - 1 ? 1 : k + 1; }
static int cf_to_cl(int k, int r) { return k == 0 ? 0 : k == 1 ? r - 1 : k - 1; }

/* Per-dimension values (pads: 2r values, begins then ends; else dim indices) mapped by f. */
static void map_dims(double *v, int count, int r, bool pads, int (*f)(int, int))
{
    double t[CS_CANON_VALS];
    memcpy(t, v, sizeof t);
    for (int i = 0; i < count; i++) {
        if (pads && count == 2 * r)
            v[(i / r) * r + f(i % r, r)] = t[i];
        else if (!pads && t[i] >= 0 && t[i] < r)
            v[i] = f((int)t[i], r);
    }
}

/* States a just-added per-dimension attribute in channels-first order when the node runs channels-last. */
static void channels_first(const cs_graph *g, const cs_node *nd, cs_canon *c, const char *name)
{
    int r = channels_last_rank(g, nd);
    bool pads = strcmp(name, "pads") == 0;
    cs_canon_attr *a = (cs_canon_attr *)cs_canon_find(c, name);
    if (!r || !a || a->node < 0 || &g->nodes[a->node] != nd || a->cl_rank || (pads && a->count != 2 * r))
        return;
    char was[40] = "", v[32];
    for (int i = 0; i < a->count && strlen(was) + 8 < sizeof was; i++) {
        snprintf(v, sizeof v, "%s%g", i ? "," : "", a->v[i]);
        strcat(was, v);
    }
    map_dims(a->v, a->count, r, pads, cl_to_cf);
    a->cl_rank = r;
    snprintf(a->native, sizeof a->native, "%s %s", r == 4 ? "NHWC" : "NWC", was);
}

void cs_canon_to_native(const cs_canon_attr *ca, const cs_canon_attr *v, cs_canon_attr *native)
{
    *native = *v;
    if (ca->cl_rank > 0 && !v->is_string)
        map_dims(native->v, native->count, ca->cl_rank, strcmp(ca->name, "pads") == 0, cf_to_cl);
}

/* Normalises a signed axis against the input rank when it is known. */
static void axis_attr(const cs_graph *g, const cs_node *nd, int node, cs_tensor *const *vals, cs_canon *c,
                      double dflt)
{
    double v;
    if (attr_nums(&nd->attrs, "axis", &v, 1, dflt) < 1)
        return;
    int64_t dims[CS_MAX_RANK];
    int rank = input_shape(g, nd, vals, dims);
    rank = rank > 0 ? rank : channels_last_rank(g, nd);
    if (v < 0 && rank > 0)
        v += rank;
    add_num(c, "axis", node, -1, NULL, &v, 1);
    if (strcmp(nd->op, "Flatten") != 0) /* Flatten's axis is a split point, not a dim */
        channels_first(g, nd, c, "axis");
}

static bool is_reduction(const char *op)
{
    return strncmp(op, "Reduce", 6) == 0 || strcmp(op, "ArgMax") == 0 || strcmp(op, "ArgMin") == 0;
}

/* A reduction's axes (attribute, or constant input 1 from opset 18), normalised, and keepdims. */
static void reduce_attrs(const cs_graph *g, const cs_node *nd, int node, cs_tensor *const *vals, cs_canon *c)
{
    if (strcmp(nd->op, "ArgMax") == 0 || strcmp(nd->op, "ArgMin") == 0) {
        axis_attr(g, nd, node, vals, c, 0);
        num_attr(c, nd, node, "keepdims", 1, 1);
        return;
    }
    double v[CS_CANON_VALS];
    int n = attr_nums(&nd->attrs, "axes", v, 0, NAN), input = -1;
    const cs_tensor *t = n < 0 ? input_tensor(g, nd, 1, vals) : NULL;
    if (t && !cs_dtype_is_float(t->dtype) && cs_tensor_numel(t) <= CS_CANON_VALS) {
        n = (int)cs_tensor_numel(t), input = 1;
        for (int i = 0; i < n; i++)
            v[i] = cs_tensor_get_f64(t, i);
    }
    int64_t dims[CS_MAX_RANK];
    int rank = input_shape(g, nd, vals, dims);
    rank = rank > 0 ? rank : channels_last_rank(g, nd);
    for (int i = 0; i < n; i++)
        if (v[i] < 0 && rank > 0)
            v[i] += rank;
    for (int i = 1; i < n; i++) /* sorted: the set of axes, whatever order it was written in */
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double x = v[j];
            v[j] = v[j - 1], v[j - 1] = x;
        }
    if (n > 0) {
        add_num(c, "axes", node, input, input >= 0 ? "input" : NULL, v, n);
        channels_first(g, nd, c, "axes");
    }
    num_attr(c, nd, node, "keepdims", 1, 1);
}

static void node_attrs(const cs_graph *g, int node, cs_tensor *const *vals, cs_canon *c)
{
    const cs_node *nd = &g->nodes[node];
    const char *op = nd->op;
    if (strcmp(op, "Conv") == 0 || strcmp(op, "ConvTranspose") == 0)
        conv_pool(g, nd, node, vals, c, false);
    else if (strcmp(op, "MaxPool") == 0 || strcmp(op, "AveragePool") == 0 || strcmp(op, "LpPool") == 0)
        conv_pool(g, nd, node, vals, c, true);
    else if (strcmp(op, "BatchNormalization") == 0 || strcmp(op, "InstanceNormalization") == 0 ||
             strcmp(op, "LayerNormalization") == 0 || strcmp(op, "GroupNormalization") == 0)
        num_attr(c, nd, node, "epsilon", 1, 1e-5);
    else if (strcmp(op, "LeakyRelu") == 0)
        num_attr(c, nd, node, "alpha", 1, 0.01);
    else if (strcmp(op, "Elu") == 0 || strcmp(op, "Celu") == 0)
        num_attr(c, nd, node, "alpha", 1, 1);
    else if (strcmp(op, "HardSigmoid") == 0) {
        num_attr(c, nd, node, "alpha", 1, 0.2);
        num_attr(c, nd, node, "beta", 1, 0.5);
    } else if (strcmp(op, "Gelu") == 0)
        add_str(c, "approximate", node, cs_attrs_string(&nd->attrs, "approximate", "none"));
    else if (strcmp(op, "Clip") == 0)
        clip_bounds(g, nd, node, vals, c);
    else if (strcmp(op, "Softmax") == 0 || strcmp(op, "LogSoftmax") == 0 || strcmp(op, "Hardmax") == 0)
        axis_attr(g, nd, node, vals, c, g->opset && g->opset < 13 ? 1 : -1);
    else if (strcmp(op, "Concat") == 0)
        axis_attr(g, nd, node, vals, c, NAN);
    else if (strcmp(op, "Flatten") == 0)
        axis_attr(g, nd, node, vals, c, 1);
    else if (is_reduction(op))
        reduce_attrs(g, nd, node, vals, c);
    else if (strcmp(op, "Gemm") == 0) {
        num_attr(c, nd, node, "transA", 1, 0);
        num_attr(c, nd, node, "transB", 1, 0);
        num_attr(c, nd, node, "alpha", 1, 1);
        num_attr(c, nd, node, "beta", 1, 1);
    } else if (strcmp(op, "Pad") == 0)
        pad_attrs(g, nd, node, vals, c);
    else if (strcmp(op, "Resize") == 0 || strcmp(op, "Upsample") == 0) {
        add_str(c, "mode", node, cs_attrs_string(&nd->attrs, "mode", "nearest"));
        add_str(c, "coordinate_transformation_mode", node,
                cs_attrs_string(&nd->attrs, "coordinate_transformation_mode", "half_pixel"));
        add_str(c, "nearest_mode", node, cs_attrs_string(&nd->attrs, "nearest_mode", "round_prefer_floor"));
    }
}

/* A scalar constant input of the node (the other operand of an Add/Mul/Div), or NAN. */
static double scalar_operand(const cs_graph *g, const cs_node *nd, int *which)
{
    for (int i = 0; i < nd->n_inputs && i < 2; i++) {
        int v = nd->inputs[i];
        if (v >= 0 && g->values[v].data && cs_tensor_numel(g->values[v].data) == 1) {
            *which = i;
            return cs_tensor_get_f64(g->values[v].data, 0);
        }
    }
    return NAN;
}

static bool group_has(const cs_graph *g, const int *nodes, int n, const char *op)
{
    for (int i = 0; i < n; i++)
        if (strcmp(g->nodes[nodes[i]].op, op) == 0)
            return true;
    return false;
}

/* Attributes of decomposed layers: LayerNorm (ReduceMean ... Add(eps) ... Sqrt), GELU (Erf or Tanh form),
 * HardSigmoid (Add 3, Clip/Relu6, Div 6), ReLU-N as Min/Max with constants. */
static void decompositions(const cs_graph *g, const int *nodes, int n, cs_canon *c)
{
    bool norm = group_has(g, nodes, n, "ReduceMean") && group_has(g, nodes, n, "Sqrt");
    for (int i = 0; i < n; i++) {
        const cs_node *nd = &g->nodes[nodes[i]];
        int which = -1;
        double k = scalar_operand(g, nd, &which);
        if (norm && strcmp(nd->op, "Add") == 0 && !isnan(k) && k > 0 && k < 0.9 &&
            !(i > 0 && strcmp(g->nodes[nodes[i - 1]].op, "Sqrt") == 0)) {
            add_num(c, "epsilon", nodes[i], which, "Add constant", &k, 1);
            norm = false;
        }
        if (strcmp(nd->op, "Max") == 0 && !isnan(k))
            add_num(c, "min", nodes[i], which, "Max constant", &k, 1);
        if (strcmp(nd->op, "Min") == 0 && !isnan(k))
            add_num(c, "max", nodes[i], which, "Min constant", &k, 1);
    }
    /* HardSigmoid as Add(b) -> Clip(0, c) -> Div(d): alpha 1/d, beta b/d (PyTorch's: b 3, d 6) */
    double add_k = NAN, div_k = NAN;
    for (int i = 0; i < n; i++) {
        int which = -1;
        double k = scalar_operand(g, &g->nodes[nodes[i]], &which);
        if (strcmp(g->nodes[nodes[i]].op, "Add") == 0 && which == 1 && isnan(add_k))
            add_k = k;
        if (strcmp(g->nodes[nodes[i]].op, "Div") == 0 && which == 1 && isnan(div_k))
            div_k = k;
    }
    if (!isnan(add_k) && !isnan(div_k) && div_k != 0 &&
        (group_has(g, nodes, n, "Clip") || group_has(g, nodes, n, "Min"))) {
        double alpha = 1 / div_k, beta = add_k / div_k;
        add_num(c, "alpha", -1, -1, "Div constant", &alpha, 1);
        add_num(c, "beta", -1, -1, "Add constant", &beta, 1);
    }
    if (group_has(g, nodes, n, "Erf"))
        add_str(c, "approximate", -1, "none");
    else if (group_has(g, nodes, n, "Tanh") && group_has(g, nodes, n, "Pow"))
        add_str(c, "approximate", -1, "tanh");
}

void cs_canon_collect(const cs_graph *g, const int *layers, int n, cs_tensor *const *vals, cs_canon *out)
{
    memset(out, 0, sizeof *out);
    int nodes[256] = {0}, nn = 0; /* zeroed: gcc -O1 cannot see nn bounds the reads */
    for (int i = 0; i < n; i++) {
        if (layers[i] < 0 || layers[i] >= g->n_layers)
            continue;
        const cs_layer *l = &g->layers[layers[i]];
        for (int k = 0; k < l->n_nodes && nn < 256; k++)
            if (l->nodes[k] >= 0 && l->nodes[k] < g->n_nodes)
                nodes[nn++] = l->nodes[k];
    }
    for (int i = 0; i < nn; i++)
        node_attrs(g, nodes[i], vals, out);
    decompositions(g, nodes, nn, out);
}

bool cs_canon_equal(const cs_canon_attr *a, const cs_canon_attr *b)
{
    if (a->is_string || b->is_string)
        return a->is_string == b->is_string && strcmp(a->s, b->s) == 0;
    if (a->count != b->count)
        return false;
    for (int i = 0; i < a->count; i++) {
        double x = a->v[i], y = b->v[i];
        if (x != y && !(fabs(x - y) <= 1e-6 * fmax(fabs(x), fabs(y))))
            return false;
    }
    return true;
}

static int num_str(double v, char *buf, size_t size)
{
    if (isinf(v))
        return snprintf(buf, size, "%s", v < 0 ? "-inf" : "inf");
    return snprintf(buf, size, "%g", v);
}

const char *cs_canon_str(const cs_canon_attr *a, char *buf, size_t size)
{
    if (a->is_string) {
        snprintf(buf, size, "%s", a->s);
        return buf;
    }
    size_t used = 0;
    bool list = a->count != 1 || strcmp(a->name, "pads") == 0 || strcmp(a->name, "strides") == 0 ||
                strcmp(a->name, "kernel_shape") == 0 || strcmp(a->name, "dilations") == 0;
    buf[0] = 0;
    if (list)
        used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < a->count && used < size; i++) {
        if (i)
            used += (size_t)snprintf(buf + used, size - used, ",");
        if (used < size)
            used += (size_t)num_str(a->v[i], buf + used, size - used);
    }
    if (list && used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}
