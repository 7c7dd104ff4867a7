/* Tests of the scenario loader and the demo source built on it. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/scenario.h"
#include "fetch/demo.h"

static void builtin_inference(void **state)
{
	(void)state;
	char err[256];
	struct scenario *sc = scenario_load_builtin("inference", err, sizeof err);
	assert_non_null(sc);
	assert_int_equal(sc->nfleets, 2);
	assert_float_equal(sc->sla_per_hour, 1e6, 1e-6);
	assert_string_equal(sc->unit, "inferences");
	assert_string_equal(sc->note, "published figures; per-instance inputs derived");
	assert_string_equal(sc->fleet[0].type, "g4dn.2xlarge");
	assert_int_equal(sc->fleet[0].instances, 33);
	assert_true(sc->fleet[0].baseline);
	assert_float_equal(sc->fleet[1].throughput / sc->fleet[0].throughput, 6.3, 0.01);
	/* the published instance counts follow from the inputs */
	assert_float_equal(ceil(1e6 / (sc->fleet[0].throughput * 3600)), 33, 0);
	assert_float_equal(ceil(1e6 / (sc->fleet[1].throughput * 3600)), 6, 0);
	scenario_free(sc);
}

static void builtin_training(void **state)
{
	(void)state;
	char err[256];
	struct scenario *sc = scenario_load_builtin("training", err, sizeof err);
	assert_non_null(sc);
	assert_float_equal(sc->work_units, 450e6, 0);
	assert_int_equal(sc->fleet[1].instances, 16);
	assert_float_equal(450e6 / (16 * sc->fleet[1].throughput * 3600), 2.30, 0.005);
	assert_float_equal(450e6 / (16 * sc->fleet[0].throughput * 3600), 4.00, 0.005);
	scenario_free(sc);
}

static void unknown_builtin(void **state)
{
	(void)state;
	char err[256];
	assert_null(scenario_load_builtin("nope", err, sizeof err));
	assert_non_null(strstr(err, "unknown demo scenario 'nope'"));
	assert_null(scenario_load_builtin("../scenarios/inference", err, sizeof err));
}

static void errors_name_the_line(void **state)
{
	(void)state;
	static const struct { const char *text, *want; } cases[] = {
		{ "[scenario]\nunit = x\n[fleet a]\ninstances = many\n", "t.ini:4: instances: 'many' is not a number" },
		{ "[scenario]\nsla = 300\n", "t.ini:2: sla: '300' is not a rate" },
		{ "[bogus]\nx = 1\n", "t.ini:2: unknown section [bogus]" },
		{ "[fleet a]\ninstances = 2.5\n", "t.ini:2: instances: '2.5' is not a whole number" },
		{ "[fleet a]\ncolour = red\n", "t.ini:2: unknown key 'colour'" },
		{ "[fleet a]\nbaseline = maybe\n", "t.ini:2: baseline: 'maybe'" },
		{ "[scenario]\nthis line is not ini\n", "t.ini:2: malformed line" },
		{ "[scenario]\nunit = x\n", "t.ini: no [fleet NAME] section" },
		{ "[fleet a]\ninstances = 2\nthroughput = 1\n", "t.ini: [fleet a] needs power_w > 0" },
		{ "[fleet a]\ninstances = 1\nthroughput = 1\npower_w = 1\nbaseline = yes\n"
		  "[fleet b]\ninstances = 1\nthroughput = 1\npower_w = 1\nbaseline = yes\n", "more than one fleet" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256] = "";
		struct scenario *sc = scenario_parse(cases[i].text, "t.ini", err, sizeof err);
		assert_null(sc);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
	}
}

static void defaults(void **state)
{
	(void)state;
	char err[256];
	struct scenario *sc = scenario_parse("[fleet a]\ninstances = 2\nthroughput = 10\npower_w = 100\n",
	                                     "t.ini", err, sizeof err);
	assert_non_null(sc);
	assert_true(sc->fleet[0].baseline);            /* the first fleet by default */
	assert_float_equal(sc->fleet[0].idle_w, 30, 1e-9);
	assert_true(isnan(sc->fleet[0].usd_per_hour));  /* unknown, not zero */
	assert_string_equal(sc->unit, "units");
	scenario_free(sc);
}

