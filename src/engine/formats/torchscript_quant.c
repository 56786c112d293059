/* torchscript_quant.c — quantized TorchScript with torch's integer semantics: quantize_per_tensor/dequantize,
 * ops.quantized.* (conv1d/2d/3d and linear with their _relu forms onto QLinearConv; add, mul, cat, hardswish on
 * dequantized values then requantized), packed conv/linear params (pickled QNNPACK/FBGEMM/oneDNN serialisations
 * v2/v3, or built by *_prepack in a module's __setstate__), and any other aten op met with quantized tensors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchscript_internal.h"

#define A(pos, name) cs_ts_arg(a, kw, n, pos, name)
#define PACKED_CONV "packed conv params"
#define PACKED_LINEAR "packed linear params"

typedef struct qconv_spec {
    tv *w, *b;
    int sd; /* spatial dims */
    int64_t stride[3], pad[3], dil[3], opad[3], groups;
    bool transpose;
} qconv_spec;

static tv *oom(ts_ctx *c)
{
    return cs_ts_fail(c, CS_ERR_NOMEM, "out of memory");
}

/* torch ScalarType codes of the quantized dtypes: quint8 13, qint8 12, qint32 14. */
static cs_dtype qdtype_of(int64_t code)
{
    return code == 13 ? CS_DT_U8 : code == 12 ? CS_DT_I8 : code == 14 ? CS_DT_I32 : CS_DT_UNDEFINED;
}

static bool is_q(const tv *v)
{
    return v && v->kind == TV_TENSOR && v->qdt;
}

/* A new constant of dtype dt and shape dims holding data (copied). */
static int const_tensor(ts_ctx *c, cs_dtype dt, int rank, const int64_t *dims, const void *data)
{
    cs_tensor *t = cs_tensor_new(dt, rank, dims, c->err);
    if (!t)
        return -1;
    memcpy(t->data, data, (size_t)cs_tensor_numel(t) * cs_dtype_size(dt));
    int val = cs_graph_new_value(c->g, "qconst");
    if (val < 0) {
        cs_tensor_free(t);
        return -1;
    }
    return cs_graph_add_constant(c->g, c->g->values[val].name, t);
}

static int scale_const(ts_ctx *c, double s)
{
    float f = (float)s;
    return const_tensor(c, CS_DT_F32, 0, NULL, &f);
}

static int zp_const(ts_ctx *c, int64_t zp, cs_dtype dt)
{
    uint8_t u = (uint8_t)zp;
    int8_t i = (int8_t)zp;
    int32_t w = (int32_t)zp;
    return const_tensor(c, dt, 0, NULL, dt == CS_DT_U8 ? (const void *)&u : dt == CS_DT_I8 ? (const void *)&i : &w);
}

/* QuantizeLinear of float value x: a quantized tensor with these parameters. */
static tv *quantize(ts_ctx *c, int x, int rank, double scale, int64_t zp, cs_dtype dt)
{
    if (!(scale > 0) || !dt)
        return cs_ts_fail(c, CS_ERR_FORMAT, "quantization with scale %g and dtype %d", scale, (int)dt);
    int ins[3] = {x, scale_const(c, scale), zp_const(c, zp, dt)};
    if (x < 0 || ins[1] < 0 || ins[2] < 0)
        return NULL;
    int node, y = cs_ts_emit(c, "QuantizeLinear", ins, 3, &node);
    /* torch's quantize_val multiplies by the float32 inverse of the scale instead of dividing (ties differ) */
    if (y >= 0 && !cs_attrs_add_int(&c->g->nodes[node].attrs, "inverse_scale", 1))
        return oom(c);
    tv *r = cs_ts_result(c, y, rank);
    if (r)
        r->qdt = dt, r->qscale = scale, r->qzp = zp;
    return r;
}

/* DequantizeLinear of a per-tensor quantized tensor: its float value. */
static int dequantize(ts_ctx *c, const tv *q)
{
    if (q->qpv && q->qpv->qscheme != CS_PV_Q_TENSOR) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "per-channel quantized tensor used as an activation");
        return -1;
    }
    int ins[3] = {q->value, scale_const(c, q->qscale), zp_const(c, q->qzp, q->qdt)};
    return ins[1] < 0 || ins[2] < 0 ? -1 : cs_ts_emit(c, "DequantizeLinear", ins, 3, NULL);
}

/* ---- packed parameters ---- */

static const cs_tensor *const_of(ts_ctx *c, const tv *v)
{
    return v && v->kind == TV_TENSOR && v->value >= 0 ? c->g->values[v->value].data : NULL;
}

/* A pickled (quantized) tensor as a tensor value. */
static tv *pv_tensor(ts_ctx *c, const cs_pv *pv, const char *name)
{
    if (!pv || pv->kind == CS_PV_NONE)
        return cs_ts_new(c, TV_NONE);
    if (pv->kind != CS_PV_TENSOR)
        return cs_ts_fail(c, CS_ERR_FORMAT, "packed params '%s' hold something that is not a tensor", name);
    int v = cs_ts_pv_tensor(c, pv, name);
    tv *t = v < 0 ? NULL : cs_ts_tensor(c, v, pv->rank);
    if (t && pv->qscheme)
        t->qdt = pv->dtype, t->qscale = pv->qscale, t->qzp = pv->qzp, t->qpv = pv;
    return t;
}

