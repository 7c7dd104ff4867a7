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
	cJSON_AddBoolToObject(o, "projected", f->projected);
	if (f->note[0]) {
		char note[sizeof f->note];
		fmt_sanitize(note, sizeof note, f->note, true);
		cJSON_AddStringToObject(o, "note", note);
	} else {
		cJSON_AddNullToObject(o, "note");
	}

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
	cJSON_AddStringToObject(o, "price_source", f->price_source[0] ? f->price_source : "unknown");
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

static cJSON *range_json(const struct proj_range *r)
{
	cJSON *a = cJSON_CreateArray();
	cJSON_AddItemToArray(a, num(round_sig(r->lo, 4)));
	cJSON_AddItemToArray(a, num(round_sig(r->hi, 4)));
	return a;
}

static const char *target_source(const struct savings_config *c)
{
	return c->p.mode == PROJ_WORK ? "given" : c->target_auto ? "baseline throughput" : "given";
}

static cJSON *projection_json(const struct model *m, const struct savings *sv, const struct savings_config *c)
{
	cJSON *o = cJSON_CreateObject();
	bool sla = c->p.mode == PROJ_SLA;
	cJSON_AddStringToObject(o, "mode", sla ? "sla" : "work");
	if (sla)
		cJSON_AddItemToObject(o, "target_per_hour", num(round_sig(sv->target_per_hour, 6)));
	else
		cJSON_AddItemToObject(o, "work_units", num(c->p.work_units));
	cJSON_AddStringToObject(o, "target_source", target_source(c));
	cJSON_AddNumberToObject(o, "headroom_pct", round_sig(c->p.headroom * 100, 6));
	cJSON_AddNumberToObject(o, "pue", c->p.pue);
	cJSON_AddStringToObject(o, "region", c->region);
	cJSON_AddItemToObject(o, "grid_g_per_kwh", num(c->p.grid_g_per_kwh));
	cJSON_AddStringToObject(o, "grid_source", c->grid_source);
	cJSON_AddItemToObject(o, "usd_per_kwh", num(c->p.usd_per_kwh));
	if (sv->baseline >= 0 && (size_t)sv->baseline < m->nfleets)
		cJSON_AddStringToObject(o, "baseline", m->fleets[sv->baseline]->name);
	else
		cJSON_AddNullToObject(o, "baseline");
	if (sv->ok)
		cJSON_AddNullToObject(o, "error");
	else
		cJSON_AddStringToObject(o, "error", sv->error);

	cJSON *fl = cJSON_AddArrayToObject(o, "fleets");
	cJSON *sa = cJSON_AddArrayToObject(o, "savings");
	for (size_t i = 0; sv->ok && i < sv->n && i < m->nfleets; i++) {
		const struct proj_fleet *pf = &sv->fleet[i];
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", m->fleets[i]->name);
		cJSON_AddItemToObject(f, "instances_needed", num(pf->instances));
		cJSON_AddItemToObject(f, "hours", num(round_sig(pf->hours, 6)));
		cJSON_AddItemToObject(f, "power_w", num(round_sig(pf->power_w, 6)));
		cJSON_AddItemToObject(f, "energy_kwh", num(round_sig(pf->energy_kwh, 6)));
		cJSON_AddItemToObject(f, "usd", num(round_sig(pf->usd, 6)));
		cJSON_AddItemToObject(f, "usd_per_million", num(round_sig(pf->usd_per_million, 6)));
		cJSON_AddItemToObject(f, "co2_kg", num(round_sig(pf->co2_kg, 6)));
		if (pf->error)
			cJSON_AddStringToObject(f, "error", pf->error);
		else
			cJSON_AddNullToObject(f, "error");
		if (pf->note)
			cJSON_AddStringToObject(f, "note", pf->note);
		cJSON_AddItemToArray(fl, f);

		if ((int)i == sv->baseline)
			continue;
		const struct proj_saving *ps = &sv->saving[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "fleet", m->fleets[i]->name);
		cJSON_AddItemToObject(x, "instances_pct", num(round_sig(ps->instances_pct, 4)));
		cJSON_AddItemToObject(x, "energy_pct", num(round_sig(ps->energy_pct, 4)));
		cJSON_AddItemToObject(x, "cost_pct", num(round_sig(ps->cost_pct, 4)));
		cJSON_AddItemToObject(x, "co2_pct", num(round_sig(ps->co2_pct, 4)));
		cJSON_AddItemToObject(x, "time_pct", num(round_sig(ps->time_pct, 4)));
		cJSON *r = cJSON_AddObjectToObject(x, "ranges");
		cJSON_AddItemToObject(r, "instances_pct", range_json(&ps->r_instances));
		cJSON_AddItemToObject(r, "energy_pct", range_json(&ps->r_energy));
		cJSON_AddItemToObject(r, "cost_pct", range_json(&ps->r_cost));
		cJSON_AddItemToObject(r, "co2_pct", range_json(&ps->r_co2));
		cJSON_AddItemToObject(r, "time_pct", range_json(&ps->r_time));
		cJSON_AddItemToArray(sa, x);
	}
	return o;
}

