/* exec_batch.c — the batch-separability analysis (see exec_batch.h): a walk over the nodes in the plan's order
 * that tracks which values carry the batch on their first axis, and their ranks, with a rule per op; and the
 * views and placement the executor's sub-batches use. */
#include "exec_batch.h"

#include <stdlib.h>
#include <string.h>

typedef struct batch_walk {
    const cs_graph *g;
    int *rank; /* per value: rank of a batched value, -1 when the value does not carry the batch */
} batch_walk;

static bool is_batched(const batch_walk *w, int v)
{
    return v >= 0 && w->rank[v] >= 0;
}

/* The constant data behind value v (a graph constant, a Constant node, through Identity); NULL when computed. */
static const cs_tensor *const_data(const cs_graph *g, int v)
{
    v = cs_graph_skip_identity(g, v);
    if (v < 0 || g->values[v].data)
        return v < 0 ? NULL : g->values[v].data;
    int p = g->values[v].producer;
    const cs_attr *a = p >= 0 && strcmp(g->nodes[p].op, "Constant") == 0 ? cs_attrs_find(&g->nodes[p].attrs, "value")
                                                                         : NULL;
    return a && a->type == CS_ATTR_TENSOR ? a->tensor : NULL;
}

/* Rank and first dim of a value that does not carry the batch: from its data, else as declared; -1 unknown. */
static int plain_rank(const cs_graph *g, int v, int64_t *dim0)
{
    *dim0 = 1;
    if (v < 0 || v >= g->n_values)
        return -1;
    const cs_tensor *t = const_data(g, v);
    int rank = t ? t->rank : g->values[v].rank;
    const int64_t *dims = t ? t->dims : g->values[v].dims;
    *dim0 = rank > 0 ? dims[0] : 1;
    return rank;
}

/* An axis attribute (or the default) normalised against rank; -1 when out of range. */
static int norm_axis(int64_t axis, int rank)
{
    if (axis < 0)
        axis += rank;
    return axis >= 0 && axis < rank ? (int)axis : -1;
}

/* Integer axes from an INTS attribute or, when absent, a constant input; n < 0 when neither is known. */
static int axes_of(const cs_graph *g, const cs_node *n, const char *attr, int input, const int64_t **axes)
{
    int count = cs_attrs_ints(&n->attrs, attr, axes);
    if (count >= 0)
        return count;
    const cs_tensor *t = input < n->n_inputs ? const_data(g, n->inputs[input]) : NULL;
    if (!t || t->dtype != CS_DT_I64 || t->rank != 1)
        return -1;
    *axes = t->data;
    return (int)t->dims[0];
}

/* No axis in the list touches the first axis of a rank-`rank` value; false when any is out of range. */
static bool axes_spare_batch(const int64_t *axes, int count, int rank)
{
    for (int i = 0; i < count; i++) {
        int a = norm_axis(axes[i], rank);
        if (a <= 0)
            return false;
    }
    return true;
}

/* Only input 0 may carry the batch; the output keeps its rank (convolutions, pooling, normalisation). */
static int rule_first_input(const batch_walk *w, const cs_node *n)
{
    for (int i = 1; i < n->n_inputs; i++)
        if (is_batched(w, n->inputs[i]))
            return -1;
    return is_batched(w, n->inputs[0]) ? w->rank[n->inputs[0]] : -1;
}

/* Broadcasting element-wise ops: every batched input has the output's rank; a plain input broadcasts into
 * the batch axis only with a first dim of 1 or a lower rank. */
static int rule_broadcast(const batch_walk *w, const cs_node *n)
{
    int out_rank = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        int64_t d0;
        int r = v < 0 ? 0 : is_batched(w, v) ? w->rank[v] : plain_rank(w->g, v, &d0);
        if (r < 0)
            return -1;
        out_rank = r > out_rank ? r : out_rank;
    }
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        int64_t d0;
        if (v < 0)
            continue;
        if (is_batched(w, v) ? w->rank[v] != out_rank : plain_rank(w->g, v, &d0) == out_rank && d0 != 1)
            return -1;
    }
    return out_rank;
}

