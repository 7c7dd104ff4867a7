/* Tests of the config file, --fleet specs, their checks and --check-config. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/fleetcfg.h"
#include "core/inifile.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* Parses text as "t.ini" and validates; returns the first error or "". */
static const char *load(struct dash_cfg *d, const char *text, char *err, size_t n)
{
	err[0] = '\0';
	if (dashcfg_parse_ini(d, text, "t.ini", err, n) == 0)
		dashcfg_validate(d, err, n);
	return err;
}

static const char every_key[] =
	"; a comment\n"
	"# another\n"
	"[dashboard]\n"
	"interval = 500ms          ; screen refresh\n"
	"window = 1m\n"
	"theme = high-contrast\n"
	"region = eu-west-1\n"
	"sla = 1M/h\n"
	"baseline = gpu\n"
	"\n"
	"[fleet gpu]\n"                                                     /* 11 */
	"type = g4dn.2xlarge\n"
	"instances = 33\n"
	"unit = inferences\n"
	"usd_per_hour = 0.752\n"
	"baseline = yes\n"
	"source = scrape\n"
	"preset = dcgm\n"
	"targets = http://10.0.0.5:9400/metrics ,https://[::1]:9400/metrics\n"
	"file_sd = /etc/prometheus/gpu.json\n"
	"throughput = app_inferences_total{model=\"layoutlm\",gpu!=\"\"}\n"
	"throughput_scale = 2.5\n"
	"power = DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION\n"
	"power_unit = mJ\n"
	"utilization = DCGM_FI_PROF_GR_ENGINE_ACTIVE { gpu=~\"0|1\" }\n"
	"utilization_unit = ratio\n"
	"interval = 2s\n"
	"timeout = 1500ms\n"
	"bearer_token_file = /run/secrets/token\n"
	"basic_auth_file = /run/secrets/basic\n"
	"ca_file = /etc/ssl/my-ca.pem\n"
	"insecure_skip_verify = on\n"
	"\n"
	"[fleet inf2]\n"                                                    /* 34 */
	"source = promql\n"
	"server = https://prom.example.net/prometheus\n"
	"query_throughput = sum by (instance) (rate(execution_status_total{status_type=\"completed\"}[1m]))\n"
	"query_power = sum by (instance) (x)\n"
	"query_utilization = 100 * avg by (instance) (neuroncore_utilization_ratio)\n"
	"instances = 6\n"
	"insecure_skip_verify = false\n";

static void good_config_every_key(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_string_equal(load(&d, every_key, err, sizeof err), "");
	assert_float_equal(d.interval, 0.5, 1e-12);
	assert_float_equal(d.window, 60, 1e-12);
	assert_string_equal(d.theme, "high-contrast");
	assert_string_equal(d.region, "eu-west-1");
	assert_float_equal(d.sla_per_hour, 1e6, 1e-3);
	assert_true(isnan(d.work_units));
	assert_string_equal(d.baseline, "gpu");
	assert_string_equal(d.baseline_origin, "t.ini:9");
	assert_int_equal(d.nfleets, 2);

	const struct fleet_cfg *g = &d.fleet[0];
	assert_string_equal(g->name, "gpu");
	assert_string_equal(g->origin, "t.ini:11");
	assert_string_equal(g->instance_type, "g4dn.2xlarge");
	assert_int_equal(g->instances, 33);
	assert_string_equal(g->unit, "inferences");
	assert_float_equal(g->usd_per_hour, 0.752, 1e-12);
	assert_true(g->baseline);
	assert_int_equal(g->source, FLEET_SRC_SCRAPE);
	assert_string_equal(g->preset, "dcgm");
	assert_int_equal(g->ntargets, 2);
	assert_string_equal(g->targets[0], "http://10.0.0.5:9400/metrics");
	assert_string_equal(g->targets[1], "https://[::1]:9400/metrics");
	assert_string_equal(g->file_sd, "/etc/prometheus/gpu.json");
	assert_string_equal(g->thr.metric, "app_inferences_total");
	assert_string_equal(g->thr.matchers, "model=\"layoutlm\",gpu!=\"\"");
	assert_int_equal(g->thr.kind, MKIND_AUTO);
	assert_float_equal(g->thr.scale, 2.5, 0);
	assert_false(g->thr.mean);
	assert_string_equal(g->power.metric, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION");
	assert_null(g->power.matchers);
	assert_int_equal(g->power.kind, MKIND_COUNTER);
	assert_float_equal(g->power.scale, 1e-3, 0);
	assert_string_equal(g->util.metric, "DCGM_FI_PROF_GR_ENGINE_ACTIVE");
	assert_string_equal(g->util.matchers, "gpu=~\"0|1\"");
	assert_int_equal(g->util.kind, MKIND_GAUGE);
	assert_float_equal(g->util.scale, 100, 0);
	assert_true(g->util.mean);
	assert_float_equal(g->interval, 2, 0);
	assert_float_equal(g->timeout, 1.5, 1e-12);
	assert_string_equal(g->bearer_file, "/run/secrets/token");
	assert_string_equal(g->basic_file, "/run/secrets/basic");
	assert_string_equal(g->ca_file, "/etc/ssl/my-ca.pem");
	assert_true(g->insecure);

	const struct fleet_cfg *p = &d.fleet[1];
	assert_string_equal(p->name, "inf2");
	assert_string_equal(p->origin, "t.ini:34");
	assert_int_equal(p->source, FLEET_SRC_PROMQL);
	assert_string_equal(p->server, "https://prom.example.net/prometheus");
	assert_string_equal(p->q_thr, "sum by (instance) (rate(execution_status_total{status_type=\"completed\"}[1m]))");
	assert_string_equal(p->q_power, "sum by (instance) (x)");
	assert_string_equal(p->q_util, "100 * avg by (instance) (neuroncore_utilization_ratio)");
	assert_int_equal(p->instances, 6);
	assert_false(p->insecure);
	assert_false(p->baseline);
	assert_null(p->thr.metric);
	dashcfg_free(&d);
	/* freed and reset: usable again */
	assert_int_equal(d.nfleets, 0);
	assert_null(d.fleet);
	assert_true(isnan(d.sla_per_hour));
}

static void defaults(void **state)
{
	(void)state;
	char err[256];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_true(isnan(d.interval) && isnan(d.window) && isnan(d.sla_per_hour) && isnan(d.work_units));
	assert_string_equal(load(&d, "[fleet a]\ntargets = http://h:9100/metrics\npower = p_watts\n",
	                         err, sizeof err), "");
	const struct fleet_cfg *f = &d.fleet[0];
	assert_int_equal(f->source, FLEET_SRC_SCRAPE);  /* from its keys */
	assert_null(f->instance_type);
	assert_null(f->unit);
	assert_int_equal(f->instances, 0);
	assert_true(isnan(f->usd_per_hour));
	assert_false(f->baseline);
	assert_null(f->preset);
	assert_null(f->file_sd);
	assert_int_equal(f->power.kind, MKIND_AUTO);
	assert_float_equal(f->power.scale, 1, 0);
	assert_false(f->power.mean);
	assert_null(f->power.dedupe_label);
	assert_null(f->thr.metric);
	assert_int_equal(f->thr.kind, MKIND_AUTO);
	assert_float_equal(f->thr.scale, 1, 0);
	assert_null(f->util.metric);
	assert_float_equal(f->util.scale, 1, 0);
	assert_true(f->util.mean);
	assert_float_equal(f->interval, 0, 0);
	assert_float_equal(f->timeout, 0, 0);
	assert_null(f->bearer_file);
	assert_false(f->insecure);
	assert_null(d.baseline);
	assert_string_equal(d.baseline_origin, "");
	dashcfg_free(&d);

	/* work instead of sla; a promql fleet recognised by its keys */
	dashcfg_init(&d);
	assert_string_equal(load(&d, "[dashboard]\nwork = 450e6\n[fleet p]\nserver = http://p:9090\n"
	                             "query_power = x\n", err, sizeof err), "");
	assert_float_equal(d.work_units, 450e6, 0);
	assert_int_equal(d.fleet[0].source, FLEET_SRC_PROMQL);
	dashcfg_free(&d);

	/* nothing at all is fine here (the caller decides) */
	dashcfg_init(&d);
	assert_string_equal(load(&d, "", err, sizeof err), "");
	assert_string_equal(load(&d, "; only a comment\n\n", err, sizeof err), "");
	assert_int_equal(d.nfleets, 0);
	dashcfg_free(&d);
}

static void units_and_booleans(void **state)
{
	(void)state;
	static const struct { const char *unit; enum metric_kind kind; double scale; } units[] = {
		{ "W", MKIND_GAUGE, 1 }, { "mW", MKIND_GAUGE, 1e-3 }, { "uW", MKIND_GAUGE, 1e-6 },
		{ "\xc2\xb5W", MKIND_GAUGE, 1e-6 }, { "J", MKIND_COUNTER, 1 }, { "mJ", MKIND_COUNTER, 1e-3 },
		{ "uJ", MKIND_COUNTER, 1e-6 }, { "\xc2\xb5J", MKIND_COUNTER, 1e-6 },
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		char text[256], err[256];
		struct dash_cfg d;
		dashcfg_init(&d);
		snprintf(text, sizeof text, "[fleet a]\ntargets = http://h:1/m\npower = e\npower_unit = %s\n", units[i].unit);
		assert_string_equal(load(&d, text, err, sizeof err), "");
		assert_int_equal(d.fleet[0].power.kind, units[i].kind);
		assert_float_equal(d.fleet[0].power.scale, units[i].scale, 0);
		dashcfg_free(&d);
	}
	static const struct { const char *v; bool b; } bools[] = {
		{ "true", true }, { "yes", true }, { "1", true }, { "on", true }, { "TRUE", true },
		{ "false", false }, { "no", false }, { "0", false }, { "off", false }, { "Off", false },
	};
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
		char text[256], err[256];
		struct dash_cfg d;
		dashcfg_init(&d);
		snprintf(text, sizeof text, "[fleet a]\npreset = node\ntargets = http://h:1/m\nbaseline = %s\n"
		         "insecure_skip_verify = %s\n", bools[i].v, bools[i].v);
		assert_string_equal(load(&d, text, err, sizeof err), "");
		assert_int_equal(d.fleet[0].baseline, bools[i].b);
		assert_int_equal(d.fleet[0].insecure, bools[i].b);
		dashcfg_free(&d);
	}
	char err[256];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_string_equal(load(&d, "[fleet a]\npreset = node\ntargets = http://h:1/m\n"
	                             "utilization_unit = percent\n", err, sizeof err), "");
	assert_float_equal(d.fleet[0].util.scale, 1, 0);
	assert_int_equal(d.fleet[0].util.kind, MKIND_GAUGE);
	dashcfg_free(&d);
}

/* Indented lines continue targets, mappings and queries; a trailing comma
 * in targets is harmless; BOM, CRLF and section names longer than inih's
 * 49 bytes are read whole. */
static void continuations_and_odd_files(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_string_equal(load(&d,
		"\xef\xbb\xbf[fleet gpu]\r\n"
		"targets = http://a:9400/metrics,   ; first\r\n"
		"          http://b:9400/metrics,\r\n"
		"\r\n"
		"  ; a comment between does not end it\r\n"
		"          http://c:9400/metrics,\r\n"
		"throughput = app_total{model=\"m\",\r\n"
		"    gpu!=\"\"}\r\n"
		"power = DCGM_FI_DEV_POWER_USAGE\r\n"
		"[fleet p]\n"
		"server = http://prom:9090\n"
		"query_throughput = sum by (instance) (label_replace(\n"
		"    rate(app_total[1m]),\n"
		"    \"instance\", \"$1\", \"instance\", \"([^:]+):.*\"))\n"
		"[fleet a-fleet-name-longer-than-the-49-bytes-inih-keeps-0123456789]\n"
		"preset = kepler\n"
		"file_sd = /etc/sd.json\n", err, sizeof err), "");
	assert_int_equal(d.nfleets, 3);
	assert_int_equal(d.fleet[0].ntargets, 3);
	assert_string_equal(d.fleet[0].targets[2], "http://c:9400/metrics");
	assert_string_equal(d.fleet[0].thr.matchers, "model=\"m\", gpu!=\"\"");
	assert_string_equal(d.fleet[1].q_thr, "sum by (instance) (label_replace( rate(app_total[1m]), "
	                    "\"instance\", \"$1\", \"instance\", \"([^:]+):.*\"))");
	assert_string_equal(d.fleet[2].name, "a-fleet-name-longer-than-the-49-bytes-inih-keeps-0123456789");
	assert_string_equal(d.fleet[2].origin, "t.ini:15");
	dashcfg_free(&d);
}

/* inifile on its own: what each callback hears, and from which line. */
struct heard {
	char log[1024];
	int stop_at;            /* a callback returns 0 at this line */
};

static int heard_section(void *user, const char *name, int line)
{
	struct heard *h = user;
	size_t n = strlen(h->log);
	snprintf(h->log + n, sizeof h->log - n, "%d[%s] ", line, name);
	return line != h->stop_at;
}

static int heard_key(void *user, const char *section, const char *key, const char *value, int line,
                     bool continued)
{
	struct heard *h = user;
	size_t n = strlen(h->log);
	snprintf(h->log + n, sizeof h->log - n, "%d%s%s.%s=%s ", line, continued ? "+" : ":", section, key, value);
	return line != h->stop_at;
}

