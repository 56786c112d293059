/* torchscript_aten_rnn.c — the recurrent family of the aten lowering: aten::lstm / aten::gru / aten::rnn_tanh /
 * aten::rnn_relu (what traced and scripted nn.LSTM/GRU/RNN call) as one ONNX LSTM/GRU/RNN node per layer, both
 * directions in one node, gates reordered from PyTorch's (i,f,g,o / r,z,n) to ONNX's (i,o,f,c / z,r,h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)

typedef struct rnn_kind {
    const char *onnx;
    int gates;
    int perm[4]; /* ONNX gate k is PyTorch gate perm[k] */
    bool has_c;
} rnn_kind;

static const rnn_kind LSTM_K = {"LSTM", 4, {0, 3, 1, 2}, true};
static const rnn_kind GRU_K = {"GRU", 3, {1, 0, 2, 0}, false};
static const rnn_kind RNN_K = {"RNN", 1, {0, 0, 0, 0}, false};

/* Stacks the per-direction matrices (or bias pairs) of one layer into an ONNX constant [nd, gates*H, cols]
 * with the gate blocks reordered; bias: [nd, 2*gates*H] from (b_ih, b_hh). -1 with err set. */
static int stack_params(ts_ctx *c, const rnn_kind *k, tv **p, int nd, int stride, int which, int64_t H, bool bias)
{
    const cs_tensor *t[2] = {NULL, NULL}, *t2[2] = {NULL, NULL};
    int64_t cols = 1;
    for (int d = 0; d < nd; d++) {
        tv *a = p[d * stride + which], *b = bias ? p[d * stride + which + 1] : NULL;
        t[d] = a && a->kind == TV_TENSOR ? c->g->values[a->value].data : NULL;
        t2[d] = b && b->kind == TV_TENSOR ? c->g->values[b->value].data : NULL;
        if (!t[d] || t[d]->dtype != CS_DT_F32 || cs_tensor_numel(t[d]) % (k->gates * H) || (bias && !t2[d]) ||
            (t2[d] && (t2[d]->dtype != CS_DT_F32 || cs_tensor_numel(t2[d]) != k->gates * H))) {
            cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s weights that are not f32 constants of %lld gates x %lld",
                       k->onnx, (long long)k->gates, (long long)H);
            return -1;
        }
        cols = bias ? 1 : cs_tensor_numel(t[d]) / (k->gates * H);
    }
    int64_t per = (bias ? 2 : 1) * k->gates * H * cols, dims[3] = {nd, bias ? 2 * k->gates * H : k->gates * H, cols};
    cs_tensor *out = cs_tensor_new(CS_DT_F32, bias ? 2 : 3, dims, c->err);
    if (!out)
        return -1;
    float *o = out->data;
    int64_t blk = H * cols;
    for (int d = 0; d < nd; d++)
        for (int half = 0; half < (bias ? 2 : 1); half++) {
            const float *src = (const float *)(half ? t2[d] : t[d])->data;
            for (int g = 0; g < k->gates; g++)
                memcpy(o + d * per + (half * k->gates + g) * blk, src + k->perm[g] * blk, (size_t)blk * sizeof *o);
        }
    int v = cs_graph_new_value(c->g, "rnn_param");
    if (v < 0 || (v = cs_graph_add_constant(c->g, c->g->values[v].name, out)) < 0) {
        cs_ts_oom(c);
        return -1;
    }
    return v;
}

/* Slice [lo, lo + len) of value x along axis 0. */
static int slice0(ts_ctx *c, int x, int64_t lo, int64_t len)
{
    int64_t hi = lo + len, ax = 0;
    int ins[4] = {x, cs_ts_const_ints(c, &lo, 1, false), cs_ts_const_ints(c, &hi, 1, false),
                  cs_ts_const_ints(c, &ax, 1, false)};
    return ins[1] < 0 || ins[2] < 0 || ins[3] < 0 ? -1 : cs_ts_emit(c, "Slice", ins, 4, NULL);
}

