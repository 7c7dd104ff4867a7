/* term.c - terminal setup, teardown and colours; see term.h. */
#include "config.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tui/term.h"

/* Short enough that Esc feels immediate, long enough for an escape
 * sequence to arrive whole over a slow SSH link. */
#define TERM_ESCDELAY_MS 25

bool term_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

/* The alternate character set is used in ASCII mode only when every byte
 * curses would send for it is ASCII: some descriptions (the Linux console's)
 * map line drawing onto high bytes of a code page. */
static bool acs_is_ascii(void)
{
	static const char *const caps[] = { "acsc", "smacs", "rmacs" };
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		const char *s = tigetstr(caps[i]);
		if (s == NULL || s == (char *)-1)
			return false;
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			if (*p >= 0x80)
				return false;
	}
	return true;
}

static int color_depth(const struct term_options *o)
{
	const char *nc = getenv("NO_COLOR");
	if (o->no_color || (nc && *nc) || !has_colors())
		return 0;
	if (start_color() != OK)
		return 0;
	/* one pair per role; a terminal with fewer pairs gets attributes only */
	if (COLOR_PAIRS <= THEME_ROLE__COUNT)
		return 0;
	if (COLORS >= 256)
		return 256;
	if (COLORS >= 16)
		return 16;
	if (COLORS >= 8)
		return 8;
	return 0;
}

static attr_t map_attr(unsigned a)
{
	attr_t r = A_NORMAL;
	if (a & THEME_A_BOLD)
		r |= A_BOLD;
	if (a & THEME_A_DIM)
		r |= A_DIM;
	if (a & THEME_A_REVERSE)
		r |= A_REVERSE;
	if (a & THEME_A_UNDERLINE)
		r |= A_UNDERLINE;
	return r;
}

static const struct theme_style *style_at(const struct theme_role_style *rs, int depth)
{
	return depth >= 256 ? &rs->c256 : depth >= 16 ? &rs->c16 : &rs->c8;
}

void term_set_theme(struct term *t, int theme)
{
	if (theme < 0 || theme >= theme_count)
		theme = 0;
	t->theme = theme;
	const struct theme *th = theme_get(theme);
	const struct theme_style *base = style_at(&th->role[THEME_NORMAL], t->depth);

	for (int r = 0; r < THEME_ROLE__COUNT; r++) {
		const struct theme_role_style *rs = &th->role[r];
		if (t->depth == 0) {
			t->attr[r] = map_attr(rs->mono);
			continue;
		}
		const struct theme_style *st = style_at(rs, t->depth);
		short fg = st->fg, bg = st->bg == THEME_DEFAULT ? base->bg : st->bg;
		if (!t->default_colors) {
			/* no "terminal's own colour": assume the classic white on black */
			if (fg == THEME_DEFAULT)
				fg = COLOR_WHITE;
			if (bg == THEME_DEFAULT)
				bg = COLOR_BLACK;
		}
		short pair = (short)(r + 1);
		if (init_pair(pair, fg, bg) == OK)
			t->attr[r] = COLOR_PAIR(pair) | map_attr(st->attr);
		else
			t->attr[r] = map_attr(rs->mono);
	}
}

int term_open(struct term *t, const struct term_options *o, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "not a terminal (use --once for output a script can read)");
		return -1;
	}
	bool locale_utf8 = term_locale_utf8();
	t->utf8 = !o->ascii && locale_utf8;

	/* newterm() rather than initscr(): it returns NULL on an unknown $TERM
	 * instead of exiting, so the caller can say what went wrong. */
	t->screen = newterm(NULL, stdout, stdin);
	if (!t->screen) {
		const char *tn = getenv("TERM");
		snprintf(err, errlen, "cannot use the terminal type '%s'", tn ? tn : "(unset)");
		return -1;
	}
	set_term(t->screen);
	t->open = true;

	/* a terminal that cannot place the cursor (TERM=dumb) would get a
	 * dashboard written as one long scrambled line */
	const char *cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1) {
		const char *tn = getenv("TERM");
		term_close(t);
		snprintf(err, errlen, "the terminal type '%s' cannot place the cursor "
		         "(use --once for plain output)", tn ? tn : "(unset)");
		return -1;
	}

	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(TERM_ESCDELAY_MS);

	t->depth = color_depth(o);
	if (t->depth)
		t->default_colors = use_default_colors() == OK;
	/* In a UTF-8 locale curses draws the alternate character set as
	 * Unicode, so forced ASCII there means plain + - | as well. */
	if (t->utf8)
		t->lines = TERM_LINES_UTF8;
	else if (!locale_utf8 && acs_is_ascii())
		t->lines = TERM_LINES_ACS;
	else
		t->lines = TERM_LINES_ASCII;
	term_set_theme(t, o->theme);
	return 0;
}

void term_close(struct term *t)
{
	if (!t->open)
		return;
	t->open = false;
	curs_set(1);
	endwin();
	delscreen(t->screen);
	t->screen = NULL;
}

bool term_resize(struct term *t)
{
	struct winsize ws;
	if (!t->open)
		return false;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return false;
	if (!is_term_resized(ws.ws_row, ws.ws_col))
		return false;
	resize_term(ws.ws_row, ws.ws_col);
	return true;
}

void term_suspend(struct term *t)
{
	if (!t->open)
		return;
	curs_set(1);
	endwin();
	fflush(stdout);
}

void term_resume(struct term *t)
{
	if (!t->open)
		return;
	/* the shell may have changed the modes while we were stopped */
	reset_prog_mode();
	curs_set(0);
	term_resize(t);
}

void term_frame_begin(struct term *t, bool full)
{
	if (!full)
		return;
	/* Repaint everything on the next update, starting from a blank screen
	 * in the theme's background.  Only for resizes, resumes and theme
	 * changes: in steady state curses sends nothing but differences. */
	clearok(curscr, TRUE);
	wbkgdset(stdscr, term_attr(t, THEME_NORMAL));
	werase(stdscr);
	wnoutrefresh(stdscr);
}

void term_frame_end(struct term *t)
{
	(void)t;
	doupdate();
}
