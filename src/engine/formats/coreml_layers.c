/* coreml_layers.c — one CoreML NeuralNetwork layer to IR nodes with CoreML semantics. Rank-5 blobs
 * [Seq, Batch, C, H, W] are carried as NCHW tensors [Seq*Batch, C, H, W]; rank-N layers keep their ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml_layers.h"

typedef cs_status (*layer_fn)(cm_loader *ld, const cm_layer *l);

#define NNL(x) CORE_ML__SPECIFICATION__NEURAL_NETWORK_LAYER__LAYER_##x

cs_status cm_need_io(cm_loader *ld, const cm_layer *l, size_t min_in, size_t max_in, size_t n_out)
{
    if (l->n_input < min_in || l->n_input > max_in)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "has %zu inputs, expected %zu to %zu", l->n_input, min_in, max_in);
    if (n_out && l->n_output != n_out)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "has %zu outputs, expected %zu", l->n_output, n_out);
    return CS_OK;
}

int cm_in0(cm_loader *ld, const cm_layer *l)
{
    return cm_blob(ld, l->input[0]);
}

int cm_out0(cm_loader *ld, const cm_layer *l)
{
    return cm_blob(ld, l->output[0]);
}

cs_status cm_st(cm_loader *ld, int ok_index)
{
    return ok_index < 0 ? (ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw)) : CS_OK;
}

cs_status cm_add_ints(cm_loader *ld, int node, const char *name, const int64_t *v, int n)
{
    return cs_attrs_add_ints(cs_lower_attrs(&ld->lw, node), name, v, n) ? CS_OK : cs_lower_nomem(&ld->lw);
}

cs_status cm_add_int(cm_loader *ld, int node, const char *name, int64_t v)
{
    return cs_attrs_add_int(cs_lower_attrs(&ld->lw, node), name, v) ? CS_OK : cs_lower_nomem(&ld->lw);
}

cs_status cm_add_str(cm_loader *ld, int node, const char *name, const char *v)
{
    return cs_attrs_add_string(cs_lower_attrs(&ld->lw, node), name, v) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* Reads a 2-item spatial parameter (kernel, stride, dilation) with a default; false when out of range. */
static bool pair(const uint64_t *v, size_t n, int64_t dflt, int64_t *out)
{
    out[0] = out[1] = dflt;
    if (n == 2)
        out[0] = (int64_t)v[0], out[1] = (int64_t)v[1];
    else if (n != 0)
        return false;
    return out[0] >= 1 && out[1] >= 1 && out[0] <= 65536 && out[1] <= 65536;
}

/* Explicit pads [top, left, bottom, right] of a ValidPadding. */
static cs_status valid_pads(cm_loader *ld, const CoreML__Specification__ValidPadding *v, int64_t *pads)
{
    pads[0] = pads[1] = pads[2] = pads[3] = 0;
    const CoreML__Specification__BorderAmounts *b = v ? v->paddingamounts : NULL;
    if (!b || b->n_borderamounts == 0)
        return CS_OK;
    if (b->n_borderamounts != 2)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "padding amounts have %zu entries, expected 2 (height, width)",
                             b->n_borderamounts);
    for (int i = 0; i < 2; i++) {
        if (b->borderamounts[i]->startedgesize > 65536 || b->borderamounts[i]->endedgesize > 65536)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "padding amount too large");
        pads[i] = (int64_t)b->borderamounts[i]->startedgesize;
        pads[i + 2] = (int64_t)b->borderamounts[i]->endedgesize;
    }
    return CS_OK;
}

static cs_status window_attrs(cm_loader *ld, int n, const int64_t *k, const int64_t *s, const int64_t *pads,
                              const CoreML__Specification__SamePadding *same)
{
    if (cm_add_ints(ld, n, "kernel_shape", k, 2) != CS_OK || cm_add_ints(ld, n, "strides", s, 2) != CS_OK)
        return ld->lw.err->status;
    if (same)
        return cm_add_str(ld, n, "auto_pad", same->asymmetrymode ==
                       CORE_ML__SPECIFICATION__SAME_PADDING__SAME_PADDING_MODE__TOP_LEFT_HEAVY ? "SAME_LOWER" : "SAME_UPPER");
    return cm_add_ints(ld, n, "pads", pads, 4);
}

