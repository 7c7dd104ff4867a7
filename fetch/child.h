/*
 * child.h - a command run as a child process on the event loop, its output
 * read line by line without ever blocking: nvidia-smi -lms, neuron-monitor,
 * a benchmark's --follow-cmd.
 *
 * The command runs through /bin/sh -c (so PATH lookup, quoting and pipes are
 * the user's shell's), in its own process group, stdin from /dev/null,
 * stdout (and stderr, when asked) into a non-blocking pipe.  Lines are
 * split on '\n' (a '\r' before it is dropped); a line longer than
 * CHILD_LINE_MAX is cut, the rest of it skipped, and the line delivered with
 * `cut` set.  A partial last line is held until its newline comes (or the
 * child ends: then it is delivered too).
 *
 * When the child exits or its pipe closes, the owner's on_exit() hears why
 * ("exited with status 1", "killed by signal 9", "not found: nvidia-smi")
 * and the child is started again after a backoff (1 s, doubling to
 * CHILD_BACKOFF_MAX, reset after it has run for 60 s), unless restart is
 * off.  A child that prints nothing for `quiet_timeout` seconds (0: never)
 * is killed and restarted: a hung nvidia-smi does not freeze a figure.
 *
 * The owner, itself a source, forwards its fds()/ready()/tick() to the
 * child_* functions below and folds child_tick()'s deadline into its own.
 * child_free() kills the process group (SIGTERM, then SIGKILL after 1 s,
 * without waiting in the loop: the zombie is reaped by a later waitpid or
 * at exit) and closes the pipe.  SIGCHLD is not used: exits are noticed by
 * EOF on the pipe and waitpid(WNOHANG).
 *
 * Nothing here prints anything.
 */
#ifndef PERWATT_CHILD_H
#define PERWATT_CHILD_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHILD_LINE_MAX     65536     /* longest line kept (neuron-monitor's reports are long) */
#define CHILD_BACKOFF_MAX  60.0      /* s */

struct child;

struct child_opts {
	const char *cmd;                 /* a shell command line */
	bool stderr_too;                 /* stderr into the same pipe */
	bool restart;                    /* start again after it ends */
	double quiet_timeout;            /* s without output before it is killed; 0: never */
	/* each complete line, without its newline; `cut` when it was longer
	 * than CHILD_LINE_MAX */
	void (*on_line)(void *user, const char *line, size_t len, bool cut, double now);
	/* the child ended (or could not start): why, in one line */
	void (*on_exit)(void *user, const char *why, double now);
	void *user;
};

/* Copies the options.  NULL when out of memory.  Does not start it. */
struct child *child_new(const struct child_opts *o);
/* Starts the command now; 0, or -1 (on_exit() is then called with why). */
int child_start(struct child *c, double now);
int child_fds(struct child *c, struct pollfd *fds, int max);
void child_ready(struct child *c, const struct pollfd *fds, int nfds, double now);
/* Restarts, kills a quiet child, reaps; returns the next deadline. */
double child_tick(struct child *c, double now);
bool child_running(const struct child *c);
pid_t child_pid(const struct child *c);         /* 0 when not running */
unsigned child_starts(const struct child *c);   /* how many times it was started */
void child_free(struct child *c);               /* NULL is fine */

#endif
