/* vecmath.c — branch-free float32 exp (Cody-Waite reduction, Cephes polynomial), sigmoid, tanh and erf,
 * written so the compiler vectorises the loops; one clone per ISA, picked at load time (see vecmath.h). */
#include "vecmath.h"

#include <string.h>

#if defined(__clang__) /* clang 14 leaves these clones unresolved at link time (make fuzz): one generic build */
#define CLONES
#else
#define CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#endif

static inline float bits_float(int32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* e^x for x in any range: n = round(x / ln 2), r = x - n ln 2 (two-part ln 2), e^r by Cephes' degree-6
 * polynomial, scaled by 2^n as two normal factors so results near the under/overflow limits stay right. */
static inline float exp_core(float x)
{
    float xc = x == x ? x : 0.0f;
    xc = xc > 88.8f ? 88.8f : xc < -104.0f ? -104.0f : xc;
    float k = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = xc - k * 0.693359375f;
    r = r - k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t n = (int32_t)k, n1 = n >> 1, n2 = n - n1;
    float y = p * bits_float((n1 + 127) << 23) * bits_float((n2 + 127) << 23);
    return x == x ? y : x;
}

CLONES void cs_vexp(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = exp_core(x[i]);
}

CLONES void cs_vsigmoid(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + exp_core(-x[i]));
}

/* tanh: an odd polynomial below |x| = 0.625 (Cephes), else 1 - 2 / (e^2|x| + 1) with the sign of x. */
CLONES void cs_vtanh(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i], a = v < 0 ? -v : v, z = v * v;
        float p = -5.70498872745e-3f;
        p = p * z + 2.06390887954e-2f;
        p = p * z - 5.37397155531e-2f;
        p = p * z + 1.33314422036e-1f;
        p = p * z - 3.33332819422e-1f;
        float small = p * z * v + v;
        float big = 1.0f - 2.0f / (exp_core(2.0f * a) + 1.0f);
        big = v < 0 ? -big : big;
        y[i] = a < 0.625f ? small : big;
    }
}

/* erf: Taylor series below |x| = 0.5; above, 1 - erfc with Numerical Recipes' Chebyshev erfc
 * (fractional error < 1.2e-7). */
CLONES void cs_verf(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i], a = v < 0 ? -v : v, z = v * v;
        float s = -1.0f / 1320.0f;
        s = s * z + 1.0f / 216.0f;
        s = s * z - 1.0f / 42.0f;
        s = s * z + 1.0f / 10.0f;
        s = s * z - 1.0f / 3.0f;
        float small = (s * z * v + v) * 1.12837916709551257f;
        float t = 1.0f / (1.0f + 0.5f * a);
        float q = 0.17087277f;
        q = q * t - 0.82215223f;
        q = q * t + 1.48851587f;
        q = q * t - 1.13520398f;
        q = q * t + 0.27886807f;
        q = q * t - 0.18628806f;
        q = q * t + 0.09678418f;
        q = q * t + 0.37409196f;
        q = q * t + 1.00002368f;
        q = q * t - 1.26551223f;
        float big = 1.0f - t * exp_core(q - z);
        big = v < 0 ? -big : big;
        y[i] = a < 0.5f ? small : a > 10.0f ? (v < 0 ? -1.0f : 1.0f) : big;
    }
}

/* ---- reductions: 16 independent lanes the compiler keeps in one vector register ---- */

#define LANES 16

CLONES float cs_vsum(const float *x, int64_t n)
{
    float acc[LANES] = {0};
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++)
            acc[k] += x[i + k];
    float s = 0.0f;
    for (; i < n; i++)
        s += x[i];
    for (int k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

CLONES double cs_vsum_f64(const float *x, int64_t n)
{
    double acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += (double)x[i + k];
    double s = 0.0;
    for (; i < n; i++)
        s += (double)x[i];
    for (int k = 0; k < 8; k++)
        s += acc[k];
    return s;
}

static inline float max_nan(float m, float v)
{
    return v > m || v != v ? v : m;
}

static inline float min_nan(float m, float v)
{
    return v < m || v != v ? v : m;
}

CLONES float cs_vmax(const float *x, int64_t n)
{
    float acc[LANES];
    for (int k = 0; k < LANES; k++)
        acc[k] = -__builtin_inff();
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++)
            acc[k] = max_nan(acc[k], x[i + k]);
    float m = -__builtin_inff();
    for (; i < n; i++)
        m = max_nan(m, x[i]);
    for (int k = 0; k < LANES; k++)
        m = max_nan(m, acc[k]);
    return m;
}

CLONES float cs_vmin(const float *x, int64_t n)
{
    float acc[LANES];
    for (int k = 0; k < LANES; k++)
        acc[k] = __builtin_inff();
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++)
            acc[k] = min_nan(acc[k], x[i + k]);
    float m = __builtin_inff();
    for (; i < n; i++)
        m = min_nan(m, x[i]);
    for (int k = 0; k < LANES; k++)
        m = min_nan(m, acc[k]);
    return m;
}