/* ---- convolution ---- */

static cs_status conv_weights(cm_loader *ld, const CoreML__Specification__ConvolutionLayerParams *p,
                              const int64_t *k, int *w, int *b)
{
    int64_t cout = (int64_t)p->outputchannels, kc = (int64_t)p->kernelchannels, groups = p->ngroups ? (int64_t)p->ngroups : 1;
    if (cout < 1 || kc < 1 || cout > (1 << 20) || kc > (1 << 20) || groups > cout || cout % groups)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "impossible channels: outputChannels=%lld kernelChannels=%lld nGroups=%lld",
                             (long long)cout, (long long)kc, (long long)groups);
    int64_t dims[4] = {cout, kc, k[0], k[1]};
    if (p->isdeconvolution)
        dims[0] = kc, dims[1] = cout / groups; /* [C_in, C_out/groups, kH, kW] */
    *w = cm_weight_value(ld, p->weights, "weights", 4, dims, CS_LAYOUT_OIHW);
    if (*w < 0)
        return ld->lw.err->status;
    *b = -1;
    if (p->hasbias && (*b = cm_weight_value(ld, p->bias, "bias", 1, &cout, CS_LAYOUT_UNKNOWN)) < 0)
        return ld->lw.err->status;
    return CS_OK;
}

static cs_status l_conv(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__ConvolutionLayerParams *p = l->convolution;
    int64_t k[2], s[2], d[2], pads[4];
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (!pair(p->kernelsize, p->n_kernelsize, 3, k) || !pair(p->stride, p->n_stride, 1, s) ||
        !pair(p->dilationfactor, p->n_dilationfactor, 1, d))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "impossible kernel: kernelSize, stride and dilationFactor need 2 values >= 1");
    int w = -1, b = -1;
    if (conv_weights(ld, p, k, &w, &b) != CS_OK ||
        valid_pads(ld, p->convolution_padding_type_case == 50 ? p->valid : NULL, pads) != CS_OK)
        return ld->lw.err->status;
    int x = cm_in0(ld, l), y = cm_out0(ld, l);
    int n = cs_lower_node(&ld->lw, p->isdeconvolution ? "ConvTranspose" : "Conv", (int[]){x, w, b}, b >= 0 ? 3 : 2, &y,
                          1);
    if (n < 0 || window_attrs(ld, n, k, s, pads, p->convolution_padding_type_case == 51 ? p->same : NULL) != CS_OK ||
        cm_add_ints(ld, n, "dilations", d, 2) != CS_OK || cm_add_int(ld, n, "group", p->ngroups ? (int64_t)p->ngroups : 1))
        return cm_st(ld, -1);
    if (p->isdeconvolution && p->n_outputshape == 2) {
        int64_t os[2] = {(int64_t)p->outputshape[0], (int64_t)p->outputshape[1]};
        return cm_add_ints(ld, n, "output_shape", os, 2);
    }
    return CS_OK;
}

/* ---- pooling ---- */

