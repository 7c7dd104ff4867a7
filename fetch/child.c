/*
 * child.c - a command's output, line by line, on the event loop (child.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetch/child.h"

#define READ_CHUNK 65536
#define BACKOFF_FIRST 1.0
#define STABLE_AFTER 60.0       /* s of running that resets the backoff */

struct child {
	struct child_opts o;
	char *cmd;
	pid_t pid;
	int fd;                 /* read end, -1 when closed */
	char *buf;              /* the line being assembled */
	size_t len;
	bool skipping;          /* past CHILD_LINE_MAX: dropping until '\n' */
	bool cut;
	double started, last_out, restart_at;
	double backoff;
	unsigned starts;
	bool exited_reported;
};

struct child *child_new(const struct child_opts *o)
{
	if (!o || !o->cmd)
		return NULL;
	struct child *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->o = *o;
	c->fd = -1;
	c->restart_at = INFINITY;
	c->backoff = BACKOFF_FIRST;
	if (!(c->cmd = strdup(o->cmd)) || !(c->buf = malloc(CHILD_LINE_MAX + 1))) {
		free(c->cmd);
		free(c);
		return NULL;
	}
	c->o.cmd = c->cmd;
	return c;
}

static void report_exit(struct child *c, const char *why, double now)
{
	if (c->o.on_exit)
		c->o.on_exit(c->o.user, why, now);
	if (c->o.restart) {
		if (now - c->started >= STABLE_AFTER)
			c->backoff = BACKOFF_FIRST;
		c->restart_at = now + c->backoff;
		c->backoff = fmin(c->backoff * 2, CHILD_BACKOFF_MAX);
	}
}

int child_start(struct child *c, double now)
{
	if (!c || c->pid > 0)
		return 0;
	int p[2];
	c->restart_at = INFINITY;
	if (pipe2(p, O_CLOEXEC) < 0) {
		char why[128];
		snprintf(why, sizeof why, "cannot make a pipe: %s", strerror(errno));
		report_exit(c, why, now);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		char why[128];
		snprintf(why, sizeof why, "cannot start it: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		report_exit(c, why, now);
		return -1;
	}
	if (pid == 0) {
		/* the child: its own group (so that it and its children are killed
		 * together), default signals, stdin from /dev/null */
		setpgid(0, 0);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		for (int s = 1; s < 32; s++)
			if (s != SIGKILL && s != SIGSTOP)
				sigaction(s, &sa, NULL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0 && in != 0) {
			dup2(in, 0);
			close(in);
		}
		dup2(p[1], 1);
		if (c->o.stderr_too)
			dup2(p[1], 2);
		else {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0) {
				dup2(null, 2);
				close(null);
			}
		}
		execl("/bin/sh", "sh", "-c", c->cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);      /* also here: no race with the first kill */
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	c->fd = p[0];
	c->pid = pid;
	c->len = 0;
	c->skipping = c->cut = false;
	c->started = c->last_out = now;
	c->starts++;
	c->exited_reported = false;
	return 0;
}

static void deliver(struct child *c, double now)
{
	size_t n = c->len;
	if (n && c->buf[n - 1] == '\r')
		n--;
	c->buf[n] = '\0';
	if (c->o.on_line)
		c->o.on_line(c->o.user, c->buf, n, c->cut, now);
	c->len = 0;
	c->cut = false;
}

static void feed(struct child *c, const char *d, size_t n, double now)
{
	for (size_t i = 0; i < n; i++) {
		char ch = d[i];
		if (ch == '\n') {
			if (c->skipping)
				c->skipping = false;
			deliver(c, now);
			continue;
		}
		if (c->skipping)
			continue;
		if (c->len == CHILD_LINE_MAX) {
			c->cut = true;
			c->skipping = true;
			continue;
		}
		c->buf[c->len++] = ch;
	}
}

/* The status of a reaped child in words. */
static void status_text(char *buf, size_t n, int st, const char *cmd)
{
	if (WIFEXITED(st)) {
		int code = WEXITSTATUS(st);
		if (code == 127)
			snprintf(buf, n, "not found or not executable: %.100s (exit 127)", cmd);
		else if (code == 126)
			snprintf(buf, n, "cannot be run: %.100s (exit 126)", cmd);
		else
			snprintf(buf, n, "exited with status %d", code);
	} else if (WIFSIGNALED(st)) {
		snprintf(buf, n, "killed by signal %d", WTERMSIG(st));
	} else {
		snprintf(buf, n, "ended");
	}
}

/* After EOF: reap if it has exited, and say so once. */
static void try_reap(struct child *c, double now)
{
	if (c->pid <= 0 || c->fd >= 0)
		return;
	int st;
	pid_t r = waitpid(c->pid, &st, WNOHANG);
	if (r == 0)
		return;         /* closed its output but still running: next tick */
	char why[200];
	if (r < 0)
		snprintf(why, sizeof why, "ended (%s)", strerror(errno));
	else
		status_text(why, sizeof why, st, c->cmd);
	c->pid = 0;
	if (!c->exited_reported) {
		c->exited_reported = true;
		report_exit(c, why, now);
	}
}

static void close_pipe(struct child *c, double now)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->len)
		deliver(c, now);        /* a last line without its newline */
	c->skipping = false;
}

