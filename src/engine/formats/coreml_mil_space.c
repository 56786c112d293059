/* coreml_mil_space.c — MIL rows that rearrange or resample space, after coremltools' iOS15/17 definitions
 * (tensor_transformation.py, image_resizing.py, quantization_ops.py): space_to_batch, batch_to_space,
 * sliding_windows, reshape_like, resample and affine (ONNX GridSample), quantize and dequantize (ONNX
 * QuantizeLinear / DequantizeLinear). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml_mil.h"

#define ROW(name) static cs_status name(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)

static cs_status done(cm_loader *ld, int ok)
{
    return ok < 0 ? (ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw)) : CS_OK;
}

/* v reshaped to shape (k values) into out (a new temporary when out < 0); -1 on failure. */
static int reshape(cm_loader *ld, int v, const int64_t *shape, int k, int out)
{
    int s = v < 0 ? -1 : cs_lower_const_i64(&ld->lw, "shape", shape, k);
    if (s >= 0 && out < 0)
        out = cs_lower_tmp(&ld->lw, "reshaped");
    return s < 0 || out < 0 || cs_lower_node(&ld->lw, "Reshape", (int[]){v, s}, 2, &out, 1) < 0 ? -1 : out;
}

static int transpose(cm_loader *ld, int v, const int64_t *perm, int k)
{
    int t = v < 0 ? -1 : cs_lower_tmp(&ld->lw, "transposed"), n = t < 0 ? -1 : cs_lower_node1(&ld->lw, "Transpose", v, t);
    return n < 0 || !cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), "perm", perm, k) ? -1 : t;
}

/* x [B, C, H, W] with known C, H, W, block_shape [2] and a [2, 2] pads/crops constant; false with the error set. */
static bool block_args(cm_loader *ld, const mil_op *op, const char *pads_name, int x, int64_t *bs, int64_t *pads)
{
    bool bad;
    const cs_value *xv = &ld->lw.g->values[x];
    if (mil_ints(ld, op, "block_shape", bs, 2, &bad) != 2 || mil_ints(ld, op, pads_name, pads, 4, &bad) != 4) {
        if (!bad)
            cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s needs a constant block_shape [2] and %s [2, 2]", op->type,
                          pads_name);
        return false;
    }
    bool small = true; /* blocks and pads up to 2^20 keep every product below int64's range */
    for (int i = 0; i < 4; i++)
        small = small && pads[i] >= 0 && pads[i] <= (1 << 20) && (i > 1 || (bs[i] >= 1 && bs[i] <= (1 << 20)));
    if (xv->rank != 4 || xv->dims[1] < 0 || xv->dims[2] < 0 || xv->dims[3] < 0 || !small) {
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s needs x [N, C, H, W] of known C, H, W, blocks in [1, 2^20] and pads in [0, 2^20]",
                      op->type);
        return false;
    }
    return true;
}

/* space_to_batch (TensorFlow's SpaceToBatchND on NCHW): pad H, W; [B, C, H/bh, bh, W/bw, bw] ->
 * (bh, bw, B, C, H/bh, W/bw) -> [bh*bw*B, C, H/bh, W/bw]: output batch (i*bw + j)*B + b. */
ROW(row_space_to_batch)
{
    (void)ms, (void)arg;
    int64_t bs[2], p[4];
    int x = mil_need(ld, op, "x");
    if (x < 0 || !block_args(ld, op, "paddings", x, bs, p))
        return ld->lw.err->status;
    const cs_value *xv = &ld->lw.g->values[x];
    int64_t C = xv->dims[1], H = xv->dims[2] + p[0] + p[1], W = xv->dims[3] + p[2] + p[3];
    if (H % bs[0] || W % bs[1])
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "space_to_batch: padded %lld x %lld is not divisible by the block",
                             (long long)H, (long long)W);
    int64_t pads[8] = {0, 0, p[0], p[2], 0, 0, p[1], p[3]}, s6[6] = {-1, C, H / bs[0], bs[0], W / bs[1], bs[1]};
    int64_t perm[6] = {3, 5, 0, 1, 2, 4}, s4[4] = {-1, C, H / bs[0], W / bs[1]};
    int pv = cs_lower_const_i64(&ld->lw, "pads", pads, 8), padded = pv < 0 ? -1 : cs_lower_tmp(&ld->lw, "padded");
    if (padded < 0 || cs_lower_node(&ld->lw, "Pad", (int[]){x, pv}, 2, &padded, 1) < 0)
        return done(ld, -1);
    return done(ld, reshape(ld, transpose(ld, reshape(ld, padded, s6, 6, -1), perm, 6), s4, 4, y));
}

