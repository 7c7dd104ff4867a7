/*
 * series.h - fixed-size time series with coarser tiers for long history.
 *
 * A series keeps one ring per tier.  Each tier has a step (seconds per slot)
 * and a slot count; the default layout keeps
 *
 *     tier 0:   1 s x  900 slots  (15 min)
 *     tier 1:  10 s x 2160 slots  ( 6 h)
 *     tier 2:  60 s x 2880 slots  (48 h)
 *
 * A slot holds the mean of the samples that fell into its step, as a float,
 * plus one byte of flags (provenance, validity).  Every push feeds every tier,
 * so a coarse slot is the mean of its raw samples, not a mean of means.
 *
 * Memory is fixed at series_init() and never grows: 5 bytes per slot, i.e.
 * 29,700 bytes of slots for the default layout (series_bytes() says exactly).
 * Instances use SERIES_LAYOUT_SHORT (tiers 0 and 1: 15,300 bytes) so that a
 * thousand-instance fleet stays small; fleet totals use the full layout.
 *
 * Ownership: series_init() allocates the slots, series_free() releases them.
 */
#ifndef PERWATT_SERIES_H
#define PERWATT_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a value comes from.  Ordered: a slot that mixes kinds keeps the
 * "least measured" one, so an estimate is never passed off as a measurement. */
enum provenance {
	PROV_NONE = 0,      /* no value */
	PROV_MEASURED,      /* read from a sensor, exporter or API */
	PROV_ESTIMATED,     /* computed from a model (power from utilization, table price) */
	PROV_DEMO,          /* simulated by the demo source */
};

const char *prov_name(enum provenance p);   /* "measured", "estimated", "demo", "none" */

#define SERIES_MAX_TIERS 3

struct series_tier_spec {
	uint32_t step;      /* seconds per slot, >= 1 */
	uint32_t slots;     /* ring length, >= 2 */
};

struct series_layout {
	unsigned ntiers;
	struct series_tier_spec tier[SERIES_MAX_TIERS];
};

extern const struct series_layout SERIES_LAYOUT_FULL;   /* 1 s/15 min, 10 s/6 h, 1 min/48 h */
extern const struct series_layout SERIES_LAYOUT_SHORT;  /* 1 s/15 min, 10 s/6 h */

struct series_tier {
	uint32_t step, slots;
	int64_t head;          /* bucket number (floor(t/step)) of the newest slot, or INT64_MIN */
	float *val;            /* slots values, indexed by bucket % slots */
	uint8_t *flag;         /* low 3 bits: provenance; 0 = empty */
	double acc_sum;        /* running sum of the head bucket */
	uint32_t acc_n;        /* samples in the head bucket */
};

struct series {
	unsigned ntiers;
	struct series_tier tier[SERIES_MAX_TIERS];
	double last_t;         /* time of the newest sample, or -1 when none */
	double last_v;
	enum provenance last_prov;
};

/* 0 on success, -1 when out of memory (the series is then empty and safe to free). */
int series_init(struct series *s, const struct series_layout *layout);
void series_free(struct series *s);
void series_clear(struct series *s);
size_t series_bytes(const struct series_layout *layout);

/* Adds a sample.  Non-finite values are ignored (returns -1); a sample older
 * than the newest slot of a tier is merged into its slot when still in the
 * ring, and dropped otherwise.  Times are seconds on any monotonic scale. */
int series_push(struct series *s, double t, double v, enum provenance p);

/* Statistics over the samples of the last `window` seconds ending at `now`,
 * taken from the finest tier whose ring covers the window. */
struct series_stats {
	size_t n;              /* slots with a value */
	double last, min, max, mean;
	double p10, p90;       /* 10th and 90th percentiles (nearest rank over slots) */
	enum provenance prov;  /* least measured provenance seen in the window */
};
/* Returns the number of slots used; 0 leaves *out zeroed with prov PROV_NONE. */
size_t series_stats(const struct series *s, double now, double window, struct series_stats *out);

/* Copies up to n slot values ending at `now`, oldest first, at a resolution of
 * `step` seconds per point (the finest tier with step >= the one asked for).
 * Empty slots become NAN.  Returns the number of points written (always n
 * unless the series has no tier at all). */
size_t series_points(const struct series *s, double now, uint32_t step, float *out, size_t n);

/* Age in seconds of the newest sample at `now`, or INFINITY when none. */
double series_age(const struct series *s, double now);

#endif
