/* onnx_external.c — ONNX tensors whose data lives in a side file (data_location EXTERNAL, models over 2 GB):
 * the location is confined to the model's folder, and offset and length are checked against the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fileio.h"
#include "onnx_internal.h"

/* A decimal unsigned entry value; false when it is not one. */
static bool parse_u64(const char *s, uint64_t *v)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
        return false;
    *v = strtoull(s, NULL, 10);
    return true;
}

cs_status cs_onnx_external_locate(const Onnx__TensorProto *tp, const char *model_dir, uint64_t need, char *path,
                                  size_t size, uint64_t *offset, cs_error *err)
{
    const char *name = tp->name ? tp->name : "", *location = NULL;
    uint64_t length = 0;
    bool has_length = false;
    *offset = 0;
    if (!model_dir)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "tensor '%s' uses external data, but it comes without a model "
                            "folder to read it from", name);
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const char *k = tp->external_data[i]->key, *v = tp->external_data[i]->value;
        if (!k || !v)
            continue;
        if (strcmp(k, "location") == 0)
            location = v;
        else if (strcmp(k, "offset") == 0 && !parse_u64(v, offset))
            return cs_error_set(err, CS_ERR_FORMAT, "tensor '%s': external data offset '%s' is not a number", name, v);
        else if (strcmp(k, "length") == 0 && !(has_length = parse_u64(v, &length)))
            return cs_error_set(err, CS_ERR_FORMAT, "tensor '%s': external data length '%s' is not a number", name, v);
    }
    if (!location)
        return cs_error_set(err, CS_ERR_FORMAT, "tensor '%s' uses external data without a location", name);
    if (has_length && length != need)
        return cs_error_set(err, CS_ERR_FORMAT, "tensor '%s': external data length %llu, but its dims need %llu bytes",
                            name, (unsigned long long)length, (unsigned long long)need);
    if (cs_confined_path(model_dir, location, "external data", path, size, err) != CS_OK) {
        cs_error_prefix(err, "tensor '%s': ", name);
        return err->status;
    }
    long long fsize = cs_file_size(path);
    if (fsize < 0 || *offset > (uint64_t)fsize || need > (uint64_t)fsize - *offset)
        return cs_error_set(err, CS_ERR_FORMAT, "tensor '%s': external data [%llu, +%llu) runs past the end of %s "
                            "(%lld bytes)", name, (unsigned long long)*offset, (unsigned long long)need, location,
                            fsize);
    return CS_OK;
}

cs_status cs_onnx_external_read(const char *path, uint64_t offset, void *dst, size_t n, cs_error *err)
{
    FILE *f = cs_fopen_regular(path, err);
    if (!f)
        return err->status;
    bool ok = fseeko(f, (off_t)offset, SEEK_SET) == 0 && fread(dst, 1, n, f) == n;
    fclose(f);
    return ok ? CS_OK : cs_error_set(err, CS_ERR_IO, "%s: short read of external data (%zu bytes at %llu)", path, n,
                                     (unsigned long long)offset);
}
