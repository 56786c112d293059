/* model.c — format detection by content (magic bytes, zip entry names, directory layout)
 * and dispatch to the per-format loaders declared in model.h. */
#include "model.h"
#include "precision.h"

#include "fileio.h"

#include <stdio.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

const char *cs_format_name(cs_format f)
{
    switch (f) {
    case CS_FORMAT_ONNX: return "onnx";
    case CS_FORMAT_TORCHSCRIPT: return "torchscript";
    case CS_FORMAT_TORCH_PICKLE: return "torch-checkpoint";
    case CS_FORMAT_COREML: return "coreml";
    case CS_FORMAT_KERAS_H5: return "keras-h5";
    case CS_FORMAT_KERAS_V3: return "keras";
    default: return "unknown";
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Classifies a zip archive by its entry names: TorchScript has code/, a checkpoint data.pkl, Keras 3 config.json. */
static cs_format classify_zip(const char *path)
{
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z)
        return CS_FORMAT_UNKNOWN;
    bool has_code = false, has_pkl = false, has_keras = false;
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        if (!name)
            continue;
        if (strstr(name, "/code/") || strncmp(name, "code/", 5) == 0)
            has_code = true;
        if (ends_with(name, "data.pkl"))
            has_pkl = true;
        if (strcmp(name, "config.json") == 0 || strcmp(name, "model.weights.h5") == 0)
            has_keras = true;
    }
    zip_close(z);
    if (has_keras)
        return CS_FORMAT_KERAS_V3;
    if (has_pkl)
        return has_code ? CS_FORMAT_TORCHSCRIPT : CS_FORMAT_TORCH_PICKLE;
    return CS_FORMAT_UNKNOWN;
}

cs_format cs_model_detect(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return CS_FORMAT_UNKNOWN;
    if (S_ISDIR(st.st_mode))
        return ends_with(path, ".mlpackage") || ends_with(path, ".mlpackage/") ? CS_FORMAT_COREML : CS_FORMAT_UNKNOWN;
    if (!S_ISREG(st.st_mode))
        return CS_FORMAT_UNKNOWN; /* a FIFO or device: never opened (it could block) */
    unsigned char magic[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return CS_FORMAT_UNKNOWN;
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    if (got >= 4 && memcmp(magic, "PK\x03\x04", 4) == 0)
        return classify_zip(path);
    if (got >= 8 && memcmp(magic, "\x89HDF\r\n\x1a\n", 8) == 0)
        return CS_FORMAT_KERAS_H5;
    if (got >= 2 && magic[0] == 0x80 && magic[1] <= 5) /* legacy torch.save: a raw pickle stream */
        return CS_FORMAT_TORCH_PICKLE;
    if (ends_with(path, ".mlmodel"))
        return CS_FORMAT_COREML;
    if (ends_with(path, ".onnx") || ends_with(path, ".pb") || (got >= 1 && magic[0] == 0x08))
        return CS_FORMAT_ONNX; /* ModelProto starts with field 1 (ir_version, varint) */
    return CS_FORMAT_UNKNOWN;
}

static const char *keras_arch;
static const char *ts_args[16];
static int n_ts_args;

bool cs_model_add_ts_arg(const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1] || n_ts_args >= 16)
        return false;
    ts_args[n_ts_args++] = spec;
    return true;
}

const char *cs_model_ts_arg(const char *name)
{
    size_t len = strlen(name);
    for (int k = n_ts_args - 1; k >= 0; k--)
        if (strncmp(ts_args[k], name, len) == 0 && ts_args[k][len] == '=')
            return ts_args[k] + len + 1;
    return NULL;
}

void cs_model_set_keras_arch(const char *json_path)
{
    keras_arch = json_path;
}

const char *cs_model_keras_arch(void)
{
    return keras_arch;
}

static cs_status load_any(const char *path, cs_graph **out, cs_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_error_set(err, CS_ERR_IO, "%s: no such file or directory", path);
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return cs_check_regular(path, err);
    switch (cs_model_detect(path)) {
    case CS_FORMAT_ONNX: return cs_onnx_load(path, out, err);
    case CS_FORMAT_TORCHSCRIPT: return cs_torchscript_load(path, out, err);
    case CS_FORMAT_TORCH_PICKLE: return cs_torch_checkpoint_load(path, out, err);
    case CS_FORMAT_COREML: return cs_coreml_load(path, out, err);
    case CS_FORMAT_KERAS_H5:
    case CS_FORMAT_KERAS_V3: return cs_keras_load(path, out, err);
    default:
        return cs_error_set(err, CS_ERR_FORMAT,
                            "%s: unrecognised model format (expected ONNX, TorchScript, PyTorch checkpoint, CoreML or Keras)",
                            path);
    }
}

cs_status cs_model_load(const char *path, cs_graph **out, cs_error *err)
{
    cs_status st = load_any(path, out, err);
    if (st == CS_OK)
        cs_precision_apply(*out);
    return st;
}
