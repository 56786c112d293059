/* coreml.c — the CoreML loader entry: .mlmodel files and .mlpackage directories (Manifest.json), the
 * model description (inputs with feature types) and dispatch to NeuralNetwork or ML Program conversion. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../fileio.h"
#include "../model.h"
#include "coreml_internal.h"

#define MAX_MODEL_BYTES ((size_t)2 << 30)

typedef CoreML__Specification__FeatureDescription cm_feature;

/* Finds the root model spec of a package through Manifest.json; *spec and *dir are malloc'd paths. */
static cs_status package_paths(const char *pkg, char **spec, char **dir, cs_error *err)
{
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s/Manifest.json", pkg);
    if (cs_check_regular(manifest, err) != CS_OK)
        return err->status;
    json_error_t jerr;
    json_t *root = json_load_file(manifest, 0, &jerr);
    if (!root)
        return cs_error_set(err, CS_ERR_FORMAT, "%s: Manifest.json is missing or not valid JSON (line %d: %s)", pkg,
                            jerr.line, jerr.text);
    const char *id = json_string_value(json_object_get(root, "rootModelIdentifier"));
    json_t *entry = id ? json_object_get(json_object_get(root, "itemInfoEntries"), id) : NULL;
    const char *rel = json_string_value(json_object_get(entry, "path"));
    if (!rel || strstr(rel, "..") || rel[0] == '/') {
        json_decref(root);
        return cs_error_set(err, CS_ERR_FORMAT, "%s: Manifest.json has no usable rootModelIdentifier entry with a "
                            "relative path", pkg);
    }
    size_t n = strlen(pkg) + strlen(rel) + 16;
    char data_rel[4096];
    snprintf(data_rel, sizeof data_rel, "Data/%s", rel);
    *spec = malloc(n);
    *dir = malloc(n);
    if (*spec && *dir && cs_confined_path(pkg, data_rel, "model spec", *spec, n, err) != CS_OK) {
        json_decref(root);
        return err->status;
    }
    if (*spec && *dir) {
        snprintf(*spec, n, "%s/Data/%s", pkg, rel);
        snprintf(*dir, n, "%s", *spec);
        char *slash = strrchr(*dir, '/');
        if (slash)
            *slash = 0;
    }
    json_decref(root);
    return *spec && *dir ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", pkg);
}

/* The IR shape of a multi-array feature: exact, or CoreML's rank-5 mapping folded to [N, C, H, W]. */
static void array_shape(const cm_loader *ld, const CoreML__Specification__ArrayFeatureType *a, cs_value *v)
{
    size_t n = a->n_shape;
    if (ld->exact_mapping || ld->spec_version >= 5 || n == 0 || n > 3) {
        v->rank = n <= CS_MAX_RANK ? (int)n : -1;
        for (int i = 0; i < v->rank; i++)
            v->dims[i] = a->shape[i];
        return;
    }
    v->rank = 4; /* [C] -> [1,C,1,1]; [C,H,W] -> [1,C,H,W] */
    v->dims[0] = 1;
    v->dims[1] = a->shape[0];
    v->dims[2] = n == 3 ? a->shape[1] : 1;
    v->dims[3] = n == 3 ? a->shape[2] : 1;
    if (n == 2) {
        v->dims[2] = a->shape[1];
        v->dims[3] = 1;
    }
    v->layout = CS_LAYOUT_NCHW;
}

static cs_status declare_input(cm_loader *ld, const cm_feature *f)
{
    if (!f->name || !*f->name)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "an input feature has no name");
    int vi = cs_graph_value(ld->lw.g, f->name);
    if (vi < 0 || !cs_graph_add_input(ld->lw.g, vi))
        return cs_lower_nomem(&ld->lw);
    cs_value *v = &ld->lw.g->values[vi];
    v->dtype = CS_DT_F32;
    const CoreML__Specification__FeatureType *t = f->type;
    if (t && t->type_case == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_IMAGE_TYPE) {
        const CoreML__Specification__ImageFeatureType *im = t->imagetype;
        int c = im->colorspace == CORE_ML__SPECIFICATION__IMAGE_FEATURE_TYPE__COLOR_SPACE__RGB ||
                        im->colorspace == CORE_ML__SPECIFICATION__IMAGE_FEATURE_TYPE__COLOR_SPACE__BGR
                    ? 3 : 1;
        if (im->width <= 0 || im->height <= 0 || im->width > 65536 || im->height > 65536)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "image input '%s' has an impossible size %lldx%lld", f->name,
                                 (long long)im->width, (long long)im->height);
        v->rank = 4;
        v->dims[0] = 1;
        v->dims[1] = c;
        v->dims[2] = im->height;
        v->dims[3] = im->width;
        v->layout = CS_LAYOUT_NCHW;
        v->raw_pixels = true;
        v->bgr = im->colorspace == CORE_ML__SPECIFICATION__IMAGE_FEATURE_TYPE__COLOR_SPACE__BGR;
    } else if (t && t->type_case == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE) {
        array_shape(ld, t->multiarraytype, v);
    } else if (t && (t->type_case == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_DOUBLE_TYPE ||
                     t->type_case == CORE_ML__SPECIFICATION__FEATURE_TYPE__TYPE_INT64_TYPE)) {
        v->rank = 1;
        v->dims[0] = 1;
    } else {
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "input '%s' has a feature type convscope cannot feed (only images, "
                             "multi-arrays and numbers)", f->name);
    }
    return CS_OK;
}

