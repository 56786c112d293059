/* cause_hyp.c — probe hypotheses at a first divergent pair: A's layer with one attribute changed (B's value
 * and the usual slips), operands reordered or dropped, the output in another layout, and at the model input
 * a preprocessing change (channels reversed, another pixel scale). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "canon.h"
#include "cause_internal.h"

cs_hyp *cs_hyp_add(cs_hyps *hs, const char *kind, double res)
{
    if (hs->n >= CS_MAX_HYPS)
        return NULL;
    cs_hyp *h = &hs->h[hs->n++];
    memset(h, 0, sizeof *h);
    cs_fmt(h->kind, sizeof h->kind, "%s", kind);
    h->res = isnan(res) ? INFINITY : res;
    return h;
}

static const char *layer_of(const cs_graph *g, int node, const int *layers, int n)
{
    if (node >= 0 && g->nodes[node].layer >= 0)
        return g->layers[g->nodes[node].layer].name;
    return n > 0 ? g->layers[layers[0]].name : "?";
}

/* ---- attributes ---- */

#define MAX_JOINT 6

typedef struct attr_patch {
    cs_attrs attrs;
    int64_t ints[MAX_JOINT][CS_CANON_VALS];
    double floats[MAX_JOINT][CS_CANON_VALS];
    char str[MAX_JOINT][40];
} attr_patch;

static bool is_float_attr(const char *name)
{
    return strcmp(name, "epsilon") == 0 || strcmp(name, "alpha") == 0 || strcmp(name, "beta") == 0 ||
           strcmp(name, "min") == 0 || strcmp(name, "max") == 0;
}

static bool is_list_attr(const char *name)
{
    return strcmp(name, "pads") == 0 || strcmp(name, "strides") == 0 || strcmp(name, "kernel_shape") == 0 ||
           strcmp(name, "dilations") == 0;
}

static bool replaced(const cs_canon_attr *const *ca, int n, const char *name)
{
    for (int j = 0; j < n; j++)
        if (strcmp(name, ca[j]->name) == 0 || (strcmp(ca[j]->native, "auto_pad") == 0 && strcmp(name, "auto_pad") == 0))
            return true;
    return false;
}

/* Node attributes with v[j] in place of canonical attribute ca[j] (j < n, all on node nd; auto_pad turned into
 * explicit pads). */
static bool build_attrs(const cs_node *nd, const cs_canon_attr *const *ca, const cs_canon_attr *const *v, int n,
                        attr_patch *ap)
{
    const cs_attrs *src = &nd->attrs;
    ap->attrs.items = calloc((size_t)src->count + (size_t)n + 1, sizeof(cs_attr));
    if (!ap->attrs.items || n > MAX_JOINT)
        return false;
    for (int i = 0; i < src->count; i++)
        if (!replaced(ca, n, src->items[i].name))
            ap->attrs.items[ap->attrs.count++] = src->items[i];
    for (int j = 0; j < n; j++) {
        const cs_attr *old = cs_attrs_find(src, ca[j]->name);
        cs_attr *x = &ap->attrs.items[ap->attrs.count++];
        x->name = (char *)ca[j]->name;
        x->type = old ? old->type
                  : v[j]->is_string ? CS_ATTR_STRING
                  : is_float_attr(ca[j]->name) ? CS_ATTR_FLOAT
                  : v[j]->count > 1 || is_list_attr(ca[j]->name) ? CS_ATTR_INTS : CS_ATTR_INT;
        for (int i = 0; i < v[j]->count; i++)
            ap->ints[j][i] = (int64_t)v[j]->v[i], ap->floats[j][i] = v[j]->v[i];
        cs_fmt(ap->str[j], sizeof ap->str[j], "%s", v[j]->s);
        x->i = ap->ints[j][0], x->f = ap->floats[j][0], x->s = ap->str[j], x->count = v[j]->count;
        x->ints = ap->ints[j], x->floats = ap->floats[j];
    }
    return true;
}

