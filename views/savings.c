/* savings.c - the savings view; see savings.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "tui/widgets.h"
#include "views/savings.h"

#define NAME_W 14
#define BAR_MIN_W 10

struct savings_view {
	struct view_win win;
	struct savings_config *cfg;     /* the settings its keys change (ui.c's) */
	const struct model *m;
	double target;              /* the SLA target last shown */
	char msg[96];
};

static void *sv_open(void)
{
	return calloc(1, sizeof(struct savings_view));
}

static void sv_close(void *st)
{
	struct savings_view *v = st;
	if (!v)
		return;
	view_win_free(&v->win);
	free(v);
}

/* The headline of the projection: "1,000,000 inferences/h (given)". */
static void headline(char *buf, size_t n, const struct savings *sv, const struct savings_config *c,
                     const char *unit)
{
	char num[48];
	if (c->p.mode == PROJ_SLA) {
		fmt_grouped(num, sizeof num, sv->target_per_hour, 0, 0);
		snprintf(buf, n, "SLA %s %s/h (%s)", num, unit,
		         c->target_auto ? "what the baseline serves now" : "given");
	} else {
		fmt_si(num, sizeof num, c->p.work_units, 0, NULL, false);
		snprintf(buf, n, "fixed work: %s %s on %s", num, unit,
		         c->p.instances ? "the same count each" : "each fleet's own count");
	}
}

/* What each metric's bars show, and how its values read. */
static double get_inst(const struct proj_fleet *f) { return f->instances; }
static double get_energy(const struct proj_fleet *f) { return f->energy_kwh; }
static double get_usd(const struct proj_fleet *f) { return f->usd; }
static double get_co2(const struct proj_fleet *f) { return f->co2_kg; }
static double get_hours(const struct proj_fleet *f) { return f->hours; }

static void fmt_inst(char *b, size_t n, double v, bool u) { (void)u; fmt_grouped(b, n, v, 0, 0); }
static void fmt_kwh(char *b, size_t n, double v, bool u) { fmt_si(b, n, v * 1000, 0, "Wh", u); }
static void fmt_money(char *b, size_t n, double v, bool u) { (void)u; fmt_usd(b, n, v, 0); }
static void fmt_kg(char *b, size_t n, double v, bool u) { fmt_si(b, n, v * 1000, 0, "g", u); }
static void fmt_hours(char *b, size_t n, double v, bool u) { (void)u; fmt_duration(b, n, v * 3600, 0); }

static void saving_text(char *buf, size_t n, double pct, const struct proj_range *r)
{
	char a[24], lo[24], hi[24];
	fmt_pct(a, sizeof a, pct, 0);
	if (!isfinite(pct)) {
		snprintf(buf, n, "n/a");
		return;
	}
	if (isfinite(r->lo) && r->hi - r->lo >= 0.5) {
		fmt_pct(lo, sizeof lo, r->lo, 0);
		fmt_pct(hi, sizeof hi, r->hi, 0);
		snprintf(buf, n, "%s (%s to %s)", a, lo, hi);
	} else {
		snprintf(buf, n, "%s", a);
	}
}

/* One metric: a heading, then a bar per fleet, the candidate's saving after
 * it (sav_index: 0 instances, 1 energy, 2 cost, 3 CO2, 4 time). */