static cs_status l_pool(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__PoolingLayerParams *p = l->pooling;
    static const char *global_ops[] = {"GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool"};
    static const char *ops[] = {"MaxPool", "AveragePool", "LpPool"};
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (p->type < 0 || p->type > 2)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "unknown pooling type %d", (int)p->type);
    int x = cm_in0(ld, l), y = cm_out0(ld, l), n;
    if (p->globalpooling) {
        n = cs_lower_node1(&ld->lw, global_ops[p->type], x, y);
        return n < 0 ? cm_st(ld, n) : p->type == 2 ? cm_add_int(ld, n, "p", 2) : CS_OK;
    }
    int64_t k[2], s[2], pads[4] = {0};
    if (!pair(p->kernelsize, p->n_kernelsize, 3, k) || !pair(p->stride, p->n_stride, 1, s))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "impossible kernel: kernelSize and stride need 2 values >= 1");
    bool last_pixel = p->pooling_padding_type_case == 32;
    if (last_pixel) {
        const CoreML__Specification__PoolingLayerParams__ValidCompletePadding *v = p->includelastpixel;
        if (v->n_paddingamounts != 0 && v->n_paddingamounts != 2)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "includeLastPixel padding has %zu amounts, expected 2",
                                 v->n_paddingamounts);
        if (v->n_paddingamounts == 2)
            pads[0] = pads[2] = (int64_t)v->paddingamounts[0], pads[1] = pads[3] = (int64_t)v->paddingamounts[1];
    } else if (valid_pads(ld, p->pooling_padding_type_case == 30 ? p->valid : NULL, pads) != CS_OK) {
        return ld->lw.err->status;
    }
    if (pads[0] >= k[0] + 65536 || pads[1] > 65536)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "padding amount too large");
    if ((n = cs_lower_node1(&ld->lw, ops[p->type], x, y)) < 0 ||
        window_attrs(ld, n, k, s, pads, p->pooling_padding_type_case == 31 ? p->same : NULL) != CS_OK)
        return cm_st(ld, -1);
    if (last_pixel && cm_add_int(ld, n, "ceil_mode", 1) != CS_OK)
        return ld->lw.err->status;
    if (p->type == 1)
        return cm_add_int(ld, n, "count_include_pad", p->avgpoolexcludepadding ? 0 : 1);
    return p->type == 2 ? cm_add_int(ld, n, "p", 2) : CS_OK;
}

/* ---- activation ---- */

static cs_status scaled(cm_loader *ld, int x, int y, float mul, float add)
{
    int a = cs_lower_const_scalar(&ld->lw, "alpha", mul), b = cs_lower_const_scalar(&ld->lw, "beta",
                                                                                    add), mid = cs_lower_tmp(&ld->lw,
                                                                                                             "scaled");
    if (a < 0 || b < 0 || mid < 0)
        return cm_st(ld, -1);
    return cm_st(ld, cs_lower_node(&ld->lw, "Mul", (int[]){x, a}, 2, &mid, 1) < 0 ? -1 : cs_lower_node(&ld->lw, "Add",
                                                                                                       (int[]){mid, b}, 2, &y, 1));
}

static cs_status act_prelu(cm_loader *ld, const CoreML__Specification__ActivationPReLU *p, int x, int y)
{
    const CoreML__Specification__WeightParams *w = p->alpha;
    int64_t c = !w ? 0 : w->n_floatvalue ? (int64_t)w->n_floatvalue : (int64_t)w->float16value.len / 2;
    int64_t dims[3] = {c, 1, 1};
    int a = c > 0 ? cm_weight_value(ld, w, "alpha", 3, dims, CS_LAYOUT_UNKNOWN) : -1;
    if (a < 0)
        return c > 0 ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "PReLU without alpha values");
    return cm_st(ld, cs_lower_node(&ld->lw, "PRelu", (int[]){x, a}, 2, &y, 1));
}

/* parametricSoftplus: alpha_c * log(1 + exp(beta_c * x)) with per-channel alpha and beta (or one each). */
static cs_status act_psoftplus(cm_loader *ld, const CoreML__Specification__ActivationParametricSoftplus *p, int x, int y)
{
    const CoreML__Specification__WeightParams *ws[2] = {p->alpha, p->beta};
    int v[2];
    for (int i = 0; i < 2; i++) {
        const CoreML__Specification__WeightParams *w = ws[i];
        int64_t c = !w ? 0 : w->n_floatvalue ? (int64_t)w->n_floatvalue : (int64_t)w->float16value.len / 2;
        int64_t dims[3] = {c, 1, 1};
        if (c < 1)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "parametricSoftplus without %s values", i ? "beta" : "alpha");
        if ((v[i] = cm_weight_value(ld, w, i ? "beta" : "alpha", 3, dims, CS_LAYOUT_UNKNOWN)) < 0)
            return ld->lw.err->status;
    }
    int a = cs_lower_tmp(&ld->lw, "beta_x"), b = cs_lower_tmp(&ld->lw, "softplus");
    if (a < 0 || b < 0 || cs_lower_node(&ld->lw, "Mul", (int[]){x, v[1]}, 2, &a, 1) < 0 || cs_lower_node1(&ld->lw,
                                                                                                          "Softplus", a, b) < 0)
        return cm_st(ld, -1);
    return cm_st(ld, cs_lower_node(&ld->lw, "Mul", (int[]){b, v[0]}, 2, &y, 1));
}

