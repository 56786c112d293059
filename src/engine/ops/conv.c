/* conv.c — op family 'conv': Conv, ConvTranspose and ConvInteger, with ONNX's group, dilation,
 * stride, pads/auto_pad, output_padding and output_shape rules; the arithmetic lives in conv_core.c. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "conv_core.h"
#include "dnnl_backend.h"
#include "fastpath.h"
#include "quant_util.h"
#include "infer.h"
#include "../grad/backward.h"

static cs_status check_ranks(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *w)
{
    if (x->rank < 3)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input X has rank %d; expected N x C x spatial dims", x->rank);
    if (w->rank != x->rank)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "weight W has rank %d but X has rank %d", w->rank, x->rank);
    return CS_OK;
}

static cs_status check_group(cs_kernel_ctx *ctx, int64_t group, int64_t channels, int64_t w_channels,
                             int64_t other)
{
    if (group < 1 || group > channels || channels % group || other % group)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "group %lld must be positive and divide channels %lld and %lld",
                              (long long)group, (long long)channels, (long long)other);
    int64_t total;
    if (__builtin_mul_overflow(w_channels, group, &total) || total != channels)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "W has %lld channels per group; X has %lld channels in %lld groups",
                              (long long)w_channels, (long long)channels, (long long)group);
    return CS_OK;
}

cs_status cs_conv_prepare(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *w, cs_conv_shape *s)
{
    cs_status st = check_ranks(ctx, x, w);
    if (st != CS_OK)
        return st;
    memset(s, 0, sizeof *s);
    s->group = cs_attrs_int(&ctx->node->attrs, "group", 1);
    s->batch = x->dims[0];
    s->in_channels = x->dims[1];
    s->out_channels = w->dims[0];
    return check_group(ctx, s->group, s->in_channels, w->dims[1], s->out_channels);
}

static cs_status check_bias(cs_kernel_ctx *ctx, const cs_tensor *b, int64_t channels, cs_dtype dtype)
{
    if (!b)
        return CS_OK;
    if (b->rank != 1 || b->dims[0] != channels || b->dtype != dtype)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "bias must be a 1-D %s tensor of %lld elements",
                              cs_dtype_name(dtype), (long long)channels);
    return CS_OK;
}

static cs_status core_status(cs_kernel_ctx *ctx, cs_status st)
{
    if (st != CS_OK)
        cs_error_prefix(ctx->err, "node '%s' (%s): ", ctx->node->name, ctx->node->op);
    return st;
}

static cs_status run_native(cs_kernel_ctx *ctx, const cs_conv_shape *s, bool backward, const cs_tensor *x,
                            const cs_tensor *w, const cs_tensor *b, cs_tensor *y)
{
    const void *bias = b ? b->data : NULL;
    cs_status st;
    if (x->dtype == CS_DT_F32)
        st = backward ? cs_conv_backward_f32(s, x->data, w->data, bias, y->data, ctx->err)
                      : cs_conv_forward_f32(s, x->data, w->data, bias, y->data, ctx->err);
    else
        st = backward ? cs_conv_backward_f64(s, x->data, w->data, bias, y->data, ctx->err)
                      : cs_conv_forward_f64(s, x->data, w->data, bias, y->data, ctx->err);
    return core_status(ctx, st);
}

/* f16/bf16: computes in f32 and rounds the result back. */
static cs_status run_widened(cs_kernel_ctx *ctx, const cs_conv_shape *s, bool backward, const cs_tensor *x,
                             const cs_tensor *w, const cs_tensor *b, cs_tensor *y)
{
    cs_tensor *xf = cs_tensor_cast(x, CS_DT_F32, ctx->err);
    cs_tensor *wf = xf ? cs_tensor_cast(w, CS_DT_F32, ctx->err) : NULL;
    cs_tensor *bf = wf && b ? cs_tensor_cast(b, CS_DT_F32, ctx->err) : NULL;
    cs_tensor *yf = wf && (bf || !b) ? cs_tensor_new(CS_DT_F32, y->rank, y->dims, ctx->err) : NULL;
    cs_status st = yf ? run_native(ctx, s, backward, xf, wf, bf, yf) : core_status(ctx, ctx->err->status);
    for (int64_t i = 0; st == CS_OK && i < cs_tensor_numel(y); i++)
        cs_tensor_set_f64(y, i, ((const float *)yf->data)[i]);
    cs_tensor_free(xf);
    cs_tensor_free(wf);
    cs_tensor_free(bf);
    cs_tensor_free(yf);
    return st;
}