static int draw_metric(const struct term *t, WINDOW *w, int y, int ymax, int wd, const struct model *m,
                       const struct savings *sv, const char *title, double (*get)(const struct proj_fleet *),
                       void (*fmt)(char *, size_t, double, bool), int sav_index)
{
	if (y >= ymax)
		return y;
	double max = 0;
	for (size_t i = 0; i < sv->n && i < m->nfleets; i++) {
		double v = get(&sv->fleet[i]);
		if (isfinite(v) && v > max)
			max = v;
	}
	widget_text(t, w, y, 2, 12, term_attr(t, THEME_LABEL), title);
	int bar_x = 2 + 12 + NAME_W + 1, val_w = 11, sav_w = 24;
	int bar_w = wd - bar_x - 2 - val_w - 1 - sav_w - 1;
	if (bar_w < BAR_MIN_W) {
		sav_w = 0;
		bar_w = wd - bar_x - 2 - val_w - 1;
	}
	for (size_t i = 0; i < sv->n && i < m->nfleets && y < ymax; i++, y++) {
		const struct proj_fleet *pf = &sv->fleet[i];
		bool base = (int)i == sv->baseline;
		char name[64], val[48], sav[96] = "";
		fmt_sanitize(name, sizeof name, m->fleets[i]->name, t->utf8);
		widget_text_in(t, w, y, 2 + 12, NAME_W, WIDGET_LEFT, true,
		               term_attr(t, base ? THEME_BASELINE : THEME_PANEL_TITLE), name);
		double v = get(pf);
		if (bar_w >= 3)
			widget_bar(t, w, y, bar_x, bar_w, max > 0 && isfinite(v) ? v / max : NAN,
			           term_attr(t, base ? THEME_DIM : THEME_METER), term_attr(t, THEME_DIM));
		fmt(val, sizeof val, v, t->utf8);
		int vx = bar_x + (bar_w >= 3 ? bar_w + 1 : 0);
		widget_text_in(t, w, y, vx, val_w, WIDGET_RIGHT, false,
		               term_attr(t, isfinite(v) ? THEME_VALUE : THEME_DIM), val);
		if (sav_w && !base && !pf->error) {
			const struct proj_saving *ps = &sv->saving[i];
			const double pct[5] = { ps->instances_pct, ps->energy_pct, ps->cost_pct, ps->co2_pct, ps->time_pct };
			const struct proj_range *r[5] = { &ps->r_instances, &ps->r_energy, &ps->r_cost, &ps->r_co2, &ps->r_time };
			saving_text(sav, sizeof sav, pct[sav_index], r[sav_index]);
			enum theme_role role = !isfinite(pct[sav_index]) ? THEME_DIM
			                     : pct[sav_index] < -0.5 ? THEME_GOOD : pct[sav_index] > 0.5 ? THEME_BAD : THEME_VALUE;
			widget_text(t, w, y, vx + val_w + 1, sav_w, term_attr(t, role), sav);
		} else if (pf->error && !base) {
			widget_text(t, w, y, vx + val_w + 1, wd - vx - val_w - 3, term_attr(t, THEME_BAD), pf->error);
		}
	}
	return y;
}

