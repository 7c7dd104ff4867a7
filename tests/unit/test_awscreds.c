/*
 * Tests of the AWS credential, region and endpoint chain (fetch/awscreds.c).
 *
 * The synchronous half reads the fixtures in tests/fixtures/aws/ (HOME and
 * the AWS_* variables are set per test; every test starts from an
 * environment without any AWS_* variable).  The asynchronous half runs
 * against tests/servers/imds.py (a fake IMDS and container endpoint; skipped
 * when python3 is missing) through a real source set with the HTTP driver,
 * like the program's loop.  Every status and error text seen is checked for
 * secrets: the fixtures' and the server's all contain S3KR1T or T0K3N.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#include "fetch/awscreds.h"
#include "fetch/http.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define FIX TOP_SRCDIR "/tests/fixtures/aws"
#define CONTAINER_TOKEN "CONTAINER-T0K3N-perwatt"

extern char **environ;

static struct testlib_server srv;

/* ---- environment ----------------------------------------------------------- */

/* Removes every AWS_* variable and points HOME at the fixture home. */
static int env_reset(void **state)
{
	(void)state;
	for (;;) {
		char name[256] = "";
		for (char **e = environ; *e; e++)
			if (strncmp(*e, "AWS_", 4) == 0) {
				size_t n = strcspn(*e, "=");
				if (n < sizeof name) {
					memcpy(name, *e, n);
					name[n] = '\0';
				}
				break;
			}
		if (!name[0])
			break;
		unsetenv(name);
	}
	setenv("HOME", FIX "/home", 1);
	/* the requests go to 127.0.0.1: never through a proxy */
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
	setenv("no_proxy", "127.0.0.1,localhost", 1);
	return 0;
}

static void set_env(const char *name, const char *value)
{
	assert_int_equal(setenv(name, value, 1), 0);
}

/* ---- checks ----------------------------------------------------------------- */

static bool clean(const char *s)
{
	return !s || (testlib_clean_text(s) && !strstr(s, "S3KR1T") && !strstr(s, "T0K3N"));
}

#define assert_clean(s) do { \
	const char *s_ = (s); \
	if (!clean(s_)) \
		fail_msg("leaks a secret or a control character: \"%s\"", s_); \
} while (0)

/* status and error text hold no secret, and the status shows at most the key
 * id's last four characters */
static void check_texts(const struct awscreds *c)
{
	char buf[AWSCREDS_STATUS_MAX];
	const char *st = awscreds_status(c, buf, sizeof buf);
	assert_clean(st);
	assert_clean(awscreds_error(c));
	const struct awscreds_value *v = awscreds_get(c);
	if (v) {
		assert_lacks(st, v->secret);
		if (v->token[0])
			assert_lacks(st, v->token);
		assert_lacks(st, v->akid);
		assert_has(st, v->akid + strlen(v->akid) - 4);
	}
}

static struct awscreds *mk(struct http *h, const struct awscreds_options *o)
{
	char err[AWSCREDS_ERROR_MAX] = "";
	struct awscreds *c = awscreds_new(h, o, err, sizeof err);
	if (!c)
		fail_msg("awscreds_new failed: %s", err);
	check_texts(c);
	return c;
}

/* awscreds_new() fails, with a clean message holding each of the needles */
static void mk_fails(const struct awscreds_options *o, const char *n1, const char *n2)
{
	char err[AWSCREDS_ERROR_MAX] = "";
	struct awscreds *c = awscreds_new(NULL, o, err, sizeof err);
	if (c) {
		awscreds_free(c);
		fail_msg("awscreds_new succeeded; expected an error with \"%s\"", n1);
	}
	assert_clean(err);
	assert_has(err, n1);
	if (n2)
		assert_has(err, n2);
}

static void endpoint_is(const struct awscreds *c, const char *svc, const char *want, const char *src)
{
	char buf[AWSCREDS_URL_MAX];
	if (awscreds_endpoint(c, svc, buf, sizeof buf) != 0)
		fail_msg("no %s endpoint: %s", svc, buf);
	assert_string_equal(buf, want);
	if (src)
		assert_string_equal(awscreds_endpoint_source(c, svc), src);
}

/* ---- the environment provider ------------------------------------------------- */

static void env_keys(void **state)
{
	(void)state;
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env/S3KR1T/key0000000000000000000000000");
	set_env("AWS_SESSION_TOKEN", "IQoJenvT0K3N==");
	struct awscreds *c = mk(NULL, NULL);
	assert_int_equal(awscreds_state(c), AWSCREDS_READY);
	const struct awscreds_value *v = awscreds_get(c);
	assert_non_null(v);
	assert_string_equal(v->akid, "AKIAENVEXAMPLE00WXYZ");
	assert_string_equal(v->secret, "env/S3KR1T/key0000000000000000000000000");
	assert_string_equal(v->token, "IQoJenvT0K3N==");
	assert_string_equal(v->source, "env");
	assert_true(v->expires == 0);
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(c, buf, sizeof buf), "env, key ...WXYZ");
	assert_null(awscreds_error(c));
	assert_false(awscreds_pending(c));
	/* nothing to do on the loop: no HTTP driver needed */
	assert_int_equal(awscreds_start(c, clock_now()), 0);
	assert_true(isinf(awscreds_tick(c, clock_now())));
	/* the profile still gives the region */
	assert_string_equal(awscreds_region(c), "us-west-2");
	check_texts(c);
	awscreds_free(c);
}

