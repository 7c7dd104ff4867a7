/* overview.c - fleets side by side; see overview.h.
 *
 * Each frame: compute the layout (pure, cheap), move the windows to it,
 * then draw every panel in full into its window.  curses compares the
 * result with what the terminal already shows and sends only the cells
 * that changed, so redrawing a panel whose numbers did not move costs no
 * bytes at all. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "tui/widgets.h"
#include "views/compare.h"
#include "views/overview.h"

#define LABEL_W 11      /* "Throughput " */
#define VALUE_W 7       /* "~54.4k", "$24.82", "8.25": right-aligned here */
#define SPARK_MAX_W 512
#define SPARK_STEP 5    /* seconds per sparkline column */
/* A fleet whose newest sample is older than this is shown greyed, with
 * its last figures (not blanks): a slow or dead target is visible as such. */
#define STALE_SECONDS 5.0

struct overview {
	struct layout L;
	struct view_win panel[LAYOUT_MAX_PANELS];
	struct view_win compare, note, body;
	struct fleet_stats st[LAYOUT_MAX_PANELS];
	size_t nstats;
	bool estimated;         /* some figure on screen is an estimate */
	const char *footer_note;    /* the model's note when it has no line of its own */
	float pts[SPARK_MAX_W];
	float raw[SPARK_MAX_W * SPARK_STEP];    /* 1 s points the columns average */
};

/* ---- figures as text ------------------------------------------------------- */

/* A figure and its unit, apart, so that figures line up in their column
 * and units follow them: "8.25" + "kW". */
struct fig {
	char num[100];
	char unit[176];
	bool known;
};

static void fig_si(struct fig *g, const struct term *t, double v, const char *unit,
                   enum provenance p)
{
	char buf[96];
	fmt_si(buf, sizeof buf, v, 0, unit, t->utf8);
	char *sp = unit && *unit ? strrchr(buf, ' ') : NULL;
	if (sp)
		*sp = '\0';
	snprintf(g->num, sizeof g->num, "%s%s", p == PROV_ESTIMATED ? "~" : "", buf);
	/* "n/a W" still says what is unknown */
	snprintf(g->unit, sizeof g->unit, "%s", sp ? sp + 1 : unit && !isfinite(v) ? unit : "");
	g->known = isfinite(v);
}

static void fig_usd(struct fig *g, double v, const char *unit, enum provenance p)
{
	char buf[64];
	fmt_usd(buf, sizeof buf, v, 0);
	snprintf(g->num, sizeof g->num, "%s%s", p == PROV_ESTIMATED ? "~" : "", buf);
	snprintf(g->unit, sizeof g->unit, "%s", unit);
	g->known = isfinite(v);
}

/* dst = a b c, cut to fit (units and names are short; a cut is harmless). */
static void join3(char *dst, size_t n, const char *a, const char *b, const char *c)
{
	size_t o = 0;
	const char *parts[3] = { a, b, c };
	for (int i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p && o + 1 < n; p++)
			dst[o++] = *p;
	dst[o] = '\0';
}

static enum provenance worst(enum provenance a, enum provenance b)
{
	return a > b ? a : b;
}

/* Set while a stale panel is drawn: every figure in it is greyed. */
static bool panel_stale;

static attr_t value_attr(const struct term *t, const struct fig *g)
{
	return term_attr(t, g->known && !panel_stale ? THEME_VALUE : THEME_DIM);
}

/* Age in seconds of the fleet's newest sample of any figure. */
static double fleet_age(const struct fleet *f, double now)
{
	double age = INFINITY;
	for (size_t i = 0; i < f->ninst; i++)
		for (int k = 0; k < MET__COUNT; k++) {
			double a = series_age(&f->inst[i]->m[k], now);
			if (a < age)
				age = a;
		}
	return age;
}

/* "Label      1234 unit" from x; returns the column after it. */
static int kv(const struct term *t, WINDOW *w, int y, int x, int end, const char *label,
              const struct fig *g)
{
	attr_t va = value_attr(t, g);
	if (label)
		widget_text_in(t, w, y, x, LABEL_W, WIDGET_LEFT, true, term_attr(t, THEME_LABEL), label);
	int cx = widget_text_in(t, w, y, x + LABEL_W, VALUE_W, WIDGET_RIGHT, false, va, g->num);
	if (g->unit[0] && cx + 1 < end)
		cx = widget_text_in(t, w, y, cx + 1, end - cx - 1, WIDGET_LEFT, true,
		                    term_attr(t, THEME_UNIT), g->unit);
	return cx;
}