static void inifile_lines(void **state)
{
	(void)state;
	static const struct inifile_cb cb = { heard_section, heard_key };
	struct heard h = { "", 0 };
	struct inifile_error e;
	assert_int_equal(inifile_parse("top = 1\n[ empty ]\n; c\n# c\n[s]\na = 1 ; note\n  more\n\n"
	                               "  again\nb: 2\n", &cb, &h, &e), 0);
	assert_string_equal(h.log, "1:.top=1 2[empty] 5[s] 6:s.a=1 7+s.a=more 9+s.a=again 10:s.b=2 ");
	assert_int_equal(e.status, INIFILE_OK);

	h = (struct heard){ "", 3 };
	assert_int_equal(inifile_parse("[a]\nx = 1\n[b]\ny = 2\n", &cb, &h, &e), -1);
	assert_int_equal(e.status, INIFILE_STOPPED);
	assert_int_equal(e.line, 3);
	assert_string_equal(h.log, "1[a] 2:a.x=1 3[b] ");

	h = (struct heard){ "", 0 };
	assert_int_equal(inifile_parse("[a]\nx = 1\nnot a pair\ny = 2\n", &cb, &h, &e), -1);
	assert_int_equal(e.status, INIFILE_MALFORMED);
	assert_int_equal(e.line, 3);
	assert_string_equal(h.log, "1[a] 2:a.x=1 ");
	assert_int_equal(inifile_parse("", &cb, &h, &e), 0);
}

/* Every problem names the file, the line and the key, exactly. */
static void bad_files(void **state)
{
	(void)state;
	static const struct { const char *text, *want; } cases[] = {
		{ "[fleet gpu]\npreset = dcgm\npower_unit = kW\n",
		  "t.ini:3: [fleet gpu] power_unit: 'kW' is not W, mW, uW, J, mJ or uJ" },
		{ "[fleet gpu]\npreset = dcgm\npower_units = W\n",
		  "t.ini:3: [fleet gpu] unknown key 'power_units' (did you mean power_unit?)" },
		{ "[dashboard]\ncolour = dark\n", "t.ini:2: [dashboard] unknown key 'colour'" },
		{ "[dashboard]\nTheme = dark\n", "t.ini:2: [dashboard] unknown key 'Theme' (did you mean theme?)" },
		{ "[fleet gpu]\nsla = 1/h\n", "t.ini:2: [fleet gpu] unknown key 'sla' (it belongs in [dashboard])" },
		{ "[dashboard]\ntype = x\n",
		  "t.ini:2: [dashboard] unknown key 'type' (it belongs in a [fleet NAME] section)" },
		{ "[fleets gpu]\n", "t.ini:1: unknown section [fleets gpu] (did you mean [fleet NAME], with a blank?)" },
		{ "[dashbord]\n", "t.ini:1: unknown section [dashbord] (did you mean [dashboard]?)" },
		{ "[dashboard]\n[foo]\nx = 1\n", "t.ini:2: unknown section [foo] (expected [dashboard] or [fleet NAME])" },
		{ "[fleet]\n", "t.ini:1: [fleet ] the fleet's name is empty (write [fleet NAME])" },
		{ "[fleet gpu]\npreset = dcgm\n[fleet gpu]\n",
		  "t.ini:3: [fleet gpu] a fleet of this name is already defined at t.ini:1" },
		{ "[fleet gpu]\ntype = a\ntype = b\n", "t.ini:3: [fleet gpu] type: given twice (first at line 2)" },
		{ "[dashboard]\nsla = 1/h\n[dashboard]\nsla = 2/h\n",
		  "t.ini:4: [dashboard] sla: given twice (first at line 2)" },
		{ "[fleet gpu]\ninstances = 0\n", "t.ini:2: [fleet gpu] instances: '0' is not a whole number from 1 to 100000" },
		{ "[fleet gpu]\ninstances = 1.5\n", "t.ini:2: [fleet gpu] instances: '1.5' is not a whole number from 1 to 100000" },
		{ "[fleet gpu]\ninstances = 100001\n",
		  "t.ini:2: [fleet gpu] instances: '100001' is not a whole number from 1 to 100000" },
		{ "[fleet gpu]\nusd_per_hour = -1\n",
		  "t.ini:2: [fleet gpu] usd_per_hour: '-1' is not a price in USD per hour (a number >= 0)" },
		{ "[fleet gpu]\nbaseline = maybe\n",
		  "t.ini:2: [fleet gpu] baseline: 'maybe' is not true or false (yes/no, on/off, 1/0)" },
		{ "[fleet gpu]\ninsecure_skip_verify = sure\n",
		  "t.ini:2: [fleet gpu] insecure_skip_verify: 'sure' is not true or false (yes/no, on/off, 1/0)" },
		{ "[fleet gpu]\ninterval = fast\n",
		  "t.ini:2: [fleet gpu] interval: 'fast' is not a duration such as 1s, 500ms or 2m" },
		{ "[fleet gpu]\ntimeout = 0s\n", "t.ini:2: [fleet gpu] timeout: '0s' must be more than 0 and at most 1d" },
		{ "[fleet gpu]\ntimeout = 2d\n", "t.ini:2: [fleet gpu] timeout: '2d' must be more than 0 and at most 1d" },
		{ "[fleet gpu]\ntargets = ftp://x/metrics\n",
		  "t.ini:2: [fleet gpu] targets: 'ftp://x/metrics' does not start with http:// or https://" },
		{ "[fleet gpu]\ntargets = http://a b/metrics\n",
		  "t.ini:2: [fleet gpu] targets: 'http://a b/metrics' has a blank or a control character" },
		{ "[fleet gpu]\ntargets = http:///metrics\n", "t.ini:2: [fleet gpu] targets: 'http:///metrics' has no host" },
		{ "[fleet gpu]\ntargets = http://a:1/m,,http://b:1/m\n",
		  "t.ini:2: [fleet gpu] targets: '' is an empty entry: separate URLs with single commas" },
		{ "[fleet gpu]\ntargets =\n", "t.ini:2: [fleet gpu] targets: '' is empty" },
		{ "[fleet gpu]\nsource = prometheus\n", "t.ini:2: [fleet gpu] source: 'prometheus' is not scrape, promql, cloudwatch or local" },
		{ "[fleet gpu]\npreset = dgcm\n",
		  "t.ini:2: [fleet gpu] preset: 'dgcm' is not dcgm, node, neuron, scaphandre, kepler, cwagent-gpu or ec2" },
		{ "[fleet gpu]\nsource = promql\npreset = dcgm\n",
		  "t.ini:3: [fleet gpu] preset: a preset is scraped; it does not go with source = promql" },
		{ "[fleet gpu]\ntargets = http://a:1/m\nserver = http://p:9090\n",
		  "t.ini:3: [fleet gpu] server: only for source = promql, but this fleet scrapes (targets at line 2)" },
		{ "[fleet gpu]\nsource = promql\nthroughput = x_total\n",
		  "t.ini:3: [fleet gpu] throughput: only for source = scrape or cloudwatch, but this fleet queries promql "
		  "(source = promql at line 2)" },
		{ "[fleet gpu]\nsource = promql\npower_unit = J\n",
		  "t.ini:3: [fleet gpu] power_unit: only for source = scrape or cloudwatch, but this fleet queries promql "
		  "(source = promql at line 2)" },
		{ "[fleet gpu]\npreset = node\nquery_power = x\n",
		  "t.ini:3: [fleet gpu] query_power: only for source = promql, but this fleet scrapes "
		  "(preset = node at line 2)" },
		{ "[fleet gpu]\nthroughput = 1abc\n",
		  "t.ini:2: [fleet gpu] throughput: '1abc' does not start with a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)" },
		{ "[fleet gpu]\nthroughput = a{b=\"c\"\n", "t.ini:2: [fleet gpu] throughput: 'a{b=\"c\"' has a '{' without its '}'" },
		{ "[fleet gpu]\npower = a{b=\"c}\n", "t.ini:2: [fleet gpu] power: 'a{b=\"c}' has a quote without its end" },
		{ "[fleet gpu]\nutilization = a}\n", "t.ini:2: [fleet gpu] utilization: 'a}' has a '}' without its '{'" },
		{ "[fleet gpu]\nthroughput = a b\n", "t.ini:2: [fleet gpu] throughput: 'a b' is not METRIC or METRIC{MATCHERS}" },
		{ "[fleet gpu]\nthroughput = a{b=\"c\",\n  d=\"e\"\n",   /* a continued value is checked whole */
		  "t.ini:2: [fleet gpu] throughput: 'a{b=\"c\", d=\"e\"' has a '{' without its '}'" },
		{ "[fleet gpu]\ntype = g4dn\n  instances = 3\n",
		  "t.ini:3: [fleet gpu] type: the indented line 'instances = 3' would continue this value; "
		  "remove its leading blanks" },
		{ "type = x\n", "t.ini:1: 'type' comes before any [dashboard] or [fleet NAME] section" },
		{ "[fleet gpu]\ntargets = http://a:1/m,\nhttp://b:1/m\n",
		  "t.ini:3: [fleet gpu] unknown key 'http' (a URL on a line of its own? indent it to continue targets)" },
		{ "[dashboard]\njust text\n", "t.ini:2: not key = value, a [section] or a comment" },
		{ "[fleet gpu\n", "t.ini:1: a '[' without its ']'" },
		{ "[dashboard]\nsla = 5\n", "t.ini:2: [dashboard] sla: '5' needs a unit of time, e.g. 5/h" },
		{ "[dashboard]\nsla = fast\n", "t.ini:2: [dashboard] sla: 'fast' is not a rate such as 1000000/h or 300/s" },
		{ "[dashboard]\nsla = 0/h\n", "t.ini:2: [dashboard] sla: '0/h' must be more than 0 and at most 1e18/h" },
		{ "[dashboard]\nsla = 1/h\nwork = 5\n",
		  "t.ini:3: [dashboard] work: sla is set too: choose one (a throughput target or a fixed amount of work)" },
		{ "[dashboard]\nwork = -5\n", "t.ini:2: [dashboard] work: '-5' is not a number of units > 0" },
		{ "[dashboard]\nwindow = 0\n", "t.ini:2: [dashboard] window: '0' must be more than 0 and at most 1d" },
		{ "[dashboard]\nbaseline =\n", "t.ini:2: [dashboard] baseline: '' is not a fleet name: it is empty" },
		{ "[dashboard]\ntheme = dark blue\n", "t.ini:2: [dashboard] theme: 'dark blue' is not a theme name such as dark" },
		{ "[dashboard]\nregion = us east\n", "t.ini:2: [dashboard] region: 'us east' is not a region such as us-east-1" },
		{ "[fleet gpu]\nfile_sd =\n", "t.ini:2: [fleet gpu] file_sd: is empty: a file name is needed" },
		{ "[fleet gpu]\nca_file = a\tb\n", "t.ini:2: [fleet gpu] ca_file: 'a b' has a control character or invalid UTF-8" },
		{ "[fleet gpu]\nquery_power =\n", "t.ini:2: [fleet gpu] query_power: is empty: a PromQL expression is needed" },
		{ "[fleet gpu]\nutilization_unit = fraction\n",
		  "t.ini:2: [fleet gpu] utilization_unit: 'fraction' is not percent or ratio" },
		{ "[fleet gpu]\nthroughput_scale = 0\n", "t.ini:2: [fleet gpu] throughput_scale: '0' is not a number > 0" },
		{ "[fleet gpu]\ntype = g4dn 2xlarge\n",
		  "t.ini:2: [fleet gpu] type: 'g4dn 2xlarge' is not an instance type such as g4dn.2xlarge" },
		{ "[fleet gpu]\nunit = a\x1b[2Jb\n",        /* control characters never reach the terminal */
		  "t.ini:2: [fleet gpu] unit: 'a?[2Jb' is not a unit such as inferences (at most 31 bytes)" },
		{ "[fleet a\x1b[31mb]\n",
		  "t.ini:1: [fleet a?[31mb] the fleet's name has a control character or invalid UTF-8 (write [fleet NAME])" },
		{ "[fleet gpu]\nserver = http://user:secret@p:9090 x\n",   /* a password is never echoed */
		  "t.ini:2: [fleet gpu] server: 'http://user:***@p:9090 x' has a blank or a control character" },
		{ "[fleet 0123456789012345678901234567890123456789012345678901234567890123]\n",
		  "t.ini:1: [fleet 0123456789012345678901234567890123456789012345678901234567890123] "
		  "the fleet's name is longer than 63 bytes (write [fleet NAME])" },
		/* dashcfg_validate(): at the fleet's section */
		{ "[fleet gpu]\ntype = g4dn.2xlarge\n",
		  "t.ini:1: [fleet gpu] source: not set: say source = scrape (with targets), source = promql (with a server), "
		  "source = cloudwatch or source = local" },
		{ "[fleet gpu]\ntargets = http://a:1/m\n",
		  "t.ini:1: [fleet gpu] throughput: a scrape fleet needs a throughput or power mapping, or a preset" },
		{ "[fleet gpu]\npreset = dcgm\n", "t.ini:1: [fleet gpu] targets: a scrape fleet needs targets or file_sd" },
		{ "[fleet gpu]\nserver = http://a:1\n",
		  "t.ini:1: [fleet gpu] query_throughput: a promql fleet needs at least one of query_throughput, "
		  "query_power and query_utilization" },
		{ "[fleet gpu]\nquery_power = x\n", "t.ini:1: [fleet gpu] server: a promql fleet needs a server" },
		{ "[fleet gpu]\npreset=dcgm\ntargets=http://a:1/m\nbaseline=1\n"
		  "[fleet b]\npreset=dcgm\ntargets=http://a:1/m\nbaseline=yes\n",
		  "t.ini:5: [fleet b] baseline: fleet gpu (at t.ini:1) is the baseline too: at most one can be" },
		{ "[dashboard]\nbaseline = cpu\n[fleet gpu]\npreset=dcgm\ntargets=http://a:1/m\n",
		  "t.ini:2: [dashboard] baseline: no fleet is named 'cpu'" },
		{ "[dashboard]\nbaseline = gpu\n[fleet gpu]\npreset=dcgm\ntargets=http://a:1/m\n"
		  "[fleet b]\npreset=dcgm\ntargets=http://a:1/m\nbaseline=on\n",
		  "t.ini:2: [dashboard] baseline: 'gpu', but fleet b (at t.ini:6) says baseline = true" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[512];
		struct dash_cfg d;
		dashcfg_init(&d);
		load(&d, cases[i].text, err, sizeof err);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu:\n got '%s'\nwant '%s'", i, err, cases[i].want);
		dashcfg_free(&d);
	}
}

static void long_lines(void **state)
{
	(void)state;
	char text[400], err[256];
	struct dash_cfg d;
	dashcfg_init(&d);
	/* 198 bytes is the most inih takes; beyond, an error instead of a line cut in two */
	snprintf(text, sizeof text, "[dashboard]\ntheme = %0190d\n", 0);
	assert_int_equal(strlen(strchr(text, '\n') + 1), 199);
	assert_int_equal(dashcfg_parse_ini(&d, text, "t.ini", err, sizeof err), 0);
	assert_int_equal(strlen(d.theme), 190);
	dashcfg_free(&d);
	snprintf(text, sizeof text, "[dashboard]\ntheme = %0191d\n", 0);
	assert_int_equal(dashcfg_parse_ini(&d, text, "t.ini", err, sizeof err), -1);
	assert_string_equal(err, "t.ini:2: line longer than 198 bytes (an indented line continues a value)");
	dashcfg_free(&d);
}

/* A failed parse keeps no fleet of its own; earlier fleets stay. */
static void failed_parse_drops_its_fleets(void **state)
{
	(void)state;
	char err[256];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_int_equal(dashcfg_add_spec(&d, "a=dcgm:http://h:9400/metrics", err, sizeof err), 0);
	assert_int_equal(dashcfg_parse_ini(&d, "[fleet b]\npreset = node\n[fleet c]\nbogus = 1\n", "t.ini",
	                                   err, sizeof err), -1);
	assert_int_equal(d.nfleets, 1);
	assert_string_equal(d.fleet[0].name, "a");
	/* and a name already taken, across a spec and a file */
	assert_int_equal(dashcfg_parse_ini(&d, "[fleet a]\npreset = node\n", "t.ini", err, sizeof err), -1);
	assert_string_equal(err, "t.ini:1: [fleet a] a fleet of this name is already defined at --fleet #1");
	dashcfg_free(&d);
}

static void specs_for_every_preset(void **state)
{
	(void)state;
	static const char *const presets[] = { "dcgm", "node", "neuron", "scaphandre", "kepler" };
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
		char spec[256], err[256];
		struct dash_cfg d;
		dashcfg_init(&d);
		snprintf(spec, sizeof spec, " f%zu = %s : http://a:1/metrics , https://b:2/metrics ;type=x.large; ",
		         i, presets[i]);
		assert_int_equal(dashcfg_add_spec(&d, spec, err, sizeof err), 0);
		assert_int_equal(dashcfg_validate(&d, err, sizeof err), 0);
		const struct fleet_cfg *f = &d.fleet[0];
		assert_string_equal(f->preset, presets[i]);
		assert_int_equal(f->source, FLEET_SRC_SCRAPE);
		assert_int_equal(f->ntargets, 2);
		assert_string_equal(f->targets[0], "http://a:1/metrics");
		assert_string_equal(f->targets[1], "https://b:2/metrics");
		assert_string_equal(f->instance_type, "x.large");
		assert_string_equal(f->origin, "--fleet #1");
		dashcfg_free(&d);
	}
}

