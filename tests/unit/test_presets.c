/*
 * Tests of the exporter presets (fetch/presets.c) and of the step that turns
 * a body's samples into per-instance figures (scrape_eval in fetch/scrape.c),
 * without HTTP.
 *
 * Real exporter outputs come from TOP_SRCDIR/tests/fixtures/exposition (see
 * SOURCE.md there): dcgm-exporter (a Tesla T4: DCGM_FI_DEV_POWER_USAGE
 * 8.969000 W, GPU_UTIL 0, TOTAL_ENERGY_CONSUMPTION 128996013 mJ) and
 * node_exporter's e2e output (node_rapl_package_joules_total 240422.366267 J,
 * eight CPUs whose idle seconds add up to 89790.01).  No real capture of
 * neuron-monitor-prometheus, Scaphandre or Kepler is available: their bodies
 * below are written from the metric names, types and labels in the reference
 * notes (shared/reference/prometheus.md section 5) and say so.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fetch/presets.h"
#include "fetch/scrape.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif
#define FIXTURES TOP_SRCDIR "/tests/fixtures/exposition/"

#define assert_near(a, b, tol) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (tol))) \
		fail_msg("%.9g is not %.9g (+-%g)", a_, b_, (double)(tol)); \
} while (0)
#define assert_has(hay, needle) do { \
	const char *hay_ = (hay); \
	if (!hay_ || !strstr(hay_, (needle))) \
		fail_msg("\"%s\" does not contain \"%s\"", hay_ ? hay_ : "(null)", (needle)); \
} while (0)

/* ---- helpers ---------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A copy of text with the first `from` replaced by `to`. */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	assert_non_null(at);
	size_t n = strlen(text) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);
	assert_non_null(out);
	size_t pre = (size_t)(at - text);
	memcpy(out, text, pre);
	strcpy(out + pre, to);
	strcat(out, at + strlen(from));
	return out;
}

/* The fleet_cfg strings presets_apply() allocates (fleetcfg_free's job in
 * the program; this test uses only the structs). */
static void map_free(struct metric_map *m)
{
	free(m->metric);
	free(m->matchers);
	free(m->dedupe_label);
	memset(m, 0, sizeof *m);
}

static void cfg_free(struct fleet_cfg *f)
{
	map_free(&f->thr);
	map_free(&f->power);
	map_free(&f->util);
	free(f->unit);
	f->unit = NULL;
}

static void set_map(struct metric_map *m, const char *metric, const char *matchers,
                    enum metric_kind kind, double scale)
{
	map_free(m);
	m->metric = metric ? strdup(metric) : NULL;
	m->matchers = matchers ? strdup(matchers) : NULL;
	m->kind = kind;
	m->scale = scale;
}

/* A cfg with this preset applied. */
static void preset_cfg(struct fleet_cfg *f, const char *preset)
{
	char err[256];
	memset(f, 0, sizeof *f);
	f->name = "fleet";
	f->preset = (char *)preset;
	f->usd_per_hour = NAN;
	if (presets_apply(f, err, sizeof err) != 0)
		fail_msg("presets_apply(%s): %s", preset, err);
}

struct rig {
	struct scrape_plan *pl;
	struct scrape_eval *ev;
	struct scrape_figures o;
};

static void rig_open(struct rig *r, const struct fleet_cfg *f)
{
	char err[256];
	r->pl = scrape_plan_new(f, err, sizeof err);
	if (!r->pl)
		fail_msg("scrape_plan_new: %s", err);
	r->ev = scrape_eval_new(r->pl);
	assert_non_null(r->ev);
}

static void rig_close(struct rig *r)
{
	scrape_eval_free(r->ev);
	scrape_plan_free(r->pl);
}

/* Feeds a body in chunks of `step` bytes (0: whole) and ends it at t. */
static int body(struct rig *r, const char *text, double t, size_t step)
{
	size_t len = strlen(text);
	scrape_eval_begin(r->ev, PROMTEXT_0_0_4);
	if (!step)
		step = len ? len : 1;
	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		if (scrape_eval_feed(r->ev, text + off, n) < 0) {
			memset(&r->o, 0, sizeof r->o);
			return -1;
		}
	}
	return scrape_eval_end(r->ev, t, &r->o);
}

static void ok_body(struct rig *r, const char *text, double t)
{
	if (body(r, text, t, 0) != 0)
		fail_msg("body failed: %s", scrape_eval_error(r->ev));
}

#define FIG(r, k) (&(r)->o.fig[k])

/* ---- preset tables and presets_apply ----------------------------------------- */

