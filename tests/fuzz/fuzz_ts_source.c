/* fuzz_ts_source.c — libFuzzer target: TorchScript source. The input becomes code/__torch__.py of an archive
 * whose root module is __torch__.M, then the whole interpreter runs on it (parse, load-time execution, lowering). */
#include <zip.h>

#include "fuzz_common.h"

/* data.pkl: a __torch__.M object with {'training': True}; constants.pkl: an empty tuple (pickle protocol 2) */
static const unsigned char DATA_PKL[] = "\x80\x02" "c__torch__\nM\n" ")\x81}(X\x08\x00\x00\x00training\x88ub.";
static const unsigned char CONST_PKL[] = "\x80\x02).";

static void add(zip_t *z, const char *name, const void *buf, size_t len)
{
    zip_source_t *s = zip_source_buffer(z, buf, len, 0);
    zip_int64_t i = s ? zip_file_add(z, name, s, ZIP_FL_OVERWRITE) : -1;
    if (i < 0)
        zip_source_free(s);
    else /* stored: deflating every input cost a sixth of each execution, and the reader is fuzzed elsewhere */
        zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    const char *path = fuzz_file(".pt", (const uint8_t *)"", 0);
    int code = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!z)
        return 0;
    add(z, "m/version", "3\n", 2);
    add(z, "m/data.pkl", DATA_PKL, sizeof DATA_PKL - 1);
    add(z, "m/constants.pkl", CONST_PKL, sizeof CONST_PKL - 1);
    add(z, "m/code/__torch__.py", data, size);
    if (zip_close(z) != 0) {
        zip_discard(z);
        return 0;
    }
    fuzz_model(path);
    return 0;
}
