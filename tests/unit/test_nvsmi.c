/*
 * Tests of the nvidia-smi source (fetch/nvsmi.c): its line parser on real
 * captures (tests/fixtures/nvidia-smi-h100/, nvidia-smi-h200/) and on the
 * lines nvidia-smi prints when things go wrong, and the source run end to
 * end against tests/standins/nvidia-smi (which replays those captures) in a
 * real source_set with a model and a localbox, driven by the program's
 * poll() loop: sums, [N/A] power, a child that dies, one that hangs, one
 * that is not there, the driver's error.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "fetch/child.h"
#include "fetch/localbox.h"
#include "fetch/nvsmi.h"
#include "fetch/source.h"
#include "testlib.h"

#define STANDIN TOP_SRCDIR "/tests/standins/nvidia-smi"
#define H100 TOP_SRCDIR "/tests/fixtures/nvidia-smi-h100/"
#define H200 TOP_SRCDIR "/tests/fixtures/nvidia-smi-h200/"
/* (this cmocka has no assert_double_equal) */
#define assert_near(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s is %.9g, not %.9g", #a, a_, b_); \
} while (0)
#define QUERY_ARGS "--query-gpu=" NVSMI_QUERY " --format=csv,noheader,nounits"

/* ---- the parser ----------------------------------------------------------- */

/* What the stand-in prints for one sample of `captures` (':'-joined), as
 * perwatt's query asks, parsed line by line into out[]; returns how many. */
static size_t standin_sample(const char *captures, struct nvsmi_sample *out, size_t max)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "PERWATT_STANDIN_NVSMI='%s' '%s' " QUERY_ARGS, captures, STANDIN);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[1024];
	size_t n = 0;
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = '\0';
		char err[200];
		assert_true(n < max);
		if (nvsmi_parse_line(line, &out[n], err, sizeof err) != 0)
			fail_msg("not parsed: \"%s\" (%s)", line, err);
		assert_string_equal(err, "");
		n++;
	}
	assert_int_equal(pclose(p), 0);
	return n;
}

static void test_parse_captures(void **state)
{
	(void)state;
	struct nvsmi_sample s[4];

	/* H100 under load and idle (their SOURCE.md lists the values) */
	assert_int_equal(standin_sample(H100 "query-gpu-h100-load.csv", s, 4), 1);
	assert_int_equal(s[0].index, 0);
	assert_string_equal(s[0].name, "NVIDIA H100 80GB HBM3");
	assert_string_equal(s[0].uuid, "GPU-00000000-0000-0000-0000-000000000000");
	assert_near(s[0].power_w, 631.95, 1e-9);
	assert_near(s[0].power_limit_w, 700.0, 1e-9);
	assert_near(s[0].util_pct, 100, 1e-9);
	assert_near(s[0].mem_used_mib, 19818, 1e-9);
	assert_near(s[0].mem_total_mib, 81559, 1e-9);

	/* three captures make a box of three GPUs, numbered in order */
	assert_int_equal(standin_sample(H100 "query-gpu-h100-load.csv:" H100 "query-gpu-h100-idle.csv:" H200
	                                     "query-idle.csv", s, 4), 3);
	assert_int_equal(s[1].index, 1);
	assert_near(s[1].power_w, 69.85, 1e-9);
	assert_near(s[1].util_pct, 0, 1e-9);
	assert_int_equal(s[2].index, 2);
	assert_string_equal(s[2].name, "NVIDIA H200");
	assert_string_equal(s[2].uuid, "GPU-b2d14459-64f5-928f-8097-239ad7312ee9");
	assert_near(s[2].power_w, 78.00, 1e-9);
	assert_near(s[2].mem_total_mib, 143771, 1e-9);

	/* the H200's stream has no uuid nor power.limit: [N/A], left out */
	assert_int_equal(standin_sample(H200 "stream-lms500.csv", s, 4), 1);
	assert_string_equal(s[0].name, "NVIDIA H200");
	assert_near(s[0].power_w, 77.97, 1e-9);
	assert_true(isnan(s[0].power_limit_w));
	assert_string_equal(s[0].uuid, "[N/A]");
}

