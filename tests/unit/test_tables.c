/* Tests of the shipped tables and their loader. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/tables.h"

static void builtin_tables(void **state)
{
	(void)state;
	struct tables t;
	char err[256];
	tables_init(&t);
	assert_int_equal(tables_load_builtin(&t, err, sizeof err), 0);
	/* every accelerator family the issue names has a us-east-1 price */
	const char *types[] = { "inf1.2xlarge", "inf2.xlarge", "trn1.32xlarge", "trn1n.32xlarge",
		"g4dn.2xlarge", "g5.xlarge", "g6.xlarge", "p3.2xlarge", "p4d.24xlarge", "p5.48xlarge",
		"c7g.xlarge", "m7g.xlarge", "c6i.xlarge", "c7i.xlarge", NULL };
	for (const char **ty = types; *ty; ty++) {
		const struct price_row *p = tables_price(&t, *ty, "us-east-1");
		if (!p)
			fail_msg("no price for %s", *ty);
		assert_true(p->usd_per_hour > 0);
		assert_true(p->source[0] && p->date[0]);
	}
	assert_float_equal(tables_price(&t, "inf1.2xlarge", "us-east-1")->usd_per_hour, 0.362, 0);
	/* unconfirmed prices are absent, so shown as unknown */
	assert_null(tables_price(&t, "trn2.48xlarge", "us-east-1"));
	assert_null(tables_price(&t, "inf1.2xlarge", "xx-nowhere-1"));
	assert_null(tables_price(&t, NULL, "us-east-1"));

	assert_float_equal(tables_grid(&t, "us-east-1")->g_per_kwh, 379.069, 1e-9);
	assert_float_equal(tables_grid(&t, "eu-north-1")->g_per_kwh, 8.8, 1e-9);
	assert_null(tables_grid(&t, "mars-1"));

	const struct power_row *pw = tables_power(&t, "p4d.24xlarge");
	assert_non_null(pw);
	assert_float_equal(power_estimate(pw, 0), pw->idle_w, 1e-9);
	assert_float_equal(power_estimate(pw, 100), pw->max_w, 1e-9);
	assert_float_equal(power_estimate(pw, 50), (pw->idle_w + pw->max_w) / 2, 1e-9);
	assert_float_equal(power_estimate(pw, 150), pw->max_w, 1e-9);   /* clamped */
	assert_true(isnan(power_estimate(pw, NAN)));
	assert_true(isnan(power_estimate(NULL, 50)));
	assert_null(tables_power(&t, "inf2.xlarge"));                   /* no public rating */
	tables_free(&t);
}

