/* torchscript_arch_test.c — TorchScript fixtures of the constructs torchvision, text and transformer models use
 * (tests/fixtures/make_arch_fixtures.py, torch 1.13): each loads and matches torch's output within
 * 1e-5 * max(1, max|ref|) (float32 rounding over a few hundred operations). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "ts_fixture.h"

#define FIX "tests/fixtures/torch/"

/* max|out - ref| / max(1, max|ref|) of FIX arch_<name>, or 1e9 when it does not load or run. */
static double arch_error(const char *name, const char *want_op)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, FIX "arch_%s", name);
    ts_case c;
    if (!ts_case_open(&c, prefix)) {
        fprintf(stderr, "  %s: %s\n", name, c.err.msg);
        ts_case_close(&c);
        return 1e9;
    }
    bool has_op = !want_op;
    for (int i = 0; i < c.g->n_nodes; i++)
        has_op |= want_op && strcmp(c.g->nodes[i].op, want_op) == 0;
    double worst = 1e9;
    if (has_op && ts_case_run(&c))
        worst = ts_rel_error(c.out[0], c.ref);
    else
        fprintf(stderr, "  %s: %s\n", name, !has_op ? "expected op missing" : c.err.msg);
    ts_case_close(&c);
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
                 {"detect_bits", "Choose"}, {"script_detect", "Conv"},
                 {"runtime_loop", "Loop"}, {"slice_by_tensor", "Loop"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double e = arch_error(cases[k].name, cases[k].op);
        if (e > 1e-5)
            fprintf(stderr, "  %s: relative error %g\n", cases[k].name, e);
        EXPECT(e <= 1e-5);
    }
}
