/* conv_core.c — convolution arithmetic: im2col/col2im over a canonical 3-D window and BLAS GEMM,
 * generated for float (sgemm) and double (dgemm, also used for exact integer convolutions). */
#include "conv_core.h"

#include <cblas.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Range [lo, hi) of output positions o whose input coordinate o*stride + base lies in [0, size). */
static void valid_range(int64_t count, int64_t stride, int64_t base, int64_t size, int64_t *lo, int64_t *hi)
{
    int64_t first = base >= 0 ? 0 : (-base + stride - 1) / stride;
    int64_t last = size - 1 - base < 0 ? -1 : (size - 1 - base) / stride;
    *lo = first < count ? first : count;
    *hi = last + 1 < count ? last + 1 : count;
    if (*hi < *lo)
        *hi = *lo;
}

/* Column-matrix budget of one GEMM (elements): 2^25 floats = 128 MiB by default. Larger convolutions are tiled. */
static int64_t conv_tile_elems = (int64_t)1 << 25;
#define CONV_TILE_ELEMS conv_tile_elems

void cs_conv_set_tile_budget(int64_t elems)
{
    conv_tile_elems = elems > 0 ? elems : (int64_t)1 << 25;
}

static bool is_pointwise(const cs_window *w)
{
    for (int i = 0; i < w->n; i++)
        if (w->kernel[i] != 1 || w->stride[i] != 1 || w->pad_begin[i] != 0 || w->pad_end[i] != 0)
            return false;
    return true;
}

/* Checked size of a per-group column buffer: (C/group * kernel) x out elements. */
static bool col_elems(const cs_conv_shape *s, int64_t *out)
{
    int64_t rows, n;
    if (__builtin_mul_overflow(s->in_channels / s->group, cs_window_kernel_size(&s->win), &rows) ||
        __builtin_mul_overflow(rows, cs_window_out_size(&s->win), &n) || n > INT32_MAX)
        return false;
    *out = n;
    return true;
}

static bool shape_ok(const cs_conv_shape *s, cs_error *err)
{
    if (s->group < 1 || s->in_channels % s->group || s->out_channels % s->group)
        return cs_error_set(err, CS_ERR_SHAPE, "group %lld does not divide channels %lld and %lld",
                            (long long)s->group, (long long)s->in_channels, (long long)s->out_channels), false;
    return true;
}

/* The "wide" stride-1 layout: the image is copied once into a zero-padded buffer, each column-matrix
 * plane is then ONE contiguous copy of OH rows of the padded width Wp, and the GEMM computes Wp - OW
 * extra columns per output row that are dropped. Far fewer, longer copies than row-wise im2col. */
typedef struct wide_plan {
    int64_t Dp, Hp, Wp;   /* padded input sizes */
    int64_t out_wide;     /* OD * OH * Wp: GEMM columns */
    int64_t padded;       /* elements of the padded image buffer, slack included */
    int64_t col;          /* elements of the column matrix */
} wide_plan;

static bool wide_plan_make(const cs_window *w, int64_t Cg, int64_t K, wide_plan *p)
{
    for (int d = 0; d < 3; d++)
        if (w->stride[d] != 1)
            return false;
    p->Dp = w->in[0] + w->pad_begin[0] + w->pad_end[0];
    p->Hp = w->in[1] + w->pad_begin[1] + w->pad_end[1];
    p->Wp = w->in[2] + w->pad_begin[2] + w->pad_end[2];
    if (p->Wp > 2 * w->out[2]) /* too many dropped columns: row-wise im2col is cheaper */
        return false;
    p->out_wide = w->out[0] * w->out[1] * p->Wp;
    int64_t slack = (w->kernel[2] - 1) * w->dilation[2] + 1;
    return !__builtin_mul_overflow(Cg, p->Dp * p->Hp * p->Wp, &p->padded) && (p->padded += slack) <= INT32_MAX &&
           !__builtin_mul_overflow(K, p->out_wide, &p->col) && p->col <= INT32_MAX;
}

