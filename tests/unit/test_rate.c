/* Tests of counters turned into rates. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rate.h"

static void first_reading_gives_nothing(void **state)
{
	(void)state;
	struct rate_state st = { 0 };
	double r = -1;
	assert_int_equal(rate_update(&st, 0, 100, &r), 0);
	assert_float_equal(r, -1, 0);
}

static void steady_counter(void **state)
{
	(void)state;
	struct rate_state st = { 0 };
	double r;
	rate_update(&st, 0, 100, &r);
	assert_int_equal(rate_update(&st, 2, 300, &r), 1);
	assert_float_equal(r, 100, 1e-9);
}

static void reset_counts_from_zero(void **state)
{
	(void)state;
	struct rate_state st = { 0 };
	double r;
	rate_update(&st, 0, 1000, &r);
	/* the exporter restarted: the counter went back and counted 50 since */
	assert_int_equal(rate_update(&st, 5, 50, &r), 1);
	assert_float_equal(r, 10, 1e-9);
	assert_int_equal(st.resets, 1);
}

static void tiny_time_delta_gives_no_spike(void **state)
{
	(void)state;
	struct rate_state st = { 0 };
	double r = -1;
	rate_update(&st, 0, 0, &r);
	assert_int_equal(rate_update(&st, 0.001, 1000, &r), 0);
	assert_float_equal(r, -1, 0);
	/* the older reading is kept, so the next rate spans the whole interval */
	assert_int_equal(rate_update(&st, 1, 1000, &r), 1);
	assert_float_equal(r, 1000, 1e-9);
}

static void bad_input_restarts(void **state)
{
	(void)state;
	struct rate_state st = { 0 };
	double r;
	rate_update(&st, 10, 5, &r);
	assert_int_equal(rate_update(&st, 5, 10, &r), -1);      /* time went backwards */
	assert_int_equal(rate_update(&st, 6, NAN, &r), -1);
	assert_int_equal(rate_update(&st, 6, -1, &r), -1);
	assert_int_equal(rate_update(&st, 7, 10, &r), 0);       /* starts afresh */
	assert_int_equal(rate_update(&st, 8, 12, &r), 1);
	assert_float_equal(r, 2, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_reading_gives_nothing),
		cmocka_unit_test(steady_counter),
		cmocka_unit_test(reset_counts_from_zero),
		cmocka_unit_test(tiny_time_delta_gives_no_spike),
		cmocka_unit_test(bad_input_restarts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
