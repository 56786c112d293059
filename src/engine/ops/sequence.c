/* sequence.c — op family 'sequence': ONNX sequences of tensors (SequenceEmpty, SequenceConstruct, SequenceInsert,
 * SequenceAt, SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence); SequenceMap is in control.c. */
#include <stdlib.h>
#include <string.h>

#include "../value.h"
#include "registry.h"

/* Input i as a sequence, or NULL after failing the kernel. */
static const cs_tensor *seq_input(cs_kernel_ctx *ctx, int i)
{
    const cs_tensor *t = cs_kernel_input(ctx, i);
    if (!t || t->kind != CS_VALUE_SEQUENCE) {
        cs_kernel_fail(ctx, CS_ERR_ARG, "input %d must be a sequence%s%s", i, t ? ", not a " : "",
                       t ? cs_value_kind_name(t) : "");
        return NULL;
    }
    return t;
}

/* The position input i (a one-element integer tensor) normalised against n, within [0, n - 1 + extra];
 * dflt when absent. Returns false after failing the kernel. */
static bool position(cs_kernel_ctx *ctx, int i, int n, int extra, int dflt, int *pos)
{
    const cs_tensor *t = cs_kernel_input(ctx, i);
    if (!t) {
        *pos = dflt;
        return true;
    }
    if (!cs_value_plain(t) || (t->dtype != CS_DT_I32 && t->dtype != CS_DT_I64) || cs_tensor_numel(t) != 1) {
        cs_kernel_fail(ctx, CS_ERR_ARG, "the position must be one int32 or int64 value");
        return false;
    }
    int64_t p = cs_tensor_get_i64(t, 0);
    if (p < -(int64_t)n || p > (int64_t)n - 1 + extra) {
        cs_kernel_fail(ctx, CS_ERR_ARG, "position %lld is outside a sequence of %d", (long long)p, n);
        return false;
    }
    *pos = (int)(p < 0 ? p + n : p);
    return true;
}

/* A copy of input 0 (a sequence) into output 0, or NULL after failing the kernel. */
static cs_tensor *copy_seq_to_output(cs_kernel_ctx *ctx)
{
    const cs_tensor *seq = seq_input(ctx, 0);
    cs_error local;
    cs_tensor *c = seq ? cs_tensor_clone(seq, &local) : NULL;
    if (seq && !c)
        cs_kernel_fail(ctx, local.status, "%s", local.msg);
    return ctx->out[0] = c;
}

static cs_status op_sequence_empty(cs_kernel_ctx *ctx)
{
    return (ctx->out[0] = cs_seq_new(ctx->err)) ? CS_OK : ctx->err->status;
}

/* Clones tensor t into seq at pos. */
static cs_status insert_copy(cs_kernel_ctx *ctx, cs_tensor *seq, int pos, const cs_tensor *t)
{
    if (t->kind != CS_VALUE_TENSOR)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "a sequence element must be a tensor, not a %s", cs_value_kind_name(t));
    if (seq->n_items && seq->items[0]->dtype != t->dtype)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "a sequence holds one dtype: %s, not %s",
                              cs_dtype_name(seq->items[0]->dtype), cs_dtype_name(t->dtype));
    cs_error local;
    cs_tensor *c = cs_tensor_clone(t, &local);
    if (!c)
        return cs_kernel_fail(ctx, local.status, "%s", local.msg);
    if (cs_seq_insert(seq, pos, c, &local) != CS_OK) {
        cs_tensor_free(c);
        return cs_kernel_fail(ctx, local.status, "%s", local.msg);
    }
    return CS_OK;
}

static cs_status op_sequence_construct(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, ctx->n_in);
    if (st == CS_OK && !(ctx->out[0] = cs_seq_new(ctx->err)))
        st = ctx->err->status;
    for (int i = 0; st == CS_OK && i < ctx->n_in; i++)
        st = insert_copy(ctx, ctx->out[0], i, ctx->in[i]);
    return st;
}

static cs_status op_sequence_insert(cs_kernel_ctx *ctx)
{
    const cs_tensor *t = cs_kernel_input(ctx, 1);
    if (!t)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "the tensor to insert is missing");
    cs_tensor *seq = copy_seq_to_output(ctx);
    int pos;
    if (!seq || !position(ctx, 2, seq->n_items, 1, seq->n_items, &pos))
        return ctx->err->status;
    return insert_copy(ctx, seq, pos, t);
}