static cs_status l_activation(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__ActivationParams *p = l->activation;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    int x = cm_in0(ld, l), y = cm_out0(ld, l), n = -1;
    switch (p->nonlinearity_type_case) {
    case 5: return scaled(ld, x, y, p->linear->alpha, p->linear->beta);
    case 10: n = cs_lower_node1(&ld->lw, "Relu", x, y); break;
    case 15:
        if ((n = cs_lower_node1(&ld->lw, "LeakyRelu", x, y)) >= 0 && !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n),
                                                                                         "alpha", p->leakyrelu->alpha))
            n = -1;
        break;
    case 20:
        if ((n = cs_lower_node1(&ld->lw, "ThresholdedRelu", x, y)) >= 0 &&
            !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "alpha", p->thresholdedrelu->alpha))
            n = -1;
        break;
    case 25: return act_prelu(ld, p->prelu, x, y);
    case 30: n = cs_lower_node1(&ld->lw, "Tanh", x, y); break;
    case 31: {
        int a = cs_lower_tmp(&ld->lw, "in"), b = cs_lower_tmp(&ld->lw, "tanh");
        if (a < 0 || b < 0 || scaled(ld, x, a, p->scaledtanh->beta, 0) != CS_OK || cs_lower_node1(&ld->lw, "Tanh", a,
                                                                                                  b) < 0)
            return cm_st(ld, -1);
        return scaled(ld, b, y, p->scaledtanh->alpha, 0);
    }
    case 40: n = cs_lower_node1(&ld->lw, "Sigmoid", x, y); break;
    case 41:
        if ((n = cs_lower_node1(&ld->lw, "HardSigmoid", x, y)) >= 0 &&
            (!cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "alpha", p->sigmoidhard->alpha) ||
             !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "beta", p->sigmoidhard->beta)))
            n = -1;
        break;
    case 50:
        if ((n = cs_lower_node1(&ld->lw, "Elu", x, y)) >= 0 && !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "alpha",
                                                                                   p->elu->alpha))
            n = -1;
        break;
    case 60: n = cs_lower_node1(&ld->lw, "Softsign", x, y); break;
    case 70: n = cs_lower_node1(&ld->lw, "Softplus", x, y); break;
    case 71: return act_psoftplus(ld, p->parametricsoftplus, x, y);
    default:
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "activation kind %d is not supported",
                             (int)p->nonlinearity_type_case);
    }
    return cm_st(ld, n);
}

/* ---- dense, normalisation ---- */

/* Exact array mapping, input rank 1-3 (or unknown): y = x @ W^T (+ b) on the last axis (NeuralNetwork.proto:
 * rank 1 (Cin) -> (Cout), rank 2 (x1, Cin) -> (x1, Cout), rank 3 (x1, x2, Cin) -> (x1, x2, Cout)). */
static cs_status ip_last_axis(cm_loader *ld, int x, int w, int b, int y)
{
    static const int64_t swap[2] = {1, 0};
    int wt = cs_lower_tmp(&ld->lw, "weightsT"), mm = b >= 0 ? cs_lower_tmp(&ld->lw, "matmul") : y, n;
    if (wt < 0 || mm < 0 || (n = cs_lower_node1(&ld->lw, "Transpose", w, wt)) < 0 || cm_add_ints(ld, n, "perm", swap,
                                                                                                 2) != CS_OK ||
        cs_lower_node(&ld->lw, "MatMul", (int[]){x, wt}, 2, &mm, 1) < 0)
        return cm_st(ld, -1);
    return b >= 0 ? cm_st(ld, cs_lower_node(&ld->lw, "Add", (int[]){mm, b}, 2, &y, 1)) : CS_OK;
}

