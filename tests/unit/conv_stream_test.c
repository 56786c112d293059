/* conv_stream_test.c — the streamed-weights convolution kernel (ops/conv_stream.c) against the reference
 * convolution: windows, layouts of input, output and residual, epilogues, in-place sums and thread counts. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/conv_core.h"
#include "engine/ops/conv_stream.h"
#include "test.h"

static float *filled(int64_t n, uint32_t seed, double scale)
{
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; p && i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)(scale * ((seed >> 8) / 16777216.0 - 0.5));
    }
    return p;
}

static cs_conv_shape shape(int64_t n, int64_t c, int64_t m, int64_t hw, int64_t k, int64_t stride, int64_t pad,
                           int64_t dil)
{
    cs_conv_shape s = {.batch = n, .in_channels = c, .out_channels = m, .group = 1};
    s.win.n = 2;
    for (int d = 0; d < 2; d++) {
        s.win.in[d] = hw;
        s.win.kernel[d] = k;
        s.win.stride[d] = stride;
        s.win.dilation[d] = dil;
        s.win.pad_begin[d] = s.win.pad_end[d] = pad;
        s.win.out[d] = (hw + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    }
    return s;
}

/* [N,C,H,W] data stored channels-last (to_nhwc) or back. */
static void relayout(const float *src, float *dst, int64_t n, int64_t c, int64_t hw, bool to_nhwc)
{
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t i = 0; i < hw; i++) {
                size_t nchw = (size_t)((b * c + ch) * hw + i), nhwc = (size_t)((b * hw + i) * c + ch);
                if (to_nhwc)
                    dst[nhwc] = src[nchw];
                else
                    dst[nchw] = src[nhwc];
            }
}

static float act_ref(float v, const cs_stream_epilogue *ep)
{
    if (ep->act == CS_ACT_RELU)
        return v > 0 ? v : ep->alpha * v;
    if (ep->act == CS_ACT_CLIP)
        return v < ep->alpha ? ep->alpha : v > ep->beta ? ep->beta : v;
    return v;
}

typedef struct stream_case {
    int64_t n, c, m, hw, k, stride, pad, dil;
    bool x_nhwc, y_nhwc, res_nhwc, residual, in_place;
    cs_act_kind act;
    float alpha, beta;
    int threads;
} stream_case;

/* Largest |stream - reference| over the largest |reference| for one case. */
static double run_case(const stream_case *sc, int *cs_failures_)
{
    cs_conv_shape s = shape(sc->n, sc->c, sc->m, sc->hw, sc->k, sc->stride, sc->pad, sc->dil);
    int64_t xn = sc->n * sc->c * sc->hw * sc->hw, wn = sc->m * sc->c * sc->k * sc->k;
    int64_t ohw = s.win.out[0] * s.win.out[1], yn = sc->n * sc->m * ohw;
    float *x = filled(xn, 1, 2.0), *w = filled(wn, 2, 0.1), *b = filled(sc->m, 3, 1.0), *r = filled(yn, 4, 1.0);
    float *ref = malloc((size_t)yn * sizeof *ref), *xs = malloc((size_t)xn * sizeof *xs);
    float *rs = malloc((size_t)yn * sizeof *rs), *y = malloc((size_t)yn * sizeof *y), *yc = malloc((size_t)yn * sizeof *yc);
    cs_error err = {0};
    EXPECT(cs_conv_forward_f32(&s, x, w, b, ref, &err) == CS_OK);
    cs_stream_epilogue ep = {.residual = sc->residual ? r : NULL, .residual_nhwc = sc->res_nhwc, .act = sc->act,
                             .alpha = sc->alpha, .beta = sc->beta};
    for (int64_t i = 0; i < yn; i++)
        ref[i] = act_ref(ref[i] + (sc->residual ? r[i] : 0.0f), &ep);
    if (sc->x_nhwc)
        relayout(x, xs, sc->n, sc->c, sc->hw * sc->hw, true);
    else
        memcpy(xs, x, (size_t)xn * sizeof *xs);
    if (sc->residual && sc->res_nhwc)
        relayout(r, rs, sc->n, sc->m, ohw, true);
    else
        memcpy(rs, r, (size_t)yn * sizeof *rs);
    ep.residual = sc->residual ? rs : NULL;
    float *out = sc->in_place ? rs : y;
    /* packed for one sample of another size, as a plan's entries share packed weights across batch sizes */
    cs_conv_shape packed_for = shape(1, sc->c, sc->m, sc->hw + 3, sc->k, 1, sc->k / 2, 1);
    cs_stream_conv *packed = cs_stream_conv_pack(&packed_for, w, b);
    EXPECT(packed != NULL);
    EXPECT(packed && cs_stream_conv_run(packed, &s, xs, sc->x_nhwc, &ep, out, sc->y_nhwc, sc->threads));
    if (sc->y_nhwc)
        relayout(out, yc, sc->n, sc->m, ohw, false);
    else
        memcpy(yc, out, (size_t)yn * sizeof *yc);
    double worst = 0, scale = 1e-30;
    for (int64_t i = 0; i < yn; i++) {
        worst = fmax(worst, fabs((double)yc[i] - ref[i]));
        scale = fmax(scale, fabs((double)ref[i]));
    }
    cs_stream_conv_free(packed);
    free(x), free(w), free(b), free(r), free(ref), free(xs), free(rs), free(y), free(yc);
    return worst / scale;
}

