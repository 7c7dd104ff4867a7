/*
 * Tests of the CloudWatch / Price List protocol (core/cwproto): golden
 * request bodies (tests/fixtures/cloudwatch/golden-*.json are byte-exact
 * builder output, and tests/aws/curl-sigv4.sh sends those very files through
 * curl's SigV4 to a verifying server), batching at the limits, windows,
 * periods, late datapoints, every answer shape on fixtures shaped as the
 * service answers, hostile and truncated answers, errors, and the
 * arithmetic.  Pure: no network, no clock.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/cwproto.h"
#include "testlib.h"
#include "core/format.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif
#define FIXTURES TOP_SRCDIR "/tests/fixtures/cloudwatch"

#define assert_has(hay, needle) do { \
	const char *hay_ = (hay); \
	if (!hay_ || !strstr(hay_, (needle))) \
		fail_msg("\"%s\" does not contain \"%s\"", hay_ ? hay_ : "(null)", (needle)); \
} while (0)
#define assert_close(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%.17g is not within %g of %.17g", a_, (double)(eps), b_); \
} while (0)

/* ---- helpers -------------------------------------------------------------------- */

/* The file's bytes in a buffer of exactly that size (no NUL after them), so
 * that the sanitizers catch any read past the end. */
static char *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
	return testlib_slurp(path, len);
}

static char *exact_copy(const char *s, size_t len)
{
	char *b = malloc(len ? len : 1);
	assert_non_null(b);
	memcpy(b, s, len);
	return b;
}

/* Compares a built body with a golden file, byte for byte. */
static void assert_golden(const char *body, const char *name)
{
	size_t len;
	char *want = slurp(name, &len);
	assert_non_null(body);
	if (strlen(body) != len || memcmp(body, want, len) != 0)
		fail_msg("body differs from %s:\n got: %s\nwant: %.*s", name, body, (int)len, want);
	free(want);
}

static bool clean_text(const char *s)
{
	char copy[1024];
	fmt_sanitize(copy, sizeof copy, s, true);
	return strcmp(copy, s) == 0 && !strchr(s, '\n');
}

#define GOT_MAX 64
struct got {
	size_t n, nres;
	size_t stop_at;             /* stop on this point (1-based; 0: never) */
	struct { char id[CW_ID_MAX]; double t, v; } p[GOT_MAX];
	struct {
		char id[CW_ID_MAX], label[CW_TEXT_MAX], message[CW_TEXT_MAX];
		enum cw_status status;
		size_t points, skipped;
	} r[16];
};

static int got_point(void *user, const char *id, double t, double v)
{
	struct got *g = user;
	assert_true(cw_id_valid(id));
	assert_true(isfinite(v));
	if (g->n < GOT_MAX) {
		snprintf(g->p[g->n].id, sizeof g->p[g->n].id, "%s", id);
		g->p[g->n].t = t;
		g->p[g->n].v = v;
	}
	g->n++;
	return g->stop_at && g->n >= g->stop_at;
}

static int got_result(void *user, const struct cw_result *r)
{
	struct got *g = user;
	assert_true(clean_text(r->label));
	assert_true(clean_text(r->message));
	if (g->nres < 16) {
		snprintf(g->r[g->nres].id, sizeof g->r[g->nres].id, "%s", r->id);
		snprintf(g->r[g->nres].label, sizeof g->r[g->nres].label, "%s", r->label);
		snprintf(g->r[g->nres].message, sizeof g->r[g->nres].message, "%s", r->message);
		g->r[g->nres].status = r->status;
		g->r[g->nres].points = r->points;
		g->r[g->nres].skipped = r->skipped;
	}
	g->nres++;
	return 0;
}

static int gmd_buf(const char *b, size_t len, struct got *g, struct cw_gmd_info *info, char *err, size_t n)
{
	struct cw_gmd_sink sink = { got_point, got_result, g };
	char *copy = exact_copy(b, len);
	int rc = cw_gmd_parse(copy, len, &sink, info, err, n);
	free(copy);
	return rc;
}

static int gmd_str(const char *s, struct got *g, struct cw_gmd_info *info, char *err, size_t n)
{
	memset(g, 0, sizeof *g);
	return gmd_buf(s, strlen(s), g, info, err, n);
}

static int gmd_file(const char *name, struct got *g, struct cw_gmd_info *info, char *err, size_t n)
{
	size_t len;
	char *b = slurp(name, &len);
	memset(g, 0, sizeof *g);
	int rc = gmd_buf(b, len, g, info, err, n);
	free(b);
	return rc;
}

/* A MetricStat query on one instance. */
static struct cw_query stat_query(size_t i, const char *metric, int period, const struct cw_dim *dims,
                                  size_t ndims)
{
	struct cw_query q;
	memset(&q, 0, sizeof q);
	cw_id_make(q.id, sizeof q.id, metric, i);
	q.metric.ns = "CWAgent";
	q.metric.name = metric;
	q.metric.dims = dims;
	q.metric.ndims = ndims;
	q.stat = "Average";
	q.period = period;
	return q;
}

/* ---- ids ------------------------------------------------------------------------ */

static void test_ids(void **state)
{
	(void)state;
	assert_true(cw_id_valid("pwr"));
	assert_true(cw_id_valid("e1"));
	assert_true(cw_id_valid("gpu_A_power_7"));
	assert_false(cw_id_valid(""));
	assert_false(cw_id_valid(NULL));
	assert_false(cw_id_valid("Pwr"));
	assert_false(cw_id_valid("1abc"));
	assert_false(cw_id_valid("_abc"));
	assert_false(cw_id_valid("a-b"));
	assert_false(cw_id_valid("a b"));
	char longid[CW_ID_MAX + 1];
	memset(longid, 'a', CW_ID_MAX);
	longid[CW_ID_MAX] = '\0';
	assert_false(cw_id_valid(longid));
	longid[CW_ID_MAX - 1] = '\0';
	assert_true(cw_id_valid(longid));

	char id[CW_ID_MAX];
	assert_int_equal(cw_id_make(id, sizeof id, "gpu-A power", 7), strlen("gpu_A_power_7"));
	assert_string_equal(id, "gpu_A_power_7");
	cw_id_make(id, sizeof id, "Inf2", 3);
	assert_string_equal(id, "qInf2_3");
	cw_id_make(id, sizeof id, "", 12);
	assert_string_equal(id, "q12");
	cw_id_make(id, sizeof id, NULL, 0);
	assert_string_equal(id, "q0");
	cw_id_make(id, sizeof id, "--nvidia_smi_power_draw--", 499);
	assert_string_equal(id, "qnvidia_smi_power_draw_499");
	cw_id_make(id, sizeof id, "\xc3\xa9t\xc3\xa9 \x1b[31m", 1);
	assert_true(cw_id_valid(id));
	/* a long hint is cut so that the index stays */
	char hint[200];
	memset(hint, 'x', sizeof hint - 1);
	hint[sizeof hint - 1] = '\0';
	size_t n = cw_id_make(id, sizeof id, hint, 123456);
	assert_int_equal(n, CW_ID_MAX - 1);
	assert_true(cw_id_valid(id));
	assert_string_equal(id + n - 7, "_123456");
	/* tiny buffers */
	char small[4];
	assert_int_equal(cw_id_make(small, sizeof small, "power", 5), 3);
	assert_string_equal(small, "p_5");
	assert_int_equal(cw_id_make(small, sizeof small, "Power", 5), 3);
	assert_string_equal(small, "q_5");
	assert_int_equal(cw_id_make(small, sizeof small, "", 5), 2);
	assert_string_equal(small, "q5");
	assert_int_equal(cw_id_make(small, sizeof small, "power", 12345), 0);
	assert_string_equal(small, "");
	/* unique across the queries of many fleets */
	char a[CW_ID_MAX], b[CW_ID_MAX];
	cw_id_make(a, sizeof a, "fleet a", 1);
	cw_id_make(b, sizeof b, "fleet-a", 2);
	assert_string_not_equal(a, b);
}

/* ---- request bodies -------------------------------------------------------------- */

static const struct cw_dim pwr_dims[] = {
	{ "InstanceId", "i-0123456789abcdef0" },
	{ "index", "0" },
};

/* The body the JS SDK sent in the reference capture (section 1.2, without
 * LabelOptions), built here byte for byte. */
