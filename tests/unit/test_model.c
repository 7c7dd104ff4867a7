/* Tests of the model: derived fleet figures, counters, health, comparison. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/model.h"

/* A fleet of `n` instances that each did `thr` units/s at `w` watts for 60 s. */
static struct fleet *steady_fleet(struct model *m, const char *name, size_t n, size_t count,
                                  double thr, double w, double usd)
{
	struct fleet *f = model_add_fleet(m, name);
	assert_non_null(f);
	f->count = count;
	f->usd_per_hour = usd;
	f->price_prov = PROV_MEASURED;
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "%s-%zu", name, i);
		struct instance *in = fleet_instance(f, id, true);
		assert_non_null(in);
		for (int t = 0; t < 60; t++) {
			model_record(in, MET_THROUGHPUT, t, thr, PROV_MEASURED);
			model_record(in, MET_POWER, t, w, PROV_MEASURED);
			model_record(in, MET_UTIL, t, 90, PROV_MEASURED);
		}
	}
	return f;
}

static void derived_figures(void **state)
{
	(void)state;
	struct model *m = model_new();
	struct fleet *f = steady_fleet(m, "gpu", 33, 33, 8.6, 250, 0.752);
	for (int t = 0; t < 60; t++)
		model_tick(m, t);
	struct fleet_stats st;
	fleet_derive(f, 59, 30, &st);
	assert_int_equal(st.instances, 33);
	assert_int_equal(st.reporting, 33);
	assert_float_equal(st.thr_per_instance, 8.6, 1e-5);
	assert_float_equal(st.thr_total, 8.6 * 33, 1e-3);
	assert_float_equal(st.power_total, 250 * 33, 1e-3);
	assert_float_equal(st.util_mean, 90, 1e-6);
	assert_float_equal(st.usd_per_hour, 0.752 * 33, 1e-9);
	assert_float_equal(st.joules_per_unit, 250 / 8.6, 1e-3);
	assert_float_equal(st.units_per_kwh, 3.6e6 / (250 / 8.6), 1);
	/* USD per million: 24.816 $/h over 1,021,680 units/h */
	assert_float_equal(st.usd_per_million, 24.816 / (8.6 * 33 * 3600) * 1e6, 1e-3);
	assert_float_equal(st.thr_pi_p10, 8.6, 1e-4);
	assert_float_equal(st.thr_pi_p90, 8.6, 1e-4);
	assert_int_equal(st.thr_prov, PROV_MEASURED);
	model_free(m);
}

static void fewer_reporting_scale_to_count(void **state)
{
	(void)state;
	struct model *m = model_new();
	/* 33 configured, 3 report: per instance is their mean, total scales */
	struct fleet *f = steady_fleet(m, "gpu", 3, 33, 10, 200, 1);
	struct fleet_stats st;
	fleet_derive(f, 59, 10, &st);
	assert_int_equal(st.instances, 33);
	assert_int_equal(st.reporting, 3);
	assert_float_equal(st.thr_total, 330, 1e-3);
	assert_float_equal(st.power_total, 6600, 1e-3);
	model_free(m);
}

static void unknown_stays_unknown(void **state)
{
	(void)state;
	struct model *m = model_new();
	struct fleet *f = model_add_fleet(m, "empty");
	struct fleet_stats st;
	fleet_derive(f, 10, 10, &st);
	assert_int_equal(st.instances, 0);
	assert_true(isnan(st.thr_total));
	assert_true(isnan(st.usd_per_hour));
	assert_true(isnan(st.usd_per_million));
	assert_true(isnan(st.joules_per_unit));

	/* throughput but no power and no price: energy and cost unknown, not zero */
	struct fleet *g = model_add_fleet(m, "nopower");
	struct instance *in = fleet_instance(g, "a", true);
	model_record(in, MET_THROUGHPUT, 1, 5, PROV_MEASURED);
	fleet_derive(g, 1, 10, &st);
	assert_float_equal(st.thr_total, 5, 1e-6);
	assert_true(isnan(st.joules_per_unit));
	assert_true(isnan(st.usd_per_million));
	assert_int_equal(st.price_prov, PROV_NONE);

	/* zero throughput: no division by zero */
	struct fleet *z = steady_fleet(m, "idle", 2, 2, 0, 100, 1);
	fleet_derive(z, 59, 10, &st);
	assert_float_equal(st.thr_total, 0, 0);
	assert_true(isnan(st.joules_per_unit));
	assert_true(isnan(st.usd_per_million));
	model_free(m);
}

