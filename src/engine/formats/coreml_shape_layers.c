/* coreml_shape_layers.c — CoreML layers that move data (reshape, flatten, permute, concat, split, padding,
 * upsample, softmax) and the rank-N layers of spec 4+ (batchedMatMul, reshapeStatic, transpose, reduce*). */
#include <stdio.h>
#include <string.h>

#include "coreml_layers.h"

#define NNL(x) CORE_ML__SPECIFICATION__NEURAL_NETWORK_LAYER__LAYER_##x

static int perm_node(cm_loader *ld, int x, int y, const int64_t *perm, int n)
{
    int k = cs_lower_node1(&ld->lw, "Transpose", x, y);
    return k < 0 || cm_add_ints(ld, k, "perm", perm, n) != CS_OK ? -1 : k;
}

static int reshape_node(cm_loader *ld, int x, int y, const int64_t *shape, int n)
{
    int s = cs_lower_const_i64(&ld->lw, "shape", shape, n);
    return s < 0 ? -1 : cs_lower_node(&ld->lw, "Reshape", (int[]){x, s}, 2, &y, 1);
}

static cs_status axis_node(cm_loader *ld, const cm_layer *l, const char *op, int64_t axis, int n_in)
{
    if (cm_need_io(ld, l, (size_t)n_in, n_in == 1 ? 1 : 64, 1) != CS_OK)
        return ld->lw.err->status;
    int ins[64];
    for (size_t i = 0; i < l->n_input; i++)
        if ((ins[i] = cm_blob(ld, l->input[i])) < 0)
            return ld->lw.err->status;
    int k = cs_lower_node(&ld->lw, op, ins, (int)l->n_input, (int[]){cm_out0(ld, l)}, 1);
    return k < 0 ? cm_st(ld, k) : cm_add_int(ld, k, "axis", axis);
}

cs_status cm_l_softmax(cm_loader *ld, const cm_layer *l) { return axis_node(ld, l, "Softmax", -3, 1); }
cs_status cm_l_softmax_nd(cm_loader *ld, const cm_layer *l) { return axis_node(ld, l, "Softmax", l->softmaxnd->axis, 1); }
cs_status cm_l_concat_nd(cm_loader *ld, const cm_layer *l) { return axis_node(ld, l, "Concat", l->concatnd->axis, 2); }
cs_status cm_l_flatten_2d(cm_loader *ld, const cm_layer *l) { return axis_node(ld, l, "Flatten", l->flattento2d->axis, 1); }

cs_status cm_l_concat(cm_loader *ld, const cm_layer *l)
{
    if (l->concat->sequenceconcat)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "sequence concatenation is not supported (blobs carry no sequence axis)");
    return axis_node(ld, l, "Concat", -3, 2);
}

cs_status cm_l_split(cm_loader *ld, const cm_layer *l)
{
    if (cm_need_io(ld, l, 1, 1, 0) != CS_OK)
        return ld->lw.err->status;
    if (l->n_output < 1 || (l->split->noutputs && l->split->noutputs != l->n_output))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "nOutputs is %llu but the layer has %zu outputs",
                             (unsigned long long)l->split->noutputs, l->n_output);
    int outs[64];
    for (size_t i = 0; i < l->n_output; i++)
        if ((outs[i] = cm_blob(ld, l->output[i])) < 0)
            return ld->lw.err->status;
    int k = cs_lower_node(&ld->lw, "Split", (int[]){cm_in0(ld, l)}, 1, outs, (int)l->n_output);
    return k < 0 ? cm_st(ld, k) : cm_add_int(ld, k, "axis", -3);
}

cs_status cm_l_padding(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__PaddingLayerParams *p = l->padding;
    const CoreML__Specification__BorderAmounts *b = p->paddingamounts;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    int64_t pads[8] = {0};
    for (size_t i = 0; b && i < b->n_borderamounts && i < 2; i++) {
        if (b->borderamounts[i]->startedgesize > 65536 || b->borderamounts[i]->endedgesize > 65536)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "padding amount too large");
        pads[2 + i] = (int64_t)b->borderamounts[i]->startedgesize;
        pads[6 + i] = (int64_t)b->borderamounts[i]->endedgesize;
    }
    if (b && b->n_borderamounts != 0 && b->n_borderamounts != 2)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "padding amounts have %zu entries, expected 2",
                             b->n_borderamounts);
    const char *mode = p->padding_type_case == 2 ? "reflect" : p->padding_type_case == 3 ? "edge" : "constant";
    int pv = cs_lower_const_i64(&ld->lw, "pads", pads, 8);
    int cv = cs_lower_const_scalar(&ld->lw, "value", p->padding_type_case == 1 ? p->constant->value : 0.0f);
    int k = pv < 0 || cv < 0 ? -1 : cs_lower_node(&ld->lw, "Pad", (int[]){cm_in0(ld, l), pv, cv}, 3,
                                                  (int[]){cm_out0(ld, l)}, 1);
    return k < 0 ? cm_st(ld, k) : cm_add_str(ld, k, "mode", mode);
}

