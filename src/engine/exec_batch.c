/* exec_batch.c — the batch-separability analysis (see exec_batch.h): a walk over the nodes in the plan's order
 * that tracks which values carry the batch on their first axis, and their ranks, with a rule per op; and the
 * views and placement the executor's sub-batches use. */
#include "exec_batch.h"

#include <stdlib.h>
#include <string.h>

/* What a value that does not carry the batch says of the batch size: nothing (constants, and values computed
 * from constants or from the sample shape only: the same for every sub-batch), the batch size itself, or a 1-D
 * integer vector holding the batch size at one position (a Shape of a batched value, a reshape target built from
 * it) with every other entry independent of the batch. */
typedef enum { SIZE_NONE = 0, SIZE_SCALAR, SIZE_VECTOR } size_kind;

typedef struct batch_walk {
    const cs_graph *g;
    int *rank;      /* per value: rank of a batched value, -1 when the value does not carry the batch */
    int *axis;      /* per batched value: the axis that carries the batch (graph inputs and outputs: 0) */
    int *size;      /* per value that does not carry the batch: its size_kind */
    int *pos;       /* per SIZE_VECTOR value: where the batch size sits */
    int *len;       /* per value not carrying the batch: a 1-D value's length, SCALAR_LEN, or -1 unknown */
} batch_walk;

/* A node's result: its outputs carry the batch at `axis` with rank `rank` (rank >= 1), or are batch-size values
 * (size != SIZE_NONE), or the node mixes samples (ok false). */
typedef struct batch_out {
    bool ok;
    int rank, axis;
    size_kind size;
    int pos, len;
} batch_out;

#define SCALAR_LEN (-2)

static const batch_out MIXES = {false, -1, 0, SIZE_NONE, 0, -1};

static batch_out batched_out(int rank, int axis)
{
    return rank >= 1 && axis >= 0 && axis < rank ? (batch_out){true, rank, axis, SIZE_NONE, 0, -1} : MIXES;
}

static bool is_batched(const batch_walk *w, int v)
{
    return v >= 0 && w->rank[v] >= 0;
}

static bool is_size(const batch_walk *w, int v)
{
    return v >= 0 && w->rank[v] < 0 && w->size[v] != SIZE_NONE;
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

/* Rank and the dim at position `at` (1 where absent) of a value that does not carry the batch: from its data,
 * else as declared; -1 unknown. */
static int plain_rank_at(const cs_graph *g, int v, int at, int64_t *dim)
{
    *dim = 1;
    if (v < 0 || v >= g->n_values)
        return -1;
    const cs_tensor *t = const_data(g, v);
    int rank = t ? t->rank : g->values[v].rank;
    const int64_t *dims = t ? t->dims : g->values[v].dims;
    if (at >= 0 && at < rank)
        *dim = dims[at];
    return rank;
}

static int plain_rank(const cs_graph *g, int v, int64_t *dim0)
{
    return plain_rank_at(g, v, 0, dim0);
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

/* No axis in the list is the batch axis of a rank-`rank` value; false when any is out of range. */
static bool axes_spare(const int64_t *axes, int count, int rank, int batch_axis)
{
    for (int i = 0; i < count; i++) {
        int a = norm_axis(axes[i], rank);
        if (a < 0 || a == batch_axis)
            return false;
    }
    return true;
}

/* Axes of the list (normalised against rank) below `below`. */
static int axes_before(const int64_t *axes, int count, int rank, int below)
{
    int n = 0;
    for (int i = 0; i < count; i++)
        n += norm_axis(axes[i], rank) < below;
    return n;
}

/* Only input 0 may carry the batch; the output keeps its rank and batch axis (convolutions, pooling,
 * normalisation, unary ops). */
static batch_out rule_first_input(const batch_walk *w, const cs_node *n)
{
    for (int i = 1; i < n->n_inputs; i++)
        if (is_batched(w, n->inputs[i]))
            return MIXES;
    int x = n->inputs[0];
    return is_batched(w, x) ? batched_out(w->rank[x], w->axis[x]) : MIXES;
}

/* Ops that need their batch axis first (convolutions and pools read N,C,spatial). */
static batch_out rule_batch_first(const batch_walk *w, const cs_node *n)
{
    batch_out o = rule_first_input(w, n);
    return o.ok && o.axis == 0 ? o : MIXES;
}

/* Broadcasting element-wise ops: every batched input has the output's rank and batch axis; an input that does not
 * carry the batch broadcasts into the batch axis only with a dim of 1 there (or no dim there at all). */
static batch_out rule_broadcast(const batch_walk *w, const cs_node *n)
{
    int out_rank = 0, axis = -1;
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        int64_t d;
        int r = v < 0 ? 0 : is_batched(w, v) ? w->rank[v] : plain_rank(w->g, v, &d);
        if (r < 0)
            return MIXES;
        out_rank = r > out_rank ? r : out_rank;
        if (is_batched(w, v) && axis >= 0 && w->axis[v] != axis)
            return MIXES;
        if (is_batched(w, v))
            axis = w->axis[v];
    }
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        int64_t d = 1;
        if (v < 0)
            continue;
        if (is_batched(w, v) ? w->rank[v] != out_rank : false)
            return MIXES;
        if (!is_batched(w, v)) {
            int r = plain_rank(w->g, v, &d);
            if (plain_rank_at(w->g, v, axis - (out_rank - r), &d) >= 0 && d != 1)
                return MIXES;
        }
    }
    return batched_out(out_rank, axis);
}

