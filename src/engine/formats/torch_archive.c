/* torch_archive.c — PyTorch zip archive access shared by the TorchScript and checkpoint loaders:
 * storages are read from data/<key> only after the key and the claimed size are checked. */
#include "torch_archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cs_status cs_torch_archive_open(cs_torch_archive *a, const char *path, const char *marker, cs_error *err)
{
    memset(a, 0, sizeof *a);
    a->path = path;
    a->zip = cs_zip_open(path, err);
    if (!a->zip)
        return err ? err->status : CS_ERR_FORMAT;
    /* The top folder is the one holding the marker (archives may also hold other folders). */
    size_t ml = strlen(marker);
    for (int i = 0; i < cs_zip_count(a->zip); i++) {
        const char *n = cs_zip_name(a->zip, i);
        size_t nl = n ? strlen(n) : 0;
        if (nl < ml || strcmp(n + nl - ml, marker) != 0)
            continue;
        size_t pl = nl - ml;
        if (pl > 0 && n[pl - 1] != '/')
            continue;
        if (memchr(n, '/', pl ? pl - 1 : 0))
            continue; /* only the top folder */
        char prefix[512];
        if (pl >= sizeof prefix)
            break;
        memcpy(prefix, n, pl);
        prefix[pl] = 0;
        if (!cs_zip_set_prefix(a->zip, prefix))
            break;
        a->pk = cs_pickle_new();
        if (!a->pk)
            break;
        return CS_OK;
    }
    cs_status st = a->pk ? CS_ERR_NOMEM : CS_ERR_FORMAT;
    cs_torch_archive_close(a);
    return cs_error_set(err, st, "%s: zip archive without a top-level %s (not a PyTorch file)", path, marker);
}

void cs_torch_archive_close(cs_torch_archive *a)
{
    cs_zip_close(a->zip);
    cs_pickle_free(a->pk);
    a->zip = NULL;
    a->pk = NULL;
}

static bool key_ok(const cs_pv *k)
{
    if (!k || k->kind != CS_PV_STR || k->len == 0 || k->len > 64 || strlen(k->s) != k->len)
        return false;
    return !strchr(k->s, '/') && !strchr(k->s, '\\') && !strstr(k->s, "..");
}

cs_pv *cs_torch_storage_stub(cs_pickle *p, cs_pv *pid, const char *path, cs_error *err)
{
    if (!pid || pid->kind != CS_PV_TUPLE || pid->n < 5 || !cs_pv_is_str(pid->items[0], "storage")) {
        cs_error_set(err, CS_ERR_FORMAT, "%s: persistent id is not a ('storage', ...) tuple", path);
        return NULL;
    }
    cs_pv *type = pid->items[1], *key = pid->items[2], *numel = pid->items[4];
    if (!key_ok(key)) {
        cs_error_set(err, CS_ERR_FORMAT, "%s: refusing storage key '%s' (must be a short name without '/' or '..')",
                     path, key && key->kind == CS_PV_STR ? key->s : "?");
        return NULL;
    }
    if (type->kind != CS_PV_GLOBAL || numel->kind != CS_PV_INT || numel->i < 0) {
        cs_error_set(err, CS_ERR_FORMAT, "%s: storage '%s' has a bad type or size", path, key->s);
        return NULL;
    }
    cs_dtype dt = cs_pickle_storage_dtype(type->name);
    if (dt == CS_DT_UNDEFINED) {
        cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: storage '%s' has unsupported type torch.%s", path, key->s,
                     type->name);
        return NULL;
    }
    cs_pv *s = cs_pickle_new_value(p, CS_PV_STORAGE);
    if (!s || !(s->s = strdup(key->s))) {
        cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    s->len = key->len;
    s->dtype = dt;
    uint64_t nb;
    if (__builtin_mul_overflow((uint64_t)numel->i, (uint64_t)cs_dtype_size(dt), &nb) || nb > ((uint64_t)1 << 40)) {
        cs_error_set(err, CS_ERR_FORMAT, "%s: storage '%s' claims an impossible size", path, key->s);
        return NULL;
    }
    s->nbytes = (size_t)nb;
    return s;
}

static cs_pv *resolve_zip_storage(void *user, cs_pickle *p, cs_pv *pid, cs_error *err)
{
    cs_torch_archive *a = user;
    cs_pv *s = cs_torch_storage_stub(p, pid, a->path, err);
    if (!s)
        return NULL;
    char rel[160];
    snprintf(rel, sizeof rel, "%s/%s", a->storage_dir, s->s);
    /* the pickle's numel x dtype is what the storage holds: a bigger entry is refused before it is inflated */
    int idx = cs_zip_find_rel(a->zip, rel);
    if (idx >= 0 && cs_zip_size(a->zip, idx) > s->nbytes) {
        cs_error_set(err, CS_ERR_FORMAT, "%s: storage '%s' is %zu bytes uncompressed, more than the %zu its tensor "
                     "type and size declare", a->path, rel, cs_zip_size(a->zip, idx), s->nbytes);
        return NULL;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    if (cs_zip_read_rel(a->zip, rel, s->nbytes ? s->nbytes : 1, &buf, &len, err))
        return NULL;
    if (len < s->nbytes) {
        free(buf);
        cs_error_set(err, CS_ERR_FORMAT, "%s: storage '%s' holds %zu bytes, shorter than the %zu it claims", a->path,
                     rel, len, s->nbytes);
        return NULL;
    }
    s->bytes = buf;
    s->nbytes = len;
    return s;
}

cs_pv *cs_torch_archive_pickle(cs_torch_archive *a, const char *rel, const char *storage_dir,
                               bool allow_user_classes, cs_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    if (cs_zip_read_rel(a->zip, rel, (size_t)256 << 20, &buf, &len, err))
        return NULL;
    a->storage_dir = storage_dir;
    cs_pickle_opts o = {.persistent = resolve_zip_storage, .user = a, .allow_user_classes = allow_user_classes};
    char what[600];
    snprintf(what, sizeof what, "%s: %s", a->path, rel);
    cs_pv *v = cs_pickle_load(a->pk, buf, len, NULL, &o, what, err);
    free(buf);
    return v;
}