cs_status cm_l_upsample(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__UpsampleLayerParams *p = l->upsample;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    float sc[4] = {1, 1, 1, 1};
    if (p->n_fractionalscalingfactor == 2)
        sc[2] = p->fractionalscalingfactor[0], sc[3] = p->fractionalscalingfactor[1];
    else if (p->n_scalingfactor == 2)
        sc[2] = (float)p->scalingfactor[0], sc[3] = (float)p->scalingfactor[1];
    else if (p->n_scalingfactor != 0)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "scalingFactor has %zu values, expected 2", p->n_scalingfactor);
    if (!(sc[2] > 0 && sc[3] > 0 && sc[2] <= 1024 && sc[3] <= 1024))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "impossible scaling factors");
    int64_t four = 4;
    int s = cs_lower_const_f32(&ld->lw, "scales", sc, 1, &four);
    int k = s < 0 ? -1 : cs_lower_node(&ld->lw, "Resize", (int[]){cm_in0(ld, l), -1, s}, 3, (int[]){cm_out0(ld, l)}, 1);
    if (k < 0)
        return cm_st(ld, k);
    /* NeuralNetwork.proto: DEFAULT samples at i * Xin/Xout (asymmetric), ALIGN_CORNERS_TRUE at
     * i * (Xin-1)/(Xout-1), ALIGN_CORNERS_FALSE at (i + 0.5) * Xin/Xout - 0.5 (half pixel), clamped to the input. */
    bool linear = p->mode == CORE_ML__SPECIFICATION__UPSAMPLE_LAYER_PARAMS__INTERPOLATION_MODE__BILINEAR;
    int lm = linear ? (int)p->linearupsamplemode : 0;
    const char *ct = lm == CORE_ML__SPECIFICATION__UPSAMPLE_LAYER_PARAMS__LINEAR_UPSAMPLE_MODE__ALIGN_CORNERS_FALSE ? "half_pixel"
                     : lm == CORE_ML__SPECIFICATION__UPSAMPLE_LAYER_PARAMS__LINEAR_UPSAMPLE_MODE__ALIGN_CORNERS_TRUE
                         ? "align_corners" : "asymmetric";
    if (cm_add_str(ld, k, "mode", linear ? "linear" : "nearest") != CS_OK ||
        cm_add_str(ld, k, "coordinate_transformation_mode", ct) != CS_OK)
        return ld->lw.err->status;
    return linear ? CS_OK : cm_add_str(ld, k, "nearest_mode", "floor");
}

/* Rank-5 reshape: CHANNEL_FIRST is a plain reshape; CHANNEL_LAST goes through NHWC order. */
cs_status cm_l_reshape(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__ReshapeLayerParams *p = l->reshape;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (p->n_targetshape != 3 && p->n_targetshape != 4)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "targetShape has %zu dims, expected 3 (C,H,W) or 4 (Seq,C,H,W)",
                             p->n_targetshape);
    const int64_t *t = p->targetshape + (p->n_targetshape - 3);
    int64_t shape[4] = {p->n_targetshape == 4 ? p->targetshape[0] : 0, t[0], t[1], t[2]};
    int x = cm_in0(ld, l), y = cm_out0(ld, l);
    if (p->mode != CORE_ML__SPECIFICATION__RESHAPE_LAYER_PARAMS__RESHAPE_ORDER__CHANNEL_LAST)
        return cm_st(ld, reshape_node(ld, x, y, shape, 4));
    static const int64_t to_nhwc[4] = {0, 2, 3, 1}, to_nchw[4] = {0, 3, 1, 2};
    int64_t nhwc[4] = {shape[0], shape[2], shape[3], shape[1]};
    int a = cs_lower_tmp(&ld->lw, "nhwc"), b = cs_lower_tmp(&ld->lw, "reshaped");
    if (a < 0 || b < 0 || perm_node(ld, x, a, to_nhwc, 4) < 0 || reshape_node(ld, a, b, nhwc, 4) < 0)
        return cm_st(ld, -1);
    return cm_st(ld, perm_node(ld, b, y, to_nchw, 4));
}

