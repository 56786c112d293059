/* layers.c — the layer walk: A's and B's layers side by side, aligned by the matching, with type, output
 * shape and a diff column (max abs error, cosine, bar, glyph); containers fold and unfold (tmux's mode-tree). */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include "engine/diff/verdict.h"
#include "ui.h"

const char *cs_ui_row_name(const cs_ui *ui, const cs_row *r, int side, char *buf, size_t size)
{
    const cs_graph *g = side ? ui->v.b : ui->v.a;
    const int *ls = side ? r->b : r->a;
    int n = side ? r->n_b : r->n_a;
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; g && i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "+" : "", g->layers[ls[i]].name);
    return buf;
}

/* Inside a block, a name drops the block's path ("layer1.0.bn1" -> "bn1", "/layer1/layer1.0/bn1/BN" -> "bn1/BN"). */
static const char *relative_name(const cs_ui *ui, const cs_row *r, const char *name)
{
    if (r->parent < 0 || !ui->v.rows[r->parent].n_a)
        return name;
    const char *p = ui->v.a->layers[ui->v.rows[r->parent].a[0]].name;
    size_t n = strlen(p);
    if (strncmp(name, p, n) == 0 && name[n] == '.' && name[n + 1])
        return name + n + 1;
    char slashed[300];
    snprintf(slashed, sizeof slashed, "/%s/", p);
    const char *hit = strstr(name, slashed);
    return hit && hit[strlen(slashed)] ? hit + strlen(slashed) : name;
}

/* A layer computing only from constants (an ONNX Identity on an initializer, a CoreML MIL const) is not a
 * step of the model's computation: it gets no row. */
static bool constant_layer(const cs_graph *g, int l)
{
    const cs_layer *L = &g->layers[l];
    if (L->n_nodes == 0) /* a MIL const holds a value and runs nothing (its weights show with the layer it feeds);
                          * a checkpoint's layers hold weights and stay */
        return !g->weights_only;
    for (int i = 0; i < L->n_nodes; i++) {
        const cs_node *nd = &g->nodes[L->nodes[i]];
        for (int k = 0; k < nd->n_inputs; k++)
            if (nd->inputs[k] >= 0 && !g->values[nd->inputs[k]].data)
                return false;
    }
    return true;
}

static bool constant_row(const cs_ui *ui, const cs_row *r)
{
    if (r->container || r->pair >= 0 || r->n_a + r->n_b == 0)
        return false;
    for (int i = 0; i < r->n_a; i++)
        if (!constant_layer(ui->v.a, r->a[i]))
            return false;
    for (int i = 0; i < r->n_b; i++)
        if (!constant_layer(ui->v.b, r->b[i]))
            return false;
    return true;
}

static void mark_constants(cs_ui *ui)
{
    if (ui->const_rows_of == ui->v.rows && ui->n_const_rows == ui->v.n_rows)
        return;
    free(ui->const_rows);
    ui->const_rows = calloc((size_t)ui->v.n_rows + 1, sizeof *ui->const_rows);
    ui->const_rows_of = ui->v.rows;
    ui->n_const_rows = ui->const_rows ? ui->v.n_rows : 0;
    for (int r = 0; r < ui->n_const_rows; r++)
        ui->const_rows[r] = constant_row(ui, &ui->v.rows[r]);
}

bool cs_ui_row_constant(const cs_ui *ui, int row)
{
    return row >= 0 && row < ui->n_const_rows && ui->const_rows[row];
}

static bool hidden(const cs_ui *ui, int row)
{
    if (row < ui->n_const_rows && ui->const_rows[row])
        return true;
    for (int p = ui->v.rows[row].parent; p >= 0; p = ui->v.rows[p].parent)
        if (p < ui->n_folded && ui->folded[p])
            return true;
    return false;
}

/* A big model opens folded at the deepest nesting level that still fits CS_UI_FOLD_TARGET rows: ResNet-50 reads
 * as its stages and their blocks, DenseNet as its dense blocks; Enter, l or → open a block. */
static void fold_to_fit(cs_ui *ui)
{
    int max_depth = 0;
    for (int r = 0; r < ui->v.n_rows; r++)
        max_depth = ui->v.rows[r].depth > max_depth ? ui->v.rows[r].depth : max_depth;
    int depth = 0;
    for (int d = max_depth; d >= 0; d--) {
        int shown = 0;
        for (int r = 0; r < ui->v.n_rows; r++)
            shown += ui->v.rows[r].depth <= d && !cs_ui_row_constant(ui, r);
        if (shown <= CS_UI_FOLD_TARGET) {
            depth = d;
            break;
        }
    }
    for (int r = 0; r < ui->n_folded; r++)
        ui->folded[r] = ui->v.rows[r].container && ui->v.rows[r].depth >= depth;
}

