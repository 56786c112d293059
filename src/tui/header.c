/* header.c — the top three lines: both files (format, producer, size, parameters), the current input, the
 * tolerance and the diff verdict, and the status line under the panes (progress, messages). */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

/* "A lenet5.pt  → 0 'T-shirt/top' 97%  torchscript, pytorch 1.13, 256.1 KiB, 61706 params": the predicted class
 * comes right after the name, before what can be cut at narrow widths. */
static void file_line(cs_ui *ui, int y, int side, const cs_session_file *f)
{
    const char *who = side ? "B" : "A";
    char size[32], top[200] = "";
    if (!f || !f->path[0]) {
        cs_ui_put(y, 0, ui->cols, cs_ui_attr(CS_UI_C_DIM), "%s —  (one model: no diff columns)", who);
        return;
    }
    int used = cs_ui_put(y, 0, ui->cols, cs_ui_attr(CS_UI_C_HEAD), "%s %s", who, cs_ui_base(f->path));
    const cs_ui_topk *t = ui->v.n_rows ? cs_ui_predicted(ui, side) : NULL;
    if (t && t->n > 0) {
        const cs_ui_topk *o = cs_ui_predicted(ui, !side);
        bool differ = o && o->n > 0 && o->idx[0] != t->idx[0];
        used += cs_ui_put(y, used, ui->cols - used, cs_ui_attr(differ ? CS_UI_C_BAD : CS_UI_C_OK), "  %s %s",
                          ui->utf8 ? "→" : "->", cs_ui_topk_str(t, 1, top, sizeof top));
    }
    cs_ui_put(y, used, ui->cols - used, 0, "  %s, %s, %s, %lld params", f->format, f->producer,
              cs_ui_bytes(f->bytes, size, sizeof size), (long long)f->params);
}

static void verdict(cs_ui *ui, char *buf, size_t size, int *role)
{
    const cs_diff_result *d = ui->v.diff;
    *role = CS_UI_C_NORMAL;
    if (ui->v.phase == CS_PHASE_BUSY && !ui->v.n_rows) {
        snprintf(buf, size, "…");
    } else if (!ui->v.b) {
        snprintf(buf, size, "one model");
    } else if (!d) {
        snprintf(buf, size, "no diff");
    } else if (!d->ran) {
        snprintf(buf, size, "weights only");
    } else if (d->diverged) {
        char name[128] = "the output";
        if (ui->v.first_divergent_row >= 0)
            cs_ui_row_name(ui, &ui->v.rows[ui->v.first_divergent_row], 0, name, sizeof name);
        snprintf(buf, size, "%s DIVERGE at %s%s%s", cs_ui_glyph_ok(ui, false), name, d->cause.found ? ": " : "",
                 d->cause.found ? d->cause.kind : "");
        *role = CS_UI_C_BAD;
    } else {
        snprintf(buf, size, "%s match (output %.2g%s)", cs_ui_glyph_ok(ui, true), d->final.max_abs,
                 d->has_top ? (d->a_top1 == d->b_top1 ? ", top-1 agree" : ", top-1 DIFFER") : "");
        *role = CS_UI_C_OK;
    }
}

void cs_ui_header_draw(cs_ui *ui)
{
    file_line(ui, 0, 0, ui->v.fa && ui->v.fa->path[0] ? ui->v.fa : NULL);
    file_line(ui, 1, 1, ui->v.fb);
    char v[256];
    int role;
    verdict(ui, v, sizeof v, &role);
    int used = cs_ui_put(2, 0, ui->cols, 0, "input %s | rtol %g atol %g | ", ui->v.input_spec[0] ?
                         cs_ui_base(ui->v.input_spec) : "-", ui->v.rtol, ui->v.atol);
    cs_ui_put(2, used, ui->cols - used, cs_ui_attr(role), "%s", v);
}
