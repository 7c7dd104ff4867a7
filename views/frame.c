/* frame.c - header and footer bars; see frame.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/format.h"
#include "tui/widgets.h"
#include "views/frame.h"
#include "views/keys.h"

#define FOOTER_MIN_ROWS 4
#define FOOTER_RIGHT_MIN_COLS 40

struct layout_rect frame_body(int rows, int cols)
{
	int bottom = rows >= FOOTER_MIN_ROWS ? rows - 1 : rows;
	int h = bottom - 1;
	return (struct layout_rect){ 1, 0, h > 0 ? h : 0, h > 0 ? cols : 0 };
}

/* Pieces of the header, each kept only when there is room, in this order
 * of importance: the DEMO badge must survive any width. */
enum { H_DEMO, H_NAME, H_PAUSED, H_INTERVAL, H_CLOCK, H__COUNT };

static void header(struct frame *f, const struct term *t, const struct frame_info *fi,
                   int cols, bool full)
{
	char title[256], clock[16] = "", interval[24];
	fmt_sanitize(title, sizeof title, fi->title ? fi->title : "", t->utf8);
	time_t now = time(NULL);
	struct tm tm;
	if (localtime_r(&now, &tm))
		strftime(clock, sizeof clock, "%H:%M", &tm);
	snprintf(interval, sizeof interval, "refresh %gs", fi->interval);

	const char *text[H__COUNT] = { " DEMO ", " perwatt ", " PAUSED ", interval, clock };
	bool want[H__COUNT] = { fi->demo, true, fi->paused, true, clock[0] != '\0' };
	bool keep[H__COUNT] = { false };
	int used = 1;           /* the blank at the right end */
	for (int i = 0; i < H__COUNT; i++) {
		int w = widget_width(t, text[i]) + (i == H_NAME ? 0 : 1);
		if (want[i] && used + w <= cols) {
			keep[i] = true;
			used += w;
		}
	}
	int title_w = cols - used - 2;
	if (title_w < 8 || !title[0])
		title_w = 0;

	char sig[sizeof f->head_sig];
	snprintf(sig, sizeof sig, "%d|%d%d%d%d%d|%s|%s|%s|%d", cols, keep[0], keep[1], keep[2],
	         keep[3], keep[4], title_w ? title : "", interval, clock, title_w);
	if (!full && strcmp(sig, f->head_sig) == 0)
		return;
	snprintf(f->head_sig, sizeof f->head_sig, "%s", sig);

	WINDOW *w = f->head.w;
	widget_clear(w, term_attr(t, THEME_BAR));
	int x = 0;
	if (keep[H_NAME])
		x = widget_text(t, w, 0, 0, -1, term_attr(t, THEME_BAR_TITLE), text[H_NAME]);
	if (title_w)
		widget_text_in(t, w, 0, x + 1, title_w, WIDGET_LEFT, true, term_attr(t, THEME_BAR), title);

	/* right side, right to left: clock, interval, PAUSED, DEMO */
	static const enum theme_role role[H__COUNT] = {
		THEME_BADGE_DEMO, THEME_BAR_TITLE, THEME_BADGE_PAUSED, THEME_BAR, THEME_BAR
	};
	static const int order[] = { H_CLOCK, H_INTERVAL, H_PAUSED, H_DEMO };
	int rx = cols - 1;
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		int i = order[k];
		if (!keep[i])
			continue;
		int tw = widget_width(t, text[i]);
		rx -= tw;
		widget_text(t, w, 0, rx, tw, term_attr(t, role[i]), text[i]);
		rx -= 1;
	}
	wnoutrefresh(w);
}

static void footer(struct frame *f, const struct term *t, const struct frame_info *fi,
                   int cols, bool full)
{
	char right[160] = "", hint[256] = "";
	if (fi->right)
		fmt_sanitize(right, sizeof right, fi->right, t->utf8);
	if (fi->hint)
		fmt_sanitize(hint, sizeof hint, fi->hint, t->utf8);

	char sig[sizeof f->foot_sig];
	snprintf(sig, sizeof sig, "%d|%s|%s", cols, right, hint);
	if (!full && strcmp(sig, f->foot_sig) == 0)
		return;
	snprintf(f->foot_sig, sizeof f->foot_sig, "%s", sig);

	WINDOW *w = f->foot.w;
	attr_t bar = term_attr(t, THEME_BAR), key = term_attr(t, THEME_BAR_KEY);
	widget_clear(w, bar);

	/* on a narrow screen the key hints matter more than any status */
	int rw = right[0] && cols >= FOOTER_RIGHT_MIN_COLS ? widget_width(t, right) : 0;
	if (rw > cols / 2)
		rw = cols / 2;
	int left_end = rw ? cols - rw - 2 : cols;
	if (rw)
		widget_text_in(t, w, 0, cols - rw - 1, rw, WIDGET_RIGHT, true, bar, right);

	int x = 1;
	if (hint[0]) {
		/* the start-up hint takes the hints' place; "? help" stays */
		int hw = left_end - x - 8;
		if (hw > 0)
			x = widget_text_in(t, w, 0, x, hw, WIDGET_LEFT, true, bar, hint) + 2;
		if (x + 6 <= left_end) {
			x += widget_text(t, w, 0, x, 1, key, "?");
			widget_text(t, w, 0, x, 5, bar, " help");
		}
	} else {
		for (int i = 0; i < keys_nhints; i++) {
			const struct keys_hint *h = &keys_hints[i];
			int need = widget_width(t, h->keys) + 1 + widget_width(t, h->what);
			if (x + need > left_end)
				break;
			x += widget_text(t, w, 0, x, -1, key, h->keys);
			x += 1;
			x += widget_text(t, w, 0, x, -1, bar, h->what);
			x += 2;
		}
	}
	wnoutrefresh(w);
}

void frame_draw(struct frame *f, const struct term *t, const struct frame_info *fi,
                int rows, int cols, bool full)
{
	struct layout_rect hr = { 0, 0, rows >= 1 ? 1 : 0, cols };
	struct layout_rect fr = { rows - 1, 0, rows >= FOOTER_MIN_ROWS ? 1 : 0, cols };
	if (view_win_place(&f->head, &hr))
		f->head_sig[0] = '\0';
	if (view_win_place(&f->foot, &fr))
		f->foot_sig[0] = '\0';
	if (f->head.w)
		header(f, t, fi, cols, full || !f->head_sig[0]);
	if (f->foot.w)
		footer(f, t, fi, cols, full || !f->foot_sig[0]);
}

void frame_free(struct frame *f)
{
	view_win_free(&f->head);
	view_win_free(&f->foot);
}
