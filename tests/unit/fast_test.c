/* fast_test.c — the fast path (oneDNN convolutions, fused chains, channels-last values) against the
 * reference kernels: small graphs built here for every fused pattern, the bundled sample models, and the
 * same results at --threads 1 and 2. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/exec_batch.h"
#include "engine/model.h"
#include "engine/ops/conv_stream.h"
#include "engine/ops/fastpath.h"
#include "engine/ops/fusion.h"
#include "engine/ops/parallel.h"
#include "test.h"

/* A graph named name (ONNX, the given opset) with one float32 input "x" of the given shape; *x is its value. */
static cs_graph *graph_with_input(const char *name, int opset, int rank, const int64_t *dims, int *x)
{
    cs_graph *g = cs_graph_new(name, "onnx");
    g->opset = opset;
    *x = cs_graph_value(g, "x");
    cs_value *xv = &g->values[*x];
    xv->dtype = CS_DT_F32, xv->rank = rank;
    memcpy(xv->dims, dims, (size_t)rank * sizeof *dims);
    cs_graph_add_input(g, *x);
    return g;
}

/* A constant f32 tensor of the given shape with a deterministic spread of values around `center`. */
static int add_const(cs_graph *g, const char *name, int rank, const int64_t *dims, double center, uint32_t seed)
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, NULL);
    for (int64_t i = 0; t && i < cs_tensor_numel(t); i++) {
        seed = seed * 1664525u + 1013904223u;
        ((float *)t->data)[i] = (float)(center + ((seed >> 8) / 16777216.0 - 0.5));
    }
    return cs_graph_add_constant(g, name, t);
}

static int node(cs_graph *g, const char *op, const int *in, int n_in, const char *out_name)
{
    int out = cs_graph_value(g, out_name);
    int n = cs_graph_add_node(g, op, out_name, in, n_in, &out, 1);
    return n >= 0 ? out : -1;
}

static int conv(cs_graph *g, int x, int cin, int cout, int k, int group, const char *name)
{
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s.w", name);
    snprintf(bn, sizeof bn, "%s.b", name);
    int64_t wd[4] = {cout, cin / group, k, k}, bd[1] = {cout};
    int in[3] = {x, add_const(g, wn, 4, wd, 0.0, (uint32_t)cout * 7 + (uint32_t)k), add_const(g, bn, 1, bd, 0.1, 3)};
    int out = node(g, "Conv", in, 3, name);
    cs_node *c = &g->nodes[g->n_nodes - 1];
    int64_t pads[4] = {k / 2, k / 2, k / 2, k / 2};
    cs_attrs_add_ints(&c->attrs, "pads", pads, 4);
    cs_attrs_add_int(&c->attrs, "group", group);
    return out;
}

static int batchnorm(cs_graph *g, int x, int ch, const char *name)
{
    char n[4][64];
    int64_t d[1] = {ch};
    int in[5] = {x};
    for (int i = 0; i < 4; i++) {
        snprintf(n[i], sizeof n[i], "%s.%d", name, i);
        in[i + 1] = add_const(g, n[i], 1, d, i == 3 ? 1.0 : 0.5, (uint32_t)i + 11);
    }
    return node(g, "BatchNormalization", in, 5, name);
}

/* Every pattern the executor fuses, and channels-last values through elementwise ops and pools:
 * conv-bn-relu, residual add + relu, SiLU, HardSwish (HardSigmoid * x), Clip, depthwise, squeeze-excite. */
static cs_graph *pattern_graph(void)
{
    int x;
    cs_graph *g = graph_with_input("fast_patterns", 13, 4, (const int64_t[]){2, 16, 9, 9}, &x);
    int a = node(g, "Relu", (int[]){batchnorm(g, conv(g, x, 16, 32, 3, 1, "c1"), 32, "bn1")}, 1, "r1");
    int b = conv(g, a, 32, 32, 1, 1, "c2");
    int s = node(g, "Relu", (int[]){node(g, "Add", (int[]){b, a}, 2, "add1")}, 1, "r2");
    int d = conv(g, s, 32, 32, 3, 32, "dw");
    int silu = node(g, "Mul", (int[]){d, node(g, "Sigmoid", (int[]){d}, 1, "sig1")}, 2, "silu");
    int e = conv(g, silu, 32, 32, 1, 1, "c3");
    int hs = node(g, "HardSigmoid", (int[]){e}, 1, "hsig");
    cs_attrs_add_float(&g->nodes[g->n_nodes - 1].attrs, "alpha", 1.0 / 6);
    int hsw = node(g, "Mul", (int[]){hs, e}, 2, "hswish");
    int pooled = node(g, "GlobalAveragePool", (int[]){hsw}, 1, "gap");
    int gate = node(g, "Sigmoid", (int[]){conv(g, pooled, 32, 32, 1, 1, "se")}, 1, "gate");
    int scaled = node(g, "Mul", (int[]){hsw, gate}, 2, "scale");
    int64_t one[1] = {1};
    int lo = add_const(g, "lo", 0, one, 0.0, 1), hi = add_const(g, "hi", 0, one, 0.0, 2);
    ((float *)g->values[lo].data->data)[0] = 0.0f;
    ((float *)g->values[hi].data->data)[0] = 0.3f;
    int clip = node(g, "Clip", (int[]){conv(g, scaled, 32, 8, 3, 1, "c4"), lo, hi}, 3, "clip");
    int flat = node(g, "Flatten", (int[]){clip}, 1, "flat");
    cs_graph_add_output(g, flat);
    cs_graph_add_output(g, scaled);
    return g;
}

/* An input of the given shape filled with offset + amp * wave(i * freq) over its flat index i (NULL out of
 * memory): smooth, signed values that reach every tail length of the kernels' vector loops. */
static cs_tensor *wave_input(int rank, const int64_t *dims, double amp, double freq, double offset,
                             double (*wave)(double))
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, NULL);
    for (int64_t i = 0; t && i < cs_tensor_numel(t); i++)
        ((float *)t->data)[i] = (float)(offset + amp * wave((double)i * freq));
    return t;
}

static cs_tensor *pattern_input(void)
{
    return wave_input(4, (const int64_t[]){2, 16, 9, 9}, 1.0, 0.37, 0.0, sin);
}

/* Runs g with the given kernels (a fresh plan), returning its outputs. */
static bool run_with(const cs_graph *g, cs_kernels k, const cs_tensor *in, cs_tensor **outs)
{
    cs_kernels_set(k);
    cs_plan *plan = NULL;
    cs_error err = {0};
    bool ok = cs_plan_build(g, &plan, &err) == CS_OK;
    for (int r = 0; ok && r < 2; r++) { /* twice: the second run uses cached primitives and pooled buffers */
        for (int i = 0; i < g->n_outputs; i++)
            cs_tensor_free(outs[i]), outs[i] = NULL;
        ok = cs_exec_run(g, plan, (const cs_tensor *const *)&in, outs, NULL, NULL, &err) == CS_OK;
    }
    if (!ok)
        fprintf(stderr, "  run failed: %s\n", err.msg);
    cs_plan_free(plan);
    cs_kernels_set(CS_KERNELS_FAST);
    return ok;
}

