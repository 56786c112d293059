/* help.c — the `?`/F1 help view: every binding of every key table and every command, generated from the
 * same tables that dispatch keys and commands, drawn over the panes as a list that scrolls. */
#include <curses.h>

#include "ui.h"

#define HELP_MAX 160

typedef struct help_state {
    cs_ui_list list;
    char lines[HELP_MAX][160];
    int page;
} help_state;

static help_state state = {.list = {.cursor = false}};

static void help_open(cs_ui *ui)
{
    (void)ui;
    state.list.top = state.list.sel = 0;
}

static void help_row(cs_ui *ui, void *ctx, int i, int y, int x, int w, bool sel)
{
    (void)ui, (void)sel;
    help_state *h = ctx;
    bool head = h->lines[i][0] != ' ';
    cs_ui_put(y, x, w, head ? cs_ui_attr(CS_UI_C_HEAD) : 0, "%s", h->lines[i]);
}

static void help_draw(cs_ui *ui, cs_ui_rect r)
{
    help_state *h = cs_ui_help_view.data;
    h->list.n = cs_ui_help_lines(h->lines, HELP_MAX);
    h->page = r.h - 1;
    cs_ui_box_title(ui, r, "Help — keys and commands (q, Esc or ? closes)", true);
    cs_ui_list_draw(ui, &h->list, (cs_ui_rect){r.y + 1, r.x, r.h - 1, r.w}, help_row, h);
}

static int k_close(cs_ui *ui)
{
    ui->modal = CS_MODAL_NONE;
    return CS_UI_HANDLED;
}

static const cs_ui_binding bindings[] = {
    {'q', "q Esc ?", "close the help", k_close, 1, "close"},
    {27, NULL, "close", k_close, 0, NULL},
    {'?', NULL, "close", k_close, 0, NULL},
    {KEY_F(1), NULL, "close", k_close, 0, NULL},
};
static const cs_ui_keytable keys = {"help", bindings, (int)(sizeof bindings / sizeof bindings[0])};

static int help_key(cs_ui *ui, int key)
{
    help_state *h = cs_ui_help_view.data;
    if (cs_ui_list_key(&h->list, key, h->page) == CS_UI_HANDLED)
        return CS_UI_HANDLED;
    cs_ui_dispatch(ui, &keys, key);
    return CS_UI_HANDLED; /* a modal swallows every other key */
}

const cs_ui_view cs_ui_help_view = {"help", help_draw, help_key, NULL, &keys, &state, help_open};
