/* h5_sandbox.h — opens an untrusted HDF5 file through the sandbox: libhdf5 parses it in a child process
 * (sandbox.h), which sends groups, numeric datasets and attributes over a pipe in a checked record format;
 * the parent rebuilds them into an in-memory HDF5 file that libhdf5 wrote itself, which readers then use. */
#ifndef CS_H5_SANDBOX_H
#define CS_H5_SANDBOX_H

#include <hdf5.h>
#include <stddef.h>

#include "../status.h"

/* The rebuilt file (close with H5Fclose), from path or, when image is not NULL, from len bytes in memory.
 * -1 with err set when the library failed in the child ("PATH: the HDF5 library failed on this file (signal 11)")
 * or the stream is malformed; -1 with err untouched when the file is simply not readable HDF5. */
hid_t cs_h5_open_sandboxed(const char *path, const unsigned char *image, size_t len, cs_error *err);

#endif
