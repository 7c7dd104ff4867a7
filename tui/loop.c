/* loop.c - the poll() loop, the signal self-pipe, suspend and resize; see loop.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tui/loop.h"

/* The longest poll() ever waits, so that a clock jump or a lost wake-up
 * costs at most this much.  (ms) */
#define LOOP_MAX_WAIT_MS 60000
/* stdin reported readable with no byte to read this many times in a row:
 * the terminal is gone (a hang-up shows up as EOF on a tty). */
#define LOOP_DEAD_READS 3

static const int loop_signals[] = { SIGWINCH, SIGTSTP, SIGCONT, SIGTERM, SIGHUP, SIGINT, SIGCHLD };
#define NSIGS ((int)(sizeof loop_signals / sizeof loop_signals[0]))

/* A signal handler can reach only globals; there is one loop per process. */
static int sig_pipe[2] = { -1, -1 };
static struct sigaction sig_old[NSIGS];

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	/* a full pipe already holds a wake-up; losing this byte loses nothing
	 * that matters except a repeated signal of the same kind */
	ssize_t r = write(sig_pipe[1], &b, 1);
	(void)r;
	errno = saved;
}

static int set_handler(int sig, void (*fn)(int), struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return sigaction(sig, &sa, old);
}

int loop_init(struct loop *l, struct term *term, const struct loop_hooks *h, double interval)
{
	memset(l, 0, sizeof *l);
	l->h = *h;
	l->term = term;
	l->interval = interval > 0 ? interval : 1;
	l->frames = true;
	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	for (int i = 0; i < NSIGS; i++)
		if (set_handler(loop_signals[i], on_signal, &sig_old[i]) < 0) {
			int e = errno;
			while (i-- > 0)
				sigaction(loop_signals[i], &sig_old[i], NULL);
			close(sig_pipe[0]);
			close(sig_pipe[1]);
			sig_pipe[0] = sig_pipe[1] = -1;
			errno = e;
			return -1;
		}
	return 0;
}

