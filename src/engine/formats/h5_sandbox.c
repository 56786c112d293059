/* h5_sandbox.c — the HDF5 side of the sandbox. Child: walks every object of the file with libhdf5 and writes
 * records 'G' group, 'D' numeric dataset, 'A' attribute (strings or numbers), 'E' end. Parent: checks each
 * length against the stream and stated limits and recreates the objects in a core-driver file. */
#include "h5_sandbox.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fileio.h"
#include "../sandbox.h"

#define CS_H5S_MAX_FILE ((size_t)4 << 30)   /* HDF5 files over 4 GiB are refused unread */
#define CS_H5S_MAX_RANK 8
#define CS_H5S_MAX_STRING ((uint32_t)64 << 20)
#define CS_H5S_MAX_OBJECTS 1000000
#define CS_H5S_RATIO 200ULL                 /* most values per stored byte a dataset may expand to (as keras_h5.c) */

/* ---- child: serialise ---- */

typedef struct wbuf {
    int fd;
    uint8_t b[1 << 16];
    size_t n;
    bool failed;
    long objects;
} wbuf;

static void wflush(wbuf *w)
{
    size_t off = 0;
    while (!w->failed && off < w->n) {
        ssize_t k = write(w->fd, w->b + off, w->n - off);
        if (k <= 0)
            w->failed = true;
        else
            off += (size_t)k;
    }
    w->n = 0;
}

static void wbytes(wbuf *w, const void *p, size_t n)
{
    const uint8_t *s = p;
    while (n) {
        if (w->n == sizeof w->b)
            wflush(w);
        size_t k = n < sizeof w->b - w->n ? n : sizeof w->b - w->n;
        memcpy(w->b + w->n, s, k);
        w->n += k, s += k, n -= k;
    }
}

static void wu8(wbuf *w, uint8_t v) { wbytes(w, &v, 1); }
static void wu32(wbuf *w, uint32_t v) { wbytes(w, &v, 4); }
static void wu64(wbuf *w, uint64_t v) { wbytes(w, &v, 8); }
static void wstr(wbuf *w, const char *s, size_t n)
{
    wu32(w, (uint32_t)n);
    wbytes(w, s, n);
}

/* The object's absolute path: "/" for the root ("."), else "/" + name. */
static void wpath(wbuf *w, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "/%s", strcmp(name, ".") == 0 ? "" : name);
    wstr(w, p, strlen(p));
}

/* Shape of a dataspace: rank (-1 when not simple or over CS_H5S_MAX_RANK) and dims; numel or -1. */
static int64_t shape_of(hid_t space, int *rank, uint64_t *dims)
{
    *rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (*rank < 0 || *rank > CS_H5S_MAX_RANK)
        return *rank = -1;
    hsize_t hd[CS_H5S_MAX_RANK];
    H5Sget_simple_extent_dims(space, hd, NULL);
    int64_t n = 1;
    for (int i = 0; i < *rank; i++) {
        dims[i] = hd[i];
        if (hd[i] && (uint64_t)n > (uint64_t)INT64_MAX / hd[i])
            return -1;
        n *= (int64_t)hd[i];
    }
    return n;
}

static void put_dataset(wbuf *w, hid_t loc, const char *name)
{
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t type = ds >= 0 ? H5Dget_type(ds) : -1, space = ds >= 0 ? H5Dget_space(ds) : -1;
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    size_t size = type >= 0 ? H5Tget_size(type) : 0;
    int rank;
    uint64_t dims[CS_H5S_MAX_RANK];
    int64_t n = shape_of(space, &rank, dims);
    bool numeric = (cls == H5T_FLOAT && (size == 2 || size == 4 || size == 8)) ||
                   (cls == H5T_INTEGER && (size == 1 || size == 2 || size == 4 || size == 8));
    if (numeric && n >= 0) {
        bool sgn = cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2;
        char fmt = cls == H5T_FLOAT ? (size == 8 ? 'd' : 'f') : sgn ? 'i' : 'u';
        size_t es = fmt == 'f' ? 4 : 8;
        unsigned long long stored = H5Dget_storage_size(ds);
        bool has_data = n > 0 && (unsigned long long)n * size <= stored * CS_H5S_RATIO;
        void *buf = has_data ? malloc((size_t)n * es) : NULL;
        hid_t mem = fmt == 'f' ? H5T_NATIVE_FLOAT : fmt == 'd' ? H5T_NATIVE_DOUBLE : fmt == 'i' ? H5T_NATIVE_LLONG
                                                                                            : H5T_NATIVE_ULLONG;
        has_data = buf && H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
        wu8(w, 'D');
        wpath(w, name);
        wu8(w, cls == H5T_FLOAT ? 'F' : 'I');
        wu8(w, (uint8_t)size);
        wu8(w, (uint8_t)fmt);
        wu8(w, (uint8_t)rank);
        for (int i = 0; i < rank; i++)
            wu64(w, dims[i]);
        wu8(w, has_data);
        if (has_data)
            wbytes(w, buf, (size_t)n * es);
        free(buf);
    }
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (ds >= 0)
        H5Dclose(ds);
}

