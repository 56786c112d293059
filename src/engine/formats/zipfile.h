/* zipfile.h — a thin safe wrapper over libzip for model archives (TorchScript, torch.save, .keras):
 * names are checked, reads are bounded and zip bombs (huge sizes or ratios) are refused. */
#ifndef CS_ZIPFILE_H
#define CS_ZIPFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "../status.h"

#define CS_ZIP_MAX_ENTRY ((size_t)4 << 30) /* largest uncompressed entry we read */
#define CS_ZIP_MAX_RATIO 200               /* deflate ratio over which a big entry is a bomb */
#define CS_ZIP_MAX_TOTAL ((unsigned long long)16 << 30) /* most uncompressed bytes read from one archive */
#define CS_ZIP_MIN_TOTAL ((unsigned long long)64 << 20) /* a small archive may always expand to this */

typedef struct cs_zip cs_zip;

/* Opens path; fails when it is not a zip or an entry name is absolute or contains "../". All reads together may
 * expand to at most max(CS_ZIP_MIN_TOTAL, min(CS_ZIP_MAX_RATIO x file size, CS_ZIP_MAX_TOTAL)) bytes. */
cs_zip *cs_zip_open(const char *path, cs_error *err);
void cs_zip_close(cs_zip *z);

/* The archive's top-level folder with a trailing '/' ("model/"), or "" when entries are at the root. */
const char *cs_zip_prefix(const cs_zip *z);
/* Sets the prefix used by the *_rel calls (copied). */
bool cs_zip_set_prefix(cs_zip *z, const char *prefix);

int cs_zip_count(const cs_zip *z);
const char *cs_zip_name(const cs_zip *z, int i);
/* Index of the entry named prefix+rel, or -1. */
int cs_zip_find_rel(const cs_zip *z, const char *rel);

/* Reads entry i whole into a malloc'd buffer (NUL-terminated, *len excludes the NUL).
 * Refuses, before inflating, entries over max bytes (0 = CS_ZIP_MAX_ENTRY), over the memory budget (membudget.h)
 * or with a bomb-like ratio: callers that know what an entry must hold pass that as max. */
cs_status cs_zip_read(cs_zip *z, int i, size_t max, unsigned char **out, size_t *len, cs_error *err);
cs_status cs_zip_read_rel(cs_zip *z, const char *rel, size_t max, unsigned char **out, size_t *len, cs_error *err);
/* Uncompressed size of entry i as recorded, or 0. */
size_t cs_zip_size(const cs_zip *z, int i);

#endif
