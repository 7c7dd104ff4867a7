/* widgets.c - clipped text, box, sparkline, bar, table row; see widgets.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/widgets.h"

/* Longest text one call draws, in bytes (a 300-column line of 4-byte
 * characters fits). */
#define WIDGET_TEXT_MAX 1280

static const char *const spark_utf8[9] = {
	" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"
};
/* On one row the ramp climbs through eight shapes; on taller sparklines the
 * rows below the top are full, drawn as '#', and the top row stops at '#'
 * too so that a column reads as one bar. */
static const char spark_ascii[9] = { ' ', '_', '.', '-', '=', '+', '*', '#', '@' };

/* The narrowest range a sparkline is scaled over, as a fraction of the
 * largest value it shows. */
#define SPARK_MIN_SPAN 0.25

static const char *const bar_partial[8] = {
	"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"
};

void widget_clear(WINDOW *w, attr_t bg)
{
	wbkgdset(w, (chtype)' ' | bg);
	werase(w);
}

/* Copies into out (NUL-terminated) the part of s that fits in maxw columns,
 * with anything the terminal should not get replaced by '?'.  Returns the
 * columns taken; *consumed_all says whether all of s fit. */
static int clip(const struct term *t, const char *s, int maxw, char *out, size_t outn,
                bool *consumed_all)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;
	int cols = 0;
	mbstate_t st;
	memset(&st, 0, sizeof st);

	while (*p) {
		const char *src = (const char *)p;
		size_t len = 1;
		int w = 1;
		bool bad = false;
		if (*p < 0x20 || *p == 0x7F) {
			bad = true;
		} else if (*p >= 0x80) {
			if (!t->utf8) {
				bad = true;
			} else {
				wchar_t wc;
				size_t r = mbrtowc(&wc, src, MB_CUR_MAX, &st);
				if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
					memset(&st, 0, sizeof st);
					bad = true;
				} else {
					int cw = wcwidth(wc);
					if (cw < 0)
						bad = true;
					else {
						len = r;
						w = cw;
					}
				}
			}
		}
		if (bad) {
			src = "?";
			len = 1;
			w = 1;
		}
		if (cols + w > maxw || o + len >= outn)
			break;
		memcpy(out + o, src, len);
		o += len;
		cols += w;
		p += bad ? 1 : len;
	}
	out[o] = '\0';
	if (consumed_all)
		*consumed_all = *p == '\0';
	return cols;
}

int widget_width(const struct term *t, const char *s)
{
	char buf[WIDGET_TEXT_MAX];
	return clip(t, s, 1 << 20, buf, sizeof buf, NULL);
}

/* Columns from x to the right edge of the window, or -1 when (y, x) is
 * outside it. */
static int room(WINDOW *w, int y, int x)
{
	int my, mx;
	getmaxyx(w, my, mx);
	if (y < 0 || y >= my || x < 0 || x >= mx)
		return -1;
	return mx - x;
}

int widget_text(const struct term *t, WINDOW *w, int y, int x, int maxw, attr_t a, const char *s)
{
	int r = room(w, y, x);
	if (r <= 0)
		return 0;
	if (maxw < 0 || maxw > r)
		maxw = r;
	if (maxw == 0)
		return 0;
	char buf[WIDGET_TEXT_MAX];
	int cols = clip(t, s, maxw, buf, sizeof buf, NULL);
	if (cols > 0) {
		wattrset(w, a);
		mvwaddnstr(w, y, x, buf, -1);
		wattrset(w, A_NORMAL);
	}
	return cols;
}

int widget_text_in(const struct term *t, WINDOW *w, int y, int x, int width,
                   enum widget_align align, bool ellipsis, attr_t a, const char *s)
{
	if (width <= 0)
		return x;
	char buf[WIDGET_TEXT_MAX];
	bool all;
	int cols = clip(t, s, width, buf, sizeof buf, &all);
	if (!all && ellipsis) {
		const char *dots = t->utf8 ? "\u2026" : ".";
		cols = clip(t, s, width - 1, buf, sizeof buf - 4, NULL);
		strcat(buf, dots);
		cols++;
	}
	int off = align == WIDGET_RIGHT ? width - cols : align == WIDGET_CENTER ? (width - cols) / 2 : 0;
	/* buf is already clean and cut: widget_text only adds the edge check */
	widget_text(t, w, y, x + off, cols, a, buf);
	return x + off + cols;
}

