/*
 * Tests of the scrape source (fetch/scrape.c) against tests/servers/hostile.py,
 * with the shared HTTP driver, in a real source_set driven by a poll() loop
 * like the program's.
 *
 * The server runs as a child for the whole group (the tests that need it
 * are skipped when python3 is missing).  The test sets the values /ok serves
 * through /control with a blocking libcurl handle of its own.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "core/model.h"
#include "fetch/http.h"
#include "fetch/scrape.h"
#include "fetch/source.h"
#include "testlib.h"

static struct testlib_server srv;   /* hostile.py */
static CURL *ctl;                   /* the test's own connection to the server */

#define NEED_SERVER() TESTLIB_NEED_SERVER(&srv)

/* ---- the server --------------------------------------------------------------- */

static int server_start(void **state)
{
	(void)state;
	if (http_global_init() < 0)
		return -1;
	static const char *const args[] = { "--max-seconds", "120", "--watch-stdin", NULL };
	if (testlib_server_start("test_scrape", "hostile.py", args, &srv) < 0)
		return -1;
	if (srv.port <= 0)
		return 0;
	return (ctl = curl_easy_init()) ? 0 : -1;
}

static int server_stop(void **state)
{
	(void)state;
	if (ctl)
		curl_easy_cleanup(ctl);
	testlib_server_stop(&srv);
	http_global_cleanup();
	return 0;
}

struct sink {
	char buf[512];
	size_t len;
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb, room = sizeof s->buf - 1 - s->len;
	memcpy(s->buf + s->len, data, n < room ? n : room);
	s->len += n < room ? n : room;
	s->buf[s->len] = '\0';
	return n;
}

