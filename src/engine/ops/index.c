/* index.c — op family 'index': kernels that select, scatter or rearrange elements by position
 * (Slice, Gather*, Scatter*, Pad, Tile, Compress, NonZero, OneHot, ReverseSequence). Every index is range-checked. */
#include "registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shape_util.h"
#include "../grad/backward.h"

/* ---- Slice ---- */

typedef struct slice_axis {
    int64_t start, step, len;
} slice_axis;

/* Clamps start/end of one axis as ONNX specifies and gives the resulting length. */
static slice_axis slice_resolve(int64_t start, int64_t end, int64_t step, int64_t dim)
{
    /* any step longer than the axis reads one element: clamping it keeps stride arithmetic in range */
    if (step > dim + 1)
        step = dim + 1;
    if (step < -(dim + 1))
        step = -(dim + 1);
    slice_axis r = {0, step, 0};
    if (start < 0)
        start += dim;
    if (end < 0)
        end = end <= INT64_MIN + dim ? -1 : end + dim;
    if (step > 0) {
        start = start < 0 ? 0 : (start > dim ? dim : start);
        end = end < 0 ? 0 : (end > dim ? dim : end);
        r.len = end > start ? (end - start - 1) / step + 1 : 0;
    } else {
        start = start < 0 ? 0 : (start > dim - 1 ? dim - 1 : start);
        end = end < -1 ? -1 : (end > dim - 1 ? dim - 1 : end);
        r.len = start > end ? (start - end - 1) / (-step) + 1 : 0;
    }
    r.start = start;
    return r;
}

/* Reads starts/ends/axes/steps from attributes (opset < 10) or inputs. */
static cs_status slice_params(cs_kernel_ctx *ctx, cs_int_list *starts, cs_int_list *ends, cs_int_list *axes,
                              cs_int_list *steps)
{
    bool inputs = ctx->opset >= 10;
    cs_status st;
    if ((st = cs_read_int_list(ctx, inputs ? 1 : -1, inputs ? NULL : "starts", starts)) ||
        (st = cs_read_int_list(ctx, inputs ? 2 : -1, inputs ? NULL : "ends", ends)) ||
        (st = cs_read_int_list(ctx, inputs ? 3 : -1, inputs ? NULL : "axes", axes)) ||
        (st = cs_read_int_list(ctx, inputs ? 4 : -1, NULL, steps)))
        return st;
    if (!starts->present || !ends->present || starts->n != ends->n)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "starts and ends must be given with equal lengths");
    if (!axes->present) {
        axes->n = starts->n;
        for (int i = 0; i < axes->n; i++)
            axes->v[i] = i;
    }
    if (!steps->present) {
        steps->n = starts->n;
        for (int i = 0; i < steps->n; i++)
            steps->v[i] = 1;
    }
    if (axes->n != starts->n || steps->n != starts->n)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "starts, ends, axes and steps differ in length");
    return CS_OK;
}

static cs_status op_slice(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, ctx->opset >= 10 ? 3 : 1);
    cs_int_list starts, ends, axes, steps;
    if (st || (st = slice_params(ctx, &starts, &ends, &axes, &steps)))
        return st;
    const cs_tensor *in = ctx->in[0];
    if ((st = cs_normalize_axes(ctx, &axes, in->rank)))
        return st;
    int64_t istr[CS_MAX_RANK], ostr[CS_MAX_RANK], odims[CS_MAX_RANK], base = 0;
    cs_strides(in->rank, in->dims, istr);
    memcpy(odims, in->dims, sizeof odims);
    memcpy(ostr, istr, sizeof ostr);
    for (int i = 0; i < axes.n; i++) {
        int a = (int)axes.v[i];
        if (steps.v[i] == 0)
            return cs_kernel_fail(ctx, CS_ERR_ARG, "step %d is zero", i);
        slice_axis s = slice_resolve(starts.v[i], ends.v[i], steps.v[i], in->dims[a]);
        odims[a] = s.len;
        ostr[a] = istr[a] * s.step;
        if (s.len > 0)
            base += s.start * istr[a];
    }
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank, odims);
    if (!out)
        return ctx->err->status;
    cs_strided_copy(out, in, in->rank, odims, ostr, base);
    return CS_OK;
}

