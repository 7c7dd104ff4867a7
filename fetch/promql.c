/* promql.c - the PromQL source: instant queries each tick, a range query
 * to backfill at start-up; see promql.h. */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/format.h"
#include "fetch/promql.h"

/* Longest rendering of a label set before it is sanitized and cut to
 * PROMQL_ID_MAX: room for escapes and multi-byte characters. */
#define ID_RAW_MAX (4 * PROMQL_ID_MAX)

const char *promql_type_name(enum promql_type t)
{
	switch (t) {
	case PROMQL_VECTOR: return "vector";
	case PROMQL_MATRIX: return "matrix";
	case PROMQL_SCALAR: return "scalar";
	case PROMQL_STRING: return "string";
	case PROMQL_NONE:   break;
	}
	return "none";
}

/* ---- small pure helpers ------------------------------------------------------ */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

int promql_parse_value(const char *s, double *v)
{
	if (!s || !v)
		return -1;
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	/* Go's ParseFloat spellings; the API writes "NaN", "+Inf", "-Inf" */
	if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
		*v = neg ? -INFINITY : INFINITY;
		return 1;
	}
	if (strcasecmp(p, "nan") == 0) {
		*v = NAN;
		return 1;
	}
	/* plain decimal only: strtod would also take hex, "nan(...)", spaces */
	const char *q = p;
	size_t digits = 0;
	while (is_digit(*q)) {
		q++;
		digits++;
	}
	if (*q == '.')
		for (q++; is_digit(*q); q++)
			digits++;
	if (digits == 0)
		return -1;
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!is_digit(*q))
			return -1;
		while (is_digit(*q))
			q++;
	}
	if (*q != '\0')
		return -1;

	/* strtod reads the locale's decimal point: the program may run with an
	 * LC_NUMERIC that writes "1,5", so '.' is swapped for it on a copy */
	const char *dp = localeconv()->decimal_point;
	if (!dp || !*dp)
		dp = ".";
	size_t dpl = strlen(dp), n = (size_t)(q - s);
	char small[128], *buf = small;
	if (n + dpl + 1 > sizeof small && !(buf = malloc(n + dpl + 1)))
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			memcpy(buf + o, dp, dpl);
			o += dpl;
		} else {
			buf[o++] = s[i];
		}
	}
	buf[o] = '\0';
	char *end;
	double d = strtod(buf, &end);
	bool whole = end == buf + o;
	if (buf != small)
		free(buf);
	if (!whole)
		return -1;
	*v = d;              /* an underflow is a tiny finite number: kept */
	return isfinite(d) ? 0 : 1;
}

char *promql_form_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

double promql_range_step(double range, unsigned max_points)
{
	if (!(range > 0) || !isfinite(range) || max_points == 0)
		return 1;
	double step = ceil(range / max_points);
	return step < 1 ? 1 : step;
}

/* ---- the answer parser ------------------------------------------------------- */

struct walk {
	enum promql_want want;
	const char *scalar_id;
	promql_sample_fn fn;        /* NULL in the checking pass */
	void *user;
	struct promql_info *info;
	char *err;
	size_t errlen;
	const cJSON **labels;       /* scratch for sorting a label set */
	size_t cap_labels;
};