static bool pv_list(const cs_pv *v)
{
    return v && (v->kind == CS_PV_LIST || v->kind == CS_PV_TUPLE);
}

/* Conv config [spatial_dim, stride.., padding.., dilation.., output_padding.., groups, transpose/flags]. */
static bool conv_config(qconv_spec *q, const int64_t *cfg, int n)
{
    if (n < 1 || cfg[0] < 1 || cfg[0] > 3 || n < 3 + 4 * cfg[0])
        return false;
    int sd = q->sd = (int)cfg[0];
    for (int k = 0; k < sd; k++) {
        q->stride[k] = cfg[1 + k], q->pad[k] = cfg[1 + sd + k];
        q->dil[k] = cfg[1 + 2 * sd + k], q->opad[k] = cfg[1 + 3 * sd + k];
        if (q->stride[k] < 1 || q->pad[k] < 0 || q->dil[k] < 1 || q->opad[k] < 0)
            return false;
    }
    q->groups = cfg[1 + 4 * sd];
    q->transpose = (cfg[2 + 4 * sd] & 1) != 0;
    return q->groups >= 1;
}

/* State of a pickled ConvNdPackedParamsBase: ("2", [config i16 tensor, weight], [bias]) or (3, [config ints],
 * [weight, bias]). */
static bool conv_from_pickle(ts_ctx *c, const tv *m, qconv_spec *q)
{
    const cs_pv *st = m->obj->state;
    int64_t cfg[32];
    int n = 0;
    const cs_pv *w = NULL, *b = NULL;
    if (!st || st->kind != CS_PV_TUPLE || st->n < 3 || !pv_list(st->items[1]) || !pv_list(st->items[2]))
        return false;
    const cs_pv *v0 = st->items[0], *l1 = st->items[1], *l2 = st->items[2];
    if (v0->kind == CS_PV_STR && strcmp(v0->s, "2") == 0 && l1->n >= 2) {
        cs_tensor *t = cs_pickle_tensor(l1->items[0], "conv params", c->err);
        if (!t)
            return false;
        n = (int)(cs_tensor_numel(t) < 32 ? cs_tensor_numel(t) : 32);
        for (int k = 0; k < n; k++)
            cfg[k] = (int64_t)cs_tensor_get_f64(t, k);
        cs_tensor_free(t);
        w = l1->items[1];
        b = l2->n > 0 ? l2->items[0] : NULL;
    } else if (v0->kind == CS_PV_INT && v0->i == 3 && l2->n >= 1) {
        for (int k = 0; k < l1->n && k < 32; k++) {
            if (l1->items[k]->kind != CS_PV_INT)
                return false;
            cfg[n++] = l1->items[k]->i;
        }
        w = l2->items[0];
        b = l2->n > 1 ? l2->items[1] : NULL;
    } else {
        return false;
    }
    char name[600];
    snprintf(name, sizeof name, "%s.weight", m->s);
    q->w = pv_tensor(c, w, name);
    snprintf(name, sizeof name, "%s.bias", m->s);
    q->b = q->w ? pv_tensor(c, b, name) : NULL;
    return q->b && conv_config(q, cfg, n);
}

static bool conv_spec(ts_ctx *c, const tv *p, qconv_spec *q)
{
    memset(q, 0, sizeof *q);
    if (p && p->kind == TV_MODULE && strstr(p->obj->name, "PackedParamsBase") && strncmp(p->obj->name, "Conv", 4) == 0) {
        if (conv_from_pickle(c, p, q))
            return true;
    } else if (p && p->kind == TV_TUPLE && p->s && strcmp(p->s, PACKED_CONV) == 0 && p->n == 8) {
        int64_t tmp[3];
        q->w = p->items[0], q->b = p->items[1];
        q->sd = q->w->rank - 2;
        int sd = q->sd;
        if (sd >= 1 && sd <= 3 && cs_ts_ints_of(p->items[2], q->stride, 3, sd) == sd &&
            cs_ts_ints_of(p->items[3], q->pad, 3, sd) == sd && cs_ts_ints_of(p->items[4], q->dil, 3, sd) == sd &&
            cs_ts_ints_of(p->items[5], tmp, 3, sd) == sd) {
            memcpy(q->opad, tmp, sizeof tmp);
            q->groups = cs_ts_get_int(p->items[6], 1);
            q->transpose = cs_ts_get_int(p->items[7], 0) != 0;
            return true;
        }
    }
    if (!c->err->status)
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized convolution parameters in a form convscope does not read");
    return false;
}

static bool linear_spec(ts_ctx *c, const tv *p, tv **w, tv **b)
{
    if (p && p->kind == TV_MODULE && strcmp(p->obj->name, "LinearPackedParamsBase") == 0) {
        const cs_pv *st = p->obj->state;
        if (st && st->kind == CS_PV_TUPLE && st->n >= 1) {
            char name[600];
            snprintf(name, sizeof name, "%s.weight", p->s);
            *w = pv_tensor(c, st->items[0], name);
            snprintf(name, sizeof name, "%s.bias", p->s);
            *b = *w ? pv_tensor(c, st->n > 1 ? st->items[1] : NULL, name) : NULL;
            return *b != NULL;
        }
    } else if (p && p->kind == TV_TUPLE && p->s && strcmp(p->s, PACKED_LINEAR) == 0 && p->n == 2) {
        *w = p->items[0], *b = p->items[1];
        return true;
    }
    if (!c->err->status)
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized linear parameters in a form convscope does not read");
    return false;
}

