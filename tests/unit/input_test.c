/* input_test.c — specifications of model inputs: IDX parsing (plain, gzipped, truncated), how images
 * are fitted to declared input shapes (layout, size, channels, batch, scale, mean/std), and datasets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <stb_image_write.h>

#include "engine/data/dataset.h"
#include "engine/data/idx.h"
#include "engine/data/input.h"
#include "engine/graph.h"
#include "test.h"

/* A fresh temporary folder; path receives its name. */
static void temp_dir(char *path, size_t size)
{
    snprintf(path, size, "/tmp/cs_input_test_XXXXXX");
    if (!mkdtemp(path))
        path[0] = 0;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile f = gzopen(path, "wb");
    if (f) {
        gzwrite(f, data, (unsigned)n);
        gzclose(f);
    }
}

/* An IDX u8 header for dims followed by `data_len` bytes counting up from `first`. */
static size_t make_idx_u8(unsigned char *buf, int rank, const uint32_t *dims, size_t data_len, int first)
{
    size_t n = 0;
    buf[n++] = 0, buf[n++] = 0, buf[n++] = 0x08, buf[n++] = (unsigned char)rank;
    for (int i = 0; i < rank; i++) {
        buf[n++] = (unsigned char)(dims[i] >> 24), buf[n++] = (unsigned char)(dims[i] >> 16);
        buf[n++] = (unsigned char)(dims[i] >> 8), buf[n++] = (unsigned char)dims[i];
    }
    for (size_t i = 0; i < data_len; i++)
        buf[n++] = (unsigned char)(first + (int)i);
    return n;
}

static cs_graph *graph_with_input(cs_dtype dtype, int rank, const int64_t *dims, const char *format)
{
    cs_graph *g = cs_graph_new("test.onnx", format);
    int v = cs_graph_value(g, "x");
    g->values[v].dtype = dtype;
    g->values[v].rank = rank;
    for (int i = 0; i < rank; i++)
        g->values[v].dims[i] = dims[i];
    cs_graph_add_input(g, v);
    return g;
}

/* A 4 wide, 2 high RGB image: pixel (y, x) = (10*y + x, 100 + x, 200 - 10*y). */
static void write_rgb_png(const char *path)
{
    unsigned char px[2 * 4 * 3];
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++) {
            unsigned char *p = px + (y * 4 + x) * 3;
            p[0] = (unsigned char)(10 * y + x), p[1] = (unsigned char)(100 + x), p[2] = (unsigned char)(200 - 10 * y);
        }
    stbi_write_png(path, 4, 2, 3, px, 4 * 3);
}

TEST(idx_reads_plain_and_gzipped_u8_files)
{
    char dir[64], p1[128], p2[128];
    temp_dir(dir, sizeof dir);
    unsigned char buf[64];
    uint32_t dims[3] = {2, 2, 3};
    size_t n = make_idx_u8(buf, 3, dims, 12, 5);
    snprintf(p1, sizeof p1, "%s/a-idx3-ubyte", dir);
    snprintf(p2, sizeof p2, "%s/a-idx3-ubyte.gz", dir);
    write_file(p1, buf, n);
    write_gz(p2, buf, n);
    for (int k = 0; k < 2; k++) {
        cs_tensor *t = NULL;
        cs_error err = {0};
        EXPECT(cs_idx_read(k ? p2 : p1, &t, &err) == CS_OK);
        if (!t)
            continue;
        EXPECT(t->dtype == CS_DT_U8 && t->rank == 3 && t->dims[0] == 2 && t->dims[1] == 2 && t->dims[2] == 3);
        EXPECT(((uint8_t *)t->data)[0] == 5 && ((uint8_t *)t->data)[11] == 16);
        cs_tensor_free(t);
    }
    remove(p1), remove(p2), rmdir(dir);
}

