/* model.c - fleets, instances, health records and the figures derived from them. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "core/model.h"
#include "core/pricecache.h"
#include "core/tables.h"

const char *metric_name(enum metric m)
{
	switch (m) {
	case MET_THROUGHPUT: return "throughput";
	case MET_POWER:      return "power";
	case MET_UTIL:       return "utilization";
	case MET__COUNT:     break;
	}
	return "?";
}

const char *health_name(enum health_status h)
{
	switch (h) {
	case HEALTH_OK:      return "ok";
	case HEALTH_STALE:   return "stale";
	case HEALTH_FAILING: return "failing";
	}
	return "?";
}

void health_set_error(struct source_health *h, enum health_status st, const char *fmt, ...)
{
	char raw[sizeof h->error];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	fmt_sanitize(h->error, sizeof h->error, raw, true);
	h->status = st;
}

void health_set_ok(struct source_health *h, double now, double latency_ms)
{
	h->status = HEALTH_OK;
	h->error[0] = '\0';
	h->latency_ms = latency_ms;
	h->last_ok = now;
}

struct model *model_new(void)
{
	struct model *m = calloc(1, sizeof *m);
	if (m)
		m->stale_after = 30;
	return m;
}

static void instance_free(struct instance *i)
{
	if (!i)
		return;
	for (int k = 0; k < MET__COUNT; k++)
		series_free(&i->m[k]);
	free(i->id);
	free(i);
}

static void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ninst; i++)
		instance_free(f->inst[i]);
	for (size_t i = 0; i < f->nhealth; i++)
		free(f->health[i]);
	for (int k = 0; k < MET__COUNT; k++)
		series_free(&f->total[k]);
	free(f->inst);
	free(f->health);
	free(f->name);
	free(f->instance_type);
	free(f->unit);
	free(f);
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfleets; i++)
		fleet_free(m->fleets[i]);
	free(m->fleets);
	free(m->title);
	free(m->note);
	free(m);
}

int fleet_set_str(char **field, const char *value)
{
	char *copy = NULL;
	if (value && !(copy = strdup(value)))
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

int fleet_learn_type(struct model *m, struct fleet *f, const char *type)
{
	if ((f->instance_type && f->instance_type[0]) || !type || !type[0])
		return 0;
	if (fleet_set_str(&f->instance_type, type) < 0)
		return -1;
	m->types_learned++;
	return 1;
}

struct fleet *model_add_fleet(struct model *m, const char *name)
{
	struct fleet **grown = realloc(m->fleets, (m->nfleets + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	m->fleets = grown;
	struct fleet *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->usd_per_hour = NAN;
	f->est_idle_w = f->est_max_w = NAN;
	if (!(f->name = strdup(name)) || !(f->unit = strdup("units")))
		goto fail;
	for (int k = 0; k < MET__COUNT; k++)
		if (series_init(&f->total[k], &SERIES_LAYOUT_FULL) < 0)
			goto fail;
	m->fleets[m->nfleets++] = f;
	return f;
fail:
	fleet_free(f);
	return NULL;
}

struct fleet *model_fleet(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->nfleets; i++)
		if (strcmp(m->fleets[i]->name, name) == 0)
			return m->fleets[i];
	return NULL;
}

struct instance *fleet_instance(struct fleet *f, const char *id, bool create)
{
	for (size_t i = 0; i < f->ninst; i++)
		if (strcmp(f->inst[i]->id, id) == 0)
			return f->inst[i];
	if (!create)
		return NULL;
	if (f->ninst == f->cap_inst) {
		size_t cap = f->cap_inst ? f->cap_inst * 2 : 8;
		struct instance **grown = realloc(f->inst, cap * sizeof *grown);
		if (!grown)
			return NULL;
		f->inst = grown;
		f->cap_inst = cap;
	}
	struct instance *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	if (!(in->id = strdup(id)))
		goto fail;
	for (int k = 0; k < MET__COUNT; k++)
		if (series_init(&in->m[k], &SERIES_LAYOUT_SHORT) < 0)
			goto fail;
	f->inst[f->ninst++] = in;
	return in;
fail:
	instance_free(in);
	return NULL;
}

struct source_health *fleet_add_source(struct fleet *f, const char *kind, const char *target)
{
	struct source_health **grown = realloc(f->health, (f->nhealth + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	f->health = grown;
	struct source_health *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	snprintf(h->kind, sizeof h->kind, "%s", kind);
	fmt_sanitize(h->target, sizeof h->target, target ? target : "", true);
	h->status = HEALTH_STALE;       /* nothing received yet */
	h->latency_ms = -1;
	h->last_ok = -1;
	f->health[f->nhealth++] = h;
	return h;
}

