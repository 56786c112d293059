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
    return ok < 0 ? (ld->err->status ? ld->err->status : cm_nomem(ld)) : CS_OK;
}

ROW(row_unary)
{
    (void)ms;
    int x = mil_need(ld, op, "x");
    return x < 0 ? ld->err->status : done(ld, cm_node1(ld, arg, x, y));
}

ROW(row_square)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x");
    return x < 0 ? ld->err->status : done(ld, cm_node(ld, "Mul", (int[]){x, x}, 2, &y, 1));
}

ROW(row_exp2)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), two = x < 0 ? -1 : cm_const_scalar(ld, "two", 2.0f);
    return two < 0 ? done(ld, -1) : done(ld, cm_node(ld, "Pow", (int[]){two, x}, 2, &y, 1));
}

/* floor_div: floor(x / y); mod: x - floor(x / y) * y (the sign of y, as Python's %). */
ROW(row_floor_div_mod)
{
    (void)ms;
    int x = mil_need(ld, op, "x"), z = x < 0 ? -2 : mil_need(ld, op, "y");
    if (z < 0)
        return ld->err->status;
    bool mod = arg != NULL;
    int q = cm_tmp(ld, "quotient"), f = mod ? cm_tmp(ld, "floor") : y, p = mod ? cm_tmp(ld, "product") : -1;
    if (q < 0 || f < 0 || (mod && p < 0) || cm_node(ld, "Div", (int[]){x, z}, 2, &q, 1) < 0 || cm_node1(ld, "Floor", q, f) < 0)
        return done(ld, -1);
    if (!mod)
        return CS_OK;
    return done(ld, cm_node(ld, "Mul", (int[]){f, z}, 2, &p, 1) < 0 ? -1 : cm_node(ld, "Sub", (int[]){x, p}, 2, &y, 1));
}

ROW(row_cumsum)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x");
    int64_t axis = (int64_t)mil_num(ld, op, "axis", 0);
    int a = x < 0 ? -1 : cm_const_i64(ld, "axis", &axis, 1);
    int n = a < 0 ? -1 : cm_node(ld, "CumSum", (int[]){x, a}, 2, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *at = cm_attrs(ld, n);
    return cs_attrs_add_int(at, "exclusive", mil_num(ld, op, "exclusive", 0) != 0) &&
                   cs_attrs_add_int(at, "reverse", mil_num(ld, op, "reverse", 0) != 0) ? CS_OK : cm_nomem(ld);
}

/* Slice over axes 0..n-1 with constant starts/ends/steps. */
static cs_status slice_node(cm_loader *ld, int x, int y, const int64_t *b, const int64_t *e, const int64_t *s, int n)
{
    int64_t ax[CS_MAX_RANK];
    for (int i = 0; i < n; i++)
        ax[i] = i;
    int bv = cm_const_i64(ld, "starts", b, n), ev = cm_const_i64(ld, "ends", e, n), av = cm_const_i64(ld, "axes", ax, n);
    int sv = cm_const_i64(ld, "steps", s, n);
    return bv < 0 || ev < 0 || av < 0 || sv < 0 ? done(ld, -1)
                                                : done(ld, cm_node(ld, "Slice", (int[]){x, bv, ev, av, sv}, 5, &y, 1));
}

/* slice_by_size(x, begin, size): size -1 runs to the end of the axis. */
ROW(row_slice_by_size)
{
    (void)ms, (void)arg;
    int64_t b[CS_MAX_RANK], sz[CS_MAX_RANK], e[CS_MAX_RANK], st[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->err->status;
    int n = mil_ints(ld, op, "begin", b, CS_MAX_RANK, &bad);
    if (bad || n < 1 || mil_ints(ld, op, "size", sz, CS_MAX_RANK, &bad) != n)
        return bad ? ld->err->status : cm_fail(ld, CS_ERR_UNSUPPORTED, "slice_by_size needs constant begin and size "
                                                "of one length");
    for (int i = 0; i < n; i++) {
        if (sz[i] < -1)
            return cm_fail(ld, CS_ERR_FORMAT, "slice_by_size: size %lld on axis %d", (long long)sz[i], i);
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
        return ld->err->status;
    int r = ld->g->values[x].rank, k = mil_ints(ld, op, "axes", axes, CS_MAX_RANK, &bad);
    if (bad || r < 1)
        return bad ? ld->err->status : cm_fail(ld, CS_ERR_UNSUPPORTED, "reverse of an input of unknown rank");
    for (int i = 0; i < r; i++)
        b[i] = 0, e[i] = INT64_MAX, s[i] = 1;
    for (int i = 0; i < (k < 0 ? r : k); i++) {
        int64_t a = k < 0 ? i : axes[i] < 0 ? axes[i] + r : axes[i];
        if (a < 0 || a >= r)
            return cm_fail(ld, CS_ERR_FORMAT, "reverse axis %lld of rank %d", (long long)axes[i], r);
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
        return ld->err->status;
    int64_t lower = (int64_t)mil_num(ld, op, "lower", -1), upper = (int64_t)mil_num(ld, op, "upper", -1);
    int cur = x;
    if (lower >= 0) {
        int64_t k = -lower;
        int kv = cm_const_i64(ld, "k_lower", &k, 1), t = upper >= 0 ? cm_tmp(ld, "lower_band") : y;
        int n = kv < 0 || t < 0 ? -1 : cm_node(ld, "Trilu", (int[]){cur, kv}, 2, &t, 1);
        if (n < 0 || !cs_attrs_add_int(cm_attrs(ld, n), "upper", 1))
            return done(ld, -1);
        cur = t;
    }
    if (upper >= 0) {
        int kv = cm_const_i64(ld, "k_upper", &upper, 1);
        int n = kv < 0 ? -1 : cm_node(ld, "Trilu", (int[]){cur, kv}, 2, &y, 1);
        if (n < 0 || !cs_attrs_add_int(cm_attrs(ld, n), "upper", 0))
            return done(ld, -1);
    }
    return lower < 0 && upper < 0 ? done(ld, cm_node1(ld, "Identity", x, y)) : CS_OK;
}

ROW(row_flatten2d)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), n = x < 0 ? -1 : cm_node1(ld, "Flatten", x, y);
    return done(ld, n < 0 || !cs_attrs_add_int(cm_attrs(ld, n), "axis", (int64_t)mil_num(ld, op, "axis", 1)) ? -1 : 0);
}

/* shape(x) is int32 in MIL. */
ROW(row_shape)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), s = x < 0 ? -1 : cm_tmp(ld, "shape64");
    if (s < 0 || cm_node1(ld, "Shape", x, s) < 0)
        return done(ld, -1);
    int n = cm_node1(ld, "Cast", s, y);
    return done(ld, n < 0 || !cs_attrs_add_int(cm_attrs(ld, n), "to", CS_DT_I32) ? -1 : 0);
}

