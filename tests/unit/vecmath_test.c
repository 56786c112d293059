/* vecmath_test.c — the vectorised exp, sigmoid, tanh and erf against double precision over a dense sweep:
 * the ULP bounds stated in vecmath.h (SiLU under the sigmoid's), NaN propagation, and the under/overflow ends. */
#include <math.h>
#include <stdlib.h>

#include "engine/ops/vecmath.h"
#include "test.h"

/* Distance in float ULPs between got and the exactly rounded want; results below 1e-30 count as exact when
 * within 1e-37 (the bounds are relative). */
static double ulps(float got, double want)
{
    float w = (float)want;
    if (isinf(w) || isinf(got))
        return w == got ? 0 : INFINITY;
    if (fabs(want) < 1e-30)
        return fabs(got - want) < 1e-37 ? 0 : INFINITY;
    double ulp = nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - want) / ulp;
}

static double sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }
static double silu_d(double x) { return x / (1.0 + exp(-x)); }

static double worst(void (*f)(const float *, float *, int64_t), double (*ref)(double), float lo,
                    float hi)
{
    enum { N = 200001 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    double w = INFINITY;
    if (x && y) {
        for (int i = 0; i < N; i++)
            x[i] = lo + (hi - lo) * (float)i / (N - 1);
        f(x, y, N);
        w = 0;
        for (int i = 0; i < N; i++)
            w = fmax(w, ulps(y[i], ref(x[i])));
    }
    free(x), free(y);
    return w;
}

TEST(vecmath_within_stated_ulp_bounds)
{
    double e = worst(cs_vexp, exp, -103.0f, 88.7f), s = worst(cs_vsigmoid, sigmoid_d, -80.0f, 80.0f);
    double t = worst(cs_vtanh, tanh, -12.0f, 12.0f), r = worst(cs_verf, erf, -6.0f, 6.0f);
    double u = worst(cs_vsilu, silu_d, -80.0f, 80.0f);
    fprintf(stderr, "  worst ULP: exp %.2f sigmoid %.2f silu %.2f tanh %.2f erf %.2f\n", e, s, u, t, r);
    EXPECT(e <= 2);
    EXPECT(s <= 3);
    EXPECT(u <= 3);
    EXPECT(t <= 3);
    EXPECT(r <= 8); /* the rational erf (one division, no exp) measures 7.0 */
}

TEST(vecmath_nan_and_limits)
{
    float x[6] = {NAN, 100.0f, -200.0f, 0.0f, -0.0f, INFINITY}, y[6];
    cs_vexp(x, y, 6);
    EXPECT(isnan(y[0]));
    EXPECT(isinf(y[1]) && y[1] > 0);
    EXPECT(y[2] == 0.0f);
    EXPECT(y[3] == 1.0f);
    EXPECT(isinf(y[5]));
    cs_vsigmoid(x, y, 6);
    EXPECT(isnan(y[0]));
    EXPECT(y[1] == 1.0f && y[2] == 0.0f && y[3] == 0.5f);
    cs_vsilu(x, y, 6);
    EXPECT(isnan(y[0]));
    EXPECT(y[1] == 100.0f && y[2] == 0.0f && y[3] == 0.0f && isinf(y[5]));
    cs_vtanh(x, y, 6);
    EXPECT(isnan(y[0]));
    EXPECT(y[1] == 1.0f && y[2] == -1.0f && y[3] == 0.0f && y[5] == 1.0f);
    cs_verf(x, y, 6);
    EXPECT(isnan(y[0]));
    EXPECT(y[1] == 1.0f && y[2] == -1.0f && y[3] == 0.0f && y[5] == 1.0f);
}

/* Softmax rows of every tail length and up to 4096 long, spread over +-30 so the exps span 26 orders of magnitude,
 * against double precision: within 1e-6 relative to the row's largest output (exp's 2 ULP, the float sum of up to
 * 4096 terms in 16 partial sums, and the scaling; measured 1.2e-7). Rows with a NaN or an infinity give NaN
 * where the reference sequence does. */
TEST(vecmath_softmax_rows_match_double_precision)
{
    const int64_t lengths[] = {1, 7, 16, 17, 128, 129, 1000, 4096};
    float *x = malloc(4096 * sizeof *x), *y = malloc(4096 * sizeof *y);
    double worst_rel = 0;
    for (size_t l = 0; x && y && l < sizeof lengths / sizeof *lengths; l++) {
        int64_t n = lengths[l];
        uint32_t seed = (uint32_t)n * 2654435761u;
        for (int64_t i = 0; i < n; i++) {
            seed = seed * 1664525u + 1013904223u;
            x[i] = (float)(60.0 * ((seed >> 8) / 16777216.0 - 0.5));
        }
        cs_vsoftmax(x, y, n);
        double max = -INFINITY, sum = 0;
        for (int64_t i = 0; i < n; i++)
            max = fmax(max, x[i]);
        for (int64_t i = 0; i < n; i++)
            sum += exp((double)x[i] - max);
        for (int64_t i = 0; i < n; i++)
            worst_rel = fmax(worst_rel, fabs(y[i] - exp((double)x[i] - max) / sum) / (1.0 / sum));
    }
    fprintf(stderr, "  softmax worst relative error %.3g\n", worst_rel);
    EXPECT(worst_rel <= 1e-6);
    float nan_row[20] = {0}, inf_row[20] = {0};
    nan_row[18] = NAN;
    inf_row[3] = INFINITY;
    cs_vsoftmax(nan_row, y, 20);
    EXPECT(isnan(y[0]) && isnan(y[18]));
    cs_vsoftmax(inf_row, y, 20);
    EXPECT(isnan(y[3]));
    float one = 5.0f;
    cs_vsoftmax(&one, y, 1);
    EXPECT(y[0] == 1.0f);
    free(x), free(y);
}