cs_status cm_l_flatten(cm_loader *ld, const cm_layer *l)
{
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    static const int64_t shape[4] = {0, -1, 1, 1}, to_nhwc[4] = {0, 2, 3, 1};
    int x = cm_in0(ld, l), y = cm_out0(ld, l);
    if (l->flatten->mode != CORE_ML__SPECIFICATION__FLATTEN_LAYER_PARAMS__FLATTEN_ORDER__CHANNEL_LAST)
        return cm_st(ld, reshape_node(ld, x, y, shape, 4));
    int a = cs_lower_tmp(&ld->lw, "nhwc");
    return cm_st(ld, a < 0 || perm_node(ld, x, a, to_nhwc, 4) < 0 ? -1 : reshape_node(ld, a, y, shape, 4));
}

static bool is_perm(const uint64_t *v, size_t n, int64_t *out)
{
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] >= n || (seen & (1u << v[i])))
            return false;
        seen |= 1u << v[i];
        out[i] = (int64_t)v[i];
    }
    return true;
}

cs_status cm_l_permute(cm_loader *ld, const cm_layer *l)
{
    int64_t perm[4] = {0, 1, 2, 3};
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (l->permute->n_axis != 0 && (l->permute->n_axis != 4 || !is_perm(l->permute->axis, 4, perm)))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "axis must be a permutation of [0,1,2,3] (Seq, C, H, W)");
    return cm_st(ld, perm_node(ld, cm_in0(ld, l), cm_out0(ld, l), perm, 4));
}

cs_status cm_l_transpose(cm_loader *ld, const cm_layer *l)
{
    int64_t perm[CS_MAX_RANK];
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (l->transpose->n_axes > CS_MAX_RANK || !is_perm(l->transpose->axes, l->transpose->n_axes, perm))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "axes are not a permutation");
    return cm_st(ld, perm_node(ld, cm_in0(ld, l), cm_out0(ld, l), perm, (int)l->transpose->n_axes));
}

cs_status cm_l_reshape_static(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__ReshapeStaticLayerParams *p = l->reshapestatic;
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    if (p->n_targetshape == 0 || p->n_targetshape > CS_MAX_RANK)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "targetShape has %zu dims", p->n_targetshape);
    return cm_st(ld, reshape_node(ld, cm_in0(ld, l), cm_out0(ld, l), p->targetshape, (int)p->n_targetshape));
}

/* Swaps the last two axes of v, whatever its rank (Einsum "...ij->...ji"); -1 on error. */
static int swap_last2(cm_loader *ld, int v, const char *hint)
{
    int t = cs_lower_tmp(&ld->lw, hint), k = t < 0 ? -1 : cs_lower_node1(&ld->lw, "Einsum", v, t);
    return k < 0 || cm_add_str(ld, k, "equation", "...ij->...ji") != CS_OK ? -1 : t;
}

/* Two inputs: a @ b with transposeA / transposeB swapping the last two axes of an operand. */
static cs_status matmul_two(cm_loader *ld, const cm_layer *l, int a, int y)
{
    const CoreML__Specification__BatchedMatMulLayerParams *p = l->batchedmatmul;
    int b = cm_blob(ld, l->input[1]);
    if (b < 0)
        return ld->lw.err->status;
    if (p->transposea && (a = swap_last2(ld, a, "aT")) < 0)
        return cm_st(ld, -1);
    if (p->transposeb && (b = swap_last2(ld, b, "bT")) < 0)
        return cm_st(ld, -1);
    return cm_st(ld, cs_lower_node(&ld->lw, "MatMul", (int[]){a, b}, 2, &y, 1));
}

