/* op_infer_test.c — one harness walks the op registry: every op whose row has an `infer` is run on a probe
 * (random inputs, attributes that exercise the rule) and the shapes and dtypes its kernel produces must be the
 * ones its infer predicts; every op whose row has a `backward` gets a finite-difference gradient check on the
 * same probe. An op row with infer or backward but no probe here fails the harness. */
#include <math.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/grad/grad.h"
#include "engine/ops/infer.h"
#include "engine/ops/ops.h"
#include "grad_check.h"
#include "test.h"

#define MAX_IN 5

typedef struct probe_in {
    cs_dtype dtype;          /* CS_DT_UNDEFINED ends the list */
    int rank;
    int64_t dims[6];
    const int64_t *values;   /* i64 inputs: their values (rank 1) */
} probe_in;

typedef struct probe {
    const char *ops;         /* comma-separated op names sharing this probe */
    probe_in in[MAX_IN];
    void (*attrs)(cs_attrs *a);
} probe;

#define F32(r, ...) {CS_DT_F32, r, {__VA_ARGS__}, NULL}
#define BOOL(r, ...) {CS_DT_BOOL, r, {__VA_ARGS__}, NULL}

static void conv_attrs(cs_attrs *a)
{
    cs_attrs_add_int(a, "group", 2);
    cs_attrs_add_ints(a, "strides", (const int64_t[]){2, 1}, 2);
    cs_attrs_add_ints(a, "pads", (const int64_t[]){1, 0, 1, 2}, 4);
    cs_attrs_add_ints(a, "dilations", (const int64_t[]){1, 2}, 2);
}
static void pool_attrs(cs_attrs *a)
{
    cs_attrs_add_ints(a, "kernel_shape", (const int64_t[]){3, 2}, 2);
    cs_attrs_add_ints(a, "strides", (const int64_t[]){2, 2}, 2);
    cs_attrs_add_ints(a, "pads", (const int64_t[]){0, 1, 0, 1}, 4);
    cs_attrs_add_int(a, "ceil_mode", 1);
}
static void lp_pool_attrs(cs_attrs *a) { cs_attrs_add_ints(a, "kernel_shape", (const int64_t[]){2, 2}, 2); }
static void gemm_attrs(cs_attrs *a) { cs_attrs_add_int(a, "transA", 1), cs_attrs_add_int(a, "transB", 1); }
static void flatten_attrs(cs_attrs *a) { cs_attrs_add_int(a, "axis", 2); }
static void transpose_attrs(cs_attrs *a) { cs_attrs_add_ints(a, "perm", (const int64_t[]){0, 2, 3, 1}, 4); }
static void concat_attrs(cs_attrs *a) { cs_attrs_add_int(a, "axis", 1); }
static void lrn_attrs(cs_attrs *a) { cs_attrs_add_int(a, "size", 3); }
static void cast_attrs(cs_attrs *a) { cs_attrs_add_int(a, "to", 1); } /* ONNX FLOAT */
static void pad_attrs(cs_attrs *a) { cs_attrs_add_string(a, "mode", "constant"); }

static const int64_t reshape_to[] = {0, -1, 5};
static const int64_t squeeze_axes[] = {1, 3}, unsqueeze_axes[] = {0, 3};
static const int64_t pads[] = {0, 1, 2, 0, 1, 0, 1, 2};