#define CS_DEFINE_CONV(T, SUF, GEMM)                                                                       \
    /* One output row of im2col: dst[o] = src[o*stride + base] for o in [lo, hi), zero elsewhere. */      \
    static inline void im2col_row_##SUF(T *restrict dst, const T *restrict src, int64_t count, int64_t stride, \
                                        int64_t base, int64_t lo, int64_t hi)                              \
    {                                                                                                      \
        int64_t o = 0;                                                                                     \
        for (; o < lo; o++)                                                                                \
            dst[o] = 0;                                                                                    \
        if (stride == 1) {                                                                                 \
            const T *s = src + base;                                                                       \
            for (; o < hi; o++)                                                                            \
                dst[o] = s[o];                                                                             \
        } else {                                                                                           \
            for (; o < hi; o++)                                                                            \
                dst[o] = src[o * stride + base];                                                           \
        }                                                                                                  \
        for (; o < count; o++)                                                                             \
            dst[o] = 0;                                                                                    \
    }                                                                                                      \
                                                                                                           \
    static inline void col2im_row_##SUF(const T *restrict src, T *restrict dst, int64_t stride, int64_t base, \
                                        int64_t lo, int64_t hi)                                            \
    {                                                                                                      \
        for (int64_t o = lo; o < hi; o++)                                                                  \
            dst[o * stride + base] += src[o];                                                              \
    }                                                                                                      \
                                                                                                           \
    /* Walks every (channel, kernel offset, output row) of a 3-D window; to_col copies image rows into   \
     * the column matrix, otherwise column rows are added back into the image. */                         \
    static void im2col_walk_##SUF(const cs_window *w, int64_t channels, T *img, T *col, bool to_col)       \
    {                                                                                                      \
        const int64_t D = w->in[0], H = w->in[1], W = w->in[2];                                            \
        const int64_t OD = w->out[0], OH = w->out[1], OW = w->out[2];                                      \
        for (int64_t c = 0; c < channels; c++)                                                             \
            for (int64_t a = 0; a < w->kernel[0]; a++)                                                     \
                for (int64_t b = 0; b < w->kernel[1]; b++)                                                 \
                    for (int64_t e = 0; e < w->kernel[2]; e++) {                                           \
                        int64_t wbase = e * w->dilation[2] - w->pad_begin[2], lo, hi;                      \
                        valid_range(OW, w->stride[2], wbase, W, &lo, &hi);                                 \
                        for (int64_t z = 0; z < OD; z++) {                                                 \
                            int64_t id = z * w->stride[0] - w->pad_begin[0] + a * w->dilation[0];          \
                            for (int64_t y = 0; y < OH; y++, col += OW) {                                  \
                                int64_t ih = y * w->stride[1] - w->pad_begin[1] + b * w->dilation[1];      \
                                bool inside = id >= 0 && id < D && ih >= 0 && ih < H;                      \
                                T *row = img + ((c * D + (inside ? id : 0)) * H + (inside ? ih : 0)) * W;  \
                                if (to_col)                                                                \
                                    im2col_row_##SUF(col, row, OW, w->stride[2], wbase, inside ? lo : OW,  \
                                                     inside ? hi : OW);                                    \
                                else if (inside)                                                           \
                                    col2im_row_##SUF(col, row, w->stride[2], wbase, lo, hi);               \
                            }                                                                              \
                        }                                                                                  \
                    }                                                                                      \
    }                                                                                                      \
                                                                                                           \
    static void add_bias_##SUF(T *y, const T *bias, int64_t channels, int64_t size)                        \
    {                                                                                                      \
        for (int64_t c = 0; bias && c < channels; c++, y += size) {                                        \
            const T v = bias[c];                                                                           \
            for (int64_t i = 0; i < size; i++)                                                             \
                y[i] += v;                                                                                 \
        }                                                                                                  \
    }                                                                                                      \
                                                                                                           \
    static void fill_bias_##SUF(T *y, const T *bias, int64_t channels, int64_t size)                       \
    {                                                                                                      \
        for (int64_t c = 0; bias && c < channels; c++, y += size) {                                        \
            const T v = bias[c];                                                                           \
            for (int64_t i = 0; i < size; i++)                                                             \
                y[i] = v;                                                                                  \
        }                                                                                                  \
    }                                                                                                      \
                                                                                                           \
    static void wide_pad_##SUF(const cs_window *w, const wide_plan *p, int64_t channels, const T *x, T *xp) \
    {                                                                                                      \
        const int64_t D = w->in[0], H = w->in[1], W = w->in[2];                                            \
        for (int64_t c = 0; c < channels; c++)                                                             \
            for (int64_t d = 0; d < D; d++)                                                                \
                for (int64_t h = 0; h < H; h++)                                                            \
                    memcpy(xp + ((c * p->Dp + d + w->pad_begin[0]) * p->Hp + h + w->pad_begin[1]) * p->Wp +  \
                               w->pad_begin[2],                                                            \
                           x + ((c * D + d) * H + h) * W, (size_t)W * sizeof(T));                          \
    }                                                                                                      \
                                                                                                           \
    /* Column-matrix rows of one image: row r starts at col + r * ld (images of a batch sit side by side). */ \
    static void wide_col_##SUF(const cs_window *w, const wide_plan *p, int64_t channels, const T *xp, T *col,  \
                               int64_t ld)                                                                 \
    {                                                                                                      \
        const size_t block = (size_t)(w->out[1] * p->Wp) * sizeof(T);                                      \
        for (int64_t c = 0; c < channels; c++)                                                             \
            for (int64_t a = 0; a < w->kernel[0]; a++)                                                     \
                for (int64_t b = 0; b < w->kernel[1]; b++)                                                 \
                    for (int64_t e = 0; e < w->kernel[2]; e++, col += ld)                                  \
                        for (int64_t z = 0; z < w->out[0]; z++)                                            \
                            memcpy(col + z * w->out[1] * p->Wp,                                            \
                                   xp + ((c * p->Dp + z + a * w->dilation[0]) * p->Hp + b * w->dilation[1]) * \
                                            p->Wp + e * w->dilation[2], block);                            \
    }                                                                                                      \
                                                                                                           \
    /* Drops the extra columns of one image's wide result (channel rows ld apart) and adds the bias. */    \
    static void wide_compact_##SUF(const cs_window *w, const wide_plan *p, int64_t channels, const T *bias,   \
                                   const T *wide, int64_t ld, T *y)                                        \
    {                                                                                                      \
        const int64_t OW = w->out[2], rows = w->out[0] * w->out[1];                                        \
        for (int64_t m = 0; m < channels; m++) {                                                           \
            const T v = bias ? bias[m] : 0;                                                                \
            const T *src = wide + m * ld;                                                                  \
            for (int64_t r = 0; r < rows; r++, y += OW, src += p->Wp)                                      \
                for (int64_t i = 0; i < OW; i++)                                                           \
                    y[i] = src[i] + v;                                                                     \
        }                                                                                                  \
    }                                                                                                      \
                                                                                                           \
    /* Images per GEMM: enough columns to amortise the call, a column matrix that stays in cache. */      \
    static int64_t wide_images_##SUF(const cs_conv_shape *s, const wide_plan *p)                          \
    {                                                                                                      \
        int64_t nb = p->col > 0 ? ((int64_t)1 << 17) / p->col : 1;                                         \
        nb = nb < 1 ? 1 : nb > s->batch ? s->batch : nb;                                                   \
        return nb > 0 ? nb : 1;                                                                            \
    }                                                                                                      \
                                                                                                           \
    /* nb images of group g: pad and lay out each image, one GEMM for all, then compact each. */          \
    static void wide_chunk_##SUF(const cs_conv_shape *s, const cs_window *w3, const wide_plan *p, int64_t n0,  \
                                 int64_t nb, int64_t g, const T *x, const T *w, const T *bias, T *y, T *xp,  \
                                 T *col, T *wide)                                                          \
    {                                                                                                      \
        const int64_t G = s->group, Cg = s->in_channels / G, Mg = s->out_channels / G;                     \
        const int64_t K = Cg * cs_window_kernel_size(w3), IN = w3->in[0] * w3->in[1] * w3->in[2];          \
        const int64_t OUT = cs_window_out_size(w3), ld = nb * p->out_wide;                                 \
        for (int64_t i = 0; i < nb; i++) {                                                                 \
            wide_pad_##SUF(w3, p, Cg, x + ((n0 + i) * s->in_channels + g * Cg) * IN, xp);                  \
            wide_col_##SUF(w3, p, Cg, xp, col + i * p->out_wide, ld);                                      \
        }                                                                                                  \
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Mg, (int)ld, (int)K, 1, w + g * Mg * K, (int)K,  \
             col, (int)ld, 0, wide, (int)ld);                                                              \
        for (int64_t i = 0; i < nb; i++)                                                                   \
            wide_compact_##SUF(w3, p, Mg, bias ? bias + g * Mg : NULL, wide + i * p->out_wide, ld,         \
                               y + ((n0 + i) * s->out_channels + g * Mg) * OUT);                           \
    }                                                                                                      \
                                                                                                           \
    static cs_status forward_wide_##SUF(const cs_conv_shape *s, const cs_window *w3, const wide_plan *p,    \
                                        const T *x, const T *w, const T *bias, T *y, cs_error *err)        \
    {                                                                                                      \
        const int64_t Mg = s->out_channels / s->group, nb = wide_images_##SUF(s, p);                       \
        T *xp = calloc((size_t)p->padded, sizeof(T));                                                      \
        T *col = malloc((size_t)(p->col > 0 ? nb * p->col : 1) * sizeof(T));                               \
        T *wide = malloc((size_t)(Mg * p->out_wide > 0 ? nb * Mg * p->out_wide : 1) * sizeof(T));          \
        cs_status st = xp && col && wide ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "out of memory for convolution buffers"); \
        for (int64_t n = 0; st == CS_OK && n < s->batch; n += nb)                                          \
            for (int64_t g = 0; g < s->group; g++)                                                         \
                wide_chunk_##SUF(s, w3, p, n, n + nb <= s->batch ? nb : s->batch - n, g, x, w, bias, y, xp, col, \
                                 wide);                                                                    \
        free(xp);                                                                                          \
        free(col);                                                                                         \
        free(wide);                                                                                        \
        return st;                                                                                         \
    }                                                                                                      \
                                                                                                           \
    /* im2col of output rows [y0, y1) of depth slice z only: the column matrix of one tile. */            \
    static void im2col_band_##SUF(const cs_window *w, int64_t channels, const T *img, T *col, int64_t z,    \
                                  int64_t y0, int64_t y1)                                                  \
    {                                                                                                      \
        const int64_t D = w->in[0], H = w->in[1], W = w->in[2], OW = w->out[2];                            \
        for (int64_t c = 0; c < channels; c++)                                                             \
            for (int64_t a = 0; a < w->kernel[0]; a++)                                                     \
                for (int64_t b = 0; b < w->kernel[1]; b++)                                                 \
                    for (int64_t e = 0; e < w->kernel[2]; e++) {                                           \
                        int64_t wbase = e * w->dilation[2] - w->pad_begin[2], lo, hi;                      \
                        valid_range(OW, w->stride[2], wbase, W, &lo, &hi);                                 \
                        int64_t id = z * w->stride[0] - w->pad_begin[0] + a * w->dilation[0];              \
                        for (int64_t yy = y0; yy < y1; yy++, col += OW) {                                  \
                            int64_t ih = yy * w->stride[1] - w->pad_begin[1] + b * w->dilation[1];         \
                            bool inside = id >= 0 && id < D && ih >= 0 && ih < H;                          \
                            const T *row = img + ((c * D + (inside ? id : 0)) * H + (inside ? ih : 0)) * W; \
                            im2col_row_##SUF(col, row, OW, w->stride[2], wbase, inside ? lo : OW,          \
                                             inside ? hi : OW);                                            \
                        }                                                                                  \
                    }                                                                                      \
    }                                                                                                      \
                                                                                                           \
    /* Large outputs: bands of output rows whose column matrix fits CONV_TILE_ELEMS, each GEMM writing its \
     * rows of y in place (ldc = the full output size), so memory stays bounded at any resolution. */     \
    static cs_status forward_tiled_##SUF(const cs_conv_shape *s, const cs_window *w3, const T *x, const T *w, \
                                         const T *bias, T *y, cs_error *err)                               \
    {                                                                                                      \
        const int64_t G = s->group, Cg = s->in_channels / G, Mg = s->out_channels / G;                     \
        const int64_t K = Cg * cs_window_kernel_size(w3), IN = w3->in[0] * w3->in[1] * w3->in[2];          \
        const int64_t OUT = cs_window_out_size(w3), OH = w3->out[1], OW = w3->out[2];                      \
        int64_t rows = K * OW > 0 ? CONV_TILE_ELEMS / (K * OW) : OH;                                       \
        rows = rows < 1 ? 1 : rows > OH ? OH : rows;                                                       \
        if (K * rows * OW > INT32_MAX || OUT > INT32_MAX)                                                  \
            return cs_error_set(err, CS_ERR_NOMEM, "convolution workspace is too large (%lld x %lld columns)", \
                                (long long)K, (long long)(rows * OW));                                     \
        T *col = malloc((size_t)(K * rows * OW > 0 ? K * rows * OW : 1) * sizeof(T));                      \
        if (!col)                                                                                          \
            return cs_error_set(err, CS_ERR_NOMEM, "out of memory for a %lld-element im2col tile",         \
                                (long long)(K * rows * OW));                                               \
        for (int64_t n = 0; n < s->batch; n++)                                                             \
            for (int64_t g = 0; g < G; g++) {                                                              \
                const T *xg = x + (n * s->in_channels + g * Cg) * IN;                                      \
                T *yg = y + (n * s->out_channels + g * Mg) * OUT;                                          \
                fill_bias_##SUF(yg, bias ? bias + g * Mg : NULL, Mg, OUT);                                 \
                for (int64_t z = 0; z < w3->out[0] && Mg > 0 && K > 0; z++)                                \
                    for (int64_t y0 = 0; y0 < OH; y0 += rows) {                                            \
                        int64_t y1 = y0 + rows < OH ? y0 + rows : OH;                                      \
                        im2col_band_##SUF(w3, Cg, xg, col, z, y0, y1);                                     \
                        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Mg, (int)((y1 - y0) * OW), (int)K, 1, \
                             w + g * Mg * K, (int)K, col, (int)((y1 - y0) * OW), bias ? 1 : 0,             \
                             yg + (z * OH + y0) * OW, (int)OUT);                                           \
                    }                                                                                      \
            }                                                                                              \
        free(col);                                                                                         \
        return CS_OK;                                                                                      \
    }                                                                                                      \
                                                                                                           \
    cs_status cs_conv_forward_##SUF(const cs_conv_shape *s, const T *x, const T *w, const T *bias, T *y,   \
                                    cs_error *err)                                                         \
    {                                                                                                      \
        int64_t n_col;                                                                                     \
        if (!shape_ok(s, err))                                                                             \
            return err->status;                                                                            \
        cs_window w3;                                                                                      \
        cs_window_to_3d(&s->win, &w3);                                                                     \
        bool direct = is_pointwise(&w3);                                                                   \
        if (!direct && (!col_elems(s, &n_col) || n_col > CONV_TILE_ELEMS))                                 \
            return forward_tiled_##SUF(s, &w3, x, w, bias, y, err);                                        \
        if (direct && !col_elems(s, &n_col))                                                               \
            return cs_error_set(err, CS_ERR_NOMEM, "convolution workspace is too large");                  \
        const int64_t G = s->group, Cg = s->in_channels / G, Mg = s->out_channels / G;                     \
        const int64_t K = Cg * cs_window_kernel_size(&w3), IN = w3.in[0] * w3.in[1] * w3.in[2];            \
        const int64_t OUT = cs_window_out_size(&w3);                                                       \
        wide_plan wp;                                                                                      \
        if (!direct && Mg > 0 && OUT > 0 && K > 0 && wide_plan_make(&w3, Cg, K, &wp) && wp.col <= CONV_TILE_ELEMS) \
            return forward_wide_##SUF(s, &w3, &wp, x, w, bias, y, err);                                    \
        T *col = direct ? NULL : malloc((size_t)(n_col > 0 ? n_col : 1) * sizeof(T));                      \
        if (!direct && !col)                                                                               \
            return cs_error_set(err, CS_ERR_NOMEM, "out of memory for a %lld-element im2col buffer",       \
                                (long long)n_col);                                                         \
        for (int64_t n = 0; n < s->batch; n++)                                                             \
            for (int64_t g = 0; g < G; g++) {                                                              \
                T *xg = (T *)x + (n * s->in_channels + g * Cg) * IN;                                       \
                T *yg = y + (n * s->out_channels + g * Mg) * OUT;                                          \
                if (!direct)                                                                               \
                    im2col_walk_##SUF(&w3, Cg, xg, col, true);                                             \
                fill_bias_##SUF(yg, bias ? bias + g * Mg : NULL, Mg, OUT);                                 \
                if (Mg > 0 && OUT > 0 && K > 0)                                                            \
                    GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Mg, (int)OUT, (int)K, 1, w + g * Mg * K, \
                         (int)K, direct ? xg : col, (int)OUT, bias ? 1 : 0, yg, (int)OUT);                 \
            }                                                                                              \
        free(col);                                                                                         \
        return CS_OK;                                                                                      \
    }                                                                                                      \
                                                                                                           \
    cs_status cs_conv_backward_##SUF(const cs_conv_shape *s, const T *x, const T *w, const T *bias, T *y,  \
                                     cs_error *err)                                                        \
    {                                                                                                      \
        int64_t n_col;                                                                                     \
        if (!shape_ok(s, err))                                                                             \
            return err->status;                                                                            \
        if (!col_elems(s, &n_col))                                                                         \
            return cs_error_set(err, CS_ERR_NOMEM, "convolution workspace is too large");                  \
        cs_window w3;                                                                                      \
        cs_window_to_3d(&s->win, &w3);                                                                     \
        const int64_t G = s->group, Cg = s->in_channels / G, Mg = s->out_channels / G;                     \
        const int64_t K = Cg * cs_window_kernel_size(&w3), IN = w3.in[0] * w3.in[1] * w3.in[2];            \
        const int64_t OUT = cs_window_out_size(&w3);                                                       \
        T *col = malloc((size_t)(n_col > 0 ? n_col : 1) * sizeof(T));                                      \
        if (!col)                                                                                          \
            return cs_error_set(err, CS_ERR_NOMEM, "out of memory for a %lld-element col2im buffer",       \
                                (long long)n_col);                                                         \
        memset(y, 0, (size_t)(s->batch * s->in_channels * IN) * sizeof(T));                               \
        for (int64_t n = 0; n < s->batch; n++)                                                             \
            for (int64_t g = 0; g < G; g++) {                                                              \
                const T *xg = x + (n * s->out_channels + g * Mg) * OUT;                                    \
                T *yg = y + (n * s->in_channels + g * Cg) * IN;                                            \
                if (K > 0 && OUT > 0)                                                                      \
                    GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)OUT, (int)Mg, 1, w + g * Mg * K, \
                         (int)K, xg, (int)OUT, 0, col, (int)OUT);                                          \
                if (Mg == 0)                                                                               \
                    memset(col, 0, (size_t)n_col * sizeof(T));                                             \
                im2col_walk_##SUF(&w3, Cg, yg, col, false);                                                \
                add_bias_##SUF(yg, bias ? bias + g * Cg : NULL, Cg, IN);                                   \
            }                                                                                              \
        free(col);                                                                                         \
        return CS_OK;                                                                                      \
    }

CS_DEFINE_CONV(float, f32, cblas_sgemm)
CS_DEFINE_CONV(double, f64, cblas_dgemm)
