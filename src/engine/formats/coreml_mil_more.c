/* coreml_mil_more.c — further MIL operations PyTorch and TensorFlow conversions emit: activations with
 * parameters, epsilon-guarded unary functions, reduce_*, layer_norm, instance_norm, slice_by_index,
 * upsample_* / resize_bilinear / resize_nearest_neighbor, conv_transpose and topk. Semantics follow coremltools'
 * converters/mil/mil/ops/defs/iOS15 docstrings (activation.py, elementwise_unary.py, reduction.py,
 * normalization.py, tensor_transformation.py, image_resizing.py, conv.py). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coreml_mil.h"

static cs_status done(cm_loader *ld, int ok)
{
    return ok < 0 ? (ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw)) : CS_OK;
}

static int scalar(cm_loader *ld, const char *hint, double v)
{
    return cs_lower_const_scalar(&ld->lw, hint, (float)v);
}

/* x + eps, then ONNX `onnx` (and Reciprocal after it for rsqrt). */
static cs_status eps_unary(cm_loader *ld, const mil_op *op, const char *onnx, double dflt, bool recip, int y)
{
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int e = scalar(ld, "epsilon", mil_num(ld, op, "epsilon", dflt)), s = cs_lower_tmp(&ld->lw, "x_eps");
    int mid = recip ? cs_lower_tmp(&ld->lw, onnx) : y;
    if (e < 0 || s < 0 || mid < 0 || cs_lower_node(&ld->lw, "Add", (int[]){x, e}, 2, &s,
                                                   1) < 0 || cs_lower_node1(&ld->lw, onnx, s, mid) < 0)
        return done(ld, -1);
    return recip ? done(ld, cs_lower_node1(&ld->lw, "Reciprocal", mid, y)) : CS_OK;
}

/* One ONNX node with float attributes read from MIL arguments (name, onnx attribute, default). */
static cs_status param_unary(cm_loader *ld, const mil_op *op, const char *onnx, int y, const char *const *params,
                             const double *dflts, int n_params)
{
    int x = mil_need(ld, op, "x"), k = x < 0 ? -1 : cs_lower_node1(&ld->lw, onnx, x, y);
    for (int i = 0; k >= 0 && i < n_params; i++)
        if (!cs_attrs_add_float(cs_lower_attrs(&ld->lw, k), params[2 * i + 1], mil_num(ld, op, params[2 * i],
                                                                                       dflts[i])))
            k = -1;
    return done(ld, k);
}

static cs_status op_gelu(cm_loader *ld, mil_state *ms, const mil_op *op, int y)
{
    const char *mode = mil_str(ms, op, "mode");
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    if (mode && strcmp(mode, "SIGMOID_APPROXIMATION") == 0) {
        int k = scalar(ld, "k", 1.702), a = cs_lower_tmp(&ld->lw, "kx"), s = cs_lower_tmp(&ld->lw, "sigmoid");
        if (k < 0 || a < 0 || s < 0 || cs_lower_node(&ld->lw, "Mul", (int[]){x, k}, 2, &a,
                                                     1) < 0 || cs_lower_node1(&ld->lw, "Sigmoid", a, s) < 0)
            return done(ld, -1);
        return done(ld, cs_lower_node(&ld->lw, "Mul", (int[]){x, s}, 2, &y, 1));
    }
    int n = cs_lower_node1(&ld->lw, "Gelu", x, y);
    if (n >= 0 && mode && strcmp(mode, "TANH_APPROXIMATION") == 0 && !cs_attrs_add_string(cs_lower_attrs(&ld->lw, n),
                                                                                          "approximate", "tanh"))
        n = -1;
    return done(ld, n);
}

static cs_status op_silu(cm_loader *ld, const mil_op *op, int y)
{
    int x = mil_need(ld, op, "x"), s = x < 0 ? -1 : cs_lower_tmp(&ld->lw, "sigmoid");
    if (s < 0 || cs_lower_node1(&ld->lw, "Sigmoid", x, s) < 0)
        return done(ld, -1);
    return done(ld, cs_lower_node(&ld->lw, "Mul", (int[]){x, s}, 2, &y, 1));
}

