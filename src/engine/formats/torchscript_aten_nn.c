/* torchscript_aten_nn.c — the layer family of the aten lowering: convolutions (1-3 D, transposed, padding
 * "same"), linear/addmm, max/avg pools and adaptive pools, batch/layer/group/instance norm, upsample and
 * interpolate (by scale or by output size), embedding, prelu, pixel_shuffle. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)

static tv *conv(ts_ctx *c, tv *x, tv *w, tv *b, tv *stride, tv *pad, tv *dil, bool transposed, tv *opad, tv *groups)
{
    if (!cs_ts_need_tensor(c, "conv", x) || !cs_ts_need_tensor(c, "conv", w))
        return NULL;
    const cs_tensor *wt = c->g->values[w->value].data;
    int sp = wt ? wt->rank - 2 : 2;
    if (sp < 1 || sp > 3)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "convolution with a weight of rank %d", sp + 2);
    int64_t s[3], p[6], d[3], op[3] = {0, 0, 0};
    bool same = pad && pad->kind == TV_STR && strcmp(pad->s, "same") == 0;
    bool valid = pad && pad->kind == TV_STR && strcmp(pad->s, "valid") == 0;
    if (cs_ts_ints_of(stride, s, 3, sp) != sp || cs_ts_ints_of(dil, d, 3, sp) != sp ||
        (!same && !valid && cs_ts_ints_of(pad, p, 3, sp) != sp) ||
        (transposed && cs_ts_present(opad) && cs_ts_ints_of(opad, op, 3, sp) != sp))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "convolution with non-constant stride/padding/dilation");
    if (valid)
        for (int k = 0; k < sp; k++)
            p[k] = 0;
    for (int k = 0; k < sp; k++)
        p[sp + k] = p[k];
    int ins[3] = {x->value, w->value, cs_ts_present(b) ? b->value : -1};
    int node, out = cs_ts_emit(c, transposed ? "ConvTranspose" : "Conv", ins, cs_ts_present(b) ? 3 : 2, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = cs_ts_attrs(c, node);
    bool ok = cs_attrs_add_ints(at, "strides", s, sp) && cs_attrs_add_ints(at, "dilations", d, sp) &&
              cs_attrs_add_int(at, "group", cs_ts_get_int(groups, 1));
    if (same)
        ok = ok && cs_attrs_add_string(at, "auto_pad", "SAME_UPPER");
    else
        ok = ok && cs_attrs_add_ints(at, "pads", p, 2 * sp);
    if (transposed)
        ok = ok && cs_attrs_add_ints(at, "output_padding", op, sp);
    return ok ? cs_ts_result(c, out, sp + 2) : cs_ts_oom(c);
}

static tv *aten_conv(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = cs_ts_arg(a, kw, n, 0, "input"), *w = cs_ts_arg(a, kw, n, 1, "weight"), *b = cs_ts_arg(a, kw, n, 2, "bias");
    tv *stride = cs_ts_arg(a, kw, n, 3, "stride"), *pad = cs_ts_arg(a, kw, n, 4, "padding"), *dil = cs_ts_arg(a, kw, n, 5, "dilation");
    if (strcmp(name, "_convolution") == 0) {
        tv *tr = cs_ts_arg(a, kw, n, 6, "transposed");
        return conv(c, x, w, b, stride, pad, dil, cs_ts_get_int(tr, 0) != 0, cs_ts_arg(a, kw, n, 7, "output_padding"),
                    cs_ts_arg(a, kw, n, 8, "groups"));
    }
    if (strncmp(name, "conv_transpose", 14) == 0) /* (x, w, b, stride, padding, output_padding, groups, dilation) */
        return conv(c, x, w, b, stride, pad, cs_ts_arg(a, kw, n, 7, "dilation"), true, cs_ts_arg(a, kw, n, 5, "output_padding"),
                    cs_ts_arg(a, kw, n, 6, "groups"));
    tv one = {.kind = TV_INT, .i = 1}, zero = {.kind = TV_INT, .i = 0};
    return conv(c, x, w, b, stride ? stride : &one, pad ? pad : &zero, dil ? dil : &one, false, NULL,
                cs_ts_arg(a, kw, n, 6, "groups"));
}

