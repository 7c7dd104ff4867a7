/*
 * Tests of the neuron-monitor source (fetch/neuron.c): the report parser on
 * real captures (tests/fixtures/neuron/), the driver's power file parser,
 * the probe, and the source end to end with the stand-in
 * tests/standins/neuron-monitor in a real source set with a model and a
 * machine box, driven by the program's poll() loop.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/model.h"
#include "fetch/localbox.h"
#include "fetch/neuron.h"
#include "fetch/source.h"
#include "testlib.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define STANDIN  TOP_SRCDIR "/tests/standins/neuron-monitor"
#define CAPTURE  TOP_SRCDIR "/tests/fixtures/neuron/neuron-monitor-trn1.2xlarge-stream.ndjson"
#define PRETTY   TOP_SRCDIR "/tests/fixtures/neuron/neuron-monitor-trn1.2xlarge-report.json"

/* read off the capture (see tests/fixtures/neuron/SOURCE.md) */
static const double cap_period[3] = { 0.99915655, 1.00054434, 0.9994908 };
static const double cap_util0[3] = { 1.3631567613356375, 1.3560819560861623, 1.3128372400154966 };

/* ---- the report parser ------------------------------------------------------- */

/* The capture's lines, each in its own exact-size buffer (the sanitizers
 * catch a read past the end). */
static int capture_lines(char *line[3], size_t len[3])
{
	size_t n;
	char *all = testlib_slurp(CAPTURE, &n);
	int k = 0;
	size_t start = 0;
	for (size_t i = 0; i < n && k < 3; i++) {
		if (all[i] != '\n')
			continue;
		len[k] = i - start;
		line[k] = malloc(len[k]);
		assert_non_null(line[k]);
		memcpy(line[k], all + start, len[k]);
		k++;
		start = i + 1;
	}
	free(all);
	return k;
}

static void parse_capture(void **state)
{
	(void)state;
	char *line[3];
	size_t len[3];
	assert_int_equal(capture_lines(line, len), 3);
	for (int i = 0; i < 3; i++) {
		struct neuron_report r;
		char err[128];
		assert_int_equal(neuron_parse_report(line[i], len[i], &r, err, sizeof err), 0);
		assert_string_equal(err, "");
		assert_string_equal(r.error, "");
		assert_int_equal(r.runtimes, 1);
		assert_int_equal(r.runtimes_ok, 1);
		assert_true(r.has_exec);
		assert_true(r.has_util);
		assert_true(r.completed == 260);
		assert_float_equal(r.completed_rate, 260 / cap_period[i], 1e-9);
		assert_float_equal(r.completed_untimed, 0, 0);
		assert_int_equal(r.cores_reported, 2);
		assert_float_equal(r.util_sum, cap_util0[i], 1e-12);
		/* over the machine's 1 x 2 NeuronCores */
		assert_int_equal(r.device_count, 1);
		assert_int_equal(r.cores_per_device, 2);
		assert_float_equal(r.util, cap_util0[i] / 2, 1e-12);
		assert_string_equal(r.instance_type, "trn1.2xlarge");
		free(line[i]);
	}
}

/* The same report pretty-printed over many lines parses the same. */
static void parse_pretty(void **state)
{
	(void)state;
	size_t n;
	char *text = testlib_slurp(PRETTY, &n);
	struct neuron_report r;
	char err[128];
	assert_int_equal(neuron_parse_report(text, n, &r, err, sizeof err), 0);
	assert_float_equal(r.completed_rate, 260 / cap_period[1], 1e-9);
	assert_float_equal(r.util, cap_util0[1] / 2, 1e-12);
	assert_string_equal(r.instance_type, "trn1.2xlarge");
	free(text);
}

