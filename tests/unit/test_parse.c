/* Tests of strict number, duration and rate parsing. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/parse.h"

static void numbers(void **state)
{
	(void)state;
	double v;
	assert_int_equal(parse_number("450e6", &v), 0);
	assert_float_equal(v, 450e6, 0);
	assert_int_equal(parse_number("1.5M", &v), 0);
	assert_float_equal(v, 1.5e6, 0);
	assert_int_equal(parse_number("0.25", &v), 0);
	assert_int_equal(parse_number("-3", &v), 0);
	assert_float_equal(v, -3, 0);
	const char *bad[] = { "", "abc", "1x", "nan", "inf", "0x10", "1e999", "1.5MM", " 1", "1 ", NULL };
	for (const char **b = bad; *b; b++)
		assert_int_equal(parse_number(*b, &v), -1);
	assert_int_equal(parse_number(NULL, &v), -1);
}

static void durations(void **state)
{
	(void)state;
	double s;
	assert_int_equal(parse_duration("90", &s), 0);
	assert_float_equal(s, 90, 0);
	assert_int_equal(parse_duration("1.5m", &s), 0);
	assert_float_equal(s, 90, 0);
	assert_int_equal(parse_duration("2h", &s), 0);
	assert_float_equal(s, 7200, 0);
	assert_int_equal(parse_duration("250ms", &s), 0);
	assert_float_equal(s, 0.25, 1e-12);
	assert_int_equal(parse_duration("-1s", &s), -1);
	assert_int_equal(parse_duration("5 parsecs", &s), -1);
	assert_int_equal(parse_duration("s", &s), -1);
}

static void rates(void **state)
{
	(void)state;
	double r;
	assert_int_equal(parse_rate("1000000/h", &r), 0);
	assert_float_equal(r, 1e6 / 3600, 1e-9);
	assert_int_equal(parse_rate("1M/h", &r), 0);
	assert_float_equal(r, 1e6 / 3600, 1e-9);
	assert_int_equal(parse_rate("300/s", &r), 0);
	assert_float_equal(r, 300, 0);
	assert_int_equal(parse_rate("60/min", &r), 0);
	assert_float_equal(r, 1, 0);
	assert_int_equal(parse_rate("300", &r), -1);       /* the unit of time must be said */
	assert_int_equal(parse_rate("/s", &r), -1);
	assert_int_equal(parse_rate("5/fortnight", &r), -1);
	assert_int_equal(parse_rate("x/s", &r), -1);
}

static void unsigned_ints(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(parse_u64("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("0xff", &v), 0);
	assert_int_equal(v, 255);
	assert_int_equal(parse_u64("-1", &v), -1);
	assert_int_equal(parse_u64("99999999999999999999999", &v), -1);
	assert_int_equal(parse_u64("4x", &v), -1);
	assert_int_equal(parse_u64("", &v), -1);
}

static void booleans(void **state)
{
	(void)state;
	bool b = false;
	assert_int_equal(parse_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(parse_bool("1", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("maybe", &b), -1);
	assert_int_equal(parse_bool("", &b), -1);
	assert_int_equal(parse_bool(NULL, &b), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers),
		cmocka_unit_test(durations),
		cmocka_unit_test(rates),
		cmocka_unit_test(unsigned_ints),
		cmocka_unit_test(booleans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
