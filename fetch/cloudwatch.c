/*
 * cloudwatch.c - the CloudWatch source (see cloudwatch.h): discovery with
 * ListMetrics, batched incremental GetMetricData, a delayed hold of each
 * datapoint for display, and the cost of watching in the health line.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/cwproto.h"
#include "core/format.h"
#include "fetch/awscreds.h"
#include "fetch/cloudwatch.h"

#define NFIG MET__COUNT
#define GRACE_PERIODS 1.0       /* a missing datapoint is bridged this long */
#define MAX_SERIES_PER_FLEET 5000
#define LM_MAX_PAGES 50         /* per ListMetrics job and round */
#define GMD_MAX_PAGES 200      /* a page holds up to 100,800 datapoints */
#define RETRY_BASE 5.0          /* s: failed polls retry after 10, 20, 40 s ... 300 s */

static const char *const preset_names[] = { "cwagent-gpu", "ec2", "neuron", NULL };

bool cloudwatch_preset_known(const char *name)
{
	for (const char *const *p = preset_names; name && *p; p++)
		if (strcmp(*p, name) == 0)
			return true;
	return false;
}

/* ---- small pure helpers ---------------------------------------------------- */

double cloudwatch_delay(int period, double settle, double interval)
{
	double p = period > 0 ? period : CLOUDWATCH_DEFAULT_PERIOD;
	if (interval > p)
		p = interval;
	return p + (settle >= 0 ? settle : CLOUDWATCH_DEFAULT_SETTLE) + CLOUDWATCH_MARGIN;
}

double cloudwatch_next_poll(double wall, int period, double settle, double interval, double last)
{
	double p = period > 0 ? period : CLOUDWATCH_DEFAULT_PERIOD;
	double t = (floor((wall - settle) / p) + 1) * p + settle + 1;
	if (last > 0 && interval > 0)
		while (t < last + interval - 0.5)
			t += p;
	return t;
}

