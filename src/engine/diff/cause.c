/* cause.c — names the cause of a first divergence: a preprocessing change at the model input, else what the
 * pair's weights say, else the probe hypothesis with the smallest residual; words it as one sentence. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "cause_internal.h"

/* A hypothesis explains B when A's layer so changed reproduces B's layer (fed A's input) to a relative residual
 * of 1e-4: re-running one float32 layer differs by ~1e-7 (summation order), while every planted fault in the
 * corpus leaves a residual above 1e-3; it must also beat A's unchanged layer tenfold. */
#define FIT 1e-4
/* Below this relative residual with no structural explanation, B is A computed in reduced precision
 * (fp16 arithmetic leaves ~1e-3; the default tolerance already flags 1e-5 differences). */
#define PRECISION_FIT 2e-2
/* Below this, the residual is float32 summation-order noise (a few ulps over long dot products), not
 * reduced-precision arithmetic (fp16 leaves ~1e-4 and more). */
#define FLOAT_NOISE 1e-5

static const char *const kinds[] = {"weights_layout", "weights_scaled",         "weights_precision",
                                    "weights_different", "bias_missing",        "attribute",
                                    "activation_substituted", "input_order",    "layout",
                                    "preprocessing",  "precision",              "unknown"};

void cs_fmt(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

const char *const *cs_cause_kinds(int *n)
{
    *n = (int)(sizeof kinds / sizeof kinds[0]);
    return kinds;
}

static void set_kind(cs_cause *c, const char *kind)
{
    c->found = true;
    cs_fmt(c->kind, sizeof c->kind, "%s", kind);
}

/* The hypothesis with the smallest residual among those of `kind` (any kind when NULL), skipping `not`. */
static const cs_hyp *best(const cs_hyps *hs, const char *kind, const cs_hyp *not)
{
    const cs_hyp *b = NULL;
    for (int i = 0; i < hs->n; i++) {
        const cs_hyp *h = &hs->h[i];
        if (h == not || (kind && strcmp(h->kind, kind) != 0) || isinf(h->res))
            continue;
        if (not && strcmp(h->what, not->what) == 0 && strcmp(h->kind, not->kind) == 0)
            continue;
        if (!b || h->res < b->res)
            b = h;
    }
    return b;
}

/* The best attribute hypothesis whose value is the one B states. */
static const cs_hyp *observed(const cs_hyps *hs)
{
    const cs_hyp *b = NULL;
    for (int i = 0; i < hs->n; i++)
        if (hs->h[i].observed && strcmp(hs->h[i].kind, "attribute") == 0 && !isinf(hs->h[i].res) &&
            (!b || hs->h[i].res < b->res))
            b = &hs->h[i];
    return b;
}

static bool fits(const cs_hyp *h, double baseline)
{
    return h && h->res <= FIT && (h->res < 0.1 * baseline || isinf(baseline));
}

static void hyp_summary(const cs_hyp *h, cs_cause *c)
{
    const char *k = h->kind;
    if (strcmp(k, "attribute") == 0 && h->also[0])
        cs_fmt(c->summary, sizeof c->summary,
               "B's %s has %s %s (with %s) where A's %s has %s %s: A's layer with B's values reproduces B (residual "
               "%.2g); set %s back to %s",
               h->layer_b, h->attribute, h->b, h->also, h->layer_a, h->attribute, h->a, h->res, h->attribute, h->a);
    else if (strcmp(k, "attribute") == 0)
        cs_fmt(c->summary, sizeof c->summary,
                 "B's %s has %s %s where A's %s has %s: A's layer with %s %s reproduces B (residual %.2g); set it "
                 "back to %s",
                 h->layer_b, h->attribute, h->b, h->layer_a, h->a, h->attribute, h->b, h->res, h->a);
    else if (strcmp(k, "attribute_as_if") == 0)
        cs_fmt(c->summary, sizeof c->summary,
               "B's %s behaves as if its %s were %s (residual %.2g) although it states %s, A's value: the fault is in "
               "what the attribute acts on (an operand or weight stored differently)",
               h->layer_b, h->attribute, h->b, h->res, h->a);
    else if (strcmp(k, "activation_substituted") == 0 && h->b_side)
        cs_fmt(c->summary, sizeof c->summary,
               "B's %s computes %s where A's %s needs %s: B with %s there reproduces A (residual %.2g); restore %s",
               h->layer_b, h->b, h->layer_a, h->a, h->a, h->res, h->a);
    else if (strcmp(k, "activation_substituted") == 0)
        cs_fmt(c->summary, sizeof c->summary, "B's %s computes %s where A's %s computes %s: restore %s", h->layer_b,
                 h->b, h->layer_a, h->a, h->a);
    else if (strcmp(k, "input_order") == 0 && h->b_side)
        cs_fmt(c->summary, sizeof c->summary,
               "B's %s reads its operands in order %s where A's %s needs %s: B with them in A's order reproduces A "
               "(residual %.2g); put them back",
               h->layer_b, h->b, h->layer_a, h->a, h->res);
    else if (strcmp(k, "input_order") == 0)
        cs_fmt(c->summary, sizeof c->summary,
                 "B's %s reads its inputs in order %s where A's %s reads %s: put them back in A's order", h->layer_b,
                 h->b, h->layer_a, h->a);
    else if (strcmp(k, "operand_dropped") == 0)
        cs_fmt(c->summary, sizeof c->summary,
                 "B's %s passes %s of A's %s through unchanged: the %s was dropped in conversion", h->layer_b, h->b,
                 h->layer_a, h->a);
    else if (strcmp(k, "layout") == 0)
        cs_fmt(c->summary, sizeof c->summary,
                 "B's %s output is A's %s output with %s: fix the transpose or flatten order before it", h->layer_b,
                 h->layer_a, h->what);
    else if (strcmp(k, "preprocessing") == 0)
        cs_fmt(c->summary, sizeof c->summary,
                 "%s: B's %s on the input with %s reproduces A's %s (residual %.2g); fix B's input preprocessing",
                 h->what, h->layer_b, h->b, h->layer_a, h->res);
}

static void from_hyp(const cs_hyp *h, const cs_hyps *hs, cs_cause *c)
{
    bool named = strcmp(h->kind, "operand_dropped") != 0 && strcmp(h->kind, "attribute_as_if") != 0;
    set_kind(c, named ? h->kind : "unknown");
    if (strcmp(h->kind, "attribute") == 0)
        cs_fmt(c->attribute, sizeof c->attribute, "%s", h->attribute);
    cs_fmt(c->a, sizeof c->a, "%s", h->a);
    cs_fmt(c->b, sizeof c->b, "%s", h->b);
    c->residual = h->res;
    const cs_hyp *r2 = best(hs, NULL, h);
    if (r2) {
        cs_fmt(c->runner_up, sizeof c->runner_up, "%s: %s", r2->kind, r2->what);
        c->runner_up_residual = r2->res;
    }
    cs_fmt(c->evidence, sizeof c->evidence,
             "hypothesis '%s' fits B's layer (fed A's input) to a relative residual of %.3g; A's unchanged layer: "
             "%.3g; runner-up '%s': %.3g",
             h->what, h->res, hs->baseline, r2 ? r2->what : "none", r2 ? r2->res : -1.0);
    hyp_summary(h, c);
}

/* The name of the layer of the group holding a weight called `tensor` (the group's first layer when none). */
static const char *owner(const cs_graph *g, const int *layers, int n, const char *tensor)
{
    for (int i = 0; i < n && tensor[0]; i++) {
        const cs_layer *l = &g->layers[layers[i]];
        for (int w = 0; w < l->n_weights; w++)
            if (l->weights[w].name && strcmp(l->weights[w].name, tensor) == 0)
                return l->name;
    }
    return g->layers[layers[0]].name;
}

static void from_weights(const cs_probe *p, const cs_weight_cmp *w, cs_cause *c)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    const char *la = owner(p->a, mp->a, mp->n_a, w->tensor_a), *lb = owner(p->b, mp->b, mp->n_b, w->tensor_b);
    const char *k = w->relation;
    set_kind(c, k);
    c->residual = 0;
    cs_fmt(c->a, sizeof c->a, "%s", w->tensor_a);
    cs_fmt(c->b, sizeof c->b, "%s", strcmp(k, "bias_missing") == 0 ? "none" : w->relation_detail);
    cs_fmt(c->evidence, sizeof c->evidence, "weights of A's %s and B's %s: %s (%s); max abs %.4g", la, lb, w->status,
             w->relation_detail, w->max_abs);
    if (strcmp(k, "weights_layout") == 0)
        cs_fmt(c->summary, sizeof c->summary, "B's %s weight %s is A's %s weight %s with %s: %s", lb, w->tensor_b,
               la, w->tensor_a, w->relation_detail,
               strncmp(w->relation_detail, "gate blocks", 11) == 0 ? "store its gate blocks in B's format's order"
                                                                    : "store it in A's order");
    else if (strcmp(k, "weights_scaled") == 0)
        cs_fmt(c->summary, sizeof c->summary, "B's %s weight %s is A's %s weight %s %s", lb, w->tensor_b, la,
                 w->tensor_a, w->relation_detail);
    else if (strcmp(k, "weights_precision") == 0)
        cs_fmt(c->summary, sizeof c->summary,
                 "B's %s weights are A's %s weights %s: the divergence is rounding, not a wiring fault (keep float32 "
                 "weights or loosen the tolerance)",
                 lb, la, w->relation_detail);
    else if (strcmp(k, "bias_missing") == 0)
        cs_fmt(c->summary, sizeof c->summary, "B's %s has no bias where A's %s adds %s: add the bias back", lb, la,
                 w->tensor_a);
    else
        cs_fmt(c->summary, sizeof c->summary, "B's %s weights are not A's %s weights (%s): re-export them", lb, la,
                 w->relation_detail);
}

