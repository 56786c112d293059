/* fileio.c — bounded whole-file reads and writes with messages naming the file and reason.
 * See fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes of the regular files under directory path (a .mlpackage), depth-limited; links are not followed. */
static long long dir_size(const char *path, int depth)
{
    DIR *d = depth < 16 ? opendir(path) : NULL;
    if (!d)
        return 0;
    long long total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[4096];
        struct stat st;
        if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= (int)sizeof sub || lstat(sub, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            total += dir_size(sub, depth + 1);
        else if (S_ISREG(st.st_mode))
            total += (long long)st.st_size;
    }
    closedir(d);
    return total;
}

long long cs_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return S_ISDIR(st.st_mode) ? dir_size(path, 0) : (long long)st.st_size;
}

cs_status cs_check_regular(const char *path, cs_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return cs_error_set(err, CS_ERR_IO, "%s: is a directory, expected a file", path);
    if (!S_ISREG(st.st_mode))
        return cs_error_set(err, CS_ERR_IO, "%s: not a regular file (a FIFO, socket or device): refusing it", path);
    return CS_OK;
}

FILE *cs_fopen_regular(const char *path, cs_error *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* O_NONBLOCK: a FIFO must not hang the open */
    if (fd < 0) {
        cs_error_set(err, CS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        cs_error_set(err, CS_ERR_IO, "%s: %s", path,
                     S_ISDIR(st.st_mode) ? "is a directory, expected a file"
                                         : "not a regular file (a FIFO, socket or device): refusing it");
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        cs_error_set(err, CS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    return f;
}

cs_status cs_confined_path(const char *dir, const char *rel, const char *what, char *out, size_t size,
                           cs_error *err)
{
    if (!rel || !*rel || rel[0] == '/' || rel[0] == '\\')
        return cs_error_set(err, CS_ERR_FORMAT, "%s: %s '%s' is not a relative path inside the model's folder", dir,
                            what, rel ? rel : "");
    for (const char *p = rel; *p;) { /* no '..' component anywhere */
        size_t k = strcspn(p, "/\\");
        if (k == 2 && p[0] == '.' && p[1] == '.')
            return cs_error_set(err, CS_ERR_FORMAT, "%s: %s '%s' leaves the model's folder ('..')", dir, what, rel);
        p += k + (p[k] != 0);
    }
    if ((size_t)snprintf(out, size, "%s/%s", dir, rel) >= size)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: %s '%s' has too long a path", dir, what, rel);
    char real_dir[PATH_MAX], real[PATH_MAX];
    if (!realpath(dir, real_dir))
        return cs_error_set(err, CS_ERR_IO, "%s: cannot resolve the model's folder: %s", dir, strerror(errno));
    if (!realpath(out, real))
        return cs_error_set(err, CS_ERR_IO, "%s: %s '%s' cannot be opened: %s", dir, what, rel, strerror(errno));
    size_t n = strlen(real_dir);
    if (strncmp(real, real_dir, n) != 0 || (real[n] != '/' && !(n == 1 && real_dir[0] == '/')))
        return cs_error_set(err, CS_ERR_FORMAT, "%s: %s '%s' is a link leading out of the model's folder", dir, what,
                            rel);
    return cs_check_regular(out, err);
}

cs_status cs_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, cs_error *err)
{
    *data = NULL;
    *len = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return cs_error_set(err, CS_ERR_IO, "%s: is a directory, expected a file", path);
    if ((unsigned long long)st.st_size > max_bytes)
        return cs_error_set(err, CS_ERR_IO, "%s: file is too large (%lld bytes, limit %zu)", path,
                            (long long)st.st_size, max_bytes);
    FILE *f = cs_fopen_regular(path, err);
    if (!f)
        return err->status;
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, size);
    }
    size_t got = fread(buf, 1, size, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed || got != size) {
        free(buf);
        return cs_error_set(err, CS_ERR_IO, "%s: read failed after %zu of %zu bytes", path, got, size);
    }
    buf[size] = 0;
    *data = buf;
    *len = size;
    return CS_OK;
}

cs_status cs_write_file(const char *path, const void *data, size_t len, cs_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    size_t put = len ? fwrite(data, 1, len, f) : 0;
    if (fclose(f) != 0 || put != len)
        return cs_error_set(err, CS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return CS_OK;
}
