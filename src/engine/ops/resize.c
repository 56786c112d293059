/* resize.c — op family 'resize': spatial resampling (Resize in every opset form, Upsample) and
 * block rearrangements between depth and space (DepthToSpace, SpaceToDepth). */
#include "registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shape_util.h"

typedef enum { MODE_NEAREST, MODE_LINEAR, MODE_CUBIC } interp_mode;
typedef enum {
    CT_HALF_PIXEL, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_TF_HALF_PIXEL_FOR_NN,
    CT_TF_CROP_AND_RESIZE, CT_HALF_PIXEL_SYMMETRIC
} coord_mode;
typedef enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL } nearest_mode;

/* Everything a resize needs, resolved from attributes and inputs. */
typedef struct resize_params {
    interp_mode mode;
    coord_mode coord;
    nearest_mode nearest;
    double cubic_a, extrapolation;
    bool exclude_outside, antialias;
    double scales[CS_MAX_RANK];
    double roi_start[CS_MAX_RANK], roi_end[CS_MAX_RANK];
    int64_t out_dims[CS_MAX_RANK];
} resize_params;

/* Looks name up in names[0..n); -1 when absent. */
static int find_name(const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static cs_status parse_modes(cs_kernel_ctx *ctx, bool legacy, resize_params *p)
{
    static const char *const modes[] = {"nearest", "linear", "cubic", "bilinear"};
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    const cs_attrs *at = &ctx->node->attrs;
    const char *m = cs_attrs_string(at, "mode", "nearest");
    const char *c = cs_attrs_string(at, "coordinate_transformation_mode", legacy ? "asymmetric" : "half_pixel");
    const char *n = cs_attrs_string(at, "nearest_mode", legacy ? "floor" : "round_prefer_floor");
    int mi = find_name(m, modes, 4), ci = find_name(c, coords, 7), ni = find_name(n, nearests, 4);
    if (mi < 0 || ci < 0 || ni < 0)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "unsupported mode '%s', coordinate transformation '%s' or "
                              "nearest mode '%s'", m, c, n);
    p->antialias = cs_attrs_int(at, "antialias", 0) != 0 && mi != MODE_NEAREST; /* nearest ignores it (spec) */
    p->mode = mi == 3 ? MODE_LINEAR : (interp_mode)mi;
    p->coord = (coord_mode)ci;
    p->nearest = (nearest_mode)ni;
    p->cubic_a = cs_attrs_float(at, "cubic_coeff_a", -0.75);
    p->exclude_outside = cs_attrs_int(at, "exclude_outside", 0) != 0;
    p->extrapolation = cs_attrs_float(at, "extrapolation_value", 0.0);
    return CS_OK;
}

/* Reads a float list (scales or roi) from input i; count or -1 when absent/empty. */
static int read_floats(const cs_tensor *t, double *out, int max)
{
    if (!t || cs_tensor_numel(t) == 0 || cs_tensor_numel(t) > max)
        return t && cs_tensor_numel(t) > max ? -2 : -1;
    int n = (int)cs_tensor_numel(t);
    for (int i = 0; i < n; i++)
        out[i] = cs_tensor_get_f64(t, i);
    return n;
}

/* Applies keep_aspect_ratio_policy (opset 18) to sizes over the given axes. */
static cs_status apply_aspect_policy(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_int_list *axes,
                                     resize_params *p)
{
    const char *pol = cs_attrs_string(&ctx->node->attrs, "keep_aspect_ratio_policy", "stretch");
    if (strcmp(pol, "stretch") == 0)
        return CS_OK;
    bool larger = strcmp(pol, "not_smaller") == 0;
    if (!larger && strcmp(pol, "not_larger") != 0)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "keep_aspect_ratio_policy '%s' is not supported", pol);
    double scale = larger ? 0 : INFINITY;
    for (int i = 0; i < axes->n; i++) {
        int a = (int)axes->v[i];
        double s = (double)p->out_dims[a] / (double)x->dims[a];
        scale = larger ? fmax(scale, s) : fmin(scale, s);
    }
    for (int i = 0; i < axes->n; i++) {
        int a = (int)axes->v[i];
        p->scales[a] = scale;
        p->out_dims[a] = (int64_t)floor((double)x->dims[a] * scale + 0.5);
    }
    return CS_OK;
}