/* Every line of the H200's stream, put in perwatt's field order by hand
 * (timestamp, index, name, power.draw, utilization.gpu, memory.used,
 * memory.total -> index, name, uuid, power.draw, power.limit, ...). */
static void test_parse_stream(void **state)
{
	(void)state;
	size_t len;
	char *buf = testlib_slurp(H200 "stream-lms500.csv", &len);
	char *text = malloc(len + 1);
	assert_non_null(text);
	memcpy(text, buf, len);
	text[len] = '\0';
	free(buf);
	int lines = 0;
	double max_w = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char ts[32], idx[8], name[64], w[16], u[16], mu[16], mt[16];
		if (sscanf(l, "%31[^,], %7[^,], %63[^,], %15[^,], %15[^,], %15[^,], %15s", ts, idx, name, w, u, mu,
		           mt) != 7)
			fail_msg("capture line not understood: %s", l);
		/* the capture's own line is another query's: never a sample */
		struct nvsmi_sample s;
		char err[200];
		assert_int_equal(nvsmi_parse_line(l, &s, err, sizeof err), -1);
		assert_string_equal(err, l);

		char ours[256];
		snprintf(ours, sizeof ours, "%s, %s, [N/A], %s, [Not Supported], %s, %s, %s", idx, name, w, u, mu, mt);
		assert_int_equal(nvsmi_parse_line(ours, &s, err, sizeof err), 0);
		assert_string_equal(err, "");
		assert_int_equal(s.index, atoi(idx));
		assert_string_equal(s.name, "NVIDIA H200");
		assert_near(s.power_w, atof(w), 1e-9);
		assert_true(isnan(s.power_limit_w));
		assert_near(s.util_pct, atof(u), 1e-9);
		assert_near(s.mem_used_mib, atof(mu), 1e-9);
		assert_near(s.mem_total_mib, atof(mt), 1e-9);
		if (s.power_w > max_w)
			max_w = s.power_w;
		lines++;
	}
	free(text);
	assert_int_equal(lines, 35);
	assert_near(max_w, 425.45, 1e-9);
}