/* conv*_prepack(w, b, stride, padding, dilation, groups) / conv_transpose*_prepack(w, b, stride, padding,
 * output_padding, dilation, groups) / linear_prepack(w, b): the parameters, kept as a tagged tuple. */
static tv *prepack(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool lin = strncmp(name, "linear", 6) == 0, tr = strstr(name, "transpose") != NULL;
    tv *t = cs_ts_new(c, TV_TUPLE);
    int cnt = lin ? 2 : 8;
    tv **items = t ? cs_ts_keep(c, calloc((size_t)cnt, sizeof *items)) : NULL;
    if (!items)
        return oom(c);
    tv *ztv = cs_ts_new(c, TV_INT), *otv = cs_ts_int(c, 1), *trv = cs_ts_int(c, tr);
    if (!ztv || !otv || !trv)
        return NULL;
    items[0] = A(0, "weight"), items[1] = A(1, "bias");
    if (!is_q(items[0]))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "%s of a weight that is not a quantized tensor", name);
    if (!items[1])
        items[1] = cs_ts_new(c, TV_NONE);
    if (!lin) {
        items[2] = A(2, "stride"), items[3] = A(3, "padding");
        items[4] = A(tr ? 5 : 4, "dilation"), items[5] = tr ? A(4, "output_padding") : ztv;
        items[6] = A(tr ? 6 : 5, "groups"), items[7] = trv;
        for (int k = 2; k < 7; k++)
            if (!items[k])
                items[k] = k == 6 || k == 4 ? otv : ztv;
    }
    t->items = items;
    t->n = cnt;
    t->s = lin ? PACKED_LINEAR : PACKED_CONV;
    return t;
}

/* ---- convolution and linear ---- */

/* Weight scale/zero point constants (per tensor, or per output channel along axis 0) and the scales as doubles. */
static bool weight_qparams(ts_ctx *c, const tv *w, int64_t M, int *ws, int *wzp, double *scales)
{
    const cs_pv *pv = w->qpv;
    if (pv && pv->qscheme == CS_PV_Q_CHANNEL)
        c->q_per_channel++;
    else
        c->q_per_tensor++;
    if (pv && pv->qscheme == CS_PV_Q_CHANNEL) {
        cs_tensor *s = cs_pickle_tensor(pv->qscales, "weight scales", c->err);
        cs_tensor *z = s ? cs_pickle_tensor(pv->qzps, "weight zero points", c->err) : NULL;
        bool ok = z && pv->qaxis == 0 && cs_tensor_numel(s) == M && cs_tensor_numel(z) == M;
        float *sf = ok ? malloc((size_t)M * sizeof *sf) : NULL;
        int32_t *zi = ok ? malloc((size_t)M * sizeof *zi) : NULL;
        int8_t *z8 = (int8_t *)zi;
        if (sf && zi) {
            for (int64_t k = 0; k < M; k++) {
                scales[k] = cs_tensor_get_f64(s, k);
                sf[k] = (float)scales[k];
                int64_t zz = (int64_t)cs_tensor_get_f64(z, k);
                if (w->qdt == CS_DT_U8)
                    ((uint8_t *)zi)[k] = (uint8_t)zz;
                else
                    z8[k] = (int8_t)zz;
            }
            *ws = const_tensor(c, CS_DT_F32, 1, &M, sf);
            *wzp = const_tensor(c, w->qdt, 1, &M, zi);
        }
        free(sf), free(zi), cs_tensor_free(s), cs_tensor_free(z);
        if (!ok && !c->err->status)
            cs_ts_fail(c, CS_ERR_FORMAT, "per-channel weight scales do not match its %lld output channels", (long long)M);
        return ok && *ws >= 0 && *wzp >= 0;
    }
    if (!is_q(w)) {
        cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized op with a weight that is not quantized");
        return false;
    }
    for (int64_t k = 0; k < M; k++)
        scales[k] = w->qscale;
    *ws = scale_const(c, w->qscale);
    *wzp = zp_const(c, w->qzp, w->qdt);
    return *ws >= 0 && *wzp >= 0;
}

/* How torch's engine requantizes a convolution/linear; the file does not say which engine ran it, so the weights
 * decide: per-tensor is the QNNPACK recipe, per-channel FBGEMM's, which Debian's torch (built without FBGEMM)
 * runs on oneDNN, its default x86 engine. */
typedef enum { RQ_QNNPACK, RQ_ONEDNN } requant_form;

/* oneDNN's accumulator scale 1/(x_scale * w_scale), as torch hands it reciprocal float32 scales. */
static float onednn_acc_scale(double x_scale, double w_scale)
{
    return (float)(1.0 / x_scale) * (float)(1.0 / w_scale);
}

/* Bias in accumulator units. QNNPACK: i32, torch's quantize_per_tensor to qint32 (quantize_val): float32 b times
 * the float32 inverse of the double x_scale * w_scale, rounded half to even. oneDNN: f32, b times the float32
 * accumulator scale, added to the float accumulator unrounded. */
