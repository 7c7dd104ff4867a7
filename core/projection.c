/* projection.c - SLA and fixed-work projections and savings; see projection.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/projection.h"

void proj_params_init(struct proj_params *p)
{
	memset(p, 0, sizeof *p);
	p->mode = PROJ_SLA;
	p->headroom = 1;
	p->pue = 1;
	p->grid_g_per_kwh = NAN;
	p->usd_per_kwh = NAN;
}

double proj_pct(double cand, double base)
{
	if (!isfinite(cand) || !isfinite(base) || base == 0)
		return NAN;
	return (cand - base) / base * 100.0;
}

int proj_params_check(const struct proj_params *p, size_t nfleets, char *err, size_t errlen)
{
	const char *why = NULL;
	if (p->mode == PROJ_SLA && !(isfinite(p->target_per_hour) && p->target_per_hour > 0))
		why = "the SLA target must be a positive rate such as 1000000/h";
	else if (p->mode == PROJ_SLA && p->target_per_hour > 1e18)
		why = "the SLA target is too large (more than 1e18 units per hour)";
	else if (p->mode == PROJ_WORK && !(isfinite(p->work_units) && p->work_units > 0))
		why = "the work must be a positive number of units such as 450e6";
	else if (p->mode == PROJ_WORK && p->work_units > 1e21)
		why = "the work is too large (more than 1e21 units)";
	else if (!(p->headroom > 0 && p->headroom <= 1))
		why = "the headroom must be more than 0% and at most 100%";
	else if (!(isfinite(p->pue) && p->pue >= 1 && p->pue <= 10))
		why = "the PUE must be from 1 to 10";
	else if (!isnan(p->grid_g_per_kwh) && !(isfinite(p->grid_g_per_kwh) && p->grid_g_per_kwh >= 0 && p->grid_g_per_kwh <= 5000))
		why = "the grid intensity must be from 0 to 5000 gCO2e/kWh";
	else if (!isnan(p->usd_per_kwh) && !(isfinite(p->usd_per_kwh) && p->usd_per_kwh >= 0 && p->usd_per_kwh <= 100))
		why = "the electricity price must be from 0 to 100 USD/kWh";
	else if ((double)p->instances > PROJ_MAX_INSTANCES)
		why = "the instance count is too large";
	else if (nfleets && p->baseline >= nfleets)
		why = "the baseline fleet does not exist";
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

/* One fleet at one operating point (per-instance throughput and power). */
static void project_one(const struct proj_params *p, const struct proj_input *in,
                        double thr, double power, struct proj_fleet *o)
{
	o->instances = o->hours = o->power_w = o->energy_kwh = NAN;
	o->usd = o->usd_per_million = o->co2_kg = NAN;
	o->error = o->note = NULL;

	if (!(isfinite(thr) && thr > 0)) {
		o->error = isfinite(thr) ? "no throughput (zero or negative)" : "no throughput measured";
		return;
	}
	double units_per_hour;      /* of the whole fleet */
	double span_h;              /* hours the figures cover */
	if (p->mode == PROJ_SLA) {
		double usable = thr * p->headroom * 3600.0;     /* per instance per hour */
		double need = ceil(p->target_per_hour / usable);
		/* a float just above a whole number (1e6/166666.67) must not cost an instance */
		if (need > 1 && fabs(p->target_per_hour / usable - (need - 1)) < 1e-9 * need)
			need -= 1;
		if (!(need <= PROJ_MAX_INSTANCES)) {
			o->error = "the target needs more than 1e9 instances";
			return;
		}
		o->instances = need < 1 ? 1 : need;
		units_per_hour = p->target_per_hour;
		span_h = 1;
	} else {
		double n = p->instances ? (double)p->instances : (double)in->instances;
		if (!(n >= 1)) {
			o->error = "no instance count for the fixed work";
			return;
		}
		o->instances = n;
		o->hours = p->work_units / (n * thr * 3600.0);
		if (!(o->hours <= 1e9)) {
			o->error = "the work would take more than 1e9 hours";
			o->hours = NAN;
			return;
		}
		units_per_hour = p->work_units / o->hours;
		span_h = o->hours;
	}

	if (isfinite(power) && power >= 0) {
		o->power_w = o->instances * power;
		o->energy_kwh = o->power_w * p->pue / 1000.0 * span_h;
		if (isfinite(p->grid_g_per_kwh))
			o->co2_kg = o->energy_kwh * p->grid_g_per_kwh / 1000.0;
	} else {
		o->note = "no power";
	}
	if (isfinite(in->usd_per_hour) && in->usd_per_hour >= 0) {
		o->usd = o->instances * in->usd_per_hour * span_h;
		if (isfinite(p->usd_per_kwh)) {
			if (isfinite(o->energy_kwh))
				o->usd += o->energy_kwh * p->usd_per_kwh;
			else
				o->usd = NAN;    /* electricity counted but unknown */
		}
		if (isfinite(o->usd))
			o->usd_per_million = o->usd / (units_per_hour * span_h) * 1e6;
	} else if (!o->note) {
		o->note = "no price";
	}
}