typedef struct attr_ctx {
    wbuf *w;
    const char *obj;
} attr_ctx;

static void put_string_attr(wbuf *w, hid_t attr, hid_t type, int rank, int64_t n)
{
    char **v = calloc((size_t)n + 1, sizeof *v);
    size_t sz = H5Tget_size(type);
    char *fixed = NULL;
    bool vlen = H5Tis_variable_str(type) > 0, ok = false;
    hid_t mem = H5Tcopy(H5T_C_S1);
    if (vlen) {
        H5Tset_size(mem, H5T_VARIABLE);
        H5Tset_cset(mem, H5Tget_cset(type));
        ok = v && H5Aread(attr, mem, v) >= 0;
    } else if (sz > 0 && sz < CS_H5S_MAX_STRING / (size_t)(n + 1)) {
        fixed = calloc((size_t)n + 1, sz);
        ok = fixed && H5Aread(attr, type, fixed) >= 0;
    }
    if (ok) {
        wu8(w, 'S');
        wu8(w, (uint8_t)rank);
        wu32(w, (uint32_t)n);
        for (int64_t i = 0; i < n; i++) {
            const char *s = vlen ? (v[i] ? v[i] : "") : fixed + (size_t)i * sz;
            wstr(w, s, vlen ? strlen(s) : strnlen(s, sz));
        }
    } else {
        wu8(w, '-');
    }
    if (ok && vlen) {
        hid_t space = H5Aget_space(attr);
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, v);
        H5Sclose(space);
    }
    H5Tclose(mem);
    free(v);
    free(fixed);
}

static herr_t put_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    attr_ctx *a = data;
    if (++a->w->objects > CS_H5S_MAX_OBJECTS)
        return -1;
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t type = attr >= 0 ? H5Aget_type(attr) : -1, space = attr >= 0 ? H5Aget_space(attr) : -1;
    int rank;
    uint64_t dims[CS_H5S_MAX_RANK];
    int64_t n = shape_of(space, &rank, dims);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    if (n >= 0 && n < 10000000 && (cls == H5T_STRING || cls == H5T_FLOAT || cls == H5T_INTEGER)) {
        wu8(a->w, 'A');
        wpath(a->w, a->obj);
        wstr(a->w, name, strlen(name));
        if (cls == H5T_STRING && rank <= 1) {
            put_string_attr(a->w, attr, type, rank, n);
        } else {
            double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
            bool ok = v && (n == 0 || H5Aread(attr, H5T_NATIVE_DOUBLE, v) >= 0) && cls != H5T_STRING;
            wu8(a->w, ok ? 'N' : '-');
            if (ok) {
                wu8(a->w, (uint8_t)rank);
                for (int i = 0; i < rank; i++)
                    wu64(a->w, dims[i]);
                wbytes(a->w, v, (size_t)n * sizeof *v);
            }
            free(v);
        }
    }
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (attr >= 0)
        H5Aclose(attr);
    return a->w->failed ? -1 : 0;
}

static herr_t put_object(hid_t root, const char *name, const H5O_info_t *info, void *data)
{
    wbuf *w = data;
    if (++w->objects > CS_H5S_MAX_OBJECTS || w->failed)
        return -1;
    if (info->type == H5O_TYPE_GROUP) {
        wu8(w, 'G');
        wpath(w, name);
    } else if (info->type == H5O_TYPE_DATASET) {
        put_dataset(w, root, name);
    } else {
        return 0;
    }
    attr_ctx a = {w, name};
    hsize_t idx = 0;
    H5Aiterate_by_name(root, name, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, put_attr, &a, H5P_DEFAULT);
    return w->failed ? -1 : 0;
}

