/*
 * Tests of the PromQL source: the answer parser on real Prometheus answers
 * (tests/fixtures/promapi/) and hostile ones, then the whole source over HTTP
 * against tests/servers/promapi.py, driven through a real source set with the
 * http driver, the way the dashboard's loop drives it.
 *
 * The server runs as a child for the whole group; the HTTP tests are skipped
 * when python3 is missing.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "core/format.h"
#include "core/model.h"
#include "fetch/http.h"
#include "fetch/promql.h"
#include "fetch/source.h"
#include "testlib.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif
#define FIXTURES TOP_SRCDIR "/tests/fixtures/promapi"

#define assert_close(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%.17g is not within %g of %.17g", a_, (double)(eps), b_); \
} while (0)

/* ---- helpers -------------------------------------------------------------------- */


/* A copy of a string without its NUL. */
static char *exact_copy(const char *s, size_t *len)
{
	*len = strlen(s);
	char *b = malloc(*len ? *len : 1);
	assert_non_null(b);
	memcpy(b, s, *len);
	return b;
}

#define GOT_MAX 64
struct got {
	size_t n;                   /* calls */
	size_t stop_at;             /* return non-zero on this call (1-based; 0: never) */
	struct {
		char id[PROMQL_ID_MAX];
		size_t series;
		double t, v;
	} s[GOT_MAX];
};

static int got_fn(void *user, const struct promql_sample *s)
{
	struct got *g = user;
	assert_true(isfinite(s->v));
	assert_non_null(s->id);
	if (g->n < GOT_MAX) {
		snprintf(g->s[g->n].id, sizeof g->s[g->n].id, "%s", s->id);
		g->s[g->n].series = s->series;
		g->s[g->n].t = s->t;
		g->s[g->n].v = s->v;
	}
	g->n++;
	return g->stop_at && g->n >= g->stop_at;
}

static int parse_str(const char *body, enum promql_want want, struct got *g,
                     struct promql_info *info, char *err, size_t errlen)
{
	size_t len;
	char *b = exact_copy(body, &len);
	memset(g, 0, sizeof *g);
	int rc = promql_parse_response(b, len, want, "fleet", got_fn, g, info, err, errlen);
	free(b);
	return rc;
}

/* Printable, valid UTF-8: what sanitizing leaves alone. */
static bool clean_text(const char *s)
{
	char copy[1024];
	fmt_sanitize(copy, sizeof copy, s, true);
	return strcmp(copy, s) == 0;
}

/* ---- the parser on real answers -------------------------------------------------- */

struct fixture {
	const char *file;
	int rc_instant, rc_range;
	enum promql_type type;
	size_t series, samples, skipped;
	const char *err;            /* part of the error (instant, else range) */
	const char *id0;            /* first sample's instance */
	double t0, v0;
};

static const struct fixture fixtures[] = {
	{ "docs-query-vector-up.json", 0, -1, PROMQL_VECTOR, 2, 2, 0, "not a matrix",
	  "localhost:9090", 1435781451.781, 1 },
	{ "docs-query_range-matrix-up.json", -1, 0, PROMQL_MATRIX, 2, 6, 0, "range vector",
	  "localhost:9090", 1435781430.781, 1 },
	{ "query-vector-up.json", 0, -1, PROMQL_VECTOR, 1, 1, 0, "not a matrix",
	  "127.0.0.1:19100", 1795779112.304, 1 },
	{ "query-vector-rate.json", 0, -1, PROMQL_VECTOR, 2, 2, 0, "not a matrix",
	  "127.0.0.1:19100", 1795779112.313, 0.9825000000000159 },
	{ "query-vector-empty.json", 0, -1, PROMQL_VECTOR, 0, 0, 0, "not a matrix", NULL, 0, 0 },
	{ "query-scalar.json", 0, -1, PROMQL_SCALAR, 1, 1, 0, "not a matrix",
	  "fleet", 1795779112.329, 2 },
	{ "query-scalar-nan.json", 0, -1, PROMQL_SCALAR, 1, 0, 1, "not a matrix", NULL, 0, 0 },
	{ "query-scalar-neginf.json", 0, -1, PROMQL_SCALAR, 1, 0, 1, "not a matrix", NULL, 0, 0 },
	{ "query-string.json", -1, -1, PROMQL_STRING, 0, 0, 0, "returned a string", NULL, 0, 0 },
	{ "query-matrix-rangeselector.json", -1, 0, PROMQL_MATRIX, 1, 5, 0, "must return an instant vector",
	  "127.0.0.1:19100", 1795779108.122, 1 },
	{ "query_range-matrix-up.json", -1, 0, PROMQL_MATRIX, 1, 5, 0, "range vector",
	  "127.0.0.1:19100", 1795779104, 1 },
	{ "query_range-matrix-rate.json", -1, 0, PROMQL_MATRIX, 2, 8, 0, "range vector",
	  "127.0.0.1:19100", 1795779106, 0.6485760000000246 },
	{ "error-bad_data-parse.json", -1, -1, PROMQL_NONE, 0, 0, 0,
	  "bad_data: invalid parameter \"query\": 1:8: parse error: unclosed left parenthesis", NULL, 0, 0 },
	{ "error-bad_data-11000-points.json", -1, -1, PROMQL_NONE, 0, 0, 0,
	  "bad_data: exceeded maximum resolution of 11,000 points per timeseries", NULL, 0, 0 },
	{ "error-bad_data-end-before-start.json", -1, -1, PROMQL_NONE, 0, 0, 0,
	  "bad_data: invalid parameter \"end\": end timestamp must not be before start time", NULL, 0, 0 },
	{ "error-bad_data-time.json", -1, -1, PROMQL_NONE, 0, 0, 0,
	  "bad_data: invalid parameter \"time\": Invalid time value for 'time'", NULL, 0, 0 },
	{ "error-bad_data-missing-step.json", -1, -1, PROMQL_NONE, 0, 0, 0,
	  "bad_data: invalid parameter \"step\": cannot parse \"\" to a valid duration", NULL, 0, 0 },
};

static void parse_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
		const struct fixture *fx = &fixtures[i];
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", FIXTURES, fx->file);
		size_t len;
		char *body = testlib_slurp(path, &len);
		for (int want = PROMQL_WANT_INSTANT; want <= PROMQL_WANT_RANGE; want++) {
			struct got g;
			memset(&g, 0, sizeof g);
			struct promql_info info;
			char err[PROMQL_TEXT_MAX];
			int rc = promql_parse_response(body, len, (enum promql_want)want, "fleet", got_fn, &g,
			                               &info, err, sizeof err);
			int expect = want == PROMQL_WANT_INSTANT ? fx->rc_instant : fx->rc_range;
			if (rc != expect)
				fail_msg("%s (%s): rc %d, expected %d (%s)", fx->file,
				         want == PROMQL_WANT_INSTANT ? "instant" : "range", rc, expect, err);
			assert_int_equal(info.type, fx->type);
			assert_true(clean_text(err));
			if (rc == 0) {
				assert_string_equal(err, "");
				assert_int_equal(info.series, fx->series);
				assert_int_equal(info.samples, fx->samples);
				assert_int_equal(info.skipped, fx->skipped);
				assert_int_equal(g.n, fx->samples);
				assert_string_equal(info.error_type, "");
				if (fx->id0) {
					assert_string_equal(g.s[0].id, fx->id0);
					assert_close(g.s[0].t, fx->t0, 1e-6);
					assert_close(g.s[0].v, fx->v0, 1e-15);
				}
			} else {
				assert_int_equal(g.n, 0);           /* nothing from a failed answer */
				if (fx->type == PROMQL_NONE) {
					assert_string_equal(info.error_type, "bad_data");
					assert_has(err, fx->err);
					assert_true(strncmp(err, "bad_data: ", 10) == 0);
				} else {
					assert_true(err[0] != '\0');
				}
			}
		}
		/* the error named in the table, for the want that fails */
		if (fx->type != PROMQL_NONE && (fx->rc_instant || fx->rc_range)) {
			char err[PROMQL_TEXT_MAX];
			enum promql_want w = fx->rc_instant ? PROMQL_WANT_INSTANT : PROMQL_WANT_RANGE;
			assert_int_equal(promql_parse_response(body, len, w, "fleet", NULL, NULL, NULL, err,
			                                       sizeof err), -1);
			assert_has(err, fx->err);
		}
		free(body);
	}
}