static tv *linear(ts_ctx *c, tv *x, tv *w, tv *b)
{
    if (!cs_ts_need_tensor(c, "linear", x) || !cs_ts_need_tensor(c, "linear", w))
        return NULL;
    int node;
    if (x->rank == 2) { /* the common case: one Gemm with transB, no per-run transpose of the weight */
        int ins3[3] = {x->value, w->value, cs_ts_present(b) ? b->value : -1};
        int y = cs_ts_emit(c, "Gemm", ins3, cs_ts_present(b) ? 3 : 2, &node);
        if (y >= 0)
            cs_attrs_add_int(cs_ts_attrs(c, node), "transB", 1);
        return cs_ts_result(c, y, 2);
    }
    int wt = cs_ts_emit(c, "Transpose", &w->value, 1, &node);
    if (wt < 0)
        return NULL;
    int64_t perm[2] = {1, 0};
    cs_attrs_add_ints(cs_ts_attrs(c, node), "perm", perm, 2);
    int ins[2] = {x->value, wt};
    int y = cs_ts_emit(c, "MatMul", ins, 2, NULL);
    if (y >= 0 && cs_ts_present(b)) {
        int ins2[2] = {y, b->value};
        y = cs_ts_emit(c, "Add", ins2, 2, NULL);
    }
    return cs_ts_result(c, y, x->rank);
}

static tv *pool(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool avg = strncmp(name, "avg", 3) == 0;
    int sp = strstr(name, "1d") ? 1 : strstr(name, "3d") ? 3 : 2;
    tv *x = cs_ts_arg(a, kw, n, 0, "input");
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    int64_t k[3], s[3], p[6], d[3] = {1, 1, 1};
    tv *st = cs_ts_arg(a, kw, n, 2, "stride");
    if (cs_ts_ints_of(cs_ts_arg(a, kw, n, 1, "kernel_size"), k, 3, sp) != sp)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s with a non-constant kernel", name);
    if (!cs_ts_present(st) || (st->kind == TV_LIST && st->n == 0))
        memcpy(s, k, sizeof s);
    else if (cs_ts_ints_of(st, s, 3, sp) != sp)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s with a non-constant stride", name);
    tv *pad = cs_ts_arg(a, kw, n, 3, "padding");
    if (!cs_ts_present(pad))
        memset(p, 0, sizeof p);
    else if (cs_ts_ints_of(pad, p, 3, sp) != sp)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s with a non-constant padding", name);
    for (int i = 0; i < sp; i++)
        p[sp + i] = p[i];
    tv *dil = avg ? NULL : cs_ts_arg(a, kw, n, 4, "dilation");
    if (cs_ts_present(dil) && cs_ts_ints_of(dil, d, 3, sp) != sp)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s with a non-constant dilation", name);
    int64_t ceil = cs_ts_get_int(cs_ts_arg(a, kw, n, avg ? 4 : 5, "ceil_mode"), 0);
    int node, out = cs_ts_emit(c, avg ? "AveragePool" : "MaxPool", &x->value, 1, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = cs_ts_attrs(c, node);
    bool ok = cs_attrs_add_ints(at, "kernel_shape", k, sp) && cs_attrs_add_ints(at, "strides", s, sp) &&
              cs_attrs_add_ints(at, "pads", p, 2 * sp) && cs_attrs_add_int(at, "ceil_mode", ceil);
    if (avg) {
        tv *dov = cs_ts_arg(a, kw, n, 6, "divisor_override");
        if (cs_ts_present(dov))
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "avg_pool with divisor_override");
        ok = ok && cs_attrs_add_int(at, "count_include_pad", cs_ts_get_int(cs_ts_arg(a, kw, n, 5, "count_include_pad"), 1));
    } else {
        ok = ok && cs_attrs_add_ints(at, "dilations", d, sp);
    }
    return ok ? cs_ts_result(c, out, sp + 2) : cs_ts_oom(c);
}

static tv *adaptive_avg(ts_ctx *c, tv *x, tv *size)
{
    int64_t o[2];
    if (!cs_ts_need_tensor(c, "adaptive_avg_pool2d", x))
        return NULL;
    if (cs_ts_ints_of(size, o, 2, 2) != 2)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "adaptive_avg_pool2d with a non-constant output size");
    if (o[0] == 1 && o[1] == 1)
        return cs_ts_result(c, cs_ts_emit(c, "GlobalAveragePool", &x->value, 1, NULL), 4);
    int node, out = cs_ts_emit(c, "AdaptiveAvgPool2d", &x->value, 1, &node);
    if (out < 0)
        return NULL;
    free(c->g->nodes[node].domain);
    c->g->nodes[node].domain = strdup("convscope");
    if (!c->g->nodes[node].domain || !cs_attrs_add_ints(cs_ts_attrs(c, node), "output_size", o, 2))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, 4);
}