/* Rebuilds the list of visible rows (folding) and keeps the folded flags sized to the rows. */
void cs_ui_layers_visible(cs_ui *ui)
{
    mark_constants(ui);
    if (ui->n_folded != ui->v.n_rows) {
        free(ui->folded);
        ui->folded = calloc((size_t)ui->v.n_rows + 1, sizeof *ui->folded);
        ui->n_folded = ui->folded ? ui->v.n_rows : 0;
        if (ui->v.n_rows > CS_UI_FOLD_ABOVE)
            fold_to_fit(ui);
    }
    if (ui->cap_vis < ui->v.n_rows + 1) {
        free(ui->vis);
        ui->cap_vis = ui->v.n_rows + 1;
        ui->vis = malloc((size_t)ui->cap_vis * sizeof *ui->vis);
    }
    ui->n_vis = 0;
    for (int r = 0; ui->vis && r < ui->v.n_rows; r++)
        if (!hidden(ui, r))
            ui->vis[ui->n_vis++] = r;
    if (ui->sel_row >= ui->v.n_rows)
        ui->sel_row = ui->v.n_rows - 1;
    if (ui->sel_row < 0)
        ui->sel_row = 0;
    while (ui->v.n_rows > 0 && ui->sel_row >= 0 && hidden(ui, ui->sel_row))
        ui->sel_row = ui->v.rows[ui->sel_row].parent;
    if (ui->sel_row < 0 || (ui->n_vis > 0 && hidden(ui, ui->sel_row)))
        ui->sel_row = ui->n_vis > 0 ? ui->vis[0] : 0;
}

int cs_ui_vis_pos(const cs_ui *ui, int row)
{
    for (int i = 0; i < ui->n_vis; i++)
        if (ui->vis[i] == row)
            return i;
    return 0;
}

/* Selects row, unfolding its containers so it is visible. */
void cs_ui_select(cs_ui *ui, int row)
{
    if (row < 0 || row >= ui->v.n_rows)
        return;
    for (int p = ui->v.rows[row].parent; p >= 0 && p < ui->n_folded; p = ui->v.rows[p].parent)
        ui->folded[p] = false;
    ui->sel_row = row;
    ui->detail_scroll = 0;
    cs_ui_layers_visible(ui);
}

/* The view's own state (its data pointer): the list over the visible rows. The selected row itself is the
 * app's (ui->sel_row): the detail pane, the teaching view and the header follow it. */
typedef struct layers_state {
    cs_ui_list list;
} layers_state;

static layers_state state = {.list = {.cursor = true}};

/* The list in step with the app: as many items as visible rows, the cursor on the selected row. */
static cs_ui_list *synced(cs_ui *ui)
{
    state.list.n = ui->n_vis;
    state.list.sel = cs_ui_vis_pos(ui, ui->sel_row);
    return &state.list;
}

int cs_ui_layers_top(void)
{
    return state.list.top;
}

/* Moves the selection with a list key (j/k, arrows, PgUp/PgDn, g/G, Home/End). */
static int move_key(cs_ui *ui, int key)
{
    cs_ui_list *l = synced(ui);
    if (ui->n_vis == 0)
        return CS_UI_HANDLED;
    int page = ui->pane[CS_PANE_LAYERS].h > 3 ? ui->pane[CS_PANE_LAYERS].h - 3 : 1;
    cs_ui_list_key(l, key, page);
    ui->sel_row = ui->vis[l->sel];
    ui->detail_scroll = 0;
    return CS_UI_HANDLED;
}

static void cols_for(const cs_ui *ui, int w, int *name_w, int *type_w, int *shape_w, bool *diff)
{
    *diff = ui->v.b != NULL;
    int fixed = *diff ? 1 + 9 + 7 + 6 + 2 : 0;
    *type_w = w >= 70 ? 10 : 8;
    *shape_w = w >= 90 ? 14 : 12;
    int rest = w - 2 - *type_w - *shape_w - fixed - 4;
    *name_w = *diff ? rest / 2 : rest;
    if (*name_w < 6)
        *name_w = 6;
}

