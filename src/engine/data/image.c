/* image.c — decoding image files with Debian's libstb (stb_image), resizing (stb_image_resize)
 * and channel conversion; every size is checked before any allocation. */
#include "image.h"

#include "../fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_resize.h>

static int64_t max_pixels = CS_IMAGE_MAX_PIXELS;

void cs_image_set_max_pixels(int64_t limit)
{
    max_pixels = limit > 0 && limit < CS_IMAGE_MAX_PIXELS ? limit : CS_IMAGE_MAX_PIXELS;
}

static bool valid_size(int h, int w, int c)
{
    return h > 0 && w > 0 && c >= 1 && c <= 4 && h <= CS_IMAGE_MAX_SIDE && w <= CS_IMAGE_MAX_SIDE &&
           (int64_t)h * w <= max_pixels;
}

static cs_status image_alloc(int h, int w, int c, cs_image *out, const char *where, cs_error *err)
{
    memset(out, 0, sizeof *out);
    if (!valid_size(h, w, c))
        return cs_error_set(err, CS_ERR_ARG, "%s: image size %dx%d with %d channels is out of range", where, w, h,
                            c);
    out->px = malloc((size_t)h * (size_t)w * (size_t)c);
    if (!out->px)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory for a %dx%d image", where, w, h);
    out->h = h, out->w = w, out->c = c;
    return CS_OK;
}

/* stb_image 2.27 writes past its Huffman tables when a JPEG DHT segment declares more than 256 codes
 * (stb_image.h:1990); such segments are refused here before stb sees the file. Entropy-coded data stuffs
 * every 0xFF as FF 00, so FF C4 anywhere in the file is a real DHT marker. */
static bool jpeg_tables_ok(const uint8_t *b, size_t n)
{
    size_t soi = 0; /* stb_image takes any run of 0xFF fill bytes before the D8 as the SOI marker (fuzz_image) */
    while (soi < n && b[soi] == 0xFF)
        soi++;
    if (soi == 0 || soi >= n || b[soi] != 0xD8)
        return true; /* not a JPEG */
    for (size_t i = soi; i + 4 <= n; i++) {
        if (b[i] != 0xFF || b[i + 1] != 0xC4)
            continue;
        size_t len = (size_t)b[i + 2] << 8 | b[i + 3], end = i + 2 + len, p = i + 4;
        if (len < 2 || end > n)
            return false;
        while (p < end) { /* tables: class/id byte, 16 counts, the symbols */
            if (end - p < 17)
                return false;
            size_t codes = 0;
            for (int k = 1; k <= 16; k++)
                codes += b[p + k];
            if (codes > 256 || codes > end - p - 17)
                return false;
            p += 17 + codes;
        }
    }
    return true;
}

/* stb_image reallocates a PNG's IDAT buffer to each chunk's declared length before reading it: a chunk
 * claiming more bytes than the file holds is refused here first (found by fuzz_image: 1.2 GB from 60 bytes).
 * An empty IDAT before any image data makes stb offset its still-NULL buffer (undefined behaviour, also found
 * by fuzz_image): refused too. Returns NULL when the file is not a PNG or passes, else the reason. */
static const char *png_chunks_problem(const uint8_t *b, size_t n)
{
    if (n < 8 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) != 0)
        return NULL; /* not a PNG */
    bool have_data = false;
    for (size_t p = 8; p + 8 <= n;) {
        size_t len = (size_t)b[p] << 24 | (size_t)b[p + 1] << 16 | (size_t)b[p + 2] << 8 | b[p + 3];
        if (len > n - p - 8)
            return "a chunk runs past the end of the file";
        if (memcmp(b + p + 4, "IEND", 4) == 0)
            break;
        if (memcmp(b + p + 4, "IDAT", 4) == 0) {
            if (len == 0 && !have_data)
                return "an empty IDAT chunk before any image data";
            have_data = true;
        }
        p += 12 + len; /* length, type, data, CRC */
    }
    return NULL;
}

/* stb_image 2.27 reads a PNM header's width, height and maxval into an int without an overflow check: a PGM/PPM
 * whose header numbers have more than 9 digits is refused first (found by fuzz_image). Comments are skipped. */
static bool pnm_header_ok(const uint8_t *b, size_t n)
{
    if (n < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6'))
        return true; /* not a PGM/PPM */
    size_t p = 2;
    for (int field = 0; field < 3; field++) {
        while (p < n && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r' || b[p] == '#' ||
                         b[p] == '\v' || b[p] == '\f'))
            if (b[p++] == '#')
                while (p < n && b[p] != '\n' && b[p] != '\r')
                    p++;
        int digits = 0;
        while (p < n && b[p] >= '0' && b[p] <= '9')
            p++, digits++;
        if (digits > 9)
            return false;
    }
    return true;
}