/* Every answer in the fixture folder is in the table above. */
static void fixture_folder_covered(void **state)
{
	(void)state;
	DIR *d = opendir(FIXTURES);
	assert_non_null(d);
	struct dirent *e;
	size_t seen = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		bool found = false;
		for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++)
			if (strcmp(fixtures[i].file, e->d_name) == 0)
				found = true;
		if (!found)
			fail_msg("%s is not checked by parse_fixtures", e->d_name);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, sizeof fixtures / sizeof *fixtures);
}

/* Matrix series of the same instance keep their own series index. */
static void matrix_series_index(void **state)
{
	(void)state;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/query_range-matrix-rate.json", FIXTURES);
	size_t len;
	char *body = testlib_slurp(path, &len);
	struct got g = { 0 };
	assert_int_equal(promql_parse_response(body, len, PROMQL_WANT_RANGE, "f", got_fn, &g, NULL,
	                                       NULL, 0), 0);
	assert_int_equal(g.n, 8);
	assert_int_equal(g.s[3].series, 0);
	assert_int_equal(g.s[4].series, 1);
	assert_close(g.s[7].t, 1795779112, 0);
	assert_close(g.s[7].v, 0.977499999999992, 1e-15);
	free(body);
}

/* ---- the parser on everything else ------------------------------------------------- */

static void warnings_and_infos(void **state)
{
	(void)state;
	struct got g;
	struct promql_info info;
	char err[PROMQL_TEXT_MAX];
	assert_int_equal(parse_str(
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		"{\"metric\":{\"instance\":\"a\"},\"value\":[1,\"3\"]}]},"
		"\"warnings\":[\"partial response: store \\u001b[2J down\",\"second\"],"
		"\"infos\":[\"PromQL info: metric might not be a counter\"]}",
		PROMQL_WANT_INSTANT, &g, &info, err, sizeof err), 0);
	assert_string_equal(info.warnings, "partial response: store ?[2J down; second");
	assert_lacks(info.warnings, "PromQL info");
	assert_int_equal(g.n, 1);

	/* infos alone: no warning */
	assert_int_equal(parse_str(
		"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"3\"]},"
		"\"infos\":[\"x\"],\"isPartial\":false,\"stats\":{\"seriesFetched\":\"1\"}}",
		PROMQL_WANT_INSTANT, &g, &info, err, sizeof err), 0);
	assert_string_equal(info.warnings, "");

	/* an error answer may carry warnings too; extra keys are fine */
	assert_int_equal(parse_str(
		"{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"expanding series: boom\","
		"\"warnings\":[\"w\"],\"data\":null}",
		PROMQL_WANT_INSTANT, &g, &info, err, sizeof err), -1);
	assert_string_equal(err, "execution: expanding series: boom");
	assert_string_equal(info.error_type, "execution");
	assert_string_equal(info.warnings, "w");

	/* many long warnings are cut, not overflowed */
	char big[8192];
	size_t o = (size_t)snprintf(big, sizeof big,
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]},\"warnings\":[");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, "%s\"warning number %d, long enough\"",
		                      i ? "," : "", i);
	snprintf(big + o, sizeof big - o, "]}");
	assert_int_equal(parse_str(big, PROMQL_WANT_INSTANT, &g, &info, err, sizeof err), 0);
	assert_true(strlen(info.warnings) < PROMQL_TEXT_MAX);
	assert_has(info.warnings, "warning number 0, long enough; warning number 1");
}

struct bad {
	const char *body;
	const char *err;
};

#define VEC(series) "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[" series "]}}"
#define MAT(series) "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[" series "]}}"

static void malformed_answers(void **state)
{
	(void)state;
	static const struct bad bad[] = {
		{ "{", "invalid JSON at byte" },
		{ "not json", "invalid JSON at byte 0" },
		{ "<html><body>login</body></html>", "invalid JSON" },
		{ VEC("") " x", "unexpected data at byte" },
		{ VEC("") "{}", "unexpected data" },
		{ "[]", "not a JSON object" },
		{ "\"success\"", "not a JSON object" },
		{ "{\"data\":{}}", "no \"status\"" },
		{ "{\"status\":1}", "no \"status\"" },
		{ "{\"status\":\"partial\"}", "unexpected status \"partial\"" },
		{ "{\"status\":\"success\"}", "without data" },
		{ "{\"status\":\"success\",\"data\":{\"result\":[]}}", "without data" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}", "without data" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"histogram\",\"result\":[]}}",
		  "unknown resultType \"histogram\"" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}", "not an array" },
		{ VEC("1"), "series 0 is not an object" },
		{ VEC("{\"metric\":{},\"value\":[1,1]}"), "value is not a string" },
		{ VEC("{\"metric\":{},\"value\":[1,null]}"), "value is not a string" },
		{ VEC("{\"metric\":{},\"value\":[\"1\",\"1\"]}"), "time is not a number" },
		{ VEC("{\"metric\":{},\"value\":[1,\"1\",\"x\"]}"), "pair" },
		{ VEC("{\"metric\":{},\"value\":[1]}"), "pair" },
		{ VEC("{\"metric\":{},\"value\":{\"t\":1}}"), "pair" },
		{ VEC("{\"metric\":{},\"value\":[1,\"abc\"]}"), "value \"abc\" is not a number" },
		{ VEC("{\"metric\":{},\"value\":[1,\" 1\"]}"), "is not a number" },
		{ VEC("{\"metric\":{},\"value\":[1,\"1 \"]}"), "is not a number" },
		{ VEC("{\"metric\":{},\"value\":[1,\"0x10\"]}"), "is not a number" },
		{ VEC("{\"metric\":{},\"value\":[1,\"\"]}"), "is not a number" },
		{ VEC("{\"metric\":{},\"value\":[1,\"\\u001b[2J\"]}"), "value \"?[2J\" is not a number" },
		{ VEC("{\"metric\":[],\"value\":[1,\"1\"]}"), "\"metric\" is not an object" },
		{ VEC("{\"metric\":{\"instance\":5},\"value\":[1,\"1\"]}"), "label \"instance\" is not a string" },
		{ VEC("{\"metric\":{}}"), "has no \"value\"" },
		{ MAT("{\"metric\":{},\"values\":{}}"), "\"values\" is not an array" },
		{ MAT("{\"metric\":{}}"), "has no \"values\"" },
		{ "{\"status\":\"error\",\"error\":\"x\"}", "error: x" },
		{ "{\"status\":\"error\"}", "error: (no message)" },
		{ "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"\\u001b]0;pwned\\u0007 x\"}",
		  "bad_data: ?]0;pwned? x" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct got g;
		struct promql_info info;
		char err[PROMQL_TEXT_MAX];
		enum promql_want w = strstr(bad[i].body, "matrix") ? PROMQL_WANT_RANGE : PROMQL_WANT_INSTANT;
		int rc = parse_str(bad[i].body, w, &g, &info, err, sizeof err);
		if (rc != -1)
			fail_msg("accepted: %s", bad[i].body);
		assert_int_equal(g.n, 0);
		assert_true(clean_text(err));
		assert_has(err, bad[i].err);
	}
	/* an empty body, and no err buffer at all */
	struct promql_info info;
	char err[64];
	assert_int_equal(promql_parse_response("", 0, PROMQL_WANT_INSTANT, "f", NULL, NULL, &info,
	                                       err, sizeof err), -1);
	assert_string_equal(err, "empty response");
	assert_int_equal(promql_parse_response(NULL, 0, PROMQL_WANT_INSTANT, "f", NULL, NULL, NULL,
	                                       NULL, 0), -1);
	assert_int_equal(promql_parse_response("{", 1, PROMQL_WANT_INSTANT, "f", NULL, NULL, NULL,
	                                       err, 1), -1);
	assert_string_equal(err, "");
	/* a NUL byte inside the body */
	static const char nul[] = VEC("") "\0" VEC("");
	assert_int_equal(promql_parse_response(nul, sizeof nul - 1, PROMQL_WANT_INSTANT, "f", NULL,
	                                       NULL, NULL, err, sizeof err), -1);
	assert_int_equal(promql_parse_response(nul, sizeof nul - 1 - strlen(VEC("")), PROMQL_WANT_INSTANT,
	                                       "f", NULL, NULL, NULL, err, sizeof err), -1);
	assert_int_equal(promql_parse_response(nul, strlen(VEC("")), PROMQL_WANT_INSTANT, "f", NULL,
	                                       NULL, NULL, err, sizeof err), 0);
}