static void env_partial_keys(void **state)
{
	(void)state;
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	mk_fails(NULL, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", NULL);
	unsetenv("AWS_ACCESS_KEY_ID");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T");
	mk_fails(NULL, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not", NULL);
	/* a secret with a space or a line break could not go into a header */
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "bad S3KR1T\r\nX-Injected: 1");
	mk_fails(NULL, "AWS_SECRET_ACCESS_KEY is empty or holds characters", NULL);
}

static void env_expiration(void **state)
{
	(void)state;
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	char when[64];
	time_t t = time(NULL) + 3 * 3600;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	set_env("AWS_CREDENTIAL_EXPIRATION", when);
	struct awscreds *c = mk(NULL, NULL);
	const struct awscreds_value *v = awscreds_get(c);
	assert_non_null(v);
	assert_true(fabs(v->expires - (double)t) < 1);
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(c, buf, sizeof buf), "expires in 2 h 59 min");
	/* the deadline is the expiry (env credentials cannot be refreshed) */
	double d = awscreds_tick(c, clock_now());
	assert_true(d > clock_now() + 3 * 3600 - 5 && d < clock_now() + 3 * 3600 + 5);
	awscreds_free(c);

	/* offsets and fractions */
	set_env("AWS_CREDENTIAL_EXPIRATION", "2999-01-01T02:00:00.250+02:00");
	c = mk(NULL, NULL);
	assert_true(fabs(awscreds_get(c)->expires - 32472144000.25) < 1e-3);
	awscreds_free(c);

	set_env("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00Z");
	mk_fails(NULL, "expired at 2001-01-01 00:00:00 UTC", "export fresh ones");
	set_env("AWS_CREDENTIAL_EXPIRATION", "tomorrow");
	mk_fails(NULL, "AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 time", NULL);
}

/* Credentials that expire while the program runs stop being handed out. */
static void env_expires_while_running(void **state)
{
	(void)state;
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	char when[64];
	time_t t = time(NULL) + 2;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	set_env("AWS_CREDENTIAL_EXPIRATION", when);
	struct awscreds *c = mk(NULL, NULL);
	assert_non_null(awscreds_get(c));
	double d = awscreds_tick(c, clock_now());
	assert_true(d <= clock_now() + 2.1);
	/* past the deadline */
	awscreds_tick(c, d + 0.01);
	assert_null(awscreds_get(c));
	assert_int_equal(awscreds_state(c), AWSCREDS_FAILED);
	assert_has(awscreds_error(c), "expired at");
	assert_has(awscreds_error(c), "export fresh ones and restart");
	check_texts(c);
	awscreds_free(c);
}

/* ---- profiles ---------------------------------------------------------------- */

static void profile_default(void **state)
{
	(void)state;
	struct awscreds *c = mk(NULL, NULL);
	const struct awscreds_value *v = awscreds_get(c);
	assert_non_null(v);
	assert_string_equal(v->source, "profile default");
	assert_string_equal(v->akid, "AKIADEFAULTEXAMPLE01");
	/* "; a comment" after white space is gone */
	assert_string_equal(v->secret, "wJalrXUtnFEMI/K7MDENG/S3KR1Tdefault00000");
	assert_string_equal(v->token, "");
	assert_string_equal(awscreds_region(c), "us-west-2");
	assert_string_equal(awscreds_region_source(c), "profile 'default'");
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(c, buf, sizeof buf), "profile default, key ...LE01");
	assert_has(buf, "region us-west-2 (profile 'default')");
	awscreds_free(c);
}

/* The credentials file wins over the config file, key by key. */
static void profile_merge(void **state)
{
	(void)state;
	set_env("AWS_PROFILE", "dev");
	struct awscreds *c = mk(NULL, NULL);
	const struct awscreds_value *v = awscreds_get(c);
	assert_non_null(v);
	assert_string_equal(v->source, "profile dev");
	assert_string_equal(v->akid, "AKIADEVEXAMPLE000002");
	/* '#' and ';' not after white space are part of the value */
	assert_string_equal(v->secret, "dev#S3KR1T;not-a-comment");
	assert_string_equal(v->token, "FwoGZXIvYXdzT0K3Ndev");
	assert_string_equal(awscreds_region(c), "eu-north-1");
	awscreds_free(c);
}

/* --profile skips the environment's keys; AWS_PROFILE does not (as the CLI). */
static void profile_vs_env(void **state)
{
	(void)state;
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	struct awscreds_options o = { .profile = "dev" };
	struct awscreds *c = mk(NULL, &o);
	assert_string_equal(awscreds_get(c)->source, "profile dev");
	awscreds_free(c);

	set_env("AWS_PROFILE", "dev");
	c = mk(NULL, NULL);
	assert_string_equal(awscreds_get(c)->source, "env");
	assert_string_equal(awscreds_region(c), "eu-north-1");  /* the profile's */
	awscreds_free(c);

	/* the option wins over AWS_PROFILE */
	set_env("AWS_PROFILE", "nope");
	o.profile = "default";
	c = mk(NULL, &o);
	assert_string_equal(awscreds_get(c)->source, "profile default");
	awscreds_free(c);
}

static void profile_not_found(void **state)
{
	(void)state;
	set_env("AWS_PROFILE", "nope");
	mk_fails(NULL, "profile 'nope' (AWS_PROFILE) not found in", FIX "/home/.aws/config");
	struct awscreds_options o = { .profile = "nope2" };
	mk_fails(&o, "profile 'nope2' (--profile) not found", FIX "/home/.aws/credentials");
	/* [oops] in the config file is not a profile: say how to write it */
	set_env("AWS_PROFILE", "oops");
	mk_fails(NULL, "profile 'oops'", "write [profile oops]");
	/* an implicit "default" that does not exist is no error */
	set_env("HOME", FIX "/alt");
	unsetenv("AWS_PROFILE");
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	set_env("AWS_EC2_METADATA_DISABLED", "true");
	struct awscreds *c = mk(NULL, NULL);
	assert_null(awscreds_region(c));
	awscreds_free(c);
}

static void profile_quoted_name(void **state)
{
	(void)state;
	set_env("AWS_PROFILE", "quoted");
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	struct awscreds *c = mk(NULL, NULL);
	assert_string_equal(awscreds_region(c), "sa-east-1");
	awscreds_free(c);
}