static void test_find(void **state)
{
	(void)state;
	const char *names[] = { "dcgm", "node", "neuron", "scaphandre", "kepler" };
	for (size_t i = 0; i < 5; i++) {
		const struct preset *p = presets_find(names[i]);
		assert_non_null(p);
		assert_string_equal(p->name, names[i]);
		assert_true(p->checked && *p->checked);     /* the version is documented */
		assert_has(presets_names(), names[i]);
	}
	size_t n = 0;
	for (const struct preset *const *p = presets_all(); *p; p++)
		n++;
	assert_int_equal(n, 5);
	assert_null(presets_find("DCGM"));
	assert_null(presets_find("nvidia"));
	assert_null(presets_find(NULL));
}

static void test_apply_errors(void **state)
{
	(void)state;
	char err[256];
	struct fleet_cfg f = { .name = "gpu", .preset = "nvidia", .usd_per_hour = NAN };
	snprintf(f.origin, sizeof f.origin, "perwatt.ini:7");
	assert_int_equal(presets_apply(&f, err, sizeof err), -1);
	assert_has(err, "perwatt.ini:7: [fleet gpu] preset: 'nvidia' is not dcgm, node");

	struct fleet_cfg q = { .name = "gpu", .preset = "dcgm", .source = FLEET_SRC_PROMQL };
	assert_int_equal(presets_apply(&q, err, sizeof err), -1);
	assert_has(err, "promql");

	struct fleet_cfg none = { .name = "x" };
	assert_int_equal(presets_apply(&none, err, sizeof err), 0);
	assert_null(none.power.metric);
}

static void test_apply_fills_unset(void **state)
{
	(void)state;
	struct fleet_cfg f;
	preset_cfg(&f, "dcgm");
	assert_int_equal(f.source, FLEET_SRC_SCRAPE);
	assert_null(f.thr.metric);                  /* DCGM has no work counter */
	assert_string_equal(f.power.metric, "DCGM_FI_DEV_POWER_USAGE");
	assert_int_equal(f.power.kind, MKIND_GAUGE);
	assert_near(f.power.scale, 1.0, 0);
	assert_false(f.power.mean);
	assert_string_equal(f.power.dedupe_label, "UUID");
	assert_string_equal(f.util.metric, "DCGM_FI_DEV_GPU_UTIL");
	assert_true(f.util.mean);
	assert_null(f.unit);
	cfg_free(&f);

	preset_cfg(&f, "neuron");
	assert_string_equal(f.thr.metric, "execution_status_total");
	assert_string_equal(f.thr.matchers, "status_type=\"completed\"");
	assert_int_equal(f.thr.kind, MKIND_COUNTER);
	assert_null(f.power.metric);                /* estimated later, never scraped */
	assert_near(f.util.scale, 100.0, 0);
	assert_string_equal(f.unit, "executions");
	cfg_free(&f);

	preset_cfg(&f, "scaphandre");
	assert_near(f.power.scale, 1e-6, 0);
	assert_null(f.util.metric);
	cfg_free(&f);

	preset_cfg(&f, "node");
	assert_int_equal(f.power.kind, MKIND_COUNTER);
	assert_string_equal(f.util.matchers, "mode=\"idle\"");
	cfg_free(&f);

	preset_cfg(&f, "kepler");
	assert_string_equal(f.power.matchers, "zone=\"package\"");
	assert_near(f.util.scale, 100.0, 0);
	cfg_free(&f);
}

