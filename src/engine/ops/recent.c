/* recent.c — op family 'recent': operators opsets 18-20 added that current exporters emit: GroupNormalization
 * (per-group scale in 18, per-channel in 21), Col2Im, BitwiseAnd/Or/Xor/Not, CenterCropPad and AffineGrid. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

#define NSP_MAX 3

/* ---- GroupNormalization ---- */

static cs_status op_group_norm(cs_kernel_ctx *ctx)
{
    const cs_tensor *X = cs_kernel_input(ctx, 0), *S = cs_kernel_input(ctx, 1), *B = cs_kernel_input(ctx, 2);
    int64_t G = cs_attrs_int(&ctx->node->attrs, "num_groups", 0);
    double eps = cs_attrs_float(&ctx->node->attrs, "epsilon", 1e-5);
    if (!X || !S || !B || X->rank < 2 || !cs_dtype_is_float(X->dtype))
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "GroupNormalization needs X [N,C,...], scale and bias");
    int64_t N = X->dims[0], C = X->dims[1], per = C > 0 ? cs_tensor_numel(X) / (N * C) : 0;
    if (G < 1 || C % G)
        return cs_kernel_fail(ctx, CS_ERR_ARG, "num_groups %lld does not divide %lld channels", (long long)G,
                              (long long)C);
    /* opset 18 scales per group, opset 21 per channel; the sizes tell them apart except when C == G */
    int64_t ns = cs_tensor_numel(S);
    bool per_channel = ns == C && (ns != G || ctx->opset >= 21);
    if ((ns != C && ns != G) || cs_tensor_numel(B) != ns)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "scale and bias need %lld (channels) or %lld (groups) values",
                              (long long)C, (long long)G);
    cs_tensor *Y = cs_kernel_output_raw(ctx, 0, X->dtype, X->rank, X->dims);
    if (!Y)
        return ctx->err->status;
    int64_t cg = C / G, span = cg * per;
    for (int64_t n = 0; n < N; n++)
        for (int64_t g = 0; g < G; g++) {
            int64_t base = (n * C + g * cg) * per;
            double sum = 0, sq = 0;
            for (int64_t i = 0; i < span; i++)
                sum += cs_tensor_get_f64(X, base + i);
            double mean = span ? sum / (double)span : 0;
            for (int64_t i = 0; i < span; i++) {
                double d = cs_tensor_get_f64(X, base + i) - mean;
                sq += d * d;
            }
            double inv = 1 / sqrt((span ? sq / (double)span : 0) + eps);
            for (int64_t i = 0; i < span; i++) {
                int64_t k = per_channel ? g * cg + i / per : g;
                double v = (cs_tensor_get_f64(X, base + i) - mean) * inv;
                cs_tensor_set_f64(Y, base + i, v * cs_tensor_get_f64(S, k) + cs_tensor_get_f64(B, k));
            }
        }
    return CS_OK;
}

/* ---- Col2Im ---- */

typedef struct col2im {
    int nsp;
    int64_t img[NSP_MAX], blk[NSP_MAX], stride[NSP_MAX], dil[NSP_MAX], pb[NSP_MAX], pe[NSP_MAX], out[NSP_MAX];
    int64_t K, L, IMG;
} col2im;

static cs_status read_ints_attr(cs_kernel_ctx *ctx, const char *name, int n, int64_t dflt, int64_t *out)
{
    const int64_t *v;
    int k = cs_attrs_ints(&ctx->node->attrs, name, &v);
    for (int i = 0; i < n; i++)
        out[i] = k < 0 ? dflt : v[i < k ? i : k - 1];
    if (k >= 0 && k != n)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "%s has %d values for %d spatial axes", name, k, n);
    return CS_OK;
}