int model_record(struct instance *i, enum metric k, double t, double v, enum provenance p)
{
	if ((unsigned)k >= MET__COUNT)
		return -1;
	return series_push(&i->m[k], t, v, p);
}

int model_record_counter(struct instance *i, enum metric k, double t, double counter,
                         double scale, enum provenance p)
{
	double rate;
	if ((unsigned)k >= MET__COUNT)
		return -1;
	int r = rate_update(&i->ctr[k], t, counter, &rate);
	if (r <= 0)
		return r;
	return series_push(&i->m[k], t, rate * scale, p);
}

/* The instance count a fleet's totals are scaled to: the configured count
 * when there is one, else the instances that report. */
static double fleet_scale(const struct fleet *f, size_t reporting)
{
	return (double)(f->count ? f->count : reporting);
}

void model_tick(struct model *m, double now)
{
	for (size_t fi = 0; fi < m->nfleets; fi++) {
		struct fleet *f = m->fleets[fi];
		for (int k = 0; k < MET__COUNT; k++) {
			double sum = 0;
			size_t n = 0;
			enum provenance prov = PROV_NONE;
			for (size_t i = 0; i < f->ninst; i++) {
				const struct series *s = &f->inst[i]->m[k];
				if (series_age(s, now) > m->stale_after)
					continue;
				sum += s->last_v;
				n++;
				if (s->last_prov > prov)
					prov = s->last_prov;
			}
			if (n == 0)
				continue;
			double mean = sum / (double)n;
			series_push(&f->total[k], now, k == MET_UTIL ? mean : mean * fleet_scale(f, n), prov);
		}
	}
}

static enum provenance prov_max(enum provenance a, enum provenance b)
{
	return a > b ? a : b;
}

void fleet_derive(const struct fleet *f, double now, double window, struct fleet_stats *o)
{
	memset(o, 0, sizeof *o);
	o->thr_total = o->thr_per_instance = o->power_total = o->power_per_instance = NAN;
	o->util_mean = o->usd_per_hour = o->joules_per_unit = o->units_per_kwh = NAN;
	o->usd_per_million = NAN;
	o->thr_pi_p10 = o->thr_pi_p90 = o->power_pi_p10 = o->power_pi_p90 = NAN;

	size_t nrep[MET__COUNT] = { 0 };
	double sum[MET__COUNT] = { 0 };
	enum provenance prov[MET__COUNT] = { PROV_NONE };

	for (size_t i = 0; i < f->ninst; i++) {
		for (int k = 0; k < MET__COUNT; k++) {
			struct series_stats st;
			if (series_stats(&f->inst[i]->m[k], now, window, &st) == 0)
				continue;
			sum[k] += st.mean;
			nrep[k]++;
			prov[k] = prov_max(prov[k], st.prov);
		}
	}

	o->reporting = nrep[MET_THROUGHPUT];
	o->instances = f->count ? f->count : f->ninst;
	o->thr_prov = prov[MET_THROUGHPUT];
	o->power_prov = prov[MET_POWER];
	o->price_prov = isnan(f->usd_per_hour) ? PROV_NONE : f->price_prov;

	/* Per-instance figures are means over the instances that report; the
	 * fleet total scales them to the whole fleet, so a fleet of 33 whose
	 * samples come from fewer hosts is neither under- nor over-counted. */
	double scale_thr = fleet_scale(f, nrep[MET_THROUGHPUT]);
	double scale_pow = fleet_scale(f, nrep[MET_POWER]);
	if (nrep[MET_THROUGHPUT]) {
		o->thr_per_instance = sum[MET_THROUGHPUT] / (double)nrep[MET_THROUGHPUT];
		o->thr_total = o->thr_per_instance * scale_thr;
	}
	if (nrep[MET_POWER]) {
		o->power_per_instance = sum[MET_POWER] / (double)nrep[MET_POWER];
		o->power_total = o->power_per_instance * scale_pow;
	}
	if (nrep[MET_UTIL])
		o->util_mean = sum[MET_UTIL] / (double)nrep[MET_UTIL];

	/* No instance reports power: estimate it from utilization with the
	 * fleet's power model, and say so. */
	if (!nrep[MET_POWER] && nrep[MET_UTIL] && isfinite(f->est_idle_w) && isfinite(f->est_max_w)) {
		double u = o->util_mean < 0 ? 0 : o->util_mean > 100 ? 1 : o->util_mean / 100.0;
		o->power_per_instance = f->est_idle_w + (f->est_max_w - f->est_idle_w) * u;
		o->power_total = o->power_per_instance * fleet_scale(f, nrep[MET_UTIL]);
		o->power_prov = PROV_ESTIMATED;
		struct series_stats us;
		if (series_stats(&f->total[MET_UTIL], now, window, &us) > 0) {
			double lo = us.p10 < 0 ? 0 : us.p10 > 100 ? 1 : us.p10 / 100.0;
			double hi = us.p90 < 0 ? 0 : us.p90 > 100 ? 1 : us.p90 / 100.0;
			o->power_pi_p10 = f->est_idle_w + (f->est_max_w - f->est_idle_w) * lo;
			o->power_pi_p90 = f->est_idle_w + (f->est_max_w - f->est_idle_w) * hi;
		}
	}

	/* The spread of the fleet's per-instance figures over the window: the
	 * 10th and 90th percentiles of the per-second fleet totals. */
	struct series_stats st;
	if (nrep[MET_THROUGHPUT] && series_stats(&f->total[MET_THROUGHPUT], now, window, &st) > 0) {
		o->thr_pi_p10 = st.p10 / scale_thr;
		o->thr_pi_p90 = st.p90 / scale_thr;
	}
	if (nrep[MET_POWER] && series_stats(&f->total[MET_POWER], now, window, &st) > 0) {
		o->power_pi_p10 = st.p10 / scale_pow;
		o->power_pi_p90 = st.p90 / scale_pow;
	}

	if (!isnan(f->usd_per_hour) && o->instances)
		o->usd_per_hour = f->usd_per_hour * (double)o->instances;
	if (o->thr_total > 0) {
		if (o->power_total >= 0)
			o->joules_per_unit = o->power_total / o->thr_total;
		if (o->joules_per_unit > 0)
			o->units_per_kwh = 3.6e6 / o->joules_per_unit;
		if (o->usd_per_hour >= 0)
			o->usd_per_million = o->usd_per_hour / (o->thr_total * 3600.0) * 1e6;
	}
}

