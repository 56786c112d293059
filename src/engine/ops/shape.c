/* shape.c — op family 'shape': kernels that reshape, reorder, join, split or retype tensors
 * (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Shape, Cast, Expand, Range, Trilu, ...). */
#include "registry.h"
#include "../value.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shape_util.h"
#include "infer.h"
#include "parallel.h"
#include "../grad/backward.h"

/* Output 0 as a copy of `in`'s bytes under a new shape (element counts must match). */
static cs_status output_with_shape(cs_kernel_ctx *ctx, const cs_tensor *in, int rank, const int64_t *dims)
{
    int64_t numel;
    if (ctx->in0_owned && ctx->in0_owned == in && rank <= CS_MAX_RANK && cs_shape_numel(rank, dims, &numel) &&
        numel == cs_tensor_numel(in)) { /* input 0 dies here: relabelled, not copied */
        cs_tensor *t = ctx->in0_owned;
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
        for (int d = rank; d < CS_MAX_RANK; d++)
            t->dims[d] = 0;
        t->rank = rank;
        ctx->out[0] = t;
        ctx->in0_taken = true;
        return CS_OK;
    }
    bool plain = in->dtype != CS_DT_STRING; /* every byte is copied: no clearing first */
    cs_tensor *out = plain ? cs_kernel_output_raw(ctx, 0, in->dtype, rank, dims)
                           : cs_kernel_output(ctx, 0, in->dtype, rank, dims);
    if (!out)
        return ctx->err->status;
    if (out->nbytes != in->nbytes) {
        char a[160], b[160];
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "cannot view input of shape %s as shape %s",
                              cs_shape_str(in->rank, in->dims, a, sizeof a), cs_shape_str(rank, dims, b, sizeof b));
    }
    if (in->nbytes)
        cs_parallel_memcpy(out->data, in->data, in->nbytes);
    return CS_OK;
}

/* Resolves a Reshape target (0 = copy, -1 = infer) against the input; fails on impossible shapes. */
static cs_status resolve_reshape(cs_kernel_ctx *ctx, const cs_tensor *in, const cs_int_list *shape, bool allowzero,
                                 int64_t *dims)
{
    int infer = -1;
    int64_t known = 1, numel = cs_tensor_numel(in);
    bool has_zero = false;
    for (int i = 0; i < shape->n; i++) {
        int64_t d = shape->v[i];
        if (d == 0 && !allowzero) {
            if (i >= in->rank)
                return cs_kernel_fail(ctx, CS_ERR_SHAPE, "shape[%d] is 0 (copy) but the input has rank %d", i,
                                      in->rank);
            d = in->dims[i];
        }
        if (d == -1) {
            if (infer >= 0)
                return cs_kernel_fail(ctx, CS_ERR_SHAPE, "shape has more than one -1");
            infer = i;
            dims[i] = -1;
            continue;
        }
        if (d < -1)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "shape[%d] = %lld is negative", i, (long long)d);
        has_zero |= d == 0;
        if (d != 0 && known > INT64_MAX / d)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "shape overflows");
        known *= d;
        dims[i] = d;
    }
    if (infer >= 0) {
        if (has_zero || known == 0)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "cannot infer -1 next to a zero dimension");
        if (numel % known != 0)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "cannot infer -1: %lld elements do not divide by %lld",
                                  (long long)numel, (long long)known);
        dims[infer] = numel / known;
        known = numel;
    }
    if (known != numel)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "target shape holds %lld elements, the input %lld", (long long)known,
                              (long long)numel);
    return CS_OK;
}

static cs_status op_reshape(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, ctx->opset >= 5 ? 2 : 1);
    cs_int_list shape;
    if (st || (st = cs_read_int_list(ctx, ctx->opset >= 5 ? 1 : -1, ctx->opset >= 5 ? NULL : "shape", &shape)))
        return st;
    if (shape.n > CS_MAX_RANK)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "target rank %d exceeds the supported %d", shape.n,
                              CS_MAX_RANK);
    int64_t dims[CS_MAX_RANK];
    bool allowzero = cs_attrs_int(&ctx->node->attrs, "allowzero", 0) != 0;
    if ((st = resolve_reshape(ctx, ctx->in[0], &shape, allowzero, dims)))
        return st;
    return output_with_shape(ctx, ctx->in[0], shape.n, dims);
}