static void file_variables(void **state)
{
	(void)state;
	set_env("AWS_CONFIG_FILE", FIX "/alt/config");
	set_env("AWS_SHARED_CREDENTIALS_FILE", FIX "/alt/credentials");
	set_env("AWS_PROFILE", "alt");
	struct awscreds *c = mk(NULL, NULL);
	assert_string_equal(awscreds_get(c)->akid, "AKIAALTEXAMPLE000003");
	assert_string_equal(awscreds_region(c), "me-south-1");
	awscreds_free(c);

	/* ~/ means HOME */
	set_env("HOME", FIX);
	set_env("AWS_CONFIG_FILE", "~/alt/config");
	set_env("AWS_SHARED_CREDENTIALS_FILE", "~/alt/credentials");
	c = mk(NULL, NULL);
	assert_string_equal(awscreds_get(c)->source, "profile alt");
	awscreds_free(c);

	/* missing files are no error; /dev/null is an empty file */
	unsetenv("AWS_PROFILE");
	set_env("AWS_CONFIG_FILE", "/dev/null");
	set_env("AWS_SHARED_CREDENTIALS_FILE", FIX "/does-not-exist");
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	set_env("AWS_REGION", "us-east-1");
	c = mk(NULL, NULL);
	assert_string_equal(awscreds_get(c)->source, "env");
	awscreds_free(c);

	/* no HOME at all */
	unsetenv("HOME");
	unsetenv("AWS_CONFIG_FILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	c = mk(NULL, NULL);
	assert_string_equal(awscreds_region(c), "us-east-1");
	awscreds_free(c);
	set_env("AWS_CONFIG_FILE", "~/x");
	mk_fails(NULL, "AWS_CONFIG_FILE starts with ~/ but HOME is not set", NULL);

	/* a directory cannot be read */
	set_env("AWS_CONFIG_FILE", FIX);
	mk_fails(NULL, "cannot read " FIX, NULL);
}

static void comments_and_crlf(void **state)
{
	(void)state;
	char path[] = "/tmp/perwatt-test-awscreds-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "\xef\xbb\xbf# CRLF line ends, as Windows editors write\r\n"
	                    "[default]\r\n"
	                    "region = eu-south-1 ;comment\r\n"
	                    "aws_access_key_id=AKIACRLFEXAMPLE00001\r\n"
	                    "aws_secret_access_key\t=\tcrlf-S3KR1T\r\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	set_env("AWS_SHARED_CREDENTIALS_FILE", path);
	set_env("AWS_CONFIG_FILE", "/dev/null");
	struct awscreds *c = mk(NULL, NULL);
	unlink(path);
	const struct awscreds_value *v = awscreds_get(c);
	assert_string_equal(v->akid, "AKIACRLFEXAMPLE00001");
	assert_string_equal(v->secret, "crlf-S3KR1T");
	assert_string_equal(awscreds_region(c), "eu-south-1");
	awscreds_free(c);
}

/* ---- region ------------------------------------------------------------------ */

static void region_precedence(void **state)
{
	(void)state;
	struct awscreds_options o = { .region = "ap-south-1" };
	set_env("AWS_REGION", "us-east-1");
	set_env("AWS_DEFAULT_REGION", "us-east-2");
	struct awscreds *c = mk(NULL, &o);
	assert_string_equal(awscreds_region(c), "ap-south-1");
	assert_string_equal(awscreds_region_source(c), "--region");
	awscreds_free(c);
	c = mk(NULL, NULL);
	assert_string_equal(awscreds_region(c), "us-east-1");
	assert_string_equal(awscreds_region_source(c), "AWS_REGION");
	awscreds_free(c);
	unsetenv("AWS_REGION");
	c = mk(NULL, NULL);
	assert_string_equal(awscreds_region(c), "us-east-2");
	assert_string_equal(awscreds_region_source(c), "AWS_DEFAULT_REGION");
	awscreds_free(c);
	unsetenv("AWS_DEFAULT_REGION");
	c = mk(NULL, NULL);
	assert_string_equal(awscreds_region(c), "us-west-2");
	awscreds_free(c);

	/* a region ends up in a host name: only [a-z0-9-] */
	set_env("AWS_REGION", "evil.example.com/x");
	mk_fails(NULL, "the region from AWS_REGION is not a region name", NULL);
	o.region = "US-EAST-1";
	mk_fails(&o, "the region from --region", NULL);
}

/* ---- endpoints --------------------------------------------------------------- */

static void default_endpoints(void **state)
{
	(void)state;
	struct awscreds *c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "https://monitoring.us-west-2.amazonaws.com/", "default");
	endpoint_is(c, "pricing", "https://api.pricing.us-east-1.amazonaws.com/", "default");
	char buf[128];
	assert_int_equal(awscreds_sigv4(c, "cloudwatch", buf, sizeof buf), 0);
	assert_string_equal(buf, "aws:amz:us-west-2:monitoring");
	assert_int_equal(awscreds_sigv4(c, "pricing", buf, sizeof buf), 0);
	assert_string_equal(buf, "aws:amz:us-east-1:pricing");
	assert_int_equal(awscreds_endpoint(c, "s3", buf, sizeof buf), -1);
	assert_has(buf, "unknown AWS service");
	assert_int_equal(awscreds_sigv4(c, "s3", buf, sizeof buf), -1);
	assert_null(awscreds_endpoint_source(c, "s3"));
	/* too small a buffer is an error, not a cut URL */
	char tiny[16];
	assert_int_equal(awscreds_endpoint(c, "cloudwatch", tiny, sizeof tiny), -1);
	awscreds_free(c);

	/* China */
	set_env("AWS_PROFILE", "china");
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "https://monitoring.cn-north-1.amazonaws.com.cn/", NULL);
	awscreds_free(c);

	/* no region: no CloudWatch endpoint, but pricing still works */
	set_env("HOME", FIX "/alt");
	unsetenv("AWS_PROFILE");
	set_env("AWS_EC2_METADATA_DISABLED", "TRUE");
	c = mk(NULL, NULL);
	assert_null(awscreds_region(c));
	assert_int_equal(awscreds_endpoint(c, "cloudwatch", buf, sizeof buf), -1);
	assert_has(buf, "no AWS region");
	assert_int_equal(awscreds_sigv4(c, "cloudwatch", buf, sizeof buf), -1);
	endpoint_is(c, "pricing", "https://api.pricing.us-east-1.amazonaws.com/", NULL);
	char st[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(c, st, sizeof st), "no region: set AWS_REGION or --region");
	awscreds_free(c);
}