static cs_status l_inner_product(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__InnerProductLayerParams *p = l->innerproduct;
    int64_t cin = (int64_t)p->inputchannels, cout = (int64_t)p->outputchannels;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (cin < 1 || cout < 1 || cin > (1 << 24) || cout > (1 << 24))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "impossible sizes inputChannels=%lld outputChannels=%lld",
                             (long long)cin,
                             (long long)cout);
    int64_t dims[2] = {cout, cin};
    int w = cm_weight_value(ld, p->weights, "weights", 2, dims, CS_LAYOUT_OI), b = -1;
    if (w < 0 || (p->hasbias && (b = cm_weight_value(ld, p->bias, "bias", 1, &cout, CS_LAYOUT_UNKNOWN)) < 0))
        return ld->lw.err->status;
    int x = cm_in0(ld, l), y = cm_out0(ld, l);
    if (ld->exact_mapping && ld->lw.g->values[x].rank < 4)
        return ip_last_axis(ld, x, w, b, y);
    if (ld->exact_mapping && ld->lw.g->values[x].rank == 5) /* (x1*x2, x3*x4*x5) -> (x1, x2, Cout, 1, 1) */
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "innerProduct on a rank-5 input with exact array mapping");
    int flat = cs_lower_tmp(&ld->lw, "flat"), mm = cs_lower_tmp(&ld->lw, "gemm");
    int64_t shape[4] = {0, cout, 1, 1};
    int sh = cs_lower_const_i64(&ld->lw, "shape", shape, 4), n;
    if (flat < 0 || mm < 0 || sh < 0 || (n = cs_lower_node1(&ld->lw, "Flatten", x, flat)) < 0 ||
        (n = cs_lower_node(&ld->lw, "Gemm", (int[]){flat, w, b}, b >= 0 ? 3 : 2, &mm, 1)) < 0 ||
        cm_add_int(ld, n, "transB", 1) != CS_OK)
        return cm_st(ld, -1);
    return cm_st(ld, cs_lower_node(&ld->lw, "Reshape", (int[]){mm, sh}, 2, &y, 1)); /* rank 4: (x1, Cout, 1, 1) */
}

static cs_status l_batchnorm(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__BatchnormLayerParams *p = l->batchnorm;
    int64_t c = (int64_t)p->channels;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (c < 1 || c > (1 << 24))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "impossible channel count %lld", (long long)c);
    int g = cm_weight_value(ld, p->gamma, "gamma", 1, &c, CS_LAYOUT_UNKNOWN);
    int b = g < 0 ? -1 : cm_weight_value(ld, p->beta, "beta", 1, &c, CS_LAYOUT_UNKNOWN);
    if (b < 0)
        return ld->lw.err->status;
    int x = cm_in0(ld, l), y = cm_out0(ld, l), n;
    if (p->computemeanvar) { /* statistics of this input: instance normalisation per channel (batch 1) */
        n = cs_lower_node(&ld->lw, "InstanceNormalization", (int[]){x, g, b}, 3, &y, 1);
    } else {
        int m = cm_weight_value(ld, p->mean, "mean", 1, &c, CS_LAYOUT_UNKNOWN);
        int v = m < 0 ? -1 : cm_weight_value(ld, p->variance, "variance", 1, &c, CS_LAYOUT_UNKNOWN);
        if (v < 0)
            return ld->lw.err->status;
        n = cs_lower_node(&ld->lw, "BatchNormalization", (int[]){x, g, b, m, v}, 5, &y, 1);
    }
    if (n < 0 || !cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "epsilon", p->epsilon))
        return cm_st(ld, -1);
    return CS_OK;
}

static cs_status l_l2norm(cm_loader *ld, const cm_layer *l)
{
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    int64_t axes[3] = {-3, -2, -1};
    int x = cm_in0(ld, l), y = cm_out0(ld, l), ss = cs_lower_tmp(&ld->lw, "sumsq"), se = cs_lower_tmp(&ld->lw,
                                                                                                      "sumsq_eps"), nr = cs_lower_tmp(&ld->lw, "norm");
    int eps = cs_lower_const_scalar(&ld->lw, "epsilon", l->l2normalize->epsilon), n;
    if (ss < 0 || se < 0 || nr < 0 || eps < 0 || (n = cs_lower_node1(&ld->lw, "ReduceSumSquare", x, ss)) < 0 ||
        cm_add_ints(ld, n, "axes", axes, 3) != CS_OK || cs_lower_node(&ld->lw, "Add", (int[]){ss, eps}, 2, &se,
                                                                      1) < 0 ||
        cs_lower_node1(&ld->lw, "Sqrt", se, nr) < 0)
        return cm_st(ld, -1);
    return cm_st(ld, cs_lower_node(&ld->lw, "Div", (int[]){x, nr}, 2, &y, 1));
}

