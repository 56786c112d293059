/* exec.c — the executor: validates and orders a graph (Kahn's algorithm), then runs it node by node
 * with liveness-based freeing (so peak activation bytes are known), per-node timing and observers. */
#include "exec.h"
#include "membudget.h"
#include "precision.h"
#include "value.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bufpool.h"
#include "exec_batch.h"
#include "exec_fuse.h"
#include "exec_layout.h"
#include "ops/dnnl_backend.h"
#include "ops/elementwise.h"
#include "ops/fastpath.h"
#include "ops/parallel.h"

/* Wall time; a profiling build (-DCS_PROFILE_CPU_CLOCK) times the calling thread's CPU instead, so per-node
 * figures stay meaningful on a loaded machine (single-threaded runs only). */
static double now_ms(void)
{
    struct timespec ts;
#ifdef CS_PROFILE_CPU_CLOCK
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void cs_plan_free(cs_plan *plan)
{
    if (!plan)
        return;
    free(plan->order);
    free(plan->kernels);
    free(plan->last_use);
    free(plan->is_output);
    free(plan->fusions);
    free(plan->fusion_of);
    free(plan->pos);
    free(plan->nhwc_ok);
    free(plan->takes_values);
    cs_dnnl_cache_free(plan->cache);
    for (int i = 0; i < CS_PLAN_POOLS; i++)
        cs_bufpool_free(atomic_load(&plan->pools[i]));
    free(plan);
}

static const char *node_label(const cs_graph *g, int n)
{
    return g->nodes[n].name[0] ? g->nodes[n].name : g->nodes[n].op;
}

/* Every consumed value must be a constant, a graph input, or a node output. */
static cs_status check_defined(const cs_graph *g, const bool *is_input, cs_error *err)
{
    for (int n = 0; n < g->n_nodes; n++) {
        const cs_node *node = &g->nodes[n];
        for (int i = 0; i < node->n_inputs; i++) {
            int v = node->inputs[i];
            if (v < 0)
                continue;
            if (v >= g->n_values)
                return cs_error_set(err, CS_ERR_FORMAT, "%s: node '%s' (%s): input %d refers to no value",
                                    g->path, node_label(g, n), node->op, i);
            const cs_value *val = &g->values[v];
            if (!val->data && !is_input[v] && val->producer < 0)
                return cs_error_set(err, CS_ERR_FORMAT,
                                    "%s: node '%s' (%s) reads value '%s', which no node, input or initializer defines",
                                    g->path, node_label(g, n), node->op, val->name);
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int v = g->outputs[i];
        if (v < 0 || v >= g->n_values ||
            (!g->values[v].data && !is_input[v] && g->values[v].producer < 0))
            return cs_error_set(err, CS_ERR_FORMAT, "%s: graph output '%s' is never computed", g->path,
                                v >= 0 && v < g->n_values ? g->values[v].name : "?");
    }
    return CS_OK;
}

static void heap_push(int *heap, int *n, int v)
{
    int i = (*n)++;
    heap[i] = v;
    while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
        int p = (i - 1) / 2, t = heap[p];
        heap[p] = heap[i], heap[i] = t;
        i = p;
    }
}

static int heap_pop(int *heap, int *n)
{
    int top = heap[0], i = 0;
    heap[0] = heap[--*n];
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && heap[l] < heap[m])
            m = l;
        if (r < *n && heap[r] < heap[m])
            m = r;
        if (m == i)
            return top;
        int t = heap[m];
        heap[m] = heap[i], heap[i] = t;
        i = m;
    }
}

/* Kahn's topological sort over producer -> consumer edges; a leftover node means a cycle. */
static cs_status topo_sort(const cs_graph *g, int *order, int *n_order, cs_error *err)
{
    int *pending = calloc((size_t)g->n_nodes + 1, sizeof(int));
    int *queue = malloc(((size_t)g->n_nodes + 1) * sizeof(int));
    /* consumers via CSR over values */
    int *cons_start = calloc((size_t)g->n_values + 1, sizeof(int));
    int total = 0;
    for (int n = 0; n < g->n_nodes; n++)
        total += g->nodes[n].n_inputs;
    int *cons = malloc(((size_t)total + 1) * sizeof(int));
    int *fill = calloc((size_t)g->n_values + 1, sizeof(int));
    if (!pending || !queue || !cons_start || !cons || !fill) {
        free(pending), free(queue), free(cons_start), free(cons), free(fill);
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory ordering the graph", g->path);
    }
    for (int n = 0; n < g->n_nodes; n++)
        for (int i = 0; i < g->nodes[n].n_inputs; i++) {
            int v = g->nodes[n].inputs[i];
            if (v >= 0 && g->values[v].producer >= 0 && !g->values[v].data) {
                cons_start[v + 1]++;
                pending[n]++;
            }
        }
    for (int v = 0; v < g->n_values; v++)
        cons_start[v + 1] += cons_start[v];
    for (int n = 0; n < g->n_nodes; n++)
        for (int i = 0; i < g->nodes[n].n_inputs; i++) {
            int v = g->nodes[n].inputs[i];
            if (v >= 0 && g->values[v].producer >= 0 && !g->values[v].data)
                cons[cons_start[v] + fill[v]++] = n;
        }
    /* ready nodes in a min-heap on node index: the order is the file's own order whenever that is
     * a valid one, so execution (and layer walks) follow the source model */
    int heap_n = 0;
    for (int n = 0; n < g->n_nodes; n++)
        if (pending[n] == 0)
            heap_push(queue, &heap_n, n);
    *n_order = 0;
    while (heap_n > 0) {
        int n = heap_pop(queue, &heap_n);
        order[(*n_order)++] = n;
        const cs_node *node = &g->nodes[n];
        for (int o = 0; o < node->n_outputs; o++) {
            int v = node->outputs[o];
            if (v < 0 || g->values[v].producer != n)
                continue;
            for (int k = cons_start[v]; k < cons_start[v + 1]; k++)
                if (--pending[cons[k]] == 0)
                    heap_push(queue, &heap_n, cons[k]);
        }
    }
    cs_status st = CS_OK;
    if (*n_order < g->n_nodes) {
        int stuck = 0;
        while (stuck < g->n_nodes && pending[stuck] == 0)
            stuck++;
        st = cs_error_set(err, CS_ERR_FORMAT, "%s: the graph has a cycle through node '%s' (%s)", g->path,
                          node_label(g, stuck), g->nodes[stuck].op);
    }
    free(pending), free(queue), free(cons_start), free(cons), free(fill);
    return st;
}

