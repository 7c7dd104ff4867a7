/*
 * term.h - the terminal: setup and teardown, colours from a theme, what the
 * terminal can show (UTF-8 or ASCII only), resize, suspend and resume.
 *
 * There is one terminal per process (curses has one screen), so there is one
 * struct term, owned by whoever calls term_open() (views/ui.c) and released
 * by term_close().  Everything else only reads it: the widgets ask it whether
 * they may draw UTF-8, the views ask it for the attribute of a theme role.
 *
 * The ASCII promise: when the locale is not UTF-8 or ASCII is forced, no
 * byte >= 0x80 reaches the terminal.  Text goes through widget_text(), which
 * replaces non-ASCII bytes, and lines are drawn with the terminal's
 * alternate character set only when its terminfo description is pure ASCII.
 */
#ifndef PERWATT_TERM_H
#define PERWATT_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

#include "themes/theme.h"

enum term_lines {
	TERM_LINES_UTF8 = 0,    /* Unicode box drawing: ─ │ ╭ ╮ ╰ ╯ */
	TERM_LINES_ACS,         /* the terminal's alternate character set */
	TERM_LINES_ASCII,       /* + - | */
};

struct term_options {
	bool ascii;             /* never send non-ASCII bytes, whatever the locale */
	bool no_color;          /* attributes only (NO_COLOR is checked as well) */
	int theme;              /* index from theme_find(); out of range: default */
};

struct term {
	bool open;
	bool utf8;              /* may draw UTF-8 (locale is UTF-8, ASCII not forced) */
	enum term_lines lines;
	int depth;              /* colours in use: 256, 16, 8, or 0 (attributes only) */
	int theme;              /* index into theme_table */
	bool default_colors;    /* the terminal's own colours can be asked for (-1) */
	attr_t attr[THEME_ROLE__COUNT];
	SCREEN *screen;
};

/* Whether the current locale (setlocale(LC_ALL, "") done) is UTF-8. */
bool term_locale_utf8(void);

/* Takes over the terminal on stdin/stdout (alternate screen, cbreak, no
 * echo, keypad, hidden cursor, non-blocking input).  Returns 0, or -1 with
 * a message in err when stdin/stdout is not a terminal or curses fails;
 * the terminal is then left as it was. */
int term_open(struct term *t, const struct term_options *o, char *err, size_t errlen);

/* Gives the terminal back (normal screen, cursor, modes).  Safe to call
 * twice and on a term that never opened. */
void term_close(struct term *t);

/* Switches the theme (index into theme_table); callers redraw everything. */
void term_set_theme(struct term *t, int theme);

/* The curses attribute (colour pair and flags) for a theme role. */
static inline attr_t term_attr(const struct term *t, enum theme_role r)
{
	return t->attr[r];
}

/* Re-reads the window size from the tty and resizes curses to it.
 * Returns true when the size changed. */
bool term_resize(struct term *t);

/* Ctrl-Z: give the terminal back before stopping, take it again after. */
void term_suspend(struct term *t);
void term_resume(struct term *t);

/* A frame: begin (with `full`, the whole screen is repainted on the next
 * update: after a resize, a resume or a theme change), then the views
 * wnoutrefresh() their windows, then end sends the difference in one
 * doupdate(). */
void term_frame_begin(struct term *t, bool full);
void term_frame_end(struct term *t);

#endif
