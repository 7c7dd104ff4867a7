/*
 * Tests of the shared HTTP driver against tests/servers/hostile.py.
 *
 * The server runs as a child for the whole group (skipped when python3 is
 * missing); each test drives the driver through the source interface
 * (tick, fds, poll, ready), like the real loop does.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fetch/http.h"
#include "testlib.h"

#define TOKEN "s3cr3t-t0ken-for-tests"       /* what hostile.py accepts */
#define BASIC "perwatt:hunter2-pass"

static struct testlib_server srv;              /* hostile.py */

/* ---- the server ------------------------------------------------------------ */

static int server_start(void **state)
{
	(void)state;
	if (http_global_init() < 0)
		return -1;
	static const char *const args[] = { "--max-seconds", "120", "--watch-stdin", NULL };
	return testlib_server_start("test_http", "hostile.py", args, &srv);
}

static int server_stop(void **state)
{
	(void)state;
	testlib_server_stop(&srv);
	http_global_cleanup();
	return 0;
}

#define NEED_SERVER() TESTLIB_NEED_SERVER(&srv)

/* a prefix check that shows the text when it fails (assert_has and
 * assert_lacks: testlib.h) */
#define assert_starts(hay, prefix) do { \
	const char *hay_ = (hay); \
	if (strncmp(hay_, (prefix), strlen(prefix)) != 0) \
		fail_msg("\"%s\" does not start with \"%s\"", hay_, (prefix)); \
} while (0)

/* ---- what done() saw ------------------------------------------------------ */

struct result {
	int calls;
	int id;
	long status;
	bool failed;
	char error[HTTP_ERROR_MAX];
	char *body;                 /* copy; NULL when the driver gave none */
	size_t body_len, bytes;
	double latency_ms, t_done;
	long new_conns;
	char ctype[128], enc[64], aws[64];

	/* streaming */
	size_t chunks, chunk_bytes;
	int abort_after;            /* on_chunk fails on this chunk (0: never) */
	bool cancel_in_chunk;
	struct http *h;

	/* chaining: done() starts this request */
	const struct http_req *then;
	struct result *then_r;
	int cancel_other;           /* done() cancels this id */
};

