/* exec_fuse.c — finds, at plan time, the chains a fast-path convolution can compute in one call:
 * Conv [-> BatchNormalization] [-> Add residual] [-> Relu | LeakyRelu | Clip | SiLU | HardSwish | Sigmoid | Tanh],
 * MatMul -> Add bias, and subgraphs one vectorised kernel computes from a single input (GELU's Erf form, layer
 * normalisation). */
#include "exec_fuse.h"

#include "exec_layout.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct uses {
    int *count;      /* per value: consuming input slots (graph outputs count too) */
    int *first;      /* per value: the first two consuming nodes */
    int *second;
    const cs_plan *plan;
    int *pos;        /* per node: position in the plan's order */
} uses;

static bool is_op(const cs_graph *g, int n, const char *op)
{
    const cs_node *node = &g->nodes[n];
    return cs_node_default_domain(node) && strcmp(node->op, op) == 0 &&
           node->n_outputs >= 1 && node->outputs[0] >= 0;
}

/* The only consumer of v, or -1 (several, none, or a graph output). */
static int sole_consumer(const uses *u, int v)
{
    return u->count[v] == 1 ? u->first[v] : -1; /* -1 when the one use is not a node's */
}

static bool const_scalar(const cs_graph *g, const cs_node *n, int i, double *out)
{
    if (i >= n->n_inputs || n->inputs[i] < 0)
        return true; /* absent: the default stays */
    const cs_tensor *t = g->values[n->inputs[i]].data;
    if (!t || cs_tensor_numel(t) != 1 || t->dtype != CS_DT_F32)
        return false;
    *out = ((const float *)t->data)[0];
    return true;
}

static bool clip_bounds(const cs_graph *g, const cs_plan *plan, int n, cs_fusion *f)
{
    const cs_node *node = &g->nodes[n];
    (void)plan;
    double lo = -FLT_MAX, hi = FLT_MAX;
    if (node->n_inputs > 1 || !cs_attrs_find(&node->attrs, "min")) {
        if (!const_scalar(g, node, 1, &lo) || !const_scalar(g, node, 2, &hi))
            return false;
    } else {
        lo = cs_attrs_float(&node->attrs, "min", -FLT_MAX);
        hi = cs_attrs_float(&node->attrs, "max", FLT_MAX);
    }
    f->alpha = (float)lo, f->beta = (float)hi;
    return lo <= hi;
}

/* x * gate(x) where gate is Sigmoid (SiLU) or HardSigmoid(1/6, 1/2) (HardSwish): v feeds exactly the gate
 * and the Mul, and the gate feeds only the Mul. */
static bool gated(const cs_graph *g, const uses *u, int v, cs_fusion *f, int *out)
{
    if (u->count[v] != 2 || u->first[v] < 0 || u->second[v] < 0 || u->first[v] == u->second[v])
        return false;
    for (int k = 0; k < 2; k++) {
        int gate = k ? u->second[v] : u->first[v], mul = k ? u->first[v] : u->second[v];
        bool sig = is_op(g, gate, "Sigmoid");
        const cs_attrs *ga = &g->nodes[gate].attrs;
        bool hsig = is_op(g, gate, "HardSigmoid") && fabs(cs_attrs_float(ga, "alpha", 0.2) - 1.0 / 6) < 1e-6 &&
                    fabs(cs_attrs_float(ga, "beta", 0.5) - 0.5) < 1e-6;
        if (!(sig || hsig) || !is_op(g, mul, "Mul") || g->nodes[mul].n_inputs != 2)
            continue;
        int gv = g->nodes[gate].outputs[0];
        const int *mi = g->nodes[mul].inputs;
        if (sole_consumer(u, gv) != mul || !((mi[0] == v && mi[1] == gv) || (mi[0] == gv && mi[1] == v)))
            continue;
        f->act = sig ? CS_ACT_SILU : CS_ACT_HARDSWISH;
        f->nodes[f->n_nodes++] = u->pos[gate] < u->pos[mul] ? gate : mul;
        f->nodes[f->n_nodes++] = u->pos[gate] < u->pos[mul] ? mul : gate;
        f->tail_node = mul;
        *out = g->nodes[mul].outputs[0];
        return true;
    }
    return false;
}

