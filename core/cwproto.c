/*
 * cwproto.c - the CloudWatch and Price List wire protocol (see cwproto.h).
 *
 * Bodies are built with cJSON so that every string is escaped by one well-kept
 * routine; keys are added in the service model's member order, which is what
 * the SDKs send and what the golden tests pin.  Answers are parsed whole with
 * cJSON, checked in a first pass and only then delivered, so that a malformed
 * or truncated answer never delivers half its datapoints.
 */
#include "config.h"

#include "core/cwproto.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/format.h"

/* ---- small helpers ------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool nonempty(const char *s)
{
	return s && *s;
}

static char *dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* A string member, or NULL when absent or not a string. */
static const char *str_member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* Sanitized copy of remote text for display: cut at the first line break
 * (a message is one line), control characters and bad UTF-8 replaced. */
static void sanitize_line(char *buf, size_t n, const char *src)
{
	if (n == 0)
		return;
	char tmp[CW_TEXT_MAX * 2];
	size_t k = 0;
	for (const char *p = src ? src : ""; *p && *p != '\r' && *p != '\n' && k + 1 < sizeof tmp; p++)
		tmp[k++] = *p;
	tmp[k] = '\0';
	fmt_sanitize(buf, n, tmp, true);
}

/* The identifier of one query for messages: sanitized, short. */
static const char *show_id(char *buf, size_t n, const char *id)
{
	fmt_sanitize(buf, n, id ? id : "", true);
	return buf;
}

/* ---- request bodies ------------------------------------------------------- */

bool cw_id_valid(const char *id)
{
	if (!id || !(id[0] >= 'a' && id[0] <= 'z'))
		return false;
	size_t i = 1;
	for (; id[i]; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return i < CW_ID_MAX;
}

size_t cw_id_make(char *buf, size_t n, const char *hint, size_t index)
{
	if (n == 0)
		return 0;
	if (n > CW_ID_MAX)
		n = CW_ID_MAX;
	buf[0] = '\0';
	char suffix[32];
	const char *h = hint ? hint : "";
	bool have_hint = false;
	for (const char *p = h; *p; p++) {
		char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			have_hint = true;
			break;
		}
	}
	snprintf(suffix, sizeof suffix, "%s%zu", have_hint ? "_" : "", index);
	size_t slen = strlen(suffix);
	bool lead_q = !(h[0] >= 'a' && h[0] <= 'z');
	if (1 + slen + 1 > n)     /* not even "q<index>" fits */
		return 0;
	size_t o = 0;
	if (lead_q)
		buf[o++] = 'q';
	/* The hint with every other character as '_', runs collapsed, no '_'
	 * at either end, cut so that the suffix fits. */
	bool pending = false;
	for (const char *p = h; *p && have_hint; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!ok) {
			pending = o > (size_t)lead_q;
			continue;
		}
		size_t need = (pending ? 1 : 0) + 1;
		if (o + need + slen + 1 > n)
			break;
		if (pending)
			buf[o++] = '_';
		pending = false;
		buf[o++] = c;
	}
	if (o == 0) {               /* no room for any of the hint: "q<index>" */
		buf[o++] = 'q';
		snprintf(suffix, sizeof suffix, "%zu", index);
		slen = strlen(suffix);
	}
	memcpy(buf + o, suffix, slen + 1);
	return o + slen;
}

static bool valid_dims(const struct cw_dim *d, size_t n, bool filter, size_t max,
                       char *err, size_t errlen)
{
	if (n > max) {
		seterr(err, errlen, "%zu dimensions; CloudWatch takes at most %zu", n, max);
		return false;
	}
	if (n && !d) {
		seterr(err, errlen, "dimensions missing");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!nonempty(d[i].name)) {
			seterr(err, errlen, "dimension %zu has no name", i + 1);
			return false;
		}
		if (!filter && !nonempty(d[i].value)) {
			char nm[64];
			seterr(err, errlen, "dimension %s has no value", show_id(nm, sizeof nm, d[i].name));
			return false;
		}
	}
	return true;
}

static cJSON *dims_json(const struct cw_dim *d, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(a, o) || !cJSON_AddStringToObject(o, "Name", d[i].name) ||
		    (nonempty(d[i].value) && !cJSON_AddStringToObject(o, "Value", d[i].value))) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static bool valid_query(const struct cw_query *q, char *err, size_t errlen)
{
	char id[CW_ID_MAX];
	show_id(id, sizeof id, q->id);
	if (!cw_id_valid(q->id)) {
		seterr(err, errlen, "query id \"%s\" is not valid: it must match [a-z][a-zA-Z0-9_]*", id);
		return false;
	}
	if (q->expression) {
		if (!*q->expression) {
			seterr(err, errlen, "query %s: empty expression", id);
			return false;
		}
		if (q->period < 0) {
			seterr(err, errlen, "query %s: negative period", id);
			return false;
		}
		return true;
	}
	if (!nonempty(q->metric.ns) || !nonempty(q->metric.name)) {
		seterr(err, errlen, "query %s: needs a namespace and a metric name, or an expression", id);
		return false;
	}
	if (!nonempty(q->stat)) {
		seterr(err, errlen, "query %s: no statistic", id);
		return false;
	}
	if (q->period <= 0) {
		seterr(err, errlen, "query %s: the period must be a positive number of seconds", id);
		return false;
	}
	char sub[CW_TEXT_MAX];
	if (!valid_dims(q->metric.dims, q->metric.ndims, false, CW_MAX_DIMS, sub, sizeof sub)) {
		seterr(err, errlen, "query %s: %s", id, sub);
		return false;
	}
	return true;
}

