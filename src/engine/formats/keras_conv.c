/* keras_conv.c — Keras convolution and pooling layers (Conv1D/2D, DepthwiseConv2D, SeparableConv2D,
 * Conv2DTranspose, Max/AveragePooling, global pools) as NCHW ONNX nodes wrapped in Transposes. */
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

typedef struct win {
    int n;                 /* spatial dims: 1 or 2 */
    bool cf;               /* channels_first */
    int64_t k[2], s[2], d[2];
    int64_t pads[4];       /* begin..., end... */
    bool auto_same;        /* SAME with an unknown input size: auto_pad SAME_UPPER */
    int64_t in_sp[2], out_sp[2];
    int64_t batch, channels;
} win;

static int spatial_of(const char *cls)
{
    return strstr(cls, "1D") ? 1 : 2;
}

/* Reads the input's batch, channels and spatial sizes; fails unless its rank is n + 2. */
static bool read_input(ks_layer_ctx *lc, int v, win *w)
{
    int r = ks_rank(lc, v);
    const int64_t *d = ks_dims(lc, v);
    if (r != w->n + 2) {
        cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "expects a rank-%d input, got rank %d", w->n + 2, r);
        return false;
    }
    w->batch = d[0];
    w->channels = w->cf ? d[1] : d[r - 1];
    for (int i = 0; i < w->n; i++)
        w->in_sp[i] = d[w->cf ? 2 + i : 1 + i];
    if (w->channels < 0) {
        cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "the number of input channels is unknown");
        return false;
    }
    return true;
}

/* Output sizes and explicit pads for padding valid / same (TensorFlow's rule) / causal. */
static bool resolve_padding(ks_layer_ctx *lc, win *w, const char *padding)
{
    for (int i = 0; i < w->n; i++) {
        int64_t in = w->in_sp[i], eff = (w->k[i] - 1) * w->d[i] + 1, total = 0;
        if (strcmp(padding, "same") == 0) {
            w->out_sp[i] = in < 0 ? -1 : (in + w->s[i] - 1) / w->s[i];
            total = in < 0 ? 0 : (w->out_sp[i] - 1) * w->s[i] + eff - in;
            total = total > 0 ? total : 0;
            w->auto_same = w->auto_same || in < 0;
            w->pads[i] = total / 2;
            w->pads[w->n + i] = total - total / 2;
            continue;
        }
        if (strcmp(padding, "causal") == 0 && w->n == 1) {
            w->pads[i] = eff - 1;
        } else if (strcmp(padding, "valid") != 0) {
            cs_lower_fail(&lc->lw, CS_ERR_UNSUPPORTED, "padding '%s' is not supported", padding);
            return false;
        }
        int64_t padded = in + w->pads[i];
        w->out_sp[i] = in < 0 ? -1 : padded >= eff ? (padded - eff) / w->s[i] + 1 : 0;
        if (in >= 0 && w->out_sp[i] < 1) {
            cs_lower_fail(&lc->lw, CS_ERR_SHAPE, "input size %lld is smaller than the window %lld", (long long)in,
                          (long long)eff);
            return false;
        }
    }
    return true;
}

static int to_nchw(ks_layer_ctx *lc, int v, const win *w)
{
    static const int p1[] = {0, 2, 1}, p2[] = {0, 3, 1, 2};
    return w->cf || v < 0 ? v : cs_lower_transpose(&lc->lw, v, w->n == 1 ? p1 : p2, ks_rank(lc, v));
}

static int from_nchw(ks_layer_ctx *lc, int v, const win *w)
{
    static const int p1[] = {0, 2, 1}, p2[] = {0, 2, 3, 1};
    if (v < 0)
        return -1;
    int out = w->cf ? v : cs_lower_transpose(&lc->lw, v, w->n == 1 ? p1 : p2, ks_rank(lc, v));
    if (out >= 0)
        ks_set_layout(lc, out, w->cf);
    return out;
}