/* Every cut of a real answer fails cleanly (only whitespace may be lost),
 * and delivers nothing. */
static void truncated_answers(void **state)
{
	(void)state;
	static const char *const files[] = { "query-vector-rate.json", "docs-query_range-matrix-up.json",
	                                     "error-bad_data-parse.json" };
	for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", FIXTURES, files[f]);
		size_t len;
		char *body = testlib_slurp(path, &len);
		enum promql_want w = strstr(files[f], "range") ? PROMQL_WANT_RANGE : PROMQL_WANT_INSTANT;
		for (size_t cut = 0; cut < len; cut++) {
			char *part = malloc(cut ? cut : 1);
			assert_non_null(part);
			memcpy(part, body, cut);
			bool only_ws = true;
			for (size_t k = cut; k < len; k++)
				if (!strchr(" \t\r\n", body[k]))
					only_ws = false;
			struct got g = { 0 };
			char err[PROMQL_TEXT_MAX];
			int rc = promql_parse_response(part, cut, w, "f", got_fn, &g, NULL, err, sizeof err);
			free(part);
			if (only_ws && !strstr(files[f], "error")) {
				assert_int_equal(rc, 0);
			} else {
				if (rc != -1)
					fail_msg("%s cut at %zu was accepted", files[f], cut);
				assert_int_equal(g.n, 0);
				assert_true(err[0] != '\0');
			}
		}
		free(body);
	}
}

/* NaN and infinities are skipped, so are numbers past a double's range;
 * an underflow is a (tiny) finite number. */
