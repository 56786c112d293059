/* sandbox.h — runs a third-party parser (libhdf5...) on an untrusted file in a child process under
 * setrlimit limits (address space, CPU seconds, no files written) and a seccomp filter that allows only
 * memory management, reading its inherited pipe input and writing its output pipe. */
#ifndef CS_SANDBOX_H
#define CS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* The parser: writes its result to fd (the pipe to the parent) and returns 0, or nonzero on failure.
 * It runs after the filter is on: it may not open files, so it parses from memory it already holds. */
typedef int (*cs_sandbox_fn)(void *arg, int fd);

typedef struct cs_sandbox_limits {
    size_t mem_bytes;   /* RLIMIT_AS (ignored under AddressSanitizer, whose shadow map needs terabytes) */
    int cpu_seconds;    /* RLIMIT_CPU; the wall clock allows twice that plus 1 s */
    size_t max_output;  /* most bytes the parent accepts from the child */
} cs_sandbox_limits;

/* Limits for a file of `bytes`: 1 CPU second + 1 per 10 MB, 1 GiB + 8x the file of memory, output 16x + 64 MiB. */
cs_sandbox_limits cs_sandbox_limits_for(size_t bytes);

/* Runs fn(arg, fd) in the sandbox and collects what it wrote into *out (malloc'd, *len bytes). CS_OK only when
 * the child exited 0; a crash, a limit or a nonzero exit gives CS_ERR_FORMAT:
 * "PATH: the LIB library failed on this file (signal 11)" (or "(over its N-second CPU limit)", "(exit N)"). */
cs_status cs_sandbox_run(const char *path, const char *lib, cs_sandbox_fn fn, void *arg, const cs_sandbox_limits *lim,
                         uint8_t **out, size_t *len, cs_error *err);

/* For the fuzz targets only (tests/fuzz): run fn in this process, its output through a temporary file, so that
 * the fuzzer sees the library's crashes and pays no fork per input. The fuzzer's process is then the sandbox. */
void cs_sandbox_set_in_process(bool on);

#endif
