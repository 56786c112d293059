/* vecmath.c — branch-free float32 exp (Cody-Waite reduction, Cephes polynomial), sigmoid, tanh and erf,
 * written so the compiler vectorises the loops; one clone per ISA, picked at load time (see vecmath.h). */
#include "vecmath.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "fastpath.h"

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

/* ---- sigmoid, SiLU and the softmax row: an AVX-512 path over one e^-x kernel ---- */

#if defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/* e^-x, 16 lanes, for x in [-104, 104] (clamped by the caller; NaN passes through): Cody-Waite reduction as in
 * exp_core (k = round(-x log2 e), then -x - k ln2 in two parts), then a degree-6 polynomial fitted for least
 * maximum relative error on [-ln2/2, ln2/2] (2.0e-9, against 2^-24 = 6.0e-8 for half an ULP), 2^k applied by
 * scalef. One FMA fewer than exp_core's Cephes polynomial: the sigmoid and SiLU passes are bound by instruction
 * throughput. */
AVX512 static inline __m512 expneg16(__m512 x)
{
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(-1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmsub_ps(k, _mm512_set1_ps(0.693359375f), x); /* -x - k ln2, in two parts */
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.3843855122e-3f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3741620183e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1667997837e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666431725e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.9999994040e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, k);
}

/* 1 / (1 + e^-x), or x / (1 + e^-x) for silu, with one correctly rounded division (measured on this machine
 * against rcp14 and a Newton step: fewer instructions, 25% faster). x is clamped to [-104, 104] for the
 * exponential only, operands ordered so a NaN x stays NaN: below -88.7 e^-x overflows to +inf and the quotient
 * is 0 (the true value is under 2e-37); above 104 e^-x is 0 and the quotient 1 (or x). */
AVX512 static inline __m512 sigmoid16(__m512 x, bool silu)
{
    __m512 xc = _mm512_min_ps(_mm512_set1_ps(104.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
    __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), expneg16(xc));
    return _mm512_div_ps(silu ? x : _mm512_set1_ps(1.0f), d);
}

AVX512 static void sigmoid_avx512(const float *x, float *y, int64_t n, bool silu)
{
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) { /* two vectors a step: their dependency chains overlap */
        __m512 a = sigmoid16(_mm512_loadu_ps(x + i), silu), b = sigmoid16(_mm512_loadu_ps(x + i + 16), silu);
        _mm512_storeu_ps(y + i, a);
        _mm512_storeu_ps(y + i + 16, b);
    }
    for (; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, sigmoid16(_mm512_maskz_loadu_ps(m, x + i), silu));
    }
}

/* One softmax row in registers: the max, then e^(x - max) stored and summed, then the scaling, 16 lanes at a time
 * (the tail under a mask); false, with nothing written, where the max is not finite (NaN, or an infinity, which
 * the portable path takes as the reference does). */
AVX512 static bool softmax_row_avx512(const float *x, float *y, int64_t n)
{
    __m512 mx = _mm512_set1_ps(-INFINITY);
    __mmask16 nan = 0;
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        nan |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
        mx = _mm512_mask_max_ps(mx, m, mx, v);
    }
    float max = _mm512_reduce_max_ps(mx);
    if (nan || !(max > -INFINITY && max < INFINITY))
        return false;
    __m512 vmax = _mm512_set1_ps(max), sum = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1);
        __m512 nd = _mm512_min_ps(_mm512_sub_ps(vmax, _mm512_maskz_loadu_ps(m, x + i)), _mm512_set1_ps(104.0f));
        __m512 e = _mm512_maskz_mov_ps(m, expneg16(nd)); /* e^(x - max) */
        sum = _mm512_add_ps(sum, e);
        _mm512_mask_storeu_ps(y + i, m, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), inv));
    }
    return true;
}

static bool have_avx512(void) { return cs_cpu_avx512(); }
#else
static bool have_avx512(void) { return false; }
static void sigmoid_avx512(const float *x, float *y, int64_t n, bool silu) { (void)x, (void)y, (void)n, (void)silu; }
static bool softmax_row_avx512(const float *x, float *y, int64_t n) { (void)x, (void)y, (void)n; return false; }
#endif

