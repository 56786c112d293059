/* detail.c — the detail pane for the selected row: attributes side by side with differences marked and the
 * weights with their statistics (`w`), or the activations with histograms, heatmaps of a channel for A, B and
 * |A-B|, the worst element and the isolated (local) error (`a`). Lines scroll inside the pane. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/diff/canon.h"
#include "engine/diff/verdict.h"
#include "engine/summary.h"
#include "ui.h"

/* Statistics of a big tensor (over CS_UI_BIG elements) take tens of milliseconds: a keypress draws without them
 * and the loop computes them when idle (cs_ui_detail_idle), so every key redraws at once. `ready` remembers
 * which summaries the session has cached; it is reset when the results change. */
#define CS_UI_BIG 262144
#define CS_UI_READY_MAX 4096

typedef struct summary_key {
    int kind, a, b;        /* 0 weight (side, layer*1024+w), 1 activation (side, row) */
} summary_key;

static struct {
    const void *results;   /* the rows pointer the keys belong to */
    summary_key ready[CS_UI_READY_MAX];
    int n_ready;
    summary_key pending[8];
    int n_pending;
} defer;

static bool same_key(summary_key x, summary_key y)
{
    return x.kind == y.kind && x.a == y.a && x.b == y.b;
}

static bool is_ready(summary_key k)
{
    for (int i = 0; i < defer.n_ready; i++)
        if (same_key(defer.ready[i], k))
            return true;
    return false;
}

static void mark_ready(summary_key k)
{
    if (defer.n_ready < CS_UI_READY_MAX && !is_ready(k))
        defer.ready[defer.n_ready++] = k;
}

/* Returns the summary now when it is cheap or cached, else queues it and returns NULL. */
static const cs_summary *summary(cs_ui *ui, summary_key k, const cs_tensor *t)
{
    if (defer.results != ui->v.rows)
        defer.results = ui->v.rows, defer.n_ready = 0, defer.n_pending = 0;
    if (t && cs_tensor_numel(t) > CS_UI_BIG && !is_ready(k)) {
        bool queued = false;
        for (int i = 0; i < defer.n_pending; i++)
            queued = queued || same_key(defer.pending[i], k);
        if (!queued && defer.n_pending < 8)
            defer.pending[defer.n_pending++] = k;
        return NULL;
    }
    return k.kind == 0 ? cs_session_weight_summary(ui->s, k.a, k.b / 1024, k.b % 1024)
                       : cs_session_act_summary(ui->s, k.b, k.a);
}

bool cs_ui_detail_idle(cs_ui *ui)
{
    if (defer.n_pending == 0 || defer.results != ui->v.rows)
        return defer.n_pending = 0, false;
    summary_key k = defer.pending[--defer.n_pending];
    if (k.kind == 0)
        cs_session_weight_summary(ui->s, k.a, k.b / 1024, k.b % 1024);
    else
        cs_session_act_summary(ui->s, k.b, k.a);
    mark_ready(k);
    return true;
}

typedef struct lines {
    cs_ui *ui;
    cs_ui_rect r;
    int n;         /* virtual lines emitted */
} lines;

/* The screen row of the next virtual line, or -1 when it is scrolled out of view. */
static int next_y(lines *L)
{
    int vy = L->n++ - L->ui->detail_scroll;
    return vy >= 0 && vy < L->r.h - 1 ? L->r.y + 1 + vy : -1;
}

#define TEXT(L, attr, ...)                                        \
    do {                                                          \
        int y_ = next_y(L);                                       \
        if (y_ >= 0)                                              \
            cs_ui_put(y_, (L)->r.x, (L)->r.w, attr, __VA_ARGS__); \
    } while (0)

static void stats_line(lines *L, const char *who, const cs_summary *sm)
{
    if (!sm) {
        TEXT(L, cs_ui_attr(CS_UI_C_DIM), "  %s statistics: computing…", who);
        return;
    }
    TEXT(L, 0, "  %s min %.4g max %.4g mean %.4g std %.4g%s", who, sm->min, sm->max, sm->mean, sm->std,
         sm->n_nonfinite ? "  (non-finite values!)" : "");
    int y = next_y(L);
    if (y >= 0) {
        cs_ui_put(y, L->r.x, 4, 0, "%s", "    ");
        cs_ui_sparkline(L->ui, y, L->r.x + 4, L->r.w - 4 < sm->bins ? L->r.w - 4 : sm->bins, sm);
        if (L->r.w - 4 > sm->bins)
            cs_ui_put(y, L->r.x + 4 + sm->bins, L->r.w - 4 - sm->bins, cs_ui_attr(CS_UI_C_DIM), " %.3g .. %.3g",
                      sm->min, sm->max);
    }
}