/* prelu: alpha [C] on axis 1 of a rank >= 3 input. */
static cs_status op_prelu(cm_loader *ld, const mil_op *op, int y)
{
    int x = mil_need(ld, op, "x"), a = x < 0 ? -2 : mil_need(ld, op, "alpha");
    if (a < 0)
        return ld->lw.err->status;
    const cs_tensor *at = ld->lw.g->values[a].data;
    int r = ld->lw.g->values[x].rank;
    if (!at || r < 2 || r > CS_MAX_RANK)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "prelu needs a constant alpha and an input of known rank");
    int64_t dims[CS_MAX_RANK] = {cs_tensor_numel(at)};
    for (int i = 1; i < r - 1; i++)
        dims[i] = 1;
    int c = cs_lower_const_f32(&ld->lw, "alpha", at->data, r - 1, dims);
    return done(ld, c < 0 ? -1 : cs_lower_node(&ld->lw, "PRelu", (int[]){x, c}, 2, &y, 1));
}

/* reduce_*(x, axes=None (all), keep_dims=False). */
static cs_status op_reduce(cm_loader *ld, const mil_op *op, const char *onnx, int y)
{
    int64_t axes[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int k = mil_ints(ld, op, "axes", axes, CS_MAX_RANK, &bad);
    if (bad)
        return ld->lw.err->status;
    bool as_input = strcmp(onnx, "ReduceSum") == 0 && k > 0; /* opset 13: ReduceSum takes axes as an input */
    int av = as_input ? cs_lower_const_i64(&ld->lw, "axes", axes, k) : -1;
    if (as_input && av < 0)
        return ld->lw.err->status;
    int n = cs_lower_node(&ld->lw, onnx, (int[]){x, av}, as_input ? 2 : 1, &y, 1);
    if (n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "keepdims", mil_num(ld, op, "keep_dims", 0) != 0))
        return done(ld, -1);
    return k > 0 && !as_input && !cs_attrs_add_ints(cs_lower_attrs(&ld->lw, n), "axes", axes,
                                                    k) ? cs_lower_nomem(&ld->lw) : CS_OK;
}

/* A constant of `n` copies of v shaped like dims[from..rank) of value x; -1 when x's dims are unknown. */
static int filled(cm_loader *ld, int x, int from, float v, const char *hint)
{
    const cs_value *xv = &ld->lw.g->values[x];
    int64_t dims[CS_MAX_RANK], n = 1;
    bool known = xv->rank >= 1 && from >= 0 && from < xv->rank;
    for (int i = from; known && i < xv->rank; i++)
        known = (dims[i - from] = xv->dims[i]) >= 1 && (n *= dims[i - from]) <= (1 << 24);
    if (!known) {
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "a default %s needs an input of known shape", hint);
        return -1;
    }
    cs_tensor *t = cs_tensor_new(CS_DT_F32, xv->rank - from, dims, ld->lw.err);
    for (int64_t i = 0; t && i < n; i++)
        ((float *)t->data)[i] = v;
    return cs_lower_const(&ld->lw, hint, t);
}

/* layer_norm over trailing axes: ONNX LayerNormalization(axis = first normalised axis). */
static cs_status op_layer_norm(cm_loader *ld, const mil_op *op, int y)
{
    int64_t axes[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int r = ld->lw.g->values[x].rank, k = mil_ints(ld, op, "axes", axes, CS_MAX_RANK, &bad);
    if (bad)
        return ld->lw.err->status;
    bool trailing = r > 0 && k > 0;
    for (int i = 0; trailing && i < k; i++)
        trailing = (axes[i] < 0 ? axes[i] + r : axes[i]) == r - k + i;
    if (!trailing)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "layer_norm over axes other than the trailing ones of a known rank");
    int g = mil_opt(ld, op, "gamma"), b = g == -2 ? -2 : mil_opt(ld, op, "beta");
    if (b == -2 || (g < 0 && (g = filled(ld, x, r - k, 1.0f, "gamma")) < 0) ||
        (b < 0 && (b = filled(ld, x, r - k, 0.0f, "beta")) < 0))
        return done(ld, -1);
    int n = cs_lower_node(&ld->lw, "LayerNormalization", (int[]){x, g, b}, 3, &y, 1);
    if (n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", r - k) ||
        !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "epsilon", mil_num(ld, op, "epsilon", 1e-5)))
        return done(ld, -1);
    return CS_OK;
}

