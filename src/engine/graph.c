/* graph.c — building and freeing the IR: values with a name index, nodes, attributes and
 * source layers. Loaders for every format build graphs only through these functions. */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

/* Grows *items (element size esize) so that it can hold need items. */
static bool grow(void **items, int *cap, int need, size_t esize)
{
    if (need <= *cap)
        return true;
    int ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*items, (size_t)ncap * esize);
    if (!p)
        return false;
    memset((char *)p + (size_t)*cap * esize, 0, (size_t)(ncap - *cap) * esize);
    *items = p;
    *cap = ncap;
    return true;
}

/* ---- attributes ---- */

const cs_attr *cs_attrs_find(const cs_attrs *attrs, const char *name)
{
    for (int i = 0; i < attrs->count; i++)
        if (strcmp(attrs->items[i].name, name) == 0)
            return &attrs->items[i];
    return NULL;
}

int64_t cs_attrs_int(const cs_attrs *attrs, const char *name, int64_t dflt)
{
    const cs_attr *a = cs_attrs_find(attrs, name);
    if (!a)
        return dflt;
    if (a->type == CS_ATTR_INT)
        return a->i;
    if (a->type == CS_ATTR_FLOAT)
        return (int64_t)a->f;
    return dflt;
}

double cs_attrs_float(const cs_attrs *attrs, const char *name, double dflt)
{
    const cs_attr *a = cs_attrs_find(attrs, name);
    if (!a)
        return dflt;
    if (a->type == CS_ATTR_FLOAT)
        return a->f;
    if (a->type == CS_ATTR_INT)
        return (double)a->i;
    return dflt;
}

const char *cs_attrs_string(const cs_attrs *attrs, const char *name, const char *dflt)
{
    const cs_attr *a = cs_attrs_find(attrs, name);
    return a && a->type == CS_ATTR_STRING ? a->s : dflt;
}

int cs_attrs_ints(const cs_attrs *attrs, const char *name, const int64_t **out)
{
    const cs_attr *a = cs_attrs_find(attrs, name);
    if (!a || a->type != CS_ATTR_INTS)
        return -1;
    *out = a->ints;
    return a->count;
}

int cs_attrs_floats(const cs_attrs *attrs, const char *name, const double **out)
{
    const cs_attr *a = cs_attrs_find(attrs, name);
    if (!a || a->type != CS_ATTR_FLOATS)
        return -1;
    *out = a->floats;
    return a->count;
}

static cs_attr *attrs_push(cs_attrs *attrs, const char *name, cs_attr_type type)
{
    if (!grow((void **)&attrs->items, &attrs->cap, attrs->count + 1, sizeof(cs_attr)))
        return NULL;
    cs_attr *a = &attrs->items[attrs->count];
    memset(a, 0, sizeof *a);
    a->name = dup_str(name);
    if (!a->name)
        return NULL;
    a->type = type;
    attrs->count++;
    return a;
}

bool cs_attrs_add_int(cs_attrs *attrs, const char *name, int64_t v)
{
    cs_attr *a = attrs_push(attrs, name, CS_ATTR_INT);
    if (a)
        a->i = v;
    return a != NULL;
}

bool cs_attrs_add_float(cs_attrs *attrs, const char *name, double v)
{
    cs_attr *a = attrs_push(attrs, name, CS_ATTR_FLOAT);
    if (a)
        a->f = v;
    return a != NULL;
}

bool cs_attrs_add_string(cs_attrs *attrs, const char *name, const char *v)
{
    cs_attr *a = attrs_push(attrs, name, CS_ATTR_STRING);
    if (!a)
        return false;
    a->s = dup_str(v);
    return a->s != NULL;
}

bool cs_attrs_add_ints(cs_attrs *attrs, const char *name, const int64_t *v, int n)
{
    cs_attr *a = attrs_push(attrs, name, CS_ATTR_INTS);
    if (!a)
        return false;
    a->ints = calloc((size_t)(n > 0 ? n : 1), sizeof(int64_t));
    if (!a->ints)
        return false;
    if (n > 0)
        memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
    a->count = n;
    return true;
}

bool cs_attrs_add_floats(cs_attrs *attrs, const char *name, const double *v, int n)
{
    cs_attr *a = attrs_push(attrs, name, CS_ATTR_FLOATS);
    if (!a)
        return false;
    a->floats = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    if (!a->floats)
        return false;
    if (n > 0)
        memcpy(a->floats, v, (size_t)n * sizeof(double));
    a->count = n;
    return true;
}

bool cs_attrs_add_strings(cs_attrs *attrs, const char *name, const char *const *v, int n)
{
    cs_attr *a = attrs_push(attrs, name, CS_ATTR_STRINGS);
    if (!a)
        return false;
    a->strings = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    if (!a->strings)
        return false;
    for (int i = 0; i < n; i++) {
        a->strings[i] = dup_str(v[i]);
        if (!a->strings[i])
            return false;
        a->count = i + 1;
    }
    return true;
}