static cs_status find_kernels(const cs_graph *g, cs_plan *plan, bool strict, cs_error *err)
{
    for (int n = 0; n < g->n_nodes; n++) {
        const cs_node *node = &g->nodes[n];
        plan->kernels[n] = cs_ops_find(node->domain, node->op);
        if (!plan->kernels[n] && strict)
            return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s': unsupported op '%s%s%s'", g->path,
                                node_label(g, n), node->domain, node->domain[0] ? "." : "", node->op);
        cs_status st = plan->kernels[n] && plan->kernels[n]->check ? plan->kernels[n]->check(g, n, err) : CS_OK;
        if (st != CS_OK)
            return st;
    }
    return CS_OK;
}

static cs_status check_single_producer(const cs_graph *g, cs_error *err)
{
    for (int n = 0; n < g->n_nodes; n++) {
        const cs_node *node = &g->nodes[n];
        for (int o = 0; o < node->n_outputs; o++) {
            int v = node->outputs[o];
            if (v < 0)
                continue;
            if (v >= g->n_values)
                return cs_error_set(err, CS_ERR_FORMAT, "%s: node '%s': output %d refers to no value", g->path,
                                    node_label(g, n), o);
            if (g->values[v].producer != n || g->values[v].data)
                return cs_error_set(err, CS_ERR_FORMAT, "%s: value '%s' is defined more than once (node '%s')",
                                    g->path, g->values[v].name, node_label(g, n));
            for (int before = 0; before < o; before++)
                if (node->outputs[before] == v)
                    return cs_error_set(err, CS_ERR_FORMAT, "%s: value '%s' is defined more than once (outputs %d "
                                        "and %d of node '%s')", g->path, g->values[v].name, before, o,
                                        node_label(g, n));
        }
    }
    return CS_OK;
}

static cs_status plan_build(const cs_graph *g, cs_plan **out, bool strict, cs_error *err);

/* Ops that take sequences, optionals or string tensors (and check which they get); every other op gets
 * numeric tensors only. */
static bool op_takes_values(const cs_node *node)
{
    static const char *const ops[] = {
        "Identity", "If", "Loop", "Cast", "CastLike", "StringNormalizer", "StringConcat", "StringSplit", "RegexFullMatch", "Optional",
        "OptionalHasElement", "OptionalGetElement", "SequenceEmpty", "SequenceConstruct", "SequenceInsert", "SequenceAt", "SequenceErase",
        "SequenceLength", "SplitToSequence", "ConcatFromSequence", "SequenceMap",
    };
    if (!cs_node_default_domain(node))
        return false;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(node->op, ops[i]) == 0)
            return true;
    return false;
}

/* Can a sequence, optional or string tensor arise in g? From a declared input, an outer value captured by a
 * subgraph, a string constant, or a node of an op that makes them (control flow passes on what it gets). */
static bool graph_has_values(const cs_graph *g)
{
    if (g->n_captures > 0)
        return true;
    for (int i = 0; i < g->n_inputs; i++) {
        const cs_value *v = &g->values[g->inputs[i]];
        if (v->kind != CS_VALUE_TENSOR || v->dtype == CS_DT_STRING)
            return true;
    }
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].data && !cs_value_plain(g->values[v].data))
            return true;
    for (int n = 0; n < g->n_nodes; n++)
        if (op_takes_values(&g->nodes[n]) && strcmp(g->nodes[n].op, "Identity") != 0)
            return true;
    return false;
}

static cs_status plan_values(const cs_graph *g, cs_plan *plan, cs_error *err)
{
    if (!graph_has_values(g))
        return CS_OK;
    plan->takes_values = calloc((size_t)g->n_nodes + 1, sizeof(bool));
    if (!plan->takes_values)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory planning the graph", g->path);
    for (int n = 0; n < g->n_nodes; n++)
        plan->takes_values[n] = op_takes_values(&g->nodes[n]);
    return CS_OK;
}

/* A sequence, optional or string tensor reaching an op that computes on numbers: refused by name. */
static cs_status check_plain_inputs(const cs_node *node, const cs_tensor *const *in, cs_error *err)
{
    for (int i = 0; i < node->n_inputs; i++)
        if (in[i] && !cs_value_plain(in[i]))
            return cs_error_set(err, CS_ERR_UNSUPPORTED, "node '%s' (%s): input %d is a %s, which this op does not "
                                "take", node->name && node->name[0] ? node->name : node->op, node->op, i,
                                cs_value_kind_name(in[i]));
    return CS_OK;
}

cs_status cs_plan_build(const cs_graph *g, cs_plan **out, cs_error *err)
{
    return plan_build(g, out, true, err);
}

cs_status cs_plan_check(const cs_graph *g, cs_plan **out, cs_error *err)
{
    return plan_build(g, out, false, err);
}

static cs_status plan_build(const cs_graph *g, cs_plan **out, bool strict, cs_error *err)
{
    *out = NULL;
    if (g->weights_only)
        return cs_error_set(err, CS_ERR_UNSUPPORTED,
                            "%s: the file holds weights only, no architecture, so it cannot be executed", g->path);
    cs_plan *plan = calloc(1, sizeof *plan);
    bool *is_input = calloc((size_t)g->n_values + 1, sizeof(bool));
    if (!plan || !is_input) {
        free(plan), free(is_input);
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory planning the graph", g->path);
    }
    plan->order = malloc(((size_t)g->n_nodes + 1) * sizeof(int));
    plan->kernels = calloc((size_t)g->n_nodes + 1, sizeof(*plan->kernels));
    plan->last_use = malloc(((size_t)g->n_values + 1) * sizeof(int));
    plan->is_output = calloc((size_t)g->n_values + 1, sizeof(bool));
    for (int i = 0; i < CS_PLAN_POOLS; i++)
        atomic_init(&plan->pools[i], NULL);
    atomic_init(&plan->sample_peak, 0);
    for (int v = 0; v < g->n_values; v++)
        plan->const_bytes += g->values[v].data ? g->values[v].data->nbytes : 0;
    cs_status st = CS_OK;
    if (!plan->order || !plan->kernels || !plan->last_use || !plan->is_output)
        st = cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory planning the graph", g->path);
    for (int i = 0; st == CS_OK && i < g->n_inputs; i++)
        if (g->inputs[i] >= 0 && g->inputs[i] < g->n_values)
            is_input[g->inputs[i]] = true;
    for (int i = 0; st == CS_OK && i < g->n_captures; i++)
        if (g->captures[i] >= 0 && g->captures[i] < g->n_values)
            is_input[g->captures[i]] = true; /* bound from the enclosing graph at run time */
    if (st == CS_OK)
        st = check_single_producer(g, err);
    if (st == CS_OK)
        st = check_defined(g, is_input, err);
    if (st == CS_OK)
        st = find_kernels(g, plan, strict, err);
    if (st == CS_OK)
        st = topo_sort(g, plan->order, &plan->n_order, err);
    if (st == CS_OK) {
        for (int v = 0; v < g->n_values; v++)
            plan->last_use[v] = -1;
        for (int p = 0; p < plan->n_order; p++) {
            const cs_node *node = &g->nodes[plan->order[p]];
            for (int i = 0; i < node->n_inputs; i++)
                if (node->inputs[i] >= 0)
                    plan->last_use[node->inputs[i]] = p;
        }
        for (int i = 0; i < g->n_outputs; i++)
            plan->is_output[g->outputs[i]] = true;
        st = cs_plan_fuse(g, plan, err);
        if (st == CS_OK)
            st = plan_values(g, plan, err);
        plan->cache = cs_dnnl_cache_new(); /* NULL only disables caching */
    }
    free(is_input);
    if (st != CS_OK) {
        cs_plan_free(plan);
        return st;
    }
    *out = plan;
    return CS_OK;
}

