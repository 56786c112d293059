/* optional.c — op family 'optional': ONNX optional values (value.h), empty or holding a tensor or a sequence.
 * Since opset 18 OptionalHasElement and OptionalGetElement also take a plain tensor or sequence (present). */
#include "../value.h"
#include "registry.h"

/* The value an optional input holds: itself when it is not an optional; NULL when absent or empty. */
static const cs_tensor *content(const cs_tensor *t)
{
    if (t && t->kind == CS_VALUE_OPTIONAL)
        return t->n_items ? t->items[0] : NULL;
    return t;
}

static cs_status op_optional(cs_kernel_ctx *ctx)
{
    const cs_tensor *t = cs_kernel_input(ctx, 0);
    if (t && t->kind == CS_VALUE_OPTIONAL)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "an optional cannot hold an optional");
    cs_error local;
    cs_tensor *copy = t ? cs_tensor_clone(t, &local) : NULL;
    if (t && !copy)
        return cs_kernel_fail(ctx, local.status, "%s", local.msg);
    if (!(ctx->out[0] = cs_optional_new(copy, &local))) {
        cs_tensor_free(copy);
        return cs_kernel_fail(ctx, local.status, "%s", local.msg);
    }
    return CS_OK;
}

static cs_status op_optional_get_element(cs_kernel_ctx *ctx)
{
    const cs_tensor *t = content(cs_kernel_input(ctx, 0));
    if (!t)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "the optional input is empty");
    cs_error local;
    if (!(ctx->out[0] = cs_tensor_clone(t, &local)))
        return cs_kernel_fail(ctx, local.status, "%s", local.msg);
    return CS_OK;
}

static cs_status op_optional_has_element(cs_kernel_ctx *ctx)
{
    int64_t scalar = 1; /* rank 0: dims unused */
    cs_tensor *out = cs_kernel_output(ctx, 0, CS_DT_BOOL, 0, &scalar);
    if (!out)
        return ctx->err->status;
    ((uint8_t *)out->data)[0] = content(cs_kernel_input(ctx, 0)) != NULL;
    return CS_OK;
}

const cs_op_def cs_ops_optional[] = {
    {.name = "Optional", .run = op_optional},
    {.name = "OptionalGetElement", .run = op_optional_get_element},
    {.name = "OptionalHasElement", .run = op_optional_has_element},
    {.name = NULL},
};
