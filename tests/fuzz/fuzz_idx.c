/* fuzz_idx.c — libFuzzer target: IDX files (MNIST / Fashion-MNIST images and labels), parsed from memory. */
#include "engine/data/idx.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    cs_tensor *t = NULL;
    cs_error err = {0};
    if (cs_idx_parse(data, size, "fuzz.idx", &t, &err) == CS_OK)
        cs_tensor_free(t);
    return 0;
}
