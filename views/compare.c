/* compare.c - candidate / baseline figures; see compare.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/format.h"
#include "tui/widgets.h"
#include "views/compare.h"
#include "views/view.h"

/* Within this much of 1.0 a ratio is called the same, not better or worse:
 * the demo's noise alone moves figures by a percent or so. */
#define SAME_BAND 0.02

enum { CMP_THR, CMP_ENERGY, CMP_COST, CMP__COUNT };

static bool estimated(const struct fleet_stats *s, int k)
{
	if (s->thr_prov == PROV_ESTIMATED)
		return true;
	return (k == CMP_ENERGY && s->power_prov == PROV_ESTIMATED) ||
	       (k == CMP_COST && s->price_prov == PROV_ESTIMATED);
}

/* One cell: "  6.30x +530% better", cut to what `width` allows. */
static void cell(const struct term *t, WINDOW *w, int y, int x, int width, double r,
                 const struct fleet_stats *cand, const struct fleet_stats *base, int k)
{
	bool higher_better = k == CMP_THR;
	char ratio[24], pct[24], num[32];
	fmt_ratio(ratio, sizeof ratio, r, 0);
	fmt_pct(pct, sizeof pct, (r - 1) * 100, 5);
	bool est = estimated(cand, k) || estimated(base, k);
	snprintf(num, sizeof num, "%s%s", est ? "~" : "", ratio);

	enum theme_role role = THEME_VALUE;
	const char *word = "same";
	if (!isfinite(r)) {
		role = THEME_DIM;
		word = "";
	} else if (fabs(r - 1) > SAME_BAND) {
		bool better = higher_better ? r > 1 : r < 1;
		role = better ? THEME_GOOD : THEME_BAD;
		word = better ? "better" : "worse";
	}
	attr_t a = term_attr(t, role);
	int cx = widget_text_in(t, w, y, x, 7, WIDGET_RIGHT, false, a, num);
	if (!isfinite(r) || width < 13)
		return;
	cx += 1 + widget_text(t, w, y, cx + 1, 5, a, pct);
	if (width >= 20)
		widget_text(t, w, y, cx + 1, 6, a, word);
}

/* The projection in one line, for the strip's frame. */
static void projection_line(char *buf, size_t n, const struct model *m, const struct savings *sv,
                            const struct savings_config *cfg)
{
	buf[0] = '\0';
	if (!sv || !cfg || !sv->ok)
		return;
	for (size_t i = 0; i < sv->n && i < m->nfleets; i++) {
		if ((int)i == sv->baseline || sv->fleet[i].error)
			continue;
		char at[48], e[24], c[24];
		if (cfg->p.mode == PROJ_SLA)
			fmt_si(at, sizeof at, sv->target_per_hour, 0, NULL, false);
		else
			fmt_si(at, sizeof at, cfg->p.work_units, 0, NULL, false);
		fmt_pct(e, sizeof e, sv->saving[i].energy_pct, 0);
		fmt_pct(c, sizeof c, sv->saving[i].cost_pct, 0);
		if (cfg->p.mode == PROJ_SLA)
			snprintf(buf, n, "at %s/h: %.0f vs %.0f instances, energy %s, cost %s", at,
			         sv->fleet[i].instances, sv->fleet[sv->baseline].instances, e, c);
		else
			snprintf(buf, n, "%s of work: %.2f h vs %.2f h, energy %s, cost %s", at,
			         sv->fleet[i].hours, sv->fleet[sv->baseline].hours, e, c);
		return;
	}
}