static void copy_opt(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void on_done(void *user, const struct http_resp *resp)
{
	struct result *r = user;
	if (getenv("TEST_HTTP_VERBOSE"))
		fprintf(stderr, "  done #%d: status %ld, %.1f ms, error: %s\n", resp->id,
		        resp->status, resp->latency_ms, resp->error ? resp->error : "(none)");
	r->calls++;
	r->id = resp->id;
	r->status = resp->status;
	r->failed = resp->error != NULL;
	copy_opt(r->error, sizeof r->error, resp->error);
	free(r->body);
	r->body = NULL;
	if (resp->body) {
		r->body = malloc(resp->body_len + 1);
		assert_non_null(r->body);
		memcpy(r->body, resp->body, resp->body_len);
		r->body[resp->body_len] = '\0';
	}
	r->body_len = resp->body_len;
	r->bytes = resp->bytes;
	r->latency_ms = resp->latency_ms;
	r->new_conns = resp->new_connections;
	r->t_done = clock_now();
	copy_opt(r->ctype, sizeof r->ctype, resp->content_type);
	copy_opt(r->enc, sizeof r->enc, http_resp_header(resp, "content-encoding"));
	copy_opt(r->aws, sizeof r->aws, http_resp_header(resp, "X-Amzn-Query-Error"));
	if (r->then)
		assert_true(http_request(r->h, r->then, on_done, r->then_r) > 0);
	if (r->cancel_other)
		http_cancel(r->h, r->cancel_other);
}

static int on_chunk(void *user, const char *data, size_t len)
{
	struct result *r = user;
	(void)data;
	r->chunks++;
	r->chunk_bytes += len;
	if (r->cancel_in_chunk) {
		http_cancel(r->h, r->id);
		return 0;
	}
	if (r->abort_after && (int)r->chunks >= r->abort_after)
		return -1;
	return 0;
}

static void result_free(struct result *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- a tiny event loop ---------------------------------------------------- */

static double longest_call;     /* the slowest single tick/fds/ready call */
static int poll_slots = 64;     /* room the loop gives the driver's sockets */

static void note_call(double t0)
{
	double d = clock_now() - t0;
	if (d > longest_call)
		longest_call = d;
}

/* Runs the driver until every result has had its done() call, or for
 * max_s seconds. */
static void pump(struct http *h, struct result *const *rs, size_t n, double max_s)
{
	struct source *s = http_source(h);
	double end = clock_now() + max_s;
	for (;;) {
		double now = clock_now();
		double next = s->ops->tick(s, now);
		note_call(now);
		bool all = n > 0;
		for (size_t i = 0; i < n; i++)
			if (rs[i]->calls == 0)
				all = false;
		now = clock_now();
		if (all || now >= end)
			return;
		struct pollfd pfd[64];
		double t0 = clock_now();
		int nf = s->ops->fds(s, pfd, poll_slots);
		note_call(t0);
		double wake = next < end ? next : end;
		int ms = wake <= now ? 0 : (int)ceil((wake - now) * 1000);
		int r = poll(pfd, (nfds_t)nf, ms);
		if (r > 0) {
			t0 = clock_now();
			s->ops->ready(s, pfd, nf, t0);
			note_call(t0);
		}
	}
}

static void get(struct http *h, const char *path, struct result *r, struct http_req *req)
{
	char url[256];
	snprintf(url, sizeof url, "%s%s", srv.base, path);
	struct http_req def = { 0 };
	if (!req)
		req = &def;
	req->url = url;
	r->h = h;
	r->id = http_request(h, req, on_done, r);
	assert_true(r->id > 0);
}

static struct http *new_driver(void)
{
	struct http *h = http_new();
	assert_non_null(h);
	return h;
}

/* ---- tests ------------------------------------------------------------------ */

static void source_interface(void **state)
{
	(void)state;
	struct http *h = new_driver();
	struct source *s = http_source(h);
	assert_string_equal(s->ops->kind, "http");
	assert_int_equal(s->ops->start(s, clock_now()), 0);
	struct pollfd pfd[4];
	assert_int_equal(s->ops->fds(s, pfd, 4), 0);
	assert_true(isinf(s->ops->tick(s, clock_now())));
	assert_int_equal(http_pending(h), 0);
	/* owned by a source set from here on: freed by its stop() */
	struct source_set set;
	source_set_init(&set);
	assert_int_equal(source_set_add(&set, s), 0);
	source_set_free(&set);
}

static void ok_exposition(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result r = { 0 };
	get(h, "/ok", &r, NULL);
	assert_int_equal(http_pending(h), 1);
	pump(h, (struct result *[]){ &r }, 1, 5);
	assert_int_equal(r.calls, 1);
	assert_false(r.failed);
	assert_int_equal(r.status, 200);
	assert_non_null(r.body);
	assert_has(r.body, "test_inferences_total{model=\"m1\"} 1234");
	assert_has(r.body, "test_power_watts{gpu=\"0\"} 350.5");
	assert_int_equal(r.bytes, r.body_len);
	assert_starts(r.ctype, "text/plain");
	assert_true(r.latency_ms > 0 && r.latency_ms < 5000);
	assert_int_equal(http_pending(h), 0);
	result_free(&r);
	http_free(h);
}

static void concurrent_hang_does_not_delay_others(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result hang = { 0 }, ok = { 0 }, slow = { 0 };
	struct http_req rh = { .timeout = 1.0 };
	longest_call = 0;
	double t0 = clock_now();
	get(h, "/hang", &hang, &rh);
	get(h, "/slow?delay=0.3", &slow, NULL);
	get(h, "/ok", &ok, NULL);
	pump(h, (struct result *[]){ &hang, &ok, &slow }, 3, 5);

	assert_int_equal(ok.calls, 1);
	assert_false(ok.failed);
	/* not held up by /hang (normally done in a few ms) */
	assert_true(ok.t_done - t0 < 0.75);
	assert_true(ok.t_done < hang.t_done);
	assert_int_equal(slow.calls, 1);
	assert_false(slow.failed);
	assert_true(slow.t_done - t0 >= 0.3 && slow.t_done - t0 < 1.5);
	assert_true(slow.t_done > ok.t_done);
	assert_int_equal(hang.calls, 1);
	assert_true(hang.failed);
	assert_has(hang.error, "total timeout");
	assert_true(hang.t_done - t0 >= 0.95 && hang.t_done - t0 < 2.0);
	/* nothing waited inside the driver (a blocking wait would take ~1 s) */
	assert_true(longest_call < 0.5);
	result_free(&hang);
	result_free(&ok);
	result_free(&slow);
	http_free(h);
}

static long stat_connections(const char *json)
{
	const char *p = json ? strstr(json, "\"connections\": ") : NULL;
	return p ? strtol(p + 15, NULL, 10) : -1;
}

static void keep_alive_reuses_connection(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result before = { 0 }, after = { 0 }, ok[3] = { { 0 } };
	get(h, "/stats", &before, NULL);
	pump(h, (struct result *[]){ &before }, 1, 5);
	assert_int_equal(before.status, 200);
	assert_int_equal(before.new_conns, 1);
	for (int i = 0; i < 3; i++) {
		get(h, "/ok", &ok[i], NULL);
		pump(h, (struct result *[]){ &ok[i] }, 1, 5);
		assert_int_equal(ok[i].status, 200);
		assert_int_equal(ok[i].new_conns, 0);
	}
	get(h, "/stats", &after, NULL);
	pump(h, (struct result *[]){ &after }, 1, 5);
	long c0 = stat_connections(before.body), c1 = stat_connections(after.body);
	assert_true(c0 > 0);
	assert_int_equal(c1, c0);                 /* the server saw no new connection */
	result_free(&before);
	result_free(&after);
	for (int i = 0; i < 3; i++)
		result_free(&ok[i]);
	http_free(h);
}

static void gzip_is_decoded(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result r = { 0 }, echo = { 0 };
	get(h, "/gzip", &r, NULL);
	get(h, "/headers", &echo, NULL);
	pump(h, (struct result *[]){ &r, &echo }, 2, 5);
	assert_int_equal(r.status, 200);
	assert_false(r.failed);
	assert_string_equal(r.enc, "gzip");
	assert_has(r.body, "test_inferences_total{model=\"m1\"} 42\n");
	assert_has(echo.body, "\"accept-encoding\": \"");
	assert_has(echo.body, "gzip");
	result_free(&r);
	result_free(&echo);
	http_free(h);
}

static void size_cap(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result known = { 0 }, chunked = { 0 }, fits = { 0 };
	struct http_req rq = { .max_bytes = 1 << 20 };
	struct http_req rq2 = rq, rq3 = { .max_bytes = 2 << 20 };
	double t0 = clock_now();
	get(h, "/big?mb=64", &known, &rq);            /* refused from Content-Length */
	get(h, "/big?mb=64&chunked=1", &chunked, &rq2);  /* cut off while arriving */
	get(h, "/big?mb=2", &fits, &rq3);             /* exactly at the cap */
	pump(h, (struct result *[]){ &known, &chunked, &fits }, 3, 10);
	assert_string_equal(known.error, "response larger than 1048576 bytes");
	assert_string_equal(chunked.error, "response larger than 1048576 bytes");
	assert_true(chunked.bytes <= 1 << 20);
	assert_true(chunked.t_done - t0 < 2.0);     /* not after 64 MiB */
	assert_false(fits.failed);
	assert_int_equal(fits.body_len, 2 << 20);
	result_free(&known);
	result_free(&chunked);
	result_free(&fits);
	http_free(h);
}

static void drip_ends_at_total_timeout(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result r = { 0 };
	struct http_req rq = { .timeout = 1.5 };
	double t0 = clock_now();
	get(h, "/drip", &r, &rq);
	pump(h, (struct result *[]){ &r }, 1, 5);
	assert_int_equal(r.calls, 1);
	assert_has(r.error, "total timeout");
	assert_has(r.error, "within 1.5 s");
	assert_true(r.bytes >= 1);
	assert_true(r.t_done - t0 >= 1.45 && r.t_done - t0 < 2.5);
	result_free(&r);
	http_free(h);
}

static void reset_empty_and_500(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result reset = { 0 }, empty = { 0 }, e500 = { 0 }, e404 = { 0 };
	get(h, "/reset", &reset, NULL);
	get(h, "/empty", &empty, NULL);
	get(h, "/500", &e500, NULL);
	get(h, "/status?code=404", &e404, NULL);
	pump(h, (struct result *[]){ &reset, &empty, &e500, &e404 }, 4, 5);

	char want[96];
	snprintf(want, sizeof want, "connection reset by 127.0.0.1:%d", srv.port);
	assert_string_equal(reset.error, want);
	assert_int_equal(reset.status, 0);
	assert_has(empty.error, "empty reply from 127.0.0.1:");
	assert_int_equal(empty.status, 0);

	assert_int_equal(e500.status, 500);
	assert_true(e500.failed);
	assert_starts(e500.error, "HTTP 500 Internal Server Error: boom:");
	assert_has(e500.error, "the backend failed");
	assert_lacks(e500.error, "second line");
	assert_true(testlib_clean_text(e500.error));
	assert_has(e500.body, "second line");   /* the body is still there */
	assert_string_equal(e404.error, "HTTP 404 Not Found: status 404 as asked");
	result_free(&reset);
	result_free(&empty);
	result_free(&e500);
	result_free(&e404);
	http_free(h);
}

static void refused_and_connect_timeout(void **state)
{
	(void)state;
	struct http *h = new_driver();

	/* a port nobody listens on */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	int closed_port = ntohs(a.sin_port);
	close(fd);

	/* a listener whose backlog is full: SYNs go unanswered */
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_port = 0;
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(lfd, 0), 0);
	al = sizeof a;
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	int fill[8], nfill = 0;
	bool full = false;
	while (nfill < 8 && !full) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		fill[nfill++] = c;
		if (connect(c, (struct sockaddr *)&a, sizeof a) == 0)
			continue;
		struct pollfd p = { .fd = c, .events = POLLOUT };
		full = poll(&p, 1, 100) == 0;
	}

	char url1[64], url2[64];
	snprintf(url1, sizeof url1, "http://127.0.0.1:%d/ok", closed_port);
	snprintf(url2, sizeof url2, "http://127.0.0.1:%d/ok", ntohs(a.sin_port));
	struct result refused = { 0 }, slow = { 0 };
	struct http_req r1 = { .url = url1 }, r2 = { .url = url2, .connect_timeout = 0.5, .timeout = 3 };
	assert_true(http_request(h, &r1, on_done, &refused) > 0);
	if (full)
		assert_true(http_request(h, &r2, on_done, &slow) > 0);
	double t0 = clock_now();
	pump(h, (struct result *[]){ &refused, &slow }, full ? 2 : 1, 5);

	char want[96];
	snprintf(want, sizeof want, "connection refused by 127.0.0.1:%d", closed_port);
	assert_string_equal(refused.error, want);
	if (full) {
		assert_has(slow.error, "connect timeout: no connection to 127.0.0.1:");
		assert_has(slow.error, "within 0.5 s");
		assert_true(slow.t_done - t0 < 2.0);
	} else {
		fprintf(stderr, "test_http: could not fill a listen backlog; connect timeout not tested\n");
	}
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
	result_free(&refused);
	result_free(&slow);
	http_free(h);
}