static void nonfinite_and_huge_values(void **state)
{
	(void)state;
	struct got g;
	struct promql_info info;
	char err[PROMQL_TEXT_MAX];
	assert_int_equal(parse_str(VEC(
		"{\"metric\":{\"instance\":\"a\"},\"value\":[1,\"NaN\"]},"
		"{\"metric\":{\"instance\":\"b\"},\"value\":[1,\"+Inf\"]},"
		"{\"metric\":{\"instance\":\"c\"},\"value\":[1,\"-Inf\"]},"
		"{\"metric\":{\"instance\":\"d\"},\"value\":[1,\"1e400\"]},"
		"{\"metric\":{\"instance\":\"e\"},\"value\":[1,\"-1e999999999999\"]},"
		"{\"metric\":{\"instance\":\"f\"},\"value\":[1,\"1.7976931348623157e308\"]},"
		"{\"metric\":{\"instance\":\"g\"},\"value\":[1,\"1e-400\"]},"
		"{\"metric\":{\"instance\":\"h\"},\"value\":[1,\"-0\"]},"
		"{\"metric\":{\"instance\":\"i\"},\"value\":[1,\"123456789012345678901234567890\"]},"
		"{\"metric\":{\"instance\":\"j\"},\"value\":[1e300,\"1.5e3\"]}"),
		PROMQL_WANT_INSTANT, &g, &info, err, sizeof err), 0);
	assert_int_equal(info.series, 10);
	assert_int_equal(info.skipped, 5);
	assert_int_equal(info.samples, 5);
	assert_string_equal(g.s[0].id, "f");
	assert_close(g.s[0].v, 1.7976931348623157e308, 1e292);
	assert_string_equal(g.s[1].id, "g");
	assert_true(g.s[1].v >= 0 && g.s[1].v < 1e-300);
	assert_close(g.s[3].v, 1.2345678901234568e29, 1e14);
	assert_close(g.s[4].t, 1e300, 0);
	assert_close(g.s[4].v, 1500, 0);

	/* all values non-finite: success with no sample */
	assert_int_equal(parse_str(VEC("{\"metric\":{},\"value\":[1,\"NaN\"]}"),
	                           PROMQL_WANT_INSTANT, &g, &info, err, sizeof err), 0);
	assert_int_equal(info.series, 1);
	assert_int_equal(info.samples, 0);
	assert_int_equal(info.skipped, 1);

	/* a native histogram has no float value: skipped, not an error */
	assert_int_equal(parse_str(VEC(
		"{\"metric\":{\"instance\":\"a\"},\"histogram\":[1,{\"count\":\"2\",\"sum\":\"3\"}]},"
		"{\"metric\":{\"instance\":\"b\"},\"value\":[1,\"4\"]}"),
		PROMQL_WANT_INSTANT, &g, &info, err, sizeof err), 0);
	assert_int_equal(info.skipped, 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(parse_str(MAT(
		"{\"metric\":{\"instance\":\"a\"},\"histograms\":[[1,{\"count\":\"2\"}],[2,{\"count\":\"3\"}]]}"),
		PROMQL_WANT_RANGE, &g, &info, err, sizeof err), 0);
	assert_int_equal(info.skipped, 2);
	assert_int_equal(g.n, 0);
}

static void parse_value(void **state)
{
	(void)state;
	static const struct { const char *s; int rc; double v; } cases[] = {
		{ "1", 0, 1 }, { "0.9825000000000159", 0, 0.9825000000000159 }, { "-2.5", 0, -2.5 },
		{ "+3", 0, 3 }, { ".5", 0, 0.5 }, { "5.", 0, 5 }, { "1e3", 0, 1000 }, { "1E-3", 0, 0.001 },
		{ "2.5e+2", 0, 250 }, { "-0", 0, 0 }, { "1e-400", 0, 0 },
		{ "NaN", 1, NAN }, { "nan", 1, NAN }, { "+Inf", 1, INFINITY }, { "-Inf", 1, -INFINITY },
		{ "Inf", 1, INFINITY }, { "infinity", 1, INFINITY }, { "1e400", 1, INFINITY },
		{ "-1e400", 1, -INFINITY },
		{ "", -1, 0 }, { " 1", -1, 0 }, { "1 ", -1, 0 }, { "0x10", -1, 0 }, { "1e", -1, 0 },
		{ "1e+", -1, 0 }, { ".", -1, 0 }, { "-", -1, 0 }, { "1,5", -1, 0 }, { "1.2.3", -1, 0 },
		{ "nan(1)", -1, 0 }, { "infinit", -1, 0 }, { "1_000", -1, 0 }, { "++1", -1, 0 },
		{ "e5", -1, 0 }, { "1\n", -1, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		double v = 12345;
		int rc = promql_parse_value(cases[i].s, &v);
		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d, expected %d", cases[i].s, rc, cases[i].rc);
		if (rc == 0)
			assert_close(v, cases[i].v, fabs(cases[i].v) * 1e-15);
		if (rc == 1 && isnan(cases[i].v))
			assert_true(isnan(v));
		if (rc == 1 && isinf(cases[i].v))
			assert_true(v == cases[i].v);
	}
	/* a very long number goes through the heap copy */
	char longnum[600];
	memset(longnum, '0', sizeof longnum - 1);
	longnum[0] = '1';
	longnum[1] = '.';
	longnum[sizeof longnum - 1] = '\0';
	double v;
	assert_int_equal(promql_parse_value(longnum, &v), 0);
	assert_close(v, 1, 0);
	assert_int_equal(promql_parse_value(NULL, &v), -1);
}

/* The program may run with a locale that writes "1,5": values still parse. */
static void parse_value_locale(void **state)
{
	(void)state;
	static const char *const locs[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
	                                    "ru_RU.UTF-8", NULL };
	const char *got = NULL;
	for (size_t i = 0; locs[i] && !got; i++)
		got = setlocale(LC_NUMERIC, locs[i]);
	if (!got || strcmp(localeconv()->decimal_point, ".") == 0) {
		setlocale(LC_NUMERIC, "C");
		skip();
	}
	double v, v2;
	int rc = promql_parse_value("1.5", &v);
	int rc2 = promql_parse_value("1,5", &v2);
	struct got g;
	char err[PROMQL_TEXT_MAX];
	int rc3 = parse_str(VEC("{\"metric\":{},\"value\":[1.25,\"2.75\"]}"), PROMQL_WANT_INSTANT, &g,
	                    NULL, err, sizeof err);
	setlocale(LC_NUMERIC, "C");
	assert_int_equal(rc, 0);
	assert_close(v, 1.5, 0);
	assert_int_equal(rc2, -1);
	assert_int_equal(rc3, 0);
	assert_close(g.s[0].v, 2.75, 0);
	assert_close(g.s[0].t, 1.25, 0);
}

/* Label values from the network become instance ids a terminal can show. */
static void label_ids_sanitized(void **state)
{
	(void)state;
	struct got g;
	char err[PROMQL_TEXT_MAX];
	/* control characters, \u escapes (valid and control), raw invalid UTF-8 */
	assert_int_equal(parse_str(VEC(
		"{\"metric\":{\"instance\":\"\\u001b[2Jevil\\u0007\"},\"value\":[1,\"1\"]},"
		"{\"metric\":{\"instance\":\"bad\xff\xfeutf8\"},\"value\":[1,\"2\"]},"
		"{\"metric\":{\"instance\":\"caf\\u00e9 \xe2\x82\xac\"},\"value\":[1,\"3\"]},"
		"{\"metric\":{\"instance\":\"a\\u009bb\"},\"value\":[1,\"4\"]},"
		"{\"metric\":{\"instance\":\"tab\\there\\nnl\"},\"value\":[1,\"5\"]}"),
		PROMQL_WANT_INSTANT, &g, NULL, err, sizeof err), 0);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.s[0].id, "?[2Jevil?");
	assert_string_equal(g.s[1].id, "bad??utf8");
	assert_string_equal(g.s[2].id, "caf\xc3\xa9 \xe2\x82\xac");
	assert_string_equal(g.s[3].id, "a??b");          /* C1 control: byte by byte */
	assert_string_equal(g.s[4].id, "tab here?nl");
	for (size_t i = 0; i < g.n; i++)
		assert_true(clean_text(g.s[i].id));

	/* a lone surrogate escape: refused as JSON, or made harmless */
	int rc = parse_str(VEC("{\"metric\":{\"instance\":\"x\\ud800y\"},\"value\":[1,\"1\"]}"),
	                   PROMQL_WANT_INSTANT, &g, NULL, err, sizeof err);
	if (rc == 0)
		assert_true(clean_text(g.s[0].id));
	else
		assert_has(err, "invalid JSON");
	/* an escaped NUL ends the value */
	assert_int_equal(parse_str(VEC("{\"metric\":{\"instance\":\"ab\\u0000cd\"},\"value\":[1,\"1\"]}"),
	                           PROMQL_WANT_INSTANT, &g, NULL, err, sizeof err), 0);
	assert_true(clean_text(g.s[0].id));

	/* no instance label: the label set without __name__, sorted, escaped */
	assert_int_equal(parse_str(VEC(
		"{\"metric\":{\"__name__\":\"up\",\"zone\":\"a\\\"b\\\\c\\nd\",\"job\":\"x\"},\"value\":[1,\"1\"]},"
		"{\"metric\":{\"instance\":\"\",\"job\":\"\\u001b\"},\"value\":[1,\"2\"]},"
		"{\"metric\":{\"__name__\":\"up\"},\"value\":[1,\"3\"]},"
		"{\"metric\":{},\"value\":[1,\"4\"]},"
		"{\"value\":[1,\"5\"]}"),
		PROMQL_WANT_INSTANT, &g, NULL, err, sizeof err), 0);
	assert_string_equal(g.s[0].id, "{job=\"x\",zone=\"a\\\"b\\\\c\\nd\"}");
	assert_string_equal(g.s[1].id, "{instance=\"\",job=\"?\"}");
	assert_string_equal(g.s[2].id, "fleet");
	assert_string_equal(g.s[3].id, "fleet");
	assert_string_equal(g.s[4].id, "fleet");

	/* a huge label value is cut, at a character boundary */
	size_t n = 20000;
	char *body = malloc(n + 200);
	assert_non_null(body);
	size_t o = (size_t)sprintf(body, "%s", "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
	                                        "\"result\":[{\"metric\":{\"instance\":\"");
	for (size_t i = 0; i < n / 2; i++)
		o += (size_t)sprintf(body + o, "\xc3\xa9");
	o += (size_t)sprintf(body + o, "\"},\"value\":[1,\"1\"]}]}}");
	struct got *gg = calloc(1, sizeof *gg);
	assert_non_null(gg);
	assert_int_equal(promql_parse_response(body, o, PROMQL_WANT_INSTANT, "f", got_fn, gg, NULL,
	                                       err, sizeof err), 0);
	assert_true(strlen(gg->s[0].id) < PROMQL_ID_MAX);
	assert_true(strlen(gg->s[0].id) > PROMQL_ID_MAX - 4);
	assert_true(clean_text(gg->s[0].id));
	free(gg);
	free(body);

	/* many labels, long names: cut too */
	char many[16384];
	o = (size_t)snprintf(many, sizeof many, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
	                                        "\"result\":[{\"metric\":{");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(many + o, sizeof many - o, "%s\"label_%03d\":\"value\"", i ? "," : "", i);
	snprintf(many + o, sizeof many - o, "},\"value\":[1,\"1\"]}]}}");
	assert_int_equal(parse_str(many, PROMQL_WANT_INSTANT, &g, NULL, err, sizeof err), 0);
	assert_true(strncmp(g.s[0].id, "{label_000=\"value\",label_001=", 29) == 0);
	assert_true(strlen(g.s[0].id) < PROMQL_ID_MAX);
}

/* A bad sample anywhere means no sample at all; the receiver may stop. */
static void all_or_nothing(void **state)
{
	(void)state;
	struct got g;
	char err[PROMQL_TEXT_MAX];
	assert_int_equal(parse_str(VEC(
		"{\"metric\":{\"instance\":\"a\"},\"value\":[1,\"1\"]},"
		"{\"metric\":{\"instance\":\"b\"},\"value\":[1,\"2\"]},"
		"{\"metric\":{\"instance\":\"c\"},\"value\":[1,2]}"),
		PROMQL_WANT_INSTANT, &g, NULL, err, sizeof err), -1);
	assert_int_equal(g.n, 0);
	assert_has(err, "series 2");

	size_t len;
	char *b = exact_copy(VEC("{\"metric\":{\"instance\":\"a\"},\"value\":[1,\"1\"]},"
	                         "{\"metric\":{\"instance\":\"b\"},\"value\":[1,\"2\"]}"), &len);
	memset(&g, 0, sizeof g);
	g.stop_at = 1;
	assert_int_equal(promql_parse_response(b, len, PROMQL_WANT_INSTANT, "f", got_fn, &g, NULL, err,
	                                       sizeof err), -1);
	assert_int_equal(g.n, 1);
	assert_has(err, "receiver");
	free(b);
}

/* cJSON's nesting limit keeps a deep document from blowing the stack. */
static void deep_nesting(void **state)
{
	(void)state;
	size_t depth = 100000;
	char *b = malloc(2 * depth);
	assert_non_null(b);
	memset(b, '[', depth);
	memset(b + depth, ']', depth);
	char err[PROMQL_TEXT_MAX];
	assert_int_equal(promql_parse_response(b, 2 * depth, PROMQL_WANT_INSTANT, "f", NULL, NULL, NULL,
	                                       err, sizeof err), -1);
	assert_has(err, "invalid JSON");
	free(b);
}

static void form_encode(void **state)
{
	(void)state;
	char *e = promql_form_encode("sum by (instance) (rate(x_total{a=\"b c\",d=~\"e|f\"}[1m])) + 1 & "
	                             "100% #caf\xc3\xa9~_.-");
	assert_non_null(e);
	assert_string_equal(e, "sum%20by%20%28instance%29%20%28rate%28x_total%7Ba%3D%22b%20c%22%2Cd%3D"
	                       "~%22e%7Cf%22%7D%5B1m%5D%29%29%20%2B%201%20%26%20100%25%20%23caf%C3%A9~_.-");
	free(e);
	e = promql_form_encode("");
	assert_non_null(e);
	assert_string_equal(e, "");
	free(e);
}

static void range_step(void **state)
{
	(void)state;
	assert_close(promql_range_step(900, PROMQL_MAX_POINTS), 1, 0);
	assert_close(promql_range_step(11000, 11000), 1, 0);
	assert_close(promql_range_step(11001, 11000), 2, 0);
	assert_close(promql_range_step(1000000, 11000), 91, 0);   /* the fixture's failing request */
	assert_true(1000000 / promql_range_step(1000000, 11000) <= 11000);
	assert_close(promql_range_step(6 * 3600, 11000), 2, 0);
	assert_close(promql_range_step(0, 11000), 1, 0);
	assert_close(promql_range_step(-5, 11000), 1, 0);
	assert_close(promql_range_step(NAN, 11000), 1, 0);
	assert_close(promql_range_step(INFINITY, 11000), 1, 0);
	assert_close(promql_range_step(100, 0), 1, 0);
	assert_string_equal(promql_type_name(PROMQL_MATRIX), "matrix");
	assert_string_equal(promql_type_name(PROMQL_NONE), "none");
}

/* ---- the source: configuration ---------------------------------------------------- */

static struct fleet_cfg cfg_make(const char *name, const char *server)
{
	struct fleet_cfg f;
	memset(&f, 0, sizeof f);
	f.name = (char *)name;
	f.server = (char *)server;
	f.usd_per_hour = NAN;
	f.source = FLEET_SRC_PROMQL;
	return f;
}

static void config_errors(void **state)
{
	(void)state;
	struct model *m = model_new();
	struct http *h = http_new();
	assert_non_null(m);
	assert_non_null(h);
	char err[256];
	struct fleet_cfg f = cfg_make("gpu", NULL);
	f.q_thr = "up";
	assert_null(promql_source_new(m, h, &f, err, sizeof err));
	assert_string_equal(err, "server '' is not an http:// or https:// URL");
	f.server = "ftp://x:9090";
	assert_null(promql_source_new(m, h, &f, err, sizeof err));
	assert_has(err, "is not an http");
	f.server = "http://p:9090";
	f.q_thr = NULL;
	f.q_util = "";
	assert_null(promql_source_new(m, h, &f, err, sizeof err));
	assert_has(err, "no query");
	assert_null(promql_source_new(m, NULL, &f, err, sizeof err));

	/* an existing fleet is used; credentials stay off the screen */
	struct fleet *pre = model_add_fleet(m, "gpu2");
	assert_non_null(pre);
	pre->count = 7;
	struct fleet_cfg g = cfg_make("gpu2", "HTTPS://user:pw@mimir.example:443/prometheus//");
	g.q_power = "sum by (instance) (p)";
	struct source *s = promql_source_new(m, h, &g, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s->ops->kind, "promql");
	assert_int_equal(m->nfleets, 1);
	assert_ptr_equal(model_fleet(m, "gpu2"), pre);
	assert_int_equal(pre->count, 7);                    /* cfg 0 leaves it */
	assert_true(isnan(pre->usd_per_hour));
	assert_string_equal(pre->unit, "units");
	assert_int_equal(pre->nhealth, 1);
	assert_string_equal(pre->health[0]->kind, "promql");
	assert_string_equal(pre->health[0]->target, "HTTPS://mimir.example:443/prometheus power");
	assert_int_equal(pre->health[0]->status, HEALTH_STALE);
	s->ops->stop(s);                                     /* never added to a set */
	http_free(h);
	model_free(m);
}

/* ---- the source over HTTP ------------------------------------------------------------ */

static struct testlib_server srv;      /* promapi.py */
static char logpath[64] = "";

static int server_start(void **state)
{
	(void)state;
	if (http_global_init() < 0)
		return -1;
	snprintf(logpath, sizeof logpath, "/tmp/perwatt-test-promql-XXXXXX");
	int lfd = mkstemp(logpath);
	if (lfd < 0)
		return -1;
	close(lfd);
	/* no --watch-stdin: promapi.py exits when its stdin closes unless told not to */
	const char *const args[] = { "--max-seconds", "120", "--log", logpath, NULL };
	return testlib_server_start("test_promql", "promapi.py", args, &srv);
}

static int server_stop(void **state)
{
	(void)state;
	testlib_server_stop(&srv);
	if (logpath[0])
		unlink(logpath);
	http_global_cleanup();
	return 0;
}

#define NEED_SERVER() TESTLIB_NEED_SERVER(&srv)

struct rig {
	struct model *m;
	struct http *h;
	struct source_set set;
	double t0;
	struct testlib_loop loop;  /* loop.longest: the slowest single tick / ready pass */
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof *r);
	r->m = model_new();
	r->h = http_new();
	assert_non_null(r->m);
	assert_non_null(r->h);
	source_set_init(&r->set);
	r->loop.set = &r->set;
	r->loop.model = r->m;
}

