/* onnx.c — the ONNX model loader: ModelProto (via protobuf-c and Debian's onnx.proto) to the IR.
 * Every ONNX node becomes one IR node and one source layer; Constant nodes become constant values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fileio.h"
#include "../model.h"
#include "onnx_internal.h"
#include "pb_file.h"

#define MAX_MODEL_BYTES ((size_t)4 << 30)

typedef struct loader {
    cs_graph *g;
    const char *path;
    cs_error *err;
    int depth;             /* subgraph nesting (0: the main graph) */
    const char *dir;       /* the model's folder: external data must stay inside it */
} loader;

#define MAX_SUBGRAPH_DEPTH 16

static cs_status load_subgraph(loader *ld, const Onnx__GraphProto *gp, const char *where, cs_graph **out);
static cs_status add_captured_inputs(loader *ld, const cs_attrs *attrs, const char *label, int *ins, int *n_ins);

static cs_status fail(loader *ld, cs_status st, const char *fmt, const char *a, const char *b)
{
    char reason[CS_ERROR_MSG_MAX / 2];
    snprintf(reason, sizeof reason, fmt, a, b);
    return cs_error_set(ld->err, st, "%s: %s", ld->path, reason);
}

static int64_t find_opset(const Onnx__ModelProto *m)
{
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *op = m->opset_import[i];
        if (!op->domain || !*op->domain || strcmp(op->domain, "ai.onnx") == 0)
            return op->has_version ? op->version : 1;
    }
    return m->n_opset_import ? 1 : 1;
}

