/* tensor.c — dense tensor storage, shape arithmetic with overflow checks, dtype-generic
 * element access and casts (including IEEE half and bfloat16 conversion). */
#include "tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CS_TENSOR_MAX_BYTES ((int64_t)1 << 40)

size_t cs_dtype_size(cs_dtype dtype)
{
    switch (dtype) {
    case CS_DT_F32: case CS_DT_I32: case CS_DT_U32: return 4;
    case CS_DT_U8: case CS_DT_I8: case CS_DT_BOOL: return 1;
    case CS_DT_U16: case CS_DT_I16: case CS_DT_F16: case CS_DT_BF16: return 2;
    case CS_DT_I64: case CS_DT_F64: case CS_DT_U64: return 8;
    default: return 0;
    }
}

const char *cs_dtype_name(cs_dtype dtype)
{
    switch (dtype) {
    case CS_DT_F32: return "f32";
    case CS_DT_U8: return "u8";
    case CS_DT_I8: return "i8";
    case CS_DT_U16: return "u16";
    case CS_DT_I16: return "i16";
    case CS_DT_I32: return "i32";
    case CS_DT_I64: return "i64";
    case CS_DT_STRING: return "string";
    case CS_DT_BOOL: return "bool";
    case CS_DT_F16: return "f16";
    case CS_DT_F64: return "f64";
    case CS_DT_U32: return "u32";
    case CS_DT_U64: return "u64";
    case CS_DT_BF16: return "bf16";
    default: return "undefined";
    }
}

bool cs_dtype_is_float(cs_dtype dtype)
{
    return dtype == CS_DT_F32 || dtype == CS_DT_F64 || dtype == CS_DT_F16 || dtype == CS_DT_BF16;
}

bool cs_dtype_is_signed_int(cs_dtype dtype)
{
    return dtype == CS_DT_I8 || dtype == CS_DT_I16 || dtype == CS_DT_I32 || dtype == CS_DT_I64;
}

const char *cs_layout_name(cs_layout layout)
{
    static const char *names[CS_LAYOUT_COUNT] = {
        "?", "NCHW", "NHWC", "CHW", "HWC", "NCW", "NWC", "NC", "OIHW", "HWIO", "IO", "OI", "SBCHW",
    };
    if ((int)layout < 0 || layout >= CS_LAYOUT_COUNT)
        return "?";
    return names[layout];
}

bool cs_shape_numel(int rank, const int64_t *dims, int64_t *numel)
{
    if (rank < 0 || rank > CS_MAX_RANK)
        return false;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return false;
        if (dims[i] != 0 && n > INT64_MAX / dims[i])
            return false;
        n *= dims[i];
    }
    *numel = n;
    return true;
}

#define HUGE_PAGE ((size_t)2 << 20)
#define CACHE_ALIGN_MIN ((size_t)4096) /* smaller tensors: calloc, alignment matters little there */

void *cs_alloc_huge(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, bytes >= HUGE_PAGE ? HUGE_PAGE : 64, bytes ? bytes : 1) != 0)
        return NULL;
    if (bytes >= HUGE_PAGE)
        (void)madvise(p, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE); /* advice only: fine if refused */
    return p;
}

/* Zeroed tensor data, freed with free(). From 4 KB on it comes from cs_alloc_huge: cache-line aligned, so no
 * vector load or store of a kernel splits a line (calloc's 16-byte alignment made oneDNN's depthwise convolution
 * of EfficientNet-B0's 144 x 56 x 56 layer take 0.24-0.30 ms against 0.15-0.18 aligned, and the whole network at
 * batch 1 about 7% slower); from 2 MB on huge-page aligned, so a layer streaming through a batch-64 activation
 * (ResNet-50's layer1 writes 205 MB a layer) takes 512 times fewer TLB misses and page faults. */
static void *tensor_data_alloc(size_t nbytes)
{
    if (nbytes < CACHE_ALIGN_MIN)
        return calloc(1, nbytes);
    void *p = cs_alloc_huge(nbytes);
    if (p)
        memset(p, 0, nbytes);
    return p;
}