static cJSON *query_json(const struct cw_query *q)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "Id", q->id))
		goto fail;
	if (!q->expression) {
		cJSON *ms = cJSON_AddObjectToObject(o, "MetricStat");
		cJSON *m = ms ? cJSON_AddObjectToObject(ms, "Metric") : NULL;
		if (!m || !cJSON_AddStringToObject(m, "Namespace", q->metric.ns) ||
		    !cJSON_AddStringToObject(m, "MetricName", q->metric.name))
			goto fail;
		cJSON *d = dims_json(q->metric.dims, q->metric.ndims);
		if (!d)
			goto fail;
		cJSON_AddItemToObject(m, "Dimensions", d);
		if (!cJSON_AddNumberToObject(ms, "Period", q->period) ||
		    !cJSON_AddStringToObject(ms, "Stat", q->stat) ||
		    (nonempty(q->unit) && !cJSON_AddStringToObject(ms, "Unit", q->unit)))
			goto fail;
	} else if (!cJSON_AddStringToObject(o, "Expression", q->expression)) {
		goto fail;
	}
	if ((nonempty(q->label) && !cJSON_AddStringToObject(o, "Label", q->label)) ||
	    !cJSON_AddBoolToObject(o, "ReturnData", !q->hidden))
		goto fail;
	if (q->expression && q->period > 0 && !cJSON_AddNumberToObject(o, "Period", q->period))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static char *print_or_fail(cJSON *root, char *err, size_t errlen)
{
	char *s = root ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	if (!s)
		seterr(err, errlen, "out of memory");
	return s;
}

char *cw_gmd_build(const struct cw_gmd_request *r, char *err, size_t errlen)
{
	if (!r || !r->queries || r->n == 0) {
		seterr(err, errlen, "no queries to ask");
		return NULL;
	}
	if (r->n > CW_MAX_QUERIES) {
		seterr(err, errlen, "%zu queries in one call; CloudWatch takes at most %u (see cw_batch_plan)",
		       r->n, CW_MAX_QUERIES);
		return NULL;
	}
	if (!isfinite(r->start) || !isfinite(r->end) || r->start < 0 || r->start >= r->end) {
		seterr(err, errlen, "the window must have 0 <= start < end");
		return NULL;
	}
	if (r->max_datapoints < 0) {
		seterr(err, errlen, "MaxDatapoints must be positive");
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (!valid_query(&r->queries[i], err, errlen))
			return NULL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->queries[i].id, r->queries[j].id) == 0) {
				seterr(err, errlen, "query id %s is used twice", r->queries[i].id);
				return NULL;
			}
	}

	cJSON *root = cJSON_CreateObject();
	cJSON *qs = root ? cJSON_AddArrayToObject(root, "MetricDataQueries") : NULL;
	if (!qs)
		goto oom;
	for (size_t i = 0; i < r->n; i++) {
		cJSON *q = query_json(&r->queries[i]);
		if (!q || !cJSON_AddItemToArray(qs, q)) {
			cJSON_Delete(q);
			goto oom;
		}
	}
	if (!cJSON_AddNumberToObject(root, "StartTime", r->start) ||
	    !cJSON_AddNumberToObject(root, "EndTime", r->end) ||
	    (nonempty(r->next_token) && !cJSON_AddStringToObject(root, "NextToken", r->next_token)) ||
	    !cJSON_AddStringToObject(root, "ScanBy", r->scan == CW_SCAN_ASCENDING ?
	                             "TimestampAscending" : "TimestampDescending") ||
	    (r->max_datapoints > 0 &&
	     !cJSON_AddNumberToObject(root, "MaxDatapoints", (double)r->max_datapoints)))
		goto oom;
	return print_or_fail(root, err, errlen);
oom:
	cJSON_Delete(root);
	seterr(err, errlen, "out of memory");
	return NULL;
}

char *cw_lm_build(const struct cw_lm_request *r, char *err, size_t errlen)
{
	if (!r) {
		seterr(err, errlen, "no request");
		return NULL;
	}
	if (!valid_dims(r->dims, r->ndims, true, CW_MAX_DIM_FILTERS, err, errlen))
		return NULL;
	cJSON *root = cJSON_CreateObject();
	if (!root)
		goto oom;
	if (nonempty(r->ns) && !cJSON_AddStringToObject(root, "Namespace", r->ns))
		goto oom;
	if (nonempty(r->metric_name) && !cJSON_AddStringToObject(root, "MetricName", r->metric_name))
		goto oom;
	if (r->ndims) {
		cJSON *d = dims_json(r->dims, r->ndims);
		if (!d)
			goto oom;
		cJSON_AddItemToObject(root, "Dimensions", d);
	}
	if ((nonempty(r->next_token) && !cJSON_AddStringToObject(root, "NextToken", r->next_token)) ||
	    (r->recently_active && !cJSON_AddStringToObject(root, "RecentlyActive", "PT3H")))
		goto oom;
	return print_or_fail(root, err, errlen);
oom:
	cJSON_Delete(root);
	seterr(err, errlen, "out of memory");
	return NULL;
}

static bool add_filter(cJSON *filters, const char *field, const char *value)
{
	cJSON *f = cJSON_CreateObject();
	if (!f || !cJSON_AddItemToArray(filters, f))
		return cJSON_Delete(f), false;
	return cJSON_AddStringToObject(f, "Type", "TERM_MATCH") &&
	       cJSON_AddStringToObject(f, "Field", field) &&
	       cJSON_AddStringToObject(f, "Value", value);
}