static int rule_gemm(const batch_walk *w, const cs_node *n)
{
    int64_t d0 = 1;
    if (n->n_inputs < 2 || cs_attrs_int(&n->attrs, "transA", 0) != 0 || is_batched(w, n->inputs[1]))
        return -1;
    if (n->n_inputs > 2 && n->inputs[2] >= 0 &&
        (is_batched(w, n->inputs[2]) || (plain_rank(w->g, n->inputs[2], &d0) == 2 && d0 != 1)))
        return -1;
    return is_batched(w, n->inputs[0]) && w->rank[n->inputs[0]] == 2 ? 2 : -1;
}

static int rule_matmul(const batch_walk *w, const cs_node *n)
{
    int a = n->inputs[0], b = n->n_inputs > 1 ? n->inputs[1] : -1;
    if (b < 0 || !is_batched(w, a) || w->rank[a] < 2)
        return -1;
    int64_t d0;
    int rb = is_batched(w, b) ? w->rank[b] : plain_rank(w->g, b, &d0);
    if (rb < 1 || (is_batched(w, b) && rb != w->rank[a]) || (!is_batched(w, b) && rb >= w->rank[a] && rb > 2))
        return -1;
    return rb == 1 ? w->rank[a] - 1 : w->rank[a];
}

static int rule_reshape(const batch_walk *w, const cs_node *n)
{
    const cs_tensor *shape = n->n_inputs > 1 ? const_data(w->g, n->inputs[1]) : NULL;
    if (!shape || shape->dtype != CS_DT_I64 || shape->rank != 1 || shape->dims[0] < 1 ||
        cs_attrs_int(&n->attrs, "allowzero", 0) != 0 || ((const int64_t *)shape->data)[0] != 0)
        return -1;
    return rule_first_input(w, n) >= 0 ? (int)shape->dims[0] : -1;
}

/* Ops whose "axis" (default dflt) must not be the batch axis; the rank is kept. */
static int rule_axis(const batch_walk *w, const cs_node *n, int64_t dflt)
{
    int r = rule_first_input(w, n);
    return r >= 0 && norm_axis(cs_attrs_int(&n->attrs, "axis", dflt), r) > 0 ? r : -1;
}

static int rule_reduce(const batch_walk *w, const cs_node *n)
{
    const int64_t *axes;
    int r = rule_first_input(w, n), count = axes_of(w->g, n, "axes", 1, &axes);
    if (r < 0 || count <= 0 || !axes_spare_batch(axes, count, r))
        return -1;
    return cs_attrs_int(&n->attrs, "keepdims", 1) ? r : r - count;
}

static int rule_squeeze(const batch_walk *w, const cs_node *n, bool unsqueeze)
{
    const int64_t *axes;
    int r = rule_first_input(w, n), count = axes_of(w->g, n, "axes", 1, &axes);
    if (r < 0 || count <= 0 || !axes_spare_batch(axes, count, unsqueeze ? r + count : r))
        return -1;
    return unsqueeze ? r + count : r - count;
}

static int rule_transpose(const batch_walk *w, const cs_node *n)
{
    const int64_t *perm;
    int r = rule_first_input(w, n), count = cs_attrs_ints(&n->attrs, "perm", &perm);
    return r >= 0 && count == r && perm[0] == 0 ? r : -1;
}

static int rule_concat(const batch_walk *w, const cs_node *n)
{
    int r = n->n_inputs > 0 && is_batched(w, n->inputs[0]) ? w->rank[n->inputs[0]] : -1;
    for (int i = 0; r >= 0 && i < n->n_inputs; i++)
        if (!is_batched(w, n->inputs[i]) || w->rank[n->inputs[i]] != r)
            return -1;
    return r >= 0 && norm_axis(cs_attrs_int(&n->attrs, "axis", 0), r) > 0 ? r : -1;
}

static int rule_slice(const batch_walk *w, const cs_node *n)
{
    const int64_t *axes;
    int r = rule_first_input(w, n), count = axes_of(w->g, n, "axes", 3, &axes);
    return r >= 0 && count > 0 && axes_spare_batch(axes, count, r) ? r : -1;
}

