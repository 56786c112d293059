/* ext.c — convscope-domain ops for semantics other formats have and ONNX lacks (domain "convscope").
 * AdaptiveAvgPool2d: PyTorch adaptive average pooling of NCHW f32 to output_size [OH, OW]; GroupNorm: PyTorch
 * group_norm / instance_norm (num_groups 0: one group per channel); TransposeDims: swap two (maybe negative) axes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

/* PyTorch's bin for output index o of n outputs over an input of size len: [floor(o*len/n), ceil((o+1)*len/n)). */
static void adaptive_bin(int64_t o, int64_t n, int64_t len, int64_t *lo, int64_t *hi)
{
    *lo = (o * len) / n;
    *hi = ((o + 1) * len + n - 1) / n;
}

static cs_status adaptive_avg_pool2d(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *x = ctx->in[0];
    const int64_t *os;
    if (cs_attrs_ints(&ctx->node->attrs, "output_size", &os) != 2 || os[0] < 1 || os[1] < 1 || os[0] > (1 << 20) ||
        os[1] > (1 << 20))
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "output_size must be two positive ints");
    if (x->rank != 4 || x->dtype != CS_DT_F32)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "expects a rank-4 f32 NCHW input, got rank %d %s", x->rank,
                              cs_dtype_name(x->dtype));
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    if (H < 1 || W < 1)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "empty spatial input");
    int64_t dims[4] = {N, C, os[0], os[1]};
    cs_tensor *y = cs_kernel_output(ctx, 0, CS_DT_F32, 4, dims);
    if (!y)
        return ctx->err->status;
    const float *src = x->data;
    float *dst = y->data;
    for (int64_t nc = 0; nc < N * C; nc++) {
        const float *plane = src + nc * H * W;
        for (int64_t oh = 0; oh < os[0]; oh++) {
            int64_t h0, h1;
            adaptive_bin(oh, os[0], H, &h0, &h1);
            for (int64_t ow = 0; ow < os[1]; ow++) {
                int64_t w0, w1;
                adaptive_bin(ow, os[1], W, &w0, &w1);
                double s = 0;
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++)
                        s += plane[h * W + w];
                dst[(nc * os[0] + oh) * os[1] + ow] = (float)(s / (double)((h1 - h0) * (w1 - w0)));
            }
        }
    }
    return CS_OK;
}

/* Normalises one group of `n` consecutive f32 values in place (biased variance, as PyTorch). */
static void norm_group(float *y, const float *x, int64_t n, double eps)
{
    double s = 0, q = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    double m = s / (double)n;
    for (int64_t i = 0; i < n; i++)
        q += (x[i] - m) * (x[i] - m);
    double inv = 1.0 / sqrt(q / (double)n + eps);
    for (int64_t i = 0; i < n; i++)
        y[i] = (float)((x[i] - m) * inv);
}

/* inputs: x [N, C, ...] f32, optional weight [C], optional bias [C]; attrs num_groups (0: C), epsilon. */
static cs_status group_norm(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *x = ctx->in[0], *w = cs_kernel_input(ctx, 1), *b = cs_kernel_input(ctx, 2);
    if (x->rank < 2 || x->dtype != CS_DT_F32)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "expects an f32 input of rank >= 2, got rank %d", x->rank);
    int64_t N = x->dims[0], C = x->dims[1], G = cs_attrs_int(&ctx->node->attrs, "num_groups", 0);
    G = G ? G : C;
    if (G < 1 || C % G)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%lld channels do not split into %lld groups", (long long)C, (long long)G);
    if ((w && (w->dtype != CS_DT_F32 || cs_tensor_numel(w) != C)) || (b && (b->dtype != CS_DT_F32 || cs_tensor_numel(b) != C)))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "weight and bias must hold %lld f32 values", (long long)C);
    cs_tensor *y = cs_kernel_output(ctx, 0, CS_DT_F32, x->rank, x->dims);
    if (!y)
        return ctx->err->status;
    int64_t sp = C ? cs_tensor_numel(x) / (N * C) : 0, gn = C / G * sp;
    double eps = cs_attrs_float(&ctx->node->attrs, "epsilon", 1e-5);
    float *dst = y->data;
    for (int64_t g = 0; gn > 0 && g < N * G; g++)
        norm_group(dst + g * gn, (const float *)x->data + g * gn, gn, eps);
    for (int64_t i = 0; sp > 0 && i < N * C; i++) {
        float sc = w ? ((const float *)w->data)[i % C] : 1.0f, sh = b ? ((const float *)b->data)[i % C] : 0.0f;
        for (int64_t k = 0; k < sp; k++)
            dst[i * sp + k] = dst[i * sp + k] * sc + sh;
    }
    return CS_OK;
}

