/* report_diff.c — the diff report as JSON: the verdict, the first divergence with its blame, every matched
 * pair's figures and verdict, the unmatched layers and the final outputs. Verdicts come from diff/verdict.h. */
#include "report.h"

#include <math.h>

#include "../precision.h"

static json_t *names_json(const cs_graph *g, const int *layers, int n)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_string(g->layers[layers[i]].name));
    return arr;
}

static json_t *weights_json(const cs_weight_cmp *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", w->compared ? json_string(cs_weight_status_name(w->code)) : json_null());
    json_object_set_new(o, "max_abs", cs_json_num(w->compared, w->max_abs));
    json_object_set_new(o, "alignment", json_string(w->alignment));
    return o;
}

/* The scale-aware metrics of one comparison (README "Diff metrics"): max abs, max abs relative to the
 * reference's scale, the scale, cosine, SQNR in dB ("inf" when identical), the fraction outside the elementwise
 * tolerance and the NaN/Inf counts on each side. */
static void metrics_json(json_t *o, const cs_act_stats *st)
{
    bool c = st->compared;
    json_object_set_new(o, "max_abs", cs_json_num(c, st->max_abs));
    json_object_set_new(o, "rel_max", cs_json_num(c, st->rel_max));
    json_object_set_new(o, "ref_scale", cs_json_num(c, st->ref_scale));
    json_object_set_new(o, "cosine", cs_json_num(c, st->cosine));
    json_object_set_new(o, "sqnr_db", c && isinf(st->sqnr_db) && st->sqnr_db > 0 ? json_string("inf")
                                                                               : cs_json_num(c, st->sqnr_db));
    json_object_set_new(o, "frac_outside", cs_json_num(c, st->frac_outside));
    json_object_set_new(o, "nan", c ? json_pack("{s:I,s:I}", "a", (json_int_t)st->nan_a, "b", (json_int_t)st->nan_b)
                                    : json_null());
    json_object_set_new(o, "inf", c ? json_pack("{s:I,s:I}", "a", (json_int_t)st->inf_a, "b", (json_int_t)st->inf_b)
                                    : json_null());
    json_object_set_new(o, "within", c ? json_boolean(st->within) : json_null());
}

/* The local (isolated) error against its noise floor and the error carried in from earlier layers. */
static void local_json(json_t *o, const cs_layer_diff *ld)
{
    json_object_set_new(o, "local_max_abs", cs_json_num(ld->local.compared, ld->local.max_abs));
    json_object_set_new(o, "local_rel_max", cs_json_num(ld->local.compared, ld->local.rel_max));
    json_object_set_new(o, "local_noise_floor", cs_json_num(ld->local.compared && ld->noise_floor > 0, ld->noise_floor));
    json_object_set_new(o, "inherited_max_abs", cs_json_num(ld->inherited >= 0, ld->inherited));
}

static json_t *layer_json(const cs_graph *a, const cs_graph *b, const cs_diff_result *r, int p)
{
    const cs_match_pair *pair = &r->matching->pairs[p];
    const cs_layer_diff *ld = &r->layers[p];
    json_t *o = json_object();
    bool c = ld->act.compared;
    json_object_set_new(o, "a", names_json(a, pair->a, pair->n_a));
    json_object_set_new(o, "b", names_json(b, pair->b, pair->n_b));
    json_object_set_new(o, "evidence", json_string(pair->evidence));
    json_object_set_new(o, "confidence", json_real(pair->confidence));
    json_object_set_new(o, "verdict", json_string(cs_pair_verdict_name(cs_pair_verdict_of(r, p))));
    metrics_json(o, &ld->act);
    json_object_set_new(o, "max_abs_index", c ? json_integer(ld->act.max_index) : json_null());
    json_object_set_new(o, "mean_abs", cs_json_num(c, ld->act.mean_abs));
    json_object_set_new(o, "rmse", cs_json_num(c, ld->act.rmse));
    json_object_set_new(o, "max_rel", cs_json_num(c, ld->act.max_rel));
    json_object_set_new(o, "nmse", cs_json_num(c, ld->act.nmse));
    local_json(o, ld);
    json_object_set_new(o, "alignment", json_string(ld->act.alignment));
    json_object_set_new(o, "within", json_boolean(ld->within));
    json_object_set_new(o, "weights", weights_json(&ld->weights));
    return o;
}