/* Output dims from sizes (input 3) or scales; roi from input 1. Axes (opset 18) limit which dims they cover. */
static cs_status resize_shape(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *scales_t,
                              const cs_tensor *sizes_t, const cs_tensor *roi_t, resize_params *p)
{
    cs_int_list axes;
    cs_status st = cs_read_int_list(ctx, -1, "axes", &axes);
    if (st)
        return st;
    if (!axes.present) {
        axes.n = x->rank;
        for (int a = 0; a < x->rank; a++)
            axes.v[a] = a;
    }
    if ((st = cs_normalize_axes(ctx, &axes, x->rank)))
        return st;
    double sc[CS_MAX_RANK], roi[2 * CS_MAX_RANK];
    int64_t sizes[CS_MAX_RANK];
    for (int a = 0; a < x->rank; a++) {
        p->scales[a] = 1.0;
        p->out_dims[a] = x->dims[a];
        p->roi_start[a] = 0.0;
        p->roi_end[a] = 1.0;
    }
    int n_sc = read_floats(scales_t, sc, CS_MAX_RANK), n_roi = read_floats(roi_t, roi, 2 * CS_MAX_RANK);
    int n_sz = sizes_t && cs_tensor_numel(sizes_t) > 0 ? (int)cs_tensor_numel(sizes_t) : -1;
    if (n_sz > CS_MAX_RANK || n_sc == -2 || n_roi == -2)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "scales, sizes or roi are too long");
    if ((n_sc >= 0) == (n_sz >= 0))
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "exactly one of scales and sizes must be given");
    if ((n_sc >= 0 && n_sc != axes.n) || (n_sz >= 0 && n_sz != axes.n) || (n_roi >= 0 && n_roi != 2 * axes.n))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "scales/sizes/roi lengths do not match the %d resized axes",
                              axes.n);
    for (int i = 0; i < n_sz; i++)
        sizes[i] = cs_tensor_get_i64(sizes_t, i);
    for (int i = 0; i < axes.n; i++) {
        int a = (int)axes.v[i];
        if (n_roi >= 0) {
            p->roi_start[a] = roi[i];
            p->roi_end[a] = roi[axes.n + i];
        }
        if (n_sc >= 0) {
            if (!(sc[i] > 0) || !(sc[i] * (double)x->dims[a] < 1e12))
                return cs_kernel_fail(ctx, CS_ERR_ARG, "scale %g on axis %d is invalid", sc[i], a);
            p->scales[a] = sc[i];
            p->out_dims[a] = (int64_t)floor((double)x->dims[a] * sc[i]);
        } else {
            if (sizes[i] < 0 || x->dims[a] == 0)
                return cs_kernel_fail(ctx, CS_ERR_ARG, "size %lld on axis %d is invalid", (long long)sizes[i], a);
            p->out_dims[a] = sizes[i];
            p->scales[a] = (double)sizes[i] / (double)x->dims[a];
        }
    }
    return n_sz >= 0 ? apply_aspect_policy(ctx, x, &axes, p) : CS_OK;
}

/* Maps output coordinate o on axis a to a (fractional) input coordinate. */
static double source_coord(const resize_params *p, int a, int64_t o, int64_t in, bool *outside)
{
    /* the reference uses the unrounded resized length (in * scale), not the integer output size */
    double s = p->scales[a], x = (double)o, len = (double)in, out = len * s;
    *outside = false;
    switch (p->coord) {
    case CT_PYTORCH_HALF_PIXEL: return out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
    case CT_ALIGN_CORNERS: return out == 1 ? 0.0 : x * (len - 1) / (out - 1);
    case CT_ASYMMETRIC: return x / s;
    case CT_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s;
    case CT_HALF_PIXEL_SYMMETRIC: {
        double adj = out / (s * len), offset = len / 2 * (1 - adj);
        return offset + (x + 0.5) / s - 0.5;
    }
    case CT_TF_CROP_AND_RESIZE: {
        double st = p->roi_start[a], en = p->roi_end[a];
        double r = out > 1 ? st * (len - 1) + x * (en - st) * (len - 1) / (out - 1) : 0.5 * (st + en) * (len - 1);
        *outside = r < 0 || r > len - 1;
        return r;
    }
    default: return (x + 0.5) / s - 0.5;
    }
}

