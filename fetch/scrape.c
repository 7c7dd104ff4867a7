/* scrape.c - exporters' /metrics endpoints into the model; see scrape.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/format.h"
#include "core/rate.h"
#include "fetch/presets.h"
#include "fetch/scrape.h"

#define PLAN_MAX_SEL      (2 * MET__COUNT)  /* a selector per figure, and a preset's second one */
#define EVAL_MAX_PENDING  (1u << 20)        /* matching samples kept per body */
#define SCRAPE_WATCHDOG   2.0               /* s past the timeout before a request is abandoned */
#define SD_CHECK_EVERY    1.0               /* s between stat()s of the file_sd file */

/* ---- hashing ---------------------------------------------------------------- */

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME  1099511628211ull

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

/* splitmix64's finalizer: spreads a hash before it is added to others */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* ---- the plan: a fleet's mappings as parser selectors ---------------------- */

struct plan_fig {
	bool on;
	char *what;                 /* the primary selector's text, for messages */
	enum metric_kind kind;
	double scale;
	bool mean;
	char *dedupe;               /* or NULL */
	enum preset_xform xform;
};

struct scrape_plan {
	struct plan_fig fig[MET__COUNT];
	char *sel[PLAN_MAX_SEL];    /* selector texts, in the order they are registered */
	int sel_fig[PLAN_MAX_SEL];
	size_t nsel;
	const struct preset *preset;    /* the fleet's named preset (hints), or NULL */
};

static bool legacy_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == ':'))
			return false;
	return true;
}