/* An activation consuming v; on a match the chain grows and v moves to its output. */
static void match_act(const cs_graph *g, const uses *u, int *v, cs_fusion *f)
{
    if (gated(g, u, *v, f, v))
        return;
    int c = sole_consumer(u, *v);
    if (c < 0)
        return;
    const cs_attrs *a = &g->nodes[c].attrs;
    if (is_op(g, c, "Relu"))
        f->act = CS_ACT_RELU;
    else if (is_op(g, c, "LeakyRelu"))
        f->act = CS_ACT_RELU, f->alpha = (float)cs_attrs_float(a, "alpha", 0.01);
    else if (is_op(g, c, "Clip") && clip_bounds(g, u->plan, c, f))
        f->act = CS_ACT_CLIP;
    else if (is_op(g, c, "HardSwish"))
        f->act = CS_ACT_HARDSWISH;
    else if (is_op(g, c, "Sigmoid"))
        f->act = CS_ACT_SIGMOID;
    else if (is_op(g, c, "Tanh"))
        f->act = CS_ACT_TANH;
    else
        return;
    f->nodes[f->n_nodes++] = c;
    f->tail_node = c;
    *v = g->nodes[c].outputs[0];
}

static bool bn_foldable(const cs_graph *g, int n)
{
    const cs_node *node = &g->nodes[n];
    if (!is_op(g, n, "BatchNormalization") || node->n_inputs != 5 || cs_attrs_int(&node->attrs, "training_mode", 0))
        return false;
    for (int o = 1; o < node->n_outputs; o++)
        if (node->outputs[o] >= 0)
            return false;
    for (int i = 1; i < 5; i++)
        if (node->inputs[i] < 0 || !g->values[node->inputs[i]].data)
            return false;
    return true;
}

/* A residual Add consuming v whose other operand is computed before the head runs. */
static void match_sum(const cs_graph *g, const uses *u, int head, int *v, cs_fusion *f)
{
    int c = sole_consumer(u, *v);
    if (c < 0 || !is_op(g, c, "Add") || g->nodes[c].n_inputs != 2)
        return;
    const int *in = g->nodes[c].inputs;
    int r = in[0] == *v ? in[1] : in[0];
    if (r < 0 || r == *v || g->values[r].data)
        return;
    int p = g->values[r].producer;
    if (p >= 0 && u->pos[p] >= u->pos[head])
        return;
    f->sum_value = r;
    f->nodes[f->n_nodes++] = c;
    f->tail_node = c;
    *v = g->nodes[c].outputs[0];
}

static bool chain_from(const cs_graph *g, const uses *u, int head, cs_fusion *f)
{
    const cs_node *node = &g->nodes[head];
    if (!is_op(g, head, "Conv") || node->n_inputs < 2 || node->inputs[1] < 0 || node->n_outputs != 1)
        return false;
    memset(f, 0, sizeof *f);
    f->head = head, f->bn_node = -1, f->sum_value = -1, f->tail_node = head, f->in_value = -1, f->bias_value = -1;
    int v = node->outputs[0], c = sole_consumer(u, v);
    if (c >= 0 && bn_foldable(g, c)) {
        f->bn_node = c;
        f->nodes[f->n_nodes++] = c;
        f->tail_node = c;
        v = g->nodes[c].outputs[0];
    }
    match_sum(g, u, head, &v, f);
    match_act(g, u, &v, f);
    f->out_value = v;
    return f->n_nodes > 0;
}

/* ---- GELU, Erf form: x * 0.5 * (1 + erf(x / sqrt 2)) as exporters write it ---- */

