/* torchscript_quant_test.c — int8 TorchScript written by torch 1.13's eager post-training quantization
 * (tests/fixtures/make_quant_fixtures.py): per-channel (FBGEMM recipe) and per-tensor (QNNPACK) weights, traced,
 * scripted (modules rebuilt by __setstate__ + *_prepack) and frozen (pickled packed params), run with integer
 * semantics and compared with torch's dequantized outputs in units of the output quantum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_call.h"
#include "test.h"
#include "ts_fixture.h"

#define FIX "tests/fixtures/torch/"

/* Runs DIR name.pt on name.in.f32; *worst = max |out - ref| in quanta, *exact = share of elements equal,
 * *same_top = the largest output is at the same place. */
static bool run_quant_in(const char *dir, const char *name, double quantum, double *worst, double *exact,
                         int64_t *params, bool *same_top)
{
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s%s", dir, name);
    ts_case c;
    if (!ts_case_open(&c, prefix)) {
        fprintf(stderr, "  %s: %s\n", name, c.err.msg);
        ts_case_close(&c);
        return false;
    }
    *params = cs_graph_param_count(c.g);
    bool ok = c.g->n_outputs == 1 && ts_case_run(&c);
    const cs_tensor *ref = c.ref, *out0 = c.out[0];
    if (ok) {
        int64_t n = cs_tensor_numel(ref), same = 0, top_r = 0, top_o = 0;
        *worst = 0;
        for (int64_t i = 0; i < n; i++) {
            double r = ((const float *)ref->data)[i], o = cs_tensor_get_f64(out0, i), d = fabs(r - o) / quantum;
            *worst = d > *worst ? d : *worst;
            same += d < 1e-3;
            top_r = r > ((const float *)ref->data)[top_r] ? i : top_r;
            top_o = o > cs_tensor_get_f64(out0, top_o) ? i : top_o;
        }
        *exact = (double)same / (double)n;
        *same_top = top_r == top_o;
    } else {
        fprintf(stderr, "  %s: %s\n", name, c.err.msg[0] ? c.err.msg : "no comparable output");
    }
    ts_case_close(&c);
    return ok;
}

static bool run_quant(const char *name, double quantum, double *worst, double *exact, int64_t *params)
{
    bool top;
    return run_quant_in(FIX, name, quantum, worst, exact, params, &top);
}

static double quantum_of(const char *path)
{
    cs_tensor *q = ts_read_raw(path);
    double v = q && cs_tensor_numel(q) == 1 ? ((const float *)q->data)[0] : -1;
    cs_tensor_free(q);
    return v;
}

TEST(torchscript_quantized_zoo_matches_torch_int8)
{
    /* Quantized torchvision MobileNetV2 and ResNet-18 written by `make zoo-quant` ($ZOO_DIR/quant, default
     * build/zoo/quant, which tests/run.sh generates with the zoo when torch is installed; not in the
     * repository: 4-12 MB each; BatchNorm statistics set from random batches so the outputs are not all zeros).
     * Measured when written: all four exact (QNNPACK recipe on QNNPACK, FBGEMM recipe on oneDNN, Debian torch's
     * engines). Asserted: at most 1 quantum (one rounding step of the last layer; the file does not record the
     * engine, and FBGEMM proper rounds its float bias differently from oneDNN) and the same top class. */
    static const char *const names[] = {"q_mobilenet_v2_fbgemm", "q_mobilenet_v2_qnnpack", "q_resnet18_fbgemm",
                                        "q_resnet18_qnnpack"};
    const char *zoo = getenv("ZOO_DIR");
    char dir[200], path[256];
    snprintf(dir, sizeof dir, "%s/quant/", zoo && *zoo ? zoo : "build/zoo");
    snprintf(path, sizeof path, "%s%s.pt", dir, names[0]);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  note: %s is absent (make zoo-quant); the quantized zoo was not checked\n", path);
        return;
    }
    fclose(f);
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s%s.quantum.f32", dir, names[k]);
        double worst = 1e9, exact = 0, quantum = quantum_of(path);
        int64_t params = 0;
        bool top = false;
        EXPECT(quantum > 0 && run_quant_in(dir, names[k], quantum, &worst, &exact, &params, &top));
        fprintf(stderr, "  %s: worst %g quanta, %.4f exact, top-1 %s\n", names[k], worst, exact, top ? "same" : "differs");
        EXPECT(worst <= 1.001);
        EXPECT(top);
    }
}

TEST(torchscript_quantized_fixtures_match_torch_int8)
{
    /* Each output element is (q - zp) * scale: a difference of one quantum is one integer step of the last
     * layer (rounding ties in requantization, float vs fixed-point multipliers); more would be a wrong op. */
    static const char *const forms[] = {"traced", "scripted", "frozen"};
    static const char *const recipes[] = {"fbgemm", "qnnpack"};
    for (int r = 0; r < 2; r++) {
        char path[256];
        snprintf(path, sizeof path, FIX "quant_%s.quantum.f32", recipes[r]);
        cs_tensor *q = ts_read_raw(path);
        EXPECT(q && cs_tensor_numel(q) == 1);
        double quantum = q ? ((const float *)q->data)[0] : 1;
        cs_tensor_free(q);
        for (int f = 0; f < 3; f++) {
            char name[64];
            snprintf(name, sizeof name, "quant_%s_%s", recipes[r], forms[f]);
            double worst = 1e9, exact = 0;
            int64_t params = 0;
            EXPECT(run_quant(name, quantum, &worst, &exact, &params));
            fprintf(stderr, "  %s: worst %g quanta, %.3f exact\n", name, worst, exact);
            EXPECT(worst <= 1.001);
            EXPECT(exact >= 0.9);
            /* int8 weights and float biases: 8*3*9 + 8*9 + 8*8 + 8*4 + 4 (side bias) + 12*6+6 + 6*5+5 */
            EXPECT(params == 525);
        }
    }
}