/* A tensor of `fill` with as many elements as `like` (a constant) has. */
static int filled_like(ts_ctx *c, const tv *like, float fill)
{
    const cs_tensor *t = like && like->kind == TV_TENSOR ? c->g->values[like->value].data : NULL;
    if (!t || cs_tensor_numel(t) > (1 << 24)) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "normalisation without weight needs constant statistics");
        return -1;
    }
    int n = (int)cs_tensor_numel(t);
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    for (int k = 0; k < n; k++)
        v[k] = fill;
    int out = cs_ts_const_f32(c, v, n, false);
    free(v);
    return out;
}

static tv *batch_norm(ts_ctx *c, tv **a, char **kw, int n)
{
    tv *x = cs_ts_arg(a, kw, n, 0, "input"), *w = cs_ts_arg(a, kw, n, 1, "weight"), *b = cs_ts_arg(a, kw, n, 2, "bias");
    tv *mean = cs_ts_arg(a, kw, n, 3, "running_mean"), *var = cs_ts_arg(a, kw, n, 4, "running_var");
    if (!cs_ts_need_tensor(c, "batch_norm", x) || !cs_ts_need_tensor(c, "batch_norm", mean) || !cs_ts_need_tensor(c, "batch_norm", var))
        return NULL;
    int wv = cs_ts_present(w) ? w->value : filled_like(c, mean, 1.0f);
    int bv = cs_ts_present(b) ? b->value : filled_like(c, mean, 0.0f);
    if (wv < 0 || bv < 0)
        return NULL;
    int ins[5] = {x->value, wv, bv, mean->value, var->value};
    int node, out = cs_ts_emit(c, "BatchNormalization", ins, 5, &node);
    if (out < 0)
        return NULL;
    if (!cs_attrs_add_float(cs_ts_attrs(c, node), "epsilon", cs_ts_get_f(cs_ts_arg(a, kw, n, 7, "eps"), 1e-5)))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, x->rank);
}

static tv *layer_norm(ts_ctx *c, tv **a, char **kw, int n)
{
    tv *x = cs_ts_arg(a, kw, n, 0, "input"), *w = cs_ts_arg(a, kw, n, 2, "weight"), *b = cs_ts_arg(a, kw, n, 3, "bias");
    int64_t shape[CS_MAX_RANK];
    int ns = cs_ts_ints_of(cs_ts_arg(a, kw, n, 1, "normalized_shape"), shape, CS_MAX_RANK, 1);
    if (!cs_ts_need_tensor(c, "layer_norm", x) || ns < 1)
        return ns < 1 ? cs_ts_fail(c, CS_ERR_UNSUPPORTED, "layer_norm with a non-constant normalized_shape") : NULL;
    int wv = cs_ts_present(w) ? w->value : -1, bv = cs_ts_present(b) ? b->value : -1;
    if (wv < 0) {
        int64_t cnt = 1;
        for (int k = 0; k < ns; k++)
            cnt *= shape[k];
        float *ones = cnt > 0 && cnt < (1 << 24) ? malloc((size_t)cnt * sizeof *ones) : NULL;
        if (!ones)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "layer_norm without weight of this size");
        for (int64_t k = 0; k < cnt; k++)
            ones[k] = 1.0f;
        wv = cs_ts_const_f32(c, ones, (int)cnt, false);
        free(ones);
    }
    int ins[3] = {x->value, wv, bv};
    int node, out = cs_ts_emit(c, "LayerNormalization", ins, bv >= 0 ? 3 : 2, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = cs_ts_attrs(c, node);
    if (!cs_attrs_add_int(at, "axis", -ns) || !cs_attrs_add_float(at, "epsilon", cs_ts_get_f(cs_ts_arg(a, kw, n, 4, "eps"), 1e-5)))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, x->rank);
}