static cs_status op_instance_norm(cm_loader *ld, const mil_op *op, int y)
{
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int g = mil_opt(ld, op, "gamma"), b = g == -2 ? -2 : mil_opt(ld, op, "beta");
    if (b == -2 || (g < 0 && (g = filled(ld, x, ld->lw.g->values[x].rank - 1, 1.0f, "gamma")) < 0))
        return done(ld, -1);
    const cs_tensor *gt = ld->lw.g->values[g].data;
    if ((gt && gt->rank != 1) || (!gt && b < 0))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "instance_norm needs a 1-d constant gamma (or both gamma and beta)");
    if (b < 0) {
        int64_t c = cs_tensor_numel(gt);
        if ((b = cs_lower_const(&ld->lw, "beta", cs_tensor_new(CS_DT_F32, 1, &c, ld->lw.err))) < 0)
            return done(ld, -1);
    }
    int n = cs_lower_node(&ld->lw, "InstanceNormalization", (int[]){x, g, b}, 3, &y, 1);
    return done(ld, n < 0 || !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "epsilon", mil_num(ld, op, "epsilon",
                                                                                                1e-5)) ? -1 : 0);
}

/* A bool mask argument as 0/1 per axis (absent: all false). */
static bool mask_arg(cm_loader *ld, const mil_op *op, const char *name, int64_t *m, int n)
{
    bool bad;
    for (int i = 0; i < n; i++)
        m[i] = 0;
    int k = mil_ints(ld, op, name, m, n, &bad);
    return !bad && (k < 0 || k == n);
}

/* slice_by_index(x, begin, end, stride, begin_mask, end_mask, squeeze_mask): one entry per axis. */
static cs_status op_slice(cm_loader *ld, const mil_op *op, int y)
{
    int64_t b[CS_MAX_RANK], e[CS_MAX_RANK], s[CS_MAX_RANK], bm[CS_MAX_RANK], em[CS_MAX_RANK], sm[CS_MAX_RANK];
    int64_t ax[CS_MAX_RANK], sq[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int n = mil_ints(ld, op, "begin", b, CS_MAX_RANK, &bad);
    if (bad || (n > 0 && mil_ints(ld, op, "end", e, CS_MAX_RANK, &bad) != n))
        return bad ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                                                        "slice_by_index needs constant begin and end");
    int ks = mil_ints(ld, op, "stride", s, CS_MAX_RANK, &bad);
    if (n < 1 || bad || (ks >= 0 && ks != n) || !mask_arg(ld, op, "begin_mask", bm, n) ||
        !mask_arg(ld, op, "end_mask", em, n) || !mask_arg(ld, op, "squeeze_mask", sm, n))
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                                                       "slice_by_index arguments disagree in length");
    int n_sq = 0;
    for (int i = 0; i < n; i++) {
        if (ks < 0)
            s[i] = 1;
        if (s[i] == 0)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "stride 0 on axis %d", i);
        b[i] = bm[i] ? (s[i] > 0 ? 0 : INT64_MAX) : b[i];
        e[i] = sm[i] ? (b[i] == -1 || b[i] == INT64_MAX ? INT64_MAX : b[i] + 1) : em[i] ? (s[i] > 0 ? INT64_MAX : INT64_MIN) : e[i];
        ax[i] = i;
        if (sm[i])
            sq[n_sq++] = i;
    }
    int bv = cs_lower_const_i64(&ld->lw, "starts", b, n), ev = cs_lower_const_i64(&ld->lw, "ends", e,
                                                                                  n), av = cs_lower_const_i64(&ld->lw,
                                                                                                              "axes", ax, n);
    int sv = cs_lower_const_i64(&ld->lw, "steps", s, n), mid = n_sq ? cs_lower_tmp(&ld->lw, "sliced") : y;
    if (bv < 0 || ev < 0 || av < 0 || sv < 0 || mid < 0 || cs_lower_node(&ld->lw, "Slice", (int[]){x, bv, ev, av, sv},
                                                                         5, &mid, 1) < 0)
        return done(ld, -1);
    int qv = n_sq ? cs_lower_const_i64(&ld->lw, "squeeze_axes", sq, n_sq) : 0;
    return n_sq ? done(ld, qv < 0 ? -1 : cs_lower_node(&ld->lw, "Squeeze", (int[]){mid, qv}, 2, &y, 1)) : CS_OK;
}