/* batch_to_space: the inverse: [bh, bw, B, C, H, W] -> (B, C, H, bh, W, bw) -> [B, C, H*bh, W*bw], then crops. */
ROW(row_batch_to_space)
{
    (void)ms, (void)arg;
    int64_t bs[2], c[4];
    int x = mil_need(ld, op, "x");
    if (x < 0 || !block_args(ld, op, "crops", x, bs, c))
        return ld->lw.err->status;
    const cs_value *xv = &ld->lw.g->values[x];
    int64_t C = xv->dims[1], H = xv->dims[2], W = xv->dims[3];
    if (c[0] + c[1] > H * bs[0] || c[2] + c[3] > W * bs[1])
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "batch_to_space: crops larger than the output");
    int64_t s6[6] = {bs[0], bs[1], -1, C, H, W}, perm[6] = {2, 3, 4, 0, 5, 1}, s4[4] = {-1, C, H * bs[0], W * bs[1]};
    int full = reshape(ld, transpose(ld, reshape(ld, x, s6, 6, -1), perm, 6), s4, 4, -1);
    int64_t b[2] = {c[0], c[2]}, e[2] = {H * bs[0] - c[1], W * bs[1] - c[3]}, axes[2] = {2, 3};
    int bv = full < 0 ? -1 : cs_lower_const_i64(&ld->lw, "starts", b, 2), ev = bv < 0 ? -1 : cs_lower_const_i64(&ld->lw,
                                                                                                             "ends", e, 2);
    int av = ev < 0 ? -1 : cs_lower_const_i64(&ld->lw, "axes", axes, 2);
    return done(ld, av < 0 ? -1 : cs_lower_node(&ld->lw, "Slice", (int[]){full, bv, ev, av}, 4, &y, 1));
}

/* sliding_windows(x, axis, size, stride = 1): Gather along axis with indices [n_windows, size], i*stride + k. */
ROW(row_sliding_windows)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    const cs_value *xv = &ld->lw.g->values[x];
    int64_t axis = mil_int(ld, op, "axis", 0), size = mil_int(ld, op, "size", 0);
    int64_t stride = mil_int(ld, op, "stride", 1);
    axis += axis < 0 ? xv->rank : 0;
    int64_t len = axis >= 0 && axis < xv->rank ? xv->dims[axis] : -1;
    if (len < 0 || size < 1 || stride < 1 || size > len || len > (1 << 24))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "sliding_windows needs an axis of known length, 1 <= size <= it and stride >= 1");
    int64_t nw = (len - size) / stride + 1, dims[2] = {nw, size};
    cs_tensor *ix = cs_tensor_new(CS_DT_I64, 2, dims, ld->lw.err);
    for (int64_t w = 0; ix && w < nw; w++)
        for (int64_t k = 0; k < size; k++)
            ((int64_t *)ix->data)[w * size + k] = w * stride + k;
    int iv = cs_lower_const(&ld->lw, "window_indices", ix);
    int n = iv < 0 ? -1 : cs_lower_node(&ld->lw, "Gather", (int[]){x, iv}, 2, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", axis) ? -1 : 0);
}

/* resample(x [B, C, H, W], coordinates [B, H2, W2, 2] as (x, y), sampling_mode, padding_mode, padding_value,
 * coordinates_mode, align_corners): ONNX GridSample after an affine map of the coordinates to its normalized
 * space. MIL's reflection (about the edge pixels' centers) is GridSample's reflection with align_corners; symmetric
 * and a non-zero constant padding_value are refused. */
