/* coreml_mil_tensor.c — more MIL rows after coremltools' iOS15 docstrings (elementwise_unary.py, elementwise_binary.py,
 * tensor_operation.py, tensor_transformation.py, scatter_gather.py): trigonometric and hyperbolic functions,
 * square, exp2, floor_div, mod, cumsum, slice_by_size, reverse, band_part, flatten2d, shape, range_1d,
 * gather_along_axis, gather_nd, scatter_along_axis and scatter_nd. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coreml_mil.h"

#define ROW(name) static cs_status name(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)

static cs_status done(cm_loader *ld, int ok)
{
    return ok < 0 ? (ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw)) : CS_OK;
}

ROW(row_unary)
{
    (void)ms;
    int x = mil_need(ld, op, "x");
    return x < 0 ? ld->lw.err->status : done(ld, cs_lower_node1(&ld->lw, arg, x, y));
}

ROW(row_square)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x");
    return x < 0 ? ld->lw.err->status : done(ld, cs_lower_node(&ld->lw, "Mul", (int[]){x, x}, 2, &y, 1));
}

ROW(row_exp2)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), two = x < 0 ? -1 : cs_lower_const_scalar(&ld->lw, "two", 2.0f);
    return two < 0 ? done(ld, -1) : done(ld, cs_lower_node(&ld->lw, "Pow", (int[]){two, x}, 2, &y, 1));
}

/* floor_div: floor(x / y); mod: x - floor(x / y) * y (the sign of y, as Python's %). */
ROW(row_floor_div_mod)
{
    (void)ms;
    int x = mil_need(ld, op, "x"), z = x < 0 ? -2 : mil_need(ld, op, "y");
    if (z < 0)
        return ld->lw.err->status;
    bool mod = arg != NULL;
    int q = cs_lower_tmp(&ld->lw, "quotient"), f = mod ? cs_lower_tmp(&ld->lw,
                                                                      "floor") : y, p = mod ? cs_lower_tmp(&ld->lw,
                                                                                                           "product") : -1;
    if (q < 0 || f < 0 || (mod && p < 0) || cs_lower_node(&ld->lw, "Div", (int[]){x, z}, 2, &q,
                                                          1) < 0 || cs_lower_node1(&ld->lw, "Floor", q, f) < 0)
        return done(ld, -1);
    if (!mod)
        return CS_OK;
    return done(ld, cs_lower_node(&ld->lw, "Mul", (int[]){f, z}, 2, &p, 1) < 0 ? -1 : cs_lower_node(&ld->lw, "Sub",
                                                                                                    (int[]){x, p}, 2, &y, 1));
}

ROW(row_cumsum)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x");
    int64_t axis = (int64_t)mil_num(ld, op, "axis", 0);
    int a = x < 0 ? -1 : cs_lower_const_i64(&ld->lw, "axis", &axis, 1);
    int n = a < 0 ? -1 : cs_lower_node(&ld->lw, "CumSum", (int[]){x, a}, 2, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *at = cs_lower_attrs(&ld->lw, n);
    return cs_attrs_add_int(at, "exclusive", mil_num(ld, op, "exclusive", 0) != 0) &&
                   cs_attrs_add_int(at, "reverse", mil_num(ld, op, "reverse",
                                                           0) != 0) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* Slice over axes 0..n-1 with constant starts/ends/steps. */
static cs_status slice_node(cm_loader *ld, int x, int y, const int64_t *b, const int64_t *e, const int64_t *s, int n)
{
    int64_t ax[CS_MAX_RANK];
    for (int i = 0; i < n; i++)
        ax[i] = i;
    int bv = cs_lower_const_i64(&ld->lw, "starts", b, n), ev = cs_lower_const_i64(&ld->lw, "ends", e,
                                                                                  n), av = cs_lower_const_i64(&ld->lw,
                                                                                                              "axes", ax, n);
    int sv = cs_lower_const_i64(&ld->lw, "steps", s, n);
    return bv < 0 || ev < 0 || av < 0 || sv < 0 ? done(ld, -1)
                                                : done(ld, cs_lower_node(&ld->lw, "Slice", (int[]){x, bv, ev, av, sv},
                                                                         5, &y, 1));
}

/* slice_by_size(x, begin, size): size -1 runs to the end of the axis. */
ROW(row_slice_by_size)
{
    (void)ms, (void)arg;
    int64_t b[CS_MAX_RANK], sz[CS_MAX_RANK], e[CS_MAX_RANK], st[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int n = mil_ints(ld, op, "begin", b, CS_MAX_RANK, &bad);
    if (bad || n < 1 || mil_ints(ld, op, "size", sz, CS_MAX_RANK, &bad) != n)
        return bad ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                                                        "slice_by_size needs constant begin and size "
                                                        "of one length");
    for (int i = 0; i < n; i++) {
        if (sz[i] < -1)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "slice_by_size: size %lld on axis %d", (long long)sz[i], i);
        e[i] = sz[i] == -1 ? INT64_MAX : b[i] + sz[i];
        st[i] = 1;
    }
    return slice_node(ld, x, y, b, e, st, n);
}