/* Adds kernel_shape, strides, dilations, pads (or auto_pad) and group to a Conv/pool node. */
static bool window_attrs(ks_layer_ctx *lc, int node, const win *w, bool dilations, int64_t group)
{
    cs_attrs *a = cs_lower_attrs(&lc->lw, node);
    bool ok = cs_attrs_add_ints(a, "kernel_shape", w->k, w->n) && cs_attrs_add_ints(a, "strides", w->s, w->n);
    if (dilations)
        ok = ok && cs_attrs_add_ints(a, "dilations", w->d, w->n);
    if (w->auto_same)
        ok = ok && cs_attrs_add_string(a, "auto_pad", "SAME_UPPER");
    else
        ok = ok && cs_attrs_add_ints(a, "pads", w->pads, 2 * w->n);
    if (group > 0)
        ok = ok && cs_attrs_add_int(a, "group", group);
    if (!ok)
        cs_lower_nomem(&lc->lw);
    return ok;
}

/* NCHW output dims for `ch` channels. */
static void nchw_dims(const win *w, int64_t ch, int64_t *dims)
{
    dims[0] = w->batch;
    dims[1] = ch;
    for (int i = 0; i < w->n; i++)
        dims[2 + i] = w->out_sp[i];
}

/* A [B][A][S] -> OIHW-style reordering of a Keras kernel laid out as [S][A][B] (outer_b: B is the outer dim). */
static int reorder_kernel(ks_layer_ctx *lc, int slot, const char *what, const cs_tensor *k, int64_t S, int64_t A,
                          int64_t B, bool outer_b, int64_t d0, int64_t d1, const win *w)
{
    if (lc->cache[slot] >= 0)
        return lc->cache[slot];
    int64_t dims[4] = {d0, d1, w->k[0], w->k[1]};
    cs_tensor *t = cs_tensor_new(CS_DT_F32, 2 + w->n, dims, lc->ld->err);
    if (!t)
        return -1;
    const float *src = k->data;
    float *dst = t->data;
    for (int64_t s = 0; s < S; s++)
        for (int64_t a = 0; a < A; a++)
            for (int64_t b = 0; b < B; b++)
                dst[(outer_b ? b * A + a : a * B + b) * S + s] = src[(s * A + a) * B + b];
    return lc->cache[slot] = cs_lower_const(&lc->lw, what, t);
}

static bool read_window(ks_layer_ctx *lc, win *w, const char *ksize_key, bool pool)
{
    w->n = spatial_of(lc->cls);
    if (!ks_channels_first(lc, &w->cf) || !ks_ints(lc, ksize_key, w->n, 2, w->k))
        return false;
    if (!ks_ints(lc, "strides", w->n, pool ? 0 : 1, w->s) || !ks_ints(lc, "dilation_rate", w->n, 1, w->d))
        return false;
    for (int i = 0; i < w->n; i++)
        if (w->s[i] == 0)
            w->s[i] = w->k[i]; /* pooling: strides default to pool_size */
    return true;
}

typedef struct conv_kind {
    bool depthwise, separable;
    int64_t filters, groups, dm;
} conv_kind;

static bool conv_weights(ks_layer_ctx *lc, const win *w, conv_kind *ck, bool use_bias)
{
    int nw = ck->separable ? 2 : 1;
    if (ks_expect_weights(lc, nw + (use_bias ? 1 : 0), use_bias ? "kernel and bias" : "kernel, no bias") != CS_OK)
        return false;
    int64_t kd[4] = {w->k[0], w->k[1], 0, 0};
    kd[w->n] = ck->depthwise || ck->separable ? w->channels : w->channels / ck->groups;
    kd[w->n + 1] = ck->depthwise || ck->separable ? ck->dm : ck->filters;
    if (ks_check_weight(lc, 0, ck->depthwise || ck->separable ? "depthwise_kernel" : "kernel", w->n + 2, kd) != CS_OK)
        return false;
    int64_t pk[4] = {1, 1, w->channels * ck->dm, ck->filters}, bd = ck->depthwise ? w->channels * ck->dm : ck->filters;
    if (ck->separable && ks_check_weight(lc, 1, "pointwise_kernel", w->n + 2, pk + (2 - w->n)) != CS_OK)
        return false;
    return !use_bias || ks_check_weight(lc, nw, "bias", 1, &bd) == CS_OK;
}

