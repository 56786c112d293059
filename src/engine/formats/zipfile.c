/* zipfile.c — checked entry access over libzip: name validation at open, size and ratio limits,
 * and reads that never trust the recorded size. */
#include "zipfile.h"

#include "../fileio.h"
#include "../membudget.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

struct cs_zip {
    zip_t *za;
    char *path;
    char *prefix;
    int count;
    unsigned long long total;  /* uncompressed bytes handed out so far */
    unsigned long long budget; /* total allowed: CS_ZIP_MAX_RATIO x the archive's size, at most CS_ZIP_MAX_TOTAL */
};

static bool name_ok(const char *n)
{
    if (!n || n[0] == '/' || n[0] == '\\' || strstr(n, "../") || strstr(n, "..\\"))
        return false;
    size_t len = strlen(n);
    return !(len >= 2 && strcmp(n + len - 2, "..") == 0);
}

static char *guess_prefix(zip_t *za, int count)
{
    for (int i = 0; i < count; i++) {
        const char *n = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        const char *slash = n ? strchr(n, '/') : NULL;
        if (!slash)
            return strdup("");
        size_t k = (size_t)(slash - n) + 1;
        for (int j = 0; j < count; j++) {
            const char *m = zip_get_name(za, (zip_uint64_t)j, ZIP_FL_ENC_RAW);
            if (!m || strncmp(m, n, k) != 0)
                return strdup("");
        }
        char *p = malloc(k + 1);
        if (p) {
            memcpy(p, n, k);
            p[k] = 0;
        }
        return p;
    }
    return strdup("");
}

cs_zip *cs_zip_open(const char *path, cs_error *err)
{
    if (cs_check_regular(path, err) != CS_OK)
        return NULL;
    int code = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY, &code);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        cs_error_set(err, code == ZIP_ER_NOENT || code == ZIP_ER_OPEN ? CS_ERR_IO : CS_ERR_FORMAT,
                     "%s: not a readable zip archive (%s)", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return NULL;
    }
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n < 0 || n > 1000000) {
        cs_error_set(err, CS_ERR_FORMAT, "%s: zip archive with %lld entries", path, (long long)n);
        zip_discard(za);
        return NULL;
    }
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!name_ok(name)) {
            cs_error_set(err, CS_ERR_FORMAT, "%s: refusing zip entry name '%s' (absolute or containing '..')", path,
                         name ? name : "?");
            zip_discard(za);
            return NULL;
        }
    }
    cs_zip *z = calloc(1, sizeof *z);
    if (z) {
        z->za = za;
        z->count = (int)n;
        z->path = strdup(path);
        z->prefix = guess_prefix(za, (int)n);
        long long fsize = cs_file_size(path);
        unsigned long long b = fsize > 0 ? (unsigned long long)fsize * CS_ZIP_MAX_RATIO : 0;
        z->budget = b < CS_ZIP_MIN_TOTAL ? CS_ZIP_MIN_TOTAL : b > CS_ZIP_MAX_TOTAL ? CS_ZIP_MAX_TOTAL : b;
    }
    if (!z || !z->path || !z->prefix) {
        cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
        cs_zip_close(z);
        if (!z)
            zip_discard(za);
        return NULL;
    }
    return z;
}

void cs_zip_close(cs_zip *z)
{
    if (!z)
        return;
    if (z->za)
        zip_discard(z->za);
    free(z->path);
    free(z->prefix);
    free(z);
}

const char *cs_zip_prefix(const cs_zip *z)
{
    return z->prefix;
}

bool cs_zip_set_prefix(cs_zip *z, const char *prefix)
{
    char *p = strdup(prefix);
    if (!p)
        return false;
    free(z->prefix);
    z->prefix = p;
    return true;
}

int cs_zip_count(const cs_zip *z)
{
    return z->count;
}

const char *cs_zip_name(const cs_zip *z, int i)
{
    if (i < 0 || i >= z->count)
        return NULL;
    return zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
}

int cs_zip_find_rel(const cs_zip *z, const char *rel)
{
    size_t a = strlen(z->prefix), b = strlen(rel);
    char *full = malloc(a + b + 1);
    if (!full)
        return -1;
    memcpy(full, z->prefix, a);
    memcpy(full + a, rel, b + 1);
    zip_int64_t i = zip_name_locate(z->za, full, ZIP_FL_ENC_RAW);
    free(full);
    return i < 0 || i >= z->count ? -1 : (int)i;
}

