/* cmd_inspect.c — `convscope inspect MODEL [--json]`: format, producer, opset, inputs/outputs,
 * every source layer with type, attributes, weights (shape, layout, stored precision) and parameters. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_job.h"
#include "engine/diff/canon.h"
#include "engine/exec.h"
#include "engine/fileio.h"
#include "engine/model.h"
#include "engine/report/json_util.h"

static void print_attr(const cs_attr *a)
{
    printf(" %s=", a->name);
    switch (a->type) {
    case CS_ATTR_FLOAT: printf("%g", a->f); break;
    case CS_ATTR_INT: printf("%lld", (long long)a->i); break;
    case CS_ATTR_STRING: printf("%s", a->s); break;
    case CS_ATTR_INTS:
        for (int i = 0; i < a->count; i++)
            printf("%s%lld", i ? "," : "[", (long long)a->ints[i]);
        printf(a->count ? "]" : "[]");
        break;
    case CS_ATTR_FLOATS:
        for (int i = 0; i < a->count; i++)
            printf("%s%g", i ? "," : "[", a->floats[i]);
        printf(a->count ? "]" : "[]");
        break;
    case CS_ATTR_STRINGS:
        for (int i = 0; i < a->count; i++)
            printf("%s%s", i ? "," : "[", a->strings[i]);
        printf(a->count ? "]" : "[]");
        break;
    case CS_ATTR_TENSOR: printf("<tensor %s>", cs_dtype_name(a->tensor->dtype)); break;
    default: printf("<%d>", (int)a->type); break;
    }
}

static void print_value_line(const cs_value *v)
{
    char s[160];
    printf("  %-24s %-5s %s%s%s\n", v->name, cs_dtype_name(v->dtype),
           v->rank >= 0 ? cs_shape_str(v->rank, v->dims, s, sizeof s) : "[?]",
           v->layout ? " " : "", v->layout ? cs_layout_name(v->layout) : "");
}

/* The layer's canonical attributes (one vocabulary for every format) that its own attributes do not already
 * show under the same name, with the format-native name beside where it differs: "pads(padding)=[0,0,0,0]". */
static void print_canonical(const cs_graph *g, int l, int indent)
{
    cs_canon c;
    cs_canon_collect(g, &l, 1, NULL, &c);
    char line[2048];
    size_t used = 0;
    line[0] = 0;
    for (int i = 0; i < c.n && used < sizeof line; i++) {
        const cs_canon_attr *x = &c.items[i];
        if (cs_attrs_find(&g->layers[l].attrs, x->name))
            continue;
        const char *native = cs_canon_native_name(&g->layers[l].attrs, x->name);
        char v[160];
        used += (size_t)snprintf(line + used, sizeof line - used, " %s%s%s%s=%s", x->name, native ? "(" : "",
                                 native ? native : "", native ? ")" : "", cs_canon_str(x, v, sizeof v));
    }
    if (line[0])
        printf("  %*s    canonical:%s\n", indent, "", line);
}

static int layer_depth(const cs_graph *g, int l)
{
    int d = 0;
    for (int p = g->layers[l].parent; p >= 0 && d < 64; p = g->layers[p].parent)
        d++;
    return d;
}

/* The first node of layer l whose op convscope cannot execute, or -1 (plan NULL: none checked). */
static int unknown_node(const cs_graph *g, const cs_plan *plan, int l)
{
    for (int k = 0; plan && k < g->layers[l].n_nodes; k++)
        if (!plan->kernels[g->layers[l].nodes[k]])
            return g->layers[l].nodes[k];
    return -1;
}

