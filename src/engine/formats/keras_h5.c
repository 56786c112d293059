/* keras_h5.c — HDF5 access for the Keras loader through libhdf5: string attributes, weight_names,
 * and weight datasets read (with shape and size checks) from the Keras 2 or Keras 3 weight layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras_internal.h"

#define KS_MAX_WEIGHT_ELEMS ((int64_t)1 << 31)
#define KS_MAX_H5_RATIO 200ULL /* most values per stored byte a (compressed) weight dataset may expand to */

void ks_strings_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static bool attr_is_string(hid_t attr, hid_t *type, bool *vlen)
{
    *type = H5Aget_type(attr);
    if (*type < 0)
        return false;
    if (H5Tget_class(*type) != H5T_STRING) {
        H5Tclose(*type);
        return false;
    }
    *vlen = H5Tis_variable_str(*type) > 0;
    return true;
}

/* Reads n strings of a string attribute into out (malloc'd strings). */
static bool read_strings(hid_t attr, hid_t type, bool vlen, int n, char **out)
{
    if (vlen) {
        char **raw = calloc((size_t)n + 1, sizeof *raw);
        hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_size(mem, H5T_VARIABLE);
        H5Tset_cset(mem, H5Tget_cset(type)); /* h5py writes UTF-8, older Keras ASCII */
        bool ok = raw && H5Aread(attr, mem, raw) >= 0;
        for (int i = 0; i < n; i++)
            out[i] = ok ? strdup(raw[i] ? raw[i] : "") : NULL;
        if (ok) {
            hid_t space = H5Aget_space(attr);
            H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw);
            H5Sclose(space);
        }
        H5Tclose(mem);
        free(raw);
        return ok;
    }
    size_t sz = H5Tget_size(type);
    if (sz == 0 || sz > ((size_t)1 << 28) / (size_t)(n + 1))
        return false;
    char *buf = calloc((size_t)n, sz);
    bool ok = buf && H5Aread(attr, type, buf) >= 0;
    for (int i = 0; i < n; i++) {
        out[i] = ok ? malloc(sz + 1) : NULL;
        if (out[i]) {
            memcpy(out[i], buf + (size_t)i * sz, sz);
            out[i][sz] = 0;
        }
    }
    free(buf);
    return ok;
}

int ks_h5_attr_strings(hid_t obj, const char *name, char ***out)
{
    *out = NULL;
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return -1;
    hid_t type, space = H5Aget_space(attr);
    bool vlen = false;
    int n = -1;
    if (space >= 0 && H5Sget_simple_extent_npoints(space) == 0) { /* h5py writes [] as an empty float array */
        n = 0;
        *out = calloc(1, sizeof **out);
    } else if (space >= 0 && attr_is_string(attr, &type, &vlen)) {
        hssize_t count = H5Sget_simple_extent_npoints(space);
        if (count >= 0 && count < 100000) {
            char **v = calloc((size_t)count + 1, sizeof *v);
            if (v && read_strings(attr, type, vlen, (int)count, v)) {
                n = (int)count;
                *out = v;
            } else {
                ks_strings_free(v, (int)count);
            }
        }
        H5Tclose(type);
    }
    if (space >= 0)
        H5Sclose(space);
    H5Aclose(attr);
    return n;
}

char *ks_h5_attr_string(hid_t obj, const char *name)
{
    char **v;
    int n = ks_h5_attr_strings(obj, name, &v);
    if (n < 1) {
        ks_strings_free(v, n);
        return NULL;
    }
    char *s = v[0];
    v[0] = NULL;
    ks_strings_free(v, n);
    return s;
}

static cs_dtype stored_dtype(hid_t type)
{
    size_t sz = H5Tget_size(type);
    switch (H5Tget_class(type)) {
    case H5T_FLOAT: return sz == 2 ? CS_DT_F16 : sz == 8 ? CS_DT_F64 : CS_DT_F32;
    case H5T_INTEGER: {
        bool sgn = H5Tget_sign(type) == H5T_SGN_2;
        return sz == 1 ? (sgn ? CS_DT_I8 : CS_DT_U8) : sz == 2 ? (sgn ? CS_DT_I16 : CS_DT_U16)
               : sz == 4 ? (sgn ? CS_DT_I32 : CS_DT_U32) : (sgn ? CS_DT_I64 : CS_DT_U64);
    }
    default: return CS_DT_UNDEFINED;
    }
}

