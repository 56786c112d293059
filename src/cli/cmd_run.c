/* cmd_run.c — `convscope run MODEL --input SPEC`: executes a model on user inputs, prints outputs
 * (top classes for score vectors), time and peak memory; --dump writes every value as .npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_job.h"
#include "engine/data/input.h"
#include "engine/data/npy.h"
#include "engine/exec.h"
#include "engine/model.h"
#include "engine/report/json_util.h"
#include "engine/value.h"

#define MAX_INPUT_SPECS 16

typedef struct run_opts {
    const char *model, *dump;
    const char *specs[MAX_INPUT_SPECS];
    int n_specs;
    bool json;
    cs_input_opts input;
} run_opts;

typedef struct dump_state {
    const char *dir;
    cs_error err;
    bool failed;
} dump_state;

static int parse_opts(int argc, char **argv, run_opts *o)
{
    cs_input_opts_default(&o->input);
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool missing = false;
        int r = cs_cli_input_opt("run", argc, argv, &i, &o->input); /* model options, --scale, --mean, --std */
        if (r < 0)
            return CS_EXIT_ERROR;
        if (r > 0)
            continue;
        if (cs_opt_flag(argc, argv, &i, "--json")) {
            o->json = true;
        } else if (cs_opt_value(argc, argv, &i, "--input", &v, &missing)) {
            if (missing || o->n_specs >= MAX_INPUT_SPECS)
                return cs_cli_usage_error("run", "--input needs a SPEC (at most %d)", MAX_INPUT_SPECS);
            o->specs[o->n_specs++] = v;
        } else if (cs_opt_value(argc, argv, &i, "--dump", &o->dump, &missing)) {
            if (missing)
                return cs_cli_usage_error("run", "--dump needs a directory");
        } else if (argv[i][0] == '-') {
            return cs_cli_usage_error("run", "unknown option '%s'", argv[i]);
        } else if (!o->model) {
            o->model = argv[i];
        } else {
            return cs_cli_usage_error("run", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!o->model)
        return cs_cli_usage_error("run", "give a model file");
    return CS_EXIT_OK;
}

/* Resolves "NAME=SPEC" or a bare SPEC (first input) into per-input specs. */
static cs_status assign_specs(const cs_graph *g, const run_opts *o, const char **per_input, cs_error *err)
{
    for (int s = 0; s < o->n_specs; s++) {
        const char *spec = o->specs[s], *eq = strchr(spec, '=');
        int target = 0;
        if (eq) {
            target = -1;
            for (int i = 0; i < g->n_inputs; i++)
                if (strlen(g->values[g->inputs[i]].name) == (size_t)(eq - spec) &&
                    strncmp(g->values[g->inputs[i]].name, spec, (size_t)(eq - spec)) == 0)
                    target = i;
            if (target < 0)
                return cs_error_set(err, CS_ERR_ARG, "%s: the model has no input named '%.*s'", g->path,
                                    (int)(eq - spec), spec);
            spec = eq + 1;
        }
        if (target >= g->n_inputs)
            return cs_error_set(err, CS_ERR_ARG, "%s: the model has no inputs", g->path);
        per_input[target] = spec;
    }
    for (int i = 0; i < g->n_inputs; i++)
        if (!per_input[i])
            return cs_error_set(err, CS_ERR_ARG, "%s: no --input given for model input '%s'", g->path,
                                g->values[g->inputs[i]].name);
    return CS_OK;
}

static void dump_value(void *user, const cs_graph *g, int node, int value, const cs_tensor *t)
{
    (void)node;
    dump_state *ds = user;
    if (ds->failed)
        return;
    char name[256], path[1400];
    snprintf(name, sizeof name, "%s", g->values[value].name);
    for (char *p = name; *p; p++)
        if (*p == '/' || *p == ':' || *p == ' ' || *p == '\\')
            *p = '_';
    snprintf(path, sizeof path, "%s/%s.npy", ds->dir, name[0] == '.' ? name + 1 : name);
    if (cs_npy_write(path, t, &ds->err) != CS_OK)
        ds->failed = true;
}

static void print_label(const cs_attr *labels, int index)
{
    if (!labels || index < 0 || index >= labels->count)
        return;
    if (labels->type == CS_ATTR_STRINGS)
        printf(" '%s'", labels->strings[index]);
    else
        printf(" '%lld'", (long long)labels->ints[index]);
}