static void dns_failure(void **state)
{
	(void)state;
	struct http *h = new_driver();
	struct result r = { 0 };
	struct http_req rq = { .url = "http://nonexistent.invalid/metrics", .connect_timeout = 2, .timeout = 3 };
	longest_call = 0;
	assert_true(http_request(h, &rq, on_done, &r) > 0);
	pump(h, (struct result *[]){ &r }, 1, 5);
	assert_int_equal(r.calls, 1);
	/* "DNS lookup failed..." or, without a resolver, "connect timeout: DNS lookup..." */
	assert_has(r.error, "DNS lookup");
	assert_has(r.error, "nonexistent.invalid:80");
	assert_true(longest_call < 0.5);
	result_free(&r);
	http_free(h);
}

static void tls_failures(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	char url[96];
	snprintf(url, sizeof url, "https://127.0.0.1:%d/ok", srv.port);   /* plain HTTP there */
	struct result plain = { 0 }, badca = { 0 };
	/* loading the system CA bundle takes a while on a loaded machine */
	struct http_req r1 = { .url = url, .connect_timeout = 15, .timeout = 15 };
	struct http_req r2 = { .url = url, .connect_timeout = 15, .timeout = 15, .ca_file = "/nonexistent/ca.pem" };
	assert_true(http_request(h, &r1, on_done, &plain) > 0);
	assert_true(http_request(h, &r2, on_done, &badca) > 0);
	pump(h, (struct result *[]){ &plain, &badca }, 2, 16);
	assert_starts(plain.error, "TLS failure with 127.0.0.1:");
	assert_starts(badca.error, "TLS failure with 127.0.0.1:");
	assert_true(testlib_clean_text(plain.error));
	result_free(&plain);
	result_free(&badca);
	http_free(h);
}

