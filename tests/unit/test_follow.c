/*
 * Tests of the follow source (fetch/follow.c): regex checks, value parsing,
 * and end to end with a real model, a real local box and the program's
 * poll() loop: a log file written, rotated, truncated, deleted and
 * recreated while it is followed; commands (one that prints, one that
 * exits and is started again); running totals with resets from a command
 * and from a counter file; matching lines per second.
 *
 * Every value the source hands the box is seen on its way: the test is
 * linked with -Wl,--wrap=localbox_put, and __wrap_localbox_put() notes each
 * call before passing it on to the real box.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/model.h"
#include "fetch/follow.h"
#include "fetch/localbox.h"
#include "fetch/source.h"
#include "testlib.h"

/* ---- every localbox_put() ----------------------------------------------------- */

struct put {
	const struct localbox *b;
	char component[48];
	enum lb_kind kind;
	enum metric k;
	double t, v;
	enum provenance p;
};

#define MAX_PUTS 8192
static struct put puts_[MAX_PUTS];
static size_t nputs;

int __real_localbox_put(struct localbox *b, const char *component, enum lb_kind kind, enum metric k,
                        double t, double v, enum provenance p);
int __wrap_localbox_put(struct localbox *b, const char *component, enum lb_kind kind, enum metric k,
                        double t, double v, enum provenance p);

int __wrap_localbox_put(struct localbox *b, const char *component, enum lb_kind kind, enum metric k,
                        double t, double v, enum provenance p)
{
	if (nputs < MAX_PUTS) {
		struct put *u = &puts_[nputs++];
		u->b = b;
		snprintf(u->component, sizeof u->component, "%s", component);
		u->kind = kind;
		u->k = k;
		u->t = t;
		u->v = v;
		u->p = p;
	}
	return __real_localbox_put(b, component, kind, k, t, v, p);
}

static bool near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

/* The first put to box b from index `from` on with v within tol of want;
 * NULL when none. */
static const struct put *find_put(const struct localbox *b, size_t from, double want, double tol)
{
	for (size_t i = from; i < nputs; i++)
		if (puts_[i].b == b && near(puts_[i].v, want, tol))
			return &puts_[i];
	return NULL;
}

/* ---- a box with one follow source in a loop ------------------------------------- */

struct rig {
	struct model *m;
	struct fleet *f;
	struct localbox *b;
	struct source_set set;
	struct testlib_loop loop;
	char err[256];
};

/* wait conditions for the loop's done() */
struct wait {
	struct rig *r;
	size_t from;            /* puts before this index do not count */
	double v, tol;          /* a put of v (NAN: not waited for) */
	double after;           /* ... at or after this time */
	unsigned times;         /* ... this many of them (0: 1) */
	const char *health;     /* the health error text contains this (NULL: not waited for) */
	enum health_status st;
	bool recorded;          /* the instance's throughput is v */
};

static struct wait w;

static bool wait_done(void *ctx)
{
	const struct wait *x = ctx;
	if (!isnan(x->v)) {
		unsigned n = 0;
		for (size_t i = x->from; i < nputs; i++)
			if (puts_[i].b == x->r->b && near(puts_[i].v, x->v, x->tol) && puts_[i].t >= x->after)
				n++;
		if (n < (x->times ? x->times : 1))
			return false;
	}
	if (x->health) {
		const struct source_health *h = x->r->f->health[0];
		if (h->status != x->st || !strstr(h->error, x->health))
			return false;
	}
	if (x->recorded) {
		const struct series *s = &localbox_instance(x->r->b)->m[MET_THROUGHPUT];
		if (s->last_t < 0 || !near(s->last_v, x->v, x->tol))
			return false;
	}
	return true;
}

static void rig_init(struct rig *r, const char *fleet)
{
	memset(r, 0, sizeof *r);
	assert_non_null(r->m = model_new());
	assert_non_null(r->f = model_add_fleet(r->m, fleet));
	assert_non_null(r->b = localbox_new(r->m, r->f, "localhost"));
	source_set_init(&r->set);
}

/* Adds the follow source (and the box's after it) and starts them. */
static void rig_start(struct rig *r, const struct follow_cfg *c)
{
	struct source *s = follow_source_new(r->m, r->b, c, r->err, sizeof r->err);
	if (!s)
		fail_msg("follow_source_new: %s", r->err);
	assert_int_equal(source_set_add(&r->set, s), 0);
	assert_int_equal(source_set_add(&r->set, localbox_source(r->b)), 0);
	source_set_start(&r->set, clock_now());
	r->loop.set = &r->set;
	r->loop.model = r->m;
}

