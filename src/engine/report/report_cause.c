/* report_cause.c — the cause of a first divergence as JSON, and the diff as Google Model Explorer node data
 * (GraphNodeData: {"results": {node: {"value", "bgColor"}}, "thresholds": [...]}) for laying over either graph. */
#include <string.h>

#include "report.h"

json_t *cs_report_cause(const cs_cause *c)
{
    if (!c->found)
        return json_null();
    json_t *o = json_object(), *ev = json_object();
    json_object_set_new(o, "kind", json_string(c->kind));
    json_object_set_new(o, "attribute", c->attribute[0] ? json_string(c->attribute) : json_null());
    json_object_set_new(o, "a", json_string(c->a));
    json_object_set_new(o, "b", json_string(c->b));
    json_object_set_new(ev, "residual", cs_json_num(c->residual >= 0, c->residual));
    json_object_set_new(ev, "runner_up", c->runner_up[0] ? json_string(c->runner_up) : json_null());
    json_object_set_new(ev, "runner_up_residual", cs_json_num(c->runner_up_residual >= 0, c->runner_up_residual));
    json_object_set_new(ev, "text", json_string(c->evidence));
    json_object_set_new(o, "evidence", ev);
    json_object_set_new(o, "summary", json_string(c->summary));
    return o;
}

/* Colours by pair verdict: the first divergence red, later divergences orange, agreeing layers green. */
static const char *colour(const cs_diff_result *r, int p)
{
    if (p == r->first_divergence)
        return "#e53935";
    return cs_pair_verdict_diverges(cs_pair_verdict_of(r, p)) ? "#fb8c00" : "#43a047";
}

static void put(json_t *results, const char *key, double value, const char *bg)
{
    if (!key || !key[0] || json_object_get(results, key))
        return;
    json_t *o = json_object();
    json_object_set_new(o, "value", json_real(value));
    json_object_set_new(o, "bgColor", json_string(bg));
    json_object_set_new(results, key, o);
}

json_t *cs_report_node_data(const cs_graph *g, const cs_diff_result *r, bool side_b)
{
    json_t *root = json_object(), *results = json_object(), *th = json_array();
    for (int p = 0; p < r->matching->n_pairs; p++) {
        const cs_match_pair *pair = &r->matching->pairs[p];
        const cs_layer_diff *ld = &r->layers[p];
        const int *layers = side_b ? pair->b : pair->a;
        int n = side_b ? pair->n_b : pair->n_a;
        /* the value is the pair's max abs activation difference (-1 when it was not compared) */
        double v = ld->act.compared ? ld->act.max_abs : -1;
        for (int i = 0; i < n; i++) {
            const cs_layer *l = &g->layers[layers[i]];
            put(results, l->name, v, colour(r, p));
            for (int k = 0; k < l->n_nodes; k++) /* Model Explorer keys ONNX graphs by node name */
                put(results, g->nodes[l->nodes[k]].name, v, colour(r, p));
        }
    }
    json_object_set_new(root, "results", results);
    json_object_set_new(root, "thresholds", th);
    /* convscope's own key (Model Explorer reads results/thresholds and ignores the rest): the named cause */
    json_object_set_new(root, "convscope_cause", cs_report_cause(&r->cause));
    return root;
}