const char *cloudwatch_instance_key(char *buf, size_t n, const char *const *names,
                                    const char *const *values, size_t ndims)
{
	if (!n)
		return buf;
	buf[0] = '\0';
	static const char *const keys[] = { "InstanceId", "host" };
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < ndims; i++)
			if (strcmp(names[i], keys[k]) == 0 && values[i] && *values[i]) {
				snprintf(buf, n, "%s", values[i]);
				return buf;
			}
	size_t o = 0;
	for (size_t i = 0; i < ndims && o + 1 < n; i++) {
		int w = snprintf(buf + o, n - o, "%s%s=%s", i ? "," : "", names[i], values[i] ? values[i] : "");
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (!buf[0])
		snprintf(buf, n, "all");
	return buf;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- state ------------------------------------------------------------------ */

struct cwsrc;
struct cwfleet;

/* One time series: a metric's exact dimension set (queried), or one label
 * of an expression's answer (fed by its expression's query). */
struct cwser {
	struct cwfleet *fl;
	int fig;
	char *key;              /* identity across discovery rounds */
	char *inst;             /* instance id (raw) */
	bool queried;           /* a query of its own (metric, or expression) */
	bool expr;
	char *ns, *name;        /* metric */
	struct cw_dim *dims;    /* strings owned */
	size_t ndims;
	struct cw_series hist;
	struct cw_point pts[CLOUDWATCH_HIST];
	struct cwser *parent;   /* an expression's label series: its query */
	bool got;               /* a datapoint in the last answer */
	bool fresh;             /* not fetched yet: needs the whole backfill */
	long slot;              /* its instance's index in the fleet's inst[], -1: none yet */
	bool per_instance;      /* its dimensions name an instance (InstanceId, host) */
};

struct figspec {
	char *ns, *metric, *stat, *expr;
	struct cw_dim *dims;    /* extra filters, strings owned */
	size_t ndims;
	double scale;
	const char *origin;     /* "config" or the preset's name */
};

enum lm_phase { LM_SELECT = 1, LM_BY_INSTANCE, LM_NAMESPACE };

struct lmjob {
	struct cwfleet *fl;
	int fig;                /* -1: the neuron namespace listing */
	enum lm_phase phase;
	char *token;
	int pages;
	int id;                 /* http id, 0 when none in flight */
};

struct cwfleet {
	struct cwsrc *src;
	struct fleet *fleet;
	struct source_health *health;
	char *name;
	struct figspec fig[NFIG];
	char *sel_name, *sel_value;
	char *neuron_ns;
	bool neuron;
	int period;
	double settle, interval, timeout, delay;

	struct cwser **ser;     /* the current set */
	size_t nser;
	struct cwser **found;   /* the round being discovered */
	size_t nfound, capfound;
	struct lmjob *jobs;
	size_t njobs, capjobs;
	int lm_pending;
	bool lm_failed;
	double next_discovery;
	bool discovered;        /* a round finished at least once */
	struct http_backoff lm_bo;      /* ListMetrics retries */
	char lm_error[300];     /* why the last round failed, "" */
	char picked[160];       /* what the neuron preset picked */

	double rendered;        /* mono time rendered up to; -INF: never */
	bool have_data;
	double newest_wall;     /* newest datapoint seen */
	char problem[200];      /* the last poll's complaint, "" */
	enum health_status problem_status;
};

/* A GetMetricData call in flight: a batch of one group's queries. */
struct gmdcall {
	struct gmdcall *next, *prev;    /* in cwsrc.calls */
	struct cwsrc *src;
	struct cwgroup *g;
	struct cwser **ser;     /* by position: query id "qN" */
	size_t n;
	struct cw_window w;
	char *token;
	int pages;
	int id;
	/* the result being parsed */
	struct cw_point *buf;
	size_t nbuf, capbuf;
	char cur[CW_ID_MAX];
	size_t points;
};

/* Fleets polled together: the same period and settle time. */
struct cwgroup {
	int period;
	double settle, interval;
	double last_end;        /* of the last window fetched, wall s; 0 never */
	double prev_end;        /* before the poll in flight: restored if it fails */
	double last_poll;       /* wall */
	double next_poll;       /* wall; 0: as soon as possible */
	int inflight;
	struct http_backoff bo;
	bool failed_round;
};

struct cwsrc {
	struct model *model;
	struct http *http;
	struct awscreds *creds;
	struct cwfleet *fl;
	size_t nfl;
	struct cwgroup *grp;
	size_t ngrp;
	double usd_per_1000;
	int gmd_inflight;
	struct gmdcall *calls;  /* in flight */
	char endpoint[AWSCREDS_URL_MAX];
	char sigv4[96];
	char region[64];
	char creds_err[AWSCREDS_ERROR_MAX];     /* awscreds_new() failed: why */
};

/* ---- series ------------------------------------------------------------------- */

static void ser_free(struct cwser *s)
{
	if (!s)
		return;
	free(s->key);
	free(s->inst);
	free(s->ns);
	free(s->name);
	for (size_t i = 0; i < s->ndims; i++) {
		free((char *)s->dims[i].name);
		free((char *)s->dims[i].value);
	}
	free(s->dims);
	free(s);
}

static struct cwser *ser_new(struct cwfleet *fl, int fig, const char *inst)
{
	struct cwser *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fl = fl;
	s->fig = fig;
	s->slot = -1;
	cw_series_init(&s->hist, s->pts, CLOUDWATCH_HIST);
	if (!(s->inst = strdup(inst ? inst : ""))) {
		free(s);
		return NULL;
	}
	return s;
}

/* "fig\x1fns\x1fname\x1fdim=val\x1f..." in the order given (ListMetrics
 * returns one order per metric). */
static char *metric_key(int fig, const struct cw_metric *m)
{
	size_t n = 32 + strlen(m->ns) + strlen(m->name);
	for (size_t i = 0; i < m->ndims; i++)
		n += strlen(m->dims[i].name) + strlen(m->dims[i].value ? m->dims[i].value : "") + 2;
	char *k = malloc(n);
	if (!k)
		return NULL;
	size_t o = (size_t)snprintf(k, n, "%d\x1f%s\x1f%s", fig, m->ns, m->name);
	for (size_t i = 0; i < m->ndims; i++)
		o += (size_t)snprintf(k + o, n - o, "\x1f%s=%s", m->dims[i].name,
		                      m->dims[i].value ? m->dims[i].value : "");
	return k;
}

static int push_found(struct cwfleet *fl, struct cwser *s)
{
	if (fl->nfound == fl->capfound) {
		size_t cap = fl->capfound ? fl->capfound * 2 : 16;
		struct cwser **g = realloc(fl->found, cap * sizeof *g);
		if (!g)
			return -1;
		fl->found = g;
		fl->capfound = cap;
	}
	fl->found[fl->nfound++] = s;
	return 0;
}

static bool found_has(const struct cwfleet *fl, const char *key)
{
	for (size_t i = 0; i < fl->nfound; i++)
		if (strcmp(fl->found[i]->key, key) == 0)
			return true;
	return false;
}

/* ---- health --------------------------------------------------------------------- */

static void set_target(struct cwfleet *fl)
{
	struct cwsrc *src = fl->src;
	size_t billed = 0;          /* metrics requested: a SEARCH's are the series it finds */
	for (size_t i = 0; i < fl->nser; i++)
		if ((fl->ser[i]->queried && !fl->ser[i]->expr) || fl->ser[i]->parent)
			billed++;
	double every = fl->interval > fl->period ? fl->interval : fl->period;
	double usd = cw_watch_usd_per_hour(billed, every, src->usd_per_1000);
	char cost[32], t[sizeof fl->health->target];
	fmt_usd(cost, sizeof cost, usd, 0);
	/* the cost first: it is what a narrow panel must still show */
	snprintf(t, sizeof t, "%zu metric%s/poll every %.0f s = %s/h; shown %.0f s late; %s",
	         billed, billed == 1 ? "" : "s", every, cost, fl->delay,
	         src->region[0] ? src->region : "no region yet");
	fmt_sanitize(fl->health->target, sizeof fl->health->target, t, true);
}

static void fleet_fail(struct cwfleet *fl, enum health_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fleet_fail(struct cwfleet *fl, enum health_status st, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	health_set_error(fl->health, st, "%s", msg);
}

/* ---- requests ------------------------------------------------------------------- */

/* The credentials and endpoint, or a reason in every fleet's health. */
static const struct awscreds_value *ready_creds(struct cwsrc *src)
{
	char why[AWSCREDS_ERROR_MAX + 64];
	why[0] = '\0';
	if (!src->creds) {
		for (size_t i = 0; i < src->nfl; i++)
			health_set_error(src->fl[i].health, HEALTH_FAILING, "AWS credentials: %s", src->creds_err);
		return NULL;
	}
	const struct awscreds_value *v = awscreds_get(src->creds);
	if (!v) {
		const char *e = awscreds_error(src->creds);
		if (awscreds_state(src->creds) == AWSCREDS_RESOLVING)
			snprintf(why, sizeof why, "waiting for AWS credentials");
		else
			snprintf(why, sizeof why, "no usable AWS credentials: %s", e ? e : "none found");
	} else if (!awscreds_region(src->creds)) {
		snprintf(why, sizeof why, awscreds_pending(src->creds) ? "waiting for the AWS region"
		         : "no AWS region: set --region, AWS_REGION or the profile's region");
	} else if (awscreds_endpoint(src->creds, "cloudwatch", src->endpoint, sizeof src->endpoint) < 0 ||
	           awscreds_sigv4(src->creds, "cloudwatch", src->sigv4, sizeof src->sigv4) < 0) {
		snprintf(why, sizeof why, "CloudWatch endpoint: %s", src->endpoint);
	}
	if (why[0]) {
		for (size_t i = 0; i < src->nfl; i++)
			health_set_error(src->fl[i].health, awscreds_state(src->creds) == AWSCREDS_FAILED
			                 ? HEALTH_FAILING : HEALTH_STALE, "%s", why);
		return NULL;
	}
	if (strcmp(src->region, awscreds_region(src->creds)) != 0) {
		snprintf(src->region, sizeof src->region, "%s", awscreds_region(src->creds));
		for (size_t i = 0; i < src->nfl; i++)
			set_target(&src->fl[i]);
	}
	return v;
}

static int send_signed(struct cwsrc *src, const struct awscreds_value *v, const char *target,
                       const char *body, double timeout, http_done_fn done, void *user)
{
	char tgt[128];
	snprintf(tgt, sizeof tgt, "X-Amz-Target: %s", target);
	const char *headers[] = { "Content-Type: " CW_CONTENT_TYPE, tgt, CW_QUERY_MODE_HEADER, NULL };
	struct http_aws aws = {
		.sigv4 = src->sigv4, .key_id = v->akid, .secret = v->secret,
		.token = v->token[0] ? v->token : NULL,
	};
	struct http_req req = {
		.url = src->endpoint, .method = "POST", .body = body, .headers = headers,
		.timeout = timeout, .aws = &aws, .max_bytes = 64u << 20,
	};
	return http_request(src->http, &req, done, user);
}

/* An error answer (or a transport failure) in one line; true when retrying
 * later is the cure. */
static bool answer_error(const struct http_resp *r, char *buf, size_t n, bool *throttled)
{
	*throttled = false;
	if (r->status == 0) {
		snprintf(buf, n, "%s", r->error ? r->error : "no answer");
		return true;
	}
	struct cw_error e;
	cw_error_parse((int)r->status, http_resp_header(r, CW_QUERY_ERROR_HEADER), r->body,
	               r->body ? r->body_len : 0, &e);
	snprintf(buf, n, "%.300s", e.line);
	*throttled = e.kind == CW_ERR_THROTTLED;
	return e.retry;
}

/* ---- discovery --------------------------------------------------------------------- */

static void lm_done(void *user, const struct http_resp *r);

static int lm_add_job(struct cwfleet *fl, int fig, enum lm_phase phase)
{
	if (fl->njobs == fl->capjobs) {
		size_t cap = fl->capjobs ? fl->capjobs * 2 : 8;
		struct lmjob *g = realloc(fl->jobs, cap * sizeof *g);
		if (!g)
			return -1;
		fl->jobs = g;
		fl->capjobs = cap;
	}
	fl->jobs[fl->njobs++] = (struct lmjob){ .fl = fl, .fig = fig, .phase = phase };
	return 0;
}

static int lm_send(struct lmjob *j)
{
	struct cwfleet *fl = j->fl;
	struct cwsrc *src = fl->src;
	const struct awscreds_value *v = ready_creds(src);
	if (!v)
		return -1;
	struct cw_dim dims[CW_MAX_DIM_FILTERS];
	size_t nd = 0;
	struct cw_lm_request rq = { .recently_active = true, .next_token = j->token };
	if (j->phase == LM_NAMESPACE) {
		rq.ns = fl->neuron_ns;     /* all of it: the select dimension is checked per metric */
	} else {
		const struct figspec *fs = &fl->fig[j->fig];
		rq.ns = fs->ns;
		rq.metric_name = fs->metric;
		for (size_t i = 0; i < fs->ndims && nd < CW_MAX_DIM_FILTERS - 1; i++)
			dims[nd++] = fs->dims[i];
		if (j->phase == LM_SELECT)
			dims[nd++] = (struct cw_dim){ fl->sel_name, fl->sel_value };
		else
			dims[nd++] = (struct cw_dim){ "InstanceId", NULL };
	}
	rq.dims = dims;
	rq.ndims = nd;
	char err[256];
	char *body = cw_lm_build(&rq, err, sizeof err);
	if (!body) {
		fleet_fail(fl, HEALTH_FAILING, "ListMetrics: %s", err);
		return -1;
	}
	int id = send_signed(src, v, CW_TARGET_LIST_METRICS, body, fl->timeout, lm_done, j);
	free(body);
	if (id < 0)
		return -1;
	j->id = id;
	fl->lm_pending++;
	return 0;
}

static bool known_instance(const struct cwfleet *fl, const char *id)
{
	for (size_t i = 0; i < fl->nfound; i++)
		if (strcmp(fl->found[i]->inst, id) == 0)
			return true;
	return false;
}

static bool name_has(const char *name, const char *a, const char *b)
{
	char low[256];
	size_t i = 0;
	for (; name[i] && i + 1 < sizeof low; i++)
		low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	low[i] = '\0';
	return strstr(low, a) && (!b || strstr(low, b));
}

/* Which figure a neuron-monitor-cloudwatch.py metric is, or -1. */
static int neuron_figure(const struct cwfleet *fl, const char *name)
{
	if (!fl->fig[MET_UTIL].ns && !fl->fig[MET_UTIL].expr &&
	    name_has(name, "neuroncore", "util") && !name_has(name, "memory", NULL))
		return MET_UTIL;
	if (!fl->fig[MET_THROUGHPUT].ns && !fl->fig[MET_THROUGHPUT].expr &&
	    name_has(name, "execution", NULL) &&
	    (name_has(name, "completed", NULL) || name_has(name, "success", NULL)) &&
	    !name_has(name, "err", NULL) && !name_has(name, "fail", NULL) && !name_has(name, "latency", NULL))
		return MET_THROUGHPUT;
	return -1;
}

struct lm_ctx {
	struct lmjob *j;
	int oom;
};

static int lm_metric(void *user, const struct cw_metric *m)
{
	struct lm_ctx *c = user;
	struct lmjob *j = c->j;
	struct cwfleet *fl = j->fl;
	int fig = j->fig;
	if (j->phase == LM_NAMESPACE) {
		if ((fig = neuron_figure(fl, m->name)) < 0)
			return 0;
		if (fl->sel_name) {     /* keep the fleet's own when the select dimension is there */
			bool has = false, match = false;
			for (size_t i = 0; i < m->ndims; i++)
				if (strcmp(m->dims[i].name, fl->sel_name) == 0) {
					has = true;
					match = m->dims[i].value && strcmp(m->dims[i].value, fl->sel_value) == 0;
				}
			if (has && !match)
				return 0;
		}
	}
	const char *names[CW_MAX_DIMS], *values[CW_MAX_DIMS];
	size_t nd = m->ndims < CW_MAX_DIMS ? m->ndims : CW_MAX_DIMS;
	for (size_t i = 0; i < nd; i++) {
		names[i] = m->dims[i].name;
		values[i] = m->dims[i].value;
	}
	char inst[256];
	cloudwatch_instance_key(inst, sizeof inst, names, values, nd);
	if (j->phase == LM_BY_INSTANCE && !known_instance(fl, inst))
		return 0;
	if (fl->nfound >= MAX_SERIES_PER_FLEET)
		return 0;
	char *key = metric_key(fig, m);
	if (!key) {
		c->oom = 1;
		return 1;
	}
	if (found_has(fl, key)) {
		free(key);
		return 0;
	}
	struct cwser *s = ser_new(fl, fig, inst);
	if (!s) {
		free(key);
		c->oom = 1;
		return 1;
	}
	s->key = key;
	s->queried = true;
	s->fresh = true;
	for (size_t i = 0; i < nd; i++)
		if (strcmp(names[i], "InstanceId") == 0 || strcmp(names[i], "host") == 0)
			s->per_instance = true;
	s->ns = strdup(m->ns);
	s->name = strdup(m->name);
	s->dims = calloc(nd ? nd : 1, sizeof *s->dims);
	bool ok = s->ns && s->name && s->dims;
	for (size_t i = 0; ok && i < nd; i++) {
		s->dims[i].name = strdup(m->dims[i].name);
		s->dims[i].value = strdup(m->dims[i].value ? m->dims[i].value : "");
		ok = s->dims[i].name && s->dims[i].value;
		s->ndims = i + 1;
	}
	if (!ok || push_found(fl, s) < 0) {
		ser_free(s);
		c->oom = 1;
		return 1;
	}
	if (j->phase == LM_NAMESPACE && !strstr(fl->picked, m->name)) {
		size_t o = strlen(fl->picked);
		snprintf(fl->picked + o, sizeof fl->picked - o, "%s%s %s", o ? ", " : "",
		         metric_name((enum metric)fig), m->name);
	}
	return 0;
}

static void discovery_finish(struct cwfleet *fl);

/* Starts the next phase when the current one is done. */
static void lm_advance(struct cwfleet *fl)
{
	if (fl->lm_pending > 0)
		return;
	bool phase2 = false;
	for (size_t i = 0; i < fl->njobs; i++)
		if (fl->jobs[i].phase == LM_BY_INSTANCE)
			phase2 = true;
	if (!phase2 && !fl->lm_failed) {
		/* figures with no series of the select dimension: by InstanceId */
		bool have_ids = false;
		for (size_t i = 0; i < fl->nfound; i++)
			if (strncmp(fl->found[i]->inst, "i-", 2) == 0)
				have_ids = true;
		size_t before = fl->njobs;
		for (int k = 0; k < NFIG && have_ids; k++) {
			if (!fl->fig[k].ns)
				continue;
			bool any = false;       /* per instance: a per-type aggregate does not count */
			for (size_t i = 0; i < fl->nfound; i++)
				if (fl->found[i]->fig == k && fl->found[i]->per_instance)
					any = true;
			if (!any && lm_add_job(fl, k, LM_BY_INSTANCE) < 0)
				fl->lm_failed = true;
		}
		for (size_t i = before; i < fl->njobs && !fl->lm_failed; i++)
			if (lm_send(&fl->jobs[i]) < 0)
				fl->lm_failed = true;
		if (fl->lm_pending > 0)
			return;
	}
	discovery_finish(fl);
}

static void lm_done(void *user, const struct http_resp *r)
{
	struct lmjob *j = user;
	struct cwfleet *fl = j->fl;
	j->id = 0;
	fl->lm_pending--;
	if (fl->lm_failed) {
		lm_advance(fl);
		return;
	}
	char msg[400];
	if (r->error || r->status != 200) {
		bool thr;
		answer_error(r, msg, sizeof msg, &thr);
		snprintf(fl->lm_error, sizeof fl->lm_error, "ListMetrics: %.260s", msg);
		fl->lm_failed = true;
		lm_advance(fl);
		return;
	}
	struct lm_ctx c = { .j = j };
	struct cw_lm_info info;
	char err[256];
	if (cw_lm_parse(r->body, r->body_len, lm_metric, &c, &info, err, sizeof err) < 0 || c.oom) {
		snprintf(fl->lm_error, sizeof fl->lm_error, "ListMetrics: %.260s", c.oom ? "out of memory" : err);
		fl->lm_failed = true;
		lm_advance(fl);
		return;
	}
	free(j->token);
	j->token = info.next_token;
	if (j->token && ++j->pages < LM_MAX_PAGES) {
		if (lm_send(j) < 0)
			fl->lm_failed = true;
	}
	lm_advance(fl);
}

static void lm_clear(struct cwfleet *fl)
{
	for (size_t i = 0; i < fl->njobs; i++) {
		if (fl->jobs[i].id)
			http_cancel(fl->src->http, fl->jobs[i].id);
		free(fl->jobs[i].token);
	}
	fl->njobs = 0;
	fl->lm_pending = 0;
}

static void fig_label(const struct figspec *fs, char *buf, size_t n)
{
	if (fs->expr)
		snprintf(buf, n, "expression");
	else if (fs->ns)
		snprintf(buf, n, "%s/%s", fs->ns, fs->metric);
	else
		snprintf(buf, n, "-");
}

/* Swaps the round's series in, keeping the history of those that stay. */
static void discovery_finish(struct cwfleet *fl)
{
	struct cwsrc *src = fl->src;
	if (fl->lm_failed) {
		for (size_t i = 0; i < fl->nfound; i++)
			ser_free(fl->found[i]);
		fl->nfound = 0;
		lm_clear(fl);
		double now = clock_now();
		fl->next_discovery = http_backoff_next(&fl->lm_bo, true, now, RETRY_BASE);
		if (fl->lm_error[0])
			fleet_fail(fl, HEALTH_FAILING, "%s; next try in %.0f s", fl->lm_error,
			           fl->next_discovery - now);
		return;
	}
	http_backoff_next(&fl->lm_bo, false, clock_now(), RETRY_BASE);
	/* a figure with per-instance series drops its aggregates (AWS/EC2
	 * CPUUtilization{InstanceType=...} beside the instances' own) */
	for (int k = 0; k < NFIG; k++) {
		bool per = false;
		for (size_t i = 0; i < fl->nfound; i++)
			if (fl->found[i]->fig == k && fl->found[i]->per_instance)
				per = true;
		if (!per)
			continue;
		size_t o = 0;
		for (size_t i = 0; i < fl->nfound; i++) {
			if (fl->found[i]->fig == k && !fl->found[i]->per_instance)
				ser_free(fl->found[i]);
			else
				fl->found[o++] = fl->found[i];
		}
		fl->nfound = o;
	}
	/* expressions: one query each, kept across rounds */
	for (int k = 0; k < NFIG; k++) {
		if (!fl->fig[k].expr)
			continue;
		char key[32];
		snprintf(key, sizeof key, "%d\x1f" "expr", k);
		if (found_has(fl, key))
			continue;
		struct cwser *s = ser_new(fl, k, "");
		if (!s || !(s->key = strdup(key)) || push_found(fl, s) < 0) {
			ser_free(s);
			continue;
		}
		s->queried = true;
		s->expr = true;
		s->fresh = true;
	}
	/* carry over histories (and expression label series) by key */
	for (size_t i = 0; i < fl->nser; i++) {
		struct cwser *old = fl->ser[i];
		if (old->parent)
			continue;
		for (size_t j = 0; j < fl->nfound; j++) {
			struct cwser *nw = fl->found[j];
			if (strcmp(nw->key, old->key) == 0) {
				memcpy(nw->pts, old->pts, sizeof nw->pts);
				nw->hist = old->hist;
				nw->hist.pts = nw->pts;
				nw->fresh = old->fresh;
				nw->slot = old->slot;
				break;
			}
		}
	}
	/* expression label series keep their parents' new pointers */
	size_t keep = fl->nfound;
	for (size_t i = 0; i < fl->nser; i++) {
		struct cwser *old = fl->ser[i];
		if (!old->parent)
			continue;
		struct cwser *np = NULL;
		for (size_t j = 0; j < keep; j++)
			if (strcmp(fl->found[j]->key, old->parent->key) == 0)
				np = fl->found[j];
		if (np && push_found(fl, old) == 0) {
			old->parent = np;
			fl->ser[i] = NULL;
		}
	}
	for (size_t i = 0; i < fl->nser; i++)
		ser_free(fl->ser[i]);
	free(fl->ser);
	fl->ser = fl->found;
	fl->nser = fl->nfound;
	fl->found = NULL;
	fl->nfound = fl->capfound = 0;
	lm_clear(fl);
	fl->discovered = true;
	fl->next_discovery = clock_now() + CLOUDWATCH_DISCOVERY_EVERY;
	set_target(fl);

	size_t queried = 0, fresh = 0;
	for (size_t i = 0; i < fl->nser; i++) {
		queried += fl->ser[i]->queried;
		fresh += fl->ser[i]->queried && fl->ser[i]->fresh;
	}
	if (fresh)      /* their backfill at the next tick */
		for (size_t k = 0; k < src->ngrp; k++)
			if (src->grp[k].period == fl->period && src->grp[k].settle == fl->settle)
				src->grp[k].next_poll = 0;
	if (queried == 0) {
		char what[300] = "", one[160];
		for (int k = 0; k < NFIG; k++) {
			if (!fl->fig[k].ns)
				continue;
			fig_label(&fl->fig[k], one, sizeof one);
			snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", what[0] ? ", " : "", one);
		}
		if (fl->neuron && !what[0])
			snprintf(what, sizeof what, "neuron metrics in namespace %s", fl->neuron_ns);
		fleet_fail(fl, HEALTH_STALE, "ListMetrics found no %s with %s=%s active in the last 3 h%s",
		           what, fl->sel_name, fl->sel_value,
		           fl->neuron ? " (is neuron-monitor-cloudwatch.py publishing there?)" : "");
	} else if (fl->problem[0] == '\0' && !fl->have_data) {
		health_set_error(fl->health, HEALTH_STALE, "found %zu series%s%s; waiting for datapoints",
		                 queried, fl->picked[0] ? ": " : "", fl->picked);
	}
}

static void discovery_start(struct cwfleet *fl)
{
	if (fl->lm_pending > 0 || fl->njobs > 0)
		return;
	fl->lm_failed = false;
	fl->lm_error[0] = '\0';
	fl->picked[0] = '\0';
	bool any = false;
	if (fl->neuron) {
		any = true;
		if (lm_add_job(fl, -1, LM_NAMESPACE) < 0)
			fl->lm_failed = true;
	}
	for (int k = 0; k < NFIG; k++)
		if (fl->fig[k].ns) {
			any = true;
			if (lm_add_job(fl, k, LM_SELECT) < 0)
				fl->lm_failed = true;
		}
	for (size_t i = 0; i < fl->njobs && !fl->lm_failed; i++)
		if (lm_send(&fl->jobs[i]) < 0)
			fl->lm_failed = true;
	if (!any || fl->lm_pending == 0)
		discovery_finish(fl);
}

/* ---- GetMetricData ------------------------------------------------------------------- */

static void gmd_done(void *user, const struct http_resp *r);

static int gmd_build_send(struct gmdcall *c)
{
	struct cwsrc *src = c->src;
	const struct awscreds_value *v = ready_creds(src);
	if (!v)
		return -1;
	struct cw_query *q = calloc(c->n, sizeof *q);
	if (!q)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		struct cwser *s = c->ser[i];
		const struct figspec *fs = &s->fl->fig[s->fig];
		snprintf(q[i].id, sizeof q[i].id, "q%zu", i);
		q[i].period = s->fl->period;
		if (s->expr) {
			q[i].expression = fs->expr;
		} else {
			q[i].metric = (struct cw_metric){ s->ns, s->name, s->dims, s->ndims };
			q[i].stat = fs->stat ? fs->stat : s->fig == MET_THROUGHPUT ? "Sum" : "Average";
		}
	}
	struct cw_gmd_request rq = {
		.queries = q, .n = c->n, .start = c->w.start, .end = c->w.end,
		.scan = CW_SCAN_ASCENDING, .next_token = c->token,
	};
	char err[256];
	char *body = cw_gmd_build(&rq, err, sizeof err);
	free(q);
	if (!body) {
		for (size_t i = 0; i < c->n; i++)
			fleet_fail(c->ser[i]->fl, HEALTH_FAILING, "GetMetricData: %s", err);
		return -1;
	}
	double timeout = CLOUDWATCH_TIMEOUT;
	if (c->n && c->ser[0]->fl->timeout > 0)
		timeout = c->ser[0]->fl->timeout;
	int id = send_signed(src, v, CW_TARGET_GET_METRIC_DATA, body, timeout, gmd_done, c);
	free(body);
	if (id < 0)
		return -1;
	c->id = id;
	return 0;
}

static void call_free(struct gmdcall *c)
{
	struct cwsrc *src = c->src;
	if (c->prev)
		c->prev->next = c->next;
	else if (src->calls == c)
		src->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->ser);
	free(c->token);
	free(c->buf);
	free(c);
}