void widget_fill(WINDOW *w, int y, int x, int width, attr_t a)
{
	int r = room(w, y, x);
	if (r <= 0 || width <= 0)
		return;
	if (width > r)
		width = r;
	wattrset(w, a);
	mvwhline(w, y, x, ' ', width);
	wattrset(w, A_NORMAL);
}

/* Draws `count` copies of the UTF-8 string `cell` (one column each). */
static void repeat(const struct term *t, WINDOW *w, int y, int x, int count, attr_t a, const char *cell)
{
	char buf[WIDGET_TEXT_MAX];
	size_t len = strlen(cell), o = 0;
	int r = room(w, y, x);
	if (r <= 0)
		return;
	if (count > r)
		count = r;
	for (int i = 0; i < count && o + len < sizeof buf; i++, o += len)
		memcpy(buf + o, cell, len);
	buf[o] = '\0';
	widget_text(t, w, y, x, count, a, buf);
}

void widget_hline(const struct term *t, WINDOW *w, int y, int x, int width, attr_t a)
{
	if (width <= 0 || room(w, y, x) <= 0)
		return;
	if (t->lines == TERM_LINES_ACS) {
		int r = room(w, y, x);
		wattrset(w, a);
		mvwhline(w, y, x, ACS_HLINE, width < r ? width : r);
		wattrset(w, A_NORMAL);
	} else {
		repeat(t, w, y, x, width, a, t->lines == TERM_LINES_UTF8 ? "\u2500" : "-");
	}
}

void widget_box(const struct term *t, WINDOW *w, attr_t border,
                const char *title, attr_t title_attr, const char *right, attr_t right_attr)
{
	int h, wd;
	getmaxyx(w, h, wd);
	if (h < 2 || wd < 2)
		return;
	if (t->lines == TERM_LINES_ACS) {
		wattrset(w, border);
		box(w, 0, 0);
		wattrset(w, A_NORMAL);
	} else {
		bool u = t->lines == TERM_LINES_UTF8;
		/* rounded corners: lighter than square ones, same width */
		const char *tl = u ? "\u256d" : "+", *tr = u ? "\u256e" : "+";
		const char *bl = u ? "\u2570" : "+", *br = u ? "\u256f" : "+";
		const char *v = u ? "\u2502" : "|";
		widget_text(t, w, 0, 0, 1, border, tl);
		widget_hline(t, w, 0, 1, wd - 2, border);
		widget_text(t, w, 0, wd - 1, 1, border, tr);
		for (int y = 1; y < h - 1; y++) {
			widget_text(t, w, y, 0, 1, border, v);
			widget_text(t, w, y, wd - 1, 1, border, v);
		}
		widget_text(t, w, h - 1, 0, 1, border, bl);
		widget_hline(t, w, h - 1, 1, wd - 2, border);
		widget_text(t, w, h - 1, wd - 1, 1, border, br);
	}

	/* "╭ title ───── right ╮": each label padded by one blank either side */
	int rw = 0;
	if (right && *right && wd >= 8) {
		rw = widget_width(t, right) + 2;
		if (rw > (wd - 4) / 2)
			rw = (wd - 4) / 2;
		int rx = wd - 2 - rw;
		widget_fill(w, 0, rx, rw, right_attr);
		widget_text_in(t, w, 0, rx + 1, rw - 2, WIDGET_LEFT, true, right_attr, right);
	}
	if (title && *title && wd >= 6) {
		int avail = wd - 4 - (rw ? rw + 1 : 0);
		int tw = widget_width(t, title);
		if (tw > avail - 2)
			tw = avail - 2;
		if (tw > 0) {
			widget_fill(w, 0, 2, tw + 2, title_attr);
			widget_text_in(t, w, 0, 3, tw, WIDGET_LEFT, true, title_attr, title);
		}
	}
}