/* A's group output with the attributes ca[j] of one node set to v[j] together (all node attributes). */
static cs_tensor *run_with_all(const cs_probe *p, const cs_canon_attr *const *ca, const cs_canon_attr *const *v,
                               int n)
{
    attr_patch *ap = calloc(1, sizeof *ap);
    cs_tensor *out = NULL;
    if (ap && build_attrs(&p->a->nodes[ca[0]->node], ca, v, n, ap)) {
        cs_probe_patch patch = {ca[0]->node, &ap->attrs, NULL, -1, NULL, NULL};
        out = cs_probe_run_a(p, &patch);
    }
    if (ap)
        free(ap->attrs.items);
    free(ap);
    return out;
}

/* A's group output with canonical attribute `ca` set to `v`. */
static cs_tensor *run_with(const cs_probe *p, const cs_canon_attr *ca, const cs_canon_attr *v)
{
    if (ca->input < 0)
        return run_with_all(p, &ca, &v, 1);
    const cs_tensor *orig = cs_probe_a_input(p, ca->node, ca->input);
    if (!orig || cs_tensor_numel(orig) != v->count || v->is_string)
        return NULL;
    cs_tensor *t = cs_tensor_new(orig->dtype, orig->rank, orig->dims, NULL);
    for (int i = 0; t && i < v->count; i++)
        cs_tensor_set_f64(t, i, v->v[i]);
    cs_probe_patch patch = {ca->node, NULL, NULL, ca->input, t, NULL};
    cs_tensor *out = t ? cs_probe_run_a(p, &patch) : NULL;
    cs_tensor_free(t);
    return out;
}

typedef struct cand_list {
    cs_canon_attr c[24];
    int n;
} cand_list;

static void cand_push(cand_list *l, const cs_canon_attr *base, const cs_canon_attr *v)
{
    if (l->n >= 24 || cs_canon_equal(base, v))
        return;
    for (int i = 0; i < l->n; i++)
        if (cs_canon_equal(&l->c[i], v))
            return;
    l->c[l->n++] = *v;
}

static void cand_nums(cand_list *l, const cs_canon_attr *base, const double *v, int n)
{
    cs_canon_attr c = *base;
    c.count = n;
    for (int i = 0; i < n; i++)
        c.v[i] = v[i];
    cand_push(l, base, &c);
}

static void cand_str(cand_list *l, const cs_canon_attr *base, const char *s)
{
    cs_canon_attr c = *base;
    cs_fmt(c.s, sizeof c.s, "%s", s);
    cand_push(l, base, &c);
}

/* Pads moved by one between begin and end of one or all spatial dims, dropped, or grown. */
static void pad_candidates(const cs_canon_attr *ca, cand_list *l)
{
    int n = ca->count, half = n / 2;
    if (n < 2 || n % 2)
        return;
    int first = half > 2 ? half - 2 : 0; /* a Pad over N,C,H,W pads only the last two dims in practice */
    for (int shift = -2; shift <= 2; shift++) {
        if (!shift)
            continue;
        for (int d = first; d <= half; d++) { /* d == half: every spatial dim at once */
            double v[CS_CANON_VALS];
            memcpy(v, ca->v, sizeof v);
            for (int k = first; k < half; k++)
                if (d == half || k == d)
                    v[k] -= shift, v[k + half] += shift;
            bool ok = true;
            for (int k = 0; k < n; k++)
                ok = ok && v[k] >= 0;
            if (ok)
                cand_nums(l, ca, v, n);
        }
    }
    double z[CS_CANON_VALS] = {0}, g[CS_CANON_VALS];
    for (int k = 0; k < n; k++)
        g[k] = ca->v[k] + 1;
    cand_nums(l, ca, z, n);
    cand_nums(l, ca, g, n);
}