static void malformed_rows_name_their_line(void **state)
{
	(void)state;
	static const struct { int which; const char *text, *want; } cases[] = {
		{ 0, "# c\ninstance_type,region,usd_per_hour,source,date\ng4dn.xlarge,us-east-1,abc,s,d\n",
		  "p.csv:3: usd_per_hour 'abc' is not a number" },
		{ 0, "instance_type,region,usd_per_hour,source,date\ng4dn.xlarge,us-east-1,1\n",
		  "p.csv:2: 3 fields, want 5" },
		{ 0, "instance_type,region,usd_per_hour,source,date\ng4dn.xlarge,us-east-1,-1,s,d\n",
		  "p.csv:2: usd_per_hour '-1'" },
		{ 0, "instance_type,region,usd_per_hour,source,date\n,us-east-1,1,s,d\n",
		  "p.csv:2: instance_type is empty" },
		{ 0, "type,price\n", "p.csv:1: the header must be" },
		{ 0, "# only comments\n", "p.csv: no header line" },
		{ 1, "region,g_co2e_per_kwh,source,year\nus-east-1,379,ccf,1850\n", "p.csv:2: year '1850'" },
		{ 1, "region,g_co2e_per_kwh,source,year\nus-east-1,nan,ccf,2020\n", "p.csv:2: g_co2e_per_kwh 'nan'" },
		{ 2, "instance_type,idle_w,max_w,source\nx,100,50,s\n", "p.csv:2: max_w 50 is below idle_w 100" },
		{ 2, "instance_type,idle_w,max_w,source\nx,1,2,\"quoted\"\n", "p.csv:2: source has a control character or a quote" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tables t;
		char err[256] = "";
		tables_init(&t);
		int r = cases[i].which == 0 ? tables_parse_prices(&t, cases[i].text, "p.csv", err, sizeof err)
		      : cases[i].which == 1 ? tables_parse_grid(&t, cases[i].text, "p.csv", err, sizeof err)
		      : tables_parse_power(&t, cases[i].text, "p.csv", err, sizeof err);
		assert_int_equal(r, -1);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
		tables_free(&t);
	}
}

static void overrides_replace_rows(void **state)
{
	(void)state;
	struct tables t;
	char err[256];
	tables_init(&t);
	assert_int_equal(tables_load_builtin(&t, err, sizeof err), 0);
	size_t n = t.nprice, ng = t.ngrid;
	assert_int_equal(tables_parse_prices(&t, "instance_type,region,usd_per_hour,source,date\r\n"
	                                        " inf1.2xlarge , us-east-1 , 0.30 , my-contract , 2026-11-01\r\n"
	                                        "inf1.2xlarge,eu-west-1,0.40,my-contract,2026-11-01\n",
	                                     "mine.csv", err, sizeof err), 0);
	assert_int_equal(t.nprice, n + 1);
	assert_float_equal(tables_price(&t, "inf1.2xlarge", "us-east-1")->usd_per_hour, 0.30, 0);
	assert_string_equal(tables_price(&t, "inf1.2xlarge", "us-east-1")->source, "my-contract");
	assert_float_equal(tables_price(&t, "inf1.2xlarge", "eu-west-1")->usd_per_hour, 0.40, 0);
	assert_int_equal(tables_parse_grid(&t, "region,g_co2e_per_kwh,source,year\nus-east-1,300,mine,2025\n",
	                                   "g.csv", err, sizeof err), 0);
	assert_int_equal(t.ngrid, ng);
	assert_float_equal(tables_grid(&t, "us-east-1")->g_per_kwh, 300, 0);
	tables_free(&t);
}

static void throughput_ratios(void **state)
{
	(void)state;
	struct tables t;
	char err[256];
	tables_init(&t);
	assert_int_equal(tables_load_builtin(&t, err, sizeof err), 0);
	const char *src = NULL;
	/* the published comparison, both ways */
	assert_float_equal(tables_ratio(&t, "g4dn.2xlarge", "inf1.2xlarge", &src), 6.3, 1e-9);
	assert_non_null(strstr(src, "aws-ml-blog-2023"));
	assert_float_equal(tables_ratio(&t, "inf1.2xlarge", "g4dn.2xlarge", NULL), 1 / 6.3, 1e-9);
	assert_true(isnan(tables_ratio(&t, "g5.xlarge", "inf2.xlarge", NULL)));
	assert_true(isnan(tables_ratio(&t, NULL, "inf2.xlarge", NULL)));
	/* an override replaces the pair; a bad ratio names its line */
	assert_int_equal(tables_parse_ratios(&t, "from_type,to_type,ratio,source\ng5.xlarge,inf2.xlarge,3.1,mine\n",
	                                     "r.csv", err, sizeof err), 0);
	assert_float_equal(tables_ratio(&t, "inf2.xlarge", "g5.xlarge", NULL), 1 / 3.1, 1e-9);
	assert_int_equal(tables_parse_ratios(&t, "from_type,to_type,ratio,source\na,b,-2,x\n", "r.csv", err,
	                                     sizeof err), -1);
	assert_non_null(strstr(err, "r.csv:2"));
	tables_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_tables),
		cmocka_unit_test(malformed_rows_name_their_line),
		cmocka_unit_test(overrides_replace_rows),
		cmocka_unit_test(throughput_ratios),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