static void diff_cols(const cs_ui *ui, int ri, const cs_row *row, int y, int x, int attr)
{
    const cs_layer_diff *ld = row->pair >= 0 && ui->v.diff ? &ui->v.diff->layers[row->pair] : NULL;
    cs_pair_verdict pv = ld ? cs_pair_verdict_of(ui->v.diff, row->pair) : CS_PAIR_OK;
    if (pv == CS_PAIR_SHAPES_DIFFER || pv == CS_PAIR_B_FAILS) { /* a divergence with no figures: say what */
        char shape[96];
        int bad = attr | cs_ui_attr(CS_UI_C_BAD);
        if (pv == CS_PAIR_SHAPES_DIFFER)
            cs_ui_put(y, x, 23, bad, " B %s", cs_session_row_shape(ui->s, ri, 1, shape, sizeof shape));
        else
            cs_ui_put(y, x, 23, bad, " B fails here");
        cs_ui_put(y, x + 23, 2, bad, " %s", cs_ui_glyph_ok(ui, false));
        return;
    }
    if (row->container || !ld || !ld->act.compared) {
        const char *why = row->container ? "" : row->pair < 0 ? "unmatched" : ld && ld->weights.compared ? "w only" : "-";
        cs_ui_put(y, x, 23, attr | cs_ui_attr(CS_UI_C_DIM), " %-9s", why);
        if (row->container)
            cs_ui_put(y, x + 23, 2, attr | cs_ui_attr(row->divergent ? CS_UI_C_BAD : CS_UI_C_OK), " %s",
                      cs_ui_glyph_ok(ui, !row->divergent));
        else
            cs_ui_put(y, x + 23, 2, attr, "%s", "");
        return;
    }
    /* the verdict decides the glyph: ✓ within tolerance, ✗ the layer's own error, ↓ an error inherited from
     * above (the layer itself is fine), ≈ within the lower precision's floor */
    bool bad = cs_pair_verdict_diverges(pv), inherited = pv == CS_PAIR_INHERITED, approx = pv == CS_PAIR_PRECISION;
    int col = attr | cs_ui_attr(bad ? CS_UI_C_BAD : inherited ? CS_UI_C_WARN : CS_UI_C_OK);
    cs_ui_put(y, x, 10, attr, " %9.2e", ld->act.max_abs);
    cs_ui_put(y, x + 10, 7, attr, " %6.4f", ld->act.cosine);
    double tol = ld->atol + ld->rtol;
    double frac = ld->act.max_abs <= 0 ? 0 : ld->within ? 0.25 : 0.5 + 0.5 * fmin(1, log10(1 + ld->act.max_abs / tol) / 6);
    cs_ui_put(y, x + 17, 1, attr, " ");
    cs_ui_bar(ui, y, x + 18, 5, frac, col);
    const char *glyph = bad || pv == CS_PAIR_OK ? cs_ui_glyph_ok(ui, !bad) : inherited ? (ui->utf8 ? "↓" : "v")
                      : approx ? (ui->utf8 ? "≈" : "~") : cs_ui_glyph_ok(ui, ld->within);
    cs_ui_put(y, x + 23, 2, col, " %s", glyph);
}

static void draw_row(cs_ui *ui, int y, int x, int w, int ri, bool sel)
{
    const cs_row *row = &ui->v.rows[ri];
    int name_w, type_w, shape_w;
    bool diff;
    cols_for(ui, w, &name_w, &type_w, &shape_w, &diff);
    int attr = sel ? cs_ui_attr(CS_UI_C_SEL) : 0;
    char na[256], nb[256], shape[96];
    const char *fold = row->container ? (ri < ui->n_folded && ui->folded[ri] ? (ui->utf8 ? "▸" : "+")
                                                                          : (ui->utf8 ? "▾" : "-")) : " ";
    int indent = row->depth * 2 < name_w / 2 ? row->depth * 2 : name_w / 2;
    cs_ui_row_name(ui, row, 0, na, sizeof na);
    const char *sa = relative_name(ui, row, na);
    cs_ui_put(y, x, 2 + indent, attr, "%s%*s%s", sel ? ">" : " ", indent, "", fold);
    int c = x + 2 + indent;
    cs_ui_put(y, c, name_w - indent, attr | (row->n_a ? 0 : cs_ui_attr(CS_UI_C_DIM)), "%s", row->n_a ? sa : "·");
    c += name_w - indent;
    if (diff) {
        cs_ui_row_name(ui, row, 1, nb, sizeof nb);
        cs_ui_put(y, c, name_w + 1, attr | (row->n_b ? 0 : cs_ui_attr(CS_UI_C_DIM)), " %s",
                  row->n_b ? relative_name(ui, row, nb) : "·");
        c += name_w + 1;
    }
    const cs_graph *g = row->n_a ? ui->v.a : ui->v.b;
    int l = row->n_a ? row->a[0] : row->n_b ? row->b[0] : -1;
    cs_ui_put(y, c, type_w + 1, attr, " %s", l >= 0 && g ? g->layers[l].type : "");
    c += type_w + 1;
    cs_ui_put(y, c, shape_w + 1, attr, " %s", cs_session_row_shape(ui->s, ri, row->n_a ? 0 : 1, shape, sizeof shape));
    c += shape_w + 1;
    if (diff)
        diff_cols(ui, ri, row, y, c, attr);
    int used = c - x + (diff ? 25 : 0);
    if (used < w)
        cs_ui_put(y, x + used, w - used, attr, "%s", "");
}

