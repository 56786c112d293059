/* coreml_mil_extra.c — further MIL rows after coremltools' iOS15-18 op definitions: l2_norm,
 * local_response_norm, clamped_relu, softplus_parametric, threshold, one_hot, fill, non_zero, crop,
 * reverse_sequence, scatter, pixel_unshuffle and scaled_dot_product_attention, each as ONNX nodes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coreml_mil.h"

#define ROW(name) static cs_status name(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)

static cs_status done(cm_loader *ld, int ok)
{
    return ok < 0 ? (ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw)) : CS_OK;
}

/* A new temporary computed by op(a[, b]) with an optional int attribute; -1 on failure. */
static int node2(cm_loader *ld, const char *op, int a, int b, const char *attr, int64_t v)
{
    if (a < 0)
        return -1; /* an input that failed upstream (error set), never an absent one */
    int t = cs_lower_tmp(&ld->lw, op), n = t < 0 ? -1 : cs_lower_node(&ld->lw, op, (int[]){a, b}, b >= 0 ? 2 : 1, &t, 1);
    if (n < 0 || (attr && !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), attr, v)))
        return -1;
    return t;
}

/* l2_norm(x, epsilon = 1e-6): x / sqrt(sum of x^2 over the last three axes (iOS17: `axes`) + epsilon). */
ROW(row_l2_norm)
{
    (void)ms, (void)arg;
    int64_t axes[CS_MAX_RANK] = {-3, -2, -1};
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int k = mil_ints(ld, op, "axes", axes, CS_MAX_RANK, &bad);
    if (bad)
        return ld->lw.err->status;
    int ax = cs_lower_const_i64(&ld->lw, "axes", axes, k < 0 ? 3 : k);
    int e = cs_lower_const_scalar(&ld->lw, "epsilon", (float)mil_num(ld, op, "epsilon", 1e-6));
    int ss = ax < 0 || e < 0 ? -1 : node2(ld, "ReduceSum", node2(ld, "Mul", x, x, NULL, 0), ax, "keepdims", 1);
    int root = ss < 0 ? -1 : node2(ld, "Sqrt", node2(ld, "Add", ss, e, NULL, 0), -1, NULL, 0);
    return done(ld, root < 0 ? -1 : cs_lower_node(&ld->lw, "Div", (int[]){x, root}, 2, &y, 1));
}

/* local_response_norm(x [n, C, *D], size, alpha = 1e-4, beta = 0.75, k = 1): ONNX LRN. */
ROW(row_lrn)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), n = x < 0 ? -1 : cs_lower_node1(&ld->lw, "LRN", x, y);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    return cs_attrs_add_int(a, "size", mil_int(ld, op, "size", 0)) &&
                   cs_attrs_add_float(a, "alpha", mil_num(ld, op, "alpha", 1e-4)) &&
                   cs_attrs_add_float(a, "beta", mil_num(ld, op, "beta", 0.75)) &&
                   cs_attrs_add_float(a, "bias", mil_num(ld, op, "k", 1)) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* clamped_relu(x, alpha, beta): min(beta, x >= 0 ? x : alpha * x). */
ROW(row_clamped_relu)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), a = x < 0 ? -2 : mil_need(ld, op, "alpha"), b = a < 0 ? -2 : mil_need(ld, op, "beta");
    if (b >= 0 && (!ld->lw.g->values[a].data || !ld->lw.g->values[b].data))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "clamped_relu alpha and beta must be constants");
    int hi = b < 0 ? -1 : cs_lower_const_scalar(&ld->lw, "beta", (float)mil_num(ld, op, "beta", 0));
    int t = hi < 0 ? -1 : cs_lower_tmp(&ld->lw, "leaky"), n = t < 0 ? -1 : cs_lower_node1(&ld->lw, "LeakyRelu", x, t);
    if (n < 0 || !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "alpha", mil_num(ld, op, "alpha", 0)))
        return done(ld, -1);
    return done(ld, cs_lower_node(&ld->lw, "Min", (int[]){t, hi}, 2, &y, 1));
}

