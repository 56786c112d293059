/* coreml_nd_layers.c — NeuralNetwork layers coremltools emits for Keras and PyTorch besides the core set:
 * the *Broadcastable arithmetic, loadConstantND, squeeze, expandDims, sliceStatic, clip, gelu,
 * layerNormalization, and the rank-5 reduce, embedding and crop layers. Semantics follow Apple's NeuralNetwork.proto comments. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coreml_layers.h"

#define NNL(x) CORE_ML__SPECIFICATION__NEURAL_NETWORK_LAYER__LAYER_##x

/* y = x1 OP x2 with numpy broadcasting (two inputs). */
cs_status cm_l_broadcast(cm_loader *ld, const cm_layer *l)
{
    const char *op;
    switch ((int)l->layer_case) {
    case NNL(ADD_BROADCASTABLE): op = "Add"; break;
    case NNL(SUBTRACT_BROADCASTABLE): op = "Sub"; break;
    case NNL(MULTIPLY_BROADCASTABLE): op = "Mul"; break;
    case NNL(DIVIDE_BROADCASTABLE): op = "Div"; break;
    case NNL(MAX_BROADCASTABLE): op = "Max"; break;
    default: op = "Min"; break;
    }
    if (cm_need_io(ld, l, 2, 2, 1) != CS_OK)
        return ld->lw.err->status;
    int a = cm_in0(ld, l), b = cm_blob(ld, l->input[1]);
    return a < 0 || b < 0 ? ld->lw.err->status : cm_st(ld, cs_lower_node(&ld->lw, op, (int[]){a, b}, 2,
                                                                         (int[]){cm_out0(ld, l)}, 1));
}

cs_status cm_l_load_constant_nd(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__LoadConstantNDLayerParams *p = l->loadconstantnd;
    if (cm_need_io(ld, l, 0, 0, 1) != CS_OK)
        return ld->lw.err->status;
    if (p->n_shape < 1 || p->n_shape > CS_MAX_RANK)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "shape has %zu dims, expected 1 to %d", p->n_shape, CS_MAX_RANK);
    int64_t dims[CS_MAX_RANK];
    for (size_t i = 0; i < p->n_shape; i++)
        if ((dims[i] = (int64_t)p->shape[i]) < 1 || p->shape[i] > (1u << 24))
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "shape has an impossible dimension");
    int c = cm_weight_value(ld, p->data, "data", (int)p->n_shape, dims, CS_LAYOUT_UNKNOWN);
    return c < 0 ? ld->lw.err->status : cm_st(ld, cs_lower_node1(&ld->lw, "Identity", c, cm_out0(ld, l)));
}

/* Squeeze / Unsqueeze with axes as an input (opset 13); no axes: every unit axis. */
static cs_status axes_op(cm_loader *ld, const cm_layer *l, const char *op, const int64_t *axes, size_t n)
{
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (n > CS_MAX_RANK)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%zu axes", n);
    int av = n ? cs_lower_const_i64(&ld->lw, "axes", axes, (int)n) : -1;
    if (n && av < 0)
        return ld->lw.err->status;
    return cm_st(ld, cs_lower_node(&ld->lw, op, (int[]){cm_in0(ld, l), av}, n ? 2 : 1, (int[]){cm_out0(ld, l)}, 1));
}

cs_status cm_l_squeeze(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__SqueezeLayerParams *p = l->squeeze;
    return axes_op(ld, l, "Squeeze", p->axes, p->squeezeall ? 0 : p->n_axes);
}

cs_status cm_l_expand_dims(cm_loader *ld, const cm_layer *l)
{
    if (l->expanddims->n_axes == 0)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "expandDims without axes");
    return axes_op(ld, l, "Unsqueeze", l->expanddims->axes, l->expanddims->n_axes);
}

cs_status cm_l_clip(cm_loader *ld, const cm_layer *l)
{
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    int lo = cs_lower_const_scalar(&ld->lw, "minVal", l->clip->minval), hi = cs_lower_const_scalar(&ld->lw, "maxVal",
                                                                                                   l->clip->maxval);
    if (lo < 0 || hi < 0)
        return cm_st(ld, -1);
    return cm_st(ld, cs_lower_node(&ld->lw, "Clip", (int[]){cm_in0(ld, l), lo, hi}, 3, (int[]){cm_out0(ld, l)}, 1));
}