bool cs_attrs_add_tensor(cs_attrs *attrs, const char *name, cs_tensor *t)
{
    cs_attr *a = attrs_push(attrs, name, CS_ATTR_TENSOR);
    if (!a) {
        cs_tensor_free(t);
        return false;
    }
    a->tensor = t;
    return true;
}

bool cs_attrs_add_graph(cs_attrs *attrs, const char *name, cs_graph *g)
{
    cs_attr *a = attrs_push(attrs, name, CS_ATTR_GRAPH);
    if (!a) {
        cs_graph_free(g);
        return false;
    }
    a->graph = g;
    return true;
}

void cs_attrs_free(cs_attrs *attrs)
{
    for (int i = 0; i < attrs->count; i++) {
        cs_attr *a = &attrs->items[i];
        free(a->name);
        free(a->s);
        free(a->floats);
        free(a->ints);
        if (a->strings)
            for (int k = 0; k < a->count; k++)
                free(a->strings[k]);
        free(a->strings);
        cs_tensor_free(a->tensor);
        cs_graph_free(a->graph);
    }
    free(attrs->items);
    memset(attrs, 0, sizeof *attrs);
}

/* ---- graph ---- */

cs_graph *cs_graph_new(const char *path, const char *format)
{
    cs_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->path = dup_str(path);
    g->format = dup_str(format);
    g->producer = dup_str("");
    if (!g->path || !g->format || !g->producer) {
        cs_graph_free(g);
        return NULL;
    }
    return g;
}

bool cs_graph_set_producer(cs_graph *g, const char *producer)
{
    char *copy = dup_str(producer);
    if (!copy)
        return false;
    free(g->producer);
    g->producer = copy;
    return true;
}

void cs_graph_free(cs_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_values; i++) {
        free(g->values[i].name);
        cs_tensor_free(g->values[i].data);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        cs_node *n = &g->nodes[i];
        free(n->name);
        free(n->op);
        free(n->domain);
        free(n->inputs);
        free(n->outputs);
        cs_attrs_free(&n->attrs);
    }
    free(g->captures);
    for (int i = 0; i < g->n_layers; i++) {
        cs_layer *l = &g->layers[i];
        free(l->name);
        free(l->type);
        cs_attrs_free(&l->attrs);
        for (int k = 0; k < l->n_weights; k++) {
            free(l->weights[k].name);
            if (l->weights[k].value < 0)
                cs_tensor_free(l->weights[k].tensor);
        }
        free(l->weights);
        free(l->nodes);
        free(l->outputs);
    }
    free(g->values);
    free(g->nodes);
    free(g->layers);
    free(g->inputs);
    free(g->outputs);
    free(g->index);
    free(g->path);
    free(g->format);
    free(g->producer);
    free(g);
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static bool index_insert(int *index, int cap, const cs_value *values, int v)
{
    uint64_t h = hash_name(values[v].name);
    for (int probe = 0; probe < cap; probe++) {
        int slot = (int)((h + (uint64_t)probe) & (uint64_t)(cap - 1));
        if (index[slot] < 0) {
            index[slot] = v;
            return true;
        }
    }
    return false;
}

static bool index_rebuild(cs_graph *g, int cap)
{
    int *idx = malloc((size_t)cap * sizeof(int));
    if (!idx)
        return false;
    for (int i = 0; i < cap; i++)
        idx[i] = -1;
    for (int v = 0; v < g->n_values; v++)
        index_insert(idx, cap, g->values, v);
    free(g->index);
    g->index = idx;
    g->index_cap = cap;
    return true;
}

bool cs_node_default_domain(const cs_node *n)
{
    return !n->domain || !n->domain[0] || strcmp(n->domain, "ai.onnx") == 0;
}

int cs_graph_skip_identity(const cs_graph *g, int v)
{
    for (int hops = 0; v >= 0 && v < g->n_values && hops < 8; hops++) {
        int p = g->values[v].producer;
        if (g->values[v].data || p < 0 || strcmp(g->nodes[p].op, "Identity") != 0 || g->nodes[p].n_inputs != 1)
            return v;
        v = g->nodes[p].inputs[0];
    }
    return -1;
}

int cs_graph_find_value(const cs_graph *g, const char *name)
{
    if (!g->index_cap)
        return -1;
    uint64_t h = hash_name(name);
    for (int probe = 0; probe < g->index_cap; probe++) {
        int slot = (int)((h + (uint64_t)probe) & (uint64_t)(g->index_cap - 1));
        int v = g->index[slot];
        if (v < 0)
            return -1;
        if (strcmp(g->values[v].name, name) == 0)
            return v;
    }
    return -1;
}

