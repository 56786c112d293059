/* fuzz_keras_h5.c — libFuzzer target: Keras 2 HDF5 models (.h5; libhdf5 parses in the sandbox server, see
 * fuzz_common.h), loaded through cs_model_load, then lowered and (small inputs) executed. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned long runs, skipped;

static void report(void)
{
    fprintf(stderr, "fuzz_keras_h5: %lu of %lu inputs skipped (a global heap on which libhdf5 loops)\n", skipped, runs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_sandbox_server(argc, argv);
    atexit(report);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runs++;
    if (!fuzz_h5_heaps_terminate(data, size)) {
        skipped++;
        return 0;
    }
    return fuzz_model(fuzz_file(".h5", data, size)); /* -1: libhdf5 failed (see fuzz_model) */
}
