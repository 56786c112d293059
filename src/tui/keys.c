/* keys.c — the global key table, dispatch through tables, `?` help lines generated from every table, and the
 * bottom bar listing the bindings of the current context (tmux's key-bindings.c, htop's FunctionBar.c). */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "engine/diff/verdict.h"
#include "ui.h"

static int k_quit(cs_ui *ui)
{
    if (cs_session_jobs_active(ui->s)) {
        ui->modal = CS_MODAL_CONFIRM;
        return CS_UI_HANDLED;
    }
    return CS_UI_QUIT;
}

static int k_help(cs_ui *ui)
{
    cs_ui_request_modal(ui, CS_MODAL_HELP);
    return CS_UI_HANDLED;
}

static int k_cmdline(cs_ui *ui)
{
    cs_ui_cmdline_open(ui);
    return CS_UI_HANDLED;
}

static int k_next_pane(cs_ui *ui)
{
    int n = cs_session_n_jobs(ui->s) > 0 ? 3 : 2;
    ui->focus = (cs_ui_pane)((ui->focus + 1) % n);
    return CS_UI_HANDLED;
}

static int k_prev_pane(cs_ui *ui)
{
    int n = cs_session_n_jobs(ui->s) > 0 ? 3 : 2;
    ui->focus = (cs_ui_pane)((ui->focus + n - 1) % n);
    return CS_UI_HANDLED;
}

static int k_input(cs_ui *ui)
{
    cs_ui_request_modal(ui, CS_MODAL_INPUT);
    return CS_UI_HANDLED;
}

static int k_timing(cs_ui *ui)
{
    cs_job_params p;
    cs_job_params_default(&p, CS_JOB_BENCH);
    cs_ui_request_job(ui, &p);
    return CS_UI_HANDLED;
}

static int k_eval(cs_ui *ui)
{
    cs_job_params p;
    cs_job_params_default(&p, CS_JOB_EVAL);
    cs_ui_request_job(ui, &p);
    return CS_UI_HANDLED;
}

static int k_attack(cs_ui *ui)
{
    cs_ui_request_modal(ui, CS_MODAL_FORM);
    return CS_UI_HANDLED;
}

static int k_weights(cs_ui *ui)
{
    ui->detail = CS_DETAIL_WEIGHTS;
    ui->detail_scroll = 0;
    return CS_UI_HANDLED;
}

static int k_acts(cs_ui *ui)
{
    ui->detail = CS_DETAIL_ACTS;
    ui->detail_scroll = 0;
    return CS_UI_HANDLED;
}

static int k_first(cs_ui *ui)
{
    if (ui->v.first_divergent_row < 0)
        cs_ui_message(ui, false, "%s", ui->v.diff ? "no divergent layer: every compared pair is within tolerance"
                                                  : "no diff: open two models to compare");
    else
        cs_ui_select(ui, ui->v.first_divergent_row);
    ui->focus = CS_PANE_LAYERS;
    return CS_UI_HANDLED;
}

/* A row where the error starts rather than one that only inherits it: the isolated layer is outside tolerance,
 * its shapes differ, B fails in it, or it diverges and could not be isolated. */
static bool local_fault(const cs_ui *ui, int r)
{
    const cs_row *row = &ui->v.rows[r];
    if (row->container || row->pair < 0 || !ui->v.diff)
        return false;
    cs_pair_verdict v = cs_pair_verdict_of(ui->v.diff, row->pair);
    cs_blame b = cs_pair_blame(ui->v.diff, row->pair);
    return v == CS_PAIR_SHAPES_DIFFER || v == CS_PAIR_B_FAILS ||
           (cs_pair_verdict_diverges(v) && (b == CS_BLAME_FAULTY || b == CS_BLAME_UNKNOWN));
}

static int jump_divergent(cs_ui *ui, int dir)
{
    for (int r = ui->sel_row + dir; r >= 0 && r < ui->v.n_rows; r += dir)
        if (local_fault(ui, r)) {
            cs_ui_select(ui, r);
            return CS_UI_HANDLED;
        }
    cs_ui_message(ui, false, "no %s layer with a local error (rows that only inherit an error are skipped)",
                  dir > 0 ? "next" : "previous");
    return CS_UI_HANDLED;
}