static void endpoint_overrides(void **state)
{
	(void)state;
	/* the profile's [services] sub-sections, then its endpoint_url */
	set_env("AWS_PROFILE", "endpoints");
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	struct awscreds *c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "http://127.0.0.1:4599/",
	            "profile 'endpoints', [services local-stack] cloudwatch");
	endpoint_is(c, "pricing", "https://pricing.example.test/base",
	            "profile 'endpoints', [services local-stack] pricing");
	char buf[128];
	assert_int_equal(awscreds_sigv4(c, "cloudwatch", buf, sizeof buf), 0);
	assert_string_equal(buf, "aws:amz:ap-southeast-2:monitoring");
	awscreds_free(c);

	/* AWS_ENDPOINT_URL beats the files, AWS_ENDPOINT_URL_<SERVICE> beats it */
	set_env("AWS_ENDPOINT_URL", "http://localhost:4566");
	c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "http://localhost:4566/", "AWS_ENDPOINT_URL");
	endpoint_is(c, "pricing", "http://localhost:4566/", "AWS_ENDPOINT_URL");
	awscreds_free(c);
	set_env("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:9/cw");
	set_env("AWS_ENDPOINT_URL_PRICING", "https://p.example.test:8443");
	c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "http://127.0.0.1:9/cw", "AWS_ENDPOINT_URL_CLOUDWATCH");
	endpoint_is(c, "pricing", "https://p.example.test:8443/", "AWS_ENDPOINT_URL_PRICING");
	awscreds_free(c);

	/* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true: every one of them ignored */
	set_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
	c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "https://monitoring.ap-southeast-2.amazonaws.com/", "default");
	endpoint_is(c, "pricing", "https://api.pricing.us-east-1.amazonaws.com/", "default");
	awscreds_free(c);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH");
	unsetenv("AWS_ENDPOINT_URL_PRICING");

	/* a profile's endpoint_url alone */
	set_env("AWS_PROFILE", "globalonly");
	c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "https://global.example.test/", "profile 'globalonly' endpoint_url");
	endpoint_is(c, "pricing", "https://global.example.test/", NULL);
	awscreds_free(c);

	/* ignore_configured_endpoint_urls in the profile; the variable wins over it */
	set_env("AWS_PROFILE", "ignoring");
	c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "https://monitoring.us-east-2.amazonaws.com/", "default");
	awscreds_free(c);
	set_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
	c = mk(NULL, NULL);
	endpoint_is(c, "cloudwatch", "https://global.example.test/", NULL);
	awscreds_free(c);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

	/* bad URLs are errors that do not quote them (a password could be in it) */
	set_env("AWS_PROFILE", "endpoints");
	set_env("AWS_ENDPOINT_URL_CLOUDWATCH", "ftp://user:S3KR1T@host/");
	mk_fails(NULL, "AWS_ENDPOINT_URL_CLOUDWATCH is not an http:// or https:// URL", NULL);
	set_env("AWS_ENDPOINT_URL_CLOUDWATCH", "http://host/a b");
	mk_fails(NULL, "AWS_ENDPOINT_URL_CLOUDWATCH holds spaces", NULL);
	set_env("AWS_ENDPOINT_URL_CLOUDWATCH", "https:///path");
	mk_fails(NULL, "has no host", NULL);
}

/* ---- what perwatt does not support ------------------------------------------ */