static char *render_json(const struct report_ctx *ctx, const struct fleet_stats *st)
{
	const struct model *m = ctx->m;
	double window = ctx->window;
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
	if (ctx->sv && ctx->cfg)
		cJSON_AddItemToObject(root, "projection", projection_json(m, ctx->sv, ctx->cfg));
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

static void render_csv(struct sbuf *b, const struct report_ctx *ctx, const struct fleet_stats *st)
{
	const struct model *m = ctx->m;
	const struct savings *sv = ctx->sv && ctx->cfg ? ctx->sv : NULL;
	sb_printf(b, "fleet,instance_type,instances,baseline,unit,throughput_per_instance,"
	             "throughput_total,throughput_provenance,power_w_per_instance,power_w_total,"
	             "power_provenance,utilization_pct,usd_per_hour,joules_per_unit,units_per_kwh,"
	             "usd_per_million,demo,price_source,projected");
	if (sv)
		sb_printf(b, ",proj_mode,proj_target_per_hour,proj_work_units,proj_instances,proj_hours,"
		             "proj_energy_kwh,proj_usd,proj_usd_per_million,proj_co2_kg,instances_pct,"
		             "energy_pct,energy_pct_lo,energy_pct_hi,cost_pct,cost_pct_lo,cost_pct_hi,"
		             "co2_pct,time_pct,proj_error");
	sb_printf(b, "\n");
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
		sb_printf(b, ",%s", m->demo ? "true" : "false");
		csv_str(b, f->price_source[0] ? f->price_source : "unknown", false);
		sb_printf(b, ",%s", f->projected ? "true" : "false");
		if (sv) {
			bool sla = ctx->cfg->p.mode == PROJ_SLA;
			bool have = sv->ok && i < sv->n;
			const struct proj_fleet *pf = have ? &sv->fleet[i] : NULL;
			const struct proj_saving *ps = have ? &sv->saving[i] : NULL;
			sb_printf(b, ",%s", sla ? "sla" : "work");
			csv_num(b, sla ? sv->target_per_hour : NAN);
			csv_num(b, sla ? NAN : ctx->cfg->p.work_units);
			double v[] = {
				pf ? pf->instances : NAN, pf ? pf->hours : NAN, pf ? pf->energy_kwh : NAN,
				pf ? pf->usd : NAN, pf ? pf->usd_per_million : NAN, pf ? pf->co2_kg : NAN,
				ps ? ps->instances_pct : NAN, ps ? ps->energy_pct : NAN,
				ps ? ps->r_energy.lo : NAN, ps ? ps->r_energy.hi : NAN,
				ps ? ps->cost_pct : NAN, ps ? ps->r_cost.lo : NAN, ps ? ps->r_cost.hi : NAN,
				ps ? ps->co2_pct : NAN, ps ? ps->time_pct : NAN,
			};
			for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
				csv_num(b, v[k]);
			csv_str(b, !sv->ok ? sv->error : pf && pf->error ? pf->error : "", false);
		}
		sb_printf(b, "\n");
	}
}