/* ---- Gather family ---- */

/* Index value i of `idx`, made non-negative against dim; fails when out of range. */
static cs_status index_at(cs_kernel_ctx *ctx, const cs_tensor *idx, int64_t i, int64_t dim, int64_t *out)
{
    int64_t v = cs_tensor_get_i64(idx, i);
    int64_t r = v < 0 ? v + dim : v;
    if (r < 0 || r >= dim)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "index %lld (element %lld of the indices) is out of range for a "
                              "dimension of size %lld", (long long)v, (long long)i, (long long)dim);
    *out = r;
    return CS_OK;
}

static cs_status need_int_indices(cs_kernel_ctx *ctx, const cs_tensor *idx)
{
    if (idx->dtype != CS_DT_I64 && idx->dtype != CS_DT_I32)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "indices must be i32 or i64, got %s", cs_dtype_name(idx->dtype));
    return CS_OK;
}

/* The common head of Gather, GatherElements and ScatterElements: n inputs, integer indices at input 1, and
 * attribute axis (default 0) checked against input 0's rank. */
static cs_status indices_along_axis(cs_kernel_ctx *ctx, int n, int *axis)
{
    cs_status st = cs_kernel_need_inputs(ctx, n);
    if (st || (st = need_int_indices(ctx, ctx->in[1])))
        return st;
    return cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 0), ctx->in[0]->rank, axis);
}

static cs_status op_gather(cs_kernel_ctx *ctx)
{
    int axis;
    cs_status st = indices_along_axis(ctx, 2, &axis);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0], *idx = ctx->in[1];
    if (in->rank == 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "cannot gather from a scalar");
    int rank = in->rank - 1 + idx->rank;
    if (rank > CS_MAX_RANK)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "output rank %d exceeds the supported %d", rank, CS_MAX_RANK);
    int64_t dims[CS_MAX_RANK];
    int k = 0;
    for (int a = 0; a < axis; a++)
        dims[k++] = in->dims[a];
    for (int a = 0; a < idx->rank; a++)
        dims[k++] = idx->dims[a];
    for (int a = axis + 1; a < in->rank; a++)
        dims[k++] = in->dims[a];
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, rank, dims);
    if (!out)
        return ctx->err->status;
    int64_t outer = cs_dims_prod(in->dims, 0, axis), inner = cs_dims_prod(in->dims, axis + 1, in->rank);
    int64_t n_idx = cs_tensor_numel(idx), dim = in->dims[axis];
    size_t chunk = (size_t)inner * cs_dtype_size(in->dtype);
    char *dst = out->data;
    for (int64_t j = 0; j < n_idx; j++) {
        int64_t at = 0;
        if ((st = index_at(ctx, idx, j, dim, &at)))
            return st;
        for (int64_t o = 0; o < outer && chunk; o++)
            memcpy(dst + (size_t)(o * n_idx + j) * chunk, (const char *)in->data + (size_t)(o * dim + at) * chunk,
                   chunk);
    }
    return CS_OK;
}

/* Offset into `data` of the element at multi-index idx with axis coordinate replaced by `at`. */
static int64_t offset_with(const int64_t *idx, const int64_t *strides, int rank, int axis, int64_t at)
{
    int64_t off = 0;
    for (int a = 0; a < rank; a++)
        off += (a == axis ? at : idx[a]) * strides[a];
    return off;
}