/* sliceStatic: per axis begin/end/stride; a set mask takes the whole range; squeezeMasks drop the axis. */
cs_status cm_l_slice_static(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__SliceStaticLayerParams *p = l->slicestatic;
    size_t n = p->n_beginids;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (n < 1 || n > CS_MAX_RANK || p->n_endids != n || p->n_strides != n || (p->n_beginmasks && p->n_beginmasks != n) ||
        (p->n_endmasks && p->n_endmasks != n) || (p->n_squeezemasks && p->n_squeezemasks != n))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "beginIds, endIds, strides and masks need one value per axis");
    int64_t st[CS_MAX_RANK], en[CS_MAX_RANK], ax[CS_MAX_RANK], sq[CS_MAX_RANK];
    int n_sq = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t s = p->strides[i];
        if (s == 0)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "stride 0 on axis %zu", i);
        st[i] = p->n_beginmasks && p->beginmasks[i] ? (s > 0 ? 0 : INT64_MAX) : p->beginids[i];
        en[i] = p->n_endmasks && p->endmasks[i] ? (s > 0 ? INT64_MAX : INT64_MIN) : p->endids[i];
        ax[i] = (int64_t)i;
        if (p->n_squeezemasks && p->squeezemasks[i])
            sq[n_sq++] = (int64_t)i;
    }
    int sv = cs_lower_const_i64(&ld->lw, "starts", st, (int)n), ev = cs_lower_const_i64(&ld->lw, "ends", en, (int)n);
    int av = cs_lower_const_i64(&ld->lw, "axes", ax, (int)n), pv = cs_lower_const_i64(&ld->lw, "steps", p->strides,
                                                                                      (int)n);
    int y = cm_out0(ld, l), mid = n_sq ? cs_lower_tmp(&ld->lw, "sliced") : y;
    if (sv < 0 || ev < 0 || av < 0 || pv < 0 || mid < 0 ||
        cs_lower_node(&ld->lw, "Slice", (int[]){cm_in0(ld, l), sv, ev, av, pv}, 5, &mid, 1) < 0)
        return cm_st(ld, -1);
    int qv = n_sq ? cs_lower_const_i64(&ld->lw, "squeeze_axes", sq, n_sq) : 0;
    return n_sq ? cm_st(ld, qv < 0 ? -1 : cs_lower_node(&ld->lw, "Squeeze", (int[]){mid, qv}, 2, &y, 1)) : CS_OK;
}

/* gelu: EXACT 0.5x(1+erf(x/sqrt 2)), TANH_APPROXIMATION, SIGMOID_APPROXIMATION x*sigmoid(1.702x). */
cs_status cm_l_gelu(cm_loader *ld, const cm_layer *l)
{
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    int x = cm_in0(ld, l), y = cm_out0(ld, l), mode = (int)l->gelu->mode, n;
    if (mode == CORE_ML__SPECIFICATION__GELU_LAYER_PARAMS__GELU_MODE__SIGMOID_APPROXIMATION) {
        int k = cs_lower_const_scalar(&ld->lw, "k", 1.702f), a = cs_lower_tmp(&ld->lw, "kx"), s = cs_lower_tmp(&ld->lw,
                                                                                                               "sigmoid");
        if (k < 0 || a < 0 || s < 0 || cs_lower_node(&ld->lw, "Mul", (int[]){x, k}, 2, &a,
                                                     1) < 0 || cs_lower_node1(&ld->lw, "Sigmoid", a, s) < 0)
            return cm_st(ld, -1);
        return cm_st(ld, cs_lower_node(&ld->lw, "Mul", (int[]){x, s}, 2, &y, 1));
    }
    if ((n = cs_lower_node1(&ld->lw, "Gelu", x, y)) < 0)
        return cm_st(ld, n);
    return mode == CORE_ML__SPECIFICATION__GELU_LAYER_PARAMS__GELU_MODE__TANH_APPROXIMATION
               ? cm_add_str(ld, n, "approximate", "tanh") : CS_OK;
}