static int k_next_div(cs_ui *ui)
{
    return jump_divergent(ui, 1);
}

static int k_prev_div(cs_ui *ui)
{
    return jump_divergent(ui, -1);
}

static int k_search(cs_ui *ui)
{
    cs_ui_cmdline_search(ui);
    return CS_UI_HANDLED;
}

static int k_next_match(cs_ui *ui)
{
    return cs_ui_find(ui, 1);
}

static int k_prev_match(cs_ui *ui)
{
    return cs_ui_find(ui, -1);
}

static int k_zoom(cs_ui *ui)
{
    ui->zoom = !ui->zoom;
    return CS_UI_HANDLED;
}

static const cs_ui_binding global[] = {
    {'q', "q", "quit (asks first while a job runs)", k_quit, 5, "quit"},
    {'?', "?", "help: every key and command", k_help, 5, "help"},
    {KEY_F(1), "F1", "help", k_help, 0, NULL},
    {':', ":", "command line (Tab completes, ↑/↓ history)", k_cmdline, 6, "cmd"},
    {'\t', "Tab", "next pane", k_next_pane, 7, "pane"},
    {KEY_BTAB, "S-Tab", "previous pane", k_prev_pane, 0, NULL},
    {'i', "i", "choose the input (file, dataset sample, adversarial example)", k_input, 6, "input"},
    {'t', "t", "start a timing job", k_timing, 0, NULL},
    {'e', "e", "start an evaluation job (fashion-mnist:test, 1000 samples)", k_eval, 0, NULL},
    {'x', "x", "start an attack job (a form asks method, eps, steps, data, limit)", k_attack, 0, NULL},
    {'w', "w", "detail pane: attributes and weights", k_weights, 4, "weights"},
    {'a', "a", "detail pane: activations", k_acts, 4, "acts"},
    {'f', "f", "jump to the first divergent layer", k_first, 1, "first ✗"},
    {']', "]", "next layer with a local error (skips inherited ones)", k_next_div, 0, NULL},
    {'[', "[", "previous layer with a local error", k_prev_div, 0, NULL},
    {'/', "/", "search layers by name", k_search, 0, NULL},
    {'n', "n", "next search match", k_next_match, 0, NULL},
    {'N', "N", "previous search match", k_prev_match, 0, NULL},
    {'z', "z", "zoom the focused pane", k_zoom, 0, NULL},
    {'c', "c Esc", "cancel the focused job (it keeps its partial result)", cs_ui_jobs_cancel, 0, NULL},
    {27, NULL, "cancel the focused job", cs_ui_jobs_cancel, 0, NULL},
};
const cs_ui_keytable cs_ui_global_keys = {"everywhere", global, (int)(sizeof global / sizeof global[0])};

const cs_ui_view *cs_ui_pane_view(cs_ui_pane p)
{
    static const cs_ui_view *const views[CS_PANE_COUNT] = {&cs_ui_layers_view, &cs_ui_detail_view, &cs_ui_jobs_view};
    return views[p];
}

int cs_ui_dispatch(cs_ui *ui, const cs_ui_keytable *t, int key)
{
    for (int i = 0; t && i < t->n; i++)
        if (t->b[i].key == key)
            return t->b[i].fn(ui) | CS_UI_HANDLED;
    return CS_UI_UNHANDLED;
}

/* Pads text to `cols` display columns (wcwidth: "j ↓" is 3 columns, 5 bytes) into out. */
static void pad_cols(char *out, size_t size, const char *text, int cols)
{
    snprintf(out, size, "%s", text);
    int w = cs_ui_text_width(text);
    size_t used = strlen(out);
    for (; w < cols && used + 1 < size; w++)
        out[used++] = ' ';
    out[used] = 0;
}

static int table_lines(const cs_ui_keytable *t, char lines[][160], int n, int max)
{
    if (n < max)
        snprintf(lines[n++], 160, "%s", t->name);
    for (int i = 0; i < t->n && n < max; i++)
        if (t->b[i].label) {
            char label[64];
            pad_cols(label, sizeof label, t->b[i].label, 10);
            snprintf(lines[n++], 160, "  %s %s", label, t->b[i].note);
        }
    return n;
}