cs_tensor *cs_tensor_new(cs_dtype dtype, int rank, const int64_t *dims, cs_error *err)
{
    size_t esize = dtype == CS_DT_STRING ? sizeof(char *) : cs_dtype_size(dtype);
    if (esize == 0) {
        cs_error_set(err, CS_ERR_UNSUPPORTED, "tensor dtype %s (%d) is not supported", cs_dtype_name(dtype),
                     (int)dtype);
        return NULL;
    }
    int64_t numel;
    char buf[160];
    if (!cs_shape_numel(rank, dims, &numel)) {
        cs_error_set(err, CS_ERR_SHAPE, "impossible tensor shape %s (rank %d)",
                     rank >= 0 && rank <= CS_MAX_RANK ? cs_shape_str(rank, dims, buf, sizeof buf) : "?", rank);
        return NULL;
    }
    if (numel > CS_TENSOR_MAX_BYTES / (int64_t)esize) {
        cs_error_set(err, CS_ERR_NOMEM, "tensor shape %s is too large (%lld elements)",
                     cs_shape_str(rank, dims, buf, sizeof buf), (long long)numel);
        return NULL;
    }
    cs_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        cs_error_set(err, CS_ERR_NOMEM, "out of memory allocating a tensor");
        return NULL;
    }
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->dims[i] = dims[i];
    t->nbytes = (size_t)numel * esize;
    if (t->nbytes) {
        t->data = tensor_data_alloc(t->nbytes);
        if (!t->data) {
            free(t);
            cs_error_set(err, CS_ERR_NOMEM, "out of memory allocating %zu bytes for a tensor",
                         (size_t)numel * esize);
            return NULL;
        }
    }
    return t;
}

cs_tensor *cs_tensor_new_like(const cs_tensor *like, cs_dtype dtype, cs_error *err)
{
    return cs_tensor_new(dtype, like->rank, like->dims, err);
}

/* A deep copy of a string tensor: every element string copied (NULL stays NULL, reading as ""). */
static cs_tensor *clone_strings(const cs_tensor *t, cs_error *err)
{
    cs_tensor *c = cs_tensor_new(CS_DT_STRING, t->rank, t->dims, err);
    for (size_t i = 0; c && i < t->nbytes / sizeof(char *); i++) {
        const char *s = ((char *const *)t->data)[i];
        if (s && !(((char **)c->data)[i] = strdup(s))) {
            cs_tensor_free(c);
            cs_error_set(err, CS_ERR_NOMEM, "out of memory copying a string tensor");
            return NULL;
        }
    }
    return c;
}

/* A deep copy of a sequence or an optional (value.h): the container's fields and a copy of every item. */
static cs_tensor *clone_items(const cs_tensor *t, cs_error *err)
{
    cs_tensor *c = calloc(1, sizeof *c);
    if (c) {
        *c = *t;
        c->n_items = 0;
        c->items = t->n_items ? calloc((size_t)t->n_items, sizeof *c->items) : NULL;
    }
    if (!c || (t->n_items && !c->items)) {
        free(c);
        cs_error_set(err, CS_ERR_NOMEM, "out of memory copying a sequence or optional");
        return NULL;
    }
    for (int i = 0; i < t->n_items; i++) {
        if (!(c->items[i] = cs_tensor_clone(t->items[i], err))) {
            cs_tensor_free(c);
            return NULL;
        }
        c->n_items = i + 1;
    }
    return c;
}

cs_tensor *cs_tensor_clone(const cs_tensor *t, cs_error *err)
{
    if (t->kind != CS_VALUE_TENSOR)
        return clone_items(t, err);
    if (t->dtype == CS_DT_STRING)
        return clone_strings(t, err);
    cs_tensor *c = cs_tensor_new(t->dtype, t->rank, t->dims, err);
    if (c && t->nbytes)
        memcpy(c->data, t->data, t->nbytes);
    return c;
}