/* upsample_nearest_neighbor / upsample_bilinear (align_corners defaults to True in iOS15). */
static cs_status op_upsample(cm_loader *ld, const mil_op *op, bool linear, int y)
{
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    float sc[4] = {1, 1, (float)mil_num(ld, op, "scale_factor_height", 1), (float)mil_num(ld, op, "scale_factor_width", 1)};
    if (!(sc[2] > 0 && sc[3] > 0 && sc[2] <= 1024 && sc[3] <= 1024))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "impossible scale factors");
    int64_t four = 4;
    int s = cs_lower_const_f32(&ld->lw, "scales", sc, 1, &four);
    int n = s < 0 ? -1 : cs_lower_node(&ld->lw, "Resize", (int[]){x, -1, s}, 3, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    const char *ct = !linear ? "asymmetric" : mil_num(ld, op, "align_corners", 1) != 0 ? "align_corners" : "half_pixel";
    bool ok = cs_attrs_add_string(a, "mode", linear ? "linear" : "nearest") &&
              cs_attrs_add_string(a, "coordinate_transformation_mode", ct) &&
              (linear || cs_attrs_add_string(a, "nearest_mode", "floor"));
    return ok ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* True when argument `name` is absent or a load-time constant; otherwise fails: mil_num would read its default. */
static bool known_at_load(cm_loader *ld, const mil_op *op, const char *name)
{
    int v = mil_opt(ld, op, name);
    if (v >= 0 && ld->lw.g->values[v].data == NULL)
        cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s '%s' computed at run time (a constant is needed)", op->type,
                      name);
    return v == -1 || (v >= 0 && ld->lw.g->values[v].data != NULL);
}

/* Resize of the last two axes to sizes [h, w] (Resize with axes [-2, -1]) in coordinate mode ct. */
static cs_status resize_to(cm_loader *ld, int x, int64_t h, int64_t w, bool linear, const char *ct, int y)
{
    int64_t hw[2] = {h, w}, axes[2] = {-2, -1};
    int sz = cs_lower_const_i64(&ld->lw, "sizes", hw, 2);
    int n = sz < 0 ? -1 : cs_lower_node(&ld->lw, "Resize", (int[]){x, -1, -1, sz}, 4, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    bool ok = cs_attrs_add_ints(a, "axes", axes, 2) && cs_attrs_add_string(a, "mode", linear ? "linear" : "nearest") &&
              cs_attrs_add_string(a, "coordinate_transformation_mode", ct) &&
              (linear || cs_attrs_add_string(a, "nearest_mode", "floor"));
    return ok ? CS_OK : cs_lower_nomem(&ld->lw);
}

static cs_status resize_mode(cm_loader *ld, int x, int64_t h, int64_t w, bool linear, const char *mode, int y);

/* resize_bilinear(x, target_size_height/width = 1, sampling_mode = DEFAULT) and resize_nearest_neighbor(x,
 * target_size_height/width). iOS15 grid points (clamped to [0, in - 1]): DEFAULT i * in / out (asymmetric),
 * UNALIGN_CORNERS (i + 0.5) * in / out - 0.5 (half_pixel), [STRICT_]ALIGN_CORNERS i * (in - 1) / (out - 1)
 * (align_corners); OFFSET_CORNERS (0.5 + i) * max(1, in - 1) / out and ALIGN_CORNERS to size 1 have no ONNX
 * equivalent and run as convscope's MilResizeBilinear. Nearest: floor(i * in / out), as TensorFlow's. */
static cs_status op_resize(cm_loader *ld, mil_state *ms, const mil_op *op, bool linear, int y)
{
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    if (!known_at_load(ld, op, "target_size_height") || !known_at_load(ld, op, "target_size_width"))
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    double h = mil_num(ld, op, "target_size_height", 1), w = mil_num(ld, op, "target_size_width", 1);
    if (!(h >= 1 && w >= 1 && h <= 1 << 20 && w <= 1 << 20) || h != (int64_t)h || w != (int64_t)w)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "impossible target size %g x %g", h, w);
    return resize_mode(ld, x, (int64_t)h, (int64_t)w, linear, linear ? mil_str(ms, op, "sampling_mode") : NULL, y);
}

