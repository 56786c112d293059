/* coreml_mil_detect.c — MIL detection and sorting operations (iOS15-17 image_resizing.py, tensor_operation.py):
 * crop_resize, non_maximum_suppression (4 padded outputs), argsort, and resize_bilinear on MIL-only grids. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coreml_mil.h"

static cs_status done(cm_loader *ld, int ok)
{
    return ok < 0 ? (ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw)) : CS_OK;
}

/* A count argument that must be a load-time constant in [lo, hi] (dflt when absent); -1 with the error set. */
static int64_t const_count(cm_loader *ld, const mil_op *op, const char *name, double dflt, double lo, double hi)
{
    int v = mil_opt(ld, op, name);
    if (v == -2)
        return -1;
    if (v >= 0 && !ld->lw.g->values[v].data) {
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s '%s' computed at run time (a constant is needed)", op->type, name);
        return -1;
    }
    double d = mil_num(ld, op, name, dflt);
    if (!(d >= lo && d <= hi) || d != (double)(int64_t)d) {
        cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s '%s' = %g is not a count in [%g, %g]", op->type, name, d, lo, hi);
        return -1;
    }
    return (int64_t)d;
}

static bool known_mode(const char *m, const char *const *modes)
{
    for (; *modes; modes++)
        if (strcmp(m, *modes) == 0)
            return true;
    return false;
}

static const char *const sampling_modes[] = {"STRICT_ALIGN_CORNERS", "ALIGN_CORNERS", "UNALIGN_CORNERS", "DEFAULT",
                                             "OFFSET_CORNERS", NULL};

/* resize_bilinear on a grid ONNX Resize lacks (OFFSET_CORNERS, or ALIGN_CORNERS to a size-1 axis, which samples
 * the middle): the convscope MilResizeBilinear kernel. */