static cs_status op_gather_elements(cs_kernel_ctx *ctx)
{
    int axis;
    cs_status st = indices_along_axis(ctx, 2, &axis);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0], *idx = ctx->in[1];
    if (idx->rank != in->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "indices rank %d differs from data rank %d", idx->rank, in->rank);
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, idx->rank, idx->dims);
    if (!out)
        return ctx->err->status;
    int64_t strides[CS_MAX_RANK], pos[CS_MAX_RANK] = {0}, n = cs_tensor_numel(idx);
    cs_strides(in->rank, in->dims, strides);
    size_t esize = cs_dtype_size(in->dtype);
    for (int64_t i = 0; i < n; i++, cs_odometer_next(pos, idx->dims, idx->rank)) {
        int64_t at = 0;
        for (int a = 0; a < in->rank; a++)
            if (a != axis && pos[a] >= in->dims[a])
                return cs_kernel_fail(ctx, CS_ERR_SHAPE, "indices extend past data on axis %d", a);
        if ((st = index_at(ctx, idx, i, in->dims[axis], &at)))
            return st;
        cs_copy_elem(out, i, in, offset_with(pos, strides, in->rank, axis, at), esize);
    }
    return CS_OK;
}

/* Offset of the k-tuple at indices row `row` into data (batch slice of dims data_dims[b..b+k)). */
static cs_status nd_offset(cs_kernel_ctx *ctx, const cs_tensor *idx, int64_t row, int k, const int64_t *dims,
                           const int64_t *strides, int64_t *off)
{
    *off = 0;
    for (int j = 0; j < k; j++) {
        int64_t at = 0;
        cs_status st = index_at(ctx, idx, row * k + j, dims[j], &at);
        if (st)
            return st;
        *off += at * strides[j];
    }
    return CS_OK;
}

static cs_status op_gather_nd(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st || (st = need_int_indices(ctx, ctx->in[1])))
        return st;
    const cs_tensor *in = ctx->in[0], *idx = ctx->in[1];
    int64_t b = cs_attrs_int(&ctx->node->attrs, "batch_dims", 0);
    if (idx->rank < 1 || b < 0 || b >= idx->rank || b >= in->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "batch_dims %lld does not fit data rank %d and indices rank %d",
                              (long long)b, in->rank, idx->rank);
    int64_t k = idx->dims[idx->rank - 1];
    if (k < 1 || b + k > in->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "index tuples of length %lld do not fit data rank %d",
                              (long long)k, in->rank);
    for (int a = 0; a < b; a++)
        if (in->dims[a] != idx->dims[a])
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "batch dimension %d differs between data and indices", a);
    int64_t dims[CS_MAX_RANK];
    int rank = 0;
    for (int a = 0; a < idx->rank - 1; a++)
        dims[rank++] = idx->dims[a];
    for (int a = (int)(b + k); a < in->rank; a++) {
        if (rank >= CS_MAX_RANK)
            return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "output rank exceeds %d", CS_MAX_RANK);
        dims[rank++] = in->dims[a];
    }
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, rank, dims);
    if (!out)
        return ctx->err->status;
    int64_t batches = cs_dims_prod(in->dims, 0, (int)b);
    int64_t rows = cs_dims_prod(idx->dims, (int)b, idx->rank - 1);
    int64_t slice = cs_dims_prod(in->dims, (int)(b + k), in->rank);
    int64_t batch_size = cs_dims_prod(in->dims, (int)b, in->rank), strides[CS_MAX_RANK];
    cs_strides(in->rank - (int)b, in->dims + b, strides);
    size_t esize = cs_dtype_size(in->dtype), chunk = (size_t)slice * esize;
    for (int64_t bi = 0; bi < batches; bi++)
        for (int64_t r = 0; r < rows; r++) {
            int64_t off = 0;
            if ((st = nd_offset(ctx, idx, bi * rows + r, (int)k, in->dims + b, strides, &off)))
                return st;
            if (chunk)
                memcpy((char *)out->data + (size_t)(bi * rows + r) * chunk,
                       (const char *)in->data + (size_t)(bi * batch_size + off) * esize, chunk);
        }
    return CS_OK;
}

