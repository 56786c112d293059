/* infer.c — the shared shape/dtype inference rules named by op table rows, and inference of one node. A rule
 * reads only shapes, attributes and constant inputs; unknown dims (-1) propagate as unknown. */
#include "infer.h"

#include <string.h>

static cs_status fail(cs_infer_ctx *ctx, const char *why)
{
    return cs_error_set(ctx->err, CS_ERR_SHAPE, "node '%s' (%s): %s", ctx->node->name, ctx->node->op, why);
}

static cs_status need(cs_infer_ctx *ctx, int n)
{
    if (ctx->n_in < n || ctx->n_out < 1)
        return fail(ctx, "missing inputs or outputs");
    for (int i = 0; i < n; i++)
        if (ctx->in[i].rank < 0)
            return cs_error_set(ctx->err, CS_ERR_UNSUPPORTED, "node '%s' (%s): input %d has no known shape",
                                ctx->node->name, ctx->node->op, i);
    return CS_OK;
}

static int64_t attr_int(const cs_infer_ctx *ctx, const char *name, int64_t dflt)
{
    return cs_attrs_int(&ctx->node->attrs, name, dflt);
}

/* attr ints `name` of length n, else `dflt` everywhere; false when the count is wrong. */
static bool attr_ints(const cs_infer_ctx *ctx, const char *name, int n, int64_t dflt, int64_t *out)
{
    const int64_t *v = NULL;
    int got = cs_attrs_ints(&ctx->node->attrs, name, &v);
    for (int i = 0; i < n; i++)
        out[i] = got > 0 ? (i < got ? v[i] : dflt) : dflt;
    return got <= 0 || got == n;
}

/* A rule's body: called once the first n inputs have known shapes, with x = input 0. */
typedef cs_status (*rule_fn)(cs_infer_ctx *ctx, const cs_shape *x);

static cs_status checked(cs_infer_ctx *ctx, int n, rule_fn rule)
{
    cs_status st = need(ctx, n);
    return st != CS_OK ? st : rule(ctx, &ctx->in[0]);
}

static cs_status set_out(cs_infer_ctx *ctx, cs_shape o)
{
    ctx->out[0] = o;
    return CS_OK;
}

/* attr "axis" (default dflt) made non-negative; valid in [0, limit]; false when out of range. */
static bool axis_attr(const cs_infer_ctx *ctx, int64_t dflt, int limit, int *axis)
{
    int64_t a = attr_int(ctx, "axis", dflt);
    if (a < 0)
        a += ctx->in[0].rank;
    *axis = (int)a;
    return a >= 0 && a <= limit;
}

static cs_status same(cs_infer_ctx *ctx, const cs_shape *x)
{
    return set_out(ctx, *x);
}

cs_status cs_infer_same(cs_infer_ctx *ctx)
{
    return checked(ctx, 1, same);
}

static cs_status broadcast(cs_infer_ctx *ctx, cs_dtype dtype)
{
    cs_status st = need(ctx, 1);
    if (st != CS_OK)
        return st;
    cs_shape o = ctx->in[0];
    for (int i = 1; i < ctx->n_in; i++) {
        const cs_shape *b = &ctx->in[i];
        if (b->rank < 0)
            continue;
        int r = o.rank > b->rank ? o.rank : b->rank;
        int64_t d[CS_MAX_RANK];
        for (int k = 0; k < r; k++) {
            int ia = k - (r - o.rank), ib = k - (r - b->rank);
            int64_t x = ia >= 0 ? o.dims[ia] : 1, y = ib >= 0 ? b->dims[ib] : 1;
            if (x != y && x != 1 && y != 1 && x >= 0 && y >= 0)
                return fail(ctx, "input shapes do not broadcast");
            d[k] = x == 1 ? y : y == 1 ? x : x < 0 ? y : x;
        }
        o.rank = r;
        memcpy(o.dims, d, sizeof d);
    }
    o.dtype = dtype;
    return set_out(ctx, o);
}

