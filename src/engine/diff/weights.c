/* weights.c — weight diff of matched layers: gathers each side's float tensors, folds the original's
 * BatchNorm into its conv/dense when the converted side has none, then pairs tensors by size and compares
 * them under the layout permutation the formats imply (or the one that fits, when layouts are unknown). */
#include "weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "kind.h"
#include "rnn_weights.h"

#define MAX_SIDE_TENSORS 16

typedef struct wt {
    const cs_tensor *t;     /* borrowed, or owned when `owned` */
    bool owned;
    cs_layout layout;
    cs_dtype stored;
    bool used;
    const char *name;       /* the source's name for the tensor (borrowed) */
} wt;

typedef struct wset {
    wt items[MAX_SIDE_TENSORS];
    int n;
    bool folded;
} wset;

static void gather_layer(const cs_graph *g, int layer, cs_layer_kind k, wset *s)
{
    const cs_layer *l = &g->layers[layer];
    for (int w = 0; w < l->n_weights && s->n < MAX_SIDE_TENSORS; w++) {
        const cs_weight *W = &l->weights[w];
        if (!cs_dtype_is_float(W->tensor->dtype) || cs_tensor_numel(W->tensor) < 1 ||
            (W->tensor->rank == 0 && cs_tensor_numel(W->tensor) == 1 && k == CS_KIND_BN))
            continue;
        s->items[s->n++] = (wt){W->tensor, false, W->layout, W->stored_dtype, false, W->name};
    }
}

/* Weights a converter keeps outside the layer: a constant stored in fp16 or int8 and cast or dequantized
 * to float by a node of its own (its own source layer) right before the layer reads it. */
static void gather_cast_inputs(const cs_graph *g, int layer, wset *s)
{
    const cs_layer *l = &g->layers[layer];
    for (int k = 0; k < l->n_nodes; k++) {
        const cs_node *nd = &g->nodes[l->nodes[k]];
        for (int i = 0; i < nd->n_inputs; i++) {
            int v = nd->inputs[i], p = v >= 0 ? g->values[v].producer : -1;
            if (p < 0 || g->nodes[p].layer < 0 || g->nodes[p].layer == layer ||
                (strcmp(g->nodes[p].op, "Cast") != 0 && strcmp(g->nodes[p].op, "DequantizeLinear") != 0))
                continue;
            const cs_layer *src = &g->layers[g->nodes[p].layer];
            if (src->n_nodes == 1 && src->n_weights > 0)
                gather_layer(g, g->nodes[p].layer, CS_KIND_OTHER, s);
        }
    }
}

/* The layout an op gives its constant input i (see the ONNX reader): Conv OIHW, Gemm OI under transB else IO,
 * MatMul's right operand IO. */
static cs_layout input_layout(const cs_node *nd, int i, int rank)
{
    if (i == 1 && rank == 4 && (strcmp(nd->op, "Conv") == 0))
        return CS_LAYOUT_OIHW;
    if (i == 1 && rank == 2 && strcmp(nd->op, "Gemm") == 0)
        return cs_attrs_int(&nd->attrs, "transB", 0) ? CS_LAYOUT_OI : CS_LAYOUT_IO;
    if (i == 1 && rank == 2 && strcmp(nd->op, "MatMul") == 0)
        return CS_LAYOUT_IO;
    return CS_LAYOUT_UNKNOWN;
}

/* A conv or dense layer that owns no weights (TorchScript code reading another module's parameter, as
 * MultiheadAttention's out_proj): the constant float tensors its nodes read as kernel and bias. */
static void gather_const_inputs(const cs_graph *g, int layer, wset *s)
{
    const cs_layer *l = &g->layers[layer];
    for (int k = 0; k < l->n_nodes; k++) {
        const cs_node *nd = &g->nodes[l->nodes[k]];
        for (int i = 1; i < nd->n_inputs && i < 3 && s->n < MAX_SIDE_TENSORS; i++) {
            int v = nd->inputs[i];
            const cs_tensor *t = v >= 0 ? g->values[v].data : NULL;
            if (!t || !cs_dtype_is_float(t->dtype) || t->rank < 1 || cs_tensor_numel(t) < 2)
                continue;
            s->items[s->n++] = (wt){t, false, input_layout(nd, i, t->rank), t->dtype, false, g->values[v].name};
        }
    }
}