static int walk_fail(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int walk_fail(struct walk *w, const char *fmt, ...)
{
	char raw[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	if (w->err && w->errlen)
		fmt_sanitize(w->err, w->errlen, raw, true);
	return -1;
}

static int cmp_label(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string, y->string);
}

/* Appends s to buf[*o..cap), escaping like Prometheus does in a label value
 * when `esc`; stops quietly when full. */
static void put(char *buf, size_t cap, size_t *o, const char *s, bool esc)
{
	for (; *s && *o + 1 < cap; s++) {
		if (esc && (*s == '"' || *s == '\\' || *s == '\n')) {
			if (*o + 2 >= cap)
				break;
			buf[(*o)++] = '\\';
			buf[(*o)++] = *s == '\n' ? 'n' : *s;
		} else {
			buf[(*o)++] = *s;
		}
	}
	buf[*o] = '\0';
}

/* The instance id of a series (see promql.h) into out[PROMQL_ID_MAX]. */
static int series_id(struct walk *w, size_t idx, const cJSON *metric, char *out)
{
	if (metric && !cJSON_IsObject(metric))
		return walk_fail(w, "series %zu: \"metric\" is not an object", idx);
	size_t n = 0;
	const cJSON *l;
	cJSON_ArrayForEach(l, metric) {
		if (!cJSON_IsString(l) || !l->string)
			return walk_fail(w, "series %zu: label \"%.40s\" is not a string", idx,
			                 l->string ? l->string : "");
		n++;
	}
	const cJSON *inst = metric ? cJSON_GetObjectItemCaseSensitive(metric, "instance") : NULL;
	if (inst && inst->valuestring[0]) {
		fmt_sanitize(out, PROMQL_ID_MAX, inst->valuestring, true);
		return 0;
	}
	if (n > w->cap_labels) {
		const cJSON **grown = realloc(w->labels, n * sizeof *grown);
		if (!grown)
			return walk_fail(w, "out of memory");
		w->labels = grown;
		w->cap_labels = n;
	}
	size_t k = 0;
	cJSON_ArrayForEach(l, metric)
		if (strcmp(l->string, "__name__") != 0)
			w->labels[k++] = l;
	if (k == 0) {
		fmt_sanitize(out, PROMQL_ID_MAX, w->scalar_id ? w->scalar_id : "", true);
		return 0;
	}
	qsort(w->labels, k, sizeof *w->labels, cmp_label);
	char raw[ID_RAW_MAX];
	size_t o = 0;
	put(raw, sizeof raw, &o, "{", false);
	for (size_t i = 0; i < k; i++) {
		if (i)
			put(raw, sizeof raw, &o, ",", false);
		put(raw, sizeof raw, &o, w->labels[i]->string, false);
		put(raw, sizeof raw, &o, "=\"", false);
		put(raw, sizeof raw, &o, w->labels[i]->valuestring, true);
		put(raw, sizeof raw, &o, "\"", false);
	}
	put(raw, sizeof raw, &o, "}", false);
	fmt_sanitize(out, PROMQL_ID_MAX, raw, true);
	return 0;
}

/* One [t, "v"] pair. */
static int walk_sample(struct walk *w, size_t idx, const char *id, const cJSON *pair)
{
	const cJSON *t = cJSON_IsArray(pair) ? pair->child : NULL;
	const cJSON *v = t ? t->next : NULL;
	if (!t || !v || v->next)
		return walk_fail(w, "series %zu: a sample is not a [time, \"value\"] pair", idx);
	if (!cJSON_IsNumber(t) || !isfinite(t->valuedouble))
		return walk_fail(w, "series %zu: a sample time is not a number", idx);
	if (!cJSON_IsString(v))
		return walk_fail(w, "series %zu: a sample value is not a string", idx);
	double x;
	int rc = promql_parse_value(v->valuestring, &x);
	if (rc < 0)
		return walk_fail(w, "series %zu: value \"%.40s\" is not a number", idx, v->valuestring);
	if (rc > 0) {
		w->info->skipped++;
		return 0;
	}
	w->info->samples++;
	if (w->fn) {
		struct promql_sample s = { .series = idx, .id = id, .t = t->valuedouble, .v = x };
		if (w->fn(w->user, &s) != 0)
			return walk_fail(w, "the receiver stopped the parse");
	}
	return 0;
}

/* A vector (matrix = false) or matrix result. */
static int walk_series(struct walk *w, const cJSON *result, bool matrix)
{
	if (!cJSON_IsArray(result))
		return walk_fail(w, "\"result\" is not an array");
	char id[PROMQL_ID_MAX];
	size_t idx = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, result) {
		if (!cJSON_IsObject(s))
			return walk_fail(w, "series %zu is not an object", idx);
		if (series_id(w, idx, cJSON_GetObjectItemCaseSensitive(s, "metric"), id) < 0)
			return -1;
		w->info->series++;
		if (matrix) {
			const cJSON *vals = cJSON_GetObjectItemCaseSensitive(s, "values");
			const cJSON *hists = cJSON_GetObjectItemCaseSensitive(s, "histograms");
			if (!vals && !hists)
				return walk_fail(w, "series %zu has no \"values\"", idx);
			if (vals && !cJSON_IsArray(vals))
				return walk_fail(w, "series %zu: \"values\" is not an array", idx);
			if (cJSON_IsArray(hists))
				w->info->skipped += (size_t)cJSON_GetArraySize(hists);
			const cJSON *pair;
			cJSON_ArrayForEach(pair, vals)
				if (walk_sample(w, idx, id, pair) < 0)
					return -1;
		} else {
			const cJSON *val = cJSON_GetObjectItemCaseSensitive(s, "value");
			if (!val) {
				/* a native histogram: no float value to show */
				if (!cJSON_GetObjectItemCaseSensitive(s, "histogram"))
					return walk_fail(w, "series %zu has no \"value\"", idx);
				w->info->skipped++;
			} else if (walk_sample(w, idx, id, val) < 0) {
				return -1;
			}
		}
		idx++;
	}
	return 0;
}