size_t cs_zip_size(const cs_zip *z, int i)
{
    zip_stat_t st;
    if (i < 0 || i >= z->count || zip_stat_index(z->za, (zip_uint64_t)i, 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_SIZE))
        return 0;
    return (size_t)st.size;
}

static cs_status check_entry(cs_zip *z, int i, size_t max, const zip_stat_t *st, cs_error *err)
{
    const char *name = cs_zip_name(z, i);
    if (!(st->valid & ZIP_STAT_SIZE) || !(st->valid & ZIP_STAT_COMP_SIZE))
        return cs_error_set(err, CS_ERR_FORMAT, "%s: zip entry '%s' has no recorded size", z->path, name);
    if (st->size > max)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: zip entry '%s' is %llu bytes uncompressed, over the %zu-byte limit",
                            z->path, name, (unsigned long long)st->size, max);
    if (st->size > cs_mem_budget()) /* checked before inflating: a deflated entry within the ratio may still be huge */
        return cs_error_set(err, CS_ERR_NOMEM,
                            "%s: zip entry '%s' is %.1f MiB uncompressed, over the memory budget of %.1f MiB "
                            "(--max-memory)", z->path, name, st->size / 1048576.0, cs_mem_budget() / 1048576.0);
    if (st->comp_size > 0 && st->size > ((zip_uint64_t)1 << 20) &&
        st->size / st->comp_size > CS_ZIP_MAX_RATIO)
        return cs_error_set(err, CS_ERR_FORMAT,
                            "%s: zip entry '%s' expands %llu bytes into %llu (ratio over %d): refusing a zip bomb",
                            z->path, name, (unsigned long long)st->comp_size, (unsigned long long)st->size,
                            CS_ZIP_MAX_RATIO);
    if (st->comp_size == 0 && st->size > 0 && (st->valid & ZIP_STAT_COMP_METHOD) && st->comp_method != ZIP_CM_STORE)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: zip entry '%s' claims %llu bytes from nothing", z->path, name,
                            (unsigned long long)st->size);
    return CS_OK;
}

cs_status cs_zip_read(cs_zip *z, int i, size_t max, unsigned char **out, size_t *len, cs_error *err)
{
    *out = NULL;
    *len = 0;
    if (i < 0 || i >= z->count)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: zip entry %d does not exist", z->path, i);
    if (max == 0 || max > CS_ZIP_MAX_ENTRY)
        max = CS_ZIP_MAX_ENTRY;
    zip_stat_t st;
    if (zip_stat_index(z->za, (zip_uint64_t)i, 0, &st) != 0)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: cannot stat zip entry %d", z->path, i);
    cs_status s = check_entry(z, i, max, &st, err);
    if (s)
        return s;
    if (st.size > z->budget - z->total)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: reading zip entry '%s' takes the archive past %llu uncompressed "
                            "bytes (%d x its size, at most %llu): refusing a zip bomb", z->path, cs_zip_name(z, i),
                            z->budget, CS_ZIP_MAX_RATIO, (unsigned long long)CS_ZIP_MAX_TOTAL);
    z->total += st.size;
    size_t size = (size_t)st.size;
    unsigned char *buf = malloc(size + 1);
    if (!buf)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory reading '%s'", z->path, st.name);
    zip_file_t *f = zip_fopen_index(z->za, (zip_uint64_t)i, 0);
    if (!f) {
        free(buf);
        return cs_error_set(err, CS_ERR_FORMAT, "%s: cannot open zip entry '%s' (%s)", z->path, st.name,
                            zip_strerror(z->za));
    }
    size_t got = 0;
    while (got < size) {
        zip_int64_t r = zip_fread(f, buf + got, size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    unsigned char extra;
    bool longer = got == size && zip_fread(f, &extra, 1) > 0;
    zip_fclose(f);
    if (got != size || longer) {
        free(buf);
        return cs_error_set(err, CS_ERR_FORMAT, "%s: zip entry '%s' does not hold its recorded %zu bytes (corrupt)",
                            z->path, st.name, size);
    }
    buf[size] = 0;
    *out = buf;
    *len = size;
    return CS_OK;
}

cs_status cs_zip_read_rel(cs_zip *z, const char *rel, size_t max, unsigned char **out, size_t *len, cs_error *err)
{
    int i = cs_zip_find_rel(z, rel);
    if (i < 0) {
        *out = NULL;
        *len = 0;
        return cs_error_set(err, CS_ERR_FORMAT, "%s: archive has no entry '%s%s'", z->path, z->prefix, rel);
    }
    return cs_zip_read(z, i, max, out, len, err);
}