/* A blocking GET on the test's own connection; the body's start in out. */
static void ctl_get(const char *path, struct sink *out)
{
	char url[256];
	struct sink dummy;
	if (!out)
		out = &dummy;
	out->len = 0;
	out->buf[0] = '\0';
	snprintf(url, sizeof url, "%s%s", srv.base, path);
	curl_easy_setopt(ctl, CURLOPT_URL, url);
	curl_easy_setopt(ctl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(ctl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(ctl, CURLOPT_TIMEOUT_MS, 3000L);
	assert_int_equal(curl_easy_perform(ctl), CURLE_OK);
}

static long server_requests(void)
{
	struct sink s;
	ctl_get("/stats", &s);
	const char *p = strstr(s.buf, "\"requests\":");
	assert_non_null(p);
	return atol(p + strlen("\"requests\":"));
}

/* ---- a rig: model, driver, one scrape source, the loop ---------------------- */

struct rig {
	struct model *m;
	struct source_set set;
	struct fleet *f;
	double interval;
	struct testlib_loop loop;       /* loop.spins: passes that neither slept nor had I/O */
};

typedef void (*hook_fn)(void *ctx, double now);

static char *targets_buf[16];

static void cfg_init(struct fleet_cfg *c, const char *name, const char *const *paths, size_t n,
                     double interval)
{
	memset(c, 0, sizeof *c);
	c->name = (char *)name;
	c->usd_per_hour = NAN;
	c->source = FLEET_SRC_SCRAPE;
	c->interval = interval;
	c->thr = (struct metric_map){ .metric = "test_inferences_total", .scale = 1 };
	c->power = (struct metric_map){ .metric = "test_power_watts", .scale = 1 };
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		free(targets_buf[i]);
		targets_buf[i] = malloc(strlen(srv.base) + strlen(paths[i]) + 1);
		assert_non_null(targets_buf[i]);
		if (strstr(paths[i], "://"))
			strcpy(targets_buf[i], paths[i]);
		else
			sprintf(targets_buf[i], "%s%s", srv.base, paths[i]);
	}
	c->targets = targets_buf;
	c->ntargets = n;
}

static void rig_open(struct rig *r, const struct fleet_cfg *c)
{
	char err[256];
	memset(r, 0, sizeof *r);
	r->m = model_new();
	assert_non_null(r->m);
	source_set_init(&r->set);
	r->loop.set = &r->set;
	struct http *h = http_new();
	assert_non_null(h);
	struct source *s = scrape_source_new(r->m, h, c, err, sizeof err);
	if (!s)
		fail_msg("scrape_source_new: %s", err);
	assert_int_equal(source_set_add(&r->set, s), 0);
	assert_int_equal(source_set_add(&r->set, http_source(h)), 0);
	r->f = model_fleet(r->m, c->name);
	assert_non_null(r->f);
	r->interval = c->interval;
	source_set_start(&r->set, clock_now());
}

static void rig_close(struct rig *r)
{
	source_set_free(&r->set);
	model_free(r->m);
}

/* The loop of the program (fetch/drive.c), with a hook every pass that
 * wakes at least every 10 ms when given. */
static void run_for(struct rig *r, double seconds, hook_fn hook, void *ctx)
{
	r->loop.hook = hook;
	r->loop.ctx = ctx;
	testlib_run(&r->loop, seconds);
}

static struct instance *inst(struct rig *r, const char *id)
{
	struct instance *i = fleet_instance(r->f, id, false);
	if (!i)
		fail_msg("no instance %s", id);
	return i;
}

static struct source_health *health(struct rig *r, const char *target_part)
{
	for (size_t i = 0; i < r->f->nhealth; i++)
		if (strstr(r->f->health[i]->target, target_part))
			return r->f->health[i];
	fail_msg("no health record for %s", target_part);
	return NULL;
}

static void assert_all_health_clean(struct rig *r)
{
	for (size_t i = 0; i < r->f->nhealth; i++) {
		const struct source_health *h = r->f->health[i];
		if (!testlib_clean_text(h->error) || !testlib_clean_text(h->target) ||
		    !testlib_clean_text(h->kind))
			fail_msg("control characters in health record %zu", i);
	}
	for (size_t i = 0; i < r->f->ninst; i++)
		if (!testlib_clean_text(r->f->inst[i]->id))
			fail_msg("control characters in instance id %zu", i);
}

/* Samples as they land in one instance's series. */
struct watch {
	struct instance *in;
	enum metric k;
	double last_t;
	size_t n;
	double t[64], v[64];
};

static void watch_poll(struct watch *w)
{
	const struct series *s = &w->in->m[w->k];
	if (s->last_t >= 0 && s->last_t != w->last_t) {
		w->last_t = s->last_t;
		if (w->n < 64) {
			w->t[w->n] = s->last_t;
			w->v[w->n] = s->last_v;
			w->n++;
		}
	}
}

/* ---- tests ------------------------------------------------------------------- */

static void test_new_errors(void **state)
{
	(void)state;
	char err[256];
	struct model *m = model_new();
	struct http *h = http_new();
	assert_non_null(m);
	assert_non_null(h);
	struct fleet_cfg c;
	memset(&c, 0, sizeof c);
	c.name = "x";
	c.usd_per_hour = NAN;
	c.power = (struct metric_map){ .metric = "w", .scale = 1 };
	assert_null(scrape_source_new(m, h, &c, err, sizeof err));
	assert_has(err, "no targets");

	char *bad[] = { "ftp://example.com/metrics" };
	c.targets = bad;
	c.ntargets = 1;
	assert_null(scrape_source_new(m, h, &c, err, sizeof err));
	assert_has(err, "target 1: not an http:// or https:// URL");

	char *secret[] = { "http://user:hunter2@[::1/metrics" };
	c.targets = secret;
	assert_null(scrape_source_new(m, h, &c, err, sizeof err));
	assert_has(err, "target 1: not a valid URL");
	assert_lacks(err, "hunter2");

	char *good[] = { "http://127.0.0.1:1/metrics" };
	c.targets = good;
	c.power.matchers = "gpu=~\"[\"";
	assert_null(scrape_source_new(m, h, &c, err, sizeof err));
	assert_has(err, "power: bad metric selector");
	assert_int_equal(m->nfleets, 0);        /* nothing half made in the model */

	/* an existing fleet is taken, and what the config sets is set on it */
	struct fleet *pre = model_add_fleet(m, "x");
	assert_non_null(pre);
	c.power.matchers = NULL;
	c.instance_type = "g4dn.xlarge";
	c.unit = "tokens";
	c.instances = 33;
	c.usd_per_hour = 0.526;
	c.baseline = true;
	char *dup[] = { "http://127.0.0.1:1/metrics", "http://u:pw-secret@127.0.0.1:1/metrics",
	                "http://127.0.0.1:1/metrics" };
	c.targets = dup;
	c.ntargets = 3;
	struct source *s = scrape_source_new(m, h, &c, err, sizeof err);
	if (!s)
		fail_msg("%s", err);
	assert_int_equal(m->nfleets, 1);
	assert_string_equal(pre->instance_type, "g4dn.xlarge");
	assert_string_equal(pre->unit, "tokens");
	assert_int_equal(pre->count, 33);
	assert_true(fabs(pre->usd_per_hour - 0.526) < 1e-12);
	assert_string_equal(pre->price_source, "config");
	assert_true(pre->baseline);
	/* the same URL twice is one target; another URL on the same host:port
	 * gets a longer id; a password never shows */
	assert_int_equal(pre->ninst, 2);
	assert_string_equal(pre->inst[0]->id, "127.0.0.1:1");
	assert_string_equal(pre->inst[1]->id, "127.0.0.1:1/metrics");
	assert_int_equal(pre->nhealth, 2);
	assert_string_equal(pre->health[0]->kind, "scrape");
	assert_string_equal(pre->health[1]->target, "http://127.0.0.1:1/metrics");
	assert_int_equal(pre->health[0]->status, HEALTH_STALE);     /* nothing yet */
	s->ops->stop(s);
	http_free(h);
	model_free(m);
}

struct ramp {
	double t0, per_s, last_ctl;
	struct watch thr, pow;
};

static void ramp_hook(void *ctx, double now)
{
	struct ramp *rp = ctx;
	if (now - rp->last_ctl >= 0.02) {
		char q[128];
		snprintf(q, sizeof q, "/control?inferences=%.3f&watts=321.5",
		         1000.0 + rp->per_s * (now - rp->t0));
		ctl_get(q, NULL);
		rp->last_ctl = now;
	}
	watch_poll(&rp->thr);
	watch_poll(&rp->pow);
}

static void test_rates_and_gauge(void **state)
{
	(void)state;
	NEED_SERVER();
	const char *paths[] = { "/ok" };
	struct fleet_cfg c;
	cfg_init(&c, "gpu", paths, 1, 0.4);
	struct ramp rp = { .t0 = clock_now(), .per_s = 500.0 };
	ctl_get("/control?inferences=1000&watts=321.5", NULL);
	struct rig r;
	rig_open(&r, &c);
	char id[64];
	snprintf(id, sizeof id, "127.0.0.1:%d", srv.port);
	rp.thr = (struct watch){ .in = inst(&r, id), .k = MET_THROUGHPUT, .last_t = -1 };
	rp.pow = (struct watch){ .in = inst(&r, id), .k = MET_POWER, .last_t = -1 };
	run_for(&r, 2.2, ramp_hook, &rp);

	/* the server's counter grows 500/s (set every 20 ms): each rate within
	 * 25% of it, their mean within 10% */
	assert_true(rp.thr.n >= 3);
	double sum = 0;
	for (size_t i = 0; i < rp.thr.n; i++) {
		if (fabs(rp.thr.v[i] - 500.0) > 125.0)
			fail_msg("rate %zu: %.1f/s, served 500/s", i, rp.thr.v[i]);
		sum += rp.thr.v[i];
	}
	double mean = sum / (double)rp.thr.n;
	if (fabs(mean - 500.0) > 50.0)
		fail_msg("mean rate %.1f/s, served 500/s", mean);
	/* the gauge is recorded from the first body on, as served */
	assert_true(rp.pow.n >= rp.thr.n + 1);
	assert_true(fabs(rp.pow.v[rp.pow.n - 1] - 321.5) < 1e-9);
	assert_int_equal(rp.pow.in->m[MET_POWER].last_prov, PROV_MEASURED);
	/* one poll per interval: samples about 0.4 s apart */
	for (size_t i = 1; i < rp.pow.n; i++) {
		double gap = rp.pow.t[i] - rp.pow.t[i - 1];
		if (gap < 0.3 || gap > 0.7)
			fail_msg("samples %zu and %zu are %.3f s apart", i - 1, i, gap);
	}

	struct source_health *hl = health(&r, "/ok");
	assert_int_equal(hl->status, HEALTH_OK);
	assert_string_equal(hl->error, "");
	assert_string_equal(hl->kind, "scrape");
	assert_true(hl->latency_ms >= 0 && hl->latency_ms < 1000);
	assert_true(r.loop.spins < 20);

	/* no success for 3 intervals: stale (a tick from the future) */
	struct source *s = r.set.src[0];
	s->ops->tick(s, hl->last_ok + 3 * 0.4 + 0.01);
	assert_int_equal(hl->status, HEALTH_STALE);
	rig_close(&r);
}

struct two {
	struct watch ok;
};

static void two_hook(void *ctx, double now)
{
	(void)now;
	struct two *tw = ctx;
	watch_poll(&tw->ok);
}

static void test_hang_does_not_delay_others(void **state)
{
	(void)state;
	NEED_SERVER();
	ctl_get("/control?inferences=1&watts=200", NULL);
	const char *paths[] = { "/hang", "/ok", "/drip" };
	struct fleet_cfg c;
	cfg_init(&c, "gpu", paths, 3, 0.4);
	c.timeout = 5;          /* longer than the interval: the interval is used */
	struct rig r;
	rig_open(&r, &c);
	char id[96];
	snprintf(id, sizeof id, "127.0.0.1:%d/ok", srv.port);
	struct two tw = { .ok = { .in = inst(&r, id), .k = MET_POWER, .last_t = -1 } };
	run_for(&r, 2.2, two_hook, &tw);

	assert_true(tw.ok.n >= 4);
	for (size_t i = 1; i < tw.ok.n; i++) {
		double gap = tw.ok.t[i] - tw.ok.t[i - 1];
		if (gap > 0.65)
			fail_msg("the ok target waited %.3f s between samples", gap);
	}
	struct source_health *hang = health(&r, "/hang"), *drip = health(&r, "/drip");
	assert_int_equal(hang->status, HEALTH_FAILING);
	assert_has(hang->error, "timeout");
	assert_has(hang->error, "0.4 s");
	assert_int_equal(drip->status, HEALTH_FAILING);
	assert_has(drip->error, "timeout");
	assert_int_equal(health(&r, "/ok")->status, HEALTH_OK);
	/* the instances are there even for targets that never answered */
	assert_int_equal(r.f->ninst, 3);
	assert_true(r.loop.spins < 20);
	rig_close(&r);
}

static void test_failing_targets(void **state)
{
	(void)state;
	NEED_SERVER();
	const char *paths[] = { "/500", "/reset", "/empty", "/big?mb=8", "/status?code=404",
	                        "http://127.0.0.1:1/metrics" };
	struct fleet_cfg c;
	cfg_init(&c, "bad", paths, 6, 0.2);
	long before = server_requests();
	struct rig r;
	rig_open(&r, &c);
	run_for(&r, 2.0, NULL, NULL);
	long served = server_requests() - before - 1;

	struct { const char *target, *error; } want[] = {
		{ "/500", "HTTP 500" },
		{ "/reset", "reset" },
		{ "/empty", "empty reply" },
		{ "/big", "line 1: " },
		{ "code=404", "HTTP 404" },
		{ ":1/metrics", "connection refused" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct source_health *hl = health(&r, want[i].target);
		if (hl->status != HEALTH_FAILING)
			fail_msg("%s: status %s", want[i].target, health_name(hl->status));
		assert_has(hl->error, want[i].error);
	}
	assert_has(health(&r, "/500")->error, "boom");      /* the hostile first line, cleaned */
	assert_all_health_clean(&r);
	/* backing off: without it five targets on the server would have been
	 * asked 50 times in 2 s at 0.2 s; with it, at 0, 0.4 and 1.2 s */
	if (served > 25)
		fail_msg("%ld requests in 2 s: failing targets are not backed off", served);
	assert_true(served >= 10);
	assert_true(r.loop.spins < 20);
	rig_close(&r);
}

static void test_escape_and_counter_reset(void **state)
{
	(void)state;
	NEED_SERVER();
	/* /escape: labels with ESC [ 2 J, BEL and invalid UTF-8; power 2 + 1 + 2 */
	const char *paths[] = { "/escape" };
	struct fleet_cfg c;
	cfg_init(&c, "esc", paths, 1, 0.3);
	struct rig r;
	rig_open(&r, &c);
	run_for(&r, 0.6, NULL, NULL);
	struct instance *in = r.f->inst[0];
	assert_true(fabs(in->m[MET_POWER].last_v - 5.0) < 1e-9);
	assert_int_equal(health(&r, "/escape")->status, HEALTH_OK);
	assert_all_health_clean(&r);
	rig_close(&r);

	/* a counter that goes back to 10: counted from zero, never negative */
	ctl_get("/control?inferences=5000&watts=1", NULL);
	const char *ok[] = { "/ok" };
	cfg_init(&c, "reset", ok, 1, 0.3);
	rig_open(&r, &c);
	struct two tw = { .ok = { .in = r.f->inst[0], .k = MET_THROUGHPUT, .last_t = -1 } };
	/* on a loaded machine a 0.3 s poll may come late: wait for the samples
	 * (up to 5 s) rather than for a fixed time */
	for (int k = 0; k < 10 && tw.ok.n < 2; k++)
		run_for(&r, 0.5, two_hook, &tw);
	size_t before = tw.ok.n;
	assert_true(before >= 2);
	ctl_get("/control?inferences=10", NULL);
	for (int k = 0; k < 10 && tw.ok.n < before + 2; k++)
		run_for(&r, 0.5, two_hook, &tw);
	assert_true(tw.ok.n >= before + 2);
	bool saw_reset = false;
	for (size_t i = 0; i < tw.ok.n; i++) {
		double v = tw.ok.v[i];
		if (v < 0 || v > 10.0 / RATE_MIN_DT)
			fail_msg("rate %zu is %.3f: the reset made a spike", i, v);
		if (v > 0)
			saw_reset = true;       /* the 10 counted since the restart */
	}
	assert_true(saw_reset);
	rig_close(&r);
}

/* ---- file_sd ------------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);     /* as a careful writer does */
}

static size_t live_targets(struct rig *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->f->nhealth; i++)
		if (strcmp(r->f->health[i]->kind, "scrape") == 0 &&
		    strcmp(r->f->health[i]->error, "removed from file_sd") != 0)
			n++;
	return n;
}

