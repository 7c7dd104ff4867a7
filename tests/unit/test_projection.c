/* Tests of the projection engine: both modes, the published figures, edges. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/projection.h"

static struct proj_input fleet(double thr, double power, double usd, size_t n)
{
	struct proj_input x = { thr, NAN, NAN, power, NAN, NAN, usd, n };
	return x;
}

/* The inference scenario's inputs (SCENARIOS.md). */
static void published_inference(void **state)
{
	(void)state;
	struct proj_params p;
	proj_params_init(&p);
	p.mode = PROJ_SLA;
	p.target_per_hour = 1e6;
	struct proj_input in[2] = { fleet(8.6, 250, 0.752, 33), fleet(54.2, 110, 0.362, 6) };
	struct proj_fleet out[2];
	struct proj_saving sav[2];
	char err[128];
	assert_int_equal(proj_run(&p, in, 2, out, sav, err, sizeof err), 0);
	assert_float_equal(out[0].instances, 33, 0);
	assert_float_equal(out[1].instances, 6, 0);
	assert_float_equal(out[0].energy_kwh, 8.25, 1e-9);      /* per hour */
	assert_float_equal(out[1].energy_kwh, 0.66, 1e-9);
	assert_float_equal(out[0].usd_per_million, 24.816, 1e-6);  /* USD 25 */
	assert_float_equal(out[1].usd_per_million, 2.172, 1e-6);   /* USD 2 */
	assert_float_equal(sav[1].instances_pct, -81.8, 0.05);   /* -82% */
	assert_float_equal(sav[1].energy_pct, -92.0, 0.05);      /* -92% */
	assert_float_equal(sav[1].cost_pct, -91.2, 0.05);        /* -91% */
	assert_true(isnan(sav[1].time_pct));                     /* no time in SLA mode */
	assert_true(isnan(sav[1].co2_pct));                      /* intensity unknown */
	assert_true(isnan(out[0].hours));
	assert_float_equal(sav[0].energy_pct, 0, 0);             /* the baseline's own entry */
}

static void published_training(void **state)
{
	(void)state;
	struct proj_params p;
	proj_params_init(&p);
	p.mode = PROJ_WORK;
	p.work_units = 450e6;
	p.grid_g_per_kwh = 379.069;
	struct proj_input in[2] = { fleet(1953, 4000, 32.77, 16), fleet(3397, 4940, 21.50, 16) };
	struct proj_fleet out[2];
	struct proj_saving sav[2];
	char err[128];
	assert_int_equal(proj_run(&p, in, 2, out, sav, err, sizeof err), 0);
	assert_float_equal(out[0].hours, 4.00, 0.005);
	assert_float_equal(out[1].hours, 2.30, 0.005);
	assert_float_equal(out[0].usd, 2091, 2091 * 0.01);       /* published, within 1% */
	assert_float_equal(out[1].usd, 787, 787 * 0.01);
	assert_float_equal(sav[1].time_pct, -43, 0.5);
	assert_float_equal(sav[1].energy_pct, -29, 0.5);
	assert_float_equal(sav[1].cost_pct, -62, 0.5);
	assert_float_equal(sav[1].instances_pct, 0, 0);
	/* CO2 follows energy at one intensity */
	assert_float_equal(out[0].co2_kg, out[0].energy_kwh * 0.379069, 1e-6);
	assert_float_equal(sav[1].co2_pct, sav[1].energy_pct, 1e-9);
	assert_float_equal(out[0].usd_per_million, out[0].usd / 450, 1e-9);
}

static void ceil_edges(void **state)
{
	(void)state;
	struct proj_params p;
	proj_params_init(&p);
	p.target_per_hour = 3600;           /* 1 unit/s */
	struct proj_input in[1];
	struct proj_fleet out[1];
	struct proj_saving sav[1];
	char err[128];
	/* exactly enough: 1e6/h on instances doing 1e6/6 per hour -> 6, not 7 */
	p.target_per_hour = 1e6;
	in[0] = fleet(1e6 / 6 / 3600, 1, 1, 1);
	proj_run(&p, in, 1, out, sav, err, sizeof err);
	assert_float_equal(out[0].instances, 6, 0);
	/* a hair short: one more */
	in[0] = fleet(1e6 / 6 / 3600 * 0.9999, 1, 1, 1);
	proj_run(&p, in, 1, out, sav, err, sizeof err);
	assert_float_equal(out[0].instances, 7, 0);
	/* a target below one instance's capacity still needs one instance */
	p.target_per_hour = 1;
	in[0] = fleet(100, 1, 1, 1);
	proj_run(&p, in, 1, out, sav, err, sizeof err);
	assert_float_equal(out[0].instances, 1, 0);
	/* SLA cost per million pays for the whole rounded-up fleet */
	assert_float_equal(out[0].usd_per_million, 1.0 / 1 * 1e6, 1e-6);
}

