/* form.c — the attack form (`x`): method, eps, steps, data and limit, edited in place; Enter queues the
 * attack job on the open model(s), Esc closes without starting anything. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

/* The view's own state (its data pointer). */
typedef struct cs_ui_form {
    char fields[5][128];   /* method, eps, steps, data, limit */
    int sel;
} cs_ui_form;
static cs_ui_form state;

static const char *const labels[5] = {"method (fgsm|pgd|simba)", "eps", "steps (pgd)", "data", "limit"};

static void form_open(cs_ui *ui)
{
    (void)ui;
    cs_ui_form *f = &state;
    if (!f->fields[0][0]) {
        snprintf(f->fields[0], sizeof f->fields[0], "fgsm");
        snprintf(f->fields[1], sizeof f->fields[1], "0.1");
        snprintf(f->fields[2], sizeof f->fields[2], "10");
        snprintf(f->fields[3], sizeof f->fields[3], "fashion-mnist:test");
        snprintf(f->fields[4], sizeof f->fields[4], "100");
    }
}

static void form_draw(cs_ui *ui, cs_ui_rect r)
{
    cs_ui_box_title(ui, r, "Attack (↑/↓ field, type to edit, Enter start, Esc close)", true);
    for (int i = 0; i < r.h - 1; i++) {
        if (i < 5)
            cs_ui_put(r.y + 1 + i, r.x, r.w, i == state.sel ? cs_ui_attr(CS_UI_C_SEL) : 0, " %-24s %s%s",
                      labels[i], state.fields[i], i == state.sel ? "_" : "");
        else
            cs_ui_put(r.y + 1 + i, r.x, r.w, 0, "%s", "");
    }
}

static void start(cs_ui *ui)
{
    cs_job_params p;
    cs_job_params_default(&p, CS_JOB_ATTACK);
    snprintf(p.method, sizeof p.method, "%.15s", state.fields[0]);
    p.eps = atof(state.fields[1]);
    p.steps = atoi(state.fields[2]);
    snprintf(p.data, sizeof p.data, "%.127s", state.fields[3]);
    p.limit = atoll(state.fields[4]);
    ui->modal = CS_MODAL_NONE;
    cs_ui_request_job(ui, &p);
}

static int form_key(cs_ui *ui, int key)
{
    cs_ui_form *f = &state;
    char *s = f->fields[f->sel];
    size_t n = strlen(s);
    if (key == 27)
        ui->modal = CS_MODAL_NONE;
    else if (key == '\r' || key == '\n' || key == KEY_ENTER)
        start(ui);
    else if (key == KEY_DOWN || key == '\t')
        f->sel = (f->sel + 1) % 5;
    else if (key == KEY_UP || key == KEY_BTAB)
        f->sel = (f->sel + 4) % 5;
    else if ((key == KEY_BACKSPACE || key == 127 || key == 8) && n > 0)
        s[n - 1] = 0;
    else if (key >= 32 && key < 127 && n + 1 < sizeof f->fields[0])
        s[n] = (char)key, s[n + 1] = 0;
    return CS_UI_HANDLED;
}

const cs_ui_view cs_ui_form_view = {"attack form", form_draw, form_key, NULL, NULL, &state, form_open};