static int rule_gather(const batch_walk *w, const cs_node *n)
{
    int64_t d0;
    int r = rule_first_input(w, n), ri = n->n_inputs > 1 ? plain_rank(w->g, n->inputs[1], &d0) : -1;
    return r >= 0 && ri >= 0 && norm_axis(cs_attrs_int(&n->attrs, "axis", 0), r) > 0 ? r + ri - 1 : -1;
}

static int rule_softmax(const batch_walk *w, const cs_node *n)
{
    return rule_axis(w, n, w->g->opset >= 13 ? -1 : 1);
}

static int rule_flatten(const batch_walk *w, const cs_node *n)
{
    int r = rule_first_input(w, n);
    int64_t axis = cs_attrs_int(&n->attrs, "axis", 1);
    return r >= 0 && (axis < 0 ? axis + r : axis) >= 1 ? 2 : -1;
}

static const char *const SAME_RANK_OPS[] = {
    "Relu", "Clip", "Sigmoid", "Tanh", "Exp", "Log", "Abs", "Neg", "Sqrt", "Erf", "HardSwish", "HardSigmoid",
    "LeakyRelu", "Elu", "Selu", "Softplus", "Softsign", "Gelu", "Identity", "Dropout", "Cast", "Floor", "Ceil",
    "Round", "Reciprocal", "Sin", "Cos", "Mish", "Celu", "ThresholdedRelu", "Sign", "Not", "IsNaN", "IsInf",
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool",
    "GlobalLpPool", "LRN", "BatchNormalization", "InstanceNormalization", "DepthToSpace", "SpaceToDepth",
};
static const char *const BROADCAST_OPS[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean",
                                            "Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
                                            "And", "Or", "Xor", "Mod", "BitShift"};

static int rule_layernorm(const batch_walk *w, const cs_node *n) { return rule_axis(w, n, -1); }
static int rule_split(const batch_walk *w, const cs_node *n) { return rule_axis(w, n, 0); }
static int rule_squeeze_op(const batch_walk *w, const cs_node *n) { return rule_squeeze(w, n, false); }
static int rule_unsqueeze_op(const batch_walk *w, const cs_node *n) { return rule_squeeze(w, n, true); }

/* Ops with a rule of their own (the lists above share one rule each; Reduce* share rule_reduce). */
static const struct {
    const char *op;
    int (*rule)(const batch_walk *w, const cs_node *n);
} RULES[] = {
    {"Gemm", rule_gemm},           {"MatMul", rule_matmul},       {"Flatten", rule_flatten},
    {"Reshape", rule_reshape},     {"Softmax", rule_softmax},     {"LogSoftmax", rule_softmax},
    {"Hardmax", rule_softmax},     {"LayerNormalization", rule_layernorm}, {"Split", rule_split},
    {"Squeeze", rule_squeeze_op},  {"Unsqueeze", rule_unsqueeze_op}, {"Transpose", rule_transpose},
    {"Concat", rule_concat},       {"Slice", rule_slice},         {"Gather", rule_gather},
    {"PRelu", rule_broadcast},
};

static bool in_list(const char *op, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(op, list[i]) == 0)
            return true;
    return false;
}

/* The batched rank of the node's outputs, or -1 when the node may mix samples (or is not known to keep them). */
static int node_rule(const batch_walk *w, const cs_node *n)
{
    const char *op = n->op;
    if (n->n_inputs < 1 || n->inputs[0] < 0)
        return -1;
    /* in training mode BatchNormalization normalises with the batch's statistics, and Dropout draws a mask */
    if ((strcmp(op, "BatchNormalization") == 0 && (cs_attrs_int(&n->attrs, "training_mode", 0) != 0 ||
                                                   n->n_outputs > 1)) ||
        (strcmp(op, "Dropout") == 0 && n->n_inputs > 2 && n->inputs[2] >= 0))
        return -1;
    for (size_t i = 0; i < sizeof RULES / sizeof *RULES; i++)
        if (strcmp(op, RULES[i].op) == 0)
            return RULES[i].rule(w, n);
    if (in_list(op, SAME_RANK_OPS, sizeof SAME_RANK_OPS / sizeof *SAME_RANK_OPS))
        return rule_first_input(w, n);
    if (in_list(op, BROADCAST_OPS, sizeof BROADCAST_OPS / sizeof *BROADCAST_OPS))
        return rule_broadcast(w, n);
    if (strncmp(op, "Reduce", 6) == 0)
        return rule_reduce(w, n);
    return -1;
}

