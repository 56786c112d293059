/* vecmath.h — vectorised float32 exp, sigmoid, tanh and erf for the fast path (AVX-512 / AVX2 clones
 * chosen at run time). Bounds, measured against double precision over a dense sweep (tests/unit/vecmath_test.c):
 * exp <= 2 ULP, sigmoid and SiLU <= 3 ULP, tanh <= 3 ULP, erf <= 8 ULP (measured worst 0.95, 2.2, 2.3, 1.3, 7.0;
 * relative error; results below 1e-30 are compared in absolute terms). The conformance tolerance (rtol 1e-3) is
 * about 8000 ULP. NaN propagates; overflow gives +inf, underflow 0. */
#ifndef CS_VECMATH_H
#define CS_VECMATH_H

#include <stdint.h>

/* y may be x (in place). */
void cs_vexp(const float *x, float *y, int64_t n);
void cs_vsigmoid(const float *x, float *y, int64_t n);
/* SiLU, x * sigmoid(x), computed as x / (1 + e^-x): within the sigmoid's bound, and one rounding fewer than
 * Sigmoid -> Mul. */
void cs_vsilu(const float *x, float *y, int64_t n);
void cs_vtanh(const float *x, float *y, int64_t n);
void cs_verf(const float *x, float *y, int64_t n);
/* GELU as exporters write it, x * (1 + erf(x / scale)) * 0.5 (x * scale when !divides), each step rounded
 * to float32 as the unfused graph rounds it: erf's bound plus the three roundings of the graph's own ops. */
void cs_vgelu(const float *x, float *y, int64_t n, float scale, int divides);

/* Reductions of x[0..n-1] in float32 with 16 partial accumulators (a reassociated order, fast path only):
 * the sum, and the largest / smallest element (NaN when any element is NaN; -inf / +inf when n == 0). */
float cs_vsum(const float *x, int64_t n);
/* The sum in double precision with 8 partial accumulators: within a few 1e-16 relative of the sequential
 * double sum, so a mean rounded to float32 almost always equals the reference kernel's bit for bit. */
double cs_vsum_f64(const float *x, int64_t n);
float cs_vmax(const float *x, int64_t n);
/* Layer normalisation of `outer` rows of `inner` floats, each step rounded to float32 as the exporters'
 * decomposed graph (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul, Add) rounds it, the means
 * summed in double (cs_vsum_f64): y = d / sqrt(mean(d * d) + eps) * gamma + beta with d = x - mean(x); with
 * !divides, d * (1 / sqrt(...)) as LayerNormalization defines it. gamma, beta: inner floats, or NULL. */
void cs_vlayernorm(const float *x, float *y, int64_t outer, int64_t inner, const float *gamma, const float *beta,
                   float eps, int divides);
float cs_vmin(const float *x, int64_t n);
/* Softmax of one row of n floats: e^(x - max) / sum, exp as cs_vexp bounds it (on AVX-512 the whole row in
 * registers, one pass each for the max, the exps and their sum, and the scaling), the sum in 16 partial
 * accumulators; within 1e-6 relative of double precision for rows of up to 4096 (vecmath_test). A row whose max
 * is NaN or infinite gives what the sequence max, subtract, exp, sum, scale gives (NaNs). y may be x. */
void cs_vsoftmax(const float *x, float *y, int64_t n);

#endif
