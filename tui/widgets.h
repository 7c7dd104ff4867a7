/*
 * widgets.h - drawing pieces that know nothing about fleets: clipped text,
 * box, sparkline, horizontal bar, one row of a key/value table.
 *
 * Every widget draws into a curses window at window coordinates and never
 * past the window's edge (text is cut, not wrapped).  Text is UTF-8; on an
 * ASCII-only terminal (see term.h) every non-ASCII byte becomes '?', and
 * every control character becomes '?' everywhere, so no widget can send a
 * terminal a byte it should not get.  Widgets own nothing: the windows and
 * the data belong to the caller.
 */
#ifndef PERWATT_WIDGETS_H
#define PERWATT_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/term.h"

enum widget_align { WIDGET_LEFT = 0, WIDGET_RIGHT, WIDGET_CENTER };

/* Clears a window to the background `bg` (e.g. term_attr(t, THEME_NORMAL)). */
void widget_clear(WINDOW *w, attr_t bg);

/* Columns `s` takes on this terminal (as widget_text would draw it whole). */
int widget_width(const struct term *t, const char *s);

/* Draws at most `maxw` columns of `s` at (y, x), never past the window's
 * right edge (maxw < 0: up to the edge).  Returns the columns drawn. */
int widget_text(const struct term *t, WINDOW *w, int y, int x, int maxw, attr_t a, const char *s);

/* Draws `s` aligned in `width` columns starting at x; when it does not fit
 * it is cut and, with `ellipsis`, ends in "…" ("." on ASCII terminals).
 * Returns the column just after the drawn text. */
int widget_text_in(const struct term *t, WINDOW *w, int y, int x, int width,
                   enum widget_align align, bool ellipsis, attr_t a, const char *s);

/* Blanks `width` columns at (y, x) with attribute a. */
void widget_fill(WINDOW *w, int y, int x, int width, attr_t a);

/* A frame around the whole window, with `title` on the top edge at the left
 * and `right` (may be NULL) at the right; both are cut to fit. */
void widget_box(const struct term *t, WINDOW *w, attr_t border,
                const char *title, attr_t title_attr, const char *right, attr_t right_attr);

/* A horizontal line of `width` columns at (y, x). */
void widget_hline(const struct term *t, WINDOW *w, int y, int x, int width, attr_t a);

/* Sparkline maths, no curses: scale points to levels 0..8*height, 0 for a
 * gap (NAN) and at least 1 for any value, so that the lowest value is not
 * mistaken for a gap.  spark_range() gives the scale: the range of the
 * visible points, widened to at least a quarter of their magnitude (kept
 * above 0 for positive data) so that noise does not fill the height. */
void spark_range(const float *pts, size_t n, double *lo, double *hi);
int spark_level(double v, double lo, double hi, int height);

/* A sparkline `height` rows tall at (y, x): the last `width` of the n
 * points (oldest first), right-aligned, one column each, scaled lo..hi. */
void widget_spark(const struct term *t, WINDOW *w, int y, int x, int width, int height,
                  const float *pts, size_t n, double lo, double hi, attr_t a);

/* A horizontal bar: `frac` (0..1; NAN: empty) of `width` columns filled
 * with `fill`, the rest a dotted track in `track`. */
void widget_bar(const struct term *t, WINDOW *w, int y, int x, int width, double frac,
                attr_t fill, attr_t track);

/* One row of a table: cells side by side, each in its own width and
 * alignment, `gap` columns apart, cut at x + width.  A cell with a NULL text
 * is left blank.  Returns the column after the last cell drawn. */
struct widget_cell {
	const char *text;
	attr_t attr;
	int width;
	enum widget_align align;
};
int widget_row(const struct term *t, WINDOW *w, int y, int x, int width, int gap,
               const struct widget_cell *cells, int ncells);

#endif
