/* teach.c — the teaching view (`l`, `:explain`): for the selected layer, what it computes as a formula with its
 * own attribute values, input and output shapes, parameters and MACs, the receptive field at its depth, and
 * block pictures of one kernel and of a channel's activation beside its input. j/k walk the model layer by layer. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/diff/diff.h"
#include "engine/summary.h"
#include "lesson.h"
#include "ui.h"

/* The view's own state (its data pointer). */
typedef struct teach_state {
    int row;       /* the row the channel was chosen for */
    int channel;   /* output channel shown */
} teach_state;

static teach_state state = {-1, 0};

static void teach_open(cs_ui *ui)
{
    (void)ui;
    state.row = -1;
}

/* The A-side (or B-side for B-only rows) tensor holding value v: the model input, or the output of the row
 * whose layer produces it. */
static const cs_tensor *value_tensor(cs_ui *ui, int side, int v)
{
    const cs_graph *g = side ? ui->v.b : ui->v.a;
    if (!g || v < 0 || v >= g->n_values)
        return NULL;
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] == v)
            return side ? NULL : ui->v.input;
    int node = g->values[v].producer, layer = node >= 0 && node < g->n_nodes ? g->nodes[node].layer : -1;
    for (int r = 0; layer >= 0 && r < ui->v.n_rows; r++) {
        const cs_row *row = &ui->v.rows[r];
        const int *ls = side ? row->b : row->a;
        int n = side ? row->n_b : row->n_a;
        if (row->container || n == 0 || ls[n - 1] != layer)
            continue;
        const cs_tensor *a, *b;
        cs_session_row_acts(ui->s, r, &a, &b);
        return side ? b : a;
    }
    return NULL;
}

/* A rank-4 convolution kernel of the layer, with the axes of output and input channel and the spatial ones. */
typedef struct kernel {
    const cs_tensor *t;
    int64_t o, i, h, w;
    bool hwio;
} kernel;

static bool find_kernel(const cs_layer *l, kernel *k)
{
    for (int w = 0; w < l->n_weights; w++) {
        const cs_tensor *t = l->weights[w].tensor;
        if (!t || t->rank != 4)
            continue;
        k->t = t;
        k->hwio = l->weights[w].layout == CS_LAYOUT_HWIO;
        k->o = t->dims[k->hwio ? 3 : 0], k->i = t->dims[k->hwio ? 2 : 1];
        k->h = t->dims[k->hwio ? 0 : 2], k->w = t->dims[k->hwio ? 1 : 3];
        return true;
    }
    return false;
}

static double kval(const kernel *k, int64_t o, int64_t i, int64_t y, int64_t x)
{
    int64_t idx = k->hwio ? ((y * k->w + x) * k->i + i) * k->o + o : ((o * k->i + i) * k->h + y) * k->w + x;
    return cs_tensor_get_f64(k->t, idx);
}

/* The input channel whose kernel slice weighs most for output channel o (sum of |w|). */
static int64_t strongest_input(const kernel *k, int64_t o)
{
    int64_t best = 0;
    double best_s = -1;
    for (int64_t i = 0; i < k->i; i++) {
        double s = 0;
        for (int64_t y = 0; y < k->h; y++)
            for (int64_t x = 0; x < k->w; x++)
                s += fabs(kval(k, o, i, y, x));
        if (s > best_s)
            best_s = s, best = i;
    }
    return best;
}

/* Draws the kxk kernel slice two columns per tap (at most h rows: larger kernels are sampled). */
static int draw_kernel(cs_ui *ui, const kernel *k, int64_t o, int64_t i, int y, int x, int h)
{
    int rows = (int)(k->h < h ? k->h : h), cols = (int)(k->w < 20 ? k->w : 20);
    float *cells = malloc(sizeof(float) * (size_t)(rows * cols * 2) + 1);
    if (!cells || rows <= 0)
        return free(cells), 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double v = kval(k, o, i, r * k->h / rows, c * k->w / cols);
            cells[r * cols * 2 + 2 * c] = cells[r * cols * 2 + 2 * c + 1] = (float)v;
            lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        }
    cs_ui_map(ui, y, x, rows, cols * 2, cells, lo, hi);
    free(cells);
    return cols * 2;
}