int child_fds(struct child *c, struct pollfd *fds, int max)
{
	if (!c || c->fd < 0 || max < 1)
		return 0;
	fds[0].fd = c->fd;
	fds[0].events = POLLIN;
	fds[0].revents = 0;
	return 1;
}

void child_ready(struct child *c, const struct pollfd *fds, int nfds, double now)
{
	if (!c || c->fd < 0)
		return;
	bool mine = false;
	for (int i = 0; i < nfds; i++)
		if (fds[i].fd == c->fd && fds[i].revents)
			mine = true;
	if (!mine)
		return;
	static char chunk[READ_CHUNK];
	/* a bounded number of reads per wake-up: a chatty child cannot starve
	 * the loop */
	for (int k = 0; k < 16; k++) {
		ssize_t n = read(c->fd, chunk, sizeof chunk);
		if (n > 0) {
			c->last_out = now;
			feed(c, chunk, (size_t)n, now);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		close_pipe(c, now);     /* EOF or an error */
		try_reap(c, now);
		return;
	}
}

static void kill_group(pid_t pid, int sig)
{
	if (pid > 0 && kill(-pid, sig) < 0)
		kill(pid, sig);
}

double child_tick(struct child *c, double now)
{
	if (!c)
		return INFINITY;
	if (c->pid > 0 && c->fd < 0)
		try_reap(c, now);
	if (c->pid > 0 && c->fd >= 0 && c->o.quiet_timeout > 0 && now - c->last_out > c->o.quiet_timeout) {
		char why[160];
		snprintf(why, sizeof why, "printed nothing for %.0f s: killed, to be started again",
		         c->o.quiet_timeout);
		kill_group(c->pid, SIGKILL);
		close_pipe(c, now);
		int st;
		waitpid(c->pid, &st, 0);        /* SIGKILL: immediate */
		c->pid = 0;
		c->exited_reported = true;
		report_exit(c, why, now);
	}
	if (c->pid <= 0 && now >= c->restart_at)
		child_start(c, now);
	double next = c->restart_at;
	if (c->pid > 0 && c->fd < 0)
		next = fmin(next, now + 0.1);   /* waiting to reap */
	if (c->pid > 0 && c->fd >= 0 && c->o.quiet_timeout > 0)
		next = fmin(next, c->last_out + c->o.quiet_timeout + 0.01);
	return next;
}

bool child_running(const struct child *c)
{
	return c && c->pid > 0;
}

pid_t child_pid(const struct child *c)
{
	return c ? c->pid : 0;
}

unsigned child_starts(const struct child *c)
{
	return c ? c->starts : 0;
}

void child_free(struct child *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->pid > 0) {
		kill_group(c->pid, SIGTERM);
		int st;
		/* up to 100 ms to go quietly, then SIGKILL */
		for (int i = 0; i < 20; i++) {
			if (waitpid(c->pid, &st, WNOHANG) != 0)
				goto reaped;
			struct timespec ts = { 0, 5000000 };
			nanosleep(&ts, NULL);
		}
		kill_group(c->pid, SIGKILL);
		waitpid(c->pid, &st, 0);
	}
reaped:
	free(c->buf);
	free(c->cmd);
	free(c);
}