TEST(idx_converts_big_endian_i16)
{
    const unsigned char buf[] = {0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE};
    cs_tensor *t = NULL;
    cs_error err = {0};
    EXPECT(cs_idx_parse(buf, sizeof buf, "mem", &t, &err) == CS_OK);
    if (t) {
        EXPECT(t->dtype == CS_DT_I16 && t->dims[0] == 2);
        EXPECT(((int16_t *)t->data)[0] == 258 && ((int16_t *)t->data)[1] == -2);
    }
    cs_tensor_free(t);
}

TEST(idx_truncated_file_is_a_format_error)
{
    unsigned char buf[64];
    uint32_t dims[3] = {2, 2, 3};
    size_t n = make_idx_u8(buf, 3, dims, 10, 0);
    cs_tensor *t = NULL;
    cs_error err = {0};
    EXPECT(cs_idx_parse(buf, n, "short.idx", &t, &err) == CS_ERR_FORMAT);
    EXPECT(t == NULL);
    EXPECT(strstr(err.msg, "short.idx: truncated IDX file") != NULL);
    EXPECT(cs_idx_parse(buf, 6, "hdr.idx", &t, &err) == CS_ERR_FORMAT);
    EXPECT(strstr(err.msg, "truncated IDX header") != NULL);
    buf[2] = 0x42;
    EXPECT(cs_idx_parse(buf, n, "type.idx", &t, &err) == CS_ERR_FORMAT);
    EXPECT(strstr(err.msg, "unknown IDX element type 0x42") != NULL);
}

TEST(idx_gzip_stream_cut_short_is_a_format_error)
{
    char dir[64], gz[128];
    temp_dir(dir, sizeof dir);
    snprintf(gz, sizeof gz, "%s/cut-idx3-ubyte.gz", dir);
    static unsigned char buf[4 + 12 + 4096];
    uint32_t dims[3] = {1, 64, 64};
    size_t n = make_idx_u8(buf, 3, dims, 4096, 0);
    write_gz(gz, buf, n);
    struct stat sb;
    EXPECT(stat(gz, &sb) == 0 && truncate(gz, sb.st_size / 2) == 0);
    cs_tensor *t = NULL;
    cs_error err = {0};
    EXPECT(cs_idx_read(gz, &t, &err) == CS_ERR_FORMAT && t == NULL);
    EXPECT(strstr(err.msg, "truncated or corrupt gzip data") != NULL);
    remove(gz), rmdir(dir);
}

/* An image test: a fresh folder with the file `png` in it, input options (defaults), and the last load's tensor,
 * notes and error. */
typedef struct png_case {
    char dir[64], png[128], notes[2048];
    cs_input_opts o;
    cs_tensor *t;
    cs_error err;
} png_case;

/* Sets up c with DIR/name; the file is written by the test (write_rgb_png or bad bytes). */
static void png_open(png_case *c, const char *name)
{
    memset(c, 0, sizeof *c);
    temp_dir(c->dir, sizeof c->dir);
    snprintf(c->png, sizeof c->png, "%s/%s", c->dir, name);
    cs_input_opts_default(&c->o);
}

/* Loads the image into a graph input of the given shape (c->t: the new tensor; the previous one is freed). */
static cs_status png_load(png_case *c, cs_dtype dt, int rank, const int64_t *dims)
{
    cs_tensor_free(c->t);
    c->t = NULL;
    cs_graph *g = graph_with_input(dt, rank, dims, "onnx");
    cs_status st = cs_input_load(g, 0, c->png, &c->o, &c->t, c->notes, sizeof c->notes, &c->err);
    cs_graph_free(g);
    return st;
}

static void png_close(png_case *c)
{
    cs_tensor_free(c->t);
    remove(c->png), rmdir(c->dir);
}

