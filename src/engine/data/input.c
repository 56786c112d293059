/* input.c — dispatches an input SPEC by its form (dataset sample, .npy, .pb, image), feeds tensors
 * exactly as stored, and fits images and dataset samples to the model input through a pixel plan. */
#include "input.h"
#include "../value.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../formats/onnx.h"
#include "dataset.h"
#include "image.h"
#include "npy.h"
#include "preprocess.h"

void cs_input_opts_default(cs_input_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->scale = 1.0 / 255.0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static bool is_image_path(const char *s)
{
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".pnm", ".gif", ".tga"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (has_suffix(s, ext[i]))
            return true;
    return false;
}

/* A tensor fed as stored must fit the declared shape (unknown dims match anything). */
static cs_status check_exact(const cs_value *v, const cs_tensor *t, const char *spec, cs_error *err)
{
    char s1[160], s2[160];
    bool ok = v->rank < 0 || v->rank == t->rank;
    for (int i = 0; ok && v->rank >= 0 && i < t->rank; i++)
        ok = v->dims[i] < 0 || v->dims[i] == t->dims[i];
    if (!ok)
        return cs_error_set(err, CS_ERR_SHAPE, "%s: tensor shape %s does not fit input '%s' of shape %s", spec,
                            cs_shape_str(t->rank, t->dims, s1, sizeof s1), v->name,
                            cs_shape_str(v->rank, v->dims, s2, sizeof s2));
    if (v->dtype != CS_DT_UNDEFINED && v->dtype != t->dtype)
        return cs_error_set(err, CS_ERR_SHAPE, "%s: tensor dtype %s does not fit input '%s' of dtype %s", spec,
                            cs_dtype_name(t->dtype), v->name, cs_dtype_name(v->dtype));
    return CS_OK;
}

static cs_status load_tensor(const cs_value *v, const char *spec, cs_tensor **out, char *notes, size_t notes_size,
                             cs_error *err)
{
    cs_status st = has_suffix(spec, ".npy") ? cs_npy_read(spec, out, err)
                                            : cs_onnx_read_value_file(spec, v->kind, out, err);
    if (st == CS_OK && (st = check_exact(v, *out, spec, err)) != CS_OK) {
        cs_tensor_free(*out);
        *out = NULL;
    }
    if (st == CS_OK) {
        char s[160];
        if ((*out)->kind != CS_VALUE_TENSOR)
            snprintf(notes, notes_size, "input '%s': %s, %s %d value(s), fed exactly as stored\n", v->name, spec,
                     (*out)->kind == CS_VALUE_SEQUENCE ? "a sequence of" : "an optional holding", (*out)->n_items);
        else
            snprintf(notes, notes_size, "input '%s': %s %s %s fed exactly as stored (no resize, scale or mean/std)\n",
                     v->name, spec, cs_dtype_name((*out)->dtype), cs_shape_str((*out)->rank, (*out)->dims, s,
                                                                              sizeof s));
    }
    return st;
}

cs_status cs_input_from_pixels(const cs_graph *g, int input, const uint8_t *px, int h, int w, int c,
                               const char *source, const cs_input_opts *opts, cs_tensor **out, char *notes,
                               size_t notes_size, cs_error *err)
{
    cs_pixel_plan plan;
    *out = NULL;
    cs_status st = cs_pixel_plan_make(g, input, h, w, c, opts, &plan, err);
    cs_tensor *t = st == CS_OK ? cs_pixel_plan_tensor(&plan, plan.declared_batch > 1 ? plan.declared_batch : 1, err)
                               : NULL;
    if (st == CS_OK && !t)
        st = err ? err->status : CS_ERR_NOMEM;
    int64_t n = t && plan.batch_axis >= 0 ? t->dims[plan.batch_axis] : 1;
    for (int64_t b = 0; st == CS_OK && b < n; b++)
        st = cs_pixel_plan_fill(&plan, px, h, w, c, t, b, err);
    if (st != CS_OK) {
        cs_tensor_free(t);
        return st;
    }
    if (notes && notes_size)
        cs_pixel_plan_describe(&plan, source, h, w, c, notes, notes_size);
    *out = t;
    return CS_OK;
}

cs_status cs_input_new_batch(const cs_graph *g, int input, int h, int w, int c, int64_t n, const cs_input_opts *opts,
                             cs_tensor **out, char *notes, size_t notes_size, cs_error *err)
{
    cs_pixel_plan plan;
    cs_status st = cs_pixel_plan_make(g, input, h, w, c, opts, &plan, err);
    if (st != CS_OK)
        return st;
    if (!(*out = cs_pixel_plan_tensor(&plan, n, err)))
        return err ? err->status : CS_ERR_NOMEM;
    if (notes && notes_size) {
        char src[64];
        snprintf(src, sizeof src, "batch of %lld images", (long long)n);
        cs_pixel_plan_describe(&plan, src, h, w, c, notes, notes_size);
    }
    return CS_OK;
}

cs_status cs_input_fill_batch(const cs_graph *g, int input, const uint8_t *px, int h, int w, int c,
                              const cs_input_opts *opts, cs_tensor *batch, int64_t b, cs_error *err)
{
    cs_pixel_plan plan;
    cs_status st = cs_pixel_plan_make(g, input, h, w, c, opts, &plan, err);
    if (st == CS_OK)
        st = cs_pixel_plan_fill(&plan, px, h, w, c, batch, b, err);
    return st;
}

static cs_status load_image(const cs_graph *g, int input, const char *spec, const cs_input_opts *opts,
                            cs_tensor **out, char *notes, size_t notes_size, cs_error *err)
{
    cs_image img = {0};
    cs_status st = cs_image_read(spec, &img, err);
    if (st != CS_OK && !is_image_path(spec)) {
        char reason[CS_ERROR_MSG_MAX];
        snprintf(reason, sizeof reason, "%s", err ? err->msg : "not an image");
        return cs_error_set(err, CS_ERR_ARG, "%s: unrecognised input (expected an image, .npy, .pb, "
                            "fashion-mnist:test:INDEX or idx:IMAGES:LABELS:INDEX): %s", spec, reason);
    }
    char src[1100];
    snprintf(src, sizeof src, "image %s", spec);
    if (st == CS_OK)
        st = cs_input_from_pixels(g, input, img.px, img.h, img.w, img.c, src, opts, out, notes, notes_size, err);
    cs_image_free(&img);
    return st;
}

static cs_status load_sample(const cs_graph *g, int input, const char *spec, const cs_input_opts *opts,
                             cs_tensor **out, char *notes, size_t notes_size, cs_error *err)
{
    char name[4096], src[4400];
    int64_t index = 0;
    cs_dataset *ds = NULL;
    cs_image img = {0};
    cs_status st = cs_dataset_split_sample(spec, name, sizeof name, &index, err);
    if (st == CS_OK)
        st = cs_dataset_open(name, &ds, err);
    if (st == CS_OK)
        st = cs_dataset_image(ds, index, &img, err);
    if (st == CS_OK)
        st = cs_input_from_pixels(g, input, img.px, img.h, img.w, img.c,
                                  cs_dataset_describe(ds, index, src, sizeof src), opts, out, notes, notes_size, err);
    cs_image_free(&img);
    cs_dataset_free(ds);
    return st;
}

cs_status cs_input_load(const cs_graph *g, int input, const char *spec, const cs_input_opts *opts, cs_tensor **out,
                        char *notes, size_t notes_size, cs_error *err)
{
    *out = NULL;
    if (notes_size)
        notes[0] = 0;
    if (input < 0 || input >= g->n_inputs)
        return cs_error_set(err, CS_ERR_ARG, "%s: the model has no input number %d", g->path, input);
    const cs_value *v = &g->values[g->inputs[input]];
    if (has_suffix(spec, ".npy") || has_suffix(spec, ".pb"))
        return load_tensor(v, spec, out, notes, notes_size, err);
    if (cs_dataset_is_sample_spec(spec))
        return load_sample(g, input, spec, opts, out, notes, notes_size, err);
    return load_image(g, input, spec, opts, out, notes, notes_size, err);
}
