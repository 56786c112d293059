/* quant.c — op family 'quant': QuantizeLinear, DequantizeLinear (per-tensor and per-axis),
 * DynamicQuantizeLinear, QLinearMatMul and QLinearConv (exact integer accumulation, then requantize). */
#include "registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv_core.h"
#include "matmul_core.h"
#include "quant_util.h"

/* Per-tensor or per-axis parameters of a (de)quantization: element i uses index (i / inner) % count. */
typedef struct quant_axis {
    int64_t count, inner;
    double *scale, *zero;
} quant_axis;

static cs_status axis_setup(cs_kernel_ctx *ctx, const cs_tensor *x, const cs_tensor *scale, const cs_tensor *zp,
                            quant_axis *q)
{
    memset(q, 0, sizeof *q);
    q->count = q->inner = 1;
    if (cs_tensor_numel(scale) != 1 || scale->rank > 1) {
        int axis;
        if (x->rank < 1)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "a per-axis scale needs an input of rank >= 1");
        cs_status st = cs_kernel_axis(ctx, cs_attrs_int(&ctx->node->attrs, "axis", 1), x->rank, &axis);
        if (st != CS_OK)
            return st;
        q->count = x->dims[axis];
        for (int d = axis + 1; d < x->rank; d++)
            q->inner *= x->dims[d];
    }
    if (!(q->scale = cs_quant_doubles(ctx, q->count)) || !(q->zero = cs_quant_doubles(ctx, q->count)))
        return ctx->err->status;
    cs_status st = cs_quant_expand(ctx, scale, q->count, 1, "scale", q->scale);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, zp, q->count, 0, "zero_point", q->zero);
    return st;
}

static void axis_free(quant_axis *q)
{
    free(q->scale);
    free(q->zero);
}

static int64_t axis_index(const quant_axis *q, int64_t i)
{
    return q->count <= 1 || q->inner < 1 ? 0 : (i / q->inner) % q->count;
}

static cs_status op_quantize(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *x = cs_kernel_input(ctx, 0), *zp = cs_kernel_input(ctx, 2);
    cs_dtype out_dt = zp ? zp->dtype : CS_DT_U8;
    quant_axis q = {0};
    bool inverse = cs_attrs_int(&ctx->node->attrs, "inverse_scale", 0) != 0;
    if (st == CS_OK && (!cs_quant_is_int8(out_dt) && out_dt != CS_DT_I32 && out_dt != CS_DT_U16 && out_dt != CS_DT_I16))
        st = cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "output dtype %s is not supported", cs_dtype_name(out_dt));
    if (st == CS_OK)
        st = axis_setup(ctx, x, cs_kernel_input(ctx, 1), zp, &q);
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, out_dt, x->rank, x->dims) : NULL;
    for (int64_t i = 0; y && i < cs_tensor_numel(x); i++) {
        int64_t k = axis_index(&q, i);
        /* f32 data and scale divide in f32 as the ONNX reference does (it matters at .5 ties); with attribute
         * inverse_scale (set by the TorchScript reader) they multiply by the f32 inverse, as torch's quantize_val. */
        double v = x->dtype == CS_DT_F32 && cs_kernel_input(ctx, 1)->dtype == CS_DT_F32
                       ? (double)(inverse ? ((const float *)x->data)[i] * (1.0f / (float)q.scale[k])
                                          : ((const float *)x->data)[i] / (float)q.scale[k])
                       : cs_tensor_get_f64(x, i) / q.scale[k];
        cs_tensor_set_i64(y, i, cs_quant_saturate(nearbyint(v) + q.zero[k], out_dt));
    }
    axis_free(&q);
    return st != CS_OK ? st : y ? CS_OK : ctx->err->status;
}

