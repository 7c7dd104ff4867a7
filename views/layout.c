/* layout.c - overview geometry, pure arithmetic; see layout.h. */
#include "config.h"

#include <string.h>

#include "views/layout.h"

/* Columns of the fixed parts of a wide row: label, value, blank, the unit,
 * two blanks, value, " per instance". */
#define WIDE_FIXED (11 + 7 + 1 + 2 + 7 + 13)

/* Which rows a panel keeps when it is short of height, most wanted first. */
static const enum layout_row prio_narrow[] = {
	LAYOUT_ROW_THR, LAYOUT_ROW_PWR, LAYOUT_ROW_COST_M, LAYOUT_ROW_ENERGY, LAYOUT_ROW_TYPE, LAYOUT_ROW_COST_H,
	LAYOUT_ROW_THR_SPARK, LAYOUT_ROW_PWR_SPARK, LAYOUT_ROW_HEALTH, LAYOUT_ROW_THR_PI, LAYOUT_ROW_PWR_PI,
	LAYOUT_ROW_ERROR, LAYOUT_ROW_UTIL,
};
static const enum layout_row prio_wide[] = {
	LAYOUT_ROW_THR, LAYOUT_ROW_PWR, LAYOUT_ROW_COST_M, LAYOUT_ROW_ENERGY, LAYOUT_ROW_TYPE,
	LAYOUT_ROW_THR_SPARK, LAYOUT_ROW_PWR_SPARK, LAYOUT_ROW_HEALTH, LAYOUT_ROW_ERROR, LAYOUT_ROW_UTIL,
};

/* Blank rows that separate groups, most wanted first: each sits just
 * before the first shown row of its group. */
struct gap { enum layout_row first, last; };
static const struct gap gaps[] = {
	{ LAYOUT_ROW_PWR, LAYOUT_ROW_PWR_SPARK },
	{ LAYOUT_ROW_ENERGY, LAYOUT_ROW_UTIL },
	{ LAYOUT_ROW_HEALTH, LAYOUT_ROW_ERROR },
	{ LAYOUT_ROW_THR, LAYOUT_ROW_THR_SPARK },
};
#define NGAPS ((int)(sizeof gaps / sizeof gaps[0]))

static bool is_spark(int r)
{
	return r == LAYOUT_ROW_THR_SPARK || r == LAYOUT_ROW_PWR_SPARK;
}

void layout_plan_panel(struct layout_panel_plan *p, int w, int h, int unit_len)
{
	int inner = h - 2, content_w = w - 4;
	bool show[LAYOUT_ROW__COUNT] = { false };
	bool gap_before[LAYOUT_ROW__COUNT] = { false };
	int used = 0;

	memset(p, 0, sizeof *p);
	p->wide = content_w >= WIDE_FIXED + unit_len;
	const enum layout_row *prio = p->wide ? prio_wide : prio_narrow;
	size_t nprio = p->wide ? sizeof prio_wide / sizeof prio_wide[0]
	                       : sizeof prio_narrow / sizeof prio_narrow[0];
	for (size_t i = 0; i < nprio && used < inner; i++) {
		show[prio[i]] = true;
		used++;
	}

	for (int g = 0; g < NGAPS && used < inner; g++) {
		int first = -1;
		bool before = false;
		for (int r = gaps[g].first; r <= (int)gaps[g].last && first < 0; r++)
			if (show[r])
				first = r;
		for (int r = 0; first >= 0 && r < first; r++)
			before |= show[r];
		if (first >= 0 && before) {
			gap_before[first] = true;
			used++;
		}
	}

	int nspark = show[LAYOUT_ROW_THR_SPARK] + show[LAYOUT_ROW_PWR_SPARK];
	p->spark_h = nspark ? 1 : 0;
	while (nspark && p->spark_h < LAYOUT_SPARK_MAX_H && used + nspark <= inner) {
		p->spark_h++;
		used += nspark;
	}

	int y = 1;
	for (int r = 0; r < LAYOUT_ROW__COUNT; r++) {
		p->row[r] = -1;
		if (gap_before[r])
			y++;
		if (show[r]) {
			p->row[r] = y;
			y += is_spark(r) ? p->spark_h : 1;
		}
	}
	p->rows_used = y - 1;
}