/* Largest |fast - ref| relative to the largest |ref| (float32 reassociation only: well under 1e-4). */
static double rel_diff(const cs_tensor *a, const cs_tensor *b)
{
    if (!a || !b || !cs_tensor_same_shape(a, b))
        return INFINITY;
    double worst = 0, scale = 1e-30;
    for (int64_t i = 0; i < cs_tensor_numel(a); i++) {
        worst = fmax(worst, fabs(cs_tensor_get_f64(a, i) - cs_tensor_get_f64(b, i)));
        scale = fmax(scale, fabs(cs_tensor_get_f64(b, i)));
    }
    return worst / scale;
}

/* Fast against reference outputs within 2e-5 of the largest |ref|: float32 reassociation through a chain of up to
 * six convolutions (fast_patterns' last output is a clip to [0, 0.3] after them, so its own scale is small against
 * the values the sums ran through); measured 9.2e-6 with oneDNN's brdgmm_dw depthwise kernel, 1.05e-5 with jit_dw. */
static void compare_paths(const cs_graph *g, const cs_tensor *in, int *cs_failures_)
{
    cs_tensor *fast[8] = {0}, *ref[8] = {0};
    EXPECT(g->n_outputs <= 8);
    EXPECT(run_with(g, CS_KERNELS_FAST, in, fast));
    EXPECT(run_with(g, CS_KERNELS_REFERENCE, in, ref));
    for (int i = 0; i < g->n_outputs && i < 8; i++) {
        double d = rel_diff(fast[i], ref[i]);
        if (!(d < 2e-5))
            fprintf(stderr, "  %s output %d: relative difference %g\n", g->path, i, d);
        EXPECT(d < 2e-5);
        cs_tensor_free(fast[i]);
        cs_tensor_free(ref[i]);
    }
}

/* compare_paths, then frees the input and the graph (the end of most tests here). */
static void compare_and_free(cs_graph *g, cs_tensor *in, int *cs_failures_)
{
    compare_paths(g, in, cs_failures_);
    cs_tensor_free(in);
    cs_graph_free(g);
}

TEST(fast_path_matches_reference_on_every_fused_pattern)
{
    cs_graph *g = pattern_graph();
    cs_tensor *in = pattern_input();
    cs_plan *plan = NULL;
    cs_error err = {0};
    EXPECT(cs_plan_build(g, &plan, &err) == CS_OK);
    /* c1+bn1+r1, c2+add1+r2, dw+SiLU, c3+HardSwish, se+gate, c4+clip */
    EXPECT(plan && plan->n_fusions == 6);
    cs_plan_free(plan);
    compare_and_free(g, in, cs_failures_);
}

/* A pool node on x with the given window attributes (pads on both ends of both axes). */
static int pool(cs_graph *g, const char *op, int x, int k, int stride, int pad, int ceil_mode, int include_pad,
                int dilation, const char *name)
{
    int out = node(g, op, (int[]){x}, 1, name);
    cs_attrs *a = &g->nodes[g->n_nodes - 1].attrs;
    int64_t ks[2] = {k, k}, st[2] = {stride, stride}, pads[4] = {pad, pad, pad, pad}, dil[2] = {dilation, dilation};
    cs_attrs_add_ints(a, "kernel_shape", ks, 2);
    cs_attrs_add_ints(a, "strides", st, 2);
    cs_attrs_add_ints(a, "pads", pads, 4);
    cs_attrs_add_int(a, "ceil_mode", ceil_mode);
    if (strcmp(op, "AveragePool") == 0)
        cs_attrs_add_int(a, "count_include_pad", include_pad);
    else
        cs_attrs_add_ints(a, "dilations", dil, 2);
    return out;
}

/* Pools between convolutions read channels-last values through oneDNN (ops/dnnl_pool.c): max with pads,
 * ceil_mode and dilations, average counting pads or not; the ceil_mode average that counts pads has no oneDNN
 * equivalent and runs the plain kernel on converted input. Outputs of both layouts are compared. */
static cs_graph *pool_graph(void)
{
    int x;
    cs_graph *g = graph_with_input("fast_pools", 13, 4, (const int64_t[]){2, 16, 13, 13}, &x);
    int a = pool(g, "MaxPool", conv(g, x, 16, 16, 3, 1, "p1"), 3, 2, 1, 0, 0, 1, "max1");
    int b = pool(g, "AveragePool", conv(g, a, 16, 16, 1, 1, "p2"), 3, 2, 1, 1, 0, 1, "avg_ceil");
    int c = pool(g, "AveragePool", conv(g, a, 16, 16, 1, 1, "p3"), 2, 2, 1, 0, 1, 1, "avg_pad");
    int d = pool(g, "MaxPool", conv(g, a, 16, 16, 3, 1, "p4"), 2, 1, 0, 1, 0, 2, "max_dil");
    int e = pool(g, "AveragePool", conv(g, a, 16, 16, 3, 1, "p5"), 2, 2, 0, 1, 1, 1, "avg_ceil_pad");
    int f = pool(g, "MaxPool", conv(g, a, 16, 16, 3, 1, "p6"), 3, 2, 1, 1, 0, 1, "max_ceil");
    cs_graph_add_output(g, conv(g, b, 16, 8, 1, 1, "after_avg"));
    cs_graph_add_output(g, c);
    cs_graph_add_output(g, d);
    cs_graph_add_output(g, e);
    cs_graph_add_output(g, f);
    return g;
}

TEST(fast_pools_on_channels_last_values_match_reference)
{
    cs_graph *g = pool_graph();
    int64_t dims[4] = {2, 16, 13, 13};
    cs_tensor *in = wave_input(4, dims, 1.0, 0.61, 0.0, sin);
    compare_and_free(g, in, cs_failures_);
}

/* A scalar constant named name. */
static int scalar(cs_graph *g, const char *name, float v)
{
    int64_t one[1] = {1};
    int c = add_const(g, name, 0, one, 0.0, 1);
    ((float *)g->values[c].data->data)[0] = v;
    return c;
}

/* GELU's Erf form as exporters write it, both orders: (x * (1 + erf(x / sqrt2))) * 0.5 and
 * (x * 0.5) * (1 + erf(x * 1/sqrt2)); a third whose erf value is also a graph output stays unfused. */
