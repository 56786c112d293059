/* predict.c — the predicted classes of both models: top-k of the output row's scores (probabilities through a
 * softmax when they are not already), named by the model's own class labels, else a labels.txt beside the model
 * (one class per line), else the dataset's classes when the input is a dataset sample. Computed once per result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/data/dataset.h"
#include "engine/diff/diff.h"
#include "ui.h"

static struct {
    const void *rows;          /* the results they were computed for */
    cs_ui_topk top[2];
} cache;

/* Class k's name from a labels.txt next to the model, "" when there is none or it has no line k. */
static void label_from_file(const char *model, int k, char *buf, size_t size)
{
    char path[1100];
    const char *slash = strrchr(model, '/');
    snprintf(path, sizeof path, "%.*slabels.txt", slash ? (int)(slash - model + 1) : 0, model);
    FILE *f = fopen(path, "r");
    char line[256];
    for (int i = 0; f && fgets(line, sizeof line, f); i++)
        if (i == k) {
            line[strcspn(line, "\r\n")] = 0;
            snprintf(buf, size, "%.47s", line);
            break;
        }
    if (f)
        fclose(f);
}

static void name_class(const cs_ui *ui, const cs_graph *g, const char *path, const cs_dataset *ds, int n_classes,
                       int k, char *buf, size_t size)
{
    const cs_attr *labels = cs_graph_class_labels(g);
    buf[0] = 0;
    if (labels && labels->count == n_classes && k < labels->count) {
        if (labels->type == CS_ATTR_STRINGS)
            snprintf(buf, size, "%s", labels->strings[k]);
        else
            snprintf(buf, size, "%lld", (long long)labels->ints[k]);
        return;
    }
    label_from_file(path, k, buf, size);
    if (!buf[0] && ds && cs_dataset_n_classes(ds) == n_classes)
        snprintf(buf, size, "%s", cs_dataset_class_name(ds, k));
    (void)ui;
}

static void top_of(const cs_ui *ui, const cs_tensor *t, const cs_graph *g, const char *path, const cs_dataset *ds,
                   cs_ui_topk *out)
{
    memset(out, 0, sizeof *out);
    int64_t n = t ? cs_tensor_numel(t) : 0, k_classes = t && t->rank > 0 ? t->dims[t->rank - 1] : n;
    if (!t || !cs_dtype_is_float(t->dtype) || k_classes < 2 || k_classes > 100000 || n < k_classes)
        return;
    double mx = -INFINITY, sum = 0;
    bool probs = true;
    for (int64_t i = 0; i < k_classes; i++) {
        double v = cs_tensor_get_f64(t, i);
        mx = v > mx ? v : mx;
        probs = probs && v >= 0 && v <= 1;
        sum += v;
    }
    probs = probs && fabs(sum - 1) < 1e-3; /* already a distribution (a softmax output) */
    double z = 0;
    for (int64_t i = 0; !probs && i < k_classes; i++)
        z += exp(cs_tensor_get_f64(t, i) - mx);
    out->n = k_classes < CS_UI_TOPK ? (int)k_classes : CS_UI_TOPK;
    for (int j = 0; j < out->n; j++) {
        int best = -1;
        for (int64_t i = 0; i < k_classes; i++) {
            bool taken = false;
            for (int q = 0; q < j; q++)
                taken = taken || out->idx[q] == i;
            if (!taken && (best < 0 || cs_tensor_get_f64(t, i) > cs_tensor_get_f64(t, best)))
                best = (int)i;
        }
        double v = cs_tensor_get_f64(t, best);
        out->idx[j] = best;
        out->p[j] = probs ? v : exp(v - mx) / z;
        name_class(ui, g, path, ds, (int)k_classes, best, out->label[j], sizeof out->label[j]);
    }
}

/* The row holding the model output: the last row whose A (or B) layers output a graph output. */
int cs_ui_output_row(const cs_ui *ui)
{
    for (int r = ui->v.n_rows - 1; r >= 0; r--) {
        const cs_row *row = &ui->v.rows[r];
        if (row->container)
            continue;
        const cs_graph *g = row->n_a ? ui->v.a : ui->v.b;
        const int *ls = row->n_a ? row->a : row->b;
        int n = row->n_a ? row->n_a : row->n_b, v = g && n ? cs_layer_group_output(g, ls, n) : -1;
        for (int o = 0; g && v >= 0 && o < g->n_outputs; o++)
            if (g->outputs[o] == v)
                return r;
    }
    return -1;
}

const cs_ui_topk *cs_ui_predicted(cs_ui *ui, int side)
{
    if (cache.rows != ui->v.rows) {
        cache.rows = ui->v.rows;
        memset(cache.top, 0, sizeof cache.top);
        int r = cs_ui_output_row(ui);
        const cs_tensor *a = NULL, *b = NULL;
        if (r >= 0)
            cs_session_row_acts(ui->s, r, &a, &b);
        cs_dataset *ds = NULL;
        cs_error err = {0};
        char name[512];
        int64_t index;
        if (ui->v.input_spec && cs_dataset_is_sample_spec(ui->v.input_spec) &&
            cs_dataset_split_sample(ui->v.input_spec, name, sizeof name, &index, &err) == CS_OK)
            cs_dataset_open(name, &ds, &err);
        if (ui->v.a && ui->v.fa)
            top_of(ui, a, ui->v.a, ui->v.fa->path, ds, &cache.top[0]);
        if (ui->v.b && ui->v.fb)
            top_of(ui, b, ui->v.b, ui->v.fb->path, ds, &cache.top[1]);
        cs_dataset_free(ds);
    }
    return side == 0 || side == 1 ? &cache.top[side] : NULL;
}

const char *cs_ui_topk_str(const cs_ui_topk *t, int k, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int j = 0; t && j < t->n && j < k && used < size; j++)
        used += (size_t)snprintf(buf + used, size - used, "%s%d%s%s%s %.0f%%", j ? ", " : "", t->idx[j],
                                 t->label[j][0] ? " '" : "", t->label[j], t->label[j][0] ? "'" : "", 100 * t->p[j]);
    return buf;
}