static bool conv_kind_read(ks_layer_ctx *lc, const win *w, conv_kind *ck)
{
    memset(ck, 0, sizeof *ck);
    ck->depthwise = strcmp(lc->cls, "DepthwiseConv2D") == 0 || strcmp(lc->cls, "DepthwiseConv1D") == 0;
    ck->separable = strncmp(lc->cls, "SeparableConv", 13) == 0;
    if (!ks_int(lc, "filters", 1, &ck->filters) || !ks_int(lc, "groups", 1, &ck->groups) ||
        !ks_int(lc, "depth_multiplier", 1, &ck->dm))
        return false;
    if (ck->filters < 1 || ck->groups < 1 || ck->dm < 1 || w->channels % ck->groups || ck->filters % ck->groups) {
        cs_lower_fail(&lc->lw, CS_ERR_FORMAT,
                      "filters %lld, groups %lld and depth_multiplier %lld do not fit %lld input channels",
                      (long long)ck->filters, (long long)ck->groups, (long long)ck->dm, (long long)w->channels);
        return false;
    }
    if (ck->depthwise)
        ck->filters = w->channels * ck->dm;
    return true;
}

/* One Conv node on NCHW x with kernel value kv (and optional bias); Conv's infer declares its shape. */
static int conv_node(ks_layer_ctx *lc, int x, int kv, int bias, const win *w, int64_t group)
{
    int ins[3] = {x, kv, bias}, node;
    int out = ks_op(lc, "Conv", ins, bias >= 0 ? 3 : 2, &node);
    return out >= 0 && window_attrs(lc, node, w, true, group) && cs_lower_infer(&lc->lw, node) == CS_OK ? out : -1;
}

int ks_emit_conv(ks_layer_ctx *lc, const int *ins, int n_in)
{
    win w = {0};
    conv_kind ck;
    bool use_bias;
    const char *padding = ks_str(lc, "padding", "valid");
    if (n_in != 1 || !read_window(lc, &w, "kernel_size", false) || !read_input(lc, ins[0], &w) ||
        !ks_bool(lc, "use_bias", true, &use_bias) || !conv_kind_read(lc, &w, &ck) ||
        !conv_weights(lc, &w, &ck, use_bias) || !resolve_padding(lc, &w, padding))
        return -1;
    cs_layout kl = w.n == 2 ? CS_LAYOUT_HWIO : CS_LAYOUT_UNKNOWN;
    bool dw = ck.depthwise || ck.separable;
    int nk = ck.separable ? 2 : 1;
    if (ks_use_weight(lc, 0, dw ? "depthwise_kernel" : "kernel", kl) < 0 ||
        (ck.separable && ks_use_weight(lc, 1, "pointwise_kernel", kl) < 0) ||
        (use_bias && ks_use_weight(lc, nk, "bias", CS_LAYOUT_UNKNOWN) < 0))
        return -1;
    int64_t S = w.n == 2 ? w.k[0] * w.k[1] : w.k[0], C = w.channels;
    int bias = use_bias ? lc->w_val[nk] : -1;
    int x = to_nchw(lc, ins[0], &w);
    if (x < 0)
        return -1;
    if (!dw) {
        int kv = reorder_kernel(lc, 0, "kernel_oihw", ks_weight(lc, 0), S, C / ck.groups, ck.filters, true,
                                ck.filters, C / ck.groups, &w);
        x = kv < 0 ? -1 : conv_node(lc, x, kv, bias, &w, ck.groups);
    } else {
        int kv = reorder_kernel(lc, 0, "depthwise_oihw", ks_weight(lc, 0), S, C, ck.dm, false, C * ck.dm, 1, &w);
        x = kv < 0 ? -1 : conv_node(lc, x, kv, ck.separable ? -1 : bias, &w, C);
        if (x >= 0 && ck.separable) {
            win pw = w;
            for (int i = 0; i < w.n; i++) {
                pw.k[i] = pw.s[i] = pw.d[i] = 1;
                pw.pads[i] = pw.pads[w.n + i] = 0;
            }
            pw.auto_same = false;
            int pv = reorder_kernel(lc, 1, "pointwise_oihw", ks_weight(lc, 1), 1, C * ck.dm, ck.filters, true,
                                    ck.filters, C * ck.dm, &pw);
            x = pv < 0 ? -1 : conv_node(lc, x, pv, bias, &pw, 1);
        }
    }
    return ks_activation(lc, from_nchw(lc, x, &w), NULL);
}