static void generated(const cs_probe *p, const cs_canon_attr *ca, cand_list *l)
{
    const char *nm = ca->name;
    if (strcmp(nm, "ceil_mode") == 0 || strcmp(nm, "count_include_pad") == 0 || strcmp(nm, "transA") == 0 ||
        strcmp(nm, "transB") == 0) {
        double v = ca->v[0] ? 0 : 1;
        cand_nums(l, ca, &v, 1);
    } else if (strcmp(nm, "axis") == 0) {
        const cs_tensor *x = cs_probe_a_input(p, ca->node, 0);
        for (int ax = 0; x && ax < x->rank; ax++) {
            double v = ax;
            cand_nums(l, ca, &v, 1);
        }
    } else if (strcmp(nm, "strides") == 0) {
        for (int s = 1; s <= 3; s++) {
            double v[CS_CANON_VALS];
            for (int i = 0; i < ca->count; i++)
                v[i] = s;
            cand_nums(l, ca, v, ca->count);
        }
    } else if (strcmp(nm, "pads") == 0) {
        pad_candidates(ca, l);
    } else if (strcmp(nm, "epsilon") == 0) {
        static const double eps[] = {1e-3, 1e-5, 1e-6, 1e-12, 1e-8, 1e-4, 1e-2, 1e-1, 1e-9, 0.5};
        for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++)
            cand_nums(l, ca, &eps[i], 1);
    } else if (strcmp(nm, "alpha") == 0) {
        static const double al[] = {0.01, 0.1, 0.2, 0.3, 1.0};
        for (size_t i = 0; i < sizeof al / sizeof al[0]; i++)
            cand_nums(l, ca, &al[i], 1);
    } else if (strcmp(nm, "min") == 0 || strcmp(nm, "max") == 0) {
        static const double b[] = {0, 6, -1, 1, INFINITY, -INFINITY};
        for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
            cand_nums(l, ca, &b[i], 1);
    } else if (strcmp(nm, "mode") == 0 && strcmp(p->a->nodes[ca->node].op, "Pad") != 0) {
        cand_str(l, ca, "nearest"), cand_str(l, ca, "linear"), cand_str(l, ca, "cubic");
    } else if (strcmp(nm, "coordinate_transformation_mode") == 0) {
        static const char *m[] = {"half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"};
        for (int i = 0; i < 4; i++)
            cand_str(l, ca, m[i]);
    } else if (strcmp(nm, "nearest_mode") == 0) {
        cand_str(l, ca, "round_prefer_floor"), cand_str(l, ca, "floor"), cand_str(l, ca, "round_prefer_ceil");
    } else if (strcmp(nm, "approximate") == 0) {
        cand_str(l, ca, "none"), cand_str(l, ca, "tanh");
    }
}

static cs_hyp *attr_hyp(const cs_probe *p, cs_hyps *hs, const cs_canon_attr *x, const cs_canon_attr *y,
                        const cs_canon_attr *v, double res)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    bool as_if = y && cs_canon_equal(x, y); /* B states A's value: the change only mimics what B does */
    cs_hyp *hy = cs_hyp_add(hs, as_if ? "attribute_as_if" : "attribute", res);
    if (!hy)
        return NULL;
    cs_fmt(hy->attribute, sizeof hy->attribute, "%s", x->name);
    cs_canon_str(x, hy->a, sizeof hy->a);
    cs_canon_str(v, hy->b, sizeof hy->b);
    hy->observed = y && cs_canon_equal(v, y);
    cs_fmt(hy->what, sizeof hy->what, "%s %s", x->name, hy->b);
    cs_fmt(hy->layer_a, sizeof hy->layer_a, "%s", layer_of(p->a, x->node, mp->a, mp->n_a));
    cs_fmt(hy->layer_b, sizeof hy->layer_b, "%s", layer_of(p->b, y ? y->node : -1, mp->b, mp->n_b));
    return hy;
}

/* The attributes of one A node whose value B states differently, changed together (a resize's mode with the
 * coordinate and rounding modes that go with it): named by the first of them without which B is not
 * reproduced. */
