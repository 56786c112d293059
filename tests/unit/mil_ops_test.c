/* mil_ops_test.c — every one-operation ML Program of tests/fixtures/coreml/ops (make_mil_op_fixtures.py, numpy
 * references from the MIL docstrings) runs through convscope and matches its expected output; fp16-typed
 * programs match the reference rounded to fp16, overflow to infinity included. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/data/npy.h"
#include "engine/exec.h"
#include "engine/model.h"
#include "engine/precision.h"
#include "test.h"

#define OPS "tests/fixtures/coreml/ops/"

/* Mismatching elements of program `name` (its output against name.y.npy); -1 when it does not load or run. */
static int run_op(const char *name)
{
    char path[256];
    cs_error err = {0};
    cs_graph *g = NULL;
    cs_plan *plan = NULL;
    cs_tensor *x = NULL, *want = NULL, *out[1] = {NULL};
    snprintf(path, sizeof path, OPS "%s.mlpackage", name);
    int bad = -1;
    if (cs_model_load(path, &g, &err) == CS_OK && cs_plan_build(g, &plan, &err) == CS_OK) {
        snprintf(path, sizeof path, OPS "%s.x.npy", name);
        if (cs_npy_read(path, &x, &err) == CS_OK &&
            cs_exec_run(g, plan, (const cs_tensor *const *)&x, out, NULL, NULL, &err) == CS_OK) {
            snprintf(path, sizeof path, OPS "%s.y.npy", name);
            if (cs_npy_read(path, &want, &err) == CS_OK && cs_tensor_same_shape(want, out[0])) {
                bad = 0;
                for (int64_t k = 0; k < cs_tensor_numel(want); k++) {
                    double a = cs_tensor_get_f64(out[0], k), e = cs_tensor_get_f64(want, k);
                    /* 1e-5 relative: float32 arithmetic against numpy's float32/float64 reference */
                    bool same = (isinf(a) && isinf(e) && (a > 0) == (e > 0)) || fabs(a - e) <= 1e-5 * (fabs(e) + 1);
                    bad += !same;
                }
            }
        }
    }
    if (bad)
        fprintf(stderr, "  %s: %s\n", name, bad < 0 ? err.msg : "values differ");
    cs_tensor_free(x), cs_tensor_free(want), cs_tensor_free(out[0]);
    cs_plan_free(plan);
    cs_graph_free(g);
    return bad;
}

TEST(mil_single_op_programs_match_numpy_references)
{
    static const char *names[] = {"tan", "asin", "acos", "atan", "sinh", "cosh", "atanh", "square", "exp2",
                                  "floor_div", "mod", "cumsum_exclusive_reverse", "slice_by_size", "reverse_axes",
                                  "band_part", "flatten2d", "shape", "gather_along_axis", "gather_nd",
                                  "scatter_along_axis_max", "scatter_nd_add", "square_fp16", "cumsum_fp16",
                                  "topk_values", "topk_indices", "topk_ascending_indices", "resize_bilinear_default",
                                  "resize_bilinear_strict_align_corners", "resize_bilinear_unalign_corners",
                                  "resize_nearest_neighbor", "conv_transpose_3d",
                                  "upsample_bilinear_align_true", "upsample_bilinear_align_false",
                                  "upsample_nearest_neighbor"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        EXPECT(run_op(names[i]) == 0);
}

/* Run in fp32, the fp16-typed square no longer overflows: the precision switch really changes arithmetic. */
TEST(mil_fp16_program_in_fp32_does_not_round)
{
    cs_precision_set_default(CS_PREC_FP32);
    int bad = run_op("square_fp16");
    cs_precision_set_default(CS_PREC_MODEL);
    EXPECT(bad > 0);
}