static void bearer_from_file(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	char *good = testlib_temp_file("http", TOKEN "\n");
	char *bad = testlib_temp_file("http", "wrong-token-value-123\r\n");
	struct result rg = { 0 }, rb = { 0 }, rm = { 0 };
	struct http_req qg = { .bearer_file = good }, qb = { .bearer_file = bad };
	struct http_req qm = { .bearer_file = "/nonexistent/token" };
	get(h, "/auth", &rg, &qg);
	get(h, "/auth", &rb, &qb);
	get(h, "/auth", &rm, &qm);
	assert_int_equal(rm.calls, 0);           /* never from inside http_request() */
	pump(h, (struct result *[]){ &rg, &rb, &rm }, 3, 5);

	assert_int_equal(rg.status, 200);
	assert_false(rg.failed);
	assert_string_equal(rg.body, "welcome\n");
	assert_int_equal(rb.status, 401);
	/* hostile.py echoes the token it got; the error text must not */
	assert_starts(rb.error, "HTTP 401 Unauthorized: unauthorized: you sent");
	assert_lacks(rb.error, "wrong-token");
	assert_lacks(rb.error, "value-123");
	assert_has(rb.error, "***");
	assert_int_equal(rm.status, 0);
	assert_true(rm.latency_ms < 0);
	assert_string_equal(rm.error, "bearer token file /nonexistent/token: No such file or directory");
	unlink(good);
	unlink(bad);
	free(good);
	free(bad);
	result_free(&rg);
	result_free(&rb);
	result_free(&rm);
	http_free(h);
}

