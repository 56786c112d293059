/* grad_shape.c — backward of data-movement ops: the reshape family (same elements, new shape),
 * Transpose (inverse permutation), Concat (split), Pad (every mode, by accumulating into sources). */
#include "backward.h"
#include "grad_ops.h"

#include <stdlib.h>
#include <string.h>

/* Reshape, Flatten, Squeeze, Unsqueeze: the gradient is dy's data in x's shape. */
cs_status cs_grad_reshape(cs_grad_ctx *ctx)
{
    if (!ctx->need[0] || !ctx->dout[0])
        return CS_OK;
    float *dx = cs_grad_alloc(ctx, 0);
    if (!dx)
        return ctx->err->status;
    if (cs_tensor_numel(ctx->in[0]) != cs_tensor_numel(ctx->dout[0]))
        return cs_grad_fail(ctx, CS_ERR_SHAPE, "element counts of input and output differ");
    memcpy(dx, ctx->dout[0]->data, ctx->dout[0]->nbytes);
    return CS_OK;
}

cs_status cs_grad_transpose(cs_grad_ctx *ctx)
{
    if (!ctx->need[0] || !ctx->dout[0])
        return CS_OK;
    const cs_tensor *x = ctx->in[0];
    int64_t perm[CS_MAX_RANK];
    const int64_t *p = NULL;
    int np = cs_attrs_ints(&ctx->node->attrs, "perm", &p);
    for (int a = 0; a < x->rank; a++)
        perm[a] = np == x->rank ? p[a] : x->rank - 1 - a;
    float *dx = cs_grad_alloc(ctx, 0);
    if (!dx)
        return ctx->err->status;
    int64_t xs[CS_MAX_RANK], os[CS_MAX_RANK], idx[CS_MAX_RANK] = {0}, odims[CS_MAX_RANK];
    int64_t s = 1;
    for (int a = x->rank - 1; a >= 0; a--)
        xs[a] = s, s *= x->dims[a];
    for (int a = 0; a < x->rank; a++)
        odims[a] = x->dims[perm[a]], os[a] = xs[perm[a]];
    const float *dy = ctx->dout[0]->data;
    int64_t n = cs_tensor_numel(x), off = 0;
    for (int64_t i = 0; i < n; i++) {
        dx[off] = dy[i];
        for (int a = x->rank - 1; a >= 0; a--) {
            off += os[a];
            if (++idx[a] < odims[a])
                break;
            off -= os[a] * odims[a];
            idx[a] = 0;
        }
    }
    return CS_OK;
}

cs_status cs_grad_concat(cs_grad_ctx *ctx)
{
    const cs_tensor *y = ctx->out[0];
    if (!ctx->dout[0])
        return CS_OK;
    int64_t axis = cs_attrs_int(&ctx->node->attrs, "axis", 0);
    if (axis < 0)
        axis += y->rank;
    if (axis < 0 || axis >= y->rank)
        return cs_grad_fail(ctx, CS_ERR_FORMAT, "axis out of range");
    int64_t outer = 1, inner = 1, at = 0;
    for (int a = 0; a < axis; a++)
        outer *= y->dims[a];
    for (int a = (int)axis + 1; a < y->rank; a++)
        inner *= y->dims[a];
    const float *dy = ctx->dout[0]->data;
    for (int i = 0; i < ctx->n_in; i++) {
        if (!ctx->in[i])
            continue;
        int64_t len = ctx->in[i]->dims[axis];
        if (ctx->need[i]) {
            float *dx = cs_grad_alloc(ctx, i);
            if (!dx)
                return ctx->err->status;
            for (int64_t o = 0; o < outer; o++)
                memcpy(dx + o * len * inner, dy + (o * y->dims[axis] + at) * inner, (size_t)(len * inner) * sizeof(float));
        }
        at += len;
    }
    return CS_OK;
}

/* Source coordinate of padded coordinate j on an axis of size n (-1: the constant). */
static int64_t pad_source(int64_t j, int64_t n, int mode)
{
    if (j >= 0 && j < n)
        return j;
    if (mode == 0 || n == 0)
        return -1;
    if (mode == 1)
        return j < 0 ? 0 : n - 1;
    if (mode == 3)
        return ((j % n) + n) % n;
    if (n == 1)
        return 0;
    int64_t period = 2 * (n - 1);
    j = ((j % period) + period) % period;
    return j < n ? j : period - j;
}

static cs_status read_pads(cs_grad_ctx *ctx, int rank, int64_t *begin)
{
    int64_t *pads = NULL;
    int n;
    if (ctx->opset < 11) {
        const int64_t *p;
        n = cs_attrs_ints(&ctx->node->attrs, ctx->opset < 2 ? "paddings" : "pads", &p);
        if (n != 2 * rank)
            return cs_grad_fail(ctx, CS_ERR_FORMAT, "pads must have %d items", 2 * rank);
        memcpy(begin, p, (size_t)rank * sizeof *begin);
        return CS_OK;
    }
    if (ctx->n_in > 3 && ctx->in[3])
        return cs_grad_fail(ctx, CS_ERR_UNSUPPORTED, "the axes input is not supported");
    cs_kernel_ctx k = cs_grad_kernel_ctx(ctx);
    n = cs_kernel_read_ints(&k, ctx->in[1], &pads);
    if (n < 0)
        return ctx->err->status;
    cs_status st = n == 2 * rank ? CS_OK : cs_grad_fail(ctx, CS_ERR_FORMAT, "pads must have %d items", 2 * rank);
    if (st == CS_OK)
        memcpy(begin, pads, (size_t)rank * sizeof *begin);
    free(pads);
    return st;
}

cs_status cs_grad_pad(cs_grad_ctx *ctx)
{
    if (!ctx->need[0] || !ctx->dout[0])
        return CS_OK;
    const cs_tensor *x = ctx->in[0], *y = ctx->out[0];
    const char *m = cs_attrs_string(&ctx->node->attrs, "mode", "constant");
    int mode = strcmp(m, "edge") == 0 ? 1 : strcmp(m, "reflect") == 0 ? 2 : strcmp(m, "wrap") == 0 ? 3 : 0;
    int64_t begin[CS_MAX_RANK];
    cs_status st = read_pads(ctx, x->rank, begin);
    float *dx = st == CS_OK ? cs_grad_alloc(ctx, 0) : NULL;
    if (!dx)
        return ctx->err->status;
    int64_t idx[CS_MAX_RANK] = {0}, n = cs_tensor_numel(y);
    const float *dy = ctx->dout[0]->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t src = 0;
        for (int a = 0; a < x->rank && src >= 0; a++) {
            int64_t s = pad_source(idx[a] - begin[a], x->dims[a], mode);
            src = s < 0 ? -1 : src * x->dims[a] + s;
        }
        if (src >= 0)
            dx[src] += dy[i];
        for (int a = y->rank - 1; a >= 0; a--) {
            if (++idx[a] < y->dims[a])
                break;
            idx[a] = 0;
        }
    }
    return CS_OK;
}