char *cw_products_build(const struct cw_products_request *r, char *err, size_t errlen)
{
	if (!r || !nonempty(r->instance_type) || !nonempty(r->region_code)) {
		seterr(err, errlen, "a price needs an instance type and a region");
		return NULL;
	}
	if (r->max_results < 0 || r->max_results > 100) {
		seterr(err, errlen, "MaxResults must be 1 to 100");
		return NULL;
	}
	cJSON *root = cJSON_CreateObject();
	cJSON *filters = root && cJSON_AddStringToObject(root, "ServiceCode", "AmazonEC2") ?
	                 cJSON_AddArrayToObject(root, "Filters") : NULL;
	if (!filters ||
	    !add_filter(filters, "instanceType", r->instance_type) ||
	    !add_filter(filters, "regionCode", r->region_code) ||
	    !add_filter(filters, "operatingSystem", "Linux") ||
	    !add_filter(filters, "tenancy", "Shared") ||
	    !add_filter(filters, "preInstalledSw", "NA") ||
	    !add_filter(filters, "capacitystatus", "Used") ||
	    !cJSON_AddStringToObject(root, "FormatVersion", "aws_v1") ||
	    (nonempty(r->next_token) && !cJSON_AddStringToObject(root, "NextToken", r->next_token)) ||
	    (r->max_results > 0 && !cJSON_AddNumberToObject(root, "MaxResults", r->max_results))) {
		cJSON_Delete(root);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	return print_or_fail(root, err, errlen);
}

/* ---- batching ---------------------------------------------------------------- */

#define DP_HUGE ((size_t)1 << 40)   /* "far too many": keeps sums from overflowing */

size_t cw_query_datapoints(const struct cw_query *q, double window, int fallback_period)
{
	int p = q->expression && q->period <= 0 ? fallback_period : q->period;
	if (p <= 0)
		p = 60;
	if (!(window > 0))
		return 0;
	double d = ceil(window / p);
	return d >= (double)DP_HUGE ? DP_HUGE : (size_t)d;
}

static void fmt_window(char *buf, size_t n, double s)
{
	if (s < 2 * 3600)
		snprintf(buf, n, "%.0f min", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, n, "%.3g h", s / 3600);
	else
		snprintf(buf, n, "%.3g days", s / 86400);
}

int cw_batch_plan(const struct cw_query *q, size_t n, double window,
                  struct cw_batch *out, size_t cap, size_t *nout, char *err, size_t errlen)
{
	size_t dummy;
	if (!nout)
		nout = &dummy;
	*nout = 0;
	if (!isfinite(window) || window <= 0) {
		seterr(err, errlen, "the window must be a positive number of seconds");
		return -1;
	}
	if (n && !q) {
		seterr(err, errlen, "no queries");
		return -1;
	}
	size_t nb = 0;
	struct cw_batch cur = { 0, 0, 0 };
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		if (q[i].group)
			while (j < n && q[j].group == q[i].group)
				j++;
		int minp = 0;
		for (size_t k = i; k < j; k++)
			if (!q[k].expression && q[k].period > 0 && (minp == 0 || q[k].period < minp))
				minp = q[k].period;
		if (minp == 0)
			minp = 60;
		size_t gq = j - i, gd = 0;
		for (size_t k = i; k < j && gd < DP_HUGE; k++)
			gd += cw_query_datapoints(&q[k], window, minp);
		char a[CW_ID_MAX], b[CW_ID_MAX], w[32], dp[32];
		if (gq > CW_MAX_QUERIES) {
			seterr(err, errlen, "queries %s..%s: a group of %zu queries is more than the %u one call takes",
			       show_id(a, sizeof a, q[i].id), show_id(b, sizeof b, q[j - 1].id), gq, CW_MAX_QUERIES);
			return -1;
		}
		if (gd > CW_MAX_DATAPOINTS) {
			fmt_window(w, sizeof w, window);
			if (gd >= DP_HUGE)
				snprintf(dp, sizeof dp, "far too many");
			else
				fmt_grouped(dp, sizeof dp, (double)gd, 0, 0);
			if (gq == 1)
				seterr(err, errlen, "query %s: %s at a %d s period is %s datapoints; a call returns "
				       "at most 100,800: shorten the window or lengthen the period",
				       show_id(a, sizeof a, q[i].id), w, q[i].period > 0 ? q[i].period : minp, dp);
			else
				seterr(err, errlen, "queries %s..%s (one group): %s is %s datapoints; a call "
				       "returns at most 100,800: shorten the window or lengthen the periods",
				       show_id(a, sizeof a, q[i].id), show_id(b, sizeof b, q[j - 1].id), w, dp);
			return -1;
		}
		if (cur.count && (cur.count + gq > CW_MAX_QUERIES || cur.datapoints + gd > CW_MAX_DATAPOINTS)) {
			if (nb < cap && out)
				out[nb] = cur;
			nb++;
			cur.count = cur.datapoints = 0;
		}
		if (!cur.count)
			cur.first = i;
		cur.count += gq;
		cur.datapoints += gd;
		i = j;
	}
	if (cur.count) {
		if (nb < cap && out)
			out[nb] = cur;
		nb++;
	}
	*nout = nb;
	if (nb > cap) {
		seterr(err, errlen, "%zu calls are needed and there is room for %zu", nb, cap);
		return -1;
	}
	return 0;
}

/* ---- windows and periods ------------------------------------------------------ */

