/* lesson.c — the teaching view's facts about a layer: its main IR node, the formula of that op written with the
 * layer's own attribute values, parameters, multiply-accumulates and the receptive field at its depth. */
#include "lesson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/diff/diff.h"

static bool is_plumbing(const char *op)
{
    static const char *const ops[] = {"Identity", "Reshape", "Transpose", "Cast", "Constant", "Unsqueeze",
                                      "Squeeze", "Shape", "Gather", "Dropout"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i]) == 0)
            return true;
    return false;
}

/* The node that does the layer's work: the first that is not reshaping or casting, else the last. */
static int main_node(const cs_graph *g, const cs_layer *l)
{
    for (int i = 0; i < l->n_nodes; i++) {
        int n = l->nodes[i];
        if (n >= 0 && n < g->n_nodes && !is_plumbing(g->nodes[n].op))
            return n;
    }
    return l->n_nodes > 0 && l->nodes[l->n_nodes - 1] < g->n_nodes ? l->nodes[l->n_nodes - 1] : -1;
}

/* The constant tensor feeding input i of node n, NULL when computed or absent. */
static const cs_tensor *const_input(const cs_graph *g, const cs_node *nd, int i)
{
    if (i >= nd->n_inputs || nd->inputs[i] < 0 || nd->inputs[i] >= g->n_values)
        return NULL;
    return g->values[nd->inputs[i]].data;
}

static int64_t attr_at(const cs_node *nd, const char *name, int i, int64_t dflt)
{
    const int64_t *v = NULL;
    int n = cs_attrs_ints(&nd->attrs, name, &v);
    return n > i ? v[i] : dflt;
}

/* Kernel size of a windowed op along spatial axis i (kernel_shape, or the weight's dims for Conv). */
static int64_t kernel_at(const cs_graph *g, const cs_node *nd, int i)
{
    int64_t k = attr_at(nd, "kernel_shape", i, -1);
    const cs_tensor *w = const_input(g, nd, 1);
    if (k < 0 && w && w->rank >= 3 && 2 + i < w->rank)
        k = w->dims[2 + i];
    return k < 0 ? 1 : k;
}

static bool windowed(const char *op)
{
    return !strcmp(op, "Conv") || !strcmp(op, "ConvTranspose") || !strcmp(op, "MaxPool") ||
           !strcmp(op, "AveragePool") || !strcmp(op, "LpPool");
}

static bool global(const char *op)
{
    static const char *const ops[] = {"GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul", "Flatten",
                                      "ReduceMean", "ReduceMax", "ReduceSum", "Reshape", "Softmax", "LSTM", "GRU", "RNN"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i]) == 0)
            return true;
    return false;
}

/* Receptive field of value `target` along the height, in input pixels, by one pass over the nodes in order:
 * a window of k with dilation d adds (k-1)*d*jump, a stride multiplies the jump; a global op sees everything. */
static void receptive_field(const cs_graph *g, int target, int64_t in_h, char *buf, size_t size)
{
    int64_t *rf = calloc((size_t)g->n_values + 1, sizeof *rf), *jump = calloc((size_t)g->n_values + 1, sizeof *jump);
    bool *all = calloc((size_t)g->n_values + 1, sizeof *all);
    snprintf(buf, size, "not known");
    if (!rf || !jump || !all || target < 0 || target >= g->n_values) {
        free(rf), free(jump), free(all);
        return;
    }
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] >= 0 && g->inputs[i] < g->n_values)
            rf[g->inputs[i]] = 1, jump[g->inputs[i]] = 1;
    for (int n = 0; n < g->n_nodes; n++) {
        const cs_node *nd = &g->nodes[n];
        int64_t r = 0, j = 1;
        bool a = global(nd->op);
        for (int i = 0; i < nd->n_inputs; i++) {
            int v = nd->inputs[i];
            if (v < 0 || v >= g->n_values || g->values[v].data || rf[v] == 0)
                continue;
            r = rf[v] > r ? rf[v] : r;
            j = jump[v] > j ? jump[v] : j;
            a = a || all[v];
        }
        if (r == 0)
            continue; /* fed by constants only */
        if (windowed(nd->op)) {
            int64_t k = kernel_at(g, nd, 0), d = attr_at(nd, "dilations", 0, 1), s = attr_at(nd, "strides", 0, 1);
            r += (k - 1) * (d > 0 ? d : 1) * j;
            j *= strcmp(nd->op, "ConvTranspose") && s > 0 ? s : 1;
        }
        for (int o = 0; o < nd->n_outputs; o++)
            if (nd->outputs[o] >= 0 && nd->outputs[o] < g->n_values)
                rf[nd->outputs[o]] = r, jump[nd->outputs[o]] = j, all[nd->outputs[o]] = a;
    }
    if (all[target] || (in_h > 0 && rf[target] >= in_h))
        snprintf(buf, size, "the whole input%s: each output sees every input pixel", in_h > 0 ? "" : "");
    else if (rf[target] > 0 && in_h > 0)
        snprintf(buf, size, "%lldx%lld pixels of the %lldx%lld input; neighbours here are %lld pixel%s apart",
                 (long long)rf[target], (long long)rf[target], (long long)in_h, (long long)in_h, (long long)jump[target],
                 jump[target] == 1 ? "" : "s");
    else if (rf[target] > 0)
        snprintf(buf, size, "%lldx%lld input pixels; neighbours here are %lld apart", (long long)rf[target],
                 (long long)rf[target], (long long)jump[target]);
    free(rf), free(jump), free(all);
}

