/* report.c - headless output of the overview figures; see report.h. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "views/report.h"

int report_format_parse(const char *name)
{
	if (!strcmp(name, "json")) return REPORT_JSON;
	if (!strcmp(name, "csv"))  return REPORT_CSV;
	if (!strcmp(name, "text")) return REPORT_TEXT;
	return -1;
}

/* A number, or null when unknown: JSON has no NaN. */
static cJSON *num(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* Rounds to `sig` significant digits so that float noise (8.600000381) does
 * not reach a script that compares numbers. */
static double round_sig(double v, int sig)
{
	if (!isfinite(v) || v == 0)
		return v;
	double p = pow(10, sig - 1 - (int)floor(log10(fabs(v))));
	return round(v * p) / p;
}

static cJSON *fleet_json(const struct fleet *f, const struct fleet_stats *st)
{
	cJSON *o = cJSON_CreateObject();
	char name[160], type[96];
	fmt_sanitize(name, sizeof name, f->name, true);
	fmt_sanitize(type, sizeof type, f->instance_type ? f->instance_type : "", true);
	cJSON_AddStringToObject(o, "name", name);
	if (f->instance_type)
		cJSON_AddStringToObject(o, "instance_type", type);
	else
		cJSON_AddNullToObject(o, "instance_type");
	cJSON_AddNumberToObject(o, "instances", (double)st->instances);
	cJSON_AddNumberToObject(o, "reporting", (double)st->reporting);
	cJSON_AddBoolToObject(o, "baseline", f->baseline);

	cJSON *thr = cJSON_AddObjectToObject(o, "throughput");
	cJSON_AddStringToObject(thr, "unit", f->unit ? f->unit : "units");
	cJSON_AddItemToObject(thr, "per_instance", num(round_sig(st->thr_per_instance, 6)));
	cJSON_AddItemToObject(thr, "total", num(round_sig(st->thr_total, 6)));
	cJSON_AddItemToObject(thr, "per_instance_p10", num(round_sig(st->thr_pi_p10, 6)));
	cJSON_AddItemToObject(thr, "per_instance_p90", num(round_sig(st->thr_pi_p90, 6)));
	cJSON_AddStringToObject(thr, "provenance", prov_name(st->thr_prov));

	cJSON *pw = cJSON_AddObjectToObject(o, "power_w");
	cJSON_AddItemToObject(pw, "per_instance", num(round_sig(st->power_per_instance, 6)));
	cJSON_AddItemToObject(pw, "total", num(round_sig(st->power_total, 6)));
	cJSON_AddItemToObject(pw, "per_instance_p10", num(round_sig(st->power_pi_p10, 6)));
	cJSON_AddItemToObject(pw, "per_instance_p90", num(round_sig(st->power_pi_p90, 6)));
	cJSON_AddStringToObject(pw, "provenance", prov_name(st->power_prov));

	cJSON_AddItemToObject(o, "utilization_pct", num(round_sig(st->util_mean, 4)));
	cJSON_AddItemToObject(o, "usd_per_hour", num(round_sig(st->usd_per_hour, 6)));
	cJSON_AddStringToObject(o, "price_provenance", prov_name(st->price_prov));
	cJSON_AddItemToObject(o, "joules_per_unit", num(round_sig(st->joules_per_unit, 6)));
	cJSON_AddItemToObject(o, "units_per_kwh", num(round_sig(st->units_per_kwh, 6)));
	cJSON_AddItemToObject(o, "usd_per_million", num(round_sig(st->usd_per_million, 6)));

	cJSON *srcs = cJSON_AddArrayToObject(o, "sources");
	for (size_t i = 0; i < f->nhealth; i++) {
		const struct source_health *h = f->health[i];
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "kind", h->kind);
		cJSON_AddStringToObject(s, "target", h->target);
		cJSON_AddStringToObject(s, "status", health_name(h->status));
		if (h->error[0])
			cJSON_AddStringToObject(s, "error", h->error);
		else
			cJSON_AddNullToObject(s, "error");
		cJSON_AddItemToObject(s, "latency_ms", num(h->latency_ms >= 0 ? round_sig(h->latency_ms, 4) : NAN));
		cJSON_AddItemToArray(srcs, s);
	}
	return o;
}