static int walk_result(struct walk *w, enum promql_type type, const cJSON *result)
{
	w->info->series = w->info->samples = w->info->skipped = 0;
	switch (type) {
	case PROMQL_VECTOR:
		return walk_series(w, result, false);
	case PROMQL_MATRIX:
		return walk_series(w, result, true);
	case PROMQL_SCALAR: {
		char id[PROMQL_ID_MAX];
		fmt_sanitize(id, sizeof id, w->scalar_id ? w->scalar_id : "", true);
		w->info->series = 1;
		return walk_sample(w, 0, id, result);
	}
	case PROMQL_STRING:
	case PROMQL_NONE:
		break;
	}
	return walk_fail(w, "internal error: result type %d", (int)type);
}

static void join_warnings(struct promql_info *info, const cJSON *warnings)
{
	char raw[PROMQL_TEXT_MAX * 2];
	size_t o = 0;
	raw[0] = '\0';
	const cJSON *x;
	cJSON_ArrayForEach(x, warnings) {
		if (!cJSON_IsString(x) || !x->valuestring[0])
			continue;
		if (o)
			put(raw, sizeof raw, &o, "; ", false);
		put(raw, sizeof raw, &o, x->valuestring, false);
	}
	fmt_sanitize(info->warnings, sizeof info->warnings, raw, true);
}

static int parse_root(struct walk *w, const cJSON *root)
{
	if (!cJSON_IsObject(root))
		return walk_fail(w, "not a Prometheus API response (not a JSON object)");
	const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(root, "warnings");
	if (cJSON_IsArray(warnings))
		join_warnings(w->info, warnings);

	const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
	if (!cJSON_IsString(status))
		return walk_fail(w, "not a Prometheus API response (no \"status\")");
	if (strcmp(status->valuestring, "error") == 0) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "errorType");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "error");
		const char *t = cJSON_IsString(type) && type->valuestring[0] ? type->valuestring : "error";
		const char *m = cJSON_IsString(msg) && msg->valuestring[0] ? msg->valuestring
		                                                           : "(no message)";
		fmt_sanitize(w->info->error_type, sizeof w->info->error_type, t, true);
		return walk_fail(w, "%.40s: %s", t, m);
	}
	if (strcmp(status->valuestring, "success") != 0)
		return walk_fail(w, "unexpected status \"%.40s\"", status->valuestring);

	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(data, "resultType");
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(data, "result");
	if (!cJSON_IsObject(data) || !cJSON_IsString(rt) || !result)
		return walk_fail(w, "success without data.resultType and data.result");
	enum promql_type type;
	if (strcmp(rt->valuestring, "vector") == 0)
		type = PROMQL_VECTOR;
	else if (strcmp(rt->valuestring, "matrix") == 0)
		type = PROMQL_MATRIX;
	else if (strcmp(rt->valuestring, "scalar") == 0)
		type = PROMQL_SCALAR;
	else if (strcmp(rt->valuestring, "string") == 0)
		type = PROMQL_STRING;
	else
		return walk_fail(w, "unknown resultType \"%.40s\"", rt->valuestring);
	w->info->type = type;

	if (w->want == PROMQL_WANT_INSTANT && type == PROMQL_MATRIX)
		return walk_fail(w, "the query returned a range vector (matrix); it must return an "
		                    "instant vector: drop the [range] or wrap it in e.g. rate()");
	if (w->want == PROMQL_WANT_INSTANT && type == PROMQL_STRING)
		return walk_fail(w, "the query returned a string; it must return an instant vector");
	if (w->want == PROMQL_WANT_RANGE && type != PROMQL_MATRIX)
		return walk_fail(w, "a range query returned a %s, not a matrix", promql_type_name(type));

	/* check everything first, so that a malformed answer delivers nothing */
	promql_sample_fn fn = w->fn;
	w->fn = NULL;
	int rc = walk_result(w, type, result);
	w->fn = fn;
	if (rc == 0 && fn)
		rc = walk_result(w, type, result);
	return rc;
}

