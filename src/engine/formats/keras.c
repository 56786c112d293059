/* keras.c — the Keras model loader: a Keras 2 .h5 (model_config + model_weights) or a Keras 3 .keras zip
 * (config.json, metadata.json, model.weights.h5 opened from memory) into the IR, in Keras's own layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fileio.h"
#include "../model.h"
#include "h5_sandbox.h"
#include "keras_internal.h"
#include "zipfile.h"

#define KS_MAX_JSON ((size_t)64 << 20)

static void close_store(ks_store *s)
{
    if (s->root >= 0 && s->root != s->file)
        H5Gclose(s->root);
    if (s->file >= 0)
        H5Fclose(s->file);
    s->root = s->file = -1;
}

static void set_version(ks_loader *ld, const char *v)
{
    snprintf(ld->keras_version, sizeof ld->keras_version, "%s", v && *v ? v : "unknown");
    ld->keras_major = v && v[0] >= '3' && v[0] <= '9' && v[1] == '.' ? v[0] - '0' : 2;
}

static cs_status parse_config(ks_loader *ld, const char *text, const char *what, json_t **out)
{
    json_error_t je;
    *out = json_loads(text, JSON_DECODE_ANY, &je);
    if (!*out)
        return cs_error_set(ld->err, CS_ERR_FORMAT, "%s: %s is not valid JSON (line %d: %s)", ld->path, what, je.line,
                            je.text);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return cs_error_set(ld->err, CS_ERR_FORMAT, "%s: %s is not a Keras model (not a JSON object)", ld->path, what);
    }
    return CS_OK;
}

/* The architecture for a weights-only file, from the --arch JSON (Keras model.to_json()). */
static cs_status read_arch(ks_loader *ld, const char *arch, json_t **config)
{
    uint8_t *z = NULL;
    size_t len = 0;
    cs_status st = cs_read_file(arch, KS_MAX_JSON, &z, &len, ld->err);
    if (st != CS_OK)
        return st;
    char what[600];
    snprintf(what, sizeof what, "the architecture %s", arch);
    st = parse_config(ld, (const char *)z, what, config);
    free(z);
    return st;
}

/* Returns CS_OK with *config NULL for a weights-only file loaded as such (no --arch). */
static cs_status open_h5(ks_loader *ld, json_t **config)
{
    ld->store.file = cs_h5_open_sandboxed(ld->path, NULL, 0, ld->err); /* libhdf5 parses in a child process */
    if (ld->store.file < 0)
        return ld->err->status ? ld->err->status
                               : cs_error_set(ld->err, CS_ERR_FORMAT, "%s: not a readable HDF5 file (truncated or "
                                              "corrupt)", ld->path);
    char *cfg = ks_h5_attr_string(ld->store.file, "model_config");
    char *ver = ks_h5_attr_string(ld->store.file, "keras_version");
    set_version(ld, ver);
    free(ver);
    if (!cfg && ks_is_weights_file(ld->store.file)) { /* model.save_weights(): layer groups at the root */
        ld->store.root = ld->store.file;
        const char *arch = cs_model_keras_arch();
        return arch ? read_arch(ld, arch, config) : ks_load_weights_only(ld);
    }
    if (!cfg)
        return cs_error_set(ld->err, CS_ERR_FORMAT,
                            "%s: no model_config attribute: the HDF5 file holds no Keras model architecture "
                            "(and no layer_names of a save_weights file)", ld->path);
    cs_status st = parse_config(ld, cfg, "model_config", config);
    free(cfg);
    if (H5Lexists(ld->store.file, "model_weights", H5P_DEFAULT) > 0)
        ld->store.root = H5Gopen2(ld->store.file, "model_weights", H5P_DEFAULT);
    else
        ld->store.root = ld->store.file;
    return st;
}

/* Opens an in-memory HDF5 image through the core driver. */
static cs_status open_h5_image(ks_loader *ld, unsigned char *buf, size_t len)
{
    ld->store.file = cs_h5_open_sandboxed(ld->path, buf, len, ld->err); /* libhdf5 parses in a child process */
    if (ld->store.file < 0)
        return ld->err->status ? ld->err->status
                               : cs_error_set(ld->err, CS_ERR_FORMAT, "%s: model.weights.h5 is not a readable HDF5 "
                                              "file", ld->path);
    ld->store.root = ld->store.file;
    ld->store.v3_layout = true;
    return CS_OK;
}

static cs_status open_keras_zip(ks_loader *ld, json_t **config)
{
    cs_zip *z = cs_zip_open(ld->path, ld->err);
    if (!z)
        return ld->err->status;
    unsigned char *text = NULL, *weights = NULL;
    size_t len = 0;
    cs_zip_set_prefix(z, "");
    cs_status st = cs_zip_read_rel(z, "config.json", KS_MAX_JSON, &text, &len, ld->err);
    if (st == CS_OK)
        st = parse_config(ld, (const char *)text, "config.json", config);
    free(text);
    text = NULL;
    if (st == CS_OK && cs_zip_find_rel(z, "metadata.json") >= 0 &&
        cs_zip_read_rel(z, "metadata.json", KS_MAX_JSON, &text, &len, ld->err) == CS_OK) {
        json_t *meta = json_loads((const char *)text, 0, NULL);
        set_version(ld, json_string_value(json_object_get(meta, "keras_version")));
        json_decref(meta);
    } else if (st == CS_OK) {
        set_version(ld, "3");
    }
    free(text);
    if (st == CS_OK && cs_zip_find_rel(z, "model.weights.h5") < 0)
        st = cs_error_set(ld->err, CS_ERR_FORMAT, "%s: the .keras archive has no model.weights.h5", ld->path);
    if (st == CS_OK)
        st = cs_zip_read_rel(z, "model.weights.h5", 0, &weights, &len, ld->err);
    if (st == CS_OK)
        st = open_h5_image(ld, weights, len);
    free(weights);
    cs_zip_close(z);
    return st;
}

static bool is_zip(const char *path)
{
    unsigned char magic[4] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(magic, 1, 4, f) : 0;
    if (f)
        fclose(f);
    return got == 4 && memcmp(magic, "PK\x03\x04", 4) == 0;
}

static void set_producer(ks_loader *ld, json_t *config)
{
    char producer[160];
    const char *backend = json_string_value(json_object_get(config, "backend"));
    snprintf(producer, sizeof producer, "Keras %s%s%s", ld->keras_version, backend ? " " : "", backend ? backend : "");
    cs_graph_set_producer(ld->g, producer);
    ld->g->opset = 13;
}

cs_status cs_keras_load(const char *path, cs_graph **out, cs_error *err)
{
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported as values, never printed by libhdf5 */
    cs_graph *g = cs_graph_new(path, "keras");
    if (!g)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
    ks_loader ld = {.g = g, .path = path, .err = err, .store = {.file = -1, .root = -1}, .keras_major = 2};
    json_t *config = NULL;
    cs_status st = is_zip(path) ? open_keras_zip(&ld, &config) : open_h5(&ld, &config);
    if (st == CS_OK && !config) { /* weights only */
        char producer[96];
        snprintf(producer, sizeof producer, "Keras %s save_weights", ld.keras_version);
        cs_graph_set_producer(g, producer);
    } else if (st == CS_OK) {
        set_producer(&ld, config);
        st = ks_build_model(&ld, config);
    }
    json_decref(config);
    close_store(&ld.store);
    if (st != CS_OK) {
        cs_graph_free(g);
        return st;
    }
    *out = g;
    return CS_OK;
}