/* layerNormalization over the last len(normalizedShape) axes, gamma and beta of that shape. */
cs_status cm_l_layer_norm(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__LayerNormalizationLayerParams *p = l->layernormalization;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    size_t k = p->n_normalizedshape;
    if (k < 1 || k > CS_MAX_RANK)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "normalizedShape has %zu dims", k);
    for (size_t i = 0; i < k; i++)
        if (p->normalizedshape[i] < 1 || p->normalizedshape[i] > (1 << 24))
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "normalizedShape has an impossible dimension");
    int g = cm_weight_value(ld, p->gamma, "gamma", (int)k, p->normalizedshape, CS_LAYOUT_UNKNOWN);
    int b = g < 0 ? -1 : cm_weight_value(ld, p->beta, "beta", (int)k, p->normalizedshape, CS_LAYOUT_UNKNOWN);
    if (b < 0)
        return ld->lw.err->status;
    int n = cs_lower_node(&ld->lw, "LayerNormalization", (int[]){cm_in0(ld, l), g, b}, 3, (int[]){cm_out0(ld, l)}, 1);
    if (n < 0 || cm_add_int(ld, n, "axis", -(int64_t)k) != CS_OK)
        return cm_st(ld, -1);
    return cs_attrs_add_float(cs_lower_attrs(&ld->lw, n), "epsilon", p->eps) ? CS_OK : cs_lower_nomem(&ld->lw);
}

/* Rank-5 reduce: mode over CHW, HW, C, H or W with the reduced axes kept as size 1. */
cs_status cm_l_reduce5(cm_loader *ld, const cm_layer *l)
{
    static const char *ops[] = {"ReduceSum", "ReduceMean", "ReduceProd", "ReduceLogSum", "ReduceSumSquare",
                                "ReduceL1", "ReduceL2", "ReduceMax", "ReduceMin", "ArgMax"};
    static const int64_t axes_of[5][3] = {{-3, -2, -1}, {-2, -1}, {-3}, {-2}, {-1}};
    static const int n_axes_of[5] = {3, 2, 1, 1, 1};
    const CoreML__Specification__ReduceLayerParams *p = l->reduce;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (p->mode < 0 || p->mode > 9 || p->axis < 0 || p->axis > 4)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "unknown reduce mode %d or axis %d", (int)p->mode, (int)p->axis);
    const int64_t *axes = axes_of[p->axis];
    int na = n_axes_of[p->axis], y = cm_out0(ld, l), x = cm_in0(ld, l), n;
    if (p->mode == 9) {
        if (na != 1)
            return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "ARGMAX over more than one axis");
        int idx = cs_lower_tmp(&ld->lw, "argmax"); /* NeuralNetwork blobs are float: the index is cast back */
        if (idx < 0 || (n = cs_lower_node1(&ld->lw, "ArgMax", x, idx)) < 0 || cm_add_int(ld, n, "axis",
                                                                                         axes[0]) != CS_OK ||
            cm_add_int(ld, n, "keepdims", 1) != CS_OK || (n = cs_lower_node1(&ld->lw, "Cast", idx, y)) < 0)
            return cm_st(ld, -1);
        return cm_add_int(ld, n, "to", CS_DT_F32);
    }
    bool axes_input = p->mode == 0; /* opset 13: ReduceSum takes axes as an input */
    int av = axes_input ? cs_lower_const_i64(&ld->lw, "axes", axes, na) : -1;
    if (axes_input && av < 0)
        return ld->lw.err->status;
    if ((n = cs_lower_node(&ld->lw, ops[p->mode], (int[]){x, av}, axes_input ? 2 : 1, &y, 1)) < 0 ||
        cm_add_int(ld, n, "keepdims", 1) != CS_OK)
        return cm_st(ld, -1);
    return axes_input ? CS_OK : cm_add_ints(ld, n, "axes", axes, na);
}

/* embedding (rank 5): indices [N,1,1,1] -> W[:, index] (+ bias) as [N, outputChannels, 1, 1]; W is stored
 * [outputChannels, inputDim]. */