static void sv_draw(void *st, const struct view_ctx *c)
{
	struct savings_view *v = st;
	const struct term *t = c->t;
	const struct model *m = c->m;
	const struct savings *sv = c->sv;
	v->cfg = c->cfg;
	v->m = m;
	v->target = sv ? sv->target_per_hour : NAN;
	view_win_place(&v->win, &c->body);
	WINDOW *w = v->win.w;
	if (!w)
		return;
	int h, wd;
	getmaxyx(w, h, wd);
	widget_clear(w, term_attr(t, THEME_NORMAL));
	if (!sv || !c->cfg) {
		widget_text(t, w, 0, 0, wd, term_attr(t, THEME_DIM), "no projection in this build");
		wnoutrefresh(w);
		return;
	}
	const struct savings_config *cfg = c->cfg;
	char unit[64] = "units", head[192], right[160];
	int bi = sv->baseline >= 0 && (size_t)sv->baseline < m->nfleets ? sv->baseline : model_baseline(m);
	if (bi >= 0)
		fmt_sanitize(unit, sizeof unit, m->fleets[bi]->unit ? m->fleets[bi]->unit : "units", t->utf8);
	headline(head, sizeof head, sv, cfg, unit);
	char grid[48];
	if (isfinite(cfg->p.grid_g_per_kwh))
		snprintf(grid, sizeof grid, "%.0f gCO2e/kWh", cfg->p.grid_g_per_kwh);
	else
		snprintf(grid, sizeof grid, "grid unknown");
	snprintf(right, sizeof right, "headroom %.0f%%  PUE %.2f  %s %s", cfg->p.headroom * 100, cfg->p.pue,
	         cfg->region, grid);
	widget_box(t, w, term_attr(t, THEME_BORDER), "Projected savings", term_attr(t, THEME_PANEL_TITLE),
	           right, term_attr(t, THEME_DIM));
	if (h < 4 || wd < 20) {
		wnoutrefresh(w);
		return;
	}
	widget_text(t, w, 1, 2, wd - 4, term_attr(t, THEME_VALUE), head);
	int ymax = h - 2;
	int y = 3;
	if (!sv->ok) {
		widget_text(t, w, y, 2, wd - 4, term_attr(t, THEME_BAD), sv->error);
	} else {
		bool sla = cfg->p.mode == PROJ_SLA;
		char per_inst[80];
		snprintf(per_inst, sizeof per_inst, "%s/s each", unit);
		if (widget_width(t, per_inst) > 16)
			snprintf(per_inst, sizeof per_inst, "per instance/s");
		/* the table a reader of the published comparison knows */
		struct widget_cell hdr[] = {
			{ "fleet", term_attr(t, THEME_LABEL), NAME_W, WIDGET_LEFT },
			{ per_inst, term_attr(t, THEME_LABEL), 16, WIDGET_RIGHT },
			{ sla ? "instances" : "instances", term_attr(t, THEME_LABEL), 9, WIDGET_RIGHT },
			{ sla ? "energy/h" : "energy", term_attr(t, THEME_LABEL), 10, WIDGET_RIGHT },
			{ sla ? "USD/h" : "USD", term_attr(t, THEME_LABEL), 9, WIDGET_RIGHT },
			{ "USD/M", term_attr(t, THEME_LABEL), 8, WIDGET_RIGHT },
			{ sla ? "CO2e/h" : "CO2e", term_attr(t, THEME_LABEL), 9, WIDGET_RIGHT },
			{ sla ? NULL : "time", term_attr(t, THEME_LABEL), 8, WIDGET_RIGHT },
		};
		widget_row(t, w, y++, 2, wd - 4, 1, hdr, 8);
		for (size_t i = 0; i < sv->n && i < m->nfleets && y < ymax; i++, y++) {
			const struct proj_fleet *pf = &sv->fleet[i];
			const struct fleet_stats *fs = &sv->stats[i];
			char name[64], thr[48], inst[24], en[32], usd[32], upm[32], co2[32], hrs[32];
			fmt_sanitize(name, sizeof name, m->fleets[i]->name, t->utf8);
			fmt_si(thr, sizeof thr, fs->thr_per_instance, 0, NULL, t->utf8);
			fmt_inst(inst, sizeof inst, pf->instances, t->utf8);
			fmt_kwh(en, sizeof en, pf->energy_kwh, t->utf8);
			fmt_money(usd, sizeof usd, pf->usd, t->utf8);
			fmt_money(upm, sizeof upm, pf->usd_per_million, t->utf8);
			fmt_kg(co2, sizeof co2, pf->co2_kg, t->utf8);
			fmt_hours(hrs, sizeof hrs, pf->hours, t->utf8);
			bool base = (int)i == sv->baseline;
			attr_t val = term_attr(t, THEME_VALUE);
			struct widget_cell row[] = {
				{ name, term_attr(t, base ? THEME_BASELINE : THEME_PANEL_TITLE), NAME_W, WIDGET_LEFT },
				{ thr, val, 16, WIDGET_RIGHT },
				{ inst, val, 9, WIDGET_RIGHT },
				{ en, val, 10, WIDGET_RIGHT },
				{ usd, val, 9, WIDGET_RIGHT },
				{ upm, val, 8, WIDGET_RIGHT },
				{ co2, val, 9, WIDGET_RIGHT },
				{ sla ? NULL : hrs, val, 8, WIDGET_RIGHT },
			};
			widget_row(t, w, y, 2, wd - 4, 1, row, 8);
		}
		/* where each price comes from: a fleet's own, the AWS Price List
		 * (perwatt --update-prices, with its date) or the shipped table */
		if (y < ymax) {
			char line[512], one[192], name[64], src[112];
			size_t len = (size_t)snprintf(line, sizeof line, "prices");
			for (size_t i = 0; i < m->nfleets && len < sizeof line; i++) {
				fmt_sanitize(name, sizeof name, m->fleets[i]->name, t->utf8);
				fmt_sanitize(src, sizeof src, m->fleets[i]->price_source, t->utf8);
				snprintf(one, sizeof one, "%s %s: %s", i ? "," : "", name, src[0] ? src : "unknown");
				len += (size_t)snprintf(line + len, sizeof line - len, "%s", one);
			}
			widget_text(t, w, y++, 2, wd - 4, term_attr(t, THEME_DIM), line);
		}
		y++;
		y = draw_metric(t, w, y, ymax, wd, m, sv, "Instances", get_inst, fmt_inst, 0);
		y = draw_metric(t, w, y + (y < ymax), ymax, wd, m, sv, sla ? "Energy/h" : "Energy", get_energy, fmt_kwh, 1);
		y = draw_metric(t, w, y + (y < ymax), ymax, wd, m, sv, sla ? "Cost/h" : "Cost", get_usd, fmt_money, 2);
		y = draw_metric(t, w, y + (y < ymax), ymax, wd, m, sv, sla ? "CO2e/h" : "CO2e", get_co2, fmt_kg, 3);
		if (!sla)
			y = draw_metric(t, w, y + (y < ymax), ymax, wd, m, sv, "Time", get_hours, fmt_hours, 4);
	}
	const char *keys = "m mode  < > target  [ ] headroom  r region  a auto target  b baseline";
	widget_text(t, w, h - 2, 2, wd - 4, term_attr(t, v->msg[0] ? THEME_WARN : THEME_DIM),
	            v->msg[0] ? v->msg : keys);
	wnoutrefresh(w);
}