/* text after prefix, folded at spaces to the pane's width (continuation lines indented under the text). */
static void wrapped(lines *L, int attr, const char *prefix, const char *text)
{
    int w = L->r.w - (int)strlen(prefix);
    if (w < 20)
        w = 20;
    for (bool first = true; *text; first = false) {
        int n = (int)strlen(text);
        if (n > w) {
            n = w;
            while (n > w / 2 && text[n] != ' ')
                n--;
            if (text[n] != ' ')
                n = w;
        }
        TEXT(L, attr, "%s%.*s", first ? prefix : "       ", n, text);
        text += n;
        while (*text == ' ')
            text++;
    }
}

static void title(lines *L, const cs_row *row)
{
    cs_ui *ui = L->ui;
    char na[256], nb[256];
    cs_ui_row_name(ui, row, 0, na, sizeof na);
    cs_ui_row_name(ui, row, 1, nb, sizeof nb);
    const char *ta = row->n_a ? ui->v.a->layers[row->a[0]].type : "";
    const char *tb = row->n_b ? ui->v.b->layers[row->b[0]].type : "";
    if (ui->v.b)
        TEXT(L, (int)A_BOLD, "%s %s %s %s %s", row->n_a ? na : "(none in A)", ta, ui->utf8 ? "↔" : "<->",
             row->n_b ? nb : "(none in B)", tb);
    else
        TEXT(L, (int)A_BOLD, "%s %s", na, ta);
    if (row->pair >= 0 && ui->v.diff) {
        const cs_match_pair *mp = &ui->v.diff->matching->pairs[row->pair];
        TEXT(L, cs_ui_attr(CS_UI_C_DIM), "match %.2f%s: %s", mp->confidence, mp->from_map ? " (map)" : "",
             mp->evidence);
    }
    const cs_diff_result *d = ui->v.diff;
    if (d && d->cause.found && ui->sel_row == ui->v.first_divergent_row && d->cause.summary[0])
        wrapped(L, cs_ui_attr(CS_UI_C_BAD), "cause: ", d->cause.summary);
}

static const cs_attr *find_attr(const cs_layer *l, const char *name)
{
    return l ? cs_attrs_find(&l->attrs, name) : NULL;
}

static void attr_line(lines *L, const char *name, const cs_attr *a, const cs_attr *b, bool pair)
{
    char va[128] = "", vb[128] = "";
    if (a)
        cs_attr_str(a, va, sizeof va);
    if (b)
        cs_attr_str(b, vb, sizeof vb);
    bool differ = a && b && strcmp(va, vb) != 0;
    const char *mark = differ ? (L->ui->utf8 ? "≠" : "!") : (pair && (!a || !b)) ? "·" : " ";
    int nw = L->r.w / 3 > 28 ? 28 : L->r.w / 3, col = (L->r.w - nw - 4) / 2;
    TEXT(L, differ ? cs_ui_attr(CS_UI_C_BAD) : 0, "%s %-*.*s %-*.*s %s", mark, nw, nw, name, col, col, a ? va : "-",
         pair ? (b ? vb : "-") : "");
}

/* One row of the canonical table: the canonical name with the format-native names beside where they differ,
 * each side's value ("(default)" when the layer leaves it to its op), differing rows marked. */