static cs_status col2im_setup(cs_kernel_ctx *ctx, const cs_tensor *X, col2im *c)
{
    const cs_tensor *is = cs_kernel_input(ctx, 1), *bs = cs_kernel_input(ctx, 2);
    if (!X || X->rank != 3 || !is || !bs || cs_tensor_numel(is) != cs_tensor_numel(bs) || cs_tensor_numel(is) < 1 ||
        cs_tensor_numel(is) > NSP_MAX)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "Col2Im needs input [N, C*prod(block), L], image_shape and "
                              "block_shape of 1 to %d equal lengths", NSP_MAX);
    c->nsp = (int)cs_tensor_numel(is);
    int64_t pads[2 * NSP_MAX];
    if (read_ints_attr(ctx, "strides", c->nsp, 1, c->stride) || read_ints_attr(ctx, "dilations", c->nsp, 1, c->dil) ||
        read_ints_attr(ctx, "pads", 2 * c->nsp, 0, pads))
        return ctx->err->status;
    c->K = 1, c->L = 1, c->IMG = 1;
    for (int d = 0; d < c->nsp; d++) {
        c->img[d] = cs_tensor_get_i64(is, d), c->blk[d] = cs_tensor_get_i64(bs, d);
        c->pb[d] = pads[d], c->pe[d] = pads[c->nsp + d];
        int64_t span = (c->blk[d] - 1) * c->dil[d] + 1, room = c->img[d] + c->pb[d] + c->pe[d];
        if (c->img[d] < 1 || c->blk[d] < 1 || c->stride[d] < 1 || c->dil[d] < 1 || c->pb[d] < 0 || c->pe[d] < 0 ||
            span > room || c->img[d] > ((int64_t)1 << 24) || c->blk[d] > 4096)
            return cs_kernel_fail(ctx, CS_ERR_ARG, "impossible Col2Im geometry on axis %d", d);
        c->out[d] = (room - span) / c->stride[d] + 1;
        c->K *= c->blk[d], c->L *= c->out[d], c->IMG *= c->img[d];
    }
    if (X->dims[1] % c->K || X->dims[2] != c->L)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input [%lld,%lld,%lld] does not fit blocks of %lld and %lld positions",
                              (long long)X->dims[0], (long long)X->dims[1], (long long)X->dims[2], (long long)c->K,
                              (long long)c->L);
    return CS_OK;
}

static cs_status op_col2im(cs_kernel_ctx *ctx)
{
    const cs_tensor *X = cs_kernel_input(ctx, 0);
    col2im c;
    if (col2im_setup(ctx, X, &c) != CS_OK)
        return ctx->err->status;
    int64_t N = X->dims[0], C = X->dims[1] / c.K, dims[2 + NSP_MAX] = {N, C};
    for (int d = 0; d < c.nsp; d++)
        dims[2 + d] = c.img[d];
    cs_tensor *Y = cs_kernel_output(ctx, 0, X->dtype, 2 + c.nsp, dims);
    if (!Y)
        return ctx->err->status;
    for (int64_t nc = 0; nc < N * C; nc++)
        for (int64_t kk = 0; kk < c.K; kk++)
            for (int64_t l = 0; l < c.L; l++) {
                int64_t rk = kk, rl = l, pos = 0;
                bool inside = true;
                for (int d = c.nsp - 1; d >= 0; d--) { /* unravel kernel and block positions, last axis fastest */
                    int64_t kd = rk % c.blk[d], od = rl % c.out[d];
                    rk /= c.blk[d], rl /= c.out[d];
                    int64_t at = od * c.stride[d] - c.pb[d] + kd * c.dil[d];
                    inside &= at >= 0 && at < c.img[d];
                    int64_t stride = 1;
                    for (int e = d + 1; e < c.nsp; e++)
                        stride *= c.img[e];
                    pos += at * stride;
                }
                if (inside) {
                    int64_t dst = nc * c.IMG + pos, src = ((nc / C) * X->dims[1] + (nc % C) * c.K + kk) * c.L + l;
                    cs_tensor_set_f64(Y, dst, cs_tensor_get_f64(Y, dst) + cs_tensor_get_f64(X, src));
                }
            }
    return CS_OK;
}

/* ---- Bitwise ---- */