/* "1234 unit text" right-aligned so that it ends at `end`, if it fits
 * after `from` with two blanks between. */
static void kv_right(const struct term *t, WINDOW *w, int y, int from, int end,
                     const struct fig *g, const char *text)
{
	char tail[128];
	join3(tail, sizeof tail, g->unit, g->unit[0] ? " " : "", text);
	int sep = g->unit[0] == '/' ? 0 : 1;    /* "$2.17/h", but "250 W" */
	int nw = widget_width(t, g->num), tw = widget_width(t, tail);
	int x = end - nw - sep - tw;
	if (x < from + 2)
		return;
	attr_t va = value_attr(t, g);
	widget_text(t, w, y, x, nw, va, g->num);
	widget_text(t, w, y, x + nw + sep, tw, term_attr(t, THEME_UNIT), tail);
}

/* ---- one fleet panel ----------------------------------------------------- */

static attr_t health_attr(const struct term *t, enum health_status h)
{
	return term_attr(t, h == HEALTH_OK ? THEME_GOOD : h == HEALTH_STALE ? THEME_WARN : THEME_BAD);
}

static void draw_health(const struct term *t, WINDOW *w, const struct fleet *f,
                        const struct layout_panel_plan *p, int x, int cw, double now)
{
	const char *dot = t->utf8 ? "\u25cf" : "*";
	int y = p->row[LAYOUT_ROW_HEALTH];
	size_t counts[3] = { 0, 0, 0 };
	enum health_status worst_h = HEALTH_OK;
	const struct source_health *err = NULL;
	for (size_t i = 0; i < f->nhealth; i++) {
		const struct source_health *h = f->health[i];
		counts[h->status]++;
		if (h->status > worst_h)
			worst_h = h->status;
		if (h->error[0] && (!err || h->status > err->status))
			err = h;
	}

	/* a single source's detail that did not fit its row goes on the next
	 * one while there is no error to show there (CloudWatch's cost of
	 * watching, a long URL) */
	char cut_target[sizeof f->health[0]->target] = "";
	if (y > 0) {
		char line[256], target[sizeof f->health[0]->target];
		if (f->nhealth == 0) {
			widget_text(t, w, y, x, cw, term_attr(t, THEME_DIM), "no source feeds this fleet");
		} else if (f->nhealth == 1) {
			const struct source_health *h = f->health[0];
			char lat[48] = "";
			if (h->latency_ms > 0) {
				char ms[24];
				/* "12.5 ms" or "1.50 s": never "kms" */
				if (h->latency_ms < 1000)
					fmt_si(ms, sizeof ms, h->latency_ms, 0, "ms", t->utf8);
				else
					fmt_si(ms, sizeof ms, h->latency_ms / 1000.0, 0, "s", t->utf8);
				snprintf(lat, sizeof lat, "  latency %s", ms);
			}
			fmt_sanitize(target, sizeof target, h->target, t->utf8);
			int cx = x + widget_text(t, w, y, x, 2, health_attr(t, h->status), dot) + 1;
			cx += widget_text(t, w, y, cx, x + cw - cx, term_attr(t, THEME_LABEL), h->kind);
			cx += 1;
			cx += widget_text(t, w, y, cx, x + cw - cx, health_attr(t, h->status), health_name(h->status));
			cx += widget_text(t, w, y, cx, x + cw - cx, term_attr(t, THEME_UNIT), lat);
			if (target[0] && cx + 3 < x + cw) {
				snprintf(line, sizeof line, "  %s", target);
				widget_text_in(t, w, y, cx, x + cw - cx, WIDGET_LEFT, true, term_attr(t, THEME_DIM), line);
			}
			if (target[0] && cx + 2 + (int)strlen(target) > x + cw)
				snprintf(cut_target, sizeof cut_target, "%s", target);
		} else {
			snprintf(line, sizeof line, "%zu sources: %zu ok, %zu stale, %zu failing", f->nhealth,
			         counts[HEALTH_OK], counts[HEALTH_STALE], counts[HEALTH_FAILING]);
			int cx = x + widget_text(t, w, y, x, 2, health_attr(t, worst_h), dot) + 1;
			widget_text_in(t, w, y, cx, x + cw - cx, WIDGET_LEFT, true, term_attr(t, THEME_LABEL), line);
		}
	}

	y = p->row[LAYOUT_ROW_ERROR];
	if (y > 0) {
		char msg[256], clean[220];
		attr_t a = term_attr(t, THEME_DIM);
		if (err) {
			fmt_sanitize(clean, sizeof clean, err->error, t->utf8);
			snprintf(msg, sizeof msg, "last error: %s", clean);
			a = health_attr(t, err->status);
		} else if (worst_h == HEALTH_STALE && f->nhealth) {
			char age[32];
			double last = -1;
			for (size_t i = 0; i < f->nhealth; i++)
				if (f->health[i]->last_ok > last)
					last = f->health[i]->last_ok;
			fmt_duration(age, sizeof age, last >= 0 ? now - last : NAN, 0);
			snprintf(msg, sizeof msg, "stale: last good data %s ago", age);
			a = term_attr(t, THEME_WARN);
		} else if (f->note[0]) {
			fmt_sanitize(clean, sizeof clean, f->note, t->utf8);
			snprintf(msg, sizeof msg, "%s", clean);
		} else if (cut_target[0]) {
			snprintf(msg, sizeof msg, "%s", cut_target);
		} else {
			snprintf(msg, sizeof msg, "no errors");
		}
		widget_text_in(t, w, y, x, cw, WIDGET_LEFT, true, a, msg);
	}
}