static int64_t nearest_index(const resize_params *p, double x, int64_t in)
{
    double f = floor(x);
    int64_t r;
    switch (p->nearest) {
    case NM_FLOOR: r = (int64_t)f; break;
    case NM_CEIL: r = (int64_t)ceil(x); break;
    case NM_ROUND_PREFER_CEIL: r = (int64_t)(x - f >= 0.5 ? f + 1 : f); break;
    default: r = (int64_t)(x - f > 0.5 ? f + 1 : f); break;
    }
    return r < 0 ? 0 : (r >= in ? in - 1 : r);
}

/* Nearest resize: per-axis index maps (-1 where tf_crop_and_resize extrapolates). */
static cs_status resize_nearest(cs_kernel_ctx *ctx, const cs_tensor *x, const resize_params *p, cs_tensor *out)
{
    int64_t *maps[CS_MAX_RANK] = {NULL};
    bool ok = true;
    for (int a = 0; a < x->rank && ok; a++) {
        maps[a] = malloc((size_t)(p->out_dims[a] > 0 ? p->out_dims[a] : 1) * sizeof(int64_t));
        ok = maps[a] != NULL;
        for (int64_t o = 0; ok && o < p->out_dims[a]; o++) {
            bool outside;
            double src = source_coord(p, a, o, x->dims[a], &outside);
            maps[a][o] = outside ? -1 : nearest_index(p, src, x->dims[a]);
        }
    }
    unsigned char fill[8] = {0};
    cs_tensor one = {.dtype = x->dtype, .rank = 0, .data = fill, .nbytes = cs_dtype_size(x->dtype)};
    cs_tensor_set_f64(&one, 0, p->extrapolation);
    if (ok)
        cs_map_copy(out, x, maps, fill);
    for (int a = 0; a < x->rank; a++)
        free(maps[a]);
    return ok ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
}

/* Taps of one output coordinate: 4 for plain linear/cubic; antialiased downscaling widens the filter by
 * 1/scale (linear: 2 - 2 * (floor(-1/scale) + 1) taps, cubic: 2 - 2 * (floor(-2/scale) + 1)), up to TAPS. */
#define TAPS 64

/* Interpolation weights of one output coordinate on one axis. */
typedef struct axis_taps {
    int64_t idx[TAPS];
    double w[TAPS];
    int n;
    bool outside;
} axis_taps;