static void joint_attributes(const cs_probe *p, cs_hyps *hs, const cs_canon *ca, const cs_canon *cb, int node)
{
    const cs_canon_attr *xs[MAX_JOINT], *ys[MAX_JOINT];
    int n = 0;
    for (int i = 0; i < ca->n && n < MAX_JOINT; i++) {
        const cs_canon_attr *x = &ca->items[i], *y = cs_canon_find(cb, x->name);
        if (x->node == node && x->input < 0 && y && !cs_canon_equal(x, y) && x->is_string == y->is_string &&
            strcmp(x->name, "kernel_shape") != 0 && strcmp(x->name, "group") != 0)
            xs[n] = x, ys[n++] = y;
    }
    if (n < 2)
        return;
    cs_canon_attr nat[MAX_JOINT];
    const cs_canon_attr *ns[MAX_JOINT];
    for (int j = 0; j < n; j++)
        cs_canon_to_native(xs[j], ys[j], &nat[j]), ns[j] = &nat[j];
    cs_tensor *h = run_with_all(p, xs, ns, n);
    double res = cs_probe_residual(p, h, true, p->b_local, false);
    cs_tensor_free(h);
    if (!(res <= 1e-4))
        return;
    int key = -1; /* the first attribute B needs: without it the others do not reproduce B */
    for (int k = 0; k < n && key < 0; k++) {
        const cs_canon_attr *x2[MAX_JOINT], *y2[MAX_JOINT];
        int m = 0;
        for (int j = 0; j < n; j++)
            if (j != k)
                x2[m] = xs[j], y2[m++] = ns[j];
        h = run_with_all(p, x2, y2, m);
        double r2 = cs_probe_residual(p, h, true, p->b_local, false);
        cs_tensor_free(h);
        if (!(r2 <= 1e-4))
            key = k;
    }
    key = key < 0 ? 0 : key;
    cs_hyp *hy = attr_hyp(p, hs, xs[key], ys[key], ys[key], res);
    if (!hy)
        return;
    size_t used = 0;
    for (int j = 0; j < n && used < sizeof hy->also; j++) {
        char v[64];
        if (j != key)
            used += (size_t)snprintf(hy->also + used, sizeof hy->also - used, "%s%s %s", used ? ", " : "",
                                     xs[j]->name, cs_canon_str(ys[j], v, sizeof v));
    }
    cs_fmt(hy->what, sizeof hy->what, "%s %s with %s", xs[key]->name, hy->b, hy->also);
}

void cs_hyp_attributes(const cs_probe *p, cs_hyps *hs)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    cs_canon ca, cb;
    cs_canon_collect(p->a, mp->a, mp->n_a, p->va, &ca);
    cs_canon_collect(p->b, mp->b, mp->n_b, p->vb, &cb);
    for (int i = 0; i < ca.n; i++) {
        const cs_canon_attr *x = &ca.items[i], *y = cs_canon_find(&cb, x->name);
        if (x->node < 0 || strcmp(x->name, "kernel_shape") == 0 || strcmp(x->name, "group") == 0)
            continue;
        cand_list l = {.n = 0};
        if (y)
            cand_push(&l, x, y);
        generated(p, x, &l);
        for (int k = 0; k < l.n; k++) {
            cs_canon_attr nv; /* the candidate in the node's own terms (a channels-last axis) */
            cs_canon_to_native(x, &l.c[k], &nv);
            cs_tensor *h = run_with(p, x, &nv);
            double res = cs_probe_residual(p, h, true, p->b_local, false);
            cs_tensor_free(h);
            if (!attr_hyp(p, hs, x, y, &l.c[k], res))
                return;
        }
    }
    for (int i = 0; i < ca.n; i++) /* once per node carrying attributes */
        if (ca.items[i].node >= 0 && (i == 0 || ca.items[i].node != ca.items[i - 1].node))
            joint_attributes(p, hs, &ca, &cb, ca.items[i].node);
}

/* ---- operands ---- */

static void try_order(const cs_probe *p, cs_hyps *hs, int node, const int *order, const char *what)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    cs_probe_patch patch = {node, NULL, order, -1, NULL, NULL};
    cs_tensor *h = cs_probe_run_a(p, &patch);
    cs_hyp *hy = cs_hyp_add(hs, "input_order", cs_probe_residual(p, h, true, p->b_local, false));
    cs_tensor_free(h);
    if (!hy)
        return;
    cs_fmt(hy->what, sizeof hy->what, "%s", what);
    cs_fmt(hy->a, sizeof hy->a, "(");
    cs_fmt(hy->layer_a, sizeof hy->layer_a, "%s", layer_of(p->a, node, mp->a, mp->n_a));
    cs_fmt(hy->layer_b, sizeof hy->layer_b, "%s", layer_of(p->b, -1, mp->b, mp->n_b));
    size_t ua = 1, ub = 0;
    for (int i = 0; i < p->a->nodes[node].n_inputs && ua < sizeof hy->a - 8; i++) {
        ua += (size_t)snprintf(hy->a + ua, sizeof hy->a - ua, "%s%d", i ? "," : "", i);
        ub += (size_t)snprintf(hy->b + ub, sizeof hy->b - ub, "%s%d", i ? "," : "(", order[i]);
    }
    cs_fmt(hy->a + ua, sizeof hy->a - ua, ")");
    cs_fmt(hy->b + ub, sizeof hy->b - ub, ")");
}

