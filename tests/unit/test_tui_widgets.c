/* test_tui_widgets.c - widgets drawn into a real curses screen (written to
 * /dev/null) and read back cell by cell; sparkline maths; the theme table. */
#include "config.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "themes/theme.h"
#include "tui/widgets.h"

static SCREEN *screen;
static FILE *screen_out, *screen_in;
static bool have_utf8;

static int setup(void **state)
{
	(void)state;
	have_utf8 = setlocale(LC_ALL, "C.UTF-8") != NULL;
	screen_out = fopen("/dev/null", "w");
	screen_in = fopen("/dev/null", "r");
	if (screen_out && screen_in)
		screen = newterm("xterm-256color", screen_out, screen_in);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (screen) {
		endwin();
		delscreen(screen);
	}
	if (screen_out)
		fclose(screen_out);
	if (screen_in)
		fclose(screen_in);
	return 0;
}

static struct term fake_term(bool utf8, enum term_lines lines)
{
	struct term t;
	memset(&t, 0, sizeof t);
	t.utf8 = utf8;
	t.lines = lines;
	return t;
}

/* Row y of w as UTF-8 text, one character per cell. */
static void row_text(WINDOW *w, int y, char *out, size_t n)
{
	size_t o = 0;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	for (int x = 0; x < getmaxx(w) && o + MB_LEN_MAX + 1 < n; x++) {
		cchar_t cc;
		wchar_t wch[CCHARW_MAX + 1];
		attr_t a;
		short pair;
		if (mvwin_wch(w, y, x, &cc) == ERR || getcchar(&cc, wch, &a, &pair, NULL) == ERR) {
			out[o++] = '!';
			continue;
		}
		size_t k = wcrtomb(out + o, wch[0], &st);
		if (k == (size_t)-1)
			out[o++] = '!';
		else
			o += k;
	}
	out[o] = '\0';
}

#define NEED_SCREEN() do { if (!screen) skip(); } while (0)
#define NEED_UTF8() do { if (!screen || !have_utf8) skip(); } while (0)

static void test_text_clips_at_edge(void **state)
{
	(void)state;
	NEED_SCREEN();
	struct term t = fake_term(false, TERM_LINES_ASCII);
	WINDOW *w = newwin(3, 10, 0, 0);
	char row[128];
	assert_int_equal(widget_text(&t, w, 0, 5, -1, A_NORMAL, "abcdefghij"), 5);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "     abcde");
	row_text(w, 1, row, sizeof row);
	assert_string_equal(row, "          ");         /* no wrap onto the next row */
	assert_int_equal(widget_text(&t, w, 0, 0, 3, A_NORMAL, "xyzxyz"), 3);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "xyz  abcde");
	/* outside the window: nothing, and no crash */
	assert_int_equal(widget_text(&t, w, 3, 0, -1, A_NORMAL, "x"), 0);
	assert_int_equal(widget_text(&t, w, -1, 0, -1, A_NORMAL, "x"), 0);
	assert_int_equal(widget_text(&t, w, 0, 10, -1, A_NORMAL, "x"), 0);
	assert_int_equal(widget_text(&t, w, 0, -2, -1, A_NORMAL, "x"), 0);
	assert_int_equal(widget_text(&t, w, 2, 9, -1, A_NORMAL, "xy"), 1);  /* the last cell */
	delwin(w);
}

static void test_text_replaces_controls_and_high_bytes(void **state)
{
	(void)state;
	NEED_SCREEN();
	struct term t = fake_term(false, TERM_LINES_ASCII);
	WINDOW *w = newwin(1, 20, 0, 0);
	char row[128];
	widget_text(&t, w, 0, 0, -1, A_NORMAL, "a\x1b[2Jb\x7f\x9b" "c");
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "a?[2Jb??c           ");

	/* ASCII terminal: every byte of "µs→" becomes '?' */
	werase(w);
	assert_int_equal(widget_text(&t, w, 0, 0, -1, A_NORMAL, "\u00b5s\u2192!"), 7);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "?\?s?\?\?!             ");
	assert_int_equal(widget_width(&t, "\u00b5s"), 3);
	delwin(w);
}

static void test_text_utf8(void **state)
{
	(void)state;
	NEED_UTF8();
	struct term t = fake_term(true, TERM_LINES_UTF8);
	WINDOW *w = newwin(1, 8, 0, 0);
	char row[128];
	assert_int_equal(widget_width(&t, "\u00b5s\u2192"), 3);
	widget_text(&t, w, 0, 0, -1, A_NORMAL, "\u00b5s\u2192 \xff!");    /* invalid byte */
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "\u00b5s\u2192 ?!  ");
	delwin(w);
}