/* "name{matchers}", or {"quoted.name", matchers} for a Prometheus 3 name. */
static char *selector_text(const char *metric, const char *matchers)
{
	if (matchers && !*matchers)
		matchers = NULL;
	size_t n = 2 * strlen(metric) + (matchers ? strlen(matchers) : 0) + 8;
	char *buf = malloc(n), *o = buf;
	if (!buf)
		return NULL;
	if (legacy_name(metric)) {
		o += sprintf(o, "%s", metric);
		if (matchers)
			sprintf(o, "{%s}", matchers);
		return buf;
	}
	*o++ = '{';
	*o++ = '"';
	for (const char *p = metric; *p; p++) {
		if (*p == '"' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o++ = '"';
	if (matchers)
		o += sprintf(o, ", %s", matchers);
	*o++ = '}';
	*o = '\0';
	return buf;
}

void scrape_plan_free(struct scrape_plan *pl)
{
	if (!pl)
		return;
	for (int k = 0; k < MET__COUNT; k++) {
		free(pl->fig[k].what);
		free(pl->fig[k].dedupe);
	}
	for (size_t i = 0; i < pl->nsel; i++)
		free(pl->sel[i]);
	free(pl);
}

/* Adds a selector for figure k, checked by a parser; 0 or -1 with err set. */
static int plan_add_sel(struct scrape_plan *pl, struct promtext *probe, int k, const char *metric,
                        const char *matchers, char *err, size_t errlen)
{
	char *text = selector_text(metric, matchers);
	if (!text || pl->nsel >= PLAN_MAX_SEL) {
		free(text);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (promtext_add_selector_str(probe, text) < 0) {
		char shown[160];
		fmt_sanitize(shown, sizeof shown, text, true);
		const char *why = promtext_error(probe);
		snprintf(err, errlen, "%s: bad metric selector '%s': %s", metric_name((enum metric)k),
		         shown, why ? why : "rejected");
		free(text);
		return -1;
	}
	pl->sel[pl->nsel] = text;
	pl->sel_fig[pl->nsel] = k;
	pl->nsel++;
	return 0;
}

struct scrape_plan *scrape_plan_new(const struct fleet_cfg *f, char *err, size_t errlen)
{
	const struct metric_map *maps[MET__COUNT] = {
		[MET_THROUGHPUT] = &f->thr, [MET_POWER] = &f->power, [MET_UTIL] = &f->util,
	};
	struct scrape_plan *pl = calloc(1, sizeof *pl);
	struct promtext *probe = promtext_new(PROMTEXT_0_0_4);
	if (!pl || !probe) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pl->preset = presets_find(f->preset);
	bool any = false;
	for (int k = 0; k < MET__COUNT; k++) {
		const struct metric_map *m = maps[k];
		struct plan_fig *pf = &pl->fig[k];
		if (!m->metric || !*m->metric)
			continue;
		any = true;
		pf->on = true;
		pf->kind = m->kind;
		pf->scale = m->scale > 0 && isfinite(m->scale) ? m->scale : 1.0;
		pf->mean = m->mean;
		if (m->dedupe_label && *m->dedupe_label && !(pf->dedupe = strdup(m->dedupe_label))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		size_t first = pl->nsel;
		if (plan_add_sel(pl, probe, k, m->metric, m->matchers, err, errlen) < 0)
			goto fail;
		if (!(pf->what = strdup(pl->sel[first]))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		const struct preset_map *pm = presets_match((enum metric)k, m);
		if (pm) {
			pf->xform = pm->xform;
			if (pm->also && plan_add_sel(pl, probe, k, pm->also, pm->also_matchers, err, errlen) < 0)
				goto fail;
		}
	}
	if (!any) {
		snprintf(err, errlen, "nothing to scrape: no throughput, power or utilization metric");
		goto fail;
	}
	promtext_free(probe);
	return pl;
fail:
	promtext_free(probe);
	scrape_plan_free(pl);
	return NULL;
}

/* ---- eval: one target's bodies into figures --------------------------------- */

/* A matching sample kept aside until the body has parsed whole. */
struct pend {
	uint64_t key;           /* the series: selector, name and label set */
	uint64_t dkey;          /* what dedupe compares: the dedupe label's value, else key */
	double v;
	uint32_t seq;           /* order in the body */
	uint8_t fig;
	bool counter;
};

/* A counter series' previous reading. */
struct ctr_state {
	uint64_t key;
	struct rate_state st;
};

struct scrape_eval {
	const struct scrape_plan *pl;
	struct promtext *p;
	struct pend *pend;
	size_t npend, cap_pend;
	struct ctr_state *ctr, *ctr_next;   /* sorted by key */
	size_t nctr, cap_ctr, cap_next;
	size_t matched[MET__COUNT];
	char err[160];          /* our own reason a body failed, else the parser's */
};

static bool has_suffix(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static bool is_counter(enum metric_kind kind, const struct promtext_labels *L)
{
	switch (kind) {
	case MKIND_COUNTER: return true;
	case MKIND_GAUGE:   return false;
	case MKIND_AUTO:    break;
	}
	switch (L->type) {
	case PROMTEXT_TYPE_COUNTER:
		return true;
	case PROMTEXT_TYPE_GAUGE:
		return false;
	case PROMTEXT_TYPE_HISTOGRAM:
	case PROMTEXT_TYPE_SUMMARY:
		return has_suffix(L->metric, L->metric_len, "_count") ||
		       has_suffix(L->metric, L->metric_len, "_sum") ||
		       has_suffix(L->metric, L->metric_len, "_bucket");
	default:
		return has_suffix(L->metric, L->metric_len, "_total");
	}
}

/* Order-independent hash of the selector, the sample name and its labels. */
static uint64_t series_key(int sel, const struct promtext_labels *L)
{
	uint64_t h = fnv(FNV_OFFSET, &sel, sizeof sel);
	h = mix(fnv(h, L->metric, L->metric_len));
	for (size_t i = 0; i < L->n; i++) {
		const struct promtext_label *lb = &L->label[i];
		uint64_t x = fnv(FNV_OFFSET, lb->name, lb->name_len);
		x = fnv(x, "=", 2);     /* with its NUL: names cannot hold one */
		x = fnv(x, lb->value, lb->value_len);
		h += mix(x);
	}
	return h;
}

static const struct promtext_label *label_nocase(const struct promtext_labels *L, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < L->n; i++)
		if (L->label[i].name_len == n && strncasecmp(L->label[i].name, name, n) == 0)
			return &L->label[i];
	return NULL;
}

static int eval_on_sample(int sel, const struct promtext_labels *L, double v, bool has_ts,
                          int64_t ts_ms, void *user)
{
	(void)has_ts;
	(void)ts_ms;        /* the time is the response's, see scrape.h */
	struct scrape_eval *e = user;
	if (sel < 0 || (size_t)sel >= e->pl->nsel)
		return 0;
	int k = e->pl->sel_fig[sel];
	const struct plan_fig *pf = &e->pl->fig[k];
	e->matched[k]++;
	if (!isfinite(v) || fabs(v) >= SCRAPE_SENTINEL)
		return 0;       /* NaN, Inf and DCGM's blanks are no value */
	if (e->npend == e->cap_pend) {
		if (e->cap_pend >= EVAL_MAX_PENDING) {
			snprintf(e->err, sizeof e->err, "more than %u matching samples in one body",
			         EVAL_MAX_PENDING);
			return 1;
		}
		size_t cap = e->cap_pend ? 2 * e->cap_pend : 64;
		struct pend *grown = realloc(e->pend, cap * sizeof *grown);
		if (!grown) {
			snprintf(e->err, sizeof e->err, "out of memory");
			return 1;
		}
		e->pend = grown;
		e->cap_pend = cap;
	}
	struct pend *p = &e->pend[e->npend];
	p->key = series_key(sel, L);
	p->dkey = p->key;
	if (pf->dedupe) {
		const struct promtext_label *lb = label_nocase(L, pf->dedupe);
		if (lb)
			p->dkey = mix(fnv(fnv(FNV_OFFSET, "dedupe", 6), lb->value, lb->value_len));
	}
	p->v = v;
	p->seq = (uint32_t)e->npend;
	p->fig = (uint8_t)k;
	p->counter = is_counter(pf->kind, L);
	e->npend++;
	return 0;
}

struct scrape_eval *scrape_eval_new(const struct scrape_plan *pl)
{
	struct scrape_eval *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->pl = pl;
	if (!(e->p = promtext_new(PROMTEXT_0_0_4)))
		goto fail;
	promtext_on_sample(e->p, eval_on_sample, e);
	for (size_t i = 0; i < pl->nsel; i++)
		if (promtext_add_selector_str(e->p, pl->sel[i]) != (int)i)
			goto fail;      /* the plan checked them: only out of memory */
	return e;
fail:
	scrape_eval_free(e);
	return NULL;
}

void scrape_eval_free(struct scrape_eval *e)
{
	if (!e)
		return;
	promtext_free(e->p);
	free(e->pend);
	free(e->ctr);
	free(e->ctr_next);
	free(e);
}

void scrape_eval_begin(struct scrape_eval *e, enum promtext_format fmt)
{
	promtext_reset(e->p, fmt);
	e->npend = 0;
	memset(e->matched, 0, sizeof e->matched);
	e->err[0] = '\0';
}

int scrape_eval_feed(struct scrape_eval *e, const void *data, size_t len)
{
	return promtext_feed(e->p, data, len);
}

const char *scrape_eval_error(const struct scrape_eval *e)
{
	if (e->err[0])
		return e->err;
	return promtext_error(e->p);
}

void scrape_eval_forget(struct scrape_eval *e)
{
	e->nctr = 0;
}

static int cmp_dedupe(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	if (x->fig != y->fig)
		return x->fig < y->fig ? -1 : 1;
	if (x->dkey != y->dkey)
		return x->dkey < y->dkey ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_key(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int scrape_eval_end(struct scrape_eval *e, double t, struct scrape_figures *out)
{
	memset(out, 0, sizeof *out);
	for (int k = 0; k < MET__COUNT; k++) {
		out->fig[k].configured = e->pl->fig[k].on;
		out->fig[k].matched = e->matched[k];
	}
	if (promtext_finish(e->p) != 0)
		return -1;

	/* one series per figure and dedupe value (the first in the body) */
	if (e->npend > 1)
		qsort(e->pend, e->npend, sizeof *e->pend, cmp_dedupe);
	size_t kept = 0;
	for (size_t i = 0; i < e->npend; i++) {
		if (kept && e->pend[kept - 1].fig == e->pend[i].fig &&
		    e->pend[kept - 1].dkey == e->pend[i].dkey)
			continue;
		e->pend[kept++] = e->pend[i];
	}
	if (kept > 1)
		qsort(e->pend, kept, sizeof *e->pend, cmp_key);

	/* counters: each series' rate from its previous reading; series not in
	 * this body are forgotten (a series that vanished and came back starts
	 * again, as the reference says) */
	if (kept > e->cap_next) {
		struct ctr_state *grown = realloc(e->ctr_next, kept * sizeof *grown);
		if (!grown) {
			snprintf(e->err, sizeof e->err, "out of memory");
			return -1;
		}
		e->ctr_next = grown;
		e->cap_next = kept;
	}
	double sum[MET__COUNT] = { 0 };
	bool waiting[MET__COUNT] = { false };
	size_t nnext = 0, old = 0;
	uint64_t last_key = 0;
	for (size_t i = 0; i < kept; i++) {
		const struct pend *p = &e->pend[i];
		struct scrape_fig *fg = &out->fig[p->fig];
		if (i > 0 && p->key == last_key)
			continue;       /* the same series twice (a hash collision) */
		last_key = p->key;
		fg->series++;
		fg->raw += p->v;
		if (!p->counter) {
			sum[p->fig] += p->v;
			continue;
		}
		fg->counter = true;
		while (old < e->nctr && e->ctr[old].key < p->key)
			old++;
		struct ctr_state *c = &e->ctr_next[nnext++];
		c->key = p->key;
		if (old < e->nctr && e->ctr[old].key == p->key)
			c->st = e->ctr[old].st;
		else
			memset(&c->st, 0, sizeof c->st);
		double rate;
		if (rate_update(&c->st, t, p->v, &rate) == 1)
			sum[p->fig] += rate;
		else
			waiting[p->fig] = true;     /* first reading, or too soon */
	}
	struct ctr_state *swap = e->ctr;
	size_t swap_cap = e->cap_ctr;
	e->ctr = e->ctr_next;
	e->cap_ctr = e->cap_next;
	e->nctr = nnext;
	e->ctr_next = swap;
	e->cap_next = swap_cap;

	for (int k = 0; k < MET__COUNT; k++) {
		const struct plan_fig *pf = &e->pl->fig[k];
		struct scrape_fig *fg = &out->fig[k];
		if (!pf->on || fg->series == 0 || waiting[k])
			continue;
		double n = (double)fg->series, v;
		if (pf->xform == PRESET_IDLE_CPU) {
			v = 100.0 * (1.0 - sum[k] / n);
			v = v < 0 ? 0 : v > 100 ? 100 : v;
		} else {
			v = (pf->mean ? sum[k] / n : sum[k]) * pf->scale;
		}
		if (isfinite(v)) {
			fg->value = v;
			fg->have = true;
		}
	}
	return 0;
}

int scrape_eval_text(struct scrape_eval *e, enum promtext_format fmt, const char *text,
                     size_t len, double t, struct scrape_figures *out)
{
	scrape_eval_begin(e, fmt);
	if (scrape_eval_feed(e, text, len) < 0) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return scrape_eval_end(e, t, out);
}

size_t scrape_figures_missing(const struct scrape_plan *pl, const struct scrape_figures *o,
                              char *buf, size_t n, bool *all_missing)
{
	size_t missing = 0, configured = 0, used = 0;
	if (n)
		buf[0] = '\0';
	for (int k = 0; k < MET__COUNT; k++) {
		const struct plan_fig *pf = &pl->fig[k];
		if (!pf->on)
			continue;
		configured++;
		if (o->fig[k].series > 0)
			continue;
		missing++;
		const char *hint = k == MET_POWER && pl->preset && pl->preset->no_power
		                   ? pl->preset->no_power : NULL;
		int w = snprintf(buf + used, n > used ? n - used : 0, "%smetric %s %s%s%s",
		                 used ? "; " : "", pf->what,
		                 o->fig[k].matched ? "has no usable value (NaN or blank)" : "not found",
		                 hint ? " - " : "", hint ? hint : "");
		if (w > 0)
			used += (size_t)w;
		if (used >= n)
			used = n ? n - 1 : 0;
	}
	if (all_missing)
		*all_missing = configured > 0 && missing == configured;
	return missing;
}

/* ---- the source ------------------------------------------------------------- */

struct scrape;

struct scrape_target {
	struct scrape *s;
	char *url;                  /* as requested */
	char *id;                   /* instance id */
	struct instance *in;
	struct source_health *health;
	struct scrape_eval *ev;
	struct http_backoff bo;
	enum promtext_format fmt;   /* what its bodies are parsed as */
	int req;                    /* request in flight, 0: none */
	double t_start;             /* when it was made */
	double next;                /* when to poll next */
	bool from_sd, removed, keep, body_failed;
};

struct sd_sig {
	dev_t dev;
	ino_t ino;
	off_t size;
	time_t sec;
	long nsec;
};

struct scrape {
	struct source src;
	struct http *h;
	struct fleet *fleet;
	struct scrape_plan *plan;
	double interval, timeout;
	char *bearer_file, *basic_file, *ca_file;
	bool insecure;
	char hdr_accept[96], hdr_timeout[80];
	const char *hdrs[3];
	char note[160];             /* shown on healthy targets: no throughput metric */
	struct scrape_target **t;
	size_t nt, cap;

	char *sd_path;              /* file_sd, or NULL */
	struct source_health *sd_health;
	struct sd_sig sd_sig;
	bool sd_have_sig, sd_loaded;
	double sd_next;
};

static void target_free(struct scrape_target *t)
{
	if (!t)
		return;
	scrape_eval_free(t->ev);
	free(t->url);
	free(t->id);
	free(t);
}

static void scrape_free(struct scrape *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nt; i++) {
		if (s->t[i]->req)
			http_cancel(s->h, s->t[i]->req);
		target_free(s->t[i]);
	}
	free(s->t);
	scrape_plan_free(s->plan);
	free(s->bearer_file);
	free(s->basic_file);
	free(s->ca_file);
	free(s->sd_path);
	free(s);
}

/* The parts of a target URL we show and key on. */
struct url_parts {
	char hostport[128];     /* sanitized */
	char pathq[256];        /* path and query, sanitized */
	char shown[160];        /* without user and password, sanitized */
};

static const char *urlerr(CURLUcode uc)
{
#if LIBCURL_VERSION_NUM >= 0x075000     /* 7.80.0 */
	return curl_url_strerror(uc);
#else
	(void)uc;
	return "malformed";
#endif
}

/* 0, or -1 with a message that never repeats the URL (it may hold a password). */
static int url_split(const char *url, struct url_parts *o, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int ret = -1;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *shown = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		snprintf(err, errlen, "not a valid URL (%s)", urlerr(uc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		snprintf(err, errlen, "not an http:// or https:// URL");
		goto out;
	}
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	char raw[512];
	snprintf(raw, sizeof raw, "%s:%s", host ? host : "?", port ? port : "?");
	fmt_sanitize(o->hostport, sizeof o->hostport, raw, true);
	snprintf(raw, sizeof raw, "%s%s%s", path ? path : "", query ? "?" : "", query ? query : "");
	fmt_sanitize(o->pathq, sizeof o->pathq, raw, true);
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &shown, 0) != CURLUE_OK || !shown) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fmt_sanitize(o->shown, sizeof o->shown, shown, true);
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(shown);
	curl_url_cleanup(u);
	return ret;
}

static bool id_taken(const struct scrape *s, const char *id)
{
	for (size_t i = 0; i < s->nt; i++)
		if (strcmp(s->t[i]->id, id) == 0)
			return true;
	return false;
}

/* host:port (or the instance label), made unique among this source's targets. */
static char *unique_id(const struct scrape *s, const struct url_parts *up, const char *label)
{
	char base[160], id[400];
	if (label && *label)
		fmt_sanitize(base, sizeof base, label, true);
	else
		snprintf(base, sizeof base, "%s", up->hostport);
	if (!id_taken(s, base))
		return strdup(base);
	if (!label || !*label) {
		snprintf(id, sizeof id, "%s%s", up->hostport, up->pathq);
		if (!id_taken(s, id))
			return strdup(id);
	}
	for (unsigned n = 2;; n++) {
		snprintf(id, sizeof id, "%s#%u", base, n);
		if (!id_taken(s, id))
			return strdup(id);
	}
}

static struct scrape_target *target_find(const struct scrape *s, const char *url)
{
	for (size_t i = 0; i < s->nt; i++)
		if (strcmp(s->t[i]->url, url) == 0)
			return s->t[i];
	return NULL;
}

/* A new target with its instance and health record; NULL with err set. */
static struct scrape_target *target_add(struct scrape *s, const char *url, const char *inst,
                                        bool from_sd, double now, char *err, size_t errlen)
{
	struct url_parts up;
	if (url_split(url, &up, err, errlen) < 0)
		return NULL;
	if (s->nt >= SCRAPE_MAX_TARGETS) {
		snprintf(err, errlen, "more than %d targets", SCRAPE_MAX_TARGETS);
		return NULL;
	}
	if (s->nt == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct scrape_target **grown = realloc(s->t, cap * sizeof *grown);
		if (!grown)
			goto oom;
		s->t = grown;
		s->cap = cap;
	}
	struct scrape_target *t = calloc(1, sizeof *t);
	if (!t)
		goto oom;
	t->s = s;
	t->from_sd = from_sd;
	t->fmt = PROMTEXT_0_0_4;
	t->next = now;
	http_backoff_init(&t->bo, url);
	if (!(t->url = strdup(url)) || !(t->id = unique_id(s, &up, inst)) ||
	    !(t->ev = scrape_eval_new(s->plan)) ||
	    !(t->in = fleet_instance(s->fleet, t->id, true)) ||
	    !(t->health = fleet_add_source(s->fleet, "scrape", up.shown))) {
		target_free(t);
		goto oom;
	}
	s->t[s->nt++] = t;
	return t;
oom:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

static void target_fail(struct scrape *s, struct scrape_target *t, double now, double latency_ms,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void target_fail(struct scrape *s, struct scrape_target *t, double now, double latency_ms,
                        const char *fmt, ...)
{
	char msg[sizeof t->health->error];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	health_set_error(t->health, HEALTH_FAILING, "%s", msg);
	t->health->latency_ms = latency_ms;
	t->next = http_backoff_next(&t->bo, true, now, s->interval);
}

static int on_chunk(void *user, const char *data, size_t len)
{
	struct scrape_target *t = user;
	if (t->body_failed)
		return 1;
	if (scrape_eval_feed(t->ev, data, len) < 0) {
		t->body_failed = true;      /* stop the transfer: nothing of it will be kept */
		return 1;
	}
	return 0;
}

static void on_done(void *user, const struct http_resp *r)
{
	struct scrape_target *t = user;
	struct scrape *s = t->s;
	double now = clock_now();
	t->req = 0;

	/* a 2xx answer in another format than the one it was parsed as: parse
	 * this target's next bodies in that one, and drop this body */
	if (r->status >= 200 && r->status < 300 && (!r->error || t->body_failed)) {
		enum promtext_format fmt = promtext_format_from_content_type(r->content_type);
		if (fmt != t->fmt) {
			t->fmt = fmt;
			t->health->latency_ms = r->latency_ms;
			t->next = t->t_start + s->interval;
			return;
		}
	}
	if (r->error) {
		const char *why = t->body_failed ? scrape_eval_error(t->ev) : NULL;
		target_fail(s, t, now, r->latency_ms, "%s", why ? why : r->error);
		return;
	}
	struct scrape_figures o;
	if (scrape_eval_end(t->ev, now, &o) < 0) {
		const char *why = scrape_eval_error(t->ev);
		target_fail(s, t, now, r->latency_ms, "%s", why ? why : "invalid exposition");
		return;
	}
	for (int k = 0; k < MET__COUNT; k++)
		if (o.fig[k].have)
			model_record(t->in, (enum metric)k, now, o.fig[k].value, PROV_MEASURED);

	char miss[sizeof t->health->error];
	bool all = false;
	size_t nmiss = scrape_figures_missing(s->plan, &o, miss, sizeof miss, &all);
	/* a target that answers is polled at the normal pace even when it lacks
	 * the metrics: backing off would not bring them */
	t->next = http_backoff_next(&t->bo, false, t->t_start, s->interval);
	if (nmiss && all) {
		health_set_error(t->health, HEALTH_FAILING, "%s", miss);
		t->health->latency_ms = r->latency_ms;
		return;
	}
	health_set_ok(t->health, now, r->latency_ms);
	if (nmiss)
		health_set_error(t->health, HEALTH_OK, "%s", miss);
	else if (s->note[0])
		health_set_error(t->health, HEALTH_OK, "%s", s->note);
}

static void target_poll(struct scrape *s, struct scrape_target *t, double now)
{
	scrape_eval_begin(t->ev, t->fmt);
	t->body_failed = false;
	t->t_start = now;
	t->next = now + s->interval;    /* until done() says otherwise */
	struct http_req req = {
		.url = t->url,
		.headers = s->hdrs,
		.connect_timeout = s->timeout,
		.timeout = s->timeout,
		.ca_file = s->ca_file,
		.insecure = s->insecure,
		.bearer_file = s->bearer_file,
		.basic_file = s->basic_file,
		.on_chunk = on_chunk,
	};
	int id = http_request(s->h, &req, on_done, t);
	if (id < 0) {
		target_fail(s, t, now, -1, "out of memory");
		return;
	}
	t->req = id;
}

/* Stops polling a target that left the file_sd file. */
static void target_remove(struct scrape *s, struct scrape_target *t)
{
	if (t->req) {
		http_cancel(s->h, t->req);
		t->req = 0;
	}
	t->removed = true;
	health_set_error(t->health, HEALTH_FAILING, "removed from file_sd");
}

/* ---- file_sd ---------------------------------------------------------------- */

struct sd_entry {
	char *url;
	char *inst;
};

struct sd_list {
	struct sd_entry *e;
	size_t n, cap;
};

static void sd_list_free(struct sd_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].url);
		free(l->e[i].inst);
	}
	free(l->e);
}

/* Reads the whole file; NULL with err set. */
static char *sd_read(const char *path, size_t *len, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO put there must not block the loop */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		goto fail;
	}
	if (st.st_size > (off_t)SCRAPE_SD_MAX_BYTES) {
		snprintf(err, errlen, "larger than %u MiB", SCRAPE_SD_MAX_BYTES >> 20);
		goto fail;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	if (!(buf = malloc(cap + 1))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {     /* grew while we read: a writer not done yet */
			snprintf(err, errlen, "changed while being read");
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

static const char *json_label(const cJSON *labels, const char *name)
{
	const cJSON *v = labels ? cJSON_GetObjectItemCaseSensitive(labels, name) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A file_sd target and its group's labels as a URL; NULL with err set. */
static char *sd_url(const char *target, const cJSON *labels, char *err, size_t errlen)
{
	const char *scheme = json_label(labels, "__scheme__");
	const char *path = json_label(labels, "__metrics_path__");
	if (!scheme || !*scheme)
		scheme = "http";
	if (!path || !*path)
		path = "/metrics";
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen, "__scheme__ '%.32s' is not http or https", scheme);
		return NULL;
	}
	CURLU *u = curl_url();
	char *out = NULL, *buf = NULL;
	if (!u)
		goto oom;
	CURLUcode uc;
	if (strstr(target, "://")) {
		uc = curl_url_set(u, CURLUPART_URL, target, 0);
	} else {
		size_t n = strlen(scheme) + strlen(target) + 4;
		if (!(buf = malloc(n)))
			goto oom;
		snprintf(buf, n, "%s://%s", scheme, target);
		uc = curl_url_set(u, CURLUPART_URL, buf, 0);
		if (uc == CURLUE_OK) {
			char *p = malloc(strlen(path) + 2);
			if (!p)
				goto oom;
			sprintf(p, "%s%s", path[0] == '/' ? "" : "/", path);
			uc = curl_url_set(u, CURLUPART_PATH, p, 0);
			free(p);
		}
	}
	for (const cJSON *l = labels ? labels->child : NULL; l && uc == CURLUE_OK; l = l->next) {
		if (!l->string || strncmp(l->string, "__param_", 8) != 0 || !l->string[8] ||
		    !cJSON_IsString(l))
			continue;
		size_t n = strlen(l->string + 8) + strlen(l->valuestring) + 2;
		char *q = malloc(n);
		if (!q)
			goto oom;
		snprintf(q, n, "%s=%s", l->string + 8, l->valuestring);
		uc = curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE);
		free(q);
	}
	if (uc != CURLUE_OK || curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK || !out) {
		snprintf(err, errlen, "not a valid target (%s)", urlerr(uc));
		goto done;
	}
	char *copy = strdup(out);
	if (!copy)
		goto oom;
	curl_free(out);
	free(buf);
	curl_url_cleanup(u);
	return copy;
oom:
	snprintf(err, errlen, "out of memory");
done:
	curl_free(out);
	free(buf);
	curl_url_cleanup(u);
	return NULL;
}

static int sd_push(struct sd_list *l, char *url, const char *inst)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->e[i].url, url) == 0) {
			free(url);      /* listed twice: once is enough */
			return 0;
		}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct sd_entry *grown = realloc(l->e, cap * sizeof *grown);
		if (!grown)
			goto oom;
		l->e = grown;
		l->cap = cap;
	}
	char *ic = NULL;
	if (inst && !(ic = strdup(inst)))
		goto oom;
	l->e[l->n].url = url;
	l->e[l->n].inst = ic;
	l->n++;
	return 0;
oom:
	free(url);
	return -1;
}

/* The file's text as a target list; 0, or -1 with err set. */
static int sd_parse(const char *text, size_t len, struct sd_list *out, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
	if (!root) {
		const char *at = end ? end : cJSON_GetErrorPtr();
		if (!at || at < text || at > text + len)
			at = text + len;
		unsigned line = 1;
		for (const char *p = text; p < at; p++)
			line += *p == '\n';
		char near[24];
		size_t k = 0;
		for (const char *p = at; *p && *p != '\n' && k + 1 < sizeof near; p++)
			near[k++] = *p;
		near[k] = '\0';
		snprintf(err, errlen, "invalid JSON at line %u%s%s%s", line,
		         k ? " near '" : " (unexpected end)", near, k ? "'" : "");
		return -1;
	}
	int ret = -1;
	if (!cJSON_IsArray(root)) {
		snprintf(err, errlen, "expected a JSON array of {\"targets\": [...], \"labels\": {...}}");
		goto out;
	}
	int gi = 0;
	const cJSON *g;
	cJSON_ArrayForEach(g, root) {
		gi++;
		const cJSON *targets = cJSON_GetObjectItemCaseSensitive(g, "targets");
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(g, "labels");
		if (!cJSON_IsObject(g) || !cJSON_IsArray(targets)) {
			snprintf(err, errlen, "entry %d: \"targets\" must be an array of \"host:port\" strings", gi);
			goto out;
		}
		if (labels && cJSON_IsNull(labels))
			labels = NULL;
		if (labels && !cJSON_IsObject(labels)) {
			snprintf(err, errlen, "entry %d: \"labels\" must be an object", gi);
			goto out;
		}
		for (const cJSON *l = labels ? labels->child : NULL; l; l = l->next)
			if (!cJSON_IsString(l)) {
				snprintf(err, errlen, "entry %d: label '%.40s' is not a string", gi,
				         l->string ? l->string : "?");
				goto out;
			}
		const cJSON *tj;
		cJSON_ArrayForEach(tj, targets) {
			if (!cJSON_IsString(tj) || !*tj->valuestring) {
				snprintf(err, errlen, "entry %d: targets must be non-empty strings", gi);
				goto out;
			}
			char why[100];
			char *url = sd_url(tj->valuestring, labels, why, sizeof why);
			if (!url) {
				snprintf(err, errlen, "entry %d: target '%.60s': %s", gi, tj->valuestring, why);
				goto out;
			}
			if (sd_push(out, url, json_label(labels, "instance")) < 0) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			if (out->n > SCRAPE_MAX_TARGETS) {
				snprintf(err, errlen, "more than %d targets", SCRAPE_MAX_TARGETS);
				goto out;
			}
		}
	}
	ret = 0;
out:
	cJSON_Delete(root);
	return ret;
}

/* Reads the file and brings the targets in line with it. */
static void sd_load(struct scrape *s, double now)
{
	char err[200];
	size_t len = 0;
	struct sd_list list = { 0 };
	char *text = sd_read(s->sd_path, &len, err, sizeof err);
	if (!text || sd_parse(text, len, &list, err, sizeof err) < 0) {
		free(text);
		sd_list_free(&list);
		health_set_error(s->sd_health, HEALTH_FAILING, "%s%s", err,
		                 s->sd_loaded ? " (kept the targets read before)" : "");
		return;
	}
	free(text);

	for (size_t i = 0; i < s->nt; i++)
		s->t[i]->keep = false;
	for (size_t i = 0; i < list.n; i++) {
		struct scrape_target *t = target_find(s, list.e[i].url);
		if (t && !t->from_sd)
			continue;           /* a static target already */
		if (t) {
			t->keep = true;
			if (t->removed) {   /* back again: same record and instance */
				t->removed = false;
				t->next = now;
				scrape_eval_forget(t->ev);
				http_backoff_init(&t->bo, t->url);
				health_set_error(t->health, HEALTH_STALE, "%s", "");
			}
			continue;
		}
		if (!(t = target_add(s, list.e[i].url, list.e[i].inst, true, now, err, sizeof err))) {
			/* out of memory or too many targets: what was applied stays */
			health_set_error(s->sd_health, HEALTH_FAILING, "%s", err);
			sd_list_free(&list);
			return;
		}
		t->keep = true;
	}
	for (size_t i = 0; i < s->nt; i++) {
		struct scrape_target *t = s->t[i];
		if (t->from_sd && !t->keep && !t->removed)
			target_remove(s, t);
	}
	s->sd_loaded = true;
	health_set_ok(s->sd_health, now, -1);
	sd_list_free(&list);
}

/* Re-reads the file when it changed (a new inode after a rename, a new size
 * or modification time). */
static void sd_check(struct scrape *s, double now)
{
	struct stat st;
	if (stat(s->sd_path, &st) < 0) {
		health_set_error(s->sd_health, HEALTH_FAILING, "cannot read: %s%s", strerror(errno),
		                 s->sd_loaded ? " (kept the targets read before)" : "");
		s->sd_have_sig = false;
		return;
	}
	struct sd_sig sig = {
		.dev = st.st_dev, .ino = st.st_ino, .size = st.st_size,
		.sec = st.st_mtim.tv_sec, .nsec = st.st_mtim.tv_nsec,
	};
	if (s->sd_have_sig && sig.dev == s->sd_sig.dev && sig.ino == s->sd_sig.ino &&
	    sig.size == s->sd_sig.size && sig.sec == s->sd_sig.sec && sig.nsec == s->sd_sig.nsec)
		return;
	s->sd_sig = sig;
	s->sd_have_sig = true;
	sd_load(s, now);
}

/* ---- source operations ------------------------------------------------------ */

/* Where in the first interval a target is first polled: spread by its URL. */
static double first_offset(const char *url, double interval)
{
	uint64_t h = mix(fnv(FNV_OFFSET, url, strlen(url)));
	return interval * (double)(h >> 11) / 9007199254740992.0;
}

static int scrape_start(struct source *src, double now)
{
	struct scrape *s = src->priv;
	for (size_t i = 0; i < s->nt; i++)
		s->t[i]->next = now + first_offset(s->t[i]->url, s->interval);
	if (s->sd_path) {
		sd_check(s, now);
		s->sd_next = now + SD_CHECK_EVERY;
		if (!s->sd_loaded)
			return -1;      /* its health record says why */
	}
	return 0;
}

static double scrape_tick(struct source *src, double now)
{
	struct scrape *s = src->priv;
	double next = INFINITY;
	if (s->sd_path) {
		if (now >= s->sd_next) {
			sd_check(s, now);
			s->sd_next = now + SD_CHECK_EVERY;
		}
		next = s->sd_next;
	}
	double stale_after = SCRAPE_STALE_INTERVALS * s->interval;
	for (size_t i = 0; i < s->nt; i++) {
		struct scrape_target *t = s->t[i];
		if (t->removed)
			continue;
		double give_up = t->t_start + s->timeout + SCRAPE_WATCHDOG;
		if (t->req && now >= give_up) {
			/* the driver enforces the timeout; this only guards against
			 * a request that somehow never ends */
			http_cancel(s->h, t->req);
			t->req = 0;
			target_fail(s, t, now, -1, "no answer within %.3g s", s->timeout);
		}
		if (!t->req && now >= t->next)
			target_poll(s, t, now);

		struct source_health *hl = t->health;
		if (hl->status == HEALTH_OK && hl->last_ok >= 0 && now - hl->last_ok >= stale_after)
			hl->status = HEALTH_STALE;

		/* in flight: its done() may come from the driver's tick, after
		 * this one has returned; past the time its next poll was due,
		 * look again every 0.1 s rather than sleep until give_up */
		double d = !t->req || t->next > now ? t->next : fmin(give_up, now + 0.1);
		if (hl->status == HEALTH_OK && hl->last_ok + stale_after > now && hl->last_ok + stale_after < d)
			d = hl->last_ok + stale_after;
		if (d < next)
			next = d;
	}
	return next;
}

static void scrape_stop(struct source *src)
{
	scrape_free(src->priv);
}

static const struct source_ops scrape_ops = {
	.kind = "scrape",
	.start = scrape_start,
	.fds = NULL,            /* its sockets are the HTTP driver's */
	.ready = NULL,
	.tick = scrape_tick,
	.stop = scrape_stop,
};

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	return src && !(*dst = strdup(src)) ? -1 : 0;
}