static void test_apply_keeps_user_maps(void **state)
{
	(void)state;
	char err[256];
	struct fleet_cfg f = { .name = "gpu", .preset = "dcgm", .usd_per_hour = NAN };
	/* the user's app counter, and the energy counter instead of the gauge,
	 * named without a unit: the preset knows it is mJ */
	set_map(&f.thr, "app_inferences_total", "model=\"x\"", MKIND_AUTO, 1.0);
	set_map(&f.power, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", NULL, MKIND_AUTO, 1.0);
	set_map(&f.util, "DCGM_FI_DEV_GPU_UTIL", "gpu=\"0\"", MKIND_GAUGE, 1.0);
	f.unit = strdup("inferences");
	assert_int_equal(presets_apply(&f, err, sizeof err), 0);
	assert_string_equal(f.thr.metric, "app_inferences_total");
	assert_string_equal(f.thr.matchers, "model=\"x\"");
	assert_null(f.thr.dedupe_label);
	assert_int_equal(f.power.kind, MKIND_COUNTER);
	assert_near(f.power.scale, 1e-3, 0);
	assert_string_equal(f.power.dedupe_label, "UUID");
	assert_string_equal(f.util.matchers, "gpu=\"0\"");    /* the user's */
	assert_true(f.util.mean);
	assert_string_equal(f.unit, "inferences");

	/* a unit the user gave (kind set) wins over the preset's */
	set_map(&f.power, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", NULL, MKIND_COUNTER, 1.0);
	assert_int_equal(presets_apply(&f, err, sizeof err), 0);
	assert_near(f.power.scale, 1.0, 0);
	cfg_free(&f);

	/* a throughput_scale the user gave stays (kind AUTO: no unit key) */
	struct fleet_cfg n = { .name = "inf", .preset = "neuron", .usd_per_hour = NAN };
	set_map(&n.thr, "execution_status_total", "status_type=\"completed\"", MKIND_AUTO, 32.0);
	set_map(&n.util, "neuroncore_utilization_ratio", NULL, MKIND_AUTO, 1.0);
	assert_int_equal(presets_apply(&n, err, sizeof err), 0);
	assert_int_equal(n.thr.kind, MKIND_COUNTER);
	assert_near(n.thr.scale, 32.0, 0);
	assert_null(n.unit);            /* the user's own map: no preset unit */
	assert_near(n.util.scale, 100.0, 0);
	cfg_free(&n);
}

static void test_match(void **state)
{
	(void)state;
	struct metric_map m = { .metric = "node_cpu_seconds_total", .matchers = "mode=\"idle\"" };
	const struct preset_map *pm = presets_match(MET_UTIL, &m);
	assert_non_null(pm);
	assert_int_equal(pm->xform, PRESET_IDLE_CPU);
	m.matchers = "mode=\"user\"";
	assert_null(presets_match(MET_UTIL, &m));
	assert_null(presets_match(MET_POWER, &m));
	struct metric_map k = { .metric = "kepler_node_cpu_watts", .matchers = "zone=\"package\"" };
	assert_string_equal(presets_match(MET_POWER, &k)->also, "kepler_node_gpu_watts");
	struct metric_map d = { .metric = "DCGM_FI_DEV_POWER_USAGE", .matchers = "" };
	assert_non_null(presets_match(MET_POWER, &d));      /* "" and NULL matchers are equal */
}

/* ---- dcgm -------------------------------------------------------------------- */

static void test_dcgm_fixture(void **state)
{
	(void)state;
	size_t len;
	char *text = slurp(FIXTURES "dcgm-exporter-datadog-fixture.txt", &len);
	struct fleet_cfg f;
	preset_cfg(&f, "dcgm");
	struct rig r;
	rig_open(&r, &f);
	/* the whole body, and the same in 7-byte chunks: the same figures */
	for (size_t step = 0; step <= 7; step += 7) {
		assert_int_equal(body(&r, text, 10.0 + (double)step, step), 0);
		assert_true(FIG(&r, MET_POWER)->have);
		assert_near(FIG(&r, MET_POWER)->value, 8.969, 1e-9);
		assert_int_equal(FIG(&r, MET_POWER)->series, 1);
		assert_false(FIG(&r, MET_POWER)->counter);
		assert_true(FIG(&r, MET_UTIL)->have);
		assert_near(FIG(&r, MET_UTIL)->value, 0.0, 0);
		assert_false(FIG(&r, MET_THROUGHPUT)->configured);
		assert_false(FIG(&r, MET_THROUGHPUT)->have);
	}
	char miss[200];
	bool all;
	assert_int_equal(scrape_figures_missing(r.pl, &r.o, miss, sizeof miss, &all), 0);
	assert_string_equal(miss, "");
	rig_close(&r);
	cfg_free(&f);

	/* the energy counter: 10,000 mJ more 10 s later is 1 W */
	struct fleet_cfg e = { .name = "gpu", .preset = "dcgm", .usd_per_hour = NAN };
	char err[256];
	set_map(&e.power, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", NULL, MKIND_AUTO, 1.0);
	assert_int_equal(presets_apply(&e, err, sizeof err), 0);
	rig_open(&r, &e);
	ok_body(&r, text, 100.0);
	assert_true(FIG(&r, MET_POWER)->counter);
	assert_near(FIG(&r, MET_POWER)->raw, 128996013.0, 0);
	assert_false(FIG(&r, MET_POWER)->have);        /* one reading: no rate yet */
	char *later = replace(text, "} 128996013", "} 129006013");
	ok_body(&r, later, 110.0);
	assert_true(FIG(&r, MET_POWER)->have);
	assert_near(FIG(&r, MET_POWER)->value, 1.0, 1e-9);
	free(later);
	rig_close(&r);
	cfg_free(&e);
	free(text);
}

static void test_dcgm_mig_sentinel(void **state)
{
	(void)state;
	/* MIG: two GPU instances of GPU-A repeat its power; GPU-B is whole;
	 * GPU-C reports a blank (sentinel) and GPU-D NaN: both left out */
	const char *text =
		"# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n"
		"DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-A\",GPU_I_PROFILE=\"1g.10gb\",GPU_I_ID=\"1\"} 210.5\n"
		"DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-A\",GPU_I_PROFILE=\"1g.10gb\",GPU_I_ID=\"2\"} 210.5\n"
		"DCGM_FI_DEV_POWER_USAGE{gpu=\"1\",UUID=\"GPU-B\"} 99.5\n"
		"DCGM_FI_DEV_POWER_USAGE{gpu=\"2\",UUID=\"GPU-C\"} 9223372036854775794\n"
		"DCGM_FI_DEV_POWER_USAGE{gpu=\"3\",UUID=\"GPU-D\"} NaN\n"
		"# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n"
		"DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-A\",GPU_I_ID=\"1\"} 80\n"
		"DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-A\",GPU_I_ID=\"2\"} 80\n"
		"DCGM_FI_DEV_GPU_UTIL{gpu=\"1\",UUID=\"GPU-B\"} 20\n"
		"DCGM_FI_DEV_GPU_UTIL{gpu=\"2\",UUID=\"GPU-C\"} 9.223372036854775e18\n";
	struct fleet_cfg f;
	preset_cfg(&f, "dcgm");
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, text, 1.0);
	assert_near(FIG(&r, MET_POWER)->value, 310.0, 1e-9);
	assert_int_equal(FIG(&r, MET_POWER)->series, 2);
	assert_int_equal(FIG(&r, MET_POWER)->matched, 5);
	assert_near(FIG(&r, MET_UTIL)->value, 50.0, 1e-9);     /* mean of A and B */

	/* --use-old-namespace spells the label `uuid`: matched all the same */
	const char *old =
		"DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",uuid=\"GPU-A\",GPU_I_ID=\"1\"} 100\n"
		"DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",uuid=\"GPU-A\",GPU_I_ID=\"2\"} 100\n"
		"DCGM_FI_DEV_POWER_USAGE{gpu=\"1\"} 30\n";       /* no UUID: counted */
	ok_body(&r, old, 2.0);
	assert_near(FIG(&r, MET_POWER)->value, 130.0, 1e-9);

	/* only blanks: found, but no value; the text says so */
	ok_body(&r, "DCGM_FI_DEV_POWER_USAGE{UUID=\"GPU-C\"} 9223372036854775794\n", 3.0);
	assert_false(FIG(&r, MET_POWER)->have);
	char miss[200];
	bool all;
	assert_int_equal(scrape_figures_missing(r.pl, &r.o, miss, sizeof miss, &all), 2);
	assert_true(all);
	assert_has(miss, "metric DCGM_FI_DEV_POWER_USAGE has no usable value");
	assert_has(miss, "metric DCGM_FI_DEV_GPU_UTIL not found");
	rig_close(&r);
	cfg_free(&f);
}

/* ---- node_exporter ---------------------------------------------------------- */

static void test_node_fixture(void **state)
{
	(void)state;
	size_t len;
	char *text = slurp(FIXTURES "node_exporter-e2e-output.txt", &len);
	struct fleet_cfg f;
	preset_cfg(&f, "node");
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, text, 50.0);
	/* counters: the readings are there, the rates need a second body */
	assert_true(FIG(&r, MET_POWER)->counter);
	assert_int_equal(FIG(&r, MET_POWER)->series, 1);     /* no dram zone in the fixture */
	assert_near(FIG(&r, MET_POWER)->raw, 240422.366267, 1e-6);
	assert_false(FIG(&r, MET_POWER)->have);
	assert_int_equal(FIG(&r, MET_UTIL)->series, 8);      /* one idle series per CPU */
	assert_near(FIG(&r, MET_UTIL)->raw, 89790.01, 1e-6);
	assert_false(FIG(&r, MET_UTIL)->have);

	/* 2 s later: 150 J more in the package (75 W); CPU 0 idled 0.5 s of
	 * 2 (the other seven do not move: fully busy) */
	char *a = replace(text, "} 240422.366267", "} 240572.366267");
	char *b = replace(a, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 10870.69",
	                  "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 10871.19");
	ok_body(&r, b, 52.0);
	assert_true(FIG(&r, MET_POWER)->have);
	assert_near(FIG(&r, MET_POWER)->value, 75.0, 1e-6);
	assert_true(FIG(&r, MET_UTIL)->have);
	/* idle rate 0.25 s/s over 8 CPUs: 100 x (1 - 0.25/8) */
	assert_near(FIG(&r, MET_UTIL)->value, 96.875, 1e-6);
	free(a);
	free(b);
	rig_close(&r);
	cfg_free(&f);
	free(text);
}

static void test_node_rapl_sockets(void **state)
{
	(void)state;
	/* two sockets with dram; socket 1's package counter wraps between the
	 * second and third body (RAPL's max_energy_range): rated per series,
	 * it is one reset, not a 262 kJ spike */
	const char *b1 =
		"# TYPE node_rapl_package_joules_total counter\n"
		"node_rapl_package_joules_total{index=\"0\",path=\"/sys/x:0\"} 1000\n"
		"node_rapl_package_joules_total{index=\"1\",path=\"/sys/x:1\"} 262000\n"
		"# TYPE node_rapl_dram_joules_total counter\n"
		"node_rapl_dram_joules_total{index=\"0\",path=\"/sys/x:0:0\"} 500\n"
		"node_rapl_dram_joules_total{index=\"1\",path=\"/sys/x:1:0\"} 600\n"
		"# TYPE node_rapl_core_joules_total counter\n"
		"node_rapl_core_joules_total{index=\"0\",path=\"/sys/x:0:1\"} 99999\n";
	const char *b2 =
		"node_rapl_package_joules_total{index=\"0\",path=\"/sys/x:0\"} 1100\n"
		"node_rapl_package_joules_total{index=\"1\",path=\"/sys/x:1\"} 262100\n"
		"node_rapl_dram_joules_total{index=\"0\",path=\"/sys/x:0:0\"} 510\n"
		"node_rapl_dram_joules_total{index=\"1\",path=\"/sys/x:1:0\"} 610\n";
	const char *b3 =
		"node_rapl_package_joules_total{index=\"0\",path=\"/sys/x:0\"} 1200\n"
		"node_rapl_package_joules_total{index=\"1\",path=\"/sys/x:1\"} 60\n"
		"node_rapl_dram_joules_total{index=\"0\",path=\"/sys/x:0:0\"} 520\n"
		"node_rapl_dram_joules_total{index=\"1\",path=\"/sys/x:1:0\"} 620\n";
	struct fleet_cfg f;
	preset_cfg(&f, "node");
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, b1, 0.0);
	assert_int_equal(FIG(&r, MET_POWER)->series, 4);     /* core is never added */
	ok_body(&r, b2, 1.0);
	assert_near(FIG(&r, MET_POWER)->value, 220.0, 1e-9);
	ok_body(&r, b3, 2.0);
	/* 100 + 60 (from zero after the wrap) + 10 + 10 */
	assert_near(FIG(&r, MET_POWER)->value, 180.0, 1e-9);
	assert_false(FIG(&r, MET_UTIL)->have);              /* no CPU metrics in these bodies */
	char miss[200];
	bool all;
	assert_int_equal(scrape_figures_missing(r.pl, &r.o, miss, sizeof miss, &all), 1);
	assert_false(all);
	assert_has(miss, "metric node_cpu_seconds_total{mode=\"idle\"} not found");
	rig_close(&r);
	cfg_free(&f);

	/* no RAPL at all (a VM): the hint says what to try */
	preset_cfg(&f, "node");
	rig_open(&r, &f);
	ok_body(&r, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 5\n", 0.0);
	assert_int_equal(scrape_figures_missing(r.pl, &r.o, miss, sizeof miss, &all), 1);
	assert_has(miss, "node_rapl_package_joules_total not found");
	assert_has(miss, "node_hwmon_power_average_watt");
	rig_close(&r);
	cfg_free(&f);
}

/* ---- neuron, Scaphandre, Kepler (bodies written from the reference) -------- */

static void test_neuron(void **state)
{
	(void)state;
	/* neuron-monitor-prometheus.py names and labels (reference 5.4);
	 * prometheus_client adds _created gauges for every counter */
	const char *head =
		"# HELP execution_status_total Execution status of models\n"
		"# TYPE execution_status_total counter\n";
	char b1[2048], b2[2048];
	snprintf(b1, sizeof b1, "%s"
		"execution_status_total{availability_zone=\"us-east-1a\",instance_id=\"i-1\",runtime_tag=\"367\",status_type=\"completed\"} 1000.0\n"
		"execution_status_total{availability_zone=\"us-east-1a\",instance_id=\"i-1\",runtime_tag=\"368\",status_type=\"completed\"} 500.0\n"
		"execution_status_total{availability_zone=\"us-east-1a\",instance_id=\"i-1\",runtime_tag=\"367\",status_type=\"failed\"} 7.0\n"
		"# TYPE execution_status_created gauge\n"
		"execution_status_created{runtime_tag=\"367\",status_type=\"completed\"} 1.7e9\n"
		"# TYPE neuroncore_utilization_ratio gauge\n"
		"neuroncore_utilization_ratio{neuroncore=\"0\",runtime_tag=\"367\"} 0.5\n"
		"neuroncore_utilization_ratio{neuroncore=\"1\",runtime_tag=\"368\"} 0.7\n", head);
	snprintf(b2, sizeof b2, "%s"
		"execution_status_total{availability_zone=\"us-east-1a\",instance_id=\"i-1\",runtime_tag=\"367\",status_type=\"completed\"} 1300.0\n"
		"execution_status_total{availability_zone=\"us-east-1a\",instance_id=\"i-1\",runtime_tag=\"368\",status_type=\"completed\"} 600.0\n"
		"execution_status_total{availability_zone=\"us-east-1a\",instance_id=\"i-1\",runtime_tag=\"367\",status_type=\"failed\"} 9000.0\n"
		"# TYPE neuroncore_utilization_ratio gauge\n"
		"neuroncore_utilization_ratio{neuroncore=\"0\",runtime_tag=\"367\"} 0.9\n"
		"neuroncore_utilization_ratio{neuroncore=\"1\",runtime_tag=\"368\"} 0.7\n", head);
	struct fleet_cfg f;
	preset_cfg(&f, "neuron");
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, b1, 10.0);
	assert_int_equal(FIG(&r, MET_THROUGHPUT)->series, 2);
	assert_false(FIG(&r, MET_THROUGHPUT)->have);
	assert_near(FIG(&r, MET_UTIL)->value, 60.0, 1e-9);
	assert_false(FIG(&r, MET_POWER)->configured);
	ok_body(&r, b2, 12.0);
	assert_near(FIG(&r, MET_THROUGHPUT)->value, 200.0, 1e-9);  /* (300 + 100) / 2 s */
	assert_near(FIG(&r, MET_UTIL)->value, 80.0, 1e-9);
	rig_close(&r);
	cfg_free(&f);
}

