/* draw.c — drawing primitives shared by the views: width-aware clipped text, boxes, bars, sparklines of
 * histograms and block-character maps, each with an ASCII form when the terminal is not UTF-8. */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"

static bool ascii_only;

void cs_ui_draw_ascii(bool on)
{
    ascii_only = on;
}

/* Without a UTF-8 locale, the few symbols the views use become ASCII. */
static void to_ascii(char *buf, size_t size)
{
    static const char *const map[][2] = {
        {"↓", "v"}, {"↑", "^"}, {"←", "<"}, {"→", ">"}, {"▶", ">"}, {"·", "."}, {"—", "-"}, {"…", "..."},
        {"≠", "!"}, {"↔", "<->"}, {"✓", "="}, {"✗", "!"}, {"▸", "+"}, {"▾", "-"}, {"█", "#"}, {"×", "x"}, {"≈", "~"},
    };
    char out[1024];
    size_t o = 0;
    for (const char *p = buf; *p && o + 4 < sizeof out;) {
        size_t k = 0;
        while (k < sizeof map / sizeof map[0] && strncmp(p, map[k][0], strlen(map[k][0])) != 0)
            k++;
        if (k < sizeof map / sizeof map[0]) {
            o += (size_t)snprintf(out + o, sizeof out - o, "%s", map[k][1]);
            p += strlen(map[k][0]);
        } else {
            out[o++] = (unsigned char)*p < 128 ? *p : '?';
            p++;
            while ((unsigned char)*p >= 0x80 && (unsigned char)*p < 0xc0)
                p++;
        }
    }
    out[o] = 0;
    snprintf(buf, size, "%s", out);
}

/* Prints at most w columns of the formatted text, padding with spaces; returns the columns used. */
int cs_ui_put(int y, int x, int w, int attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (ascii_only)
        to_ascii(buf, sizeof buf);
    if (w <= 0 || y < 0 || y >= LINES)
        return 0;
    attron(attr);
    move(y, x);
    int col = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    for (const char *p = buf; *p;) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, p, strlen(p), &st);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
            break;
        int cw = wcwidth(wc);
        if (cw < 0)
            cw = 1;
        if (col + cw > w)
            break;
        addnstr(p, (int)n);
        col += cw;
        p += n;
    }
    for (int c = col; c < w; c++)
        addch(' ');
    attroff(attr);
    return col;
}

int cs_ui_text_width(const char *s)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int col = 0;
    for (const char *p = s; *p;) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, p, strlen(p), &st);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
            return col + (int)strlen(p); /* not valid in the locale: a column per byte */
        int cw = wcwidth(wc);
        col += cw < 0 ? 1 : cw;
        p += n;
    }
    return col;
}

void cs_ui_fill(cs_ui_rect r)
{
    for (int i = 0; i < r.h; i++)
        cs_ui_put(r.y + i, r.x, r.w, 0, "%s", "");
}

void cs_ui_box_title(cs_ui *ui, cs_ui_rect r, const char *title, bool focused)
{
    (void)ui;
    int attr = focused ? cs_ui_attr(CS_UI_C_SEL) | (int)A_BOLD : cs_ui_attr(CS_UI_C_HEAD);
    cs_ui_put(r.y, r.x, r.w, attr, "%s%s", focused ? "▶ " : "  ", title);
}

const char *cs_ui_glyph_ok(const cs_ui *ui, bool ok)
{
    if (ui->utf8)
        return ok ? "✓" : "✗";
    return ok ? "=" : "!";
}

void cs_ui_bar(const cs_ui *ui, int y, int x, int w, double frac, int attr)
{
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    int full = (int)(frac * w + 0.5);
    char buf[512] = "";
    size_t used = 0;
    for (int i = 0; i < w && used + 4 < sizeof buf; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s",
                                 i < full ? (ui->utf8 ? "█" : "#") : (ui->utf8 ? "·" : "."));
    cs_ui_put(y, x, w, attr, "%s", buf);
}

void cs_ui_sparkline(const cs_ui *ui, int y, int x, int w, const cs_summary *sm)
{
    static const char *const u[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    static const char *const a[] = {" ", ".", ".", ":", "-", "=", "+", "*", "#"};
    char buf[1024] = "";
    size_t used = 0;
    for (int i = 0; i < w && i < sm->bins && used + 4 < sizeof buf; i++) {
        int k = sm->hist_peak ? (int)((sm->hist[i] * 8 + sm->hist_peak - 1) / sm->hist_peak) : 0;
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s", ui->utf8 ? u[k] : a[k]);
    }
    cs_ui_put(y, x, w, cs_ui_attr(CS_UI_C_OK), "%s", buf);
}

void cs_ui_map(const cs_ui *ui, int y, int x, int h, int w, const float *cells, double lo, double hi)
{
    static const char *const u[] = {" ", "░", "▒", "▓", "█"};
    static const char *const a[] = {" ", ".", ":", "o", "@"};
    for (int r = 0; r < h; r++) {
        char buf[1024] = "";
        size_t used = 0;
        for (int q = 0; q < w && used + 4 < sizeof buf; q++) {
            double t = hi > lo ? (cells[r * w + q] - lo) / (hi - lo) : 0;
            int k = (int)(t * 4 + 0.5);
            k = k < 0 ? 0 : k > 4 ? 4 : k;
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s", ui->utf8 ? u[k] : a[k]);
        }
        cs_ui_put(y + r, x, w, 0, "%s", buf);
    }
}

const char *cs_ui_base(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash && slash[1] ? slash + 1 : path ? path : "";
}

const char *cs_ui_bytes(int64_t n, char *buf, size_t size)
{
    if (n < 0)
        snprintf(buf, size, "?");
    else if (n < 10240)
        snprintf(buf, size, "%lld B", (long long)n);
    else if (n < 10 * 1048576LL)
        snprintf(buf, size, "%.1f KiB", n / 1024.0);
    else
        snprintf(buf, size, "%.1f MiB", n / 1048576.0);
    return buf;
}
