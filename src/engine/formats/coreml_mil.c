/* coreml_mil.c — CoreML ML Programs (MIL) to the IR: the main function's block, typed values, immediate and
 * weight.bin constants; each MIL operation becomes one source layer (ops: coreml_mil_ops.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fileio.h"
#include "coreml_mil.h"

cs_dtype mil_dtype(int t)
{
    switch (t) {
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__FLOAT16:
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__FLOAT32:
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__FLOAT64: return CS_DT_F32; /* computed in f32 */
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__INT32: return CS_DT_I32;
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__INT64: return CS_DT_I64;
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__BOOL: return CS_DT_BOOL;
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__INT8: return CS_DT_I8;
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__UINT8: return CS_DT_U8;
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__INT16:
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__UINT16: return CS_DT_I32;
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__UINT32: return CS_DT_I64; /* constexpr shapes */
    default: return CS_DT_UNDEFINED;
    }
}

/* Shape of a tensor ValueType; false when unknown or not a tensor. */
static bool tensor_shape(const mil_type *vt, int *rank, int64_t *dims, int *dtype)
{
    if (!vt || vt->type_case != CORE_ML__SPECIFICATION__MILSPEC__VALUE_TYPE__TYPE_TENSOR_TYPE)
        return false;
    const CoreML__Specification__MILSpec__TensorType *t = vt->tensortype;
    if (t->n_dimensions > CS_MAX_RANK || t->rank != (int64_t)t->n_dimensions)
        return false;
    *rank = (int)t->n_dimensions;
    *dtype = t->datatype;
    for (int i = 0; i < *rank; i++) {
        const CoreML__Specification__MILSpec__Dimension *d = t->dimensions[i];
        dims[i] = d->dimension_case == CORE_ML__SPECIFICATION__MILSPEC__DIMENSION__DIMENSION_CONSTANT &&
                          d->constant->size <= ((uint64_t)1 << 40) ? (int64_t)d->constant->size : -1;
    }
    return true;
}

void mil_declare(cm_loader *ld, int v, const mil_type *vt)
{
    int rank, dt;
    int64_t dims[CS_MAX_RANK];
    if (v < 0 || !tensor_shape(vt, &rank, dims, &dt))
        return;
    cs_value *val = &ld->lw.g->values[v];
    val->dtype = mil_dtype(dt);
    val->fp16 = dt == CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__FLOAT16;
    val->rank = rank;
    memcpy(val->dims, dims, sizeof dims);
    if (rank == 4 && val->layout == CS_LAYOUT_UNKNOWN)
        val->layout = CS_LAYOUT_NCHW;
}

/* Element size of an immediate stored as bytes (fp16, 8-, 16- and 32-bit integers little-endian). */
static size_t bytes_per(int dt)
{
    switch (dt) {
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__FLOAT16:
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__INT16:
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__UINT16: return 2;
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__UINT32: return 4;
    default: return 1;
    }
}

static double bytes_value(const uint8_t *b, int64_t i, int dt)
{
    size_t w = bytes_per(dt);
    uint32_t u = 0;
    for (size_t k = 0; k < w; k++)
        u |= (uint32_t)b[i * (int64_t)w + (int64_t)k] << (8 * k);
    switch (dt) {
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__FLOAT16: return cs_f16_to_f32((uint16_t)u);
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__INT8: return (double)(int8_t)u;
    case CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__INT16: return (double)(int16_t)u;
    default: return (double)u;
    }
}

