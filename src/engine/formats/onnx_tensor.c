/* onnx_tensor.c — ONNX TensorProto to cs_tensor: raw_data or the typed repeated fields,
 * with every length checked against the declared dims; also reads standalone .pb tensor files. */
#include <stdlib.h>
#include <string.h>

#include "../fileio.h"
#include "../value.h"
#include "onnx.h"
#include "onnx_internal.h"
#include "pb_file.h"

#define MAX_TENSOR_FILE ((size_t)1 << 31)

/* Fills t from the typed repeated field its dtype uses; CS_ERR_FORMAT when the count is wrong. */
static cs_status fill_from_typed(const Onnx__TensorProto *tp, cs_tensor *t, int64_t numel)
{
    size_t have = 0;
    switch (t->dtype) {
    case CS_DT_F32:
        have = tp->n_float_data;
        if ((int64_t)have == numel && numel)
            memcpy(t->data, tp->float_data, t->nbytes);
        break;
    case CS_DT_F64:
        have = tp->n_double_data;
        if ((int64_t)have == numel && numel)
            memcpy(t->data, tp->double_data, t->nbytes);
        break;
    case CS_DT_I64:
        have = tp->n_int64_data;
        if ((int64_t)have == numel && numel)
            memcpy(t->data, tp->int64_data, t->nbytes);
        break;
    case CS_DT_U64: case CS_DT_U32:
        have = tp->n_uint64_data;
        if ((int64_t)have == numel)
            for (int64_t i = 0; i < numel; i++)
                cs_tensor_set_i64(t, i, (int64_t)tp->uint64_data[i]);
        break;
    case CS_DT_F16: case CS_DT_BF16:
        have = tp->n_int32_data;
        if ((int64_t)have == numel)
            for (int64_t i = 0; i < numel; i++)
                ((uint16_t *)t->data)[i] = (uint16_t)tp->int32_data[i];
        break;
    default: /* i32, i16, i8, u16, u8, bool live in int32_data */
        have = tp->n_int32_data;
        if ((int64_t)have == numel)
            for (int64_t i = 0; i < numel; i++)
                cs_tensor_set_i64(t, i, tp->int32_data[i]);
        break;
    }
    return (int64_t)have == numel ? CS_OK : CS_ERR_FORMAT;
}

/* An upper bound on the values the typed repeated fields hold (only one is used for a given dtype). */
static uint64_t typed_count(const Onnx__TensorProto *tp)
{
    return (uint64_t)tp->n_float_data + tp->n_double_data + tp->n_int64_data + tp->n_uint64_data + tp->n_int32_data;
}

/* A string tensor from string_data: one entry per element, each copied (bounded by CS_STRING_MAX_BYTES). */
static cs_status convert_strings(const Onnx__TensorProto *tp, const char *name, cs_tensor **out, cs_error *err)
{
    int64_t numel;
    char shape[160];
    if (!cs_shape_numel((int)tp->n_dims, tp->dims, &numel) || (uint64_t)numel != tp->n_string_data)
        return cs_error_set(err, CS_ERR_FORMAT, "string tensor '%s' holds %zu strings but its dims %s need %lld", name,
                            tp->n_string_data, cs_shape_str((int)tp->n_dims, tp->dims, shape, sizeof shape),
                            (long long)(cs_shape_numel((int)tp->n_dims, tp->dims, &numel) ? numel : -1));
    cs_tensor *t = cs_tensor_new(CS_DT_STRING, (int)tp->n_dims, tp->dims, err);
    for (int64_t i = 0; t && i < numel; i++)
        if (cs_string_set(t, i, (const char *)tp->string_data[i].data, tp->string_data[i].len, err) != CS_OK) {
            cs_tensor_free(t);
            t = NULL;
        }
    if (!t) {
        cs_error_prefix(err, "tensor '%s': ", name);
        return err ? err->status : CS_ERR_NOMEM;
    }
    *out = t;
    return CS_OK;
}

cs_status cs_onnx_tensor_convert(const Onnx__TensorProto *tp, cs_tensor **out, cs_error *err)
{
    return cs_onnx_tensor_convert_in(tp, NULL, out, err);
}

