/* test_tui_overview.c - the overview, the help overlay and the bars drawn
 * from a synthetic model into a curses screen of many sizes (written to
 * /dev/null), then read back: nothing crashes, hostile fleet names and
 * errors reach the screen harmless, an ASCII terminal gets only ASCII, the
 * figures and names are where a person looks for them. */
#include "config.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "core/model.h"
#include "views/frame.h"
#include "views/help.h"
#include "views/overview.h"

static SCREEN *screen;
static FILE *screen_out, *screen_in;
static bool have_utf8;

#define NOW 1000.0

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

/* Names and errors as a hostile exporter might send them. */
static const char *const names[] = {
	"gpu", "inferentia", "evil\x1b[2J\x1b]0;pwned\x07name",
	"a-fleet-name-far-too-long-for-any-panel-on-any-screen", "\xe6\x97\xa5\xe6\x9c\xac fleet",
	"bad\xff\xfeutf8", "trainium", "graviton",
};

static struct model *make_model(int nfleets)
{
	struct model *m = model_new();
	assert_non_null(m);
	m->demo = true;
	fleet_set_str(&m->title, "Title with \x1b[31mescape\x1b[0m and \x9b CSI");
	fleet_set_str(&m->note, "published figures; per-instance inputs derived");
	for (int i = 0; i < nfleets; i++) {
		struct fleet *f = model_add_fleet(m, names[i % 8]);
		assert_non_null(f);
		fleet_set_str(&f->instance_type, i == 2 ? "type\x1b[1m" : "g4dn.2xlarge");
		fleet_set_str(&f->unit, i == 1 ? "sequences" : "inferences");
		f->count = (size_t)(2 + i);
		f->usd_per_hour = 0.5 + i;
		f->price_prov = i == 3 ? PROV_ESTIMATED : PROV_MEASURED;
		f->baseline = i == 1;
		struct source_health *h = fleet_add_source(f, "scrape", "http://10.0.0.1:9100/metrics\x1b[H");
		assert_non_null(h);
		if (i % 3 == 2)
			health_set_error(h, HEALTH_FAILING, "connect: \x1b[2Jrefused\r\nsecond line");
		else
			health_set_ok(h, NOW, 12.5);
		if (i == 4)
			continue;       /* a fleet with no data at all: n/a everywhere */
		for (size_t k = 0; k < f->count; k++) {
			char id[32];
			snprintf(id, sizeof id, "i%zu", k);
			assert_non_null(fleet_instance(f, id, true));
		}
	}
	/* second by second, as sources and the loop would */
	for (double t = NOW - 120; t <= NOW; t += 1) {
		for (size_t i = 0; i < m->nfleets; i++) {
			struct fleet *f = m->fleets[i];
			for (size_t k = 0; k < f->ninst; k++) {
				double wob = 1 + 0.05 * sin(t / 7 + (double)k);
				model_record(f->inst[k], MET_THROUGHPUT, t, (10.0 + (double)i) * wob, PROV_MEASURED);
				model_record(f->inst[k], MET_POWER, t, 200.0 * wob, PROV_MEASURED);
				model_record(f->inst[k], MET_UTIL, t, 80.0 * wob, PROV_MEASURED);
			}
		}
		model_tick(m, t);
	}
	return m;
}

static struct term fake_term(bool utf8)
{
	struct term t;
	memset(&t, 0, sizeof t);
	t.utf8 = utf8;
	t.lines = utf8 ? TERM_LINES_UTF8 : TERM_LINES_ASCII;
	return t;
}