static void rig_free(struct rig *r)
{
	source_set_free(&r->set);
	model_free(r->m);
}

static struct source_health *rig_health(struct rig *r)
{
	assert_int_equal(r->f->nhealth, 1);
	return r->f->health[0];
}

/* Runs the loop until a put of v (within tol) to the rig's box after the
 * current mark, or fails after `limit` seconds; returns the put. */
static const struct put *until_put(struct rig *r, double v, double tol, double limit)
{
	w = (struct wait){ .r = r, .from = nputs, .v = v, .tol = tol, .after = -INFINITY };
	r->loop.done = wait_done;
	r->loop.ctx = &w;
	testlib_run(&r->loop, limit);
	const struct put *p = find_put(r->b, w.from, v, tol);
	if (!p)
		fail_msg("no value %g reported within %.1f s (health: %s %s)", v, limit,
		         health_name(rig_health(r)->status), rig_health(r)->error);
	assert_string_equal(p->component, "bench");
	assert_int_equal(p->kind, LB_BENCH);
	assert_int_equal(p->k, MET_THROUGHPUT);
	assert_int_equal(p->p, PROV_MEASURED);
	return p;
}

static void until_health(struct rig *r, enum health_status st, const char *text, double limit)
{
	w = (struct wait){ .r = r, .from = nputs, .v = NAN, .health = text, .st = st };
	r->loop.done = wait_done;
	r->loop.ctx = &w;
	testlib_run(&r->loop, limit);
	struct source_health *h = rig_health(r);
	if (h->status != st || !strstr(h->error, text))
		fail_msg("health is %s \"%s\", not %s \"...%s...\"", health_name(h->status), h->error,
		         health_name(st), text);
	assert_true(testlib_clean_text(h->error));
}

static void run_for(struct rig *r, double seconds)
{
	r->loop.done = NULL;
	testlib_run(&r->loop, seconds);
}

/* ---- files ------------------------------------------------------------------------- */

static char dir[64];

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

static void put_file(const char *path, const char *text)
{
	char tmp[128];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	assert_int_equal(rename(tmp, path), 0);
}

static int dir_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/perwatt-follow-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int dir_teardown(void **state)
{
	(void)state;
	static const char *const names[] = { "bench.log", "bench.log.1", "bench.log.tmp", "count",
	                                     "count.tmp", NULL };
	char p[128];
	for (int i = 0; names[i]; i++) {
		path_in(p, sizeof p, names[i]);
		unlink(p);
	}
	return rmdir(dir);
}

/* ---- checks without a loop --------------------------------------------------------- */

static void test_regex_check(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(follow_regex_check("throughput: ([0-9.,]+)", FOLLOW_RATE, err, sizeof err), 0);
	assert_int_equal(follow_regex_check("done", FOLLOW_LINES, err, sizeof err), 0);
	assert_int_equal(follow_regex_check(NULL, FOLLOW_LINES, err, sizeof err), 0);

	err[0] = '\0';
	assert_int_equal(follow_regex_check("throughput: ([0-9.]+", FOLLOW_RATE, err, sizeof err), -1);
	assert_has(err, "bad regex 'throughput: ([0-9.]+'");
	assert_true(strlen(err) > strlen("bad regex 'throughput: ([0-9.]+': "));  /* regerror's text */
	assert_int_equal(follow_regex_check("a{2,1}", FOLLOW_LINES, err, sizeof err), -1);
	assert_has(err, "bad regex");

	assert_int_equal(follow_regex_check("throughput: [0-9.]+", FOLLOW_COUNT, err, sizeof err), -1);
	assert_has(err, "has no capture group");
	assert_int_equal(follow_regex_check(NULL, FOLLOW_RATE, err, sizeof err), -1);
	assert_has(err, "a regex is needed");
	assert_int_equal(follow_regex_check("", FOLLOW_COUNT, err, sizeof err), -1);
	/* no room for a message is fine */
	assert_int_equal(follow_regex_check("(", FOLLOW_RATE, NULL, 0), -1);
}

static void check_value(const char *s, double want)
{
	double v = NAN;
	if (follow_parse_value(s, strlen(s), &v) != 0)
		fail_msg("\"%s\" was not read", s);
	if (!near(v, want, fabs(want) * 1e-12))
		fail_msg("\"%s\" read as %.17g, not %.17g", s, v, want);
}