static void headroom_and_pue(void **state)
{
	(void)state;
	struct proj_params p;
	proj_params_init(&p);
	p.target_per_hour = 1e6;
	p.headroom = 0.8;
	p.pue = 1.2;
	struct proj_input in[1] = { fleet(54.2, 110, 0.362, 6) };
	struct proj_fleet out[1];
	struct proj_saving sav[1];
	char err[128];
	assert_int_equal(proj_run(&p, in, 1, out, sav, err, sizeof err), 0);
	/* 1e6 / (54.2 * 0.8 * 3600) = 6.41 -> 7 */
	assert_float_equal(out[0].instances, 7, 0);
	assert_float_equal(out[0].power_w, 770, 1e-9);
	assert_float_equal(out[0].energy_kwh, 0.77 * 1.2, 1e-9);
}

static void electricity_price(void **state)
{
	(void)state;
	struct proj_params p;
	proj_params_init(&p);
	p.target_per_hour = 3600;
	p.usd_per_kwh = 0.10;
	struct proj_input in[1] = { fleet(1, 1000, 2, 1) };
	struct proj_fleet out[1];
	struct proj_saving sav[1];
	char err[128];
	proj_run(&p, in, 1, out, sav, err, sizeof err);
	assert_float_equal(out[0].usd, 2 + 1.0 * 0.10, 1e-9);
	/* counted but power unknown: the cost is unknown, not understated */
	in[0] = fleet(1, NAN, 2, 1);
	proj_run(&p, in, 1, out, sav, err, sizeof err);
	assert_true(isnan(out[0].usd));
}

static void unknowns_stay_unknown(void **state)
{
	(void)state;
	struct proj_params p;
	proj_params_init(&p);
	p.target_per_hour = 1e6;
	struct proj_input in[3] = { fleet(8.6, 250, 0.752, 33), fleet(54.2, NAN, NAN, 6), fleet(0, 100, 1, 1) };
	struct proj_fleet out[3];
	struct proj_saving sav[3];
	char err[128];
	assert_int_equal(proj_run(&p, in, 3, out, sav, err, sizeof err), 0);
	/* no power and no price: instances known, energy and cost not */
	assert_float_equal(out[1].instances, 6, 0);
	assert_true(isnan(out[1].energy_kwh) && isnan(out[1].usd) && isnan(out[1].usd_per_million));
	assert_string_equal(out[1].note, "no power");
	assert_true(isnan(sav[1].energy_pct) && isnan(sav[1].cost_pct));
	assert_true(isnan(sav[1].r_energy.lo));
	assert_false(isnan(sav[1].instances_pct));
	/* zero throughput: an error, no division by zero */
	assert_non_null(out[2].error);
	assert_true(isnan(out[2].instances) && isnan(sav[2].instances_pct));
	/* negative and NaN throughput too */
	in[2] = fleet(-5, 100, 1, 1);
	proj_run(&p, in, 3, out, sav, err, sizeof err);
	assert_string_equal(out[2].error, "no throughput (zero or negative)");
	in[2] = fleet(NAN, 100, 1, 1);
	proj_run(&p, in, 3, out, sav, err, sizeof err);
	assert_string_equal(out[2].error, "no throughput measured");
}

static void overflow_sized_numbers(void **state)
{
	(void)state;
	struct proj_params p;
	proj_params_init(&p);
	p.target_per_hour = 1e18;
	struct proj_input in[1] = { fleet(1e-9, 1, 1, 1) };
	struct proj_fleet out[1];
	struct proj_saving sav[1];
	char err[128];
	assert_int_equal(proj_run(&p, in, 1, out, sav, err, sizeof err), 0);
	assert_string_equal(out[0].error, "the target needs more than 1e9 instances");
	assert_true(isnan(out[0].usd));
	p.mode = PROJ_WORK;
	p.work_units = 1e21;
	proj_run(&p, in, 1, out, sav, err, sizeof err);
	assert_string_equal(out[0].error, "the work would take more than 1e9 hours");
	/* huge but feasible: finite */
	in[0] = fleet(1e12, 1e3, 1e3, 1000);
	proj_run(&p, in, 1, out, sav, err, sizeof err);
	assert_null(out[0].error);
	assert_true(isfinite(out[0].usd) && isfinite(out[0].energy_kwh));
}