static cs_status op_dequantize(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 2);
    const cs_tensor *x = cs_kernel_input(ctx, 0), *scale = cs_kernel_input(ctx, 1);
    quant_axis q = {0};
    if (st == CS_OK && (cs_dtype_is_float(x->dtype) || !cs_dtype_size(x->dtype)))
        st = cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "x must be an integer tensor, got %s", cs_dtype_name(x->dtype));
    if (st == CS_OK && !cs_dtype_is_float(scale->dtype))
        st = cs_kernel_fail(ctx, CS_ERR_SHAPE, "x_scale must be a float tensor");
    if (st == CS_OK)
        st = axis_setup(ctx, x, scale, cs_kernel_input(ctx, 2), &q);
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, scale->dtype, x->rank, x->dims) : NULL;
    for (int64_t i = 0; y && i < cs_tensor_numel(x); i++) {
        int64_t k = axis_index(&q, i);
        if (y->dtype == CS_DT_F32)
            ((float *)y->data)[i] = (float)(cs_tensor_get_f64(x, i) - q.zero[k]) * (float)q.scale[k];
        else
            cs_tensor_set_f64(y, i, (cs_tensor_get_f64(x, i) - q.zero[k]) * q.scale[k]);
    }
    axis_free(&q);
    return st != CS_OK ? st : y ? CS_OK : ctx->err->status;
}

/* ---- DynamicQuantizeLinear ---- */

static void min_max(const float *x, int64_t n, float *lo, float *hi)
{
    *lo = 0, *hi = 0;
    for (int64_t i = 0; i < n; i++) {
        if (x[i] < *lo)
            *lo = x[i];
        if (x[i] > *hi)
            *hi = x[i];
    }
}

static cs_status op_dynamic_quantize(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 1);
    const cs_tensor *x = cs_kernel_input(ctx, 0);
    if (st == CS_OK && x->dtype != CS_DT_F32)
        st = cs_kernel_fail(ctx, CS_ERR_UNSUPPORTED, "x must be f32, got %s", cs_dtype_name(x->dtype));
    if (st != CS_OK)
        return st;
    float lo, hi;
    int64_t n = cs_tensor_numel(x);
    min_max(x->data, n, &lo, &hi);
    float scale = (hi - lo) / 255.0f;
    float zero = scale > 0 ? (float)cs_quant_saturate(nearbyintf((0.0f - lo) / scale), CS_DT_U8) : 0;
    cs_tensor *y = cs_kernel_output(ctx, 0, CS_DT_U8, x->rank, x->dims);
    const int64_t scalar[1] = {1};
    cs_tensor *ys = y ? cs_kernel_output(ctx, 1, CS_DT_F32, 0, scalar) : NULL;
    cs_tensor *yz = ys ? cs_kernel_output(ctx, 2, CS_DT_U8, 0, scalar) : NULL;
    if (!yz)
        return ctx->err->status;
    for (int64_t i = 0; i < n; i++) {
        float v = scale > 0 ? nearbyintf(((const float *)x->data)[i] / scale) + zero : 0;
        ((uint8_t *)y->data)[i] = (uint8_t)cs_quant_saturate(v, CS_DT_U8);
    }
    *(float *)ys->data = scale;
    *(uint8_t *)yz->data = (uint8_t)zero;
    return CS_OK;
}

/* ---- QLinearMatMul ---- */

/* Requantizes one accumulator: round(acc * scale) + zero, saturated to dtype. */
static int64_t requantize(double acc, double scale, double zero, cs_dtype dtype)
{
    return cs_quant_saturate(nearbyint(acc * scale) + zero, dtype);
}

static cs_status qmatmul_scales(cs_kernel_ctx *ctx, const cs_matmul_plan *p, double *a_s, double *b_s, double *y_s,
                                double *y_z)
{
    const cs_tensor *as = cs_kernel_input(ctx, 1), *bs = cs_kernel_input(ctx, 4);
    cs_status st = cs_quant_expand(ctx, as, cs_tensor_numel(as) > 1 ? p->M : 1, 1, "a_scale", a_s);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, bs, cs_tensor_numel(bs) > 1 ? p->N : 1, 1, "b_scale", b_s);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, cs_kernel_input(ctx, 6), 1, 1, "y_scale", y_s);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, cs_kernel_input(ctx, 7), 1, 0, "y_zero_point", y_z);
    return st;
}