int cw_window_next(double now, int period, double settle, double backfill, double recheck,
                   double last_end, struct cw_window *w)
{
	if (period <= 0 || !w || !isfinite(now) || !isfinite(settle) || !isfinite(backfill) ||
	    !isfinite(recheck) || !isfinite(last_end))
		return -1;
	double p = period;
	if (settle < 0)
		settle = 0;
	if (recheck < 0)
		recheck = 0;
	double back = ceil(backfill / p) * p;
	if (back < p)
		back = p;
	double end = floor((now - settle) / p) * p;
	double start = end - back;
	if (last_end > 0) {
		if (end <= last_end)
			return 0;
		/* floor: a last_end from another period is brought onto this grid */
		double s = floor((last_end - ceil(recheck / p) * p) / p) * p;
		if (s > start)
			start = s;
	}
	if (start < 0)
		start = 0;
	if (start >= end)
		return 0;
	w->start = start;
	w->end = end;
	return 1;
}

/* "5 hours", "20 days", "90 minutes", "3.5 hours" */
static void fmt_age(char *buf, size_t n, double s)
{
	const char *unit;
	double v;
	if (s < 120 * 60) {
		v = s / 60;
		unit = "minute";
	} else if (s < 48 * 3600) {
		v = s / 3600;
		unit = "hour";
	} else {
		v = s / 86400;
		unit = "day";
	}
	bool whole = fabs(v - round(v)) < 0.05;
	if (whole)
		v = round(v);
	snprintf(buf, n, whole ? "%.0f %s%s" : "%.1f %s%s", v, unit, v == 1 ? "" : "s");
}

int cw_period_check(int period, bool high_res, double start, double now, char *msg, size_t n)
{
	if (msg && n)
		msg[0] = '\0';
	if (period <= 0) {
		seterr(msg, n, "period must be a positive number of seconds");
		return -1;
	}
	if (period < 60) {
		if (!high_res) {
			seterr(msg, n, "period %d s needs a high-resolution metric (published with "
			       "StorageResolution 1): use 60 s or a multiple of 60", period);
			return -1;
		}
		if (period != 1 && period != 5 && period != 10 && period != 20 && period != 30) {
			seterr(msg, n, "period %d s is not allowed: high-resolution periods are 1, 5, 10, 20 "
			       "or 30 s, else a multiple of 60 s", period);
			return -1;
		}
	} else if (period % 60) {
		seterr(msg, n, "period %d s is not allowed: use a multiple of 60 s", period);
		return -1;
	}
	double age = isfinite(now) && isfinite(start) ? now - start : 0;
	char ago[48];
	fmt_age(ago, sizeof ago, age);
	if (age > 455 * 86400.0) {
		seterr(msg, n, "CloudWatch keeps data for 455 days; this window starts %s ago: "
		       "nothing is left to read", ago);
		return -1;
	}
	if (age > 63 * 86400.0 && period % 3600) {
		seterr(msg, n, "period %d s is only kept for 63 days; this window starts %s ago: "
		       "use 3600 s or a multiple of it", period, ago);
		return -1;
	}
	if (age > 15 * 86400.0 && period % 300) {
		seterr(msg, n, "period %d s is only kept for 15 days; this window starts %s ago: "
		       "use 300 s or a multiple of it", period, ago);
		return -1;
	}
	if (age > 3 * 3600.0 && period < 60) {
		seterr(msg, n, "period %d s is only kept for 3 hours; this window starts %s ago: "
		       "use 60 s or more", period, ago);
		return -1;
	}
	return 0;
}

/* ---- late datapoints ------------------------------------------------------------ */

void cw_series_init(struct cw_series *s, struct cw_point *storage, size_t cap)
{
	s->pts = storage;
	s->n = 0;
	s->cap = storage ? cap : 0;
}

enum cw_merge cw_series_merge(struct cw_series *s, double t, double v)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->pts[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->pts[lo].t == t) {
		if (s->pts[lo].v == v)
			return CW_MERGE_SAME;
		s->pts[lo].v = v;
		return CW_MERGE_CHANGED;
	}
	if (s->n == s->cap) {
		if (lo == 0)
			return CW_MERGE_TOO_OLD;
		/* full: the oldest goes, the new one lands just before `lo` */
		memmove(s->pts, s->pts + 1, (lo - 1) * sizeof *s->pts);
		s->pts[lo - 1] = (struct cw_point){ t, v };
		return CW_MERGE_ADDED;
	}
	memmove(s->pts + lo + 1, s->pts + lo, (s->n - lo) * sizeof *s->pts);
	s->pts[lo] = (struct cw_point){ t, v };
	s->n++;
	return CW_MERGE_ADDED;
}

const struct cw_point *cw_series_latest(const struct cw_series *s)
{
	return s && s->n ? &s->pts[s->n - 1] : NULL;
}

/* ---- answers ------------------------------------------------------------------------ */

/* Whether a text that failed to parse ends inside a string or an open
 * object or array: the mark of an answer cut short. */
static bool unclosed(const char *s, size_t len)
{
	size_t depth = 0;
	bool in_str = false, esc = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		}
	}
	return in_str || depth > 0;
}

/* Parses a whole answer; NULL with a message when it is empty, not JSON,
 * truncated, followed by garbage or not an object. */
static cJSON *parse_answer(const char *body, size_t len, char *err, size_t errlen)
{
	if (!body || len == 0) {
		seterr(err, errlen, "empty answer");
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!root) {
		if (unclosed(body, len))
			seterr(err, errlen, "the answer is not valid JSON: it ends inside a string, object or "
			       "array after %zu bytes (truncated?)", len);
		else
			seterr(err, errlen, "the answer is not valid JSON (%zu bytes)", len);
		return NULL;
	}
	for (const char *p = end ? end : body + len; p < body + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			cJSON_Delete(root);
			seterr(err, errlen, "the answer has garbage after its JSON (at byte %zu of %zu)",
			       (size_t)(p - body), len);
			return NULL;
		}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		seterr(err, errlen, "the answer is not a JSON object");
		return NULL;
	}
	return root;
}

