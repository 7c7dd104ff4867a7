/*
 * demo.h - the demo source: simulates every instance of a scenario.
 *
 * Each instance gets a fixed personal bias (~1%), slowly wandering noise, a
 * warm-up ramp over the first DEMO_WARMUP seconds and, now and then, a short
 * dip (a GC pause, a slow batch); power follows load between idle and full.
 * Everything derives from the seed, so a run is repeatable with --seed N.
 * Values are recorded with PROV_DEMO.
 */
#ifndef PERWATT_DEMO_H
#define PERWATT_DEMO_H

#include <stdint.h>

#include "core/scenario.h"
#include "fetch/source.h"

#define DEMO_WARMUP 20.0   /* seconds */

/* Adds the scenario's fleets to the model and returns a source that feeds
 * them, one sample per instance per second of (simulated or real) time.
 * `t0` is the time the simulated fleet starts.  NULL when out of memory. */
struct source *demo_source_new(struct model *m, const struct scenario *sc, uint64_t seed, double t0);

#endif