/* ---- Scatter family ---- */

typedef enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } reduction_kind;

static cs_status read_reduction(cs_kernel_ctx *ctx, reduction_kind *out)
{
    const char *r = cs_attrs_string(&ctx->node->attrs, "reduction", "none");
    static const char *names[] = {"none", "add", "mul", "max", "min"};
    for (int i = 0; i < 5; i++)
        if (strcmp(r, names[i]) == 0) {
            *out = (reduction_kind)i;
            return CS_OK;
        }
    return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "reduction '%s' is not supported", r);
}

/* out[dst] = reduce(out[dst], upd[src]). */
static void scatter_one(cs_tensor *out, int64_t dst, const cs_tensor *upd, int64_t src, reduction_kind red,
                        size_t esize)
{
    if (red == RED_NONE) {
        cs_copy_elem(out, dst, upd, src, esize);
    } else if (cs_dtype_is_float(out->dtype)) {
        double a = cs_tensor_get_f64(out, dst), b = cs_tensor_get_f64(upd, src);
        double r = red == RED_ADD ? a + b : red == RED_MUL ? a * b : red == RED_MAX ? fmax(a, b) : fmin(a, b);
        cs_tensor_set_f64(out, dst, r);
    } else {
        int64_t a = cs_tensor_get_i64(out, dst), b = cs_tensor_get_i64(upd, src);
        int64_t r = red == RED_ADD ? (int64_t)((uint64_t)a + (uint64_t)b)
                    : red == RED_MUL ? (int64_t)((uint64_t)a * (uint64_t)b)
                    : red == RED_MAX ? (a > b ? a : b) : (a < b ? a : b);
        cs_tensor_set_i64(out, dst, r);
    }
}

static cs_status scatter_elements(cs_kernel_ctx *ctx, reduction_kind red)
{
    int axis;
    cs_status st = indices_along_axis(ctx, 3, &axis);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0], *idx = ctx->in[1], *upd = ctx->in[2];
    if (idx->rank != in->rank || !cs_tensor_same_shape(idx, upd) || upd->dtype != in->dtype)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "indices and updates must share a shape of data's rank and updates "
                              "data's dtype");
    for (int a = 0; a < in->rank; a++)
        if (a != axis && idx->dims[a] > in->dims[a])
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "indices extend past data on axis %d", a);
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank, in->dims);
    if (!out)
        return ctx->err->status;
    if (in->nbytes)
        memcpy(out->data, in->data, in->nbytes);
    int64_t strides[CS_MAX_RANK], pos[CS_MAX_RANK] = {0}, n = cs_tensor_numel(idx);
    cs_strides(in->rank, in->dims, strides);
    size_t esize = cs_dtype_size(in->dtype);
    for (int64_t i = 0; i < n; i++, cs_odometer_next(pos, idx->dims, idx->rank)) {
        int64_t at = 0;
        if ((st = index_at(ctx, idx, i, in->dims[axis], &at)))
            return st;
        scatter_one(out, offset_with(pos, strides, in->rank, axis, at), upd, i, red, esize);
    }
    return CS_OK;
}

static cs_status op_scatter_elements(cs_kernel_ctx *ctx)
{
    reduction_kind red = RED_NONE;
    cs_status st = read_reduction(ctx, &red);
    return st ? st : scatter_elements(ctx, red);
}

static cs_status op_scatter(cs_kernel_ctx *ctx)
{
    return scatter_elements(ctx, RED_NONE);
}