static void test_file_sd(void **state)
{
	(void)state;
	NEED_SERVER();
	ctl_get("/control?inferences=1&watts=50", NULL);
	char dir[] = "/tmp/perwatt-test-scrape-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/targets.json", dir);
	char a[256], b[512], both[800];
	snprintf(a, sizeof a,
	         "{\"targets\": [\"127.0.0.1:%d\"], \"labels\": {\"__metrics_path__\": \"/ok\", "
	         "\"job\": \"gpu\"}}", srv.port);
	/* the same server with ?watts=100, named by an instance label with an
	 * escape sequence in it */
	snprintf(b, sizeof b,
	         "{\"targets\": [\"127.0.0.1:%d\"], \"labels\": {\"__scheme__\": \"http\", "
	         "\"__metrics_path__\": \"ok\", \"__param_watts\": \"100\", "
	         "\"instance\": \"\\u001b[2Jgpu-b\"}}", srv.port);
	char text[1024];
	snprintf(text, sizeof text, "[%s]\n", a);
	write_file(path, text);

	struct fleet_cfg c;
	cfg_init(&c, "sd", NULL, 0, 0.3);
	c.file_sd = path;
	struct rig r;
	rig_open(&r, &c);
	struct source_health *sd = health(&r, "targets.json");
	assert_string_equal(sd->kind, "file_sd");
	assert_int_equal(sd->status, HEALTH_OK);
	run_for(&r, 0.7, NULL, NULL);
	assert_int_equal(r.f->ninst, 1);
	char id[64];
	snprintf(id, sizeof id, "127.0.0.1:%d", srv.port);
	assert_true(fabs(inst(&r, id)->m[MET_POWER].last_v - 50.0) < 1e-9);
	assert_int_equal(health(&r, "/ok")->status, HEALTH_OK);

	/* added live */
	snprintf(both, sizeof both, "[%s, %s]", a, b);
	write_file(path, both);
	run_for(&r, 1.25, NULL, NULL);
	assert_int_equal(r.f->ninst, 2);
	assert_int_equal(live_targets(&r), 2);
	assert_string_equal(r.f->inst[1]->id, "?[2Jgpu-b");
	assert_true(fabs(r.f->inst[1]->m[MET_POWER].last_v - 100.0) < 1e-9);
	struct source_health *hb = health(&r, "watts=100");
	assert_int_equal(hb->status, HEALTH_OK);
	assert_all_health_clean(&r);

	/* removed live: the record stays, failing, and is no longer polled */
	snprintf(text, sizeof text, "[%s]", b);
	write_file(path, text);
	run_for(&r, 1.1, NULL, NULL);
	char a_url[96];
	snprintf(a_url, sizeof a_url, "%s/ok", srv.base);
	struct source_health *ha = NULL;
	for (size_t i = 0; i < r.f->nhealth; i++)
		if (strcmp(r.f->health[i]->target, a_url) == 0)
			ha = r.f->health[i];
	assert_non_null(ha);
	assert_int_equal(ha->status, HEALTH_FAILING);
	assert_string_equal(ha->error, "removed from file_sd");
	double a_last = r.f->inst[0]->m[MET_POWER].last_t;
	assert_int_equal(live_targets(&r), 1);

	/* malformed: the targets stay as they were, the record says why */
	write_file(path, "[{\"targets\": [\"127.0.0.1:1\"],\n \"labels\": {\"__scheme__\": }}]");
	double hb_ok = hb->last_ok;
	run_for(&r, 1.1, NULL, NULL);
	assert_int_equal(sd->status, HEALTH_FAILING);
	assert_has(sd->error, "invalid JSON at line 2");
	assert_has(sd->error, "kept the targets");
	assert_int_equal(live_targets(&r), 1);
	assert_true(hb->last_ok > hb_ok);               /* b still polled */
	assert_int_equal(hb->status, HEALTH_OK);
	assert_true(r.f->inst[0]->m[MET_POWER].last_t == a_last);   /* a is not */

	/* a bad scheme: the same */
	write_file(path, "[{\"targets\": [\"h:1\"], \"labels\": {\"__scheme__\": \"ftp\"}}]");
	run_for(&r, 1.1, NULL, NULL);
	assert_has(sd->error, "entry 1: target 'h:1': __scheme__ 'ftp' is not http or https");
	assert_int_equal(live_targets(&r), 1);

	/* a comes back (same record and instance), b goes */
	snprintf(text, sizeof text, "[%s]", a);
	write_file(path, text);
	run_for(&r, 1.25, NULL, NULL);
	assert_int_equal(sd->status, HEALTH_OK);
	assert_int_equal(r.f->ninst, 2);
	assert_int_equal(ha->status, HEALTH_OK);
	assert_true(r.f->inst[0]->m[MET_POWER].last_t > a_last);
	assert_string_equal(hb->error, "removed from file_sd");
	assert_all_health_clean(&r);
	assert_true(r.loop.spins < 20);
	rig_close(&r);

	/* a file that is missing at start: the source starts and says so */
	unlink(path);
	cfg_init(&c, "sd2", NULL, 0, 0.3);
	c.file_sd = path;
	char err[256];
	struct model *m = model_new();
	struct http *h = http_new();
	struct source *s = scrape_source_new(m, h, &c, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(s->ops->start(s, clock_now()), -1);
	assert_has(model_fleet(m, "sd2")->health[0]->error, "No such file");
	s->ops->stop(s);
	http_free(h);
	model_free(m);
	rmdir(dir);
}

static int group_teardown(void **state)
{
	for (size_t i = 0; i < 16; i++)
		free(targets_buf[i]);
	return server_stop(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_rates_and_gauge),
		cmocka_unit_test(test_hang_does_not_delay_others),
		cmocka_unit_test(test_failing_targets),
		cmocka_unit_test(test_escape_and_counter_reset),
		cmocka_unit_test(test_file_sd),
	};
	return cmocka_run_group_tests(tests, server_start, group_teardown);
}