static batch_out rule_gemm(const batch_walk *w, const cs_node *n)
{
    int64_t d0 = 1;
    if (n->n_inputs < 2 || cs_attrs_int(&n->attrs, "transA", 0) != 0 || is_batched(w, n->inputs[1]))
        return MIXES;
    if (n->n_inputs > 2 && n->inputs[2] >= 0 &&
        (is_batched(w, n->inputs[2]) || (plain_rank(w->g, n->inputs[2], &d0) == 2 && d0 != 1)))
        return MIXES;
    int a = n->inputs[0];
    return is_batched(w, a) && w->rank[a] == 2 && w->axis[a] == 0 ? batched_out(2, 0) : MIXES;
}

/* The batch on a batch dim of A or its rows (each row of the product comes from that row of A only), never on
 * the axis the product sums over. */
static batch_out rule_matmul(const batch_walk *w, const cs_node *n)
{
    int a = n->inputs[0], b = n->n_inputs > 1 ? n->inputs[1] : -1;
    if (b < 0 || !is_batched(w, a) || w->rank[a] < 2 || w->axis[a] > w->rank[a] - 2)
        return MIXES;
    int64_t d0;
    int rb = is_batched(w, b) ? w->rank[b] : plain_rank(w->g, b, &d0);
    if (rb < 1 || (is_batched(w, b) && (rb != w->rank[a] || w->axis[b] != w->axis[a] || w->axis[a] == rb - 2)) ||
        (!is_batched(w, b) && rb >= w->rank[a] && rb > 2))
        return MIXES;
    /* a constant stack of matrices broadcast against A's batch dims must not have one matrix per sample */
    if (!is_batched(w, b) && rb > 2 && plain_rank_at(w->g, b, w->axis[a] - (w->rank[a] - rb), &d0) >= 0 && d0 != 1)
        return MIXES;
    return batched_out(rb == 1 ? w->rank[a] - 1 : w->rank[a], w->axis[a]);
}

/* Reshape keeps samples apart where the batch leads both shapes: a constant target starting with 0 (copy the
 * batch dim), or a target computed from the batch size with the batch size first (a Shape-Gather-Concat chain). */
static batch_out rule_reshape(const batch_walk *w, const cs_node *n)
{
    int x = n->inputs[0], target = n->n_inputs > 1 ? n->inputs[1] : -1;
    for (int i = 2; i < n->n_inputs; i++)
        if (is_batched(w, n->inputs[i]) || is_size(w, n->inputs[i]))
            return MIXES;
    if (!is_batched(w, x) || w->axis[x] != 0 || target < 0 || is_batched(w, target) ||
        cs_attrs_int(&n->attrs, "allowzero", 0) != 0)
        return MIXES;
    if (is_size(w, target))
        return w->size[target] == SIZE_VECTOR && w->pos[target] == 0 ? batched_out(w->len[target], 0) : MIXES;
    const cs_tensor *shape = const_data(w->g, target);
    if (!shape || shape->dtype != CS_DT_I64 || shape->rank != 1 || shape->dims[0] < 1 ||
        ((const int64_t *)shape->data)[0] != 0)
        return MIXES;
    return batched_out((int)shape->dims[0], 0);
}

/* Ops with one axis attribute (default dflt): the batch axis must not be it, nor (for ops that work on
 * [axis, rank), trailing) come after it. */