static void test_scaphandre(void **state)
{
	(void)state;
	/* names and units from Scaphandre's metrics.md (reference 5.5) */
	const char *b1 =
		"# HELP scaph_host_power_microwatts Power measurement on the whole host, in microwatts\n"
		"# TYPE scaph_host_power_microwatts gauge\n"
		"scaph_host_power_microwatts 123456789\n"
		"# HELP scaph_host_energy_microjoules Raw extract of the host energy counter, in microjoules\n"
		"# TYPE scaph_host_energy_microjoules counter\n"
		"scaph_host_energy_microjoules 5000000000\n";
	const char *b2 =
		"# TYPE scaph_host_energy_microjoules counter\n"
		"scaph_host_energy_microjoules 5250000000\n"
		"scaph_host_power_microwatts 125000000\n";
	struct fleet_cfg f;
	preset_cfg(&f, "scaphandre");
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, b1, 1.0);
	assert_near(FIG(&r, MET_POWER)->value, 123.456789, 1e-9);
	rig_close(&r);
	cfg_free(&f);

	/* the energy counter (no _total suffix: the TYPE line says counter) */
	struct fleet_cfg e = { .name = "host", .preset = "scaphandre", .usd_per_hour = NAN };
	char err[256];
	set_map(&e.power, "scaph_host_energy_microjoules", NULL, MKIND_AUTO, 1.0);
	assert_int_equal(presets_apply(&e, err, sizeof err), 0);
	rig_open(&r, &e);
	ok_body(&r, b1, 1.0);
	assert_true(FIG(&r, MET_POWER)->counter);
	ok_body(&r, b2, 3.0);
	assert_near(FIG(&r, MET_POWER)->value, 125.0, 1e-9);   /* 250 J in 2 s */
	rig_close(&r);
	cfg_free(&e);
}

