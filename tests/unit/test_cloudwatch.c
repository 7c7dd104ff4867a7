/*
 * test_cloudwatch.c - the CloudWatch source's pure parts (display delay,
 * poll times, instance keys, presets) and its construction: what a fleet
 * config that cannot work says, and that missing credentials are a health
 * line, not a failure.  The protocol against a signature-checking server is
 * tests/aws/perwatt-cloudwatch.sh.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/fleetcfg.h"
#include "core/model.h"
#include "fetch/cloudwatch.h"
#include "fetch/http.h"
#include "fetch/source.h"

static void test_delay(void **state)
{
	(void)state;
	/* period + settle + margin; a longer poll interval replaces the period */
	assert_true(cloudwatch_delay(60, 60, 60) == 60 + 60 + CLOUDWATCH_MARGIN);
	assert_true(cloudwatch_delay(60, 0, 0) == 60 + CLOUDWATCH_MARGIN);
	assert_true(cloudwatch_delay(60, 60, 300) == 300 + 60 + CLOUDWATCH_MARGIN);
	assert_true(cloudwatch_delay(0, -1, 0) == CLOUDWATCH_DEFAULT_PERIOD + CLOUDWATCH_DEFAULT_SETTLE + CLOUDWATCH_MARGIN);
}

static void test_next_poll(void **state)
{
	(void)state;
	/* one second after settle past the next boundary */
	assert_true(cloudwatch_next_poll(1000, 60, 0, 60, 0) == 1021);      /* boundary 1020 */
	assert_true(cloudwatch_next_poll(1020.5, 60, 0, 60, 0) == 1081);
	assert_true(cloudwatch_next_poll(1000, 60, 30, 60, 0) == 1051);     /* 1020 + 30 + 1 */
	assert_true(cloudwatch_next_poll(1055, 60, 30, 60, 0) == 1111);
	/* a 5-minute interval skips boundaries until it has passed */
	assert_true(cloudwatch_next_poll(1021, 60, 0, 300, 1021) == 1321);
	/* never twice for one boundary */
	double t = cloudwatch_next_poll(1021, 60, 0, 60, 1021);
	assert_true(t == 1081);
}

static void test_instance_key(void **state)
{
	(void)state;
	char buf[64];
	const char *n1[] = { "index", "InstanceId", "host" }, *v1[] = { "0", "i-0abc", "ip-1" };
	assert_string_equal(cloudwatch_instance_key(buf, sizeof buf, n1, v1, 3), "i-0abc");
	const char *n2[] = { "index", "host" }, *v2[] = { "1", "ip-10-0-0-1" };
	assert_string_equal(cloudwatch_instance_key(buf, sizeof buf, n2, v2, 2), "ip-10-0-0-1");
	const char *n3[] = { "AutoScalingGroupName", "Zone" }, *v3[] = { "web", "a" };
	assert_string_equal(cloudwatch_instance_key(buf, sizeof buf, n3, v3, 2), "AutoScalingGroupName=web,Zone=a");
	assert_string_equal(cloudwatch_instance_key(buf, sizeof buf, NULL, NULL, 0), "all");
	char tiny[8];
	cloudwatch_instance_key(tiny, sizeof tiny, n3, v3, 2);
	assert_int_equal(strlen(tiny), 7);      /* cut, terminated */
}

static void test_presets(void **state)
{
	(void)state;
	assert_true(cloudwatch_preset_known("cwagent-gpu"));
	assert_true(cloudwatch_preset_known("ec2"));
	assert_true(cloudwatch_preset_known("neuron"));
	assert_false(cloudwatch_preset_known("dcgm"));
	assert_false(cloudwatch_preset_known(NULL));
}

/* A config, as fleetcfg would make it. */
static void cfg(struct fleet_cfg *f, const char *name, const char *type, const char *preset)
{
	fleetcfg_init(f);
	f->name = strdup(name);
	f->source = FLEET_SRC_CLOUDWATCH;
	if (type)
		f->instance_type = strdup(type);
	if (preset)
		f->preset = strdup(preset);
	snprintf(f->origin, sizeof f->origin, "test.ini:1");
}

static struct source *make(struct model *m, struct http *h, struct fleet_cfg *f, size_t n, char *err, size_t errlen)
{
	struct cloudwatch_opts o = { .region = "us-east-1", .usd_per_1000 = NAN };
	return cloudwatch_source_new(m, h, f, n, &o, err, errlen);
}

static void test_config_errors(void **state)
{
	(void)state;
	struct model *m = model_new();
	struct http *h = http_new();
	assert_non_null(m);
	assert_non_null(h);
	char err[600];
	struct fleet_cfg f;

	cfg(&f, "inf2", "inf2.xlarge", "neuron");        /* no namespace */
	assert_null(make(m, h, &f, 1, err, sizeof err));
	assert_non_null(strstr(err, "test.ini:1: fleet inf2: the neuron preset needs namespace"));
	fleetcfg_free(&f);

	cfg(&f, "x", NULL, "ec2");                      /* which instances? */
	assert_null(make(m, h, &f, 1, err, sizeof err));
	assert_non_null(strstr(err, "set select = DIMENSION=VALUE"));
	fleetcfg_free(&f);

	cfg(&f, "y", "c7g.xlarge", "ec2");
	f.cw_period = 45;
	assert_null(make(m, h, &f, 1, err, sizeof err));
	assert_non_null(strstr(err, "period 45 s"));
	fleetcfg_free(&f);

	cfg(&f, "z", "c7g.xlarge", NULL);               /* nothing to read */
	assert_null(make(m, h, &f, 1, err, sizeof err));
	assert_non_null(strstr(err, "no figure"));
	fleetcfg_free(&f);

	cfg(&f, "s", "c7g.xlarge", NULL);               /* not a cloudwatch fleet: no source */
	f.source = FLEET_SRC_SCRAPE;
	assert_null(make(m, h, &f, 1, err, sizeof err));
	assert_string_equal(err, "");
	fleetcfg_free(&f);

	http_free(h);
	model_free(m);
}

/* No credentials anywhere: the fleet exists, its health says why, and the
 * cost of watching is known before the first call. */
static void test_no_credentials(void **state)
{
	(void)state;
	setenv("HOME", "/nonexistent-perwatt-home", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent-perwatt-home/c", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent-perwatt-home/f", 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct model *m = model_new();
	struct http *h = http_new();
	struct fleet_cfg f;
	cfg(&f, "gpu", "g5.xlarge", "cwagent-gpu");
	char err[600];
	struct source *s = make(m, h, &f, 1, err, sizeof err);
	assert_non_null(s);
	struct fleet *fl = model_fleet(m, "gpu");
	assert_non_null(fl);
	assert_string_equal(fl->instance_type, "g5.xlarge");
	assert_int_equal(fl->nhealth, 1);
	assert_string_equal(fl->health[0]->kind, "cloudwatch");
	/* nothing discovered yet: 0 metrics, $0/h; region and delay known */
	assert_non_null(strstr(fl->health[0]->target, "us-east-1"));
	assert_non_null(strstr(fl->health[0]->target, "0 metrics/poll every 60 s"));
	assert_non_null(strstr(fl->health[0]->target, "shown 125 s late"));
	s->ops->start(s, clock_now());
	s->ops->tick(s, clock_now());
	assert_int_equal(fl->health[0]->status, HEALTH_FAILING);
	assert_non_null(strstr(fl->health[0]->error, "AWS credentials"));
	s->ops->stop(s);
	fleetcfg_free(&f);
	http_free(h);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_next_poll),
		cmocka_unit_test(test_instance_key),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_no_credentials),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