static void qmatmul_store(const cs_matmul_plan *p, const double *acc, const double *a_s, const double *b_s,
                          double y_s, double y_z, bool per_row, bool per_col, cs_tensor *y)
{
    for (int64_t i = 0; i < cs_tensor_numel(y); i++) {
        int64_t n = i % p->N, m = (i / p->N) % p->M;
        double scale = a_s[per_row ? m : 0] * b_s[per_col ? n : 0] / y_s;
        cs_tensor_set_i64(y, i, requantize(acc[i], scale, y_z, y->dtype));
    }
}

static cs_status op_qlinear_matmul(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 7);
    if (st != CS_OK)
        return st;
    const cs_tensor *a = cs_kernel_input(ctx, 0), *b = cs_kernel_input(ctx, 3), *yzp = cs_kernel_input(ctx, 7);
    cs_matmul_plan p;
    double *ad = NULL, *bd = NULL, *acc = NULL, *a_s = NULL, *b_s = NULL, y_s, y_z;
    st = cs_matmul_plan_make(ctx, a, b, &p);
    if (st == CS_OK)
        st = cs_quant_centre_matrix(ctx, a, cs_kernel_input(ctx, 2), true, &ad);
    if (st == CS_OK)
        st = cs_quant_centre_matrix(ctx, b, cs_kernel_input(ctx, 5), false, &bd);
    if (st == CS_OK && (!(a_s = cs_quant_doubles(ctx, p.M)) || !(b_s = cs_quant_doubles(ctx, p.N))))
        st = ctx->err->status;
    if (st == CS_OK)
        st = qmatmul_scales(ctx, &p, a_s, b_s, &y_s, &y_z);
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, yzp ? yzp->dtype : CS_DT_U8, p.rank, p.dims) : NULL;
    if (y && (acc = cs_quant_doubles(ctx, cs_tensor_numel(y)))) {
        memset(acc, 0, (size_t)cs_tensor_numel(y) * sizeof *acc);
        cs_matmul_f64(&p, ad, bd, acc);
        qmatmul_store(&p, acc, a_s, b_s, y_s, y_z, cs_tensor_numel(cs_kernel_input(ctx, 1)) > 1, cs_tensor_numel(cs_kernel_input(ctx, 4)) > 1, y);
    }
    free(ad), free(bd), free(acc), free(a_s), free(b_s);
    return st != CS_OK ? st : (y && acc) ? CS_OK : ctx->err->status;
}

/* ---- QLinearConv ---- */

typedef struct qconv_params {
    double x_scale, x_zero, y_scale, y_zero;
    double *w_scale, *w_zero, *bias; /* one per output channel */
    const double *mult;              /* requant_f32 3: one multiplier per output channel (the node's attribute) */
} qconv_params;

static cs_status qconv_params_read(cs_kernel_ctx *ctx, int64_t M, qconv_params *q)
{
    if (!(q->w_scale = cs_quant_doubles(ctx, M)) || !(q->w_zero = cs_quant_doubles(ctx, M)) ||
        !(q->bias = cs_quant_doubles(ctx, M)))
        return ctx->err->status;
    cs_status st = cs_quant_expand(ctx, cs_kernel_input(ctx, 1), 1, 1, "x_scale", &q->x_scale);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, cs_kernel_input(ctx, 2), 1, 0, "x_zero_point", &q->x_zero);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, cs_kernel_input(ctx, 4), M, 1, "w_scale", q->w_scale);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, cs_kernel_input(ctx, 5), M, 0, "w_zero_point", q->w_zero);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, cs_kernel_input(ctx, 6), 1, 1, "y_scale", &q->y_scale);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, cs_kernel_input(ctx, 7), 1, 0, "y_zero_point", &q->y_zero);
    if (st == CS_OK)
        st = cs_quant_expand(ctx, cs_kernel_input(ctx, 8), M, 0, "B", q->bias);
    return st;
}

