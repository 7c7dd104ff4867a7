/* Tests of the --check parser and evaluator, and of savings over a model. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/check.h"
#include "core/savings.h"
#include "core/scenario.h"
#include "fetch/demo.h"

static void parse_good(void **state)
{
	(void)state;
	struct check c;
	char err[256];
	assert_int_equal(check_parse("energy_pct<=-50", &c, err, sizeof err), 0);
	assert_string_equal(c.key, "energy_pct");
	assert_int_equal(c.op, CHK_LE);
	assert_float_equal(c.value, -50, 0);
	assert_string_equal(c.fleet, "");
	assert_int_equal(check_parse(" cost_pct < -30 ", &c, err, sizeof err), 0);
	assert_int_equal(c.op, CHK_LT);
	assert_int_equal(check_parse("inferentia:energy_pct_hi<=-90", &c, err, sizeof err), 0);
	assert_string_equal(c.fleet, "inferentia");
	assert_string_equal(c.key, "energy_pct_hi");
	assert_int_equal(check_parse("usd_per_million>=1.5", &c, err, sizeof err), 0);
	assert_int_equal(c.op, CHK_GE);
	assert_int_equal(check_parse("instances!=7", &c, err, sizeof err), 0);
	assert_int_equal(c.op, CHK_NE);
	assert_int_equal(check_parse("hours==2.3", &c, err, sizeof err), 0);
	assert_int_equal(c.op, CHK_EQ);
	assert_int_equal(check_parse("co2_pct>-1e3", &c, err, sizeof err), 0);
	assert_int_equal(c.op, CHK_GT);
}

static void parse_bad(void **state)
{
	(void)state;
	static const struct { const char *expr, *want; } cases[] = {
		{ "energy_pct", "no comparison" },
		{ "energy_pct=>-50", "unknown comparison" },
		{ "energy_pct<=", "'' is not a number" },
		{ "energy_pct<=fifty", "'fifty' is not a number" },
		{ "energy_pct<=nan", "'nan' is not a number" },
		{ "watts<=5", "unknown key 'watts'" },
		{ "<=5", "unknown key ''" },
		{ ":energy_pct<=5", "fleet name before ':' is empty" },
		{ "energy_pct_mid<=5", "unknown key" },
		{ "!energy_pct", "unknown comparison" },
		{ "", "no comparison" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct check c;
		char err[256] = "";
		assert_int_equal(check_parse(cases[i].expr, &c, err, sizeof err), -1);
		if (!strstr(err, cases[i].want))
			fail_msg("'%s': got '%s', want '%s'", cases[i].expr, err, cases[i].want);
	}
}

/* The demo's inference model after a minute of steady state. */
static struct model *inference(struct tables *t)
{
	char err[256];
	struct scenario *sc = scenario_load_builtin("inference", err, sizeof err);
	struct model *m = model_new();
	struct source *s = demo_source_new(m, sc, 1, 0);
	s->ops->start(s, 0);
	for (double tt = 0; tt <= DEMO_WARMUP + 60; tt++) {
		s->ops->tick(s, tt);
		model_tick(m, tt);
	}
	s->ops->stop(s);
	scenario_free(sc);
	tables_init(t);
	assert_int_equal(tables_load_builtin(t, err, sizeof err), 0);
	model_apply_tables(m, t, "us-east-1");
	return m;
}