/* ---- running ---- */

typedef struct run_state {
    const cs_graph *g;
    const cs_plan *plan;
    const cs_tensor **live;  /* per value: current tensor (borrowed or owned) */
    bool *owned;             /* per value: live[v] is ours to free */
    size_t live_bytes, peak_bytes;
    cs_bufpool *pool;        /* where released values go and outputs come from; NULL: plain malloc/free */
    size_t mem_base;         /* the memory budget less the constants: what activations may take */
    bool *skip;              /* per node: computed by a fused call of an earlier node */
    bool *nhwc;              /* per value: stored channels-last (see exec_layout.h) */
    bool fuse_on;            /* fast kernels, and the observer (if any) says what it needs */
    bool shapes_only;        /* the observer reads dims only: observed values stay in their layout */
    const bool *observe;
} run_state;

static void release_value(run_state *rs, int v)
{
    if (rs->nhwc)
        rs->nhwc[v] = false;
    if (rs->owned[v]) {
        rs->live_bytes -= rs->live[v]->nbytes;
        cs_bufpool_give(rs->pool, (cs_tensor *)rs->live[v]);
    }
    rs->live[v] = NULL;
    rs->owned[v] = false;
}

/* Makes value v row-major again (in place in the live table). */
static cs_status canonicalise(run_state *rs, int v, cs_error *err)
{
    if (!rs->nhwc[v])
        return CS_OK;
    if (rs->nhwc)
        rs->nhwc[v] = false;
    if (cs_layout_trivial(rs->live[v]))
        return CS_OK;
    cs_tensor *c = cs_layout_to_canonical(rs->pool, rs->live[v], err);
    if (!c)
        return err ? err->status : CS_ERR_NOMEM;
    if (rs->owned[v])
        cs_bufpool_give(rs->pool, (cs_tensor *)rs->live[v]);
    else
        rs->live_bytes += c->nbytes;
    rs->live[v] = c;
    rs->owned[v] = true;
    return CS_OK;
}

static cs_status bind_inputs(run_state *rs, const cs_tensor *const *inputs, const cs_tensor *const *captured,
                             cs_error *err)
{
    const cs_graph *g = rs->g;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].data)
            rs->live[v] = g->values[v].data;
    for (int i = 0; i < g->n_captures; i++) {
        int v = g->captures[i];
        if (!captured || !captured[i])
            return cs_error_set(err, CS_ERR_ARG, "%s: no outer value given for '%s'", g->path, g->values[v].name);
        rs->live[v] = captured[i];
    }
    for (int i = 0; i < g->n_inputs; i++) {
        int v = g->inputs[i];
        if (!inputs || !inputs[i])
            return cs_error_set(err, CS_ERR_ARG, "%s: no tensor given for input '%s'", g->path, g->values[v].name);
        rs->live[v] = inputs[i];
        rs->live_bytes += inputs[i]->nbytes;
    }
    rs->peak_bytes = rs->live_bytes;
    return CS_OK;
}

/* The fusion node n heads that this run may use, or NULL. */
static const cs_fusion *fusion_for(const run_state *rs, int n)
{
    const cs_plan *plan = rs->plan;
    int k = rs->fuse_on && plan->fusion_of ? plan->fusion_of[n] : -1;
    if (k < 0 || plan->fusions[k].head != n || !cs_fusion_allowed(rs->g, &plan->fusions[k], rs->observe))
        return NULL;
    const cs_fusion *f = &plan->fusions[k];
    if (f->sum_value >= 0 && !rs->live[f->sum_value])
        return NULL;
    /* an activation subgraph reads its input row-major (channels-last ones run unfused) */
    if (f->in_value >= 0 && (!rs->live[f->in_value] || rs->nhwc[f->in_value]))
        return NULL;
    return f;
}

/* Hands the residual of f to the kernel, as a buffer it may overwrite when this is its last use. */
static void offer_residual(run_state *rs, const cs_fusion *f, cs_kernel_ctx *ctx)
{
    int r = f->sum_value;
    if (r < 0)
        return;
    ctx->fuse_sum = rs->live[r];
    int add = f->nodes[f->n_nodes - 1];
    for (int k = 0; k < f->n_nodes; k++)
        if (strcmp(rs->g->nodes[f->nodes[k]].op, "Add") == 0)
            add = f->nodes[k];
    if (rs->owned[r] && !rs->plan->is_output[r] && rs->plan->last_use[r] == rs->plan->pos[add])
        ctx->fuse_sum_owned = (cs_tensor *)rs->live[r];
}

/* Input 0 of node n offered as a buffer its kernel may take over (ops.h: in0_owned): fast path only, when n is
 * its last use, the executor owns it, it is row-major and no other input slot of n reads it. */
static cs_tensor *offer_input0(const run_state *rs, const cs_node *node, int pos)
{
    int v = node->n_inputs > 0 ? node->inputs[0] : -1;
    if (!rs->fuse_on || v < 0 || !rs->owned[v] || rs->nhwc[v] || rs->plan->is_output[v] || rs->plan->last_use[v] != pos)
        return NULL;
    for (int i = 1; i < node->n_inputs; i++)
        if (node->inputs[i] == v)
            return NULL;
    return (cs_tensor *)rs->live[v];
}