static bool node_has_subgraph(const cs_node *n)
{
    for (int a = 0; a < n->attrs.count; a++)
        if (n->attrs.items[a].type == CS_ATTR_GRAPH)
            return true;
    return false;
}

/* Applies node n to the walk; false when it breaks separability. */
static bool walk_node(batch_walk *w, const cs_node *n)
{
    bool any = false;
    for (int i = 0; i < n->n_inputs; i++)
        any = any || is_batched(w, n->inputs[i]);
    if (node_has_subgraph(n) || (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0))
        return false;
    if (!any)
        return true; /* computed from constants only: the same for every sub-batch */
    int r = node_rule(w, n);
    if (r < 1)
        return false;
    for (int o = 0; o < n->n_outputs; o++)
        if (n->outputs[o] >= 0)
            w->rank[n->outputs[o]] = r;
    return true;
}

static bool walk_graph(batch_walk *w, const int *order, int n_order, const cs_tensor *const *inputs)
{
    const cs_graph *g = w->g;
    if (g->n_captures > 0 || g->n_inputs < 1 || g->n_outputs < 1)
        return false;
    for (int v = 0; v < g->n_values; v++)
        w->rank[v] = -1;
    for (int i = 0; i < g->n_inputs; i++) {
        const cs_tensor *t = inputs[i];
        if (!t || t->kind != CS_VALUE_TENSOR || t->rank < 1 || t->dtype == CS_DT_STRING)
            return false;
        w->rank[g->inputs[i]] = t->rank;
    }
    for (int p = 0; p < n_order; p++)
        if (order[p] < 0 || order[p] >= g->n_nodes || !walk_node(w, &g->nodes[order[p]]))
            return false;
    for (int i = 0; i < g->n_outputs; i++)
        if (!is_batched(w, g->outputs[i]))
            return false;
    return true;
}

bool cs_batch_separable(const cs_graph *g, const int *order, int n_order, const cs_tensor *const *inputs)
{
    batch_walk w = {g, malloc(((size_t)g->n_values + 1) * sizeof(int))};
    bool ok = w.rank && inputs && n_order == g->n_nodes && walk_graph(&w, order, n_order, inputs);
    free(w.rank);
    return ok;
}

void cs_batch_view(const cs_tensor *t, int64_t start, int64_t rows, cs_tensor *view)
{
    size_t row_bytes = t->dims[0] > 0 ? t->nbytes / (size_t)t->dims[0] : 0;
    *view = *t;
    view->dims[0] = rows;
    view->data = (char *)t->data + (size_t)start * row_bytes;
    view->nbytes = (size_t)rows * row_bytes;
}

bool cs_batch_place(cs_tensor **full, const cs_tensor *part, int64_t start, int64_t total, cs_error *err)
{
    if (part->kind != CS_VALUE_TENSOR || part->dtype == CS_DT_STRING || part->rank < 1)
        return false;
    if (!*full) {
        int64_t dims[CS_MAX_RANK];
        memcpy(dims, part->dims, sizeof dims);
        dims[0] = total;
        if (!(*full = cs_tensor_new(part->dtype, part->rank, dims, err)))
            return false;
    }
    const cs_tensor *f = *full;
    if (f->dtype != part->dtype || f->rank != part->rank ||
        memcmp(f->dims + 1, part->dims + 1, (size_t)(part->rank - 1) * sizeof *f->dims) != 0 ||
        start + part->dims[0] > total)
        return false;
    size_t row_bytes = total > 0 ? f->nbytes / (size_t)total : 0;
    if (part->nbytes != (size_t)part->dims[0] * row_bytes)
        return false;
    if (part->nbytes)
        memcpy((char *)f->data + (size_t)start * row_bytes, part->data, part->nbytes);
    return true;
}