static void test_parse_missing_and_absurd(void **state)
{
	(void)state;
	struct nvsmi_sample s;
	char err[200];

	/* every missing marker: that figure only is left out */
	assert_int_equal(nvsmi_parse_line("3, NVIDIA H200, GPU-x, [N/A], 700.00, [Not Supported], "
	                                  "[Unknown Error], ", &s, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_int_equal(s.index, 3);
	assert_true(isnan(s.power_w));
	assert_near(s.power_limit_w, 700, 0);
	assert_true(isnan(s.util_pct));
	assert_true(isnan(s.mem_used_mib));
	assert_true(isnan(s.mem_total_mib));
	assert_int_equal(nvsmi_parse_line("0, A, u, [Requested functionality has been deprecated], N/A, 5, 1, 2",
	                                  &s, err, sizeof err), 0);
	assert_true(isnan(s.power_w));
	assert_true(isnan(s.power_limit_w));
	assert_near(s.util_pct, 5, 0);

	/* units left on (a query without nounits), '\r', a name with commas */
	assert_int_equal(nvsmi_parse_line("1, NVIDIA H100 80GB HBM3, GPU-0, 631.95 W, 700.00 W, 100 %, 19818 MiB, "
	                                  "81559 MiB\r", &s, err, sizeof err), 0);
	assert_near(s.power_w, 631.95, 1e-9);
	assert_near(s.util_pct, 100, 0);
	assert_near(s.mem_total_mib, 81559, 0);
	assert_int_equal(nvsmi_parse_line("2, Acme, GPU, Pro, GPU-2, 10, 20, 30, 40, 50", &s, err, sizeof err), 0);
	assert_string_equal(s.name, "Acme, GPU, Pro");
	assert_string_equal(s.uuid, "GPU-2");
	assert_near(s.power_w, 10, 0);
	assert_near(s.mem_total_mib, 50, 0);

	/* absurd figures: left out, with a note */
	assert_int_equal(nvsmi_parse_line("0, G, u, 9999.5, 700, 50, 1, 2", &s, err, sizeof err), 0);
	assert_true(isnan(s.power_w));
	assert_near(s.util_pct, 50, 0);
	assert_has(err, "gpu0: power.draw 9999.5 W is out of range: ignored");
	assert_int_equal(nvsmi_parse_line("4, G, u, -3, 700, 150, 1, 2", &s, err, sizeof err), 0);
	assert_true(isnan(s.power_w));
	assert_true(isnan(s.util_pct));
	assert_has(err, "gpu4: power.draw -3 W is out of range");
	assert_int_equal(nvsmi_parse_line("0, G, u, nan, 700, 12abc, 1, 2", &s, err, sizeof err), 0);
	assert_true(isnan(s.power_w));
	assert_true(isnan(s.util_pct));
	assert_has(err, "is not a number");
	assert_int_equal(nvsmi_parse_line("0, G, u, 5 W, 700 Watts, 1 %, 1, 2", &s, err, sizeof err), 0);
	assert_near(s.power_w, 5, 0);
	assert_true(isnan(s.power_limit_w));
}

static void test_parse_garbage(void **state)
{
	(void)state;
	struct nvsmi_sample s;
	char err[200];
	/* what nvidia-smi itself says for an unknown field (real, H200) */
	size_t len;
	char *bad = testlib_slurp(H200 "query-bad-field.txt", &len);
	char first[128];
	snprintf(first, sizeof first, "%.*s", (int)strcspn(bad, "\n"), bad);
	free(bad);
	assert_int_equal(nvsmi_parse_line(first, &s, err, sizeof err), -1);
	assert_string_equal(err, "Field \"power.bogus\" is not a valid field to query.");

	static const char *const lines[] = {
		"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the "
		"latest NVIDIA driver is installed and running.",
		"No devices were found",
		"Failed to initialize NVML: Driver/library version mismatch",
		"0, NVIDIA H200, GPU-x, 77.97",                         /* too few fields */
		"x, NVIDIA H200, GPU-x, 77.97, 700, 0, 0, 143771",      /* no index */
		"-1, NVIDIA H200, GPU-x, 77.97, 700, 0, 0, 143771",
		"99999, NVIDIA H200, GPU-x, 77.97, 700, 0, 0, 143771",
		"2026/11/27 12:16:00.364, NVIDIA H200, 0, GPU-b2d14459, 00000000:00:06.0, 77.98, 77.98, 77.02",
		",,,,,,,,,,,",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (nvsmi_parse_line(lines[i], &s, err, sizeof err) != -1)
			fail_msg("taken for a sample: %s", lines[i]);
		assert_true(err[0] != '\0');
	}
	/* blank: not a sample, nothing to say */
	assert_int_equal(nvsmi_parse_line("   ", &s, err, sizeof err), -1);
	assert_string_equal(err, "");
	/* control characters never come out; a small buffer is cut, not overrun */
	assert_int_equal(nvsmi_parse_line("\x1b[2Jboom\x07", &s, err, sizeof err), -1);
	assert_true(testlib_clean_text(err));
	char small[8];
	assert_int_equal(nvsmi_parse_line(lines[0], &s, small, sizeof small), -1);
	assert_int_equal(strlen(small), 7);
	assert_int_equal(nvsmi_parse_line(lines[0], &s, NULL, 0), -1);
	assert_int_equal(nvsmi_parse_line("0, \x1b]0;x\x07, u, 1, 2, 3, 4, 5", &s, err, sizeof err), 0);
	assert_true(testlib_clean_text(s.name));
}

/* ---- the probe ------------------------------------------------------------ */

static void test_probe(void **state)
{
	(void)state;
	struct lb_probe p;
	const char *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;

	setenv("PATH", "/nonexistent:" TOP_SRCDIR "/tests/standins:/usr/bin:/bin", 1);
	assert_int_equal(nvsmi_probe(NULL, &p), 1);
	assert_true(p.found);
	assert_string_equal(p.what, "nvidia-smi at " TOP_SRCDIR "/tests/standins/nvidia-smi");
	assert_int_equal(nvsmi_probe("  nvidia-smi -i 0", &p), 1);

	setenv("PATH", "/nonexistent:/usr/share", 1);
	assert_int_equal(nvsmi_probe(NULL, &p), 0);
	assert_false(p.found);
	assert_string_equal(p.what, "nvidia-smi not found on PATH");

	assert_int_equal(nvsmi_probe(STANDIN " -i 1", &p), 1);
	assert_has(p.what, "nvidia-smi at " STANDIN);
	assert_int_equal(nvsmi_probe("/nonexistent/nvidia-smi", &p), 0);
	assert_has(p.what, "not found or not executable");
	assert_int_equal(nvsmi_probe(TOP_SRCDIR "/tests/fixtures/nvidia-smi-h100/SOURCE.md", &p), 0);
	assert_int_equal(nvsmi_probe(TOP_SRCDIR "/tests", &p), 0);  /* a directory */

	if (saved) {
		setenv("PATH", saved, 1);
		free(saved);
	}
}

/* ---- the source, end to end ----------------------------------------------- */

struct rig {
	struct model *m;
	struct fleet *f;
	struct localbox *box;
	struct source *src;
	struct source_set set;
	struct testlib_loop loop;
	/* seen by the hook */
	bool (*until)(struct rig *r);
	char seen[8][200];          /* health errors seen, in order, distinct */
	size_t nseen;
	bool ok_after_restart;
};

static struct source_health *health(struct rig *r)
{
	for (size_t i = 0; i < r->f->nhealth; i++)
		if (strcmp(r->f->health[i]->kind, "nvidia-smi") == 0)
			return r->f->health[i];
	fail_msg("no nvidia-smi health record");
	return NULL;
}

static void hook(void *ctx, double now)
{
	(void)now;
	struct rig *r = ctx;
	struct source_health *h = health(r);
	if (h->error[0] && r->nseen < 8 && (!r->nseen || strcmp(r->seen[r->nseen - 1], h->error) != 0))
		snprintf(r->seen[r->nseen++], sizeof r->seen[0], "%s", h->error);
	if (h->status == HEALTH_OK && child_starts(nvsmi_child(r->src)) >= 2)
		r->ok_after_restart = true;
}

static bool done(void *ctx)
{
	struct rig *r = ctx;
	return r->until && r->until(r);
}

static void rig_open(struct rig *r, const char *cmd, double interval)
{
	memset(r, 0, sizeof *r);
	assert_non_null(r->m = model_new());
	assert_non_null(r->f = model_add_fleet(r->m, "local"));
	assert_non_null(r->box = localbox_new(r->m, r->f, "this-host"));
	char err[200] = "";
	r->src = nvsmi_source_new(r->m, r->box, cmd, interval, err, sizeof err);
	if (!r->src)
		fail_msg("nvsmi_source_new: %s", err);
	source_set_init(&r->set);
	assert_int_equal(source_set_add(&r->set, r->src), 0);
	assert_int_equal(source_set_add(&r->set, localbox_source(r->box)), 0);
	r->loop.set = &r->set;
	r->loop.hook = hook;
	r->loop.done = done;
	r->loop.ctx = r;
	source_set_start(&r->set, clock_now());
}

static void rig_run(struct rig *r, double seconds, bool (*until)(struct rig *r))
{
	r->until = until;
	testlib_run(&r->loop, seconds);
	assert_true(r->loop.spins < 20);        /* it slept between samples */
}

static void rig_close(struct rig *r)
{
	source_set_free(&r->set);
	model_free(r->m);
}

static bool has_figure(struct rig *r, enum metric k)
{
	struct series_stats st;
	return series_stats(&localbox_instance(r->box)->m[k], clock_now(), 5, &st) > 0;
}

static double last_figure(struct rig *r, enum metric k, enum provenance *p)
{
	struct series_stats st;
	if (!series_stats(&localbox_instance(r->box)->m[k], clock_now(), 5, &st))
		fail_msg("no %s recorded", metric_name(k));
	if (p)
		*p = st.prov;
	return st.last;
}

static bool until_util(struct rig *r)
{
	return has_figure(r, MET_UTIL) && health(r)->status == HEALTH_OK;
}

static void test_sum_of_gpus(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "PERWATT_STANDIN_NVSMI='" H100 "query-gpu-h100-load.csv:" H100 "query-gpu-h100-idle.csv' '"
	             STANDIN "'", 0.2);
	struct source_health *h = health(&r);
	assert_has(h->target, "PERWATT_STANDIN_NVSMI=");    /* the command, before any sample */
	assert_null(nvsmi_gpu_model(r.src));
	assert_int_equal(nvsmi_gpu_count(r.src), 0);
	rig_run(&r, 4, until_util);
	assert_true(has_figure(&r, MET_POWER));

	enum provenance p;
	assert_near(last_figure(&r, MET_POWER, &p), 631.95 + 69.85, 1e-3);      /* stored as float */
	assert_int_equal(p, PROV_MEASURED);
	assert_near(last_figure(&r, MET_UTIL, &p), (100 + 0) / 2.0, 1e-6);
	assert_int_equal(p, PROV_MEASURED);

	assert_int_equal(nvsmi_gpu_count(r.src), 2);
	assert_string_equal(nvsmi_gpu_model(r.src), "NVIDIA H100 80GB HBM3");
	assert_int_equal(h->status, HEALTH_OK);
	assert_string_equal(h->error, "");
	assert_true(h->latency_ms < 0);
	assert_true(h->last_ok > 0);
	assert_has(h->target, "2x NVIDIA H100 80GB HBM3: 632 W + 69.");
	char d[200];
	assert_has(localbox_describe(r.box, clock_now(), d, sizeof d), "gpu1");
	assert_int_equal(child_starts(nvsmi_child(r.src)), 1);
	rig_close(&r);
}

static void test_mixed_gpus(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "PERWATT_STANDIN_NVSMI='" H200 "query-idle.csv:" H100 "query-gpu-h100-load.csv' '" STANDIN "'",
	         0.2);
	rig_run(&r, 4, until_util);
	assert_near(last_figure(&r, MET_POWER, NULL), 78.00 + 631.95, 1e-3);     /* stored as float */
	assert_string_equal(nvsmi_gpu_model(r.src), "NVIDIA H200 + NVIDIA H100 80GB HBM3");
	assert_int_equal(nvsmi_gpu_count(r.src), 2);
	assert_has(health(&r)->target, "2 GPUs: NVIDIA H200 78.0 W + NVIDIA H100 80GB HBM3 632 W");
	rig_close(&r);
}

