/* grad_test.c — every backward op checked against central finite differences of sum(w * y) on small
 * random tensors, and the cross-entropy wrapper for logits, Softmax and LogSoftmax outputs. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/grad/grad.h"
#include "grad_check.h"
#include "test.h"

/* Tolerance: |fd - analytic| <= ATOL + RTOL * max(|fd|, |analytic|). The forward pass is f32: each
 * output carries a relative error near 2^-24, so sum(w*y) over <= 200 outputs of magnitude <= 5 is off
 * by <= 6e-5 and the central difference (divided by 2*eps = 2e-3) by <= 3e-3: ATOL = 5e-3. Truncation
 * is O(eps^2 f''') ~ 1e-6 relative; RTOL = 1e-2 leaves room for the f32 BLAS paths. Inputs are kept
 * more than eps away from kinks (ReLU 0, Clip bounds, pooling ties). */
#define FD_EPS 1e-3
#define ATOL 5e-3
#define RTOL 1e-2

static uint32_t rng_state = 12345;

static double frand(double lo, double hi)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (hi - lo) * ((rng_state >> 8) / 16777216.0);
}

static cs_tensor *rand_tensor(int rank, const int64_t *dims, double lo, double hi)
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, NULL);
    float *d = t->data;
    for (int64_t i = 0; i < cs_tensor_numel(t); i++) {
        double v = frand(lo, hi);
        if (fabs(v) < 0.05)
            v = v < 0 ? -0.05 - fabs(v) : 0.05 + v; /* away from the ReLU kink */
        d[i] = (float)v;
    }
    return t;
}

/* Distinct values spaced 0.013 apart in random order: no pooling ties within eps. */
static cs_tensor *spaced_tensor(int rank, const int64_t *dims)
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, NULL);
    float *d = t->data;
    int64_t n = cs_tensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        d[i] = (float)(0.013 * (double)(i - n / 2) + 0.0061);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)frand(0, (double)i + 0.999);
        float s = d[i];
        d[i] = d[j], d[j] = s;
    }
    return t;
}

static cs_tensor *i64_tensor(int n, const int64_t *v)
{
    int64_t d = n;
    cs_tensor *t = cs_tensor_new(CS_DT_I64, 1, &d, NULL);
    memcpy(t->data, v, (size_t)n * sizeof *v);
    return t;
}

/* One node OP whose input x_slot is the graph input "x" and whose other inputs are the given constants
 * (NULL entries become absent inputs). Takes ownership of the constants. */
static cs_graph *one_node(const char *op, int64_t opset, int n_in, int x_slot, cs_tensor **consts)
{
    cs_graph *g = cs_graph_new("grad.test", "test");
    g->opset = opset;
    int ins[8], x = cs_graph_value(g, "x"), y = cs_graph_value(g, "y");
    for (int i = 0; i < n_in; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        ins[i] = i == x_slot ? x : consts[i] ? cs_graph_add_constant(g, name, consts[i]) : -1;
    }
    cs_graph_add_input(g, x);
    cs_graph_add_output(g, y);
    cs_graph_add_node(g, op, "n0", ins, n_in, &y, 1);
    return g;
}

/* Number of gradient entries outside tolerance (or -1 when the gradient could not be computed). */
static int check_graph(const char *what, cs_graph *g, cs_tensor *x)
{
    cs_plan *plan = NULL;
    cs_error err = {0};
    cs_tensor *y = NULL;
    int bad = 0;
    if (cs_plan_build(g, &plan, &err) != CS_OK ||
        cs_exec_run(g, plan, (const cs_tensor *const *)&x, &y, NULL, NULL, &err) != CS_OK) {
        fprintf(stderr, "  %s: %s\n", what, err.msg);
        cs_plan_free(plan);
        return -1;
    }
    cs_tensor *w = rand_tensor(y->rank, y->dims, -1, 1);
    cs_grad_result res;
    if (cs_grad_seeded(g, plan, (const cs_tensor *const *)&x, 0, 0, w, &res, &err) != CS_OK) {
        fprintf(stderr, "  %s: %s\n", what, err.msg);
        bad = -1;
    }
    if (bad >= 0) {
        char label[160];
        snprintf(label, sizeof label, "%s: d/dx", what);
        bad = grad_fd_mismatches(g, plan, x, w, res.grad->data, FD_EPS, ATOL, RTOL, label);
    }
    if (bad >= 0)
        cs_grad_result_free(&res);
    cs_tensor_free(w);
    cs_tensor_free(y);
    cs_plan_free(plan);
    return bad;
}

