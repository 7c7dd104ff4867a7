/* Tests of number formatting and sanitizing. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/format.h"

#define CHECK(call, want) do { char b[64]; call; assert_string_equal(b, want); } while (0)

static void si_prefixes(void **state)
{
	(void)state;
	CHECK(fmt_si(b, sizeof b, 0, 0, NULL, false), "0");
	CHECK(fmt_si(b, sizeof b, 8.6, 0, NULL, false), "8.60");
	CHECK(fmt_si(b, sizeof b, 54.2, 0, NULL, false), "54.2");
	CHECK(fmt_si(b, sizeof b, 250, 0, "W", false), "250 W");
	CHECK(fmt_si(b, sizeof b, 8250, 0, "W", false), "8.25 kW");
	CHECK(fmt_si(b, sizeof b, 195120, 0, NULL, false), "195k");
	CHECK(fmt_si(b, sizeof b, 999.7, 0, NULL, false), "1.00k");  /* carry into the prefix */
	CHECK(fmt_si(b, sizeof b, 9.999, 0, NULL, false), "10.0");
	CHECK(fmt_si(b, sizeof b, 0.00123, 0, "J", false), "1.23 mJ");
	CHECK(fmt_si(b, sizeof b, 0.703, 0, NULL, false), "0.703");
	CHECK(fmt_si(b, sizeof b, 0.0123, 0, "J", false), "0.0123 J");
	CHECK(fmt_si(b, sizeof b, 0.9999, 0, NULL, false), "1.00");
	CHECK(fmt_si(b, sizeof b, 4.5e-6, 0, "J", false), "4.50 uJ");
	CHECK(fmt_si(b, sizeof b, 4.5e-6, 0, "J", true), "4.50 \xC2\xB5J");
	CHECK(fmt_si(b, sizeof b, -1500, 0, NULL, false), "-1.50k");
	CHECK(fmt_si(b, sizeof b, 3e30, 0, NULL, false), "3.00e+30"); /* beyond the prefixes */
	CHECK(fmt_si(b, sizeof b, 1e-20, 0, NULL, false), "1.00e-20");
}

static void unknown_is_na(void **state)
{
	(void)state;
	CHECK(fmt_si(b, sizeof b, NAN, 0, "W", false), "n/a");
	CHECK(fmt_si(b, sizeof b, INFINITY, 0, "W", false), "n/a");
	CHECK(fmt_usd(b, sizeof b, NAN, 0), "n/a");
	CHECK(fmt_duration(b, sizeof b, NAN, 0), "n/a");
	CHECK(fmt_ratio(b, sizeof b, NAN, 0), "n/a");
	CHECK(fmt_pct(b, sizeof b, NAN, 0), "n/a");
	CHECK(fmt_grouped(b, sizeof b, NAN, 0, 0), "n/a");
}

static void fixed_widths(void **state)
{
	(void)state;
	CHECK(fmt_si(b, sizeof b, 54.2, 7, NULL, false), "   54.2");
	CHECK(fmt_si(b, sizeof b, NAN, 5, NULL, false), "  n/a");
	/* the micro sign is two bytes but one column */
	CHECK(fmt_si(b, sizeof b, 4.5e-6, 8, "J", true), " 4.50 \xC2\xB5J");
	/* wider than asked: not truncated */
	CHECK(fmt_si(b, sizeof b, 195120, 2, NULL, false), "195k");
	/* the same width whatever the value */
	char a1[32], a2[32];
	fmt_si(a1, sizeof a1, 1.23, 6, NULL, false);
	fmt_si(a2, sizeof a2, 123000, 6, NULL, false);
	assert_int_equal(strlen(a1), strlen(a2));
}

static void money(void **state)
{
	(void)state;
	CHECK(fmt_usd(b, sizeof b, 0.752, 0), "$0.752");
	CHECK(fmt_usd(b, sizeof b, 24.816, 0), "$24.82");
	CHECK(fmt_usd(b, sizeof b, 791.2, 0), "$791");
	CHECK(fmt_usd(b, sizeof b, 2091, 0), "$2,091");
	CHECK(fmt_usd(b, sizeof b, 1234567, 0), "$1.23M");
	CHECK(fmt_usd(b, sizeof b, -5.5, 0), "-$5.50");
}

static void durations(void **state)
{
	(void)state;
	CHECK(fmt_duration(b, sizeof b, 12, 0), "12 s");
	CHECK(fmt_duration(b, sizeof b, 45 * 60, 0), "45 min");
	CHECK(fmt_duration(b, sizeof b, 2.3 * 3600, 0), "2.30 h");
	CHECK(fmt_duration(b, sizeof b, 3.1 * 86400, 0), "3.1 d");
	CHECK(fmt_duration(b, sizeof b, -1, 0), "n/a");
}

static void ratios_and_percentages(void **state)
{
	(void)state;
	CHECK(fmt_ratio(b, sizeof b, 6.3, 0), "6.30x");
	CHECK(fmt_ratio(b, sizeof b, 0.08, 0), "0.080x");
	CHECK(fmt_ratio(b, sizeof b, 150, 0), "150x");
	CHECK(fmt_pct(b, sizeof b, -92.04, 0), "-92%");
	CHECK(fmt_pct(b, sizeof b, 4.1, 0), "+4.1%");
	CHECK(fmt_pct(b, sizeof b, -0.01, 0), "0%");
	CHECK(fmt_pct(b, sizeof b, 1e9, 0), ">+1M%");
}

static void grouping(void **state)
{
	(void)state;
	CHECK(fmt_grouped(b, sizeof b, 1000000, 0, 0), "1,000,000");
	CHECK(fmt_grouped(b, sizeof b, 999, 0, 0), "999");
	CHECK(fmt_grouped(b, sizeof b, -30960.5, 1, 0), "-30,960.5");
	CHECK(fmt_grouped(b, sizeof b, 1e20, 0, 0), "n/a");
}

static void sanitize_strips_controls(void **state)
{
	(void)state;
	char b[64];
	fmt_sanitize(b, sizeof b, "ok\x1b[2Jbad\x07", true);
	assert_string_equal(b, "ok?[2Jbad?");
	fmt_sanitize(b, sizeof b, "tab\there", true);
	assert_string_equal(b, "tab here");
	/* C1 controls (CSI as U+009B) and invalid UTF-8 */
	fmt_sanitize(b, sizeof b, "a\xC2\x9B" "b\xFF" "c\xC0\xAF", true);
	assert_string_equal(b, "a??b?c??");
	/* valid UTF-8 passes when allowed, becomes ? when not */
	fmt_sanitize(b, sizeof b, "caf\xC3\xA9", true);
	assert_string_equal(b, "caf\xC3\xA9");
	fmt_sanitize(b, sizeof b, "caf\xC3\xA9", false);
	assert_string_equal(b, "caf??");
	/* truncation never splits a character */
	char small[5];
	fmt_sanitize(small, sizeof small, "abc\xC3\xA9", true);
	assert_string_equal(small, "abc");
	fmt_sanitize(b, sizeof b, NULL, true);
	assert_string_equal(b, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(si_prefixes),
		cmocka_unit_test(unknown_is_na),
		cmocka_unit_test(fixed_widths),
		cmocka_unit_test(money),
		cmocka_unit_test(durations),
		cmocka_unit_test(ratios_and_percentages),
		cmocka_unit_test(grouping),
		cmocka_unit_test(sanitize_strips_controls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
