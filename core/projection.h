/*
 * projection.h - what migrating from one fleet to another saves.
 *
 * Pure functions over each fleet's measured per-instance throughput, power
 * and price; no I/O.  Two modes:
 *
 *   SLA   a throughput target (units per hour): each fleet needs
 *         ceil(target / (per-instance throughput x headroom)) instances;
 *         energy, cost and CO2 are per hour of serving the target.
 *   WORK  a fixed amount of work on each fleet's own instance count (or one
 *         count for all): time to finish, and total energy, cost and CO2.
 *
 * Energy includes the PUE factor; CO2 is energy x grid intensity; cost is
 * instance-hours x price, plus energy x electricity price when one is given.
 * Anything that depends on an unknown input is unknown (NAN) with a reason,
 * never zero; no function divides by zero or returns an infinity.
 *
 * Savings compare every fleet to the baseline as percent change (negative is
 * less: -92 means 92% less energy).  Each saving carries a range from the
 * spread of the measurements: the projection is repeated with each fleet at
 * its best (p90 throughput, p10 power) and worst (p10 throughput, p90 power)
 * and the range spans every pairing, so a noisy measurement is not
 * over-claimed.
 */
#ifndef PERWATT_PROJECTION_H
#define PERWATT_PROJECTION_H

#include <stdbool.h>
#include <stddef.h>

enum proj_mode { PROJ_SLA = 0, PROJ_WORK };

#define PROJ_MAX_INSTANCES 1e9     /* beyond this a projection is an error */

struct proj_params {
	enum proj_mode mode;
	double target_per_hour;    /* SLA: units per hour, > 0 */
	double work_units;         /* WORK: units, > 0 */
	double headroom;           /* usable fraction of per-instance throughput, (0, 1]; SLA only */
	double pue;                /* >= 1 */
	double grid_g_per_kwh;     /* gCO2e per kWh; NAN when unknown */
	double usd_per_kwh;        /* electricity price; NAN when not counted */
	size_t instances;          /* WORK: one count for every fleet; 0 = each fleet's own */
	size_t baseline;           /* index of the baseline fleet */
};

/* Defaults: SLA mode with no target, headroom 1, PUE 1, unknown intensity,
 * electricity not counted, baseline 0. */
void proj_params_init(struct proj_params *p);

struct proj_input {
	double thr, thr_lo, thr_hi;       /* units/s per instance; lo/hi: spread (NAN: none) */
	double power, power_lo, power_hi; /* W per instance; NAN when unknown */
	double usd_per_hour;              /* per instance; NAN when unknown */
	size_t instances;                 /* the fleet's own count (WORK mode) */
};

struct proj_fleet {
	double instances;          /* SLA: instances needed; WORK: instances used */
	double hours;              /* WORK: time to finish; SLA: NAN */
	double power_w;            /* whole fleet while it runs */
	double energy_kwh;         /* SLA: per hour; WORK: total */
	double usd;                /* SLA: per hour; WORK: total */
	double usd_per_million;
	double co2_kg;             /* SLA: per hour; WORK: total */
	const char *error;         /* NULL, or why the fleet has no projection */
	const char *note;          /* NULL, or what is unknown ("no price", "no power") */
};

struct proj_range { double lo, hi; };

struct proj_saving {
	double instances_pct, energy_pct, cost_pct, co2_pct, time_pct;   /* NAN: not applicable */
	struct proj_range r_instances, r_energy, r_cost, r_co2, r_time;
};

/* Checks the parameters; 0, or -1 with a one-line reason in err. */
int proj_params_check(const struct proj_params *p, size_t nfleets, char *err, size_t errlen);

/* Projects n fleets (out[n]) and their savings against the baseline (sav[n];
 * the baseline's own entry is all zero).  Returns 0, or -1 when the
 * parameters are invalid (err says why).  A fleet that cannot be projected
 * (no throughput) has out[i].error set and NAN figures. */
int proj_run(const struct proj_params *p, const struct proj_input *in, size_t n,
             struct proj_fleet *out, struct proj_saving *sav, char *err, size_t errlen);

/* Percent change of cand against base, NAN when either is unknown or base is 0. */
double proj_pct(double cand, double base);

#endif