/* Every prefix of a real report is refused without a crash or an overread. */
static void parse_truncated(void **state)
{
	(void)state;
	char *line[3];
	size_t len[3];
	assert_int_equal(capture_lines(line, len), 3);
	for (size_t cut = 1; cut < len[1]; cut += 7) {
		char *p = malloc(cut);
		assert_non_null(p);
		memcpy(p, line[1], cut);
		struct neuron_report r;
		char err[128];
		if (neuron_parse_report(p, cut, &r, err, sizeof err) != -1)
			fail_msg("a report cut to %zu bytes was accepted", cut);
		assert_has(err, "not valid JSON");
		free(p);
	}
	for (int i = 0; i < 3; i++)
		free(line[i]);

	static const char *const bad[] = {
		"hello", "[]", "{}", "null", "42", "{\"neuron_runtime_data\": 5}",
		"{\"neuron_runtime_data\": {}}", "\"neuron_runtime_data\"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct neuron_report r;
		char err[128];
		if (neuron_parse_report(bad[i], strlen(bad[i]), &r, err, sizeof err) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
	}
	struct neuron_report r;
	char err[128];
	assert_int_equal(neuron_parse_report("", 0, &r, err, sizeof err), -1);
	assert_int_equal(neuron_parse_report(NULL, 0, &r, err, sizeof err), -1);
}

static int parse_str(const char *json, struct neuron_report *r)
{
	char err[128];
	return neuron_parse_report(json, strlen(json), r, err, sizeof err);
}

/* Errors neuron-monitor puts in a runtime, a group, the hardware info: the
 * figures they spoil are left out, the first one is kept, sanitized. */
static void parse_errors(void **state)
{
	(void)state;
	struct neuron_report r;

	assert_int_equal(parse_str("{\"neuron_runtime_data\": [{\"pid\": 7, \"neuron_runtime_tag\": \"app\", "
	                           "\"error\": \"cannot connect\\u001b[31m \\u0007to the runtime\", "
	                           "\"report\": {}}]}", &r), 0);
	assert_int_equal(r.runtimes, 1);
	assert_int_equal(r.runtimes_ok, 0);
	assert_false(r.has_exec);
	assert_false(r.has_util);
	assert_true(isnan(r.util));
	assert_has(r.error, "runtime app: cannot connect");
	assert_has(r.error, "to the runtime");
	assert_true(testlib_clean_text(r.error));

	/* a group's error spoils that group only */
	assert_int_equal(parse_str("{\"neuron_runtime_data\": [{\"pid\": 9, \"error\": \"\", \"report\": {"
	                           "\"execution_stats\": {\"period\": 1, \"error\": \"runtime timed out\", "
	                           "\"execution_summary\": {\"completed\": 5}}, "
	                           "\"neuroncore_counters\": {\"period\": 1, \"error\": \"\", "
	                           "\"neuroncores_in_use\": {\"0\": {\"neuroncore_utilization\": 40}}}}}]}",
	                           &r), 0);
	assert_false(r.has_exec);
	assert_true(r.has_util);
	assert_float_equal(r.util, 40, 1e-12);
	assert_string_equal(r.error, "runtime 9 execution_stats: runtime timed out");

	/* the driver not running */
	assert_int_equal(parse_str("{\"neuron_runtime_data\": [], \"neuron_hardware_info\": "
	                           "{\"error\": \"neuron driver is not loaded\"}, "
	                           "\"instance_info\": {\"instance_type\": \"inf2.xlarge\\u001b]0;x\", \"error\": \"\"}}",
	                           &r), 0);
	assert_string_equal(r.error, "neuron_hardware_info: neuron driver is not loaded");
	assert_true(isnan(r.util));             /* no core count to say idle */
	assert_string_equal(r.instance_type, "inf2.xlarge0x");

	/* a runtime whose report has neither group */
	assert_int_equal(parse_str("{\"neuron_runtime_data\": [{\"pid\": 1, \"error\": \"\", "
	                           "\"report\": {\"memory_used\": {\"period\": 1, \"error\": \"\"}}}]}", &r), 0);
	assert_has(r.error, "neither execution_stats nor neuroncore_counters");
	/* a runtime that is not an object */
	assert_int_equal(parse_str("{\"neuron_runtime_data\": [3]}", &r), 0);
	assert_has(r.error, "not an object");
}

/* Two runtimes are summed; utilization is over the machine's cores; a
 * runtime without a period is counted apart; an idle machine is 0 %. */
static void parse_sums(void **state)
{
	(void)state;
	struct neuron_report r;
	static const char two[] =
		"{\"neuron_runtime_data\": ["
		"{\"pid\": 1, \"error\": \"\", \"report\": {"
		"\"execution_stats\": {\"period\": 2.0, \"error\": \"\", \"execution_summary\": "
		"{\"completed\": 100, \"completed_with_err\": 50, \"timed_out\": 9}}, "
		"\"neuroncore_counters\": {\"period\": 2.0, \"error\": \"\", \"neuroncores_in_use\": "
		"{\"0\": {\"neuroncore_utilization\": 50}, \"1\": {\"neuroncore_utilization\": 100}}}}}, "
		"{\"pid\": 2, \"error\": \"\", \"report\": {"
		"\"execution_stats\": {\"error\": \"\", \"execution_summary\": {\"completed\": 30}}}}], "
		"\"neuron_hardware_info\": {\"neuron_device_count\": 2, \"neuroncore_per_device_count\": 2, "
		"\"error\": \"\"}}";
	assert_int_equal(parse_str(two, &r), 0);
	assert_int_equal(r.runtimes, 2);
	assert_float_equal(r.completed, 130, 0);
	assert_float_equal(r.completed_rate, 50, 1e-12);    /* completed_with_err does not count */
	assert_float_equal(r.completed_untimed, 30, 0);
	assert_float_equal(r.util, 150.0 / 4, 1e-12);       /* 4 cores, 2 idle */

	/* without the hardware counts: the mean of the cores reported */
	static const char nohw[] =
		"{\"neuron_runtime_data\": [{\"pid\": 1, \"error\": \"\", \"report\": {"
		"\"neuroncore_counters\": {\"period\": 1, \"error\": \"\", \"neuroncores_in_use\": "
		"{\"0\": {\"neuroncore_utilization\": 50}, \"1\": {\"neuroncore_utilization\": 100}, "
		"\"2\": {\"neuroncore_utilization\": \"x\"}}}}}]}";
	assert_int_equal(parse_str(nohw, &r), 0);
	assert_int_equal(r.cores_reported, 2);
	assert_float_equal(r.util, 75, 1e-12);
	assert_false(r.has_exec);

	/* idle: no application, the hardware known */
	assert_int_equal(parse_str("{\"neuron_runtime_data\": [], \"neuron_hardware_info\": "
	                           "{\"neuron_device_count\": 1, \"neuroncore_per_device_count\": 2, \"error\": \"\"}}",
	                           &r), 0);
	assert_float_equal(r.util, 0, 0);
	assert_string_equal(r.error, "");
}

/* ---- the power file ------------------------------------------------------------ */

static void power_file(void **state)
{
	(void)state;
	struct neuron_power p;
	static const char valid[] = "POWER_STATUS_VALID,1781370720,1.50,3.50,2.00\n";
	assert_int_equal(neuron_parse_power(valid, strlen(valid), &p), 0);
	assert_int_equal(p.status, NEURON_POWER_VALID);
	assert_float_equal(p.epoch, 1781370720, 0);
	assert_float_equal(p.min_pct, 1.5, 1e-12);
	assert_float_equal(p.max_pct, 3.5, 1e-12);
	assert_float_equal(p.avg_pct, 2.0, 1e-12);
	assert_int_equal(neuron_parse_power("POWER_STATUS_VALID,1,0.86,25.00,18.86", strlen("POWER_STATUS_VALID,1,0.86,25.00,18.86"), &p), 0);
	assert_float_equal(p.avg_pct, 18.86, 1e-12);
	assert_int_equal(neuron_parse_power("VALID, 5, 0, 100, 100 \n", strlen("VALID, 5, 0, 100, 100 \n"), &p), 0);
	assert_float_equal(p.avg_pct, 100, 0);

	static const char *const nodata[] = {
		"POWER_STATUS_NO_DATA,1781370720,0,0,0\n", "POWER_STATUS_NO_DATA\n", "POWER_STATUS_NO_DATA,0",
	};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(neuron_parse_power(nodata[i], strlen(nodata[i]), &p), 0);
		assert_int_equal(p.status, NEURON_POWER_NO_DATA);
		assert_true(isnan(p.avg_pct));
	}
	assert_int_equal(neuron_parse_power("POWER_STATUS_INVALID,0,0,0,0\n", strlen("POWER_STATUS_INVALID,0,0,0,0\n"), &p), 0);
	assert_int_equal(p.status, NEURON_POWER_INVALID);

	static const char *const garbage[] = {
		"", "\n", "hello", "POWER_STATUS_VALID", "POWER_STATUS_VALID,1,2,3",
		"POWER_STATUS_VALID,1,a,b,c", "POWER_STATUS_VALID,1,2,3,400", "POWER_STATUS_VALID,1,2,3,-1",
		"POWER_STATUS_VALID,1,2,3,nan", "POWER_STATUS_VALID,1,2,3,4,5", "POWER_STATUS_BOGUS,1,2,3,4",
		"POWER_STATUS_VALID,1,2,3,4\nPOWER_STATUS_VALID,1,2,3,4\n", "1,2,3,4,5",
	};
	for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++)
		if (neuron_parse_power(garbage[i], strlen(garbage[i]), &p) != -1)
			fail_msg("accepted: \"%s\"", garbage[i]);
	static const char nul[] = "POWER_STATUS_VALID,1,2,3,4\0junk";
	assert_int_equal(neuron_parse_power(nul, sizeof nul - 1, &p), -1);
	char big[400];
	memset(big, '1', sizeof big);
	assert_int_equal(neuron_parse_power(big, sizeof big, &p), -1);
}