/* Checks node OP with x at slot x_slot; frees everything. */
static int check_op(const char *what, cs_graph *g, cs_tensor *x)
{
    int bad = check_graph(what, g, x);
    cs_tensor_free(x);
    cs_graph_free(g);
    return bad;
}

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define R(lo, hi, rank, ...) rand_tensor(rank, D(__VA_ARGS__), lo, hi)

TEST(grad_conv_matches_finite_differences)
{
    cs_tensor *c[] = {NULL, R(-1, 1, 4, 3, 2, 3, 3), R(-1, 1, 1, 3)};
    cs_graph *g = one_node("Conv", 13, 3, 0, c);
    cs_attrs_add_ints(&g->nodes[0].attrs, "pads", D(1, 1, 1, 1), 4);
    EXPECT(check_op("Conv pads 1", g, R(-1, 1, 4, 1, 2, 5, 5)) == 0);
    cs_tensor *c2[] = {NULL, R(-1, 1, 4, 4, 1, 3, 2)};
    g = one_node("Conv", 13, 2, 0, c2);
    cs_attrs_add_int(&g->nodes[0].attrs, "group", 2);
    cs_attrs_add_ints(&g->nodes[0].attrs, "strides", D(2, 1), 2);
    cs_attrs_add_ints(&g->nodes[0].attrs, "dilations", D(1, 2), 2);
    EXPECT(check_op("Conv groups strides dilations", g, R(-1, 1, 4, 2, 2, 6, 7)) == 0);
}

TEST(grad_gemm_matches_finite_differences_for_a_b_and_c)
{
    for (int slot = 0; slot < 3; slot++)
        for (int ta = 0; ta < 2; ta++) {
            cs_tensor *c[] = {ta ? R(-1, 1, 2, 3, 2) : R(-1, 1, 2, 2, 3), R(-1, 1, 2, 4, 3), R(-1, 1, 1, 4)};
            cs_tensor *x = c[slot];
            c[slot] = NULL;
            cs_graph *g = one_node("Gemm", 13, 3, slot, c);
            cs_attrs_add_int(&g->nodes[0].attrs, "transA", ta);
            cs_attrs_add_int(&g->nodes[0].attrs, "transB", 1);
            cs_attrs_add_float(&g->nodes[0].attrs, "alpha", 0.7);
            cs_attrs_add_float(&g->nodes[0].attrs, "beta", 1.3);
            EXPECT(check_op("Gemm", g, x) == 0);
        }
}

TEST(grad_matmul_matches_finite_differences_with_batch_broadcast)
{
    cs_tensor *c[] = {NULL, R(-1, 1, 2, 4, 5)};
    EXPECT(check_op("MatMul dA", one_node("MatMul", 13, 2, 0, c), R(-1, 1, 3, 2, 3, 4)) == 0);
    cs_tensor *c2[] = {R(-1, 1, 3, 2, 3, 4), NULL};
    EXPECT(check_op("MatMul dB (broadcast)", one_node("MatMul", 13, 2, 1, c2), R(-1, 1, 2, 4, 5)) == 0);
    cs_tensor *c3[] = {NULL, R(-1, 1, 1, 4)};
    EXPECT(check_op("MatMul 1-D", one_node("MatMul", 13, 2, 0, c3), R(-1, 1, 2, 3, 4)) == 0);
}