static cs_graph *gelu_graph(void)
{
    int x;
    cs_graph *g = graph_with_input("fast_gelu", 13, 2, (const int64_t[]){37, 19}, &x);
    int one = scalar(g, "one", 1.0f), half = scalar(g, "half", 0.5f);
    int e1 = node(g, "Erf", (int[]){node(g, "Div", (int[]){x, scalar(g, "sqrt2", 1.41421356f)}, 2, "d1")}, 1, "e1");
    int m1 = node(g, "Mul", (int[]){x, node(g, "Add", (int[]){e1, one}, 2, "a1")}, 2, "m1");
    int g1 = node(g, "Mul", (int[]){m1, half}, 2, "g1");
    int h2 = node(g, "Mul", (int[]){g1, half}, 2, "h2");
    int e2 = node(g, "Erf", (int[]){node(g, "Mul", (int[]){g1, scalar(g, "rsqrt2", 0.70710678f)}, 2, "d2")}, 1, "e2");
    int g2 = node(g, "Mul", (int[]){h2, node(g, "Add", (int[]){one, e2}, 2, "a2")}, 2, "g2");
    int e3 = node(g, "Erf", (int[]){node(g, "Div", (int[]){g2, scalar(g, "sqrt2b", 1.41421356f)}, 2, "d3")}, 1, "e3");
    int m3 = node(g, "Mul", (int[]){g2, node(g, "Add", (int[]){e3, one}, 2, "a3")}, 2, "m3");
    cs_graph_add_output(g, node(g, "Mul", (int[]){m3, half}, 2, "g3"));
    cs_graph_add_output(g, e3);
    return g;
}

TEST(fast_gelu_subgraph_is_one_kernel_and_matches_reference)
{
    cs_graph *g = gelu_graph();
    cs_plan *plan = NULL;
    cs_error err = {0};
    EXPECT(cs_plan_build(g, &plan, &err) == CS_OK);
    EXPECT(plan && plan->n_fusions == 2); /* the first two; the third's erf is observed (a graph output) */
    for (int k = 0; plan && k < plan->n_fusions; k++)
        EXPECT(plan->fusions[k].act == CS_ACT_GELU && plan->fusions[k].n_nodes == 4);
    cs_plan_free(plan);
    int64_t dims[2] = {37, 19};
    cs_tensor *in = wave_input(2, dims, 5.0, 0.113, 0.0, sin);
    compare_and_free(g, in, cs_failures_);
}

/* Squeeze-and-excitation scaling of channels-last values (24 channels: a 16-wide vector and a tail of 8): by a
 * constant [24,1,1] over x, which a later Add still reads (x kept), and by a computed [1,24,1,1] shared by
 * the batch, where the Mul is x's last use (written over x). */
static cs_graph *scale_graph(void)
{
    int x;
    cs_graph *g = graph_with_input("fast_scale", 13, 4, (const int64_t[]){2, 24, 7, 5}, &x);
    int a = conv(g, x, 24, 24, 1, 1, "c1");
    int64_t fd[3] = {24, 1, 1};
    int s1 = node(g, "Mul", (int[]){add_const(g, "f", 3, fd, 1.0, 5), a}, 2, "s1");
    int b = conv(g, node(g, "Add", (int[]){s1, a}, 2, "sum"), 24, 24, 3, 1, "c2");
    int64_t axes[1] = {0};
    int gate = node(g, "ReduceMean", (int[]){node(g, "GlobalAveragePool", (int[]){b}, 1, "gap")}, 1, "gate");
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "axes", axes, 1);
    int s2 = node(g, "Mul", (int[]){b, gate}, 2, "s2");
    cs_graph_add_output(g, conv(g, s2, 24, 8, 1, 1, "c3"));
    return g;
}

TEST(fast_channel_scaling_of_channels_last_values_matches_reference)
{
    cs_graph *g = scale_graph();
    int64_t dims[4] = {2, 24, 7, 5};
    cs_tensor *in = wave_input(4, dims, 1.0, 0.29, 0.0, cos);
    compare_and_free(g, in, cs_failures_);
}

/* x - mean(x) over the last axis, normalised by sqrt(mean(d^2) + eps), as torch exports LayerNorm below opset 17;
 * `name` prefixes the nodes, axes is [-1]. */
static int decomposed_ln(cs_graph *g, int x, const char *name, int gamma, int beta)
{
    char n[10][64];
    for (int i = 0; i < 10; i++)
        snprintf(n[i], sizeof n[i], "%s.%d", name, i);
    int64_t last[1] = {-1};
    int m = node(g, "ReduceMean", (int[]){x}, 1, n[0]);
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "axes", last, 1);
    int d = node(g, "Sub", (int[]){x, m}, 2, n[1]);
    int v = node(g, "ReduceMean", (int[]){node(g, "Pow", (int[]){d, scalar(g, n[2], 2.0f)}, 2, n[3])}, 1, n[4]);
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "axes", last, 1);
    int sd = node(g, "Sqrt", (int[]){node(g, "Add", (int[]){scalar(g, n[5], 1e-5f), v}, 2, n[6])}, 1, n[7]);
    int y = node(g, "Div", (int[]){d, sd}, 2, n[8]);
    if (gamma >= 0)
        y = node(g, "Mul", (int[]){gamma, y}, 2, n[9]);
    if (beta >= 0) {
        snprintf(n[9], sizeof n[9], "%s.beta_add", name);
        y = node(g, "Add", (int[]){y, beta}, 2, n[9]);
    }
    return y;
}

/* Two decomposed layer normalisations (with gamma and beta; without either) and the LayerNormalization op. */
static cs_graph *layernorm_graph(void)
{
    int x;
    cs_graph *g = graph_with_input("fast_layernorm", 17, 3, (const int64_t[]){3, 5, 37}, &x);
    int64_t d[1] = {37};
    int gamma = add_const(g, "gamma", 1, d, 1.0, 21), beta = add_const(g, "beta", 1, d, 0.0, 22);
    int a = decomposed_ln(g, x, "ln1", gamma, beta);
    int b = decomposed_ln(g, node(g, "Relu", (int[]){a}, 1, "r"), "ln2", -1, -1);
    cs_graph_add_output(g, node(g, "LayerNormalization", (int[]){b, gamma, beta}, 3, "ln3"));
    cs_graph_add_output(g, b);
    return g;
}

TEST(fast_layer_normalisation_is_one_kernel_and_matches_reference)
{
    cs_graph *g = layernorm_graph();
    cs_plan *plan = NULL;
    cs_error err = {0};
    EXPECT(cs_plan_build(g, &plan, &err) == CS_OK);
    EXPECT(plan && plan->n_fusions == 2);
    for (int k = 0; plan && k < plan->n_fusions; k++)
        EXPECT(plan->fusions[k].act == CS_ACT_LAYERNORM && plan->fusions[k].n_nodes == (k == 0 ? 8 : 6));
    cs_plan_free(plan);
    int64_t dims[3] = {3, 5, 37};
    cs_tensor *in = wave_input(3, dims, 3.0, 0.71, 0.5, sin);
    compare_and_free(g, in, cs_failures_);
}

/* Linear layers as MatMul -> Add: a [24] bias (bias first), a [1,8] bias, and a [5,8] constant that is no row
 * bias (planned as a fusion, run unfused). */