static batch_out rule_axis(const batch_walk *w, const cs_node *n, int64_t dflt, bool trailing)
{
    batch_out o = rule_first_input(w, n);
    int a = o.ok ? norm_axis(cs_attrs_int(&n->attrs, "axis", dflt), o.rank) : -1;
    return a >= 0 && (trailing ? o.axis < a : o.axis != a) ? o : MIXES;
}

/* Reductions and Squeeze: the listed axes (an attribute or input 1) spare the batch axis, which moves down past
 * those dropped before it (none are dropped where keepdims holds). */
static batch_out rule_drop_axes(const batch_walk *w, const cs_node *n, bool keepdims)
{
    const int64_t *axes;
    batch_out o = rule_first_input(w, n);
    int count = axes_of(w->g, n, "axes", 1, &axes);
    if (!o.ok || count <= 0 || !axes_spare(axes, count, o.rank, o.axis))
        return MIXES;
    return keepdims ? o : batched_out(o.rank - count, o.axis - axes_before(axes, count, o.rank, o.axis));
}

static batch_out rule_reduce(const batch_walk *w, const cs_node *n)
{
    return rule_drop_axes(w, n, cs_attrs_int(&n->attrs, "keepdims", 1) != 0);
}

static batch_out rule_squeeze(const batch_walk *w, const cs_node *n) { return rule_drop_axes(w, n, false); }

/* Unsqueeze: the axes are positions in the output; the batch axis moves past those inserted before it. */
static batch_out rule_unsqueeze(const batch_walk *w, const cs_node *n)
{
    const int64_t *axes;
    batch_out o = rule_first_input(w, n);
    int count = axes_of(w->g, n, "axes", 1, &axes);
    if (!o.ok || count <= 0 || o.rank + count > CS_MAX_RANK)
        return MIXES;
    int out_rank = o.rank + count, from = 0, axis = -1;
    bool inserted[CS_MAX_RANK] = {false};
    for (int i = 0; i < count; i++) {
        int a = norm_axis(axes[i], out_rank);
        if (a < 0 || inserted[a])
            return MIXES;
        inserted[a] = true;
    }
    for (int p = 0; p < out_rank; p++)
        if (!inserted[p] && from++ == o.axis)
            axis = p;
    return batched_out(out_rank, axis);
}

static batch_out rule_transpose(const batch_walk *w, const cs_node *n)
{
    const int64_t *perm;
    batch_out o = rule_first_input(w, n);
    int count = cs_attrs_ints(&n->attrs, "perm", &perm);
    for (int p = 0; o.ok && p < count && count == o.rank; p++)
        if (perm[p] == o.axis)
            return batched_out(o.rank, p);
    return MIXES;
}

static batch_out rule_concat(const batch_walk *w, const cs_node *n)
{
    int x = n->n_inputs > 0 ? n->inputs[0] : -1;
    if (!is_batched(w, x))
        return MIXES;
    for (int i = 0; i < n->n_inputs; i++)
        if (!is_batched(w, n->inputs[i]) || w->rank[n->inputs[i]] != w->rank[x] || w->axis[n->inputs[i]] != w->axis[x])
            return MIXES;
    int a = norm_axis(cs_attrs_int(&n->attrs, "axis", 0), w->rank[x]);
    return a >= 0 && a != w->axis[x] ? batched_out(w->rank[x], w->axis[x]) : MIXES;
}

static batch_out rule_slice(const batch_walk *w, const cs_node *n)
{
    const int64_t *axes;
    batch_out o = rule_first_input(w, n);
    int count = axes_of(w->g, n, "axes", 3, &axes);
    return o.ok && count > 0 && axes_spare(axes, count, o.rank, o.axis) ? o : MIXES;
}

static batch_out rule_gather(const batch_walk *w, const cs_node *n)
{
    int64_t d0;
    batch_out o = rule_first_input(w, n);
    int ri = n->n_inputs > 1 ? plain_rank(w->g, n->inputs[1], &d0) : -1;
    int a = o.ok ? norm_axis(cs_attrs_int(&n->attrs, "axis", 0), o.rank) : -1;
    if (a < 0 || ri < 0 || a == o.axis)
        return MIXES;
    return batched_out(o.rank + ri - 1, o.axis < a ? o.axis : o.axis + ri - 1);
}