/* ---- elementwise ---- */

static cs_status variadic(cm_loader *ld, const cm_layer *l, const char *op, const char *unary_op, float alpha)
{
    if (cm_need_io(ld, l, 1, 64, 1) != CS_OK)
        return ld->lw.err->status;
    int ins[64], y = cm_out0(ld, l);
    for (size_t i = 0; i < l->n_input; i++)
        if ((ins[i] = cm_blob(ld, l->input[i])) < 0)
            return ld->lw.err->status;
    if (l->n_input == 1 && unary_op) {
        int a = cs_lower_const_scalar(&ld->lw, "alpha", alpha);
        return cm_st(ld, a < 0 ? -1 : cs_lower_node(&ld->lw, unary_op, (int[]){ins[0], a}, 2, &y, 1));
    }
    if (l->n_input == 1)
        return cm_st(ld, cs_lower_node1(&ld->lw, "Identity", ins[0], y));
    if (strcmp(op, "Mul") != 0)
        return cm_st(ld, cs_lower_node(&ld->lw, op, ins, (int)l->n_input, &y, 1));
    int acc = ins[0];
    for (size_t i = 1; i < l->n_input; i++) {
        int next = i + 1 == l->n_input ? y : cs_lower_tmp(&ld->lw, "product");
        if (next < 0 || cs_lower_node(&ld->lw, "Mul", (int[]){acc, ins[i]}, 2, &next, 1) < 0)
            return cm_st(ld, -1);
        acc = next;
    }
    return CS_OK;
}

static cs_status l_add(cm_loader *ld, const cm_layer *l) { return variadic(ld, l, "Sum", "Add", l->add->alpha); }
static cs_status l_mul(cm_loader *ld, const cm_layer *l) { return variadic(ld, l, "Mul", "Mul", l->multiply->alpha); }
static cs_status l_avg(cm_loader *ld, const cm_layer *l) { return variadic(ld, l, "Mean", NULL, 0); }
static cs_status l_max(cm_loader *ld, const cm_layer *l) { return variadic(ld, l, "Max", NULL, 0); }
static cs_status l_min(cm_loader *ld, const cm_layer *l) { return variadic(ld, l, "Min", NULL, 0); }

/* A broadcastable constant of CoreML shape [1], [C] or [C,H,W] (as [C,1,1] / [C,H,W]). */
static int shaped_weight(cm_loader *ld, const CoreML__Specification__WeightParams *w, const uint64_t *shape, size_t n,
                         const char *what)
{
    int64_t dims[3] = {1, 1, 1};
    if (n == 1 || n == 3) {
        for (size_t i = 0; i < n; i++)
            dims[i] = (int64_t)shape[i];
    } else if (n != 0) {
        cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s shape has %zu dims, expected 1 or 3", what, n);
        return -1;
    }
    if (dims[0] < 1 || dims[1] < 1 || dims[2] < 1 || dims[0] > (1 << 24) || dims[1] > 65536 || dims[2] > 65536) {
        cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s has an impossible shape", what);
        return -1;
    }
    return cm_weight_value(ld, w, what, 3, dims, CS_LAYOUT_CHW);
}

static cs_status l_scale(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__ScaleLayerParams *p = l->scale;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    int s = shaped_weight(ld, p->scale, p->shapescale, p->n_shapescale, "scale");
    int b = p->hasbias ? shaped_weight(ld, p->bias, p->shapebias, p->n_shapebias, "bias") : -2;
    if (s < 0 || b == -1)
        return ld->lw.err->status;
    int x = cm_in0(ld, l), y = cm_out0(ld, l), mid = b >= 0 ? cs_lower_tmp(&ld->lw, "scaled") : y;
    if (mid < 0 || cs_lower_node(&ld->lw, "Mul", (int[]){x, s}, 2, &mid, 1) < 0)
        return cm_st(ld, -1);
    return b >= 0 ? cm_st(ld, cs_lower_node(&ld->lw, "Add", (int[]){mid, b}, 2, &y, 1)) : CS_OK;
}