/* Steps a target or an amount of work by a factor, keeping it a round number. */
static double step_round(double v, int dir)
{
	static const double mant[] = { 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 };
	if (!(v > 0))
		return 1000;
	double e = pow(10, floor(log10(v)));
	double best = v;
	if (dir > 0) {
		for (int k = 0; k < 20; k++) {
			for (size_t i = 0; i < sizeof mant / sizeof mant[0]; i++)
				if (mant[i] * e > v * 1.0001)
					return mant[i] * e;
			e *= 10;
		}
	} else {
		for (int k = 0; k < 20; k++) {
			for (size_t i = sizeof mant / sizeof mant[0]; i-- > 0;)
				if (mant[i] * e < v * 0.9999)
					return mant[i] * e;
			e /= 10;
		}
	}
	return best;
}

static bool sv_key(void *st, int key)
{
	struct savings_view *v = st;
	struct savings_config *c = v->cfg;
	if (!c)
		return false;
	v->msg[0] = '\0';
	switch (key) {
	case 'm':
	case 'M':
		c->p.mode = c->p.mode == PROJ_SLA ? PROJ_WORK : PROJ_SLA;
		if (c->p.mode == PROJ_WORK && !(c->p.work_units > 0))
			c->p.work_units = 1e6;
		snprintf(v->msg, sizeof v->msg, "mode: %s", c->p.mode == PROJ_SLA ? "SLA target" : "fixed work");
		return true;
	case '<':
	case '>':
	case ',':
	case '.': {
		int dir = key == '>' || key == '.' ? 1 : -1;
		if (c->p.mode == PROJ_WORK) {
			double w = step_round(c->p.work_units, dir);
			if (w <= 1e21)
				c->p.work_units = w;
		} else {
			/* from auto, step from what the baseline serves now */
			double cur = c->target_auto ? v->target : c->p.target_per_hour;
			double next = step_round(isfinite(cur) && cur > 0 ? cur : 1e6, dir);
			if (next <= 1e18) {
				c->p.target_per_hour = next;
				c->target_auto = false;
			}
		}
		return true;
	}
	case '[':
	case ']': {
		double hr = c->p.headroom + (key == ']' ? 0.05 : -0.05);
		if (hr < 0.05)
			hr = 0.05;
		if (hr > 1)
			hr = 1;
		c->p.headroom = round(hr * 100) / 100;
		return true;
	}
	case 'a':
	case 'A':
		c->p.mode = PROJ_SLA;
		c->target_auto = true;
		snprintf(v->msg, sizeof v->msg, "target: what the baseline serves now");
		return true;
	case 'r':
	case 'R': {
		const struct tables *tb = c->tables;
		if (!tb || tb->ngrid == 0)
			return true;
		size_t k = 0;
		for (size_t i = 0; i < tb->ngrid; i++)
			if (!strcmp(tb->grid[i].region, c->region))
				k = i + 1;
		savings_set_region(c, tb->grid[k % tb->ngrid].region);
		snprintf(v->msg, sizeof v->msg, "region %s (grid intensity; table prices are us-east-1)", c->region);
		return true;
	}
	case 'b':
	case 'B': {
		const struct model *m = v->m;
		if (!m || m->nfleets < 2)
			return true;
		size_t cur = 0;
		for (size_t i = 0; i < m->nfleets; i++)
			if (c->baseline_name ? !strcmp(m->fleets[i]->name, c->baseline_name)
			                     : (int)i == model_baseline(m))
				cur = i;
		c->baseline_name = m->fleets[(cur + 1) % m->nfleets]->name;
		snprintf(v->msg, sizeof v->msg, "baseline: %.60s", c->baseline_name);
		return true;
	}
	default:
		return false;
	}
}

const struct view_ops savings_view = {
	.name = "savings",
	.overlay = false,
	.open = sv_open,
	.close = sv_close,
	.draw = sv_draw,
	.key = sv_key,
	.status = NULL,
};