static double or_nominal(double v, double nominal)
{
	return isfinite(v) ? v : nominal;
}

static void range_of(struct proj_range *r, const double *v, size_t n)
{
	r->lo = r->hi = NAN;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (isnan(r->lo) || v[i] < r->lo) r->lo = v[i];
		if (isnan(r->hi) || v[i] > r->hi) r->hi = v[i];
	}
	/* a range is only worth having when every pairing is known */
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			r->lo = r->hi = NAN;
}

/* Percent changes of one projected fleet against the baseline. */
static void pcts(const struct proj_fleet *c, const struct proj_fleet *b, double out[5])
{
	out[0] = proj_pct(c->instances, b->instances);
	out[1] = proj_pct(c->energy_kwh, b->energy_kwh);
	out[2] = proj_pct(c->usd, b->usd);
	out[3] = proj_pct(c->co2_kg, b->co2_kg);
	out[4] = proj_pct(c->hours, b->hours);
}

int proj_run(const struct proj_params *p, const struct proj_input *in, size_t n,
             struct proj_fleet *out, struct proj_saving *sav, char *err, size_t errlen)
{
	if (proj_params_check(p, n, err, errlen) < 0)
		return -1;
	if (n == 0)
		return 0;

	/* each fleet at its nominal, best and worst operating points */
	struct proj_fleet *alt = calloc(2 * n, sizeof *alt);
	if (!alt) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct proj_input *x = &in[i];
		project_one(p, x, x->thr, x->power, &out[i]);
		project_one(p, x, or_nominal(x->thr_hi, x->thr), or_nominal(x->power_lo, x->power), &alt[2 * i]);
		project_one(p, x, or_nominal(x->thr_lo, x->thr), or_nominal(x->power_hi, x->power), &alt[2 * i + 1]);
	}

	size_t b = p->baseline;
	for (size_t i = 0; i < n; i++) {
		struct proj_saving *s = &sav[i];
		memset(s, 0, sizeof *s);
		if (i == b)
			continue;
		double nominal[5], corner[4][5];
		pcts(&out[i], &out[b], nominal);
		for (int ci = 0; ci < 2; ci++)
			for (int bi = 0; bi < 2; bi++)
				pcts(&alt[2 * i + ci], &alt[2 * b + bi], corner[ci * 2 + bi]);
		s->instances_pct = nominal[0];
		s->energy_pct = nominal[1];
		s->cost_pct = nominal[2];
		s->co2_pct = nominal[3];
		s->time_pct = nominal[4];
		struct proj_range *r[5] = { &s->r_instances, &s->r_energy, &s->r_cost, &s->r_co2, &s->r_time };
		for (int k = 0; k < 5; k++) {
			double v[5] = { nominal[k], corner[0][k], corner[1][k], corner[2][k], corner[3][k] };
			range_of(r[k], v, 5);
		}
	}
	free(alt);
	return 0;
}