void cs_hyp_operands(const cs_probe *p, cs_hyps *hs)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    for (int l = 0; l < mp->n_a; l++) {
        const cs_layer *L = &p->a->layers[mp->a[l]];
        for (int k = 0; k < L->n_nodes; k++) {
            int n = L->nodes[k];
            const cs_node *nd = &p->a->nodes[n];
            int m = nd->n_inputs, order[64];
            if (m < 2 || m > 64)
                continue;
            if (m == 2 || strcmp(nd->op, "Concat") == 0) {
                for (int i = 0; i < m; i++)
                    order[i] = m - 1 - i;
                try_order(p, hs, n, order, m == 2 ? "operands swapped" : "inputs in reverse order");
                for (int s = 0; m > 2 && s + 1 < m && s < 6; s++) {
                    for (int i = 0; i < m; i++)
                        order[i] = i == s ? s + 1 : i == s + 1 ? s : i;
                    try_order(p, hs, n, order, "two inputs swapped");
                }
            }
            for (int i = 0; i < m; i++) { /* B passes one operand through: the op itself was dropped */
                const cs_tensor *x = cs_probe_a_input(p, n, i);
                if (!x || p->a->values[nd->inputs[i]].data)
                    continue;
                cs_hyp *hy = cs_hyp_add(hs, "operand_dropped", cs_probe_residual(p, x, true, p->b_local, false));
                if (!hy)
                    return;
                cs_fmt(hy->what, sizeof hy->what, "B outputs input %d of A's %s unchanged (the %s itself is missing)",
                         i, nd->op, nd->op);
                cs_fmt(hy->a, sizeof hy->a, "%s", nd->op);
                cs_fmt(hy->b, sizeof hy->b, "input %d", i);
                cs_fmt(hy->layer_a, sizeof hy->layer_a, "%s", L->name);
                cs_fmt(hy->layer_b, sizeof hy->layer_b, "%s", layer_of(p->b, -1, mp->b, mp->n_b));
            }
        }
    }
}

/* ---- layout of the output ---- */

/* Relative residual of B against A with channel (axis 1) c of B holding A's channel perm(c): a channel shuffle
 * of g groups (C = g x k; B's channel i*g+j is A's j*k+i), or its inverse. */
static double shuffle_residual(const cs_tensor *a, const cs_tensor *b, int64_t g, bool inverse)
{
    int64_t c = a->dims[1], k = c / g, inner = 1, outer = a->dims[0];
    for (int i = 2; i < a->rank; i++)
        inner *= a->dims[i];
    double num = 0, den = 0;
    for (int64_t n = 0; n < outer; n++)
        for (int64_t ch = 0; ch < c; ch++) {
            int64_t src = inverse ? (ch % k) * g + ch / k : (ch % g) * k + ch / g;
            for (int64_t e = 0; e < inner; e++) {
                double x = cs_tensor_get_f64(a, (n * c + src) * inner + e), y = cs_tensor_get_f64(b, (n * c + ch) * inner + e);
                num += (x - y) * (x - y), den += y * y;
            }
        }
    return den > 0 ? sqrt(num / den) : INFINITY;
}

static void shuffle_hyps(const cs_probe *p, cs_hyps *hs, const cs_tensor *ao, const cs_tensor *bl)
{
    if (ao->rank < 3 || bl->rank != ao->rank || memcmp(ao->dims, bl->dims, sizeof(int64_t) * (size_t)ao->rank) != 0)
        return;
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    static const int groups[] = {2, 3, 4, 8};
    for (int i = 0; i < 4; i++) {
        int64_t g = groups[i];
        if (ao->dims[1] % g || ao->dims[1] / g < 2)
            continue;
        for (int inv = 0; inv < 2; inv++) {
            cs_hyp *hy = cs_hyp_add(hs, "layout", shuffle_residual(ao, bl, g, inv));
            if (!hy)
                return;
            /* inverse: B[j*k+i] = A[i*g+j], B is A with its channel shuffle undone (the shuffle was lost) */
            cs_fmt(hy->what, sizeof hy->what, "its channels %s in %lld groups (a channel shuffle %s)",
                   inv ? "unshuffled" : "shuffled", (long long)g, inv ? "lost" : "added");
            cs_fmt(hy->a, sizeof hy->a, "A's channel order");
            cs_fmt(hy->b, sizeof hy->b, "channels %s in %lld groups", inv ? "unshuffled" : "shuffled", (long long)g);
            cs_fmt(hy->layer_a, sizeof hy->layer_a, "%s", p->a->layers[mp->a[0]].name);
            cs_fmt(hy->layer_b, sizeof hy->layer_b, "%s", p->b->layers[mp->b[mp->n_b - 1]].name);
        }
    }
}

