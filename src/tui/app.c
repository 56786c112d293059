/* app.c — the explorer's event loop (htop's ScreenManager): arguments and bundled samples, pane layout that
 * adapts to any size, key and mouse routing to the focused view or modal, redraws on session changes at
 * ~10 Hz, and CONVSCOPE_TRACE_REDRAW key-to-refresh timing. */
#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/membudget.h"
#include "engine/model.h"
#include "tui.h"
#include "ui.h"

#ifndef CS_PREFIX
#define CS_PREFIX "/usr/local"
#endif

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const cs_ui_view *modal_view(const cs_ui *ui);

/* Carries out what the key's handlers asked for (action.c): a modal opens through its view's `open`, a job
 * is queued on the session. */
static void apply_requests(cs_ui *ui)
{
    cs_ui_action a = ui->act;
    memset(&ui->act, 0, sizeof ui->act);
    if (a.open_modal) {
        ui->modal = a.modal;
        const cs_ui_view *m = modal_view(ui);
        if (m && m->open)
            m->open(ui);
    }
    if (a.start_job) {
        cs_error err = {0};
        int id = cs_session_job_start(ui->s, &a.job, &err);
        if (id < 0)
            cs_ui_message(ui, true, "%s", err.msg);
        else
            cs_ui_message(ui, false, "job #%d queued (Tab to the jobs pane; c cancels)", id);
        if (id > 0)
            cs_ui_job_select(cs_session_n_jobs(ui->s) - 1);
    }
}


static void layout(cs_ui *ui)
{
    getmaxyx(stdscr, ui->rows, ui->cols);
    int main_h = ui->rows - 5 > 0 ? ui->rows - 5 : 0;
    ui->header = (cs_ui_rect){0, 0, 3, ui->cols};
    ui->status = (cs_ui_rect){ui->rows - 2, 0, 1, ui->cols};
    ui->bar = (cs_ui_rect){ui->rows - 1, 0, 1, ui->cols};
    int n_jobs = cs_session_n_jobs(ui->s), cap = cs_ui_jobs_log_open() ? main_h / 2 : main_h / 3 < 7 ? main_h / 3 : 7;
    int jobs_h = n_jobs > 0 ? (n_jobs + 1 < cap ? n_jobs + 1 : cap) : 0; /* a title and a line per job */
    int rest = main_h - jobs_h;
    ui->pane[CS_PANE_JOBS] = (cs_ui_rect){3 + rest, 0, jobs_h, ui->cols};
    if (ui->cols >= 150) { /* side by side only when both panes get room: names need the width more */
        int lw = ui->cols - 58;
        ui->pane[CS_PANE_LAYERS] = (cs_ui_rect){3, 0, rest, lw};
        ui->pane[CS_PANE_DETAIL] = (cs_ui_rect){3, lw + 1, rest, ui->cols - lw - 1};
    } else {
        int lh = rest * 11 / 20;
        ui->pane[CS_PANE_LAYERS] = (cs_ui_rect){3, 0, lh, ui->cols};
        ui->pane[CS_PANE_DETAIL] = (cs_ui_rect){3 + lh, 0, rest - lh, ui->cols};
    }
    if (ui->zoom)
        for (int p = 0; p < CS_PANE_COUNT; p++)
            ui->pane[p] = p == (int)ui->focus ? (cs_ui_rect){3, 0, main_h, ui->cols} : (cs_ui_rect){0, 0, 0, 0};
}

static const cs_ui_view *modal_view(const cs_ui *ui)
{
    switch (ui->modal) {
    case CS_MODAL_HELP: return &cs_ui_help_view;
    case CS_MODAL_INPUT: return &cs_ui_input_view;
    case CS_MODAL_FORM: return &cs_ui_form_view;
    case CS_MODAL_TEACH: return &cs_ui_teach_view;
    default: return NULL;
    }
}