static cs_graph *matmul_bias_graph(void)
{
    int x;
    cs_graph *g = graph_with_input("fast_matmul_bias", 13, 3, (const int64_t[]){2, 5, 16}, &x);
    int64_t w1[2] = {16, 24}, b1[1] = {24}, w2[2] = {24, 8}, b2[2] = {1, 8}, b3[2] = {5, 8};
    int h = node(g, "MatMul", (int[]){x, add_const(g, "w1", 2, w1, 0.0, 31)}, 2, "mm1");
    h = node(g, "Relu", (int[]){node(g, "Add", (int[]){add_const(g, "b1", 1, b1, 0.2, 32), h}, 2, "add1")}, 1, "r");
    int y = node(g, "MatMul", (int[]){h, add_const(g, "w2", 2, w2, 0.0, 33)}, 2, "mm2");
    y = node(g, "Add", (int[]){y, add_const(g, "b2", 2, b2, 0.1, 34)}, 2, "add2");
    int z = node(g, "MatMul", (int[]){h, add_const(g, "w3", 2, w2, 0.0, 35)}, 2, "mm3");
    z = node(g, "Add", (int[]){z, add_const(g, "b3", 2, b3, 0.1, 36)}, 2, "add3");
    cs_graph_add_output(g, y);
    cs_graph_add_output(g, z);
    return g;
}

TEST(fast_matmul_bias_is_one_kernel_and_matches_reference)
{
    cs_graph *g = matmul_bias_graph();
    cs_plan *plan = NULL;
    cs_error err = {0};
    EXPECT(cs_plan_build(g, &plan, &err) == CS_OK);
    EXPECT(plan && plan->n_fusions == 3);
    for (int k = 0; plan && k < plan->n_fusions; k++)
        EXPECT(plan->fusions[k].bias_value >= 0 && plan->fusions[k].n_nodes == 1);
    cs_plan_free(plan);
    int64_t dims[3] = {2, 5, 16};
    cs_tensor *in = wave_input(3, dims, 1.0, 0.53, 0.0, sin);
    compare_and_free(g, in, cs_failures_);
}

/* A squeeze-and-excitation block on one image big enough (64 x 33 x 33 values) that two threads share its pool
 * (each reducing its part of the positions, exec_layout.c's gap_split) and its channel scaling. */
TEST(fast_squeeze_excitation_on_two_threads_matches_reference)
{
    int x;
    cs_graph *g = graph_with_input("fast_se_threads", 13, 4, (const int64_t[]){1, 16, 33, 33}, &x);
    int c = conv(g, x, 16, 64, 3, 1, "se_c");
    int silu = node(g, "Mul", (int[]){c, node(g, "Sigmoid", (int[]){c}, 1, "se_sig")}, 2, "se_silu");
    int pooled = node(g, "GlobalAveragePool", (int[]){silu}, 1, "se_gap");
    int gate = node(g, "Sigmoid", (int[]){conv(g, pooled, 64, 64, 1, 1, "se_fc")}, 1, "se_gate");
    int scaled = node(g, "Mul", (int[]){silu, gate}, 2, "se_scale");
    cs_graph_add_output(g, conv(g, scaled, 64, 16, 1, 1, "se_out"));
    cs_graph_add_output(g, pooled);
    int64_t dims[4] = {1, 16, 33, 33};
    cs_tensor *in = wave_input(4, dims, 1.0, 0.11, 0.0, sin);
    cs_threads_set(2);
    compare_paths(g, in, cs_failures_);
    cs_threads_set(1);
    cs_tensor_free(in);
    cs_graph_free(g);
}

/* Products oneDNN's matmul primitive does not take, on the fast path's GEMM: B computed (x times its own
 * transpose) and a constant B with a batch of matrices (not one matrix shared by every row of A). */
TEST(fast_matmul_with_computed_or_batched_weights_matches_reference)
{
    int x;
    cs_graph *g = graph_with_input("fast_matmul_other", 13, 3, (const int64_t[]){2, 5, 16}, &x);
    int xt = node(g, "Transpose", (int[]){x}, 1, "xt");
    int64_t perm[3] = {0, 2, 1}, w3[3] = {2, 16, 8};
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "perm", perm, 3);
    cs_graph_add_output(g, node(g, "MatMul", (int[]){x, xt}, 2, "gram"));
    cs_graph_add_output(g, node(g, "MatMul", (int[]){x, add_const(g, "w3d", 3, w3, 0.0, 41)}, 2, "batched"));
    int64_t dims[3] = {2, 5, 16};
    cs_tensor *in = wave_input(3, dims, 1.0, 0.29, 0.0, cos);
    compare_and_free(g, in, cs_failures_);
}

/* Late layers at batch 1: few output pixels and over 1 MiB of weights, which the streamed kernel
 * (ops/conv_stream.c) takes inside fused chains: conv+bn+relu on the row-major graph input, a residual that is
 * not channels-last (the graph input) + relu, SiLU, and clip on an output read row-major (Flatten). */
static cs_graph *late_layer_graph(void)
{
    int x;
    cs_graph *g = graph_with_input("fast_late_layers", 13, 4, (const int64_t[]){1, 256, 5, 5}, &x);
    int a = node(g, "Relu", (int[]){batchnorm(g, conv(g, x, 256, 128, 3, 1, "l1"), 128, "lbn1")}, 1, "lr1");
    int b = node(g, "Relu", (int[]){node(g, "Add", (int[]){conv(g, a, 128, 256, 3, 1, "l2"), x}, 2, "ladd")}, 1, "lr2");
    int c = conv(g, b, 256, 1024, 1, 1, "l3");
    int silu = node(g, "Mul", (int[]){c, node(g, "Sigmoid", (int[]){c}, 1, "lsig")}, 2, "lsilu");
    int64_t one[1] = {1};
    int lo = add_const(g, "llo", 0, one, 0.0, 1), hi = add_const(g, "lhi", 0, one, 0.0, 2);
    ((float *)g->values[lo].data->data)[0] = -0.2f;
    ((float *)g->values[hi].data->data)[0] = 0.2f;
    int clip = node(g, "Clip", (int[]){conv(g, silu, 1024, 64, 3, 1, "l4"), lo, hi}, 3, "lclip");
    cs_graph_add_output(g, node(g, "Flatten", (int[]){clip}, 1, "lflat"));
    cs_graph_add_output(g, silu);
    return g;
}

TEST(fast_late_layers_in_the_streamed_kernel_match_reference)
{
    const int64_t shapes[4][3] = {{256, 128, 3}, {128, 256, 3}, {256, 1024, 1}, {1024, 64, 3}};
    for (int i = 0; i < 4; i++) { /* each layer is one the streamed kernel takes, where the CPU has it */
        cs_conv_shape s = {.batch = 1, .in_channels = shapes[i][0], .out_channels = shapes[i][1], .group = 1};
        s.win.n = 2;
        for (int d = 0; d < 2; d++)
            s.win.in[d] = s.win.out[d] = 5, s.win.kernel[d] = shapes[i][2], s.win.stride[d] = s.win.dilation[d] = 1,
            s.win.pad_begin[d] = s.win.pad_end[d] = shapes[i][2] / 2;
        cs_conv_shape probe = s;
        probe.in_channels = probe.out_channels = 512, probe.win.kernel[0] = probe.win.kernel[1] = 3;
        EXPECT(cs_stream_conv_fits(&s, CS_ACT_NONE) == cs_stream_conv_fits(&probe, CS_ACT_NONE));
    }
    cs_graph *g = late_layer_graph();
    int64_t dims[4] = {1, 256, 5, 5};
    cs_tensor *in = wave_input(4, dims, 1.0, 0.61, 0.0, sin);
    for (int threads = 1; threads <= 2; threads++) {
        cs_threads_set(threads);
        compare_paths(g, in, cs_failures_);
    }
    cs_threads_set(1);
    cs_tensor_free(in);
    cs_graph_free(g);
}