static cs_status op_flatten(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    int64_t axis = cs_attrs_int(&ctx->node->attrs, "axis", 1);
    if (axis < 0)
        axis += in->rank;
    if (axis < 0 || axis > in->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "axis %lld is out of range for rank %d",
                              (long long)cs_attrs_int(&ctx->node->attrs, "axis", 1), in->rank);
    int64_t dims[2] = {cs_dims_prod(in->dims, 0, (int)axis), cs_dims_prod(in->dims, (int)axis, in->rank)};
    return output_with_shape(ctx, in, 2, dims);
}

static cs_status op_transpose(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    cs_int_list perm;
    if (st || (st = cs_read_int_list(ctx, -1, "perm", &perm)))
        return st;
    const cs_tensor *in = ctx->in[0];
    if (!perm.present) {
        perm.n = in->rank;
        for (int i = 0; i < in->rank; i++)
            perm.v[i] = in->rank - 1 - i;
    }
    if (perm.n != in->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "perm has %d entries for an input of rank %d", perm.n, in->rank);
    if ((st = cs_normalize_axes(ctx, &perm, in->rank)))
        return st;
    int64_t istr[CS_MAX_RANK], ostr[CS_MAX_RANK], odims[CS_MAX_RANK];
    cs_strides(in->rank, in->dims, istr);
    for (int i = 0; i < in->rank; i++) {
        odims[i] = in->dims[perm.v[i]];
        ostr[i] = istr[perm.v[i]];
    }
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank, odims);
    if (!out)
        return ctx->err->status;
    cs_strided_copy(out, in, in->rank, odims, ostr, 0);
    return CS_OK;
}

static cs_status op_squeeze(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    cs_int_list axes;
    if (st || (st = cs_read_int_list(ctx, ctx->opset >= 13 ? 1 : -1, ctx->opset >= 13 ? NULL : "axes", &axes)))
        return st;
    const cs_tensor *in = ctx->in[0];
    if ((st = cs_normalize_axes(ctx, &axes, in->rank)))
        return st;
    bool drop[CS_MAX_RANK] = {false};
    for (int i = 0; i < axes.n; i++) {
        if (in->dims[axes.v[i]] != 1)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "cannot squeeze axis %lld of size %lld", (long long)axes.v[i],
                                  (long long)in->dims[axes.v[i]]);
        drop[axes.v[i]] = true;
    }
    int64_t dims[CS_MAX_RANK];
    int rank = 0;
    for (int i = 0; i < in->rank; i++)
        if (!(drop[i] || (axes.n == 0 && in->dims[i] == 1)))
            dims[rank++] = in->dims[i];
    return output_with_shape(ctx, in, rank, dims);
}

static cs_status op_unsqueeze(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, ctx->opset >= 13 ? 2 : 1);
    cs_int_list axes;
    if (st || (st = cs_read_int_list(ctx, ctx->opset >= 13 ? 1 : -1, ctx->opset >= 13 ? NULL : "axes", &axes)))
        return st;
    const cs_tensor *in = ctx->in[0];
    int rank = in->rank + axes.n;
    if (rank > CS_MAX_RANK)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "output rank %d exceeds the supported %d", rank, CS_MAX_RANK);
    if ((st = cs_normalize_axes(ctx, &axes, rank)))
        return st;
    bool added[CS_MAX_RANK] = {false};
    for (int i = 0; i < axes.n; i++)
        added[axes.v[i]] = true;
    int64_t dims[CS_MAX_RANK];
    for (int i = 0, k = 0; i < rank; i++)
        dims[i] = added[i] ? 1 : in->dims[k++];
    return output_with_shape(ctx, in, rank, dims);
}

/* Checks Concat inputs against the first one and returns the output dims. */
static cs_status concat_shape(cs_kernel_ctx *ctx, int axis, int64_t *dims)
{
    const cs_tensor *first = ctx->in[0];
    memcpy(dims, first->dims, sizeof(int64_t) * (size_t)first->rank);
    dims[axis] = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        const cs_tensor *t = ctx->in[i];
        if (!t)
            return cs_kernel_fail(ctx, CS_ERR_FORMAT, "input %d is missing", i);
        if (t->rank != first->rank || t->dtype != first->dtype)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input %d (%s, rank %d) does not match input 0 (%s, rank %d)", i,
                                  cs_dtype_name(t->dtype), t->rank, cs_dtype_name(first->dtype), first->rank);
        for (int a = 0; a < t->rank; a++)
            if (a != axis && t->dims[a] != first->dims[a])
                return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input %d has size %lld on axis %d, input 0 has %lld", i,
                                      (long long)t->dims[a], a, (long long)first->dims[a]);
        dims[axis] += t->dims[axis];
    }
    return CS_OK;
}

