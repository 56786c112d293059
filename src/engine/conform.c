/* conform.c — the ONNX backend-test runner behind `convscope conform`: loads each folder's model
 * and protobuf tensors, executes, and compares outputs with a stated tolerance. */
#include "conform.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exec.h"
#include "formats/onnx.h"
#include "model.h"
#include "value.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- checked-in lists ---- */

static cs_status read_lines(const char *path, char ***lines, int *n, cs_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot open list", path);
    char buf[1024];
    *lines = NULL;
    *n = 0;
    while (fgets(buf, sizeof buf, f)) {
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = 0;
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
            s[--len] = 0;
        if (!len)
            continue;
        char **p = realloc(*lines, (size_t)(*n + 1) * sizeof(char *));
        if (!p)
            break;
        *lines = p;
        (*lines)[(*n)++] = strdup(s);
    }
    fclose(f);
    return CS_OK;
}

static void free_lines(char **lines, int n)
{
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

cs_status cs_conform_load_skips(cs_conform_lists *lists, const char *path, cs_error *err)
{
    char **lines;
    int n;
    if (read_lines(path, &lines, &n, err) != CS_OK)
        return err->status;
    lists->skip_names = calloc((size_t)n + 1, sizeof *lists->skip_names);
    lists->skip_reasons = calloc((size_t)n + 1, sizeof *lists->skip_reasons);
    for (int i = 0; i < n; i++) {
        char *sp = strpbrk(lines[i], " \t");
        if (!sp) {
            cs_error_set(err, CS_ERR_FORMAT, "%s: skip '%s' has no reason (each skip needs one)", path, lines[i]);
            free_lines(lines, n);
            return CS_ERR_FORMAT;
        }
        *sp++ = 0;
        while (*sp == ' ' || *sp == '\t')
            sp++;
        snprintf(lists->skip_names[i], 256, "%s", lines[i]);
        snprintf(lists->skip_reasons[i], 256, "%s", sp);
    }
    lists->n_skips = n;
    free_lines(lines, n);
    return CS_OK;
}

cs_status cs_conform_load_tolerances(cs_conform_lists *lists, const char *path, cs_error *err)
{
    char **lines;
    int n;
    if (read_lines(path, &lines, &n, err) != CS_OK)
        return err->status;
    lists->tol_names = calloc((size_t)n + 1, sizeof *lists->tol_names);
    lists->tol_rtol = calloc((size_t)n + 1, sizeof(double));
    lists->tol_atol = calloc((size_t)n + 1, sizeof(double));
    for (int i = 0; i < n; i++) {
        char name[256];
        if (sscanf(lines[i], "%255s %lf %lf", name, &lists->tol_rtol[i], &lists->tol_atol[i]) != 3) {
            cs_error_set(err, CS_ERR_FORMAT, "%s: line '%s' is not 'name rtol atol'", path, lines[i]);
            free_lines(lines, n);
            return CS_ERR_FORMAT;
        }
        snprintf(lists->tol_names[i], 256, "%s", name);
    }
    lists->n_tols = n;
    free_lines(lines, n);
    return CS_OK;
}

void cs_conform_lists_free(cs_conform_lists *lists)
{
    free(lists->skip_names);
    free(lists->skip_reasons);
    free(lists->tol_names);
    free(lists->tol_rtol);
    free(lists->tol_atol);
    memset(lists, 0, sizeof *lists);
}

/* ---- running one test ---- */

static const char *base_name(const char *dir)
{
    const char *end = dir + strlen(dir);
    while (end > dir && end[-1] == '/')
        end--;
    const char *s = end;
    while (s > dir && s[-1] != '/')
        s--;
    static __thread char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(end - s), s);
    return buf;
}