TEST(grad_pools_match_finite_differences)
{
    cs_graph *g = one_node("MaxPool", 13, 1, 0, NULL);
    cs_attrs_add_ints(&g->nodes[0].attrs, "kernel_shape", D(2, 2), 2);
    cs_attrs_add_ints(&g->nodes[0].attrs, "strides", D(2, 2), 2);
    EXPECT(check_op("MaxPool 2x2", g, spaced_tensor(4, D(1, 2, 4, 4))) == 0);
    g = one_node("MaxPool", 13, 1, 0, NULL);
    cs_attrs_add_ints(&g->nodes[0].attrs, "kernel_shape", D(3, 3), 2);
    cs_attrs_add_ints(&g->nodes[0].attrs, "strides", D(2, 2), 2);
    cs_attrs_add_ints(&g->nodes[0].attrs, "pads", D(1, 1, 1, 1), 4);
    EXPECT(check_op("MaxPool 3x3 overlapping", g, spaced_tensor(4, D(1, 2, 5, 5))) == 0);
    for (int inc = 0; inc < 2; inc++) {
        g = one_node("AveragePool", 13, 1, 0, NULL);
        cs_attrs_add_ints(&g->nodes[0].attrs, "kernel_shape", D(3, 3), 2);
        cs_attrs_add_ints(&g->nodes[0].attrs, "strides", D(2, 2), 2);
        cs_attrs_add_ints(&g->nodes[0].attrs, "pads", D(1, 1, 1, 1), 4);
        cs_attrs_add_int(&g->nodes[0].attrs, "count_include_pad", inc);
        EXPECT(check_op("AveragePool", g, R(-1, 1, 4, 1, 2, 5, 5)) == 0);
    }
    EXPECT(check_op("GlobalAveragePool", one_node("GlobalAveragePool", 13, 1, 0, NULL), R(-1, 1, 4, 2, 3, 3, 2)) == 0);
    EXPECT(check_op("GlobalMaxPool", one_node("GlobalMaxPool", 13, 1, 0, NULL), spaced_tensor(4, D(2, 3, 3, 2))) == 0);
}

TEST(grad_batchnorm_inference_matches_finite_differences)
{
    cs_tensor *c[] = {NULL, R(-1, 1, 1, 3), R(-1, 1, 1, 3), R(-1, 1, 1, 3), R(0.5, 2, 1, 3)};
    EXPECT(check_op("BatchNormalization", one_node("BatchNormalization", 15, 5, 0, c), R(-1, 1, 4, 2, 3, 2, 2)) == 0);
}

TEST(grad_activations_match_finite_differences)
{
    const char *ops[] = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Identity", "Dropout", "Neg", "Exp", "Softplus", "Elu", "Abs"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        cs_graph *g = one_node(ops[k], 13, 1, 0, NULL);
        if (strcmp(ops[k], "LeakyRelu") == 0)
            cs_attrs_add_float(&g->nodes[0].attrs, "alpha", 0.2);
        EXPECT(check_op(ops[k], g, R(-2, 2, 2, 3, 4)) == 0);
    }
    EXPECT(check_op("Log", one_node("Log", 13, 1, 0, NULL), R(0.5, 2, 2, 3, 4)) == 0);
    EXPECT(check_op("Sqrt", one_node("Sqrt", 13, 1, 0, NULL), R(0.5, 2, 2, 3, 4)) == 0);
    float lo = -0.45f, hi = 0.55f;
    cs_tensor *mn = cs_tensor_new(CS_DT_F32, 0, NULL, NULL), *mx = cs_tensor_new(CS_DT_F32, 0, NULL, NULL);
    *(float *)mn->data = lo, *(float *)mx->data = hi;
    cs_tensor *c[] = {NULL, mn, mx};
    EXPECT(check_op("Clip", one_node("Clip", 13, 3, 0, c), R(-1, 1, 2, 3, 4)) == 0);
    cs_graph *g = one_node("Clip", 6, 1, 0, NULL);
    cs_attrs_add_float(&g->nodes[0].attrs, "min", -0.45);
    cs_attrs_add_float(&g->nodes[0].attrs, "max", 0.55);
    EXPECT(check_op("Clip opset 6", g, R(-1, 1, 2, 3, 4)) == 0);
}

