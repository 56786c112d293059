/* match.c — layer matching: per-layer features (kind, name tokens, weight fingerprints), a global
 * alignment of the two execution-ordered layer sequences, then fused/folded leftovers attached. */
#include "match.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exec.h"
#include "kind.h"
#include "match_internal.h"

/* ---- sequences ---- */

static int cmp_pos(const void *x, const void *y, void *pos_v)
{
    const int *pos = pos_v;
    int a = *(const int *)x, b = *(const int *)y;
    return pos[a] != pos[b] ? (pos[a] < pos[b] ? -1 : 1) : (a < b ? -1 : a > b);
}

/* Insertion sort keyed by pos (layer counts are small enough; qsort_r is not C11). */
static void sort_by_pos(int *items, int n, const int *pos)
{
    for (int i = 1; i < n; i++) {
        int v = items[i], j = i - 1;
        while (j >= 0 && cmp_pos(&items[j], &v, (void *)pos) > 0) {
            items[j + 1] = items[j];
            j--;
        }
        items[j + 1] = v;
    }
}

int cs_match_layer_sequence(const cs_graph *g, int **out, cs_error *err)
{
    int *pos = malloc(((size_t)g->n_layers + 1) * sizeof(int));
    int *seq = malloc(((size_t)g->n_layers + 1) * sizeof(int));
    if (!pos || !seq) {
        free(pos), free(seq);
        cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", g->path);
        return -1;
    }
    for (int l = 0; l < g->n_layers; l++)
        pos[l] = -1;
    cs_plan *plan = NULL;
    /* a layer sits where its last node runs (where its output appears): weight-only nodes such as a
     * Transpose of a constant run first and must not pull a layer to the front */
    if (!g->weights_only && cs_plan_build(g, &plan, NULL) == CS_OK) {
        for (int p = 0; p < plan->n_order; p++) {
            int l = g->nodes[plan->order[p]].layer;
            if (l >= 0 && l < g->n_layers)
                pos[l] = p;
        }
    }
    for (int l = 0; l < g->n_layers; l++)
        if (pos[l] < 0)
            pos[l] = g->n_nodes + l; /* layers without nodes keep file order, after the others */
    cs_plan_free(plan);
    int n = 0;
    for (int l = 0; l < g->n_layers; l++) /* containers, and layers that compute nothing at inference (a
                                                 Dropout or StochasticDepth without nodes), are not matched */
        if (cs_layer_kind_of(g, l) != CS_KIND_CONTAINER &&
            (g->weights_only || (g->layers[l].n_nodes > 0 && !cs_layer_only_shapes(g, l))))
            seq[n++] = l; /* shape arithmetic (a head count's floor_divide) computes no activation either */
    sort_by_pos(seq, n, pos);
    free(pos);
    *out = seq;
    return n;
}

/* ---- features ---- */

static void tokenise(const char *name, layer_features *f)
{
    char tok[32];
    int len = 0;
    f->n_tokens = 0;
    for (const char *s = name;; s++) {
        bool boundary = !*s || !isalnum((unsigned char)*s) ||
                        (len > 0 && isupper((unsigned char)*s) && islower((unsigned char)tok[len - 1]));
        if (boundary && len > 0 && f->n_tokens < MAX_TOKENS) {
            tok[len] = 0;
            snprintf(f->tokens[f->n_tokens++], sizeof f->tokens[0], "%s", tok);
            len = 0;
        }
        if (!*s)
            break;
        if (isalnum((unsigned char)*s) && len < (int)sizeof tok - 1)
            tok[len++] = (char)tolower((unsigned char)*s);
    }
}

/* An O(n) layout-independent summary of a weight tensor (no sort: fingerprints of every layer of a
 * ResNet-50 cost less than one run). */
static void fingerprint(const cs_tensor *t, weight_print *wp)
{
    memset(wp, 0, sizeof *wp);
    wp->numel = cs_tensor_numel(t);
    if (wp->numel <= 0 || !cs_dtype_is_float(t->dtype))
        return;
    double mn = INFINITY, mx = -INFINITY, s1 = 0, s2 = 0, sa = 0, s3 = 0;
    const float *f = t->dtype == CS_DT_F32 ? t->data : NULL;
    for (int64_t i = 0; i < wp->numel; i++) {
        double x = f ? f[i] : cs_tensor_get_f64(t, i);
        mn = x < mn ? x : mn, mx = x > mx ? x : mx;
        s1 += x, s2 += x * x, sa += fabs(x), s3 += x * x * x;
    }
    double scale = fmax(fmax(fabs(mn), fabs(mx)), 1e-30), n = (double)wp->numel;
    wp->ok = isfinite(scale);
    wp->min = (float)mn, wp->max = (float)mx, wp->absmax = (float)scale;
    wp->moment[0] = s1 / n / scale;
    wp->moment[1] = s2 / n / (scale * scale);
    wp->moment[2] = sa / n / scale;
    wp->moment[3] = s3 / n / (scale * scale * scale);
}

void cs_features_build(const cs_graph *g, int layer, layer_features *f)
{
    memset(f, 0, sizeof *f);
    f->layer = layer;
    f->kind = cs_layer_kind_of(g, layer);
    snprintf(f->act, sizeof f->act, "%s", cs_layer_act_name(g, layer));
    tokenise(g->layers[layer].name, f);
    const cs_layer *l = &g->layers[layer];
    for (int w = 0; w < l->n_weights && f->n_weights < MAX_WEIGHTS; w++)
        fingerprint(l->weights[w].tensor, &f->weights[f->n_weights++]);
}