/* An optional array member: NULL and true when absent or null. */
static bool opt_array(const cJSON *o, const char *key, const cJSON **arr)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
	*arr = NULL;
	if (!a || cJSON_IsNull(a))
		return true;
	if (!cJSON_IsArray(a))
		return false;
	*arr = a;
	return true;
}

/* NextToken: absent, null, "" -> none; a string -> *ok; else not ok. */
static bool check_token(const cJSON *root, char *err, size_t errlen)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "NextToken");
	if (!t || cJSON_IsNull(t) || cJSON_IsString(t))
		return true;
	seterr(err, errlen, "NextToken is not a string");
	return false;
}

/* parse_answer for an answer that holds one list, `key` (absent or null:
 * empty, else an array), and an optional NextToken string: the root and
 * *list, or NULL with a message. */
static cJSON *parse_list_answer(const char *body, size_t len, const char *key, const cJSON **list,
                                char *err, size_t errlen)
{
	cJSON *root = parse_answer(body, len, err, errlen);
	if (!root)
		return NULL;
	if (!opt_array(root, key, list))
		seterr(err, errlen, "%s is not an array", key);
	else if (check_token(root, err, errlen))
		return root;
	cJSON_Delete(root);
	return NULL;
}

static int take_token(const cJSON *root, char **out, char *err, size_t errlen)
{
	*out = NULL;
	const char *t = str_member(root, "NextToken");
	if (!t || !*t)
		return 0;
	if (!(*out = dupstr(t))) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Messages[{Code, Value}] as "Code: Value; ...", sanitized. */
static void join_messages(char *buf, size_t n, const cJSON *msgs)
{
	char raw[CW_TEXT_MAX * 2];
	size_t o = 0;
	raw[0] = '\0';
	const cJSON *m;
	cJSON_ArrayForEach(m, msgs) {
		const char *code = str_member(m, "Code"), *val = str_member(m, "Value");
		if (!code && !val)
			continue;
		int k = snprintf(raw + o, sizeof raw - o, "%s%s%s%s", o ? "; " : "", code ? code : "",
		                 code && val ? ": " : "", val ? val : "");
		if (k < 0 || (size_t)k >= sizeof raw - o) {
			o = sizeof raw - 1;
			break;
		}
		o += (size_t)k;
	}
	/* one line: line breaks inside a message become spaces */
	for (size_t i = 0; i < o; i++)
		if (raw[i] == '\r' || raw[i] == '\n')
			raw[i] = ' ';
	fmt_sanitize(buf, n, raw, true);
}

static enum cw_status status_of(const char *s)
{
	if (!s || !strcmp(s, "Complete"))
		return CW_STATUS_COMPLETE;   /* a missing StatusCode counts as Complete */
	if (!strcmp(s, "PartialData"))
		return CW_STATUS_PARTIAL;
	if (!strcmp(s, "InternalError"))
		return CW_STATUS_INTERNAL_ERROR;
	if (!strcmp(s, "Forbidden"))
		return CW_STATUS_FORBIDDEN;
	return CW_STATUS_UNKNOWN;
}

const char *cw_status_name(enum cw_status s)
{
	switch (s) {
	case CW_STATUS_COMPLETE: return "Complete";
	case CW_STATUS_PARTIAL: return "PartialData";
	case CW_STATUS_INTERNAL_ERROR: return "InternalError";
	case CW_STATUS_FORBIDDEN: return "Forbidden";
	case CW_STATUS_UNKNOWN: break;
	}
	return "unknown";
}

/* First pass over one MetricDataResult. */
static bool check_result(const cJSON *r, size_t i, char *err, size_t errlen)
{
	if (!cJSON_IsObject(r)) {
		seterr(err, errlen, "MetricDataResults[%zu] is not an object", i);
		return false;
	}
	const char *id = str_member(r, "Id");
	char shown[CW_ID_MAX];
	if (!id || !cw_id_valid(id)) {
		seterr(err, errlen, "MetricDataResults[%zu]: %s", i, id ? "Id is not a valid query id" : "no Id");
		return false;
	}
	show_id(shown, sizeof shown, id);
	const cJSON *ts, *vs, *ms;
	if (!opt_array(r, "Timestamps", &ts) || !opt_array(r, "Values", &vs) || !opt_array(r, "Messages", &ms)) {
		seterr(err, errlen, "result %s: Timestamps, Values and Messages must be arrays", shown);
		return false;
	}
	int nt = ts ? cJSON_GetArraySize(ts) : 0, nv = vs ? cJSON_GetArraySize(vs) : 0;
	if (nt != nv) {
		seterr(err, errlen, "result %s: %d timestamps but %d values", shown, nt, nv);
		return false;
	}
	const cJSON *x;
	int k = 0;
	cJSON_ArrayForEach(x, ts) {
		if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || x->valuedouble < 0) {
			seterr(err, errlen, "result %s: Timestamps[%d] is not a time in epoch seconds", shown, k);
			return false;
		}
		k++;
	}
	k = 0;
	cJSON_ArrayForEach(x, vs) {
		if (!cJSON_IsNumber(x)) {
			seterr(err, errlen, "result %s: Values[%d] is not a number", shown, k);
			return false;
		}
		k++;
	}
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(r, "StatusCode");
	const cJSON *lb = cJSON_GetObjectItemCaseSensitive(r, "Label");
	if ((sc && !cJSON_IsString(sc) && !cJSON_IsNull(sc)) || (lb && !cJSON_IsString(lb) && !cJSON_IsNull(lb))) {
		seterr(err, errlen, "result %s: StatusCode and Label must be strings", shown);
		return false;
	}
	return true;
}