/* ---- a fake sysfs ------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	/* mkdir -p of the folders on the way */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	for (char *s = dir + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				fail_msg("mkdir %s: %s", dir, strerror(errno));
			*s = '/';
		}
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* root/sys/devices/virtual/neuron_device/neuron<N>/<rel> := text */
static void dev_file(const char *root, int n, const char *rel, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s%s/neuron%d/%s", root, NEURON_SYSFS_DIR, n, rel);
	write_file(path, text);
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];
	if (strncmp(dir, "/tmp/", 5) != 0 && strncmp(dir, P_tmpdir, strlen(P_tmpdir)) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void make_root(char *out, size_t n)
{
	snprintf(out, n, "/tmp/perwatt-neuron-test-XXXXXX");
	assert_non_null(mkdtemp(out));
}

/* ---- the probe ------------------------------------------------------------------ */

static void probe(void **state)
{
	(void)state;
	char root[64];
	make_root(root, sizeof root);
	dev_file(root, 0, "stats/power/utilization", "POWER_STATUS_VALID,1,2,3,4\n");
	dev_file(root, 1, "stats/power/die0/utilization", "POWER_STATUS_NO_DATA\n");   /* 2.31 style */
	dev_file(root, 2, "stats/other_info/flop_count", "0\n");                       /* no power file */

	struct lb_probe p;
	assert_int_equal(neuron_probe(STANDIN, root, &p), 1);
	assert_true(p.found);
	assert_has(p.what, "3 Neuron devices, 2 with a power file");
	assert_true(testlib_clean_text(p.what));

	assert_int_equal(neuron_probe("/nonexistent/bin/neuron-monitor -c x", root, &p), 0);
	assert_false(p.found);
	assert_has(p.what, "/nonexistent/bin/neuron-monitor not found");

	assert_int_equal(neuron_probe("perwatt-no-such-program-here", "/nonexistent-root", &p), 0);
	assert_has(p.what, "not found on the PATH");
	assert_has(p.what, "no Neuron devices");

	/* the default command: found only if the machine has it (not asserted),
	 * never a crash */
	neuron_probe(NULL, "", &p);
	assert_true(p.what[0] != '\0');
	rm_rf(root);
}

/* ---- end to end with the stand-in ---------------------------------------------- */

struct rig {
	struct model *m;
	struct fleet *f;
	struct localbox *b;
	struct instance *in;
	struct source_set set;
	struct source *src;
	struct source_health *h;
	char argv_log[64];          /* where the stand-in writes the config paths it got */
	/* what the hook saw */
	char seen[8][200];
	int nseen;
	const char *want;           /* done when a health message has this ... */
	int want_starts;            /* ... and the stand-in was started this often */
};

static int log_lines(const char *path, char first[PATH_MAX])
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int n = 0;
	char line[PATH_MAX];
	while (fgets(line, sizeof line, f)) {
		if (n == 0 && first) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(first, PATH_MAX, "%s", line);
		}
		n++;
	}
	fclose(f);
	return n;
}