/* Compares numeric tensor got against expected; fills reason on mismatch and raises *max_abs. */
static bool compare_tensor(const cs_tensor *got, const cs_tensor *want, double rtol, double atol, const char *label,
                           double *max_abs, char *reason, size_t reason_size)
{
    char s1[160], s2[160];
    if (got->dtype != want->dtype && !(cs_dtype_is_float(got->dtype) && cs_dtype_is_float(want->dtype))) {
        snprintf(reason, reason_size, "%s: dtype %s, expected %s", label, cs_dtype_name(got->dtype),
                 cs_dtype_name(want->dtype));
        return false;
    }
    if (!cs_tensor_same_shape(got, want)) {
        snprintf(reason, reason_size, "%s: shape %s, expected %s", label, cs_shape_str(got->rank, got->dims, s1, sizeof s1),
                 cs_shape_str(want->rank, want->dims, s2, sizeof s2));
        return false;
    }
    int64_t n = cs_tensor_numel(want);
    bool exact = !cs_dtype_is_float(want->dtype);
    for (int64_t i = 0; i < n; i++) {
        double a = exact ? (double)cs_tensor_get_i64(got, i) : cs_tensor_get_f64(got, i);
        double b = exact ? (double)cs_tensor_get_i64(want, i) : cs_tensor_get_f64(want, i);
        if (exact ? cs_tensor_get_i64(got, i) == cs_tensor_get_i64(want, i) : (isnan(a) && isnan(b)) || a == b)
            continue;
        double d = fabs(a - b);
        if (!isnan(d) && d > *max_abs)
            *max_abs = d;
        if (exact || isnan(d) || d > atol + rtol * fabs(b)) {
            snprintf(reason, reason_size, "%s: element %lld is %.9g, expected %.9g (|diff| %.3g > %.3g)", label,
                     (long long)i, a, b, d, atol + rtol * fabs(b));
            return false;
        }
    }
    return true;
}

static bool compare_strings(const cs_tensor *got, const cs_tensor *want, const char *label, char *reason,
                            size_t reason_size)
{
    char s1[160], s2[160];
    if (!cs_tensor_same_shape(got, want)) {
        snprintf(reason, reason_size, "%s: shape %s, expected %s", label, cs_shape_str(got->rank, got->dims, s1, sizeof s1),
                 cs_shape_str(want->rank, want->dims, s2, sizeof s2));
        return false;
    }
    for (int64_t i = 0, n = cs_string_count(want); i < n; i++)
        if (strcmp(cs_string_at(got, i), cs_string_at(want, i)) != 0) {
            snprintf(reason, reason_size, "%s: string %lld is '%.60s', expected '%.60s'", label, (long long)i,
                     cs_string_at(got, i), cs_string_at(want, i));
            return false;
        }
    return true;
}

/* Compares values of any kind: sequences element by element, optionals by presence then content. */
static bool compare_value(const cs_tensor *got, const cs_tensor *want, double rtol, double atol, const char *label,
                          double *max_abs, char *reason, size_t reason_size)
{
    if (got->kind != want->kind || (got->dtype == CS_DT_STRING) != (want->dtype == CS_DT_STRING)) {
        snprintf(reason, reason_size, "%s: a %s, expected a %s", label, cs_value_kind_name(got),
                 cs_value_kind_name(want));
        return false;
    }
    if (want->kind == CS_VALUE_TENSOR)
        return want->dtype == CS_DT_STRING ? compare_strings(got, want, label, reason, reason_size)
                                           : compare_tensor(got, want, rtol, atol, label, max_abs, reason, reason_size);
    if (got->n_items != want->n_items) {
        snprintf(reason, reason_size, "%s: %s of %d element(s), expected %d", label, cs_value_kind_name(want),
                 got->n_items, want->n_items);
        return false;
    }
    for (int i = 0; i < want->n_items; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%.240s[%d]", label, i);
        if (!compare_value(got->items[i], want->items[i], rtol, atol, sub, max_abs, reason, reason_size))
            return false;
    }
    return true;
}

/* The ONNX test data stores bfloat16 tensors as UINT16 with the same bits: read them as bf16 where
 * the model says bf16, so both inputs and expected outputs carry the model's dtype. */
static void reinterpret_bf16(cs_tensor *t, cs_dtype wanted)
{
    if (t && t->dtype == CS_DT_U16 && wanted == CS_DT_BF16)
        t->dtype = CS_DT_BF16;
}