static void spec_scrape_and_promql(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_int_equal(dashcfg_add_spec(&d,
		"gpu=scrape:http://a:9400/metrics,http://b:9400/metrics;"
		"throughput=app_total{model=\"a;b\",x='c;d',y=~\"{1;2}\"};"
		"power=DCGM_FI_DEV_POWER_USAGE;power_unit=W;utilization=u{m=\"(;)\"};"
		"utilization_unit=ratio;instances=33;unit=inferences;baseline=true;usd_per_hour=0.752;"
		"interval=2s;timeout=1s;bearer_token_file=/t;ca_file=/ca;insecure_skip_verify=no;"
		"throughput_scale=3", err, sizeof err), 0);
	const struct fleet_cfg *g = &d.fleet[0];
	assert_int_equal(g->source, FLEET_SRC_SCRAPE);
	assert_null(g->preset);
	assert_int_equal(g->ntargets, 2);
	assert_string_equal(g->thr.metric, "app_total");
	assert_string_equal(g->thr.matchers, "model=\"a;b\",x='c;d',y=~\"{1;2}\"");
	assert_float_equal(g->thr.scale, 3, 0);
	assert_string_equal(g->power.metric, "DCGM_FI_DEV_POWER_USAGE");
	assert_int_equal(g->power.kind, MKIND_GAUGE);
	assert_string_equal(g->util.matchers, "m=\"(;)\"");
	assert_float_equal(g->util.scale, 100, 0);
	assert_int_equal(g->instances, 33);
	assert_true(g->baseline);
	assert_float_equal(g->usd_per_hour, 0.752, 1e-12);
	assert_float_equal(g->interval, 2, 0);
	assert_string_equal(g->bearer_file, "/t");

	/* commas and brackets inside a query, and the short keys meaning queries */
	assert_int_equal(dashcfg_add_spec(&d,
		"inf=promql:http://prom:9090/prefix;"
		"throughput=sum by (instance) (rate(x[1m]));"
		"power=sum by (instance, gpu) (label_replace(y, \"a\", \"$1\", \"b\", \"(.*);\"));"
		"utilization=100 * avg(neuroncore_utilization_ratio{a=\"}\"})", err, sizeof err), 0);
	const struct fleet_cfg *p = &d.fleet[1];
	assert_string_equal(p->origin, "--fleet #2");
	assert_int_equal(p->source, FLEET_SRC_PROMQL);
	assert_string_equal(p->server, "http://prom:9090/prefix");
	assert_string_equal(p->q_thr, "sum by (instance) (rate(x[1m]))");
	assert_string_equal(p->q_power, "sum by (instance, gpu) (label_replace(y, \"a\", \"$1\", \"b\", \"(.*);\"))");
	assert_string_equal(p->q_util, "100 * avg(neuroncore_utilization_ratio{a=\"}\"})");
	assert_null(p->thr.metric);
	assert_int_equal(dashcfg_add_spec(&d, "q=promql:https://p:9090;query_power=x;file_sd=/x", err, sizeof err), -1);
	assert_string_equal(err, "--fleet #3: [fleet q] file_sd: only for source = scrape, but this fleet queries "
	                         "promql (source = promql)");
	assert_int_equal(dashcfg_validate(&d, err, sizeof err), 0);
	assert_int_equal(d.nfleets, 2);
	dashcfg_free(&d);
}