static void draw_spark(struct overview *o, const struct term *t, WINDOW *w, int y, int x, int cw,
                       int h, const struct series *s, double now, enum theme_role role)
{
	if (y <= 0 || h <= 0 || cw <= 0)
		return;
	if (cw > SPARK_MAX_W)
		cw = SPARK_MAX_W;
	/* Each column is SPARK_STEP seconds, aligned to the clock: the graph
	 * shifts once per step and in between only its newest column changes.
	 * Shifting every second rewrote most of each graph's top row every
	 * frame, which was most of the bytes sent (bench/RESULTS.md). */
	size_t n = (size_t)cw;
	double end = floor(now / SPARK_STEP) * SPARK_STEP + (SPARK_STEP - 1);
	size_t got = series_points(s, end, 1, o->raw, n * SPARK_STEP);
	for (size_t j = 0; j < n; j++) {
		double sum = 0;
		int k = 0;
		for (size_t i = j * SPARK_STEP; i < (j + 1) * SPARK_STEP && i < got; i++)
			if (!isnan(o->raw[i])) {
				sum += o->raw[i];
				k++;
			}
		o->pts[j] = k ? (float)(sum / k) : NAN;
	}
	double lo, hi;
	spark_range(o->pts, n, &lo, &hi);
	widget_spark(t, w, y, x, cw, h, o->pts, n, lo, hi, term_attr(t, role));
}

