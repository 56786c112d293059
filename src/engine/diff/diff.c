/* diff.c — orchestrates a diff: matching, weight comparison, one observed run of each model that
 * captures only the values the comparison needs, per-pair activation metrics, first divergence and
 * the isolated (local) error of each converted layer. */
#include "diff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exec_services.h"
#include "cause.h"
#include "verdict.h"

void cs_diff_opts_default(cs_diff_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->rtol = 1e-4;
    opts->atol = 1e-5;
}

static bool status_diverges(cs_layer_status s);

/* A's run keeping the wanted values. */
static cs_status run_capture(const cs_graph *g, const cs_plan *given, const cs_tensor *const *inputs,
                             const bool *wanted, cs_tensor **values, cs_tensor **outputs, volatile int *cancel,
                             cs_error *err)
{
    cs_plan *plan = NULL;
    cs_capture c = {wanted, values, false};
    cs_status st = given ? CS_OK : cs_plan_build(g, &plan, err);
    if (st == CS_OK)
        st = cs_exec_capture(g, given ? given : plan, inputs, &c, outputs, cancel, err);
    cs_plan_free(plan);
    return st;
}

/* ---- per-pair comparison ---- */

static void tolerance_for(const cs_graph *a, const cs_match_pair *pair, const cs_diff_opts *o, double *rtol,
                          double *atol)
{
    *rtol = o->rtol;
    *atol = o->atol;
    for (int k = 0; k < o->n_overrides; k++)
        for (int i = 0; i < pair->n_a; i++)
            if (strcmp(o->overrides[k].layer, a->layers[pair->a[i]].name) == 0) {
                *rtol = o->overrides[k].rtol;
                *atol = o->overrides[k].atol;
            }
}

static void compare_act(const cs_graph *a, const cs_graph *b, const cs_tensor *ta, const cs_tensor *tb, int va,
                        int vb, double rtol, double atol, cs_act_stats *st, cs_tensor **keep_a, cs_tensor **keep_b)
{
    memset(st, 0, sizeof *st);
    if (!ta || !tb) {
        snprintf(st->alignment, sizeof st->alignment, "not computed");
        return;
    }
    int perm[CS_MAX_RANK], rank;
    bool identity = !(keep_a && keep_b) && cs_align_find(ta, a->values[va].layout, tb, b->values[vb].layout, perm,
                                                         &rank, st->alignment, sizeof st->alignment);
    for (int i = 0; identity && i < rank; i++)
        identity = perm[i] == i;
    if (identity && cs_tensor_numel(ta) == cs_tensor_numel(tb)) { /* same element order: no aligned copy */
        char desc[96];
        snprintf(desc, sizeof desc, "%s", st->alignment);
        cs_act_compare(ta, tb, rtol, atol, st);
        snprintf(st->alignment, sizeof st->alignment, "%s", desc);
        return;
    }
    cs_tensor *aligned = cs_align_to(ta, a->values[va].layout, tb, b->values[vb].layout, st->alignment,
                                     sizeof st->alignment);
    if (!aligned) {
        st->shapes_differ = cs_tensor_numel(ta) != cs_tensor_numel(tb);
        if (st->shapes_differ && keep_a && keep_b) { /* both kept as computed: a client shows the two shapes */
            *keep_a = cs_tensor_clone(ta, NULL);
            *keep_b = cs_tensor_clone(tb, NULL);
        }
        return;
    }
    char desc[96];
    snprintf(desc, sizeof desc, "%s", st->alignment);
    cs_act_compare(ta, aligned, rtol, atol, st);
    snprintf(st->alignment, sizeof st->alignment, "%s", desc);
    if (keep_a && keep_b) {
        *keep_a = cs_tensor_clone(ta, NULL);
        *keep_b = aligned;
    } else {
        cs_tensor_free(aligned);
    }
}

static void top_classes(const cs_tensor *t, int *top, int k)
{
    int64_t n = cs_tensor_numel(t);
    for (int j = 0; j < k; j++) {
        top[j] = -1;
        for (int64_t i = 0; i < n; i++) {
            bool taken = false;
            for (int q = 0; q < j; q++)
                taken = taken || top[q] == i;
            if (!taken && (top[j] < 0 || cs_tensor_get_f64(t, i) > cs_tensor_get_f64(t, top[j])))
                top[j] = (int)i;
        }
    }
}

