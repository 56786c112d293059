/* shape_util.c — private helpers shared by the tensor-manipulation kernels: integer lists from inputs or
 * attributes, axis normalisation, strides, scalar reads and a dtype-agnostic strided copy. */
#include "shape_util.h"

#include <stddef.h>
#include <stdlib.h>

#include "parallel.h"

cs_status cs_read_int_list(cs_kernel_ctx *ctx, int input, const char *attr, cs_int_list *out)
{
    out->n = 0;
    out->present = false;
    const cs_tensor *t = input >= 0 ? cs_kernel_input(ctx, input) : NULL;
    if (t) {
        int64_t *vals = NULL;
        int n = cs_kernel_read_ints(ctx, t, &vals);
        if (n < 0)
            return ctx->err->status;
        if (n > CS_MAX_AXES) {
            free(vals);
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "input %d holds %d integers, more than the %d supported", input,
                                  n, CS_MAX_AXES);
        }
        memcpy(out->v, vals, (size_t)n * sizeof(int64_t));
        free(vals);
        out->n = n;
        out->present = true;
        return CS_OK;
    }
    if (!attr)
        return CS_OK;
    const int64_t *items;
    int n = cs_attrs_ints(&ctx->node->attrs, attr, &items);
    if (n < 0)
        return CS_OK;
    if (n > CS_MAX_AXES)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "attribute '%s' holds %d integers, more than the %d supported", attr,
                              n, CS_MAX_AXES);
    memcpy(out->v, items, (size_t)n * sizeof(int64_t));
    out->n = n;
    out->present = true;
    return CS_OK;
}

cs_status cs_normalize_axes(cs_kernel_ctx *ctx, cs_int_list *axes, int rank)
{
    bool seen[CS_MAX_RANK + 1] = {false};
    for (int i = 0; i < axes->n; i++) {
        int64_t a = axes->v[i] < 0 ? axes->v[i] + rank : axes->v[i];
        if (a < 0 || a >= rank)
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "axis %lld is out of range for rank %d",
                                  (long long)axes->v[i], rank);
        if (seen[a])
            return cs_kernel_fail(ctx, CS_ERR_SHAPE, "axis %lld is repeated", (long long)axes->v[i]);
        seen[a] = true;
        axes->v[i] = a;
    }
    return CS_OK;
}

void cs_strides(int rank, const int64_t *dims, int64_t *strides)
{
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= dims[i];
    }
}

int64_t cs_dims_prod(const int64_t *dims, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= dims[i];
    return p;
}

cs_status cs_read_scalar_i64(cs_kernel_ctx *ctx, const cs_tensor *t, const char *what, int64_t *out)
{
    if (cs_tensor_numel(t) != 1)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s must hold exactly one value, it holds %lld", what,
                              (long long)cs_tensor_numel(t));
    *out = cs_tensor_get_i64(t, 0);
    return CS_OK;
}

cs_status cs_read_scalar_f64(cs_kernel_ctx *ctx, const cs_tensor *t, const char *what, double *out)
{
    if (cs_tensor_numel(t) != 1)
        return cs_kernel_fail(ctx, CS_ERR_SHAPE, "%s must hold exactly one value, it holds %lld", what,
                              (long long)cs_tensor_numel(t));
    *out = cs_tensor_get_f64(t, 0);
    return CS_OK;
}

/* Inner loop of the strided copy: one run along the last output axis. */
static void copy_row(char *dst, const char *src, int64_t n, int64_t stride, size_t esize)
{
    if (stride == 1) { /* a transpose that keeps the last axis (attention heads split and merged) */
        memcpy(dst, src, (size_t)n * esize);
    } else if (esize == 4) {
        uint32_t *d = (uint32_t *)dst;
        const uint32_t *s = (const uint32_t *)src;
        for (int64_t i = 0; i < n; i++)
            d[i] = s[i * stride];
    } else {
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + (size_t)i * esize, src + (ptrdiff_t)(i * stride) * (ptrdiff_t)esize, esize);
    }
}