static void check_no_value(const char *s)
{
	double v = 12345;
	if (follow_parse_value(s, strlen(s), &v) == 0)
		fail_msg("\"%s\" was read as %g", s, v);
	assert_true(v == 12345);
}

static void test_parse_value(void **state)
{
	(void)state;
	check_value("812.0", 812.0);
	check_value("  250.5 samples/s", 250.5);
	check_value("42", 42);
	check_value(".5", 0.5);
	check_value("7.", 7);
	check_value("+3", 3);
	check_value("-3", -3);
	check_value("1,234.5", 1234.5);
	check_value("1,234,567", 1234567);
	check_value("12,345,678.25 it/s", 12345678.25);
	check_value("1.5e3", 1500);
	check_value("2E-2", 0.02);
	check_value("1.2k", 1200);
	check_value("3.4M", 3.4e6);
	check_value("2G", 2e9);
	check_value("1.5T", 1.5e12);
	check_value("5 Mb/s", 5);           /* a suffix only right after the number */
	check_value("7ms", 7);              /* 'm' is not one, and "Mb" is a unit: no suffix */
	check_value("12, 13", 12);          /* a list: the first */
	check_value("1e", 1);

	check_no_value("");
	check_no_value("   ");
	check_no_value("abc");
	check_no_value("n/a");
	check_no_value("-");
	check_no_value(".");
	check_no_value("inf");
	check_no_value("nan");
	check_no_value("1,5");              /* a decimal comma, or a thousands separator? */
	check_no_value("1,23");
	check_no_value("1,2345");
	check_no_value("1234,567");
	check_no_value("1.234,5");
	check_no_value("12.3.4");
	check_no_value("1e99999");

	/* only the first len bytes */
	double v;
	assert_int_equal(follow_parse_value("123456", 3, &v), 0);
	assert_true(v == 123);
	assert_int_equal(follow_parse_value("1,234", 3, &v), -1);  /* "1,2" */
	assert_int_equal(follow_parse_value("1,234", 5, &v), 0);
	assert_true(v == 1234);
	assert_int_equal(follow_parse_value(NULL, 0, &v), -1);

	/* the program runs with setlocale(LC_ALL, ""): a decimal comma locale
	 * must not change how a benchmark's "1234.5" is read */
	const char *was = setlocale(LC_NUMERIC, NULL);
	char saved[64];
	snprintf(saved, sizeof saved, "%s", was ? was : "C");
	if (setlocale(LC_NUMERIC, "de_DE.UTF-8") || setlocale(LC_NUMERIC, "de_DE.utf8")) {
		check_value("1234.5", 1234.5);
		check_value("1,234.5", 1234.5);
		check_no_value("1,5");
	}
	setlocale(LC_NUMERIC, saved);
}

static void test_new_errors(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "errors");
	char err[256];
	struct follow_cfg c = { .regex = "x: ([0-9]+)" };
	assert_null(follow_source_new(r.m, r.b, &c, err, sizeof err));
	assert_has(err, "exactly one");
	c.file = "/tmp/x.log";
	c.cmd = "echo x: 1";
	assert_null(follow_source_new(r.m, r.b, &c, err, sizeof err));
	assert_has(err, "exactly one");
	c.cmd = NULL;
	c.regex = "x: ([0-9]+";
	assert_null(follow_source_new(r.m, r.b, &c, err, sizeof err));
	assert_has(err, "bad regex 'x: ([0-9]+'");
	c.regex = "x: [0-9]+";
	assert_null(follow_source_new(r.m, r.b, &c, err, sizeof err));
	assert_has(err, "no capture group");
	c.regex = NULL;
	assert_null(follow_source_new(r.m, r.b, &c, err, sizeof err));
	assert_has(err, "a regex is needed");
	c.kind = FOLLOW_LINES;  /* LINES without a regex: every line */
	struct source *s = follow_source_new(r.m, r.b, &c, err, sizeof err);
	assert_non_null(s);
	c.scale = -1;
	assert_null(follow_source_new(r.m, r.b, &c, err, sizeof err));
	/* a failed new leaves no health record; the good one made one */
	assert_int_equal(r.f->nhealth, 1);
	assert_string_equal(r.f->health[0]->kind, "follow");
	assert_string_equal(r.f->health[0]->target, "/tmp/x.log");
	s->ops->stop(s);         /* never started: stop frees it all the same */
	localbox_free(r.b);
	model_free(r.m);
}