ROW(row_resample)
{
    (void)arg;
    int x = mil_need(ld, op, "x"), c = x < 0 ? -2 : mil_need(ld, op, "coordinates");
    if (c < 0)
        return ld->lw.err->status;
    const char *sm = mil_str(ms, op, "sampling_mode"), *pm = mil_str(ms, op, "padding_mode");
    const char *cm = mil_str(ms, op, "coordinates_mode");
    bool align = mil_num(ld, op, "align_corners", 0) != 0;
    sm = sm ? sm : "bilinear", pm = pm ? pm : "constant", cm = cm ? cm : "unnormalized";
    const char *gpad = strcmp(pm, "constant") == 0 ? "zeros" : strcmp(pm, "border") == 0 ? "border"
                       : strcmp(pm, "reflection") == 0 ? "reflection" : NULL;
    bool galign = strcmp(pm, "reflection") == 0 ? true : align;
    bool unnorm = strcmp(cm, "unnormalized") == 0, zero_one = strcmp(cm, "normalized_zero_to_one") == 0;
    if (!gpad || (strcmp(sm, "bilinear") && strcmp(sm, "nearest")) ||
        (!unnorm && !zero_one && strcmp(cm, "normalized_minus_one_to_one")) ||
        (strcmp(pm, "constant") == 0 && mil_num(ld, op, "padding_value", 0) != 0))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "resample with sampling_mode '%s', padding_mode '%s', "
                             "coordinates_mode '%s' (or a non-zero padding_value)", sm, pm, cm);
    const cs_value *xv = &ld->lw.g->values[x];
    float a[2] = {1, 1}, b[2] = {0, 0};
    for (int k = 0; k < 2; k++) { /* k = 0: x (width), 1: y (height); pixel p from MIL, then GridSample's n */
        double n = xv->rank == 4 ? (double)xv->dims[3 - k] : -1, pa = 1, pb = 0;
        if ((unnorm || align != galign) && n < 1)
            return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "resample of an input of unknown spatial size");
        if (!unnorm) { /* normalized [-1, 1] (zero_to_one first doubled) to pixels */
            double za = zero_one ? 2 : 1, zb = zero_one ? -1 : 0;
            double s = align ? (n - 1) / 2 : n / 2, o = align ? (n - 1) / 2 : (n - 1) / 2;
            pa = za * s, pb = zb * s + o;
        }
        if (!unnorm && align == galign) /* identity up to the zero_to_one doubling */
            a[k] = zero_one ? 2 : 1, b[k] = zero_one ? -1 : 0;
        else {
            double ga = galign ? 2 / (n - 1 > 0 ? n - 1 : 1) : 2 / n, gb = galign ? -1 : 1 / n - 1;
            a[k] = (float)(pa * ga), b[k] = (float)(pb * ga + gb);
        }
    }
    int64_t two = 2;
    int av = cs_lower_const_f32(&ld->lw, "coord_scale", a, 1, &two), bv = cs_lower_const_f32(&ld->lw, "coord_shift", b,
                                                                                             1, &two);
    int t = av < 0 || bv < 0 ? -1 : cs_lower_tmp(&ld->lw, "scaled"), g = t < 0 ? -1 : cs_lower_tmp(&ld->lw, "grid");
    if (g < 0 || cs_lower_node(&ld->lw, "Mul", (int[]){c, av}, 2, &t, 1) < 0 ||
        cs_lower_node(&ld->lw, "Add", (int[]){t, bv}, 2, &g, 1) < 0)
        return done(ld, -1);
    int n = cs_lower_node(&ld->lw, "GridSample", (int[]){x, g}, 2, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *at = cs_lower_attrs(&ld->lw, n);
    return cs_attrs_add_string(at, "mode", sm) && cs_attrs_add_string(at, "padding_mode", gpad) &&
                   cs_attrs_add_int(at, "align_corners", galign) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* A zero point as the int8/uint8 constant ONNX wants (MIL's may come as f32 from a weight file); absent: 0. */
static int zero_point(cm_loader *ld, const mil_op *op, cs_dtype dt)
{
    int v = mil_opt(ld, op, "zero_point");
    if (v == -2)
        return -1;
    const cs_tensor *t = v >= 0 ? ld->lw.g->values[v].data : NULL;
    if (v >= 0 && !t) {
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s zero_point computed at run time", op->type);
        return -1;
    }
    int64_t one = 1;
    cs_tensor *z = t ? cs_tensor_new(dt, t->rank, t->dims, ld->lw.err) : cs_tensor_new(dt, 0, &one, ld->lw.err);
    for (int64_t i = 0; z && t && i < cs_tensor_numel(t); i++)
        cs_tensor_set_f64(z, i, cs_tensor_get_f64(t, i));
    return cs_lower_const(&ld->lw, "zero_point", z);
}

/* quantize(input, zero_point, scale, axis, output_dtype) and dequantize(input, zero_point, scale, axis) (iOS17). */
ROW(row_quantize)
{
    bool quant = arg != NULL;
    int x = mil_need(ld, op, "input"), s = x < 0 ? -2 : mil_need(ld, op, "scale");
    if (s < 0)
        return ld->lw.err->status;
    const char *od = quant ? mil_str(ms, op, "output_dtype") : NULL;
    cs_dtype dt = quant ? (od && strcmp(od, "int8") == 0 ? CS_DT_I8 : od && strcmp(od, "uint8") == 0 ? CS_DT_U8
                                                                                                     : CS_DT_UNDEFINED)
                        : ld->lw.g->values[x].dtype;
    if (dt != CS_DT_I8 && dt != CS_DT_U8)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s of %s (int8 or uint8)", op->type,
                             quant ? (od ? od : "no output_dtype") : "a non-8-bit input");
    int z = zero_point(ld, op, dt);
    int n = z < 0 ? -1 : cs_lower_node(&ld->lw, quant ? "QuantizeLinear" : "DequantizeLinear", (int[]){x, s, z}, 3,
                                       &y, 1);
    int axv = mil_opt(ld, op, "axis");
    if (n < 0 || (axv >= 0 && !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", mil_int(ld, op, "axis",
                                                                                                     0))))
        return done(ld, -1);
    return CS_OK;
}