static void compare_final_values(const cs_graph *a, const cs_graph *b, cs_tensor *oa, cs_tensor *ob,
                                 const cs_diff_opts *o, cs_diff_result *r);

/* Whether t holds probabilities: every element in [0,1] and each row of the last axis summing to 1. */
static bool is_probabilities(const cs_tensor *t)
{
    int64_t n = cs_tensor_numel(t), w = t->rank > 0 ? t->dims[t->rank - 1] : n;
    if (n < 2 || w < 2 || !cs_dtype_is_float(t->dtype))
        return false;
    for (int64_t row = 0; row + w <= n; row += w) {
        double sum = 0;
        for (int64_t i = row; i < row + w; i++) {
            double x = cs_tensor_get_f64(t, i);
            if (!(x >= 0 && x <= 1))
                return false;
            sum += x;
        }
        if (fabs(sum - 1) > 1e-3)
            return false;
    }
    return true;
}

/* A copy of t with a softmax over its last axis (NULL on failure). */
static cs_tensor *softmax_last(const cs_tensor *t)
{
    cs_tensor *o = cs_tensor_new_like(t, CS_DT_F32, NULL);
    int64_t n = cs_tensor_numel(t), w = t->rank > 0 ? t->dims[t->rank - 1] : n;
    for (int64_t row = 0; o && w > 0 && row + w <= n; row += w) {
        double mx = -INFINITY, sum = 0;
        for (int64_t i = row; i < row + w; i++)
            mx = fmax(mx, cs_tensor_get_f64(t, i));
        for (int64_t i = row; i < row + w; i++)
            sum += exp(cs_tensor_get_f64(t, i) - mx);
        for (int64_t i = row; i < row + w; i++)
            cs_tensor_set_f64(o, i, exp(cs_tensor_get_f64(t, i) - mx) / sum);
    }
    return o;
}

static void compare_final(const cs_graph *a, const cs_graph *b, cs_tensor *oa, cs_tensor *ob, const cs_diff_opts *o,
                          cs_diff_result *r)
{
    /* like for like: a converted classifier that appends a softmax (CoreML) is compared in probabilities */
    cs_tensor *sa = NULL, *sb = NULL;
    bool pa = is_probabilities(oa), pb = is_probabilities(ob);
    if (pb && !pa && (sa = softmax_last(oa)) != NULL) {
        oa = sa;
        snprintf(r->final_note, sizeof r->final_note, "A's output put through softmax to compare with B's probabilities");
    } else if (pa && !pb && (sb = softmax_last(ob)) != NULL) {
        ob = sb;
        snprintf(r->final_note, sizeof r->final_note, "B's output put through softmax to compare with A's probabilities");
    }
    compare_final_values(a, b, oa, ob, o, r);
    cs_tensor_free(sa);
    cs_tensor_free(sb);
}

static void compare_final_values(const cs_graph *a, const cs_graph *b, cs_tensor *oa, cs_tensor *ob,
                                 const cs_diff_opts *o, cs_diff_result *r)
{
    compare_act(a, b, oa, ob, a->outputs[0], b->outputs[0], o->rtol, o->atol, &r->final, NULL, NULL);
    int64_t n = cs_tensor_numel(oa);
    if (!r->final.compared || n < 2 || n > 1000000 || n != cs_tensor_numel(ob) || !cs_dtype_is_float(oa->dtype))
        return;
    int ta[5], tb[5], k = n < 5 ? (int)n : 5;
    top_classes(oa, ta, k);
    top_classes(ob, tb, k);
    r->has_top = true;
    r->a_top1 = ta[0];
    r->b_top1 = tb[0];
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            r->top5_overlap += ta[i] == tb[j];
}