static struct cwser *label_series(struct cwser *parent, const char *label)
{
	struct cwfleet *fl = parent->fl;
	const char *inst = label && *label ? label : fl->name;
	for (size_t i = 0; i < fl->nser; i++)
		if (fl->ser[i]->parent == parent && strcmp(fl->ser[i]->inst, inst) == 0)
			return fl->ser[i];
	if (fl->nser >= MAX_SERIES_PER_FLEET)
		return NULL;
	struct cwser *s = ser_new(fl, parent->fig, inst);
	if (!s)
		return NULL;
	s->parent = parent;
	if (!(s->key = strdup(inst))) {
		ser_free(s);
		return NULL;
	}
	struct cwser **g = realloc(fl->ser, (fl->nser + 1) * sizeof *g);
	if (!g) {
		ser_free(s);
		return NULL;
	}
	fl->ser = g;
	fl->ser[fl->nser++] = s;
	return s;
}

static int gmd_point(void *user, const char *id, double t, double v)
{
	struct gmdcall *c = user;
	if (strcmp(id, c->cur) != 0) {
		snprintf(c->cur, sizeof c->cur, "%s", id);
		c->nbuf = 0;
	}
	if (c->nbuf == c->capbuf) {
		size_t cap = c->capbuf ? c->capbuf * 2 : 64;
		struct cw_point *g = realloc(c->buf, cap * sizeof *g);
		if (!g)
			return 1;
		c->buf = g;
		c->capbuf = cap;
	}
	c->buf[c->nbuf++] = (struct cw_point){ t, v };
	return 0;
}