static void basic_from_file(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	char *good = testlib_temp_file("http", BASIC "\n");
	char *bad = testlib_temp_file("http", "perwatt:wrong-pass-456\n");
	char *nocolon = testlib_temp_file("http", "just-a-password\n");
	struct result rg = { 0 }, rb = { 0 }, rn = { 0 };
	struct http_req qg = { .basic_file = good }, qb = { .basic_file = bad };
	struct http_req qn = { .basic_file = nocolon };
	get(h, "/auth", &rg, &qg);
	get(h, "/auth", &rb, &qb);
	get(h, "/auth", &rn, &qn);
	pump(h, (struct result *[]){ &rg, &rb, &rn }, 3, 5);

	assert_int_equal(rg.status, 200);
	assert_int_equal(rb.status, 401);
	assert_lacks(rb.error, "wrong-pass-456");
	assert_lacks(rb.error, "cGVyd2F0dDp3cm9uZy1wYXNzLTQ1Ng==");  /* base64 of it */
	assert_has(rb.error, "you sent 'Basic ***' (perwatt:***)");
	assert_lacks(rn.error, "just-a-password");
	assert_has(rn.error, "expected user:password");
	unlink(good);
	unlink(bad);
	unlink(nocolon);
	free(good);
	free(bad);
	free(nocolon);
	result_free(&rg);
	result_free(&rb);
	result_free(&rn);
	http_free(h);
}

static void post_bodies_and_headers(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();

	/* a raw binary body, with NULs, sent byte for byte */
	size_t n = 100000;
	char *body = malloc(n);
	assert_non_null(body);
	unsigned long sum = 0;
	for (size_t i = 0; i < n; i++) {
		body[i] = (char)((i * 7 + 3) & 0xff);
		sum += (unsigned char)body[i];
	}
	char *url = malloc(128);
	assert_non_null(url);
	snprintf(url, 128, "%s/headers", srv.base);
	char *hdr1 = strdup("Content-Type: application/octet-stream");
	char *hdr2 = strdup("Accept: application/json");
	const char *hdrs[] = { hdr1, hdr2, NULL };
	struct http_req rq = { .url = url, .method = "POST", .body = body, .body_len = n, .headers = hdrs };
	struct result raw = { 0 }, form = { 0 };
	assert_true(http_request(h, &rq, on_done, &raw) > 0);
	/* everything the request pointed to may go away now */
	memset(body, 0, n);
	free(body);
	free(hdr1);
	free(hdr2);
	memset(url, 0, 128);
	free(url);

	char furl[96];
	snprintf(furl, sizeof furl, "%s/headers", srv.base);
	struct http_req fq = { .url = furl, .method = "POST", .body = "query=up&time=1" };
	assert_true(http_request(h, &fq, on_done, &form) > 0);
	pump(h, (struct result *[]){ &raw, &form }, 2, 5);

	assert_int_equal(raw.status, 200);
	assert_non_null(raw.body);
	char want[64];
	snprintf(want, sizeof want, "\"body_len\": %zu", n);
	assert_has(raw.body, want);
	snprintf(want, sizeof want, "\"body_sum\": %lu", sum);
	assert_has(raw.body, want);
	assert_has(raw.body, "\"method\": \"POST\"");
	assert_has(raw.body, "\"content-type\": \"application/octet-stream\"");
	assert_has(raw.body, "\"accept\": \"application/json\"");
	assert_lacks(raw.body, "\"expect\"");          /* no 100-continue wait */
	assert_string_equal(raw.aws, "Test.Error;Sender");   /* any response header */
	assert_string_equal(raw.ctype, "application/json");

	assert_has(form.body, "\"body\": \"query=up&time=1\"");
	assert_has(form.body, "\"content-type\": \"application/x-www-form-urlencoded\"");
	assert_has(form.body, "\"user-agent\": \"perwatt/");
	result_free(&raw);
	result_free(&form);
	http_free(h);
}

static void streaming_chunks(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result all = { 0 }, abort1 = { 0 }, err = { 0 }, selfcancel = { 0 };
	struct http_req rq = { .on_chunk = on_chunk };
	abort1.abort_after = 1;
	selfcancel.cancel_in_chunk = true;
	get(h, "/big?mb=2&chunked=1", &all, &rq);
	get(h, "/big?mb=2", &abort1, &rq);
	get(h, "/500", &err, &rq);
	get(h, "/big?mb=2", &selfcancel, &rq);
	pump(h, (struct result *[]){ &all, &abort1, &err }, 3, 5);
	pump(h, NULL, 0, 0.2);

	assert_false(all.failed);
	assert_null(all.body);                   /* streamed, not buffered */
	assert_true(all.chunks >= 2);
	assert_int_equal(all.chunk_bytes, 2 << 20);
	assert_int_equal(all.bytes, 2 << 20);

	assert_int_equal(abort1.chunks, 1);
	assert_starts(abort1.error, "aborted by the receiver");

	assert_int_equal(err.chunks, 0);         /* an error page is not parsed */
	assert_int_equal(err.status, 500);
	assert_has(err.error, "boom");
	assert_true(testlib_clean_text(err.error));

	assert_int_equal(selfcancel.calls, 0);   /* cancelled from on_chunk() */
	assert_int_equal(selfcancel.chunks, 1);
	assert_int_equal(http_pending(h), 0);
	result_free(&all);
	result_free(&abort1);
	result_free(&err);
	http_free(h);
}