TEST(fast_path_matches_reference_on_the_sample_models)
{
    const char *paths[] = {"samples/resnet/resnet.onnx", "samples/resnet/resnet_bn.onnx", "samples/resnet/resnet.pt",
                           "samples/lenet5/lenet5.onnx", "samples/lenet5/lenet5.pt"};
    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        cs_graph *g = NULL;
        cs_error err = {0};
        if (cs_model_load(paths[p], &g, &err) != CS_OK) {
            fprintf(stderr, "  %s is absent (make samples), skipped\n", paths[p]);
            continue;
        }
        int64_t dims[4] = {3, 1, 28, 28}; /* every sample takes 28x28 gray images; batch 3 */
        cs_tensor *in = wave_input(4, dims, 0.5, 1.0, 0.5, sin);
        compare_and_free(g, in, cs_failures_);
    }
}

/* ---- --threads: the engine's own parallel loops and per-primitive thread counts ---- */

typedef struct cover_job {
    int *count;
    int threads_seen[8];
} cover_job;

static void cover_part(void *user, int64_t begin, int64_t end)
{
    cover_job *j = user;
    int t = omp_get_thread_num();
    if (t >= 0 && t < 8)
        j->threads_seen[t] = 1;
    for (int64_t i = begin; i < end; i++)
        j->count[i]++;
}

TEST(parallel_for_covers_every_item_once_on_the_thread_count)
{
    cs_threads_set(2);
    const int64_t sizes[] = {1, 7, 1000, 65536, 100003};
    const int64_t mins[] = {1, 1000, CS_PAR_MIN_ELEMS};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t m = 0; m < sizeof mins / sizeof *mins; m++) {
            cover_job j = {calloc((size_t)sizes[s], sizeof(int)), {0}};
            if (!j.count)
                continue;
            cs_parallel_for(sizes[s], mins[m], cover_part, &j);
            int bad = 0;
            for (int64_t i = 0; i < sizes[s]; i++)
                bad += j.count[i] != 1;
            EXPECT(bad == 0);
            /* two threads share the range exactly when each gets at least mins[m] items */
            int expect_two = sizes[s] / mins[m] >= 2;
            EXPECT(cs_parallel_threads(sizes[s], mins[m]) == (expect_two ? 2 : 1));
            EXPECT(j.threads_seen[1] == expect_two);
            free(j.count);
        }
    /* a primitive's threads follow its estimated single-thread time, cs_threads_min_us() per thread */
    double min_us = cs_threads_min_us();
    EXPECT(min_us == 10.0 || min_us == 50.0);
    EXPECT(cs_threads_for_cost(min_us) == 1 && cs_threads_for_cost(2 * min_us - 1) == 1);
    EXPECT(cs_threads_for_cost(2 * min_us) == 2 && cs_threads_for_cost(1e6) == 2);
    cs_threads_set(1);
    EXPECT(cs_threads_for_cost(1e6) == 1 && cs_parallel_threads(1 << 20, 1) == 1);
}

/* Elementwise ops on a value big enough to be shared by two threads (6 x 40 x 36 x 36 = 311040 elements):
 * a broadcast multiply and add, Sigmoid, Tanh, Exp, GELU (one fused kernel), a channels-last global pool
 * after a convolution, a squeeze-and-excitation scaling, a transpose (a strided copy), a split and a concat. */
static cs_graph *big_elementwise_graph(void)
{
    int x;
    cs_graph *g = graph_with_input("threads_elementwise", 13, 4, (const int64_t[]){6, 40, 36, 36}, &x);
    int64_t cd[4] = {1, 40, 1, 1};
    int scaled = node(g, "Mul", (int[]){x, add_const(g, "scale", 4, cd, 1.0, 5)}, 2, "scaled");
    int shifted = node(g, "Add", (int[]){scaled, add_const(g, "shift", 4, cd, 0.0, 9)}, 2, "shifted");
    int sig = node(g, "Sigmoid", (int[]){shifted}, 1, "sig");
    int th = node(g, "Tanh", (int[]){sig}, 1, "th");
    int ex = node(g, "Exp", (int[]){th}, 1, "ex");
    int one = scalar(g, "one1", 1.0f), half = scalar(g, "half1", 0.5f);
    int e1 = node(g, "Erf", (int[]){node(g, "Div", (int[]){ex, scalar(g, "sq2", 1.41421356f)}, 2, "gd")}, 1, "ge");
    int gelu = node(g, "Mul", (int[]){node(g, "Mul", (int[]){ex, node(g, "Add", (int[]){e1, one}, 2, "ga")}, 2, "gm"),
                                      half}, 2, "gelu");
    int c = conv(g, gelu, 40, 48, 3, 1, "tc"); /* ~200 MMACs: built and run for two threads */
    int d = conv(g, c, 48, 48, 3, 48, "tdw");
    int gated = node(g, "Mul", (int[]){d, node(g, "Sigmoid", (int[]){d}, 1, "tsig")}, 2, "tsilu");
    cs_graph_add_output(g, gelu);
    int gap = node(g, "GlobalAveragePool", (int[]){gated}, 1, "tgap");
    cs_graph_add_output(g, gap);
    /* squeeze-and-excitation: the channels-last value times one factor per channel and image */
    cs_graph_add_output(g, node(g, "Mul", (int[]){gated, node(g, "Sigmoid", (int[]){gap}, 1, "tgate")}, 2, "tse"));
    int tr = node(g, "Transpose", (int[]){shifted}, 1, "tperm"); /* a strided copy, rows shared out */
    int64_t perm[4] = {0, 2, 3, 1};
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "perm", perm, 4);
    cs_graph_add_output(g, tr);
    /* Split in two along the channels and Concat back swapped: row-wise copies, rows shared out */
    int halves[2] = {cs_graph_value(g, "half_a"), cs_graph_value(g, "half_b")};
    cs_graph_add_node(g, "Split", "tsplit", (int[]){shifted}, 1, halves, 2);
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "axis", 1);
    cs_graph_add_output(g, node(g, "Concat", (int[]){halves[1], halves[0]}, 2, "tcat"));
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "axis", 1);
    return g;
}

/* The same graph at --threads 1 and 2 (fast kernels): the elementwise and copied outputs equal bit for bit
 * (parts start on 64-element blocks, rows are computed whole), and both match the reference kernels to
 * float32 reassociation (1e-5 relative: the convolutions may split their sums differently per thread count). */