/* Keras's deconv_output_length (keras/src/utils/conv_utils / keras/utils/conv_utils.py): the output size of a
 * transposed convolution, with output_padding opad (-1 when None). */
static int64_t deconv_length(int64_t in, int64_t eff, int64_t s, bool same, int64_t opad)
{
    if (opad < 0)
        return same ? in * s : in * s + (eff > s ? eff - s : 0);
    return (in - 1) * s + eff - 2 * (same ? eff / 2 : 0) + opad;
}

/* output_padding: an int or a list of n ints >= 0 (zero is allowed, unlike strides). */
static bool output_padding(ks_layer_ctx *lc, int n, int64_t *out)
{
    json_t *v = ks_cfg(lc, "output_padding");
    bool ok = json_is_integer(v) || (json_is_array(v) && (int)json_array_size(v) == n);
    for (int i = 0; ok && i < n; i++) {
        json_t *x = json_is_array(v) ? json_array_get(v, (size_t)i) : v;
        ok = json_is_integer(x) && json_integer_value(x) >= 0 && json_integer_value(x) < (1 << 24);
        out[i] = ok ? json_integer_value(x) : 0;
    }
    if (!ok)
        cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "option 'output_padding' must be an integer >= 0 or a list of %d", n);
    return ok;
}

/* Conv2DTranspose / Conv1DTranspose: Keras kernel (k..., out, in) -> ONNX (in, out, k...); TensorFlow puts the
 * smaller half of the padding before, and output positions past the full convolution are zeros (+ bias). */
int ks_emit_conv_transpose(ks_layer_ctx *lc, const int *ins, int n_in)
{
    win w = {0};
    bool use_bias;
    int64_t filters;
    const char *padding = ks_str(lc, "padding", "valid");
    if (n_in != 1 || !read_window(lc, &w, "kernel_size", false) || !read_input(lc, ins[0], &w) ||
        !ks_bool(lc, "use_bias", true, &use_bias) || !ks_int(lc, "filters", 1, &filters))
        return -1;
    int64_t opad[2] = {-1, -1};
    bool has_opad = ks_cfg(lc, "output_padding") != NULL;
    if (has_opad && !output_padding(lc, w.n, opad))
        return -1;
    if (strcmp(padding, "same") != 0 && strcmp(padding, "valid") != 0)
        return cs_lower_fail(&lc->lw, CS_ERR_UNSUPPORTED, "padding '%s' is not supported", padding), -1;
    int64_t kd[4] = {w.k[0], w.k[1], 0, 0}, outp[2] = {0, 0};
    kd[w.n] = filters;
    kd[w.n + 1] = w.channels;
    if (ks_expect_weights(lc, use_bias ? 2 : 1, use_bias ? "kernel and bias" : "kernel, no bias") != CS_OK ||
        ks_check_weight(lc, 0, "kernel", w.n + 2, kd) != CS_OK ||
        (use_bias && ks_check_weight(lc, 1, "bias", 1, &filters) != CS_OK))
        return -1;
    for (int i = 0; i < w.n; i++) {
        int64_t eff = (w.k[i] - 1) * w.d[i] + 1, in = w.in_sp[i];
        if (in < 0)
            return cs_lower_fail(&lc->lw, CS_ERR_UNSUPPORTED, "an unknown input size is not supported"), -1;
        int64_t out = deconv_length(in, eff, w.s[i], strcmp(padding, "same") == 0, has_opad ? opad[i] : -1);
        if (has_opad && (opad[i] < 0 || opad[i] >= w.s[i]))
            return cs_lower_fail(&lc->lw, CS_ERR_FORMAT, "output_padding %lld must be below the stride %lld",
                                 (long long)opad[i],
                                 (long long)w.s[i]), -1;
        int64_t total = w.s[i] * (in - 1) + eff - out;
        w.out_sp[i] = out;
        w.pads[i] = total > 0 ? total / 2 : 0;
        w.pads[w.n + i] = total > 0 ? total - total / 2 : 0;
        outp[i] = total < 0 ? -total : 0;
    }
    if (ks_use_weight(lc, 0, "kernel", w.n == 2 ? CS_LAYOUT_HWIO : CS_LAYOUT_UNKNOWN) < 0 ||
        (use_bias && ks_use_weight(lc, 1, "bias", CS_LAYOUT_UNKNOWN) < 0))
        return -1;
    int64_t S = w.n == 2 ? w.k[0] * w.k[1] : w.k[0];
    int kv = reorder_kernel(lc, 0, "kernel_iohw", ks_weight(lc, 0), S, filters, w.channels, true, w.channels, filters,
                            &w);
    int x = to_nchw(lc, ins[0], &w);
    if (kv < 0 || x < 0)
        return -1;
    int64_t dims[4];
    nchw_dims(&w, filters, dims);
    int cins[3] = {x, kv, use_bias ? lc->w_val[1] : -1}, node;
    int out = ks_node(lc, "ConvTranspose", cins, use_bias ? 3 : 2, w.n + 2, dims, &node);
    if (out < 0 || !window_attrs(lc, node, &w, true, 0) ||
        !cs_attrs_add_ints(cs_lower_attrs(&lc->lw, node), "output_padding", outp, w.n))
        return -1;
    return ks_activation(lc, from_nchw(lc, out, &w), NULL);
}