static void test_ellipsis_and_alignment(void **state)
{
	(void)state;
	NEED_SCREEN();
	struct term t = fake_term(false, TERM_LINES_ASCII);
	WINDOW *w = newwin(3, 12, 0, 0);
	char row[128];
	widget_text_in(&t, w, 0, 0, 6, WIDGET_LEFT, true, A_NORMAL, "inferentia");
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "infer.      ");
	widget_text_in(&t, w, 1, 0, 6, WIDGET_RIGHT, false, A_NORMAL, "abc");
	row_text(w, 1, row, sizeof row);
	assert_string_equal(row, "   abc      ");
	widget_text_in(&t, w, 2, 0, 7, WIDGET_CENTER, false, A_NORMAL, "abc");
	row_text(w, 2, row, sizeof row);
	assert_string_equal(row, "  abc       ");
	delwin(w);

	if (!have_utf8)
		return;
	t = fake_term(true, TERM_LINES_UTF8);
	w = newwin(1, 8, 0, 0);
	widget_text_in(&t, w, 0, 0, 6, WIDGET_LEFT, true, A_NORMAL, "inferentia");
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "infer\u2026  ");
	delwin(w);
}

static void test_spark_maths(void **state)
{
	(void)state;
	assert_int_equal(spark_level(NAN, 0, 10, 1), 0);
	assert_int_equal(spark_level(0, 0, 10, 1), 1);     /* a zero is not a gap */
	assert_int_equal(spark_level(5, 0, 10, 1), 4);
	assert_int_equal(spark_level(10, 0, 10, 1), 8);
	assert_int_equal(spark_level(99, 0, 10, 1), 8);
	assert_int_equal(spark_level(10, 0, 10, 3), 24);
	assert_int_equal(spark_level(3, 3, 3, 2), 16);     /* flat: full height */

	double lo, hi;
	const float none[] = { NAN, NAN };
	spark_range(none, 2, &lo, &hi);
	assert_true(lo == 0 && hi == 1);
	const float some[] = { 1, 2, NAN, 4 };
	spark_range(some, 4, &lo, &hi);
	assert_true(lo == 1 && hi == 4);            /* the range shown */
	const float neg[] = { -2, 3 };
	spark_range(neg, 2, &lo, &hi);
	assert_true(lo == -2 && hi == 3);
	const float zeros[] = { 0, 0 };
	spark_range(zeros, 2, &lo, &hi);
	assert_true(lo == 0 && hi == 1);
	const float steady[] = { 99, 100, 101, 100 };   /* noise stays small */
	spark_range(steady, 4, &lo, &hi);
	assert_true(hi == 101 && fabs(lo - 75.75) < 1e-9);
	assert_true(spark_level(99, lo, hi, 1) >= 7);
	const float ramp[] = { 0, 50, 100 };        /* a warm-up keeps its zero */
	spark_range(ramp, 3, &lo, &hi);
	assert_true(lo == 0 && hi == 100);
	const float small[] = { 0.1f, 0.1f };       /* positive data stays above 0 */
	spark_range(small, 2, &lo, &hi);
	assert_true(lo >= 0 && hi > lo);
}

static void test_spark_draw(void **state)
{
	(void)state;
	NEED_SCREEN();
	const float pts[] = { 0, 5, NAN, 10 };
	char row[128];
	struct term t = fake_term(false, TERM_LINES_ASCII);
	WINDOW *w = newwin(2, 5, 0, 0);
	widget_spark(&t, w, 0, 0, 5, 1, pts, 4, 0, 10, A_NORMAL);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, " _= @");      /* right-aligned, gap for NAN */

	/* only the newest points that fit */
	widget_spark(&t, w, 0, 0, 2, 1, pts, 4, 0, 10, A_NORMAL);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, " @= @");

	werase(w);
	const float half[] = { 5, 10 };
	widget_spark(&t, w, 0, 0, 2, 2, half, 2, 0, 10, A_NORMAL);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, " #   ");
	row_text(w, 1, row, sizeof row);
	assert_string_equal(row, "##   ");
	delwin(w);

	if (!have_utf8)
		return;
	t = fake_term(true, TERM_LINES_UTF8);
	w = newwin(1, 5, 0, 0);
	widget_spark(&t, w, 0, 0, 5, 1, pts, 4, 0, 10, A_NORMAL);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, " \u2581\u2584 \u2588");
	delwin(w);
}