TEST(two_threads_give_the_one_thread_results)
{
    cs_graph *g = big_elementwise_graph();
    int64_t dims[4] = {6, 40, 36, 36};
    cs_tensor *in = wave_input(4, dims, 2.0, 0.0137, 0.0, sin);
    cs_tensor *one[5] = {0}, *two[5] = {0};
    EXPECT(run_with(g, CS_KERNELS_FAST, in, one));
    cs_threads_set(2);
    EXPECT(run_with(g, CS_KERNELS_FAST, in, two));
    compare_paths(g, in, cs_failures_); /* fast (two threads) against the reference kernels */
    cs_threads_set(1);
    EXPECT(one[0] && two[0] && cs_tensor_same_shape(one[0], two[0]) &&
           memcmp(one[0]->data, two[0]->data, one[0]->nbytes) == 0);
    for (int i = 1; i < 3; i++) /* after the convolutions */
        EXPECT(rel_diff(two[i], one[i]) < 1e-5);
    for (int i = 3; i < 5; i++) /* the transpose, the split and concat */
        EXPECT(one[i] && two[i] && cs_tensor_same_shape(one[i], two[i]) &&
               memcmp(one[i]->data, two[i]->data, one[i]->nbytes) == 0);
    /* the swapped halves: channel 0 of the result is channel 20 of the input to the split */
    EXPECT(one[3] && one[4] && ((float *)one[4]->data)[0] == ((float *)one[3]->data)[20]);
    for (int i = 0; i < 5; i++)
        cs_tensor_free(one[i]), cs_tensor_free(two[i]);
    cs_tensor_free(in);
    cs_graph_free(g);
}

/* ---- batch splitting (exec_batch.h) ---- */

/* conv -> relu -> conv -> global pool -> flatten -> gemm on [batch, 8, side, side]: every op keeps samples apart. */
static cs_graph *separable_graph(int64_t batch, int64_t side)
{
    int x;
    cs_graph *g = graph_with_input("split_graph", 13, 4, (const int64_t[]){batch, 8, side, side}, &x);
    int a = node(g, "Relu", (int[]){conv(g, x, 8, 16, 3, 1, "s1")}, 1, "sr1");
    int64_t cd[4] = {1, 16, 1, 1};
    int b = node(g, "Add", (int[]){conv(g, a, 16, 16, 3, 16, "s2"), add_const(g, "shift", 4, cd, 0.2, 5)}, 2, "sadd");
    int flat = node(g, "Flatten", (int[]){node(g, "GlobalAveragePool", (int[]){b}, 1, "sgap")}, 1, "sflat");
    int64_t wd[2] = {10, 16}, bd[1] = {10};
    int y = node(g, "Gemm", (int[]){flat, add_const(g, "fc.w", 2, wd, 0.0, 9), add_const(g, "fc.b", 1, bd, 0.0, 4)}, 3,
                 "sfc");
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "transB", 1);
    cs_graph_add_output(g, y);
    cs_graph_add_output(g, a);
    return g;
}

static bool separable(const cs_graph *g, const cs_tensor *in)
{
    cs_plan *plan = NULL;
    cs_error err = {0};
    bool ok = cs_plan_build(g, &plan, &err) == CS_OK && cs_batch_separable(g, plan->order, plan->n_order, &in);
    cs_plan_free(plan);
    return ok;
}

/* The graph above with one more op on its flattened features (or its last conv), as a second output. */
static bool separable_with(const char *op, int on_conv, const char *attr, const int64_t *ints, int n_ints,
                           const cs_tensor *in)
{
    cs_graph *g = separable_graph(in->dims[0], in->dims[2]);
    int src = on_conv ? g->outputs[1] : g->outputs[0];
    int extra = node(g, op, (int[]){src}, 1, "extra");
    if (attr)
        cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, attr, ints, n_ints);
    cs_graph_add_output(g, extra);
    bool ok = separable(g, in);
    cs_graph_free(g);
    return ok;
}

TEST(batch_separability_follows_each_op_rule)
{
    int64_t dims[4] = {4, 8, 6, 6};
    cs_tensor *in = cs_tensor_new(CS_DT_F32, 4, dims, NULL);
    cs_graph *g = separable_graph(4, 6);
    EXPECT(separable(g, in));
    cs_graph_free(g);
    EXPECT(separable_with("Transpose", 1, "perm", (const int64_t[]){0, 2, 3, 1}, 4, in));
    EXPECT(!separable_with("Transpose", 1, "perm", (const int64_t[]){1, 0, 2, 3}, 4, in));
    EXPECT(separable_with("ReduceMean", 1, "axes", (const int64_t[]){2, 3}, 2, in));
    EXPECT(!separable_with("ReduceMean", 1, "axes", (const int64_t[]){0}, 1, in));
    EXPECT(!separable_with("ReduceMean", 1, "axes", (const int64_t[]){-4}, 1, in));
    EXPECT(!separable_with("ReduceMean", 1, NULL, NULL, 0, in)); /* no axes: every axis */
    EXPECT(separable_with("Softmax", 0, NULL, NULL, 0, in));
    EXPECT(!separable_with("Shape", 0, NULL, NULL, 0, in)); /* the batch size would leak */
    EXPECT(!separable_with("TopK", 0, NULL, NULL, 0, in));  /* not known to keep samples apart */
    cs_graph *t = separable_graph(4, 6);
    int64_t cd1[1] = {16};
    int bn_in[5] = {t->outputs[1]};
    for (int i = 0; i < 4; i++)
        bn_in[i + 1] = add_const(t, (const char *[]){"bn.s", "bn.b", "bn.m", "bn.v"}[i], 1, cd1, 1.0, (uint32_t)i);
    cs_graph_add_output(t, node(t, "BatchNormalization", bn_in, 5, "bn_inf"));
    EXPECT(separable(t, in));
    cs_attrs_add_int(&t->nodes[t->n_nodes - 1].attrs, "training_mode", 1); /* statistics of the batch */
    EXPECT(!separable(t, in));
    cs_graph_free(t);
    /* a constant broadcast with a first dim > 1 at the output's rank meets the batch axis */
    cs_graph *b = separable_graph(4, 6);
    int64_t cd[2] = {4, 10};
    cs_graph_add_output(b, node(b, "Mul", (int[]){b->outputs[0], add_const(b, "rows", 2, cd, 1.0, 2)}, 2, "mixed"));
    EXPECT(!separable(b, in));
    cs_graph_free(b);
    /* Concat along the batch axis, or Reshape to [-1, ...], mixes samples */
    cs_graph *c = separable_graph(4, 6);
    cs_graph_add_output(c, node(c, "Concat", (int[]){c->outputs[0], c->outputs[0]}, 2, "cat0"));
    cs_attrs_add_int(&c->nodes[c->n_nodes - 1].attrs, "axis", 0);
    EXPECT(!separable(c, in));
    cs_graph_free(c);
    cs_graph *r = separable_graph(4, 6);
    int64_t sd[1] = {3};
    int shape = cs_graph_add_constant(r, "shape", cs_tensor_new(CS_DT_I64, 1, sd, NULL));
    int64_t *sv = r->values[shape].data->data;
    sv[0] = -1, sv[1] = 2, sv[2] = 5;
    cs_graph_add_output(r, node(r, "Reshape", (int[]){r->outputs[0], shape}, 2, "rows5"));
    EXPECT(!separable(r, in));
    sv[0] = 0; /* [0, 2, 5]: each sample's 10 features as 2 x 5 */
    EXPECT(separable(r, in));
    cs_graph_free(r);
    cs_tensor_free(in);
}