cs_status cs_onnx_tensor_convert_in(const Onnx__TensorProto *tp, const char *model_dir, cs_tensor **out,
                                    cs_error *err)
{
    *out = NULL;
    const char *name = tp->name ? tp->name : "";
    bool external = tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    if (tp->n_dims > CS_MAX_RANK)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "tensor '%s' has rank %zu (at most %d supported)", name,
                            tp->n_dims, CS_MAX_RANK);
    cs_dtype dtype = (cs_dtype)tp->data_type;
    if (dtype == CS_DT_STRING)
        return convert_strings(tp, name, out, err);
    if (cs_dtype_size(dtype) == 0)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "tensor '%s' has unsupported data type %d", name,
                            (int)tp->data_type);
    int64_t numel;
    char shape[160];
    if (!cs_shape_numel((int)tp->n_dims, tp->dims, &numel))
        return cs_error_set(err, CS_ERR_FORMAT, "tensor '%s' has impossible dims %s (negative or overflowing)", name,
                            cs_shape_str((int)tp->n_dims, tp->dims, shape, sizeof shape));
    uint64_t need = 0, ext_offset = 0; /* checked against the bytes the file holds before allocating */
    char ext_path[4096];
    if (external && (__builtin_mul_overflow((uint64_t)numel, (uint64_t)cs_dtype_size(dtype), &need) ||
                     cs_onnx_external_locate(tp, model_dir, need, ext_path, sizeof ext_path, &ext_offset, err)))
        return err->status ? err->status : cs_error_set(err, CS_ERR_FORMAT, "tensor '%s' is impossibly large", name);
    if (!external && tp->has_raw_data && (__builtin_mul_overflow((uint64_t)numel, (uint64_t)cs_dtype_size(dtype), &need) ||
                             need != tp->raw_data.len))
        return cs_error_set(err, CS_ERR_FORMAT, "tensor '%s' has %zu bytes of raw data but dims %s of %s need %llu",
                            name, tp->raw_data.len, cs_shape_str((int)tp->n_dims, tp->dims, shape, sizeof shape),
                            cs_dtype_name(dtype), (unsigned long long)need);
    if (!external && !tp->has_raw_data && (uint64_t)numel > typed_count(tp))
        return cs_error_set(err, CS_ERR_FORMAT, "tensor '%s' stores fewer values than its dims %s claim (%lld)", name,
                            cs_shape_str((int)tp->n_dims, tp->dims, shape, sizeof shape), (long long)numel);
    cs_tensor *t = cs_tensor_new(dtype, (int)tp->n_dims, tp->dims, err);
    if (!t) {
        cs_error_prefix(err, "tensor '%s': ", name);
        return err ? err->status : CS_ERR_NOMEM;
    }
    cs_status st = CS_OK;
    if (external) {
        if (t->nbytes && (st = cs_onnx_external_read(ext_path, ext_offset, t->data, t->nbytes, err)) != CS_OK)
            cs_error_prefix(err, "tensor '%s': ", name);
    } else if (tp->has_raw_data) {
        if (tp->raw_data.len != t->nbytes)
            st = cs_error_set(err, CS_ERR_FORMAT,
                              "tensor '%s' has %zu bytes of raw data but dims %s of %s need %zu", name,
                              tp->raw_data.len, cs_shape_str(t->rank, t->dims, shape, sizeof shape),
                              cs_dtype_name(dtype), t->nbytes);
        else if (t->nbytes)
            memcpy(t->data, tp->raw_data.data, t->nbytes); /* little-endian host assumed (x86-64, arm64) */
    } else {
        st = fill_from_typed(tp, t, numel);
        if (st != CS_OK)
            cs_error_set(err, st, "tensor '%s' stores fewer or more values than its dims %s claim (%lld)", name,
                         cs_shape_str(t->rank, t->dims, shape, sizeof shape), (long long)numel);
    }
    if (st != CS_OK) {
        cs_tensor_free(t);
        return st;
    }
    *out = t;
    return CS_OK;
}

cs_status cs_onnx_read_tensor_file(const char *path, cs_tensor **out, char **name, cs_error *err)
{
    *out = NULL;
    ProtobufCMessage *msg;
    cs_status st =
        cs_pb_read_file(path, MAX_TENSOR_FILE, &onnx__tensor_proto__descriptor, "ONNX TensorProto", &msg, err);
    if (st != CS_OK)
        return st;
    Onnx__TensorProto *tp = (Onnx__TensorProto *)msg;
    st = cs_onnx_tensor_convert(tp, out, err);
    if (st == CS_OK && name)
        *name = strdup(tp->name ? tp->name : "");
    if (st != CS_OK)
        cs_error_prefix(err, "%s: ", path);
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return st;
}
