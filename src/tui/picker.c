/* picker.c — the input chooser (`i`): a small file browser for images/.npy/.pb, a dataset sample by index
 * ("fashion-mnist:test:17", ↑/↓ step the index), or an adversarial example saved by an attack job; the current
 * input is previewed in block characters. Choosing one recomputes the diff in the background. */
#include <curses.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/data/input.h"
#include "engine/summary.h"
#include "ui.h"

/* The view's own state (its data pointer). */
typedef struct cs_ui_picker {
    int tab;               /* 0 files, 1 dataset, 2 adversarial */
    char dir[1024];
    char names[CS_UI_MAX_FILES][256];
    bool is_dir[CS_UI_MAX_FILES];
    cs_ui_list list;       /* over names[] */
    char dataset[256];     /* "fashion-mnist:test:17" being edited */
} cs_ui_picker;

static cs_ui_picker state = {.list = {.cursor = true}};

static const char *const tabs[] = {"file", "dataset sample", "adversarial example"};

static bool wanted_file(const char *name)
{
    const char *dot = strrchr(name, '.');
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".npy", ".pb"};
    for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
        if (strcmp(dot, ext[i]) == 0)
            return true;
    return false;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void add(cs_ui_picker *p, const char *name, bool dir)
{
    if (p->list.n >= CS_UI_MAX_FILES)
        return;
    snprintf(p->names[p->list.n], sizeof p->names[0], "%.250s%s", name, dir ? "/" : "");
    p->is_dir[p->list.n++] = dir;
}

static void scan_dir(cs_ui_picker *p)
{
    p->list.n = p->list.sel = p->list.top = 0;
    add(p, "..", true);
    DIR *d = opendir(p->dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char full[2048];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(full, sizeof full, "%s/%s", p->dir, e->d_name);
        bool dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
        if (dir || wanted_file(e->d_name))
            add(p, e->d_name, dir);
    }
    if (d)
        closedir(d);
    qsort(p->names[1], (size_t)(p->list.n - 1), sizeof p->names[0], by_name);
    for (int i = 1; i < p->list.n; i++)
        p->is_dir[i] = p->names[i][strlen(p->names[i]) - 1] == '/';
}

static void scan_adversarial(cs_ui *ui)
{
    cs_ui_picker *p = &state;
    p->list.n = p->list.sel = p->list.top = 0;
    for (int k = 0; k < cs_session_n_jobs(ui->s); k++) {
        const cs_job_info *j = cs_session_job_at(ui->s, k);
        DIR *d = j->adv_dir[0] ? opendir(j->adv_dir) : NULL;
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (strstr(e->d_name, ".png") && p->list.n < CS_UI_MAX_FILES) {
                snprintf(p->names[p->list.n], sizeof p->names[0], "%.120s/%.120s", j->adv_dir, e->d_name);
                p->is_dir[p->list.n++] = false;
            }
        if (d)
            closedir(d);
    }
    qsort(p->names, (size_t)p->list.n, sizeof p->names[0], by_name);
}

static void rescan(cs_ui *ui)
{
    if (state.tab == 0)
        scan_dir(&state);
    else if (state.tab == 2)
        scan_adversarial(ui);
}

static void picker_open(cs_ui *ui)
{
    cs_ui_picker *p = &state;
    if (!p->dir[0]) {
        const char *spec = ui->v.input_spec;
        const char *slash = spec ? strrchr(spec, '/') : NULL;
        if (slash && !strchr(spec, ':'))
            snprintf(p->dir, sizeof p->dir, "%.*s", (int)(slash - spec), spec);
        else
            snprintf(p->dir, sizeof p->dir, ".");
        snprintf(p->dataset, sizeof p->dataset, "fashion-mnist:test:0");
    }
    rescan(ui);
}

/* The preview of the highlighted file or sample, loaded when the loop is idle (cs_ui_picker_idle) so moving
 * through a folder stays instant; the view's own state. */