/* reverse(x, axes=None: all axes). */
ROW(row_reverse)
{
    (void)ms, (void)arg;
    int64_t axes[CS_MAX_RANK], b[CS_MAX_RANK], e[CS_MAX_RANK], s[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int r = ld->lw.g->values[x].rank, k = mil_ints(ld, op, "axes", axes, CS_MAX_RANK, &bad);
    if (bad || r < 1)
        return bad ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                                                        "reverse of an input of unknown rank");
    for (int i = 0; i < r; i++)
        b[i] = 0, e[i] = INT64_MAX, s[i] = 1;
    for (int i = 0; i < (k < 0 ? r : k); i++) {
        int64_t a = k < 0 ? i : axes[i] < 0 ? axes[i] + r : axes[i];
        if (a < 0 || a >= r)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "reverse axis %lld of rank %d", (long long)axes[i], r);
        b[a] = -1, e[a] = INT64_MIN, s[a] = -1;
    }
    return slice_node(ld, x, y, b, e, s, r);
}

/* band_part(x, lower=-1, upper=-1): keeps j - i in [-lower, upper] of the last two axes (-1: no bound). */
ROW(row_band_part)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int64_t lower = (int64_t)mil_num(ld, op, "lower", -1), upper = (int64_t)mil_num(ld, op, "upper", -1);
    int cur = x;
    if (lower >= 0) {
        int64_t k = -lower;
        int kv = cs_lower_const_i64(&ld->lw, "k_lower", &k, 1), t = upper >= 0 ? cs_lower_tmp(&ld->lw,
                                                                                              "lower_band") : y;
        int n = kv < 0 || t < 0 ? -1 : cs_lower_node(&ld->lw, "Trilu", (int[]){cur, kv}, 2, &t, 1);
        if (n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "upper", 1))
            return done(ld, -1);
        cur = t;
    }
    if (upper >= 0) {
        int kv = cs_lower_const_i64(&ld->lw, "k_upper", &upper, 1);
        int n = kv < 0 ? -1 : cs_lower_node(&ld->lw, "Trilu", (int[]){cur, kv}, 2, &y, 1);
        if (n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "upper", 0))
            return done(ld, -1);
    }
    return lower < 0 && upper < 0 ? done(ld, cs_lower_node1(&ld->lw, "Identity", x, y)) : CS_OK;
}

ROW(row_flatten2d)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), n = x < 0 ? -1 : cs_lower_node1(&ld->lw, "Flatten", x, y);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", (int64_t)mil_num(ld, op, "axis",
                                                                                                    1)) ? -1 : 0);
}

/* shape(x) is int32 in MIL. */
ROW(row_shape)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), s = x < 0 ? -1 : cs_lower_tmp(&ld->lw, "shape64");
    if (s < 0 || cs_lower_node1(&ld->lw, "Shape", x, s) < 0)
        return done(ld, -1);
    int n = cs_lower_node1(&ld->lw, "Cast", s, y);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "to", CS_DT_I32) ? -1 : 0);
}

ROW(row_range_1d)
{
    (void)ms, (void)arg;
    int e = mil_need(ld, op, "end"), s = e < 0 ? -2 : mil_need(ld, op, "start"), st = s < 0 ? -2 : mil_need(ld, op, "step");
    return st < 0 ? ld->lw.err->status : done(ld, cs_lower_node(&ld->lw, "Range", (int[]){s, e, st}, 3, &y, 1));
}

ROW(row_gather_along_axis)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), i = x < 0 ? -2 : mil_need(ld, op, "indices");
    int n = i < 0 ? -1 : cs_lower_node(&ld->lw, "GatherElements", (int[]){x, i}, 2, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", (int64_t)mil_num(ld, op, "axis",
                                                                                                    0)) ? -1 : 0);
}

ROW(row_gather_nd)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), i = x < 0 ? -2 : mil_need(ld, op, "indices");
    int n = i < 0 ? -1 : cs_lower_node(&ld->lw, "GatherND", (int[]){x, i}, 2, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "batch_dims",
                                               (int64_t)mil_num(ld, op, "batch_dims", 0)) ? -1 : 0);
}

