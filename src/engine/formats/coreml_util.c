/* coreml_util.c — helpers of the CoreML loader beyond the lowering kit (lower.h): blob names and their
 * aliases, and the generic params-to-attributes copy. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coreml_internal.h"

bool cm_alias(cm_loader *ld, const char *name, int value)
{
    for (int i = 0; i < ld->n_aliases; i++)
        if (strcmp(ld->alias_name[i], name) == 0) {
            ld->alias_value[i] = value;
            return true;
        }
    if (ld->n_aliases >= CM_MAX_ALIASES || !(ld->alias_name[ld->n_aliases] = strdup(name)))
        return false;
    ld->alias_value[ld->n_aliases++] = value;
    return true;
}

int cm_blob(cm_loader *ld, const char *name)
{
    if (!name || !*name) {
        cs_lower_fail(&ld->lw, CS_ERR_FORMAT, "a blob name is empty");
        return -1;
    }
    for (int i = 0; i < ld->n_aliases; i++)
        if (strcmp(ld->alias_name[i], name) == 0)
            return ld->alias_value[i];
    int v = cs_graph_value(ld->lw.g, name);
    if (v < 0)
        cs_lower_nomem(&ld->lw);
    return v;
}

/* ---- params message -> attributes ---- */

static bool field_scalar(cs_attrs *a, const char *name, const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        return cs_attrs_add_int(a, name, *(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return cs_attrs_add_int(a, name, *(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return cs_attrs_add_int(a, name, *(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return cs_attrs_add_int(a, name, (int64_t)*(const uint64_t *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return cs_attrs_add_int(a, name, *(const protobuf_c_boolean *)p ? 1 : 0);
    case PROTOBUF_C_TYPE_FLOAT:
        return cs_attrs_add_float(a, name, *(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return cs_attrs_add_float(a, name, *(const double *)p);
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
        return ev ? cs_attrs_add_string(a, name, ev->name) : cs_attrs_add_int(a, name, *(const int *)p);
    }
    case PROTOBUF_C_TYPE_STRING:
        return cs_attrs_add_string(a, name, *(char *const *)p ? *(char *const *)p : "");
    default:
        return true; /* bytes: weight data, not an attribute */
    }
}

static bool field_repeated(cs_attrs *a, const char *name, const ProtobufCFieldDescriptor *f, size_t n, const void *p)
{
    if (n > 4096)
        return true; /* a data array, not a parameter */
    if (f->type == PROTOBUF_C_TYPE_FLOAT || f->type == PROTOBUF_C_TYPE_DOUBLE) {
        double *v = malloc((n + 1) * sizeof *v);
        for (size_t i = 0; v && i < n; i++)
            v[i] = f->type == PROTOBUF_C_TYPE_FLOAT ? ((const float *)p)[i] : ((const double *)p)[i];
        bool ok = v && cs_attrs_add_floats(a, name, v, (int)n);
        free(v);
        return ok;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES)
        return true;
    int64_t *v = malloc((n + 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        switch (f->type) {
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: v[i] = (int64_t)((const uint64_t *)p)[i]; break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            v[i] = ((const int64_t *)p)[i]; break;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: v[i] = ((const uint32_t *)p)[i]; break;
        case PROTOBUF_C_TYPE_BOOL: v[i] = ((const protobuf_c_boolean *)p)[i] ? 1 : 0; break;
        default: v[i] = ((const int32_t *)p)[i]; break;
        }
    }
    bool ok = v && cs_attrs_add_ints(a, name, v, (int)n);
    free(v);
    return ok;
}

static bool oneof_inactive(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return false;
    return *(const uint32_t *)((const char *)msg + f->quantifier_offset) != f->id;
}

static cs_status params_walk(cm_loader *ld, cs_attrs *a, const ProtobufCMessage *msg, const char *prefix, int depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *p = (const char *)msg + f->offset;
        char name[200];
        snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", f->name);
        if (oneof_inactive(msg, f))
            continue;
        bool ok = true;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)((const char *)msg + f->quantifier_offset);
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth < 4 && n <= 8) {
                ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)p;
                for (size_t k = 0; k < n; k++) {
                    char sub[240];
                    snprintf(sub, sizeof sub, "%s[%zu]", name, k);
                    if (arr[k] && params_walk(ld, a, arr[k], sub, depth + 1) != CS_OK)
                        return ld->lw.err->status;
                }
            } else if (n) {
                ok = field_repeated(a, name, f, n, *(void *const *)p);
            }
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
            if (!sub || depth >= 4 || sub->descriptor == &core_ml__specification__weight_params__descriptor)
                continue;
            int before = a->count;
            if (params_walk(ld, a, sub, name, depth + 1) != CS_OK)
                return ld->lw.err->status;
            if (a->count == before)
                ok = cs_attrs_add_int(a, name, 1); /* an empty message that selects an option ("same") */
        } else {
            ok = field_scalar(a, name, f, p);
        }
        if (!ok)
            return cs_lower_nomem(&ld->lw);
    }
    return CS_OK;
}

cs_status cm_params_to_attrs(cm_loader *ld, const ProtobufCMessage *msg, const char *prefix)
{
    if (!msg || ld->lw.layer < 0)
        return CS_OK;
    return params_walk(ld, &ld->lw.g->layers[ld->lw.layer].attrs, msg, prefix, 0);
}