int cw_gmd_parse(const char *body, size_t len, const struct cw_gmd_sink *sink,
                 struct cw_gmd_info *info, char *err, size_t errlen)
{
	struct cw_gmd_info dummy;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof *info);
	cJSON *root = parse_answer(body, len, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	const cJSON *results, *msgs, *r;
	if (!opt_array(root, "MetricDataResults", &results) || !opt_array(root, "Messages", &msgs)) {
		seterr(err, errlen, "MetricDataResults and Messages must be arrays");
		goto out;
	}
	if (!check_token(root, err, errlen))
		goto out;
	size_t i = 0;
	cJSON_ArrayForEach(r, results) {
		if (!check_result(r, i++, err, errlen))
			goto out;
	}

	/* Everything is well-formed: deliver. */
	cJSON_ArrayForEach(r, results) {
		struct cw_result res;
		char label[CW_TEXT_MAX], message[CW_TEXT_MAX];
		const cJSON *ts, *vs, *ms;
		opt_array(r, "Timestamps", &ts);
		opt_array(r, "Values", &vs);
		opt_array(r, "Messages", &ms);
		memset(&res, 0, sizeof res);
		res.id = str_member(r, "Id");
		sanitize_line(label, sizeof label, str_member(r, "Label"));
		join_messages(message, sizeof message, ms);
		res.label = label;
		res.message = message;
		res.status = status_of(str_member(r, "StatusCode"));
		const cJSON *t = ts ? ts->child : NULL, *v = vs ? vs->child : NULL;
		for (; t && v; t = t->next, v = v->next) {
			if (!isfinite(v->valuedouble)) {
				res.skipped++;
				continue;
			}
			if (sink && sink->point && sink->point(sink->user, res.id, t->valuedouble, v->valuedouble)) {
				seterr(err, errlen, "stopped by the caller");
				goto out;
			}
			res.points++;
		}
		info->results++;
		info->points += res.points;
		info->skipped += res.skipped;
		if (res.status == CW_STATUS_PARTIAL)
			info->partial++;
		else if (res.status != CW_STATUS_COMPLETE)
			info->failed++;
		if (sink && sink->result && sink->result(sink->user, &res)) {
			seterr(err, errlen, "stopped by the caller");
			goto out;
		}
	}
	join_messages(info->messages, sizeof info->messages, msgs);
	rc = take_token(root, &info->next_token, err, errlen);
out:
	cJSON_Delete(root);
	return rc;
}

/* First pass over one ListMetrics metric. */
static bool check_metric(const cJSON *m, size_t i, char *err, size_t errlen)
{
	if (!cJSON_IsObject(m) || !str_member(m, "Namespace") || !str_member(m, "MetricName")) {
		seterr(err, errlen, "Metrics[%zu] needs a Namespace and a MetricName", i);
		return false;
	}
	const cJSON *dims, *d;
	if (!opt_array(m, "Dimensions", &dims)) {
		seterr(err, errlen, "Metrics[%zu]: Dimensions is not an array", i);
		return false;
	}
	size_t k = 0;
	cJSON_ArrayForEach(d, dims) {
		if (!cJSON_IsObject(d) || !str_member(d, "Name") || !str_member(d, "Value")) {
			seterr(err, errlen, "Metrics[%zu]: dimension %zu needs a Name and a Value", i, k);
			return false;
		}
		k++;
	}
	if (k > CW_MAX_DIMS) {
		seterr(err, errlen, "Metrics[%zu] has %zu dimensions, more than CloudWatch allows", i, k);
		return false;
	}
	return true;
}

int cw_lm_parse(const char *body, size_t len,
                int (*fn)(void *user, const struct cw_metric *m), void *user,
                struct cw_lm_info *info, char *err, size_t errlen)
{
	struct cw_lm_info dummy;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof *info);
	const cJSON *metrics, *m;
	cJSON *root = parse_list_answer(body, len, "Metrics", &metrics, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	size_t i = 0;
	cJSON_ArrayForEach(m, metrics) {
		if (!check_metric(m, i++, err, errlen))
			goto out;
	}
	cJSON_ArrayForEach(m, metrics) {
		struct cw_dim dims[CW_MAX_DIMS];
		struct cw_metric met = { str_member(m, "Namespace"), str_member(m, "MetricName"), dims, 0 };
		const cJSON *ds, *d;
		opt_array(m, "Dimensions", &ds);
		cJSON_ArrayForEach(d, ds) {
			dims[met.ndims].name = str_member(d, "Name");
			dims[met.ndims].value = str_member(d, "Value");
			met.ndims++;
		}
		if (fn && fn(user, &met)) {
			seterr(err, errlen, "stopped by the caller");
			goto out;
		}
		info->metrics++;
	}
	rc = take_token(root, &info->next_token, err, errlen);
out:
	cJSON_Delete(root);
	return rc;
}

/* An attribute that, when present, must have this value. */
static bool attr_ok(const cJSON *attrs, const char *key, const char *want)
{
	const char *v = str_member(attrs, key);
	return !v || !strcmp(v, want);
}

/* The strict number in a price string ("0.7582000000"); false when it is not one. */
static bool price_value(const char *s, double *out)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-'))
			return false;   /* no "inf", "nan", hex or spaces */
	char *end;
	double v = strtod(s, &end);
	if (*end || !isfinite(v) || v < 0)
		return false;
	*out = v;
	return true;
}

