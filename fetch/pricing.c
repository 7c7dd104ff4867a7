/* pricing.c - on-demand prices from the AWS Price List Query API; see pricing.h. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "core/cwproto.h"
#include "fetch/pricing.h"

#define DEFAULT_PARALLEL  4u
#define DEFAULT_ATTEMPTS  4u
#define DEFAULT_TIMEOUT   15.0      /* s per request */
#define BACKOFF_BASE      0.5       /* s: waits of about 1, 2, 4 s */

struct pricing;

struct item {
	struct pricing_result r;
	struct pricing *p;
	int req;                /* request in flight, 0 when none */
	double next_at;         /* when to send the next request; INFINITY: done */
	char *next_token;       /* the page to ask next; NULL: the first */
	unsigned attempts;      /* of the current page */
	unsigned pages;
	struct http_backoff bo;
};

struct pricing {
	struct http *h;
	struct awscreds *creds;
	struct item *it;
	size_t n;
	unsigned inflight, parallel, max_attempts;
	double timeout;
	bool sent_any;
	char url[AWSCREDS_URL_MAX];
	char sigv4[96];
};


/* A name that goes into a request and a CSV cell as it is. */
static bool plain_name(const char *s, size_t size)
{
	size_t len = s ? strnlen(s, size) : 0;
	if (len == 0 || len >= size)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '.' || *c == '-' || *c == '_'))
			return false;
	return true;
}