int promql_parse_response(const char *body, size_t len, enum promql_want want,
                          const char *scalar_id, promql_sample_fn fn, void *user,
                          struct promql_info *info, char *err, size_t errlen)
{
	struct promql_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof *info);
	if (err && errlen)
		err[0] = '\0';
	struct walk w = {
		.want = want, .scalar_id = scalar_id, .fn = fn, .user = user,
		.info = info, .err = err, .errlen = errlen,
	};
	if (!body || len == 0)
		return walk_fail(&w, "empty response");

	/* a NUL-terminated copy: cJSON_ParseWithLengthOpts() is only in
	 * cJSON >= 1.7.13, and the copy costs little next to the tree */
	char *text = malloc(len + 1);
	if (!text)
		return walk_fail(&w, "out of memory");
	memcpy(text, body, len);
	text[len] = '\0';
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithOpts(text, &end, false);
	if (!root) {
		size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		free(text);
		return walk_fail(&w, "invalid JSON at byte %zu of %zu", at, len);
	}
	/* anything after the value but whitespace (a NUL byte too) is an error */
	for (const char *p = end; p && p < text + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			size_t at = (size_t)(p - text);
			cJSON_Delete(root);
			free(text);
			return walk_fail(&w, "invalid JSON: unexpected data at byte %zu of %zu", at, len);
		}
	free(text);
	int rc = parse_root(&w, root);
	cJSON_Delete(root);
	free(w.labels);
	return rc;
}

/* ---- the source ------------------------------------------------------------------ */

struct promql;

struct pq {                         /* one configured query */
	struct promql *p;
	enum metric metric;
	char *enc;                      /* the expression, form-encoded */
	struct source_health *health;
	struct http_backoff bo;
	int req;                        /* instant query in flight, 0: none */
	double sent;                    /* clock_now() when it was sent */
	double next;                    /* when the next instant query is due */
	int range_req;                  /* backfill in flight, 0: none */
};

struct agg_slot {                   /* one instance id seen in an answer */
	char *id;
	struct instance *in;
};

struct agg_pt {
	size_t slot;
	double t, v;
};

struct promql {
	struct http *http;
	struct fleet *fleet;
	char *url_query, *url_range;
	char *bearer_file, *basic_file, *ca_file;
	bool insecure;
	double interval, timeout;
	double mono_minus_wall;         /* clock_now() - wall clock, measured at start() */
	struct pq q[MET__COUNT];
	size_t nq;

	/* scratch for the answer being parsed (one at a time: one thread) */
	bool range;                     /* it is a backfill: keep the times */
	struct agg_slot *slot;
	size_t nslot, cap_slot;
	struct agg_pt *pt;
	size_t npt, cap_pt;
	size_t cur_series, cur_slot;
	bool have_cur, oom;
};

static double ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec * 1e-9;
}

/* The offset from the wall clock to the monotonic one, read between two
 * monotonic readings so that it is good to a microsecond or so. */
static double measure_offset(void)
{
	struct timespec a, w, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_REALTIME, &w);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (ts_sec(&a) + ts_sec(&b)) / 2 - ts_sec(&w);
}

static void scratch_reset(struct promql *p, bool range)
{
	for (size_t i = 0; i < p->nslot; i++)
		free(p->slot[i].id);
	p->nslot = p->npt = 0;
	p->have_cur = p->oom = false;
	p->range = range;
}

static int collect(void *user, const struct promql_sample *s)
{
	struct promql *p = user;
	if (!p->have_cur || s->series != p->cur_series) {
		size_t k;
		for (k = 0; k < p->nslot; k++)
			if (strcmp(p->slot[k].id, s->id) == 0)
				break;
		if (k == p->nslot) {
			if (p->nslot == p->cap_slot) {
				size_t cap = p->cap_slot ? 2 * p->cap_slot : 16;
				struct agg_slot *g = realloc(p->slot, cap * sizeof *g);
				if (!g)
					goto oom;
				p->slot = g;
				p->cap_slot = cap;
			}
			char *id = strdup(s->id);
			if (!id)
				goto oom;
			p->slot[k] = (struct agg_slot){ .id = id, .in = NULL };
			p->nslot++;
		}
		p->cur_series = s->series;
		p->cur_slot = k;
		p->have_cur = true;
	}
	if (p->npt == p->cap_pt) {
		size_t cap = p->cap_pt ? 2 * p->cap_pt : 64;
		struct agg_pt *g = realloc(p->pt, cap * sizeof *g);
		if (!g)
			goto oom;
		p->pt = g;
		p->cap_pt = cap;
	}
	/* an instant answer is one moment, whatever times a server writes */
	p->pt[p->npt++] = (struct agg_pt){ .slot = p->cur_slot, .t = p->range ? s->t : 0, .v = s->v };
	return 0;
oom:
	p->oom = true;
	return -1;
}

