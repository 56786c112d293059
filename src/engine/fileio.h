/* fileio.h — whole-file reads with a size limit and precise errors, shared by every loader.
 * Files are untrusted; the limit protects against absurd sizes before allocation. */
#ifndef CS_FILEIO_H
#define CS_FILEIO_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "status.h"

/* Reads path into a malloc'd buffer (NUL-terminated for convenience, len excludes it). */
cs_status cs_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, cs_error *err);
/* Size of a file in bytes, or -1. */
long long cs_file_size(const char *path); /* a directory (.mlpackage): the total of its files */
/* Writes len bytes to path (created or truncated). */
cs_status cs_write_file(const char *path, const void *data, size_t len, cs_error *err);

#endif