/* The whole screen as text, rows joined by '\n', one character per cell. */
static char *screen_text(void)
{
	size_t cap = (size_t)(LINES * (COLS * 4 + 1) + 1), o = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	mbstate_t st;
	memset(&st, 0, sizeof st);
	for (int y = 0; y < LINES; y++) {
		for (int x = 0; x < COLS; x++) {
			cchar_t cc;
			wchar_t wch[CCHARW_MAX + 1];
			attr_t a;
			short pair;
			if (mvwin_wch(curscr, y, x, &cc) == ERR || getcchar(&cc, wch, &a, &pair, NULL) == ERR)
				wch[0] = L'!';
			if (wch[0] == 0)
				continue;       /* the right half of a wide character */
			char mb[MB_LEN_MAX];
			size_t k = wcrtomb(mb, wch[0], &st);
			if (k == (size_t)-1) {
				mb[0] = '!';
				k = 1;
			}
			memcpy(s + o, mb, k);
			o += k;
		}
		s[o++] = '\n';
	}
	s[o] = '\0';
	/* PERWATT_TEST_DUMP=1 shows every screen the tests look at */
	if (getenv("PERWATT_TEST_DUMP"))
		fprintf(stderr, "%s\n", s);
	return s;
}

static void draw_all(const struct term *t, const struct model *m, int rows, int cols, bool help)
{
	resize_term(rows, cols);
	clearok(curscr, TRUE);
	werase(stdscr);
	wnoutrefresh(stdscr);
	void *ov = overview_view.open(), *hp = help_view.open();
	assert_non_null(ov);
	assert_non_null(hp);
	struct frame fr;
	memset(&fr, 0, sizeof fr);
	struct view_ctx c = {
		.m = m, .t = t, .now = NOW, .window = 10, .full = true,
		.cols = cols, .rows = rows, .body = frame_body(rows, cols),
	};
	overview_view.draw(ov, &c);
	if (help)
		help_view.draw(hp, &c);
	char status[128] = "";
	overview_view.status(ov, status, sizeof status);
	struct frame_info fi = {
		.title = m->title, .demo = m->demo, .paused = true, .interval = 0.25,
		.hint = help ? "a hint\x1b[2J" : NULL, .right = status[0] ? status : NULL,
	};
	frame_draw(&fr, t, &fi, rows, cols, true);
	doupdate();
	frame_free(&fr);
	overview_view.close(ov);
	help_view.close(hp);
}

static void check_clean(const char *text, bool ascii, const char *where)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			fail_msg("%s: control byte 0x%02x on screen", where, *p);
		if (ascii && *p >= 0x80)
			fail_msg("%s: byte 0x%02x on an ASCII screen", where, *p);
	}
	/* curses shows a control character it is given as ^X: none may come */
	if (strstr(text, "^["))
		fail_msg("%s: an escape character reached curses", where);
}

static void test_sizes_and_fleets(void **state)
{
	(void)state;
	if (!screen)
		skip();
	static const int sizes[][2] = {
		{ 1, 1 }, { 2, 5 }, { 3, 11 }, { 4, 12 }, { 6, 20 }, { 8, 30 }, { 10, 40 }, { 12, 24 },
		{ 24, 80 }, { 30, 100 }, { 40, 120 }, { 50, 160 }, { 60, 200 }, { 100, 300 },
	};
	for (int n = 0; n <= 8; n++) {
		struct model *m = make_model(n);
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
			for (int mode = 0; mode < 2; mode++) {
				bool utf8 = mode == 0;
				if (utf8 && !have_utf8)
					continue;
				struct term t = fake_term(utf8);
				char where[64];
				snprintf(where, sizeof where, "%dx%d %d fleets %s", sizes[s][1], sizes[s][0], n,
				         utf8 ? "utf8" : "ascii");
				draw_all(&t, m, sizes[s][0], sizes[s][1], (s + (size_t)n) % 3 == 0);
				char *text = screen_text();
				check_clean(text, !utf8, where);
				free(text);
			}
		}
		model_free(m);
	}
}

