/* fma_peak.c — the single-core float32 FMA peak of this processor, for `make bench`: independent chains of
 * 512-bit (AVX-512) or 256-bit (AVX2) fused multiply-adds, the best of several timed rounds, in GFLOP/s. */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define CHAINS 12
#define ITERS 20000000L
/* twelve accumulators kept in registers: FMA latency (4 cycles) x 2 ports needs at least 8 in flight */
#define STEP(F)                                                                                         \
    a0 = F(a0, m, k), a1 = F(a1, m, k), a2 = F(a2, m, k), a3 = F(a3, m, k), a4 = F(a4, m, k), a5 = F(a5, m, k), \
    a6 = F(a6, m, k), a7 = F(a7, m, k), a8 = F(a8, m, k), a9 = F(a9, m, k), a10 = F(a10, m, k), a11 = F(a11, m, k)

/* Chain i starts at its own value: chains that all start equal compute equal values, and the compiler folds
 * them into one (one dependent chain measured, twelve counted). */
#define A0(i) (0.5f + 0.01f * (i))

/* Defines NAME(): the FMA rate of CHAINS independent chains of VEC (LANES floats) using the ISA's set1, fmadd,
 * add and storeu; the sum of the chains is kept live so the compiler cannot drop the loop. */
#define DEFINE_PEAK(NAME, TARGET, VEC, LANES, SET1, FMADD, ADD, STOREU)                                  \
    __attribute__((target(TARGET))) static double NAME(void)                                             \
    {                                                                                                    \
        VEC m = SET1(0.999999f), k = SET1(1e-7f);                                                        \
        VEC a0 = SET1(A0(0)), a1 = SET1(A0(1)), a2 = SET1(A0(2)), a3 = SET1(A0(3)), a4 = SET1(A0(4));       \
        VEC a5 = SET1(A0(5)), a6 = SET1(A0(6)), a7 = SET1(A0(7)), a8 = SET1(A0(8)), a9 = SET1(A0(9));       \
        VEC a10 = SET1(A0(10)), a11 = SET1(A0(11));                                                      \
        double t0 = now_s();                                                                             \
        for (long i = 0; i < ITERS; i++)                                                                 \
            STEP(FMADD);                                                                                 \
        double dt = now_s() - t0;                                                                        \
        VEC t = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                       \
        t = ADD(t, ADD(ADD(a8, a9), ADD(a10, a11)));                                                     \
        float s[LANES], sink = 0;                                                                        \
        STOREU(s, t);                                                                                    \
        for (int c = 0; c < LANES; c++)                                                                  \
            sink += s[c];                                                                                \
        if (sink == 12345.0f)                                                                            \
            puts("");                                                                                    \
        return 2.0 * LANES * CHAINS * ITERS / dt / 1e9;                                                  \
    }

DEFINE_PEAK(peak512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps)
DEFINE_PEAK(peak256, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps)

int main(void)
{
    __builtin_cpu_init();
    int wide = __builtin_cpu_supports("avx512f");
    if (!wide && !__builtin_cpu_supports("fma"))
        return puts("0 none"), 0;
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double g = wide ? peak512() : peak256();
        best = g > best ? g : best;
    }
    printf("%.1f %s\n", best, wide ? "avx512" : "avx2");
    return 0;
}
