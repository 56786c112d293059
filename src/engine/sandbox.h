/* sandbox.h — runs a third-party parser (libhdf5...) on an untrusted file in a child process under
 * setrlimit limits (address space, CPU seconds, no files written) and a seccomp filter that allows only
 * memory management, reading its inherited pipe input and writing its output pipe. */
#ifndef CS_SANDBOX_H
#define CS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* The parser: parses the len bytes at in, writes its result to fd and returns 0, or nonzero on failure.
 * It runs after the filter is on: it may not open files, so everything it parses is in `in`. */
typedef int (*cs_sandbox_fn)(const uint8_t *in, size_t len, int fd);

typedef struct cs_sandbox_limits {
    size_t mem_bytes;   /* RLIMIT_AS (ignored under AddressSanitizer, whose shadow map needs terabytes) */
    int cpu_seconds;    /* RLIMIT_CPU; the wall clock allows twice that plus 1 s */
    size_t max_output;  /* most bytes the parent accepts from the child */
} cs_sandbox_limits;

/* Limits for a file of `bytes`: 1 CPU second + 1 per 10 MB, 1 GiB + 8x the file of memory, output 16x + 64 MiB. */
cs_sandbox_limits cs_sandbox_limits_for(size_t bytes);

/* Runs fn(in, in_len, fd) in the sandbox and collects what it wrote into *out (malloc'd, *len bytes). CS_OK only
 * when the child exited 0; a crash, a limit or a nonzero exit gives CS_ERR_FORMAT:
 * "PATH: the LIB library failed on this file (signal 11)" (or "(over its N-second CPU limit)", "(exit N)").
 * While the persistent server of sandbox_server.h runs (fuzz targets only), fn runs there instead of a fork. */
cs_status cs_sandbox_run(const char *path, const char *lib, cs_sandbox_fn fn, const uint8_t *in, size_t in_len,
                         const cs_sandbox_limits *lim, uint8_t **out, size_t *len, cs_error *err);

/* How many times, in this process, a library failed in the sandbox (the error above); *why (may be NULL) gets the
 * reason of the last failure ("signal 11"), valid until the next one. The fuzz targets save those inputs. */
unsigned long cs_sandbox_failures(const char **why);
/* Counts a failure and sets err to the line above with `why` (sandbox.c and sandbox_server.c); CS_ERR_FORMAT. */
cs_status cs_sandbox_failed(const char *path, const char *lib, const char *why, cs_error *err);

/* Confines the calling (child) process as the sandbox does: fatal signals kill it, limits, then the seccomp
 * filter; 0 on success. persistent (sandbox_server.c): no CPU limit (the parent measures each request's CPU) and
 * files up to lim->max_output bytes (its output file), instead of none. */
int cs_sandbox_confine(const cs_sandbox_limits *lim, bool persistent);

#endif
