/* savings.c - the projection over the live model; see savings.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/savings.h"

void savings_config_init(struct savings_config *c, const struct tables *t)
{
	memset(c, 0, sizeof *c);
	proj_params_init(&c->p);
	c->tables = t;
	c->target_auto = true;
	savings_set_region(c, "us-east-1");
}

void savings_set_region(struct savings_config *c, const char *region)
{
	snprintf(c->region, sizeof c->region, "%s", region);
	if (c->grid_override)
		return;
	const struct grid_row *g = c->tables ? tables_grid(c->tables, region) : NULL;
	if (g) {
		c->p.grid_g_per_kwh = g->g_per_kwh;
		snprintf(c->grid_source, sizeof c->grid_source, "table %s %d", g->source, g->year);
	} else {
		c->p.grid_g_per_kwh = NAN;
		snprintf(c->grid_source, sizeof c->grid_source, "unknown for %s", region);
	}
}

int savings_alloc(struct savings *s, size_t n)
{
	memset(s, 0, sizeof *s);
	size_t k = n ? n : 1;
	s->stats = calloc(k, sizeof *s->stats);
	s->in = calloc(k, sizeof *s->in);
	s->fleet = calloc(k, sizeof *s->fleet);
	s->saving = calloc(k, sizeof *s->saving);
	s->n = n;
	if (!s->stats || !s->in || !s->fleet || !s->saving) {
		savings_free(s);
		return -1;
	}
	return 0;
}

void savings_free(struct savings *s)
{
	free(s->stats);
	free(s->in);
	free(s->fleet);
	free(s->saving);
	memset(s, 0, sizeof *s);
}

void savings_compute(struct savings *s, const struct model *m, const struct savings_config *c,
                     double now, double window)
{
	s->ok = false;
	s->error[0] = '\0';
	s->target_per_hour = NAN;
	size_t n = m->nfleets < s->n ? m->nfleets : s->n;
	s->baseline = model_baseline(m);
	if (c->baseline_name) {
		const struct fleet *bf = model_fleet(m, c->baseline_name);
		for (size_t i = 0; bf && i < m->nfleets; i++)
			if (m->fleets[i] == bf)
				s->baseline = (int)i;
		if (!bf) {
			snprintf(s->error, sizeof s->error, "no fleet is called '%s'", c->baseline_name);
			return;
		}
	}
	if (n == 0 || s->baseline < 0 || (size_t)s->baseline >= n) {
		snprintf(s->error, sizeof s->error, "no fleets to compare");
		return;
	}

	for (size_t i = 0; i < n; i++) {
		struct fleet_stats *st = &s->stats[i];
		fleet_derive(m->fleets[i], now, window, st);
		struct proj_input *x = &s->in[i];
		x->thr = st->thr_per_instance;
		x->thr_lo = st->thr_pi_p10;
		x->thr_hi = st->thr_pi_p90;
		x->power = st->power_per_instance;
		x->power_lo = st->power_pi_p10;
		x->power_hi = st->power_pi_p90;
		x->usd_per_hour = m->fleets[i]->usd_per_hour;
		x->instances = st->instances;
	}

	struct proj_params p = c->p;
	p.baseline = (size_t)s->baseline;
	if (p.mode == PROJ_SLA && c->target_auto) {
		/* the question a migration asks first: what replaces the baseline
		 * fleet at the throughput it serves now */
		double t = s->stats[s->baseline].thr_total * 3600.0;
		if (!(t > 0)) {
			snprintf(s->error, sizeof s->error,
			         "no target: the baseline '%s' reports no throughput yet (give --sla RATE)",
			         m->fleets[s->baseline]->name);
			return;
		}
		p.target_per_hour = t;
	}
	s->target_per_hour = p.mode == PROJ_SLA ? p.target_per_hour : NAN;
	if (proj_run(&p, s->in, n, s->fleet, s->saving, s->error, sizeof s->error) < 0)
		return;
	s->ok = true;
}
