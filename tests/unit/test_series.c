/* Tests of the tiered ring buffers. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/series.h"

static void memory_is_fixed_and_documented(void **state)
{
	(void)state;
	/* 5 bytes a slot, as series.h says */
	assert_int_equal(series_bytes(&SERIES_LAYOUT_FULL), (900 + 2160 + 2880) * 5);
	assert_int_equal(series_bytes(&SERIES_LAYOUT_SHORT), (900 + 2160) * 5);
}

static void empty_series_has_no_stats(void **state)
{
	(void)state;
	struct series s;
	assert_int_equal(series_init(&s, &SERIES_LAYOUT_FULL), 0);
	struct series_stats st;
	assert_int_equal(series_stats(&s, 100, 60, &st), 0);
	assert_true(isnan(st.mean));
	assert_int_equal(st.prov, PROV_NONE);
	assert_true(isinf(series_age(&s, 100)));
	series_free(&s);
}

static void stats_over_window(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_FULL);
	for (int t = 0; t < 100; t++)
		series_push(&s, t, t, PROV_MEASURED);
	struct series_stats st;
	/* the last 10 s: samples 90..99 */
	assert_int_equal(series_stats(&s, 99, 10, &st), 10);
	assert_float_equal(st.min, 90, 1e-9);
	assert_float_equal(st.max, 99, 1e-9);
	assert_float_equal(st.mean, 94.5, 1e-9);
	assert_float_equal(st.last, 99, 1e-9);
	assert_float_equal(st.p10, 90, 1e-9);
	assert_float_equal(st.p90, 98, 1e-9);
	assert_int_equal(st.prov, PROV_MEASURED);
	assert_float_equal(series_age(&s, 105), 6, 1e-9);
	series_free(&s);
}

static void samples_in_one_step_are_averaged(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_FULL);
	series_push(&s, 10.1, 2, PROV_MEASURED);
	series_push(&s, 10.5, 4, PROV_MEASURED);
	series_push(&s, 10.9, 6, PROV_MEASURED);
	struct series_stats st;
	assert_int_equal(series_stats(&s, 10.9, 1, &st), 1);
	assert_float_equal(st.mean, 4, 1e-6);
	series_free(&s);
}

static void coarse_tiers_mean_raw_samples(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_FULL);
	/* 20 minutes at 1 Hz: values 0,1,2,... */
	for (int t = 0; t < 1200; t++)
		series_push(&s, t, t % 10, PROV_MEASURED);
	/* a 1 h window does not fit the 15 min tier: the 10 s tier answers, and each
	 * of its slots is the mean of 0..9 = 4.5 */
	struct series_stats st;
	size_t n = series_stats(&s, 1199, 3600, &st);
	assert_int_equal(n, 120);
	assert_float_equal(st.min, 4.5, 1e-6);
	assert_float_equal(st.max, 4.5, 1e-6);
	series_free(&s);
}

static void gaps_stay_gaps(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_FULL);
	series_push(&s, 0, 5, PROV_MEASURED);
	series_push(&s, 10, 7, PROV_MEASURED);
	float pts[11];
	assert_int_equal(series_points(&s, 10, 1, pts, 11), 11);
	assert_float_equal(pts[0], 5, 1e-6);
	for (int i = 1; i < 10; i++)
		assert_true(isnan(pts[i]));
	assert_float_equal(pts[10], 7, 1e-6);
	struct series_stats st;
	assert_int_equal(series_stats(&s, 10, 11, &st), 2);
	assert_float_equal(st.mean, 6, 1e-6);
	series_free(&s);
}

static void ring_wraps_and_forgets(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_SHORT);
	for (int t = 0; t < 2000; t++)
		series_push(&s, t, t, PROV_MEASURED);
	/* the 1 s tier holds 900 slots: 1100..1999 */
	struct series_stats st;
	assert_int_equal(series_stats(&s, 1999, 900, &st), 900);
	assert_float_equal(st.min, 1100, 1e-6);
	/* a jump far ahead empties the rings rather than showing stale slots */
	series_push(&s, 100000, 1, PROV_MEASURED);
	assert_int_equal(series_stats(&s, 100000, 900, &st), 1);
	series_free(&s);
}

static void late_samples_merge_or_drop(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_SHORT);
	series_push(&s, 100, 10, PROV_MEASURED);
	series_push(&s, 98, 4, PROV_MEASURED);   /* late, still in the ring */
	series_push(&s, -5000, 99, PROV_MEASURED); /* far too old for any tier's ring */
	struct series_stats st;
	assert_int_equal(series_stats(&s, 100, 5, &st), 2);
	assert_float_equal(st.min, 4, 1e-6);
	assert_float_equal(st.max, 10, 1e-6);
	assert_float_equal(s.last_v, 10, 1e-9);  /* the newest stays the newest */
	series_free(&s);
}

static void provenance_keeps_least_measured(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_SHORT);
	series_push(&s, 1.0, 1, PROV_MEASURED);
	series_push(&s, 1.5, 1, PROV_ESTIMATED);
	series_push(&s, 2.0, 1, PROV_MEASURED);
	struct series_stats st;
	series_stats(&s, 2, 2, &st);
	assert_int_equal(st.prov, PROV_ESTIMATED);
	assert_string_equal(prov_name(PROV_ESTIMATED), "estimated");
	assert_string_equal(prov_name(PROV_DEMO), "demo");
	series_free(&s);
}

static void non_finite_values_are_refused(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_SHORT);
	assert_int_equal(series_push(&s, 1, NAN, PROV_MEASURED), -1);
	assert_int_equal(series_push(&s, 1, INFINITY, PROV_MEASURED), -1);
	assert_int_equal(series_push(&s, NAN, 1, PROV_MEASURED), -1);
	assert_int_equal(series_push(&s, 1, 1, PROV_NONE), -1);
	struct series_stats st;
	assert_int_equal(series_stats(&s, 1, 10, &st), 0);
	series_clear(&s);
	series_free(&s);
}

static void negative_times_work(void **state)
{
	(void)state;
	struct series s;
	series_init(&s, &SERIES_LAYOUT_SHORT);
	for (int t = -20; t <= 0; t++)
		series_push(&s, t, 3, PROV_DEMO);
	struct series_stats st;
	assert_int_equal(series_stats(&s, 0, 21, &st), 21);
	series_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memory_is_fixed_and_documented),
		cmocka_unit_test(empty_series_has_no_stats),
		cmocka_unit_test(stats_over_window),
		cmocka_unit_test(samples_in_one_step_are_averaged),
		cmocka_unit_test(coarse_tiers_mean_raw_samples),
		cmocka_unit_test(gaps_stay_gaps),
		cmocka_unit_test(ring_wraps_and_forgets),
		cmocka_unit_test(late_samples_merge_or_drop),
		cmocka_unit_test(provenance_keeps_least_measured),
		cmocka_unit_test(non_finite_values_are_refused),
		cmocka_unit_test(negative_times_work),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
