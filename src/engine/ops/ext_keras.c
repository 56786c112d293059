/* ext_keras.c — convscope-domain ops that express Keras semantics with no ONNX equivalent
 * (see registry.h); kernels follow the contract in ops.h. */
#include <math.h>

#include "registry.h"

/* KerasReLU: Keras's relu(x, negative_slope, max_value, threshold), step by step as Keras computes it:
 * y = x > threshold ? x : 0 (relu when threshold is 0), clipped to [0, max_value], minus
 * negative_slope * relu(threshold - x). */
static cs_status op_keras_relu(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st != CS_OK)
        return st;
    const cs_tensor *x = ctx->in[0];
    if (x->dtype != CS_DT_F32)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "input must be f32, got %s", cs_dtype_name(x->dtype));
    float slope = (float)cs_attrs_float(&ctx->node->attrs, "negative_slope", 0.0);
    float thr = (float)cs_attrs_float(&ctx->node->attrs, "threshold", 0.0);
    bool has_max = cs_attrs_find(&ctx->node->attrs, "max_value") != NULL;
    float maxv = (float)cs_attrs_float(&ctx->node->attrs, "max_value", 0.0);
    cs_tensor *y = cs_kernel_output(ctx, 0, CS_DT_F32, x->rank, x->dims);
    if (!y)
        return ctx->err->status;
    const float *in = x->data;
    float *out = y->data;
    int64_t n = cs_tensor_numel(x);
    for (int64_t i = 0; i < n; i++) {
        float v = in[i], r = thr != 0.0f ? (v > thr ? v : 0.0f) : (v > 0.0f ? v : 0.0f);
        if (has_max)
            r = r < 0.0f ? 0.0f : r > maxv ? maxv : r;
        if (slope != 0.0f) {
            float neg = thr - v;
            r -= slope * (neg > 0.0f ? neg : 0.0f);
        }
        out[i] = r;
    }
    return CS_OK;
}

const cs_op_def cs_ops_keras[] = {
    {.name = "KerasReLU", .run = op_keras_relu},
    {.name = NULL},
};