static void test_kepler(void **state)
{
	(void)state;
	/* v0.10+ names (reference 5.6): overlapping CPU zones, one GPU */
	const char *text =
		"# TYPE kepler_node_cpu_watts gauge\n"
		"kepler_node_cpu_watts{node_name=\"n1\",path=\"/sys/class/powercap/intel-rapl:0\",zone=\"package\"} 40\n"
		"kepler_node_cpu_watts{node_name=\"n1\",path=\"/sys/class/powercap/intel-rapl:1\",zone=\"package\"} 35\n"
		"kepler_node_cpu_watts{node_name=\"n1\",path=\"/sys/class/powercap/intel-rapl:0:0\",zone=\"core\"} 30\n"
		"kepler_node_cpu_watts{node_name=\"n1\",path=\"/sys/class/powercap/intel-rapl:0:1\",zone=\"dram\"} 5\n"
		"# TYPE kepler_node_gpu_watts gauge\n"
		"kepler_node_gpu_watts{gpu=\"0\",gpu_uuid=\"GPU-x\",gpu_name=\"H100\",node_name=\"n1\",vendor=\"nvidia\"} 300\n"
		"# TYPE kepler_node_cpu_usage_ratio gauge\n"
		"kepler_node_cpu_usage_ratio{node_name=\"n1\"} 0.25\n";
	struct fleet_cfg f;
	preset_cfg(&f, "kepler");
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, text, 1.0);
	assert_near(FIG(&r, MET_POWER)->value, 375.0, 1e-9);   /* packages + GPU */
	assert_int_equal(FIG(&r, MET_POWER)->series, 3);
	assert_near(FIG(&r, MET_UTIL)->value, 25.0, 1e-9);
	/* a node without GPUs: the second metric is optional */
	ok_body(&r, "kepler_node_cpu_watts{zone=\"package\"} 50\n", 2.0);
	assert_near(FIG(&r, MET_POWER)->value, 50.0, 1e-9);
	rig_close(&r);
	cfg_free(&f);
}

