/* conv_test.c — unit tests of the window rules shared by Conv and pooling (SAME_UPPER/LOWER pads,
 * VALID, explicit pads, ceil_mode, transposed output sizes) and of the im2col/GEMM convolution core. */
#include <string.h>

#include "engine/ops/conv_core.h"
#include "engine/ops/spatial.h"
#include "test.h"

/* A 1-D window of input size in, kernel k, stride s, dilation d and explicit pads pb/pe. */
static cs_window window_1d(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe)
{
    cs_window w;
    memset(&w, 0, sizeof w);
    w.n = 1;
    w.in[0] = in, w.kernel[0] = k, w.stride[0] = s, w.dilation[0] = d;
    w.pad_begin[0] = pb, w.pad_end[0] = pe;
    return w;
}

TEST(same_upper_puts_the_odd_pad_at_the_end)
{
    char why[128];
    cs_window w = window_1d(6, 3, 2, 1, 0, 0); /* out = ceil(6/2) = 3; total pad = 2*2 + 3 - 6 = 1 */
    EXPECT(cs_window_resolve(&w, CS_AUTO_PAD_SAME_UPPER, false, why, sizeof why));
    EXPECT(w.out[0] == 3);
    EXPECT(w.pad_begin[0] == 0);
    EXPECT(w.pad_end[0] == 1);
}

TEST(same_lower_puts_the_odd_pad_at_the_begin)
{
    char why[128];
    cs_window w = window_1d(6, 3, 2, 1, 0, 0);
    EXPECT(cs_window_resolve(&w, CS_AUTO_PAD_SAME_LOWER, false, why, sizeof why));
    EXPECT(w.out[0] == 3);
    EXPECT(w.pad_begin[0] == 1);
    EXPECT(w.pad_end[0] == 0);
}

TEST(same_upper_with_dilation_pads_the_dilated_extent)
{
    char why[128];
    cs_window w = window_1d(7, 3, 1, 2, 0, 0); /* extent 5: total pad = 6 + 5 - 7 = 4 */
    EXPECT(cs_window_resolve(&w, CS_AUTO_PAD_SAME_UPPER, false, why, sizeof why));
    EXPECT(w.out[0] == 7);
    EXPECT(w.pad_begin[0] == 2);
    EXPECT(w.pad_end[0] == 2);
}

TEST(same_ignores_explicit_pads)
{
    char why[128];
    cs_window w = window_1d(5, 3, 1, 1, 4, 4); /* total = 4 + 3 - 5 = 2 */
    EXPECT(cs_window_resolve(&w, CS_AUTO_PAD_SAME_UPPER, false, why, sizeof why));
    EXPECT(w.out[0] == 5);
    EXPECT(w.pad_begin[0] == 1 && w.pad_end[0] == 1);
}

TEST(valid_uses_no_padding)
{
    char why[128];
    cs_window w = window_1d(5, 3, 2, 1, 1, 1); /* (5 - 3) / 2 + 1 = 2 */
    EXPECT(cs_window_resolve(&w, CS_AUTO_PAD_VALID, false, why, sizeof why));
    EXPECT(w.out[0] == 2);
    EXPECT(w.pad_begin[0] == 0 && w.pad_end[0] == 0);
}

TEST(explicit_pads_floor_the_output)
{
    char why[128];
    cs_window w = window_1d(5, 3, 2, 1, 1, 1); /* (5 + 2 - 3) / 2 + 1 = 3 */
    EXPECT(cs_window_resolve(&w, CS_AUTO_PAD_NOTSET, false, why, sizeof why));
    EXPECT(w.out[0] == 3);
}

TEST(ceil_mode_rounds_a_partial_window_up)
{
    char why[128];
    cs_window floor_w = window_1d(4, 3, 2, 1, 0, 0), ceil_w = floor_w; /* (4 - 3) / 2 = 0.5 */
    EXPECT(cs_window_resolve(&floor_w, CS_AUTO_PAD_NOTSET, false, why, sizeof why));
    EXPECT(cs_window_resolve(&ceil_w, CS_AUTO_PAD_NOTSET, true, why, sizeof why));
    EXPECT(floor_w.out[0] == 1);
    EXPECT(ceil_w.out[0] == 2);
}

TEST(ceil_mode_drops_a_window_starting_in_the_end_padding)
{
    char why[128];
    /* span 5 + 2 - 3 = 4 gives ceil(4/3) + 1 = 3, but window 3 would start at 6 >= 5: dropped. */
    cs_window w = window_1d(5, 3, 3, 1, 0, 2);
    EXPECT(cs_window_resolve(&w, CS_AUTO_PAD_NOTSET, true, why, sizeof why));
    EXPECT(w.out[0] == 2);
}

TEST(window_larger_than_padded_input_is_rejected)
{
    char why[128] = "";
    cs_window w = window_1d(2, 5, 1, 1, 1, 1);
    EXPECT(!cs_window_resolve(&w, CS_AUTO_PAD_NOTSET, false, why, sizeof why));
    EXPECT(strstr(why, "larger than the padded input") != NULL);
}

TEST(negative_pads_are_rejected)
{
    char why[128] = "";
    cs_window w = window_1d(5, 3, 1, 1, -1, 0);
    EXPECT(!cs_window_resolve(&w, CS_AUTO_PAD_NOTSET, false, why, sizeof why));
    EXPECT(strstr(why, "begin pad") != NULL);
}

