/* fuzz_keras.c — libFuzzer target: Keras 3 zip archives (.keras),
 * loaded through cs_model_load, then lowered and (small inputs) executed; see fuzz_common.h. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_model(fuzz_file(".keras", data, size));
    return 0;
}