static cs_status op_concat(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    int axis;
    if (st || (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 1), ctx->in[0]->rank, &axis)))
        return st;
    if (ctx->in[0]->rank == 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "cannot concatenate scalars");
    int64_t dims[CS_MAX_RANK];
    if ((st = concat_shape(ctx, axis, dims)))
        return st;
    cs_dtype dt = ctx->in[0]->dtype;
    /* every byte is copied below: no clearing first (strings keep the cleared form) */
    cs_tensor *out = dt != CS_DT_STRING ? cs_kernel_output_raw(ctx, 0, dt, ctx->in[0]->rank, dims)
                                        : cs_kernel_output(ctx, 0, dt, ctx->in[0]->rank, dims);
    if (!out)
        return ctx->err->status;
    size_t esize = cs_dtype_size(out->dtype);
    int64_t outer = cs_dims_prod(dims, 0, axis), inner = cs_dims_prod(dims, axis + 1, out->rank);
    size_t out_row = (size_t)(dims[axis] * inner) * esize, offset = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        size_t chunk = (size_t)(ctx->in[i]->dims[axis] * inner) * esize;
        cs_parallel_copy_rows((char *)out->data + offset, out_row, ctx->in[i]->data, chunk, outer, chunk);
        offset += chunk;
    }
    return CS_OK;
}

/* Split sizes: from the 'split' input/attribute, or equal parts (num_outputs rounds up, last smaller). */
static cs_status split_sizes(cs_kernel_ctx *ctx, int64_t dim, cs_int_list *sizes)
{
    cs_status st = cs_read_int_list(ctx, ctx->opset >= 13 ? 1 : -1, ctx->opset >= 13 ? NULL : "split", sizes);
    if (st)
        return st;
    int n = ctx->n_out;
    if (sizes->present) {
        int64_t total = 0;
        for (int i = 0; i < sizes->n; i++) {
            if (sizes->v[i] < 0)
                return cs_kernel_fail(ctx, CS_ERR_SHAPE, "split[%d] = %lld is negative", i, (long long)sizes->v[i]);
            total += sizes->v[i];
        }
        if (sizes->n != n || total != dim)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "split sizes (%d parts, sum %lld) do not fit %d outputs of axis "
                                  "size %lld", sizes->n, (long long)total, n, (long long)dim);
        return CS_OK;
    }
    if (n > CS_MAX_AXES || n < 1)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "%d outputs are not supported", n);
    bool has_num = cs_attrs_find(&ctx->node->attrs, "num_outputs") != NULL;
    if (!has_num && dim % n != 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "axis size %lld does not split evenly into %d outputs",
                              (long long)dim, n);
    int64_t part = (dim + n - 1) / n;
    sizes->n = n;
    for (int i = 0; i < n; i++) {
        int64_t left = dim - part * i;
        sizes->v[i] = left < 0 ? 0 : (left < part ? left : part);
    }
    return CS_OK;
}

static cs_status op_split(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    int axis;
    if (st || (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 0), ctx->in[0]->rank, &axis)))
        return st;
    const cs_tensor *in = ctx->in[0];
    cs_int_list sizes;
    if ((st = split_sizes(ctx, in->dims[axis], &sizes)))
        return st;
    size_t esize = cs_dtype_size(in->dtype);
    int64_t outer = cs_dims_prod(in->dims, 0, axis), inner = cs_dims_prod(in->dims, axis + 1, in->rank);
    size_t in_row = (size_t)(in->dims[axis] * inner) * esize, offset = 0;
    for (int i = 0; i < sizes.n; i++) {
        int64_t dims[CS_MAX_RANK];
        memcpy(dims, in->dims, sizeof dims);
        dims[axis] = sizes.v[i];
        cs_tensor *out = in->dtype != CS_DT_STRING ? cs_kernel_output_raw(ctx, i, in->dtype, in->rank, dims)
                                                   : cs_kernel_output(ctx, i, in->dtype, in->rank, dims);
        if (!out)
            return ctx->err->status;
        size_t chunk = (size_t)(sizes.v[i] * inner) * esize;
        cs_parallel_copy_rows(out->data, chunk, (const char *)in->data + offset, in_row, outer, chunk);
        offset += chunk;
    }
    return CS_OK;
}

static cs_status op_identity(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    if (!cs_value_plain(ctx->in[0])) { /* a sequence, optional or string tensor: a deep copy */
        cs_error local;
        if (!(ctx->out[0] = cs_tensor_clone(ctx->in[0], &local)))
            return cs_kernel_fail(ctx, local.status, "%s", local.msg);
        return CS_OK;
    }
    return output_with_shape(ctx, ctx->in[0], ctx->in[0]->rank, ctx->in[0]->dims);
}

