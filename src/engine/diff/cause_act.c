/* cause_act.c — activation substitutions: when the first divergent pair is an element-wise activation, every
 * known activation is computed on A's input and fitted to B's output (and to A's, to name what A computes). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cause_internal.h"

typedef double (*act_fn)(double);

static double f_identity(double x) { return x; }
static double f_relu(double x) { return x > 0 ? x : 0; }
static double f_relu6(double x) { return x < 0 ? 0 : x > 6 ? 6 : x; }
static double f_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double f_silu(double x) { return x / (1 + exp(-x)); }
static double f_tanh(double x) { return tanh(x); }
static double f_leaky001(double x) { return x > 0 ? x : 0.01 * x; }
static double f_leaky01(double x) { return x > 0 ? x : 0.1 * x; }
static double f_leaky02(double x) { return x > 0 ? x : 0.2 * x; }
static double f_elu(double x) { return x > 0 ? x : exp(x) - 1; }
static double f_selu(double x) { return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (exp(x) - 1)); }
static double f_gelu(double x) { return 0.5 * x * (1 + erf(x / sqrt(2))); }
static double f_gelu_tanh(double x) { return 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }
static double f_hsig_onnx(double x) { return fmax(0, fmin(1, 0.2 * x + 0.5)); }
static double f_hsig_torch(double x) { return fmax(0, fmin(1, x / 6 + 0.5)); }
static double f_hswish(double x) { return x * f_hsig_torch(x); }
static double f_x_hsig_onnx(double x) { return x * f_hsig_onnx(x); }
static double f_softplus(double x) { return x > 20 ? x : log1p(exp(x)); }
static double f_mish(double x) { return x * tanh(f_softplus(x)); }
static double f_hardtanh(double x) { return x < -1 ? -1 : x > 1 ? 1 : x; }

static const struct {
    const char *name;
    act_fn f;
} acts[] = {
    {"identity", f_identity},       {"relu", f_relu},           {"relu6", f_relu6},
    {"sigmoid", f_sigmoid},         {"silu", f_silu},           {"tanh", f_tanh},
    {"leakyrelu(0.01)", f_leaky001}, {"leakyrelu(0.1)", f_leaky01}, {"leakyrelu(0.2)", f_leaky02},
    {"elu", f_elu},                 {"selu", f_selu},           {"gelu (exact)", f_gelu},
    {"gelu (tanh)", f_gelu_tanh},   {"hardsigmoid(0.2,0.5)", f_hsig_onnx}, {"hardsigmoid(1/6,0.5)", f_hsig_torch},
    {"hardswish", f_hswish},        {"softplus", f_softplus},   {"mish", f_mish},
    {"hardtanh", f_hardtanh},       {"x*hardsigmoid(0.2,0.5)", f_x_hsig_onnx},
};
#define N_ACTS ((int)(sizeof acts / sizeof acts[0]))

/* The single computed input of A's group when the group maps it element-wise to an output of the same shape. */
static const cs_tensor *elementwise_input(const cs_probe *p)
{
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    const cs_tensor *in = NULL, *out = p->va[p->a_out];
    int nodes = 0;
    for (int l = 0; l < mp->n_a; l++) {
        const cs_layer *L = &p->a->layers[mp->a[l]];
        for (int k = 0; k < L->n_nodes; k++) {
            const cs_node *nd = &p->a->nodes[L->nodes[k]];
            nodes++;
            for (int i = 0; i < nd->n_inputs; i++) {
                int v = nd->inputs[i];
                if (v < 0 || p->a->values[v].data)
                    continue;
                int prod = p->a->values[v].producer;
                bool internal = false;
                for (int q = 0; prod >= 0 && q < mp->n_a; q++)
                    internal = internal || p->a->nodes[prod].layer == mp->a[q];
                if (internal)
                    continue;
                const cs_tensor *t = p->va[v];
                if (t && in && t != in)
                    return NULL; /* two computed inputs: not a unary activation */
                in = t ? t : in;
            }
        }
    }
    if (!in || !out || nodes > 4 || in->rank != out->rank ||
        memcmp(in->dims, out->dims, sizeof(int64_t) * (size_t)in->rank) != 0 || !cs_dtype_is_float(in->dtype))
        return NULL;
    return in;
}

static cs_tensor *apply(const cs_tensor *x, act_fn f)
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, x->rank, x->dims, NULL);
    for (int64_t k = 0, n = t ? cs_tensor_numel(t) : 0; k < n; k++)
        ((float *)t->data)[k] = (float)f(cs_tensor_get_f64(x, k));
    return t;
}

void cs_hyp_activations(const cs_probe *p, cs_hyps *hs)
{
    const cs_tensor *x = elementwise_input(p);
    if (!x)
        return;
    const cs_match_pair *mp = &p->r->matching->pairs[p->pair];
    double res_b[N_ACTS], res_a[N_ACTS];
    int a_best = -1;
    for (int i = 0; i < N_ACTS; i++) {
        cs_tensor *h = apply(x, acts[i].f);
        res_b[i] = cs_probe_residual(p, h, true, p->b_local, false);
        res_a[i] = cs_probe_residual(p, h, true, p->va[p->a_out], true);
        cs_tensor_free(h);
        if (res_a[i] < 1e-5 && (a_best < 0 || res_a[i] < res_a[a_best]))
            a_best = i;
    }
    for (int i = 0; i < N_ACTS; i++) {
        if (i == a_best)
            continue;
        cs_hyp *hy = cs_hyp_add(hs, "activation_substituted", res_b[i]);
        if (!hy)
            return;
        cs_fmt(hy->a, sizeof hy->a, "%s", a_best >= 0 ? acts[a_best].name : p->a->layers[mp->a[0]].type);
        cs_fmt(hy->b, sizeof hy->b, "%s", acts[i].name);
        cs_fmt(hy->what, sizeof hy->what, "%s in place of %s", hy->b, hy->a);
        cs_fmt(hy->layer_a, sizeof hy->layer_a, "%s", p->a->layers[mp->a[0]].name);
        cs_fmt(hy->layer_b, sizeof hy->layer_b, "%s", p->b->layers[mp->b[0]].name);
    }
}