/* After a fused call: the followers are skipped; a residual taken as the output buffer is no longer live. */
static void fused_done(run_state *rs, const cs_fusion *f, const cs_kernel_ctx *ctx)
{
    for (int k = 0; k < f->n_nodes; k++)
        rs->skip[f->nodes[k]] = true;
    if (ctx->fuse_sum_taken) {
        rs->live_bytes -= rs->live[f->sum_value]->nbytes;
        rs->live[f->sum_value] = NULL;
        rs->owned[f->sum_value] = false;
    }
}

static void release_inputs(run_state *rs, const cs_node *node, int pos)
{
    for (int i = 0; i < node->n_inputs; i++) {
        int v = node->inputs[i];
        if (v >= 0 && rs->plan->last_use[v] == pos && !rs->plan->is_output[v] && rs->owned[v])
            release_value(rs, v);
    }
}

/* How node n's inputs are laid out: channels-last values stay so where the consumer takes them, the rest
 * are converted. *views (two slots) receives N,H,W,C views for a binary op; returns the layout use. */
static cs_status place_inputs(run_state *rs, const cs_node *node, const cs_fusion *f, cs_kernel_ctx *ctx,
                              const cs_tensor **in_buf, cs_tensor *views, bool *keep, cs_error *err)
{
    cs_layout_use use = rs->fuse_on ? cs_layout_use_of(node) : CS_USE_CANONICAL;
    *keep = false;
    if (use == CS_USE_BINARY && node->inputs[0] >= 0 && node->inputs[1] >= 0 &&
        (rs->nhwc[node->inputs[0]] || rs->nhwc[node->inputs[1]]) &&
        cs_layout_binary_views(in_buf[0], rs->nhwc[node->inputs[0]], in_buf[1], rs->nhwc[node->inputs[1]], &views[0],
                               &views[1])) {
        in_buf[0] = &views[0], in_buf[1] = &views[1];
        *keep = true;
        return CS_OK;
    }
    for (int i = 0; i < node->n_inputs; i++) {
        int v = node->inputs[i];
        if (v < 0 || !rs->nhwc[v])
            continue;
        if (i == 0 && (use == CS_USE_CONV || use == CS_USE_UNARY || use == CS_USE_GAP || use == CS_USE_POOL)) {
            ctx->in_nhwc = true;
            *keep = use == CS_USE_UNARY;
            continue;
        }
        if (use == CS_USE_CONV && f && v == f->sum_value) {
            ctx->sum_nhwc = true;
            continue;
        }
        cs_status st = canonicalise(rs, v, err);
        if (st != CS_OK)
            return st;
        in_buf[i] = rs->live[v];
    }
    if (f && f->sum_value >= 0)
        ctx->fuse_sum = rs->live[f->sum_value], ctx->sum_nhwc = rs->nhwc[f->sum_value];
    return CS_OK;
}

static cs_status invoke(run_state *rs, int n, cs_kernel_ctx *ctx, const cs_tensor **in_buf)
{
    const cs_node *node = &rs->g->nodes[n];
    if (ctx->in_nhwc && cs_layout_use_of(node) == CS_USE_POOL) {
        bool handled = false;
        cs_status st = cs_dnnl_pool_nhwc(ctx, &handled);
        if (st != CS_OK || handled)
            return st;
        st = canonicalise(rs, node->inputs[0], ctx->err);
        ctx->in_nhwc = false;
        if (st != CS_OK)
            return st;
        in_buf[0] = rs->live[node->inputs[0]];
    }
    if (ctx->in_nhwc && cs_layout_use_of(node) == CS_USE_GAP) {
        ctx->out[0] = cs_layout_gap(rs->pool, ctx->in[0], ctx->err);
        if (ctx->out[0])
            return CS_OK;
        cs_status st = canonicalise(rs, node->inputs[0], ctx->err);
        ctx->in_nhwc = false;
        if (st != CS_OK)
            return st;
        in_buf[0] = rs->live[node->inputs[0]];
    }
    if (ctx->fuse && ctx->fuse->in_value >= 0) {
        cs_status st = cs_ew_act_subgraph(ctx, rs->live[ctx->fuse->in_value]);
        if (st != CS_OK || ctx->fuse_done)
            return st;
    }
    return rs->plan->kernels[n]->run(ctx);
}

/* Mul of a channels-last value by one factor per channel (squeeze-and-excitation blocks): one vectorised pass
 * into a buffer of x's layout, written over x itself when this is x's last use. *done is false (nothing
 * written) when node n is not that. */
static cs_status scale_channels(run_state *rs, int n, cs_kernel_ctx *ctx, bool *done)
{
    const cs_node *node = &rs->g->nodes[n];
    *done = false;
    if (!rs->fuse_on || node->n_inputs != 2 || cs_layout_use_of(node) != CS_USE_BINARY || strcmp(node->op, "Mul") != 0)
        return CS_OK;
    int a = node->inputs[0], b = node->inputs[1];
    if (a < 0 || b < 0 || a == b || rs->nhwc[a] == rs->nhwc[b])
        return CS_OK;
    int xv = rs->nhwc[a] ? a : b, sv = xv == a ? b : a;
    const cs_tensor *x = rs->live[xv], *s = rs->live[sv];
    if (!x || !s || !cs_layout_scale_fits(x, s))
        return CS_OK;
    cs_tensor *y;
    if (rs->owned[xv] && !rs->plan->is_output[xv] && rs->plan->last_use[xv] == rs->plan->pos[n]) {
        y = (cs_tensor *)x; /* taken over: x is no longer live, its buffer becomes the output */
        rs->live_bytes -= x->nbytes;
        rs->live[xv] = NULL, rs->owned[xv] = false, rs->nhwc[xv] = false;
    } else if (!(y = cs_bufpool_take(rs->pool, CS_DT_F32, 4, x->dims, false, ctx->err))) {
        return ctx->err->status;
    }
    cs_layout_scale_channels(x, s, y);
    ctx->out[0] = y;
    ctx->out_nhwc = true;
    *done = true;
    return CS_OK;
}

/* The subgraph runner lent to control-flow kernels (ops.h): plans and runs with this executor. */
static cs_status sub_plan(const cs_graph *sub, void **plan, cs_error *err)
{
    cs_plan *p = NULL;
    cs_status st = cs_plan_build(sub, &p, err);
    *plan = p;
    return st;
}

static void sub_free(void *plan)
{
    cs_plan_free(plan);
}

static cs_status sub_run(const cs_graph *sub, const void *plan, const cs_tensor *const *inputs,
                         const cs_tensor *const *captured, cs_tensor **outputs, cs_error *err)
{
    return cs_exec_subgraph(sub, plan, inputs, captured, outputs, err);
}