static int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static cs_status op_shape(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    int64_t start = cs_attrs_int(&ctx->node->attrs, "start", 0);
    int64_t end = cs_attrs_int(&ctx->node->attrs, "end", in->rank);
    start = clamp_i64(start < 0 ? start + in->rank : start, 0, in->rank);
    end = clamp_i64(end < 0 ? end + in->rank : end, 0, in->rank);
    int64_t n = end > start ? end - start : 0;
    cs_tensor *out = cs_kernel_output(ctx, 0, CS_DT_I64, 1, &n);
    if (!out)
        return ctx->err->status;
    for (int64_t i = 0; i < n; i++)
        ((int64_t *)out->data)[i] = in->dims[start + i];
    return CS_OK;
}

static cs_status op_size(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    cs_tensor *out = cs_kernel_output(ctx, 0, CS_DT_I64, 0, NULL);
    if (!out)
        return ctx->err->status;
    *(int64_t *)out->data = cs_tensor_numel(ctx->in[0]);
    return CS_OK;
}

/* Converts `in` to dtype `to` into output 0. */
static cs_status cast_to(cs_kernel_ctx *ctx, const cs_tensor *in, int64_t to)
{
    if (in->kind != CS_VALUE_TENSOR)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "the input is a %s, not a tensor", cs_value_kind_name(in));
    if (to < 0 || to > 64 || (to != CS_DT_STRING && cs_dtype_size((cs_dtype)to) == 0))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "cast to data type %lld is not supported", (long long)to);
    cs_error local;
    bool strings = to == CS_DT_STRING || in->dtype == CS_DT_STRING;
    cs_tensor *out = strings ? cs_string_cast(in, (cs_dtype)to, &local) : cs_tensor_cast(in, (cs_dtype)to, &local);
    if (!out)
        return cs_kernel_fail(ctx, local.status, "%s", local.msg);
    cs_tensor_free(ctx->out[0]);
    ctx->out[0] = out;
    return CS_OK;
}

static cs_status op_cast(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    if (!cs_attrs_find(&ctx->node->attrs, "to"))
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "attribute 'to' is required");
    return cast_to(ctx, ctx->in[0], cs_attrs_int(&ctx->node->attrs, "to", 0));
}

static cs_status op_cast_like(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st)
        return st;
    return cast_to(ctx, ctx->in[0], ctx->in[1]->dtype);
}

static cs_status op_expand(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    cs_int_list shape;
    if (st || (st = cs_read_int_list(ctx, 1, NULL, &shape)))
        return st;
    const cs_tensor *in = ctx->in[0];
    int rank;
    int64_t dims[CS_MAX_RANK], strides[CS_MAX_RANK];
    for (int i = 0; i < shape.n; i++)
        if (shape.v[i] < 0)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "shape[%d] = %lld is negative", i, (long long)shape.v[i]);
    if (shape.n > CS_MAX_RANK || !cs_broadcast_shape(in->rank, in->dims, shape.n, shape.v, &rank, dims)) {
        char a[160];
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input shape %s does not broadcast to the %d-d target shape",
                              cs_shape_str(in->rank, in->dims, a, sizeof a), shape.n);
    }
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, rank, dims);
    if (!out)
        return ctx->err->status;
    cs_broadcast_strides(in->rank, in->dims, rank, dims, strides);
    cs_strided_copy(out, in, rank, dims, strides, 0);
    return CS_OK;
}

static cs_status op_constant_of_shape(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    cs_int_list shape;
    if (st || (st = cs_read_int_list(ctx, 0, NULL, &shape)))
        return st;
    if (shape.n > CS_MAX_RANK)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "rank %d exceeds the supported %d", shape.n, CS_MAX_RANK);
    const cs_attr *value = cs_attrs_find(&ctx->node->attrs, "value");
    const cs_tensor *v = value && value->type == CS_ATTR_TENSOR ? value->tensor : NULL;
    if (v && cs_tensor_numel(v) != 1)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "attribute 'value' must hold one element, it holds %lld",
                              (long long)cs_tensor_numel(v));
    cs_tensor *out = cs_kernel_output(ctx, 0, v ? v->dtype : CS_DT_F32, shape.n, shape.v);
    if (!out)
        return ctx->err->status;
    size_t esize = cs_dtype_size(out->dtype);
    int64_t n = cs_tensor_numel(out);
    for (int64_t i = 0; v && i < n; i++)
        memcpy((char *)out->data + (size_t)i * esize, v->data, esize);
    return CS_OK;
}