static struct {
    char want[2048];       /* the spec highlighted now ("" when it is not an input) */
    char have[2048];       /* the spec `t` holds */
    cs_tensor *t;
    char why[160];         /* why it could not be loaded */
} pv;

static void highlighted(char *spec, size_t size)
{
    cs_ui_picker *p = &state;
    spec[0] = 0;
    if (p->tab == 1)
        snprintf(spec, size, "%s", p->dataset);
    else if (p->list.sel < p->list.n && !p->is_dir[p->list.sel])
        snprintf(spec, size, p->tab == 2 ? "%s" : "%.1000s/%.250s", p->tab == 2 ? p->names[p->list.sel] : p->dir,
                 p->names[p->list.sel]);
}

void cs_ui_picker_free(void)
{
    cs_tensor_free(pv.t);
    pv.t = NULL;
    pv.have[0] = 0;
}

bool cs_ui_picker_idle(cs_ui *ui)
{
    if (ui->modal != CS_MODAL_INPUT || strcmp(pv.want, pv.have) == 0 || !ui->v.a)
        return false;
    cs_tensor_free(pv.t);
    pv.t = NULL;
    pv.why[0] = 0;
    snprintf(pv.have, sizeof pv.have, "%s", pv.want);
    cs_input_opts opts;
    cs_input_opts_default(&opts);
    char notes[512];
    cs_error err = {0};
    if (pv.want[0] && cs_input_load(ui->v.a, 0, pv.want, &opts, &pv.t, notes, sizeof notes, &err) != CS_OK)
        snprintf(pv.why, sizeof pv.why, "%.159s", err.msg);
    return true;
}

static void preview(cs_ui *ui, cs_ui_rect r)
{
    int w = r.w, h = r.h - 1;
    if (w > 2 * h)
        w = 2 * h;
    if (h > w / 2 + 1)
        h = w / 2 + 1;
    cs_ui_fill(r);
    highlighted(pv.want, sizeof pv.want);
    bool ready = pv.want[0] && strcmp(pv.want, pv.have) == 0;
    const cs_tensor *t = ready ? pv.t : pv.want[0] ? NULL : ui->v.input;
    cs_ui_put(r.y, r.x, r.w, cs_ui_attr(CS_UI_C_HEAD), "%s", ready ? cs_ui_base(pv.want) : pv.want[0] ? "loading…"
              : "current input");
    if (ready && !t)
        cs_ui_put(r.y + 1, r.x, r.w, cs_ui_attr(CS_UI_C_BAD), "%s", pv.why);
    float *cells = t && w > 0 && h > 0 ? malloc(sizeof(float) * (size_t)(w * h)) : NULL;
    double lo, hi;
    int ch;
    if (cells && cs_tensor_map2d(t, NULL, CS_MAP_VALUE, 0, h, w, cells, &lo, &hi, &ch))
        cs_ui_map(ui, r.y + 1, r.x, h, w, cells, lo, hi);
    free(cells);
}

static void file_row(cs_ui *ui, void *ctx, int k, int y, int x, int w, bool sel)
{
    (void)ui;
    cs_ui_picker *p = ctx;
    cs_ui_put(y, x, w, sel ? cs_ui_attr(CS_UI_C_SEL) : 0, " %s", p->tab == 2 ? cs_ui_base(p->names[k]) : p->names[k]);
}

static void list_draw(cs_ui *ui, cs_ui_rect r)
{
    cs_ui_picker *p = &state;
    if (p->tab == 1) {
        cs_ui_put(r.y, r.x, r.w, 0, "sample: %s_", p->dataset);
        cs_ui_put(r.y + 1, r.x, r.w, cs_ui_attr(CS_UI_C_DIM), "type a DATASET:INDEX; ↑/↓ step the index; Enter uses it");
        for (int i = 2; i < r.h; i++)
            cs_ui_put(r.y + i, r.x, r.w, 0, "%s", "");
        return;
    }
    cs_ui_list_draw(ui, &p->list, r, file_row, p);
    if (p->list.n == 0 && p->tab == 2)
        cs_ui_put(r.y, r.x, r.w, 0, " %s", "(no adversarial examples yet: run an attack with x)");
}

