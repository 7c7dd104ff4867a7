/*
 * test_localbox.c - the machine made of parts (fetch/localbox.c: which
 * part's figure wins, freshness, the describe line) and the child process
 * every command source runs on (fetch/child.c: lines, a last line without
 * its newline, long lines, why it ended, restart with backoff, a quiet child
 * killed).
 */
#include "config.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/model.h"
#include "fetch/child.h"
#include "fetch/localbox.h"
#include "fetch/source.h"

/* ---- the box ---------------------------------------------------------------- */

struct fixture {
	struct model *m;
	struct fleet *f;
	struct localbox *b;
	struct source *s;
};

static void box_open(struct fixture *x)
{
	x->m = model_new();
	assert_non_null(x->m);
	x->f = model_add_fleet(x->m, "box");
	x->b = localbox_new(x->m, x->f, "host");
	assert_non_null(x->b);
	x->s = localbox_source(x->b);
}

static void box_close(struct fixture *x)
{
	x->s->ops->stop(x->s);
	model_free(x->m);
}

/* The value the box recorded for metric k at its last tick, NAN if none. */
static double recorded(struct fixture *x, enum metric k, double now)
{
	const struct series *s = &localbox_instance(x->b)->m[k];
	return series_age(s, now) <= 0.5 ? s->last_v : NAN;
}

static void test_power_sum_and_system_meter(void **state)
{
	(void)state;
	struct fixture x;
	box_open(&x);
	double t = 100;
	localbox_put(x.b, "rapl:package-0", LB_CPU, MET_POWER, t, 40, PROV_MEASURED);
	localbox_put(x.b, "rapl:dram-0", LB_DRAM, MET_POWER, t, 5, PROV_MEASURED);
	localbox_put(x.b, "gpu0", LB_GPU, MET_POWER, t, 300, PROV_MEASURED);
	localbox_put(x.b, "neuron0", LB_ACCEL, MET_POWER, t, 50, PROV_ESTIMATED);
	x.s->ops->tick(x.s, t);
	assert_true(recorded(&x, MET_POWER, t) == 395);
	assert_int_equal(localbox_instance(x.b)->m[MET_POWER].last_prov, PROV_ESTIMATED);
	char d[256];
	localbox_describe(x.b, t, d, sizeof d);
	assert_non_null(strstr(d, "rapl:package-0 40.0 W"));
	assert_non_null(strstr(d, "neuron0 ~50.0 W"));
	/* a whole-system meter replaces the sum */
	localbox_put(x.b, "hwmon:power_meter:power1", LB_SYSTEM, MET_POWER, t + 1, 420, PROV_MEASURED);
	x.s->ops->tick(x.s, t + 1);
	assert_true(recorded(&x, MET_POWER, t + 1) == 420);
	/* stale parts drop out: only the meter... then nothing */
	localbox_put(x.b, "hwmon:power_meter:power1", LB_SYSTEM, MET_POWER, t + 7, 410, PROV_MEASURED);
	x.s->ops->tick(x.s, t + 7);
	assert_true(recorded(&x, MET_POWER, t + 7) == 410);
	x.s->ops->tick(x.s, t + 20);
	assert_true(isnan(recorded(&x, MET_POWER, t + 20)));
	box_close(&x);
}

static void test_utilization_prefers_accelerators(void **state)
{
	(void)state;
	struct fixture x;
	box_open(&x);
	double t = 50;
	localbox_put(x.b, "cpu", LB_CPU, MET_UTIL, t, 10, PROV_MEASURED);
	x.s->ops->tick(x.s, t);
	assert_true(recorded(&x, MET_UTIL, t) == 10);
	localbox_put(x.b, "gpu0", LB_GPU, MET_UTIL, t + 1, 80, PROV_MEASURED);
	localbox_put(x.b, "gpu1", LB_GPU, MET_UTIL, t + 1, 60, PROV_MEASURED);
	localbox_put(x.b, "cpu", LB_CPU, MET_UTIL, t + 1, 12, PROV_MEASURED);
	x.s->ops->tick(x.s, t + 1);
	assert_true(recorded(&x, MET_UTIL, t + 1) == 70);
	box_close(&x);
}