void cs_tensor_free(cs_tensor *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->dtype == CS_DT_STRING && t->data && i < t->nbytes / sizeof(char *); i++)
        free(((char **)t->data)[i]);
    for (int i = 0; i < t->n_items; i++)
        cs_tensor_free(t->items[i]);
    free(t->items);
    free(t->data);
    free(t);
}

int64_t cs_tensor_numel(const cs_tensor *t)
{
    size_t esize = cs_dtype_size(t->dtype);
    return esize ? (int64_t)(t->nbytes / esize) : 0;
}

bool cs_tensor_same_shape(const cs_tensor *a, const cs_tensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

const char *cs_shape_str(int rank, const int64_t *dims, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

/* ---- half precision ---- */

float cs_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) {
                mant <<= 1;
                exp--;
            }
            mant &= 0x3ff;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t cs_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0));
    if (absx >= 0x477ff000u) /* rounds to >= 65520: overflow to inf */
        return (uint16_t)(sign | 0x7c00);
    if (absx < 0x38800000u) { /* subnormal or zero in half */
        if (absx < 0x33000000u)
            return (uint16_t)sign;
        uint32_t e = absx >> 23;
        uint32_t m = (absx & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e; /* half subnormal unit is 2^-24 */
        uint32_t res = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (res & 1)))
            res++;
        return (uint16_t)(sign | res);
    }
    uint32_t e = (absx >> 23) - 127 + 15;
    uint32_t m = absx & 0x7fffff;
    uint32_t res = (e << 10) | (m >> 13);
    uint32_t rem = m & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (res & 1)))
        res++;
    return (uint16_t)(sign | res);
}

float cs_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t cs_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40);
    uint32_t rounding = 0x7fff + ((x >> 16) & 1);
    return (uint16_t)((x + rounding) >> 16);
}

/* ---- element access ---- */

double cs_tensor_get_f64(const cs_tensor *t, int64_t i)
{
    const void *d = t->data;
    switch (t->dtype) {
    case CS_DT_F32: return ((const float *)d)[i];
    case CS_DT_F64: return ((const double *)d)[i];
    case CS_DT_F16: return cs_f16_to_f32(((const uint16_t *)d)[i]);
    case CS_DT_BF16: return cs_bf16_to_f32(((const uint16_t *)d)[i]);
    case CS_DT_U8: return ((const uint8_t *)d)[i];
    case CS_DT_I8: return ((const int8_t *)d)[i];
    case CS_DT_U16: return ((const uint16_t *)d)[i];
    case CS_DT_I16: return ((const int16_t *)d)[i];
    case CS_DT_I32: return ((const int32_t *)d)[i];
    case CS_DT_I64: return (double)((const int64_t *)d)[i];
    case CS_DT_U32: return ((const uint32_t *)d)[i];
    case CS_DT_U64: return (double)((const uint64_t *)d)[i];
    case CS_DT_BOOL: return ((const uint8_t *)d)[i] ? 1.0 : 0.0;
    default: return 0.0;
    }
}

/* Float -> integer conversion that never invokes undefined behaviour. */
static int64_t saturate_i64(double v)
{
    if (isnan(v))
        return 0;
    if (v >= 9.2233720368547758e18)
        return INT64_MAX;
    if (v <= -9.2233720368547758e18)
        return INT64_MIN;
    return (int64_t)v;
}

