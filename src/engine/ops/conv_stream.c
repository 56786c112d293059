/* conv_stream.c — the streamed-weights GEMM for convolutions with few output pixels: written by hand because
 * oneDNN's kernels (and ORT's) wait on memory there. Why, measured on one AVX-512 core (Intel Xeon, 2 MB L2):
 *
 * At batch 1, ResNet-50's layer4 has 49 output pixels and 2-9 MB of weights per convolution, so every run
 * streams its weights from L3 or DRAM. oneDNN's brgconv reads a panel of weights while it computes the first
 * rows of pixels and reuses it from L2 for the rest: the first pass waits on memory, nothing overlaps it, and
 * the 3x3 512->512 layer took 2.0-2.3 ms in a run against 1.3 ms with its weights hot. Here the next block of
 * weights is prefetched into L2 (one line per k step) while the current block is multiplied, so the stream
 * overlaps the arithmetic: with weights cold (24 copies rotated), 7x7 pixels, one thread, mean ms
 * ours / brgconv: 2048->512 0.80 / 1.44, 512->2048 0.77 / 0.95, 3x3 512->512 1.90 / 2.57,
 * 1024->2048 stride 2 1.59 / 1.82; at 14x14, 1024->256 0.72 / 0.87 and 256->1024 0.67 / 0.76.
 *
 * Layout: the weights as panels of 64 output channels, each K x 64 (K = C x kh x kw, k = (i*kw + j)*C + c),
 * read in blocks of KC rows; pixels as rows of A (channels-last input, gathered im2col-style where the window
 * is not 1x1 stride 1 or the input is not channels-last). Tiles of up to 6 rows x 64 columns (24 accumulators). */
#include "conv_stream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_util.h"
#include "fastpath.h"
#include "parallel.h"

#define PANEL 64         /* output channels per panel: 4 AVX-512 vectors */
#define MAX_ROWS 6       /* pixels per tile: 6 x 4 accumulators + 4 weight vectors + 1 broadcast fit 32 registers */
#define KC 512           /* weight rows per block: 128 KB, so a block and the next one's prefetch sit in L2 */
#define MAX_PIXELS 64    /* above, oneDNN's kernels reuse each weight enough: at 196 pixels (ResNet-50's layer3 at
                          * batch 1) this kernel made the whole run 0-3% slower, at 49 (layer4) 4-5% faster */
#define MIN_K 256        /* fewer products per output lose to oneDNN (measured 192: 0.200 vs 0.175 ms) */
#define MIN_WEIGHT_BYTES ((size_t)1 << 20) /* smaller weights stay cached between runs often enough */
#define A_SCRATCH 0      /* cs_dnnl_scratch slots: the gathered pixels, and the product when y is not */
#define C_SCRATCH 1      /* channels-last or the residual is not */

struct cs_stream_conv {
    int64_t c, kh, kw;     /* input channels and kernel size it was packed for */
    int64_t k, m, panels;  /* products per output, output channels, m / PANEL */
    float *weights;        /* panels x k x PANEL */
    float *bias;           /* m */
    size_t bytes;
};

#if defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>
#define HAVE_STREAM 1
#define AVX512 __attribute__((target("avx512f")))
#define AVX512_INLINE __attribute__((target("avx512f"), always_inline)) inline

static bool have_avx512(void) { return cs_cpu_avx512(); }
#else
#define HAVE_STREAM 0
static bool have_avx512(void) { return false; }
#endif

bool cs_stream_conv_fits(const cs_conv_shape *s, cs_act_kind act)
{
    if (!HAVE_STREAM || !have_avx512() || s->win.n != 2 || s->group != 1 || s->out_channels % PANEL != 0)
        return false;
    if (act != CS_ACT_NONE && act != CS_ACT_RELU && act != CS_ACT_CLIP && act != CS_ACT_SILU)
        return false;
    int64_t pixels = s->batch * s->win.out[0] * s->win.out[1], k = s->in_channels * s->win.kernel[0] * s->win.kernel[1];
    return pixels > 0 && pixels <= MAX_PIXELS && k >= MIN_K &&
           (size_t)k * (size_t)s->out_channels * sizeof(float) >= MIN_WEIGHT_BYTES;
}

size_t cs_stream_conv_bytes(const cs_stream_conv *sc) { return sc ? sc->bytes : 0; }

void cs_stream_conv_free(cs_stream_conv *sc)
{
    if (!sc)
        return;
    free(sc->weights);
    free(sc->bias);
    free(sc);
}