static void test_gmd_golden(void **state)
{
	(void)state;
	struct cw_query q[2];
	memset(q, 0, sizeof q);
	snprintf(q[0].id, sizeof q[0].id, "pwr");
	q[0].metric = (struct cw_metric){ "CWAgent", "nvidia_smi_power_draw", pwr_dims, 2 };
	q[0].period = 60;
	q[0].stat = "Average";
	q[0].unit = "None";
	snprintf(q[1].id, sizeof q[1].id, "e1");
	q[1].expression = "pwr * 2";
	q[1].label = "double";
	struct cw_gmd_request r = { q, 2, 1767225600, 1767229200.5, CW_SCAN_DESCENDING, 1000, NULL };
	char err[256];
	char *body = cw_gmd_build(&r, err, sizeof err);
	assert_golden(body, "golden-gmd.json");
	free(body);

	/* the second page of the same call, oldest first, an input hidden,
	 * an expression with its own period, quotes and UTF-8 in a label */
	q[0].hidden = true;
	q[0].unit = NULL;
	q[1].period = 300;
	q[1].label = "W \"board\" \xc3\xa9";
	r.scan = CW_SCAN_ASCENDING;
	r.max_datapoints = 0;
	r.next_token = "eyJvIjoyfQ==";
	body = cw_gmd_build(&r, err, sizeof err);
	assert_non_null(body);
	assert_string_equal(body,
		"{\"MetricDataQueries\":[{\"Id\":\"pwr\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"CWAgent\","
		"\"MetricName\":\"nvidia_smi_power_draw\",\"Dimensions\":[{\"Name\":\"InstanceId\","
		"\"Value\":\"i-0123456789abcdef0\"},{\"Name\":\"index\",\"Value\":\"0\"}]},\"Period\":60,"
		"\"Stat\":\"Average\"},\"ReturnData\":false},{\"Id\":\"e1\",\"Expression\":\"pwr * 2\","
		"\"Label\":\"W \\\"board\\\" \xc3\xa9\",\"ReturnData\":true,\"Period\":300}],"
		"\"StartTime\":1767225600,\"EndTime\":1767229200.5,\"NextToken\":\"eyJvIjoyfQ==\","
		"\"ScanBy\":\"TimestampAscending\"}");
	free(body);

	/* a metric without dimensions; epoch seconds past 2038 stay exact */
	struct cw_query one;
	memset(&one, 0, sizeof one);
	snprintf(one.id, sizeof one.id, "thr");
	one.metric = (struct cw_metric){ "Perwatt/App", "Inferences", NULL, 0 };
	one.period = 60;
	one.stat = "Sum";
	struct cw_gmd_request r2 = { &one, 1, 4102444800.0, 4102448400.0, CW_SCAN_DESCENDING, 0, "" };
	body = cw_gmd_build(&r2, err, sizeof err);
	assert_string_equal(body,
		"{\"MetricDataQueries\":[{\"Id\":\"thr\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"Perwatt/App\","
		"\"MetricName\":\"Inferences\",\"Dimensions\":[]},\"Period\":60,\"Stat\":\"Sum\"},"
		"\"ReturnData\":true}],\"StartTime\":4102444800,\"EndTime\":4102448400,"
		"\"ScanBy\":\"TimestampDescending\"}");
	free(body);
}

static void test_gmd_build_refuses(void **state)
{
	(void)state;
	char err[256];
	struct cw_query q[2];
	q[0] = stat_query(0, "power", 60, pwr_dims, 2);
	q[1] = stat_query(1, "power", 60, pwr_dims, 2);
	struct cw_gmd_request r = { q, 2, 100, 200, CW_SCAN_DESCENDING, 0, NULL };

	char *b = cw_gmd_build(&r, err, sizeof err);
	assert_non_null(b);
	free(b);

	snprintf(q[1].id, sizeof q[1].id, "Power_1");
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "query id \"Power_1\" is not valid");

	snprintf(q[1].id, sizeof q[1].id, "%s", q[0].id);
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "used twice");

	q[1] = stat_query(1, "power", 0, pwr_dims, 2);
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "period");

	q[1] = stat_query(1, "power", 60, pwr_dims, 2);
	q[1].stat = "";
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "no statistic");

	q[1] = stat_query(1, "power", 60, pwr_dims, 2);
	q[1].metric.ns = NULL;
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "or an expression");

	static const struct cw_dim novalue[] = { { "InstanceId", NULL } };
	q[1] = stat_query(1, "power", 60, novalue, 1);
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "dimension InstanceId has no value");

	q[1] = stat_query(1, "power", 60, pwr_dims, 31);
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "31 dimensions");

	q[1] = stat_query(1, "power", 60, pwr_dims, 2);
	q[1].expression = "";
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "empty expression");

	q[1].expression = NULL;
	r.start = 200;
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "start < end");
	r.start = NAN;
	assert_null(cw_gmd_build(&r, err, sizeof err));
	r.start = 100;

	r.n = 0;
	assert_null(cw_gmd_build(&r, err, sizeof err));
	assert_has(err, "no queries");

	struct cw_query *many = calloc(CW_MAX_QUERIES + 1, sizeof *many);
	assert_non_null(many);
	for (size_t i = 0; i <= CW_MAX_QUERIES; i++)
		many[i] = stat_query(i, "power", 60, pwr_dims, 2);
	struct cw_gmd_request big = { many, CW_MAX_QUERIES, 100, 200, CW_SCAN_DESCENDING, 0, NULL };
	b = cw_gmd_build(&big, err, sizeof err);
	assert_non_null(b);
	assert_has(b, "\"Id\":\"power_499\"");
	free(b);
	big.n = CW_MAX_QUERIES + 1;
	assert_null(cw_gmd_build(&big, err, sizeof err));
	assert_has(err, "501 queries");
	free(many);
}

static void test_lm_and_products_golden(void **state)
{
	(void)state;
	char err[256];
	/* the body the JS SDK sent (reference section 1.2) */
	static const struct cw_dim by_instance[] = { { "InstanceId", NULL } };
	struct cw_lm_request lm = { "AWS/EC2", "CPUUtilization", by_instance, 1, true, NULL };
	char *b = cw_lm_build(&lm, err, sizeof err);
	assert_golden(b, "golden-lm.json");
	free(b);

	/* a second page, filters with and without values */
	static const struct cw_dim two[] = { { "InstanceId", "i-0123456789abcdef0" }, { "index", NULL } };
	struct cw_lm_request lm2 = { "CWAgent", "nvidia_smi_power_draw", two, 2, false, "bG0tcGFnZS0y" };
	b = cw_lm_build(&lm2, err, sizeof err);
	assert_string_equal(b, "{\"Namespace\":\"CWAgent\",\"MetricName\":\"nvidia_smi_power_draw\","
	                       "\"Dimensions\":[{\"Name\":\"InstanceId\",\"Value\":\"i-0123456789abcdef0\"},"
	                       "{\"Name\":\"index\"}],\"NextToken\":\"bG0tcGFnZS0y\"}");
	free(b);

	/* empty input still needs "{}" */
	struct cw_lm_request all = { NULL, NULL, NULL, 0, false, NULL };
	b = cw_lm_build(&all, err, sizeof err);
	assert_string_equal(b, "{}");
	free(b);

	struct cw_dim eleven[11];
	for (size_t i = 0; i < 11; i++)
		eleven[i] = (struct cw_dim){ "InstanceId", NULL };
	struct cw_lm_request toomany = { "AWS/EC2", NULL, eleven, 11, true, NULL };
	assert_null(cw_lm_build(&toomany, err, sizeof err));
	assert_has(err, "11 dimensions");
	static const struct cw_dim noname[] = { { "", "x" } };
	struct cw_lm_request bad = { "AWS/EC2", NULL, noname, 1, true, NULL };
	assert_null(cw_lm_build(&bad, err, sizeof err));
	assert_has(err, "no name");

	/* the Price List body the JS SDK sent (reference section 5) */
	struct cw_products_request pr = { "inf2.xlarge", "us-east-1", 100, NULL };
	b = cw_products_build(&pr, err, sizeof err);
	assert_golden(b, "golden-getproducts.json");
	free(b);
	pr.next_token = "WGDY7ko8fQXdlaUZVdasFQ==:RVSag";
	pr.max_results = 0;
	b = cw_products_build(&pr, err, sizeof err);
	assert_has(b, "\"FormatVersion\":\"aws_v1\",\"NextToken\":\"WGDY7ko8fQXdlaUZVdasFQ==:RVSag\"}");
	free(b);
	pr.max_results = 101;
	assert_null(cw_products_build(&pr, err, sizeof err));
	assert_has(err, "MaxResults");
	pr.max_results = 1;
	pr.instance_type = "";
	assert_null(cw_products_build(&pr, err, sizeof err));
	assert_has(err, "instance type");
}