int ks_emit_pool(ks_layer_ctx *lc, const int *ins, int n_in)
{
    win w = {0};
    bool avg = strncmp(lc->cls, "Average", 7) == 0 || strncmp(lc->cls, "AvgPool", 7) == 0;
    if (n_in != 1 || !read_window(lc, &w, "pool_size", true) || !read_input(lc, ins[0], &w) ||
        !resolve_padding(lc, &w, ks_str(lc, "padding", "valid")))
        return -1;
    if (ks_expect_weights(lc, 0, "none") != CS_OK)
        return -1;
    int x = to_nchw(lc, ins[0], &w), node;
    int out = x < 0 ? -1 : ks_op(lc, avg ? "AveragePool" : "MaxPool", &x, 1, &node);
    if (out < 0 || !window_attrs(lc, node, &w, false, 0))
        return -1;
    if (avg && !cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "count_include_pad", 0))
        return cs_lower_nomem(&lc->lw), -1;
    return cs_lower_infer(&lc->lw, node) == CS_OK ? from_nchw(lc, out, &w) : -1;
}

int ks_emit_global_pool(ks_layer_ctx *lc, const int *ins, int n_in)
{
    win w = {0};
    bool keep;
    w.n = spatial_of(lc->cls);
    if (n_in != 1 || !ks_channels_first(lc, &w.cf) || !read_input(lc, ins[0], &w) ||
        !ks_bool(lc, "keepdims", false, &keep) || ks_expect_weights(lc, 0, "none") != CS_OK)
        return -1;
    int64_t axes[2], dims[4] = {w.batch, 0, 0, 0};
    int r = 0;
    for (int i = 0; i < w.n; i++)
        axes[i] = w.cf ? 2 + i : 1 + i;
    if (keep) {
        memcpy(dims, ks_dims(lc, ins[0]), (size_t)(w.n + 2) * sizeof *dims);
        for (int i = 0; i < w.n; i++)
            dims[axes[i]] = 1;
        r = w.n + 2;
    } else {
        dims[1] = w.channels;
        r = 2;
    }
    int node, out = ks_node(lc, strstr(lc->cls, "Max") ? "ReduceMax" : "ReduceMean", ins, 1, r, dims, &node);
    if (out < 0 || !cs_attrs_add_ints(cs_lower_attrs(&lc->lw, node), "axes", axes, w.n) ||
        !cs_attrs_add_int(cs_lower_attrs(&lc->lw, node), "keepdims", keep))
        return out < 0 ? -1 : (cs_lower_nomem(&lc->lw), -1);
    ks_set_layout(lc, out, w.cf);
    return out;
}