void cs_hyp_layout(const cs_probe *p, cs_hyps *hs)
{
    const cs_tensor *ao = p->va[p->a_out], *bl = p->b_local;
    if (!ao || !bl || cs_tensor_numel(ao) != cs_tensor_numel(bl) || cs_tensor_numel(ao) < 4 || hs->baseline < 1e-3)
        return;
    shuffle_hyps(p, hs, ao, bl);
    cs_tensor view = *bl;
    if (view.rank != ao->rank) { /* read B's values in A's shape */
        view.rank = ao->rank;
        memcpy(view.dims, ao->dims, sizeof view.dims);
    }
    char kind[32], detail[160];
    cs_layout la = ao->rank == 2 ? CS_LAYOUT_OI : CS_LAYOUT_UNKNOWN;
    cs_weights_explain(ao, la, &view, CS_DT_F32, kind, sizeof kind, detail, sizeof detail);
    if (strcmp(kind, "weights_layout") != 0)
        return;
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    cs_hyp *hy = cs_hyp_add(hs, "layout", 0);
    if (!hy)
        return;
    bool cols = strncmp(detail, "columns", 7) == 0; /* on an activation the columns are its features */
    cs_fmt(hy->what, sizeof hy->what, "%s%s", cols ? "features" : "", cols ? detail + 7 : detail);
    cs_fmt(hy->a, sizeof hy->a, "A's order");
    cs_fmt(hy->b, sizeof hy->b, "%s", hy->what);
    cs_fmt(hy->layer_a, sizeof hy->layer_a, "%s", p->a->layers[mp->a[0]].name);
    cs_fmt(hy->layer_b, sizeof hy->layer_b, "%s", p->b->layers[mp->b[0]].name);
}

/* ---- preprocessing at the model input ---- */

static int b_graph_input(const cs_probe *p)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    for (int i = 0; i < p->b->n_inputs; i++)
        for (int l = 0; l < mp->n_b; l++) {
            const cs_layer *L = &p->b->layers[mp->b[l]];
            for (int k = 0; k < L->n_nodes; k++) {
                const cs_node *nd = &p->b->nodes[L->nodes[k]];
                for (int q = 0; q < nd->n_inputs; q++)
                    if (nd->inputs[q] == p->b->inputs[i])
                        return p->b->inputs[i];
            }
        }
    return -1;
}

static cs_tensor *reversed(const cs_tensor *x, int axis)
{
    cs_tensor *t = cs_tensor_clone(x, NULL);
    if (!t)
        return NULL;
    int64_t inner = 1, c = x->dims[axis];
    for (int i = axis + 1; i < x->rank; i++)
        inner *= x->dims[i];
    for (int64_t k = 0, n = cs_tensor_numel(x); k < n; k++) {
        int64_t ch = (k / inner) % c, src = k + (c - 1 - 2 * ch) * inner;
        cs_tensor_set_f64(t, k, cs_tensor_get_f64(x, src));
    }
    return t;
}

static cs_tensor *affine(const cs_tensor *x, double s, double m)
{
    cs_tensor *t = cs_tensor_clone(x, NULL);
    for (int64_t k = 0, n = t ? cs_tensor_numel(t) : 0; k < n; k++)
        cs_tensor_set_f64(t, k, cs_tensor_get_f64(x, k) * s + m);
    return t;
}

