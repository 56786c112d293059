/* sandbox_server.h — for the fuzz targets only (tests/fuzz): the sandbox's parsers run in one persistent, confined
 * server process (no fork per input), restarted whenever a library crashes, hangs or blows up in it. */
#ifndef CS_SANDBOX_SERVER_H
#define CS_SANDBOX_SERVER_H

#include <stdbool.h>

#include "sandbox.h"

/* Forks the spawner, a small process that forks each server (confined by cs_sandbox_confine, persistent), and
 * makes cs_sandbox_run use it. Call it before the program starts threads or installs hooks (a fuzz target's
 * LLVMFuzzerInitialize): servers are forks of the process as it is now. cpu_seconds is the CPU a server may
 * spend on one request; its memory is lim->mem_bytes of resident set, its wall clock 10x the CPU limit + 1 s; the
 * server itself is sized for inputs up to 1 MiB (the fuzzers' are at most 64 KB).
 * false (errno set) when the spawner could not be started; cs_sandbox_run then forks per file as usual. */
bool cs_sandbox_server_start(double cpu_seconds);
/* Ends the server and the spawner; cs_sandbox_run forks per file again. */
void cs_sandbox_server_stop(void);
bool cs_sandbox_server_active(void);

/* cs_sandbox_run's body while the server is active: same contract, and a failure reads
 * "PATH: the LIB library failed on this file (signal 11)" (or "(over its 0.5-second CPU limit)", ...). */
cs_status cs_sandbox_server_run(const char *path, const char *lib, cs_sandbox_fn fn, const uint8_t *in, size_t in_len,
                                const cs_sandbox_limits *lim, uint8_t **out, size_t *len, cs_error *err);

#endif