int cs_ui_help_lines(char lines[][160], int max)
{
    const cs_ui_keytable *tables[] = {&cs_ui_global_keys, &cs_ui_layer_keys, &cs_ui_detail_keys, &cs_ui_job_keys,
                                      &cs_ui_teach_keys};
    int n = 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        n = table_lines(tables[i], lines, n, max);
    if (n < max)
        snprintf(lines[n++], 160, "commands (after :)");
    for (int i = 0; i < cs_ui_n_cmds && n < max; i++) {
        char usage[64];
        pad_cols(usage, sizeof usage, cs_ui_cmds[i]->usage, 28);
        snprintf(lines[n++], 160, "  %s %s", usage, cs_ui_cmds[i]->summary);
    }
    if (n < max)
        snprintf(lines[n++], 160, "glyphs: ✓ within tolerance  ✗ the layer's own error  ↓ an error inherited from above  "
                 "≈ within a lower precision");
    if (n < max)
        snprintf(lines[n++], 160, "mouse: click selects a layer or job, the wheel scrolls");
    return n;
}

typedef struct bar_item {
    const cs_ui_binding *b;
    int width;
} bar_item;

static int collect(const cs_ui_keytable *t, bar_item *items, int n, int max)
{
    for (int i = 0; t && i < t->n && n < max; i++)
        if (t->b[i].bar > 0 && t->b[i].label && t->b[i].word) {
            items[n].b = &t->b[i];
            items[n].width = cs_ui_text_width(t->b[i].label) + 1 + cs_ui_text_width(t->b[i].word) + 2;
            n++;
        }
    return n;
}

/* The bindings of the focused view and the global ones, by rank; when the line is narrow the lowest ranks go
 * first, so `f` (rank 1) always shows. Keys are bold, words plain. */
static void draw_bindings(cs_ui *ui, const cs_ui_keytable *view_keys, bool global)
{
    bar_item items[48];
    int n = collect(view_keys, items, 0, 48);
    if (global)
        n = collect(&cs_ui_global_keys, items, n, 48);
    for (int i = 1; i < n; i++) /* stable insertion sort by rank */
        for (int k = i; k > 0 && items[k].b->bar < items[k - 1].b->bar; k--) {
            bar_item t = items[k];
            items[k] = items[k - 1], items[k - 1] = t;
        }
    int x = 1, bar = cs_ui_attr(CS_UI_C_BAR);
    cs_ui_put(ui->bar.y, 0, ui->cols, bar, "%s", "");
    for (int i = 0; i < n && x + items[i].width - 2 <= ui->cols; i++) {
        x += cs_ui_put(ui->bar.y, x, ui->cols - x, bar | (int)A_BOLD, "%s", items[i].b->label);
        x += cs_ui_put(ui->bar.y, x, ui->cols - x, bar, " %s  ", items[i].b->word);
    }
}

void cs_ui_draw_bar(cs_ui *ui)
{
    char buf[1024] = "";
    if (ui->modal == CS_MODAL_NONE || ui->modal == CS_MODAL_TEACH) {
        draw_bindings(ui, ui->modal ? &cs_ui_teach_keys : cs_ui_pane_view(ui->focus)->keys, !ui->modal);
        return;
    }
    if (ui->modal == CS_MODAL_HELP)
        snprintf(buf, sizeof buf, " ↑/↓ scroll  q/Esc/? close help");
    else if (ui->modal == CS_MODAL_INPUT)
        snprintf(buf, sizeof buf, " ←/→ file|dataset|adversarial  ↑/↓ move  Enter choose  Esc close");
    else if (ui->modal == CS_MODAL_FORM)
        snprintf(buf, sizeof buf, " ↑/↓ field  type to edit  Enter start the attack  Esc close");
    else if (ui->modal == CS_MODAL_CMDLINE && ui->msg[0])
        snprintf(buf, sizeof buf, " %s", ui->msg);
    else if (ui->modal == CS_MODAL_CMDLINE)
        snprintf(buf, sizeof buf, " Enter run  Tab complete  ↑/↓ history  Esc cancel  (:help lists commands)");
    else if (ui->modal == CS_MODAL_CONFIRM)
        snprintf(buf, sizeof buf, " a job is running: quit anyway? y/n");
    cs_ui_put(ui->bar.y, 0, ui->cols, cs_ui_attr(CS_UI_C_BAR), "%s", buf);
}
