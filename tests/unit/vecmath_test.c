/* vecmath_test.c — the vectorised exp, sigmoid, tanh and erf against double precision over a dense sweep:
 * the ULP bounds stated in vecmath.h, NaN propagation, and the under/overflow ends. */
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
    fprintf(stderr, "  worst ULP: exp %.2f sigmoid %.2f tanh %.2f erf %.2f\n", e, s, t, r);
    EXPECT(e <= 2);
    EXPECT(s <= 3);
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
    cs_vtanh(x, y, 6);
    EXPECT(isnan(y[0]));
    EXPECT(y[1] == 1.0f && y[2] == -1.0f && y[3] == 0.0f && y[5] == 1.0f);
    cs_verf(x, y, 6);
    EXPECT(isnan(y[0]));
    EXPECT(y[1] == 1.0f && y[2] == -1.0f && y[3] == 0.0f && y[5] == 1.0f);
}