static const char *ints_str(const cs_node *nd, const char *name, const char *dflt, char *buf, size_t size)
{
    const int64_t *v = NULL;
    int n = cs_attrs_ints(&nd->attrs, name, &v);
    if (n <= 0)
        return dflt;
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? "," : "", (long long)v[i]);
    return buf;
}

/* "2*i+u-1": the input index a window tap reads, with this layer's stride, dilation and leading pad. */
static const char *tap(const cs_node *nd, int axis, const char *out, const char *k, char *buf, size_t size)
{
    int64_t s = attr_at(nd, "strides", axis, 1), d = attr_at(nd, "dilations", axis, 1), p = attr_at(nd, "pads", axis, 0);
    char sp[24] = "", dp[24] = "", pp[24] = "";
    if (s != 1)
        snprintf(sp, sizeof sp, "%lld*", (long long)s);
    if (d != 1)
        snprintf(dp, sizeof dp, "%lld*", (long long)d);
    if (p != 0)
        snprintf(pp, sizeof pp, "%+lld", (long long)-p);
    snprintf(buf, size, "%s%s+%s%s%s", sp, out, dp, k, pp);
    return buf;
}

static void conv_lesson(const cs_graph *g, const cs_node *nd, int64_t out_elems, cs_lesson *L)
{
    const cs_tensor *w = const_input(g, nd, 1);
    int64_t kh = kernel_at(g, nd, 0), kw = kernel_at(g, nd, 1), grp = cs_attrs_int(&nd->attrs, "group", 1);
    int64_t o = w && w->rank >= 2 ? w->dims[0] : 0, ci = w && w->rank >= 2 ? w->dims[1] : 0;
    char s[64], p[64], d[64], ti[48], tj[48];
    snprintf(L->what, sizeof L->what, "slides %lld filter%s of %lldx%lldx%lld over the input, one output channel each",
             (long long)o, o == 1 ? "" : "s", (long long)ci, (long long)kh, (long long)kw);
    snprintf(L->formula[0], sizeof L->formula[0], "y[o,i,j] = b[o] + sum c<%lld, u<%lld, v<%lld of w[o,c,u,v] * "
             "x[c, %s, %s]", (long long)ci, (long long)kh, (long long)kw, tap(nd, 0, "i", "u", ti, sizeof ti),
             tap(nd, 1, "j", "v", tj, sizeof tj));
    snprintf(L->formula[1], sizeof L->formula[1], "strides [%s]  pads [%s]  dilations [%s]  groups %lld",
             ints_str(nd, "strides", "1,1", s, sizeof s), ints_str(nd, "pads", "0,0,0,0", p, sizeof p),
             ints_str(nd, "dilations", "1,1", d, sizeof d), (long long)grp);
    if (out_elems > 0 && ci > 0) {
        L->macs = out_elems * ci * kh * kw;
        snprintf(L->macs_how, sizeof L->macs_how, "%lld outputs x %lld (%lldx%lldx%lld)", (long long)out_elems,
                 (long long)(ci * kh * kw), (long long)ci, (long long)kh, (long long)kw);
    }
}