static void test_what_a_person_sees(void **state)
{
	(void)state;
	if (!screen || !have_utf8)
		skip();
	struct model *m = make_model(2);
	struct term t = fake_term(true);

	draw_all(&t, m, 40, 120, false);
	char *text = screen_text();
	assert_non_null(strstr(text, "perwatt"));
	assert_non_null(strstr(text, "DEMO"));
	assert_non_null(strstr(text, "PAUSED"));
	assert_non_null(strstr(text, "refresh 0.25s"));
	assert_non_null(strstr(text, " gpu "));
	assert_non_null(strstr(text, " inferentia "));
	assert_non_null(strstr(text, "BASELINE"));
	assert_non_null(strstr(text, "g4dn.2xlarge \u00d7 2"));
	assert_non_null(strstr(text, "sequences/s"));
	assert_non_null(strstr(text, "published figures; per-instance inputs derived"));
	assert_non_null(strstr(text, "Candidate \u00f7 baseline (inferentia)"));
	assert_non_null(strstr(text, "latency 12.5 ms"));
	/* the title's escape sequences arrive as harmless '?' */
	assert_non_null(strstr(text, "Title with ?[31mescape?[0m and ? CSI"));
	free(text);

	draw_all(&t, m, 40, 120, true);
	text = screen_text();
	assert_non_null(strstr(text, "perwatt help"));
	assert_non_null(strstr(text, "next colour theme"));
	free(text);

	draw_all(&t, m, 6, 20, false);
	text = screen_text();
	assert_non_null(strstr(text, "DEMO"));
	assert_non_null(strstr(text, "gpu"));
	assert_non_null(strstr(text, "/s"));
	free(text);
	model_free(m);
}

/* A fleet whose instances report only some figures: one machine with its
 * CPU utilization but no benchmark followed says "no throughput yet", not
 * "0 reporting"; a fleet where 1 of 3 report throughput says "1 reporting". */
static void test_partly_reporting(void **state)
{
	(void)state;
	if (!screen || !have_utf8)
		skip();
	struct model *m = model_new();
	struct fleet *me = model_add_fleet(m, "thisbox");
	struct fleet *few = model_add_fleet(m, "few");
	assert_non_null(me);
	assert_non_null(few);
	me->count = 1;
	few->count = 3;
	struct instance *cpu = fleet_instance(me, "host", true);
	struct instance *one = fleet_instance(few, "a", true);
	struct instance *two = fleet_instance(few, "b", true);
	for (double t = NOW - 30; t <= NOW; t += 1) {
		model_record(cpu, MET_UTIL, t, 42, PROV_MEASURED);
		model_record(one, MET_THROUGHPUT, t, 10, PROV_MEASURED);
		model_record(two, MET_POWER, t, 100, PROV_MEASURED);
		model_tick(m, t);
	}
	struct term t = fake_term(true);
	draw_all(&t, m, 40, 120, false);
	char *text = screen_text();
	assert_non_null(strstr(text, "no throughput yet"));
	assert_null(strstr(text, "0 reporting"));
	assert_non_null(strstr(text, "1 reporting"));
	free(text);
	model_free(m);
}

static void test_hostile_text(void **state)
{
	(void)state;
	if (!screen || !have_utf8)
		skip();
	struct model *m = make_model(3);
	struct term t = fake_term(true);
	draw_all(&t, m, 40, 160, false);
	char *text = screen_text();
	assert_non_null(strstr(text, "evil?[2J?]0;pwned?name"));
	assert_non_null(strstr(text, "last error: connect: "));
	assert_non_null(strstr(text, "refused"));
	assert_null(strstr(text, "\x1b"));
	free(text);
	model_free(m);
}

static void test_many_fleets_say_so(void **state)
{
	(void)state;
	if (!screen)
		skip();
	struct model *m = make_model(8);
	struct term t = fake_term(false);
	draw_all(&t, m, 16, 80, false);
	char *text = screen_text();
	assert_non_null(strstr(text, "of 8 fleets shown"));
	free(text);
	draw_all(&t, m, 6, 20, false);
	text = screen_text();
	assert_non_null(strstr(text, "+5 more"));
	free(text);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_fleets),
		cmocka_unit_test(test_what_a_person_sees),
		cmocka_unit_test(test_partly_reporting),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_many_fleets_say_so),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