TEST(image_into_nchw_gray_uses_luma_and_default_scale)
{
    png_case c;
    png_open(&c, "rgb.png");
    write_rgb_png(c.png);
    const int64_t dims[4] = {-1, 1, 2, 4};
    EXPECT(png_load(&c, CS_DT_F32, 4, dims) == CS_OK);
    if (c.t) {
        EXPECT(c.t->rank == 4 && c.t->dims[0] == 1 && c.t->dims[1] == 1 && c.t->dims[2] == 2 && c.t->dims[3] == 4);
        /* pixel (1, 3) = (13, 103, 190): luma (13*77 + 103*150 + 190*29) >> 8 = 85 */
        EXPECT_NEAR(((float *)c.t->data)[7], 85.0 / 255.0, 1e-6);
    }
    EXPECT(strstr(c.notes, "-> [1,1,2,4] f32 NCHW") != NULL);
    /* axis 1 (1) and axis 3 (4) could both be channels: the format's usual layout decides */
    EXPECT(strstr(c.notes, "channel axis ambiguous; NCHW is the usual layout of onnx models") != NULL);
    EXPECT(strstr(c.notes, "batch: 1 (declared batch size unknown)") != NULL);
    EXPECT(strstr(c.notes, "no resize (4x2, declared)") != NULL);
    EXPECT(strstr(c.notes, "RGB -> gray") != NULL);
    EXPECT(strstr(c.notes, "pixel * 1/255 (default --scale), no --mean/--std") != NULL);
    png_close(&c);
}

TEST(image_into_nhwc_rgb_keeps_channels_and_applies_mean_std)
{
    png_case c;
    png_open(&c, "rgb.png");
    write_rgb_png(c.png);
    c.o.n_mean = 1, c.o.mean[0] = 0.5, c.o.n_std = 1, c.o.std[0] = 0.25;
    const int64_t dims[4] = {1, 2, 4, 3};
    EXPECT(png_load(&c, CS_DT_F32, 4, dims) == CS_OK);
    if (c.t) {
        const float *d = c.t->data;
        /* (y=1, x=2, c=2): blue 190 */
        EXPECT_NEAR(d[(1 * 4 + 2) * 3 + 2], (190.0 / 255.0 - 0.5) / 0.25, 1e-5);
        EXPECT_NEAR(d[(0 * 4 + 3) * 3 + 1], (103.0 / 255.0 - 0.5) / 0.25, 1e-5);
    }
    EXPECT(strstr(c.notes, "-> [1,2,4,3] f32 NHWC") != NULL);
    EXPECT(strstr(c.notes, "RGB kept") != NULL);
    EXPECT(strstr(c.notes, "mean 0.5,0.5,0.5, std 0.25,0.25,0.25") != NULL);
    png_close(&c);
}

TEST(image_fills_unknown_dims_from_the_image_and_repeats_fixed_batch)
{
    png_case c;
    png_open(&c, "rgb.png");
    write_rgb_png(c.png);
    const int64_t unknown[4] = {-1, 3, -1, -1}, fixed[4] = {3, 1, 2, 4};
    EXPECT(png_load(&c, CS_DT_F32, 4, unknown) == CS_OK);
    EXPECT(c.t && c.t->dims[0] == 1 && c.t->dims[1] == 3 && c.t->dims[2] == 2 && c.t->dims[3] == 4);
    EXPECT(strstr(c.notes, "taken from the image, declared size unknown") != NULL);
    EXPECT(png_load(&c, CS_DT_F32, 4, fixed) == CS_OK);
    if (c.t) {
        EXPECT(c.t->dims[0] == 3);
        EXPECT(((float *)c.t->data)[7] == ((float *)c.t->data)[2 * 8 + 7]);
    }
    EXPECT(strstr(c.notes, "declared 3; the sample is repeated in all 3 slots") != NULL);
    png_close(&c);
}

TEST(image_is_resized_flattened_or_cast_as_the_input_declares)
{
    png_case c;
    png_open(&c, "rgb.png");
    write_rgb_png(c.png);
    const int64_t big[4] = {1, 1, 4, 8}, flat[2] = {1, 16}, chw[3] = {1, 2, 4};
    EXPECT(png_load(&c, CS_DT_F32, 4, big) == CS_OK);
    EXPECT(strstr(c.notes, "resized 4x2 -> 8x4") != NULL);
    EXPECT(png_load(&c, CS_DT_F32, 2, flat) == CS_OK);
    EXPECT(c.t && c.t->rank == 2 && c.t->dims[1] == 16);
    EXPECT(strstr(c.notes, "[N,H*W*C] flattened") != NULL && strstr(c.notes, "resized 4x2 -> 4x4") != NULL);
    EXPECT(png_load(&c, CS_DT_U8, 3, chw) == CS_OK);
    if (c.t)
        EXPECT(c.t->dtype == CS_DT_U8 && ((uint8_t *)c.t->data)[7] == 85);
    EXPECT(strstr(c.notes, "CHW") != NULL && strstr(c.notes, "raw pixel values for an integer input") != NULL);
    png_close(&c);
}