/* The last two axes of x resized to h x w by MIL sampling mode `mode` (NULL: DEFAULT; nearest: DEFAULT only). */
static cs_status resize_mode(cm_loader *ld, int x, int64_t h, int64_t w, bool linear, const char *mode, int y)
{
    const char *ct = "asymmetric";
    if (!linear && mode && strcmp(mode, "DEFAULT") != 0)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "nearest-neighbour resize with sampling_mode '%s'", mode);
    if (mode && strcmp(mode, "UNALIGN_CORNERS") == 0)
        ct = "half_pixel";
    else if (mode && (strcmp(mode, "ALIGN_CORNERS") == 0 || strcmp(mode, "STRICT_ALIGN_CORNERS") == 0)) {
        if ((h < 2 || w < 2) && mode[0] == 'A') /* ALIGN_CORNERS samples a size-1 axis in its middle */
            return mil_resize_grid(ld, x, h, w, mode, y);
        if (h < 2 || w < 2) /* STRICT_ALIGN_CORNERS's spacing (in - 1) / (out - 1) is undefined there */
            return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "resize_bilinear %s to a size-1 output", mode);
        ct = "align_corners";
    } else if (mode && strcmp(mode, "OFFSET_CORNERS") == 0)
        return mil_resize_grid(ld, x, h, w, mode, y);
    else if (mode && strcmp(mode, "DEFAULT") != 0)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "resize_bilinear sampling_mode '%s'", mode);
    return resize_to(ld, x, h, w, linear, ct, y);
}

/* resize (iOS17): the last resized_dims (1 or 2) axes of x to the last entries of a constant `shape` (0: keep x's
 * size), LINEAR in any sampling mode or NEAREST_NEIGHBOR; a shape computed at run time is refused. */
static cs_status op_resize17(cm_loader *ld, mil_state *ms, const mil_op *op, int y)
{
    int64_t shape[CS_MAX_RANK];
    bool bad;
    int x = mil_need(ld, op, "x");
    if (x < 0 || !known_at_load(ld, op, "shape"))
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    int64_t rd = mil_int(ld, op, "resized_dims", -1);
    int k = mil_ints(ld, op, "shape", shape, CS_MAX_RANK, &bad);
    const cs_value *xv = &ld->lw.g->values[x];
    if (bad)
        return ld->lw.err->status;
    if (k < 1 || rd < 1 || rd > 2 || rd > k || k > xv->rank || xv->rank < 2)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "resize with %lld resized dims of a %d-value shape (1 or 2 "
                             "dims of an input of known rank)", (long long)rd, k);
    int64_t hw[2] = {xv->dims[xv->rank - 2], xv->dims[xv->rank - 1]};
    for (int i = 0; i < rd; i++) {
        int64_t v = shape[k - rd + i], *dst = &hw[2 - rd + i];
        *dst = v == 0 ? *dst : v;
        if (*dst < 1 || *dst > (1 << 20))
            return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "resize to an unknown or impossible size");
    }
    const char *im = mil_str(ms, op, "interpolation_mode");
    bool linear = !im || strcmp(im, "LINEAR") == 0;
    if (!linear && strcmp(im, "NEAREST_NEIGHBOR") != 0)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "resize interpolation_mode '%s'", im);
    return resize_mode(ld, x, hw[0], hw[1], linear, mil_str(ms, op, "sampling_mode"), y);
}

/* A k computed at run time (a scalar or [1] int32) as the int64 [1] ONNX TopK reads: Cast, then Reshape. */
static int runtime_k(cm_loader *ld, int k)
{
    int64_t one = 1;
    int wide = cs_lower_tmp(&ld->lw, "k_i64"), shape = cs_lower_const_i64(&ld->lw, "k_shape", &one, 1);
    int out = cs_lower_tmp(&ld->lw, "k"), n = wide < 0 || shape < 0 || out < 0 ? -1 : cs_lower_node1(&ld->lw, "Cast",
                                                                                                   k, wide);
    if (n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "to", CS_DT_I64))
        return -1;
    return cs_lower_node(&ld->lw, "Reshape", (int[]){wide, shape}, 2, &out, 1) < 0 ? -1 : out;
}