static cs_status op_scatter_nd(cs_kernel_ctx *ctx)
{
    reduction_kind red = RED_NONE;
    cs_status st = cs_kernel_need_inputs(ctx, 3);
    if (st || (st = read_reduction(ctx, &red)) || (st = need_int_indices(ctx, ctx->in[1])))
        return st;
    const cs_tensor *in = ctx->in[0], *idx = ctx->in[1], *upd = ctx->in[2];
    int64_t k = idx->rank ? idx->dims[idx->rank - 1] : 0;
    bool ok = idx->rank >= 1 && k >= 1 && k <= in->rank && upd->rank == idx->rank - 1 + in->rank - k &&
              upd->dtype == in->dtype;
    for (int a = 0; ok && a < upd->rank; a++)
        ok = upd->dims[a] == (a < idx->rank - 1 ? idx->dims[a] : in->dims[a - (idx->rank - 1) + k]);
    if (!ok)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "updates shape does not equal indices.shape[:-1] + data.shape[k:]");
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank, in->dims);
    if (!out)
        return ctx->err->status;
    if (in->nbytes)
        memcpy(out->data, in->data, in->nbytes);
    int64_t strides[CS_MAX_RANK], rows = cs_dims_prod(idx->dims, 0, idx->rank - 1);
    int64_t slice = cs_dims_prod(in->dims, (int)k, in->rank);
    cs_strides(in->rank, in->dims, strides);
    size_t esize = cs_dtype_size(in->dtype);
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0;
        if ((st = nd_offset(ctx, idx, r, (int)k, in->dims, strides, &off)))
            return st;
        for (int64_t e = 0; e < slice; e++)
            scatter_one(out, off + e, upd, r * slice + e, red, esize);
    }
    return CS_OK;
}

/* ---- Pad and Tile (per-axis source maps) ---- */

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

/* Source coordinate for output coordinate o on an axis of size dim padded by `before`; -1 for the constant. */
static int64_t pad_source(int64_t o, int64_t before, int64_t dim, pad_mode mode)
{
    int64_t c = o - before;
    if (c >= 0 && c < dim)
        return c;
    switch (mode) {
    case PAD_EDGE: return c < 0 ? 0 : dim - 1;
    case PAD_WRAP: return ((c % dim) + dim) % dim;
    case PAD_REFLECT: {
        if (dim == 1)
            return 0;
        int64_t period = 2 * (dim - 1), m = ((c % period) + period) % period;
        return m < dim ? m : period - m;
    }
    default: return -1;
    }
}

/* Reads pads (attribute 'paddings'/'pads' before opset 11, input 1 after; input 3 'axes' from opset 18)
 * into before/after per axis. */
static cs_status pad_amounts(cs_kernel_ctx *ctx, int rank, int64_t *before, int64_t *after)
{
    cs_int_list pads, axes;
    bool inputs = ctx->opset >= 11;
    cs_status st = cs_read_int_list(ctx, inputs ? 1 : -1, inputs ? NULL : (ctx->opset < 2 ? "paddings" : "pads"),
                                    &pads);
    if (st || (st = cs_read_int_list(ctx, inputs ? 3 : -1, NULL, &axes)))
        return st;
    if (!pads.present)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "pads are required");
    if (!axes.present) {
        axes.n = rank;
        for (int i = 0; i < rank; i++)
            axes.v[i] = i;
    }
    if ((st = cs_normalize_axes(ctx, &axes, rank)))
        return st;
    if (pads.n != 2 * axes.n)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "pads has %d entries, expected %d", pads.n, 2 * axes.n);
    for (int a = 0; a < rank; a++)
        before[a] = after[a] = 0;
    for (int i = 0; i < axes.n; i++) {
        before[axes.v[i]] = pads.v[i];
        after[axes.v[i]] = pads.v[axes.n + i];
    }
    return CS_OK;
}

static cs_status read_pad_mode(cs_kernel_ctx *ctx, pad_mode *mode)
{
    const char *m = cs_attrs_string(&ctx->node->attrs, "mode", "constant");
    static const char *names[] = {"constant", "reflect", "edge", "wrap"};
    for (int i = 0; i < 4; i++)
        if (strcmp(m, names[i]) == 0) {
            *mode = (pad_mode)i;
            return CS_OK;
        }
    return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "pad mode '%s' is not supported", m);
}