static void gather(const cs_graph *g, const int *layers, int n, wset *s, int *bn_layer, int *main_layer)
{
    *bn_layer = *main_layer = -1;
    for (int i = 0; i < n; i++) {
        cs_layer_kind k = cs_layer_kind_of(g, layers[i]);
        if (k == CS_KIND_BN && *bn_layer < 0)
            *bn_layer = layers[i];
        else if ((k == CS_KIND_CONV || k == CS_KIND_DENSE || k == CS_KIND_DECONV) && *main_layer < 0)
            *main_layer = layers[i];
        gather_layer(g, layers[i], k, s);
        if (g->layers[layers[i]].n_weights == 0 && (k == CS_KIND_CONV || k == CS_KIND_DENSE))
            gather_const_inputs(g, layers[i], s);
        gather_cast_inputs(g, layers[i], s);
    }
}

static void wset_free(wset *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->items[i].owned)
            cs_tensor_free((cs_tensor *)s->items[i].t);
}

/* The four per-channel BN vectors (scale, shift, mean, var) in the order every format stores them. */
static bool bn_vectors(const cs_graph *g, int bn, const cs_tensor **v, int64_t *c)
{
    const cs_layer *l = &g->layers[bn];
    int k = 0;
    for (int w = 0; w < l->n_weights && k < 4; w++) {
        const cs_tensor *t = l->weights[w].tensor;
        if (!cs_dtype_is_float(t->dtype) || t->rank != 1)
            continue;
        if (k > 0 && t->dims[0] != v[0]->dims[0])
            continue;
        v[k++] = t;
    }
    if (k != 4)
        return false;
    *c = v[0]->dims[0];
    return true;
}

static double bn_epsilon(const cs_graph *g, int bn)
{
    const cs_attrs *at = &g->layers[bn].attrs;
    double eps = cs_attrs_float(at, "epsilon", -1);
    if (eps < 0)
        eps = cs_attrs_float(at, "eps", -1);
    if (eps < 0) { /* a layer without attributes of its own (TorchScript): its IR node's, canonically */
        cs_canon c;
        cs_canon_collect(g, &bn, 1, NULL, &c);
        const cs_canon_attr *e = cs_canon_find(&c, "epsilon");
        eps = e && e->count == 1 ? e->v[0] : 1e-5;
    }
    return eps;
}

/* Replaces A's main weight and bias by their BatchNorm-folded values. */
static void fold_bn(const cs_graph *g, int bn, wset *s)
{
    const cs_tensor *v[4];
    int64_t c;
    if (!bn_vectors(g, bn, v, &c) || s->n < 1)
        return;
    wt *kernel = NULL, *bias = NULL;
    for (int i = 0; i < s->n; i++) {
        const cs_tensor *t = s->items[i].t;
        if (t == v[0] || t == v[1] || t == v[2] || t == v[3])
            continue;
        if (!kernel && t->rank >= 2)
            kernel = &s->items[i];
        else if (!bias && t->rank == 1 && t->dims[0] == c)
            bias = &s->items[i];
    }
    if (!kernel)
        return;
    bool out_last = kernel->layout == CS_LAYOUT_HWIO || kernel->layout == CS_LAYOUT_IO;
    int64_t out_dim = out_last ? kernel->t->dims[kernel->t->rank - 1] : kernel->t->dims[0];
    if (out_dim != c)
        return;
    double eps = bn_epsilon(g, bn);
    cs_tensor *k2 = cs_tensor_cast(kernel->t, CS_DT_F32, NULL);
    int64_t bias_dim = 1;
    cs_tensor *b2 = cs_tensor_new(CS_DT_F32, 1, &c, NULL);
    (void)bias_dim;
    if (!k2 || !b2) {
        cs_tensor_free(k2), cs_tensor_free(b2);
        return;
    }
    int64_t n = cs_tensor_numel(k2), per = n / c;
    for (int64_t ch = 0; ch < c; ch++) {
        double scale = cs_tensor_get_f64(v[0], ch) / sqrt(cs_tensor_get_f64(v[3], ch) + eps);
        double b0 = bias ? cs_tensor_get_f64(bias->t, ch) : 0;
        ((float *)b2->data)[ch] = (float)((b0 - cs_tensor_get_f64(v[2], ch)) * scale + cs_tensor_get_f64(v[1], ch));
        for (int64_t i = 0; i < per; i++) {
            int64_t idx = out_last ? i * c + ch : ch * per + i;
            ((float *)k2->data)[idx] = (float)(((float *)k2->data)[idx] * scale);
        }
    }
    wset folded = {.n = 0, .folded = true};
    folded.items[folded.n++] = (wt){k2, true, kernel->layout, kernel->stored, false, kernel->name};
    folded.items[folded.n++] = (wt){b2, true, CS_LAYOUT_UNKNOWN, CS_DT_F32, false, bias ? bias->name : "bias"};
    wset_free(s);
    *s = folded;
}

