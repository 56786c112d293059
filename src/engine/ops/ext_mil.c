/* ext_mil.c — convscope-domain kernels for Core ML ML Program (MIL) operations with no ONNX equivalent:
 * MIL's bilinear sampling grids (resize_bilinear OFFSET_CORNERS, crop_resize) and its padded-output NMS. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "shape_util.h"

/* ---- bilinear sampling on MIL grids ---- */

enum { G_STRICT, G_ALIGN, G_DEFAULT, G_UNALIGN, G_OFFSET };

/* Sample i of n along a box [a, b]: the iOS15 resize_bilinear grid (image_resizing.py) with Xin - 1 = b - a,
 * clamped to the box as resize clamps to [0, Xin - 1]. */
static double grid(int mode, double a, double b, int64_t n, int64_t i)
{
    double len = b - a, in = len + (len < 0 ? -1 : 1), g;
    switch (mode) {
    case G_STRICT:
    case G_ALIGN: g = n == 1 ? (mode == G_ALIGN ? (a + b) / 2 : a) : a + (double)i * len / (double)(n - 1); break;
    case G_DEFAULT: g = a + (double)i * in / (double)n; break;
    case G_UNALIGN: g = a + ((double)i + 0.5) * in / (double)n - (len < 0 ? -0.5 : 0.5); break;
    default: g = a + ((double)i + 0.5) * (fabs(len) < 1 ? (len < 0 ? -1 : 1) : len) / (double)n; break;
    }
    double lo = fmin(a, b), hi = fmax(a, b);
    return g < lo ? lo : g > hi ? hi : g;
}

/* Bilinear value of plane p ([h, w], f32) at (y, x); pad outside [0, h - 1] x [0, w - 1]. */
static float sample(const float *p, int64_t h, int64_t w, double y, double x, float pad)
{
    if (!(y >= 0 && y <= (double)(h - 1) && x >= 0 && x <= (double)(w - 1)))
        return pad;
    int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
    double fy = y - (double)y0, fx = x - (double)x0;
    double top = p[y0 * w + x0] * (1 - fx) + p[y0 * w + x1] * fx, bot = p[y1 * w + x0] * (1 - fx) + p[y1 * w + x1] * fx;
    return (float)(top * (1 - fy) + bot * fy);
}

static int grid_mode(const cs_kernel_ctx *ctx)
{
    const char *m = cs_attrs_string(&ctx->node->attrs, "sampling_mode", "DEFAULT");
    return strcmp(m, "STRICT_ALIGN_CORNERS") == 0 ? G_STRICT : strcmp(m, "ALIGN_CORNERS") == 0 ? G_ALIGN
           : strcmp(m, "UNALIGN_CORNERS") == 0 ? G_UNALIGN : strcmp(m, "OFFSET_CORNERS") == 0 ? G_OFFSET
           : strcmp(m, "DEFAULT") == 0 ? G_DEFAULT : -1;
}

/* One [th, tw] crop of plane p over box rows [y1, y2], columns [x1, x2]. */
static void crop_plane(const float *p, int64_t h, int64_t w, const double box[4], int mode, int64_t th, int64_t tw,
                       float pad, float *out)
{
    for (int64_t i = 0; i < th; i++) {
        double y = grid(mode, box[0], box[2], th, i);
        for (int64_t j = 0; j < tw; j++)
            out[i * tw + j] = sample(p, h, w, y, grid(mode, box[1], box[3], tw, j), pad);
    }
}

static bool size_attrs(cs_kernel_ctx *ctx, int64_t *th, int64_t *tw)
{
    *th = cs_attrs_int(&ctx->node->attrs, "target_height", 1);
    *tw = cs_attrs_int(&ctx->node->attrs, "target_width", 1);
    return *th >= 1 && *tw >= 1 && *th <= (1 << 20) && *tw <= (1 << 20);
}

/* MilResizeBilinear(x [..., H, W]): resize_bilinear of the last two axes (attrs target_height/_width,
 * sampling_mode), each axis sampled over the whole input [0, H - 1]. */