static cs_status immediate(cm_loader *ld, const CoreML__Specification__MILSpec__TensorValue *tv, int dt, cs_tensor *t)
{
    int64_t n = cs_tensor_numel(t);
    size_t have = 0;
    switch (tv ? tv->value_case : 0) {
    case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_FLOATS: have = tv->floats->n_values; break;
    case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_INTS: have = tv->ints->n_values; break;
    case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_BOOLS: have = tv->bools->n_values; break;
    case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_LONG_INTS: have = tv->longints->n_values; break;
    case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_DOUBLES: have = tv->doubles->n_values; break;
    case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_BYTES:
        have = tv->bytes->values.len / bytes_per(dt);
        break;
    default: return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "a constant of an unsupported kind");
    }
    if ((int64_t)have != n)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "an immediate value holds %zu items, its type needs %lld", have,
                             (long long)n);
    for (int64_t i = 0; i < n; i++) {
        double v;
        switch (tv->value_case) {
        case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_FLOATS: v = tv->floats->values[i]; break;
        case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_INTS: v = tv->ints->values[i]; break;
        case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_BOOLS: v = tv->bools->values[i]; break;
        case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_LONG_INTS:
            cs_tensor_set_i64(t, i, tv->longints->values[i]);
            continue;
        case CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_DOUBLES: v = tv->doubles->values[i]; break;
        default: {
            const uint8_t *b = tv->bytes->values.data;
            v = bytes_value(b, i, dt);
        }
        }
        cs_tensor_set_f64(t, i, v);
    }
    return CS_OK;
}

/* "@model_path/weights/weight.bin" -> "<package data dir>/weights/weight.bin" */
static cs_status blob_path(cm_loader *ld, const char *name, char *out, size_t size)
{
    const char *prefix = "@model_path/";
    if (!ld->weights_dir)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                             "a constant lives in '%s', but a plain .mlmodel has no weights directory "
                             "(open the .mlpackage)", name ? name : "");
    if (!name || strncmp(name, prefix, strlen(prefix)) != 0 || strstr(name, ".."))
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "weight file name '%s' is not under @model_path/",
                             name ? name : "");
    if (cs_confined_path(ld->weights_dir, name + strlen(prefix), "weight file", out, size, ld->lw.err) != CS_OK) {
        cs_error_prefix(ld->lw.err, "%s: ", ld->lw.path);
        return ld->lw.err->status;
    }
    return CS_OK;
}

const CoreML__Specification__MILSpec__TensorValue *immediate_tensor(const mil_value *val)
{
    if (!val || val->value_case != CORE_ML__SPECIFICATION__MILSPEC__VALUE__VALUE_IMMEDIATE_VALUE ||
        !val->immediatevalue ||
        val->immediatevalue->value_case != CORE_ML__SPECIFICATION__MILSPEC__VALUE__IMMEDIATE_VALUE__VALUE_TENSOR)
        return NULL; /* the oneof may hold a tuple, list or dictionary instead */
    return val->immediatevalue->tensor;
}

cs_status mil_value_tensor(cm_loader *ld, const mil_value *val, cs_tensor **out, cs_dtype *stored, char **str)
{
    int rank = 0, dt = 0;
    int64_t dims[CS_MAX_RANK];
    *out = NULL;
    if (str)
        *str = NULL;
    if (!val || !tensor_shape(val->type, &rank, dims, &dt))
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "a constant that is not a tensor of known shape");
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "a constant with an unknown dimension");
    if (dt == CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__STRING) {
        const CoreML__Specification__MILSpec__TensorValue *tv =
            immediate_tensor(val);
        if (!str || !tv || tv->value_case != CORE_ML__SPECIFICATION__MILSPEC__TENSOR_VALUE__VALUE_STRINGS ||
            tv->strings->n_values != 1)
            return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED,
                                 "a string constant that is not a single immediate string");
        *str = strdup(tv->strings->values[0]);
        return *str ? CS_OK : cs_lower_nomem(&ld->lw);
    }
    cs_dtype cdt = mil_dtype(dt);
    if (cdt == CS_DT_UNDEFINED)
        return cs_lower_fail(&ld->lw, CS_ERR_UNSUPPORTED, "a constant of MIL data type %d", dt);
    *stored = dt == CORE_ML__SPECIFICATION__MILSPEC__DATA_TYPE__FLOAT16 ? CS_DT_F16 : cdt;
    if (val->value_case == CORE_ML__SPECIFICATION__MILSPEC__VALUE__VALUE_BLOB_FILE_VALUE) {
        char path[4096];
        int64_t n;
        if (blob_path(ld, val->blobfilevalue->filename, path, sizeof path) != CS_OK ||
            !cs_shape_numel(rank, dims, &n))
            return ld->lw.err->status ? ld->lw.err->status : cs_lower_fail(&ld->lw, CS_ERR_FORMAT,
                                                                           "impossible constant shape");
        return cm_blob_read(ld, path, val->blobfilevalue->offset, n, rank, dims, out, stored);
    }
    if (val->value_case != CORE_ML__SPECIFICATION__MILSPEC__VALUE__VALUE_IMMEDIATE_VALUE)
        return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "a constant without a value");
    cs_tensor *t = cs_tensor_new(cdt, rank, dims, ld->lw.err);
    if (!t)
        return cs_lower_nomem(&ld->lw);
    const CoreML__Specification__MILSpec__TensorValue *imm = immediate_tensor(val);
    cs_status st = imm ? immediate(ld, imm, dt, t)
                       : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "a constant whose immediate value is not a tensor");
    if (st != CS_OK)
        cs_tensor_free(t);
    else
        *out = t;
    return st;
}