static void evaluate(void **state)
{
	(void)state;
	struct tables t;
	struct model *m = inference(&t);
	struct savings_config cfg;
	savings_config_init(&cfg, &t);
	cfg.target_auto = false;
	cfg.p.target_per_hour = 1e6;
	struct savings s;
	assert_int_equal(savings_alloc(&s, m->nfleets), 0);
	savings_compute(&s, m, &cfg, DEMO_WARMUP + 60, 60);
	assert_true(s.ok);
	assert_float_equal(s.fleet[0].instances, 33, 0);
	assert_float_equal(s.fleet[1].instances, 6, 0);
	/* the demo's noise leaves the ranges covering the published figures, which
	 * were rounded to whole percent: -92% energy, -91% cost, -82% instances */
	assert_true(s.saving[1].r_energy.lo - 0.5 <= -92 && -92 <= s.saving[1].r_energy.hi + 0.5);
	assert_true(s.saving[1].r_cost.lo - 0.5 <= -91 && -91 <= s.saving[1].r_cost.hi + 0.5);
	assert_true(s.saving[1].r_instances.lo - 0.5 <= -82 && -82 <= s.saving[1].r_instances.hi + 0.5);
	/* scenario prices stay the scenario's, not the table's */
	assert_string_equal(m->fleets[0]->price_source, "scenario");
	/* us-east-1 intensity from the table: CO2 known */
	assert_float_equal(s.fleet[0].co2_kg, s.fleet[0].energy_kwh * 0.379069, 1e-6);

	char report[1024] = "";
	struct check c;
	char err[256];
	check_parse("energy_pct<=-50", &c, err, sizeof err);
	assert_int_equal(check_eval(&c, m, &s, report, sizeof report), 0);
	assert_non_null(strstr(report, "check ok: inferentia energy_pct<=-50: -9"));
	report[0] = '\0';
	check_parse("energy_pct<=-95", &c, err, sizeof err);
	assert_int_equal(check_eval(&c, m, &s, report, sizeof report), 1);
	assert_non_null(strstr(report, "check FAILED: inferentia energy_pct<=-95: -9"));
	assert_non_null(strstr(report, "off by"));
	report[0] = '\0';
	check_parse("nosuch:energy_pct<=0", &c, err, sizeof err);
	assert_int_equal(check_eval(&c, m, &s, report, sizeof report), 1);
	assert_non_null(strstr(report, "no such candidate fleet"));
	report[0] = '\0';
	check_parse("gpu:instances==33", &c, err, sizeof err);   /* the baseline, named */
	assert_int_equal(check_eval(&c, m, &s, report, sizeof report), 0);
	report[0] = '\0';
	check_parse("time_pct<0", &c, err, sizeof err);          /* no time in SLA mode */
	assert_int_equal(check_eval(&c, m, &s, report, sizeof report), 1);
	assert_non_null(strstr(report, "unknown"));

	/* an unknown intensity makes CO2 checks fail, not pass */
	savings_set_region(&cfg, "mars-1");
	savings_compute(&s, m, &cfg, DEMO_WARMUP + 60, 60);
	assert_true(isnan(s.fleet[1].co2_kg));
	report[0] = '\0';
	check_parse("co2_pct<=0", &c, err, sizeof err);
	assert_int_equal(check_eval(&c, m, &s, report, sizeof report), 1);
	savings_free(&s);
	tables_free(&t);
	model_free(m);
}

static void auto_target_and_baseline(void **state)
{
	(void)state;
	struct tables t;
	struct model *m = inference(&t);
	struct savings_config cfg;
	savings_config_init(&cfg, &t);
	struct savings s;
	savings_alloc(&s, m->nfleets);
	/* target: what the 33 GPUs serve now, about 1.02M/h -> 6 Inferentia */
	savings_compute(&s, m, &cfg, DEMO_WARMUP + 60, 60);
	assert_true(s.ok);
	assert_float_equal(s.target_per_hour, 8.6 * 33 * 3600, 8.6 * 33 * 3600 * 0.01);
	assert_float_equal(s.fleet[0].instances, 33, 0);
	/* the other fleet as baseline: savings turn into increases */
	cfg.baseline_name = "inferentia";
	savings_compute(&s, m, &cfg, DEMO_WARMUP + 60, 60);
	assert_int_equal(s.baseline, 1);
	assert_true(s.saving[0].energy_pct > 1000);
	cfg.baseline_name = "nope";
	savings_compute(&s, m, &cfg, DEMO_WARMUP + 60, 60);
	assert_false(s.ok);
	assert_non_null(strstr(s.error, "no fleet is called 'nope'"));
	/* before any sample: no target, a clear reason */
	cfg.baseline_name = NULL;
	savings_compute(&s, m, &cfg, 100000, 10);
	assert_false(s.ok);
	assert_non_null(strstr(s.error, "reports no throughput yet"));
	savings_free(&s);
	tables_free(&t);
	model_free(m);
}

static void table_prices_and_power_model(void **state)
{
	(void)state;
	struct tables t;
	char err[256];
	tables_init(&t);
	tables_load_builtin(&t, err, sizeof err);
	struct model *m = model_new();
	struct fleet *f = model_add_fleet(m, "cpu");
	fleet_set_str(&f->instance_type, "c7g.xlarge");
	model_apply_tables(m, &t, "us-east-1");
	assert_float_equal(f->usd_per_hour, 0.145, 0);
	assert_int_equal(f->price_prov, PROV_ESTIMATED);
	assert_non_null(strstr(f->price_source, "table price-list-2026-09"));
	/* a region without a table price: unknown, not zero, not the old one */
	model_apply_tables(m, &t, "eu-west-1");
	assert_true(isnan(f->usd_per_hour));
	assert_int_equal(f->price_prov, PROV_NONE);
	/* no power sensor: estimated from utilization with the power model */
	struct instance *in = fleet_instance(f, "i-1", true);
	for (int s = 0; s < 10; s++) {
		model_record(in, MET_UTIL, s, 50, PROV_MEASURED);
		model_record(in, MET_THROUGHPUT, s, 100, PROV_MEASURED);
		model_tick(m, s);
	}
	struct fleet_stats st;
	fleet_derive(f, 9, 10, &st);
	assert_int_equal(st.power_prov, PROV_ESTIMATED);
	assert_float_equal(st.power_per_instance, (5.0 + 9.9) / 2, 1e-9);
	tables_free(&t);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(evaluate),
		cmocka_unit_test(auto_target_and_baseline),
		cmocka_unit_test(table_prices_and_power_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
