/* list.c — the one scrollable list of the explorer (htop's Panel): a count, a selection and a first visible
 * item, the keys that move them, and drawing through a row callback. The layer walk, the input picker, the
 * jobs pane and the help all are lists. */
#include <curses.h>

#include "ui.h"

void cs_ui_list_fit(cs_ui_list *l, int h)
{
    if (h < 1)
        h = 1;
    if (!l->cursor) /* a list without a cursor scrolls: the selection is the first visible item */
        l->sel = l->top;
    l->sel = l->sel >= l->n ? l->n - 1 : l->sel;
    l->sel = l->sel < 0 ? 0 : l->sel;
    if (l->sel < l->top)
        l->top = l->sel;
    if (l->cursor && l->sel >= l->top + h)
        l->top = l->sel - h + 1;
    if (l->top > l->n - h)
        l->top = l->n - h;
    if (l->top < 0)
        l->top = 0;
    if (!l->cursor)
        l->sel = l->top;
}

/* Moves the cursor (or, without one, the view) by delta items. */
static void list_move(cs_ui_list *l, int delta)
{
    if (l->cursor)
        l->sel += delta;
    else
        l->top += delta;
    if (l->sel < 0)
        l->sel = 0;
    if (l->top < 0)
        l->top = 0;
    if (l->sel > l->n - 1)
        l->sel = l->n - 1 < 0 ? 0 : l->n - 1;
    if (!l->cursor && l->top > l->n - 1)
        l->top = l->n - 1 < 0 ? 0 : l->n - 1;
}

int cs_ui_list_key(cs_ui_list *l, int key, int page)
{
    page = page < 1 ? 1 : page;
    switch (key) {
    case 'j': case KEY_DOWN: list_move(l, 1); break;
    case 'k': case KEY_UP: list_move(l, -1); break;
    case KEY_NPAGE: case ' ': list_move(l, page); break;
    case KEY_PPAGE: list_move(l, -page); break;
    case 'g': case KEY_HOME: list_move(l, -l->n - 1); break;
    case 'G': case KEY_END: list_move(l, l->n + 1); break;
    default: return CS_UI_UNHANDLED;
    }
    return CS_UI_HANDLED;
}

void cs_ui_list_draw(cs_ui *ui, cs_ui_list *l, cs_ui_rect r, cs_ui_list_row row, void *ctx)
{
    cs_ui_list_fit(l, r.h);
    for (int i = 0; i < r.h; i++) {
        int k = l->top + i;
        if (k < l->n)
            row(ui, ctx, k, r.y + i, r.x, r.w, l->cursor && k == l->sel);
        else
            cs_ui_put(r.y + i, r.x, r.w, 0, "%s", "");
    }
}