static int permute(ts_ctx *c, int x, const int64_t *perm, int r)
{
    int node, out = cs_ts_emit(c, "Transpose", &x, 1, &node);
    if (out >= 0 && !cs_attrs_add_ints(cs_ts_attrs(c, node), "perm", perm, r)) {
        cs_ts_oom(c);
        return -1;
    }
    return out;
}

static int concat0(ts_ctx *c, const int *vals, int n_vals)
{
    if (n_vals == 1)
        return vals[0];
    int node, out = cs_ts_emit(c, "Concat", vals, n_vals, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0)) {
        cs_ts_oom(c);
        return -1;
    }
    return out;
}

#define RNN_MAX_LAYERS 16

/* One ONNX node per layer; returns (output, h_n[, c_n]) in PyTorch's layouts. */
static tv *lower_rnn(ts_ctx *c, const rnn_kind *k, tv *x, tv *h0, tv *c0, tv *params, bool has_b, int64_t layers,
                     bool bidir, bool batch_first, const char *act)
{
    int nd = bidir ? 2 : 1, per = has_b ? 4 : 2;
    if (!cs_ts_need_tensor(c, k->onnx, x) || !params || params->kind != TV_LIST || layers < 1 ||
        layers > RNN_MAX_LAYERS || params->n != layers * nd * per)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s with parameters in an unexpected form", k->onnx);
    const cs_tensor *whh = params->items[1]->kind == TV_TENSOR ? c->g->values[params->items[1]->value].data : NULL;
    if (!whh || whh->rank != 2)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s weights are not constants", k->onnx);
    int64_t H = whh->dims[1], p3[3] = {1, 0, 2}, p4[4] = {0, 2, 1, 3}, shp3[3] = {0, 0, -1};
    int in = batch_first ? permute(c, x->value, p3, 3) : x->value;
    int hs[RNN_MAX_LAYERS], cs[RNN_MAX_LAYERS];
    for (int64_t l = 0; l < layers && in >= 0; l++) {
        tv **p = params->items + l * nd * per;
        int ins[7] = {in, stack_params(c, k, p, nd, per, 0, H, false), stack_params(c, k, p, nd, per, 1, H, false),
                      has_b ? stack_params(c, k, p, nd, per, 2, H, true) : -1, -1,
                      cs_ts_present(h0) ? slice0(c, h0->value, l * nd, nd) : -1,
                      k->has_c && cs_ts_present(c0) ? slice0(c, c0->value, l * nd, nd) : -1};
        if (ins[1] < 0 || ins[2] < 0 || (has_b && ins[3] < 0) || c->err->status)
            return NULL;
        int outs[3], n_in = k->has_c ? 7 : 6;
        while (n_in > 1 && ins[n_in - 1] < 0)
            n_in--;
        int node = cs_ts_emit_multi(c, k->onnx, ins, n_in, outs, k->has_c ? 3 : 2);
        if (node < 0)
            return cs_ts_oom(c);
        cs_attrs *at = cs_ts_attrs(c, node);
        bool ok = cs_attrs_add_int(at, "hidden_size", H) &&
                  cs_attrs_add_string(at, "direction", bidir ? "bidirectional" : "forward");
        if (strcmp(k->onnx, "GRU") == 0)
            ok = ok && cs_attrs_add_int(at, "linear_before_reset", 1);
        if (act) {
            const char *acts[2] = {act, act};
            ok = ok && cs_attrs_add_strings(at, "activations", acts, nd);
        }
        if (!ok)
            return cs_ts_oom(c);
        hs[l] = outs[1];
        cs[l] = k->has_c ? outs[2] : -1;
        int y = permute(c, outs[0], p4, 4); /* [seq, nd, batch, H] -> [seq, batch, nd * H] */
        int ri[2] = {y, cs_ts_const_ints(c, shp3, 3, false)};
        in = y < 0 || ri[1] < 0 ? -1 : cs_ts_emit(c, "Reshape", ri, 2, NULL);
    }
    int out = in >= 0 && batch_first ? permute(c, in, p3, 3) : in;
    int hn = out < 0 ? -1 : concat0(c, hs, (int)layers), cn = k->has_c && hn >= 0 ? concat0(c, cs, (int)layers) : -1;
    if (out < 0 || hn < 0 || (k->has_c && cn < 0))
        return NULL;
    int res[3] = {out, hn, cn};
    return cs_ts_tuple_of(c, res, k->has_c ? 3 : 2, 3);
}