static const cs_subgraph_runner subgraphs = {sub_plan, sub_free, sub_run};

static cs_status run_node(run_state *rs, int pos, const cs_exec_opts *opts, cs_exec_stats *stats, cs_error *err)
{
    const cs_graph *g = rs->g;
    int n = rs->plan->order[pos];
    const cs_node *node = &g->nodes[n];
    if (rs->skip[n]) { /* computed by its fusion's head */
        release_inputs(rs, node, pos);
        return CS_OK;
    }
    const cs_tensor *in_buf[64];
    cs_tensor *out_buf[64], views[2];
    if (node->n_inputs > 64 || node->n_outputs > 64)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s' has too many inputs or outputs", g->path,
                            node_label(g, n));
    for (int i = 0; i < node->n_inputs; i++)
        in_buf[i] = node->inputs[i] >= 0 ? rs->live[node->inputs[i]] : NULL;
    if (rs->plan->takes_values && !rs->plan->takes_values[n] && check_plain_inputs(node, in_buf, err) != CS_OK) {
        cs_error_prefix(err, "%s: ", g->path);
        return err->status;
    }
    memset(out_buf, 0, sizeof out_buf);
    cs_kernel_ctx ctx = {.graph = g, .node = node, .in = in_buf, .n_in = node->n_inputs, .out = out_buf,
                         .n_out = node->n_outputs, .opset = g->opset, .err = err, .pool = rs->pool, .sub = &subgraphs,
                         .cache = rs->plan->cache, .nhwc_out_ok = rs->fuse_on && rs->plan->nhwc_ok[n]};
    const cs_fusion *f = fusion_for(rs, n);
    if (f) {
        ctx.fuse = f;
        offer_residual(rs, f, &ctx);
    } else {
        ctx.in0_owned = offer_input0(rs, node, pos);
    }
    bool keep = false;
    double t0 = now_ms();
    size_t saved_left = cs_mem_left; /* a subgraph run inside this node restores the outer figure */
    cs_mem_left = rs->mem_base > rs->live_bytes ? rs->mem_base - rs->live_bytes : 1;
    bool done = false;
    cs_status st = f ? CS_OK : scale_channels(rs, n, &ctx, &done);
    if (st == CS_OK && !done)
        st = place_inputs(rs, node, f, &ctx, in_buf, views, &keep, err);
    if (st == CS_OK && !done)
        st = invoke(rs, n, &ctx, in_buf);
    cs_mem_left = saved_left;
    if (st == CS_OK)
        cs_precision_round_outputs(g, node, out_buf);
    double dt = now_ms() - t0;
    if (stats && stats->node_ms)
        stats->node_ms[n] += dt;
    bool fused = st == CS_OK && f && ctx.fuse_done;
    if (fused)
        fused_done(rs, f, &ctx);
    if (ctx.in0_taken) { /* input 0's buffer is out[0] now (freed with it on failure) */
        rs->live_bytes -= ctx.in0_owned->nbytes;
        rs->live[node->inputs[0]] = NULL, rs->owned[node->inputs[0]] = false;
    }
    if (st == CS_OK && keep && in_buf[0] == &views[0] && out_buf[0])
        cs_layout_relabel(out_buf[0]);
    for (int o = 0; o < node->n_outputs; o++) {
        int v = fused && o == 0 ? f->out_value : node->outputs[o];
        if (st == CS_OK && v >= 0 && !out_buf[o])
            st = cs_error_set(err, CS_ERR_FORMAT, "node '%s' (%s): output %d was not produced", node_label(g, n),
                              node->op, o);
        if (st != CS_OK || v < 0) {
            if (!(ctx.fuse_sum_taken && out_buf[o] == ctx.fuse_sum_owned))
                cs_tensor_free(out_buf[o]);
            continue;
        }
        rs->live[v] = out_buf[o];
        rs->owned[v] = true;
        rs->nhwc[v] = o == 0 && (ctx.out_nhwc || keep) && !cs_layout_trivial(out_buf[o]);
        rs->live_bytes += out_buf[o]->nbytes;
    }
    if (st != CS_OK) {
        cs_error_prefix(err, "%s: ", g->path);
        return st;
    }
    if (rs->live_bytes > rs->peak_bytes)
        rs->peak_bytes = rs->live_bytes;
    if (opts && opts->observer)
        for (int o = 0; o < node->n_outputs; o++) {
            int v = fused && o == 0 ? f->out_value : node->outputs[o];
            if (v < 0 || (rs->observe && !rs->observe[v]) || (rs->plan->takes_values && !cs_value_plain(rs->live[v])))
                continue;
            if (!rs->shapes_only && (st = canonicalise(rs, v, err)) != CS_OK)
                return st;
            opts->observer(opts->observer_user, g, fused && o == 0 ? f->tail_node : n, v, rs->live[v]);
        }
    release_inputs(rs, node, pos);
    for (int o = 0; o < node->n_outputs; o++) {
        int v = fused && o == 0 ? f->out_value : node->outputs[o];
        if (v >= 0 && rs->plan->last_use[v] < 0 && !rs->plan->is_output[v])
            release_value(rs, v);
    }
    return CS_OK;
}

static cs_status collect_outputs(run_state *rs, cs_tensor **outputs, cs_error *err)
{
    const cs_graph *g = rs->g;
    for (int i = 0; i < g->n_outputs; i++) {
        int v = g->outputs[i];
        cs_status st = rs->live[v] ? canonicalise(rs, v, err) : CS_OK;
        if (st != CS_OK)
            return st;
        if (rs->owned[v] && !outputs[i]) {
            outputs[i] = (cs_tensor *)rs->live[v];
            rs->owned[v] = false;
            continue;
        }
        if (!rs->live[v])
            return cs_error_set(err, CS_ERR_FORMAT, "%s: output '%s' was not computed", g->path, g->values[v].name);
        outputs[i] = cs_tensor_clone(rs->live[v], err);
        if (!outputs[i])
            return err ? err->status : CS_ERR_NOMEM;
    }
    return CS_OK;
}

static int64_t common_batch(const cs_graph *g, const cs_tensor *const *inputs);

/* A buffer pool of the plan for this run's duration: a free one, or a new one (NULL only disables reuse).
 * The plan is const to callers; its pools are a cache runs borrow and put back. */