cs_status cm_declare_inputs(cm_loader *ld, const CoreML__Specification__Model *m)
{
    const CoreML__Specification__ModelDescription *d = m->description;
    if (!d || d->n_input == 0)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "the model description declares no inputs");
    for (size_t i = 0; i < d->n_input; i++)
        if (declare_input(ld, d->input[i]) != CS_OK)
            return ld->lw.err->status;
    return CS_OK;
}

static void set_producer(cm_loader *ld, const CoreML__Specification__Model *m)
{
    char buf[512] = "coreml";
    const CoreML__Specification__Metadata *md = m->description ? m->description->metadata : NULL;
    for (size_t i = 0; md && i < md->n_userdefined; i++)
        if (md->userdefined[i]->key && strcmp(md->userdefined[i]->key, "com.github.apple.coremltools.version") == 0)
            snprintf(buf, sizeof buf, "coremltools %s", md->userdefined[i]->value ? md->userdefined[i]->value : "");
    if (md && md->shortdescription && *md->shortdescription && strcmp(buf, "coreml") == 0)
        snprintf(buf, sizeof buf, "%.500s", md->shortdescription);
    cs_graph_set_producer(ld->lw.g, buf);
}

static cs_status convert(cm_loader *ld, const CoreML__Specification__Model *m)
{
    ld->spec_version = m->specificationversion;
    ld->lw.g->ir_version = m->specificationversion;
    ld->lw.g->opset = 13;
    set_producer(ld, m);
    switch (m->type_case) {
    case CORE_ML__SPECIFICATION__MODEL__TYPE_NEURAL_NETWORK:
    case CORE_ML__SPECIFICATION__MODEL__TYPE_NEURAL_NETWORK_CLASSIFIER:
    case CORE_ML__SPECIFICATION__MODEL__TYPE_NEURAL_NETWORK_REGRESSOR:
        return cm_nn_load(ld, m);
    case CORE_ML__SPECIFICATION__MODEL__TYPE_ML_PROGRAM:
        return cm_mil_load(ld, m);
    default: {
        uint32_t tag = 0;
        for (size_t i = 0; i < m->base.n_unknown_fields; i++)
            if (m->base.unknown_fields[i].tag >= 200)
                tag = m->base.unknown_fields[i].tag;
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                             "model type %u (Model field number) is not a neural network or ML "
                             "Program; convscope runs only those", tag);
    }
    }
}

static void loader_free(cm_loader *ld)
{
    for (int i = 0; i < ld->n_aliases; i++)
        free(ld->alias_name[i]);
    free(ld->weights_dir);
}

cs_status cs_coreml_load(const char *path, cs_graph **out, cs_error *err)
{
    *out = NULL;
    struct stat st_;
    char *spec = NULL, *dir = NULL;
    if (stat(path, &st_) == 0 && S_ISDIR(st_.st_mode)) {
        if (package_paths(path, &spec, &dir, err) != CS_OK) {
            free(spec);
            free(dir);
            return err->status;
        }
    }
    uint8_t *buf;
    size_t len;
    cs_status st = cs_read_file(spec ? spec : path, MAX_MODEL_BYTES, &buf, &len, err);
    free(spec);
    if (st != CS_OK) {
        free(dir);
        return st;
    }
    CoreML__Specification__Model *m = core_ml__specification__model__unpack(NULL, len, buf);
    free(buf);
    if (!m) {
        free(dir);
        return cs_error_set(err, CS_ERR_FORMAT, "%s: not a valid CoreML model (truncated or corrupt protobuf)", path);
    }
    cm_loader ld = {.lw = {.path = path, .err = err, .layer = -1, .layer_names_first = true}, .weights_dir = dir};
    ld.lw.g = cs_graph_new(path, "coreml");
    st = ld.lw.g ? convert(&ld, m) : cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
    core_ml__specification__model__free_unpacked(m, NULL);
    loader_free(&ld);
    if (st != CS_OK) {
        cs_graph_free(ld.lw.g);
        return st;
    }
    *out = ld.lw.g;
    return CS_OK;
}