static void cubic_coeffs(double r, double A, double *c)
{
    double s = 1 - r;
    c[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
    c[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
    c[2] = ((A + 2) * s - (A + 3)) * s * s + 1;
    c[3] = ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A;
}

static double cubic_kernel(double x, double A)
{
    x = fabs(x);
    return x <= 1 ? ((A + 2) * x - (A + 3)) * x * x + 1 : x < 2 ? ((A * x - 5 * A) * x + 8 * A) * x - 4 * A : 0.0;
}

/* Antialiased taps (opset 18, the ONNX reference): the linear or cubic kernel stretched by 1/scale when
 * downscaling, over the taps nearest x (ratio in (0, 1], the left neighbour preferred), normalised to sum 1. */
static axis_taps make_taps_aa(const resize_params *p, double x, int64_t in, double scale)
{
    axis_taps t = {0};
    double s = scale < 1 ? scale : 1, f = floor(x), ratio = x - f;
    int64_t base = (int64_t)f;
    if (ratio == 0) /* an integer x: the pair (x - 1, x) with ratio 1 */
        ratio = 1, base -= 1;
    int start = (int)floor((p->mode == MODE_CUBIC ? -2 : -1) / s) + 1;
    t.n = 2 - 2 * start;
    double sum = 0;
    for (int k = 0; k < t.n; k++) {
        double arg = ((double)(start + k) - ratio) * s;
        int64_t i = base + start + k;
        t.w[k] = p->mode == MODE_CUBIC ? cubic_kernel(arg, p->cubic_a) : fmax(0.0, 1 - fabs(arg));
        sum += t.w[k];
        t.idx[k] = i;
    }
    for (int k = 0; k < t.n && sum != 0; k++)
        t.w[k] /= sum;
    if (p->exclude_outside) {
        sum = 0;
        for (int k = 0; k < t.n; k++)
            sum += t.w[k] = t.idx[k] < 0 || t.idx[k] >= in ? 0 : t.w[k];
        for (int k = 0; k < t.n && sum != 0; k++)
            t.w[k] /= sum;
    }
    for (int k = 0; k < t.n; k++)
        t.idx[k] = t.idx[k] < 0 ? 0 : (t.idx[k] >= in ? in - 1 : t.idx[k]);
    return t;
}

/* Linear or cubic taps around source coordinate x (edge-clamped, optionally excluding outside taps). */
static axis_taps make_taps(const resize_params *p, double x, int64_t in)
{
    axis_taps t = {.n = p->mode == MODE_CUBIC ? 4 : 2};
    double f = floor(x), r = x - f;
    int64_t first = (int64_t)f - (t.n == 4 ? 1 : 0);
    if (t.n == 4)
        cubic_coeffs(r, p->cubic_a, t.w);
    else {
        t.w[0] = 1 - r;
        t.w[1] = r;
    }
    double sum = 0;
    for (int k = 0; k < t.n; k++) {
        int64_t i = first + k;
        if (p->exclude_outside && (i < 0 || i >= in))
            t.w[k] = 0;
        sum += t.w[k];
        t.idx[k] = i < 0 ? 0 : (i >= in ? in - 1 : i);
    }
    if (p->exclude_outside && sum != 0)
        for (int k = 0; k < t.n; k++)
            t.w[k] /= sum;
    return t;
}

/* Interpolates buffer `src` (dims sdims) along axis a into dst, whose axis a has p->out_dims[a] entries. */
static void interp_axis(const double *src, const int64_t *sdims, int rank, int a, const axis_taps *taps,
                        int64_t n_out, double *dst)
{
    int64_t outer = cs_dims_prod(sdims, 0, a), inner = cs_dims_prod(sdims, a + 1, rank), in = sdims[a];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < n_out; j++) {
            const axis_taps *t = &taps[j];
            double *d = dst + (o * n_out + j) * inner;
            for (int64_t e = 0; e < inner; e++)
                d[e] = 0;
            for (int k = 0; k < t->n; k++) {
                const double *s = src + (o * in + t->idx[k]) * inner;
                for (int64_t e = 0; e < inner; e++)
                    d[e] += t->w[k] * s[e];
            }
        }
}

/* True when the taps reproduce the input axis unchanged. */
static bool taps_identity(const axis_taps *taps, int64_t n, int64_t in)
{
    if (n != in)
        return false;
    for (int64_t j = 0; j < n; j++) {
        const axis_taps *t = &taps[j];
        for (int k = 0; k < t->n; k++)
            if (t->outside || (t->w[k] != 0 && !(t->idx[k] == j && t->w[k] == 1.0)))
                return false;
    }
    return true;
}

/* Sets extrapolated outputs (tf_crop_and_resize outside the input) to the extrapolation value. */
static void apply_extrapolation(double *buf, int rank, const int64_t *dims, axis_taps *const *taps, double value)
{
    int64_t n, pos[CS_MAX_RANK] = {0};
    cs_shape_numel(rank, dims, &n);
    for (int64_t i = 0; i < n; i++, cs_odometer_next(pos, dims, rank)) {
        bool outside = false;
        for (int a = 0; a < rank && !outside; a++)
            outside = taps[a][pos[a]].outside;
        if (outside)
            buf[i] = value;
    }
}

/* Runs the separable passes on buffer *cur (dims cdims), one axis at a time. */
static bool interp_passes(double **cur, int64_t *cdims, int rank, axis_taps *const *taps, const int64_t *out_dims)
{
    for (int a = 0; a < rank; a++) {
        if (taps_identity(taps[a], out_dims[a], cdims[a]))
            continue;
        int64_t ndims[CS_MAX_RANK], n;
        memcpy(ndims, cdims, sizeof ndims);
        ndims[a] = out_dims[a];
        cs_shape_numel(rank, ndims, &n);
        double *next = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
        if (!next)
            return false;
        interp_axis(*cur, cdims, rank, a, taps[a], out_dims[a], next);
        free(*cur);
        *cur = next;
        memcpy(cdims, ndims, sizeof ndims);
    }
    return true;
}

/* Linear/cubic resize: separable passes in double precision. */
static cs_status resize_interp(cs_kernel_ctx *ctx, const cs_tensor *x, const resize_params *p, cs_tensor *out)
{
    for (int a = 0; a < x->rank && p->antialias; a++) { /* the widest filter the fixed tap arrays hold */
        double s = p->scales[a] < 1 ? p->scales[a] : 1;
        if (2 - 2 * (floor((p->mode == MODE_CUBIC ? -2 : -1) / s) + 1) > TAPS)
            return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "antialiased downscaling by %g on axis %d: more than %d "
                                  "taps", 1 / s, a, TAPS);
    }
    axis_taps *taps[CS_MAX_RANK] = {NULL};
    int64_t n_in = cs_tensor_numel(x), cdims[CS_MAX_RANK];
    double *cur = malloc((size_t)(n_in > 0 ? n_in : 1) * sizeof(double));
    bool ok = cur != NULL;
    for (int a = 0; a < x->rank && ok; a++) {
        taps[a] = malloc((size_t)(p->out_dims[a] > 0 ? p->out_dims[a] : 1) * sizeof(axis_taps));
        ok = taps[a] != NULL;
        for (int64_t o = 0; ok && o < p->out_dims[a]; o++) {
            bool outside;
            double src = source_coord(p, a, o, x->dims[a], &outside);
            taps[a][o] = p->antialias ? make_taps_aa(p, src, x->dims[a], p->scales[a]) : make_taps(p, src, x->dims[a]);
            taps[a][o].outside = outside;
        }
    }
    for (int64_t i = 0; ok && i < n_in; i++)
        cur[i] = cs_load_f64(x, i);
    memcpy(cdims, x->dims, sizeof cdims);
    ok = ok && interp_passes(&cur, cdims, x->rank, taps, p->out_dims);
    if (ok && p->coord == CT_TF_CROP_AND_RESIZE)
        apply_extrapolation(cur, x->rank, p->out_dims, taps, p->extrapolation);
    int64_t n_out = cs_tensor_numel(out);
    for (int64_t i = 0; ok && i < n_out; i++) {
        if (out->dtype == CS_DT_F32)
            ((float *)out->data)[i] = (float)cur[i];
        else
            cs_tensor_set_f64(out, i, cs_dtype_is_float(out->dtype) ? cur[i] : nearbyint(cur[i]));
    }
    free(cur);
    for (int a = 0; a < x->rank; a++)
        free(taps[a]);
    return ok ? CS_OK : cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
}

