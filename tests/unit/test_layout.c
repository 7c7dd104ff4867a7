/* test_layout.c - the overview geometry over a matrix of terminal sizes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "views/layout.h"

static const int cols_list[] = { 1, 8, 11, 12, 15, 20, 23, 24, 30, 33, 34, 40, 50, 59, 60, 67, 68,
                                 79, 80, 81, 100, 101, 119, 120, 135, 136, 160, 200, 240, 299, 300 };
static const int rows_list[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 16, 20, 23, 24, 25, 30,
                                 35, 40, 41, 50, 60, 75, 99, 100 };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool inside(const struct layout_rect *r, int cols, int rows)
{
	return r->h == 0 || (r->y >= 0 && r->x >= 0 && r->h > 0 && r->w > 0 &&
	                     r->y + r->h <= rows && r->x + r->w <= cols);
}

static bool overlap(const struct layout_rect *a, const struct layout_rect *b)
{
	if (a->h == 0 || b->h == 0)
		return false;
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Every rectangle the layout hands out, for the pairwise checks. */
static int rects(const struct layout *L, struct layout_rect *out)
{
	int n = 0;
	out[n++] = L->header;
	out[n++] = L->note;
	out[n++] = L->footer;
	out[n++] = L->compare;
	out[n++] = L->body;
	for (int i = 0; i < L->shown; i++)
		out[n++] = L->panel[i];
	return n;
}

/* A panel plan: rows inside the frame, in order, not overlapping, the two
 * essential rows always there. */
static void check_plan(const struct layout_panel_plan *p, int h, const char *where)
{
	int inner_last = h - 2, next_free = 1;
	for (int r = 0; r < LAYOUT_ROW__COUNT; r++) {
		if (p->row[r] < 0)
			continue;
		int rh = (r == LAYOUT_ROW_THR_SPARK || r == LAYOUT_ROW_PWR_SPARK) ? p->spark_h : 1;
		if (p->row[r] < next_free || p->row[r] + rh - 1 > inner_last)
			fail_msg("%s: row %d at %d (+%d) outside 1..%d or overlapping", where, r, p->row[r], rh,
			         inner_last);
		next_free = p->row[r] + rh;
	}
	if (p->row[LAYOUT_ROW_THR] < 0 || p->row[LAYOUT_ROW_PWR] < 0)
		fail_msg("%s: throughput or power row missing", where);
	if (p->rows_used > h - 2)
		fail_msg("%s: %d rows used in %d", where, p->rows_used, h - 2);
	if (p->spark_h < 0 || p->spark_h > LAYOUT_SPARK_MAX_H)
		fail_msg("%s: spark_h %d", where, p->spark_h);
	if (p->wide && (p->row[LAYOUT_ROW_THR_PI] >= 0 || p->row[LAYOUT_ROW_PWR_PI] >= 0 || p->row[LAYOUT_ROW_COST_H] >= 0))
		fail_msg("%s: a wide panel shows a narrow-only row", where);
}