static cs_status read_checked(const uint8_t *buf, size_t len, const char *path, cs_image *out, cs_error *err)
{
    int w = 0, h = 0, c = 0;
    if (!jpeg_tables_ok(buf, len)) /* before stbi_info, which already builds the tables */
        return cs_error_set(err, CS_ERR_FORMAT, "%s: corrupt JPEG (a Huffman table declares more than 256 codes)",
                            path);
    if (!pnm_header_ok(buf, len))
        return cs_error_set(err, CS_ERR_FORMAT, "%s: corrupt PGM/PPM (a header number over 9 digits)", path);
    const char *png_problem = png_chunks_problem(buf, len);
    if (png_problem)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: corrupt PNG (%s)", path, png_problem);
    if (len > INT32_MAX || !stbi_info_from_memory(buf, (int)len, &w, &h, &c))
        return cs_error_set(err, CS_ERR_FORMAT, "%s: not a readable image (%s)", path, stbi_failure_reason());
    if (!valid_size(h, w, c))
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: image of %dx%d with %d channels is too large", path, w,
                            h, c);
    uint8_t *px = stbi_load_from_memory(buf, (int)len, &w, &h, &c, 0);
    if (!px)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: corrupt image (%s)", path, stbi_failure_reason());
    cs_status st = image_alloc(h, w, c, out, path, err);
    if (st == CS_OK)
        memcpy(out->px, px, (size_t)h * (size_t)w * (size_t)c);
    stbi_image_free(px);
    return st;
}

cs_status cs_image_read(const char *path, cs_image *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    uint8_t *buf = NULL;
    size_t len = 0;
    cs_status st = cs_read_file(path, CS_IMAGE_MAX_FILE, &buf, &len, err);
    if (st == CS_OK)
        st = read_checked(buf, len, path, out, err);
    free(buf);
    return st;
}

cs_status cs_image_from_pixels(const uint8_t *px, int h, int w, int c, cs_image *out, cs_error *err)
{
    cs_status st = image_alloc(h, w, c, out, "pixels", err);
    if (st == CS_OK)
        memcpy(out->px, px, (size_t)h * (size_t)w * (size_t)c);
    return st;
}

cs_status cs_image_resize(const cs_image *in, int h, int w, cs_image *out, cs_error *err)
{
    cs_status st = image_alloc(h, w, in->c, out, "resize", err);
    if (st != CS_OK)
        return st;
    if (!stbir_resize_uint8(in->px, in->w, in->h, 0, out->px, w, h, 0, in->c)) {
        cs_image_free(out);
        return cs_error_set(err, CS_ERR_NOMEM, "resize: stb_image_resize failed for %dx%d -> %dx%d", in->w, in->h,
                            w, h);
    }
    return CS_OK;
}

/* Gray value of pixel p (the same weights stb_image uses: 77/150/29 over 256). */
static uint8_t luma(const uint8_t *p, int c)
{
    if (c < 3)
        return p[0];
    return (uint8_t)((p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8);
}

static void convert_pixel(const uint8_t *s, int sc, uint8_t *d, int dc)
{
    bool s_alpha = sc == 2 || sc == 4;
    uint8_t alpha = s_alpha ? s[sc - 1] : 255;
    if (dc <= 2) {
        d[0] = luma(s, sc);
    } else {
        for (int k = 0; k < 3; k++)
            d[k] = sc >= 3 ? s[k] : s[0];
    }
    if (dc == 2 || dc == 4)
        d[dc - 1] = alpha;
}

cs_status cs_image_convert(const cs_image *in, int c, cs_image *out, cs_error *err)
{
    cs_status st = image_alloc(in->h, in->w, c, out, "channel conversion", err);
    if (st != CS_OK)
        return st;
    size_t n = (size_t)in->h * (size_t)in->w;
    if (c == in->c) {
        memcpy(out->px, in->px, n * (size_t)c);
        return CS_OK;
    }
    for (size_t i = 0; i < n; i++)
        convert_pixel(in->px + i * (size_t)in->c, in->c, out->px + i * (size_t)c, c);
    return CS_OK;
}

void cs_image_free(cs_image *img)
{
    if (!img)
        return;
    free(img->px);
    memset(img, 0, sizeof *img);
}

const char *cs_image_channels_name(int c)
{
    static const char *names[] = {"no channels", "gray", "gray+alpha", "RGB", "RGBA"};
    return c >= 0 && c <= 4 ? names[c] : "N channels";
}