static cs_status resize_run(cs_kernel_ctx *ctx, resize_params *p)
{
    const cs_tensor *x = ctx->in[0];
    cs_tensor *out = cs_kernel_output(ctx, 0, x->dtype, x->rank, p->out_dims);
    if (!out)
        return ctx->err->status;
    if (cs_tensor_numel(out) == 0)
        return CS_OK;
    if (cs_tensor_numel(x) == 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "cannot resize an empty tensor to a non-empty one");
    return p->mode == MODE_NEAREST ? resize_nearest(ctx, x, p, out) : resize_interp(ctx, x, p, out);
}

static cs_status op_resize(cs_kernel_ctx *ctx)
{
    resize_params p = {0};
    bool legacy = ctx->opset < 11;
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st || (st = parse_modes(ctx, legacy, &p)))
        return st;
    const cs_tensor *roi = legacy ? NULL : cs_kernel_input(ctx, 1);
    const cs_tensor *scales = cs_kernel_input(ctx, legacy ? 1 : 2);
    const cs_tensor *sizes = legacy ? NULL : cs_kernel_input(ctx, 3);
    if ((st = resize_shape(ctx, ctx->in[0], scales, sizes, roi, &p)))
        return st;
    return resize_run(ctx, &p);
}

static cs_status op_upsample(cs_kernel_ctx *ctx)
{
    resize_params p = {0};
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st || (st = parse_modes(ctx, true, &p)))
        return st;
    const cs_tensor *x = ctx->in[0];
    const cs_tensor *scales = ctx->opset >= 9 ? cs_kernel_input(ctx, 1) : NULL;
    cs_tensor attr_scales = {0};
    double buf[CS_MAX_RANK];
    float fbuf[CS_MAX_RANK];
    if (!scales) {
        const double *f;
        int n = cs_attrs_floats(&ctx->node->attrs, "scales", &f);
        if (n < 0 || n > CS_MAX_RANK)
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "attribute 'scales' is missing or too long");
        for (int i = 0; i < n; i++)
            fbuf[i] = (float)(buf[i] = f[i]);
        attr_scales = (cs_tensor){.dtype = CS_DT_F32, .rank = 1, .dims = {n}, .data = fbuf,
                                  .nbytes = (size_t)n * sizeof(float)};
        scales = &attr_scales;
    }
    if ((st = resize_shape(ctx, x, scales, NULL, NULL, &p)))
        return st;
    return resize_run(ctx, &p);
}