static void ignore_value(void *user, const cs_graph *g, int node, int value, const cs_tensor *t)
{
    (void)user, (void)g, (void)node, (void)value, (void)t;
}

/* The activation peak of a whole-batch run (an observed run never splits), on a plan of its own. */
static size_t whole_batch_peak(const cs_graph *g, const cs_tensor *in)
{
    cs_plan *plan = NULL;
    cs_error err = {0};
    cs_tensor *outs[2] = {0};
    cs_exec_stats stats = {0};
    cs_exec_opts eo = {ignore_value, NULL, NULL};
    size_t peak = cs_plan_build(g, &plan, &err) == CS_OK &&
                          cs_exec_run(g, plan, (const cs_tensor *const *)&in, outs, &eo, &stats, &err) == CS_OK
                      ? stats.peak_bytes
                      : 0;
    cs_tensor_free(outs[0]), cs_tensor_free(outs[1]);
    cs_exec_stats_free(&stats);
    cs_plan_free(plan);
    return peak;
}

/* A batch whose activations outgrow the cache runs in one-sample sub-batches, from a plan's first run on (which
 * runs sample 0 alone to learn the per-sample peak): every run's result matches the reference kernels to float32
 * reassociation (5e-5 relative: the global pool sums 9216 values per channel, and the fast and reference paths
 * order that sum differently; the whole fast run is 1.04e-5 off, and splitting leaves it unchanged), the peak is
 * about one sample's per worker, and two threads share the sub-batches. */
TEST(large_batch_runs_in_sub_batches_with_the_same_results)
{
    const int64_t batch = 12, side = 96;
    cs_graph *g = separable_graph(batch, side);
    int64_t dims[4] = {batch, 8, side, side};
    cs_tensor *in = wave_input(4, dims, 1.0, 0.0071, 0.0, sin);
    cs_tensor *ref[2] = {0};
    EXPECT(run_with(g, CS_KERNELS_REFERENCE, in, ref));
    size_t whole = whole_batch_peak(g, in);
    EXPECT(whole > 8u << 20); /* over the splitting threshold */
    for (int threads = 1; threads <= 2; threads++) {
        cs_threads_set(threads);
        cs_plan *plan = NULL;
        cs_error err = {0};
        EXPECT(cs_plan_build(g, &plan, &err) == CS_OK);
        for (int r = 0; plan && r < 4; r++) { /* the first run and three more (races show in some runs) */
            cs_tensor *outs[2] = {0};
            cs_exec_stats stats = {0};
            EXPECT(cs_exec_run(g, plan, (const cs_tensor *const *)&in, outs, NULL, &stats, &err) == CS_OK);
            EXPECT(stats.peak_bytes * (size_t)batch < whole * 3 / 2 * (size_t)threads);
            for (int o = 0; o < 2; o++) {
                EXPECT(outs[o] && outs[o]->dims[0] == batch);
                EXPECT(rel_diff(outs[o], ref[o]) < 5e-5);
                cs_tensor_free(outs[o]);
            }
            cs_exec_stats_free(&stats);
        }
        cs_plan_free(plan);
    }
    cs_threads_set(1);
    cs_tensor_free(ref[0]), cs_tensor_free(ref[1]);
    cs_tensor_free(in);
    cs_graph_free(g);
}

/* ---- batch-size values and a batch axis that moves (attention blocks as PyTorch exports them) ---- */

/* A constant i64 vector. */
static int const_ints(cs_graph *g, const char *name, const int64_t *v, int n)
{
    int64_t d[1] = {n};
    cs_tensor *t = cs_tensor_new(CS_DT_I64, 1, d, NULL);
    memcpy(t->data, v, (size_t)n * sizeof *v);
    return cs_graph_add_constant(g, name, t);
}

/* The batch size out of Shape(x): Gather(Shape(x), 0), then [B] by Unsqueeze; before opset 13, axes attributes. */
static int batch_size_vector(cs_graph *g, int x)
{
    int64_t zero = 0, d0[1] = {0};
    cs_tensor *idx = cs_tensor_new(CS_DT_I64, 0, d0, NULL);
    memcpy(idx->data, &zero, sizeof zero);
    int b = node(g, "Gather", (int[]){node(g, "Shape", (int[]){x}, 1, "shp"), cs_graph_add_constant(g, "i0", idx)}, 2,
                 "bsz");
    return node(g, "Unsqueeze", (int[]){b, const_ints(g, "ax0", (const int64_t[]){0}, 1)}, 2, "bvec");
}

/* x [B, S, 32] -> heads: Reshape to [B, S, 2, 4, 4] through a target built from Shape, Transpose [2, 0, 3, 1, 4]
 * (the batch moves to axis 1), Split into q and k, Squeeze, q k^T, Softmax, then back to [B, S, 16] (last_first:
 * the target with the batch size first, else second: that reshape would mix samples). */
static cs_graph *attention_graph(int64_t batch, int64_t seq, bool last_first)
{
    int x;
    cs_graph *g = graph_with_input("attention", 13, 3, (const int64_t[]){batch, seq, 32}, &x);
    int bvec = batch_size_vector(g, x);
    int heads = node(g, "Concat", (int[]){bvec, const_ints(g, "rest", (const int64_t[]){seq, 2, 4, 4}, 4)}, 2, "tgt");
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "axis", 0);
    int r = node(g, "Transpose", (int[]){node(g, "Reshape", (int[]){x, heads}, 2, "rs")}, 1, "tr");
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "perm", (const int64_t[]){2, 0, 3, 1, 4}, 5);
    int qk[2] = {cs_graph_value(g, "q5"), cs_graph_value(g, "k5")};
    cs_graph_add_node(g, "Split", "split", (int[]){r}, 1, qk, 2);
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "axis", 0);
    int ax = const_ints(g, "sq0", (const int64_t[]){0}, 1);
    int q = node(g, "Squeeze", (int[]){qk[0], ax}, 2, "q"), k = node(g, "Squeeze", (int[]){qk[1], ax}, 2, "k");
    int kt = node(g, "Transpose", (int[]){k}, 1, "kt");
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "perm", (const int64_t[]){0, 1, 3, 2}, 4);
    int att = node(g, "Softmax", (int[]){node(g, "MatMul", (int[]){q, kt}, 2, "qk")}, 1, "att");
    int ctx = node(g, "MatMul", (int[]){att, q}, 2, "ctx"); /* [B, 4, S, 4] */
    int back = node(g, "Transpose", (int[]){ctx}, 1, "back");
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "perm", (const int64_t[]){0, 2, 1, 3}, 4);
    int parts[2] = {bvec, const_ints(g, "s16", (const int64_t[]){seq, 16}, 2)};
    if (!last_first)
        parts[0] = parts[1], parts[1] = bvec;
    int out = node(g, "Concat", parts, 2, "tgt2");
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "axis", 0);
    cs_graph_add_output(g, node(g, "Reshape", (int[]){back, out}, 2, "merged"));
    return g;
}