/* Marks what each run must keep: pair outputs on both sides, and the external inputs of B's groups. */
static void mark_wanted(const cs_graph *a, const cs_graph *b, cs_diff_result *r, bool *want_a, bool *want_b)
{
    for (int p = 0; p < r->matching->n_pairs; p++) {
        const cs_match_pair *pair = &r->matching->pairs[p];
        cs_layer_diff *ld = &r->layers[p];
        ld->a_value = cs_layer_group_output(a, pair->a, pair->n_a);
        ld->b_value = cs_layer_group_output(b, pair->b, pair->n_b);
        if (ld->a_value >= 0)
            want_a[ld->a_value] = true;
        if (ld->b_value >= 0)
            want_b[ld->b_value] = true;
        for (int i = 0; i < pair->n_b; i++) {
            const cs_layer *l = &b->layers[pair->b[i]];
            for (int k = 0; k < l->n_nodes; k++) {
                const cs_node *node = &b->nodes[l->nodes[k]];
                for (int q = 0; q < node->n_inputs; q++)
                    if (node->inputs[q] >= 0 && !b->values[node->inputs[q]].data)
                        want_b[node->inputs[q]] = true;
            }
        }
    }
}

/* ---- streaming over B's run ----
 * A runs first and keeps its matched outputs. B then runs with an observer that compares each matched
 * output the moment B computes it, re-runs that layer on A's activation (isolation), and releases every
 * tensor whose last use has passed, so B's activations are never all held at once. */

typedef struct stream {
    const cs_graph *a, *b;
    cs_diff_result *r;
    const cs_diff_opts *o;
    const cs_plan *plan_b;
    cs_tensor **va, **vb;
    int *uses_a, *uses_b;   /* pending uses per value; the tensor is freed when it reaches 0 */
    const bool *want_b;
    int *b_first, *b_next;  /* pairs by B output value: first pair per value, next pair per pair (-1 ends) */
    bool *subset;           /* per B node: in the group being isolated */
    int last_node;          /* B's most recently computed node, -1 before the first */
    double rho;             /* relative perturbation of the isolated inputs (0: none) */
} stream;

static bool in_group(const cs_graph *g, const int *layers, int n, int node)
{
    if (node < 0) /* a graph input: produced by no node */
        return false;
    int l = g->nodes[node].layer;
    for (int i = 0; i < n; i++)
        if (layers[i] == l)
            return true;
    return false;
}

/* Indexes the compared pairs by B's output value, in pair order. */
static void index_pairs(stream *s)
{
    for (int v = 0; v < s->b->n_values; v++)
        s->b_first[v] = -1;
    for (int p = s->r->matching->n_pairs - 1; p >= 0; p--) {
        const cs_layer_diff *ld = &s->r->layers[p];
        s->b_next[p] = -1;
        if (ld->b_value < 0 || ld->a_value < 0)
            continue;
        s->b_next[p] = s->b_first[ld->b_value];
        s->b_first[ld->b_value] = p;
    }
}

/* The first compared pair whose B group outputs value (-1 when none). */
static int pair_with_b_output(const stream *s, int value)
{
    return value >= 0 ? s->b_first[value] : -1;
}

/* ---- isolation: B's layer group re-run on A's activations ---- */

/* Scales each float element by (1 + rho s), s = +-1 from a fixed sequence: the input of a rounding probe. */
static void perturb(cs_tensor *t, double rho)
{
    if (!t || !cs_dtype_is_float(t->dtype) || rho <= 0)
        return;
    uint32_t state = 2463534242u;
    int64_t n = cs_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        state ^= state << 13, state ^= state >> 17, state ^= state << 5;
        cs_tensor_set_f64(t, i, cs_tensor_get_f64(t, i) * (1 + ((state & 1) ? rho : -rho)));
    }
}

/* The tensor B's group reads for external value v: A's matching activation aligned to B's layout when a pair
 * outputs v, else B's own (either perturbed by s->rho when set). NULL: A's activation does not fit B's layer,
 * so the layer cannot be isolated. */
static cs_tensor *isolated_input(void *user, int v, bool *owned)
{
    const stream *s = user;
    *owned = false;
    int p = pair_with_b_output(s, v);
    int av = p >= 0 ? s->r->layers[p].a_value : -1;
    cs_tensor *t = NULL;
    if (p >= 0 && s->va[av] && s->vb[v]) {
        t = cs_align_from(s->va[av], s->a->values[av].layout, s->vb[v], s->b->values[v].layout);
        if (!t)
            return NULL;
    } else if (s->rho > 0 && s->vb[v]) {
        t = cs_tensor_clone(s->vb[v], NULL);
    } else {
        return s->vb[v];
    }
    perturb(t, s->rho);
    *owned = t != NULL;
    return t;
}

