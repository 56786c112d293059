/* lower.c — the lowering kit shared by the readers (lower.h): messages naming file and place, constants and
 * nodes linked to the current layer, a transpose and weight references. */
#include "lower.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/ops.h"

cs_status cs_lower_fail(const cs_lower *lw, cs_status st, const char *fmt, ...)
{
    char reason[CS_ERROR_MSG_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (lw->where[0])
        return cs_error_set(lw->err, st, "%s: %s: %s", lw->path, lw->where, reason);
    return cs_error_set(lw->err, st, "%s: %s", lw->path, reason);
}

cs_status cs_lower_nomem(const cs_lower *lw)
{
    return cs_lower_fail(lw, CS_ERR_NOMEM, "out of memory");
}

cs_status cs_lower_layer(cs_lower *lw, const char *name, const char *type, int parent)
{
    snprintf(lw->where, sizeof lw->where, "layer '%s' (%s)", name, type);
    lw->layer = cs_graph_add_layer(lw->g, name, type, parent);
    return lw->layer < 0 ? cs_lower_nomem(lw) : CS_OK;
}

void cs_lower_enter(cs_lower *lw, int layer)
{
    lw->layer = layer >= 0 && layer < lw->g->n_layers ? layer : -1;
    if (lw->layer < 0)
        lw->where[0] = 0;
    else
        snprintf(lw->where, sizeof lw->where, "layer '%s' (%s)", lw->g->layers[layer].name,
                 lw->g->layers[layer].type);
}

static const char *layer_name(const cs_lower *lw, const char *none)
{
    return lw->layer >= 0 ? lw->g->layers[lw->layer].name : none;
}

int cs_lower_tmp(cs_lower *lw, const char *hint)
{
    char name[300];
    snprintf(name, sizeof name, "%s/%s", layer_name(lw, lw->g->format), hint);
    int v = cs_graph_new_value(lw->g, name);
    if (v < 0)
        cs_lower_nomem(lw);
    return v;
}

int cs_lower_const(cs_lower *lw, const char *hint, cs_tensor *t)
{
    if (!t)
        return -1;
    char name[300];
    snprintf(name, sizeof name, "%s/%s", layer_name(lw, lw->g->format), hint);
    int v = lw->exact_names && cs_graph_find_value(lw->g, name) < 0 ? cs_graph_value(lw->g, name)
                                                                     : cs_graph_new_value(lw->g, name);
    if (v < 0) {
        cs_tensor_free(t);
        cs_lower_nomem(lw);
        return -1;
    }
    if (cs_graph_add_constant(lw->g, lw->g->values[v].name, t) < 0) {
        cs_lower_nomem(lw);
        return -1;
    }
    return v;
}

int cs_lower_const_i64(cs_lower *lw, const char *hint, const int64_t *v, int n)
{
    int64_t d = n;
    cs_tensor *t = cs_tensor_new(CS_DT_I64, 1, &d, lw->err);
    if (t && n)
        memcpy(t->data, v, (size_t)n * sizeof *v);
    return cs_lower_const(lw, hint, t);
}

int cs_lower_const_f32(cs_lower *lw, const char *hint, const float *v, int rank, const int64_t *dims)
{
    cs_tensor *t = cs_tensor_new(CS_DT_F32, rank, dims, lw->err);
    if (t && t->nbytes)
        memcpy(t->data, v, t->nbytes);
    return cs_lower_const(lw, hint, t);
}

int cs_lower_const_scalar(cs_lower *lw, const char *hint, float v)
{
    int64_t one = 1;
    return cs_lower_const_f32(lw, hint, &v, 0, &one);
}

static void node_name(const cs_lower *lw, const char *op, char *name, size_t size)
{
    const cs_layer *L = lw->layer >= 0 ? &lw->g->layers[lw->layer] : NULL;
    const char *lname = layer_name(lw, lw->g->format);
    if (lw->layer_names_first && L && L->n_nodes == 0)
        snprintf(name, size, "%s", lname);
    else
        snprintf(name, size, "%s/%s_%d", lname, op, lw->layer_names_first && L ? L->n_nodes : lw->g->n_nodes);
}

int cs_lower_node_in(cs_lower *lw, const char *domain, const char *op, const int *ins, int n_ins, const int *outs,
                     int n_outs)
{
    for (int i = 0; i < n_ins; i++)
        if (ins[i] < -1 || ins[i] >= lw->g->n_values) {
            cs_lower_fail(lw, CS_ERR_FORMAT, "internal: bad input value");
            return -1;
        }
    for (int o = 0; o < n_outs; o++)
        if (outs[o] >= 0 && (lw->g->values[outs[o]].producer >= 0 || lw->g->values[outs[o]].data)) {
            cs_lower_fail(lw, CS_ERR_FORMAT, "blob '%s' is produced twice", lw->g->values[outs[o]].name);
            return -1;
        }
    char name[700];
    node_name(lw, op, name, sizeof name);
    int n = cs_graph_add_node(lw->g, op, name, ins, n_ins, outs, n_outs);
    if (n < 0 || (lw->layer >= 0 && !cs_layer_add_node(lw->g, lw->layer, n))) {
        cs_lower_nomem(lw);
        return -1;
    }
    if (domain && *domain) {
        free(lw->g->nodes[n].domain);
        if (!(lw->g->nodes[n].domain = strdup(domain))) {
            cs_lower_nomem(lw);
            return -1;
        }
    }
    return n;
}

int cs_lower_node(cs_lower *lw, const char *op, const int *ins, int n_ins, const int *outs, int n_outs)
{
    return cs_lower_node_in(lw, NULL, op, ins, n_ins, outs, n_outs);
}

int cs_lower_node1(cs_lower *lw, const char *op, int in, int out)
{
    return cs_lower_node(lw, op, &in, 1, &out, 1);
}

int cs_lower_op(cs_lower *lw, const char *domain, const char *op, const int *ins, int n_ins, int *node)
{
    int out = cs_graph_new_value(lw->g, layer_name(lw, op));
    if (out < 0) {
        cs_lower_nomem(lw);
        return -1;
    }
    int n = cs_lower_node_in(lw, domain, op, ins, n_ins, &out, 1);
    if (node)
        *node = n;
    return n < 0 ? -1 : out;
}

cs_attrs *cs_lower_attrs(cs_lower *lw, int node)
{
    return &lw->g->nodes[node].attrs;
}

cs_status cs_lower_infer(cs_lower *lw, int node)
{
    const cs_op_def *def = cs_ops_find(lw->g->nodes[node].domain, lw->g->nodes[node].op);
    return def && def->infer ? cs_infer_outputs(lw->g, node, lw->err) : CS_OK;
}

int cs_lower_transpose(cs_lower *lw, int v, const int *perm, int rank)
{
    if (rank < 0 || rank > CS_MAX_RANK) {
        cs_lower_fail(lw, CS_ERR_UNSUPPORTED, "a transpose of rank %d", rank);
        return -1;
    }
    int64_t p[CS_MAX_RANK];
    for (int i = 0; i < rank; i++)
        p[i] = perm[i];
    int node, out = cs_lower_op(lw, NULL, "Transpose", &v, 1, &node);
    if (out < 0)
        return -1;
    if (!cs_attrs_add_ints(cs_lower_attrs(lw, node), "perm", p, rank)) {
        cs_lower_nomem(lw);
        return -1;
    }
    return cs_lower_infer(lw, node) == CS_OK ? out : -1;
}

cs_status cs_lower_weight_ref(cs_lower *lw, const char *name, int value, cs_layout layout, cs_dtype stored)
{
    if (lw->layer < 0 || !cs_layer_add_weight_ref(lw->g, lw->layer, name, value, layout))
        return cs_lower_nomem(lw);
    cs_layer *L = &lw->g->layers[lw->layer];
    if (stored)
        L->weights[L->n_weights - 1].stored_dtype = stored;
    return CS_OK;
}