static void text_projection(struct sbuf *b, const struct model *m, const struct savings *sv,
                            const struct savings_config *c)
{
	char v[8][48];
	bool sla = c->p.mode == PROJ_SLA;
	if (sla) {
		fmt_grouped(v[0], sizeof v[0], sv->target_per_hour, 0, 0);
		sb_printf(b, "\nProjection: %s %s per hour (%s)", v[0],
		          m->nfleets && m->fleets[0]->unit ? m->fleets[0]->unit : "units", target_source(c));
		if (c->p.headroom < 1)
			sb_printf(b, ", %.0f%% headroom", c->p.headroom * 100);
	} else {
		fmt_si(v[0], sizeof v[0], c->p.work_units, 0, NULL, false);
		sb_printf(b, "\nProjection: %s %s of fixed work", v[0],
		          m->nfleets && m->fleets[0]->unit ? m->fleets[0]->unit : "units");
	}
	sb_printf(b, "; PUE %.2f; %s grid ", c->p.pue, c->region);
	if (isfinite(c->p.grid_g_per_kwh))
		sb_printf(b, "%.0f gCO2e/kWh\n", c->p.grid_g_per_kwh);
	else
		sb_printf(b, "intensity unknown\n");
	if (!sv->ok) {
		sb_printf(b, "  no projection: %s\n", sv->error);
		return;
	}
	sb_printf(b, "  %-14s %9s %9s %11s %11s %12s %10s\n", "fleet", "instances", sla ? "" : "hours",
	          sla ? "kWh/h" : "kWh", sla ? "USD/h" : "USD", "USD/million", sla ? "kgCO2e/h" : "kgCO2e");
	for (size_t i = 0; i < sv->n && i < m->nfleets; i++) {
		const struct proj_fleet *pf = &sv->fleet[i];
		char name[64];
		fmt_sanitize(name, sizeof name, m->fleets[i]->name, false);
		if (pf->error) {
			sb_printf(b, "  %-14.14s %s\n", name, pf->error);
			continue;
		}
		fmt_grouped(v[0], sizeof v[0], pf->instances, 0, 0);
		if (sla)
			snprintf(v[1], sizeof v[1], "%s", "");
		else
			snprintf(v[1], sizeof v[1], "%.2f", pf->hours);
		fmt_grouped(v[2], sizeof v[2], pf->energy_kwh, pf->energy_kwh < 100 ? 2 : 0, 0);
		fmt_usd(v[3], sizeof v[3], pf->usd, 0);
		fmt_usd(v[4], sizeof v[4], pf->usd_per_million, 0);
		fmt_grouped(v[5], sizeof v[5], pf->co2_kg, pf->co2_kg < 100 ? 2 : 0, 0);
		sb_printf(b, "  %-14.14s %9s %9s %11s %11s %12s %10s\n", name, v[0], v[1], v[2], v[3], v[4], v[5]);
	}
	for (size_t i = 0; i < sv->n && i < m->nfleets; i++) {
		if ((int)i == sv->baseline || sv->fleet[i].error)
			continue;
		const struct proj_saving *ps = &sv->saving[i];
		struct { const char *what; double pct; const struct proj_range *r; } row[] = {
			{ "instances", ps->instances_pct, &ps->r_instances },
			{ "energy", ps->energy_pct, &ps->r_energy },
			{ "cost", ps->cost_pct, &ps->r_cost },
			{ "CO2", ps->co2_pct, &ps->r_co2 },
			{ "time", ps->time_pct, &ps->r_time },
		};
		sb_printf(b, "  %s vs %s:", m->fleets[i]->name, m->fleets[sv->baseline]->name);
		for (size_t k = 0; k < sizeof row / sizeof row[0]; k++) {
			if (!sla || k != 4) {
				fmt_pct(v[0], sizeof v[0], row[k].pct, 0);
				fmt_pct(v[1], sizeof v[1], row[k].r->lo, 0);
				fmt_pct(v[2], sizeof v[2], row[k].r->hi, 0);
				if (isfinite(row[k].r->lo) && row[k].r->hi - row[k].r->lo >= 0.5)
					sb_printf(b, "%s %s %s (%s to %s)", k ? "," : "", row[k].what, v[0], v[1], v[2]);
				else
					sb_printf(b, "%s %s %s", k ? "," : "", row[k].what, v[0]);
			}
		}
		sb_printf(b, "\n");
	}
}