void loop_fini(struct loop *l)
{
	(void)l;
	if (sig_pipe[0] < 0)
		return;
	for (int i = 0; i < NSIGS; i++)
		sigaction(loop_signals[i], &sig_old[i], NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

void loop_quit(struct loop *l, int status)
{
	l->quit = true;
	l->status = status;
}

void loop_redraw(struct loop *l, bool full)
{
	l->want_draw = true;
	l->want_full |= full;
}

void loop_set_interval(struct loop *l, double seconds, double now)
{
	if (seconds > 0) {
		l->interval = seconds;
		l->next_frame = now + seconds;
	}
}

void loop_set_frames(struct loop *l, bool on, double now)
{
	if (on && !l->frames)
		l->next_frame = now;
	l->frames = on;
}

static double loop_clock(const struct loop *l)
{
	return l->h.clock();
}

/* Ctrl-Z: hand the terminal back, stop with the default action, and take
 * the terminal again once continued. */
static void suspend(struct loop *l)
{
	struct sigaction ours;
	term_suspend(l->term);
	set_handler(SIGTSTP, SIG_DFL, &ours);
	raise(SIGTSTP);                 /* stops here until SIGCONT */
	sigaction(SIGTSTP, &ours, NULL);
	term_resume(l->term);
	if (l->h.resize)
		l->h.resize(l->h.ctx);
	loop_redraw(l, true);
}

static void resize(struct loop *l)
{
	term_resize(l->term);
	if (l->h.resize)
		l->h.resize(l->h.ctx);
	/* redraw at once, in full: the terminal reflowed what was on it */
	loop_redraw(l, true);
}

static void handle_signals(struct loop *l)
{
	unsigned char buf[64];
	ssize_t n;
	bool winch = false, tstp = false, cont = false, child = false;
	while ((n = read(sig_pipe[0], buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			switch (buf[i]) {
			case SIGWINCH: winch = true; break;
			case SIGTSTP:  tstp = true; break;
			case SIGCONT:  cont = true; break;
			case SIGCHLD:  child = true; break;
			case SIGTERM:
			case SIGHUP:
			case SIGINT:
				if (!l->quit)
					loop_quit(l, 128 + buf[i]);
				break;
			default: break;
			}
		}
	}
	if (l->quit)
		return;
	if (tstp)
		suspend(l);
	else if (cont) {
		/* continued after a SIGSTOP we did not see coming: the shell may
		 * have drawn over us */
		term_resume(l->term);
		loop_redraw(l, true);
	}
	if (winch)
		resize(l);
	if (child && l->h.child)
		l->h.child(l->h.ctx);
}

/* Whether stdin, reported ready by poll(), is a live terminal with input. */
static bool input_alive(struct loop *l, short revents)
{
	if (revents & (POLLHUP | POLLERR | POLLNVAL))
		return false;
	int avail = 0;
	if (ioctl(STDIN_FILENO, FIONREAD, &avail) < 0)
		return false;           /* EIO: the tty is gone */
	if (avail > 0) {
		l->dead_reads = 0;
		return true;
	}
	/* readable yet empty is EOF on a tty; give a racing read a chance */
	return ++l->dead_reads < LOOP_DEAD_READS;
}

static void handle_input(struct loop *l, short revents, double now)
{
	if (!input_alive(l, revents)) {
		loop_quit(l, 128 + SIGHUP);
		return;
	}
	int ch;
	while (!l->quit && (ch = wgetch(stdscr)) != ERR) {
		if (ch == KEY_RESIZE) {
			resize(l);
			continue;
		}
		if (l->h.key)
			l->h.key(l->h.ctx, ch, now);
	}
}

static void draw(struct loop *l, double now)
{
	bool full = l->want_full;
	l->want_draw = l->want_full = false;
	if (l->h.draw)
		l->h.draw(l->h.ctx, now, full);
}

int loop_run(struct loop *l)
{
	struct pollfd pfd[2 + LOOP_MAX_FDS];
	double now = loop_clock(l);
	l->next_frame = now;
	loop_redraw(l, true);

	while (!l->quit) {
		double deadline = l->h.tick ? l->h.tick(l->h.ctx, now) : INFINITY;

		bool due = l->frames && now >= l->next_frame;
		if (due || l->want_draw) {
			draw(l, now);
			if (due) {
				/* keep the cadence; skip frames missed while stopped */
				l->next_frame += l->interval;
				if (l->next_frame <= now)
					l->next_frame = now + l->interval;
			}
		}
		if (l->quit)
			break;

		double wake = deadline;
		if (l->frames && l->next_frame < wake)
			wake = l->next_frame;
		int timeout = LOOP_MAX_WAIT_MS;
		if (!isfinite(wake))
			timeout = LOOP_MAX_WAIT_MS;
		else if (wake <= now)
			timeout = 0;
		else if (wake - now < LOOP_MAX_WAIT_MS / 1000.0)
			timeout = (int)ceil((wake - now) * 1000);

		pfd[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		int n = 2;
		if (l->h.fds) {
			int k = l->h.fds(l->h.ctx, pfd + 2, LOOP_MAX_FDS);
			if (k > 0)
				n += k > LOOP_MAX_FDS ? LOOP_MAX_FDS : k;
		}
		for (int i = 2; i < n; i++)
			pfd[i].revents = 0;

		int r = poll(pfd, (nfds_t)n, timeout);
		now = loop_clock(l);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			loop_quit(l, 1);
			break;
		}
		if (r == 0)
			continue;
		if (pfd[1].revents)
			handle_signals(l);
		if (!l->quit && pfd[0].revents)
			handle_input(l, pfd[0].revents, now);
		if (!l->quit && n > 2 && l->h.ready)
			l->h.ready(l->h.ctx, pfd + 2, n - 2, now);
	}
	return l->status;
}