/* Draws channel ch of t in an h x w box (aspect kept: a cell is twice as tall as wide); returns the width. */
static int draw_map(cs_ui *ui, const cs_tensor *t, int ch, int y, int x, int h, int w)
{
    if (!t || h <= 0 || w <= 0)
        return 0;
    int64_t th = t->rank >= 2 ? t->dims[t->rank - 2] : 1, tw = t->rank >= 1 ? t->dims[t->rank - 1] : 1;
    if (t->rank >= 3) {
        h = th < h ? (int)th : h;
        w = 2 * tw < w ? (int)(2 * tw) : w;
        w = w > 2 * h * tw / (th > 0 ? th : 1) ? (int)(2 * h * tw / (th > 0 ? th : 1)) : w;
    } else {
        h = 1;
    }
    if (w < 1)
        w = 1;
    float *cells = malloc(sizeof(float) * (size_t)(h * w) + 1);
    double lo, hi;
    int chs;
    if (cells && cs_tensor_map2d(t, NULL, CS_MAP_VALUE, ch, h, w, cells, &lo, &hi, &chs))
        cs_ui_map(ui, y, x, h, w, cells, lo, hi);
    free(cells);
    return w;
}

static int channels_of(const cs_tensor *t)
{
    return t && t->rank >= 3 ? (int)t->dims[t->rank - 3] : 1;
}

typedef struct page {
    cs_ui_rect r;
    int y;
} page;

#define LINE(P, attr, ...)                                                       \
    do {                                                                         \
        if ((P)->y < (P)->r.y + (P)->r.h)                                        \
            cs_ui_put((P)->y++, (P)->r.x, (P)->r.w, attr, __VA_ARGS__);          \
    } while (0)

static void pictures(cs_ui *ui, page *P, const cs_layer *l, const cs_tensor *in, const cs_tensor *out)
{
    kernel k = {0};
    bool has_k = find_kernel(l, &k);
    int n_out = channels_of(out);
    if (state.channel >= n_out)
        state.channel = n_out - 1;
    if (state.channel < 0)
        state.channel = 0;
    int64_t o = state.channel, ci = has_k && k.i > 0 ? strongest_input(&k, o % (k.o > 0 ? k.o : 1)) : o;
    if (!has_k && in && channels_of(in) != n_out)
        ci = 0;
    int h = P->r.y + P->r.h - P->y - 1;
    if (h < 1)
        return;
    char head[200];
    int kw = has_k ? (int)(k.w < 20 ? k.w : 20) * 2 : 0, x = P->r.x;
    int mapw = (P->r.w - kw - 8) / 2;
    snprintf(head, sizeof head, "%s", "");
    int hx = x;
    if (has_k) {
        cs_ui_put(P->y, hx, kw + 3, cs_ui_attr(CS_UI_C_DIM), "w[%lld,%lld]", (long long)o, (long long)ci);
        hx += (kw > 9 ? kw : 9) + 3;
    }
    cs_ui_put(P->y, hx, mapw + 4, cs_ui_attr(CS_UI_C_DIM), "in ch %lld%s", (long long)ci, in ? "" : " (not kept)");
    cs_ui_put(P->y, hx + mapw + 4, P->r.w - (hx + mapw + 4 - x), cs_ui_attr(CS_UI_C_DIM), "out ch %lld of %d",
              (long long)o, n_out);
    P->y++;
    if (has_k) {
        draw_kernel(ui, &k, o % (k.o > 0 ? k.o : 1), ci % (k.i > 0 ? k.i : 1), P->y, x, h);
        x += (kw > 9 ? kw : 9) + 3;
    }
    int iw = draw_map(ui, in, (int)ci, P->y, x, h, mapw);
    if (in)
        cs_ui_put(P->y + (h > 2 ? h / 2 : 0), x + iw + 1, 2, 0, "%s", ui->utf8 ? "→" : ">");
    draw_map(ui, out, (int)o, P->y, x + mapw + 4, h, mapw);
    P->y += h;
}