static void rig_add(struct rig *r, const struct fleet_cfg *f)
{
	char err[256];
	struct source *s = promql_source_new(r->m, r->h, f, err, sizeof err);
	if (!s)
		fail_msg("promql_source_new: %s", err);
	assert_int_equal(source_set_add(&r->set, s), 0);
}

/* Adds the driver last (see http.h) and starts everything. */
static void rig_start(struct rig *r)
{
	assert_int_equal(source_set_add(&r->set, http_source(r->h)), 0);
	r->t0 = clock_now();
	assert_int_equal(source_set_start(&r->set, r->t0), 0);
}

struct until {
	struct rig *r;
	bool (*holds)(struct rig *, void *);
	void *arg;
};

static bool until_holds(void *ctx)
{
	struct until *u = ctx;
	return u->holds(u->r, u->arg);
}

/* The dashboard's loop (as fetch/drive.c runs it: a model tick once a
 * second), for `seconds`, or until until(arg) holds. */
static void rig_run(struct rig *r, double seconds, bool (*until)(struct rig *, void *), void *arg)
{
	struct until u = { r, until, arg };
	r->loop.done = until ? until_holds : NULL;
	r->loop.ctx = &u;
	testlib_run(&r->loop, seconds);
}

static void rig_free(struct rig *r)
{
	source_set_free(&r->set);
	model_free(r->m);
}