static int child_parse(const uint8_t *image, size_t len, int fd)
{
    static wbuf w; /* 64 KiB: off the stack */
    w.fd = fd, w.n = 0, w.failed = false, w.objects = 0;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t f = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 && H5Pset_file_image(fapl, (void *)image, len) >= 0)
        f = H5Fopen("sandboxed.h5", H5F_ACC_RDONLY, fapl);
    herr_t r = f >= 0 ? H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, put_object, &w, H5O_INFO_BASIC) : -1;
    wu8(&w, r < 0 ? 'X' : 'E');
    wflush(&w);
    if (f >= 0) /* closed although the child exits: the fuzz targets' server (sandbox_server.h) parses many files */
        H5Fclose(f);
    if (fapl >= 0)
        H5Pclose(fapl);
    return r < 0 || w.failed ? 1 : 0;
}

/* ---- parent: parse the records and rebuild ---- */

typedef struct rbuf {
    const uint8_t *p, *end;
    bool bad;
} rbuf;

static bool need(rbuf *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n)
        return !(r->bad = true);
    return true;
}

static uint8_t ru8(rbuf *r) { return need(r, 1) ? *r->p++ : 0; }
static uint32_t ru32(rbuf *r)
{
    uint32_t v = 0;
    if (need(r, 4))
        memcpy(&v, r->p, 4), r->p += 4;
    return v;
}
static uint64_t ru64(rbuf *r)
{
    uint64_t v = 0;
    if (need(r, 8))
        memcpy(&v, r->p, 8), r->p += 8;
    return v;
}

/* A NUL-terminated malloc'd copy of the next string (at most CS_H5S_MAX_STRING bytes), or NULL. */
static char *rstr(rbuf *r)
{
    uint32_t n = ru32(r);
    if (n > CS_H5S_MAX_STRING || !need(r, n))
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s) {
        memcpy(s, r->p, n);
        s[n] = 0;
    }
    r->p += n;
    return s;
}

static bool rdims(rbuf *r, int *rank, hsize_t *dims, uint64_t *numel)
{
    *rank = ru8(r);
    *numel = 1;
    if (*rank > CS_H5S_MAX_RANK)
        return !(r->bad = true);
    for (int i = 0; i < *rank; i++) {
        dims[i] = ru64(r);
        if (dims[i] && *numel > UINT64_MAX / dims[i])
            return !(r->bad = true);
        *numel *= dims[i];
    }
    return !r->bad;
}

static hid_t file_type(char cls, unsigned size, char fmt)
{
    if (cls == 'F' && size == 2) { /* IEEE half: HDF5 1.10 has no predefined type */
        hid_t t = H5Tcopy(H5T_IEEE_F32LE);
        H5Tset_fields(t, 15, 10, 5, 0, 10);
        H5Tset_size(t, 2);
        H5Tset_ebias(t, 15);
        return t;
    }
    if (cls == 'F')
        return H5Tcopy(size == 8 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE);
    bool s = fmt == 'i';
    return H5Tcopy(size == 1 ? (s ? H5T_STD_I8LE : H5T_STD_U8LE) : size == 2 ? (s ? H5T_STD_I16LE : H5T_STD_U16LE)
                   : size == 4 ? (s ? H5T_STD_I32LE : H5T_STD_U32LE) : (s ? H5T_STD_I64LE : H5T_STD_U64LE));
}