static cs_status l_bias(cm_loader *ld, const cm_layer *l)
{
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    int b = shaped_weight(ld, l->bias->bias, l->bias->shape, l->bias->n_shape, "bias");
    return b < 0 ? ld->lw.err->status : cm_st(ld, cs_lower_node(&ld->lw, "Add", (int[]){cm_in0(ld, l), b}, 2,
                                                                (int[]){cm_out0(ld, l)}, 1));
}

static cs_status l_unary(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__UnaryFunctionLayerParams *p = l->unary;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (p->type < 0 || p->type > 7)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "unknown unary function %d", (int)p->type);
    int n = cs_lower_node_in(&ld->lw, "convscope", "CoreMLUnary", (int[]){cm_in0(ld, l)}, 1, (int[]){cm_out0(ld, l)},
                             1);
    cs_attrs *a = n >= 0 ? cs_lower_attrs(&ld->lw, n) : NULL;
    if (!a || !cs_attrs_add_int(a, "type", p->type) || !cs_attrs_add_float(a, "alpha", p->alpha) ||
        !cs_attrs_add_float(a, "epsilon", p->epsilon) || !cs_attrs_add_float(a, "shift", p->shift) ||
        !cs_attrs_add_float(a, "scale", p->scale))
        return cm_st(ld, -1);
    return CS_OK;
}

static cs_status l_load_constant(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__LoadConstantLayerParams *p = l->loadconstant;
    if (cm_need_io(ld, l, 0, 0, 1) != CS_OK)
        return ld->lw.err->status;
    if (p->n_shape != 3)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "shape has %zu dims, expected 3 (C, H, W)", p->n_shape);
    int64_t dims[4] = {1, (int64_t)p->shape[0], (int64_t)p->shape[1], (int64_t)p->shape[2]};
    for (int i = 1; i < 4; i++)
        if (dims[i] < 1 || dims[i] > (1 << 24))
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "shape has an impossible dimension");
    int c = cm_weight_value(ld, p->data, "data", 4, dims, CS_LAYOUT_NCHW);
    return c < 0 ? ld->lw.err->status : cm_st(ld, cs_lower_node1(&ld->lw, "Identity", c, cm_out0(ld, l)));
}


typedef struct layer_entry {
    int which;
    layer_fn fn;
} layer_entry;

static const layer_entry LAYERS[] = {
    {NNL(CONVOLUTION), l_conv}, {NNL(POOLING), l_pool}, {NNL(ACTIVATION), l_activation},
    {NNL(INNER_PRODUCT), l_inner_product}, {NNL(BATCHNORM), l_batchnorm}, {NNL(L2NORMALIZE), l_l2norm},
    {NNL(SOFTMAX), cm_l_softmax}, {NNL(PADDING), cm_l_padding}, {NNL(UPSAMPLE), cm_l_upsample}, {NNL(UNARY), l_unary},
    {NNL(ADD), l_add}, {NNL(MULTIPLY), l_mul}, {NNL(AVERAGE), l_avg}, {NNL(SCALE), l_scale}, {NNL(BIAS), l_bias},
    {NNL(MAX), l_max}, {NNL(MIN), l_min}, {NNL(LOAD_CONSTANT), l_load_constant}, {NNL(RESHAPE), cm_l_reshape},
    {NNL(FLATTEN), cm_l_flatten}, {NNL(PERMUTE), cm_l_permute}, {NNL(CONCAT), cm_l_concat}, {NNL(SPLIT), cm_l_split},
    {NNL(SOFTMAX_ND), cm_l_softmax_nd}, {NNL(CONCAT_ND), cm_l_concat_nd}, {NNL(TRANSPOSE), cm_l_transpose},
    {NNL(BATCHED_MATMUL), cm_l_batched_matmul}, {NNL(FLATTEN_TO2_D), cm_l_flatten_2d},
    {NNL(RESHAPE_STATIC), cm_l_reshape_static}, {NNL(REDUCE_L1), cm_l_reduce}, {NNL(REDUCE_L2), cm_l_reduce},
    {NNL(REDUCE_MAX), cm_l_reduce}, {NNL(REDUCE_MIN), cm_l_reduce}, {NNL(REDUCE_SUM), cm_l_reduce},
    {NNL(REDUCE_PROD), cm_l_reduce}, {NNL(REDUCE_MEAN), cm_l_reduce}, {NNL(REDUCE_LOG_SUM), cm_l_reduce},
    {NNL(REDUCE_SUM_SQUARE), cm_l_reduce}, {NNL(REDUCE_LOG_SUM_EXP), cm_l_reduce},
    {NNL(ADD_BROADCASTABLE), cm_l_broadcast}, {NNL(SUBTRACT_BROADCASTABLE), cm_l_broadcast},
    {NNL(MULTIPLY_BROADCASTABLE), cm_l_broadcast}, {NNL(DIVIDE_BROADCASTABLE), cm_l_broadcast},
    {NNL(MAX_BROADCASTABLE), cm_l_broadcast}, {NNL(MIN_BROADCASTABLE), cm_l_broadcast},
    {NNL(LOAD_CONSTANT_ND), cm_l_load_constant_nd}, {NNL(SQUEEZE), cm_l_squeeze}, {NNL(EXPAND_DIMS), cm_l_expand_dims},
    {NNL(CLIP), cm_l_clip}, {NNL(SLICE_STATIC), cm_l_slice_static}, {NNL(GELU), cm_l_gelu},
    {NNL(LAYER_NORMALIZATION), cm_l_layer_norm}, {NNL(REDUCE), cm_l_reduce5}, {NNL(EMBEDDING), cm_l_embedding},
    {NNL(CROP), cm_l_crop},
};