static int gmd_result(void *user, const struct cw_result *r)
{
	struct gmdcall *c = user;
	size_t pos = 0;
	if (r->id[0] == 'q')
		pos = strtoul(r->id + 1, NULL, 10);
	size_t n = strcmp(r->id, c->cur) == 0 ? c->nbuf : 0;
	c->cur[0] = '\0';
	c->nbuf = 0;
	if (r->id[0] != 'q' || pos >= c->n)
		return 0;       /* not ours: ignore */
	struct cwser *s = c->ser[pos];
	struct cwfleet *fl = s->fl;
	if (r->status == CW_STATUS_FORBIDDEN || r->status == CW_STATUS_INTERNAL_ERROR ||
	    r->status == CW_STATUS_UNKNOWN) {
		char what[160];
		fig_label(&fl->fig[s->fig], what, sizeof what);
		snprintf(fl->problem, sizeof fl->problem, "%s: %s%s%s", what, cw_status_name(r->status),
		         r->message[0] ? ": " : "", r->message);
		fl->problem_status = HEALTH_FAILING;
	}
	struct cwser *dst = s->expr ? (n ? label_series(s, r->label) : NULL) : s;
	if (!dst)
		return 0;
	for (size_t i = 0; i < n; i++) {
		cw_series_merge(&dst->hist, c->buf[i].t, c->buf[i].v);
		if (c->buf[i].t > fl->newest_wall)
			fl->newest_wall = c->buf[i].t;
	}
	if (n) {
		dst->got = true;
		s->got = true;
	}
	c->points += n;
	return 0;
}