static cs_bufpool *pool_borrow(const cs_plan *plan)
{
    cs_plan *p = (cs_plan *)plan;
    for (int i = 0; i < CS_PLAN_POOLS; i++) {
        cs_bufpool *pool = atomic_exchange(&p->pools[i], NULL);
        if (pool)
            return pool;
    }
    return cs_bufpool_new();
}

static void pool_return(const cs_plan *plan, cs_bufpool *pool)
{
    cs_plan *p = (cs_plan *)plan;
    for (int i = 0; pool && i < CS_PLAN_POOLS; i++) {
        cs_bufpool *empty = NULL;
        if (atomic_compare_exchange_strong(&p->pools[i], &empty, pool))
            return;
    }
    cs_bufpool_free(pool);
}

static cs_status exec_run(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs,
                          const cs_tensor *const *captured, cs_tensor **outputs, const cs_exec_opts *opts,
                          const bool *observe, bool shapes_only, cs_exec_stats *stats, cs_error *err)
{
    run_state rs = {g, plan, NULL, NULL, 0, 0, pool_borrow(plan), 0, NULL, NULL, false, shapes_only, NULL};
    rs.live = calloc((size_t)g->n_values + 1, sizeof(*rs.live));
    rs.owned = calloc((size_t)g->n_values + 1, sizeof(bool));
    rs.skip = calloc((size_t)g->n_nodes + 1, sizeof(bool));
    rs.nhwc = calloc((size_t)g->n_values + 1, sizeof(bool));
    rs.observe = observe;
    rs.fuse_on = cs_kernels_fast() && (!opts || !opts->observer || observe || shapes_only);
    if (stats) {
        memset(stats, 0, sizeof *stats);
        stats->node_ms = calloc((size_t)g->n_nodes + 1, sizeof(double));
        stats->n_nodes = g->n_nodes;
    }
    for (int i = 0; i < g->n_outputs; i++)
        outputs[i] = NULL;
    cs_status st = CS_OK;
    if (!rs.live || !rs.owned || !rs.skip || !rs.nhwc || (stats && !stats->node_ms))
        st = cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory running the graph", g->path);
    double t0 = now_ms();
    size_t weights = captured ? 0 : plan->const_bytes;
    if (st == CS_OK && !captured) /* a top-level run: the plan is checked against the budget before it starts */
        st = cs_mem_check_plan(g, plan, inputs, err);
    rs.mem_base = cs_mem_budget() > weights ? cs_mem_budget() - weights : 1;
    if (st == CS_OK)
        st = bind_inputs(&rs, inputs, captured, err);
    for (int p = 0; st == CS_OK && p < plan->n_order; p++) {
        if (opts && opts->cancel && *opts->cancel)
            st = cs_error_set(err, CS_ERR_CANCELLED, "%s: run cancelled", g->path);
        else
            st = run_node(&rs, p, opts, stats, err);
    }
    if (st == CS_OK)
        st = collect_outputs(&rs, outputs, err);
    int64_t batch = st == CS_OK && !captured ? common_batch(g, inputs) : 0;
    if (batch > 0)
        atomic_store(&((cs_plan *)plan)->sample_peak, rs.peak_bytes / (size_t)batch);
    if (stats) {
        stats->total_ms = now_ms() - t0;
        stats->peak_bytes = rs.peak_bytes;
        stats->const_bytes = plan->const_bytes;
    }
    for (int v = 0; rs.owned && v < g->n_values; v++)
        if (rs.owned[v])
            release_value(&rs, v);
    if (st != CS_OK)
        for (int i = 0; i < g->n_outputs; i++) {
            cs_tensor_free(outputs[i]);
            outputs[i] = NULL;
        }
    free(rs.live);
    free(rs.owned);
    free(rs.skip);
    free(rs.nhwc);
    pool_return(plan, rs.pool);
    return st;
}

/* ---- batch splitting (exec_batch.h) ---- */

/* The batch all inputs share on their first axis; -1 when they do not share one. */
static int64_t common_batch(const cs_graph *g, const cs_tensor *const *inputs)
{
    int64_t batch = -1;
    for (int i = 0; i < g->n_inputs; i++) {
        if (!inputs[i] || inputs[i]->rank < 1 || (batch >= 0 && inputs[i]->dims[0] != batch))
            return -1;
        batch = inputs[i]->dims[0];
    }
    return batch;
}

/* How a batch runs split: `rows` per sub-batch, spread over `team` threads that each run their sub-batches
 * alone (one-thread kernels, no fork/join per layer). A graph whose weights are small next to one sample's
 * activations (mobile networks: MobileNetV2 14 MB of weights against 6.6 MB of activations at its peak,
 * EfficientNet-B0 21 MB against 6.3 MB) is limited by memory at batch 64, where each layer's values
 * (hundreds of MB) stream through DRAM: one sample at a time they stay in the 2 MB L2 cache, measured
 * 589 -> 395 ms (MobileNetV2) and 1058 -> 881 ms (EfficientNet-B0) per batch-64 run on one thread. A graph with
 * large weights (ResNet-50: 102 MB against 5.8 MB) would re-read them per sample instead: it runs whole on
 * one thread, and in one sub-batch per thread on several. Batches whose activations fit the cache run whole. */
typedef struct split_plan {
    int64_t rows;
    int team;
} split_plan;

#define CS_SPLIT_MAX_TEAM 64
#define SPLIT_MIN_ACTIVATIONS ((size_t)8 << 20)
#define SPLIT_WEIGHTS_PER_SAMPLE 8

static split_plan plan_split(const cs_plan *plan, int64_t batch)
{
    split_plan sp = {batch, 1};
    size_t weights = plan->const_bytes, per_sample = atomic_load(&plan->sample_peak);
    int threads = cs_threads_get();
    if (per_sample == 0 || per_sample * (size_t)batch < SPLIT_MIN_ACTIVATIONS)
        return sp; /* unknown before a first run, or small enough for the cache */
    if (weights <= SPLIT_WEIGHTS_PER_SAMPLE * per_sample)
        sp.rows = 1;
    else if (threads > 1)
        sp.rows = (batch + threads - 1) / threads;
    int64_t chunks = (batch + sp.rows - 1) / sp.rows;
    sp.team = chunks < threads ? (int)chunks : threads;
    return sp;
}

typedef struct split_job {
    const cs_graph *g;
    const cs_plan *plan;
    const cs_tensor *const *inputs;
    int64_t batch, rows, begin, end; /* rows [begin, end) of the batch's, in sub-batches of `rows` */
    cs_tensor **outputs;
    const cs_exec_opts *opts;
    bool shapes_only;
    cs_exec_stats *stats;    /* per worker, NULL when the caller wants none */
    cs_error *errs;          /* per worker */
    cs_status *status;       /* per worker */
    _Atomic bool stop;       /* a worker failed, or an output did not carry the batch */
    _Atomic bool misfit;
    pthread_mutex_t place_mu;
} split_job;