static int bias_acc(ts_ctx *c, const tv *b, int64_t M, double x_scale, const double *w_scales, requant_form form)
{
    const cs_tensor *bt = const_of(c, b);
    if (!cs_ts_present(b))
        return -2;
    if (!bt || cs_tensor_numel(bt) != M) {
        cs_ts_fail(c, CS_ERR_FORMAT, "quantized op bias is not a constant of %lld values", (long long)M);
        return -1;
    }
    int32_t *v = malloc((size_t)M * sizeof *v);
    float *vf = (float *)v;
    if (!v) {
        oom(c);
        return -1;
    }
    for (int64_t k = 0; k < M; k++) {
        float bf = (float)cs_tensor_get_f64(bt, k);
        double q = form == RQ_QNNPACK ? (double)nearbyintf(bf * (1.0f / (float)(x_scale * w_scales[k])))
                                      : (double)(bf * onednn_acc_scale(x_scale, w_scales[k]));
        if (isnan(q)) { /* a zero scale or a NaN value: no integer to clamp to (found by fuzz_torchscript) */
            free(v);
            cs_ts_fail(c, CS_ERR_FORMAT, "quantized op bias %lld is not a number once scaled", (long long)k);
            return -1;
        }
        if (form == RQ_ONEDNN)
            vf[k] = (float)q;
        else
            v[k] = (int32_t)(q > 2147483647.0 ? 2147483647.0 : q < -2147483648.0 ? -2147483648.0 : q);
    }
    int out = const_tensor(c, form == RQ_ONEDNN ? CS_DT_F32 : CS_DT_I32, 1, &M, v);
    free(v);
    return out;
}

/* The requantization attributes of a QLinearConv: QNNPACK's multiplier form (requant_f32 2), or oneDNN's
 * (requant_f32 3, per-channel float32 multipliers (1/y_scale) / accumulator scale). */
static bool requant_attrs(cs_attrs *at, requant_form form, int64_t M, double x_scale, const double *w_scales,
                          double y_scale)
{
    if (form == RQ_QNNPACK)
        return cs_attrs_add_int(at, "requant_f32", 2);
    double *mult = malloc((size_t)M * sizeof *mult);
    if (!mult)
        return false;
    for (int64_t k = 0; k < M; k++)
        mult[k] = (float)(1.0 / y_scale) / onednn_acc_scale(x_scale, w_scales[k]);
    bool ok = M <= INT32_MAX && cs_attrs_add_int(at, "requant_f32", 3) && cs_attrs_add_floats(at, "multipliers", mult, (int)M);
    free(mult);
    return ok;
}

static void add_weight(ts_ctx *c, const tv *w, cs_layout lay)
{
    if (c->cur_layer >= 0 && cs_ts_present(w) && w->value >= 0)
        cs_layer_add_weight_ref(c->g, c->cur_layer, c->g->values[w->value].name, w->value, lay);
}

/* QLinearConv of x with weight value wv (shape dims), optional relu (clamp at the output zero point). */
static tv *qlinear_conv(ts_ctx *c, const tv *x, int wv, const tv *w, const tv *b, const qconv_spec *q, double ys,
                        int64_t yzp, bool relu)
{
    const cs_tensor *wt = c->g->values[wv].data;
    int64_t M = wt ? wt->dims[0] : 0;
    double *scales = M > 0 ? malloc((size_t)M * sizeof *scales) : NULL;
    if (!scales)
        return M > 0 ? oom(c) : cs_ts_fail(c, CS_ERR_FORMAT, "quantized weight is not a constant");
    int ins[9] = {x->value, scale_const(c, x->qscale), zp_const(c, x->qzp, x->qdt), wv, -1, -1,
                  scale_const(c, ys), zp_const(c, yzp, x->qdt), -1};
    bool ok = weight_qparams(c, w, M, &ins[4], &ins[5], scales);
    requant_form form = !w->qpv || w->qpv->qscheme != CS_PV_Q_CHANNEL ? RQ_QNNPACK : RQ_ONEDNN;
    ins[8] = ok ? bias_acc(c, b, M, x->qscale, scales, form) : -1;
    int node, y = -1;
    if (ok && ins[8] != -1 && ins[1] >= 0 && ins[2] >= 0 && ins[6] >= 0 && ins[7] >= 0)
        y = cs_ts_emit(c, "QLinearConv", ins, ins[8] >= 0 ? 9 : 8, &node);
    int64_t pads[6];
    for (int k = 0; k < q->sd; k++)
        pads[k] = pads[q->sd + k] = q->pad[k];
    cs_attrs *at = y >= 0 ? &c->g->nodes[node].attrs : NULL;
    ok = at && cs_attrs_add_ints(at, "strides", q->stride, q->sd) && cs_attrs_add_ints(at, "dilations", q->dil, q->sd) &&
         cs_attrs_add_ints(at, "pads", pads, 2 * q->sd) && cs_attrs_add_int(at, "group", q->groups) &&
         requant_attrs(at, form, M, x->qscale, scales, ys);
    free(scales);
    if (y < 0)
        return NULL;
    if (!ok)
        return oom(c);
    if (relu) {
        int ci[2] = {y, zp_const(c, yzp, x->qdt)};
        if (ci[1] < 0 || (y = cs_ts_emit(c, "Clip", ci, 2, NULL)) < 0)
            return NULL;
    }
    tv *r = cs_ts_result(c, y, q->sd + 2);
    if (r)
        r->qdt = x->qdt, r->qscale = ys, r->qzp = yzp;
    return r;
}

