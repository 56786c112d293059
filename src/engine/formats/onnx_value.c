/* onnx_value.c — ONNX SequenceProto and OptionalProto files (onnx-data.proto, which the generated onnx.proto
 * code lacks) read with a small bounded protobuf wire decoder; their tensors go through the TensorProto path. */
#include <stdlib.h>
#include <string.h>

#include "../fileio.h"
#include "../value.h"
#include "onnx.h"
#include "onnx_internal.h"

#define MAX_VALUE_FILE ((size_t)1 << 31)
#define MAX_NESTING 16

typedef struct wire {
    const uint8_t *p, *end;
} wire;

static bool varint(wire *w, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && w->p < w->end; shift += 7) {
        uint8_t b = *w->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* The next field: its number, and for a length-delimited one its bytes; other wire types are skipped. */
static bool next_field(wire *w, int *num, const uint8_t **data, size_t *len)
{
    uint64_t key, v;
    if (!varint(w, &key) || key >> 3 == 0 || key >> 3 > 536870911)
        return false;
    *num = (int)(key >> 3);
    *data = NULL, *len = 0;
    switch (key & 7) {
    case 0: return varint(w, &v);
    case 1: if (w->end - w->p < 8) return false; w->p += 8; return true;
    case 5: if (w->end - w->p < 4) return false; w->p += 4; return true;
    case 2:
        if (!varint(w, &v) || v > (uint64_t)(w->end - w->p))
            return false;
        *data = w->p, *len = (size_t)v;
        w->p += v;
        return true;
    default: return false;
    }
}

static cs_status parse_value(const uint8_t *buf, size_t len, cs_value_kind kind, int depth, cs_tensor **out,
                             cs_error *err);

static cs_status parse_tensor(const uint8_t *buf, size_t len, cs_tensor **out, cs_error *err)
{
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
    if (!tp)
        return cs_error_set(err, CS_ERR_FORMAT, "an element is not a valid TensorProto");
    cs_status st = cs_onnx_tensor_convert(tp, out, err);
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return st;
}

/* Field numbers shared by SequenceProto (repeated) and OptionalProto (one of): 3 tensor, 4 sparse tensor,
 * 5 sequence, 6 map, 7 optional. */
static cs_status parse_element(int num, const uint8_t *data, size_t len, int depth, cs_tensor **item, cs_error *err)
{
    *item = NULL;
    switch (num) {
    case 3: return parse_tensor(data, len, item, err);
    case 5: return parse_value(data, len, CS_VALUE_SEQUENCE, depth + 1, item, err);
    case 7: return parse_value(data, len, CS_VALUE_OPTIONAL, depth + 1, item, err);
    case 4: return cs_error_set(err, CS_ERR_UNSUPPORTED, "sparse tensor elements are not supported");
    case 6: return cs_error_set(err, CS_ERR_UNSUPPORTED, "map elements are not supported");
    default: return CS_OK; /* name, elem_type, unknown fields */
    }
}

static cs_status parse_value(const uint8_t *buf, size_t len, cs_value_kind kind, int depth, cs_tensor **out,
                             cs_error *err)
{
    *out = NULL;
    if (depth > MAX_NESTING)
        return cs_error_set(err, CS_ERR_FORMAT, "values nested more than %d deep", MAX_NESTING);
    cs_tensor *v = kind == CS_VALUE_SEQUENCE ? cs_seq_new(err) : cs_optional_new(NULL, err);
    if (!v)
        return err->status;
    wire w = {buf, buf + len};
    cs_status st = CS_OK;
    while (st == CS_OK && w.p < w.end) {
        int num;
        const uint8_t *data;
        size_t n;
        cs_tensor *item;
        if (!next_field(&w, &num, &data, &n)) {
            st = cs_error_set(err, CS_ERR_FORMAT, "truncated or corrupt protobuf");
            break;
        }
        if (!data || (st = parse_element(num, data, n, depth, &item, err)) != CS_OK || !item)
            continue;
        if (kind == CS_VALUE_OPTIONAL && v->n_items) {
            cs_tensor_free(item);
            st = cs_error_set(err, CS_ERR_FORMAT, "an optional holds more than one value");
        } else if (kind == CS_VALUE_OPTIONAL) {
            v->items = malloc(sizeof *v->items);
            if (v->items)
                v->items[0] = item, v->n_items = 1;
            else
                cs_tensor_free(item), st = cs_error_set(err, CS_ERR_NOMEM, "out of memory");
        } else if ((st = cs_seq_insert(v, v->n_items, item, err)) != CS_OK) {
            cs_tensor_free(item);
        }
    }
    if (st != CS_OK) {
        cs_tensor_free(v);
        return st;
    }
    *out = v;
    return CS_OK;
}

cs_status cs_onnx_read_value_file(const char *path, cs_value_kind kind, cs_tensor **out, cs_error *err)
{
    if (kind == CS_VALUE_TENSOR)
        return cs_onnx_read_tensor_file(path, out, NULL, err);
    *out = NULL;
    uint8_t *buf;
    size_t len;
    cs_status st = cs_read_file(path, MAX_VALUE_FILE, &buf, &len, err);
    if (st != CS_OK)
        return st;
    st = parse_value(buf, len, kind, 0, out, err);
    free(buf);
    if (st != CS_OK)
        cs_error_prefix(err, "%s: %s: ", path, kind == CS_VALUE_SEQUENCE ? "SequenceProto" : "OptionalProto");
    return st;
}