static void unknown(const cs_probe *p, const cs_hyps *hs, cs_cause *c)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    const cs_hyp *h1 = best(hs, NULL, NULL), *h2 = h1 ? best(hs, NULL, h1) : NULL;
    set_kind(c, "unknown");
    c->residual = h1 ? h1->res : -1;
    if (h2) {
        cs_fmt(c->runner_up, sizeof c->runner_up, "%s: %s", h2->kind, h2->what);
        c->runner_up_residual = h2->res;
    }
    cs_fmt(c->evidence, sizeof c->evidence, "%d hypotheses tried; A's unchanged layer: %.3g; best '%s': %.3g; "
             "next '%s': %.3g", hs->n, hs->baseline, h1 ? h1->what : "none", h1 ? h1->res : -1.0,
             h2 ? h2->what : "none", h2 ? h2->res : -1.0);
    if (!h1)
        cs_fmt(c->summary, sizeof c->summary,
               "no hypothesis could be tested on B's %s against A's %s (A's unchanged layer differs by a relative "
               "residual of %.2g)", p->b->layers[mp->b[0]].name, p->a->layers[mp->a[0]].name, hs->baseline);
    else
        cs_fmt(c->summary, sizeof c->summary,
               "no single change explains B's %s against A's %s; best candidates: %s (residual %.2g)%s%s%s",
               p->b->layers[mp->b[0]].name, p->a->layers[mp->a[0]].name, h1->what, h1->res, h2 ? ", " : "",
               h2 ? h2->what : "", h2 ? " (next best)" : "");
}