/* Runs the demo for warm-up + `secs` seconds of simulated time. */
static struct model *simulate(const char *name, uint64_t seed, double secs, double *end)
{
	char err[256];
	struct scenario *sc = scenario_load_builtin(name, err, sizeof err);
	assert_non_null(sc);
	struct model *m = model_new();
	struct source_set set;
	source_set_init(&set);
	assert_int_equal(source_set_add(&set, demo_source_new(m, sc, seed, 0)), 0);
	assert_int_equal(source_set_start(&set, 0), 0);
	*end = DEMO_WARMUP + secs;
	for (double t = 0; t <= *end; t++) {
		source_set_tick(&set, t);
		model_tick(m, t);
	}
	source_set_free(&set);
	scenario_free(sc);
	return m;
}

static void demo_is_near_nominal(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		double end;
		struct model *m = simulate("inference", seed, 60, &end);
		assert_true(m->demo);
		struct fleet_stats g, i;
		fleet_derive(m->fleets[0], end, 60, &g);
		fleet_derive(m->fleets[1], end, 60, &i);
		assert_int_equal(g.instances, 33);
		assert_int_equal(g.reporting, 33);
		assert_int_equal(g.thr_prov, PROV_DEMO);
		/* within 1% of the nominal inputs: the noise must not move the published
		 * instance counts, ceil(1e6/(thr*3600)) = 33 and 6 */
		assert_float_equal(g.thr_per_instance, 8.6, 8.6 * 0.01);
		assert_float_equal(i.thr_per_instance, 54.2, 54.2 * 0.01);
		assert_float_equal(ceil(1e6 / (g.thr_per_instance * 3600)), 33, 0);
		assert_float_equal(ceil(1e6 / (i.thr_per_instance * 3600)), 6, 0);
		assert_float_equal(g.power_per_instance, 250, 250 * 0.02);
		assert_float_equal(i.power_per_instance, 110, 110 * 0.02);
		/* the spread is real but narrow */
		assert_true(g.thr_pi_p10 < g.thr_per_instance && g.thr_per_instance < g.thr_pi_p90);
		assert_true(g.thr_pi_p90 - g.thr_pi_p10 < 0.05 * 8.6);
		model_free(m);
	}
}

static void demo_warms_up(void **state)
{
	(void)state;
	char err[256];
	struct scenario *sc = scenario_load_builtin("training", err, sizeof err);
	struct model *m = model_new();
	struct source *s = demo_source_new(m, sc, 7, 100);
	s->ops->start(s, 100);
	s->ops->tick(s, 101);
	model_tick(m, 101);
	struct fleet_stats st;
	fleet_derive(m->fleets[0], 101, 1, &st);
	/* a second in, the fleet is far from its steady 1,953 sequences/s */
	assert_true(st.thr_per_instance < 0.5 * 1953);
	s->ops->stop(s);
	model_free(m);
	scenario_free(sc);
}

static void demo_is_deterministic(void **state)
{
	(void)state;
	double e1, e2, e3;
	struct model *a = simulate("training", 42, 30, &e1);
	struct model *b = simulate("training", 42, 30, &e2);
	struct model *c = simulate("training", 43, 30, &e3);
	struct fleet_stats sa, sb, sc;
	fleet_derive(a->fleets[1], e1, 30, &sa);
	fleet_derive(b->fleets[1], e2, 30, &sb);
	fleet_derive(c->fleets[1], e3, 30, &sc);
	assert_true(sa.thr_total == sb.thr_total && sa.power_total == sb.power_total);
	assert_true(sa.thr_total != sc.thr_total);
	model_free(a);
	model_free(b);
	model_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_inference),
		cmocka_unit_test(builtin_training),
		cmocka_unit_test(unknown_builtin),
		cmocka_unit_test(errors_name_the_line),
		cmocka_unit_test(defaults),
		cmocka_unit_test(demo_is_near_nominal),
		cmocka_unit_test(demo_warms_up),
		cmocka_unit_test(demo_is_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
