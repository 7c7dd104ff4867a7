/* Tests of the headless report: the documented JSON schema, CSV and text. */
#include "config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/model.h"
#include "views/report.h"

static struct model *two_fleets(void)
{
	struct model *m = model_new();
	struct fleet *g = model_add_fleet(m, "gpu");
	struct fleet *i = model_add_fleet(m, "inf,\"quoted\"");
	fleet_set_str(&g->instance_type, "g4dn.2xlarge");
	fleet_set_str(&g->unit, "inferences");
	g->count = 2;
	g->usd_per_hour = 0.752;
	g->price_prov = PROV_ESTIMATED;
	g->baseline = true;
	i->count = 1;          /* no type, no price, no power: unknowns */
	for (int t = 0; t < 10; t++) {
		model_record(fleet_instance(g, "a", true), MET_THROUGHPUT, t, 8.6, PROV_MEASURED);
		model_record(fleet_instance(g, "b", true), MET_THROUGHPUT, t, 8.6, PROV_MEASURED);
		model_record(fleet_instance(g, "a", true), MET_POWER, t, 250, PROV_MEASURED);
		model_record(fleet_instance(g, "b", true), MET_POWER, t, 250, PROV_MEASURED);
		model_record(fleet_instance(i, "x", true), MET_THROUGHPUT, t, 54.2, PROV_MEASURED);
		model_tick(m, t);
	}
	struct source_health *h = fleet_add_source(g, "scrape", "http://127.0.0.1:9100/metrics");
	health_set_error(h, HEALTH_FAILING, "connection refused");
	return m;
}

static char *render(const struct model *m, enum report_format fmt)
{
	struct report_ctx ctx = { m, 9, 10, NULL, NULL };
	return report_render(&ctx, fmt);
}

static void json_schema(void **state)
{
	(void)state;
	struct model *m = two_fleets();
	char *s = render(m, REPORT_JSON);
	assert_non_null(s);
	/* no value is NaN or infinite ("provenance" contains "nan": look at values) */
	assert_null(strstr(s, ":\tnan"));
	assert_null(strstr(s, ":\t-nan"));
	assert_null(strstr(s, ":\tinf"));
	assert_null(strstr(s, "NaN"));
	cJSON *root = cJSON_Parse(s);
	assert_non_null(root);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "demo")));
	cJSON *fleets = cJSON_GetObjectItem(root, "fleets");
	assert_int_equal(cJSON_GetArraySize(fleets), 2);
	cJSON *g = cJSON_GetArrayItem(fleets, 0);
	assert_string_equal(cJSON_GetObjectItem(g, "name")->valuestring, "gpu");
	assert_string_equal(cJSON_GetObjectItem(g, "instance_type")->valuestring, "g4dn.2xlarge");
	assert_int_equal(cJSON_GetObjectItem(g, "instances")->valueint, 2);
	cJSON *thr = cJSON_GetObjectItem(g, "throughput");
	assert_string_equal(cJSON_GetObjectItem(thr, "unit")->valuestring, "inferences");
	assert_float_equal(cJSON_GetObjectItem(thr, "per_instance")->valuedouble, 8.6, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(thr, "total")->valuedouble, 17.2, 1e-9);
	assert_string_equal(cJSON_GetObjectItem(thr, "provenance")->valuestring, "measured");
	cJSON *pw = cJSON_GetObjectItem(g, "power_w");
	assert_float_equal(cJSON_GetObjectItem(pw, "total")->valuedouble, 500, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(g, "usd_per_hour")->valuedouble, 1.504, 1e-9);
	assert_string_equal(cJSON_GetObjectItem(g, "price_provenance")->valuestring, "estimated");
	assert_float_equal(cJSON_GetObjectItem(g, "joules_per_unit")->valuedouble, 250 / 8.6, 1e-4);
	assert_float_equal(cJSON_GetObjectItem(g, "usd_per_million")->valuedouble,
	                   1.504 / (17.2 * 3600) * 1e6, 1e-3);
	cJSON *src = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "sources"), 0);
	assert_string_equal(cJSON_GetObjectItem(src, "status")->valuestring, "failing");
	assert_string_equal(cJSON_GetObjectItem(src, "error")->valuestring, "connection refused");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(src, "latency_ms")));

	/* unknowns are null */
	cJSON *i = cJSON_GetArrayItem(fleets, 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(i, "instance_type")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(i, "usd_per_hour")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(i, "power_w"), "total")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(i, "usd_per_million")));
	assert_string_equal(cJSON_GetObjectItem(i, "price_provenance")->valuestring, "none");

	cJSON *cmp = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "comparison"), 0);
	assert_float_equal(cJSON_GetObjectItem(cmp, "throughput_per_instance_x")->valuedouble, 6.302, 1e-3);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cmp, "cost_per_unit_x")));
	cJSON_Delete(root);
	free(s);
	model_free(m);
}

static void csv_quotes_and_blanks(void **state)
{
	(void)state;
	struct model *m = two_fleets();
	snprintf(m->fleets[0]->price_source, sizeof m->fleets[0]->price_source, "table x, y");
	m->fleets[1]->projected = true;
	char *s = render(m, REPORT_CSV);
	assert_non_null(s);
	assert_true(strncmp(s, "fleet,instance_type,instances,", 30) == 0);
	assert_non_null(strstr(s, "\ngpu,g4dn.2xlarge,2,true,inferences,8.6,17.2,measured,250,500,"));
	assert_non_null(strstr(s, "\n\"inf,\"\"quoted\"\"\",,1,false,units,54.2,54.2,measured,,,none,"));
	assert_non_null(strstr(s, ",demo,price_source,projected\n"));
	assert_non_null(strstr(s, ",false,\"table x, y\",false\n"));     /* gpu */
	assert_non_null(strstr(s, ",false,unknown,true\n"));              /* inf: projected */
	/* every row has the header's column count (commas inside quotes aside) */
	size_t rows = 0;
	for (const char *p = s; *p; rows++) {
		size_t commas = 0;
		bool quoted = false;
		for (; *p && *p != '\n'; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == ',' && !quoted)
				commas++;
		}
		assert_false(quoted);
		assert_int_equal(commas, 18);
		if (*p)
			p++;
	}
	assert_int_equal(rows, 3);
	free(s);
	model_free(m);
}

static void text_is_readable(void **state)
{
	(void)state;
	struct model *m = two_fleets();
	m->demo = true;
	char *s = render(m, REPORT_TEXT);
	assert_non_null(s);
	assert_non_null(strstr(s, "perwatt DEMO"));
	assert_non_null(strstr(s, "gpu (baseline)  g4dn.2xlarge x 2"));
	assert_non_null(strstr(s, "17.2 inferences/s total"));
	assert_non_null(strstr(s, "  utilization   n/a\n"));     /* none reported */
	assert_non_null(strstr(s, "throughput per instance 6.30x"));
	free(s);
	model_free(m);
}

static void format_names(void **state)
{
	(void)state;
	assert_int_equal(report_format_parse("json"), REPORT_JSON);
	assert_int_equal(report_format_parse("csv"), REPORT_CSV);
	assert_int_equal(report_format_parse("text"), REPORT_TEXT);
	assert_int_equal(report_format_parse("xml"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_schema),
		cmocka_unit_test(csv_quotes_and_blanks),
		cmocka_unit_test(text_is_readable),
		cmocka_unit_test(format_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