static void picker_draw(cs_ui *ui, cs_ui_rect r)
{
    cs_ui_picker *p = &state;
    char t[1200];
    snprintf(t, sizeof t, "Input: [%s] (←/→ switch, Enter choose, Esc close)  %.1000s", tabs[p->tab],
             p->tab == 0 ? p->dir : "");
    cs_ui_box_title(ui, r, t, true);
    cs_ui_put(r.y + 1, r.x, r.w, cs_ui_attr(CS_UI_C_DIM), "now: %s", ui->v.input_spec);
    int lw = r.w * 3 / 5;
    list_draw(ui, (cs_ui_rect){r.y + 2, r.x, r.h - 2, lw});
    preview(ui, (cs_ui_rect){r.y + 2, r.x + lw + 1, r.h - 2, r.w - lw - 1});
    for (int i = 2; i < r.h; i++)
        cs_ui_put(r.y + i, r.x + lw, 1, 0, "%s", " ");
}

static void choose(cs_ui *ui, const char *spec)
{
    cs_session_set_input(ui->s, spec);
    cs_ui_message(ui, false, "input: %s", spec);
    ui->modal = CS_MODAL_NONE;
}

static void enter(cs_ui *ui)
{
    cs_ui_picker *p = &state;
    char path[2048];
    if (p->tab == 1) {
        choose(ui, p->dataset);
        return;
    }
    if (p->list.sel >= p->list.n)
        return;
    if (p->tab == 2) {
        choose(ui, p->names[p->list.sel]);
        return;
    }
    snprintf(path, sizeof path, "%.1000s/%.250s", p->dir, p->names[p->list.sel]);
    if (!p->is_dir[p->list.sel]) {
        choose(ui, path);
        return;
    }
    path[strlen(path) - 1] = 0;
    char real[PATH_MAX];
    snprintf(p->dir, sizeof p->dir, "%.1000s", realpath(path, real) ? real : path);
    scan_dir(p);
}

static void step_index(cs_ui_picker *p, int d)
{
    char *colon = strrchr(p->dataset, ':');
    if (!colon)
        return;
    long i = strtol(colon + 1, NULL, 10) + d;
    snprintf(colon + 1, sizeof p->dataset - (size_t)(colon + 1 - p->dataset), "%ld", i < 0 ? 0 : i);
}

static void edit(cs_ui_picker *p, int key)
{
    size_t n = strlen(p->dataset);
    if ((key == KEY_BACKSPACE || key == 127 || key == 8) && n > 0)
        p->dataset[n - 1] = 0;
    else if (key >= 32 && key < 127 && n + 1 < sizeof p->dataset)
        p->dataset[n] = (char)key, p->dataset[n + 1] = 0;
}

static int picker_key(cs_ui *ui, int key)
{
    cs_ui_picker *p = &state;
    if (key == 27) {
        ui->modal = CS_MODAL_NONE;
    } else if (key == KEY_LEFT || key == KEY_RIGHT || key == '\t') {
        p->tab = (p->tab + (key == KEY_LEFT ? 2 : 1)) % 3;
        rescan(ui);
    } else if (key == '\r' || key == '\n' || key == KEY_ENTER) {
        enter(ui);
    } else if (p->tab == 1 && (key == KEY_UP || key == KEY_DOWN)) {
        step_index(p, key == KEY_UP ? 1 : -1);
    } else if (p->tab == 1) {
        edit(p, key);
    } else {
        cs_ui_list_key(&p->list, key, 10);
    }
    return CS_UI_HANDLED;
}

const cs_ui_view cs_ui_input_view = {"input", picker_draw, picker_key, NULL, NULL, &state, picker_open};
