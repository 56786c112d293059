/* optional.c — op family 'optional': ONNX optional values of tensors, where an optional holding a tensor
 * is that tensor and an empty one is an absent input; empty optionals cannot be produced (no value type). */
#include "registry.h"

static cs_status pass_through(cs_kernel_ctx *ctx, const cs_tensor *t)
{
    if (ctx->n_out < 1)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "the node has no output");
    cs_tensor *copy = cs_tensor_clone(t, ctx->err);
    if (!copy)
        return ctx->err->status;
    ctx->out[0] = copy;
    return CS_OK;
}

static cs_status op_optional(cs_kernel_ctx *ctx)
{
    const cs_tensor *t = cs_kernel_input(ctx, 0);
    if (!t)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "empty optional values are not supported (tensors only)");
    return pass_through(ctx, t);
}

static cs_status op_optional_get_element(cs_kernel_ctx *ctx)
{
    const cs_tensor *t = cs_kernel_input(ctx, 0);
    if (!t)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "the optional input is empty");
    return pass_through(ctx, t);
}

static cs_status op_optional_has_element(cs_kernel_ctx *ctx)
{
    int64_t one = 1;
    cs_tensor *out = cs_kernel_output(ctx, 0, CS_DT_BOOL, 0, &one);
    if (!out)
        return ctx->err->status;
    ((uint8_t *)out->data)[0] = cs_kernel_input(ctx, 0) != NULL;
    return CS_OK;
}

const cs_op_def cs_ops_optional[] = {
    {.name = "Optional", .run = op_optional},
    {.name = "OptionalGetElement", .run = op_optional_get_element},
    {.name = "OptionalHasElement", .run = op_optional_has_element},
    {.name = NULL},
};