void cs_tensor_set_f64(cs_tensor *t, int64_t i, double v)
{
    void *d = t->data;
    switch (t->dtype) {
    case CS_DT_F32: ((float *)d)[i] = (float)v; break;
    case CS_DT_F64: ((double *)d)[i] = v; break;
    case CS_DT_F16: ((uint16_t *)d)[i] = cs_f32_to_f16((float)v); break;
    case CS_DT_BF16: ((uint16_t *)d)[i] = cs_f32_to_bf16((float)v); break;
    case CS_DT_U8: ((uint8_t *)d)[i] = (uint8_t)saturate_i64(v); break;
    case CS_DT_I8: ((int8_t *)d)[i] = (int8_t)saturate_i64(v); break;
    case CS_DT_U16: ((uint16_t *)d)[i] = (uint16_t)saturate_i64(v); break;
    case CS_DT_I16: ((int16_t *)d)[i] = (int16_t)saturate_i64(v); break;
    case CS_DT_I32: ((int32_t *)d)[i] = (int32_t)saturate_i64(v); break;
    case CS_DT_I64: ((int64_t *)d)[i] = saturate_i64(v); break;
    case CS_DT_U32: ((uint32_t *)d)[i] = (uint32_t)saturate_i64(v); break;
    case CS_DT_U64:
        ((uint64_t *)d)[i] = v >= 1.8446744073709552e19 ? UINT64_MAX : (v > 0 && !isnan(v) ? (uint64_t)v : 0);
        break;
    case CS_DT_BOOL: ((uint8_t *)d)[i] = v != 0.0; break;
    default: break;
    }
}

int64_t cs_tensor_get_i64(const cs_tensor *t, int64_t i)
{
    const void *d = t->data;
    switch (t->dtype) {
    case CS_DT_I64: return ((const int64_t *)d)[i];
    case CS_DT_U64: return (int64_t)((const uint64_t *)d)[i];
    case CS_DT_I32: return ((const int32_t *)d)[i];
    case CS_DT_U32: return ((const uint32_t *)d)[i];
    case CS_DT_I16: return ((const int16_t *)d)[i];
    case CS_DT_U16: return ((const uint16_t *)d)[i];
    case CS_DT_I8: return ((const int8_t *)d)[i];
    case CS_DT_U8: case CS_DT_BOOL: return ((const uint8_t *)d)[i];
    default: return saturate_i64(cs_tensor_get_f64(t, i));
    }
}

void cs_tensor_set_i64(cs_tensor *t, int64_t i, int64_t v)
{
    void *d = t->data;
    switch (t->dtype) {
    case CS_DT_I64: ((int64_t *)d)[i] = v; break;
    case CS_DT_U64: ((uint64_t *)d)[i] = (uint64_t)v; break;
    case CS_DT_I32: ((int32_t *)d)[i] = (int32_t)v; break;
    case CS_DT_U32: ((uint32_t *)d)[i] = (uint32_t)v; break;
    case CS_DT_I16: ((int16_t *)d)[i] = (int16_t)v; break;
    case CS_DT_U16: ((uint16_t *)d)[i] = (uint16_t)v; break;
    case CS_DT_I8: ((int8_t *)d)[i] = (int8_t)v; break;
    case CS_DT_U8: ((uint8_t *)d)[i] = (uint8_t)v; break;
    case CS_DT_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    default: cs_tensor_set_f64(t, i, (double)v); break;
    }
}

cs_tensor *cs_tensor_cast(const cs_tensor *t, cs_dtype to, cs_error *err)
{
    if (to == t->dtype)
        return cs_tensor_clone(t, err);
    cs_tensor *c = cs_tensor_new(to, t->rank, t->dims, err);
    if (!c)
        return NULL;
    int64_t n = cs_tensor_numel(t);
    bool int_to_int = !cs_dtype_is_float(t->dtype) && !cs_dtype_is_float(to);
    if (t->dtype == CS_DT_F32 && to == CS_DT_F16) {
        for (int64_t i = 0; i < n; i++)
            ((uint16_t *)c->data)[i] = cs_f32_to_f16(((const float *)t->data)[i]);
    } else if (int_to_int) {
        for (int64_t i = 0; i < n; i++)
            cs_tensor_set_i64(c, i, cs_tensor_get_i64(t, i));
    } else {
        for (int64_t i = 0; i < n; i++)
            cs_tensor_set_f64(c, i, cs_tensor_get_f64(t, i));
    }
    return c;
}
