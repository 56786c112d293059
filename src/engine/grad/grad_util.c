/* grad_util.c — helpers shared by the backward ops: failing with the node's name, zeroed gradient
 * buffers, dtype checks, kernel contexts for attribute readers, and broadcast reduction. */
#include "grad_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

cs_status cs_grad_fail(cs_grad_ctx *ctx, cs_status st, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cs_error_set(ctx->err, st, "gradient of node '%s' (%s): %s", ctx->node->name, ctx->node->op, msg);
}

float *cs_grad_alloc(cs_grad_ctx *ctx, int i)
{
    const cs_tensor *x = ctx->in[i];
    cs_error local;
    cs_tensor *t = cs_tensor_new(CS_DT_F32, x->rank, x->dims, &local);
    if (!t) {
        cs_grad_fail(ctx, local.status, "%s", local.msg);
        return NULL;
    }
    cs_tensor_free(ctx->din[i]);
    ctx->din[i] = t;
    return t->data;
}

cs_status cs_grad_need_f32(cs_grad_ctx *ctx, int n)
{
    for (int i = 0; i < n; i++) {
        if (i >= ctx->n_in || !ctx->in[i])
            return cs_grad_fail(ctx, CS_ERR_FORMAT, "input %d is missing", i);
        if (ctx->in[i]->dtype != CS_DT_F32)
            return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "input %d has dtype %s; gradients need f32", i,
                                cs_dtype_name(ctx->in[i]->dtype));
    }
    for (int o = 0; o < ctx->n_out; o++)
        if (ctx->dout[o] && ctx->out[o] && ctx->out[o]->dtype != CS_DT_F32)
            return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "output %d has dtype %s; gradients need f32", o,
                                cs_dtype_name(ctx->out[o]->dtype));
    return CS_OK;
}

cs_kernel_ctx cs_grad_kernel_ctx(const cs_grad_ctx *ctx)
{
    cs_kernel_ctx k = {.graph = ctx->graph, .node = ctx->node, .in = ctx->in, .n_in = ctx->n_in, .opset = ctx->opset,
                       .err = ctx->err};
    return k;
}

void cs_grad_reduce_broadcast(float *dst, int rd, const int64_t *ddims, const float *src, int rs,
                              const int64_t *sdims, const float *scale)
{
    int64_t strides[CS_MAX_RANK] = {0}, idx[CS_MAX_RANK] = {0}, n = 1;
    cs_broadcast_strides(rd, ddims, rs, sdims, strides);
    for (int a = 0; a < rs; a++)
        n *= sdims[a];
    int64_t off = 0;
    for (int64_t i = 0; i < n; i++) {
        dst[off] += scale ? src[i] * scale[i] : src[i];
        for (int a = rs - 1; a >= 0; a--) {
            off += strides[a];
            if (++idx[a] < sdims[a])
                break;
            off -= strides[a] * sdims[a];
            idx[a] = 0;
        }
    }
}