static void test_throughput_benchmark_wins(void **state)
{
	(void)state;
	struct fixture x;
	box_open(&x);
	double t = 10;
	localbox_put(x.b, "neuron", LB_ACCEL, MET_THROUGHPUT, t, 260, PROV_MEASURED);
	x.s->ops->tick(x.s, t);
	assert_true(recorded(&x, MET_THROUGHPUT, t) == 260);
	/* a declared benchmark takes over even before its first line */
	assert_int_equal(localbox_declare(x.b, "bench", LB_BENCH), 0);
	localbox_put(x.b, "neuron", LB_ACCEL, MET_THROUGHPUT, t + 1, 261, PROV_MEASURED);
	x.s->ops->tick(x.s, t + 1);
	assert_true(isnan(recorded(&x, MET_THROUGHPUT, t + 1)));
	localbox_put(x.b, "bench", LB_BENCH, MET_THROUGHPUT, t + 2, 812, PROV_MEASURED);
	x.s->ops->tick(x.s, t + 2);
	assert_true(recorded(&x, MET_THROUGHPUT, t + 2) == 812);
	/* non-finite readings are ignored, a full box says so */
	assert_int_equal(localbox_put(x.b, "bench", LB_BENCH, MET_THROUGHPUT, t + 3, NAN, PROV_MEASURED), 0);
	char id[16];
	int full = 0;
	for (int i = 0; i < LOCALBOX_MAX_PARTS + 2; i++) {
		snprintf(id, sizeof id, "p%d", i);
		full += localbox_put(x.b, id, LB_OTHER, MET_POWER, t, 1, PROV_MEASURED) < 0;
	}
	assert_true(full > 0);
	box_close(&x);
}

/* A sensor of an inventory. */
static struct lb_sensor sensor(const char *name, bool found, bool power, const char *why)
{
	struct lb_sensor e = { .found = found, .power = power };
	snprintf(e.name, sizeof e.name, "%s", name);
	snprintf(e.why, sizeof e.why, "%s", why ? why : "");
	return e;
}

/* The note: what was found, and how power is had without a sensor. */
static void test_inventory_note(void **state)
{
	(void)state;
	struct tables t = { 0 };
	struct power_row pw = { .instance_type = "m7g.xlarge", .idle_w = 8.2, .max_w = 13.0 };
	t.power = &pw;
	t.npower = 1;
	struct fixture x;
	box_open(&x);
	struct lb_inventory inv = { .n = 2, .no_type_why = ", and AWS_EC2_METADATA_DISABLED keeps it unknown",
	                            .tables = &t };
	inv.s[0] = sensor("rapl", false, false, "no powercap zones");
	inv.s[1] = sensor("cpu", true, false, NULL);
	localbox_inventory(x.b, &inv);
	assert_string_equal(x.f->note, "sensors: cpu (no power sensor, and AWS_EC2_METADATA_DISABLED keeps "
	                    "it unknown: give --type TYPE to estimate power from utilization); not found: "
	                    "no powercap zones");
	assert_int_equal(fleet_set_str(&x.f->instance_type, "m7g.xlarge"), 0);
	localbox_inventory(x.b, &inv);
	assert_string_equal(x.f->note, "sensors: cpu (power estimated from utilization); not found: "
	                    "no powercap zones");
	assert_int_equal(fleet_set_str(&x.f->instance_type, "inf2.xlarge"), 0);  /* no power model */
	localbox_inventory(x.b, &inv);
	assert_non_null(strstr(x.f->note, "no power model for inf2.xlarge: power unknown"));
	/* RAPL appears later: found, measuring power, gone from "not found" */
	localbox_sensor(x.b, "rapl", true, true, NULL);
	assert_string_equal(x.f->note, "sensors: rapl, cpu");
	localbox_sensor(x.b, "rapl", false, false, "energy_uj is readable by root only");
	assert_non_null(strstr(x.f->note, "; not found: energy_uj is readable by root only"));
	localbox_sensor(x.b, "no-such-sensor", true, true, NULL);      /* ignored */
	assert_non_null(strstr(x.f->note, "not found"));
	localbox_sensor(x.b, "cpu", false, false, "no /proc/stat");
	assert_string_equal(x.f->note, "no sensor found: energy_uj is readable by root only; no /proc/stat");
	/* local mode's hint follows, and stays when a sensor is probed again */
	inv.s[0] = sensor("rapl", false, false, "no powercap zones");
	inv.s[1] = sensor("cpu", false, false, "no /proc/stat");
	inv.hint = ". Try --follow";
	localbox_inventory(x.b, &inv);
	assert_string_equal(x.f->note, "no sensor found: no powercap zones; no /proc/stat. Try --follow");
	localbox_sensor(x.b, "rapl", false, false, "energy_uj is readable by root only");
	assert_string_equal(x.f->note, "no sensor found: energy_uj is readable by root only; no /proc/stat. "
	                    "Try --follow");
	/* a long reason is cut, the hint is kept */
	char longwhy[200];
	memset(longwhy, 'x', sizeof longwhy - 1);
	longwhy[sizeof longwhy - 1] = '\0';
	inv.s[0] = sensor("rapl", false, false, longwhy);
	inv.s[1] = sensor("cpu", false, false, longwhy);
	inv.s[2] = sensor("hwmon", false, false, longwhy);
	inv.n = 3;
	localbox_inventory(x.b, &inv);
	assert_true(strlen(x.f->note) == sizeof x.f->note - 1);
	assert_non_null(strstr(x.f->note, "x. Try --follow"));
	/* a benchmark followed: no hint */
	assert_int_equal(localbox_declare(x.b, "bench", LB_BENCH), 0);
	localbox_inventory(x.b, &inv);
	assert_null(strstr(x.f->note, "Try --follow"));
	inv.hint = NULL;
	inv.n = 0;                                  /* sensors = "": throughput only */
	localbox_inventory(x.b, &inv);
	assert_string_equal(x.f->note, "");
	box_close(&x);
}

