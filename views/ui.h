/*
 * ui.h - the interactive dashboard: terminal, event loop, views.
 *
 * ui_run() owns the terminal from start to end: it sets it up, runs the one
 * poll() loop (keyboard, signal self-pipe, the sources' descriptors, the next
 * timer), draws the views from the model, and restores the terminal on every
 * way out (q, SIGTERM, SIGHUP, SIGINT).  Ctrl-Z suspends and resumes.
 */
#ifndef PERWATT_UI_H
#define PERWATT_UI_H

#include <stdbool.h>

#include "core/model.h"
#include "fetch/source.h"

struct ui_options {
	double interval;        /* refresh interval, seconds (0.25 .. 60) */
	double window;          /* seconds the panel figures average over */
	const char *theme;      /* "dark" (default), "light", "mono", ... */
	bool ascii;             /* force ASCII (also when the locale is not UTF-8) */
	bool no_color;          /* --no-color or NO_COLOR set */
	const char *hint;       /* one line shown at the bottom at start, or NULL */
};

/* Returns the process exit status: 0 after q, 128+signal after a fatal signal
 * (the terminal is restored either way). */
int ui_run(struct model *m, struct source_set *sources, const struct ui_options *opt);

#endif