static cs_status bitwise(cs_kernel_ctx *ctx, int kind)
{
    const cs_tensor *A = cs_kernel_input(ctx, 0), *B = cs_kernel_input(ctx, 1);
    if (!A || !B || A->dtype != B->dtype || cs_dtype_is_float(A->dtype) || A->dtype == CS_DT_BOOL)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "bitwise operations need two integer tensors of one type");
    int r;
    int64_t dims[CS_MAX_RANK], sa[CS_MAX_RANK], sb[CS_MAX_RANK], idx[CS_MAX_RANK] = {0};
    if (!cs_broadcast_shape(A->rank, A->dims, B->rank, B->dims, &r, dims))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "shapes do not broadcast");
    cs_broadcast_strides(A->rank, A->dims, r, dims, sa);
    cs_broadcast_strides(B->rank, B->dims, r, dims, sb);
    cs_tensor *Y = cs_kernel_output_raw(ctx, 0, A->dtype, r, dims);
    if (!Y)
        return ctx->err->status;
    int64_t n = cs_tensor_numel(Y);
    for (int64_t k = 0; k < n; k++) {
        int64_t ia = 0, ib = 0;
        for (int d = 0; d < r; d++)
            ia += idx[d] * sa[d], ib += idx[d] * sb[d];
        uint64_t a = (uint64_t)cs_tensor_get_i64(A, ia), b = (uint64_t)cs_tensor_get_i64(B, ib);
        cs_tensor_set_i64(Y, k, (int64_t)(kind == 0 ? a & b : kind == 1 ? a | b : a ^ b));
        for (int d = r - 1; d >= 0 && ++idx[d] >= dims[d]; d--)
            idx[d] = 0;
    }
    return CS_OK;
}

static cs_status op_bitwise_and(cs_kernel_ctx *ctx) { return bitwise(ctx, 0); }
static cs_status op_bitwise_or(cs_kernel_ctx *ctx) { return bitwise(ctx, 1); }
static cs_status op_bitwise_xor(cs_kernel_ctx *ctx) { return bitwise(ctx, 2); }

static cs_status op_bitwise_not(cs_kernel_ctx *ctx)
{
    const cs_tensor *A = cs_kernel_input(ctx, 0);
    if (!A || cs_dtype_is_float(A->dtype) || A->dtype == CS_DT_BOOL)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "BitwiseNot needs an integer tensor");
    cs_tensor *Y = cs_kernel_output_raw(ctx, 0, A->dtype, A->rank, A->dims);
    if (!Y)
        return ctx->err->status;
    for (int64_t k = 0; k < cs_tensor_numel(A); k++)
        cs_tensor_set_i64(Y, k, (int64_t)~(uint64_t)cs_tensor_get_i64(A, k));
    return CS_OK;
}

/* ---- CenterCropPad ---- */

static cs_status op_center_crop_pad(cs_kernel_ctx *ctx)
{
    const cs_tensor *X = cs_kernel_input(ctx, 0), *S = cs_kernel_input(ctx, 1);
    if (!X || !S)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "CenterCropPad needs input and shape");
    const int64_t *ax;
    int n_ax = cs_attrs_ints(&ctx->node->attrs, "axes", &ax);
    int64_t n = cs_tensor_numel(S), dims[CS_MAX_RANK], off[CS_MAX_RANK] = {0}; /* off: input index - output index */
    if ((n_ax < 0 && n != X->rank) || (n_ax >= 0 && n != n_ax))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "shape has %lld values for %d axes", (long long)n,
                              n_ax < 0 ? X->rank : n_ax);
    memcpy(dims, X->dims, sizeof dims);
    for (int64_t i = 0; i < n; i++) {
        int a;
        if (cs_kernel_axis(ctx, n_ax < 0 ? i : ax[i], X->rank, &a) != CS_OK)
            return ctx->err->status;
        int64_t want = cs_tensor_get_i64(S, i);
        if (want < 0 || want > ((int64_t)1 << 30))
            return cs_kernel_fail(ctx, CS_ERR_ARG, "target size %lld is impossible", (long long)want);
        off[a] = want <= X->dims[a] ? (X->dims[a] - want) / 2 : -((want - X->dims[a]) / 2);
        dims[a] = want;
    }
    cs_tensor *Y = cs_kernel_output(ctx, 0, X->dtype, X->rank, dims);
    if (!Y)
        return ctx->err->status;
    int64_t idx[CS_MAX_RANK] = {0}, total = cs_tensor_numel(Y);
    size_t es = cs_dtype_size(X->dtype);
    for (int64_t k = 0; k < total; k++) {
        int64_t src = 0;
        bool inside = true;
        for (int d = 0; d < X->rank; d++) {
            int64_t at = idx[d] + off[d];
            inside &= at >= 0 && at < X->dims[d];
            src = src * X->dims[d] + at;
        }
        if (inside)
            memcpy((char *)Y->data + (size_t)k * es, (const char *)X->data + (size_t)src * es, es);
        for (int d = X->rank - 1; d >= 0 && ++idx[d] >= dims[d]; d--)
            idx[d] = 0;
    }
    return CS_OK;
}