/* ---- a log file --------------------------------------------------------------------- */

static void test_file_rate(void **state)
{
	(void)state;
	char log[128], old[128];
	path_in(log, sizeof log, "bench.log");
	path_in(old, sizeof old, "bench.log.1");
	/* history, and a line being written when the source starts */
	put_file(log, "throughput: 999 samples/s\nstep 5 | through");

	struct rig r;
	rig_init(&r, "file");
	struct follow_cfg c = { .file = log, .regex = "throughput: ([0-9.,]+)", .kind = FOLLOW_RATE };
	rig_start(&r, &c);
	assert_string_equal(rig_health(&r)->target, log);
	run_for(&r, 0.5);
	assert_null(find_put(r.b, 0, 999, 0.5));       /* old lines are not counted */
	until_health(&r, HEALTH_STALE, "no line has matched 'throughput: ([0-9.,]+)' yet (0 lines read)", 0.1);

	/* new lines; the end of the line cut at the start is not one */
	append(log, "put: 3; throughput: 987 samples/s\nstep 100 | throughput: 100.0 samples/s\n");
	until_put(&r, 100, 1e-9, 4);
	assert_null(find_put(r.b, 0, 987, 0.5));
	assert_null(find_put(r.b, 0, 3, 0.5));
	assert_int_equal(rig_health(&r)->status, HEALTH_OK);

	/* rotation, the logrotate way: renamed, the writer still appends to
	 * the old file (a last line without its newline), then a new file */
	int writer = open(log, O_WRONLY | O_APPEND);
	assert_true(writer >= 0);
	assert_int_equal(rename(log, old), 0);
	const char *tail = "throughput: 150 samples/s";
	assert_int_equal(write(writer, tail, strlen(tail)), (ssize_t)strlen(tail));
	close(writer);
	until_health(&r, HEALTH_STALE, "waiting for", 4);
	assert_has(rig_health(&r)->error, log);
	assert_null(find_put(r.b, 0, 150, 0.5));       /* held: no newline yet */
	size_t mark = nputs;
	append(log, "throughput: 200 samples/s\n");
	until_put(&r, 200, 1e-9, 4);
	assert_non_null(find_put(r.b, mark, 150, 1e-9));   /* the old file's last line first */
	assert_int_equal(rig_health(&r)->status, HEALTH_OK);

	/* copytruncate: copied, then cut to nothing in place */
	append(log, "throughput: 250 samples/s\nthroughput: 250 samples/s\nthroughput: 250 samples/s\n");
	until_put(&r, 250, 1e-9, 4);
	assert_int_equal(truncate(log, 0), 0);
	run_for(&r, 0.6);
	append(log, "throughput: 300\n");
	until_put(&r, 300, 1e-9, 4);

	/* deleted, then created again */
	assert_int_equal(unlink(log), 0);
	until_health(&r, HEALTH_STALE, "waiting for", 4);
	append(log, "throughput: 400\n");
	until_put(&r, 400, 1e-9, 4);

	/* a partial line waits for its newline */
	append(log, "throughput: 5");
	run_for(&r, 0.6);
	assert_null(find_put(r.b, 0, 5, 1e-9));
	append(log, "00.0 samples/s\n");
	until_put(&r, 500, 1e-9, 4);

	/* a line past FOLLOW_LINE_MAX is cut (its number with it); the next
	 * one is whole; thousands separators */
	size_t big = FOLLOW_LINE_MAX + 5000;
	char *line = malloc(big + 64);
	assert_non_null(line);
	memset(line, 'x', big);
	snprintf(line + big, 64, " throughput: 600\nthroughput: 1,700.5\n");
	append(log, line);
	free(line);
	const struct put *p = until_put(&r, 1700.5, 1e-9, 4);
	assert_null(find_put(r.b, 0, 600, 1e-9));

	/* the box records it, and it is reported again each second */
	w = (struct wait){ .r = &r, .from = nputs, .v = 1700.5, .tol = 1e-9, .after = p->t + 0.5,
	                   .recorded = true };
	r.loop.done = wait_done;
	r.loop.ctx = &w;
	testlib_run(&r.loop, 2.5);
	assert_true(wait_done(&w));
	assert_int_equal(localbox_instance(r.b)->m[MET_THROUGHPUT].last_prov, PROV_MEASURED);
	assert_int_equal(rig_health(&r)->status, HEALTH_OK);
	assert_true(r.loop.longest < 0.5);
	rig_free(&r);
}