static cs_status op_sequence_at(cs_kernel_ctx *ctx)
{
    const cs_tensor *seq = seq_input(ctx, 0);
    int pos;
    if (seq && !cs_kernel_input(ctx, 1))
        return cs_kernel_fail(ctx, CS_ERR_ARG, "the position is missing");
    if (!seq || !position(ctx, 1, seq->n_items, 0, 0, &pos))
        return ctx->err->status;
    cs_error local;
    if (!(ctx->out[0] = cs_tensor_clone(seq->items[pos], &local)))
        return cs_kernel_fail(ctx, local.status, "%s", local.msg);
    return CS_OK;
}

static cs_status op_sequence_erase(cs_kernel_ctx *ctx)
{
    cs_tensor *seq = copy_seq_to_output(ctx);
    int pos;
    if (!seq)
        return ctx->err->status;
    if (seq->n_items == 0)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "erasing from an empty sequence");
    if (!position(ctx, 1, seq->n_items, 0, seq->n_items - 1, &pos))
        return ctx->err->status;
    cs_seq_erase(seq, pos);
    return CS_OK;
}

static cs_status op_sequence_length(cs_kernel_ctx *ctx)
{
    const cs_tensor *seq = seq_input(ctx, 0);
    int64_t scalar = 1; /* rank 0: dims unused */
    cs_tensor *out = seq ? cs_kernel_output(ctx, 0, CS_DT_I64, 0, &scalar) : NULL;
    if (!out)
        return ctx->err->status;
    ((int64_t *)out->data)[0] = seq->n_items;
    return CS_OK;
}

/* ---- SplitToSequence and ConcatFromSequence ---- */

/* Elements [start, start + len) of t along axis as a new tensor (the axis dropped when squeeze). */
static cs_tensor *slice_along(cs_kernel_ctx *ctx, const cs_tensor *t, int axis, int64_t start, int64_t len,
                              bool squeeze)
{
    int64_t dims[CS_MAX_RANK], outer = 1, inner = (int64_t)cs_dtype_size(t->dtype);
    int rank = 0;
    for (int i = 0; i < t->rank; i++) {
        if (i < axis)
            outer *= t->dims[i];
        if (i > axis)
            inner *= t->dims[i];
        if (i != axis || !squeeze)
            dims[rank++] = i == axis ? len : t->dims[i];
    }
    cs_tensor *s = cs_kernel_tensor(ctx, t->dtype, rank, dims, false);
    for (int64_t o = 0; s && o < outer && len * inner > 0; o++)
        memcpy((char *)s->data + o * len * inner, (const char *)t->data + (o * t->dims[axis] + start) * inner,
               (size_t)(len * inner));
    return s;
}

/* Chunk lengths along an axis of size n: the split input (a scalar chunk size or 1-D lengths) or ones. */
static int split_lengths(cs_kernel_ctx *ctx, const cs_tensor *split, int64_t n, int64_t **lens)
{
    int64_t size = 1;
    if (split && (!cs_value_plain(split) || (split->dtype != CS_DT_I32 && split->dtype != CS_DT_I64) ||
                  split->rank > 1)) {
        cs_kernel_fail(ctx, CS_ERR_ARG, "split must be an int32/int64 scalar or 1-D tensor");
        return -1;
    }
    if (split && split->rank == 1)
        return cs_kernel_read_ints(ctx, split, lens);
    if (split && (size = cs_tensor_get_i64(split, 0)) <= 0) {
        cs_kernel_fail(ctx, CS_ERR_ARG, "split size %lld must be positive", (long long)size);
        return -1;
    }
    int64_t count = n == 0 ? 0 : (n + size - 1) / size;
    if (count > CS_SEQ_MAX_ITEMS || !(*lens = malloc((size_t)(count + 1) * sizeof **lens))) {
        cs_kernel_fail(ctx, CS_ERR_NOMEM, "%lld chunks are too many", (long long)count);
        return -1;
    }
    for (int64_t i = 0; i < count; i++)
        (*lens)[i] = i == count - 1 ? n - i * size : size;
    return (int)count;
}