TEST(corrupt_image_and_bad_mean_are_errors)
{
    png_case c;
    png_open(&c, "bad.png");
    write_file(c.png, "\x89PNG\r\n\x1a\nnot really", 18);
    const int64_t dims[4] = {1, 1, 2, 4};
    EXPECT(png_load(&c, CS_DT_F32, 4, dims) == CS_ERR_FORMAT);
    EXPECT(strstr(c.err.msg, "bad.png") != NULL && c.t == NULL);
    write_rgb_png(c.png);
    c.o.n_mean = 3;
    EXPECT(png_load(&c, CS_DT_F32, 4, dims) == CS_ERR_ARG);
    EXPECT(strstr(c.err.msg, "--mean has 3 values but input 'x' gets 1 channel") != NULL);
    png_close(&c);
}

/* Writes a 3-sample 2x2 IDX dataset with labels 0, 2, 1 into dir. */
static void write_idx_dataset(const char *dir, char *images, char *labels, size_t size)
{
    unsigned char buf[64];
    uint32_t idims[3] = {3, 2, 2}, ldims[1] = {3};
    snprintf(images, size, "%s/img-idx3-ubyte.gz", dir);
    snprintf(labels, size, "%s/lbl-idx1-ubyte", dir);
    write_gz(images, buf, make_idx_u8(buf, 3, idims, 12, 0));
    size_t n = make_idx_u8(buf, 1, ldims, 3, 0);
    buf[n - 3] = 0, buf[n - 2] = 2, buf[n - 1] = 1;
    write_file(labels, buf, n);
}

TEST(dataset_idx_pair_gives_labels_images_and_range_errors)
{
    char dir[64], im[128], lb[128], spec[300];
    temp_dir(dir, sizeof dir);
    write_idx_dataset(dir, im, lb, sizeof im);
    snprintf(spec, sizeof spec, "idx:%s:%s", im, lb);
    cs_dataset *ds = NULL;
    cs_error err = {0};
    EXPECT(cs_dataset_open(spec, &ds, &err) == CS_OK);
    if (ds) {
        cs_image img = {0};
        EXPECT(cs_dataset_count(ds) == 3 && cs_dataset_n_classes(ds) == 3 && cs_dataset_label(ds, 1) == 2);
        EXPECT(cs_dataset_image(ds, 2, &img, &err) == CS_OK);
        EXPECT(img.h == 2 && img.w == 2 && img.c == 1 && img.px && img.px[0] == 8);
        cs_image_free(&img);
        EXPECT(cs_dataset_image(ds, 3, &img, &err) == CS_ERR_ARG);
        char want[400];
        snprintf(want, sizeof want, "%s:3: index out of range (3 samples)", spec);
        EXPECT(strcmp(err.msg, want) == 0);
    }
    cs_dataset_free(ds);
    remove(im), remove(lb), rmdir(dir);
}