static tv *qconv(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "qx");
    qconv_spec q;
    if (!is_q(x))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized::%s of a tensor that is not quantized", name);
    if (!conv_spec(c, A(1, "packed_weight"), &q))
        return NULL;
    if (q.transpose)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized transposed convolution");
    if (!const_of(c, q.w) || q.w->rank != q.sd + 2)
        return cs_ts_fail(c, CS_ERR_FORMAT, "quantized::%s weight of rank %d for %d spatial dims", name, q.w->rank, q.sd);
    add_weight(c, q.w, q.sd == 2 ? CS_LAYOUT_OIHW : CS_LAYOUT_UNKNOWN);
    add_weight(c, q.b, CS_LAYOUT_UNKNOWN);
    return qlinear_conv(c, x, q.w->value, q.w, q.b, &q, cs_ts_get_f(A(2, "output_scale"), 0),
                        cs_ts_get_int(A(3, "output_zero_point"), 0), strstr(name, "_relu") != NULL);
}

/* Reshape of value x to the shape held by value shp. */
static int reshape(ts_ctx *c, int x, int shp)
{
    int ins[2] = {x, shp};
    return shp < 0 ? -1 : cs_ts_emit(c, "Reshape", ins, 2, NULL);
}

/* quantized::linear as a 1x1 QLinearConv on [-1, K, 1, 1] (same integer arithmetic), reshaped back to [..., M]. */
static tv *qlinear(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "X"), *w = NULL, *b = NULL;
    if (!is_q(x))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized::%s of a tensor that is not quantized", name);
    if (!linear_spec(c, A(1, "W_prepack"), &w, &b))
        return NULL;
    const cs_tensor *wt = const_of(c, w);
    if (!wt || wt->rank != 2)
        return cs_ts_fail(c, CS_ERR_FORMAT, "quantized::%s weight is not a 2-D constant", name);
    add_weight(c, w, CS_LAYOUT_OI);
    add_weight(c, b, CS_LAYOUT_UNKNOWN);
    int64_t M = wt->dims[0], K = wt->dims[1], d4[4] = {M, K, 1, 1}, x4[4] = {-1, K, 1, 1};
    int w4 = const_tensor(c, wt->dtype, 4, d4, wt->data);
    int xr = reshape(c, x->value, cs_ts_const_ints(c, x4, 4, false));
    if (w4 < 0 || xr < 0)
        return NULL;
    tv xt = *x;
    xt.value = xr, xt.rank = 4;
    qconv_spec q = {.sd = 2, .stride = {1, 1}, .dil = {1, 1}, .groups = 1};
    tv *y = qlinear_conv(c, &xt, w4, w, b, &q, cs_ts_get_f(A(2, "Y_scale_i"), 0), cs_ts_get_int(A(3, "Y_zero_point_i"), 0),
                         strstr(name, "_relu") != NULL);
    if (!y)
        return NULL;
    int shp;
    if (x->rank == 2) {
        int64_t d2[2] = {-1, M};
        shp = cs_ts_const_ints(c, d2, 2, false);
    } else { /* the leading dims of x, then M */
        int64_t st = 0, en = -1, ax = 0;
        int s = cs_ts_emit(c, "Shape", &x->value, 1, NULL);
        int si[4] = {s, cs_ts_const_ints(c, &st, 1, false), cs_ts_const_ints(c, &en, 1, false),
                     cs_ts_const_ints(c, &ax, 1, false)};
        int lead = s < 0 || si[1] < 0 || si[2] < 0 || si[3] < 0 ? -1 : cs_ts_emit(c, "Slice", si, 4, NULL);
        int ci[2] = {lead, cs_ts_const_ints(c, &M, 1, false)}, node;
        shp = lead < 0 || ci[1] < 0 ? -1 : cs_ts_emit(c, "Concat", ci, 2, &node);
        if (shp >= 0 && !cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", 0))
            return oom(c);
    }
    tv *r = cs_ts_result(c, reshape(c, y->value, shp), x->rank);
    if (r)
        r->qdt = y->qdt, r->qscale = y->qscale, r->qzp = y->qzp;
    return r;
}

/* x quantized to u8 over its own range [min(x,0), max(x,0)] and dequantized again (DynamicQuantizeLinear), as
 * torch's dynamic ops do to their input on every call; -1 on failure. */
static int dynamic_requant(ts_ctx *c, int x)
{
    const char *lname = c->cur_layer >= 0 ? c->g->layers[c->cur_layer].name : "dynamic";
    int outs[3];
    for (int k = 0; k < 3; k++)
        if ((outs[k] = cs_graph_new_value(c->g, lname)) < 0)
            return -1;
    char nname[700];
    snprintf(nname, sizeof nname, "%s/DynamicQuantizeLinear_%d", lname, c->g->n_nodes);
    int node = cs_graph_add_node(c->g, "DynamicQuantizeLinear", nname, &x, 1, outs, 3);
    if (node < 0 || (c->cur_layer >= 0 && !cs_layer_add_node(c->g, c->cur_layer, node)))
        return -1;
    c->g->nodes[node].layer = c->cur_layer;
    return cs_ts_emit(c, "DequantizeLinear", outs, 3, NULL);
}