static cs_status op_split_to_sequence(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *x = ctx->in[0], *split = cs_kernel_input(ctx, 1);
    int axis;
    if (st == CS_OK && !cs_value_plain(x))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "the input is a %s (numeric tensors only)", cs_value_kind_name(x));
    if (st != CS_OK || (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 0), x->rank, &axis)) != CS_OK)
        return st;
    bool squeeze = !split && cs_attrs_int(&ctx->node->attrs, "keepdims", 1) == 0;
    int64_t *lens = NULL, sum = 0;
    int n = split_lengths(ctx, split, x->dims[axis], &lens);
    if (n < 0)
        return ctx->err->status;
    for (int i = 0; i < n && sum >= 0; i++)
        sum = lens[i] < 0 || lens[i] > x->dims[axis] ? -1 : sum + lens[i];
    if (sum != x->dims[axis])
        st = cs_kernel_fail(ctx, CS_ERR_ARG, "the split lengths do not add up to %lld", (long long)x->dims[axis]);
    if (st == CS_OK && !(ctx->out[0] = cs_seq_new(ctx->err)))
        st = ctx->err->status;
    int64_t start = 0;
    for (int i = 0; st == CS_OK && i < n; start += lens[i++]) {
        cs_tensor *s = slice_along(ctx, x, axis, start, lens[i], squeeze);
        st = s ? cs_seq_insert(ctx->out[0], i, s, ctx->err) : ctx->err->status;
        if (st != CS_OK)
            cs_tensor_free(s);
    }
    free(lens);
    return st;
}

/* Output shape of concatenating (or stacking, new_axis) the elements along axis; false after failing. */
static bool concat_shape(cs_kernel_ctx *ctx, const cs_tensor *seq, int axis, bool stack, int64_t *dims)
{
    const cs_tensor *first = seq->items[0];
    int rank = first->rank;
    for (int i = 0, k = 0; i < rank + stack; i++)
        dims[i] = stack && i == axis ? seq->n_items : first->dims[k++];
    if (!stack)
        dims[axis] = 0;
    for (int e = 0; e < seq->n_items; e++) {
        const cs_tensor *t = seq->items[e];
        bool ok = cs_value_plain(t) && t->dtype == first->dtype && t->rank == rank;
        for (int i = 0; ok && i < rank; i++)
            ok = t->dims[i] == first->dims[i] || (!stack && i == axis);
        if (!ok) {
            cs_kernel_fail(ctx, CS_ERR_SHAPE, "sequence element %d does not match element 0 in dtype or shape", e);
            return false;
        }
        if (!stack)
            dims[axis] += t->dims[axis];
    }
    return true;
}

static cs_status op_concat_from_sequence(cs_kernel_ctx *ctx)
{
    const cs_tensor *seq = seq_input(ctx, 0);
    if (!seq)
        return ctx->err->status;
    if (!cs_attrs_find(&ctx->node->attrs, "axis") || seq->n_items == 0)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "needs an 'axis' attribute and a non-empty sequence");
    bool stack = cs_attrs_int(&ctx->node->attrs, "new_axis", 0) != 0;
    int rank = seq->items[0]->rank + stack, axis;
    int64_t dims[CS_MAX_RANK + 1];
    cs_status st = rank > CS_MAX_RANK ? cs_kernel_fail(ctx, CS_ERR_SHAPE, "the result would exceed rank %d", CS_MAX_RANK)
                                      : cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 0), rank, &axis);
    if (st != CS_OK || !concat_shape(ctx, seq, axis, stack, dims))
        return ctx->err->status;
    cs_tensor *out = cs_kernel_output_raw(ctx, 0, seq->items[0]->dtype, rank, dims);
    if (!out)
        return ctx->err->status;
    int64_t outer = 1, inner = (int64_t)cs_dtype_size(out->dtype), at = 0;
    for (int i = 0; i < rank; i++)
        outer *= i < axis ? dims[i] : 1, inner *= i > axis ? dims[i] : 1;
    for (int e = 0; e < seq->n_items; e++) { /* element e fills a slab of `len` along the axis */
        const cs_tensor *t = seq->items[e];
        int64_t len = stack ? 1 : t->dims[axis];
        for (int64_t o = 0; o < outer && len * inner > 0; o++)
            memcpy((char *)out->data + (o * dims[axis] + at) * inner, (const char *)t->data + o * len * inner,
                   (size_t)(len * inner));
        at += len;
    }
    return CS_OK;
}

const cs_op_def cs_ops_sequence[] = {
    {.name = "SequenceEmpty", .run = op_sequence_empty},
    {.name = "SequenceConstruct", .run = op_sequence_construct},
    {.name = "SequenceInsert", .run = op_sequence_insert},
    {.name = "SequenceAt", .run = op_sequence_at},
    {.name = "SequenceErase", .run = op_sequence_erase},
    {.name = "SequenceLength", .run = op_sequence_length},
    {.name = "SplitToSequence", .run = op_split_to_sequence},
    {.name = "ConcatFromSequence", .run = op_concat_from_sequence},
    {.name = NULL},
};