static void group_failed(struct cwgroup *g, struct cwsrc *src, bool throttled,
                         bool retry, const char *msg)
{
	double next = http_backoff_next(&g->bo, true, clock_now(), RETRY_BASE);
	double wait = next - clock_now();
	char line[400];
	if (throttled)
		snprintf(line, sizeof line, "throttled by CloudWatch (%s); next try in %.0f s", msg, wait);
	else if (retry)
		snprintf(line, sizeof line, "%s; next try in %.0f s", msg, wait);
	else
		snprintf(line, sizeof line, "%s", msg);
	for (size_t i = 0; i < src->nfl; i++)
		if (src->fl[i].period == g->period && src->fl[i].settle == g->settle)
			health_set_error(src->fl[i].health, HEALTH_FAILING, "%s", line);
	g->next_poll = clock_wall() + wait;
	if (!g->failed_round)
		g->last_end = g->prev_end;      /* the window is asked again */
	g->failed_round = true;
}

static void gmd_finish_round(struct cwgroup *g, struct cwsrc *src, double latency_ms);

static void gmd_done(void *user, const struct http_resp *r)
{
	struct gmdcall *c = user;
	struct cwsrc *src = c->src;
	struct cwgroup *g = c->g;
	c->id = 0;
	char msg[400];
	if (r->error || r->status != 200) {
		bool thr;
		bool retry = answer_error(r, msg, sizeof msg, &thr);
		group_failed(g, src, thr, retry, msg);
		goto end;
	}
	struct cw_gmd_sink sink = { gmd_point, gmd_result, c };
	struct cw_gmd_info info;
	char err[256];
	if (cw_gmd_parse(r->body, r->body_len, &sink, &info, err, sizeof err) < 0) {
		snprintf(msg, sizeof msg, "GetMetricData: malformed answer: %s", err);
		group_failed(g, src, false, true, msg);
		goto end;
	}
	if (info.messages[0])
		for (size_t i = 0; i < c->n; i++) {
			struct cwfleet *fl = c->ser[i]->fl;
			snprintf(fl->problem, sizeof fl->problem, "CloudWatch says: %.170s", info.messages);
			fl->problem_status = HEALTH_STALE;
		}
	free(c->token);
	c->token = info.next_token;
	if (c->token && ++c->pages < GMD_MAX_PAGES) {
		if (gmd_build_send(c) == 0)
			return;         /* the next page; the call stays */
		group_failed(g, src, false, true, "GetMetricData: could not ask for the next page");
	} else if (c->token) {
		for (size_t i = 0; i < c->n; i++) {
			struct cwfleet *fl = c->ser[i]->fl;
			snprintf(fl->problem, sizeof fl->problem, "GetMetricData: more than %d pages; the rest "
			         "left out", GMD_MAX_PAGES);
			fl->problem_status = HEALTH_STALE;
		}
	}
	for (size_t i = 0; i < c->n; i++)
		c->ser[i]->fresh = false;
end:
	g->inflight--;
	src->gmd_inflight--;
	if (g->inflight == 0)
		gmd_finish_round(g, src, r->latency_ms);
	call_free(c);
}

/* After every call of a group's poll: health, and the window's end kept. */
static void gmd_finish_round(struct cwgroup *g, struct cwsrc *src, double latency_ms)
{
	double now = clock_now(), wall = clock_wall();
	if (g->failed_round)
		return;
	http_backoff_next(&g->bo, false, now, RETRY_BASE);
	for (size_t i = 0; i < src->nfl; i++) {
		struct cwfleet *fl = &src->fl[i];
		if (fl->period != g->period || fl->settle != g->settle || !fl->discovered)
			continue;
		size_t queried = 0, empty = 0;
		for (size_t k = 0; k < fl->nser; k++) {
			struct cwser *s = fl->ser[k];
			if (!s->queried)
				continue;
			queried++;
			if (!s->got && !cw_series_latest(&s->hist))
				empty++;
			s->got = false;
		}
		if (queried == 0)
			continue;
		set_target(fl);                 /* a SEARCH may have found more */
		if (fl->problem[0]) {
			health_set_error(fl->health, fl->problem_status, "%s", fl->problem);
			if (fl->problem_status != HEALTH_FAILING)
				fl->health->last_ok = now;
		} else if (empty == queried) {
			char why[256];
			double start = g->last_end > 0 ? g->last_end - CLOUDWATCH_BACKFILL : wall - CLOUDWATCH_BACKFILL;
			if (cw_period_check(fl->period, fl->period < 60, start, wall, why, sizeof why) < 0)
				health_set_error(fl->health, HEALTH_STALE, "no datapoints: %s", why);
			else if (fl->period < 60)
				health_set_error(fl->health, HEALTH_STALE,
				                 "no datapoints at period %d s: only high-resolution metrics "
				                 "(published with StorageResolution 1) have them; standard "
				                 "metrics need period = 60s or more", fl->period);
			else
				health_set_error(fl->health, HEALTH_STALE,
				                 "no datapoints in the last %.0f min for any of %zu series: is the "
				                 "period right (basic EC2 monitoring is 300 s), the statistic, and "
				                 "is the metric still published?", CLOUDWATCH_BACKFILL / 60, queried);
		} else {
			health_set_ok(fl->health, now, latency_ms);
			if (fl->newest_wall > 0 && wall - fl->newest_wall > fl->delay + 2 * fl->period) {
				char age[32];
				fmt_duration(age, sizeof age, wall - fl->newest_wall, 0);
				health_set_error(fl->health, HEALTH_STALE, "the newest datapoint is %s old", age);
				fl->health->last_ok = now;
			}
		}
		fl->problem[0] = '\0';
	}
}