static void layer_row(cs_ui *ui, void *ctx, int k, int y, int x, int w, bool sel)
{
    (void)ctx;
    draw_row(ui, y, x, w, ui->vis[k], sel);
}

static void draw_heading(cs_ui *ui, int y, int x, int w)
{
    int name_w, type_w, shape_w;
    bool diff;
    cols_for(ui, w, &name_w, &type_w, &shape_w, &diff);
    char buf[512];
    if (diff)
        snprintf(buf, sizeof buf, "  %-*s %-*s %-*s %-*s %9s %6s %s", name_w, "A layer", name_w, "B layer", type_w,
                 "type", shape_w, "output", "max abs", "cosine", "diff");
    else
        snprintf(buf, sizeof buf, "  %-*s %-*s %-*s", name_w, "layer", type_w, "type", shape_w, "output");
    cs_ui_put(y, x, w, cs_ui_attr(CS_UI_C_DIM) | (int)A_UNDERLINE, "%s", buf);
}

static int count_constants(const cs_ui *ui)
{
    int n = 0;
    for (int r = 0; r < ui->n_const_rows; r++)
        n += ui->const_rows[r];
    return n;
}

/* How much to trust the pairing as a whole: the mean confidence of the pairs times the share of A's layers that
 * found a partner. Unrelated models score low; a converted model scores high. -1 without a matching. */
double cs_ui_match_confidence(const cs_ui *ui)
{
    const cs_matching *m = ui->v.diff ? ui->v.diff->matching : NULL;
    if (!m || m->n_pairs == 0)
        return m ? 0 : -1;
    double sum = 0;
    int paired = 0;
    for (int p = 0; p < m->n_pairs; p++)
        sum += m->pairs[p].confidence, paired += m->pairs[p].n_a;
    double share = paired + m->n_unmatched_a > 0 ? (double)paired / (paired + m->n_unmatched_a) : 0;
    return sum / m->n_pairs * share;
}

static void layers_draw(cs_ui *ui, cs_ui_rect r)
{
    char title[200], low[96] = "";
    double conf = cs_ui_match_confidence(ui);
    if (conf >= 0 && conf < CS_UI_LOW_MATCH)
        snprintf(low, sizeof low, " LOW MATCHING CONFIDENCE %.2f: are these the same model?", conf);
    snprintf(title, sizeof title, "Layers (%d of %d rows%s)%s", ui->n_vis, ui->v.n_rows - count_constants(ui),
             ui->v.b && !low[0] ? ", A | B aligned by the matching" : "", low);
    cs_ui_box_title(ui, r, title, ui->focus == CS_PANE_LAYERS);
    if (r.h < 3)
        return;
    draw_heading(ui, r.y + 1, r.x, r.w);
    cs_ui_list_draw(ui, synced(ui), (cs_ui_rect){r.y + 2, r.x, r.h - 2, r.w}, layer_row, NULL);
    if (ui->v.n_rows == 0)
        cs_ui_put(r.y + 2, r.x, r.w, 0, "%s", "  (no layers yet)");
}

