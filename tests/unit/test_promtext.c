/* Tests of the streaming exposition parser (fetch/promtext.c): real exporter
 * outputs fed in many chunk sizes, the expfmt corpus of valid and invalid
 * inputs, and hand-made edge cases. Fixtures are read from
 * TOP_SRCDIR/tests/fixtures/exposition. */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fetch/promtext.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif
#define FIXTURES TOP_SRCDIR "/tests/fixtures/exposition/"

/* ---- harness ---------------------------------------------------------------- */

/* What a body delivered, as text, so runs can be compared byte for byte. */
struct transcript {
	char *buf;
	size_t len, cap;
	int calls;
	int stop_after;         /* > 0: return 1 from that call on */
};

static void tr_put(struct transcript *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 1024;
		while (cap < t->len + n + 1)
			cap *= 2;
		t->buf = realloc(t->buf, cap);
		assert_non_null(t->buf);
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void tr_printf(struct transcript *t, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof b);
	tr_put(t, b, (size_t)n);
}

/* bytes shown exactly: printable ASCII as is, the rest as \xNN */
static void tr_bytes(struct transcript *t, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			tr_put(t, (const char *)&c, 1);
		else
			tr_printf(t, "\\x%02x", c);
	}
}

static int record(int sel, const struct promtext_labels *L, double v, bool has_ts,
                  int64_t ts, void *user)
{
	struct transcript *t = user;
	size_t i;

	assert_non_null(L->metric);
	assert_int_equal(strlen(L->metric), L->metric_len);
	assert_int_equal(strlen(L->family), L->family_len);
	tr_printf(t, "%d ", sel);
	tr_bytes(t, L->metric, L->metric_len);
	tr_printf(t, " [%s %s %s] {", L->family, promtext_type_name(L->type), L->unit);
	for (i = 0; i < L->n; i++) {
		assert_int_equal(L->label[i].name[L->label[i].name_len], '\0');
		assert_int_equal(L->label[i].value[L->label[i].value_len], '\0');
		tr_bytes(t, L->label[i].name, L->label[i].name_len);
		tr_put(t, "=", 1);
		tr_bytes(t, L->label[i].value, L->label[i].value_len);
		if (i + 1 < L->n)
			tr_put(t, ",", 1);
	}
	tr_printf(t, "} %.17g", v);
	if (has_ts)
		tr_printf(t, " @%lld", (long long)ts);
	else
		assert_int_equal(ts, 0);
	tr_put(t, "\n", 1);
	t->calls++;
	if (t->stop_after > 0 && t->calls >= t->stop_after)
		return 1;
	return 0;
}

struct result {
	int rc;
	char err[400];
	char warn[400];
	struct promtext_stats st;
	struct transcript t;
};

static void result_free(struct result *r)
{
	free(r->t.buf);
	memset(r, 0, sizeof *r);
}

/* Parses data in chunks of `chunk` bytes (0: all at once) with the given
 * selectors (NULL-terminated list of selector strings). */
static void parse_with(struct result *r, const char *data, size_t len,
                       enum promtext_format fmt, size_t chunk,
                       const char *const *sels, bool validate_all)
{
	struct promtext *p = promtext_new(fmt);
	size_t off = 0;
	const char *e;

	assert_non_null(p);
	memset(r, 0, sizeof *r);
	promtext_on_sample(p, record, &r->t);
	promtext_set_validate_all(p, validate_all);
	for (; sels && *sels; sels++)
		assert_true(promtext_add_selector_str(p, *sels) >= 0);
	if (chunk == 0)
		chunk = len ? len : 1;
	r->rc = 0;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (promtext_feed(p, data + off, n) != 0) {
			r->rc = -1;
			/* once failed, it stays failed */
			assert_int_equal(promtext_feed(p, "x 1\n", 4), -1);
			break;
		}
		off += n;
	}
	if (r->rc == 0)
		r->rc = promtext_finish(p);
	else
		assert_int_equal(promtext_finish(p), -1);
	e = promtext_error(p);
	if (r->rc != 0)
		assert_non_null(e);
	snprintf(r->err, sizeof r->err, "%s", e ? e : "");
	e = promtext_warning(p);
	snprintf(r->warn, sizeof r->warn, "%s", e ? e : "");
	promtext_get_stats(p, &r->st);
	promtext_free(p);
}

static void parse_str(struct result *r, const char *s, enum promtext_format fmt,
                      const char *const *sels)
{
	parse_with(r, s, strlen(s), fmt, 0, sels, false);
}

/* One selector, or every metric (then every line is parsed in full). */
#define SEL(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ALL SEL("{__name__=~\".*\"}")

static char *read_fixture(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, FIXTURES "%s", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A message fit for a terminal: printable ASCII only. */
static void assert_clean_message(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			fail_msg("control or non-ASCII byte 0x%02x in message", (unsigned char)*s);
}

static const size_t chunk_sizes[] = { 1, 2, 7, 64, 4096, 65536, 0 };
#define NCHUNKS (sizeof chunk_sizes / sizeof chunk_sizes[0])

/* Parses a fixture in every chunk size; all runs must agree. Returns the
 * whole-body run in *out. */
static void parse_fixture(struct result *out, const char *name, enum promtext_format fmt,
                          const char *const *sels, bool validate_all)
{
	size_t len, i;
	char *data = read_fixture(name, &len);

	parse_with(out, data, len, fmt, 0, sels, validate_all);
	for (i = 0; i < NCHUNKS - 1; i++) {
		struct result r;
		parse_with(&r, data, len, fmt, chunk_sizes[i], sels, validate_all);
		assert_int_equal(r.rc, out->rc);
		assert_string_equal(r.err, out->err);
		assert_string_equal(r.warn, out->warn);
		assert_string_equal(r.t.buf ? r.t.buf : "", out->t.buf ? out->t.buf : "");
		assert_memory_equal(&r.st, &out->st, sizeof r.st);
		result_free(&r);
	}
	free(data);
}

static bool has_line(const struct result *r, const char *line)
{
	return r->t.buf && strstr(r->t.buf, line) != NULL;
}

#define ASSERT_HAS(r, s) do { if (!has_line(r, s)) fail_msg("missing: %s\nin:\n%s", s, (r)->t.buf ? (r)->t.buf : ""); } while (0)

/* ---- real exporter outputs ------------------------------------------------- */

static void dcgm_fixture(void **state)
{
	struct result r;

	(void)state;
	parse_fixture(&r, "dcgm-exporter-datadog-fixture.txt", PROMTEXT_0_0_4,
	              SEL("DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_GPU_TEMP",
	                  "DCGM_FI_PROF_DRAM_ACTIVE{modelName=\"NVIDIA A10G\"}"), false);
	assert_int_equal(r.rc, 0);
	/* the file ends without a newline: accepted, with a warning */
	assert_string_equal(r.warn, "line 116: missing final newline");
	assert_int_equal(r.st.warnings, 1);
	assert_int_equal(r.st.lines, 116);
	assert_int_equal(r.st.samples, 38);
	ASSERT_HAS(&r, "0 DCGM_FI_DEV_POWER_USAGE [DCGM_FI_DEV_POWER_USAGE gauge ] "
	           "{gpu=0,UUID=GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e,device=nvidia0,"
	           "modelName=Tesla T4,Hostname=424773df46e0,DCGM_FI_DRIVER_VERSION=460.106.00,"
	           "DCGM_FI_PROCESS_NAME=/usr/bin/dcgm-exporter} 8.9689999999999994\n");
	/* the last line, without its newline, is delivered too */
	ASSERT_HAS(&r, "2 DCGM_FI_PROF_DRAM_ACTIVE [DCGM_FI_PROF_DRAM_ACTIVE gauge ] {gpu=0,UUID=GPU-abc,");
	ASSERT_HAS(&r, "pod=ray-1111111} 3.0000000000000001e-06\n");
	assert_int_equal(r.t.calls, 3);
	result_free(&r);

	/* every line checked: still valid */
	parse_fixture(&r, "dcgm-exporter-datadog-fixture.txt", PROMTEXT_0_0_4, NULL, true);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.calls, 0);
	result_free(&r);
}