struct source *scrape_source_new(struct model *m, struct http *h, const struct fleet_cfg *f,
                                 char *err, size_t errlen)
{
	if (!m || !h || !f || !f->name || !*f->name) {
		snprintf(err, errlen, "a fleet needs a name");
		return NULL;
	}
	if (f->ntargets == 0 && !(f->file_sd && *f->file_sd)) {
		snprintf(err, errlen, "no targets: set targets= or file_sd=");
		return NULL;
	}
	/* check every target before the model is touched */
	for (size_t i = 0; i < f->ntargets; i++) {
		struct url_parts up;
		char why[128];
		if (!f->targets[i] || url_split(f->targets[i], &up, why, sizeof why) < 0) {
			snprintf(err, errlen, "target %zu: %s", i + 1, f->targets[i] ? why : "missing");
			return NULL;
		}
	}
	struct scrape *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->src.ops = &scrape_ops;
	s->src.model = m;
	s->src.priv = s;
	s->h = h;
	if (!(s->plan = scrape_plan_new(f, err, errlen)))
		goto fail;
	s->interval = f->interval > 0 && isfinite(f->interval) ? f->interval : SCRAPE_DEFAULT_INTERVAL;
	if (s->interval < SCRAPE_MIN_INTERVAL)
		s->interval = SCRAPE_MIN_INTERVAL;
	s->timeout = f->timeout > 0 && isfinite(f->timeout) ? f->timeout : SCRAPE_DEFAULT_TIMEOUT;
	if (s->timeout > s->interval)
		s->timeout = s->interval;   /* see scrape.h: never two requests in flight */
	s->insecure = f->insecure;
	if (dup_opt(&s->bearer_file, f->bearer_file) < 0 || dup_opt(&s->basic_file, f->basic_file) < 0 ||
	    dup_opt(&s->ca_file, f->ca_file) < 0 ||
	    dup_opt(&s->sd_path, f->file_sd && *f->file_sd ? f->file_sd : NULL) < 0)
		goto oom;
	snprintf(s->hdr_accept, sizeof s->hdr_accept, "Accept: %s", PROMTEXT_ACCEPT_0_0_4);
	/* what Prometheus sends: some exporters (blackbox) size their work by it */
	snprintf(s->hdr_timeout, sizeof s->hdr_timeout, "X-Prometheus-Scrape-Timeout-Seconds: %g",
	         s->timeout);
	s->hdrs[0] = s->hdr_accept;
	s->hdrs[1] = s->hdr_timeout;
	s->hdrs[2] = NULL;
	if (!s->plan->fig[MET_THROUGHPUT].on)
		snprintf(s->note, sizeof s->note, "no throughput metric: %s",
		         s->plan->preset && s->plan->preset->no_throughput
		         ? s->plan->preset->no_throughput : "set throughput=COUNTER");

	if (!(s->fleet = source_fleet(m, f)))
		goto oom;
	for (size_t i = 0; i < f->ntargets; i++) {
		if (target_find(s, f->targets[i]))
			continue;       /* listed twice */
		if (!target_add(s, f->targets[i], NULL, false, 0, err, errlen))
			goto fail;
	}
	if (s->sd_path && !(s->sd_health = fleet_add_source(s->fleet, "file_sd", s->sd_path)))
		goto oom;
	return &s->src;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	scrape_free(s);
	return NULL;
}