static batch_out rule_flatten(const batch_walk *w, const cs_node *n)
{
    batch_out o = rule_first_input(w, n);
    int64_t axis = cs_attrs_int(&n->attrs, "axis", 1);
    return o.ok && o.axis == 0 && (axis < 0 ? axis + o.rank : axis) >= 1 ? batched_out(2, 0) : MIXES;
}

static const char *const SAME_RANK_OPS[] = {
    "Relu", "Clip", "Sigmoid", "Tanh", "Exp", "Log", "Abs", "Neg", "Sqrt", "Erf", "HardSwish", "HardSigmoid",
    "LeakyRelu", "Elu", "Selu", "Softplus", "Softsign", "Gelu", "Identity", "Dropout", "Cast", "Floor", "Ceil",
    "Round", "Reciprocal", "Sin", "Cos", "Mish", "Celu", "ThresholdedRelu", "Sign", "Not", "IsNaN", "IsInf",
};
static const char *const BATCH_FIRST_OPS[] = {
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool",
    "GlobalLpPool", "LRN", "BatchNormalization", "InstanceNormalization", "DepthToSpace", "SpaceToDepth",
};
static const char *const BROADCAST_OPS[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean",
                                            "Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
                                            "And", "Or", "Xor", "Mod", "BitShift"};

static batch_out rule_softmax(const batch_walk *w, const cs_node *n)
{
    bool opset13 = w->g->opset >= 13; /* before 13 the input is coerced to 2-D at axis: [axis, rank) is one row */
    return rule_axis(w, n, opset13 ? -1 : 1, !opset13);
}
static batch_out rule_layernorm(const batch_walk *w, const cs_node *n) { return rule_axis(w, n, -1, true); }
static batch_out rule_split(const batch_walk *w, const cs_node *n) { return rule_axis(w, n, 0, false); }