static cs_status run_float(cs_kernel_ctx *ctx, const cs_conv_shape *s, bool backward, const cs_tensor *x,
                           const cs_tensor *w, const cs_tensor *b, cs_tensor *y)
{
    if (w->dtype != x->dtype)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "X is %s but W is %s", cs_dtype_name(x->dtype),
                              cs_dtype_name(w->dtype));
    switch (x->dtype) {
    case CS_DT_F32:
    case CS_DT_F64: return run_native(ctx, s, backward, x, w, b, y);
    case CS_DT_F16:
    case CS_DT_BF16: return run_widened(ctx, s, backward, x, w, b, y);
    default:
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "dtype %s is not supported (float types only)",
                              cs_dtype_name(x->dtype));
    }
}

/* raw: the core writes every element (a non-empty forward weight, or the transposed core, which clears y). */
static cs_tensor *conv_output(cs_kernel_ctx *ctx, cs_dtype dtype, const cs_conv_shape *s, int64_t channels,
                              const int64_t *spatial, bool raw)
{
    int64_t dims[CS_MAX_RANK] = {s->batch, channels};
    memcpy(dims + 2, spatial, (size_t)s->win.n * sizeof *dims);
    return raw ? cs_kernel_output_raw(ctx, 0, dtype, s->win.n + 2, dims)
               : cs_kernel_output(ctx, 0, dtype, s->win.n + 2, dims);
}

static cs_status op_conv(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *x = cs_kernel_input(ctx, 0), *w = cs_kernel_input(ctx, 1), *b = cs_kernel_input(ctx, 2);
    cs_conv_shape s;
    if (st == CS_OK)
        st = cs_conv_prepare(ctx, x, w, &s);
    if (st == CS_OK)
        st = cs_window_setup(ctx, x, w->dims + 2, false, &s.win);
    if (st == CS_OK)
        st = check_bias(ctx, b, s.out_channels, x->dtype);
    if (st != CS_OK)
        return st;
    if (cs_kernels_fast()) {
        bool handled = false;
        st = cs_dnnl_conv(ctx, &s, x, w, b, &handled);
        if (st != CS_OK || handled)
            return st;
    }
    bool raw = (x->dtype == CS_DT_F32 || x->dtype == CS_DT_F64) && cs_tensor_numel(w) > 0;
    cs_tensor *y = conv_output(ctx, x->dtype, &s, s.out_channels, s.win.out, raw);
    return y ? run_float(ctx, &s, false, x, w, b, y) : ctx->err->status;
}

/* ---- ConvTranspose ---- */

/* Reads output_padding and output_shape (spatial sizes, or N,C,spatial) into arrays; *has_shape tells
 * whether output_shape was given. */
static cs_status transpose_attrs(cs_kernel_ctx *ctx, int n, int64_t *output_padding, int64_t *output_shape,
                                 bool *has_shape)
{
    const int64_t *v;
    int count = cs_attrs_ints(&ctx->node->attrs, "output_padding", &v);
    memset(output_padding, 0, (size_t)n * sizeof *output_padding);
    if (count >= 0 && count != n)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "output_padding has %d values, expected %d", count, n);
    if (count > 0)
        memcpy(output_padding, v, (size_t)n * sizeof *v);
    count = cs_attrs_ints(&ctx->node->attrs, "output_shape", &v);
    *has_shape = count >= 0;
    if (count >= 0 && count != n && count != n + 2)
        return cs_kernel_fail(ctx, CS_ERR_FORMAT, "output_shape has %d values, expected %d", count, n);
    if (count >= 0)
        memcpy(output_shape, v + (count - n), (size_t)n * sizeof *v);
    return CS_OK;
}

/* Resolves the transposed window and turns it into the forward window it is the gradient of. */
static cs_status transpose_window(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *w, cs_window *fwd)
{
    cs_window t;
    cs_auto_pad auto_pad;
    int64_t output_padding[CS_MAX_RANK], output_shape[CS_MAX_RANK];
    bool has_shape = false;
    cs_status st = cs_window_from_node(ctx, x, w->dims + 2, &t, &auto_pad);
    if (st == CS_OK)
        st = transpose_attrs(ctx, t.n, output_padding, output_shape, &has_shape);
    if (st != CS_OK)
        return st;
    char why[256];
    if (!cs_window_resolve_transpose(&t, auto_pad, output_padding, has_shape ? output_shape : NULL, why, sizeof why))
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s", why);
    *fwd = t;
    memcpy(fwd->in, t.out, sizeof t.out);
    memcpy(fwd->out, t.in, sizeof t.in);
    return CS_OK;
}