/* Converts one attribute; GRAPH becomes a subgraph when `graphs` (else skipped), unknown kinds are skipped. */
static cs_status convert_attr(loader *ld, cs_attrs *attrs, const Onnx__AttributeProto *a, const char *where,
                              bool graphs)
{
    const char *name = a->name ? a->name : "";
    bool ok = true;
    cs_tensor *t = NULL;
    switch (a->type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: ok = cs_attrs_add_float(attrs, name, a->f); break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: ok = cs_attrs_add_int(attrs, name, a->i); break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
        char *s = malloc(a->s.len + 1);
        if (!s)
            return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
        if (a->s.len)
            memcpy(s, a->s.data, a->s.len);
        s[a->s.len] = 0;
        ok = cs_attrs_add_string(attrs, name, s);
        free(s);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: {
        double *v = malloc((a->n_floats + 1) * sizeof(double));
        if (!v)
            return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
        for (size_t i = 0; i < a->n_floats; i++)
            v[i] = a->floats[i];
        ok = cs_attrs_add_floats(attrs, name, v, (int)a->n_floats);
        free(v);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: ok = cs_attrs_add_ints(attrs, name, a->ints, (int)a->n_ints); break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
        char **v = calloc(a->n_strings + 1, sizeof(char *));
        for (size_t i = 0; v && i < a->n_strings; i++) {
            v[i] = malloc(a->strings[i].len + 1);
            if (v[i]) {
                if (a->strings[i].len)
                    memcpy(v[i], a->strings[i].data, a->strings[i].len);
                v[i][a->strings[i].len] = 0;
            }
        }
        ok = v && cs_attrs_add_strings(attrs, name, (const char *const *)v, (int)a->n_strings);
        for (size_t i = 0; v && i < a->n_strings; i++)
            free(v[i]);
        free(v);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
        if (!a->t)
            return fail(ld, CS_ERR_FORMAT, "%s: attribute '%s' has no tensor", where, name);
        if (cs_onnx_tensor_convert(a->t, &t, ld->err) != CS_OK) {
            cs_error_prefix(ld->err, "%s: %s: attribute '%s': ", ld->path, where, name);
            return ld->err->status;
        }
        ok = cs_attrs_add_tensor(attrs, name, t);
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: {
        cs_graph *sub = NULL;
        if (!graphs)
            return CS_OK;
        if (!a->g)
            return fail(ld, CS_ERR_FORMAT, "%s: attribute '%s' has no graph", where, name);
        if (load_subgraph(ld, a->g, where, &sub) != CS_OK)
            return ld->err->status;
        ok = cs_attrs_add_graph(attrs, name, sub);
        break;
    }
    default:
        return CS_OK;
    }
    return ok ? CS_OK : cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
}

/* The tensor a Constant node defines, from whichever value_* attribute it carries. */
static cs_status constant_value(loader *ld, const cs_attrs *attrs, const char *where, cs_tensor **out)
{
    const cs_attr *a = NULL;
    int64_t one = 1;
    if ((a = cs_attrs_find(attrs, "value")) && a->type == CS_ATTR_TENSOR) {
        *out = cs_tensor_clone(a->tensor, ld->err);
    } else if ((a = cs_attrs_find(attrs, "value_float"))) {
        *out = cs_tensor_new(CS_DT_F32, 0, &one, ld->err);
        if (*out)
            ((float *)(*out)->data)[0] = (float)a->f;
    } else if ((a = cs_attrs_find(attrs, "value_int"))) {
        *out = cs_tensor_new(CS_DT_I64, 0, &one, ld->err);
        if (*out)
            ((int64_t *)(*out)->data)[0] = a->i;
    } else if ((a = cs_attrs_find(attrs, "value_floats")) && a->type == CS_ATTR_FLOATS) {
        int64_t n = a->count;
        *out = cs_tensor_new(CS_DT_F32, 1, &n, ld->err);
        for (int i = 0; *out && i < a->count; i++)
            ((float *)(*out)->data)[i] = (float)a->floats[i];
    } else if ((a = cs_attrs_find(attrs, "value_ints")) && a->type == CS_ATTR_INTS) {
        int64_t n = a->count;
        *out = cs_tensor_new(CS_DT_I64, 1, &n, ld->err);
        for (int i = 0; *out && i < a->count; i++)
            ((int64_t *)(*out)->data)[i] = a->ints[i];
    } else {
        return fail(ld, CS_ERR_UNSUPPORTED, "%s: Constant without a supported value attribute%s", where, "");
    }
    return *out ? CS_OK : ld->err->status;
}

static void declare_value_info(cs_graph *g, int v, const Onnx__ValueInfoProto *vi)
{
    const Onnx__TypeProto *tp = vi->type;
    cs_value *val = &g->values[v];
    if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE)
        val->kind = CS_VALUE_SEQUENCE;
    if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE)
        val->kind = CS_VALUE_OPTIONAL;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return;
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->has_elem_type)
        val->dtype = (cs_dtype)tt->elem_type;
    if (tt->shape && tt->shape->n_dim <= CS_MAX_RANK) {
        val->rank = (int)tt->shape->n_dim;
        for (size_t i = 0; i < tt->shape->n_dim; i++) {
            const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
            val->dims[i] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? d->dim_value : -1;
        }
        if (val->rank == 4)
            val->layout = CS_LAYOUT_NCHW;
    }
}

static cs_status load_initializers(loader *ld, const Onnx__GraphProto *gp)
{
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        cs_tensor *t;
        if (!tp->name || !*tp->name)
            return fail(ld, CS_ERR_FORMAT, "initializer %s has no name%s", "", "");
        if (cs_onnx_tensor_convert_in(tp, ld->dir, &t, ld->err) != CS_OK) {
            cs_error_prefix(ld->err, "%s: initializer: ", ld->path);
            return ld->err->status;
        }
        if (cs_graph_find_value(ld->g, tp->name) >= 0) {
            cs_tensor_free(t);
            return fail(ld, CS_ERR_FORMAT, "initializer '%s' is defined twice%s", tp->name, "");
        }
        if (cs_graph_add_constant(ld->g, tp->name, t) < 0)
            return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    }
    return CS_OK;
}

