/* fuzz_npy.c — libFuzzer target: .npy arrays (`--input x.npy`). */
#include "engine/data/npy.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    cs_tensor *t = NULL;
    cs_error err = {0};
    if (cs_npy_read(fuzz_file(".npy", data, size), &t, &err) == CS_OK)
        cs_tensor_free(t);
    return 0;
}
