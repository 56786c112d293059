/* image.h — 8-bit images (H x W x C, row-major, channels interleaved): reading PNG/JPEG/BMP/PGM/PPM
 * with stb_image, resizing with stb_image_resize, and converting the channel count (gray, RGB, alpha). */
#ifndef CS_IMAGE_H
#define CS_IMAGE_H

#include <stdint.h>

#include "../status.h"

#define CS_IMAGE_MAX_SIDE 16384          /* larger images are refused before decoding */
#define CS_IMAGE_MAX_PIXELS (1 << 24)      /* 16.7 Mpixels (4096x4096): checked from the header, before decoding */
#define CS_IMAGE_MAX_FILE ((size_t)256 << 20) /* image files over 256 MiB are refused unread */

typedef struct cs_image {
    int h, w, c;      /* c: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
    uint8_t *px;      /* owned, h*w*c bytes */
} cs_image;

/* Reads an image file in its own channel count; every error names path and reason. */
/* Lowers the pixel limit below CS_IMAGE_MAX_PIXELS (never above; <= 0 restores it): the fuzz harness uses it so
 * that decoding cost stays small. Checked from the header, before decoding, like the default. */
void cs_image_set_max_pixels(int64_t limit);
cs_status cs_image_read(const char *path, cs_image *out, cs_error *err);
/* An owned copy of h*w*c pixels. */
cs_status cs_image_from_pixels(const uint8_t *px, int h, int w, int c, cs_image *out, cs_error *err);
/* A resized copy (stb_image_resize default filters: Mitchell down, Catmull-Rom up). */
cs_status cs_image_resize(const cs_image *in, int h, int w, cs_image *out, cs_error *err);
/* A copy with c channels: gray->RGB repeats, RGB->gray uses ITU-R 601 luma, alpha is dropped or set opaque. */
cs_status cs_image_convert(const cs_image *in, int c, cs_image *out, cs_error *err);
void cs_image_free(cs_image *img);

/* "gray", "gray+alpha", "RGB", "RGBA" or "N channels". */
const char *cs_image_channels_name(int c);

#endif