static cs_status load_io(loader *ld, const Onnx__GraphProto *gp)
{
    cs_graph *g = ld->g;
    for (size_t i = 0; i < gp->n_input; i++) {
        const char *name = gp->input[i]->name ? gp->input[i]->name : "";
        int v = cs_graph_find_value(g, name);
        if (v >= 0 && g->values[v].data)
            continue; /* an initializer also listed as an input (IR < 4): treat as constant */
        v = cs_graph_value(g, name);
        if (v < 0 || !cs_graph_add_input(g, v))
            return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
        declare_value_info(g, v, gp->input[i]);
    }
    for (size_t i = 0; i < gp->n_output; i++) {
        int v = cs_graph_value(g, gp->output[i]->name ? gp->output[i]->name : "");
        if (v < 0 || !cs_graph_add_output(g, v))
            return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
        declare_value_info(g, v, gp->output[i]);
    }
    return CS_OK;
}

static int value_for(cs_graph *g, const char *name)
{
    if (!name || !*name)
        return -1; /* an absent optional input or output */
    return cs_graph_value(g, name);
}

/* The constant behind v, looking through Identity nodes of constants (exporters emit those for
 * de-duplicated initializers); -1 when v is computed. */
static int weight_value(const cs_graph *g, int v)
{
    v = cs_graph_skip_identity(g, v);
    return v >= 0 && g->values[v].data ? v : -1;
}

/* The layout the op gives its constant input i: a Conv kernel OIHW, a Gemm's B [O,I] under transB else [I,O],
 * a MatMul's right operand [I,O]; unknown otherwise. */
static cs_layout weight_layout(const cs_node *node, const char *op, int i, int rank)
{
    if (i == 1 && rank == 4 && strcmp(op, "Conv") == 0)
        return CS_LAYOUT_OIHW;
    if (i == 1 && rank == 2 && strcmp(op, "Gemm") == 0)
        return cs_attrs_int(&node->attrs, "transB", 0) ? CS_LAYOUT_OI : CS_LAYOUT_IO;
    if (i == 1 && rank == 2 && strcmp(op, "MatMul") == 0)
        return CS_LAYOUT_IO;
    return CS_LAYOUT_UNKNOWN;
}

/* One source layer per ONNX node: its name, op type and attributes, its initializer inputs as weights. */
static cs_status add_layer(loader *ld, int node_idx, const Onnx__NodeProto *np, const char *label)
{
    cs_graph *g = ld->g;
    int layer = cs_graph_add_layer(g, label, np->op_type, -1);
    if (layer < 0 || !cs_layer_add_node(g, layer, node_idx))
        return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    for (size_t a = 0; a < np->n_attribute; a++)
        if (convert_attr(ld, &g->layers[layer].attrs, np->attribute[a], label, false) != CS_OK)
            return ld->err->status;
    const cs_node *node = &g->nodes[node_idx];
    for (int i = 0; i < node->n_inputs; i++) {
        int v = weight_value(g, node->inputs[i]);
        if (v >= 0 && g->values[v].data->rank > 0) {
            cs_layout lay = weight_layout(node, np->op_type, i, g->values[v].data->rank);
            if (!cs_layer_add_weight_ref(g, layer, g->values[v].name, v, lay))
                return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
        }
    }
    for (int o = 0; o < node->n_outputs; o++)
        if (node->outputs[o] >= 0 && !cs_layer_add_output(g, layer, node->outputs[o]))
            return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    return CS_OK;
}