static bool make_group(hid_t f, hid_t lcpl, const char *path)
{
    if (strcmp(path, "/") == 0 || H5Lexists(f, path, H5P_DEFAULT) > 0)
        return true;
    hid_t g = H5Gcreate2(f, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    return g >= 0 && H5Gclose(g) >= 0;
}

static bool make_dataset(rbuf *r, hid_t f, hid_t lcpl)
{
    char *path = rstr(r);
    char cls = (char)ru8(r), fmt;
    unsigned size = ru8(r);
    fmt = (char)ru8(r);
    int rank;
    hsize_t dims[CS_H5S_MAX_RANK];
    uint64_t n;
    bool ok = path && rdims(r, &rank, dims, &n) && (cls == 'F' || cls == 'I') &&
              (size == 1 || size == 2 || size == 4 || size == 8) && strchr("fdiu", fmt) && fmt;
    bool has = ru8(r);
    size_t es = fmt == 'f' ? 4 : 8;
    if (ok && has && (n > SIZE_MAX / es || !need(r, (size_t)n * es)))
        ok = false;
    if (ok) {
        hid_t type = file_type(cls, size, fmt), space = H5Screate_simple(rank, dims, NULL);
        hid_t ds = H5Dcreate2(f, path, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        hid_t mem = fmt == 'f' ? H5T_NATIVE_FLOAT : fmt == 'd' ? H5T_NATIVE_DOUBLE : fmt == 'i' ? H5T_NATIVE_LLONG
                                                                                            : H5T_NATIVE_ULLONG;
        ok = ds >= 0 && (!has || n == 0 || H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, r->p) >= 0);
        if (ds >= 0)
            H5Dclose(ds);
        H5Sclose(space);
        H5Tclose(type);
        if (has)
            r->p += (size_t)n * es;
    }
    free(path);
    return ok && !r->bad;
}

static bool write_string_attr(rbuf *r, hid_t obj, const char *name)
{
    int rank = ru8(r);
    uint32_t n = ru32(r);
    if (rank > 1 || (rank == 0 && n != 1) || n > (uint32_t)(r->end - r->p) / 4)
        return !(r->bad = true);
    char **v = calloc((size_t)n + 1, sizeof *v);
    bool ok = v != NULL;
    for (uint32_t i = 0; ok && i < n; i++)
        ok = (v[i] = rstr(r)) != NULL;
    if (ok) {
        hsize_t d = n;
        hid_t type = H5Tcopy(H5T_C_S1), space = rank ? H5Screate_simple(1, &d, NULL) : H5Screate(H5S_SCALAR);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        ok = a >= 0 && H5Awrite(a, type, v) >= 0;
        if (a >= 0)
            H5Aclose(a);
        H5Sclose(space);
        H5Tclose(type);
    }
    for (uint32_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
    return ok;
}

static bool make_attr(rbuf *r, hid_t f)
{
    char *path = rstr(r), *name = rstr(r);
    char kind = (char)ru8(r);
    bool ok = path && name && !r->bad;
    hid_t obj = ok ? H5Oopen(f, path, H5P_DEFAULT) : -1;
    ok = ok && obj >= 0;
    if (ok && kind == 'S') {
        ok = write_string_attr(r, obj, name);
    } else if (ok && kind == 'N') {
        int rank;
        hsize_t dims[CS_H5S_MAX_RANK];
        uint64_t n;
        ok = rdims(r, &rank, dims, &n) && n <= SIZE_MAX / 8 && need(r, (size_t)n * 8);
        if (ok) {
            hid_t space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
            hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
            ok = a >= 0 && (n == 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, r->p) >= 0);
            if (a >= 0)
                H5Aclose(a);
            H5Sclose(space);
            r->p += (size_t)n * 8;
        }
    } else if (kind != '-') {
        ok = false;
    }
    if (obj >= 0)
        H5Oclose(obj);
    free(path);
    free(name);
    return ok && !r->bad;
}

static hid_t rebuild(const uint8_t *buf, size_t len, const char *path, cs_error *err)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t f = -1;
    /* the in-memory file grows by about the stream's size: one allocation for a big model, and 64 KiB instead of
     * a zero-filled 1 MiB for a small one (that memset was a tenth of the keras_h5 fuzz target's time) */
    size_t grow = ((len >> 16) + 1) << 16;
    if (fapl >= 0 && lcpl >= 0 && H5Pset_fapl_core(fapl, grow, 0) >= 0 &&
        H5Pset_create_intermediate_group(lcpl, 1) >= 0)
        f = H5Fcreate("sandboxed.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    rbuf r = {buf, buf + len, f < 0};
    bool ok = f >= 0, end = false;
    while (ok && !end && !r.bad) {
        char tag = (char)ru8(&r);
        if (tag == 'G') {
            char *p = rstr(&r);
            ok = p && make_group(f, lcpl, p);
            free(p);
        } else if (tag == 'D') {
            ok = make_dataset(&r, f, lcpl);
        } else if (tag == 'A') {
            ok = make_attr(&r, f);
        } else {
            end = tag == 'E';
            ok = end;
        }
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (!ok || r.bad || r.p != r.end) {
        if (f >= 0)
            H5Fclose(f);
        cs_error_set(err, CS_ERR_FORMAT, "%s: the HDF5 sandbox sent a malformed record stream (at byte %zu of %zu)",
                     path, (size_t)(r.p - buf), len);
        return -1;
    }
    return f;
}

hid_t cs_h5_open_sandboxed(const char *path, const unsigned char *image, size_t len, cs_error *err)
{
    uint8_t *file = NULL;
    if (!image) {
        if (cs_read_file(path, CS_H5S_MAX_FILE, &file, &len, err) != CS_OK)
            return -1;
        image = file;
    }
    H5open(); /* the child inherits an initialised library */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    cs_sandbox_limits lim = cs_sandbox_limits_for(len);
    uint8_t *out = NULL;
    size_t n = 0;
    cs_status st = cs_sandbox_run(path, "HDF5", child_parse, image, len, &lim, &out, &n, err);
    free(file);
    hid_t f = -1;
    if (st == CS_OK)
        f = rebuild(out, n, path, err);
    free(out);
    return f;
}