ROW(row_range_1d)
{
    (void)ms, (void)arg;
    int e = mil_need(ld, op, "end"), s = e < 0 ? -2 : mil_need(ld, op, "start"), st = s < 0 ? -2 : mil_need(ld, op, "step");
    return st < 0 ? ld->err->status : done(ld, cm_node(ld, "Range", (int[]){s, e, st}, 3, &y, 1));
}

ROW(row_gather_along_axis)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), i = x < 0 ? -2 : mil_need(ld, op, "indices");
    int n = i < 0 ? -1 : cm_node(ld, "GatherElements", (int[]){x, i}, 2, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_int(cm_attrs(ld, n), "axis", (int64_t)mil_num(ld, op, "axis", 0)) ? -1 : 0);
}

ROW(row_gather_nd)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), i = x < 0 ? -2 : mil_need(ld, op, "indices");
    int n = i < 0 ? -1 : cm_node(ld, "GatherND", (int[]){x, i}, 2, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_int(cm_attrs(ld, n), "batch_dims",
                                                (int64_t)mil_num(ld, op, "batch_dims", 0)) ? -1 : 0);
}

/* scatter_along_axis / scatter_nd: mode update|add|mul|max|min map to ONNX reductions (sub, div do not). */
ROW(row_scatter)
{
    int x = mil_need(ld, op, "data"), i = x < 0 ? -2 : mil_need(ld, op, "indices");
    int u = i < 0 ? -2 : mil_need(ld, op, "updates");
    if (u < 0)
        return ld->err->status;
    const char *mode = mil_str(ms, op, "mode"), *red = !mode || strcmp(mode, "update") == 0 ? "none" : mode;
    if (strcmp(red, "none") && strcmp(red, "add") && strcmp(red, "mul") && strcmp(red, "max") && strcmp(red, "min"))
        return cm_fail(ld, CS_ERR_UNSUPPORTED, "scatter mode '%s' (update, add, mul, max and min are supported)", mode);
    bool nd = arg != NULL;
    int n = cm_node(ld, nd ? "ScatterND" : "ScatterElements", (int[]){x, i, u}, 3, &y, 1);
    if (n < 0 || !cs_attrs_add_string(cm_attrs(ld, n), "reduction", red))
        return done(ld, -1);
    return nd || cs_attrs_add_int(cm_attrs(ld, n), "axis", (int64_t)mil_num(ld, op, "axis", 0)) ? CS_OK : cm_nomem(ld);
}

const mil_row mil_rows_tensor[] = {
    {"tan", row_unary, "Tan"}, {"asin", row_unary, "Asin"}, {"acos", row_unary, "Acos"}, {"atan", row_unary, "Atan"},
    {"sinh", row_unary, "Sinh"}, {"cosh", row_unary, "Cosh"}, {"atanh", row_unary, "Atanh"},
    {"square", row_square, NULL}, {"exp2", row_exp2, NULL}, {"floor_div", row_floor_div_mod, NULL},
    {"mod", row_floor_div_mod, "mod"}, {"cumsum", row_cumsum, NULL}, {"slice_by_size", row_slice_by_size, NULL},
    {"reverse", row_reverse, NULL}, {"band_part", row_band_part, NULL}, {"flatten2d", row_flatten2d, NULL},
    {"shape", row_shape, NULL}, {"range_1d", row_range_1d, NULL}, {"gather_along_axis", row_gather_along_axis, NULL},
    {"gather_nd", row_gather_nd, NULL}, {"scatter_along_axis", row_scatter, NULL}, {"scatter_nd", row_scatter, "nd"},
    {NULL, NULL, NULL},
};