static void gemm_lesson(const cs_graph *g, const cs_node *nd, int64_t out_elems, cs_lesson *L)
{
    const cs_tensor *w = const_input(g, nd, 1);
    bool mm = strcmp(nd->op, "MatMul") == 0;
    int64_t tb = mm ? 0 : cs_attrs_int(&nd->attrs, "transB", 0);
    int64_t k = w && w->rank == 2 ? w->dims[tb ? 1 : 0] : 0, n = w && w->rank == 2 ? w->dims[tb ? 0 : 1] : 0;
    snprintf(L->what, sizeof L->what, "every one of %lld outputs is a weighted sum of all %lld inputs", (long long)n,
             (long long)k);
    snprintf(L->formula[0], sizeof L->formula[0], "y[n] = %ssum k<%lld of x[k] * W[%s]", mm ? "" : "b[n] + ",
             (long long)k, tb ? "n,k" : "k,n");
    snprintf(L->formula[1], sizeof L->formula[1], "%s", mm ? "(matrix product)" : "(Gemm: alpha 1, beta 1 by default)");
    if (out_elems > 0 && k > 0) {
        L->macs = out_elems * k;
        snprintf(L->macs_how, sizeof L->macs_how, "%lld outputs x %lld inputs", (long long)out_elems, (long long)k);
    }
}

static void pool_lesson(const cs_graph *g, const cs_node *nd, int64_t out_elems, cs_lesson *L)
{
    bool mx = strstr(nd->op, "Max") != NULL;
    char s[64], p[64], ti[48], tj[48];
    if (strncmp(nd->op, "Global", 6) == 0) {
        snprintf(L->what, sizeof L->what, "one number per channel: the %s of the whole map", mx ? "maximum" : "mean");
        snprintf(L->formula[0], sizeof L->formula[0], "y[c] = %s over i,j of x[c,i,j]", mx ? "max" : "mean");
        return;
    }
    int64_t kh = kernel_at(g, nd, 0), kw = kernel_at(g, nd, 1);
    snprintf(L->what, sizeof L->what, "keeps the %s of each %lldx%lld window, channel by channel",
             mx ? "largest value" : "mean", (long long)kh, (long long)kw);
    snprintf(L->formula[0], sizeof L->formula[0], "y[c,i,j] = %s over u<%lld, v<%lld of x[c, %s, %s]",
             mx ? "max" : "mean", (long long)kh, (long long)kw, tap(nd, 0, "i", "u", ti, sizeof ti),
             tap(nd, 1, "j", "v", tj, sizeof tj));
    snprintf(L->formula[1], sizeof L->formula[1], "kernel %lldx%lld  strides [%s]  pads [%s]  ceil_mode %lld",
             (long long)kh, (long long)kw, ints_str(nd, "strides", "1,1", s, sizeof s),
             ints_str(nd, "pads", "0,0,0,0", p, sizeof p), (long long)cs_attrs_int(&nd->attrs, "ceil_mode", 0));
    if (out_elems > 0)
        snprintf(L->macs_how, sizeof L->macs_how, "no multiplications; %lld comparisons or additions",
                 (long long)(out_elems * kh * kw));
}

typedef struct simple_op {
    const char *op, *what, *formula;
} simple_op;

static const simple_op simple[] = {
    {"Relu", "keeps positive values and sets negative ones to zero", "y = max(0, x)"},
    {"Sigmoid", "squashes every value into (0, 1)", "y = 1 / (1 + e^-x)"},
    {"Tanh", "squashes every value into (-1, 1)", "y = tanh(x)"},
    {"Add", "adds its inputs element by element (a residual connection when one is the block's input)", "y = a + b"},
    {"Sub", "subtracts element by element", "y = a - b"},
    {"Mul", "multiplies element by element", "y = a * b"},
    {"Div", "divides element by element", "y = a / b"},
    {"Concat", "joins its inputs along one axis", "y = [a, b, ...] along axis %lld"},
    {"Flatten", "lays the map out as one long vector (no arithmetic)", "y[n, :] = x[n, ...] from axis %lld on"},
    {"Softmax", "turns scores into probabilities that sum to 1", "y[i] = e^x[i] / sum j of e^x[j] (axis %lld)"},
    {"LogSoftmax", "log-probabilities from scores", "y[i] = x[i] - log sum j of e^x[j] (axis %lld)"},
    {"Reshape", "changes the shape, not the values", "y = x viewed with another shape"},
    {"Identity", "passes its input through", "y = x"},
    {"Dropout", "at inference passes its input through", "y = x"},
};