/* topk(x, k = 1, axis = -1, ascending = False) -> (values, int32 indices): ONNX TopK, indices cast to int32. */
cs_status mil_topk(cm_loader *ld, const mil_op *op)
{
    const char *n0 = op->outputs[0]->name, *n1 = op->outputs[1]->name;
    if (!n0 || !n1 || cs_lower_layer(&ld->lw, n0, op->type, -1) != CS_OK)
        return n0 && n1 ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "topk outputs need names");
    if (!known_at_load(ld, op, "axis") || !known_at_load(ld, op, "ascending"))
        return ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
    int kin = mil_opt(ld, op, "k");
    if (kin == -2)
        return ld->lw.err->status;
    bool dynamic = kin >= 0 && !ld->lw.g->values[kin].data; /* iOS16+: k may be computed at run time */
    double kd = dynamic ? 0 : mil_num(ld, op, "k", 1);
    if (!(kd >= 0 && kd <= (double)INT32_MAX) || kd != (int64_t)kd)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "topk k = %g is not a count", kd);
    int64_t k = (int64_t)kd;
    int x = mil_need(ld, op, "x"), vals = x < 0 ? -1 : cm_blob(ld, n0), idx = vals < 0 ? -1 : cm_blob(ld, n1);
    int kv = idx < 0 ? -1 : dynamic ? runtime_k(ld, kin) : cs_lower_const_i64(&ld->lw, "k", &k, 1);
    int wide = kv < 0 ? -1 : cs_lower_tmp(&ld->lw, "indices_i64"), n, c;
    if (wide < 0 || (n = cs_lower_node(&ld->lw, "TopK", (int[]){x, kv}, 2, (int[]){vals, wide}, 2)) < 0 ||
        (c = cs_lower_node1(&ld->lw, "Cast", wide, idx)) < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    if (!cs_attrs_add_int(a, "axis", (int64_t)mil_num(ld, op, "axis", -1)) ||
        !cs_attrs_add_int(a, "largest", mil_num(ld, op, "ascending", 0) == 0) ||
        !cs_attrs_add_int(cs_lower_attrs(&ld->lw, c), "to", CS_DT_I32))
        return cs_lower_nomem(&ld->lw);
    mil_declare(ld, vals, op->outputs[0]->type);
    mil_declare(ld, idx, op->outputs[1]->type);
    return cs_layer_add_output(ld->lw.g, ld->lw.layer, vals) && cs_layer_add_output(ld->lw.g, ld->lw.layer, idx)
               ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* conv_transpose: weight [C_in, C_out/groups, k...] with 1 to 3 spatial axes (the weight's rank - 2, 2 when
 * unknown); custom pad [begin, end] per spatial axis crops the output (ONNX pads: all begins, then all ends). */
static cs_status op_conv_transpose(cm_loader *ld, mil_state *ms, const mil_op *op, int y)
{
    int64_t v[8], pads[6] = {0, 0, 0, 0, 0, 0};
    bool bad;
    int x = mil_need(ld, op, "x"), w = x < 0 ? -2 : mil_need(ld, op, "weight"), b = w < 0 ? -2 : mil_opt(ld, op, "bias");
    if (x < 0 || w < 0 || b == -2)
        return ld->lw.err->status;
    const cs_tensor *wt = ld->lw.g->values[w].data;
    int sp = wt ? wt->rank - 2 : ld->lw.g->values[w].rank > 0 ? ld->lw.g->values[w].rank - 2 : 2;
    if (sp < 1 || sp > 3)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "conv_transpose weight of rank %d (expected 3 to 5)", sp + 2);
    int n = cs_lower_node(&ld->lw, "ConvTranspose", (int[]){x, w, b}, b >= 0 ? 3 : 2, &y, 1);
    if (n < 0)
        return done(ld, -1);
    cs_attrs *a = cs_lower_attrs(&ld->lw, n);
    int k = mil_ints(ld, op, "strides", v, sp, &bad);
    if (bad || (k == sp && !cs_attrs_add_ints(a, "strides", v, sp)))
        return done(ld, -1);
    k = mil_ints(ld, op, "dilations", v, sp, &bad);
    if (bad || (k == sp && !cs_attrs_add_ints(a, "dilations", v, sp)) ||
        !cs_attrs_add_int(a, "group", (int64_t)mil_num(ld, op, "groups", 1)))
        return done(ld, -1);
    const char *pt = mil_str(ms, op, "pad_type");
    if (pt && strcmp(pt, "same") == 0)
        return cs_attrs_add_string(a, "auto_pad", "SAME_UPPER") ? CS_OK : cs_lower_nomem(&ld->lw);
    if (pt && strcmp(pt, "custom") == 0 && mil_ints(ld, op, "pad", v, 2 * sp, &bad) == 2 * sp)
        for (int i = 0; i < sp; i++)
            pads[i] = v[2 * i], pads[sp + i] = v[2 * i + 1];
    if (bad || !cs_attrs_add_ints(a, "pads", pads, 2 * sp))
        return done(ld, -1);
    k = mil_ints(ld, op, "output_shape", v, sp + 2, &bad);
    if (bad || (k >= sp && !cs_attrs_add_ints(a, "output_shape", v + k - sp, sp)))
        return done(ld, -1);
    return CS_OK;
}