static void draw_panel(struct overview *o, const struct view_ctx *c, WINDOW *w,
                       const struct fleet *f, const struct fleet_stats *s)
{
	const struct term *t = c->t;
	const struct layout_panel_plan *p = &o->L.plan;
	int wd = getmaxx(w);
	int x = 2, cw = wd - 4, end = x + cw;
	const char *times = t->utf8 ? "\u00d7" : "x";

	char name[128], type[96], unit[64], one[64], txt[160];
	fmt_sanitize(name, sizeof name, f->name, t->utf8);
	fmt_sanitize(type, sizeof type, f->instance_type ? f->instance_type : "instances", t->utf8);
	fmt_sanitize(unit, sizeof unit, f->unit ? f->unit : "units", t->utf8);
	view_unit_one(one, sizeof one, unit);

	widget_clear(w, term_attr(t, THEME_NORMAL));
	widget_box(t, w, term_attr(t, THEME_BORDER), name, term_attr(t, THEME_PANEL_TITLE),
	           f->baseline ? "BASELINE" : f->projected ? "PROJECTED" : NULL, term_attr(t, THEME_BASELINE));

	/* stale: grey, and keep the last figures rather than blanks */
	double age = fleet_age(f, c->now);
	panel_stale = age > STALE_SECONDS && isfinite(age);
	struct fleet_stats last;
	if (panel_stale && s->reporting == 0) {
		fleet_derive(f, c->now, age + c->window, &last);
		s = &last;
	}

	struct fig g, gr;
	enum provenance cost_prov = worst(s->price_prov, s->thr_prov);
	enum provenance energy_prov = worst(s->power_prov, s->thr_prov);
	if (s->thr_prov == PROV_ESTIMATED || s->power_prov == PROV_ESTIMATED ||
	    s->price_prov == PROV_ESTIMATED)
		o->estimated = true;

	int y = p->row[LAYOUT_ROW_TYPE];
	if (y > 0) {
		snprintf(txt, sizeof txt, "%s %s %zu", type, times, s->instances);
		int cx = widget_text_in(t, w, y, x, cw, WIDGET_LEFT, true, term_attr(t, THEME_VALUE), txt);
		if (s->reporting < s->instances) {
			/* other figures coming, throughput not (a machine without its
			 * benchmark followed): "0 reporting" would read as a dead fleet */
			if (s->reporting == 0 && !panel_stale && isfinite(age))
				snprintf(txt, sizeof txt, "  no throughput yet");
			else
				snprintf(txt, sizeof txt, "  %zu reporting", s->reporting);
			cx = widget_text_in(t, w, y, cx, end - cx, WIDGET_LEFT, true, term_attr(t, THEME_WARN), txt);
		}
		if (p->wide) {
			fig_usd(&g, s->usd_per_hour, "/h", s->price_prov);
			kv_right(t, w, y, cx, end, &g, "fleet");
		}
	}

	char thr_unit[80];
	snprintf(thr_unit, sizeof thr_unit, "%s/s", unit);
	y = p->row[LAYOUT_ROW_THR];
	if (y > 0) {
		fig_si(&g, t, s->thr_total, NULL, s->thr_prov);
		snprintf(g.unit, sizeof g.unit, "%s", thr_unit);
		int cx = kv(t, w, y, x, end, "Throughput", &g);
		if (p->wide) {
			fig_si(&gr, t, s->thr_per_instance, NULL, s->thr_prov);
			kv_right(t, w, y, cx, end, &gr, "per instance");
		}
	}
	y = p->row[LAYOUT_ROW_THR_PI];
	if (y > 0) {
		fig_si(&g, t, s->thr_per_instance, NULL, s->thr_prov);
		snprintf(g.unit, sizeof g.unit, "%s", thr_unit);
		kv(t, w, y, x, end, "  per inst", &g);
	}
	draw_spark(o, t, w, p->row[LAYOUT_ROW_THR_SPARK], x, cw, p->spark_h, &f->total[MET_THROUGHPUT],
	           c->now, THEME_SPARK_THR);

	y = p->row[LAYOUT_ROW_PWR];
	if (y > 0) {
		fig_si(&g, t, s->power_total, "W", s->power_prov);
		int cx = kv(t, w, y, x, end, "Power", &g);
		if (p->wide) {
			fig_si(&gr, t, s->power_per_instance, "W", s->power_prov);
			kv_right(t, w, y, cx, end, &gr, "per instance");
		}
	}
	y = p->row[LAYOUT_ROW_PWR_PI];
	if (y > 0) {
		fig_si(&g, t, s->power_per_instance, "W", s->power_prov);
		kv(t, w, y, x, end, "  per inst", &g);
	}
	draw_spark(o, t, w, p->row[LAYOUT_ROW_PWR_SPARK], x, cw, p->spark_h, &f->total[MET_POWER],
	           c->now, THEME_SPARK_PWR);

	y = p->row[LAYOUT_ROW_ENERGY];
	if (y > 0) {
		fig_si(&g, t, s->joules_per_unit, "J", energy_prov);
		join3(txt, sizeof txt, g.unit, " per ", one);
		join3(g.unit, sizeof g.unit, txt, "", "");
		kv(t, w, y, x, end, "Energy", &g);
	}
	y = p->row[LAYOUT_ROW_COST_H];
	if (y > 0) {
		fig_usd(&g, s->usd_per_hour, "per hour", s->price_prov);
		kv(t, w, y, x, end, "Cost", &g);
	}
	y = p->row[LAYOUT_ROW_COST_M];
	if (y > 0) {
		fig_usd(&g, s->usd_per_million, "", cost_prov);
		snprintf(g.unit, sizeof g.unit, "per M %s", unit);
		/* right under the hourly cost, the label is not repeated */
		bool under = p->row[LAYOUT_ROW_COST_H] > 0 && p->row[LAYOUT_ROW_COST_H] == y - 1;
		int cx = kv(t, w, y, x, end, under ? "" : "Cost", &g);
		if (p->wide && !isnan(f->usd_per_hour)) {
			fig_usd(&gr, f->usd_per_hour, "/h", f->price_prov);
			kv_right(t, w, y, cx, end, &gr, "each");
		}
	}
	y = p->row[LAYOUT_ROW_UTIL];
	if (y > 0) {
		fig_si(&g, t, s->util_mean, NULL, s->thr_prov);
		/* the figure and its '%' sit together; the bar takes the rest */
		snprintf(txt, sizeof txt, "%s%s", g.num, g.known ? "%" : "");
		widget_text_in(t, w, y, x, LABEL_W, WIDGET_LEFT, true, term_attr(t, THEME_LABEL), "Util");
		int cx = widget_text_in(t, w, y, x + LABEL_W, VALUE_W, WIDGET_RIGHT, false,
		                        value_attr(t, &g), txt);
		if (end - cx - 1 >= 4)
			widget_bar(t, w, y, cx + 1, end - cx - 1, s->util_mean / 100.0,
			           term_attr(t, THEME_METER), term_attr(t, THEME_DIM));
	}

	draw_health(t, w, f, p, x, cw, c->now);
	panel_stale = false;
	wnoutrefresh(w);
}