static void try_input(const cs_probe *p, cs_hyps *hs, int gi, cs_tensor *x, const char *what, const char *b)
{
    cs_tensor *h = x ? cs_probe_run_b_on(p, gi, x) : NULL;
    cs_hyp *hy = cs_hyp_add(hs, "preprocessing", cs_probe_residual(p, h, false, p->va[p->a_out], true));
    cs_tensor_free(h);
    cs_tensor_free(x);
    if (!hy)
        return;
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    cs_fmt(hy->what, sizeof hy->what, "%s", what);
    cs_fmt(hy->a, sizeof hy->a, "the input as fed");
    cs_fmt(hy->b, sizeof hy->b, "%s", b);
    cs_fmt(hy->layer_a, sizeof hy->layer_a, "%s", p->a->layers[mp->a[0]].name);
    cs_fmt(hy->layer_b, sizeof hy->layer_b, "%s", p->b->layers[mp->b[0]].name);
}

/* "per channel x0.0039 +0" (at most 4 channels named) for B's input against A's, per channel of axis `ax`. */
static void describe_affine(const cs_tensor *xa, const cs_tensor *xb, int ax, char *buf, size_t size)
{
    int64_t c = xa->dims[ax], inner = 1;
    for (int i = ax + 1; i < xa->rank; i++)
        inner *= xa->dims[i];
    size_t used = (size_t)snprintf(buf, size, "B's input = A's");
    for (int64_t ch = 0; ch < c && ch < 4 && used < size; ch++) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
        for (int64_t k = 0, tot = cs_tensor_numel(xa); k < tot; k++) {
            if ((k / inner) % c != ch)
                continue;
            double x = cs_tensor_get_f64(xa, k), y = cs_tensor_get_f64(xb, k);
            sx += x, sy += y, sxx += x * x, sxy += x * y, n++;
        }
        double var = sxx - sx * sx / n, s = var > 0 ? (sxy - sx * sy / n) / var : 1, m = (sy - s * sx) / n;
        used += (size_t)snprintf(buf + used, size - used, "%s x%.4g%+.4g", ch ? "," : " per channel", s, m);
    }
}

/* The two models fed different effective inputs (their own preprocessing): B's layer on A's input reproduces A. */
static void effective_inputs(const cs_probe *p, cs_hyps *hs, int gi)
{
    const cs_tensor *xa = NULL, *xb = p->vb[gi];
    for (int i = 0; i < p->a->n_inputs && !xa; i++)
        xa = p->va[p->a->inputs[i]];
    if (!xa || !xb || cs_tensor_numel(xa) != cs_tensor_numel(xb))
        return;
    cs_tensor *fed = cs_align_from(xa, p->a->values[p->a->inputs[0]].layout, xb, p->b->values[gi].layout);
    if (!fed)
        return;
    double diff = cs_probe_residual(p, fed, false, xb, false);
    if (diff < 1e-6) { /* the same input: nothing to learn here */
        cs_tensor_free(fed);
        return;
    }
    char what[160];
    int ax = p->b->values[gi].layout == CS_LAYOUT_NHWC ? fed->rank - 1 : 1;
    describe_affine(fed, xb, ax, what, sizeof what);
    try_input(p, hs, gi, fed, what, "A's effective input");
}

void cs_hyp_preprocessing(const cs_probe *p, cs_hyps *hs)
{
    int gi = b_graph_input(p);
    const cs_tensor *x = gi >= 0 ? p->vb[gi] : NULL;
    if (!p->reads_graph_input || !x || !cs_dtype_is_float(x->dtype) || x->rank < 3)
        return;
    effective_inputs(p, hs, gi);
    int axes[2] = {1, x->rank - 1};
    for (int k = 0; k < 2; k++)
        if (x->dims[axes[k]] == 3 && (k == 0 || axes[1] != axes[0]))
            try_input(p, hs, gi, reversed(x, axes[k]), "B expects the colour channels in reverse order (BGR vs RGB)",
                      "channels reversed (BGR)");
    try_input(p, hs, gi, affine(x, 255, 0), "B expects pixels in 0..255 where A takes 0..1", "pixels x255");
    try_input(p, hs, gi, affine(x, 1.0 / 255, 0), "B expects pixels in 0..1 where A takes 0..255", "pixels /255");
    try_input(p, hs, gi, affine(x, 2, -1), "B expects inputs in -1..1 where A takes 0..1", "2x-1");
    try_input(p, hs, gi, affine(x, 0.5, 0.5), "B expects inputs in 0..1 where A takes -1..1", "(x+1)/2");
}