/* Plain scatter's 1-D indices [C] spread to the updates' shape along `axis` (Reshape to [1.., C, ..1], Expand to
 * Shape(updates)), so ScatterElements computes it; -1 on failure. */
static int spread_indices(cm_loader *ld, int i, int u, int r, int64_t axis)
{
    int64_t shape[CS_MAX_RANK];
    if (r < 1 || axis < -r || axis >= r) {
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "scatter axis %lld of an input of rank %d", (long long)axis, r);
        return -1;
    }
    for (int k = 0; k < r; k++)
        shape[k] = k == (axis < 0 ? axis + r : axis) ? -1 : 1;
    int sv = cs_lower_const_i64(&ld->lw, "indices_shape", shape, r), ri = cs_lower_tmp(&ld->lw, "indices_axis");
    int us = cs_lower_tmp(&ld->lw, "updates_shape"), out = cs_lower_tmp(&ld->lw, "indices_spread");
    if (sv < 0 || ri < 0 || us < 0 || out < 0 || cs_lower_node(&ld->lw, "Reshape", (int[]){i, sv}, 2, &ri, 1) < 0 ||
        cs_lower_node1(&ld->lw, "Shape", u, us) < 0 || cs_lower_node(&ld->lw, "Expand", (int[]){ri, us}, 2, &out, 1) < 0)
        return -1;
    return out;
}

/* scatter, scatter_along_axis, scatter_nd (mode add by default, as coremltools' default_inputs): update, add,
 * mul, max and min map to ONNX reductions, sub to add of -updates, div to mul of 1/updates (one rounding more). */
ROW(row_scatter)
{
    int x = mil_need(ld, op, "data"), i = x < 0 ? -2 : mil_need(ld, op, "indices");
    int u = i < 0 ? -2 : mil_need(ld, op, "updates");
    if (u < 0)
        return ld->lw.err->status;
    const char *mode = mil_str(ms, op, "mode"), *red = !mode ? "add" : strcmp(mode, "update") == 0 ? "none" : mode;
    bool sub = strcmp(red, "sub") == 0, div = strcmp(red, "div") == 0;
    if (sub || div) {
        int t = cs_lower_tmp(&ld->lw, sub ? "neg_updates" : "inv_updates");
        if (t < 0 || cs_lower_node1(&ld->lw, sub ? "Neg" : "Reciprocal", u, t) < 0)
            return done(ld, -1);
        u = t, red = sub ? "add" : "mul";
    }
    if (strcmp(red, "none") && strcmp(red, "add") && strcmp(red, "mul") && strcmp(red, "max") && strcmp(red, "min"))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "scatter mode '%s' (update, add, sub, mul, div, max and min are supported)", mode);
    bool nd = arg && strcmp(arg, "nd") == 0;
    int64_t axis = (int64_t)mil_num(ld, op, "axis", 0);
    if (arg && strcmp(arg, "plain") == 0 && (i = spread_indices(ld, i, u, ld->lw.g->values[x].rank, axis)) < 0)
        return done(ld, -1);
    int n = cs_lower_node(&ld->lw, nd ? "ScatterND" : "ScatterElements", (int[]){x, i, u}, 3, &y, 1);
    if (n < 0 || !cs_attrs_add_string(cs_lower_attrs(&ld->lw, n), "reduction", red))
        return done(ld, -1);
    return nd || cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", axis) ? CS_OK : cs_lower_nomem(&ld->lw);
}

const mil_row mil_rows_tensor[] = {
    {"tan", row_unary, "Tan"}, {"asin", row_unary, "Asin"}, {"acos", row_unary, "Acos"}, {"atan", row_unary, "Atan"},
    {"sinh", row_unary, "Sinh"}, {"cosh", row_unary, "Cosh"}, {"atanh", row_unary, "Atanh"},
    {"square", row_square, NULL}, {"exp2", row_exp2, NULL}, {"floor_div", row_floor_div_mod, NULL},
    {"mod", row_floor_div_mod, "mod"}, {"cumsum", row_cumsum, NULL}, {"slice_by_size", row_slice_by_size, NULL},
    {"reverse", row_reverse, NULL}, {"band_part", row_band_part, NULL}, {"flatten2d", row_flatten2d, NULL},
    {"shape", row_shape, NULL}, {"range_1d", row_range_1d, NULL}, {"gather_along_axis", row_gather_along_axis, NULL},
    {"gather_nd", row_gather_nd, NULL}, {"scatter_along_axis", row_scatter, NULL}, {"scatter_nd", row_scatter, "nd"},
    {"scatter", row_scatter, "plain"},
    {NULL, NULL, NULL},
};