/* split(x, num_splits | split_sizes, axis): one layer with every part as an output. */
cs_status mil_split(cm_loader *ld, const mil_op *op)
{
    int outs[64];
    int64_t sizes[64];
    bool bad;
    if (op->n_outputs > 64 || !op->outputs[0]->name || cs_lower_layer(&ld->lw, op->outputs[0]->name, op->type,
                                                                      -1) != CS_OK)
        return op->n_outputs > 64 || !op->outputs[0]->name ? cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                                                                           "split into more than 64 "
                                                                     "parts or without names") : ld->lw.err->status;
    for (size_t i = 0; i < op->n_outputs; i++)
        if (!op->outputs[i]->name || (outs[i] = cm_blob(ld, op->outputs[i]->name)) < 0)
            return op->outputs[i]->name ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                                                             "a split output has no name");
    int x = mil_need(ld, op, "x");
    if (x < 0)
        return ld->lw.err->status;
    int k = mil_ints(ld, op, "split_sizes", sizes, 64, &bad);
    if (bad || (k >= 0 && k != (int)op->n_outputs))
        return bad ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                                        "split_sizes has %d values for %zu outputs", k, op->n_outputs);
    int sv = k > 0 ? cs_lower_const_i64(&ld->lw, "split", sizes, k) : -1;
    if (k > 0 && sv < 0)
        return ld->lw.err->status;
    int n = cs_lower_node(&ld->lw, "Split", (int[]){x, sv}, k > 0 ? 2 : 1, outs, (int)op->n_outputs);
    if (n < 0 || !cs_attrs_add_int(cs_lower_attrs(&ld->lw, n), "axis", (int64_t)mil_num(ld, op, "axis", 0)))
        return done(ld, -1);
    for (size_t i = 0; i < op->n_outputs; i++) {
        mil_declare(ld, outs[i], op->outputs[i]->type);
        if (!cs_layer_add_output(ld->lw.g, ld->lw.layer, outs[i]))
            return cs_lower_nomem(&ld->lw);
    }
    return CS_OK;
}

/* ---- the rows: adapters from the table's uniform converter signature ---- */

#define ROW(name) static cs_status name(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)

ROW(row_plain)
{
    (void)ms;
    int x = mil_need(ld, op, "x");
    return x < 0 ? ld->lw.err->status : done(ld, cs_lower_node1(&ld->lw, arg, x, y));
}

ROW(row_reduce)
{
    (void)ms;
    return op_reduce(ld, op, arg, y);
}

ROW(row_relu6)
{
    (void)ms, (void)arg;
    int x = mil_need(ld, op, "x"), lo = scalar(ld, "min", 0), hi = scalar(ld, "max", 6);
    return x < 0 || lo < 0 || hi < 0 ? done(ld, -1) : done(ld, cs_lower_node(&ld->lw, "Clip", (int[]){x, lo, hi}, 3,
                                                                             &y, 1));
}

