/* probe.c — captures a first divergent pair's inputs and outputs by re-running both models, runs B's group
 * on A's input and A's group with one change, and measures a hypothesis against what B computed. */
#include "probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"

static bool in_group(const cs_graph *g, const int *layers, int n, int node)
{
    if (node < 0)
        return false;
    for (int i = 0; i < n; i++)
        if (layers[i] == g->nodes[node].layer)
            return true;
    return false;
}

static int pair_with_b_output(const cs_diff_result *r, int value)
{
    for (int q = 0; q < r->matching->n_pairs; q++)
        if (r->layers[q].b_value == value && r->layers[q].a_value >= 0)
            return q;
    return -1;
}

/* Marks every value the nodes of a group read or write. */
static void want_group(const cs_graph *g, const int *layers, int n, bool *want)
{
    for (int i = 0; i < n; i++) {
        const cs_layer *l = &g->layers[layers[i]];
        for (int k = 0; k < l->n_nodes; k++) {
            const cs_node *nd = &g->nodes[l->nodes[k]];
            for (int q = 0; q < nd->n_inputs; q++)
                if (nd->inputs[q] >= 0 && !g->values[nd->inputs[q]].data)
                    want[nd->inputs[q]] = true;
            for (int q = 0; q < nd->n_outputs; q++)
                if (nd->outputs[q] >= 0)
                    want[nd->outputs[q]] = true;
        }
    }
}

typedef struct grab {
    const bool *want;
    cs_tensor **vals;
    int missing;          /* wanted values not captured yet: the run stops once it reaches 0 */
    volatile int stop;
} grab;

static void grab_value(void *user, const cs_graph *g, int node, int value, const cs_tensor *t)
{
    (void)g, (void)node;
    grab *c = user;
    if (value >= 0 && c->want[value] && !c->vals[value]) {
        c->vals[value] = cs_tensor_clone(t, NULL);
        if (--c->missing <= 0)
            c->stop = 1;
    }
}

/* Runs g to capture the wanted values; a failing run (B broken by the fault) keeps what it computed. */
static void capture(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *in, const bool *want,
                    cs_tensor **vals)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (want[g->inputs[i]] && in[i])
            vals[g->inputs[i]] = cs_tensor_clone(in[i], NULL);
    cs_tensor **outs = calloc((size_t)g->n_outputs + 1, sizeof *outs);
    grab c = {want, vals, 0, 0};
    for (int v = 0; v < g->n_values; v++)
        c.missing += want[v] && !vals[v] && !g->values[v].data;
    cs_exec_opts eo = {grab_value, &c, &c.stop};
    cs_error err;
    if (outs)
        (void)cs_exec_run(g, plan, in, outs, &eo, NULL, &err);
    for (int i = 0; outs && i < g->n_outputs; i++)
        cs_tensor_free(outs[i]);
    free(outs);
}

static bool group_reads_input(const cs_graph *g, const int *layers, int n)
{
    for (int i = 0; i < g->n_inputs; i++)
        for (int l = 0; l < n; l++) {
            const cs_layer *L = &g->layers[layers[l]];
            for (int k = 0; k < L->n_nodes; k++) {
                const cs_node *nd = &g->nodes[L->nodes[k]];
                for (int q = 0; q < nd->n_inputs; q++)
                    if (nd->inputs[q] == g->inputs[i])
                        return true;
            }
        }
    return false;
}

cs_status cs_probe_open(const cs_graph *a, const cs_graph *b, const cs_tensor *const *in_a, const cs_tensor *const *in_b,
                        const cs_diff_result *r, int pair, cs_probe *p, cs_error *err)
{
    memset(p, 0, sizeof *p);
    p->a = a, p->b = b, p->r = r, p->pair = pair;
    const cs_match_pair *mp = &r->matching->pairs[pair];
    p->a_out = r->layers[pair].a_value;
    p->b_out = r->layers[pair].b_value;
    bool *want_a = calloc((size_t)a->n_values + 1, 1), *want_b = calloc((size_t)b->n_values + 1, 1);
    p->va = calloc((size_t)a->n_values + 1, sizeof(cs_tensor *));
    p->vb = calloc((size_t)b->n_values + 1, sizeof(cs_tensor *));
    cs_status st = want_a && want_b && p->va && p->vb ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK && (p->a_out < 0 || p->b_out < 0))
        st = cs_error_set(err, CS_ERR_ARG, "the pair has no output to probe");
    if (st == CS_OK) {
        want_group(a, mp->a, mp->n_a, want_a);
        want_group(b, mp->b, mp->n_b, want_b);
        for (int v = 0; v < b->n_values; v++) {
            int q = want_b[v] ? pair_with_b_output(r, v) : -1;
            if (q >= 0)
                want_a[r->layers[q].a_value] = true;
        }
        p->reads_graph_input = group_reads_input(a, mp->a, mp->n_a);
        st = cs_plan_build(a, &p->plan_a, err);
    }
    if (st == CS_OK)
        st = cs_plan_build(b, &p->plan_b, err);
    if (st == CS_OK) {
        capture(a, p->plan_a, in_a, want_a, p->va);
        capture(b, p->plan_b, in_b, want_b, p->vb);
        p->b_local = cs_probe_run_b_on(p, -1, NULL);
    }
    free(want_a);
    free(want_b);
    return st;
}