static void bad_specs(void **state)
{
	(void)state;
	static const struct { const char *spec, *want; } cases[] = {
		{ "gpu", "--fleet #2: 'gpu' is not NAME=KIND:URL, NAME=cloudwatch[:PRESET], NAME=local, "
		         "NAME=nvidia-smi[:CMD], NAME=neuron-monitor[:CMD] or NAME=follow:FILE (KIND: scrape, promql, dcgm, "
		         "node, neuron, scaphandre or kepler)" },
		{ "gpu=dcgm", "--fleet #2: 'gpu=dcgm' is not NAME=KIND:URL, NAME=cloudwatch[:PRESET], NAME=local, "
		              "NAME=nvidia-smi[:CMD], NAME=neuron-monitor[:CMD] or NAME=follow:FILE (KIND: scrape, "
		              "promql, dcgm, node, neuron, scaphandre or kepler)" },
		{ "gpu=foo:http://a:1/m", "--fleet #2: [fleet gpu] 'foo' is not scrape, promql, cloudwatch, local, "
		                          "nvidia-smi, neuron-monitor, follow, dcgm, node, neuron, scaphandre or kepler" },
		{ "gpu=dcgm:http://a:1/m;power_unit=kW", "--fleet #2: [fleet gpu] power_unit: 'kW' is not W, mW, uW, J, mJ or uJ" },
		{ "gpu=dcgm:http://a:1/m;nonsense", "--fleet #2: [fleet gpu] 'nonsense' is not key=value" },
		{ "gpu=dcgm:http://a:1/m;targets=http://b:1/m", "--fleet #2: [fleet gpu] targets: given twice" },
		{ "gpu=dcgm:http://a:1/m;type=a;type=b", "--fleet #2: [fleet gpu] type: given twice" },
		{ "gpu=dcgm:http://a:1/m;throughput=a{b=\"c\"",
		  "--fleet #2: 'gpu=dcgm:http://a:1/m;throughput=a{b=\"c\"' has brackets or quotes that do not balance" },
		{ "gpu=dcgm:http://a:1/m;throughput=a(}",
		  "--fleet #2: 'gpu=dcgm:http://a:1/m;throughput=a(}' has brackets or quotes that do not balance" },
		{ "gpu=dcgm:ftp://a", "--fleet #2: [fleet gpu] targets: 'ftp://a' does not start with http:// or https://" },
		{ "p=promql:", "--fleet #2: [fleet p] server: '' is empty" },
		{ "p=promql:http://p:9090;server=http://q:9090", "--fleet #2: [fleet p] server: given twice" },
		{ "p=promql:http://p:9090;throughput=x;query_throughput=y", "--fleet #2: [fleet p] query_throughput: given twice" },
		{ "p=promql:http://p:9090;targets=http://a:1/m",
		  "--fleet #2: [fleet p] targets: only for source = scrape, but this fleet queries promql (source = promql)" },
		{ "gpu=dcgm:http://a:1/m;query_power=x",
		  "--fleet #2: [fleet gpu] query_power: only for source = promql, but this fleet scrapes (preset = dcgm)" },
		{ "gpu=dcgm:http://a:1/m;source=promql",
		  "--fleet #2: [fleet gpu] preset: a preset is scraped; it does not go with source = promql" },
		{ "=dcgm:http://a:1/m", "--fleet #2: [fleet ] the fleet's name is empty" },
		{ "first=node:http://a:1/m", "--fleet #2: [fleet first] a fleet of this name is already defined at --fleet #1" },
		{ "gpu=dcgm:http://a:1/m;sla=1/h", "--fleet #2: [fleet gpu] unknown key 'sla' (it belongs in [dashboard])" },
		{ "gpu=dcgm:http://a:1/m;powr=x", "--fleet #2: [fleet gpu] unknown key 'powr' (did you mean power?)" },
		{ "gpu=dcgm:http://a:1/m;instances=-3",
		  "--fleet #2: [fleet gpu] instances: '-3' is not a whole number from 1 to 100000" },
		/* parsed, then refused by dashcfg_validate() */
		{ "gpu=scrape:http://a:1/m",
		  "--fleet #2: [fleet gpu] throughput: a scrape fleet needs a throughput or power mapping, or a preset" },
		{ "gpu=scrape:", "--fleet #2: [fleet gpu] targets: a scrape fleet needs targets or file_sd" },
		{ "p=promql:http://p:9090", "--fleet #2: [fleet p] query_throughput: a promql fleet needs at least one of "
		                            "query_throughput, query_power and query_utilization" },
		{ "gpu=dcgm:http://a:1/m;baseline=yes",
		  "--fleet #2: [fleet gpu] baseline: fleet first (at --fleet #1) is the baseline too: at most one can be" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[512] = "";
		struct dash_cfg d;
		dashcfg_init(&d);
		assert_int_equal(dashcfg_add_spec(&d, "first=dcgm:http://z:1/m;baseline=1", err, sizeof err), 0);
		if (dashcfg_add_spec(&d, cases[i].spec, err, sizeof err) == 0)
			dashcfg_validate(&d, err, sizeof err);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu:\n got '%s'\nwant '%s'", i, err, cases[i].want);
		dashcfg_free(&d);
	}
}

static void metric_maps(void **state)
{
	(void)state;
	static const struct { const char *text, *metric, *matchers; } good[] = {
		{ "up", "up", NULL },
		{ "  node:cpu_seconds:rate5m  ", "node:cpu_seconds:rate5m", NULL },
		{ "_x{}", "_x", NULL },
		{ "app_inferences_total{model=\"layoutlm\",gpu!=\"\"}", "app_inferences_total", "model=\"layoutlm\",gpu!=\"\"" },
		{ "m { a=\"}{\" , b='\\'}' } ", "m", "a=\"}{\" , b='\\'}'" },
		{ "m{a=\"x\\\"}\"}", "m", "a=\"x\\\"}\"" },
		{ "m{a=`\\`}", "m", "a=`\\`" },
		{ "m{a=\"\xc2\xb5\"}", "m", "a=\"\xc2\xb5\"" },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct metric_map m = { 0 };
		char err[256];
		if (metric_map_parse(&m, good[i].text, err, sizeof err) != 0)
			fail_msg("good %zu: %s", i, err);
		assert_string_equal(m.metric, good[i].metric);
		if (good[i].matchers)
			assert_string_equal(m.matchers, good[i].matchers);
		else
			assert_null(m.matchers);
		metric_map_free(&m);
	}
	static const struct { const char *text, *want; } bad[] = {
		{ "", "'' does not start with a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)" },
		{ "1abc", "'1abc' does not start with a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)" },
		{ "{a=\"b\"}", "'{a=\"b\"}' does not start with a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)" },
		{ "a-b", "'a-b' is not METRIC or METRIC{MATCHERS}" },
		{ "a{b=\"c\"", "'a{b=\"c\"' has a '{' without its '}'" },
		{ "a{b=\"c}", "'a{b=\"c}' has a quote without its end" },
		{ "a{b='c}", "'a{b='c}' has a quote without its end" },
		{ "a{b=\"c\"}}", "'a{b=\"c\"}}' has a '}' without its '{'" },
		{ "a{b={c}}", "'a{b={c}}' has a '{' inside its matchers" },
		{ "a{b=\"c\"} x", "'a{b=\"c\"} x' is not METRIC or METRIC{MATCHERS}" },
		{ "a{b=\"\x01\"}", "'a{b=\"?\"}' has a control character" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct metric_map m = { 0 };
		char err[256] = "";
		assert_int_equal(metric_map_parse(&m, "keep{x=\"1\"}", err, sizeof err), 0);
		assert_int_equal(metric_map_parse(&m, bad[i].text, err, sizeof err), -1);
		if (strcmp(err, bad[i].want) != 0)
			fail_msg("bad %zu:\n got '%s'\nwant '%s'", i, err, bad[i].want);
		/* untouched on error */
		assert_string_equal(m.metric, "keep");
		assert_string_equal(m.matchers, "x=\"1\"");
		metric_map_free(&m);
		assert_null(m.metric);
	}
}

static void describe(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_string_equal(load(&d, every_key, err, sizeof err), "");
	assert_int_equal(dashcfg_add_spec(&d, "s=scrape:http://bob:hunter2@h:1/m;power=w{a=\"\xe2\x80\x8b\"}",
	                                  err, sizeof err), 0);
	static char buf[8192];
	size_t len = dashcfg_describe(&d, buf, sizeof buf);
	assert_int_equal(len, strlen(buf));
	static const char *const want[] = {
		"[dashboard]\n", "  interval     0.5 s\n", "  window       60 s\n", "  theme        high-contrast\n",
		"  region       eu-west-1\n", "  sla          1,000,000/h\n", "  baseline     gpu\n",
		"[fleet gpu]  from t.ini:11\n", "  type         g4dn.2xlarge\n", "  instances    33\n",
		"  unit         inferences\n", "  baseline     yes\n", "  source       scrape\n",
		"  preset       dcgm\n", "  targets      http://10.0.0.5:9400/metrics\n",
		"               https://[::1]:9400/metrics\n",
		"  file_sd      /etc/prometheus/gpu.json  (re-read on change)\n",
		"  throughput   app_inferences_total{model=\"layoutlm\",gpu!=\"\"}  (kind auto, scale 2.5 to units/s, sum of series)\n",
		"  power        DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION  (counter (made a rate), scale 0.001 to W, sum of series)\n",
		"  utilization  DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu=~\"0|1\"}  (gauge, scale 100 to %, mean of series)\n",
		"  interval     2 s\n", "  timeout      1.5 s\n",
		"  auth         bearer token from /run/secrets/token\n",
		"               basic auth (user:password) from /run/secrets/basic\n",
		"  ca_file      /etc/ssl/my-ca.pem\n",
		"  tls          certificates NOT verified (insecure_skip_verify)\n",
		"  price        $0.752/h per instance (usd_per_hour)\n",
		"[fleet inf2]  from t.ini:34\n", "  instances    6\n", "  source       promql\n",
		"  server       https://prom.example.net/prometheus\n",
		"  throughput   sum by (instance) (rate(execution_status_total{status_type=\"completed\"}[1m]))\n",
		"  utilization  100 * avg by (instance) (neuroncore_utilization_ratio)\n",
		"  interval     the dashboard's\n", "  timeout      5 s (default)\n", "  price        from the tables\n",
		"[fleet s]  from --fleet #1\n", "  type         unknown\n", "  instances    the targets that answer\n",
		"  unit         units\n", "  targets      http://bob:***@h:1/m\n",
		"  throughput   not scraped\n", "  utilization  not scraped\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(buf, want[i]))
			fail_msg("missing '%s' in:\n%s", want[i], buf);
	assert_null(strstr(buf, "hunter2"));
	/* a truncated buffer: the length it needs, and a terminated prefix */
	char small[40];
	assert_int_equal(dashcfg_describe(&d, small, sizeof small), len);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_int_equal(dashcfg_describe(&d, NULL, 0), len);
	dashcfg_free(&d);

	/* a preset's maps, before the scrape source fills them in */
	dashcfg_init(&d);
	assert_int_equal(dashcfg_add_spec(&d, "n=neuron:http://h:8000/metrics", err, sizeof err), 0);
	dashcfg_describe(&d, buf, sizeof buf);
	assert_non_null(strstr(buf, "  power        preset neuron's default, if it has one\n"));
	assert_null(strstr(buf, "[dashboard]"));
	dashcfg_free(&d);
}

/* CloudWatch fleets in a file: the source from source, a preset or a key,
 * whichever comes first in the section; the figures read once it is known. */
static const char cw_text[] =
	"[dashboard]\n"
	"aws_profile = perf\n"
	"cloudwatch_usd_per_1000_metrics = 0.02\n"
	"\n"
	"[fleet g5]\n"                                                      /* 5 */
	"type = g5.xlarge\n"
	"preset = cwagent-gpu      ; implies source = cloudwatch\n"
	"throughput = Perwatt/App/Inferences{ Model = bert , Stage=\"a,b}\\\"c\", GPU }\n"
	"power_unit = mW\n"
	"period = 5m\n"
	"settle = 2m\n"
	"\n"
	"[fleet asg]\n"                                                     /* 13 */
	"utilization = AWS/EC2/CPUUtilization\n"
	"source = cloudwatch       ; after the figure: read as CloudWatch all the same\n"
	"select = AutoScalingGroupName=web=blue\n"
	"throughput = CWAgent/requests {Path}\n"
	"throughput_stat = sum\n"
	"throughput_scale = 2\n"
	"utilization_stat = P99.9\n"
	"utilization_unit = ratio\n"
	"power_expression = SEARCH('{CWAgent,InstanceId} MetricName=\"nvidia_smi_power_draw\"',\n"
	"    'Average', 60)\n"
	"period = 10s\n"
	"settle = 0\n"
	"interval = 30s\n"
	"\n"
	"[fleet neuron-scraped]\n"                                          /* 28 */
	"preset = neuron\n"
	"targets = http://h:8000/metrics\n"
	"\n"
	"[fleet neuron-cw]\n"                                               /* 32 */
	"preset = neuron           ; a cloudwatch-only key below makes it CloudWatch's\n"
	"type = inf2.xlarge\n"
	"namespace = neuron_mon\n"
	"\n"
	"[fleet expr]\n"                                                    /* 37 */
	"throughput_expression = SEARCH('{Perwatt/App,InstanceId} Inferences', 'Sum', 60) / 60\n";

static void cloudwatch_config(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_true(isnan(d.cw_usd_per_1000));
	assert_null(d.aws_profile);
	assert_string_equal(load(&d, cw_text, err, sizeof err), "");
	assert_string_equal(d.aws_profile, "perf");
	assert_float_equal(d.cw_usd_per_1000, 0.02, 1e-12);
	assert_int_equal(d.nfleets, 5);

	const struct fleet_cfg *g = &d.fleet[0];
	assert_string_equal(g->name, "g5");
	assert_int_equal(g->source, FLEET_SRC_CLOUDWATCH);
	assert_string_equal(g->preset, "cwagent-gpu");
	assert_string_equal(g->instance_type, "g5.xlarge");
	assert_null(g->cw_select_name);
	assert_null(g->cw_select_value);
	assert_string_equal(g->cw[0].ns, "Perwatt/App");
	assert_string_equal(g->cw[0].metric, "Inferences");
	assert_int_equal(g->cw[0].ndims, 3);
	assert_string_equal(g->cw[0].dims[0].name, "Model");
	assert_string_equal(g->cw[0].dims[0].value, "bert");
	assert_string_equal(g->cw[0].dims[1].name, "Stage");
	assert_string_equal(g->cw[0].dims[1].value, "a,b}\"c");
	assert_string_equal(g->cw[0].dims[2].name, "GPU");
	assert_null(g->cw[0].dims[2].value);
	assert_null(g->cw[0].stat);
	assert_null(g->cw[0].expression);
	assert_float_equal(g->cw[0].scale, 1, 0);
	assert_null(g->cw[1].metric);           /* the preset's, filled in by the source */
	assert_float_equal(g->cw[1].scale, 1e-3, 0);
	assert_float_equal(g->cw[2].scale, 1, 0);
	assert_int_equal(g->cw_period, 300);
	assert_float_equal(g->cw_settle, 120, 0);
	/* the scrape mappings stay as they were */
	assert_null(g->thr.metric);
	assert_float_equal(g->power.scale, 1, 0);
	assert_int_equal(g->power.kind, MKIND_AUTO);

	const struct fleet_cfg *a = &d.fleet[1];
	assert_string_equal(a->origin, "t.ini:13");
	assert_int_equal(a->source, FLEET_SRC_CLOUDWATCH);
	assert_null(a->preset);
	assert_string_equal(a->cw_select_name, "AutoScalingGroupName");
	assert_string_equal(a->cw_select_value, "web=blue");
	assert_string_equal(a->cw[2].ns, "AWS/EC2");           /* at the last '/' */
	assert_string_equal(a->cw[2].metric, "CPUUtilization");
	assert_int_equal(a->cw[2].ndims, 0);
	assert_null(a->cw[2].dims);
	assert_string_equal(a->cw[2].stat, "p99.9");
	assert_float_equal(a->cw[2].scale, 100, 0);
	assert_string_equal(a->cw[0].ns, "CWAgent");
	assert_string_equal(a->cw[0].metric, "requests");
	assert_int_equal(a->cw[0].ndims, 1);
	assert_string_equal(a->cw[0].dims[0].name, "Path");
	assert_null(a->cw[0].dims[0].value);
	assert_string_equal(a->cw[0].stat, "Sum");
	assert_float_equal(a->cw[0].scale, 2, 0);
	assert_null(a->cw[1].ns);
	assert_string_equal(a->cw[1].expression, "SEARCH('{CWAgent,InstanceId} MetricName=\"nvidia_smi_power_draw\"', "
	                    "'Average', 60)");
	assert_int_equal(a->cw_period, 10);
	assert_float_equal(a->cw_settle, 0, 0);
	assert_float_equal(a->interval, 30, 0);
	assert_null(a->util.metric);
	assert_float_equal(a->util.scale, 1, 0);

	/* neuron: scraped unless a cloudwatch-only key says otherwise */
	assert_int_equal(d.fleet[2].source, FLEET_SRC_SCRAPE);
	assert_string_equal(d.fleet[2].preset, "neuron");
	assert_int_equal(d.fleet[3].source, FLEET_SRC_CLOUDWATCH);
	assert_string_equal(d.fleet[3].preset, "neuron");
	assert_string_equal(d.fleet[3].cw_namespace, "neuron_mon");
	assert_int_equal(d.fleet[3].cw_period, 0);
	assert_true(isnan(d.fleet[3].cw_settle));

	/* an expression alone needs neither select nor type */
	const struct fleet_cfg *e = &d.fleet[4];
	assert_int_equal(e->source, FLEET_SRC_CLOUDWATCH);
	assert_null(e->instance_type);
	assert_string_equal(e->cw[0].expression, "SEARCH('{Perwatt/App,InstanceId} Inferences', 'Sum', 60) / 60");
	assert_null(e->cw[0].metric);
	dashcfg_free(&d);
	assert_null(d.aws_profile);
	assert_true(isnan(d.cw_usd_per_1000));

	/* source = cloudwatch makes neuron CloudWatch's too */
	dashcfg_init(&d);
	assert_string_equal(load(&d, "[fleet n]\npreset = neuron\nsource = cloudwatch\ntype = inf2.xlarge\n"
	                             "namespace = n\n", err, sizeof err), "");
	assert_int_equal(d.fleet[0].source, FLEET_SRC_CLOUDWATCH);
	dashcfg_free(&d);
}

static void cloudwatch_specs(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_int_equal(dashcfg_add_spec(&d, "inf2=cloudwatch:neuron;type=inf2.xlarge;namespace=neuron_mon;"
	                                  "throughput=Perwatt/App/Inferences{Model=bert}", err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, " app = cloudwatch ;select=AutoScalingGroupName=web;"
	                                  "throughput=Perwatt/App/Requests", err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "c7g=cloudwatch:ec2;type=c7g.xlarge;period=1m;settle=30s;"
	                                  "power_expression=SEARCH('{CWAgent,InstanceId} x;y', 'Average', 60);"
	                                  "utilization=CWAgent/cpu{cpu=\"cpu-total;x\"};utilization_stat=tm(10%:90%);"
	                                  "power_unit=uW", err, sizeof err), 0);
	assert_int_equal(dashcfg_validate(&d, err, sizeof err), 0);
	assert_int_equal(d.nfleets, 3);

	const struct fleet_cfg *f = &d.fleet[0];
	assert_string_equal(f->origin, "--fleet #1");
	assert_int_equal(f->source, FLEET_SRC_CLOUDWATCH);
	assert_string_equal(f->preset, "neuron");
	assert_string_equal(f->cw_namespace, "neuron_mon");
	assert_string_equal(f->cw[0].ns, "Perwatt/App");
	assert_string_equal(f->cw[0].metric, "Inferences");
	assert_int_equal(f->cw[0].ndims, 1);
	assert_string_equal(f->cw[0].dims[0].name, "Model");
	assert_string_equal(f->cw[0].dims[0].value, "bert");
	assert_null(f->cw_select_name);         /* InstanceType = type, by the source */

	f = &d.fleet[1];
	assert_string_equal(f->name, "app");
	assert_int_equal(f->source, FLEET_SRC_CLOUDWATCH);
	assert_null(f->preset);
	assert_null(f->instance_type);
	assert_string_equal(f->cw_select_name, "AutoScalingGroupName");
	assert_string_equal(f->cw_select_value, "web");
	assert_string_equal(f->cw[0].ns, "Perwatt/App");
	assert_string_equal(f->cw[0].metric, "Requests");
	assert_null(f->cw[0].stat);
	assert_float_equal(f->cw[0].scale, 1, 0);
	assert_int_equal(f->cw_period, 0);
	assert_true(isnan(f->cw_settle));

	f = &d.fleet[2];
	assert_string_equal(f->preset, "ec2");
	assert_int_equal(f->cw_period, 60);
	assert_float_equal(f->cw_settle, 30, 0);
	assert_string_equal(f->cw[1].expression, "SEARCH('{CWAgent,InstanceId} x;y', 'Average', 60)");
	assert_float_equal(f->cw[1].scale, 1e-6, 0);
	assert_string_equal(f->cw[2].dims[0].value, "cpu-total;x");
	assert_string_equal(f->cw[2].stat, "TM(10%:90%)");
	dashcfg_free(&d);
}

static void cloudwatch_stats(void **state)
{
	(void)state;
	static const struct { const char *v, *want; } good[] = {
		{ "Average", "Average" }, { "sum", "Sum" }, { "MINIMUM", "Minimum" }, { "Maximum", "Maximum" },
		{ "samplecount", "SampleCount" }, { "iqm", "IQM" }, { "p99", "p99" }, { "P99.9", "p99.9" },
		{ "p0", "p0" }, { "p100", "p100" }, { "tm90", "tm90" }, { "WM90", "wm90" }, { "tc90", "tc90" },
		{ "ts90", "ts90" }, { "TM(10%:90%)", "TM(10%:90%)" }, { "tm(:95%)", "TM(:95%)" },
		{ "PR(100:2000)", "PR(100:2000)" }, { "wm(5%:)", "WM(5%:)" },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char spec[128], err[512];
		struct dash_cfg d;
		dashcfg_init(&d);
		snprintf(spec, sizeof spec, "a=cloudwatch;type=x;power=CWAgent/p;power_stat=%s", good[i].v);
		if (dashcfg_add_spec(&d, spec, err, sizeof err) != 0)
			fail_msg("good %zu: %s", i, err);
		assert_string_equal(d.fleet[0].cw[1].stat, good[i].want);
		dashcfg_free(&d);
	}
	static const char *const bad[] = {
		"median", "p", "p101", "p9.", "p.9", "p-1", "PR99", "tm(:)", "TM(10%:90%", "TM(101%:)", "p(1:2)", "avg",
		"tm90x", "Sum(1)",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128], err[512], want[512];
		struct dash_cfg d;
		dashcfg_init(&d);
		snprintf(text, sizeof text, "[fleet a]\nsource = cloudwatch\npower_stat = %s\n", bad[i]);
		assert_int_equal(dashcfg_parse_ini(&d, text, "t.ini", err, sizeof err), -1);
		snprintf(want, sizeof want, "t.ini:3: [fleet a] power_stat: '%s' is not Average, Sum, Minimum, "
		         "Maximum, SampleCount, IQM or a percentile or trimmed statistic such as p99, p99.9, tm90, "
		         "wm90, tc90, ts90 or TM(10%%:90%%)", bad[i]);
		if (strcmp(err, want) != 0)
			fail_msg("bad %zu:\n got '%s'\nwant '%s'", i, err, want);
		dashcfg_free(&d);
	}
}

static void cloudwatch_errors(void **state)
{
	(void)state;
	static const struct { const char *text, *want; } files[] = {
		/* keys of another source */
		{ "[fleet a]\nsource = cloudwatch\ntargets = http://a:1/m\n",
		  "t.ini:3: [fleet a] targets: only for source = scrape, but this fleet reads CloudWatch "
		  "(source = cloudwatch at line 2)" },
		{ "[fleet a]\ntargets = http://a:1/m\nperiod = 60s\n",
		  "t.ini:3: [fleet a] period: only for source = cloudwatch, but this fleet scrapes (targets at line 2)" },
		{ "[fleet a]\nserver = http://p:9090\nthroughput_stat = Sum\n",
		  "t.ini:3: [fleet a] throughput_stat: only for source = cloudwatch, but this fleet queries promql "
		  "(server at line 2)" },
		{ "[fleet a]\nselect = InstanceType=x\nquery_power = x\n",
		  "t.ini:3: [fleet a] query_power: only for source = promql, but this fleet reads CloudWatch "
		  "(select at line 2)" },
		{ "[fleet a]\npreset = ec2\nca_file = /x\n",
		  "t.ini:3: [fleet a] ca_file: only for source = scrape or promql, but this fleet reads CloudWatch "
		  "(preset = ec2 at line 2)" },
		{ "[fleet a]\npreset = neuron\ntargets = http://a:1/m\nnamespace = n\n",
		  "t.ini:3: [fleet a] targets: only for source = scrape, but this fleet reads CloudWatch "
		  "(namespace at line 4)" },
		{ "[fleet a]\npreset = neuron\nserver = http://p:9090\n",
		  "t.ini:3: [fleet a] server: only for source = promql, but this fleet scrapes (preset = neuron at line 2)" },
		{ "[fleet a]\nsource = promql\nthroughput_expression = m1\n",
		  "t.ini:3: [fleet a] throughput_expression: only for source = cloudwatch, but this fleet queries promql "
		  "(source = promql at line 2)" },
		/* presets and sources */
		{ "[fleet a]\nsource = cloudwatch\npreset = dcgm\n",
		  "t.ini:3: [fleet a] preset: 'dcgm' is a scrape preset; it does not go with source = cloudwatch "
		  "(the CloudWatch presets: cwagent-gpu, ec2, neuron)" },
		{ "[fleet a]\npreset = ec2\nsource = scrape\n",
		  "t.ini:2: [fleet a] preset: 'ec2' is a CloudWatch preset; it does not go with source = scrape" },
		{ "[fleet a]\nsource = promql\npreset = cwagent-gpu\n",
		  "t.ini:3: [fleet a] preset: 'cwagent-gpu' is a CloudWatch preset; it does not go with source = promql" },
		/* values */
		{ "[fleet a]\nsource = cloudwatch\nperiod = 45s\n",
		  "t.ini:3: [fleet a] period: '45s' is not 1s, 5s, 10s, 20s, 30s or a multiple of 60s (at most 1d)" },
		{ "[fleet a]\nsource = cloudwatch\nperiod = 90s\n",
		  "t.ini:3: [fleet a] period: '90s' is not 1s, 5s, 10s, 20s, 30s or a multiple of 60s (at most 1d)" },
		{ "[fleet a]\nsource = cloudwatch\nperiod = 2d\n",
		  "t.ini:3: [fleet a] period: '2d' is not 1s, 5s, 10s, 20s, 30s or a multiple of 60s (at most 1d)" },
		{ "[fleet a]\nsource = cloudwatch\nperiod = 500ms\n",
		  "t.ini:3: [fleet a] period: '500ms' is not 1s, 5s, 10s, 20s, 30s or a multiple of 60s (at most 1d)" },
		{ "[fleet a]\nsource = cloudwatch\nperiod = often\n",
		  "t.ini:3: [fleet a] period: 'often' is not a duration such as 60s or 5m" },
		{ "[fleet a]\nsource = cloudwatch\nsettle = 20m\n", "t.ini:3: [fleet a] settle: '20m' must be from 0 to 15m" },
		{ "[fleet a]\nsource = cloudwatch\nsettle = -1s\n",
		  "t.ini:3: [fleet a] settle: '-1s' is not a duration such as 60s or 2m" },
		{ "[fleet a]\nsource = cloudwatch\nthroughput_stat = avg\n",
		  "t.ini:3: [fleet a] throughput_stat: 'avg' is not Average, Sum, Minimum, Maximum, SampleCount, IQM or "
		  "a percentile or trimmed statistic such as p99, p99.9, tm90, wm90, tc90, ts90 or TM(10%:90%)" },
		{ "[fleet a]\nselect = InstanceType\n",
		  "t.ini:2: [fleet a] select: 'InstanceType' is not DIMENSION=VALUE, such as InstanceType=inf2.xlarge or "
		  "AutoScalingGroupName=my-asg" },
		{ "[fleet a]\nselect = =web\n",
		  "t.ini:2: [fleet a] select: '=web' is not DIMENSION=VALUE, such as InstanceType=inf2.xlarge or "
		  "AutoScalingGroupName=my-asg" },
		{ "[fleet a]\nselect = AutoScalingGroupName =\n",
		  "t.ini:2: [fleet a] select: 'AutoScalingGroupName =' is not DIMENSION=VALUE, such as "
		  "InstanceType=inf2.xlarge or AutoScalingGroupName=my-asg" },
		{ "[fleet a]\nnamespace =\n", "t.ini:2: [fleet a] namespace: is empty: a CloudWatch namespace is needed" },
		{ "[fleet a]\nthroughput_expression =\n",
		  "t.ini:2: [fleet a] throughput_expression: is empty: a Metric Math or SEARCH expression is needed" },
		{ "[fleet a]\npower_expression = m1\n  \x1b[2J\n",
		  "t.ini:2: [fleet a] power_expression: 'm1 ?[2J' has a control character or invalid UTF-8" },
		{ "[fleet a]\nsource = cloudwatch\ntype = x\npower = CWAgent/p\npower_unit = J\n",
		  "t.ini:5: [fleet a] power_unit: CloudWatch power must be a gauge in W, mW or uW" },
		{ "[fleet a]\nsource = cloudwatch\ntype = x\nthroughput = A/B\nthroughput_expression = SEARCH('x', 'Sum')\n",
		  "t.ini:5: [fleet a] throughput_expression: throughput is set too: a figure is a metric or an "
		  "expression, not both" },
		{ "[fleet a]\nsource = cloudwatch\npower_stat = Maximum\npower_expression = MAX(m1)\n",
		  "t.ini:3: [fleet a] power_stat: is for a metric; power_expression computes its own values" },
		/* a figure's text is read as its source means it, at its own line */
		{ "[fleet a]\nthroughput = A/B\nsource = scrape\ntargets = http://a:1/m\n",
		  "t.ini:2: [fleet a] throughput: 'A/B' is not METRIC or METRIC{MATCHERS}" },
		{ "[fleet a]\npreset = neuron\ntype = inf2.xlarge\nthroughput = Perwatt/App/Inferences\n",
		  "t.ini:4: [fleet a] throughput: 'Perwatt/App/Inferences' is not METRIC or METRIC{MATCHERS} "
		  "(a CloudWatch metric? say source = cloudwatch)" },
		{ "[fleet a]\nthroughput = Inferences\nsource = cloudwatch\n",
		  "t.ini:2: [fleet a] throughput: 'Inferences' is not NAMESPACE/METRIC or "
		  "NAMESPACE/METRIC{DIMENSION=VALUE,...}" },
		/* dashcfg_validate() */
		{ "[fleet a]\nsource = cloudwatch\ntype = x\n",
		  "t.ini:1: [fleet a] throughput: a cloudwatch fleet needs a throughput, power or utilization metric or "
		  "expression, or a preset" },
		{ "[fleet a]\nsource = cloudwatch\npreset = neuron\ntype = inf2.xlarge\n",
		  "t.ini:1: [fleet a] namespace: preset = neuron needs the namespace neuron-monitor-cloudwatch.py "
		  "publishes to (its --namespace)" },
		{ "[fleet a]\nthroughput_expression = m1\npower = CWAgent/p\n",
		  "t.ini:1: [fleet a] select: a cloudwatch fleet with a metric or a preset needs select "
		  "(e.g. AutoScalingGroupName=my-asg) or type (InstanceType = type)" },
		{ "[fleet a]\npreset = ec2\n",
		  "t.ini:1: [fleet a] select: a cloudwatch fleet with a metric or a preset needs select "
		  "(e.g. AutoScalingGroupName=my-asg) or type (InstanceType = type)" },
		/* [dashboard] */
		{ "[dashboard]\naws_profile = my profile\n",
		  "t.ini:2: [dashboard] aws_profile: 'my profile' is not a profile name such as default "
		  "(no blanks, at most 128 bytes)" },
		{ "[dashboard]\ncloudwatch_usd_per_1000_metrics = 11\n",
		  "t.ini:2: [dashboard] cloudwatch_usd_per_1000_metrics: '11' is not a price in USD per 1,000 metrics "
		  "requested (a number from 0 to 10)" },
		{ "[dashboard]\ncloudwatch_usd_per_1000_metrics = -0.01\n",
		  "t.ini:2: [dashboard] cloudwatch_usd_per_1000_metrics: '-0.01' is not a price in USD per 1,000 metrics "
		  "requested (a number from 0 to 10)" },
		{ "[fleet a]\naws_profile = x\n", "t.ini:2: [fleet a] unknown key 'aws_profile' (it belongs in [dashboard])" },
		{ "[dashboard]\nselect = a=b\n",
		  "t.ini:2: [dashboard] unknown key 'select' (it belongs in a [fleet NAME] section)" },
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char err[512];
		struct dash_cfg d;
		dashcfg_init(&d);
		load(&d, files[i].text, err, sizeof err);
		if (strcmp(err, files[i].want) != 0)
			fail_msg("file %zu:\n got '%s'\nwant '%s'", i, err, files[i].want);
		dashcfg_free(&d);
	}

	/* NAMESPACE/METRIC{DIMENSIONS} */
	static const struct { const char *fig, *want; } metrics[] = {
		{ "Inferences", "'Inferences' is not NAMESPACE/METRIC or NAMESPACE/METRIC{DIMENSION=VALUE,...}" },
		{ "/Inferences", "'/Inferences' has no namespace before the last '/'" },
		{ "Perwatt/App/", "'Perwatt/App/' has no metric name after the last '/'" },
		{ "A/B{X=}", "'A/B{X=}' has an empty value for dimension X (write the name alone for any value)" },
		{ "A/B{X=\"\"}", "'A/B{X=\"\"}' has an empty value for dimension X (write the name alone for any value)" },
		{ "A/B{X=\"a}", "'A/B{X=\"a}' has a quote without its end" },
		{ "A/B{X=1", "'A/B{X=1' has a '{' without its '}'" },
		{ "A/B{X", "'A/B{X' has a '{' without its '}'" },
		{ "A/B{X=1,X}", "'A/B{X=1,X}' names dimension X twice" },
		{ "A/B{X=1} y", "'A/B{X=1} y' is not NAMESPACE/METRIC or NAMESPACE/METRIC{DIMENSION=VALUE,...}" },
		{ "A/B}", "'A/B}' has a '}' without its '{'" },
		{ "A/B{X=a=b}", "'A/B{X=a=b}' has a '=' in a value: quote the value (X=\"...\")" },
		{ "A/B{X=\"a\" b}", "'A/B{X=\"a\" b}' has text after the quoted value of dimension X" },
		{ "A/B{=1}", "'A/B{=1}' has a dimension without a name" },
		{ "A/B{,}", "'A/B{,}' has a dimension without a name" },
		{ "A/B{\"X\"=1}", "'A/B{\"X\"=1}' has a '\"' in a dimension name" },
		{ "A/B{X={1}}", "'A/B{X={1}}' has a '{' in a value: quote the value (X=\"...\")" },
	};
	for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
		char text[256], err[512], want[600];
		struct dash_cfg d;
		dashcfg_init(&d);
		snprintf(text, sizeof text, "[fleet a]\nutilization = %s\nsource = cloudwatch\ntype = x\n", metrics[i].fig);
		load(&d, text, err, sizeof err);
		snprintf(want, sizeof want, "t.ini:2: [fleet a] utilization: %s", metrics[i].want);
		if (strcmp(err, want) != 0)
			fail_msg("metric %zu:\n got '%s'\nwant '%s'", i, err, want);
		dashcfg_free(&d);
	}
	/* at most 30 dimensions, names of at most 255 bytes */
	char big[2048] = "a=cloudwatch;type=x;throughput=A/B{", err[512];
	for (int i = 0; i < 30; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "D%d=%d,", i, i);
	strcat(big, "}");
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_int_equal(dashcfg_add_spec(&d, big, err, sizeof err), 0);
	assert_int_equal(d.fleet[0].cw[0].ndims, 30);
	dashcfg_free(&d);
	strcpy(big + strlen(big) - 1, "D30}");
	assert_int_equal(dashcfg_add_spec(&d, big, err, sizeof err), -1);
	assert_non_null(strstr(err, "' has more than 30 dimensions (CloudWatch's limit)"));
	snprintf(big, sizeof big, "a=cloudwatch;type=x;throughput=%0256d/B", 0);
	assert_int_equal(dashcfg_add_spec(&d, big, err, sizeof err), -1);
	assert_non_null(strstr(err, "' has a namespace longer than 255 bytes"));
	snprintf(big, sizeof big, "a=cloudwatch;type=x;throughput=%0255d/B", 0);
	assert_int_equal(dashcfg_add_spec(&d, big, err, sizeof err), 0);
	dashcfg_free(&d);

	static const struct { const char *spec, *want; } specs[] = {
		{ "x=cloudwatch:dcgm", "--fleet #1: [fleet x] preset: 'dcgm' is not cwagent-gpu, ec2 or neuron "
		                       "(the CloudWatch presets)" },
		{ "x=ec2:http://a:1/m", "--fleet #1: [fleet x] 'ec2' is a CloudWatch preset: write x=cloudwatch:ec2" },
		{ "x=cloudwatch;targets=http://a:1/m",
		  "--fleet #1: [fleet x] targets: only for source = scrape, but this fleet reads CloudWatch "
		  "(source = cloudwatch)" },
		{ "x=cloudwatch:neuron;type=inf2.xlarge",
		  "--fleet #1: [fleet x] namespace: preset = neuron needs the namespace neuron-monitor-cloudwatch.py "
		  "publishes to (its --namespace)" },
		{ "x=cloudwatch;throughput=Perwatt/App/Requests",
		  "--fleet #1: [fleet x] select: a cloudwatch fleet with a metric or a preset needs select "
		  "(e.g. AutoScalingGroupName=my-asg) or type (InstanceType = type)" },
		{ "x=cloudwatch;select=AutoScalingGroupName=web;period=45s",
		  "--fleet #1: [fleet x] period: '45s' is not 1s, 5s, 10s, 20s, 30s or a multiple of 60s (at most 1d)" },
		{ "x=cloudwatch;type=t;throughput=A/B;throughput_expression=m1",
		  "--fleet #1: [fleet x] throughput_expression: throughput is set too: a figure is a metric or an "
		  "expression, not both" },
		{ "x=cloudwatch", "--fleet #1: [fleet x] throughput: a cloudwatch fleet needs a throughput, power or "
		                  "utilization metric or expression, or a preset" },
		{ "x=cloudwatch;type=t;select=InstanceId", "--fleet #1: [fleet x] select: 'InstanceId' is not "
		  "DIMENSION=VALUE, such as InstanceType=inf2.xlarge or AutoScalingGroupName=my-asg" },
		{ "x=cloudwatch;type=t;power=CWAgent/p;power_unit=mJ",
		  "--fleet #1: [fleet x] power_unit: CloudWatch power must be a gauge in W, mW or uW" },
	};
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		err[0] = '\0';
		dashcfg_init(&d);
		if (dashcfg_add_spec(&d, specs[i].spec, err, sizeof err) == 0)
			dashcfg_validate(&d, err, sizeof err);
		if (strcmp(err, specs[i].want) != 0)
			fail_msg("spec %zu:\n got '%s'\nwant '%s'", i, err, specs[i].want);
		dashcfg_free(&d);
	}
}