bool cs_graph_rename_value(cs_graph *g, int v, const char *name)
{
    if (v < 0 || v >= g->n_values || cs_graph_find_value(g, name) >= 0)
        return false;
    char *copy = dup_str(name);
    if (!copy)
        return false;
    free(g->values[v].name);
    g->values[v].name = copy;
    return index_rebuild(g, g->index_cap ? g->index_cap : 64);
}

static int append_value(cs_graph *g, const char *name)
{
    if (!grow((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof(cs_value)))
        return -1;
    if ((g->n_values + 1) * 2 > g->index_cap && !index_rebuild(g, g->index_cap ? g->index_cap * 2 : 64))
        return -1;
    cs_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = dup_str(name);
    if (!v->name)
        return -1;
    v->producer = -1;
    v->rank = -1;
    int idx = g->n_values++;
    index_insert(g->index, g->index_cap, g->values, idx);
    return idx;
}

int cs_graph_value(cs_graph *g, const char *name)
{
    int v = cs_graph_find_value(g, name);
    return v >= 0 ? v : append_value(g, name);
}

int cs_graph_new_value(cs_graph *g, const char *hint)
{
    char name[256];
    for (int k = g->n_values;; k++) {
        snprintf(name, sizeof name, "%s__%d", hint ? hint : "v", k);
        if (cs_graph_find_value(g, name) < 0)
            return append_value(g, name);
    }
}

int cs_graph_add_constant(cs_graph *g, const char *name, cs_tensor *t)
{
    int v = cs_graph_value(g, name);
    if (v < 0) {
        cs_tensor_free(t);
        return -1;
    }
    cs_tensor_free(g->values[v].data);
    g->values[v].data = t;
    g->values[v].dtype = t->dtype;
    g->values[v].rank = t->rank;
    for (int i = 0; i < t->rank; i++)
        g->values[v].dims[i] = t->dims[i];
    return v;
}

static int *dup_ints(const int *v, int n)
{
    int *c = malloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    if (c && n > 0)
        memcpy(c, v, (size_t)n * sizeof(int));
    return c;
}

int cs_graph_add_node(cs_graph *g, const char *op, const char *name, const int *inputs, int n_inputs,
                      const int *outputs, int n_outputs)
{
    if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof(cs_node)))
        return -1;
    cs_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = dup_str(op);
    n->name = dup_str(name);
    n->domain = dup_str("");
    n->inputs = dup_ints(inputs, n_inputs);
    n->outputs = dup_ints(outputs, n_outputs);
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    n->layer = -1;
    int idx = g->n_nodes++;
    if (!n->op || !n->name || !n->domain || !n->inputs || !n->outputs)
        return -1;
    for (int i = 0; i < n_outputs; i++)
        if (outputs[i] >= 0 && outputs[i] < g->n_values && g->values[outputs[i]].producer < 0)
            g->values[outputs[i]].producer = idx;
    return idx;
}

int cs_graph_add_layer(cs_graph *g, const char *name, const char *type, int parent)
{
    if (!grow((void **)&g->layers, &g->cap_layers, g->n_layers + 1, sizeof(cs_layer)))
        return -1;
    cs_layer *l = &g->layers[g->n_layers];
    memset(l, 0, sizeof *l);
    l->name = dup_str(name);
    l->type = dup_str(type);
    l->parent = parent;
    int idx = g->n_layers++;
    return l->name && l->type ? idx : -1;
}

static bool push_int(int **items, int *count, int v)
{
    int *p = realloc(*items, (size_t)(*count + 1) * sizeof(int));
    if (!p)
        return false;
    p[(*count)++] = v;
    *items = p;
    return true;
}

bool cs_layer_add_node(cs_graph *g, int layer, int node)
{
    if (layer < 0 || layer >= g->n_layers || node < 0 || node >= g->n_nodes)
        return false;
    g->nodes[node].layer = layer;
    return push_int(&g->layers[layer].nodes, &g->layers[layer].n_nodes, node);
}

bool cs_layer_add_output(cs_graph *g, int layer, int value)
{
    if (layer < 0 || layer >= g->n_layers)
        return false;
    return push_int(&g->layers[layer].outputs, &g->layers[layer].n_outputs, value);
}

static cs_weight *layer_push_weight(cs_graph *g, int layer, const char *name)
{
    if (layer < 0 || layer >= g->n_layers)
        return NULL;
    cs_layer *l = &g->layers[layer];
    cs_weight *w = realloc(l->weights, (size_t)(l->n_weights + 1) * sizeof *w);
    if (!w)
        return NULL;
    l->weights = w;
    w = &l->weights[l->n_weights];
    memset(w, 0, sizeof *w);
    w->name = dup_str(name);
    if (!w->name)
        return NULL;
    w->value = -1;
    l->n_weights++;
    return w;
}