static cs_status op_range(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 3);
    double start, limit, delta;
    if (st || (st = cs_read_scalar_f64(ctx, ctx->in[0], "start", &start)) ||
        (st = cs_read_scalar_f64(ctx, ctx->in[1], "limit", &limit)) ||
        (st = cs_read_scalar_f64(ctx, ctx->in[2], "delta", &delta)))
        return st;
    if (delta == 0 || !isfinite(start) || !isfinite(limit) || !isfinite(delta))
        return cs_kernel_fail(ctx, CS_ERR_ARG, "range needs finite bounds and a non-zero delta");
    double count = ceil((limit - start) / delta);
    if (count > (double)(1 << 30))
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "range of %.0f elements is too large", count);
    int64_t n = count > 0 ? (int64_t)count : 0;
    cs_tensor *out = cs_kernel_output(ctx, 0, ctx->in[0]->dtype, 1, &n);
    if (!out)
        return ctx->err->status;
    bool is_int = !cs_dtype_is_float(out->dtype);
    int64_t istart = cs_tensor_get_i64(ctx->in[0], 0), idelta = cs_tensor_get_i64(ctx->in[2], 0);
    for (int64_t i = 0; i < n; i++) {
        if (is_int)
            cs_tensor_set_i64(out, i, istart + i * idelta);
        else
            cs_tensor_set_f64(out, i, start + (double)i * delta);
    }
    return CS_OK;
}

static cs_status op_eye_like(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    if (in->rank != 2)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input must be 2-D, it has rank %d", in->rank);
    int64_t dt = cs_attrs_int(&ctx->node->attrs, "dtype", in->dtype);
    if (dt < 0 || dt > 64 || cs_dtype_size((cs_dtype)dt) == 0)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "dtype %lld is not supported", (long long)dt);
    cs_tensor *out = cs_kernel_output(ctx, 0, (cs_dtype)dt, 2, in->dims);
    if (!out)
        return ctx->err->status;
    int64_t k = cs_attrs_int(&ctx->node->attrs, "k", 0);
    for (int64_t i = 0; i < in->dims[0]; i++) {
        int64_t j = i + k;
        if (k > -in->dims[0] && k < in->dims[1] && j >= 0 && j < in->dims[1])
            cs_tensor_set_f64(out, i * in->dims[1] + j, 1.0);
    }
    return CS_OK;
}

static cs_status op_trilu(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    if (in->rank < 2)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input must have rank >= 2, it has %d", in->rank);
    int64_t k = 0;
    if (cs_kernel_input(ctx, 1) && (st = cs_read_scalar_i64(ctx, ctx->in[1], "k", &k)))
        return st;
    bool upper = cs_attrs_int(&ctx->node->attrs, "upper", 1) != 0;
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank, in->dims);
    if (!out)
        return ctx->err->status;
    int64_t rows = in->dims[in->rank - 2], cols = in->dims[in->rank - 1];
    int64_t mats = cs_dims_prod(in->dims, 0, in->rank - 2);
    size_t esize = cs_dtype_size(in->dtype);
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                bool keep = upper ? j - i >= k : j - i <= k;
                int64_t at = (m * rows + i) * cols + j;
                if (keep)
                    cs_copy_elem(out, at, in, at, esize);
            }
    return CS_OK;
}

const cs_op_def cs_ops_shape[] = {
    {.name = "Reshape", .run = op_reshape, .infer = cs_infer_reshape, .backward = cs_grad_reshape},
    {.name = "Flatten", .run = op_flatten, .infer = cs_infer_flatten, .backward = cs_grad_reshape},
    {.name = "Transpose", .run = op_transpose, .infer = cs_infer_transpose, .backward = cs_grad_transpose},
    {.name = "Squeeze", .run = op_squeeze, .backward = cs_grad_reshape},
    {.name = "Unsqueeze", .run = op_unsqueeze, .backward = cs_grad_reshape},
    {.name = "Concat", .run = op_concat, .infer = cs_infer_concat, .backward = cs_grad_concat},
    {.name = "Split", .run = op_split},
    {.name = "Identity", .run = op_identity, .infer = cs_infer_same, .backward = cs_grad_identity},
    {.name = "Shape", .run = op_shape},
    {.name = "Size", .run = op_size},
    {.name = "Cast", .run = op_cast, .backward = cs_grad_cast},
    {.name = "CastLike", .run = op_cast_like},
    {.name = "Expand", .run = op_expand},
    {.name = "ConstantOfShape", .run = op_constant_of_shape},
    {.name = "Range", .run = op_range},
    {.name = "EyeLike", .run = op_eye_like},
    {.name = "Trilu", .run = op_trilu},
    {.name = NULL},
};