/* B's group of pair p run on A's activations; NULL with the reason in why when it cannot be. */
static cs_tensor *run_isolated(stream *s, const cs_match_pair *pair, int out_value, char *why, size_t size)
{
    const cs_graph *b = s->b;
    for (int n = 0; n < b->n_nodes; n++)
        s->subset[n] = in_group(b, pair->b, pair->n_b, n);
    cs_tensor *out = NULL;
    cs_error err = {0};
    if (cs_exec_subset(b, s->plan_b, s->subset, isolated_input, s, out_value, &out, &err) != CS_OK)
        snprintf(why, size, "not isolated: %.80s", err.msg);
    return out;
}

static void release(cs_tensor **vals, int *uses, int v, bool keep)
{
    if (v >= 0 && --uses[v] <= 0 && !keep) {
        cs_tensor_free(vals[v]);
        vals[v] = NULL;
    }
}

/* Calls fn for every external (computed) input value of pair p's B group. */
static void for_group_inputs(const stream *s, int p, void (*fn)(const stream *, int value, int sign), int sign)
{
    const cs_match_pair *pair = &s->r->matching->pairs[p];
    for (int i = 0; i < pair->n_b; i++) {
        const cs_layer *l = &s->b->layers[pair->b[i]];
        for (int k = 0; k < l->n_nodes; k++) {
            const cs_node *node = &s->b->nodes[l->nodes[k]];
            for (int q = 0; q < node->n_inputs; q++) {
                int v = node->inputs[q];
                if (v >= 0 && !s->b->values[v].data && !in_group(s->b, pair->b, pair->n_b, s->b->values[v].producer))
                    fn(s, v, sign);
            }
        }
    }
}

static void count_input(const stream *s, int v, int sign)
{
    int q = pair_with_b_output(s, v);
    if (sign > 0) {
        s->uses_b[v]++;
        if (q >= 0)
            s->uses_a[s->r->layers[q].a_value]++;
    } else {
        release(s->vb, s->uses_b, v, false);
        if (q >= 0)
            release(s->va, s->uses_a, s->r->layers[q].a_value, s->o->keep);
    }
}

static void count_uses(stream *s)
{
    for (int p = 0; p < s->r->matching->n_pairs; p++) {
        const cs_layer_diff *ld = &s->r->layers[p];
        if (ld->a_value < 0 || ld->b_value < 0)
            continue;
        s->uses_a[ld->a_value]++;
        s->uses_b[ld->b_value]++;
        for_group_inputs(s, p, count_input, +1);
    }
}

/* Terms summed per output element of B's group, from its stored weights: a conv kernel OIHW sums I*H*W, a
 * dense kernel its input width (numel / the larger outer dim); 1 for groups without weights. */
static double reduction_length(const cs_graph *b, const cs_match_pair *pair)
{
    double k = 1;
    for (int i = 0; i < pair->n_b; i++) {
        const cs_layer *l = &b->layers[pair->b[i]];
        for (int q = 0; q < l->n_nodes; q++) {
            const cs_node *node = &b->nodes[l->nodes[q]];
            for (int in = 0; in < node->n_inputs; in++) {
                const cs_tensor *w = node->inputs[in] >= 0 ? b->values[node->inputs[in]].data : NULL;
                if (!w || w->rank < 2 || !cs_dtype_is_float(w->dtype))
                    continue;
                int64_t outer = w->dims[0] > w->dims[w->rank - 1] ? w->dims[0] : w->dims[w->rank - 1];
                if (outer > 0 && (double)cs_tensor_numel(w) / (double)outer > k)
                    k = (double)cs_tensor_numel(w) / (double)outer;
            }
        }
    }
    return k;
}