/* Top classes of a score vector: the whole tensor when it is one row, else its first row of K scores
 * (a model with a fixed batch larger than one repeats the sample). */
static void print_top(const cs_tensor *t, const cs_attr *labels)
{
    int64_t n = cs_tensor_numel(t), k_classes = t->rank > 0 ? t->dims[t->rank - 1] : n;
    if (!cs_dtype_is_float(t->dtype) || k_classes < 2 || k_classes > 100000 || n % k_classes != 0)
        return;
    int top[5];
    int k = k_classes < 5 ? (int)k_classes : 5;
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int64_t i = 0; i < k_classes; i++) {
            bool taken = false;
            for (int q = 0; q < j; q++)
                taken |= top[q] == i;
            if (!taken && (best < 0 || cs_tensor_get_f64(t, i) > cs_tensor_get_f64(t, best)))
                best = (int)i;
        }
        top[j] = best;
    }
    printf("  top-%d%s:", k, n > k_classes ? " (first row)" : "");
    for (int j = 0; j < k; j++) {
        printf(" %d", top[j]);
        print_label(labels && labels->count == k_classes ? labels : NULL, top[j]);
        printf(" (%.6g)", cs_tensor_get_f64(t, top[j]));
    }
    printf("\n");
}

/* A sequence, an optional or a string tensor, on the rest of the line and indented lines below it. */
static void print_value(const cs_tensor *t, int depth)
{
    char s[160];
    if (t->kind == CS_VALUE_TENSOR) { /* strings */
        printf(" string %s:", cs_shape_str(t->rank, t->dims, s, sizeof s));
        int64_t n = cs_string_count(t);
        for (int64_t i = 0; i < n && i < 32; i++)
            printf(" \"%.80s\"", cs_string_at(t, i));
        printf(n > 32 ? " ... (%lld strings)\n" : "\n", (long long)n);
        return;
    }
    if (t->kind == CS_VALUE_SEQUENCE)
        printf(" sequence of %d\n", t->n_items);
    else
        printf(" optional %s\n", t->n_items ? "holding" : "(empty)");
    for (int i = 0; i < t->n_items && depth < 8; i++) {
        const cs_tensor *e = t->items[i];
        printf("%*s[%d]", 2 * depth + 2, "", i);
        if (!cs_value_plain(e)) {
            print_value(e, depth + 1);
            continue;
        }
        int64_t n = cs_tensor_numel(e);
        printf(" %s %s:", cs_dtype_name(e->dtype), cs_shape_str(e->rank, e->dims, s, sizeof s));
        for (int64_t k = 0; k < n && k < 16; k++)
            printf(" %.6g", cs_tensor_get_f64(e, k));
        printf(n > 16 ? " ...\n" : "\n");
    }
}

static void print_text(const cs_graph *g, cs_tensor **outs, const cs_exec_stats *st)
{
    for (int o = 0; o < g->n_outputs; o++) {
        char s[160];
        const cs_tensor *t = outs[o];
        if (!cs_value_plain(t)) {
            printf("output %s:", g->values[g->outputs[o]].name);
            print_value(t, 0);
            continue;
        }
        printf("output %s %s %s:", g->values[g->outputs[o]].name, cs_dtype_name(t->dtype),
               cs_shape_str(t->rank, t->dims, s, sizeof s));
        int64_t n = cs_tensor_numel(t);
        for (int64_t i = 0; i < n && i < 32; i++)
            printf(" %.6g", cs_tensor_get_f64(t, i));
        printf(n > 32 ? " ... (%lld values)\n" : "\n", (long long)n);
        print_top(t, cs_graph_class_labels(g));
    }
    printf("time: %.3f ms\npeak activation memory: %zu bytes (weights %zu bytes)\n", st->total_ms, st->peak_bytes,
           st->const_bytes);
}