static char *render_json(const struct model *m, const struct fleet_stats *st, double window)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;
	cJSON_AddBoolToObject(root, "demo", m->demo);
	if (m->title)
		cJSON_AddStringToObject(root, "title", m->title);
	if (m->note)
		cJSON_AddStringToObject(root, "note", m->note);
	cJSON_AddNumberToObject(root, "window_s", window);
	cJSON *fleets = cJSON_AddArrayToObject(root, "fleets");
	for (size_t i = 0; i < m->nfleets; i++)
		cJSON_AddItemToArray(fleets, fleet_json(m->fleets[i], &st[i]));

	int b = model_baseline(m);
	cJSON *cmp = cJSON_AddArrayToObject(root, "comparison");
	for (size_t i = 0; b >= 0 && i < m->nfleets; i++) {
		if ((int)i == b)
			continue;
		struct fleet_ratio r;
		fleet_compare(&st[i], &st[b], &r);
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "fleet", m->fleets[i]->name);
		cJSON_AddStringToObject(c, "baseline", m->fleets[b]->name);
		cJSON_AddItemToObject(c, "throughput_per_instance_x", num(round_sig(r.thr_per_instance, 4)));
		cJSON_AddItemToObject(c, "energy_per_unit_x", num(round_sig(r.joules_per_unit, 4)));
		cJSON_AddItemToObject(c, "cost_per_unit_x", num(round_sig(r.usd_per_unit, 4)));
		cJSON_AddItemToArray(cmp, c);
	}
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}

/* A growing string buffer for the text formats. */
struct sbuf { char *s; size_t len, cap; bool oom; };

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
		char *grown = realloc(b->s, cap);
		if (!grown) {
			b->oom = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
}

/* A CSV field: numbers plain (empty when unknown), text quoted when needed. */
static void csv_num(struct sbuf *b, double v)
{
	if (isfinite(v))
		sb_printf(b, ",%.6g", v);
	else
		sb_printf(b, ",");
}

static void csv_str(struct sbuf *b, const char *s, bool first)
{
	char clean[256];
	fmt_sanitize(clean, sizeof clean, s ? s : "", true);
	if (!first)
		sb_printf(b, ",");
	if (strpbrk(clean, ",\"")) {
		sb_printf(b, "\"");
		for (const char *p = clean; *p; p++)
			sb_printf(b, *p == '"' ? "\"\"" : "%c", *p);
		sb_printf(b, "\"");
	} else {
		sb_printf(b, "%s", clean);
	}
}

static void render_csv(struct sbuf *b, const struct model *m, const struct fleet_stats *st)
{
	sb_printf(b, "fleet,instance_type,instances,baseline,unit,throughput_per_instance,"
	             "throughput_total,throughput_provenance,power_w_per_instance,power_w_total,"
	             "power_provenance,utilization_pct,usd_per_hour,joules_per_unit,units_per_kwh,"
	             "usd_per_million,demo\n");
	for (size_t i = 0; i < m->nfleets; i++) {
		const struct fleet *f = m->fleets[i];
		const struct fleet_stats *s = &st[i];
		csv_str(b, f->name, true);
		csv_str(b, f->instance_type, false);
		sb_printf(b, ",%zu,%s", s->instances, f->baseline ? "true" : "false");
		csv_str(b, f->unit, false);
		csv_num(b, s->thr_per_instance);
		csv_num(b, s->thr_total);
		sb_printf(b, ",%s", prov_name(s->thr_prov));
		csv_num(b, s->power_per_instance);
		csv_num(b, s->power_total);
		sb_printf(b, ",%s", prov_name(s->power_prov));
		csv_num(b, s->util_mean);
		csv_num(b, s->usd_per_hour);
		csv_num(b, s->joules_per_unit);
		csv_num(b, s->units_per_kwh);
		csv_num(b, s->usd_per_million);
		sb_printf(b, ",%s\n", m->demo ? "true" : "false");
	}
}