/* A part names the instance type (neuron-monitor): the fleet takes it
 * when it has none, the note says where it came from and stops asking for
 * --type, the model says the tables are to be applied again; a type
 * already known is kept. */
static void test_type_learned(void **state)
{
	(void)state;
	struct tables t = { 0 };
	struct price_row pr = { .instance_type = "trn1.2xlarge", .region = "us-east-1", .usd_per_hour = 1.34375 };
	t.price = &pr;
	t.nprice = 1;
	struct fixture x;
	box_open(&x);
	struct lb_inventory inv = { .n = 2, .no_type_why = "", .tables = &t };
	inv.s[0] = sensor("neuron", true, false, NULL);
	inv.s[1] = sensor("cpu", true, false, NULL);
	localbox_inventory(x.b, &inv);
	assert_non_null(strstr(x.f->note, "give --type TYPE"));
	assert_int_equal(x.m->types_learned, 0);
	assert_int_equal(localbox_learn_type(x.b, "", "neuron-monitor"), 0);
	assert_null(x.f->instance_type);
	assert_int_equal(localbox_learn_type(x.b, "trn1.2xlarge", "neuron-monitor"), 1);
	assert_string_equal(x.f->instance_type, "trn1.2xlarge");
	assert_string_equal(x.f->note, "sensors: neuron, cpu (no power sensor, and data/power.csv has no power "
	                    "model for trn1.2xlarge: power unknown; instance type from neuron-monitor)");
	assert_int_equal(x.m->types_learned, 1);
	/* every report names it again: nothing changes after the first */
	assert_int_equal(localbox_learn_type(x.b, "trn1.2xlarge", "neuron-monitor"), 0);
	assert_int_equal(x.m->types_learned, 1);
	model_apply_tables(x.m, &t, "us-east-1");
	assert_true(x.f->usd_per_hour == 1.34375);
	box_close(&x);

	box_open(&x);
	assert_int_equal(fleet_set_str(&x.f->instance_type, "inf2.xlarge"), 0);   /* --type */
	inv.s[0].power = true;
	localbox_inventory(x.b, &inv);
	assert_int_equal(localbox_learn_type(x.b, "trn1.2xlarge", "neuron-monitor"), 0);
	assert_string_equal(x.f->instance_type, "inf2.xlarge");
	assert_string_equal(x.f->note, "sensors: neuron, cpu");
	assert_int_equal(x.m->types_learned, 0);
	box_close(&x);
}

/* ---- the child -------------------------------------------------------------- */

struct seen {
	char lines[16][128];
	bool cut[16];
	int n;
	char why[256];
	int exits;
};

static void on_line(void *user, const char *line, size_t len, bool cut, double now)
{
	(void)now;
	struct seen *s = user;
	assert_int_equal(strlen(line), len);
	if (s->n < 16) {
		snprintf(s->lines[s->n], sizeof s->lines[s->n], "%s", line);
		s->cut[s->n] = cut;
	}
	s->n++;
}

static void on_exit_cb(void *user, const char *why, double now)
{
	(void)now;
	struct seen *s = user;
	snprintf(s->why, sizeof s->why, "%s", why);
	s->exits++;
}