cs_status cs_infer_broadcast(cs_infer_ctx *ctx)
{
    return broadcast(ctx, ctx->n_in > 0 ? ctx->in[0].dtype : CS_DT_F32);
}

cs_status cs_infer_compare(cs_infer_ctx *ctx)
{
    return broadcast(ctx, CS_DT_BOOL);
}

/* Output size of one windowed spatial dim (ONNX's formula; auto_pad SAME_* keeps ceil(in / stride)). */
static int64_t window_out(int64_t in, int64_t k, int64_t stride, int64_t dil, int64_t pad_total, bool ceil_mode,
                          const char *auto_pad)
{
    if (in < 0)
        return -1;
    if (strncmp(auto_pad, "SAME", 4) == 0)
        return (in + stride - 1) / stride;
    int64_t span = dil * (k - 1) + 1, num = in + pad_total - span;
    if (num < 0)
        return 0;
    return (ceil_mode ? (num + stride - 1) / stride : num / stride) + 1;
}

/* Spatial dims of a windowed op on x [N, C, spatial...] with kernel k (n_sp entries). */
static cs_status window(cs_infer_ctx *ctx, const int64_t *k, int n_sp, int64_t channels)
{
    const cs_shape *x = &ctx->in[0];
    int64_t strides[CS_MAX_RANK], dil[CS_MAX_RANK], pads[2 * CS_MAX_RANK];
    if (!attr_ints(ctx, "strides", n_sp, 1, strides) || !attr_ints(ctx, "dilations", n_sp, 1, dil) ||
        !attr_ints(ctx, "pads", 2 * n_sp, 0, pads))
        return fail(ctx, "strides, dilations or pads do not match the spatial rank");
    const char *auto_pad = cs_attrs_string(&ctx->node->attrs, "auto_pad", "NOTSET");
    bool ceil_mode = attr_int(ctx, "ceil_mode", 0) != 0;
    cs_shape o = {x->dtype, x->rank, {0}};
    o.dims[0] = x->dims[0];
    o.dims[1] = channels;
    for (int i = 0; i < n_sp; i++) {
        if (strides[i] < 1 || dil[i] < 1 || k[i] < 1)
            return fail(ctx, "kernel, strides and dilations must be positive");
        o.dims[2 + i] = window_out(x->dims[2 + i], k[i], strides[i], dil[i], pads[i] + pads[i + n_sp], ceil_mode,
                                   auto_pad);
    }
    return set_out(ctx, o);
}

static cs_status conv(cs_infer_ctx *ctx, const cs_shape *x)
{
    const cs_shape *w = &ctx->in[1];
    if (x->rank < 3 || w->rank != x->rank)
        return fail(ctx, "X and W need the same rank >= 3");
    int n_sp = x->rank - 2;
    int64_t k[CS_MAX_RANK];
    if (!attr_ints(ctx, "kernel_shape", n_sp, 0, k))
        return fail(ctx, "kernel_shape does not match the spatial rank");
    for (int i = 0; i < n_sp; i++)
        k[i] = k[i] > 0 ? k[i] : w->dims[2 + i];
    int64_t group = attr_int(ctx, "group", 1);
    if (x->dims[1] >= 0 && w->dims[1] >= 0 && x->dims[1] != w->dims[1] * group)
        return fail(ctx, "X's channels are not W's input channels times group");
    return window(ctx, k, n_sp, w->dims[0]);
}

cs_status cs_infer_conv(cs_infer_ctx *ctx)
{
    return checked(ctx, 2, conv);
}

static cs_status pool(cs_infer_ctx *ctx, const cs_shape *x)
{
    if (x->rank < 3)
        return fail(ctx, "X needs rank >= 3");
    int64_t k[CS_MAX_RANK];
    if (!attr_ints(ctx, "kernel_shape", x->rank - 2, 0, k))
        return fail(ctx, "kernel_shape does not match the spatial rank");
    cs_status st = window(ctx, k, x->rank - 2, x->dims[1]);
    for (int o = 1; st == CS_OK && o < ctx->n_out; o++) /* MaxPool's indices */
        ctx->out[o] = ctx->out[0], ctx->out[o].dtype = CS_DT_I64;
    return st;
}