static cs_status op_resize_bilinear(cs_kernel_ctx *ctx)
{
    if (cs_kernel_need_inputs(ctx, 1) != CS_OK)
        return ctx->err->status;
    const cs_tensor *x = ctx->in[0];
    int64_t th, tw;
    int mode = grid_mode(ctx);
    if (x->dtype != CS_DT_F32 || x->rank < 2 || !size_attrs(ctx, &th, &tw) || mode < 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "needs an f32 input of rank >= 2, sizes in [1, 2^20] and a known "
                              "sampling mode");
    int64_t dims[CS_MAX_RANK], h = x->dims[x->rank - 2], w = x->dims[x->rank - 1];
    memcpy(dims, x->dims, sizeof dims);
    dims[x->rank - 2] = th, dims[x->rank - 1] = tw;
    cs_tensor *y = cs_kernel_output_raw(ctx, 0, CS_DT_F32, x->rank, dims);
    if (!y)
        return ctx->err->status;
    int64_t planes = h * w > 0 ? cs_tensor_numel(x) / (h * w) : 0;
    double box[4] = {0, 0, (double)(h - 1), (double)(w - 1)};
    for (int64_t p = 0; p < planes; p++)
        crop_plane((const float *)x->data + p * h * w, h, w, box, mode, th, tw, 0.0f, (float *)y->data + p * th * tw);
    if (planes == 0)
        memset(y->data, 0, (size_t)cs_tensor_numel(y) * sizeof(float));
    return CS_OK;
}

/* Box k of roi as [y1, x1, y2, x2] in pixels (box_coordinate_mode, normalized_coordinates, spatial_scale). */
static void roi_box(const cs_kernel_ctx *ctx, const double v[4], int64_t h, int64_t w, double box[4])
{
    const char *m = cs_attrs_string(&ctx->node->attrs, "box_coordinate_mode", "CORNERS_HEIGHT_FIRST");
    bool wfirst = strstr(m, "WIDTH_FIRST") != NULL, center = strncmp(m, "CENTER", 6) == 0;
    double a0 = wfirst ? v[1] : v[0], a1 = wfirst ? v[0] : v[1], a2 = wfirst ? v[3] : v[2], a3 = wfirst ? v[2] : v[3];
    if (center)
        box[0] = a0 - a2 / 2, box[1] = a1 - a3 / 2, box[2] = a0 + a2 / 2, box[3] = a1 + a3 / 2;
    else
        box[0] = a0, box[1] = a1, box[2] = a2, box[3] = a3;
    double sy = cs_attrs_float(&ctx->node->attrs, "spatial_scale", 1), sx = sy;
    if (cs_attrs_int(&ctx->node->attrs, "normalized_coordinates", 0))
        sy *= (double)(h - 1), sx *= (double)(w - 1);
    box[0] *= sy, box[2] *= sy, box[1] *= sx, box[3] *= sx;
}

/* MilCropResize(x [B, C, H, W], roi [N, 1, 4|5, 1, 1] | boxes [N, 4], box_indices [N]): with roi, output
 * [N, B|1, C, th, tw] (4 values: every image; 5: the image roi[0]); with boxes (attr boxes = 1) [N, C, th, tw],
 * box k on image box_indices[k] (k without box_indices). */
