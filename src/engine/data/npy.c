/* npy.c — reads and writes NumPy .npy files: magic, version, a Python-dict header with descr,
 * fortran_order and shape, then raw little-endian data; every header field is validated. */
#include "npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fileio.h"

#define NPY_MAX_BYTES ((size_t)1 << 34)

static const struct {
    const char *descr;
    cs_dtype dtype;
} npy_types[] = {
    {"<f4", CS_DT_F32}, {"<f8", CS_DT_F64}, {"<f2", CS_DT_F16}, {"|u1", CS_DT_U8}, {"|i1", CS_DT_I8},
    {"<i2", CS_DT_I16}, {"<u2", CS_DT_U16}, {"<i4", CS_DT_I32}, {"<u4", CS_DT_U32}, {"<i8", CS_DT_I64},
    {"<u8", CS_DT_U64}, {"|b1", CS_DT_BOOL},
};

static cs_dtype dtype_of(const char *descr)
{
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (strcmp(npy_types[i].descr, descr) == 0)
            return npy_types[i].dtype;
    return CS_DT_UNDEFINED;
}

static const char *descr_of(cs_dtype dtype)
{
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dtype == dtype)
            return npy_types[i].descr;
    return NULL;
}

/* Extracts the quoted value of 'descr' from the header dict. */
static bool header_descr(const char *h, char *out, size_t size)
{
    const char *p = strstr(h, "'descr'");
    if (!p || !(p = strchr(p + 7, '\'')))
        return false;
    const char *e = strchr(p + 1, '\'');
    if (!e || (size_t)(e - p - 1) >= size)
        return false;
    memcpy(out, p + 1, (size_t)(e - p - 1));
    out[e - p - 1] = 0;
    return true;
}

static bool header_shape(const char *h, int *rank, int64_t *dims)
{
    const char *p = strstr(h, "'shape'");
    if (!p || !(p = strchr(p, '(')))
        return false;
    const char *e = strchr(p, ')');
    if (!e)
        return false;
    *rank = 0;
    for (p++; p < e;) {
        while (p < e && (*p == ' ' || *p == ','))
            p++;
        if (p >= e)
            break;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || *rank >= CS_MAX_RANK)
            return false;
        dims[(*rank)++] = v;
        p = end;
    }
    return true;
}

cs_status cs_npy_read(const char *path, cs_tensor **out, cs_error *err)
{
    cs_error local;
    if (!err)
        err = &local;
    *out = NULL;
    uint8_t *buf;
    size_t len;
    if (cs_read_file(path, NPY_MAX_BYTES, &buf, &len, err) != CS_OK)
        return err->status;
    cs_status st = CS_OK;
    size_t hlen = 0, off = 0;
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) {
        st = cs_error_set(err, CS_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    } else if (buf[6] == 1) {
        hlen = buf[8] | (size_t)buf[9] << 8;
        off = 10;
    } else if ((buf[6] == 2 || buf[6] == 3) && len >= 12) {
        hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        off = 12;
    } else {
        st = cs_error_set(err, CS_ERR_FORMAT, "%s: unsupported .npy version %d", path, buf[6]);
    }
    if (st == CS_OK && hlen > len - off)
        st = cs_error_set(err, CS_ERR_FORMAT, "%s: .npy header length %zu runs past the end of the file", path, hlen);
    char header[4096], descr[16];
    int rank = 0;
    int64_t dims[CS_MAX_RANK];
    if (st == CS_OK) {
        size_t n = hlen < sizeof header - 1 ? hlen : sizeof header - 1;
        memcpy(header, buf + off, n);
        header[n] = 0;
        if (!header_descr(header, descr, sizeof descr) || dtype_of(descr) == CS_DT_UNDEFINED)
            st = cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: unsupported .npy dtype (header %.80s)", path, header);
        else if (strstr(header, "'fortran_order': True"))
            st = cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: Fortran-ordered .npy arrays are not supported", path);
        else if (!header_shape(header, &rank, dims))
            st = cs_error_set(err, CS_ERR_FORMAT, "%s: bad shape in .npy header", path);
    }
    cs_tensor *t = NULL;
    int64_t numel = 0;
    uint64_t need = 0;
    if (st == CS_OK && (!cs_shape_numel(rank, dims, &numel) ||
                        __builtin_mul_overflow((uint64_t)numel, (uint64_t)cs_dtype_size(dtype_of(descr)), &need) ||
                        need != len - off - hlen)) { /* checked against the file before allocating */
        char s[160];
        st = cs_error_set(err, CS_ERR_FORMAT, "%s: .npy data is %zu bytes but shape %s of %s needs %llu", path,
                          len - off - hlen, cs_shape_str(rank, dims, s, sizeof s), descr, (unsigned long long)need);
    }
    if (st == CS_OK && !(t = cs_tensor_new(dtype_of(descr), rank, dims, err)))
        st = err->status;
    if (st == CS_OK && t->nbytes != len - off - hlen) {
        char s[160];
        st = cs_error_set(err, CS_ERR_FORMAT, "%s: .npy data is %zu bytes but shape %s of %s needs %zu", path,
                          len - off - hlen, cs_shape_str(rank, dims, s, sizeof s), descr, t->nbytes);
    }
    if (st == CS_OK && t->nbytes)
        memcpy(t->data, buf + off + hlen, t->nbytes);
    free(buf);
    if (st != CS_OK) {
        cs_tensor_free(t);
        return st;
    }
    *out = t;
    return CS_OK;
}

cs_status cs_npy_write(const char *path, const cs_tensor *t, cs_error *err)
{
    const char *descr = descr_of(t->dtype);
    if (!descr)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: cannot write dtype %s as .npy", path, cs_dtype_name(t->dtype));
    char shape[256] = "";
    size_t used = 0;
    for (int i = 0; i < t->rank; i++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,%s", (long long)t->dims[i],
                                 i + 1 < t->rank ? " " : "");
    if (t->rank > 1)
        shape[used - 1] = 0; /* (2, 3) rather than (2, 3,) */
    char header[512];
    int hl = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape);
    int total = 10 + hl + 1;
    int pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot create", path);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    int hlen = hl + pad + 1;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, (size_t)hl, f) == (size_t)hl;
    for (int i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    ok = ok && (t->nbytes == 0 || fwrite(t->data, 1, t->nbytes, f) == t->nbytes);
    if (fclose(f) != 0 || !ok)
        return cs_error_set(err, CS_ERR_IO, "%s: write failed", path);
    return CS_OK;
}