/* The operand of binary node n other than v when it is a constant f32 scalar; false otherwise. */
static bool other_const(const cs_graph *g, int n, int v, float *c)
{
    const cs_node *node = &g->nodes[n];
    if (node->n_inputs != 2 || node->n_outputs != 1)
        return false;
    int o = node->inputs[0] == v ? node->inputs[1] : node->inputs[1] == v ? node->inputs[0] : -1;
    double d;
    if (o < 0 || o == v || !g->values[o].data || !const_scalar(g, node, node->inputs[0] == v ? 1 : 0, &d))
        return false;
    *c = (float)d;
    return true;
}

/* The node consuming v alone that multiplies it by the constant want. */
static int mul_by(const cs_graph *g, const uses *u, int v, float want)
{
    int c = sole_consumer(u, v);
    float k;
    return c >= 0 && is_op(g, c, "Mul") && other_const(g, c, v, &k) && k == want ? c : -1;
}

/* Matches the subgraph around Erf node e: s = x / sqrt2 (or x * 1/sqrt2) -> Erf -> + 1 -> times x and times
 * 0.5 (in either order). Every inner value has one consumer; x may feed only the scaling and one Mul. */
static bool gelu_at(const cs_graph *g, const uses *u, int e, cs_fusion *f)
{
    if (!is_op(g, e, "Erf") || g->nodes[e].n_inputs != 1)
        return false;
    int sv = g->nodes[e].inputs[0], sn = sv >= 0 ? g->values[sv].producer : -1;
    if (sn < 0 || sole_consumer(u, sv) != e || !(is_op(g, sn, "Div") || is_op(g, sn, "Mul")))
        return false;
    const cs_node *scale = &g->nodes[sn];
    bool divides = is_op(g, sn, "Div");
    if (scale->n_inputs != 2 || scale->inputs[0] < 0 || scale->inputs[1] < 0)
        return false;
    int x = scale->n_inputs != 2 ? -1 : divides || !g->values[scale->inputs[0]].data ? scale->inputs[0]
                                                                                      : scale->inputs[1];
    float c;
    if (x < 0 || g->values[x].data || !other_const(g, sn, x, &c) || (divides && scale->inputs[1] == x))
        return false;
    if (divides ? fabsf(c - 1.41421356f) > 1e-5f : fabsf(c - 0.70710678f) > 1e-5f)
        return false;
    int add = sole_consumer(u, g->nodes[e].outputs[0]);
    float one;
    if (add < 0 || !is_op(g, add, "Add") || !other_const(g, add, g->nodes[e].outputs[0], &one) || one != 1.0f)
        return false;
    int av = g->nodes[add].outputs[0], m1 = sole_consumer(u, av);
    if (m1 < 0 || !is_op(g, m1, "Mul") || g->nodes[m1].n_inputs != 2)
        return false;
    int other = g->nodes[m1].inputs[0] == av ? g->nodes[m1].inputs[1] : g->nodes[m1].inputs[0];
    int half = -1, out;
    if (other == x) { /* (x * (1 + erf)) * 0.5 */
        half = mul_by(g, u, g->nodes[m1].outputs[0], 0.5f);
        out = half >= 0 ? g->nodes[half].outputs[0] : -1;
    } else { /* (x * 0.5) * (1 + erf) */
        half = other >= 0 ? g->values[other].producer : -1;
        float k;
        if (half < 0 || !is_op(g, half, "Mul") || sole_consumer(u, other) != m1 || !other_const(g, half, x, &k) ||
            k != 0.5f)
            return false;
        out = g->nodes[m1].outputs[0];
    }
    /* x feeds the scaling and the one Mul by x (or by 0.5) */
    if (out < 0 || u->count[x] < 2)
        return false;
    int nodes[5] = {sn, e, add, m1, half};
    for (int i = 1; i < 5; i++) /* in execution order */
        for (int j = i; j > 0 && u->pos[nodes[j]] < u->pos[nodes[j - 1]]; j--) {
            int t = nodes[j];
            nodes[j] = nodes[j - 1], nodes[j - 1] = t;
        }
    memset(f, 0, sizeof *f);
    f->head = nodes[0], f->bn_node = -1, f->sum_value = -1, f->in_value = x, f->bias_value = -1;
    f->act = CS_ACT_GELU, f->scale = c, f->scale_divides = divides;
    for (int i = 1; i < 5; i++)
        f->nodes[f->n_nodes++] = nodes[i];
    f->tail_node = g->values[out].producer;
    f->out_value = out;
    return true;
}