static void canon_line(lines *L, const cs_canon_attr *a, const cs_canon_attr *b, const cs_layer *la,
                       const cs_layer *lb, bool pair)
{
    const cs_ui *ui = L->ui;
    const char *name = a ? a->name : b->name;
    const char *na = la ? cs_canon_native_name(&la->attrs, name) : NULL;
    const char *nb = lb ? cs_canon_native_name(&lb->attrs, name) : NULL;
    char label[160], va[128] = "-", vb[128] = "-", v[100];
    if (!na && a && a->cl_rank) /* a channels-last axis, stated channels-first: "axis (NHWC 3)" */
        na = a->native;
    if (!nb && b && b->cl_rank)
        nb = b->native;
    if (na && nb && strcmp(na, nb) != 0)
        snprintf(label, sizeof label, "%s (%s/%s)", name, na, nb);
    else if (na || nb)
        snprintf(label, sizeof label, "%s (%s)", name, na ? na : nb);
    else
        snprintf(label, sizeof label, "%s", name);
    if (a)
        snprintf(va, sizeof va, "%s%s", cs_canon_str(a, v, sizeof v),
                 cs_canon_is_default(ui->v.a, a) ? " (default)" : "");
    if (b)
        snprintf(vb, sizeof vb, "%s%s", cs_canon_str(b, v, sizeof v),
                 cs_canon_is_default(ui->v.b, b) ? " (default)" : "");
    bool differ = a && b && !cs_canon_equal(a, b);
    const char *mark = differ ? (ui->utf8 ? "≠" : "!") : (pair && (!a || !b)) ? "·" : " ";
    int nw = L->r.w / 3 > 28 ? 28 : L->r.w / 3, col = (L->r.w - nw - 4) / 2;
    TEXT(L, differ ? cs_ui_attr(CS_UI_C_BAD) : 0, "%s %-*.*s %-*.*s %s", mark, nw, nw, label, col, col, va,
         pair ? vb : "");
}

/* A native attribute that names a canonical one shown in the table. */
static bool canonical_shown(const cs_canon *ca, const cs_canon *cb, const char *native)
{
    const char *c = cs_canon_name(native);
    return cs_canon_find(ca, c) || cs_canon_find(cb, c) || (strcmp(c, "pads") != 0 && strstr(native, "paddingAmounts") &&
                                                            (cs_canon_find(ca, "pads") || cs_canon_find(cb, "pads")));
}

/* The attribute table: canonical attributes first, paired by canonical name across formats (Keras kernel_size
 * beside ONNX kernel_shape), then the native attributes no canonical name covers, paired by identical name. */
static void attributes(lines *L, const cs_row *row)
{
    const cs_graph *ga = L->ui->v.a, *gb = L->ui->v.b;
    const cs_layer *la = row->n_a ? &ga->layers[row->a[0]] : NULL;
    const cs_layer *lb = row->n_b && gb ? &gb->layers[row->b[0]] : NULL;
    bool pair = gb != NULL;
    cs_canon *ca = calloc(2, sizeof *ca), *cb = ca ? ca + 1 : NULL;
    if (!ca)
        return;
    if (row->n_a)
        cs_canon_collect(ga, row->a, row->n_a, NULL, ca);
    if (row->n_b && gb)
        cs_canon_collect(gb, row->b, row->n_b, NULL, cb);
    int nw = L->r.w / 3 > 28 ? 28 : L->r.w / 3, col = (L->r.w - nw - 4) / 2;
    TEXT(L, cs_ui_attr(CS_UI_C_HEAD), "  %-*s %-*s %s", nw, "attributes", col, pair ? "A" : "", pair ? "B" : "");
    for (int i = 0; i < ca->n; i++)
        canon_line(L, &ca->items[i], cs_canon_find(cb, ca->items[i].name), la, lb, pair);
    for (int i = 0; i < cb->n; i++)
        if (!cs_canon_find(ca, cb->items[i].name))
            canon_line(L, NULL, &cb->items[i], la, lb, pair);
    int shown = ca->n + cb->n;
    for (int i = 0; la && i < la->attrs.count; i++)
        if (!canonical_shown(ca, cb, la->attrs.items[i].name) && ++shown)
            attr_line(L, la->attrs.items[i].name, &la->attrs.items[i], find_attr(lb, la->attrs.items[i].name), pair);
    for (int i = 0; lb && i < lb->attrs.count; i++)
        if (!find_attr(la, lb->attrs.items[i].name) && !canonical_shown(ca, cb, lb->attrs.items[i].name) && ++shown)
            attr_line(L, lb->attrs.items[i].name, NULL, &lb->attrs.items[i], pair);
    if (!shown)
        TEXT(L, cs_ui_attr(CS_UI_C_DIM), "  (none)");
    free(ca);
}

/* A layer that runs nothing and holds weights (a CoreML MIL const) whose value feeds one of layer l's nodes:
 * its weights are shown with l, since the const gets no row. -1 past the last one. */
