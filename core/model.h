/*
 * model.h - fleets, instances and their metric series; derived fleet figures.
 *
 * The model is the one place that holds numbers.  Sources write into it
 * (model_record, model_record_counter), views only read it.  It knows
 * nothing of terminals or networks.
 *
 * Ownership: the model owns its fleets, a fleet owns its instances and its
 * source health records; all are freed by model_free().  Pointers to fleets,
 * instances and health records stay valid for the life of the model.
 */
#ifndef PERWATT_MODEL_H
#define PERWATT_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rate.h"
#include "core/series.h"

enum metric {
	MET_THROUGHPUT = 0,  /* units per second (the fleet's unit: inferences, sequences...) */
	MET_POWER,           /* watts */
	MET_UTIL,            /* percent, 0..100 */
	MET__COUNT
};

const char *metric_name(enum metric m);     /* "throughput", "power", "utilization" */

enum health_status { HEALTH_OK = 0, HEALTH_STALE, HEALTH_FAILING };
const char *health_name(enum health_status h); /* "ok", "stale", "failing" */

/* One per source feeding a fleet; written by the source, read by views. */
struct source_health {
	char kind[24];          /* "demo", "scrape", "promql", ... */
	char target[160];       /* URL or file, already free of control characters */
	enum health_status status;
	char error[200];        /* last error, empty when none; sanitized */
	double latency_ms;      /* of the last completed poll, or -1 */
	double last_ok;         /* time of the last success, or -1 */
};

/* Sets a health record's error text, stripping control characters. */
void health_set_error(struct source_health *h, enum health_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void health_set_ok(struct source_health *h, double now, double latency_ms);

struct instance {
	char *id;                           /* stable key (target, instance id) */
	struct series m[MET__COUNT];        /* SERIES_LAYOUT_SHORT */
	struct rate_state ctr[MET__COUNT];  /* for counter-fed metrics */
};

struct fleet {
	char *name;
	char *instance_type;    /* "inf1.2xlarge", or NULL when unknown */
	char *unit;             /* throughput unit, plural: "inferences" */
	size_t count;           /* configured instance count (0: count what reports) */
	double usd_per_hour;    /* per instance; NAN when unknown */
	enum provenance price_prov;
	char price_source[96];  /* "scenario", "config", "table price-list-2026-09 us-east-1",
	                         * "AWS Price List 2026-11-27 us-east-1" (core/pricecache.h)... */
	bool price_from_table;  /* filled in by model_apply_tables(), may be replaced */
	bool baseline;
	bool projected;         /* not measured: projected from another fleet (--compare) */
	char note[512];         /* one line about where the figures come from (local
	                         * mode: the sensors found and not found), or "" */

	/* power model (idle and full-load W per instance) used to estimate power
	 * from utilization when no instance reports power; NAN when none */
	double est_idle_w, est_max_w;
	char power_source[96];

	struct instance **inst;
	size_t ninst, cap_inst;

	struct series total[MET__COUNT];    /* fleet totals (util: mean), SERIES_LAYOUT_FULL */

	struct source_health **health;
	size_t nhealth;
};

struct model {
	struct fleet **fleets;
	size_t nfleets;
	bool demo;              /* any value comes from the demo source */
	char *title;            /* scenario or dashboard title, may be NULL */
	char *note;             /* e.g. "published figures; per-instance inputs derived" */
	double stale_after;     /* seconds after which an instance value is stale (default 30) */
	unsigned types_learned; /* bumped by fleet_learn_type(): prices and power
	                         * models are to be looked up again */
};

struct model *model_new(void);
void model_free(struct model *m);

/* NULL when out of memory. */
struct fleet *model_add_fleet(struct model *m, const char *name);
struct fleet *model_fleet(const struct model *m, const char *name);
int fleet_set_str(char **field, const char *value);     /* strdup into a fleet string field */
/* A source learned fleet f's instance type after start (neuron-monitor
 * names it): set when f has none yet, and m->types_learned bumped so that
 * the caller applies the tables again.  1 when set, 0 when f had a type
 * already (the one given wins), -1 when out of memory. */
int fleet_learn_type(struct model *m, struct fleet *f, const char *type);

/* Finds the instance with this id, creating it when `create` is set. */
struct instance *fleet_instance(struct fleet *f, const char *id, bool create);
struct source_health *fleet_add_source(struct fleet *f, const char *kind, const char *target);

/* Records a gauge value.  Returns -1 for a non-finite value (ignored). */
int model_record(struct instance *i, enum metric k, double t, double v, enum provenance p);
/* Records a monotonically increasing counter (e.g. inferences_total, joules):
 * the rate is derived here, with resets handled (see rate.h), times `scale`. */
int model_record_counter(struct instance *i, enum metric k, double t, double counter,
                         double scale, enum provenance p);

/* Pushes each fleet's totals at `now`: the mean of its instances' newest values
 * times the fleet's count (utilization: the mean itself)
 * (values older than stale_after are left out).  Call once per tick. */
void model_tick(struct model *m, double now);

/* What a fleet panel and the headless report show. NAN means unknown. */
struct fleet_stats {
	size_t instances;          /* count used for cost: configured, else known */
	size_t reporting;          /* instances with a throughput value in the window */
	double thr_total, thr_per_instance;
	double power_total, power_per_instance;
	double util_mean;
	double usd_per_hour;       /* whole fleet */
	double joules_per_unit;
	double units_per_kwh;
	double usd_per_million;
	/* spread over the window of the per-instance figures: p10 and p90 of the
	 * per-second fleet totals divided by the instance count */
	double thr_pi_p10, thr_pi_p90, power_pi_p10, power_pi_p90;
	enum provenance thr_prov, power_prov, price_prov;
};

/* Figures over the last `window` seconds ending at `now`. */
void fleet_derive(const struct fleet *f, double now, double window, struct fleet_stats *out);

struct tables;
/* Fills in what the shipped tables know and the fleets don't: the on-demand
 * price for `region` (marked estimated) and the power model.  A fleet's own
 * price (scenario, config) is never replaced; a table price is replaced when
 * the region changes, and becomes unknown where the table has none. */
void model_apply_tables(struct model *m, const struct tables *t, const char *region);

/* The baseline fleet's index: the one marked baseline, else 0 (-1: no fleets). */
int model_baseline(const struct model *m);

/* Candidate divided by baseline (NAN when either side is unknown or zero):
 * throughput per instance (6.3x is better), energy and cost per unit (0.08x
 * is better). */
struct fleet_ratio {
	double thr_per_instance;
	double joules_per_unit;
	double usd_per_unit;
};
void fleet_compare(const struct fleet_stats *cand, const struct fleet_stats *base,
                   struct fleet_ratio *out);

#endif