cs_stream_conv *cs_stream_conv_pack(const cs_conv_shape *s, const float *w, const float *bias)
{
    cs_stream_conv *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    int64_t c = sc->c = s->in_channels, kh = sc->kh = s->win.kernel[0], kw = sc->kw = s->win.kernel[1];
    sc->k = c * kh * kw;
    sc->m = s->out_channels;
    sc->panels = sc->m / PANEL;
    sc->bytes = (size_t)(sc->k * sc->m + sc->m) * sizeof(float);
    sc->weights = cs_alloc_huge((size_t)(sc->k * sc->m) * sizeof(float));
    sc->bias = calloc((size_t)sc->m, sizeof(float));
    if (!sc->weights || !sc->bias) {
        cs_stream_conv_free(sc);
        return NULL;
    }
    if (bias)
        memcpy(sc->bias, bias, (size_t)sc->m * sizeof(float));
    for (int64_t o = 0; o < sc->m; o++) {
        float *panel = sc->weights + (o / PANEL) * sc->k * PANEL + o % PANEL;
        const float *wo = w + o * sc->k; /* [c][i][j] */
        for (int64_t t = 0; t < kh * kw; t++)
            for (int64_t ci = 0; ci < c; ci++)
                panel[(t * c + ci) * PANEL] = wo[ci * kh * kw + t];
    }
    return sc;
}

/* ---- the pixels as rows of A ---- */

/* x[n, c, h, w] where x is stored channels-last or not. */
static inline size_t x_index(const cs_conv_shape *s, bool nhwc, int64_t n, int64_t c, int64_t h, int64_t w)
{
    int64_t ch = s->in_channels, hh = s->win.in[0], ww = s->win.in[1];
    return (size_t)(nhwc ? ((n * hh + h) * ww + w) * ch + c : ((n * ch + c) * hh + h) * ww + w);
}

/* One row per output pixel: for each kernel tap, the C input channels under it (zeros in the padding). */
static void gather_rows(const cs_conv_shape *s, const float *x, bool nhwc, float *a)
{
    const cs_window *wn = &s->win;
    int64_t c = s->in_channels, k = c * wn->kernel[0] * wn->kernel[1];
    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t oh = 0; oh < wn->out[0]; oh++)
            for (int64_t ow = 0; ow < wn->out[1]; ow++, a += k)
                for (int64_t i = 0; i < wn->kernel[0]; i++)
                    for (int64_t j = 0; j < wn->kernel[1]; j++) {
                        float *dst = a + (i * wn->kernel[1] + j) * c;
                        int64_t h = oh * wn->stride[0] - wn->pad_begin[0] + i * wn->dilation[0];
                        int64_t w = ow * wn->stride[1] - wn->pad_begin[1] + j * wn->dilation[1];
                        if (h < 0 || h >= wn->in[0] || w < 0 || w >= wn->in[1]) {
                            memset(dst, 0, (size_t)c * sizeof *dst);
                        } else if (nhwc) {
                            memcpy(dst, x + x_index(s, true, n, 0, h, w), (size_t)c * sizeof *dst);
                        } else {
                            for (int64_t ci = 0; ci < c; ci++)
                                dst[ci] = x[x_index(s, false, n, ci, h, w)];
                        }
                    }
}

/* A for x: x itself where the rows are already its channels-last pixels, else gathered into scratch. */
static const float *rows_of(const cs_stream_conv *sc, const cs_conv_shape *s, const float *x, bool nhwc)
{
    const cs_window *wn = &s->win;
    bool direct = nhwc && wn->kernel[0] == 1 && wn->kernel[1] == 1 && wn->stride[0] == 1 && wn->stride[1] == 1 &&
                  wn->pad_begin[0] == 0 && wn->pad_begin[1] == 0 && wn->out[0] == wn->in[0] && wn->out[1] == wn->in[1];
    if (direct)
        return x;
    int64_t pixels = s->batch * wn->out[0] * wn->out[1];
    float *a = cs_dnnl_scratch(A_SCRATCH, (size_t)(pixels * sc->k) * sizeof(float));
    if (a)
        gather_rows(s, x, nhwc, a);
    return a;
}

typedef struct gemm_job {
    const cs_stream_conv *sc;
    const float *a;          /* pixels x k */
    float *c;                /* pixels x m, channels-last */
    const float *res;        /* channels-last residual, or NULL */
    const cs_stream_epilogue *ep; /* activation applied here when act_here */
    bool act_here;
    int64_t pixels;
} gemm_job;