/* ---- the eval step in general ---------------------------------------------- */

static void custom_cfg(struct fleet_cfg *f)
{
	memset(f, 0, sizeof *f);
	f->name = "app";
	f->usd_per_hour = NAN;
	set_map(&f->thr, "req_total", NULL, MKIND_AUTO, 1.0);
	set_map(&f->power, "watts", NULL, MKIND_AUTO, 1.0);
}

static void test_all_or_nothing(void **state)
{
	(void)state;
	struct fleet_cfg f;
	custom_cfg(&f);
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, "req_total 100\nwatts 10\n", 0.0);
	/* a broken body: its good lines before the error count for nothing */
	assert_int_equal(body(&r, "req_total 1000\nwatts 20\nwatts{ 1\n", 1.0, 0), -1);
	assert_has(scrape_eval_error(r.ev), "line 3:");
	assert_int_equal(body(&r, "req_total 1000\nwatts 20\nwatts{ 1\n", 1.0, 4), -1);
	assert_has(scrape_eval_error(r.ev), "line 3:");
	/* the counter's previous reading is still the one at t = 0 */
	ok_body(&r, "req_total 300\nwatts 30\n", 2.0);
	assert_near(FIG(&r, MET_THROUGHPUT)->value, 100.0, 1e-9);
	assert_near(FIG(&r, MET_POWER)->value, 30.0, 1e-9);
	/* kind AUTO: no TYPE line and no _total suffix is a gauge, a TYPE line decides */
	assert_false(FIG(&r, MET_POWER)->counter);
	assert_true(FIG(&r, MET_THROUGHPUT)->counter);
	rig_close(&r);
	cfg_free(&f);
}

