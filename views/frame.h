/*
 * frame.h - the header and footer bars around every view.
 *
 * Header: "perwatt", the dashboard's title, a DEMO badge whenever any figure
 * is simulated, PAUSED, the refresh interval and the time (hours and
 * minutes: a clock with seconds would cost bytes every second for nothing).
 * Footer: the key hints (or the start-up hint), and on the right a short
 * message or the view's status.
 *
 * A bar is redrawn only when its text changed, or when the whole screen is.
 * Ownership: struct frame belongs to ui.c; frame_free() deletes its windows.
 */
#ifndef PERWATT_FRAME_H
#define PERWATT_FRAME_H

#include <stdbool.h>

#include "tui/term.h"
#include "views/view.h"

struct frame_info {
	const char *title;      /* remote text allowed: sanitized here; may be NULL */
	bool demo, paused;
	double interval;        /* seconds */
	const char *hint;       /* replaces the key hints while set, or NULL */
	const char *right;      /* footer, right side, or NULL */
};

struct frame {
	struct view_win head, foot;
	char head_sig[512], foot_sig[512];
};

/* Draws (or leaves alone, when nothing changed) both bars for a screen of
 * rows x cols: the header on row 0, the footer on the last row when there
 * are at least 4 rows. */
void frame_draw(struct frame *f, const struct term *t, const struct frame_info *fi,
                int rows, int cols, bool full);
void frame_free(struct frame *f);

/* The rows between the bars, for the views. */
struct layout_rect frame_body(int rows, int cols);

#endif
