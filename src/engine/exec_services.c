/* exec_services.c — capture of chosen values during a run, and re-running a node subset on supplied inputs
 * (the isolation the diff uses to tell a faulty layer from an inherited error). */
#include "exec_services.h"

#include <stdlib.h>
#include <string.h>

void cs_capture_observe(void *user, const cs_graph *g, int node, int value, const cs_tensor *t)
{
    (void)g, (void)node;
    cs_capture *c = user;
    if (!c->wanted[value] || c->values[value])
        return;
    c->values[value] = cs_tensor_clone(t, NULL);
    c->failed = c->failed || !c->values[value];
}

cs_status cs_exec_capture(const cs_graph *g, const cs_plan *plan, const cs_tensor *const *inputs, cs_capture *c,
                          cs_tensor **outputs, volatile int *cancel, cs_error *err)
{
    cs_exec_opts eo = {cs_capture_observe, c, cancel};
    /* only the wanted values are observed: the fast path fuses and keeps its layout everywhere else */
    cs_status st = cs_exec_run_observing(g, plan, inputs, outputs, &eo, c->wanted, NULL, err);
    for (int i = 0; st == CS_OK && i < g->n_inputs; i++) {
        int v = g->inputs[i];
        if (c->wanted[v] && !c->values[v] && !(c->values[v] = cs_tensor_clone(inputs[i], NULL)))
            c->failed = true;
    }
    if (st == CS_OK && c->failed)
        st = cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory keeping activations", g->path);
    return st;
}

typedef struct subset_run {
    const cs_graph *g;
    cs_tensor **local;     /* per value */
    bool *owned;
    cs_value_source_fn source;
    void *user;
} subset_run;

static cs_status bind_inputs(subset_run *sr, const cs_node *node, const cs_tensor **ins, cs_error *err)
{
    for (int i = 0; i < node->n_inputs; i++) {
        int v = node->inputs[i];
        ins[i] = NULL;
        if (v < 0)
            continue;
        if (sr->g->values[v].data)
            ins[i] = sr->g->values[v].data;
        else if (sr->local[v])
            ins[i] = sr->local[v];
        else if ((sr->local[v] = sr->source(sr->user, v, &sr->owned[v])))
            ins[i] = sr->local[v];
        else
            return cs_error_set(err, CS_ERR_ARG, "%s: node '%s' (%s): no tensor for its input '%s'", sr->g->path,
                                node->name, node->op, sr->g->values[v].name);
    }
    return CS_OK;
}

static cs_status run_one(subset_run *sr, int n, cs_error *err)
{
    const cs_node *node = &sr->g->nodes[n];
    const cs_tensor *ins[64];
    cs_tensor *outs[64] = {0};
    if (node->n_inputs > 64 || node->n_outputs > 64)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: node '%s' has too many inputs or outputs", sr->g->path,
                            node->name);
    cs_status st = bind_inputs(sr, node, ins, err);
    if (st == CS_OK)
        st = cs_exec_node(sr->g, n, ins, outs, err);
    for (int o = 0; st == CS_OK && o < node->n_outputs; o++) {
        int v = node->outputs[o];
        if (v >= 0 && !sr->local[v]) {
            sr->local[v] = outs[o];
            sr->owned[v] = true;
        } else {
            cs_tensor_free(outs[o]);
        }
    }
    return st;
}

cs_status cs_exec_subset(const cs_graph *g, const cs_plan *plan, const bool *in_subset, cs_value_source_fn source,
                         void *user, int out_value, cs_tensor **out, cs_error *err)
{
    *out = NULL;
    if (out_value < 0 || out_value >= g->n_values)
        return cs_error_set(err, CS_ERR_ARG, "%s: the subset has no output value", g->path);
    subset_run sr = {g, calloc((size_t)g->n_values + 1, sizeof(cs_tensor *)), calloc((size_t)g->n_values + 1, 1),
                     source, user};
    cs_status st = sr.local && sr.owned ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", g->path);
    for (int p = 0; st == CS_OK && p < plan->n_order; p++)
        if (in_subset[plan->order[p]])
            st = run_one(&sr, plan->order[p], err);
    if (st == CS_OK && !sr.local[out_value])
        st = cs_error_set(err, CS_ERR_ARG, "%s: the subset does not compute '%s'", g->path, g->values[out_value].name);
    if (st == CS_OK) {
        *out = sr.owned[out_value] ? sr.local[out_value] : cs_tensor_clone(sr.local[out_value], err);
        if (!*out)
            st = err ? err->status : CS_ERR_NOMEM;
    }
    for (int v = 0; sr.local && sr.owned && v < g->n_values; v++)
        if (sr.owned[v] && sr.local[v] != *out)
            cs_tensor_free(sr.local[v]);
    free(sr.local);
    free(sr.owned);
    return st;
}