int layout_panel_full_height(int w, int unit_len)
{
	struct layout_panel_plan p;
	layout_plan_panel(&p, w, 1000, unit_len);
	return p.rows_used + 2;
}

static struct layout_rect rect(int y, int x, int h, int w)
{
	return (struct layout_rect){ y, x, h, w };
}

static void compact(struct layout *L, const struct layout_in *in)
{
	L->mode = LAYOUT_COMPACT;
	L->header = rect(0, 0, 1, in->cols);
	int top = 1, bottom = in->rows;
	if (in->rows >= 4) {
		L->footer = rect(in->rows - 1, 0, 1, in->cols);
		bottom--;
	}
	int lines = bottom - top;
	if (lines < 0)
		lines = 0;
	L->body = rect(top, 0, lines, lines ? in->cols : 0);
	int n = in->nfleets < 0 ? 0 : in->nfleets;
	if (n <= lines) {
		L->compact_lines = n;
	} else {
		/* the last line says how many more there are */
		L->compact_lines = lines > 1 ? lines - 1 : 0;
		L->hidden = n - L->compact_lines;
	}
}

void layout_compute(struct layout *L, const struct layout_in *in)
{
	memset(L, 0, sizeof *L);
	L->cols = in->cols;
	L->rows = in->rows;
	int total = in->nfleets < 0 ? 0 : in->nfleets;
	int n = total < LAYOUT_MAX_PANELS ? total : LAYOUT_MAX_PANELS;

	if (in->cols < LAYOUT_COMPACT_MIN_W || in->rows < 1) {
		L->mode = LAYOUT_TINY;
		L->hidden = total;
		return;
	}

	bool note = in->note && in->rows >= 16;
	int top = note ? 2 : 1;
	int body_h = in->rows - top - 1;
	int columns = in->cols / LAYOUT_COL_WIDTH;
	columns = columns < 1 ? 1 : columns > LAYOUT_MAX_COLUMNS ? LAYOUT_MAX_COLUMNS : columns;
	if (n > 0 && columns > n)
		columns = n;
	int col_w = in->cols / columns;
	if (n == 0 || col_w < LAYOUT_PANEL_MIN_W || body_h < LAYOUT_PANEL_MIN_H) {
		compact(L, in);
		return;
	}

	/* Most panels first; then the comparison strip, whole if it fits, else
	 * with one candidate, else not at all. */
	int max_grid = (n + columns - 1) / columns;
	int cmp_full = n >= 2 ? 3 + (n - 1) : 0;
	int cmp_min = n >= 2 ? LAYOUT_COMPARE_MIN_H : 0;
	int grid = 0, cmp = 0;
	for (int g = max_grid; g >= 1 && !grid; g--) {
		int room = body_h - g * LAYOUT_PANEL_MIN_H;
		if (room < 0)
			continue;
		grid = g;
		cmp = room >= cmp_full ? cmp_full : room >= cmp_min ? cmp_min : 0;
	}
	/* body_h >= LAYOUT_PANEL_MIN_H, so g == 1 always fits */

	L->mode = LAYOUT_PANELS;
	L->header = rect(0, 0, 1, in->cols);
	if (note)
		L->note = rect(1, 0, 1, in->cols);
	L->footer = rect(in->rows - 1, 0, 1, in->cols);
	L->columns = columns;
	L->grid_rows = grid;
	L->shown = grid * columns < n ? grid * columns : n;
	L->hidden = total - L->shown;

	int ph = (body_h - cmp) / grid;
	int full = layout_panel_full_height(col_w, in->unit_len);
	if (ph > full)
		ph = full;
	for (int i = 0; i < L->shown; i++) {
		int gr = i / columns, gc = i % columns;
		int x = 0;
		for (int c = 0; c < gc; c++)
			x += in->cols / columns + (c < in->cols % columns);
		int w = in->cols / columns + (gc < in->cols % columns);
		L->panel[i] = rect(top + gr * ph, x, ph, w);
	}
	layout_plan_panel(&L->plan, col_w, ph, in->unit_len);
	/* rows the panels left over go to the strip, up to all candidates */
	int spare = body_h - grid * ph;
	if (cmp && spare > cmp)
		cmp = spare < cmp_full ? spare : cmp_full;
	if (cmp) {
		L->compare = rect(top + grid * ph, 0, cmp, in->cols);
		L->compare_rows = cmp - 3;
	}
}
