/* fuzz_torchscript.c — libFuzzer target: TorchScript zip archives (.pt),
 * loaded through cs_model_load, then lowered and (small inputs) executed; see fuzz_common.h. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_model(fuzz_file(".pt", data, size));
    return 0;
}
