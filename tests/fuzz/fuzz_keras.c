/* fuzz_keras.c — libFuzzer target: Keras 3 zip archives (.keras; the weights' libhdf5 in the sandbox server),
 * loaded through cs_model_load, then lowered and (small inputs) executed; see fuzz_common.h. */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_sandbox_server(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_model(fuzz_file(".keras", data, size)); /* -1: libhdf5 failed (see fuzz_model) */
}