/* sizes input of a Resize: x's own N and C, then the spatial output size (static or run-time ints). */
static int resize_sizes(ts_ctx *c, const tv *x, const tv *size)
{
    int64_t z = 0, two = 2, ax = 0;
    int shp = cs_ts_emit(c, "Shape", &x->value, 1, NULL);
    int si[4] = {shp, cs_ts_const_ints(c, &z, 1, false), cs_ts_const_ints(c, &two, 1, false),
                 cs_ts_const_ints(c, &ax, 1, false)};
    int nc = shp < 0 || si[1] < 0 || si[2] < 0 || si[3] < 0 ? -1 : cs_ts_emit(c, "Slice", si, 4, NULL);
    int hw = nc < 0 ? -1 : size->kind == TV_TENSOR ? size->value : cs_ts_shape_value(c, size);
    int ci[2] = {nc, hw}, node;
    int out = hw < 0 ? -1 : cs_ts_emit(c, "Concat", ci, 2, &node);
    if (out >= 0 && !cs_attrs_add_int(cs_ts_attrs(c, node), "axis", 0)) {
        cs_ts_oom(c);
        return -1;
    }
    return out;
}

/* upsample_*(x, output_size, scale_factors) or (x, output_size, scales...) with align_corners taken out by the
 * caller: Resize by the scale factors when given, else to the output size (F.interpolate(size=...)). */
static tv *upsample(ts_ctx *c, tv **a, char **kw, int n, const char *mode, bool align)
{
    tv *x = cs_ts_arg(a, kw, n, 0, "input"), *size = cs_ts_arg(a, kw, n, 1, "output_size");
    if (!cs_ts_need_tensor(c, "upsample", x))
        return NULL;
    int sp = x->rank >= 3 ? x->rank - 2 : 2;
    tv *sf = cs_ts_arg(a, kw, n, 2, "scale_factors");
    float sc[5] = {1, 1, 0, 0, 0};
    bool scales = false;
    if (cs_ts_present(sf) && (sf->kind == TV_LIST || sf->kind == TV_TUPLE) && sf->n == sp && sp <= 3) {
        for (int k = 0; k < sp; k++)
            sc[2 + k] = (float)cs_ts_get_f(sf->items[k], 0);
        scales = true;
    } else if (n >= 2 + sp && sp <= 3) { /* (x, output_size, scales_h, scales_w) */
        scales = true;
        for (int k = 0; k < sp; k++)
            scales = scales && (sc[2 + k] = (float)cs_ts_get_f(a[2 + k], 0)) > 0;
    }
    for (int k = 0; scales && k < sp; k++)
        scales = sc[2 + k] > 0;
    bool by_size = !scales && size && (((size->kind == TV_LIST || size->kind == TV_TUPLE) && size->n == sp) ||
                                       size->kind == TV_TENSOR); /* a list, or a slice of x.size() as a tensor */
    if (!scales && !by_size)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "upsample with neither scale factors nor an output size");
    int ins[4] = {x->value, -1, -1, -1};
    if (by_size)
        ins[3] = resize_sizes(c, x, size);
    else
        ins[2] = cs_ts_const_f32(c, sc, 2 + sp, false);
    int node, out = ins[2] < 0 && ins[3] < 0 ? -1 : cs_ts_emit(c, "Resize", ins, by_size ? 4 : 3, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = cs_ts_attrs(c, node);
    bool nearest = strcmp(mode, "nearest") == 0;
    const char *ctm = nearest ? "asymmetric" : align ? "align_corners" : "pytorch_half_pixel";
    bool ok = cs_attrs_add_string(at, "mode", mode) && cs_attrs_add_string(at, "coordinate_transformation_mode", ctm);
    if (nearest)
        ok = ok && cs_attrs_add_string(at, "nearest_mode", "floor");
    if (strcmp(mode, "cubic") == 0)
        ok = ok && cs_attrs_add_float(at, "cubic_coeff_a", -0.75);
    return ok ? cs_ts_result(c, out, x->rank) : cs_ts_oom(c);
}