TEST(torchscript_quantized_qnnpack_rounding_forms_exact)
{
    /* quant_qnnpack_ties (make_quant_fixtures.py --ties): torch's int values of quantize, a 1x1 conv and a bias-only
     * conv, at inputs, scales and biases where QNNPACK's float32 forms (x * (1/s); (w_s * x_s) * (1/y_s);
     * b * (1/(x_s * w_s))) and the plain quotients round to different integers. Integer outputs: exact, no
     * tolerance. Layout: 12 quantized inputs, 8 x 12 conv outputs, then the bias-only conv's outputs. */
    static const char *const parts[3] = {"quantize_per_tensor", "conv requantization", "conv bias"};
    ts_case c;
    EXPECT(ts_case_open(&c, FIX "quant_qnnpack_ties"));
    bool ran = c.g && ts_case_run(&c);
    EXPECT(ran);
    int64_t n = ran ? cs_tensor_numel(c.in) : 0, bad[3] = {0, 0, 0};
    for (int64_t i = 0; ran && i < cs_tensor_numel(c.ref); i++) {
        int part = i < n ? 0 : i < 9 * n ? 1 : 2;
        bad[part] += cs_tensor_get_f64(c.out[0], i) != ((const float *)c.ref->data)[i];
    }
    for (int k = 0; k < 3; k++) {
        if (bad[k])
            fprintf(stderr, "  %s: %lld values differ from torch\n", parts[k], (long long)bad[k]);
        EXPECT(bad[k] == 0);
    }
    EXPECT(!ran || cs_tensor_numel(c.ref) > 9 * n);
    ts_case_close(&c);
}

TEST(torchscript_quantized_onednn_requantization_exact)
{
    /* quant_onednn_ties (make_quant_fixtures.py --ties): torch's int values of quantize and a per-channel 3x3 conv run
     * by oneDNN (Debian torch's engine for the FBGEMM recipe): float bias in accumulator units, per-channel float32
     * multipliers, zero point added in float32. Integer outputs: exact, no tolerance. */
    ts_case c;
    EXPECT(ts_case_open(&c, FIX "quant_onednn_ties"));
    bool ran = c.g && ts_case_run(&c);
    EXPECT(ran);
    int64_t bad = 0;
    for (int64_t i = 0; ran && i < cs_tensor_numel(c.ref); i++)
        bad += cs_tensor_get_f64(c.out[0], i) != ((const float *)c.ref->data)[i];
    if (bad)
        fprintf(stderr, "  %lld of %lld values differ from torch\n", (long long)bad, (long long)cs_tensor_numel(c.ref));
    EXPECT(bad == 0);
    ts_case_close(&c);
}

TEST(torchscript_quantized_convs_are_integer_ops)
{
    /* quantized convolutions stay integer ops in the IR (QLinearConv on u8/i8 values), not float stand-ins */
    cs_error err;
    cs_graph *g = NULL;
    EXPECT(cs_torchscript_load(FIX "quant_qnnpack_traced.pt", &g, &err) == CS_OK);
    bool has_qconv = false;
    for (int i = 0; g && i < g->n_nodes; i++)
        has_qconv |= strcmp(g->nodes[i].op, "QLinearConv") == 0;
    EXPECT(has_qconv);
    cs_graph_free(g);
}

/* QnnpackAdd against torch 1.13's quantized::add / add_relu under the QNNPACK engine (values printed by torch for
 * these 16 pairs, a: scale 0.0371 zero 121, b: 0.0517 / 130, y: 0.0613 / 9): exact. */
TEST(qnnpack_add_matches_torch_qnnpack)
{
    static const double a[16] = {99, 206, 239, 189, 230, 118, 144, 73, 8, 228, 231, 190, 155, 112, 158, 208};
    static const double b[16] = {7, 204, 143, 113, 181, 231, 80, 27, 44, 205, 203, 65, 175, 30, 212, 86};
    static const int want[2][16] = {{0, 123, 91, 36, 118, 92, 0, 0, 0, 137, 137, 0, 68, 0, 101, 25},
                                    {9, 123, 91, 36, 118, 92, 9, 9, 9, 137, 137, 9, 68, 9, 101, 25}};
    int64_t dims[1] = {16};
    for (int relu = 0; relu < 2; relu++) {
        op_call c = {.op = "QnnpackAdd", .n_in = 2, .opset = 13};
        c.in[0] = op_tensor(CS_DT_U8, 1, dims, a);
        c.in[1] = op_tensor(CS_DT_U8, 1, dims, b);
        EXPECT(cs_attrs_add_float(&c.attrs, "a_scale", 0.0371) && cs_attrs_add_int(&c.attrs, "a_zero_point", 121) &&
               cs_attrs_add_float(&c.attrs, "b_scale", 0.0517) && cs_attrs_add_int(&c.attrs, "b_zero_point", 130) &&
               cs_attrs_add_float(&c.attrs, "y_scale", 0.0613) && cs_attrs_add_int(&c.attrs, "y_zero_point", 9) &&
               cs_attrs_add_int(&c.attrs, "relu", relu));
        EXPECT(op_call_run(&c) == CS_OK && c.out[0]);
        for (int i = 0; c.out[0] && i < 16; i++)
            EXPECT(cs_tensor_get_i64(c.out[0], i) == want[relu][i]);
        cs_tensor_free((cs_tensor *)c.in[0]);
        cs_tensor_free((cs_tensor *)c.in[1]);
        op_call_free(&c);
    }
}