cs_status cm_l_embedding(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__EmbeddingLayerParams *p = l->embedding;
    int64_t din = (int64_t)p->inputdim, dout = (int64_t)p->outputchannels;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (ld->exact_mapping)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "embedding with exact array mapping (use embeddingND)");
    if (din < 1 || dout < 1 || din > (1 << 24) || dout > (1 << 24))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "impossible sizes inputDim=%lld outputChannels=%lld",
                             (long long)din,
                             (long long)dout);
    int64_t dims[2] = {dout, din}, flat_shape = -1, out_shape[4] = {-1, dout, 1, 1};
    static const int64_t swap[2] = {1, 0};
    int w = cm_weight_value(ld, p->weights, "weights", 2, dims, CS_LAYOUT_OI), b = -1;
    if (w < 0 || (p->hasbias && (b = cm_weight_value(ld, p->bias, "bias", 1, &dout, CS_LAYOUT_UNKNOWN)) < 0))
        return ld->lw.err->status;
    int fs = cs_lower_const_i64(&ld->lw, "flat_shape", &flat_shape, 1), os = cs_lower_const_i64(&ld->lw, "shape",
                                                                                                out_shape, 4);
    int flat = cs_lower_tmp(&ld->lw, "indices"), idx = cs_lower_tmp(&ld->lw, "indices_i64"), wt = cs_lower_tmp(&ld->lw,
                                                                                                               "table"), g = cs_lower_tmp(&ld->lw, "rows");
    int sum = b >= 0 ? cs_lower_tmp(&ld->lw, "biased") : g, n;
    if (fs < 0 || os < 0 || flat < 0 || idx < 0 || wt < 0 || g < 0 || sum < 0 ||
        cs_lower_node(&ld->lw, "Reshape", (int[]){cm_in0(ld, l), fs}, 2, &flat, 1) < 0 || (n = cs_lower_node1(&ld->lw,
                                                                                                              "Cast", flat, idx)) < 0 ||
        cm_add_int(ld, n, "to", CS_DT_I64) != CS_OK || (n = cs_lower_node1(&ld->lw, "Transpose", w, wt)) < 0 ||
        cm_add_ints(ld, n, "perm", swap, 2) != CS_OK || cs_lower_node(&ld->lw, "Gather", (int[]){wt, idx}, 2, &g,
                                                                      1) < 0 ||
        (b >= 0 && cs_lower_node(&ld->lw, "Add", (int[]){g, b}, 2, &sum, 1) < 0))
        return cm_st(ld, -1);
    return cm_st(ld, cs_lower_node(&ld->lw, "Reshape", (int[]){sum, os}, 2, (int[]){cm_out0(ld, l)}, 1));
}

/* crop (one input): cropAmounts [H (top, bottom), W (left, right)] removed from the borders. */
cs_status cm_l_crop(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__BorderAmounts *b = l->crop->cropamounts;
    if (cm_need_io(ld, l, 1, 2, 1) != CS_OK)
        return ld->lw.err->status;
    if (l->n_input == 2)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "crop to the size of a second input is not supported");
    if (!b || b->n_borderamounts != 2)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "cropAmounts needs 2 entries (height, width)");
    int64_t st[2], en[2], ax[2] = {-2, -1};
    for (int i = 0; i < 2; i++) {
        if (b->borderamounts[i]->startedgesize > (1u << 24) || b->borderamounts[i]->endedgesize > (1u << 24))
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "crop amount too large");
        st[i] = (int64_t)b->borderamounts[i]->startedgesize;
        en[i] = b->borderamounts[i]->endedgesize ? -(int64_t)b->borderamounts[i]->endedgesize : INT64_MAX;
    }
    int sv = cs_lower_const_i64(&ld->lw, "starts", st, 2), ev = cs_lower_const_i64(&ld->lw, "ends", en,
                                                                                   2), av = cs_lower_const_i64(&ld->lw,
                                                                                                               "axes", ax, 2);
    if (sv < 0 || ev < 0 || av < 0)
        return cm_st(ld, -1);
    return cm_st(ld, cs_lower_node(&ld->lw, "Slice", (int[]){cm_in0(ld, l), sv, ev, av}, 4, (int[]){cm_out0(ld, l)},
                                   1));
}