static struct source_health *health_of(struct fleet *f, const char *figure)
{
	for (size_t i = 0; i < f->nhealth; i++) {
		const char *sp = strrchr(f->health[i]->target, ' ');
		if (sp && strcmp(sp + 1, figure) == 0)
			return f->health[i];
	}
	fail_msg("fleet %s has no health record for %s", f->name, figure);
	return NULL;
}

static struct instance *inst_of(struct fleet *f, const char *id)
{
	struct instance *in = fleet_instance(f, id, false);
	if (!in)
		fail_msg("fleet %s has no instance %s", f->name, id);
	return in;
}

/* Points of the last 900 s with a value, and the value of the one `ago` s back. */
static size_t history(const struct series *s, double now, double ago, double *val)
{
	static float pts[900];
	size_t n = series_points(s, now, 1, pts, 900);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(pts[i]))
			k++;
	if (val) {
		size_t at = n - 1 - (size_t)ago;
		*val = pts[at];
	}
	return k;
}

/* The server's request log: lines whose query holds `tag`. */
struct log_entry {
	char method[8], path[32], ctype[80];
	char query[256];
	double time, start, end, step, at;   /* parameters; `at`: when it came */
	bool has_time;
};

struct logged {
	size_t n;
	struct log_entry r[64];
};

static double num_param(const cJSON *params, const char *name, bool *has)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(params, name);
	if (has)
		*has = cJSON_IsString(x);
	return cJSON_IsString(x) ? strtod(x->valuestring, NULL) : NAN;
}

static void read_log(const char *tag, const char *path, struct logged *out)
{
	memset(out, 0, sizeof *out);
	FILE *f = fopen(logpath, "r");
	assert_non_null(f);
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		cJSON *j = cJSON_Parse(line);
		assert_non_null(j);
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
		const cJSON *q = cJSON_GetObjectItemCaseSensitive(params, "query");
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
		if (cJSON_IsString(q) && strstr(q->valuestring, tag) && cJSON_IsString(p) &&
		    strcmp(p->valuestring, path) == 0 && out->n < 64) {
			struct log_entry *r = &out->r[out->n++];
			snprintf(r->method, sizeof r->method, "%s",
			         cJSON_GetObjectItemCaseSensitive(j, "method")->valuestring);
			snprintf(r->path, sizeof r->path, "%s", p->valuestring);
			snprintf(r->ctype, sizeof r->ctype, "%s",
			         cJSON_GetObjectItemCaseSensitive(j, "ctype")->valuestring);
			snprintf(r->query, sizeof r->query, "%s", q->valuestring);
			r->time = num_param(params, "time", &r->has_time);
			r->start = num_param(params, "start", NULL);
			r->end = num_param(params, "end", NULL);
			r->step = num_param(params, "step", NULL);
			r->at = cJSON_GetObjectItemCaseSensitive(j, "t")->valuedouble;
		}
		cJSON_Delete(j);
	}
	fclose(f);
}

static bool all_ok(struct rig *r, void *arg)
{
	struct fleet *f = model_fleet(r->m, arg);
	for (size_t i = 0; f && i < f->nhealth; i++)
		if (f->health[i]->status != HEALTH_OK)
			return false;
	return f != NULL;
}

#define Q_THR   "sum by (instance) (rate(inferences_total{model=~\"a b|c\",x!=\"&=+%\"}[1m])) # v=100,200 dup t1"
#define Q_POWER "sum by (instance) (power_watts) # v=300,400 t1"
#define Q_UTIL  "avg by (instance) (util_percent) # v=40,60 dup t1"

