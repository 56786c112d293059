/* fileio.h — whole-file reads with a size limit and precise errors, shared by every loader.
 * Files are untrusted; the limit protects against absurd sizes before allocation. */
#ifndef CS_FILEIO_H
#define CS_FILEIO_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "status.h"

/* Reads path into a malloc'd buffer (NUL-terminated for convenience, len excludes it). */
cs_status cs_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, cs_error *err);
/* CS_OK when path names a regular file (after symlinks); a FIFO, device or directory gets CS_ERR_IO naming it,
 * so that no reader blocks in open() on a FIFO. */
cs_status cs_check_regular(const char *path, cs_error *err);
/* fopen(path, "rb") of a regular file only, never blocking on a FIFO; NULL with err set otherwise. */
FILE *cs_fopen_regular(const char *path, cs_error *err);
/* Joins dir and the relative member name rel into out, refusing absolute names, '..' components and any path
 * whose real location (symlinks resolved) is outside dir, or that is not a regular file. `what` names the
 * reference in messages ("external data", "weight file"). */
cs_status cs_confined_path(const char *dir, const char *rel, const char *what, char *out, size_t size,
                           cs_error *err);
/* Size of a file in bytes, or -1. */
long long cs_file_size(const char *path); /* a directory (.mlpackage): the total of its files */
/* Writes len bytes to path (created or truncated). */
cs_status cs_write_file(const char *path, const void *data, size_t len, cs_error *err);

#endif