static int fed_const(const cs_graph *g, int l, int after)
{
    const cs_layer *L = &g->layers[l];
    for (int c = after + 1; c < g->n_layers && !g->weights_only; c++) {
        const cs_layer *C = &g->layers[c];
        if (C->n_nodes || !C->n_weights || c == l)
            continue;
        for (int i = 0; i < L->n_nodes; i++) {
            const cs_node *nd = &g->nodes[L->nodes[i]];
            for (int k = 0; k < nd->n_inputs; k++) {
                for (int o = 0; nd->inputs[k] >= 0 && o < C->n_outputs; o++)
                    if (C->outputs[o] == nd->inputs[k])
                        return c;
                for (int w = 0; nd->inputs[k] >= 0 && w < C->n_weights; w++)
                    if (C->weights[w].value == nd->inputs[k])
                        return c;
            }
        }
    }
    return -1;
}

static void weights_of(lines *L, int side, const int *layers, int n)
{
    const cs_graph *g = side ? L->ui->v.b : L->ui->v.a;
    int fed[16], n_fed = 0;
    for (int k = 0; g && k < n; k++)
        for (int c = fed_const(g, layers[k], -1); c >= 0 && n_fed < 16; c = fed_const(g, layers[k], c))
            fed[n_fed++] = c;
    for (int k = 0; g && k < n + n_fed; k++) {
        int li = k < n ? layers[k] : fed[k - n];
        const cs_layer *l = &g->layers[li];
        for (int w = 0; w < l->n_weights; w++) {
            const cs_weight *wt = &l->weights[w];
            char shape[96];
            const cs_tensor *t = wt->tensor;
            TEXT(L, 0, "%s %s %s %s %s%s%s", side ? "B" : "A", wt->name, t ? cs_shape_str(t->rank, t->dims, shape,
                 sizeof shape) : "?", cs_layout_name(wt->layout), cs_dtype_name(wt->stored_dtype ? wt->stored_dtype
                 : t ? t->dtype : CS_DT_F32), wt->stored_dtype && t && wt->stored_dtype != t->dtype ? " (stored)" : "",
                 wt->is_buffer ? " buffer" : "");
            if (w < 1024)
                stats_line(L, "", summary(L->ui, (summary_key){0, side, li * 1024 + w}, t));
        }
    }
}

static void weights_view(lines *L, const cs_row *row)
{
    const cs_layer_diff *ld = row->pair >= 0 && L->ui->v.diff ? &L->ui->v.diff->layers[row->pair] : NULL;
    if (ld && ld->weights.compared)
        TEXT(L, cs_ui_attr(ld->weights.code == CS_W_DIFFERENT ? CS_UI_C_BAD : CS_UI_C_OK),
             "weights: %s, max abs %.3g%s%s%s", ld->weights.status, ld->weights.max_abs,
             ld->weights.alignment[0] ? " (" : "", ld->weights.alignment, ld->weights.alignment[0] ? ")" : "");
    int before = L->n;
    weights_of(L, 0, row->a, row->n_a);
    weights_of(L, 1, row->b, row->n_b);
    if (L->n == before)
        TEXT(L, cs_ui_attr(CS_UI_C_DIM), "no weights");
    attributes(L, row);
}

static void heatmaps(lines *L, const cs_tensor *a, const cs_tensor *b)
{
    cs_ui *ui = L->ui;
    int panes = b ? 3 : 1, hw = (L->r.w - 2 * panes) / panes;
    hw = hw > 40 ? 40 : hw;
    int hh = hw / 2 > 12 ? 12 : hw / 2 < 2 ? 2 : hw / 2;
    if (hw < 4)
        return;
    float *cells = malloc(sizeof(float) * (size_t)(hw * hh));
    double lo[3], hi[3];
    int ch = 1;
    const char *names[3] = {"A", "B", "|A-B|"};
    if (!cells)
        return;
    if (ui->channel < 0)
        ui->channel = 0;
    cs_tensor_map2d(a, NULL, CS_MAP_VALUE, ui->channel, 1, 1, cells, &lo[0], &hi[0], &ch);
    if (ui->channel >= ch)
        ui->channel = ch - 1;
    TEXT(L, cs_ui_attr(CS_UI_C_HEAD), "channel %d of %d (< > change)", ui->channel, ch);
    int y0 = L->n;
    for (int i = 0; i <= hh; i++) { /* blank the block: the maps leave gaps between them */
        int y = next_y(L);
        if (y >= 0)
            cs_ui_put(y, L->r.x, L->r.w, 0, "%s", "");
    }
    for (int p = 0; p < panes; p++) {
        L->n = y0;
        bool ok = cs_tensor_map2d(a, b, p == 2 ? CS_MAP_ABSDIFF : CS_MAP_VALUE, ui->channel, hh, hw, cells, &lo[p],
                                  &hi[p], &ch);
        if (p == 1)
            ok = cs_tensor_map2d(b, NULL, CS_MAP_VALUE, ui->channel, hh, hw, cells, &lo[p], &hi[p], &ch);
        int x = L->r.x + p * (hw + 2);
        int y = next_y(L);
        if (y >= 0)
            cs_ui_put(y, x, hw + 2, cs_ui_attr(CS_UI_C_DIM), "%s %.2g..%.2g", names[p], ok ? lo[p] : 0,
                      ok ? hi[p] : 0);
        for (int r = 0; r < hh; r++)
            if ((y = next_y(L)) >= 0 && ok)
                cs_ui_map(ui, y, x, 1, hw, cells + r * hw, lo[p], hi[p]);
    }
    free(cells);
}

