/* fuzz_keras_h5.c — libFuzzer target: Keras 2 HDF5 models (.h5; libhdf5 runs in its sandbox when built in),
 * loaded through cs_model_load, then lowered and (small inputs) executed; see fuzz_common.h. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_model(fuzz_file(".h5", data, size));
    return 0;
}