bool cs_layer_add_weight(cs_graph *g, int layer, const char *name, cs_tensor *t, cs_layout layout,
                         cs_dtype stored_dtype)
{
    cs_weight *w = layer_push_weight(g, layer, name);
    if (!w) {
        cs_tensor_free(t);
        return false;
    }
    w->tensor = t;
    w->layout = layout;
    w->stored_dtype = stored_dtype ? stored_dtype : t->dtype;
    return true;
}

bool cs_layer_add_weight_ref(cs_graph *g, int layer, const char *name, int value, cs_layout layout)
{
    if (value < 0 || value >= g->n_values || !g->values[value].data)
        return false;
    cs_weight *w = layer_push_weight(g, layer, name);
    if (!w)
        return false;
    w->value = value;
    w->tensor = g->values[value].data;
    w->layout = layout;
    w->stored_dtype = w->tensor->dtype;
    return true;
}

bool cs_graph_add_input(cs_graph *g, int value)
{
    return push_int(&g->inputs, &g->n_inputs, value);
}

bool cs_graph_add_output(cs_graph *g, int value)
{
    return push_int(&g->outputs, &g->n_outputs, value);
}

int64_t cs_layer_param_count(const cs_layer *layer)
{
    int64_t n = 0;
    for (int k = 0; k < layer->n_weights; k++)
        if (!layer->weights[k].is_buffer)
            n += cs_tensor_numel(layer->weights[k].tensor);
    return n;
}

/* Parameters held by the subgraphs of control-flow nodes (If branches, Loop and Scan bodies). */
static int64_t subgraph_params(const cs_graph *g)
{
    int64_t n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int a = 0; a < g->nodes[i].attrs.count; a++) {
            const cs_attr *at = &g->nodes[i].attrs.items[a];
            if (at->type == CS_ATTR_GRAPH && at->graph)
                n += cs_graph_param_count(at->graph);
        }
    return n;
}

int64_t cs_graph_param_count(const cs_graph *g)
{
    int64_t n = 0;
    bool any_weights = false;
    bool *counted = calloc((size_t)(g->n_values > 0 ? g->n_values : 1), sizeof(bool));
    for (int i = 0; i < g->n_layers; i++) {
        const cs_layer *l = &g->layers[i];
        for (int k = 0; k < l->n_weights; k++) {
            any_weights = true;
            if (l->weights[k].is_buffer)
                continue;
            int v = l->weights[k].value;
            if (v >= 0 && counted) {
                if (counted[v])
                    continue;
                counted[v] = true;
            }
            n += cs_tensor_numel(l->weights[k].tensor);
        }
    }
    free(counted);
    if (!any_weights && !(g->format && strcmp(g->format, "torchscript") == 0)) /* its layers list every parameter */
        for (int v = 0; v < g->n_values; v++)
            if (g->values[v].data)
                n += cs_tensor_numel(g->values[v].data);
    return n + subgraph_params(g);
}

const cs_attr *cs_graph_class_labels(const cs_graph *g)
{
    for (int l = 0; l < g->n_layers; l++) {
        const cs_attr *a = cs_attrs_find(&g->layers[l].attrs, "classLabels");
        if (a && (a->type == CS_ATTR_STRINGS || a->type == CS_ATTR_INTS) && a->count > 0)
            return a;
    }
    return NULL;
}

int cs_layer_group_output(const cs_graph *g, const int *layers, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        const cs_layer *l = &g->layers[layers[i]];
        if (l->n_outputs > 0)
            return l->outputs[0];
        if (l->n_nodes > 0) {
            const cs_node *node = &g->nodes[l->nodes[l->n_nodes - 1]];
            if (node->n_outputs > 0 && node->outputs[0] >= 0)
                return node->outputs[0];
        }
    }
    return -1;
}

bool cs_graph_find_captures(cs_graph *sub)
{
    bool *used = calloc((size_t)sub->n_values + 1, sizeof(bool));
    free(sub->captures);
    sub->n_captures = 0;
    sub->captures = malloc(((size_t)sub->n_values + 1) * sizeof(int));
    if (!used || !sub->captures) {
        free(used);
        return false;
    }
    for (int n = 0; n < sub->n_nodes; n++)
        for (int i = 0; i < sub->nodes[n].n_inputs; i++)
            if (sub->nodes[n].inputs[i] >= 0)
                used[sub->nodes[n].inputs[i]] = true;
    for (int i = 0; i < sub->n_outputs; i++)
        used[sub->outputs[i]] = true;
    for (int i = 0; i < sub->n_inputs; i++)
        used[sub->inputs[i]] = false;
    for (int v = 0; v < sub->n_values; v++)
        if (used[v] && !sub->values[v].data && sub->values[v].producer < 0)
            sub->captures[sub->n_captures++] = v;
    free(used);
    return true;
}