static void render_text(struct sbuf *b, const struct model *m, const struct fleet_stats *st, double window)
{
	char v1[48], v2[48], v3[48], unit[80];
	sb_printf(b, "perwatt%s%s%s  (figures over the last %.0f s)\n", m->demo ? " DEMO" : "",
	          m->title ? ": " : "", m->title ? m->title : "", window);
	if (m->note)
		sb_printf(b, "%s\n", m->note);
	for (size_t i = 0; i < m->nfleets; i++) {
		const struct fleet *f = m->fleets[i];
		const struct fleet_stats *s = &st[i];
		char name[96], type[96];
		fmt_sanitize(name, sizeof name, f->name, false);
		fmt_sanitize(type, sizeof type, f->instance_type ? f->instance_type : "?", false);
		sb_printf(b, "\n%s%s  %s x %zu\n", name, f->baseline ? " (baseline)" : "", type, s->instances);
		snprintf(unit, sizeof unit, "%s/s", f->unit ? f->unit : "units");
		fmt_si(v1, sizeof v1, s->thr_total, 0, unit, false);
		fmt_si(v2, sizeof v2, s->thr_per_instance, 0, unit, false);
		sb_printf(b, "  throughput    %s total, %s per instance\n", v1, v2);
		fmt_si(v1, sizeof v1, s->power_total, 0, "W", false);
		fmt_si(v2, sizeof v2, s->power_per_instance, 0, "W", false);
		sb_printf(b, "  power         %s total, %s per instance%s\n", v1, v2,
		          s->power_prov == PROV_ESTIMATED ? " (estimated)" : "");
		fmt_usd(v1, sizeof v1, s->usd_per_hour, 0);
		fmt_usd(v2, sizeof v2, s->usd_per_million, 0);
		fmt_si(v3, sizeof v3, s->joules_per_unit, 0, "J", false);
		sb_printf(b, "  cost          %s/h, %s per million; energy %s per unit\n", v1, v2, v3);
		for (size_t h = 0; h < f->nhealth; h++) {
			const struct source_health *hh = f->health[h];
			sb_printf(b, "  source        %s %s: %s%s%s\n", hh->kind, hh->target,
			          health_name(hh->status), hh->error[0] ? ": " : "", hh->error);
		}
	}
	int base = model_baseline(m);
	for (size_t i = 0; base >= 0 && i < m->nfleets; i++) {
		if ((int)i == base)
			continue;
		struct fleet_ratio r;
		fleet_compare(&st[i], &st[base], &r);
		fmt_ratio(v1, sizeof v1, r.thr_per_instance, 0);
		fmt_ratio(v2, sizeof v2, r.joules_per_unit, 0);
		fmt_ratio(v3, sizeof v3, r.usd_per_unit, 0);
		sb_printf(b, "\n%s vs %s: throughput per instance %s, energy per unit %s, cost per unit %s\n",
		          m->fleets[i]->name, m->fleets[base]->name, v1, v2, v3);
	}
}

char *report_render(const struct model *m, double now, double window, enum report_format fmt)
{
	struct fleet_stats *st = calloc(m->nfleets ? m->nfleets : 1, sizeof *st);
	if (!st)
		return NULL;
	for (size_t i = 0; i < m->nfleets; i++)
		fleet_derive(m->fleets[i], now, window, &st[i]);

	char *out = NULL;
	if (fmt == REPORT_JSON) {
		out = render_json(m, st, window);
	} else {
		struct sbuf b = { 0 };
		if (fmt == REPORT_CSV)
			render_csv(&b, m, st);
		else
			render_text(&b, m, st, window);
		if (b.oom)
			free(b.s);
		else
			out = b.s;
	}
	free(st);
	return out;
}

int report_write(FILE *out, const struct model *m, double now, double window, enum report_format fmt)
{
	char *s = report_render(m, now, window, fmt);
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	size_t len = strlen(s);
	int r = (fwrite(s, 1, len, out) == len && (len == 0 || s[len - 1] == '\n' || fputc('\n', out) != EOF)) ? 0 : -1;
	free(s);
	return r;
}