/* quantized::linear_dynamic(x, W, reduce_range): float in and out: x requantized over its own u8 range (QNNPACK's
 * choice; FBGEMM's reduce_range uses 0..127 instead), then x @ dequantize(W)^T + b. */
static tv *qlinear_dynamic(ts_ctx *c, tv **a, char **kw, int n)
{
    tv *x = A(0, "X"), *w = NULL, *b = NULL;
    if (!cs_ts_need_tensor(c, "linear_dynamic", x) || !linear_spec(c, A(1, "W_prepack"), &w, &b))
        return NULL;
    if (!is_q(w) || (w->qpv && w->qpv->qscheme != CS_PV_Q_TENSOR && w->qpv->qscheme != CS_PV_Q_CHANNEL))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "linear_dynamic with a weight that is not quantized");
    const cs_tensor *wt = const_of(c, w);
    if (!wt || wt->rank != 2)
        return cs_ts_fail(c, CS_ERR_FORMAT, "quantized::linear_dynamic weight is not a 2-D constant");
    add_weight(c, w, CS_LAYOUT_OI);
    add_weight(c, b, CS_LAYOUT_UNKNOWN);
    double *scales = malloc((size_t)wt->dims[0] * sizeof *scales);
    int ins[3] = {w->value, -1, -1};
    bool ok = scales && weight_qparams(c, w, wt->dims[0], &ins[1], &ins[2], scales);
    free(scales);
    if (!ok)
        return c->err->status ? NULL : oom(c);
    int node, wf = cs_ts_emit(c, "DequantizeLinear", ins, 3, &node);
    if (wf >= 0 && w->qpv && w->qpv->qscheme == CS_PV_Q_CHANNEL && !cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", 0))
        return oom(c);
    int wtr = wf < 0 ? -1 : cs_ts_emit(c, "Transpose", &wf, 1, &node);
    int64_t perm[2] = {1, 0};
    if (wtr < 0 || !cs_attrs_add_ints(&c->g->nodes[node].attrs, "perm", perm, 2))
        return NULL;
    int xq = dynamic_requant(c, x->value);
    if (xq < 0)
        return c->err->status ? NULL : oom(c);
    int mi[2] = {xq, wtr};
    int y = cs_ts_emit(c, "MatMul", mi, 2, NULL);
    if (y >= 0 && cs_ts_present(b)) {
        int ai[2] = {y, b->value};
        y = cs_ts_emit(c, "Add", ai, 2, NULL);
    }
    return cs_ts_result(c, y, x->rank);
}

/* ---- elementwise on dequantized values ---- */

/* quantized::add(_relu) of a model whose weights are all per-tensor (the QNNPACK recipe; FBGEMM's are per channel):
 * QNNPACK's fixed-point add, which rounds differently from a float requantization. */
static tv *qnnpack_add(ts_ctx *c, tv *qa, tv *qb, double ys, int64_t yzp, bool relu)
{
    int ins[2] = {qa->value, qb->value}, node;
    int y = cs_ts_emit(c, "QnnpackAdd", ins, 2, &node);
    if (y < 0 || cs_ts_ours(c, node) < 0)
        return y < 0 ? NULL : oom(c);
    cs_attrs *at = &c->g->nodes[node].attrs;
    if (!cs_attrs_add_float(at, "a_scale", qa->qscale) || !cs_attrs_add_int(at, "a_zero_point", qa->qzp) ||
        !cs_attrs_add_float(at, "b_scale", qb->qscale) || !cs_attrs_add_int(at, "b_zero_point", qb->qzp) ||
        !cs_attrs_add_float(at, "y_scale", ys) || !cs_attrs_add_int(at, "y_zero_point", yzp) ||
        !cs_attrs_add_int(at, "relu", relu))
        return oom(c);
    tv *r = cs_ts_result(c, y, qa->rank);
    if (r)
        r->qdt = CS_DT_U8, r->qscale = ys, r->qzp = yzp;
    return r;
}

static tv *requant_op(ts_ctx *c, const char *onnx, tv *qa, tv *qb, double ys, int64_t yzp, bool relu)
{
    if (!is_q(qa) || (qb && !is_q(qb)))
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized %s of a tensor that is not quantized", onnx);
    if (strcmp(onnx, "Add") == 0 && qb && c->q_per_tensor > 0 && c->q_per_channel == 0 && qa->qdt == CS_DT_U8 &&
        qb->qdt == CS_DT_U8 && qa->rank == qb->rank && !qa->qpv && !qb->qpv && ys > 0 && yzp >= 0 && yzp <= 255)
        return qnnpack_add(c, qa, qb, ys, yzp, relu);
    int ins[2] = {dequantize(c, qa), qb ? dequantize(c, qb) : -1};
    if (ins[0] < 0 || (qb && ins[1] < 0))
        return NULL;
    int y = cs_ts_emit(c, onnx, ins, qb ? 2 : 1, NULL);
    if (y >= 0 && relu)
        y = cs_ts_emit(c, "Relu", &y, 1, NULL);
    int r = qb && qb->rank > qa->rank ? qb->rank : qa->rank;
    return y < 0 ? NULL : quantize(c, y, r, ys, yzp, qa->qdt);
}