/* Entries [b, e) of Shape(v) (e INT64_MAX: to the end) as a new int64 value; -1 on failure. */
static int shape_part(cm_loader *ld, int v, int64_t b, int64_t e)
{
    int s = cs_lower_tmp(&ld->lw, "shape"), part = s < 0 ? -1 : cs_lower_tmp(&ld->lw, "shape_part");
    int bv = part < 0 ? -1 : cs_lower_const_i64(&ld->lw, "starts", &b, 1);
    int ev = bv < 0 ? -1 : cs_lower_const_i64(&ld->lw, "ends", &e, 1);
    if (ev < 0 || cs_lower_node1(&ld->lw, "Shape", v, s) < 0 ||
        cs_lower_node(&ld->lw, "Slice", (int[]){s, bv, ev}, 3, &part, 1) < 0)
        return -1;
    return part;
}

/* reshape_like(x, ref_tensors, begins, ends, end_masks) (iOS16): x reshaped to the concatenation of
 * ref_tensors[i].shape[begins[i]:ends[i]] (to the end where end_masks[i]), read at run time. */
ROW(row_reshape_like)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), parts[32], n = 0;
    if (x < 0)
        return ld->lw.err->status;
    for (; n < 32; n++) {
        int r = mil_arg_value(ld, op, "ref_tensors", (size_t)n);
        if (r == -1)
            break;
        int b = r < 0 ? -2 : mil_arg_value(ld, op, "begins", (size_t)n), e = b < 0 ? -2 : mil_arg_value(ld, op, "ends",
                                                                                                     (size_t)n);
        int m = e < 0 ? -2 : mil_arg_value(ld, op, "end_masks", (size_t)n);
        if (m < 0 || !ld->lw.g->values[b].data || !ld->lw.g->values[e].data || !ld->lw.g->values[m].data)
            return m == -2 ? ld->lw.err->status
                           : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "reshape_like needs constant begins, ends and "
                                           "end_masks for each ref_tensor");
        int64_t bi = (int64_t)cs_tensor_get_f64(ld->lw.g->values[b].data, 0);
        int64_t ei = cs_tensor_get_f64(ld->lw.g->values[m].data, 0) != 0
                         ? INT64_MAX : (int64_t)cs_tensor_get_f64(ld->lw.g->values[e].data, 0);
        if ((parts[n] = shape_part(ld, r, bi, ei)) < 0)
            return done(ld, -1);
    }
    if (n < 1 || n == 32)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "reshape_like needs 1 to 31 ref_tensors");
    int shape = cs_lower_tmp(&ld->lw, "target_shape");
    int c = shape < 0 ? -1 : cs_lower_node(&ld->lw, "Concat", parts, n, &shape, 1);
    if (c < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, c), "axis", 0))
        return done(ld, -1);
    return done(ld, cs_lower_node(&ld->lw, "Reshape", (int[]){x, shape}, 2, &y, 1));
}