static void draw_status(cs_ui *ui)
{
    static const char *const spin[] = {"|", "/", "-", "\\"};
    if (ui->modal == CS_MODAL_CMDLINE)
        return;
    if (ui->msg[0] && ui->msg_expires > 0 && now_ms() > ui->msg_expires)
        ui->msg[0] = 0;
    bool busy = ui->v.phase == CS_PHASE_BUSY;
    bool failed = !busy && ui->v.progress[0] && strcmp(ui->v.progress, ui->dismissed) != 0;
    if (ui->msg[0] && ui->msg_error) /* the user's own mistake first, then the work's progress or failure */
        cs_ui_put(ui->status.y, 0, ui->cols, cs_ui_attr(CS_UI_C_BAD), "%s", ui->msg);
    else if (busy && ui->msg[0]) /* news first: the progress follows it */
        cs_ui_put(ui->status.y, 0, ui->cols, cs_ui_attr(CS_UI_C_WARN), "%s | %s %s…", ui->msg,
                  spin[(int)(now_ms() / 100) % 4], ui->v.progress);
    else if (busy)
        cs_ui_put(ui->status.y, 0, ui->cols, cs_ui_attr(CS_UI_C_WARN), "%s %s… (keys work meanwhile)",
                  spin[(int)(now_ms() / 100) % 4], ui->v.progress);
    else if (failed)
        cs_ui_put(ui->status.y, 0, ui->cols, cs_ui_attr(CS_UI_C_BAD), "error: %s", ui->v.progress);
    else if (ui->msg[0])
        cs_ui_put(ui->status.y, 0, ui->cols, cs_ui_attr(CS_UI_C_WARN), "%s", ui->msg);
    else
        cs_ui_put(ui->status.y, 0, ui->cols, cs_ui_attr(CS_UI_C_DIM), "%s", ui->v.input_notes);
}

/* Modals draw over the panes; the attack form and the picker keep a visible jobs pane unless that leaves them
 * too little room (a zoomed jobs pane fills the screen: the modal then takes all of it). */
static cs_ui_rect modal_rect(const cs_ui *ui)
{
    int main_h = ui->rows - 5 > 0 ? ui->rows - 5 : 0;
    int jobs_h = ui->zoom ? 0 : ui->pane[CS_PANE_JOBS].h;
    int h = ui->modal == CS_MODAL_HELP || main_h - jobs_h < 8 ? main_h : main_h - jobs_h;
    return (cs_ui_rect){3, 0, h, ui->cols};
}

static void draw_all(cs_ui *ui)
{
    erase(); /* every cell is drawn again: nothing of a closed modal or a wider glyph survives (curses sends only
              * the cells that changed) */
    layout(ui);
    cs_ui_header_draw(ui);
    for (int p = 0; p < CS_PANE_COUNT; p++)
        if (ui->pane[p].h > 0)
            cs_ui_pane_view((cs_ui_pane)p)->draw(ui, ui->pane[p]);
    const cs_ui_view *m = modal_view(ui);
    if (m)
        m->draw(ui, modal_rect(ui));
    draw_status(ui);
    cs_ui_draw_bar(ui);
    if (ui->modal == CS_MODAL_CMDLINE) {
        cs_ui_cmdline_draw(ui);
        curs_set(1);
    } else {
        curs_set(0);
    }
}

static bool inside(cs_ui_rect r, int y, int x)
{
    return r.h > 0 && y >= r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w;
}

static void mouse(cs_ui *ui)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || ui->modal != CS_MODAL_NONE)
        return;
    int delta = ev.bstate & BUTTON4_PRESSED ? -3 : ev.bstate & BUTTON5_PRESSED ? 3 : 0;
    for (int p = 0; p < CS_PANE_COUNT; p++) {
        cs_ui_rect r = ui->pane[p];
        if (!inside(r, ev.y, ev.x))
            continue;
        ui->focus = (cs_ui_pane)p;
        int top = cs_ui_layers_top();
        if (p == CS_PANE_LAYERS && !delta && ev.y >= r.y + 2 && top + ev.y - r.y - 2 < ui->n_vis)
            cs_ui_select(ui, ui->vis[top + ev.y - r.y - 2]);
        else if (p == CS_PANE_LAYERS && delta)
            for (int i = 0; i < 3; i++)
                cs_ui_dispatch(ui, &cs_ui_layer_keys, delta < 0 ? KEY_UP : KEY_DOWN);
        else if (p == CS_PANE_DETAIL && delta)
            ui->detail_scroll = ui->detail_scroll + delta < 0 ? 0 : ui->detail_scroll + delta;
        else if (p == CS_PANE_JOBS && !delta && ev.y > r.y)
            cs_ui_job_select(ev.y - r.y - 1);
    }
}

static int handle_key(cs_ui *ui, int key)
{
    if (key == KEY_RESIZE) {
        clear();
        return CS_UI_HANDLED;
    }
    if (key == KEY_MOUSE) {
        mouse(ui);
        return CS_UI_HANDLED;
    }
    if (ui->modal == CS_MODAL_CMDLINE)
        return cs_ui_cmdline_key(ui, key);
    ui->msg[0] = 0;
    if (ui->v.phase != CS_PHASE_BUSY) /* a failure is said once: the next key dismisses it */
        snprintf(ui->dismissed, sizeof ui->dismissed, "%s", ui->v.progress);
    if (ui->modal == CS_MODAL_CONFIRM) {
        ui->modal = CS_MODAL_NONE;
        return key == 'y' || key == 'Y' ? CS_UI_QUIT : CS_UI_HANDLED;
    }
    const cs_ui_view *m = modal_view(ui);
    if (m && m->key)
        return m->key(ui, key);
    if (m) { /* a modal with a key table: its keys, then the global ones; nothing else gets through */
        int r = cs_ui_dispatch(ui, m->keys, key);
        return r ? r : cs_ui_dispatch(ui, &cs_ui_global_keys, key) | CS_UI_HANDLED;
    }
    int r = cs_ui_dispatch(ui, cs_ui_pane_view(ui->focus)->keys, key);
    return r ? r : cs_ui_dispatch(ui, &cs_ui_global_keys, key);
}