/* The constant pad value as raw bytes of dtype (8 bytes are enough for every supported dtype). */
static cs_status pad_fill(cs_kernel_ctx *ctx, cs_dtype dtype, unsigned char fill[8])
{
    cs_tensor one = {.dtype = dtype, .rank = 0, .data = fill, .nbytes = cs_dtype_size(dtype)};
    memset(fill, 0, 8);
    const cs_tensor *v = ctx->opset >= 11 ? cs_kernel_input(ctx, 2) : NULL;
    if (v) {
        if (cs_tensor_numel(v) < 1)
            return CS_OK;
        if (cs_dtype_is_float(dtype) || cs_dtype_is_float(v->dtype))
            cs_tensor_set_f64(&one, 0, cs_tensor_get_f64(v, 0));
        else
            cs_tensor_set_i64(&one, 0, cs_tensor_get_i64(v, 0));
    } else if (ctx->opset < 11) {
        cs_tensor_set_f64(&one, 0, cs_attrs_float(&ctx->node->attrs, "value", 0.0));
    }
    return CS_OK;
}

/* Allocates per-axis maps of the given sizes; frees and returns false on failure. */
static bool alloc_maps(int rank, const int64_t *sizes, int64_t **maps)
{
    for (int a = 0; a < rank; a++) {
        maps[a] = malloc((size_t)(sizes[a] > 0 ? sizes[a] : 1) * sizeof(int64_t));
        if (!maps[a]) {
            for (int b = 0; b < a; b++)
                free(maps[b]);
            return false;
        }
    }
    return true;
}

static void free_maps(int rank, int64_t **maps)
{
    for (int a = 0; a < rank; a++)
        free(maps[a]);
}

/* Where output index o on axis a reads from in the input (-1: the fill value). */
typedef int64_t (*axis_source)(const void *arg, int a, int64_t o);

/* Output 0 of shape dims (input 0's rank and dtype), copied from `in` through per-axis maps built by src. */
static cs_status map_into_output(cs_kernel_ctx *ctx, const cs_tensor *in, const int64_t *dims, axis_source src,
                                 const void *arg, const unsigned char *fill)
{
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank, dims);
    if (!out)
        return ctx->err->status;
    if (cs_tensor_numel(out) == 0)
        return CS_OK;
    int64_t *maps[CS_MAX_RANK];
    if (!alloc_maps(in->rank, dims, maps))
        return cs_kernel_fail(ctx, CS_ERR_NOMEM, "out of memory");
    for (int a = 0; a < in->rank; a++)
        for (int64_t o = 0; o < dims[a]; o++)
            maps[a][o] = src(arg, a, o);
    cs_map_copy(out, in, maps, fill);
    free_maps(in->rank, maps);
    return CS_OK;
}

typedef struct pad_axes {
    const int64_t *before, *in_dims;
    pad_mode mode;
} pad_axes;

static int64_t pad_axis_source(const void *arg, int a, int64_t o)
{
    const pad_axes *p = arg;
    return pad_source(o, p->before[a], p->in_dims[a], p->mode);
}

static int64_t tile_axis_source(const void *arg, int a, int64_t o)
{
    return o % ((const int64_t *)arg)[a];
}

static cs_status op_pad(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    pad_mode mode = PAD_CONSTANT;
    const cs_tensor *in = ctx->in[0];
    int64_t before[CS_MAX_RANK], after[CS_MAX_RANK], dims[CS_MAX_RANK];
    unsigned char fill[8];
    if (st || (st = read_pad_mode(ctx, &mode)) || (st = pad_amounts(ctx, in->rank, before, after)) ||
        (st = pad_fill(ctx, in->dtype, fill)))
        return st;
    for (int a = 0; a < in->rank; a++) {
        bool wraps = __builtin_add_overflow(in->dims[a], before[a], &dims[a]) ||
                     __builtin_add_overflow(dims[a], after[a], &dims[a]);
        if (wraps || dims[a] < 0 || (dims[a] > 0 && in->dims[a] == 0 && mode != PAD_CONSTANT))
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "pads on axis %d leave an impossible size", a);
    }
    pad_axes axes = {before, in->dims, mode};
    return map_into_output(ctx, in, dims, pad_axis_source, &axes, fill);
}