/* Sends the listed series over one window, batched.  Returns the calls
 * sent (0 when none could be, with the health lines saying why). */
static int send_window(struct cwsrc *src, struct cwgroup *g, struct cwser **all, size_t n,
                       const struct cw_window *w)
{
	if (n == 0)
		return 0;
	struct cw_query *q = calloc(n, sizeof *q);
	size_t nb = n / 100 + 4;
	struct cw_batch *b = malloc(nb * sizeof *b);
	if (!q || !b) {
		free(q);
		free(b);
		return 0;
	}
	/* the planner needs only the shape of each query */
	for (size_t j = 0; j < n; j++) {
		snprintf(q[j].id, sizeof q[j].id, "q%zu", j);
		q[j].period = g->period;
		if (all[j]->expr)
			q[j].expression = "x";
		else
			q[j].metric = (struct cw_metric){ "n", "m", NULL, 0 };
	}
	size_t need = 0;
	char err[256];
	int rc = cw_batch_plan(q, n, w->end - w->start, b, nb, &need, err, sizeof err);
	free(q);
	if (rc < 0) {
		for (size_t j = 0; j < n; j++)
			health_set_error(all[j]->fl->health, HEALTH_FAILING, "%s", err);
		free(b);
		return 0;
	}
	int sent = 0;
	for (size_t k = 0; k < need; k++) {
		struct gmdcall *c = calloc(1, sizeof *c);
		if (!c || !(c->ser = malloc(b[k].count * sizeof *c->ser))) {
			free(c);
			break;
		}
		c->src = src;
		c->g = g;
		c->n = b[k].count;
		memcpy(c->ser, all + b[k].first, c->n * sizeof *c->ser);
		c->w = *w;
		if ((c->next = src->calls))
			c->next->prev = c;
		src->calls = c;
		if (gmd_build_send(c) < 0) {
			call_free(c);
			continue;
		}
		g->inflight++;
		src->gmd_inflight++;
		sent++;
	}
	free(b);
	return sent;
}

/* One poll of a group: the periods that ended since the last one for the
 * series already known, and the whole backfill for series found since
 * (a fleet whose discovery came late, an instance that just appeared).
 * 1 when calls went out, 0 when nothing was due, -1 on failure. */
static int group_poll(struct cwsrc *src, struct cwgroup *g, double wall)
{
	double backfill = CLOUDWATCH_BACKFILL + cloudwatch_delay(g->period, g->settle, g->interval);
	struct cw_window w;
	int got = cw_window_next(wall, g->period, g->settle, backfill, g->period, g->last_end, &w);
	size_t n = 0;
	for (size_t i = 0; i < src->nfl; i++) {
		struct cwfleet *fl = &src->fl[i];
		if (fl->period == g->period && fl->settle == g->settle && fl->discovered)
			for (size_t k = 0; k < fl->nser; k++)
				n += fl->ser[k]->queried;
	}
	if (n == 0 || got < 0)
		return got < 0 ? -1 : 0;
	struct cwser **inc = malloc(n * sizeof *inc), **fresh = malloc(n * sizeof *fresh);
	if (!inc || !fresh) {
		free(inc);
		free(fresh);
		return -1;
	}
	size_t ni = 0, nf = 0;
	for (size_t i = 0; i < src->nfl; i++) {
		struct cwfleet *fl = &src->fl[i];
		if (fl->period != g->period || fl->settle != g->settle || !fl->discovered)
			continue;
		for (size_t k = 0; k < fl->nser; k++) {
			struct cwser *s = fl->ser[k];
			if (!s->queried)
				continue;
			if (s->fresh && g->last_end > 0)
				fresh[nf++] = s;
			else
				inc[ni++] = s;
		}
	}
	struct cw_window bw = { 0, 0 };
	if (nf) {
		bw.end = got > 0 ? w.end : g->last_end;
		bw.start = bw.end - ceil(backfill / g->period) * g->period;
	}
	g->failed_round = false;
	int sent = 0;
	if (got > 0)
		sent += send_window(src, g, inc, ni, &w);
	sent += send_window(src, g, fresh, nf, &bw);
	free(inc);
	free(fresh);
	if (sent == 0)
		return got > 0 || nf ? -1 : 0;
	g->prev_end = g->last_end;
	if (got > 0)
		g->last_end = w.end;
	g->last_poll = wall;
	return 1;
}

/* ---- display: the delayed hold ------------------------------------------------------- */

/* The value of a series at wall time w, held for its period (plus grace). */
static bool ser_value(const struct cwser *s, double w, double period, double *v)
{
	for (size_t i = s->hist.n; i-- > 0;) {
		const struct cw_point *p = &s->hist.pts[i];
		if (p->t <= w) {
			if (w < p->t + period * (1 + GRACE_PERIODS)) {
				*v = p->v;
				return true;
			}
			return false;
		}
	}
	return false;
}

/* One instance's sums over its series at one second. */
struct instval {
	double sum[NFIG];
	int n[NFIG];
};

/* The index of the series' instance in the fleet's inst[], creating the
 * instance the first time the series has a value (looked up once per
 * series: instances are never removed); -1 when out of memory. */
static long ser_slot(struct cwfleet *fl, struct cwser *s)
{
	if (s->slot >= 0)
		return s->slot;
	char id[256];
	fmt_sanitize(id, sizeof id, s->inst, true);
	struct instance *in = fleet_instance(fl->fleet, id, true);
	for (size_t k = 0; in && k < fl->fleet->ninst; k++)
		if (fl->fleet->inst[k] == in)
			return s->slot = (long)k;
	return -1;
}

/* Records the fleet's value at mono time t (wall w); pushes the fleet's
 * totals too when `totals` (backfill: model_tick() does the present).
 * iv has room for every instance the fleet has or its series can add. */
static void render_at(struct cwfleet *fl, double t, double w, bool totals, struct instval *iv, size_t cap)
{
	size_t used = 0;
	for (size_t i = 0; i < fl->nser; i++) {
		struct cwser *s = fl->ser[i];
		if (s->expr)
			continue;       /* its label series carry the data */
		double v;
		if (!ser_value(s, w, fl->period, &v))
			continue;
		const struct figspec *fs = &fl->fig[s->fig];
		const char *stat = fs->stat ? fs->stat : s->fig == MET_THROUGHPUT ? "Sum" : "Average";
		/* an expression's values are used as they come (see cloudwatch.h) */
		if (s->fig == MET_THROUGHPUT && !s->parent && strcmp(stat, "Sum") == 0)
			v = cw_sum_per_second(v, fl->period);
		v *= fs->scale;
		if (!isfinite(v))
			continue;
		long k = ser_slot(fl, s);
		if (k < 0 || (size_t)k >= cap)
			continue;
		while (used <= (size_t)k)
			memset(&iv[used++], 0, sizeof iv[0]);
		iv[k].sum[s->fig] += v;
		iv[k].n[s->fig]++;
	}
	double tot[NFIG] = { 0 };
	int tn[NFIG] = { 0 };
	for (size_t k = 0; k < used; k++) {
		for (int f = 0; f < NFIG; f++) {
			if (!iv[k].n[f])
				continue;
			double v = f == MET_UTIL ? iv[k].sum[f] / iv[k].n[f] : iv[k].sum[f];
			if (model_record(fl->fleet->inst[k], (enum metric)f, t, v, PROV_MEASURED) == 0) {
				tot[f] += v;
				tn[f]++;
			}
		}
	}
	if (totals)
		for (int f = 0; f < NFIG; f++)
			if (tn[f]) {
				double mean = tot[f] / tn[f];
				double total = f == MET_UTIL ? mean : mean * (fl->fleet->count ? (double)fl->fleet->count : tn[f]);
				series_push(&fl->fleet->total[f], t, total, PROV_MEASURED);
			}
	if (used)
		fl->have_data = true;
}