static void acts_view(lines *L, int ri, const cs_row *row)
{
    const cs_tensor *a, *b;
    cs_session_row_acts(L->ui->s, ri, &a, &b);
    char shape[96], where[96];
    const cs_layer_diff *ld = row->pair >= 0 && L->ui->v.diff ? &L->ui->v.diff->layers[row->pair] : NULL;
    if (!a) {
        TEXT(L, cs_ui_attr(CS_UI_C_DIM), "no activation kept for this row%s", row->container ? " (a block)" : "");
        return;
    }
    if (L->ui->channel_row != ri) {
        L->ui->channel_row = ri;
        L->ui->channel = ld && ld->act.compared && a->rank >= 3 ? (int)(ld->act.max_index / (a->dims[a->rank - 1] *
                         a->dims[a->rank - 2]) % a->dims[a->rank - 3]) : 0;
    }
    cs_pair_verdict pv = ld ? cs_pair_verdict_of(L->ui->v.diff, row->pair) : CS_PAIR_OK;
    char sb[96];
    if (pv == CS_PAIR_SHAPES_DIFFER)
        TEXT(L, cs_ui_attr(CS_UI_C_BAD), "%s shapes differ: A %s, B %s (changed here)",
             cs_ui_glyph_ok(L->ui, false), cs_shape_str(a->rank, a->dims, shape, sizeof shape),
             b ? cs_shape_str(b->rank, b->dims, sb, sizeof sb) : cs_session_row_shape(L->ui->s, ri, 1, sb, sizeof sb));
    else if (pv == CS_PAIR_B_FAILS)
        TEXT(L, cs_ui_attr(CS_UI_C_BAD), "%s B fails in this layer: %s", cs_ui_glyph_ok(L->ui, false),
             L->ui->v.diff->b_error);
    if (ld && ld->act.compared) {
        int role = ld->within ? CS_UI_C_OK : CS_UI_C_BAD;
        TEXT(L, cs_ui_attr(role), "%s max abs %.3g, worst at %s, cosine %.6f", cs_ui_glyph_ok(L->ui, ld->within),
             ld->act.max_abs, cs_index_coords(a->rank, a->dims, ld->act.max_index, where, sizeof where),
             ld->act.cosine);
        TEXT(L, cs_ui_attr(role), "  rmse %.3g, %.2f%% outside atol %g + rtol %g x |b|", ld->act.rmse,
             100 * ld->act.frac_outside, ld->atol, ld->rtol);
        cs_blame blame = cs_pair_blame(L->ui->v.diff, row->pair); /* the CLI's decision (diff/verdict.h) */
        if (ld->local.compared)
            TEXT(L, 0, "local error (B's layer fed A's input): max abs %.3g, %s", ld->local.max_abs,
                 blame == CS_BLAME_NONE ? "within tolerance" : cs_blame_name(blame));
        else
            TEXT(L, cs_ui_attr(CS_UI_C_DIM), "local error: not isolated (%s)", ld->local.alignment[0] ?
                 ld->local.alignment : "n/a");
    }
    if (ri == cs_ui_output_row(L->ui)) { /* the model's output: what each model predicts */
        char top[400];
        for (int side = 0; side < (L->ui->v.b ? 2 : 1); side++) {
            const cs_ui_topk *t = cs_ui_predicted(L->ui, side);
            if (t && t->n > 0)
                TEXT(L, (int)A_BOLD, "%s predicts %s", side ? "B" : "A", cs_ui_topk_str(t, CS_UI_TOPK, top, sizeof top));
        }
    }
    TEXT(L, cs_ui_attr(CS_UI_C_HEAD), "A output %s %s", cs_shape_str(a->rank, a->dims, shape, sizeof shape),
         cs_dtype_name(a->dtype));
    stats_line(L, "", summary(L->ui, (summary_key){1, 0, ri}, a));
    if (b) {
        TEXT(L, cs_ui_attr(CS_UI_C_HEAD), "B output %s (%s)", cs_shape_str(b->rank, b->dims, shape, sizeof shape),
             ld ? ld->act.alignment : "");
        stats_line(L, "", summary(L->ui, (summary_key){1, 1, ri}, b));
    }
    heatmaps(L, a, b && cs_tensor_numel(b) == cs_tensor_numel(a) ? b : NULL); /* |A-B| needs equal shapes */
    if (b && cs_tensor_numel(b) != cs_tensor_numel(a))
        TEXT(L, cs_ui_attr(CS_UI_C_DIM), "(B's map is not drawn beside A's: the shapes differ)");
}