static void h100_fixtures(void **state)
{
	struct result r;
	const char *const *sels = SEL("nvidia_smi_power_draw_watts",
	                              "nvidia_smi_utilization_gpu_ratio{uuid=~\"0+-.*\"}");

	(void)state;
	parse_fixture(&r, "nvidia_gpu_exporter-h100-load.metrics", PROMTEXT_0_0_4, sels, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.warn, "");
	assert_string_equal(r.t.buf,
	        "0 nvidia_smi_power_draw_watts [nvidia_smi_power_draw_watts gauge ] "
	        "{uuid=00000000-0000-0000-0000-000000000000} 631.95000000000005\n"
	        "1 nvidia_smi_utilization_gpu_ratio [nvidia_smi_utilization_gpu_ratio gauge ] "
	        "{uuid=00000000-0000-0000-0000-000000000000} 1\n");
	assert_int_equal(r.st.samples, 138);
	assert_int_equal(r.st.matched, 2);
	result_free(&r);

	parse_fixture(&r, "nvidia_gpu_exporter-h100-idle.metrics", PROMTEXT_0_0_4, sels, true);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 nvidia_smi_power_draw_watts [nvidia_smi_power_draw_watts gauge ] "
	        "{uuid=00000000-0000-0000-0000-000000000000} 69.849999999999994\n"
	        "1 nvidia_smi_utilization_gpu_ratio [nvidia_smi_utilization_gpu_ratio gauge ] "
	        "{uuid=00000000-0000-0000-0000-000000000000} 0\n");
	assert_int_equal(r.st.samples, 132);
	result_free(&r);
}

static void node_exporter_fixture(void **state)
{
	struct result r;

	(void)state;
	parse_fixture(&r, "node_exporter-e2e-output.txt", PROMTEXT_0_0_4,
	              SEL("node_rapl_package_joules_total", "node_rapl_core_joules_total",
	                  "node_power_supply_power_watt",
	                  "node_cpu_seconds_total{cpu=\"0\",mode=~\"idle|user\"}",
	                  "node_scrape_collector_success{collector=~\"rapl|hwmon\"}"), false);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.lines, 5483);
	assert_int_equal(r.st.samples, 3027);
	assert_int_equal(r.st.matched, 7);
	ASSERT_HAS(&r, "0 node_rapl_package_joules_total [node_rapl_package_joules_total counter ] "
	           "{index=0,path=collector/fixtures/sys/class/powercap/intel-rapl:0} 240422.366267\n");
	ASSERT_HAS(&r, "1 node_rapl_core_joules_total [node_rapl_core_joules_total counter ] "
	           "{index=0,path=collector/fixtures/sys/class/powercap/intel-rapl:0:0} 118821.284256\n");
	ASSERT_HAS(&r, "2 node_power_supply_power_watt [node_power_supply_power_watt gauge ] "
	           "{power_supply=BAT0} 5.0019999999999998\n");
	ASSERT_HAS(&r, "{cpu=0,mode=idle} 10870.690000000001\n");
	ASSERT_HAS(&r, "{cpu=0,mode=user} 444.89999999999998\n");
	ASSERT_HAS(&r, "4 node_scrape_collector_success [node_scrape_collector_success gauge ] "
	           "{collector=rapl} 1\n");
	result_free(&r);

	/* every sample: all valid, with the family types */
	parse_fixture(&r, "node_exporter-e2e-output.txt", PROMTEXT_0_0_4, ALL, false);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.delivered, 3027);
	assert_int_equal(r.t.calls, 3027);
	ASSERT_HAS(&r, "0 node_textfile_scrape_error [node_textfile_scrape_error gauge ] {} 0\n");
	ASSERT_HAS(&r, "0 node_netstat_Icmp6_InErrors [node_netstat_Icmp6_InErrors untyped ] {} 0\n");
	result_free(&r);
}

static void expfmt_text_fixture(void **state)
{
	struct result r;

	(void)state;
	parse_fixture(&r, "prometheus-common-expfmt-testdata-text.txt", PROMTEXT_0_0_4,
	              SEL("http_request_duration_microseconds{handler=\"prometheus\"}",
	                  "http_request_duration_microseconds_count{handler=\"prometheus\"}"),
	              true);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.samples, 248);
	assert_string_equal(r.t.buf,
	        "0 http_request_duration_microseconds [http_request_duration_microseconds summary ] "
	        "{handler=prometheus,quantile=0.5} 1307.2750000000001\n"
	        "0 http_request_duration_microseconds [http_request_duration_microseconds summary ] "
	        "{handler=prometheus,quantile=0.9} 1858.6320000000001\n"
	        "0 http_request_duration_microseconds [http_request_duration_microseconds summary ] "
	        "{handler=prometheus,quantile=0.99} 3087.384\n"
	        "1 http_request_duration_microseconds_count [http_request_duration_microseconds summary ] "
	        "{handler=prometheus} 119\n");
	result_free(&r);
}

/* ---- the expfmt corpus -------------------------------------------------------- */

static void corpus_valid(void **state)
{
	static const char *const files[] = {
		"minimal", "from_test_parse_0", "from_test_parse_1", "from_test_parse_2",
		"from_test_parse_3", "from_test_parse_4",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		char name[128];
		struct result r;
		snprintf(name, sizeof name, "expfmt-fuzz-corpus/%s", files[i]);
		parse_fixture(&r, name, PROMTEXT_0_0_4, NULL, true);
		if (r.rc != 0)
			fail_msg("%s: %s", files[i], r.err);
		assert_string_equal(r.warn, "");
		result_free(&r);
		parse_fixture(&r, name, PROMTEXT_0_0_4, ALL, false);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.t.calls, r.st.samples);
		result_free(&r);
	}
}

static void corpus_values(void **state)
{
	struct result r;

	(void)state;
	parse_fixture(&r, "expfmt-fuzz-corpus/from_test_parse_2", PROMTEXT_0_0_4, ALL, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 name [name counter ] {labelname=val1,basename=basevalue} nan\n"
	        "0 name [name counter ] {labelname=val2,basename=base\"v\\x5cal\\x0aue} 0.23000000000000001 @1234567890\n"
	        "0 name2 [name2 gauge ] {labelname=val2,basename=basevalue2} inf @54321\n"
	        "0 name2 [name2 gauge ] {labelname=val1} -inf\n");
	result_free(&r);

	/* decoy -1 -2: negative timestamp; fake_sum is its own untyped family;
	 * another_summary_count seen before... is part of the typed summary */
	parse_fixture(&r, "expfmt-fuzz-corpus/from_test_parse_3", PROMTEXT_0_0_4,
	              SEL("decoy", "fake_sum", "another_summary_count", "my_summary_sum"), false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 decoy [decoy  ] {} -1 @-2\n"
	        "3 my_summary_sum [my_summary summary ] {n1=val1} 4711 @2\n"
	        "1 fake_sum [fake_sum  ] {n1=val1} 2001\n"
	        "2 another_summary_count [another_summary summary ] {n2=val2,n1=val1} 20\n"
	        "3 my_summary_sum [my_summary summary ] {n1=val2} 8 @15\n");
	result_free(&r);

	parse_fixture(&r, "expfmt-fuzz-corpus/from_test_parse_4", PROMTEXT_0_0_4,
	              SEL("request_duration_microseconds_bucket{le=\"+Inf\"}",
	                  "request_duration_microseconds_sum"), false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 request_duration_microseconds_bucket [request_duration_microseconds histogram ] {le=+Inf} 2693\n"
	        "1 request_duration_microseconds_sum [request_duration_microseconds histogram ] {} 1756047.3\n");
	result_free(&r);
}