cs_status cs_infer_pool(cs_infer_ctx *ctx)
{
    return checked(ctx, 1, pool);
}

static cs_status global_pool(cs_infer_ctx *ctx, const cs_shape *x)
{
    if (x->rank < 3)
        return fail(ctx, "X needs rank >= 3");
    cs_shape o = *x;
    for (int i = 2; i < o.rank; i++)
        o.dims[i] = 1;
    return set_out(ctx, o);
}

cs_status cs_infer_global_pool(cs_infer_ctx *ctx)
{
    return checked(ctx, 1, global_pool);
}

static cs_status gemm(cs_infer_ctx *ctx, const cs_shape *a)
{
    const cs_shape *b = &ctx->in[1];
    if (a->rank != 2 || b->rank != 2)
        return fail(ctx, "A and B must be 2-D");
    bool ta = attr_int(ctx, "transA", 0), tb = attr_int(ctx, "transB", 0);
    int64_t ka = a->dims[ta ? 0 : 1], kb = b->dims[tb ? 1 : 0];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return fail(ctx, "A's columns are not B's rows");
    return set_out(ctx, (cs_shape){a->dtype, 2, {a->dims[ta ? 1 : 0], b->dims[tb ? 0 : 1]}});
}

cs_status cs_infer_gemm(cs_infer_ctx *ctx)
{
    return checked(ctx, 2, gemm);
}

static cs_status matmul(cs_infer_ctx *ctx, const cs_shape *x)
{
    cs_shape a = *x, b = ctx->in[1];
    if (a.rank < 1 || b.rank < 1)
        return fail(ctx, "MatMul needs operands of rank >= 1");
    bool va = a.rank == 1, vb = b.rank == 1;
    if (va)
        a = (cs_shape){a.dtype, 2, {1, a.dims[0]}};
    if (vb)
        b = (cs_shape){b.dtype, 2, {b.dims[0], 1}};
    if (a.dims[a.rank - 1] >= 0 && b.dims[b.rank - 2] >= 0 && a.dims[a.rank - 1] != b.dims[b.rank - 2])
        return fail(ctx, "inner dimensions differ");
    cs_shape ba = {a.dtype, a.rank - 2, {0}}, bb = {b.dtype, b.rank - 2, {0}}, o;
    memcpy(ba.dims, a.dims, sizeof(int64_t) * (size_t)ba.rank);
    memcpy(bb.dims, b.dims, sizeof(int64_t) * (size_t)bb.rank);
    cs_shape pair[2] = {ba, bb};
    cs_infer_ctx sub = *ctx;
    sub.in = pair, sub.n_in = 2, sub.out = &o, sub.n_out = 1;
    cs_status st = broadcast(&sub, a.dtype);
    if (st != CS_OK)
        return st;
    if (o.rank + 2 > CS_MAX_RANK)
        return fail(ctx, "rank too large");
    if (!va)
        o.dims[o.rank++] = a.dims[a.rank - 2];
    if (!vb)
        o.dims[o.rank++] = b.dims[b.rank - 1];
    return set_out(ctx, o);
}

cs_status cs_infer_matmul(cs_infer_ctx *ctx)
{
    return checked(ctx, 2, matmul);
}

static int64_t product(const int64_t *d, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++) {
        if (d[i] < 0)
            return -1;
        p *= d[i];
    }
    return p;
}

static cs_status flatten(cs_infer_ctx *ctx, const cs_shape *x)
{
    int axis;
    if (!axis_attr(ctx, 1, x->rank, &axis))
        return fail(ctx, "axis out of range");
    return set_out(ctx, (cs_shape){x->dtype, 2, {product(x->dims, 0, axis), product(x->dims, axis, x->rank)}});
}