static void cloudwatch_describe(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_string_equal(load(&d, cw_text, err, sizeof err), "");
	assert_int_equal(dashcfg_add_spec(&d, "esc=cloudwatch;select=AutoScalingGroupName= a b ;"
	                                  "utilization=N/M{K=\"x\\\\y\"}", err, sizeof err), 0);
	static char buf[16384];
	size_t len = dashcfg_describe(&d, buf, sizeof buf);
	assert_int_equal(len, strlen(buf));
	static const char *const want[] = {
		"[dashboard]\n  aws_profile  perf\n"
		"  cloudwatch   $0.02 per 1,000 metrics requested (cloudwatch_usd_per_1000_metrics)\n\n",
		"[fleet g5]  from t.ini:5\n  type         g5.xlarge\n  instances    the instances that report\n"
		"  unit         units\n  baseline     no\n  source       cloudwatch\n  preset       cwagent-gpu\n"
		"  select       InstanceType=g5.xlarge (from type)\n"
		"  throughput   Perwatt/App/Inferences{Model=bert, Stage=\"a,b}\\\"c\", GPU} stat Sum (\xc3\xb7 period)\n"
		"  power        preset cwagent-gpu: CWAgent/nvidia_smi_power_draw stat Average, summed over each "
		"instance's GPUs  (scale 0.001 to W)\n"
		"  utilization  preset cwagent-gpu: CWAgent/nvidia_smi_utilization_gpu stat Average, mean over GPUs\n"
		"  period       300 s\n  settle       120 s\n  interval     the period\n"
		"  timeout      20 s (default)\n  price        from the tables\n",
		"[fleet asg]  from t.ini:13\n",
		"  select       AutoScalingGroupName=\"web=blue\"\n",
		"  throughput   CWAgent/requests{Path} stat Sum (\xc3\xb7 period)  (scale 2 to units/s)\n"
		"  power        expression SEARCH('{CWAgent,InstanceId} MetricName=\"nvidia_smi_power_draw\"', "
		"'Average', 60)\n"
		"  utilization  AWS/EC2/CPUUtilization stat p99.9  (scale 100 to %)\n"
		"  period       10 s\n  settle       0 s\n  interval     30 s\n",
		"[fleet neuron-cw]  from t.ini:32\n",
		"  select       InstanceType=inf2.xlarge (from type)\n  namespace    neuron_mon\n",
		"  period       60 s (default)\n  settle       60 s (default)\n",
		"[fleet expr]  from t.ini:37\n",
		"  select       not set\n"
		"  throughput   expression SEARCH('{Perwatt/App,InstanceId} Inferences', 'Sum', 60) / 60\n"
		"  power        not read\n  utilization  not read\n",
		"  select       AutoScalingGroupName=a b\n",
		"  utilization  N/M{K=\"x\\\\y\"} stat Average\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(buf, want[i]))
			fail_msg("missing '%s' in:\n%s", want[i], buf);
	/* the scraped neuron fleet is described as before */
	assert_non_null(strstr(buf, "[fleet neuron-scraped]  from t.ini:28\n"));
	assert_non_null(strstr(buf, "  source       scrape\n  preset       neuron\n  targets      http://h:8000/metrics\n"
	                            "  throughput   preset neuron's default, if it has one\n"));
	dashcfg_free(&d);
}

/* ---- local fleets ---------------------------------------------------------- */

static const char local_text[] =
	"[fleet box]\n"                                                     /* 1 */
	"source = local\n"
	"type = g5.xlarge\n"
	"unit = samples\n"
	"instances = 4\n"
	"usd_per_hour = 1.006\n"
	"baseline = yes\n"
	"sensors = rapl , nvidia-smi,cpu\n"
	"nvidia_smi = ssh gpu-host nvidia-smi\n"
	"follow = /tmp/bench.log\n"
	"match = throughput: ([0-9.]+) samples/s\n"
	"throughput_scale = 0.5\n"
	"interval = 2s\n"
	"\n"
	"[fleet inf]\n"                                                     /* 15 */
	"neuron_max_w = 100         ; a local-only key: source = local\n"
	"sensors = neuron-monitor, hwmon\n"
	"neuron_monitor = /opt/aws/neuron/bin/neuron-monitor -c /etc/nm.json\n"
	"follow_cmd = tail -F /var/log/app.log\n"
	"match = done\n"
	"match_kind = lines\n"
	"\n"
	"[fleet all]\n"                                                     /* 23 */
	"source = local\n"
	"\n"
	"[fleet bench]\n"                                                   /* 26 */
	"sensors = none\n"
	"follow_counter = /run/bench/count\n";

static void local_config(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_string_equal(load(&d, local_text, err, sizeof err), "");
	assert_int_equal(d.nfleets, 4);

	const struct fleet_cfg *b = &d.fleet[0];
	assert_int_equal(b->source, FLEET_SRC_LOCAL);
	assert_string_equal(b->instance_type, "g5.xlarge");
	assert_string_equal(b->unit, "samples");
	assert_int_equal(b->instances, 4);
	assert_float_equal(b->usd_per_hour, 1.006, 1e-12);
	assert_true(b->baseline);
	assert_string_equal(b->sensors, "rapl,nvidia-smi,cpu");
	assert_string_equal(b->nvsmi_cmd, "ssh gpu-host nvidia-smi");
	assert_null(b->neuron_cmd);
	assert_true(isnan(b->neuron_max_w));
	assert_string_equal(b->follow_file, "/tmp/bench.log");
	assert_null(b->follow_cmd);
	assert_null(b->follow_counter);
	assert_string_equal(b->follow_match, "throughput: ([0-9.]+) samples/s");
	assert_int_equal(b->follow_kind, 0);
	/* throughput_scale of a local fleet: cw[0].scale; the scrape mapping untouched */
	assert_float_equal(b->cw[0].scale, 0.5, 0);
	assert_float_equal(b->thr.scale, 1, 0);
	assert_null(b->thr.metric);
	assert_float_equal(b->interval, 2, 0);

	const struct fleet_cfg *n = &d.fleet[1];
	assert_int_equal(n->source, FLEET_SRC_LOCAL);
	assert_string_equal(n->sensors, "neuron,hwmon");
	assert_string_equal(n->neuron_cmd, "/opt/aws/neuron/bin/neuron-monitor -c /etc/nm.json");
	assert_float_equal(n->neuron_max_w, 100, 0);
	assert_string_equal(n->follow_cmd, "tail -F /var/log/app.log");
	assert_string_equal(n->follow_match, "done");
	assert_int_equal(n->follow_kind, 2);
	assert_float_equal(n->cw[0].scale, 1, 0);

	const struct fleet_cfg *a = &d.fleet[2];
	assert_int_equal(a->source, FLEET_SRC_LOCAL);
	assert_null(a->sensors);
	assert_null(a->follow_file);
	assert_null(a->follow_match);
	assert_int_equal(a->instances, 0);

	const struct fleet_cfg *c = &d.fleet[3];
	assert_int_equal(c->source, FLEET_SRC_LOCAL);
	assert_string_equal(c->sensors, "");
	assert_string_equal(c->follow_counter, "/run/bench/count");
	dashcfg_free(&d);

	/* match_kind = count; follow and match_kind = lines need no match */
	dashcfg_init(&d);
	assert_string_equal(load(&d, "[fleet a]\nfollow = /l\nmatch = total=([0-9]+)\nmatch_kind = count\n"
	                             "[fleet b]\nfollow_cmd = ./bench --verbose\nmatch_kind = lines\n", err, sizeof err), "");
	assert_int_equal(d.fleet[0].follow_kind, 1);
	assert_string_equal(d.fleet[0].follow_match, "total=([0-9]+)");
	assert_int_equal(d.fleet[1].follow_kind, 2);
	assert_null(d.fleet[1].follow_match);
	dashcfg_free(&d);
}

static void local_specs(void **state)
{
	(void)state;
	char err[512] = "";
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_int_equal(dashcfg_add_spec(&d, "box=local", err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "gpu=nvidia-smi", err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "gpu2 = nvidia-smi:ssh h nvidia-smi;type=g5.xlarge;baseline=1", err,
	                                  sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "inf=neuron-monitor;neuron_max_w=120;type=inf2.xlarge", err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "inf2=neuron-monitor:neuron-monitor -c nm.json", err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "bench=follow:/tmp/bench.log;match=throughput: ([0-9.]+);unit=samples",
	                                  err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "gpu3=nvidia-smi;follow=/tmp/bench.log;match=throughput: ([0-9.]+);"
	                                  "throughput_scale=32", err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "cpu=local;sensors=rapl,cpu;follow_cmd=./bench 2>&1;"
	                                  "match=it/s=([0-9.]+)", err, sizeof err), 0);
	assert_int_equal(dashcfg_add_spec(&d, "both=follow:/l;sensors=rapl;match_kind=lines", err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_int_equal(dashcfg_validate(&d, err, sizeof err), 0);
	assert_int_equal(d.nfleets, 9);
	for (size_t i = 0; i < d.nfleets; i++)
		assert_int_equal(d.fleet[i].source, FLEET_SRC_LOCAL);

	assert_null(d.fleet[0].sensors);
	assert_string_equal(d.fleet[0].origin, "--fleet #1");
	assert_string_equal(d.fleet[1].sensors, "nvidia-smi");
	assert_null(d.fleet[1].nvsmi_cmd);
	assert_string_equal(d.fleet[2].name, "gpu2");
	assert_string_equal(d.fleet[2].sensors, "nvidia-smi");
	assert_string_equal(d.fleet[2].nvsmi_cmd, "ssh h nvidia-smi");
	assert_string_equal(d.fleet[2].instance_type, "g5.xlarge");
	assert_true(d.fleet[2].baseline);
	assert_string_equal(d.fleet[3].sensors, "neuron");
	assert_null(d.fleet[3].neuron_cmd);
	assert_float_equal(d.fleet[3].neuron_max_w, 120, 0);
	assert_string_equal(d.fleet[4].neuron_cmd, "neuron-monitor -c nm.json");
	/* follow: no power sensor, throughput only */
	assert_string_equal(d.fleet[5].sensors, "");
	assert_string_equal(d.fleet[5].follow_file, "/tmp/bench.log");
	assert_string_equal(d.fleet[5].follow_match, "throughput: ([0-9.]+)");
	assert_string_equal(d.fleet[5].unit, "samples");
	assert_string_equal(d.fleet[6].sensors, "nvidia-smi");
	assert_string_equal(d.fleet[6].follow_file, "/tmp/bench.log");
	assert_float_equal(d.fleet[6].cw[0].scale, 32, 0);
	assert_string_equal(d.fleet[7].sensors, "rapl,cpu");
	assert_string_equal(d.fleet[7].follow_cmd, "./bench 2>&1");
	assert_string_equal(d.fleet[7].follow_match, "it/s=([0-9.]+)");   /* cut at the first '=' only */
	assert_string_equal(d.fleet[8].sensors, "rapl");
	assert_int_equal(d.fleet[8].follow_kind, 2);
	dashcfg_free(&d);
}

/* Regexes hold (), [], {} and quotes: ';' inside them does not split. */
static void local_spec_regex_splitting(void **state)
{
	(void)state;
	static const struct { const char *spec, *match, *unit; } cases[] = {
		{ "a=follow:/l;match=([0-9.]+) samples/s;unit=samples", "([0-9.]+) samples/s", "samples" },
		{ "a=follow:/l;match=step ([0-9]{1,9});unit=steps", "step ([0-9]{1,9})", "steps" },
		{ "a=follow:/l;match=x=([0-9.;]+);unit=u", "x=([0-9.;]+)", "u" },                /* ';' in [] */
		{ "a=follow:/l;match=rate[(]([0-9]+);unit=u", "rate[(]([0-9]+)", "u" },          /* '(' in [] */
		{ "a=follow:/l;match=[^]]*: ([0-9]+);unit=u", "[^]]*: ([0-9]+)", "u" },          /* ']' first in [] */
		{ "a=follow:/l;match=[[:digit:]]+ x ([[:digit:].]+);unit=u", "[[:digit:]]+ x ([[:digit:].]+)", "u" },
		{ "a=follow:/l;match=it[']s ([0-9]+);unit=u", "it[']s ([0-9]+)", "u" },           /* a lone quote */
		{ "a=follow:/l;match=\\[([0-9]+)/s\\];unit=u", "\\[([0-9]+)/s\\]", "u" },          /* escaped */
		{ "a=follow:/l;match=\"tps\": ([0-9.]+);unit=u", "\"tps\": ([0-9.]+)", "u" },
		{ "a=follow:/l;match=(a;b) ([0-9]+)", "(a;b) ([0-9]+)", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[512] = "";
		struct dash_cfg d;
		dashcfg_init(&d);
		if (dashcfg_add_spec(&d, cases[i].spec, err, sizeof err) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(d.nfleets, 1);
		if (strcmp(d.fleet[0].follow_match, cases[i].match) != 0)
			fail_msg("case %zu: match '%s', want '%s'", i, d.fleet[0].follow_match, cases[i].match);
		if (cases[i].unit)
			assert_string_equal(d.fleet[0].unit, cases[i].unit);
		else
			assert_null(d.fleet[0].unit);
		dashcfg_free(&d);
	}
	/* what still does not balance */
	static const char *const bad[] = {
		"a=follow:/l;match=([0-9]+;unit=u", "a=follow:/l;match=[0-9;unit=u", "a=follow:/l;match=x]",
		"a=follow:/l;match=it's ([0-9]+)",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[512] = "", want[512];
		struct dash_cfg d;
		dashcfg_init(&d);
		assert_int_equal(dashcfg_add_spec(&d, bad[i], err, sizeof err), -1);
		snprintf(want, sizeof want, "--fleet #1: '%s' has brackets or quotes that do not balance", bad[i]);
		assert_string_equal(err, want);
		dashcfg_free(&d);
	}
	/* PromQL ranges are bracket expressions too */
	char err[512] = "";
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_int_equal(dashcfg_add_spec(&d, "p=promql:http://p:9090;throughput=sum(rate(x{a=\";\"}[1m:10s]));"
	                                  "unit=u", err, sizeof err), 0);
	assert_string_equal(d.fleet[0].q_thr, "sum(rate(x{a=\";\"}[1m:10s]))");
	assert_string_equal(d.fleet[0].unit, "u");
	dashcfg_free(&d);
}

/* regerror's text for re, as the message quotes it. */
static void regex_error_text(const char *re, char *buf, size_t n)
{
	regex_t rx;
	int e = regcomp(&rx, re, REG_EXTENDED);
	assert_int_not_equal(e, 0);
	regerror(e, &rx, buf, n);
}

static void local_errors(void **state)
{
	(void)state;
	char rerr[200], bad_regex[400], bad_regex_spec[400];
	regex_error_text("([0-9]+", rerr, sizeof rerr);
	snprintf(bad_regex, sizeof bad_regex, "t.ini:3: [fleet a] match: '([0-9]+' is not a regular expression: %s", rerr);
	regex_error_text("x{2,1}", rerr, sizeof rerr);
	snprintf(bad_regex_spec, sizeof bad_regex_spec,
	         "--fleet #1: [fleet a] match: 'x{2,1}' is not a regular expression: %s", rerr);
	const struct { const char *text, *want; } cases[] = {
		{ "[fleet a]\nsensors = rapl, gpu\n",
		  "t.ini:2: [fleet a] sensors: 'gpu' is not rapl, hwmon, cpu, nvidia-smi or neuron (did you mean nvidia-smi?)" },
		{ "[fleet a]\nsensors = rapl, amd\n",
		  "t.ini:2: [fleet a] sensors: 'amd' is not rapl, hwmon, cpu, nvidia-smi or neuron" },
		{ "[fleet a]\nsensors = rapl, nvidia_smi\n",
		  "t.ini:2: [fleet a] sensors: 'nvidia_smi' is not rapl, hwmon, cpu, nvidia-smi or neuron "
		  "(did you mean nvidia-smi?)" },
		{ "[fleet a]\nsensors = rapl,,cpu\n",
		  "t.ini:2: [fleet a] sensors: '' is an empty entry: separate sensors with single commas" },
		{ "[fleet a]\nsensors = rapl, cpu, rapl\n", "t.ini:2: [fleet a] sensors: 'rapl, cpu, rapl' names rapl twice" },
		{ "[fleet a]\nsensors = neuron, neuron-monitor\n",
		  "t.ini:2: [fleet a] sensors: 'neuron, neuron-monitor' names neuron twice" },
		{ "[fleet a]\nsensors =\n", "t.ini:2: [fleet a] sensors: is empty: name the sensors (rapl, hwmon, cpu, "
		  "nvidia-smi, neuron), or none for a throughput-only fleet" },
		{ "[fleet a]\nsensors = rapl, none\n",
		  "t.ini:2: [fleet a] sensors: 'none' goes alone (no power sensor: throughput only)" },
		{ "[fleet a]\nsource = local\nmatch = ([0-9]+\n", bad_regex },
		{ "[fleet a]\nsource = local\nfollow = /l\n",
		  "t.ini:1: [fleet a] match: follow needs match = REGEX (its first capture group is the value), or "
		  "match_kind = lines to count the lines" },
		{ "[fleet a]\nfollow_cmd = ./bench\nmatch_kind = count\n",
		  "t.ini:1: [fleet a] match: follow_cmd needs match = REGEX (its first capture group is the value), or "
		  "match_kind = lines to count the lines" },
		{ "[fleet a]\nfollow = /l\nmatch = x ([0-9]+)\nfollow_cmd = ./b\n",
		  "t.ini:4: [fleet a] follow_cmd: follow is set too: a fleet follows one file, command or counter" },
		{ "[fleet a]\nfollow_counter = /c\nfollow = /l\n",
		  "t.ini:3: [fleet a] follow: follow_counter is set too: a fleet follows one file, command or counter" },
		{ "[fleet a]\nfollow = /l\nmatch = rate [0-9.]+\nmatch_kind = count\n",
		  "t.ini:3: [fleet a] match: 'rate [0-9.]+' has no capture group: with match_kind = count its first (...) "
		  "is the value (or say match_kind = lines to count the lines)" },
		{ "[fleet a]\nfollow = /l\nmatch = rate [0-9.]+\n",
		  "t.ini:3: [fleet a] match: 'rate [0-9.]+' has no capture group: with match_kind = rate its first (...) "
		  "is the value (or say match_kind = lines to count the lines)" },
		{ "[fleet a]\nfollow_counter = /c\nmatch = ([0-9]+)\n",
		  "t.ini:3: [fleet a] match: is for follow and follow_cmd: the follow_counter file holds the count itself" },
		{ "[fleet a]\nfollow_counter = /c\nmatch_kind = count\n",
		  "t.ini:3: [fleet a] match_kind: is for follow and follow_cmd: a follow_counter file holds a running count" },
		{ "[fleet a]\nsource = local\nmatch = ([0-9]+)\n",
		  "t.ini:3: [fleet a] match: needs follow or follow_cmd (the lines to match)" },
		{ "[fleet a]\nsource = local\nthroughput_scale = 2\n",
		  "t.ini:3: [fleet a] throughput_scale: scales the followed throughput: needs follow, follow_cmd or "
		  "follow_counter" },
		{ "[fleet a]\nsource = local\nmatch_kind = often\n",
		  "t.ini:3: [fleet a] match_kind: 'often' is not rate, count or lines" },
		{ "[fleet a]\nsource = local\nneuron_max_w = -1\n",
		  "t.ini:3: [fleet a] neuron_max_w: '-1' is not a power in W (a number > 0, at most 10000)" },
		{ "[fleet a]\nsource = local\nneuron_max_w = 10001\n",
		  "t.ini:3: [fleet a] neuron_max_w: '10001' is not a power in W (a number > 0, at most 10000)" },
		{ "[fleet a]\nsource = local\nnvidia_smi =\n", "t.ini:3: [fleet a] nvidia_smi: is empty: a command line is needed" },
		{ "[fleet a]\nsource = local\nneuron_monitor = a\x1b[2Jb\n",
		  "t.ini:3: [fleet a] neuron_monitor: 'a?[2Jb' has a control character or invalid UTF-8" },
		{ "[fleet a]\nsource = local\nfollow =\n", "t.ini:3: [fleet a] follow: is empty: a file name is needed" },
		{ "[fleet a]\nsensors = rapl\nnvidia_smi = nvidia-smi\n",
		  "t.ini:3: [fleet a] nvidia_smi: sensors = rapl leaves nvidia-smi out" },
		{ "[fleet a]\nsensors = cpu,hwmon\nneuron_max_w = 90\n",
		  "t.ini:3: [fleet a] neuron_max_w: sensors = cpu,hwmon leaves neuron out" },
		{ "[fleet a]\nsensors = none\n",
		  "t.ini:1: [fleet a] sensors: none: a fleet without power sensors needs follow, follow_cmd or "
		  "follow_counter (its throughput)" },
		/* mixing with the other sources */
		{ "[fleet a]\nsource = local\ntargets = http://a:1/m\n",
		  "t.ini:3: [fleet a] targets: only for source = scrape, but this fleet reads this machine "
		  "(source = local at line 2)" },
		{ "[fleet a]\nsensors = rapl\npower = x_watts\n",
		  "t.ini:3: [fleet a] power: only for source = scrape or cloudwatch, but this fleet reads this machine "
		  "(sensors at line 2)" },
		{ "[fleet a]\ntargets = http://a:1/m\nthroughput = x_total\nfollow = /l\n",
		  "t.ini:4: [fleet a] follow: only for source = local, but this fleet scrapes (targets at line 2)" },
		{ "[fleet a]\nsource = cloudwatch\nsensors = rapl\n",
		  "t.ini:3: [fleet a] sensors: only for source = local, but this fleet reads CloudWatch "
		  "(source = cloudwatch at line 2)" },
		{ "[fleet a]\nserver = http://p:9090\nmatch = (x)\n",
		  "t.ini:3: [fleet a] match: only for source = local, but this fleet queries promql (server at line 2)" },
		{ "[fleet a]\nsource = local\ntimeout = 5s\n",
		  "t.ini:3: [fleet a] timeout: only for source = scrape, promql or cloudwatch, but this fleet reads this "
		  "machine (source = local at line 2)" },
		{ "[fleet a]\nsource = local\nbearer_token_file = /t\n",
		  "t.ini:3: [fleet a] bearer_token_file: only for source = scrape or promql, but this fleet reads this "
		  "machine (source = local at line 2)" },
		{ "[fleet a]\nsource = local\npreset = dcgm\n",
		  "t.ini:3: [fleet a] preset: a preset is for scrape and cloudwatch fleets; it does not go with "
		  "source = local (say sensors = ...)" },
		{ "[fleet a]\npreset = node\nsensors = rapl\n",
		  "t.ini:3: [fleet a] sensors: only for source = local, but this fleet scrapes (preset = node at line 2)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[512];
		struct dash_cfg d;
		dashcfg_init(&d);
		load(&d, cases[i].text, err, sizeof err);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu:\n got '%s'\nwant '%s'", i, err, cases[i].want);
		dashcfg_free(&d);
	}

	const struct { const char *spec, *want; } specs[] = {
		{ "a=follow:/l;match=x{2,1}", bad_regex_spec },
		{ "a=follow:/l", "--fleet #1: [fleet a] match: follow needs match = REGEX (its first capture group is the "
		  "value), or match_kind = lines to count the lines" },
		{ "a=follow:", "--fleet #1: [fleet a] follow: is empty: a file name is needed" },
		{ "a=follow:/l;match=(x);follow_cmd=./b",
		  "--fleet #1: [fleet a] follow_cmd: follow is set too: a fleet follows one file, command or counter" },
		{ "a=follow:/l;match=x[0-9]+;match_kind=count",
		  "--fleet #1: [fleet a] match: 'x[0-9]+' has no capture group: with match_kind = count its first (...) "
		  "is the value (or say match_kind = lines to count the lines)" },
		{ "a=nvidia-smi;sensors=rapl", "--fleet #1: [fleet a] sensors: given twice" },
		{ "a=nvidia-smi:x;nvidia_smi=y", "--fleet #1: [fleet a] nvidia_smi: given twice" },
		{ "a=nvidia-smi;targets=http://a:1/m",
		  "--fleet #1: [fleet a] targets: only for source = scrape, but this fleet reads this machine "
		  "(source = local)" },
		{ "a=neuron-monitor;nvidia_smi=x", "--fleet #1: [fleet a] nvidia_smi: sensors = neuron leaves nvidia-smi out" },
		{ "a=follow:/l;match=(x);neuron_max_w=50", "--fleet #1: [fleet a] neuron_max_w: sensors = none leaves "
		  "neuron out" },
		{ "a=neuron-monitor;neuron_max_w=-1",
		  "--fleet #1: [fleet a] neuron_max_w: '-1' is not a power in W (a number > 0, at most 10000)" },
		{ "a=local:rapl", "--fleet #1: [fleet a] 'local:rapl': local takes nothing after it "
		  "(write a=local;sensors=...)" },
		{ "a=local;sensors=rpl", "--fleet #1: [fleet a] sensors: 'rpl' is not rapl, hwmon, cpu, nvidia-smi or neuron "
		  "(did you mean rapl?)" },
		{ "a=dcgm:http://a:1/m;follow=/l",
		  "--fleet #1: [fleet a] follow: only for source = local, but this fleet scrapes (preset = dcgm)" },
		{ "a=cloudwatch;sensors=cpu",
		  "--fleet #1: [fleet a] sensors: only for source = local, but this fleet reads CloudWatch "
		  "(source = cloudwatch)" },
	};
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		char err[512] = "";
		struct dash_cfg d;
		dashcfg_init(&d);
		if (dashcfg_add_spec(&d, specs[i].spec, err, sizeof err) == 0)
			dashcfg_validate(&d, err, sizeof err);
		if (strcmp(err, specs[i].want) != 0)
			fail_msg("spec %zu:\n got '%s'\nwant '%s'", i, err, specs[i].want);
		dashcfg_free(&d);
	}
}

static void local_describe(void **state)
{
	(void)state;
	char err[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_string_equal(load(&d, local_text, err, sizeof err), "");
	assert_int_equal(dashcfg_add_spec(&d, "b2=follow:/tmp/b.log;match=([0-9]+) ok;match_kind=count", err,
	                                  sizeof err), 0);
	static char buf[16384];
	size_t len = dashcfg_describe(&d, buf, sizeof buf);
	assert_int_equal(len, strlen(buf));
	static const char *const want[] = {
		"[fleet box]  from t.ini:1\n  type         g5.xlarge\n  instances    4\n  unit         samples\n"
		"  baseline     yes\n  source       local\n  sensors      rapl,nvidia-smi,cpu\n"
		"  nvidia-smi   ssh gpu-host nvidia-smi\n"
		"  follow       /tmp/bench.log  (followed like tail -F)\n"
		"  match        throughput: ([0-9.]+) samples/s  (rate: the capture is units/s)\n"
		"  throughput   scale 0.5 to units/s\n"
		"  interval     2 s\n  price        $1.006/h per instance (usd_per_hour)\n",
		"[fleet inf]  from t.ini:15\n  type         unknown\n  instances    1 (this machine)\n",
		"  sensors      neuron,hwmon\n  neuron       /opt/aws/neuron/bin/neuron-monitor -c /etc/nm.json\n"
		"  neuron_max_w 100 W per Neuron device at 100 % utilization\n"
		"  follow_cmd   tail -F /var/log/app.log  (its output)\n"
		"  match        done  (lines: each matching line is one unit)\n"
		"  interval     the dashboard's\n  price        from the tables\n",
		"[fleet all]  from t.ini:23\n",
		"  source       local\n  sensors      every one detected (rapl, hwmon, cpu, nvidia-smi, neuron)\n"
		"  throughput   the sensors' own, if any (no follow)\n  interval     the dashboard's\n",
		"[fleet bench]  from t.ini:26\n",
		"  sensors      none (throughput only)\n  counter      /run/bench/count  (a running count, made a rate)\n"
		"  interval",
		"[fleet b2]  from --fleet #1\n",
		"  sensors      none (throughput only)\n  follow       /tmp/b.log  (followed like tail -F)\n"
		"  match        ([0-9]+) ok  (count: the capture is a running total, made a rate)\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(buf, want[i]))
			fail_msg("missing '%s' in:\n%s", want[i], buf);
	/* no request timeout, no scrape mappings on a local fleet */
	const char *box = strstr(buf, "[fleet box]");
	const char *inf = strstr(buf, "[fleet inf]");
	assert_non_null(box);
	assert_non_null(inf);
	for (const char *p = strstr(buf, "  timeout"); p; p = strstr(p + 1, "  timeout"))
		fail_msg("a local fleet has a timeout line:\n%s", buf);
	assert_null(strstr(buf, "not scraped"));
	dashcfg_free(&d);
}

static void files(void **state)
{
	(void)state;
	char err[512], path[512];
	struct dash_cfg d;
	dashcfg_init(&d);
	assert_int_equal(dashcfg_load_file(&d, "/nonexistent/perwatt.ini", err, sizeof err), -1);
	assert_string_equal(err, "/nonexistent/perwatt.ini: cannot open: No such file or directory");

	snprintf(path, sizeof path, "/tmp/test_fleetcfg.%ld.ini", (long)getpid());
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("[fleet a]\npreset = node\n\ntargets = http://h:9100/metrics\npower_unit = kW\n", fp);
	fclose(fp);
	assert_int_equal(dashcfg_load_file(&d, path, err, sizeof err), -1);
	char want[600];
	snprintf(want, sizeof want, "%s:5: [fleet a] power_unit: 'kW' is not W, mW, uW, J, mJ or uJ", path);
	assert_string_equal(err, want);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite("[fleet a]\n\0", 1, 11, fp);
	fclose(fp);
	assert_int_equal(dashcfg_load_file(&d, path, err, sizeof err), -1);
	assert_non_null(strstr(err, ": has a NUL byte: is it a text file?"));
	unlink(path);
	assert_int_equal(dashcfg_load_file(&d, "/", err, sizeof err), -1);
	assert_string_equal(err, "/: cannot read: Is a directory");
	assert_int_equal(d.nfleets, 0);
	dashcfg_free(&d);
}

static void default_path(void **state)
{
	(void)state;
	char buf[512];
	setenv("XDG_CONFIG_HOME", "/nonexistent/xdg", 1);
	setenv("HOME", "/nonexistent/home", 1);
	assert_int_equal(dashcfg_default_path(buf, sizeof buf), -1);
	assert_string_equal(buf, "/nonexistent/xdg/perwatt/perwatt.ini");
	setenv("XDG_CONFIG_HOME", "relative", 1);     /* not absolute: ignored, as XDG says */
	assert_int_equal(dashcfg_default_path(buf, sizeof buf), -1);
	assert_string_equal(buf, "/nonexistent/home/.config/perwatt/perwatt.ini");
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(dashcfg_default_path(buf, sizeof buf), -1);
	assert_string_equal(buf, "/nonexistent/home/.config/perwatt/perwatt.ini");
	assert_int_equal(dashcfg_default_path(buf, 10), -1);       /* too small */
	assert_string_equal(buf, "");
	unsetenv("HOME");
	assert_int_equal(dashcfg_default_path(buf, sizeof buf), -1);
	assert_string_equal(buf, "");

	/* an existing file: 0 */
	char dir[256], sub[300], file[340];
	snprintf(dir, sizeof dir, "/tmp/test_fleetcfg.%ld", (long)getpid());
	snprintf(sub, sizeof sub, "%s/perwatt", dir);
	snprintf(file, sizeof file, "%s/perwatt.ini", sub);
	assert_int_equal(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
	assert_int_equal(mkdir(sub, 0700) == 0 || errno == EEXIST, 1);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	setenv("XDG_CONFIG_HOME", dir, 1);
	assert_int_equal(dashcfg_default_path(buf, sizeof buf), 0);
	assert_string_equal(buf, file);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
	unsetenv("XDG_CONFIG_HOME");
}

/* Every shipped example loads and validates; all of them are there. */
static void examples(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"dcgm.ini", "node.ini", "neuron.ini", "scaphandre.ini", "kepler.ini", "promql.ini", "mixed.ini",
		"cloudwatch.ini", "local.ini",
	};
	const char *dirname = TOP_SRCDIR "/examples";
	DIR *dir = opendir(dirname);
	if (!dir)
		fail_msg("cannot open %s", dirname);
	size_t seen = 0, found[sizeof expected / sizeof expected[0]] = { 0 };
	struct dirent *e;
	while ((e = readdir(dir))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".ini") != 0)
			continue;
		char path[1024], err[512];
		snprintf(path, sizeof path, "%s/%s", dirname, e->d_name);
		struct dash_cfg d;
		dashcfg_init(&d);
		if (dashcfg_load_file(&d, path, err, sizeof err) != 0 || dashcfg_validate(&d, err, sizeof err) != 0)
			fail_msg("%s", err);
		assert_true(d.nfleets >= 1);
		char buf[8192];
		assert_true(dashcfg_describe(&d, buf, sizeof buf) < sizeof buf);
		for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
			found[i] += strcmp(e->d_name, expected[i]) == 0;
		if (!strcmp(e->d_name, "mixed.ini")) {
			assert_int_equal(d.nfleets, 2);
			assert_true(d.fleet[0].baseline);
			assert_int_equal(d.fleet[0].source, FLEET_SRC_PROMQL);
			assert_string_equal(d.fleet[1].preset, "neuron");
			assert_int_equal(d.fleet[1].ntargets, 6);
			assert_float_equal(d.sla_per_hour, 1e6, 1e-6);
		}
		if (!strcmp(e->d_name, "cloudwatch.ini")) {
			assert_int_equal(d.nfleets, 3);
			for (size_t i = 0; i < d.nfleets; i++) {
				assert_int_equal(d.fleet[i].source, FLEET_SRC_CLOUDWATCH);
				assert_string_equal(d.fleet[i].cw[0].ns, "Perwatt/App");
				assert_string_equal(d.fleet[i].cw[0].metric, "Inferences");
			}
			assert_string_equal(d.fleet[0].preset, "cwagent-gpu");
			assert_string_equal(d.fleet[1].preset, "neuron");
			assert_non_null(d.fleet[1].cw_namespace);
			assert_string_equal(d.fleet[2].preset, "ec2");
		}
		if (!strcmp(e->d_name, "local.ini")) {
			assert_int_equal(d.nfleets, 1);
			assert_int_equal(d.fleet[0].source, FLEET_SRC_LOCAL);
			assert_string_equal(d.fleet[0].sensors, "rapl,nvidia-smi");
			assert_string_equal(d.fleet[0].follow_file, "/tmp/bench.log");
			assert_string_equal(d.fleet[0].follow_match, "throughput: ([0-9.]+) samples/s");
			assert_int_equal(d.fleet[0].follow_kind, 0);
			assert_int_equal(d.fleet[0].instances, 8);
		}
		dashcfg_free(&d);
		seen++;
	}
	closedir(dir);
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		if (found[i] != 1)
			fail_msg("examples/%s is missing", expected[i]);
	assert_true(seen >= sizeof expected / sizeof expected[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_config_every_key),
		cmocka_unit_test(defaults),
		cmocka_unit_test(units_and_booleans),
		cmocka_unit_test(continuations_and_odd_files),
		cmocka_unit_test(bad_files),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(inifile_lines),
		cmocka_unit_test(failed_parse_drops_its_fleets),
		cmocka_unit_test(specs_for_every_preset),
		cmocka_unit_test(spec_scrape_and_promql),
		cmocka_unit_test(bad_specs),
		cmocka_unit_test(metric_maps),
		cmocka_unit_test(describe),
		cmocka_unit_test(cloudwatch_config),
		cmocka_unit_test(cloudwatch_specs),
		cmocka_unit_test(cloudwatch_stats),
		cmocka_unit_test(cloudwatch_errors),
		cmocka_unit_test(cloudwatch_describe),
		cmocka_unit_test(local_config),
		cmocka_unit_test(local_specs),
		cmocka_unit_test(local_spec_regex_splitting),
		cmocka_unit_test(local_errors),
		cmocka_unit_test(local_describe),
		cmocka_unit_test(files),
		cmocka_unit_test(default_path),
		cmocka_unit_test(examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