static void cancel_in_flight(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result hang = { 0 }, ok = { 0 };
	struct http_req rq = { .timeout = 5 };
	get(h, "/hang", &hang, &rq);
	pump(h, NULL, 0, 0.2);
	assert_int_equal(http_pending(h), 1);
	http_cancel(h, hang.id);
	http_cancel(h, hang.id);                 /* twice: ignored */
	http_cancel(h, 99999);                   /* unknown: ignored */
	assert_int_equal(http_pending(h), 0);
	struct pollfd pfd[4];
	assert_int_equal(http_source(h)->ops->fds(http_source(h), pfd, 4), 0);
	pump(h, NULL, 0, 0.2);
	assert_int_equal(hang.calls, 0);
	get(h, "/ok", &ok, NULL);
	pump(h, (struct result *[]){ &ok }, 1, 5);
	assert_int_equal(ok.status, 200);
	result_free(&ok);
	http_free(h);
}

static void more_sockets_than_poll_slots(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result r[4] = { { 0 } };
	for (int i = 0; i < 4; i++)
		get(h, "/slow?delay=0.2", &r[i], NULL);
	poll_slots = 1;        /* every socket must still get its turn */
	pump(h, (struct result *[]){ &r[0], &r[1], &r[2], &r[3] }, 4, 5);
	poll_slots = 64;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r[i].status, 200);
		result_free(&r[i]);
	}
	http_free(h);
}

static void cancel_while_resolving(void **state)
{
	(void)state;
	struct http *h = new_driver();
	struct result r = { 0 };
	struct http_req rq = { .url = "http://cancel-me.invalid/metrics" };
	int id = http_request(h, &rq, on_done, &r);
	assert_true(id > 0);
	/* one tick starts the resolver thread; a fast resolver may already
	 * have answered, else the cancel must not wait for it */
	http_source(h)->ops->tick(http_source(h), clock_now());
	int calls = r.calls;
	double t0 = clock_now();
	http_cancel(h, id);
	http_free(h);
	assert_true(clock_now() - t0 < 0.5);
	assert_int_equal(r.calls, calls);
	result_free(&r);
}

/* A resolver that hangs: libcurl's resolver thread calls this instead of
 * the C library's (the program's own definition comes first), and names
 * with "hangdns" in them take 3 s to fail, like an unreachable DNS server. */
static volatile int hang_lookups;

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
	if (node && strstr(node, "hangdns")) {
		hang_lookups++;
		struct timespec ts = { 3, 0 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		return EAI_AGAIN;
	}
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	return real ? real(node, service, hints, res) : EAI_FAIL;
}

static void hanging_dns_does_not_block(void **state)
{
	(void)state;
	struct http *h = new_driver();
	struct result slow = { 0 }, cancelled = { 0 };
	struct http_req q1 = { .url = "http://hangdns.test/metrics", .connect_timeout = 0.5, .timeout = 2 };
	struct http_req q2 = { .url = "http://hangdns2.test/metrics" };
	longest_call = 0;
	double t0 = clock_now();
	assert_true(http_request(h, &q1, on_done, &slow) > 0);
	int id = http_request(h, &q2, on_done, &cancelled);
	assert_true(id > 0);
	pump(h, NULL, 0, 0.05);
	if (hang_lookups == 0) {
		http_free(h);
		fprintf(stderr, "test_http: getaddrinfo not interposed; hanging DNS not tested\n");
		skip();
	}
	/* cancelling a lookup in progress does not wait for it */
	double c0 = clock_now();
	http_cancel(h, id);
	assert_true(clock_now() - c0 < 0.2);
	pump(h, (struct result *[]){ &slow }, 1, 5);
	assert_has(slow.error, "connect timeout: DNS lookup for hangdns.test:80 took over 0.5 s");
	assert_true(slow.t_done - t0 >= 0.45 && slow.t_done - t0 < 1.5);   /* not 3 s */
	assert_true(longest_call < 0.2);
	assert_int_equal(cancelled.calls, 0);
	c0 = clock_now();
	http_free(h);
	assert_true(clock_now() - c0 < 0.2);
	result_free(&slow);
}