/* ---- small screens -------------------------------------------------------- */

/* One line per fleet: name, throughput, power, cost per million. */
static void draw_compact(struct overview *o, const struct view_ctx *c)
{
	const struct term *t = c->t;
	WINDOW *w = o->body.w;
	if (!w)
		return;
	int wd = getmaxx(w);
	widget_clear(w, term_attr(t, THEME_NORMAL));
	for (int i = 0; i < o->L.compact_lines && (size_t)i < o->nstats; i++) {
		const struct fleet *f = c->m->fleets[i];
		const struct fleet_stats *s = &o->st[i];
		char name[128], v[3][56], buf[48];
		fmt_sanitize(name, sizeof name, f->name, t->utf8);
		fmt_si(buf, sizeof buf, s->thr_total, 0, NULL, t->utf8);
		snprintf(v[0], sizeof v[0], "%s%s", buf, isfinite(s->thr_total) ? "/s" : "");
		fmt_si(v[1], sizeof v[1], s->power_total, 0, "W", t->utf8);
		fmt_usd(buf, sizeof buf, s->usd_per_million, 0);
		snprintf(v[2], sizeof v[2], "%s%s", buf, isfinite(s->usd_per_million) ? "/M" : "");

		/* values from the right, 9 columns each, as many as leave the
		 * name 8 columns */
		int nv = 0;
		while (nv < 3 && wd - 9 * (nv + 1) >= 8)
			nv++;
		int namew = wd - 9 * nv - 1;
		widget_text_in(t, w, i, 0, namew, WIDGET_LEFT, true, term_attr(t, THEME_PANEL_TITLE), name);
		for (int k = 0; k < nv; k++)
			widget_text_in(t, w, i, namew + 1 + 9 * k, 8, WIDGET_RIGHT, false,
			               term_attr(t, THEME_VALUE), v[k]);
	}
	if (o->L.hidden && o->L.compact_lines < getmaxy(w)) {
		char more[48];
		snprintf(more, sizeof more, "+%d more", o->L.hidden);
		widget_text(t, w, o->L.compact_lines, 0, wd, term_attr(t, THEME_DIM), more);
	}
	wnoutrefresh(w);
}

static void draw_tiny(struct overview *o, const struct view_ctx *c)
{
	WINDOW *w = o->body.w;
	if (!w)
		return;
	widget_clear(w, term_attr(c->t, THEME_NORMAL));
	int h = getmaxy(w), wd = getmaxx(w);
	widget_text_in(c->t, w, (h - 1) / 2, 0, wd, WIDGET_CENTER, true, term_attr(c->t, THEME_WARN),
	               "terminal too small");
	wnoutrefresh(w);
}