/* Runs the child's loop until `until` holds or `seconds` pass. */
static void drive(struct child *c, struct seen *s, double seconds, int want_exits)
{
	double end = clock_now() + seconds;
	while (clock_now() < end && s->exits < want_exits) {
		struct pollfd fds[1];
		int n = child_fds(c, fds, 1);
		double next = child_tick(c, clock_now());
		double wait = fmin(next, end) - clock_now();
		int ms = wait <= 0 ? 0 : wait > 0.1 ? 100 : (int)(wait * 1000) + 1;
		if (poll(fds, (nfds_t)n, ms) > 0)
			child_ready(c, fds, n, clock_now());
	}
}

static void test_child_lines(void **state)
{
	(void)state;
	struct seen s;
	memset(&s, 0, sizeof s);
	struct child_opts o = {
		.cmd = "printf 'one\\ntwo\\r\\n'; printf 'thr'; sleep 0.1; printf 'ee'; exit 3",
		.on_line = on_line, .on_exit = on_exit_cb, .user = &s,
	};
	struct child *c = child_new(&o);
	assert_non_null(c);
	assert_int_equal(child_start(c, clock_now()), 0);
	assert_true(child_running(c));
	drive(c, &s, 5, 1);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "one");
	assert_string_equal(s.lines[1], "two");             /* \r dropped */
	assert_string_equal(s.lines[2], "three");           /* held until the end */
	assert_string_equal(s.why, "exited with status 3");
	assert_false(child_running(c));
	child_free(c);
}

static void test_child_long_line_and_missing(void **state)
{
	(void)state;
	struct seen s;
	memset(&s, 0, sizeof s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "yes x | tr -d '\\n' | head -c %d; echo; echo after", CHILD_LINE_MAX + 10);
	struct child_opts o = { .cmd = cmd, .on_line = on_line, .on_exit = on_exit_cb, .user = &s };
	struct child *c = child_new(&o);
	child_start(c, clock_now());
	drive(c, &s, 5, 1);
	assert_int_equal(s.n, 2);
	assert_true(s.cut[0]);
	assert_string_equal(s.lines[1], "after");
	assert_false(s.cut[1]);
	child_free(c);

	memset(&s, 0, sizeof s);
	struct child_opts o2 = { .cmd = "no-such-command-perwatt-test", .on_line = on_line,
	                         .on_exit = on_exit_cb, .user = &s };
	c = child_new(&o2);
	child_start(c, clock_now());
	drive(c, &s, 5, 1);
	assert_non_null(strstr(s.why, "not found or not executable"));
	child_free(c);
}

static void test_child_restart_and_quiet(void **state)
{
	(void)state;
	struct seen s;
	memset(&s, 0, sizeof s);
	struct child_opts o = { .cmd = "echo hi; exit 1", .restart = true, .on_line = on_line,
	                        .on_exit = on_exit_cb, .user = &s };
	struct child *c = child_new(&o);
	double t0 = clock_now();
	child_start(c, t0);
	drive(c, &s, 6, 2);             /* exits, waits 1 s, runs again, exits */
	assert_int_equal(s.exits, 2);
	assert_true(child_starts(c) >= 2);
	assert_true(clock_now() - t0 >= 0.9);   /* the backoff was waited */
	child_free(c);

	/* prints once, then nothing: killed after the quiet timeout */
	memset(&s, 0, sizeof s);
	struct child_opts q = { .cmd = "echo once; exec sleep 30", .quiet_timeout = 0.5, .on_line = on_line,
	                        .on_exit = on_exit_cb, .user = &s };
	c = child_new(&q);
	t0 = clock_now();
	child_start(c, t0);
	drive(c, &s, 5, 1);
	assert_int_equal(s.exits, 1);
	assert_non_null(strstr(s.why, "printed nothing"));
	assert_true(clock_now() - t0 < 3);
	assert_false(child_running(c));
	child_free(c);

	/* freeing a running child kills it, without waiting long */
	struct child_opts r = { .cmd = "exec sleep 30" };
	c = child_new(&r);
	child_start(c, clock_now());
	t0 = clock_now();
	child_free(c);
	assert_true(clock_now() - t0 < 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_sum_and_system_meter),
		cmocka_unit_test(test_utilization_prefers_accelerators),
		cmocka_unit_test(test_throughput_benchmark_wins),
		cmocka_unit_test(test_inventory_note),
		cmocka_unit_test(test_type_learned),
		cmocka_unit_test(test_child_lines),
		cmocka_unit_test(test_child_long_line_and_missing),
		cmocka_unit_test(test_child_restart_and_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
