/* torchscript_arch_test.c — TorchScript fixtures of the constructs torchvision, text and transformer models use
 * (tests/fixtures/make_arch_fixtures.py, torch 1.13): each loads and matches torch's output within
 * 1e-5 * max(1, max|ref|) (float32 rounding over a few hundred operations). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/model.h"
#include "test.h"

#define FIX "tests/fixtures/torch/"

static cs_tensor *read_raw(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint32_t r = 0, d;
    int64_t dims[CS_MAX_RANK];
    cs_tensor *t = NULL;
    if (fread(&r, 4, 1, f) == 1 && r <= CS_MAX_RANK) {
        bool ok = true;
        for (uint32_t i = 0; i < r && ok; i++)
            ok = fread(&d, 4, 1, f) == 1, dims[i] = d;
        cs_error err;
        t = ok ? cs_tensor_new(CS_DT_F32, (int)r, dims, &err) : NULL;
        if (t && fread(t->data, 1, t->nbytes, f) != t->nbytes) {
            cs_tensor_free(t);
            t = NULL;
        }
    }
    fclose(f);
    return t;
}

/* max|out - ref| / max(1, max|ref|) of FIX arch_<name>, or 1e9 when it does not load or run. */
static double arch_error(const char *name, const char *want_op)
{
    char path[256];
    cs_error err;
    cs_graph *g = NULL;
    cs_plan *plan = NULL;
    snprintf(path, sizeof path, FIX "arch_%s.pt", name);
    if (cs_torchscript_load(path, &g, &err) || cs_plan_build(g, &plan, &err)) {
        fprintf(stderr, "  %s: %s\n", name, err.msg);
        cs_graph_free(g);
        return 1e9;
    }
    bool has_op = !want_op;
    for (int i = 0; i < g->n_nodes; i++)
        has_op |= want_op && strcmp(g->nodes[i].op, want_op) == 0;
    snprintf(path, sizeof path, FIX "arch_%s.in.f32", name);
    cs_tensor *in = read_raw(path);
    snprintf(path, sizeof path, FIX "arch_%s.out.f32", name);
    cs_tensor *ref = read_raw(path);
    cs_tensor *out[4] = {0};
    const cs_tensor *ins[1] = {in};
    double worst = 1e9;
    if (has_op && in && ref && !cs_exec_run(g, plan, ins, out, NULL, NULL, &err) &&
        cs_tensor_numel(out[0]) == cs_tensor_numel(ref)) {
        double mx = 0, md = 0;
        for (int64_t i = 0; i < cs_tensor_numel(ref); i++) {
            double r = ((const float *)ref->data)[i], o = cs_tensor_get_f64(out[0], i);
            mx = fabs(r) > mx ? fabs(r) : mx;
            md = fabs(r - o) > md ? fabs(r - o) : md;
        }
        worst = md / (mx > 1 ? mx : 1);
    } else {
        fprintf(stderr, "  %s: %s\n", name, !has_op ? "expected op missing" : err.msg);
    }
    for (int k = 0; k < 4; k++)
        cs_tensor_free(out[k]);
    cs_tensor_free(in), cs_tensor_free(ref);
    cs_plan_free(plan);
    cs_graph_free(g);
    return worst;
}

TEST(torchscript_arch_constructs_match_torch)
{
    static const struct {
        const char *name, *op; /* an IR op the lowering must have used */
    } cases[] = {{"expand", "Expand"},  {"interp", "Resize"}, {"rnns", "LSTM"},       {"mha", "Softmax"},
                 {"encoder", "LayerNormalization"}, {"topk", "TopK"}, {"dense_scripted", "Concat"},
                 {"vision_ops", "NonMaxSuppression"}, {"seg_dict_scripted", "Resize"}, {"seg_dict_traced", "Resize"},
                 {"swin_bits", "Gather"}, {"swin_mask", "Concat"},
                 {"detect_bits", "Choose"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double e = arch_error(cases[k].name, cases[k].op);
        if (e > 1e-5)
            fprintf(stderr, "  %s: relative error %g\n", cases[k].name, e);
        EXPECT(e <= 1e-5);
    }
}
