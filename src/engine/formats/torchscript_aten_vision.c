/* torchscript_aten_vision.c — torchvision's custom ops as TorchScript calls them (ops.torchvision.*): nms onto
 * ONNX NonMaxSuppression (one batch, one class, indices by descending score) and roi_align onto RoiAlign. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)

static int unsqueeze0(ts_ctx *c, int x)
{
    int64_t z = 0;
    int ins[2] = {x, cs_ts_const_ints(c, &z, 1, false)};
    return ins[1] < 0 ? -1 : cs_ts_emit(c, "Unsqueeze", ins, 2, NULL);
}

/* Column k of a [K, m] value: Gather along axis 1 with a scalar index -> [K]. */
static int column(ts_ctx *c, int x, int64_t k)
{
    int node, ins[2] = {x, cs_ts_const_ints(c, &k, 1, true)};
    int out = ins[1] < 0 ? -1 : cs_ts_emit(c, "Gather", ins, 2, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 1)) {
        cs_ts_oom(c);
        return -1;
    }
    return out;
}

/* nms(boxes [N,4] x1y1x2y2, scores [N], iou_threshold) -> kept indices [K] (int64), highest score first; a box is
 * dropped when its IoU with a kept one exceeds the threshold (IoU is symmetric in x and y, so the corner order of
 * ONNX's [y1,x1,y2,x2] makes no difference). */
static tv *nms(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *boxes = A(0, "dets"), *scores = A(1, "scores");
    if (!cs_ts_need_tensor(c, name, boxes) || !cs_ts_need_tensor(c, name, scores))
        return NULL;
    float iou = (float)cs_ts_get_f(A(2, "iou_threshold"), 0.5);
    int64_t big = INT32_MAX;
    int b = unsqueeze0(c, boxes->value), s1 = unsqueeze0(c, scores->value), s2 = s1 < 0 ? -1 : unsqueeze0(c, s1);
    int ins[4] = {b, s2, cs_ts_const_ints(c, &big, 1, true), cs_ts_const_f32(c, &iou, 1, true)};
    if (b < 0 || s2 < 0 || ins[2] < 0 || ins[3] < 0)
        return NULL;
    int sel = cs_ts_emit(c, "NonMaxSuppression", ins, 4, NULL);
    return sel < 0 ? NULL : cs_ts_result(c, column(c, sel, 2), 1);
}

/* roi_align(input, rois [K,5] (batch, x1, y1, x2, y2), spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned) */
static tv *roi_align(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input"), *rois = A(1, "rois");
    if (!cs_ts_need_tensor(c, name, x) || !cs_ts_need_tensor(c, name, rois))
        return NULL;
    int64_t lo = 1, hi = 5, ax = 1, to_i64 = 7;
    int si[4] = {rois->value, cs_ts_const_ints(c, &lo, 1, false), cs_ts_const_ints(c, &hi, 1, false),
                 cs_ts_const_ints(c, &ax, 1, false)};
    int r4 = si[1] < 0 || si[2] < 0 || si[3] < 0 ? -1 : cs_ts_emit(c, "Slice", si, 4, NULL);
    int bi = r4 < 0 ? -1 : column(c, rois->value, 0), node;
    int bidx = bi < 0 ? -1 : cs_ts_emit(c, "Cast", &bi, 1, &node);
    if (bidx < 0 || !cs_attrs_add_int(cs_ts_attrs(c, node), "to", to_i64))
        return bidx < 0 ? NULL : cs_ts_oom(c);
    int ins[3] = {x->value, r4, bidx};
    int out = cs_ts_emit(c, "RoiAlign", ins, 3, &node);
    if (out < 0)
        return NULL;
    int64_t sr = cs_ts_get_int(A(5, "sampling_ratio"), -1);
    cs_attrs *at = cs_ts_attrs(c, node);
    bool aligned = cs_ts_get_int(A(6, "aligned"), 0) != 0;
    if (!cs_attrs_add_int(at, "output_height", cs_ts_get_int(A(3, "pooled_height"), 1)) ||
        !cs_attrs_add_int(at, "output_width", cs_ts_get_int(A(4, "pooled_width"), 1)) ||
        !cs_attrs_add_int(at, "sampling_ratio", sr < 0 ? 0 : sr) ||
        !cs_attrs_add_float(at, "spatial_scale", cs_ts_get_f(A(2, "spatial_scale"), 1)) ||
        !cs_attrs_add_string(at, "mode", "avg") ||
        !cs_attrs_add_string(at, "coordinate_transformation_mode", aligned ? "half_pixel" : "output_half_pixel"))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, 4);
}

const ts_aten_def cs_ts_aten_vision[] = {{"torchvision.nms", nms}, {"torchvision.roi_align", roi_align}, {NULL, NULL}};
