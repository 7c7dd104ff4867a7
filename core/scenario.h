/*
 * scenario.h - the demo scenarios (the .ini files in data/scenarios/).
 *
 * A scenario names its fleets with their instance type, count, price, and the
 * nominal per-instance throughput and power the demo simulates around, plus
 * the published targets (SLA rate or fixed work) it reproduces.
 *
 *   [scenario]                        [fleet NAME]
 *   title = ...                       type = g4dn.2xlarge
 *   source = ...                      instances = 33
 *   note = published figures; ...     usd_per_hour = 0.752
 *   unit = inferences                 throughput = 8.6      ; units/s per instance
 *   sla = 1000000/h   (or work = 450e6) power_w = 250       ; W per instance at load
 *                                     idle_w = 70           ; optional
 *                                     baseline = true
 *
 * Ownership: scenario_load*() allocate; scenario_free() releases.
 */
#ifndef PERWATT_SCENARIO_H
#define PERWATT_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#define SCENARIO_MAX_FLEETS 8

struct scenario_fleet {
	char *name, *type;
	unsigned instances;
	double usd_per_hour;
	double throughput;      /* units/s per instance at steady state */
	double power_w;         /* W per instance at steady state */
	double idle_w;          /* W per instance idle (default 30% of power_w) */
	bool baseline;
};

struct scenario {
	char *name, *title, *source, *note, *unit;
	double sla_per_hour;    /* 0 when none */
	double work_units;      /* 0 when none */
	struct scenario_fleet fleet[SCENARIO_MAX_FLEETS];
	size_t nfleets;
};

/* Loads a built-in scenario by name ("inference", "training").  On error
 * returns NULL and writes a one-line message into err. */
struct scenario *scenario_load_builtin(const char *name, char *err, size_t errlen);
/* Loads a scenario from INI text (`origin` names it in messages). */
struct scenario *scenario_parse(const char *text, const char *origin, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

/* The built-in scenario names, NULL-terminated. */
extern const char *const scenario_builtin_names[];

#endif