/* A constant per-channel vector [C] as [C, 1, ...] for broadcasting against an input of rank r (axis r-? = 1). */
static int channel_const(cm_loader *ld, const mil_op *op, const char *name, int r)
{
    int v = mil_need(ld, op, name);
    const cs_tensor *t = v >= 0 ? ld->lw.g->values[v].data : NULL;
    if (v >= 0 && (!t || r < 3 || r > CS_MAX_RANK)) {
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s needs a constant '%s' and an input of known rank >= 3",
                      op->type, name);
        return -1;
    }
    if (v < 0)
        return -1;
    int64_t dims[CS_MAX_RANK] = {cs_tensor_numel(t)};
    for (int i = 1; i < r - 1; i++)
        dims[i] = 1;
    cs_tensor *c = cs_tensor_new(CS_DT_F32, r - 1, dims, ld->lw.err);
    for (int64_t i = 0; c && i < dims[0]; i++)
        ((float *)c->data)[i] = (float)cs_tensor_get_f64(t, i);
    return cs_lower_const(&ld->lw, name, c);
}

/* softplus_parametric(x [n, C, *D], alpha [C], beta [C]): alpha * log(1 + exp(beta * x)) per channel. */
ROW(row_softplus_parametric)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x");
    int r = x < 0 ? 0 : ld->lw.g->values[x].rank;
    int a = x < 0 ? -1 : channel_const(ld, op, "alpha", r), b = a < 0 ? -1 : channel_const(ld, op, "beta", r);
    int sp = b < 0 ? -1 : node2(ld, "Softplus", node2(ld, "Mul", x, b, NULL, 0), -1, NULL, 0);
    return done(ld, sp < 0 ? -1 : cs_lower_node(&ld->lw, "Mul", (int[]){sp, a}, 2, &y, 1));
}

/* threshold(x, alpha): max(x, alpha). */
ROW(row_threshold)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), a = x < 0 ? -1 : mil_need(ld, op, "alpha");
    return done(ld, a < 0 ? -1 : cs_lower_node(&ld->lw, "Max", (int[]){x, a}, 2, &y, 1));
}

/* one_hot(indices, one_hot_vector_size, axis = -1, on_value = 1, off_value = 0): ONNX OneHot, values typed as
 * on_value (int32 by default). */
ROW(row_one_hot)
{
    (void)ms, (void)arg;
    int i = mil_need(ld, op, "indices"), d = i < 0 ? -2 : mil_need(ld, op, "one_hot_vector_size");
    int on = d < 0 ? -2 : mil_opt(ld, op, "on_value"), off = on == -2 ? -2 : mil_opt(ld, op, "off_value");
    if (off == -2)
        return ld->lw.err->status;
    const cs_tensor *ot = on >= 0 ? ld->lw.g->values[on].data : off >= 0 ? ld->lw.g->values[off].data : NULL;
    if ((on >= 0 && !ld->lw.g->values[on].data) || (off >= 0 && !ld->lw.g->values[off].data))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "one_hot on_value/off_value computed at run time");
    int64_t two = 2;
    cs_tensor *vals = cs_tensor_new(ot ? ot->dtype : CS_DT_I32, 1, &two, ld->lw.err);
    if (vals) {
        cs_tensor_set_f64(vals, 0, off >= 0 ? cs_tensor_get_f64(ld->lw.g->values[off].data, 0) : 0);
        cs_tensor_set_f64(vals, 1, on >= 0 ? cs_tensor_get_f64(ld->lw.g->values[on].data, 0) : 1);
    }
    int v = cs_lower_const(&ld->lw, "values", vals);
    int n = v < 0 ? -1 : cs_lower_node(&ld->lw, "OneHot", (int[]){i, d, v}, 3, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis",
                                               mil_int(ld, op, "axis", -1)) ? -1 : 0);
}

/* fill(shape, value = 0.0): value broadcast (Expand) to the int32 shape, cast to int64. */
ROW(row_fill)
{
    (void)ms, (void)arg;
    int s = mil_need(ld, op, "shape"), v = s < 0 ? -2 : mil_opt(ld, op, "value");
    if (v == -2)
        return ld->lw.err->status;
    if (v == -1 && (v = cs_lower_const_scalar(&ld->lw, "value", 0.0f)) < 0)
        return done(ld, -1);
    int s64 = node2(ld, "Cast", s, -1, "to", CS_DT_I64);
    return done(ld, s64 < 0 ? -1 : cs_lower_node(&ld->lw, "Expand", (int[]){v, s64}, 2, &y, 1));
}