static void render(struct cwfleet *fl, double now, double wall)
{
	if (fl->newest_wall <= 0)
		return;                         /* no datapoint yet */
	size_t cap = fl->fleet->ninst + fl->nser + 1;
	struct instval *iv = malloc(cap * sizeof *iv);
	if (!iv)
		return;
	double off = wall - now;            /* wall = mono + off */
	double until = floor(now);
	double from = fl->rendered;
	if (!fl->have_data || !(from > until - CLOUDWATCH_BACKFILL))
		from = until - CLOUDWATCH_BACKFILL;
	bool first = !fl->have_data;
	for (double t = from + 1; t <= until; t += 1)
		render_at(fl, t, t + off - fl->delay, t < until, iv, cap);
	if (first && !fl->have_data)
		fl->rendered = -INFINITY;       /* nothing yet: backfill once data come */
	else
		fl->rendered = until;
	free(iv);
}

/* ---- the source ----------------------------------------------------------------------- */

static void on_creds(void *user, struct awscreds *c)
{
	(void)c;
	struct cwsrc *src = user;
	if (ready_creds(src))
		for (size_t i = 0; i < src->nfl; i++)
			if (!src->fl[i].discovered && src->fl[i].lm_pending == 0 && src->fl[i].njobs == 0)
				src->fl[i].next_discovery = 0;   /* at the next tick */
}

static int cw_start(struct source *s, double now)
{
	struct cwsrc *src = s->priv;
	if (!src->creds) {
		ready_creds(src);
		return -1;
	}
	if (awscreds_start(src->creds, now) < 0) {
		const char *e = awscreds_error(src->creds);
		for (size_t i = 0; i < src->nfl; i++)
			health_set_error(src->fl[i].health, HEALTH_FAILING, "AWS credentials: %s", e ? e : "failed");
	}
	ready_creds(src);
	return 0;
}

static double cw_tick(struct source *s, double now)
{
	struct cwsrc *src = s->priv;
	if (!src->creds)
		return INFINITY;        /* the health lines say why, from start() */
	double next = awscreds_tick(src->creds, now);
	double wall = clock_wall();
	bool creds_ok = awscreds_get(src->creds) && awscreds_region(src->creds);
	for (size_t i = 0; i < src->nfl; i++) {
		struct cwfleet *fl = &src->fl[i];
		if (creds_ok && now >= fl->next_discovery && fl->njobs == 0 && src->gmd_inflight == 0) {
			discovery_start(fl);
		}
		if (!creds_ok && fl->njobs == 0)
			ready_creds(src);       /* says why in the health line */
		if (fl->next_discovery < next)
			next = fl->next_discovery > now ? fl->next_discovery : now + 1;
		render(fl, now, wall);
	}
	for (size_t k = 0; k < src->ngrp; k++) {
		struct cwgroup *g = &src->grp[k];
		if (!creds_ok || g->inflight)
			continue;
		bool ready = false, pending = false;
		for (size_t i = 0; i < src->nfl; i++) {
			struct cwfleet *fl = &src->fl[i];
			if (fl->period != g->period || fl->settle != g->settle)
				continue;
			if (fl->discovered)
				ready = true;
			if (fl->njobs)
				pending = true;
		}
		if (!ready || pending)
			continue;
		if (wall >= g->next_poll) {
			int rc = group_poll(src, g, wall);
			if (rc >= 0)
				g->next_poll = cloudwatch_next_poll(wall, g->period, g->settle, g->interval,
				                                    g->last_poll);
			else
				g->next_poll = wall + 30;   /* the health line says why */
		}
		double at = now + (g->next_poll - wall);
		if (at < next)
			next = at;
	}
	double sec = floor(now) + 1;        /* the hold is rendered each second */
	return sec < next ? sec : next;
}

static void figspec_free(struct figspec *f)
{
	free(f->ns);
	free(f->metric);
	free(f->stat);
	free(f->expr);
	for (size_t i = 0; i < f->ndims; i++) {
		free((char *)f->dims[i].name);
		free((char *)f->dims[i].value);
	}
	free(f->dims);
}

static void cw_stop(struct source *s)
{
	if (!s)
		return;
	struct cwsrc *src = s->priv;
	if (src) {
		if (src->creds)
			awscreds_unlisten(src->creds, on_creds, src);
		for (size_t i = 0; i < src->nfl; i++) {
			struct cwfleet *fl = &src->fl[i];
			lm_clear(fl);
			for (size_t k = 0; k < fl->nser; k++)
				ser_free(fl->ser[k]);
			for (size_t k = 0; k < fl->nfound; k++)
				ser_free(fl->found[k]);
			free(fl->ser);
			free(fl->found);
			free(fl->jobs);
			for (int k = 0; k < NFIG; k++)
				figspec_free(&fl->fig[k]);
			free(fl->name);
			free(fl->sel_name);
			free(fl->sel_value);
			free(fl->neuron_ns);
		}
		while (src->calls) {
			if (src->calls->id)
				http_cancel(src->http, src->calls->id);
			call_free(src->calls);
		}
		awscreds_free(src->creds);
		free(src->fl);
		free(src->grp);
		free(src);
	}
	free(s);
}

static const struct source_ops cw_ops = {
	.kind = "cloudwatch", .start = cw_start, .fds = source_no_fds, .ready = source_no_ready,
	.tick = cw_tick, .stop = cw_stop,
};

/* ---- construction ------------------------------------------------------------------------ */

static int fig_set(struct figspec *dst, const char *ns, const char *metric, const char *stat,
                   const char *expr, const struct cw_dim_cfg *dims, size_t ndims, double scale,
                   const char *origin)
{
	dst->ns = xstrdup(ns);
	dst->metric = xstrdup(metric);
	dst->stat = xstrdup(stat);
	dst->expr = xstrdup(expr);
	dst->scale = isfinite(scale) && scale != 0 ? scale : 1;
	dst->origin = origin;
	if ((ns && !dst->ns) || (metric && !dst->metric) || (stat && !dst->stat) || (expr && !dst->expr))
		return -1;
	if (ndims) {
		if (!(dst->dims = calloc(ndims, sizeof *dst->dims)))
			return -1;
		for (size_t i = 0; i < ndims; i++) {
			dst->dims[i].name = xstrdup(dims[i].name);
			dst->dims[i].value = xstrdup(dims[i].value);
			dst->ndims = i + 1;
			if (!dst->dims[i].name || (dims[i].value && !dst->dims[i].value))
				return -1;
		}
	}
	return 0;
}