static void unsupported_providers(void **state)
{
	(void)state;
	set_env("AWS_CONFIG_FILE", FIX "/unsupported/config");
	static const struct {
		const char *profile, *what;
	} cases[] = {
		{ "sso", "AWS IAM Identity Center" },
		{ "legacy-sso", "AWS IAM Identity Center" },
		{ "process", "credential_process" },
		{ "role", "an assumed role (role_arn)" },
		{ "webid", "web identity (web_identity_token_file)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		set_env("AWS_PROFILE", cases[i].profile);
		char who[64], cmd[96];
		snprintf(who, sizeof who, "profile '%s' uses %s", cases[i].profile, cases[i].what);
		snprintf(cmd, sizeof cmd, "aws configure export-credentials --profile %s --format env",
		         cases[i].profile);
		mk_fails(NULL, who, cmd);
		mk_fails(NULL, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", NULL);
	}
	/* static keys beside credential_process are used, as the SDKs do */
	set_env("AWS_PROFILE", "process-with-keys");
	struct awscreds *c = mk(NULL, NULL);
	assert_string_equal(awscreds_get(c)->akid, "AKIAPROCESSKEYS00001");
	awscreds_free(c);
	/* half a key pair */
	set_env("AWS_PROFILE", "half");
	mk_fails(NULL, "profile 'half' has aws_access_key_id but no aws_secret_access_key", NULL);
	/* exported keys win over an SSO AWS_PROFILE: the advice works */
	set_env("AWS_PROFILE", "sso");
	set_env("AWS_ACCESS_KEY_ID", "ASIAEXPORTEDKEY00001");
	set_env("AWS_SECRET_ACCESS_KEY", "exported-S3KR1T");
	set_env("AWS_SESSION_TOKEN", "exported-T0K3N");
	c = mk(NULL, NULL);
	assert_string_equal(awscreds_get(c)->source, "env");
	assert_string_equal(awscreds_region(c), "us-east-1");
	awscreds_free(c);
	/* web identity from the environment (EKS IRSA), with no profile keys */
	set_env("HOME", FIX "/alt");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	set_env("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks/token");
	set_env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/x");
	mk_fails(NULL, "AWS_WEB_IDENTITY_TOKEN_FILE", "export-credentials --format env");
}

static void no_credentials(void **state)
{
	(void)state;
	set_env("HOME", FIX "/alt");
	set_env("AWS_EC2_METADATA_DISABLED", "true");
	mk_fails(NULL, "no AWS credentials found", "export-credentials");
	mk_fails(NULL, "instance metadata is disabled", "AWS_ACCESS_KEY_ID");
}

/* ---- malformed files -------------------------------------------------------------- */

static void malformed_files(void **state)
{
	(void)state;
	static const struct {
		const char *file, *line, *msg;
	} cases[] = {
		{ "noequals", ":3: ", "expected 'key = value' or a [section]" },
		{ "unclosed", ":2: ", "without its closing ']'" },
		{ "outside", ":2: ", "a setting before any [section]" },
		{ "nokey", ":4: ", "'=' without a key" },
		{ "emptyname", ":3: ", "a section without a name" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char path[512], where[600];
		snprintf(path, sizeof path, FIX "/malformed/%s", cases[i].file);
		snprintf(where, sizeof where, "%s%s", path, cases[i].line);
		set_env("AWS_CONFIG_FILE", path);
		mk_fails(NULL, where, cases[i].msg);
	}
	/* in the credentials file; the line (a bare secret) is never quoted */
	set_env("AWS_CONFIG_FILE", "/dev/null");
	set_env("AWS_SHARED_CREDENTIALS_FILE", FIX "/malformed/credentials");
	mk_fails(NULL, FIX "/malformed/credentials:5: expected", NULL);
	/* a NUL byte */
	char tmp[] = "/tmp/perwatt-test-awscreds-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[default]\nregion = a\0b\n", 23), 23);
	close(fd);
	set_env("AWS_SHARED_CREDENTIALS_FILE", tmp);
	mk_fails(NULL, ":2: a NUL byte", NULL);
	unlink(tmp);
}

/* ---- container and IMDS settings checked without the network ------------------- */

static void container_uri_checks(void **state)
{
	(void)state;
	set_env("HOME", FIX "/alt");
	static const char *const ok[] = {
		"https://creds.example.test/v1", "http://127.0.0.1:1/creds", "http://127.9.8.7/x",
		"http://localhost:8080/x", "http://[::1]:80/x", "http://169.254.170.2/v2/credentials",
		"http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials",
	};
	static const char *const bad[] = {
		"http://example.com/creds", "http://128.0.0.1/x", "http://169.254.169.254/x",
		"http://user@127.0.0.1/x", "http://127.0.0.1.evil.test/x", "http://[::2]/x",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		set_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", ok[i]);
		struct awscreds *c = mk(NULL, NULL);
		assert_int_equal(awscreds_state(c), AWSCREDS_RESOLVING);
		assert_null(awscreds_get(c));
		char buf[AWSCREDS_STATUS_MAX];
		assert_has(awscreds_status(c, buf, sizeof buf), "resolving: container credentials");
		/* without an HTTP driver it cannot start */
		assert_int_equal(awscreds_start(c, clock_now()), -1);
		assert_int_equal(awscreds_state(c), AWSCREDS_FAILED);
		assert_has(awscreds_error(c), "no HTTP driver");
		awscreds_free(c);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		set_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", bad[i]);
		mk_fails(NULL, "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is allowed only", "use https");
	}
	/* the relative URI wins and must be a path */
	set_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/credentials/x");
	mk_fails(NULL, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path", NULL);
	set_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x");
	struct awscreds *c = mk(NULL, NULL);
	awscreds_free(c);
}

static void imds_settings(void **state)
{
	(void)state;
	set_env("HOME", FIX "/alt");
	struct awscreds *c = mk(NULL, NULL);
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(c, buf, sizeof buf), "resolving: instance metadata (http://169.254.169.254)");
	assert_has(buf, "region: asking instance metadata");
	assert_true(awscreds_pending(c) == false);
	awscreds_free(c);
	set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv6");
	c = mk(NULL, NULL);
	assert_has(awscreds_status(c, buf, sizeof buf), "(http://[fd00:ec2::254])");
	awscreds_free(c);
	set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipx");
	mk_fails(NULL, "endpoint mode must be IPv4 or IPv6", NULL);
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	/* from the profile */
	set_env("HOME", FIX "/home");
	set_env("AWS_PROFILE", "imds-v6");
	c = mk(NULL, NULL);
	assert_has(awscreds_status(c, buf, sizeof buf), "(http://[fd00:ec2::254])");
	awscreds_free(c);
	/* the endpoint variable, trailing slashes dropped */
	set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1234//");
	c = mk(NULL, NULL);
	assert_has(awscreds_status(c, buf, sizeof buf), "(http://127.0.0.1:1234)");
	awscreds_free(c);
	set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "169.254.169.254");
	mk_fails(NULL, "AWS_EC2_METADATA_SERVICE_ENDPOINT is not an http:// or https:// URL", NULL);
}

static int note_calls;
static void note_cb(void *user, struct awscreds *c)
{
	(void)c;
	(*(int *)user)++;
}

static void listeners(void **state)
{
	(void)state;
	struct awscreds *c = mk(NULL, NULL);
	int counts[9] = { 0 };
	for (int i = 0; i < 8; i++)
		assert_int_equal(awscreds_listen(c, note_cb, &counts[i]), 0);
	assert_int_equal(awscreds_listen(c, note_cb, &counts[8]), -1);
	awscreds_unlisten(c, note_cb, &counts[3]);
	awscreds_unlisten(c, note_cb, &counts[3]);          /* unknown: no-op */
	assert_int_equal(awscreds_listen(c, note_cb, &counts[8]), 0);
	assert_int_equal(awscreds_listen(c, NULL, NULL), -1);
	awscreds_free(c);
	awscreds_free(NULL);
	(void)note_calls;
}

/* ---- the live half: a real source set with the HTTP driver ------------------------ */

struct live {
	struct source_set set;
	struct http *h;
	struct awscreds *c;         /* owned by the set (its wrapper source) */
	int notified;
	/* what the hook saw */
	bool had_creds, lost_creds; /* got some, then saw NULL before `until_akid_changes` */
	char first_akid[AWSCREDS_AKID_MAX], last_akid[AWSCREDS_AKID_MAX];
	int akid_changes;
	double t_start, t_ready, t_failed, t_lost;
	int checks;
};

static double src_tick(struct source *s, double now)
{
	return awscreds_tick(s->priv, now);
}

static int src_start(struct source *s, double now)
{
	(void)awscreds_start(s->priv, now);    /* a failure shows in its state */
	return 0;
}

static void src_stop(struct source *s)
{
	awscreds_free(s->priv);
	free(s);
}

/* What a CloudWatch source does with it: owns it, ticks it. */
static const struct source_ops creds_ops = {
	.kind = "test-awscreds", .start = src_start, .tick = src_tick, .stop = src_stop,
};

static void on_notify(void *user, struct awscreds *c)
{
	struct live *l = user;
	l->notified++;
	check_texts(c);
}