/* The permutation from B's dims to A's implied by the two layouts, when both are known. */
static bool canonical_perm(cs_layout la, cs_layout lb, int rank, int *p)
{
    if (rank == 4 && la == CS_LAYOUT_OIHW && lb == CS_LAYOUT_HWIO) {
        int q[4] = {3, 2, 0, 1};
        memcpy(p, q, sizeof q);
        return true;
    }
    if (rank == 4 && la == CS_LAYOUT_HWIO && lb == CS_LAYOUT_OIHW) {
        int q[4] = {2, 3, 1, 0};
        memcpy(p, q, sizeof q);
        return true;
    }
    if (rank == 2 && ((la == CS_LAYOUT_OI && lb == CS_LAYOUT_IO) || (la == CS_LAYOUT_IO && lb == CS_LAYOUT_OI))) {
        p[0] = 1, p[1] = 0;
        return true;
    }
    return false;
}

static bool perm_fits(const cs_tensor *a, const cs_tensor *b, const int *p)
{
    for (int i = 0; i < a->rank; i++)
        if (b->dims[p[i]] != a->dims[i])
            return false;
    return true;
}

/* max/mean |a - b[perm]| over all elements; also the largest |a| for relative checks. */
static void perm_error(const cs_tensor *a, const cs_tensor *b, const int *p, double *max_abs, double *mean_abs,
                       bool *fp16_ok)
{
    int r = a->rank;
    int64_t n = cs_tensor_numel(a);
    double worst = 0, sum = 0;
    *fp16_ok = true;
    bool identity = a->dtype == CS_DT_F32 && b->dtype == CS_DT_F32;
    for (int i = 0; i < r && identity; i++)
        identity = p[i] == i;
    for (int64_t k = 0; identity && k < n; k++) { /* the common case, without index arithmetic */
        double x = ((const float *)a->data)[k], d = fabs(x - ((const float *)b->data)[k]);
        worst = d > worst ? d : worst;
        sum += d;
        *fp16_ok = *fp16_ok && !(d > fabs(x) * 4.8828125e-4 + 6e-8);
    }
    cs_perm_walk w;
    cs_perm_walk_init(&w, a, b, p, 0);
    for (int64_t k = 0; !identity && k < n; k++, cs_perm_walk_next(&w)) {
        double x = cs_tensor_get_f64(a, k), y = cs_tensor_get_f64(b, cs_perm_walk_offset(&w));
        double d = fabs(x - y);
        worst = d > worst ? d : worst;
        sum += d;
        if (d > fabs(x) * 4.8828125e-4 + 6e-8) /* half an fp16 ulp (2^-11 relative), plus its subnormal step */
            *fp16_ok = false;
    }
    *max_abs = worst;
    *mean_abs = n ? sum / (double)n : 0;
}

/* Layout changes converters really make; a permutation outside this list (say, swapping a kernel's
 * H and W) is never assumed, so such a fault shows up as "different". */
static const int plausible4[][4] = {{0, 1, 2, 3}, {3, 2, 0, 1}, {2, 3, 1, 0}, {0, 3, 1, 2}, {0, 2, 3, 1}};
static const int plausible3[][3] = {{0, 1, 2}, {2, 1, 0}, {0, 2, 1}};
static const int plausible2[][2] = {{0, 1}, {1, 0}};

static int plausible_perms(int rank, const int **list)
{
    switch (rank) {
    case 4: *list = &plausible4[0][0]; return 5;
    case 3: *list = &plausible3[0][0]; return 3;
    case 2: *list = &plausible2[0][0]; return 2;
    default: *list = NULL; return 1;
    }
}

typedef struct tensor_cmp {
    double max_abs, mean_abs;
    bool fp16_ok, permuted, ok;
    char how[64];
    int perm[CS_MAX_RANK]; /* B's dim perm[i] holds A's dim i (valid when ok) */
} tensor_cmp;

