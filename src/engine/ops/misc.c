/* misc.c — op family 'misc': ONNX ops outside the other families. Holds the family table, the
 * determinant, the window functions and the mel filter bank; larger kernels live in misc_*.c. */
#include "registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "misc_ops.h"
#include "shape_util.h"

/* ---- Det ---- */

/* Determinant of the n x n matrix a (overwritten) by LU decomposition with partial pivoting. */
static double lu_det(double *a, int64_t n)
{
    double det = 1.0;
    for (int64_t c = 0; c < n; c++) {
        int64_t piv = c;
        for (int64_t r = c + 1; r < n; r++)
            if (fabs(a[r * n + c]) > fabs(a[piv * n + c]))
                piv = r;
        if (a[piv * n + c] == 0.0)
            return 0.0;
        if (piv != c) {
            for (int64_t k = 0; k < n; k++) {
                double t = a[c * n + k];
                a[c * n + k] = a[piv * n + k];
                a[piv * n + k] = t;
            }
            det = -det;
        }
        det *= a[c * n + c];
        for (int64_t r = c + 1; r < n; r++) {
            double f = a[r * n + c] / a[c * n + c];
            for (int64_t k = c; k < n; k++)
                a[r * n + k] -= f * a[c * n + k];
        }
    }
    return det;
}

static cs_status op_det(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    if (in->rank < 2 || in->dims[in->rank - 1] != in->dims[in->rank - 2] || !cs_dtype_is_float(in->dtype))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input must be a float tensor of square matrices [..., M, M]");
    int64_t n = in->dims[in->rank - 1];
    if (n > 4096)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "matrices of size %lld are too large", (long long)n);
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank - 2, in->dims);
    if (!out)
        return ctx->err->status;
    double *a = malloc((size_t)(n * n > 0 ? n * n : 1) * sizeof(double));
    if (!a)
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    int64_t mats = cs_tensor_numel(out);
    for (int64_t m = 0; m < mats; m++) {
        for (int64_t i = 0; i < n * n; i++)
            a[i] = cs_load_f64(in, m * n * n + i);
        cs_tensor_set_f64(out, m, lu_det(a, n));
    }
    free(a);
    return CS_OK;
}

/* ---- window functions ---- */

typedef enum { WIN_HANN, WIN_HAMMING, WIN_BLACKMAN } window_kind;

static double window_value(window_kind k, double n, double len)
{
    double t = 2.0 * M_PI * n / len;
    switch (k) {
    case WIN_HAMMING: return 25.0 / 46.0 - (1.0 - 25.0 / 46.0) * cos(t);
    case WIN_BLACKMAN: return 0.42 - 0.5 * cos(t) + 0.08 * cos(2.0 * t);
    default: return 0.5 - 0.5 * cos(t);
    }
}

/* Reads output_datatype (default f32) and checks it names a supported dtype. */
static cs_status output_dtype(cs_kernel_ctx *ctx, cs_dtype *out)
{
    int64_t dt = cs_attrs_int(&ctx->node->attrs, "output_datatype", CS_DT_F32);
    if (dt < 1 || dt > 64 || dt == CS_DT_STRING || cs_dtype_size((cs_dtype)dt) == 0)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "output_datatype %lld is not supported", (long long)dt);
    *out = (cs_dtype)dt;
    return CS_OK;
}

static cs_status window_run(cs_kernel_ctx *ctx, window_kind kind)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    int64_t size;
    cs_dtype dt;
    if (st || (st = cs_read_scalar_i64(ctx, ctx->in[0], "size", &size)) || (st = output_dtype(ctx, &dt)))
        return st;
    if (size < 0 || size > (1 << 26))
        return cs_kernel_fail(ctx, CS_ERR_ARG, "window size %lld is out of range", (long long)size);
    bool periodic = cs_attrs_int(&ctx->node->attrs, "periodic", 1) != 0;
    cs_tensor *out = cs_kernel_output(ctx, 0, dt, 1, &size);
    if (!out)
        return ctx->err->status;
    double len = (double)(periodic ? size : size - 1);
    for (int64_t i = 0; i < size; i++)
        cs_tensor_set_f64(out, i, window_value(kind, (double)i, len));
    return CS_OK;
}

static cs_status op_hann_window(cs_kernel_ctx *ctx) { return window_run(ctx, WIN_HANN); }
static cs_status op_hamming_window(cs_kernel_ctx *ctx) { return window_run(ctx, WIN_HAMMING); }
static cs_status op_blackman_window(cs_kernel_ctx *ctx) { return window_run(ctx, WIN_BLACKMAN); }