static cs_status load_constant_node(loader *ld, const Onnx__NodeProto *np, const char *label)
{
    cs_attrs attrs = {0};
    cs_status st = CS_OK;
    for (size_t a = 0; st == CS_OK && a < np->n_attribute; a++)
        st = convert_attr(ld, &attrs, np->attribute[a], label, false);
    cs_tensor *t = NULL;
    if (st == CS_OK)
        st = constant_value(ld, &attrs, label, &t);
    cs_attrs_free(&attrs);
    if (st != CS_OK)
        return st;
    if (np->n_output != 1 || !np->output[0] || !*np->output[0]) {
        cs_tensor_free(t);
        return fail(ld, CS_ERR_FORMAT, "node '%s' (Constant) must have exactly one output%s", label, "");
    }
    int existing = cs_graph_find_value(ld->g, np->output[0]);
    if (existing >= 0 && (ld->g->values[existing].data || ld->g->values[existing].producer >= 0)) {
        cs_tensor_free(t);
        return fail(ld, CS_ERR_FORMAT, "value '%s' is defined more than once (Constant node '%s')", np->output[0],
                    label);
    }
    if (cs_graph_add_constant(ld->g, np->output[0], t) < 0)
        return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    return CS_OK;
}

static cs_status load_node(loader *ld, size_t index, const Onnx__NodeProto *np)
{
    cs_graph *g = ld->g;
    char label[256];
    if (!np->op_type || !*np->op_type)
        return fail(ld, CS_ERR_FORMAT, "node %s has no op_type%s", np->name ? np->name : "?", "");
    if (np->name && *np->name)
        snprintf(label, sizeof label, "%s", np->name);
    else
        snprintf(label, sizeof label, "%s_%zu", np->op_type, index);
    bool default_domain = !np->domain || !*np->domain || strcmp(np->domain, "ai.onnx") == 0;
    if (default_domain && strcmp(np->op_type, "Constant") == 0)
        return load_constant_node(ld, np, label);
    if (np->n_input > 64 || np->n_output > 64)
        return fail(ld, CS_ERR_UNSUPPORTED, "node '%s' (%s) has more than 64 inputs or outputs", label, np->op_type);
    cs_attrs attrs = {0};
    int ins[64], outs[64], n_ins = (int)np->n_input;
    cs_status st = CS_OK;
    for (size_t a = 0; st == CS_OK && a < np->n_attribute; a++)
        st = convert_attr(ld, &attrs, np->attribute[a], label, true);
    for (size_t i = 0; st == CS_OK && i < np->n_input; i++)
        if ((ins[i] = value_for(g, np->input[i])) < -1 || (np->input[i] && *np->input[i] && ins[i] < 0))
            st = cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    if (st == CS_OK)
        st = add_captured_inputs(ld, &attrs, label, ins, &n_ins);
    for (size_t o = 0; st == CS_OK && o < np->n_output; o++) {
        outs[o] = value_for(g, np->output[o]);
        if (outs[o] >= 0 && (g->values[outs[o]].producer >= 0 || g->values[outs[o]].data))
            st = fail(ld, CS_ERR_FORMAT, "value '%s' is defined more than once (node '%s')", np->output[o], label);
    }
    int n = st == CS_OK ? cs_graph_add_node(g, np->op_type, label, ins, n_ins, outs, (int)np->n_output) : -1;
    if (st == CS_OK && n < 0)
        st = cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    if (st != CS_OK) {
        cs_attrs_free(&attrs);
        return st;
    }
    g->nodes[n].attrs = attrs;
    free(g->nodes[n].domain);
    g->nodes[n].domain = strdup(default_domain ? "" : np->domain);
    return add_layer(ld, n, np, label);
}

/* Values of the graph a node's subgraphs read by name become extra trailing inputs of the node, after the
 * inputs ONNX lists: the executor then orders the node after their producers and keeps them alive for it. */
static cs_status add_captured_inputs(loader *ld, const cs_attrs *attrs, const char *label, int *ins, int *n_ins)
{
    for (int a = 0; a < attrs->count; a++) {
        const cs_graph *sub = attrs->items[a].type == CS_ATTR_GRAPH ? attrs->items[a].graph : NULL;
        for (int c = 0; sub && c < sub->n_captures; c++) {
            int v = cs_graph_value(ld->g, sub->values[sub->captures[c]].name);
            if (v < 0)
                return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
            bool seen = false;
            for (int i = 0; i < *n_ins; i++)
                seen = seen || ins[i] == v;
            if (seen)
                continue;
            if (*n_ins >= 64)
                return fail(ld, CS_ERR_UNSUPPORTED, "node '%s' reads more than 64 values%s", label, "");
            ins[(*n_ins)++] = v;
        }
    }
    return CS_OK;
}