static tv *embedding(ts_ctx *c, tv *w, tv *ids)
{
    if (!cs_ts_need_tensor(c, "embedding", w) || !cs_ts_need_tensor(c, "embedding", ids))
        return NULL;
    for (int k = 0; k < c->g->n_inputs; k++) /* a model input used as indices holds ints */
        if (c->g->inputs[k] == ids->value)
            c->g->values[ids->value].dtype = CS_DT_I64;
    int ins[2] = {w->value, ids->value};
    int node, out = cs_ts_emit(c, "Gather", ins, 2, &node);
    if (out >= 0 && !cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", 0))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, ids->rank < 0 ? -1 : ids->rank + 1);
}

static tv *group_norm(ts_ctx *c, tv *x, int64_t groups, tv *w, tv *b, double eps)
{
    if (!cs_ts_need_tensor(c, "group_norm", x))
        return NULL;
    int ins[3] = {x->value, cs_ts_present(w) ? w->value : -1, cs_ts_present(b) ? b->value : -1};
    int node, out = cs_ts_emit(c, "GroupNorm", ins, 3, &node);
    if (out < 0)
        return NULL;
    cs_attrs *at = &c->g->nodes[node].attrs;
    if (cs_ts_ours(c, node) || !cs_attrs_add_int(at, "num_groups", groups) || !cs_attrs_add_float(at, "epsilon", eps))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, x->rank);
}

static tv *pixel_shuffle(ts_ctx *c, tv *x, tv *factor)
{
    if (!cs_ts_need_tensor(c, "pixel_shuffle", x))
        return NULL;
    int node, out = cs_ts_emit(c, "DepthToSpace", &x->value, 1, &node);
    if (out >= 0 && (!cs_attrs_add_int(&c->g->nodes[node].attrs, "blocksize", cs_ts_get_int(factor, 1)) ||
                     !cs_attrs_add_string(&c->g->nodes[node].attrs, "mode", "CRD")))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, 4);
}

/* PReLU: one slope for all, or one per channel (axis 1) reshaped to [C, 1, ...] for ONNX broadcasting. */
static tv *prelu(ts_ctx *c, tv *x, tv *w)
{
    if (!cs_ts_need_tensor(c, "prelu", x) || !cs_ts_need_tensor(c, "prelu", w))
        return NULL;
    const cs_tensor *wt = c->g->values[w->value].data;
    int slope = w->value;
    if (!wt || (cs_tensor_numel(wt) != 1 && x->rank != 2)) {
        if (x->rank < 2)
            return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "per-channel prelu on a tensor of unknown rank");
        int64_t shape[CS_MAX_RANK] = {-1};
        for (int k = 1; k < x->rank - 1; k++)
            shape[k] = 1;
        int ins[2] = {w->value, cs_ts_const_ints(c, shape, x->rank - 1, false)};
        if (ins[1] < 0 || (slope = cs_ts_emit(c, "Reshape", ins, 2, NULL)) < 0)
            return NULL;
    }
    int ins[2] = {x->value, slope};
    return cs_ts_result(c, cs_ts_emit(c, "PRelu", ins, 2, NULL), x->rank);
}

/* adaptive pools to output size 1: global pools; max pools return (values, values) for (values, indices). */
static tv *adaptive_global(ts_ctx *c, const char *name, tv *x, tv *size)
{
    int64_t o[3];
    int sp = strstr(name, "1d") ? 1 : strstr(name, "3d") ? 3 : 2;
    if (!cs_ts_need_tensor(c, name, x))
        return NULL;
    if (cs_ts_ints_of(size, o, 3, sp) != sp || o[0] != 1 || o[sp - 1] != 1 || (sp == 3 && o[1] != 1))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s to an output size other than 1", name);
    bool mx = strstr(name, "max") != NULL;
    int out = cs_ts_emit(c, mx ? "GlobalMaxPool" : "GlobalAveragePool", &x->value, 1, NULL);
    if (out < 0 || !mx)
        return cs_ts_result(c, out, sp + 2);
    int outs[2] = {out, out};
    return cs_ts_tuple_of(c, outs, 2, sp + 2);
}


static tv *lower_linear(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    return linear(c, A(0, "input"), A(1, "weight"), A(2, "bias"));
}

static tv *lower_addmm(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *b = A(0, "self"), *m1 = A(1, "mat1"), *m2 = A(2, "mat2");
    if (!cs_ts_need_tensor(c, name, b) || !cs_ts_need_tensor(c, name, m1) || !cs_ts_need_tensor(c, name, m2))
        return NULL;
    int ins[3] = {m1->value, m2->value, b->value};
    int node, out = cs_ts_emit(c, "Gemm", ins, 3, &node);
    if (out >= 0 && (!cs_attrs_add_float(cs_ts_attrs(c, node), "beta", cs_ts_get_f(A(3, "beta"), 1)) ||
                     !cs_attrs_add_float(cs_ts_attrs(c, node), "alpha", cs_ts_get_f(A(4, "alpha"), 1))))
        return cs_ts_oom(c);
    return cs_ts_result(c, out, 2);
}

