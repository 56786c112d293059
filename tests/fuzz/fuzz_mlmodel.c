/* fuzz_mlmodel.c — libFuzzer target: CoreML .mlmodel protobufs,
 * loaded through cs_model_load, then lowered and (small inputs) executed; see fuzz_common.h. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_model(fuzz_file(".mlmodel", data, size));
    return 0;
}