/* Initializers, inputs and outputs, nodes and value infos of a GraphProto into ld->g. */
static cs_status load_body(loader *ld, const Onnx__GraphProto *gp)
{
    cs_graph *g = ld->g;
    cs_status st = load_initializers(ld, gp);
    if (st == CS_OK)
        st = load_io(ld, gp);
    for (size_t i = 0; st == CS_OK && i < gp->n_node; i++)
        st = load_node(ld, i, gp->node[i]);
    for (size_t i = 0; st == CS_OK && i < gp->n_value_info; i++) {
        int v = cs_graph_find_value(g, gp->value_info[i]->name ? gp->value_info[i]->name : "");
        if (v >= 0 && !g->values[v].data)
            declare_value_info(g, v, gp->value_info[i]);
    }
    return st;
}

static cs_status load_subgraph(loader *ld, const Onnx__GraphProto *gp, const char *where, cs_graph **out)
{
    *out = NULL;
    if (ld->depth >= MAX_SUBGRAPH_DEPTH)
        return fail(ld, CS_ERR_UNSUPPORTED, "%s: subgraphs are nested more than 16 deep%s", where, "");
    cs_graph *sub = cs_graph_new(ld->path, "onnx");
    if (!sub)
        return cs_error_set(ld->err, CS_ERR_NOMEM, "%s: out of memory", ld->path);
    sub->opset = ld->g->opset;
    sub->ir_version = ld->g->ir_version;
    loader sl = {sub, ld->path, ld->err, ld->depth + 1, ld->dir};
    cs_status st = load_body(&sl, gp);
    if (st == CS_OK)
        st = cs_graph_find_captures(sub) ? CS_OK
                                         : cs_error_set(sl.err, CS_ERR_NOMEM, "%s: out of memory", sl.path);
    if (st != CS_OK) {
        cs_graph_free(sub);
        return st;
    }
    *out = sub;
    return CS_OK;
}

static cs_status load_graph(loader *ld, const Onnx__ModelProto *m)
{
    const Onnx__GraphProto *gp = m->graph;
    if (!gp)
        return fail(ld, CS_ERR_FORMAT, "the model has no graph%s%s", "", "");
    cs_graph *g = ld->g;
    g->opset = find_opset(m);
    g->ir_version = m->has_ir_version ? m->ir_version : 0;
    char producer[256];
    snprintf(producer, sizeof producer, "%s%s%s", m->producer_name ? m->producer_name : "",
             m->producer_version && *m->producer_version ? " " : "", m->producer_version ? m->producer_version : "");
    cs_graph_set_producer(g, producer);
    return load_body(ld, gp);
}

cs_status cs_onnx_load(const char *path, cs_graph **out, cs_error *err)
{
    *out = NULL;
    ProtobufCMessage *msg;
    cs_status st = cs_pb_read_file(path, MAX_MODEL_BYTES, &onnx__model_proto__descriptor, "ONNX model", &msg, err);
    if (st != CS_OK)
        return st;
    Onnx__ModelProto *m = (Onnx__ModelProto *)msg;
    cs_graph *g = cs_graph_new(path, "onnx");
    if (!g) {
        onnx__model_proto__free_unpacked(m, NULL);
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory", path);
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    else
        snprintf(dir, sizeof dir, ".");
    loader ld = {g, path, err, 0, dir};
    st = load_graph(&ld, m);
    onnx__model_proto__free_unpacked(m, NULL);
    if (st != CS_OK) {
        cs_graph_free(g);
        return st;
    }
    *out = g;
    return CS_OK;
}
