/* fuzz_image.c — libFuzzer target: image inputs (PNG, JPEG, BMP, PSD, PGM/PPM...) decoded, resized to 16x16
 * and converted to RGB. stb_image is compiled here, instrumented, and overrides Debian's libstb copy. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#include "engine/data/image.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    /* Decoding time grows with the pixel count, not with the file's structure: an image declaring over 2^18
     * pixels (a header the fuzzer reaches easily) costs seconds under ASan and explores nothing new, so the
     * reader refuses it here from its header, after its own pre-checks, as it refuses over 2^24 normally. */
    cs_image_set_max_pixels(1 << 18);
    cs_image img, small, rgb;
    cs_error err = {0};
    if (cs_image_read(fuzz_file(".img", data, size), &img, &err) != CS_OK)
        return 0;
    if (cs_image_resize(&img, 16, 16, &small, &err) == CS_OK) {
        if (cs_image_convert(&small, 3, &rgb, &err) == CS_OK)
            cs_image_free(&rgb);
        cs_image_free(&small);
    }
    cs_image_free(&img);
    return 0;
}