ROW(row_leaky_relu)
{
    static const char *names[] = {"alpha", "alpha"};
    static const double dflt[] = {0.01};
    (void)ms, (void)arg;
    return param_unary(ld, op, "LeakyRelu", y, names, dflt, 1);
}

ROW(row_elu)
{
    static const char *names[] = {"alpha", "alpha"};
    static const double dflt[] = {1.0};
    (void)ms, (void)arg;
    return param_unary(ld, op, "Elu", y, names, dflt, 1);
}

ROW(row_sigmoid_hard)
{
    static const char *names[] = {"alpha", "alpha", "beta", "beta"};
    static const double dflt[] = {0.2, 0.5};
    (void)ms, (void)arg;
    return param_unary(ld, op, "HardSigmoid", y, names, dflt, 2);
}

/* rsqrt, inverse and log carry an epsilon (defaults 1e-12, 1e-4, 1e-45 in iOS15). */
ROW(row_rsqrt) { (void)ms, (void)arg; return eps_unary(ld, op, "Sqrt", 1e-12, true, y); }
ROW(row_inverse) { (void)ms, (void)arg; return eps_unary(ld, op, "Reciprocal", 1e-4, false, y); }
ROW(row_log) { (void)ms, (void)arg; return eps_unary(ld, op, "Log", 1e-45, false, y); }
ROW(row_gelu) { (void)arg; return op_gelu(ld, ms, op, y); }
ROW(row_silu) { (void)ms, (void)arg; return op_silu(ld, op, y); }
ROW(row_prelu) { (void)ms, (void)arg; return op_prelu(ld, op, y); }
ROW(row_layer_norm) { (void)ms, (void)arg; return op_layer_norm(ld, op, y); }
ROW(row_instance_norm) { (void)ms, (void)arg; return op_instance_norm(ld, op, y); }
ROW(row_slice) { (void)ms, (void)arg; return op_slice(ld, op, y); }
ROW(row_upsample) { (void)ms; return op_upsample(ld, op, arg != NULL, y); }
ROW(row_resize) { return op_resize(ld, ms, op, arg != NULL, y); }
ROW(row_resize17) { (void)arg; return op_resize17(ld, ms, op, y); }
ROW(row_conv_transpose) { (void)arg; return op_conv_transpose(ld, ms, op, y); }

const mil_row mil_rows_more[] = {
    {"softplus", row_plain, "Softplus"}, {"softsign", row_plain, "Softsign"}, {"erf", row_plain, "Erf"},
    {"floor", row_plain, "Floor"}, {"ceil", row_plain, "Ceil"}, {"sin", row_plain, "Sin"}, {"cos", row_plain, "Cos"},
    {"reduce_sum", row_reduce, "ReduceSum"}, {"reduce_max", row_reduce, "ReduceMax"},
    {"reduce_min", row_reduce, "ReduceMin"}, {"reduce_prod", row_reduce, "ReduceProd"},
    {"reduce_l1_norm", row_reduce, "ReduceL1"}, {"reduce_l2_norm", row_reduce, "ReduceL2"},
    {"reduce_sum_square", row_reduce, "ReduceSumSquare"}, {"reduce_log_sum", row_reduce, "ReduceLogSum"},
    {"reduce_log_sum_exp", row_reduce, "ReduceLogSumExp"},
    {"relu6", row_relu6, NULL}, {"leaky_relu", row_leaky_relu, NULL}, {"elu", row_elu, NULL},
    {"sigmoid_hard", row_sigmoid_hard, NULL}, {"rsqrt", row_rsqrt, NULL}, {"inverse", row_inverse, NULL},
    {"log", row_log, NULL}, {"gelu", row_gelu, NULL}, {"silu", row_silu, NULL}, {"prelu", row_prelu, NULL},
    {"layer_norm", row_layer_norm, NULL}, {"instance_norm", row_instance_norm, NULL},
    {"slice_by_index", row_slice, NULL}, {"upsample_nearest_neighbor", row_upsample, NULL},
    {"upsample_bilinear", row_upsample, "linear"}, {"conv_transpose", row_conv_transpose, NULL},
    {"resize_bilinear", row_resize, "linear"}, {"resize_nearest_neighbor", row_resize, NULL},
    {"resize", row_resize17, NULL},
    {NULL, NULL, NULL},
};