static void corpus_invalid(void **state)
{
	static const struct { const char *file; const char *err; } cases[] = {
		{ "from_test_parse_error_1", "line 1: invalid escape sequence '\\t' in label value" },
		{ "from_test_parse_error_2", "line 2: missing closing '\"' in label value" },
		{ "from_test_parse_error_3", "line 1: invalid label name starting with \"@\"" },
		{ "from_test_parse_error_4", "line 1: label name \"__name__\" is reserved" },
		{ "from_test_parse_error_5", "line 1: expected '=' after label name \"label\"" },
		{ "from_test_parse_error_6", "line 1: expected '\"' to start the value of label \"label\"" },
		{ "from_test_parse_error_7", "line 3: expected a number as value of label \"quantile\", got \"bla\"" },
		{ "from_test_parse_error_8", "line 1: expected ',' or '}' after the value of label \"label\"" },
		{ "from_test_parse_error_9", "line 1: expected an integer timestamp in ms, got \"2.72\"" },
		{ "from_test_parse_error_10", "line 1: unexpected \"3\" after the timestamp" },
		{ "from_test_parse_error_11", "line 1: expected a number as value, got \"blubb\"" },
		{ "from_test_parse_error_12", "line 3: second HELP line for metric name \"metric\"" },
		{ "from_test_parse_error_13", "line 3: second TYPE line for metric name \"metric\", or TYPE reported after samples" },
		{ "from_test_parse_error_14", "line 3: second TYPE line for metric name \"metric\", or TYPE reported after samples" },
		{ "from_test_parse_error_15", "line 2: unknown metric type \"bla\"" },
		{ "from_test_parse_error_16", "line 2: invalid metric name in comment" },
		{ "from_test_parse_error_17", "line 1: invalid metric name starting with \"@\"" },
		{ "from_test_parse_error_18", "line 1: metric name missing" },
		{ "from_test_parse_error_19", "line 3: expected a number as value of label \"le\", got \"bla\"" },
	};
	size_t i;
	struct result r;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[128];
		snprintf(name, sizeof name, "expfmt-fuzz-corpus/%s", cases[i].file);
		/* every line checked */
		parse_fixture(&r, name, PROMTEXT_0_0_4, NULL, true);
		assert_int_equal(r.rc, -1);
		if (strcmp(r.err, cases[i].err) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].file, r.err, cases[i].err);
		assert_int_equal(r.t.calls, 0);
		result_free(&r);
		/* default mode with every metric selected: the same verdict */
		parse_fixture(&r, name, PROMTEXT_0_0_4, ALL, false);
		assert_int_equal(r.rc, -1);
		assert_string_equal(r.err, cases[i].err);
		result_free(&r);
	}

	/* The one deliberate difference from promtool: no final newline is a
	 * warning, not an error (reference section 1.1). */
	parse_fixture(&r, "expfmt-fuzz-corpus/from_test_parse_error_0", PROMTEXT_0_0_4, ALL, true);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.warn, "line 1: missing final newline");
	assert_string_equal(r.t.buf, "0 bla [bla  ] {} 3.1400000000000001\n");
	result_free(&r);
}

/* Default mode parses only the name of unselected lines: a broken line
 * nobody asked for does not fail the body; validate_all does. */
static void unselected_lines_are_skipped(void **state)
{
	const char *body = "good 1\nmetric{label=\"bla\"} blubb\nother{a=b} 2\ngood 3\n";
	struct result r;

	(void)state;
	parse_str(&r, body, PROMTEXT_0_0_4, SEL("good"));
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf, "0 good [good  ] {} 1\n0 good [good  ] {} 3\n");
	assert_int_equal(r.st.samples, 4);
	assert_int_equal(r.st.matched, 2);
	result_free(&r);

	parse_with(&r, body, strlen(body), PROMTEXT_0_0_4, 0, SEL("good"), true);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 2: expected a number as value, got \"blubb\"");
	assert_string_equal(r.t.buf, "0 good [good  ] {} 1\n");
	result_free(&r);

	/* names are always checked */
	parse_str(&r, "good 1\n@bad 2\n", PROMTEXT_0_0_4, SEL("good"));
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 2: invalid metric name starting with \"@\"");
	result_free(&r);
	parse_str(&r, "good 1\nbad\n", PROMTEXT_0_0_4, SEL("good"));
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 2: expected a value after metric name \"bad\"");
	result_free(&r);
}

/* ---- hand-made edge cases ----------------------------------------------------- */