TEST(batch_separability_follows_the_batch_size_and_a_moving_batch_axis)
{
    int64_t dims[3] = {3, 5, 32};
    cs_tensor *in = cs_tensor_new(CS_DT_F32, 3, dims, NULL);
    cs_graph *g = attention_graph(3, 5, true);
    EXPECT(separable(g, in));
    cs_graph_free(g);
    g = attention_graph(3, 5, false); /* [S, 16, B]: the batch size not first */
    EXPECT(!separable(g, in));
    cs_graph_free(g);
    /* the batch size in arithmetic (B * S rows) mixes samples */
    int x;
    g = graph_with_input("bsz_mul", 13, 3, dims, &x);
    int rows = node(g, "Mul", (int[]){batch_size_vector(g, x), const_ints(g, "s", (const int64_t[]){5}, 1)}, 2, "bs");
    int tgt = node(g, "Concat", (int[]){rows, const_ints(g, "c", (const int64_t[]){32}, 1)}, 2, "tgt");
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "axis", 0);
    cs_graph_add_output(g, node(g, "Reshape", (int[]){x, tgt}, 2, "flat_rows"));
    EXPECT(!separable(g, in));
    cs_graph_free(g);
    /* a transpose that moves the batch off axis 0 may not be an output */
    g = graph_with_input("moved_out", 13, 3, dims, &x);
    cs_graph_add_output(g, node(g, "Transpose", (int[]){x}, 1, "t"));
    cs_attrs_add_ints(&g->nodes[g->n_nodes - 1].attrs, "perm", (const int64_t[]){1, 0, 2}, 3);
    EXPECT(!separable(g, in));
    cs_graph_free(g);
    cs_tensor_free(in);
}

/* Builds a plan for g and runs it twice on in, as sub-batches: each run's activation peak under a quarter of the
 * whole-batch one (whole), its output of in's batch size (and dims[1] == dim1 where dim1 >= 0) within tol of ref. */
static void expect_split_runs(cs_graph *g, const cs_tensor *in, const cs_tensor *ref, size_t whole, int64_t dim1,
                              double tol, int *cs_failures_)
{
    cs_plan *plan = NULL;
    cs_error err = {0};
    EXPECT(cs_plan_build(g, &plan, &err) == CS_OK);
    for (int r = 0; plan && r < 2; r++) {
        cs_tensor *outs[1] = {0};
        cs_exec_stats stats = {0};
        EXPECT(cs_exec_run(g, plan, (const cs_tensor *const *)&in, outs, NULL, &stats, &err) == CS_OK);
        EXPECT(stats.peak_bytes < whole / 4);
        EXPECT(outs[0] && outs[0]->dims[0] == in->dims[0] && (dim1 < 0 || outs[0]->dims[1] == dim1) &&
               rel_diff(outs[0], ref) < tol);
        cs_tensor_free(outs[0]);
        cs_exec_stats_free(&stats);
    }
    cs_plan_free(plan);
}

/* The attention graph at a batch over the splitting threshold runs in sub-batches (its activation peak per run
 * shows it) with the reference kernels' results, on 1 and 2 threads. */
TEST(attention_block_runs_in_sub_batches_with_the_same_results)
{
    const int64_t batch = 512, seq = 64;
    cs_graph *g = attention_graph(batch, seq, true);
    int64_t dims[3] = {batch, seq, 32};
    cs_tensor *in = wave_input(3, dims, 1.0, 0.013, 0.0, sin);
    cs_tensor *ref[1] = {0};
    EXPECT(run_with(g, CS_KERNELS_REFERENCE, in, ref));
    size_t whole = whole_batch_peak(g, in);
    EXPECT(whole > 8u << 20);
    for (int threads = 1; threads <= 2; threads++) {
        cs_threads_set(threads);
        expect_split_runs(g, in, ref[0], whole, -1, 5e-5, cs_failures_);
    }
    cs_threads_set(1);
    cs_tensor_free(ref[0]);
    cs_tensor_free(in);
    cs_graph_free(g);
}

/* A class token for every image, as ViT exports add it: Expand(token [1, 1, 32], [B, 1, 32]) with B from Shape,
 * concatenated before the patches; ConstantOfShape of a batch-led shape added to it. */
static cs_graph *class_token_graph(int64_t batch, int64_t patches)
{
    int x;
    cs_graph *g = graph_with_input("class_token", 13, 3, (const int64_t[]){batch, patches, 32}, &x);
    int shape = node(g, "Concat", (int[]){batch_size_vector(g, x), const_ints(g, "tok_rest", (const int64_t[]){1, 32}, 2)},
                     2, "tok_shape");
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "axis", 0);
    int64_t td[3] = {1, 1, 32};
    int tok = node(g, "Expand", (int[]){add_const(g, "token", 3, td, 0.3, 77), shape}, 2, "tokens");
    int64_t fd[1] = {1};
    cs_tensor *fill = cs_tensor_new(CS_DT_F32, 1, fd, NULL);
    ((float *)fill->data)[0] = 0.25f;
    int ones = node(g, "ConstantOfShape", (int[]){shape}, 1, "filled");
    cs_attrs_add_tensor(&g->nodes[g->n_nodes - 1].attrs, "value", fill);
    int cat = node(g, "Concat", (int[]){node(g, "Add", (int[]){tok, ones}, 2, "tok2"), x}, 2, "with_token");
    cs_attrs_add_int(&g->nodes[g->n_nodes - 1].attrs, "axis", 1);
    cs_graph_add_output(g, node(g, "Softmax", (int[]){cat}, 1, "out"));
    return g;
}

TEST(class_tokens_expanded_to_the_batch_run_in_sub_batches)
{
    int64_t small[3] = {3, 4, 32};
    cs_tensor *in = cs_tensor_new(CS_DT_F32, 3, small, NULL);
    cs_graph *g = class_token_graph(3, 4);
    EXPECT(separable(g, in));
    cs_graph_free(g);
    cs_tensor_free(in);
    const int64_t batch = 2048, patches = 48;
    g = class_token_graph(batch, patches);
    int64_t dims[3] = {batch, patches, 32};
    in = wave_input(3, dims, 1.0, 0.007, 0.0, cos);
    cs_tensor *ref[1] = {0};
    EXPECT(run_with(g, CS_KERNELS_REFERENCE, in, ref));
    size_t whole = whole_batch_peak(g, in);
    EXPECT(whole > 8u << 20);
    expect_split_runs(g, in, ref[0], whole, patches + 1, 1e-5, cs_failures_);
    cs_tensor_free(ref[0]);
    cs_tensor_free(in);
    cs_graph_free(g);
}