/* Live values, backfilled history, the requests on the wire. */
static void values_and_backfill(void **state)
{
	(void)state;
	NEED_SERVER();
	char server[80];
	snprintf(server, sizeof server, "%s/", srv.base);     /* a trailing slash is fine */
	struct fleet_cfg f = cfg_make("gpu", server);
	f.instance_type = "g4dn.2xlarge";
	f.unit = "inferences";
	f.instances = 2;
	f.usd_per_hour = 0.752;
	f.baseline = true;
	f.q_thr = Q_THR;
	f.q_power = Q_POWER;
	f.q_util = Q_UTIL;
	f.interval = 0.25;
	f.timeout = 3;
	struct rig r;
	rig_init(&r);
	rig_add(&r, &f);
	rig_start(&r);
	rig_run(&r, 10, all_ok, "gpu");
	double t_ok = clock_now();
	rig_run(&r, 1.2, NULL, NULL);
	double now = clock_now();
	assert_true(t_ok - r.t0 < 2);

	struct fleet *fl = model_fleet(r.m, "gpu");
	assert_non_null(fl);
	assert_string_equal(fl->instance_type, "g4dn.2xlarge");
	assert_string_equal(fl->unit, "inferences");
	assert_int_equal(fl->count, 2);
	assert_close(fl->usd_per_hour, 0.752, 0);
	assert_string_equal(fl->price_source, "config");
	assert_true(fl->baseline);
	assert_int_equal(fl->nhealth, 3);
	static const char *const figs[] = { "throughput", "power", "utilization" };
	for (int k = 0; k < 3; k++) {
		struct source_health *h = health_of(fl, figs[k]);
		char target[160];
		snprintf(target, sizeof target, "%s %s", srv.base, figs[k]);
		assert_string_equal(h->target, target);
		assert_string_equal(h->kind, "promql");
		assert_int_equal(h->status, HEALTH_OK);
		assert_string_equal(h->error, "");
		assert_true(h->latency_ms >= 0 && h->latency_ms < 2000);
		if (!(h->last_ok > r.t0 && now - h->last_ok < 1))
			fail_msg("%s: last ok %.3f s after the start, %.3f s ago", figs[k],
			         h->last_ok - r.t0, now - h->last_ok);
	}
	assert_int_equal(fl->ninst, 2);
	struct instance *a = inst_of(fl, "host-1:9100"), *b = inst_of(fl, "host-2:9100");
	/* two series per instance: summed for throughput, averaged for utilization */
	assert_close(a->m[MET_THROUGHPUT].last_v, 200, 0);
	assert_close(b->m[MET_THROUGHPUT].last_v, 400, 0);
	assert_close(a->m[MET_POWER].last_v, 300, 0);
	assert_close(b->m[MET_POWER].last_v, 400, 0);
	assert_close(a->m[MET_UTIL].last_v, 40, 0);
	assert_close(b->m[MET_UTIL].last_v, 60, 0);
	assert_int_equal(a->m[MET_POWER].last_prov, PROV_MEASURED);
	if (!(now - a->m[MET_POWER].last_t < 0.6)) {
		struct logged lq;
		read_log(Q_POWER, "/api/v1/query", &lq);
		for (size_t i = 0; i < lq.n; i++)
			fprintf(stderr, "power query at +%.3f\n", lq.r[i].at - lq.r[0].at);
		fail_msg("power: last sample %.3f s ago, %.3f s after the start; all ok after %.3f s",
		         now - a->m[MET_POWER].last_t, a->m[MET_POWER].last_t - r.t0, t_ok - r.t0);
	}

	/* backfill: the server answers half the live value at every step */
	if (now > PROMQL_BACKFILL_RANGE + 60) {
		double v;
		assert_true(history(&a->m[MET_POWER], now, 600, &v) >= 890);
		assert_close(v, 150, 0);
		assert_true(history(&b->m[MET_THROUGHPUT], now, 300, &v) >= 890);
		assert_close(v, 200, 0);
		assert_true(history(&b->m[MET_UTIL], now, 899, &v) >= 890);
		assert_close(v, 30, 0);
		/* and the newest seconds are live */
		history(&a->m[MET_POWER], now, 1, &v);
		assert_close(v, 300, 0);
		/* the fleet's totals too: mean of the instances times the count (2) */
		assert_true(history(&fl->total[MET_POWER], now, 600, &v) >= 890);
		assert_close(v, 350, 0);
		history(&fl->total[MET_THROUGHPUT], now, 700, &v);
		assert_close(v, 300, 0);
		history(&fl->total[MET_UTIL], now, 800, &v);
		assert_close(v, 25, 0);
		assert_close(fl->total[MET_POWER].last_v, 700, 0);    /* model_tick's, live */
		assert_close(fl->total[MET_THROUGHPUT].last_v, 600, 0);
		/* a 10 s window still holds backfilled seconds */
		struct fleet_stats st;
		fleet_derive(fl, now, 10, &st);
		assert_true(st.power_total > 350 && st.power_total < 700);
		/* no slot mixes backfilled and live values */
		static float pts[900];
		series_points(&a->m[MET_POWER], now, 1, pts, 900);
		for (size_t i = 0; i < 900; i++)
			if (!isnan(pts[i]) && pts[i] != 150 && pts[i] != 300)
				fail_msg("slot %zu s ago holds %g", 899 - i, pts[i]);
	}

	/* the wire: form-encoded POSTs, the query intact, our time, a 900 s range */
	static const char *const exprs[] = { Q_THR, Q_POWER, Q_UTIL };
	struct logged lg;
	for (int k = 0; k < 3; k++) {
		read_log(exprs[k], "/api/v1/query", &lg);
		/* every 0.25 s for about 1.2 s and the time before all were ok */
		assert_true(lg.n >= 4);
		assert_true((double)lg.n <= (now - r.t0) / 0.25 + 2);
		for (size_t i = 0; i < lg.n; i++) {
			assert_string_equal(lg.r[i].method, "POST");
			assert_has(lg.r[i].ctype, "application/x-www-form-urlencoded");
			assert_string_equal(lg.r[i].query, exprs[k]);
			assert_true(lg.r[i].has_time);
			assert_close(lg.r[i].time, lg.r[i].at, 1);
		}
		read_log(exprs[k], "/api/v1/query_range", &lg);
		assert_int_equal(lg.n, 1);
		assert_string_equal(lg.r[0].method, "POST");
		assert_string_equal(lg.r[0].query, exprs[k]);
		assert_close(lg.r[0].step, 1, 0);
		assert_close(lg.r[0].end - lg.r[0].start, 900, 0);
		assert_close(lg.r[0].end, floor(lg.r[0].end), 0);
		assert_close(lg.r[0].end, floor(lg.r[0].at) - 1, 1);
	}
	/* queries sent together share one evaluation time */
	struct logged lt, lp;
	read_log(Q_THR, "/api/v1/query", &lt);
	read_log(Q_POWER, "/api/v1/query", &lp);
	assert_close(lt.r[0].time, lp.r[0].time, 0);
	assert_true(r.loop.longest < 0.5);
	rig_free(&r);
}