/* A stored float16 tensor, or a value cast from one (fp16 initializers each followed by a Cast to float). */
static bool is_f16_weight(const cs_graph *b, int v)
{
    if (v < 0)
        return false;
    if (b->values[v].data)
        return b->values[v].data->dtype == CS_DT_F16;
    int prod = b->values[v].producer;
    if (prod < 0 || strcmp(b->nodes[prod].op, "Cast") != 0 || b->nodes[prod].n_inputs < 1)
        return false;
    int src = b->nodes[prod].inputs[0];
    return src >= 0 && b->values[src].data && b->values[src].data->dtype == CS_DT_F16;
}

/* Whether B's group computes with lower-precision numbers: weights that compare as fp16 rounding or
 * quantization, float16 weights (cast or not), or a float16 output. */
static bool group_low_precision(const stream *s, const cs_match_pair *pair, const cs_layer_diff *ld)
{
    if (cs_weights_precision(&ld->weights) || (s->vb[ld->b_value] && s->vb[ld->b_value]->dtype == CS_DT_F16))
        return true;
    for (int i = 0; i < pair->n_b; i++) {
        const cs_layer *l = &s->b->layers[pair->b[i]];
        for (int k = 0; k < l->n_nodes; k++) {
            const cs_node *node = &s->b->nodes[l->nodes[k]];
            for (int q = 0; q < node->n_inputs; q++)
                if (is_f16_weight(s->b, node->inputs[q]))
                    return true;
        }
    }
    return false;
}

/* The accumulated error carried into pair p: the largest max abs among the compared pairs feeding its B group. */
static double inherited_error(const stream *s, const cs_match_pair *pair)
{
    double worst = -1;
    for (int i = 0; i < pair->n_b; i++) {
        const cs_layer *l = &s->b->layers[pair->b[i]];
        for (int k = 0; k < l->n_nodes; k++) {
            const cs_node *node = &s->b->nodes[l->nodes[k]];
            for (int q = 0; q < node->n_inputs; q++) {
                int src = pair_with_b_output(s, node->inputs[q]);
                if (src >= 0 && s->r->layers[src].act.compared && s->r->layers[src].act.max_abs > worst)
                    worst = s->r->layers[src].act.max_abs;
            }
        }
    }
    return worst;
}

/* Relative size of the rounding probe: large enough to stay well above float32 rounding of the perturbed
 * input (2^-24), small enough to stay in the layer's linear regime. */
#define PROBE_RHO (1.0 / 65536)

/* Judges pair p from its accumulated error and, where that is beyond tolerance, its own (local) error:
 * B's group re-run on A's input, against a noise floor measured by re-running it on A's input perturbed
 * by PROBE_RHO (see cs_noise_floor). */
static void judge_pair(stream *s, int p)
{
    const cs_match_pair *pair = &s->r->matching->pairs[p];
    cs_layer_diff *ld = &s->r->layers[p];
    const cs_graph *a = s->a, *b = s->b;
    const cs_tensor *ta = s->va[ld->a_value];
    ld->inherited = inherited_error(s, pair);
    if (!ld->act.compared) {
        ld->status = ld->act.shapes_differ ? CS_LAYER_SHAPES : CS_LAYER_UNCOMPARED;
        return;
    }
    bool low = group_low_precision(s, pair, ld);
    if (ld->act.within) {
        ld->status = low ? CS_LAYER_PRECISION : CS_LAYER_OK;
        return;
    }
    char why[96] = "";
    cs_tensor *local = run_isolated(s, pair, ld->b_value, why, sizeof why);
    compare_act(a, b, ta, local, ld->a_value, ld->b_value, ld->rtol, ld->atol, &ld->local, NULL, NULL);
    if (!local)
        snprintf(ld->local.alignment, sizeof ld->local.alignment, "%s", why);
    if (!ld->local.compared || ld->local.within) { /* not isolable: judged by its accumulated error */
        ld->status = !ld->local.compared ? CS_LAYER_FAULTY : low ? CS_LAYER_PRECISION : CS_LAYER_INHERITED;
        cs_tensor_free(local);
        return;
    }
    s->rho = PROBE_RHO;
    cs_tensor *probe = run_isolated(s, pair, ld->b_value, why, sizeof why);
    s->rho = 0;
    cs_act_stats ps = {0};
    if (probe && cs_tensor_numel(probe) == cs_tensor_numel(local)) /* both in B's layout */
        cs_act_compare(local, probe, 0, 0, &ps);
    cs_tensor_free(probe);
    cs_tensor_free(local);
    double response = ps.compared && isfinite(ps.max_abs) ? ps.max_abs : 0;
    ld->reduction = reduction_length(b, pair);
    ld->noise_floor = cs_noise_floor(response, PROBE_RHO, ld->reduction, low ? CS_UNIT_F16 : CS_UNIT_F32,
                                     ld->local.ref_scale);
    if (ld->local.max_abs > ld->noise_floor)
        ld->status = CS_LAYER_FAULTY;
    else
        ld->status = low ? CS_LAYER_PRECISION : CS_LAYER_INHERITED;
}