static void test_counter_series(void **state)
{
	(void)state;
	struct fleet_cfg f;
	custom_cfg(&f);
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, "req_total{m=\"a\"} 1000\nreq_total{m=\"b\"} 1000\n", 0.0);
	/* b restarts: its 5 count, no spike and nothing negative */
	ok_body(&r, "req_total{m=\"b\"} 5\nreq_total{m=\"a\"} 1010\n", 1.0);
	assert_near(FIG(&r, MET_THROUGHPUT)->value, 15.0, 1e-9);
	/* b vanishes: a alone */
	ok_body(&r, "req_total{m=\"a\"} 1020\n", 2.0);
	assert_near(FIG(&r, MET_THROUGHPUT)->value, 10.0, 1e-9);
	/* b comes back with 500: a first reading again, no figure this body */
	ok_body(&r, "req_total{m=\"a\"} 1030\nreq_total{m=\"b\"} 500\n", 3.0);
	assert_false(FIG(&r, MET_THROUGHPUT)->have);
	ok_body(&r, "req_total{m=\"a\"} 1040\nreq_total{m=\"b\"} 510\n", 4.0);
	assert_near(FIG(&r, MET_THROUGHPUT)->value, 20.0, 1e-9);
	/* label order does not make another series */
	ok_body(&r, "req_total{m=\"a\",z=\"1\"} 1\n", 5.0);
	ok_body(&r, "req_total{z=\"1\",m=\"a\"} 3\n", 6.0);
	assert_near(FIG(&r, MET_THROUGHPUT)->value, 2.0, 1e-9);
	/* too close in time (core's RATE_MIN_DT): no figure rather than a spike */
	ok_body(&r, "req_total{z=\"1\",m=\"a\"} 30\n", 6.01);
	assert_false(FIG(&r, MET_THROUGHPUT)->have);
	/* forgetting: the next body is a first reading */
	scrape_eval_forget(r.ev);
	ok_body(&r, "req_total{z=\"1\",m=\"a\"} 40\n", 9.0);
	assert_false(FIG(&r, MET_THROUGHPUT)->have);
	rig_close(&r);
	cfg_free(&f);
}