static void test_power_na(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "PERWATT_STANDIN_MODE=na PERWATT_STANDIN_NVSMI='" H100 "query-gpu-h100-load.csv' '" STANDIN "'",
	         0.2);
	rig_run(&r, 4, until_util);
	assert_false(has_figure(&r, MET_POWER));        /* not zero: none */
	assert_near(last_figure(&r, MET_UTIL, NULL), 100, 1e-9);
	struct source_health *h = health(&r);
	assert_int_equal(h->status, HEALTH_OK);
	assert_has(h->error, "power.draw is [N/A] on this GPU/driver (");
	assert_has(h->target, "1x NVIDIA H100 80GB HBM3: n/a");
	rig_close(&r);
}

static bool until_restarted(struct rig *r)
{
	return child_starts(nvsmi_child(r->src)) >= 2 && r->ok_after_restart;
}

static bool seen(struct rig *r, const char *text)
{
	for (size_t i = 0; i < r->nseen; i++)
		if (strstr(r->seen[i], text))
			return true;
	return false;
}

static void test_dies_and_restarts(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "PERWATT_STANDIN_MODE=die '" STANDIN "'", 0.1);
	double t0 = clock_now();
	rig_run(&r, 5, until_restarted);
	if (!until_restarted(&r))
		fail_msg("not restarted in 5 s (starts %u)", child_starts(nvsmi_child(r.src)));
	assert_true(clock_now() - t0 >= 1.0);           /* the backoff */
	if (!seen(&r, "nvidia-smi exited with status 3; restarting in 1 s"))
		fail_msg("health never said so (first: \"%s\")", r.nseen ? r.seen[0] : "");
	assert_true(has_figure(&r, MET_POWER));
	assert_string_equal(nvsmi_gpu_model(r.src), "NVIDIA H200");
	rig_close(&r);
}