static cs_status op_tile(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    cs_int_list reps;
    if (st || (st = cs_read_int_list(ctx, 1, NULL, &reps)))
        return st;
    const cs_tensor *in = ctx->in[0];
    if (reps.n != in->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "repeats has %d entries for rank %d", reps.n, in->rank);
    int64_t dims[CS_MAX_RANK];
    for (int a = 0; a < in->rank; a++) {
        if (reps.v[a] < 0 || (in->dims[a] && reps.v[a] > INT64_MAX / in->dims[a]))
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "repeats[%d] = %lld is invalid", a, (long long)reps.v[a]);
        dims[a] = in->dims[a] * reps.v[a];
    }
    static const unsigned char zero[8] = {0};
    return map_into_output(ctx, in, dims, tile_axis_source, in->dims, zero);
}

/* ---- selection ---- */

static cs_status op_compress(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0], *cond = ctx->in[1];
    bool flat = !cs_attrs_find(&ctx->node->attrs, "axis");
    int axis = 0;
    if (!flat && (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 0), in->rank, &axis)))
        return st;
    int64_t numel = cs_tensor_numel(in);
    int64_t dim = flat ? numel : in->dims[axis], n_cond = cs_tensor_numel(cond), kept = 0;
    if (cond->rank != 1)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "condition must be 1-D, it has rank %d", cond->rank);
    for (int64_t i = 0; i < n_cond && i < dim; i++)
        kept += cs_tensor_get_i64(cond, i) != 0;
    int64_t dims[CS_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    int64_t outer = flat ? 1 : cs_dims_prod(in->dims, 0, axis);
    int64_t inner = flat ? 1 : cs_dims_prod(in->dims, axis + 1, in->rank);
    dims[flat ? 0 : axis] = kept;
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, flat ? 1 : in->rank, dims);
    if (!out)
        return ctx->err->status;
    size_t chunk = (size_t)inner * cs_dtype_size(in->dtype);
    char *dst = out->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < n_cond && i < dim; i++)
            if (cs_tensor_get_i64(cond, i) != 0 && chunk) {
                memcpy(dst, (const char *)in->data + (size_t)(o * dim + i) * chunk, chunk);
                dst += chunk;
            }
    return CS_OK;
}

static cs_status op_non_zero(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *in = ctx->in[0];
    int64_t n = cs_tensor_numel(in), nnz = 0;
    for (int64_t i = 0; i < n; i++)
        nnz += cs_tensor_get_f64(in, i) != 0.0;
    int64_t dims[2] = {in->rank, nnz};
    cs_tensor *out = cs_kernel_output(ctx, 0, CS_DT_I64, 2, dims);
    if (!out)
        return ctx->err->status;
    int64_t pos[CS_MAX_RANK] = {0}, k = 0, *o = out->data;
    for (int64_t i = 0; i < n; i++, cs_odometer_next(pos, in->dims, in->rank)) {
        if (cs_tensor_get_f64(in, i) == 0.0)
            continue;
        for (int a = 0; a < in->rank; a++)
            o[a * nnz + k] = pos[a];
        k++;
    }
    return CS_OK;
}