static void process_pair(stream *s, int p)
{
    cs_layer_diff *ld = &s->r->layers[p];
    compare_act(s->a, s->b, s->va[ld->a_value], s->vb[ld->b_value], ld->a_value, ld->b_value, ld->rtol, ld->atol,
                &ld->act, s->o->keep ? &ld->a_out : NULL, s->o->keep ? &ld->b_out : NULL);
    judge_pair(s, p);
    ld->within = !status_diverges(ld->status);
    for_group_inputs(s, p, count_input, -1);
    release(s->va, s->uses_a, ld->a_value, s->o->keep);
    release(s->vb, s->uses_b, ld->b_value, false);
}

static void observe_b(void *user, const cs_graph *g, int node, int value, const cs_tensor *t)
{
    (void)g;
    stream *s = user;
    s->last_node = node;
    if (!s->want_b[value] || s->vb[value])
        return;
    s->vb[value] = cs_tensor_clone(t, NULL);
    for (int p = s->b_first[value]; p >= 0; p = s->b_next[p])
        process_pair(s, p);
}

static cs_status run_b_streaming(stream *s, const cs_tensor *const *in_b, cs_tensor **ob, cs_error *err)
{
    const cs_graph *b = s->b;
    for (int i = 0; i < b->n_inputs; i++) /* graph inputs are never "computed": capture them first */
        if (s->want_b[b->inputs[i]])
            s->vb[b->inputs[i]] = cs_tensor_clone(in_b[i], NULL);
    cs_exec_opts eo = {observe_b, s, s->o->cancel};
    return cs_exec_run(b, s->plan_b, in_b, ob, &eo, NULL, err);
}

/* B's node that failed: the one after the last computed in B's plan order (-1 when unknown). */
static int failed_node(const stream *s)
{
    if (s->last_node < 0)
        return s->plan_b->n_order > 0 ? s->plan_b->order[0] : -1;
    for (int p = 0; p + 1 < s->plan_b->n_order; p++)
        if (s->plan_b->order[p] == s->last_node)
            return s->plan_b->order[p + 1];
    return -1;
}

/* B stopped with a shape or format error (a planted fault such as a wrong stride can make a later layer
 * fail): keep the pairs compared so far, mark the pair holding the failing node as diverging, go on. */
static cs_status absorb_b_failure(stream *s, cs_status st, cs_error *err)
{
    if (st != CS_ERR_SHAPE && st != CS_ERR_FORMAT && st != CS_ERR_UNSUPPORTED)
        return st;
    s->r->b_failed = true;
    snprintf(s->r->b_error, sizeof s->r->b_error, "%.250s", err->msg);
    int n = failed_node(s), layer = n >= 0 ? s->b->nodes[n].layer : -1;
    for (int p = 0; layer >= 0 && p < s->r->matching->n_pairs; p++) {
        const cs_match_pair *pair = &s->r->matching->pairs[p];
        for (int i = 0; i < pair->n_b; i++)
            if (pair->b[i] == layer && !s->r->layers[p].act.compared) {
                s->r->layers[p].within = false;
                s->r->layers[p].status = CS_LAYER_B_FAILED;
                snprintf(s->r->layers[p].act.alignment, sizeof s->r->layers[p].act.alignment,
                         "B fails here: %.70s", err->msg);
            }
    }
    return CS_OK;
}

