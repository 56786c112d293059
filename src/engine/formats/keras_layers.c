/* keras_layers.c — the table of supported Keras layer classes, and the emitters for Dense,
 * normalisation and activation layers (ReLU with Keras's max_value/negative_slope/threshold rule). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

static const struct {
    const char *cls;
    ks_emit_fn fn;
} table[] = {
    {"Dense", ks_emit_dense},
    {"Conv1D", ks_emit_conv},
    {"Conv2D", ks_emit_conv},
    {"DepthwiseConv2D", ks_emit_conv},
    {"SeparableConv1D", ks_emit_conv},
    {"SeparableConv2D", ks_emit_conv},
    {"Conv2DTranspose", ks_emit_conv_transpose},
    {"Conv1DTranspose", ks_emit_conv_transpose},
    {"MaxPooling1D", ks_emit_pool},
    {"MaxPooling2D", ks_emit_pool},
    {"AveragePooling1D", ks_emit_pool},
    {"AveragePooling2D", ks_emit_pool},
    {"MaxPool1D", ks_emit_pool},
    {"MaxPool2D", ks_emit_pool},
    {"AvgPool1D", ks_emit_pool},
    {"AvgPool2D", ks_emit_pool},
    {"GlobalAveragePooling1D", ks_emit_global_pool},
    {"GlobalAveragePooling2D", ks_emit_global_pool},
    {"GlobalMaxPooling1D", ks_emit_global_pool},
    {"GlobalMaxPooling2D", ks_emit_global_pool},
    {"BatchNormalization", ks_emit_batchnorm},
    {"LayerNormalization", ks_emit_layernorm},
    {"Activation", ks_emit_act_layer},
    {"ReLU", ks_emit_act_layer},
    {"LeakyReLU", ks_emit_act_layer},
    {"PReLU", ks_emit_act_layer},
    {"ELU", ks_emit_act_layer},
    {"Softmax", ks_emit_act_layer},
    {"Flatten", ks_emit_shape_layer},
    {"Reshape", ks_emit_shape_layer},
    {"Permute", ks_emit_shape_layer},
    {"ZeroPadding1D", ks_emit_shape_layer},
    {"ZeroPadding2D", ks_emit_shape_layer},
    {"Cropping1D", ks_emit_shape_layer},
    {"Cropping2D", ks_emit_shape_layer},
    {"UpSampling1D", ks_emit_shape_layer},
    {"UpSampling2D", ks_emit_shape_layer},
    {"Add", ks_emit_merge},
    {"Subtract", ks_emit_merge},
    {"Multiply", ks_emit_merge},
    {"Average", ks_emit_merge},
    {"Maximum", ks_emit_merge},
    {"Minimum", ks_emit_merge},
    {"Concatenate", ks_emit_merge},
    {"Dropout", ks_emit_misc},
    {"SpatialDropout1D", ks_emit_misc},
    {"SpatialDropout2D", ks_emit_misc},
    {"GaussianNoise", ks_emit_misc},
    {"GaussianDropout", ks_emit_misc},
    {"AlphaDropout", ks_emit_misc},
    {"ActivityRegularization", ks_emit_misc},
    {"Rescaling", ks_emit_misc},
    {"Embedding", ks_emit_misc},
};

ks_emit_fn ks_layer_emitter(const char *cls)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].cls, cls) == 0)
            return table[i].fn;
    return NULL;
}

int ks_emit_dense(ks_layer_ctx *lc, const int *ins, int n_in)
{
    int64_t units;
    bool use_bias;
    if (n_in != 1 || !ks_int(lc, "units", -1, &units) || !ks_bool(lc, "use_bias", true, &use_bias))
        return -1;
    int r = ks_rank(lc, ins[0]);
    int64_t kd[2] = {r >= 2 ? ks_dims(lc, ins[0])[r - 1] : -1, units};
    if (units < 1 || r < 2 || kd[0] < 0)
        return cs_lower_fail(&lc->lw, CS_ERR_SHAPE,
                             "needs units >= 1 and an input of rank >= 2 with a known last dimension"), -1;
    if (ks_expect_weights(lc, use_bias ? 2 : 1, use_bias ? "kernel and bias" : "kernel, no bias") != CS_OK ||
        ks_check_weight(lc, 0, "kernel", 2, kd) != CS_OK || (use_bias && ks_check_weight(lc, 1, "bias", 1, &units)))
        return -1;
    int kv = ks_use_weight(lc, 0, "kernel", CS_LAYOUT_IO);
    int bv = use_bias ? ks_use_weight(lc, 1, "bias", CS_LAYOUT_UNKNOWN) : -2;
    if (kv < 0 || bv == -1)
        return -1;
    int mm[2] = {ins[0], kv}, node;
    int out = ks_op(lc, "MatMul", mm, 2, &node);
    out = out >= 0 && cs_lower_infer(&lc->lw, node) == CS_OK ? out : -1;
    if (out >= 0 && use_bias) {
        int add[2] = {out, bv};
        out = ks_op(lc, "Add", add, 2, &node);
        out = out >= 0 && cs_lower_infer(&lc->lw, node) == CS_OK ? out : -1;
    }
    return ks_activation(lc, out, NULL);
}

/* The normalised axis option (int or one-element list) of a rank-r input; -1 on error. */
static int norm_axis(ks_layer_ctx *lc, int r, int64_t dflt)
{
    int64_t axis;
    if (!ks_int(lc, "axis", dflt, &axis))
        return -1;
    if (axis < 0)
        axis += r;
    if (axis < 1 || axis >= r)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "axis %lld is out of range for a rank-%d input", (long long)axis,
                             r), -1;
    return (int)axis;
}