static void draw_note(struct overview *o, const struct view_ctx *c)
{
	WINDOW *w = o->note.w;
	if (!w)
		return;
	const struct term *t = c->t;
	char note[256], line[320];
	fmt_sanitize(note, sizeof note, c->m->note ? c->m->note : "", t->utf8);
	snprintf(line, sizeof line, "Simulated data%s%s", note[0] ? ": " : "", note);
	widget_clear(w, term_attr(t, THEME_NORMAL));
	int cx = widget_text(t, w, 0, 1, -1, term_attr(t, THEME_WARN), t->utf8 ? "\u25b2 " : "! ");
	widget_text_in(t, w, 0, 1 + cx, getmaxx(w) - cx - 2, WIDGET_LEFT, true, term_attr(t, THEME_WARN), line);
	wnoutrefresh(w);
}

/* ---- the view -------------------------------------------------------------- */

static void *overview_open(void)
{
	return calloc(1, sizeof(struct overview));
}

static void overview_close(void *st)
{
	struct overview *o = st;
	if (!o)
		return;
	for (int i = 0; i < LAYOUT_MAX_PANELS; i++)
		view_win_free(&o->panel[i]);
	view_win_free(&o->compare);
	view_win_free(&o->note);
	view_win_free(&o->body);
	free(o);
}

static void overview_draw(void *st, const struct view_ctx *c)
{
	struct overview *o = st;
	const struct model *m = c->m;
	const struct term *t = c->t;

	int unit_len = 0;
	for (size_t i = 0; i < m->nfleets; i++) {
		char u[80];
		fmt_sanitize(u, sizeof u, m->fleets[i]->unit ? m->fleets[i]->unit : "units", t->utf8);
		int l = widget_width(t, u) + 2;
		if (l > unit_len)
			unit_len = l;
	}
	struct layout_in in = {
		.cols = c->cols, .rows = c->rows,
		.nfleets = (int)m->nfleets, .unit_len = unit_len, .note = m->demo,
	};
	layout_compute(&o->L, &in);

	o->nstats = m->nfleets < LAYOUT_MAX_PANELS ? m->nfleets : LAYOUT_MAX_PANELS;
	for (size_t i = 0; i < o->nstats; i++)
		fleet_derive(m->fleets[i], c->now, c->window, &o->st[i]);
	o->estimated = false;

	const struct layout *L = &o->L;
	struct layout_rect none = { 0, 0, 0, 0 };
	/* too few rows for the note line: the footer carries it instead */
	o->footer_note = m->demo && m->note && L->note.h == 0 ? m->note : NULL;
	for (int i = 0; i < LAYOUT_MAX_PANELS; i++)
		view_win_place(&o->panel[i], i < L->shown ? &L->panel[i] : &none);
	view_win_place(&o->compare, &L->compare);
	view_win_place(&o->note, &L->note);
	view_win_place(&o->body, L->mode == LAYOUT_PANELS ? &none
	                         : L->mode == LAYOUT_COMPACT ? &L->body : &c->body);

	switch (L->mode) {
	case LAYOUT_TINY:
		draw_tiny(o, c);
		return;
	case LAYOUT_COMPACT:
		draw_compact(o, c);
		return;
	case LAYOUT_PANELS:
		break;
	}
	draw_note(o, c);
	for (int i = 0; i < L->shown; i++)
		if (o->panel[i].w)
			draw_panel(o, c, o->panel[i].w, m->fleets[i], &o->st[i]);
	if (o->compare.w)
		compare_draw(t, o->compare.w, m, o->st, o->nstats, L->compare_rows, c->sv, c->cfg);
}

static size_t overview_status(void *st, char *buf, size_t n)
{
	struct overview *o = st;
	int shown = o->L.mode == LAYOUT_PANELS ? o->L.shown : o->L.compact_lines;
	int total = shown + o->L.hidden;
	if (o->L.hidden > 0)
		return (size_t)snprintf(buf, n, "%d of %d fleets shown", shown, total);
	if (o->estimated)
		return (size_t)snprintf(buf, n, "~ estimated");
	if (o->footer_note)
		return (size_t)snprintf(buf, n, "%s", o->footer_note);
	return 0;
}

const struct view_ops overview_view = {
	.name = "overview",
	.overlay = false,
	.open = overview_open,
	.close = overview_close,
	.draw = overview_draw,
	.key = NULL,
	.status = overview_status,
};
