/* jobs.c — the jobs pane as a status: one line per job (state, progress bar, rate, ETA and its latest partial
 * result), updated in place; Enter opens the focused job's log behind it; c/Esc cancels (keeping the partial
 * result), s saves it as JSON. */
#include <curses.h>
#include <stdio.h>

#include "ui.h"

static const char *state_name(cs_job_state s)
{
    static const char *const names[] = {"queued", "running", "done", "cancelled", "failed"};
    return names[s];
}

/* The view's own state (its data pointer): the list of jobs and whether the focused job's log is open. */
typedef struct jobs_state {
    cs_ui_list list;
    bool log;
} jobs_state;

static jobs_state state = {.list = {.cursor = true}};

int cs_ui_job_selected(void)
{
    return state.list.n > 0 ? state.list.sel : -1;
}

void cs_ui_job_select(int i)
{
    state.list.sel = i < 0 ? 0 : i;
}

bool cs_ui_jobs_log_open(void)
{
    return state.log;
}

/* "#1 timing, 2000 runs  running ███··· 812/2000 3079/s ETA 1s | A lenet5.pt: 812 runs, median 0.31 ms": the
 * title, state, bar and counts are narrow so the latest partial result keeps room at 80 columns. */
static void job_line(cs_ui *ui, int y, int x, int w, const cs_job_info *j, bool sel)
{
    int attr = sel ? cs_ui_attr(CS_UI_C_SEL) : 0;
    double frac = j->total > 0 ? (double)j->done / (double)j->total : 0;
    int tw = w >= 120 ? 30 : 24;
    cs_ui_put(y, x, tw, attr, "%s", j->title);
    int c = x + tw;
    cs_ui_put(y, c, 10, attr | cs_ui_attr(j->state == CS_JOB_FAILED ? CS_UI_C_BAD : CS_UI_C_NORMAL), " %-9s",
              state_name(j->state));
    c += 10;
    int bw = w >= 120 ? 12 : 6;
    cs_ui_bar(ui, y, c, bw, frac, cs_ui_attr(CS_UI_C_OK));
    c += bw;
    char eta[24] = "";
    if (j->state == CS_JOB_RUNNING && j->eta_s >= 0)
        snprintf(eta, sizeof eta, " ETA %.0fs", j->eta_s);
    c += cs_ui_put(y, c, x + w - c, attr, " %lld/%lld %.0f/s%s", (long long)j->done, (long long)j->total, j->rate,
                   eta);
    const char *last = j->n_lines > 0 ? j->lines[j->n_lines - 1] : "";
    if (c < x + w)
        cs_ui_put(y, c, x + w - c, attr | cs_ui_attr(CS_UI_C_DIM), "%s%s", last[0] ? " | " : "", last);
}

static void job_row(cs_ui *ui, void *ctx, int i, int y, int x, int w, bool sel)
{
    (void)ctx;
    const cs_job_info *j = cs_session_job_at(ui->s, i);
    if (j)
        job_line(ui, y, x, w, j, sel);
}

static void jobs_draw(cs_ui *ui, cs_ui_rect r)
{
    state.list.n = cs_session_n_jobs(ui->s);
    cs_ui_list_fit(&state.list, r.h - 1);
    const cs_job_info *j = cs_session_job_at(ui->s, state.list.sel);
    if (state.log && j) {
        char t[200];
        snprintf(t, sizeof t, "Job #%d log: %s (Enter back to the list)", j->id, j->title);
        cs_ui_box_title(ui, r, t, ui->focus == CS_PANE_JOBS);
        int from = j->n_lines > r.h - 1 ? j->n_lines - (r.h - 1) : 0;
        for (int i = 0; i < r.h - 1; i++)
            cs_ui_put(r.y + 1 + i, r.x, r.w, 0, "  %s", from + i < j->n_lines ? j->lines[from + i] : "");
        return;
    }
    cs_ui_box_title(ui, r, "Jobs (Enter log, c/Esc cancel, s save JSON)", ui->focus == CS_PANE_JOBS);
    if (r.h > 1)
        cs_ui_list_draw(ui, &state.list, (cs_ui_rect){r.y + 1, r.x, r.h - 1, r.w}, job_row, NULL);
}

static int k_down(cs_ui *ui) { (void)ui; return cs_ui_list_key(&state.list, 'j', 1); }
static int k_up(cs_ui *ui) { (void)ui; return cs_ui_list_key(&state.list, 'k', 1); }

int cs_ui_jobs_cancel(cs_ui *ui)
{
    const cs_job_info *j = cs_session_job_at(ui->s, cs_ui_job_selected());
    if (!j)
        return CS_UI_HANDLED;
    if (j->state <= CS_JOB_RUNNING) {
        cs_session_job_cancel(ui->s, j->id);
        cs_ui_message(ui, false, "job #%d cancelled; its partial result stays", j->id);
    } else {
        cs_ui_message(ui, false, "job #%d is not running", j->id);
    }
    return CS_UI_HANDLED;
}

static int k_save(cs_ui *ui)
{
    const cs_job_info *j = cs_session_job_at(ui->s, cs_ui_job_selected());
    if (!j)
        return CS_UI_HANDLED;
    char path[64];
    snprintf(path, sizeof path, "convscope-job-%d.json", j->id);
    cs_error err = {0};
    if (cs_session_job_save(ui->s, j->id, path, &err) == CS_OK)
        cs_ui_message(ui, false, "saved %s", path);
    else
        cs_ui_message(ui, true, "%s", err.msg);
    return CS_UI_HANDLED;
}

static int k_log(cs_ui *ui)
{
    (void)ui;
    state.log = !state.log;
    return CS_UI_HANDLED;
}

static const cs_ui_binding bindings[] = {
    {'\r', "Enter", "open or close the focused job's log", k_log, 2, "log"},
    {KEY_ENTER, NULL, "log", k_log, 0, NULL},
    {'j', "j ↓", "next job", k_down, 2, "job"},
    {KEY_DOWN, NULL, "next job", k_down, 0, NULL},
    {'k', "k ↑", "previous job", k_up, 0, NULL},
    {KEY_UP, NULL, "previous job", k_up, 0, NULL},
    {'s', "s", "save the focused job's result as convscope-job-N.json", k_save, 3, "save"},
};
const cs_ui_keytable cs_ui_job_keys = {"jobs pane", bindings, (int)(sizeof bindings / sizeof bindings[0])};

const cs_ui_view cs_ui_jobs_view = {"jobs", jobs_draw, NULL, NULL, &cs_ui_job_keys, &state, NULL};