void compare_draw(const struct term *t, WINDOW *w, const struct model *m,
                  const struct fleet_stats *st, size_t nstats, int rows,
                  const struct savings *sv, const struct savings_config *cfg)
{
	int h, wd;
	getmaxyx(w, h, wd);
	widget_clear(w, term_attr(t, THEME_NORMAL));
	if (nstats < 2 || h < 3) {
		wnoutrefresh(w);
		return;
	}
	int bi = model_baseline(m);
	size_t b = bi >= 0 && (size_t)bi < nstats ? (size_t)bi : 0;
	const struct fleet *bf = m->fleets[b];

	char bname[128], title[192], one[64], head[CMP__COUNT][96], brief[CMP__COUNT][96];
	static const char *const tiny[CMP__COUNT] = { "throughput", "energy", "cost" };
	fmt_sanitize(bname, sizeof bname, bf->name, t->utf8);
	snprintf(title, sizeof title, "Candidate %s baseline (%s)", t->utf8 ? "\u00f7" : "/", bname);
	char proj[192];
	projection_line(proj, sizeof proj, m, sv, cfg);
	widget_box(t, w, term_attr(t, THEME_BORDER), title, term_attr(t, THEME_PANEL_TITLE),
	           proj[0] && widget_width(t, proj) + widget_width(t, title) + 8 <= wd ? proj : NULL,
	           term_attr(t, THEME_GOOD));

	char unit[64];
	fmt_sanitize(unit, sizeof unit, bf->unit, t->utf8);
	view_unit_one(one, sizeof one, unit);
	snprintf(head[CMP_THR], sizeof head[CMP_THR], "throughput per instance");
	snprintf(head[CMP_ENERGY], sizeof head[CMP_ENERGY], "energy per %s", one);
	snprintf(head[CMP_COST], sizeof head[CMP_COST], "cost per %s", one);
	snprintf(brief[CMP_THR], sizeof brief[CMP_THR], "throughput/instance");
	snprintf(brief[CMP_ENERGY], sizeof brief[CMP_ENERGY], "energy/%s", one);
	snprintf(brief[CMP_COST], sizeof brief[CMP_COST], "cost/%s", one);

	/* name column as wide as the longest name (within reason), the three
	 * figures share the rest evenly */
	int x0 = 2, cw = wd - 4, nw = 8;
	for (size_t i = 0; i < nstats; i++) {
		char nm[128];
		fmt_sanitize(nm, sizeof nm, m->fleets[i]->name, t->utf8);
		int lw = widget_width(t, nm) + 2;
		if (lw > nw)
			nw = lw;
	}
	if (nw > cw / 4)
		nw = cw / 4 > 8 ? cw / 4 : 8;
	int mw = (cw - nw) / CMP__COUNT;
	if (mw < 8)
		mw = 8;

	attr_t label = term_attr(t, THEME_LABEL);
	for (int k = 0; k < CMP__COUNT; k++) {
		/* the longest heading that fits: "energy per sequence", "energy/sequence", "energy" */
		const char *txt = widget_width(t, head[k]) <= mw - 2 ? head[k]
		                : widget_width(t, brief[k]) <= mw - 2 ? brief[k] : tiny[k];
		widget_text_in(t, w, 1, x0 + nw + k * mw, mw - 1, WIDGET_LEFT, true, label, txt);
	}

	size_t ncand = nstats - 1;
	int y = 2, last = 1 + (rows < h - 2 ? rows : h - 2);
	size_t shown = 0;
	for (size_t i = 0; i < nstats && y <= last; i++) {
		if (i == b)
			continue;
		if (y == last && shown + 1 < ncand) {
			char more[64];
			snprintf(more, sizeof more, "+%zu more (enlarge the terminal)", ncand - shown);
			widget_text(t, w, y, x0, cw, term_attr(t, THEME_DIM), more);
			break;
		}
		char nm[128];
		fmt_sanitize(nm, sizeof nm, m->fleets[i]->name, t->utf8);
		widget_text_in(t, w, y, x0, nw - 1, WIDGET_LEFT, true, term_attr(t, THEME_PANEL_TITLE), nm);
		struct fleet_ratio fr;
		fleet_compare(&st[i], &st[b], &fr);
		const double r[CMP__COUNT] = { fr.thr_per_instance, fr.joules_per_unit, fr.usd_per_unit };
		for (int k = 0; k < CMP__COUNT; k++)
			cell(t, w, y, x0 + nw + k * mw, mw - 1, r[k], &st[i], &st[b], k);
		shown++;
		y++;
	}
	wnoutrefresh(w);
}