static cs_status op_one_hot(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 3);
    double depth_f;
    if (st || (st = cs_read_scalar_f64(ctx, ctx->in[1], "depth", &depth_f)))
        return st;
    const cs_tensor *idx = ctx->in[0], *vals = ctx->in[2];
    if (cs_tensor_numel(vals) != 2)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "values must hold [off, on], it holds %lld elements",
                              (long long)cs_tensor_numel(vals));
    if (!(depth_f >= 1 && depth_f <= (double)(1 << 24)))
        return cs_kernel_fail(ctx, CS_ERR_ARG, "depth %g is out of range", depth_f);
    int64_t depth = (int64_t)depth_f;
    int rank = idx->rank + 1, axis;
    if (rank > CS_MAX_RANK)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "output rank %d exceeds %d", rank, CS_MAX_RANK);
    if ((st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", -1), rank, &axis)))
        return st;
    int64_t dims[CS_MAX_RANK];
    for (int a = 0, k = 0; a < rank; a++)
        dims[a] = a == axis ? depth : idx->dims[k++];
    cs_tensor *out = cs_kernel_output(ctx, 0, vals->dtype, rank, dims);
    if (!out)
        return ctx->err->status;
    int64_t n = cs_tensor_numel(out), outer = cs_dims_prod(dims, 0, axis), inner = cs_dims_prod(dims, axis + 1, rank);
    size_t esize = cs_dtype_size(vals->dtype);
    for (int64_t i = 0; i < n; i++)
        cs_copy_elem(out, i, vals, 0, esize);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            double v = cs_tensor_get_f64(idx, o * inner + in);
            int64_t c = (int64_t)v;
            if (c < 0)
                c += depth;
            if (c >= 0 && c < depth)
                cs_copy_elem(out, (o * depth + c) * inner + in, vals, 1, esize);
        }
    return CS_OK;
}

static cs_status op_reverse_sequence(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *in = ctx->in[0], *lens = ctx->in[1];
    int bax, tax;
    if (st || (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "batch_axis", 1), in->rank, &bax)) ||
        (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "time_axis", 0), in->rank, &tax)))
        return st;
    if (in->rank < 2 || bax == tax || cs_tensor_numel(lens) != in->dims[bax])
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "needs rank >= 2, distinct batch/time axes and one length per batch");
    for (int64_t b = 0; b < in->dims[bax]; b++) {
        int64_t l = cs_tensor_get_i64(lens, b);
        if (l < 0 || l > in->dims[tax])
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "sequence_lens[%lld] = %lld is out of range", (long long)b,
                                  (long long)l);
    }
    cs_tensor *out = cs_kernel_output(ctx, 0, in->dtype, in->rank, in->dims);
    if (!out)
        return ctx->err->status;
    int64_t strides[CS_MAX_RANK], pos[CS_MAX_RANK] = {0}, n = cs_tensor_numel(in);
    cs_strides(in->rank, in->dims, strides);
    size_t esize = cs_dtype_size(in->dtype);
    for (int64_t i = 0; i < n; i++, cs_odometer_next(pos, in->dims, in->rank)) {
        int64_t l = cs_tensor_get_i64(lens, pos[bax]), t = pos[tax];
        int64_t src_t = t < l ? l - 1 - t : t;
        cs_copy_elem(out, i, in, i + (src_t - t) * strides[tax], esize);
    }
    return CS_OK;
}

const cs_op_def cs_ops_index[] = {
    {.name = "Slice", .run = op_slice},
    {.name = "Gather", .run = op_gather},
    {.name = "GatherElements", .run = op_gather_elements},
    {.name = "GatherND", .run = op_gather_nd},
    {.name = "ScatterElements", .run = op_scatter_elements},
    {.name = "Scatter", .run = op_scatter},
    {.name = "ScatterND", .run = op_scatter_nd},
    {.name = "Pad", .run = op_pad, .backward = cs_grad_pad},
    {.name = "Tile", .run = op_tile},
    {.name = "Compress", .run = op_compress},
    {.name = "NonZero", .run = op_non_zero},
    {.name = "OneHot", .run = op_one_hot},
    {.name = "ReverseSequence", .run = op_reverse_sequence},
    {.name = NULL},
};