static void rig_hook(void *ctx, double now)
{
	(void)now;
	struct rig *r = ctx;
	const char *e = r->h->error;
	if (!e[0])
		return;
	for (int i = 0; i < r->nseen; i++)
		if (strcmp(r->seen[i], e) == 0)
			return;
	if (r->nseen < 8)
		snprintf(r->seen[r->nseen++], sizeof r->seen[0], "%s", e);
}

static bool rig_done(void *ctx)
{
	struct rig *r = ctx;
	if (!r->want)
		return false;
	bool saw = false;
	for (int i = 0; i < r->nseen; i++)
		if (strstr(r->seen[i], r->want))
			saw = true;
	return saw && log_lines(r->argv_log, NULL) >= r->want_starts;
}

static bool rig_saw(const struct rig *r, const char *needle)
{
	for (int i = 0; i < r->nseen; i++)
		if (strstr(r->seen[i], needle))
			return true;
	return false;
}

static void rig_start(struct rig *r, const char *cmd, const char *root, double max_w, const char *mode,
                      const char *period, double quiet)
{
	memset(r, 0, sizeof *r);
	snprintf(r->argv_log, sizeof r->argv_log, "/tmp/perwatt-neuron-argv-XXXXXX");
	int fd = mkstemp(r->argv_log);
	assert_true(fd >= 0);
	close(fd);
	setenv("PERWATT_STANDIN_ARGV", r->argv_log, 1);
	setenv("PERWATT_STANDIN_MODE", mode, 1);
	setenv("PERWATT_STANDIN_PERIOD", period, 1);
	unsetenv("PERWATT_STANDIN_NEURON");

	assert_non_null(r->m = model_new());
	assert_non_null(r->f = model_add_fleet(r->m, "local"));
	assert_non_null(r->b = localbox_new(r->m, r->f, "this-machine"));
	r->in = localbox_instance(r->b);
	char err[200];
	r->src = neuron_source_new(r->m, r->b, cmd, root, max_w, err, sizeof err);
	if (!r->src)
		fail_msg("neuron_source_new: %s", err);
	assert_int_equal(r->f->nhealth, 1);
	r->h = r->f->health[0];
	assert_string_equal(r->h->kind, "neuron-monitor");
	if (quiet > 0)
		neuron_source_set_quiet_timeout(r->src, quiet);
	source_set_init(&r->set);
	assert_int_equal(source_set_add(&r->set, r->src), 0);
	assert_int_equal(source_set_add(&r->set, localbox_source(r->b)), 0);
	source_set_start(&r->set, clock_now());
}