static void bad_parameters(void **state)
{
	(void)state;
	struct proj_params p;
	char err[128];
	struct proj_input in[1] = { fleet(1, 1, 1, 1) };
	struct proj_fleet out[1];
	struct proj_saving sav[1];
	proj_params_init(&p);
	assert_int_equal(proj_run(&p, in, 1, out, sav, err, sizeof err), -1);   /* no target */
	assert_non_null(strstr(err, "SLA target"));
	p.target_per_hour = NAN;
	assert_int_equal(proj_params_check(&p, 1, err, sizeof err), -1);
	p.target_per_hour = 10;
	p.headroom = 0;
	assert_int_equal(proj_params_check(&p, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "headroom"));
	p.headroom = 1.5;
	assert_int_equal(proj_params_check(&p, 1, err, sizeof err), -1);
	p.headroom = 1;
	p.pue = 0.5;
	assert_int_equal(proj_params_check(&p, 1, err, sizeof err), -1);
	p.pue = 1;
	p.grid_g_per_kwh = -1;
	assert_int_equal(proj_params_check(&p, 1, err, sizeof err), -1);
	p.grid_g_per_kwh = NAN;
	p.baseline = 3;
	assert_int_equal(proj_params_check(&p, 2, err, sizeof err), -1);
	p.baseline = 0;
	p.mode = PROJ_WORK;
	assert_int_equal(proj_params_check(&p, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "work"));
	p.work_units = 5;
	assert_int_equal(proj_params_check(&p, 1, err, sizeof err), 0);
}

static void ranges_cover_and_widen(void **state)
{
	(void)state;
	struct proj_params p;
	proj_params_init(&p);
	p.target_per_hour = 1e6;
	struct proj_input in[2] = {
		{ 8.6, 8.5, 8.7, 250, 245, 255, 0.752, 33 },
		{ 54.2, 53.5, 54.9, 110, 108, 112, 0.362, 6 },
	};
	struct proj_fleet out[2];
	struct proj_saving sav[2];
	char err[128];
	assert_int_equal(proj_run(&p, in, 2, out, sav, err, sizeof err), 0);
	const struct proj_saving *s = &sav[1];
	assert_true(s->r_energy.lo <= s->energy_pct && s->energy_pct <= s->r_energy.hi);
	assert_true(s->r_energy.lo < s->r_energy.hi);
	assert_true(s->r_cost.lo <= s->cost_pct && s->cost_pct <= s->r_cost.hi);
	assert_true(s->r_instances.lo <= s->instances_pct && s->instances_pct <= s->r_instances.hi);
	/* no spread, no range width */
	in[0].thr_lo = in[0].thr_hi = NAN;
	in[1].thr_lo = in[1].thr_hi = NAN;
	in[0].power_lo = in[0].power_hi = in[1].power_lo = in[1].power_hi = NAN;
	proj_run(&p, in, 2, out, sav, err, sizeof err);
	assert_float_equal(sav[1].r_energy.lo, sav[1].r_energy.hi, 0);
}

static void pct_guard(void **state)
{
	(void)state;
	assert_float_equal(proj_pct(8, 100), -92, 1e-12);
	assert_true(isnan(proj_pct(1, 0)));
	assert_true(isnan(proj_pct(NAN, 1)));
	assert_true(isnan(proj_pct(1, INFINITY)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(published_inference),
		cmocka_unit_test(published_training),
		cmocka_unit_test(ceil_edges),
		cmocka_unit_test(headroom_and_pue),
		cmocka_unit_test(electricity_price),
		cmocka_unit_test(unknowns_stay_unknown),
		cmocka_unit_test(overflow_sized_numbers),
		cmocka_unit_test(bad_parameters),
		cmocka_unit_test(ranges_cover_and_widen),
		cmocka_unit_test(pct_guard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