static const probe probes[] = {
    {"Relu,LeakyRelu,ThresholdedRelu,Elu,Selu,Celu,Sigmoid,HardSigmoid,HardSwish,Tanh,Softplus,Softsign,Mish,Gelu,"
     "Shrink,Clip,Softmax,LogSoftmax,Hardmax,Identity,MeanVarianceNormalization,Abs,Neg,Reciprocal,Floor,Ceil,Sqrt,"
     "Exp,Log,Sin,Cos,Tan,Erf,Sign,Swish,Dropout,LpNormalization", {F32(4, 2, 3, 4, 5)}, NULL},
    {"Cast", {F32(3, 2, 3, 4)}, cast_attrs},
    {"Squeeze", {F32(4, 2, 1, 4, 1), {CS_DT_I64, 1, {2}, squeeze_axes}}, NULL},
    {"Unsqueeze", {F32(3, 2, 3, 4), {CS_DT_I64, 1, {2}, unsqueeze_axes}}, NULL},
    {"Pad", {F32(4, 1, 2, 3, 4), {CS_DT_I64, 1, {8}, pads}}, pad_attrs},
    {"PRelu", {F32(4, 2, 3, 4, 5), F32(3, 3, 1, 1)}, NULL},
    {"LRN", {F32(4, 2, 3, 4, 5)}, lrn_attrs},
    {"BatchNormalization", {F32(4, 2, 3, 4, 5), F32(1, 3), F32(1, 3), F32(1, 3), F32(1, 3)}, NULL},
    {"InstanceNormalization", {F32(4, 2, 3, 4, 5), F32(1, 3), F32(1, 3)}, NULL},
    {"Add,Sub,Mul,Div,Pow,Equal,Less,Greater,LessOrEqual,GreaterOrEqual", {F32(4, 2, 3, 4, 5), F32(3, 3, 1, 1)}, NULL},
    {"Max,Min,Sum,Mean", {F32(4, 2, 3, 4, 5), F32(2, 4, 5), F32(1, 1)}, NULL},
    {"And,Or,Xor", {BOOL(3, 2, 3, 4), BOOL(1, 4)}, NULL},
    {"Not", {BOOL(3, 2, 3, 4)}, NULL},
    {"Conv", {F32(4, 1, 4, 9, 8), F32(4, 6, 2, 3, 3)}, conv_attrs},
    {"MaxPool,AveragePool", {F32(4, 1, 2, 9, 8)}, pool_attrs},
    {"LpPool", {F32(4, 1, 2, 9, 8)}, lp_pool_attrs},
    {"GlobalMaxPool,GlobalAveragePool,GlobalLpPool", {F32(4, 2, 3, 5, 4)}, NULL},
    {"Gemm", {F32(2, 4, 3), F32(2, 5, 4), F32(1, 5)}, gemm_attrs},
    {"MatMul", {F32(4, 2, 1, 3, 4), F32(3, 5, 4, 6)}, NULL},
    {"Flatten", {F32(4, 2, 3, 4, 5)}, flatten_attrs},
    {"Reshape", {F32(4, 2, 3, 4, 5), {CS_DT_I64, 1, {3}, reshape_to}}, NULL},
    {"Transpose", {F32(4, 2, 3, 4, 5)}, transpose_attrs},
    {"Concat", {F32(3, 2, 3, 4), F32(3, 2, 1, 4), F32(3, 2, 2, 4)}, concat_attrs},
};