/* ---- AffineGrid ---- */

/* Normalised coordinate of index i of n points in [-1, 1]. */
static double grid_coord(int64_t i, int64_t n, bool align)
{
    if (align)
        return n > 1 ? -1 + 2.0 * (double)i / (double)(n - 1) : 0;
    return (2.0 * (double)i + 1) / (double)n - 1;
}

static cs_status op_affine_grid(cs_kernel_ctx *ctx)
{
    const cs_tensor *T = cs_kernel_input(ctx, 0), *S = cs_kernel_input(ctx, 1);
    bool align = cs_attrs_int(&ctx->node->attrs, "align_corners", 0) != 0;
    int64_t ns = S ? cs_tensor_numel(S) : 0, nsp = ns - 2;
    if (!T || (ns != 4 && ns != 5) || T->rank != 3 || T->dims[1] != nsp || T->dims[2] != nsp + 1 ||
        !cs_dtype_is_float(T->dtype))
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "AffineGrid needs theta [N,2,3] with size [N,C,H,W], or [N,3,4] "
                              "with [N,C,D,H,W]");
    int64_t sz[5], dims[5];
    for (int i = 0; i < ns; i++)
        sz[i] = cs_tensor_get_i64(S, i);
    if (sz[0] != T->dims[0])
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "size names batch %lld, theta has %lld", (long long)sz[0],
                              (long long)T->dims[0]);
    dims[0] = sz[0];
    for (int d = 0; d < nsp; d++) {
        if (sz[2 + d] < 1 || sz[2 + d] > ((int64_t)1 << 20))
            return cs_kernel_fail(ctx, CS_ERR_ARG, "impossible grid size %lld", (long long)sz[2 + d]);
        dims[1 + d] = sz[2 + d];
    }
    dims[1 + nsp] = nsp;
    cs_tensor *Y = cs_kernel_output_raw(ctx, 0, T->dtype, (int)nsp + 2, dims);
    if (!Y)
        return ctx->err->status;
    int64_t points = cs_tensor_numel(Y) / (sz[0] * nsp), k = 0;
    for (int64_t n = 0; n < sz[0]; n++)
        for (int64_t p = 0; p < points; p++) {
            double base[4]; /* x (fastest axis), y, [z], 1 */
            int64_t rest = p;
            for (int d = (int)nsp - 1; d >= 0; d--) { /* spatial axes D,H,W: W is x */
                int64_t len = sz[2 + d];
                base[nsp - 1 - d] = grid_coord(rest % len, len, align);
                rest /= len;
            }
            base[nsp] = 1;
            for (int r = 0; r < nsp; r++, k++) {
                double v = 0;
                for (int c = 0; c <= nsp; c++)
                    v += cs_tensor_get_f64(T, (n * nsp + r) * (nsp + 1) + c) * base[c];
                cs_tensor_set_f64(Y, k, v);
            }
        }
    return CS_OK;
}

const cs_op_def cs_ops_recent[] = {
    {.name = "GroupNormalization", .run = op_group_norm},
    {.name = "Col2Im", .run = op_col2im},
    {.name = "BitwiseAnd", .run = op_bitwise_and},
    {.name = "BitwiseOr", .run = op_bitwise_or},
    {.name = "BitwiseXor", .run = op_bitwise_xor},
    {.name = "BitwiseNot", .run = op_bitwise_not},
    {.name = "CenterCropPad", .run = op_center_crop_pad},
    {.name = "AffineGrid", .run = op_affine_grid},
    {.name = NULL},
};