static void free_with_requests_in_flight(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result a = { 0 }, b = { 0 }, c = { 0 };
	get(h, "/hang", &a, NULL);
	get(h, "/drip", &b, NULL);
	pump(h, NULL, 0, 0.1);
	struct http_req bad = { .headers = (const char *const[]){ "No-Colon", NULL } };
	get(h, "/ok", &c, &bad);                 /* a pre-start failure not yet delivered */
	assert_int_equal(http_pending(h), 3);
	http_free(h);                            /* nothing leaks, nobody is called */
	assert_int_equal(a.calls + b.calls + c.calls, 0);
}

static void bad_requests(void **state)
{
	(void)state;
	struct http *h = new_driver();
	struct result hdr = { 0 }, scheme = { 0 }, url = { 0 }, getbody = { 0 }, method = { 0 };
	const char *inject[] = { "X-Ok: 1", "X-Bad: a\r\nInjected: yes", NULL };
	struct http_req q1 = { .url = "http://127.0.0.1:1/", .headers = inject };
	struct http_req q2 = { .url = "ftp://127.0.0.1/file" };
	struct http_req q3 = { .url = "http://exa mple.com/" };
	struct http_req q4 = { .url = "http://127.0.0.1:1/", .body = "x" };
	struct http_req q5 = { .url = "http://127.0.0.1:1/", .method = "get now" };
	struct http_req q6 = { .url = "http://127.0.0.1:1/", .timeout = -1 };
	struct http_req q7 = { .url = "http://127.0.0.1:1/", .bearer_file = "/a", .basic_file = "/b" };
	struct result badto = { 0 }, both = { 0 };
	assert_true(http_request(h, &q1, on_done, &hdr) > 0);
	assert_true(http_request(h, &q2, on_done, &scheme) > 0);
	assert_true(http_request(h, &q3, on_done, &url) > 0);
	assert_true(http_request(h, &q4, on_done, &getbody) > 0);
	assert_true(http_request(h, &q5, on_done, &method) > 0);
	assert_true(http_request(h, &q6, on_done, &badto) > 0);
	assert_true(http_request(h, &q7, on_done, &both) > 0);
	assert_int_equal(http_request(h, NULL, on_done, &hdr), -1);
	assert_int_equal(http_request(h, &q1, NULL, &hdr), -1);
	/* reported from the next tick, never from inside http_request() */
	assert_int_equal(hdr.calls + scheme.calls + url.calls + getbody.calls + method.calls, 0);
	assert_int_equal(http_pending(h), 7);
	/* a tick that called done()s asks for one more round at once (their
	 * owners' next deadlines come from their own tick); the next is idle */
	double now = clock_now();
	assert_true(http_source(h)->ops->tick(http_source(h), now) <= now);
	assert_true(isinf(http_source(h)->ops->tick(http_source(h), clock_now())));
	assert_int_equal(hdr.calls + scheme.calls + url.calls + getbody.calls + method.calls, 5);
	assert_int_equal(badto.calls + both.calls, 2);
	assert_int_equal(http_pending(h), 0);
	assert_int_equal(hdr.status, 0);
	assert_has(hdr.error, "invalid request header");
	assert_string_equal(scheme.error, "unsupported URL scheme (http and https only)");
	assert_starts(url.error, "invalid URL");
	assert_string_equal(getbody.error, "a GET request cannot have a body");
	assert_string_equal(method.error, "invalid HTTP method");
	assert_string_equal(badto.error, "invalid timeout (0 to 86400 s)");
	assert_string_equal(both.error, "more than one of bearer token, basic auth and AWS signing given; use one");
	http_free(h);
}

static void done_may_cancel_and_retry(void **state)
{
	(void)state;
	struct http *h = new_driver();
	struct source *s = http_source(h);
	struct result a = { 0 }, b = { 0 }, c = { 0 }, again = { 0 };
	struct http_req bad = { .url = "gopher://127.0.0.1/" };   /* fails before starting */
	a.h = b.h = c.h = h;
	assert_true(http_request(h, &bad, on_done, &a) > 0);
	b.id = http_request(h, &bad, on_done, &b);
	assert_true(b.id > 0);
	assert_true(http_request(h, &bad, on_done, &c) > 0);
	a.cancel_other = b.id;          /* a's done() cancels b, already queued */
	c.then = &bad;                  /* c's done() retries at once, failing again */
	c.then_r = &again;
	double now = clock_now();
	double next = s->ops->tick(s, now);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(again.calls, 0);   /* the retry waits for the next tick, */
	assert_int_equal(http_pending(h), 1);
	assert_true(next <= now);           /* which is due at once */
	s->ops->tick(s, clock_now());
	assert_int_equal(again.calls, 1);   /* ...and gets it */
	assert_int_equal(b.calls, 0);
	http_free(h);
}