static const mil_block *main_block(cm_loader *ld, const CoreML__Specification__MILSpec__Program *p,
                                   const CoreML__Specification__MILSpec__Function **fn)
{
    *fn = NULL;
    for (size_t i = 0; i < p->n_functions; i++)
        if (!*fn || (p->functions[i]->key && strcmp(p->functions[i]->key, "main") == 0))
            *fn = p->functions[i]->value;
    if (!*fn) {
        cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "the ML Program has no functions");
        return NULL;
    }
    const mil_block *b = NULL;
    for (size_t i = 0; i < (*fn)->n_block_specializations; i++)
        if (!b || ((*fn)->opset && (*fn)->block_specializations[i]->key &&
                   strcmp((*fn)->block_specializations[i]->key, (*fn)->opset) == 0))
            b = (*fn)->block_specializations[i]->value;
    if (!b)
        cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "the main function has no block");
    return b;
}

static cs_status declare_inputs(cm_loader *ld, const CoreML__Specification__MILSpec__Function *fn)
{
    if (cm_declare_inputs(ld, ld->model) != CS_OK)
        return ld->lw.err->status;
    for (size_t i = 0; i < fn->n_inputs; i++) {
        const char *name = fn->inputs[i]->name;
        int v = name ? cs_graph_find_value(ld->lw.g, name) : -1;
        if (v < 0)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "function input '%s' is not a model input", name ? name : "");
        bool raw = ld->lw.g->values[v].raw_pixels;
        mil_declare(ld, v, fn->inputs[i]->type);
        ld->lw.g->values[v].dtype = CS_DT_F32;
        ld->lw.g->values[v].raw_pixels = raw;
    }
    return CS_OK;
}

cs_status cm_mil_load(cm_loader *ld, const CoreML__Specification__Model *m)
{
    const CoreML__Specification__MILSpec__Function *fn;
    ld->model = m;
    const mil_block *b = main_block(ld, m->mlprogram, &fn);
    if (!b || declare_inputs(ld, fn) != CS_OK)
        return ld->lw.err->status;
    mil_state ms = {0};
    cs_status st = CS_OK;
    for (size_t i = 0; st == CS_OK && i < b->n_operations; i++)
        st = mil_operation(ld, &ms, b->operations[i]);
    mil_state_free(&ms);
    if (st != CS_OK)
        return st;
    ld->lw.where[0] = 0;
    for (size_t i = 0; i < b->n_outputs; i++) {
        int v = cm_blob(ld, b->outputs[i]);
        if (v < 0)
            return ld->lw.err->status;
        if (ld->lw.g->values[v].producer < 0)
            return cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "block output '%s' is not produced by any operation",
                                 b->outputs[i]);
        if (!cs_graph_add_output(ld->lw.g, v))
            return cs_lower_nomem(&ld->lw);
    }
    return b->n_outputs ? CS_OK : cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "the main block has no outputs");
}