int model_baseline(const struct model *m)
{
	if (m->nfleets == 0)
		return -1;
	for (size_t i = 0; i < m->nfleets; i++)
		if (m->fleets[i]->baseline)
			return (int)i;
	return 0;
}

static double ratio(double a, double b)
{
	return (isfinite(a) && isfinite(b) && b > 0 && a >= 0) ? a / b : NAN;
}

void fleet_compare(const struct fleet_stats *cand, const struct fleet_stats *base,
                   struct fleet_ratio *out)
{
	out->thr_per_instance = ratio(cand->thr_per_instance, base->thr_per_instance);
	out->joules_per_unit = ratio(cand->joules_per_unit, base->joules_per_unit);
	out->usd_per_unit = ratio(cand->usd_per_million, base->usd_per_million);
}

void model_apply_tables(struct model *m, const struct tables *t, const char *region)
{
	for (size_t i = 0; i < m->nfleets; i++) {
		struct fleet *f = m->fleets[i];
		if (isnan(f->usd_per_hour) || f->price_from_table) {
			const struct price_row *p = tables_price(t, f->instance_type, region);
			f->price_from_table = true;
			if (p) {
				f->usd_per_hour = p->usd_per_hour;
				f->price_prov = PROV_ESTIMATED;
				/* a price fetched by --update-prices says so, with its date */
				if (strcmp(p->source, PRICECACHE_SOURCE) == 0)
					snprintf(f->price_source, sizeof f->price_source, "AWS Price List %s %s",
					         p->date, p->region);
				else
					snprintf(f->price_source, sizeof f->price_source, "table %s %s",
					         p->source, p->region);
			} else {
				f->usd_per_hour = NAN;
				f->price_prov = PROV_NONE;
				snprintf(f->price_source, sizeof f->price_source, "unknown");
			}
		}
		if (isnan(f->est_max_w)) {
			const struct power_row *pw = tables_power(t, f->instance_type);
			if (pw) {
				f->est_idle_w = pw->idle_w;
				f->est_max_w = pw->max_w;
				snprintf(f->power_source, sizeof f->power_source, "model %s", pw->source);
			}
		}
	}
}