struct pricing *pricing_new(struct http *h, struct awscreds *creds, const struct pricing_options *o,
                            char *err, size_t errlen)
{
	if (!h || !creds || !o || !o->ntypes || !o->types) {
		fmt_msg(err, errlen, "no instance types to price");
		return NULL;
	}
	struct pricing_result probe;
	if (!plain_name(o->region, sizeof probe.region)) {
		fmt_msg(err, errlen, "'%.40s' is not a region code (like us-east-1)", o->region ? o->region : "");
		return NULL;
	}
	struct pricing *p = calloc(1, sizeof *p);
	if (!p || !(p->it = calloc(o->ntypes, sizeof *p->it))) {
		free(p);
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	p->h = h;
	p->creds = creds;
	p->parallel = o->parallel ? o->parallel : DEFAULT_PARALLEL;
	p->max_attempts = o->max_attempts ? o->max_attempts : DEFAULT_ATTEMPTS;
	p->timeout = o->timeout > 0 ? o->timeout : DEFAULT_TIMEOUT;
	/* both write their reason into the buffer they were given */
	const char *bad = awscreds_endpoint(creds, CW_PRICING_SERVICE, p->url, sizeof p->url) < 0 ? p->url
	                : awscreds_sigv4(creds, CW_PRICING_SERVICE, p->sigv4, sizeof p->sigv4) < 0 ? p->sigv4
	                : NULL;
	if (bad) {
		fmt_msg(err, errlen, "AWS Price List endpoint: %s", bad);
		pricing_free(p);
		return NULL;
	}
	for (size_t i = 0; i < o->ntypes; i++) {
		const char *t = o->types[i] ? o->types[i] : "";
		bool dup = false;
		for (size_t k = 0; k < p->n && !dup; k++)
			dup = strcmp(p->it[k].r.instance_type, t) == 0;
		if (dup)
			continue;
		struct item *it = &p->it[p->n++];
		it->p = p;
		it->r.usd_per_hour = NAN;
		snprintf(it->r.instance_type, sizeof it->r.instance_type, "%s", t);
		snprintf(it->r.region, sizeof it->r.region, "%s", o->region);
		http_backoff_init(&it->bo, it->r.instance_type);
		if (!plain_name(t, sizeof it->r.instance_type)) {
			it->r.status = PRICING_ERROR;
			snprintf(it->r.error, sizeof it->r.error, "not an instance type (like inf2.xlarge)");
			it->next_at = INFINITY;
		}
	}
	return p;
}

static void finish(struct item *it, enum pricing_status st)
{
	it->r.status = st;
	it->next_at = INFINITY;
	free(it->next_token);
	it->next_token = NULL;
	if (st != PRICING_ERROR)
		it->r.error[0] = '\0';
}

static int on_product(void *user, const struct cw_product *pr)
{
	struct item *it = user;
	/* the filters asked for this type and region; an answer that sends
	 * another one anyway is not taken at its word */
	if (strcmp(pr->instance_type, it->r.instance_type) != 0 ||
	    (pr->region_code[0] && strcmp(pr->region_code, it->r.region) != 0))
		return 0;
	/* several products (should not happen after the filters): the first,
	 * as the answer orders them, is kept */
	if (it->r.products++ == 0)
		it->r.usd_per_hour = pr->usd_per_hour;
	return 0;
}

/* A failed attempt: again after a backoff, or the end. */
static void failed(struct item *it, bool retry, const char *why, double now)
{
	struct pricing *p = it->p;
	snprintf(it->r.error, sizeof it->r.error, "%s", why);
	if (retry && it->attempts < p->max_attempts) {
		it->next_at = http_backoff_next(&it->bo, true, now, BACKOFF_BASE);
		return;
	}
	if (retry && it->attempts > 1) {
		size_t len = strlen(it->r.error);
		snprintf(it->r.error + len, sizeof it->r.error - len, " (gave up after %u attempts)", it->attempts);
	}
	finish(it, PRICING_ERROR);
}

static void on_done(void *user, const struct http_resp *resp)
{
	struct item *it = user;
	struct pricing *p = it->p;
	double now = clock_now();
	it->req = 0;
	p->inflight--;
	it->attempts++;

	if (resp->status != 200 || resp->error) {
		if (resp->status == 0 || (resp->status >= 200 && resp->status < 300)) {
			/* no answer, or not all of it: refused, reset, timed out, cut
			 * short - worth another try */
			failed(it, true, resp->error ? resp->error : "no answer", now);
			return;
		}
		struct cw_error e;
		cw_error_parse((int)resp->status, http_resp_header(resp, CW_QUERY_ERROR_HEADER),
		               resp->body, resp->body ? resp->body_len : 0, &e);
		failed(it, e.retry, e.line, now);
		return;
	}

	struct cw_products_info info;
	char why[CW_TEXT_MAX];
	size_t before = it->r.products;
	double price_before = it->r.usd_per_hour;
	if (cw_products_parse(resp->body ? resp->body : "", resp->body ? resp->body_len : 0, on_product, it,
	                      &info, why, sizeof why) < 0) {
		/* nothing of it was delivered; a cut or garbled answer may come
		 * whole the next time */
		it->r.products = before;
		it->r.usd_per_hour = price_before;
		char line[PRICING_ERROR_MAX];
		snprintf(line, sizeof line, "malformed GetProducts answer: %s", why);
		failed(it, true, line, now);
		return;
	}
	http_backoff_next(&it->bo, false, now, BACKOFF_BASE);
	it->attempts = 0;
	it->pages++;
	free(it->next_token);
	it->next_token = info.next_token;
	if (it->next_token && !it->next_token[0]) {
		free(it->next_token);
		it->next_token = NULL;
	}
	if (it->next_token && it->pages < PRICING_MAX_PAGES) {
		it->next_at = now;          /* the next page at once */
		return;
	}
	finish(it, it->r.products ? PRICING_FOUND : PRICING_NOT_FOUND);
}

static void send(struct item *it, const struct awscreds_value *v, double now)
{
	struct pricing *p = it->p;
	char why[CW_TEXT_MAX];
	struct cw_products_request q = {
		.instance_type = it->r.instance_type,
		.region_code = it->r.region,
		.max_results = 100,
		.next_token = it->next_token,
	};
	char *body = cw_products_build(&q, why, sizeof why);
	if (!body) {
		char line[PRICING_ERROR_MAX];
		snprintf(line, sizeof line, "cannot build the request: %s", why);
		failed(it, false, line, now);
		return;
	}
	static const char *const headers[] = {
		"Content-Type: " CW_PRICING_CONTENT_TYPE,
		"X-Amz-Target: " CW_PRICING_TARGET_GET_PRODUCTS,
		NULL,
	};
	struct http_aws aws = {
		.sigv4 = p->sigv4,
		.key_id = v->akid,
		.secret = v->secret,
		.token = v->token[0] ? v->token : NULL,
	};
	struct http_req r = {
		.url = p->url,
		.method = "POST",
		.body = body,
		.headers = headers,
		.connect_timeout = p->timeout < HTTP_DEFAULT_CONNECT_TIMEOUT ? p->timeout
		                                                             : HTTP_DEFAULT_CONNECT_TIMEOUT,
		.timeout = p->timeout,
		.aws = &aws,
	};
	int id = http_request(p->h, &r, on_done, it);
	free(body);
	if (id < 0) {
		failed(it, false, "out of memory", now);
		return;
	}
	it->req = id;
	it->next_at = INFINITY;     /* set again by on_done() */
	it->r.requests++;
	p->inflight++;
	p->sent_any = true;
}

double pricing_tick(struct pricing *p, double now)
{
	if (pricing_done(p))
		return INFINITY;
	const struct awscreds_value *v = awscreds_get(p->creds);
	if (!v) {
		if (awscreds_state(p->creds) == AWSCREDS_FAILED) {
			const char *e = awscreds_error(p->creds);
			char why[PRICING_ERROR_MAX];
			snprintf(why, sizeof why, "no AWS credentials: %s", e ? e : "none found");
			pricing_abort(p, why);
		}
		return INFINITY;    /* they arrive through the HTTP driver */
	}
	double next = INFINITY;
	for (size_t i = 0; i < p->n; i++) {
		struct item *it = &p->it[i];
		if (it->r.status != PRICING_PENDING || it->req)
			continue;
		if (it->next_at <= now && p->inflight < p->parallel)
			send(it, v, now);
		if (it->r.status == PRICING_PENDING && !it->req && it->next_at < next)
			next = it->next_at;
	}
	return next;
}

bool pricing_done(const struct pricing *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->it[i].r.status == PRICING_PENDING)
			return false;
	return true;
}

void pricing_abort(struct pricing *p, const char *why)
{
	for (size_t i = 0; i < p->n; i++) {
		struct item *it = &p->it[i];
		if (it->r.status != PRICING_PENDING)
			continue;
		if (it->req) {
			http_cancel(p->h, it->req);
			it->req = 0;
			p->inflight--;
		}
		char last[PRICING_ERROR_MAX];
		snprintf(last, sizeof last, "%s", it->r.error);
		if (last[0])
			snprintf(it->r.error, sizeof it->r.error, "%.100s (last error: %.200s)", why, last);
		else
			snprintf(it->r.error, sizeof it->r.error, "%s", why);
		finish(it, PRICING_ERROR);
	}
}

size_t pricing_count(const struct pricing *p)
{
	return p->n;
}

const struct pricing_result *pricing_result(const struct pricing *p, size_t i)
{
	return i < p->n ? &p->it[i].r : NULL;
}

const char *pricing_endpoint(const struct pricing *p)
{
	return p->url;
}

bool pricing_sent_any(const struct pricing *p)
{
	return p->sent_any;
}

void pricing_free(struct pricing *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		if (p->it[i].req)
			http_cancel(p->h, p->it[i].req);
		free(p->it[i].next_token);
	}
	free(p->it);
	free(p);
}