/* A tensor's values; strings as JSON strings; a sequence or optional as {"kind", "items": [values]}. */
static json_t *json_value_data(const cs_tensor *t)
{
    if (cs_value_plain(t))
        return cs_json_tensor_data(t);
    if (t->kind == CS_VALUE_TENSOR) {
        json_t *a = json_array();
        for (int64_t i = 0; i < cs_string_count(t); i++)
            json_array_append_new(a, json_string(cs_string_at(t, i)));
        return a;
    }
    json_t *o = json_object(), *items = json_array();
    json_object_set_new(o, "kind", json_string(cs_value_kind_name(t)));
    for (int i = 0; i < t->n_items; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "dtype", json_string(cs_dtype_name(t->items[i]->dtype)));
        json_object_set_new(e, "shape", cs_json_shape(t->items[i]->rank, t->items[i]->dims));
        json_object_set_new(e, "data", json_value_data(t->items[i]));
        json_array_append_new(items, e);
    }
    json_object_set_new(o, "items", items);
    return o;
}

static void print_json(const cs_graph *g, cs_tensor **outs, const cs_exec_stats *st)
{
    json_t *root = json_object(), *arr = json_array();
    for (int o = 0; o < g->n_outputs; o++) {
        json_t *jo = json_object();
        json_object_set_new(jo, "name", json_string(g->values[g->outputs[o]].name));
        json_object_set_new(jo, "dtype", json_string(cs_dtype_name(outs[o]->dtype)));
        json_object_set_new(jo, "shape", cs_json_shape(outs[o]->rank, outs[o]->dims));
        json_object_set_new(jo, "data", json_value_data(outs[o]));
        json_array_append_new(arr, jo);
    }
    json_object_set_new(root, "outputs", arr);
    json_object_set_new(root, "time_ms", json_real(st->total_ms));
    json_object_set_new(root, "peak_bytes", json_integer((json_int_t)st->peak_bytes));
    cs_json_print(root);
}

static cs_status load_inputs(const cs_graph *g, const run_opts *o, cs_tensor **ins, cs_error *err)
{
    const char *per_input[64] = {0};
    if (g->n_inputs > 64)
        return cs_error_set(err, CS_ERR_UNSUPPORTED, "%s: more than 64 inputs", g->path);
    cs_status st = assign_specs(g, o, per_input, err);
    for (int i = 0; st == CS_OK && i < g->n_inputs; i++) {
        char notes[2048];
        st = cs_input_load(g, i, per_input[i], &o->input, &ins[i], notes, sizeof notes, err);
        if (st == CS_OK)
            fputs(notes, stderr);
    }
    return st;
}

static int execute(const cs_graph *g, const run_opts *o)
{
    cs_error err = {0};
    cs_plan *plan = NULL;
    cs_tensor *ins[64] = {0}, **outs = calloc((size_t)g->n_outputs + 1, sizeof(cs_tensor *));
    cs_exec_stats stats = {0};
    dump_state ds = {o->dump, {0}, false};
    cs_exec_opts eo = {o->dump ? dump_value : NULL, &ds, NULL};
    cs_status st = cs_plan_build(g, &plan, &err);
    if (st == CS_OK)
        st = load_inputs(g, o, ins, &err);
    if (st == CS_OK && o->dump && mkdir(o->dump, 0777) != 0 && errno != EEXIST)
        st = cs_error_set(&err, CS_ERR_IO, "%s: cannot create the dump directory", o->dump);
    if (st == CS_OK)
        st = cs_exec_run(g, plan, (const cs_tensor *const *)ins, outs, &eo, &stats, &err);
    if (st == CS_OK && ds.failed)
        st = (err = ds.err).status;
    if (st == CS_OK)
        (o->json ? print_json : print_text)(g, outs, &stats);
    for (int i = 0; i < g->n_inputs && i < 64; i++)
        cs_tensor_free(ins[i]);
    for (int i = 0; i < g->n_outputs; i++)
        cs_tensor_free(outs[i]);
    free(outs);
    cs_exec_stats_free(&stats);
    cs_plan_free(plan);
    return st == CS_OK ? CS_EXIT_OK : cs_cli_fail(&err);
}

int cs_cmd_run(int argc, char **argv)
{
    if (cs_cli_command_help("run", argc, argv, cs_cli_input_forms))
        return CS_EXIT_OK;
    run_opts o = {0};
    int rc = parse_opts(argc, argv, &o);
    if (rc != CS_EXIT_OK)
        return rc;
    cs_graph *g;
    cs_error err = {0};
    if (cs_model_load(o.model, &g, &err) != CS_OK)
        return cs_cli_fail(&err);
    rc = execute(g, &o);
    cs_graph_free(g);
    return rc;
}
