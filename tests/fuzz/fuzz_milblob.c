/* fuzz_milblob.c — libFuzzer target: MILBlob weight files. The input is weights/weight.bin of a fixed ML
 * Program (tests/fixtures/coreml/tiny_program.mlpackage, found under $CS_FUZZ_ROOT, default "."). */
#include <stdlib.h>

#include "engine/fileio.h"
#include "fuzz_package.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    fuzz_setup();
    if (!ready++) {
        char p[512];
        const char *root = getenv("CS_FUZZ_ROOT");
        snprintf(p, sizeof p, "%s/tests/fixtures/coreml/tiny_program.mlpackage/Data/com.apple.CoreML/model.mlmodel",
                 root ? root : ".");
        uint8_t *spec;
        size_t len;
        cs_error err = {0};
        if (cs_read_file(p, 1 << 20, &spec, &len, &err) != CS_OK) {
            fprintf(stderr, "fuzz_milblob: %s\n", err.msg);
            abort();
        }
        package_member("model.mlmodel", spec, len);
        free(spec);
    }
    package_member("weights/weight.bin", data, size);
    fuzz_model(package_dir());
    return 0;
}