/* Broadcast shape [C, 1, ...] for a per-channel constant at `axis` of a rank-r tensor. */
static int channel_const(ks_layer_ctx *lc, const char *what, const float *v, int64_t c, int axis, int r)
{
    int64_t dims[CS_MAX_RANK];
    int n = r - axis;
    dims[0] = c;
    for (int i = 1; i < n; i++)
        dims[i] = 1;
    return cs_lower_const_f32(&lc->lw, what, v, n, dims);
}

int ks_emit_batchnorm(ks_layer_ctx *lc, const int *ins, int n_in)
{
    bool center, scale;
    double eps;
    int r = n_in == 1 ? ks_rank(lc, ins[0]) : 0, axis = n_in == 1 ? norm_axis(lc, r, -1) : -1;
    if (axis < 0 || !ks_bool(lc, "center", true, &center) || !ks_bool(lc, "scale", true, &scale) ||
        !ks_num(lc, "epsilon", 1e-3, &eps))
        return -1;
    int64_t c = ks_dims(lc, ins[0])[axis];
    int nw = (center ? 1 : 0) + (scale ? 1 : 0) + 2, gi = scale ? 0 : -1, bi = center ? (scale ? 1 : 0) : -1;
    static const char *names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    const char *roles[4];
    int k = 0;
    for (int i = 0; i < 4; i++)
        if ((i != 0 || scale) && (i != 1 || center))
            roles[k++] = names[i];
    if (c < 0 || ks_expect_weights(lc, nw, "gamma/beta per scale/center, moving_mean, moving_variance") != CS_OK)
        return c < 0 ? (cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "the normalised axis has an unknown size"), -1) : -1;
    for (int i = 0; i < nw; i++)
        if (ks_check_weight(lc, i, roles[i], 1, &c) != CS_OK || ks_use_weight(lc, i, roles[i], CS_LAYOUT_UNKNOWN) < 0)
            return -1;
    if (lc->cache[0] < 0) {
        float *mul = malloc((size_t)c * sizeof *mul), *add = malloc((size_t)c * sizeof *add);
        const float *mean = ks_weight(lc, nw - 2)->data, *var = ks_weight(lc, nw - 1)->data;
        for (int64_t i = 0; mul && add && i < c; i++) {
            float inv = 1.0f / sqrtf(var[i] + (float)eps);
            mul[i] = gi >= 0 ? inv * ((const float *)ks_weight(lc, gi)->data)[i] : inv;
            add[i] = (bi >= 0 ? ((const float *)ks_weight(lc, bi)->data)[i] : 0.0f) - mean[i] * mul[i];
        }
        if (mul && add) {
            lc->cache[0] = channel_const(lc, "bn_mul", mul, c, axis, r);
            lc->cache[1] = channel_const(lc, "bn_add", add, c, axis, r);
        }
        free(mul);
        free(add);
        if (lc->cache[0] < 0 || lc->cache[1] < 0)
            return -1;
    }
    int m[2] = {ins[0], lc->cache[0]};
    int out = ks_node(lc, "Mul", m, 2, r, ks_dims(lc, ins[0]), NULL);
    int a[2] = {out, lc->cache[1]};
    return out < 0 ? -1 : ks_node(lc, "Add", a, 2, r, ks_dims(lc, ins[0]), NULL);
}