static void simple_lesson(const cs_node *nd, cs_lesson *L)
{
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (strcmp(simple[i].op, nd->op) == 0) {
            snprintf(L->what, sizeof L->what, "%s", simple[i].what);
            snprintf(L->formula[0], sizeof L->formula[0], simple[i].formula,
                     (long long)cs_attrs_int(&nd->attrs, "axis", strcmp(nd->op, "Concat") ? (strcmp(nd->op, "Flatten") ? -1 : 1) : 1));
            return;
        }
    if (strcmp(nd->op, "BatchNormalization") == 0) {
        snprintf(L->what, sizeof L->what, "normalises each channel with the statistics saved in training");
        snprintf(L->formula[0], sizeof L->formula[0], "y = gamma * (x - mean) / sqrt(var + %g) + beta",
                 cs_attrs_float(&nd->attrs, "epsilon", 1e-5));
        snprintf(L->formula[1], sizeof L->formula[1], "(gamma, beta, mean and var per channel; epsilon %g)",
                 cs_attrs_float(&nd->attrs, "epsilon", 1e-5));
    } else if (strcmp(nd->op, "LeakyRelu") == 0 || strcmp(nd->op, "Elu") == 0) {
        snprintf(L->what, sizeof L->what, "lets negative values through scaled down");
        snprintf(L->formula[0], sizeof L->formula[0], "y = x if x > 0 else %s (alpha %g)",
                 nd->op[0] == 'L' ? "alpha * x" : "alpha * (e^x - 1)", cs_attrs_float(&nd->attrs, "alpha", 0.01));
    } else if (strcmp(nd->op, "Clip") == 0) {
        snprintf(L->what, sizeof L->what, "clamps every value into a range");
        snprintf(L->formula[0], sizeof L->formula[0], "y = min(max(x, lo), hi)");
    } else {
        snprintf(L->what, sizeof L->what, "the %s operation", nd->op);
        snprintf(L->formula[0], sizeof L->formula[0], "%s(%d input%s) with %d attribute%s (w shows them)", nd->op,
                 nd->n_inputs, nd->n_inputs == 1 ? "" : "s", nd->attrs.count, nd->attrs.count == 1 ? "" : "s");
    }
}

static void params_of(const cs_layer *l, cs_lesson *L)
{
    size_t used = 0;
    L->params = 0;
    L->params_how[0] = 0;
    for (int w = 0; w < l->n_weights && used < sizeof L->params_how; w++) {
        const cs_tensor *t = l->weights[w].tensor;
        if (!t || l->weights[w].is_buffer)
            continue;
        char shape[64];
        const char *name = strrchr(l->weights[w].name, '.');
        name = name ? name + 1 : l->weights[w].name;
        int64_t n = cs_tensor_numel(t);
        L->params += n;
        used += (size_t)snprintf(L->params_how + used, sizeof L->params_how - used, "%s%lld %s %s", used ? " + " : "",
                                 (long long)n, name, cs_shape_str(t->rank, t->dims, shape, sizeof shape));
    }
    if (!L->params_how[0])
        snprintf(L->params_how, sizeof L->params_how, "none: nothing is learned here");
}

void cs_lesson_build(const cs_graph *g, int layer, const cs_tensor *out, int64_t in_h, cs_lesson *L)
{
    memset(L, 0, sizeof *L);
    L->node = -1, L->macs = -1, L->in_value = -1, L->out_value = -1;
    if (!g || layer < 0 || layer >= g->n_layers)
        return;
    const cs_layer *l = &g->layers[layer];
    params_of(l, L);
    L->out_value = cs_layer_group_output(g, &layer, 1);
    L->node = main_node(g, l);
    if (L->node < 0) {
        snprintf(L->what, sizeof L->what, "a %s with weights only (no operation to run)", l->type);
        snprintf(L->rf, sizeof L->rf, "not known");
        return;
    }
    const cs_node *nd = &g->nodes[L->node];
    snprintf(L->op, sizeof L->op, "%s", nd->op);
    L->in_value = nd->n_inputs > 0 ? nd->inputs[0] : -1;
    int64_t out_elems = out ? cs_tensor_numel(out) : 0;
    if (!strcmp(nd->op, "Conv") || !strcmp(nd->op, "ConvTranspose"))
        conv_lesson(g, nd, out_elems, L);
    else if (!strcmp(nd->op, "Gemm") || !strcmp(nd->op, "MatMul"))
        gemm_lesson(g, nd, out_elems, L);
    else if (strstr(nd->op, "Pool"))
        pool_lesson(g, nd, out_elems, L);
    else
        simple_lesson(nd, L);
    if (L->macs < 0 && !L->macs_how[0])
        snprintf(L->macs_how, sizeof L->macs_how, "no multiply-accumulates; about %lld element operations",
                 (long long)out_elems);
    receptive_field(g, L->out_value, in_h, L->rf, sizeof L->rf);
}