static void compare_pair(const wt *a, const wt *b, tensor_cmp *c)
{
    int r = a->t->rank, p[CS_MAX_RANK];
    memset(c, 0, sizeof *c);
    if (a->t->rank != b->t->rank) { /* e.g. a [C] bias vs a [1,C,1,1] constant: compare flat */
        for (int i = 0; i < r; i++)
            p[i] = i;
        cs_tensor flat = *b->t;
        flat.rank = a->t->rank;
        memcpy(flat.dims, a->t->dims, sizeof flat.dims);
        perm_error(a->t, &flat, p, &c->max_abs, &c->mean_abs, &c->fp16_ok);
        c->ok = true;
        memcpy(c->perm, p, sizeof c->perm);
        snprintf(c->how, sizeof c->how, "reshaped");
        return;
    }
    if (canonical_perm(a->layout, b->layout, r, p) && perm_fits(a->t, b->t, p)) {
        perm_error(a->t, b->t, p, &c->max_abs, &c->mean_abs, &c->fp16_ok);
        c->ok = c->permuted = true;
        memcpy(c->perm, p, sizeof c->perm);
        snprintf(c->how, sizeof c->how, "A %s, B %s", cs_layout_name(a->layout), cs_layout_name(b->layout));
        return;
    }
    if (a->layout && a->layout == b->layout) { /* same known layout: the plain order, nothing else */
        for (int i = 0; i < r; i++)
            p[i] = i;
        if (perm_fits(a->t, b->t, p)) {
            perm_error(a->t, b->t, p, &c->max_abs, &c->mean_abs, &c->fp16_ok);
            c->ok = true;
            memcpy(c->perm, p, sizeof c->perm);
        }
        return;
    }
    const int *list;
    int n_perms = plausible_perms(r, &list);
    double best = INFINITY;
    for (int k = 0; k < n_perms; k++) {
        for (int i = 0; i < r; i++)
            p[i] = list ? list[k * r + i] : i;
        if (!perm_fits(a->t, b->t, p))
            continue;
        tensor_cmp t = {0};
        perm_error(a->t, b->t, p, &t.max_abs, &t.mean_abs, &t.fp16_ok);
        if (t.max_abs >= best)
            continue;
        best = t.max_abs;
        *c = t;
        c->ok = true;
        memcpy(c->perm, p, sizeof c->perm);
        c->permuted = k > 0;
        if (k > 0) {
            int len = snprintf(c->how, sizeof c->how, "dims permuted (");
            for (int i = 0; i < r && len < (int)sizeof c->how - 4; i++)
                len += snprintf(c->how + len, sizeof c->how - (size_t)len, "%s%d", i ? "," : "", p[i]);
            snprintf(c->how + len, sizeof c->how - (size_t)len, ")");
        }
        if (best == 0)
            break;
    }
}

/* B's tensor rewritten in A's dim order (perm from compare_pair); NULL on allocation failure. */
static cs_tensor *aligned_copy(const cs_tensor *a, const cs_tensor *b, const int *p)
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, a->rank, a->dims, NULL);
    if (!t)
        return NULL;
    bool flat = a->rank != b->rank;
    cs_perm_walk w;
    cs_perm_walk_init(&w, a, b, p, 0);
    for (int64_t k = 0, n = cs_tensor_numel(a); k < n; k++, cs_perm_walk_next(&w))
        ((float *)t->data)[k] = (float)cs_tensor_get_f64(b, flat ? k : cs_perm_walk_offset(&w));
    return t;
}

static void set_relation(cs_weight_cmp *out, const char *kind, const char *detail, const char *ta, const char *tb)
{
    if (out->relation[0])
        return;
    snprintf(out->relation, sizeof out->relation, "%s", kind);
    snprintf(out->relation_detail, sizeof out->relation_detail, "%s", detail);
    snprintf(out->tensor_a, sizeof out->tensor_a, "%s", ta ? ta : "");
    snprintf(out->tensor_b, sizeof out->tensor_b, "%s", tb ? tb : "");
}

/* Names the relation of a pair that is not equal (nor a known benign change). */
static void explain(const wt *x, const wt *y, const tensor_cmp *c, bool folded, cs_weight_cmp *out)
{
    char kind[32], detail[160];
    cs_tensor *yb = c->ok ? aligned_copy(x->t, y->t, c->perm) : NULL;
    if (!yb)
        return;
    cs_weights_explain(x->t, x->layout, yb, y->stored, kind, sizeof kind, detail, sizeof detail);
    if (folded && strcmp(kind, "weights_scaled") == 0) {
        size_t k = strlen(detail);
        snprintf(detail + k, sizeof detail - k, " against A's BatchNorm-folded kernel: a fold inconsistent with A's BN");
    }
    set_relation(out, kind, detail, x->name, y->name);
    cs_tensor_free(yb);
}

