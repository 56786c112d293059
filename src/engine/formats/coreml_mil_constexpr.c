/* coreml_mil_constexpr.c — the iOS16 compressed-weight operations (constexpr_ops.py): constexpr_affine_dequantize,
 * constexpr_cast, constexpr_lut_to_dense and constexpr_sparse_to_dense, decompressed at load time into constants. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml_mil.h"

#define ROW(name) static cs_status name(cm_loader *ld, mil_state *ms, const mil_op *op, int y, const char *arg)

/* Parameter `name`: an attribute (as coremltools writes these ops) or an input bound to a constant. The tensor is a
 * copy the caller frees; NULL with the error set. */
static cs_tensor *param(cm_loader *ld, const mil_op *op, const char *name)
{
    for (size_t i = 0; i < op->n_attributes; i++)
        if (op->attributes[i]->key && strcmp(op->attributes[i]->key, name) == 0) {
            cs_tensor *t;
            cs_dtype stored;
            return mil_value_tensor(ld, op->attributes[i]->value, &t, &stored, NULL) == CS_OK ? t : NULL;
        }
    int v = mil_opt(ld, op, name);
    const cs_tensor *c = v >= 0 ? ld->lw.g->values[v].data : NULL;
    if (!c) {
        if (v != -2)
            cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s needs a constant '%s'", op->type, name);
        return NULL;
    }
    cs_tensor *t = cs_tensor_new(c->dtype, c->rank, c->dims, ld->lw.err);
    if (t)
        memcpy(t->data, c->data, (size_t)cs_tensor_numel(c) * cs_dtype_size(c->dtype));
    return t;
}

/* An output shape from a constant `shape` parameter; false with the error set. */
static bool out_shape(cm_loader *ld, const mil_op *op, const cs_tensor *s, int *rank, int64_t *dims, int64_t *n)
{
    *rank = (int)cs_tensor_numel(s);
    bool ok = s->rank == 1 && *rank >= 0 && *rank <= CS_MAX_RANK;
    for (int i = 0; ok && i < *rank; i++)
        ok = (dims[i] = (int64_t)cs_tensor_get_f64(s, i)) >= 0 && dims[i] <= ((int64_t)1 << 40);
    if (!ok || !cs_shape_numel(*rank, dims, n) || *n > ((int64_t)1 << 34))
        cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s: impossible shape", op->type);
    return ok && *n <= ((int64_t)1 << 34);
}

/* Rounds t to fp16 when the op's output is typed fp16 (an fp16 scale times int8 data is an fp16 value). */
static void round_to_output(const mil_op *op, cs_tensor *t)
{
    const mil_type *vt = op->outputs[0]->type;
    if (t->dtype != CS_DT_F32 || !vt || vt->type_case != CORE_ML__SPECIFICATION__MILSPEC__VALUE_TYPE__TYPE_TENSOR_TYPE ||
        vt->tensortype->datatype != CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__FLOAT16)
        return;
    for (int64_t i = 0, n = cs_tensor_numel(t); i < n; i++)
        ((float *)t->data)[i] = cs_f16_to_f32(cs_f32_to_f16(((float *)t->data)[i]));
}

/* Stores t as the constant output y, a weight of the layer as op_const records them; takes t. */
static cs_status emit(cm_loader *ld, const mil_op *op, int y, cs_tensor *t)
{
    cs_value *v = &ld->lw.g->values[y];
    if (v->producer >= 0 || v->data) {
        cs_tensor_free(t);
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "value '%s' is defined twice", v->name);
    }
    round_to_output(op, t);
    if (cs_graph_add_constant(ld->lw.g, v->name, t) < 0)
        return cs_lower_nomem(&ld->lw);
    return cs_lower_weight_ref(&ld->lw, ld->lw.g->values[y].name, y, CS_LAYOUT_UNKNOWN, 0);
}

/* constexpr_affine_dequantize(quantized_data, zero_point, scale, axis): scale * (quantized_data - zero_point),
 * scale and zero_point scalars or vectors along axis. */
ROW(row_affine_dequantize)
{
    (void)ms, (void)arg;
    cs_tensor *q = param(ld, op, "quantized_data"), *zp = q ? param(ld, op, "zero_point") : NULL;
    cs_tensor *sc = zp ? param(ld, op, "scale") : NULL, *ax = sc ? param(ld, op, "axis") : NULL, *out = NULL;
    int64_t axis = ax && cs_tensor_numel(ax) == 1 ? (int64_t)cs_tensor_get_f64(ax, 0) : -1000;
    if (ax && q) {
        axis += axis < 0 ? q->rank : 0;
        int64_t len = axis >= 0 && axis < q->rank ? q->dims[axis] : -1, nz = cs_tensor_numel(zp), ns = cs_tensor_numel(sc);
        if (len < 0 || zp->rank > 1 || sc->rank > 1 || (nz != 1 && nz != len) || (ns != 1 && ns != len) ||
            (zp->rank == 1 && nz != len) || (sc->rank == 1 && ns != len))
            cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "constexpr_affine_dequantize: axis, scale or zero_point disagree "
                          "with quantized_data");
        else if ((out = cs_tensor_new(CS_DT_F32, q->rank, q->dims, ld->lw.err))) {
            int64_t inner = 1, n = cs_tensor_numel(q);
            for (int i = (int)axis + 1; i < q->rank; i++)
                inner *= q->dims[i];
            for (int64_t i = 0; i < n; i++) {
                int64_t c = len > 0 ? (i / inner) % len : 0;
                double s = cs_tensor_get_f64(sc, ns == 1 ? 0 : c), z = cs_tensor_get_f64(zp, nz == 1 ? 0 : c);
                ((float *)out->data)[i] = (float)(s * (cs_tensor_get_f64(q, i) - z));
            }
        }
    }
    cs_tensor_free(q), cs_tensor_free(zp), cs_tensor_free(sc), cs_tensor_free(ax);
    return out ? emit(ld, op, y, out) : ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
}

