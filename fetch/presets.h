/*
 * presets.h - what perwatt reads from the exporters it knows, so that
 * `--fleet 'gpu=dcgm:http://host:9400/metrics'` needs no mapping at all.
 *
 * A preset is a default metric_map (core/fleetcfg.h) for each figure
 * (throughput, power, utilization) plus what a plain map cannot say:
 *
 *   also     a second metric summed into the same figure (node_exporter's
 *            DRAM zone next to the package one, Kepler's GPU watts next to
 *            the CPU's); optional: its absence is not an error
 *   xform    PRESET_IDLE_CPU: the counter is seconds of idle CPU per CPU
 *            (node_cpu_seconds_total{mode="idle"}), and the figure is
 *            100 x (1 - sum(rate) / number of CPU series)
 *   alt      a second metric the user may name instead (an energy counter
 *            in place of a power gauge): it gets its own kind and scale
 *
 * The scrape source (fetch/scrape.c) looks these up with presets_match():
 * the extras apply to a fleet's map exactly when its metric and matchers are
 * the preset's own, whether the preset was named or the map was written out
 * by hand.
 *
 * Every name and unit below comes from the reference notes
 * (shared/reference/prometheus.md sections 5 and 6) and was checked against
 * the exporter version given in `checked`.
 *
 * Values of 9.2e18 and above (dcgm-exporter's blank sentinels) are dropped
 * by the scrape source for every mapping, not only for presets.
 *
 * Ownership: presets are static tables; presets_apply() allocates the
 * strings it puts into a fleet_cfg (they are the fleet_cfg's, freed with it).
 */
#ifndef PERWATT_PRESETS_H
#define PERWATT_PRESETS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/fleetcfg.h"
#include "core/model.h"

enum preset_xform {
	PRESET_PLAIN = 0,
	PRESET_IDLE_CPU,        /* utilization = 100 x (1 - rate(idle s) / CPUs) */
};

struct preset_map {
	const char *metric;         /* NULL: the preset has nothing for this figure */
	const char *matchers;       /* as in metric_map: without braces, or NULL */
	enum metric_kind kind;
	double scale;               /* to units/s, W or percent */
	bool mean;                  /* mean over series, else sum */
	const char *dedupe_label;   /* or NULL */
	const char *also;           /* second metric summed in, or NULL */
	const char *also_matchers;
	enum preset_xform xform;
};

struct preset {
	const char *name;           /* "dcgm", "node"... */
	const char *exporter;       /* "dcgm-exporter" */
	const char *checked;        /* exporter version/commit the names were checked against */
	const char *unit;           /* throughput unit to use when the fleet has none, or NULL */
	const char *no_throughput;  /* health note when the fleet has no throughput metric, or NULL */
	const char *no_power;       /* hint appended when the power metric is missing, or NULL */
	struct preset_map map[MET__COUNT];  /* the defaults, by enum metric */
	struct preset_map alt[MET__COUNT];  /* an alternative the user may name */
};

/* The preset with this name (case-sensitive), or NULL. */
const struct preset *presets_find(const char *name);

/* All presets, NULL-terminated, for --help and the tests. */
const struct preset *const *presets_all(void);

/* "dcgm, node, neuron, scaphandre or kepler" */
const char *presets_names(void);

/*
 * Fills in f's maps from its preset (f->preset; nothing to do when NULL):
 *
 *  - a map the user did not set (metric NULL) becomes the preset's default
 *    (when the preset has one for that figure);
 *  - a map the user set to one of the metrics the preset knows (its default
 *    or its alternative) keeps the user's metric and matchers and gets the
 *    preset's dedupe label and mean flag; and when its kind is MKIND_AUTO
 *    (no unit given: fleetcfg leaves the kind AUTO unless a *_unit key says
 *    otherwise), the preset's kind too, and its scale when the map's is
 *    still the default 1 (a throughput_scale the user gave stays);
 *  - f->unit is set to the preset's throughput unit when NULL and the
 *    throughput map came from the preset;
 *  - f->source FLEET_SRC_NONE becomes FLEET_SRC_SCRAPE.
 *
 * Returns 0, or -1 with a message in err: an unknown preset, a preset on a
 * promql fleet (presets map exporters' own metrics), out of memory.
 */
int presets_apply(struct fleet_cfg *f, char *err, size_t errlen);

/* The preset entry (default or alternative, of any preset) whose metric and
 * matchers are exactly m's (NULL and "" matchers are equal), for figure k;
 * NULL when none. */
const struct preset_map *presets_match(enum metric k, const struct metric_map *m);

#endif