typedef struct strided_job {
    char *out;
    const char *in;
    int rank;
    const int64_t *odims, *istrides;
    int64_t base;
    size_t esize;
} strided_job;

/* Output rows [r0, r1) (runs along the last axis) of a strided copy; the start row's offset is unravelled. */
static void strided_rows(void *user, int64_t r0, int64_t r1)
{
    const strided_job *j = user;
    int rank = j->rank;
    int64_t idx[CS_MAX_RANK] = {0}, row = j->odims[rank - 1], off = j->base, q = r0;
    for (int a = rank - 2; a >= 0; a--) {
        idx[a] = q % j->odims[a];
        q /= j->odims[a];
        off += idx[a] * j->istrides[a];
    }
    for (int64_t r = r0; r < r1; r++) {
        copy_row(j->out + (size_t)(r * row) * j->esize, j->in + (size_t)off * j->esize, row, j->istrides[rank - 1],
                 j->esize);
        for (int a = rank - 2; a >= 0; a--) {
            idx[a]++;
            off += j->istrides[a];
            if (idx[a] < j->odims[a])
                break;
            off -= idx[a] * j->istrides[a];
            idx[a] = 0;
        }
    }
}

void cs_strided_copy(cs_tensor *dst, const cs_tensor *src, int rank, const int64_t *odims, const int64_t *istrides,
                     int64_t base)
{
    size_t esize = cs_dtype_size(dst->dtype);
    int64_t total = cs_tensor_numel(dst);
    if (total == 0)
        return;
    if (rank == 0) {
        cs_copy_elem(dst, 0, src, base, esize);
        return;
    }
    strided_job job = {dst->data, src->data, rank, odims, istrides, base, esize};
    int64_t row = odims[rank - 1];
    /* rows are disjoint runs of whole elements: big copies (a transpose of activations) share them out */
    cs_parallel_for(total / row, (CS_PAR_MIN_ELEMS + row - 1) / row, strided_rows, &job);
}

void cs_map_copy(cs_tensor *dst, const cs_tensor *src, int64_t *const *maps, const void *fill)
{
    size_t esize = cs_dtype_size(dst->dtype);
    int rank = dst->rank;
    int64_t total = cs_tensor_numel(dst), istr[CS_MAX_RANK], idx[CS_MAX_RANK] = {0};
    if (total == 0)
        return;
    if (rank == 0) {
        cs_copy_elem(dst, 0, src, 0, esize);
        return;
    }
    cs_strides(src->rank, src->dims, istr);
    int64_t row = dst->dims[rank - 1];
    const int64_t *last = maps[rank - 1];
    for (int64_t done = 0; done < total; done += row) {
        int64_t base = 0;
        bool outside = false;
        for (int a = 0; a < rank - 1; a++) {
            int64_t m = maps[a][idx[a]];
            outside |= m < 0;
            base += m * istr[a];
        }
        char *out = (char *)dst->data + (size_t)done * esize;
        for (int64_t i = 0; i < row; i++) {
            const char *from = outside || last[i] < 0 ? fill : (const char *)src->data + (size_t)(base + last[i]) * esize;
            memcpy(out + (size_t)i * esize, from, esize);
        }
        cs_odometer_next(idx, dst->dims, rank - 1);
    }
}

/* Merges the sorted runs a[0..na) and b[0..nb) into out. */
static void merge_runs(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int64_t *out, cs_index_cmp cmp,
                       const void *user)
{
    int64_t i = 0, j = 0, k = 0;
    while (i < na && j < nb)
        out[k++] = cmp(user, b[j], a[i]) < 0 ? b[j++] : a[i++];
    while (i < na)
        out[k++] = a[i++];
    while (j < nb)
        out[k++] = b[j++];
}

bool cs_sort_indices(int64_t *idx, int64_t n, cs_index_cmp cmp, const void *user)
{
    int64_t *tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    if (!tmp)
        return false;
    int64_t *src = idx, *dst = tmp;
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            merge_runs(src + lo, mid - lo, src + mid, hi - mid, dst + lo, cmp, user);
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        memcpy(idx, src, (size_t)n * sizeof(int64_t));
    free(tmp);
    return true;
}