/* attrs dim0, dim1 (negative: from the end): torch.transpose on a tensor whose rank the loader did not know. */
static cs_status transpose_dims(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    if (st)
        return st;
    const cs_tensor *x = ctx->in[0];
    int a, b;
    if ((st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "dim0", 0), x->rank, &a)) ||
        (st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "dim1", 1), x->rank, &b)))
        return st;
    int64_t dims[CS_MAX_RANK], stride[CS_MAX_RANK], idx[CS_MAX_RANK] = {0};
    memcpy(dims, x->dims, sizeof dims);
    dims[a] = x->dims[b];
    dims[b] = x->dims[a];
    cs_tensor *y = cs_kernel_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ctx->err->status;
    size_t es = cs_dtype_size(x->dtype);
    for (int k = x->rank - 1, s = 1; k >= 0; s *= (int)x->dims[k], k--)
        stride[k] = s;
    int64_t t = stride[a];
    stride[a] = stride[b];
    stride[b] = t;
    int64_t n = cs_tensor_numel(y);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int k = 0; k < x->rank; k++)
            off += idx[k] * stride[k];
        memcpy((char *)y->data + (size_t)i * es, (const char *)x->data + (size_t)off * es, es);
        for (int k = x->rank - 1; k >= 0 && ++idx[k] == dims[k]; k--)
            idx[k] = 0;
    }
    return CS_OK;
}

/* Choose(cond, a, b): a copy of a when the one-element cond is non-zero, else of b (any shapes and dtypes):
 * a TorchScript 'if' on a run-time value, both branches computed, one kept. */
static cs_status choose(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 3);
    if (st)
        return st;
    if (cs_tensor_numel(ctx->in[0]) != 1)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "the condition has %lld elements, not one",
                              (long long)cs_tensor_numel(ctx->in[0]));
    const cs_tensor *x = cs_tensor_get_f64(ctx->in[0], 0) != 0 ? ctx->in[1] : ctx->in[2];
    cs_tensor *y = cs_kernel_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (!y)
        return ctx->err->status;
    if (x->nbytes)
        memcpy(y->data, x->data, x->nbytes);
    return CS_OK;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* QnnpackAdd(a, b) of two u8 tensors of one shape: quantized::add(_relu) as PyTorch's QNNPACK computes it
 * (pytorch_qnnp_add_quantize): each input scaled by a fixed-point multiplier (its scale over y's, in float32,
 * times 2^shift, rounded), summed in int32, shifted right by `shift` rounding half away from zero, clamped.
 * attrs a_scale, a_zero_point, b_scale, b_zero_point, y_scale, y_zero_point, relu (clamp below at y's zero). */
static cs_status qnnpack_add(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    if (st)
        return st;
    const cs_tensor *a = ctx->in[0], *b = ctx->in[1];
    if (a->dtype != CS_DT_U8 || b->dtype != CS_DT_U8 || a->rank != b->rank ||
        memcmp(a->dims, b->dims, (size_t)a->rank * sizeof a->dims[0]) != 0)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "inputs must be u8 tensors of one shape");
    const cs_attrs *at = &ctx->node->attrs;
    float ys = (float)cs_attrs_float(at, "y_scale", 1);
    float as = (float)cs_attrs_float(at, "a_scale", 1) / ys, bs = (float)cs_attrs_float(at, "b_scale", 1) / ys;
    int64_t azp = cs_attrs_int(at, "a_zero_point", 0), bzp = cs_attrs_int(at, "b_zero_point", 0);
    int64_t yzp = cs_attrs_int(at, "y_zero_point", 0);
    if (!(as >= 0x1.0p-14f && as < 0x1.0p+8f && bs >= 0x1.0p-14f && bs < 0x1.0p+8f) || azp < 0 || azp > 255 ||
        bzp < 0 || bzp > 255 || yzp < 0 || yzp > 255)
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "scales or zero points outside QNNPACK's range");
    int32_t exponent = (int32_t)(f32_bits(as > bs ? as : bs) >> 23) - 127;
    uint32_t shift = (uint32_t)(21 - exponent), mult_bits = (uint32_t)(21 - exponent + 127) << 23;
    float multiplier;
    memcpy(&multiplier, &mult_bits, sizeof multiplier);
    uint32_t am = (uint32_t)(int32_t)lrintf(as * multiplier), bm = (uint32_t)(int32_t)lrintf(bs * multiplier);
    int32_t zpp = (int32_t)(0u - (am * (uint32_t)azp + bm * (uint32_t)bzp));
    int32_t mask = (int32_t)((UINT32_C(1) << shift) - 1), threshold = mask >> 1;
    int32_t lo = cs_attrs_int(at, "relu", 0) ? (int32_t)yzp : 0;
    cs_tensor *y = cs_kernel_output(ctx, 0, CS_DT_U8, a->rank, a->dims);
    if (!y)
        return ctx->err->status;
    const uint8_t *pa = a->data, *pb = b->data;
    uint8_t *py = y->data;
    for (int64_t i = 0, n = cs_tensor_numel(a); i < n; i++) {
        int32_t acc = (int32_t)((uint32_t)zpp + (uint32_t)pa[i] * am + (uint32_t)pb[i] * bm);
        int32_t rem = (acc & mask) - (int32_t)(acc < 0);
        acc = (acc >> shift) + (int32_t)(rem > threshold); /* >> of a negative int32: arithmetic (gcc, clang) */
        int32_t v = acc + (int32_t)yzp;
        py[i] = (uint8_t)(v >= 255 ? 255 : v <= lo ? lo : v);
    }
    return CS_OK;
}

const cs_op_def cs_ops_ext[] = {
    {.name = "QnnpackAdd", .run = qnnpack_add},
    {.name = "Choose", .run = choose},
    {.name = "AdaptiveAvgPool2d", .run = adaptive_avg_pool2d},
    {.name = "GroupNorm", .run = group_norm},
    {.name = "TransposeDims", .run = transpose_dims},
    {.name = NULL},
};