/* ---- layer normalisation as exporters decompose it (torch's LayerNorm below opset 17) ---- */

/* ReduceMean of value x over its last axis only, keeping it: axes [-1] (or rank - 1 of x's declared rank) as an
 * attribute or, from opset 18, a constant input. */
static bool mean_last(const cs_graph *g, int n, int x)
{
    const cs_node *node = &g->nodes[n];
    if (!is_op(g, n, "ReduceMean") || node->n_outputs != 1 || node->n_inputs < 1 || node->inputs[0] != x ||
        cs_attrs_int(&node->attrs, "keepdims", 1) != 1)
        return false;
    int64_t axis;
    const int64_t *axes = NULL;
    if (cs_attrs_ints(&node->attrs, "axes", &axes) == 1) {
        axis = axes[0];
    } else {
        const cs_tensor *t = node->n_inputs >= 2 && node->inputs[1] >= 0 ? g->values[node->inputs[1]].data : NULL;
        if (!t || t->dtype != CS_DT_I64 || cs_tensor_numel(t) != 1)
            return false;
        axis = ((const int64_t *)t->data)[0];
    }
    return axis == -1 || (g->values[x].rank > 0 && axis == g->values[x].rank - 1);
}

/* The node consuming v alone that is `op` of v and a constant f32 scalar, with that scalar in *c; -1 otherwise. */
static int with_const(const cs_graph *g, const uses *u, int v, const char *op, float *c)
{
    int n = sole_consumer(u, v);
    return n >= 0 && is_op(g, n, op) && other_const(g, n, v, c) ? n : -1;
}

/* The node consuming v alone that is `op` of v and a constant f32 tensor, with that constant's value in *p. */
static int with_param(const cs_graph *g, const uses *u, int v, const char *op, int *p)
{
    int n = sole_consumer(u, v);
    if (n < 0 || !is_op(g, n, op) || g->nodes[n].n_inputs != 2 || g->nodes[n].n_outputs != 1)
        return -1;
    const int *in = g->nodes[n].inputs;
    int o = in[0] == v ? in[1] : in[1] == v ? in[0] : -1;
    if (o < 0 || o == v || !g->values[o].data || g->values[o].data->dtype != CS_DT_F32)
        return -1;
    *p = o;
    return n;
}

/* Matches, from ReduceMean node m: d = x - mean(x); d / sqrt(mean(d ^ 2) + eps) [* gamma] [+ beta]. Every inner
 * value has one consumer, d two (the Pow and the Div); x may feed anything else too. */