static void teach_draw(cs_ui *ui, cs_ui_rect r)
{
    cs_ui_fill(r);
    if (ui->sel_row < 0 || ui->sel_row >= ui->v.n_rows) {
        cs_ui_box_title(ui, r, "Learn (no layer yet)", true);
        return;
    }
    const cs_row *row = &ui->v.rows[ui->sel_row];
    int side = row->n_a ? 0 : 1;
    const cs_graph *g = side ? ui->v.b : ui->v.a;
    int layer = side ? (row->n_b ? row->b[row->n_b - 1] : -1) : row->a[row->n_a - 1];
    if (!g || layer < 0) {
        cs_ui_box_title(ui, r, "Learn (no layer here)", true);
        return;
    }
    if (state.row != ui->sel_row) {
        state.row = ui->sel_row;
        state.channel = 0;
    }
    const cs_layer *l = &g->layers[layer];
    const cs_tensor *ta, *tb;
    cs_session_row_acts(ui->s, ui->sel_row, &ta, &tb);
    const cs_tensor *out = side ? tb : ta;
    const cs_tensor *in0 = ui->v.input;
    int64_t in_h = in0 && in0->rank >= 3 ? in0->dims[in0->rank - 2] : 0;
    cs_lesson L;
    cs_lesson_build(g, layer, out, in_h, &L);
    const cs_tensor *in = value_tensor(ui, side, L.in_value);
    char t[300], s1[96], s2[96], n1[32];
    snprintf(t, sizeof t, "Learn: %s  %s%s%s%s  (j/k walk, </> channel, q back)", l->name, l->type, L.op[0] ? " = " : "",
             L.op, row->container ? ", a block" : "");
    cs_ui_box_title(ui, r, t, true);
    page P = {{r.y + 1, r.x + 1, r.h - 1, r.w - 1}, r.y + 1};
    LINE(&P, (int)A_BOLD, "%s", L.what);
    LINE(&P, cs_ui_attr(CS_UI_C_HEAD), "  %s", L.formula[0]);
    if (L.formula[1][0])
        LINE(&P, 0, "  %s", L.formula[1]);
    LINE(&P, 0, "shapes   in %s %s out %s", in ? cs_shape_str(in->rank, in->dims, s1, sizeof s1) : "?",
         ui->utf8 ? "→" : "->", out ? cs_shape_str(out->rank, out->dims, s2, sizeof s2) : "?");
    LINE(&P, 0, "params   %lld: %s", (long long)L.params, L.params_how);
    if (L.macs >= 0)
        snprintf(n1, sizeof n1, "%lld", (long long)L.macs);
    LINE(&P, 0, "MACs     %s%s%s", L.macs >= 0 ? n1 : "", L.macs >= 0 ? ": " : "", L.macs_how);
    LINE(&P, 0, "sees     %s", L.rf);
    pictures(ui, &P, l, in, out);
}

static int step_layer(cs_ui *ui, int dir)
{
    for (int r = ui->sel_row + dir; r >= 0 && r < ui->v.n_rows; r += dir)
        if (!ui->v.rows[r].container && !cs_ui_row_constant(ui, r)) {
            cs_ui_select(ui, r);
            return CS_UI_HANDLED;
        }
    cs_ui_message(ui, false, "%s", dir > 0 ? "this is the last layer" : "this is the first layer");
    return CS_UI_HANDLED;
}

static int k_next(cs_ui *ui) { return step_layer(ui, 1); }
static int k_prev(cs_ui *ui) { return step_layer(ui, -1); }
static int k_next_ch(cs_ui *ui) { (void)ui; state.channel++; return CS_UI_HANDLED; }
static int k_prev_ch(cs_ui *ui) { (void)ui; state.channel -= state.channel > 0; return CS_UI_HANDLED; }
static int k_close(cs_ui *ui) { ui->modal = CS_MODAL_NONE; return CS_UI_HANDLED; }

static const cs_ui_binding bindings[] = {
    {'j', "j ↓", "next layer, input to output", k_next, 1, "next"},
    {KEY_DOWN, NULL, "next layer", k_next, 0, NULL},
    {'k', "k ↑", "previous layer", k_prev, 2, "previous"},
    {KEY_UP, NULL, "previous layer", k_prev, 0, NULL},
    {'>', "> <", "next / previous output channel in the pictures", k_next_ch, 3, "channel"},
    {'<', NULL, "previous channel", k_prev_ch, 0, NULL},
    {'q', "q Esc l", "back to the layer walk", k_close, 4, "back"},
    {27, NULL, "back", k_close, 0, NULL},
    {'l', NULL, "back", k_close, 0, NULL},
};
const cs_ui_keytable cs_ui_teach_keys = {"teaching view (l, :explain)", bindings,
                                         (int)(sizeof bindings / sizeof bindings[0])};

/* No key function: the app dispatches the table, then the global keys (a modal with a key table). */
const cs_ui_view cs_ui_teach_view = {"teach", teach_draw, NULL, NULL, &cs_ui_teach_keys, &state, teach_open};
