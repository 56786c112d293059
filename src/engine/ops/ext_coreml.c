/* ext_coreml.c — convscope-domain ops that express CoreML semantics with no ONNX equivalent
 * (see registry.h); kernels follow the contract in ops.h. */
#include <math.h>

#include "registry.h"

/* CoreML unaryFunction: x' = scale*x + shift, then SQRT, RSQRT, INVERSE, POWER, EXP, LOG, ABS or THRESHOLD. */
static float unary_apply(int type, float x, float alpha, float eps)
{
    switch (type) {
    case 0: return sqrtf(x);
    case 1: return 1.0f / sqrtf(x + eps);
    case 2: return 1.0f / (x + eps);
    case 3: return powf(x, alpha);
    case 4: return expf(x);
    case 5: return logf(x + eps);
    case 6: return fabsf(x);
    default: return x > alpha ? x : alpha;
    }
}

static cs_status op_coreml_unary(cs_kernel_ctx *ctx)
{
    if (cs_kernel_need_inputs(ctx, 1) != CS_OK)
        return ctx->err->status;
    const cs_tensor *x = ctx->in[0];
    if (x->dtype != CS_DT_F32)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input must be f32, got %s", cs_dtype_name(x->dtype));
    const cs_attrs *a = &ctx->node->attrs;
    int type = (int)cs_attrs_int(a, "type", 0);
    float alpha = (float)cs_attrs_float(a, "alpha", 0), eps = (float)cs_attrs_float(a, "epsilon", 0);
    float shift = (float)cs_attrs_float(a, "shift", 0), scale = (float)cs_attrs_float(a, "scale", 1);
    if (type < 0 || type > 7)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "unknown unary function %d", type);
    if (scale == 0.0f && shift == 0.0f)
        scale = 1.0f; /* proto3 leaves an unset scale at 0: CoreML treats it as 1 */
    cs_tensor *y = cs_kernel_output(ctx, 0, CS_DT_F32, x->rank, x->dims);
    if (!y)
        return ctx->err->status;
    const float *src = x->data;
    float *dst = y->data;
    for (int64_t i = 0, n = cs_tensor_numel(x); i < n; i++)
        dst[i] = unary_apply(type, scale * src[i] + shift, alpha, eps);
    return CS_OK;
}

const cs_op_def cs_ops_coreml[] = {
    {.name = "CoreMLUnary", .run = op_coreml_unary},
    {.name = NULL},
};