static bool listed(const char *list, const char *op)
{
    size_t n = strlen(op);
    for (const char *p = list; (p = strstr(p, op)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
            return true;
    return false;
}

static const probe *probe_for(const char *op)
{
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
        if (listed(probes[i].ops, op))
            return &probes[i];
    return NULL;
}

static cs_tensor *make_input(const probe_in *pi, uint32_t *seed)
{
    cs_tensor *t = cs_tensor_new(pi->dtype, pi->rank, pi->dims, NULL);
    for (int64_t k = 0; t && k < cs_tensor_numel(t); k++) {
        *seed = *seed * 1664525u + 1013904223u;
        double u = (*seed >> 8) / 16777216.0;
        /* positive and away from 0 (Sqrt, Log, Div, Pow, variances); bools alternate */
        cs_tensor_set_f64(t, k, pi->values ? (double)pi->values[k] : pi->dtype == CS_DT_BOOL ? (k & 1) : 0.1 + u);
    }
    return t;
}

/* Runs op on its probe and checks infer's prediction; returns false on a mismatch (reported). */
static bool check_op(const cs_op_def *def, const probe *pr)
{
    cs_graph *g = cs_graph_new("infer.test", "test");
    g->opset = 17;
    int ins[MAX_IN], n_in = 0, outs[2];
    const cs_tensor *tin[MAX_IN];
    uint32_t seed = 7;
    for (; n_in < MAX_IN && pr->in[n_in].dtype != CS_DT_UNDEFINED; n_in++) {
        char name[32]; /* room for "c" and any int: -O1 cannot bound n_in */
        snprintf(name, sizeof name, "c%d", n_in);
        cs_tensor *t = make_input(&pr->in[n_in], &seed);
        tin[n_in] = t;
        ins[n_in] = cs_graph_add_constant(g, name, t);
    }
    outs[0] = cs_graph_value(g, "y");
    cs_graph_add_node(g, def->name, "n0", ins, n_in, outs, 1);
    if (pr->attrs)
        pr->attrs(&g->nodes[0].attrs);
    cs_shape in_shapes[MAX_IN], predicted[2];
    for (int i = 0; i < n_in; i++) {
        in_shapes[i] = (cs_shape){tin[i]->dtype, tin[i]->rank, {0}};
        memcpy(in_shapes[i].dims, tin[i]->dims, sizeof(int64_t) * (size_t)tin[i]->rank);
    }
    cs_tensor *y = NULL;
    cs_error err = {0}, ierr = {0};
    cs_status run = cs_exec_node(g, 0, tin, &y, &err);
    cs_status inf = cs_infer_node(g, 0, in_shapes, predicted, &ierr);
    bool ok = run == CS_OK && inf == CS_OK && y && predicted[0].dtype == y->dtype && predicted[0].rank == y->rank &&
              memcmp(predicted[0].dims, y->dims, sizeof(int64_t) * (size_t)y->rank) == 0;
    if (!ok) {
        char a[96] = "-", b[96] = "-";
        if (y)
            cs_shape_str(y->rank, y->dims, a, sizeof a);
        if (inf == CS_OK)
            cs_shape_str(predicted[0].rank, predicted[0].dims, b, sizeof b);
        fprintf(stderr, "  %s: kernel %s %s, infer %s %s%s%s\n", def->name, a, run == CS_OK ? "" : err.msg, b,
                inf == CS_OK ? "" : ierr.msg, y && inf == CS_OK && y->dtype != predicted[0].dtype ? " (dtype)" : "",
                "");
    }
    cs_tensor_free(y);
    cs_graph_free(g);
    return ok;
}

TEST(every_op_with_infer_predicts_the_shapes_its_kernel_produces)
{
    int with_infer = 0, checked = 0;
    for (int i = 0; i < cs_ops_count(); i++) {
        const cs_op_def *def = cs_ops_at(i);
        if (!def->infer)
            continue;
        with_infer++;
        const probe *pr = probe_for(def->name);
        if (!pr) {
            fprintf(stderr, "  %s has infer but no probe in op_infer_test.c\n", def->name);
            EXPECT(pr != NULL);
            continue;
        }
        bool ok = check_op(def, pr);
        EXPECT(ok);
        checked += ok;
    }
    EXPECT(with_infer >= 60 && checked == with_infer);
}

TEST(infer_propagates_unknown_dims_and_names_the_node_on_bad_shapes)
{
    cs_graph *g = cs_graph_new("infer.test", "test");
    int ins[2] = {cs_graph_value(g, "a"), cs_graph_value(g, "b")}, y = cs_graph_value(g, "y");
    cs_graph_add_node(g, "MatMul", "mm", ins, 2, &y, 1);
    cs_shape in[2] = {{CS_DT_F32, 3, {-1, 3, 4}}, {CS_DT_F32, 2, {4, 7}}}, out[1];
    cs_error err = {0};
    EXPECT(cs_infer_node(g, 0, in, out, &err) == CS_OK);
    EXPECT(out[0].rank == 3 && out[0].dims[0] == -1 && out[0].dims[1] == 3 && out[0].dims[2] == 7);
    in[1].dims[0] = 5;
    EXPECT(cs_infer_node(g, 0, in, out, &err) == CS_ERR_SHAPE && strstr(err.msg, "'mm'"));
    cs_graph_free(g);
}

TEST(swish_is_x_times_sigmoid_of_alpha_x)
{
    cs_graph *g = cs_graph_new("swish.test", "test");
    int64_t dims[1] = {5};
    cs_tensor *x = cs_tensor_new(CS_DT_F32, 1, dims, NULL);
    const float xs[5] = {-3, -0.5f, 0, 0.5f, 3};
    memcpy(x->data, xs, sizeof xs);
    int in = cs_graph_add_constant(g, "x", x), y = cs_graph_value(g, "y");
    cs_graph_add_node(g, "Swish", "s", &in, 1, &y, 1);
    cs_attrs_add_float(&g->nodes[0].attrs, "alpha", 2.0);
    const cs_tensor *ins[1] = {x};
    cs_tensor *out = NULL;
    cs_error err = {0};
    EXPECT(cs_exec_node(g, 0, ins, &out, &err) == CS_OK);
    for (int i = 0; out && i < 5; i++) /* float32 result of a double formula: within a few ulps */
        EXPECT_NEAR(((float *)out->data)[i], xs[i] / (1 + exp(-2.0 * xs[i])), 1e-6);
    cs_tensor_free(out);
    cs_graph_free(g);
}

TEST(lp_normalization_divides_by_the_l1_or_l2_norm_along_its_axis)
{
    /* rows [3, -4], [0, 0], [1, 2] (axis 1) and columns (axis 0): exact small ratios, f32 within an ulp or two */
    static const float xs[6] = {3, -4, 0, 0, 1, 2};
    static const struct { int64_t p, axis; float want[6]; } cases[] = {
        {2, 1, {0.6f, -0.8f, 0, 0, 0.4472136f, 0.8944272f}},
        {1, -1, {3 / 7.f, -4 / 7.f, 0, 0, 1 / 3.f, 2 / 3.f}},
        {1, 0, {0.75f, -4 / 6.f, 0, 0, 0.25f, 2 / 6.f}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cs_graph *g = cs_graph_new("lpnorm.test", "test");
        cs_tensor *x = cs_tensor_new(CS_DT_F32, 2, (const int64_t[]){3, 2}, NULL);
        memcpy(x->data, xs, sizeof xs);
        int in = cs_graph_add_constant(g, "x", x), y = cs_graph_value(g, "y");
        cs_graph_add_node(g, "LpNormalization", "n", &in, 1, &y, 1);
        cs_attrs_add_int(&g->nodes[0].attrs, "p", cases[c].p);
        cs_attrs_add_int(&g->nodes[0].attrs, "axis", cases[c].axis);
        const cs_tensor *ins[1] = {x};
        cs_tensor *out = NULL;
        cs_error err = {0};
        EXPECT(cs_exec_node(g, 0, ins, &out, &err) == CS_OK);
        for (int i = 0; out && i < 6; i++)
            EXPECT_NEAR(((float *)out->data)[i], cases[c].want[i], 1e-6);
        cs_tensor_free(out);
        cs_graph_free(g);
    }
    cs_graph *g = cs_graph_new("lpnorm.test", "test");
    cs_tensor *x = cs_tensor_new(CS_DT_F32, 1, (const int64_t[]){2}, NULL);
    int in = cs_graph_add_constant(g, "x", x), y = cs_graph_value(g, "y");
    cs_graph_add_node(g, "LpNormalization", "n", &in, 1, &y, 1);
    cs_attrs_add_int(&g->nodes[0].attrs, "p", 3);
    const cs_tensor *ins[1] = {x};
    cs_tensor *out = NULL;
    cs_error err = {0};
    EXPECT(cs_exec_node(g, 0, ins, &out, &err) == CS_ERR_UNSUPPORTED && strstr(err.msg, "p = 3"));
    cs_tensor_free(out);
    cs_graph_free(g);
}

/* ---- gradient mode: every op row with a backward, against central finite differences ---- */

/* Tolerance: |fd - analytic| <= ATOL + RTOL * max(|fd|, |analytic|), fd = (L(x+eps) - L(x-eps)) / 2eps with
 * L = sum(w * y) in double over the f32 outputs y, w uniform in [-1, 1]. Outputs the perturbed element does not
 * reach round identically in both runs and cancel; the <= ~60 it reaches (a 3x3 window over 6 channels at most
 * here) have magnitudes <= ~10 and carry f32 rounding near 2^-24 relative each, a random walk of <= ~5e-6 in L,
 * <= ~3e-3 after dividing by 2eps = 2e-3: ATOL = 5e-3. Truncation is eps^2/6 f''' (<= ~1e-2 relative where
 * a denominator is 0.1, far less elsewhere) and the f32 BLAS paths sum in other orders: RTOL = 1e-2. Inputs are
 * distinct values 0.013 apart (no pooling ties within 2eps) and more than eps from 0 (ReLU, Abs kinks). */
#define FD_EPS 1e-3
#define GRAD_ATOL 5e-3
#define GRAD_RTOL 1e-2

/* Ops whose inputs must stay positive (logarithms, roots, denominators, variances). */
static const char positive_ops[] = "Log,Sqrt,Div,BatchNormalization";

static uint32_t grad_seed = 12345;

static double grad_rand(double lo, double hi)
{
    grad_seed = grad_seed * 1664525u + 1013904223u;
    return lo + (hi - lo) * ((grad_seed >> 8) / 16777216.0);
}

/* Distinct values 0.013 apart in random order, centred on 0 (or from 0.1 up when positive), none within
 * 0.006 of 0. Non-float probe inputs (shapes, axes, pads) keep their values. */
static cs_tensor *grad_input(const probe_in *pi, bool positive, uint32_t *seed)
{
    if (pi->dtype != CS_DT_F32)
        return make_input(pi, seed);
    cs_tensor *t = cs_tensor_new(CS_DT_F32, pi->rank, pi->dims, NULL);
    float *d = t ? t->data : NULL;
    int64_t n = t ? cs_tensor_numel(t) : 0;
    for (int64_t i = 0; i < n; i++)
        d[i] = (float)(positive ? 0.1 + 0.013 * (double)i : 0.0061 + 0.013 * (double)(i - n / 2));
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)grad_rand(0, (double)i + 0.999);
        float v = d[i];
        d[i] = d[j], d[j] = v;
    }
    return t;
}

/* One node of op on the probe: input x_slot is the graph input "x", the others constants (owned by g). */
static cs_graph *grad_graph(const cs_op_def *def, const probe *pr, int n_in, int x_slot, cs_tensor **tin)
{
    cs_graph *g = cs_graph_new("grad.test", "test");
    g->opset = 17;
    int ins[MAX_IN], x = cs_graph_value(g, "x"), y = cs_graph_value(g, "y");
    for (int i = 0; i < n_in; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%d", i);
        ins[i] = i == x_slot ? x : cs_graph_add_constant(g, name, tin[i]);
    }
    cs_graph_add_input(g, x);
    cs_graph_add_output(g, y);
    cs_graph_add_node(g, def->name, "n0", ins, n_in, &y, 1);
    if (pr->attrs)
        pr->attrs(&g->nodes[0].attrs);
    return g;
}

/* Entries of d sum(w*y) / d x outside tolerance; -1 when the backward fails, -2 when it declines the input
 * (CS_ERR_UNSUPPORTED: gradients with respect to weights or parameters). */
static int grad_check_input(const cs_op_def *def, const probe *pr, int n_in, int slot)
{
    uint32_t seed = 7;
    cs_tensor *tin[MAX_IN] = {0};
    bool positive = listed(positive_ops, def->name);
    for (int i = 0; i < n_in; i++)
        tin[i] = grad_input(&pr->in[i], positive, &seed);
    cs_tensor *x = tin[slot];
    cs_graph *g = grad_graph(def, pr, n_in, slot, tin);
    cs_plan *plan = NULL;
    cs_tensor *y = NULL, *w = NULL;
    cs_error err = {0};
    cs_grad_result res = {0};
    int bad = -1;
    if (cs_plan_build(g, &plan, &err) == CS_OK &&
        cs_exec_run(g, plan, (const cs_tensor *const *)&x, &y, NULL, NULL, &err) == CS_OK) {
        w = cs_tensor_new(CS_DT_F32, y->rank, y->dims, NULL);
        for (int64_t i = 0; i < cs_tensor_numel(w); i++)
            ((float *)w->data)[i] = (float)grad_rand(-1, 1);
        cs_status st = cs_grad_seeded(g, plan, (const cs_tensor *const *)&x, 0, 0, w, &res, &err);
        bad = st == CS_OK ? 0 : st == CS_ERR_UNSUPPORTED && slot > 0 ? -2 : -1;
    }
    if (bad >= 0) {
        char label[160];
        snprintf(label, sizeof label, "%s: d/d input %d", def->name, slot);
        bad = grad_fd_mismatches(g, plan, x, w, res.grad->data, FD_EPS, GRAD_ATOL, GRAD_RTOL, label);
    }
    if (bad == -1)
        fprintf(stderr, "  %s: gradient with respect to input %d: %s\n", def->name, slot, err.msg);
    if (res.grad)
        cs_grad_result_free(&res);
    cs_tensor_free(w);
    cs_tensor_free(y);
    cs_plan_free(plan);
    cs_tensor_free(x);
    cs_graph_free(g);
    return bad;
}

TEST(every_op_with_backward_matches_finite_differences_on_its_probe)
{
    int with_backward = 0, checked = 0, inputs = 0;
    for (int i = 0; i < cs_ops_count(); i++) {
        const cs_op_def *def = cs_ops_at(i);
        if (!def->backward)
            continue;
        with_backward++;
        const probe *pr = probe_for(def->name);
        if (!pr) {
            fprintf(stderr, "  %s has backward but no probe in op_infer_test.c\n", def->name);
            EXPECT(pr != NULL);
            continue;
        }
        int n_in = 0;
        while (n_in < MAX_IN && pr->in[n_in].dtype != CS_DT_UNDEFINED)
            n_in++;
        bool ok = true;
        /* every float input: the first must differentiate; a later one may be declined (weights, parameters) */
        for (int slot = 0; slot < n_in; slot++) {
            if (pr->in[slot].dtype != CS_DT_F32)
                continue;
            int bad = grad_check_input(def, pr, n_in, slot);
            ok &= bad == 0 || bad == -2;
            inputs += bad == 0;
        }
        EXPECT(ok);
        checked += ok;
    }
    fprintf(stderr, "  gradient mode: %d ops with backward, %d passed, %d inputs checked\n", with_backward, checked,
            inputs);
    EXPECT(with_backward >= 39 && checked == with_backward);
}

/* The probe above runs LpNormalization's default (L2, last axis); its L1 rule over a middle axis here. */
static void lp1_attrs(cs_attrs *a) { cs_attrs_add_int(a, "p", 1), cs_attrs_add_int(a, "axis", 1); }

TEST(lp_normalization_l1_backward_matches_finite_differences)
{
    static const probe lp1 = {"LpNormalization", {F32(3, 2, 5, 3)}, lp1_attrs};
    const cs_op_def *def = cs_ops_find("", "LpNormalization");
    EXPECT(def && def->backward && grad_check_input(def, &lp1, 1, 0) == 0);
}

/* ---- readers: the shapes they declare are the ones the ops' infer gives ---- */

#include <glob.h>

#include "engine/model.h"

/* Nodes of g whose op has infer and whose inputs' shapes are declared: the declared output shape must be the
 * inferred one (a reader that still computes a shape by hand agrees with the op). Returns mismatches. */
static int declared_vs_inferred(const cs_graph *g, int *checked)
{
    int bad = 0;
    for (int n = 0; n < g->n_nodes; n++) {
        const cs_node *nd = &g->nodes[n];
        const cs_op_def *def = cs_ops_find(nd->domain, nd->op);
        bool known = def && def->infer && nd->n_inputs <= MAX_IN && nd->n_outputs == 1 && nd->outputs[0] >= 0;
        cs_shape in[MAX_IN], out[1];
        for (int i = 0; known && i < nd->n_inputs; i++) {
            const cs_value *v = nd->inputs[i] >= 0 ? &g->values[nd->inputs[i]] : NULL;
            in[i] = (cs_shape){v ? v->dtype : CS_DT_UNDEFINED, v ? v->rank : -1, {0}};
            for (int d = 0; v && d < v->rank; d++)
                in[i].dims[d] = v->dims[d];
            known = !v || v->rank >= 0;
        }
        const cs_value *y = known ? &g->values[nd->outputs[0]] : NULL;
        cs_error err = {0};
        if (!y || y->rank < 0 || cs_infer_node(g, n, in, out, &err) != CS_OK || out[0].rank < 0)
            continue;
        bool same = out[0].rank == y->rank;
        for (int d = 0; same && d < y->rank; d++)
            same = out[0].dims[d] < 0 || y->dims[d] < 0 || out[0].dims[d] == y->dims[d];
        (*checked)++;
        if (!same && bad++ < 3) {
            char a[96], b[96];
            cs_shape_str(y->rank, y->dims, a, sizeof a);
            cs_shape_str(out[0].rank, out[0].dims, b, sizeof b);
            fprintf(stderr, "  %s: node '%s' (%s) declared %s, infer %s\n", g->path, nd->name, nd->op, a, b);
        }
    }
    return bad;
}

TEST(reader_declared_shapes_agree_with_op_infer_on_the_fixtures)
{
    glob_t gl;
    int models = 0, checked = 0, bad = 0;
    const char *pats[] = {"tests/fixtures/keras/*.h5", "tests/fixtures/keras/*.keras", "tests/fixtures/coreml/*.mlmodel",
                          "tests/fixtures/onnx/*.onnx"};
    for (size_t p = 0; p < sizeof pats / sizeof pats[0]; p++) {
        if (glob(pats[p], 0, NULL, &gl) != 0)
            continue;
        for (size_t i = 0; i < gl.gl_pathc; i++) {
            cs_graph *g = NULL;
            cs_error err = {0};
            if (strstr(gl.gl_pathv[i], "/bad_") || cs_model_load(gl.gl_pathv[i], &g, &err) != CS_OK) {
                cs_graph_free(g);
                continue;
            }
            models++;
            bad += declared_vs_inferred(g, &checked);
            cs_graph_free(g);
        }
        globfree(&gl);
    }
    fprintf(stderr, "  %d models, %d node shapes checked\n", models, checked);
    EXPECT(models >= 10 && checked >= 100 && bad == 0);
}