static void test_openmetrics_and_utf8_names(void **state)
{
	(void)state;
	struct fleet_cfg f = { .name = "x", .usd_per_hour = NAN };
	set_map(&f.thr, "jobs_total", NULL, MKIND_AUTO, 2.0);
	set_map(&f.power, "my.power.watts", "rack=\"r1\"", MKIND_AUTO, 1.0);
	struct rig r;
	rig_open(&r, &f);
	scrape_eval_begin(r.ev, PROMTEXT_OPENMETRICS);
	const char *om1 =
		"# TYPE jobs counter\n"
		"jobs_total 10\n"
		"jobs_created 1700000000\n"
		"# EOF\n";
	assert_int_equal(scrape_eval_text(r.ev, PROMTEXT_OPENMETRICS, om1, strlen(om1), 1.0, &r.o), 0);
	assert_true(FIG(&r, MET_THROUGHPUT)->counter);
	assert_int_equal(FIG(&r, MET_THROUGHPUT)->series, 1);   /* _created is not selected */
	const char *om2 = "# TYPE jobs counter\njobs_total 20\n# EOF\n";
	assert_int_equal(scrape_eval_text(r.ev, PROMTEXT_OPENMETRICS, om2, strlen(om2), 3.0, &r.o), 0);
	assert_near(FIG(&r, MET_THROUGHPUT)->value, 10.0, 1e-9);   /* 5/s x scale 2 */
	/* OpenMetrics without # EOF is an error */
	const char *om3 = "jobs_total 30\n";
	assert_int_equal(scrape_eval_text(r.ev, PROMTEXT_OPENMETRICS, om3, strlen(om3), 4.0, &r.o), -1);

	const char *u = "{\"my.power.watts\",rack=\"r1\"} 42\n{\"my.power.watts\",rack=\"r2\"} 1\n";
	assert_int_equal(scrape_eval_text(r.ev, PROMTEXT_0_0_4, u, strlen(u), 5.0, &r.o), 0);
	assert_near(FIG(&r, MET_POWER)->value, 42.0, 1e-9);
	rig_close(&r);
	cfg_free(&f);
}

static void test_plan_errors(void **state)
{
	(void)state;
	char err[256];
	struct fleet_cfg f = { .name = "x", .usd_per_hour = NAN };
	assert_null(scrape_plan_new(&f, err, sizeof err));
	assert_has(err, "nothing to scrape");
	set_map(&f.power, "watts", "gpu=~\"(\"", MKIND_AUTO, 1.0);
	assert_null(scrape_plan_new(&f, err, sizeof err));
	assert_has(err, "power: bad metric selector 'watts{gpu=~\"(\"}'");
	set_map(&f.power, "watts", "gpu=\"0\"", MKIND_AUTO, 0.0);   /* scale 0: 1 */
	struct rig r;
	rig_open(&r, &f);
	ok_body(&r, "watts{gpu=\"0\"} 7\nwatts{gpu=\"1\"} 9\n", 1.0);
	assert_near(FIG(&r, MET_POWER)->value, 7.0, 1e-9);
	rig_close(&r);
	cfg_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_apply_errors),
		cmocka_unit_test(test_apply_fills_unset),
		cmocka_unit_test(test_apply_keeps_user_maps),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_dcgm_fixture),
		cmocka_unit_test(test_dcgm_mig_sentinel),
		cmocka_unit_test(test_node_fixture),
		cmocka_unit_test(test_node_rapl_sockets),
		cmocka_unit_test(test_neuron),
		cmocka_unit_test(test_scaphandre),
		cmocka_unit_test(test_kepler),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_counter_series),
		cmocka_unit_test(test_openmetrics_and_utf8_names),
		cmocka_unit_test(test_plan_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
