/* coreml_blob.c — reads ML Program weights from MILBlob storage (weights/weight.bin): a 64-byte file header
 * {count, version=2}, then per blob a 64-byte metadata {sentinel 0xDEADBEEF, dtype, size, offset} and its data. */
#include <stdio.h>
#include <string.h>

#include "../fileio.h"
#include "coreml_internal.h"

#define BLOB_SENTINEL 0xDEADBEEFu

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool read_at(FILE *f, uint64_t off, void *buf, size_t n)
{
    return fseeko(f, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n;
}

/* Element size and stored dtype of a MILBlob data type; 0 when unsupported. */
static size_t blob_dtype(uint32_t t, cs_dtype *dt)
{
    switch (t) {
    case 1: *dt = CS_DT_F16; return 2;
    case 2: *dt = CS_DT_F32; return 4;
    case 3: *dt = CS_DT_U8; return 1;
    case 4: *dt = CS_DT_I8; return 1;
    case 14: *dt = CS_DT_I32; return 4;
    default: return 0;
    }
}

static void to_f32(const uint8_t *src, cs_dtype dt, int64_t n, float *dst)
{
    for (int64_t i = 0; i < n; i++) {
        switch (dt) {
        case CS_DT_F16: dst[i] = cs_f16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8)); break;
        case CS_DT_F32: memcpy(&dst[i], src + 4 * i, 4); break;
        case CS_DT_U8: dst[i] = src[i]; break;
        case CS_DT_I8: dst[i] = (int8_t)src[i]; break;
        default: dst[i] = (float)(int32_t)rd32(src + 4 * i); break;
        }
    }
}

static cs_status read_blob(cm_loader *ld, FILE *f, const char *path, uint64_t offset, int64_t numel, cs_tensor *t,
                           cs_dtype *stored)
{
    uint8_t hdr[64], md[64];
    if (fseeko(f, 0, SEEK_END) != 0)
        return cs_lower_fail(&ld->lw, CS_ERR_IO, "%s: cannot seek", path);
    uint64_t fsize = (uint64_t)ftello(f);
    if (!read_at(f, 0, hdr, 64) || rd32(hdr + 4) != 2)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "%s: not a MILBlob v2 weight file (header missing or version %u)",
                             path,
                             rd32(hdr + 4));
    if (offset > fsize || fsize - offset < 64 || !read_at(f, offset, md, 64))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "%s: blob metadata offset %llu is past the end of the file (%llu bytes)",
                             path, (unsigned long long)offset, (unsigned long long)fsize);
    if (rd32(md) != BLOB_SENTINEL)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "%s: no blob at offset %llu (sentinel 0x%08x, expected 0xdeadbeef)", path,
                             (unsigned long long)offset, rd32(md));
    size_t es = blob_dtype(rd32(md + 4), stored);
    uint64_t size = rd64(md + 8), data_off = rd64(md + 16);
    if (!es)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "%s: blob at offset %llu has data type %u", path,
                             (unsigned long long)offset, rd32(md + 4));
    if (size != (uint64_t)numel * es)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "%s: blob at offset %llu holds %llu bytes, the value needs %lld x %zu",
                             path, (unsigned long long)offset, (unsigned long long)size, (long long)numel, es);
    if (data_off > fsize || fsize - data_off < size)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "%s: blob data [%llu, +%llu) runs past the end of the file (%llu bytes)",
                       path, (unsigned long long)data_off, (unsigned long long)size, (unsigned long long)fsize);
    if (size == 0)
        return CS_OK; /* an empty constant: no data (and t->data may be NULL) */
    /* read into the tail of the f32 buffer, then widen in place from the front (es <= 4) */
    uint8_t *raw = (uint8_t *)t->data + (t->nbytes - size);
    if (size && !read_at(f, data_off, raw, size))
        return cs_lower_fail(&ld->lw, CS_ERR_IO, "%s: short read", path);
    if (*stored == CS_DT_F32)
        return CS_OK;
    uint8_t tmp[4096];
    for (int64_t i = 0; i < numel; i += (int64_t)(sizeof tmp / es)) {
        int64_t k = numel - i < (int64_t)(sizeof tmp / es) ? numel - i : (int64_t)(sizeof tmp / es);
        memcpy(tmp, raw + i * (int64_t)es, (size_t)k * es);
        to_f32(tmp, *stored, k, (float *)t->data + i);
    }
    return CS_OK;
}

cs_status cm_blob_read(cm_loader *ld, const char *path, uint64_t offset, int64_t numel, int rank, const int64_t *dims,
                       cs_tensor **out, cs_dtype *stored)
{
    *out = NULL;
    FILE *f = cs_fopen_regular(path, ld->lw.err);
    if (!f)
        return ld->lw.err->status;
    long long fsize = cs_file_size(path);
    if (fsize < 0 || numel > fsize) { /* every value takes at least one byte of the file: check before allocating */
        fclose(f);
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "%s: a constant of %lld values cannot fit in this %lld-byte weight file",
                             path, (long long)numel, fsize);
    }
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, ld->lw.err);
    cs_status st = t ? read_blob(ld, f, path, offset, numel, t, stored) : cs_lower_nomem(&ld->lw);
    fclose(f);
    if (st != CS_OK) {
        cs_tensor_free(t);
        return st;
    }
    *out = t;
    return CS_OK;
}