static bool stats_open(cs_exec_stats *s, int n_nodes)
{
    memset(s, 0, sizeof *s);
    s->n_nodes = n_nodes;
    return (s->node_ms = calloc((size_t)n_nodes + 1, sizeof(double))) != NULL;
}

static void stats_add(cs_exec_stats *total, const cs_exec_stats *part)
{
    for (int n = 0; n < total->n_nodes && part->node_ms; n++)
        total->node_ms[n] += part->node_ms[n];
    total->peak_bytes = part->peak_bytes > total->peak_bytes ? part->peak_bytes : total->peak_bytes;
    total->const_bytes = part->const_bytes;
}

/* Rows [start, start+rows) of every input through the graph, the outputs placed into the job's. */
static cs_status run_chunk(split_job *j, int worker, int64_t start, int64_t rows)
{
    const cs_graph *g = j->g;
    cs_tensor views[CS_BATCH_MAX_INPUTS];
    const cs_tensor *ins[CS_BATCH_MAX_INPUTS];
    cs_tensor *outs[CS_BATCH_MAX_OUTPUTS] = {0};
    for (int i = 0; i < g->n_inputs; i++) {
        cs_batch_view(j->inputs[i], start, rows, &views[i]);
        ins[i] = &views[i];
    }
    cs_exec_stats part = {0};
    cs_error *err = &j->errs[worker];
    cs_status st = exec_run(g, j->plan, ins, NULL, outs, j->opts, NULL, j->shapes_only, j->stats ? &part : NULL, err);
    pthread_mutex_lock(&j->place_mu);
    for (int o = 0; st == CS_OK && !atomic_load(&j->misfit) && o < g->n_outputs; o++)
        if (outs[o]->dims[0] != rows || !cs_batch_place(&j->outputs[o], outs[o], start, j->batch, err))
            atomic_store(&j->misfit, true);
    pthread_mutex_unlock(&j->place_mu);
    if (st == CS_OK && err->status != CS_OK)
        st = err->status; /* out of memory placing an output */
    for (int o = 0; o < g->n_outputs; o++)
        cs_tensor_free(outs[o]);
    if (j->stats)
        stats_add(&j->stats[worker], &part);
    cs_exec_stats_free(&part);
    return st;
}

/* One worker of the team: sub-batches worker, worker + threads, ... on its own (one-thread kernels). */
static void split_worker(void *user, int worker, int threads)
{
    split_job *j = user;
    cs_threads_solo(threads > 1);
    int64_t chunks = (j->end - j->begin + j->rows - 1) / j->rows;
    for (int64_t c = worker; c < chunks && !atomic_load(&j->stop) && !atomic_load(&j->misfit); c += threads) {
        int64_t start = j->begin + c * j->rows, rows = start + j->rows > j->end ? j->end - start : j->rows;
        if (j->opts && j->opts->cancel && *j->opts->cancel)
            j->status[worker] = cs_error_set(&j->errs[worker], CS_ERR_CANCELLED, "%s: run cancelled", j->g->path);
        else
            j->status[worker] = run_chunk(j, worker, start, rows);
        if (j->status[worker] != CS_OK)
            atomic_store(&j->stop, true);
    }
    cs_threads_solo(false);
}

/* Adds a pass's worker statistics: node times are averaged over the team (each worker ran its share of the
 * batch at the same time, so the mean is the wall time the node took out of the run); the workers' peaks add
 * up, and the run's peak is its largest pass's. */
static void stats_merge(cs_exec_stats *out, const cs_exec_stats *per, int team)
{
    size_t peak = 0;
    for (int w = 0; w < team; w++) {
        for (int n = 0; n < out->n_nodes; n++)
            out->node_ms[n] += per[w].node_ms[n] / team;
        peak += per[w].peak_bytes;
        out->const_bytes = per[w].const_bytes;
    }
    out->peak_bytes = peak > out->peak_bytes ? peak : out->peak_bytes;
}

/* The first error of the team into err; CS_OK when none failed. */
static cs_status team_status(const split_job *j, int team, cs_error *err)
{
    for (int w = 0; w < team; w++)
        if (j->status[w] != CS_OK) {
            if (err)
                *err = j->errs[w];
            return j->status[w];
        }
    return CS_OK;
}

/* One pass: rows [j->begin, j->end) in sub-batches of j->rows on a team, the outputs placed (made on first
 * use) and the statistics added to stats (opened by the caller; NULL for none). */
static cs_status run_pass(split_job *j, int team, cs_exec_stats *stats, cs_error *err)
{
    const cs_graph *g = j->g;
    cs_exec_stats per[CS_SPLIT_MAX_TEAM];
    cs_error errs[CS_SPLIT_MAX_TEAM];
    cs_status status[CS_SPLIT_MAX_TEAM];
    bool ok = true;
    for (int w = 0; w < team; w++) {
        errs[w] = (cs_error){0};
        status[w] = CS_OK;
        ok = (stats_open(&per[w], g->n_nodes) || !stats) && ok;
    }
    j->stats = stats ? per : NULL, j->errs = errs, j->status = status;
    if (ok)
        cs_parallel_team(team, split_worker, j);
    cs_status st = ok ? team_status(j, team, err) : cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", g->path);
    if (st == CS_OK && stats)
        stats_merge(stats, per, team);
    for (int w = 0; w < team; w++)
        cs_exec_stats_free(&per[w]);
    return st;
}

/* Frees pooled buffers larger than a sub-batch's peak (left by whole-batch runs) in the pools no run holds. */
static void drop_whole_batch_buffers(const cs_plan *plan, size_t bytes)
{
    cs_plan *p = (cs_plan *)plan;
    for (int i = 0; i < CS_PLAN_POOLS; i++) {
        cs_bufpool *pool = atomic_exchange(&p->pools[i], NULL);
        cs_bufpool_drop_over(pool, bytes);
        pool_return(plan, pool);
    }
}

/* The batch in sub-batches. A plan that has not run yet first runs sample 0 alone, which tells the activation
 * peak per sample that plan_split weighs; the rest then runs as planned (whole, as one pass, where the graph is
 * better so). *fits false: an output did not carry the batch, nothing was produced, the caller runs it whole. */
