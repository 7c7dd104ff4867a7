/*
 * ui.h - the interactive dashboard: terminal, event loop, views.
 *
 * ui_run() owns the terminal from start to end: it sets it up, runs the one
 * poll() loop (keyboard, signal self-pipe, the sources' descriptors, the next
 * timer), draws the views from the model, and restores the terminal on every
 * way out (q, SIGTERM, SIGHUP, SIGINT, a terminal that went away).  Ctrl-Z
 * suspends and resumes.  It calls source_set_tick() whenever a source's
 * deadline comes and model_tick() once a second; sources must have been
 * started.  It sets LC_NUMERIC to "C" (figures are printed with a decimal
 * point whatever the locale); the rest of the locale is the caller's.
 *
 * Theme names (for validating --theme): theme_find() and theme_names[] in
 * themes/theme.h.
 */
#ifndef PERWATT_UI_H
#define PERWATT_UI_H

#include <stdbool.h>

#include "core/model.h"
#include "core/savings.h"
#include "fetch/source.h"

struct ui_options {
	double interval;        /* refresh interval, seconds (0.25 .. 60) */
	double window;          /* seconds the panel figures average over */
	const char *theme;      /* a name theme_find() knows; NULL or unknown: "dark" */
	bool ascii;             /* force ASCII (also when the locale is not UTF-8) */
	bool no_color;          /* --no-color or NO_COLOR set */
	const char *hint;       /* one line shown at the bottom at start, or NULL */
	struct savings_config *savings; /* projection settings (changed live), or NULL */
	bool demo_key;          /* d ends ui_run() with UI_DEMO_REQUESTED (local mode
	                         * with nothing to measure: the demo one key away) */
};

#define UI_DEMO_REQUESTED 250   /* ui_run()'s status after d, with demo_key */

/* Returns the process exit status: 0 after q; 128+signal after SIGTERM (143),
 * SIGHUP (129) or SIGINT (130); 129 too when the terminal went away (EOF or
 * EIO on stdin, as when an SSH session is killed); 1 when stdin/stdout is not
 * a terminal, or a terminal curses cannot drive (a message is printed on
 * stderr).  The terminal is restored in every case. */
int ui_run(struct model *m, struct source_set *sources, const struct ui_options *opt);

#endif