/* The on-demand hourly USD price of one product document. */
static bool ondemand_hourly(const cJSON *doc, double *usd)
{
	const cJSON *terms = cJSON_GetObjectItemCaseSensitive(doc, "terms");
	const cJSON *od = cJSON_GetObjectItemCaseSensitive(terms, "OnDemand");
	const cJSON *term, *dim;
	if (!cJSON_IsObject(od))
		return false;
	cJSON_ArrayForEach(term, od) {
		const cJSON *pds = cJSON_GetObjectItemCaseSensitive(term, "priceDimensions");
		if (!cJSON_IsObject(pds))
			continue;
		cJSON_ArrayForEach(dim, pds) {
			const char *unit = str_member(dim, "unit");
			const cJSON *ppu = cJSON_GetObjectItemCaseSensitive(dim, "pricePerUnit");
			if (unit && !strcmp(unit, "Hrs") && price_value(str_member(ppu, "USD"), usd))
				return true;
		}
	}
	return false;
}

int cw_products_parse(const char *body, size_t len,
                      int (*fn)(void *user, const struct cw_product *p), void *user,
                      struct cw_products_info *info, char *err, size_t errlen)
{
	struct cw_products_info dummy;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof *info);
	const cJSON *list, *e;
	cJSON *root = parse_list_answer(body, len, "PriceList", &list, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	cJSON **docs = NULL;
	size_t ndocs = 0;
	int count = list ? cJSON_GetArraySize(list) : 0;
	if (count > 0 && !(docs = calloc((size_t)count, sizeof *docs))) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	/* First pass: every entry is a string holding a JSON object. */
	cJSON_ArrayForEach(e, list) {
		if (!cJSON_IsString(e) || !e->valuestring) {
			seterr(err, errlen, "PriceList[%zu] is not a string (PriceList holds JSON texts)", ndocs);
			goto out;
		}
		const char *end = NULL;
		cJSON *doc = cJSON_ParseWithOpts(e->valuestring, &end, true);
		if (!doc || !cJSON_IsObject(doc)) {
			cJSON_Delete(doc);
			seterr(err, errlen, "PriceList[%zu] is not a JSON object", ndocs);
			goto out;
		}
		docs[ndocs++] = doc;
	}
	for (size_t i = 0; i < ndocs; i++) {
		const cJSON *product = cJSON_GetObjectItemCaseSensitive(docs[i], "product");
		const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(product, "attributes");
		struct cw_product p = { "", "", "", 0 };
		info->entries++;
		if (!attr_ok(attrs, "operatingSystem", "Linux") || !attr_ok(attrs, "tenancy", "Shared") ||
		    !attr_ok(attrs, "preInstalledSw", "NA") || !attr_ok(attrs, "capacitystatus", "Used") ||
		    !attr_ok(attrs, "licenseModel", "No License required") ||
		    !attr_ok(attrs, "marketoption", "OnDemand") || !ondemand_hourly(docs[i], &p.usd_per_hour)) {
			info->skipped++;
			continue;
		}
		const char *s;
		if ((s = str_member(product, "sku")))
			p.sku = s;
		if ((s = str_member(attrs, "instanceType")))
			p.instance_type = s;
		if ((s = str_member(attrs, "regionCode")))
			p.region_code = s;
		if (fn && fn(user, &p)) {
			seterr(err, errlen, "stopped by the caller");
			goto out;
		}
		info->accepted++;
	}
	rc = take_token(root, &info->next_token, err, errlen);
out:
	for (size_t i = 0; i < ndocs; i++)
		cJSON_Delete(docs[i]);
	free(docs);
	cJSON_Delete(root);
	if (rc)
		info->entries = info->accepted = info->skipped = 0;
	return rc;
}

/* ---- errors ------------------------------------------------------------------ */

size_t cw_error_code(char *buf, size_t n, const char *raw)
{
	if (n == 0)
		return 0;
	const char *s = raw ? raw : "";
	size_t len = strcspn(s, ",");          /* first of a list */
	size_t colon = strcspn(s, ":");        /* ":http://internal.amazon.com/..." */
	if (colon < len)
		len = colon;
	const char *hash = memchr(s, '#', len);  /* "com.amazon.coral.service#Code" */
	if (hash) {
		len -= (size_t)(hash + 1 - s);
		s = hash + 1;
	}
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-')
			buf[o++] = c;
	}
	buf[o] = '\0';
	return o;
}

static bool in_list(const char *code, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(code, *list))
			return true;
	return false;
}

/* The throttling codes are the AWS SDKs' own list (@smithy/core retry
 * THROTTLING_ERROR_CODES), so that perwatt backs off where an SDK would. */
static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"RequestThrottled", "TooManyRequestsException", "RequestLimitExceeded",
	"ProvisionedThroughputExceededException", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException", "BandwidthLimitExceeded", "LimitExceededException",
	"TransactionInProgressException", NULL
};
static const char *const expired_codes[] = {
	"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", NULL
};
static const char *const signature_codes[] = {
	"SignatureDoesNotMatch", "IncompleteSignature", "IncompleteSignatureException",
	"InvalidSignatureException", "RequestExpired", "RequestTimeTooSkewed", "RequestInTheFuture", NULL
};
static const char *const unknown_key_codes[] = {
	"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "AuthFailure",
	"InvalidToken", "MissingAuthenticationToken", "MissingAuthenticationTokenException", NULL
};
static const char *const access_codes[] = {
	"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
	"NotAuthorized", NULL
};
static const char *const server_codes[] = {
	"InternalServiceError", "InternalServiceFault", "InternalFailure", "InternalError",
	"InternalServerError", "ServiceUnavailable", "ServiceUnavailableException", NULL
};