void cs_probe_close(cs_probe *p)
{
    for (int v = 0; p->va && v < p->a->n_values; v++)
        cs_tensor_free(p->va[v]);
    for (int v = 0; p->vb && v < p->b->n_values; v++)
        cs_tensor_free(p->vb[v]);
    free(p->va);
    free(p->vb);
    cs_tensor_free(p->b_local);
    cs_plan_free(p->plan_a);
    cs_plan_free(p->plan_b);
    memset(p, 0, sizeof *p);
}

typedef struct local_vals {
    cs_tensor **t;
    int n;
} local_vals;

static void local_free(local_vals *l, const cs_tensor *keep)
{
    for (int v = 0; l->t && v < l->n; v++)
        if (l->t[v] != keep)
            cs_tensor_free(l->t[v]);
    free(l->t);
}

/* Stores a node's outputs; false when the node failed. */
static bool run_node(const cs_graph *g, const cs_node *nd, const cs_tensor *const *ins, local_vals *l)
{
    cs_tensor *outs[64] = {0};
    cs_error err;
    if (nd->n_outputs > 64 || cs_exec_node_as(g, nd, ins, outs, &err) != CS_OK)
        return false;
    for (int o = 0; o < nd->n_outputs; o++) {
        int v = nd->outputs[o];
        if (v >= 0 && !l->t[v])
            l->t[v] = outs[o];
        else
            cs_tensor_free(outs[o]);
    }
    return true;
}

const cs_tensor *cs_probe_a_input(const cs_probe *p, int node, int i)
{
    const cs_node *nd = &p->a->nodes[node];
    if (i < 0 || i >= nd->n_inputs || nd->inputs[i] < 0)
        return NULL;
    int v = nd->inputs[i];
    return p->a->values[v].data ? p->a->values[v].data : p->va[v];
}

/* Node n of g as the patch has it (attrs, op, input order); `order` receives its input value indices. */
static cs_node patched_node(const cs_graph *g, int n, const cs_probe_patch *patch, int *order)
{
    cs_node nd = g->nodes[n];
    bool patched = patch && patch->node == n;
    if (patched && patch->attrs)
        nd.attrs = *patch->attrs;
    if (patched && patch->op)
        nd.op = (char *)patch->op;
    for (int i = 0; i < nd.n_inputs && i < 64; i++)
        order[i] = g->nodes[n].inputs[patched && patch->order ? patch->order[i] : i];
    nd.inputs = order;
    return nd;
}

cs_tensor *cs_probe_run_a(const cs_probe *p, const cs_probe_patch *patch)
{
    const cs_graph *g = p->a;
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    local_vals l = {calloc((size_t)g->n_values + 1, sizeof(cs_tensor *)), g->n_values};
    bool ok = l.t != NULL;
    for (int s = 0; ok && s < p->plan_a->n_order; s++) {
        int n = p->plan_a->order[s];
        if (!in_group(g, mp->a, mp->n_a, n))
            continue;
        int order[64];
        const cs_tensor *ins[64] = {0};
        if (g->nodes[n].n_inputs > 64) {
            ok = false;
            break;
        }
        cs_node nd = patched_node(g, n, patch, order);
        bool patched = patch && patch->node == n;
        for (int i = 0; ok && i < nd.n_inputs; i++) {
            int v = order[i];
            if (patched && patch->tensor && patch->input == i)
                ins[i] = patch->tensor;
            else if (v >= 0)
                ins[i] = g->values[v].data ? g->values[v].data : l.t[v] ? l.t[v] : p->va[v];
            if (v >= 0 && !ins[i])
                ok = false;
        }
        ok = ok && run_node(g, &nd, ins, &l);
    }
    cs_tensor *out = ok ? l.t[p->a_out] : NULL;
    local_free(&l, out);
    return out;
}