/* ---- commands ------------------------------------------------------------------------- */

static void test_cmd_rate(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "cmd");
	struct follow_cfg c = {
		.cmd = "while :; do echo \"throughput: 250.5 samples/s\"; sleep 0.2; done",
		.regex = "throughput: ([0-9.,]+) samples/s",
	};
	rig_start(&r, &c);
	until_put(&r, 250.5, 1e-9, 3);
	w = (struct wait){ .r = &r, .from = nputs, .v = 250.5, .tol = 1e-9, .times = 3,
	                   .after = -INFINITY };
	r.loop.done = wait_done;
	r.loop.ctx = &w;
	testlib_run(&r.loop, 2);
	assert_true(wait_done(&w));
	assert_int_equal(rig_health(&r)->status, HEALTH_OK);
	assert_string_equal(rig_health(&r)->target, c.cmd);
	rig_free(&r);

	/* stderr too, and the scale */
	rig_init(&r, "stderr");
	struct follow_cfg e = {
		.cmd = "echo 'warming up'; echo 'throughput: 1.5k samples/s' >&2; sleep 5",
		.regex = "throughput: ([^ ]+)", .scale = 2,
	};
	rig_start(&r, &e);
	until_put(&r, 3000, 1e-9, 3);
	rig_free(&r);
}

static void test_cmd_health(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "quiet");
	struct follow_cfg c = {
		.cmd = "printf 'warming up\\nloading model\\n'; sleep 1.2; echo 'throughput: n/a'; sleep 5",
		.regex = "throughput: ([^ ]+)",
	};
	rig_start(&r, &c);
	until_health(&r, HEALTH_STALE, "no line has matched 'throughput: ([^ ]+)' yet (2 lines read)", 4);
	until_health(&r, HEALTH_STALE, "1 match of 'throughput: ([^ ]+)' held no number (last: 'n/a')", 4);
	assert_null(find_put(r.b, 0, 0, INFINITY));    /* nothing reported */
	rig_free(&r);
}

static void test_cmd_restart(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "exits");
	struct follow_cfg c = { .cmd = "echo 'throughput: 7'; exit 3", .regex = "throughput: ([0-9]+)" };
	rig_start(&r, &c);
	const struct put *first = until_put(&r, 7, 1e-9, 4);
	double t1 = first->t;
	until_health(&r, HEALTH_FAILING, "exited with status 3; restarting (1 start so far)", 4);
	/* started again after the backoff (1 s): it prints again */
	w = (struct wait){ .r = &r, .from = nputs, .v = 7, .tol = 1e-9, .after = t1 + 0.9 };
	r.loop.done = wait_done;
	r.loop.ctx = &w;
	testlib_run(&r.loop, 3);
	assert_true(wait_done(&w));
	rig_free(&r);
}

/* ---- running totals, resets ------------------------------------------------------------- */

struct counter_writer {
	char path[128];
	double t0, reset_at;
	double last_write;
};

static void write_counter(void *ctx, double now)
{
	struct counter_writer *cw = ctx;
	if (now < cw->t0 || now - cw->last_write < 0.02)
		return;
	cw->last_write = now;
	/* 200 a second from 1000; from 0 again after the reset */
	double v = now < cw->reset_at ? 1000 + 200 * (now - cw->t0) : 200 * (now - cw->reset_at);
	char text[64];
	snprintf(text, sizeof text, "%.3f\n", v);
	put_file(cw->path, text);
}

static bool no_done(void *ctx)
{
	(void)ctx;
	return false;
}