static void rig_run(struct rig *r, double seconds)
{
	struct testlib_loop l = { .set = &r->set, .hook = rig_hook, .done = rig_done, .ctx = r };
	testlib_run(&l, seconds);
	rig_hook(r, clock_now());
	if (l.longest > 0.5)
		fail_msg("a tick took %.3f s: something blocked", l.longest);
}

static void rig_stop(struct rig *r)
{
	source_set_free(&r->set);
	model_free(r->m);
	unlink(r->argv_log);
}

static const struct series *met(const struct rig *r, enum metric k)
{
	return &r->in->m[k];
}

/* The capture replayed every 0.2 s with the power files of two devices (the
 * flat and the 2.31-style layouts) and an assumed 400 W maximum. */
static void e2e_capture_with_watts(void **state)
{
	(void)state;
	char root[64];
	make_root(root, sizeof root);
	dev_file(root, 0, "stats/power/utilization", "POWER_STATUS_VALID,1781370720,1.50,80.00,43.00\n");
	dev_file(root, 1, "stats/power/die0/utilization", "POWER_STATUS_VALID,1781370720,10,50,20\n");

	struct rig r;
	rig_start(&r, STANDIN, root, 400, "normal", "0.2", 0);
	assert_null(neuron_instance_type(r.src));
	rig_run(&r, 2.3);

	const struct series *thr = met(&r, MET_THROUGHPUT), *util = met(&r, MET_UTIL),
	                    *pw = met(&r, MET_POWER);
	if (thr->last_t < 0)
		fail_msg("no throughput recorded; health: %s", r.h->error);
	/* 260 completed per ~1.0 s period, whatever the replay pace */
	assert_in_range((long)round(thr->last_v * 10), 2598, 2603);
	assert_int_equal(thr->last_prov, PROV_MEASURED);
	/* one core at ~1.31..1.36 %, the other idle: ~0.66..0.68 % of the machine */
	assert_true(util->last_v > 0.65 && util->last_v < 0.69);
	assert_int_equal(util->last_prov, PROV_MEASURED);
	/* 43 % and 20 % of 400 W, marked estimated */
	assert_float_equal(pw->last_v, 172 + 80, 1e-3);
	assert_int_equal(pw->last_prov, PROV_ESTIMATED);

	char desc[256];
	localbox_describe(r.b, clock_now(), desc, sizeof desc);
	assert_has(desc, "neuron0 ~172");
	assert_has(desc, "neuron1 ~80");

	assert_non_null(neuron_instance_type(r.src));
	assert_string_equal(neuron_instance_type(r.src), "trn1.2xlarge");
	assert_int_equal(r.h->status, HEALTH_OK);
	assert_string_equal(r.h->target, "trn1.2xlarge, 2 NeuronCores (neuron-monitor)");
	assert_string_equal(r.h->error, "");
	assert_true(r.h->last_ok > 0);

	/* it was given a config file, which goes when the source stops */
	char conf[PATH_MAX] = "";
	assert_int_equal(log_lines(r.argv_log, conf), 1);
	struct stat st;
	assert_int_equal(stat(conf, &st), 0);
	rig_stop(&r);
	assert_int_equal(stat(conf, &st), -1);
	rm_rf(root);
}

