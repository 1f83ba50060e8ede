#define _POSIX_C_SOURCE 200809L
#include "tui_term.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t resized;

static int term_fd = -1;
static struct termios saved_modes;
static int modes_saved;

static void on_signal(int sig)
{
    if (sig == SIGWINCH)
        resized = 1;
    else
        stop_signal = sig;
}

void tui_term_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a blocking poll or read must return so the loop sees the flag */
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
}

int tui_term_stop_signal(void)
{
    return (int)stop_signal;
}

int tui_term_resized(void)
{
    if (!resized)
        return 0;
    resized = 0;
    return 1;
}

int tui_term_write(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* alternate screen on, cursor hidden, screen cleared */
static const char enter_seq[] = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
/* attributes reset, cursor shown, alternate screen off */
static const char leave_seq[] = "\x1b[0m\x1b[?25h\x1b[?1049l";

int tui_term_enter(int fd)
{
    if (!isatty(fd))
        return -1;
    term_fd = fd;
    if (tcgetattr(fd, &saved_modes) == 0) {
        struct termios t = saved_modes;
        /* keystrokes would otherwise echo into the frame; ISIG stays so ^C works */
        t.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        modes_saved = tcsetattr(fd, TCSANOW, &t) == 0;
    }
    return tui_term_write(fd, enter_seq, sizeof enter_seq - 1);
}

void tui_term_leave(void)
{
    if (term_fd < 0)
        return;
    tui_term_write(term_fd, leave_seq, sizeof leave_seq - 1);
    if (modes_saved)
        tcsetattr(term_fd, TCSANOW, &saved_modes);
    modes_saved = 0;
    term_fd = -1;
}

void tui_term_size(int fd, int *cols, int *rows)
{
    struct winsize ws;
    *cols = 80;
    *rows = 24;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *cols = ws.ws_col;
        *rows = ws.ws_row;
    }
}