/* One input: x @ W + b with W stored as [X2, X1] (like innerProduct); two inputs: matmul_two. */
cs_status cm_l_batched_matmul(cm_loader *ld, const cm_layer *l)
{
    const CoreML__Specification__BatchedMatMulLayerParams *p = l->batchedmatmul;
    if (cm_need_io(ld, l, 1, 2, 1) != CS_OK)
        return ld->lw.err->status;
    int x = cm_in0(ld, l), y = cm_out0(ld, l);
    if (l->n_input == 2)
        return matmul_two(ld, l, x, y);
    int64_t x1 = (int64_t)p->weightmatrixfirstdimension, x2 = (int64_t)p->weightmatrixseconddimension;
    if (x1 < 1 || x2 < 1 || x1 > (1 << 24) || x2 > (1 << 24))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "impossible weight matrix %lldx%lld", (long long)x1,
                             (long long)x2);
    int64_t dims[2] = {x2, x1};
    static const int64_t swap[2] = {1, 0};
    int w = cm_weight_value(ld, p->weights, "weights", 2, dims, CS_LAYOUT_OI), b = -1;
    if (w < 0 || (p->hasbias && (b = cm_weight_value(ld, p->bias, "bias", 1, &x2, CS_LAYOUT_UNKNOWN)) < 0))
        return ld->lw.err->status;
    int wt = cs_lower_tmp(&ld->lw, "weightsT"), mm = b >= 0 ? cs_lower_tmp(&ld->lw, "matmul") : y;
    if (wt < 0 || mm < 0 || perm_node(ld, w, wt, swap, 2) < 0 || cs_lower_node(&ld->lw, "MatMul", (int[]){x, wt}, 2,
                                                                               &mm, 1) < 0)
        return cm_st(ld, -1);
    return b >= 0 ? cm_st(ld, cs_lower_node(&ld->lw, "Add", (int[]){mm, b}, 2, &y, 1)) : CS_OK;
}

static const char *reduce_op(int which)
{
    switch (which) {
    case NNL(REDUCE_L1): return "ReduceL1";
    case NNL(REDUCE_L2): return "ReduceL2";
    case NNL(REDUCE_MAX): return "ReduceMax";
    case NNL(REDUCE_MIN): return "ReduceMin";
    case NNL(REDUCE_SUM): return "ReduceSum";
    case NNL(REDUCE_PROD): return "ReduceProd";
    case NNL(REDUCE_MEAN): return "ReduceMean";
    case NNL(REDUCE_LOG_SUM): return "ReduceLogSum";
    case NNL(REDUCE_SUM_SQUARE): return "ReduceSumSquare";
    default: return "ReduceLogSumExp";
    }
}

/* Every Reduce*LayerParams has axes=1, keepDims=2, reduceAll=3; read them through the descriptor. */
cs_status cm_l_reduce(cm_loader *ld, const cm_layer *l)
{
    if (cm_need_io(ld, l, 1, 1, 1) != CS_OK)
        return ld->lw.err->status;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&core_ml__specification__neural_network_layer__descriptor,
                                                (unsigned)l->layer_case);
    const ProtobufCMessage *m = *(ProtobufCMessage *const *)((const char *)l + f->offset);
    const ProtobufCFieldDescriptor *fa = protobuf_c_message_descriptor_get_field(m->descriptor, 1);
    const ProtobufCFieldDescriptor *fk = protobuf_c_message_descriptor_get_field(m->descriptor, 2);
    const ProtobufCFieldDescriptor *fr = protobuf_c_message_descriptor_get_field(m->descriptor, 3);
    size_t n_axes = *(const size_t *)((const char *)m + fa->quantifier_offset);
    const int64_t *axes = *(int64_t *const *)((const char *)m + fa->offset);
    bool keep = *(const protobuf_c_boolean *)((const char *)m + fk->offset);
    bool all = *(const protobuf_c_boolean *)((const char *)m + fr->offset);
    if (n_axes > CS_MAX_RANK)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "too many axes");
    const char *op = reduce_op((int)l->layer_case);
    bool axes_input = strcmp(op, "ReduceSum") == 0; /* opset 13: ReduceSum takes axes as an input */
    int av = !all && axes_input ? cs_lower_const_i64(&ld->lw, "axes", axes, (int)n_axes) : -1;
    int k = cs_lower_node(&ld->lw, op, (int[]){cm_in0(ld, l), av}, av >= 0 ? 2 : 1, (int[]){cm_out0(ld, l)}, 1);
    if (k < 0 || cm_add_int(ld, k, "keepdims", keep) != CS_OK)
        return cm_st(ld, -1);
    return all || axes_input ? CS_OK : cm_add_ints(ld, k, "axes", axes, (int)n_axes);
}
