/*
 * loop.h - the one event loop: a single thread, a single poll().
 *
 * poll() waits on the keyboard (stdin), a self-pipe that the signal handlers
 * write to, whatever descriptors the hooks add (the sources' sockets and
 * pipes), and the next timer: the earlier of the next frame and the hooks'
 * own deadline.  Signal handlers do nothing but write the signal number to
 * the pipe; everything happens here, in the loop, where it is safe:
 *
 *   SIGWINCH           resize curses, call hooks.resize, redraw at once
 *   SIGTSTP (Ctrl-Z)   give the terminal back, stop, take it again, redraw
 *   SIGCONT            redraw everything (the screen may have been used)
 *   SIGTERM SIGHUP     leave the loop; loop_run() returns 128 + signal
 *   SIGINT
 *   SIGCHLD            call hooks.child, if any (no reaping here: whoever
 *                      started a child waits for it)
 *
 * A dead terminal (hang-up, EOF or EIO on stdin, as when an SSH session is
 * killed) ends the loop with 128 + SIGHUP: it never spins on a dead tty.
 *
 * The loop knows nothing of fleets: views/ui.c passes hooks.  Frames come at
 * the refresh interval, on input and on resize; never more often.
 *
 * Ownership: the caller owns struct loop (on its stack is fine) and the
 * hooks' context; loop_init() installs the signal handlers and the pipe,
 * loop_fini() removes them.  Call loop_init() before term_open(), so that
 * curses sees our handlers and does not install its own.
 */
#ifndef PERWATT_LOOP_H
#define PERWATT_LOOP_H

#include <poll.h>
#include <stdbool.h>

#include "tui/term.h"

/* Descriptors the loop waits on besides its own two. */
#define LOOP_MAX_FDS 4096

struct loop_hooks {
	void *ctx;
	/* Monotonic seconds; the same clock the hooks' deadlines use. */
	double (*clock)(void);
	/* Fills up to max pollfds to wait on; returns how many. */
	int (*fds)(void *ctx, struct pollfd *fds, int max);
	/* After poll(): the same pollfds, with revents. */
	void (*ready)(void *ctx, const struct pollfd *fds, int nfds, double now);
	/* Timers due: returns the next deadline (INFINITY: none). */
	double (*tick)(void *ctx, double now);
	/* One key (a curses key code). */
	void (*key)(void *ctx, int key, double now);
	/* The screen changed size (curses already knows). */
	void (*resize)(void *ctx);
	/* Draw one frame; `full` after a resize, resume or loop_redraw(l, true). */
	void (*draw)(void *ctx, double now, bool full);
	/* A child process changed state (optional). */
	void (*child)(void *ctx);
};

struct loop {
	struct loop_hooks h;
	struct term *term;
	double interval;        /* seconds between timed frames */
	double next_frame;
	bool frames;            /* timed frames on (off while paused) */
	bool want_draw, want_full;
	bool quit;
	int status;
	int dead_reads;         /* stdin readable with nothing to read, in a row */
};

/* Creates the self-pipe and installs the handlers.  0, or -1 (errno set). */
int loop_init(struct loop *l, struct term *term, const struct loop_hooks *h, double interval);
/* Restores the signal dispositions loop_init() found and closes the pipe. */
void loop_fini(struct loop *l);

/* Runs until loop_quit() or a terminating signal; returns the exit status. */
int loop_run(struct loop *l);

void loop_quit(struct loop *l, int status);
/* Asks for a frame as soon as the current events are handled. */
void loop_redraw(struct loop *l, bool full);
/* Changes the frame interval; the next frame comes one interval from now. */
void loop_set_interval(struct loop *l, double seconds, double now);
/* Turns timed frames off (pause) or on; input and resizes still redraw. */
void loop_set_frames(struct loop *l, bool on, double now);

#endif