static json_t *first_json(const cs_graph *a, const cs_graph *b, const cs_diff_result *r)
{
    int p = r->first_divergence;
    if (p < 0)
        return json_null();
    const cs_match_pair *pair = &r->matching->pairs[p];
    const cs_layer_diff *ld = &r->layers[p];
    cs_pair_verdict v = cs_pair_verdict_of(r, p);
    json_t *fd = json_object();
    json_object_set_new(fd, "a_layer", json_string(pair->n_a ? a->layers[pair->a[0]].name : ""));
    json_object_set_new(fd, "b_layer", json_string(pair->n_b ? b->layers[pair->b[0]].name : ""));
    json_object_set_new(fd, "a_layers", names_json(a, pair->a, pair->n_a));
    json_object_set_new(fd, "b_layers", names_json(b, pair->b, pair->n_b));
    json_object_set_new(fd, "verdict", json_string(cs_pair_verdict_name(v)));
    json_object_set_new(fd, "max_abs", cs_json_num(ld->act.compared, ld->act.max_abs));
    json_object_set_new(fd, "rel_max", cs_json_num(ld->act.compared, ld->act.rel_max));
    json_object_set_new(fd, "reason", json_string(v == CS_PAIR_WEIGHTS_DIFFER ? "weights differ"
                                                  : v == CS_PAIR_DIVERGE ? "values differ" : ld->act.alignment));
    local_json(fd, ld);
    json_object_set_new(fd, "blame", json_string(cs_blame_name(cs_pair_blame(r, p))));
    json_object_set_new(fd, "cause", cs_report_cause(&r->cause));
    return fd;
}

static json_t *final_json(const cs_diff_result *r)
{
    json_t *f = json_object();
    metrics_json(f, &r->final);
    json_object_set_new(f, "note", r->final_note[0] ? json_string(r->final_note) : json_null());
    json_object_set_new(f, "top1_agree", r->has_top ? json_boolean(r->a_top1 == r->b_top1) : json_null());
    json_object_set_new(f, "top5_overlap", r->has_top ? json_integer(r->top5_overlap) : json_null());
    json_object_set_new(f, "a_top1", r->has_top ? json_integer(r->a_top1) : json_null());
    json_object_set_new(f, "b_top1", r->has_top ? json_integer(r->b_top1) : json_null());
    return f;
}

json_t *cs_report_diff(const cs_graph *a, const cs_graph *b, const cs_compare *c)
{
    const cs_diff_result *r = c->diff;
    json_t *root = json_object(), *layers = json_array();
    json_object_set_new(root, "verdict", json_string(cs_verdict_name(cs_diff_verdict(r))));
    json_object_set_new(root, "precision",
                        cs_diff_verdict(r) == CS_VERDICT_PRECISION ? json_string(r->precision) : json_null());
    json_object_set_new(root, "input", c->weights_only ? json_null() : json_string(c->spec));
    json_object_set_new(root, "precision_a", json_string(cs_precision_describe(a)));
    json_object_set_new(root, "precision_b", json_string(cs_precision_describe(b)));
    json_object_set_new(root, "first_divergence", first_json(a, b, r));
    if (r->b_failed)
        json_object_set_new(root, "b_error", json_string(r->b_error));
    for (int p = 0; p < r->matching->n_pairs; p++)
        json_array_append_new(layers, layer_json(a, b, r, p));
    json_object_set_new(root, "layers", layers);
    json_object_set_new(root, "unmatched_a", names_json(a, r->matching->unmatched_a, r->matching->n_unmatched_a));
    json_object_set_new(root, "unmatched_b", names_json(b, r->matching->unmatched_b, r->matching->n_unmatched_b));
    if (r->final.compared)
        json_object_set_new(root, "final", final_json(r));
    return root;
}