TEST(input_dataset_sample_out_of_range_names_the_sample_count)
{
    char dir[64], im[128], lb[128], spec[300], notes[1024];
    temp_dir(dir, sizeof dir);
    write_idx_dataset(dir, im, lb, sizeof im);
    cs_input_opts o;
    cs_input_opts_default(&o);
    const int64_t dims[4] = {1, 1, 2, 2};
    cs_graph *g = graph_with_input(CS_DT_F32, 4, dims, "onnx");
    cs_tensor *t = NULL;
    cs_error err = {0};
    snprintf(spec, sizeof spec, "idx:%s:%s:1", im, lb);
    EXPECT(cs_input_load(g, 0, spec, &o, &t, notes, sizeof notes, &err) == CS_OK);
    EXPECT(t && ((float *)t->data)[3] == (float)(7 / 255.0));
    EXPECT(strstr(notes, "#1 (label 2 '2')") != NULL);
    cs_tensor_free(t);
    snprintf(spec, sizeof spec, "idx:%s:%s:3", im, lb);
    EXPECT(cs_input_load(g, 0, spec, &o, &t, notes, sizeof notes, &err) == CS_ERR_ARG);
    EXPECT(strstr(err.msg, ":3: index out of range (3 samples)") != NULL);
    cs_graph_free(g);
    remove(im), remove(lb), rmdir(dir);
}

TEST(dataset_fashion_mnist_missing_package_says_what_to_install)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    const char *old = getenv("CONVSCOPE_DATASETS");
    char *saved = old ? strdup(old) : NULL;
    setenv("CONVSCOPE_DATASETS", dir, 1);
    cs_dataset *ds = NULL;
    cs_error err = {0};
    EXPECT(cs_dataset_open("fashion-mnist:test", &ds, &err) == CS_ERR_IO);
    EXPECT(strstr(err.msg, "install the Debian package dataset-fashion-mnist") != NULL);
    EXPECT(cs_dataset_open("fashion-mnist:valid", &ds, &err) == CS_ERR_ARG);
    if (saved)
        setenv("CONVSCOPE_DATASETS", saved, 1);
    else
        unsetenv("CONVSCOPE_DATASETS");
    free(saved);
    rmdir(dir);
}

TEST(dataset_fashion_mnist_test_has_10000_samples_when_installed)
{
    if (access(CS_DATASET_ROOT "/fashion-mnist/t10k-images-idx3-ubyte.gz", R_OK) != 0 || getenv("CONVSCOPE_DATASETS"))
        return;
    cs_dataset *ds = NULL;
    cs_error err = {0};
    EXPECT(cs_dataset_open("fashion-mnist:test", &ds, &err) == CS_OK);
    if (!ds)
        return;
    EXPECT(cs_dataset_count(ds) == 10000 && cs_dataset_n_classes(ds) == 10);
    EXPECT(cs_dataset_label(ds, 0) == 9 && strcmp(cs_dataset_class_name(ds, 9), "Ankle boot") == 0);
    EXPECT(cs_dataset_check_index(ds, 10000, &err) == CS_ERR_ARG);
    EXPECT(strcmp(err.msg, "fashion-mnist:test:10000: index out of range (10000 samples)") == 0);
    cs_dataset_free(ds);
}

TEST(dataset_folder_classes_are_sorted_subfolders)
{
    char dir[64], sub[128], png[160];
    temp_dir(dir, sizeof dir);
    const char *classes[2] = {"zebra", "ant"};
    for (int k = 0; k < 2; k++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, classes[k]);
        mkdir(sub, 0700);
        for (int i = 0; i <= k; i++) {
            snprintf(png, sizeof png, "%s/%d.png", sub, i);
            write_rgb_png(png);
        }
    }
    cs_dataset *ds = NULL;
    cs_error err = {0};
    EXPECT(cs_dataset_open(dir, &ds, &err) == CS_OK);
    if (ds) {
        cs_image img = {0};
        EXPECT(cs_dataset_count(ds) == 3 && cs_dataset_n_classes(ds) == 2);
        EXPECT(strcmp(cs_dataset_class_name(ds, 0), "ant") == 0 && cs_dataset_label(ds, 2) == 1);
        EXPECT(cs_dataset_image(ds, 2, &img, &err) == CS_OK && img.w == 4 && img.h == 2 && img.c == 3);
        cs_image_free(&img);
    }
    cs_dataset_free(ds);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i <= k; i++) {
            snprintf(png, sizeof png, "%s/%s/%d.png", dir, classes[k], i);
            remove(png);
        }
        snprintf(sub, sizeof sub, "%s/%s", dir, classes[k]);
        rmdir(sub);
    }
    rmdir(dir);
}