static void check_one(int cols, int rows, int n, int unit_len, bool note)
{
	char where[96];
	snprintf(where, sizeof where, "%dx%d, %d fleets, unit %d%s", cols, rows, n, unit_len,
	         note ? ", note" : "");
	struct layout L;
	struct layout_in in = { .cols = cols, .rows = rows, .nfleets = n, .unit_len = unit_len, .note = note };
	layout_compute(&L, &in);

	struct layout_rect all[8 + LAYOUT_MAX_PANELS];
	int nr = rects(&L, all);
	for (int i = 0; i < nr; i++) {
		if (!inside(&all[i], cols, rows))
			fail_msg("%s: rect %d (%d,%d %dx%d) outside the screen", where, i, all[i].y, all[i].x,
			         all[i].w, all[i].h);
		for (int j = i + 1; j < nr; j++)
			if (overlap(&all[i], &all[j]))
				fail_msg("%s: rects %d and %d overlap", where, i, j);
	}

	switch (L.mode) {
	case LAYOUT_TINY:
		if (cols >= LAYOUT_COMPACT_MIN_W && rows >= 1)
			fail_msg("%s: tiny although compact fits", where);
		break;
	case LAYOUT_COMPACT:
		if (L.compact_lines + L.hidden != n)
			fail_msg("%s: compact %d + hidden %d != %d", where, L.compact_lines, L.hidden, n);
		if (L.compact_lines > L.body.h)
			fail_msg("%s: %d lines in a body of %d", where, L.compact_lines, L.body.h);
		if (L.header.h != 1)
			fail_msg("%s: no header", where);
		if (L.hidden && L.compact_lines + 1 > L.body.h && L.body.h > 1)
			fail_msg("%s: no line left to say how many are hidden", where);
		break;
	case LAYOUT_PANELS:
		if (L.shown < 1 || L.shown + L.hidden != n)
			fail_msg("%s: shown %d hidden %d", where, L.shown, L.hidden);
		if (L.columns < 1 || L.columns > LAYOUT_MAX_COLUMNS || L.columns > n)
			fail_msg("%s: %d columns", where, L.columns);
		if (cols >= 2 * LAYOUT_COL_WIDTH && n >= 2 && L.columns < 2)
			fail_msg("%s: stacked although two columns fit", where);
		if (L.header.h != 1 || L.footer.h != 1 || L.footer.y != rows - 1)
			fail_msg("%s: header or footer missing", where);
		for (int i = 0; i < L.shown; i++) {
			if (L.panel[i].w < LAYOUT_PANEL_MIN_W || L.panel[i].h < LAYOUT_PANEL_MIN_H)
				fail_msg("%s: panel %d is %dx%d", where, i, L.panel[i].w, L.panel[i].h);
			check_plan(&L.plan, L.panel[i].h, where);
		}
		if (L.compare.h) {
			if (n < 2 || L.compare.h < LAYOUT_COMPARE_MIN_H || L.compare.w != cols)
				fail_msg("%s: compare strip %dx%d", where, L.compare.w, L.compare.h);
			if (L.compare_rows < 1 || L.compare_rows > n - 1 || L.compare_rows != L.compare.h - 3)
				fail_msg("%s: compare rows %d", where, L.compare_rows);
		}
		break;
	}
}

static void test_matrix(void **state)
{
	(void)state;
	for (size_t c = 0; c < N(cols_list); c++)
		for (size_t r = 0; r < N(rows_list); r++)
			for (int n = 0; n <= 8; n++) {
				check_one(cols_list[c], rows_list[r], n, 14, true);
				check_one(cols_list[c], rows_list[r], n, 8, false);
			}
	/* and more fleets than there are panels */
	check_one(300, 100, 40, 12, true);
	check_one(120, 40, 40, 12, true);
}

static void test_big_screen_two_fleets(void **state)
{
	(void)state;
	struct layout L;
	struct layout_in in = { .cols = 120, .rows = 40, .nfleets = 2, .unit_len = 14, .note = true };
	layout_compute(&L, &in);
	assert_int_equal(L.mode, LAYOUT_PANELS);
	assert_int_equal(L.columns, 2);
	assert_int_equal(L.shown, 2);
	assert_int_equal(L.hidden, 0);
	assert_int_equal(L.note.h, 1);
	assert_int_equal(L.panel[0].y, L.panel[1].y);      /* side by side */
	assert_int_equal(L.panel[0].w + L.panel[1].w, 120);
	assert_true(L.plan.wide);
	assert_true(L.plan.spark_h >= 4);
	for (int r = 0; r < LAYOUT_ROW__COUNT; r++)
		if (r != LAYOUT_ROW_THR_PI && r != LAYOUT_ROW_PWR_PI && r != LAYOUT_ROW_COST_H)
			assert_true(L.plan.row[r] > 0);
	assert_true(L.compare.h >= LAYOUT_COMPARE_MIN_H);
	assert_int_equal(L.compare_rows, 1);
	assert_int_equal(L.compare.y, L.panel[0].y + L.panel[0].h);
}

