/* pool_nhwc.c — MaxPool over channels-last float32 storage with AVX-512: for each output position, the
 * channels in 16-lane vectors, maxima over the window's valid input positions; output rows shared over threads. */
#include "pool_nhwc.h"

#include "fastpath.h"
#include "parallel.h"

/* Valid input range [lo, hi) of output position o along axis d of w (padding contributes nothing). */
static void window_span(const cs_window *w, int d, int64_t o, int64_t *lo, int64_t *hi)
{
    int64_t base = o * w->stride[d] - w->pad_begin[d], end = base + w->kernel[d];
    *lo = base > 0 ? base : 0;
    *hi = end < w->in[d] ? end : w->in[d];
}

bool cs_maxpool_nhwc_fits(const cs_window *w)
{
    if (!cs_cpu_avx512() || w->n != 2)
        return false;
    for (int d = 0; d < 2; d++) {
        if (w->dilation[d] != 1 || w->kernel[d] < 1 || w->stride[d] < 1 || w->out[d] < 1 || w->in[d] < 1)
            return false;
        int64_t lo, hi; /* the first and last windows hold the fewest input positions */
        window_span(w, d, 0, &lo, &hi);
        if (hi <= lo)
            return false;
        window_span(w, d, w->out[d] - 1, &lo, &hi);
        if (hi <= lo)
            return false;
    }
    return true;
}

typedef struct pool_job {
    const cs_window *w;
    int64_t channels;
    const float *x;
    float *y;
} pool_job;

#if defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/* One output position: 16 channels at a time (the last under a mask), the window's rows and columns in order. */
AVX512 static void pool_position(const float *x, int64_t W, int64_t C, int64_t ylo, int64_t yhi, int64_t xlo,
                                 int64_t xhi, float *y)
{
    int64_t c = 0;
    for (; c + 64 <= C; c += 64) { /* four independent chains a step */
        const float *p = x + (ylo * W + xlo) * C + c;
        __m512 b0 = _mm512_loadu_ps(p), b1 = _mm512_loadu_ps(p + 16), b2 = _mm512_loadu_ps(p + 32),
               b3 = _mm512_loadu_ps(p + 48);
        for (int64_t iy = ylo; iy < yhi; iy++)
            for (int64_t ix = iy == ylo ? xlo + 1 : xlo; ix < xhi; ix++) {
                const float *q = x + (iy * W + ix) * C + c;
                b0 = _mm512_max_ps(_mm512_loadu_ps(q), b0);
                b1 = _mm512_max_ps(_mm512_loadu_ps(q + 16), b1);
                b2 = _mm512_max_ps(_mm512_loadu_ps(q + 32), b2);
                b3 = _mm512_max_ps(_mm512_loadu_ps(q + 48), b3);
            }
        _mm512_storeu_ps(y + c, b0);
        _mm512_storeu_ps(y + c + 16, b1);
        _mm512_storeu_ps(y + c + 32, b2);
        _mm512_storeu_ps(y + c + 48, b3);
    }
    for (; c < C; c += 16) {
        __mmask16 m = (__mmask16)(C - c >= 16 ? 0xFFFFu : (1u << (C - c)) - 1);
        const float *p = x + (ylo * W + xlo) * C + c;
        __m512 best = _mm512_maskz_loadu_ps(m, p);
        for (int64_t iy = ylo; iy < yhi; iy++)
            for (int64_t ix = iy == ylo ? xlo + 1 : xlo; ix < xhi; ix++) /* max(v, best): best unless v > best */
                best = _mm512_max_ps(_mm512_maskz_loadu_ps(m, x + (iy * W + ix) * C + c), best);
        _mm512_mask_storeu_ps(y + c, m, best);
    }
}

/* Output rows [begin, end) of all images (row r is image r / OH, output row r % OH). */
AVX512 static void pool_rows(void *user, int64_t begin, int64_t end)
{
    const pool_job *j = user;
    const cs_window *w = j->w;
    const int64_t H = w->in[0], W = w->in[1], OH = w->out[0], OW = w->out[1], C = j->channels;
    for (int64_t r = begin; r < end; r++) {
        int64_t n = r / OH, oh = r % OH, ylo, yhi;
        window_span(w, 0, oh, &ylo, &yhi);
        const float *x = j->x + n * H * W * C;
        float *y = j->y + r * OW * C;
        for (int64_t ow = 0; ow < OW; ow++, y += C) {
            int64_t xlo, xhi;
            window_span(w, 1, ow, &xlo, &xhi);
            pool_position(x, W, C, ylo, yhi, xlo, xhi, y);
        }
    }
}

void cs_maxpool_nhwc(const cs_window *w, int64_t batch, int64_t channels, const float *x, float *y)
{
    pool_job j = {.w = w, .channels = channels, .x = x, .y = y};
    int64_t rows = batch * w->out[0], per_row = w->out[1] * channels;
    cs_parallel_for(rows, per_row > 0 ? (CS_PAR_MIN_ELEMS + per_row - 1) / per_row : 1, pool_rows, &j);
}
#else
void cs_maxpool_nhwc(const cs_window *w, int64_t batch, int64_t channels, const float *x, float *y)
{
    (void)w, (void)batch, (void)channels, (void)x, (void)y; /* never called: cs_cpu_avx512 is false here */
}
#endif