void cs_features_free(layer_features *f)
{
    (void)f; /* fingerprints own no memory */
}

/* 2 = value sets equal within fp16 rounding (each element within 1e-3 of the range), 1 = within 1e-2
 * (quantization), 0 = no. Elementwise changes of relative size e move the extremes by at most e and each
 * moment by about e/sqrt(n) when their signs vary (rounding), while two different tensors drawn from one
 * distribution differ in their moments by about 1/sqrt(n): moments are compared at e (3/sqrt(n) + 1e-3). */
static int prints_level(const weight_print *a, const weight_print *b, double e)
{
    double scale = fmax(a->absmax, b->absmax), n = (double)a->numel;
    if (fabs(a->min - b->min) > e * scale || fabs(a->max - b->max) > e * scale)
        return 0;
    for (int k = 0; k < 4; k++)
        if (fabs(a->moment[k] - b->moment[k]) > e * (3 / sqrt(n) + 1e-3))
            return 0;
    return 1;
}

static int prints_match(const weight_print *a, const weight_print *b)
{
    if (a->numel != b->numel || !a->ok || !b->ok)
        return 0;
    return prints_level(a, b, 1e-3) ? 2 : prints_level(a, b, 1e-2) ? 1 : 0;
}

/* Weight evidence between two layers: 4 when every float tensor of A has an exactly matching print in B, 3 when
 * some tensor matches exactly, 2 approximately (fp16, quantization), 1 same element counts, 0 none. "Every"
 * ranks above "some": two MeanShift convs with equal kernels and opposite biases are told apart by the bias. */
int cs_weight_evidence(const layer_features *a, const layer_features *b)
{
    if (a->n_weights == 0 || b->n_weights == 0)
        return 0;
    int best = 0, counts_equal = 1, all_exact = 1, checked = 0;
    for (int i = 0; i < a->n_weights; i++) {
        bool found = false;
        int best_i = 0;
        for (int j = 0; j < b->n_weights; j++) {
            if (a->weights[i].numel == b->weights[j].numel)
                found = true;
            int m = prints_match(&a->weights[i], &b->weights[j]);
            best_i = m > best_i ? m : best_i;
        }
        if (!found)
            counts_equal = 0;
        if (best_i > 0 && best_i + 1 > best)
            best = best_i + 1;
        if (a->weights[i].ok && a->weights[i].numel > 1) { /* counters and scalars say nothing */
            checked++;
            all_exact = all_exact && best_i == 2;
        }
    }
    if (best == 3 && checked > 1 && all_exact)
        return 4;
    return best ? best : counts_equal;
}

static double name_similarity(const layer_features *a, const layer_features *b)
{
    if (!a->n_tokens || !b->n_tokens)
        return 0;
    int common = 0;
    for (int i = 0; i < a->n_tokens; i++)
        for (int j = 0; j < b->n_tokens; j++)
            if (strcmp(a->tokens[i], b->tokens[j]) == 0) {
                common++;
                break;
            }
    return (double)common / (a->n_tokens + b->n_tokens - common);
}

double cs_match_score(const layer_features *a, const layer_features *b, char *evidence, size_t size)
{
    if (cs_kinds_swapped(a->kind, b->kind) && a->n_weights == 0 && b->n_weights == 0) {
        if (evidence)
            snprintf(evidence, size, "kind %s vs %s, order only (the converter changed the operation)",
                     cs_layer_kind_name(a->kind), cs_layer_kind_name(b->kind));
        return 0.05;
    }
    if (!cs_kinds_compatible(a->kind, b->kind))
        return -1;
    if (a->kind == CS_KIND_ACT && b->kind == CS_KIND_ACT && a->act[0] && b->act[0] && strcmp(a->act, b->act) != 0) {
        if (evidence) /* a converter that turns ReLU6 into ReLU, or changes LeakyReLU: worth pairing, weakly */
            snprintf(evidence, size, "kind activation, %s vs %s, order only", a->act, b->act);
        return cs_acts_related(a->act, b->act) ? 0.1 : 0.03;
    }
    int we = cs_weight_evidence(a, b);
    if ((a->n_weights > 0) != (b->n_weights > 0) && a->kind != CS_KIND_ACT && a->kind != CS_KIND_ADD)
        we = -1; /* a weighted layer against a weightless one of the same kind: weak */
    double names = name_similarity(a, b);
    double conf = cs_kind_is_minor(a->kind) ? 0.15 : 0.4;
    conf += we == 4 ? 0.47 : we == 3 ? 0.45 : we == 2 ? 0.35 : we == 1 ? 0.2 : we == 0 ? 0.1 : -0.1;
    conf += 0.15 * names;
    if (conf > 1)
        conf = 1;
    if (evidence)
        snprintf(evidence, size, "kind %s%s%s%s, order", cs_layer_kind_name(a->kind),
                 we >= 3 ? ", weights equal as value sets" : we == 2 ? ", weights approx. equal as value sets"
                 : we == 1 ? ", weight sizes equal" : "",
                 names > 0.3 ? ", names alike" : "", a->act[0] ? ", same activation" : "");
    return conf;
}