cs_status cs_infer_flatten(cs_infer_ctx *ctx)
{
    return checked(ctx, 1, flatten);
}

static cs_status reshape(cs_infer_ctx *ctx, const cs_shape *x)
{
    const cs_tensor *shape = ctx->n_in > 1 ? ctx->known[1] : NULL;
    if (!shape || (shape->dtype != CS_DT_I64 && shape->dtype != CS_DT_I32) || shape->rank != 1 ||
        shape->dims[0] > CS_MAX_RANK)
        return cs_error_set(ctx->err, CS_ERR_UNSUPPORTED, "node '%s' (Reshape): the shape is not a known constant",
                            ctx->node->name);
    cs_shape o = {x->dtype, (int)shape->dims[0], {0}};
    int unknown = -1;
    int64_t known = 1, total = product(x->dims, 0, x->rank);
    bool allow_zero = attr_int(ctx, "allowzero", 0) != 0;
    for (int i = 0; i < o.rank; i++) {
        int64_t d = (int64_t)cs_tensor_get_f64(shape, i);
        if (d == 0 && !allow_zero)
            d = i < x->rank ? x->dims[i] : -2;
        if (d == -1 && unknown < 0)
            unknown = i;
        else if (d < 0 && !(d == -1 && unknown >= 0) && d != -2)
            return fail(ctx, "bad shape entry");
        if (d == -2)
            return fail(ctx, "a 0 copies a dim the input does not have");
        o.dims[i] = d;
        if (i != unknown)
            known = known >= 0 && d >= 0 ? known * d : -1;
    }
    if (unknown >= 0)
        o.dims[unknown] = total >= 0 && known > 0 ? total / known : -1;
    return set_out(ctx, o);
}

cs_status cs_infer_reshape(cs_infer_ctx *ctx)
{
    return checked(ctx, 1, reshape);
}

static cs_status transpose(cs_infer_ctx *ctx, const cs_shape *x)
{
    int64_t perm[CS_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        perm[i] = x->rank - 1 - i;
    if (!attr_ints(ctx, "perm", x->rank, 0, perm) && cs_attrs_find(&ctx->node->attrs, "perm"))
        return fail(ctx, "perm does not match the rank");
    const cs_attr *given = cs_attrs_find(&ctx->node->attrs, "perm");
    cs_shape o = {x->dtype, x->rank, {0}};
    for (int i = 0; i < x->rank; i++) {
        int64_t p = given ? perm[i] : x->rank - 1 - i;
        if (p < 0 || p >= x->rank)
            return fail(ctx, "perm entry out of range");
        o.dims[i] = x->dims[p];
    }
    return set_out(ctx, o);
}

cs_status cs_infer_transpose(cs_infer_ctx *ctx)
{
    return checked(ctx, 1, transpose);
}

static cs_status concat(cs_infer_ctx *ctx, const cs_shape *x)
{
    cs_shape o = *x;
    int axis;
    if (!axis_attr(ctx, 0, o.rank - 1, &axis))
        return fail(ctx, "axis out of range");
    for (int i = 1; i < ctx->n_in; i++) {
        const cs_shape *b = &ctx->in[i];
        if (b->rank != o.rank)
            return fail(ctx, "inputs differ in rank");
        for (int k = 0; k < o.rank; k++)
            if (k != axis && b->dims[k] >= 0 && o.dims[k] >= 0 && b->dims[k] != o.dims[k])
                return fail(ctx, "inputs differ off the axis");
        o.dims[axis] = o.dims[axis] >= 0 && b->dims[axis] >= 0 ? o.dims[axis] + b->dims[axis] : -1;
    }
    return set_out(ctx, o);
}

cs_status cs_infer_concat(cs_infer_ctx *ctx)
{
    return checked(ctx, 1, concat);
}