/* affine(x [B, C, H, W], transform_matrix [B|1, 6], output_height, output_width, bilinear, constant 0,
 * normalized_minus_one_to_one, align_corners True): ONNX AffineGrid of theta [[a0 a1 a2] [b0 b1 b2]] (broadcast
 * to the batch), then GridSample. */
ROW(row_affine)
{
    int x = mil_need(ld, op, "x"), tm = x < 0 ? -2 : mil_need(ld, op, "transform_matrix");
    if (tm < 0)
        return ld->lw.err->status;
    const char *sm = mil_str(ms, op, "sampling_mode"), *pm = mil_str(ms, op, "padding_mode");
    const char *cm = mil_str(ms, op, "coordinates_mode");
    int64_t h = mil_int(ld, op, "output_height", 0), w = mil_int(ld, op, "output_width", 0);
    (void)arg;
    if (!sm || strcmp(sm, "bilinear") || !pm || strcmp(pm, "constant") || mil_num(ld, op, "padding_value", 0) != 0 ||
        !cm || strcmp(cm, "normalized_minus_one_to_one") || mil_num(ld, op, "align_corners", 1) == 0 || h < 1 ||
        w < 1 || h > (1 << 20) || w > (1 << 20))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "affine other than bilinear, constant 0 padding, "
                             "normalized_minus_one_to_one coordinates and align_corners, or an impossible size");
    int64_t th[3] = {-1, 2, 3}, two3[2] = {2, 3}, hw[2] = {h, w};
    int t3 = reshape(ld, tm, th, 3, -1), batch = t3 < 0 ? -1 : shape_part(ld, x, 0, 1);
    int bc = batch < 0 ? -1 : shape_part(ld, x, 0, 2), c23 = bc < 0 ? -1 : cs_lower_const_i64(&ld->lw, "dims", two3, 2);
    int chw = c23 < 0 ? -1 : cs_lower_const_i64(&ld->lw, "out_hw", hw, 2);
    int tshape = chw < 0 ? -1 : cs_lower_tmp(&ld->lw, "theta_shape"), size = tshape < 0 ? -1 : cs_lower_tmp(&ld->lw,
                                                                                                           "size");
    int theta = size < 0 ? -1 : cs_lower_tmp(&ld->lw, "theta"), grid = theta < 0 ? -1 : cs_lower_tmp(&ld->lw, "grid");
    int n1, n2, n3, n4;
    if (grid < 0 || (n1 = cs_lower_node(&ld->lw, "Concat", (int[]){batch, c23}, 2, &tshape, 1)) < 0 ||
        (n2 = cs_lower_node(&ld->lw, "Concat", (int[]){bc, chw}, 2, &size, 1)) < 0 ||
        cs_lower_node(&ld->lw, "Expand", (int[]){t3, tshape}, 2, &theta, 1) < 0 ||
        (n3 = cs_lower_node(&ld->lw, "AffineGrid", (int[]){theta, size}, 2, &grid, 1)) < 0 ||
        (n4 = cs_lower_node(&ld->lw, "GridSample", (int[]){x, grid}, 2, &y, 1)) < 0)
        return done(ld, -1);
    bool ok = cs_attrs_add_int(cs_lower_attrs(&ld->lw, n1), "axis", 0) &&
              cs_attrs_add_int(cs_lower_attrs(&ld->lw, n2), "axis", 0) &&
              cs_attrs_add_int(cs_lower_attrs(&ld->lw, n3), "align_corners", 1) &&
              cs_attrs_add_int(cs_lower_attrs(&ld->lw, n4), "align_corners", 1) &&
              cs_attrs_add_string(cs_lower_attrs(&ld->lw, n4), "mode", "bilinear") &&
              cs_attrs_add_string(cs_lower_attrs(&ld->lw, n4), "padding_mode", "zeros");
    return ok ? CS_OK : cs_lower_nomem(&ld->lw);
}

const mil_row mil_rows_space[] = {
    {"reshape_like", row_reshape_like, NULL}, {"affine", row_affine, NULL},
    {"space_to_batch", row_space_to_batch, NULL}, {"batch_to_space", row_batch_to_space, NULL},
    {"sliding_windows", row_sliding_windows, NULL}, {"resample", row_resample, NULL},
    {"quantize", row_quantize, "quantize"}, {"dequantize", row_quantize, NULL},
    {NULL, NULL, NULL},
};
