/* ui.h — private to the explorer: the application state, panes, views as vtables (draw/key/resize),
 * key tables as data (one note per binding: help and the bottom bar come from them) and the command table. */
#ifndef CS_UI_H
#define CS_UI_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/session.h"

/* Handler results, as a bitmask (htop's HandlerResult). */
#define CS_UI_UNHANDLED 0
#define CS_UI_HANDLED 1
#define CS_UI_QUIT 2

typedef struct cs_ui cs_ui;

typedef struct cs_ui_binding {
    int key;               /* curses key code or character */
    const char *label;     /* as shown: "j/↓", "Enter" */
    const char *note;      /* what it does, for ? help */
    int (*fn)(cs_ui *ui);
    int bar;               /* rank in the bottom bar (1 first, kept longest when narrow); 0 not shown */
    const char *word;      /* the bar's word for it ("first ✗") */
} cs_ui_binding;

typedef struct cs_ui_keytable {
    const char *name;      /* "layer walk", "global" */
    const cs_ui_binding *b;
    int n;
} cs_ui_keytable;

typedef struct cs_ui_rect {
    int y, x, h, w;
} cs_ui_rect;

/* list.c — the one list widget: layers, picker, jobs and help are lists. */
typedef struct cs_ui_list {
    int n;                 /* items */
    int sel;               /* the selected item (the cursor) */
    int top;               /* the first visible item */
    bool cursor;           /* false: the keys scroll the view (help) instead of moving a selection */
} cs_ui_list;
typedef void (*cs_ui_list_row)(cs_ui *ui, void *ctx, int item, int y, int x, int w, bool selected);
void cs_ui_list_fit(cs_ui_list *l, int height);           /* sel in range, top so that sel shows */
int cs_ui_list_key(cs_ui_list *l, int key, int page);     /* j/k, arrows, PgUp/PgDn, g/G, Home/End */
void cs_ui_list_draw(cs_ui *ui, cs_ui_list *l, cs_ui_rect r, cs_ui_list_row row, void *ctx);

/* A view (tmux's window_mode): its callbacks and its own state behind `data`; modals also have `open`. */
typedef struct cs_ui_view {
    const char *name;
    void (*draw)(cs_ui *ui, cs_ui_rect r);
    int (*key)(cs_ui *ui, int key);          /* modal views take raw keys; NULL: the key table dispatches */
    void (*resize)(cs_ui *ui, cs_ui_rect r);
    const cs_ui_keytable *keys;
    void *data;                              /* the view's own state (a struct private to its file) */
    void (*open)(cs_ui *ui);                 /* modals: called when the app opens them (may be NULL) */
} cs_ui_view;

typedef enum { CS_PANE_LAYERS = 0, CS_PANE_DETAIL, CS_PANE_JOBS, CS_PANE_COUNT } cs_ui_pane;
typedef enum { CS_DETAIL_WEIGHTS = 0, CS_DETAIL_ACTS } cs_ui_detail;
typedef enum { CS_MODAL_NONE = 0, CS_MODAL_HELP, CS_MODAL_INPUT, CS_MODAL_FORM, CS_MODAL_CMDLINE, CS_MODAL_CONFIRM,
               CS_MODAL_TEACH }
    cs_ui_modal;

#define CS_UI_MAX_FILES 512
#define CS_UI_FOLD_ABOVE 40  /* a model with more rows than this opens with its blocks folded ... */
#define CS_UI_FOLD_TARGET 30 /* ... at the deepest level that shows at most this many rows */


/* action.c — requests a handler leaves for the event loop to carry out after the key */
typedef struct cs_ui_action {
    bool open_modal;
    cs_ui_modal modal;
    bool start_job;
    cs_job_params job;
} cs_ui_action;

struct cs_ui {
    cs_session *s;
    cs_ui_action act;          /* filled by handlers, carried out and cleared by the loop */
    cs_session_view v;         /* refreshed under the lock before each key and draw */
    int rows, cols;
    cs_ui_rect header, pane[CS_PANE_COUNT], status, bar;
    cs_ui_pane focus;
    bool zoom;
    cs_ui_detail detail;
    cs_ui_modal modal;
    int sel_row;               /* selected row (index into v.rows) */
    int *vis;                  /* visible rows after folding */
    int n_vis, cap_vis;
    bool *folded;              /* per row */
    int n_folded;
    bool *const_rows;          /* per row: computes from constants only, never shown */
    int n_const_rows;
    const void *const_rows_of; /* the rows they were computed for */
    int detail_scroll, channel;
    int channel_row;           /* the row the channel was chosen for (a new row starts on its worst channel) */
    char search[128];
    char msg[256];             /* the status line's message */
    bool msg_error;
    char dismissed[256];       /* the session's failure the user has already seen */
    double msg_expires;        /* monotonic ms when an informational message fades; 0: at the next key */
    bool utf8, color;
    FILE *trace;
    char fallback[1024];       /* the bundled image tried when no input is given */
    bool quit;
};

/* crt.c — terminal set-up, colour or monochrome scheme, signals that restore the terminal. */
enum { CS_UI_C_NORMAL = 0, CS_UI_C_HEAD, CS_UI_C_OK, CS_UI_C_BAD, CS_UI_C_DIM, CS_UI_C_SEL, CS_UI_C_BAR, CS_UI_C_WARN,
       CS_UI_C_COUNT };
void cs_ui_crt_init(cs_ui *ui);
void cs_ui_crt_done(void);
int cs_ui_crt_signal(void);   /* the SIGINT/SIGTERM/SIGHUP received, 0 when none: the loop ends */
bool cs_ui_crt_hung_up(void); /* stdin hung up or failed (a SIGHUP that never came): noted as SIGHUP */
void cs_ui_crt_reraise(void); /* after cleaning up, dies of that signal (exit status 128+N) */
int cs_ui_attr(int role);