static void test_80x24(void **state)
{
	(void)state;
	struct layout L;
	struct layout_in in = { .cols = 80, .rows = 24, .nfleets = 2, .unit_len = 14, .note = true };
	layout_compute(&L, &in);
	assert_int_equal(L.mode, LAYOUT_PANELS);
	assert_int_equal(L.columns, 2);
	assert_int_equal(L.shown, 2);
	assert_false(L.plan.wide);
	/* everything a panel says still fits, sparklines included */
	for (int r = 0; r < LAYOUT_ROW__COUNT; r++)
		assert_true(L.plan.row[r] > 0);
	assert_true(L.compare.h >= LAYOUT_COMPARE_MIN_H);
	assert_int_equal(L.note.h, 1);
}

static void test_narrow_stacks(void **state)
{
	(void)state;
	struct layout L;
	struct layout_in in = { .cols = 50, .rows = 40, .nfleets = 2, .unit_len = 14, .note = false };
	layout_compute(&L, &in);
	assert_int_equal(L.mode, LAYOUT_PANELS);
	assert_int_equal(L.columns, 1);
	assert_int_equal(L.shown, 2);
	assert_int_equal(L.panel[0].x, L.panel[1].x);
	assert_true(L.panel[1].y >= L.panel[0].y + L.panel[0].h);
}

static void test_small_screens(void **state)
{
	(void)state;
	struct layout L;
	struct layout_in in = { .cols = 20, .rows = 6, .nfleets = 2, .unit_len = 14, .note = true };
	layout_compute(&L, &in);
	assert_int_equal(L.mode, LAYOUT_COMPACT);
	assert_int_equal(L.compact_lines, 2);
	assert_int_equal(L.hidden, 0);
	assert_int_equal(L.footer.h, 1);

	in.nfleets = 8;         /* four lines for eight fleets: three and "+5 more" */
	layout_compute(&L, &in);
	assert_int_equal(L.compact_lines, 3);
	assert_int_equal(L.hidden, 5);

	in.cols = 8;
	layout_compute(&L, &in);
	assert_int_equal(L.mode, LAYOUT_TINY);
}

static void test_many_fleets(void **state)
{
	(void)state;
	struct layout L;
	struct layout_in in = { .cols = 300, .rows = 100, .nfleets = 8, .unit_len = 14, .note = true };
	layout_compute(&L, &in);
	assert_int_equal(L.columns, 4);
	assert_int_equal(L.grid_rows, 2);
	assert_int_equal(L.shown, 8);
	assert_int_equal(L.compare_rows, 7);

	/* 80x24 cannot show eight panels with their essentials: it says so */
	in.cols = 80;
	in.rows = 16;
	layout_compute(&L, &in);
	assert_int_equal(L.mode, LAYOUT_PANELS);
	assert_true(L.hidden > 0);
	assert_int_equal(L.shown + L.hidden, 8);
}

static void test_plan_priorities(void **state)
{
	(void)state;
	struct layout_panel_plan p;
	/* the smallest panel keeps throughput and power */
	layout_plan_panel(&p, 40, LAYOUT_PANEL_MIN_H, 14);
	assert_true(p.row[LAYOUT_ROW_THR] > 0 && p.row[LAYOUT_ROW_PWR] > 0);
	assert_int_equal(p.row[LAYOUT_ROW_THR_SPARK], -1);
	assert_int_equal(p.rows_used, 2);

	/* its full height shows everything, sparklines at their tallest */
	int full = layout_panel_full_height(40, 14);
	layout_plan_panel(&p, 40, full, 14);
	assert_int_equal(p.spark_h, LAYOUT_SPARK_MAX_H);
	assert_int_equal(p.rows_used, full - 2);
	for (int r = 0; r < LAYOUT_ROW__COUNT; r++)
		assert_true(p.row[r] > 0);

	/* one row short: a sparkline row goes, nothing else */
	layout_plan_panel(&p, 40, full - 1, 14);
	for (int r = 0; r < LAYOUT_ROW__COUNT; r++)
		assert_true(p.row[r] > 0);

	/* a long unit keeps a panel narrow */
	layout_plan_panel(&p, 60, 30, 14);
	assert_true(p.wide);
	layout_plan_panel(&p, 60, 30, 30);
	assert_false(p.wide);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_big_screen_two_fleets),
		cmocka_unit_test(test_80x24),
		cmocka_unit_test(test_narrow_stacks),
		cmocka_unit_test(test_small_screens),
		cmocka_unit_test(test_many_fleets),
		cmocka_unit_test(test_plan_priorities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