void cs_cause_probe(const cs_probe *p, cs_cause *out)
{
    cs_hyps *hs = calloc(1, sizeof *hs);
    if (!hs)
        return;
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    const cs_weight_cmp *w = &p->r->layers[p->pair].weights;
    hs->baseline = cs_probe_residual(p, p->va[p->a_out], true, p->b_local, false);
    cs_hyp_preprocessing(p, hs);
    const cs_hyp *h = best(hs, "preprocessing", NULL), *obs;
    if (fits(h, hs->baseline) || (h && h->res <= FIT && w->relation[0])) {
        from_hyp(h, hs, out);
    } else if (w->compared && w->relation[0]) {
        /* B states another attribute value and A's layer, A's weights, with it reproduces B (a Gemm's transB
         * flipped over the same bytes): the attribute is the fault, the weight relation only its reading */
        cs_hyp_attributes(p, hs);
        obs = observed(hs);
        if (fits(obs, hs->baseline))
            from_hyp(obs, hs, out);
        else
            from_weights(p, w, out);
    } else {
        cs_hyp_attributes(p, hs);
        cs_hyp_activations(p, hs);
        cs_hyp_operands(p, hs);
        cs_hyp_layout(p, hs);
        h = best(hs, NULL, NULL);
        if (!fits(h, hs->baseline)) { /* no change to A's layer explains B: one node of B's changed */
            cs_hyp_b_side(p, hs);
            h = best(hs, NULL, NULL);
        }
        obs = observed(hs);
        if (fits(obs, hs->baseline)) /* B states that value: the field to fix, whatever else mimics it */
            h = obs;
        if (fits(h, hs->baseline)) {
            from_hyp(h, hs, out);
        } else if (hs->baseline < PRECISION_FIT) {
            set_kind(out, "precision");
            out->residual = hs->baseline;
            cs_fmt(out->a, sizeof out->a, "float32");
            cs_fmt(out->b, sizeof out->b, "reduced precision");
            cs_fmt(out->evidence, sizeof out->evidence,
                     "B's layer fed A's input differs from A's by a relative residual of %.3g with equal weights and "
                     "attributes; no structural hypothesis fits better",
                     hs->baseline);
            if (hs->baseline < FLOAT_NOISE)
                cs_fmt(out->summary, sizeof out->summary,
                       "B's %s reproduces A's %s to a relative residual of %.2g, the rounding of float32 arithmetic "
                       "(summation order): no fault in the layer; the tolerance is tighter than float32",
                       p->b->layers[mp->b[0]].name, p->a->layers[mp->a[0]].name, hs->baseline);
            else
                cs_fmt(out->summary, sizeof out->summary,
                       "B's %s matches A's %s only to a relative residual of %.2g: B computes it in reduced precision",
                       p->b->layers[mp->b[0]].name, p->a->layers[mp->a[0]].name, hs->baseline);
        } else {
            unknown(p, hs, out);
        }
    }
    free(hs);
}

void cs_cause_find(const cs_graph *a, const cs_graph *b, const cs_tensor *const *in_a, const cs_tensor *const *in_b,
                   const cs_diff_result *r, cs_cause *out)
{
    memset(out, 0, sizeof *out);
    out->runner_up_residual = -1;
    if (!r->ran || r->first_divergence < 0)
        return;
    cs_probe p;
    cs_error err = {0};
    if (cs_probe_open(a, b, in_a, in_b, r, r->first_divergence, &p, &err) != CS_OK) {
        set_kind(out, "unknown");
        out->residual = -1;
        cs_fmt(out->evidence, sizeof out->evidence, "the pair could not be probed: %.200s", err.msg);
        cs_fmt(out->summary, sizeof out->summary, "the cause could not be probed: %.200s", err.msg);
        cs_probe_close(&p);
        return;
    }
    cs_cause_probe(&p, out);
    cs_probe_close(&p);
}