static tv *lower_adaptive(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    if (strcmp(name, "adaptive_avg_pool2d") == 0)
        return adaptive_avg(c, A(0, "input"), A(1, "output_size"));
    return adaptive_global(c, name, A(0, "self"), A(1, "output_size"));
}

static tv *lower_norm(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    if (strcmp(name, "batch_norm") == 0)
        return batch_norm(c, a, kw, n);
    if (strcmp(name, "layer_norm") == 0)
        return layer_norm(c, a, kw, n);
    if (strcmp(name, "group_norm") == 0)
        return group_norm(c, A(0, "input"), cs_ts_get_int(A(1, "num_groups"), 1), A(2, "weight"), A(3, "bias"),
                          cs_ts_get_f(A(4, "eps"), 1e-5));
    if (!cs_ts_get_int(A(5, "use_input_stats"), 1)) /* instance_norm with running statistics: a batch norm */
        return batch_norm(c, a, kw, n);
    return group_norm(c, A(0, "input"), 0, A(1, "weight"), A(2, "bias"), cs_ts_get_f(A(7, "eps"), 1e-5));
}

static tv *lower_upsample(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    if (strncmp(name, "upsample_nearest", 16) == 0)
        return upsample(c, a, kw, n, "nearest", false);
    /* (x, output_size, align_corners, scale_factors | scales...): align_corners taken out */
    tv *al = A(2, "align_corners"), *a2[5] = {NULL};
    char *k2[5] = {NULL};
    int n2 = 0;
    for (int k = 0; k < n && n2 < 5; k++)
        if (k != 2 && !kw[k])
            a2[n2++] = a[k];
    return upsample(c, a2, k2, n2, strstr(name, "bicubic") ? "cubic" : "linear", cs_ts_get_int(al, 0) != 0);
}

static tv *lower_embedding(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name;
    return embedding(c, A(0, "weight"), A(1, "indices"));
}

static tv *lower_odd(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    if (strcmp(name, "prelu") == 0)
        return prelu(c, A(0, "self"), A(1, "weight"));
    return pixel_shuffle(c, A(0, "self"), A(1, "upscale_factor"));
}

static tv *lower_conv_mode(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    (void)name; /* conv with padding="same"/"valid": conv2d's arguments */
    return aten_conv(c, "conv2d", a, kw, n);
}

const ts_aten_def cs_ts_aten_nn[] = {
    {"_convolution", aten_conv},  {"conv1d", aten_conv},        {"conv2d", aten_conv},
    {"conv3d", aten_conv},        {"conv_transpose1d", aten_conv}, {"conv_transpose2d", aten_conv},
    {"conv_transpose3d", aten_conv}, {"_convolution_mode", lower_conv_mode}, {"linear", lower_linear},
    {"addmm", lower_addmm},       {"max_pool1d", pool},         {"max_pool2d", pool},
    {"max_pool3d", pool},         {"avg_pool1d", pool},         {"avg_pool2d", pool},
    {"avg_pool3d", pool},         {"adaptive_avg_pool1d", lower_adaptive}, {"adaptive_avg_pool2d", lower_adaptive},
    {"adaptive_avg_pool3d", lower_adaptive}, {"adaptive_max_pool1d", lower_adaptive},
    {"adaptive_max_pool2d", lower_adaptive}, {"adaptive_max_pool3d", lower_adaptive},
    {"batch_norm", lower_norm},   {"layer_norm", lower_norm},   {"group_norm", lower_norm},
    {"instance_norm", lower_norm}, {"upsample_nearest2d", lower_upsample}, {"upsample_bilinear2d", lower_upsample},
    {"upsample_bicubic2d", lower_upsample}, {"upsample_nearest1d", lower_upsample},
    {"upsample_nearest3d", lower_upsample}, {"upsample_linear1d", lower_upsample}, {"upsample_trilinear3d", lower_upsample}, {"embedding", lower_embedding}, {"prelu", lower_odd},
    {"pixel_shuffle", lower_odd}, {NULL, NULL}};
