/* pickle_value.c — reading the values the pickle VM built (pickle.c): string and dict lookups and the tensor
 * a rebuilt storage view describes, with every offset, stride and extent checked against its storage. */
#include "pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cs_pv_is_str(const cs_pv *v, const char *s)
{
    return v && v->kind == CS_PV_STR && strlen(v->s) == v->len && strcmp(v->s, s) == 0;
}

cs_pv *cs_pv_dict_get(const cs_pv *dict, const char *key)
{
    if (!dict || dict->kind != CS_PV_DICT)
        return NULL;
    for (int k = 0; k + 1 < dict->n; k += 2)
        if (cs_pv_is_str(dict->items[k], key))
            return dict->items[k + 1];
    return NULL;
}

/* Largest element offset the view touches plus one, or -1 on overflow / bad strides. */
static int64_t view_extent(const cs_pv *v)
{
    int64_t end = v->i;
    if (v->i < 0)
        return -1;
    for (int d = 0; d < v->rank; d++) {
        if (v->dims[d] < 0 || v->strides[d] < 0)
            return -1;
        if (v->dims[d] == 0)
            return 0;
        int64_t step;
        if (__builtin_mul_overflow(v->dims[d] - 1, v->strides[d], &step) || __builtin_add_overflow(end, step, &end))
            return -1;
    }
    return end + 1;
}

cs_tensor *cs_pickle_tensor(const cs_pv *v, const char *what, cs_error *err)
{
    if (!v || v->kind != CS_PV_TENSOR || !v->state) {
        cs_error_set(err, CS_ERR_FORMAT, "%s: not a tensor", what);
        return NULL;
    }
    const cs_pv *s = v->state;
    size_t es = cs_dtype_size(s->dtype);
    if (!es) {
        cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: storage '%s' has an unsupported dtype", what, s->s ? s->s : "?");
        return NULL;
    }
    if (!s->bytes && s->nbytes) {
        cs_error_set(err, CS_ERR_FORMAT, "%s: storage '%s' was never loaded", what, s->s ? s->s : "?");
        return NULL;
    }
    int64_t extent = view_extent(v);
    uint64_t need_bytes = 0;
    if (extent < 0 || __builtin_mul_overflow((uint64_t)extent, (uint64_t)es, &need_bytes) || need_bytes > s->nbytes) {
        cs_error_set(err, CS_ERR_FORMAT,
                     "%s: storage '%s' holds %zu bytes, shorter than the tensor it backs claims "
                     "(offset %lld, %d dims, %zu-byte elements)",
                     what, s->s ? s->s : "?", s->nbytes, (long long)v->i, v->rank, es);
        return NULL;
    }
    int64_t numel = 0;
    uint64_t out_bytes = 0;
    if (!cs_shape_numel(v->rank, v->dims, &numel) ||
        __builtin_mul_overflow((uint64_t)numel, (uint64_t)es, &out_bytes) ||
        (out_bytes > s->nbytes && out_bytes > CS_PICKLE_MAX_VIEW_EXPANSION)) {
        cs_error_set(err, CS_ERR_FORMAT,
                     "%s: a view of storage '%s' (%zu bytes) would materialise %llu bytes (strides repeat data; "
                     "limit %zu MiB)", what, s->s ? s->s : "?", s->nbytes, (unsigned long long)out_bytes,
                     CS_PICKLE_MAX_VIEW_EXPANSION >> 20);
        return NULL;
    }
    cs_tensor *t = cs_tensor_new(s->dtype, v->rank, v->dims, err);
    if (!t)
        return NULL;
    int64_t n = cs_tensor_numel(t), idx[CS_MAX_RANK] = {0};
    unsigned char *dst = t->data;
    for (int64_t k = 0; k < n; k++) {
        int64_t off = v->i;
        for (int d = 0; d < v->rank; d++)
            off += idx[d] * v->strides[d];
        memcpy(dst + (size_t)k * es, s->bytes + (size_t)off * es, es);
        for (int d = v->rank - 1; d >= 0; d--) {
            if (++idx[d] < v->dims[d])
                break;
            idx[d] = 0;
        }
    }
    return t;
}
