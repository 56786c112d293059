/* crt.c — all curses set-up in one place (htop's CRT.c): locale, colours or a monochrome scheme (NO_COLOR
 * set and non-empty, or a terminal without colours), the mouse, and signal handlers that restore the terminal. */
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui.h"

static int attrs[CS_UI_C_COUNT];
static volatile sig_atomic_t crt_active;

static void restore_and_die(int sig)
{
    if (crt_active) {
        crt_active = 0;
        endwin();
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static volatile sig_atomic_t quit_signal;

/* SIGINT, SIGTERM and SIGHUP end the loop: the session is freed (its temporary folders removed) before the
 * signal is raised again (cs_ui_crt_reraise). */
static void note_quit(int sig)
{
    quit_signal = sig;
}

int cs_ui_crt_signal(void)
{
    return quit_signal;
}

/* A terminal that went away without a SIGHUP reaching us (the explorer was not in its foreground group, e.g. run
 * under setsid, when tmux or the emulator closed) makes every read fail at once: the loop would spin at full CPU
 * for ever. A hang-up or error on stdin is taken as the SIGHUP that did not come. */
bool cs_ui_crt_hung_up(void)
{
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLHUP | POLLERR | POLLNVAL)))
        return false;
    if (!quit_signal)
        quit_signal = SIGHUP;
    return true;
}

void cs_ui_crt_reraise(void)
{
    if (quit_signal) {
        signal(quit_signal, SIG_DFL);
        raise(quit_signal);
    }
}

static void install_signals(void)
{
    const int fatal[] = {SIGQUIT, SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL}, polite[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = restore_and_die;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
    sa.sa_handler = note_quit;
    for (size_t i = 0; i < sizeof polite / sizeof polite[0]; i++)
        sigaction(polite[i], &sa, NULL);
}

static void colour_scheme(cs_ui *ui)
{
    static const short fg[CS_UI_C_COUNT] = {-1, COLOR_CYAN, COLOR_GREEN, COLOR_RED, COLOR_BLUE, COLOR_BLACK,
                                            COLOR_BLACK, COLOR_YELLOW};
    static const short bg[CS_UI_C_COUNT] = {-1, -1, -1, -1, -1, COLOR_CYAN, COLOR_CYAN, -1};
    const char *nc = getenv("NO_COLOR");
    ui->color = has_colors() && !(nc && nc[0]);
    if (ui->color) {
        start_color();
        use_default_colors();
        for (int i = 1; i < CS_UI_C_COUNT; i++) {
            init_pair((short)i, fg[i], bg[i]);
            attrs[i] = COLOR_PAIR(i);
        }
        attrs[CS_UI_C_HEAD] |= A_BOLD;
        attrs[CS_UI_C_BAD] |= A_BOLD;
        return;
    }
    attrs[CS_UI_C_HEAD] = A_BOLD;
    attrs[CS_UI_C_BAD] = A_BOLD;
    attrs[CS_UI_C_SEL] = A_REVERSE;
    attrs[CS_UI_C_BAR] = A_REVERSE;
    attrs[CS_UI_C_WARN] = A_BOLD;
    attrs[CS_UI_C_DIM] = A_DIM;
}

int cs_ui_attr(int role)
{
    return role >= 0 && role < CS_UI_C_COUNT ? attrs[role] : 0;
}

void cs_ui_crt_init(cs_ui *ui)
{
    setlocale(LC_ALL, "");
    ui->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    install_signals();
    initscr();
    crt_active = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    timeout(100); /* the loop wakes at 10 Hz to poll the session */
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    colour_scheme(ui);
    getmaxyx(stdscr, ui->rows, ui->cols);
}

void cs_ui_crt_done(void)
{
    if (crt_active) {
        crt_active = 0;
        curs_set(1);
        endwin();
    }
}