enum cw_err_kind cw_error_kind(const char *code, int http_status)
{
	const char *c = code ? code : "";
	if (in_list(c, throttle_codes) || http_status == 429)
		return CW_ERR_THROTTLED;
	if (in_list(c, expired_codes) || in_list(c, signature_codes) || in_list(c, unknown_key_codes))
		return CW_ERR_CREDENTIALS;
	if (in_list(c, access_codes))
		return CW_ERR_ACCESS;
	if (in_list(c, server_codes) || http_status >= 500)
		return CW_ERR_SERVER;
	if (http_status == 401 || http_status == 403)
		return CW_ERR_ACCESS;
	if (http_status >= 400 && http_status < 500)
		return CW_ERR_INVALID;
	return CW_ERR_OTHER;
}

/* Access key ids ("AKIA..." long-term, "ASIA..." temporary) are masked:
 * they name the account's identity and have no place on a shared screen. */
static void mask_key_ids(char *s)
{
	for (char *p = s; *p; p++) {
		if (strncmp(p, "AKIA", 4) && strncmp(p, "ASIA", 4))
			continue;
		size_t k = 4;
		while ((p[k] >= 'A' && p[k] <= 'Z') || (p[k] >= '0' && p[k] <= '9'))
			k++;
		if (k < 16)
			continue;
		memcpy(p + 4, "****", 4);
		memmove(p + 8, p + k, strlen(p + k) + 1);
		p += 7;
	}
}

void cw_error_parse(int http_status, const char *query_error, const char *body, size_t len,
                    struct cw_error *e)
{
	memset(e, 0, sizeof *e);
	e->http_status = http_status;
	cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	if (cJSON_IsObject(root)) {
		const char *t = str_member(root, "__type");
		if (!t)
			t = str_member(root, "code");
		if (!t)
			t = str_member(root, "Code");
		if (t)
			cw_error_code(e->code, sizeof e->code, t);
		const char *m = str_member(root, "message");
		if (!m)
			m = str_member(root, "Message");
		if (m)
			sanitize_line(e->message, sizeof e->message, m);
	} else if (body && len) {
		snprintf(e->message, sizeof e->message, "the error answer is not JSON");
	}
	cJSON_Delete(root);

	/* x-amzn-query-error: "Code;Sender" - the Query-compatible code wins */
	if (query_error && *query_error) {
		char code[CW_CODE_MAX];
		size_t cl = strcspn(query_error, ";");
		char tmp[CW_CODE_MAX * 2];
		snprintf(tmp, sizeof tmp, "%.*s", (int)(cl < sizeof tmp - 1 ? cl : sizeof tmp - 1), query_error);
		if (cw_error_code(code, sizeof code, tmp))
			memcpy(e->code, code, sizeof code);
		if (query_error[cl] == ';') {
			size_t o = 0;
			for (const char *p = query_error + cl + 1; *p && *p != ';' && o + 1 < sizeof e->sender; p++)
				if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
					e->sender[o++] = *p;
			e->sender[o] = '\0';
		}
	}
	mask_key_ids(e->message);

	e->kind = cw_error_kind(e->code, http_status);
	e->retry = e->kind == CW_ERR_THROTTLED || e->kind == CW_ERR_SERVER;

	char what[CW_CODE_MAX + 32];
	if (*e->code)
		snprintf(what, sizeof what, "%s, HTTP %d", e->code, http_status);
	else
		snprintf(what, sizeof what, "HTTP %d", http_status);
	const char *lead, *hint = "";
	switch (e->kind) {
	case CW_ERR_THROTTLED:
		lead = "throttled";
		hint = "; backing off";
		break;
	case CW_ERR_CREDENTIALS:
		if (in_list(e->code, expired_codes)) {
			lead = "credentials expired";
			hint = "; refresh them (a new session token)";
		} else if (in_list(e->code, signature_codes)) {
			lead = "request signature rejected";
			hint = "; check the secret access key and the system clock";
		} else {
			lead = "credentials not recognised";
			hint = "; check the access key id, the session token and the region";
		}
		break;
	case CW_ERR_ACCESS:
		lead = "access denied";
		hint = "; the identity needs cloudwatch:GetMetricData, cloudwatch:ListMetrics and "
		       "pricing:GetProducts";
		break;
	case CW_ERR_INVALID:
		lead = "request refused";
		break;
	case CW_ERR_SERVER:
		lead = "AWS service error";
		hint = "; retrying";
		break;
	default:
		lead = "unexpected answer";
		break;
	}
	snprintf(e->line, sizeof e->line, "%s (%s)%s%s%s", lead, what, *e->message ? ": " : "",
	         e->message, hint);
}

/* ---- arithmetic ------------------------------------------------------------- */

double cw_sum_per_second(double sum, int period)
{
	if (period <= 0 || !isfinite(sum))
		return NAN;
	return sum / period;
}

size_t cw_billed_metrics(const struct cw_query *q, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; q && i < n; i++)
		if (!q[i].expression)
			k++;
	return k;
}

double cw_watch_usd_per_hour(size_t metrics_per_poll, double poll_interval_s, double usd_per_1000)
{
	if (!isfinite(poll_interval_s) || poll_interval_s <= 0 || !isfinite(usd_per_1000))
		return NAN;
	return (double)metrics_per_poll * (3600.0 / poll_interval_s) * usd_per_1000 / 1000.0;
}