static tv *qcat(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *l = A(0, "qx");
    if (!l || (l->kind != TV_LIST && l->kind != TV_TUPLE) || l->n < 1 || l->n > 4096)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized::%s of something that is not a list of tensors", name);
    int *ins = malloc((size_t)l->n * sizeof *ins);
    if (!ins)
        return oom(c);
    int ok = 1;
    for (int k = 0; ok && k < l->n; k++)
        ok = is_q(l->items[k]) && (ins[k] = dequantize(c, l->items[k])) >= 0;
    int node, y = ok ? cs_ts_emit(c, "Concat", ins, l->n, &node) : -1;
    free(ins);
    if (!ok)
        return c->err->status ? NULL : cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized::%s of unquantized tensors", name);
    if (y < 0 || !cs_attrs_add_int(&c->g->nodes[node].attrs, "axis", cs_ts_get_int(A(1, "dim"), 0)))
        return oom(c);
    if (strstr(name, "_relu") && (y = cs_ts_emit(c, "Relu", &y, 1, NULL)) < 0)
        return NULL;
    return quantize(c, y, l->items[0]->rank, cs_ts_get_f(A(2, "scale"), 0), cs_ts_get_int(A(3, "zero_point"), 0),
                    l->items[0]->qdt);
}

tv *cs_ts_quantized(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    bool relu = strstr(name, "_relu") != NULL;
    if (strstr(name, "_prepack"))
        return prepack(c, name, a, kw, n);
    if (strncmp(name, "conv1d", 6) == 0 || strncmp(name, "conv2d", 6) == 0 || strncmp(name, "conv3d", 6) == 0)
        return qconv(c, name, a, kw, n);
    if (strcmp(name, "linear") == 0 || strcmp(name, "linear_relu") == 0)
        return qlinear(c, name, a, kw, n);
    if (strcmp(name, "linear_dynamic") == 0)
        return qlinear_dynamic(c, a, kw, n);
    if (strcmp(name, "add") == 0 || strcmp(name, "add_relu") == 0 || strcmp(name, "mul") == 0 ||
        strcmp(name, "mul_relu") == 0)
        return requant_op(c, name[0] == 'a' ? "Add" : "Mul", A(0, "qa"), A(1, "qb"), cs_ts_get_f(A(2, "scale"), 0),
                          cs_ts_get_int(A(3, "zero_point"), 0), relu);
    if (strcmp(name, "cat") == 0 || strcmp(name, "cat_relu") == 0)
        return qcat(c, name, a, kw, n);
    if (strcmp(name, "hardswish") == 0)
        return requant_op(c, "HardSwish", A(0, "input"), NULL, cs_ts_get_f(A(1, "output_scale"), 0),
                          cs_ts_get_int(A(2, "output_zero_point"), 0), false);
    return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "unsupported TorchScript op quantized::%s", name);
}

/* ---- XNNPACK op contexts (float) ---- */

/* Conv2dOpContext state (weight, bias, stride, padding, dilation, groups, output_min, output_max);
 * LinearOpContext (weight, bias, output_min, output_max). */
tv *cs_ts_prepacked(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "input"), *ctx = A(1, "op_context");
    bool conv = strncmp(name, "conv2d_clamp", 12) == 0, lin = strncmp(name, "linear_clamp", 12) == 0;
    const cs_pv *st = ctx && ctx->kind == TV_MODULE ? ctx->obj->state : NULL;
    int want = conv ? 8 : 4;
    if ((!conv && !lin) || !st || st->kind != CS_PV_TUPLE || st->n < want)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "prepacked::%s with an op context convscope does not read", name);
    tv *v[8] = {NULL};
    for (int k = 0; k < want; k++) {
        char path[600];
        snprintf(path, sizeof path, "%s.%s", ctx->s, k == 0 ? "weight" : k == 1 ? "bias" : "arg");
        if (!(v[k] = cs_ts_from_pv(c, st->items[k], path)))
            return NULL;
    }
    add_weight(c, v[0], conv ? CS_LAYOUT_OIHW : CS_LAYOUT_OI);
    add_weight(c, v[1], CS_LAYOUT_UNKNOWN);
    tv *args[7] = {x, v[0], v[1], v[2], v[3], v[4], v[5]};
    char *k7[7] = {NULL};
    tv *y = cs_ts_aten(c, conv ? "conv2d" : "linear", args, k7, conv ? 7 : 3);
    tv *lo = v[want - 2], *hi = v[want - 1];
    if (!y || (!cs_ts_present(lo) && !cs_ts_present(hi)))
        return y;
    tv *cargs[3] = {y, lo, hi};
    return cs_ts_aten(c, "clamp", cargs, k7, 3);
}

/* ---- aten ops on quantized tensors ---- */

static bool any_q(tv **a, int n)
{
    for (int k = 0; k < n; k++) {
        if (is_q(a[k]))
            return true;
        if (a[k] && (a[k]->kind == TV_LIST || a[k]->kind == TV_TUPLE))
            for (int j = 0; j < a[k]->n; j++)
                if (is_q(a[k]->items[j]))
                    return true;
    }
    return false;
}

