/* json_util.c — jansson helpers for shapes, tensor data and attributes.
 * See json_util.h. */
#include "json_util.h"

#include <math.h>
#include <stdio.h>

json_t *cs_json_shape(int rank, const int64_t *dims)
{
    json_t *a = json_array();
    for (int i = 0; i < rank; i++)
        json_array_append_new(a, json_integer(dims[i]));
    return a;
}

json_t *cs_json_tensor_data(const cs_tensor *t)
{
    json_t *a = json_array();
    int64_t n = cs_tensor_numel(t);
    bool is_float = cs_dtype_is_float(t->dtype);
    for (int64_t i = 0; i < n; i++) {
        if (!is_float) {
            json_array_append_new(a, json_integer(cs_tensor_get_i64(t, i)));
            continue;
        }
        double v = cs_tensor_get_f64(t, i);
        json_array_append_new(a, isfinite(v) ? json_real(v) : json_null());
    }
    return a;
}

static json_t *attr_value(const cs_attr *a)
{
    json_t *arr;
    switch (a->type) {
    case CS_ATTR_FLOAT: return json_real(a->f);
    case CS_ATTR_INT: return json_integer(a->i);
    case CS_ATTR_STRING: return json_string(a->s);
    case CS_ATTR_FLOATS:
        arr = json_array();
        for (int i = 0; i < a->count; i++)
            json_array_append_new(arr, json_real(a->floats[i]));
        return arr;
    case CS_ATTR_INTS:
        arr = json_array();
        for (int i = 0; i < a->count; i++)
            json_array_append_new(arr, json_integer(a->ints[i]));
        return arr;
    case CS_ATTR_STRINGS:
        arr = json_array();
        for (int i = 0; i < a->count; i++)
            json_array_append_new(arr, json_string(a->strings[i]));
        return arr;
    case CS_ATTR_TENSOR: {
        json_t *o = json_object();
        json_object_set_new(o, "dtype", json_string(cs_dtype_name(a->tensor->dtype)));
        json_object_set_new(o, "shape", cs_json_shape(a->tensor->rank, a->tensor->dims));
        return o;
    }
    default: return json_null();
    }
}

json_t *cs_json_attrs(const cs_attrs *attrs)
{
    json_t *o = json_object();
    for (int i = 0; i < attrs->count; i++)
        json_object_set_new(o, attrs->items[i].name, attr_value(&attrs->items[i]));
    return o;
}

void cs_json_print(json_t *root)
{
    json_dumpf(root, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(9));
    printf("\n");
    json_decref(root);
}

cs_status cs_json_save(const json_t *root, const char *path, cs_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot write", path);
    int bad = json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(9));
    bad |= fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    return bad ? cs_error_set(err, CS_ERR_IO, "%s: write failed", path) : CS_OK;
}

json_t *cs_json_num(bool ok, double v)
{
    return ok && isfinite(v) ? json_real(v) : json_null();
}