/* What the health lines say for every kind of trouble. */
static void health_texts(void **state)
{
	(void)state;
	NEED_SERVER();
	struct rig r;
	rig_init(&r);
	struct fleet_cfg f = cfg_make("bad", srv.base);
	f.q_thr = "rate(x[1m] # error t2";
	f.q_power = "power # v=5 warn t2";
	f.q_util = "util # empty t2";
	f.interval = 0.3;
	rig_add(&r, &f);
	f = cfg_make("odd", srv.base);
	f.q_thr = "up[5m] # matrix t2";
	f.q_power = "power # notjson t2";
	f.q_util = "util # escape v=7,8 t2";
	f.interval = 0.3;
	rig_add(&r, &f);
	f = cfg_make("sc", srv.base);
	f.q_thr = "sum(x) # scalar v=42 t2";
	f.q_power = "power # nan v=1,2 t2";
	f.q_util = "util # nolabel norange v=3,4 t2";
	f.interval = 0.3;
	rig_add(&r, &f);
	char gone[80];
	snprintf(gone, sizeof gone, "%s/nothere", srv.base);
	f = cfg_make("lost", gone);                         /* 404 page not found */
	f.q_thr = "up # t2";
	f.interval = 0.3;
	rig_add(&r, &f);
	rig_start(&r);
	rig_run(&r, 1.5, NULL, NULL);

	struct fleet *bad = model_fleet(r.m, "bad"), *odd = model_fleet(r.m, "odd");
	struct fleet *sc = model_fleet(r.m, "sc"), *lost = model_fleet(r.m, "lost");
	struct source_health *h;

	h = health_of(bad, "throughput");
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_string_equal(h->error,
	                    "bad_data: invalid parameter \"query\": 1:8: parse error: unclosed left parenthesis");
	assert_true(h->latency_ms >= 0);
	assert_true(h->last_ok < 0);
	h = health_of(bad, "power");
	assert_int_equal(h->status, HEALTH_OK);
	assert_string_equal(h->error, "warning: PromQL warning: encountered a mix of histograms and "
	                              "floats for aggregation");
	assert_close(inst_of(bad, "host-1:9100")->m[MET_POWER].last_v, 5, 0);
	h = health_of(bad, "utilization");
	assert_int_equal(h->status, HEALTH_STALE);
	assert_string_equal(h->error, "query returned no series");

	h = health_of(odd, "throughput");
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_has(h->error, "range vector (matrix); it must return an instant vector");
	h = health_of(odd, "power");
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_has(h->error, "not an API answer (text/html): invalid JSON at byte 0");
	h = health_of(odd, "utilization");
	assert_int_equal(h->status, HEALTH_OK);
	assert_close(inst_of(odd, "?[2Jevil?")->m[MET_UTIL].last_v, 7, 0);
	assert_close(inst_of(odd, "bad??utf8")->m[MET_UTIL].last_v, 8, 0);
	for (size_t i = 0; i < odd->ninst; i++)
		assert_true(clean_text(odd->inst[i]->id));

	h = health_of(sc, "throughput");
	assert_int_equal(h->status, HEALTH_OK);
	assert_close(inst_of(sc, "sc")->m[MET_THROUGHPUT].last_v, 42, 0);
	h = health_of(sc, "power");
	assert_int_equal(h->status, HEALTH_STALE);
	assert_has(h->error, "no finite value");
	/* the backfill failed (503), the live query works: ok, little history */
	h = health_of(sc, "utilization");
	assert_int_equal(h->status, HEALTH_OK);
	assert_string_equal(h->error, "");
	struct instance *z1 = inst_of(sc, "{job=\"x\",zone=\"z1\"}");
	assert_close(z1->m[MET_UTIL].last_v, 3, 0);
	assert_close(inst_of(sc, "{job=\"x\",zone=\"z2\"}")->m[MET_UTIL].last_v, 4, 0);
	assert_true(history(&z1->m[MET_UTIL], clock_now(), 0, NULL) < 10);
	/* scalar backfill went to the fleet-named instance */
	if (clock_now() > PROMQL_BACKFILL_RANGE + 60)
		assert_true(history(&inst_of(sc, "sc")->m[MET_THROUGHPUT], clock_now(), 0, NULL) >= 890);

	h = health_of(lost, "throughput");
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_has(h->error, "HTTP 404");
	assert_has(h->error, "404 page not found");
	assert_int_equal(lost->ninst, 0);

	/* failures back off: the bad query was asked far less often than the good one */
	struct logged le, lw;
	read_log("rate(x[1m] # error t2", "/api/v1/query", &le);
	read_log("power # v=5 warn t2", "/api/v1/query", &lw);
	assert_true(lw.n >= 4);
	assert_true(le.n <= 3);
	for (size_t i = 0; i < r.m->nfleets; i++)
		for (size_t k = 0; k < r.m->fleets[i]->nhealth; k++)
			assert_true(clean_text(r.m->fleets[i]->health[k]->error));
	rig_free(&r);
}

static bool power_seen(struct rig *r, void *arg)
{
	double *when = arg;
	struct fleet *f = model_fleet(r->m, "slowf");
	struct instance *in = f ? fleet_instance(f, "host-1:9100", false) : NULL;
	if (in && in->m[MET_POWER].last_t > 0 && *when < 0)
		*when = clock_now();
	return false;
}

/* A query that takes longer than the timeout delays nobody else. */
static void slow_query_alone(void **state)
{
	(void)state;
	NEED_SERVER();
	struct rig r;
	rig_init(&r);
	struct fleet_cfg f = cfg_make("slowf", srv.base);
	f.q_thr = "x # slow=3 v=1 t3";
	f.q_power = "y # v=2 t3";
	f.interval = 0.2;
	f.timeout = 1;
	rig_add(&r, &f);
	rig_start(&r);
	double first_power = -1;
	rig_run(&r, 2.6, power_seen, &first_power);
	double now = clock_now();

	struct fleet *fl = model_fleet(r.m, "slowf");
	struct source_health *thr = health_of(fl, "throughput"), *pw = health_of(fl, "power");
	assert_int_equal(thr->status, HEALTH_FAILING);
	assert_has(thr->error, "timeout");
	if (getenv("TEST_PROMQL_VERBOSE"))
		fprintf(stderr, "slow: %s\n", thr->error);
	assert_int_equal(pw->status, HEALTH_OK);
	assert_true(first_power > 0 && first_power - r.t0 < 0.8);
	struct instance *in = inst_of(fl, "host-1:9100");
	assert_close(in->m[MET_POWER].last_v, 2, 0);
	assert_true(now - in->m[MET_POWER].last_t < 0.5);
	assert_true(isnan(in->m[MET_THROUGHPUT].last_v) || in->m[MET_THROUGHPUT].last_t < 0);

	struct logged ls, lp;
	read_log("x # slow=3 v=1 t3", "/api/v1/query", &ls);
	read_log("y # v=2 t3", "/api/v1/query", &lp);
	if (getenv("TEST_PROMQL_VERBOSE"))
		for (size_t i = 0; i < ls.n; i++)
			fprintf(stderr, "slow query sent at +%.3f s\n", ls.r[i].at - ls.r[0].at);
	if (getenv("TEST_PROMQL_VERBOSE"))
		for (size_t i = 0; i < lp.n; i++)
			fprintf(stderr, "power query sent at +%.3f s\n", lp.r[i].at - ls.r[0].at);
	/* one in flight at a time, then backoff: sent at 0, ~1.4, ~2.5 at most */
	assert_true(ls.n >= 1 && ls.n <= 3);
	assert_true(lp.n >= 9);
	assert_true(r.loop.longest < 0.3);
	/* stopping with the slow requests (instant and backfill) in flight */
	rig_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_fixtures),
		cmocka_unit_test(fixture_folder_covered),
		cmocka_unit_test(matrix_series_index),
		cmocka_unit_test(warnings_and_infos),
		cmocka_unit_test(malformed_answers),
		cmocka_unit_test(truncated_answers),
		cmocka_unit_test(nonfinite_and_huge_values),
		cmocka_unit_test(parse_value),
		cmocka_unit_test(parse_value_locale),
		cmocka_unit_test(label_ids_sanitized),
		cmocka_unit_test(all_or_nothing),
		cmocka_unit_test(deep_nesting),
		cmocka_unit_test(form_encode),
		cmocka_unit_test(range_step),
		cmocka_unit_test(config_errors),
		cmocka_unit_test(values_and_backfill),
		cmocka_unit_test(health_texts),
		cmocka_unit_test(slow_query_alone),
	};
	return cmocka_run_group_tests(tests, server_start, server_stop);
}