/* No assumed maximum: no watts, the percentage on the health line. */
static void e2e_power_without_max(void **state)
{
	(void)state;
	char root[64];
	make_root(root, sizeof root);
	dev_file(root, 0, "stats/power/utilization", "POWER_STATUS_VALID,1781370720,1.50,80.00,43.00\n");

	struct rig r;
	rig_start(&r, STANDIN, root, NAN, "normal", "0.2", 0);
	rig_run(&r, 1.3);
	assert_true(met(&r, MET_POWER)->last_t < 0);        /* no watts at all */
	assert_true(met(&r, MET_THROUGHPUT)->last_t >= 0);
	assert_int_equal(r.h->status, HEALTH_OK);
	assert_string_equal(r.h->error, "Neuron power: avg 43% of max (set neuron_max_w to show watts)");

	/* the minute is not over yet: no data, still no watts, said so */
	dev_file(root, 0, "stats/power/utilization", "POWER_STATUS_NO_DATA,0,0,0,0\n");
	rig_run(&r, 1.1);
	assert_has(r.h->error, "Neuron power: no data yet");
	assert_true(met(&r, MET_POWER)->last_t < 0);
	rig_stop(&r);
	rm_rf(root);
}

/* Reports arriving in two halves are put together by the child. */
static void e2e_partial(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, STANDIN, "/nonexistent-root", 400, "partial", "0.3", 0);
	rig_run(&r, 1.5);
	if (met(&r, MET_THROUGHPUT)->last_t < 0)
		fail_msg("no throughput; health: %s", r.h->error);
	assert_in_range((long)round(met(&r, MET_THROUGHPUT)->last_v * 10), 2598, 2603);
	assert_true(met(&r, MET_POWER)->last_t < 0);        /* no sysfs: no power */
	assert_int_equal(r.h->status, HEALTH_OK);
	assert_lacks(r.h->error, "JSON");
	for (int i = 0; i < r.nseen; i++)
		assert_lacks(r.seen[i], "not valid JSON");
	rig_stop(&r);
}