#if HAVE_STREAM

/* One tile's share of one weight block: rows x 64 outputs over kc products. */
typedef struct tile {
    const float *a;          /* rows x kc of A, row stride lda */
    size_t lda;
    const float *b;          /* kc x PANEL weights */
    float *c;                /* rows x PANEL outputs, row stride ldc */
    size_t ldc;
    int kc;
    const float *bias;       /* first block: the accumulators start from bias [+ residual] */
    const float *res;        /* residual rows (stride ldc), or NULL */
    bool first, last;        /* last block: the activation is applied on the way out */
    const char *prefetch;    /* the next block's next line to prefetch; one goes out each time pf_acc reaches */
    int64_t pf_acc, pf_add, pf_total; /* pf_total, adding pf_add a k step: the block's lines spread evenly */
    cs_act_kind act;
    float alpha, beta;
} tile;

AVX512_INLINE static __m512 activate(__m512 v, const tile *t)
{
    if (t->act == CS_ACT_RELU) {
        if (t->alpha == 0.0f)
            return _mm512_max_ps(_mm512_setzero_ps(), v); /* NaN passes through */
        __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
        return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(t->alpha));
    }
    if (t->act == CS_ACT_CLIP)
        return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(t->alpha)), _mm512_set1_ps(t->beta));
    return v;
}