static void test_bar(void **state)
{
	(void)state;
	NEED_SCREEN();
	char row[128];
	struct term t = fake_term(false, TERM_LINES_ASCII);
	WINDOW *w = newwin(1, 6, 0, 0);
	widget_bar(&t, w, 0, 0, 4, 0.5, A_NORMAL, A_NORMAL);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "##..  ");
	widget_bar(&t, w, 0, 0, 4, NAN, A_NORMAL, A_NORMAL);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "....  ");
	widget_bar(&t, w, 0, 2, 10, 2.0, A_NORMAL, A_NORMAL);   /* cut at the edge */
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "..####");
	delwin(w);

	if (!have_utf8)
		return;
	t = fake_term(true, TERM_LINES_UTF8);
	w = newwin(1, 4, 0, 0);
	widget_bar(&t, w, 0, 0, 4, 0.5625, A_NORMAL, A_NORMAL);    /* 2 cells and a quarter */
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "\u2588\u2588\u258e\u00b7");
	delwin(w);
}

static void test_box_and_row(void **state)
{
	(void)state;
	NEED_SCREEN();
	char row[128];
	struct term t = fake_term(false, TERM_LINES_ASCII);
	WINDOW *w = newwin(3, 10, 0, 0);
	widget_box(&t, w, A_NORMAL, "ab", A_NORMAL, NULL, A_NORMAL);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "+- ab ---+");
	row_text(w, 1, row, sizeof row);
	assert_string_equal(row, "|        |");
	row_text(w, 2, row, sizeof row);
	assert_string_equal(row, "+--------+");

	/* a title longer than the frame is cut inside it */
	widget_box(&t, w, A_NORMAL, "a very long title", A_NORMAL, NULL, A_NORMAL);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "+- a v. -+");
	delwin(w);

	w = newwin(1, 10, 0, 0);
	const struct widget_cell cells[] = {
		{ "k", A_NORMAL, 4, WIDGET_LEFT },
		{ "v", A_NORMAL, 3, WIDGET_RIGHT },
		{ "overflow", A_NORMAL, 8, WIDGET_LEFT },
	};
	widget_row(&t, w, 0, 0, 10, 1, cells, 3);
	row_text(w, 0, row, sizeof row);
	assert_string_equal(row, "k      v .");
	delwin(w);
}

static void test_theme_table(void **state)
{
	(void)state;
	assert_true(theme_count >= 5);
	for (int i = 0; i < theme_count; i++) {
		assert_non_null(theme_names[i]);
		assert_string_equal(theme_names[i], theme_table[i].name);
		assert_int_equal(theme_find(theme_names[i]), i);
		assert_ptr_equal(theme_get(i), &theme_table[i]);
		for (int r = 0; r < THEME_ROLE__COUNT; r++) {
			const struct theme_role_style *rs = &theme_table[i].role[r];
			assert_true(rs->c256.fg >= -1 && rs->c256.fg <= 255 && rs->c256.bg >= -1 && rs->c256.bg <= 255);
			assert_true(rs->c16.fg >= -1 && rs->c16.fg <= 15 && rs->c16.bg >= -1 && rs->c16.bg <= 15);
			assert_true(rs->c8.fg >= -1 && rs->c8.fg <= 7 && rs->c8.bg >= -1 && rs->c8.bg <= 7);
		}
	}
	assert_null(theme_names[theme_count]);
	assert_int_equal(theme_find("dark"), 0);
	assert_int_equal(theme_find("DARK"), 0);
	assert_int_equal(theme_find("monochrome"), theme_find("mono"));
	assert_int_equal(theme_find("colour-blind"), theme_find("colorblind"));
	assert_int_equal(theme_find("nope"), -1);
	assert_int_equal(theme_find(""), -1);
	assert_int_equal(theme_find(NULL), -1);
	assert_ptr_equal(theme_get(-1), &theme_table[0]);
	assert_ptr_equal(theme_get(theme_count), &theme_table[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_clips_at_edge),
		cmocka_unit_test(test_text_replaces_controls_and_high_bytes),
		cmocka_unit_test(test_text_utf8),
		cmocka_unit_test(test_ellipsis_and_alignment),
		cmocka_unit_test(test_spark_maths),
		cmocka_unit_test(test_spark_draw),
		cmocka_unit_test(test_bar),
		cmocka_unit_test(test_box_and_row),
		cmocka_unit_test(test_theme_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
