/* mil_ops_test.c — every one-operation ML Program of tests/fixtures/coreml/ops (make_mil_op_fixtures.py, numpy
 * references from the MIL docstrings) runs through convscope and matches its expected output; fp16-typed
 * programs match the reference rounded to fp16, overflow to infinity included. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/data/npy.h"
#include "engine/exec.h"
#include "engine/formats/coreml_mil.h"
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

/* Issue #14's MIL ops (make_mil_op_fixtures2.py): gru/rnn, crop_resize (coremltools' own Core ML cases among them),
 * non_maximum_suppression's four padded outputs, argsort, topk with a run-time k, resize_bilinear on MIL-only grids. */
TEST(mil_recurrent_detection_and_sorting_programs_match_references)
{
    static const char *names[] = {
        "gru_sequence", "gru_state", "gru_reverse_sequence", "gru_last_step_swapped_activations", "rnn_relu_sequence",
        "resize_bilinear_offset_corners", "resize_bilinear_align_corners_size1", "crop_resize_coremltools_align",
        "crop_resize_coremltools_pad_value", "crop_resize_roi_align", "crop_resize_center_normalized_all_images",
        "crop_resize_default_mode", "crop_resize_ios17_boxes", "nms_coremltools_boxes", "nms_coremltools_scores", "nms_coremltools_indices",
        "nms_coremltools_count", "nms_all_boxes", "nms_all_scores", "nms_all_indices", "nms_all_count",
        "nms_per_class_boxes", "nms_per_class_scores", "nms_per_class_indices", "nms_per_class_count",
        "nms_none_above_threshold_indices", "argsort_axis1", "argsort_ascending", "topk_runtime_k"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        EXPECT(run_op(names[i]) == 0);
}

/* More MIL rows (make_mil_op_fixtures2.py make_extra): normalisations, activations, tensor builders, scatter with
 * coremltools' default mode (add) and sub, pixel_unshuffle, l2_pool and iOS18 scaled_dot_product_attention. */
TEST(mil_more_rows_match_references)
{
    static const char *names[] = {
        "l2_norm", "local_response_norm", "clamped_relu", "softplus_parametric", "threshold", "one_hot",
        "one_hot_axis0_int", "fill_runtime_shape", "non_zero", "crop", "reverse_sequence", "pixel_unshuffle",
        "scatter_default_add", "scatter_update", "scatter_along_axis_default_add", "scatter_nd_sub", "sdpa_bool_mask",
        "sdpa_float_mask", "l2_pool"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        EXPECT(run_op(names[i]) == 0);
}

/* iOS16 compressed weights (parameters as attributes, as coremltools writes them) decompress at load time: int8 and
 * uint8 affine (per-axis and scalar zero points, an fp16 scale rounding its output), fp16 cast, 2- and 6-bit
 * palettes (indices straddling bytes) and a sparse bit mask; each weight is added to x. */
TEST(mil_constexpr_weights_decompress)
{
    static const char *names[] = {"constexpr_affine_dequantize", "constexpr_affine_dequantize_fp16_axis1",
                                  "constexpr_cast", "constexpr_lut_to_dense_2bit", "constexpr_lut_to_dense_6bit",
                                  "constexpr_sparse_to_dense"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        EXPECT(run_op(names[i]) == 0);
}

/* space_to_batch / batch_to_space (TensorFlow order), sliding_windows, resample through GridSample in three
 * padding and coordinate modes, quantize -> dequantize (iOS17, per-axis int8 and per-tensor uint8), lstm in both
 * directions (a reverse one lists its sequence in processing order, as Core ML does), iOS17 resize, reshape_like
 * and affine. */
TEST(mil_space_quantization_and_lstm_programs_match_references)
{
    static const char *names[] = {"space_to_batch", "batch_to_space", "sliding_windows", "resample_border_unnormalized",
                                  "resample_constant_normalized_minus_one_to_one",
                                  "resample_reflection_normalized_zero_to_one", "quantize_dequantize_int8_axis",
                                  "quantize_dequantize_uint8", "lstm_forward_sequence", "lstm_reverse_sequence",
                                  "resize_ios17_linear_unalign", "resize_ios17_nearest_last_axis", "reshape_like",
                                  "affine"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        EXPECT(run_op(names[i]) == 0);
}

/* cond as an ONNX If: the branch taken depends on the input's sign; blocks read an outer computed value (a capture),
 * an outer const (copied in) and block-local constants. */
TEST(mil_cond_runs_the_branch_its_predicate_picks)
{
    EXPECT(run_op("cond_true_branch") == 0);
    EXPECT(run_op("cond_false_branch") == 0);
}

/* Run in fp32, the fp16-typed square no longer overflows: the precision switch really changes arithmetic. */
TEST(mil_fp16_program_in_fp32_does_not_round)
{
    cs_precision_set_default(CS_PREC_FP32);
    int bad = run_op("square_fp16");
    cs_precision_set_default(CS_PREC_MODEL);
    EXPECT(bad > 0);
}

/* docs/MIL_COVERAGE.md stays true: every operation its table lists as supported is one the reader converts, and its
 * headline count is the number of such operations. */
TEST(mil_coverage_doc_matches_converter_table)
{
    FILE *f = fopen("docs/MIL_COVERAGE.md", "r");
    EXPECT(f != NULL);
    if (!f)
        return;
    const char *const *names;
    int n_conv = mil_supported_ops(&names), listed = 0, headline = -1;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "Supported: **%d of", &headline);
        char *cols[4] = {0};
        int nc = 0;
        for (char *p = strchr(line, '|'); p && nc < 4; p = strchr(p + 1, '|'))
            cols[nc++] = p + 1;
        if (line[0] != '|' || nc < 4 || strncmp(line, "| group", 7) == 0 || strncmp(line, "|---", 4) == 0)
            continue;
        cols[2][-1] = '\0'; /* the supported column ends at the third bar */
        for (char *w = strtok(cols[1], " "); w; w = strtok(NULL, " ")) {
            if (strcmp(w, "-") == 0)
                continue;
            bool found = false;
            for (int i = 0; i < n_conv && !found; i++)
                found = strcmp(names[i], w) == 0;
            if (!found)
                fprintf(stderr, "  listed as supported but not converted: %s\n", w);
            EXPECT(found);
            listed++;
        }
    }
    fclose(f);
    EXPECT(headline == listed);
}