static cs_status compare_activations(const cs_graph *a, const cs_graph *b, const cs_tensor *const *in_a,
                                     const cs_tensor *const *in_b, const cs_diff_opts *o, cs_diff_result *r,
                                     cs_error *err)
{
    bool *want_a = calloc((size_t)a->n_values + 1, sizeof(bool)), *want_b = calloc((size_t)b->n_values + 1, 1);
    stream s = {a, b, r, o, NULL, NULL, NULL, NULL, NULL, want_b, NULL, NULL, NULL, -1, 0};
    s.va = calloc((size_t)a->n_values + 1, sizeof(cs_tensor *));
    s.vb = calloc((size_t)b->n_values + 1, sizeof(cs_tensor *));
    s.uses_a = calloc((size_t)a->n_values + 1, sizeof(int));
    s.uses_b = calloc((size_t)b->n_values + 1, sizeof(int));
    s.b_first = calloc((size_t)b->n_values + 1, sizeof(int));
    s.b_next = calloc((size_t)r->matching->n_pairs + 1, sizeof(int));
    s.subset = calloc((size_t)b->n_nodes + 1, sizeof(bool));
    cs_tensor **oa = calloc((size_t)a->n_outputs + 1, sizeof(cs_tensor *));
    cs_tensor **ob = calloc((size_t)b->n_outputs + 1, sizeof(cs_tensor *));
    cs_plan *plan_b = NULL;
    cs_status st = want_a && want_b && s.va && s.vb && s.uses_a && s.uses_b && s.b_first && s.b_next && s.subset &&
                           oa && ob ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    for (int p = 0; st == CS_OK && p < r->matching->n_pairs; p++)
        tolerance_for(a, &r->matching->pairs[p], o, &r->layers[p].rtol, &r->layers[p].atol);
    if (st == CS_OK) {
        mark_wanted(a, b, r, want_a, want_b);
        index_pairs(&s);
        count_uses(&s);
        st = run_capture(a, o->plan_a, in_a, want_a, s.va, oa, o->cancel, err);
    }
    if (st == CS_OK && (o->plan_b || (st = cs_plan_build(b, &plan_b, err)) == CS_OK)) {
        s.plan_b = o->plan_b ? o->plan_b : plan_b;
        st = absorb_b_failure(&s, run_b_streaming(&s, in_b, ob, err), err);
    }
    if (st == CS_OK && !r->b_failed && a->n_outputs > 0 && b->n_outputs > 0)
        compare_final(a, b, oa[0], ob[0], o, r);
    for (int v = 0; s.va && v < a->n_values; v++)
        cs_tensor_free(s.va[v]);
    for (int v = 0; s.vb && v < b->n_values; v++)
        cs_tensor_free(s.vb[v]);
    for (int i = 0; oa && i < a->n_outputs; i++)
        cs_tensor_free(oa[i]);
    for (int i = 0; ob && i < b->n_outputs; i++)
        cs_tensor_free(ob[i]);
    free(want_a), free(want_b), free(s.va), free(s.vb), free(s.uses_a), free(s.uses_b), free(oa), free(ob);
    free(s.b_first), free(s.b_next), free(s.subset);
    cs_plan_free(plan_b);
    return st;
}

/* Statuses that make a diff diverge. */
static bool status_diverges(cs_layer_status s)
{
    return s == CS_LAYER_FAULTY || s == CS_LAYER_SHAPES || s == CS_LAYER_B_FAILED || s == CS_LAYER_WEIGHTS_DIFFER;
}

/* A weights-only diff's layer status (and the starting status before activations are compared). */
static cs_layer_status weights_status(const cs_weight_cmp *w)
{
    if (!w->compared || w->code == CS_W_INCOMPARABLE)
        return CS_LAYER_UNCOMPARED;
    if (w->code == CS_W_DIFFERENT)
        return CS_LAYER_WEIGHTS_DIFFER;
    return cs_weights_precision(w) ? CS_LAYER_PRECISION : CS_LAYER_OK;
}

/* The precision a lower-precision difference stems from, for the verdict line. */
static void note_precision(cs_diff_result *r, const cs_layer_diff *ld)
{
    if (r->precision[0])
        return;
    bool quant = ld->weights.compared && ld->weights.code == CS_W_QUANTIZED;
    snprintf(r->precision, sizeof r->precision, "%s", quant ? "quantization" : "fp16");
}