/* ---- MelWeightMatrix ---- */

typedef struct mel_params {
    int64_t n_mel, dft_len, sample_rate;
    double low_hz, high_hz;
} mel_params;

static cs_status mel_read(cs_kernel_ctx *ctx, mel_params *p)
{
    cs_status st = cs_kernel_need_inputs(ctx, 5);
    if (st || (st = cs_read_scalar_i64(ctx, ctx->in[0], "num_mel_bins", &p->n_mel)) ||
        (st = cs_read_scalar_i64(ctx, ctx->in[1], "dft_length", &p->dft_len)) ||
        (st = cs_read_scalar_i64(ctx, ctx->in[2], "sample_rate", &p->sample_rate)) ||
        (st = cs_read_scalar_f64(ctx, ctx->in[3], "lower_edge_hertz", &p->low_hz)) ||
        (st = cs_read_scalar_f64(ctx, ctx->in[4], "upper_edge_hertz", &p->high_hz)))
        return st;
    if (p->n_mel < 1 || p->n_mel > (1 << 16) || p->dft_len < 1 || p->dft_len > (1 << 24) || p->sample_rate < 1)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "num_mel_bins, dft_length or sample_rate is out of range");
    return CS_OK;
}

/* Filter-bank edge bins, as the ONNX reference computes them (mel scale, floor-divided bins). */
static void mel_bins(const mel_params *p, int64_t *bins)
{
    double low_mel = 2595.0 * log10(1.0 + p->low_hz / 700.0), high_mel = 2595.0 * log10(1.0 + p->high_hz / 700.0);
    double step = (high_mel - low_mel) / (double)(p->n_mel + 2);
    for (int64_t i = 0; i < p->n_mel + 2; i++) {
        double hz = 700.0 * (pow(10.0, ((double)i * step + low_mel) / 2595.0) - 1.0);
        bins[i] = (int64_t)floor((double)(p->dft_len + 1) * hz / (double)p->sample_rate);
    }
}

/* Writes output[j, i] = value after checking j is a valid spectrogram bin. */
static bool mel_set(cs_tensor *out, int64_t j, int64_t i, double value)
{
    if (j < 0 || j >= out->dims[0])
        return false;
    cs_tensor_set_f64(out, j * out->dims[1] + i, value);
    return true;
}

static cs_status op_mel_weight_matrix(cs_kernel_ctx *ctx)
{
    mel_params p = {0};
    cs_dtype dt;
    cs_status st = mel_read(ctx, &p);
    if (st || (st = output_dtype(ctx, &dt)))
        return st;
    int64_t dims[2] = {p.dft_len / 2 + 1, p.n_mel};
    int64_t *bins = malloc((size_t)(p.n_mel + 2) * sizeof(int64_t));
    cs_tensor *out = bins ? cs_kernel_output(ctx, 0, dt, 2, dims) : NULL;
    if (!out) {
        free(bins);
        return bins ? ctx->err->status : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    }
    mel_bins(&p, bins);
    bool ok = true;
    for (int64_t i = 0; i < p.n_mel && ok; i++) {
        int64_t lo = bins[i], mid = bins[i + 1], hi = bins[i + 2];
        if (mid == lo)
            ok = mel_set(out, mid, i, 1.0);
        for (int64_t j = lo; mid != lo && j <= mid && ok; j++)
            ok = mel_set(out, j, i, (double)(j - lo) / (double)(mid - lo));
        for (int64_t j = mid; hi > mid && j < hi && ok; j++)
            ok = mel_set(out, j, i, (double)(hi - j) / (double)(hi - mid));
    }
    free(bins);
    return ok ? CS_OK : cs_kernel_fail(ctx, CS_ERR_ARG, "mel filter edges fall outside the %lld spectrogram bins",
                                       (long long)dims[0]);
}

const cs_op_def cs_ops_misc[] = {
    {.name = "Det", .run = op_det},
    {.name = "HannWindow", .run = op_hann_window},
    {.name = "HammingWindow", .run = op_hamming_window},
    {.name = "BlackmanWindow", .run = op_blackman_window},
    {.name = "MelWeightMatrix", .run = op_mel_weight_matrix},
    {.name = "DFT", .run = cs_op_dft},
    {.name = "STFT", .run = cs_op_stft},
    {.name = "NonMaxSuppression", .run = cs_op_non_max_suppression},
    {.name = "RoiAlign", .run = cs_op_roi_align},
    {.name = "GridSample", .run = cs_op_grid_sample},
    {.name = NULL},
};