static void print_text(const cs_graph *g, const cs_plan *plan, long long file_bytes)
{
    printf("model:    %s\nformat:   %s\nproducer: %s\n", g->path, g->format, g->producer[0] ? g->producer : "-");
    if (g->opset && strcmp(g->format, "onnx") == 0)
        printf("opset:    %lld\n", (long long)g->opset);
    printf("size:     %lld bytes\n", file_bytes);
    if (g->weights_only)
        printf("note:     weights only: this file holds no architecture and cannot be executed\n");
    printf("inputs:\n");
    for (int i = 0; i < g->n_inputs; i++)
        print_value_line(&g->values[g->inputs[i]]);
    printf("outputs:\n");
    for (int i = 0; i < g->n_outputs; i++)
        print_value_line(&g->values[g->outputs[i]]);
    printf("layers (%d):\n", g->n_layers);
    for (int l = 0; l < g->n_layers; l++) {
        const cs_layer *L = &g->layers[l];
        printf("  %*s%s  %s", 2 * layer_depth(g, l), "", L->name, L->type);
        for (int a = 0; a < L->attrs.count; a++)
            print_attr(&L->attrs.items[a]);
        int64_t params = cs_layer_param_count(L);
        if (params)
            printf("  params=%lld", (long long)params);
        int bad = unknown_node(g, plan, l);
        if (bad >= 0)
            printf("  [not executable: op %s]", g->nodes[bad].op);
        printf("\n");
        print_canonical(g, l, 2 * layer_depth(g, l));
        for (int w = 0; w < L->n_weights; w++) {
            char s[160];
            const cs_weight *W = &L->weights[w];
            printf("  %*s    weight %s %s %s%s%s\n", 2 * layer_depth(g, l), "", W->name,
                   cs_shape_str(W->tensor->rank, W->tensor->dims, s, sizeof s), cs_dtype_name(W->stored_dtype),
                   W->layout ? " " : "", W->layout ? cs_layout_name(W->layout) : "");
        }
    }
    printf("total parameters: %lld\n", (long long)cs_graph_param_count(g));
}

static json_t *value_json(const cs_value *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(v->name));
    json_object_set_new(o, "dtype", json_string(cs_dtype_name(v->dtype)));
    json_object_set_new(o, "shape", v->rank >= 0 ? cs_json_shape(v->rank, v->dims) : json_null());
    json_object_set_new(o, "layout", json_string(cs_layout_name(v->layout)));
    return o;
}

/* {name: {"value": number | [numbers] | string, "native": the format's own name or null}} */
static json_t *canonical_json(const cs_graph *g, int l)
{
    cs_canon c;
    cs_canon_collect(g, &l, 1, NULL, &c);
    json_t *o = json_object();
    for (int i = 0; i < c.n; i++) {
        const cs_canon_attr *x = &c.items[i];
        json_t *e = json_object(), *v;
        bool list = x->count != 1 || strcmp(x->name, "pads") == 0 || strcmp(x->name, "strides") == 0 ||
                    strcmp(x->name, "kernel_shape") == 0 || strcmp(x->name, "dilations") == 0;
        if (x->is_string) {
            v = json_string(x->s);
        } else if (!list) {
            v = cs_json_num(true, x->v[0]);
        } else {
            v = json_array();
            for (int k = 0; k < x->count; k++)
                json_array_append_new(v, cs_json_num(true, x->v[k]));
        }
        const char *native = cs_canon_native_name(&g->layers[l].attrs, x->name);
        json_object_set_new(e, "value", v);
        json_object_set_new(e, "native", native ? json_string(native) : json_null());
        json_object_set_new(o, x->name, e);
    }
    return o;
}