/* The first normalised axis of a LayerNormalization whose axes must run to the last one. */
static int ln_axis(ks_layer_ctx *lc, int r)
{
    json_t *a = ks_cfg(lc, "axis");
    if (!json_is_array(a) || json_array_size(a) <= 1)
        return norm_axis(lc, r, -1);
    bool seen[CS_MAX_RANK] = {false};
    int lo = r;
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *x = json_array_get(a, i);
        int64_t v = json_is_integer(x) ? json_integer_value(x) : -100;
        v = v < 0 ? v + r : v;
        if (v < 1 || v >= r)
            return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "axis list holds an axis out of range"), -1;
        seen[v] = true;
        lo = (int)v < lo ? (int)v : lo;
    }
    for (int i = lo; i < r; i++)
        if (!seen[i])
            return cs_lower_fail(&lc->lw, CS_ERR_UNSUPPORTED, "normalising axes that do not run to the last axis"), -1;
    return lo;
}

int ks_emit_layernorm(ks_layer_ctx *lc, const int *ins, int n_in)
{
    bool center, scale, rms;
    double eps;
    int r = n_in == 1 ? ks_rank(lc, ins[0]) : 0, axis = n_in == 1 ? ln_axis(lc, r) : -1;
    if (axis < 0 || !ks_bool(lc, "center", true, &center) || !ks_bool(lc, "scale", true, &scale) ||
        !ks_num(lc, "epsilon", 1e-3, &eps) || !ks_bool(lc, "rms_scaling", false, &rms))
        return -1;
    if (rms)
        return cs_lower_fail(&lc->lw, CS_ERR_UNSUPPORTED, "rms_scaling is not supported"), -1;
    int n = r - axis;
    int64_t pd[CS_MAX_RANK]; /* a copy: new constants may move the graph's values */
    memcpy(pd, ks_dims(lc, ins[0]) + axis, (size_t)n * sizeof *pd);
    int64_t numel = 1;
    for (int i = 0; i < n; i++)
        numel = pd[i] < 0 || numel < 0 ? -1 : numel * pd[i];
    if (numel < 0)
        return cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "the normalised axes have unknown sizes"), -1;
    int nw = (scale ? 1 : 0) + (center ? 1 : 0);
    if (ks_expect_weights(lc, nw, "gamma/beta per scale/center") != CS_OK ||
        (scale && ks_check_weight(lc, 0, "gamma", n, pd) != CS_OK) ||
        (center && ks_check_weight(lc, nw - 1, "beta", n, pd) != CS_OK))
        return -1;
    int gv = scale ? ks_use_weight(lc, 0, "gamma", CS_LAYOUT_UNKNOWN) : lc->cache[0];
    int bv = center ? ks_use_weight(lc, nw - 1, "beta", CS_LAYOUT_UNKNOWN) : -1;
    if (gv < 0 && !scale) {
        float *ones = malloc((size_t)numel * sizeof *ones);
        for (int64_t i = 0; ones && i < numel; i++)
            ones[i] = 1.0f;
        gv = lc->cache[0] = ones ? cs_lower_const_f32(&lc->lw, "ones", ones, n, pd) : -1;
        free(ones);
    }
    if (gv < 0 || (center && bv < 0))
        return -1;
    int li[3] = {ins[0], gv, bv}, node;
    int out = ks_node(lc, "LayerNormalization", li, center ? 3 : 2, r, ks_dims(lc, ins[0]), &node);
    if (out >= 0 && (!cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "axis", axis) ||
                     !cs_attrs_add_float(cs_lower_attrs(&lc->lw, node), "epsilon", eps)))
        return cs_lower_nomem(&lc->lw), -1;
    return out;
}