/* ---- depth <-> space ---- */

/* out = transpose(reshape(in, view), perm) written with out's own shape. */
static void permute_view(cs_tensor *out, const cs_tensor *in, int rank, const int64_t *view, const int *perm)
{
    int64_t vstr[CS_MAX_RANK], odims[CS_MAX_RANK], ostr[CS_MAX_RANK];
    cs_strides(rank, view, vstr);
    for (int i = 0; i < rank; i++) {
        odims[i] = view[perm[i]];
        ostr[i] = vstr[perm[i]];
    }
    cs_strided_copy(out, in, rank, odims, ostr, 0);
}

static cs_status block_size(cs_kernel_ctx *ctx, int64_t *bs)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    *bs = cs_attrs_int(&ctx->node->attrs, "blocksize", 0);
    if (*bs < 1 || *bs > 1 << 16)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "blocksize %lld is invalid", (long long)*bs);
    if (ctx->in[0]->rank != 4)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input must be 4-D (NCHW), it has rank %d", ctx->in[0]->rank);
    return CS_OK;
}

static cs_status op_depth_to_space(cs_kernel_ctx *ctx)
{
    int64_t bs;
    cs_status st = block_size(ctx, &bs);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    int64_t n = in->dims[0], c = in->dims[1], h = in->dims[2], w = in->dims[3];
    if (c % (bs * bs) != 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "channels %lld do not divide by blocksize^2 = %lld", (long long)c,
                              (long long)(bs * bs));
    const char *mode = cs_attrs_string(&ctx->node->attrs, "mode", "DCR");
    bool crd = strcmp(mode, "CRD") == 0;
    if (!crd && strcmp(mode, "DCR") != 0)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "mode '%s' is not supported", mode);
    int64_t dims[4] = {n, c / (bs * bs), h * bs, w * bs};
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, 4, dims);
    if (!out)
        return ctx->err->status;
    int64_t dcr[6] = {n, bs, bs, c / (bs * bs), h, w}, crd_v[6] = {n, c / (bs * bs), bs, bs, h, w};
    static const int dcr_perm[6] = {0, 3, 4, 1, 5, 2}, crd_perm[6] = {0, 1, 4, 2, 5, 3};
    permute_view(out, in, 6, crd ? crd_v : dcr, crd ? crd_perm : dcr_perm);
    return CS_OK;
}

static cs_status op_space_to_depth(cs_kernel_ctx *ctx)
{
    int64_t bs;
    cs_status st = block_size(ctx, &bs);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    int64_t n = in->dims[0], c = in->dims[1], h = in->dims[2], w = in->dims[3];
    if (h % bs != 0 || w % bs != 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "spatial size %lldx%lld does not divide by blocksize %lld",
                              (long long)h, (long long)w, (long long)bs);
    int64_t dims[4] = {n, c * bs * bs, h / bs, w / bs};
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, 4, dims);
    if (!out)
        return ctx->err->status;
    int64_t view[6] = {n, c, h / bs, bs, w / bs, bs};
    static const int perm[6] = {0, 3, 5, 1, 2, 4};
    permute_view(out, in, 6, view, perm);
    return CS_OK;
}

const cs_op_def cs_ops_resize[] = {
    {.name = "Resize", .run = op_resize},
    {.name = "Upsample", .run = op_upsample},
    {.name = "DepthToSpace", .run = op_depth_to_space},
    {.name = "SpaceToDepth", .run = op_space_to_depth},
    {.name = NULL},
};
