/* fuzz_common.h — shared helpers for the libFuzzer targets of tests/fuzz: fuzz bytes to a private file,
 * then load, lower (plan) and, when the inputs are small and fully shaped, execute the model. */
#ifndef CS_FUZZ_COMMON_H
#define CS_FUZZ_COMMON_H

#include <stdbool.h>
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
/* cs_model_load + fuzz_lower_and_run + free; the error text is discarded (a clean refusal is fine). An input a
 * library failed on in the sandbox (a crash, hang or limit, which the sandbox turns into that clean refusal) is
 * saved as ARTIFACT_PREFIX "hdf5-REASON-HASH" (the first CS_FUZZ_SAVE_PER_REASON per reason: about 7% of the
 * mutants break libhdf5), which run.sh replays through the real sandbox, and gives -1 (else
 * 0): the HDF5 targets return it, and libFuzzer 15+ keeps such inputs out of the corpus, whose mutants mostly
 * break libhdf5 again instead of reaching our code (Debian's libFuzzer 14 ignores it). */
int fuzz_model(const char *path);

/* false when a global heap collection ("GCOL", version 1) in the HDF5 image has an object whose size does not move
 * the walk forward or runs past the collection: libhdf5 1.10.8 (H5HG__cache_heap_deserialize) then loops forever
 * on a free-space object of size 0 (also what a collection reaching past the end of the file reads: zeros) or
 * reads outside its buffer. The sandbox contains both (CPU limit, signal; tests/malformed/h5_libhdf5_hang.h5 and
 * h5_libhdf5_segv.h5), but such mutants were 5-8% of all and each cost the server's CPU limit: the keras_h5
 * target skips them (counted, printed at exit), so that its time goes to our code. */
bool fuzz_h5_heaps_terminate(const uint8_t *image, size_t len);

/* CPU seconds the sandbox server may spend on one input (the real sandbox allows 1 s per file; a valid 64 KB
 * input takes a few ms under ASan): libhdf5's endless loops (H5HG_read on a corrupt global heap, about 5% of the
 * mutated inputs) cost this much each, so it is short. An input stopped here is saved and replayed like a crash. */
#define CS_FUZZ_SERVER_CPU_SECONDS 0.1
#define CS_FUZZ_SAVE_PER_REASON 20
/* For the HDF5 targets' LLVMFuzzerInitialize (before libFuzzer installs its hooks and threads): fuzz_setup, then
 * the persistent sandbox server (sandbox_server.h), so that libhdf5 runs confined in another process without a
 * fork per input and its crashes are the sandbox's clean errors; reads -artifact_prefix= from the arguments.
 * At exit it prints "fuzz: libhdf5 failed in the sandbox server on N input(s), M saved" (run.sh reads it).
 * With CS_FUZZ_SANDBOX=1 in the environment there is no server: each input forks the real sandbox. */
void fuzz_sandbox_server(int *argc, char ***argv);

#endif
