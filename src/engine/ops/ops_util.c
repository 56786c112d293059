/* ops_util.c — shared helpers for kernels: error messages naming the node, input checks,
 * output allocation, axis normalisation and numpy broadcasting. */
#include "ops.h"
#include "../membudget.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../bufpool.h"

cs_status cs_kernel_fail(cs_kernel_ctx *ctx, cs_status status, const char *fmt, ...)
{
    char reason[CS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return cs_error_set(ctx->err, status, "node '%s' (%s): %s", ctx->node->name, ctx->node->op, reason);
}

const cs_tensor *cs_kernel_input(const cs_kernel_ctx *ctx, int i)
{
    return i >= 0 && i < ctx->n_in ? ctx->in[i] : NULL;
}

cs_status cs_kernel_need_inputs(cs_kernel_ctx *ctx, int n)
{
    for (int i = 0; i < n; i++)
        if (!cs_kernel_input(ctx, i))
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "input %d is required but missing", i);
    return CS_OK;
}

/* Charges a new tensor's bytes to the run's memory budget; false (error set) when over it. */
static bool charge(cs_kernel_ctx *ctx, cs_dtype dtype, int rank, const int64_t *dims)
{
    int64_t numel;
    if (!cs_mem_left || !cs_shape_numel(rank, dims, &numel))
        return true; /* no budget on this thread, or an impossible shape cs_tensor_new reports */
    double bytes = (double)numel * (double)cs_dtype_size(dtype);
    if (bytes <= (double)cs_mem_left) {
        cs_mem_left -= (size_t)bytes;
        return true;
    }
    cs_kernel_fail(ctx, CS_ERR_NOMEM, "a %.1f MiB tensor goes over the memory budget (%.1f MiB left; --max-memory)",
                   bytes / 1048576.0, cs_mem_left / 1048576.0);
    return false;
}

cs_tensor *cs_kernel_tensor(cs_kernel_ctx *ctx, cs_dtype dtype, int rank, const int64_t *dims, bool zero)
{
    if (!charge(ctx, dtype, rank, dims))
        return NULL;
    cs_error local;
    cs_tensor *t = cs_bufpool_take(ctx->pool, dtype, rank, dims, zero, &local);
    if (!t)
        cs_kernel_fail(ctx, local.status, "%s", local.msg);
    return t;
}

static cs_tensor *kernel_output(cs_kernel_ctx *ctx, int i, cs_dtype dtype, int rank, const int64_t *dims, bool zero)
{
    if (i < 0 || i >= ctx->n_out) {
        cs_kernel_fail(ctx, CS_ERR_FORMAT, "output %d does not exist (node has %d)", i, ctx->n_out);
        return NULL;
    }
    if (!charge(ctx, dtype, rank, dims))
        return NULL;
    cs_error local;
    cs_tensor *t = cs_bufpool_take(ctx->pool, dtype, rank, dims, zero, &local);
    if (!t) {
        cs_kernel_fail(ctx, local.status, "output %d: %s", i, local.msg);
        return NULL;
    }
    cs_tensor_free(ctx->out[i]);
    ctx->out[i] = t;
    return t;
}

cs_tensor *cs_kernel_output(cs_kernel_ctx *ctx, int i, cs_dtype dtype, int rank, const int64_t *dims)
{
    return kernel_output(ctx, i, dtype, rank, dims, true);
}

cs_tensor *cs_kernel_output_raw(cs_kernel_ctx *ctx, int i, cs_dtype dtype, int rank, const int64_t *dims)
{
    return kernel_output(ctx, i, dtype, rank, dims, false);
}

bool cs_kernel_output_used(const cs_kernel_ctx *ctx, int i)
{
    return i >= 0 && i < ctx->n_out && i < ctx->node->n_outputs && ctx->node->outputs[i] >= 0;
}

cs_status cs_kernel_axis(cs_kernel_ctx *ctx, int64_t axis, int rank, int *out)
{
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= (rank > 0 ? rank : 1))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "axis %lld is out of range for rank %d", (long long)axis, rank);
    *out = (int)a;
    return CS_OK;
}

int cs_kernel_read_ints(cs_kernel_ctx *ctx, const cs_tensor *t, int64_t **out)
{
    if (t->dtype != CS_DT_I64 && t->dtype != CS_DT_I32) {
        cs_kernel_fail(ctx, CS_ERR_SHAPE, "expected an integer tensor, got %s", cs_dtype_name(t->dtype));
        return -1;
    }
    int64_t n = cs_tensor_numel(t);
    if (n > 1 << 24) {
        cs_kernel_fail(ctx, CS_ERR_SHAPE, "integer list of %lld items is too long", (long long)n);
        return -1;
    }
    int64_t *v = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    if (!v) {
        cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
        return -1;
    }
    for (int64_t i = 0; i < n; i++)
        v[i] = cs_tensor_get_i64(t, i);
    *out = v;
    return (int)n;
}

bool cs_broadcast_shape(int ra, const int64_t *da, int rb, const int64_t *db, int *rout, int64_t *dout)
{
    int r = ra > rb ? ra : rb;
    if (r > CS_MAX_RANK)
        return false;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        int64_t a = ia >= 0 ? da[ia] : 1;
        int64_t b = ib >= 0 ? db[ib] : 1;
        if (a == b || b == 1)
            dout[i] = a;
        else if (a == 1)
            dout[i] = b;
        else
            return false;
    }
    *rout = r;
    return true;
}

void cs_broadcast_strides(int r, const int64_t *dims, int rout, const int64_t *dout, int64_t *strides)
{
    int64_t s = 1;
    for (int i = rout - 1; i >= 0; i--) {
        int k = i - (rout - r);
        if (k < 0) {
            strides[i] = 0;
            continue;
        }
        strides[i] = (dims[k] == 1 && dout[i] != 1) ? 0 : s;
        s *= dims[k];
    }
}