static bool layernorm_at(const cs_graph *g, const uses *u, int m, cs_fusion *f)
{
    int x = g->nodes[m].n_inputs >= 1 ? g->nodes[m].inputs[0] : -1;
    if (x < 0 || g->values[x].data || !mean_last(g, m, x))
        return false;
    int mv = g->nodes[m].outputs[0], sub = sole_consumer(u, mv);
    if (sub < 0 || !is_op(g, sub, "Sub") || g->nodes[sub].n_inputs != 2 || g->nodes[sub].inputs[0] != x ||
        g->nodes[sub].inputs[1] != mv)
        return false;
    int d = g->nodes[sub].outputs[0];
    if (u->count[d] != 2 || u->first[d] < 0 || u->second[d] < 0)
        return false;
    int pw = is_op(g, u->first[d], "Pow") ? u->first[d] : u->second[d], dv = pw == u->first[d] ? u->second[d] : u->first[d];
    float two, eps;
    if (!is_op(g, pw, "Pow") || g->nodes[pw].inputs[0] != d || !other_const(g, pw, d, &two) || two != 2.0f)
        return false;
    int var = sole_consumer(u, g->nodes[pw].outputs[0]);
    if (var < 0 || !mean_last(g, var, g->nodes[pw].outputs[0]))
        return false;
    int add = with_const(g, u, g->nodes[var].outputs[0], "Add", &eps);
    int sq = add >= 0 ? sole_consumer(u, g->nodes[add].outputs[0]) : -1;
    if (sq < 0 || !is_op(g, sq, "Sqrt") || sole_consumer(u, g->nodes[sq].outputs[0]) != dv || !is_op(g, dv, "Div") ||
        g->nodes[dv].n_inputs != 2 || g->nodes[dv].inputs[0] != d || g->nodes[dv].inputs[1] != g->nodes[sq].outputs[0] ||
        !(eps >= 0.0f))
        return false;
    int nodes[CS_FUSE_MAX + 1] = {m, sub, pw, var, add, sq, dv}, n_nodes = 7;
    int out = g->nodes[dv].outputs[0], gamma = -1, beta = -1;
    int mul = with_param(g, u, out, "Mul", &gamma);
    if (mul >= 0)
        nodes[n_nodes++] = mul, out = g->nodes[mul].outputs[0];
    int badd = mul >= 0 ? with_param(g, u, out, "Add", &beta) : -1;
    if (badd >= 0)
        nodes[n_nodes++] = badd, out = g->nodes[badd].outputs[0];
    for (int i = 1; i < n_nodes; i++) /* in execution order */
        for (int j = i; j > 0 && u->pos[nodes[j]] < u->pos[nodes[j - 1]]; j--) {
            int t = nodes[j];
            nodes[j] = nodes[j - 1], nodes[j - 1] = t;
        }
    memset(f, 0, sizeof *f);
    f->head = nodes[0], f->bn_node = -1, f->sum_value = -1, f->in_value = x, f->bias_value = -1;
    f->act = CS_ACT_LAYERNORM, f->scale = eps, f->gamma_value = gamma, f->beta_value = beta;
    for (int i = 1; i < n_nodes; i++)
        f->nodes[f->n_nodes++] = nodes[i];
    f->tail_node = g->values[out].producer;
    f->out_value = out;
    return true;
}

/* MatMul -> Add of a constant f32 tensor (the bias of a linear layer): the product starts from the bias. */
static bool matmul_bias_at(const cs_graph *g, const uses *u, int n, cs_fusion *f)
{
    const cs_node *node = &g->nodes[n];
    int bias = -1;
    if (!is_op(g, n, "MatMul") || node->n_inputs != 2 || node->n_outputs != 1 || node->inputs[0] < 0 ||
        node->inputs[1] < 0)
        return false;
    int add = with_param(g, u, node->outputs[0], "Add", &bias);
    if (add < 0)
        return false;
    memset(f, 0, sizeof *f);
    f->head = n, f->bn_node = -1, f->sum_value = -1, f->in_value = -1, f->bias_value = bias;
    f->nodes[f->n_nodes++] = add;
    f->tail_node = add;
    f->out_value = g->nodes[add].outputs[0];
    return true;
}

/* Whether every consumer of v takes channels-last values (else the layout would be converted right away). */
static bool consumers_take_nhwc(const cs_graph *g, const cs_plan *plan, int v)
{
    if (v < 0 || plan->is_output[v])
        return false;
    for (int p = 0; p < plan->n_order; p++) {
        const cs_node *node = &g->nodes[plan->order[p]];
        for (int i = 0; i < node->n_inputs; i++)
            if (node->inputs[i] == v && cs_layout_use_of(node) == CS_USE_CANONICAL)
                return false;
    }
    return true;
}