static void loop(cs_ui *ui)
{
    unsigned long seen = (unsigned long)-1;
    double last_spin = 0;
    while (!ui->quit && !cs_ui_crt_signal()) {
        wint_t wch;
        int rc = get_wch(&wch);
        double t0 = now_ms();
        unsigned long gen = cs_session_generation(ui->s);
        bool busy = ui->v.phase == CS_PHASE_BUSY && t0 - last_spin > 100;
        bool fade = ui->msg[0] && ui->msg_expires > 0 && t0 > ui->msg_expires;
        bool idle_work = false;
        if (rc == ERR && cs_ui_crt_hung_up()) /* the terminal is gone: end as on SIGHUP */
            break;
        if (rc == ERR) { /* no key: time for the statistics a keypress deferred */
            cs_session_lock(ui->s);
            cs_session_view_get(ui->s, &ui->v);
            idle_work = cs_ui_detail_idle(ui) || cs_ui_picker_idle(ui);
            cs_session_unlock(ui->s);
        }
        if (rc == ERR && gen == seen && !busy && !fade && !idle_work)
            continue;
        cs_session_lock(ui->s);
        cs_session_view_get(ui->s, &ui->v);
        cs_ui_layers_visible(ui);
        if (rc != ERR && (rc == KEY_CODE_YES || wch < 256) && (handle_key(ui, (int)wch) & CS_UI_QUIT))
            ui->quit = true;
        apply_requests(ui);
        cs_session_view_get(ui->s, &ui->v);
        cs_ui_layers_visible(ui);
        seen = gen, last_spin = t0;
        if (!ui->quit)
            draw_all(ui);
        cs_session_unlock(ui->s);
        refresh();
        if (ui->trace && rc != ERR)
            fprintf(ui->trace, "key %d %.3f ms\n", (int)wch, now_ms() - t0), fflush(ui->trace);
    }
}

/* ---- start-up ---- */

static bool has_sample_pair(const char *dir)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/lenet5/lenet5.pt", dir);
    return access(p, R_OK) == 0;
}

/* The bundled samples: EXEDIR/../samples (the build tree), EXEDIR/../share/convscope/samples (an install under
 * any prefix), ./samples, then PREFIX/share/convscope/samples. */
static bool find_samples(char *out, size_t size)
{
    char exe[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        snprintf(out, size, "%.800s/../samples", exe);
        if (has_sample_pair(out))
            return true;
        snprintf(out, size, "%.800s/../share/convscope/samples", exe);
        if (has_sample_pair(out))
            return true;
    }
    snprintf(out, size, "samples");
    if (has_sample_pair(out))
        return true;
    snprintf(out, size, "%s/share/convscope/samples", CS_PREFIX);
    return has_sample_pair(out);
}