static void counters_become_rates(void **state)
{
	(void)state;
	struct model *m = model_new();
	struct fleet *f = model_add_fleet(m, "f");
	struct instance *in = fleet_instance(f, "x", true);
	/* an energy counter in joules: 500 J/s is 500 W */
	assert_int_equal(model_record_counter(in, MET_POWER, 0, 1000, 1, PROV_MEASURED), 0);
	assert_int_equal(model_record_counter(in, MET_POWER, 2, 2000, 1, PROV_MEASURED), 0);
	assert_float_equal(in->m[MET_POWER].last_v, 500, 1e-9);
	/* a millijoule counter scaled to joules */
	struct instance *mj = fleet_instance(f, "y", true);
	model_record_counter(mj, MET_POWER, 0, 0, 1e-3, PROV_MEASURED);
	model_record_counter(mj, MET_POWER, 1, 300000, 1e-3, PROV_MEASURED);
	assert_float_equal(mj->m[MET_POWER].last_v, 300, 1e-9);
	assert_ptr_equal(fleet_instance(f, "x", false), in);
	assert_null(fleet_instance(f, "nope", false));
	model_free(m);
}

static void stale_instances_leave_totals(void **state)
{
	(void)state;
	struct model *m = model_new();
	struct fleet *f = model_add_fleet(m, "f");
	struct instance *a = fleet_instance(f, "a", true), *b = fleet_instance(f, "b", true);
	model_record(a, MET_POWER, 0, 100, PROV_MEASURED);
	model_record(b, MET_POWER, 100, 300, PROV_MEASURED);
	model_tick(m, 100);
	/* a is 100 s old (stale_after 30): the total is b's alone */
	assert_float_equal(f->total[MET_POWER].last_v, 300, 1e-9);
	model_free(m);
}

static void health_records(void **state)
{
	(void)state;
	struct model *m = model_new();
	struct fleet *f = model_add_fleet(m, "f");
	struct source_health *h = fleet_add_source(f, "scrape", "http://x/\x1b[31m");
	assert_string_equal(h->target, "http://x/?[31m");
	assert_int_equal(h->status, HEALTH_STALE);
	health_set_error(h, HEALTH_FAILING, "HTTP %d from %s", 500, "evil\x1b]0;title\x07");
	assert_string_equal(h->error, "HTTP 500 from evil?]0;title?");
	assert_string_equal(health_name(h->status), "failing");
	health_set_ok(h, 12, 3.5);
	assert_string_equal(h->error, "");
	assert_float_equal(h->latency_ms, 3.5, 0);
	model_free(m);
}

static void baseline_and_comparison(void **state)
{
	(void)state;
	struct model *m = model_new();
	assert_int_equal(model_baseline(m), -1);
	struct fleet *g = steady_fleet(m, "gpu", 33, 33, 8.6, 250, 0.752);
	struct fleet *i = steady_fleet(m, "inf", 6, 6, 54.2, 110, 0.362);
	assert_int_equal(model_baseline(m), 0);
	i->baseline = true;
	assert_int_equal(model_baseline(m), 1);
	assert_ptr_equal(model_fleet(m, "gpu"), g);
	struct fleet_stats sg, si;
	fleet_derive(g, 59, 30, &sg);
	fleet_derive(i, 59, 30, &si);
	struct fleet_ratio r;
	fleet_compare(&si, &sg, &r);
	assert_float_equal(r.thr_per_instance, 54.2 / 8.6, 1e-4);       /* 6.3x */
	assert_float_equal(r.joules_per_unit, (110 / 54.2) / (250 / 8.6), 1e-4);
	assert_float_equal(r.usd_per_unit, (0.362 / 54.2) / (0.752 / 8.6), 1e-4);
	struct fleet_stats empty;
	memset(&empty, 0, sizeof empty);
	empty.thr_per_instance = empty.joules_per_unit = empty.usd_per_million = NAN;
	fleet_compare(&si, &empty, &r);
	assert_true(isnan(r.thr_per_instance) && isnan(r.usd_per_unit));
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(derived_figures),
		cmocka_unit_test(fewer_reporting_scale_to_count),
		cmocka_unit_test(unknown_stays_unknown),
		cmocka_unit_test(counters_become_rates),
		cmocka_unit_test(stale_instances_leave_totals),
		cmocka_unit_test(health_records),
		cmocka_unit_test(baseline_and_comparison),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