static void hook(void *ctx, double now)
{
	struct live *l = ctx;
	const struct awscreds_value *v = awscreds_get(l->c);
	check_texts(l->c);
	l->checks++;
	if (v) {
		if (!l->had_creds) {
			l->had_creds = true;
			l->t_ready = now;
			snprintf(l->first_akid, sizeof l->first_akid, "%s", v->akid);
		} else if (strcmp(v->akid, l->last_akid) != 0) {
			l->akid_changes++;
		}
		snprintf(l->last_akid, sizeof l->last_akid, "%s", v->akid);
	} else if (l->had_creds && !l->lost_creds) {
		l->lost_creds = true;
		l->t_lost = now;
	}
	if (awscreds_state(l->c) == AWSCREDS_FAILED && l->t_failed == 0)
		l->t_failed = now;
}

static bool settled(void *ctx)
{
	struct live *l = ctx;
	return awscreds_state(l->c) != AWSCREDS_RESOLVING && !awscreds_pending(l->c);
}

static void live_start(struct live *l, const struct awscreds_options *o)
{
	memset(l, 0, sizeof *l);
	l->h = http_new();
	assert_non_null(l->h);
	l->c = mk(l->h, o);
	assert_int_equal(awscreds_listen(l->c, on_notify, l), 0);
	struct source *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->ops = &creds_ops;
	s->priv = l->c;
	source_set_init(&l->set);
	assert_int_equal(source_set_add(&l->set, s), 0);
	assert_int_equal(source_set_add(&l->set, http_source(l->h)), 0);  /* last */
	l->t_start = clock_now();
	assert_int_equal(source_set_start(&l->set, l->t_start), 0);
	assert_int_equal(l->notified, 0);       /* never from start() */
}

static void live_run(struct live *l, double seconds, bool (*done)(void *))
{
	struct testlib_loop loop = { .set = &l->set, .hook = hook, .done = done, .ctx = l };
	testlib_run(&loop, seconds);
	/* nothing ever blocked the loop */
	assert_true(loop.longest < 0.25);
}

/* Starts the chain with no options and drives it until it settles (at most
 * 5 s): what most of the tests below do before they check the outcome. */
static void live_settle(struct live *l)
{
	live_start(l, NULL);
	live_run(l, 5, settled);
}

static void live_stop(struct live *l)
{
	source_set_free(&l->set);       /* frees the credentials, then the driver */
}

/* "http://127.0.0.1:PORT/m/MODES" */
static void imds_at(const char *modes)
{
	char url[128];
	snprintf(url, sizeof url, "%s/m/%s", srv.base, modes);
	set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
}

/* AWS_CONTAINER_CREDENTIALS_FULL_URI = "http://127.0.0.1:PORT/m/MODES/PATH";
 * `modes_path` is "MODES/PATH" */
static void container_at(const char *modes_path)
{
	char url[128];
	snprintf(url, sizeof url, "%s/m/%s", srv.base, modes_path);
	set_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
}

/* one counter from GET /m/MODES/_stats, through the driver */
struct stats_req {
	bool done;
	char body[1024];
};

static void stats_done(void *user, const struct http_resp *r)
{
	struct stats_req *s = user;
	s->done = true;
	snprintf(s->body, sizeof s->body, "%s", r->body ? r->body : "");
}

static bool stats_ready(void *ctx)
{
	return ((struct stats_req *)ctx)->done;
}

static long stat_of(const char *modes, const char *name)
{
	struct http *h = http_new();
	assert_non_null(h);
	struct source_set set;
	source_set_init(&set);
	assert_int_equal(source_set_add(&set, http_source(h)), 0);
	char url[128];
	snprintf(url, sizeof url, "%s/m/%s/_stats", srv.base, modes);
	struct stats_req s = { 0 };
	struct http_req req = { .url = url };
	assert_true(http_request(h, &req, stats_done, &s) > 0);
	struct testlib_loop loop = { .set = &set, .done = stats_ready, .ctx = &s };
	testlib_run(&loop, 5);
	source_set_free(&set);
	assert_true(s.done);
	char key[64];
	snprintf(key, sizeof key, "\"%s\": ", name);
	const char *p = strstr(s.body, key);
	if (!p)
		fail_msg("no %s in %s", name, s.body);
	p += strlen(key);
	if (*p == '"')
		p++;
	return strtol(p, NULL, 10);
}

static void imds_v2(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");            /* no profile, no region */
	imds_at("v2");
	struct live l;
	live_start(&l, NULL);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_RESOLVING);
	assert_true(awscreds_pending(l.c));
	live_run(&l, 5, settled);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_READY);
	const struct awscreds_value *v = awscreds_get(l.c);
	assert_non_null(v);
	assert_string_equal(v->source, "instance role perwatt-test-role");
	assert_string_equal(v->akid, "ASIAIMDSTEST0001");
	assert_string_equal(v->secret, "wJalrXUtnFEMI/K7MDENG/S3KR1TIMDS0001");
	assert_has(v->token, "IQoJb3JpZ2luX2VjT0K3NIMDS0001AAAA");
	assert_true(v->expires > (double)time(NULL) + 21000);
	/* the fallbacks for the region and the instance */
	assert_string_equal(awscreds_region(l.c), "eu-west-3");
	assert_string_equal(awscreds_region_source(l.c), "instance metadata");
	assert_string_equal(awscreds_instance_type(l.c), "inf2.xlarge");
	assert_string_equal(awscreds_instance_id(l.c), "i-0123456789abcdef0");
	endpoint_is(l.c, "cloudwatch", "https://monitoring.eu-west-3.amazonaws.com/", NULL);
	assert_true(l.notified >= 1);
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(l.c, buf, sizeof buf), "instance role perwatt-test-role, key ...0001");
	assert_has(buf, "expires in 5 h 59 min");
	assert_has(buf, "region eu-west-3 (instance metadata)");
	/* the next fetch is 5 minutes before the expiry */
	double next = awscreds_tick(l.c, clock_now());
	assert_true(next > clock_now() + 21600 - 300 - 10 && next < clock_now() + 21600 - 300 + 1);
	live_stop(&l);
	/* one token, with the TTL header; every GET carried it */
	assert_int_equal(stat_of("v2", "puts"), 1);
	assert_int_equal(stat_of("v2", "put_ttl"), 21600);
	assert_int_equal(stat_of("v2", "gets_with_token"), 5);
	assert_int_equal(stat_of("v2", "gets_without_token"), 0);
}