static json_t *layer_json(const cs_graph *g, const cs_plan *plan, int l)
{
    const cs_layer *L = &g->layers[l];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(L->name));
    json_object_set_new(o, "type", json_string(L->type));
    json_object_set_new(o, "parent", L->parent >= 0 ? json_string(g->layers[L->parent].name) : json_null());
    json_object_set_new(o, "attributes", cs_json_attrs(&L->attrs));
    json_object_set_new(o, "canonical_attributes", canonical_json(g, l));
    json_t *ws = json_array();
    for (int w = 0; w < L->n_weights; w++) {
        const cs_weight *W = &L->weights[w];
        json_t *wo = json_object();
        json_object_set_new(wo, "name", json_string(W->name));
        json_object_set_new(wo, "shape", cs_json_shape(W->tensor->rank, W->tensor->dims));
        json_object_set_new(wo, "dtype", json_string(cs_dtype_name(W->stored_dtype)));
        json_object_set_new(wo, "layout", json_string(cs_layout_name(W->layout)));
        json_array_append_new(ws, wo);
    }
    json_object_set_new(o, "weights", ws);
    json_object_set_new(o, "params", json_integer(cs_layer_param_count(L)));
    json_t *nodes = json_array();
    for (int k = 0; k < L->n_nodes; k++)
        json_array_append_new(nodes, json_string(g->nodes[L->nodes[k]].op));
    json_object_set_new(o, "ir_nodes", nodes);
    json_object_set_new(o, "executable", json_boolean(unknown_node(g, plan, l) < 0));
    return o;
}

static void print_json(const cs_graph *g, const cs_plan *plan, long long file_bytes)
{
    json_t *root = json_object();
    json_object_set_new(root, "path", json_string(g->path));
    json_object_set_new(root, "format", json_string(g->format));
    json_object_set_new(root, "producer", json_string(g->producer));
    json_object_set_new(root, "opset", g->opset && strcmp(g->format, "onnx") == 0 ? json_integer(g->opset) : json_null());
    json_object_set_new(root, "file_bytes", json_integer(file_bytes));
    json_object_set_new(root, "weights_only", json_boolean(g->weights_only));
    json_t *ins = json_array(), *outs = json_array(), *layers = json_array();
    for (int i = 0; i < g->n_inputs; i++)
        json_array_append_new(ins, value_json(&g->values[g->inputs[i]]));
    for (int i = 0; i < g->n_outputs; i++)
        json_array_append_new(outs, value_json(&g->values[g->outputs[i]]));
    for (int l = 0; l < g->n_layers; l++)
        json_array_append_new(layers, layer_json(g, plan, l));
    json_object_set_new(root, "inputs", ins);
    json_object_set_new(root, "outputs", outs);
    json_object_set_new(root, "layers", layers);
    json_object_set_new(root, "params", json_integer(cs_graph_param_count(g)));
    cs_json_print(root);
}

int cs_cmd_inspect(int argc, char **argv)
{
    if (cs_cli_command_help("inspect", argc, argv, cs_cli_input_forms))
        return CS_EXIT_OK;
    const char *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        int rc = CS_EXIT_OK;
        if (cs_opt_flag(argc, argv, &i, "--json"))
            json = true;
        else if (cs_opt_model(argc, argv, &i, "inspect", &rc)) {
            if (rc != CS_EXIT_OK)
                return rc;
        } else if (argv[i][0] == '-')
            return cs_cli_usage_error("inspect", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cs_cli_usage_error("inspect", "give one model (got '%s' too)", argv[i]);
    }
    if (!path)
        return cs_cli_usage_error("inspect", "give a model file");
    cs_graph *g;
    cs_error err = {0};
    if (cs_model_load(path, &g, &err) != CS_OK)
        return cs_cli_fail(&err);
    cs_plan *plan = NULL; /* validated like run: cycles and undefined values are errors, unknown ops a warning */
    if (!g->weights_only && cs_plan_check(g, &plan, &err) != CS_OK) {
        cs_graph_free(g);
        return cs_cli_fail(&err);
    }
    int n_unknown = 0, first = -1;
    for (int n = 0; plan && n < g->n_nodes; n++)
        if (!plan->kernels[n] && n_unknown++ == 0)
            first = n;
    if (n_unknown)
        fprintf(stderr, "convscope: warning: %s: %d node%s use%s ops convscope cannot execute (first: '%s'); "
                "shown as not executable\n", path, n_unknown, n_unknown == 1 ? "" : "s", n_unknown == 1 ? "s" : "",
                g->nodes[first].op);
    long long size = cs_file_size(path);
    if (json)
        print_json(g, plan, size);
    else
        print_text(g, plan, size);
    cs_plan_free(plan);
    cs_graph_free(g);
    return CS_EXIT_OK;
}
