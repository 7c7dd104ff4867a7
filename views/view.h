/*
 * view.h - what a screen of perwatt is, and the table of them.
 *
 * A view draws the body of the screen (between the header bar and the
 * footer bar, which views/frame.c draws) from the model, into windows of
 * its own, and hands them to curses with wnoutrefresh(); views/ui.c sends
 * the frame with one doupdate().  A view never does I/O and never changes
 * the model.  An overlay view (help) is drawn on top of the last ordinary
 * one instead of replacing it.
 *
 * To add a screen (savings, instances...), write views/NAME.c with a
 * `const struct view_ops NAME_view` and add it to view_table in view.c: the
 * keys Tab and 1..9 and the help screen pick it up from there.
 *
 * Ownership: open() allocates the view's state, close() frees it and its
 * windows; both are called by ui.c, once each.
 */
#ifndef PERWATT_VIEW_H
#define PERWATT_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "core/savings.h"
#include "tui/term.h"
#include "views/layout.h"

/* What every view reads for one frame. */
struct view_ctx {
	const struct model *m;
	const struct term *t;
	double now;             /* time the figures are taken at (frozen while paused) */
	double window;          /* seconds the figures average over */
	bool full;              /* the whole screen is being repainted */
	int cols, rows;         /* screen size */
	struct layout_rect body;    /* between the header and the footer */
	const struct savings *sv;   /* the projection for this frame, or NULL */
	struct savings_config *cfg; /* its settings (the savings view's keys change them) */
};

struct view_ops {
	const char *name;       /* "overview": footer, help, status */
	bool overlay;
	void *(*open)(void);                                    /* NULL: out of memory */
	void (*close)(void *st);
	void (*draw)(void *st, const struct view_ctx *c);
	/* A key the view may use (scrolling...); true when it did. Optional. */
	bool (*key)(void *st, int key);
	/* One short line for the footer ("4 of 8 fleets shown"), or 0. Optional. */
	size_t (*status)(void *st, char *buf, size_t n);
};

extern const struct view_ops *const view_table[];
extern const int view_count;

/* A window that follows a rectangle: created, moved or resized as the
 * rectangle changes, deleted when it has no area. */
struct view_win {
	WINDOW *w;
	struct layout_rect r;
};

/* The singular of a plural unit, for "J/inference": "inferences" ->
 * "inference", "queries" -> "query"; NULL or "" -> "unit". */
void view_unit_one(char *buf, size_t n, const char *plural);

/* Returns true when the window was (re)created (its content is gone). */
bool view_win_place(struct view_win *vw, const struct layout_rect *r);
void view_win_free(struct view_win *vw);

#endif