/* Reads dataset `name` under group as f32. */
static cs_status read_dataset(ks_loader *ld, hid_t group, const char *name, const char *where, cs_tensor **out,
                              cs_dtype *stored)
{
    *out = NULL;
    hid_t ds = H5Oexists_by_name(group, name, H5P_DEFAULT) > 0 ? H5Dopen2(group, name, H5P_DEFAULT) : -1;
    if (ds < 0)
        return cs_error_set(ld->err, CS_ERR_FORMAT, "%s: layer '%s': weight dataset '%s' is missing or unreadable",
                            ld->path, where, name);
    hid_t space = H5Dget_space(ds), type = H5Dget_type(ds);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t hd[CS_MAX_RANK];
    int64_t dims[CS_MAX_RANK], numel = 0;
    cs_status st = CS_OK;
    *stored = type >= 0 ? stored_dtype(type) : CS_DT_UNDEFINED;
    if (rank < 0 || rank > CS_MAX_RANK || *stored == CS_DT_UNDEFINED)
        st = cs_error_set(ld->err, CS_ERR_FORMAT, "%s: layer '%s': weight '%s' is not a numeric array of rank <= %d",
                          ld->path, where, name, CS_MAX_RANK);
    if (st == CS_OK) {
        H5Sget_simple_extent_dims(space, hd, NULL);
        for (int i = 0; i < rank; i++)
            dims[i] = (int64_t)hd[i];
        if (!cs_shape_numel(rank, dims, &numel) || numel > KS_MAX_WEIGHT_ELEMS)
            st = cs_error_set(ld->err, CS_ERR_FORMAT, "%s: layer '%s': weight '%s' has an impossible size", ld->path,
                              where, name);
    }
    /* the bytes stored in the file bound what reading may allocate (compressed chunks: up to the zip ratio) */
    unsigned long long stored_bytes = st == CS_OK ? (unsigned long long)H5Dget_storage_size(ds) : 0;
    if (st == CS_OK && numel > 0 && (unsigned long long)numel * H5Tget_size(type) > stored_bytes * KS_MAX_H5_RATIO)
        st = cs_error_set(ld->err, CS_ERR_FORMAT,
                          "%s: layer '%s': weight '%s' claims %lld values but the file stores %llu bytes for it",
                          ld->path, where, name, (long long)numel, stored_bytes);
    if (st == CS_OK && !(*out = cs_tensor_new(CS_DT_F32, rank, dims, ld->err)))
        st = ld->err->status;
    if (st == CS_OK && numel > 0 && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, (*out)->data) < 0)
        st = cs_error_set(ld->err, CS_ERR_FORMAT, "%s: layer '%s': weight '%s' could not be read (truncated file?)",
                          ld->path, where, name);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(ds);
    if (st != CS_OK) {
        cs_tensor_free(*out);
        *out = NULL;
    }
    return st;
}

/* The second-to-last '/' component of a Keras 2 weight name ("outer/conv2d/kernel:0" -> "conv2d"). */
static bool owner_is(const char *wname, const char *layer)
{
    const char *last = strrchr(wname, '/');
    if (!last)
        return false;
    const char *start = last;
    while (start > wname && start[-1] != '/')
        start--;
    return (size_t)(last - start) == strlen(layer) && strncmp(start, layer, strlen(layer)) == 0;
}

static cs_status load_v2(ks_loader *ld, const char *const *chain, int depth, cs_tensor ***ts, cs_dtype **dts,
                         int *n)
{
    const char *where = chain[depth - 1];
    *n = 0;
    if (H5Lexists(ld->store.root, chain[0], H5P_DEFAULT) <= 0)
        return CS_OK; /* layers without weights may have no group */
    hid_t grp = H5Gopen2(ld->store.root, chain[0], H5P_DEFAULT);
    if (grp < 0)
        return cs_error_set(ld->err, CS_ERR_FORMAT, "%s: layer '%s': weight group unreadable", ld->path, where);
    char **names = NULL;
    int count = ks_h5_attr_strings(grp, "weight_names", &names);
    cs_status st = CS_OK;
    if (count < 0 && H5Aexists(grp, "weight_names") > 0)
        st = cs_error_set(ld->err, CS_ERR_FORMAT, "%s: layer '%s': weight_names is not a string list", ld->path,
                          where);
    *ts = calloc((size_t)(count > 0 ? count : 1), sizeof **ts);
    *dts = calloc((size_t)(count > 0 ? count : 1), sizeof **dts);
    if (!*ts || !*dts)
        st = cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    for (int i = 0; st == CS_OK && i < count; i++) {
        if (depth > 1 && !owner_is(names[i], chain[depth - 1]))
            continue;
        st = read_dataset(ld, grp, names[i], where, &(*ts)[*n], &(*dts)[*n]);
        if (st == CS_OK)
            (*n)++;
    }
    ks_strings_free(names, count);
    H5Gclose(grp);
    return st;
}

static cs_status load_v3(ks_loader *ld, const char *const *chain, const char *const *vchain, int depth,
                         cs_tensor ***ts, cs_dtype **dts, int *n)
{
    char path[1024] = "";
    size_t len = 0;
    for (int i = 0; i < depth; i++)
        len += (size_t)snprintf(path + len, len < sizeof path ? sizeof path - len : 0, "layers/%s/", vchain[i]);
    if (len + 8 >= sizeof path)
        return cs_error_set(ld->err, CS_ERR_UNSUPPORTED, "%s: layer '%s': nesting too deep", ld->path,
                            chain[depth - 1]);
    strcat(path, "vars");
    *n = 0;
    *ts = calloc(16, sizeof **ts);
    *dts = calloc(16, sizeof **dts);
    if (!*ts || !*dts)
        return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    if (H5Oexists_by_name(ld->store.root, path, H5P_DEFAULT) <= 0)
        return CS_OK;
    hid_t grp = H5Gopen2(ld->store.root, path, H5P_DEFAULT);
    cs_status st = CS_OK;
    for (int i = 0; st == CS_OK && grp >= 0 && i < 16; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d", i);
        if (H5Lexists(grp, name, H5P_DEFAULT) <= 0)
            break;
        st = read_dataset(ld, grp, name, chain[depth - 1], &(*ts)[*n], &(*dts)[*n]);
        if (st == CS_OK)
            (*n)++;
    }
    if (grp >= 0)
        H5Gclose(grp);
    return st;
}

cs_status ks_weights_read(ks_loader *ld, const char *const *chain, const char *const *vchain, int depth,
                          cs_tensor ***ts, cs_dtype **dts, int *n)
{
    *ts = NULL;
    *dts = NULL;
    *n = 0;
    if (ld->store.root < 0)
        return CS_OK;
    cs_status st = ld->store.v3_layout ? load_v3(ld, chain, vchain, depth, ts, dts, n)
                                       : load_v2(ld, chain, depth, ts, dts, n);
    if (st != CS_OK) {
        for (int i = 0; *ts && i < *n; i++)
            cs_tensor_free((*ts)[i]);
        free(*ts);
        free(*dts);
        *ts = NULL;
        *dts = NULL;
        *n = 0;
    }
    return st;
}