/* First divergence and verdict: diverge when a layer's status diverges, B fails, or the outputs differ beyond
 * tolerance in a way lower precision does not explain; precision when the only differences are those of fp16
 * weights or compute (or quantized weights); else match. */
static void decide_verdict(cs_diff_result *r, bool strict)
{
    bool precision = false;
    int first_beyond = -1;
    for (int p = 0; p < r->matching->n_pairs; p++) {
        cs_layer_diff *ld = &r->layers[p];
        ld->within = !status_diverges(ld->status) && !(strict && ld->status == CS_LAYER_PRECISION);
        if (!ld->within && r->first_divergence < 0)
            r->first_divergence = p;
        if (ld->status == CS_LAYER_PRECISION || (r->ran && cs_weights_precision(&ld->weights))) {
            precision = true;
            note_precision(r, ld);
        }
        if (ld->status == CS_LAYER_INHERITED && first_beyond < 0)
            first_beyond = p;
    }
    /* outputs beyond tolerance while every layer's own error is within its noise floor: float error accumulated
     * through a deep net (an Inception's output drifts ~1e-4 of its scale); they diverge only when the direction
     * changes too (cosine, top-1), or when no layer could say why */
    bool explained = (precision || first_beyond >= 0) && r->final.cosine >= 0.9999 &&
                     (!r->has_top || r->a_top1 == r->b_top1);
    bool final_bad = r->final.compared && !r->final.within && !explained;
    if (final_bad && r->first_divergence < 0)
        r->first_divergence = first_beyond;
    r->diverged = r->first_divergence >= 0 || r->b_failed || final_bad;
    r->verdict = r->diverged ? CS_VERDICT_DIVERGE : precision ? CS_VERDICT_PRECISION : CS_VERDICT_MATCH;
}

cs_status cs_diff_run(const cs_graph *a, const cs_graph *b, const cs_tensor *const *inputs_a,
                      const cs_tensor *const *inputs_b, const cs_diff_opts *opts, cs_diff_result **out, cs_error *err)
{
    *out = NULL;
    cs_diff_result *r = calloc(1, sizeof *r);
    if (!r)
        return cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    r->first_divergence = -1;
    cs_status st = cs_match_layers(a, b, opts->map_path, &r->matching, err);
    if (st == CS_OK && !(r->layers = calloc((size_t)r->matching->n_pairs + 1, sizeof(cs_layer_diff))))
        st = cs_error_set(err, CS_ERR_NOMEM, "out of memory");
    for (int p = 0; st == CS_OK && p < r->matching->n_pairs; p++) {
        const cs_match_pair *pair = &r->matching->pairs[p];
        cs_weights_compare(a, pair->a, pair->n_a, b, pair->b, pair->n_b, &r->layers[p].weights);
        r->layers[p].within = true;
        r->layers[p].a_value = r->layers[p].b_value = -1;
        r->layers[p].inherited = -1;
        r->layers[p].reduction = 1;
        r->layers[p].status = opts->weights_only ? weights_status(&r->layers[p].weights) : CS_LAYER_UNCOMPARED;
    }
    if (st == CS_OK && !opts->weights_only) {
        r->ran = true;
        st = compare_activations(a, b, inputs_a, inputs_b, opts, r, err);
    }
    if (st == CS_OK)
        decide_verdict(r, opts->strict);
    if (st == CS_OK && r->ran && r->first_divergence >= 0)
        cs_cause_find(a, b, inputs_a, inputs_b, r, &r->cause);
    if (st != CS_OK) {
        cs_diff_result_free(r);
        return st;
    }
    *out = r;
    return CS_OK;
}

void cs_diff_result_free(cs_diff_result *r)
{
    if (!r)
        return;
    for (int p = 0; r->layers && r->matching && p < r->matching->n_pairs; p++) {
        cs_tensor_free(r->layers[p].a_out);
        cs_tensor_free(r->layers[p].b_out);
    }
    free(r->layers);
    cs_matching_free(r->matching);
    free(r);
}