/* B's external input v: A's matching activation in B's layout when one exists, else B's own value. */
static const cs_tensor *b_input(const cs_probe *p, int v, local_vals *owned)
{
    int q = pair_with_b_output(p->r, v);
    if (q >= 0 && p->va[p->r->layers[q].a_value] && p->vb[v]) {
        int av = p->r->layers[q].a_value;
        owned->t[v] = cs_align_from(p->va[av], p->a->values[av].layout, p->vb[v], p->b->values[v].layout);
        return owned->t[v];
    }
    return p->vb[v];
}

static cs_tensor *run_b(const cs_probe *p, int graph_input, const cs_tensor *input, const cs_probe_patch *patch)
{
    const cs_graph *g = p->b;
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    local_vals l = {calloc((size_t)g->n_values + 1, sizeof(cs_tensor *)), g->n_values};
    local_vals ext = {calloc((size_t)g->n_values + 1, sizeof(cs_tensor *)), g->n_values};
    bool ok = l.t && ext.t;
    for (int s = 0; ok && s < p->plan_b->n_order; s++) {
        int n = p->plan_b->order[s];
        if (!in_group(g, mp->b, mp->n_b, n))
            continue;
        int order[64];
        const cs_tensor *ins[64] = {0};
        ok = g->nodes[n].n_inputs <= 64;
        cs_node nd = ok ? patched_node(g, n, patch, order) : g->nodes[n];
        for (int i = 0; ok && i < nd.n_inputs; i++) {
            int v = order[i];
            if (v < 0)
                continue;
            ins[i] = g->values[v].data ? g->values[v].data
                     : l.t[v]          ? l.t[v]
                     : v == graph_input ? input
                     : ext.t[v]        ? ext.t[v]
                                       : b_input(p, v, &ext);
            ok = ins[i] != NULL;
        }
        ok = ok && run_node(g, &nd, ins, &l);
    }
    cs_tensor *out = ok ? l.t[p->b_out] : NULL;
    local_free(&l, out);
    local_free(&ext, NULL);
    return out;
}

cs_tensor *cs_probe_run_b_on(const cs_probe *p, int graph_input, const cs_tensor *input)
{
    return run_b(p, graph_input, input, NULL);
}

cs_tensor *cs_probe_run_b(const cs_probe *p, const cs_probe_patch *patch)
{
    return run_b(p, -1, NULL, patch);
}

static double rel_residual(const cs_tensor *x, const cs_tensor *y)
{
    int64_t n = cs_tensor_numel(x);
    if (n != cs_tensor_numel(y) || n == 0)
        return INFINITY;
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = cs_tensor_get_f64(x, i), b = cs_tensor_get_f64(y, i);
        if (isnan(a) != isnan(b))
            return INFINITY;
        if (isnan(a))
            continue;
        num += (a - b) * (a - b), den += b * b;
    }
    return den > 0 ? sqrt(num / den) : sqrt(num / (double)n);
}

static bool same_dims(const cs_tensor *x, const cs_tensor *y)
{
    return x->rank == y->rank && memcmp(x->dims, y->dims, sizeof(int64_t) * (size_t)x->rank) == 0;
}

double cs_probe_residual(const cs_probe *p, const cs_tensor *h, bool h_is_a, const cs_tensor *ref, bool ref_is_a)
{
    if (!h || !ref)
        return INFINITY;
    if (h_is_a == ref_is_a)
        return same_dims(h, ref) ? rel_residual(h, ref) : INFINITY;
    const cs_tensor *x = h_is_a ? h : ref, *y = h_is_a ? ref : h; /* x on A's side, y on B's */
    char desc[96];
    cs_tensor *y2 = cs_align_to(x, p->a->values[p->a_out].layout, y, p->b->values[p->b_out].layout, desc,
                                sizeof desc);
    if (!y2)
        return INFINITY;
    double res = h_is_a ? rel_residual(x, y2) : rel_residual(y2, x);
    cs_tensor_free(y2);
    return res;
}