static void imds_v1_fallback(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_REGION", "us-east-1");     /* then IMDS is asked no region */
	imds_at("v1");
	struct live l;
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_READY);
	assert_string_equal(awscreds_get(l.c)->akid, "ASIAIMDSTEST0001");
	assert_string_equal(awscreds_region(l.c), "us-east-1");
	assert_string_equal(awscreds_instance_type(l.c), "inf2.xlarge");
	live_stop(&l);
	assert_int_equal(stat_of("v1", "puts"), 1);
	assert_int_equal(stat_of("v1", "gets_with_token"), 0);
	assert_int_equal(stat_of("v1", "gets_without_token"), 4);
}

static void imds_v1_disabled(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_REGION", "us-east-1");
	set_env("AWS_EC2_METADATA_V1_DISABLED", "true");
	imds_at("v1,nov1");
	struct live l;
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
	assert_null(awscreds_get(l.c));
	assert_has(awscreds_error(l.c), "IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED)");
	assert_has(awscreds_error(l.c), "HTTP 403");
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(l.c, buf, sizeof buf), "no credentials: ");
	assert_has(buf, "(retrying in ");       /* the backoff: 2 x 15 s, +-10% */
	assert_true(l.notified >= 1);
	/* the retry is scheduled, not immediate */
	double next = awscreds_tick(l.c, clock_now());
	assert_true(next > clock_now() + 20 && next < clock_now() + 40);
	live_stop(&l);
	assert_int_equal(stat_of("v1,nov1", "gets_without_token"), 0);
}

static void imds_put400(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_REGION", "us-east-1");
	imds_at("put400");
	struct live l;
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
	assert_has(awscreds_error(l.c), "refused the session token request");
	live_stop(&l);
	/* a 400 is final: no IMDSv1 attempt */
	assert_int_equal(stat_of("put400", "gets_without_token"), 0);
}

/* No answer at all: given up in ~1.25 s (1 s for the PUT, 0.25 s for v1). */
static void imds_unreachable_is_fast(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	imds_at("hang");
	struct live l;
	live_settle(&l);
	double took = clock_now() - l.t_start;
	assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
	assert_true(took < 1.5);
	assert_true(took > 0.9);
	assert_has(awscreds_error(l.c), "total timeout");
	assert_has(awscreds_error(l.c), "after the IMDSv2 token request");
	assert_has(awscreds_error(l.c), "no keys in the environment or profile 'default'");
	assert_has(awscreds_error(l.c), "export-credentials --format env");
	assert_null(awscreds_region(l.c));
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(l.c, buf, sizeof buf), "no region (instance metadata");
	live_stop(&l);

	/* a closed port: at once */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
	set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
	assert_true(clock_now() - l.t_start < 0.5);
	assert_has(awscreds_error(l.c), "connection refused");
	live_stop(&l);
}

/* A PUT that never answers but GETs that do: a hop limit of 1 in a container. */
static void imds_put_hangs_v1_works(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	imds_at("puthang");
	struct live l;
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_READY);
	assert_true(clock_now() - l.t_start < 1.5);
	assert_string_equal(awscreds_region(l.c), "eu-west-3");
	live_stop(&l);
}

static void imds_bad_replies(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_REGION", "us-east-1");
	static const struct {
		const char *modes, *msg;
	} cases[] = {
		{ "badjson", "malformed credentials from instance metadata" },
		{ "nosecret", "no SecretAccessKey" },
		{ "norole", "no IAM role is attached to this EC2 instance" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		imds_at(cases[i].modes);
		struct live l;
		live_settle(&l);
		assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
		assert_has(awscreds_error(l.c), cases[i].msg);
		live_stop(&l);
	}
}

static bool changed_twice(void *ctx)
{
	return ((struct live *)ctx)->akid_changes >= 2;
}

/* Short-lived credentials are fetched again before they expire, and the old
 * ones stay usable meanwhile. */
static void imds_refresh(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_REGION", "us-east-1");
	imds_at("expire=4");
	struct live l;
	live_start(&l, NULL);
	live_run(&l, 12, changed_twice);
	assert_int_equal(l.akid_changes, 2);
	assert_false(l.lost_creds);             /* never a gap */
	assert_string_equal(l.first_akid, "ASIAIMDSTEST0001");
	assert_string_equal(l.last_akid, "ASIAIMDSTEST0003");
	/* at half the 3-4 s lifetime each time */
	double took = clock_now() - l.t_ready;
	assert_true(took > 2.5 && took < 6);
	assert_true(l.notified >= 3);
	assert_null(awscreds_error(l.c));
	live_stop(&l);
	assert_int_equal(stat_of("expire=4", "creds"), 3);
	assert_int_equal(stat_of("expire=4", "puts"), 3);
}

static bool lost(void *ctx)
{
	struct live *l = ctx;
	return l->lost_creds && awscreds_state(l->c) == AWSCREDS_FAILED;
}

/* A failing refresh keeps the old credentials until they expire, retrying
 * more and more often as the expiry nears. */
static void imds_refresh_fails(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_REGION", "us-east-1");
	imds_at("expire=4,fail_after=1");
	struct live l;
	live_start(&l, NULL);
	live_run(&l, 10, lost);
	assert_true(l.had_creds);
	assert_true(l.lost_creds);
	assert_int_equal(l.akid_changes, 0);
	/* kept till the expiry: 3-4 s after they came */
	assert_true(l.t_lost - l.t_ready > 2.5 && l.t_lost - l.t_ready < 4.5);
	assert_null(awscreds_get(l.c));
	assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
	assert_has(awscreds_error(l.c), "the credentials expired at");
	assert_has(awscreds_error(l.c), "refresh failed: instance metadata");
	assert_has(awscreds_error(l.c), "HTTP 500");
	live_stop(&l);
	long tries = stat_of("expire=4,fail_after=1", "puts");
	assert_true(tries >= 2 && tries <= 6);
}

/* Credentials from the environment: ready at once; the region comes later. */
static void region_from_imds_with_env_keys(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE00WXYZ");
	set_env("AWS_SECRET_ACCESS_KEY", "env-S3KR1T-key");
	imds_at("v2,region-only");
	struct awscreds_options o = { .want_instance = true };
	struct live l;
	live_start(&l, &o);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_READY);
	assert_non_null(awscreds_get(l.c));
	assert_null(awscreds_region(l.c));
	assert_true(awscreds_pending(l.c));
	live_run(&l, 5, settled);
	assert_string_equal(awscreds_region(l.c), "eu-west-3");
	assert_string_equal(awscreds_instance_id(l.c), "i-0123456789abcdef0");
	assert_int_equal(l.notified, 1);
	assert_string_equal(awscreds_get(l.c)->source, "env");
	live_stop(&l);
	/* no credentials asked for */
	assert_int_equal(stat_of("v2,region-only", "creds"), 0);

	/* IMDS down: no region, asked once, no retries */
	imds_at("hang");
	live_settle(&l);
	assert_null(awscreds_region(l.c));
	assert_int_equal(awscreds_state(l.c), AWSCREDS_READY);
	assert_true(isinf(awscreds_tick(l.c, clock_now())));
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(l.c, buf, sizeof buf), "no region (instance metadata");
	live_stop(&l);
}