TEST(transpose_same_upper_output_is_input_times_stride)
{
    char why[128];
    cs_window w = window_1d(3, 3, 2, 1, 0, 0); /* full 2*2 + 3 = 7; target 6: total pad 1 at the end */
    EXPECT(cs_window_resolve_transpose(&w, CS_AUTO_PAD_SAME_UPPER, NULL, NULL, why, sizeof why));
    EXPECT(w.out[0] == 6);
    EXPECT(w.pad_begin[0] == 0 && w.pad_end[0] == 1);
}

TEST(transpose_output_shape_larger_than_full_adds_no_pads)
{
    char why[128];
    int64_t shape[1] = {10}; /* full 3*2 + 3 = 9 < 10 */
    cs_window w = window_1d(3, 3, 3, 1, 0, 0);
    EXPECT(cs_window_resolve_transpose(&w, CS_AUTO_PAD_NOTSET, NULL, shape, why, sizeof why));
    EXPECT(w.out[0] == 10);
    EXPECT(w.pad_begin[0] == 0 && w.pad_end[0] == 0);
}

TEST(transpose_output_padding_extends_the_end)
{
    char why[128];
    int64_t output_padding[1] = {1};
    cs_window w = window_1d(3, 3, 2, 1, 1, 1); /* 2*2 + 1 + 3 - 2 = 6 */
    EXPECT(cs_window_resolve_transpose(&w, CS_AUTO_PAD_NOTSET, output_padding, NULL, why, sizeof why));
    EXPECT(w.out[0] == 6);
}

static cs_conv_shape shape_2d(int64_t in, int64_t k, int64_t out)
{
    cs_conv_shape s;
    memset(&s, 0, sizeof s);
    s.win.n = 2;
    for (int d = 0; d < 2; d++) {
        s.win.in[d] = in, s.win.kernel[d] = k, s.win.out[d] = out;
        s.win.stride[d] = s.win.dilation[d] = 1;
    }
    s.batch = s.in_channels = s.out_channels = s.group = 1;
    return s;
}

TEST(conv_of_a_3x3_ramp_with_a_2x2_box_sums_each_window)
{
    cs_error err;
    cs_conv_shape s = shape_2d(3, 2, 2);
    const float x[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8}, w[4] = {1, 1, 1, 1}, bias[1] = {0.5f};
    float y[4];
    EXPECT(cs_conv_forward_f32(&s, x, w, bias, y, &err) == CS_OK);
    EXPECT_NEAR(y[0], 8.5, 1e-6);  /* 0+1+3+4 */
    EXPECT_NEAR(y[1], 12.5, 1e-6); /* 1+2+4+5 */
    EXPECT_NEAR(y[2], 20.5, 1e-6); /* 3+4+6+7 */
    EXPECT_NEAR(y[3], 24.5, 1e-6); /* 4+5+7+8 */
}

TEST(conv_transpose_of_a_2x2_with_a_2x2_box_spreads_each_input)
{
    cs_error err;
    cs_conv_shape s = shape_2d(3, 2, 2); /* forward 3x3 -> 2x2; its transpose maps 2x2 -> 3x3 */
    const float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1};
    float y[9];
    EXPECT(cs_conv_backward_f32(&s, x, w, NULL, y, &err) == CS_OK);
    const float expected[9] = {1, 3, 2, 4, 10, 6, 3, 7, 4};
    for (int i = 0; i < 9; i++)
        EXPECT_NEAR(y[i], expected[i], 1e-6);
}

/* A convolution whose column matrix exceeds the budget runs in bands of output rows (the high-resolution
 * path): strided, padded, dilated and grouped windows give the same result as the one-GEMM path. */
TEST(conv_in_bands_of_rows_matches_the_single_gemm)
{
    cs_error err;
    cs_conv_shape s;
    memset(&s, 0, sizeof s);
    s.win.n = 2;
    const int64_t in[2] = {11, 9}, k[2] = {3, 2}, st[2] = {2, 1}, dil[2] = {1, 2}, pb[2] = {1, 0}, pe[2] = {1, 1};
    for (int d = 0; d < 2; d++) {
        s.win.in[d] = in[d], s.win.kernel[d] = k[d], s.win.stride[d] = st[d], s.win.dilation[d] = dil[d];
        s.win.pad_begin[d] = pb[d], s.win.pad_end[d] = pe[d];
        s.win.out[d] = (in[d] + pb[d] + pe[d] - ((k[d] - 1) * dil[d] + 1)) / st[d] + 1;
    }
    s.batch = 2, s.in_channels = 4, s.out_channels = 6, s.group = 2;
    enum { NX = 2 * 4 * 11 * 9, NW = 6 * 2 * 3 * 2 };
    float x[NX], w[NW], bias[6] = {0.5f, -1, 2, 0, 0.25f, 3}, y1[2 * 6 * 6 * 8], y2[2 * 6 * 6 * 8];
    for (int i = 0; i < NX; i++)
        x[i] = (float)((i * 37) % 23) / 7.0f - 1.5f;
    for (int i = 0; i < NW; i++)
        w[i] = (float)((i * 11) % 13) / 5.0f - 1.0f;
    int64_t n_out = 2 * 6 * s.win.out[0] * s.win.out[1];
    EXPECT(n_out == 2 * 6 * 6 * 8);
    if (n_out != 2 * 6 * 6 * 8)
        return;
    EXPECT(cs_conv_forward_f32(&s, x, w, bias, y1, &err) == CS_OK);
    cs_conv_set_tile_budget(20); /* one output row per band */
    EXPECT(cs_conv_forward_f32(&s, x, w, bias, y2, &err) == CS_OK);
    cs_conv_set_tile_budget(0);
    for (int64_t i = 0; i < n_out; i++)
        EXPECT_NEAR(y1[i], y2[i], 1e-5); /* same products, summed in a possibly different order by the GEMM */
}