static cs_status op_crop_resize(cs_kernel_ctx *ctx)
{
    if (cs_kernel_need_inputs(ctx, 2) != CS_OK)
        return ctx->err->status;
    const cs_tensor *x = ctx->in[0], *roi = ctx->in[1], *bi = cs_kernel_input(ctx, 2);
    bool boxes = cs_attrs_int(&ctx->node->attrs, "boxes", 0) != 0;
    int64_t th, tw, n = roi->rank >= 1 ? roi->dims[0] : 0, width = n > 0 ? cs_tensor_numel(roi) / n : 0;
    int mode = grid_mode(ctx);
    if (x->dtype != CS_DT_F32 || x->rank != 4 || !size_attrs(ctx, &th, &tw) || mode < 0 ||
        (boxes ? roi->rank != 2 || width != 4 || (bi && cs_tensor_numel(bi) != n)
               : roi->rank != 5 || (width != 4 && width != 5)))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "needs x [B, C, H, W] (f32) and roi [N, 1, 4|5, 1, 1] or boxes [N, 4] "
                              "with box_indices [N]");
    int64_t B = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3], per = width == 5 || boxes ? 1 : B;
    int64_t d5[5] = {n, per, C, th, tw}, d4[4] = {n, C, th, tw};
    cs_tensor *y = cs_kernel_output_raw(ctx, 0, CS_DT_F32, boxes ? 4 : 5, boxes ? d4 : d5);
    if (!y)
        return ctx->err->status;
    float pad = (float)cs_attrs_float(&ctx->node->attrs, "pad_value", 0), *out = y->data;
    for (int64_t k = 0; k < n; k++) {
        double v[5], box[4];
        for (int i = 0; i < width; i++)
            v[i] = cs_load_f64(roi, k * width + i);
        double img = boxes ? (bi ? cs_load_f64(bi, k) : (double)k) : width == 5 ? v[0] : 0; /* iOS17: arange(N) */
        if (per == 1 && !(img >= 0 && img < (double)B && img == floor(img)))
            return cs_kernel_fail(ctx, CS_ERR_ARG, "box %lld names image %g of a batch of %lld", (long long)k, img,
                                  (long long)B);
        roi_box(ctx, width == 5 && !boxes ? v + 1 : v, H, W, box);
        for (int64_t b = 0; b < per; b++)
            for (int64_t c = 0; c < C; c++, out += th * tw)
                crop_plane((const float *)x->data + (((per == 1 ? (int64_t)img : b) * C) + c) * H * W, H, W, box, mode,
                           th, tw, pad, out);
    }
    return CS_OK;
}

/* ---- non_maximum_suppression ---- */

typedef struct nms_cfg {
    double iou, score_min;
    int64_t max_boxes;
    bool per_class;
} nms_cfg;

/* IoU of boxes a, b given as [center_x, center_y, width, height]. */
static double iou_cwh(const double *a, const double *b)
{
    double iw = fmin(a[0] + a[2] / 2, b[0] + b[2] / 2) - fmax(a[0] - a[2] / 2, b[0] - b[2] / 2);
    double ih = fmin(a[1] + a[3] / 2, b[1] + b[3] / 2) - fmax(a[1] - a[3] / 2, b[1] - b[3] / 2);
    double inter = iw > 0 && ih > 0 ? iw * ih : 0, uni = a[2] * a[3] + b[2] * b[3] - inter;
    return uni > 0 ? inter / uni : 0;
}

static int by_score(const void *user, int64_t a, int64_t b)
{
    const double *s = user;
    return s[a] > s[b] ? -1 : (s[a] < s[b]);
}

/* Selection for one batch: box scores are the max over classes; greedy in descending score among scores above
 * score_min, suppressing IoU > iou (against every kept box, or those of the same argmax class); none kept keeps
 * the best box (as coremltools' reference). Returns the count written to sel (<= max_boxes), -1 on no memory. */
static int64_t nms_batch(const double *bx, const double *sc, int64_t nb, int64_t K, const nms_cfg *c, int64_t *sel)
{
    double *s = malloc((size_t)(nb + 1) * sizeof(double));
    int64_t *cls = malloc((size_t)(nb + 1) * sizeof(int64_t)), *order = malloc((size_t)(nb + 1) * sizeof(int64_t)), kept = 0;
    bool ok = s && cls && order;
    for (int64_t i = 0; ok && i < nb; i++) {
        s[i] = sc[i * K], cls[i] = 0;
        for (int64_t k = 1; k < K; k++)
            if (sc[i * K + k] > s[i])
                s[i] = sc[i * K + k], cls[i] = k;
        order[i] = i;
    }
    ok = ok && cs_sort_indices(order, nb, by_score, s);
    for (int64_t r = 0; ok && r < nb && kept < c->max_boxes; r++) {
        int64_t i = order[r];
        bool drop = !(s[i] > c->score_min);
        for (int64_t j = 0; j < kept && !drop; j++)
            drop = (!c->per_class || cls[sel[j]] == cls[i]) && iou_cwh(bx + 4 * i, bx + 4 * sel[j]) > c->iou;
        if (!drop)
            sel[kept++] = i;
    }
    if (ok && kept == 0 && nb > 0 && c->max_boxes > 0)
        sel[kept++] = order[0];
    free(s), free(cls), free(order);
    return ok ? kept : -1;
}