void spark_range(const float *pts, size_t n, double *lo, double *hi)
{
	double mn = INFINITY, mx = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(pts[i]))
			continue;
		if (pts[i] < mn)
			mn = pts[i];
		if (pts[i] > mx)
			mx = pts[i];
	}
	if (!isfinite(mn)) {
		*lo = 0;
		*hi = 1;
		return;
	}
	/* The range shown, but never narrower than SPARK_MIN_SPAN of the
	 * value itself: a steady line with 1% of noise stays a steady line
	 * near the top (instead of noise blown up to full height, which reads
	 * as alarm and costs bytes on every frame), while a real dip still
	 * plunges. */
	double mag = fabs(mx) > fabs(mn) ? fabs(mx) : fabs(mn);
	double min_span = SPARK_MIN_SPAN * mag;
	if (mx - mn < min_span) {
		mn = mx - min_span;
		if (mn < 0 && mx >= 0 && mx - min_span < 0)
			mn = 0;
	}
	if (mx <= mn)
		mx = mn + 1;
	*lo = mn;
	*hi = mx;
}

int spark_level(double v, double lo, double hi, int height)
{
	if (!isfinite(v) || height <= 0)
		return 0;
	int top = 8 * height;
	double f = hi > lo ? (v - lo) / (hi - lo) : 1.0;
	if (!(f > 0))
		f = 0;
	if (f > 1)
		f = 1;
	int lev = (int)lround(f * top);
	return lev < 1 ? 1 : lev;
}

void widget_spark(const struct term *t, WINDOW *w, int y, int x, int width, int height,
                  const float *pts, size_t n, double lo, double hi, attr_t a)
{
	if (width <= 0 || height <= 0)
		return;
	int r = room(w, y, x);
	if (r <= 0)
		return;
	if (width > r)
		width = r;
	/* the newest point sits in the rightmost column */
	size_t first = n > (size_t)width ? n - (size_t)width : 0;
	int pad = n < (size_t)width ? width - (int)n : 0;

	for (int row = 0; row < height; row++) {
		int base = 8 * (height - 1 - row);     /* levels below this row */
		char buf[WIDGET_TEXT_MAX];
		size_t o = 0;
		for (int c = 0; c < width && o + 4 < sizeof buf; c++) {
			int lev = c < pad ? 0 : spark_level(pts[first + (size_t)(c - pad)], lo, hi, height);
			int cell = lev - base;
			cell = cell < 0 ? 0 : cell > 8 ? 8 : cell;
			if (t->utf8) {
				size_t len = strlen(spark_utf8[cell]);
				memcpy(buf + o, spark_utf8[cell], len);
				o += len;
			} else {
				char ch = spark_ascii[cell];
				if (height > 1 && cell == 8)
					ch = '#';
				buf[o++] = ch;
			}
		}
		buf[o] = '\0';
		widget_text(t, w, y + row, x, width, a, buf);
	}
}

void widget_bar(const struct term *t, WINDOW *w, int y, int x, int width, double frac,
                attr_t fill, attr_t track)
{
	if (width <= 0 || room(w, y, x) <= 0)
		return;
	if (!isfinite(frac) || frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	char buf[WIDGET_TEXT_MAX];
	size_t o = 0;
	int cols = 0;
	if (t->utf8) {
		int eighths = (int)lround(frac * width * 8);
		for (; cols < eighths / 8 && o + 4 < sizeof buf; cols++, o += 3)
			memcpy(buf + o, "\u2588", 3);
		if (eighths % 8 && cols < width) {
			memcpy(buf + o, bar_partial[eighths % 8], 3);
			o += 3;
			cols++;
		}
	} else {
		int full = (int)lround(frac * width);
		for (; cols < full && o + 1 < sizeof buf; cols++)
			buf[o++] = '#';
	}
	buf[o] = '\0';
	int drawn = widget_text(t, w, y, x, cols, fill, buf);
	if (width > drawn)
		repeat(t, w, y, x + drawn, width - drawn, track, t->utf8 ? "\u00b7" : ".");
}

int widget_row(const struct term *t, WINDOW *w, int y, int x, int width, int gap,
               const struct widget_cell *cells, int ncells)
{
	int end = x + width, cx = x;
	for (int i = 0; i < ncells && cx < end; i++) {
		int cw = cells[i].width;
		if (cx + cw > end)
			cw = end - cx;
		if (cells[i].text)
			widget_text_in(t, w, y, cx, cw, cells[i].align, true, cells[i].attr, cells[i].text);
		cx += cw + gap;
	}
	return cx - gap > x ? cx - gap : x;
}