/* constexpr_cast(source_val fp16, output_dtype "fp32"): values are carried in f32 already. */
ROW(row_constexpr_cast)
{
    (void)arg;
    const char *dt = mil_str(ms, op, "output_dtype");
    for (size_t i = 0; !dt && i < op->n_attributes; i++) {
        const CoreML__Specification__MILSpec__TensorValue *tv =
            op->attributes[i]->key && strcmp(op->attributes[i]->key, "output_dtype") == 0
                ? immediate_tensor(op->attributes[i]->value) : NULL;
        if (tv && tv->value_case == CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_STRINGS && tv->strings->n_values == 1)
            dt = tv->strings->values[0];
    }
    cs_tensor *t = param(ld, op, "source_val");
    if (t && dt && strcmp(dt, "fp32") != 0 && strcmp(dt, "fp16") != 0) {
        cs_tensor_free(t);
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "constexpr_cast to '%s'", dt);
    }
    return t ? emit(ld, op, y, t) : ld->lw.err->status;
}

/* Bit field k of width nbits from bytes packed LSB first (constexpr_ops.py's restore_elements_from_packed_bits). */
static unsigned bits_at(const cs_tensor *bytes, int64_t k, int nbits)
{
    unsigned v = 0;
    for (int b = 0; b < nbits; b++) {
        int64_t bit = k * nbits + b;
        unsigned byte = (unsigned)cs_tensor_get_f64(bytes, bit / 8) & 0xFFu;
        v |= ((byte >> (bit % 8)) & 1u) << b;
    }
    return v;
}

/* constexpr_lut_to_dense(indices packed uint8, lut [2^nbits], shape). */
ROW(row_lut_to_dense)
{
    (void)ms, (void)arg;
    cs_tensor *ix = param(ld, op, "indices"), *lut = ix ? param(ld, op, "lut") : NULL;
    cs_tensor *sh = lut ? param(ld, op, "shape") : NULL, *out = NULL;
    int rank, nbits = 0;
    int64_t dims[CS_MAX_RANK], n = 0, np = lut ? cs_tensor_numel(lut) : 0;
    while (nbits < 9 && ((int64_t)1 << nbits) < np)
        nbits++;
    if (sh && out_shape(ld, op, sh, &rank, dims, &n)) {
        if (lut->rank != 1 || ((int64_t)1 << nbits) != np || nbits < 1 || nbits > 8 || ix->rank != 1 ||
            cs_tensor_numel(ix) != (n * nbits + 7) / 8)
            cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "constexpr_lut_to_dense: a lut of %lld entries and %lld index bytes "
                          "do not make %lld values", (long long)np, (long long)cs_tensor_numel(ix), (long long)n);
        else if ((out = cs_tensor_new(CS_DT_F32, rank, dims, ld->lw.err)))
            for (int64_t i = 0; i < n; i++)
                ((float *)out->data)[i] = (float)cs_tensor_get_f64(lut, bits_at(ix, i, nbits));
    }
    cs_tensor_free(ix), cs_tensor_free(lut), cs_tensor_free(sh);
    return out ? emit(ld, op, y, out) : ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
}

/* constexpr_sparse_to_dense(nonzero_data, mask packed uint8 (bit i set: element i is the next nonzero), shape). */
ROW(row_sparse_to_dense)
{
    (void)ms, (void)arg;
    cs_tensor *nz = param(ld, op, "nonzero_data"), *mask = nz ? param(ld, op, "mask") : NULL;
    cs_tensor *sh = mask ? param(ld, op, "shape") : NULL, *out = NULL;
    int rank;
    int64_t dims[CS_MAX_RANK], n = 0;
    if (sh && out_shape(ld, op, sh, &rank, dims, &n)) {
        int64_t set = 0, have = cs_tensor_numel(nz);
        bool ok = mask->rank == 1 && cs_tensor_numel(mask) == (n + 7) / 8;
        for (int64_t i = 0; ok && i < n; i++)
            set += bits_at(mask, i, 1);
        if (!ok || set != have)
            cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "constexpr_sparse_to_dense: the mask sets %lld of %lld values, "
                          "nonzero_data holds %lld", (long long)set, (long long)n, (long long)have);
        else if ((out = cs_tensor_new(CS_DT_F32, rank, dims, ld->lw.err)))
            for (int64_t i = 0, k = 0; i < n; i++)
                ((float *)out->data)[i] = bits_at(mask, i, 1) ? (float)cs_tensor_get_f64(nz, k++) : 0.0f;
    }
    cs_tensor_free(nz), cs_tensor_free(mask), cs_tensor_free(sh);
    return out ? emit(ld, op, y, out) : ld->lw.err->status ? ld->lw.err->status : cs_lower_nomem(&ld->lw);
}

const mil_row mil_rows_constexpr[] = {
    {"constexpr_affine_dequantize", row_affine_dequantize, NULL}, {"constexpr_cast", row_constexpr_cast, NULL},
    {"constexpr_lut_to_dense", row_lut_to_dense, NULL}, {"constexpr_sparse_to_dense", row_sparse_to_dense, NULL},
    {NULL, NULL, NULL},
};