static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* Finds the next (dir 1) or previous (-1) row whose names contain the search text. */
int cs_ui_find(cs_ui *ui, int dir)
{
    if (!ui->search[0]) {
        cs_ui_message(ui, false, "no search yet: press / to search layers");
        return CS_UI_HANDLED;
    }
    for (int k = 1; k <= ui->v.n_rows; k++) {
        int r = ((ui->sel_row + dir * k) % ui->v.n_rows + ui->v.n_rows) % ui->v.n_rows;
        char na[256], nb[256];
        cs_ui_row_name(ui, &ui->v.rows[r], 0, na, sizeof na);
        cs_ui_row_name(ui, &ui->v.rows[r], 1, nb, sizeof nb);
        if (contains(na, ui->search) || contains(nb, ui->search)) {
            cs_ui_select(ui, r);
            ui->focus = CS_PANE_LAYERS;
            return CS_UI_HANDLED;
        }
    }
    cs_ui_message(ui, true, "no layer matches '%s'", ui->search);
    return CS_UI_HANDLED;
}

static int k_down(cs_ui *ui) { return move_key(ui, 'j'); }
static int k_up(cs_ui *ui) { return move_key(ui, 'k'); }
static int k_pgdn(cs_ui *ui) { return move_key(ui, KEY_NPAGE); }
static int k_pgup(cs_ui *ui) { return move_key(ui, KEY_PPAGE); }
static int k_top(cs_ui *ui) { return move_key(ui, 'g'); }
static int k_end(cs_ui *ui) { return move_key(ui, 'G'); }

static int set_fold(cs_ui *ui, int mode) /* 0 toggle, 1 fold, 2 unfold */
{
    int r = ui->sel_row;
    if (r < 0 || r >= ui->n_folded)
        return CS_UI_HANDLED;
    if (!ui->v.rows[r].container) {
        if (mode == 1 && ui->v.rows[r].parent >= 0)
            cs_ui_select(ui, ui->v.rows[r].parent);
        else if (mode == 0)
            ui->focus = CS_PANE_DETAIL;
        return CS_UI_HANDLED;
    }
    ui->folded[r] = mode == 0 ? !ui->folded[r] : mode == 1;
    cs_ui_layers_visible(ui);
    return CS_UI_HANDLED;
}

static int k_toggle(cs_ui *ui) { return set_fold(ui, 0); }
static int k_fold(cs_ui *ui) { return set_fold(ui, 1); }
static int k_unfold(cs_ui *ui) { return set_fold(ui, 2); }

/* l: a folded block unfolds; anything else opens the teaching view. */
static int k_learn(cs_ui *ui)
{
    int r = ui->sel_row;
    if (r >= 0 && r < ui->n_folded && ui->v.rows[r].container && ui->folded[r])
        return set_fold(ui, 2);
    cs_ui_request_modal(ui, CS_MODAL_TEACH);
    return CS_UI_HANDLED;
}

static const cs_ui_binding bindings[] = {
    {'j', "j ↓", "next layer", k_down, 2, "move"},
    {KEY_DOWN, NULL, "next layer", k_down, 0, NULL},
    {'k', "k ↑", "previous layer", k_up, 0, NULL},
    {KEY_UP, NULL, "previous layer", k_up, 0, NULL},
    {KEY_NPAGE, "PgDn", "page down", k_pgdn, 0, NULL},
    {KEY_PPAGE, "PgUp", "page up", k_pgup, 0, NULL},
    {'g', "g", "first layer", k_top, 0, NULL},
    {KEY_HOME, NULL, "first layer", k_top, 0, NULL},
    {'G', "G", "last layer", k_end, 0, NULL},
    {KEY_END, NULL, "last layer", k_end, 0, NULL},
    {'\r', "Enter", "fold/unfold a block, or open the layer's detail", k_toggle, 3, "fold"},
    {KEY_ENTER, NULL, "fold/unfold", k_toggle, 0, NULL},
    {'h', "h ←", "fold the block (or go to its parent)", k_fold, 0, NULL},
    {KEY_LEFT, NULL, "fold", k_fold, 0, NULL},
    {'l', "l", "learn: what this layer computes (a folded block unfolds)", k_learn, 3, "learn"},
    {KEY_RIGHT, "→", "unfold the block", k_unfold, 0, NULL},
};
const cs_ui_keytable cs_ui_layer_keys = {"layer walk", bindings, (int)(sizeof bindings / sizeof bindings[0])};

static void layers_resize(cs_ui *ui, cs_ui_rect r)
{
    (void)ui, (void)r;
    state.list.top = 0;
}

const cs_ui_view cs_ui_layers_view = {"layers", layers_draw, NULL, layers_resize, &cs_ui_layer_keys, &state, NULL};
