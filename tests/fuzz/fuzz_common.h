/* fuzz_common.h — shared helpers for the libFuzzer targets of tests/fuzz: fuzz bytes to a private file,
 * then load, lower (plan) and, when the inputs are small and fully shaped, execute the model. */
#ifndef CS_FUZZ_COMMON_H
#define CS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "engine/graph.h"

/* Writes data to a per-process file named with suffix (".onnx", ".h5"...); returns its path (static buffer). */
const char *fuzz_file(const char *suffix, const uint8_t *data, size_t size);
/* Writes data to path (any existing file replaced). */
void fuzz_write(const char *path, const uint8_t *data, size_t size);
/* Process-wide set-up (memory budget, quiet HDF5); call from LLVMFuzzerInitialize or the first input. */
void fuzz_setup(void);
/* Plans the graph and runs it on zero inputs when each input has a known shape of at most 4096 values. */
void fuzz_lower_and_run(const cs_graph *g);
/* cs_model_load + fuzz_lower_and_run + free; the error text is discarded (a clean refusal is fine). */
void fuzz_model(const char *path);

#endif