static void test_hang_killed(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "PERWATT_STANDIN_MODE=hang '" STANDIN "'", 0.1);  /* quiet timeout: 5 s */
	double t0 = clock_now();
	rig_run(&r, 9, until_restarted);
	if (!until_restarted(&r))
		fail_msg("not killed and restarted in 9 s (starts %u)", child_starts(nvsmi_child(r.src)));
	double took = clock_now() - t0;
	assert_true(took >= 5.0 && took < 8.0);
	if (!seen(&r, "nvidia-smi printed nothing for 5 s: killed; restarting in 1 s"))
		fail_msg("health never said so (first: \"%s\")", r.nseen ? r.seen[0] : "");
	rig_close(&r);
}

static bool until_down(struct rig *r)
{
	return strstr(health(r)->error, "restarting in") != NULL;
}

static void test_missing_command(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, TOP_SRCDIR "/tests/nonexistent/nvidia-smi", 1);
	rig_run(&r, 3, until_down);
	struct source_health *h = health(&r);
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_string_equal(h->error, "nvidia-smi not found or not executable; restarting in 1 s");
	assert_false(has_figure(&r, MET_POWER));
	assert_null(nvsmi_gpu_model(r.src));
	rig_close(&r);
}

static void test_driver_error(void **state)
{
	(void)state;
	struct rig r;
	rig_open(&r, "PERWATT_STANDIN_MODE=error '" STANDIN "'", 1);
	rig_run(&r, 3, until_down);
	struct source_health *h = health(&r);
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_has(h->error, "nvidia-smi exited with status 9; restarting in 1 s: NVIDIA-SMI has failed because "
	                     "it couldn't communicate with the NVIDIA driver.");
	assert_true(testlib_clean_text(h->error));
	assert_true(testlib_clean_text(h->target));
	rig_close(&r);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct model *m = model_new();
	struct fleet *f = model_add_fleet(m, "x");
	struct localbox *b = localbox_new(m, f, "i");
	char err[128];
	assert_null(nvsmi_source_new(NULL, b, NULL, 1, err, sizeof err));
	assert_true(err[0] != '\0');
	assert_null(nvsmi_source_new(m, b, NULL, -1, err, sizeof err));
	assert_has(err, "interval");
	assert_null(nvsmi_source_new(m, b, NULL, NAN, NULL, 0));
	assert_null(nvsmi_gpu_model(NULL));
	assert_int_equal(nvsmi_gpu_count(NULL), 0);
	assert_null(nvsmi_gpu_model(localbox_source(b)));   /* not ours */
	localbox_free(b);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_captures),
		cmocka_unit_test(test_parse_stream),
		cmocka_unit_test(test_parse_missing_and_absurd),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_sum_of_gpus),
		cmocka_unit_test(test_mixed_gpus),
		cmocka_unit_test(test_power_na),
		cmocka_unit_test(test_dies_and_restarts),
		cmocka_unit_test(test_hang_killed),
		cmocka_unit_test(test_missing_command),
		cmocka_unit_test(test_driver_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