static int fleet_setup(struct cwsrc *src, struct cwfleet *fl, const struct fleet_cfg *f,
                       char *err, size_t errlen)
{
	fl->src = src;
	fl->rendered = -INFINITY;
	for (int k = 0; k < NFIG; k++)
		fl->fig[k].scale = 1;           /* figures a preset discovers */
	if (!(fl->name = strdup(f->name)))
		goto oom;
	http_backoff_init(&fl->lm_bo, f->name);
	const char *preset = f->preset;
	if (preset && !cloudwatch_preset_known(preset)) {
		snprintf(err, errlen, "unknown CloudWatch preset '%.40s' (cwagent-gpu, ec2, neuron)", preset);
		return -1;
	}
	for (int k = 0; k < NFIG; k++) {
		const struct cw_fig *c = &f->cw[k];
		if ((c->ns && c->metric) || c->expression) {
			if (fig_set(&fl->fig[k], c->expression ? NULL : c->ns, c->expression ? NULL : c->metric,
			            c->stat, c->expression, c->dims, c->ndims, c->scale, "config") < 0)
				goto oom;
		}
	}
	if (preset && strcmp(preset, "cwagent-gpu") == 0) {
		if (!fl->fig[MET_POWER].ns && !fl->fig[MET_POWER].expr &&
		    fig_set(&fl->fig[MET_POWER], "CWAgent", "nvidia_smi_power_draw", NULL, NULL, NULL, 0, 1, preset) < 0)
			goto oom;
		if (!fl->fig[MET_UTIL].ns && !fl->fig[MET_UTIL].expr &&
		    fig_set(&fl->fig[MET_UTIL], "CWAgent", "nvidia_smi_utilization_gpu", NULL, NULL, NULL, 0, 1, preset) < 0)
			goto oom;
	} else if (preset && strcmp(preset, "ec2") == 0) {
		if (!fl->fig[MET_UTIL].ns && !fl->fig[MET_UTIL].expr &&
		    fig_set(&fl->fig[MET_UTIL], "AWS/EC2", "CPUUtilization", NULL, NULL, NULL, 0, 1, preset) < 0)
			goto oom;
	} else if (preset && strcmp(preset, "neuron") == 0) {
		if (!f->cw_namespace || !*f->cw_namespace) {
			snprintf(err, errlen, "the neuron preset needs namespace = the --namespace given to "
			         "neuron-monitor-cloudwatch.py");
			return -1;
		}
		fl->neuron = true;
		if (!(fl->neuron_ns = strdup(f->cw_namespace)))
			goto oom;
	}
	bool any = fl->neuron, metric = false;
	for (int k = 0; k < NFIG; k++) {
		if (fl->fig[k].ns || fl->fig[k].expr)
			any = true;
		if (fl->fig[k].ns)
			metric = true;
	}
	if (!any) {
		snprintf(err, errlen, "no figure: set throughput, power or utilization (NAMESPACE/METRIC), "
		         "an expression, or a preset");
		return -1;
	}
	if (f->cw_select_name && f->cw_select_value) {
		fl->sel_name = strdup(f->cw_select_name);
		fl->sel_value = strdup(f->cw_select_value);
	} else if (f->instance_type) {
		fl->sel_name = strdup("InstanceType");
		fl->sel_value = strdup(f->instance_type);
	} else if (metric || fl->neuron) {
		snprintf(err, errlen, "which instances? set select = DIMENSION=VALUE (e.g. "
		         "AutoScalingGroupName=web) or type = the instance type");
		return -1;
	}
	if ((f->cw_select_name || f->instance_type) && (!fl->sel_name || !fl->sel_value))
		goto oom;
	fl->period = f->cw_period > 0 ? f->cw_period : CLOUDWATCH_DEFAULT_PERIOD;
	if (fl->period < 60 ? !(fl->period == 1 || fl->period == 5 || fl->period == 10 ||
	                        fl->period == 20 || fl->period == 30)
	                    : fl->period % 60 != 0) {
		snprintf(err, errlen, "period %d s: CloudWatch periods are 1, 5, 10, 20, 30 s "
		         "(high-resolution metrics) or multiples of 60 s", fl->period);
		return -1;
	}
	fl->settle = isnan(f->cw_settle) || f->cw_settle < 0 ? CLOUDWATCH_DEFAULT_SETTLE : f->cw_settle;
	fl->interval = f->interval > fl->period ? f->interval : fl->period;
	fl->timeout = f->timeout > 0 ? f->timeout : CLOUDWATCH_TIMEOUT;
	fl->delay = cloudwatch_delay(fl->period, fl->settle, fl->interval);

	struct model *m = src->model;
	struct fleet *mf = source_fleet(m, f);
	if (!mf)
		goto oom;
	fl->fleet = mf;
	if (!(fl->health = fleet_add_source(mf, "cloudwatch", "")))
		goto oom;
	health_set_error(fl->health, HEALTH_STALE, "starting: finding the fleet's metrics");
	set_target(fl);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

struct source *cloudwatch_source_new(struct model *m, struct http *h, const struct fleet_cfg *fleets,
                                     size_t n, const struct cloudwatch_opts *o, char *err, size_t errlen)
{
	char e[600];
	e[0] = '\0';
	if (err && errlen)
		err[0] = '\0';
	size_t want = 0;
	for (size_t i = 0; i < n; i++)
		want += fleets[i].source == FLEET_SRC_CLOUDWATCH;
	if (!m || !h || want == 0)
		return NULL;
	struct source *s = calloc(1, sizeof *s);
	struct cwsrc *src = calloc(1, sizeof *src);
	if (!s || !src || !(src->fl = calloc(want, sizeof *src->fl)) ||
	    !(src->grp = calloc(want, sizeof *src->grp))) {
		snprintf(e, sizeof e, "out of memory");
		goto fail;
	}
	s->ops = &cw_ops;
	s->model = m;
	s->priv = src;
	src->model = m;
	src->http = h;
	src->usd_per_1000 = o && isfinite(o->usd_per_1000) && o->usd_per_1000 >= 0
	                    ? o->usd_per_1000 : CW_USD_PER_1000_METRICS;
	struct awscreds_options ao = { .profile = o ? o->profile : NULL, .region = o ? o->region : NULL };
	/* a credential problem is the health lines' to tell: the rest of the
	 * dashboard stays live */
	if (!(src->creds = awscreds_new(h, &ao, src->creds_err, sizeof src->creds_err))) {
		if (!src->creds_err[0])
			snprintf(src->creds_err, sizeof src->creds_err, "out of memory");
	} else if (awscreds_listen(src->creds, on_creds, src) < 0) {
		snprintf(e, sizeof e, "out of memory");
		goto fail;
	}
	const char *region = src->creds ? awscreds_region(src->creds) : o ? o->region : NULL;
	snprintf(src->region, sizeof src->region, "%s", region ? region : "");
	for (size_t i = 0; i < n; i++) {
		const struct fleet_cfg *f = &fleets[i];
		if (f->source != FLEET_SRC_CLOUDWATCH)
			continue;
		struct cwfleet *fl = &src->fl[src->nfl++];
		char fe[400];
		if (fleet_setup(src, fl, f, fe, sizeof fe) < 0) {
			snprintf(e, sizeof e, "%.100s: fleet %.63s: %.300s", f->origin, f->name, fe);
			goto fail;
		}
		size_t k = 0;
		while (k < src->ngrp && !(src->grp[k].period == fl->period && src->grp[k].settle == fl->settle))
			k++;
		if (k == src->ngrp) {
			struct cwgroup *g = &src->grp[src->ngrp++];
			g->period = fl->period;
			g->settle = fl->settle;
			g->interval = fl->interval;
			char key[64];
			snprintf(key, sizeof key, "cloudwatch %d %g", fl->period, fl->settle);
			http_backoff_init(&g->bo, key);
		} else if (fl->interval > src->grp[k].interval) {
			src->grp[k].interval = fl->interval;
		}
	}
	/* a group polls at its longest interval: its fleets are shown that late */
	for (size_t i = 0; i < src->nfl; i++) {
		struct cwfleet *fl = &src->fl[i];
		for (size_t k = 0; k < src->ngrp; k++)
			if (src->grp[k].period == fl->period && src->grp[k].settle == fl->settle)
				fl->interval = src->grp[k].interval;
		fl->delay = cloudwatch_delay(fl->period, fl->settle, fl->interval);
		set_target(fl);
	}
	return s;
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", e);
	cw_stop(s);
	return NULL;
}
