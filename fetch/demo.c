/* demo.c - simulated fleets for the built-in scenarios; see demo.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "fetch/demo.h"

/* How the simulation behaves; chosen so that a minute of samples averages
 * within a fraction of a percent of the nominal figures. */
#define NOISE_SD      0.020   /* stationary sd of the wandering noise */
#define NOISE_AR      0.90    /* how much of the noise carries to the next second */
#define BIAS_SD       0.010   /* sd of each instance's fixed bias */
#define DIP_PER_S     (1.0 / 900)  /* chance a dip starts in any second */
#define POWER_SD      0.010
#define CATCH_UP_MAX  900.0   /* seconds simulated at most after a pause */

struct demo_inst {
	struct instance *in;
	struct rng rng;
	double bias, noise;
	double start;           /* seconds after t0 the instance begins its ramp */
	double dip_until, dip_depth;
};

struct demo_fleet {
	const struct scenario_fleet *sf;
	struct fleet *f;
	struct source_health *health;
	struct demo_inst *inst;
	size_t ninst;
};

struct demo {
	struct scenario_fleet sfleet[SCENARIO_MAX_FLEETS];
	struct demo_fleet fleet[SCENARIO_MAX_FLEETS];
	size_t nfleets;
	double t0;
	double next;            /* the next whole second to simulate */
};

static void demo_step(struct demo_fleet *df, struct demo_inst *di, double t, double age)
{
	const struct scenario_fleet *sf = df->sf;
	struct rng *r = &di->rng;

	di->noise = NOISE_AR * di->noise + sqrt(1 - NOISE_AR * NOISE_AR) * NOISE_SD * rng_normal(r);

	/* warm-up: idle until the instance starts, then an exponential ramp */
	double ramp = 0;
	if (age >= di->start)
		ramp = 1 - exp(-(age - di->start) / (DEMO_WARMUP / 5));

	if (t >= di->dip_until && rng_uniform(r) < DIP_PER_S) {
		di->dip_until = t + 3 + 7 * rng_uniform(r);
		di->dip_depth = 0.3 + 0.4 * rng_uniform(r);
	}
	double dip = t < di->dip_until ? 1 - di->dip_depth : 1;

	double load = ramp * dip * (1 + di->bias + di->noise);
	if (load < 0)
		load = 0;
	double thr = sf->throughput * load;
	double busy = load > 1 ? 1 : load;
	double power = (sf->idle_w + (sf->power_w - sf->idle_w) * load) * (1 + POWER_SD * rng_normal(r));
	double util = 100 * busy * (0.97 + 0.02 * rng_uniform(r));
	if (util > 100)
		util = 100;

	model_record(di->in, MET_THROUGHPUT, t, thr, PROV_DEMO);
	model_record(di->in, MET_POWER, t, power, PROV_DEMO);
	model_record(di->in, MET_UTIL, t, util, PROV_DEMO);
}

static int demo_start(struct source *s, double now)
{
	struct demo *d = s->priv;
	for (size_t i = 0; i < d->nfleets; i++)
		health_set_ok(d->fleet[i].health, now, 0);
	return 0;
}

static double demo_tick(struct source *s, double now)
{
	struct demo *d = s->priv;
	if (now - d->next > CATCH_UP_MAX)
		d->next = floor(now - CATCH_UP_MAX);
	for (; d->next <= now; d->next += 1) {
		double age = d->next - d->t0;
		for (size_t i = 0; i < d->nfleets; i++) {
			struct demo_fleet *df = &d->fleet[i];
			for (size_t k = 0; k < df->ninst; k++)
				demo_step(df, &df->inst[k], d->next, age);
			health_set_ok(df->health, d->next, 0);
		}
	}
	return d->next;
}

static void demo_stop(struct source *s)
{
	struct demo *d = s->priv;
	if (d) {
		for (size_t i = 0; i < d->nfleets; i++)
			free(d->fleet[i].inst);
		free(d);
	}
	free(s);
}

static const struct source_ops demo_ops = {
	.kind = "demo",
	.start = demo_start,
	.fds = NULL,
	.ready = NULL,
	.tick = demo_tick,
	.stop = demo_stop,
};

/* A per-instance seed, so adding a fleet never changes another's numbers. */
static uint64_t inst_seed(uint64_t seed, const char *fleet, size_t k)
{
	uint64_t h = 1469598103934665603ULL;      /* FNV-1a over the fleet name */
	for (const char *p = fleet; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return seed ^ h ^ ((uint64_t)k * 0x9e3779b97f4a7c15ULL);
}

struct source *demo_source_new(struct model *m, const struct scenario *sc, uint64_t seed, double t0)
{
	struct source *s = calloc(1, sizeof *s);
	struct demo *d = calloc(1, sizeof *d);
	if (!s || !d) {
		free(s);
		free(d);
		return NULL;
	}
	s->ops = &demo_ops;
	s->model = m;
	s->priv = d;
	d->t0 = t0;
	d->next = ceil(t0);
	m->demo = true;
	if (fleet_set_str(&m->title, sc->title) < 0 || fleet_set_str(&m->note, sc->note) < 0)
		goto fail;

	for (size_t i = 0; i < sc->nfleets; i++) {
		const struct scenario_fleet *sf = &sc->fleet[i];
		struct demo_fleet *df = &d->fleet[i];
		d->sfleet[i] = *sf;   /* the numbers only; names stay with the scenario */
		df->sf = &d->sfleet[i];
		d->nfleets = i + 1;
		struct fleet *f = model_add_fleet(m, sf->name);
		if (!f || fleet_set_str(&f->instance_type, sf->type) < 0 ||
		    fleet_set_str(&f->unit, sc->unit) < 0)
			goto fail;
		f->count = sf->instances;
		f->usd_per_hour = sf->usd_per_hour;
		f->price_prov = isnan(sf->usd_per_hour) ? PROV_NONE : PROV_DEMO;
		snprintf(f->price_source, sizeof f->price_source, "%s", isnan(sf->usd_per_hour) ? "unknown" : "scenario");
		f->baseline = sf->baseline;
		df->f = f;
		if (!(df->health = fleet_add_source(f, "demo", sc->name ? sc->name : "scenario")))
			goto fail;
		if (!(df->inst = calloc(sf->instances, sizeof *df->inst)))
			goto fail;
		df->ninst = sf->instances;
		for (size_t k = 0; k < df->ninst; k++) {
			struct demo_inst *di = &df->inst[k];
			char id[96];
			snprintf(id, sizeof id, "%s-%02zu", sf->name, k + 1);
			if (!(di->in = fleet_instance(f, id, true)))
				goto fail;
			rng_seed(&di->rng, inst_seed(seed, sf->name, k));
			di->bias = BIAS_SD * rng_normal(&di->rng);
			di->start = 4 * rng_uniform(&di->rng);
			di->dip_until = -INFINITY;
		}
	}
	return s;
fail:
	demo_stop(s);
	return NULL;
}