/* The name of the layer's oneof field ("convolution"), or NULL for a layer type outside the schema. */
static const ProtobufCFieldDescriptor *layer_field(const cm_layer *l)
{
    if (l->layer_case == CORE_ML__SPECIFICATION__NEURAL_NETWORK_LAYER__LAYER__NOT_SET)
        return NULL;
    return protobuf_c_message_descriptor_get_field(&core_ml__specification__neural_network_layer__descriptor,
                                                   (unsigned)l->layer_case);
}

static uint32_t unknown_layer_tag(const cm_layer *l)
{
    for (size_t i = 0; i < l->base.n_unknown_fields; i++)
        if (l->base.unknown_fields[i].tag >= 100)
            return l->base.unknown_fields[i].tag;
    return 0;
}

static cs_status finish_layer(cm_loader *ld, const cm_layer *l, const ProtobufCFieldDescriptor *f)
{
    const ProtobufCMessage *params = *(ProtobufCMessage *const *)((const char *)l + f->offset);
    if (cm_params_to_attrs(ld, params, "") != CS_OK)
        return ld->lw.err->status;
    for (size_t o = 0; o < l->n_output; o++) {
        int v = cm_blob(ld, l->output[o]);
        if (v < 0 || !cs_layer_add_output(ld->lw.g, ld->lw.layer, v))
            return cm_st(ld, -1);
        if (!ld->exact_mapping && ld->lw.g->values[v].layout == CS_LAYOUT_UNKNOWN)
            ld->lw.g->values[v].layout = CS_LAYOUT_NCHW;
    }
    return CS_OK;
}

cs_status cm_nn_layer(cm_loader *ld, const cm_layer *l)
{
    const char *name = l->name && *l->name ? l->name : "(unnamed)";
    const ProtobufCFieldDescriptor *f = layer_field(l);
    if (!f) {
        snprintf(ld->lw.where, sizeof ld->lw.where, "layer '%s'", name);
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "unknown or unsupported layer type (NeuralNetworkLayer field %u)",
                             unknown_layer_tag(l));
    }
    if (cs_lower_layer(&ld->lw, name, f->name, -1) != CS_OK)
        return ld->lw.err->status;
    if (l->n_input > 64 || l->n_output > 64)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "more than 64 inputs or outputs");
    for (size_t i = 0; i < sizeof LAYERS / sizeof LAYERS[0]; i++)
        if (LAYERS[i].which == (int)l->layer_case) {
            if (LAYERS[i].fn(ld, l) != CS_OK)
                return ld->lw.err->status;
            return finish_layer(ld, l, f);
        }
    return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "layer type '%s' is not supported", f->name);
}