/* MilNonMaxSuppression(boxes [n, B, 4], scores [n, B, K]) -> (boxes [n, M, 4], scores [n, M, K], int32 indices
 * [n, M] padded with -1, int32 counts [n]); attrs iou_threshold, score_threshold, max_boxes M, per_class. */
static cs_status op_nms(cs_kernel_ctx *ctx)
{
    if (cs_kernel_need_inputs(ctx, 2) != CS_OK)
        return ctx->err->status;
    const cs_tensor *bt = ctx->in[0], *st = ctx->in[1];
    const cs_attrs *a = &ctx->node->attrs;
    nms_cfg c = {cs_attrs_float(a, "iou_threshold", 0.5), cs_attrs_float(a, "score_threshold", 0),
                 cs_attrs_int(a, "max_boxes", 0), cs_attrs_int(a, "per_class_suppression", 0) != 0};
    if (bt->rank != 3 || bt->dims[2] != 4 || st->rank != 3 || st->dims[0] != bt->dims[0] || st->dims[1] != bt->dims[1] ||
        st->dims[2] < 1 || c.max_boxes < 0 || c.max_boxes > (1 << 24))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "boxes must be [n, B, 4], scores [n, B, K] and max_boxes in [0, 2^24]");
    int64_t n = bt->dims[0], nb = bt->dims[1], K = st->dims[2], M = c.max_boxes;
    cs_tensor *ob = cs_kernel_output(ctx, 0, CS_DT_F32, 3, (int64_t[]){n, M, 4});
    cs_tensor *os = ob ? cs_kernel_output(ctx, 1, CS_DT_F32, 3, (int64_t[]){n, M, K}) : NULL;
    cs_tensor *oi = os ? cs_kernel_output(ctx, 2, CS_DT_I32, 2, (int64_t[]){n, M}) : NULL;
    cs_tensor *on = oi ? cs_kernel_output(ctx, 3, CS_DT_I32, 1, &n) : NULL;
    if (!on)
        return ctx->err->status;
    double *bx = malloc((size_t)(nb * 4 + 1) * sizeof(double)), *sc = malloc((size_t)(nb * K + 1) * sizeof(double));
    int64_t *sel = malloc((size_t)(M + 1) * sizeof(int64_t));
    int64_t got = bx && sc && sel ? 0 : -1;
    for (int64_t b = 0; got >= 0 && b < n; b++) {
        for (int64_t i = 0; i < nb * 4; i++)
            bx[i] = cs_load_f64(bt, b * nb * 4 + i);
        for (int64_t i = 0; i < nb * K; i++)
            sc[i] = cs_load_f64(st, b * nb * K + i);
        if ((got = nms_batch(bx, sc, nb, K, &c, sel)) < 0)
            break;
        for (int64_t j = 0; j < M; j++) {
            ((int32_t *)oi->data)[b * M + j] = j < got ? (int32_t)sel[j] : -1;
            for (int64_t k = 0; j < got && k < 4; k++)
                ((float *)ob->data)[(b * M + j) * 4 + k] = (float)bx[sel[j] * 4 + k];
            for (int64_t k = 0; j < got && k < K; k++)
                ((float *)os->data)[(b * M + j) * K + k] = (float)sc[sel[j] * K + k];
        }
        ((int32_t *)on->data)[b] = (int32_t)got;
    }
    free(bx), free(sc), free(sel);
    return got < 0 ? cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory") : CS_OK;
}

const cs_op_def cs_ops_mil[] = {
    {.name = "MilResizeBilinear", .run = op_resize_bilinear},
    {.name = "MilCropResize", .run = op_crop_resize},
    {.name = "MilNonMaxSuppression", .run = op_nms},
    {.name = NULL},
};