/* lstm(input, [h0, c0], params, has_biases, num_layers, dropout, train, bidirectional, batch_first);
 * gru/rnn_*(input, h0, params, has_biases, num_layers, dropout, train, bidirectional, batch_first). */
static tv *aten_rnn(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool lstm = strcmp(name, "lstm") == 0;
    const rnn_kind *k = lstm ? &LSTM_K : strcmp(name, "gru") == 0 ? &GRU_K : &RNN_K;
    tv *x = A(0, "input"), *hx = A(1, "hx"), *h0 = hx, *c0 = NULL;
    if (n < 9 || (x && x->kind != TV_TENSOR))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s with packed sequences or missing arguments", name);
    if (lstm) {
        if (!hx || (hx->kind != TV_LIST && hx->kind != TV_TUPLE) || hx->n != 2)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::lstm without its (h0, c0) pair");
        h0 = hx->items[0], c0 = hx->items[1];
    }
    const char *act = k == &RNN_K ? (strcmp(name, "rnn_relu") == 0 ? "Relu" : "Tanh") : NULL;
    return lower_rnn(c, k, x, h0, c0, a[2], cs_ts_get_int(a[3], 1) != 0, cs_ts_get_int(a[4], 1),
                     cs_ts_get_int(a[7], 0) != 0, cs_ts_get_int(a[8], 0) != 0, act);
}

static tv *op(ts_ctx *c, const char *name, tv *x, tv *y)
{
    tv *args[2] = {x, y};
    char *kw[2] = {NULL, NULL};
    return x && (y || !strchr("am", name[0])) ? cs_ts_aten(c, name, args, kw, y ? 2 : 1) : NULL;
}

/* lstm_cell(x, [h, c], w_ih, w_hh, b_ih, b_hh) -> (h', c'): gates x W_ih^T + b_ih + h W_hh^T + b_hh split
 * into i, f, g, o; c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c'). */
static tv *lstm_cell(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input"), *hx = A(1, "hx");
    if (n < 4 || !hx || (hx->kind != TV_LIST && hx->kind != TV_TUPLE) || hx->n != 2)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s without (h, c)", name);
    tv *none = cs_ts_new(c, TV_NONE);
    tv *l1[3] = {x, a[2], n > 4 ? a[4] : none}, *l2[3] = {hx->items[0], a[3], n > 5 ? a[5] : none};
    char *k3[3] = {NULL, NULL, NULL};
    tv *g1 = none ? cs_ts_aten(c, "linear", l1, k3, 3) : NULL, *g2 = g1 ? cs_ts_aten(c, "linear", l2, k3, 3) : NULL;
    tv *g = op(c, "add", g1, g2);
    tv *four = cs_ts_int(c, 4), *m1 = cs_ts_int(c, -1);
    tv *ca[3] = {g, four, m1};
    tv *parts = g && four && m1 ? cs_ts_aten(c, "chunk", ca, k3, 3) : NULL;
    if (!parts || parts->kind != TV_TUPLE || parts->n != 4)
        return parts ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s gates", name) : NULL;
    tv *i = op(c, "sigmoid", parts->items[0], NULL), *f = op(c, "sigmoid", parts->items[1], NULL);
    tv *gg = op(c, "tanh", parts->items[2], NULL), *o = op(c, "sigmoid", parts->items[3], NULL);
    tv *c2 = op(c, "add", op(c, "mul", f, hx->items[1]), op(c, "mul", i, gg));
    tv *h2 = op(c, "mul", o, op(c, "tanh", c2, NULL));
    if (!h2)
        return NULL;
    int outs[2] = {h2->value, c2->value};
    return cs_ts_tuple_of(c, outs, 2, h2->rank);
}

const ts_aten_def cs_ts_aten_rnn[] = {{"lstm", aten_rnn},         {"gru", aten_rnn},   {"rnn_tanh", aten_rnn},
                                      {"rnn_relu", aten_rnn},     {"lstm_cell", lstm_cell}, {NULL, NULL}};