static bool uses_make(const cs_graph *g, const cs_plan *plan, uses *u)
{
    size_t nv = (size_t)g->n_values + 1;
    u->count = calloc(nv, sizeof(int));
    u->first = malloc(nv * sizeof(int));
    u->second = malloc(nv * sizeof(int));
    u->pos = malloc(((size_t)g->n_nodes + 1) * sizeof(int));
    u->plan = plan;
    if (!u->count || !u->first || !u->second || !u->pos)
        return false;
    for (int p = 0; p < plan->n_order; p++)
        u->pos[plan->order[p]] = p;
    for (int v = 0; v < g->n_values; v++)
        u->first[v] = u->second[v] = -1;
    for (int p = 0; p < plan->n_order; p++) {
        const cs_node *node = &g->nodes[plan->order[p]];
        for (int i = 0; i < node->n_inputs; i++) {
            int v = node->inputs[i];
            if (v < 0)
                continue;
            if (u->count[v] == 0)
                u->first[v] = plan->order[p];
            else if (u->count[v] == 1)
                u->second[v] = plan->order[p];
            u->count[v]++;
        }
    }
    for (int i = 0; i < g->n_outputs; i++)
        u->count[g->outputs[i]] += 2; /* observed by the caller: never an intermediate */
    return true;
}

static void uses_free(uses *u)
{
    free(u->count), free(u->first), free(u->second), free(u->pos);
}

cs_status cs_plan_fuse(const cs_graph *g, cs_plan *plan, cs_error *err)
{
    uses u = {0};
    plan->fusion_of = malloc(((size_t)g->n_nodes + 1) * sizeof(int));
    plan->fusions = calloc((size_t)g->n_nodes + 1, sizeof(cs_fusion));
    plan->pos = malloc(((size_t)g->n_nodes + 1) * sizeof(int));
    plan->nhwc_ok = calloc((size_t)g->n_nodes + 1, sizeof(bool));
    if (!plan->fusion_of || !plan->fusions || !plan->pos || !plan->nhwc_ok || !uses_make(g, plan, &u)) {
        uses_free(&u);
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory planning the graph", g->path);
    }
    memcpy(plan->pos, u.pos, (size_t)g->n_nodes * sizeof(int));
    for (int n = 0; n < g->n_nodes; n++)
        plan->fusion_of[n] = -1;
    for (int p = 0; p < plan->n_order; p++) {
        int n = plan->order[p];
        cs_fusion f;
        if (plan->fusion_of[n] >= 0 ||
            !(chain_from(g, &u, n, &f) || gelu_at(g, &u, n, &f) || layernorm_at(g, &u, n, &f) ||
              matmul_bias_at(g, &u, n, &f)))
            continue;
        if (plan->fusion_of[f.head] >= 0)
            continue;
        bool free_nodes = true;
        for (int k = 0; k < f.n_nodes; k++)
            free_nodes &= plan->fusion_of[f.nodes[k]] < 0;
        if (!free_nodes)
            continue;
        plan->fusions[plan->n_fusions] = f;
        plan->fusion_of[f.head] = plan->n_fusions;
        for (int k = 0; k < f.n_nodes; k++)
            plan->fusion_of[f.nodes[k]] = plan->n_fusions;
        plan->n_fusions++;
    }
    for (int n = 0; n < g->n_nodes; n++) {
        int k = plan->fusion_of[n];
        bool head = k >= 0 && plan->fusions[k].head == n;
        if (g->nodes[n].n_outputs >= 1 && (k < 0 || head))
            plan->nhwc_ok[n] = consumers_take_nhwc(g, plan, head ? plan->fusions[k].out_value : g->nodes[n].outputs[0]);
    }
    uses_free(&u);
    return CS_OK;
}

bool cs_fusion_allowed(const cs_graph *g, const cs_fusion *f, const bool *observe)
{
    if (!observe)
        return true;
    if (observe[g->nodes[f->head].outputs[0]])
        return false;
    for (int k = 0; k < f->n_nodes; k++) {
        const cs_node *node = &g->nodes[f->nodes[k]];
        for (int o = 0; o < node->n_outputs; o++)
            if (node->outputs[o] >= 0 && node->outputs[o] != f->out_value && observe[node->outputs[o]])
                return false;
    }
    return true;
}