AVX512_INLINE static void tile_run(const int rows, tile *t)
{
    __m512 acc[MAX_ROWS][4];
    const char *prefetch = t->prefetch;
    int64_t pf_acc = t->pf_acc;
#pragma GCC unroll 6
    for (int r = 0; r < MAX_ROWS; r++) {
        if (r >= rows)
            break;
        for (int v = 0; v < 4; v++) {
            if (!t->first)
                acc[r][v] = _mm512_loadu_ps(t->c + r * t->ldc + 16 * v);
            else if (t->res)
                acc[r][v] = _mm512_add_ps(_mm512_loadu_ps(t->bias + 16 * v), _mm512_loadu_ps(t->res + r * t->ldc + 16 * v));
            else
                acc[r][v] = _mm512_loadu_ps(t->bias + 16 * v);
        }
    }
    for (int k = 0; k < t->kc; k++) {
        const float *b = t->b + (size_t)k * PANEL;
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), b2 = _mm512_load_ps(b + 32),
               b3 = _mm512_load_ps(b + 48);
        for (pf_acc += t->pf_add; pf_acc >= t->pf_total; pf_acc -= t->pf_total, prefetch += 64)
            _mm_prefetch(prefetch, _MM_HINT_T1);
#pragma GCC unroll 6
        for (int r = 0; r < MAX_ROWS; r++) {
            if (r >= rows)
                break;
            __m512 a = _mm512_set1_ps(t->a[r * t->lda + k]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(a, b3, acc[r][3]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MAX_ROWS; r++) {
        if (r >= rows)
            break;
        for (int v = 0; v < 4; v++)
            _mm512_storeu_ps(t->c + r * t->ldc + 16 * v, t->last ? activate(acc[r][v], t) : acc[r][v]);
    }
    t->prefetch = prefetch;
    t->pf_acc = pf_acc;
}

AVX512 static void tile_dispatch(int rows, tile *t)
{
    switch (rows) {
    case 6: tile_run(6, t); break;
    case 5: tile_run(5, t); break;
    case 4: tile_run(4, t); break;
    case 3: tile_run(3, t); break;
    case 2: tile_run(2, t); break;
    default: tile_run(1, t); break;
    }
}

/* Panels [p0, p1): block by block, each block's tiles prefetching the next block of this range into L2, spread
 * over the tiles' k steps so the lines arrive while the current block is multiplied. */
AVX512 static void gemm_panels(const gemm_job *g, int64_t p0, int64_t p1)
{
    const cs_stream_conv *sc = g->sc;
    int64_t k = sc->k, tiles = (g->pixels + MAX_ROWS - 1) / MAX_ROWS;
    const float *end = sc->weights + p1 * k * PANEL;
    tile t = {.lda = (size_t)k, .ldc = (size_t)sc->m, .act = g->act_here ? g->ep->act : CS_ACT_NONE,
              .alpha = g->ep ? g->ep->alpha : 0, .beta = g->ep ? g->ep->beta : 0};
    for (int64_t p = p0; p < p1; p++)
        for (int64_t k0 = 0; k0 < k; k0 += KC) {
            t.kc = (int)(k - k0 < KC ? k - k0 : KC);
            t.b = sc->weights + (p * k + k0) * PANEL;
            t.first = k0 == 0;
            t.last = k0 + t.kc == k;
            t.bias = sc->bias + p * PANEL;
            const float *next = t.b + (size_t)t.kc * PANEL;
            t.prefetch = (const char *)next;
            t.pf_add = (int64_t)((end - next < KC * PANEL ? end - next : KC * PANEL) * (int64_t)sizeof(float) / 64);
            t.pf_total = tiles * t.kc; /* k steps of this block: the next block's lines go out evenly over them */
            t.pf_acc = 0;
            int64_t row0 = 0;
            for (int64_t ti = 0; ti < tiles; ti++) {
                int rows = (int)((g->pixels - row0 + (tiles - ti) - 1) / (tiles - ti)); /* balanced tiles */
                t.a = g->a + row0 * k + k0;
                t.c = g->c + row0 * sc->m + p * PANEL;
                t.res = g->res ? g->res + row0 * sc->m + p * PANEL : NULL;
                tile_dispatch(rows, &t);
                row0 += rows;
            }
        }
}

static void gemm_part(void *user, int thread, int threads)
{
    const gemm_job *g = user;
    int64_t n = g->sc->panels;
    gemm_panels(g, n * thread / threads, n * (thread + 1) / threads);
}

static void run_gemm(gemm_job *g, int threads)
{
    if (threads > g->sc->panels)
        threads = (int)g->sc->panels;
    cs_parallel_team(threads < 1 ? 1 : threads, gemm_part, g);
}
#else
static void run_gemm(gemm_job *g, int threads) { (void)g, (void)threads; }
#endif

/* ---- the output where it is not channels-last, or the residual is not ---- */

static float act_scalar(float v, const cs_stream_epilogue *ep)
{
    if (ep->act == CS_ACT_RELU)
        return v > 0.0f ? v : v == v ? (ep->alpha == 0.0f ? 0.0f : ep->alpha * v) : v;
    if (ep->act == CS_ACT_CLIP)
        return v < ep->alpha ? ep->alpha : v > ep->beta ? ep->beta : v;
    return v;
}

/* y[n, o, h, w] (in y's layout) = act(c[pixel][o] + residual[n, o, h, w] (in its layout)). */
static void finish_rows(const cs_stream_conv *sc, const cs_conv_shape *s, const float *c, const cs_stream_epilogue *ep,
                        float *y, bool y_nhwc)
{
    int64_t hw = s->win.out[0] * s->win.out[1], m = sc->m;
    for (int64_t n = 0; n < s->batch; n++)
        for (int64_t o = 0; o < m; o++)
            for (int64_t i = 0; i < hw; i++) {
                size_t nhwc = (size_t)((n * hw + i) * m + o), nchw = (size_t)((n * m + o) * hw + i);
                float v = c[nhwc];
                if (ep && ep->residual)
                    v += ep->residual[ep->residual_nhwc ? nhwc : nchw];
                y[y_nhwc ? nhwc : nchw] = ep ? act_scalar(v, ep) : v;
            }
}

bool cs_stream_conv_run(const cs_stream_conv *sc, const cs_conv_shape *s, const float *x, bool x_nhwc,
                        const cs_stream_epilogue *ep, float *y, bool y_nhwc, int threads)
{
    if (s->in_channels != sc->c || s->out_channels != sc->m || s->win.kernel[0] != sc->kh || s->win.kernel[1] != sc->kw)
        return false;
    const float *a = rows_of(sc, s, x, x_nhwc);
    if (!a)
        return false;
    int64_t pixels = s->batch * s->win.out[0] * s->win.out[1];
    bool fused = y_nhwc && (!ep || !ep->residual || ep->residual_nhwc);
    gemm_job g = {.sc = sc, .a = a, .pixels = pixels, .ep = ep, .act_here = fused && ep};
    if (fused) {
        g.c = y;
        g.res = ep ? ep->residual : NULL;
        run_gemm(&g, threads);
        return true;
    }
    float *c = cs_dnnl_scratch(C_SCRATCH, (size_t)(pixels * sc->m) * sizeof(float));
    if (!c)
        return false;
    g.c = c;
    run_gemm(&g, threads);
    finish_rows(sc, s, c, ep, y, y_nhwc);
    return true;
}