/* non_zero(x) -> int32 [N, rank]: ONNX NonZero's [rank, N] transposed. */
ROW(row_non_zero)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), nz = x < 0 ? -1 : node2(ld, "NonZero", x, -1, NULL, 0);
    int tr = nz < 0 ? -1 : cs_lower_tmp(&ld->lw, "transposed"), n;
    if (tr < 0 || (n = cs_lower_node1(&ld->lw, "Transpose", nz, tr)) < 0 ||
        !cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), "perm", (int64_t[]){1, 0}, 2))
        return done(ld, -1);
    n = cs_lower_node1(&ld->lw, "Cast", tr, y);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "to", CS_DT_I32) ? -1 : 0);
}

/* Slice of x's axes `axes` from b to e (constants). */
static cs_status slice(cm_loader *ld, int x, int y, const int64_t *b, const int64_t *e, const int64_t *axes, int k)
{
    int bv = cs_lower_const_i64(&ld->lw, "starts", b, k), ev = cs_lower_const_i64(&ld->lw, "ends", e, k);
    int av = cs_lower_const_i64(&ld->lw, "axes", axes, k);
    return done(ld, bv < 0 || ev < 0 || av < 0 ? -1 : cs_lower_node(&ld->lw, "Slice", (int[]){x, bv, ev, av}, 4, &y, 1));
}

/* crop(x, crop_height [2], crop_width [2]): drops rows/columns from both ends of the last two axes. */
ROW(row_crop)
{
    (void)ms, (void)arg;
    int64_t ch[2], cw[2];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    if (mil_ints(ld, op, "crop_height", ch, 2, &bad) != 2 || mil_ints(ld, op, "crop_width", cw, 2, &bad) != 2 ||
        ch[0] < 0 || ch[1] < 0 || cw[0] < 0 || cw[1] < 0)
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                                                       "crop needs 2 non-negative crop_height and "
                                                                       "crop_width values");
    int64_t b[2] = {ch[0], cw[0]}, e[2] = {ch[1] ? -ch[1] : INT64_MAX, cw[1] ? -cw[1] : INT64_MAX}, axes[2] = {-2, -1};
    return slice(ld, x, y, b, e, axes, 2);
}

/* reverse_sequence(x, lengths, seq_axis = 0, batch_axis = 0): ONNX ReverseSequence. */
ROW(row_reverse_sequence)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), l = x < 0 ? -2 : mil_need(ld, op, "lengths");
    int l64 = l < 0 ? -1 : node2(ld, "Cast", l, -1, "to", CS_DT_I64);
    int n = l64 < 0 ? -1 : cs_lower_node(&ld->lw, "ReverseSequence", (int[]){x, l64}, 2, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    return cs_attrs_add_int(a, "time_axis", mil_int(ld, op, "seq_axis", 0)) &&
                   cs_attrs_add_int(a, "batch_axis", mil_int(ld, op, "batch_axis", 0)) ? CS_OK
                                                                                               : cs_lower_nomem(&ld->lw);
}

/* pixel_unshuffle(x [N, C, H*f, W*f], downscale_factor f) -> [N, C*f*f, H, W], PyTorch's channel order
 * c*f*f + i*f + j: Reshape [N, C, H, f, W, f], Transpose (0, 1, 3, 5, 2, 4), Reshape. */