static void detail_draw(cs_ui *ui, cs_ui_rect r)
{
    const char *mode = ui->detail == CS_DETAIL_WEIGHTS ? "Weights" : "Activations";
    char t[64];
    snprintf(t, sizeof t, "%s (w weights, a activations)", mode);
    cs_ui_box_title(ui, r, t, ui->focus == CS_PANE_DETAIL);
    lines L = {ui, r, 0};
    if (ui->sel_row >= 0 && ui->sel_row < ui->v.n_rows) {
        const cs_row *row = &ui->v.rows[ui->sel_row];
        title(&L, row);
        if (ui->detail == CS_DETAIL_WEIGHTS)
            weights_view(&L, row);
        else
            acts_view(&L, ui->sel_row, row);
    }
    int end = L.n - ui->detail_scroll;
    for (int y = end < 0 ? 0 : end; y < r.h - 1; y++)
        cs_ui_put(r.y + 1 + y, r.x, r.w, 0, "%s", "");
}

static int k_down(cs_ui *ui) { ui->detail_scroll++; return CS_UI_HANDLED; }
static int k_up(cs_ui *ui) { ui->detail_scroll -= ui->detail_scroll > 0; return CS_UI_HANDLED; }
static int k_pgdn(cs_ui *ui) { ui->detail_scroll += ui->pane[CS_PANE_DETAIL].h - 2; return CS_UI_HANDLED; }
static int k_pgup(cs_ui *ui)
{
    ui->detail_scroll -= ui->pane[CS_PANE_DETAIL].h - 2;
    ui->detail_scroll = ui->detail_scroll < 0 ? 0 : ui->detail_scroll;
    return CS_UI_HANDLED;
}
static int k_top(cs_ui *ui) { ui->detail_scroll = 0; return CS_UI_HANDLED; }
static int k_next_ch(cs_ui *ui) { ui->channel++; return CS_UI_HANDLED; }
static int k_prev_ch(cs_ui *ui) { ui->channel -= ui->channel > 0; return CS_UI_HANDLED; }

static const cs_ui_binding bindings[] = {
    {'j', "j ↓", "scroll down", k_down, 2, "scroll"},
    {KEY_DOWN, NULL, "scroll down", k_down, 0, NULL},
    {'k', "k ↑", "scroll up", k_up, 0, NULL},
    {KEY_UP, NULL, "scroll up", k_up, 0, NULL},
    {KEY_NPAGE, "PgDn", "page down", k_pgdn, 0, NULL},
    {KEY_PPAGE, "PgUp", "page up", k_pgup, 0, NULL},
    {'g', "g", "back to the top", k_top, 0, NULL},
    {'>', ">", "next channel in the heatmaps", k_next_ch, 3, "channel"},
    {'<', "<", "previous channel", k_prev_ch, 0, NULL},
};
const cs_ui_keytable cs_ui_detail_keys = {"detail pane", bindings, (int)(sizeof bindings / sizeof bindings[0])};

const cs_ui_view cs_ui_detail_view = {"detail", detail_draw, NULL, NULL, &cs_ui_detail_keys, &defer, NULL};