/* ---- batching ---------------------------------------------------------------------- */

static void test_batch_queries_limit(void **state)
{
	(void)state;
	enum { N = 1001 };
	struct cw_query *q = calloc(N, sizeof *q);
	assert_non_null(q);
	for (size_t i = 0; i < N; i++)
		q[i] = stat_query(i, "power", 60, pwr_dims, 2);
	struct cw_batch b[4];
	size_t nb;
	char err[256];

	/* 500 queries of 60 points each (1 h at 60 s): one call, at the limit */
	assert_int_equal(cw_batch_plan(q, 500, 3600, b, 4, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 1);
	assert_int_equal(b[0].first, 0);
	assert_int_equal(b[0].count, 500);
	assert_int_equal(b[0].datapoints, 30000);

	/* one more: a second call */
	assert_int_equal(cw_batch_plan(q, 501, 3600, b, 4, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 2);
	assert_int_equal(b[0].count, 500);
	assert_int_equal(b[1].first, 500);
	assert_int_equal(b[1].count, 1);

	assert_int_equal(cw_batch_plan(q, N, 3600, b, 4, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 3);
	assert_int_equal(b[2].first, 1000);
	assert_int_equal(b[2].count, 1);

	/* too little room: says how many are needed */
	assert_int_equal(cw_batch_plan(q, N, 3600, b, 2, &nb, err, sizeof err), -1);
	assert_int_equal(nb, 3);
	assert_has(err, "3 calls");

	/* nothing to ask: no calls */
	assert_int_equal(cw_batch_plan(q, 0, 3600, b, 4, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 0);
	assert_int_equal(cw_batch_plan(q, 1, 0, b, 4, &nb, err, sizeof err), -1);

	/* every call the plan makes is a body the builder accepts */
	assert_int_equal(cw_batch_plan(q, N, 3600, b, 4, &nb, err, sizeof err), 0);
	for (size_t k = 0; k < nb; k++) {
		struct cw_gmd_request r = { q + b[k].first, b[k].count, 0, 3600, CW_SCAN_DESCENDING, 0, NULL };
		char *body = cw_gmd_build(&r, err, sizeof err);
		assert_non_null(body);
		free(body);
	}
	free(q);
}

static void test_batch_datapoints_limit(void **state)
{
	(void)state;
	struct cw_query q[64];
	for (size_t i = 0; i < 64; i++)
		q[i] = stat_query(i, "power", 1, pwr_dims, 2);
	struct cw_batch b[8];
	size_t nb;
	char err[256];

	/* 1 h at 1 s is 3,600 points: 28 queries are exactly 100,800 */
	assert_int_equal(cw_query_datapoints(&q[0], 3600, 60), 3600);
	assert_int_equal(cw_batch_plan(q, 28, 3600, b, 8, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 1);
	assert_int_equal(b[0].datapoints, CW_MAX_DATAPOINTS);
	assert_int_equal(cw_batch_plan(q, 29, 3600, b, 8, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 2);
	assert_int_equal(b[0].count, 28);
	assert_int_equal(b[1].first, 28);
	assert_int_equal(b[1].datapoints, 3600);
	assert_int_equal(cw_batch_plan(q, 56, 3600, b, 8, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 2);
	assert_int_equal(b[1].count, 28);

	/* a partial period still returns a point */
	assert_int_equal(cw_query_datapoints(&q[0], 3600.5, 60), 3601);
	struct cw_query m = stat_query(0, "power", 60, pwr_dims, 2);
	assert_int_equal(cw_query_datapoints(&m, 90, 60), 2);

	/* mixed periods: 60 s queries add 60 points each */
	q[28] = stat_query(28, "cpu", 60, pwr_dims, 2);
	assert_int_equal(cw_batch_plan(q, 29, 3600, b, 8, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 2);

	/* one query alone over the limit: a message that says what to do */
	assert_int_equal(cw_batch_plan(q, 1, 2 * 86400, b, 8, &nb, err, sizeof err), -1);
	assert_has(err, "query power_0");
	assert_has(err, "172,800 datapoints");
	assert_has(err, "shorten the window or lengthen the period");
	free(NULL);
}

static void test_batch_groups(void **state)
{
	(void)state;
	struct cw_query q[40];
	for (size_t i = 0; i < 40; i++)
		q[i] = stat_query(i, "power", 1, pwr_dims, 2);
	/* queries 26..29 are one fleet's GPUs and their sum: they stay together */
	for (size_t i = 26; i < 30; i++)
		q[i].group = 7;
	q[29].expression = "SUM([power_26,power_27,power_28])";
	q[29].period = 0;
	q[26].hidden = q[27].hidden = q[28].hidden = true;
	struct cw_batch b[8];
	size_t nb;
	char err[256];
	/* the expression counts at its inputs' 1 s: 4 x 3600 */
	assert_int_equal(cw_batch_plan(q, 30, 3600, b, 8, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 2);
	assert_int_equal(b[0].count, 26);
	assert_int_equal(b[1].first, 26);
	assert_int_equal(b[1].count, 4);
	assert_int_equal(b[1].datapoints, 4 * 3600);
	/* an expression alone counts at 60 s */
	assert_int_equal(cw_query_datapoints(&q[29], 3600, 60), 60);

	/* a group too big for any call */
	struct cw_query *g = calloc(CW_MAX_QUERIES + 1, sizeof *g);
	assert_non_null(g);
	for (size_t i = 0; i <= CW_MAX_QUERIES; i++) {
		g[i] = stat_query(i, "power", 60, pwr_dims, 2);
		g[i].group = 1;
	}
	assert_int_equal(cw_batch_plan(g, CW_MAX_QUERIES + 1, 60, b, 8, &nb, err, sizeof err), -1);
	assert_has(err, "a group of 501 queries");
	assert_int_equal(cw_batch_plan(g, CW_MAX_QUERIES, 60, b, 8, &nb, err, sizeof err), 0);
	assert_int_equal(nb, 1);
	free(g);
	/* a group over the datapoints limit */
	for (size_t i = 0; i < 30; i++)
		q[i].group = 3;
	assert_int_equal(cw_batch_plan(q, 30, 3600, b, 8, &nb, err, sizeof err), -1);
	assert_has(err, "queries power_0..power_29 (one group): 60 min is 108,000 datapoints");
	/* billing counts metrics, not expressions */
	assert_int_equal(cw_billed_metrics(q, 30), 29);
}

/* ---- windows, late datapoints, periods ------------------------------------------------ */

static void test_windows(void **state)
{
	(void)state;
	struct cw_window w;
	const double t0 = 1795778280;                /* a whole minute */

	/* first fetch: 15 min back, ending at the last whole minute before now - settle */
	assert_int_equal(cw_window_next(t0 + 10, 60, 60, 900, 120, 0, &w), 1);
	assert_close(w.end, t0 - 60, 0);
	assert_close(w.start, t0 - 60 - 900, 0);
	assert_close(fmod(w.start, 60), 0, 0);

	/* 30 s later: no new whole minute, nothing to ask (nothing to pay) */
	assert_int_equal(cw_window_next(t0 + 40, 60, 60, 900, 120, w.end, &w), 0);

	/* a minute later: from the last end, minus two minutes of re-check */
	double last = w.end;
	assert_int_equal(cw_window_next(t0 + 70, 60, 60, 900, 120, last, &w), 1);
	assert_close(w.end, t0, 0);
	assert_close(w.start, last - 120, 0);

	/* a re-check that is not a whole period rounds up to one */
	assert_int_equal(cw_window_next(t0 + 70, 60, 60, 900, 30, last, &w), 1);
	assert_close(w.start, last - 60, 0);

	/* no re-check: each datapoint exactly once */
	assert_int_equal(cw_window_next(t0 + 70, 60, 60, 900, 0, last, &w), 1);
	assert_close(w.start, last, 0);

	/* after a long gap (laptop asleep) the window is the backfill, not the gap */
	assert_int_equal(cw_window_next(t0 + 70, 60, 60, 900, 120, last - 86400, &w), 1);
	assert_close(w.start, t0 - 900, 0);

	/* 5-minute basic monitoring, a settle that is not a whole period */
	assert_int_equal(cw_window_next(t0 + 10, 300, 90, 600, 0, 0, &w), 1);
	assert_close(fmod(w.end, 300), 0, 0);
	assert_true(w.end <= t0 + 10 - 90);
	assert_true(w.end > t0 + 10 - 90 - 300);
	assert_close(w.end - w.start, 600, 0);

	/* high resolution */
	assert_int_equal(cw_window_next(t0 + 7, 5, 0, 60, 0, 0, &w), 1);
	assert_close(w.end, t0 + 5, 0);
	assert_close(w.start, t0 - 55, 0);

	/* a last end from a 60 s grid moved onto a 300 s one is aligned down */
	assert_int_equal(cw_window_next(t0 + 600, 300, 0, 3600, 0, t0 - 60, &w), 1);
	assert_close(fmod(w.start, 300), 0, 0);
	assert_true(w.start <= t0 - 60);

	assert_int_equal(cw_window_next(t0, 0, 60, 900, 0, 0, &w), -1);
	assert_int_equal(cw_window_next(NAN, 60, 60, 900, 0, 0, &w), -1);
	assert_int_equal(cw_window_next(t0, 60, INFINITY, 900, 0, 0, &w), -1);
}

static void test_late_datapoints(void **state)
{
	(void)state;
	struct cw_point store[4];
	struct cw_series s;
	cw_series_init(&s, store, 4);
	assert_null(cw_series_latest(&s));

	/* one window, newest first as CloudWatch sends by default */
	assert_int_equal(cw_series_merge(&s, 180, 3), CW_MERGE_ADDED);
	assert_int_equal(cw_series_merge(&s, 120, 2), CW_MERGE_ADDED);
	assert_int_equal(cw_series_merge(&s, 60, 1), CW_MERGE_ADDED);
	assert_int_equal(s.n, 3);
	assert_close(cw_series_latest(&s)->t, 180, 0);

	/* the next window re-checks 120..: same values are not news */
	assert_int_equal(cw_series_merge(&s, 120, 2), CW_MERGE_SAME);
	/* a late datapoint completed the 180 s minute */
	assert_int_equal(cw_series_merge(&s, 180, 3.5), CW_MERGE_CHANGED);
	assert_close(s.pts[2].v, 3.5, 0);
	/* new minute */
	assert_int_equal(cw_series_merge(&s, 240, 4), CW_MERGE_ADDED);
	assert_int_equal(s.n, 4);
	/* full: the oldest goes */
	assert_int_equal(cw_series_merge(&s, 300, 5), CW_MERGE_ADDED);
	assert_int_equal(s.n, 4);
	assert_close(s.pts[0].t, 120, 0);
	assert_close(s.pts[3].t, 300, 0);
	/* older than everything kept: dropped */
	assert_int_equal(cw_series_merge(&s, 60, 1), CW_MERGE_TOO_OLD);
	/* a gap filled late, in the middle, while full */
	cw_series_init(&s, store, 4);
	cw_series_merge(&s, 60, 1);
	cw_series_merge(&s, 120, 2);
	cw_series_merge(&s, 240, 4);
	cw_series_merge(&s, 300, 5);
	assert_int_equal(cw_series_merge(&s, 180, 3), CW_MERGE_ADDED);
	for (size_t i = 0; i < 4; i++)
		assert_close(s.pts[i].t, 120 + 60 * (double)i, 0);
	assert_close(cw_series_latest(&s)->v, 5, 0);

	/* no storage: everything is too old */
	cw_series_init(&s, NULL, 4);
	assert_int_equal(cw_series_merge(&s, 60, 1), CW_MERGE_TOO_OLD);
}

static void test_periods(void **state)
{
	(void)state;
	char msg[256];
	const double now = 1795778280, h = 3600, d = 86400;

	assert_int_equal(cw_period_check(30, true, now - 5 * h, now, msg, sizeof msg), -1);
	assert_string_equal(msg, "period 30 s is only kept for 3 hours; this window starts 5 hours ago: "
	                         "use 60 s or more");
	assert_int_equal(cw_period_check(30, true, now - 3 * h, now, msg, sizeof msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(cw_period_check(1, true, now - 900, now, msg, sizeof msg), 0);
	assert_int_equal(cw_period_check(10, true, now - 3.5 * h, now, msg, sizeof msg), -1);
	assert_has(msg, "starts 3.5 hours ago");
	assert_int_equal(cw_period_check(5, true, now - 200 * 60, now, msg, sizeof msg), -1);

	assert_int_equal(cw_period_check(30, false, now - 900, now, msg, sizeof msg), -1);
	assert_string_equal(msg, "period 30 s needs a high-resolution metric (published with StorageResolution 1): "
	                         "use 60 s or a multiple of 60");
	assert_int_equal(cw_period_check(7, true, now - 900, now, msg, sizeof msg), -1);
	assert_has(msg, "period 7 s is not allowed: high-resolution periods are 1, 5, 10, 20 or 30 s");
	assert_int_equal(cw_period_check(90, false, now - 900, now, msg, sizeof msg), -1);
	assert_string_equal(msg, "period 90 s is not allowed: use a multiple of 60 s");
	assert_int_equal(cw_period_check(0, false, now, now, msg, sizeof msg), -1);
	assert_int_equal(cw_period_check(-60, false, now, now, msg, sizeof msg), -1);

	assert_int_equal(cw_period_check(60, false, now - 15 * d, now, msg, sizeof msg), 0);
	assert_int_equal(cw_period_check(60, false, now - 20 * d, now, msg, sizeof msg), -1);
	assert_string_equal(msg, "period 60 s is only kept for 15 days; this window starts 20 days ago: "
	                         "use 300 s or a multiple of it");
	assert_int_equal(cw_period_check(120, true, now - 16 * d, now, msg, sizeof msg), -1);
	assert_int_equal(cw_period_check(600, false, now - 20 * d, now, msg, sizeof msg), 0);
	assert_int_equal(cw_period_check(300, false, now - 70 * d, now, msg, sizeof msg), -1);
	assert_string_equal(msg, "period 300 s is only kept for 63 days; this window starts 70 days ago: "
	                         "use 3600 s or a multiple of it");
	assert_int_equal(cw_period_check(3600, false, now - 70 * d, now, msg, sizeof msg), 0);
	assert_int_equal(cw_period_check(7200, false, now - 400 * d, now, msg, sizeof msg), 0);
	assert_int_equal(cw_period_check(3600, false, now - 500 * d, now, msg, sizeof msg), -1);
	assert_string_equal(msg, "CloudWatch keeps data for 455 days; this window starts 500 days ago: "
	                         "nothing is left to read");
	assert_int_equal(cw_period_check(60, false, now - 90 * 60, now, msg, sizeof msg), 0);
	/* a tiny buffer is cut, not overrun */
	char tiny[8];
	assert_int_equal(cw_period_check(30, true, now - 5 * h, now, tiny, sizeof tiny), -1);
	assert_int_equal(strlen(tiny), 7);
	assert_int_equal(cw_period_check(30, true, now - 5 * h, now, NULL, 0), -1);
}

/* ---- GetMetricData answers ----------------------------------------------------------- */

static void test_gmd_complete(void **state)
{
	(void)state;
	struct got g;
	struct cw_gmd_info info;
	char err[256];
	assert_int_equal(gmd_file("gmd-complete.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.results, 3);
	assert_int_equal(info.points, 8);
	assert_int_equal(info.partial, 0);
	assert_int_equal(info.failed, 0);
	assert_null(info.next_token);
	assert_string_equal(info.messages, "");
	assert_int_equal(g.n, 8);
	assert_string_equal(g.p[0].id, "pwr");
	assert_close(g.p[0].t, 1795778280, 0);
	assert_close(g.p[0].v, 42.5, 0);
	assert_close(g.p[1].v, 40.25, 0);
	assert_string_equal(g.p[3].id, "thr");
	assert_close(g.p[3].v, 18000, 0);
	/* a Sum over 60 s is a rate */
	assert_close(cw_sum_per_second(g.p[3].v, 60), 300, 1e-12);
	assert_string_equal(g.p[7].id, "e1");
	assert_close(g.p[7].v, 78, 0);
	assert_int_equal(g.nres, 3);
	assert_string_equal(g.r[0].label, "nvidia_smi_power_draw");
	assert_int_equal(g.r[0].status, CW_STATUS_COMPLETE);
	assert_int_equal(g.r[0].points, 3);
	assert_int_equal(g.r[1].points, 2);

	assert_int_equal(gmd_file("gmd-empty.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.results, 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(gmd_str("{}", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.results, 0);

	/* info and sink may be left out */
	size_t len;
	char *b = slurp("gmd-complete.json", &len);
	assert_int_equal(cw_gmd_parse(b, len, NULL, NULL, err, sizeof err), 0);
	free(b);
}

static void test_gmd_statuses(void **state)
{
	(void)state;
	struct got g;
	struct cw_gmd_info info;
	char err[256];
	assert_int_equal(gmd_file("gmd-statuses.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.results, 5);
	assert_int_equal(info.partial, 1);
	assert_int_equal(info.failed, 3);
	assert_string_equal(info.messages, "Warning: Some queries were slow");
	assert_non_null(info.next_token);
	assert_string_equal(info.next_token, "tok-2");
	free(info.next_token);

	assert_int_equal(g.nres, 5);
	assert_int_equal(g.r[0].status, CW_STATUS_COMPLETE);
	assert_string_equal(g.r[0].message, "");
	assert_int_equal(g.r[1].status, CW_STATUS_INTERNAL_ERROR);
	assert_string_equal(g.r[1].message, "InternalError: An internal error occurred while processing the query");
	assert_int_equal(g.r[2].status, CW_STATUS_FORBIDDEN);
	assert_has(g.r[2].message, "Authentication too complex to retrieve cross region data");
	assert_int_equal(g.r[3].status, CW_STATUS_PARTIAL);
	assert_has(g.r[3].message, "MaxDatapointsExceeded");
	assert_int_equal(g.r[3].points, 1);
	/* hostile label: no escape reaches the screen, one line */
	assert_int_equal(g.r[4].status, CW_STATUS_UNKNOWN);
	assert_string_equal(g.r[4].label, "p?[31mwned");
	assert_int_equal(g.r[4].points, 1);

	assert_string_equal(cw_status_name(CW_STATUS_COMPLETE), "Complete");
	assert_string_equal(cw_status_name(CW_STATUS_PARTIAL), "PartialData");
	assert_string_equal(cw_status_name(CW_STATUS_INTERNAL_ERROR), "InternalError");
	assert_string_equal(cw_status_name(CW_STATUS_FORBIDDEN), "Forbidden");
	assert_string_equal(cw_status_name(CW_STATUS_UNKNOWN), "unknown");

	/* a missing StatusCode is taken as Complete */
	assert_int_equal(gmd_str("{\"MetricDataResults\":[{\"Id\":\"a\",\"Timestamps\":[60],\"Values\":[1]}]}",
	                         &g, &info, err, sizeof err), 0);
	assert_int_equal(g.r[0].status, CW_STATUS_COMPLETE);
	assert_string_equal(g.r[0].label, "");
	assert_int_equal(info.failed, 0);
}

/* Two pages of PartialData, merged into per-query series by timestamp. */
static void test_gmd_paging(void **state)
{
	(void)state;
	struct got g;
	struct cw_gmd_info info;
	char err[256];
	struct cw_point st[2][8];
	struct cw_series s[2];
	cw_series_init(&s[0], st[0], 8);
	cw_series_init(&s[1], st[1], 8);

	assert_int_equal(gmd_file("gmd-partial-page1.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.partial, 2);
	assert_string_equal(info.next_token, "eyJvIjoyLCJ2IjoxfQ==");
	/* the next page is the same request with the token */
	struct cw_query q[2];
	q[0] = stat_query(0, "gpu-A power", 60, pwr_dims, 2);
	q[1] = stat_query(1, "gpu-A power", 60, pwr_dims, 2);
	assert_string_equal(q[0].id, g.r[0].id);
	struct cw_gmd_request r = { q, 2, 1795778100, 1795778340, CW_SCAN_DESCENDING, 0, info.next_token };
	char *body = cw_gmd_build(&r, err, sizeof err);
	assert_has(body, "\"NextToken\":\"eyJvIjoyLCJ2IjoxfQ==\"");
	free(body);
	free(info.next_token);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(cw_series_merge(&s[strcmp(g.p[i].id, q[0].id) ? 1 : 0], g.p[i].t, g.p[i].v),
		                 CW_MERGE_ADDED);

	assert_int_equal(gmd_file("gmd-partial-page2.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.partial, 0);
	assert_null(info.next_token);
	for (size_t i = 0; i < g.n; i++)
		cw_series_merge(&s[strcmp(g.p[i].id, q[0].id) ? 1 : 0], g.p[i].t, g.p[i].v);
	assert_int_equal(s[0].n, 3);
	assert_int_equal(s[1].n, 3);
	assert_close(s[0].pts[0].t, 1795778160, 0);
	assert_close(s[0].pts[0].v, 59.5, 0);
	assert_close(cw_series_latest(&s[1])->v, 70, 0);
}

/* Every prefix of a good answer is refused, delivering nothing; so is
 * every hostile shape. */
static void test_gmd_malformed(void **state)
{
	(void)state;
	struct got g;
	struct cw_gmd_info info;
	char err[256];
	size_t len;
	char *full = slurp("gmd-complete.json", &len);
	while (len && (full[len - 1] == '\n' || full[len - 1] == ' '))
		len--;
	for (size_t k = 0; k < len; k++) {
		memset(&g, 0, sizeof g);
		err[0] = '\0';
		if (gmd_buf(full, k, &g, &info, err, sizeof err) != -1)
			fail_msg("a %zu-byte prefix was accepted", k);
		assert_int_equal(g.n, 0);
		assert_int_equal(g.nres, 0);
		assert_null(info.next_token);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(gmd_buf(full, len / 2, &g, &info, err, sizeof err), -1);
	assert_has(err, "truncated");
	free(full);

	static const struct { const char *body, *msg; } bad[] = {
		{ "<html><body>502 Bad Gateway</body></html>", "not valid JSON" },
		{ "{\"MetricDataResults\":[]} trailing", "garbage after its JSON" },
		{ "[]", "not a JSON object" },
		{ "\"str\"", "not a JSON object" },
		{ "{\"MetricDataResults\":{}}", "must be arrays" },
		{ "{\"MetricDataResults\":[1]}", "is not an object" },
		{ "{\"MetricDataResults\":[{\"Timestamps\":[],\"Values\":[]}]}", "no Id" },
		{ "{\"MetricDataResults\":[{\"Id\":\"Bad-Id\"}]}", "not a valid query id" },
		{ "{\"MetricDataResults\":[{\"Id\":\"a\",\"Timestamps\":[1,2],\"Values\":[1]}]}", "2 timestamps but 1 values" },
		{ "{\"MetricDataResults\":[{\"Id\":\"a\",\"Timestamps\":[\"2026-01-01\"],\"Values\":[1]}]}", "Timestamps[0]" },
		{ "{\"MetricDataResults\":[{\"Id\":\"a\",\"Timestamps\":[-5],\"Values\":[1]}]}", "Timestamps[0]" },
		{ "{\"MetricDataResults\":[{\"Id\":\"a\",\"Timestamps\":[1e999],\"Values\":[1]}]}", "Timestamps[0]" },
		{ "{\"MetricDataResults\":[{\"Id\":\"a\",\"Timestamps\":[60],\"Values\":[null]}]}", "Values[0]" },
		{ "{\"MetricDataResults\":[{\"Id\":\"a\",\"Timestamps\":60,\"Values\":[1]}]}", "must be arrays" },
		{ "{\"MetricDataResults\":[{\"Id\":\"a\",\"StatusCode\":5}]}", "must be strings" },
		{ "{\"MetricDataResults\":[],\"NextToken\":7}", "NextToken" },
		{ "", "empty" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&g, 0, sizeof g);
		if (gmd_str(bad[i].body, &g, &info, err, sizeof err) != -1)
			fail_msg("accepted: %s", bad[i].body);
		assert_has(err, bad[i].msg);
		assert_int_equal(g.n, 0);
		assert_true(clean_text(err));
	}
	/* a good result before a bad one delivers nothing either */
	assert_int_equal(gmd_str("{\"MetricDataResults\":[{\"Id\":\"a\",\"Timestamps\":[60],\"Values\":[1]},"
	                         "{\"Id\":\"b\",\"Timestamps\":[60],\"Values\":[]}]}", &g, &info, err, sizeof err), -1);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.nres, 0);

	/* values out of double range are skipped and counted, not passed on */
	assert_int_equal(gmd_str("{\"MetricDataResults\":[{\"Id\":\"a\",\"StatusCode\":\"Complete\","
	                         "\"Timestamps\":[120,60],\"Values\":[1e999,2]}]}", &g, &info, err, sizeof err), 0);
	assert_int_equal(g.n, 1);
	assert_close(g.p[0].v, 2, 0);
	assert_int_equal(info.skipped, 1);
	assert_int_equal(g.r[0].skipped, 1);

	/* the caller may stop: the parse fails, no token leaks */
	memset(&g, 0, sizeof g);
	g.stop_at = 2;
	size_t flen;
	char *b = slurp("gmd-statuses.json", &flen);
	struct cw_gmd_sink sink = { got_point, got_result, &g };
	assert_int_equal(cw_gmd_parse(b, flen, &sink, &info, err, sizeof err), -1);
	assert_has(err, "stopped");
	assert_null(info.next_token);
	free(b);
	/* deep nesting does not crash */
	char deep[4001];
	memset(deep, '[', 4000);
	deep[4000] = '\0';
	assert_int_equal(gmd_str(deep, &g, &info, err, sizeof err), -1);
}

/* ---- ListMetrics answers ---------------------------------------------------------------- */

struct lm_got {
	size_t n;
	char ns[8][32], name[8][64], dims[8][256];
};

static int lm_fn(void *user, const struct cw_metric *m)
{
	struct lm_got *g = user;
	if (g->n < 8) {
		snprintf(g->ns[g->n], sizeof g->ns[0], "%s", m->ns);
		snprintf(g->name[g->n], sizeof g->name[0], "%s", m->name);
		size_t o = 0;
		g->dims[g->n][0] = '\0';
		for (size_t i = 0; i < m->ndims; i++)
			o += (size_t)snprintf(g->dims[g->n] + o, sizeof g->dims[0] - o, "%s%s=%s", i ? "," : "",
			                      m->dims[i].name, m->dims[i].value);
	}
	g->n++;
	return 0;
}

/* Parses a copy of b[0..len) into a fresh g. */
static int lm_buf(const char *b, size_t len, struct lm_got *g, struct cw_lm_info *info, char *err, size_t n)
{
	char *c = exact_copy(b, len);
	memset(g, 0, sizeof *g);
	int rc = cw_lm_parse(c, len, lm_fn, g, info, err, n);
	free(c);
	return rc;
}

static int lm_file(const char *name, struct lm_got *g, struct cw_lm_info *info, char *err, size_t n)
{
	size_t len;
	char *b = slurp(name, &len);
	int rc = lm_buf(b, len, g, info, err, n);
	free(b);
	return rc;
}

static void test_lm_parse(void **state)
{
	(void)state;
	struct lm_got g;
	struct cw_lm_info info;
	char err[256];
	assert_int_equal(lm_file("lm-page1.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.metrics, 2);
	assert_string_equal(info.next_token, "bG0tcGFnZS0y");
	free(info.next_token);
	assert_string_equal(g.ns[0], "CWAgent");
	assert_string_equal(g.name[1], "nvidia_smi_power_draw");
	assert_string_equal(g.dims[1], "InstanceId=i-0123456789abcdef0,index=1,name=NVIDIA A10G,host=ip-10-0-0-12");

	assert_int_equal(lm_file("lm-page2.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.metrics, 2);
	assert_null(info.next_token);
	assert_string_equal(g.dims[0], "InstanceId=i-0fedcba9876543210");
	assert_string_equal(g.ns[1], "Perwatt/App");
	assert_string_equal(g.dims[1], "");

	/* a discovered metric goes straight back into a query */
	static const char body[] = "{\"Metrics\":[{\"Namespace\":\"CWAgent\",\"MetricName\":\"nvidia_smi_power_draw\","
	                           "\"Dimensions\":[{\"Name\":\"InstanceId\",\"Value\":\"i-1\"}]}]}";
	char *c = exact_copy(body, strlen(body));
	assert_int_equal(cw_lm_parse(c, strlen(body), NULL, NULL, NULL, err, sizeof err), 0);
	free(c);

	static const char *const bad[] = {
		"{\"Metrics\":[{\"Namespace\":\"x\"}]}",
		"{\"Metrics\":[{\"Namespace\":\"x\",\"MetricName\":\"y\",\"Dimensions\":[{\"Name\":\"a\"}]}]}",
		"{\"Metrics\":[{\"Namespace\":\"x\",\"MetricName\":\"y\",\"Dimensions\":{}}]}",
		"{\"Metrics\":{}}",
		"{\"Metrics\":[],\"NextToken\":[]}",
		"{\"Metrics\":[{\"Namespace\":\"x\",\"MetricName\":\"y\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (lm_buf(bad[i], strlen(bad[i]), &g, &info, err, sizeof err) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(g.n, 0);
		assert_null(info.next_token);
	}
	/* more than 30 dimensions */
	char big[4096];
	size_t o = (size_t)snprintf(big, sizeof big, "{\"Metrics\":[{\"Namespace\":\"x\",\"MetricName\":\"y\",\"Dimensions\":[");
	for (int i = 0; i < 31; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, "%s{\"Name\":\"d%d\",\"Value\":\"v\"}", i ? "," : "", i);
	snprintf(big + o, sizeof big - o, "]}]}");
	assert_int_equal(lm_buf(big, strlen(big), &g, &info, err, sizeof err), -1);
	assert_has(err, "31 dimensions");
}

/* ---- GetProducts answers --------------------------------------------------------------- */

struct price_got {
	size_t n;
	char sku[4][32], type[4][32], region[4][32];
	double usd[4];
};

static int price_fn(void *user, const struct cw_product *p)
{
	struct price_got *g = user;
	if (g->n < 4) {
		snprintf(g->sku[g->n], sizeof g->sku[0], "%s", p->sku);
		snprintf(g->type[g->n], sizeof g->type[0], "%s", p->instance_type);
		snprintf(g->region[g->n], sizeof g->region[0], "%s", p->region_code);
		g->usd[g->n] = p->usd_per_hour;
	}
	g->n++;
	return 0;
}

/* Parses a copy of b[0..len) into a fresh g. */
static int products_buf(const char *b, size_t len, struct price_got *g, struct cw_products_info *info,
                        char *err, size_t n)
{
	char *c = exact_copy(b, len);
	memset(g, 0, sizeof *g);
	int rc = cw_products_parse(c, len, price_fn, g, info, err, n);
	free(c);
	return rc;
}

static int products_str(const char *s, struct price_got *g, struct cw_products_info *info, char *err, size_t n)
{
	return products_buf(s, strlen(s), g, info, err, n);
}

static int products_file(const char *name, struct price_got *g, struct cw_products_info *info, char *err,
                         size_t n)
{
	size_t len;
	char *b = slurp(name, &len);
	int rc = products_buf(b, len, g, info, err, n);
	free(b);
	return rc;
}

static void test_products(void **state)
{
	(void)state;
	struct price_got g;
	struct cw_products_info info;
	char err[256];
	size_t len;

	/* the used Linux on-demand entry; the capacity-reservation ones are left
	 * out, and the Reserved term's lower hourly price is not taken */
	assert_int_equal(products_file("getproducts-inf2.xlarge.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.entries, 3);
	assert_int_equal(info.accepted, 1);
	assert_int_equal(info.skipped, 2);
	assert_null(info.next_token);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.sku[0], "VQ3XKTC8WZ2H4N7B");
	assert_string_equal(g.type[0], "inf2.xlarge");
	assert_string_equal(g.region[0], "us-east-1");
	assert_close(g.usd[0], 0.7582, 1e-12);

	assert_int_equal(products_file("getproducts-g5.xlarge.json", &g, &info, err, sizeof err), 0);
	assert_int_equal(g.n, 1);
	assert_close(g.usd[0], 1.006, 1e-12);

	/* a minimal entry, a token, and other operating systems / units left out */
	assert_int_equal(products_str(
		"{\"FormatVersion\":\"aws_v1\",\"NextToken\":\"abc==:def\",\"PriceList\":["
		"\"{\\\"product\\\":{\\\"sku\\\":\\\"S1\\\",\\\"attributes\\\":{\\\"instanceType\\\":\\\"c7g.xlarge\\\"}},"
		"\\\"terms\\\":{\\\"OnDemand\\\":{\\\"S1.T\\\":{\\\"priceDimensions\\\":{\\\"S1.T.R\\\":"
		"{\\\"unit\\\":\\\"Hrs\\\",\\\"pricePerUnit\\\":{\\\"USD\\\":\\\"0.1450000000\\\"}}}}}}}\","
		"\"{\\\"product\\\":{\\\"sku\\\":\\\"S2\\\",\\\"attributes\\\":{\\\"operatingSystem\\\":\\\"Windows\\\"}},"
		"\\\"terms\\\":{\\\"OnDemand\\\":{\\\"S2.T\\\":{\\\"priceDimensions\\\":{\\\"S2.T.R\\\":"
		"{\\\"unit\\\":\\\"Hrs\\\",\\\"pricePerUnit\\\":{\\\"USD\\\":\\\"0.3\\\"}}}}}}}\","
		"\"{\\\"product\\\":{\\\"sku\\\":\\\"S3\\\"},\\\"terms\\\":{\\\"OnDemand\\\":{\\\"S3.T\\\":{\\\"priceDimensions\\\":"
		"{\\\"S3.T.R\\\":{\\\"unit\\\":\\\"GB-Mo\\\",\\\"pricePerUnit\\\":{\\\"USD\\\":\\\"0.1\\\"}}}}}}}\","
		"\"{\\\"product\\\":{\\\"sku\\\":\\\"S4\\\"},\\\"terms\\\":{\\\"OnDemand\\\":{\\\"S4.T\\\":{\\\"priceDimensions\\\":"
		"{\\\"S4.T.R\\\":{\\\"unit\\\":\\\"Hrs\\\",\\\"pricePerUnit\\\":{\\\"USD\\\":\\\"inf\\\"}}}}}}}\","
		"\"{\\\"product\\\":{\\\"sku\\\":\\\"S5\\\",\\\"attributes\\\":{\\\"licenseModel\\\":\\\"Bring your own license\\\"}},"
		"\\\"terms\\\":{\\\"OnDemand\\\":{\\\"S5.T\\\":{\\\"priceDimensions\\\":{\\\"S5.T.R\\\":"
		"{\\\"unit\\\":\\\"Hrs\\\",\\\"pricePerUnit\\\":{\\\"USD\\\":\\\"0.2\\\"}}}}}}}\","
		"\"{}\"]}", &g, &info, err, sizeof err), 0);
	assert_int_equal(info.entries, 6);
	assert_int_equal(info.accepted, 1);
	assert_int_equal(info.skipped, 5);
	assert_string_equal(g.sku[0], "S1");
	assert_string_equal(g.region[0], "");
	assert_close(g.usd[0], 0.145, 1e-12);
	assert_string_equal(info.next_token, "abc==:def");
	free(info.next_token);

	/* the double parse refuses what is not JSON inside the strings */
	static const struct { const char *body, *msg; } bad[] = {
		{ "{\"PriceList\":[\"{\\\"product\\\":\"]}", "PriceList[0] is not a JSON object" },
		{ "{\"PriceList\":[\"{}\",\"[1]\"]}", "PriceList[1] is not a JSON object" },
		{ "{\"PriceList\":[\"{} x\"]}", "PriceList[0] is not a JSON object" },
		{ "{\"PriceList\":[{\"product\":{}}]}", "PriceList[0] is not a string" },
		{ "{\"PriceList\":\"{}\"}", "PriceList is not an array" },
		{ "{\"FormatVersion\":\"aws_v1\",\"PriceList\":[\"{}\"", "not valid JSON" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (products_str(bad[i].body, &g, &info, err, sizeof err) != -1)
			fail_msg("accepted: %s", bad[i].body);
		assert_has(err, bad[i].msg);
		assert_int_equal(g.n, 0);
		assert_null(info.next_token);
	}
	/* every prefix of the real fixture is refused */
	char *full = slurp("getproducts-g5.xlarge.json", &len);
	for (size_t k = 0; k + 2 < len; k += 7) {
		if (products_buf(full, k, &g, &info, err, sizeof err) != -1)
			fail_msg("a %zu-byte prefix was accepted", k);
		assert_int_equal(g.n, 0);
	}
	free(full);
}

/* ---- errors ------------------------------------------------------------------------------- */

static void err_file(const char *name, int status, const char *hdr, struct cw_error *e)
{
	size_t len;
	char *b = slurp(name, &len);
	cw_error_parse(status, hdr, b, len, e);
	free(b);
}

static void err_str(const char *body, int status, const char *hdr, struct cw_error *e)
{
	size_t len = body ? strlen(body) : 0;
	char *b = body ? exact_copy(body, len) : NULL;
	cw_error_parse(status, hdr, b, len, e);
	free(b);
	assert_true(clean_text(e->line));
	assert_true(clean_text(e->message));
}

static void test_error_codes(void **state)
{
	(void)state;
	char c[CW_CODE_MAX];
	assert_int_equal(cw_error_code(c, sizeof c, "com.amazon.coral.service#UnrecognizedClientException"),
	                 strlen("UnrecognizedClientException"));
	assert_string_equal(c, "UnrecognizedClientException");
	cw_error_code(c, sizeof c, "aws.protocols#InvalidParameterValueException:http://internal.amazon.com/coral/");
	assert_string_equal(c, "InvalidParameterValueException");
	cw_error_code(c, sizeof c, "ThrottlingException");
	assert_string_equal(c, "ThrottlingException");
	cw_error_code(c, sizeof c, "Throttling,ThrottlingException");
	assert_string_equal(c, "Throttling");
	cw_error_code(c, sizeof c, "AWS.SimpleQueueService.NonExistentQueue");
	assert_string_equal(c, "AWS.SimpleQueueService.NonExistentQueue");
	cw_error_code(c, sizeof c, "Bad\x1b[2JCode");
	assert_string_equal(c, "Bad2JCode");
	assert_int_equal(cw_error_code(c, sizeof c, ""), 0);
	assert_int_equal(cw_error_code(c, sizeof c, NULL), 0);
	char tiny[4];
	cw_error_code(tiny, sizeof tiny, "Throttling");
	assert_string_equal(tiny, "Thr");

	assert_int_equal(cw_error_kind("Throttling", 400), CW_ERR_THROTTLED);
	assert_int_equal(cw_error_kind("ThrottlingException", 400), CW_ERR_THROTTLED);
	assert_int_equal(cw_error_kind("RequestLimitExceeded", 503), CW_ERR_THROTTLED);
	assert_int_equal(cw_error_kind("", 429), CW_ERR_THROTTLED);
	assert_int_equal(cw_error_kind(NULL, 429), CW_ERR_THROTTLED);
	assert_int_equal(cw_error_kind("ExpiredToken", 403), CW_ERR_CREDENTIALS);
	assert_int_equal(cw_error_kind("ExpiredTokenException", 400), CW_ERR_CREDENTIALS);
	assert_int_equal(cw_error_kind("InvalidClientTokenId", 403), CW_ERR_CREDENTIALS);
	assert_int_equal(cw_error_kind("UnrecognizedClientException", 400), CW_ERR_CREDENTIALS);
	assert_int_equal(cw_error_kind("SignatureDoesNotMatch", 403), CW_ERR_CREDENTIALS);
	assert_int_equal(cw_error_kind("IncompleteSignature", 403), CW_ERR_CREDENTIALS);
	assert_int_equal(cw_error_kind("AccessDenied", 403), CW_ERR_ACCESS);
	assert_int_equal(cw_error_kind("AccessDeniedException", 400), CW_ERR_ACCESS);
	assert_int_equal(cw_error_kind("", 403), CW_ERR_ACCESS);
	assert_int_equal(cw_error_kind("InvalidParameterValue", 400), CW_ERR_INVALID);
	assert_int_equal(cw_error_kind("InternalServiceError", 500), CW_ERR_SERVER);
	assert_int_equal(cw_error_kind("", 503), CW_ERR_SERVER);
	assert_int_equal(cw_error_kind("", 302), CW_ERR_OTHER);
}

static void test_errors(void **state)
{
	(void)state;
	struct cw_error e;

	/* unknown key id: the real shape, the header says the Query code */
	err_file("error-unrecognized-client.json", 400, NULL, &e);
	assert_string_equal(e.code, "UnrecognizedClientException");
	assert_string_equal(e.sender, "");
	assert_int_equal(e.kind, CW_ERR_CREDENTIALS);
	assert_false(e.retry);
	assert_string_equal(e.message, "The security token included in the request is invalid.");
	assert_string_equal(e.line, "credentials not recognised (UnrecognizedClientException, HTTP 400): "
	                            "The security token included in the request is invalid.; check the access "
	                            "key id, the session token and the region");
	err_file("error-unrecognized-client.json", 403, "InvalidClientTokenId;Sender", &e);
	assert_string_equal(e.code, "InvalidClientTokenId");
	assert_string_equal(e.sender, "Sender");
	assert_int_equal(e.kind, CW_ERR_CREDENTIALS);

	/* the header wins over __type */
	err_str("{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\","
	        "\"message\":\"The request signature we calculated does not match the signature you provided.\"}",
	        403, "SignatureDoesNotMatch;Sender", &e);
	assert_string_equal(e.code, "SignatureDoesNotMatch");
	assert_has(e.line, "request signature rejected (SignatureDoesNotMatch, HTTP 403)");
	assert_has(e.line, "check the secret access key and the system clock");

	/* throttling: body, header, bare 429 */
	err_file("error-throttling.json", 400, "Throttling;Sender", &e);
	assert_string_equal(e.code, "Throttling");
	assert_int_equal(e.kind, CW_ERR_THROTTLED);
	assert_true(e.retry);
	assert_string_equal(e.line, "throttled (Throttling, HTTP 400): Rate exceeded; backing off");
	err_file("error-throttling.json", 400, NULL, &e);
	assert_string_equal(e.code, "ThrottlingException");
	assert_true(e.retry);
	err_str(NULL, 429, NULL, &e);
	assert_int_equal(e.kind, CW_ERR_THROTTLED);
	assert_string_equal(e.line, "throttled (HTTP 429); backing off");
	err_str("{\"code\":\"RequestLimitExceeded\",\"Message\":\"Request limit exceeded.\"}", 503, NULL, &e);
	assert_int_equal(e.kind, CW_ERR_THROTTLED);
	assert_string_equal(e.message, "Request limit exceeded.");

	/* ":"-suffixed __type, capital Message, a validation error */
	err_file("error-validation.json", 400, "InvalidParameterValue;Sender", &e);
	assert_string_equal(e.code, "InvalidParameterValue");
	assert_int_equal(e.kind, CW_ERR_INVALID);
	assert_false(e.retry);
	assert_string_equal(e.line, "request refused (InvalidParameterValue, HTTP 400): The value for parameter "
	                            "MetricDataQueries.member.1.Id is not valid.");
	err_file("error-validation.json", 400, NULL, &e);
	assert_string_equal(e.code, "InvalidParameterValueException");

	/* expired session credentials */
	err_str("{\"__type\":\"com.amazon.coral.service#ExpiredTokenException\","
	        "\"message\":\"The security token included in the request is expired\"}",
	        403, "ExpiredToken;Sender", &e);
	assert_int_equal(e.kind, CW_ERR_CREDENTIALS);
	assert_has(e.line, "credentials expired (ExpiredToken, HTTP 403)");
	assert_has(e.line, "refresh them");

	/* access denied, key id masked */
	err_str("{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"Message\":\"User: "
	        "arn:aws:sts::123456789012:assumed-role/ro/s (AKIAIOSFODNN7EXAMPLE) is not authorized to perform: "
	        "cloudwatch:GetMetricData\"}", 400, NULL, &e);
	assert_int_equal(e.kind, CW_ERR_ACCESS);
	assert_has(e.message, "(AKIA****) is not authorized");
	assert_has(e.line, "access denied (AccessDeniedException, HTTP 400)");
	assert_has(e.line, "cloudwatch:GetMetricData");
	err_str("{\"message\":\"key ASIAQWERTYUIOPASDFGH and AKIA1 and AKIAIOSFODNN7EXAMPLEX.\"}", 403, NULL, &e);
	assert_string_equal(e.message, "key ASIA**** and AKIA1 and AKIA****.");

	/* server side: retry */
	err_str("{\"__type\":\"com.amazonaws.cloudwatch#InternalServiceFault\",\"message\":\"oops\"}",
	        500, "InternalServiceError;Receiver", &e);
	assert_int_equal(e.kind, CW_ERR_SERVER);
	assert_true(e.retry);
	assert_string_equal(e.sender, "Receiver");
	assert_string_equal(e.line, "AWS service error (InternalServiceError, HTTP 500): oops; retrying");
	err_str("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, NULL, &e);
	assert_int_equal(e.kind, CW_ERR_SERVER);
	assert_string_equal(e.line, "AWS service error (HTTP 502): the error answer is not JSON; retrying");

	/* hostile and broken bodies: one clean line, never a crash */
	err_str("{\"__type\":\"x#Evil\\u001b]0;pwned\\u0007\",\"message\":\"line one\\r\\nline two \\u001b[2J\"}",
	        400, NULL, &e);
	assert_string_equal(e.code, "Evil0pwned");
	assert_string_equal(e.message, "line one");
	err_str("{\"message\":\"\\u001b[2Jwiped \\u00e9\"}", 400, NULL, &e);
	assert_string_equal(e.message, "?[2Jwiped \xc3\xa9");
	err_str("{\"__type\":\"com.amazon.coral.availability#ThrottlingException\",\"mess", 400,
	        "Throttling;Sender", &e);
	assert_int_equal(e.kind, CW_ERR_THROTTLED);
	assert_string_equal(e.message, "the error answer is not JSON");
	err_str("{\"__type\":7,\"message\":[1]}", 400, NULL, &e);
	assert_string_equal(e.code, "");
	assert_string_equal(e.line, "request refused (HTTP 400)");
	err_str("", 400, ";", &e);
	assert_string_equal(e.code, "");
	err_str(NULL, 400, "Throttling", &e);       /* no ";Sender" */
	assert_string_equal(e.code, "Throttling");
	assert_string_equal(e.sender, "");
	err_str(NULL, 400, "Throttling;Sen\x1b[der;x", &e);
	assert_string_equal(e.sender, "Sender");
	char longmsg[2048];
	snprintf(longmsg, sizeof longmsg, "{\"message\":\"%0*d\"}", 1500, 7);
	err_str(longmsg, 400, NULL, &e);
	assert_int_equal(strlen(e.message), CW_TEXT_MAX - 1);
}

/* ---- arithmetic --------------------------------------------------------------------------- */

static void test_arithmetic(void **state)
{
	(void)state;
	/* Sum of inferences over a period is a per-second throughput */
	assert_close(cw_sum_per_second(18000, 60), 300, 1e-12);
	assert_close(cw_sum_per_second(1500, 300), 5, 1e-12);
	assert_close(cw_sum_per_second(0, 1), 0, 0);
	assert_true(isnan(cw_sum_per_second(18000, 0)));
	assert_true(isnan(cw_sum_per_second(NAN, 60)));

	/* reference section 1.6: 10 instances x 3 metrics at 60 s = ~USD 13 a month */
	double h = cw_watch_usd_per_hour(30, 60, CW_USD_PER_1000_METRICS);
	assert_close(h, 0.018, 1e-12);
	assert_close(h * 24 * 30, 12.96, 1e-9);
	/* the two fleets of the design, 33 + 6 instances x 3 metrics, every 60 s */
	assert_close(cw_watch_usd_per_hour(117, 60, 0.01), 0.0702, 1e-12);
	/* polling faster than the period costs more for nothing */
	assert_close(cw_watch_usd_per_hour(30, 10, 0.01), 0.108, 1e-12);
	/* a negotiated price */
	assert_close(cw_watch_usd_per_hour(1000, 3600, 0.005), 0.005, 1e-12);
	assert_close(cw_watch_usd_per_hour(0, 60, 0.01), 0, 0);
	assert_true(isnan(cw_watch_usd_per_hour(30, 0, 0.01)));
	assert_true(isnan(cw_watch_usd_per_hour(30, 60, NAN)));

	struct cw_query q[3];
	q[0] = stat_query(0, "a", 60, NULL, 0);
	q[1] = stat_query(1, "b", 60, NULL, 0);
	q[2] = stat_query(2, "c", 60, NULL, 0);
	q[2].expression = "a_0 + b_1";
	assert_int_equal(cw_billed_metrics(q, 3), 2);
	assert_int_equal(cw_billed_metrics(NULL, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_gmd_golden),
		cmocka_unit_test(test_gmd_build_refuses),
		cmocka_unit_test(test_lm_and_products_golden),
		cmocka_unit_test(test_batch_queries_limit),
		cmocka_unit_test(test_batch_datapoints_limit),
		cmocka_unit_test(test_batch_groups),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_late_datapoints),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_gmd_complete),
		cmocka_unit_test(test_gmd_statuses),
		cmocka_unit_test(test_gmd_paging),
		cmocka_unit_test(test_gmd_malformed),
		cmocka_unit_test(test_lm_parse),
		cmocka_unit_test(test_products),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_arithmetic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