static int cmp_pt(const void *a, const void *b)
{
	const struct agg_pt *x = a, *y = b;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

static int cmp_pt_time(const void *a, const void *b)
{
	const struct agg_pt *x = a, *y = b;
	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return (x->slot > y->slot) - (x->slot < y->slot);
}

/* The fleet's totals for the backfilled seconds, by model_tick()'s rule (the
 * mean of the instances with a value, times the configured count or else
 * the number reporting; utilization: the mean itself), so that the fleet
 * sparklines start full too: model_tick() only ever pushes the present.
 * p->pt holds one aggregated point per instance and time. */
static void backfill_totals(struct pq *q, double now)
{
	struct promql *p = q->p;
	struct fleet *f = p->fleet;
	qsort(p->pt, p->npt, sizeof *p->pt, cmp_pt_time);
	for (size_t i = 0; i < p->npt;) {
		size_t j = i;
		double sum = 0;
		while (j < p->npt && p->pt[j].t == p->pt[i].t)
			sum += p->pt[j++].v;
		double n = (double)(j - i), mean = sum / n;
		double t = p->pt[i].t + p->mono_minus_wall;
		i = j;
		if (t > now)
			continue;
		double total = q->metric == MET_UTIL ? mean : mean * (f->count ? (double)f->count : n);
		series_push(&f->total[q->metric], t, total, PROV_MEASURED);
	}
}

/* Records what collect() gathered: series of the same instance and time
 * summed (utilization: averaged).  An instant answer is recorded at `now`,
 * a backfill at its own times moved onto the monotonic clock (and into the
 * fleet's totals); points that would land after `now` are dropped.
 * Returns the samples recorded, or -1 when out of memory. */
static long commit(struct pq *q, double now)
{
	struct promql *p = q->p;
	long recorded = 0;
	if (p->npt == 0)
		return 0;
	qsort(p->pt, p->npt, sizeof *p->pt, cmp_pt);
	size_t kept = 0;                /* aggregated points, written over the raw ones */
	for (size_t i = 0; i < p->npt;) {
		size_t j = i;
		double sum = 0;
		while (j < p->npt && p->pt[j].slot == p->pt[i].slot && p->pt[j].t == p->pt[i].t)
			sum += p->pt[j++].v;
		struct agg_pt pt = {
			.slot = p->pt[i].slot,
			.t = p->pt[i].t,
			.v = q->metric == MET_UTIL ? sum / (double)(j - i) : sum,
		};
		double t = p->range ? pt.t + p->mono_minus_wall : now;
		struct agg_slot *sl = &p->slot[pt.slot];
		i = j;
		if (t > now)
			continue;
		if (!sl->in && !(sl->in = fleet_instance(p->fleet, sl->id, true)))
			return -1;
		if (model_record(sl->in, q->metric, t, pt.v, PROV_MEASURED) == 0)
			recorded++;
		p->pt[kept++] = pt;
	}
	p->npt = kept;
	if (p->range)
		backfill_totals(q, now);
	return recorded;
}

static int send(struct promql *p, const char *url, const char *body, double timeout,
                http_done_fn done, void *user)
{
	static const char *const headers[] = { "Accept: application/json", NULL };
	struct http_req r = {
		.url = url,
		.method = "POST",
		.body = body,
		.headers = headers,
		.connect_timeout = timeout < HTTP_DEFAULT_CONNECT_TIMEOUT ? timeout
		                                                          : HTTP_DEFAULT_CONNECT_TIMEOUT,
		.timeout = timeout,
		.ca_file = p->ca_file,
		.insecure = p->insecure,
		.bearer_file = p->bearer_file,
		.basic_file = p->basic_file,
	};
	return http_request(p->http, &r, done, user);
}

/* Unix seconds with milliseconds, written without the locale's help. */
static void fmt_time(char *buf, size_t n, double wall)
{
	double s = floor(wall);
	int ms = (int)((wall - s) * 1000);
	if (ms < 0)
		ms = 0;
	if (ms > 999)
		ms = 999;
	snprintf(buf, n, "%lld.%03d", (long long)s, ms);
}

/* The error text of a failed answer: the API's own error when the body is
 * one (a 400 with {"status":"error",...} reads better as "bad_data: ..."
 * than as the HTTP status line), else the driver's. */
static bool api_error(const struct http_resp *r, char *err, size_t n)
{
	struct promql_info info;
	if (!r->body || r->body_len == 0 ||
	    promql_parse_response(r->body, r->body_len, PROMQL_WANT_INSTANT, "", NULL, NULL,
	                          &info, err, n) == 0)
		return false;
	return info.error_type[0] != '\0';
}

static void instant_done(void *user, const struct http_resp *r)
{
	struct pq *q = user;
	struct promql *p = q->p;
	struct source_health *h = q->health;
	double now = clock_now();
	char err[PROMQL_TEXT_MAX];
	struct promql_info info;
	bool failed = true;

	q->req = 0;
	if (r->latency_ms >= 0)
		h->latency_ms = r->latency_ms;
	if (r->error) {
		if (api_error(r, err, sizeof err))
			health_set_error(h, HEALTH_FAILING, "%s", err);
		else
			health_set_error(h, HEALTH_FAILING, "%s", r->error);
	} else {
		scratch_reset(p, false);
		int rc = promql_parse_response(r->body, r->body_len, PROMQL_WANT_INSTANT,
		                               p->fleet->name, collect, p, &info, err, sizeof err);
		long rec = rc == 0 ? commit(q, now) : 0;
		if (p->oom || rec < 0) {
			health_set_error(h, HEALTH_FAILING, "out of memory");
		} else if (rc < 0 && r->content_type && !strstr(r->content_type, "json")) {
			/* a login page from a proxy, a wrong path behind a web server */
			health_set_error(h, HEALTH_FAILING, "not an API answer (%.40s): %s",
			                 r->content_type, err);
		} else if (rc < 0) {
			health_set_error(h, HEALTH_FAILING, "%s", err);
		} else {
			failed = false;
			const char *w = info.warnings;
			if (info.series == 0)
				health_set_error(h, HEALTH_STALE, "query returned no series%s%s%s",
				                 *w ? " (warning: " : "", w, *w ? ")" : "");
			else if (info.samples == 0)
				health_set_error(h, HEALTH_STALE, "query returned no finite value (NaN or Inf)%s%s%s",
				                 *w ? " (warning: " : "", w, *w ? ")" : "");
			else {
				health_set_ok(h, now, r->latency_ms);
				if (*w)
					health_set_error(h, HEALTH_OK, "warning: %s", w);
			}
		}
		scratch_reset(p, false);
	}
	/* after a success the cadence holds (next = sent + interval); after a
	 * failure the wait counts from now, so a timeout is not retried at once */
	q->next = failed ? http_backoff_next(&q->bo, true, now, p->interval)
	                 : http_backoff_next(&q->bo, false, q->sent, p->interval);
}

static void range_done(void *user, const struct http_resp *r)
{
	struct pq *q = user;
	struct promql *p = q->p;
	struct source_health *h = q->health;
	double now = clock_now();
	char err[PROMQL_TEXT_MAX] = "";

	q->range_req = 0;
	if (r->error) {
		if (!api_error(r, err, sizeof err))
			snprintf(err, sizeof err, "%s", r->error);
	} else {
		scratch_reset(p, true);
		int rc = promql_parse_response(r->body, r->body_len, PROMQL_WANT_RANGE,
		                               p->fleet->name, collect, p, NULL, err, sizeof err);
		long rec = rc == 0 ? commit(q, now) : 0;
		if (p->oom || rec < 0)
			snprintf(err, sizeof err, "out of memory");
		scratch_reset(p, false);
		/* a backfill's points are many and come once: give the room back */
		free(p->pt);
		p->pt = NULL;
		p->cap_pt = 0;
	}
	/* A failed backfill costs only history: it is shown until the live
	 * query has news of its own, and never hides a live failure. */
	if (err[0] && h->last_ok < 0 && h->status != HEALTH_FAILING)
		health_set_error(h, HEALTH_STALE, "backfill: %s", err);
}

static int send_range(struct pq *q)
{
	struct promql *p = q->p;
	double step = promql_range_step(PROMQL_BACKFILL_RANGE, PROMQL_MAX_POINTS);
	/* Whole seconds, aligned to the step: caches (Mimir) like it, and the
	 * answer's times are the ones we asked for, so no server clock enters
	 * the mapping.  It ends a step before now: the live answers land in the
	 * seconds after, and no 1 s slot mixes a backfilled value with live ones. */
	double end = floor(clock_wall() / step) * step - step;
	double start = end - floor(PROMQL_BACKFILL_RANGE / step) * step;
	size_t n = strlen(q->enc) + 128;
	char *body = malloc(n);
	if (!body)
		return -1;
	snprintf(body, n, "query=%s&start=%lld&end=%lld&step=%lld", q->enc, (long long)start,
	         (long long)end, (long long)step);
	double timeout = p->timeout > HTTP_DEFAULT_TIMEOUT ? p->timeout : HTTP_DEFAULT_TIMEOUT;
	q->range_req = send(p, p->url_range, body, timeout, range_done, q);
	free(body);
	if (q->range_req < 0) {
		q->range_req = 0;
		return -1;
	}
	return 0;
}

static int send_instant(struct pq *q, double now, double wall)
{
	struct promql *p = q->p;
	char t[48];
	fmt_time(t, sizeof t, wall);
	size_t n = strlen(q->enc) + sizeof t + 16;
	char *body = malloc(n);
	if (!body)
		return -1;
	snprintf(body, n, "query=%s&time=%s", q->enc, t);
	q->sent = now;
	q->req = send(p, p->url_query, body, p->timeout, instant_done, q);
	free(body);
	if (q->req < 0) {
		q->req = 0;
		return -1;
	}
	return 0;
}

static int promql_start(struct source *s, double now)
{
	struct promql *p = s->priv;
	int rc = 0;
	p->mono_minus_wall = measure_offset();
	for (size_t i = 0; i < p->nq; i++) {
		p->q[i].next = now;
		if (send_range(&p->q[i]) < 0) {
			health_set_error(p->q[i].health, HEALTH_FAILING, "out of memory");
			rc = -1;
		}
	}
	return rc;
}

static int promql_fds(struct source *s, struct pollfd *fds, int max)
{
	(void)s;
	(void)fds;
	(void)max;
	return 0;        /* the http driver waits on the sockets */
}

static void promql_ready(struct source *s, const struct pollfd *fds, int nfds, double now)
{
	(void)s;
	(void)fds;
	(void)nfds;
	(void)now;
}

static double promql_tick(struct source *s, double now)
{
	struct promql *p = s->priv;
	double next = INFINITY;
	double wall = NAN;              /* one `time` for the queries sent together */
	for (size_t i = 0; i < p->nq; i++) {
		struct pq *q = &p->q[i];
		if (!q->req && now >= q->next) {
			if (isnan(wall))
				wall = clock_wall();
			if (send_instant(q, now, wall) < 0) {
				health_set_error(q->health, HEALTH_FAILING, "out of memory");
				q->next = http_backoff_next(&q->bo, true, now, p->interval);
			}
		}
		/* While a query is in flight its done() sets the next time, but
		 * done() may run inside the driver's tick(), after this one has
		 * answered and before the loop sleeps: so ask to be woken when the
		 * query would be due after a success (then every interval while
		 * it lasts), not only when the driver has news. */
		double due = q->next;
		if (q->req) {
			due = q->sent + p->interval;
			if (due <= now)
				due = now + p->interval;
		}
		if (due < next)
			next = due;
	}
	return next;
}

static void promql_stop(struct source *s)
{
	if (!s)
		return;
	struct promql *p = s->priv;
	if (p) {
		for (size_t i = 0; i < p->nq; i++) {
			if (p->q[i].req)
				http_cancel(p->http, p->q[i].req);
			if (p->q[i].range_req)
				http_cancel(p->http, p->q[i].range_req);
		}
		for (size_t i = 0; i < MET__COUNT; i++)
			free(p->q[i].enc);
		scratch_reset(p, false);
		free(p->slot);
		free(p->pt);
		free(p->url_query);
		free(p->url_range);
		free(p->bearer_file);
		free(p->basic_file);
		free(p->ca_file);
		free(p);
	}
	free(s);
}

static const struct source_ops promql_ops = {
	.kind = "promql",
	.start = promql_start,
	.fds = promql_fds,
	.ready = promql_ready,
	.tick = promql_tick,
	.stop = promql_stop,
};

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The server URL without "user:password@" (it goes on screen) into buf. */
static void public_url(char *buf, size_t n, const char *url)
{
	const char *auth = strstr(url, "://");
	auth = auth ? auth + 3 : url;
	size_t alen = strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', alen);
	if (at)
		snprintf(buf, n, "%.*s%s", (int)(auth - url), url, at + 1);
	else
		snprintf(buf, n, "%s", url);
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	return src && !(*dst = strdup(src)) ? -1 : 0;
}

struct source *promql_source_new(struct model *m, struct http *h, const struct fleet_cfg *f,
                                 char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
#define FAIL(...) do { if (err && errlen) snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)
	struct source *s = NULL;
	struct promql *p = NULL;
	char *server = NULL;
	if (!m || !h || !f || !f->name) {
		if (err && errlen)
			snprintf(err, errlen, "promql: missing model, driver or fleet");
		return NULL;
	}
	const char *exprs[MET__COUNT] = { f->q_thr, f->q_power, f->q_util };
	bool any = false;
	for (int k = 0; k < MET__COUNT; k++)
		if (exprs[k] && *exprs[k])
			any = true;

	s = calloc(1, sizeof *s);
	p = calloc(1, sizeof *p);
	if (!s || !p)
		FAIL("out of memory");
	s->ops = &promql_ops;
	s->model = m;
	s->priv = p;
	p->http = h;

	if (!f->server || !(has_prefix_ci(f->server, "http://") || has_prefix_ci(f->server, "https://")))
		FAIL("server '%.100s' is not an http:// or https:// URL", f->server ? f->server : "");
	if (!any)
		FAIL("no query: set query_throughput, query_power or query_utilization");

	/* SERVER may carry a path prefix (Mimir's /prometheus): keep it */
	if (!(server = strdup(f->server)))
		FAIL("out of memory");
	for (size_t n = strlen(server); n > 0 && server[n - 1] == '/'; n--)
		server[n - 1] = '\0';
	size_t n = strlen(server) + 32;
	if (!(p->url_query = malloc(n)) || !(p->url_range = malloc(n)))
		FAIL("out of memory");
	snprintf(p->url_query, n, "%s/api/v1/query", server);
	snprintf(p->url_range, n, "%s/api/v1/query_range", server);
	if (dup_opt(&p->bearer_file, f->bearer_file) < 0 || dup_opt(&p->basic_file, f->basic_file) < 0 ||
	    dup_opt(&p->ca_file, f->ca_file) < 0)
		FAIL("out of memory");
	p->insecure = f->insecure;
	p->interval = f->interval > 0 ? f->interval : PROMQL_DEFAULT_INTERVAL;
	if (p->interval < PROMQL_MIN_INTERVAL)
		p->interval = PROMQL_MIN_INTERVAL;
	p->timeout = f->timeout > 0 ? f->timeout : PROMQL_DEFAULT_TIMEOUT;

	struct fleet *fl = source_fleet(m, f);
	if (!fl)
		FAIL("out of memory");
	p->fleet = fl;

	char pub[160];
	public_url(pub, sizeof pub, server);
	for (int k = 0; k < MET__COUNT; k++) {
		if (!exprs[k] || !*exprs[k])
			continue;
		struct pq *q = &p->q[p->nq];
		char target[192];
		snprintf(target, sizeof target, "%s %s", pub, metric_name((enum metric)k));
		q->p = p;
		q->metric = (enum metric)k;
		if (!(q->enc = promql_form_encode(exprs[k])) ||
		    !(q->health = fleet_add_source(fl, "promql", target)))
			FAIL("out of memory");
		http_backoff_init(&q->bo, target);
		p->nq++;
	}
	free(server);
	return s;
fail:
#undef FAIL
	free(server);
	if (p) {
		for (size_t i = 0; i < MET__COUNT; i++)
			free(p->q[i].enc);
		free(p->url_query);
		free(p->url_range);
		free(p->bearer_file);
		free(p->basic_file);
		free(p->ca_file);
		free(p);
	}
	free(s);
	return NULL;
}