static void container_credentials(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_REGION", "us-east-1");
	container_at("c1/container/v1/credentials");
	/* the file (with its trailing newline) wins over the variable */
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", FIX "/container-token");
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-T0K3N");
	struct live l;
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_READY);
	const struct awscreds_value *v = awscreds_get(l.c);
	assert_string_equal(v->source, "container");
	assert_string_equal(v->akid, "ASIACONTTEST0001");
	assert_string_equal(v->secret, "wJalrXUtnFEMI/K7MDENG/S3KR1TCONT0001");
	assert_true(v->expires > (double)time(NULL) + 21000);
	char buf[AWSCREDS_STATUS_MAX];
	assert_has(awscreds_status(l.c, buf, sizeof buf), "container, key ...0001");
	live_stop(&l);
	assert_int_equal(stat_of("c1", "container"), 1);
	assert_int_equal(stat_of("c1", "container_auth_bad"), 0);

	/* the variable alone */
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN);
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_READY);
	assert_string_equal(awscreds_get(l.c)->akid, "ASIACONTTEST0002");
	live_stop(&l);

	/* a wrong token: the endpoint's 401, and the token never shown */
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-T0K3N");
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
	assert_has(awscreds_error(l.c), "container credentials endpoint: HTTP 401");
	live_stop(&l);
	assert_int_equal(stat_of("c1", "container_auth_bad"), 1);

	/* line breaks are refused before anything is sent */
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN "\r\nX-Evil: 1");
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
	assert_has(awscreds_error(l.c), "AWS_CONTAINER_AUTHORIZATION_TOKEN: the authorization token holds a line break");
	live_stop(&l);
	char *bad = testlib_temp_file("awscreds", CONTAINER_TOKEN "\nsecond-line\n");
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", bad);
	live_settle(&l);
	assert_has(awscreds_error(l.c), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: the authorization token holds a line break");
	live_stop(&l);
	unlink(bad);
	free(bad);
	/* a token file that is not there */
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", FIX "/no-such-token");
	live_settle(&l);
	assert_int_equal(awscreds_state(l.c), AWSCREDS_FAILED);
	assert_has(awscreds_error(l.c), "no-such-token does not exist");
	live_stop(&l);
	assert_int_equal(stat_of("c1", "container"), 2);

	/* not JSON */
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN);
	container_at("badjson/container/x");
	live_settle(&l);
	assert_has(awscreds_error(l.c), "malformed credentials from the container credentials endpoint");
	live_stop(&l);
}

static void container_refresh(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	set_env("AWS_REGION", "us-east-1");
	container_at("expire=4,c2/container/v1/credentials");
	set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", FIX "/container-token");
	struct live l;
	live_start(&l, NULL);
	live_run(&l, 12, changed_twice);
	assert_int_equal(l.akid_changes, 2);
	assert_false(l.lost_creds);
	assert_string_equal(l.last_akid, "ASIACONTTEST0003");
	live_stop(&l);
}

/* Freeing with requests in flight cancels them (and ASan sees no leak). */
static void free_while_pending(void **state)
{
	(void)state;
	TESTLIB_NEED_SERVER(&srv);
	set_env("HOME", FIX "/alt");
	imds_at("hang");
	struct live l;
	live_start(&l, NULL);
	live_run(&l, 0.2, NULL);
	assert_true(awscreds_pending(l.c));
	live_stop(&l);
	assert_int_equal(l.notified, 0);
}

static int group_setup(void **state)
{
	(void)state;
	if (http_global_init() < 0)
		return -1;
	static const char *const args[] = { "--max-seconds", "300", "--container-token",
	                                    CONTAINER_TOKEN, NULL };
	return testlib_server_start("test_awscreds", "imds.py", args, &srv);
}

static int group_teardown(void **state)
{
	(void)state;
	testlib_server_stop(&srv);
	http_global_cleanup();
	return 0;
}

#define T(f) cmocka_unit_test_setup(f, env_reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(env_keys),
		T(env_partial_keys),
		T(env_expiration),
		T(env_expires_while_running),
		T(profile_default),
		T(profile_merge),
		T(profile_vs_env),
		T(profile_not_found),
		T(profile_quoted_name),
		T(file_variables),
		T(comments_and_crlf),
		T(region_precedence),
		T(default_endpoints),
		T(endpoint_overrides),
		T(unsupported_providers),
		T(no_credentials),
		T(malformed_files),
		T(container_uri_checks),
		T(imds_settings),
		T(listeners),
		T(imds_v2),
		T(imds_v1_fallback),
		T(imds_v1_disabled),
		T(imds_put400),
		T(imds_unreachable_is_fast),
		T(imds_put_hangs_v1_works),
		T(imds_bad_replies),
		T(imds_refresh),
		T(imds_refresh_fails),
		T(region_from_imds_with_env_keys),
		T(container_credentials),
		T(container_refresh),
		T(free_while_pending),
	};
	return cmocka_run_group_tests_name("awscreds", tests, group_setup, group_teardown);
}