/* Which shapes it takes: few output pixels, large weights, one group, 64-channel panels, plain activations. */
TEST(stream_conv_takes_small_outputs_with_large_weights)
{
    cs_conv_shape late = shape(1, 512, 512, 7, 3, 1, 1, 1); /* ResNet-50 layer4: 49 pixels, 9.4 MB */
    if (!cs_stream_conv_fits(&late, CS_ACT_NONE)) {
        /* no AVX-512 (or not GCC on x86-64): the kernel exists nowhere, oneDNN takes every convolution */
        cs_conv_shape tiny = shape(1, 1024, 1024, 1, 1, 1, 0, 1);
        EXPECT(!cs_stream_conv_fits(&tiny, CS_ACT_NONE));
        return;
    }
    EXPECT(cs_stream_conv_fits(&late, CS_ACT_RELU));
    EXPECT(cs_stream_conv_fits(&late, CS_ACT_SILU));
    EXPECT(!cs_stream_conv_fits(&late, CS_ACT_GELU));
    cs_conv_shape big = shape(1, 256, 256, 14, 3, 1, 1, 1); /* 196 pixels: oneDNN's */
    EXPECT(!cs_stream_conv_fits(&big, CS_ACT_NONE));
    cs_conv_shape small_w = shape(1, 256, 512, 7, 1, 1, 0, 1); /* 512 KB of weights */
    EXPECT(!cs_stream_conv_fits(&small_w, CS_ACT_NONE));
    cs_conv_shape odd_m = shape(1, 1024, 1000, 7, 1, 1, 0, 1);
    EXPECT(!cs_stream_conv_fits(&odd_m, CS_ACT_NONE));
    cs_conv_shape grouped = late;
    grouped.group = 2;
    EXPECT(!cs_stream_conv_fits(&grouped, CS_ACT_NONE));
}

/* Within 1e-5 of the largest |reference|: float32 sums of up to 4608 products in another order (the reference
 * accumulates im2col GEMMs through OpenBLAS); measured up to about 1e-6. */
TEST(stream_conv_matches_reference_in_every_layout_and_epilogue)
{
    cs_conv_shape probe = shape(1, 512, 512, 7, 3, 1, 1, 1);
    if (!cs_stream_conv_fits(&probe, CS_ACT_NONE))
        return; /* checked by the test above: the kernel is not built here */
    const stream_case cases[] = {
        /* n  c    m    hw k s p d  x_nhwc y_nhwc res_nhwc residual in_place act alpha beta threads */
        {1, 1024, 256, 7, 1, 1, 0, 1, true, true, true, true, false, CS_ACT_RELU, 0, 0, 1},   /* A read in place */
        {1, 512, 512, 7, 3, 1, 1, 1, true, true, true, true, true, CS_ACT_RELU, 0, 0, 2},     /* sum in place */
        {1, 512, 128, 14, 3, 2, 1, 1, true, true, false, false, false, CS_ACT_NONE, 0, 0, 1},  /* stride 2 */
        {2, 600, 128, 5, 3, 1, 2, 2, false, false, false, true, false, CS_ACT_CLIP, -0.5f, 0.7f, 2}, /* dilated */
        {1, 1024, 320, 6, 1, 2, 0, 1, true, false, true, true, false, CS_ACT_RELU, 0.1f, 0, 1}, /* leaky, NCHW y */
        {1, 2048, 64, 3, 1, 1, 0, 1, false, false, false, true, true, CS_ACT_NONE, 0, 0, 2},  /* NCHW, in place */
        {1, 300, 1024, 1, 1, 1, 0, 1, true, true, true, false, false, CS_ACT_RELU, 0, 0, 2},   /* one pixel */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double d = run_case(&cases[i], cs_failures_);
        if (!(d < 1e-5))
            fprintf(stderr, "  case %zu: relative difference %g\n", i, d);
        EXPECT(d < 1e-5);
    }
}