static void request_from_done(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result first = { 0 }, second = { 0 };
	char url[96];
	snprintf(url, sizeof url, "%s/ok?inferences=7", srv.base);
	struct http_req next = { .url = url };
	first.then = &next;
	first.then_r = &second;
	get(h, "/ok", &first, NULL);
	pump(h, (struct result *[]){ &first, &second }, 2, 5);
	assert_int_equal(second.status, 200);
	assert_has(second.body, "test_inferences_total{model=\"m1\"} 7");
	assert_int_equal(second.new_conns, 0);   /* same connection */
	result_free(&first);
	result_free(&second);
	http_free(h);
}

static void redirect_and_head(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result redir = { 0 }, head = { 0 };
	struct http_req hq = { .method = "HEAD" };
	get(h, "/redirect?to=/ok", &redir, NULL);
	get(h, "/ok", &head, &hq);
	pump(h, (struct result *[]){ &redir, &head }, 2, 5);
	char want[128];
	snprintf(want, sizeof want, "HTTP 302 Found: redirect to %s/ok not followed", srv.base);
	assert_string_equal(redir.error, want);
	assert_int_equal(redir.status, 302);
	assert_false(head.failed);
	assert_int_equal(head.status, 200);
	assert_int_equal(head.body_len, 0);
	result_free(&redir);
	result_free(&head);
	http_free(h);
}

static void hostile_body_passes_through(void **state)
{
	(void)state;
	NEED_SERVER();
	struct http *h = new_driver();
	struct result r = { 0 };
	get(h, "/escape", &r, NULL);
	pump(h, (struct result *[]){ &r }, 1, 5);
	/* bodies are data for a parser, not text for the screen: unchanged */
	assert_has(r.body, "\x1b[2J\x07" "evil");
	assert_non_null(memchr(r.body, 0xff, r.body_len));
	result_free(&r);
	http_free(h);
}

static void backoff(void **state)
{
	(void)state;
	struct http_backoff b, b2;
	http_backoff_init(&b, "http://a:9100/metrics");
	http_backoff_init(&b2, "http://a:9100/metrics");
	assert_float_equal(http_backoff_next(&b, false, 100, 5), 105, 1e-9);
	double expect = 10;
	for (int i = 0; i < 12; i++) {
		double t = http_backoff_next(&b, true, 100, 5);
		assert_float_equal(http_backoff_next(&b2, true, 100, 5), t, 0);   /* deterministic */
		double d = t - 100;
		if (expect * 0.9 < HTTP_BACKOFF_MAX) {
			assert_true(d >= expect * 0.9 - 1e-9);
			assert_true(d <= fmin(expect * 1.1, HTTP_BACKOFF_MAX) + 1e-9);
		} else {
			assert_float_equal(d, HTTP_BACKOFF_MAX, 1e-9);
		}
		assert_true(d <= HTTP_BACKOFF_MAX);
		expect *= 2;
	}
	assert_true(b.failures == 12);
	/* success resets */
	assert_float_equal(http_backoff_next(&b, false, 200, 5), 205, 1e-9);
	assert_int_equal(b.failures, 0);
	double t = http_backoff_next(&b, true, 200, 5);
	assert_true(t - 200 >= 9 && t - 200 <= 11);
	/* another target jitters differently */
	struct http_backoff c;
	http_backoff_init(&c, "http://b:9100/metrics");
	http_backoff_init(&b, "http://a:9100/metrics");
	assert_true(http_backoff_next(&b, true, 0, 5) != http_backoff_next(&c, true, 0, 5));
	/* a base interval beyond the cap is never shortened */
	assert_float_equal(http_backoff_next(&c, true, 0, 600), 600, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_interface),
		cmocka_unit_test(backoff),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(hanging_dns_does_not_block),   /* early: its threads end in 3 s */
		cmocka_unit_test(ok_exposition),
		cmocka_unit_test(concurrent_hang_does_not_delay_others),
		cmocka_unit_test(keep_alive_reuses_connection),
		cmocka_unit_test(gzip_is_decoded),
		cmocka_unit_test(size_cap),
		cmocka_unit_test(drip_ends_at_total_timeout),
		cmocka_unit_test(reset_empty_and_500),
		cmocka_unit_test(refused_and_connect_timeout),
		cmocka_unit_test(dns_failure),
		cmocka_unit_test(tls_failures),
		cmocka_unit_test(bearer_from_file),
		cmocka_unit_test(basic_from_file),
		cmocka_unit_test(post_bodies_and_headers),
		cmocka_unit_test(streaming_chunks),
		cmocka_unit_test(cancel_in_flight),
		cmocka_unit_test(cancel_while_resolving),
		cmocka_unit_test(more_sockets_than_poll_slots),
		cmocka_unit_test(free_with_requests_in_flight),
		cmocka_unit_test(done_may_cancel_and_retry),
		cmocka_unit_test(request_from_done),
		cmocka_unit_test(redirect_and_head),
		cmocka_unit_test(hostile_body_passes_through),
	};
	return cmocka_run_group_tests(tests, server_start, server_stop);
}