static cs_status op_conv_transpose(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *x = cs_kernel_input(ctx, 0), *w = cs_kernel_input(ctx, 1), *b = cs_kernel_input(ctx, 2);
    if (st == CS_OK)
        st = check_ranks(ctx, x, w);
    if (st != CS_OK)
        return st;
    /* As a forward conv: input = our output (M channels), output = our input (C channels). */
    cs_conv_shape s = {.batch = x->dims[0], .out_channels = x->dims[1]};
    s.group = cs_attrs_int(&ctx->node->attrs, "group", 1);
    if (w->dims[0] != x->dims[1])
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "W has %lld input channels but X has %lld",
                              (long long)w->dims[0], (long long)x->dims[1]);
    if (s.group < 1 || s.out_channels % s.group || w->dims[1] > INT64_MAX / s.group)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "group %lld does not divide the %lld input channels",
                              (long long)s.group, (long long)s.out_channels);
    s.in_channels = w->dims[1] * s.group;
    st = transpose_window(ctx, x, w, &s.win);
    if (st == CS_OK)
        st = check_bias(ctx, b, s.in_channels, x->dtype);
    if (st != CS_OK)
        return st;
    cs_tensor *y = conv_output(ctx, x->dtype, &s, s.in_channels, s.win.in, false);
    return y ? run_float(ctx, &s, true, x, w, b, y) : ctx->err->status;
}

/* ---- ConvInteger ---- */

cs_status cs_conv_integer_acc(cs_kernel_ctx *ctx, const cs_conv_shape *s, const cs_tensor *x, double x_zp,
                              const cs_tensor *w, const double *w_zp, double **acc)
{
    if (!cs_quant_is_int8(x->dtype) || !cs_quant_is_int8(w->dtype))
        return cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "X (%s) and W (%s) must be 8-bit integers",
                              cs_dtype_name(x->dtype), cs_dtype_name(w->dtype));
    int64_t per_m = cs_tensor_numel(w) / (s->out_channels > 0 ? s->out_channels : 1);
    int64_t n_out = s->batch * s->out_channels * cs_window_out_size(&s->win);
    double *xd = NULL, *wd = NULL, *y = cs_quant_doubles(ctx, n_out);
    cs_status st = y ? cs_quant_centered(ctx, x, &x_zp, 1, 1, &xd) : ctx->err->status;
    if (st == CS_OK)
        st = cs_quant_centered(ctx, w, w_zp, s->out_channels, per_m, &wd);
    if (st == CS_OK)
        st = core_status(ctx, cs_conv_forward_f64(s, xd, wd, NULL, y, ctx->err));
    free(xd);
    free(wd);
    if (st != CS_OK)
        free(y);
    else
        *acc = y;
    return st;
}

/* Zero points: x_zero_point is a scalar; w_zero_point is a scalar or one per output channel. */
static cs_status integer_zero_points(cs_kernel_ctx *ctx, const cs_conv_shape *s, double *x_zp, double **w_zp)
{
    const cs_tensor *xz = cs_kernel_input(ctx, 2), *wz = cs_kernel_input(ctx, 3);
    cs_status st = cs_quant_expand(ctx, xz, 1, 0, "x_zero_point", x_zp);
    if (st != CS_OK)
        return st;
    *w_zp = cs_quant_doubles(ctx, s->out_channels);
    if (!*w_zp)
        return ctx->err->status;
    return cs_quant_expand(ctx, wz, s->out_channels, 0, "w_zero_point", *w_zp);
}

static cs_status op_conv_integer(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *x = cs_kernel_input(ctx, 0), *w = cs_kernel_input(ctx, 1);
    cs_conv_shape s;
    if (st == CS_OK)
        st = cs_conv_prepare(ctx, x, w, &s);
    if (st == CS_OK)
        st = cs_window_setup(ctx, x, w->dims + 2, false, &s.win);
    double x_zp = 0, *w_zp = NULL, *acc = NULL;
    if (st == CS_OK)
        st = integer_zero_points(ctx, &s, &x_zp, &w_zp);
    if (st == CS_OK)
        st = cs_conv_integer_acc(ctx, &s, x, x_zp, w, w_zp, &acc);
    cs_tensor *y = st == CS_OK ? conv_output(ctx, CS_DT_I32, &s, s.out_channels, s.win.out, false) : NULL;
    for (int64_t i = 0; y && i < cs_tensor_numel(y); i++)
        ((int32_t *)y->data)[i] = (int32_t)cs_quant_saturate(acc[i], CS_DT_I32);
    free(w_zp);
    free(acc);
    return st != CS_OK ? st : y ? CS_OK : ctx->err->status;
}

const cs_op_def cs_ops_conv[] = {
    {.name = "Conv", .run = op_conv, .infer = cs_infer_conv, .backward = cs_grad_conv},
    {.name = "ConvTranspose", .run = op_conv_transpose},
    {.name = "ConvInteger", .run = op_conv_integer},
    {.name = NULL},
};