static int severity(const char *status)
{
    for (int i = 0; i <= CS_W_INCOMPARABLE; i++)
        if (strcmp(cs_weight_status_name((cs_weight_status)i), status) == 0)
            return i;
    return CS_W_INCOMPARABLE;
}

static const char *tensor_status(const tensor_cmp *c, const wt *b, bool folded)
{
    if (!c->ok)
        return "incomparable";
    if (c->max_abs == 0)
        return folded ? "identical after BN folding" : c->permuted ? "identical after layout change" : "identical";
    if (folded && c->fp16_ok && b->stored != CS_DT_F16)
        return "identical after BN folding"; /* within float rounding of the folding arithmetic */
    if (c->fp16_ok)
        return b->stored == CS_DT_F16 || !folded ? "fp16 rounding" : "identical after BN folding";
    if (b->stored == CS_DT_U8 || b->stored == CS_DT_I8 || b->stored == CS_DT_I16 || b->stored == CS_DT_U16)
        return "quantization";
    return "different";
}

static void set_status(cs_weight_cmp *out, const char *status)
{
    if (!out->status[0] || severity(status) > severity(out->status)) {
        snprintf(out->status, sizeof out->status, "%s", status);
        out->code = (cs_weight_status)severity(status);
    }
}

void cs_weights_compare(const cs_graph *a, const int *layers_a, int n_a, const cs_graph *b, const int *layers_b,
                        int n_b, cs_weight_cmp *out)
{
    memset(out, 0, sizeof *out);
    if (cs_rnn_weights_compare(a, layers_a, n_a, b, layers_b, n_b, out))
        return; /* recurrent layers: compared as the function they compute */
    wset sa = {0}, sb = {0};
    int bn_a, main_a, bn_b, main_b;
    gather(a, layers_a, n_a, &sa, &bn_a, &main_a);
    gather(b, layers_b, n_b, &sb, &bn_b, &main_b);
    if (bn_a >= 0 && main_a >= 0 && bn_b < 0 && main_b >= 0)
        fold_bn(a, bn_a, &sa);
    if (sa.n == 0 && sb.n == 0) {
        wset_free(&sa);
        return;
    }
    out->compared = true;
    double sum_mean = 0;
    for (int i = 0; i < sa.n; i++) {
        wt *x = &sa.items[i], *y = NULL;
        for (int j = 0; j < sb.n && !y; j++)
            if (!sb.items[j].used && cs_tensor_numel(sb.items[j].t) == cs_tensor_numel(x->t))
                y = &sb.items[j];
        if (!y) {
            if (x->t->rank == 1 && i > 0 && sb.n > 0 && sb.n < sa.n && sa.items[0].used)
                set_relation(out, "bias_missing", "B has no bias", x->name, NULL); /* A's kernel matched, not its bias */
            set_status(out, "incomparable");
            snprintf(out->alignment, sizeof out->alignment, "B has no tensor of %lld elements",
                     (long long)cs_tensor_numel(x->t));
            continue;
        }
        y->used = x->used = true;
        tensor_cmp c;
        compare_pair(x, y, &c);
        const char *ts = tensor_status(&c, y, sa.folded);
        set_status(out, ts);
        if (strncmp(ts, "identical", 9) != 0)
            explain(x, y, &c, sa.folded, out);
        out->max_abs = fmax(out->max_abs, c.max_abs);
        sum_mean += c.mean_abs;
        out->n_tensors++;
        if (c.how[0] && !out->alignment[0])
            snprintf(out->alignment, sizeof out->alignment, "%s", c.how);
    }
    if (sa.folded) {
        size_t k = strlen(out->alignment);
        snprintf(out->alignment + k, sizeof out->alignment - k, "%sA's BatchNorm folded into its weights",
                 k ? "; " : "");
    }
    for (int j = 0; j < sb.n; j++)
        if (!sb.items[j].used && out->status[0] == 0)
            set_status(out, "incomparable");
    out->mean_abs = out->n_tensors ? sum_mean / out->n_tensors : 0;
    if (!out->status[0])
        set_status(out, "incomparable");
    wset_free(&sa);
}