TEST(grad_softmax_and_logsoftmax_match_finite_differences_in_both_axis_conventions)
{
    for (int k = 0; k < 4; k++) {
        cs_graph *g = one_node(k % 2 ? "LogSoftmax" : "Softmax", k < 2 ? 13 : 11, 1, 0, NULL);
        cs_attrs_add_int(&g->nodes[0].attrs, "axis", 1);
        EXPECT(check_op(g->nodes[0].op, g, R(-2, 2, 3, 2, 3, 4)) == 0);
    }
}

TEST(grad_shape_ops_match_finite_differences)
{
    cs_graph *g = one_node("Flatten", 13, 1, 0, NULL);
    EXPECT(check_op("Flatten", g, R(-1, 1, 3, 2, 3, 2)) == 0);
    cs_tensor *c[] = {NULL, i64_tensor(2, D(3, -1))};
    EXPECT(check_op("Reshape", one_node("Reshape", 13, 2, 0, c), R(-1, 1, 3, 2, 3, 2)) == 0);
    g = one_node("Transpose", 13, 1, 0, NULL);
    cs_attrs_add_ints(&g->nodes[0].attrs, "perm", D(1, 2, 0), 3);
    EXPECT(check_op("Transpose", g, R(-1, 1, 3, 2, 3, 4)) == 0);
    for (int slot = 0; slot < 2; slot++) {
        cs_tensor *cc[] = {R(-1, 1, 2, 2, 3), R(-1, 1, 2, 2, 2)};
        cs_tensor *x = cc[slot];
        cc[slot] = NULL;
        g = one_node("Concat", 13, 2, slot, cc);
        cs_attrs_add_int(&g->nodes[0].attrs, "axis", -1);
        EXPECT(check_op("Concat", g, x) == 0);
    }
    const char *modes[] = {"constant", "reflect", "edge"};
    for (int m = 0; m < 3; m++) {
        cs_tensor *cp[] = {NULL, i64_tensor(8, D(0, 0, 1, 2, 0, 0, 2, 1))};
        g = one_node("Pad", 13, 2, 0, cp);
        cs_attrs_add_string(&g->nodes[0].attrs, "mode", modes[m]);
        EXPECT(check_op(modes[m], g, R(-1, 1, 4, 1, 1, 3, 4)) == 0);
    }
}

TEST(grad_broadcasting_arithmetic_reduces_over_broadcast_dims)
{
    const char *ops[] = {"Add", "Sub", "Mul", "Div"};
    for (int k = 0; k < 4; k++)
        for (int slot = 0; slot < 2; slot++) {
            /* a [2,3] (op) b [3]; Div denominators in [0.5, 1.5]. */
            cs_tensor *c[] = {R(-1, 1, 2, 2, 3), R(0.5, 1.5, 1, 3)};
            cs_tensor *x = c[slot];
            c[slot] = NULL;
            char what[64];
            snprintf(what, sizeof what, "%s d/d%s", ops[k], slot ? "b" : "a");
            EXPECT(check_op(what, one_node(ops[k], 13, 2, slot, c), x) == 0);
        }
}