static void run_data_set(const char *set_dir, const cs_graph *g, const cs_plan *plan, double rtol, double atol,
                         cs_conform_result *r)
{
    cs_error err = {0};
    cs_tensor **inputs = calloc((size_t)g->n_inputs + 1, sizeof(cs_tensor *));
    cs_tensor **outputs = calloc((size_t)g->n_outputs + 1, sizeof(cs_tensor *));
    char path[1400];
    bool ok = inputs && outputs;
    for (int i = 0; ok && i < g->n_inputs; i++) {
        snprintf(path, sizeof path, "%s/input_%d.pb", set_dir, i);
        if (cs_onnx_read_value_file(path, g->values[g->inputs[i]].kind, &inputs[i], &err) != CS_OK) {
            snprintf(r->reason, sizeof r->reason, "%s", err.msg);
            ok = false;
        } else {
            reinterpret_bf16(inputs[i], g->values[g->inputs[i]].dtype);
        }
    }
    if (ok && cs_exec_run(g, plan, (const cs_tensor *const *)inputs, outputs, NULL, NULL, &err) != CS_OK) {
        snprintf(r->reason, sizeof r->reason, "%s", err.msg);
        ok = false;
    }
    for (int o = 0; ok && o < g->n_outputs; o++) {
        cs_tensor *want;
        snprintf(path, sizeof path, "%s/output_%d.pb", set_dir, o);
        if (cs_onnx_read_value_file(path, g->values[g->outputs[o]].kind, &want, &err) != CS_OK) {
            snprintf(r->reason, sizeof r->reason, "%s", err.msg);
            ok = false;
            break;
        }
        reinterpret_bf16(want, outputs[o]->dtype);
        char label[300];
        snprintf(label, sizeof label, "%s output %d ('%s')", base_name(set_dir), o, g->values[g->outputs[o]].name);
        if (isnan(r->max_abs_err))
            r->max_abs_err = 0;
        ok = compare_value(outputs[o], want, rtol, atol, label, &r->max_abs_err, r->reason, sizeof r->reason);
        cs_tensor_free(want);
    }
    if (!ok)
        r->status = CS_CONFORM_FAILED;
    for (int i = 0; inputs && i < g->n_inputs; i++)
        cs_tensor_free(inputs[i]);
    for (int o = 0; outputs && o < g->n_outputs; o++)
        cs_tensor_free(outputs[o]);
    free(inputs);
    free(outputs);
}

static int find_in_list(char (*names)[256], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

void cs_conform_run(const char *dir, const cs_conform_lists *lists, double rtol, double atol, cs_conform_result *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", base_name(dir));
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    r->max_abs_err = NAN;
    r->status = CS_CONFORM_PASSED;
    int k = lists ? find_in_list(lists->skip_names, lists->n_skips, r->name) : -1;
    if (k >= 0) {
        r->status = CS_CONFORM_SKIPPED;
        snprintf(r->reason, sizeof r->reason, "%s", lists->skip_reasons[k]);
        return;
    }
    k = lists ? find_in_list(lists->tol_names, lists->n_tols, r->name) : -1;
    if (k >= 0) {
        rtol = lists->tol_rtol[k];
        atol = lists->tol_atol[k];
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    cs_error err = {0};
    cs_graph *g = NULL;
    cs_plan *plan = NULL;
    if (cs_onnx_load(path, &g, &err) != CS_OK || cs_plan_build(g, &plan, &err) != CS_OK) {
        r->status = CS_CONFORM_FAILED;
        snprintf(r->reason, sizeof r->reason, "%s", err.msg);
        cs_graph_free(g);
        return;
    }
    int sets = 0;
    for (int s = 0; r->status == CS_CONFORM_PASSED; s++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d", dir, s);
        if (!is_dir(path))
            break;
        run_data_set(path, g, plan, rtol, atol, r);
        sets++;
    }
    if (sets == 0 && r->status == CS_CONFORM_PASSED) {
        r->status = CS_CONFORM_FAILED;
        snprintf(r->reason, sizeof r->reason, "no test_data_set_* folder");
    }
    cs_plan_free(plan);
    cs_graph_free(g);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **cs_conform_find_tests(const char *path, int *n, cs_error *err)
{
    char buf[1200];
    *n = 0;
    snprintf(buf, sizeof buf, "%s/model.onnx", path);
    char **list = NULL;
    if (is_file(buf)) {
        list = malloc(sizeof(char *));
        list[0] = strdup(path);
        *n = 1;
        return list;
    }
    DIR *d = opendir(path);
    if (!d) {
        cs_error_set(err, CS_ERR_IO, "%s: not a test folder (no model.onnx) and not a directory of them", path);
        return NULL;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(buf, sizeof buf, "%s/%s/model.onnx", path, e->d_name);
        if (!is_file(buf))
            continue;
        char **p = realloc(list, (size_t)(*n + 1) * sizeof(char *));
        if (!p)
            break;
        list = p;
        snprintf(buf, sizeof buf, "%s/%s", path, e->d_name);
        list[(*n)++] = strdup(buf);
    }
    closedir(d);
    if (*n == 0) {
        free(list);
        cs_error_set(err, CS_ERR_IO, "%s: holds no ONNX test folders (subfolders with model.onnx)", path);
        return NULL;
    }
    qsort(list, (size_t)*n, sizeof(char *), cmp_str);
    return list;
}
