/* fuzz_mlpackage.c — libFuzzer target: a whole .mlpackage. The input is a 4-byte little-endian length n,
 * then n bytes of model.mlmodel, then weights/weight.bin (the MILBlob file its constants point into). */
#include "fuzz_package.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    if (size < 4)
        return 0;
    size_t n = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
    if (n > size - 4)
        n = size - 4;
    package_member("model.mlmodel", data + 4, n);
    package_member("weights/weight.bin", data + 4 + n, size - 4 - n);
    fuzz_model(package_dir());
    return 0;
}