CLONES static void sigmoid_portable(const float *x, float *y, int64_t n, bool silu)
{
    for (int64_t i = 0; i < n; i++) {
        y[i] = (silu ? x[i] : 1.0f) / (1.0f + exp_core(-x[i]));
    }
}

void cs_vsigmoid(const float *x, float *y, int64_t n)
{
    if (have_avx512())
        sigmoid_avx512(x, y, n, false);
    else
        sigmoid_portable(x, y, n, false);
}

void cs_vsilu(const float *x, float *y, int64_t n)
{
    if (have_avx512())
        sigmoid_avx512(x, y, n, true);
    else
        sigmoid_portable(x, y, n, true);
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

/* erf: x P(x^2) / Q(x^2) on x clamped to [-4, 4] (erf rounds to +-1 beyond), the rational approximation of
 * Eigen's and XLA's float erf: one division, no exp. */
static inline float erf_core(float v)
{
    float x = v > 4.0f ? 4.0f : v < -4.0f ? -4.0f : v, z = x * x;
    float p = -2.72614225801306e-10f;
    p = p * z + 2.77068142495902e-08f;
    p = p * z - 2.10102402082508e-06f;
    p = p * z - 5.69250639462346e-05f;
    p = p * z - 7.34990630326855e-04f;
    p = p * z - 2.95459980854025e-03f;
    p = p * z - 1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * z - 2.13374055278905e-04f;
    q = q * z - 1.68282697438203e-03f;
    q = q * z - 7.37332916720468e-03f;
    q = q * z - 1.42647390514189e-02f;
    float r = x * p / q;
    return v == v ? r : v;
}

CLONES void cs_verf(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = erf_core(x[i]);
}

/* The graph's own operations in its order (x scaled, erf, + 1, * x, * 0.5), each rounded to float32. */
CLONES void cs_vgelu(const float *x, float *y, int64_t n, float scale, int divides)
{
    if (divides)
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] * (1.0f + erf_core(x[i] / scale)) * 0.5f;
    else
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] * (1.0f + erf_core(x[i] * scale)) * 0.5f;
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

/* The double sum of d * d (each square rounded to float32) for d = x - mean, with 8 partial accumulators. */
static inline double sum_sq_dev(const float *x, int64_t n, float mean)
{
    double acc[8] = {0}, s = 0.0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) {
            float d = x[i + k] - mean;
            acc[k] += (double)(d * d);
        }
    for (; i < n; i++) {
        float d = x[i] - mean;
        s += (double)(d * d);
    }
    for (int k = 0; k < 8; k++)
        s += acc[k];
    return s;
}

CLONES void cs_vlayernorm(const float *x, float *y, int64_t outer, int64_t inner, const float *gamma,
                          const float *beta, float eps, int divides)
{
    for (int64_t o = 0; o < outer && inner > 0; o++) {
        const float *xr = x + o * inner;
        float *yr = y + o * inner;
        float mean = (float)(cs_vsum_f64(xr, inner) / (double)inner);
        float var = (float)(sum_sq_dev(xr, inner, mean) / (double)inner);
        float sd = sqrtf(var + eps), inv = 1.0f / sd;
        if (divides)
            for (int64_t j = 0; j < inner; j++)
                yr[j] = (xr[j] - mean) / sd;
        else
            for (int64_t j = 0; j < inner; j++)
                yr[j] = (xr[j] - mean) * inv;
        if (gamma)
            for (int64_t j = 0; j < inner; j++)
                yr[j] = yr[j] * gamma[j];
        if (beta)
            for (int64_t j = 0; j < inner; j++)
                yr[j] = yr[j] + beta[j];
    }
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

/* ---- softmax ---- */

void cs_vsoftmax(const float *x, float *y, int64_t n)
{
    if (n <= 0 || (have_avx512() && softmax_row_avx512(x, y, n)))
        return;
    float max = cs_vmax(x, n);
    for (int64_t k = 0; k < n; k++)
        y[k] = x[k] - max;
    cs_vexp(y, y, n);
    float inv = 1.0f / cs_vsum(y, n);
    for (int64_t k = 0; k < n; k++)
        y[k] *= inv;
}