/* draw.c — clipped text, bars, sparklines and block-character maps. */
int cs_ui_put(int y, int x, int w, int attr, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cs_ui_fill(cs_ui_rect r);
int cs_ui_text_width(const char *s); /* display columns (wcwidth), not bytes */
void cs_ui_draw_ascii(bool on); /* transliterate symbols when the locale is not UTF-8 */
void cs_ui_box_title(cs_ui *ui, cs_ui_rect r, const char *title, bool focused);
const char *cs_ui_glyph_ok(const cs_ui *ui, bool ok);
void cs_ui_bar(const cs_ui *ui, int y, int x, int w, double frac, int attr);
void cs_ui_sparkline(const cs_ui *ui, int y, int x, int w, const cs_summary *sm);
void cs_ui_map(const cs_ui *ui, int y, int x, int h, int w, const float *cells, double lo, double hi);
const char *cs_ui_base(const char *path);
const char *cs_ui_bytes(int64_t n, char *buf, size_t size);

/* keys.c — key tables, dispatch, help lines and the bottom bar. */
extern const cs_ui_keytable cs_ui_global_keys, cs_ui_layer_keys, cs_ui_detail_keys, cs_ui_job_keys, cs_ui_teach_keys;
int cs_ui_dispatch(cs_ui *ui, const cs_ui_keytable *t, int key);
int cs_ui_help_lines(char lines[][160], int max);
void cs_ui_draw_bar(cs_ui *ui);

/* views */
extern const cs_ui_view cs_ui_layers_view, cs_ui_detail_view, cs_ui_jobs_view, cs_ui_help_view, cs_ui_input_view,
    cs_ui_form_view, cs_ui_teach_view;
int cs_ui_job_selected(void);     /* jobs.c: the focused job's position (cs_session_job_at), -1 when none */
void cs_ui_job_select(int i);
const cs_ui_view *cs_ui_pane_view(cs_ui_pane p);
void cs_ui_header_draw(cs_ui *ui);
bool cs_ui_detail_idle(cs_ui *ui); /* detail.c: computes one deferred statistic; true when one was computed */
int cs_ui_jobs_cancel(cs_ui *ui);
bool cs_ui_jobs_log_open(void); /* jobs.c: the focused job's log is shown instead of the list */

/* layers.c helpers used by keys and commands */
void cs_ui_layers_visible(cs_ui *ui);
void cs_ui_select(cs_ui *ui, int row);
int cs_ui_vis_pos(const cs_ui *ui, int row);
int cs_ui_layers_top(void); /* the first visible position of the layer list (mouse clicks) */
bool cs_ui_row_constant(const cs_ui *ui, int row); /* computes from constants only: not shown */
#define CS_UI_LOW_MATCH 0.5 /* below this overall matching confidence the layers pane warns */
double cs_ui_match_confidence(const cs_ui *ui);
const char *cs_ui_row_name(const cs_ui *ui, const cs_row *r, int side, char *buf, size_t size);
int cs_ui_find(cs_ui *ui, int dir);

/* action.c — what handlers ask for (no handler calls into app.c) */
void cs_ui_message(cs_ui *ui, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cs_ui_request_modal(cs_ui *ui, cs_ui_modal m); /* opens it through its view's `open` */
void cs_ui_request_job(cs_ui *ui, const cs_job_params *p);

/* picker.c: loads the highlighted input's preview when the loop is idle; true when it did */
bool cs_ui_picker_idle(cs_ui *ui);
void cs_ui_picker_free(void);

/* predict.c — top-k classes of each model's output with labels, cached per result */
#define CS_UI_TOPK 5
typedef struct cs_ui_topk {
    int n;
    int idx[CS_UI_TOPK];
    double p[CS_UI_TOPK];      /* probability (softmax of the scores unless they already are one) */
    char label[CS_UI_TOPK][48];
} cs_ui_topk;
const cs_ui_topk *cs_ui_predicted(cs_ui *ui, int side); /* n == 0 when the output is not a class score vector */
const char *cs_ui_topk_str(const cs_ui_topk *t, int k, char *buf, size_t size); /* "0 'T-shirt/top' 97%, ..." */
int cs_ui_output_row(const cs_ui *ui);

/* cmdline.c — the `:` command line on readline's callback interface, fed from the curses loop. */
void cs_ui_cmdline_init(cs_ui *ui);
void cs_ui_cmdline_done(void);
void cs_ui_cmdline_open(cs_ui *ui);
void cs_ui_cmdline_search(cs_ui *ui); /* the same line with a '/' prompt: the text is a layer search */
int cs_ui_cmdline_key(cs_ui *ui, int key);
void cs_ui_cmdline_draw(cs_ui *ui);

/* commands: one file each (cmd_*.c), listed in cmd.c */
typedef struct cs_ui_cmd {
    const char *name;
    const char *usage;
    const char *summary;
    int (*exec)(cs_ui *ui, int argc, char **argv); /* CS_UI_HANDLED or CS_UI_QUIT */
} cs_ui_cmd;
extern const cs_ui_cmd *const cs_ui_cmds[];
extern const int cs_ui_n_cmds;
int cs_ui_cmd_run(cs_ui *ui, const char *line);
extern const cs_ui_cmd cs_ui_cmd_explain, cs_ui_cmd_open, cs_ui_cmd_input, cs_ui_cmd_tol, cs_ui_cmd_map, cs_ui_cmd_bench,
    cs_ui_cmd_eval, cs_ui_cmd_attack, cs_ui_cmd_export, cs_ui_cmd_help, cs_ui_cmd_quit;

#endif
