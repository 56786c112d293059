/* pool_nhwc_test.c — the channels-last MaxPool kernel against a plain loop in this file: windows with pads,
 * clipped last windows (as ceil_mode makes), channel counts with and without a 64 or 16 remainder, NaN order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/fastpath.h"
#include "engine/ops/pool_nhwc.h"
#include "test.h"

static cs_window window(int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad, bool ceil_mode)
{
    cs_window win = {.n = 2};
    int64_t in[2] = {h, w};
    for (int d = 0; d < 2; d++) {
        win.in[d] = in[d], win.kernel[d] = k, win.stride[d] = stride, win.dilation[d] = 1;
        win.pad_begin[d] = win.pad_end[d] = pad;
        int64_t span = in[d] + 2 * pad - k;
        win.out[d] = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
    }
    return win;
}

/* The first strict maximum in row-major window order, as the plain kernel (ops/pool.c) takes it. */
static float max_at(const cs_window *w, int64_t C, const float *x, int64_t n, int64_t oh, int64_t ow, int64_t c)
{
    bool any = false;
    float best = 0;
    for (int64_t ky = 0; ky < w->kernel[0]; ky++)
        for (int64_t kx = 0; kx < w->kernel[1]; kx++) {
            int64_t iy = oh * w->stride[0] - w->pad_begin[0] + ky, ix = ow * w->stride[1] - w->pad_begin[1] + kx;
            if (iy < 0 || iy >= w->in[0] || ix < 0 || ix >= w->in[1])
                continue;
            float v = x[((n * w->in[0] + iy) * w->in[1] + ix) * C + c];
            if (!any || v > best)
                best = v;
            any = true;
        }
    return best;
}

static int64_t mismatches(const cs_window *w, int64_t N, int64_t C, const float *x)
{
    int64_t ny = N * w->out[0] * w->out[1] * C, bad = 0;
    float *y = malloc((size_t)(ny + 16) * sizeof *y);
    if (!y)
        return -1;
    for (int64_t i = 0; i < ny + 16; i++)
        y[i] = -12345.0f;
    cs_maxpool_nhwc(w, N, C, x, y);
    for (int64_t n = 0; n < N; n++)
        for (int64_t oh = 0; oh < w->out[0]; oh++)
            for (int64_t ow = 0; ow < w->out[1]; ow++)
                for (int64_t c = 0; c < C; c++) {
                    float got = y[((n * w->out[0] + oh) * w->out[1] + ow) * C + c];
                    float want = max_at(w, C, x, n, oh, ow, c);
                    bad += !(got == want || (isnan(got) && isnan(want)));
                }
    for (int64_t i = ny; i < ny + 16; i++) /* nothing written past the output */
        bad += y[i] != -12345.0f;
    free(y);
    return bad;
}

TEST(maxpool_nhwc_matches_plain_loop)
{
    if (!cs_cpu_avx512()) {
        fprintf(stderr, "  no AVX-512 here: the kernel is not used, nothing to compare\n");
        return;
    }
    const int64_t channels[] = {3, 16, 64, 80, 200};
    const struct { int64_t h, w, k, s, p; bool ceil; } cases[] = {
        {112, 112, 3, 2, 1, false}, {13, 13, 3, 2, 1, true}, {8, 9, 2, 2, 0, false}, {7, 7, 3, 1, 1, false},
        {10, 10, 3, 3, 0, true},    {5, 6, 5, 1, 2, false},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++)
        for (size_t chi = 0; chi < sizeof channels / sizeof *channels; chi++) {
            cs_window w = window(cases[ci].h, cases[ci].w, cases[ci].k, cases[ci].s, cases[ci].p, cases[ci].ceil);
            int64_t N = 2, C = channels[chi], nx = N * cases[ci].h * cases[ci].w * C;
            EXPECT(cs_maxpool_nhwc_fits(&w));
            float *x = malloc((size_t)nx * sizeof *x);
            if (!x)
                continue;
            for (int64_t i = 0; i < nx; i++)
                x[i] = (float)sin((double)i * 0.37) * 10.0f;
            int64_t bad = mismatches(&w, N, C, x);
            if (bad)
                fprintf(stderr, "  %lldx%lld k%lld s%lld p%lld C%lld: %lld mismatches\n", (long long)cases[ci].h,
                        (long long)cases[ci].w, (long long)cases[ci].k, (long long)cases[ci].s,
                        (long long)cases[ci].p, (long long)C, (long long)bad);
            EXPECT(bad == 0);
            free(x);
        }
}

/* A NaN in a window's first position is its result; a later NaN does not replace a number (the plain order). */
TEST(maxpool_nhwc_keeps_the_plain_kernels_nan_order)
{
    if (!cs_cpu_avx512())
        return;
    cs_window w = window(4, 4, 2, 2, 0, false);
    enum { C = 64 };
    float x[4 * 4 * C], y[2 * 2 * C];
    for (int i = 0; i < 4 * 4 * C; i++)
        x[i] = (float)(i % 7);
    x[0] = NAN;                 /* first position of window (0,0), channel 0 */
    x[(0 * 4 + 3) * C + 5] = NAN; /* second position of window (0,1), channel 5 */
    cs_maxpool_nhwc(&w, 1, C, x, y);
    EXPECT(isnan(y[0]));
    EXPECT(!isnan(y[1 * C + 5]) && y[1 * C + 5] == max_at(&w, C, x, 0, 0, 1, 5));
    EXPECT(mismatches(&w, 1, C, x) == 0);
}

/* Windows that would hold no input position (a pad as large as the kernel) are refused. */
TEST(maxpool_nhwc_refuses_windows_wholly_in_padding)
{
    cs_window w = window(4, 4, 2, 1, 2, false);
    EXPECT(!cs_maxpool_nhwc_fits(&w));
    cs_window d = window(8, 8, 3, 1, 1, false);
    d.dilation[0] = 2;
    EXPECT(!cs_maxpool_nhwc_fits(&d));
}
