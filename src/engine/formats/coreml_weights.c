/* coreml_weights.c — decodes NeuralNetwork WeightParams (float32, float16 bytes, raw f32, linear and
 * look-up-table quantization, int8) into f32 tensors, keeping the stored precision for cs_weight. */
#include <stdlib.h>
#include <string.h>

#include "coreml_internal.h"

typedef CoreML__Specification__WeightParams cm_weights;
typedef CoreML__Specification__QuantizationParams cm_quant;

/* The i-th nbits-wide unsigned value of an MSB-first packed bit stream. */
static uint32_t unpack_bits(const uint8_t *p, int64_t i, int nbits)
{
    if (nbits == 8)
        return p[i];
    uint32_t v = 0;
    int64_t bit = i * nbits;
    for (int k = 0; k < nbits; k++, bit++)
        v = (v << 1) | ((p[bit >> 3] >> (7 - (bit & 7))) & 1u);
    return v;
}

static cs_status dequant_linear(cm_loader *ld, const cm_quant *q, const uint8_t *p, bool is_signed, int nbits,
                                int64_t n, int64_t out_channels, float *out, const char *what)
{
    const CoreML__Specification__LinearQuantizationParams *lq = q->linearquantization;
    size_t ns = lq->n_scale, nb = lq->n_bias;
    if (ns == 0 || (ns != 1 && (int64_t)ns != out_channels) || (nb != 0 && nb != 1 && nb != ns))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "%s: linear quantization has %zu scales and %zu biases for %lld output "
                             "channels", what, ns, nb, (long long)out_channels);
    int64_t per = ns > 1 ? n / (int64_t)ns : n;
    if (per <= 0 || (ns > 1 && n % (int64_t)ns))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s: %lld values do not split into %zu channels", what,
                             (long long)n, ns);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = ns > 1 ? i / per : 0;
        double qv = is_signed ? (double)(int8_t)p[i] : (double)unpack_bits(p, i, nbits);
        double b = nb == 0 ? 0.0 : lq->bias[nb > 1 ? c : 0];
        out[i] = (float)(lq->scale[c] * qv + b);
    }
    return CS_OK;
}

static cs_status dequant(cm_loader *ld, const cm_weights *w, const uint8_t *p, size_t len, bool is_signed, int64_t n,
                         int64_t out_channels, float *out, cs_dtype *stored, const char *what)
{
    const cm_quant *q = w->quantization;
    int nbits = is_signed ? 8 : (int)q->numberofbits;
    if (nbits < 1 || nbits > 8)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s: quantization with %d bits (expected 1 to 8)", what, nbits);
    if ((uint64_t)len * 8 < (uint64_t)n * (uint64_t)nbits)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "%s: quantized blob holds %zu bytes, %lld values of %d bits need %lld",
                             what, len, (long long)n, nbits, (long long)((n * nbits + 7) / 8));
    *stored = is_signed ? CS_DT_I8 : CS_DT_U8;
    if (q->quantization_type_case == CORE_ML__SPECIFICATION__QUANTIZATION_PARAMS__QUANTIZATION_TYPE_LINEAR_QUANTIZATION)
        return dequant_linear(ld, q, p, is_signed, nbits, n, out_channels, out, what);
    if (q->quantization_type_case != CORE_ML__SPECIFICATION__QUANTIZATION_PARAMS__QUANTIZATION_TYPE_LOOKUP_TABLE_QUANTIZATION)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "%s: quantized weights without linear or look-up-table parameters", what);
    const CoreML__Specification__LookUpTableQuantizationParams *lut = q->lookuptablequantization;
    for (int64_t i = 0; i < n; i++) {
        uint32_t k = is_signed ? (uint8_t)p[i] : unpack_bits(p, i, nbits);
        if (k >= lut->n_floatvalue)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s: look-up-table index %u past the table's %zu entries",
                                 what, k,
                                 lut->n_floatvalue);
        out[i] = lut->floatvalue[k];
    }
    return CS_OK;
}

static cs_status decode(cm_loader *ld, const cm_weights *w, int64_t n, int64_t out_channels, float *out,
                        cs_dtype *stored, const char *what)
{
    if (w->n_floatvalue) {
        if ((int64_t)w->n_floatvalue != n)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s holds %zu float values, expected %lld", what,
                                 w->n_floatvalue,
                                 (long long)n);
        memcpy(out, w->floatvalue, (size_t)n * sizeof(float));
        *stored = CS_DT_F32;
        return CS_OK;
    }
    if (w->float16value.len) {
        if ((int64_t)w->float16value.len != n * 2)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                 "%s holds %zu bytes of float16, expected %lld values (%lld bytes)",
                                 what, w->float16value.len, (long long)n, (long long)n * 2);
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = (uint16_t)(w->float16value.data[2 * i] | (w->float16value.data[2 * i + 1] << 8));
            out[i] = cs_f16_to_f32(h);
        }
        *stored = CS_DT_F16;
        return CS_OK;
    }
    if (w->int8rawvalue.len) {
        if (!w->quantization)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s: int8 weights without quantization parameters", what);
        if ((int64_t)w->int8rawvalue.len != n)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s holds %zu int8 values, expected %lld", what,
                                 w->int8rawvalue.len,
                                 (long long)n);
        return dequant(ld, w, w->int8rawvalue.data, w->int8rawvalue.len, true, n, out_channels, out, stored, what);
    }
    if (w->rawvalue.len && w->quantization)
        return dequant(ld, w, w->rawvalue.data, w->rawvalue.len, false, n, out_channels, out, stored, what);
    if (w->rawvalue.len) {
        if ((int64_t)w->rawvalue.len != n * 4)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                 "%s holds %zu raw bytes, expected %lld float32 values (%lld bytes)",
                                 what, w->rawvalue.len, (long long)n, (long long)n * 4);
        memcpy(out, w->rawvalue.data, (size_t)n * 4);
        *stored = CS_DT_F32;
        return CS_OK;
    }
    if (n == 0)
        return CS_OK;
    return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s is empty, expected %lld values", what, (long long)n);
}

cs_status cm_weight_tensor(cm_loader *ld, const cm_weights *w, const char *what, int rank, const int64_t *dims,
                           int64_t out_channels, cs_tensor **out, cs_dtype *stored)
{
    *out = NULL;
    if (!w)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s is missing", what);
    int64_t n;
    if (!cs_shape_numel(rank, dims, &n) || n > ((int64_t)1 << 32))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s has an impossible shape", what);
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, ld->lw.err);
    if (!t)
        return cs_lower_nomem(&ld->lw);
    cs_status st = decode(ld, w, n, out_channels, t->data, stored, what);
    if (st != CS_OK) {
        cs_tensor_free(t);
        return st;
    }
    *out = t;
    return CS_OK;
}

int cm_weight_value(cm_loader *ld, const cm_weights *w, const char *what, int rank, const int64_t *dims,
                    cs_layout layout)
{
    cs_tensor *t;
    cs_dtype stored = CS_DT_F32;
    if (cm_weight_tensor(ld, w, what, rank, dims, rank > 0 ? dims[0] : 1, &t, &stored) != CS_OK)
        return -1;
    int v = cs_lower_const(&ld->lw, what, t);
    if (v < 0 || cs_lower_weight_ref(&ld->lw, what, v, layout, stored) != CS_OK)
        return -1;
    return v;
}