static void label_escaping(void **state)
{
	struct result r;

	(void)state;
	parse_str(&r, "m{a=\"x\\\\y\\\"z\\nw\",b=\"\",c=\"}{,=\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf, "0 m [m  ] {a=x\\x5cy\"z\\x0aw,b=,c=}{,=} 1\n");
	result_free(&r);

	/* 0.0.4 knows only three escapes */
	parse_str(&r, "m{a=\"\\q\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: invalid escape sequence '\\q' in label value");
	result_free(&r);
	/* OpenMetrics keeps any other pair as written (like Prometheus) */
	parse_str(&r, "m{a=\"\\q\\z\\\\\"} 1\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf, "0 m [m  ] {a=\\x5cq\\x5cz\\x5c} 1\n");
	result_free(&r);

	/* spaces inside braces, trailing comma, space before the brace, {} */
	parse_str(&r, "m { a = \"1\" , b=\"2\", } 1\nn{} 2\no{a=\"1\"}3\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf, "0 m [m  ] {a=1,b=2} 1\n0 n [n  ] {} 2\n0 o [o  ] {a=1} 3\n");
	result_free(&r);

	/* duplicate label names, also past the pairwise check */
	parse_str(&r, "m{a=\"1\",b=\"2\",a=\"3\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: duplicate label name \"a\"");
	result_free(&r);
	parse_str(&r, "m{a=\"1\",b=\"1\",c=\"1\",d=\"1\",e=\"1\",f=\"1\",g=\"1\",h=\"1\",i=\"1\","
	          "j=\"1\",k=\"1\",l=\"1\",m=\"1\",n=\"1\",g=\"1\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: duplicate label name \"g\"");
	result_free(&r);

	/* {,} and a missing value are errors */
	parse_str(&r, "m{,} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	parse_str(&r, "m{a=\"1\"}\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: expected a value after metric name \"m\"");
	result_free(&r);
}

static void values(void **state)
{
	static const struct { const char *in; const char *out; } ok[] = {
		{ "1", "1" }, { "-3e3", "-3000" }, { "1.7560473e+06", "1756047.3" },
		{ "08", "8" }, { "+1", "1" }, { "NaN", "nan" }, { "nan", "nan" },
		{ "+Inf", "inf" }, { "-Inf", "-inf" }, { "Inf", "inf" }, { "inf", "inf" },
		{ "+infinity", "inf" }, { "-InFiNiTy", "-inf" }, { "-0", "-0" },
		{ ".5", "0.5" }, { "5.", "5" }, { "1.e2", "100" }, { "1E-2", "0.01" },
		{ "1e-400", "0" }, { "0e999", "0" },
		{ "0.9825000000000159", "0.98250000000001592" },
		{ "9223372036854775808", "9.2233720368547758e+18" },
		{ "123456789012345678901234567890", "1.2345678901234568e+29" },
		{ "1.7976931348623157e308", "1.7976931348623157e+308" },
		{ "4.9e-324", "4.9406564584124654e-324" },
	};
	static const char *const bad[] = {
		"0x1f", "0x1p3", "1_000", "", "e5", "1e", "1e+", ".", "+", "-", "--1",
		"nan(1)", "+NaN", "infin", "1e400", "-1e400", "1,5", "1.5.5", "١", "1f",
	};
	size_t i;
	char body[256];
	struct result r;

	(void)state;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char want[128];
		snprintf(body, sizeof body, "m %s\n", ok[i].in);
		parse_str(&r, body, PROMTEXT_0_0_4, ALL);
		if (r.rc != 0)
			fail_msg("%s: %s", ok[i].in, r.err);
		snprintf(want, sizeof want, "0 m [m  ] {} %s\n", ok[i].out);
		assert_string_equal(r.t.buf, want);
		result_free(&r);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(body, sizeof body, "m %s\n", bad[i]);
		parse_str(&r, body, PROMTEXT_0_0_4, ALL);
		if (r.rc != -1)
			fail_msg("accepted value \"%s\"", bad[i]);
		assert_clean_message(r.err);
		result_free(&r);
	}
	/* OpenMetrics allows a sign on NaN */
	parse_str(&r, "m -NaN\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, 0);
	result_free(&r);
}

static void timestamps(void **state)
{
	struct result r;

	(void)state;
	parse_str(&r, "a 1 1520879607789\nb 1 -5\nc 1 +7\nd 1 9223372036854775807\n"
	          "e 1 -9223372036854775808\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 a [a  ] {} 1 @1520879607789\n0 b [b  ] {} 1 @-5\n0 c [c  ] {} 1 @7\n"
	        "0 d [d  ] {} 1 @9223372036854775807\n0 e [e  ] {} 1 @-9223372036854775808\n");
	result_free(&r);

	parse_str(&r, "a 1 9223372036854775808\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	parse_str(&r, "a 1 1e3\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);

	/* OpenMetrics: seconds, fractional, converted to ms */
	parse_str(&r, "# TYPE foo counter\nfoo_total 17.0 1520879607.789\nfoo_created 1 1520879607\n"
	          "foo_total 18 -1.5\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 foo_total [foo counter ] {} 17 @1520879607789\n"
	        "0 foo_created [foo counter ] {} 1 @1520879607000\n"
	        "0 foo_total [foo counter ] {} 18 @-1500\n");
	result_free(&r);
	parse_str(&r, "foo 1 NaN\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: expected a timestamp in seconds, got \"NaN\"");
	result_free(&r);
	parse_str(&r, "foo 1 1e300\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
}

static void histograms_and_summaries(void **state)
{
	const char *body =
	        "# HELP rpc summary\n"
	        "# TYPE rpc summary\n"
	        "rpc{quantile=\"0.5\"} 1\n"
	        "rpc{quantile=\"0.99\"} 2\n"
	        "rpc_sum 10\n"
	        "rpc_count 5\n"
	        "# TYPE lat histogram\n"
	        "lat_bucket{le=\"0.1\"} 1\n"
	        "lat_bucket{le=\"+Inf\"} 3\n"
	        "lat_sum 0.5\n"
	        "lat_count 3\n"
	        "lat_created 5\n"       /* not a histogram suffix in 0.0.4 */
	        "lat_count_total 1\n";
	struct result r;

	(void)state;
	parse_str(&r, body, PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 rpc [rpc summary ] {quantile=0.5} 1\n"
	        "0 rpc [rpc summary ] {quantile=0.99} 2\n"
	        "0 rpc_sum [rpc summary ] {} 10\n"
	        "0 rpc_count [rpc summary ] {} 5\n"
	        "0 lat_bucket [lat histogram ] {le=0.1} 1\n"
	        "0 lat_bucket [lat histogram ] {le=+Inf} 3\n"
	        "0 lat_sum [lat histogram ] {} 0.5\n"
	        "0 lat_count [lat histogram ] {} 3\n"
	        "0 lat_created [lat_created  ] {} 5\n"
	        "0 lat_count_total [lat_count_total  ] {} 1\n");
	assert_int_equal(r.st.families, 4);
	result_free(&r);

	/* le / quantile must be numbers on every sample of the family */
	parse_str(&r, "# TYPE x histogram\nx_sum{le=\"a\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 2: expected a number as value of label \"le\", got \"a\"");
	result_free(&r);
	parse_str(&r, "# TYPE x summary\nx_count{quantile=\"\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	parse_str(&r, "# TYPE x gauge\nx{le=\"a\",quantile=\"b\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, 0);
	result_free(&r);

	/* x_count seen before TYPE x summary stays its own family */
	parse_str(&r, "x_count 1\n# TYPE x summary\nx_count 2\nx_sum 3\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf, "0 x_count [x_count  ] {} 1\n0 x_count [x_count  ] {} 2\n"
	                    "0 x_sum [x summary ] {} 3\n");
	result_free(&r);

	/* interleaved families and repeated series are accepted (like expfmt) */
	parse_str(&r, "# TYPE a gauge\na 1\nb 2\na 3\na 3\n", PROMTEXT_0_0_4, SEL("a"));
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.calls, 3);
	result_free(&r);

	/* HELP after samples is fine, TYPE is not; type names ignore case */
	parse_str(&r, "a 1\n# HELP a doc\n# TYPE b COUNTER\nb 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf, "0 a [a  ] {} 1\n0 b [b counter ] {} 1\n");
	result_free(&r);

	/* OpenMetrics-only types are not 0.0.4 types */
	parse_str(&r, "# TYPE a info\n", PROMTEXT_0_0_4, NULL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: unknown metric type \"info\"");
	result_free(&r);
	parse_str(&r, "# TYPE a untyped\n# EOF\n", PROMTEXT_OPENMETRICS, NULL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
}

static void openmetrics(void **state)
{
	const char *body =
	        "# TYPE foo_seconds counter\n"
	        "# UNIT foo_seconds seconds\n"
	        "# HELP foo_seconds Time \\\"spent\\\".\n"
	        "foo_seconds_total{a=\"b\"} 17.0 1520879607.789 # {trace_id=\"oHg5SJYRHA0\"} 9.8 1520879607.789\n"
	        "foo_seconds_created{a=\"b\"} 1520430000.123\n"
	        "# TYPE h histogram\n"
	        "h_bucket{le=\"10\"} 17 # {trace_id=\"x # } y\"} 9.8\n"
	        "h_bucket{le=\"+Inf\"} 20 #   {}   1\n"
	        "h_count 20\n"
	        "h_sum 100\n"
	        "h_created 1\n"
	        "# TYPE i info\n"
	        "i_info{version=\"1.2\"} 1\n"
	        "# TYPE s stateset\n"
	        "s{s=\"a\"} 1\n"
	        "s{s=\"b\"} 0\n"
	        "# TYPE g gaugehistogram\n"
	        "g_bucket{le=\"+Inf\"} 3\n"
	        "g_gcount 3\n"
	        "g_gsum 4\n"
	        "# TYPE u unknown\n"
	        "u 1\n"
	        "# EOF";
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < NCHUNKS; i++) {
		parse_with(&r, body, strlen(body), PROMTEXT_OPENMETRICS, chunk_sizes[i], ALL, false);
		if (r.rc != 0)
			fail_msg("%s", r.err);
		/* # EOF without a newline is normal in OpenMetrics: no warning */
		assert_string_equal(r.warn, "");
		assert_string_equal(r.t.buf,
		        "0 foo_seconds_total [foo_seconds counter seconds] {a=b} 17 @1520879607789\n"
		        "0 foo_seconds_created [foo_seconds counter seconds] {a=b} 1520430000.1229999\n"
		        "0 h_bucket [h histogram ] {le=10} 17\n"
		        "0 h_bucket [h histogram ] {le=+Inf} 20\n"
		        "0 h_count [h histogram ] {} 20\n"
		        "0 h_sum [h histogram ] {} 100\n"
		        "0 h_created [h histogram ] {} 1\n"
		        "0 i_info [i info ] {version=1.2} 1\n"
		        "0 s [s stateset ] {s=a} 1\n"
		        "0 s [s stateset ] {s=b} 0\n"
		        "0 g_bucket [g gaugehistogram ] {le=+Inf} 3\n"
		        "0 g_gcount [g gaugehistogram ] {} 3\n"
		        "0 g_gsum [g gaugehistogram ] {} 4\n"
		        "0 u [u unknown ] {} 1\n");
		result_free(&r);
	}

	/* # EOF is required, and ends the body */
	parse_str(&r, "a 1\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: missing \"# EOF\" at the end of an OpenMetrics body");
	result_free(&r);
	parse_str(&r, "", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	parse_str(&r, "a 1\n# EOF\nb 2\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 3: unexpected data after # EOF");
	assert_int_equal(r.t.calls, 1);
	result_free(&r);
	parse_str(&r, "a 1\n# EOF\n\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	parse_str(&r, "# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, 0);
	result_free(&r);
	/* in 0.0.4, # EOF is just a comment */
	parse_str(&r, "a 1\n# EOF\nb 2\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.calls, 2);
	result_free(&r);

	/* free comments are not OpenMetrics */
	parse_str(&r, "# hello\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	/* UNIT must be the name's suffix; at most one */
	parse_str(&r, "# UNIT foo seconds\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: unit \"seconds\" is not a suffix of metric name \"foo\"");
	result_free(&r);
	parse_str(&r, "# UNIT a_b b\n# UNIT a_b b\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	/* exemplars are OpenMetrics only, and must be well formed */
	parse_str(&r, "a_total 1 # {a=\"b\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: expected an integer timestamp in ms, got \"#\"");
	result_free(&r);
	parse_str(&r, "a_total 1 # {a=\"b\" 1\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	parse_str(&r, "a_total 1 # {a=\"b\"}\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	parse_str(&r, "a_total 1 # {a=\"b\"} 1 2 3\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
	parse_str(&r, "a_total 1 # a\n# EOF\n", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
}

static void quoted_utf8_names(void **state)
{
	struct result r;

	(void)state;
	parse_str(&r, "# TYPE \"my.dotted.metric\" gauge\n"
	          "{\"my.dotted.metric\", \"error.message\"=\"Not Found\"} 1\n"
	          "{\"my.dotted.metric\"} 2\n"
	          "foo{\"http.status\"=\"200\",\"\xc3\xa9\"=\"x\"} 3\n",
	          PROMTEXT_0_0_4, SEL("{\"my.dotted.metric\"}", "foo{\"http.status\"=~\"2..\"}"));
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 my.dotted.metric [my.dotted.metric gauge ] {error.message=Not Found} 1\n"
	        "0 my.dotted.metric [my.dotted.metric gauge ] {} 2\n"
	        "1 foo [foo  ] {http.status=200,\\xc3\\xa9=x} 3\n");
	result_free(&r);

	/* a quoted label name is not a metric name */
	parse_str(&r, "{\"a\"=\"b\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: metric name missing");
	result_free(&r);
	parse_str(&r, "{\"\"} 1\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(r.rc, -1);
	result_free(&r);
}

static void crlf_blank_lines_and_whitespace(void **state)
{
	size_t len, i, o = 0;
	char *lf = read_fixture("node_exporter-e2e-output.txt", &len);
	char *crlf = malloc(len * 2 + 1);
	struct result a, b;
	const char *const *sels = SEL("node_rapl_package_joules_total", "node_cpu_seconds_total");

	(void)state;
	assert_non_null(crlf);
	for (i = 0; i < len; i++) {
		if (lf[i] == '\n')
			crlf[o++] = '\r';
		crlf[o++] = lf[i];
	}
	parse_with(&a, lf, len, PROMTEXT_0_0_4, 0, sels, true);
	for (i = 0; i < NCHUNKS; i++) {
		parse_with(&b, crlf, o, PROMTEXT_0_0_4, chunk_sizes[i], sels, true);
		assert_int_equal(b.rc, 0);
		assert_string_equal(a.t.buf, b.t.buf);
		assert_memory_equal(&a.st, &b.st, sizeof a.st);
		result_free(&b);
	}
	result_free(&a);
	free(lf);
	free(crlf);

	parse_str(&a, "\n\n  \t\n a 1 \t\n\tb{x=\"1\"}\t2\t3\t\n\r\n# comment \r\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.t.buf, "0 a [a  ] {} 1\n0 b [b  ] {x=1} 2 @3\n");
	assert_int_equal(a.st.lines, 7);
	result_free(&a);

	/* only one \r is a line end; another is in the value */
	parse_str(&a, "a 1\r\r\n", PROMTEXT_0_0_4, ALL);
	assert_int_equal(a.rc, -1);
	assert_string_equal(a.err, "line 1: expected a number as value, got \"1\\x0d\"");
	result_free(&a);

	/* no final newline: a warning, the sample is there */
	parse_str(&a, "a 1\nb 2", PROMTEXT_0_0_4, ALL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.t.calls, 2);
	assert_string_equal(a.warn, "line 2: missing final newline");
	result_free(&a);
	parse_str(&a, "a 1\n# EOF", PROMTEXT_OPENMETRICS, ALL);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.warn, "");
	result_free(&a);
	parse_str(&a, "", PROMTEXT_0_0_4, ALL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.st.lines, 0);
	result_free(&a);
}

static void long_lines(void **state)
{
	size_t n = 100 * 1024, i;
	char *body = malloc(n + 64);
	struct result r;
	size_t len;

	(void)state;
	assert_non_null(body);
	/* a 100 KB label value on line 2 */
	len = (size_t)sprintf(body, "ok 1\nm{a=\"");
	memset(body + len, 'x', n);
	len += n;
	len += (size_t)sprintf(body + len, "\"} 1\nok 2\n");
	for (i = 0; i < NCHUNKS; i++) {
		parse_with(&r, body, len, PROMTEXT_0_0_4, chunk_sizes[i], SEL("ok"), false);
		assert_int_equal(r.rc, -1);
		assert_string_equal(r.err, "line 2: line longer than 65536 bytes");
		assert_string_equal(r.t.buf, "0 ok [ok  ] {} 1\n");
		result_free(&r);
	}
	/* the same without a final newline, and as a comment */
	parse_with(&r, body, 5 + n, PROMTEXT_0_0_4, 4096, NULL, false);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 2: line longer than 65536 bytes");
	result_free(&r);

	/* exactly PROMTEXT_MAX_LINE bytes is fine (a comment), one more is not */
	body[0] = '#';
	memset(body + 1, ' ', PROMTEXT_MAX_LINE - 1);
	body[PROMTEXT_MAX_LINE] = '\n';
	for (i = 0; i < NCHUNKS; i++) {
		parse_with(&r, body, PROMTEXT_MAX_LINE + 1, PROMTEXT_0_0_4, chunk_sizes[i], NULL, false);
		assert_int_equal(r.rc, 0);
		result_free(&r);
	}
	body[PROMTEXT_MAX_LINE] = ' ';
	body[PROMTEXT_MAX_LINE + 1] = '\n';
	for (i = 0; i < NCHUNKS; i++) {
		parse_with(&r, body, PROMTEXT_MAX_LINE + 2, PROMTEXT_0_0_4, chunk_sizes[i], NULL, false);
		assert_int_equal(r.rc, -1);
		assert_string_equal(r.err, "line 1: line longer than 65536 bytes");
		result_free(&r);
	}
	free(body);
}

static void hostile_bytes(void **state)
{
	static const char body[] =
	        "m{a=\"x\0y\",b=\"\xff\xfe\xc3\",c=\"\x1b[2J\x1b]0;pwned\x07\",d=\"\xc2\x9b" "31m\"} 1\n";
	struct result r;

	(void)state;
	/* delivered exactly as sent (with its length), sanitizing is the UI's job */
	parse_with(&r, body, sizeof body - 1, PROMTEXT_0_0_4, 0, ALL, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.buf,
	        "0 m [m  ] {a=x\\x00y,b=\\xff\\xfe\\xc3,c=\\x1b[2J\\x1b]0;pwned\\x07,d=\\xc2\\x9b31m} 1\n");
	result_free(&r);
	/* a value with a NUL matches no regex, and != / !~ */
	parse_with(&r, body, sizeof body - 1, PROMTEXT_0_0_4, 0,
	           SEL("m{a=~\"x.*\"}", "m{a!~\"x\"}", "m{a!=\"x\"}"), false);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.calls, 2);
	assert_true(strncmp(r.t.buf, "1 m", 3) == 0);
	result_free(&r);

	/* messages never carry raw control bytes or non-ASCII */
	{
		static const char *const bad[] = {
			"m \x1b[2J\x1b]0;title\x07\n",
			"m{a=\"1\"} 1 \x1b[31m\n",
			"m\x1b[31m 1\n",
			"\x1b[31m 1\n",
			"m{\x9b=\"1\"} 1\n",
			"m{a=\"\\\x1b\"} 1\n",
			"# TYPE m \x1b[31m\n",
			"# TYPE m\x07 gauge\n",
			"m{a=\"1\"}\x00 1\n",
		};
		size_t i;
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			size_t len = strlen(bad[i]);
			if (i == sizeof bad / sizeof bad[0] - 1)
				len = 13;       /* contains a NUL */
			parse_with(&r, bad[i], len, PROMTEXT_0_0_4, 0, ALL, false);
			assert_int_equal(r.rc, -1);
			assert_clean_message(r.err);
			result_free(&r);
		}
		parse_str(&r, "m \x1b[2J\x1b]0;title\x07\n", PROMTEXT_0_0_4, ALL);
		assert_string_equal(r.err, "line 1: expected a number as value, got "
		                    "\"\\x1b[2J\\x1b]0;title\\x07\"");
		result_free(&r);
	}

	/* a NUL byte where a name or value belongs */
	{
		static const char nul[] = "a 1\n\0 1\nb 2\n";
		parse_with(&r, nul, sizeof nul - 1, PROMTEXT_0_0_4, 1, ALL, false);
		assert_int_equal(r.rc, -1);
		assert_string_equal(r.err, "line 2: invalid metric name starting with \"\\x00\"");
		result_free(&r);
	}
}

struct sel_case {
	const char *sel;
	const char *want;       /* which of the samples below match, by letter */
};

static int letters(int sel, const struct promtext_labels *L, double v, bool has_ts,
                   int64_t ts, void *user)
{
	char *out = user;
	size_t n = strlen(out);

	(void)sel;
	(void)L;
	(void)has_ts;
	(void)ts;
	out[n] = (char)('a' + (int)v);
	out[n + 1] = '\0';
	return 0;
}

static void matchers(void **state)
{
	static const char body[] =
	        "power{gpu=\"0\",model=\"H100\"} 0\n"
	        "power{gpu=\"1\",model=\"H100 80GB\"} 1\n"
	        "power{gpu=\"10\"} 2\n"
	        "power 3\n"
	        "power{gpu=\"ab\"} 4\n"
	        "other{gpu=\"0\"} 5\n";
	static const struct sel_case cases[] = {
		{ "power", "abcde" },
		{ "power{gpu=\"0\"}", "a" },
		{ "power{gpu!=\"0\"}", "bcde" },
		{ "power{gpu=~\"1\"}", "b" },           /* anchored: not "10" */
		{ "power{gpu=~\"1.*\"}", "bc" },
		{ "power{gpu!~\"1.*\"}", "ade" },
		{ "power{gpu=\"\"}", "d" },             /* missing label is "" */
		{ "power{gpu=~\"\"}", "d" },
		{ "power{gpu!=\"\"}", "abce" },
		{ "power{gpu=~\"a|ab\"}", "e" },        /* leftmost-longest, whole value */
		{ "power{gpu=~\"(a|ab)(c|bcd)?\"}", "e" },
		{ "power{model=~\"H100\"}", "a" },
		{ "power{model=~\"H100.*\",gpu=~\"[01]\"}", "ab" },
		{ "power{model=~\".*GB\"}", "b" },
		{ "power{model!~\".+\"}", "cde" },
		{ "{__name__=~\"p.*\",gpu=\"0\"}", "a" },
		{ "{__name__=\"other\"}", "f" },
		{ "{gpu=\"0\"}", "af" },
		{ "missing", "" },
		{ "missing{gpu=\"0\"}", "" },
		{ "power{nolabel=\"x\"}", "" },
		{ "{__name__=~\"nothing.*\"}", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got[64] = "";
		struct promtext *p = promtext_new(PROMTEXT_0_0_4);
		struct promtext_stats st;
		assert_non_null(p);
		promtext_on_sample(p, letters, got);
		if (promtext_add_selector_str(p, cases[i].sel) != 0)
			fail_msg("%s: %s", cases[i].sel, promtext_error(p));
		assert_int_equal(promtext_feed(p, body, sizeof body - 1), 0);
		assert_int_equal(promtext_finish(p), 0);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].sel, got, cases[i].want);
		promtext_get_stats(p, &st);
		assert_int_equal(st.matched, strlen(cases[i].want));
		assert_int_equal(st.samples, 6);
		promtext_free(p);
	}
}

static void selectors_api(void **state)
{
	struct promtext *p = promtext_new(PROMTEXT_0_0_4);
	struct promtext_matcher m[2] = {
		{ "gpu", PROMTEXT_RE, "0|1" },
		{ "model", PROMTEXT_NE, "T4" },
	};
	struct transcript t = { 0 };
	static const char body[] = "x{gpu=\"0\"} 1\nx{gpu=\"2\"} 2\ny 3\nx{gpu=\"1\",model=\"T4\"} 4\n";

	(void)state;
	assert_non_null(p);
	promtext_on_sample(p, record, &t);
	assert_int_equal(promtext_add_selector(p, "x", m, 2), 0);
	assert_int_equal(promtext_add_selector(p, NULL, NULL, 0), 1);          /* everything */
	assert_int_equal(promtext_add_selector(p, "x", NULL, 0), 2);
	assert_int_equal(promtext_add_selector_str(p, "y"), 3);
	/* bad selectors: -1 with a reason; the parser stays usable */
	m[0].value = "(";
	assert_int_equal(promtext_add_selector(p, "x", m, 1), -1);
	assert_non_null(strstr(promtext_error(p), "selector: bad regex \"(\""));
	assert_int_equal(promtext_add_selector_str(p, "x{a=b}"), -1);
	assert_string_equal(promtext_error(p), "selector \"x{a=b}\": expected a quoted label value");
	assert_int_equal(promtext_add_selector_str(p, "x{a=\"b\"} junk"), -1);
	assert_int_equal(promtext_add_selector_str(p, "x{a=\"b\\q\"}"), -1);
	assert_int_equal(promtext_add_selector_str(p, ""), -1);
	assert_int_equal(promtext_add_selector_str(p, "x{a=\"b\""), -1);
	assert_int_equal(promtext_add_selector_str(p, "x{a~\"b\"}"), -1);
	assert_int_equal(promtext_add_selector_str(p, "x{a=\"b\"\x1b}"), -1);
	assert_clean_message(promtext_error(p));

	assert_int_equal(promtext_feed(p, body, sizeof body - 1), 0);
	assert_int_equal(promtext_add_selector_str(p, "late"), -1);
	assert_string_equal(promtext_error(p), "selectors must be added before feeding a body");
	assert_int_equal(promtext_finish(p), 0);
	/* in selector order for each sample */
	assert_string_equal(t.buf,
	        "0 x [x  ] {gpu=0} 1\n1 x [x  ] {gpu=0} 1\n2 x [x  ] {gpu=0} 1\n"
	        "1 x [x  ] {gpu=2} 2\n2 x [x  ] {gpu=2} 2\n"
	        "1 y [y  ] {} 3\n3 y [y  ] {} 3\n"
	        "1 x [x  ] {gpu=1,model=T4} 4\n2 x [x  ] {gpu=1,model=T4} 4\n");

	/* the next body: same selectors, more may be added, format may change */
	promtext_reset(p, PROMTEXT_OPENMETRICS);
	assert_null(promtext_error(p));
	assert_int_equal(promtext_add_selector_str(p, "{\"z.z\", a=~'b', c!~`d\\.`}"), 4);
	t.len = 0;
	t.calls = 0;
	{
		const char *b = "{\"z.z\",a=\"b\",c=\"e\"} 1 2.5\n# EOF\n";
		assert_int_equal(promtext_feed(p, b, strlen(b)), 0);
	}
	assert_int_equal(promtext_finish(p), 0);
	assert_string_equal(t.buf, "1 z.z [z.z  ] {a=b,c=e} 1 @2500\n4 z.z [z.z  ] {a=b,c=e} 1 @2500\n");
	/* finish is final */
	assert_int_equal(promtext_feed(p, "a 1\n", 4), -1);
	promtext_free(p);
	free(t.buf);

	promtext_free(NULL);
	assert_string_equal(promtext_type_name(PROMTEXT_TYPE_GAUGEHISTOGRAM), "gaugehistogram");
	assert_string_equal(promtext_type_name(PROMTEXT_TYPE_NONE), "");
}

static int check_label_value(int sel, const struct promtext_labels *L, double v, bool has_ts,
                             int64_t ts, void *user)
{
	(void)sel;
	(void)v;
	(void)has_ts;
	(void)ts;
	(void)user;
	assert_string_equal(promtext_label_value(L, "b"), "2");
	assert_string_equal(promtext_label_value(L, "__name__"), "m");
	assert_null(promtext_label_value(L, "c"));
	return 0;
}

static void errors_stop_delivery(void **state)
{
	struct result r;
	struct promtext *p;
	size_t i;

	(void)state;
	parse_str(&r, "a 1\na{x=} 2\na 3\n", PROMTEXT_0_0_4, SEL("a"));
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.t.calls, 1);
	assert_int_equal(r.st.lines, 2);
	result_free(&r);

	/* the callback may stop the body */
	p = promtext_new(PROMTEXT_0_0_4);
	assert_non_null(p);
	memset(&r, 0, sizeof r);
	r.t.stop_after = 2;
	promtext_on_sample(p, record, &r.t);
	assert_int_equal(promtext_add_selector_str(p, "a"), 0);
	assert_int_equal(promtext_feed(p, "a 1\na 2\na 3\n", 12), -1);
	assert_string_equal(promtext_error(p), "line 2: stopped by the caller");
	assert_int_equal(r.t.calls, 2);
	/* and a reset body starts clean */
	promtext_reset(p, PROMTEXT_0_0_4);
	r.t.stop_after = 0;
	promtext_on_sample(p, check_label_value, NULL);
	assert_int_equal(promtext_add_selector_str(p, "m"), 1);
	assert_int_equal(promtext_feed(p, "m{a=\"1\",b=\"2\"} 1\n", 17), 0);
	assert_int_equal(promtext_finish(p), 0);
	assert_null(promtext_warning(p));
	promtext_free(p);
	free(r.t.buf);

	/* too many families is an error, not unbounded memory */
	{
		size_t cap = (PROMTEXT_MAX_FAMILIES + 2) * 12;
		char *big = malloc(cap);
		size_t len = 0;
		assert_non_null(big);
		for (i = 0; i <= PROMTEXT_MAX_FAMILIES; i++)
			len += (size_t)snprintf(big + len, cap - len, "m%zu 1\n", i);
		parse_with(&r, big, len, PROMTEXT_0_0_4, 65536, SEL("m1"), false);
		assert_int_equal(r.rc, -1);
		assert_string_equal(r.err, "line 65537: too many metric families (more than 65536)");
		assert_int_equal(r.t.calls, 1);
		result_free(&r);
		free(big);
	}
}

static void content_type(void **state)
{
	(void)state;
	assert_int_equal(promtext_format_from_content_type(NULL), PROMTEXT_0_0_4);
	assert_int_equal(promtext_format_from_content_type(""), PROMTEXT_0_0_4);
	assert_int_equal(promtext_format_from_content_type("text/plain; version=0.0.4; charset=utf-8"),
	                 PROMTEXT_0_0_4);
	assert_int_equal(promtext_format_from_content_type("text/plain;version=1.0.0;escaping=allow-utf-8"),
	                 PROMTEXT_0_0_4);
	assert_int_equal(promtext_format_from_content_type("application/openmetrics-text; version=1.0.0; charset=utf-8"),
	                 PROMTEXT_OPENMETRICS);
	assert_int_equal(promtext_format_from_content_type(" Application/OpenMetrics-Text;version=0.0.1"),
	                 PROMTEXT_OPENMETRICS);
	assert_int_equal(promtext_format_from_content_type("application/openmetrics-textual"),
	                 PROMTEXT_0_0_4);
	assert_int_equal(promtext_format_from_content_type("application/json"), PROMTEXT_0_0_4);
	assert_non_null(strstr(PROMTEXT_ACCEPT, "application/openmetrics-text;version=1.0.0"));
	assert_non_null(strstr(PROMTEXT_ACCEPT, "text/plain;version=0.0.4;q=0.3"));
	assert_null(strchr(PROMTEXT_ACCEPT, ' '));
	assert_null(strchr(PROMTEXT_ACCEPT_0_0_4, ' '));
}

static int keep_values(int sel, const struct promtext_labels *L, double v, bool has_ts,
                       int64_t ts, void *user)
{
	double *out = user;
	size_t i = 0;

	(void)sel;
	(void)L;
	(void)has_ts;
	(void)ts;
	while (out[i] != 0)
		i++;
	out[i] = v;
	return 0;
}

/* The program may run in a locale whose decimal point is ',' (or not even
 * one byte): numbers must not depend on it. */
static void decimal_comma_locale(void **state)
{
	static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8", "ps_AF.UTF-8", "ps_AF.utf8" };
	static const char body[] = "a 0.98250000000000159\nb 1.5\nc 12345678901234567.25e-3\n";
	size_t i;
	int tried = 0;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		double got[8] = { 0 };
		struct promtext *p;
		if (!setlocale(LC_NUMERIC, names[i]))
			continue;
		tried++;
		p = promtext_new(PROMTEXT_0_0_4);
		assert_non_null(p);
		promtext_on_sample(p, keep_values, got);
		assert_int_equal(promtext_add_selector_str(p, "{__name__=~\".\"}"), 0);
		assert_int_equal(promtext_feed(p, body, sizeof body - 1), 0);
		assert_int_equal(promtext_finish(p), 0);
		promtext_free(p);
		setlocale(LC_NUMERIC, "C");
		assert_true(got[0] == 0.98250000000000159);
		assert_true(got[1] == 1.5);
		assert_true(got[2] == 12345678901234.56725);
	}
	setlocale(LC_NUMERIC, "C");
	if (!tried)
		skip();         /* no such locale installed here */
}

/* Error branches the other tests do not reach. */
static void more_errors(void **state)
{
	static const struct { const char *body; enum promtext_format fmt; const char *err; } cases[] = {
		{ "# EOF x\n", PROMTEXT_OPENMETRICS, "line 1: unexpected text after # EOF" },
		{ "# HELP \"\" doc\n", PROMTEXT_0_0_4, "line 1: empty metric name in comment" },
		{ "# HELP @x doc\n", PROMTEXT_0_0_4, "line 1: invalid metric name in comment" },
		{ "# HELP \"a\"x doc\n", PROMTEXT_0_0_4, "line 1: invalid metric name in comment" },
		{ "# HELP \"a doc\n", PROMTEXT_0_0_4, "line 1: missing closing '\"' in metric name" },
		{ "# UNIT a_s s x\n# EOF\n", PROMTEXT_OPENMETRICS, "line 1: invalid unit \"s x\"" },
		{ "a_total 1 # {} 1 x\n# EOF\n", PROMTEXT_OPENMETRICS,
		  "line 1: expected a timestamp in seconds in the exemplar, got \"x\"" },
		{ "a_total 1 # {} x\n# EOF\n", PROMTEXT_OPENMETRICS,
		  "line 1: expected a number as exemplar value, got \"x\"" },
		{ "a{\"\"=\"x\"} 1\n", PROMTEXT_0_0_4, "line 1: empty label name" },
		{ "a{\"x\"=\"x} 1\n", PROMTEXT_0_0_4, "line 1: missing closing '\"' in label value" },
		{ "a{x=\"x\\", PROMTEXT_0_0_4, "line 1: missing closing '\"' in label value" },
		{ "a{\"x=\"x\"} 1\n", PROMTEXT_0_0_4, "line 1: expected '=' after label name \"x=\"" },
		{ "a{x=\"1\"", PROMTEXT_0_0_4, "line 1: expected ',' or '}' after the value of label \"x\"" },
		{ "a{x=\"1\", ", PROMTEXT_0_0_4, "line 1: unexpected end of line in label set" },
		{ "{\"a\" 1\n", PROMTEXT_0_0_4, "line 1: metric name missing" },
		{ "{ 1\n", PROMTEXT_0_0_4, "line 1: metric name missing" },
		{ "a 1 2 # {} 1\n", PROMTEXT_0_0_4, "line 1: unexpected \"# {} 1\" after the timestamp" },
	};
	struct result r;
	size_t i;
	char body[4096];
	size_t len;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		parse_with(&r, cases[i].body, strlen(cases[i].body), cases[i].fmt, 0, ALL, false);
		assert_int_equal(r.rc, -1);
		if (strcmp(r.err, cases[i].err) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].body, r.err, cases[i].err);
		result_free(&r);
	}

	/* many labels: the duplicate check sorts them */
	len = (size_t)sprintf(body, "m{");
	for (i = 0; i < 40; i++)
		len += (size_t)sprintf(body + len, "l%zu=\"%zu\",", (i * 7) % 40, i);
	len += (size_t)sprintf(body + len, "} 1\n");
	parse_with(&r, body, len, PROMTEXT_0_0_4, 0, ALL, false);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.calls, 1);
	result_free(&r);
	len = (size_t)sprintf(body, "m{");
	for (i = 0; i < 40; i++)
		len += (size_t)sprintf(body + len, "l%zu=\"x\",", i == 33 ? (size_t)5 : i);
	len += (size_t)sprintf(body + len, "} 1\n");
	parse_with(&r, body, len, PROMTEXT_0_0_4, 0, ALL, false);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "line 1: duplicate label name \"l5\"");
	result_free(&r);

	/* selector text: escapes and errors */
	{
		struct promtext *p = promtext_new(PROMTEXT_0_0_4);
		struct transcript t = { 0 };
		static const char data[] = "m{a=\"x\\ny\",b=\"'\\\\\"} 1\n";
		assert_non_null(p);
		promtext_on_sample(p, record, &t);
		assert_int_equal(promtext_add_selector_str(p, " m { a = \"x\\ny\" , b='\\'\\\\' } "), 0);
		assert_int_equal(promtext_add_selector_str(p, "m{a=~\"x\\n[y]\",b!~\"\\t|\\r\"}"), 1);
		assert_int_equal(promtext_add_selector_str(p, "m{a=\"x"), -1);
		assert_string_equal(promtext_error(p), "selector \"m{a=\\x22x\": unterminated string");
		assert_int_equal(promtext_add_selector_str(p, "m{=\"x\"}"), -1);
		assert_string_equal(promtext_error(p), "selector \"m{=\\x22x\\x22}\": expected a label name");
		assert_int_equal(promtext_add_selector_str(p, NULL), -1);
		assert_int_equal(promtext_add_selector(p, "m", NULL, 1), -1);
		{
			struct promtext_matcher bad = { "a", (enum promtext_op)9, "x" };
			struct promtext_matcher nolabel = { NULL, PROMTEXT_EQ, "x" };
			assert_int_equal(promtext_add_selector(p, "m", &bad, 1), -1);
			assert_int_equal(promtext_add_selector(p, "m", &nolabel, 1), -1);
		}
		assert_int_equal(promtext_feed(p, NULL, 0), 0);
		assert_int_equal(promtext_feed(p, data, sizeof data - 1), 0);
		assert_int_equal(promtext_finish(p), 0);
		assert_string_equal(t.buf, "0 m [m  ] {a=x\\x0ay,b='\\x5c} 1\n1 m [m  ] {a=x\\x0ay,b='\\x5c} 1\n");
		promtext_reset(p, PROMTEXT_0_0_4);
		assert_int_equal(promtext_feed(p, NULL, 3), -1);
		assert_string_equal(promtext_error(p), "line 1: no buffer");
		promtext_free(p);
		free(t.buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dcgm_fixture),
		cmocka_unit_test(h100_fixtures),
		cmocka_unit_test(node_exporter_fixture),
		cmocka_unit_test(expfmt_text_fixture),
		cmocka_unit_test(corpus_valid),
		cmocka_unit_test(corpus_values),
		cmocka_unit_test(corpus_invalid),
		cmocka_unit_test(unselected_lines_are_skipped),
		cmocka_unit_test(label_escaping),
		cmocka_unit_test(values),
		cmocka_unit_test(timestamps),
		cmocka_unit_test(histograms_and_summaries),
		cmocka_unit_test(openmetrics),
		cmocka_unit_test(quoted_utf8_names),
		cmocka_unit_test(crlf_blank_lines_and_whitespace),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(hostile_bytes),
		cmocka_unit_test(matchers),
		cmocka_unit_test(selectors_api),
		cmocka_unit_test(errors_stop_delivery),
		cmocka_unit_test(more_errors),
		cmocka_unit_test(content_type),
		cmocka_unit_test(decimal_comma_locale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