bool cs_ts_quant_wants(const char *name, tv **a, int n)
{
    static const char *const own[] = {"quantize_per_tensor", "dequantize", "int_repr", "q_scale", "q_zero_point", NULL};
    for (int k = 0; own[k]; k++)
        if (strcmp(name, own[k]) == 0)
            return true;
    return any_q(a, n);
}

/* The dequantized stand-in of a quantized argument (lists item by item); NULL on failure. */
static tv *dq_arg(ts_ctx *c, tv *v)
{
    if (is_q(v)) {
        int d = dequantize(c, v);
        return d < 0 ? NULL : cs_ts_tensor(c, d, v->rank);
    }
    if (v && (v->kind == TV_LIST || v->kind == TV_TUPLE) && any_q(&v, 1)) {
        tv *l = cs_ts_new(c, v->kind);
        tv **items = l ? cs_ts_keep(c, calloc((size_t)v->n, sizeof *items)) : NULL;
        if (!items)
            return oom(c);
        for (int k = 0; k < v->n; k++)
            if (!(items[k] = dq_arg(c, v->items[k])))
                return NULL;
        l->items = items, l->n = v->n;
        return l;
    }
    return v;
}

static const tv *first_q(tv **a, int n)
{
    for (int k = 0; k < n; k++) {
        if (is_q(a[k]))
            return a[k];
        for (int j = 0; a[k] && (a[k]->kind == TV_LIST || a[k]->kind == TV_TUPLE) && j < a[k]->n; j++)
            if (is_q(a[k]->items[j]))
                return a[k]->items[j];
    }
    return NULL;
}

/* Output parameters torch fixes for quint8 sigmoid-like ops (scale, zero point); false when it keeps the input's. */
static bool fixed_qparams(const char *name, double *s, int64_t *zp)
{
    if (strncmp(name, "sigmoid", 7) == 0 || strncmp(name, "hardsigmoid", 11) == 0 || strcmp(name, "softmax") == 0) {
        *s = 1.0 / 256, *zp = 0;
        return true;
    }
    if (strncmp(name, "tanh", 4) == 0) {
        *s = 2.0 / 256, *zp = 128;
        return true;
    }
    return false;
}

static bool float_result(const char *name)
{
    static const char *const f[] = {"eq", "ne", "lt", "gt", "le", "ge", "argmax", "argmin", "to", "size", NULL};
    for (int k = 0; f[k]; k++)
        if (strcmp(name, f[k]) == 0)
            return true;
    return false;
}

/* quantize_per_tensor, dequantize, int_repr...; other ops run on the dequantized values and their tensor result is
 * requantized with the parameters torch gives it (the first quantized input's, or fixed ones). */
tv *cs_ts_quant_aten(ts_ctx *c, const char *name, tv **a, char **kw, int n)
{
    tv *x = A(0, "self");
    if (strcmp(name, "quantize_per_tensor") == 0) {
        if (!cs_ts_need_tensor(c, name, x))
            return NULL;
        int64_t code = cs_ts_get_int(A(3, "dtype"), 13);
        return quantize(c, x->value, x->rank, cs_ts_get_f(A(1, "scale"), 0), cs_ts_get_int(A(2, "zero_point"), 0),
                        qdtype_of(code));
    }
    if (strcmp(name, "dequantize") == 0) {
        if (!is_q(x))
            return x && x->kind == TV_TENSOR ? x : cs_ts_fail(c, CS_ERR_UNSUPPORTED, "dequantize of a non-tensor");
        return cs_ts_result(c, dequantize(c, x), x->rank);
    }
    if (strcmp(name, "int_repr") == 0 && is_q(x))
        return cs_ts_tensor(c, x->value, x->rank);
    if (strcmp(name, "q_scale") == 0 && is_q(x)) {
        tv *f = cs_ts_new(c, TV_FLOAT);
        if (f)
            f->f = x->qscale;
        return f;
    }
    if (strcmp(name, "q_zero_point") == 0 && is_q(x))
        return cs_ts_int(c, x->qzp);
    const tv *q = first_q(a, n);
    if (!q)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "aten::%s of a tensor that is not quantized", name);
    tv **d = calloc((size_t)n + 1, sizeof *d);
    if (!d)
        return oom(c);
    for (int k = 0; k < n; k++)
        if (!(d[k] = dq_arg(c, a[k]))) {
            free(d);
            return NULL;
        }
    tv *r = cs_ts_aten(c, name, d, kw, n);
    free(d);
    if (!r || float_result(name))
        return r;
    double s = q->qscale;
    int64_t zp = q->qzp;
    bool fixed = fixed_qparams(name, &s, &zp);
    if (fixed && q->qdt != CS_DT_U8)
        return cs_ts_fail(c, CS_ERR_UNSUPPORTED, "quantized aten::%s on a signed tensor", name);
    if (r->kind == TV_TENSOR)
        return quantize(c, r->value, r->rank, s, zp, q->qdt);
    if ((r->kind == TV_LIST || r->kind == TV_TUPLE) && r->n > 0 && r->items[0]->kind == TV_TENSOR) {
        for (int k = 0; k < r->n; k++)
            if (r->items[k]->kind == TV_TENSOR &&
                !(r->items[k] = quantize(c, r->items[k]->value, r->items[k]->rank, s, zp, q->qdt)))
                return NULL;
    }
    return r;
}