cs_status mil_resize_grid(cm_loader *ld, int x, int64_t h, int64_t w, const char *mode, int y)
{
    int n = cs_lower_node_in(&ld->lw, "convscope", "MilResizeBilinear", &x, 1, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    return cs_attrs_add_int(a, "target_height", h) && cs_attrs_add_int(a, "target_width", w) &&
                   cs_attrs_add_string(a, "sampling_mode", mode) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* crop_resize(x, roi [N,1,4|5,1,1]) (iOS15/16) or (x, boxes [N,4], box_indices [N]) (iOS17). */
static cs_status op_crop_resize(cm_loader *ld, mil_state *ms, const mil_op *op, int y)
{
    static const char *const coords[] = {"CORNERS_HEIGHT_FIRST", "CORNERS_WIDTH_FIRST", "CENTER_SIZE_HEIGHT_FIRST",
                                         "CENTER_SIZE_WIDTH_FIRST", NULL};
    int x = mil_need(ld, op, "x");
    bool boxes = x >= 0 && mil_opt(ld, op, "roi") == -1;
    int r = x < 0 ? -2 : mil_need(ld, op, boxes ? "boxes" : "roi"), bi = r < 0 || !boxes ? -1 : mil_opt(ld, op,
                                                                                                       "box_indices");
    int64_t th = r < 0 || bi == -2 ? -1 : const_count(ld, op, "target_height", 1, 1, 1 << 20);
    int64_t tw = th < 0 ? -1 : const_count(ld, op, "target_width", 1, 1, 1 << 20);
    if (tw < 0)
        return ld->lw.err->status;
    const char *cm = mil_str(ms, op, "box_coordinate_mode"), *sm = mil_str(ms, op, "sampling_mode");
    cm = cm ? cm : "CORNERS_HEIGHT_FIRST", sm = sm ? sm : "DEFAULT";
    if (!known_mode(cm, coords) || !known_mode(sm, sampling_modes))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "crop_resize: unknown box_coordinate_mode '%s' or sampling_mode "
                             "'%s'", cm, sm);
    if (strcmp(sm, "STRICT_ALIGN_CORNERS") == 0 && (th < 2 || tw < 2))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "crop_resize STRICT_ALIGN_CORNERS to a size-1 output");
    int n = cs_lower_node_in(&ld->lw, "convscope", "MilCropResize", (int[]){x, r, bi}, bi >= 0 ? 3 : 2, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    bool ok = cs_attrs_add_int(a, "target_height", th) && cs_attrs_add_int(a, "target_width", tw) &&
              cs_attrs_add_int(a, "boxes", boxes) && cs_attrs_add_string(a, "box_coordinate_mode", cm) &&
              cs_attrs_add_string(a, "sampling_mode", sm) &&
              cs_attrs_add_int(a, "normalized_coordinates", mil_num(ld, op, "normalized_coordinates", 0) != 0) &&
              cs_attrs_add_float(a, "spatial_scale", mil_num(ld, op, "spatial_scale", 1)) &&
              cs_attrs_add_float(a, "pad_value", mil_num(ld, op, "pad_value", 0));
    return ok ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* argsort(x, axis = -1, ascending = False) -> int32 indices: ONNX TopK with k = the axis length, read at run
 * time from Shape. */
static cs_status op_argsort(cm_loader *ld, const mil_op *op, int y)
{
    int x = mil_need(ld, op, "x");
    int64_t axis = mil_int(ld, op, "axis", -1);
    int ax = x < 0 ? -1 : cs_lower_const_i64(&ld->lw, "axis", &axis, 1);
    int shp = ax < 0 ? -1 : cs_lower_tmp(&ld->lw, "shape"), k = shp < 0 ? -1 : cs_lower_tmp(&ld->lw, "k");
    int vals = k < 0 ? -1 : cs_lower_tmp(&ld->lw, "sorted"), wide = vals < 0 ? -1 : cs_lower_tmp(&ld->lw, "indices");
    int n, c;
    if (wide < 0 || cs_lower_node1(&ld->lw, "Shape", x, shp) < 0 ||
        cs_lower_node(&ld->lw, "Gather", (int[]){shp, ax}, 2, &k, 1) < 0 ||
        (n = cs_lower_node(&ld->lw, "TopK", (int[]){x, k}, 2, (int[]){vals, wide}, 2)) < 0 ||
        (c = cs_lower_node1(&ld->lw, "Cast", wide, y)) < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    return cs_attrs_add_int(a, "axis", axis) && cs_attrs_add_int(a, "largest", mil_num(ld, op, "ascending", 0) == 0) &&
                   cs_attrs_add_int(cs_lower_attrs(&ld->lw, c), "to", CS_DT_I32) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* non_maximum_suppression(boxes [n,B,4] as center x, center y, width, height; scores [n,B,K]; iou_threshold,
 * score_threshold, max_boxes, per_class_suppression) -> (boxes, scores, int32 indices, int32 counts). */
cs_status mil_nms(cm_loader *ld, const mil_op *op)
{
    int outs[4];
    for (int k = 0; k < 4; k++)
        if (!op->outputs[k]->name || (outs[k] = cm_blob(ld, op->outputs[k]->name)) < 0)
            return op->outputs[k]->name ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                                                             "non_maximum_suppression outputs need names");
    if (cs_lower_layer(&ld->lw, op->outputs[0]->name, op->type, -1) != CS_OK)
        return ld->lw.err->status;
    int b = mil_need(ld, op, "boxes"), s = b < 0 ? -2 : mil_need(ld, op, "scores");
    int64_t m = s < 0 ? -1 : const_count(ld, op, "max_boxes", -1, 0, 1 << 24);
    if (m < 0)
        return ld->lw.err->status;
    int iv = mil_opt(ld, op, "iou_threshold"), sv = iv < 0 ? -1 : mil_opt(ld, op, "score_threshold");
    if (iv < 0 || sv < 0 || !ld->lw.g->values[iv].data || !ld->lw.g->values[sv].data)
        return ld->lw.err->status ? ld->lw.err->status
                                  : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "non_maximum_suppression needs constant "
                                                  "iou_threshold and score_threshold");
    int n = cs_lower_node_in(&ld->lw, "convscope", "MilNonMaxSuppression", (int[]){b, s}, 2, outs, 4);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    if (!cs_attrs_add_float(a, "iou_threshold", mil_num(ld, op, "iou_threshold", 0)) ||
        !cs_attrs_add_float(a, "score_threshold", mil_num(ld, op, "score_threshold", 0)) ||
        !cs_attrs_add_int(a, "max_boxes", m) ||
        !cs_attrs_add_int(a, "per_class_suppression", mil_num(ld, op, "per_class_suppression", 0) != 0))
        return cs_lower_nomem(&ld->lw);
    for (int k = 0; k < 4; k++) {
        mil_declare(ld, outs[k], op->outputs[k]->type);
        if (!cs_layer_add_output(ld->lw.g, ld->lw.layer, outs[k]))
            return cs_lower_nomem(&ld->lw);
    }
    return CS_OK;
}

#define ROW(name) static cs_status name(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)

ROW(row_crop_resize) { (void)arg; return op_crop_resize(ld, ms, op, y); }
ROW(row_argsort) { (void)ms, (void)arg; return op_argsort(ld, op, y); }

const mil_row mil_rows_detect[] = {
    {"crop_resize", row_crop_resize, NULL}, {"argsort", row_argsort, NULL},
    {NULL, NULL, NULL},
};