/* Gemm [1,3]x[4,3]^T -> optional final op; checks d CE / dx against finite differences of the loss. */
static int check_ce(const char *final_op, int64_t label)
{
    cs_graph *g = cs_graph_new("ce.test", "test");
    g->opset = 13;
    int x = cs_graph_value(g, "x"), z = cs_graph_value(g, "z"), y = final_op ? cs_graph_value(g, "y") : z;
    int w = cs_graph_add_constant(g, "w", R(-2, 2, 2, 4, 3));
    cs_graph_add_input(g, x);
    cs_graph_add_output(g, y);
    int gin[] = {x, w};
    int n = cs_graph_add_node(g, "Gemm", "fc", gin, 2, &z, 1);
    cs_attrs_add_int(&g->nodes[n].attrs, "transB", 1);
    if (final_op)
        cs_graph_add_node(g, final_op, "final", &z, 1, &y, 1);
    cs_tensor *xt = R(-1, 1, 2, 2, 3);
    int64_t labels[2] = {label, (label + 1) % 4};
    cs_plan *plan;
    cs_error err = {0};
    cs_grad_result res, r2;
    int bad = 0;
    cs_plan_build(g, &plan, &err);
    if (cs_grad_cross_entropy(g, plan, (const cs_tensor *const *)&xt, 0, 0, labels, CS_LOSS_AUTO, NULL, &res, &err)) {
        fprintf(stderr, "  %s\n", err.msg);
        bad = -1;
    }
    float *xd = xt->data;
    for (int64_t i = 0; bad >= 0 && i < cs_tensor_numel(xt); i++) {
        float keep = xd[i];
        double f[2];
        for (int s = 0; s < 2; s++) {
            xd[i] = (float)(keep + (s ? -FD_EPS : FD_EPS));
            cs_grad_cross_entropy(g, plan, (const cs_tensor *const *)&xt, 0, 0, labels, CS_LOSS_AUTO, NULL, &r2, &err);
            f[s] = r2.loss;
            cs_grad_result_free(&r2);
        }
        xd[i] = keep;
        double fd = (f[0] - f[1]) / (2 * FD_EPS), an = ((float *)res.grad->data)[i];
        if (!(fabs(fd - an) <= ATOL + RTOL * fmax(fabs(fd), fabs(an)))) {
            fprintf(stderr, "  CE %s: d/dx[%lld] analytic %.6g, finite difference %.6g\n", final_op ? final_op : "logits",
                    (long long)i, an, fd);
            bad++;
        }
    }
    if (bad >= 0)
        cs_grad_result_free(&res);
    cs_tensor_free(xt);
    cs_plan_free(plan);
    cs_graph_free(g);
    return bad;
}

TEST(grad_cross_entropy_handles_logits_softmax_and_logsoftmax_outputs)
{
    EXPECT(check_ce(NULL, 1) == 0);
    EXPECT(check_ce("Softmax", 2) == 0);
    EXPECT(check_ce("LogSoftmax", 3) == 0);
}

TEST(grad_cross_entropy_loss_of_logits_is_logsumexp_minus_the_label_logit)
{
    cs_graph *g = cs_graph_new("ce.test", "test");
    g->opset = 13;
    int x = cs_graph_value(g, "x"), y = cs_graph_value(g, "y");
    cs_graph_add_input(g, x);
    cs_graph_add_output(g, y);
    cs_graph_add_node(g, "Identity", "id", &x, 1, &y, 1);
    int64_t d[2] = {1, 3};
    cs_tensor *xt = cs_tensor_new(CS_DT_F32, 2, d, NULL);
    float *v = xt->data;
    v[0] = 1, v[1] = 2, v[2] = 3;
    int64_t label = 0;
    cs_plan *plan;
    cs_error err = {0};
    cs_grad_result res;
    cs_plan_build(g, &plan, &err);
    EXPECT(cs_grad_cross_entropy(g, plan, (const cs_tensor *const *)&xt, 0, 0, &label, CS_LOSS_AUTO, NULL, &res,
                                 &err) == CS_OK);
    EXPECT_NEAR(res.loss, log(exp(1) + exp(2) + exp(3)) - 1, 1e-6);
    EXPECT(res.kind == CS_LOSS_LOGITS);
    EXPECT_NEAR(((float *)res.grad->data)[0], exp(1) / (exp(1) + exp(2) + exp(3)) - 1, 1e-6);
    cs_grad_result_free(&res);
    cs_tensor_free(xt);
    cs_plan_free(plan);
    cs_graph_free(g);
}