/* path relative to the working directory when it lies below it (shorter to type), else as given. */
static const char *from_cwd(const char *path)
{
    static char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return path;
    size_t n = strlen(cwd);
    return strncmp(path, cwd, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

static bool same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    return a && b && realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

/* The bundled pair is clean (every row ✓): the first screen says how to open the shipped pair with a fault. */
static void clean_pair_tip(cs_ui *ui, const char *samples, const char *a, const char *b)
{
    char pa[PATH_MAX + 64], pb[PATH_MAX + 64], fa[PATH_MAX + 64], fb[PATH_MAX + 64];
    snprintf(pa, sizeof pa, "%s/lenet5/lenet5.pt", samples);
    snprintf(pb, sizeof pb, "%s/lenet5/lenet5.onnx", samples);
    snprintf(fa, sizeof fa, "%s/faults/lenet5s.pt", samples);
    snprintf(fb, sizeof fb, "%s/faults/lenet5s_pool2_floor.onnx", samples);
    if (!same_file(a, pa) || !same_file(b, pb) || access(fa, R_OK) || access(fb, R_OK))
        return;
    char ra[PATH_MAX];
    snprintf(fa, sizeof fa, "%s", realpath(samples, ra) ? from_cwd(ra) : samples);
    cs_ui_message(ui, false, "try: :open %s/faults/lenet5s.pt %s/faults/lenet5s_pool2_floor.onnx (a planted fault)",
                  fa, fa);
    ui->msg_expires = 0; /* until the first key */
}

typedef struct ui_args {
    const char *a, *b, *spec;
    char pa[PATH_MAX + 64], pb[PATH_MAX + 64];
} ui_args;

static int parse_args(int argc, char **argv, ui_args *g, cs_ui *ui)
{
    for (int i = 1; i < argc; i++) {
        size_t budget = 0;
        if (strcmp(argv[i], "--input") == 0 && i + 1 < argc)
            g->spec = argv[++i];
        else if (strncmp(argv[i], "--input=", 8) == 0)
            g->spec = argv[i] + 8;
        else if (strcmp(argv[i], "--max-memory") == 0 || strncmp(argv[i], "--max-memory=", 13) == 0) {
            /* the commands' --max-memory: one process-wide budget, so the session's diffs and jobs obey it */
            const char *v = argv[i][12] == '=' ? argv[i] + 13 : i + 1 < argc ? argv[++i] : NULL;
            if (!v || !cs_mem_parse(v, &budget))
                return fprintf(stderr, "convscope: --max-memory needs a size such as 512M or 4G\n"), 2;
            cs_mem_set_budget(budget);
        } else if (argv[i][0] == '-' || (g->a && g->b))
            return fprintf(stderr, "convscope: unexpected '%s' (usage: convscope [A [B]] [--input SPEC] "
                                   "[--max-memory SIZE])\n", argv[i]), 2;
        else if (!g->a)
            g->a = argv[i];
        else
            g->b = argv[i];
    }
    char samples[900], real[PATH_MAX];
    bool found = find_samples(samples, sizeof samples);
    if (found && realpath(samples, real)) /* "build/../samples" reads as the folder it is */
        snprintf(samples, sizeof samples, "%.890s", real);
    if (found)
        snprintf(ui->fallback, sizeof ui->fallback, "%.900s/lenet5/images/0_tshirt.png", samples);
    if (!g->a) {
        if (!found)
            return fprintf(stderr, "convscope: no models given and the bundled samples were not found (looked in "
                                   "EXEDIR/../samples, EXEDIR/../share/convscope/samples, ./samples, %s/share/convscope/samples)\n",
                           CS_PREFIX), 2;
        snprintf(g->pa, sizeof g->pa, "%s/lenet5/lenet5.pt", samples);
        snprintf(g->pb, sizeof g->pb, "%s/lenet5/lenet5.onnx", samples);
        g->a = g->pa, g->b = g->pb;
    }
    const char *paths[2] = {g->a, g->b};
    for (int i = 0; i < 2; i++)
        if (paths[i] && access(paths[i], R_OK) != 0)
            return fprintf(stderr, "convscope: %s: neither a command nor a readable model file (see convscope --help)\n", paths[i]), 2;
    for (int i = 0; i < 2; i++) /* a file that is no model is refused before the screen is taken */
        if (paths[i] && cs_model_detect(paths[i]) == CS_FORMAT_UNKNOWN)
            return fprintf(stderr, "convscope: %s: not a model file (expected ONNX, TorchScript, a PyTorch checkpoint, "
                                   "CoreML or Keras; see convscope --help)\n", paths[i]), 2;
    if (found)
        clean_pair_tip(ui, samples, g->a, g->b);
    return 0;
}

int cs_ui_main(int argc, char **argv)
{
    static cs_ui ui;
    ui_args g = {0};
    ui.channel_row = -1;
    int rc = parse_args(argc, argv, &g, &ui);
    if (rc)
        return rc;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return fprintf(stderr, "convscope: the explorer needs a terminal on stdin and stdout (for a report without "
                               "one: convscope diff A B --input X)\n"), 2;
    cs_error err = {0};
    if (cs_session_new(&ui.s, &err) != CS_OK)
        return fprintf(stderr, "convscope: %s\n", err.msg), 2;
    const char *trace = getenv("CONVSCOPE_TRACE_REDRAW");
    ui.trace = trace && trace[0] ? fopen(trace, "a") : NULL;
    cs_session_open(ui.s, g.a, g.b, g.spec, ui.fallback);
    cs_ui_crt_init(&ui);
    cs_ui_draw_ascii(!ui.utf8); /* without a UTF-8 locale the glyphs become ASCII */
    cs_ui_cmdline_init(&ui);
    loop(&ui);
    cs_ui_cmdline_done();
    cs_ui_crt_done();
    cs_session_free(ui.s);
    free(ui.vis);
    free(ui.folded);
    free(ui.const_rows);
    cs_ui_picker_free();
    if (ui.trace)
        fclose(ui.trace);
    cs_ui_crt_reraise(); /* a SIGTERM/SIGHUP/SIGINT quit: the session's temporary folders are gone by now */
    return 0;
}