/* Requantizes the accumulators. Attribute requant_f32 (set by the TorchScript reader): 1 rounds the multiplier
 * x_scale * w_scale / y_scale and the product to float32 first; 2 forms it as QNNPACK does
 * (generate_requantization_scales: (w_scale * x_scale) * (1 / y_scale), all float32), which differs from the
 * quotient in the last bit and so at rounding ties; 3 is oneDNN's: the f32 bias B (already in accumulator units)
 * added to the float accumulator, times the node's per-channel float32 multipliers, plus the output zero point in
 * float32, rounded half to even. 0 (ONNX) requantizes in double. */
static void qconv_store(const cs_conv_shape *s, const double *acc, const qconv_params *q, int64_t f32, cs_tensor *y)
{
    int64_t out = cs_window_out_size(&s->win);
    for (int64_t i = 0; i < cs_tensor_numel(y); i++) {
        int64_t m = (i / (out > 0 ? out : 1)) % s->out_channels;
        double scale = q->x_scale * q->w_scale[m] / q->y_scale;
        if (f32 == 3) {
            float v = ((float)acc[i] + (float)q->bias[m]) * (float)q->mult[m];
            cs_tensor_set_i64(y, i, cs_quant_saturate(nearbyintf(v + (float)q->y_zero), y->dtype));
        } else if (f32) {
            float sf = (float)q->x_scale * (float)q->w_scale[m];
            sf = f32 == 2 ? sf * (1.0f / (float)q->y_scale) : sf / (float)q->y_scale;
            float v = (float)(acc[i] + q->bias[m]) * sf;
            cs_tensor_set_i64(y, i, cs_quant_saturate(nearbyintf(v) + q->y_zero, y->dtype));
        } else {
            cs_tensor_set_i64(y, i, requantize(acc[i] + q->bias[m], scale, q->y_zero, y->dtype));
        }
    }
}

static cs_status op_qlinear_conv(cs_kernel_ctx *ctx)
{
    cs_status st = cs_kernel_need_inputs(ctx, 7);
    if (st != CS_OK)
        return st;
    const cs_tensor *x = cs_kernel_input(ctx, 0), *w = cs_kernel_input(ctx, 3), *yzp = cs_kernel_input(ctx, 7);
    cs_conv_shape s;
    qconv_params q = {0};
    double *acc = NULL;
    st = cs_conv_prepare(ctx, x, w, &s);
    if (st == CS_OK)
        st = cs_window_setup(ctx, x, w->dims + 2, false, &s.win);
    int64_t form = cs_attrs_int(&ctx->node->attrs, "requant_f32", 0);
    if (st == CS_OK)
        st = qconv_params_read(ctx, s.out_channels, &q);
    if (st == CS_OK && form == 3 && cs_attrs_floats(&ctx->node->attrs, "multipliers", &q.mult) != s.out_channels)
        st = cs_kernel_fail(ctx, CS_ERR_SHAPE, "requant_f32 3 needs one multiplier per output channel");
    if (st == CS_OK)
        st = cs_conv_integer_acc(ctx, &s, x, q.x_zero, w, q.w_zero, &acc);
    int64_t dims[CS_MAX_RANK] = {s.batch, s.out_channels};
    if (st == CS_OK)
        memcpy(dims + 2, s.win.out, (size_t)s.win.n * sizeof *dims);
    cs_tensor *y = st == CS_OK ? cs_kernel_output(ctx, 0, yzp ? yzp->dtype : CS_DT_U8, s.win.n + 2, dims) : NULL;
    if (y)
        qconv_store(&s, acc, &q, form, y);
    free(acc), free(q.w_scale), free(q.w_zero), free(q.bias);
    return st != CS_OK ? st : y ? CS_OK : ctx->err->status;
}

const cs_op_def cs_ops_quant[] = {
    {.name = "QuantizeLinear", .run = op_quantize},
    {.name = "DequantizeLinear", .run = op_dequantize},
    {.name = "DynamicQuantizeLinear", .run = op_dynamic_quantize},
    {.name = "QLinearMatMul", .run = op_qlinear_matmul},
    {.name = "QLinearConv", .run = op_qlinear_conv},
    {.name = NULL},
};