/* A runtime carrying an error: no figures, the error on the health line,
 * without its escape sequences. */
static void e2e_error(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, STANDIN, "", NAN, "error", "0.2", 0);
	rig_run(&r, 0.9);
	assert_int_equal(r.h->status, HEALTH_STALE);
	assert_has(r.h->error, "neuron-monitor: runtime ");
	assert_has(r.h->error, "cannot connect to the runtime");
	assert_true(testlib_clean_text(r.h->error));
	assert_true(met(&r, MET_THROUGHPUT)->last_t < 0);
	assert_true(met(&r, MET_UTIL)->last_t < 0);
	/* the instance type still comes through */
	assert_string_equal(neuron_instance_type(r.src), "trn1.2xlarge");
	rig_stop(&r);
}

/* It dies after two reports: failing, restarted with backoff, then fine. */
static void e2e_die(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, STANDIN, "", NAN, "die", "0.1", 0);
	r.want = "exited with status 1: restarting with backoff";
	r.want_starts = 2;
	rig_run(&r, 3.0);
	if (!rig_saw(&r, r.want))
		fail_msg("never said it died; last: %s", r.h->error);
	assert_true(log_lines(r.argv_log, NULL) >= 2);     /* started again */
	rig_stop(&r);
}

/* It stops printing: killed after the quiet timeout and started again. */
static void e2e_hang(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, STANDIN, "", NAN, "hang", "0.1", 0.5);
	r.want = "neuron-monitor hung: printed nothing for";
	r.want_starts = 2;
	rig_run(&r, 3.0);
	if (!rig_saw(&r, r.want))
		fail_msg("never said it hung; last: %s", r.h->error);
	assert_true(log_lines(r.argv_log, NULL) >= 2);
	rig_stop(&r);
}

/* Not installed: failing, and the message says so. */
static void e2e_missing(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, "/nonexistent/bin/neuron-monitor", "", NAN, "normal", "0.2", 0);
	rig_run(&r, 0.6);
	assert_int_equal(r.h->status, HEALTH_FAILING);
	assert_has(r.h->error, "neuron-monitor not found: /nonexistent/bin/neuron-monitor");
	assert_true(testlib_clean_text(r.h->error));
	rig_stop(&r);
}

/* Text that is not a report (its stderr, a line cut short): said, no crash;
 * a command that is not neuron-monitor itself gets no config. */
static void e2e_garbage(void **state)
{
	(void)state;
	struct rig r;
	rig_start(&r, "printf 'oops: no device\\n'; sleep 0.3; printf '{\"neuron_runtime_data\": [\\n'; "
	          "sleep 5", "", NAN, "normal", "0.2", 0);
	rig_run(&r, 0.2);
	assert_int_equal(r.h->status, HEALTH_STALE);
	assert_string_equal(r.h->error, "neuron-monitor says: oops: no device");
	rig_run(&r, 0.5);
	assert_int_equal(r.h->status, HEALTH_STALE);
	assert_has(r.h->error, "neuron-monitor printed a report that is not valid JSON");
	assert_true(met(&r, MET_THROUGHPUT)->last_t < 0);
	assert_string_equal(r.h->target, "printf 'oops: no device\\n'; sleep 0.3; printf "
	                    "'{\"neuron_runtime_data\": [\\n'; sleep 5");
	rig_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_capture),
		cmocka_unit_test(parse_pretty),
		cmocka_unit_test(parse_truncated),
		cmocka_unit_test(parse_errors),
		cmocka_unit_test(parse_sums),
		cmocka_unit_test(power_file),
		cmocka_unit_test(probe),
		cmocka_unit_test(e2e_capture_with_watts),
		cmocka_unit_test(e2e_power_without_max),
		cmocka_unit_test(e2e_partial),
		cmocka_unit_test(e2e_error),
		cmocka_unit_test(e2e_die),
		cmocka_unit_test(e2e_hang),
		cmocka_unit_test(e2e_missing),
		cmocka_unit_test(e2e_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