static cs_status run_split(split_job *j, cs_exec_stats *stats, bool *fits, cs_error *err)
{
    const cs_graph *g = j->g;
    for (int i = 0; i < g->n_outputs; i++)
        j->outputs[i] = NULL;
    double t0 = now_ms();
    cs_status st = stats && !stats_open(stats, g->n_nodes) ? cs_error_set(err, CS_ERR_NOMEM, "out of memory") : CS_OK;
    j->begin = 0, j->end = j->batch;
    if (st == CS_OK && atomic_load(&j->plan->sample_peak) == 0) {
        j->end = 1, j->rows = 1;
        st = run_pass(j, 1, stats, err);
        j->begin = 1, j->end = j->batch;
    }
    split_plan sp = plan_split(j->plan, j->batch);
    if (sp.rows < j->batch)
        drop_whole_batch_buffers(j->plan, atomic_load(&j->plan->sample_peak) * (size_t)sp.rows);
    j->rows = sp.rows < j->end - j->begin ? sp.rows : j->end - j->begin;
    int64_t chunks = (j->end - j->begin + j->rows - 1) / j->rows;
    int team = chunks < sp.team ? (int)chunks : sp.team;
    if (st == CS_OK && !atomic_load(&j->misfit) && j->begin < j->end)
        st = run_pass(j, team < CS_SPLIT_MAX_TEAM ? team : CS_SPLIT_MAX_TEAM, stats, err);
    *fits = !atomic_load(&j->misfit);
    if (stats)
        stats->total_ms = now_ms() - t0;
    if (st != CS_OK || !*fits) {
        for (int i = 0; i < g->n_outputs; i++) {
            cs_tensor_free(j->outputs[i]);
            j->outputs[i] = NULL;
        }
        if (stats)
            cs_exec_stats_free(stats);
    }
    return st;
}

/* A plan's first run probes one sample (run_split) only where the inputs alone pass PROBE_MIN_INPUT: smaller
 * batches run whole, and tell the next run the per-sample peak. */
#define PROBE_MIN_INPUT ((size_t)1 << 20)

static bool worth_probing(const cs_graph *g, const cs_tensor *const *inputs)
{
    size_t bytes = 0;
    for (int i = 0; i < g->n_inputs; i++)
        bytes += inputs[i]->nbytes;
    return bytes >= PROBE_MIN_INPUT;
}

/* A top-level run without an observer: in sub-batches where the graph allows and the batch is large (a plan's
 * first run at a large batch probes one sample first, see run_split). */
static cs_status run_top(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, cs_tensor **outputs,
                         const cs_exec_opts *opts, bool shapes_only, cs_exec_stats *stats, cs_error *err)
{
    int64_t batch = inputs ? common_batch(g, inputs) : -1;
    bool may = batch > 1 && cs_kernels_fast() && (!opts || !opts->observer) && g->n_inputs <= CS_BATCH_MAX_INPUTS &&
               g->n_outputs <= CS_BATCH_MAX_OUTPUTS;
    bool known = may && atomic_load(&plan->sample_peak) != 0;
    bool wanted = may && (known ? plan_split(plan, batch).rows < batch : worth_probing(g, inputs));
    if (wanted && cs_batch_separable(g, plan->order, plan->n_order, inputs)) { /* the graph walked only then */
        split_job j = {g, plan, inputs, batch, batch, 0, batch, outputs, opts, shapes_only, NULL, NULL, NULL,
                       false, false, PTHREAD_MUTEX_INITIALIZER};
        bool fits;
        cs_status st = run_split(&j, stats, &fits, err);
        pthread_mutex_destroy(&j.place_mu);
        if (st != CS_OK || fits)
            return st;
    }
    return exec_run(g, plan, inputs, NULL, outputs, opts, NULL, shapes_only, stats, err);
}

cs_status cs_exec_run(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, cs_tensor **outputs,
                      const cs_exec_opts *opts, cs_exec_stats *stats, cs_error *err)
{
    return run_top(g, plan, inputs, outputs, opts, false, stats, err);
}

cs_status cs_exec_run_shapes(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, cs_tensor **outputs,
                             const cs_exec_opts *opts, cs_exec_stats *stats, cs_error *err)
{
    return run_top(g, plan, inputs, outputs, opts, true, stats, err);
}

cs_status cs_exec_run_observing(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs,
                                cs_tensor **outputs, const cs_exec_opts *opts, const bool *observe,
                                cs_exec_stats *stats, cs_error *err)
{
    return exec_run(g, plan, inputs, NULL, outputs, opts, observe, false, stats, err);
}

cs_status cs_exec_subgraph(const cs_graph *sub, const cs_plan *plan, const cs_tensor *const *inputs,
                           const cs_tensor *const *captured, cs_tensor **outputs, cs_error *err)
{
    return exec_run(sub, plan, inputs, captured, outputs, NULL, NULL, false, NULL, err);
}

void cs_exec_stats_free(cs_exec_stats *stats)
{
    if (!stats)
        return;
    free(stats->node_ms);
    stats->node_ms = NULL;
}

cs_status cs_exec_node(const cs_graph *g, int n, const cs_tensor *const *inputs, cs_tensor **outputs, cs_error *err)
{
    if (n < 0 || n >= g->n_nodes)
        return cs_error_set(err, CS_ERR_ARG, "%s: node %d does not exist", g->path, n);
    return cs_exec_node_as(g, &g->nodes[n], inputs, outputs, err);
}

cs_status cs_exec_node_as(const cs_graph *g, const cs_node *node, const cs_tensor *const *inputs, cs_tensor **outputs,
                          cs_error *err)
{
    const cs_op_def *def = cs_ops_find(node->domain, node->op);
    if (!def)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s': unsupported op '%s'", g->path,
                            node->name && node->name[0] ? node->name : node->op, node->op);
    for (int o = 0; o < node->n_outputs; o++)
        outputs[o] = NULL;
    cs_kernel_ctx ctx = {.graph = g, .node = node, .in = inputs, .n_in = node->n_inputs, .out = outputs,
                         .n_out = node->n_outputs, .opset = g->opset, .err = err, .sub = &subgraphs};
    cs_status st = op_takes_values(node) ? CS_OK : check_plain_inputs(node, inputs, err);
    if (st == CS_OK)
        st = def->run(&ctx);
    if (st == CS_OK)
        cs_precision_round_outputs(g, node, outputs);
    if (st != CS_OK) {
        for (int o = 0; o < node->n_outputs; o++) {
            cs_tensor_free(outputs[o]);
            outputs[o] = NULL;
        }
        cs_error_prefix(err, "%s: ", g->path);
    }
    return st;
}