/* Ops with a rule of their own (the lists above share one rule each; Reduce* share rule_reduce). */
static const struct {
    const char *op;
    batch_out (*rule)(const batch_walk *w, const cs_node *n);
} RULES[] = {
    {"Gemm", rule_gemm},           {"MatMul", rule_matmul},       {"Flatten", rule_flatten},
    {"Reshape", rule_reshape},     {"Softmax", rule_softmax},     {"LogSoftmax", rule_softmax},
    {"Hardmax", rule_softmax},     {"LayerNormalization", rule_layernorm}, {"Split", rule_split},
    {"Squeeze", rule_squeeze},     {"Unsqueeze", rule_unsqueeze}, {"Transpose", rule_transpose},
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

/* The node's outputs for a node with a batched input, or MIXES when it may mix samples (or is not known to keep
 * them apart). */
static batch_out node_rule(const batch_walk *w, const cs_node *n)
{
    const char *op = n->op;
    if (n->n_inputs < 1 || n->inputs[0] < 0)
        return MIXES;
    /* in training mode BatchNormalization normalises with the batch's statistics, and Dropout draws a mask */
    if ((strcmp(op, "BatchNormalization") == 0 && (cs_attrs_int(&n->attrs, "training_mode", 0) != 0 ||
                                                   n->n_outputs > 1)) ||
        (strcmp(op, "Dropout") == 0 && n->n_inputs > 2 && n->inputs[2] >= 0))
        return MIXES;
    if (strcmp(op, "Shape") == 0) { /* the batch size, as one entry of a vector; the rest is the sample's shape */
        int x = n->inputs[0];
        bool whole = !cs_attrs_find(&n->attrs, "start") && !cs_attrs_find(&n->attrs, "end");
        return whole && n->n_inputs == 1 ? (batch_out){true, -1, 0, SIZE_VECTOR, w->axis[x], w->rank[x]} : MIXES;
    }
    for (size_t i = 0; i < sizeof RULES / sizeof *RULES; i++)
        if (strcmp(op, RULES[i].op) == 0)
            return RULES[i].rule(w, n);
    if (in_list(op, SAME_RANK_OPS, sizeof SAME_RANK_OPS / sizeof *SAME_RANK_OPS))
        return rule_first_input(w, n);
    if (in_list(op, BATCH_FIRST_OPS, sizeof BATCH_FIRST_OPS / sizeof *BATCH_FIRST_OPS))
        return rule_batch_first(w, n);
    if (in_list(op, BROADCAST_OPS, sizeof BROADCAST_OPS / sizeof *BROADCAST_OPS))
        return rule_broadcast(w, n);
    if (strncmp(op, "Reduce", 6) == 0)
        return rule_reduce(w, n);
    return MIXES;
}

/* The one constant index of a Gather (a scalar or a 1-element vector, *index_rank tells); false otherwise. */
static bool gather_index(const batch_walk *w, const cs_node *n, int64_t *index, int *index_rank)
{
    const cs_tensor *t = n->n_inputs > 1 ? const_data(w->g, n->inputs[1]) : NULL;
    if (!t || (t->dtype != CS_DT_I64 && t->dtype != CS_DT_I32) || cs_tensor_numel(t) != 1 || t->rank > 1)
        return false;
    *index_rank = t->rank;
    *index = t->dtype == CS_DT_I64 ? ((const int64_t *)t->data)[0] : ((const int32_t *)t->data)[0];
    return true;
}

/* Length of a 1-D value that does not carry the batch (a size vector's, or a constant's); -1 unknown. */
static int vector_len(const batch_walk *w, int v)
{
    if (is_size(w, v))
        return w->size[v] == SIZE_VECTOR ? w->len[v] : -1;
    const cs_tensor *t = const_data(w->g, v);
    if (t)
        return t->rank == 1 ? (int)t->dims[0] : -1;
    if (w->len[v] >= 0)
        return w->len[v];
    return w->g->values[v].rank == 1 && w->g->values[v].dims[0] > 0 ? (int)w->g->values[v].dims[0] : -1;
}

/* Nodes that compute with the batch size (and no batched input): picking it out of a Shape, making it a vector,
 * concatenating reshape targets, expanding or filling a tensor of a batch-led shape. Anything else mixes. */
static batch_out size_rule(const batch_walk *w, const cs_node *n)
{
    const char *op = n->op;
    int x = n->inputs[0];
    for (int i = 1; i < n->n_inputs; i++)
        if (is_size(w, n->inputs[i]) && !(strcmp(op, "Concat") == 0 || strcmp(op, "Expand") == 0))
            return MIXES;
    if (strcmp(op, "Gather") == 0 && is_size(w, x) && w->size[x] == SIZE_VECTOR &&
        norm_axis(cs_attrs_int(&n->attrs, "axis", 0), 1) == 0) {
        int index_rank = 0;
        int64_t i = 0;
        if (!gather_index(w, n, &i, &index_rank))
            return MIXES;
        if (i < 0)
            i += w->len[x];
        if (i < 0 || i >= w->len[x])
            return MIXES;
        if (i != w->pos[x]) /* a dim of the sample: the same for every sub-batch */
            return (batch_out){true, -1, 0, SIZE_NONE, 0, index_rank == 1 ? 1 : SCALAR_LEN};
        return index_rank == 1 ? (batch_out){true, -1, 0, SIZE_VECTOR, 0, 1} : (batch_out){true, -1, 0, SIZE_SCALAR, 0, 0};
    }
    if (strcmp(op, "Unsqueeze") == 0 && is_size(w, x) && w->size[x] == SIZE_SCALAR) {
        const int64_t *axes;
        int count = axes_of(w->g, n, "axes", 1, &axes);
        return count == 1 && norm_axis(axes[0], 1) == 0 ? (batch_out){true, -1, 0, SIZE_VECTOR, 0, 1} : MIXES;
    }
    if (strcmp(op, "Concat") == 0 && norm_axis(cs_attrs_int(&n->attrs, "axis", 0), 1) == 0) {
        int len = 0, pos = -1;
        for (int i = 0; i < n->n_inputs; i++) {
            int v = n->inputs[i], l = v >= 0 ? vector_len(w, v) : -1;
            if (l < 0 || (is_size(w, v) && pos >= 0))
                return MIXES; /* unknown lengths, or the batch size twice (B x B would not split) */
            if (is_size(w, v))
                pos = len + w->pos[v];
            len += l;
        }
        return pos >= 0 ? (batch_out){true, -1, 0, SIZE_VECTOR, pos, len} : MIXES;
    }
    int shape = strcmp(op, "Expand") == 0 ? (n->n_inputs > 1 ? n->inputs[1] : -1)
                : strcmp(op, "ConstantOfShape") == 0 ? x : -1;
    if (shape >= 0 && is_size(w, shape) && w->size[shape] == SIZE_VECTOR && (shape == x || !is_size(w, x))) {
        int64_t d;
        int r = shape == x ? 0 : plain_rank(w->g, x, &d);
        if (r < 0 || r > w->len[shape] || (r > 0 && plain_rank_at(w->g, x, w->pos[shape] - (w->len[shape] - r), &d) >= 0 &&
                                           d != 1))
            return MIXES; /* every sample gets the same values: x has no dim, or 1, where the batch goes */
        return batched_out(w->len[shape], w->pos[shape]);
    }
    return MIXES;
}

static bool node_has_subgraph(const cs_node *n)
{
    for (int a = 0; a < n->attrs.count; a++)
        if (n->attrs.items[a].type == CS_ATTR_GRAPH)
            return true;
    return false;
}

/* The length of a node's output computed from values that do not depend on the batch (a sample dim made a
 * vector and concatenated into a reshape target): an Unsqueeze of a scalar, a Concat of known lengths, a Cast or
 * Identity; -1 otherwise. */
static int plain_len(const batch_walk *w, const cs_node *n)
{
    int x = n->inputs[0], lx = x >= 0 ? vector_len(w, x) : -1;
    if ((strcmp(n->op, "Cast") == 0 || strcmp(n->op, "Identity") == 0) && x >= 0)
        return w->len[x] == SCALAR_LEN ? SCALAR_LEN : lx;
    if (strcmp(n->op, "Unsqueeze") == 0 && x >= 0 && w->len[x] == SCALAR_LEN) {
        const int64_t *axes;
        return axes_of(w->g, n, "axes", 1, &axes) == 1 ? 1 : -1;
    }
    if (strcmp(n->op, "Concat") == 0 && norm_axis(cs_attrs_int(&n->attrs, "axis", 0), 1) == 0) {
        int len = 0;
        for (int i = 0; i < n->n_inputs; i++) {
            int l = n->inputs[i] >= 0 ? vector_len(w, n->inputs[i]) : -1;
            if (l < 0)
                return -1;
            len += l;
        }
        return len;
    }
    return -1;
}

/* Applies node n to the walk; false when it breaks separability. */
static bool walk_node(batch_walk *w, const cs_node *n)
{
    bool batched = false, sized = false;
    for (int i = 0; i < n->n_inputs; i++) {
        batched = batched || is_batched(w, n->inputs[i]);
        sized = sized || is_size(w, n->inputs[i]);
    }
    if (node_has_subgraph(n) || !cs_node_default_domain(n))
        return false;
    if (!batched && !sized) { /* computed from constants and the sample's shape only: the same for every sub-batch */
        if (n->n_outputs == 1 && n->outputs[0] >= 0 && n->n_inputs > 0)
            w->len[n->outputs[0]] = plain_len(w, n);
        return true;
    }
    batch_out o = batched ? node_rule(w, n) : size_rule(w, n);
    if (!o.ok)
        return false;
    if (batched && sized && strcmp(n->op, "Reshape") != 0)
        return false; /* the batch size reaches an op that only a reshape target may feed */
    for (int k = 0; k < n->n_outputs; k++) {
        int v = n->outputs[k];
        if (v < 0)
            continue;
        w->rank[v] = o.rank >= 1 ? o.rank : -1;
        w->axis[v] = o.axis;
        w->size[v] = o.size;
        w->pos[v] = o.pos;
        w->len[v] = o.len;
    }
    return true;
}

static bool walk_graph(batch_walk *w, const int *order, int n_order, const cs_tensor *const *inputs)
{
    const cs_graph *g = w->g;
    if (g->n_captures > 0 || g->n_inputs < 1 || g->n_outputs < 1)
        return false;
    for (int v = 0; v < g->n_values; v++) {
        w->rank[v] = -1;
        w->axis[v] = 0;
        w->size[v] = SIZE_NONE;
        w->pos[v] = 0;
        w->len[v] = -1;
    }
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
        if (!is_batched(w, g->outputs[i]) || w->axis[g->outputs[i]] != 0)
            return false;
    return true;
}

bool cs_batch_separable(const cs_graph *g, const int *order, int n_order, const cs_tensor *const *inputs)
{
    size_t n = (size_t)g->n_values + 1;
    int *mem = malloc(5 * n * sizeof(int));
    batch_walk w = {g, mem, mem ? mem + n : NULL, mem ? mem + 2 * n : NULL, mem ? mem + 3 * n : NULL,
                    mem ? mem + 4 * n : NULL};
    bool ok = mem && inputs && n_order == g->n_nodes && walk_graph(&w, order, n_order, inputs);
    free(mem);
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