static int one_float_node(ks_layer_ctx *lc, int x, const char *op, const char *attr, double v)
{
    int node, out = ks_node(lc, op, &x, 1, ks_rank(lc, x), ks_dims(lc, x), &node);
    if (out >= 0 && attr && !cs_attrs_add_float(cs_lower_attrs(&lc->lw, node), attr, v))
        return cs_lower_nomem(&lc->lw), -1;
    return out;
}

/* ReLU(max_value, negative_slope, threshold): ONNX ops where they match, else convscope KerasReLU. */
static int relu_layer(ks_layer_ctx *lc, int x)
{
    double maxv, slope, thr;
    json_t *mv = ks_cfg(lc, "max_value");
    if (!ks_num(lc, "max_value", -1, &maxv) || !ks_num(lc, "negative_slope", 0, &slope) ||
        !ks_num(lc, "threshold", 0, &thr))
        return -1;
    if (slope == 0 && thr == 0 && !mv)
        return one_float_node(lc, x, "Relu", NULL, 0);
    if (slope != 0 && thr == 0 && !mv)
        return one_float_node(lc, x, "LeakyRelu", "alpha", slope);
    int node, out = ks_node_ext(lc, "KerasReLU", &x, 1, ks_rank(lc, x), ks_dims(lc, x), &node);
    cs_attrs *a = out >= 0 ? cs_lower_attrs(&lc->lw, node) : NULL;
    if (a && (!cs_attrs_add_float(a, "negative_slope", slope) || !cs_attrs_add_float(a, "threshold", thr) ||
              (mv && !cs_attrs_add_float(a, "max_value", maxv))))
        return cs_lower_nomem(&lc->lw), -1;
    return out;
}

static int prelu_layer(ks_layer_ctx *lc, int x)
{
    int r = ks_rank(lc, x);
    int64_t ad[CS_MAX_RANK];
    memcpy(ad, ks_dims(lc, x) + 1, (size_t)(r - 1) * sizeof *ad);
    json_t *sh = ks_cfg(lc, "shared_axes");
    for (size_t i = 0; json_is_array(sh) && i < json_array_size(sh); i++) {
        json_t *e = json_array_get(sh, i);
        int64_t a = json_is_integer(e) ? json_integer_value(e) : 0;
        if (a < 1 || a >= r)
            return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "shared_axes holds an axis out of range"), -1;
        ad[a - 1] = 1;
    }
    if (json_is_integer(sh) && json_integer_value(sh) >= 1 && json_integer_value(sh) < r)
        ad[json_integer_value(sh) - 1] = 1;
    if (ks_expect_weights(lc, 1, "alpha") != CS_OK || ks_check_weight(lc, 0, "alpha", r - 1, ad) != CS_OK)
        return -1;
    int av = ks_use_weight(lc, 0, "alpha", CS_LAYOUT_UNKNOWN);
    int pi[2] = {x, av};
    return av < 0 ? -1 : ks_node(lc, "PRelu", pi, 2, r, ks_dims(lc, x), NULL);
}

int ks_emit_act_layer(ks_layer_ctx *lc, const int *ins, int n_in)
{
    const char *c = lc->cls;
    double v;
    if (n_in != 1)
        return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "expects one input"), -1;
    if (strcmp(c, "PReLU") == 0)
        return prelu_layer(lc, ins[0]);
    if (ks_expect_weights(lc, 0, "none") != CS_OK)
        return -1;
    if (strcmp(c, "Activation") == 0)
        return ks_activation(lc, ins[0], NULL);
    if (strcmp(c, "ReLU") == 0)
        return relu_layer(lc, ins[0]);
    if (strcmp(c, "LeakyReLU") == 0) {
        const char *key = ks_cfg(lc, "negative_slope") ? "negative_slope" : "alpha";
        return ks_num(lc, key, 0.3, &v) ? one_float_node(lc, ins[0], "LeakyRelu", "alpha", v) : -1;
    }
    if (strcmp(c, "ELU") == 0)
        return ks_num(lc, "alpha", 1.0, &v) ? one_float_node(lc, ins[0], "Elu", "alpha", v) : -1;
    int64_t axis;
    if (!ks_int(lc, "axis", -1, &axis))
        return -1;
    int node, out = ks_node(lc, "Softmax", ins, 1, ks_rank(lc, ins[0]), ks_dims(lc, ins[0]), &node);
    if (out >= 0 && !cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "axis", axis))
        return cs_lower_nomem(&lc->lw), -1;
    return out;
}