static void test_count_resets(void **state)
{
	(void)state;
	/* a command printing a running total every 0.1 s that drops to 0
	 * once, and a counter file written by the test, side by side */
	struct rig a, b;
	rig_init(&a, "count-cmd");
	rig_init(&b, "count-file");
	struct counter_writer cw;
	memset(&cw, 0, sizeof cw);
	path_in(cw.path, sizeof cw.path, "count");
	struct follow_cfg ca = {
		.cmd = "i=5000; n=0; while :; do i=$((i+50)); n=$((n+1)); "
		       "if [ $n -eq 13 ]; then i=0; fi; echo \"processed $i samples\"; sleep 0.1; done",
		.regex = "processed ([0-9]+) samples", .kind = FOLLOW_COUNT,
	};
	struct follow_cfg cb = { .counter = cw.path, .interval = 0.25, .kind = FOLLOW_RATE /* ignored */ };
	struct source *sa = follow_source_new(a.m, a.b, &ca, a.err, sizeof a.err);
	struct source *sb = follow_source_new(b.m, b.b, &cb, b.err, sizeof b.err);
	assert_non_null(sa);
	assert_non_null(sb);
	struct source_set set;
	source_set_init(&set);
	assert_int_equal(source_set_add(&set, sa), 0);
	assert_int_equal(source_set_add(&set, sb), 0);
	assert_int_equal(source_set_add(&set, localbox_source(a.b)), 0);
	assert_int_equal(source_set_add(&set, localbox_source(b.b)), 0);
	double t0 = clock_now();
	/* only this test's puts: an earlier test's box may have had the same
	 * address (MAX_PUTS caps the log, so it starts empty here) */
	nputs = 0;
	source_set_start(&set, t0);
	assert_int_equal(b.f->health[0]->status, HEALTH_STALE);
	assert_has(b.f->health[0]->error, "waiting for");
	assert_has(b.f->health[0]->error, cw.path);

	cw.t0 = t0;
	cw.reset_at = t0 + 1.4;
	struct testlib_loop loop = { .set = &set, .hook = write_counter, .done = no_done, .ctx = &cw };
	testlib_run(&loop, 3.4);
	assert_int_equal(b.f->health[0]->status, HEALTH_OK);
	assert_int_equal(a.f->health[0]->status, HEALTH_OK);

	/* the command: about 50 per 0.1 s (less the time sh and sleep take),
	 * never a spike nor below 0 across the reset, and puts whose rate came
	 * from a new reading at least ~1 s apart */
	double last_new = -INFINITY, prev_v = NAN;
	size_t na = 0, nb = 0, nb_before = 0, nb_after = 0;
	for (size_t i = 0; i < nputs; i++) {
		const struct put *p = &puts_[i];
		if (p->b == a.b) {
			na++;
			if (p->v < 0 || p->v > 600)
				fail_msg("the command's count gave %g/s at %.2f s", p->v, p->t - t0);
			if (p->v != prev_v) {
				if (p->t - last_new < 0.94)
					fail_msg("rates %.3f s apart", p->t - last_new);
				last_new = p->t;
			}
			prev_v = p->v;
		} else if (p->b == b.b) {
			nb++;
			if (p->v < 0 || p->v > 215)
				fail_msg("the counter file gave %g/s at %.2f s", p->v, p->t - t0);
			if (p->t < cw.reset_at && near(p->v, 200, 10))
				nb_before++;
			if (p->t > cw.reset_at + 1.1 && near(p->v, 200, 10))
				nb_after++;
		}
	}
	assert_true(na >= 2);
	if (!(prev_v > 380 && prev_v < 560))     /* after the reset, at the pace again */
		fail_msg("the command's count ended at %g/s", prev_v);
	assert_true(nb >= 3);
	assert_true(nb_before >= 1);
	assert_true(nb_after >= 1);

	source_set_free(&set);
	model_free(a.m);
	model_free(b.m);
}

/* ---- matching lines per second ----------------------------------------------------------- */

static void test_lines(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, "lines");
	struct follow_cfg c = {
		.cmd = "while :; do echo 'request done'; echo 'noise'; sleep 0.05; done",
		.regex = "request done$", .kind = FOLLOW_LINES,
	};
	size_t first = nputs;   /* an earlier test's box may have had this address */
	rig_start(&r, &c);
	double t0 = clock_now();
	run_for(&r, 2.05);
	/* 20 lines a second less what sh and sleep take, over the window that is
	 * there (the source is younger than FOLLOW_WINDOW) */
	size_t n = 0;
	double last = NAN, last_t = 0;
	for (size_t i = first; i < nputs; i++)
		if (puts_[i].b == r.b) {
			n++;
			last = puts_[i].v;
			last_t = puts_[i].t;
		}
	assert_true(n >= 2);
	assert_true(last_t - t0 > 0.9);
	if (!(last > 14 && last <= 20.5))
		fail_msg("%g matching lines/s", last);
	assert_int_equal(rig_health(&r)->status, HEALTH_OK);
	rig_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex_check),
		cmocka_unit_test(test_parse_value),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_file_rate),
		cmocka_unit_test(test_cmd_rate),
		cmocka_unit_test(test_cmd_health),
		cmocka_unit_test(test_cmd_restart),
		cmocka_unit_test(test_count_resets),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