static void render_text(struct sbuf *b, const struct report_ctx *ctx, const struct fleet_stats *st)
{
	const struct model *m = ctx->m;
	double window = ctx->window;
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
		sb_printf(b, "\n%s%s%s  %s x %zu\n", name, f->baseline ? " (baseline)" : "",
		          f->projected ? " (projected)" : "", type, s->instances);
		if (f->note[0]) {
			char note[sizeof f->note];
			fmt_sanitize(note, sizeof note, f->note, false);
			sb_printf(b, "  note          %s\n", note);
		}
		snprintf(unit, sizeof unit, "%s/s", f->unit ? f->unit : "units");
		fmt_si(v1, sizeof v1, s->thr_total, 0, unit, false);
		fmt_si(v2, sizeof v2, s->thr_per_instance, 0, unit, false);
		sb_printf(b, "  throughput    %s total, %s per instance\n", v1, v2);
		fmt_si(v1, sizeof v1, s->power_total, 0, "W", false);
		fmt_si(v2, sizeof v2, s->power_per_instance, 0, "W", false);
		sb_printf(b, "  power         %s total, %s per instance%s\n", v1, v2,
		          s->power_prov == PROV_ESTIMATED ? " (estimated)" : "");
		if (isfinite(s->util_mean))
			sb_printf(b, "  utilization   %.1f %%\n", s->util_mean);
		else
			sb_printf(b, "  utilization   n/a\n");
		fmt_usd(v1, sizeof v1, s->usd_per_hour, 0);
		fmt_usd(v2, sizeof v2, s->usd_per_million, 0);
		fmt_si(v3, sizeof v3, s->joules_per_unit, 0, "J", false);
		sb_printf(b, "  cost          %s/h, %s per million; energy %s per unit\n", v1, v2, v3);
		fmt_usd(v1, sizeof v1, f->usd_per_hour, 0);
		char psrc[sizeof f->price_source];
		fmt_sanitize(psrc, sizeof psrc, f->price_source[0] ? f->price_source : "unknown", false);
		sb_printf(b, "  price         %s/h per instance (%s)\n", v1, psrc);
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
	if (ctx->sv && ctx->cfg)
		text_projection(b, m, ctx->sv, ctx->cfg);
}

char *report_render(const struct report_ctx *ctx, enum report_format fmt)
{
	const struct model *m = ctx->m;
	struct fleet_stats *st = calloc(m->nfleets ? m->nfleets : 1, sizeof *st);
	if (!st)
		return NULL;
	for (size_t i = 0; i < m->nfleets; i++)
		fleet_derive(m->fleets[i], ctx->now, ctx->window, &st[i]);

	char *out = NULL;
	if (fmt == REPORT_JSON) {
		out = render_json(ctx, st);
	} else {
		struct sbuf b = { 0 };
		if (fmt == REPORT_CSV)
			render_csv(&b, ctx, st);
		else
			render_text(&b, ctx, st);
		if (b.oom)
			free(b.s);
		else
			out = b.s;
	}
	free(st);
	return out;
}

int report_write(FILE *out, const struct report_ctx *ctx, enum report_format fmt)
{
	char *s = report_render(ctx, fmt);
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	size_t len = strlen(s);
	int r = (fwrite(s, 1, len, out) == len && (len == 0 || s[len - 1] == '\n' || fputc('\n', out) != EOF)) ? 0 : -1;
	free(s);
	return r;
}