ROW(row_pixel_unshuffle)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    const cs_value *xv = &ld->lw.g->values[x];
    int64_t f = mil_int(ld, op, "downscale_factor", 0);
    if (xv->rank != 4 || f < 1 || f > 4096 || xv->dims[1] < 0 || xv->dims[2] < 0 || xv->dims[3] < 0 || xv->dims[2] % f ||
        xv->dims[3] % f)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "pixel_unshuffle needs an input [N, C, H, W] of known C, H, W divisible by the factor");
    int64_t C = xv->dims[1], H = xv->dims[2] / f, W = xv->dims[3] / f;
    int64_t s6[6] = {0, C, H, f, W, f}, s4[4] = {0, C * f * f, H, W}, perm[6] = {0, 1, 3, 5, 2, 4};
    int a = cs_lower_const_i64(&ld->lw, "shape6", s6, 6), b = cs_lower_const_i64(&ld->lw, "shape4", s4, 4);
    int r = a < 0 || b < 0 ? -1 : node2(ld, "Reshape", x, a, NULL, 0), t = r < 0 ? -1 : cs_lower_tmp(&ld->lw, "t"), n;
    if (t < 0 || (n = cs_lower_node1(&ld->lw, "Transpose", r, t)) < 0 ||
        !cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), "perm", perm, 6))
        return done(ld, -1);
    return done(ld, cs_lower_node(&ld->lw, "Reshape", (int[]){t, b}, 2, &y, 1));
}

/* scaled_dot_product_attention(query [..., L, E], key [..., S, E], value [..., S, Ev], attn_mask) (iOS18):
 * softmax(Q K^T / sqrt(E) + mask) V; a bool mask keeps True and sends False to -inf. */
ROW(row_sdpa)
{
    (void)ms, (void)arg;
    int q = mil_need(ld, op, "query"), k = q < 0 ? -2 : mil_need(ld, op, "key"), v = k < 0 ? -2 : mil_need(ld, op, "value");
    int m = v < 0 ? -2 : mil_opt(ld, op, "attn_mask");
    if (m == -2)
        return ld->lw.err->status;
    const cs_value *qv = &ld->lw.g->values[q];
    int r = ld->lw.g->values[k].rank;
    if (qv->rank < 2 || qv->dims[qv->rank - 1] < 1 || r < 2)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "scaled_dot_product_attention needs query and key of known rank and embedding size");
    int64_t perm[CS_MAX_RANK];
    for (int i = 0; i < r; i++)
        perm[i] = i;
    perm[r - 2] = r - 1, perm[r - 1] = r - 2;
    int kt = cs_lower_tmp(&ld->lw, "key_t"), n = kt < 0 ? -1 : cs_lower_node1(&ld->lw, "Transpose", k, kt);
    if (n < 0 || !cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), "perm", perm, r))
        return done(ld, -1);
    int sc = cs_lower_const_scalar(&ld->lw, "scale", (float)(1.0 / sqrt((double)qv->dims[qv->rank - 1])));
    int s = sc < 0 ? -1 : node2(ld, "Mul", node2(ld, "MatMul", q, kt, NULL, 0), sc, NULL, 0);
    if (s >= 0 && m >= 0 && ld->lw.g->values[m].dtype == CS_DT_BOOL) {
        int ninf = cs_lower_const_scalar(&ld->lw, "neg_inf", -INFINITY);
        int t = ninf < 0 ? -1 : cs_lower_tmp(&ld->lw, "masked");
        s = t < 0 || cs_lower_node(&ld->lw, "Where", (int[]){m, s, ninf}, 3, &t, 1) < 0 ? -1 : t;
    } else if (s >= 0 && m >= 0) {
        s = node2(ld, "Add", s, m, NULL, 0);
    }
    int p = s < 0 ? -1 : node2(ld, "Softmax", s, -1, "axis", -1);
    return done(ld, p < 0 ? -1 : cs_lower_node(&ld->lw, "MatMul", (int[]){p, v}, 2, &y, 1));
}

const mil_row mil_rows_extra[] = {
    {"l2_norm", row_l2_norm, NULL}, {"local_response_norm", row_lrn, NULL}, {"clamped_relu", row_clamped_relu, NULL},
    {"softplus_parametric", row_softplus_parametric, NULL}, {"threshold", row_threshold, NULL},
    {"one_hot", row_one_hot, NULL}, {"fill", row_fill, NULL}, {"non_zero", row_non_zero, NULL},
    {"crop", row_crop, NULL}, {"reverse_sequence", row_reverse_sequence, NULL},
    {"pixel_unshuffle", row_pixel_unshuffle, NULL}, {"scaled_dot_product_attention", row_sdpa, NULL},
    {NULL, NULL, NULL},
};
